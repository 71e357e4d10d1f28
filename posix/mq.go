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

	// Blocking calls wait in Go for readiness that a poller goroutine per
	// direction learns from the netpoller (see block).
	pmu    sync.Mutex
	pf     *os.File // a duplicate of fd, registered with the netpoller, closed by Close
	prc    syscall.RawConn
	rd, wr pollDir

	nmu      sync.Mutex // serialises mq_notify with notifyID
	notifyID uintptr    // last SIGEV_THREAD registration, 0 if none
}

// pollDir is one direction (readable, writable) of a queue's waiting calls:
// the leader waits on the netpoller, the followers wait in Go for their turn.
type pollDir struct {
	leader    *mqOp
	followers []*mqOp // FIFO
	deadline  bool    // the descriptor's deadline for this direction is set
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
	if err := cInt(op, name, "flag", flag); err != nil {
		return nil, err
	}
	// Internally always O_NONBLOCK and close-on-exec (glibc sets O_CLOEXEC).
	fd := cMqOpen(cname, int32(flag|unix.O_NONBLOCK), mode, attr != nil, maxmsg, msgsize)
	if fd < 0 {
		return nil, mqOpenErr(name, flag, attr, fd)
	}
	// The queue's msgsize, for ReceiveMessage. mq_getattr fails only on a
	// descriptor the kernel will not operate on (O_PATH in flag): mq_open
	// succeeded, as it does in C, and calls on the queue say EBADF as in C.
	var a [4]int64
	if rc := cMqGetattr(fd, &a); rc != 0 {
		a = [4]int64{}
	}
	q := &MessageQueue{fd: int(fd), name: name, msgsize: a[2]}
	q.nonblock.Store(flag&unix.O_NONBLOCK != 0)
	q.h.init(true)
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

// mqDeadline is the deadline of one blocking call: a monotonic instant, or a
// CLOCK_REALTIME instant (TimedSend, TimedReceive) that is re-read when it
// seems to have passed, as the wall clock may have moved.
type mqDeadline struct {
	at       time.Time
	has      bool
	realtime bool
}

// realtimeDeadline is the deadline of mq_timedsend/mq_timedreceive: the kernel
// refuses a negative tv_sec with EINVAL before it looks at the queue.
func realtimeDeadline(op, name string, abs time.Time) (mqDeadline, error) {
	if abs.Unix() < 0 {
		return mqDeadline{}, &Error{Op: op, Name: name, Err: unix.EINVAL}
	}
	return mqDeadline{at: abs.Round(0), has: true, realtime: true}, nil
}

// Send sends msg with priority prio with mq_send(3), blocking while the queue is
// full (failing with EAGAIN instead when the queue is O_NONBLOCK). A message
// longer than the queue's msgsize fails with EMSGSIZE, a prio of MQPrioMax or
// more with EINVAL, a queue not opened for writing with EBADF.
func (q *MessageQueue) Send(msg []byte, prio uint) error {
	return q.send("mq_send", msg, prio, mqDeadline{}, nil)
}

// TimedSend is Send with an absolute CLOCK_REALTIME deadline, as
// mq_timedsend(3): ETIMEDOUT if the queue stayed full until abs; EINVAL for an
// instant before 1970 (a negative tv_sec), as the kernel says.
func (q *MessageQueue) TimedSend(msg []byte, prio uint, abs time.Time) error {
	const op = "mq_timedsend"
	dl, err := realtimeDeadline(op, q.Name(), abs)
	if err != nil {
		return err
	}
	return q.send(op, msg, prio, dl, nil)
}

// SendTimeout is Send bounded by d on the monotonic clock: ETIMEDOUT if the queue
// stayed full for d.
func (q *MessageQueue) SendTimeout(msg []byte, prio uint, d time.Duration) error {
	return q.send("mq_timedsend", msg, prio, mqDeadline{at: time.Now().Add(d), has: true}, nil)
}

// SendContext is Send until ctx is done: it then returns an error wrapping
// ctx.Err(), and sends nothing if ctx is already done on entry.
func (q *MessageQueue) SendContext(ctx context.Context, msg []byte, prio uint) error {
	const op = "mq_timedsend"
	if err := ctx.Err(); err != nil {
		return q.ctxErr(op, err)
	}
	return q.send(op, msg, prio, ctxDeadline(ctx), ctx)
}

func ctxDeadline(ctx context.Context) mqDeadline {
	d, ok := ctx.Deadline()
	return mqDeadline{at: d, has: ok}
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

// Receive receives the oldest message of the highest priority into buf with
// mq_receive(3), blocking while the queue is empty (failing with EAGAIN instead
// when the queue is O_NONBLOCK). It returns the message's length and priority.
// buf must hold the queue's MsgSize bytes (EMSGSIZE otherwise, even for a short
// message, as in C); a nil buf is such a buffer. Receive does not allocate,
// blocking or not.
func (q *MessageQueue) Receive(buf []byte) (int, uint, error) {
	return q.receive("mq_receive", buf, mqDeadline{}, nil)
}

// TimedReceive is Receive with an absolute CLOCK_REALTIME deadline, as
// mq_timedreceive(3): ETIMEDOUT if the queue stayed empty until abs; EINVAL for
// an instant before 1970 (a negative tv_sec), as the kernel says.
func (q *MessageQueue) TimedReceive(buf []byte, abs time.Time) (int, uint, error) {
	const op = "mq_timedreceive"
	dl, err := realtimeDeadline(op, q.Name(), abs)
	if err != nil {
		return 0, 0, err
	}
	return q.receive(op, buf, dl, nil)
}

// ReceiveTimeout is Receive bounded by d on the monotonic clock.
func (q *MessageQueue) ReceiveTimeout(buf []byte, d time.Duration) (int, uint, error) {
	return q.receive("mq_timedreceive", buf, mqDeadline{at: time.Now().Add(d), has: true}, nil)
}

// ReceiveContext is Receive until ctx is done: it then returns an error
// wrapping ctx.Err(), and takes no message if ctx is already done on entry.
func (q *MessageQueue) ReceiveContext(ctx context.Context, buf []byte) (int, uint, error) {
	const op = "mq_timedreceive"
	if err := ctx.Err(); err != nil {
		return 0, 0, q.ctxErr(op, err)
	}
	return q.receive(op, buf, ctxDeadline(ctx), ctx)
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

// mqOp is one blocking send or receive. Ops are pooled, with their wake-up
// channel and timer, so that a blocking call does not allocate.
type mqOp struct {
	write   bool
	msg     []byte // send
	buf     []byte // receive
	prio    uint32
	r       int64         // the shim's last result
	wake    chan struct{} // signalled when the op becomes the leader
	timer   *time.Timer
	ctx     context.Context
	stopped bool // the netpoller attempt saw Close or ctx done
	try     func(fd uintptr) bool
}

var mqOps = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	o := &mqOp{wake: make(chan struct{}, 1), timer: t}
	o.try = o.pollAttempt
	return o
}}

func (o *mqOp) put() {
	o.msg, o.buf, o.ctx = nil, nil, nil
	select {
	case <-o.wake:
	default:
	}
	mqOps.Put(o)
}

// attempt makes one non-blocking mq_send or mq_receive; it reports whether the
// call is over (anything but EAGAIN).
func (o *mqOp) attempt(fd int) bool {
	if o.write {
		o.r = int64(cMqSend(int32(fd), o.msg, o.prio))
	} else {
		o.r = cMqReceive(int32(fd), o.buf, &o.prio)
	}
	return o.r != -int64(unix.EAGAIN)
}

// pollAttempt is attempt as the netpoller runs it for the leader; it stops
// without trying once the call's context is done (Close sets a past deadline).
func (o *mqOp) pollAttempt(fd uintptr) bool {
	if o.ctx != nil && o.ctx.Err() != nil {
		o.stopped = true
		return true
	}
	o.stopped = false
	return o.attempt(int(fd))
}

// block waits until o's attempt stops saying EAGAIN, the deadline passes, ctx
// is done or the queue is closed, holding no OS thread. The calls waiting in
// one direction take turns: the leader waits on the netpoller for the queue to
// become readable (or writable), on a duplicate descriptor whose deadline is
// the leader's own; the others wait in Go, in arrival order, for their turn,
// their own deadline, ctx or Close. When the leader is done it hands over to
// the next. No descriptor is ever closed before Close (closing any descriptor
// of a queue drops this process's mq_notify registration).
func (q *MessageQueue) block(op string, o *mqOp, dl mqDeadline, ctx context.Context) error {
	o.ctx = ctx
	var ctxDone <-chan struct{}
	if ctx != nil {
		ctxDone = ctx.Done()
	}
	var expired <-chan time.Time
	if dl.has {
		o.timer.Reset(time.Until(dl.at))
		defer o.timer.Stop()
		expired = o.timer.C
	}
	lead, err := q.join(op, o)
	if err != nil {
		return err
	}
	for !lead {
		// A follower: the turn, or the end of the call.
		select {
		case <-o.wake:
			lead = true
		case <-q.h.done:
			q.leave(o)
			return closedErr(op, q.name)
		case <-ctxDone:
			q.leave(o)
			return q.ctxErr(op, ctx.Err())
		case <-expired:
			if dl.realtime {
				if d := time.Until(dl.at); d > 0 {
					o.timer.Reset(d)
					continue
				}
			}
			q.leave(o)
			return q.timedOut(op, o, ctx)
		}
	}
	defer q.leave(o)
	q.setDeadline(o.write, dl)
	if ctxDone != nil {
		// The function may run after this call has returned o to the pool:
		// it must not read o.
		write := o.write
		stop := context.AfterFunc(ctx, func() { q.setDeadline(write, mqDeadline{at: time.Unix(1, 0), has: true}) })
		defer stop()
	}
	for {
		var err error
		if o.write {
			err = q.prc.Write(o.try)
		} else {
			err = q.prc.Read(o.try)
		}
		switch {
		case err == nil && !o.stopped:
			// Done, even if Close or cancellation came meanwhile: a message
			// taken must be returned, not lost.
			return nil // o.r holds the result, maybe an errno
		case q.h.closed():
			return closedErr(op, q.name)
		case ctx != nil && ctx.Err() != nil:
			return q.ctxErr(op, ctx.Err())
		case err != nil && !errors.Is(err, os.ErrDeadlineExceeded):
			return &Error{Op: op, Name: q.name, Err: err}
		}
		// A deadline passed: ours (a wall-clock one is re-read, as the clock
		// may have moved back), or a past one set for a previous leader by a
		// cancellation that fired late: then restore ours and wait again.
		if dl.has && time.Until(dl.at) <= 0 {
			return q.timedOut(op, o, ctx)
		}
		q.setDeadline(o.write, dl)
	}
}

// timedOut makes the last try at the deadline, so that ETIMEDOUT means the
// queue stayed full (or empty) until then.
func (q *MessageQueue) timedOut(op string, o *mqOp, ctx context.Context) error {
	if o.attempt(q.fd) {
		return nil
	}
	if ctx != nil {
		return q.ctxErr(op, context.DeadlineExceeded)
	}
	return &Error{Op: op, Name: q.name, Err: unix.ETIMEDOUT}
}

func (q *MessageQueue) dir(write bool) *pollDir {
	if write {
		return &q.wr
	}
	return &q.rd
}

// join adds o to its direction's waiting calls and reports whether it leads.
// The descriptor the netpoller watches is made at the first blocking call.
func (q *MessageQueue) join(op string, o *mqOp) (bool, error) {
	q.pmu.Lock()
	defer q.pmu.Unlock()
	if q.h.closed() {
		return false, closedErr(op, q.name)
	}
	if q.pf == nil {
		nfd, err := unix.FcntlInt(uintptr(q.fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return false, &Error{Op: op, Name: q.name, Err: err}
		}
		f := os.NewFile(uintptr(nfd), q.name)
		rawc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return false, &Error{Op: op, Name: q.name, Err: err}
		}
		q.pf, q.prc = f, rawc
	}
	d := q.dir(o.write)
	if d.leader == nil {
		d.leader = o
		return true, nil
	}
	d.followers = append(d.followers, o)
	return false, nil
}

// leave removes o from its direction. A leader (also one that was handed the
// turn just as it gave up as a follower) hands the turn to the first follower;
// its unused wake-up is drained when the op goes back to the pool.
func (q *MessageQueue) leave(o *mqOp) {
	q.pmu.Lock()
	defer q.pmu.Unlock()
	d := q.dir(o.write)
	if d.leader == o {
		d.leader = nil
		if next := d.pop(0); next != nil {
			d.leader = next
			next.wake <- struct{}{} // buffered, and drained before reuse
		}
		return
	}
	for i, w := range d.followers {
		if w == o {
			d.pop(i)
			return
		}
	}
}

// pop removes and returns follower i (nil if there is none), keeping the order.
func (d *pollDir) pop(i int) *mqOp {
	if i >= len(d.followers) {
		return nil
	}
	o := d.followers[i]
	copy(d.followers[i:], d.followers[i+1:])
	d.followers[len(d.followers)-1] = nil
	d.followers = d.followers[:len(d.followers)-1]
	return o
}

// setDeadline sets the watched descriptor's deadline for a direction (zero
// has: none); clearing one that is not set costs nothing. Once the handle is
// closed it does nothing: Close has set (or, holding pmu after the closed bit,
// is about to set) the past deadline that wakes the leader, and a waiter
// setting its own deadline afterwards would put it back to sleep until then.
func (q *MessageQueue) setDeadline(write bool, dl mqDeadline) {
	q.pmu.Lock()
	defer q.pmu.Unlock()
	if q.pf == nil || q.h.closed() || !dl.has && !q.dir(write).deadline {
		return
	}
	var t time.Time
	if dl.has {
		t = dl.at
	}
	if write {
		q.pf.SetWriteDeadline(t)
	} else {
		q.pf.SetReadDeadline(t)
	}
	q.dir(write).deadline = dl.has
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
	// The user's flag changes with the kernel's answer: concurrent calls see
	// each other's old values, as with mq_setattr itself.
	prev := q.nonblock.Swap(attr.Flags&unix.O_NONBLOCK != 0)
	old := q.userAttr(a)
	old.Flags &^= unix.O_NONBLOCK
	if prev {
		old.Flags |= unix.O_NONBLOCK
	}
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
	// Followers see done closed; the leaders are woken by a past deadline.
	rc, first := q.h.closeWaking(func() {
		q.pmu.Lock()
		if q.pf != nil {
			q.pf.SetDeadline(time.Unix(1, 0))
		}
		q.pmu.Unlock()
	}, func() int32 {
		q.pmu.Lock()
		if q.pf != nil {
			q.pf.Close()
			q.pf, q.prc = nil, nil
		}
		q.pmu.Unlock()
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
// cancelled), sends it only when a message arrives in an empty queue while no
// process is blocked in mq_receive on it, and drops it when the registering
// process closes a descriptor of the queue.

var (
	notifyMu    sync.Mutex
	notifyFuncs = map[uintptr]func(){}
	notifySeq   uintptr
)

// notifyGrace is how long the function of a registration cancelled by
// NotifyCancel or Close stays runnable: the kernel may have fired it just
// before, and glibc runs the function a little later on a new thread.
const notifyGrace = time.Second

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

func dropNotify(id uintptr) {
	notifyMu.Lock()
	delete(notifyFuncs, id)
	notifyMu.Unlock()
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
	q.nmu.Lock()
	defer q.nmu.Unlock()
	notifyMu.Lock()
	notifySeq++
	id := notifySeq
	notifyFuncs[id] = fn
	notifyMu.Unlock()
	if rc := cMqNotifyThread(int32(q.fd), id); rc != 0 {
		dropNotify(id)
		return errnoErr(op, q.name, rc)
	}
	// A previous registration either fired (its function runs or ran, and
	// removes itself) or was cancelled (forgetNotify dropped it).
	q.notifyID = id
	return nil
}

// NotifySignal asks, with mq_notify(3) and SIGEV_SIGNAL, that signal sig be sent
// to this process when a message arrives in the empty queue, with value as its
// sigev_value (si_value.sival_ptr in the handler's siginfo_t). The Go runtime's
// os/signal does not pass si_value on: use a SignalReceiver.
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
// notification (a no-op, as in C, when this process has none). A function
// whose notification fired just before still runs.
func (q *MessageQueue) NotifyCancel() error {
	const op = "mq_notify"
	if q == nil || !q.h.valid() {
		return nilErr(op)
	}
	if !q.h.enter() {
		return closedErr(op, q.name)
	}
	defer q.h.leave()
	q.nmu.Lock()
	defer q.nmu.Unlock()
	if rc := cMqNotifyCancel(int32(q.fd)); rc != 0 {
		return errnoErr(op, q.name, rc)
	}
	q.forgetNotifyLocked()
	return nil
}

func (q *MessageQueue) forgetNotify() {
	q.nmu.Lock()
	defer q.nmu.Unlock()
	q.forgetNotifyLocked()
}

// forgetNotifyLocked drops the last SIGEV_THREAD function after notifyGrace,
// unless it ran by then: the registration is gone (cancelled or closed), but
// may have fired just before.
func (q *MessageQueue) forgetNotifyLocked() {
	if id := q.notifyID; id != 0 {
		q.notifyID = 0
		time.AfterFunc(notifyGrace, func() { dropNotify(id) })
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
