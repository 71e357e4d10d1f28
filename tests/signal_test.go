package tests

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestSignalReceiverKeepsEverySignalWithItsInfo(t *testing.T) {
	sig := unix.Signal(44)
	r, err := posix.NewSignalReceiver(sig)
	require.NoError(t, err)
	defer r.Close()
	// Realtime signals queue: every one arrives, with its value (SI_QUEUE).
	const n = 30
	for i := 0; i < n; i++ {
		require.NoError(t, unix.Kill(os.Getpid(), sig))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 0; i < n; i++ {
		info, err := r.Receive(ctx)
		require.NoError(t, err, "signal %d of %d", i+1, n)
		assert.Equal(t, sig, info.Signo)
		assert.Equal(t, int32(0), info.Code, "SI_USER from kill")
		assert.Equal(t, os.Getpid(), info.Pid)
	}
	assert.Zero(t, r.Dropped(sig))
}

func TestSignalReceiverRefusesBadSignals(t *testing.T) {
	for _, s := range []unix.Signal{unix.SIGSEGV, unix.SIGURG, unix.SIGCHLD, 32, 33, 65, 0} {
		_, err := posix.NewSignalReceiver(s)
		assert.ErrorIs(t, err, unix.EINVAL, "signal %d", s)
	}
	_, err := posix.NewSignalReceiver(unix.SIGUSR1, unix.SIGUSR1)
	assert.ErrorIs(t, err, unix.EINVAL, "named twice")
	_, err = posix.NewSignalReceiver()
	assert.ErrorIs(t, err, unix.EINVAL)
	r, err := posix.NewSignalReceiver(unix.Signal(45))
	require.NoError(t, err)
	_, err = posix.NewSignalReceiver(unix.Signal(45))
	assert.ErrorIs(t, err, unix.EBUSY)
	require.NoError(t, r.Close())
	assert.ErrorIs(t, r.Close(), os.ErrClosed)
	_, err = r.Receive(context.Background())
	assert.ErrorIs(t, err, os.ErrClosed)
	// After Close the signal is free again.
	r, err = posix.NewSignalReceiver(unix.Signal(45))
	require.NoError(t, err)
	require.NoError(t, r.Close())
}

// Close while Receive calls wait (one cancelled meanwhile) never hangs.
func TestSignalReceiverCloseWhileReceiving(t *testing.T) {
	for i := 0; i < 200; i++ {
		r, err := posix.NewSignalReceiver(unix.Signal(46))
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		errs := make(chan error, 2)
		go func() { _, err := r.Receive(context.Background()); errs <- err }()
		go func() { _, err := r.Receive(ctx); errs <- err }()
		runtime.Gosched()
		cancel()
		closed := make(chan error, 1)
		go func() { closed <- r.Close() }()
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatalf("iteration %d: Close hung", i)
		}
		for j := 0; j < 2; j++ {
			select {
			case <-errs:
			case <-time.After(5 * time.Second):
				t.Fatalf("iteration %d: a Receive did not return", i)
			}
		}
	}
}
