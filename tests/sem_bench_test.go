package tests

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Each benchmark runs the same operation in a C loop (tests/cpeers/sempeer
// bench-*) and reports it beside the Go figure: C-ns/op, the median of five runs
// of the C loop taken once per test binary, and the ratio x-C (Go ns/op divided
// by C-ns/op). On this 2-vCPU virtual machine, wake-up latencies (ping-pong)
// vary several-fold from run to run in C as in Go: compare medians of -count=5.

var (
	cRefMu sync.Mutex
	cRefs  = map[string]float64{}
)

func cReference(b *testing.B, args ...string) float64 {
	return cReferenceOf(b, "sempeer", args...)
}

// cReferenceOf runs the C peer's benchmark loop five times (once per test
// binary) and returns the median ns/op.
func cReferenceOf(b *testing.B, peer string, args ...string) float64 {
	b.Helper()
	key := peer + " " + strings.Join(args, " ")
	cRefMu.Lock()
	defer cRefMu.Unlock()
	if v, ok := cRefs[key]; ok {
		return v
	}
	var runs []float64
	for i := 0; i < 5; i++ {
		out := start(b, append([]string{cpeer(b, peer)}, args...), nil).finish(b)
		v, err := strconv.ParseFloat(strings.Fields(strings.TrimPrefix(out, "ns_per_op="))[0], 64)
		require.NoError(b, err, out)
		runs = append(runs, v)
	}
	sort.Float64s(runs)
	cRefs[key] = runs[len(runs)/2]
	return cRefs[key]
}

func reportRatio(b *testing.B, cNs float64) {
	b.Helper()
	goNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(cNs, "C-ns/op")
	b.ReportMetric(goNs/cNs, "x-C")
}

func BenchmarkSemPostTryWait(b *testing.B) {
	cNs := cReference(b, "bench-posttrywait", "10000000")
	s, err := posix.NewSemaphore(0)
	require.NoError(b, err)
	defer s.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Post(); err != nil {
			b.Fatal(err)
		}
		if err := s.TryWait(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

func BenchmarkSemPingPongThreads(b *testing.B) {
	cNs := cReference(b, "bench-pingpong-threads", "20000")
	ping, err := posix.NewSemaphore(0)
	require.NoError(b, err)
	defer ping.Close()
	pong, err := posix.NewSemaphore(0)
	require.NoError(b, err)
	defer pong.Close()
	done := make(chan error, 1)
	go func() {
		for i := 0; i < b.N; i++ {
			if err := ping.WaitTimeout(scenario.StepTimeout); err != nil {
				done <- err
				return
			}
			if err := pong.Post(); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ping.Post(); err != nil {
			b.Fatal(err)
		}
		if err := pong.WaitTimeout(scenario.StepTimeout); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	require.NoError(b, <-done)
	reportRatio(b, cNs)
}

func BenchmarkSemPingPongProcesses(b *testing.B) {
	cNs := cReference(b, "bench-pingpong-procs", "20000")
	name := uniqueName()
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	require.NoError(b, err)
	defer posix.UnlinkSharedMemory(name)
	require.NoError(b, shm.Truncate(4096))
	m, err := shm.Map(0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	shm.Close()
	require.NoError(b, err)
	defer m.Unmap()
	ping, err := posix.InitSemaphoreAt(m, 0, 0)
	require.NoError(b, err)
	pong, err := posix.InitSemaphoreAt(m, 64, 0)
	require.NoError(b, err)
	child := startGo(b, "pingpong", []string{name, strconv.Itoa(b.N)})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ping.Post(); err != nil {
			b.Fatal(err)
		}
		if err := pong.WaitTimeout(scenario.StepTimeout); err != nil {
			b.Fatal(fmt.Errorf("%w (child stderr: %s)", err, child.Stderr.String()))
		}
	}
	b.StopTimer()
	child.finish(b)
	reportRatio(b, cNs)
}

func BenchmarkSemOpenCloseUnlink(b *testing.B) {
	cNs := cReference(b, "bench-openclose", "5000", "/"+prefix+"cbench")
	name := uniqueName()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := posix.OpenSemaphore(name, unix.O_CREAT|unix.O_EXCL, 0o600, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		if err := posix.UnlinkSemaphore(name); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}
