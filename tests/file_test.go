package tests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// startFileRole runs filepeer ROLE (C) or the Go twin file-ROLE.
func startFileRole(t *testing.T, lang, role string, args ...string) *proc {
	t.Helper()
	if lang == "C" {
		return start(t, append([]string{cpeer(t, "filepeer"), role}, args...), nil)
	}
	return startGo(t, "file-"+role, args)
}

// runFilepeer runs one filepeer probe and returns its output.
func runFilepeer(t *testing.T, args ...string) string {
	t.Helper()
	return start(t, append([]string{cpeer(t, "filepeer")}, args...), nil).finish(t)
}

// waitOut waits (10 s at most) until the child printed a line starting with
// prefix, and returns that line.
func waitOut(t *testing.T, p *proc, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range strings.Split(p.Stdout.String(), "\n") {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no %q line from the child in 10 s; stdout: %s stderr: %s", prefix, p.Stdout.String(), p.Stderr.String())
	return ""
}

func heldPid(t *testing.T, p *proc) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimPrefix(waitOut(t, p, "held pid="), "held pid="))
	require.NoError(t, err)
	return pid
}

// field returns the value of key=V in a probe line.
func field(t *testing.T, line, key string) string {
	t.Helper()
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	t.Fatalf("no %s= in %q", key, line)
	return ""
}

// lockFile makes a 4096-byte file and opens it read-write.
func lockFile(t *testing.T) (*os.File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "locked")
	require.NoError(t, os.WriteFile(path, make([]byte, 4096), 0o600))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f, path
}

func isBusy(err error) bool { return errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) }

func TestFcntlLockContendedAcrossProcesses(t *testing.T) {
	for _, lang := range []string{"C", "Go"} {
		t.Run(lang, func(t *testing.T) {
			f, path := lockFile(t)
			fd := int(f.Fd())
			holder := startFileRole(t, lang, "fcntl-hold", path, "w", "10", "10")
			pid := heldPid(t, holder)

			// F_GETLK names the holder and its range.
			l := posix.FileLock{Type: unix.F_WRLCK, Start: 0, Len: 100}
			require.NoError(t, posix.GetLock(fd, &l))
			assert.Equal(t, posix.FileLock{Type: unix.F_WRLCK, Whence: 0, Start: 10, Len: 10, Pid: int32(pid)}, l)
			// A free range next to it is free.
			l = posix.FileLock{Type: unix.F_WRLCK, Start: 20, Len: 5}
			require.NoError(t, posix.GetLock(fd, &l))
			assert.Equal(t, int16(unix.F_UNLCK), l.Type)

			// F_SETLK fails at once, F_SETLKW waits (bounded here).
			err := posix.SetLock(fd, &posix.FileLock{Type: unix.F_RDLCK, Start: 15, Len: 1})
			assert.True(t, isBusy(err), "%v", err)
			err = posix.SetLockTimeout(fd, &posix.FileLock{Type: unix.F_RDLCK, Start: 15, Len: 1}, 50*time.Millisecond)
			assert.ErrorIs(t, err, unix.ETIMEDOUT)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			err = posix.SetLockContext(ctx, fd, &posix.FileLock{Type: unix.F_RDLCK, Start: 15, Len: 1})
			cancel()
			assert.ErrorIs(t, err, context.DeadlineExceeded)

			// lockf over the same range: F_TEST and F_TLOCK say what C says.
			_, err = f.Seek(12, io.SeekStart)
			require.NoError(t, err)
			cTest := probe(t, runFilepeer(t, "lockf-probe", path, "test", "12", "2"))
			cTlock := probe(t, runFilepeer(t, "lockf-probe", path, "tlock", "12", "2"))
			assert.Equal(t, unix.EACCES, cTest)
			assert.Equal(t, unix.EAGAIN, cTlock, "Linux answers F_TLOCK with EAGAIN")
			assert.Equal(t, cTest, errnoOf(t, posix.Lockf(fd, unix.F_TEST, 2)))
			assert.Equal(t, cTlock, errnoOf(t, posix.Lockf(fd, unix.F_TLOCK, 2)))
			_, err = f.Seek(22, io.SeekStart)
			require.NoError(t, err)
			assert.NoError(t, posix.Lockf(fd, unix.F_TEST, 3), "bytes 22..24 are free")
			assert.ErrorIs(t, posix.Lockf(fd, unix.F_TEST, -3), unix.EACCES, "bytes 19..21: 19 is held")

			// A waiter blocked in F_SETLKW gets the lock when the holder dies.
			done := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				done <- posix.SetLockContext(ctx, fd, &posix.FileLock{Type: unix.F_WRLCK, Start: 10, Len: 10})
			}()
			time.Sleep(30 * time.Millisecond)
			select {
			case err := <-done:
				t.Fatalf("the waiter did not wait: %v", err)
			default:
			}
			holder.Kill()
			require.NoError(t, <-done)
			l = posix.FileLock{Type: unix.F_WRLCK, Start: 0, Len: 0}
			require.NoError(t, posix.GetLock(fd, &l))
			assert.Equal(t, int16(unix.F_UNLCK), l.Type, "our own lock never conflicts with us")
			assert.Contains(t, runFilepeer(t, "getlk", path, "r", "0", "0"), fmt.Sprintf("type=w pid=%d start=10 len=10", os.Getpid()))
		})
	}
}

