package tests

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// newSyncArea creates the zeroed 4096-byte object of syncpeer's sync area
// (PROTOCOL.md), initialised by lang ("C" or "Go") with `init NAME ROBUST
// NBARRIER`, and attaches to it. Everything is removed at cleanup.
func newSyncArea(t *testing.T, lang string, robust, nbarrier int) (*scenario.SyncArea, string) {
	t.Helper()
	name := uniqueName()
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() { posix.UnlinkSharedMemory(name) })
	require.NoError(t, shm.Truncate(scenario.SyncSize))
	require.NoError(t, shm.Close())
	out := startSync(t, lang, "init", name, fmt.Sprint(robust), fmt.Sprint(nbarrier)).finish(t)
	require.Equal(t, "init done", out)
	a, err := scenario.OpenSyncArea(name)
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	return a, name
}

// startSync runs syncpeer's command cmd in C, or its Go twin role.
func startSync(t *testing.T, lang, cmd string, args ...string) *proc {
	t.Helper()
	if lang == "C" {
		return start(t, append([]string{cpeer(t, "syncpeer"), cmd}, args...), nil)
	}
	return startGo(t, "sync-"+cmd, args)
}

// waitGroupWithin waits for wg, failing the test after d.
func waitGroupWithin(t *testing.T, wg *sync.WaitGroup, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("goroutines still blocked after %v", d)
	}
}

// barrierWaitWithin is b.Wait (which libc cannot bound), failing the test
// after d.
func barrierWaitWithin(t *testing.T, b *posix.Barrier, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { _, err := b.Wait(); done <- err }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("barrier wait still blocked after %v", d)
		return nil
	}
}

// onThread runs fn in a goroutine of its own and waits for it: lock owners
// are threads, so a second owner needs a second goroutine.
func onThread(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}

func TestMutexTypesFollowLibc(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	ec, err := posix.NewMutex(&posix.MutexAttr{Type: posix.MutexErrorCheck})
	require.NoError(t, err)
	defer ec.Close()
	require.NoError(t, ec.Lock())
	assert.ErrorIs(t, ec.Lock(), unix.EDEADLK, "relock of an error-checking mutex")
	assert.ErrorIs(t, ec.LockTimeout(time.Second), unix.EDEADLK)
	assert.ErrorIs(t, ec.TryLock(), unix.EBUSY)
	onThread(func() { assert.ErrorIs(t, ec.Unlock(), unix.EPERM, "unlock by a non-owner") })
	require.NoError(t, ec.Unlock())
	assert.ErrorIs(t, ec.Unlock(), unix.EPERM, "unlock of an unlocked error-checking mutex")

	rec, err := posix.NewMutex(&posix.MutexAttr{Type: posix.MutexRecursive})
	require.NoError(t, err)
	defer rec.Close()
	for i := 0; i < 3; i++ {
		require.NoError(t, rec.Lock())
	}
	require.NoError(t, rec.TryLock())
	onThread(func() { assert.ErrorIs(t, rec.TryLock(), unix.EBUSY, "held by another thread") })
	for i := 0; i < 4; i++ {
		require.NoError(t, rec.Unlock(), "unlock %d of 4", i+1)
	}
	assert.ErrorIs(t, rec.Unlock(), unix.EPERM, "one unlock too many")
	onThread(func() {
		require.NoError(t, rec.TryLock(), "free again for another thread")
		require.NoError(t, rec.Unlock())
	})

	normal, err := posix.NewMutex(nil)
	require.NoError(t, err)
	defer normal.Close()
	require.NoError(t, normal.Lock())
	assert.ErrorIs(t, normal.TryLock(), unix.EBUSY, "a normal mutex is not recursive")
	assert.ErrorIs(t, normal.LockTimeout(20*time.Millisecond), unix.ETIMEDOUT, "relock of a normal mutex waits (deadlocks in C)")
	require.NoError(t, normal.Unlock())

	// Unlocking an unlocked normal mutex: glibc does not check and says 0,
	// as C sees; the mutex still works afterwards, nothing crashes.
	loose, err := posix.NewMutex(nil)
	require.NoError(t, err)
	defer loose.Close()
	assert.NoError(t, loose.Unlock())
	require.NoError(t, loose.LockTimeout(time.Second))
	require.NoError(t, loose.Unlock())

	_, err = posix.NewMutex(&posix.MutexAttr{Type: 99})
	assert.ErrorIs(t, err, unix.EINVAL)
}

