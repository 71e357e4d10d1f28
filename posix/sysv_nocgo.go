//go:build !cgo

package posix

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The System V shims in a CGO_ENABLED=0 build: every API function returns an
// error wrapping ErrCgoRequired before reaching these (see nocgo.go).

func cFtok(*byte, int32, *int32) int32                             { return enosys }
func cSemget(int32, int32, int32) int32                            { return enosys }
func cSemop(int32, []SemBuf) int32                                 { return enosys }
func cSemopBegin(int32, []SemBuf, *cWait) int32                    { return enosys }
func cSemopWait(int32, []SemBuf, *cWait, int32) int32              { return enosys }
func cSemctl(int32, int32, int32, int32) int32                     { return enosys }
func cSemctlDS(int32, int32, *SemidDS) int32                       { return enosys }
func cSemctlAll(int32, int32, []uint16) int32                      { return enosys }
func cMsgget(int32, int32) int32                                   { return enosys }
func cMsgsnd(int32, int64, []byte, int32) int32                    { return enosys }
func cMsgrcv(int32, []byte, int64, int32, *int64) int64            { return enosys }
func cMsgsndWait(int32, int64, []byte, int32, int32) int32         { return enosys }
func cMsgrcvWait(int32, []byte, int64, int32, *int64, int32) int64 { return enosys }
func cMsgctl(int32, int32, *MsqidDS) int32                         { return enosys }
func cShmget(int32, uintptr, int32) int32                          { return enosys }
func cShmat(int32, int32, *uint64) (unsafe.Pointer, int32)         { return nil, enosys }
func cShmdt(unsafe.Pointer) int32                                  { return enosys }
func cShmctl(int32, int32, *unix.SysvShmDesc) int32                { return enosys }

var sysvTid = new([waitersPerProcess]int32)
