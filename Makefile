# wardstat: the one entry point. `make run` runs the demo; `make test` the tests.
GO       ?= go
BIN      := bin/wardstat
PKGS     := ./...
# DuckDB's C++ library is linked statically from the module cache; building it
# the first time takes a minute or two on two cores.

.PHONY: build run test bench lint fuzz killhunt clean

build:
	$(GO) build -o $(BIN) ./cmd/wardstat

run: build
	./$(BIN) demo

test:
	@scripts/ensure-chromium
	$(GO) test -count=1 -timeout 20m $(PKGS)

# Full-size comparison with the floors (several minutes, inputs kept in $TMPDIR/wardbench),
# after the Go benchmarks on small inputs.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./bench
	$(GO) run ./cmd/wardbench -out BENCHMARKS.md

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzCSV$$' -fuzztime 30s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzXLSX$$' -fuzztime 30s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzXLS$$' -fuzztime 30s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzJSON$$' -fuzztime 30s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzHTML$$' -fuzztime 30s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzDetect$$' -fuzztime 30s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzCSVRowFixes$$' -fuzztime 30s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzJSONKeys$$' -fuzztime 30s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzUnwrapJSON$$' -fuzztime 30s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzWindows1258$$' -fuzztime 30s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzSpreadSample$$' -fuzztime 30s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzShapeFormats$$' -fuzztime 30s ./warehouse
	$(GO) test -run '^$$' -fuzz '^FuzzApplicantKey$$' -fuzztime 30s ./transform
	$(GO) test -run '^$$' -fuzz '^FuzzFindHeader$$' -fuzztime 30s ./transform

# The kill hunt in full: 45 SIGKILLs over a load, most in its last third and
# its commit (a few minutes); `make test` runs four.
killhunt:
	WARDSTAT_KILLHUNT=1 $(GO) test -count=1 -timeout 30m -run '^TestKillDuringLoadLeavesBeforeOrAfter$$' -v ./cmd/wardstat

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff

clean:
	rm -rf bin wardstat.duckdb wardstat.duckdb.wal demo-exports parquet .wardstat-pii.key
