package posix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// MQPrioMax is MQ_PRIO_MAX (sysconf(_SC_MQ_PRIO_MAX) on Linux): priorities run
// from 0 to MQPrioMax-1, higher first.
const MQPrioMax = 32768

// MQAttr is struct mq_attr: the attributes of a message queue (mq_getattr(3)).
type MQAttr struct {
	Flags   int64 // 0 or unix.O_NONBLOCK
	MaxMsg  int64 // maximum number of messages in the queue
	MsgSize int64 // maximum size of a message, in bytes
	CurMsgs int64 // messages in the queue now
}

// MessageQueue is a POSIX message queue (mq_overview(7)) opened with
// mq_open(3): a priority-ordered list of messages (higher priority first, FIFO
// within a priority) that processes share by name.
//
// A MessageQueue is safe for concurrent use. Blocked senders and receivers hold
// no OS thread: the descriptor is kept O_NONBLOCK and calls wait for readiness
// on the Go runtime's netpoller, while Send and Receive keep libc's blocking
// meaning (and fail with EAGAIN when the queue was opened, or set with
// SetAttr, O_NONBLOCK). Close makes blocked calls return an error wrapping
// os.ErrClosed.
type MessageQueue struct {
	h        handle
	fd       int
	name     string
	cleanup  runtime.Cleanup // closes fd if q becomes unreachable
	msgsize  int64
	nonblock atomic.Bool // the O_NONBLOCK the user asked for

	mu       sync.Mutex
	f        *os.File // a duplicate of fd registered with the netpoller while calls wait
	rc       syscall.RawConn
	fWaiters int
	fIdle    *time.Timer           // drops f after pollIdle without waiters
	timed    map[*os.File]struct{} // per-call descriptors of calls with a deadline
	notifyID uintptr               // current SIGEV_THREAD registration, 0 if none
}

// OpenMessageQueue opens or creates the message queue name with mq_open(3).
// flag is unix.O_RDONLY, unix.O_WRONLY or unix.O_RDWR, with any of unix.O_CREAT,
// unix.O_EXCL and unix.O_NONBLOCK; mode (less the umask) and attr apply when the
// queue is created (attr nil: the system defaults; only MaxMsg and MsgSize are
// used). The name goes to libc untouched: Linux wants a leading slash (EINVAL
// otherwise). Errors caused by a limit (EINVAL for a size over
// /proc/sys/fs/mqueue, EMFILE for RLIMIT_MSGQUEUE, ENOSPC for queues_max) say
// which limit, and still wrap libc's errno.
func OpenMessageQueue(name string, flag int, mode uint32, attr *MQAttr) (*MessageQueue, error) {
	const op = "mq_open"
	var buf [256]byte
	cname, err := cName(&buf, op, name)
	if err != nil {
		return nil, err
	}
	var maxmsg, msgsize int64
	if attr != nil {
		maxmsg, msgsize = attr.MaxMsg, attr.MsgSize
	}
	// Internally always O_NONBLOCK and close-on-exec (glibc sets O_CLOEXEC).
	fd := cMqOpen(cname, int32(flag|unix.O_NONBLOCK), mode, attr != nil, maxmsg, msgsize)
	if fd < 0 {
		return nil, mqOpenErr(name, flag, attr, fd)
	}
	var a [4]int64
	if rc := cMqGetattr(fd, &a); rc != 0 {
		cClose(fd)
		return nil, errnoErr("mq_getattr", name, rc)
	}
	q := &MessageQueue{fd: int(fd), name: name, msgsize: a[2], timed: map[*os.File]struct{}{}}
	q.nonblock.Store(flag&unix.O_NONBLOCK != 0)
	q.h.init(false)
	q.cleanup = runtime.AddCleanup(q, func(fd int32) { cMqClose(fd) }, fd)
	return q, nil
}

