package posix

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SharedMemory is a POSIX shared memory object (shm_overview(7)) opened with
// shm_open(3): a file in the tmpfs at /dev/shm that processes map to share
// memory. Size it with Truncate, map it with Map, remove its name with
// UnlinkSharedMemory.
//
// A SharedMemory is safe for concurrent use. Close closes the descriptor once;
// calls after Close return an error wrapping os.ErrClosed. Mappings made from it
// stay valid after Close, as in C.
type SharedMemory struct {
	h       handle
	fd      int
	name    string
	cleanup runtime.Cleanup
}

// cInts checks pairs of (what, value) with cInt.
func cInts(op, name string, kv ...any) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if err := cInt(op, name, kv[i].(string), kv[i+1].(int)); err != nil {
			return err
		}
	}
	return nil
}

// OpenSharedMemory opens or creates the shared memory object name with
// shm_open(3). flag is unix.O_RDONLY or unix.O_RDWR, optionally with
// unix.O_CREAT, unix.O_EXCL and unix.O_TRUNC; mode (less the umask) applies when
// the object is created. The descriptor is close-on-exec, as glibc makes it. The
// name goes to libc untouched.
func OpenSharedMemory(name string, flag int, mode uint32) (*SharedMemory, error) {
	const op = "shm_open"
	var buf [256]byte
	cname, err := cName(&buf, op, name)
	if err != nil {
		return nil, err
	}
	if err := cInt(op, name, "flag", flag); err != nil {
		return nil, err
	}
	fd := cShmOpen(cname, int32(flag), mode)
	if fd < 0 {
		return nil, errnoErr(op, name, fd)
	}
	s := &SharedMemory{fd: int(fd), name: name}
	s.h.init(false)
	s.cleanup = runtime.AddCleanup(s, func(fd int32) { cClose(fd) }, fd)
	return s, nil
}

// UnlinkSharedMemory removes the name of a shared memory object with
// shm_unlink(3). Processes that have it open or mapped keep using it.
func UnlinkSharedMemory(name string) error {
	const op = "shm_unlink"
	var buf [256]byte
	cname, err := cName(&buf, op, name)
	if err != nil {
		return err
	}
	if rc := cShmUnlink(cname); rc != 0 {
		return errnoErr(op, name, rc)
	}
	return nil
}

// Name returns the name the object was opened with.
func (s *SharedMemory) Name() string {
	if s == nil {
		return ""
	}
	return s.name
}

// Fd returns the file descriptor, or -1 for a nil or closed object. It stays
// owned by s: it is invalid after Close.
func (s *SharedMemory) Fd() int {
	if s == nil || !s.h.valid() || s.h.closed() {
		return -1
	}
	return s.fd
}

// Truncate sets the object's size with ftruncate(2); new bytes read as zero.
func (s *SharedMemory) Truncate(size int64) error {
	const op = "ftruncate"
	if s == nil || !s.h.valid() {
		return nilErr(op)
	}
	if !s.h.enter() {
		return closedErr(op, s.name)
	}
	rc := cFtruncate(int32(s.fd), size)
	s.h.leave()
	if rc != 0 {
		return errnoErr(op, s.name, rc)
	}
	return nil
}

// SharedMemoryStat is what fstat(2) says of a shared memory object.
type SharedMemoryStat struct {
	Size int64
	Mode uint32 // st_mode: file type and permission bits
	UID  uint32
	GID  uint32
}

// Stat returns the object's size, mode and owner with fstat(2).
func (s *SharedMemory) Stat() (SharedMemoryStat, error) {
	const op = "fstat"
	if s == nil || !s.h.valid() {
		return SharedMemoryStat{}, nilErr(op)
	}
	if !s.h.enter() {
		return SharedMemoryStat{}, closedErr(op, s.name)
	}
	var out [4]int64
	rc := cFstat(int32(s.fd), &out)
	s.h.leave()
	if rc != 0 {
		return SharedMemoryStat{}, errnoErr(op, s.name, rc)
	}
	return SharedMemoryStat{Size: out[0], Mode: uint32(out[1]), UID: uint32(out[2]), GID: uint32(out[3])}, nil
}

