package posix

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Advisory file locks. Linux has three kinds, independent of each other (a
// flock lock and a fcntl lock on the same file do not conflict):
//
//   - flock(2) locks the whole file and belongs to the open file description
//     (shared by dup'ed and inherited descriptors);
//   - fcntl(2) record locks (F_SETLK, F_SETLKW, F_GETLK; lockf(3) is a front
//     end to them) lock byte ranges and belong to the process: closing ANY
//     descriptor of the file drops all of the process's locks on it, even one
//     opened by an unrelated library, and a child does not inherit them;
//   - open-file-description locks (F_OFD_SETLK, …) lock byte ranges like
//     fcntl locks but belong to the open file description, like flock: they
//     survive the close of other descriptors and are the ones to use between
//     goroutines of one process, which fcntl locks cannot separate.
//
// All are released when their owner goes away (the process dies, or the last
// descriptor of the description is closed).

// Commands of the fcntl(2) open-file-description locks (glibc's values,
// checked against <fcntl.h>).
const (
	fOFDGetLk  = 36
	fOFDSetLk  = 37
	fOFDSetLkw = 38
)

// cLockReq mirrors libcipc_lockreq (include/libcipc.h).
type cLockReq struct {
	fd     int32
	kind   int32
	cmd    int32
	typ    int16
	whence int16
	start  int64
	len    int64
	pid    int32
	_      int32
}

const (
	lockKindFcntl = 0
	lockKindFlock = 1
	lockKindLockf = 2
)

// FileLock is a struct flock: a byte range of a file (Start and Len relative
// to Whence: io.SeekStart, io.SeekCurrent or io.SeekEnd; Len 0 means "to the
// end of the file, however far it grows") and a lock type: unix.F_RDLCK,
// unix.F_WRLCK or unix.F_UNLCK. GetLock and OFDGetLock fill in the first
// conflicting lock (Pid is its holder; -1 for an OFD lock) or set Type to
// F_UNLCK when there is none. For the OFD commands Pid must be 0.
type FileLock struct {
	Type   int16
	Whence int16
	Start  int64
	Len    int64
	Pid    int32
}

func (l *FileLock) req(fd int, cmd int32) cLockReq {
	return cLockReq{fd: int32(fd), kind: lockKindFcntl, cmd: cmd, typ: l.Type, whence: l.Whence, start: l.Start, len: l.Len, pid: l.Pid}
}

var fcntlCmdNames = map[int32]string{
	unix.F_GETLK: "F_GETLK", unix.F_SETLK: "F_SETLK", unix.F_SETLKW: "F_SETLKW",
	fOFDGetLk: "F_OFD_GETLK", fOFDSetLk: "F_OFD_SETLK", fOFDSetLkw: "F_OFD_SETLKW",
}

func checkFd(op, name string, fd int) error {
	if !cgoEnabled {
		return cgoErr(op, name)
	}
	return cInt(op, name, "descriptor", fd)
}

// fcntlLock runs one non-blocking fcntl lock command.
func fcntlLock(fd int, cmd int32, l *FileLock) error {
	const op = "fcntl"
	name := fcntlCmdNames[cmd]
	if err := checkFd(op, name, fd); err != nil {
		return err
	}
	if l == nil {
		return invalidArg(op, name, "nil *FileLock")
	}
	r := l.req(fd, cmd)
	if rc := cLock(&r); rc != 0 {
		return errnoErr(op, name, rc)
	}
	if cmd == unix.F_GETLK || cmd == fOFDGetLk {
		l.Type, l.Whence, l.Start, l.Len, l.Pid = r.typ, r.whence, r.start, r.len, r.pid
	}
	return nil
}

// GetLock is fcntl(fd, F_GETLK, l): l describes a lock the caller would like
// to place; on return it describes the first lock that would prevent it (with
// its holder's pid), or its Type is unix.F_UNLCK. Locks of the calling process
// itself never conflict.
func GetLock(fd int, l *FileLock) error { return fcntlLock(fd, unix.F_GETLK, l) }

// SetLock is fcntl(fd, F_SETLK, l): place (or, with F_UNLCK, remove) a
// process-owned record lock without waiting; a conflicting lock makes it fail
// with EACCES or EAGAIN (Linux says EAGAIN). See the package comment on
// FileLock's kinds for when the kernel drops these locks.
func SetLock(fd int, l *FileLock) error { return fcntlLock(fd, unix.F_SETLK, l) }

// SetLockWait is fcntl(fd, F_SETLKW, l): place a record lock, waiting until
// no other process holds a conflicting one. A wait that would deadlock with
// another process's fails with EDEADLK (the kernel's detection, as in C). The
// wait holds one of the process's bounded wait threads (waiters beyond them
// wait in Go); see SetLockContext.
func SetLockWait(fd int, l *FileLock) error {
	return setLockWait(fd, unix.F_SETLKW, l, &cWait{mode: waitForever}, nil)
}

// SetLockTimeout is SetLockWait giving up with ETIMEDOUT after d (on
// CLOCK_MONOTONIC). F_SETLKW has no timed form: see SetLockContext.
func SetLockTimeout(fd int, l *FileLock, d time.Duration) error {
	return setLockWait(fd, unix.F_SETLKW, l, relWait(d), nil)
}

// SetLockContext is SetLockWait returning when ctx is done (its deadline is
// the wait's). F_SETLKW has no timed form and the kernel restarts it after a
// Go signal handler, so the wait runs F_SETLKW in 10 ms slices, each ended by
// a POSIX timer aimed at the waiting thread (SIGEV_THREAD_ID) on a realtime
// signal libcipc reserves at the first wait (the highest of 34..64 no
// SignalReceiver holds; NewSignalReceiver then refuses it with EBUSY).
func SetLockContext(ctx context.Context, fd int, l *FileLock) error {
	return setLockWait(fd, unix.F_SETLKW, l, nil, ctx)
}

// OFDGetLock is fcntl(fd, F_OFD_GETLK, l): GetLock for open-file-description
// locks; a conflicting OFD lock is reported with Pid -1.
func OFDGetLock(fd int, l *FileLock) error { return fcntlLock(fd, fOFDGetLk, l) }

// OFDSetLock is fcntl(fd, F_OFD_SETLK, l): a record lock owned by the open
// file description, not the process: closing another descriptor of the file
// does not drop it, and two descriptions in one process conflict.
func OFDSetLock(fd int, l *FileLock) error { return fcntlLock(fd, fOFDSetLk, l) }

// OFDSetLockWait is fcntl(fd, F_OFD_SETLKW, l), waiting as SetLockWait.
func OFDSetLockWait(fd int, l *FileLock) error {
	return setLockWait(fd, fOFDSetLkw, l, &cWait{mode: waitForever}, nil)
}

// OFDSetLockTimeout is OFDSetLockWait giving up with ETIMEDOUT after d.
func OFDSetLockTimeout(fd int, l *FileLock, d time.Duration) error {
	return setLockWait(fd, fOFDSetLkw, l, relWait(d), nil)
}

// OFDSetLockContext is OFDSetLockWait returning when ctx is done.
func OFDSetLockContext(ctx context.Context, fd int, l *FileLock) error {
	return setLockWait(fd, fOFDSetLkw, l, nil, ctx)
}

func relWait(d time.Duration) *cWait {
	return &cWait{sec: int64(d / time.Second), nsec: int64(d % time.Second), mode: waitRel}
}

func setLockWait(fd int, cmd int32, l *FileLock, w *cWait, ctx context.Context) error {
	const op = "fcntl"
	name := fcntlCmdNames[cmd]
	if err := checkFd(op, name, fd); err != nil {
		return err
	}
	if l == nil {
		return invalidArg(op, name, "nil *FileLock")
	}
	r := l.req(fd, cmd)
	return lockWait(op, name, &r, w, ctx)
}

// Flock is flock(fd, how): how is unix.LOCK_SH or unix.LOCK_EX (optionally
// with unix.LOCK_NB: EWOULDBLOCK, that is EAGAIN, instead of waiting), or
// unix.LOCK_UN. A wait is bounded in threads as SetLockWait's.
func Flock(fd int, how int) error {
	return flockWait(fd, how, &cWait{mode: waitForever}, nil)
}

// FlockContext is Flock returning when ctx is done (its deadline is the
// wait's).
func FlockContext(ctx context.Context, fd int, how int) error { return flockWait(fd, how, nil, ctx) }

func flockWait(fd, how int, w *cWait, ctx context.Context) error {
	const op = "flock"
	if err := checkFd(op, "", fd); err != nil {
		return err
	}
	if err := cInt(op, "", "operation", how); err != nil {
		return err
	}
	r := cLockReq{fd: int32(fd), kind: lockKindFlock, cmd: int32(how)}
	if how&unix.LOCK_NB != 0 || how&unix.LOCK_UN != 0 || how&(unix.LOCK_SH|unix.LOCK_EX) == 0 {
		if rc := cLock(&r); rc != 0 {
			return errnoErr(op, "", rc)
		}
		return nil
	}
	return lockWait(op, "", &r, w, ctx)
}

// Lockf is lockf(fd, cmd, length): a fcntl write lock (the same process-owned
// locks as SetLock) over length bytes from the current offset (negative: the
// bytes before it; 0: to the end of the file, however far it grows). cmd is
// unix.F_LOCK (wait, bounded in threads as SetLockWait), unix.F_TLOCK (fail
// with EACCES or EAGAIN instead: Linux says EAGAIN), unix.F_ULOCK, or
// unix.F_TEST (nil when the range is free or held by the caller, EACCES when
// another process holds a lock on it; GetLock says which).
func Lockf(fd int, cmd int, length int64) error {
	return lockfWait(fd, cmd, length, &cWait{mode: waitForever}, nil)
}

// LockfContext is Lockf returning when ctx is done (for F_LOCK).
func LockfContext(ctx context.Context, fd int, cmd int, length int64) error {
	return lockfWait(fd, cmd, length, nil, ctx)
}

func lockfWait(fd, cmd int, length int64, w *cWait, ctx context.Context) error {
	const op = "lockf"
	if err := checkFd(op, "", fd); err != nil {
		return err
	}
	if err := cInt(op, "", "command", cmd); err != nil {
		return err
	}
	r := cLockReq{fd: int32(fd), kind: lockKindLockf, cmd: int32(cmd), len: length}
	if cmd != unix.F_LOCK {
		if rc := cLock(&r); rc != 0 {
			return errnoErr(op, "", rc)
		}
		return nil
	}
	return lockWait(op, "", &r, w, ctx)
}

// lockWait is a blocking lock: one crossing tries the non-blocking form; if
// another holds the lock, the blocking call runs in slices in one of the
// process's wait slots (block.go), each slice ended by a timer signal.
func lockWait(op, name string, r *cLockReq, w *cWait, ctx context.Context) error {
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return &Error{Op: op, Name: name, Err: err}
		}
		cw := ctxWait(ctx)
		w = &cw
	}
	rc := cLockWaitBegin(unsafe.Pointer(r), w)
	if rc != -int32(unix.EAGAIN) {
		if rc != 0 {
			return errnoErr(op, name, rc)
		}
		return nil
	}
	if err := reserveLockSignal(); err != nil {
		return &Error{Op: op, Name: name, Err: err}
	}
	q := new(waitQueue)
	q.init()
	// The slow path has its own copy of the request: r stays on the
	// caller's stack, and the non-blocking calls allocate nothing.
	rr := new(cLockReq)
	*rr = *r
	t := waitTarget{h: &fileLockHandle, q: q, p: unsafe.Pointer(rr), name: name, kind: waitFileLock}
	return t.block(op, w, ctx)
}

