# libcipc: the two commands of the README are `make demo` and `make test`.
GO      ?= go
CC      := gcc
BUILD   := build
PEERS   := $(BUILD)/cpeers
CFLAGS  := -O2 -Wall -Wextra -Werror -pthread
PEER_SRCS := $(wildcard tests/cpeers/*.c)
PEER_BINS := $(patsubst tests/cpeers/%.c,$(PEERS)/%,$(PEER_SRCS))

.PHONY: all demo test bench fmt vet peers clean fault

all: test

# The C peers: real C programs playing the same roles as the Go side.
peers: $(PEER_BINS)
$(PEERS)/%: tests/cpeers/%.c tests/cpeers/peer.h
	@mkdir -p $(PEERS)
	$(CC) $(CFLAGS) -o $@ $< -lrt

$(BUILD)/posixipc: FORCE
	@mkdir -p $(BUILD)
	$(GO) build -o $@ ./cmd/posixipc
FORCE:

# The main job: the seeds' scenarios across real Go and C processes.
demo: peers $(BUILD)/posixipc
	$(BUILD)/posixipc demo --peers $(PEERS)

# Every check: formatting, vet (with and without cgo), the C peers, the whole
# suite under the race detector, the soak and allocation tests without it (RSS
# and sync.Pool behave differently under -race), and the package's
# CGO_ENABLED=0 tests. GORACE's atexit_sleep_ms=0: the race detector otherwise
# sleeps 1 s at the exit of every process, every re-executed test child included.
test: peers
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet ./posix
	GORACE='atexit_sleep_ms=0' $(GO) test -race -count=1 -timeout 10m ./...
	$(GO) test -count=1 -run 'Soak|Allocate|Fault' ./tests/
	CGO_ENABLED=0 $(GO) test -count=1 ./posix

# SIGKILL fault injection (tests/fault_kill_test.go): FAULT_RUNS runs of each
# protocol (make test runs 200, 20 under -race); FAULT_SEED=<n> repeats the
# seed a run printed, FAULT_RUN=<i> only its run i.
FAULT_RUNS ?= 1000
fault: peers
	LIBCIPC_FAULT_RUNS=$(FAULT_RUNS) $(if $(FAULT_SEED),LIBCIPC_FAULT_SEED=$(FAULT_SEED)) $(if $(FAULT_RUN),LIBCIPC_FAULT_RUN=$(FAULT_RUN)) \
	  $(GO) test -count=1 -v -timeout 30m -run 'TestFaultKill' ./tests/

# Benchmarks beside their C reference loops (C-ns/op, x-C = ratio to C) and
# their pure-Go twins, BENCH_COUNT runs each in one session (-p 1: one test
# binary at a time), the raw output in build/bench.txt; cmd/benchreport then
# takes the medians and writes docs/BENCH.md and docs/bench.svg.
BENCH_COUNT ?= 5
BENCH_TIME  ?= 1s
BENCH_CMD   = $(GO) test -run '^$$' -bench . -benchmem -count=$(BENCH_COUNT) -benchtime=$(BENCH_TIME) -p 1 -timeout 60m ./posix ./tests
bench: peers
	@mkdir -p $(BUILD) docs
	@{ echo "# date: $$(date -u +%Y-%m-%dT%H:%M:%SZ)"; echo "# nproc: $$(nproc)"; \
	   printf '# command: %s\n' "$(BENCH_CMD)"; } > $(BUILD)/bench.txt
	@{ $(BENCH_CMD) 2>&1 || echo "# exit: $$?"; } | tee -a $(BUILD)/bench.txt
	@if grep -q '^# exit:' $(BUILD)/bench.txt; then echo "make bench: the benchmarks failed (build/bench.txt)"; exit 1; fi
	$(GO) run ./cmd/benchreport -md docs/BENCH.md -svg docs/bench.svg $(BUILD)/bench.txt

fmt:
	gofmt -w $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')

clean:
	rm -rf $(BUILD)
