package tests

// Leaks and soak (issue 10): every object type goes through many
// create/use/destroy cycles, and the process must come out as it went in: the
// same descriptors, the same number of threads, no name left in /dev/shm or
// the mqueue filesystem, and (without -race) flat RSS.
//
// One helper, soak, runs every type: 2,000 warm-up cycles, FreeOSMemory, a
// measurement, the cycles, FreeOSMemory, a measurement, the assertions. The
// cycle count is soakCycles: the type's default in `make test`'s non-race pass,
// 2,000 under -race (where RSS is not judged: the detector's shadow memory
// grows with every allocation), or SOAK_CYCLES from the environment when it is
// set (`make soak` runs every type at 100,000).

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const (
	soakWarmUp   = 2000
	soakRaceRuns = 2000
	soakFull     = 100000 // the cheap types (a few µs a cycle)
	soakMid      = 20000  // the types at 10-20 µs a cycle
	soakFew      = 2000   // the types that make files, queues or segments, or block
	soakMaxRSS   = 2048   // KiB of growth allowed after the warm-up

	soakMaxGoThreads = 8
)

// soakCycles is the number of measured cycles of a type whose default (in
// the non-race pass of make test) is def.
func soakCycles(t *testing.T, def int) int {
	t.Helper()
	if s := os.Getenv("SOAK_CYCLES"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err, "SOAK_CYCLES")
		require.Positive(t, n, "SOAK_CYCLES")
		return n
	}
	if raceEnabled || asanEnabled {
		return min(def, soakRaceRuns)
	}
	return def
}

// soakState is what soak measures before and after the cycles: RSS,
// descriptors, threads (/proc/self/status) and, of those, how many the Go
// runtime made (its threadcreate profile: an M it starts when a cgo call or
// system call holds a thread for a while; it never ends one). Thread growth
// beyond the runtime's own is a thread some object leaked (a glibc helper, a
// SIGEV_THREAD thread, ...).
// cHeap is the C heap in use (mallinfo2 uordblks + hblkhd): a cycle that
// leaks even the smallest malloc chunk (32 bytes) grows it by 32 bytes per
// cycle, however the pages fall for RSS.
type soakState struct {
	rss, fds, threads, goThreads int
	cHeap                        int64
}

func measure(t *testing.T) soakState {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	mi, err := posix.MallocInfo()
	require.NoError(t, err)
	return soakState{rss: rssKiB(t), fds: len(openFds()), threads: threads(t),
		goThreads: pprof.Lookup("threadcreate").Count(), cHeap: int64(mi.Uordblks + mi.Hblkhd)}
}

// soak runs cycle soakWarmUp times (at most as many as the cycles),
// measures, runs it soakCycles(def) times, measures again, and fails on any
// growth of descriptors or of threads beyond the Go runtime's own, on any
// object left with this run's prefix in /dev/shm and, without -race, on RSS
// growth above soakMaxRSS. cycle fails the test itself (require) on an error.
func soak(t *testing.T, def int, cycle func()) {
	t.Helper()
	soakSettle(t, def, 0, cycle)
}

