package posix

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// posix_spawn attribute flags (glibc's values, checked against <spawn.h>).
const (
	spawnResetIDs   = 0x01
	spawnSetPgroup  = 0x02
	spawnSetSigdef  = 0x04
	spawnSetSigmask = 0x08
	spawnSetsid     = 0x80
)

// cSpawn mirrors libcipc_spawn (include/libcipc.h).
type cSpawn struct {
	search     int32
	flags      int32
	pgroup     int32
	argc       int32
	envc       int32
	nacts      int32
	sigmask    uint64
	sigdefault uint64
}

// SpawnAction is one file action a spawned child performs before it runs the
// program, in order: made by SpawnOpen, SpawnClose or SpawnDup2.
type SpawnAction struct {
	op    int64
	fd    int
	arg   int // newfd (dup2) or oflag (open)
	mode  uint32
	path  string
	valid bool
}

// SpawnOpen is posix_spawn_file_actions_addopen: in the child, open(path,
// flag, mode) as descriptor fd.
func SpawnOpen(fd int, path string, flag int, mode uint32) SpawnAction {
	return SpawnAction{op: 0, fd: fd, arg: flag, mode: mode, path: path, valid: true}
}

// SpawnClose is posix_spawn_file_actions_addclose: in the child, close(fd).
func SpawnClose(fd int) SpawnAction { return SpawnAction{op: 1, fd: fd, valid: true} }

// SpawnDup2 is posix_spawn_file_actions_adddup2: in the child, dup2(oldfd,
// newfd), which clears FD_CLOEXEC on newfd (Go opens every descriptor
// close-on-exec: this is how one is passed to a child).
func SpawnDup2(oldfd, newfd int) SpawnAction {
	return SpawnAction{op: 2, fd: oldfd, arg: newfd, valid: true}
}

// SpawnAttr is what posix_spawnattr_* sets, plus the file actions.
type SpawnAttr struct {
	Actions    []SpawnAction
	Setpgroup  bool          // POSIX_SPAWN_SETPGROUP: setpgid(0, Pgroup) (0: a new group led by the child)
	Pgroup     int           // with Setpgroup
	Setsid     bool          // POSIX_SPAWN_SETSID: setsid() in the child
	SetSigmask bool          // POSIX_SPAWN_SETSIGMASK: the child's mask is Sigmask
	Sigmask    []unix.Signal // with SetSigmask
	SigDefault []unix.Signal // POSIX_SPAWN_SETSIGDEF: these to SIG_DFL
	ResetIDs   bool          // POSIX_SPAWN_RESETIDS: effective ids := real ids
}

// Spawn is posix_spawn(3): start the program at path with argv (argv[0]
// included) and env (nil: this process's environment; empty: none), after
// attr's file actions and attributes. It returns the child's pid.
//
// The child is this process's to reap, with Waitpid: the Go runtime never
// waits for it (os/exec only waits for the processes it started), and until
// Waitpid it stays a zombie. Conversely, Waitpid(-1, …) or Waitpid(0, …)
// would reap os/exec's children from under it.
//
// The whole description (argv, env, paths, actions) is copied into one Go
// buffer and handed to C in one call, which builds the posix_spawn_* objects
// and the argv/envp arrays on its stack: no C.CString per argument. Without
// SetSigmask the child starts with the calling thread's signal mask (Go
// blocks none on its threads), and the Go runtime's handlers become SIG_DFL
// at exec, as for any handled signal.
func Spawn(path string, argv, env []string, attr *SpawnAttr) (int, error) {
	return spawn("posix_spawn", path, argv, env, attr, false)
}

// SpawnP is posix_spawnp(3): Spawn, looking file up in the PATH of this
// process's environment when it has no slash.
func SpawnP(file string, argv, env []string, attr *SpawnAttr) (int, error) {
	return spawn("posix_spawnp", file, argv, env, attr, true)
}

func sigMask(op, name string, sigs []unix.Signal) (uint64, error) {
	var m uint64
	for _, s := range sigs {
		if s < 1 || s > 64 {
			return 0, invalidArg(op, name, "signal out of 1..64")
		}
		m |= 1 << (uint(s) - 1)
	}
	return m, nil
}

func maskSigs(m uint64) []unix.Signal {
	sigs := []unix.Signal{}
	for i := 1; i <= 64; i++ {
		if m&(1<<(uint(i)-1)) != 0 {
			sigs = append(sigs, unix.Signal(i))
		}
	}
	return sigs
}

func appendCString(b []byte, op, name, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return nil, invalidArg(op, name, "string contains a NUL byte")
		}
	}
	return append(append(b, s...), 0), nil
}

