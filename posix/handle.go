package posix

import (
	"sync"
	"sync/atomic"
)

// handle is the lifecycle every handle type embeds (DESIGN.md section 3):
// calls in flight are counted, Close happens once, and the C object is released
// only after no goroutine is inside C with it.
//
//	if !h.enter() { return closedErr(op, name) } // the handle is closed
//	rc := cCall(obj)                              // the one cgo crossing
//	h.leave()
//
// Close calls h.close(release): the first caller marks the handle closed (later
// enters fail), closes done (waking goroutines that wait in Go), waits until the
// calls in flight have left, runs release (the C call that frees the object)
// and closes released. Any other caller of close waits for released, so nobody
// returns from a Close (or an Unmap of the memory the object lives in) while
// the object is still in use.
type handle struct {
	state    atomic.Uint64 // closedBit | number of calls in flight
	ok       bool          // made by init: a zero handle is refused, never touched
	done     chan struct{} // closed when Close begins; only for handles whose waiters select on it
	drained  chan struct{} // made by Close when calls are in flight; closed when the last leaves
	drainOne sync.Once
	closing  sync.Mutex // held by the first Close until it has released the object
}

const closedBit = 1 << 63

// init readies a handle; withDone makes the done channel, for handle types
// whose blocked calls wait in Go (select) and must see Close begin. Close
// allocates only when calls are in flight, so that a handle's open and close
// cost little.
func (h *handle) init(withDone bool) {
	h.ok = true
	if withDone {
		h.done = make(chan struct{})
	}
}

// valid reports whether the handle was made by a constructor: a zero value
// (var s posix.Semaphore) is treated like a nil handle, never touched.
func (h *handle) valid() bool { return h.ok }

// enter registers a call in flight; false means the handle is closed.
func (h *handle) enter() bool {
	if h.state.Add(1)&closedBit != 0 {
		h.leave()
		return false
	}
	return true
}

// leave ends a call registered by enter.
func (h *handle) leave() {
	if h.state.Add(^uint64(0)) == closedBit {
		h.drain()
	}
}

// drain tells a waiting close that the last call in flight has left. It is
// kept out of leave so that leave inlines into every method. drained, when
// Close needs it, was stored before the closed bit was set, so it is visible
// here; a call that only touched the count after Close began finds it nil.
func (h *handle) drain() {
	if h.drained != nil {
		h.drainOne.Do(func() { close(h.drained) })
	}
}

// closed reports whether Close has begun.
func (h *handle) closed() bool { return h.state.Load()&closedBit != 0 }

// close runs the handle's Close once: it returns release's result and true
// for the first caller; later callers wait until the first has finished and
// get false. A goroutine that holds an enter must not call close (it would wait
// forever for itself).
func (h *handle) close(release func() int32) (int32, bool) {
	return h.closeWaking(nil, release)
}

// closeWaking is close for handles whose blocked calls do not watch done on
// their own (they wait on the netpoller): wake runs after done is closed and
// before waiting for the calls in flight, to get them out.
func (h *handle) closeWaking(wake func(), release func() int32) (int32, bool) {
	h.closing.Lock()
	defer h.closing.Unlock()
	// Whoever sets the closed bit does so holding closing, so a caller that
	// finds it set has waited here until that Close finished.
	old := h.state.Load()
	for {
		if old&closedBit != 0 {
			return 0, false
		}
		if old != 0 && h.drained == nil {
			h.drained = make(chan struct{})
		}
		if h.state.CompareAndSwap(old, old|closedBit) {
			break
		}
		old = h.state.Load()
	}
	if h.done != nil {
		close(h.done)
	}
	if wake != nil {
		wake()
	}
	if old != 0 {
		<-h.drained
	}
	return release(), true
}

// child is a handle placed inside a Mapping (a semaphore, later a mutex…):
// unmapping closes it first, so no C object outlives the memory it lives in.
type child interface {
	closeForUnmap()
}

// closeDeferred is close for handles whose calls in flight cannot be woken
// (a barrier wait): it marks the handle closed at once; with calls in
// flight, release runs in another goroutine when the last has left, and
// closeDeferred returns deferred true. first is false when the handle was
// already closed.
func (h *handle) closeDeferred(release func() int32) (rc int32, first, deferred bool) {
	if h.closed() {
		return 0, false, false // closing may be held until the release: do not wait
	}
	h.closing.Lock()
	old := h.state.Load()
	for {
		if old&closedBit != 0 {
			h.closing.Unlock()
			return 0, false, false
		}
		if old != 0 && h.drained == nil {
			h.drained = make(chan struct{})
		}
		if h.state.CompareAndSwap(old, old|closedBit) {
			break
		}
		old = h.state.Load()
	}
	if h.done != nil {
		close(h.done)
	}
	if old == 0 {
		defer h.closing.Unlock()
		return release(), true, false
	}
	go func() {
		defer h.closing.Unlock()
		<-h.drained
		release()
	}()
	return 0, true, true
}

// inFlight reports whether calls are in flight.
func (h *handle) inFlight() bool { return h.state.Load()&^closedBit != 0 }
