# dsopilot: `make demo` runs the main job on the embedded store (no server);
# `make test` runs every test (ClickHouse tests when DSOPILOT_TEST_CLICKHOUSE
# names a server, e.g. clickhouse://127.0.0.1:9000); `make bench` prints the
# performance figures quoted in the README.
GO      ?= go
BIN     := bin/dsopilot
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
DEMO    := demo

.PHONY: all build demo test fuzz bench bench-api bench-deps clean fmt vet echarts

all: build

# ECharts for the reports (reports/ embeds it and serves it itself, so no page
# loads anything from outside): the npm package at a pinned version, fetched
# at build time (npm checks the tarball against the registry's integrity
# hash) into reports/assets/echarts/, which git ignores. Never committed.
ECHARTS_VERSION := 5.6.0
ECHARTS_DIR     := reports/assets/echarts
echarts:
	@if [ "$$(cat $(ECHARTS_DIR)/VERSION 2>/dev/null)" != "$(ECHARTS_VERSION)" ] || [ ! -s $(ECHARTS_DIR)/echarts.min.js ]; then \
		command -v npm >/dev/null || { echo "make echarts: npm is needed to fetch echarts $(ECHARTS_VERSION) (apt-get install npm)"; exit 1; }; \
		tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		(cd "$$tmp" && npm pack --silent echarts@$(ECHARTS_VERSION) >/dev/null) && \
		tar -xzf "$$tmp/echarts-$(ECHARTS_VERSION).tgz" -C "$$tmp" package/dist/echarts.min.js package/LICENSE package/NOTICE && \
		mkdir -p $(ECHARTS_DIR) && \
		cp "$$tmp/package/dist/echarts.min.js" "$$tmp/package/LICENSE" "$$tmp/package/NOTICE" $(ECHARTS_DIR)/ && \
		echo $(ECHARTS_VERSION) > $(ECHARTS_DIR)/VERSION && \
		echo "fetched echarts $(ECHARTS_VERSION) into $(ECHARTS_DIR)"; \
	fi

build: echarts
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/dsopilot

demo: build
	rm -rf $(DEMO)
	$(BIN) synth --customers 600 --months 24 --seed 42 --start 2023-01-01 --out $(DEMO)/ledger
	$(BIN) import --store $(DEMO)/store --rejects $(DEMO)/rejects.csv $(DEMO)/ledger
	$(BIN) stats --store $(DEMO)/store
	$(BIN) kpi --store $(DEMO)/store --from 2024-10-01 --to 2024-12-31 --currency EUR --fx $(DEMO)/ledger/fx_rates.csv
	$(BIN) kpi --store $(DEMO)/store --from 2024-01-01 --to 2024-12-31 --by segment --currency EUR --fx $(DEMO)/ledger/fx_rates.csv
	$(BIN) kpi --store $(DEMO)/store --from 2024-10-01 --to 2024-12-31 --by currency
	$(BIN) features --store $(DEMO)/store --as-of 2024-12-31 > $(DEMO)/customer_features.csv
	$(BIN) features --store $(DEMO)/store --as-of 2024-12-31 --level invoice > $(DEMO)/open_invoice_features.csv
	$(BIN) backtest --input $(DEMO)/ledger --split 0.7 --currency EUR --fx $(DEMO)/ledger/fx_rates.csv --predictions $(DEMO)/backtest_predictions.csv --json-out $(DEMO)/backtest.json
	$(BIN) train --store $(DEMO)/store --as-of 2024-12-31 --registry $(DEMO)/models --currency EUR --fx $(DEMO)/ledger/fx_rates.csv
	$(BIN) score --store $(DEMO)/store --as-of 2024-12-31 --registry $(DEMO)/models > $(DEMO)/scores.csv
	@echo "scored $$(($$(wc -l < $(DEMO)/scores.csv) - 1)) open invoices into $(DEMO)/scores.csv; top of the list:"
	@head -4 $(DEMO)/scores.csv | cut -c1-240
	@echo "features of $$(($$(wc -l < $(DEMO)/customer_features.csv) - 1)) customers and $$(($$(wc -l < $(DEMO)/open_invoice_features.csv) - 1)) open invoices as of 2024-12-31 are in $(DEMO)/"
	$(BIN) recommend --store $(DEMO)/store --as-of 2025-01-02 --fx $(DEMO)/ledger/fx_rates.csv --capacity call=12 > $(DEMO)/worklist.csv
	@echo "the worklist of 2025-01-02 has $$(($$(wc -l < $(DEMO)/worklist.csv) - 1)) contacts in $(DEMO)/worklist.csv (scenario-based: the demo ledger has no randomised history); top of it:"
	@head -4 $(DEMO)/worklist.csv | cut -c1-240
	$(BIN) policy evaluate --customers 300 --months 3 --train-months 9 --seed 11
	@echo "suggested credit limits as of 2024-12-31, the 10 biggest changes first (reasons below the table):"
	$(BIN) credit suggest --store $(DEMO)/store --as-of 2024-12-31 --fx $(DEMO)/ledger/fx_rates.csv --top 10 > $(DEMO)/credit_suggestions.txt
	@cut -c1-400 $(DEMO)/credit_suggestions.txt
	$(BIN) credit flags --store $(DEMO)/store --as-of 2024-12-31 --fx $(DEMO)/ledger/fx_rates.csv > $(DEMO)/credit_flags.txt
	@echo "order-block flags as of 2024-12-31 in $(DEMO)/credit_flags.txt; the most exposed:"
	@head -9 $(DEMO)/credit_flags.txt | cut -c1-300; tail -1 $(DEMO)/credit_flags.txt
	$(BIN) forecast --store $(DEMO)/store --as-of 2024-12-31 --registry $(DEMO)/models --currency EUR --fx $(DEMO)/ledger/fx_rates.csv
	$(BIN) forecast backtest --input $(DEMO)/ledger --origins 2024-06-30,2024-08-31,2024-09-30 --families logistic --currency EUR --fx $(DEMO)/ledger/fx_rates.csv --predictions $(DEMO)/forecast_backtest.csv
	$(BIN) report --store $(DEMO)/store --as-of 2024-12-31 --registry $(DEMO)/models --currency EUR --fx $(DEMO)/ledger/fx_rates.csv --backtest $(DEMO)/backtest.json --backtest-predictions $(DEMO)/backtest_predictions.csv --out $(DEMO)/report

