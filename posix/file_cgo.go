//go:build cgo

package posix

/*
#include "../include/libcipc.h"
#include <fcntl.h>

// No shim keeps a pointer it is given or calls back into Go; noescape lets
// Go pass the lock request, buffers and paths from its stack.
#cgo noescape libcipc_lock_wait_begin
#cgo nocallback libcipc_lock_wait_begin
#cgo noescape libcipc_lock_wait_loop
#cgo nocallback libcipc_lock_wait_loop
#cgo nocallback libcipc_lock_signal_install
#cgo noescape libcipc_pipe2
#cgo nocallback libcipc_pipe2
#cgo noescape libcipc_mkfifo
#cgo nocallback libcipc_mkfifo

// Hot calls take their buffer's address as an integer (no cgoCheckPointer per
// call, as sync_cgo.go's): the Go side keeps the buffer alive across the call,
// and a goroutine's stack does not move while it is in C.
static inline long pread_u(int fd, uintptr_t p, size_t n, int64_t off) { return libcipc_pread(fd, (void *)p, n, off); }
static inline long pwrite_u(int fd, uintptr_t p, size_t n, int64_t off) { return libcipc_pwrite(fd, (const void *)p, n, off); }
static inline int lock_u(uintptr_t r) { return libcipc_lock((libcipc_lockreq *)r); }
#cgo nocallback pread_u
#cgo nocallback pwrite_u
#cgo nocallback lock_u
#cgo nocallback libcipc_fsync
#cgo nocallback libcipc_fdatasync
*/
import "C"

import (
	"runtime"
	"unsafe"
)

var (
	_ [unsafe.Sizeof(C.libcipc_lockreq{}) - unsafe.Sizeof(cLockReq{})]byte
	_ [unsafe.Sizeof(cLockReq{}) - unsafe.Sizeof(C.libcipc_lockreq{})]byte
	_ [unsafe.Offsetof(C.libcipc_lockreq{}.pid) - unsafe.Offsetof(cLockReq{}.pid)]byte
	_ [unsafe.Offsetof(cLockReq{}.pid) - unsafe.Offsetof(C.libcipc_lockreq{}.pid)]byte
	_ [C.F_OFD_GETLK - fOFDGetLk]byte
	_ [fOFDGetLk - C.F_OFD_GETLK]byte
	_ [C.F_OFD_SETLK - fOFDSetLk]byte
	_ [fOFDSetLk - C.F_OFD_SETLK]byte
	_ [C.F_OFD_SETLKW - fOFDSetLkw]byte
	_ [fOFDSetLkw - C.F_OFD_SETLKW]byte
)

// cLock makes the call r describes; r lives on the caller's stack (or heap)
// and is kept alive across the call.
func cLock(r *cLockReq) int32 {
	rc := int32(C.lock_u(C.uintptr_t(uintptr(unsafe.Pointer(r)))))
	runtime.KeepAlive(r)
	return rc
}

func cLockWaitBegin(r unsafe.Pointer, w *cWait) int32 {
	return int32(C.libcipc_lock_wait_begin((*C.libcipc_lockreq)(r), (*C.libcipc_wait)(unsafe.Pointer(w))))
}

func cLockWaitLoop(r unsafe.Pointer, w *cWait, sliceNs int64, slot int32) int32 {
	return int32(C.libcipc_lock_wait_loop((*C.libcipc_lockreq)(r), (*C.libcipc_wait)(unsafe.Pointer(w)), C.int64_t(sliceNs), C.int(slot)))
}

func cLockSignalInstall(sig int32) int32 { return int32(C.libcipc_lock_signal_install(C.int(sig))) }

func cPread(fd int32, b []byte, off int64) int64 {
	var p uintptr
	if len(b) > 0 {
		p = uintptr(unsafe.Pointer(&b[0]))
	}
	rc := int64(C.pread_u(C.int(fd), C.uintptr_t(p), C.size_t(len(b)), C.int64_t(off)))
	runtime.KeepAlive(b)
	return rc
}

func cPwrite(fd int32, b []byte, off int64) int64 {
	var p uintptr
	if len(b) > 0 {
		p = uintptr(unsafe.Pointer(&b[0]))
	}
	rc := int64(C.pwrite_u(C.int(fd), C.uintptr_t(p), C.size_t(len(b)), C.int64_t(off)))
	runtime.KeepAlive(b)
	return rc
}

func cFsync(fd int32) int32     { return int32(C.libcipc_fsync(C.int(fd))) }
func cFdatasync(fd int32) int32 { return int32(C.libcipc_fdatasync(C.int(fd))) }
func cSync()                    { C.libcipc_sync() }

func cPipe2(fds *[2]int32, flags int32) int32 {
	return int32(C.libcipc_pipe2((*C.int)(unsafe.Pointer(fds)), C.int(flags)))
}

func cMkfifo(path *byte, mode uint32) int32 {
	return int32(C.libcipc_mkfifo((*C.char)(unsafe.Pointer(path)), C.unsigned(mode)))
}
