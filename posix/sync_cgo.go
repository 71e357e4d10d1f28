//go:build cgo

package posix

/*
#include "../include/libcipc.h"

// No shim keeps a pointer it is given or calls back into Go.
#cgo noescape libcipc_mutex_init
#cgo nocallback libcipc_mutex_init
#cgo noescape libcipc_mutex_new
#cgo nocallback libcipc_mutex_new
#cgo noescape libcipc_mutex_lock_begin
#cgo nocallback libcipc_mutex_lock_begin
#cgo noescape libcipc_mutex_lock_loop
#cgo nocallback libcipc_mutex_lock_loop
#cgo nocallback libcipc_mutex_trylock
#cgo nocallback libcipc_mutex_unlock
#cgo nocallback libcipc_mutex_consistent
#cgo nocallback libcipc_mutex_destroy
#cgo nocallback libcipc_mutex_free
#cgo noescape libcipc_cond_wait
#cgo nocallback libcipc_cond_wait
#cgo nocallback libcipc_cond_signal
#cgo nocallback libcipc_cond_broadcast
#cgo noescape libcipc_rwlock_rd_begin
#cgo nocallback libcipc_rwlock_rd_begin
#cgo noescape libcipc_rwlock_wr_begin
#cgo nocallback libcipc_rwlock_wr_begin
#cgo noescape libcipc_rwlock_rd_loop
#cgo nocallback libcipc_rwlock_rd_loop
#cgo noescape libcipc_rwlock_wr_loop
#cgo nocallback libcipc_rwlock_wr_loop
#cgo nocallback libcipc_rwlock_tryrdlock
#cgo nocallback libcipc_rwlock_trywrlock
#cgo nocallback libcipc_rwlock_unlock
#cgo nocallback libcipc_barrier_wait
#cgo nocallback libcipc_spin_trylock
#cgo nocallback libcipc_spin_lock_bounded
#cgo nocallback libcipc_spin_unlock
*/
import "C"

import "unsafe"

// The Go constants and mirrors must be glibc's: these fail to compile otherwise.
var (
	_ [C.LIBCIPC_SIZEOF_MUTEX - SizeofMutex]byte
	_ [SizeofMutex - C.LIBCIPC_SIZEOF_MUTEX]byte
	_ [C.LIBCIPC_SIZEOF_COND - SizeofCond]byte
	_ [SizeofCond - C.LIBCIPC_SIZEOF_COND]byte
	_ [C.LIBCIPC_SIZEOF_RWLOCK - SizeofRWLock]byte
	_ [SizeofRWLock - C.LIBCIPC_SIZEOF_RWLOCK]byte
	_ [C.LIBCIPC_SIZEOF_BARRIER - SizeofBarrier]byte
	_ [SizeofBarrier - C.LIBCIPC_SIZEOF_BARRIER]byte
	_ [C.LIBCIPC_SIZEOF_SPIN - SizeofSpinLock]byte
	_ [SizeofSpinLock - C.LIBCIPC_SIZEOF_SPIN]byte
	_ [C.LIBCIPC_ALIGNOF_SYNC - AlignofSync]byte
	_ [AlignofSync - C.LIBCIPC_ALIGNOF_SYNC]byte
	_ [unsafe.Sizeof(C.libcipc_mutexattr{}) - unsafe.Sizeof(cMutexAttr{})]byte
	_ [unsafe.Sizeof(cMutexAttr{}) - unsafe.Sizeof(C.libcipc_mutexattr{})]byte
	_ [C.PTHREAD_MUTEX_NORMAL - MutexNormal]byte
	_ [MutexNormal - C.PTHREAD_MUTEX_NORMAL]byte
	_ [C.PTHREAD_MUTEX_RECURSIVE - MutexRecursive]byte
	_ [MutexRecursive - C.PTHREAD_MUTEX_RECURSIVE]byte
	_ [C.PTHREAD_MUTEX_ERRORCHECK - MutexErrorCheck]byte
	_ [MutexErrorCheck - C.PTHREAD_MUTEX_ERRORCHECK]byte
	_ [C.PTHREAD_MUTEX_DEFAULT - MutexDefault]byte
	_ [MutexDefault - C.PTHREAD_MUTEX_DEFAULT]byte
	_ [C.PTHREAD_PRIO_NONE - PrioNone]byte
	_ [PrioNone - C.PTHREAD_PRIO_NONE]byte
	_ [C.PTHREAD_PRIO_INHERIT - PrioInherit]byte
	_ [PrioInherit - C.PTHREAD_PRIO_INHERIT]byte
	_ [C.PTHREAD_PRIO_PROTECT - PrioProtect]byte
	_ [PrioProtect - C.PTHREAD_PRIO_PROTECT]byte
	_ [C.PTHREAD_MUTEX_ROBUST - 1]byte
	_ [1 - C.PTHREAD_MUTEX_ROBUST]byte
	_ [C.PTHREAD_PROCESS_SHARED - 1]byte
	_ [1 - C.PTHREAD_PROCESS_SHARED]byte
	_ [C.PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP - rwlockPreferWriter]byte
	_ [rwlockPreferWriter - C.PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP]byte
)

