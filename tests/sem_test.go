package tests

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const rw = unix.PROT_READ | unix.PROT_WRITE

// newNamed creates a fresh named semaphore, unlinked and closed at cleanup.
func newNamed(t *testing.T, value uint32) (*posix.Semaphore, string) {
	t.Helper()
	name := uniqueName()
	s, err := posix.OpenSemaphore(name, unix.O_CREAT|unix.O_EXCL, 0o600, value)
	require.NoError(t, err)
	t.Cleanup(func() {
		s.Close()
		posix.UnlinkSemaphore(name)
	})
	return s, name
}

// newSegment creates a fresh shared memory object of size bytes mapped
// read-write and shared; it is unmapped and unlinked at cleanup.
func newSegment(t *testing.T, size int) (*posix.Mapping, string) {
	t.Helper()
	name := uniqueName()
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() { posix.UnlinkSharedMemory(name) })
	defer shm.Close()
	require.NoError(t, shm.Truncate(int64(size)))
	m, err := shm.Map(0, size, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	t.Cleanup(func() { m.Unmap() })
	return m, name
}

func errnoOf(t *testing.T, err error) unix.Errno {
	t.Helper()
	var e unix.Errno
	require.True(t, errors.As(err, &e), "not an errno: %v", err)
	return e
}

// probe parses a C peer's `result=R errno=E ename=N` line.
func probe(t *testing.T, line string) unix.Errno {
	t.Helper()
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "errno="); ok {
			n, err := strconv.Atoi(v)
			require.NoError(t, err)
			return unix.Errno(n)
		}
	}
	t.Fatalf("no errno in %q", line)
	return 0
}

// --- Seed scenarios -------------------------------------------------------

func TestMutualExclusionAcrossGoroutines(t *testing.T) {
	s, err := posix.NewSemaphore(1)
	require.NoError(t, err)
	defer s.Close()
	var inside, violations atomic.Int32
	counter := 0
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				if !assert.NoError(t, s.WaitTimeout(scenario.StepTimeout)) {
					return
				}
				if inside.Add(1) != 1 {
					violations.Add(1)
				}
				counter++ // guarded by the semaphore; -race checks it too
				inside.Add(-1)
				assert.NoError(t, s.Post())
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 16000, counter)
	assert.Zero(t, violations.Load())
	v, err := s.Value()
	require.NoError(t, err)
	assert.Equal(t, 1, v)
}

func TestMutualExclusionAcrossProcessesGoAndC(t *testing.T) {
	_, semName := newNamed(t, 1)
	m, shmName := newSegment(t, scenario.RingSize)
	const iters = 20000
	var ps []*proc
	for _, lang := range []string{"Go", "C", "Go", "C"} {
		ps = append(ps, startRole(t, lang, "mutex", semName, shmName, strconv.Itoa(iters)))
	}
	for _, p := range ps {
		assert.Equal(t, fmt.Sprintf("mutex done iters=%d", iters), p.finish(t))
	}
	counter, violations := scenario.MutexResult(m)
	assert.Equal(t, uint64(4*iters), counter, "lost updates: two processes were inside together")
	assert.Zero(t, violations)
}

// "after never runs before before": a semaphore of value 0 orders two threads.
func TestBeforeAlwaysPrecedesAfterAcrossThreads(t *testing.T) {
	for round := 0; round < 200; round++ {
		s, err := posix.NewSemaphore(0)
		require.NoError(t, err)
		var beforeDone, afterStart int64
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { // after, started first so that it usually blocks
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			assert.NoError(t, s.WaitTimeout(scenario.StepTimeout))
			afterStart = scenario.MonotonicNow()
		}()
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for j := 0; j < 1000*(round%4); j++ {
				spin++
			}
			beforeDone = scenario.MonotonicNow()
			assert.NoError(t, s.Post())
		}()
		wg.Wait()
		require.Less(t, beforeDone, afterStart, "round %d", round)
		require.NoError(t, s.Close())
	}
}

var spin int

