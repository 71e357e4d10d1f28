package scenario

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// The sync area: the layout syncpeer (tests/cpeers/PROTOCOL.md) uses in a
// 4096-byte shm object, and the Go roles below, its twins, use too.
const (
	SyncMuOff         = 0
	SyncCondOff       = 64
	SyncRWOff         = 128
	SyncBarrierOff    = 192
	SyncSpinOff       = 256
	SyncEmptyOff      = 320
	SyncFullOff       = 352
	SyncCounterOff    = 384
	SyncInsideOff     = 392
	SyncViolationsOff = 396
	SyncFlagOff       = 400
	SyncHeadOff       = 404
	SyncTailOff       = 408
	SyncNslotsOff     = 412
	SyncRWAOff        = 416
	SyncRWBOff        = 424
	SyncSlotsOff      = 512
	SyncNslots        = 16
	SyncSize          = 4096
)

// SyncArea is a process's view of the sync area: the mapping and the objects
// in it, attached (or initialised by SyncInit).
type SyncArea struct {
	M     *posix.Mapping
	Mu    *posix.Mutex
	Cond  *posix.Cond
	RW    *posix.RWLock
	Empty *posix.Semaphore
	Full  *posix.Semaphore
	b     []byte
}

func (a *SyncArea) u32(off int) *uint32 { return (*uint32)(unsafe.Pointer(&a.b[off])) }
func (a *SyncArea) u64(off int) *uint64 { return (*uint64)(unsafe.Pointer(&a.b[off])) }

// Counter, Inside, Violations, Flag: the area's fields, read atomically.
func (a *SyncArea) Counter() uint64    { return atomic.LoadUint64(a.u64(SyncCounterOff)) }
func (a *SyncArea) Inside() uint32     { return atomic.LoadUint32(a.u32(SyncInsideOff)) }
func (a *SyncArea) Violations() uint32 { return atomic.LoadUint32(a.u32(SyncViolationsOff)) }
func (a *SyncArea) Flag() uint32       { return atomic.LoadUint32(a.u32(SyncFlagOff)) }

// OpenSyncArea maps NAME and attaches to the objects another process
// initialised (Go or C).
func OpenSyncArea(name string) (*SyncArea, error) {
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer shm.Close()
	m, err := shm.Map(0, SyncSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	a := &SyncArea{M: m, b: m.Bytes()}
	if a.Mu, err = posix.MutexAt(m, SyncMuOff); err == nil {
		if a.Cond, err = posix.CondAt(m, SyncCondOff); err == nil {
			if a.RW, err = posix.RWLockAt(m, SyncRWOff); err == nil {
				if a.Empty, err = posix.SemaphoreAt(m, SyncEmptyOff); err == nil {
					a.Full, err = posix.SemaphoreAt(m, SyncFullOff)
				}
			}
		}
	}
	if err != nil {
		m.Unmap()
		return nil, err
	}
	return a, nil
}

// Close detaches everything (unmapping closes the attached objects).
func (a *SyncArea) Close() error { return a.M.Unmap() }

// SyncInit initialises the area's objects as `syncpeer init` does: robust is
// 1 (robust), 2 (error-checking) or 0 (default type); nbarrier 0 leaves the
// barrier alone. The objects are left in the area (the mapping is unmapped,
// which only detaches them).
func SyncInit(name string, robust, nbarrier int) error {
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer shm.Close()
	m, err := shm.Map(0, SyncSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return err
	}
	defer m.Unmap()
	attr := &posix.MutexAttr{Shared: true}
	switch robust {
	case 1:
		attr.Robust = true
	case 2:
		attr.Type = posix.MutexErrorCheck
	}
	if _, err := posix.InitMutexAt(m, SyncMuOff, attr); err != nil {
		return err
	}
	if _, err := posix.InitCondAt(m, SyncCondOff, &posix.CondAttr{Shared: true, Clock: unix.CLOCK_MONOTONIC}); err != nil {
		return err
	}
	if _, err := posix.InitRWLockAt(m, SyncRWOff, &posix.RWLockAttr{Shared: true}); err != nil {
		return err
	}
	if nbarrier > 0 {
		if _, err := posix.InitBarrierAt(m, SyncBarrierOff, uint32(nbarrier)); err != nil {
			return err
		}
	}
	if _, err := posix.InitSpinLockAt(m, SyncSpinOff); err != nil {
		return err
	}
	if _, err := posix.InitSemaphoreAt(m, SyncEmptyOff, SyncNslots); err != nil {
		return err
	}
	if _, err := posix.InitSemaphoreAt(m, SyncFullOff, 0); err != nil {
		return err
	}
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&m.Bytes()[SyncNslotsOff])), SyncNslots)
	return nil
}

