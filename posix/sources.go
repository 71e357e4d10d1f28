package posix

// The root package embeds csrc/*.c and include/*.h. Importing it makes their
// contents part of this package's build inputs, so an edit to a shim is
// recompiled instead of served stale from the build cache (cgo only sees the
// one-line z*.c trampolines here). It also makes `go mod vendor` copy them.
import _ "github.com/libcipc/libcipc"