// fileLockHandle stands for the handle block.go expects: descriptors are the
// caller's, so there is nothing to close; each wait has its own queue, and
// only the process's slots bound the threads.
var fileLockHandle = func() (h handle) { h.init(true); return }()

var (
	lockSignalOnce sync.Once
	lockSignal     unix.Signal
	lockSignalErr  error
)

// reserveLockSignal takes, once per process, the highest realtime signal no
// SignalReceiver holds for the lock waits' timers.
func reserveLockSignal() error {
	lockSignalOnce.Do(func() {
		sigHeldMu.Lock()
		defer sigHeldMu.Unlock()
		for s := unix.Signal(64); s >= 34; s-- {
			if sigHeld[s] != nil {
				continue
			}
			if rc := cLockSignalInstall(int32(s)); rc != 0 {
				lockSignalErr = unix.Errno(-rc)
				return
			}
			sigHeld[s] = &SignalReceiver{} // reserved: NewSignalReceiver says EBUSY
			lockSignal = s
			return
		}
		lockSignalErr = &argError{msg: "every realtime signal is held by a SignalReceiver", errno: unix.EBUSY}
	})
	return lockSignalErr
}

// LockSignal returns the realtime signal the blocking lock calls reserved
// for their timers, or 0 before the first lock wait.
func LockSignal() unix.Signal {
	sigHeldMu.Lock()
	defer sigHeldMu.Unlock()
	return lockSignal
}

