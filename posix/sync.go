package posix

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Sizes of glibc's pthread objects (x86_64), checked against the C headers at
// compile time (posix/sync_cgo.go): the bytes each takes in a Mapping.
const (
	SizeofMutex    = 40 // sizeof(pthread_mutex_t)
	SizeofCond     = 48 // sizeof(pthread_cond_t)
	SizeofRWLock   = 56 // sizeof(pthread_rwlock_t)
	SizeofBarrier  = 32 // sizeof(pthread_barrier_t)
	SizeofSpinLock = 4  // sizeof(pthread_spinlock_t)
	// AlignofSync is _Alignof(pthread_mutex_t), also the alignment of the
	// other pthread objects: offsets given to Init…At and …At must be
	// multiples of it (of 4 for a SpinLock).
	AlignofSync = 8
)

// Mutex types (pthread_mutexattr_settype(3)).
const (
	MutexNormal     = 0 // PTHREAD_MUTEX_NORMAL: relock deadlocks, no owner check on unlock
	MutexRecursive  = 1 // PTHREAD_MUTEX_RECURSIVE: the owner may relock; unlocks count down
	MutexErrorCheck = 2 // PTHREAD_MUTEX_ERRORCHECK: relock EDEADLK, non-owner unlock EPERM
	MutexDefault    = 0 // PTHREAD_MUTEX_DEFAULT: glibc makes it PTHREAD_MUTEX_NORMAL
)

// Mutex protocols (pthread_mutexattr_setprotocol(3)).
const (
	PrioNone    = 0 // PTHREAD_PRIO_NONE
	PrioInherit = 1 // PTHREAD_PRIO_INHERIT: priority inheritance (a PI futex)
	PrioProtect = 2 // PTHREAD_PRIO_PROTECT: priority ceiling (PrioCeiling)
)

// MutexAttr is a pthread_mutexattr_t, as the values to set on it. The zero
// value is libc's default attributes (a normal, private, stalled mutex).
type MutexAttr struct {
	Type        int  // MutexNormal, MutexRecursive, MutexErrorCheck or MutexDefault
	Robust      bool // PTHREAD_MUTEX_ROBUST: a dead owner's lock is handed on with EOWNERDEAD
	Shared      bool // PTHREAD_PROCESS_SHARED (always set by InitMutexAt)
	Protocol    int  // PrioNone, PrioInherit or PrioProtect
	PrioCeiling int  // pthread_mutexattr_setprioceiling, set when not 0
}

// cMutexAttr mirrors libcipc_mutexattr (include/libcipc.h).
type cMutexAttr struct {
	typ, robust, pshared, protocol, prioceiling, set int32
}

func (a *MutexAttr) c(shared bool) (cMutexAttr, error) {
	var c cMutexAttr
	if a != nil {
		for _, v := range [...]int{a.Type, a.Protocol, a.PrioCeiling} {
			if int(int32(v)) != v {
				return c, &argError{msg: "attribute out of C int range", errno: unix.EINVAL}
			}
		}
		c = cMutexAttr{typ: int32(a.Type), protocol: int32(a.Protocol), prioceiling: int32(a.PrioCeiling)}
		if a.Robust {
			c.robust = 1
		}
		if a.Shared {
			c.pshared = 1
		}
		if a.PrioCeiling != 0 {
			c.set = 1
		}
	}
	if shared {
		c.pshared = 1
	}
	return c, nil
}

// objRelease is the release step every pthread object's Close shares: stop
// the garbage collector's cleanup, free (New…) or destroy (Init…At, unless
// the mapping is being unmapped) the C object, and leave the mapping's list
// of placed objects.
func objRelease(cleanup *runtime.Cleanup, kind objKind, destroy bool, p unsafe.Pointer, free, destroyC func(unsafe.Pointer) int32, owner *Mapping, c child) int32 {
	cleanup.Stop()
	var rc int32
	switch {
	case kind == objHeap:
		rc = free(p)
	case kind == objInit && destroy:
		rc = destroyC(p)
	}
	if owner != nil {
		owner.forget(c)
	}
	return rc
}