// The seeds' process-sem-before / process-sem-after, in every pairing.
func TestNamedHandshakeBetweenProcesses(t *testing.T) {
	for _, pair := range [][2]string{{"Go", "Go"}, {"Go", "C"}, {"C", "Go"}, {"C", "C"}} {
		t.Run("before="+pair[0]+"/after="+pair[1], func(t *testing.T) {
			name := uniqueName()
			t.Cleanup(func() { posix.UnlinkSemaphore(name) })
			after := startRole(t, pair[1], "after", name, "10000")
			before := startRole(t, pair[0], "before", name, "50")
			bOut, aOut := before.finish(t), after.finish(t)
			bt, at := stamp(t, bOut, "before done"), stamp(t, aOut, "after done")
			assert.Less(t, bt, at, "after ran before before:\n%s\n%s", bOut, aOut)
			_, err := posix.OpenSemaphore(name, 0, 0, 0)
			assert.ErrorIs(t, err, os.ErrNotExist, "after must unlink the semaphore")
		})
	}
}

// stamp finds "prefix, pid=P t=T" and returns T.
func stamp(t *testing.T, out, prefix string) int64 {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, prefix) {
			i := strings.LastIndex(line, "t=")
			n, err := strconv.ParseInt(line[i+2:], 10, 64)
			require.NoError(t, err, line)
			return n
		}
	}
	t.Fatalf("no %q line in %q", prefix, out)
	return 0
}

// Producer/consumer with empty/full/mutex semaphores placed in a shared
// segment, between Go and C processes in both roles.
func TestRingBufferProducerConsumerGoAndC(t *testing.T) {
	const count = 20000
	for _, c := range []struct{ init, producer, consumer string }{
		{"Go", "Go", "C"}, {"C", "C", "Go"}, {"Go", "C", "Go"}, {"C", "Go", "C"},
	} {
		t.Run(fmt.Sprintf("init=%s/producer=%s/consumer=%s", c.init, c.producer, c.consumer), func(t *testing.T) {
			name := uniqueName()
			t.Cleanup(func() { posix.UnlinkSharedMemory(name) })
			// Start the attachers first: they wait for the initialiser's magic.
			cons := startRole(t, c.consumer, "consumer", name, strconv.Itoa(count))
			prod := startRole(t, c.producer, "producer", name, strconv.Itoa(count))
			assert.Equal(t, "ring-init done", startRole(t, c.init, "ring-init", name).finish(t))
			want := scenario.RingSum(count)
			assert.Equal(t, fmt.Sprintf("produced %d sum=%d", count, want), prod.finish(t))
			assert.Equal(t, fmt.Sprintf("consumed %d sum=%d", count, want), cons.finish(t))
		})
	}
}

// The ring's semaphores are at the documented offsets of a C struct: a Go
// process sees the values C left there.
func TestRingLayoutMatchesC(t *testing.T) {
	name := uniqueName()
	t.Cleanup(func() { posix.UnlinkSharedMemory(name) })
	startC(t, []string{"ring-init", name}).finish(t)
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR, 0)
	require.NoError(t, err)
	defer shm.Close()
	m, err := shm.Map(0, scenario.RingSize, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	defer m.Unmap()
	for off, want := range map[int]int{scenario.RingEmptyOff: scenario.RingNSlots, scenario.RingFullOff: 0, scenario.RingMutexOff: 1} {
		s, err := posix.SemaphoreAt(m, off)
		require.NoError(t, err)
		v, err := s.Value()
		require.NoError(t, err)
		assert.Equal(t, want, v, "semaphore at offset %d", off)
	}
}

// --- errno fidelity, each compared with what C gets ------------------------