// Size returns the object's size with fstat(2): what Truncate last set, by
// this process or another.
func (s *SharedMemory) Size() (int64, error) {
	st, err := s.Stat()
	return st.Size, err
}

// Map maps length bytes of the object from offset off with mmap(2): prot is a
// combination of unix.PROT_READ and unix.PROT_WRITE, flags unix.MAP_SHARED (other
// processes see the writes) or unix.MAP_PRIVATE, plus any other MAP_ flag. Bytes
// past the end of the object fault when touched (SIGBUS), as in C.
func (s *SharedMemory) Map(off int64, length int, prot, flags int) (*Mapping, error) {
	const op = "mmap"
	if s == nil || !s.h.valid() {
		return nil, nilErr(op)
	}
	if !s.h.enter() {
		return nil, closedErr(op, s.name)
	}
	m, err := mmap(op, s.name, length, prot, flags, s.fd, off)
	s.h.leave()
	return m, err
}

// Close closes the descriptor with close(2). It does not unlink the name and
// does not unmap mappings made from the object.
func (s *SharedMemory) Close() error {
	const op = "close"
	if s == nil || !s.h.valid() {
		return nilErr(op)
	}
	rc, first := s.h.close(func() int32 {
		s.cleanup.Stop()
		return cClose(int32(s.fd))
	})
	if !first {
		return closedErr(op, s.name)
	}
	if rc != 0 {
		return errnoErr(op, s.name, rc)
	}
	return nil
}

// Mapping is memory mapped with mmap(2). Bytes gives direct access to it;
// ReadAt, WriteAt and the atomic accessors give checked access that returns an
// error instead of crashing when the memory faults; C objects shared between
// processes (semaphores, and later mutexes and conditions) are placed in it at
// offsets with InitSemaphoreAt and SemaphoreAt.
//
// A Mapping is safe for concurrent use. Unmap waits for the calls in flight,
// detaches every object placed in it (their blocked calls return
// os.ErrClosed), then unmaps. Slices from Bytes must not be used after Unmap, or after
// a Remap that moved the mapping: touching them then is a fault that crashes
// the process, as it would in C.
type Mapping struct {
	h        handle
	amu      sync.RWMutex // guards addr, length and prot against Remap and Protect
	addr     unsafe.Pointer
	length   int
	prot     int
	name     string
	shmat    bool       // from ShmAt: Unmap is shmdt(2), Remap is refused
	mu       sync.Mutex // guards children
	children map[child]struct{}
}

// Mmap maps length bytes of the file open as fd, from offset off, with mmap(2).
// prot and flags are mmap's (unix.PROT_*, unix.MAP_*). The mapping does not keep
// fd open. An offset that is not a multiple of the page size, or a length of 0,
// fails with EINVAL, from the kernel.
func Mmap(fd int, off int64, length int, prot, flags int) (*Mapping, error) {
	return mmap("mmap", "", length, prot, flags, fd, off)
}

// MapAnonymous maps length bytes of zeroed memory backed by no file, with
// mmap(2) and MAP_ANONYMOUS added to flags. With unix.MAP_SHARED the memory is
// shared with children made by fork, which Go programs rarely use; to share
// memory with other processes use OpenSharedMemory.
func MapAnonymous(length int, prot, flags int) (*Mapping, error) {
	return mmap("mmap", "", length, prot, flags|unix.MAP_ANONYMOUS, -1, 0)
}

func mmap(op, name string, length, prot, flags, fd int, off int64) (*Mapping, error) {
	if !cgoEnabled {
		return nil, cgoErr(op, name)
	}
	if length < 0 {
		// size_t has no negative values: C would see a huge length.
		return nil, invalidArg(op, name, fmt.Sprintf("negative length %d", length))
	}
	if err := cInts(op, name, "prot", prot, "flags", flags, "fd", fd); err != nil {
		return nil, err
	}
	p, rc := cMmap(uintptr(length), int32(prot), int32(flags), int32(fd), off)
	if rc != 0 {
		return nil, errnoErr(op, name, rc)
	}
	m := &Mapping{addr: p, length: length, prot: prot, name: name}
	m.h.init(false)
	return m, nil
}