// mqOpenErr names the limit behind an mq_open failure when one was hit.
func mqOpenErr(name string, flag int, attr *MQAttr, rc int32) error {
	errno := unix.Errno(-rc)
	var why string
	lim, lerr := MQLimits()
	switch {
	case lerr != nil || flag&unix.O_CREAT == 0:
	case errno == unix.EINVAL && attr != nil && attr.MaxMsg > lim.MsgMax && attr.MaxMsg > 0 && attr.MsgSize > 0:
		why = fmt.Sprintf("maxmsg %d is over fs.mqueue.msg_max (%d; privileged processes may go to 65536)", attr.MaxMsg, lim.MsgMax)
	case errno == unix.EINVAL && attr != nil && attr.MsgSize > lim.MsgsizeMax && attr.MaxMsg > 0 && attr.MsgSize > 0:
		why = fmt.Sprintf("msgsize %d is over fs.mqueue.msgsize_max (%d; privileged processes may go to 16777216)", attr.MsgSize, lim.MsgsizeMax)
	case errno == unix.EMFILE:
		why = fmt.Sprintf("the queue would exceed RLIMIT_MSGQUEUE (%d bytes) or the descriptor limit", lim.RlimitCur)
	case errno == unix.ENOSPC:
		why = fmt.Sprintf("fs.mqueue.queues_max (%d) queues exist", lim.QueuesMax)
	}
	if why == "" {
		return &Error{Op: "mq_open", Name: name, Err: errno}
	}
	return &Error{Op: "mq_open", Name: name, Err: &argError{msg: why, errno: errno}}
}

// UnlinkMessageQueue removes the name of a message queue with mq_unlink(3).
// Processes that have it open keep using it; it is destroyed when the last one
// closes it.
func UnlinkMessageQueue(name string) error {
	const op = "mq_unlink"
	var buf [256]byte
	cname, err := cName(&buf, op, name)
	if err != nil {
		return err
	}
	if rc := cMqUnlink(cname); rc != 0 {
		return errnoErr(op, name, rc)
	}
	return nil
}

// Name returns the name the queue was opened with.
func (q *MessageQueue) Name() string {
	if q == nil {
		return ""
	}
	return q.name
}

// Fd returns the message queue descriptor (an mqd_t is a file descriptor on
// Linux), or -1 for a nil or closed queue. It stays owned by q and is always
// O_NONBLOCK (see Attr for the flag the user set).
func (q *MessageQueue) Fd() int {
	if q == nil || !q.h.valid() || q.h.closed() {
		return -1
	}
	return q.fd
}

// mqDeadline is the deadline of one blocking call: none, a monotonic instant,
// or a CLOCK_REALTIME instant (TimedSend, TimedReceive) that is re-read when it
// seems to have passed, as the wall clock may have moved.
type mqDeadline struct {
	at       time.Time
	realtime bool
}

func (d mqDeadline) none() bool { return d.at.IsZero() }

// Send sends msg with priority prio with mq_send(3), blocking while the queue is
// full (failing with EAGAIN instead when the queue is O_NONBLOCK). A message
// longer than the queue's msgsize fails with EMSGSIZE, a prio of MQPrioMax or
// more with EINVAL, a queue not opened for writing with EBADF.
func (q *MessageQueue) Send(msg []byte, prio uint) error {
	return q.send("mq_send", msg, prio, mqDeadline{}, nil)
}

// TimedSend is Send with an absolute CLOCK_REALTIME deadline, as
// mq_timedsend(3): ETIMEDOUT if the queue stayed full until abs.
func (q *MessageQueue) TimedSend(msg []byte, prio uint, abs time.Time) error {
	return q.send("mq_timedsend", msg, prio, mqDeadline{at: abs.Round(0), realtime: true}, nil)
}

// SendTimeout is Send bounded by d on the monotonic clock: ETIMEDOUT if the queue
// stayed full for d.
func (q *MessageQueue) SendTimeout(msg []byte, prio uint, d time.Duration) error {
	return q.send("mq_timedsend", msg, prio, mqDeadline{at: time.Now().Add(d)}, nil)
}

