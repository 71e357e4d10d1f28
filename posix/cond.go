package posix

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// CondAttr is a pthread_condattr_t, as the values to set on it. The zero value
// is libc's default: a private condition timed on CLOCK_REALTIME.
type CondAttr struct {
	Shared bool  // PTHREAD_PROCESS_SHARED (always set by InitCondAt)
	Clock  int32 // pthread_condattr_setclock: unix.CLOCK_REALTIME (0) or unix.CLOCK_MONOTONIC
}

// condSlots bounds the goroutines of the process waiting in
// pthread_cond_wait at once (each holds its OS thread while it waits). A
// condition wait is one libc call, not slices: a wait that timed out between
// slices and waited again could miss a signal sent in between.
var condSlots = func() chan struct{} {
	c := make(chan struct{}, waitersPerProcess)
	for i := 0; i < waitersPerProcess; i++ {
		c <- struct{}{}
	}
	return c
}()

// Cond is a pthread_cond_t: in C memory from NewCond, or inside a Mapping,
// shared with other processes, from InitCondAt or CondAt. It is used with a
// Mutex the caller holds, exactly as in C.
//
// Waits follow pthread_cond_wait(3), spurious wake-ups included, which callers
// must tolerate (loop on the predicate). At most 32 goroutines of the process
// wait in libc at once; one that finds no room acts as a spurious wake-up: it
// unlocks the mutex, waits in Go until a waiter leaves libc, relocks the mutex
// and returns nil. Close, cancellation and LockContext-style deadlines wake
// the waiters in libc with pthread_cond_broadcast, which other processes'
// waiters may also see as a spurious wake-up.
//
// A Cond is safe for concurrent use. Close must not be called while holding
// the mutex its waiters use: they leave libc only after relocking it.
//
// A process-shared Cond is not robust (POSIX defines no robust condition
// variable): a process killed inside pthread_cond_signal or
// pthread_cond_broadcast keeps glibc's internal lock of the condition
// variable for ever, and every later wait on it, timed or not, can then hang
// past its deadline inside libc (docs/SEMANTICS.md, "Processes killed
// mid-protocol"). Re-create it after such a death.
type Cond struct {
	h       handle
	c       unsafe.Pointer // *pthread_cond_t
	kind    objKind
	owner   *Mapping
	inC     atomic.Int32 // goroutines inside pthread_cond_wait
	clock   int32        // the clock pthread_cond_timedwait uses
	cleanup runtime.Cleanup
}

func newCond(p unsafe.Pointer, kind objKind) *Cond {
	c := &Cond{c: p, kind: kind, clock: cCondClock(p)}
	c.h.init(true)
	if kind == objHeap {
		c.cleanup = runtime.AddCleanup(c, func(p unsafe.Pointer) { cCondFree(p) }, p)
	}
	return c
}

func (a *CondAttr) c(shared bool) (pshared, clock int32) {
	if a != nil {
		clock = a.Clock
		if a.Shared {
			pshared = 1
		}
	}
	if shared {
		pshared = 1
	}
	return pshared, clock
}

// NewCond creates a condition variable in C memory with pthread_cond_init(3)
// and attr (nil: the defaults). An unsupported clock fails with EINVAL, from
// pthread_condattr_setclock.
func NewCond(attr *CondAttr) (*Cond, error) {
	const op = "pthread_cond_init"
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	pshared, clock := attr.c(false)
	p, rc := cCondNew(pshared, clock)
	if rc != 0 {
		return nil, errnoErr(op, "", rc)
	}
	return newCond(p, objHeap), nil
}

// InitCondAt creates a process-shared condition variable with
// pthread_cond_init(3) at offset off of m (checked as for InitMutexAt; size
// SizeofCond). Close calls pthread_cond_destroy; unmapping only detaches.
func InitCondAt(m *Mapping, off int, attr *CondAttr) (*Cond, error) {
	const op = "pthread_cond_init"
	pshared, clock := attr.c(true)
	return placeCond(op, m, off, func(p unsafe.Pointer) int32 { return cCondInit(p, pshared, clock) }, objInit)
}

