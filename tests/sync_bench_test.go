package tests

import (
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pthread mutex, condition variable and thread-local storage benchmarks, each
// reported beside the C loop doing the same (tests/cpeers/syncpeer bench-*,
// PROTOCOL.md): C-ns/op and x-C, as in sem_bench_test.go. Every lock and wait
// is bounded (LockTimeout / WaitTimeout, scenario.StepTimeout = 10 s); the C
// loops use pthread_mutex_lock (bench-mutex, bench-mutex-pshared) or trylock
// then a 10 s clocklock (bench-contend, bench-cond-pingpong). The Go bounded
// lock costs the same as an unbounded one when the mutex is free: a trylock,
// the deadline being fixed only on EBUSY.

func syncCReference(b *testing.B, args ...string) float64 {
	return cReferenceOf(b, "syncpeer", args...)
}

// benchLockUnlock times b.N LockTimeout+Unlock of mu by the calling goroutine:
// Lock pins it to its thread until Unlock, so the loop stays on one thread
// only while it holds mu; it is not locked to its thread between iterations.
func benchLockUnlock(b *testing.B, mu *posix.Mutex, cNs float64) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := mu.LockTimeout(scenario.StepTimeout); err != nil {
			b.Fatal(err)
		}
		if err := mu.Unlock(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

// A process-private mutex (default attributes) against
// PTHREAD_MUTEX_INITIALIZER.
func BenchmarkMutexLockUnlock(b *testing.B) {
	cNs := syncCReference(b, "bench-mutex", "10000000")
	mu, err := posix.NewMutex(nil)
	require.NoError(b, err)
	defer mu.Close()
	benchLockUnlock(b, mu, cNs)
}

// A robust process-shared mutex in a MAP_SHARED|MAP_ANONYMOUS page, as in
// the C loop.
func BenchmarkMutexLockUnlockRobustShared(b *testing.B) {
	cNs := syncCReference(b, "bench-mutex-pshared", "10000000")
	m, err := posix.MapAnonymous(4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	require.NoError(b, err)
	defer m.Unmap()
	mu, err := posix.InitMutexAt(m, 0, &posix.MutexAttr{Robust: true, Shared: true})
	require.NoError(b, err)
	defer mu.Close() // before the Unmap: pthread_mutex_destroy
	benchLockUnlock(b, mu, cNs)
}

// Go's own sync.Mutex, against the same C loop as BenchmarkMutexLockUnlock,
// for scale.
func BenchmarkSyncMutexLockUnlock(b *testing.B) {
	cNs := syncCReference(b, "bench-mutex", "10000000")
	var mu sync.Mutex
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mu.Lock()
		mu.Unlock() //nolint:staticcheck // an empty critical section is the point
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

// ---- Two processes contending for one mutex ---------------------------------

// The contended benchmark uses the sync area (scenario.SyncInit with robust 0:
// a process-shared mutex of the default type at 0, the uint64 counter at 384)
// and two semaphores of its own in the area's unused bytes 448..511, for the
// start handshake.
const (
	syncBenchGoOff   = 448 // sem_t, 0: the parent posts it to start the child's loop
	syncBenchDoneOff = 480 // sem_t, 0: the child posts it when ready, then when done
)

// syncBenchContendLoop is bench-contend's loop: n times {lock; counter++;
// unlock}. The counter is only touched under mu (a pthread mutex: a full
// barrier on both sides), as in C.
func syncBenchContendLoop(mu *posix.Mutex, counter *uint64, n int) error {
	for i := 0; i < n; i++ {
		if err := mu.LockTimeout(scenario.StepTimeout); err != nil {
			return err
		}
		*counter++
		if err := mu.Unlock(); err != nil {
			return err
		}
	}
	return nil
}

func syncBenchCounter(a *scenario.SyncArea) *uint64 {
	return (*uint64)(unsafe.Pointer(&a.M.Bytes()[scenario.SyncCounterOff]))
}

func init() {
	// syncbench-contend NAME N: the child of BenchmarkMutexContendedTwoProcesses.
	// It attaches to the area, posts done (ready), waits for go, runs
	// syncBenchContendLoop N times and posts done again.
	scenario.Roles["syncbench-contend"] = func(x []string) error {
		a, err := scenario.OpenSyncArea(x[0])
		if err != nil {
			return err
		}
		defer a.Close()
		start, err := posix.SemaphoreAt(a.M, syncBenchGoOff)
		if err != nil {
			return err
		}
		done, err := posix.SemaphoreAt(a.M, syncBenchDoneOff)
		if err != nil {
			return err
		}
		if err := done.Post(); err != nil {
			return err
		}
		if err := start.WaitTimeout(scenario.StepTimeout); err != nil {
			return err
		}
		if err := syncBenchContendLoop(a.Mu, syncBenchCounter(a), scenario.Atoi(x[1])); err != nil {
			return err
		}
		return done.Post()
	}
}

// BenchmarkMutexContendedTwoProcesses: this process and a child (the test
// binary in role syncbench-contend) each do b.N times {lock; counter++;
// unlock} on one process-shared mutex of the default type, concurrently;
// ns/op is the wall time until both are done / b.N, as bench-contend's.
//
// What differs from bench-contend: C forks a copy of itself, and its time
// runs from before fork() to after waitpid() (fork, the child's exit and the
// reaping are included: a few hundred µs in all). A Go child cannot be
// forked; it is exec'd and needs tens of ms to start, so the time here runs
// from the post of a start semaphore (the child is attached and waiting on
// it) to the child's post of a done semaphore after its loop, exit and
// reaping excluded; the child's wake-up on the start semaphore is included.
// The mutex is not robust in either. The Go critical section is the same
// non-atomic counter++; both goroutines are pinned to their thread only while
// holding the mutex, and a Lock that finds it busy waits in libcipc's sliced
// pthread_mutex_clocklock (C: trylock then one clocklock).
func BenchmarkMutexContendedTwoProcesses(b *testing.B) {
	cNs := syncCReference(b, "bench-contend", "200000")
	name := uniqueName()
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	require.NoError(b, err)
	defer posix.UnlinkSharedMemory(name)
	err = shm.Truncate(scenario.SyncSize) // zero-filled
	shm.Close()
	require.NoError(b, err)
	require.NoError(b, scenario.SyncInit(name, 0, 0))
	a, err := scenario.OpenSyncArea(name)
	require.NoError(b, err)
	defer a.Close()
	start, err := posix.InitSemaphoreAt(a.M, syncBenchGoOff, 0)
	require.NoError(b, err)
	defer start.Close()
	done, err := posix.InitSemaphoreAt(a.M, syncBenchDoneOff, 0)
	require.NoError(b, err)
	defer done.Close()
	counter := syncBenchCounter(a)

	child := startGo(b, "syncbench-contend", []string{name, strconv.Itoa(b.N)})
	childErr := func(err error) error {
		return fmt.Errorf("%w (child stderr: %s)", err, child.Stderr.String())
	}
	if err := done.WaitTimeout(scenario.StepTimeout); err != nil { // ready
		b.Fatal(childErr(err))
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := start.Post(); err != nil {
		b.Fatal(err)
	}
	if err := syncBenchContendLoop(a.Mu, counter, b.N); err != nil {
		b.Fatal(childErr(err))
	}
	if err := done.WaitTimeout(scenario.StepTimeout); err != nil {
		b.Fatal(childErr(err))
	}
	b.StopTimer()
	child.finish(b)
	require.Equal(b, uint64(2*b.N), a.Counter(), "counter after both loops")
	reportRatio(b, cNs)
}

// ---- Thread-local storage ----------------------------------------------------

// v.Set(v.Get()+1): a read and a write of the thread's __thread slot, two
// crossings into C, against tls_count = tls_count + 1 on a __thread volatile.
func BenchmarkThreadVarGetSet(b *testing.B) {
	cNs := syncCReference(b, "bench-tls", "10000000")
	v, err := posix.NewThreadVar()
	require.NoError(b, err)
	defer v.Close()
	var got uint64
	posix.LockedThread(func() { // clears the slot after
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			x, err := v.Get()
			if err != nil {
				b.Fatal(err)
			}
			if err := v.Set(x + 1); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		got, err = v.Get()
	})
	require.NoError(b, err)
	require.Equal(b, uint64(b.N), got)
	reportRatio(b, cNs)
}

// v.Add(1): one crossing, against the same C loop.
func BenchmarkThreadVarAdd(b *testing.B) {
	cNs := syncCReference(b, "bench-tls", "10000000")
	v, err := posix.NewThreadVar()
	require.NoError(b, err)
	defer v.Close()
	var got uint64
	posix.LockedThread(func() {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := v.Add(1); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		got, err = v.Get()
	})
	require.NoError(b, err)
	require.Equal(b, uint64(b.N), got)
	reportRatio(b, cNs)
}

// Key Get + Set(value+1), against pthread_getspecific + pthread_setspecific.
func BenchmarkKeyGetSet(b *testing.B) {
	cNs := syncCReference(b, "bench-key", "10000000")
	k, err := posix.NewKey(posix.Destructor{})
	require.NoError(b, err)
	defer k.Delete()
	var got uintptr
	posix.LockedThread(func() { // sets the value back to NULL after
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			p, err := k.Get()
			if err != nil {
				b.Fatal(err)
			}
			if err := k.Set(p + 1); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		got, err = k.Get()
	})
	require.NoError(b, err)
	require.Equal(b, uintptr(b.N), got)
	reportRatio(b, cNs)
}

// ---- Condition variable ping-pong ---------------------------------------------

// BenchmarkCondPingPong is bench-cond-pingpong: two goroutines, each locked to
// its own thread for the whole run, one private mutex, one cond and a turn.
// This goroutine locks, sets turn = 1, signals and waits until turn == 0; the
// partner locks, waits until turn == 1, sets turn = 0 and signals. ns per
// round trip. turn is only touched under mu; it is an atomic for the race
// detector, which cannot see a pthread mutex (a plain mov on amd64 anyway,
// an xchg for the store).
func BenchmarkCondPingPong(b *testing.B) {
	cNs := syncCReference(b, "bench-cond-pingpong", "20000")
	mu, err := posix.NewMutex(nil)
	require.NoError(b, err)
	defer mu.Close()
	cond, err := posix.NewCond(nil)
	require.NoError(b, err)
	defer cond.Close()
	var turn atomic.Int32
	await := func(want int32) error {
		for turn.Load() != want {
			if err := cond.WaitTimeout(mu, scenario.StepTimeout); err != nil {
				return err
			}
		}
		return nil
	}
	partner := make(chan error, 1)
	n := b.N
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		partner <- func() error {
			for i := 0; i < n; i++ {
				if err := mu.LockTimeout(scenario.StepTimeout); err != nil {
					return err
				}
				if err := await(1); err != nil {
					mu.Unlock()
					return err
				}
				turn.Store(0)
				if err := cond.Signal(); err != nil {
					mu.Unlock()
					return err
				}
				if err := mu.Unlock(); err != nil {
					return err
				}
			}
			return nil
		}()
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < n; i++ {
		if err := mu.LockTimeout(scenario.StepTimeout); err != nil {
			b.Fatal(err)
		}
		turn.Store(1)
		if err := cond.Signal(); err != nil {
			mu.Unlock()
			b.Fatal(err)
		}
		if err := await(0); err != nil {
			mu.Unlock()
			b.Fatal(err)
		}
		if err := mu.Unlock(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	require.NoError(b, <-partner)
	reportRatio(b, cNs)
}