func TestMutexTimedFormsAndContext(t *testing.T) {
	m, err := posix.NewMutex(&posix.MutexAttr{Type: posix.MutexErrorCheck})
	require.NoError(t, err)
	defer m.Close()
	held := make(chan struct{})
	release := make(chan struct{})
	go func() {
		assert.NoError(t, m.Lock())
		close(held)
		<-release
		assert.NoError(t, m.Unlock())
	}()
	<-held
	err = m.LockTimeout(30 * time.Millisecond)
	assert.ErrorIs(t, err, unix.ETIMEDOUT)
	assert.True(t, os.IsTimeout(err))
	assert.ErrorIs(t, m.TimedLock(time.Now().Add(-time.Second)), unix.ETIMEDOUT)
	var now unix.Timespec
	require.NoError(t, unix.ClockGettime(unix.CLOCK_MONOTONIC, &now))
	assert.ErrorIs(t, m.ClockLock(unix.CLOCK_MONOTONIC, unix.NsecToTimespec(now.Nano()+int64(20*time.Millisecond))), unix.ETIMEDOUT)
	assert.ErrorIs(t, m.ClockLock(unix.CLOCK_PROCESS_CPUTIME_ID, now), unix.EINVAL)
	assert.ErrorIs(t, m.ClockLock(unix.CLOCK_MONOTONIC, unix.Timespec{Sec: now.Sec, Nsec: 2e9}), unix.EINVAL)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	assert.ErrorIs(t, m.LockContext(ctx), context.Canceled)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel2()
	assert.ErrorIs(t, m.LockContext(ctx2), context.DeadlineExceeded)

	close(release)
	onThread(func() {
		require.NoError(t, m.LockTimeout(10*time.Second))
		require.NoError(t, m.Unlock())
	})
}

func TestMutexCloseWhileBlockedAndUseAfterClose(t *testing.T) {
	m, err := posix.NewMutex(nil)
	require.NoError(t, err)
	held := make(chan struct{})
	closed := make(chan struct{})
	go func() {
		runtime.LockOSThread() // exits locked: the thread goes with it
		assert.NoError(t, m.Lock())
		close(held)
		<-closed
		assert.ErrorIs(t, m.Unlock(), os.ErrClosed)
	}()
	<-held
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.ErrorIs(t, m.LockTimeout(30*time.Second), os.ErrClosed)
		}()
	}
	time.Sleep(50 * time.Millisecond)
	// glibc refuses to destroy a locked mutex: Close says so, and closes.
	assert.ErrorIs(t, m.Close(), unix.EBUSY)
	waitGroupWithin(t, &wg, 10*time.Second)
	close(closed)
	assert.ErrorIs(t, m.Close(), os.ErrClosed)
	assert.ErrorIs(t, m.TryLock(), os.ErrClosed)
	assert.ErrorIs(t, m.Consistent(), os.ErrClosed)

	var nilMutex *posix.Mutex
	assert.ErrorIs(t, nilMutex.Lock(), os.ErrInvalid)
	assert.ErrorIs(t, nilMutex.Unlock(), os.ErrInvalid)
	var zero posix.Mutex
	assert.ErrorIs(t, zero.Lock(), os.ErrInvalid)
}