// Bytes returns the mapped memory as a slice (nil for a nil or unmapped
// Mapping): the zero-cost path. It is valid until Unmap, or until a Remap that
// moves the mapping.
func (m *Mapping) Bytes() []byte {
	if m == nil || !m.h.valid() {
		return nil
	}
	m.amu.RLock()
	defer m.amu.RUnlock()
	if m.h.closed() {
		return nil
	}
	return unsafe.Slice((*byte)(m.addr), m.length)
}

// Len returns the length of the mapping in bytes (0 once unmapped).
func (m *Mapping) Len() int {
	if m == nil || !m.h.valid() {
		return 0
	}
	m.amu.RLock()
	defer m.amu.RUnlock()
	if m.h.closed() {
		return 0
	}
	return m.length
}

// Name returns the name of the shared memory object the mapping came from
// ("" for Mmap and MapAnonymous).
func (m *Mapping) Name() string {
	if m == nil {
		return ""
	}
	return m.name
}

// use runs fn with the mapping's address and length while it can be neither
// unmapped nor moved.
func (m *Mapping) use(op string, fn func(addr unsafe.Pointer, length int) error) error {
	if m == nil || !m.h.valid() {
		return nilErr(op)
	}
	if !m.h.enter() {
		return closedErr(op, m.name)
	}
	defer m.h.leave()
	m.amu.RLock()
	defer m.amu.RUnlock()
	return fn(m.addr, m.length)
}

// protFault reports, without touching memory, an access the mapping's own
// protection (as recorded from mmap and Protect) forbids on every processor:
// any access to a PROT_NONE mapping, a write to one without PROT_WRITE. (A
// PROT_WRITE-only page is readable on x86, as in C.)
func (m *Mapping) protFault(op string, addr unsafe.Pointer, write bool) error {
	bad := m.prot&(unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC) == 0
	if write {
		bad = m.prot&unix.PROT_WRITE == 0
	}
	if bad {
		return &Error{Op: op, Name: m.name, Err: &faultError{addr: uintptr(addr)}}
	}
	return nil
}

// faultError is the cause of a fault caught by guard.
type faultError struct{ addr uintptr }

func (e *faultError) Error() string {
	return fmt.Sprintf("memory fault at %#x (a page not readable or writable, or past the end of the object behind the mapping): %v", e.addr, unix.EFAULT)
}
func (e *faultError) Unwrap() error { return unix.EFAULT }

// guard runs fn, turning a memory fault inside it (SIGSEGV on a PROT_NONE or
// read-only page, SIGBUS past the end of a truncated file) into an error
// wrapping EFAULT: debug.SetPanicOnFault makes the fault a panic, recovered
// here. Other panics go on.
func guard(op, name string, fn func()) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if f, ok := r.(interface{ Addr() uintptr }); ok {
				err = &Error{Op: op, Name: name, Err: &faultError{addr: f.Addr()}}
				return
			}
			panic(r)
		}
	}()
	fn()
	return nil
}

// copyPages copies src into dst in pieces that end at page boundaries of the
// mapped side (which starts at mapped), advancing *done after each, so that a
// fault part way leaves *done at the exact number of bytes copied (memmove
// copies a piece in no particular order). It returns the total.
func copyPages(dst, src []byte, mapped uintptr, done *int) int {
	total := min(len(dst), len(src))
	ps := uintptr(PageSize())
	for *done < total {
		piece := int(ps - (mapped+uintptr(*done))%ps)
		piece = min(piece, total-*done)
		copy(dst[*done:*done+piece], src[*done:*done+piece])
		*done += piece
	}
	return total
}