// SendContext is Send until ctx is done: it then returns an error wrapping
// ctx.Err(), and sends nothing if ctx is already done on entry.
func (q *MessageQueue) SendContext(ctx context.Context, msg []byte, prio uint) error {
	const op = "mq_timedsend"
	if err := ctx.Err(); err != nil {
		return q.ctxErr(op, err)
	}
	var dl mqDeadline
	if d, ok := ctx.Deadline(); ok {
		dl.at = d
	}
	return q.send(op, msg, prio, dl, ctx)
}

func (q *MessageQueue) send(op string, msg []byte, prio uint, dl mqDeadline, ctx context.Context) error {
	if q == nil || !q.h.valid() {
		return nilErr(op)
	}
	if !q.h.enter() {
		return closedErr(op, q.name)
	}
	defer q.h.leave()
	if prio > 1<<32-1 {
		// unsigned int in C: a larger Go uint would be cut silently.
		return invalidArg(op, q.name, "priority does not fit in an unsigned int")
	}
	rc := cMqSend(int32(q.fd), msg, uint32(prio))
	if rc == -int32(unix.EAGAIN) && !q.nonblock.Load() {
		o := mqOps.Get().(*mqOp)
		o.write, o.msg, o.prio = true, msg, uint32(prio)
		err := q.block(op, o, dl, ctx)
		rc = int32(o.r)
		o.put()
		if err != nil {
			return err
		}
	}
	if rc != 0 {
		return errnoErr(op, q.name, rc)
	}
	return nil
}

// mqOp is one blocking send or receive: its attempt method, bound once as
// try, is what the netpoller runs, so that a blocking call does not allocate.
type mqOp struct {
	q       *MessageQueue
	ctx     context.Context
	write   bool
	msg     []byte // send
	buf     []byte // receive
	prio    uint32
	r       int64 // the shim's result
	stopped bool  // the attempt saw Close or ctx done instead of trying
	try     func(fd uintptr) bool
}

var mqOps = sync.Pool{New: func() any {
	o := &mqOp{}
	o.try = o.attempt
	return o
}}

func (o *mqOp) put() {
	o.q, o.ctx, o.msg, o.buf = nil, nil, nil, nil
	mqOps.Put(o)
}

// attempt makes one non-blocking mq_send or mq_receive on fd; false (EAGAIN)
// tells the netpoller to wait. It gives up without trying once the queue is
// closed or the call's context is done.
func (o *mqOp) attempt(fd uintptr) bool {
	if o.q.h.closed() || o.ctx != nil && o.ctx.Err() != nil {
		o.stopped = true
		return true
	}
	if o.write {
		o.r = int64(cMqSend(int32(fd), o.msg, o.prio))
	} else {
		o.r = cMqReceive(int32(fd), o.buf, &o.prio)
	}
	return o.r != -int64(unix.EAGAIN)
}

// Receive receives the oldest message of the highest priority into buf with
// mq_receive(3), blocking while the queue is empty (failing with EAGAIN instead
// when the queue is O_NONBLOCK). It returns the message's length and priority.
// buf must hold the queue's MsgSize bytes (EMSGSIZE otherwise, even for a short
// message, as in C); a nil buf is such a buffer. Receive does not allocate.
func (q *MessageQueue) Receive(buf []byte) (int, uint, error) {
	return q.receive("mq_receive", buf, mqDeadline{}, nil)
}

// TimedReceive is Receive with an absolute CLOCK_REALTIME deadline, as
// mq_timedreceive(3): ETIMEDOUT if the queue stayed empty until abs.
func (q *MessageQueue) TimedReceive(buf []byte, abs time.Time) (int, uint, error) {
	return q.receive("mq_timedreceive", buf, mqDeadline{at: abs.Round(0), realtime: true}, nil)
}

// ReceiveTimeout is Receive bounded by d on the monotonic clock.
func (q *MessageQueue) ReceiveTimeout(buf []byte, d time.Duration) (int, uint, error) {
	return q.receive("mq_timedreceive", buf, mqDeadline{at: time.Now().Add(d)}, nil)
}

