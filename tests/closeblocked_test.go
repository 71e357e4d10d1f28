package tests

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/libcipc/libcipc/posix"
)

// closeRig is one repetition of a close-while-blocked case: waiters are the
// calls goroutine i makes (waiters[i%len]), all of which block (or loop) until
// close; each must then return an error wrapping waitErr (nil: success, as
// documented for a barrier). release, when set, runs after close and the
// check that close did not release anyone. after are the calls made once every
// waiter is back (use after close, double close): each must wrap afterErr.
type closeRig struct {
	waiters  []func() error
	close    func() error
	closeErr error // nil or what close documents (EBUSY)
	closeMay error // also accepted from close (a race the case cannot order)
	waitErr  error
	waitMay  error         // also accepted from a waiter (one that came after close)
	settle   time.Duration // a fixed settle instead of the random one
	release  func(t *testing.T)
	after    []func() error
	afterErr error
}

// closeWaiters is how many goroutines block in each repetition.
const closeWaiters = 8

// closeBound bounds each waiter's return after close (a wait slice is 10 ms;
// the rest is headroom for a loaded 2-vCPU machine under -race).
const closeBound = 5 * time.Second

// runCloseRig runs one repetition and returns the time from close to the
// last waiter's return.
func runCloseRig(t *testing.T, r closeRig) time.Duration {
	t.Helper()
	errs := make(chan error, closeWaiters)
	for i := range closeWaiters {
		w := r.waiters[i%len(r.waiters)]
		go func() { errs <- w() }()
	}
	// A random settle, sometimes none: close meets waiters in Go, entering
	// C, or blocked in C.
	if r.settle > 0 {
		time.Sleep(r.settle)
	} else if d := rand.N(4 * time.Millisecond); d > 500*time.Microsecond {
		time.Sleep(d)
	}
	closed := make(chan error, 1)
	start := time.Now()
	go func() { closed <- r.close() }() // from another goroutine
	select {
	case err := <-closed:
		if r.closeMay != nil && errors.Is(err, r.closeMay) {
			break
		}
		if r.closeErr == nil {
			require.NoError(t, err, "close")
		} else {
			require.ErrorIs(t, err, r.closeErr, "close")
		}
	case <-time.After(closeBound):
		t.Fatalf("close still blocked after %v", closeBound)
	}
	if r.release != nil {
		if r.waitMay == nil {
			select {
			case err := <-errs:
				t.Fatalf("a waiter returned (%v) before the release", err)
			default:
			}
		}
		r.release(t)
	}
	deadline := time.After(closeBound)
	for range closeWaiters {
		select {
		case err := <-errs:
			if r.waitMay != nil && errors.Is(err, r.waitMay) {
				continue
			}
			if r.waitErr == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, r.waitErr)
			}
		case <-deadline:
			t.Fatalf("a waiter still blocked %v after close", closeBound)
		}
	}
	took := time.Since(start)
	want := r.afterErr
	if want == nil {
		want = os.ErrClosed
	}
	for i, f := range r.after {
		assert.ErrorIs(t, f(), want, "after-close call %d", i)
	}
	return took
}

// untilErr repeats op until it fails, and returns that error.
func untilErr(op func() error) func() error {
	return func() error {
		for {
			if err := op(); err != nil {
				return err
			}
		}
	}
}

// holdUntil runs lock on a goroutine of its own (locked to its thread, which
// goes when the goroutine exits locked), returns once it succeeded, and
// returns a func that makes the holder call unlock and checks its result.
func holdUntil(t *testing.T, lock, unlock func() error, unlockErr error) func() {
	t.Helper()
	held := make(chan error, 1)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := lock()
		held <- err
		if err != nil {
			return
		}
		<-release
		done <- unlock()
	}()
	select {
	case err := <-held:
		require.NoError(t, err)
	case <-time.After(closeBound):
		t.Fatalf("the holder's lock still blocked after %v", closeBound)
	}
	return func() {
		close(release)
		var err error
		select {
		case err = <-done:
		case <-time.After(closeBound):
			t.Fatalf("the holder's unlock still blocked after %v", closeBound)
		}
		if unlockErr == nil {
			assert.NoError(t, err)
		} else {
			assert.ErrorIs(t, err, unlockErr)
		}
	}
}

