package posix

import (
	"fmt"
	"runtime"
	"sync"
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
	fd := cShmOpen(cname, int32(flag), mode)
	if fd < 0 {
		return nil, errnoErr(op, name, fd)
	}
	s := &SharedMemory{fd: int(fd), name: name}
	s.h.init()
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
// C objects shared between processes (semaphores, and later mutexes and
// conditions) are placed in it at offsets with InitSemaphoreAt and SemaphoreAt.
//
// A Mapping is safe for concurrent use. Unmap first closes every object placed
// in it (their blocked calls return os.ErrClosed), then unmaps. Slices from
// Bytes must not be used after Unmap: touching them then is a fault that crashes
// the process, as it would in C.
type Mapping struct {
	h        handle
	addr     unsafe.Pointer
	length   int
	prot     int
	name     string
	mu       sync.Mutex
	children map[child]struct{}
}

// Mmap maps length bytes of the file open as fd, from offset off, with mmap(2).
// prot and flags are mmap's (unix.PROT_*, unix.MAP_*). The mapping does not keep
// fd open.
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
	p, rc := cMmap(uintptr(length), int32(prot), int32(flags), int32(fd), off)
	if rc != 0 {
		return nil, errnoErr(op, name, rc)
	}
	m := &Mapping{addr: p, length: length, prot: prot, name: name, children: map[child]struct{}{}}
	m.h.init()
	return m, nil
}

// Bytes returns the mapped memory as a slice (nil for a nil or unmapped
// Mapping). It is valid until Unmap.
func (m *Mapping) Bytes() []byte {
	if m == nil || m.h.closed() {
		return nil
	}
	return unsafe.Slice((*byte)(m.addr), m.length)
}

// Len returns the length of the mapping in bytes.
func (m *Mapping) Len() int {
	if m == nil {
		return 0
	}
	return m.length
}

// Unmap closes the objects placed in the mapping, then unmaps it with
// munmap(2). A second Unmap returns an error wrapping os.ErrClosed.
func (m *Mapping) Unmap() error {
	const op = "munmap"
	if m == nil || !m.h.valid() {
		return nilErr(op)
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
		for _, c := range children {
			c.closeForUnmap()
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

// place checks that an object of size bytes and alignment align fits at off,
// and runs create on its address while the mapping cannot be unmapped; the
// object it returns is closed by Unmap unless it was closed before.
func (m *Mapping) place(op string, off, size, align int, create func(unsafe.Pointer) (child, error)) error {
	if !m.h.valid() {
		return nilErr(op)
	}
	if !m.h.enter() {
		return closedErr(op, m.name)
	}
	defer m.h.leave()
	if off < 0 || off > m.length-size {
		return invalidArg(op, m.name, fmt.Sprintf("offset %d: a %d-byte object does not fit in a %d-byte mapping", off, size, m.length))
	}
	if off%align != 0 {
		return invalidArg(op, m.name, fmt.Sprintf("offset %d is not a multiple of %d", off, align))
	}
	if m.prot&(unix.PROT_READ|unix.PROT_WRITE) != unix.PROT_READ|unix.PROT_WRITE {
		return &Error{Op: op, Name: m.name, Err: &argError{msg: "the mapping is not readable and writable", errno: unix.EACCES}}
	}
	c, err := create(unsafe.Add(m.addr, off))
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.children[c] = struct{}{}
	m.mu.Unlock()
	return nil
}

// forget drops a child that was closed on its own.
func (m *Mapping) forget(c child) {
	m.mu.Lock()
	delete(m.children, c)
	m.mu.Unlock()
}