// closeErr is a Close's error: os.ErrClosed for every Close but the first,
// then libc's errno.
func closeErr(op string, rc int32, first bool) error {
	if !first {
		return closedErr(op, "")
	}
	if rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// objKind says where a pthread object lives and what Close does to it.
type objKind uint8

const (
	objHeap     objKind = iota // New…: Close destroys and frees
	objInit                    // Init…At: Close destroys
	objAttached                // …At: Close only detaches
)

// Mutex is a pthread_mutex_t: in C memory from NewMutex, or inside a Mapping,
// shared with other processes, from InitMutexAt or MutexAt.
//
// A mutex has an owner: the thread that locked it. Goroutines move between
// threads, so a successful Lock (or TryLock, TimedLock, …) pins the calling
// goroutine to its OS thread (runtime.LockOSThread) until the matching Unlock,
// which must be called by the same goroutine. A recursive mutex pins once per
// lock. While pinned, the goroutine holds its thread; goroutines waiting to
// lock do not: at most 4 per handle and 32 per process (shared with
// semaphores and rwlocks) wait in C, the rest in Go.
//
// A Mutex is safe for concurrent use. Close releases it once; calls after
// Close, and calls blocked in Lock when Close is called, return an error
// wrapping os.ErrClosed.
type Mutex struct {
	h       handle
	q       waitQueue
	mu      unsafe.Pointer // *pthread_mutex_t
	kind    objKind
	owner   *Mapping
	cleanup runtime.Cleanup
	held    atomic.Int32 // locks held by goroutines of this process

	condMu sync.Mutex
	conds  map[*Cond]int // conds with goroutines waiting with this mutex

	// gate orders the Unlock of a closed mutex (unlockClosing) before its
	// release: Close's release sets released under it.
	gate     sync.Mutex
	released bool
}

func newMutex(p unsafe.Pointer, kind objKind) *Mutex {
	m := &Mutex{mu: p, kind: kind}
	m.q.init()
	m.h.init(true)
	if kind == objHeap {
		m.cleanup = runtime.AddCleanup(m, func(p unsafe.Pointer) { cMutexFree(p) }, p)
	}
	return m
}

// NewMutex creates a mutex in C memory with pthread_mutex_init(3) and the
// attributes in attr (nil: the defaults), for the goroutines of this process.
// libc's errno is the answer to bad attributes (EINVAL; ENOTSUP for a
// protocol the system lacks).
func NewMutex(attr *MutexAttr) (*Mutex, error) {
	const op = "pthread_mutex_init"
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	a, err := attr.c(false)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	p, rc := cMutexNew(&a)
	if rc != 0 {
		return nil, errnoErr(op, "", rc)
	}
	return newMutex(p, objHeap), nil
}

// InitMutexAt creates a process-shared mutex (PTHREAD_PROCESS_SHARED, plus
// attr) with pthread_mutex_init(3) at offset off of m, a MAP_SHARED mapping
// other processes map too. off must leave SizeofMutex bytes in m and be a
// multiple of AlignofSync (EINVAL otherwise). The layout is glibc's, so a C
// program uses the same bytes as a pthread_mutex_t*.
//
// Close calls pthread_mutex_destroy, which must happen only when no process
// uses the mutex any more; unmapping m without Close only detaches it.
func InitMutexAt(m *Mapping, off int, attr *MutexAttr) (*Mutex, error) {
	const op = "pthread_mutex_init"
	a, err := attr.c(true)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	return placeMutex(op, m, off, func(p unsafe.Pointer) int32 { return cMutexInit(p, &a) }, objInit)
}

// MutexAt attaches to the mutex another process (Go or C) or this one
// initialised at offset off of m. It makes no libc call: the offset is
// checked as in InitMutexAt and the bytes are probed (EFAULT past the end of
// the object behind m). Close only detaches.
func MutexAt(m *Mapping, off int) (*Mutex, error) {
	const op = "pthread_mutex_lock"
	return placeMutex(op, m, off, func(p unsafe.Pointer) int32 { return cProbeReadable(p, SizeofMutex) }, objAttached)
}

func placeMutex(op string, m *Mapping, off int, init func(unsafe.Pointer) int32, kind objKind) (*Mutex, error) {
	var mu *Mutex
	err := placeObj(op, m, off, SizeofMutex, AlignofSync, init, func(p unsafe.Pointer) child {
		mu = newMutex(p, kind)
		mu.owner = m
		return mu
	})
	return mu, err
}

// placeObj places a pthread object made by init at offset off of m.
func placeObj(op string, m *Mapping, off, size, align int, init func(unsafe.Pointer) int32, wrap func(unsafe.Pointer) child) error {
	if !cgoEnabled {
		return cgoErr(op, "")
	}
	if m == nil {
		return nilErr(op)
	}
	return m.place(op, off, size, align, func(p unsafe.Pointer) (child, error) {
		if rc := init(p); rc != 0 {
			return nil, errnoErr(op, "", rc)
		}
		return wrap(p), nil
	})
}

// Lock locks the mutex as pthread_mutex_lock(3) does, and pins the calling
// goroutine to its thread until Unlock. It waits with pthread_mutex_trylock,
// then pthread_mutex_clocklock in 10 ms slices (so Close is seen promptly).
//
// Errors are libc's: EDEADLK when an error-checking mutex is already the
// caller's; for a robust mutex whose owner died, an error wrapping
// unix.EOWNERDEAD with the lock held (and the goroutine pinned): repair the
// protected state, call Consistent, then Unlock; ENOTRECOVERABLE when a
// previous holder unlocked it without Consistent.
func (m *Mutex) Lock() error {
	w := cWait{mode: waitForever}
	return m.lock("pthread_mutex_lock", &w, nil)
}

// TryLock locks the mutex if it is free, with pthread_mutex_trylock(3):
// EBUSY if it is taken (also by the caller, unless recursive). On success
// (or EOWNERDEAD) the goroutine is pinned until Unlock.
func (m *Mutex) TryLock() error {
	const op = "pthread_mutex_trylock"
	if m == nil || !m.h.valid() {
		return nilErr(op)
	}
	if !m.h.enter() {
		return closedErr(op, "")
	}
	rc := m.target().try()
	m.h.leave()
	if taken(rc) {
		m.held.Add(1)
	}
	if rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// TimedLock is Lock with an absolute CLOCK_REALTIME deadline, as
// pthread_mutex_timedlock(3): ETIMEDOUT when abs passes first.
func (m *Mutex) TimedLock(abs time.Time) error {
	w := cWait{sec: abs.Unix(), nsec: int64(abs.Nanosecond()), clock: unix.CLOCK_REALTIME, mode: waitAbs}
	return m.lock("pthread_mutex_timedlock", &w, nil)
}

// ClockLock is Lock with an absolute deadline on clock, as
// pthread_mutex_clocklock(3) (CLOCK_MONOTONIC or CLOCK_REALTIME; EINVAL
// otherwise).
func (m *Mutex) ClockLock(clock int32, abs unix.Timespec) error {
	w := cWait{sec: abs.Sec, nsec: abs.Nsec, clock: clock, mode: waitAbs}
	return m.lock("pthread_mutex_clocklock", &w, nil)
}

// LockTimeout is Lock bounded by d on CLOCK_MONOTONIC (fixed by the first
// crossing into C): ETIMEDOUT when d passes first.
func (m *Mutex) LockTimeout(d time.Duration) error {
	w := cWait{sec: int64(d / time.Second), nsec: int64(d % time.Second), mode: waitRel}
	return m.lock("pthread_mutex_clocklock", &w, nil)
}

// LockContext is Lock until ctx is done: an error wrapping ctx.Err() within a
// wait slice of the cancellation, and no lock taken when ctx is done on entry.
func (m *Mutex) LockContext(ctx context.Context) error {
	const op = "pthread_mutex_clocklock"
	if err := ctx.Err(); err != nil {
		if m == nil || !m.h.valid() {
			return nilErr(op)
		}
		return &Error{Op: op, Err: err}
	}
	w := ctxWait(ctx)
	return m.lock(op, &w, ctx)
}

// ctxWait is the wait for a context: its deadline, if any, as a duration.
func ctxWait(ctx context.Context) cWait {
	if d, ok := ctx.Deadline(); ok {
		rel := time.Until(d)
		return cWait{sec: int64(rel / time.Second), nsec: int64(rel % time.Second), mode: waitRel}
	}
	return cWait{mode: waitForever}
}

func (m *Mutex) target() waitTarget {
	return waitTarget{h: &m.h, q: &m.q, p: m.mu, kind: waitMutex}
}

func (m *Mutex) lock(op string, w *cWait, ctx context.Context) error {
	err := m.lockNoCount(op, w, ctx)
	if err == nil || errors.Is(err, unix.EOWNERDEAD) {
		m.held.Add(1)
	}
	return err
}

func (m *Mutex) lockNoCount(op string, w *cWait, ctx context.Context) error {
	if m == nil || !m.h.valid() {
		return nilErr(op)
	}
	if !m.h.enter() {
		return closedErr(op, "")
	}
	defer m.h.leave()
	runtime.LockOSThread()
	var rc int32
	if w.mode != waitAbs || validDeadline(w) {
		// The common case, one crossing without the wait state (a pointer
		// cgo would check): the mutex is free.
		if rc = cMutexTryLock(m.mu); rc == -int32(unix.EBUSY) {
			rc = cMutexLockBegin(m.mu, w) // fixes a relative deadline
		}
	} else {
		rc = cMutexLockBegin(m.mu, w) // libc decides on a deadline it rejects
	}
	if taken(rc) {
		if rc != 0 {
			return errnoErr(op, "", rc)
		}
		return nil
	}
	runtime.UnlockOSThread()
	if rc != -int32(unix.EBUSY) {
		return m.target().waitErr(op, rc, ctx)
	}
	return m.target().block(op, w, ctx)
}

// Unlock unlocks the mutex with pthread_mutex_unlock(3) and unpins the
// goroutine that locked it. An error-checking, recursive or robust mutex not
// owned by the caller's thread fails with EPERM; a normal one is unlocked
// whoever asks, as in C (the goroutine that locked it then stays pinned until
// it exits: call Unlock from the goroutine that called Lock).
func (m *Mutex) Unlock() error {
	const op = "pthread_mutex_unlock"
	if m == nil || !m.h.valid() {
		return nilErr(op)
	}
	if !m.h.enter() {
		return m.unlockClosing(op, false)
	}
	rc := cMutexUnlock(m.mu)
	m.h.leave()
	return m.unlocked(op, rc)
}

// unlocked is Unlock's result for libc's rc.
func (m *Mutex) unlocked(op string, rc int32) error {
	switch {
	case rc == 0:
		m.held.Add(-1)
		runtime.UnlockOSThread()
	case rc < 0:
		return errnoErr(op, "", rc)
	}
	return nil
}

// unlockClosing is Unlock on a closed handle. While Close still waits for
// goroutines in a Cond wait with this mutex (woken by Close, each must relock
// the mutex in libc before it can leave), the holder's unlock is what lets
// them out, so it is made, under gate, which Close's release takes before
// the mutex is destroyed or freed. Otherwise: os.ErrClosed, nothing done.
// A Cond wait entered with the mutex being closed (always) releases it
// whenever it is not yet released, as its doc says.
func (m *Mutex) unlockClosing(op string, always bool) error {
	m.gate.Lock()
	defer m.gate.Unlock()
	if m.released || !(always || m.hasCondWaiters()) {
		return closedErr(op, "")
	}
	return m.unlocked(op, cMutexUnlock(m.mu))
}

// Consistent marks a robust mutex acquired with EOWNERDEAD as consistent
// again, with pthread_mutex_consistent(3) (EINVAL otherwise): call it after
// repairing the state the mutex protects, then Unlock.
func (m *Mutex) Consistent() error {
	const op = "pthread_mutex_consistent"
	if m == nil || !m.h.valid() {
		return nilErr(op)
	}
	if !m.h.enter() {
		return closedErr(op, "")
	}
	rc := cMutexConsistent(m.mu)
	m.h.leave()
	if rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// Close releases the mutex: pthread_mutex_destroy(3) and free for one from
// NewMutex, pthread_mutex_destroy for one from InitMutexAt, nothing for one
// from MutexAt. Goroutines blocked in Lock return an error wrapping
// os.ErrClosed within a wait slice; goroutines in a Cond wait with it are
// woken and return os.ErrClosed (with the mutex released). A locked mutex is
// neither destroyed nor freed (glibc's destroy says EBUSY only for non-robust
// ones, and a robust one is still on its owner thread's robust list): Close
// returns EBUSY, the handle is closed all the same, a NewMutex's 40 bytes are
// left allocated, and the goroutine that held it gets os.ErrClosed from Unlock
// and stays pinned until it exits. Exception: while goroutines in a Cond wait
// with the mutex must relock it to leave libc, Close waits for them, and the
// holder's Unlock does unlock (nil), which lets them out; Close then destroys
// the mutex, now unlocked, and returns nil. If the holder cannot unlock while
// Close waits (Close is called by the holder itself, or the holder is a thread
// that has exited or another process), Close does not wait: it returns EBUSY,
// as pthread_mutex_destroy does with cond waiters, and the mutex is released
// once the waiters have left (after the holder's Unlock).
func (m *Mutex) Close() error { return m.close(true) }

// wake gets Close's blocked callers out: lock waits at their next slice,
// condition waits with this mutex by broadcasts (repeated, backing off, until
// they have left libc; each holds an enter on its Cond while registered).
func (m *Mutex) wake() {
	m.q.stopWaits()
	for pause := time.Millisecond; ; pause = min(2*pause, waitSlice) {
		m.condMu.Lock()
		conds := make([]*Cond, 0, len(m.conds))
		for c := range m.conds {
			conds = append(conds, c)
		}
		m.condMu.Unlock()
		if len(conds) == 0 {
			return
		}
		for _, c := range conds {
			if c.h.enter() {
				cCondBroadcast(c.c)
				c.h.leave()
			}
		}
		time.Sleep(pause)
	}
}

// hasCondWaiters reports whether goroutines wait on a Cond with m.
func (m *Mutex) hasCondWaiters() bool {
	m.condMu.Lock()
	defer m.condMu.Unlock()
	return len(m.conds) > 0
}

// waitingWith registers (delta 1) or unregisters (-1) a condition wait using m.
func (m *Mutex) waitingWith(c *Cond, delta int) {
	m.condMu.Lock()
	if m.conds == nil {
		m.conds = map[*Cond]int{}
	}
	if n := m.conds[c] + delta; n > 0 {
		m.conds[c] = n
	} else {
		delete(m.conds, c)
	}
	m.condMu.Unlock()
}

// busyReason makes Unmap refuse while a goroutine of this process holds the
// mutex (see Mapping.Unmap).
func (m *Mutex) busyReason() string {
	if m.held.Load() > 0 {
		return "a mutex placed in the mapping is locked by this process"
	}
	return ""
}

// closeForUnmap detaches a mutex placed in a mapping being unmapped: like
// munmap in C, it never destroys it.
func (m *Mutex) closeForUnmap() { _ = m.close(false) }

func (m *Mutex) close(destroy bool) error {
	const op = "pthread_mutex_destroy"
	if m == nil || !m.h.valid() {
		return nilErr(op)
	}
	release := func() int32 {
		m.gate.Lock()
		m.released = true
		m.gate.Unlock()
		return objRelease(&m.cleanup, m.kind, destroy, m.mu, cMutexFree, cMutexDestroy, m.owner, m)
	}
	if m.condWaitersStuck() {
		// Cond waiters woken by Close must relock the mutex to leave libc,
		// and its holder cannot unlock it while Close waits (the holder is
		// the caller, a thread that has exited, or another process): do
		// not wait. The handle closes now and is released once they have
		// left (the holder's Unlock lets them out); EBUSY, as
		// pthread_mutex_destroy says with cond waiters.
		_, first, _ := m.h.closeDeferred(release)
		if !first {
			return closedErr(op, "")
		}
		go m.wake()
		return errnoErr(op, "", -int32(unix.EBUSY))
	}
	rc, first := m.h.closeWaking(m.wake, release)
	return closeErr(op, rc, first)
}

// mutexOwnerOff is where glibc's pthread_mutex_t (x86-64) keeps __owner, the
// tid of the thread holding it (0: unlocked).
const mutexOwnerOff = 8

// condWaitersStuck reports whether goroutines of this process wait on a Cond
// with m while m is held by a thread that cannot unlock it during Close: the
// calling thread itself, or a tid that is not a live thread of this process
// (tgkill(getpid(), tid, 0) fails: exited, or another process's).
func (m *Mutex) condWaitersStuck() bool {
	if !m.hasCondWaiters() || !m.h.enter() {
		return false
	}
	owner := atomic.LoadInt32((*int32)(unsafe.Add(m.mu, mutexOwnerOff)))
	m.h.leave()
	if owner == 0 {
		return false
	}
	if owner == cGettid() {
		return true
	}
	return unix.Tgkill(unix.Getpid(), int(owner), 0) != nil
}
