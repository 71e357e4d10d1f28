package scenario

import (
	"fmt"
	"os"
	"sort"
	"time"
	"unsafe"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// Message queue scenarios: the Go twins of mqpeer's roles (PROTOCOL.md).

// MQPrio is the priority of message i of `produce`: mixed, so that the order
// of arrival differs from the order of sending.
func MQPrio(i int) uint { return uint(i*7) % 5 }

// MQBody is the body of message i of `produce`.
func MQBody(i int) string { return fmt.Sprintf("msg-%d", i) }

// MQExpectedOrder is the order a receiver must see the count messages of
// `produce` in, as "<prio> <body>" lines: higher priority first, FIFO within a
// priority (mq_overview(7)).
func MQExpectedOrder(count int) []string {
	idx := make([]int, count)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return MQPrio(idx[a]) > MQPrio(idx[b]) })
	lines := make([]string, count)
	for k, i := range idx {
		lines[k] = fmt.Sprintf("%d %s", MQPrio(i), MQBody(i))
	}
	return lines
}

// MQProduce sends the count messages of `produce`.
func MQProduce(name string, count int) error {
	q, err := posix.OpenMessageQueue(name, unix.O_WRONLY, 0, nil)
	if err != nil {
		return err
	}
	defer q.Close()
	for i := 0; i < count; i++ {
		if err := q.SendTimeout([]byte(MQBody(i)), MQPrio(i), StepTimeout); err != nil {
			return err
		}
	}
	return nil
}

// MQConsume receives count messages and returns them as "<prio> <body>" lines.
func MQConsume(name string, count int) ([]string, error) {
	q, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	a, err := q.Attr()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, a.MsgSize)
	var lines []string
	for i := 0; i < count; i++ {
		n, prio, err := q.ReceiveTimeout(buf, StepTimeout)
		if err != nil {
			return lines, err
		}
		lines = append(lines, fmt.Sprintf("%d %s", prio, buf[:n]))
	}
	return lines, nil
}

// mqPattern fills b with the pattern of message seq: byte j is (seq*31+j)&0xff.
func mqPattern(b []byte, seq int) {
	for j := range b {
		b[j] = byte(seq*31 + j)
	}
}

// MQStreamSend sends count messages of size pattern bytes, seq 1..count,
// priority 0, and returns the wrapping sum of the bytes sent.
func MQStreamSend(name string, count, size int) (uint64, error) {
	q, err := posix.OpenMessageQueue(name, unix.O_WRONLY, 0, nil)
	if err != nil {
		return 0, err
	}
	defer q.Close()
	b := make([]byte, size)
	var sum uint64
	for seq := 1; seq <= count; seq++ {
		mqPattern(b, seq)
		if err := q.SendTimeout(b, 0, StepTimeout); err != nil {
			return sum, err
		}
		for _, c := range b {
			sum += uint64(c)
		}
	}
	return sum, nil
}

// MQStreamRecv receives count messages, checking each one's size and pattern
// in order, and returns the wrapping sum of the bytes received.
func MQStreamRecv(name string, count, size int) (uint64, error) {
	q, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	if err != nil {
		return 0, err
	}
	defer q.Close()
	a, err := q.Attr()
	if err != nil {
		return 0, err
	}
	buf := make([]byte, a.MsgSize)
	want := make([]byte, size)
	var sum uint64
	for seq := 1; seq <= count; seq++ {
		n, _, err := q.ReceiveTimeout(buf, StepTimeout)
		if err != nil {
			return sum, err
		}
		mqPattern(want, seq)
		if n != size || string(buf[:n]) != string(want) {
			return sum, fmt.Errorf("%w: message %d: %d bytes, not the pattern", ErrVerify, seq, n)
		}
		for _, c := range buf[:n] {
			sum += uint64(c)
		}
	}
	return sum, nil
}

// SendReceiver is what a libcipc MessageQueue and a RawMQ share.
type SendReceiver interface {
	Send(msg []byte, prio uint) error
	Receive(buf []byte) (int, uint, error)
}

