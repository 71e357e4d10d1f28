// Package scenario holds the Go side of the seed scenarios (course notes in
// shared/seeds) that the tests and `posixipc demo` run across real processes,
// next to the C peers in tests/cpeers that play the same roles. The layouts and
// protocols are those of tests/cpeers/PROTOCOL.md, so a Go role and a C role are
// interchangeable.
package scenario

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// StepTimeout bounds every blocking step of a scenario, as in the C peers: a
// broken partner makes a role fail, never hang.
const StepTimeout = 10 * time.Second

// ErrVerify reports data or ordering that a scenario found wrong.
var ErrVerify = errors.New("verification failed")

// MonotonicNow reads CLOCK_MONOTONIC, the clock the C peers print, so that
// instants from different processes compare.
func MonotonicNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// Before is process-sem-before from the seeds: create the named semaphore
// (value 0, mode 0600), do some work for delay, then post it.
func Before(out io.Writer, name string, delay time.Duration) error {
	sem, err := posix.OpenSemaphore(name, unix.O_CREAT, 0o600, 0)
	if err != nil {
		return err
	}
	defer sem.Close()
	time.Sleep(delay)
	fmt.Fprintf(out, "before done, pid=%d t=%d\n", os.Getpid(), MonotonicNow())
	return sem.Post()
}

// After is process-sem-after from the seeds: open the semaphore (waiting for
// Before to create it), wait on it, then close and unlink it.
func After(out io.Writer, name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var sem *posix.Semaphore
	for {
		var err error
		sem, err = posix.OpenSemaphore(name, 0, 0, 0)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.ENOENT) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(time.Millisecond)
	}
	defer sem.Close()
	if err := sem.WaitTimeout(time.Until(deadline)); err != nil {
		return err
	}
	fmt.Fprintf(out, "after done, pid=%d t=%d\n", os.Getpid(), MonotonicNow())
	return posix.UnlinkSemaphore(name)
}

// Mutual exclusion layout (PROTOCOL.md "Mutual exclusion across processes").
const (
	MutexCounterOff    = 0
	MutexInsideOff     = 8
	MutexViolationsOff = 12
)

// MutexWorker enters the critical section guarded by the named semaphore
// semName (value 1) iters times, incrementing the counter in shmName with a
// read, some work, and a write: a second process inside at the same time would
// lose updates and is counted as a violation.
func MutexWorker(semName, shmName string, iters int) error {
	sem, err := posix.OpenSemaphore(semName, 0, 0, 0)
	if err != nil {
		return err
	}
	defer sem.Close()
	m, err := mapExisting(shmName)
	if err != nil {
		return err
	}
	defer m.Unmap()
	b := m.Bytes()
	counter := (*uint64)(unsafe.Pointer(&b[MutexCounterOff]))
	inside := (*uint32)(unsafe.Pointer(&b[MutexInsideOff]))
	violations := (*uint32)(unsafe.Pointer(&b[MutexViolationsOff]))
	for i := 0; i < iters; i++ {
		if err := sem.WaitTimeout(StepTimeout); err != nil {
			return err
		}
		if atomic.LoadUint32(inside) != 0 {
			atomic.AddUint32(violations, 1)
		}
		atomic.StoreUint32(inside, 1)
		c := atomic.LoadUint64(counter)
		for j := 0; j < 100; j++ {
			spin++
		}
		if i%64 == 0 {
			runtime.Gosched()
		}
		atomic.StoreUint64(counter, c+1)
		atomic.StoreUint32(inside, 0)
		if err := sem.Post(); err != nil {
			return err
		}
	}
	return nil
}

var spin int

// MutexResult reads the counter and the violations of a mutual exclusion run.
func MutexResult(m *posix.Mapping) (counter uint64, violations uint32) {
	b := m.Bytes()
	return atomic.LoadUint64((*uint64)(unsafe.Pointer(&b[MutexCounterOff]))),
		atomic.LoadUint32((*uint32)(unsafe.Pointer(&b[MutexViolationsOff])))
}

// Ring layout (PROTOCOL.md "Producer/consumer ring"): three sem_t's placed at
// fixed offsets of a 4096-byte shared memory object, then the indices and the
// slots.
const (
	RingEmptyOff  = 0
	RingFullOff   = 32
	RingMutexOff  = 64
	RingHeadOff   = 96
	RingTailOff   = 100
	RingNSlotsOff = 104
	RingMagicOff  = 108
	RingSlotsOff  = 128
	RingNSlots    = 16
	RingMagic     = 0x4C495043
	RingSize      = 4096
)

// Item is the i-th item (1-based) a producer sends.
func Item(i uint64) uint64 { return i * 0x9E3779B97F4A7C15 }

