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
#cgo nocallback libcipc_mutex_consistent
#cgo nocallback libcipc_mutex_destroy
#cgo nocallback libcipc_mutex_free
#cgo nocallback libcipc_cond_clock
#cgo noescape libcipc_cond_wait
#cgo nocallback libcipc_cond_wait
#cgo noescape libcipc_rwlock_rd_begin
#cgo nocallback libcipc_rwlock_rd_begin
#cgo noescape libcipc_rwlock_wr_begin
#cgo nocallback libcipc_rwlock_wr_begin
#cgo noescape libcipc_rwlock_rd_loop
#cgo nocallback libcipc_rwlock_rd_loop
#cgo noescape libcipc_rwlock_wr_loop
#cgo nocallback libcipc_rwlock_wr_loop
#cgo nocallback libcipc_barrier_wait

// Hot calls take the object's address as an integer: a pointer argument makes
// cgo check at every call that it is not a Go pointer (cgoCheckPointer, about
// 20 ns here), and these always point into C memory.
static inline int mutex_trylock_u(uintptr_t p) { return libcipc_mutex_trylock((pthread_mutex_t *)p); }
static inline int mutex_unlock_u(uintptr_t p) { return libcipc_mutex_unlock((pthread_mutex_t *)p); }
static inline int rwlock_tryrdlock_u(uintptr_t p) { return libcipc_rwlock_tryrdlock((pthread_rwlock_t *)p); }
static inline int rwlock_trywrlock_u(uintptr_t p) { return libcipc_rwlock_trywrlock((pthread_rwlock_t *)p); }
static inline int rwlock_unlock_u(uintptr_t p) { return libcipc_rwlock_unlock((pthread_rwlock_t *)p); }
static inline int cond_signal_u(uintptr_t p) { return libcipc_cond_signal((pthread_cond_t *)p); }
static inline int cond_broadcast_u(uintptr_t p) { return libcipc_cond_broadcast((pthread_cond_t *)p); }
static inline int spin_trylock_u(uintptr_t p) { return libcipc_spin_trylock((pthread_spinlock_t *)p); }
static inline int spin_lock_bounded_u(uintptr_t p, int n) { return libcipc_spin_lock_bounded((pthread_spinlock_t *)p, n); }
static inline int spin_unlock_u(uintptr_t p) { return libcipc_spin_unlock((pthread_spinlock_t *)p); }
#cgo nocallback mutex_trylock_u
#cgo nocallback mutex_unlock_u
#cgo nocallback rwlock_tryrdlock_u
#cgo nocallback rwlock_trywrlock_u
#cgo nocallback rwlock_unlock_u
#cgo nocallback cond_signal_u
#cgo nocallback cond_broadcast_u
#cgo nocallback spin_trylock_u
#cgo nocallback spin_lock_bounded_u
#cgo nocallback spin_unlock_u
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
func cMutexLockBegin(p unsafe.Pointer, w *cWait) int32 {
	return int32(C.libcipc_mutex_lock_begin((*C.pthread_mutex_t)(p), (*C.libcipc_wait)(unsafe.Pointer(w))))
}
func cMutexLockLoop(p unsafe.Pointer, w *cWait, sliceNs int64, slot int32) int32 {
	return int32(C.libcipc_mutex_lock_loop((*C.pthread_mutex_t)(p), (*C.libcipc_wait)(unsafe.Pointer(w)), C.int64_t(sliceNs), C.int(slot)))
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
func cCondClock(p unsafe.Pointer) int32 { return int32(C.libcipc_cond_clock((*C.pthread_cond_t)(p))) }
func cCondDestroy(p unsafe.Pointer) int32 {
	return int32(C.libcipc_cond_destroy((*C.pthread_cond_t)(p)))
}
func cCondFree(p unsafe.Pointer) int32 { return int32(C.libcipc_cond_free((*C.pthread_cond_t)(p))) }
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

// The hot calls (see the preamble).
func u(p unsafe.Pointer) C.uintptr_t { return C.uintptr_t(uintptr(p)) }

func cMutexTryLock(p unsafe.Pointer) int32    { return int32(C.mutex_trylock_u(u(p))) }
func cMutexUnlock(p unsafe.Pointer) int32     { return int32(C.mutex_unlock_u(u(p))) }
func cRWLockTryRdLock(p unsafe.Pointer) int32 { return int32(C.rwlock_tryrdlock_u(u(p))) }
func cRWLockTryWrLock(p unsafe.Pointer) int32 { return int32(C.rwlock_trywrlock_u(u(p))) }
func cRWLockUnlock(p unsafe.Pointer) int32    { return int32(C.rwlock_unlock_u(u(p))) }
func cCondSignal(p unsafe.Pointer) int32      { return int32(C.cond_signal_u(u(p))) }
func cCondBroadcast(p unsafe.Pointer) int32   { return int32(C.cond_broadcast_u(u(p))) }
func cSpinTryLock(p unsafe.Pointer) int32     { return int32(C.spin_trylock_u(u(p))) }
func cSpinLockBounded(p unsafe.Pointer, tries int32) int32 {
	return int32(C.spin_lock_bounded_u(u(p), C.int(tries)))
}
func cSpinUnlock(p unsafe.Pointer) int32 { return int32(C.spin_unlock_u(u(p))) }
