package tests

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The "tid-main" role runs on the process's main thread: an init function
// that locks the OS thread keeps the main goroutine there (runtime package
// docs), and TestMain plays the role on the main goroutine.
func init() {
	if os.Getenv(roleEnv) == "tid-main" {
		runtime.LockOSThread()
	}
	scenario.Roles["tid-main"] = func([]string) error {
		fmt.Printf("main tid=%d pid=%d\n", posix.Gettid(), posix.Getpid())
		done := make(chan int)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			done <- posix.Gettid()
		}()
		fmt.Printf("other tid=%d\n", <-done)
		return nil
	}
}

func TestMainThreadTidEqualsPidOthersDiffer(t *testing.T) {
	out := startGo(t, "tid-main", nil).finish(t)
	var tid, pid, other int
	_, err := fmt.Sscanf(out, "main tid=%d pid=%d\nother tid=%d", &tid, &pid, &other)
	require.NoError(t, err, out)
	assert.Equal(t, pid, tid, "the main thread's tid is the pid")
	assert.NotEqual(t, pid, other, "another thread has its own tid")
	assert.Equal(t, os.Getpid(), posix.Getpid())
	assert.Equal(t, os.Getppid(), posix.Getppid())
}

// The seed's two programs, in Go: 4 locked goroutines each add 1,000,000 to
// their own copy, in a ThreadVar (__thread) and in a Key's value.
func TestSeedThreadVarEachLockedGoroutineCountsAlone(t *testing.T) {
	counts, err := scenario.ThreadCounts(4, 1_000_000, false)
	require.NoError(t, err)
	assert.Equal(t, []uint64{1e6, 1e6, 1e6, 1e6}, counts)
}

func TestSeedKeyEachLockedGoroutineCountsAlone(t *testing.T) {
	counts, err := scenario.ThreadCounts(4, 1_000_000, true)
	require.NoError(t, err)
	assert.Equal(t, []uint64{1e6, 1e6, 1e6, 1e6}, counts)
}

// The same programs in C and as Go child processes print the same lines.
func TestSeedThreadProgramsGoAndC(t *testing.T) {
	for _, prog := range []string{"tls", "key"} {
		for _, lang := range []string{"C", "Go"} {
			t.Run(prog+"/"+lang, func(t *testing.T) {
				var p *proc
				if lang == "C" {
					p = start(t, []string{cpeer(t, "syncpeer"), prog, "4", "1000000"}, nil)
				} else {
					p = startGo(t, prog, []string{"4", "1000000"})
				}
				out := p.finish(t)
				assert.Equal(t, 4, strings.Count(out, "count=1000000\n"), out)
				assert.Contains(t, out, prog+" done")
			})
		}
	}
}

func TestThreadVarIsPerThreadAndZeroWhenNew(t *testing.T) {
	v, err := posix.NewThreadVar()
	require.NoError(t, err)
	defer v.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	require.NoError(t, v.Set(41))
	n, err := v.Add(1)
	require.NoError(t, err)
	assert.EqualValues(t, 42, n)
	other := make(chan uint64)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		x, _ := v.Get()
		other <- x
	}()
	assert.Zero(t, <-other, "another thread has its own copy")

	// A closed variable's slot, reused, reads 0 on this thread too.
	require.NoError(t, v.Close())
	_, err = v.Get()
	assert.ErrorIs(t, err, os.ErrClosed)
	assert.ErrorIs(t, v.Close(), os.ErrClosed)
	w, err := posix.NewThreadVar()
	require.NoError(t, err)
	defer w.Close()
	x, err := w.Get()
	require.NoError(t, err)
	assert.Zero(t, x)
}

func TestThreadVarPoolExhaustionIsEAGAIN(t *testing.T) {
	var vars []*posix.ThreadVar
	defer func() {
		for _, v := range vars {
			v.Close()
		}
	}()
	for {
		v, err := posix.NewThreadVar()
		if err != nil {
			assert.ErrorIs(t, err, unix.EAGAIN)
			break
		}
		vars = append(vars, v)
		require.Less(t, len(vars), 1000)
	}
	assert.NotEmpty(t, vars)
	var nilVar *posix.ThreadVar
	_, err := nilVar.Get()
	assert.ErrorIs(t, err, os.ErrInvalid)
}

