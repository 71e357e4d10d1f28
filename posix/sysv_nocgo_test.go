//go:build !cgo

package posix

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// In a CGO_ENABLED=0 build every System V call says cgo is required, by a
// *Error naming the libc call.
func TestSysvSaysCgoIsRequired(t *testing.T) {
	_, e1 := Ftok("/tmp", 1)
	_, e2 := SemGet(IPC_PRIVATE, 1, unix.IPC_CREAT)
	e3 := SemOp(0, []SemBuf{{Op: 1}})
	_, e4 := SemCtl(0, 0, GETVAL, 0)
	_, e5 := MsgGet(IPC_PRIVATE, unix.IPC_CREAT)
	e6 := MsgSnd(0, 1, nil, 0)
	_, _, e7 := MsgRcv(0, nil, 0, 0)
	_, e8 := ShmGet(IPC_PRIVATE, 4096, unix.IPC_CREAT)
	_, e9 := ShmAt(0, 0)
	e10 := ShmCtl(0, unix.IPC_RMID, nil)
	for i, err := range []error{e1, e2, e3, e4, e5, e6, e7, e8, e9, e10} {
		var pe *Error
		require.ErrorAs(t, err, &pe, "call %d", i+1)
		assert.ErrorIs(t, err, ErrCgoRequired, "call %d", i+1)
	}
	assert.Equal(t, "semop semid=0: "+ErrCgoRequired.Error(), e3.Error())
}
