package tests

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// newQueue creates a fresh queue (maxmsg 10, msgsize 64 unless attr says
// otherwise), closed and unlinked at cleanup.
func newQueue(t *testing.T, attr *posix.MQAttr) (*posix.MessageQueue, string) {
	t.Helper()
	if attr == nil {
		attr = &posix.MQAttr{MaxMsg: 10, MsgSize: 64}
	}
	name := uniqueName()
	q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, attr)
	require.NoError(t, err)
	t.Cleanup(func() {
		q.Close()
		posix.UnlinkMessageQueue(name)
	})
	return q, name
}

func startMQC(t *testing.T, args ...string) *proc {
	t.Helper()
	return start(t, append([]string{cpeer(t, "mqpeer")}, args...), nil)
}

// startMQRole runs a message queue role in Go or in C.
func startMQRole(t *testing.T, lang, role string, args ...string) *proc {
	t.Helper()
	if lang == "C" {
		return startMQC(t, append([]string{role}, args...)...)
	}
	return startGo(t, role, args)
}

// --- order -------------------------------------------------------------------

// Higher priority first, FIFO within a priority, whoever sends and receives.
func TestMQPriorityOrderGoAndC(t *testing.T) {
	const count = 10
	want := scenario.MQExpectedOrder(count)
	for _, c := range [][2]string{{"Go", "Go"}, {"C", "Go"}, {"Go", "C"}, {"C", "C"}} {
		t.Run("producer="+c[0]+"/consumer="+c[1], func(t *testing.T) {
			_, name := newQueue(t, nil)
			startMQRole(t, c[0], "produce", name, strconv.Itoa(count)).finish(t)
			out := startMQRole(t, c[1], "consume", name, strconv.Itoa(count)).finish(t)
			lines := strings.Split(out, "\n")
			require.Len(t, lines, count+1, out)
			assert.Equal(t, want, lines[:count])
			assert.Equal(t, fmt.Sprintf("consumed %d", count), lines[count])
		})
	}
}

// A stream of messages across processes, both ways, checked byte by byte.
func TestMQStreamAcrossProcessesGoAndC(t *testing.T) {
	const count, size = 20000, 64
	for _, c := range [][2]string{{"Go", "C"}, {"C", "Go"}, {"Go", "Go"}} {
		t.Run("sender="+c[0]+"/receiver="+c[1], func(t *testing.T) {
			_, name := newQueue(t, nil)
			recv := startMQRole(t, c[1], "stream-recv", name, strconv.Itoa(count), strconv.Itoa(size))
			send := startMQRole(t, c[0], "stream-send", name, strconv.Itoa(count), strconv.Itoa(size))
			sOut, rOut := send.finish(t), recv.finish(t)
			sum := strings.TrimPrefix(sOut, fmt.Sprintf("sent %d ", count))
			assert.Equal(t, fmt.Sprintf("received %d %s", count, sum), rOut)
		})
	}
}

// --- errno fidelity, compared with C ------------------------------------------