// ProcLock is one line of /proc/locks (proc(5)).
type ProcLock struct {
	ID      int    // the line's ordinal
	Blocked bool   // a waiter ("->"), blocked behind the lock listed before it
	Class   string // "POSIX" (fcntl, lockf), "FLOCK", "OFDLCK", "LEASE", ...
	Mode    string // "ADVISORY" or "MANDATORY"
	Type    string // "READ" or "WRITE" ("UNLCK" for a broken lease)
	Pid     int    // the owner (POSIX), or the process that placed it; -1 when none
	Major   uint32 // the file's device
	Minor   uint32
	Inode   uint64
	Start   int64
	End     int64 // inclusive; -1 for EOF (to the end of the file)
}

// ProcLocks reads /proc/locks: every file lock on the system, each with its
// holder's pid and range.
func ProcLocks() ([]ProcLock, error) {
	const op = "open"
	f, err := os.Open("/proc/locks")
	if err != nil {
		return nil, &Error{Op: op, Name: "/proc/locks", Err: err}
	}
	defer f.Close()
	var locks []ProcLock
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l, ok := parseProcLock(sc.Text())
		if ok {
			locks = append(locks, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{Op: "read", Name: "/proc/locks", Err: err}
	}
	return locks, nil
}

// parseProcLock parses "1: POSIX  ADVISORY  WRITE 123 08:01:456 0 EOF" (and
// the waiters' "1: -> POSIX ...").
func parseProcLock(line string) (ProcLock, bool) {
	f := strings.Fields(line)
	var l ProcLock
	if len(f) < 8 {
		return l, false
	}
	id, err := strconv.Atoi(strings.TrimSuffix(f[0], ":"))
	if err != nil {
		return l, false
	}
	l.ID = id
	f = f[1:]
	if f[0] == "->" {
		l.Blocked = true
		f = f[1:]
	}
	if len(f) < 7 {
		return l, false
	}
	l.Class, l.Mode, l.Type = f[0], f[1], f[2]
	if l.Pid, err = strconv.Atoi(f[3]); err != nil {
		return l, false
	}
	dev := strings.Split(f[4], ":")
	if len(dev) != 3 {
		return l, false
	}
	maj, e1 := strconv.ParseUint(dev[0], 16, 32)
	min, e2 := strconv.ParseUint(dev[1], 16, 32)
	ino, e3 := strconv.ParseUint(dev[2], 10, 64)
	if e1 != nil || e2 != nil || e3 != nil {
		return l, false
	}
	l.Major, l.Minor, l.Inode = uint32(maj), uint32(min), ino
	if l.Start, err = strconv.ParseInt(f[5], 10, 64); err != nil {
		return l, false
	}
	if f[6] == "EOF" {
		l.End = -1
	} else if l.End, err = strconv.ParseInt(f[6], 10, 64); err != nil {
		return l, false
	}
	return l, true
}

// Matches reports whether the lock is on the file fi describes (same device
// and inode).
func (l ProcLock) Matches(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	return l.Inode == st.Ino && unix.Major(st.Dev) == l.Major && unix.Minor(st.Dev) == l.Minor
}

// Path resolves the locked file to a path by looking through the
// descriptors of its holder (/proc/PID/fd): the path one of them points at.
// It needs permission to read that process's descriptors, and fails with
// ENOENT when none is open on the file (a lock whose holder is gone, or an
// OFD lock without a pid).
func (l ProcLock) Path() (string, error) {
	const op = "readlink"
	dir := fmt.Sprintf("/proc/%d/fd", l.Pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", &Error{Op: "open", Name: dir, Err: err}
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p)
		if err != nil || !l.Matches(fi) {
			continue
		}
		target, err := os.Readlink(p)
		if err != nil {
			return "", &Error{Op: op, Name: p, Err: err}
		}
		return target, nil
	}
	return "", &Error{Op: "open", Name: dir, Err: unix.ENOENT}
}