func spawn(op, path string, argv, env []string, attr *SpawnAttr, search bool) (int, error) {
	if !cgoEnabled {
		return 0, cgoErr(op, path)
	}
	if attr == nil {
		attr = &SpawnAttr{}
	}
	if env == nil {
		// This process's environment, copied here: glibc's setenv (which
		// os.Setenv calls) may reallocate C's environ while another
		// goroutine's posix_spawn reads it.
		env = os.Environ()
	}
	d := cSpawn{argc: int32(len(argv)), envc: -1, nacts: int32(len(attr.Actions))}
	if search {
		d.search = 1
	}
	size := len(path) + 1
	for _, s := range argv {
		size += len(s) + 1
	}
	for _, s := range env {
		size += len(s) + 1
	}
	strs := make([]byte, 0, size)
	var err error
	if strs, err = appendCString(strs, op, path, path); err != nil {
		return 0, err
	}
	for _, s := range argv {
		if strs, err = appendCString(strs, op, path, s); err != nil {
			return 0, err
		}
	}
	if env != nil {
		d.envc = int32(len(env))
		for _, s := range env {
			if strs, err = appendCString(strs, op, path, s); err != nil {
				return 0, err
			}
		}
	}
	acts := make([]int64, 0, 5*len(attr.Actions))
	for _, a := range attr.Actions {
		if !a.valid {
			return 0, invalidArg(op, path, "zero SpawnAction (use SpawnOpen, SpawnClose, SpawnDup2)")
		}
		if err := cInt(op, path, "descriptor", a.fd); err != nil {
			return 0, err
		}
		if err := cInt(op, path, "argument", a.arg); err != nil {
			return 0, err
		}
		acts = append(acts, a.op, int64(a.fd), int64(a.arg), int64(a.mode), 0)
		if a.op == 0 {
			if strs, err = appendCString(strs, op, path, a.path); err != nil {
				return 0, err
			}
		}
	}
	if attr.Setpgroup {
		if err := cInt(op, path, "process group", attr.Pgroup); err != nil {
			return 0, err
		}
		d.flags |= spawnSetPgroup
		d.pgroup = int32(attr.Pgroup)
	}
	if attr.Setsid {
		d.flags |= spawnSetsid
	}
	if attr.ResetIDs {
		d.flags |= spawnResetIDs
	}
	if attr.SetSigmask {
		d.flags |= spawnSetSigmask
		if d.sigmask, err = sigMask(op, path, attr.Sigmask); err != nil {
			return 0, err
		}
	}
	if len(attr.SigDefault) > 0 {
		d.flags |= spawnSetSigdef
		if d.sigdefault, err = sigMask(op, path, attr.SigDefault); err != nil {
			return 0, err
		}
	}
	rc := cSpawnRun(&d, strs, acts)
	if rc < 0 {
		return 0, errnoErr(op, path, rc)
	}
	return int(rc), nil
}

// Waitpid is waitpid(pid, &status, options): wait for a child (pid > 0), any
// child (-1), any child in the caller's group (0) or in group -pid to change
// state, and return its pid and status (unix.WaitStatus: Exited,
// ExitStatus, Signaled, Signal, CoreDump, Stopped, StopSignal, Continued).
// With unix.WNOHANG it returns pid 0 when no child has changed state.
//
// A blocking Waitpid holds no OS thread: for one child (pid > 0, without
// WUNTRACED or WCONTINUED) it waits on a pidfd (pidfd_open(2)) on the Go
// netpoller, then reaps with waitpid(WNOHANG); otherwise it polls
// waitpid(WNOHANG) with a backoff from 1 to 10 ms. Only the caller reaps the
// children of Spawn (see Spawn).
func Waitpid(pid int, options int) (int, unix.WaitStatus, error) {
	return WaitpidContext(context.Background(), pid, options)
}

// WaitpidContext is Waitpid returning when ctx is done.
func WaitpidContext(ctx context.Context, pid int, options int) (int, unix.WaitStatus, error) {
	const op = "waitpid"
	if !cgoEnabled {
		return 0, 0, cgoErr(op, "")
	}
	if err := cInt(op, "", "pid", pid); err != nil {
		return 0, 0, err
	}
	if err := cInt(op, "", "options", options); err != nil {
		return 0, 0, err
	}
	var st int32
	rc := cWaitpid(int32(pid), &st, int32(options|unix.WNOHANG))
	if rc < 0 {
		return 0, 0, errnoErr(op, "", rc)
	}
	if rc > 0 || options&unix.WNOHANG != 0 {
		return int(rc), unix.WaitStatus(st), nil
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, &Error{Op: op, Err: err}
	}
	if pid > 0 && options&(unix.WUNTRACED|unix.WCONTINUED) == 0 {
		if p, s, err, ok := waitPidfd(ctx, op, pid, options); ok {
			return p, s, err
		}
	}
	return waitPoll(ctx, op, pid, options)
}

