//go:build cgo

package posix_test

// Fuzz targets for bad input (issue 10). Each target checks, for any input:
// no crash and no hang (every call is non-blocking or bounded), every
// rejection is a *posix.Error, and its errno is the one a differential oracle
// gives: the same request made to the kernel with golang.org/x/sys/unix after
// reproducing what glibc 2.36 does before it (shm_open, sem_open, mq_open,
// lockf, sigqueue, pthread_sigmask, sem_clockwait; the name-length rules were
// measured with a C program, see glibcShmPath), or, where libcipc
// deliberately differs from C, the errno docs/SEMANTICS.md documents.
//
// Safety: objects are created only under the name prefix fuzzPrefix
// ("libcipc-fuzz-<pid>-") or as IPC_PRIVATE System V objects, and every one is
// removed before the input returns (checked: nothing with the prefix is left
// in /dev/shm, no queue with the name is left). Names outside the prefix are
// only opened read-only, without O_CREAT/O_TRUNC and non-blocking. Signals
// are only 0 or invalid numbers (never delivered), programs spawned are
// /bin/true and /usr/bin/printenv.
//
// The seed corpora (f.Add and testdata/fuzz/<Target>) run in plain go test;
// `make fuzz` runs each target with -fuzz.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/libcipc/libcipc/posix"
)

// fuzzPrefix starts every name a fuzz target may create (without the slash).
var fuzzPrefix = fmt.Sprintf("libcipc-fuzz-%d-", os.Getpid())

// errnoOf checks that err is a *posix.Error and returns its errno (0 for nil).
func errnoOf(t *testing.T, err error) unix.Errno {
	t.Helper()
	if err == nil {
		return 0
	}
	var pe *posix.Error
	require.Truef(t, errors.As(err, &pe), "error %v (%T) is not a *posix.Error", err, err)
	var errno unix.Errno
	require.Truef(t, errors.As(err, &errno), "error %v carries no errno", err)
	return errno
}

// rawErrno turns an x/sys/unix error into its errno (0 for nil).
func rawErrno(t *testing.T, err error) unix.Errno {
	t.Helper()
	if err == nil {
		return 0
	}
	var errno unix.Errno
	require.Truef(t, errors.As(err, &errno), "raw call error %v is not an errno", err)
	return errno
}

func fitsCInt(v int64) bool { return int64(int32(v)) == v }

// requireGoReject checks a rejection libcipc makes before libc (documented in
// SEMANTICS.md "Everything"): a *posix.Error that unwraps to EINVAL.
func requireGoReject(t *testing.T, err error, what string) {
	t.Helper()
	require.Errorf(t, err, "%s must be rejected", what)
	require.Equalf(t, unix.EINVAL, errnoOf(t, err), "%s: %v", what, err)
}

// rejectedBeforeC checks the rejections libcipc makes before libc for a name
// and open flags (a NUL byte in the name, flags over 32 bits) and reports
// whether err had to be one of them.
func rejectedBeforeC(t *testing.T, name string, flag int64, err error) bool {
	t.Helper()
	switch {
	case strings.IndexByte(name, 0) >= 0:
		requireGoReject(t, err, "a name with a NUL byte")
	case !fitsCInt(flag):
		requireGoReject(t, err, "a flag over 32 bits")
	default:
		return false
	}
	return true
}

// unlinkOracle is the errno shm_unlink and sem_unlink give for path, the
// one glibcShmPath made ("" for a bad name: ENOENT for every bad name), else
// unlink(2)'s, with EPERM said as EACCES.
func unlinkOracle(t *testing.T, path string) unix.Errno {
	t.Helper()
	if path == "" {
		return unix.ENOENT
	}
	e := rawErrno(t, unix.Unlink(path))
	if e == unix.EPERM {
		return unix.EACCES
	}
	return e
}

// checkNoLeftovers fails when /dev/shm holds anything named with fuzzPrefix.
func checkNoLeftovers(t *testing.T) {
	t.Helper()
	ents, err := os.ReadDir("/dev/shm")
	require.NoError(t, err)
	for _, e := range ents {
		if strings.Contains(e.Name(), fuzzPrefix) {
			_ = os.Remove("/dev/shm/" + e.Name())
			t.Fatalf("left in /dev/shm: %q", e.Name())
		}
	}
}

// glibcShmPath reproduces glibc 2.36's name check (__shm_get_name): leading
// slashes are skipped; an empty name or one with another slash is bad; the
// path "/dev/shm/" [+ "sem."] + name + NUL must fit 269 bytes. shm_open and
// sem_open say EINVAL for a bad name, shm_unlink and sem_unlink ENOENT.
// Measured with a C program on this glibc (name bytes after the slash):
// sem_open 255 ENAMETOOLONG (from the kernel: "sem." + 255), 256 and more
// EINVAL; shm_open 256..259 ENAMETOOLONG (kernel), 260 and more EINVAL;
// sem_unlink/shm_unlink of "", "a/b" and too-long names ENOENT.
func glibcShmPath(name string, sem bool) (string, unix.Errno) {
	n := strings.TrimLeft(name, "/")
	if n == "" || strings.Contains(n, "/") {
		return "", unix.EINVAL
	}
	dir := "/dev/shm/"
	if sem {
		dir += "sem."
	}
	if len(dir)+len(n)+1 > 269 {
		return "", unix.EINVAL
	}
	return dir + n, 0
}

// unsafeOpenFlags are the flags a target never passes with a name outside
// fuzzPrefix: they could create or change someone else's object.
const unsafeOpenFlags = unix.O_CREAT | unix.O_TRUNC | unix.O_TMPFILE | unix.O_ACCMODE

func fuzzName(slashes uint8, suffix string, prefixed bool) string {
	s := strings.Repeat("/", int(slashes%4))
	if prefixed {
		return s + fuzzPrefix + suffix
	}
	return s + suffix
}

