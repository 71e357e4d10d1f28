package posix

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Goroutines are not threads (DESIGN.md section 5): the scheduler moves a
// goroutine between OS threads unless it is locked to one with
// runtime.LockOSThread. Everything in this file that is per thread (Gettid,
// PthreadSelf, Key values, ThreadVar values) is only meaningful while the
// calling goroutine is locked; LockedThread runs a func that way and cleans
// up after it.

// Gettid returns the calling thread's id, with gettid(2). In a process's main
// thread it equals Getpid; any other thread has its own. Meaningful only while
// the goroutine is locked to its thread.
func Gettid() int { return int(cGettid()) }

// Getpid returns the process id, with getpid(2): the same in every thread.
func Getpid() int { return int(cGetpid()) }

// Getppid returns the parent's process id, with getppid(2).
func Getppid() int { return int(cGetppid()) }

// PthreadSelf returns the calling thread's pthread_t, from pthread_self(3):
// an opaque handle (the address of glibc's thread descriptor), unique among
// live threads of the process, not a kernel id.
func PthreadSelf() uint64 { return cPthreadSelf() }

// ---- thread-specific data: pthread_key_create ------------------------------

// goDtors is the number of keys that may have a Go destructor at once (C
// trampolines in csrc/thread.c).
const goDtors = 64

// Destructor is what runs on a thread's non-NULL value of a Key when the
// thread exits: a C function or a Go func. The zero Destructor is none.
type Destructor struct {
	cname string
	fn    func(value uintptr)
}

// CDestructor names a C function of the process, void f(void *), found with
// dlsym(3) (RTLD_DEFAULT) when the key is created: "free" for values from
// malloc, or any exported function of the program's C code. It runs on the
// exiting thread, as pthread_key_create(3) says.
func CDestructor(name string) Destructor { return Destructor{cname: name} }

// GoDestructor makes fn the destructor. A Go func cannot run on an exiting
// thread (calling into Go from a key destructor there crashes the runtime),
// so the C destructor sends (key, value) through a pipe and fn runs later, in
// a goroutine of the package, once per exiting thread's non-NULL value. At
// most 64 keys with a Go destructor exist at once (EAGAIN beyond).
func GoDestructor(fn func(value uintptr)) Destructor { return Destructor{fn: fn} }

// Key is a pthread_key_t: each thread has its own value for it, NULL (0) until
// set. Values are uintptr: integers or pointers to C memory, never Go pointers
// (the garbage collector cannot see them).
//
// Set and Get act on the calling thread's value: lock the goroutine to its
// thread (runtime.LockOSThread, or LockedThread) for them to mean anything.
// When a locked goroutine exits without unlocking, Go ends its thread and the
// destructor runs on the thread's non-NULL value; a goroutine that unlocks
// leaves its value on the thread for the next goroutine there (LockedThread
// clears it). A Key is safe for concurrent use.
type Key struct {
	h    handle
	key  uint32
	dtor Destructor
	slot int32 // Go destructor slot, or -1
	gen  uint32
}

var keys = struct {
	sync.Mutex
	live    map[*Key]struct{}
	goFns   map[uint64]func(uintptr) // slot<<32 | gen
	used    [goDtors]bool
	started bool
	fences  []uint64 // ids of deleted keys for fenceWriter, in order
	writing bool     // fenceWriter is running
}{live: map[*Key]struct{}{}, goFns: map[uint64]func(uintptr){}}