// exitLockedThread runs fn in a goroutine locked to a thread that is not the
// main one, and lets the goroutine exit locked, so Go ends the thread (on the
// main thread Go parks it for ever instead: no destructor runs there).
func exitLockedThread(t *testing.T, fn func()) {
	t.Helper()
	onOtherThread(t, false, fn)
}

// onOtherThread runs fn in a new goroutine locked to a thread that is not the
// main one, waits for fn (a minute at most; a require that failed in fn ends
// the test here) and returns the thread's id. The goroutine then exits, still
// locked (Go ends the thread) or, with unlock, after one UnlockOSThread (the
// thread ends only if fn left the goroutine locked).
func onOtherThread(t *testing.T, unlock bool, fn func()) (tid int) {
	t.Helper()
	// A try that lands on the main thread stays parked there (locked) until
	// the end, so that the next try lands elsewhere: unlocked at once, the
	// next goroutine often got the main thread again (100 times in a row
	// when the test ran alone).
	hold := make(chan struct{})
	defer close(hold)
	for i := 0; i < 10; i++ {
		tidc := make(chan int, 1)
		go func() {
			runtime.LockOSThread()
			tid := posix.Gettid()
			if tid == posix.Getpid() {
				tidc <- 0
				<-hold
				runtime.UnlockOSThread()
				return
			}
			// A require in fn ends only this goroutine (runtime.Goexit).
			returned := false
			defer func() {
				if !returned {
					tidc <- -1
				}
			}()
			fn()
			returned = true
			if unlock {
				runtime.UnlockOSThread()
			}
			tidc <- tid
		}()
		select {
		case tid = <-tidc:
		case <-time.After(time.Minute):
			t.Fatal("fn did not return within a minute")
		}
		if tid < 0 {
			t.FailNow() // fn recorded the failure
		}
		if tid > 0 {
			return tid
		}
	}
	t.Fatal("every goroutine ran on the main thread")
	return 0
}

// Key destructors run when a locked goroutine exits without unlocking: Go
// ends its thread, glibc runs the destructor on the thread's value.
func TestKeyGoDestructorRunsWhenLockedGoroutineExits(t *testing.T) {
	got := make(chan uintptr, 4)
	k, err := posix.NewKey(posix.GoDestructor(func(v uintptr) { got <- v }))
	require.NoError(t, err)
	defer k.Delete()
	exitLockedThread(t, func() { k.Set(4242) })
	select {
	case v := <-got:
		assert.EqualValues(t, 4242, v)
	case <-time.After(10 * time.Second):
		t.Fatal("the destructor did not run")
	}
	// A thread that never set the key has nothing to destroy.
	exitLockedThread(t, func() {})
	select {
	case v := <-got:
		t.Fatalf("destructor ran for %d", v)
	case <-time.After(200 * time.Millisecond):
	}
}

// A C destructor found by name runs on the exiting thread: unlink(2) with the
// value as the path shows it ran, with the value the thread set.
func TestKeyCDestructorByNameRunsOnThreadExit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gone")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	m, err := posix.MapAnonymous(4096, rw, unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer m.Unmap()
	copy(m.Bytes(), path+"\x00")
	k, err := posix.NewKey(posix.CDestructor("unlink"))
	require.NoError(t, err)
	defer k.Delete()
	exitLockedThread(t, func() { k.Set(uintptr(unsafe.Pointer(&m.Bytes()[0]))) })
	require.Eventually(t, func() bool {
		_, err := os.Stat(path)
		return errors.Is(err, os.ErrNotExist)
	}, 10*time.Second, 5*time.Millisecond, "unlink did not run as the destructor")

	_, err = posix.NewKey(posix.CDestructor("no_such_function_libcipc"))
	assert.ErrorIs(t, err, unix.ENOENT)
	_, err = posix.NewKey(posix.CDestructor("free\x00x"))
	assert.ErrorIs(t, err, unix.EINVAL)
}

