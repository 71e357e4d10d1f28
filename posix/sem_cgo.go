//go:build cgo

package posix

/*
#include "../include/libcipc.h"

// The shims keep no pointer they are given, and none calls back into Go:
// noescape lets Go pass stack buffers (names, wait state) without allocating.
#cgo noescape libcipc_sem_open
#cgo nocallback libcipc_sem_open
#cgo noescape libcipc_sem_unlink
#cgo nocallback libcipc_sem_unlink
#cgo noescape libcipc_sem_wait_begin
#cgo nocallback libcipc_sem_wait_begin
#cgo noescape libcipc_sem_wait_slice
#cgo nocallback libcipc_sem_wait_slice
#cgo noescape libcipc_sem_wait_loop
#cgo nocallback libcipc_sem_wait_loop

// Hot calls take the sem_t's address as an integer: a pointer argument makes
// cgo check at every call that it is not a Go pointer (cgoCheckPointer, about
// 20 ns here), and it always points into C memory.
static inline int sem_post_u(uintptr_t p) { return libcipc_sem_post((sem_t *)p); }
static inline int sem_trywait_u(uintptr_t p) { return libcipc_sem_trywait((sem_t *)p); }
static inline int64_t sem_getvalue_u(uintptr_t p) { return libcipc_sem_getvalue((sem_t *)p); }
#cgo nocallback sem_post_u
#cgo nocallback sem_trywait_u
#cgo nocallback sem_getvalue_u
*/
import "C"

import "unsafe"

// The Go constants must be glibc's: these fail to compile otherwise.
var (
	_ [C.LIBCIPC_SIZEOF_SEM - SizeofSem]byte
	_ [SizeofSem - C.LIBCIPC_SIZEOF_SEM]byte
	_ [C.LIBCIPC_ALIGNOF_SEM - AlignofSem]byte
	_ [AlignofSem - C.LIBCIPC_ALIGNOF_SEM]byte
	_ [C.LIBCIPC_SEM_VALUE_MAX - SemValueMax]byte
	_ [C.LIBCIPC_GETVALUE_ERR - semGetValueErr]byte
	_ [semGetValueErr - C.LIBCIPC_GETVALUE_ERR]byte
	_ [SemValueMax - C.LIBCIPC_SEM_VALUE_MAX]byte
	_ [unsafe.Sizeof(C.libcipc_wait{}) - unsafe.Sizeof(cWait{})]byte
	_ [unsafe.Sizeof(cWait{}) - unsafe.Sizeof(C.libcipc_wait{})]byte
	_ [C.LIBCIPC_WAIT_SLICE - waitSliceEnded]byte
	_ [waitSliceEnded - C.LIBCIPC_WAIT_SLICE]byte
	_ [C.LIBCIPC_WAIT_REL - waitRel]byte
	_ [waitRel - C.LIBCIPC_WAIT_REL]byte
	_ [C.LIBCIPC_WAIT_ABS - waitAbs]byte
	_ [waitAbs - C.LIBCIPC_WAIT_ABS]byte
)

func cSemOpen(name *byte, oflag int32, mode, value uint32) (unsafe.Pointer, int32) {
	r := C.libcipc_sem_open((*C.char)(unsafe.Pointer(name)), C.int(oflag), C.unsigned(mode), C.unsigned(value))
	return r.ptr, -int32(r.err)
}

func cSemClose(p unsafe.Pointer) int32 { return int32(C.libcipc_sem_close((*C.sem_t)(p))) }

func cSemUnlink(name *byte) int32 {
	return int32(C.libcipc_sem_unlink((*C.char)(unsafe.Pointer(name))))
}

func cSemInitShared(p unsafe.Pointer, value uint32) int32 {
	return int32(C.libcipc_sem_init_shared((*C.sem_t)(p), C.unsigned(value)))
}

func cSemDestroy(p unsafe.Pointer) int32 { return int32(C.libcipc_sem_destroy((*C.sem_t)(p))) }

func cSemNew(value uint32) (unsafe.Pointer, int32) {
	r := C.libcipc_sem_new(C.unsigned(value))
	return r.ptr, -int32(r.err)
}

func cSemFree(p unsafe.Pointer) int32 { return int32(C.libcipc_sem_free((*C.sem_t)(p))) }

func cSemWaitBegin(p unsafe.Pointer, w *cWait) int32 {
	return int32(C.libcipc_sem_wait_begin((*C.sem_t)(p), (*C.libcipc_wait)(unsafe.Pointer(w))))
}

func cSemWaitSlice(p unsafe.Pointer, w *cWait, sliceNs int64) int32 {
	return int32(C.libcipc_sem_wait_slice((*C.sem_t)(p), (*C.libcipc_wait)(unsafe.Pointer(w)), C.int64_t(sliceNs)))
}

func cSemWaitLoop(p unsafe.Pointer, w *cWait, sliceNs int64, slot int32) int32 {
	return int32(C.libcipc_sem_wait_loop((*C.sem_t)(p), (*C.libcipc_wait)(unsafe.Pointer(w)), C.int64_t(sliceNs), C.int(slot)))
}

// The fault guard's SIGBUS and SIGABRT handlers (csrc/fault.c, used by the
// sem and sync shims) go in front of the Go runtime's, which are installed
// before any package init runs.
func init() { C.libcipc_fault_install() }

// The wait slots' stop words and the queued count live in C memory: the C
// waits read them between slices, Go writes them (atomically).
var (
	waitStop   = (*[waitersPerProcess]int32)(unsafe.Pointer(&C.libcipc_wait_stop[0]))
	waitQueued = (*int32)(unsafe.Pointer(&C.libcipc_wait_queued))
	_          [C.LIBCIPC_WAIT_SLOTS - waitersPerProcess]byte
	_          [waitersPerProcess - C.LIBCIPC_WAIT_SLOTS]byte
)

func cProbeReadable(p unsafe.Pointer, n int) int32 {
	return int32(C.libcipc_probe_readable(p, C.size_t(n)))
}

// The hot calls (see the preamble).
func cSemPost(p unsafe.Pointer) int32     { return int32(C.sem_post_u(C.uintptr_t(uintptr(p)))) }
func cSemTryWait(p unsafe.Pointer) int32  { return int32(C.sem_trywait_u(C.uintptr_t(uintptr(p)))) }
func cSemGetValue(p unsafe.Pointer) int64 { return int64(C.sem_getvalue_u(C.uintptr_t(uintptr(p)))) }
