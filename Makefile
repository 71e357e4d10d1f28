# libcipc: the two commands of the README are `make demo` and `make test`.
GO      ?= go
CC      := gcc
BUILD   := build
PEERS   := $(BUILD)/cpeers
CFLAGS  := -O2 -Wall -Wextra -Werror -pthread
PEER_SRCS := $(wildcard tests/cpeers/*.c)
PEER_BINS := $(patsubst tests/cpeers/%.c,$(PEERS)/%,$(PEER_SRCS))

.PHONY: all demo test bench fmt vet peers clean fault check-c soak fuzz

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
fault:
	LIBCIPC_FAULT_RUNS=$(FAULT_RUNS) $(if $(FAULT_SEED),LIBCIPC_FAULT_SEED=$(FAULT_SEED)) $(if $(FAULT_RUN),LIBCIPC_FAULT_RUN=$(FAULT_RUN)) \
	  $(GO) test -count=1 -v -timeout 30m -run 'TestFaultKill' ./tests/

# Leak checks of the C side. The C peers are built with AddressSanitizer
# (LeakSanitizer runs at each peer's exit) into build/asan and the Go tests
# that drive them run against those builds (LIBCIPC_PEER_DIR); a leak or any
# ASan error makes the peer exit 23, which fails its test (a peer killed by
# SIGKILL does not report). The shims of csrc/ run SHIM_CYCLES
# create/use/destroy cycles of every object in tests/cshim/shimcheck, under
# ASan/LSan and under valgrind (definite leaks and memory errors fail); and the
# soak set runs through the library itself built with go test -asan (the shims
# under ASan, LeakSanitizer at exit: a planted leak of freed sem_t fails it).
ASAN_CFLAGS := -O1 -g -Wall -Wextra -Werror -pthread -fsanitize=address -fno-omit-frame-pointer
ASAN_ENV    := ASAN_OPTIONS=detect_leaks=1:exitcode=23
ASAN_DIR    := $(BUILD)/asan
SHIM_CYCLES ?= 200
check-c:
	@mkdir -p $(ASAN_DIR) $(BUILD)/valgrind
	@for src in $(PEER_SRCS); do \
	  echo "$(CC) $(ASAN_CFLAGS) -o $(ASAN_DIR)/$$(basename $$src .c) $$src -lrt"; \
	  $(CC) $(ASAN_CFLAGS) -o $(ASAN_DIR)/$$(basename $$src .c) $$src -lrt || exit 1; done
	$(CC) $(ASAN_CFLAGS) -o $(ASAN_DIR)/shimcheck tests/cshim/shimcheck.c csrc/*.c -lrt -ldl
	$(ASAN_ENV) $(ASAN_DIR)/shimcheck $(SHIM_CYCLES)
	$(CC) -O1 -g -Wall -Wextra -Werror -pthread -o $(BUILD)/valgrind/shimcheck tests/cshim/shimcheck.c csrc/*.c -lrt -ldl
	valgrind -q --suppressions=tests/cshim/valgrind.supp --leak-check=full \
	  --errors-for-leak-kinds=definite --error-exitcode=1 $(BUILD)/valgrind/shimcheck $(SHIM_CYCLES)
	LIBCIPC_PEER_DIR=$(CURDIR)/$(ASAN_DIR) $(ASAN_ENV) $(GO) test -count=1 -p 1 -timeout 20m -skip 'Soak|Allocate' ./tests/
	ASAN_OPTIONS=detect_leaks=1 $(GO) test -asan -count=1 -timeout 20m -run 'TestSoak' -skip 'TestSoakSpawn' ./tests/

# Every object type of tests/leak_test.go at SOAK_CYCLES create/use/destroy
# cycles (make test runs 100,000 only for the cheap ones), without -race so
# that RSS is judged; processes (posix_spawn + waitpid, ~1-20 ms each) on
# their own at SOAK_SPAWN_CYCLES.
SOAK_CYCLES       ?= 100000
SOAK_SPAWN_CYCLES ?= 2000
soak:
	SOAK_CYCLES=$(SOAK_CYCLES) $(GO) test -count=1 -p 1 -timeout 60m -v -run 'Soak' -skip 'TestSoakSpawn' ./tests/
	SOAK_CYCLES=$(SOAK_SPAWN_CYCLES) $(GO) test -count=1 -timeout 60m -v -run 'TestSoakSpawn' ./tests/

# Every fuzz target (posix/fuzz_test.go, cmd/posixipc/fuzz_test.go) for
# FUZZTIME each, one at a time, FUZZPARALLEL workers (1: the machine is
# shared); their seed corpora run in make test. A failing input is written
# under the package's testdata/fuzz/<Target>/ and fails the target. A bare
# "context deadline exceeded" with no input written is the Go fuzz
# coordinator's shutdown race at the end of -fuzztime (golang/go#75804, fixed
# in Go 1.27), not a finding: reported, not failed.
FUZZTIME ?= 20s
FUZZPARALLEL ?= 1
FUZZ_TARGETS = FuzzShmOpen:./posix FuzzSemOpen:./posix FuzzMQ:./posix FuzzShmMap:./posix FuzzSemClockWait:./posix \
	FuzzSysV:./posix FuzzFileLock:./posix FuzzSignalArgs:./posix FuzzSpawn:./posix \
	FuzzCLI:./cmd/posixipc
fuzz:
	@mkdir -p $(BUILD); failed=""; \
	for tp in $(FUZZ_TARGETS); do \
		t=$${tp%%:*}; p=$${tp#*:}; log=$(BUILD)/fuzz-$$t.log; \
		echo "== $$t $$p ($(FUZZTIME))"; \
		if $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPARALLEL) $$p >$$log 2>&1; then \
			grep 'execs:' $$log | tail -n 1; \
		elif grep -qx '    context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then \
			grep 'execs:' $$log | tail -n 1; echo "   (Go fuzz shutdown race at the deadline, golang/go#75804: no input failed)"; \
		else \
			cat $$log; failed="$$failed $$t"; \
		fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed"; exit 1; fi; echo "fuzz: all targets passed"

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