func TestThousandLockersUseFewThreadsAndAllGetTheLock(t *testing.T) {
	m, err := posix.NewMutex(nil)
	require.NoError(t, err)
	defer m.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	require.NoError(t, m.Lock())
	base := threads(t)
	const n = 1000
	var got atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if assert.NoError(t, m.LockTimeout(60*time.Second)) {
				got.Add(1)
				assert.NoError(t, m.Unlock())
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	during := threads(t)
	require.NoError(t, m.Unlock())
	wg.Wait()
	assert.EqualValues(t, n, got.Load())
	assert.LessOrEqual(t, during-base, 40, "threads: %d before, %d with %d lockers blocked", base, during, n)
	t.Logf("threads: %d before, %d with %d goroutines blocked on one mutex", base, during, n)
}

// The seed's producer/consumer with one mutex and two semaphores, in
// goroutines: every item consumed exactly once.
func TestSeedProducerConsumerAcrossGoroutines(t *testing.T) {
	const nslots, producers, consumers, per = 10, 4, 4, 2000
	mu, err := posix.NewMutex(nil)
	require.NoError(t, err)
	defer mu.Close()
	empty, err := posix.NewSemaphore(nslots)
	require.NoError(t, err)
	defer empty.Close()
	full, err := posix.NewSemaphore(0)
	require.NoError(t, err)
	defer full.Close()
	var buf [nslots]int
	head, tail := 0, 0
	seen := make([]atomic.Int32, producers*per)
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				require.NoError(t, empty.WaitTimeout(10*time.Second))
				require.NoError(t, mu.LockTimeout(10*time.Second))
				buf[head%nslots] = p*per + i
				head++
				require.NoError(t, mu.Unlock())
				require.NoError(t, full.Post())
			}
		}()
	}
	for c := 0; c < consumers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < producers*per/consumers; i++ {
				require.NoError(t, full.WaitTimeout(10*time.Second))
				require.NoError(t, mu.LockTimeout(10*time.Second))
				item := buf[tail%nslots]
				tail++
				require.NoError(t, mu.Unlock())
				require.NoError(t, empty.Post())
				seen[item].Add(1)
			}
		}()
	}
	wg.Wait()
	for i := range seen {
		require.EqualValues(t, 1, seen[i].Load(), "item %d", i)
	}
}

// The same across processes: C and Go producers and consumers share the
// mutex and semaphores in one shm object.
func TestSeedProducerConsumerAcrossProcessesGoAndC(t *testing.T) {
	for _, initLang := range []string{"C", "Go"} {
		t.Run("init="+initLang, func(t *testing.T) {
			_, name := newSyncArea(t, initLang, 0, 0)
			const n = 1000
			p1 := startSync(t, "C", "produce", name, fmt.Sprint(n), "1")
			p2 := startSync(t, "Go", "produce", name, fmt.Sprint(n), fmt.Sprint(n+1))
			c1 := startSync(t, "Go", "consume", name, "700")
			c2 := startSync(t, "C", "consume", name, fmt.Sprint(2*n-700))
			p1.finish(t)
			p2.finish(t)
			var sum, sumsq uint64
			for _, c := range []*proc{c1, c2} {
				var k int
				var s, q uint64
				out := c.finish(t)
				_, err := fmt.Sscanf(out, "consume done n=%d sum=%d sumsq=%d", &k, &s, &q)
				require.NoError(t, err, out)
				sum += s
				sumsq += q
			}
			var wantSum, wantSq uint64
			for i := uint64(1); i <= 2*n; i++ {
				wantSum += i
				wantSq += i * i
			}
			assert.Equal(t, wantSum, sum, "every item consumed exactly once")
			assert.Equal(t, wantSq, sumsq)
		})
	}
}

func TestMutexMutualExclusionAcrossProcessesGoAndC(t *testing.T) {
	a, name := newSyncArea(t, "Go", 1, 0)
	const iters = 3000
	procs := []*proc{
		startSync(t, "C", "mutex", name, fmt.Sprint(iters)),
		startSync(t, "Go", "mutex", name, fmt.Sprint(iters)),
		startSync(t, "C", "mutex", name, fmt.Sprint(iters)),
	}
	require.NoError(t, a.MutexIters(iters))
	for _, p := range procs {
		p.finish(t)
	}
	assert.EqualValues(t, 4*iters, a.Counter())
	assert.Zero(t, a.Violations())
}