func TestMQErrnoMatchesC(t *testing.T) {
	q, name := newQueue(t, nil)
	full, fullName := newQueue(t, &posix.MQAttr{MaxMsg: 2, MsgSize: 8})
	require.NoError(t, full.Send([]byte("1"), 0))
	require.NoError(t, full.Send([]byte("2"), 0))
	missing := uniqueName()
	rdonly, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	require.NoError(t, err)
	defer rdonly.Close()
	wronly, err := posix.OpenMessageQueue(name, unix.O_WRONLY, 0, nil)
	require.NoError(t, err)
	defer wronly.Close()
	fullNB, err := posix.OpenMessageQueue(fullName, unix.O_WRONLY|unix.O_NONBLOCK, 0, nil)
	require.NoError(t, err)
	defer fullNB.Close()
	emptyNB, err := posix.OpenMessageQueue(name, unix.O_RDONLY|unix.O_NONBLOCK, 0, nil)
	require.NoError(t, err)
	defer emptyNB.Close()
	open := func(n string, flag int, attr *posix.MQAttr) func() error {
		return func() error {
			q, err := posix.OpenMessageQueue(n, flag, 0o600, attr)
			if err == nil {
				q.Close()
				posix.UnlinkMessageQueue(n)
			}
			return err
		}
	}
	buf := make([]byte, 64)
	cases := []struct {
		name string
		want unix.Errno
		goFn func() error
		cArg []string
	}{
		{"EMSGSIZE: message longer than msgsize", unix.EMSGSIZE,
			func() error { return q.Send(make([]byte, 65), 0) }, []string{"send", name, "1", "0", "65"}},
		{"EMSGSIZE: buffer shorter than msgsize", unix.EMSGSIZE,
			func() error { _, _, err := q.Receive(make([]byte, 63)); return err }, []string{"recv", name, "0", "63"}},
		{"EINVAL: priority MQ_PRIO_MAX", unix.EINVAL,
			func() error { return q.Send([]byte("x"), posix.MQPrioMax) }, []string{"send", name, "1", "32768", "1"}},
		{"EINVAL: maxmsg 0", unix.EINVAL,
			open(missing, unix.O_RDWR|unix.O_CREAT, &posix.MQAttr{MaxMsg: 0, MsgSize: 64}), []string{"open", missing, "0x42", "0600", "0", "64"}},
		{"EINVAL: msgsize 0", unix.EINVAL,
			open(missing, unix.O_RDWR|unix.O_CREAT, &posix.MQAttr{MaxMsg: 4, MsgSize: 0}), []string{"open", missing, "0x42", "0600", "4", "0"}},
		{"EINVAL: maxmsg over the hard limit", unix.EINVAL,
			open(missing, unix.O_RDWR|unix.O_CREAT, &posix.MQAttr{MaxMsg: 100000, MsgSize: 64}), []string{"open", missing, "0x42", "0600", "100000", "64"}},
		{"EINVAL: name without the leading slash", unix.EINVAL,
			open(strings.TrimPrefix(missing, "/"), unix.O_RDWR|unix.O_CREAT, nil), []string{"open", strings.TrimPrefix(missing, "/"), "0x42", "0600", "-1", "0"}},
		{"EBADF: send on O_RDONLY", unix.EBADF,
			func() error { return rdonly.Send([]byte("x"), 0) }, []string{"send", name, "0", "0", "1"}},
		{"EBADF: receive on O_WRONLY", unix.EBADF,
			func() error { _, _, err := wronly.Receive(buf); return err }, []string{"recv", name, "1", "64"}},
		{"EAGAIN: non-blocking send on a full queue", unix.EAGAIN,
			func() error { return fullNB.Send([]byte("3"), 0) }, []string{"send", fullName, "0x801", "0", "1"}},
		{"EAGAIN: non-blocking receive on an empty queue", unix.EAGAIN,
			func() error { _, _, err := emptyNB.Receive(buf); return err }, []string{"recv", name, "0x800", "64"}},
		{"ETIMEDOUT: timed receive on an empty queue", unix.ETIMEDOUT,
			func() error { _, _, err := q.TimedReceive(buf, time.Now().Add(30*time.Millisecond)); return err }, []string{"timedrecv", name, "30"}},
		{"ETIMEDOUT: timed send on a full queue", unix.ETIMEDOUT,
			func() error { return full.TimedSend([]byte("3"), 0, time.Now().Add(30*time.Millisecond)) }, []string{"timedsend", fullName, "30", "0", "1"}},
		{"EEXIST: O_CREAT|O_EXCL of an existing name", unix.EEXIST,
			open(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, nil), []string{"open", name, "0xc2", "0600", "-1", "0"}},
		{"ENOENT: opening a missing name", unix.ENOENT,
			open(missing, unix.O_RDWR, nil), []string{"open", missing, "2", "0", "-1", "0"}},
		{"ENOENT: unlinking a missing name", unix.ENOENT,
			func() error { return posix.UnlinkMessageQueue(missing) }, []string{"unlink", missing}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			goErr := c.goFn()
			require.Error(t, goErr)
			cErrno := probe(t, startMQC(t, c.cArg...).finish(t))
			assert.Equal(t, c.want, cErrno, "C got %v", cErrno)
			assert.Equal(t, cErrno, errnoOf(t, goErr), "Go: %v", goErr)
		})
	}
}