// FuzzShmOpen: shm_open and shm_unlink names, flags and modes, against
// open("/dev/shm/"+name, flags|O_NOFOLLOW|O_CLOEXEC, mode) after glibc's
// name checks (EISDIR folded into EINVAL, as glibc does).
func FuzzShmOpen(f *testing.F) {
	rw := int64(unix.O_RDWR | unix.O_CREAT)
	f.Add(uint8(1), "a", true, rw, uint32(0o600))
	f.Add(uint8(1), "a", true, rw|unix.O_EXCL|unix.O_TRUNC, uint32(0o7777))
	f.Add(uint8(2), "a", true, int64(unix.O_RDONLY), uint32(0))
	f.Add(uint8(1), "a/b", true, rw, uint32(0o600))
	f.Add(uint8(1), strings.Repeat("x", 240), true, rw, uint32(0o600)) // 255..260 after the slash: glibc passes, kernel ENAMETOOLONG
	f.Add(uint8(1), strings.Repeat("x", 300), true, rw, uint32(0o600))
	f.Add(uint8(1), "nul\x00x", true, rw, uint32(0o600))
	f.Add(uint8(1), "a", true, rw|1<<40, uint32(0o600))
	f.Add(uint8(1), "a", true, int64(unix.O_RDWR|unix.O_CREAT|unix.O_DIRECTORY), uint32(0o600))
	f.Add(uint8(1), "a", true, int64(unix.O_WRONLY|unix.O_RDWR|unix.O_CREAT), uint32(0o600))
	f.Add(uint8(1), "", false, int64(0), uint32(0))
	f.Add(uint8(0), "..", false, int64(0), uint32(0))
	f.Add(uint8(3), ".", false, int64(unix.O_DIRECTORY), uint32(0))
	f.Add(uint8(1), "libcipc-fuzz-missing", false, int64(unix.O_PATH), uint32(0))
	f.Fuzz(func(t *testing.T, slashes uint8, suffix string, prefixed bool, flag int64, mode uint32) {
		defer checkNoLeftovers(t)
		name := fuzzName(slashes, suffix, prefixed)
		if !prefixed {
			flag = flag&^unsafeOpenFlags | unix.O_NONBLOCK
		}
		s, err := posix.OpenSharedMemory(name, int(flag), mode)
		got := errnoOf(t, err)
		if err == nil {
			st, serr := s.Stat()
			require.NoError(t, serr)
			if prefixed {
				require.Zero(t, st.Size)
			}
			require.NoError(t, s.Close())
			if prefixed {
				require.NoError(t, posix.UnlinkSharedMemory(name), "created %q", name)
			}
		}
		if rejectedBeforeC(t, name, flag, err) {
			return
		}
		path, want := glibcShmPath(name, false)
		if want != 0 {
			want = unix.EINVAL // shm_open says EINVAL for every bad name
		} else {
			fd, oerr := unix.Open(path, int(flag)|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
			want = rawErrno(t, oerr)
			if want == unix.EISDIR {
				want = unix.EINVAL
			}
			if oerr == nil {
				unix.Close(fd)
				if prefixed {
					require.NoError(t, unix.Unlink(path))
				}
			}
		}
		require.Equalf(t, want, got, "shm_open(%q, %#x, %#o): libcipc %v", name, flag, mode, err)

		if !prefixed {
			return // never unlink a name that is not ours
		}
		uerr := posix.UnlinkSharedMemory(name)
		require.Equalf(t, unlinkOracle(t, path), errnoOf(t, uerr), "shm_unlink(%q): %v", name, uerr)
	})
}

// FuzzSemOpen: sem_open names, flags, modes and values against glibc 2.36's
// sem_open steps made by hand: the name check (with "sem."), then for an
// existing name open(path, (flags&^(O_CREAT|O_ACCMODE))|O_NOFOLLOW|O_RDWR)
// and a one-sem_t MAP_SHARED mmap, and for a new one value <= SEM_VALUE_MAX
// and a name the kernel takes. A zero-length existing file is EFAULT
// (SEMANTICS.md, Semaphores).
func FuzzSemOpen(f *testing.F) {
	c := int64(unix.O_CREAT)
	f.Add(uint8(1), "a", true, c, uint32(0o600), uint32(1))
	f.Add(uint8(0), "a", true, c|unix.O_EXCL, uint32(0o600), uint32(0x7fffffff))
	f.Add(uint8(1), "a", true, c, uint32(0o600), uint32(0x80000000))
	f.Add(uint8(1), "a", true, c|unix.O_EXCL, uint32(0), uint32(0xffffffff))
	f.Add(uint8(1), "a", true, int64(0), uint32(0), uint32(0))
	f.Add(uint8(1), strings.Repeat("y", 235), true, c, uint32(0o600), uint32(0)) // 251+4: fits
	f.Add(uint8(1), strings.Repeat("y", 236), true, c, uint32(0o600), uint32(0))
	f.Add(uint8(1), strings.Repeat("y", 240), true, c, uint32(0o600), uint32(0))
	f.Add(uint8(1), "a/b", true, c, uint32(0o600), uint32(0))
	f.Add(uint8(1), "a\x00", true, c, uint32(0o600), uint32(0))
	f.Add(uint8(1), "a", true, c|unix.O_DIRECTORY, uint32(0o600), uint32(0))
	f.Add(uint8(1), "a", true, c|unix.O_TMPFILE, uint32(0o600), uint32(0))
	f.Add(uint8(1), "a", true, c|1<<33, uint32(0o600), uint32(0))
	f.Add(uint8(0), "", false, int64(0), uint32(0), uint32(0))
	f.Add(uint8(1), "..", false, int64(0), uint32(0), uint32(0))
	f.Add(uint8(1), "libcipc-fuzz-nothere", false, int64(unix.O_PATH), uint32(0), uint32(0))
	f.Fuzz(func(t *testing.T, slashes uint8, suffix string, prefixed bool, flag int64, mode, value uint32) {
		defer checkNoLeftovers(t)
		name := fuzzName(slashes, suffix, prefixed)
		if !prefixed {
			flag = flag&^unsafeOpenFlags | unix.O_NONBLOCK
		}
		s, err := posix.OpenSemaphore(name, int(flag), mode, value)
		got := errnoOf(t, err)
		if err == nil {
			v, verr := s.Value()
			require.NoError(t, verr)
			if prefixed {
				require.EqualValues(t, value, v, "a new semaphore starts at its value")
			}
			require.NoError(t, s.Close())
			if prefixed {
				require.NoError(t, posix.UnlinkSemaphore(name), "created %q", name)
			}
		}
		if rejectedBeforeC(t, name, flag, err) {
			return
		}
		path, want := glibcShmPath(name, true)
		if want == 0 {
			want = semOracle(t, path, int(flag), value)
		}
		require.Equalf(t, want, got, "sem_open(%q, %#x, %#o, %d): libcipc %v", name, flag, mode, value, err)

		if !prefixed {
			return
		}
		uerr := posix.UnlinkSemaphore(name)
		require.Equalf(t, unlinkOracle(t, path), errnoOf(t, uerr), "sem_unlink(%q): %v", name, uerr)
	})
}

func semOracle(t *testing.T, path string, flag int, value uint32) unix.Errno {
	if flag&unix.O_CREAT == 0 || flag&unix.O_EXCL == 0 {
		fd, err := unix.Open(path, flag&^(unix.O_CREAT|unix.O_ACCMODE)|unix.O_NOFOLLOW|unix.O_RDWR, 0)
		if err == nil {
			defer unix.Close(fd)
			var st unix.Stat_t
			require.NoError(t, unix.Fstat(fd, &st))
			b, merr := unix.Mmap(fd, 0, posix.SizeofSem, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
			if merr != nil {
				return rawErrno(t, merr)
			}
			unix.Munmap(b)
			if st.Size == 0 {
				return unix.EFAULT // SEMANTICS.md: libcipc refuses instead of SIGBUS later
			}
			return 0
		}
		if flag&unix.O_CREAT == 0 || !errors.Is(err, unix.ENOENT) {
			return rawErrno(t, err)
		}
	}
	if value > 0x7fffffff { // SEM_VALUE_MAX
		return unix.EINVAL
	}
	if len(path)-len("/dev/shm/") > 255 { // link(2) of the new file into place
		return unix.ENAMETOOLONG
	}
	return 0
}

// rawMQOpen is glibc 2.36 mq_open: name[0] must be '/', then the system call
// with name+1 (mode and attr only with O_CREAT).
func rawMQOpen(name string, flag int, mode uint32, attr *[4]int64) (int, unix.Errno) {
	if name == "" || name[0] != '/' {
		return -1, unix.EINVAL
	}
	p, err := unix.BytePtrFromString(name[1:])
	if err != nil {
		return -1, unix.EINVAL
	}
	var a uintptr
	if flag&unix.O_CREAT == 0 {
		mode, attr = 0, nil
	}
	if attr != nil {
		a = uintptr(unsafe.Pointer(attr))
	}
	fd, _, e := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(p)), uintptr(flag), uintptr(mode), a, 0, 0)
	runtime.KeepAlive(attr)
	if e != 0 {
		return -1, e
	}
	return int(fd), 0
}

func rawMQUnlink(name string) unix.Errno {
	if name == "" || name[0] != '/' {
		return unix.ENOENT
	}
	p, err := unix.BytePtrFromString(name[1:])
	if err != nil {
		return unix.EINVAL
	}
	_, _, e := unix.Syscall(unix.SYS_MQ_UNLINK, uintptr(unsafe.Pointer(p)), 0, 0)
	return e
}