// ReadAt copies len(p) bytes from offset off of the mapping into p
// (io.ReaderAt): fewer, with io.EOF, when the mapping ends first. A fault (see
// guard) is an error wrapping EFAULT, never a crash, with n the bytes copied
// before it. It does not allocate.
func (m *Mapping) ReadAt(p []byte, off int64) (n int, err error) {
	const op = "read"
	err = m.use(op, func(addr unsafe.Pointer, length int) error {
		if off < 0 || off > int64(length) {
			return invalidArg(op, m.name, "offset outside the mapping")
		}
		src := unsafe.Slice((*byte)(addr), length)[off:]
		if len(p) > 0 && len(src) > 0 {
			if err := m.protFault(op, unsafe.Add(addr, off), false); err != nil {
				return err
			}
		}
		if gerr := guard(op, m.name, func() { n = copyPages(p, src, uintptr(addr)+uintptr(off), &n) }); gerr != nil {
			return gerr
		}
		if n < len(p) {
			return io.EOF
		}
		return nil
	})
	return n, err
}

// WriteAt copies p into the mapping at offset off (io.WriterAt): fewer bytes,
// with an error wrapping io.ErrShortWrite, when the mapping ends first. A fault
// (a read-only page, a page past the end of a truncated object) is an error
// wrapping EFAULT, never a crash. It does not allocate.
func (m *Mapping) WriteAt(p []byte, off int64) (n int, err error) {
	const op = "write"
	err = m.use(op, func(addr unsafe.Pointer, length int) error {
		if off < 0 || off > int64(length) {
			return invalidArg(op, m.name, "offset outside the mapping")
		}
		dst := unsafe.Slice((*byte)(addr), length)[off:]
		if len(p) > 0 && len(dst) > 0 {
			if err := m.protFault(op, unsafe.Add(addr, off), true); err != nil {
				return err
			}
		}
		if gerr := guard(op, m.name, func() { n = copyPages(dst, p, uintptr(addr)+uintptr(off), &n) }); gerr != nil {
			return gerr
		}
		if n < len(p) {
			return &Error{Op: op, Name: m.name, Err: io.ErrShortWrite}
		}
		return nil
	})
	return n, err
}

// Sync flushes the mapping with msync(2): flags is unix.MS_SYNC or
// unix.MS_ASYNC, optionally with unix.MS_INVALIDATE.
func (m *Mapping) Sync(flags int) error {
	const op = "msync"
	return m.use(op, func(addr unsafe.Pointer, length int) error {
		if err := cInt(op, m.name, "flags", flags); err != nil {
			return err
		}
		if rc := cMsync(addr, uintptr(length), int32(flags)); rc != 0 {
			return errnoErr(op, m.name, rc)
		}
		return nil
	})
}

// Advise gives the kernel advice about the mapping with madvise(2), e.g.
// unix.MADV_WILLNEED, unix.MADV_DONTNEED, unix.MADV_SEQUENTIAL.
func (m *Mapping) Advise(advice int) error {
	const op = "madvise"
	return m.use(op, func(addr unsafe.Pointer, length int) error {
		if err := cInt(op, m.name, "advice", advice); err != nil {
			return err
		}
		if rc := cMadvise(addr, uintptr(length), int32(advice)); rc != 0 {
			return errnoErr(op, m.name, rc)
		}
		return nil
	})
}

// Lock locks the mapping's pages in RAM with mlock(2) (RLIMIT_MEMLOCK applies).
func (m *Mapping) Lock() error {
	const op = "mlock"
	return m.use(op, func(addr unsafe.Pointer, length int) error {
		if rc := cMlock(addr, uintptr(length)); rc != 0 {
			return errnoErr(op, m.name, rc)
		}
		return nil
	})
}

// Unlock unlocks the mapping's pages with munlock(2).
func (m *Mapping) Unlock() error {
	const op = "munlock"
	return m.use(op, func(addr unsafe.Pointer, length int) error {
		if rc := cMunlock(addr, uintptr(length)); rc != 0 {
			return errnoErr(op, m.name, rc)
		}
		return nil
	})
}

