#!/bin/sh
# Backtests dsopilot on the small real-format ledgers (package
# datasets/realformat) and compares it, on the same invoices, with the
# scikit-learn and XGBoost references of scripts/reference.py and the
# customer-history baseline. Not part of make test. Each ledger is also
# backtested with each cold-start prior (--peer-prior off, segment and
# peers: what the segment's rate adds, and what golearn's neighbours add to
# it) and with the invoices' undated disputed flag read as known from the
# issue date (--dispute-opened-after-days 0: what that leak was worth).
# Every model is also scored against the simulator's true probabilities
# (truth.csv beside each export): expected accuracy and Brier, which do not
# move with the one outcome a few hundred test invoices happened to draw.
#
#   scripts/smallledgers.sh [OUT_DIR] [SEED]   # SEED replaces every variant's seed
#
# QUICK=1 skips the prior and dispute variants: the main backtest and the
# references only.
set -eu
out=${1:-/tmp/dsopilot-realformat}
seed=${2:-0}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
go build -o "$out/dsopilot" ./cmd/dsopilot
go run ./scripts/realformat -out "$out" -seed "$seed" > "$out/variants.tsv"
while IFS="$(printf '\t')" read -r name invoices customers cold path flags; do
	echo "== $name: $invoices, $customers, $cold"
	eval "\"$out/dsopilot\" backtest --input \"$path\" $flags --split 0.7 --predictions \"$out/$name/predictions.csv\"" > "$out/$name/backtest.txt" 2> "$out/$name/backtest.log"
	grep -E "cut-off|threshold|assumption|skipped|dsopilot|cold start" "$out/$name/backtest.txt" || true
	if [ "${QUICK:-0}" != 1 ]; then
		for v in "--peer-prior off" "--peer-prior segment" "--peer-prior peers" "--dispute-opened-after-days 0"; do
			echo "-- $v"
			eval "\"$out/dsopilot\" backtest --input \"$path\" $flags --split 0.7 $v" > "$out/$name/backtest-$(echo "$v" | tr -dc 'a-z0-9-').txt" 2>/dev/null
			grep -E "champion|dsopilot|cold start" "$out/$name/backtest-$(echo "$v" | tr -dc 'a-z0-9-').txt" || true
		done
	fi
	cut=$(sed -n 's/^cut-off \([0-9-]*\):.*/\1/p' "$out/$name/backtest.txt")
	eval "/usr/bin/python3 scripts/reference.py --export \"$path\" $flags --cutoff $cut --predictions \"$out/$name/predictions.csv\" --truth \"$(dirname "$path")/truth.csv\""
done < "$out/variants.tsv"