// NewKey creates a key with pthread_key_create(3) and destructor d (zero:
// none). ENOENT when a CDestructor's name is not found; EAGAIN when
// PTHREAD_KEYS_MAX keys (1024) or 64 Go destructors exist.
func NewKey(d Destructor) (*Key, error) {
	const op = "pthread_key_create"
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	k := &Key{dtor: d, slot: -1}
	var rc int32
	if d.fn != nil {
		keys.Lock()
		if err := startDtorReader(); err != nil {
			keys.Unlock()
			return nil, &Error{Op: op, Err: err}
		}
		for i := range keys.used {
			if !keys.used[i] {
				k.slot = int32(i)
				break
			}
		}
		if k.slot < 0 {
			keys.Unlock()
			return nil, &Error{Op: op, Err: &argError{msg: "64 keys with a Go destructor exist", errno: unix.EAGAIN}}
		}
		k.gen = atomic.AddUint32(&dtorGen[k.slot], 1)
		rc = cKeyCreateGo(k.slot, &k.key)
		if rc == 0 {
			keys.used[k.slot] = true
			keys.goFns[uint64(k.slot)<<32|uint64(k.gen)] = d.fn
		}
		keys.Unlock()
	} else {
		var buf [256]byte
		p, err := cName(&buf, op, d.cname)
		if err != nil {
			return nil, err
		}
		rc = cKeyCreateC(p, &k.key)
	}
	if rc != 0 {
		return nil, errnoErr(op, d.cname, rc)
	}
	k.h.init(false)
	keys.Lock()
	keys.live[k] = struct{}{}
	keys.Unlock()
	return k, nil
}

