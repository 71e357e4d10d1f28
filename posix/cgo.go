//go:build cgo

package posix

/*
#cgo CFLAGS: -O2 -Wall -Wextra -Werror=implicit-function-declaration
#cgo LDFLAGS: -lrt -pthread
#include "../include/libcipc.h"

#cgo noescape libcipc_strerror
#cgo nocallback libcipc_strerror
*/
import "C"

import "unsafe"

// cgoEnabled is false in a CGO_ENABLED=0 build, where every constructor
// returns ErrCgoRequired (nocgo.go).
const cgoEnabled = true

func cStrerror(errnum int32, buf *byte, n int) int32 {
	return int32(C.libcipc_strerror(C.int(errnum), (*C.char)(unsafe.Pointer(buf)), C.size_t(n)))
}