// Protect changes the mapping's protection with mprotect(2). While objects are
// placed in the mapping (semaphores…), it must stay readable and writable:
// another protection fails with EBUSY, as C code using them would crash.
func (m *Mapping) Protect(prot int) error {
	const op = "mprotect"
	if m == nil || !m.h.valid() {
		return nilErr(op)
	}
	if err := cInt(op, m.name, "prot", prot); err != nil {
		return err
	}
	if !m.h.enter() {
		return closedErr(op, m.name)
	}
	defer m.h.leave()
	m.amu.Lock()
	defer m.amu.Unlock()
	if prot&(unix.PROT_READ|unix.PROT_WRITE) != unix.PROT_READ|unix.PROT_WRITE && m.placed() {
		return &Error{Op: op, Name: m.name, Err: &argError{msg: "objects are placed in the mapping", errno: unix.EBUSY}}
	}
	if rc := cMprotect(m.addr, uintptr(m.length), int32(prot)); rc != 0 {
		return errnoErr(op, m.name, rc)
	}
	m.prot = prot
	return nil
}

// Remap resizes the mapping to newLen bytes with mremap(2); flags is 0 (resize
// in place, ENOMEM if the address range cannot grow) or unix.MREMAP_MAYMOVE
// (anything else, which would need a new address, is EINVAL).
// Contents are kept. When the mapping moves, slices taken from Bytes before
// point to memory that is no longer mapped (using them is a crash, as in C);
// when it shrinks, bytes past newLen are no longer mapped. While objects are
// placed in the mapping, Remap fails with EBUSY.
func (m *Mapping) Remap(newLen int, flags int) error {
	const op = "mremap"
	if m == nil || !m.h.valid() {
		return nilErr(op)
	}
	if newLen < 0 {
		return invalidArg(op, m.name, fmt.Sprintf("negative length %d", newLen))
	}
	if m.shmat {
		return &Error{Op: op, Name: m.name, Err: &argError{msg: shmatRemap, errno: unix.EINVAL}}
	}
	if flags&^unix.MREMAP_MAYMOVE != 0 {
		// MREMAP_FIXED and MREMAP_DONTUNMAP take a new address, which this
		// API does not offer (glibc would read whatever is in the register).
		return invalidArg(op, m.name, fmt.Sprintf("flags %#x: only 0 and MREMAP_MAYMOVE", flags))
	}
	if !m.h.enter() {
		return closedErr(op, m.name)
	}
	defer m.h.leave()
	m.amu.Lock()
	defer m.amu.Unlock()
	if m.placed() {
		return &Error{Op: op, Name: m.name, Err: &argError{msg: "objects are placed in the mapping", errno: unix.EBUSY}}
	}
	p, rc := cMremap(m.addr, uintptr(m.length), uintptr(newLen), int32(flags))
	if rc != 0 {
		return errnoErr(op, m.name, rc)
	}
	m.addr, m.length = p, newLen
	return nil
}

func (m *Mapping) placed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.children) > 0
}

// Unmap closes the objects placed in the mapping, then unmaps it with
// munmap(2) (shmdt(2) for a segment from ShmAt). It refuses with EBUSY, and
// unmaps nothing, while a placed object is in use: a mutex held by a
// goroutine of this process (glibc would go on writing through a robust
// one's list into the unmapped range) or a barrier goroutines wait in. A
// second Unmap returns an error wrapping os.ErrClosed.
func (m *Mapping) Unmap() error {
	op := "munmap"
	if m != nil && m.shmat {
		op = "shmdt"
	}
	if m == nil || !m.h.valid() {
		return nilErr(op)
	}
	if err := m.childrenBusy(op); err != nil {
		return err
	}
	rc, first := m.h.close(func() int32 {
		// No placement is in flight (close waited) and none can start: the
		// set of children is final. Each closeForUnmap returns only once its
		// object has left C, whoever closed it.
		m.mu.Lock()
		children := make([]child, 0, len(m.children))
		for c := range m.children {
			children = append(children, c)
		}
		m.mu.Unlock()
		// Detach them all at once: each waits up to a wait slice for its
		// blocked callers to leave C.
		var wg sync.WaitGroup
		for _, c := range children {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.closeForUnmap()
			}()
		}
		wg.Wait()
		m.amu.Lock()
		defer m.amu.Unlock()
		if m.shmat {
			return cShmdt(m.addr)
		}
		return cMunmap(m.addr, uintptr(m.length))
	})
	if !first {
		return closedErr(op, m.name)
	}
	if rc != 0 {
		return errnoErr(op, m.name, rc)
	}
	return nil
}