func semWaiters(s *posix.Semaphore) []func() error {
	return []func() error{
		s.Wait,
		func() error { return s.WaitTimeout(time.Minute) },
		func() error { return s.WaitContext(context.Background()) },
		func() error { return s.TimedWait(time.Now().Add(time.Minute)) },
	}
}

func semAfter(s *posix.Semaphore) []func() error {
	return []func() error{s.Close, s.Post, s.TryWait, s.Wait,
		func() error { return s.WaitTimeout(time.Second) },
		func() error { _, err := s.Value(); return err }}
}

func mutexWaiters(m *posix.Mutex) []func() error {
	unlockOK := func(err error) error {
		if err == nil {
			m.Unlock()
			return errors.New("Lock succeeded on a mutex held elsewhere")
		}
		return err
	}
	return []func() error{
		func() error { return unlockOK(m.Lock()) },
		func() error { return unlockOK(m.LockTimeout(time.Minute)) },
		func() error { return unlockOK(m.LockContext(context.Background())) },
		func() error { return unlockOK(m.TimedLock(time.Now().Add(time.Minute))) },
	}
}

func mutexAfter(m *posix.Mutex) []func() error {
	return []func() error{m.Close, m.TryLock, m.Lock, m.Unlock, m.Consistent,
		func() error { return m.LockTimeout(time.Second) }}
}

func rwWaiters(l *posix.RWLock) []func() error {
	got := func(err error) error {
		if err == nil {
			return errors.New("lock succeeded on an rwlock write-held elsewhere")
		}
		return err
	}
	ctx := context.Background()
	return []func() error{
		func() error { return got(l.RLock()) },
		func() error { return got(l.Lock()) },
		func() error { return got(l.RLockTimeout(time.Minute)) },
		func() error { return got(l.LockTimeout(time.Minute)) },
		func() error { return got(l.RLockContext(ctx)) },
		func() error { return got(l.LockContext(ctx)) },
		func() error { return got(l.TimedRLock(time.Now().Add(time.Minute))) },
		func() error { return got(l.TimedLock(time.Now().Add(time.Minute))) },
	}
}

func rwAfter(l *posix.RWLock) []func() error {
	return []func() error{l.Close, l.RLock, l.Lock, l.TryRLock, l.TryLock, l.Unlock, l.RUnlock}
}