// FuzzMQ: mq_open names, flags, modes and attributes; then on a queue it
// created, mq_send with a fuzzed priority and message, mq_receive into a
// fuzzed buffer and mq_getattr; all against the raw system calls on a second
// queue made the same way.
func FuzzMQ(f *testing.F) {
	c := int64(unix.O_RDWR | unix.O_CREAT)
	f.Add(uint8(1), "q", true, c, uint32(0o600), true, int64(4), int64(64), uint64(0), []byte("hi"), uint16(64))
	f.Add(uint8(1), "q", true, c|unix.O_EXCL, uint32(0o600), true, int64(10), int64(8192), uint64(posix.MQPrioMax-1), []byte("hi"), uint16(8192))
	f.Add(uint8(1), "q", true, c, uint32(0o600), true, int64(1), int64(64), uint64(posix.MQPrioMax), []byte("x"), uint16(64))
	f.Add(uint8(1), "q", true, c, uint32(0o600), true, int64(1), int64(64), uint64(1)<<32, []byte("x"), uint16(64))
	f.Add(uint8(1), "q", true, c, uint32(0o600), true, int64(1), int64(4), uint64(0), []byte("12345"), uint16(64))
	f.Add(uint8(1), "q", true, c, uint32(0o600), true, int64(1), int64(64), uint64(7), []byte("x"), uint16(63))
	f.Add(uint8(1), "q", true, c, uint32(0o600), true, int64(0), int64(64), uint64(0), []byte{}, uint16(64))
	f.Add(uint8(1), "q", true, c, uint32(0o600), true, int64(11), int64(64), uint64(0), []byte{}, uint16(64))
	f.Add(uint8(1), "q", true, c, uint32(0o600), true, int64(1), int64(8193), uint64(0), []byte{}, uint16(64))
	f.Add(uint8(1), "q", true, c, uint32(0o600), true, int64(-1), int64(-1), uint64(0), []byte{}, uint16(64))
	f.Add(uint8(1), "q", true, c, uint32(0o600), true, int64(1)<<62, int64(1)<<62, uint64(0), []byte{}, uint16(64))
	f.Add(uint8(1), "q", true, int64(unix.O_WRONLY|unix.O_CREAT), uint32(0o600), false, int64(0), int64(0), uint64(1), []byte("w"), uint16(9000))
	f.Add(uint8(1), "q", true, int64(unix.O_RDONLY|unix.O_CREAT|unix.O_NONBLOCK), uint32(0o600), false, int64(0), int64(0), uint64(1), []byte("r"), uint16(9000))
	f.Add(uint8(1), "q", true, int64(unix.O_ACCMODE|unix.O_CREAT), uint32(0o600), false, int64(0), int64(0), uint64(0), []byte{}, uint16(0))
	f.Add(uint8(0), "q", true, c, uint32(0o600), false, int64(0), int64(0), uint64(0), []byte{}, uint16(0))
	f.Add(uint8(2), "q", true, c, uint32(0o600), false, int64(0), int64(0), uint64(0), []byte{}, uint16(0))
	f.Add(uint8(1), "q/r", true, c, uint32(0o600), false, int64(0), int64(0), uint64(0), []byte{}, uint16(0))
	f.Add(uint8(1), strings.Repeat("m", 240), true, c, uint32(0o600), false, int64(0), int64(0), uint64(0), []byte{}, uint16(0))
	f.Add(uint8(1), "q\x00", true, c, uint32(0o600), false, int64(0), int64(0), uint64(0), []byte{}, uint16(0))
	f.Add(uint8(1), "", false, int64(0), uint32(0), false, int64(0), int64(0), uint64(0), []byte{}, uint16(0))
	f.Add(uint8(1), "libcipc-fuzz-none", false, int64(unix.O_NONBLOCK), uint32(0), false, int64(0), int64(0), uint64(0), []byte{}, uint16(0))
	f.Fuzz(func(t *testing.T, slashes uint8, suffix string, prefixed bool, flag int64, mode uint32,
		hasAttr bool, maxmsg, msgsize int64, prio uint64, msg []byte, rcvLen uint16) {
		name := fuzzName(slashes, suffix, prefixed)
		if !prefixed {
			flag = flag&^unsafeOpenFlags | unix.O_NONBLOCK
		}
		var attr *posix.MQAttr
		var rawAttr *[4]int64
		if hasAttr {
			attr = &posix.MQAttr{MaxMsg: maxmsg, MsgSize: msgsize}
			rawAttr = &[4]int64{0, maxmsg, msgsize, 0}
		}
		// Nothing may be left: the name must not name a queue afterwards.
		defer func() {
			if !prefixed {
				return
			}
			if fd, e := rawMQOpen(name, unix.O_RDONLY, 0, nil); e == 0 {
				unix.Close(fd)
				rawMQUnlink(name)
				t.Fatalf("queue %q exists after the input", name)
			}
		}()

		type step struct {
			errno  unix.Errno
			n      int
			prio   uint
			data   []byte
			attr   [3]int64
			opened bool
		}
		var api, raw [4]step // open, send, receive, attr

		q, err := posix.OpenMessageQueue(name, int(flag), mode, attr)
		api[0].errno = errnoOf(t, err)
		if err == nil && prefixed {
			serr := q.SendTimeout(msg, uint(prio), 100*time.Millisecond)
			api[1].errno = errnoOf(t, serr)
			if serr == nil {
				buf := make([]byte, rcvLen)
				n, p, rerr := q.ReceiveTimeout(buf, 100*time.Millisecond)
				api[2] = step{errno: errnoOf(t, rerr), n: n, prio: p, data: buf[:n]}
			}
			a, aerr := q.Attr()
			api[3].errno = errnoOf(t, aerr)
			api[3].attr = [3]int64{a.MaxMsg, a.MsgSize, a.CurMsgs}
			if aerr == nil {
				assert.Equal(t, flag&unix.O_NONBLOCK != 0, a.Flags&unix.O_NONBLOCK != 0, "Attr reports the user's O_NONBLOCK")
			}
			require.NoError(t, posix.UnlinkMessageQueue(name))
		}
		if err == nil {
			api[0].opened = true
			require.NoError(t, q.Close())
		}
		if rejectedBeforeC(t, name, flag, err) {
			return
		}

		fd, e := rawMQOpen(name, int(flag)|unix.O_NONBLOCK, mode, rawAttr)
		raw[0].errno = e
		if e == 0 {
			raw[0].opened = true
		}
		if e == 0 && prefixed {
			if prio > 1<<32-1 {
				raw[1].errno = unix.EINVAL // SEMANTICS.md: C's unsigned cannot hold it
			} else {
				var mp *byte
				if len(msg) > 0 {
					mp = &msg[0]
				}
				_, _, raw[1].errno = unix.Syscall6(unix.SYS_MQ_TIMEDSEND, uintptr(fd), uintptr(unsafe.Pointer(mp)), uintptr(len(msg)), uintptr(prio), 0, 0)
			}
			if raw[1].errno == 0 {
				buf := make([]byte, rcvLen)
				var bp *byte
				if len(buf) > 0 {
					bp = &buf[0]
				}
				var p uint32
				n, _, e := unix.Syscall6(unix.SYS_MQ_TIMEDRECEIVE, uintptr(fd), uintptr(unsafe.Pointer(bp)), uintptr(len(buf)), uintptr(unsafe.Pointer(&p)), 0, 0)
				raw[2].errno = e
				if e == 0 {
					raw[2].n, raw[2].prio, raw[2].data = int(n), uint(p), buf[:n]
				} else {
					raw[2].data = buf[:0]
				}
			}
			var a [4]int64
			_, _, raw[3].errno = unix.Syscall(unix.SYS_MQ_GETSETATTR, uintptr(fd), 0, uintptr(unsafe.Pointer(&a)))
			raw[3].attr = [3]int64{a[1], a[2], a[3]}
			require.Zero(t, rawMQUnlink(name))
		}
		if e == 0 {
			unix.Close(fd)
		}
		if api[2].data == nil && raw[2].data != nil {
			api[2].data = []byte{}
		}
		if raw[2].data == nil && api[2].data != nil {
			raw[2].data = []byte{}
		}
		require.Equalf(t, raw, api, "mq %q flag %#x mode %#o attr %v prio %d msg %d bytes rcv %d", name, flag, mode, rawAttr, prio, len(msg), rcvLen)
	})
}