func TestErrnoMatchesC(t *testing.T) {
	existing, existingName := newNamed(t, 0)
	_ = existing
	full, fullName := newNamed(t, posix.SemValueMax)
	_ = full
	missing := uniqueName()
	cases := []struct {
		name string
		want unix.Errno
		goFn func() error
		cArg []string
	}{
		{"EEXIST on O_CREAT|O_EXCL of an existing name", unix.EEXIST,
			func() error {
				_, err := posix.OpenSemaphore(existingName, unix.O_CREAT|unix.O_EXCL, 0o600, 0)
				return err
			},
			[]string{"open", existingName, "0xc0", "0600", "0"}},
		{"ENOENT opening a missing name", unix.ENOENT,
			func() error { _, err := posix.OpenSemaphore(missing, 0, 0, 0); return err },
			[]string{"open", missing, "0", "0", "0"}},
		{"EINVAL for a value above SEM_VALUE_MAX", unix.EINVAL,
			func() error {
				_, err := posix.OpenSemaphore(missing, unix.O_CREAT, 0o600, posix.SemValueMax+1)
				return err
			},
			[]string{"open", missing, "0x40", "0600", "2147483648"}},
		{"EAGAIN from sem_trywait at zero", unix.EAGAIN,
			existing.TryWait,
			[]string{"trywait", existingName}},
		{"ETIMEDOUT from sem_timedwait", unix.ETIMEDOUT,
			func() error { return existing.TimedWait(time.Now().Add(30 * time.Millisecond)) },
			[]string{"timedwait", existingName, "30"}},
		{"EOVERFLOW from sem_post at SEM_VALUE_MAX", unix.EOVERFLOW,
			full.Post,
			[]string{"post", fullName}},
		{"ENAMETOOLONG when sem.NAME exceeds NAME_MAX", unix.ENAMETOOLONG,
			func() error {
				_, err := posix.OpenSemaphore("/"+strings.Repeat("n", 253), unix.O_CREAT, 0o600, 0)
				return err
			},
			[]string{"open", "/" + strings.Repeat("n", 253), "0x40", "0600", "0"}},
		{"EINVAL for a name over glibc's limit (glibc 2.36 says EINVAL there)", unix.EINVAL,
			func() error {
				_, err := posix.OpenSemaphore("/"+strings.Repeat("n", 300), unix.O_CREAT, 0o600, 0)
				return err
			},
			[]string{"open", "/" + strings.Repeat("n", 300), "0x40", "0600", "0"}},
		{"EINVAL for a name with an inner slash", unix.EINVAL,
			func() error { _, err := posix.OpenSemaphore("/a/b", unix.O_CREAT, 0o600, 0); return err },
			[]string{"open", "/a/b", "0x40", "0600", "0"}},
		{"ENOENT unlinking a missing name", unix.ENOENT,
			func() error { return posix.UnlinkSemaphore(missing) },
			[]string{"unlink", missing}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			goErr := c.goFn()
			require.Error(t, goErr)
			cErrno := probe(t, startC(t, c.cArg).finish(t))
			assert.Equal(t, c.want, cErrno, "C got %v", cErrno)
			assert.Equal(t, cErrno, errnoOf(t, goErr), "Go: %v", goErr)
		})
	}
	// The other timed forms report the same errno.
	var mono unix.Timespec
	require.NoError(t, unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono))
	mono.Nsec += 0 // now: already expired
	assert.ErrorIs(t, existing.ClockWait(unix.CLOCK_MONOTONIC, mono), unix.ETIMEDOUT)
	assert.ErrorIs(t, existing.WaitTimeout(20*time.Millisecond), unix.ETIMEDOUT)
	assert.ErrorIs(t, existing.WaitTimeout(-time.Second), unix.ETIMEDOUT)
}

// --- bad input never crashes ---------------------------------------------

func TestNULInNameIsRejectedBeforeC(t *testing.T) {
	name := uniqueName()
	_, err := posix.OpenSemaphore(name+"\x00tail", unix.O_CREAT, 0o600, 0)
	require.ErrorIs(t, err, unix.EINVAL)
	assert.Contains(t, err.Error(), "NUL")
	// C would have truncated the name and created the prefix: we created nothing.
	_, err = posix.OpenSemaphore(name, 0, 0, 0)
	assert.ErrorIs(t, err, unix.ENOENT)
	assert.ErrorIs(t, posix.UnlinkSemaphore("/x\x00y"), unix.EINVAL)
}