// sharedTwice creates a shm object of size bytes and maps it twice (so an
// object held through one mapping can be waited for through the other).
func sharedTwice(t *testing.T, size int) (a, b *posix.Mapping) {
	t.Helper()
	shm, _ := openShm(t, int64(size))
	a, err := shm.Map(0, size, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	b, err = shm.Map(0, size, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	t.Cleanup(func() { a.Unmap(); b.Unmap() })
	return a, b
}

// closeCases is the matrix: every handle type, every blocking call, closed
// under its waiters. Each case builds a fresh rig per repetition.
func closeCases() []struct {
	name string
	rig  func(t *testing.T) closeRig
} {
	type c = struct {
		name string
		rig  func(t *testing.T) closeRig
	}
	return []c{
		{"sem/named", func(t *testing.T) closeRig {
			s, _ := newNamed(t, 0)
			return closeRig{waiters: semWaiters(s), close: s.Close, waitErr: os.ErrClosed, after: semAfter(s)}
		}},
		{"sem/heap", func(t *testing.T) closeRig {
			s, err := posix.NewSemaphore(0)
			require.NoError(t, err)
			return closeRig{waiters: semWaiters(s), close: s.Close, waitErr: os.ErrClosed, after: semAfter(s)}
		}},
		{"sem/placed-close", func(t *testing.T) closeRig {
			m := mapAnon(t)
			s, err := posix.InitSemaphoreAt(m, 64, 0)
			require.NoError(t, err)
			return closeRig{waiters: semWaiters(s), close: s.Close, waitErr: os.ErrClosed, after: semAfter(s)}
		}},
		{"sem/placed-unmap", func(t *testing.T) closeRig {
			m, err := posix.MapAnonymous(4096, rw, unix.MAP_SHARED)
			require.NoError(t, err)
			s, err := posix.InitSemaphoreAt(m, 64, 0)
			require.NoError(t, err)
			s2, err := posix.SemaphoreAt(m, 64) // a second handle on the same sem_t
			require.NoError(t, err)
			ws := append(semWaiters(s), semWaiters(s2)...)
			after := append(semAfter(s), append(semAfter(s2), m.Unmap,
				func() error { _, err := m.ReadAt(make([]byte, 1), 0); return err },
				func() error { _, err := posix.SemaphoreAt(m, 64); return err })...)
			return closeRig{waiters: ws, close: m.Unmap, waitErr: os.ErrClosed, after: after}
		}},
		{"mq/receive-empty", func(t *testing.T) closeRig {
			q, name := newQueue(t, nil) // maxmsg 10, msgsize 64
			buf := make([]byte, 64)
			recv := func(f func() (int, uint, error)) func() error {
				return func() error { _, _, err := f(); return err }
			}
			// Each waiter (two goroutines per form) has a buffer of its own.
			ws := []func() error{
				recv(func() (int, uint, error) { return q.Receive(make([]byte, 64)) }),
				recv(func() (int, uint, error) { return q.ReceiveTimeout(make([]byte, 64), time.Minute) }),
				recv(func() (int, uint, error) { return q.ReceiveContext(context.Background(), make([]byte, 64)) }),
				recv(func() (int, uint, error) { return q.TimedReceive(make([]byte, 64), time.Now().Add(time.Minute)) }),
			}
			after := []func() error{q.Close, func() error { return q.Send([]byte("x"), 0) },
				recv(func() (int, uint, error) { return q.Receive(buf) }),
				func() error { _, err := q.Attr(); return err }}
			return closeRig{waiters: ws, close: closeUnlink(q, name), waitErr: os.ErrClosed, after: after}
		}},
		{"mq/send-full", func(t *testing.T) closeRig {
			q, name := newQueue(t, nil) // maxmsg 10, msgsize 64
			for range 10 {
				require.NoError(t, q.Send([]byte("fill"), 0))
			}
			msg := []byte("more")
			ws := []func() error{
				func() error { return q.Send(msg, 1) },
				func() error { return q.SendTimeout(msg, 1, time.Minute) },
				func() error { return q.SendContext(context.Background(), msg, 1) },
				func() error { return q.TimedSend(msg, 1, time.Now().Add(time.Minute)) },
			}
			after := []func() error{q.Close, func() error { return q.Send(msg, 0) },
				func() error { _, _, err := q.Receive(make([]byte, 64)); return err }}
			return closeRig{waiters: ws, close: closeUnlink(q, name), waitErr: os.ErrClosed, after: after}
		}},
		{"mutex/heap", func(t *testing.T) closeRig {
			m, err := posix.NewMutex(nil)
			require.NoError(t, err)
			unhold := holdUntil(t, m.Lock, m.Unlock, os.ErrClosed)
			t.Cleanup(unhold)
			// glibc refuses to destroy a locked mutex: EBUSY, handle closed.
			return closeRig{waiters: mutexWaiters(m), close: m.Close, closeErr: unix.EBUSY, waitErr: os.ErrClosed, after: mutexAfter(m)}
		}},
		{"mutex/placed-close", func(t *testing.T) closeRig {
			mp := mapAnon(t) // unmapped after the unhold below
			m, err := posix.InitMutexAt(mp, 128, &posix.MutexAttr{Robust: true})
			require.NoError(t, err)
			unhold := holdUntil(t, m.Lock, m.Unlock, os.ErrClosed)
			t.Cleanup(unhold)
			return closeRig{waiters: mutexWaiters(m), close: m.Close, closeErr: unix.EBUSY, waitErr: os.ErrClosed, after: mutexAfter(m)}
		}},
		{"mutex/placed-unmap", func(t *testing.T) closeRig {
			// Held through one mapping (Unmap refuses to unmap a mapping whose
			// mutex this process holds), waited for through the other.
			a, b := sharedTwice(t, 4096)
			holder, err := posix.InitMutexAt(a, 0, &posix.MutexAttr{Robust: true})
			require.NoError(t, err)
			m, err := posix.MutexAt(b, 0)
			require.NoError(t, err)
			unhold := holdUntil(t, holder.Lock, holder.Unlock, nil)
			t.Cleanup(unhold)
			after := append(mutexAfter(m), b.Unmap)
			return closeRig{waiters: mutexWaiters(m), close: b.Unmap, waitErr: os.ErrClosed, after: after}
		}},
		{"cond", func(t *testing.T) closeRig {
			mu, err := posix.NewMutex(nil)
			require.NoError(t, err)
			c, err := posix.NewCond(nil)
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, mu.Close()) })
			// Whatever Wait returns after the Cond's Close, mu is held again.
			// A spurious wake-up (nil: POSIX allows it; libcipc makes them
			// when all 32 libc wait slots are taken) waits again, as a
			// waiter's loop on its predicate would.
			wait := func(f func() error) func() error {
				return func() error {
					for {
						if err := mu.Lock(); err != nil {
							return err
						}
						err := f()
						assert.NoError(t, mu.Unlock())
						if err != nil {
							return err
						}
					}
				}
			}
			ws := []func() error{
				wait(func() error { return c.Wait(mu) }),
				wait(func() error { return c.WaitTimeout(mu, time.Minute) }),
				wait(func() error { return c.WaitContext(context.Background(), mu) }),
			}
			after := []func() error{c.Close, c.Signal, c.Broadcast,
				func() error {
					require.NoError(t, mu.Lock())
					defer mu.Unlock()
					return c.WaitTimeout(mu, time.Second)
				}}
			return closeRig{waiters: ws, close: c.Close, waitErr: os.ErrClosed, after: after}
		}},
		{"cond/mutex-close", func(t *testing.T) closeRig {
			mu, err := posix.NewMutex(nil)
			require.NoError(t, err)
			c, err := posix.NewCond(nil)
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, c.Close()) })
			var lockedOut atomic.Int32
			wait := func() error {
				if err := mu.Lock(); err != nil {
					lockedOut.Add(1) // Close came first: never entered the wait
					return err
				}
				for {
					// Returns os.ErrClosed with mu released (and closed).
					if err := c.WaitTimeout(mu, time.Minute); err != nil {
						return err
					}
				}
			}
			// A waiter may hold mu (between Lock and the wait) when Close
			// comes: EBUSY then.
			return closeRig{waiters: []func() error{wait}, close: mu.Close, closeMay: unix.EBUSY, waitErr: os.ErrClosed,
				after: []func() error{mu.Close, mu.Lock, func() error { return c.WaitTimeout(mu, time.Second) }}}
		}},
		{"rwlock/heap", func(t *testing.T) closeRig {
			l, err := posix.NewRWLock(nil)
			require.NoError(t, err)
			unhold := holdUntil(t, l.Lock, l.Unlock, os.ErrClosed)
			t.Cleanup(unhold)
			return closeRig{waiters: rwWaiters(l), close: l.Close, waitErr: os.ErrClosed, after: rwAfter(l)}
		}},
		{"rwlock/placed-unmap", func(t *testing.T) closeRig {
			a, b := sharedTwice(t, 4096)
			holder, err := posix.InitRWLockAt(a, 0, nil)
			require.NoError(t, err)
			l, err := posix.RWLockAt(b, 0)
			require.NoError(t, err)
			unhold := holdUntil(t, holder.Lock, holder.Unlock, nil)
			t.Cleanup(unhold)
			return closeRig{waiters: rwWaiters(l), close: b.Unmap, waitErr: os.ErrClosed, after: append(rwAfter(l), b.Unmap)}
		}},
		{"barrier/placed", func(t *testing.T) closeRig {
			// Close cannot release barrier waiters (documented): it says
			// EBUSY; the last arrival, through a second handle, releases
			// them with success, and the barrier is destroyed after.
			m := mapAnon(t)
			b1, err := posix.InitBarrierAt(m, 0, closeWaiters+1)
			require.NoError(t, err)
			b2, err := posix.BarrierAt(m, 0)
			require.NoError(t, err)
			// A waiter that had not entered libc when Close came gets
			// os.ErrClosed (Go may take up to a sysmon tick per goroutine to
			// hand its P on while the others block in C); the others stay
			// in the barrier until the arrivals they lack come through b2.
			var early atomic.Int32
			wait := func() error {
				_, err := b1.Wait()
				if errors.Is(err, os.ErrClosed) {
					early.Add(1)
				}
				return err
			}
			release := func(t *testing.T) {
				_, err := b1.Wait()
				assert.ErrorIs(t, err, os.ErrClosed)
				time.Sleep(20 * time.Millisecond) // the early ones are back
				in := closeWaiters - int(early.Load())
				require.Positive(t, in, "no waiter in the barrier: settle longer")
				assert.ErrorIs(t, m.Unmap(), unix.EBUSY, "Unmap with barrier waiters")
				arrivals := make(chan error, closeWaiters+1)
				for range closeWaiters + 1 - in {
					go func() { _, err := b2.Wait(); arrivals <- err }()
				}
				for range closeWaiters + 1 - in {
					select {
					case err := <-arrivals:
						assert.NoError(t, err)
					case <-time.After(closeBound):
						t.Fatal("the barrier did not open")
					}
				}
			}
			return closeRig{waiters: []func() error{wait}, close: b1.Close, closeErr: unix.EBUSY,
				waitErr: nil, waitMay: os.ErrClosed, release: release, settle: 30 * time.Millisecond,
				after: []func() error{b1.Close, wait}}
		}},
		{"spinlock", func(t *testing.T) closeRig {
			s, err := posix.NewSpinLock(false)
			require.NoError(t, err)
			require.NoError(t, s.TryLock()) // held; no owner, no pin
			lock := func() error {
				if err := s.Lock(); err == nil {
					return errors.New("Lock succeeded on a held spin lock")
				} else {
					return err
				}
			}
			return closeRig{waiters: []func() error{lock}, close: s.Close, waitErr: os.ErrClosed,
				after: []func() error{s.Close, s.Lock, s.TryLock, s.Unlock}}
		}},
		{"signal-receiver", func(t *testing.T) closeRig {
			sr, err := posix.NewSignalReceiver(unix.Signal(40))
			require.NoError(t, err)
			recv := func(ctx context.Context) func() error {
				return func() error { _, err := sr.Receive(ctx); return err }
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			t.Cleanup(cancel)
			return closeRig{waiters: []func() error{recv(context.Background()), recv(ctx)}, close: sr.Close,
				waitErr: os.ErrClosed, after: []func() error{sr.Close, recv(context.Background())}}
		}},
		{"mapping/readat-writeat-vs-unmap", func(t *testing.T) closeRig {
			shm, _ := openShm(t, 8192)
			m, err := shm.Map(0, 8192, rw, unix.MAP_SHARED)
			require.NoError(t, err)
			io := func(write bool) func() error {
				return func() error {
					buf := make([]byte, 8192) // one per goroutine
					return untilErr(func() error {
						var err error
						if write {
							_, err = m.WriteAt(buf, 0)
						} else {
							_, err = m.ReadAt(buf, 0)
						}
						if err == nil {
							_, err = m.AddUint64(4096, 1)
						}
						return err
					})()
				}
			}
			return closeRig{waiters: []func() error{io(false), io(true)}, close: m.Unmap, waitErr: os.ErrClosed,
				after: []func() error{m.Unmap, func() error { _, err := m.LoadUint32(0); return err }, func() error { return m.Sync(unix.MS_SYNC) }}}
		}},
		{"shm/close-vs-calls", func(t *testing.T) closeRig {
			shm, _ := openShm(t, 4096)
			ws := []func() error{
				untilErr(func() error { _, err := shm.Stat(); return err }),
				untilErr(func() error { return shm.Truncate(4096) }),
				untilErr(func() error {
					m, err := shm.Map(0, 4096, rw, unix.MAP_SHARED)
					if err == nil {
						err = m.Unmap()
					}
					return err
				}),
			}
			return closeRig{waiters: ws, close: shm.Close, waitErr: os.ErrClosed,
				after: []func() error{shm.Close, func() error { _, err := shm.Size(); return err }}}
		}},
		{"key/delete-vs-set-get", func(t *testing.T) closeRig {
			k, err := posix.NewKey(posix.Destructor{})
			require.NoError(t, err)
			ws := []func() error{
				untilErr(func() error { return k.Set(42) }),
				untilErr(func() error { _, err := k.Get(); return err }),
			}
			return closeRig{waiters: ws, close: k.Delete, waitErr: os.ErrClosed,
				after: []func() error{k.Delete, func() error { return k.Set(1) }}}
		}},
		{"threadvar/close-vs-add", func(t *testing.T) closeRig {
			v, err := posix.NewThreadVar()
			require.NoError(t, err)
			ws := []func() error{untilErr(func() error { _, err := v.Add(1); return err })}
			after := []func() error{v.Close, func() error { return v.Set(1) }, func() error {
				// The slot is reused with a new generation: a new variable
				// reads 0 on this thread, whatever the old one held.
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				nv, err := posix.NewThreadVar()
				require.NoError(t, err)
				defer nv.Close()
				x, err := nv.Get()
				require.NoError(t, err)
				assert.Zero(t, x)
				_, err = v.Get()
				return err
			}}
			return closeRig{waiters: ws, close: v.Close, waitErr: os.ErrClosed, after: after}
		}},
		{"sysv/sem-rmid", func(t *testing.T) closeRig {
			id := newSemSet(t, uniqueKey(), 1)
			ctx := context.Background()
			ws := []func() error{
				func() error { return posix.SemOp(id, []posix.SemBuf{{Op: -1}}) },
				func() error { return posix.SemTimedOp(id, []posix.SemBuf{{Op: -1}}, time.Minute) },
				func() error { return posix.SemOpContext(ctx, id, []posix.SemBuf{{Op: -1}}) },
				func() error { return posix.SemOp(id, []posix.SemBuf{{Op: 0}, {Op: -1}}) },
			}
			rmid := func() error { _, err := posix.SemCtl(id, 0, unix.IPC_RMID, 0); return err }
			// No handle: the id is gone, so later calls are the kernel's EINVAL.
			// A call that reaches the kernel after the removal gets EINVAL.
			return closeRig{waiters: ws, close: rmid, waitErr: unix.EIDRM, waitMay: unix.EINVAL, afterErr: unix.EINVAL,
				after: []func() error{rmid, func() error { return posix.SemOp(id, []posix.SemBuf{{Op: 1}}) }}}
		}},
		{"sysv/msg-rmid", func(t *testing.T) closeRig {
			id := newMsgQueue(t, uniqueKey())
			ctx := context.Background()
			ws := []func() error{
				func() error { _, _, err := posix.MsgRcv(id, make([]byte, 16), 0, 0); return err },
				func() error { _, _, err := posix.MsgRcvContext(ctx, id, make([]byte, 16), 7, 0); return err },
			}
			rmid := func() error { return posix.MsgCtl(id, unix.IPC_RMID, nil) }
			// A call that reaches the kernel after the removal gets EINVAL.
			return closeRig{waiters: ws, close: rmid, waitErr: unix.EIDRM, waitMay: unix.EINVAL, afterErr: unix.EINVAL,
				after: []func() error{rmid, func() error { return posix.MsgSnd(id, 1, []byte("x"), 0) }}}
		}},
	}
}