// LockMu is syncpeer's lock_mu: LockTimeout(StepTimeout); on EOWNERDEAD it
// prints `eownerdead pid=P`, repairs (inside = 0) and makes the mutex
// consistent, holding it.
func (a *SyncArea) LockMu() error {
	return a.ownerDead(a.Mu.LockTimeout(StepTimeout))
}

func (a *SyncArea) ownerDead(err error) error {
	if errors.Is(err, unix.EOWNERDEAD) {
		fmt.Printf("eownerdead pid=%d\n", os.Getpid())
		atomic.StoreUint32(a.u32(SyncInsideOff), 0)
		return a.Mu.Consistent()
	}
	return err
}

// MutexIters is syncpeer's `mutex`: iters guarded increments of counter,
// counting a violation whenever inside is found set.
func (a *SyncArea) MutexIters(iters int) error {
	for i := 0; i < iters; i++ {
		if err := a.LockMu(); err != nil {
			return err
		}
		a.critical(i)
		if err := a.Mu.Unlock(); err != nil {
			return err
		}
	}
	return nil
}

func (a *SyncArea) critical(i int) {
	if atomic.LoadUint32(a.u32(SyncInsideOff)) != 0 {
		atomic.AddUint32(a.u32(SyncViolationsOff), 1)
	}
	atomic.StoreUint32(a.u32(SyncInsideOff), 1)
	c := atomic.LoadUint64(a.u64(SyncCounterOff))
	for j := 0; j < 100; j++ {
		spin++
	}
	if i%64 == 0 {
		runtime.Gosched()
	}
	atomic.StoreUint64(a.u64(SyncCounterOff), c+1)
	atomic.StoreUint32(a.u32(SyncInsideOff), 0)
}

// HoldDie is syncpeer's `holddie`: lock, mark inside, count, say so, and die
// by SIGKILL holding the mutex.
func (a *SyncArea) HoldDie() error {
	if err := a.LockMu(); err != nil {
		return err
	}
	atomic.StoreUint32(a.u32(SyncInsideOff), 1)
	atomic.AddUint64(a.u64(SyncCounterOff), 1)
	fmt.Printf("holding pid=%d\n", os.Getpid())
	os.Stdout.Sync()
	return unix.Kill(os.Getpid(), unix.SIGKILL)
}

// CondWait is syncpeer's `condwait`.
func (a *SyncArea) CondWait() error {
	if err := a.LockMu(); err != nil {
		return err
	}
	fmt.Printf("waiting pid=%d\n", os.Getpid())
	os.Stdout.Sync()
	var now unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &now)
	deadline := unix.NsecToTimespec(now.Nano() + int64(StepTimeout))
	for a.Flag() == 0 {
		if err := a.ownerDead(a.Cond.ClockWait(a.Mu, unix.CLOCK_MONOTONIC, deadline)); err != nil {
			a.Mu.Unlock()
			return err
		}
	}
	fmt.Printf("condwait done flag=%d pid=%d\n", a.Flag(), os.Getpid())
	return a.Mu.Unlock()
}

// CondSignal is syncpeer's `condsignal`.
func (a *SyncArea) CondSignal(value uint32, broadcast bool) error {
	if err := a.LockMu(); err != nil {
		return err
	}
	atomic.StoreUint32(a.u32(SyncFlagOff), value)
	var err error
	if broadcast {
		err = a.Cond.Broadcast()
	} else {
		err = a.Cond.Signal()
	}
	if uerr := a.Mu.Unlock(); err == nil {
		err = uerr
	}
	return err
}