func TestUseAfterCloseAndDoubleClose(t *testing.T) {
	named, _ := newNamed(t, 1)
	heap, err := posix.NewSemaphore(1)
	require.NoError(t, err)
	m, err := posix.MapAnonymous(4096, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	defer m.Unmap()
	placed, err := posix.InitSemaphoreAt(m, 0, 1)
	require.NoError(t, err)
	for _, s := range []*posix.Semaphore{named, heap, placed} {
		require.NoError(t, s.Close())
		assert.ErrorIs(t, s.Close(), os.ErrClosed)
		assert.ErrorIs(t, s.Post(), os.ErrClosed)
		assert.ErrorIs(t, s.TryWait(), os.ErrClosed)
		assert.ErrorIs(t, s.Wait(), os.ErrClosed)
		assert.ErrorIs(t, s.TimedWait(time.Now().Add(time.Second)), os.ErrClosed)
		assert.ErrorIs(t, s.WaitTimeout(time.Second), os.ErrClosed)
		assert.ErrorIs(t, s.WaitContext(context.Background()), os.ErrClosed)
		_, err := s.Value()
		assert.ErrorIs(t, err, os.ErrClosed)
	}
}

func TestNilSemaphoreMethodsReturnErrInvalid(t *testing.T) {
	var s *posix.Semaphore
	assert.ErrorIs(t, s.Post(), os.ErrInvalid)
	assert.ErrorIs(t, s.TryWait(), os.ErrInvalid)
	assert.ErrorIs(t, s.Wait(), os.ErrInvalid)
	assert.ErrorIs(t, s.TimedWait(time.Now()), os.ErrInvalid)
	assert.ErrorIs(t, s.ClockWait(unix.CLOCK_MONOTONIC, unix.Timespec{}), os.ErrInvalid)
	assert.ErrorIs(t, s.WaitTimeout(time.Second), os.ErrInvalid)
	assert.ErrorIs(t, s.WaitContext(context.Background()), os.ErrInvalid)
	assert.ErrorIs(t, s.Close(), os.ErrInvalid)
	_, err := s.Value()
	assert.ErrorIs(t, err, os.ErrInvalid)
	assert.Equal(t, "", s.Name())
	_, err = posix.InitSemaphoreAt(nil, 0, 0)
	assert.ErrorIs(t, err, os.ErrInvalid)
	_, err = posix.SemaphoreAt(nil, 0)
	assert.ErrorIs(t, err, os.ErrInvalid)
}

func TestCloseWakesBlockedWaiters(t *testing.T) {
	for _, kind := range []string{"named", "heap", "placed"} {
		t.Run(kind, func(t *testing.T) {
			var s *posix.Semaphore
			switch kind {
			case "named":
				s, _ = newNamed(t, 0)
			case "heap":
				var err error
				s, err = posix.NewSemaphore(0)
				require.NoError(t, err)
			case "placed":
				m, _ := newSegment(t, 4096)
				var err error
				s, err = posix.InitSemaphoreAt(m, 64, 0)
				require.NoError(t, err)
			}
			const n = 10
			errs := make(chan error, n)
			for i := 0; i < n; i++ {
				go func() {
					switch i % 3 {
					case 0:
						errs <- s.Wait()
					case 1:
						errs <- s.WaitTimeout(time.Minute)
					default:
						errs <- s.WaitContext(context.Background())
					}
				}()
			}
			waitBlocked(t, s, n)
			start := time.Now()
			require.NoError(t, s.Close())
			for i := 0; i < n; i++ {
				select {
				case err := <-errs:
					assert.ErrorIs(t, err, os.ErrClosed)
				case <-time.After(5 * time.Second):
					t.Fatal("a waiter did not return after Close")
				}
			}
			t.Logf("all %d waiters returned %v after Close", n, time.Since(start))
		})
	}
}

// waitBlocked gives n goroutines time to block on s (their state is not
// observable; a short settle is enough for the test's purpose, which only
// needs them to be waiting in Go or in C when Close comes).
func waitBlocked(t *testing.T, s *posix.Semaphore, n int) {
	t.Helper()
	time.Sleep(50 * time.Millisecond)
	v, err := s.Value()
	require.NoError(t, err)
	require.Zero(t, v)
}

func TestUnmapClosesPlacedSemaphores(t *testing.T) {
	m, err := posix.MapAnonymous(4096, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	s, err := posix.InitSemaphoreAt(m, 0, 0)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	time.Sleep(30 * time.Millisecond)
	require.NoError(t, m.Unmap())
	select {
	case err := <-done:
		assert.ErrorIs(t, err, os.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("waiter not released by Unmap")
	}
	assert.ErrorIs(t, s.Post(), os.ErrClosed)
	assert.ErrorIs(t, m.Unmap(), os.ErrClosed)
	assert.Nil(t, m.Bytes())
	_, err = posix.SemaphoreAt(m, 0)
	assert.ErrorIs(t, err, os.ErrClosed)
}

func TestPlacementChecks(t *testing.T) {
	m, err := posix.MapAnonymous(4096, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	defer m.Unmap()
	for _, off := range []int{-8, 4096, 4096 - posix.SizeofSem + 8, 4} {
		_, err := posix.InitSemaphoreAt(m, off, 0)
		assert.ErrorIs(t, err, unix.EINVAL, "offset %d", off)
		_, err = posix.SemaphoreAt(m, off)
		assert.ErrorIs(t, err, unix.EINVAL, "offset %d", off)
	}
	s, err := posix.InitSemaphoreAt(m, 4096-posix.SizeofSem, 3)
	require.NoError(t, err)
	v, err := s.Value()
	require.NoError(t, err)
	assert.Equal(t, 3, v)

	ro, err := posix.MapAnonymous(4096, unix.PROT_READ, unix.MAP_SHARED)
	require.NoError(t, err)
	defer ro.Unmap()
	_, err = posix.InitSemaphoreAt(ro, 0, 0)
	assert.ErrorIs(t, err, unix.EACCES)

	// A mapping longer than the object behind it: the bytes past the end
	// would raise SIGBUS; we refuse them with EFAULT.
	name := uniqueName()
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	require.NoError(t, err)
	defer posix.UnlinkSharedMemory(name)
	defer shm.Close()
	short, err := shm.Map(0, 4096, rw, unix.MAP_SHARED) // size 0
	require.NoError(t, err)
	defer short.Unmap()
	_, err = posix.InitSemaphoreAt(short, 0, 0)
	assert.ErrorIs(t, err, unix.EFAULT)
	_, err = posix.SemaphoreAt(short, 0)
	assert.ErrorIs(t, err, unix.EFAULT)
}

// A zero-length /dev/shm/sem.NAME (planted, or left by a crash): glibc maps it
// and a C program dies of SIGBUS on first use; we return an error.
func TestZeroLengthSemaphoreFileIsAnError(t *testing.T) {
	name := uniqueName()
	path := "/dev/shm/sem." + strings.TrimPrefix(name, "/")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	t.Cleanup(func() { os.Remove(path) })
	s, err := posix.OpenSemaphore(name, 0, 0, 0)
	require.Error(t, err)
	assert.Nil(t, s)
	assert.ErrorIs(t, err, unix.EFAULT)
	assert.Contains(t, err.Error(), "shorter than a sem_t")
	// O_CREAT without O_EXCL opens the existing file too: same answer.
	_, err = posix.OpenSemaphore(name, unix.O_CREAT, 0o600, 1)
	assert.ErrorIs(t, err, unix.EFAULT)
}

func TestUnlinkWhileOpen(t *testing.T) {
	s, name := newNamed(t, 0)
	require.NoError(t, posix.UnlinkSemaphore(name))
	require.NoError(t, s.Post())
	require.NoError(t, s.WaitTimeout(time.Second))
	_, err := posix.OpenSemaphore(name, 0, 0, 0)
	assert.ErrorIs(t, err, unix.ENOENT)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// --- blocking forms ----------------------------------------------------------

func TestTimedFormsSucceedWhenPosted(t *testing.T) {
	s, err := posix.NewSemaphore(0)
	require.NoError(t, err)
	defer s.Close()
	go func() {
		time.Sleep(20 * time.Millisecond)
		for i := 0; i < 4; i++ {
			s.Post()
		}
	}()
	require.NoError(t, s.TimedWait(time.Now().Add(10*time.Second)))
	var mono unix.Timespec
	require.NoError(t, unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono))
	mono.Sec += 10
	require.NoError(t, s.ClockWait(unix.CLOCK_MONOTONIC, mono))
	require.NoError(t, s.WaitTimeout(10*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.WaitContext(ctx))
}

// Far-away deadlines wait (they do not overflow into the past).
func TestFarDeadlinesDoNotOverflow(t *testing.T) {
	s, err := posix.NewSemaphore(0)
	require.NoError(t, err)
	defer s.Close()
	waits := map[string]func() error{
		"WaitTimeout(MaxInt64)":      func() error { return s.WaitTimeout(math.MaxInt64) },
		"ClockWait(MONOTONIC, 2^62)": func() error { return s.ClockWait(unix.CLOCK_MONOTONIC, unix.Timespec{Sec: 1 << 62}) },
		"ClockWait(REALTIME, 2^62)":  func() error { return s.ClockWait(unix.CLOCK_REALTIME, unix.Timespec{Sec: 1 << 62}) },
		"TimedWait(year 200000)":     func() error { return s.TimedWait(time.Date(200000, 1, 1, 0, 0, 0, 0, time.UTC)) },
	}
	for name, wait := range waits {
		done := make(chan error, 1)
		go func() { done <- wait() }()
		select {
		case err := <-done:
			t.Fatalf("%s returned before any post: %v", name, err)
		case <-time.After(50 * time.Millisecond):
		}
		require.NoError(t, s.Post())
		select {
		case err := <-done:
			assert.NoError(t, err, name)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not return after a post", name)
		}
	}
	// And deadlines far in the past time out at once.
	assert.ErrorIs(t, s.ClockWait(unix.CLOCK_MONOTONIC, unix.Timespec{Sec: -1 << 62}), unix.ETIMEDOUT)
	assert.ErrorIs(t, s.WaitTimeout(math.MinInt64), unix.ETIMEDOUT)
}

// sem_clockwait's argument checks, exactly where glibc 2.36 makes them: an
// unsupported clock or a tv_nsec outside [0, 1e9) is EINVAL before the
// semaphore is tried, so even an available semaphore is not decremented (C:
// sem_clockwait(&s, CLOCK_MONOTONIC, &(struct timespec){0, 2000000000}) on a
// semaphore of value 1 returns -1/EINVAL and leaves the value at 1).
func TestClockWaitArgumentChecksFollowGlibc(t *testing.T) {
	s, err := posix.NewSemaphore(1)
	require.NoError(t, err)
	defer s.Close()
	for _, c := range []struct {
		clock int32
		abs   unix.Timespec
	}{
		{unix.CLOCK_BOOTTIME, unix.Timespec{Sec: 1 << 40}},
		{unix.CLOCK_MONOTONIC, unix.Timespec{Nsec: 2e9}},
		{unix.CLOCK_REALTIME, unix.Timespec{Sec: 1 << 40, Nsec: -1}},
	} {
		assert.ErrorIs(t, s.ClockWait(c.clock, c.abs), unix.EINVAL, "%+v", c)
		v, _ := s.Value()
		assert.Equal(t, 1, v, "an invalid deadline must not decrement (%+v)", c)
	}
	assert.NoError(t, s.ClockWait(unix.CLOCK_MONOTONIC, unix.Timespec{}), "a past deadline still tries once")
	assert.ErrorIs(t, s.ClockWait(unix.CLOCK_MONOTONIC, unix.Timespec{}), unix.ETIMEDOUT)
	assert.ErrorIs(t, s.TimedWait(time.Unix(0, 0)), unix.ETIMEDOUT)
	assert.ErrorIs(t, s.TimedWait(time.Time{}), unix.ETIMEDOUT)
}

func TestWaitContextCancellation(t *testing.T) {
	s, err := posix.NewSemaphore(0)
	require.NoError(t, err)
	defer s.Close()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, s.Post())
	err = s.WaitContext(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	v, _ := s.Value()
	assert.Equal(t, 1, v, "a cancelled context must not consume a unit")
	require.NoError(t, s.TryWait())

	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.WaitContext(ctx) }()
	time.Sleep(30 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
		t.Logf("cancellation seen after %v", time.Since(start))
	case <-time.After(5 * time.Second):
		t.Fatal("WaitContext did not return after cancel")
	}

	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err = s.WaitContext(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, os.IsTimeout(err))
}

// --- errors ------------------------------------------------------------------

func TestErrorsReadAndMatchLikeTheOSPackage(t *testing.T) {
	s, name := newNamed(t, 0)
	_, err := posix.OpenSemaphore(name, unix.O_CREAT|unix.O_EXCL, 0o600, 0)
	assert.Equal(t, "sem_open "+name+": file exists", err.Error())
	assert.ErrorIs(t, err, unix.EEXIST)
	assert.ErrorIs(t, err, os.ErrExist)
	var pe *posix.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "sem_open", pe.Op)
	assert.Equal(t, name, pe.Name)
	assert.Equal(t, unix.EEXIST, pe.Err)

	err = s.WaitTimeout(time.Millisecond)
	assert.ErrorIs(t, err, unix.ETIMEDOUT)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.True(t, os.IsTimeout(err))

	err = s.TryWait()
	assert.ErrorIs(t, err, unix.EAGAIN)
	assert.False(t, os.IsTimeout(err), "EAGAIN is not a timeout")
	assert.NotErrorIs(t, err, os.ErrDeadlineExceeded)

	if os.Geteuid() != 0 {
		return
	}
	assert.Equal(t, "Permission denied", posix.Strerror(unix.EACCES))
	assert.Equal(t, "Unknown error 9999", posix.Strerror(9999))
}

// --- scale and soak ------------------------------------------------------------

func threads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no Threads line")
	return 0
}

func TestTwoThousandWaitersUseFewThreadsAndEachWakesOnce(t *testing.T) {
	s, _ := newNamed(t, 0)
	const n = 2000
	var woken atomic.Int32
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			err := s.WaitTimeout(time.Minute)
			if err == nil {
				woken.Add(1)
			}
			errs <- err
		}()
	}
	time.Sleep(200 * time.Millisecond)
	// The thread bound is asserted in a fresh process (TestBlockedGoroutinesHoldFewThreads).
	t.Logf("OS threads of this test process with %d goroutines blocked in Wait: %d", n, threads(t))
	for i := 0; i < n; i++ {
		require.NoError(t, s.Post())
	}
	for i := 0; i < n; i++ {
		select {
		case err := <-errs:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of %d waiters woke", woken.Load(), n)
		}
	}
	assert.Equal(t, int32(n), woken.Load())
	v, err := s.Value()
	require.NoError(t, err)
	assert.Zero(t, v, "every post was consumed exactly once")
}