func TestMQLimitErrorsNameTheLimit(t *testing.T) {
	lim, err := posix.MQLimits()
	require.NoError(t, err)
	name := uniqueName()
	_, err = posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT, 0o600, &posix.MQAttr{MaxMsg: 100000, MsgSize: 64})
	require.ErrorIs(t, err, unix.EINVAL)
	assert.Contains(t, err.Error(), "msg_max")
	_, err = posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT, 0o600, &posix.MQAttr{MaxMsg: 4, MsgSize: 1 << 30})
	require.ErrorIs(t, err, unix.EINVAL)
	assert.Contains(t, err.Error(), "msgsize_max")
	// The limits are /proc/sys/fs/mqueue's.
	b, err := os.ReadFile("/proc/sys/fs/mqueue/msg_max")
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(b)), strconv.FormatInt(lim.MsgMax, 10))
	var r unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &r))
	assert.Equal(t, r.Cur, lim.RlimitCur)
	q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, nil)
	require.NoError(t, err)
	defer posix.UnlinkMessageQueue(name)
	defer q.Close()
	a, err := q.Attr()
	require.NoError(t, err)
	assert.Equal(t, lim.MsgDefault, a.MaxMsg)
	assert.Equal(t, lim.MsgsizeDefault, a.MsgSize)
}

// --- messages and lifetime ------------------------------------------------------

func TestMQZeroLengthAndMaximumSizeMessages(t *testing.T) {
	q, _ := newQueue(t, &posix.MQAttr{MaxMsg: 4, MsgSize: 128})
	maxMsg := make([]byte, 128)
	for i := range maxMsg {
		maxMsg[i] = byte(i)
	}
	require.NoError(t, q.Send(nil, 1))
	require.NoError(t, q.Send(maxMsg, 0))
	buf := make([]byte, 128)
	n, prio, err := q.Receive(buf)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	assert.Equal(t, uint(1), prio)
	msg, prio, err := q.ReceiveMessage()
	require.NoError(t, err)
	assert.Equal(t, maxMsg, msg)
	assert.Equal(t, uint(0), prio)
	_, _, err = q.Receive(nil)
	assert.ErrorIs(t, err, unix.EMSGSIZE, "a nil buffer is shorter than msgsize")
}