// at checks that size bytes at off lie in a mapping of length bytes and that
// off is a multiple of align: the checks every placement and atomic access
// makes (EINVAL otherwise).
func at(op, name string, off, size, align, length int) error {
	if off < 0 || off > length-size {
		return invalidArg(op, name, fmt.Sprintf("offset %d: a %d-byte object does not fit in a %d-byte mapping", off, size, length))
	}
	if off%align != 0 {
		return invalidArg(op, name, fmt.Sprintf("offset %d is not a multiple of %d", off, align))
	}
	return nil
}

// place checks that an object of size bytes and alignment align fits at off,
// and runs create on its address while the mapping cannot be unmapped or moved;
// the object it returns is closed by Unmap unless it was closed before.
func (m *Mapping) place(op string, off, size, align int, create func(unsafe.Pointer) (child, error)) error {
	return m.use(op, func(addr unsafe.Pointer, length int) error {
		if err := at(op, m.name, off, size, align, length); err != nil {
			return err
		}
		if m.prot&(unix.PROT_READ|unix.PROT_WRITE) != unix.PROT_READ|unix.PROT_WRITE {
			return &Error{Op: op, Name: m.name, Err: &argError{msg: "the mapping is not readable and writable", errno: unix.EACCES}}
		}
		c, err := create(unsafe.Add(addr, off))
		if err != nil {
			return err
		}
		m.mu.Lock()
		if m.children == nil {
			m.children = map[child]struct{}{}
		}
		m.children[c] = struct{}{}
		m.mu.Unlock()
		return nil
	})
}

// busyChild is a child that unmapping must not detach now: a mutex a
// thread of this process holds (glibc keeps a robust one on the thread's
// robust list and writes through it), a barrier with goroutines waiting in
// it (nothing can get them out).
type busyChild interface {
	child
	busyReason() string
}

// childrenBusy refuses an Unmap that would pull memory from under a placed
// object in use (EBUSY). A lock taken after the check is the caller's race,
// as in C.
func (m *Mapping) childrenBusy(op string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for c := range m.children {
		if b, ok := c.(busyChild); ok {
			if why := b.busyReason(); why != "" {
				return &Error{Op: op, Name: m.name, Err: &argError{msg: why, errno: unix.EBUSY}}
			}
		}
	}
	return nil
}

// forget drops a child that was closed on its own.
func (m *Mapping) forget(c child) {
	m.mu.Lock()
	delete(m.children, c)
	m.mu.Unlock()
}

// Atomic accessors at an offset, for protocols between processes that share
// the mapping (a C process uses __atomic builtins or C11 atomics on the same
// bytes). The offset must leave room for the value and be a multiple of its
// size (EINVAL otherwise); a fault is an error wrapping EFAULT, never a crash.

// atomicAt runs fn on the address of a size-byte value at off. Under the race
// detector, sync/atomic runs in the detector's C code, where a fault cannot be
// recovered: the protection check catches read-only and PROT_NONE pages
// before; a page past the end of a truncated object still crashes there.
func (m *Mapping) atomicAt(op string, off, size int, write bool, fn func(p unsafe.Pointer)) error {
	return m.use(op, func(addr unsafe.Pointer, length int) error {
		if err := at(op, m.name, off, size, size, length); err != nil {
			return err
		}
		p := unsafe.Add(addr, off)
		if err := m.protFault(op, p, write); err != nil {
			return err
		}
		return guard(op, m.name, func() { fn(p) })
	})
}

