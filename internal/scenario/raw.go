package scenario

import (
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The pure-Go equivalents of shm_open and mq_open that the differential
// harness (tests/differential_test.go) compares with glibc: what a Go program
// without cgo does. Both drop one leading slash, if there is one, and pass
// the rest on untouched.

// RawShmPath is where a pure-Go program opens the shared memory object name:
// "/dev/shm/" + name without its first slash.
func RawShmPath(name string) string { return "/dev/shm/" + strings.TrimPrefix(name, "/") }

// RawShmOpen is open(2) of RawShmPath(name) with O_CLOEXEC added.
func RawShmOpen(name string, flag int, mode uint32) (int, error) {
	return unix.Open(RawShmPath(name), flag|unix.O_CLOEXEC, mode)
}

// RawShmUnlink is unlink(2) of RawShmPath(name).
func RawShmUnlink(name string) error { return unix.Unlink(RawShmPath(name)) }

// OpenRawMQAttr is mq_open(2) of name without its first slash, with O_CLOEXEC
// added and the attributes {maxmsg, msgsize} when maxmsg >= 0 (NULL
// otherwise, as `mqpeer open`).
func OpenRawMQAttr(name string, flag int, mode uint32, maxmsg, msgsize int64) (RawMQ, error) {
	p, err := unix.BytePtrFromString(strings.TrimPrefix(name, "/"))
	if err != nil {
		return -1, err
	}
	attr := [8]int64{0, maxmsg, msgsize}
	var ap uintptr
	if maxmsg >= 0 {
		ap = uintptr(unsafe.Pointer(&attr))
	}
	fd, _, e := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(p)), uintptr(flag|unix.O_CLOEXEC), uintptr(mode), ap, 0, 0)
	if e != 0 {
		return -1, e
	}
	return RawMQ(fd), nil
}

// RawMQUnlink is mq_unlink(2) of name without its first slash.
func RawMQUnlink(name string) error {
	p, err := unix.BytePtrFromString(strings.TrimPrefix(name, "/"))
	if err != nil {
		return err
	}
	if _, _, e := unix.Syscall(unix.SYS_MQ_UNLINK, uintptr(unsafe.Pointer(p)), 0, 0); e != 0 {
		return e
	}
	return nil
}