// mmapMask drops the mmap flags a fuzzed mapping must not have: MAP_FIXED and
// MAP_FIXED_NOREPLACE (no address is passed anyway), MAP_POPULATE and
// MAP_LOCKED (huge lengths would fill memory), MAP_GROWSDOWN, MAP_HUGETLB and
// its size bits.
const mmapMask = unix.MAP_FIXED | unix.MAP_FIXED_NOREPLACE | unix.MAP_POPULATE | unix.MAP_LOCKED |
	unix.MAP_GROWSDOWN | unix.MAP_HUGETLB | 0x3f<<26

// FuzzShmMap: ftruncate sizes, mmap offsets, lengths, protections and flags
// against the same calls on a raw descriptor; then ReadAt, WriteAt and an
// atomic load at a fuzzed offset of the libcipc mapping, whose outcome
// (EINVAL outside, io.EOF/ErrShortWrite at the end, EFAULT where the page is
// not backed or not accessible, never a crash) is computed from the sizes.
func FuzzShmMap(f *testing.F) {
	pg := int64(os.Getpagesize())
	rwS := int64(unix.PROT_READ | unix.PROT_WRITE)
	sh := int64(unix.MAP_SHARED)
	f.Add(pg, int64(0), pg, rwS, sh, false, int64(0), uint16(16))
	f.Add(pg, int64(0), 3*pg, rwS, sh, false, pg+8, uint16(16)) // past the object's end: EFAULT
	f.Add(int64(100), int64(0), pg, rwS, sh, false, int64(90), uint16(16))
	f.Add(pg, int64(1), pg, rwS, sh, false, int64(0), uint16(1))
	f.Add(pg, pg-1, pg, rwS, sh, false, int64(0), uint16(1))
	f.Add(pg, -pg, pg, rwS, sh, false, int64(0), uint16(1))
	f.Add(pg, int64(0), int64(0), rwS, sh, false, int64(0), uint16(1))
	f.Add(pg, int64(0), int64(-1), rwS, sh, false, int64(0), uint16(1))
	f.Add(int64(-1), int64(0), pg, rwS, sh, false, int64(0), uint16(1))
	f.Add(int64(1)<<62, int64(0), pg, rwS, sh, false, int64(0), uint16(1))
	f.Add(pg, int64(0), pg, int64(unix.PROT_READ), sh, true, int64(0), uint16(8))
	f.Add(pg, int64(0), pg, rwS, sh, true, int64(0), uint16(8)) // EACCES
	f.Add(pg, int64(0), pg, int64(unix.PROT_NONE), sh, false, int64(0), uint16(8))
	f.Add(pg, int64(0), pg, int64(unix.PROT_WRITE), int64(unix.MAP_PRIVATE), false, pg-4, uint16(8))
	f.Add(pg, int64(0), pg, rwS, int64(unix.MAP_SHARED_VALIDATE|0x100000000), false, int64(0), uint16(8))
	f.Add(pg, int64(0), pg, rwS, int64(unix.MAP_SHARED_VALIDATE|unix.MAP_SYNC), false, int64(0), uint16(8))
	f.Add(pg, int64(0), pg, rwS|1<<35, sh, false, int64(0), uint16(8))
	f.Add(pg, int64(0), pg, int64(0x7f), sh, false, int64(0), uint16(8))
	f.Add(pg, int64(0), int64(1)<<45, rwS, sh|unix.MAP_NORESERVE, false, pg-2, uint16(8))
	f.Add(pg, int64(0), pg, rwS, int64(unix.MAP_PRIVATE|unix.MAP_ANONYMOUS), false, pg, uint16(8))
	f.Add(pg, int64(0), pg, rwS, int64(0), false, int64(0), uint16(8))
	f.Add(2*pg, pg, pg, rwS, sh, false, int64(-1), uint16(8))
	f.Fuzz(func(t *testing.T, size, off, length, prot, flags int64, ro bool, rwOff int64, n uint16) {
		defer checkNoLeftovers(t)
		flags &^= mmapMask
		nameA := "/" + fuzzPrefix + "mapA"
		pathB := "/dev/shm/" + fuzzPrefix + "mapB"
		a, err := posix.OpenSharedMemory(nameA, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
		require.NoError(t, err)
		defer func() { require.NoError(t, posix.UnlinkSharedMemory(nameA)) }()
		defer a.Close()
		fdB, err := unix.Open(pathB, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		require.NoError(t, err)
		defer func() { require.NoError(t, unix.Unlink(pathB)) }()
		defer unix.Close(fdB)

		// ftruncate: both descriptors read-write here.
		got := errnoOf(t, a.Truncate(size))
		require.Equalf(t, rawErrno(t, unix.Ftruncate(fdB, size)), got, "ftruncate(%d)", size)
		objSize, err := a.Size()
		require.NoError(t, err)

		if ro { // map through read-only descriptors
			require.NoError(t, a.Close())
			a, err = posix.OpenSharedMemory(nameA, unix.O_RDONLY, 0)
			require.NoError(t, err)
			defer a.Close()
			unix.Close(fdB)
			fdB, err = unix.Open(pathB, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			require.NoError(t, err)
			got := errnoOf(t, a.Truncate(size))
			require.Equalf(t, rawErrno(t, unix.Ftruncate(fdB, size)), got, "ftruncate(%d) read-only", size)
		}

		switch {
		case length < 0:
			_, err := a.Map(off, int(length), int(prot), int(flags))
			requireGoReject(t, err, "a negative length")
			return
		case !fitsCInt(prot) || !fitsCInt(flags):
			_, err := a.Map(off, int(length), int(prot), int(flags))
			requireGoReject(t, err, "prot or flags over 32 bits")
			return
		}
		// The raw mapping first, and gone before libcipc's: a huge one takes
		// much of the address space.
		addr, _, e := unix.Syscall6(unix.SYS_MMAP, 0, uintptr(length), uintptr(prot), uintptr(flags), uintptr(fdB), uintptr(off))
		if e == 0 {
			_, _, ue := unix.Syscall(unix.SYS_MUNMAP, addr, uintptr(length), 0)
			require.Zero(t, ue)
		}
		m, err := a.Map(off, int(length), int(prot), int(flags))
		if m != nil {
			defer func() { require.NoError(t, m.Unmap()) }()
		}
		require.Equalf(t, e, errnoOf(t, err), "mmap(len %d, prot %#x, flags %#x, off %d) of a %d-byte object", length, prot, flags, off, objSize)
		if err != nil {
			return
		}
		require.Equal(t, int(length), m.Len())

		// Bytes of the mapping backed by the object: whole pages up to its end.
		acc := length
		if flags&unix.MAP_ANONYMOUS == 0 {
			acc = min(length, max(0, (objSize+pg-1)/pg*pg-off))
		}
		readable := prot&(unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC) != 0
		writable := prot&unix.PROT_WRITE != 0
		buf := bytes.Repeat([]byte{0xa5}, int(n))
		for _, write := range []bool{false, true} {
			var nn int
			var err error
			if write {
				nn, err = m.WriteAt(buf, rwOff)
			} else {
				nn, err = m.ReadAt(buf, rwOff)
			}
			what := fmt.Sprintf("write=%v %d bytes at %d of a %d-byte mapping (%d backed, prot %#x)", write, n, rwOff, length, acc, prot)
			if rwOff < 0 || rwOff > length {
				requireGoReject(t, err, what)
				continue
			}
			want := min(int64(n), length-rwOff)
			ok := readable && (!write || writable)
			switch {
			case want == 0:
			case !ok:
				require.Equalf(t, unix.EFAULT, errnoOf(t, err), "%s: %v", what, err)
				require.Zero(t, nn, what)
				continue
			case rwOff+want > acc:
				require.Equalf(t, unix.EFAULT, errnoOf(t, err), "%s: %v", what, err)
				require.LessOrEqual(t, int64(nn), max(0, acc-rwOff), what)
				continue
			}
			require.EqualValues(t, want, nn, what)
			switch {
			case want == int64(n):
				require.NoError(t, err, what)
			case write:
				require.ErrorIs(t, err, io.ErrShortWrite, what)
				require.IsType(t, &posix.Error{}, err, what)
			default:
				require.ErrorIs(t, err, io.EOF, what)
			}
		}
		// An atomic where the mapping is backed (past it the race detector's
		// own code would take the fault: SEMANTICS.md).
		if rwOff+4 <= acc || rwOff < 0 || rwOff+4 > length {
			_, err := m.LoadUint32(int(rwOff))
			switch {
			case rwOff < 0 || rwOff+4 > length || rwOff%4 != 0:
				requireGoReject(t, err, fmt.Sprintf("LoadUint32 at %d of %d", rwOff, length))
			case !readable:
				require.Equal(t, unix.EFAULT, errnoOf(t, err))
			default:
				require.NoError(t, err)
			}
		}
	})
}

// FuzzSysV: semget/msgget/shmget keys, sizes and flags; semop arrays
// (sem_num, sem_op, sem_flg) on a set with fuzzed values; msgsnd/msgrcv types,
// sizes and flags; each against the same system call on an identical
// IPC_PRIVATE object. Operations that could block are made IPC_NOWAIT (or
// bounded with SemTimedOp).
func FuzzSysV(f *testing.F) {
	op := func(num uint16, o, flg int16) []byte {
		return binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, num), uint16(o)), uint16(flg))
	}
	cat := func(bs ...[]byte) []byte { return slices.Concat(bs...) }
	f.Add(int32(0), int64(2), int64(0o600), []byte{1, 2}, cat(op(0, -1, 0), op(1, 1, 0)), false, int64(1), int64(0), []byte("m"), int64(0), uint16(16), int64(4096))
	f.Add(int32(0), int64(1), int64(0o600), []byte{0}, op(0, -1, 0), true, int64(1), int64(0), []byte("m"), int64(2), uint16(16), int64(0))
	f.Add(int32(0), int64(1), int64(0o600), []byte{0}, op(0, 0, 0), true, int64(0), int64(0), []byte{}, int64(0), uint16(0), int64(-1))
	f.Add(int32(0), int64(1), int64(0o600), []byte{0}, op(5, 1, 0), false, int64(-1), int64(0), []byte("m"), int64(-1), uint16(1), int64(1)<<40)
	f.Add(int32(0), int64(1), int64(0o600), []byte{0}, op(0, 32767, 0), false, int64(1), int64(unix.IPC_NOWAIT), bytes.Repeat([]byte("z"), 9000), int64(1), uint16(9000), int64(1))
	f.Add(int32(0), int64(1), int64(0o600), []byte{0}, cat(op(0, 32767, 0), op(0, 32767, 0)), false, int64(1), int64(0), []byte("m"), int64(1), uint16(0), int64(1))
	f.Add(int32(0), int64(1), int64(0o600), []byte{0}, op(0, 1, 0x1000), false, int64(1), int64(0o10000), []byte("abc"), int64(1), uint16(2), int64(1)) // SEM_UNDO, MSG_NOERROR
	f.Add(int32(0), int64(1), int64(0o600), []byte{0}, []byte{}, false, int64(1), int64(0), []byte("abc"), int64(1), uint16(2), int64(1))
	f.Add(int32(0), int64(1), int64(0o600), []byte{0}, []byte{1, 2, 3}, false, int64(1), int64(0), []byte("abc"), int64(5), uint16(2), int64(1))
	f.Add(int32(0), int64(1), int64(0o600), []byte{0}, op(0, 1, 0), false, int64(3), int64(0), []byte("a"), int64(-5), uint16(8), int64(1))
	f.Add(int32(0), int64(1), int64(0o600), []byte{0}, op(0, 1, 0), false, int64(3), int64(0o40000|unix.IPC_NOWAIT), []byte("a"), int64(0), uint16(8), int64(1)) // MSG_COPY
	f.Add(int32(0), int64(-1), int64(0o600), []byte{0}, op(0, 1, 0), false, int64(1), int64(0), []byte("a"), int64(0), uint16(8), int64(1))
	f.Add(int32(0), int64(1)<<33, int64(1)<<33, []byte{0}, op(0, 1, 0), false, int64(1)<<40, int64(1)<<40, []byte("a"), int64(1)<<40, uint16(8), int64(1))
	f.Add(int32(0x5eed1e55), int64(1), int64(0), []byte{0}, op(0, 1, 0), false, int64(1), int64(0), []byte("a"), int64(0), uint16(8), int64(1))
	f.Add(int32(-1), int64(1), int64(0o600|unix.IPC_EXCL), []byte{0}, op(0, 1, 0), false, int64(1), int64(0), []byte("a"), int64(0), uint16(8), int64(1))
	f.Fuzz(func(t *testing.T, key int32, nsems, semflg int64, vals, opBytes []byte, timed bool,
		mtype, msgflg int64, data []byte, msgtyp int64, rcvLen uint16, shmSize int64) {
		// semget/msgget with any key, without IPC_CREAT unless the key is
		// IPC_PRIVATE (then both make a new object, removed below).
		flg := semflg
		if key != 0 {
			flg &^= unix.IPC_CREAT
		}
		id, err := posix.SemGet(posix.IPCKey(key), int(nsems), int(flg))
		if err == nil && key == 0 {
			_, err := posix.SemCtl(id, 0, unix.IPC_RMID, 0)
			require.NoError(t, err)
		}
		if !fitsCInt(nsems) || !fitsCInt(flg) {
			requireGoReject(t, err, "nsems or flags over 32 bits")
		} else {
			rid, _, e := unix.Syscall(unix.SYS_SEMGET, uintptr(key), uintptr(nsems), uintptr(flg))
			if e == 0 && key == 0 {
				_, _, e2 := unix.Syscall6(unix.SYS_SEMCTL, rid, 0, unix.IPC_RMID, 0, 0, 0)
				require.Zero(t, e2)
			}
			require.Equalf(t, e, errnoOf(t, err), "semget(%#x, %d, %#o)", key, nsems, flg)
		}
		mid, err := posix.MsgGet(posix.IPCKey(key), int(flg))
		if err == nil && key == 0 {
			require.NoError(t, posix.MsgCtl(mid, unix.IPC_RMID, nil))
		}
		if !fitsCInt(flg) {
			requireGoReject(t, err, "flags over 32 bits")
		} else {
			rid, _, e := unix.Syscall(unix.SYS_MSGGET, uintptr(key), uintptr(flg), 0)
			if e == 0 && key == 0 {
				_, _, e2 := unix.Syscall(unix.SYS_MSGCTL, rid, unix.IPC_RMID, 0)
				require.Zero(t, e2)
			}
			require.Equalf(t, e, errnoOf(t, err), "msgget(%#x, %#o)", key, flg)
		}

		// shmget(IPC_PRIVATE, size, flags): a new segment each time.
		shmflg := semflg &^ 0o4000 // SHM_HUGETLB
		sid, err := posix.ShmGet(posix.IPC_PRIVATE, int(shmSize), int(shmflg))
		if err == nil {
			require.NoError(t, posix.ShmCtl(sid, unix.IPC_RMID, nil))
		}
		switch {
		case shmSize < 0:
			requireGoReject(t, err, "a negative size") // size_t: SEMANTICS.md
		case !fitsCInt(shmflg):
			requireGoReject(t, err, "flags over 32 bits")
		default:
			rid, _, e := unix.Syscall(unix.SYS_SHMGET, 0, uintptr(shmSize), uintptr(shmflg))
			if e == 0 {
				_, _, e2 := unix.Syscall(unix.SYS_SHMCTL, rid, unix.IPC_RMID, 0)
				require.Zero(t, e2)
			}
			require.Equalf(t, e, errnoOf(t, err), "shmget(IPC_PRIVATE, %d, %#o)", shmSize, shmflg)
		}

		// semop on two identical private sets.
		n := len(vals)%8 + 1
		ops := make([]posix.SemBuf, len(opBytes)/6)
		for i := range ops {
			b := opBytes[6*i:]
			ops[i] = posix.SemBuf{Num: binary.LittleEndian.Uint16(b), Op: int16(binary.LittleEndian.Uint16(b[2:])), Flg: int16(binary.LittleEndian.Uint16(b[4:]))}
			if !timed {
				ops[i].Flg |= unix.IPC_NOWAIT
			}
		}
		init := make([]uint16, n)
		for i := range init {
			if i < len(vals) {
				init[i] = uint16(vals[i]) * 3
			}
		}
		ids := [2]int{}
		for i := range ids {
			id, err := posix.SemGet(posix.IPC_PRIVATE, n, 0o600)
			require.NoError(t, err)
			ids[i] = id
			defer func() {
				_, err := posix.SemCtl(id, 0, unix.IPC_RMID, 0)
				require.NoError(t, err)
			}()
			require.NoError(t, posix.SemCtlAll(id, posix.SETALL, init))
		}
		if timed {
			err = posix.SemTimedOp(ids[0], ops, time.Millisecond)
		} else {
			err = posix.SemOp(ids[0], ops)
		}
		var opsPtr unsafe.Pointer
		if len(ops) > 0 {
			opsPtr = unsafe.Pointer(&ops[0])
		}
		ts := unix.Timespec{Nsec: int64(time.Millisecond)}
		var tsp uintptr
		if timed {
			tsp = uintptr(unsafe.Pointer(&ts))
		}
		e := unix.EINTR
		for e == unix.EINTR { // the Go runtime's signals (SIGURG) interrupt the raw call; libcipc retries
			_, _, e = unix.Syscall6(unix.SYS_SEMTIMEDOP, uintptr(ids[1]), uintptr(opsPtr), uintptr(len(ops)), tsp, 0, 0)
		}
		require.Equalf(t, e, errnoOf(t, err), "semop %d ops %v on %v (timed %v)", len(ops), ops, init, timed)
		var after [2][]uint16
		for i, id := range ids {
			after[i] = make([]uint16, n)
			require.NoError(t, posix.SemCtlAll(id, posix.GETALL, after[i]))
		}
		require.Equal(t, after[1], after[0], "values after semop")

		// msgsnd/msgrcv on two private queues, never blocking.
		var mids [2]int
		for i := range mids {
			id, err := posix.MsgGet(posix.IPC_PRIVATE, 0o600)
			require.NoError(t, err)
			mids[i] = id
			defer func() { require.NoError(t, posix.MsgCtl(id, unix.IPC_RMID, nil)) }()
		}
		sflg := msgflg | unix.IPC_NOWAIT
		serr := posix.MsgSnd(mids[0], int(mtype), data, int(sflg))
		buf := make([]byte, 8+len(data))
		binary.LittleEndian.PutUint64(buf, uint64(mtype))
		copy(buf[8:], data)
		if !fitsCInt(sflg) {
			requireGoReject(t, serr, "msgsnd flags over 32 bits")
			return
		}
		_, _, e = unix.Syscall6(unix.SYS_MSGSND, uintptr(mids[1]), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(data)), uintptr(sflg), 0, 0)
		require.Equalf(t, e, errnoOf(t, serr), "msgsnd(mtype %d, %d bytes, %#o)", mtype, len(data), sflg)

		rbuf := make([]byte, rcvLen)
		nn, mt, rerr := posix.MsgRcv(mids[0], rbuf, int(msgtyp), int(sflg))
		raw := make([]byte, 8+int(rcvLen))
		rn, _, e := unix.Syscall6(unix.SYS_MSGRCV, uintptr(mids[1]), uintptr(unsafe.Pointer(&raw[0])), uintptr(rcvLen), uintptr(msgtyp), uintptr(sflg), 0)
		require.Equalf(t, e, errnoOf(t, rerr), "msgrcv(%d bytes, msgtyp %d, %#o)", rcvLen, msgtyp, sflg)
		if e == 0 {
			require.Equal(t, int(rn), nn)
			require.Equal(t, int(int64(binary.LittleEndian.Uint64(raw))), mt)
			require.Equal(t, raw[8:8+rn], rbuf[:nn])
		}
	})
}