// LoadUint32 atomically loads the uint32 at off.
func (m *Mapping) LoadUint32(off int) (v uint32, err error) {
	err = m.atomicAt("atomic load", off, 4, false, func(p unsafe.Pointer) { v = atomic.LoadUint32((*uint32)(p)) })
	return v, err
}

// StoreUint32 atomically stores v at off.
func (m *Mapping) StoreUint32(off int, v uint32) error {
	return m.atomicAt("atomic store", off, 4, true, func(p unsafe.Pointer) { atomic.StoreUint32((*uint32)(p), v) })
}

// AddUint32 atomically adds delta to the uint32 at off and returns the new value.
func (m *Mapping) AddUint32(off int, delta uint32) (v uint32, err error) {
	err = m.atomicAt("atomic add", off, 4, true, func(p unsafe.Pointer) { v = atomic.AddUint32((*uint32)(p), delta) })
	return v, err
}

// CompareAndSwapUint32 atomically replaces the uint32 at off with new if it
// equals old, and reports whether it did.
func (m *Mapping) CompareAndSwapUint32(off int, old, new uint32) (swapped bool, err error) {
	err = m.atomicAt("atomic compare-and-swap", off, 4, true, func(p unsafe.Pointer) {
		swapped = atomic.CompareAndSwapUint32((*uint32)(p), old, new)
	})
	return swapped, err
}

// LoadUint64 atomically loads the uint64 at off.
func (m *Mapping) LoadUint64(off int) (v uint64, err error) {
	err = m.atomicAt("atomic load", off, 8, false, func(p unsafe.Pointer) { v = atomic.LoadUint64((*uint64)(p)) })
	return v, err
}

// StoreUint64 atomically stores v at off.
func (m *Mapping) StoreUint64(off int, v uint64) error {
	return m.atomicAt("atomic store", off, 8, true, func(p unsafe.Pointer) { atomic.StoreUint64((*uint64)(p), v) })
}

// AddUint64 atomically adds delta to the uint64 at off and returns the new value.
func (m *Mapping) AddUint64(off int, delta uint64) (v uint64, err error) {
	err = m.atomicAt("atomic add", off, 8, true, func(p unsafe.Pointer) { v = atomic.AddUint64((*uint64)(p), delta) })
	return v, err
}

// CompareAndSwapUint64 atomically replaces the uint64 at off with new if it
// equals old, and reports whether it did.
func (m *Mapping) CompareAndSwapUint64(off int, old, new uint64) (swapped bool, err error) {
	err = m.atomicAt("atomic compare-and-swap", off, 8, true, func(p unsafe.Pointer) {
		swapped = atomic.CompareAndSwapUint64((*uint64)(p), old, new)
	})
	return swapped, err
}

// CheckOffset reports whether an object of size bytes with alignment align fits
// at off of the mapping: the check InitSemaphoreAt and SemaphoreAt (and the
// placements of later C objects) make, for protocols that lay out their own.
func (m *Mapping) CheckOffset(off, size, align int) error {
	const op = "check offset"
	if size < 0 || align <= 0 {
		return invalidArg(op, m.Name(), fmt.Sprintf("size %d, alignment %d", size, align))
	}
	return m.use(op, func(_ unsafe.Pointer, length int) error { return at(op, m.name, off, size, align, length) })
}

// Residency reports which pages of the mapping are resident in RAM, with
// mincore(2): one entry per page (see PageSize).
func (m *Mapping) Residency() ([]bool, error) {
	const op = "mincore"
	var res []bool
	err := m.use(op, func(addr unsafe.Pointer, length int) error {
		if length == 0 {
			return nil
		}
		ps := PageSize()
		vec := make([]byte, (length+ps-1)/ps)
		if rc := cMincore(addr, uintptr(length), vec); rc != 0 {
			return errnoErr(op, m.name, rc)
		}
		res = make([]bool, len(vec))
		for i, b := range vec {
			res[i] = b&1 != 0
		}
		return nil
	})
	return res, err
}
