//go:build !cgo

package posix

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Identity needs no libc: the same system calls, made by x/sys/unix.
func cGettid() int32  { return int32(unix.Gettid()) }
func cGetpid() int32  { return int32(unix.Getpid()) }
func cGetppid() int32 { return int32(unix.Getppid()) }

// Stubs for a CGO_ENABLED=0 build (see nocgo.go): constructors fail with
// ErrCgoRequired first, so no handle reaches these.

func cMutexInit(unsafe.Pointer, *cMutexAttr) int32              { return enosys }
func cMutexNew(*cMutexAttr) (unsafe.Pointer, int32)             { return nil, enosys }
func cMutexDestroy(unsafe.Pointer) int32                        { return enosys }
func cMutexFree(unsafe.Pointer) int32                           { return enosys }
func cMutexTryLock(unsafe.Pointer) int32                        { return enosys }
func cMutexLockBegin(unsafe.Pointer, *cWait) int32              { return enosys }
func cMutexLockLoop(unsafe.Pointer, *cWait, int64, int32) int32 { return enosys }
func cMutexUnlock(unsafe.Pointer) int32                         { return enosys }
func cMutexConsistent(unsafe.Pointer) int32                     { return enosys }
func cCondInit(unsafe.Pointer, int32, int32) int32              { return enosys }
func cCondNew(int32, int32) (unsafe.Pointer, int32)             { return nil, enosys }
func cCondClock(unsafe.Pointer) int32                           { return 0 }
func cCondDestroy(unsafe.Pointer) int32                         { return enosys }
func cCondFree(unsafe.Pointer) int32                            { return enosys }
func cCondSignal(unsafe.Pointer) int32                          { return enosys }
func cCondBroadcast(unsafe.Pointer) int32                       { return enosys }
func cCondWait(unsafe.Pointer, unsafe.Pointer, *cWait) int32    { return enosys }
func cRWLockInit(unsafe.Pointer, int32, int32) int32            { return enosys }
func cRWLockNew(int32, int32) (unsafe.Pointer, int32)           { return nil, enosys }
func cRWLockDestroy(unsafe.Pointer) int32                       { return enosys }
func cRWLockFree(unsafe.Pointer) int32                          { return enosys }
func cRWLockTryRdLock(unsafe.Pointer) int32                     { return enosys }
func cRWLockTryWrLock(unsafe.Pointer) int32                     { return enosys }
func cRWLockRdBegin(unsafe.Pointer, *cWait) int32               { return enosys }
func cRWLockWrBegin(unsafe.Pointer, *cWait) int32               { return enosys }
func cRWLockRdLoop(unsafe.Pointer, *cWait, int64, int32) int32  { return enosys }
func cRWLockWrLoop(unsafe.Pointer, *cWait, int64, int32) int32  { return enosys }
func cRWLockUnlock(unsafe.Pointer) int32                        { return enosys }
func cBarrierInit(unsafe.Pointer, uint32, int32) int32          { return enosys }
func cBarrierNew(uint32, int32) (unsafe.Pointer, int32)         { return nil, enosys }
func cBarrierDestroy(unsafe.Pointer) int32                      { return enosys }
func cBarrierFree(unsafe.Pointer) int32                         { return enosys }
func cBarrierWait(unsafe.Pointer) int32                         { return enosys }
func cSpinInit(unsafe.Pointer, int32) int32                     { return enosys }
func cSpinNew(int32) (unsafe.Pointer, int32)                    { return nil, enosys }
func cSpinDestroy(unsafe.Pointer) int32                         { return enosys }
func cSpinFree(unsafe.Pointer) int32                            { return enosys }
func cSpinTryLock(unsafe.Pointer) int32                         { return enosys }
func cSpinLockBounded(unsafe.Pointer, int32) int32              { return enosys }
func cSpinUnlock(unsafe.Pointer) int32                          { return enosys }
func cPthreadSelf() uint64                                      { return 0 }
func cKeyDelete(uint32) int32                                   { return enosys }
func cSetSpecific(uint32, uintptr) int32                        { return enosys }
func cGetSpecific(uint32) uintptr                               { return 0 }
func cKeyCreateC(*byte, *uint32) int32                          { return enosys }
func cKeyCreateGo(int32, *uint32) int32                         { return enosys }
func cCallDtor(*byte, uintptr) int32                            { return enosys }
func cTLSGet(int32, uint64) uint64                              { return 0 }
func cTLSSet(int32, uint64, uint64)                             {}
func cTLSAdd(int32, uint64, uint64) uint64                      { return 0 }
func cTLSClear()                                                {}
func cOnceNew() (unsafe.Pointer, int32)                         { return nil, enosys }
func cFree(unsafe.Pointer)                                      {}
func cOnce(unsafe.Pointer, *onceCall) int32                     { return enosys }

var (
	dtorFd  = new(int32)
	dtorGen = new([goDtors]uint32)
)
