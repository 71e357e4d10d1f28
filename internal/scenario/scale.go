package scenario

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// Threads returns the number of OS threads of this process (/proc/self/status).
func Threads() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

// Scale blocks many goroutines in a fresh process and reports its OS threads,
// then releases them all and checks that each returns: kind "sem" (n
// semaphores with m waiters each, released by posts), "mutex" (n mutexes held
// by this goroutine with m goroutines each waiting to lock and unlock it,
// released by unlocking) or "mq" (n queues with m receivers each, released by
// cancelling their context). It prints "threads=T released=R in=D base=B
// after=A": T while all wait, B before the first goroutine starts, A once all
// have returned (the Go runtime never exits idle threads, so A is the peak).
func Scale(kind string, n, m int) error {
	base := Threads()
	errs := make(chan error, n*m)
	var release func() error
	switch kind {
	case "mutex":
		mus := make([]*posix.Mutex, n)
		for i := range mus {
			mu, err := posix.NewMutex(nil)
			if err != nil {
				return err
			}
			defer mu.Close()
			if err := mu.Lock(); err != nil {
				return err
			}
			mus[i] = mu
			for j := 0; j < m; j++ {
				go func() {
					err := mu.LockTimeout(time.Minute)
					if err == nil {
						err = mu.Unlock()
					}
					errs <- err
				}()
			}
		}
		release = func() error {
			for _, mu := range mus {
				if err := mu.Unlock(); err != nil {
					return err
				}
			}
			return nil
		}
	case "sem":
		sems := make([]*posix.Semaphore, n)
		for i := range sems {
			s, err := posix.NewSemaphore(0)
			if err != nil {
				return err
			}
			defer s.Close()
			sems[i] = s
			for j := 0; j < m; j++ {
				go func() { errs <- s.WaitTimeout(time.Minute) }()
			}
		}
		release = func() error {
			for _, s := range sems {
				for j := 0; j < m; j++ {
					if err := s.Post(); err != nil {
						return err
					}
				}
			}
			return nil
		}
	case "mq":
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("/libcipc-scale-%d-%d", os.Getpid(), i)
			q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, &posix.MQAttr{MaxMsg: 10, MsgSize: 64})
			if err != nil {
				return err
			}
			posix.UnlinkMessageQueue(name)
			defer q.Close()
			for j := 0; j < m; j++ {
				go func() {
					_, _, err := q.ReceiveContext(ctx, make([]byte, 64))
					if err != nil && ctx.Err() != nil {
						err = nil
					}
					errs <- err
				}()
			}
		}
		release = func() error { cancel(); return nil }
	default:
		return fmt.Errorf("unknown kind %q", kind)
	}
	time.Sleep(300 * time.Millisecond)
	th := Threads()
	start := time.Now()
	if err := release(); err != nil {
		return err
	}
	for i := 0; i < n*m; i++ {
		select {
		case err := <-errs:
			if err != nil {
				return err
			}
		case <-time.After(30 * time.Second):
			return fmt.Errorf("%w: %d of %d still blocked", ErrVerify, n*m-i, n*m)
		}
	}
	fmt.Printf("threads=%d released=%d in=%v base=%d after=%d\n", th, n*m, time.Since(start), base, Threads())
	return nil
}