// FuzzFileLock: fcntl record locks (type, whence, start, len, pid; F_GETLK,
// F_SETLK and the OFD forms), flock operations and lockf commands and lengths,
// against the same calls on a second file (lockf as glibc 2.36 builds it from
// fcntl). Locks are only this process's, so nothing blocks.
func FuzzFileLock(f *testing.F) {
	f.Add(uint8(0), int16(unix.F_WRLCK), int16(io.SeekStart), int64(0), int64(10), int32(0), int64(unix.LOCK_EX), int64(unix.F_TLOCK), int64(10), int64(0))
	f.Add(uint8(1), int16(unix.F_RDLCK), int16(io.SeekEnd), int64(-5), int64(5), int32(0), int64(unix.LOCK_SH|unix.LOCK_NB), int64(unix.F_TEST), int64(-1), int64(100))
	f.Add(uint8(2), int16(unix.F_WRLCK), int16(io.SeekCurrent), int64(-1), int64(1), int32(0), int64(unix.LOCK_UN), int64(unix.F_ULOCK), int64(0), int64(3))
	f.Add(uint8(3), int16(unix.F_WRLCK), int16(io.SeekStart), int64(0), int64(0), int32(1), int64(0), int64(unix.F_LOCK), int64(5), int64(0))
	f.Add(uint8(0), int16(7), int16(9), int64(0), int64(0), int32(0), int64(1)<<40, int64(99), int64(0), int64(0))
	f.Add(uint8(0), int16(unix.F_WRLCK), int16(io.SeekStart), int64(1)<<62, int64(1)<<62, int32(0), int64(-1), int64(-1), int64(-1)<<62, int64(0))
	f.Add(uint8(1), int16(unix.F_UNLCK), int16(io.SeekStart), int64(-1), int64(0), int32(0), int64(unix.LOCK_EX|unix.LOCK_SH), int64(unix.F_LOCK), int64(-10), int64(4))
	f.Add(uint8(4), int16(unix.F_WRLCK), int16(io.SeekEnd), int64(0), int64(-9223372036854775808), int32(0), int64(0), int64(unix.F_TLOCK), int64(1<<63-1), int64(1)<<62)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, cmdSel uint8, typ, whence int16, start, length int64, pid int32, how, lockfCmd, lockfLen, pos int64) {
		var fds [2]int
		for i := range fds {
			fd, err := unix.Open(fmt.Sprintf("%s/f%d", dir, i), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
			require.NoError(t, err)
			defer unix.Close(fd)
			fds[i] = fd
			if pos > 0 && pos < 1<<20 {
				_, err := unix.Seek(fd, pos, io.SeekStart)
				require.NoError(t, err)
			}
		}
		cmds := []int32{unix.F_GETLK, unix.F_SETLK, unix.F_OFD_GETLK, unix.F_OFD_SETLK}
		cmd := cmds[int(cmdSel)%len(cmds)]
		l := posix.FileLock{Type: typ, Whence: whence, Start: start, Len: length, Pid: pid}
		var err error
		switch cmd {
		case unix.F_GETLK:
			err = posix.GetLock(fds[0], &l)
		case unix.F_SETLK:
			err = posix.SetLock(fds[0], &l)
		case unix.F_OFD_GETLK:
			err = posix.OFDGetLock(fds[0], &l)
		case unix.F_OFD_SETLK:
			err = posix.OFDSetLock(fds[0], &l)
		}
		rl := unix.Flock_t{Type: typ, Whence: whence, Start: start, Len: length, Pid: pid}
		rerr := unix.FcntlFlock(uintptr(fds[1]), int(cmd), &rl)
		require.Equalf(t, rawErrno(t, rerr), errnoOf(t, err), "fcntl(%d, %+v): %v", cmd, rl, err)
		require.Equal(t, posix.FileLock{Type: rl.Type, Whence: rl.Whence, Start: rl.Start, Len: rl.Len, Pid: rl.Pid}, l)

		err = posix.Flock(fds[0], int(how))
		if !fitsCInt(how) {
			requireGoReject(t, err, "flock operation over 32 bits")
		} else {
			require.Equalf(t, rawErrno(t, unix.Flock(fds[1], int(how))), errnoOf(t, err), "flock(%#x)", how)
		}

		// F_LOCK waits (for ever, in C) when the OFD lock above holds the
		// range: bounded here, and the oracle asks F_SETLK instead.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		err = posix.LockfContext(ctx, fds[0], int(lockfCmd), lockfLen)
		if !fitsCInt(lockfCmd) {
			requireGoReject(t, err, "lockf command over 32 bits")
			return
		}
		want := glibcLockf(t, fds[1], int(lockfCmd), lockfLen)
		if lockfCmd == unix.F_LOCK && (want == unix.EAGAIN || want == unix.EACCES) {
			require.ErrorIsf(t, err, context.DeadlineExceeded, "lockf(F_LOCK, %d) on a held range waits", lockfLen)
			require.IsType(t, &posix.Error{}, err)
			return
		}
		require.Equalf(t, want, errnoOf(t, err), "lockf(%d, %d)", lockfCmd, lockfLen)
	})
}