// CondAt attaches to the condition variable another process (Go or C) or this
// one initialised at offset off of m; no libc call (the bytes are probed).
func CondAt(m *Mapping, off int) (*Cond, error) {
	const op = "pthread_cond_wait"
	return placeCond(op, m, off, func(p unsafe.Pointer) int32 { return cProbeReadable(p, SizeofCond) }, objAttached)
}

func placeCond(op string, m *Mapping, off int, init func(unsafe.Pointer) int32, kind objKind) (*Cond, error) {
	var c *Cond
	err := placeObj(op, m, off, SizeofCond, AlignofSync, init, func(p unsafe.Pointer) child {
		c = newCond(p, kind)
		c.owner = m
		return c
	})
	return c, err
}

// Signal wakes at least one waiter, with pthread_cond_signal(3).
func (c *Cond) Signal() error { return c.wake("pthread_cond_signal", false) }

// Broadcast wakes every waiter, with pthread_cond_broadcast(3).
func (c *Cond) Broadcast() error { return c.wake("pthread_cond_broadcast", true) }

func (c *Cond) wake(op string, all bool) error {
	if c == nil || !c.h.valid() {
		return nilErr(op)
	}
	if !c.h.enter() {
		return closedErr(op, "")
	}
	var rc int32
	if all {
		rc = cCondBroadcast(c.c)
	} else {
		rc = cCondSignal(c.c)
	}
	c.h.leave()
	if rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// Wait atomically unlocks mu and waits for a signal, then relocks mu before
// returning, as pthread_cond_wait(3). The caller must hold mu (an
// error-checking mutex says EPERM otherwise). With a robust mu whose owner
// died meanwhile, the error wraps EOWNERDEAD and mu is held. Whatever Wait
// returns, mu is held again, including after the Cond's Close
// (os.ErrClosed), except as in libc for EPERM, EINVAL and ENOTRECOVERABLE
// (then the goroutine is unpinned too), and when mu itself is being closed
// (os.ErrClosed, mu released so that Close can destroy it).
func (c *Cond) Wait(mu *Mutex) error {
	w := cWait{mode: waitForever}
	return c.wait("pthread_cond_wait", mu, &w, nil)
}

// TimedWait is Wait with an absolute deadline abs read on the condition's own
// clock (CondAttr.Clock, CLOCK_REALTIME by default), as
// pthread_cond_timedwait(3): ETIMEDOUT when it passes first.
func (c *Cond) TimedWait(mu *Mutex, abs unix.Timespec) error {
	w := cWait{sec: abs.Sec, nsec: abs.Nsec, clock: -1, mode: waitAbs}
	return c.wait("pthread_cond_timedwait", mu, &w, nil)
}

// ClockWait is Wait with an absolute deadline on clock, as
// pthread_cond_clockwait(3).
func (c *Cond) ClockWait(mu *Mutex, clock int32, abs unix.Timespec) error {
	w := cWait{sec: abs.Sec, nsec: abs.Nsec, clock: clock, mode: waitAbs}
	return c.wait("pthread_cond_clockwait", mu, &w, nil)
}

// WaitTimeout is Wait bounded by d on CLOCK_MONOTONIC (pthread_cond_clockwait
// with a deadline fixed when the call starts).
func (c *Cond) WaitTimeout(mu *Mutex, d time.Duration) error {
	w := cWait{sec: int64(d / time.Second), nsec: int64(d % time.Second), mode: waitRel}
	return c.wait("pthread_cond_clockwait", mu, &w, nil)
}

// WaitContext is Wait until ctx is done: the wait is woken (a broadcast) and
// returns an error wrapping ctx.Err() with mu held again. A ctx done on entry
// returns at once, mu untouched.
func (c *Cond) WaitContext(ctx context.Context, mu *Mutex) error {
	const op = "pthread_cond_clockwait"
	if err := ctx.Err(); err != nil {
		if c == nil || !c.h.valid() {
			return nilErr(op)
		}
		return &Error{Op: op, Err: err}
	}
	w := ctxWait(ctx)
	return c.wait(op, mu, &w, ctx)
}

func (c *Cond) wait(op string, mu *Mutex, w *cWait, ctx context.Context) error {
	if c == nil || !c.h.valid() || mu == nil || !mu.h.valid() {
		return nilErr(op)
	}
	if !c.h.enter() {
		if mu.h.closed() {
			// mu is being closed too: release it, as below.
			_ = mu.unlockClosing(op, true)
		}
		return closedErr(op, "")
	}
	defer c.h.leave()
	if !mu.h.enter() {
		// mu is being closed: release it, as a woken wait does (the
		// caller holds it; other waiters may need it to leave libc).
		_ = mu.unlockClosing(op, true)
		return closedErr(op, "")
	}
	defer mu.h.leave()
	if w.mode == waitRel {
		// Fix the deadline now, on CLOCK_MONOTONIC, for libc and for a
		// wait that finds no room.
		var now unix.Timespec
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &now)
		d := time.Duration(w.sec)*time.Second + time.Duration(w.nsec)
		*w = cWait{sec: now.Sec, nsec: now.Nsec, clock: unix.CLOCK_MONOTONIC, mode: waitAbs}
		addDuration(w, d)
	}
	select {
	case <-condSlots:
	default:
		return c.noRoom(op, mu, w, ctx)
	}
	defer func() { condSlots <- struct{}{} }()
	// Close (of the Cond or of mu) and cancellation wake the wait with
	// broadcasts, repeated until the wait has left libc (a broadcast sent
	// just before the wait entered pthread_cond_wait would be lost).
	var left *atomic.Bool // only a context's wake-up needs it (and allocates it)
	if ctx != nil {
		left = new(atomic.Bool)
		stop := context.AfterFunc(ctx, func() {
			if !c.h.enter() {
				return // Close wakes it
			}
			defer c.h.leave()
			for pause := time.Millisecond; !left.Load(); pause = min(2*pause, waitSlice) {
				cCondBroadcast(c.c)
				time.Sleep(pause)
			}
		})
		defer stop()
	}
	c.inC.Add(1)
	mu.waitingWith(c, 1)
	if c.h.closed() || mu.h.closed() {
		mu.waitingWith(c, -1)
		c.inC.Add(-1)
		if left != nil {
			left.Store(true)
		}
		if mu.h.closed() {
			// The caller's mu, being closed: release it, as below.
			_ = mu.unlocked(op, cMutexUnlock(mu.mu))
		}
		return closedErr(op, "")
	}
	rc := cCondWait(c.c, mu.mu, w)
	mu.waitingWith(c, -1)
	c.inC.Add(-1)
	if left != nil {
		left.Store(true)
	}
	switch {
	case rc == -int32(unix.ENOTRECOVERABLE):
		// libc returns without the mutex: the pin of the caller's Lock goes.
		mu.held.Add(-1)
		runtime.UnlockOSThread()
		return errnoErr(op, "", rc)
	case rc == -int32(unix.EOWNERDEAD):
		return errnoErr(op, "", rc) // mu held: the caller must repair first
	case mu.h.closed() && rc != -int32(unix.EPERM) && rc != -int32(unix.EINVAL):
		// mu is held again: libc relocked it (ETIMEDOUT included). EPERM
		// (mu not ours) and EINVAL (a bad deadline, refused before mu is
		// touched) leave it as it was: the caller still holds it and its
		// Unlock releases it (unlockClosing). The mutex is being closed:
		// release it, or Close could not destroy it.
		_ = mu.unlocked(op, cMutexUnlock(mu.mu))
		return closedErr(op, "")
	case c.h.closed():
		return closedErr(op, "")
	case ctx != nil && ctx.Err() != nil:
		return &Error{Op: op, Err: ctx.Err()}
	case rc != 0:
		return waitTarget{}.waitErr(op, rc, ctx)
	}
	return nil
}

