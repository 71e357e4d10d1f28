package tests

import (
	"context"
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
	"time"
	"unsafe"

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
	var s *posix.Semaphore
	m, _, restore := placedOnTruncatedPage(t, func(m *posix.Mapping) {
		var err error
		s, err = posix.InitSemaphoreAt(m, 4096, 1)
		require.NoError(t, err)
	})
	faultAll(t, s, sigbusRounds())
	// A sem_t on the page that is left still works.
	other, err := posix.InitSemaphoreAt(m, 0, 2)
	require.NoError(t, err)
	require.NoError(t, other.TryWait())
	require.NoError(t, other.Close())
	restore()
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

// placedOnTruncatedPage maps an 8192-byte shared memory object, lets place
// put an object at offset 4096, then truncates the object to one page under
// the mapping. restore puts the second page back (zeros).
func placedOnTruncatedPage(t *testing.T, place func(m *posix.Mapping)) (m *posix.Mapping, shm *posix.SharedMemory, restore func()) {
	t.Helper()
	shm, _ = openShm(t, 8192)
	m, err := shm.Map(0, 8192, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	require.NoError(t, err)
	t.Cleanup(func() {
		// A test may have unmapped it already; any other error is a hold
		// left behind.
		if err := m.Unmap(); !errors.Is(err, os.ErrClosed) {
			assert.NoError(t, err)
		}
	})
	place(m)
	require.NoError(t, shm.Truncate(4096))
	return m, shm, func() { require.NoError(t, shm.Truncate(8192)) }
}

// onOwnThread runs f on a fresh goroutine pinned to a thread other than the
// main one and reports whether f left the goroutine pinned: the goroutine
// unpins once after f, and a goroutine that exits still pinned takes its
// thread with it, while an unpinned one leaves it to the runtime (window: how
// long to wait for the thread to go).
func onOwnThread(t *testing.T, window time.Duration, f func()) (pinned bool) {
	t.Helper()
	task := "/proc/self/task/" + strconv.Itoa(onOtherThread(t, true, f))
	deadline := time.Now().Add(window)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(task); err != nil {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// faultMutex runs every call on mu that touches the pthread_mutex_t and
// requires EFAULT from each, rounds times; none pins the goroutine.
func faultMutex(t *testing.T, mu *posix.Mutex, rounds int) {
	t.Helper()
	for i := 0; i < rounds; i++ {
		requireEFAULT(t, mu.Lock(), "pthread_mutex_lock")
		requireEFAULT(t, mu.TryLock(), "pthread_mutex_trylock")
		requireEFAULT(t, mu.LockTimeout(time.Second), "pthread_mutex_clocklock")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		requireEFAULT(t, mu.LockContext(ctx), "pthread_mutex_clocklock")
		cancel()
		requireEFAULT(t, mu.TimedLock(time.Now().Add(time.Second)), "pthread_mutex_timedlock")
		requireEFAULT(t, mu.ClockLock(unix.CLOCK_MONOTONIC, unix.Timespec{Sec: 1 << 40}), "pthread_mutex_clocklock")
		requireEFAULT(t, mu.Unlock(), "pthread_mutex_unlock")
		requireEFAULT(t, mu.Consistent(), "pthread_mutex_consistent")
	}
}

// Mutexes placed on a page truncated under the mapping: in C the next call
// dies of SIGBUS; here each returns EFAULT, pins nothing, counts no hold (the
// mapping unmaps), and the mutex works once the page is back.
func TestFaultSigbusPlacedMutexTruncated(t *testing.T) {
	for _, tc := range []struct {
		name string
		attr posix.MutexAttr
	}{
		{"normal", posix.MutexAttr{Type: posix.MutexNormal}},
		{"errorcheck", posix.MutexAttr{Type: posix.MutexErrorCheck}},
		{"robust", posix.MutexAttr{Type: posix.MutexErrorCheck, Robust: true}},
		{"recursive", posix.MutexAttr{Type: posix.MutexRecursive}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu *posix.Mutex
			m, _, restore := placedOnTruncatedPage(t, func(m *posix.Mapping) {
				var err error
				mu, err = posix.InitMutexAt(m, 4096, &tc.attr)
				require.NoError(t, err)
			})
			runtime.LockOSThread()
			before := threadMask(t)
			requireEFAULT(t, mu.Lock(), "pthread_mutex_lock")
			after := threadMask(t)
			runtime.UnlockOSThread()
			assert.Equal(t, before, after, "signal mask after the fault")

			pinned := onOwnThread(t, 500*time.Millisecond, func() { faultMutex(t, mu, sigbusRounds()) })
			assert.False(t, pinned, "a faulting call left the goroutine pinned")

			// A robust mutex on the page that is left still works (its lock
			// and unlock overwrite the list_op_pending the fault left).
			other, err := posix.InitMutexAt(m, 0, &posix.MutexAttr{Robust: true})
			require.NoError(t, err)
			require.NoError(t, other.Lock())
			require.NoError(t, other.Unlock())
			require.NoError(t, other.Close())

			restore()
			// The page reads as zeros: an unlocked normal mutex to glibc
			// (the kind was on the vanished page).
			require.NoError(t, mu.Lock())
			require.NoError(t, mu.Unlock())
			require.NoError(t, mu.Close())
			require.NoError(t, m.Unmap(), "no hold was counted")
		})
	}
}

// A thread whose robust lock faulted exits with glibc's list_op_pending
// pointing into the vanished page: the kernel's robust-list walk skips the
// unreadable futex word and the process lives.
func TestFaultSigbusRobustPendingAtThreadExit(t *testing.T) {
	var mu *posix.Mutex
	_, _, restore := placedOnTruncatedPage(t, func(m *posix.Mapping) {
		var err error
		mu, err = posix.InitMutexAt(m, 4096, &posix.MutexAttr{Robust: true})
		require.NoError(t, err)
	})
	pinned := onOwnThread(t, 5*time.Second, func() {
		runtime.LockOSThread() // the thread exits with the goroutine
		requireEFAULT(t, mu.Lock(), "pthread_mutex_lock")
	})
	require.True(t, pinned, "the pinned goroutine's thread exited")
	requireEFAULT(t, mu.TryLock(), "pthread_mutex_trylock")
	restore() // Close (pthread_mutex_destroy) is not guarded
	require.NoError(t, mu.Close())
}

// A waiter blocked in the C wait loop of a placed mutex when the page is
// truncated returns EFAULT within a slice.
func TestFaultSigbusMutexTruncatedUnderAWaiter(t *testing.T) {
	shm, _ := openShm(t, 8192)
	m, err := shm.Map(0, 8192, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	require.NoError(t, err)
	defer m.Unmap()
	mu, err := posix.InitMutexAt(m, 4096, nil)
	require.NoError(t, err)
	// Locked by nobody in this process: glibc's lock word (offset 0) set
	// as another process's lock would set it.
	m.Bytes()[4096] = 1
	got := make(chan error, 1)
	go func() { got <- mu.LockTimeout(5 * time.Second) }()
	time.Sleep(30 * time.Millisecond)
	start := time.Now()
	require.NoError(t, shm.Truncate(4096))
	select {
	case err := <-got:
		requireEFAULT(t, err, "pthread_mutex_clocklock")
		assert.Less(t, time.Since(start), time.Second)
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter did not return")
	}
	require.NoError(t, shm.Truncate(8192))
	require.NoError(t, mu.Close())
}

// A spin lock placed on a truncated page: EFAULT from every call.
func TestFaultSigbusPlacedSpinLockTruncated(t *testing.T) {
	var s *posix.SpinLock
	_, _, restore := placedOnTruncatedPage(t, func(m *posix.Mapping) {
		var err error
		s, err = posix.InitSpinLockAt(m, 4096)
		require.NoError(t, err)
	})
	for i := 0; i < sigbusRounds(); i++ {
		requireEFAULT(t, s.Lock(), "pthread_spin_lock")
		requireEFAULT(t, s.TryLock(), "pthread_spin_trylock")
		requireEFAULT(t, s.Unlock(), "pthread_spin_unlock")
	}
	restore()
	// The page is back as zeros, which glibc's x86-64 spin lock reads as
	// held (it writes 1 for unlocked); an unlock makes it usable again.
	require.NoError(t, s.Unlock())
	require.NoError(t, s.TryLock())
	require.NoError(t, s.Unlock())
	require.NoError(t, s.Close())
}

// An rwlock placed on a truncated page: EFAULT from every call, no pin;
// a writer blocked in the C wait loop returns EFAULT within a slice.
func TestFaultSigbusPlacedRWLockTruncated(t *testing.T) {
	var l *posix.RWLock
	_, shm, restore := placedOnTruncatedPage(t, func(m *posix.Mapping) {
		var err error
		l, err = posix.InitRWLockAt(m, 4096, nil)
		require.NoError(t, err)
	})
	pinned := onOwnThread(t, 500*time.Millisecond, func() {
		for i := 0; i < sigbusRounds(); i++ {
			requireEFAULT(t, l.RLock(), "pthread_rwlock_rdlock")
			requireEFAULT(t, l.TryRLock(), "pthread_rwlock_tryrdlock")
			requireEFAULT(t, l.RLockTimeout(time.Second), "pthread_rwlock_clockrdlock")
			requireEFAULT(t, l.Lock(), "pthread_rwlock_wrlock")
			requireEFAULT(t, l.TryLock(), "pthread_rwlock_trywrlock")
			requireEFAULT(t, l.LockTimeout(time.Second), "pthread_rwlock_clockwrlock")
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			requireEFAULT(t, l.LockContext(ctx), "pthread_rwlock_clockwrlock")
			cancel()
			requireEFAULT(t, l.Unlock(), "pthread_rwlock_unlock")
			requireEFAULT(t, l.RUnlock(), "pthread_rwlock_unlock")
		}
	})
	assert.False(t, pinned, "a faulting call left the goroutine pinned")

	restore()
	require.NoError(t, l.RLock()) // a reader of this process holds it
	got := make(chan error, 1)
	go func() { got <- l.LockTimeout(5 * time.Second) }()
	time.Sleep(30 * time.Millisecond)
	require.NoError(t, shm.Truncate(4096))
	select {
	case err := <-got:
		requireEFAULT(t, err, "pthread_rwlock_clockwrlock")
	case <-time.After(10 * time.Second):
		t.Fatal("the writer did not return")
	}
	restore()
	require.NoError(t, l.Close())
}

// Close of a pthread object placed (InitXAt) on a page truncated under the
// mapping: pthread_mutex_destroy, pthread_cond_destroy and
// pthread_barrier_destroy read the object and would fault in libc; the guard
// makes it EFAULT, the handle is closed all the same (a second Close says
// os.ErrClosed), and the process lives. Before, Mutex.Close died of SIGBUS in
// libcipc_mutex_destroy. glibc 2.36's pthread_rwlock_destroy and
// pthread_spin_destroy touch nothing: nil, as in C.
func TestFaultSigbusCloseOnATruncatedPage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		op    string
		place func(t *testing.T, m *posix.Mapping) interface{ Close() error }
	}{
		{"mutex", "pthread_mutex_destroy", func(t *testing.T, m *posix.Mapping) interface{ Close() error } {
			x, err := posix.InitMutexAt(m, 4096, nil)
			require.NoError(t, err)
			return x
		}},
		{"cond", "pthread_cond_destroy", func(t *testing.T, m *posix.Mapping) interface{ Close() error } {
			x, err := posix.InitCondAt(m, 4096, nil)
			require.NoError(t, err)
			return x
		}},
		{"rwlock", "pthread_rwlock_destroy", func(t *testing.T, m *posix.Mapping) interface{ Close() error } {
			x, err := posix.InitRWLockAt(m, 4096, nil)
			require.NoError(t, err)
			return x
		}},
		{"barrier", "pthread_barrier_destroy", func(t *testing.T, m *posix.Mapping) interface{ Close() error } {
			x, err := posix.InitBarrierAt(m, 4096, 2)
			require.NoError(t, err)
			return x
		}},
		{"spin", "pthread_spin_destroy", func(t *testing.T, m *posix.Mapping) interface{ Close() error } {
			x, err := posix.InitSpinLockAt(m, 4096)
			require.NoError(t, err)
			return x
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var obj interface{ Close() error }
			placedOnTruncatedPage(t, func(m *posix.Mapping) { obj = tc.place(t, m) })
			if tc.name == "rwlock" || tc.name == "spin" {
				require.NoError(t, obj.Close())
			} else {
				requireEFAULT(t, obj.Close(), tc.op)
			}
			assert.ErrorIs(t, obj.Close(), os.ErrClosed)
		})
	}
}

// futexFailsHere makes every futex call of the calling thread on the bytes
// [addr, addr+size) fail with EFAULT, by a seccomp filter on this thread
// alone: the kernel's answer when the page under an object vanishes between
// glibc's own access to it and glibc's futex call. The thread must end after
// (exitLockedThread). The range must not cross a 4 GiB boundary.
func futexFailsHere(addr, size uintptr) error {
	const (
		ld  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jge = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
		ret = unix.BPF_RET | unix.BPF_K
	)
	// struct seccomp_data: nr at 0, args[0] at 16 (low word) and 20.
	prog := []unix.SockFilter{
		{Code: ld, K: 0},
		{Code: jeq, K: unix.SYS_FUTEX, Jf: 6},
		{Code: ld, K: 20},
		{Code: jeq, K: uint32(addr >> 32), Jf: 4},
		{Code: ld, K: 16},
		{Code: jge, K: uint32(addr), Jf: 2},
		{Code: jge, K: uint32(addr + size), Jt: 1},
		{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EFAULT)},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
	}
	if uint32(addr>>32) != uint32((addr+size-1)>>32) {
		return errors.New("range crosses a 4 GiB boundary")
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog))); e != 0 {
		return e
	}
	return nil
}

