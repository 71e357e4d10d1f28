//go:build required

package posix

// These imports keep csrc/ and include/ in a vendored copy of the module:
// `go mod vendor` considers every build tag, so it sees them and copies the
// directories; no real build uses the "required" tag.
import (
	_ "github.com/libcipc/libcipc/csrc"
	_ "github.com/libcipc/libcipc/include"
)