// closeUnlink is a queue case's close: Close, and the name unlinked with it
// (newQueue's cleanup then finds both done; it only matters for a failed
// repetition).
func closeUnlink(q *posix.MessageQueue, name string) func() error {
	return func() error {
		err := q.Close()
		posix.UnlinkMessageQueue(name)
		return err
	}
}

// Close while blocked, for every handle type: 8 goroutines blocked (or
// looping) in every blocking form of the type's calls, closed from another
// goroutine after a random settle; every waiter returns within closeBound with
// the documented error, then use after close and a second close say
// os.ErrClosed. Repeated: 5 times under -race, 15 in make test's non-race
// pass (which runs the tests named Fault); the cases run in parallel, so
// waiters also compete for the process's 32 wait slots.
func TestFaultCloseWhileBlockedMatrix(t *testing.T) {
	reps := 15
	if raceEnabled {
		reps = 5
	}
	for _, c := range closeCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			reps := reps
			if c.name == "barrier/placed" {
				reps = min(reps, 8) // 50 ms of settles per repetition
			}
			var worst, total time.Duration
			for range reps {
				ok := t.Run("", func(t *testing.T) {
					d := runCloseRig(t, c.rig(t))
					worst = max(worst, d)
					total += d
				})
				if !ok {
					return
				}
			}
			t.Logf("%s: %d reps: close to last waiter back: mean %v, max %v", c.name, reps, total/time.Duration(reps), worst)
		})
	}
}