// soakSettle is soak for a type whose handles leave work behind for a while
// after they are destroyed (a timer, a record for a goroutine): the warm-up
// lasts at least settle, so that what is retained has reached its steady
// level when RSS is first measured.
func soakSettle(t *testing.T, def int, settle time.Duration, cycle func()) {
	t.Helper()
	if testing.Short() {
		t.Skip("soak skipped with -short")
	}
	n := soakCycles(t, def)
	warm := time.Now().Add(settle)
	for i := 0; i < min(soakWarmUp, n) || time.Now().Before(warm); i++ {
		cycle()
	}
	before := measure(t)
	start := time.Now()
	for i := 0; i < n; i++ {
		cycle()
	}
	elapsed := time.Since(start)
	after := measure(t)
	t.Logf("soak: %d cycles in %v (%.2f µs/cycle); RSS %d -> %d KiB (%+d); C heap %+d B; fds %d -> %d; threads %d -> %d (Go runtime's %d -> %d)",
		n, elapsed.Round(time.Millisecond), float64(elapsed.Nanoseconds())/1e3/float64(n),
		before.rss, after.rss, after.rss-before.rss, after.cHeap-before.cHeap, before.fds, after.fds,
		before.threads, after.threads, before.goThreads, after.goThreads)
	assert.Equal(t, before.fds, after.fds, "descriptors")
	assert.LessOrEqual(t, after.threads-before.threads, after.goThreads-before.goThreads,
		"threads beyond those the Go runtime started")
	// The runtime adds an M when a cgo or system call holds one for a while;
	// a handful is its business, more is goroutines stuck in calls.
	assert.LessOrEqual(t, after.goThreads-before.goThreads, soakMaxGoThreads, "threads the Go runtime started")
	assert.Empty(t, leftovers(), "objects left in /dev/shm")
	if raceEnabled || asanEnabled {
		t.Log("RSS and C heap not judged under -race or -asan (shadow memory, quarantine; the sanitizer replaces malloc); make test runs this test without -race too")
		return
	}
	assert.Less(t, after.rss-before.rss, soakMaxRSS, "RSS grew by %d KiB", after.rss-before.rss)
	assert.Less(t, after.cHeap-before.cHeap, int64(16*n+16<<10), "C heap grew by %d bytes", after.cHeap-before.cHeap)
}

// assertMQGone: a queue's name must be gone at the soak's end (soak itself
// checks /dev/shm, where named semaphores and shared memory objects live).
func assertMQGone(t *testing.T, name string) {
	t.Helper()
	_, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	assert.ErrorIs(t, err, unix.ENOENT, "message queue %s", name)
}

// mapAnon maps one anonymous shared page for the objects a soak places in a
// Mapping, one after another, and unmaps it at the test's end.
func mapAnon(t *testing.T) *posix.Mapping {
	m, err := posix.MapAnonymous(posix.PageSize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, m.Unmap()) })
	return m
}

// Named semaphore: sem_open(O_CREAT|O_EXCL), sem_post, sem_wait, sem_close,
// sem_unlink.
func TestSoakNamedSemaphore(t *testing.T) {
	name := uniqueName()
	t.Cleanup(func() { posix.UnlinkSemaphore(name) })
	soak(t, soakFew, func() {
		s, err := posix.OpenSemaphore(name, unix.O_CREAT|unix.O_EXCL, 0o600, 1)
		require.NoError(t, err)
		require.NoError(t, s.Post())
		require.NoError(t, s.Wait())
		require.NoError(t, s.TryWait())
		require.NoError(t, s.Close())
		require.NoError(t, posix.UnlinkSemaphore(name))
	})
}

// Unnamed semaphore in C memory (malloc, sem_init, sem_destroy, free) and
// placed in a Mapping (sem_init pshared, sem_destroy).
func TestSoakUnnamedSemaphore(t *testing.T) {
	use := func(t *testing.T, s *posix.Semaphore) {
		require.NoError(t, s.Post())
		require.NoError(t, s.Wait())
		v, err := s.Value()
		require.NoError(t, err)
		require.Equal(t, 0, v)
		require.NoError(t, s.Close())
	}
	soakHeapAndPlaced(t, soakFull, soakMid, func(t *testing.T) {
		s, err := posix.NewSemaphore(0)
		require.NoError(t, err)
		use(t, s)
	}, func(t *testing.T, m *posix.Mapping) {
		s, err := posix.InitSemaphoreAt(m, 64, 0)
		require.NoError(t, err)
		use(t, s)
	})
}

