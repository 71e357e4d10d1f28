package tests

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// spawnT spawns argv and makes sure the child is killed and reaped at the end.
func spawnT(t *testing.T, argv []string, attr *posix.SpawnAttr) int {
	t.Helper()
	pid, err := posix.SpawnP(argv[0], argv, nil, attr)
	require.NoError(t, err)
	t.Cleanup(func() {
		if posix.Kill(pid, unix.SIGKILL) == nil {
			waitT(t, pid, 0)
		}
	})
	return pid
}

// waitT is a Waitpid bounded by 10 s.
func waitT(t *testing.T, pid, options int) unix.WaitStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, st, err := posix.WaitpidContext(ctx, pid, options)
	require.NoError(t, err)
	require.Equal(t, pid, got)
	return st
}

func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
}

func TestSpawnFileActionsRedirectStdout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	pid := spawnT(t, []string{"echo", "hello", "spawn"}, &posix.SpawnAttr{Actions: []posix.SpawnAction{
		posix.SpawnOpen(1, out, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o600)}})
	st := waitT(t, pid, 0)
	assert.True(t, st.Exited())
	assert.Equal(t, 0, st.ExitStatus())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "hello spawn\n", string(b))

	_, err = posix.Spawn("/nonexistent/program", []string{"x"}, nil, nil)
	assert.ErrorIs(t, err, unix.ENOENT)
	_, err = posix.SpawnP("echo", []string{"echo", "a\x00b"}, nil, nil)
	assert.ErrorIs(t, err, unix.EINVAL)
	// An explicit environment replaces ours.
	pid = spawnT(t, []string{"sh", "-c", `test "$LIBCIPC_X" = 1 && test -z "$HOME"`}, nil)
	assert.Equal(t, 1, waitT(t, pid, 0).ExitStatus(), "our environment has no LIBCIPC_X")
	pid, err = posix.Spawn("/bin/sh", []string{"sh", "-c", `test "$LIBCIPC_X" = 1 && test -z "$HOME"`}, []string{"LIBCIPC_X=1"}, nil)
	require.NoError(t, err)
	assert.Equal(t, 0, waitT(t, pid, 0).ExitStatus())
}

func TestExitedChildStaysZombieUntilWaitpid(t *testing.T) {
	pid := spawnT(t, []string{"true"}, nil)
	deadline := time.Now().Add(10 * time.Second)
	for procState(pid) != "Z" && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	require.Equal(t, "Z", procState(pid), "nobody but Waitpid reaps a spawned child")
	got, _, err := posix.Waitpid(pid, unix.WNOHANG)
	require.NoError(t, err)
	require.Equal(t, pid, got)
	assert.Equal(t, "", procState(pid), "reaped: gone from /proc")
	_, _, err = posix.Waitpid(pid, 0)
	assert.ErrorIs(t, err, unix.ECHILD)
}

func TestWaitStatusTellsExitSignalCoreStopContinue(t *testing.T) {
	st := waitT(t, spawnT(t, []string{"sh", "-c", "exit 7"}, nil), 0)
	assert.True(t, st.Exited())
	assert.False(t, st.Signaled())
	assert.Equal(t, 7, st.ExitStatus())

	pid := spawnT(t, []string{"sleep", "30"}, nil)
	require.NoError(t, posix.Kill(pid, unix.SIGSTOP))
	st = waitT(t, pid, unix.WUNTRACED)
	assert.True(t, st.Stopped())
	assert.Equal(t, unix.SIGSTOP, st.StopSignal())
	require.NoError(t, posix.Kill(pid, unix.SIGCONT))
	st = waitT(t, pid, unix.WCONTINUED)
	assert.True(t, st.Continued())
	// A blocking wait can be cancelled; the child stays to be reaped.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	_, _, err := posix.WaitpidContext(ctx, pid, 0)
	cancel()
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, posix.Kill(pid, unix.SIGKILL))
	st = waitT(t, pid, 0)
	assert.True(t, st.Signaled())
	assert.False(t, st.Exited())
	assert.Equal(t, unix.SIGKILL, st.Signal())
	assert.False(t, st.CoreDump())

	// A core dump (core_pattern here: "core", in the child's directory).
	pattern, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
	dir := t.TempDir()
	pid = spawnT(t, []string{"sh", "-c", "cd " + dir + " && ulimit -c unlimited && exec sleep 30"}, nil)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); strings.TrimSpace(string(b)) == "sleep" {
			break
		}
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, posix.Kill(pid, unix.SIGQUIT))
	st = waitT(t, pid, 0)
	assert.True(t, st.Signaled())
	assert.Equal(t, unix.SIGQUIT, st.Signal())
	if strings.TrimSpace(string(pattern)) == "core" {
		assert.True(t, st.CoreDump(), "core_pattern %q", pattern)
		cores, _ := filepath.Glob(filepath.Join(dir, "core*"))
		assert.NotEmpty(t, cores)
	}
}