// ReceiveContext is Receive until ctx is done: it then returns an error
// wrapping ctx.Err(), and takes no message if ctx is already done on entry.
func (q *MessageQueue) ReceiveContext(ctx context.Context, buf []byte) (int, uint, error) {
	const op = "mq_timedreceive"
	if err := ctx.Err(); err != nil {
		return 0, 0, q.ctxErr(op, err)
	}
	var dl mqDeadline
	if d, ok := ctx.Deadline(); ok {
		dl.at = d
	}
	return q.receive(op, buf, dl, ctx)
}

// ReceiveMessage is Receive into a new buffer of the queue's MsgSize bytes; it
// returns the message (trimmed to its length) and its priority.
func (q *MessageQueue) ReceiveMessage() ([]byte, uint, error) {
	if q == nil || !q.h.valid() {
		return nil, 0, nilErr("mq_receive")
	}
	buf := make([]byte, q.msgsize)
	n, prio, err := q.Receive(buf)
	if err != nil {
		return nil, 0, err
	}
	return buf[:n:n], prio, nil
}

func (q *MessageQueue) receive(op string, buf []byte, dl mqDeadline, ctx context.Context) (int, uint, error) {
	if q == nil || !q.h.valid() {
		return 0, 0, nilErr(op)
	}
	if !q.h.enter() {
		return 0, 0, closedErr(op, q.name)
	}
	defer q.h.leave()
	var prio uint32
	n := cMqReceive(int32(q.fd), buf, &prio)
	if n == -int64(unix.EAGAIN) && !q.nonblock.Load() {
		o := mqOps.Get().(*mqOp)
		o.write, o.buf = false, buf
		err := q.block(op, o, dl, ctx)
		n, prio = o.r, o.prio
		o.put()
		if err != nil {
			return 0, 0, err
		}
	}
	if n < 0 {
		return 0, 0, errnoErr(op, q.name, int32(n))
	}
	return int(n), uint(prio), nil
}

