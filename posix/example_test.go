//go:build cgo

package posix_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// A named semaphore is shared by every process that opens its name; it lives
// in /dev/shm until unlinked, whoever created it and whether or not they are
// still running.
func ExampleOpenSemaphore() {
	name := fmt.Sprintf("/libcipc-example-%d", os.Getpid())
	sem, err := posix.OpenSemaphore(name, unix.O_CREAT|unix.O_EXCL, 0o600, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer posix.UnlinkSemaphore(name) // closing never unlinks
	defer sem.Close()

	// Another process would open the same name: here, a second handle.
	other, err := posix.OpenSemaphore(name, 0, 0, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer other.Close()
	other.Post()
	fmt.Println(sem.WaitTimeout(time.Second))
	_, err = posix.OpenSemaphore(name, unix.O_CREAT|unix.O_EXCL, 0o600, 0)
	fmt.Println(errors.Is(err, os.ErrExist))
	// Output:
	// <nil>
	// true
}

// An unnamed semaphore orders two goroutines: "after" never runs before
// "before" has posted.
func ExampleSemaphore() {
	sem, err := posix.NewSemaphore(0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sem.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := sem.WaitTimeout(5 * time.Second); err == nil {
			fmt.Println("after")
		}
	}()
	fmt.Println("before")
	sem.Post()
	<-done
	err = sem.TryWait()
	fmt.Println(err, errors.Is(err, unix.EAGAIN))
	// Output:
	// before
	// after
	// sem_trywait: resource temporarily unavailable true
}

// Semaphores placed in shared memory at fixed offsets are the sem_t's of a C
// struct that other processes map too: one process initialises them
// (InitSemaphoreAt), the others attach (SemaphoreAt).
func ExampleMapping() {
	name := fmt.Sprintf("/libcipc-example-shm-%d", os.Getpid())
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer posix.UnlinkSharedMemory(name)
	defer shm.Close()
	if err := shm.Truncate(4096); err != nil {
		fmt.Println(err)
		return
	}
	m, err := shm.Map(0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Unmap() // detaches the semaphores placed in it, then munmap

	items, err := posix.InitSemaphoreAt(m, 0, 0) // struct { sem_t items; ... }
	if err != nil {
		fmt.Println(err)
		return
	}
	copy(m.Bytes()[64:], "hello")
	items.Post()

	// What another process would do after mapping the same object:
	peer, err := posix.SemaphoreAt(m, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := peer.WaitTimeout(time.Second); err == nil {
		fmt.Println(string(m.Bytes()[64:69]))
	}
	_, err = posix.SemaphoreAt(m, 3) // not a multiple of AlignofSem
	fmt.Println(errors.Is(err, unix.EINVAL))
	// Output:
	// hello
	// true
}

// Every failure is a *posix.Error naming the libc call, the object and the
// errno; errors.Is works with both unix.Errno values and the os sentinels.
func ExampleError() {
	_, err := posix.OpenSemaphore("/libcipc-example-missing", 0, 0, 0)
	fmt.Println(err)
	fmt.Println(errors.Is(err, unix.ENOENT), errors.Is(err, os.ErrNotExist))
	var pe *posix.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Op, pe.Name, pe.Err == unix.ENOENT)
	}
	fmt.Println(posix.Strerror(unix.ENOENT))
	// Output:
	// sem_open /libcipc-example-missing: no such file or directory
	// true true
	// sem_open /libcipc-example-missing true
	// No such file or directory
}

// A shared memory object is a file in /dev/shm: size it, map it, and every
// process mapping it MAP_SHARED sees the same bytes.
func ExampleSharedMemory() {
	name := fmt.Sprintf("/libcipc-example-seg-%d", os.Getpid())
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer posix.UnlinkSharedMemory(name)
	defer shm.Close()
	shm.Truncate(4096)
	a, _ := shm.Map(0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	defer a.Unmap()
	b, _ := shm.Map(0, 4096, unix.PROT_READ, unix.MAP_SHARED)
	defer b.Unmap()
	copy(a.Bytes(), "shared")
	fmt.Println(string(b.Bytes()[:6]), b.Len())
	// Output: shared 4096
}

// A message queue orders messages by priority, then by arrival; it outlives
// the processes that use it until unlinked.
func ExampleMessageQueue() {
	name := fmt.Sprintf("/libcipc-example-mq-%d", os.Getpid())
	q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600,
		&posix.MQAttr{MaxMsg: 8, MsgSize: 64})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer posix.UnlinkMessageQueue(name)
	defer q.Close()

	q.Send([]byte("low"), 1)
	q.Send([]byte("urgent"), 9)
	q.Send([]byte("low, later"), 1)
	buf := make([]byte, 64) // at least MsgSize
	for i := 0; i < 3; i++ {
		n, prio, _ := q.Receive(buf)
		fmt.Println(prio, string(buf[:n]))
	}
	_, _, err = q.ReceiveTimeout(buf, 10*time.Millisecond)
	fmt.Println(errors.Is(err, unix.ETIMEDOUT))
	// Output:
	// 9 urgent
	// 1 low
	// 1 low, later
	// true
}

// A notification runs a function on glibc's notification thread when a
// message arrives in the empty queue; it is one-shot.
func ExampleMessageQueue_NotifyFunc() {
	name := fmt.Sprintf("/libcipc-example-notify-%d", os.Getpid())
	q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer posix.UnlinkMessageQueue(name)
	defer q.Close()
	arrived := make(chan struct{})
	q.NotifyFunc(func() { close(arrived) })
	q.Send([]byte("hello"), 0)
	select {
	case <-arrived:
		fmt.Println("notified")
	case <-time.After(5 * time.Second):
		fmt.Println("no notification")
	}
	// Output: notified
}

// A SignalReceiver keeps every signal with its siginfo, value included, which
// os/signal drops.
func ExampleSignalReceiver() {
	sig := unix.Signal(42) // SIGRTMIN+8
	r, err := posix.NewSignalReceiver(sig)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	name := fmt.Sprintf("/libcipc-example-sig-%d", os.Getpid())
	q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer posix.UnlinkMessageQueue(name)
	defer q.Close()
	q.NotifySignal(sig, 1234)
	q.Send([]byte("x"), 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := r.Receive(ctx)
	fmt.Println(info.Signo == sig, info.Value, info.Code, err)
	// Output: true 1234 -3 <nil>
}

// WriteAt and ReadAt are the checked way into a mapping: a fault is an error,
// where Bytes() (and C) would crash.
func ExampleMapping_WriteAt() {
	m, err := posix.MapAnonymous(4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Unmap()
	m.WriteAt([]byte("hello"), 100)
	m.Protect(unix.PROT_READ)
	_, err = m.WriteAt([]byte("x"), 100) // a write into a read-only page
	fmt.Println(errors.Is(err, unix.EFAULT))
	buf := make([]byte, 5)
	m.ReadAt(buf, 100)
	fmt.Println(string(buf))
	n, err := m.AddUint64(8, 1) // atomics fault safely too
	fmt.Println(n, errors.Is(err, unix.EFAULT))
	// Output:
	// true
	// hello
	// 0 true
}