func TestKillpgReachesTheChildsGroupNotTheParent(t *testing.T) {
	r, err := posix.NewSignalReceiver(unix.SIGUSR1)
	require.NoError(t, err)
	defer r.Close()
	pid := spawnT(t, []string{"sleep", "30"}, &posix.SpawnAttr{Setpgroup: true})
	pgid, err := unix.Getpgid(pid)
	require.NoError(t, err)
	assert.Equal(t, pid, pgid)
	assert.NotEqual(t, posix.Getpgrp(), pgid)
	require.NoError(t, posix.Killpg(pid, unix.SIGUSR1))
	st := waitT(t, pid, 0)
	assert.True(t, st.Signaled())
	assert.Equal(t, unix.SIGUSR1, st.Signal())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = r.Receive(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the parent is not in the group")

	// setsid: the child leads a new session.
	pid = spawnT(t, []string{"sleep", "30"}, &posix.SpawnAttr{Setsid: true})
	sid, err := posix.Getsid(pid)
	require.NoError(t, err)
	assert.Equal(t, pid, sid)
	mySid, err := posix.Getsid(0)
	require.NoError(t, err)
	assert.NotEqual(t, mySid, sid)
}

func TestSystemReturnsTheWaitStatus(t *testing.T) {
	st, err := posix.System("exit 3")
	require.NoError(t, err)
	assert.True(t, st.Exited())
	assert.Equal(t, 3, st.ExitStatus())
	st, err = posix.System("kill -TERM $$")
	require.NoError(t, err)
	assert.True(t, st.Signaled())
	assert.Equal(t, unix.SIGTERM, st.Signal())
}

// 30 sigqueue'd realtime signals all arrive with their values and the
// sender's pid and uid (SI_QUEUE).
func TestSigqueueValuesAllArriveWithTheSendersInfo(t *testing.T) {
	sig := unix.Signal(47)
	r, err := posix.NewSignalReceiver(sig)
	require.NoError(t, err)
	defer r.Close()
	p := start(t, []string{cpeer(t, "filepeer"), "sigqueue", strconv.Itoa(os.Getpid()), "47", "30"}, nil)
	out := p.finish(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seen := map[uintptr]bool{}
	for i := 0; i < 30; i++ {
		info, err := r.Receive(ctx)
		require.NoError(t, err, "signal %d", i+1)
		assert.Equal(t, sig, info.Signo)
		assert.Equal(t, int32(-1), info.Code, "SI_QUEUE")
		assert.Equal(t, field(t, out, "pid"), strconv.Itoa(info.Pid))
		assert.Equal(t, field(t, out, "uid"), strconv.Itoa(int(info.UID)))
		seen[info.Value] = true
	}
	for v := uintptr(1); v <= 30; v++ {
		assert.True(t, seen[v], "value %d", v)
	}
	assert.Zero(t, r.Dropped(sig))
}

// In a single-threaded C receiver the queued values come out in the order
// Sigqueue sent them.
func TestSigqueueValuesArriveInOrder(t *testing.T) {
	p := start(t, []string{cpeer(t, "filepeer"), "rt-recv", "48", "30"}, nil)
	pid, err := strconv.Atoi(strings.TrimPrefix(waitOut(t, p, "ready pid="), "ready pid="))
	require.NoError(t, err)
	var want []string
	for i := 1; i <= 30; i++ {
		require.NoError(t, posix.Sigqueue(pid, 48, uintptr(i)))
		want = append(want, strconv.Itoa(i))
	}
	out := p.finish(t)
	assert.Contains(t, out, "values="+strings.Join(want, ",")+" pid="+strconv.Itoa(os.Getpid())+" uid="+strconv.Itoa(os.Getuid())+" code=-1")
}

// Standard signals coalesce while blocked: 30 sent, 1 received. Realtime
// ones queue. The signals are sent to this locked thread (tgkill), which
// alone blocks them.
func TestBlockedSignalsCoalesceUnlessRealtime(t *testing.T) {
	rt := unix.Signal(49)
	r, err := posix.NewSignalReceiver(unix.SIGUSR1, rt)
	require.NoError(t, err)
	defer r.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, err := posix.PthreadSigmask(unix.SIG_BLOCK, []unix.Signal{unix.SIGUSR1, rt})
	require.NoError(t, err)
	assert.NotContains(t, old, unix.SIGUSR1)
	now, err := posix.PthreadSigmask(unix.SIG_BLOCK, nil)
	require.NoError(t, err)
	assert.Contains(t, now, unix.SIGUSR1)
	assert.Contains(t, now, rt)
	tid := unix.Gettid()
	for i := 0; i < 30; i++ {
		require.NoError(t, unix.Tgkill(os.Getpid(), tid, unix.SIGUSR1))
		require.NoError(t, unix.Tgkill(os.Getpid(), tid, rt))
	}
	_, err = posix.PthreadSigmask(unix.SIG_SETMASK, old)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	counts := map[unix.Signal]int{}
	for i := 0; i < 31; i++ {
		info, err := r.Receive(ctx)
		require.NoError(t, err)
		counts[info.Signo]++
	}
	short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	_, err = r.Receive(short)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, map[unix.Signal]int{unix.SIGUSR1: 1, rt: 30}, counts)
}

func TestTimersFire(t *testing.T) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, unix.SIGALRM)
	defer signal.Stop(c)
	old, err := posix.Setitimer(unix.ITIMER_REAL, posix.Itimerval{Value: 50 * time.Millisecond})
	require.NoError(t, err)
	assert.Zero(t, old)
	v, err := posix.Getitimer(unix.ITIMER_REAL)
	require.NoError(t, err)
	assert.True(t, v.Value > 0 && v.Value <= 50*time.Millisecond, "%v", v)
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatal("ITIMER_REAL did not fire")
	}
	v, err = posix.Getitimer(unix.ITIMER_REAL)
	require.NoError(t, err)
	assert.Zero(t, v)
	// alarm is the same timer.
	left, err := posix.Alarm(100)
	require.NoError(t, err)
	assert.Equal(t, uint(0), left)
	v, err = posix.Getitimer(unix.ITIMER_REAL)
	require.NoError(t, err)
	assert.InDelta(t, 100*time.Second, v.Value, float64(2*time.Second))
	left, err = posix.Alarm(0)
	require.NoError(t, err)
	assert.InDelta(t, 100, left, 1)
	_, err = posix.Alarm(1 << 32)
	assert.ErrorIs(t, err, unix.EINVAL)
	// A positive value under a microsecond is rounded up, not taken for 0
	// (which would disarm the timer): it fires.
	select {
	case <-c:
	default:
	}
	_, err = posix.Setitimer(unix.ITIMER_REAL, posix.Itimerval{Value: 999 * time.Nanosecond})
	require.NoError(t, err)
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatal("a 999ns ITIMER_REAL did not fire")
	}
	_, err = posix.Setitimer(99, posix.Itimerval{})
	assert.ErrorIs(t, err, unix.EINVAL)
}

// A slow call interrupted by a handler installed without SA_RESTART fails
// with EINTR in C; with SA_RESTART it resumes (the Go runtime's choice for
// its own handlers).
func TestSlowCallsAndEINTRInC(t *testing.T) {
	line := runFilepeer(t, "eintr", "norestart")
	assert.Equal(t, unix.EINTR, probe(t, line))
	line = runFilepeer(t, "eintr", "restart")
	assert.Equal(t, unix.Errno(0), probe(t, line))
	assert.Equal(t, "3", field(t, line, "ticks"))
}