// echo receives n messages on a and sends each back on b.
func echo(a, b SendReceiver, n int) error {
	buf := make([]byte, 64)
	for i := 0; i < n; i++ {
		m, _, err := a.Receive(buf)
		if err != nil {
			return err
		}
		if err := b.Send(buf[:m], 0); err != nil {
			return err
		}
	}
	return nil
}

// MQPingPong is the child of the cross-process ping-pong: n times, receive on
// name+"-a" and send it back on name+"-b".
func MQPingPong(name string, n int) error {
	a, err := posix.OpenMessageQueue(name+"-a", unix.O_RDONLY, 0, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := posix.OpenMessageQueue(name+"-b", unix.O_WRONLY, 0, nil)
	if err != nil {
		return err
	}
	defer b.Close()
	return echo(a, b, n)
}

// RawMQ is a message queue used through raw system calls (x/sys/unix
// SYS_MQ_OPEN, SYS_MQ_TIMEDSEND, SYS_MQ_TIMEDRECEIVE): the pure-Go point of
// comparison. Blocking calls block the calling OS thread.
type RawMQ int

// OpenRawMQ opens name (with its leading slash, which the system call does not
// take) with mq_open(2).
func OpenRawMQ(name string, flag int, mode uint32, maxmsg, msgsize int64) (RawMQ, error) {
	p, err := unix.BytePtrFromString(name[1:])
	if err != nil {
		return -1, err
	}
	attr := [8]int64{0, maxmsg, msgsize}
	var ap uintptr
	if maxmsg > 0 {
		ap = uintptr(unsafe.Pointer(&attr))
	}
	fd, _, e := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(p)), uintptr(flag|unix.O_CLOEXEC), uintptr(mode), ap, 0, 0)
	if e != 0 {
		return -1, e
	}
	return RawMQ(fd), nil
}

// Send is mq_timedsend(2) with no timeout.
func (q RawMQ) Send(msg []byte, prio uint) error {
	var p unsafe.Pointer
	if len(msg) > 0 {
		p = unsafe.Pointer(&msg[0])
	}
	for {
		_, _, e := unix.Syscall6(unix.SYS_MQ_TIMEDSEND, uintptr(q), uintptr(p), uintptr(len(msg)), uintptr(prio), 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

// Receive is mq_timedreceive(2) with no timeout.
func (q RawMQ) Receive(buf []byte) (int, uint, error) {
	var prio uint32
	for {
		n, _, e := unix.Syscall6(unix.SYS_MQ_TIMEDRECEIVE, uintptr(q), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), uintptr(unsafe.Pointer(&prio)), 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, 0, e
		}
		return int(n), uint(prio), nil
	}
}

// Close closes the descriptor.
func (q RawMQ) Close() error { return unix.Close(int(q)) }

// MQPingPongRaw is MQPingPong through raw system calls.
func MQPingPongRaw(name string, n int) error {
	a, err := OpenRawMQ(name+"-a", unix.O_RDONLY, 0, 0, 0)
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := OpenRawMQ(name+"-b", unix.O_WRONLY, 0, 0, 0)
	if err != nil {
		return err
	}
	defer b.Close()
	return echo(a, b, n)
}

// MQStreamSendRaw sends n messages of size bytes through raw system calls.
func MQStreamSendRaw(name string, n, size int) error {
	q, err := OpenRawMQ(name, unix.O_WRONLY, 0, 0, 0)
	if err != nil {
		return err
	}
	defer q.Close()
	b := make([]byte, size)
	for i := 0; i < n; i++ {
		if err := q.Send(b, 0); err != nil {
			return err
		}
	}
	return nil
}

// MQNotifyPanic registers a notification whose function panics, then sends a
// message: the process must end loudly (a Go panic), not hang or exit quietly.
func MQNotifyPanic(name string) error {
	q, err := posix.OpenMessageQueue(name, unix.O_RDWR, 0, nil)
	if err != nil {
		return err
	}
	defer q.Close()
	if err := q.NotifyFunc(func() { panic("boom from a notification") }); err != nil {
		return err
	}
	if err := q.Send([]byte("wake"), 0); err != nil {
		return err
	}
	time.Sleep(StepTimeout)
	fmt.Fprintln(os.Stderr, "the notification did not run")
	return ErrVerify
}