# Fuzz targets, as package:target. make test runs each for FUZZ_BRIEF
# inputs (a count, which a loaded machine cannot turn into a timeout), make
# fuzz for FUZZTIME each. A failing input is written to the package's
# testdata/fuzz, where it stays as a regression case.
FUZZ_TARGETS := ./datasets/importer:FuzzCSVSource ./datasets/importer:FuzzNDJSONSource \
	./datasets/importer:FuzzAmount ./datasets/importer:FuzzDateParser ./datasets/importer:FuzzColumnMapping \
	./api:FuzzDecodeScoreRequest ./api:FuzzDecodeRecording ./api:FuzzAmount
FUZZ_BRIEF   ?= 3000x
FUZZTIME     ?= 2m

# The importer's tests run again under the race detector: its parsing and
# its store writes run on two goroutines. The features and model packages
# take 5-8 minutes on a 2-core machine, and 28-30 minutes when other jobs
# load it (stop 35: load average 40, features timed out at 30), hence the
# long limit.
test: vet echarts
	$(GO) test -count=1 -timeout 60m ./...
	$(GO) test -count=1 -race ./datasets/importer
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZ_BRIEF) >/dev/null && echo "fuzzed $(words $(FUZZ_TARGETS)) targets ($(FUZZ_BRIEF) inputs each)"

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; f=$${t#*:}; echo "== $$pkg $$f ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg || \
		{ echo "$$f failed: go test -run '^$$' -fuzz '^$$f\$$' -fuzztime $(FUZZTIME) $$pkg" >&2; exit 1; }; \
	done

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

# Benchmarks print figures; they do not fail on speed. BENCH narrows them.
# The tree trainer is timed against Debian's xgboost on the same matrix, at
# the size of dsopilot's own training on a 1M-invoice ledger: 200k rows,
# 145 features, 200 trees of depth 5 (the GBDT_XGB_* variables change it).
BENCH ?= .
export GBDT_XGB_ROWS ?= 200000
export GBDT_XGB_FEATURES ?= 145
export GBDT_XGB_TREES ?= 200
export GBDT_XGB_DEPTH ?= 5
bench: bench-deps echarts
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime 1x -timeout 120m ./...

# The API alone, with its figures (wrk when installed, else a Go load
# generator, on loopback): GET score vs /healthz at 32 connections, POST
# /v1/score with 10,000 invoices, 1M invoice rows over HTTP vs the
# importer, and memory over a load run of DSOPILOT_BENCH_SOAK (5m).
export DSOPILOT_BENCH_SECONDS ?= 10
export DSOPILOT_BENCH_SOAK ?= 5m
bench-api: echarts
	$(GO) test ./api -run '^$$' -bench 'HTTP' -benchtime 1x -timeout 60m -v | grep -E '^(Benchmark|\s+bench_test|ok|FAIL|---)'

# xgboost is only needed for the comparison; install it when apt can.
bench-deps:
	@command -v xgboost >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && apt-get install -y -qq xgboost; } || \
		echo "xgboost not installed: the comparison benchmark will skip"


fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin $(DEMO)