// The bound is per process too: 100 semaphores with 20 waiters each.
func TestWaitersOnManySemaphoresUseFewThreads(t *testing.T) {
	const handles, per = 100, 20
	sems := make([]*posix.Semaphore, handles)
	for i := range sems {
		s, err := posix.NewSemaphore(0)
		require.NoError(t, err)
		defer s.Close()
		sems[i] = s
	}
	errs := make(chan error, handles*per)
	for _, s := range sems {
		for j := 0; j < per; j++ {
			go func() { errs <- s.WaitTimeout(time.Minute) }()
		}
	}
	time.Sleep(200 * time.Millisecond)
	t.Logf("OS threads of this test process with %d goroutines blocked on %d semaphores: %d", handles*per, handles, threads(t))
	for _, s := range sems {
		for j := 0; j < per; j++ {
			require.NoError(t, s.Post())
		}
	}
	for i := 0; i < handles*per; i++ {
		select {
		case err := <-errs:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Fatalf("%d waiters still blocked", handles*per-i)
		}
	}
}

func rssKiB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			require.NoError(t, err)
			return n
		}
	}
	return 0
}

// An unreachable handle is cleaned up: a named semaphore is sem_close'd (its
// mapping of /dev/shm/sem.NAME goes away), a shared memory descriptor closed.
// Names are never unlinked by a cleanup.
func TestUnreachableHandlesAreClosedNotUnlinked(t *testing.T) {
	semName, shmName := uniqueName(), uniqueName()
	t.Cleanup(func() { posix.UnlinkSemaphore(semName); posix.UnlinkSharedMemory(shmName) })
	mapped := func() bool {
		b, err := os.ReadFile("/proc/self/maps")
		require.NoError(t, err)
		return strings.Contains(string(b), "/dev/shm/sem."+strings.TrimPrefix(semName, "/"))
	}
	created, err := posix.OpenSemaphore(semName, unix.O_CREAT|unix.O_EXCL, 0o600, 0)
	require.NoError(t, err)
	require.NoError(t, created.Close()) // glibc maps a created one under a temporary name
	fds := len(openFds())
	func() {
		s, err := posix.OpenSemaphore(semName, 0, 0, 0)
		require.NoError(t, err)
		_, err = posix.OpenSharedMemory(shmName, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
		require.NoError(t, err)
		require.NoError(t, s.Post())
	}()
	require.True(t, mapped())
	require.Eventually(t, func() bool {
		runtime.GC()
		return !mapped() && len(openFds()) == fds
	}, 5*time.Second, 10*time.Millisecond, "cleanups did not run")
	s, err := posix.OpenSemaphore(semName, 0, 0, 0)
	require.NoError(t, err, "a cleanup must never unlink")
	defer s.Close()
	v, err := s.Value()
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	shm, err := posix.OpenSharedMemory(shmName, unix.O_RDWR, 0)
	require.NoError(t, err)
	require.NoError(t, shm.Close())
}

// Zero values (not made by a constructor) are refused like nil handles.
func TestZeroValueHandlesReturnErrInvalid(t *testing.T) {
	var s posix.Semaphore
	assert.ErrorIs(t, s.Post(), os.ErrInvalid)
	assert.ErrorIs(t, s.TryWait(), os.ErrInvalid)
	assert.ErrorIs(t, s.Wait(), os.ErrInvalid)
	assert.ErrorIs(t, s.Close(), os.ErrInvalid)
	_, err := s.Value()
	assert.ErrorIs(t, err, os.ErrInvalid)
	var m posix.Mapping
	assert.ErrorIs(t, m.Unmap(), os.ErrInvalid)
	assert.Nil(t, m.Bytes())
	_, err = posix.InitSemaphoreAt(&m, 0, 0)
	assert.ErrorIs(t, err, os.ErrInvalid)
	var shm posix.SharedMemory
	assert.ErrorIs(t, shm.Close(), os.ErrInvalid)
	assert.ErrorIs(t, shm.Truncate(1), os.ErrInvalid)
	assert.Equal(t, -1, shm.Fd())
	_, err = shm.Map(0, 4096, rw, unix.MAP_SHARED)
	assert.ErrorIs(t, err, os.ErrInvalid)
}

// Unmap racing a Close of a semaphore placed in the mapping, while a waiter
// is inside sem_clockwait: Unmap must not munmap before the waiter has left C
// (it crashed with SIGSEGV when the losing closer returned at once).
func TestUnmapRacingCloseWithWaiterInC(t *testing.T) {
	for i := 0; i < 30; i++ {
		m, err := posix.MapAnonymous(4096, rw, unix.MAP_SHARED)
		require.NoError(t, err)
		s, err := posix.InitSemaphoreAt(m, 0, 0)
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- s.Wait() }()
		time.Sleep(2 * time.Millisecond)
		go s.Close()
		require.NoError(t, m.Unmap())
		select {
		case err := <-done:
			require.ErrorIs(t, err, os.ErrClosed)
		case <-time.After(5 * time.Second):
			t.Fatal("waiter not released")
		}
	}
}

// WaitTimeout's deadline is fixed when the call starts, even when the call
// first waits in Go for a slot: with 400 goroutines queued ahead, 4 at a time in
// C for 10 ms each, the call reaches C about a second after it started.
func TestWaitTimeoutDeadlineStartsWithTheCall(t *testing.T) {
	s, err := posix.NewSemaphore(0)
	require.NoError(t, err)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	const ahead = 400
	busy := make(chan error, ahead)
	for i := 0; i < ahead; i++ {
		go func() { busy <- s.WaitContext(ctx) }()
	}
	time.Sleep(50 * time.Millisecond)
	go func() {
		time.Sleep(1300 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	err = s.WaitTimeout(1500 * time.Millisecond)
	elapsed := time.Since(start)
	assert.ErrorIs(t, err, unix.ETIMEDOUT)
	// A deadline restarted when the call entered C ended near 2.5 s.
	assert.Less(t, elapsed, 2200*time.Millisecond, "deadline restarted when the call entered C")
	for i := 0; i < ahead; i++ {
		assert.ErrorIs(t, <-busy, context.Canceled)
	}
}
