package scenario

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// Throughput roles: N producer and N consumer processes through one message
// queue or one shared-memory ring (the ring of PROTOCOL.md). Unlike the seed
// roles, a consumer here does not check the order (several producers
// interleave); it reports the wrapping sum and sum of squares of the items it
// took, so that the test can check every item was consumed exactly once.
//
// Each role attaches, posts the named semaphore READY, and waits on the named
// semaphore GATE: the test opens the gate once every process is attached, so
// the timed window holds no process start-up. A role prints t1, the
// CLOCK_MONOTONIC instant (ns) its last item went through.

// gate posts ready and waits on gate (both existing named semaphores).
func gate(readyName, gateName string) error {
	ready, err := posix.OpenSemaphore(readyName, 0, 0, 0)
	if err != nil {
		return err
	}
	defer ready.Close()
	g, err := posix.OpenSemaphore(gateName, 0, 0, 0)
	if err != nil {
		return err
	}
	defer g.Close()
	if err := ready.Post(); err != nil {
		return err
	}
	return g.WaitTimeout(StepTimeout)
}

// RingProduceFrom produces Item(first) .. Item(first+count-1) into the ring
// after the gate opens; it returns the sum of the items.
func RingProduceFrom(shmName, readyName, gateName string, count, first uint64) (uint64, error) {
	r, err := attachRing(shmName)
	if err != nil {
		return 0, err
	}
	defer r.m.Unmap()
	if err := gate(readyName, gateName); err != nil {
		return 0, err
	}
	var sum uint64
	for i := first; i < first+count; i++ {
		v := Item(i)
		if err := r.empty.WaitTimeout(StepTimeout); err != nil {
			return sum, err
		}
		if err := r.mutex.WaitTimeout(StepTimeout); err != nil {
			return sum, err
		}
		head := r.u32(RingHeadOff)
		atomic.StoreUint64(r.slot(*head), v)
		atomic.StoreUint32(head, *head+1)
		if err := r.mutex.Post(); err != nil {
			return sum, err
		}
		if err := r.full.Post(); err != nil {
			return sum, err
		}
		sum += v
	}
	return sum, nil
}

// RingConsumeAny consumes count items from the ring after the gate opens,
// in whatever order they come; it returns their sum and sum of squares.
func RingConsumeAny(shmName, readyName, gateName string, count uint64) (sum, sq uint64, err error) {
	r, err := attachRing(shmName)
	if err != nil {
		return 0, 0, err
	}
	defer r.m.Unmap()
	if err := gate(readyName, gateName); err != nil {
		return 0, 0, err
	}
	for i := uint64(0); i < count; i++ {
		if err := r.full.WaitTimeout(StepTimeout); err != nil {
			return sum, sq, err
		}
		if err := r.mutex.WaitTimeout(StepTimeout); err != nil {
			return sum, sq, err
		}
		tail := r.u32(RingTailOff)
		v := atomic.LoadUint64(r.slot(*tail))
		atomic.StoreUint32(tail, *tail+1)
		if err := r.mutex.Post(); err != nil {
			return sum, sq, err
		}
		if err := r.empty.Post(); err != nil {
			return sum, sq, err
		}
		sum += v
		sq += v * v
	}
	return sum, sq, nil
}

// MQSendFrom sends count messages of size bytes (size >= 8) after the gate
// opens: message k carries Item(first+k) little-endian in its first 8 bytes.
// It returns the sum of the items.
func MQSendFrom(name, readyName, gateName string, count, first uint64, size int) (uint64, error) {
	q, err := posix.OpenMessageQueue(name, unix.O_WRONLY, 0, nil)
	if err != nil {
		return 0, err
	}
	defer q.Close()
	if err := gate(readyName, gateName); err != nil {
		return 0, err
	}
	b := make([]byte, size)
	var sum uint64
	for i := first; i < first+count; i++ {
		v := Item(i)
		binary.LittleEndian.PutUint64(b, v)
		if err := q.SendTimeout(b, 0, StepTimeout); err != nil {
			return sum, err
		}
		sum += v
	}
	return sum, nil
}

// MQReceiveAny receives count messages of size bytes after the gate opens and
// returns the sum and sum of squares of the items they carry.
func MQReceiveAny(name, readyName, gateName string, count uint64, size int) (sum, sq uint64, err error) {
	q, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	if err != nil {
		return 0, 0, err
	}
	defer q.Close()
	a, err := q.Attr()
	if err != nil {
		return 0, 0, err
	}
	buf := make([]byte, a.MsgSize)
	if err := gate(readyName, gateName); err != nil {
		return 0, 0, err
	}
	for i := uint64(0); i < count; i++ {
		n, _, err := q.ReceiveTimeout(buf, StepTimeout)
		if err != nil {
			return sum, sq, err
		}
		if n != size {
			return sum, sq, fmt.Errorf("%w: message of %d bytes, want %d", ErrVerify, n, size)
		}
		v := binary.LittleEndian.Uint64(buf)
		sum += v
		sq += v * v
	}
	return sum, sq, nil
}

// ItemSums is the sum and sum of squares (wrapping) of Item(1) .. Item(n).
func ItemSums(n uint64) (sum, sq uint64) {
	for i := uint64(1); i <= n; i++ {
		v := Item(i)
		sum += v
		sq += v * v
	}
	return sum, sq
}

func init() {
	u := func(s string) uint64 { return uint64(Atoi(s)) }
	// tp-ring-produce SHM READY GATE COUNT FIRST
	Roles["tp-ring-produce"] = func(a []string) error {
		sum, err := RingProduceFrom(a[0], a[1], a[2], u(a[3]), u(a[4]))
		if err == nil {
			fmt.Printf("produced %s sum=%d t1=%d\n", a[3], sum, MonotonicNow())
		}
		return err
	}
	// tp-ring-consume SHM READY GATE COUNT
	Roles["tp-ring-consume"] = func(a []string) error {
		sum, sq, err := RingConsumeAny(a[0], a[1], a[2], u(a[3]))
		if err == nil {
			fmt.Printf("consumed %s sum=%d sq=%d t1=%d\n", a[3], sum, sq, MonotonicNow())
		}
		return err
	}
	// tp-mq-send NAME READY GATE COUNT FIRST SIZE
	Roles["tp-mq-send"] = func(a []string) error {
		sum, err := MQSendFrom(a[0], a[1], a[2], u(a[3]), u(a[4]), Atoi(a[5]))
		if err == nil {
			fmt.Printf("sent %s sum=%d t1=%d\n", a[3], sum, MonotonicNow())
		}
		return err
	}
	// tp-mq-recv NAME READY GATE COUNT SIZE
	Roles["tp-mq-recv"] = func(a []string) error {
		sum, sq, err := MQReceiveAny(a[0], a[1], a[2], u(a[3]), Atoi(a[4]))
		if err == nil {
			fmt.Printf("received %s sum=%d sq=%d t1=%d\n", a[3], sum, sq, MonotonicNow())
		}
		return err
	}
}