// block waits on the netpoller until attempt (a non-blocking mq_send or
// mq_receive) stops saying EAGAIN, the deadline passes, ctx is done or the queue
// is closed. Calls without a deadline share q's descriptor: the attempt runs
// under its read (or write) lock, one caller at a time, and also checks ctx, so
// a cancellation (which sets a past deadline to wake the caller holding the
// lock) reaches every caller. Calls with a deadline wait on a duplicate of the
// descriptor, so that each has its own.
func (q *MessageQueue) block(op string, o *mqOp, dl mqDeadline, ctx context.Context) error {
	o.q, o.ctx = q, ctx
	write := o.write
	var rawc syscall.RawConn
	var f *os.File
	shared := dl.none()
	if shared {
		var err error
		if f, rawc, err = q.pollable(op); err != nil {
			return err
		}
		defer q.unpollable()
		if ctx != nil && ctx.Done() != nil {
			stop := context.AfterFunc(ctx, func() { setDeadline(f, write, time.Unix(1, 0)) })
			defer stop()
		}
	} else {
		nfd, err := unix.FcntlInt(uintptr(q.fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return &Error{Op: op, Name: q.name, Err: err}
		}
		f = os.NewFile(uintptr(nfd), q.name)
		defer f.Close()
		if rawc, err = f.SyscallConn(); err != nil {
			return &Error{Op: op, Name: q.name, Err: err}
		}
		q.mu.Lock()
		if q.h.closed() {
			q.mu.Unlock()
			return closedErr(op, q.name)
		}
		q.timed[f] = struct{}{}
		q.mu.Unlock()
		defer func() {
			q.mu.Lock()
			delete(q.timed, f)
			q.mu.Unlock()
		}()
		setDeadline(f, write, dl.at)
		if ctx != nil && ctx.Done() != nil {
			stop := context.AfterFunc(ctx, func() { setDeadline(f, write, time.Unix(1, 0)) })
			defer stop()
		}
	}
	for {
		o.stopped = false
		var err error
		if write {
			err = rawc.Write(o.try)
		} else {
			err = rawc.Read(o.try)
		}
		if err == nil && !o.stopped {
			return nil // o.r holds the result, maybe an errno
		}
		if q.h.closed() {
			return closedErr(op, q.name)
		}
		if ctx != nil && ctx.Err() != nil {
			return q.ctxErr(op, ctx.Err())
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return &Error{Op: op, Name: q.name, Err: err}
		}
		if shared {
			// Another caller's cancellation woke us: clear the deadline (a
			// cancelled caller still waiting for the lock sees its context in
			// the attempt) and wait again.
			setDeadline(f, write, time.Time{})
			if q.h.closed() {
				setDeadline(f, write, time.Unix(1, 0))
			}
			continue
		}
		if dl.realtime {
			// The deadline is on the wall clock, which may have moved back.
			if d := time.Until(dl.at); d > 0 {
				setDeadline(f, write, time.Now().Add(d))
				continue
			}
		}
		// At the deadline: one last try, so ETIMEDOUT means the queue stayed
		// full (or empty) until then.
		if o.attempt(uintptr(q.fd)) && !o.stopped {
			return nil
		}
		if ctx != nil {
			return q.ctxErr(op, context.DeadlineExceeded)
		}
		return &Error{Op: op, Name: q.name, Err: unix.ETIMEDOUT}
	}
}

// pollIdle is how long the netpoller registration outlives the last wait.
const pollIdle = 20 * time.Millisecond

// pollable returns the os.File through which calls without a deadline wait on
// the netpoller: a duplicate of the descriptor, registered with epoll while
// calls wait on it and dropped pollIdle after the last one left. A registered
// descriptor costs an epoll wake-up on every message sent or received, even
// when nobody waits; a queue whose calls rarely block pays nothing, and one
// whose calls block all the time (ping-pong) keeps it.
func (q *MessageQueue) pollable(op string) (*os.File, syscall.RawConn, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.h.closed() {
		return nil, nil, closedErr(op, q.name)
	}
	if q.f == nil {
		nfd, err := unix.FcntlInt(uintptr(q.fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, nil, &Error{Op: op, Name: q.name, Err: err}
		}
		f := os.NewFile(uintptr(nfd), q.name)
		rawc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return nil, nil, &Error{Op: op, Name: q.name, Err: err}
		}
		q.f, q.rc = f, rawc
	}
	q.fWaiters++
	return q.f, q.rc, nil
}

// unpollable ends a wait that pollable began.
func (q *MessageQueue) unpollable() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fWaiters--; q.fWaiters > 0 {
		return
	}
	if q.fIdle == nil {
		q.fIdle = time.AfterFunc(pollIdle, q.dropIdlePoll)
	} else {
		q.fIdle.Reset(pollIdle)
	}
}

// dropIdlePoll closes the registered duplicate if nobody waits on it.
func (q *MessageQueue) dropIdlePoll() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fWaiters == 0 && q.f != nil {
		q.f.Close()
		q.f, q.rc = nil, nil
	}
}

func setDeadline(f *os.File, write bool, t time.Time) {
	if write {
		f.SetWriteDeadline(t)
	} else {
		f.SetReadDeadline(t)
	}
}

func (q *MessageQueue) ctxErr(op string, err error) error {
	if q == nil {
		return nilErr(op)
	}
	return &Error{Op: op, Name: q.name, Err: err}
}

// Attr returns the queue's attributes with mq_getattr(3). Flags is the
// O_NONBLOCK the user set (the descriptor itself is always non-blocking).
func (q *MessageQueue) Attr() (MQAttr, error) {
	const op = "mq_getattr"
	if q == nil || !q.h.valid() {
		return MQAttr{}, nilErr(op)
	}
	if !q.h.enter() {
		return MQAttr{}, closedErr(op, q.name)
	}
	var a [4]int64
	rc := cMqGetattr(int32(q.fd), &a)
	q.h.leave()
	if rc != 0 {
		return MQAttr{}, errnoErr(op, q.name, rc)
	}
	return q.userAttr(a), nil
}