// RWWrite and RWRead are syncpeer's `rwwrite` and `rwread`.
func (a *SyncArea) RWWrite(iters int) error {
	for i := 0; i < iters; i++ {
		if err := a.RW.LockTimeout(StepTimeout); err != nil {
			return err
		}
		atomic.AddUint64(a.u64(SyncRWAOff), 1)
		for j := 0; j < 100; j++ {
			spin++
		}
		atomic.AddUint64(a.u64(SyncRWBOff), 1)
		if err := a.RW.Unlock(); err != nil {
			return err
		}
	}
	return nil
}

func (a *SyncArea) RWRead(iters int) error {
	for i := 0; i < iters; i++ {
		if err := a.RW.RLockTimeout(StepTimeout); err != nil {
			return err
		}
		if atomic.LoadUint64(a.u64(SyncRWAOff)) != atomic.LoadUint64(a.u64(SyncRWBOff)) {
			atomic.AddUint32(a.u32(SyncViolationsOff), 1)
		}
		if err := a.RW.RUnlock(); err != nil {
			return err
		}
		if i%64 == 0 {
			runtime.Gosched()
		}
	}
	return nil
}

// Produce and Consume are the seed's producer/consumer with a pthread mutex
// and the empty/full semaphores (syncpeer's `produce` / `consume`).
func (a *SyncArea) Produce(n int, start uint64) error {
	for i := 0; i < n; i++ {
		if err := a.Empty.WaitTimeout(StepTimeout); err != nil {
			return err
		}
		if err := a.LockMu(); err != nil {
			return err
		}
		h := atomic.LoadUint32(a.u32(SyncHeadOff))
		atomic.StoreUint64(a.u64(SyncSlotsOff+8*int(h%SyncNslots)), start+uint64(i))
		atomic.StoreUint32(a.u32(SyncHeadOff), h+1)
		if err := a.Mu.Unlock(); err != nil {
			return err
		}
		if err := a.Full.Post(); err != nil {
			return err
		}
	}
	return nil
}

func (a *SyncArea) Consume(n int) (sum, sumsq uint64, err error) {
	for i := 0; i < n; i++ {
		if err := a.Full.WaitTimeout(StepTimeout); err != nil {
			return 0, 0, err
		}
		if err := a.LockMu(); err != nil {
			return 0, 0, err
		}
		t := atomic.LoadUint32(a.u32(SyncTailOff))
		item := atomic.LoadUint64(a.u64(SyncSlotsOff + 8*int(t%SyncNslots)))
		atomic.StoreUint32(a.u32(SyncTailOff), t+1)
		if err := a.Mu.Unlock(); err != nil {
			return 0, 0, err
		}
		if err := a.Empty.Post(); err != nil {
			return 0, 0, err
		}
		sum += item
		sumsq += item * item
	}
	return sum, sumsq, nil
}

// ThreadCounts is the seed's __thread program (useKey false: a ThreadVar) or
// its pthread_key program (useKey true: a Key whose value is the count): n
// goroutines, each locked to its own thread, add 1 loop times. It returns each
// goroutine's final count.
func ThreadCounts(n, loop int, useKey bool) ([]uint64, error) {
	counts := make([]uint64, n)
	errs := make([]error, n)
	var tv *posix.ThreadVar
	var key *posix.Key
	var err error
	if useKey {
		key, err = posix.NewKey(posix.Destructor{})
		if err != nil {
			return nil, err
		}
		defer key.Delete()
	} else {
		tv, err = posix.NewThreadVar()
		if err != nil {
			return nil, err
		}
		defer tv.Close()
	}
	var wg sync.WaitGroup
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			posix.LockedThread(func() {
				for i := 0; i < loop; i++ {
					if useKey {
						v, err := key.Get()
						if err == nil {
							err = key.Set(v + 1)
						}
						if err != nil {
							errs[g] = err
							return
						}
					} else if _, err := tv.Add(1); err != nil {
						errs[g] = err
						return
					}
				}
				if useKey {
					v, _ := key.Get()
					counts[g] = uint64(v)
				} else {
					counts[g], _ = tv.Get()
				}
			})
		}()
	}
	wg.Wait()
	return counts, errors.Join(errs...)
}