func TestMQOutlivesItsCreatorAndUnlinkWhileOpen(t *testing.T) {
	name := uniqueName()
	t.Cleanup(func() { posix.UnlinkMessageQueue(name) })
	assert.Equal(t, "created", startMQC(t, "create", name, "5", "32").finish(t))
	q, err := posix.OpenMessageQueue(name, unix.O_RDWR, 0, nil)
	require.NoError(t, err, "the queue must outlive the process that created it")
	defer q.Close()
	a, err := q.Attr()
	require.NoError(t, err)
	assert.Equal(t, posix.MQAttr{MaxMsg: 5, MsgSize: 32}, a)

	require.NoError(t, posix.UnlinkMessageQueue(name))
	require.NoError(t, q.Send([]byte("still here"), 3))
	m, prio, err := q.ReceiveMessage()
	require.NoError(t, err)
	assert.Equal(t, "still here", string(m))
	assert.Equal(t, uint(3), prio)
	_, err = posix.OpenMessageQueue(name, unix.O_RDWR, 0, nil)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestMQAttrAndSetAttrKeepLibcMeaning(t *testing.T) {
	q, name := newQueue(t, nil)
	a, err := q.Attr()
	require.NoError(t, err)
	assert.Equal(t, posix.MQAttr{Flags: 0, MaxMsg: 10, MsgSize: 64}, a, "the internal O_NONBLOCK is not shown")
	c := startMQC(t, "attr", name).finish(t)
	assert.Contains(t, c, "flags=0 maxmsg=10 msgsize=64 curmsgs=0")

	old, err := q.SetAttr(posix.MQAttr{Flags: unix.O_NONBLOCK, MaxMsg: 99})
	require.NoError(t, err)
	assert.Equal(t, int64(0), old.Flags)
	a, _ = q.Attr()
	assert.Equal(t, int64(unix.O_NONBLOCK), a.Flags)
	assert.Equal(t, int64(10), a.MaxMsg, "mq_setattr ignores everything but the flags")
	_, _, err = q.Receive(make([]byte, 64))
	assert.ErrorIs(t, err, unix.EAGAIN)

	old, err = q.SetAttr(posix.MQAttr{})
	require.NoError(t, err)
	assert.Equal(t, int64(unix.O_NONBLOCK), old.Flags)
	_, _, err = q.ReceiveTimeout(make([]byte, 64), 20*time.Millisecond)
	assert.ErrorIs(t, err, unix.ETIMEDOUT, "blocking again")
	require.NoError(t, q.Send([]byte("x"), 0))
	a, _ = q.Attr()
	assert.Equal(t, int64(1), a.CurMsgs)
}

// --- blocking ----------------------------------------------------------------

func TestMQBlockingSendAndReceive(t *testing.T) {
	q, _ := newQueue(t, &posix.MQAttr{MaxMsg: 1, MsgSize: 16})
	buf := make([]byte, 16)
	go func() {
		time.Sleep(20 * time.Millisecond)
		q.Send([]byte("late"), 4)
	}()
	n, prio, err := q.ReceiveTimeout(buf, 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "late", string(buf[:n]))
	assert.Equal(t, uint(4), prio)

	require.NoError(t, q.Send([]byte("fill"), 0))
	go func() {
		time.Sleep(20 * time.Millisecond)
		q.Receive(make([]byte, 16))
	}()
	require.NoError(t, q.SendTimeout([]byte("next"), 0, 10*time.Second), "blocks until there is room")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err = q.SendContext(ctx, []byte("no room"), 0)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, os.IsTimeout(err))
	ctx, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, _, err = q.ReceiveContext(ctx, buf)
	assert.ErrorIs(t, err, context.Canceled)
	a, _ := q.Attr()
	assert.Equal(t, int64(1), a.CurMsgs, "a cancelled context takes nothing")
	assert.ErrorIs(t, q.TimedSend([]byte("x"), 0, time.Unix(0, 0)), unix.ETIMEDOUT)
}

func TestMQCloseWhileBlocked(t *testing.T) {
	q, _ := newQueue(t, &posix.MQAttr{MaxMsg: 1, MsgSize: 16})
	empty, _ := newQueue(t, nil)
	require.NoError(t, q.Send([]byte("full"), 0))
	errs := make(chan error, 8)
	buf := func() []byte { return make([]byte, 64) }
	go func() { _, _, err := empty.Receive(buf()); errs <- err }()
	go func() { _, _, err := empty.ReceiveTimeout(buf(), time.Minute); errs <- err }()
	go func() { _, _, err := empty.ReceiveContext(context.Background(), buf()); errs <- err }()
	go func() {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, _, err := empty.ReceiveContext(ctx, buf())
		errs <- err
	}()
	go func() { errs <- q.Send([]byte("more"), 0) }()
	go func() { errs <- q.SendTimeout([]byte("more"), 0, time.Minute) }()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, empty.Close())
	require.NoError(t, q.Close())
	for i := 0; i < 6; i++ {
		select {
		case err := <-errs:
			assert.ErrorIs(t, err, os.ErrClosed)
		case <-time.After(5 * time.Second):
			t.Fatal("a blocked call did not return after Close")
		}
	}
	assert.ErrorIs(t, q.Close(), os.ErrClosed)
	assert.ErrorIs(t, q.Send(nil, 0), os.ErrClosed)
	_, _, err := q.Receive(buf())
	assert.ErrorIs(t, err, os.ErrClosed)
	_, err = q.Attr()
	assert.ErrorIs(t, err, os.ErrClosed)
	assert.ErrorIs(t, q.NotifyFunc(func() {}), os.ErrClosed)
	assert.Equal(t, -1, q.Fd())
}