// startDtorReader starts the goroutine running Go destructors (keys held).
func startDtorReader() error {
	if keys.started {
		return nil
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	r := os.NewFile(uintptr(fds[0]), "libcipc-key-destructors")
	atomic.StoreInt32(dtorFd, int32(fds[1]))
	keys.started = true
	go func() {
		var rec [16]byte
		for {
			if _, err := readFull(r, rec[:]); err != nil {
				return
			}
			slot := *(*uint32)(unsafe.Pointer(&rec[0]))
			gen := *(*uint32)(unsafe.Pointer(&rec[4]))
			value := *(*uint64)(unsafe.Pointer(&rec[8]))
			keys.Lock()
			if slot == fenceSlot {
				// Every record of the deleted key is read: forget it.
				delete(keys.goFns, value)
				keys.Unlock()
				continue
			}
			fn := keys.goFns[uint64(slot)<<32|uint64(gen)]
			keys.Unlock()
			if fn != nil {
				fn(uintptr(value))
			}
		}
	}()
	return nil
}

const fenceSlot = ^uint32(0)

func readFull(f *os.File, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := f.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Set sets the calling thread's value with pthread_setspecific(3).
func (k *Key) Set(value uintptr) error {
	const op = "pthread_setspecific"
	if k == nil || !k.h.valid() {
		return nilErr(op)
	}
	if !k.h.enter() {
		return closedErr(op, "")
	}
	rc := cSetSpecific(k.key, value)
	k.h.leave()
	if rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// Get returns the calling thread's value with pthread_getspecific(3): 0 if
// this thread never set it.
func (k *Key) Get() (uintptr, error) {
	const op = "pthread_getspecific"
	if k == nil || !k.h.valid() {
		return 0, nilErr(op)
	}
	if !k.h.enter() {
		return 0, closedErr(op, "")
	}
	v := cGetSpecific(k.key)
	k.h.leave()
	return v, nil
}

// Delete deletes the key with pthread_key_delete(3). As in C, no destructor
// runs for the values threads still hold: free them first if they need it.
// Later calls return an error wrapping os.ErrClosed.
func (k *Key) Delete() error {
	const op = "pthread_key_delete"
	if k == nil || !k.h.valid() {
		return nilErr(op)
	}
	rc, first := k.h.close(func() int32 {
		rc := cKeyDelete(k.key)
		keys.Lock()
		delete(keys.live, k)
		if k.slot >= 0 {
			// Records of threads that exited before the delete are in the
			// pipe: the slot's function stays until the reader has passed
			// them; the slot is reused with a new generation.
			keys.used[k.slot] = false
			keys.fences = append(keys.fences, uint64(k.slot)<<32|uint64(k.gen))
			if !keys.writing {
				keys.writing = true
				go fenceWriter()
			}
		}
		keys.Unlock()
		return rc
	})
	if !first {
		return closedErr(op, "")
	}
	if rc != 0 {
		return errnoErr(op, "", rc)
	}
	return nil
}

// fenceWriter sends the destructor reader, in order, a record for each
// deleted key after which the reader forgets it. One goroutine writes them
// all: a write blocks while the pipe is full (the reader busy in a
// destructor) and holds its thread meanwhile, so a goroutine per Delete held
// a thread per Delete. It ends when the queue is empty.
func fenceWriter() {
	var rec [16]byte
	*(*uint32)(unsafe.Pointer(&rec[0])) = fenceSlot
	for {
		keys.Lock()
		if len(keys.fences) == 0 {
			keys.fences = nil
			keys.writing = false
			keys.Unlock()
			return
		}
		id := keys.fences[0]
		keys.fences = keys.fences[1:]
		keys.Unlock()
		*(*uint64)(unsafe.Pointer(&rec[8])) = id
		unix.Write(int(atomic.LoadInt32(dtorFd)), rec[:])
	}
}

// ---- pthread_once ---------------------------------------------------------

// Once runs a function exactly once in the process, with pthread_once(3):
// whichever thread calls Do first runs f, the others wait until it has
// returned. Like sync.Once, a panic in f, or a runtime.Goexit, counts as done
// (and goes on in the caller whose Do ran f). f runs in a goroutine of its own
// while the calling thread waits in pthread_once, so it is not on that thread
// (a Goexit must not unwind through C). f must not call Do on the same Once
// (it deadlocks, as in C). Goroutines waiting for f hold their OS threads
// meanwhile.
type Once struct {
	p    unsafe.Pointer // *pthread_once_t in C memory, freed when o is unreachable
	done atomic.Bool
}

// NewOnce allocates a pthread_once_t (PTHREAD_ONCE_INIT) in C memory.
func NewOnce() (*Once, error) {
	const op = "pthread_once"
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	p, rc := cOnceNew()
	if rc != 0 {
		return nil, errnoErr(op, "", rc)
	}
	o := &Once{p: p}
	runtime.AddCleanup(o, cFree, p)
	return o, nil
}

type onceCall struct {
	f        func()
	panicked bool
	exited   bool // f called runtime.Goexit (t.FailNow, t.Skip, …)
	value    any
}

// run is pthread_once's routine. f runs in a goroutine of its own and run
// waits for it: a runtime.Goexit in f must not unwind through the C frames of
// pthread_once (the once would stay "in progress" and every later Do would
// block for ever); it is repeated in Do once pthread_once has returned.
func (c *onceCall) run() {
	done := make(chan struct{})
	go func() {
		normal := false
		defer func() {
			if !normal {
				if c.value = recover(); c.value != nil {
					c.panicked = true
				} else {
					c.exited = true // Goexit (or panic(nil), an error since Go 1.21)
				}
			}
			close(done)
		}()
		c.f()
		normal = true
	}()
	<-done
}

// Do calls pthread_once(3) with a routine that runs f, unless a Do already
// returned (then it returns at once, without calling libc).
func (o *Once) Do(f func()) error {
	const op = "pthread_once"
	if o == nil || o.p == nil {
		return nilErr(op)
	}
	if o.done.Load() {
		return nil
	}
	c := &onceCall{f: f}
	rc := cOnce(o.p, c)
	runtime.KeepAlive(o)
	if rc != 0 {
		return errnoErr(op, "", rc)
	}
	o.done.Store(true)
	if c.panicked {
		panic(c.value)
	}
	if c.exited {
		runtime.Goexit()
	}
	return nil
}

// ---- __thread ---------------------------------------------------------------

// tlsSlots is the number of __thread variables in csrc/thread.c.
const tlsSlots = 64

var tlsPool = struct {
	sync.Mutex
	used [tlsSlots]bool
	gen  uint64
}{}

// ThreadVar is a uint64 in C __thread storage (a gcc thread-local variable):
// each thread has its own, 0 until set, read and written by the shim without
// any libc call. It is what the seed's "__thread int count" is in C.
//
// Get, Set and Add act on the calling thread's copy: lock the goroutine to its
// thread for them to mean anything. A goroutine that unlocks leaves its value
// to the next goroutine on that thread (LockedThread clears it). At most 64
// ThreadVars exist at once (EAGAIN beyond); a closed one's slot is reused
// with a new generation, so a new ThreadVar reads 0 everywhere.
type ThreadVar struct {
	slot   int32
	gen    uint64
	closed atomic.Bool
	ok     bool
}

// NewThreadVar takes a free __thread slot.
func NewThreadVar() (*ThreadVar, error) {
	const op = "__thread"
	if !cgoEnabled {
		return nil, cgoErr(op, "")
	}
	tlsPool.Lock()
	defer tlsPool.Unlock()
	for i := range tlsPool.used {
		if !tlsPool.used[i] {
			tlsPool.used[i] = true
			tlsPool.gen++
			return &ThreadVar{slot: int32(i), gen: tlsPool.gen, ok: true}, nil
		}
	}
	return nil, &Error{Op: op, Err: &argError{msg: "all 64 __thread slots are in use", errno: unix.EAGAIN}}
}

func (v *ThreadVar) check(op string) error {
	if v == nil || !v.ok {
		return nilErr(op)
	}
	if v.closed.Load() {
		return closedErr(op, "")
	}
	return nil
}

// Get returns the calling thread's value.
func (v *ThreadVar) Get() (uint64, error) {
	if err := v.check("__thread"); err != nil {
		return 0, err
	}
	return cTLSGet(v.slot, v.gen), nil
}

// Set sets the calling thread's value.
func (v *ThreadVar) Set(x uint64) error {
	if err := v.check("__thread"); err != nil {
		return err
	}
	cTLSSet(v.slot, v.gen, x)
	return nil
}

// Add adds delta to the calling thread's value (count++ in C, one crossing)
// and returns the new value.
func (v *ThreadVar) Add(delta uint64) (uint64, error) {
	if err := v.check("__thread"); err != nil {
		return 0, err
	}
	return cTLSAdd(v.slot, v.gen, delta), nil
}

// Close gives the slot back. Later calls return an error wrapping
// os.ErrClosed.
func (v *ThreadVar) Close() error {
	if err := v.check("__thread"); err != nil {
		return err
	}
	if v.closed.Swap(true) {
		return closedErr("__thread", "")
	}
	tlsPool.Lock()
	tlsPool.used[v.slot] = false
	tlsPool.Unlock()
	return nil
}

// ---- LockedThread -----------------------------------------------------------

// LockedThread runs fn with the calling goroutine locked to its OS thread
// (runtime.LockOSThread), then clears the thread-local state set through this
// package before unlocking, as if the thread had exited: each live Key's
// non-NULL value is set to NULL and its destructor run on it (a C destructor
// called directly, a Go one in this goroutine), up to 4 rounds as glibc does
// (PTHREAD_DESTRUCTOR_ITERATIONS), and every ThreadVar of the thread is
// zeroed. Without this, a goroutine scheduled on the thread next would see
// the values (measured: it does).
func LockedThread(fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer clearThread()
	fn()
}

func clearThread() {
	if !cgoEnabled {
		return
	}
	for round := 0; round < 4; round++ {
		keys.Lock()
		live := make([]*Key, 0, len(keys.live))
		for k := range keys.live {
			live = append(live, k)
		}
		keys.Unlock()
		again := false
		for _, k := range live {
			v, err := k.Get()
			if err != nil || v == 0 {
				continue
			}
			if k.Set(0) != nil {
				continue
			}
			again = true
			switch {
			case k.dtor.fn != nil:
				k.dtor.fn(v)
			case k.dtor.cname != "":
				var buf [256]byte
				if p, err := cName(&buf, "pthread_key_create", k.dtor.cname); err == nil {
					cCallDtor(p, v)
				}
			}
		}
		if !again {
			break
		}
	}
	cTLSClear()
}