// glibcLockf is glibc 2.36 lockf64: an fcntl lock from the current position
// (F_LOCK asked as F_SETLK: EAGAIN means it would wait).
func glibcLockf(t *testing.T, fd, cmd int, length int64) unix.Errno {
	fl := unix.Flock_t{Whence: io.SeekCurrent, Len: length}
	switch cmd {
	case unix.F_TEST:
		fl.Type = unix.F_RDLCK
		if err := unix.FcntlFlock(uintptr(fd), unix.F_GETLK, &fl); err != nil {
			return rawErrno(t, err)
		}
		if fl.Type == unix.F_UNLCK || int(fl.Pid) == os.Getpid() {
			return 0
		}
		return unix.EACCES
	case unix.F_ULOCK:
		fl.Type = unix.F_UNLCK
		return rawErrno(t, unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &fl))
	case unix.F_LOCK:
		fl.Type = unix.F_WRLCK
		return rawErrno(t, unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &fl))
	case unix.F_TLOCK:
		fl.Type = unix.F_WRLCK
		return rawErrno(t, unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &fl))
	}
	return unix.EINVAL
}

// FuzzSignalArgs: signal numbers and pids for kill and sigqueue (signal 0 or
// an invalid number only: nothing is ever delivered), the signal list of
// NewSignalReceiver, and pthread_sigmask's how and set (on a locked thread,
// mask restored), against the system calls and glibc's rules.
func FuzzSignalArgs(f *testing.F) {
	self := int64(os.Getpid())
	f.Add(self, int64(0), uint64(7), int64(unix.SIG_BLOCK), []byte{10, 12})
	f.Add(self, int64(65), uint64(0), int64(unix.SIG_UNBLOCK), []byte{10})
	f.Add(self, int64(-1), uint64(0), int64(unix.SIG_SETMASK), []byte{32, 33, 34})
	f.Add(int64(0), int64(0), uint64(0), int64(3), []byte{64, 65})
	f.Add(int64(-1), int64(1)<<33, uint64(0), int64(1)<<33, []byte{0})
	f.Add(int64(1)<<40, int64(0), uint64(0), int64(unix.SIG_BLOCK), []byte{})
	f.Add(int64(-2147483648), int64(0), uint64(0), int64(-1), []byte{10, 10})
	f.Add(int64(999999999), int64(0), uint64(0), int64(unix.SIG_BLOCK), []byte{9, 19, 23, 27})
	f.Fuzz(func(t *testing.T, pid, sig int64, value uint64, how int64, sigList []byte) {
		if sig > 0 && sig <= 64 {
			sig = 0 // never deliver a signal
		}
		err := posix.Kill(int(pid), unix.Signal(sig))
		if !fitsCInt(pid) || !fitsCInt(sig) {
			requireGoReject(t, err, "pid or signal over 32 bits")
		} else {
			_, _, e := unix.Syscall(unix.SYS_KILL, uintptr(pid), uintptr(sig), 0)
			require.Equalf(t, e, errnoOf(t, err), "kill(%d, %d)", pid, sig)
			err = posix.Sigqueue(int(pid), unix.Signal(sig), uintptr(value))
			var info [128]byte
			binary.LittleEndian.PutUint32(info[0:], uint32(sig))
			binary.LittleEndian.PutUint32(info[8:], uint32(0xffffffff)) // si_code SI_QUEUE
			binary.LittleEndian.PutUint32(info[16:], uint32(os.Getpid()))
			binary.LittleEndian.PutUint32(info[20:], uint32(os.Getuid()))
			binary.LittleEndian.PutUint64(info[24:], value)
			_, _, e = unix.Syscall(unix.SYS_RT_SIGQUEUEINFO, uintptr(pid), uintptr(sig), uintptr(unsafe.Pointer(&info)))
			require.Equalf(t, e, errnoOf(t, err), "sigqueue(%d, %d)", pid, sig)
		}

		sigs := make([]unix.Signal, len(sigList))
		for i, b := range sigList {
			sigs[i] = unix.Signal(int8(b))
		}
		sr, err := posix.NewSignalReceiver(sigs...)
		if err == nil {
			require.NoError(t, sr.Close())
		}
		// The first bad signal decides: named twice or not receivable is
		// EINVAL, the one the blocking lock calls reserved (LockSignal, once
		// a lock wait ran in this process) EBUSY.
		var wantRecv unix.Errno
		if len(sigs) == 0 {
			wantRecv = unix.EINVAL
		}
		seen := map[unix.Signal]bool{}
		for _, s := range sigs {
			switch {
			case seen[s] || !(s == unix.SIGUSR1 || s == unix.SIGUSR2 || s >= 34 && s <= 64):
				wantRecv = unix.EINVAL
			case s == posix.LockSignal():
				wantRecv = unix.EBUSY
			}
			if wantRecv != 0 {
				break
			}
			seen[s] = true
		}
		require.Equalf(t, wantRecv, errnoOf(t, err), "NewSignalReceiver(%v): %v", sigs, err)

		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var before unix.Sigset_t
		require.NoError(t, unix.PthreadSigmask(unix.SIG_SETMASK, nil, &before))
		defer func() { require.NoError(t, unix.PthreadSigmask(unix.SIG_SETMASK, &before, nil)) }()
		set := sigs
		if len(sigList)%3 == 1 {
			set = nil // query only
		}
		old, err := posix.PthreadSigmask(int(how), set)
		var now unix.Sigset_t
		require.NoError(t, unix.PthreadSigmask(unix.SIG_SETMASK, nil, &now))
		var m uint64
		inRange := true
		for _, s := range set {
			if s < 1 || s > 64 {
				inRange = false
				break
			}
			if s != 32 && s != 33 { // glibc leaves SIGCANCEL and SIGSETXID alone
				m |= 1 << (s - 1)
			}
		}
		want := before.Val[0]
		switch {
		case !fitsCInt(how) || !inRange:
			requireGoReject(t, err, fmt.Sprintf("pthread_sigmask(%d, %v)", how, set))
		case set == nil:
			require.NoError(t, err)
		case how == unix.SIG_BLOCK:
			want |= m
		case how == unix.SIG_UNBLOCK:
			want &^= m
		case how == unix.SIG_SETMASK:
			want = m
		default:
			require.Equal(t, unix.EINVAL, errnoOf(t, err), "pthread_sigmask how %d", how)
		}
		want &^= 1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1)
		require.Equalf(t, want, now.Val[0], "mask after pthread_sigmask(%d, %v): %v", how, set, err)
		if err == nil {
			var wantOld []unix.Signal
			for i := 1; i <= 64; i++ {
				if before.Val[0]&(1<<(i-1)) != 0 {
					wantOld = append(wantOld, unix.Signal(i))
				}
			}
			require.Equal(t, len(wantOld), len(old))
			if len(wantOld) > 0 {
				require.Equal(t, wantOld, old)
			}
		}
	})
}