// Mutex.Close while one goroutine holds the mutex and others wait on a Cond
// with it: woken by Close, the waiters must relock the mutex in libc before
// they can leave, so Close waits for the holder's Unlock, which unlocks (the
// handle is closed but not yet released). Before the fix, Unlock said
// os.ErrClosed without unlocking, and Close and the waiters hung for ever.
func TestMutexCloseWhileHeldWithCondWaiters(t *testing.T) {
	mu, _, errs := startCondWaiters(t, closeWaiters)
	time.Sleep(50 * time.Millisecond) // all in the cond wait, mu unlocked
	unhold := holdUntil(t, mu.Lock, mu.Unlock, nil)
	closed := make(chan error, 1)
	go func() { closed <- mu.Close() }()
	time.Sleep(20 * time.Millisecond) // Close is waking the waiters
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while the waiters could not leave libc", err)
	default:
	}
	unhold() // Unlock: nil, it unlocked
	select {
	case err := <-closed:
		assert.NoError(t, err, "destroyed unlocked")
	case <-time.After(closeBound):
		t.Fatal("Mutex.Close still blocked after the holder's Unlock")
	}
	requireAllClosed(t, errs, closeWaiters)
	assert.ErrorIs(t, mu.Unlock(), os.ErrClosed, "released: nothing to unlock")
	assert.ErrorIs(t, mu.Close(), os.ErrClosed)
}