// A goroutine that unlocks its thread leaves its values there for the next
// goroutine (measured), unless LockedThread cleared them.
func TestLockedThreadClearsWhatAnUnlockLeaks(t *testing.T) {
	v, err := posix.NewThreadVar()
	require.NoError(t, err)
	defer v.Close()
	destroyed := make(chan uintptr, 4)
	k, err := posix.NewKey(posix.GoDestructor(func(x uintptr) { destroyed <- x }))
	require.NoError(t, err)
	defer k.Delete()

	done := make(chan struct{})
	go func() {
		defer close(done)
		// Without LockedThread: the values stay on the thread.
		runtime.LockOSThread()
		tid := posix.Gettid()
		v.Set(7)
		k.Set(9)
		runtime.UnlockOSThread()
		if posix.Gettid() == tid { // still on that thread: what the next goroutine there sees
			x, _ := v.Get()
			y, _ := k.Get()
			assert.EqualValues(t, 7, x, "leaked __thread value")
			assert.EqualValues(t, 9, y, "leaked key value")
		}
		k.Set(0)
		v.Set(0)

		var inside int
		posix.LockedThread(func() {
			inside = posix.Gettid()
			v.Set(7)
			k.Set(11)
		})
		if posix.Gettid() == inside {
			x, _ := v.Get()
			y, _ := k.Get()
			assert.Zero(t, x)
			assert.Zero(t, y)
		}
	}()
	<-done
	select {
	case x := <-destroyed:
		assert.EqualValues(t, 11, x, "LockedThread runs the destructor on the value it clears")
	case <-time.After(10 * time.Second):
		t.Fatal("no destructor")
	}
}

func TestKeyDeleteAndUseAfterDelete(t *testing.T) {
	k, err := posix.NewKey(posix.Destructor{})
	require.NoError(t, err)
	require.NoError(t, k.Delete())
	assert.ErrorIs(t, k.Delete(), os.ErrClosed)
	assert.ErrorIs(t, k.Set(1), os.ErrClosed)
	_, err = k.Get()
	assert.ErrorIs(t, err, os.ErrClosed)
	var nilKey *posix.Key
	assert.ErrorIs(t, nilKey.Set(1), os.ErrInvalid)
}

func TestOnceRunsOnceUnderRacingGoroutines(t *testing.T) {
	o, err := posix.NewOnce()
	require.NoError(t, err)
	var runs, after atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			assert.NoError(t, o.Do(func() {
				time.Sleep(20 * time.Millisecond)
				runs.Add(1)
			}))
			// Do returns only once f has returned.
			if runs.Load() == 1 {
				after.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.EqualValues(t, 1, runs.Load())
	assert.EqualValues(t, 100, after.Load())

	// A panic in f reaches the caller that ran it and counts as done.
	p, err := posix.NewOnce()
	require.NoError(t, err)
	assert.PanicsWithValue(t, "boom", func() { p.Do(func() { panic("boom") }) })
	ran := false
	require.NoError(t, p.Do(func() { ran = true }))
	assert.False(t, ran)
}

// A runtime.Goexit in f (t.FailNow, t.Skip) counts as done, as with
// sync.Once: later calls return at once instead of blocking in pthread_once.
func TestOnceSurvivesGoexitInF(t *testing.T) {
	o, err := posix.NewOnce()
	require.NoError(t, err)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		o.Do(func() { runtime.Goexit() })
		t.Error("Do returned after a Goexit in f")
	}()
	<-exited
	done := make(chan bool)
	go func() {
		ran := false
		o.Do(func() { ran = true })
		done <- ran
	}()
	select {
	case ran := <-done:
		assert.False(t, ran)
	case <-time.After(5 * time.Second):
		t.Fatal("Do blocks after a Goexit in the first f")
	}
}