// waitPidfd waits for pid's exit on a pidfd; ok is false when no pidfd
// could be made (the caller polls instead).
func waitPidfd(ctx context.Context, op string, pid, options int) (int, unix.WaitStatus, error, bool) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return 0, 0, nil, false
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, 0, nil, false
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	var got, st int32
	rerr := rc.Read(func(uintptr) bool {
		got = cWaitpid(int32(pid), &st, int32(options|unix.WNOHANG))
		return got != 0
	})
	if rerr != nil {
		if ctx.Err() != nil {
			return 0, 0, &Error{Op: op, Err: ctx.Err()}, true
		}
		if errors.Is(rerr, os.ErrNoDeadline) {
			return 0, 0, nil, false // not pollable here
		}
		return 0, 0, &Error{Op: op, Err: rerr}, true
	}
	if got < 0 {
		return 0, 0, errnoErr(op, "", got), true
	}
	return int(got), unix.WaitStatus(st), nil, true
}

func waitPoll(ctx context.Context, op string, pid, options int) (int, unix.WaitStatus, error) {
	d := time.Millisecond
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0, 0, &Error{Op: op, Err: ctx.Err()}
		case <-t.C:
		}
		var st int32
		rc := cWaitpid(int32(pid), &st, int32(options|unix.WNOHANG))
		if rc < 0 {
			return 0, 0, errnoErr(op, "", rc)
		}
		if rc > 0 {
			return int(rc), unix.WaitStatus(st), nil
		}
		if d < 10*time.Millisecond {
			d += d
		}
		t.Reset(d)
	}
}

// Getpgrp is getpgrp(2): the caller's process group.
func Getpgrp() int {
	if !cgoEnabled {
		return unix.Getpgrp()
	}
	return int(cGetpgrp())
}

