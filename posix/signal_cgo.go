//go:build cgo

package posix

/*
#include "../include/libcipc.h"

#cgo noescape libcipc_sigrecv_install
#cgo nocallback libcipc_sigrecv_install
#cgo noescape libcipc_sigrecv_restore
#cgo nocallback libcipc_sigrecv_restore
*/
import "C"

import "unsafe"

var (
	_ [C.LIBCIPC_SIZEOF_SIGACTION - sizeofSigaction]byte
	_ [sizeofSigaction - C.LIBCIPC_SIZEOF_SIGACTION]byte
	_ [unsafe.Sizeof(C.libcipc_siginfo{}) - sizeofSiginfoRecord]byte
	_ [sizeofSiginfoRecord - unsafe.Sizeof(C.libcipc_siginfo{})]byte
)

func cSigrecvInstall(sig, wfd int32, old *[sizeofSigaction]byte) int32 {
	return int32(C.libcipc_sigrecv_install(C.int(sig), C.int(wfd), unsafe.Pointer(old)))
}

func cSigrecvRestore(sig int32, old *[sizeofSigaction]byte) int32 {
	return int32(C.libcipc_sigrecv_restore(C.int(sig), unsafe.Pointer(old)))
}

func cSigrecvDropped(sig int32) uint64 { return uint64(C.libcipc_sigrecv_dropped(C.int(sig))) }
