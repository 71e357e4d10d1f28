package posix

import (
	"context"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rwlockPreferWriter is PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP.
const rwlockPreferWriter = 2

// RWLockAttr is a pthread_rwlockattr_t, as the values to set on it. The zero
// value is libc's default (private, readers preferred).
type RWLockAttr struct {
	Shared bool // PTHREAD_PROCESS_SHARED (always set by InitRWLockAt)
	// PreferWriter selects PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP with
	// pthread_rwlockattr_setkind_np: a waiting writer blocks new readers
	// (glibc's default lets readers starve writers). A thread must then not
	// take a read lock it already holds while a writer waits (deadlock).
	PreferWriter bool
}

func (a *RWLockAttr) c(shared bool) (pshared, kind int32) {
	if a != nil {
		if a.Shared {
			pshared = 1
		}
		if a.PreferWriter {
			kind = rwlockPreferWriter
		}
	}
	if shared {
		pshared = 1
	}
	return pshared, kind
}

// RWLock is a pthread_rwlock_t: in C memory from NewRWLock, or inside a
// Mapping, shared with other processes, from InitRWLockAt or RWLockAt.
//
// The write lock has an owner thread (glibc records it, and refuses a read
// lock by the writer with EDEADLK): Lock and its variants pin the calling
// goroutine to its thread until Unlock. Read locks are only counted by glibc,
// with no record of the thread: RLock does not pin, so that any number of
// goroutines may hold read locks without holding as many threads. Blocked
// lockers hold no more threads than for a Mutex.
//
// An RWLock is safe for concurrent use; Close releases it once, and calls
// blocked in a lock return an error wrapping os.ErrClosed.
type RWLock struct {
	h       handle
	q       waitQueue
	l       unsafe.Pointer // *pthread_rwlock_t
	kind    objKind
	owner   *Mapping
	cleanup runtime.Cleanup
}

func newRWLock(p unsafe.Pointer, kind objKind) *RWLock {
	l := &RWLock{l: p, kind: kind}
	l.q.init()
	l.h.init(true)
	if kind == objHeap {
		l.cleanup = runtime.AddCleanup(l, func(p unsafe.Pointer) { cRWLockFree(p) }, p)
	}
	return l
}

// NewRWLock creates a read-write lock in C memory with pthread_rwlock_init(3)
// and attr (nil: the defaults).
func NewRWLock(attr *RWLockAttr) (*RWLock, error) {
	const op = "pthread_rwlock_init"
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	pshared, kind := attr.c(false)
	p, rc := cRWLockNew(pshared, kind)
	if rc != 0 {
		return nil, errnoErr(op, "", rc)
	}
	return newRWLock(p, objHeap), nil
}

// InitRWLockAt creates a process-shared read-write lock with
// pthread_rwlock_init(3) at offset off of m (checked as for InitMutexAt; size
// SizeofRWLock). Close calls pthread_rwlock_destroy; unmapping only detaches.
func InitRWLockAt(m *Mapping, off int, attr *RWLockAttr) (*RWLock, error) {
	const op = "pthread_rwlock_init"
	pshared, kind := attr.c(true)
	return placeRWLock(op, m, off, func(p unsafe.Pointer) int32 { return cRWLockInit(p, pshared, kind) }, objInit)
}

// RWLockAt attaches to the read-write lock another process (Go or C) or this
// one initialised at offset off of m; no libc call (the bytes are probed).
func RWLockAt(m *Mapping, off int) (*RWLock, error) {
	const op = "pthread_rwlock_rdlock"
	return placeRWLock(op, m, off, func(p unsafe.Pointer) int32 { return cProbeReadable(p, SizeofRWLock) }, objAttached)
}

func placeRWLock(op string, m *Mapping, off int, init func(unsafe.Pointer) int32, kind objKind) (*RWLock, error) {
	var l *RWLock
	err := placeObj(op, m, off, SizeofRWLock, AlignofSync, init, func(p unsafe.Pointer) child {
		l = newRWLock(p, kind)
		l.owner = m
		return l
	})
	return l, err
}

// RLock takes a read lock, as pthread_rwlock_rdlock(3) (in trylock then
// clockrdlock slices, like Mutex.Lock). EDEADLK if the caller's thread holds
// the write lock; EAGAIN past glibc's reader count.
func (l *RWLock) RLock() error {
	w := cWait{mode: waitForever}
	return l.lock("pthread_rwlock_rdlock", waitRdLock, &w, nil)
}

// TryRLock is pthread_rwlock_tryrdlock(3): EBUSY when a writer holds the lock
// (or, with PreferWriter, waits for it).
func (l *RWLock) TryRLock() error { return l.try("pthread_rwlock_tryrdlock", waitRdLock) }

// TimedRLock is RLock with an absolute CLOCK_REALTIME deadline, as
// pthread_rwlock_timedrdlock(3).
func (l *RWLock) TimedRLock(abs time.Time) error {
	w := cWait{sec: abs.Unix(), nsec: int64(abs.Nanosecond()), clock: unix.CLOCK_REALTIME, mode: waitAbs}
	return l.lock("pthread_rwlock_timedrdlock", waitRdLock, &w, nil)
}

// ClockRLock is RLock with an absolute deadline on clock, as
// pthread_rwlock_clockrdlock(3).
func (l *RWLock) ClockRLock(clock int32, abs unix.Timespec) error {
	w := cWait{sec: abs.Sec, nsec: abs.Nsec, clock: clock, mode: waitAbs}
	return l.lock("pthread_rwlock_clockrdlock", waitRdLock, &w, nil)
}

// RLockTimeout is RLock bounded by d on CLOCK_MONOTONIC.
func (l *RWLock) RLockTimeout(d time.Duration) error {
	w := cWait{sec: int64(d / time.Second), nsec: int64(d % time.Second), mode: waitRel}
	return l.lock("pthread_rwlock_clockrdlock", waitRdLock, &w, nil)
}

// RLockContext is RLock until ctx is done.
func (l *RWLock) RLockContext(ctx context.Context) error {
	return l.lockContext(ctx, "pthread_rwlock_clockrdlock", waitRdLock)
}

// Lock takes the write lock, as pthread_rwlock_wrlock(3), and pins the calling
// goroutine until Unlock. EDEADLK if the caller's thread already holds it.
func (l *RWLock) Lock() error {
	w := cWait{mode: waitForever}
	return l.lock("pthread_rwlock_wrlock", waitWrLock, &w, nil)
}

// TryLock is pthread_rwlock_trywrlock(3): EBUSY when the lock is held.
func (l *RWLock) TryLock() error { return l.try("pthread_rwlock_trywrlock", waitWrLock) }

// TimedLock is Lock with an absolute CLOCK_REALTIME deadline, as
// pthread_rwlock_timedwrlock(3).
func (l *RWLock) TimedLock(abs time.Time) error {
	w := cWait{sec: abs.Unix(), nsec: int64(abs.Nanosecond()), clock: unix.CLOCK_REALTIME, mode: waitAbs}
	return l.lock("pthread_rwlock_timedwrlock", waitWrLock, &w, nil)
}

// ClockLock is Lock with an absolute deadline on clock, as
// pthread_rwlock_clockwrlock(3).
func (l *RWLock) ClockLock(clock int32, abs unix.Timespec) error {
	w := cWait{sec: abs.Sec, nsec: abs.Nsec, clock: clock, mode: waitAbs}
	return l.lock("pthread_rwlock_clockwrlock", waitWrLock, &w, nil)
}

// LockTimeout is Lock bounded by d on CLOCK_MONOTONIC.
func (l *RWLock) LockTimeout(d time.Duration) error {
	w := cWait{sec: int64(d / time.Second), nsec: int64(d % time.Second), mode: waitRel}
	return l.lock("pthread_rwlock_clockwrlock", waitWrLock, &w, nil)
}

// LockContext is Lock until ctx is done.
func (l *RWLock) LockContext(ctx context.Context) error {
	return l.lockContext(ctx, "pthread_rwlock_clockwrlock", waitWrLock)
}

func (l *RWLock) lockContext(ctx context.Context, op string, k waitKind) error {
	if err := ctx.Err(); err != nil {
		if l == nil || !l.h.valid() {
			return nilErr(op)
		}
		return &Error{Op: op, Err: err}
	}
	w := ctxWait(ctx)
	return l.lock(op, k, &w, ctx)
}

func (l *RWLock) target(k waitKind) waitTarget {
	return waitTarget{h: &l.h, q: &l.q, p: l.l, kind: k}
}

func (l *RWLock) try(op string, k waitKind) error {
	if l == nil || !l.h.valid() {
		return nilErr(op)
	}
	if !l.h.enter() {
		return closedErr(op, "")
	}
	rc := l.target(k).try()
	l.h.leave()
	if rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

func (l *RWLock) lock(op string, k waitKind, w *cWait, ctx context.Context) error {
	if l == nil || !l.h.valid() {
		return nilErr(op)
	}
	if !l.h.enter() {
		return closedErr(op, "")
	}
	defer l.h.leave()
	if k == waitWrLock {
		runtime.LockOSThread()
	}
	var rc int32
	if k == waitWrLock {
		rc = cRWLockWrBegin(l.l, w)
	} else {
		rc = cRWLockRdBegin(l.l, w)
	}
	if rc == 0 {
		return nil
	}
	if k == waitWrLock {
		runtime.UnlockOSThread()
	}
	if rc != -int32(unix.EBUSY) {
		return waitTarget{}.waitErr(op, rc, ctx)
	}
	return l.target(k).block(op, w, ctx)
}

// Unlock releases the write lock, with pthread_rwlock_unlock(3), and unpins
// the goroutine. RUnlock releases a read lock. Both make the same libc call,
// which releases whichever lock the calling thread holds: the goroutine is
// unpinned when glibc's record says it was the writer. While another thread
// holds the write lock, both fail with EPERM without calling libc (glibc
// would count the call as a reader's unlock and corrupt the lock).
func (l *RWLock) Unlock() error { return l.unlock() }

// RUnlock releases a read lock with pthread_rwlock_unlock(3); see Unlock.
func (l *RWLock) RUnlock() error { return l.unlock() }

func (l *RWLock) unlock() error {
	const op = "pthread_rwlock_unlock"
	if l == nil || !l.h.valid() {
		return nilErr(op)
	}
	if !l.h.enter() {
		return closedErr(op, "")
	}
	rc := cRWLockUnlock(l.l)
	l.h.leave()
	switch {
	case rc == 0:
		runtime.UnlockOSThread()
	case rc < 0:
		return errnoErr(op, "", rc)
	}
	return nil
}

// Close releases the lock: pthread_rwlock_destroy(3) (and free for one from
// NewRWLock; nothing for one from RWLockAt). Blocked lockers return an error
// wrapping os.ErrClosed within a wait slice.
func (l *RWLock) Close() error { return l.close(true) }

func (l *RWLock) closeForUnmap() { _ = l.close(false) }

func (l *RWLock) close(destroy bool) error {
	const op = "pthread_rwlock_destroy"
	if l == nil || !l.h.valid() {
		return nilErr(op)
	}
	rc, first := l.h.closeWaking(l.q.stopWaits, func() int32 {
		return objRelease(&l.cleanup, l.kind, destroy, l.l, cRWLockFree, cRWLockDestroy, l.owner, l)
	})
	return closeErr(op, rc, first)
}

// Barrier is a pthread_barrier_t: in C memory from NewBarrier, or inside a
// Mapping, shared with other processes, from InitBarrierAt or BarrierAt.
//
// pthread_barrier_wait(3) has no timed or cancellable form: each goroutine in
// Wait holds an OS thread until the barrier opens (at most count-1 per round).
// Close while goroutines wait cannot release them: it marks the handle closed
// and returns an error wrapping EBUSY, and the barrier is destroyed when the
// last waiter has left.
type Barrier struct {
	h       handle
	b       unsafe.Pointer // *pthread_barrier_t
	kind    objKind
	owner   *Mapping
	cleanup runtime.Cleanup
}

func newBarrier(p unsafe.Pointer, kind objKind) *Barrier {
	b := &Barrier{b: p, kind: kind}
	b.h.init(false)
	if kind == objHeap {
		b.cleanup = runtime.AddCleanup(b, func(p unsafe.Pointer) { cBarrierFree(p) }, p)
	}
	return b
}

// NewBarrier creates a barrier for count threads in C memory, with
// pthread_barrier_init(3) (EINVAL for count 0). shared sets
// PTHREAD_PROCESS_SHARED.
func NewBarrier(count uint32, shared bool) (*Barrier, error) {
	const op = "pthread_barrier_init"
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	p, rc := cBarrierNew(count, pshared(shared))
	if rc != 0 {
		return nil, errnoErr(op, "", rc)
	}
	return newBarrier(p, objHeap), nil
}

func pshared(shared bool) int32 {
	if shared {
		return 1
	}
	return 0
}

// InitBarrierAt creates a process-shared barrier for count threads (of any
// processes) with pthread_barrier_init(3) at offset off of m (size
// SizeofBarrier, aligned to AlignofSync).
func InitBarrierAt(m *Mapping, off int, count uint32) (*Barrier, error) {
	const op = "pthread_barrier_init"
	var b *Barrier
	err := placeObj(op, m, off, SizeofBarrier, AlignofSync, func(p unsafe.Pointer) int32 { return cBarrierInit(p, count, 1) }, func(p unsafe.Pointer) child {
		b = newBarrier(p, objInit)
		b.owner = m
		return b
	})
	return b, err
}

// BarrierAt attaches to a barrier initialised at offset off of m; no libc call.
func BarrierAt(m *Mapping, off int) (*Barrier, error) {
	const op = "pthread_barrier_wait"
	var b *Barrier
	err := placeObj(op, m, off, SizeofBarrier, AlignofSync, func(p unsafe.Pointer) int32 { return cProbeReadable(p, SizeofBarrier) }, func(p unsafe.Pointer) child {
		b = newBarrier(p, objAttached)
		b.owner = m
		return b
	})
	return b, err
}

// Wait blocks until count threads have called it, with pthread_barrier_wait(3),
// and reports whether this caller is the one libc chose as the serial thread
// (PTHREAD_BARRIER_SERIAL_THREAD).
func (b *Barrier) Wait() (serial bool, err error) {
	const op = "pthread_barrier_wait"
	if b == nil || !b.h.valid() {
		return false, nilErr(op)
	}
	if !b.h.enter() {
		return false, closedErr(op, "")
	}
	rc := cBarrierWait(b.b)
	b.h.leave()
	if rc < 0 {
		return false, errnoErr(op, "", rc)
	}
	return rc == 1, nil
}

// busyReason makes Unmap refuse while goroutines wait in the barrier.
func (b *Barrier) busyReason() string {
	if b.h.inFlight() {
		return "goroutines wait in a barrier placed in the mapping"
	}
	return ""
}

// Close destroys the barrier with pthread_barrier_destroy(3) (and frees one
// from NewBarrier; detaches one from BarrierAt). With goroutines still in
// Wait it returns an error wrapping EBUSY at once, and the destruction happens
// when they have left.
func (b *Barrier) Close() error { return b.close(true) }

func (b *Barrier) closeForUnmap() { _ = b.close(false) }

func (b *Barrier) close(destroy bool) error {
	const op = "pthread_barrier_destroy"
	if b == nil || !b.h.valid() {
		return nilErr(op)
	}
	release := func() int32 {
		return objRelease(&b.cleanup, b.kind, destroy, b.b, cBarrierFree, cBarrierDestroy, b.owner, b)
	}
	if !destroy {
		// Unmap: the mapping waits for its children to leave C.
		if _, first := b.h.close(release); !first {
			return closedErr(op, "")
		}
		return nil
	}
	rc, first, deferred := b.h.closeDeferred(release)
	switch {
	case !first:
		return closedErr(op, "")
	case deferred:
		return &Error{Op: op, Err: unix.EBUSY}
	case rc != 0:
		return errnoErr(op, "", rc)
	}
	return nil
}

// SpinLock is a pthread_spinlock_t: in C memory from NewSpinLock, or inside a
// Mapping from InitSpinLockAt or SpinLockAt.
//
// glibc's spin lock is a word with no owner: Lock does not pin the
// goroutine. Lock spins in C with pthread_spin_trylock for a bounded number of
// tries, then yields to the Go scheduler and tries again, so a lock held for
// long costs CPU but never an OS thread per waiter, and Close is seen.
type SpinLock struct {
	h       handle
	s       unsafe.Pointer // *pthread_spinlock_t
	kind    objKind
	owner   *Mapping
	cleanup runtime.Cleanup
}

const spinTries = 1000

func newSpinLock(p unsafe.Pointer, kind objKind) *SpinLock {
	s := &SpinLock{s: p, kind: kind}
	s.h.init(false)
	if kind == objHeap {
		s.cleanup = runtime.AddCleanup(s, func(p unsafe.Pointer) { cSpinFree(p) }, p)
	}
	return s
}

// NewSpinLock creates a spin lock in C memory with pthread_spin_init(3);
// shared sets PTHREAD_PROCESS_SHARED.
func NewSpinLock(shared bool) (*SpinLock, error) {
	const op = "pthread_spin_init"
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	p, rc := cSpinNew(pshared(shared))
	if rc != 0 {
		return nil, errnoErr(op, "", rc)
	}
	return newSpinLock(p, objHeap), nil
}

// InitSpinLockAt creates a process-shared spin lock with pthread_spin_init(3)
// at offset off of m (size SizeofSpinLock, aligned to 4).
func InitSpinLockAt(m *Mapping, off int) (*SpinLock, error) {
	const op = "pthread_spin_init"
	var s *SpinLock
	err := placeObj(op, m, off, SizeofSpinLock, SizeofSpinLock, func(p unsafe.Pointer) int32 { return cSpinInit(p, 1) }, func(p unsafe.Pointer) child {
		s = newSpinLock(p, objInit)
		s.owner = m
		return s
	})
	return s, err
}

// SpinLockAt attaches to a spin lock initialised at offset off of m.
func SpinLockAt(m *Mapping, off int) (*SpinLock, error) {
	const op = "pthread_spin_lock"
	var s *SpinLock
	err := placeObj(op, m, off, SizeofSpinLock, SizeofSpinLock, func(p unsafe.Pointer) int32 { return cProbeReadable(p, SizeofSpinLock) }, func(p unsafe.Pointer) child {
		s = newSpinLock(p, objAttached)
		s.owner = m
		return s
	})
	return s, err
}

// Lock takes the spin lock: pthread_spin_trylock(3) in a bounded C loop,
// then runtime.Gosched between rounds. It fails only after Close
// (os.ErrClosed) or with EFAULT when the lock's page is gone (a placed lock
// whose object was truncated under the mapping). glibc's pthread_spin_lock
// deadlocks on relock; Lock spins forever then too.
func (s *SpinLock) Lock() error {
	const op = "pthread_spin_lock"
	if s == nil || !s.h.valid() {
		return nilErr(op)
	}
	for {
		if !s.h.enter() {
			return closedErr(op, "")
		}
		rc := cSpinLockBounded(s.s, spinTries)
		s.h.leave()
		if rc != -int32(unix.EBUSY) {
			if rc != 0 {
				return errnoErr(op, "", rc)
			}
			return nil
		}
		runtime.Gosched()
	}
}

// TryLock is pthread_spin_trylock(3): EBUSY when the lock is held.
func (s *SpinLock) TryLock() error { return s.call("pthread_spin_trylock", cSpinTryLock) }

// Unlock is pthread_spin_unlock(3).
func (s *SpinLock) Unlock() error { return s.call("pthread_spin_unlock", cSpinUnlock) }

func (s *SpinLock) call(op string, f func(unsafe.Pointer) int32) error {
	if s == nil || !s.h.valid() {
		return nilErr(op)
	}
	if !s.h.enter() {
		return closedErr(op, "")
	}
	rc := f(s.s)
	s.h.leave()
	if rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// Close destroys the spin lock with pthread_spin_destroy(3) (and frees one
// from NewSpinLock; detaches one from SpinLockAt). A goroutine spinning in
// Lock returns an error wrapping os.ErrClosed.
func (s *SpinLock) Close() error { return s.close(true) }

func (s *SpinLock) closeForUnmap() { _ = s.close(false) }

func (s *SpinLock) close(destroy bool) error {
	const op = "pthread_spin_destroy"
	if s == nil || !s.h.valid() {
		return nilErr(op)
	}
	rc, first := s.h.close(func() int32 {
		return objRelease(&s.cleanup, s.kind, destroy, s.s, cSpinFree, cSpinDestroy, s.owner, s)
	})
	return closeErr(op, rc, first)
}
