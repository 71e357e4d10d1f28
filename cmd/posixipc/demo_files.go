package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// The seeds' file, signal and process scenarios (issue 6): file-lock
// contention with the /proc/locks view, queued realtime signals against
// coalesced standard ones, and spawn/zombie/waitpid, across Go and C
// processes (filepeer and this binary's file-* roles).

// fileRole starts filepeer's role in C, or its Go twin file-ROLE.
func (e *demoEnv) fileRole(lang, role string, args ...string) (*scenario.Proc, error) {
	if lang == "C" {
		return scenario.Start(append([]string{filepath.Join(filepath.Dir(e.peer), "filepeer"), role}, args...), nil)
	}
	return scenario.Start(append([]string{e.self, roleVerb, "file-" + role}, args...), nil)
}

// tempDir makes a directory named after the demo's prefix: leftovers finds
// any that a scenario did not remove.
func (e *demoEnv) tempDir() (string, error) {
	return os.MkdirTemp("", e.prefix+"*")
}

// waitLine waits (StepTimeout at most) for a line of p's output starting with
// prefix and returns it.
func waitLine(p *scenario.Proc, prefix string) (string, error) {
	deadline := time.Now().Add(scenario.StepTimeout)
	for {
		for _, l := range strings.Split(p.Stdout.String(), "\n") {
			if strings.HasPrefix(l, prefix) {
				return l, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%s printed no %q line in %v; stdout %q, stderr %q", filepath.Base(p.Cmd.Path), prefix,
				scenario.StepTimeout, p.Stdout.String(), p.Stderr.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// lineField returns V of key=V in line.
func lineField(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// holder starts a lock-holding role and returns it with its pid once it
// holds the lock.
func (e *demoEnv) holder(lang, role string, args ...string) (*scenario.Proc, int, error) {
	p, err := e.fileRole(lang, role, args...)
	if err != nil {
		return nil, 0, err
	}
	line, err := waitLine(p, "held pid=")
	if err != nil {
		p.Kill()
		return nil, 0, err
	}
	pid, _ := strconv.Atoi(lineField(line, "pid"))
	return p, pid, nil
}

// probe runs a one-line filepeer probe and returns its line.
func (e *demoEnv) probe(args ...string) (string, error) {
	p, err := e.fileRole("C", args[0], args[1:]...)
	if err != nil {
		return "", err
	}
	return p.Finish()
}

// errName is the errno name of err ("EAGAIN"), "success" for nil.
func errName(err error) string {
	var errno unix.Errno
	if err == nil {
		return "success"
	}
	if errors.As(err, &errno) {
		return unix.ErrnoName(errno)
	}
	return err.Error()
}

func isBusy(err error) bool { return errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) }

// fileLocks is the /proc/locks view of one file, as posixipc locks shows it.
func fileLocks(fi os.FileInfo, path string) ([]lockEntry, error) {
	all, err := posix.ProcLocks()
	if err != nil {
		return nil, err
	}
	return resolveLocks(all, fi, path), nil
}

// waitLocks polls the file's locks until ok says so (StepTimeout at most).
func waitLocks(fi os.FileInfo, path, what string, ok func([]lockEntry) bool) ([]lockEntry, error) {
	deadline := time.Now().Add(scenario.StepTimeout)
	for {
		ls, err := fileLocks(fi, path)
		if err != nil {
			return nil, err
		}
		if ok(ls) {
			return ls, nil
		}
		if time.Now().After(deadline) {
			return ls, fmt.Errorf("/proc/locks: %s not seen in %v", what, scenario.StepTimeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func hasLock(ls []lockEntry, pid int, class string, blocked bool) bool {
	for _, l := range ls {
		if l.Pid == pid && l.Class == class && l.Blocked == blocked {
			return true
		}
	}
	return false
}

func indent(s string) string {
	return "      " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n      ")
}

func showLocks(ls []lockEntry) {
	var b strings.Builder
	printLocks(&b, ls)
	if b.Len() == 0 {
		fmt.Println("      (no locks)")
		return
	}
	fmt.Println(indent(b.String()))
}

func demoFileLock(e *demoEnv) error {
	dir, err := e.tempDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "locked")
	if err := os.WriteFile(path, make([]byte, 4096), 0o600); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	// This process's one descriptor of the file: closing any other would
	// drop its fcntl locks.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fd := int(f.Fd())
	me := os.Getpid()
	var procs []*scenario.Proc
	defer func() {
		for _, p := range procs {
			p.Kill()
		}
	}()
	hold := func(lang, role string, args ...string) (*scenario.Proc, int, error) {
		p, pid, err := e.holder(lang, role, args...)
		if err == nil {
			procs = append(procs, p)
		}
		return p, pid, err
	}
	fmt.Printf("   a 4096-byte file %s; this process (Go, pid %d) contends with C (filepeer) and Go children\n", path, me)

	// flock: two shared holders, an exclusive contender in each language.
	_, cShPid, err := hold("C", "flock-hold", path, "sh")
	if err != nil {
		return err
	}
	_, goShPid, err := hold("Go", "flock-hold", path, "sh")
	if err != nil {
		return err
	}
	fmt.Printf("   flock: C pid %d and Go pid %d both hold LOCK_SH (shared locks coexist)\n", cShPid, goShPid)
	err = posix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	fmt.Printf("   flock: Go tries LOCK_EX|LOCK_NB -> %s\n", errName(err))
	if !errors.Is(err, unix.EWOULDBLOCK) {
		return fmt.Errorf("flock LOCK_EX|LOCK_NB over shared holders: want EWOULDBLOCK, got %v", err)
	}
	line, err := e.probe("flock-try", path, "ex")
	if err != nil {
		return err
	}
	fmt.Printf("   flock: C tries LOCK_EX|LOCK_NB -> %s\n", ename(line))
	if ename(line) != "EAGAIN" {
		return fmt.Errorf("C flock LOCK_EX|LOCK_NB: %q", line)
	}

	// fcntl record locks: a C holder of bytes 0-99.
	cRec, cRecPid, err := hold("C", "fcntl-hold", path, "w", "0", "100")
	if err != nil {
		return err
	}
	fmt.Printf("   fcntl: C pid %d holds a write lock on bytes 0-99 (F_SETLK)\n", cRecPid)
	err = posix.SetLock(fd, &posix.FileLock{Type: unix.F_WRLCK, Start: 50, Len: 10})
	fmt.Printf("   fcntl: Go F_SETLK write 50-59 -> %s\n", errName(err))
	if !isBusy(err) {
		return fmt.Errorf("F_SETLK over a held range: want EAGAIN or EACCES, got %v", err)
	}
	gl := posix.FileLock{Type: unix.F_WRLCK, Start: 50, Len: 10}
	if err := posix.GetLock(fd, &gl); err != nil {
		return err
	}
	fmt.Printf("   fcntl: Go F_GETLK write 50-59 -> held by pid %d, bytes %d-%d\n", gl.Pid, gl.Start, gl.Start+gl.Len-1)
	if int(gl.Pid) != cRecPid || gl.Type != unix.F_WRLCK || gl.Start != 0 || gl.Len != 100 {
		return fmt.Errorf("F_GETLK: %+v, want the C holder %d on 0-99", gl, cRecPid)
	}
	if err := posix.SetLock(fd, &posix.FileLock{Type: unix.F_WRLCK, Start: 200, Len: 10}); err != nil {
		return err
	}
	fmt.Println("   fcntl: Go F_SETLK write 200-209 -> success (byte ranges that do not overlap do not conflict)")

	// lockf: a Go child holds bytes 1000-1099; C tests and tries.
	_, goLockfPid, err := hold("Go", "lockf-hold", path, "1000", "100")
	if err != nil {
		return err
	}
	fmt.Printf("   lockf: Go pid %d holds bytes 1000-1099 (F_TLOCK: a fcntl write lock)\n", goLockfPid)
	for _, c := range [][]string{{"lockf-probe", path, "test", "1000", "10"}, {"lockf-probe", path, "tlock", "1050", "10"}} {
		line, err := e.probe(c...)
		if err != nil {
			return err
		}
		fmt.Printf("   lockf: C F_%s bytes %s.. -> %s\n", strings.ToUpper(c[2]), c[3], ename(line))
		if n := ename(line); n != "EACCES" && n != "EAGAIN" {
			return fmt.Errorf("C lockf F_%s over a held range: %q", strings.ToUpper(c[2]), line)
		}
	}
	line, err = e.probe("getlk", path, "w", "1000", "10")
	if err != nil {
		return err
	}
	fmt.Printf("   lockf: C F_GETLK write 1000-1009 -> held by pid %s (%s)\n", lineField(line, "pid"), line)
	if lineField(line, "pid") != strconv.Itoa(goLockfPid) || lineField(line, "type") != "w" {
		return fmt.Errorf("C F_GETLK does not name the Go holder %d: %q", goLockfPid, line)
	}

	// The /proc/locks view of the file.
	ls, err := fileLocks(fi, path)
	if err != nil {
		return err
	}
	fmt.Println("   /proc/locks for the file (posix.ProcLocks, as `posixipc locks PATH` shows it):")
	showLocks(ls)
	for _, w := range []struct {
		pid   int
		class string
	}{{cShPid, "FLOCK"}, {goShPid, "FLOCK"}, {cRecPid, "POSIX"}, {me, "POSIX"}, {goLockfPid, "POSIX"}} {
		if !hasLock(ls, w.pid, w.class, false) {
			return fmt.Errorf("/proc/locks has no %s lock of pid %d", w.class, w.pid)
		}
	}

	// A waiter: Go blocks in F_SETLKW on bytes 0-99, behind the C holder.
	ctx, cancel := context.WithTimeout(context.Background(), scenario.StepTimeout)
	defer cancel()
	got := make(chan error, 1)
	go func() { got <- posix.SetLockContext(ctx, fd, &posix.FileLock{Type: unix.F_WRLCK, Start: 0, Len: 100}) }()
	ls, err = waitLocks(fi, path, "this process waiting", func(ls []lockEntry) bool { return hasLock(ls, me, "POSIX", true) })
	if err != nil {
		return err
	}
	fmt.Println("   Go waits in F_SETLKW for bytes 0-99; /proc/locks shows the waiter (->):")
	var waiting []lockEntry
	for _, l := range ls {
		if l.Blocked || l.Pid == cRecPid {
			waiting = append(waiting, l)
		}
	}
	showLocks(waiting)
	killed := time.Now()
	cRec.Kill()
	if err := <-got; err != nil {
		return fmt.Errorf("F_SETLKW after the holder died: %v", err)
	}
	fmt.Printf("   the C holder is killed (SIGKILL): its lock vanishes and the Go waiter has bytes 0-99 %v later\n",
		time.Since(killed).Round(time.Microsecond))

	// Every holder dies: their locks vanish with them.
	for _, p := range procs {
		p.Kill()
	}
	ls, err = waitLocks(fi, path, "only this process's locks", func(ls []lockEntry) bool {
		for _, l := range ls {
			if l.Pid != me {
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	fmt.Printf("   the other holders (pids %d, %d, %d) are killed: /proc/locks keeps only this process's locks:\n", cShPid, goShPid, goLockfPid)
	showLocks(ls)
	if err := posix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fmt.Errorf("flock LOCK_EX after the shared holders died: %v", err)
	}
	fmt.Println("   flock: Go LOCK_EX|LOCK_NB -> success now")
	f.Close() // drops this process's fcntl locks and its flock
	ls, err = waitLocks(fi, path, "no lock", func(ls []lockEntry) bool { return len(ls) == 0 })
	if err != nil {
		return err
	}
	fmt.Println("   this process closes its descriptor: no lock is left on the file")
	return nil
}

var siCodes = map[int32]string{0: "SI_USER", -1: "SI_QUEUE", -6: "SI_TKILL"}

// receiveAll receives until no signal comes for quiet.
func receiveAll(r *posix.SignalReceiver, want int, quiet time.Duration) ([]posix.SigInfo, error) {
	var got []posix.SigInfo
	deadline := time.Now().Add(scenario.StepTimeout)
	for {
		wait := quiet
		if len(got) < want {
			wait = time.Until(deadline)
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		info, err := r.Receive(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, info)
	}
}

func demoSigqueue(e *demoEnv) error {
	const n = 30
	rt := unix.Signal(40) // SIGRTMIN+6 (glibc's SIGRTMIN is 34)
	r, err := posix.NewSignalReceiver(rt, unix.SIGUSR1)
	if err != nil {
		return err
	}
	defer r.Close()
	me := os.Getpid()
	fmt.Printf("   this process (pid %d) receives signal %d (SIGRTMIN+6) and SIGUSR1 with posix.NewSignalReceiver (every signal, with its siginfo)\n", me, int(rt))
	for _, lang := range []string{"C", "Go"} {
		p, err := e.fileRole(lang, "sigqueue", strconv.Itoa(me), strconv.Itoa(int(rt)), strconv.Itoa(n))
		if err != nil {
			return err
		}
		out, err := p.Finish()
		if err != nil {
			return err
		}
		pid, uid := lineField(out, "pid"), lineField(out, "uid")
		got, err := receiveAll(r, n, 100*time.Millisecond)
		if err != nil {
			return err
		}
		var vals []string
		seen := map[uintptr]bool{}
		for _, g := range got {
			if g.Signo != rt || g.Code != -1 || strconv.Itoa(g.Pid) != pid || strconv.Itoa(int(g.UID)) != uid {
				return fmt.Errorf("a signal that is not the %s sender's sigqueue: %+v (sender pid=%s uid=%s)", lang, g, pid, uid)
			}
			seen[g.Value] = true
			vals = append(vals, strconv.Itoa(int(g.Value)))
		}
		order := "in sending order"
		if !sort.SliceIsSorted(got, func(i, j int) bool { return got[i].Value < got[j].Value }) {
			order = "in the order the handlers ran: the Go process's threads may take them out of order"
		}
		fmt.Printf("   %-2s sender pid %s: sigqueue(SIGRTMIN+6, value i) for i = 1..%d -> %d received, values %s (%s)\n",
			lang, pid, n, len(got), strings.Join(vals, ","), order)
		fmt.Printf("      each with si_code=SI_QUEUE si_pid=%s si_uid=%s (realtime signals queue, one per send, value kept)\n", pid, uid)
		if len(got) != n || len(seen) != n || !seen[1] || !seen[n] {
			return fmt.Errorf("%s sender: %d signals with %d distinct values, want %d with 1..%d", lang, len(got), len(seen), n, n)
		}
	}

	// While blocked: a C process sends 30 SIGUSR1 and 30 SIGRTMIN+6 to this
	// thread (tgkill: thread-directed, so they stay pending on it; a
	// process-directed signal would go to another of the Go process's
	// threads).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, err := posix.PthreadSigmask(unix.SIG_BLOCK, []unix.Signal{unix.SIGUSR1, rt})
	if err != nil {
		return err
	}
	restored := false
	restore := func() error {
		if restored {
			return nil
		}
		restored = true
		_, err := posix.PthreadSigmask(unix.SIG_SETMASK, old)
		return err
	}
	defer restore()
	tid := unix.Gettid()
	senders := map[unix.Signal]string{}
	for _, sig := range []unix.Signal{unix.SIGUSR1, rt} {
		p, err := e.fileRole("C", "tgkill", strconv.Itoa(me), strconv.Itoa(tid), strconv.Itoa(int(sig)), strconv.Itoa(n))
		if err != nil {
			return err
		}
		out, err := p.Finish()
		if err != nil {
			return err
		}
		senders[sig] = lineField(out, "pid")
	}
	pnd := pendingSignals(tid)
	fmt.Printf("   this thread (tid %d) blocks SIGUSR1 and SIGRTMIN+6; C pid %s sends it %d SIGUSR1 with tgkill, C pid %s %d SIGRTMIN+6\n",
		tid, senders[unix.SIGUSR1], n, senders[rt], n)
	fmt.Printf("      pending on the thread now: %s\n", pnd)
	if err := restore(); err != nil {
		return err
	}
	got, err := receiveAll(r, n+1, 200*time.Millisecond)
	if err != nil {
		return err
	}
	counts := map[unix.Signal]int{}
	for _, g := range got {
		counts[g.Signo]++
		if strconv.Itoa(g.Pid) != senders[g.Signo] {
			return fmt.Errorf("a signal not from its C sender (%v): %+v", senders, g)
		}
	}
	u := got[0]
	for _, g := range got {
		if g.Signo == unix.SIGUSR1 {
			u = g
		}
	}
	fmt.Printf("   unblocked: SIGUSR1 received %d time(s) (standard signals coalesce while pending), SIGRTMIN+6 %d times\n",
		counts[unix.SIGUSR1], counts[rt])
	fmt.Printf("      the SIGUSR1: si_code=%s si_pid=%d si_uid=%d\n", siCodes[u.Code], u.Pid, u.UID)
	if counts[unix.SIGUSR1] != 1 || counts[rt] != n || len(got) != n+1 {
		return fmt.Errorf("while blocked: SIGUSR1 %d times (want 1), SIGRTMIN+6 %d times (want %d)", counts[unix.SIGUSR1], counts[rt], n)
	}
	if d := r.Dropped(rt) + r.Dropped(unix.SIGUSR1); d != 0 {
		return fmt.Errorf("%d signals dropped", d)
	}
	return nil
}

// pendingSignals reads the thread's pending set (SigPnd in
// /proc/self/task/TID/status) as signal names.
func pendingSignals(tid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/status", tid))
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "SigPnd:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return "?"
			}
			var names []string
			for s := 1; s <= 64; s++ {
				if m&(1<<(s-1)) != 0 {
					names = append(names, sigName(unix.Signal(s)))
				}
			}
			return "{" + strings.Join(names, ", ") + "} (a set: it cannot say how many)"
		}
	}
	return "?"
}

func sigName(s unix.Signal) string {
	if s >= 34 && s <= 64 {
		return fmt.Sprintf("SIGRTMIN+%d", int(s)-34)
	}
	return unix.SignalName(s)
}

// procState is the state letter of /proc/PID/stat ("" when pid is gone).
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func waitStatusWords(st unix.WaitStatus) string {
	switch {
	case st.Exited():
		return fmt.Sprintf("WIFEXITED, exit status %d", st.ExitStatus())
	case st.Signaled() && st.CoreDump():
		return fmt.Sprintf("WIFSIGNALED by %s, WCOREDUMP: core dumped", unix.SignalName(st.Signal()))
	case st.Signaled():
		return fmt.Sprintf("WIFSIGNALED by %s, no core dump", unix.SignalName(st.Signal()))
	}
	return fmt.Sprintf("status %#x", int(st))
}

func demoSpawn(e *demoEnv) error {
	dir, err := e.tempDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// Every child spawned is reaped: on the way out, whatever is left is
	// killed and waited for.
	live := map[int]bool{}
	defer func() {
		for pid := range live {
			posix.Kill(pid, unix.SIGKILL)
			posix.Waitpid(pid, 0)
		}
	}()
	spawn := func(argv []string, attr *posix.SpawnAttr) (int, error) {
		pid, err := posix.SpawnP(argv[0], argv, nil, attr)
		if err == nil {
			live[pid] = true
		}
		return pid, err
	}
	wait := func(pid int) (unix.WaitStatus, error) {
		ctx, cancel := context.WithTimeout(context.Background(), scenario.StepTimeout)
		defer cancel()
		got, st, err := posix.WaitpidContext(ctx, pid, 0)
		if err != nil {
			return 0, err
		}
		if got != pid {
			return 0, fmt.Errorf("waitpid(%d) returned %d", pid, got)
		}
		delete(live, pid)
		return st, nil
	}

	// A file action: the child's stdout is a file it opens before exec.
	out := filepath.Join(dir, "stdout")
	pid, err := spawn([]string{"echo", "hello from a spawned child"}, &posix.SpawnAttr{Actions: []posix.SpawnAction{
		posix.SpawnOpen(1, out, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o600)}})
	if err != nil {
		return err
	}
	st, err := wait(pid)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	fmt.Printf("   posix_spawnp echo with SpawnOpen(1, %s, O_WRONLY|O_CREAT|O_TRUNC): %s; the file holds %q\n",
		out, waitStatusWords(st), string(b))
	if string(b) != "hello from a spawned child\n" || !st.Exited() || st.ExitStatus() != 0 {
		return fmt.Errorf("the child's stdout in the file: %q (%s)", b, waitStatusWords(st))
	}

	// A child that exits stays a zombie until waitpid.
	pid, err = spawn([]string{"true"}, nil)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(scenario.StepTimeout)
	for procState(pid) != "Z" && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := procState(pid); s != "Z" {
		return fmt.Errorf("the exited child %d is in state %q, want Z", pid, s)
	}
	time.Sleep(50 * time.Millisecond)
	fmt.Printf("   spawned true (pid %d): it exited, and 50ms later /proc/%d/stat still says state %s (zombie): nobody reaped it\n", pid, pid, procState(pid))
	got, st, err := posix.Waitpid(pid, unix.WNOHANG)
	if err != nil || got != pid {
		return fmt.Errorf("waitpid WNOHANG of the zombie: %d, %v", got, err)
	}
	delete(live, pid)
	fmt.Printf("   waitpid(%d) -> %s; /proc/%d is gone: %v\n", pid, waitStatusWords(st), pid, procState(pid) == "")
	if procState(pid) != "" {
		return fmt.Errorf("/proc/%d still there after waitpid", pid)
	}
	_, _, err = posix.Waitpid(pid, 0)
	fmt.Printf("   waitpid(%d) again -> %s (no such child any more)\n", pid, errName(err))
	if !errors.Is(err, unix.ECHILD) {
		return fmt.Errorf("second waitpid: want ECHILD, got %v", err)
	}

	// Exit code, killed by a signal, core dump: the wait status tells.
	pid, err = spawn([]string{"sh", "-c", "exit 7"}, nil)
	if err != nil {
		return err
	}
	if st, err = wait(pid); err != nil {
		return err
	}
	fmt.Printf("   sh -c 'exit 7'            -> %s\n", waitStatusWords(st))
	if !st.Exited() || st.ExitStatus() != 7 {
		return fmt.Errorf("exit 7: %s", waitStatusWords(st))
	}
	pid, err = spawn([]string{"sleep", "30"}, nil)
	if err != nil {
		return err
	}
	if err := posix.Kill(pid, unix.SIGTERM); err != nil {
		return err
	}
	if st, err = wait(pid); err != nil {
		return err
	}
	fmt.Printf("   sleep 30, kill(SIGTERM)   -> %s\n", waitStatusWords(st))
	if !st.Signaled() || st.Signal() != unix.SIGTERM || st.CoreDump() {
		return fmt.Errorf("SIGTERM: %s", waitStatusWords(st))
	}
	return spawnCore(dir, spawn, wait)
}

// spawnCore kills a child with SIGQUIT and tells its core dump from a plain
// death by a signal, when the core lands in dir; otherwise it says why no
// core is dumped.
func spawnCore(dir string, spawn func([]string, *posix.SpawnAttr) (int, error), wait func(int) (unix.WaitStatus, error)) error {
	pb, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	pattern := strings.TrimSpace(string(pb))
	var lim unix.Rlimit
	if err == nil {
		err = unix.Getrlimit(unix.RLIMIT_CORE, &lim)
	}
	if err != nil {
		return err
	}
	switch {
	case pattern == "" || strings.HasPrefix(pattern, "|") || strings.Contains(pattern, "/"):
		fmt.Printf("   core dump: not shown: core_pattern is %q, so a core would be piped to a program or written outside\n"+
			"      this scenario's temp dir; no core-dumping signal is sent\n", pattern)
		return nil
	case lim.Max == 0:
		fmt.Println("   core dump: not shown: the hard RLIMIT_CORE is 0, so no process here may dump a core")
		return nil
	}
	pid, err := spawn([]string{"sh", "-c", "cd '" + dir + "' && ulimit -c unlimited && exec sleep 30"}, nil)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(scenario.StepTimeout)
	for {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); strings.TrimSpace(string(b)) == "sleep" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the core-dump child never became sleep")
		}
		time.Sleep(time.Millisecond)
	}
	if err := posix.Kill(pid, unix.SIGQUIT); err != nil {
		return err
	}
	st, err := wait(pid)
	if err != nil {
		return err
	}
	cores, _ := filepath.Glob(filepath.Join(dir, "core*"))
	sort.Strings(cores)
	var size int64
	for _, c := range cores {
		if fi, err := os.Stat(c); err == nil {
			size += fi.Size()
		}
	}
	fmt.Printf("   sleep 30, kill(SIGQUIT)   -> %s (core_pattern %q, RLIMIT_CORE unlimited: %d core file(s), %s, in the temp dir)\n",
		waitStatusWords(st), pattern, len(cores), formatSize(size, false))
	if !st.Signaled() || st.Signal() != unix.SIGQUIT || !st.CoreDump() || len(cores) == 0 {
		return fmt.Errorf("SIGQUIT with core_pattern %q: %s, %d core files", pattern, waitStatusWords(st), len(cores))
	}
	for _, c := range cores {
		os.Remove(c)
	}
	return nil
}
