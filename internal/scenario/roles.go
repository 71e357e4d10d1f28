package scenario

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// Roles are the Go twins of the C peer's subcommands (PROTOCOL.md): a test
// binary or posixipc re-executes itself to play one in another process. They
// print what the C peer prints, and RunRole exits as the C peer does.
var Roles = map[string]func(args []string) error{
	"before": func(a []string) error {
		return Before(os.Stdout, a[0], time.Duration(Atoi(a[1]))*time.Millisecond)
	},
	"after": func(a []string) error {
		return After(os.Stdout, a[0], time.Duration(Atoi(a[1]))*time.Millisecond)
	},
	"mutex": func(a []string) error {
		if err := MutexWorker(a[0], a[1], Atoi(a[2])); err != nil {
			return err
		}
		fmt.Printf("mutex done iters=%s\n", a[2])
		return nil
	},
	"ring-init": func(a []string) error {
		if err := RingInit(a[0]); err != nil {
			return err
		}
		fmt.Println("ring-init done")
		return nil
	},
	"producer": func(a []string) error {
		sum, err := Producer(a[0], uint64(Atoi(a[1])))
		if err == nil {
			fmt.Printf("produced %s sum=%d\n", a[1], sum)
		}
		return err
	},
	"consumer": func(a []string) error {
		sum, err := Consumer(a[0], uint64(Atoi(a[1])))
		if err == nil {
			fmt.Printf("consumed %s sum=%d\n", a[1], sum)
		}
		return err
	},
	// open: the twin of `sempeer open NAME OFLAG MODE VALUE`, for errno
	// comparisons.
	"open": func(a []string) error {
		s, err := posix.OpenSemaphore(a[0], Atoi(a[1]), uint32(Atoi(a[2])), uint32(Atoi(a[3])))
		if err == nil {
			s.Close()
		}
		fmt.Println(ResultLine(err))
		return nil
	},
	"pingpong": func(a []string) error { return PingPong(a[0], Atoi(a[1])) },

	// Message queues (mqpeer's roles).
	"produce": func(a []string) error {
		if err := MQProduce(a[0], Atoi(a[1])); err != nil {
			return err
		}
		fmt.Printf("produced %s\n", a[1])
		return nil
	},
	"consume": func(a []string) error {
		lines, err := MQConsume(a[0], Atoi(a[1]))
		for _, l := range lines {
			fmt.Println(l)
		}
		if err == nil {
			fmt.Printf("consumed %s\n", a[1])
		}
		return err
	},
	"stream-send": func(a []string) error {
		sum, err := MQStreamSend(a[0], Atoi(a[1]), Atoi(a[2]))
		if err == nil {
			fmt.Printf("sent %s sum=%d\n", a[1], sum)
		}
		return err
	},
	"stream-recv": func(a []string) error {
		sum, err := MQStreamRecv(a[0], Atoi(a[1]), Atoi(a[2]))
		if err == nil {
			fmt.Printf("received %s sum=%d\n", a[1], sum)
		}
		return err
	},
	// mq-open: the twin of `mqpeer open NAME OFLAG MODE -1 0`.
	"mq-open": func(a []string) error {
		q, err := posix.OpenMessageQueue(a[0], Atoi(a[1]), uint32(Atoi(a[2])), nil)
		if err == nil {
			q.Close()
		}
		fmt.Println(ResultLine(err))
		return nil
	},
	// mq-open-raw: `mq-open` through the pure-Go OpenRawMQAttr (no attr).
	"mq-open-raw": func(a []string) error {
		q, err := OpenRawMQAttr(a[0], Atoi(a[1]), uint32(Atoi(a[2])), -1, 0)
		if err == nil {
			q.Close()
		}
		fmt.Println(ResultLine(err))
		return nil
	},
	"mq-pingpong":        func(a []string) error { return MQPingPong(a[0], Atoi(a[1])) },
	"mq-pingpong-raw":    func(a []string) error { return MQPingPongRaw(a[0], Atoi(a[1])) },
	"mq-stream-send-raw": func(a []string) error { return MQStreamSendRaw(a[0], Atoi(a[1]), Atoi(a[2])) },
	"mq-notify-panic":    func(a []string) error { return MQNotifyPanic(a[0]) },

	// Shared memory (shmpeer's roles).
	"create": func(a []string) error {
		sum, err := ShmCreate(a[0], Atoi(a[1]), Atoi(a[2]))
		if err == nil {
			fmt.Printf("created size=%s sum=%016x\n", a[1], sum)
		}
		return err
	},
	"verify": func(a []string) error {
		sum, err := ShmVerify(a[0], Atoi(a[1]), Atoi(a[2]))
		if err == nil {
			fmt.Printf("verified size=%s sum=%016x\n", a[1], sum)
		}
		return err
	},
	"scale":   func(a []string) error { return Scale(a[0], Atoi(a[1]), Atoi(a[2])) },
	"shm-add": func(a []string) error { return ShmAdd(a[0], Atoi(a[1]), Atoi(a[2])) },
	// shm-open: the twin of `shmpeer open NAME OFLAG MODE`.
	"shm-open": func(a []string) error {
		s, err := posix.OpenSharedMemory(a[0], Atoi(a[1]), uint32(Atoi(a[2])))
		if err == nil {
			s.Close()
		}
		fmt.Println(ResultLine(err))
		return nil
	},
	// shm-open-raw: `shm-open` through the pure-Go RawShmOpen.
	"shm-open-raw": func(a []string) error {
		fd, err := RawShmOpen(a[0], Atoi(a[1]), uint32(Atoi(a[2])))
		if err == nil {
			unix.Close(fd)
		}
		fmt.Println(ResultLine(err))
		return nil
	},
}

// RunRole runs a role and returns the exit code the C peer would: 0 done,
// 1 usage, 2 a call failed, 3 a bounded wait timed out, 4 a verification failed.
func RunRole(role string, args []string) int {
	fn, ok := Roles[role]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown role %q\n", role)
		return 1
	}
	err := fn(args)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrVerify):
		fmt.Fprintln(os.Stderr, err)
		return 4
	case errors.Is(err, unix.ETIMEDOUT):
		fmt.Fprintln(os.Stderr, err)
		return 3
	default:
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
}

// Atoi parses a number as the C peers do (strtoll base 0); roles are internal,
// so a bad number is a bug and panics.
func Atoi(s string) int {
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		panic(fmt.Sprintf("bad number %q", s))
	}
	return int(n)
}

// ResultLine formats an outcome as the C peer's probes do:
// "result=R errno=E ename=NAME".
func ResultLine(err error) string {
	if err == nil {
		return "result=0 errno=0 ename=0"
	}
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return "result=-1 errno=-1 ename=" + err.Error()
	}
	return fmt.Sprintf("result=-1 errno=%d ename=%s", int(errno), unix.ErrnoName(errno))
}

// PingPong is the partner process of the cross-process ping-pong: in the
// 4096-byte object shmName, it waits on the semaphore at offset 0 and posts
// the one at offset 64, n times.
func PingPong(shmName string, n int) error {
	shm, err := posix.OpenSharedMemory(shmName, unix.O_RDWR, 0)
	if err != nil {
		return err
	}
	m, err := shm.Map(0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	shm.Close()
	if err != nil {
		return err
	}
	defer m.Unmap()
	ping, err := posix.SemaphoreAt(m, 0)
	if err != nil {
		return err
	}
	pong, err := posix.SemaphoreAt(m, 64)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := ping.WaitTimeout(StepTimeout); err != nil {
			return err
		}
		if err := pong.Post(); err != nil {
			return err
		}
	}
	return nil
}
