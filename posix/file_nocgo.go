//go:build !cgo

package posix

import "unsafe"

// Stubs for a CGO_ENABLED=0 build (see nocgo.go): every function of file.go
// checks cgoEnabled first and fails with ErrCgoRequired.

func cLock(*cLockReq) int32                                    { return enosys }
func cLockWaitBegin(unsafe.Pointer, *cWait) int32              { return enosys }
func cLockWaitLoop(unsafe.Pointer, *cWait, int64, int32) int32 { return enosys }
func cLockSignalInstall(int32) int32                           { return enosys }
func cPread(int32, []byte, int64) int64                        { return enosys }
func cPwrite(int32, []byte, int64) int64                       { return enosys }
func cFsync(int32) int32                                       { return enosys }
func cFdatasync(int32) int32                                   { return enosys }
func cSync()                                                   {}
func cPipe2(*[2]int32, int32) int32                            { return enosys }
func cMkfifo(*byte, uint32) int32                              { return enosys }
