//go:build cgo

package posix_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// A mutex has an owner thread: Lock pins the goroutine to its thread until
// Unlock. An error-checking mutex says so when misused.
func ExampleMutex() {
	mu, err := posix.NewMutex(&posix.MutexAttr{Type: posix.MutexErrorCheck})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mu.Close()
	if err := mu.LockTimeout(time.Second); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(errors.Is(mu.Lock(), unix.EDEADLK)) // relock by the owner
	done := make(chan error)
	go func() { done <- mu.Unlock() }() // another goroutine: another thread
	fmt.Println(errors.Is(<-done, unix.EPERM))
	fmt.Println(mu.Unlock())
	// Output:
	// true
	// true
	// <nil>
}

// A robust, process-shared mutex in shared memory: when a holder dies, the
// next Lock returns EOWNERDEAD with the lock held; repair, then Consistent.
func ExampleInitMutexAt() {
	m, err := posix.MapAnonymous(4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Unmap()
	mu, err := posix.InitMutexAt(m, 0, &posix.MutexAttr{Robust: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mu.Close()
	err = mu.LockTimeout(time.Second)
	if errors.Is(err, unix.EOWNERDEAD) {
		// The previous owner died: fix what the mutex protects, then
		err = mu.Consistent()
	}
	fmt.Println(err, mu.Unlock())
	// Output: <nil> <nil>
}

// The seed's condition: wait for a predicate under the mutex, in a loop.
func ExampleCond() {
	mu, _ := posix.NewMutex(nil)
	defer mu.Close()
	c, err := posix.NewCond(&posix.CondAttr{Clock: unix.CLOCK_MONOTONIC})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ready := false
	go func() {
		mu.LockTimeout(time.Second)
		ready = true
		c.Signal()
		mu.Unlock()
	}()
	mu.LockTimeout(time.Second)
	for !ready {
		if err := c.WaitTimeout(mu, time.Second); err != nil {
			fmt.Println(err)
			break
		}
	}
	fmt.Println("ready:", ready)
	mu.Unlock()
	// Output: ready: true
}

// Readers share the lock; the writer excludes them. A read lock does not pin
// the goroutine (glibc only counts readers).
func ExampleRWLock() {
	l, err := posix.NewRWLock(&posix.RWLockAttr{PreferWriter: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	l.RLock()
	l.RLock()
	fmt.Println(errors.Is(l.TryLock(), unix.EBUSY))
	l.RUnlock()
	l.RUnlock()
	fmt.Println(l.LockTimeout(time.Second), l.Unlock())
	// Output:
	// true
	// <nil> <nil>
}

// Three goroutines meet at a barrier; libc picks one as the serial thread.
func ExampleBarrier() {
	b, err := posix.NewBarrier(3, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	serials := 0
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s, _ := b.Wait(); s {
				mu.Lock()
				serials++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fmt.Println("serial threads:", serials)
	// Output: serial threads: 1
}

func ExampleSpinLock() {
	s, err := posix.NewSpinLock(false)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	s.Lock()
	fmt.Println(errors.Is(s.TryLock(), unix.EBUSY))
	fmt.Println(s.Unlock())
	// Output:
	// true
	// <nil>
}

// The seed's pthread key: each thread its own value; a destructor runs on a
// thread's value when the thread exits (a goroutine that ends locked).
func ExampleKey() {
	destroyed := make(chan uintptr, 1)
	k, err := posix.NewKey(posix.GoDestructor(func(v uintptr) { destroyed <- v }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer k.Delete()
	for set := false; !set; {
		ok := make(chan bool)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			if posix.Gettid() == posix.Getpid() {
				runtime.UnlockOSThread() // Go never ends the main thread: try again
				ok <- false
				return
			}
			k.Set(42)
			ok <- true
		}()
		set = <-ok
	}
	fmt.Println(<-destroyed)
	// Output: 42
}

// pthread_once runs f once, whatever the number of callers.
func ExampleOnce() {
	o, err := posix.NewOnce()
	if err != nil {
		fmt.Println(err)
		return
	}
	n := 0
	for i := 0; i < 3; i++ {
		o.Do(func() { n++ })
	}
	fmt.Println(n)
	// Output: 1
}

// The seed's __thread counter: each locked goroutine counts alone.
func ExampleThreadVar() {
	v, err := posix.NewThreadVar()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	var wg sync.WaitGroup
	counts := make([]uint64, 4)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			posix.LockedThread(func() { // clears the value on the way out
				for j := 0; j < 1000; j++ {
					v.Add(1)
				}
				counts[i], _ = v.Get()
			})
		}()
	}
	wg.Wait()
	fmt.Println(counts)
	// Output: [1000 1000 1000 1000]
}

// Gettid names the thread; in the main thread it equals the pid.
func ExampleGettid() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fmt.Println(posix.Gettid() > 0, posix.Getpid() == os.Getpid())
	// Output: true true
}
