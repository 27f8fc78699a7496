#!/usr/bin/env bash
# largerthanmemory.sh: `dsopilot kpi`, `train`, `score`, `forecast`,
# `recommend` and `credit suggest` on a ClickHouse store work on a ledger
# larger than the memory they may use, reading the ledger in parts of whole customers (--parts,
# chstore's LoadPart) instead of loading it; and `kpi` in SQL (--engine
# sql), which leaves the ledger in the database, prints the same under the
# same limit, converted to one currency too. train keeps only its training set (a hashed sample of
# TRAIN_INVOICES invoices, --max-invoices), so that it is the ledger, not
# the set, that does not fit.
#
# It simulates a ledger, imports it into ClickHouse, then runs the same kpi
# (in the ledger's units, and converted to EUR with --currency and --fx),
# the same train (which registers a model: the same id, so the same model,
# whole or in parts) and the same score with that model three times:
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
# invoices), PARTS the parts of run 3 (default 8), TRAIN_INVOICES the
# invoices train learns from (default 20000), CHECKS the commands to check
# (default "kpi train score forecast recommend credit backtest"; forecast
# and recommend need train's model, which runs for them). Each run's peak
# resident memory and wall time are printed, and the load average before
# and after. A run's own duration, which some JSON carries as "seconds",
# is left out of the comparison.
set -euo pipefail