// Setpgid is setpgid(pid, pgid): move pid (0: the caller) into group pgid
// (0: a group led by pid).
func Setpgid(pid, pgid int) error {
	const op = "setpgid"
	if !cgoEnabled {
		return cgoErr(op, "")
	}
	if err := cInt(op, "", "pid", pid); err != nil {
		return err
	}
	if err := cInt(op, "", "pgid", pgid); err != nil {
		return err
	}
	if rc := cSetpgid(int32(pid), int32(pgid)); rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// Getsid is getsid(pid): the session of pid (0: the caller).
func Getsid(pid int) (int, error) {
	const op = "getsid"
	if !cgoEnabled {
		return 0, cgoErr(op, "")
	}
	if err := cInt(op, "", "pid", pid); err != nil {
		return 0, err
	}
	rc := cGetsid(int32(pid))
	if rc < 0 {
		return 0, errnoErr(op, "", rc)
	}
	return int(rc), nil
}

// System is system(3): run cmd with /bin/sh -c and wait for it, returning
// its wait status (a shell that could not run: exit status 127). As in C,
// while it waits the whole process ignores SIGINT and SIGQUIT and the calling
// thread blocks SIGCHLD; unlike the rest of this package the wait is neither
// bounded nor cancellable: it holds one OS thread until cmd ends.
func System(cmd string) (unix.WaitStatus, error) {
	const op = "system"
	if !cgoEnabled {
		return 0, cgoErr(op, cmd)
	}
	b, err := appendCString(nil, op, cmd, cmd)
	if err != nil {
		return 0, err
	}
	var st int32
	if rc := cSystem(&b[0], &st); rc != 0 {
		return 0, errnoErr(op, cmd, rc)
	}
	return unix.WaitStatus(st), nil
}

func sigArg(op string, pid int, sig unix.Signal) error {
	if !cgoEnabled {
		return cgoErr(op, "")
	}
	if err := cInt(op, "", "pid", pid); err != nil {
		return err
	}
	return cInt(op, "", "signal", int(sig))
}

// Kill is kill(pid, sig): send sig to process pid (0: the caller's group;
// -1: every process the caller may signal; < -1: group -pid). Signal 0
// checks that pid exists and may be signalled.
func Kill(pid int, sig unix.Signal) error {
	const op = "kill"
	if err := sigArg(op, pid, sig); err != nil {
		return err
	}
	if rc := cKill(int32(pid), int32(sig)); rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// Killpg is killpg(pgrp, sig): send sig to every process of group pgrp.
func Killpg(pgrp int, sig unix.Signal) error {
	const op = "killpg"
	if err := sigArg(op, pgrp, sig); err != nil {
		return err
	}
	if rc := cKillpg(int32(pgrp), int32(sig)); rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// Sigqueue is sigqueue(pid, sig, value): send sig with si_value (received
// as SigInfo.Value, si_code SI_QUEUE). Realtime signals queue, each with its
// value (up to RLIMIT_SIGPENDING: EAGAIN beyond); standard signals coalesce
// while pending.
func Sigqueue(pid int, sig unix.Signal, value uintptr) error {
	const op = "sigqueue"
	if err := sigArg(op, pid, sig); err != nil {
		return err
	}
	if rc := cSigqueue(int32(pid), int32(sig), value); rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// Alarm is alarm(sec): SIGALRM to the process in sec seconds (0 cancels),
// replacing any earlier alarm; it returns the seconds that were left. The
// Go runtime ignores SIGALRM unless os/signal.Notify asks for it. alarm and
// ITIMER_REAL are the same timer. sec above UINT_MAX (alarm takes an
// unsigned int) is EINVAL rather than silently truncated.
func Alarm(sec uint) (uint, error) {
	const op = "alarm"
	if !cgoEnabled {
		return 0, cgoErr(op, "")
	}
	if sec > 1<<32-1 {
		return 0, &Error{Op: op, Err: &argError{msg: "seconds beyond an unsigned int", errno: unix.EINVAL}}
	}
	return uint(cAlarm(uint32(sec))), nil
}

// micros is d in microseconds, rounded up (a timer never fires earlier
// than asked, and a positive duration under 1µs must not disarm it).
func micros(d time.Duration) int64 {
	if d <= 0 {
		return d.Microseconds()
	}
	return int64((d + time.Microsecond - 1) / time.Microsecond)
}

// Itimerval is a struct itimerval: Value until the timer fires (0: disarmed),
// then Interval between firings (0: once). Microsecond resolution: Setitimer
// rounds up.
type Itimerval struct {
	Interval time.Duration
	Value    time.Duration
}

// Setitimer is setitimer(which, v, &old): which is unix.ITIMER_REAL
// (SIGALRM, wall time), unix.ITIMER_VIRTUAL (SIGVTALRM, the process's user
// CPU time) or unix.ITIMER_PROF (SIGPROF, user and system CPU time: the Go
// runtime's CPU profiler uses it, so do not combine the two). It returns the
// previous setting.
func Setitimer(which int, v Itimerval) (Itimerval, error) {
	const op = "setitimer"
	if !cgoEnabled {
		return Itimerval{}, cgoErr(op, "")
	}
	if err := cInt(op, "", "which", which); err != nil {
		return Itimerval{}, err
	}
	io := [2]int64{micros(v.Interval), micros(v.Value)}
	if rc := cSetitimer(int32(which), &io); rc != 0 {
		return Itimerval{}, errnoErr(op, "", rc)
	}
	return Itimerval{Interval: time.Duration(io[0]) * time.Microsecond, Value: time.Duration(io[1]) * time.Microsecond}, nil
}

// Getitimer is getitimer(which): the time left and the interval.
func Getitimer(which int) (Itimerval, error) {
	const op = "getitimer"
	if !cgoEnabled {
		return Itimerval{}, cgoErr(op, "")
	}
	if err := cInt(op, "", "which", which); err != nil {
		return Itimerval{}, err
	}
	var out [2]int64
	if rc := cGetitimer(int32(which), &out); rc != 0 {
		return Itimerval{}, errnoErr(op, "", rc)
	}
	return Itimerval{Interval: time.Duration(out[0]) * time.Microsecond, Value: time.Duration(out[1]) * time.Microsecond}, nil
}

// PthreadSigmask is pthread_sigmask(how, set, &old) for the calling OS
// thread: how is unix.SIG_BLOCK, unix.SIG_UNBLOCK or unix.SIG_SETMASK; a nil
// set only reads the mask. It returns the previous mask. The mask belongs to
// the thread, not the goroutine: call it between runtime.LockOSThread and
// UnlockOSThread and restore the old mask before unlocking, or another
// goroutine inherits it. A process-directed signal (kill, sigqueue) goes to
// any thread that does not block it, and a Go process has several: blocking
// it on one thread does not keep it pending. glibc silently leaves SIGCANCEL
// and SIGSETXID (32, 33) unblocked.
func PthreadSigmask(how int, set []unix.Signal) ([]unix.Signal, error) {
	const op = "pthread_sigmask"
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	if err := cInt(op, "", "how", how); err != nil {
		return nil, err
	}
	m, err := sigMask(op, "", set)
	if err != nil {
		return nil, err
	}
	var old uint64
	if rc := cPthreadSigmask(int32(how), set != nil, m, &old); rc != 0 {
		return nil, errnoErr(op, "", rc)
	}
	return maskSigs(old), nil
}
