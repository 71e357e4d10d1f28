// Package tests holds libcipc's integration tests: real kernel, real glibc, real
// processes. The test binary re-executes itself to play a role in another
// process (see child.go), and the C peers of tests/cpeers are built with gcc once
// per run. TestMain fails the run when the run leaves an object with its prefix
// in /dev/shm or leaks file descriptors.
package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"

	"github.com/libcipc/libcipc/internal/scenario"
)

// prefix names every object this run creates: "/libcipc-<pid>-<seq>".
var (
	prefix = fmt.Sprintf("libcipc-%d-", os.Getpid())
	seq    atomic.Int64
)

// uniqueName returns a fresh object name for this run, with the leading slash.
func uniqueName() string {
	name := fmt.Sprintf("/%s%d", prefix, seq.Add(1))
	namesMu.Lock()
	names = append(names, name)
	namesMu.Unlock()
	return name
}

// Every name handed out, so that TestMain can look for message queues left
// behind: the mqueue filesystem is often not mounted, so it cannot be listed.
var (
	namesMu sync.Mutex
	names   []string
)

// leftoverQueues opens each name this run used as a message queue; one that
// opens was left behind. It is removed, and reported.
func leftoverQueues() []string {
	namesMu.Lock()
	defer namesMu.Unlock()
	var left []string
	for _, n := range names {
		for _, suffix := range []string{"", "-a", "-b"} {
			if q, err := posix.OpenMessageQueue(n+suffix, unix.O_RDONLY, 0, nil); err == nil {
				q.Close()
				posix.UnlinkMessageQueue(n + suffix)
				left = append(left, "mqueue:"+n+suffix)
			}
		}
	}
	return left
}

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runRole(role))
	}
	// Warm up what the runtime opens lazily (the netpoller's descriptors) before
	// taking the descriptor baseline.
	_ = exec.Command("true").Run()
	warmUpNotify()
	warmUpKeyDestructors()
	before := openFds()
	code := m.Run()
	if peerDir != "" {
		os.RemoveAll(peerDir)
	}
	if cliDir != "" { // the posixipc binary of cli_test.go
		os.RemoveAll(cliDir)
	}
	// leftoverSysv: System V ids recorded by sysv_test.go.
	if left := append(append(leftovers(), leftoverQueues()...), leftoverSysv()...); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: objects left by this run: %s\n", strings.Join(left, " "))
		code = 1
	}
	if leaked := diffFds(before, openFds()); len(leaked) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: file descriptors leaked by this run: %s\n", strings.Join(leaked, " "))
		code = 1
	}
	os.Exit(code)
}

// warmUpNotify makes glibc start its mq_notify SIGEV_THREAD helper (a thread
// and a netlink socket that live until the process exits, as in C) before the
// descriptor baseline is taken.
func warmUpNotify() {
	name := fmt.Sprintf("/%swarmup", prefix)
	q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, nil)
	if err != nil {
		return
	}
	defer posix.UnlinkMessageQueue(name)
	defer q.Close()
	if q.NotifyFunc(func() {}) == nil {
		q.NotifyCancel()
	}
}

// warmUpKeyDestructors makes posix start the pipe that carries Go key
// destructors from exiting threads (it lives until the process exits).
func warmUpKeyDestructors() {
	if k, err := posix.NewKey(posix.GoDestructor(func(uintptr) {})); err == nil {
		k.Delete()
	}
}

// leftovers lists /dev/shm entries carrying this run's prefix (named
// semaphores appear as sem.NAME, shared memory objects as NAME).
func leftovers() []string {
	entries, _ := os.ReadDir("/dev/shm")
	var left []string
	for _, e := range entries {
		if strings.HasPrefix(strings.TrimPrefix(e.Name(), "sem."), prefix) {
			left = append(left, e.Name())
		}
	}
	return left
}

// openFds maps each open descriptor of this process to what it points at.
func openFds() map[string]string {
	fds := map[string]string{}
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		fds[e.Name()] = target
	}
	return fds
}

func diffFds(before, after map[string]string) []string {
	var leaked []string
	for fd, target := range after {
		if before[fd] != target && !strings.HasPrefix(target, "/proc/") {
			leaked = append(leaked, fd+"->"+target)
		}
	}
	sort.Strings(leaked)
	return leaked
}

// C peers, built with gcc once per run into a temporary directory.
var (
	peerOnce sync.Once
	peerDir  string
	peerErr  error
)

// peerEnv names a directory of C peers built beforehand (make check-c builds
// them with AddressSanitizer into build/asan); unset, the tests build them.
const peerEnv = "LIBCIPC_PEER_DIR"

// cpeer returns the path of the C peer built from tests/cpeers/NAME.c.
func cpeer(t testing.TB, name string) string {
	t.Helper()
	if dir := os.Getenv(peerEnv); dir != "" {
		return filepath.Join(dir, name)
	}
	peerOnce.Do(func() {
		peerDir, peerErr = os.MkdirTemp("", "libcipc-cpeers-")
		if peerErr != nil {
			return
		}
		// Readable and runnable by the uid-65534 children of the EACCES tests.
		if peerErr = os.Chmod(peerDir, 0o755); peerErr != nil {
			return
		}
		peerErr = scenario.BuildPeers("cpeers", peerDir)
	})
	if peerErr != nil {
		t.Fatalf("building the C peers: %v", peerErr)
	}
	return filepath.Join(peerDir, name)
}