// Command returns the holder's command name, from /proc/PID/comm.
func (l ProcLock) Command() (string, error) {
	name := fmt.Sprintf("/proc/%d/comm", l.Pid)
	b, err := os.ReadFile(name)
	if err != nil {
		return "", &Error{Op: "open", Name: name, Err: err}
	}
	return strings.TrimSpace(string(b)), nil
}

// Pread is pread(fd, b, off): read at an offset without moving the file
// offset, so descriptors shared between threads or processes (dup, fork)
// never race on it. It returns the count read (0 at end of file, and no
// io.EOF: libc's answer).
func Pread(fd int, b []byte, off int64) (int, error) {
	const op = "pread"
	if err := checkFd(op, "", fd); err != nil {
		return 0, err
	}
	n := cPread(int32(fd), b, off)
	if n < 0 {
		return 0, errnoErr(op, "", int32(n))
	}
	return int(n), nil
}

// Pwrite is pwrite(fd, b, off): write at an offset without moving the file
// offset. (On Linux, a descriptor opened with O_APPEND appends whatever off
// says: a documented bug of pwrite(2).)
func Pwrite(fd int, b []byte, off int64) (int, error) {
	const op = "pwrite"
	if err := checkFd(op, "", fd); err != nil {
		return 0, err
	}
	n := cPwrite(int32(fd), b, off)
	if n < 0 {
		return 0, errnoErr(op, "", int32(n))
	}
	return int(n), nil
}