// RingInit creates the ring's shared memory object (O_EXCL, 0600), sizes it and
// initialises the three semaphores in it, storing the magic last.
func RingInit(shmName string) error {
	shm, err := posix.OpenSharedMemory(shmName, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer shm.Close()
	if err := shm.Truncate(RingSize); err != nil {
		return err
	}
	m, err := shm.Map(0, RingSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return err
	}
	defer m.Unmap()
	for _, s := range []struct {
		off int
		v   uint32
	}{{RingEmptyOff, RingNSlots}, {RingFullOff, 0}, {RingMutexOff, 1}} {
		sem, err := posix.InitSemaphoreAt(m, s.off, s.v)
		if err != nil {
			return err
		}
		// Detach without sem_destroy: the semaphores outlive this process.
		_ = sem
	}
	b := m.Bytes()
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&b[RingHeadOff])), 0)
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&b[RingTailOff])), 0)
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&b[RingNSlotsOff])), RingNSlots)
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&b[RingMagicOff])), RingMagic)
	return nil
}

// ring is one process's view of an initialised ring.
type ring struct {
	m                  *posix.Mapping
	empty, full, mutex *posix.Semaphore
	b                  []byte
}

// attachRing maps the ring once its initialiser (another process, maybe not
// started yet) has created it and stored the magic.
func attachRing(shmName string) (*ring, error) {
	deadline := time.Now().Add(StepTimeout)
	var m *posix.Mapping
	for {
		var err error
		m, err = mapExisting(shmName)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.ENOENT) || time.Now().After(deadline) {
			return nil, err
		}
		time.Sleep(time.Millisecond)
	}
	b := m.Bytes()
	magic := (*uint32)(unsafe.Pointer(&b[RingMagicOff]))
	for atomic.LoadUint32(magic) != RingMagic {
		if time.Now().After(deadline) {
			m.Unmap()
			return nil, fmt.Errorf("ring %s: not initialised within %v", shmName, StepTimeout)
		}
		time.Sleep(time.Millisecond)
	}
	r := &ring{m: m, b: b}
	var err error
	for _, p := range []struct {
		s   **posix.Semaphore
		off int
	}{{&r.empty, RingEmptyOff}, {&r.full, RingFullOff}, {&r.mutex, RingMutexOff}} {
		if *p.s, err = posix.SemaphoreAt(m, p.off); err != nil {
			m.Unmap()
			return nil, err
		}
	}
	return r, nil
}

func (r *ring) u32(off int) *uint32 { return (*uint32)(unsafe.Pointer(&r.b[off])) }
func (r *ring) slot(i uint32) *uint64 {
	return (*uint64)(unsafe.Pointer(&r.b[RingSlotsOff+8*int(i%RingNSlots)]))
}

// Producer attaches to the ring and produces items 1..count, as in the seeds:
// wait(empty), wait(mutex), insert, post(mutex), post(full). It returns the
// (wrapping) sum of the items.
func Producer(shmName string, count uint64) (uint64, error) {
	r, err := attachRing(shmName)
	if err != nil {
		return 0, err
	}
	defer r.m.Unmap() // detaches the semaphores, then unmaps
	var sum uint64
	for i := uint64(1); i <= count; i++ {
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

// Consumer attaches to the ring and consumes count items, checking that they
// arrive complete and in order: wait(full), wait(mutex), remove, post(mutex),
// post(empty). It returns the (wrapping) sum of the items.
func Consumer(shmName string, count uint64) (uint64, error) {
	r, err := attachRing(shmName)
	if err != nil {
		return 0, err
	}
	defer r.m.Unmap()
	var sum uint64
	for i := uint64(1); i <= count; i++ {
		if err := r.full.WaitTimeout(StepTimeout); err != nil {
			return sum, err
		}
		if err := r.mutex.WaitTimeout(StepTimeout); err != nil {
			return sum, err
		}
		tail := r.u32(RingTailOff)
		v := atomic.LoadUint64(r.slot(*tail))
		atomic.StoreUint32(tail, *tail+1)
		if err := r.mutex.Post(); err != nil {
			return sum, err
		}
		if err := r.empty.Post(); err != nil {
			return sum, err
		}
		if v != Item(i) {
			return sum, fmt.Errorf("%w: item %d: got %#x, want %#x", ErrVerify, i, v, Item(i))
		}
		sum += v
	}
	return sum, nil
}

// RingSum is the sum a consumer of count items must report.
func RingSum(count uint64) uint64 {
	var s uint64
	for i := uint64(1); i <= count; i++ {
		s += Item(i)
	}
	return s
}

// mapExisting maps an existing object of RingSize bytes. An object still
// being sized by its creator reads as missing (ENOENT): touching a mapping past
// the end of the object would raise SIGBUS.
func mapExisting(shmName string) (*posix.Mapping, error) {
	shm, err := posix.OpenSharedMemory(shmName, unix.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer shm.Close()
	var st unix.Stat_t
	if err := unix.Fstat(shm.Fd(), &st); err != nil {
		return nil, err
	}
	if st.Size < RingSize {
		return nil, &posix.Error{Op: "fstat", Name: shmName, Err: unix.ENOENT}
	}
	return shm.Map(0, RingSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}