func TestMQBadInputNeverCrashes(t *testing.T) {
	_, err := posix.OpenMessageQueue("/bad\x00name", unix.O_RDWR|unix.O_CREAT, 0o600, nil)
	assert.ErrorIs(t, err, unix.EINVAL)
	assert.ErrorIs(t, posix.UnlinkMessageQueue("/bad\x00name"), unix.EINVAL)
	var nilQ *posix.MessageQueue
	assert.ErrorIs(t, nilQ.Send(nil, 0), os.ErrInvalid)
	_, _, err = nilQ.Receive(nil)
	assert.ErrorIs(t, err, os.ErrInvalid)
	assert.ErrorIs(t, nilQ.Close(), os.ErrInvalid)
	var zero posix.MessageQueue
	assert.ErrorIs(t, zero.Send(nil, 0), os.ErrInvalid)
	assert.ErrorIs(t, zero.Close(), os.ErrInvalid)
	q, _ := newQueue(t, nil)
	assert.ErrorIs(t, q.NotifyFunc(nil), unix.EINVAL)
	assert.ErrorIs(t, q.Send([]byte("x"), 1<<40), unix.EINVAL)
}

// --- notification -----------------------------------------------------------------

func TestMQNotifyFuncFiresOnceOnEmptyToNonEmptyAndRearms(t *testing.T) {
	q, _ := newQueue(t, nil)
	fired := make(chan int, 4)
	var n int
	var mu sync.Mutex
	var notify func()
	notify = func() {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		if k == 1 {
			// Re-arming from inside the callback works.
			assert.NoError(t, q.NotifyFunc(notify))
		}
		fired <- k
	}
	require.NoError(t, q.NotifyFunc(notify))
	assert.ErrorIs(t, q.NotifyFunc(func() {}), unix.EBUSY, "one registration per queue, this process included")
	require.NoError(t, q.Send([]byte("1"), 0))
	require.Equal(t, 1, waitFired(t, fired))
	// Non-empty → more: no notification, though re-armed.
	require.NoError(t, q.Send([]byte("2"), 0))
	assertNotFired(t, fired)
	buf := make([]byte, 64)
	for i := 0; i < 2; i++ {
		_, _, err := q.Receive(buf)
		require.NoError(t, err)
	}
	// Empty → non-empty again: the re-armed registration fires.
	require.NoError(t, q.Send([]byte("3"), 0))
	require.Equal(t, 2, waitFired(t, fired))
	// One-shot: no registration left.
	q.Receive(buf)
	require.NoError(t, q.Send([]byte("4"), 0))
	assertNotFired(t, fired)
	q.Receive(buf)

	// Cancel.
	require.NoError(t, q.NotifyFunc(func() { fired <- 99 }))
	require.NoError(t, q.NotifyCancel())
	require.NoError(t, q.Send([]byte("5"), 0))
	assertNotFired(t, fired)
}

func waitFired(t *testing.T, fired chan int) int {
	t.Helper()
	select {
	case k := <-fired:
		return k
	case <-time.After(5 * time.Second):
		t.Fatal("notification did not come")
		return 0
	}
}

func assertNotFired(t *testing.T, fired chan int) {
	t.Helper()
	select {
	case k := <-fired:
		t.Fatalf("unexpected notification %d", k)
	case <-time.After(100 * time.Millisecond):
	}
}