func TestFlockContendedAcrossProcesses(t *testing.T) {
	for _, lang := range []string{"C", "Go"} {
		t.Run(lang, func(t *testing.T) {
			f, path := lockFile(t)
			fd := int(f.Fd())
			holder := startFileRole(t, lang, "flock-hold", path, "ex")
			heldPid(t, holder)
			assert.ErrorIs(t, posix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB), unix.EWOULDBLOCK)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			assert.ErrorIs(t, posix.FlockContext(ctx, fd, unix.LOCK_EX), context.DeadlineExceeded)
			cancel()
			done := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				done <- posix.FlockContext(ctx, fd, unix.LOCK_EX)
			}()
			time.Sleep(30 * time.Millisecond)
			holder.Kill()
			require.NoError(t, <-done, "the lock vanishes with its holder")
			assert.Equal(t, unix.EWOULDBLOCK, probe(t, runFilepeer(t, "flock-try", path, "sh")))
			require.NoError(t, posix.Flock(fd, unix.LOCK_UN))
			assert.Equal(t, unix.Errno(0), probe(t, runFilepeer(t, "flock-try", path, "ex")))
		})
	}
}

// On Linux flock and fcntl locks are separate: one never blocks the other.
func TestFlockAndFcntlLocksAreIndependent(t *testing.T) {
	f, path := lockFile(t)
	fd := int(f.Fd())
	holder := startFileRole(t, "C", "flock-hold", path, "ex")
	heldPid(t, holder)
	require.NoError(t, posix.SetLock(fd, &posix.FileLock{Type: unix.F_WRLCK}))
	holder.Kill()
	require.NoError(t, posix.SetLock(fd, &posix.FileLock{Type: unix.F_UNLCK}))
	holder = startFileRole(t, "C", "fcntl-hold", path, "w", "0", "0")
	heldPid(t, holder)
	require.NoError(t, posix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB))
}

// The classic trap: closing any descriptor of a file drops the process's
// fcntl locks on it; OFD locks belong to their open file description.
func TestClosingAnyDescriptorDropsFcntlLocksButNotOFDLocks(t *testing.T) {
	f, path := lockFile(t)
	require.NoError(t, posix.SetLock(int(f.Fd()), &posix.FileLock{Type: unix.F_WRLCK, Start: 0, Len: 10}))
	g, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	require.NoError(t, posix.OFDSetLock(int(g.Fd()), &posix.FileLock{Type: unix.F_WRLCK, Start: 100, Len: 10}))
	line := runFilepeer(t, "getlk", path, "w", "0", "10")
	assert.Contains(t, line, fmt.Sprintf("type=w pid=%d", os.Getpid()))
	line = runFilepeer(t, "getlk", path, "w", "100", "10")
	assert.Contains(t, line, "type=w pid=-1 start=100 len=10", "an OFD lock has no pid")

	// Open and close an unrelated descriptor of the same file.
	h, err := os.Open(path)
	require.NoError(t, err)
	require.NoError(t, h.Close())
	assert.Contains(t, runFilepeer(t, "getlk", path, "w", "0", "10"), "type=u", "the fcntl lock went with the close")
	assert.Contains(t, runFilepeer(t, "getlk", path, "w", "100", "10"), "type=w pid=-1", "the OFD lock stays")

	// Two descriptions in one process conflict with OFD locks (not with fcntl).
	err = posix.OFDSetLock(int(f.Fd()), &posix.FileLock{Type: unix.F_WRLCK, Start: 100, Len: 1})
	assert.True(t, isBusy(err), "%v", err)
	l := posix.FileLock{Type: unix.F_WRLCK, Start: 100, Len: 1}
	require.NoError(t, posix.OFDGetLock(int(f.Fd()), &l))
	assert.Equal(t, posix.FileLock{Type: unix.F_WRLCK, Start: 100, Len: 10, Pid: -1}, l)
	require.NoError(t, g.Close())
	assert.Contains(t, runFilepeer(t, "getlk", path, "w", "100", "10"), "type=u", "closing its description drops it")
}