func (q *MessageQueue) userAttr(a [4]int64) MQAttr {
	var flags int64
	if q.nonblock.Load() {
		flags = unix.O_NONBLOCK
	}
	return MQAttr{Flags: flags | a[0]&^unix.O_NONBLOCK, MaxMsg: a[1], MsgSize: a[2], CurMsgs: a[3]}
}

// SetAttr sets the queue's flags with mq_setattr(3) and returns the old
// attributes. As in libc only attr.Flags counts, and only O_NONBLOCK may be set
// in it (EINVAL otherwise, from the kernel); the other fields are ignored.
func (q *MessageQueue) SetAttr(attr MQAttr) (MQAttr, error) {
	const op = "mq_setattr"
	if q == nil || !q.h.valid() {
		return MQAttr{}, nilErr(op)
	}
	if !q.h.enter() {
		return MQAttr{}, closedErr(op, q.name)
	}
	defer q.h.leave()
	var a [4]int64
	// The descriptor stays non-blocking; the kernel still judges the flags.
	if rc := cMqSetattr(int32(q.fd), attr.Flags|unix.O_NONBLOCK, &a); rc != 0 {
		return MQAttr{}, errnoErr(op, q.name, rc)
	}
	old := q.userAttr(a)
	q.nonblock.Store(attr.Flags&unix.O_NONBLOCK != 0)
	return old, nil
}

// Close closes the queue's descriptor with mq_close(3), which also drops this
// process's notification registration. Blocked senders
// and receivers return an error wrapping os.ErrClosed. The queue itself stays
// until UnlinkMessageQueue.
func (q *MessageQueue) Close() error {
	const op = "mq_close"
	if q == nil || !q.h.valid() {
		return nilErr(op)
	}
	rc, first := q.h.closeWaking(func() {
		// Wake every blocked call: each sees the handle closed and leaves.
		past := time.Unix(1, 0)
		q.mu.Lock()
		if q.f != nil {
			q.f.SetDeadline(past)
		}
		for f := range q.timed {
			f.SetDeadline(past)
		}
		q.mu.Unlock()
	}, func() int32 {
		// Every waiter has left; the registered duplicate may linger.
		q.mu.Lock()
		if q.fIdle != nil {
			q.fIdle.Stop()
		}
		if q.f != nil {
			q.f.Close()
			q.f, q.rc = nil, nil
		}
		q.mu.Unlock()
		q.forgetNotify()
		q.cleanup.Stop()
		return cMqClose(int32(q.fd))
	})
	if !first {
		return closedErr(op, q.name)
	}
	if rc != 0 {
		return errnoErr(op, q.name, rc)
	}
	return nil
}

// Notification (mq_notify(3)). The kernel allows one registration per queue
// (EBUSY for any other, this process included, until it fires or is
// cancelled), and sends it only when a message arrives in an empty queue while
// no process is blocked in mq_receive on it.

var (
	notifyMu    sync.Mutex
	notifyFuncs = map[uintptr]func(){}
	notifySeq   uintptr
)

// runNotify runs the function registered as id, once.
func runNotify(id uintptr) {
	notifyMu.Lock()
	fn := notifyFuncs[id]
	delete(notifyFuncs, id)
	notifyMu.Unlock()
	if fn != nil {
		fn()
	}
}

// NotifyFunc asks, with mq_notify(3) and SIGEV_THREAD, that fn be called once
// when a message arrives in the empty queue. As in C, fn runs on a new thread
// that glibc starts for the notification; the registration is then gone, and fn
// may call NotifyFunc again to re-arm. A panic in fn is a panic in a goroutine:
// it ends the process with the panic's message and stack trace on stderr.
func (q *MessageQueue) NotifyFunc(fn func()) error {
	const op = "mq_notify"
	if q == nil || !q.h.valid() {
		return nilErr(op)
	}
	if fn == nil {
		return invalidArg(op, q.name, "nil function")
	}
	if !q.h.enter() {
		return closedErr(op, q.name)
	}
	defer q.h.leave()
	notifyMu.Lock()
	notifySeq++
	id := notifySeq
	notifyFuncs[id] = fn
	notifyMu.Unlock()
	if rc := cMqNotifyThread(int32(q.fd), id); rc != 0 {
		notifyMu.Lock()
		delete(notifyFuncs, id)
		notifyMu.Unlock()
		return errnoErr(op, q.name, rc)
	}
	q.mu.Lock()
	prev := q.notifyID
	q.notifyID = id
	q.mu.Unlock()
	if prev != 0 {
		// A registration that fired (and was consumed) before this one.
		notifyMu.Lock()
		delete(notifyFuncs, prev)
		notifyMu.Unlock()
	}
	return nil
}