// Robust mutexes: a C peer and a Go child each die (SIGKILL) holding the
// mutex; the survivor gets EOWNERDEAD with the lock, repairs, and the
// counter is consistent. Then the ENOTRECOVERABLE path.
func TestRobustMutexRecoveryAcrossProcesses(t *testing.T) {
	for _, initLang := range []string{"C", "Go"} {
		t.Run("init="+initLang, func(t *testing.T) {
			a, name := newSyncArea(t, initLang, 1, 0)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			want := uint64(0)
			for _, dier := range []string{"C", "Go"} {
				p := startSync(t, dier, "holddie", name)
				p.Wait()
				require.Equal(t, -1, p.Cmd.ProcessState.ExitCode(), "killed")
				want++
				err := a.Mu.LockTimeout(10 * time.Second)
				require.ErrorIs(t, err, unix.EOWNERDEAD, "the %s holder died", dier)
				assert.EqualValues(t, 1, a.Inside(), "the state the dead holder left")
				assert.Equal(t, want, a.Counter())
				// Repair, make consistent, unlock: the next locker is fine.
				require.NoError(t, a.Mu.Consistent())
				require.NoError(t, a.Mu.Unlock())
				require.NoError(t, a.MutexIters(10))
				want += 10
			}
			// A Go holder dies, a C survivor repairs; then Go dies again and a
			// C locker unlocks without Consistent: ENOTRECOVERABLE for all.
			startSync(t, "Go", "holddie", name).Wait()
			out := startSync(t, "C", "lock", name, "repair").finish(t)
			assert.Equal(t, unix.EOWNERDEAD, probe(t, out), out)
			startSync(t, "Go", "holddie", name).Wait()
			out = startSync(t, "C", "lock", name, "norepair").finish(t)
			assert.Equal(t, unix.EOWNERDEAD, probe(t, out), out)
			assert.ErrorIs(t, a.Mu.LockTimeout(time.Second), unix.ENOTRECOVERABLE)
			terr := a.Mu.TryLock()
			assert.ErrorIs(t, terr, unix.ENOTRECOVERABLE, "%v", terr)
			out = startSync(t, "C", "lock", name, "repair").finish(t)
			assert.Equal(t, unix.ENOTRECOVERABLE, probe(t, out), out)
		})
	}
}

// Consistent on a mutex not acquired with EOWNERDEAD is EINVAL, as in libc.
func TestConsistentOnAHealthyMutexIsEINVAL(t *testing.T) {
	m, err := posix.NewMutex(&posix.MutexAttr{Robust: true})
	require.NoError(t, err)
	defer m.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	require.NoError(t, m.Lock())
	assert.ErrorIs(t, m.Consistent(), unix.EINVAL)
	require.NoError(t, m.Unlock())
}

func TestCondAcrossProcessesGoAndC(t *testing.T) {
	for _, pair := range [][2]string{{"C", "Go"}, {"Go", "C"}, {"Go", "Go"}} {
		waiterLang, signalLang := pair[0], pair[1]
		t.Run(waiterLang+"-waits-"+signalLang+"-signals", func(t *testing.T) {
			a, name := newSyncArea(t, "C", 1, 0)
			w1 := startSync(t, waiterLang, "condwait", name)
			w2 := startSync(t, waiterLang, "condwait", name)
			waitLine(t, w1, "waiting")
			waitLine(t, w2, "waiting")
			// Taking the mutex proves both are inside pthread_cond_clockwait.
			onThread(func() {
				require.NoError(t, a.Mu.LockTimeout(10*time.Second))
				require.NoError(t, a.Mu.Unlock())
			})
			assert.Equal(t, "condsignal done", startSync(t, signalLang, "condsignal", name, "7", "broadcast").finish(t))
			assert.Contains(t, w1.finish(t), "condwait done flag=7")
			assert.Contains(t, w2.finish(t), "condwait done flag=7")
		})
	}
}

// A Go waiter in this process, woken by a C signaller; and the timed forms.
func TestCondWaitInProcessWithCSignaller(t *testing.T) {
	a, name := newSyncArea(t, "Go", 1, 0)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	require.NoError(t, a.Mu.LockTimeout(10*time.Second))
	start(t, []string{cpeer(t, "syncpeer"), "condsignal", name, "3", "signal"}, nil)
	var now unix.Timespec
	require.NoError(t, unix.ClockGettime(unix.CLOCK_MONOTONIC, &now))
	deadline := unix.NsecToTimespec(now.Nano() + int64(10*time.Second))
	for a.Flag() == 0 {
		require.NoError(t, a.Cond.ClockWait(a.Mu, unix.CLOCK_MONOTONIC, deadline))
	}
	assert.EqualValues(t, 3, a.Flag())
	// The area's cond runs on CLOCK_MONOTONIC: TimedWait reads abs on it.
	require.NoError(t, unix.ClockGettime(unix.CLOCK_MONOTONIC, &now))
	err := a.Cond.TimedWait(a.Mu, unix.NsecToTimespec(now.Nano()+int64(20*time.Millisecond)))
	assert.ErrorIs(t, err, unix.ETIMEDOUT)
	assert.ErrorIs(t, a.Cond.WaitTimeout(a.Mu, 20*time.Millisecond), unix.ETIMEDOUT)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	assert.ErrorIs(t, a.Cond.WaitContext(ctx, a.Mu), context.Canceled)
	// The mutex is held again after each: unlock succeeds.
	require.NoError(t, a.Mu.Unlock())
}

