package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// The test binary plays a role in a child process when roleEnv is set; the
// arguments come in argsEnv, separated by \x1f. Roles print and exit like the C
// peers (tests/cpeers/PROTOCOL.md): 0 done, 1 usage, 2 a call failed, 3 a
// bounded wait timed out, 4 a verification failed.
const (
	roleEnv = "LIBCIPC_TEST_ROLE"
	argsEnv = "LIBCIPC_TEST_ARGS"
)

var roles = map[string]func(args []string) error{
	"before": func(a []string) error {
		return scenario.Before(os.Stdout, a[0], time.Duration(atoi(a[1]))*time.Millisecond)
	},
	"after": func(a []string) error {
		return scenario.After(os.Stdout, a[0], time.Duration(atoi(a[1]))*time.Millisecond)
	},
	"mutex": func(a []string) error {
		if err := scenario.MutexWorker(a[0], a[1], atoi(a[2])); err != nil {
			return err
		}
		fmt.Printf("mutex done iters=%s\n", a[2])
		return nil
	},
	"ring-init": func(a []string) error {
		if err := scenario.RingInit(a[0]); err != nil {
			return err
		}
		fmt.Println("ring-init done")
		return nil
	},
	"producer": func(a []string) error {
		sum, err := scenario.Producer(a[0], uint64(atoi(a[1])))
		if err == nil {
			fmt.Printf("produced %s sum=%d\n", a[1], sum)
		}
		return err
	},
	"consumer": func(a []string) error {
		sum, err := scenario.Consumer(a[0], uint64(atoi(a[1])))
		if err == nil {
			fmt.Printf("consumed %s sum=%d\n", a[1], sum)
		}
		return err
	},
	// open: the Go twin of `sempeer open`, for errno comparisons.
	"open": func(a []string) error {
		s, err := posix.OpenSemaphore(a[0], atoi(a[1]), uint32(atoi(a[2])), uint32(atoi(a[3])))
		if err == nil {
			s.Close()
		}
		fmt.Println(resultLine(err))
		return nil
	},
	"pingpong": func(a []string) error { return pingPongChild(a[0], atoi(a[1])) },
}

func atoi(s string) int {
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		panic(fmt.Sprintf("bad number %q", s))
	}
	return int(n)
}

// resultLine formats an outcome as the C peers' probes do.
func resultLine(err error) string {
	if err == nil {
		return "result=0 errno=0 ename=0"
	}
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return "result=-1 errno=-1 ename=" + err.Error()
	}
	return fmt.Sprintf("result=-1 errno=%d ename=%s", int(errno), unix.ErrnoName(errno))
}

func runRole(role string) int {
	fn, ok := roles[role]
	var args []string
	if a := os.Getenv(argsEnv); a != "" {
		args = strings.Split(a, "\x1f")
	}
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown role %q\n", role)
		return 1
	}
	err := fn(args)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, scenario.ErrVerify):
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

// proc is a child process (the test binary in a role, or a C peer) whose output
// is collected and whose lifetime is bounded.
type proc struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	errOut bytes.Buffer
	cancel context.CancelFunc
}

type procOpt func(*exec.Cmd)

// asNobody runs the child as uid/gid 65534.
func asNobody(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
}

const childTimeout = 60 * time.Second

func start(t testing.TB, argv []string, env []string, opts ...procOpt) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	p := &proc{cancel: cancel}
	p.cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.errOut
	for _, o := range opts {
		o(p.cmd)
	}
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %v: %v", argv, err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.wait() })
	return p
}

// wait returns the exit code (-1 if killed) once the child is gone.
func (p *proc) wait() int {
	defer p.cancel()
	err := p.cmd.Wait()
	if p.cmd.ProcessState == nil {
		return -1
	}
	if err != nil && p.cmd.ProcessState.ExitCode() < 0 {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// startGo runs this test binary in role with args.
func startGo(t testing.TB, role string, args []string, opts ...procOpt) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return start(t, []string{exe, "-test.run=^$"}, []string{roleEnv + "=" + role, argsEnv + "=" + strings.Join(args, "\x1f")}, opts...)
}

// startC runs the C peer sempeer with args.
func startC(t testing.TB, args []string, opts ...procOpt) *proc {
	t.Helper()
	return start(t, append([]string{cpeer(t, "sempeer")}, args...), nil, opts...)
}

// startRole runs role in Go or in C.
func startRole(t testing.TB, lang, role string, args ...string) *proc {
	t.Helper()
	if lang == "C" {
		return startC(t, append([]string{role}, args...))
	}
	return startGo(t, role, args)
}

// finish waits for the child and returns its trimmed stdout, failing the test
// when it exits non-zero.
func (p *proc) finish(t testing.TB) string {
	t.Helper()
	if code := p.wait(); code != 0 {
		t.Fatalf("%s exited %d\nstdout: %s\nstderr: %s", filepath.Base(p.cmd.Path), code, p.out.String(), p.errOut.String())
	}
	return strings.TrimSpace(p.out.String())
}

// nobodyExe copies the test binary where uid 65534 can run it (the go tool's
// build directory is private to root).
func nobodyExe(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "libcipc-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dstPath := filepath.Join(dir, "tests.test")
	dst, err := os.OpenFile(dstPath, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return dstPath
}