// NotifySignal asks, with mq_notify(3) and SIGEV_SIGNAL, that signal sig be sent
// to this process when a message arrives in the empty queue, with value as its
// sigev_value (si_value.sival_ptr in the handler's siginfo_t). The Go runtime's
// os/signal does not pass si_value on; a handler that needs it must be a C one.
func (q *MessageQueue) NotifySignal(sig unix.Signal, value uintptr) error {
	const op = "mq_notify"
	if q == nil || !q.h.valid() {
		return nilErr(op)
	}
	if !q.h.enter() {
		return closedErr(op, q.name)
	}
	defer q.h.leave()
	if rc := cMqNotifySignal(int32(q.fd), int32(sig), value); rc != 0 {
		return errnoErr(op, q.name, rc)
	}
	return nil
}

// NotifyCancel drops this process's registration with mq_notify(3) and a NULL
// notification (a no-op, as in C, when this process has none).
func (q *MessageQueue) NotifyCancel() error {
	const op = "mq_notify"
	if q == nil || !q.h.valid() {
		return nilErr(op)
	}
	if !q.h.enter() {
		return closedErr(op, q.name)
	}
	defer q.h.leave()
	if rc := cMqNotifyCancel(int32(q.fd)); rc != 0 {
		return errnoErr(op, q.name, rc)
	}
	q.forgetNotify()
	return nil
}

func (q *MessageQueue) forgetNotify() {
	q.mu.Lock()
	id := q.notifyID
	q.notifyID = 0
	q.mu.Unlock()
	if id != 0 {
		notifyMu.Lock()
		delete(notifyFuncs, id)
		notifyMu.Unlock()
	}
}

// MQLimitsInfo holds the system's message queue limits.
type MQLimitsInfo struct {
	MsgMax         int64  // /proc/sys/fs/mqueue/msg_max: largest maxmsg for unprivileged processes
	MsgsizeMax     int64  // /proc/sys/fs/mqueue/msgsize_max: largest msgsize for unprivileged processes
	QueuesMax      int64  // /proc/sys/fs/mqueue/queues_max: queues in the system
	MsgDefault     int64  // /proc/sys/fs/mqueue/msg_default: maxmsg when attr is nil
	MsgsizeDefault int64  // /proc/sys/fs/mqueue/msgsize_default: msgsize when attr is nil
	RlimitCur      uint64 // RLIMIT_MSGQUEUE soft limit, bytes per user
	RlimitMax      uint64 // RLIMIT_MSGQUEUE hard limit
}

// MQLimits reads the message queue limits from /proc/sys/fs/mqueue and
// getrlimit(RLIMIT_MSGQUEUE).
func MQLimits() (MQLimitsInfo, error) {
	var l MQLimitsInfo
	for _, f := range []struct {
		name string
		v    *int64
	}{{"msg_max", &l.MsgMax}, {"msgsize_max", &l.MsgsizeMax}, {"queues_max", &l.QueuesMax},
		{"msg_default", &l.MsgDefault}, {"msgsize_default", &l.MsgsizeDefault}} {
		b, err := os.ReadFile("/proc/sys/fs/mqueue/" + f.name)
		if err != nil {
			return l, err
		}
		if *f.v, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err != nil {
			return l, err
		}
	}
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &r); err != nil {
		return l, &Error{Op: "getrlimit", Name: "RLIMIT_MSGQUEUE", Err: err}
	}
	l.RlimitCur, l.RlimitMax = r.Cur, r.Max
	return l, nil
}