// Shared memory: shm_open, ftruncate, mmap, a write and a read through the
// mapping, munmap, close, shm_unlink.
func TestSoakSharedMemory(t *testing.T) {
	name := uniqueName()
	t.Cleanup(func() { posix.UnlinkSharedMemory(name) })
	msg := []byte("soak")
	buf := make([]byte, len(msg))
	soak(t, soakFew, func() {
		s, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
		require.NoError(t, err)
		require.NoError(t, s.Truncate(4096))
		m, err := s.Map(0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		require.NoError(t, err)
		_, err = m.WriteAt(msg, 100)
		require.NoError(t, err)
		_, err = m.ReadAt(buf, 100)
		require.NoError(t, err)
		require.Equal(t, msg, buf)
		require.NoError(t, m.Unmap())
		require.NoError(t, s.Close())
		require.NoError(t, posix.UnlinkSharedMemory(name))
	})
}

// Message queue: mq_open(O_CREAT|O_EXCL), mq_notify (SIGEV_THREAD) and its
// cancellation, mq_send, mq_receive, mq_close, mq_unlink.
func TestSoakMessageQueue(t *testing.T) {
	name := uniqueName()
	t.Cleanup(func() { posix.UnlinkMessageQueue(name) })
	attr := &posix.MQAttr{MaxMsg: 4, MsgSize: 64}
	msg := []byte("soak")
	buf := make([]byte, 64)
	// A cancelled registration's function stays runnable for notifyGrace
	// (1 s: glibc may be about to run it), on a timer.
	soakSettle(t, soakFew, time.Second, func() {
		q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, attr)
		require.NoError(t, err)
		require.NoError(t, q.NotifyFunc(func() {}))
		require.NoError(t, q.NotifyCancel())
		require.NoError(t, q.Send(msg, 3))
		n, prio, err := q.Receive(buf)
		require.NoError(t, err)
		require.Equal(t, msg, buf[:n])
		require.Equal(t, uint(3), prio)
		require.NoError(t, q.Close())
		require.NoError(t, posix.UnlinkMessageQueue(name))
	})
	assertMQGone(t, name)
}

// The pthread objects, each in C memory (malloc, init, destroy, free) and
// placed in a Mapping (init, destroy, again and again at the same offset).
func soakHeapAndPlaced(t *testing.T, heapDef, placedDef int, heap func(t *testing.T), placed func(t *testing.T, m *posix.Mapping)) {
	t.Run("heap", func(t *testing.T) { soak(t, heapDef, func() { heap(t) }) })
	t.Run("placed", func(t *testing.T) {
		m := mapAnon(t)
		soak(t, placedDef, func() { placed(t, m) })
	})
}

func TestSoakMutex(t *testing.T) {
	use := func(t *testing.T, mu *posix.Mutex) {
		require.NoError(t, mu.Lock())
		require.NoError(t, mu.Unlock())
		require.NoError(t, mu.TryLock())
		require.NoError(t, mu.Unlock())
		require.NoError(t, mu.Close())
	}
	attr := &posix.MutexAttr{Type: posix.MutexErrorCheck, Robust: true}
	soakHeapAndPlaced(t, soakFull, soakMid, func(t *testing.T) {
		mu, err := posix.NewMutex(attr)
		require.NoError(t, err)
		use(t, mu)
	}, func(t *testing.T, m *posix.Mapping) {
		mu, err := posix.InitMutexAt(m, 0, attr)
		require.NoError(t, err)
		use(t, mu)
	})
}

// Cond: init, signal, broadcast, a timed wait whose deadline has passed
// (pthread_cond_clockwait: ETIMEDOUT at once), destroy.
func TestSoakCond(t *testing.T) {
	past := unix.Timespec{Sec: 1}
	use := func(t *testing.T, c *posix.Cond, mu *posix.Mutex) {
		require.NoError(t, c.Signal())
		require.NoError(t, c.Broadcast())
		require.NoError(t, mu.Lock())
		require.ErrorIs(t, c.ClockWait(mu, unix.CLOCK_MONOTONIC, past), unix.ETIMEDOUT)
		require.NoError(t, mu.Unlock())
		require.NoError(t, c.Close())
		require.NoError(t, mu.Close())
	}
	soakHeapAndPlaced(t, soakFew, soakFew, func(t *testing.T) {
		mu, err := posix.NewMutex(nil)
		require.NoError(t, err)
		c, err := posix.NewCond(nil)
		require.NoError(t, err)
		use(t, c, mu)
	}, func(t *testing.T, m *posix.Mapping) {
		mu, err := posix.InitMutexAt(m, 0, &posix.MutexAttr{Shared: true})
		require.NoError(t, err)
		c, err := posix.InitCondAt(m, 64, &posix.CondAttr{Shared: true})
		require.NoError(t, err)
		use(t, c, mu)
	})
}