func init() {
	area := func(name string, fn func(a *SyncArea) error) error {
		a, err := OpenSyncArea(name)
		if err != nil {
			return err
		}
		defer a.Close()
		return fn(a)
	}
	Roles["sync-init"] = func(x []string) error {
		if err := SyncInit(x[0], Atoi(x[1]), Atoi(x[2])); err != nil {
			return err
		}
		fmt.Println("init done")
		return nil
	}
	Roles["sync-mutex"] = func(x []string) error {
		return area(x[0], func(a *SyncArea) error {
			if err := a.MutexIters(Atoi(x[1])); err != nil {
				return err
			}
			fmt.Printf("mutex done iters=%s\n", x[1])
			return nil
		})
	}
	Roles["sync-holddie"] = func(x []string) error {
		return area(x[0], (*SyncArea).HoldDie)
	}
	Roles["sync-lock"] = func(x []string) error {
		return area(x[0], func(a *SyncArea) error {
			err := a.Mu.LockTimeout(2 * StepTimeout / 10)
			fmt.Printf("%s counter=%d\n", ResultLine(err), a.Counter())
			if err != nil && !errors.Is(err, unix.EOWNERDEAD) {
				return nil
			}
			switch x[1] {
			case "repair":
				if err != nil {
					atomic.StoreUint32(a.u32(SyncInsideOff), 0)
					if err := a.Mu.Consistent(); err != nil {
						return err
					}
				}
				return a.Mu.Unlock()
			case "norepair":
				return a.Mu.Unlock()
			}
			fmt.Printf("holding pid=%d\n", os.Getpid())
			time.Sleep(StepTimeout) // until killed
			return &posix.Error{Op: "hold", Err: unix.ETIMEDOUT}
		})
	}
	Roles["sync-condwait"] = func(x []string) error {
		return area(x[0], (*SyncArea).CondWait)
	}
	Roles["sync-condsignal"] = func(x []string) error {
		return area(x[0], func(a *SyncArea) error {
			if err := a.CondSignal(uint32(Atoi(x[1])), x[2] == "broadcast"); err != nil {
				return err
			}
			fmt.Println("condsignal done")
			return nil
		})
	}
	Roles["sync-rwwrite"] = func(x []string) error {
		return area(x[0], func(a *SyncArea) error {
			if err := a.RWWrite(Atoi(x[1])); err != nil {
				return err
			}
			fmt.Println("rwwrite done")
			return nil
		})
	}
	Roles["sync-rwread"] = func(x []string) error {
		return area(x[0], func(a *SyncArea) error {
			if err := a.RWRead(Atoi(x[1])); err != nil {
				return err
			}
			fmt.Printf("rwread done violations=%d\n", a.Violations())
			return nil
		})
	}
	Roles["sync-barrier"] = func(x []string) error {
		return area(x[0], func(a *SyncArea) error {
			b, err := posix.BarrierAt(a.M, SyncBarrierOff)
			if err != nil {
				return err
			}
			serial, err := b.Wait()
			if err != nil {
				return err
			}
			s := 0
			if serial {
				s = 1
			}
			fmt.Printf("barrier serial=%d pid=%d\n", s, os.Getpid())
			return nil
		})
	}
	Roles["sync-produce"] = func(x []string) error {
		return area(x[0], func(a *SyncArea) error {
			if err := a.Produce(Atoi(x[1]), uint64(Atoi(x[2]))); err != nil {
				return err
			}
			fmt.Printf("produce done n=%s\n", x[1])
			return nil
		})
	}
	Roles["sync-consume"] = func(x []string) error {
		return area(x[0], func(a *SyncArea) error {
			sum, sumsq, err := a.Consume(Atoi(x[1]))
			if err != nil {
				return err
			}
			fmt.Printf("consume done n=%s sum=%d sumsq=%d\n", x[1], sum, sumsq)
			return nil
		})
	}
	threads := func(useKey bool, word string) func([]string) error {
		return func(x []string) error {
			counts, err := ThreadCounts(Atoi(x[0]), Atoi(x[1]), useKey)
			if err != nil {
				return err
			}
			bad := false
			for _, c := range counts {
				fmt.Printf("count=%d\n", c)
				bad = bad || c != uint64(Atoi(x[1]))
			}
			fmt.Printf("%s done\n", word)
			if bad {
				return fmt.Errorf("%w: a count is not %s", ErrVerify, x[1])
			}
			return nil
		}
	}
	Roles["tls"] = threads(false, "tls")
	Roles["key"] = threads(true, "key")
}
