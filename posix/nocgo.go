//go:build !cgo

package posix

import "unsafe"

// In a CGO_ENABLED=0 build the package compiles with the same API, and every
// constructor returns an error wrapping ErrCgoRequired before reaching these:
// no handle can exist, so no method reaches them either. They return -ENOSYS
// only so that the package compiles.
const cgoEnabled = false

const enosys = -38

func cStrerror(int32, *byte, int) int32                             { return enosys }
func cSemOpen(*byte, int32, uint32, uint32) (unsafe.Pointer, int32) { return nil, enosys }
func cSemClose(unsafe.Pointer) int32                                { return enosys }
func cSemUnlink(*byte) int32                                        { return enosys }
func cSemInitShared(unsafe.Pointer, uint32) int32                   { return enosys }
func cSemDestroy(unsafe.Pointer) int32                              { return enosys }
func cSemNew(uint32) (unsafe.Pointer, int32)                        { return nil, enosys }
func cSemFree(unsafe.Pointer) int32                                 { return enosys }
func cSemPost(unsafe.Pointer) int32                                 { return enosys }
func cSemTryWait(unsafe.Pointer) int32                              { return enosys }
func cSemGetValue(unsafe.Pointer) int64                             { return semGetValueErr - enosys }
func cSemWaitBegin(unsafe.Pointer, *cWait) int32                    { return enosys }
func cSemWaitLoop(unsafe.Pointer, *cWait, int64, int32) int32       { return enosys }

var (
	waitStop   = new([waitersPerProcess]int32)
	waitQueued = new(int32)
)

func cSemWaitSlice(unsafe.Pointer, *cWait, int64) int32                 { return enosys }
func cProbeReadable(unsafe.Pointer, int) int32                          { return enosys }
func cShmOpen(*byte, int32, uint32) int32                               { return enosys }
func cShmUnlink(*byte) int32                                            { return enosys }
func cFtruncate(int32, int64) int32                                     { return enosys }
func cClose(int32) int32                                                { return enosys }
func cMmap(uintptr, int32, int32, int32, int64) (unsafe.Pointer, int32) { return nil, enosys }
func cMunmap(unsafe.Pointer, uintptr) int32                             { return enosys }

func cMqOpen(*byte, int32, uint32, bool, int64, int64) int32 { return enosys }
func cMqClose(int32) int32                                   { return enosys }
func cMqUnlink(*byte) int32                                  { return enosys }
func cMqSend(int32, []byte, uint32) int32                    { return enosys }
func cMqReceive(int32, []byte, *uint32) int64                { return enosys }
func cMqGetattr(int32, *[4]int64) int32                      { return enosys }
func cMqSetattr(int32, int64, *[4]int64) int32               { return enosys }
func cMqNotifyThread(int32, uintptr) int32                   { return enosys }
func cMqNotifySignal(int32, int32, uintptr) int32            { return enosys }
func cMqNotifyCancel(int32) int32                            { return enosys }

func cSigrecvInstall(int32, int32, *[sizeofSigaction]byte) int32 { return enosys }
func cSigrecvRestore(int32, *[sizeofSigaction]byte) int32        { return enosys }
func cSigrecvDropped(int32) uint64                               { return 0 }

func cFstat(int32, *[4]int64) int32                                           { return enosys }
func cMsync(unsafe.Pointer, uintptr, int32) int32                             { return enosys }
func cMprotect(unsafe.Pointer, uintptr, int32) int32                          { return enosys }
func cMadvise(unsafe.Pointer, uintptr, int32) int32                           { return enosys }
func cMremap(unsafe.Pointer, uintptr, uintptr, int32) (unsafe.Pointer, int32) { return nil, enosys }
func cMlock(unsafe.Pointer, uintptr) int32                                    { return enosys }
func cMunlock(unsafe.Pointer, uintptr) int32                                  { return enosys }
func cMincore(unsafe.Pointer, uintptr, []byte) int32                          { return enosys }
func cSysconf(int32, *int64) int32                                            { return enosys }
func cMallinfo(*[10]uint64)                                                   {}
func cMallocTrim(uintptr) int32                                               { return 0 }
func cMallopt(int32, int32) int32                                             { return 0 }