// Fsync is fsync(fd): flush the file's data and metadata to the device.
func Fsync(fd int) error {
	const op = "fsync"
	if err := checkFd(op, "", fd); err != nil {
		return err
	}
	if rc := cFsync(int32(fd)); rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// Fdatasync is fdatasync(fd): flush the data and only the metadata needed to
// read it back.
func Fdatasync(fd int) error {
	const op = "fdatasync"
	if err := checkFd(op, "", fd); err != nil {
		return err
	}
	if rc := cFdatasync(int32(fd)); rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// Sync is sync(2): schedule every filesystem's writes (Linux waits for them).
func Sync() {
	if cgoEnabled {
		cSync()
	}
}

// Pipe is pipe2(fds, O_CLOEXEC|O_NONBLOCK): the read and write ends as
// *os.File, on the Go netpoller as os.Pipe's are (reads and writes hold no
// thread while they wait, and deadlines work). Writes of at most PIPE_BUF (4096) bytes are atomic: they never
// interleave with other writers' (pipe(7)).
func Pipe() (r, w *os.File, err error) {
	const op = "pipe2"
	if !cgoEnabled {
		return nil, nil, cgoErr(op, "")
	}
	var fds [2]int32
	// O_NONBLOCK, as os.Pipe: os.NewFile then puts the ends on the
	// netpoller (no OS thread per blocked reader; deadlines work). Fd()
	// switches a file back to blocking mode, as for any *os.File.
	if rc := cPipe2(&fds, unix.O_CLOEXEC|unix.O_NONBLOCK); rc != 0 {
		return nil, nil, errnoErr(op, "", rc)
	}
	return os.NewFile(uintptr(fds[0]), "|0"), os.NewFile(uintptr(fds[1]), "|1"), nil
}

// Mkfifo is mkfifo(path, mode): make a FIFO (named pipe), with mode masked
// by the umask. Opening one for reading waits for a writer and vice versa,
// unless O_NONBLOCK (fifo(7)); os.OpenFile then puts it on the netpoller.
func Mkfifo(path string, mode uint32) error {
	const op = "mkfifo"
	var buf [256]byte
	p, err := cName(&buf, op, path)
	if err != nil {
		return err
	}
	if rc := cMkfifo(p, mode); rc != 0 {
		return errnoErr(op, path, rc)
	}
	return nil
}
