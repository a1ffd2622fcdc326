# wardstat: the one entry point. `make run` runs the demo; `make test` the tests.
GO       ?= go
BIN      := bin/wardstat
PKGS     := ./...
# duckdb_arrow: duckdb-go's Arrow interface (query results as Arrow record
# batches), which the Flight SQL endpoint and `sql --format arrow` stream.
# Every go command below builds with it; a plain `go build` without it
# gives a wardstat whose Arrow commands say how to build them in.
export GOFLAGS := $(GOFLAGS) -tags=duckdb_arrow
# DuckDB's C++ library is linked statically from the module cache; building it
# the first time takes a minute or two on two cores.

.PHONY: build install run test test-short golden bench bench-scale lint fuzz killhunt clean

build:
	$(GO) build -o $(BIN) ./cmd/wardstat

# Puts wardstat on the PATH: into $(PREFIX)/bin when PREFIX is set (make
# install PREFIX=/usr/local), else where `go install` would ($GOBIN, else
# the first $(go env GOPATH)/bin), and says when that folder is not on the PATH.
PREFIX ?=
install: build
	@set -e; \
	if [ -n "$(PREFIX)" ]; then dest="$(PREFIX)/bin"; \
	else dest="$$($(GO) env GOBIN)"; [ -n "$$dest" ] || dest="$$($(GO) env GOPATH | cut -d: -f1)/bin"; fi; \
	mkdir -p "$$dest"; \
	install -m 0755 $(BIN) "$$dest/wardstat"; \
	echo "installed $$dest/wardstat"; \
	case ":$$PATH:" in *":$$dest:"*) ;; \
	*) echo "$$dest is not on your PATH: add it with  export PATH=\"$$dest:\$$PATH\"  (or run $$dest/wardstat)";; esac

run: build
	./$(BIN) demo

test:
	@scripts/ensure-chromium
	$(GO) test -count=1 -timeout 20m $(PKGS)

# The suite without its slow scenarios (kill hunts, daemons, memory and
# spill, stress, the demo's golden figures), each skipped under -short:
# for the edit-test loop (a few minutes on two cores). CI runs `make test`.
test-short:
	$(GO) test -short -count=1 -timeout 10m $(PKGS)

# Rewrite the golden figures (cmd/wardstat/testdata/golden: report JSON,
# tables, workbooks, nightly report text, marts) from what the code writes
# now, after an intended change; review the diff before committing it.
golden:
	$(GO) test -count=1 -run '^TestGolden' ./cmd/wardstat -update

# Full-size comparison with the floors (several minutes, inputs kept in $TMPDIR/wardbench),
# after the Go benchmarks on small inputs.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./bench
	$(GO) run ./cmd/wardbench -out BENCHMARKS.md

# Issue #19's scale run (not in CI): SCALE_N dossiers generated into a
# warehouse, every step of a day and a night over it against its floor;
# the table goes into BENCHMARKS.md's "Scale" section with each cost's
# growth from the smaller runs kept in $TMPDIR/wardbench (scale-N.json).
# 100 M needs ~10 GB of disk and hours; SCALE_N=1000000 or 10000000 for a
# quick run. SCALE_STEPS measures some steps only (gen,forms,marts,lake,
# night,publish,size), the others keeping their last figures at that size:
# a 100 M run in parts, e.g. SCALE_STEPS=night after a change to the night.
SCALE_N ?= 100000000
SCALE_STEPS ?= all
bench-scale:
	$(GO) run ./cmd/wardbench -cases scale -scale-n $(SCALE_N) -scale-steps $(SCALE_STEPS) -out BENCHMARKS.md

# Every fuzz target of every package (each reader of outside input has one),
# FUZZTIME each: a new Fuzz function is picked up without editing this file.
FUZZTIME ?= 30s
fuzz:
	@set -e; for f in $$(grep -l '^func Fuzz' $$(find . -name '*_test.go' -not -path './bin/*')); do \
		pkg=$$(dirname $$f); \
		for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -c6-); do \
			echo "== $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

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