// FuzzSpawn: argv and env strings (NUL bytes included) for posix_spawn of
// /bin/true (exit 0) and /usr/bin/printenv -0 (prints the environment it got,
// which must be env exactly), and the signals of SpawnAttr masks. A NUL byte
// is EINVAL before libc (SEMANTICS.md); a signal outside 1..64 too.
func FuzzSpawn(f *testing.F) {
	f.Add("true", "a\x01b", "K=V\x01X=", []byte{10})
	f.Add("", "", "", []byte{})
	f.Add("t\x00", "a", "K=V", []byte{})
	f.Add("true", "a\x00b", "K=V", []byte{})
	f.Add("true", "a", "K=V\x00W", []byte{})
	f.Add("true", "\x01\x01", "=\x01\x01noequals", []byte{0})
	f.Add("true", "-", "K=V", []byte{65, 9})
	f.Fuzz(func(t *testing.T, argv0, args, envs string, sigList []byte) {
		argv := append([]string{argv0}, strings.Split(args, "\x01")...)
		env := strings.Split(envs, "\x01")
		sigs := make([]unix.Signal, len(sigList))
		okSigs := true
		for i, b := range sigList {
			sigs[i] = unix.Signal(int8(b))
			okSigs = okSigs && sigs[i] >= 1 && sigs[i] <= 64
		}
		hasNUL := func(ss []string) bool {
			return slices.ContainsFunc(ss, func(s string) bool { return strings.IndexByte(s, 0) >= 0 })
		}
		wait := func(pid int) unix.WaitStatus {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			wpid, ws, err := posix.WaitpidContext(ctx, pid, 0)
			require.NoError(t, err)
			require.Equal(t, pid, wpid)
			return ws
		}
		pid, err := posix.Spawn("/bin/true", argv, env, &posix.SpawnAttr{SetSigmask: true, Sigmask: sigs, SigDefault: sigs})
		if err == nil {
			ws := wait(pid)
			require.True(t, ws.Exited() && ws.ExitStatus() == 0, "status %v", ws)
		}
		if hasNUL(argv) || hasNUL(env) || !okSigs {
			requireGoReject(t, err, "argv/env with a NUL byte or a bad signal")
			return
		}
		require.NoError(t, err)

		r, w, err := posix.Pipe()
		require.NoError(t, err)
		defer r.Close()
		require.NoError(t, unix.SetNonblock(int(w.Fd()), false))
		pid, err = posix.Spawn("/usr/bin/printenv", []string{"printenv", "-0"}, env,
			&posix.SpawnAttr{Actions: []posix.SpawnAction{posix.SpawnDup2(int(w.Fd()), 1)}})
		w.Close()
		require.NoError(t, err)
		require.NoError(t, r.SetReadDeadline(time.Now().Add(10*time.Second)))
		out, rerr := io.ReadAll(r)
		ws := wait(pid)
		require.NoError(t, rerr)
		require.True(t, ws.Exited() && ws.ExitStatus() == 0, "status %v", ws)
		var want []byte
		for _, e := range env {
			want = append(append(want, e...), 0)
		}
		require.Equal(t, string(want), string(out))
	})
}

