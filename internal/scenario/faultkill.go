package scenario

// The shared layouts and journal of the SIGKILL fault tests
// (tests/fault_kill_test.go) and their C victim, tests/cpeers/killpeer.c,
// which uses the same offsets. Every run uses one 4096-byte shared memory
// object: the protocol's objects and data at the start, the victim's journal
// at KillJournal. The victim journals write-ahead: KillJState names the step
// it is about to take, KillJSeq the item of the current operation, KillJCount
// the last item it completed and recorded, so that after SIGKILL the survivor
// can classify every item: done, in flight (named by the journal), or never
// started.

// KillShmSize is the size of every run's shared memory object.
const KillShmSize = 4096

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
// i*KillItemMul (uint64, wrapping).
const (
	KillRingEmpty  = 0
	KillRingFull   = 32
	KillRingMutex  = 64
	KillRingHead   = 96
	KillRingTail   = 100
	KillRingSlots  = 128
	KillRingNSlots = 8
	KillItemMul    = 0x9E3779B97F4A7C15
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
