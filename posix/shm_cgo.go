//go:build cgo

package posix

/*
#include "../include/libcipc.h"

#cgo noescape libcipc_shm_open
#cgo nocallback libcipc_shm_open
#cgo noescape libcipc_shm_unlink
#cgo nocallback libcipc_shm_unlink
#cgo noescape libcipc_fstat
#cgo nocallback libcipc_fstat
#cgo noescape libcipc_mincore
#cgo nocallback libcipc_mincore
#cgo noescape libcipc_sysconf
#cgo nocallback libcipc_sysconf
#cgo noescape libcipc_mallinfo
#cgo nocallback libcipc_mallinfo
*/
import "C"

import "unsafe"

// The sysconf and mallopt names must be glibc's.
var (
	_ = [1]struct{}{}[C._SC_OPEN_MAX-SC_OPEN_MAX]
	_ = [1]struct{}{}[C._SC_MQ_PRIO_MAX-SC_MQ_PRIO_MAX]
	_ = [1]struct{}{}[C._SC_PAGESIZE-SC_PAGESIZE]
	_ = [1]struct{}{}[C._SC_SEM_NSEMS_MAX-SC_SEM_NSEMS_MAX]
	_ = [1]struct{}{}[C._SC_SEM_VALUE_MAX-SC_SEM_VALUE_MAX]
	_ = [1]struct{}{}[C._SC_NPROCESSORS_CONF-SC_NPROCESSORS_CONF]
	_ = [1]struct{}{}[C._SC_NPROCESSORS_ONLN-SC_NPROCESSORS_ONLN]
	_ = [1]struct{}{}[C._SC_PHYS_PAGES-SC_PHYS_PAGES]
	_ = [1]struct{}{}[C.M_MXFAST-M_MXFAST]
	_ = [1]struct{}{}[C.M_TRIM_THRESHOLD-M_TRIM_THRESHOLD]
	_ = [1]struct{}{}[C.M_MMAP_THRESHOLD-M_MMAP_THRESHOLD]
	_ = [1]struct{}{}[C.M_ARENA_MAX-M_ARENA_MAX]
)

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

func cFstat(fd int32, out *[4]int64) int32 {
	return int32(C.libcipc_fstat(C.int(fd), (*C.int64_t)(unsafe.Pointer(out))))
}

func cMsync(p unsafe.Pointer, n uintptr, flags int32) int32 {
	return int32(C.libcipc_msync(p, C.size_t(n), C.int(flags)))
}

func cMprotect(p unsafe.Pointer, n uintptr, prot int32) int32 {
	return int32(C.libcipc_mprotect(p, C.size_t(n), C.int(prot)))
}

func cMadvise(p unsafe.Pointer, n uintptr, advice int32) int32 {
	return int32(C.libcipc_madvise(p, C.size_t(n), C.int(advice)))
}

func cMremap(p unsafe.Pointer, oldLen, newLen uintptr, flags int32) (unsafe.Pointer, int32) {
	r := C.libcipc_mremap(p, C.size_t(oldLen), C.size_t(newLen), C.int(flags))
	return r.ptr, -int32(r.err)
}

func cMlock(p unsafe.Pointer, n uintptr) int32 { return int32(C.libcipc_mlock(p, C.size_t(n))) }

func cMunlock(p unsafe.Pointer, n uintptr) int32 { return int32(C.libcipc_munlock(p, C.size_t(n))) }

func cMincore(p unsafe.Pointer, n uintptr, vec []byte) int32 {
	return int32(C.libcipc_mincore(p, C.size_t(n), (*C.uchar)(unsafe.Pointer(&vec[0]))))
}

func cSysconf(name int32, v *int64) int32 {
	return int32(C.libcipc_sysconf(C.int(name), (*C.long)(unsafe.Pointer(v))))
}

func cMallinfo(out *[10]uint64) { C.libcipc_mallinfo((*C.uint64_t)(unsafe.Pointer(out))) }

func cMallocTrim(pad uintptr) int32 { return int32(C.libcipc_malloc_trim(C.size_t(pad))) }

func cMallopt(param, value int32) int32 { return int32(C.libcipc_mallopt(C.int(param), C.int(value))) }