// F_SETLKW in a cycle between two processes: the kernel refuses the request
// closing the cycle with EDEADLK; ProcLocks shows the holders and the waiter.
func TestSetLockWaitCycleIsDeadlockAndProcLocksShowsIt(t *testing.T) {
	f, path := lockFile(t)
	fd := int(f.Fd())
	fi, err := f.Stat()
	require.NoError(t, err)
	require.NoError(t, posix.SetLock(fd, &posix.FileLock{Type: unix.F_WRLCK, Start: 1, Len: 1}))
	peer := start(t, []string{cpeer(t, "filepeer"), "deadlock", path, "0", "1"}, nil)
	pid := heldPid(t, peer)
	// Wait until the peer is blocked in F_SETLKW on byte 1.
	var mine, its, blocked *posix.ProcLock
	deadline := time.Now().Add(10 * time.Second)
	for blocked == nil && time.Now().Before(deadline) {
		locks, err := posix.ProcLocks()
		require.NoError(t, err)
		mine, its, blocked = nil, nil, nil
		for i := range locks {
			l := &locks[i]
			if !l.Matches(fi) {
				continue
			}
			switch {
			case l.Blocked && l.Pid == pid:
				blocked = l
			case !l.Blocked && l.Pid == os.Getpid():
				mine = l
			case !l.Blocked && l.Pid == pid:
				its = l
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	require.NotNil(t, blocked, "the peer never blocked")
	require.NotNil(t, mine)
	require.NotNil(t, its)
	assert.Equal(t, posix.ProcLock{ID: mine.ID, Class: "POSIX", Mode: "ADVISORY", Type: "WRITE", Pid: os.Getpid(),
		Major: mine.Major, Minor: mine.Minor, Inode: mine.Inode, Start: 1, End: 1}, *mine)
	assert.Equal(t, int64(0), its.Start)
	assert.Equal(t, int64(0), its.End)
	assert.Equal(t, int64(1), blocked.Start)
	p, err := its.Path()
	require.NoError(t, err)
	assert.Equal(t, path, p)
	cmd, err := its.Command()
	require.NoError(t, err)
	assert.Equal(t, "filepeer", cmd)

	err = posix.SetLockTimeout(fd, &posix.FileLock{Type: unix.F_WRLCK, Start: 0, Len: 1}, 10*time.Second)
	assert.ErrorIs(t, err, unix.EDEADLK)
	require.NoError(t, posix.SetLock(fd, &posix.FileLock{Type: unix.F_UNLCK, Start: 1, Len: 1}))
	assert.Equal(t, "result=0 errno=0 ename=0", strings.TrimPrefix(peer.finish(t), fmt.Sprintf("held pid=%d\n", pid)))
}

// Blocked lock waits hold a bounded number of OS threads.
func TestBlockedLockWaitsHoldBoundedThreads(t *testing.T) {
	_, path := lockFile(t)
	holder := startFileRole(t, "C", "flock-hold", path, "ex")
	heldPid(t, holder)
	before := threads(t)
	const n = 100
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		g, err := os.Open(path)
		require.NoError(t, err)
		defer g.Close()
		go func() { errs <- posix.FlockContext(ctx, int(g.Fd()), unix.LOCK_SH) }()
	}
	time.Sleep(200 * time.Millisecond)
	during := threads(t)
	cancel()
	for i := 0; i < n; i++ {
		select {
		case err := <-errs:
			assert.ErrorIs(t, err, context.Canceled)
		case <-time.After(10 * time.Second):
			t.Fatal("a cancelled lock wait did not return")
		}
	}
	assert.Less(t, during-before, 40, "threads before %d, with %d waiters %d", before, n, during)
}

// fillBlocks makes a file of n blocks of size bytes, block k filled with k.
func fillBlocks(t *testing.T, n, size int) *os.File {
	t.Helper()
	b := make([]byte, n*size)
	for k := 0; k < n; k++ {
		for j := 0; j < size; j++ {
			b[k*size+j] = byte(k)
		}
	}
	path := filepath.Join(t.TempDir(), "blocks")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// spawnOut spawns argv with fd passed as descriptor 3 and its stdout on a
// pipe; it returns the child's output once it exited 0.
func spawnOut(t *testing.T, argv []string, fd int) func() string {
	t.Helper()
	r, w, err := posix.Pipe()
	require.NoError(t, err)
	pid, err := posix.Spawn(argv[0], argv, nil, &posix.SpawnAttr{Actions: []posix.SpawnAction{
		posix.SpawnDup2(int(w.Fd()), 1), posix.SpawnDup2(fd, 3)}})
	w.Close()
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	return func() string {
		defer r.Close()
		require.NoError(t, r.SetReadDeadline(time.Now().Add(30*time.Second)))
		out, err := io.ReadAll(r)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, st, err := posix.WaitpidContext(ctx, pid, 0)
		require.NoError(t, err)
		require.True(t, st.Exited() && st.ExitStatus() == 0, "status %v, output %s", st, out)
		return strings.TrimSpace(string(out))
	}
}

func mismatches(t *testing.T, line string) int {
	n, err := strconv.Atoi(field(t, line, "mismatches"))
	require.NoError(t, err)
	return n
}

// Parent and child share one open file description (and so one offset):
// lseek+read pairs race, Pread never does.
func TestPreadNeverRacesOnASharedOffset(t *testing.T) {
	f := fillBlocks(t, 64, 512)
	fd := int(f.Fd())
	run := func(mode string) (int, int) {
		wait := spawnOut(t, []string{cpeer(t, "filepeer"), "seekread", "3", "300", mode, "512"}, fd)
		_, bad, err := seekReadHere(fd, mode)
		require.NoError(t, err)
		return bad, mismatches(t, wait())
	}
	raced := false
	for i := 0; i < 10 && !raced; i++ {
		ours, its := run("seek")
		raced = ours+its > 0
	}
	assert.True(t, raced, "lseek+read on a shared offset never raced in 10 runs of 300 ms")
	ours, its := run("pread")
	assert.Zero(t, ours)
	assert.Zero(t, its)
}

func seekReadHere(fd int, mode string) (int, int, error) {
	return scenario.SeekRead(fd, 300*time.Millisecond, mode == "pread", 512)
}

// withExtraFile passes f to a Go child as descriptor 3.
func withExtraFile(f *os.File) scenario.ProcOpt {
	return func(c *exec.Cmd) { c.ExtraFiles = []*os.File{f} }
}

// Writes of at most PIPE_BUF bytes to one pipe or FIFO from several processes
// (C and Go) never interleave.
func TestPipeWritesUpToPipeBufNeverInterleave(t *testing.T) {
	const writers, records, size = 4, 100, 4096 // PIPE_BUF
	check := func(t *testing.T, r *os.File) {
		require.NoError(t, r.SetReadDeadline(time.Now().Add(30*time.Second)))
		counts := map[byte]int{}
		rec := make([]byte, size)
		for i := 0; i < writers*records; i++ {
			_, err := io.ReadFull(r, rec)
			require.NoError(t, err, "record %d", i)
			for j := range rec {
				if rec[j] != rec[0] {
					t.Fatalf("record %d interleaved: byte %d is %d, byte 0 is %d", i, j, rec[j], rec[0])
				}
			}
			counts[rec[0]]++
		}
		for id := 1; id <= writers; id++ {
			assert.Equal(t, records, counts[byte(id)], "writer %d", id)
		}
	}
	t.Run("pipe", func(t *testing.T) {
		r, w, err := posix.Pipe()
		require.NoError(t, err)
		defer r.Close()
		// The writers (other processes) expect a blocking descriptor; the
		// ends of Pipe are non-blocking, for the netpoller.
		require.NoError(t, unix.SetNonblock(int(w.Fd()), false))
		var waits []func() string
		var gos []*proc
		for id := 1; id <= writers; id++ {
			args := []string{"3", strconv.Itoa(id), strconv.Itoa(records), strconv.Itoa(size)}
			if id%2 == 1 {
				waits = append(waits, spawnOut(t, append([]string{cpeer(t, "filepeer"), "pipe-write"}, args...), int(w.Fd())))
			} else {
				gos = append(gos, startGo(t, "file-pipe-write", args, withExtraFile(w)))
			}
		}
		w.Close()
		check(t, r)
		for _, wait := range waits {
			wait()
		}
		for _, p := range gos {
			assert.Equal(t, fmt.Sprintf("wrote %d", records), p.finish(t))
		}
	})
	t.Run("fifo", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "fifo")
		require.NoError(t, posix.Mkfifo(path, 0o600))
		r, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
		require.NoError(t, err)
		defer r.Close()
		// A writer of our own, so that the reader never sees end-of-file
		// before the others have opened the FIFO.
		keep, err := os.OpenFile(path, os.O_WRONLY|unix.O_NONBLOCK, 0)
		require.NoError(t, err)
		defer keep.Close()
		var ps []*proc
		for id := 1; id <= writers; id++ {
			lang := map[bool]string{true: "C", false: "Go"}[id%2 == 1]
			ps = append(ps, startFileRole(t, lang, "pipe-write", path, strconv.Itoa(id), strconv.Itoa(records), strconv.Itoa(size)))
		}
		check(t, r)
		for _, p := range ps {
			assert.Equal(t, fmt.Sprintf("wrote %d", records), p.finish(t))
		}
	})
}

// A lock wait on a thread that blocks the reserved signal (a mask inherited
// across exec, PthreadSigmask), or after someone replaced its handler
// (os/signal, signal.Ignore), still ends at its deadline: the shim unblocks
// the signal for the wait, and polls when the handler is not its own.
func TestLockWaitEndsWhenTheSignalIsBlockedOrItsHandlerReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, make([]byte, 100), 0o600))
	holder, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer holder.Close()
	require.NoError(t, posix.OFDSetLock(int(holder.Fd()), &posix.FileLock{Type: unix.F_WRLCK}))
	waiter, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer waiter.Close()
	wait := func() (error, time.Duration) {
		start := time.Now()
		err := posix.OFDSetLockTimeout(int(waiter.Fd()), &posix.FileLock{Type: unix.F_WRLCK}, 100*time.Millisecond)
		return err, time.Since(start)
	}
	// Reserve the signal with a first wait.
	err, _ = wait()
	require.ErrorIs(t, err, unix.ETIMEDOUT)
	sig := posix.LockSignal()

	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var set, old unix.Sigset_t
		set.Val[(uint(sig)-1)/64] = 1 << ((uint(sig) - 1) % 64)
		require.NoError(t, unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old))
		defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
		err, _ := wait()
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, unix.ETIMEDOUT)
	case <-time.After(5 * time.Second):
		t.Fatal("a wait on a thread that blocks the lock signal never ended")
	}

	// signal.Ignore is for good: it runs in a child process, with a holder
	// of its own.
	require.NoError(t, posix.OFDSetLock(int(holder.Fd()), &posix.FileLock{Type: unix.F_UNLCK}))
	out := startGo(t, "file-lock-ignored", []string{path}).finish(t)
	assert.Equal(t, "ETIMEDOUT then locked", out)
}

