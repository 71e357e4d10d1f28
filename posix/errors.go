package posix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Error is the error every libcipc call returns. Op is the libc function the
// call makes ("sem_open", "sem_timedwait"), Name the object's name ("" for calls
// on unnamed objects) and Err the cause: a [unix.Errno] from libc, [os.ErrClosed]
// for a closed handle, [os.ErrInvalid] for a nil handle, or a context error.
//
// Error unwraps to Err, so errors.Is(err, unix.EEXIST), errors.Is(err,
// os.ErrExist), errors.Is(err, os.ErrNotExist) and errors.Is(err,
// os.ErrPermission) work as with the os package. A timed-out wait satisfies
// errors.Is(err, unix.ETIMEDOUT), errors.Is(err, os.ErrDeadlineExceeded) and
// os.IsTimeout(err).
type Error struct {
	Op   string
	Name string
	Err  error
}

// Error reads like the os package: "sem_open /jobs: file exists".
func (e *Error) Error() string {
	s := e.Op
	if e.Name != "" {
		s += " " + quoteName(e.Name)
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the call ran out of time: libc said ETIMEDOUT, or the
// context's deadline passed. Unlike syscall.Errno's Timeout, EAGAIN (a
// non-blocking call that would block) is not a timeout.
func (e *Error) Timeout() bool {
	return e.Err == unix.ETIMEDOUT || errors.Is(e.Err, context.DeadlineExceeded)
}

// Is makes errors.Is(err, os.ErrDeadlineExceeded) true for a timed-out wait, as
// it is for a net.Conn or os.File deadline.
func (e *Error) Is(target error) bool {
	return target == os.ErrDeadlineExceeded && e.Timeout()
}

// quoteName quotes a name only when it would print badly (a NUL byte, control
// characters), so ordinary names read as they are written.
func quoteName(name string) string {
	for _, r := range name {
		if !strconv.IsPrint(r) || r == '"' {
			return strconv.Quote(name)
		}
	}
	return name
}

// argError is the cause of a Go-side rejection: it says what was wrong and
// unwraps to the errno a caller tests for (EINVAL), so errors.Is and errors.As
// with unix.Errno still work.
type argError struct {
	msg   string
	errno unix.Errno
}

func (e *argError) Error() string { return e.msg + ": " + e.errno.Error() }
func (e *argError) Unwrap() error { return e.errno }

// errnoErr turns a shim's -errno into an *Error.
func errnoErr(op, name string, rc int32) error {
	return &Error{Op: op, Name: name, Err: unix.Errno(-rc)}
}

func closedErr(op, name string) error { return &Error{Op: op, Name: name, Err: os.ErrClosed} }

func nilErr(op string) error { return &Error{Op: op, Err: os.ErrInvalid} }

func invalidArg(op, name, msg string) error {
	return &Error{Op: op, Name: name, Err: &argError{msg: msg, errno: unix.EINVAL}}
}

// ErrCgoRequired is the cause every constructor returns in a binary built with
// CGO_ENABLED=0: libcipc calls glibc and cannot work without cgo.
var ErrCgoRequired = errors.New("libcipc requires cgo: this binary was built with CGO_ENABLED=0; rebuild with CGO_ENABLED=1 and a C compiler")

func cgoErr(op, name string) error { return &Error{Op: op, Name: name, Err: ErrCgoRequired} }

// Strerror returns libc's message for errno, from strerror_r(3): the
// thread-safe form (strerror may return a buffer shared by all threads).
func Strerror(errno unix.Errno) string {
	var buf [256]byte
	n := cStrerror(int32(errno), &buf[0], len(buf))
	if n < 0 {
		return errno.Error()
	}
	return string(buf[:n])
}

// cName makes the C string a named call passes to libc, after the checks
// every named call makes: cgo is available, and name holds no NUL byte (C
// would take it as the end of the name). The string is copied into buf without
// allocating; a name too long for buf gets a heap copy, so that libc, not
// libcipc, answers ENAMETOOLONG or EINVAL for it.
func cName(buf *[256]byte, op, name string) (*byte, error) {
	if !cgoEnabled {
		return nil, cgoErr(op, name)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == 0 {
			return nil, invalidArg(op, name, "name contains a NUL byte")
		}
	}
	var b []byte
	if len(name) < len(buf) {
		b = buf[:len(name)+1]
	} else {
		b = make([]byte, len(name)+1)
	}
	copy(b, name)
	b[len(name)] = 0
	return &b[0], nil
}

// cInt checks that v fits in a C int: Go's int is 64-bit, and cutting a
// flag, protection or name to 32 bits would ask libc for something else.
func cInt(op, name, what string, v int) error {
	if int(int32(v)) != v {
		return invalidArg(op, name, fmt.Sprintf("%s %d does not fit in a C int", what, v))
	}
	return nil
}
