//go:build !cgo

package posix

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// In a CGO_ENABLED=0 build every constructor says cgo is required, by a
// *Error naming the libc call, instead of failing to compile.
func TestConstructorsSayCgoIsRequired(t *testing.T) {
	_, e1 := OpenSemaphore("/x", unix.O_CREAT, 0o600, 0)
	_, e2 := NewSemaphore(0)
	_, e3 := InitSemaphoreAt(nil, 0, 0)
	_, e4 := SemaphoreAt(nil, 0)
	_, e5 := OpenSharedMemory("/x", unix.O_RDWR, 0)
	_, e6 := Mmap(0, 0, 4096, unix.PROT_READ, unix.MAP_SHARED)
	_, e7 := MapAnonymous(4096, unix.PROT_READ, unix.MAP_SHARED)
	e8 := UnlinkSemaphore("/x")
	e9 := UnlinkSharedMemory("/x")
	for i, err := range []error{e1, e2, e3, e4, e5, e6, e7, e8, e9} {
		var pe *Error
		require.ErrorAs(t, err, &pe, "constructor %d", i+1)
		assert.ErrorIs(t, err, ErrCgoRequired, "constructor %d", i+1)
	}
	assert.Equal(t, "sem_open /x: "+ErrCgoRequired.Error(), e1.Error())
}
