package posix

import (
	"context"
	"math"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Blocking waits run in C in bounded slices so that Close and cancellation are
// seen promptly, and only a few goroutines per handle and per process wait in C
// at once; the others wait in Go (DESIGN.md section 4). The same machinery
// serves sem_wait, pthread_mutex_lock and pthread_rwlock_{rd,wr}lock.
const (
	waitSlice         = 10 * time.Millisecond
	waitersPerHandle  = 4
	waitersPerProcess = 32
)

// processWaitSlots holds the indices of the free process-wide wait slots:
// a wait in C uses the stop word of its slot.
var processWaitSlots = func() chan int32 {
	c := make(chan int32, waitersPerProcess)
	for i := int32(0); i < waitersPerProcess; i++ {
		c <- i
	}
	return c
}()

// waitQueue is the per-handle side of bounded waits: the tokens allowing a
// goroutine of this handle into C, and per token the process slot its wait
// holds there (-1 when none).
type waitQueue struct {
	slots chan int32
	inC   [waitersPerHandle]atomic.Int32
}

func (q *waitQueue) init() {
	q.slots = make(chan int32, waitersPerHandle)
	for i := int32(0); i < waitersPerHandle; i++ {
		q.slots <- i
		q.inC[i].Store(-1)
	}
}

// stopWaits makes the handle's waits in C come back to Go at their next
// slice boundary (Close). A wait publishes its process slot in inC before it
// looks at the closed bit, so either it sees the handle closed or Close sees
// its slot; a stale slot only sends another wait round once more.
func (q *waitQueue) stopWaits() {
	for i := range q.inC {
		if slot := q.inC[i].Load(); slot >= 0 {
			atomic.StoreInt32(&waitStop[slot], 1)
		}
	}
}

// waitKind names the libc call a blocking wait makes.
type waitKind uint8

const (
	waitSem      waitKind = iota // sem_clockwait
	waitMutex                    // pthread_mutex_clocklock: pins on success
	waitRdLock                   // pthread_rwlock_clockrdlock
	waitWrLock                   // pthread_rwlock_clockwrlock: pins on success
	waitFileLock                 // F_SETLKW, F_OFD_SETLKW, flock, lockf F_LOCK (file.go)
)

// waitTarget is one blocking call's object: its handle, queue and C pointer.
// Calls go through switches, not interfaces or closures, so that the wait
// state (on the caller's stack) does not escape.
type waitTarget struct {
	h    *handle
	q    *waitQueue
	p    unsafe.Pointer
	name string
	kind waitKind
}

// busy is the errno of a try that found the object taken.
func (t waitTarget) busy() int32 {
	if t.kind == waitSem || t.kind == waitFileLock {
		return -int32(unix.EAGAIN)
	}
	return -int32(unix.EBUSY)
}

// pins reports whether taking the object makes the calling thread its owner,
// so that the goroutine must stay on that thread (DESIGN.md section 5).
func (t waitTarget) pins() bool { return t.kind == waitMutex || t.kind == waitWrLock }

// taken reports whether rc means the object is now held by the caller
// (EOWNERDEAD: a robust mutex acquired from a dead owner).
func taken(rc int32) bool { return rc == 0 || rc == -int32(unix.EOWNERDEAD) }

// try makes one non-blocking attempt.
func (t waitTarget) try() int32 {
	if t.pins() {
		runtime.LockOSThread()
	}
	var rc int32
	switch t.kind {
	case waitSem:
		rc = cSemTryWait(t.p)
	case waitMutex:
		rc = cMutexTryLock(t.p)
	case waitRdLock:
		rc = cRWLockTryRdLock(t.p)
	case waitWrLock:
		rc = cRWLockTryWrLock(t.p)
	case waitFileLock:
		rc = cLockWaitBegin(t.p, &cWait{mode: waitForever})
	}
	if t.pins() && !taken(rc) {
		runtime.UnlockOSThread()
	}
	return rc
}

// loop waits in C in slices (the slot's stop word ends it early).
func (t waitTarget) loop(w *cWait, slot int32) int32 {
	if t.pins() {
		runtime.LockOSThread()
	}
	var rc int32
	switch t.kind {
	case waitSem:
		rc = cSemWaitLoop(t.p, w, int64(waitSlice), slot)
	case waitMutex:
		rc = cMutexLockLoop(t.p, w, int64(waitSlice), slot)
	case waitRdLock:
		rc = cRWLockRdLoop(t.p, w, int64(waitSlice), slot)
	case waitWrLock:
		rc = cRWLockWrLoop(t.p, w, int64(waitSlice), slot)
	case waitFileLock:
		rc = cLockWaitLoop(t.p, w, int64(waitSlice), slot)
	}
	if t.pins() && !taken(rc) {
		runtime.UnlockOSThread()
	}
	return rc
}

// block is the part of a blocking wait after its first crossing found the
// object taken (and fixed a relative deadline): waits in C in slices, each run
// while holding one of the handle's and one of the process's wait slots. The
// caller holds an enter on t.h.
func (t waitTarget) block(op string, w *cWait, ctx context.Context) error {
	var ctxDone <-chan struct{}
	if ctx != nil {
		ctxDone = ctx.Done()
	}
	// The Go timer for the deadline exists only if the call has to wait in Go
	// for a slot; the common case (a slot is free) allocates nothing.
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	// A cancellation reaches the wait in C through its slot's stop word
	// (inC: the slot while in C, -1 otherwise; only waits with a context
	// need it, and only they allocate it).
	var inC *atomic.Int32
	if ctxDone != nil {
		inC = new(atomic.Int32)
		inC.Store(-1)
		stop := context.AfterFunc(ctx, func() {
			if i := inC.Load(); i >= 0 {
				atomic.StoreInt32(&waitStop[i], 1)
			}
		})
		defer stop()
	}
	for {
		// Wait in Go for a slot of this handle, then one of the process.
		tok, rc, err := takeSlot(t, op, t.q.slots, nil, ctx, ctxDone, w, &timer)
		if err != nil || rc != 1 {
			return t.result(op, rc, err, ctx)
		}
		slot, rc, err := takeSlot(t, op, processWaitSlots, waitQueued, ctx, ctxDone, w, &timer)
		if err != nil || rc != 1 {
			t.q.slots <- tok
			return t.result(op, rc, err, ctx)
		}
		// Clear the stop word, publish the slot to the cancellation, then
		// look at Close and ctx: a Close or cancellation after this sets the
		// word, which the C wait reads between slices.
		atomic.StoreInt32(&waitStop[slot], 0)
		t.q.inC[tok].Store(slot)
		if inC != nil {
			inC.Store(slot)
		}
		err = t.interrupted(op, ctx)
		if err == nil {
			rc = t.loop(w, slot)
		}
		if inC != nil {
			inC.Store(-1)
		}
		t.q.inC[tok].Store(-1)
		processWaitSlots <- slot
		t.q.slots <- tok
		if err != nil {
			return err
		}
		if rc != waitSliceEnded {
			// Taken: report success even if Close or cancellation came
			// meanwhile, or the unit taken (a semaphore's, a lock) would be
			// lost.
			return t.result(op, rc, nil, ctx)
		}
		// Stopped, or giving the slot to queued waits: go round again.
		if err := t.interrupted(op, ctx); err != nil {
			return err
		}
	}
}

// result turns a wait's outcome into its error.
func (t waitTarget) result(op string, rc int32, err error, ctx context.Context) error {
	if err != nil {
		return err
	}
	if rc != 0 {
		return t.waitErr(op, rc, ctx)
	}
	return nil
}

// interrupted says why a wait must stop between slices: Close, or ctx done.
func (t waitTarget) interrupted(op string, ctx context.Context) error {
	if t.h.closed() {
		return closedErr(op, t.name)
	}
	if ctx != nil && ctx.Err() != nil {
		return &Error{Op: op, Name: t.name, Err: ctx.Err()}
	}
	return nil
}

// waitErr wraps a wait's errno; for the context forms, the deadline passed to
// C is the context's, so ETIMEDOUT reads as context.DeadlineExceeded.
func (t waitTarget) waitErr(op string, rc int32, ctx context.Context) error {
	if rc == -int32(unix.ETIMEDOUT) && ctx != nil {
		return &Error{Op: op, Name: t.name, Err: context.DeadlineExceeded}
	}
	return errnoErr(op, t.name, rc)
}

// takeSlot takes a token from slots (a free wait slot), waiting in Go if
// there is none, and giving up on Close, cancellation or the deadline in w.
// It returns rc 1 with the token; otherwise rc is the outcome of the call: at
// the deadline it tries the object once more, so ETIMEDOUT still means "could
// not be taken before the deadline" (rc 0 or -EOWNERDEAD: taken then), and err
// is set for Close and cancellation. While it waits, *queued (if not nil)
// counts it, which makes the waits in C give their slots up at their next
// slice so that waits take turns. *timer is created on first need and shared
// by the call's later waits.
func takeSlot(t waitTarget, op string, slots chan int32, queued *int32, ctx context.Context, ctxDone <-chan struct{}, w *cWait, timer **time.Timer) (int32, int32, error) {
	select {
	case tok := <-slots:
		return tok, 1, nil
	default:
	}
	if queued != nil {
		atomic.AddInt32(queued, 1)
		defer atomic.AddInt32(queued, -1)
	}
	for {
		var expired <-chan time.Time
		if w.mode == waitAbs {
			if *timer == nil {
				*timer = time.NewTimer(untilDeadline(w))
			}
			expired = (*timer).C
		}
		select {
		case tok := <-slots:
			return tok, 1, nil
		case <-t.h.done:
			return 0, 0, closedErr(op, t.name)
		case <-ctxDone:
			return 0, 0, &Error{Op: op, Name: t.name, Err: ctx.Err()}
		case <-expired:
			// The Go timer runs on the monotonic clock: a CLOCK_REALTIME
			// deadline may have moved with the wall clock. Re-read it.
			if d := untilDeadline(w); d > 0 {
				(*timer).Reset(d)
				continue
			}
			if rc := t.try(); rc != t.busy() {
				return 0, rc, nil
			}
			return 0, -int32(unix.ETIMEDOUT), nil
		}
	}
}

// untilDeadline returns how long until w's absolute deadline on its clock
// (read with clock_gettime, only when a wait has to block in Go).
func untilDeadline(w *cWait) time.Duration {
	var now unix.Timespec
	if unix.ClockGettime(w.clock, &now) != nil {
		return 0
	}
	switch ds := w.sec - now.Sec; {
	case ds > 1<<32:
		return math.MaxInt64
	case ds < -1<<32:
		return 0
	default:
		return time.Duration(ds)*time.Second + time.Duration(w.nsec-now.Nsec)
	}
}

// validDeadline reports whether glibc accepts an absolute deadline: it checks
// the clock and tv_nsec before trying the object, so an invalid one fails
// with EINVAL even when the object is free.
func validDeadline(w *cWait) bool {
	return (w.clock == unix.CLOCK_MONOTONIC || w.clock == unix.CLOCK_REALTIME) && w.nsec >= 0 && w.nsec < 1e9
}
