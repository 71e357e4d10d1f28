package tests

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A Cond wait on a Cond already closed, entered while its mutex is being
// closed: as Cond.Wait's doc says for a mutex being closed, it returns
// os.ErrClosed with the mutex released, so that Mutex.Close (waiting for the
// other Cond's waiters, who must relock the mutex to leave libc) can finish.
// Before the fix, it returned with the mutex still held and Mutex.Close hung
// until some goroutine called Unlock.
func TestCondWaitOnClosedCondReleasesItsClosingMutex(t *testing.T) {
	mu, _, errs := startCondWaiters(t, closeWaiters)
	closedCond, err := posix.NewCond(nil)
	require.NoError(t, err)
	require.NoError(t, closedCond.Close())
	time.Sleep(50 * time.Millisecond) // all in the cond wait, mu unlocked

	held := make(chan error, 1)
	enter := make(chan struct{})
	waited := make(chan error, 1)
	rescue := make(chan bool, 1)
	go func() {
		runtime.LockOSThread()
		err := mu.Lock()
		held <- err
		if err != nil {
			return
		}
		<-enter
		waited <- closedCond.WaitTimeout(mu, time.Minute)
		if <-rescue {
			mu.Unlock() // the test failed: let Close and the waiters finish
		}
	}()
	select {
	case err := <-held:
		require.NoError(t, err)
	case <-time.After(closeBound):
		t.Fatal("the holder's Lock still blocked: the waiters kept mu")
	}
	closed := make(chan error, 1)
	go func() { closed <- mu.Close() }()
	time.Sleep(20 * time.Millisecond) // Close is waking the waiters
	close(enter)
	select {
	case err := <-waited:
		assert.ErrorIs(t, err, os.ErrClosed)
	case <-time.After(closeBound):
		rescue <- true // the holder unlocks once its Wait returns
		t.Fatal("the Wait on the closed Cond did not return")
	}
	select {
	case err := <-closed:
		rescue <- false
		assert.NoError(t, err, "destroyed unlocked")
	case <-time.After(closeBound):
		rescue <- true
		select { // bounded: a Close that the rescue does not free either must not hang the suite
		case <-closed:
		case <-time.After(closeBound):
		}
		t.Fatal("Mutex.Close still blocked: the Wait on the closed Cond kept the closing mutex")
	}
	requireAllClosed(t, errs, closeWaiters)
}

// Mutex.Close called by the goroutine that holds the mutex while others wait
// on a Cond with it: the waiters cannot leave libc before the holder unlocks,
// and the holder is the one closing, so Close does not wait for them (it hung
// for ever before): it returns EBUSY at once, as pthread_mutex_destroy does
// with cond waiters. The holder's Unlock then lets the waiters out with
// os.ErrClosed and the mutex is released after them.
func TestMutexCloseByItsHolderWithCondWaitersIsEBUSY(t *testing.T) {
	const waiters = 4
	mu, _, errs := startCondWaiters(t, waiters)

	closed := make(chan error, 2)
	go func() {
		// Lock succeeds only once every waiter has released mu inside its
		// cond wait; then this goroutine, the holder, closes the mutex.
		if err := mu.LockTimeout(5 * time.Second); err != nil {
			closed <- err
			closed <- err
			return
		}
		closed <- mu.Close()
		closed <- mu.Unlock()
	}()
	select {
	case err := <-closed:
		require.ErrorIs(t, err, unix.EBUSY, "Close by the holder")
	case <-time.After(5 * time.Second):
		t.Fatal("Mutex.Close by its holder with cond waiters still blocked after 5 s")
	}
	select {
	case err := <-closed:
		require.NoError(t, err, "the holder's Unlock after Close lets the cond waiters out")
	case <-time.After(5 * time.Second):
		t.Fatal("the holder's Unlock did not return")
	}
	requireAllClosed(t, errs, waiters)
	assert.ErrorIs(t, mu.Close(), os.ErrClosed)
}
