package posix

// cWait mirrors the C libcipc_wait (include/libcipc.h): the state of one
// blocking wait, carried across its slices. It lives on the Go stack and is
// passed to C by pointer (the shims are declared noescape).
type cWait struct {
	sec   int64
	nsec  int64
	clock int32
	mode  int32
}

// Modes of cWait and the shim's "slice ended" result, as in libcipc.h.
const (
	waitForever    = 0
	waitAbs        = 1
	waitRel        = 2
	waitSliceEnded = 1
)
