//go:build cgo

package posix

/*
#include "../include/libcipc.h"

#cgo noescape libcipc_key_create_c
#cgo nocallback libcipc_key_create_c
#cgo noescape libcipc_key_create_go
#cgo nocallback libcipc_key_create_go
#cgo noescape libcipc_call_dtor
#cgo nocallback libcipc_key_delete
#cgo nocallback libcipc_setspecific
#cgo nocallback libcipc_getspecific
#cgo nocallback libcipc_gettid
#cgo nocallback libcipc_getpid
#cgo nocallback libcipc_getppid
#cgo nocallback libcipc_pthread_self
#cgo nocallback libcipc_tls_get
#cgo nocallback libcipc_tls_set
#cgo nocallback libcipc_tls_add

#cgo nocallback libcipc_once_new
#cgo nocallback libcipc_free
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

var (
	_ [C.LIBCIPC_GO_DTORS - goDtors]byte
	_ [goDtors - C.LIBCIPC_GO_DTORS]byte
	_ [C.LIBCIPC_TLS_SLOTS - tlsSlots]byte
	_ [tlsSlots - C.LIBCIPC_TLS_SLOTS]byte
	_ [unsafe.Sizeof(C.libcipc_dtor_rec{}) - 16]byte
	_ [16 - unsafe.Sizeof(C.libcipc_dtor_rec{})]byte
)

func cGettid() int32            { return int32(C.libcipc_gettid()) }
func cGetpid() int32            { return int32(C.libcipc_getpid()) }
func cGetppid() int32           { return int32(C.libcipc_getppid()) }
func cPthreadSelf() uint64      { return uint64(C.libcipc_pthread_self()) }
func cKeyDelete(k uint32) int32 { return int32(C.libcipc_key_delete(C.unsigned(k))) }
func cSetSpecific(k uint32, v uintptr) int32 {
	return int32(C.libcipc_setspecific(C.unsigned(k), C.uintptr_t(v)))
}
func cGetSpecific(k uint32) uintptr { return uintptr(C.libcipc_getspecific(C.unsigned(k))) }

func cKeyCreateC(dtor *byte, key *uint32) int32 {
	return int32(C.libcipc_key_create_c((*C.char)(unsafe.Pointer(dtor)), (*C.unsigned)(unsafe.Pointer(key))))
}
func cKeyCreateGo(slot int32, key *uint32) int32 {
	return int32(C.libcipc_key_create_go(C.int(slot), (*C.unsigned)(unsafe.Pointer(key))))
}
func cCallDtor(dtor *byte, v uintptr) int32 {
	return int32(C.libcipc_call_dtor((*C.char)(unsafe.Pointer(dtor)), C.uintptr_t(v)))
}

// The Go destructors' pipe and generations live in C memory: the trampolines
// read them on exiting threads.
var (
	dtorFd  = (*int32)(unsafe.Pointer(&C.libcipc_dtor_fd))
	dtorGen = (*[goDtors]uint32)(unsafe.Pointer(&C.libcipc_dtor_gen[0]))
)

func cTLSGet(slot int32, gen uint64) uint64 {
	return uint64(C.libcipc_tls_get(C.int(slot), C.uint64_t(gen)))
}
func cTLSSet(slot int32, gen, v uint64) {
	C.libcipc_tls_set(C.int(slot), C.uint64_t(gen), C.uint64_t(v))
}
func cTLSAdd(slot int32, gen, d uint64) uint64 {
	return uint64(C.libcipc_tls_add(C.int(slot), C.uint64_t(gen), C.uint64_t(d)))
}
func cTLSClear() { C.libcipc_tls_clear() }

func cOnceNew() (unsafe.Pointer, int32) {
	r := C.libcipc_once_new()
	return r.ptr, -int32(r.err)
}
func cFree(p unsafe.Pointer) { C.libcipc_free(p) }

// cOnce passes c to the routine as a runtime/cgo.Handle (a Go pointer
// cannot be kept in C's __thread variable).
func cOnce(p unsafe.Pointer, c *onceCall) int32 {
	h := cgo.NewHandle(c)
	defer h.Delete()
	return int32(C.libcipc_once((*C.pthread_once_t)(p), C.uintptr_t(h)))
}

// libcipcOnceCall is pthread_once's init routine, called from C on the thread
// that called Once.Do.
//
//export libcipcOnceCall
func libcipcOnceCall(arg C.uintptr_t) {
	cgo.Handle(arg).Value().(*onceCall).run()
}