func TestCondCloseWakesWaitersAndManyWaitersStayBounded(t *testing.T) {
	mu, err := posix.NewMutex(nil)
	require.NoError(t, err)
	defer mu.Close()
	c, err := posix.NewCond(&posix.CondAttr{Clock: unix.CLOCK_MONOTONIC})
	require.NoError(t, err)
	base := threads(t)
	const n = 200
	ready := false
	var woke atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, mu.LockTimeout(10*time.Second))
			for !ready {
				if err := c.WaitTimeout(mu, 10*time.Second); err != nil {
					assert.ErrorIs(t, err, os.ErrClosed)
					break
				}
			}
			woke.Add(1)
			assert.NoError(t, mu.Unlock())
		}()
	}
	time.Sleep(200 * time.Millisecond)
	during := threads(t)
	assert.LessOrEqual(t, during-base, 80, "threads: %d before, %d with %d cond waiters", base, during, n)
	t.Logf("threads: %d before, %d with %d goroutines waiting on one cond", base, during, n)
	require.NoError(t, c.Close())
	wg.Wait()
	assert.EqualValues(t, n, woke.Load())
	assert.ErrorIs(t, c.Signal(), os.ErrClosed)
	assert.ErrorIs(t, c.Close(), os.ErrClosed)
}

func TestRWLockAcrossProcessesGoAndC(t *testing.T) {
	a, name := newSyncArea(t, "C", 0, 0)
	const w, r = 2000, 5000
	procs := []*proc{
		startSync(t, "C", "rwwrite", name, fmt.Sprint(w)),
		startSync(t, "Go", "rwwrite", name, fmt.Sprint(w)),
		startSync(t, "C", "rwread", name, fmt.Sprint(r)),
		startSync(t, "Go", "rwread", name, fmt.Sprint(r)),
	}
	require.NoError(t, a.RWRead(r))
	for _, p := range procs {
		p.finish(t)
	}
	assert.Zero(t, a.Violations(), "a reader saw a half-done write")
	require.NoError(t, a.RW.RLockTimeout(10*time.Second))
	require.NoError(t, a.RW.RUnlock())
	require.NoError(t, a.RWWrite(1))
	require.NoError(t, a.RW.TryRLock())
	assert.ErrorIs(t, a.RW.TryLock(), unix.EBUSY)
	require.NoError(t, a.RW.RUnlock())
}

func TestRWLockOwnershipFollowsGlibc(t *testing.T) {
	l, err := posix.NewRWLock(&posix.RWLockAttr{PreferWriter: true})
	require.NoError(t, err)
	defer l.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	require.NoError(t, l.Lock())
	assert.ErrorIs(t, l.RLock(), unix.EDEADLK, "the writer asks for a read lock")
	assert.ErrorIs(t, l.Lock(), unix.EDEADLK)
	onThread(func() {
		assert.ErrorIs(t, l.TryRLock(), unix.EBUSY)
		assert.ErrorIs(t, l.RLockTimeout(20*time.Millisecond), unix.ETIMEDOUT)
	})
	require.NoError(t, l.Unlock())
	// Read locks are counted, not owned: many goroutines hold them at once.
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, l.RLockTimeout(10*time.Second))
		}()
	}
	wg.Wait()
	for i := 0; i < 50; i++ {
		require.NoError(t, l.RUnlock())
	}
	require.NoError(t, l.TryLock())
	require.NoError(t, l.Unlock())
}

func TestBarrierWithProcessesGoAndC(t *testing.T) {
	_, name := newSyncArea(t, "Go", 0, 4)
	var procs []*proc
	for _, lang := range []string{"C", "Go", "C", "Go"} {
		procs = append(procs, startSync(t, lang, "barrier", name))
	}
	serial := 0
	for _, p := range procs {
		out := p.finish(t)
		if strings.Contains(out, "serial=1") {
			serial++
		}
	}
	assert.Equal(t, 1, serial, "exactly one serial thread per round")
}