// The kernel sends no notification while a process is blocked in mq_receive:
// the message goes to that receiver.
func TestMQNoNotificationWhileACReceiverIsBlocked(t *testing.T) {
	q, name := newQueue(t, nil)
	fired := make(chan int, 2)
	require.NoError(t, q.NotifyFunc(func() { fired <- 1 }))
	recv := startMQC(t, "block-recv", name, "10000")
	require.Eventually(t, func() bool { return strings.Contains(recv.Stdout.String(), "blocking") }, 5*time.Second, time.Millisecond)
	time.Sleep(200 * time.Millisecond) // from "blocking" to inside mq_timedreceive
	require.NoError(t, q.Send([]byte("to-the-receiver"), 2))
	assert.Contains(t, recv.finish(t), "len=15 prio=2")
	assertNotFired(t, fired)
	require.NoError(t, q.Send([]byte("now"), 0))
	waitFired(t, fired)
}

// EBUSY for a second process, both ways.
func TestMQSecondNotifierGetsEBUSYAcrossProcesses(t *testing.T) {
	q, name := newQueue(t, nil)
	require.NoError(t, q.NotifySignal(unix.SIGUSR2, 0))
	assert.Equal(t, unix.EBUSY, probe(t, startMQC(t, "notify", name).finish(t)))
	require.NoError(t, q.NotifyCancel())
	assert.Equal(t, unix.Errno(0), probe(t, startMQC(t, "notify", name).finish(t)))

	hold := startMQC(t, "notify-hold", name, "3000")
	require.Eventually(t, func() bool { return strings.Contains(hold.Stdout.String(), "registered") }, 5*time.Second, time.Millisecond)
	assert.ErrorIs(t, q.NotifyFunc(func() {}), unix.EBUSY)
	assert.ErrorIs(t, q.NotifySignal(unix.SIGUSR2, 0), unix.EBUSY)
	hold.Kill()
}

// SIGEV_SIGNAL: the signal arrives with its sigev_value, as a C handler sees it.
func TestMQNotifySignalDeliversTheValue(t *testing.T) {
	sig := unix.Signal(40) // SIGRTMIN+6
	rcv, err := posix.NewSignalReceiver(sig)
	require.NoError(t, err)
	defer rcv.Close()
	q, _ := newQueue(t, nil)
	require.NoError(t, q.NotifySignal(sig, 0xfeedface))
	require.NoError(t, q.Send([]byte("x"), 0))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := rcv.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, sig, info.Signo)
	assert.Equal(t, uintptr(0xfeedface), info.Value)
	assert.Equal(t, int32(-3), info.Code, "si_code SI_MESGQ")
	assert.Equal(t, os.Getpid(), info.Pid, "the sender")
	assert.Equal(t, uint32(os.Getuid()), info.UID)
}

// A notification function that panics ends the process loudly: a Go panic
// with its message on stderr and a non-zero exit, never a silent exit or a
// hang.
func TestMQNotifyPanicEndsTheProcessLoudly(t *testing.T) {
	_, name := newQueue(t, nil)
	p := startGo(t, "mq-notify-panic", []string{name})
	code := p.Wait()
	assert.NotEqual(t, 0, code)
	assert.Contains(t, p.Stderr.String(), "panic: boom from a notification")
}

// --- scale ---------------------------------------------------------------------