func TestSoakRWLock(t *testing.T) {
	use := func(t *testing.T, l *posix.RWLock) {
		require.NoError(t, l.RLock())
		require.NoError(t, l.TryRLock())
		require.NoError(t, l.RUnlock())
		require.NoError(t, l.RUnlock())
		require.NoError(t, l.Lock())
		require.NoError(t, l.Unlock())
		require.NoError(t, l.Close())
	}
	soakHeapAndPlaced(t, soakMid, soakMid, func(t *testing.T) {
		l, err := posix.NewRWLock(nil)
		require.NoError(t, err)
		use(t, l)
	}, func(t *testing.T, m *posix.Mapping) {
		l, err := posix.InitRWLockAt(m, 0, &posix.RWLockAttr{Shared: true})
		require.NoError(t, err)
		use(t, l)
	})
}

// Barrier of count 1: every wait opens it (the serial thread).
func TestSoakBarrier(t *testing.T) {
	use := func(t *testing.T, b *posix.Barrier) {
		serial, err := b.Wait()
		require.NoError(t, err)
		require.True(t, serial)
		require.NoError(t, b.Close())
	}
	soakHeapAndPlaced(t, soakMid, soakFew, func(t *testing.T) {
		b, err := posix.NewBarrier(1, false)
		require.NoError(t, err)
		use(t, b)
	}, func(t *testing.T, m *posix.Mapping) {
		b, err := posix.InitBarrierAt(m, 0, 1)
		require.NoError(t, err)
		use(t, b)
	})
}

func TestSoakSpinLock(t *testing.T) {
	use := func(t *testing.T, s *posix.SpinLock) {
		require.NoError(t, s.Lock())
		require.ErrorIs(t, s.TryLock(), unix.EBUSY)
		require.NoError(t, s.Unlock())
		require.NoError(t, s.Close())
	}
	soakHeapAndPlaced(t, soakMid, soakMid, func(t *testing.T) {
		s, err := posix.NewSpinLock(false)
		require.NoError(t, err)
		use(t, s)
	}, func(t *testing.T, m *posix.Mapping) {
		s, err := posix.InitSpinLockAt(m, 0)
		require.NoError(t, err)
		use(t, s)
	})
}

// Key: pthread_key_create (with a Go destructor, a C one found by name, and
// none), pthread_setspecific, pthread_getspecific, pthread_key_delete, on a
// thread the goroutine holds.
func TestSoakKey(t *testing.T) {
	for _, c := range []struct {
		name   string
		d      posix.Destructor
		def    int
		settle time.Duration
	}{
		// A deleted key's Go function is forgotten when the destructor
		// reader has passed its fence record: let the backlog drain.
		{"go", posix.GoDestructor(func(uintptr) {}), soakMid, 200 * time.Millisecond},
		{"c", posix.CDestructor("free"), soakMid, 0},
		{"none", posix.Destructor{}, soakFull, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			soakSettle(t, c.def, c.settle, func() {
				k, err := posix.NewKey(c.d)
				require.NoError(t, err)
				require.NoError(t, k.Set(42))
				v, err := k.Get()
				require.NoError(t, err)
				require.Equal(t, uintptr(42), v)
				require.NoError(t, k.Set(0)) // "free" must not see 42 at thread exit
				require.NoError(t, k.Delete())
			})
		})
	}
}

func TestSoakThreadVar(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	soak(t, soakFull, func() {
		v, err := posix.NewThreadVar()
		require.NoError(t, err)
		x, err := v.Get()
		require.NoError(t, err)
		require.Zero(t, x)
		require.NoError(t, v.Set(7))
		x, err = v.Add(1)
		require.NoError(t, err)
		require.Equal(t, uint64(8), x)
		require.NoError(t, v.Close())
	})
}