// The same, with the holder entering a Cond wait after Close began: the wait
// says os.ErrClosed and releases the mutex (as its doc says for a mutex being
// closed), which lets the other waiters out. Before the fix, it returned with
// the mutex still held, and Close and the waiters hung for ever.
func TestCondWaitEnteredWhileItsMutexClosesReleasesIt(t *testing.T) {
	mu, c, errs := startCondWaiters(t, closeWaiters)
	time.Sleep(50 * time.Millisecond)
	unhold := holdUntil(t, mu.Lock, func() error { return c.WaitTimeout(mu, time.Minute) }, os.ErrClosed)
	closed := make(chan error, 1)
	go func() { closed <- mu.Close() }()
	time.Sleep(20 * time.Millisecond)
	unhold() // the holder's Wait: os.ErrClosed, mu released
	select {
	case err := <-closed:
		assert.NoError(t, err, "destroyed unlocked")
	case <-time.After(closeBound):
		t.Fatal("Mutex.Close still blocked after the holder's Wait")
	}
	requireAllClosed(t, errs, closeWaiters)
}

// File lock waits have no handle: they take a descriptor. Closing it under
// blocked waits is a race in C too; this measures what happens. libcipc
// waits in 10 ms slices (block.go), so the next slice's call finds the
// descriptor closed: EBADF within about a slice, the lock never taken. The
// kernel alone ("C"): a blocked F_SETLKW keeps waiting until the lock is
// free, then takes it, sees the descriptor gone, drops it and says EBADF
// (fs/locks.c, fcntl_setlk's close/fcntl race check); a blocked flock keeps
// waiting, takes the lock and returns 0 (the lock goes with the last
// reference to the open file description, at once).
func TestCloseFdUnderBlockedFileLockWaits(t *testing.T) {
	path := t.TempDir() + "/lock"
	require.NoError(t, os.WriteFile(path, []byte("x"), 0o600))
	open := func() int {
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
		require.NoError(t, err)
		return fd
	}
	// The holder: an OFD write lock (conflicts with fcntl, lockf and other
	// descriptions' OFD locks, even in this process) and a flock.
	h := open()
	wr := posix.FileLock{Type: unix.F_WRLCK}
	require.NoError(t, posix.OFDSetLock(h, &wr))
	require.NoError(t, posix.Flock(h, unix.LOCK_EX|unix.LOCK_NB))
	defer unix.Close(h)

	t.Run("libcipc", func(t *testing.T) {
		w := open()
		ctx := context.Background()
		ws := []func() error{
			func() error { l := wr; return posix.SetLockWait(w, &l) },
			func() error { l := wr; return posix.OFDSetLockWait(w, &l) },
			func() error { return posix.Flock(w, unix.LOCK_EX) },
			func() error { return posix.Lockf(w, unix.F_LOCK, 0) },
			func() error { l := wr; return posix.SetLockContext(ctx, w, &l) },
			func() error { l := wr; return posix.OFDSetLockContext(ctx, w, &l) },
			func() error { return posix.FlockContext(ctx, w, unix.LOCK_EX) },
			func() error { return posix.LockfContext(ctx, w, unix.F_LOCK, 0) },
		}
		errs := make(chan error, len(ws))
		for _, f := range ws {
			go func() { errs <- f() }()
		}
		time.Sleep(30 * time.Millisecond)
		start := time.Now()
		require.NoError(t, unix.Close(w))
		for range ws {
			select {
			case err := <-errs:
				assert.ErrorIs(t, err, unix.EBADF)
			case <-time.After(closeBound):
				t.Fatal("a lock wait still blocked after its descriptor was closed")
			}
		}
		t.Logf("8 lock waits: EBADF %v after the close", time.Since(start))
	})
	t.Run("kernel", func(t *testing.T) {
		w1, w2 := open(), open()
		fc, fl := make(chan error, 1), make(chan error, 1)
		go func() {
			l := unix.Flock_t{Type: unix.F_WRLCK}
			fc <- unix.FcntlFlock(uintptr(w1), unix.F_SETLKW, &l)
		}()
		go func() { fl <- unix.Flock(w2, unix.LOCK_EX) }()
		time.Sleep(30 * time.Millisecond)
		require.NoError(t, unix.Close(w1))
		require.NoError(t, unix.Close(w2))
		time.Sleep(30 * time.Millisecond)
		select {
		case err := <-fc:
			t.Fatalf("F_SETLKW returned (%v) before the lock was free", err)
		case err := <-fl:
			t.Fatalf("flock returned (%v) before the lock was free", err)
		default:
		}
		// Free the lock (a second holder descriptor keeps the test's h).
		un := posix.FileLock{Type: unix.F_UNLCK}
		require.NoError(t, posix.OFDSetLock(h, &un))
		require.NoError(t, posix.Flock(h, unix.LOCK_UN))
		for _, c := range []struct {
			name string
			ch   chan error
			want error
		}{{"F_SETLKW", fc, unix.EBADF}, {"flock", fl, nil}} {
			select {
			case err := <-c.ch:
				if c.want == nil {
					assert.NoError(t, err, c.name)
				} else {
					assert.ErrorIs(t, err, c.want, c.name)
				}
			case <-time.After(closeBound):
				t.Fatalf("%s still blocked after the lock was freed", c.name)
			}
		}
		// And the lock was not kept: h takes it again at once.
		assert.NoError(t, posix.OFDSetLock(h, &wr))
		assert.NoError(t, posix.Flock(h, unix.LOCK_EX|unix.LOCK_NB))
	})
}