func TestMQThousandBlockedReceiversUseFewThreads(t *testing.T) {
	const queues, per = 100, 10
	qs := make([]*posix.MessageQueue, queues)
	for i := range qs {
		qs[i], _ = newQueue(t, nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, queues*per)
	for _, q := range qs {
		for j := 0; j < per; j++ {
			go func() {
				_, _, err := q.ReceiveContext(ctx, make([]byte, 64))
				errs <- err
			}()
		}
	}
	time.Sleep(300 * time.Millisecond)
	// The thread bound is asserted in a fresh process (TestBlockedGoroutinesHoldFewThreads).
	t.Logf("OS threads of this test process with %d goroutines blocked in ReceiveContext on %d queues: %d", queues*per, queues, threads(t))
	start := time.Now()
	cancel()
	for i := 0; i < queues*per; i++ {
		select {
		case err := <-errs:
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(10 * time.Second):
			t.Fatalf("%d receivers still blocked", queues*per-i)
		}
	}
	t.Logf("all %d returned %v after cancel", queues*per, time.Since(start))
}

// Blocking and timed calls must not drop this process's notification: closing
// any descriptor of a queue would (the kernel's mqueue_flush_file).
func TestMQNotificationSurvivesBlockingCalls(t *testing.T) {
	q, _ := newQueue(t, nil)
	fired := make(chan int, 2)
	require.NoError(t, q.NotifyFunc(func() { fired <- 1 }))
	buf := make([]byte, 64)
	_, _, err := q.ReceiveTimeout(buf, 20*time.Millisecond)
	require.ErrorIs(t, err, unix.ETIMEDOUT)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	_, _, err = q.ReceiveContext(ctx, buf)
	require.ErrorIs(t, err, context.Canceled)
	time.Sleep(50 * time.Millisecond) // past any idle clean-up
	require.NoError(t, q.Send([]byte("x"), 0))
	waitFired(t, fired)
}

// A cancelled call returns promptly whatever the other calls wait for.
func TestMQCancelledCallReturnsWhileOthersWait(t *testing.T) {
	q, _ := newQueue(t, nil)
	for _, cancelFirst := range []bool{true, false} {
		ctxA, cancelA := context.WithCancel(context.Background())
		ctxB, cancelB := context.WithCancel(context.Background())
		a, b := make(chan error, 1), make(chan error, 1)
		go func() { _, _, err := q.ReceiveContext(ctxA, make([]byte, 64)); a <- err }()
		time.Sleep(20 * time.Millisecond)
		go func() { _, _, err := q.ReceiveContext(ctxB, make([]byte, 64)); b <- err }()
		time.Sleep(20 * time.Millisecond)
		// Cancel the first waiter (the one on the netpoller) or the second.
		first, second := cancelA, cancelB
		firstCh, secondCh := a, b
		if !cancelFirst {
			first, second, firstCh, secondCh = cancelB, cancelA, b, a
		}
		first()
		select {
		case err := <-firstCh:
			assert.ErrorIs(t, err, context.Canceled)
		case <-time.After(2 * time.Second):
			t.Fatalf("cancelled call still blocked (cancelFirst=%v)", cancelFirst)
		}
		require.NoError(t, q.Send([]byte("for the other"), 0))
		select {
		case err := <-secondCh:
			assert.NoError(t, err, "the other call gets the message")
		case <-time.After(5 * time.Second):
			t.Fatal("the other call did not get the message")
		}
		second()
	}
}

// A notification that fired runs its function even if the queue is re-armed
// or cancelled right after.
func TestMQFiredNotificationRunsDespiteRearmOrCancel(t *testing.T) {
	q, _ := newQueue(t, nil)
	buf := make([]byte, 64)
	for round := 0; round < 10; round++ {
		ran := make(chan struct{})
		require.NoError(t, q.NotifyFunc(func() { close(ran) }))
		require.NoError(t, q.Send([]byte("x"), 0))
		if round%2 == 0 {
			// Re-arm from outside the callback, right away (the registration is
			// consumed when it fires, so this usually succeeds).
			if err := q.NotifyFunc(func() {}); err == nil {
				require.NoError(t, q.NotifyCancel())
			}
		} else {
			require.NoError(t, q.NotifyCancel())
		}
		select {
		case <-ran:
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: the fired notification's function never ran", round)
		}
		_, _, err := q.Receive(buf)
		require.NoError(t, err)
	}
}

// mq_timedsend/mq_timedreceive refuse a negative tv_sec with EINVAL before
// looking at the queue (the zero time.Time is year 1).
func TestMQTimedFormsRefuseInstantsBefore1970(t *testing.T) {
	q, _ := newQueue(t, nil)
	require.NoError(t, q.Send([]byte("queued"), 0))
	buf := make([]byte, 64)
	for _, abs := range []time.Time{{}, time.Unix(-1, 0)} {
		_, _, err := q.TimedReceive(buf, abs)
		assert.ErrorIs(t, err, unix.EINVAL, "%v", abs)
		assert.ErrorIs(t, q.TimedSend([]byte("x"), 0, abs), unix.EINVAL, "%v", abs)
	}
	a, _ := q.Attr()
	assert.Equal(t, int64(1), a.CurMsgs, "nothing taken, nothing sent")
	_, _, err := q.TimedReceive(buf, time.Unix(0, 0))
	assert.NoError(t, err, "the epoch is a valid deadline (already passed): the message is there")
}

// Receive and Send do not allocate, blocking or not.
func TestMQSendReceiveDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race; make test runs this without it")
	}
	q, _ := newQueue(t, nil)
	msg, buf := make([]byte, 64), make([]byte, 64)
	allocs := testing.AllocsPerRun(1000, func() {
		q.Send(msg, 1)
		q.Receive(buf)
	})
	assert.Zero(t, allocs, "non-blocking")

	ping, _ := newQueue(t, nil)
	pong, _ := newQueue(t, nil)
	res := testing.Benchmark(func(b *testing.B) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			pb := make([]byte, 64)
			for i := 0; i < b.N; i++ {
				n, _, err := ping.ReceiveTimeout(pb, scenario.StepTimeout)
				if err != nil {
					return
				}
				pong.SendTimeout(pb[:n], 0, scenario.StepTimeout)
			}
		}()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ping.SendTimeout(msg, 0, scenario.StepTimeout)
			if _, _, err := pong.ReceiveTimeout(buf, scenario.StepTimeout); err != nil {
				b.Fatal(err)
			}
		}
		<-done
	})
	t.Logf("blocking ping-pong between goroutines: %v, %d allocs/op", res, res.AllocsPerOp())
	assert.Zero(t, res.AllocsPerOp(), "blocking")
}