func ptr(r C.libcipc_ptr) (unsafe.Pointer, int32) { return r.ptr, -int32(r.err) }

func cMutexInit(p unsafe.Pointer, a *cMutexAttr) int32 {
	return int32(C.libcipc_mutex_init((*C.pthread_mutex_t)(p), (*C.libcipc_mutexattr)(unsafe.Pointer(a))))
}
func cMutexNew(a *cMutexAttr) (unsafe.Pointer, int32) {
	return ptr(C.libcipc_mutex_new((*C.libcipc_mutexattr)(unsafe.Pointer(a))))
}
func cMutexDestroy(p unsafe.Pointer) int32 {
	return int32(C.libcipc_mutex_destroy((*C.pthread_mutex_t)(p)))
}
func cMutexFree(p unsafe.Pointer) int32 { return int32(C.libcipc_mutex_free((*C.pthread_mutex_t)(p))) }
func cMutexTryLock(p unsafe.Pointer) int32 {
	return int32(C.libcipc_mutex_trylock((*C.pthread_mutex_t)(p)))
}
func cMutexLockBegin(p unsafe.Pointer, w *cWait) int32 {
	return int32(C.libcipc_mutex_lock_begin((*C.pthread_mutex_t)(p), (*C.libcipc_wait)(unsafe.Pointer(w))))
}
func cMutexLockLoop(p unsafe.Pointer, w *cWait, sliceNs int64, slot int32) int32 {
	return int32(C.libcipc_mutex_lock_loop((*C.pthread_mutex_t)(p), (*C.libcipc_wait)(unsafe.Pointer(w)), C.int64_t(sliceNs), C.int(slot)))
}
func cMutexUnlock(p unsafe.Pointer) int32 {
	return int32(C.libcipc_mutex_unlock((*C.pthread_mutex_t)(p)))
}
func cMutexConsistent(p unsafe.Pointer) int32 {
	return int32(C.libcipc_mutex_consistent((*C.pthread_mutex_t)(p)))
}

func cCondInit(p unsafe.Pointer, pshared, clock int32) int32 {
	return int32(C.libcipc_cond_init((*C.pthread_cond_t)(p), C.int(pshared), C.int(clock)))
}
func cCondNew(pshared, clock int32) (unsafe.Pointer, int32) {
	return ptr(C.libcipc_cond_new(C.int(pshared), C.int(clock)))
}
func cCondDestroy(p unsafe.Pointer) int32 {
	return int32(C.libcipc_cond_destroy((*C.pthread_cond_t)(p)))
}
func cCondFree(p unsafe.Pointer) int32   { return int32(C.libcipc_cond_free((*C.pthread_cond_t)(p))) }
func cCondSignal(p unsafe.Pointer) int32 { return int32(C.libcipc_cond_signal((*C.pthread_cond_t)(p))) }
func cCondBroadcast(p unsafe.Pointer) int32 {
	return int32(C.libcipc_cond_broadcast((*C.pthread_cond_t)(p)))
}
func cCondWait(c, m unsafe.Pointer, w *cWait) int32 {
	return int32(C.libcipc_cond_wait((*C.pthread_cond_t)(c), (*C.pthread_mutex_t)(m), (*C.libcipc_wait)(unsafe.Pointer(w))))
}

