package posix

import (
	"context"
	"math"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Sizes and limits of glibc's sem_t, checked against the C headers at compile
// time (posix/sem_cgo.go).
const (
	// SizeofSem is sizeof(sem_t): the bytes a semaphore takes in a Mapping.
	SizeofSem = 32
	// AlignofSem is _Alignof(sem_t): offsets passed to InitSemaphoreAt and
	// SemaphoreAt must be multiples of it.
	AlignofSem = 8
	// SemValueMax is SEM_VALUE_MAX: the largest value a semaphore can hold.
	SemValueMax = 2147483647
)

type semKind uint8

const (
	semNamed    semKind = iota // sem_open; Close is sem_close
	semHeap                    // NewSemaphore; Close is sem_destroy + free
	semInit                    // InitSemaphoreAt; Close is sem_destroy
	semAttached                // SemaphoreAt; Close only detaches
)

// Semaphore is a POSIX semaphore (sem_overview(7)): a named one from
// OpenSemaphore, an unnamed one in C memory from NewSemaphore, or an unnamed
// process-shared one inside a Mapping from InitSemaphoreAt or SemaphoreAt.
//
// A Semaphore is safe for concurrent use by multiple goroutines. Close releases
// it once; calls after Close, and calls blocked in Wait when Close is called,
// return an error wrapping os.ErrClosed. Blocked waits hold no more than a few
// OS threads however many goroutines wait (see Wait).
type Semaphore struct {
	h       handle
	sem     unsafe.Pointer // *sem_t, in C memory or in a mapping
	name    string
	kind    semKind
	q       waitQueue // bounded waits (block.go)
	owner   *Mapping  // for semInit/semAttached
	cleanup runtime.Cleanup
}

func newSemaphore(p unsafe.Pointer, name string, kind semKind) *Semaphore {
	s := &Semaphore{sem: p, name: name, kind: kind}
	s.q.init()
	s.h.init(true)
	switch kind {
	case semNamed:
		// An unreachable named semaphore is closed (never unlinked).
		s.cleanup = runtime.AddCleanup(s, func(p unsafe.Pointer) { cSemClose(p) }, p)
	case semHeap:
		s.cleanup = runtime.AddCleanup(s, func(p unsafe.Pointer) { cSemFree(p) }, p)
	}
	return s
}

// OpenSemaphore opens or creates the named semaphore name with sem_open(3):
// flag is 0 to open an existing semaphore, or unix.O_CREAT, optionally with
// unix.O_EXCL, to create one with permissions mode (less the umask) and initial
// value. The name goes to libc untouched: glibc wants "/name" or "name" with no
// other slash, and says ENAMETOOLONG, EINVAL, ENOENT or EEXIST as it sees fit.
//
// An existing /dev/shm/sem.NAME shorter than a sem_t (glibc maps it unchecked,
// and a C program dies of SIGBUS at its first sem_wait) is refused with EFAULT;
// one whose private word is not one glibc writes (see semGarbled: a planted or
// overwritten file, on which glibc's first futex call aborts the process)
// with EINVAL. A file truncated after the open (or the object under a
// semaphore from InitSemaphoreAt or SemaphoreAt): Post, TryWait, Value and the
// waits fail with EFAULT where glibc raises SIGBUS and a C program dies
// (SIGBUS on the sem_t's bytes inside those libc calls is caught, see
// csrc/fault.c; bytes overwritten after the open still abort in glibc).
func OpenSemaphore(name string, flag int, mode uint32, value uint32) (*Semaphore, error) {
	const op = "sem_open"
	var buf [256]byte
	cname, err := cName(&buf, op, name)
	if err != nil {
		return nil, err
	}
	if err := cInt(op, name, "flag", flag); err != nil {
		return nil, err
	}
	p, rc := cSemOpen(cname, int32(flag), mode, value)
	if rc != 0 {
		if rc == -int32(unix.EFAULT) {
			return nil, &Error{Op: op, Name: name, Err: &argError{
				msg: "the object is shorter than a sem_t (truncated or planted /dev/shm file)", errno: unix.EFAULT}}
		}
		return nil, errnoErr(op, name, rc)
	}
	if flag&(unix.O_CREAT|unix.O_EXCL) != unix.O_CREAT|unix.O_EXCL && semGarbled(p) {
		cSemClose(p)
		return nil, garbledErr(op, name)
	}
	return newSemaphore(p, name, semNamed), nil
}

// semPrivateOff is where glibc's struct new_sem (x86-64: a 64-bit value and
// waiters word, then int private) keeps its private word, which holds
// FUTEX_PRIVATE (0) or FUTEX_SHARED (128) in every sem_t glibc initialises.
// glibc passes it into the futex operation: any other value makes the
// futex call fail, and glibc aborts the process ("The futex facility
// returned an unexpected error code.").
const semPrivateOff = 8

// semGarbled reports whether the sem_t at p, already probed readable, has a
// private word glibc never writes. A fault reading it counts as garbled.
func semGarbled(p unsafe.Pointer) bool {
	var v int32
	if guard("sem_open", "", func() { v = *(*int32)(unsafe.Add(p, semPrivateOff)) }) != nil {
		return true
	}
	return v != 0 && v != 128
}

// semGetValueErr is the shim's LIBCIPC_GETVALUE_ERR: sem_getvalue's result
// is a C int value, or semGetValueErr + errno.
const semGetValueErr = math.MinInt64

func garbledErr(op, name string) error {
	return &Error{Op: op, Name: name, Err: &argError{
		msg: "not a sem_t glibc initialised (its private word is neither 0 nor 128: glibc would abort the process at the first futex call)", errno: unix.EINVAL}}
}

// UnlinkSemaphore removes the named semaphore name with sem_unlink(3). Processes
// that have it open keep using it; it is destroyed when the last one closes it.
func UnlinkSemaphore(name string) error {
	const op = "sem_unlink"
	var buf [256]byte
	cname, err := cName(&buf, op, name)
	if err != nil {
		return err
	}
	if rc := cSemUnlink(cname); rc != 0 {
		return errnoErr(op, name, rc)
	}
	return nil
}

// NewSemaphore creates an unnamed semaphore private to this process with
// sem_init(3) (pshared = 0) in C memory. Close destroys it (sem_destroy) and
// frees the memory.
func NewSemaphore(value uint32) (*Semaphore, error) {
	const op = "sem_init"
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	p, rc := cSemNew(value)
	if rc != 0 {
		return nil, errnoErr(op, "", rc)
	}
	return newSemaphore(p, "", semHeap), nil
}

// InitSemaphoreAt creates a process-shared unnamed semaphore with sem_init(3)
// (pshared = 1) at offset off of m, which should be a MAP_SHARED mapping that
// other processes map too. off must leave SizeofSem bytes in m and be a multiple
// of AlignofSem (EINVAL otherwise). The layout is glibc's sem_t, so a C program
// mapping the same object uses it as a sem_t* at the same offset.
//
// Close calls sem_destroy, which must happen only when no process uses the
// semaphore any more. Unmapping m without Close detaches the semaphore without
// destroying it, as munmap does in C: use that when other processes go on
// using it.
func InitSemaphoreAt(m *Mapping, off int, value uint32) (*Semaphore, error) {
	const op = "sem_init"
	return placeSemaphore(op, m, off, func(p unsafe.Pointer) error {
		if rc := cSemInitShared(p, value); rc != 0 {
			return errnoErr(op, "", rc)
		}
		return nil
	}, semInit)
}

// SemaphoreAt attaches to the unnamed semaphore that another process (Go or C)
// or this one initialised with sem_init(pshared = 1) at offset off of m. It
// makes no libc call: the offset is checked as in InitSemaphoreAt, and the
// bytes are probed so that memory past the end of the object behind m is
// refused with EFAULT instead of raising SIGBUS later, and a sem_t whose
// private word glibc never writes (see OpenSemaphore) with EINVAL. Close only
// detaches: the semaphore stays usable by everyone else.
func SemaphoreAt(m *Mapping, off int) (*Semaphore, error) {
	const op = "sem_open"
	return placeSemaphore(op, m, off, func(p unsafe.Pointer) error {
		if rc := cProbeReadable(p, SizeofSem); rc != 0 {
			return errnoErr(op, "", rc)
		}
		if semGarbled(p) {
			return garbledErr(op, "")
		}
		return nil
	}, semAttached)
}

func placeSemaphore(op string, m *Mapping, off int, init func(unsafe.Pointer) error, kind semKind) (*Semaphore, error) {
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	if m == nil {
		return nil, nilErr(op)
	}
	var s *Semaphore
	err := m.place(op, off, SizeofSem, AlignofSem, func(p unsafe.Pointer) (child, error) {
		if err := init(p); err != nil {
			return nil, err
		}
		s = newSemaphore(p, "", kind)
		s.owner = m
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Name returns the name the semaphore was opened with ("" for an unnamed one).
func (s *Semaphore) Name() string {
	if s == nil {
		return ""
	}
	return s.name
}

// Post increments the semaphore with sem_post(3), waking a waiter if any.
// At SemValueMax it fails with EOVERFLOW, as glibc does.
func (s *Semaphore) Post() error {
	const op = "sem_post"
	if s == nil || !s.h.valid() {
		return nilErr(op)
	}
	if !s.h.enter() {
		return closedErr(op, s.name)
	}
	rc := cSemPost(s.sem)
	s.h.leave()
	if rc != 0 {
		return errnoErr(op, s.name, rc)
	}
	return nil
}

// TryWait decrements the semaphore with sem_trywait(3) if its value is above
// zero; otherwise it fails at once with EAGAIN.
func (s *Semaphore) TryWait() error {
	const op = "sem_trywait"
	if s == nil || !s.h.valid() {
		return nilErr(op)
	}
	if !s.h.enter() {
		return closedErr(op, s.name)
	}
	rc := cSemTryWait(s.sem)
	s.h.leave()
	if rc != 0 {
		return errnoErr(op, s.name, rc)
	}
	return nil
}

// Value returns the semaphore's value with sem_getvalue(3). glibc never reports
// a negative value (waiters are not counted) unless the sem_t's memory was
// overwritten: its value word is then read as a C int, -1 for 0xffffffff,
// as in C. glibc 2.36's sem_getvalue cannot fail; Value fails only with
// EFAULT when the sem_t's page is gone (its file truncated after the open), where
// C would die of SIGBUS.
func (s *Semaphore) Value() (int, error) {
	const op = "sem_getvalue"
	if s == nil || !s.h.valid() {
		return 0, nilErr(op)
	}
	if !s.h.enter() {
		return 0, closedErr(op, s.name)
	}
	rc := cSemGetValue(s.sem)
	s.h.leave()
	if rc < math.MinInt32 {
		// The shim's LIBCIPC_GETVALUE_ERR + errno: EFAULT when the
		// sem_t's page raised SIGBUS (its file truncated).
		return 0, errnoErr(op, s.name, int32(semGetValueErr-rc))
	}
	return int(rc), nil
}

// Wait decrements the semaphore, blocking while its value is zero, as
// sem_wait(3) does. It is built from sem_trywait and sem_clockwait on
// CLOCK_MONOTONIC in slices of 10 ms, so that Close is seen within a slice (the
// call then fails with os.ErrClosed) and the process keeps a bounded number of
// OS threads however many goroutines wait: at most 4 goroutines per handle and
// 32 per process wait in C, the rest in Go. Unlike sem_wait under a signal
// handler installed without SA_RESTART, Wait never fails with EINTR.
func (s *Semaphore) Wait() error {
	w := cWait{mode: waitForever}
	return s.wait("sem_wait", &w, nil)
}

// TimedWait is Wait with an absolute CLOCK_REALTIME deadline, as
// sem_timedwait(3): it fails with ETIMEDOUT if the semaphore could not be
// decremented before abs (a deadline in the past still tries once), and follows
// wall-clock changes.
func (s *Semaphore) TimedWait(abs time.Time) error {
	w := cWait{sec: abs.Unix(), nsec: int64(abs.Nanosecond()), clock: unix.CLOCK_REALTIME, mode: waitAbs}
	return s.wait("sem_timedwait", &w, nil)
}

// ClockWait is Wait with an absolute deadline on clock, as sem_clockwait(3):
// clock is unix.CLOCK_MONOTONIC or unix.CLOCK_REALTIME, and abs a reading of
// that clock, e.g. from unix.ClockGettime. Any other clock, or a tv_nsec outside
// [0, 1e9), fails with EINVAL without touching the semaphore, as in glibc.
func (s *Semaphore) ClockWait(clock int32, abs unix.Timespec) error {
	w := cWait{sec: abs.Sec, nsec: abs.Nsec, clock: clock, mode: waitAbs}
	return s.wait("sem_clockwait", &w, nil)
}

// WaitTimeout is Wait bounded by d, measured on CLOCK_MONOTONIC so that
// wall-clock changes do not stretch or cut it: the deadline is fixed by the
// call's first crossing into C. It fails with ETIMEDOUT when d passes first.
func (s *Semaphore) WaitTimeout(d time.Duration) error {
	w := cWait{sec: int64(d / time.Second), nsec: int64(d % time.Second), mode: waitRel}
	return s.wait("sem_clockwait", &w, nil)
}

// WaitContext is Wait until ctx is done: it returns an error wrapping ctx.Err()
// within one wait slice (10 ms) of the cancellation, and never decrements the
// semaphore when ctx is already done on entry. A deadline on ctx is also given
// to sem_clockwait (CLOCK_MONOTONIC, fixed when the call starts), so the call
// ends at it even before the context's own timer fires.
func (s *Semaphore) WaitContext(ctx context.Context) error {
	const op = "sem_clockwait"
	if err := ctx.Err(); err != nil {
		if s == nil {
			return nilErr(op)
		}
		return &Error{Op: op, Name: s.name, Err: err}
	}
	w := cWait{mode: waitForever}
	if d, ok := ctx.Deadline(); ok {
		rel := time.Until(d)
		w = cWait{sec: int64(rel / time.Second), nsec: int64(rel % time.Second), mode: waitRel}
	}
	return s.wait(op, &w, ctx)
}

// wait runs a blocking wait: one crossing that tries the semaphore and, if it
// is at zero, fixes a relative deadline; then sem_clockwait slices, each run
// while holding one of the handle's and one of the process's wait slots.
func (s *Semaphore) wait(op string, w *cWait, ctx context.Context) error {
	if s == nil || !s.h.valid() {
		return nilErr(op)
	}
	if !s.h.enter() {
		return closedErr(op, s.name)
	}
	defer s.h.leave()
	if w.mode == waitAbs && !validDeadline(w) {
		// Straight to sem_clockwait, which answers EINVAL without blocking.
		if rc := cSemWaitSlice(s.sem, w, int64(waitSlice)); rc != 0 {
			return errnoErr(op, s.name, rc)
		}
		return nil
	}
	if rc := cSemWaitBegin(s.sem, w); rc != -int32(unix.EAGAIN) {
		if rc != 0 {
			return waitTarget{name: s.name}.waitErr(op, rc, ctx)
		}
		return nil
	}
	return waitTarget{h: &s.h, q: &s.q, p: s.sem, name: s.name, kind: waitSem}.block(op, w, ctx)
}

// Close releases the semaphore: sem_close(3) for a named one (the name stays
// until UnlinkSemaphore), sem_destroy(3) and free for one from NewSemaphore,
// sem_destroy for one from InitSemaphoreAt, nothing for one from SemaphoreAt.
// Goroutines blocked in Wait return an error wrapping os.ErrClosed within one
// wait slice; the C object is released after they have left C. A second Close
// returns an error wrapping os.ErrClosed.
func (s *Semaphore) Close() error {
	return s.close(true)
}

// closeForUnmap detaches a semaphore placed in a mapping that is being
// unmapped: like munmap in C, it never destroys the sem_t, which other
// processes may still use.
func (s *Semaphore) closeForUnmap() { _ = s.close(false) }

func (s *Semaphore) close(destroy bool) error {
	op := "sem_close"
	if s != nil && s.kind != semNamed {
		op = "sem_destroy"
	}
	if s == nil || !s.h.valid() {
		return nilErr(op)
	}
	rc, first := s.h.closeWaking(s.q.stopWaits, func() int32 {
		s.cleanup.Stop()
		var rc int32
		switch s.kind {
		case semNamed:
			rc = cSemClose(s.sem)
		case semHeap:
			rc = cSemFree(s.sem)
		case semInit:
			if destroy {
				rc = cSemDestroy(s.sem)
			}
		}
		if s.owner != nil {
			s.owner.forget(s)
		}
		return rc
	})
	if !first {
		return closedErr(op, s.name)
	}
	if rc != 0 {
		return errnoErr(op, s.name, rc)
	}
	return nil
}