func init() {
	// file-lock-ignored PATH: after signal.Ignore of the lock signal, a
	// lock wait against a holder (an OFD lock of this process) still ends
	// at its deadline, and takes the lock once the holder lets go.
	scenario.Roles["file-lock-ignored"] = func(a []string) error {
		holder, err := os.OpenFile(a[0], os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer holder.Close()
		waiter, err := os.OpenFile(a[0], os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer waiter.Close()
		wl := &posix.FileLock{Type: unix.F_WRLCK}
		if err := posix.OFDSetLock(int(holder.Fd()), wl); err != nil {
			return err
		}
		if err := posix.OFDSetLockTimeout(int(waiter.Fd()), wl, 50*time.Millisecond); !errors.Is(err, unix.ETIMEDOUT) {
			return fmt.Errorf("%w: first wait: %v", scenario.ErrVerify, err)
		}
		signal.Ignore(posix.LockSignal())
		start := time.Now()
		err = posix.OFDSetLockTimeout(int(waiter.Fd()), wl, 100*time.Millisecond)
		if !errors.Is(err, unix.ETIMEDOUT) || time.Since(start) > 5*time.Second {
			return fmt.Errorf("%w: wait after Ignore: %v after %v", scenario.ErrVerify, err, time.Since(start))
		}
		if err := posix.OFDSetLock(int(holder.Fd()), &posix.FileLock{Type: unix.F_UNLCK}); err != nil {
			return err
		}
		if err := posix.OFDSetLockTimeout(int(waiter.Fd()), wl, 5*time.Second); err != nil {
			return err
		}
		fmt.Print("ETIMEDOUT then locked")
		return nil
	}
}
