//go:build cgo

package posix

/*
#include "../include/libcipc.h"

#cgo noescape libcipc_shm_open
#cgo nocallback libcipc_shm_open
#cgo noescape libcipc_shm_unlink
#cgo nocallback libcipc_shm_unlink
*/
import "C"

import "unsafe"

func cShmOpen(name *byte, oflag int32, mode uint32) int32 {
	return int32(C.libcipc_shm_open((*C.char)(unsafe.Pointer(name)), C.int(oflag), C.unsigned(mode)))
}

func cShmUnlink(name *byte) int32 {
	return int32(C.libcipc_shm_unlink((*C.char)(unsafe.Pointer(name))))
}

func cFtruncate(fd int32, length int64) int32 {
	return int32(C.libcipc_ftruncate(C.int(fd), C.int64_t(length)))
}

func cClose(fd int32) int32 { return int32(C.libcipc_close(C.int(fd))) }

func cMmap(length uintptr, prot, flags, fd int32, off int64) (unsafe.Pointer, int32) {
	r := C.libcipc_mmap(C.size_t(length), C.int(prot), C.int(flags), C.int(fd), C.int64_t(off))
	return r.ptr, -int32(r.err)
}

func cMunmap(p unsafe.Pointer, length uintptr) int32 {
	return int32(C.libcipc_munmap(p, C.size_t(length)))
}