// TestMQCloseRacesAWaiterSettingItsDeadline closes queues just as blocked
// calls with a deadline begin to wait on the netpoller (a leader setting its
// own deadline, a follower promoted to leader). Close sets a past deadline to
// wake the leader; a waiter that set its own deadline after that used to
// overwrite it and wait out its full minute, and Close with it (seen once in
// CI, in TestFaultCloseWhileBlockedMatrix/mq/receive-empty). Receivers wait on
// an empty queue and senders on a full one, so only Close ends each call.
func TestMQCloseRacesAWaiterSettingItsDeadline(t *testing.T) {
	rounds := 400
	if raceEnabled {
		rounds = 100
	}
	open := func() *posix.MessageQueue {
		name := uniqueName()
		q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, &posix.MQAttr{MaxMsg: 1, MsgSize: 16})
		require.NoError(t, err)
		require.NoError(t, posix.UnlinkMessageQueue(name)) // gone with the last close
		return q
	}
	for i := range rounds {
		empty, full := open(), open()
		require.NoError(t, full.Send([]byte("full"), 0))
		done := make(chan error, 4)
		go func() { _, _, err := empty.ReceiveTimeout(make([]byte, 16), time.Minute); done <- err }()
		go func() { _, _, err := empty.TimedReceive(make([]byte, 16), time.Now().Add(time.Minute)); done <- err }()
		go func() { done <- full.SendTimeout([]byte("x"), 0, time.Minute) }()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			done <- full.SendContext(ctx, []byte("x"), 0)
		}()
		// Close lands anywhere from before the first wait to well inside it.
		if d := time.Duration(i%40) * 5 * time.Microsecond; d > 0 {
			time.Sleep(d)
		}
		closed := make(chan error, 2)
		go func() { closed <- empty.Close() }()
		go func() { closed <- full.Close() }()
		bound := time.After(5 * time.Second)
		for range 2 {
			select {
			case err := <-closed:
				require.NoError(t, err)
			case <-bound:
				// Close waits for the calls in flight to leave.
				t.Fatalf("round %d: Close still waiting 5 s later for a call with a deadline", i)
			}
		}
		for range 4 {
			select {
			case err := <-done:
				require.ErrorIs(t, err, os.ErrClosed)
			case <-bound:
				t.Fatalf("round %d: a call with a deadline still blocked 5 s after Close", i)
			}
		}
	}
}