func cRWLockInit(p unsafe.Pointer, pshared, kind int32) int32 {
	return int32(C.libcipc_rwlock_init((*C.pthread_rwlock_t)(p), C.int(pshared), C.int(kind)))
}
func cRWLockNew(pshared, kind int32) (unsafe.Pointer, int32) {
	return ptr(C.libcipc_rwlock_new(C.int(pshared), C.int(kind)))
}
func cRWLockDestroy(p unsafe.Pointer) int32 {
	return int32(C.libcipc_rwlock_destroy((*C.pthread_rwlock_t)(p)))
}
func cRWLockFree(p unsafe.Pointer) int32 {
	return int32(C.libcipc_rwlock_free((*C.pthread_rwlock_t)(p)))
}
func cRWLockTryRdLock(p unsafe.Pointer) int32 {
	return int32(C.libcipc_rwlock_tryrdlock((*C.pthread_rwlock_t)(p)))
}
func cRWLockTryWrLock(p unsafe.Pointer) int32 {
	return int32(C.libcipc_rwlock_trywrlock((*C.pthread_rwlock_t)(p)))
}
func cRWLockRdBegin(p unsafe.Pointer, w *cWait) int32 {
	return int32(C.libcipc_rwlock_rd_begin((*C.pthread_rwlock_t)(p), (*C.libcipc_wait)(unsafe.Pointer(w))))
}
func cRWLockWrBegin(p unsafe.Pointer, w *cWait) int32 {
	return int32(C.libcipc_rwlock_wr_begin((*C.pthread_rwlock_t)(p), (*C.libcipc_wait)(unsafe.Pointer(w))))
}
func cRWLockRdLoop(p unsafe.Pointer, w *cWait, sliceNs int64, slot int32) int32 {
	return int32(C.libcipc_rwlock_rd_loop((*C.pthread_rwlock_t)(p), (*C.libcipc_wait)(unsafe.Pointer(w)), C.int64_t(sliceNs), C.int(slot)))
}
func cRWLockWrLoop(p unsafe.Pointer, w *cWait, sliceNs int64, slot int32) int32 {
	return int32(C.libcipc_rwlock_wr_loop((*C.pthread_rwlock_t)(p), (*C.libcipc_wait)(unsafe.Pointer(w)), C.int64_t(sliceNs), C.int(slot)))
}
func cRWLockUnlock(p unsafe.Pointer) int32 {
	return int32(C.libcipc_rwlock_unlock((*C.pthread_rwlock_t)(p)))
}

func cBarrierInit(p unsafe.Pointer, count uint32, pshared int32) int32 {
	return int32(C.libcipc_barrier_init((*C.pthread_barrier_t)(p), C.unsigned(count), C.int(pshared)))
}
func cBarrierNew(count uint32, pshared int32) (unsafe.Pointer, int32) {
	return ptr(C.libcipc_barrier_new(C.unsigned(count), C.int(pshared)))
}
func cBarrierDestroy(p unsafe.Pointer) int32 {
	return int32(C.libcipc_barrier_destroy((*C.pthread_barrier_t)(p)))
}
func cBarrierFree(p unsafe.Pointer) int32 {
	return int32(C.libcipc_barrier_free((*C.pthread_barrier_t)(p)))
}
func cBarrierWait(p unsafe.Pointer) int32 {
	return int32(C.libcipc_barrier_wait((*C.pthread_barrier_t)(p)))
}

func cSpinInit(p unsafe.Pointer, pshared int32) int32 {
	return int32(C.libcipc_spin_init((*C.pthread_spinlock_t)(p), C.int(pshared)))
}
func cSpinNew(pshared int32) (unsafe.Pointer, int32) { return ptr(C.libcipc_spin_new(C.int(pshared))) }
func cSpinDestroy(p unsafe.Pointer) int32 {
	return int32(C.libcipc_spin_destroy((*C.pthread_spinlock_t)(p)))
}
func cSpinFree(p unsafe.Pointer) int32 { return int32(C.libcipc_spin_free((*C.pthread_spinlock_t)(p))) }
func cSpinTryLock(p unsafe.Pointer) int32 {
	return int32(C.libcipc_spin_trylock((*C.pthread_spinlock_t)(p)))
}
func cSpinLockBounded(p unsafe.Pointer, tries int32) int32 {
	return int32(C.libcipc_spin_lock_bounded((*C.pthread_spinlock_t)(p), C.int(tries)))
}
func cSpinUnlock(p unsafe.Pointer) int32 {
	return int32(C.libcipc_spin_unlock((*C.pthread_spinlock_t)(p)))
}