// Once has no Close: its pthread_once_t is freed by a cleanup when the Once
// is unreachable, which is what this soak checks (flat RSS).
func TestSoakOnce(t *testing.T) {
	soak(t, soakFew, func() {
		o, err := posix.NewOnce()
		require.NoError(t, err)
		calls := 0
		require.NoError(t, o.Do(func() { calls++ }))
		require.NoError(t, o.Do(func() { calls++ }))
		require.Equal(t, 1, calls)
	})
}

// SignalReceiver: sigaction (install), a pipe, one sigqueue to this process
// and its delivery, sigaction (restore), the pipe closed.
func TestSoakSignalReceiver(t *testing.T) {
	sig := unix.Signal(52) // SIGRTMIN+18: no other test uses it
	if posix.LockSignal() == sig {
		sig++
	}
	pid := os.Getpid()
	soak(t, soakFew, func() {
		r, err := posix.NewSignalReceiver(sig)
		require.NoError(t, err)
		require.NoError(t, posix.Sigqueue(pid, sig, 5))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		info, err := r.Receive(ctx)
		cancel()
		require.NoError(t, err)
		require.Equal(t, sig, info.Signo)
		require.Equal(t, uintptr(5), info.Value)
		require.NoError(t, r.Close())
	})
}

// System V objects are created IPC_PRIVATE and removed in the cycle; the one
// of a cycle that fails is removed by the test's cleanup.
func soakSysv(t *testing.T, kind string, cycle func(cur *int)) {
	cur := -1
	t.Cleanup(func() {
		if cur >= 0 {
			removeSysv(sysvObj{kind, cur})
		}
	})
	soak(t, soakFew, func() {
		cycle(&cur)
		cur = -1
	})
}

func TestSoakSysvSemaphore(t *testing.T) {
	soakSysv(t, "sem", func(cur *int) {
		id, err := posix.SemGet(posix.IPC_PRIVATE, 2, unix.IPC_CREAT|0o600)
		require.NoError(t, err)
		*cur = id
		require.NoError(t, posix.SemOp(id, []posix.SemBuf{{Num: 0, Op: 1}, {Num: 1, Op: 2}}))
		require.NoError(t, posix.SemOp(id, []posix.SemBuf{{Num: 1, Op: -2}}))
		v, err := posix.SemCtl(id, 0, posix.GETVAL, 0)
		require.NoError(t, err)
		require.Equal(t, 1, v)
		_, err = posix.SemCtl(id, 0, unix.IPC_RMID, 0)
		require.NoError(t, err)
	})
}

func TestSoakSysvMessageQueue(t *testing.T) {
	msg := []byte("soak")
	buf := make([]byte, 64)
	soakSysv(t, "msg", func(cur *int) {
		id, err := posix.MsgGet(posix.IPC_PRIVATE, unix.IPC_CREAT|0o600)
		require.NoError(t, err)
		*cur = id
		require.NoError(t, posix.MsgSnd(id, 7, msg, unix.IPC_NOWAIT))
		n, mtype, err := posix.MsgRcv(id, buf, 0, unix.IPC_NOWAIT)
		require.NoError(t, err)
		require.Equal(t, 7, mtype)
		require.Equal(t, msg, buf[:n])
		require.NoError(t, posix.MsgCtl(id, unix.IPC_RMID, nil))
	})
}

func TestSoakSysvSharedMemory(t *testing.T) {
	msg := []byte("soak")
	buf := make([]byte, len(msg))
	soakSysv(t, "shm", func(cur *int) {
		id, err := posix.ShmGet(posix.IPC_PRIVATE, 4096, unix.IPC_CREAT|0o600)
		require.NoError(t, err)
		*cur = id
		m, err := posix.ShmAt(id, 0)
		require.NoError(t, err)
		_, err = m.WriteAt(msg, 10)
		require.NoError(t, err)
		_, err = m.ReadAt(buf, 10)
		require.NoError(t, err)
		require.Equal(t, msg, buf)
		require.NoError(t, posix.ShmDt(m))
		require.NoError(t, posix.ShmCtl(id, unix.IPC_RMID, nil))
	})
}