// TestMQOpenPathLikeC is the regression test for the first FuzzMQ finding
// (testdata/fuzz/FuzzMQ/43350e18d5e68fdf: flag -27, which holds O_CREAT,
// O_EXCL and O_PATH). In C, mq_open with O_PATH creates the queue and returns
// a descriptor on which mq_getattr and mq_send say EBADF (measured with a C
// program on this glibc). libcipc used to call mq_getattr right after the
// open, fail with its EBADF and leave behind the queue it had just created.
func TestMQOpenPathLikeC(t *testing.T) {
	name := "/" + fuzzPrefix + "opath"
	q, err := posix.OpenMessageQueue(name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_PATH, 0o600, &posix.MQAttr{MaxMsg: 1, MsgSize: 64})
	if err != nil {
		_ = posix.UnlinkMessageQueue(name)
	}
	require.NoError(t, err, "mq_open succeeds in C")
	defer func() { require.NoError(t, posix.UnlinkMessageQueue(name)) }()
	defer q.Close() // on a failure below; the checked Close is last
	_, err = q.Attr()
	require.Equal(t, unix.EBADF, errnoOf(t, err), "mq_getattr")
	require.Equal(t, unix.EBADF, errnoOf(t, q.Send([]byte("x"), 0)), "mq_send")
	_, _, err = q.ReceiveMessage()
	require.Equal(t, unix.EBADF, errnoOf(t, err), "mq_receive")
	require.NoError(t, q.Close())
}

// FuzzSemClockWait: sem_clockwait's clock, tv_sec and tv_nsec on a private
// semaphore at 0 or 1, against glibc 2.36's order (sem_waitcommon.c,
// sem_clockwait.c): a tv_nsec outside [0, 1e9) or a clock other than
// CLOCK_MONOTONIC/CLOCK_REALTIME is EINVAL without touching the semaphore;
// then a unit is taken when there is one; else a deadline that has passed
// (a negative tv_sec included) is ETIMEDOUT. Deadlines more than 50 ms ahead
// on an empty semaphore are not waited for.
func FuzzSemClockWait(f *testing.F) {
	f.Add(uint8(1), int32(unix.CLOCK_MONOTONIC), int64(0), int64(0))
	f.Add(uint8(0), int32(unix.CLOCK_MONOTONIC), int64(0), int64(0))
	f.Add(uint8(0), int32(unix.CLOCK_REALTIME), int64(-1), int64(999999999))
	f.Add(uint8(1), int32(unix.CLOCK_REALTIME), int64(0), int64(1000000000))
	f.Add(uint8(1), int32(unix.CLOCK_MONOTONIC), int64(0), int64(-1))
	f.Add(uint8(1), int32(unix.CLOCK_BOOTTIME), int64(0), int64(0))
	f.Add(uint8(1), int32(-1), int64(0), int64(0))
	f.Add(uint8(0), int32(unix.CLOCK_MONOTONIC), int64(-1)<<62, int64(0))
	f.Add(uint8(0), int32(unix.CLOCK_MONOTONIC), int64(1)<<62, int64(0))
	f.Add(uint8(0), int32(unix.CLOCK_MONOTONIC), int64(0), int64(1)<<40)
	f.Fuzz(func(t *testing.T, value uint8, clock int32, sec, nsec int64) {
		value %= 2
		s, err := posix.NewSemaphore(uint32(value))
		require.NoError(t, err)
		defer func() { require.NoError(t, s.Close()) }()
		validClock := clock == unix.CLOCK_MONOTONIC || clock == unix.CLOCK_REALTIME
		validNsec := nsec >= 0 && nsec < 1e9
		var want unix.Errno
		switch {
		case !validNsec || !validClock:
			want = unix.EINVAL
		case value == 1:
		default:
			var now unix.Timespec
			require.NoError(t, unix.ClockGettime(clock, &now))
			// A deadline in the future is waited for only when it is near.
			if sec > now.Sec+1 || sec >= now.Sec && time.Duration(sec-now.Sec)*time.Second+time.Duration(nsec-now.Nsec) > 50*time.Millisecond {
				return
			}
			want = unix.ETIMEDOUT
		}
		err = s.ClockWait(clock, unix.Timespec{Sec: sec, Nsec: nsec})
		require.Equalf(t, want, errnoOf(t, err), "sem_clockwait(clock %d, {%d, %d}) at value %d: %v", clock, sec, nsec, value, err)
		v, err := s.Value()
		require.NoError(t, err)
		if want == 0 {
			require.Zero(t, v, "a unit was taken")
		} else {
			require.EqualValues(t, value, v, "no unit taken")
		}
	})
}