// startCondWaiters makes a mutex mu and a cond c (closed at cleanup) and
// starts n goroutines that lock mu and wait on c with it (up to a minute),
// each sending its Wait's result (or its Lock's error) on errs. It returns
// once each has held mu, so a later mu.Lock returns only when all of them are
// inside the cond wait.
func startCondWaiters(t *testing.T, n int) (mu *posix.Mutex, c *posix.Cond, errs <-chan error) {
	t.Helper()
	mu, err := posix.NewMutex(nil)
	require.NoError(t, err)
	c, err = posix.NewCond(nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	results := make(chan error, n)
	entered := make(chan struct{}, n)
	for range n {
		go func() {
			if err := mu.LockTimeout(closeBound); err != nil {
				entered <- struct{}{}
				results <- err
				return
			}
			entered <- struct{}{} // mu held: the wait releases it
			results <- c.WaitTimeout(mu, time.Minute)
		}()
	}
	for range n {
		select {
		case <-entered:
		case <-time.After(closeBound):
			t.Fatal("the cond waiters did not start")
		}
	}
	return mu, c, results
}

// requireAllClosed takes n results from errs, each within closeBound, each
// wrapping os.ErrClosed.
func requireAllClosed(t *testing.T, errs <-chan error, n int) {
	t.Helper()
	for range n {
		select {
		case err := <-errs:
			assert.ErrorIs(t, err, os.ErrClosed)
		case <-time.After(closeBound):
			t.Fatal("a cond waiter still blocked")
		}
	}
}
