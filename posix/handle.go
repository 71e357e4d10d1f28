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
// Close calls shut, which marks the handle closed (later enters fail), closes
// done (waking goroutines that wait in Go), and returns once the calls in flight
// have left; the caller then releases the C object.
type handle struct {
	state     atomic.Uint64 // closedBit | number of calls in flight
	done      chan struct{} // closed when Close begins
	drained   chan struct{} // closed when the last call in flight leaves after Close
	drainOnce sync.Once
}

const closedBit = 1 << 63

func (h *handle) init() {
	h.done = make(chan struct{})
	h.drained = make(chan struct{})
}

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

// drain tells a waiting shut that the last call in flight has left. It is
// kept out of leave so that leave inlines into every method.
func (h *handle) drain() { h.drainOnce.Do(func() { close(h.drained) }) }

// closed reports whether Close has begun.
func (h *handle) closed() bool { return h.state.Load()&closedBit != 0 }

// shut begins Close: it reports false if Close already began, otherwise it
// marks the handle closed, wakes waiters and waits until no call is in flight.
// A goroutine that holds an enter must not call shut (it would wait forever).
func (h *handle) shut() bool {
	old := h.state.Or(closedBit)
	if old&closedBit != 0 {
		return false
	}
	close(h.done)
	if old != 0 {
		<-h.drained
	}
	return true
}

// child is a handle placed inside a Mapping (a semaphore, later a mutex…):
// unmapping closes it first, so no C object outlives the memory it lives in.
type child interface {
	closeForUnmap()
}
