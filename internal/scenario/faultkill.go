package scenario

import (
	"fmt"
	"os"
	"time"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// The shared layouts and journal of the SIGKILL fault tests
// (tests/fault_kill_test.go) and their C victim, tests/cpeers/killpeer.c,
// which uses the same offsets. Every run uses one 4096-byte shared memory
// object: the protocol's objects and data at the start, the victim's journal
// at KillJournal. The victim journals write-ahead: KillJState names the step
// it is about to take, KillJSeq the item of the current operation, KillJCount
// the last item it completed and recorded, so that after SIGKILL the survivor
// can classify every item: done, in flight (named by the journal), or never
// started.

// KillShmSize is the size of every run's shared memory object (the ring's:
// the victims attach with mapExisting).
const KillShmSize = RingSize

// The journal, at KillJournal (uint32 fields unless said otherwise).
const (
	KillJournal = 3072
	KillJStep   = KillJournal + 0  // steps taken so far
	KillJPause  = KillJournal + 4  // step index at which the victim pauses (0 never)
	KillJPaused = KillJournal + 8  // the step it paused at
	KillJReady  = KillJournal + 12 // 1 once the victim is attached
	KillJSeq    = KillJournal + 16 // the item of the current operation
	KillJState  = KillJournal + 20 // the step about to be taken
	KillJCount  = KillJournal + 24 // items completed and recorded
	KillJSum    = KillJournal + 32 // uint64: sum of the items recorded (consumers)
)

// The semaphore-guarded ring (the seed-003 layout with 8 slots): item i is
// Item(i).
const (
	KillRingEmpty  = 0
	KillRingFull   = 32
	KillRingMutex  = 64
	KillRingHead   = 96
	KillRingTail   = 100
	KillRingSlots  = 128
	KillRingNSlots = 8
)

// Ring producer states (the step about to be taken).
const (
	KillRPWaitEmpty = iota + 1
	KillRPWaitMutex
	KillRPWrite
	KillRPPublish
	KillRPPostMutex
	KillRPPostFull
	KillRPDone
)

// Ring consumer states.
const (
	KillRCWaitFull = iota + 1
	KillRCWaitMutex
	KillRCRead
	KillRCTake
	KillRCPostMutex
	KillRCPostEmpty
	KillRCRecord
	KillRCDone
)

// The robust mutex and condition variable: the mutex guards the invariant
// produced - consumed == items.
const (
	KillMxMutex    = 0
	KillMxCond     = 64
	KillMxProduced = 128
	KillMxConsumed = 132
	KillMxItems    = 136
)

// Robust mutex states.
const (
	KillMxLock = iota + 1
	KillMxIncFirst
	KillMxIncSecond
	KillMxIncremented // the producer has incremented both; the victim never signals (see killpeer.c)
	KillMxUnlock
	KillMxDone
	KillMxCondWait
)

// Message queue states.
const (
	KillMQSend = iota + 1
	KillMQSent
	KillMQReceive
	KillMQRecord
	KillMQDone
)

// The file lock critical section, in the shared memory object: the pid of
// the process inside (0 none) and the count of increments made under the lock.
const (
	KillLockInside  = 128
	KillLockCounter = 132
)

// File lock states.
const (
	KillLkLock = iota + 1
	KillLkEnter
	KillLkIncrement
	KillLkLeave
	KillLkUnlock
	KillLkDone
)

// KillStateNames names each protocol's states, for the kill-point
// distribution the tests print.
var KillStateNames = map[string][]string{
	"ring-producer":  {"start", "wait-empty", "wait-mutex", "write-slot", "publish-head", "post-mutex", "post-full", "done"},
	"ring-consumer":  {"start", "wait-full", "wait-mutex", "read-slot", "take-tail", "post-mutex", "post-empty", "record", "done"},
	"mutex-producer": {"start", "lock", "inc-produced", "inc-items", "incremented", "unlock", "done", "cond-wait"},
	"mutex-consumer": {"start", "lock", "inc-consumed", "dec-items", "", "unlock", "done", "cond-wait"},
	"mq-sender":      {"start", "send", "sent"},
	"mq-receiver":    {"start", "", "", "receive", "record", "done"},
	"lock":           {"start", "lock", "enter", "increment", "leave", "unlock", "done"},
}

// The Go victims: the twins of killpeer's mutex-* and mq-* roles, through the
// library (posix.MutexAt, posix.CondAt, posix.MessageQueue), for the runs
// whose victim is a Go process. Arguments: SHMNAME PAUSEAT [QNAME]. They never
// return before being killed (or after KillWait: an error).
func init() {
	Roles["kill-mutex-producer"] = func(a []string) error { return killMutexVictim(a, true) }
	Roles["kill-mutex-consumer"] = func(a []string) error { return killMutexVictim(a, false) }
	Roles["kill-mq-sender"] = func(a []string) error { return killMQVictim(a, true) }
	Roles["kill-mq-receiver"] = func(a []string) error { return killMQVictim(a, false) }
}

// KillWait bounds every wait of a victim, and its wait to be killed.
const KillWait = 10 * time.Second

// killVictim is a Go victim's mapping and journal.
type killVictim struct{ m *posix.Mapping }

func attachKillVictim(shmName string, pause uint32) (*killVictim, error) {
	m, err := mapExisting(shmName)
	if err != nil {
		return nil, err
	}
	v := &killVictim{m: m}
	v.st(KillJPause, pause)
	return v, nil
}

func (v *killVictim) ld(off int) uint32 {
	x, err := v.m.LoadUint32(off)
	if err != nil {
		panic(err)
	}
	return x
}

func (v *killVictim) st(off int, x uint32) {
	if err := v.m.StoreUint32(off, x); err != nil {
		panic(err)
	}
}

// step journals the step about to be taken, pausing at KillJPause.
func (v *killVictim) step(state uint32) {
	v.st(KillJState, state)
	s := v.ld(KillJStep) + 1
	v.st(KillJStep, s)
	if s == v.ld(KillJPause) {
		v.st(KillJPaused, s)
		awaitKill()
	}
}

func awaitKill() {
	time.Sleep(KillWait)
	fmt.Fprintln(os.Stderr, "kill victim: not killed in time")
	os.Exit(3)
}

func killMutexVictim(a []string, producer bool) error {
	v, err := attachKillVictim(a[0], uint32(Atoi(a[1])))
	if err != nil {
		return err
	}
	mu, err := posix.MutexAt(v.m, KillMxMutex)
	if err != nil {
		return err
	}
	cond, err := posix.CondAt(v.m, KillMxCond)
	if err != nil {
		return err
	}
	v.st(KillJReady, 1)
	for {
		v.step(KillMxLock)
		if err := mu.LockTimeout(KillWait); err != nil {
			return err
		}
		if producer {
			v.st(KillJSeq, v.ld(KillMxProduced)+1)
			v.step(KillMxIncFirst)
			v.st(KillMxProduced, v.ld(KillMxProduced)+1)
			v.step(KillMxIncSecond)
			v.st(KillMxItems, v.ld(KillMxItems)+1)
			v.step(KillMxIncremented) // no signal: see killpeer.c
		} else {
			for v.ld(KillMxItems) == 0 {
				v.step(KillMxCondWait)
				if err := cond.WaitTimeout(mu, KillWait); err != nil {
					return err
				}
			}
			v.st(KillJSeq, v.ld(KillMxConsumed)+1)
			v.step(KillMxIncFirst)
			v.st(KillMxConsumed, v.ld(KillMxConsumed)+1)
			v.step(KillMxIncSecond)
			v.st(KillMxItems, v.ld(KillMxItems)-1)
		}
		v.step(KillMxUnlock)
		if err := mu.Unlock(); err != nil {
			return err
		}
		v.st(KillJCount, v.ld(KillJCount)+1)
		v.step(KillMxDone)
	}
}

func killMQVictim(a []string, sender bool) error {
	v, err := attachKillVictim(a[0], uint32(Atoi(a[1])))
	if err != nil {
		return err
	}
	flag := unix.O_RDONLY
	if sender {
		flag = unix.O_WRONLY
	}
	q, err := posix.OpenMessageQueue(a[2], flag, 0, nil)
	if err != nil {
		return err
	}
	v.st(KillJReady, 1)
	buf := make([]byte, 64)
	var sum uint64
	for seq := uint32(1); ; seq++ {
		if sender {
			v.st(KillJSeq, seq)
			v.step(KillMQSend)
			if err := q.SendTimeout([]byte(fmt.Sprintf("item %d", seq)), 0, KillWait); err != nil {
				return err
			}
			v.st(KillJCount, seq)
			v.step(KillMQSent)
		} else {
			v.st(KillJSeq, 0)
			v.step(KillMQReceive)
			n, _, err := q.ReceiveTimeout(buf, KillWait)
			if err != nil {
				return err
			}
			if got := string(buf[:n]); got != fmt.Sprintf("item %d", seq) {
				return fmt.Errorf("message %d is %q", seq, got)
			}
			v.st(KillJSeq, seq)
			v.step(KillMQRecord)
			sum += uint64(seq)
			if err := v.m.StoreUint64(KillJSum, sum); err != nil {
				return err
			}
			v.st(KillJCount, seq)
			v.step(KillMQDone)
		}
	}
}