// File locks: open, fcntl F_SETLK (lock, unlock), flock (LOCK_EX, LOCK_UN),
// F_OFD_SETLK (lock, unlock), close.
func TestSoakFileLocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked")
	require.NoError(t, os.WriteFile(path, []byte("0123456789"), 0o600))
	soak(t, soakFew, func() {
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
		require.NoError(t, err)
		lk := posix.FileLock{Type: unix.F_WRLCK, Whence: io.SeekStart, Start: 0, Len: 4}
		require.NoError(t, posix.SetLock(fd, &lk))
		lk.Type = unix.F_UNLCK
		require.NoError(t, posix.SetLock(fd, &lk))
		require.NoError(t, posix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB))
		require.NoError(t, posix.Flock(fd, unix.LOCK_UN))
		ofd := posix.FileLock{Type: unix.F_RDLCK, Whence: io.SeekStart, Start: 4, Len: 4}
		require.NoError(t, posix.OFDSetLock(fd, &ofd))
		ofd.Type = unix.F_UNLCK
		require.NoError(t, posix.OFDSetLock(fd, &ofd))
		require.NoError(t, unix.Close(fd))
	})
}

// Pipe: pipe2(O_CLOEXEC), a write and a read, both ends closed.
func TestSoakPipe(t *testing.T) {
	msg := []byte("soak")
	buf := make([]byte, 16)
	soak(t, soakFew, func() {
		r, w, err := posix.Pipe()
		require.NoError(t, err)
		_, err = w.Write(msg)
		require.NoError(t, err)
		n, err := r.Read(buf)
		require.NoError(t, err)
		require.Equal(t, msg, buf[:n])
		require.NoError(t, w.Close())
		require.NoError(t, r.Close())
	})
}

// Processes: posix_spawn of /bin/true and waitpid. A cycle costs a fork and an
// exec (1 to 20 ms on the shared 2-vCPU machine), so make test runs 50 (and
// as many warm-up cycles); make soak runs it on its own with SOAK_CYCLES.
func TestSoakSpawn(t *testing.T) {
	argv := []string{"true"}
	soak(t, 50, func() {
		pid, err := posix.Spawn("/bin/true", argv, []string{}, nil)
		require.NoError(t, err)
		ws := waitT(t, pid, 0) // bounded: 10 s
		require.True(t, ws.Exited() && ws.ExitStatus() == 0, "status %v", ws)
	})
}

// Deleting keys with Go destructors while the destructor reader is busy (a
// destructor still running) must not hold an OS thread per Delete: each
// Delete sends the reader a fence record through the destructor pipe, and
// once the pipe is full (64 KiB: 4,096 records) a write blocks until the
// reader is back. 6,000 deletes behind a stalled reader used to leave ~1,900
// goroutines blocked in write(2), each holding a thread (the Go runtime stops
// at 10,000 threads: a longer loop crashed the process).
func TestKeyDeletesBehindAStalledDestructorHoldNoThreads(t *testing.T) {
	running, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	stalled, err := posix.NewKey(posix.GoDestructor(func(uintptr) {
		once.Do(func() { close(running) })
		<-release
	}))
	require.NoError(t, err)
	defer func() { require.NoError(t, stalled.Delete()) }()
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	exitLockedThread(t, func() { stalled.Set(1) })
	select {
	case <-running:
	case <-time.After(10 * time.Second):
		t.Fatal("the destructor did not run")
	}
	before := threads(t)
	for i := 0; i < 6000; i++ {
		k, err := posix.NewKey(posix.GoDestructor(func(uintptr) {}))
		require.NoError(t, err)
		require.NoError(t, k.Delete())
	}
	time.Sleep(200 * time.Millisecond) // for the runtime to start threads for blocked writers
	grown := threads(t) - before
	close(release)
	released = true
	t.Logf("threads +%d while the reader was stalled", grown)
	assert.Less(t, grown, 16, "threads held by Deletes behind a stalled destructor reader")
}
