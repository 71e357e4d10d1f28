package tests

import (
	"context"
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/libcipc/libcipc/posix"
)

// sigbusRounds is how many times each faulting call is repeated on one
// handle: a fault must leave the thread (signal mask, alternate stack) and
// glibc fit for the next call.
func sigbusRounds() int {
	if raceEnabled {
		return 20
	}
	return 200
}

// requireEFAULT fails unless err is a *posix.Error wrapping EFAULT for op.
func requireEFAULT(t *testing.T, err error, op string) {
	t.Helper()
	require.ErrorIs(t, err, unix.EFAULT, op)
	var pe *posix.Error
	require.True(t, errors.As(err, &pe), "%T", err)
	assert.Equal(t, op, pe.Op)
}

// faultAll runs every call on s that touches the sem_t and requires EFAULT
// from each, rounds times, in this process.
func faultAll(t *testing.T, s *posix.Semaphore, rounds int) {
	t.Helper()
	for i := 0; i < rounds; i++ {
		v, err := s.Value()
		requireEFAULT(t, err, "sem_getvalue")
		assert.Equal(t, 0, v)
		requireEFAULT(t, s.Post(), "sem_post")
		requireEFAULT(t, s.TryWait(), "sem_trywait")
		requireEFAULT(t, s.WaitTimeout(time.Second), "sem_clockwait")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		requireEFAULT(t, s.WaitContext(ctx), "sem_clockwait")
		cancel()
		requireEFAULT(t, s.ClockWait(unix.CLOCK_MONOTONIC, unix.Timespec{Sec: 1 << 40}), "sem_clockwait")
	}
}

// threadMask reads the calling thread's signal mask.
func threadMask(t *testing.T) unix.Sigset_t {
	t.Helper()
	var m unix.Sigset_t
	require.NoError(t, unix.PthreadSigmask(unix.SIG_SETMASK, nil, &m))
	return m
}

// A named semaphore whose /dev/shm/sem.NAME is truncated to 0 after the open:
// in C the next sem_* call dies of SIGBUS; here each call returns EFAULT, the
// process lives, and once the file has bytes again the handle works.
func TestFaultSigbusNamedSemaphoreTruncated(t *testing.T) {
	s, name := newNamed(t, 1)
	require.NoError(t, os.Truncate(semPath(name), 0))

	// The signal mask of the faulting thread is the one it had before.
	runtime.LockOSThread()
	before := threadMask(t)
	requireEFAULT(t, s.Post(), "sem_post")
	after := threadMask(t)
	runtime.UnlockOSThread()
	assert.Equal(t, before, after, "signal mask after the fault")

	faultAll(t, s, sigbusRounds())

	// Back to a sem_t's length: the page reads as zeros, a valid sem_t
	// at 0 (glibc wrote nothing to it in the faulting calls).
	require.NoError(t, os.Truncate(semPath(name), posix.SizeofSem))
	v, err := s.Value()
	require.NoError(t, err)
	assert.Equal(t, 0, v)
	require.NoError(t, s.Post())
	require.NoError(t, s.WaitTimeout(time.Second))
	assert.ErrorIs(t, s.TryWait(), unix.EAGAIN)
}

// A semaphore placed on the second page of a shared memory object, the
// object then truncated to one page under the mapping.
func TestFaultSigbusPlacedSemaphoreTruncated(t *testing.T) {
	shm, _ := openShm(t, 8192)
	m, err := shm.Map(0, 8192, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	require.NoError(t, err)
	defer m.Unmap()
	s, err := posix.InitSemaphoreAt(m, 4096, 1)
	require.NoError(t, err)
	require.NoError(t, shm.Truncate(4096))
	faultAll(t, s, sigbusRounds())
	// A sem_t on the page that is left still works.
	other, err := posix.InitSemaphoreAt(m, 0, 2)
	require.NoError(t, err)
	require.NoError(t, other.TryWait())
	require.NoError(t, other.Close())
	require.NoError(t, shm.Truncate(8192))
	require.NoError(t, s.Post())
	v, err := s.Value()
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	require.NoError(t, s.Close())
}

// Goroutines on many threads fault at once: each gets EFAULT.
func TestFaultSigbusConcurrentFaults(t *testing.T) {
	s, name := newNamed(t, 0)
	require.NoError(t, os.Truncate(semPath(name), 0))
	const workers = 8
	done := make(chan error, workers)
	for i := 0; i < workers; i++ {
		go func() {
			for j := 0; j < sigbusRounds(); j++ {
				if err := s.Post(); !errors.Is(err, unix.EFAULT) {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for i := 0; i < workers; i++ {
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Fatal("workers did not finish")
		}
	}
}

// A waiter blocked in the C wait loop when the file is truncated: its next
// slice faults and it returns EFAULT within the slice.
func TestFaultSigbusTruncatedUnderAWaiter(t *testing.T) {
	s, name := newNamed(t, 0)
	got := make(chan error, 1)
	go func() { got <- s.WaitTimeout(5 * time.Second) }()
	time.Sleep(30 * time.Millisecond)
	start := time.Now()
	require.NoError(t, os.Truncate(semPath(name), 0))
	select {
	case err := <-got:
		requireEFAULT(t, err, "sem_clockwait")
		assert.Less(t, time.Since(start), time.Second)
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter did not return")
	}
}

var sigbusSink byte

// A SIGBUS in Go code is not the guard's: Go turns it into a panic under
// SetPanicOnFault, as before.
func TestFaultSigbusInGoCodeStillPanics(t *testing.T) {
	shm, _ := openShm(t, 8192)
	m, err := shm.Map(0, 8192, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	require.NoError(t, err)
	defer m.Unmap()
	require.NoError(t, shm.Truncate(4096))
	b := m.Bytes()
	var addr uintptr
	func() {
		old := debug.SetPanicOnFault(true)
		defer debug.SetPanicOnFault(old)
		defer func() {
			r := recover()
			require.NotNil(t, r)
			e, ok := r.(interface{ Addr() uintptr })
			require.True(t, ok, "%v", r)
			addr = e.Addr()
		}()
		sigbusSink = b[4096+8]
	}()
	assert.NotZero(t, addr)
}