// A placed object's page vanishes between glibc's access to it and glibc's
// futex call: the kernel answers that call EFAULT (not SIGBUS), and glibc
// aborts the process ("The futex facility returned an unexpected error
// code"). A real truncation hits that window rarely (it killed CI once, in
// TestFaultSigbusMutexTruncatedUnderAWaiter); a seccomp filter gives the
// kernel's answer every time. Every blocking call that reaches the futex
// returns EFAULT instead, and the thread (its signal mask included) stays fit
// for the next call.
func TestFaultSigbusFutexEFAULTIsAnErrorNotAnAbort(t *testing.T) {
	shm, _ := openShm(t, 8192)
	m, err := shm.Map(0, 8192, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	require.NoError(t, err)
	defer m.Unmap()
	b := m.Bytes()
	s, err := posix.InitSemaphoreAt(m, 0, 0)
	require.NoError(t, err)
	mu, err := posix.InitMutexAt(m, 4096, nil)
	require.NoError(t, err)
	rmu, err := posix.InitMutexAt(m, 6144, &posix.MutexAttr{Robust: true})
	require.NoError(t, err)
	// Locked by another process, as glibc marks a lock (owner tid 1).
	b[4096], b[6144] = 1, 1
	var filterErr error
	var errs [6]error
	var before, after unix.Sigset_t
	exitLockedThread(t, func() {
		if filterErr = futexFailsHere(uintptr(unsafe.Pointer(&b[0])), 8192); filterErr != nil {
			return
		}
		unix.PthreadSigmask(unix.SIG_SETMASK, nil, &before)
		errs[0] = s.Wait()
		errs[1] = s.WaitTimeout(time.Minute)
		errs[2] = mu.Lock()
		errs[3] = mu.LockTimeout(time.Minute)
		errs[4] = rmu.Lock()
		errs[5] = rmu.LockTimeout(time.Minute)
		unix.PthreadSigmask(unix.SIG_SETMASK, nil, &after)
	})
	require.NoError(t, filterErr)
	for i, op := range []string{"sem_wait", "sem_clockwait", "pthread_mutex_lock", "pthread_mutex_clocklock",
		"pthread_mutex_lock", "pthread_mutex_clocklock"} {
		requireEFAULT(t, errs[i], op)
	}
	assert.Equal(t, before, after, "signal mask")
	// This process still runs, and the objects work on a thread without the
	// filter once their lock words are free.
	// (The robust word also has FUTEX_WAITERS, glibc's mark of a waiter.)
	clear(b[4096:4100])
	clear(b[6144:6148])
	require.NoError(t, s.Post())
	require.NoError(t, s.WaitTimeout(time.Second))
	require.NoError(t, mu.Lock())
	require.NoError(t, mu.Unlock())
	require.NoError(t, s.Close())
	require.NoError(t, mu.Close())
	require.NoError(t, rmu.Close())
}
