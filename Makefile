# dsopilot: `make demo` runs the main job on the embedded store (no server);
# `make test` runs every test (ClickHouse tests when DSOPILOT_TEST_CLICKHOUSE
# names a server, e.g. clickhouse://127.0.0.1:9000); `make bench` prints the
# performance figures quoted in the README.
GO      ?= go
BIN     := bin/dsopilot
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
DEMO    := demo

.PHONY: all build demo test bench bench-deps clean fmt vet

all: build

build:
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
	$(BIN) backtest --input $(DEMO)/ledger --split 0.7 --currency EUR --fx $(DEMO)/ledger/fx_rates.csv --predictions $(DEMO)/backtest_predictions.csv
	$(BIN) train --store $(DEMO)/store --as-of 2024-12-31 --registry $(DEMO)/models --currency EUR --fx $(DEMO)/ledger/fx_rates.csv
	$(BIN) score --store $(DEMO)/store --as-of 2024-12-31 --registry $(DEMO)/models > $(DEMO)/scores.csv
	@echo "scored $$(($$(wc -l < $(DEMO)/scores.csv) - 1)) open invoices into $(DEMO)/scores.csv; top of the list:"
	@head -4 $(DEMO)/scores.csv | cut -c1-240
	@echo "features of $$(($$(wc -l < $(DEMO)/customer_features.csv) - 1)) customers and $$(($$(wc -l < $(DEMO)/open_invoice_features.csv) - 1)) open invoices as of 2024-12-31 are in $(DEMO)/"
	$(BIN) forecast --store $(DEMO)/store --as-of 2024-12-31 --registry $(DEMO)/models --currency EUR --fx $(DEMO)/ledger/fx_rates.csv
	$(BIN) forecast backtest --input $(DEMO)/ledger --origins 2024-06-30,2024-08-31,2024-09-30 --families logistic --currency EUR --fx $(DEMO)/ledger/fx_rates.csv --predictions $(DEMO)/forecast_backtest.csv

test: vet
	$(GO) test -count=1 ./...

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
bench: bench-deps
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime 1x -timeout 120m ./...

# xgboost is only needed for the comparison; install it when apt can.
bench-deps:
	@command -v xgboost >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && apt-get install -y -qq xgboost; } || \
		echo "xgboost not installed: the comparison benchmark will skip"


fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin $(DEMO)
