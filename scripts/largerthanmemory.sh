#!/usr/bin/env bash
# largerthanmemory.sh: `dsopilot kpi` on a ClickHouse store reports on a
# ledger larger than the memory it may use, reading the ledger in parts of
# whole customers (kpi --parts, chstore's LoadPart) instead of loading it.
#
# It simulates a ledger, imports it into ClickHouse, then runs the same kpi
# three times:
#   1. the whole ledger at once (--parts 1), no limit: its peak resident
#      memory is the ledger's size in the process;
#   2. the same under a memory limit of half that peak: it must fail;
#   3. in parts (--parts N) under the same limit: it must succeed and print
#      exactly what run 1 printed.
# The limit is RLIMIT_DATA (ulimit -d), which caps the private writable
# memory the Go heap lives in, with GOMEMLIMIT set below it so that the
# collector works to stay under it. The binary is built without cgo, whose
# thread stacks would otherwise count against the limit.
#
#   scripts/largerthanmemory.sh [clickhouse://127.0.0.1:9000/dsopilot_ltm]
#
# CUSTOMERS and MONTHS size the ledger (default 3000 and 24, about 130k
# invoices), PARTS the parts of run 3 (default 8). Only KPIs read in parts
# today: train, score and backtest still load the whole ledger.
set -euo pipefail

store=${1:-clickhouse://127.0.0.1:9000/dsopilot_ltm}
customers=${CUSTOMERS:-3000}
months=${MONTHS:-24}
parts=${PARTS:-8}
from=2024-01-01
to=2024-12-31

cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/dsopilot
CGO_ENABLED=0 go build -o "$bin" ./cmd/dsopilot

"$bin" synth --customers "$customers" --months "$months" --seed 21 --start 2023-01-01 --out "$work/ledger" >/dev/null
"$bin" import --store "$store" --rejects "$work/rejects.csv" "$work/ledger" >/dev/null 2>"$work/import.err"
"$bin" stats --store "$store" | head -3

kpi=(kpi --store "$store" --from "$from" --to "$to" --by segment --monthly --json)

# 1. Whole, unlimited: peak resident memory in KB.
/usr/bin/time -f %M -o "$work/whole.rss" "$bin" "${kpi[@]}" --parts 1 >"$work/whole.json" 2>"$work/whole.err"
peak=$(tail -1 "$work/whole.rss")
limit=$((peak / 2))
echo "whole ledger at once: peak resident memory $((peak / 1024)) MB; the limit is $((limit / 1024)) MB"

limited() {
	(
		ulimit -d "$limit"
		GOMEMLIMIT=$((limit * 1024 * 8 / 10)) exec "$bin" "$@"
	)
}

# 2. Whole, limited: must fail.
if limited "${kpi[@]}" --parts 1 >"$work/whole-limited.json" 2>"$work/whole-limited.err"; then
	echo "FAIL: the whole ledger fitted in $((limit / 1024)) MB: make the ledger larger (CUSTOMERS, MONTHS)" >&2
	exit 1
fi
echo "whole ledger under the limit: failed as it must ($(grep -m1 -o 'out of memory[^:]*\|cannot allocate memory' "$work/whole-limited.err" || head -c 120 "$work/whole-limited.err"))"

# 3. In parts, limited: must succeed with the same report.
/usr/bin/time -f %M -o "$work/parts.rss" bash -c "$(declare -f limited); limit=$limit bin=$bin; limited \"\$@\"" _ \
	"${kpi[@]}" --parts "$parts" >"$work/parts.json" 2>"$work/parts.err"
echo "in $parts parts under the limit: peak resident memory $(($(tail -1 "$work/parts.rss") / 1024)) MB"
if ! cmp -s "$work/whole.json" "$work/parts.json"; then
	echo "FAIL: the report read in parts differs from the whole ledger's" >&2
	diff "$work/whole.json" "$work/parts.json" | head -20 >&2
	exit 1
fi
echo "OK: the same KPIs, byte for byte, in $((limit / 1024)) MB"
