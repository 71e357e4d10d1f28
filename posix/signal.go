package posix

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

const (
	sizeofSigaction     = 152 // sizeof(struct sigaction), checked against C
	sizeofSiginfoRecord = 32  // sizeof(libcipc_siginfo), checked against C
)

// SigInfo is what a SignalReceiver keeps of one signal: the fields of its
// siginfo_t.
type SigInfo struct {
	Signo unix.Signal
	Code  int32   // si_code: SI_QUEUE (-1), SI_MESGQ (-3), SI_USER (0), ...
	Pid   int     // si_pid: the sender
	UID   uint32  // si_uid: the sender's real user ID
	Value uintptr // si_value.sival_ptr (sigqueue(3) value, mq_notify sigev_value)
}

// SignalReceiver receives chosen signals with their siginfo, every one of them:
// Go's os/signal coalesces pending signals and does not pass si_value on (Go
// issues #9764, #22676). NewSignalReceiver installs a C handler with
// sigaction(2) (SA_SIGINFO|SA_ONSTACK|SA_RESTART) that writes each signal's
// siginfo to a pipe, read here on the netpoller.
//
// The same signals must not also be given to os/signal.Notify (which would
// install the Go runtime's handler again). Only one receiver may hold a signal
// at a time (EBUSY). A SignalReceiver is safe for concurrent use.
type SignalReceiver struct {
	h     handle
	r     *os.File
	w     int // the write end: a raw descriptor only Close closes (the handler writes to it)
	sigs  []unix.Signal
	old   [][sizeofSigaction]byte
	rlock chan struct{} // one reader of the pipe at a time; waits for it end with ctx
}

// sigHeld maps each received signal to its receiver, which keeps an installed
// receiver reachable until Close: the handler writes to its pipe.
var (
	sigHeldMu sync.Mutex
	sigHeld   = map[unix.Signal]*SignalReceiver{}
)

// receivable reports whether a signal may be taken from the Go runtime: the
// user signals and the realtime signals glibc leaves to applications.
func receivable(s unix.Signal) bool {
	return s == unix.SIGUSR1 || s == unix.SIGUSR2 || s >= 34 && s <= 64
}

// NewSignalReceiver installs the receiving handler for sigs with sigaction(2).
// Only SIGUSR1, SIGUSR2 and the realtime signals from glibc's SIGRTMIN (34) to
// SIGRTMAX (64) can be received (EINVAL otherwise, and for a signal named
// twice): the others belong to the Go runtime or to glibc's threads. Close
// restores the previous actions; a receiver that is never closed stays
// installed (and reachable) until the process exits.
func NewSignalReceiver(sigs ...unix.Signal) (*SignalReceiver, error) {
	const op = "sigaction"
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	if len(sigs) == 0 {
		return nil, invalidArg(op, "", "no signal")
	}
	sigHeldMu.Lock()
	defer sigHeldMu.Unlock()
	seen := map[unix.Signal]bool{}
	for _, s := range sigs {
		if seen[s] {
			return nil, invalidArg(op, unix.SignalName(s), "signal named twice")
		}
		seen[s] = true
		if !receivable(s) {
			return nil, invalidArg(op, unix.SignalName(s), fmt.Sprintf("signal %d is not one a receiver may take (SIGUSR1, SIGUSR2, 34..64)", int(s)))
		}
		if sigHeld[s] != nil {
			return nil, &Error{Op: op, Name: unix.SignalName(s), Err: &argError{msg: "another SignalReceiver holds this signal", errno: unix.EBUSY}}
		}
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, &Error{Op: "pipe2", Err: err}
	}
	sr := &SignalReceiver{r: os.NewFile(uintptr(p[0]), "signal-receiver"), w: p[1],
		old: make([][sizeofSigaction]byte, len(sigs)), rlock: make(chan struct{}, 1)}
	sr.h.init(true)
	for i, s := range sigs {
		if rc := cSigrecvInstall(int32(s), int32(p[1]), &sr.old[i]); rc != 0 {
			sr.restore()
			sr.r.Close()
			unix.Close(sr.w)
			return nil, errnoErr(op, unix.SignalName(s), rc)
		}
		sr.sigs = append(sr.sigs, s)
		sigHeld[s] = sr
	}
	return sr, nil
}

func (sr *SignalReceiver) restore() {
	for i, s := range sr.sigs {
		cSigrecvRestore(int32(s), &sr.old[i])
		delete(sigHeld, s)
	}
}

// Receive returns the next signal received, in the order the handler ran,
// waiting until one comes, ctx is done or the receiver is closed.
func (sr *SignalReceiver) Receive(ctx context.Context) (SigInfo, error) {
	const op = "read"
	if sr == nil || !sr.h.valid() {
		return SigInfo{}, nilErr(op)
	}
	if !sr.h.enter() {
		return SigInfo{}, closedErr(op, "")
	}
	defer sr.h.leave()
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { sr.r.SetReadDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	select {
	case sr.rlock <- struct{}{}:
	case <-ctx.Done():
		return SigInfo{}, &Error{Op: op, Err: ctx.Err()}
	case <-sr.h.done:
		return SigInfo{}, closedErr(op, "")
	}
	defer func() { <-sr.rlock }()
	var b [sizeofSiginfoRecord]byte
	for {
		// A wake-up meant for another caller's context reset the deadline;
		// a cancellation of ours after this check sets it again.
		if err := ctx.Err(); err != nil {
			return SigInfo{}, &Error{Op: op, Err: err}
		}
		_, err := io.ReadFull(sr.r, b[:])
		if err == nil {
			break
		}
		if sr.h.closed() {
			return SigInfo{}, closedErr(op, "")
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return SigInfo{}, &Error{Op: op, Err: err}
		}
		sr.r.SetReadDeadline(time.Time{})
		if sr.h.closed() {
			// Close's wake-up may have been the deadline just cleared.
			sr.r.SetReadDeadline(time.Unix(1, 0))
			return SigInfo{}, closedErr(op, "")
		}
	}
	le := binary.NativeEndian
	return SigInfo{
		Signo: unix.Signal(int32(le.Uint32(b[0:]))),
		Code:  int32(le.Uint32(b[4:])),
		Pid:   int(int32(le.Uint32(b[8:]))),
		UID:   le.Uint32(b[12:]),
		Value: uintptr(le.Uint64(b[16:])),
	}, nil
}

// Dropped returns how many of sig's signals were lost because the pipe was full
// (64 KiB: 2,048 signals not yet received).
func (sr *SignalReceiver) Dropped(sig unix.Signal) uint64 {
	if sr == nil || !sr.h.valid() {
		return 0
	}
	return cSigrecvDropped(int32(sig))
}

// Close restores the signals' previous actions with sigaction(2) and closes
// the pipe; blocked Receive calls return an error wrapping os.ErrClosed.
func (sr *SignalReceiver) Close() error {
	const op = "sigaction"
	if sr == nil || !sr.h.valid() {
		return nilErr(op)
	}
	_, first := sr.h.closeWaking(func() { sr.r.SetReadDeadline(time.Unix(1, 0)) }, func() int32 {
		sigHeldMu.Lock()
		sr.restore() // returns once no handler can still write to w
		sigHeldMu.Unlock()
		unix.Close(sr.w)
		sr.r.Close()
		return 0
	})
	if !first {
		return closedErr(op, "")
	}
	return nil
}