store=${1:-clickhouse://127.0.0.1:9000/dsopilot_ltm}
customers=${CUSTOMERS:-3000}
months=${MONTHS:-24}
parts=${PARTS:-8}
train_invoices=${TRAIN_INVOICES:-20000}
from=2024-01-01
to=2024-12-31

cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/dsopilot
CGO_ENABLED=0 go build -o "$bin" ./cmd/dsopilot

"$bin" synth --customers "$customers" --months "$months" --seed 21 --start 2023-01-01 --out "$work/ledger" >/dev/null
"$bin" import --store "$store" --rejects "$work/rejects.csv" "$work/ledger" >/dev/null 2>"$work/import.err"
# (Whole, then cut: under pipefail, head closing the pipe early would fail
# the script with stats' SIGPIPE.)
"$bin" stats --store "$store" >"$work/stats.txt"
head -3 "$work/stats.txt"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

limited() {
	(
		ulimit -d "$limit"
		GOMEMLIMIT=$((limit * 1024 * 8 / 10)) exec "$bin" "$@"
	)
}

# check NAME ARGS...: runs 1-3 above for the command ARGS.
check() {
	local name=$1
	shift
	# 1. Whole, unlimited: peak resident memory in KB.
	/usr/bin/time -f '%M %e' -o "$work/$name-whole.rss" "$bin" "$@" --parts 1 >"$work/$name-whole.out" 2>"$work/$name-whole.err" ||
		{ cat "$work/$name-whole.err" >&2; exit 1; }
	local peak
	peak=$(tail -1 "$work/$name-whole.rss" | cut -d' ' -f1)
	limit=$((peak / 2))
	echo "$name, whole ledger at once: peak resident memory $((peak / 1024)) MB in $(tail -1 "$work/$name-whole.rss" | cut -d' ' -f2) s; the limit is $((limit / 1024)) MB"
	# 2. Whole, limited: must fail.
	if limited "$@" --parts 1 >/dev/null 2>"$work/$name-limited.err"; then
		echo "FAIL: $name on the whole ledger fitted in $((limit / 1024)) MB: make the ledger larger (CUSTOMERS, MONTHS)" >&2
		exit 1
	fi
	echo "$name, whole ledger under the limit: failed as it must ($(grep -m1 -o 'out of memory[^:]*\|cannot allocate memory' "$work/$name-limited.err" || head -c 120 "$work/$name-limited.err"))"
	# 3. In parts, limited: must succeed with the same output.
	/usr/bin/time -f '%M %e' -o "$work/$name-parts.rss" bash -c "$(declare -f limited); limit=$limit bin=$bin; limited \"\$@\"" _ \
		"$@" --parts "$parts" >"$work/$name-parts.out" 2>"$work/$name-parts.err" ||
		{ cat "$work/$name-parts.err" >&2; exit 1; }
	echo "$name, in $parts parts under the limit: peak resident memory $(($(tail -1 "$work/$name-parts.rss" | cut -d' ' -f1) / 1024)) MB in $(tail -1 "$work/$name-parts.rss" | cut -d' ' -f2) s"
	sed -i -E 's/"seconds": [0-9.e+-]+/"seconds": 0/' "$work/$name-whole.out" "$work/$name-parts.out"
	if ! cmp -s "$work/$name-whole.out" "$work/$name-parts.out"; then
		echo "FAIL: $name read in parts differs from the whole ledger's" >&2
		diff "$work/$name-whole.out" "$work/$name-parts.out" | head -20 >&2
		exit 1
	fi
	echo "OK: $name prints the same, byte for byte, in $((limit / 1024)) MB"
}

checks=" ${CHECKS:-kpi train score forecast recommend credit backtest} "
wanted() { [[ $checks == *" $1 "* ]]; }

# sqlcheck NAME ARGS...: 4. kpi in SQL (the default on ClickHouse without
# --parts) under the limit of the check NAME just run: the database sums,
# the process holds one row per group. It must print what the Go engine
# printed on the whole ledger (run 1), stderr (warnings) included.
sqlcheck() {
	local name=$1
	shift
	/usr/bin/time -f '%M %e' -o "$work/$name-sql.rss" bash -c "$(declare -f limited); limit=$limit bin=$bin; limited \"\$@\"" _ \
		"$@" --engine sql >"$work/$name-sql.out" 2>"$work/$name-sql.err" ||
		{ cat "$work/$name-sql.err" >&2; exit 1; }
	if ! cmp -s "$work/$name-whole.out" "$work/$name-sql.out" || ! cmp -s "$work/$name-whole.err" "$work/$name-sql.err"; then
		echo "FAIL: $name in SQL differs from the Go engine's on the whole ledger" >&2
		diff "$work/$name-whole.out" "$work/$name-sql.out" | head -20 >&2
		diff "$work/$name-whole.err" "$work/$name-sql.err" | head -5 >&2
		exit 1
	fi
	echo "OK: $name in SQL under the same limit: peak resident memory $(($(tail -1 "$work/$name-sql.rss" | cut -d' ' -f1) / 1024)) MB in $(tail -1 "$work/$name-sql.rss" | cut -d' ' -f2) s, the same bytes"
}

if wanted kpi; then
	check kpi kpi --store "$store" --from "$from" --to "$to" --by segment --monthly --json
	sqlcheck kpi kpi --store "$store" --from "$from" --to "$to" --by segment --monthly --json
	# Converted to one currency: the Go engine converts each part, then
	# implies its write-offs; SQL does the same inside the database.
	check kpi-fx kpi --store "$store" --from "$from" --to "$to" --by segment --monthly --json --currency EUR --fx "$work/ledger/fx_rates.csv"
	sqlcheck kpi-fx kpi --store "$store" --from "$from" --to "$to" --by segment --monthly --json --currency EUR --fx "$work/ledger/fx_rates.csv"
fi

# train in parts registers the model the whole ledger gives (--json prints
# its metadata: the id hashes the bundle and the data fingerprint); score
# then reads the open book in parts with it.
if wanted train || wanted score || wanted forecast || wanted recommend; then
	check train train --store "$store" --registry "$work/models" --as-of "$to" --max-invoices "$train_invoices" --json
fi
if wanted score; then
	check score score --store "$store" --registry "$work/models" --as-of "$to"
fi
# forecast reads its parts twice (the portfolio's record, then each part's
# book against it) and keeps the open book, the new business per customer
# and the customers its shock replays sample (at most 2,000: a ledger of
# few customers keeps most of them, so give it CUSTOMERS well above that).
if wanted forecast; then
	check forecast forecast --store "$store" --registry "$work/models" --as-of "$to" --paths 500 --json
fi
# recommend keeps the open accounts, the logged decisions and the model's
# risk per customer.
if wanted recommend; then
	check recommend recommend --store "$store" --registry "$work/models" --model promoted --as-of "$(date -d "$to + 2 days" +%F)" \
		--fx "$work/ledger/fx_rates.csv" --format json
fi
# credit suggest learns its default model from the parts' snapshots and
# keeps an account per customer.
if wanted credit; then
	check credit credit suggest --store "$store" --as-of "$to" --fx "$work/ledger/fx_rates.csv" --json
fi
# forecast backtest trains at each origin (as train does, on TRAIN_INVOICES
# invoices) and forecasts the open book in parts, keeping the training set,
# one origin's open book and what it brought in.
if wanted backtest; then
	check backtest forecast backtest --store "$store" --origins 2024-06-30 --families logistic --max-invoices "$train_invoices" \
		--paths 300 --currency EUR --fx "$work/ledger/fx_rates.csv" --json
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