// addDuration adds d to w's absolute deadline, saturating.
func addDuration(w *cWait, d time.Duration) {
	if d < 0 {
		d = 0
	}
	ns := w.nsec + int64(d%time.Second)
	w.sec += int64(d / time.Second)
	if ns >= 1e9 {
		ns -= 1e9
		w.sec++
	}
	w.nsec = ns
}

// noRoom is a wait that found the process's condition-wait slots all taken:
// a spurious wake-up, as POSIX allows. It unlocks mu, waits in Go until a
// waiter leaves libc (at most a wait slice, the deadline, Close or ctx),
// relocks mu and returns nil, or ETIMEDOUT once the deadline has passed: the
// caller rechecks its predicate and waits again.
func (c *Cond) noRoom(op string, mu *Mutex, w *cWait, ctx context.Context) error {
	if rc := cMutexUnlock(mu.mu); rc < 0 {
		return errnoErr(op, "", rc) // not the caller's: EPERM, as libc says
	} else if rc == 0 {
		mu.held.Add(-1)
		runtime.UnlockOSThread()
	}
	var ctxDone <-chan struct{}
	if ctx != nil {
		ctxDone = ctx.Done()
	}
	dw := *w
	if dw.mode == waitAbs && dw.clock == -1 {
		dw.clock = c.clock // pthread_cond_timedwait's clock: the cond's own
	}
	pause := waitSlice
	if dw.mode == waitAbs && validDeadline(&dw) {
		pause = max(min(pause, untilDeadline(&dw)), 0)
	}
	t := time.NewTimer(pause)
	var err error
	select {
	case s := <-condSlots:
		condSlots <- s
	case <-c.h.done:
		err = closedErr(op, "")
	case <-ctxDone:
		err = &Error{Op: op, Err: ctx.Err()}
	case <-t.C:
	}
	t.Stop()
	if err == nil && dw.mode == waitAbs && validDeadline(&dw) && untilDeadline(&dw) <= 0 {
		err = waitTarget{}.waitErr(op, -int32(unix.ETIMEDOUT), ctx)
	}
	// Relock as pthread_cond_wait would, whatever happened.
	lw := cWait{mode: waitForever}
	if lerr := mu.lock("pthread_mutex_lock", &lw, nil); lerr != nil {
		return lerr // EOWNERDEAD (held) or the mutex's own failure
	}
	return err
}

// Close releases the condition variable: pthread_cond_destroy(3) and free for
// one from NewCond, pthread_cond_destroy for one from InitCondAt, nothing for
// one from CondAt. Waiters are woken (pthread_cond_broadcast) and return an
// error wrapping os.ErrClosed once they have relocked their mutex.
func (c *Cond) Close() error { return c.close(true) }

func (c *Cond) closeForUnmap() { _ = c.close(false) }

func (c *Cond) close(destroy bool) error {
	const op = "pthread_cond_destroy"
	if c == nil || !c.h.valid() {
		return nilErr(op)
	}
	// Broadcast until every waiter has left libc (one that was about to
	// enter when the first broadcast went out would miss it).
	wake := func() {
		for pause := time.Millisecond; c.inC.Load() > 0; pause = min(2*pause, waitSlice) {
			cCondBroadcast(c.c)
			time.Sleep(pause)
		}
	}
	rc, first := c.h.closeWaking(wake, func() int32 {
		return objRelease(&c.cleanup, c.kind, destroy, c.c, cCondFree, cCondDestroy, c.owner, c)
	})
	return closeErr(op, rc, first)
}