func TestBarrierInProcessAndCloseWhileWaiting(t *testing.T) {
	b, err := posix.NewBarrier(3, false)
	require.NoError(t, err)
	var serial atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := b.Wait()
			assert.NoError(t, err)
			if s {
				serial.Add(1)
			}
		}()
	}
	waitGroupWithin(t, &wg, 10*time.Second)
	assert.EqualValues(t, 1, serial.Load())
	require.NoError(t, b.Close())

	// A waiter alone in a barrier: Close cannot release it, says EBUSY, and
	// destroys the barrier once the waiter has left, which a second handle on
	// the same pthread_barrier_t (in a mapping) brings about.
	m, _ := newSegment(t, 4096)
	b1, err := posix.InitBarrierAt(m, 0, 2)
	require.NoError(t, err)
	b2, err := posix.BarrierAt(m, 0)
	require.NoError(t, err)
	done := make(chan error)
	go func() {
		_, err := b1.Wait()
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	assert.ErrorIs(t, b1.Close(), unix.EBUSY)
	_, err = b1.Wait()
	assert.ErrorIs(t, err, os.ErrClosed)
	assert.ErrorIs(t, b1.Close(), os.ErrClosed)
	require.NoError(t, barrierWaitWithin(t, b2, 10*time.Second))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter was not released")
	}
	_, err = posix.NewBarrier(0, false)
	assert.ErrorIs(t, err, unix.EINVAL)
}

func TestSpinLockAcrossProcessesGoAndC(t *testing.T) {
	a, name := newSyncArea(t, "Go", 0, 0)
	s, err := posix.SpinLockAt(a.M, scenario.SyncSpinOff)
	require.NoError(t, err)
	c := startSync(t, "C", "spin", name, "20000")
	for i := 0; i < 20000; i++ {
		require.NoError(t, s.Lock())
		_, err := a.M.AddUint64(scenario.SyncCounterOff, 1)
		require.NoError(t, err)
		require.NoError(t, s.Unlock())
	}
	c.finish(t)
	assert.EqualValues(t, 40000, a.Counter())
	require.NoError(t, s.TryLock())
	assert.ErrorIs(t, s.TryLock(), unix.EBUSY)
	require.NoError(t, s.Unlock())
}

func TestPlacementOfSyncObjectsIsChecked(t *testing.T) {
	m, _ := newSegment(t, 4096)
	_, err := posix.InitMutexAt(m, 4, nil)
	assert.ErrorIs(t, err, unix.EINVAL, "misaligned")
	_, err = posix.InitMutexAt(m, 4096-8, nil)
	assert.ErrorIs(t, err, unix.EINVAL, "past the end")
	_, err = posix.InitCondAt(m, -8, nil)
	assert.ErrorIs(t, err, unix.EINVAL)
	_, err = posix.InitRWLockAt(m, 4090, nil)
	assert.ErrorIs(t, err, unix.EINVAL)
	_, err = posix.InitBarrierAt(m, 4088, 2)
	assert.ErrorIs(t, err, unix.EINVAL)
	_, err = posix.InitSpinLockAt(m, 2)
	assert.ErrorIs(t, err, unix.EINVAL)
	_, err = posix.MutexAt(nil, 0)
	assert.ErrorIs(t, err, os.ErrInvalid)

	// Unmapping closes what was placed: later calls say os.ErrClosed.
	mu, err := posix.InitMutexAt(m, 0, &posix.MutexAttr{Robust: true})
	require.NoError(t, err)
	cond, err := posix.InitCondAt(m, 64, nil)
	require.NoError(t, err)
	require.NoError(t, m.Unmap())
	assert.ErrorIs(t, mu.TryLock(), os.ErrClosed)
	assert.ErrorIs(t, cond.Signal(), os.ErrClosed)
}

// A locked mutex is neither destroyed nor freed by Close (glibc destroys a
// locked robust one and keeps writing through its owner's robust list).
func TestCloseOfALockedRobustMutexIsEBUSY(t *testing.T) {
	m, err := posix.NewMutex(&posix.MutexAttr{Robust: true})
	require.NoError(t, err)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	require.NoError(t, m.Lock())
	assert.ErrorIs(t, m.Close(), unix.EBUSY)
	assert.ErrorIs(t, m.Unlock(), os.ErrClosed)
	runtime.UnlockOSThread() // the pin the closed mutex's Lock took
	// Other robust mutexes on this thread go on working.
	other, err := posix.NewMutex(&posix.MutexAttr{Robust: true})
	require.NoError(t, err)
	defer other.Close()
	require.NoError(t, other.Lock())
	require.NoError(t, other.Unlock())
}

// Closing a mutex that goroutines wait with in a Cond wakes them: they
// return os.ErrClosed, and Close does not hang.
func TestMutexCloseWakesCondWaitersUsingIt(t *testing.T) {
	mu, err := posix.NewMutex(nil)
	require.NoError(t, err)
	c, err := posix.NewCond(nil)
	require.NoError(t, err)
	defer c.Close()
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			if err := mu.LockTimeout(10 * time.Second); err != nil {
				errs <- err
				return
			}
			errs <- c.WaitTimeout(mu, 30*time.Second)
		}()
	}
	time.Sleep(100 * time.Millisecond)
	closed := make(chan error)
	go func() { closed <- mu.Close() }()
	select {
	case err := <-closed:
		assert.NoError(t, err, "the waiters released the mutex")
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs while Cond waiters use the mutex")
	}
	for i := 0; i < 3; i++ {
		assert.ErrorIs(t, <-errs, os.ErrClosed)
	}
}

// Unmap refuses (EBUSY) to pull memory from under a placed mutex this
// process holds or a placed barrier goroutines wait in.
func TestUnmapRefusesWhilePlacedObjectsAreInUse(t *testing.T) {
	m, _ := newSegment(t, 4096)
	mu, err := posix.InitMutexAt(m, 0, &posix.MutexAttr{Robust: true})
	require.NoError(t, err)
	b, err := posix.InitBarrierAt(m, 64, 2)
	require.NoError(t, err)
	b2, err := posix.BarrierAt(m, 64)
	require.NoError(t, err)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	require.NoError(t, mu.Lock())
	assert.ErrorIs(t, m.Unmap(), unix.EBUSY)
	require.NoError(t, mu.Unlock())
	done := make(chan error)
	go func() {
		_, err := b.Wait()
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	assert.ErrorIs(t, m.Unmap(), unix.EBUSY)
	require.NoError(t, barrierWaitWithin(t, b2, 10*time.Second))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter was not released")
	}
	require.NoError(t, m.Unmap())
}

// With every condition-wait slot of the process taken, a timed wait still
// times out (after spurious wake-ups), as the caller's loop expects.
func TestCondTimedWaitTimesOutWhenNoRoom(t *testing.T) {
	mu, err := posix.NewMutex(nil)
	require.NoError(t, err)
	defer mu.Close()
	busy, err := posix.NewCond(nil)
	require.NoError(t, err)
	c, err := posix.NewCond(nil)
	require.NoError(t, err)
	defer c.Close()
	stop := false
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, mu.LockTimeout(10*time.Second))
			for !stop {
				if busy.WaitTimeout(mu, 10*time.Second) != nil {
					break
				}
			}
			mu.Unlock()
		}()
	}
	time.Sleep(100 * time.Millisecond)
	onThread(func() {
		require.NoError(t, mu.LockTimeout(10*time.Second))
		// The C pattern: one absolute deadline, a loop over spurious wake-ups.
		var now unix.Timespec
		require.NoError(t, unix.ClockGettime(unix.CLOCK_REALTIME, &now))
		deadline := unix.NsecToTimespec(now.Nano() + int64(50*time.Millisecond))
		start := time.Now()
		var err error
		spurious := 0
		for err == nil && time.Since(start) < 5*time.Second {
			if err = c.TimedWait(mu, deadline); err == nil {
				spurious++
			}
		}
		assert.ErrorIs(t, err, unix.ETIMEDOUT)
		t.Logf("no room: %d spurious wake-ups, then ETIMEDOUT after %v", spurious, time.Since(start).Round(time.Millisecond))
		stop = true
		require.NoError(t, mu.Unlock())
	})
	require.NoError(t, busy.Close())
	wg.Wait()
}

func TestRWLockUnlockByANonWriterIsEPERM(t *testing.T) {
	l, err := posix.NewRWLock(nil)
	require.NoError(t, err)
	defer l.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	require.NoError(t, l.Lock())
	onThread(func() {
		assert.ErrorIs(t, l.Unlock(), unix.EPERM)
		assert.ErrorIs(t, l.RUnlock(), unix.EPERM)
	})
	require.NoError(t, l.Unlock())
}
