package scenario

import (
	"encoding/binary"
	"fmt"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// Shared memory scenarios: the Go twins of shmpeer's roles (PROTOCOL.md), the
// seed sequence shm_open → ftruncate → mmap → use → munmap → shm_unlink.

// ShmPattern fills b (at least 8 bytes) with the pattern of seed and stores the
// FNV-1a hash of the pattern in the last 8 bytes; it returns the hash.
func ShmPattern(b []byte, seed int) uint64 {
	n := len(b) - 8
	for j := 0; j < n; j++ {
		b[j] = byte(seed + j*7 + j>>8)
	}
	h := fnv(b[:n])
	binary.LittleEndian.PutUint64(b[n:], h)
	return h
}

func fnv(b []byte) uint64 {
	h := uint64(0xcbf29ce484222325)
	for _, c := range b {
		h ^= uint64(c)
		h *= 0x100000001b3
	}
	return h
}

// ShmCreate creates name (O_EXCL, 0600) of size bytes and writes the pattern
// through a MAP_SHARED mapping; it returns the hash.
func ShmCreate(name string, size, seed int) (uint64, error) {
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	defer shm.Close()
	if err := shm.Truncate(int64(size)); err != nil {
		return 0, err
	}
	m, err := shm.Map(0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return 0, err
	}
	defer m.Unmap()
	return ShmPattern(m.Bytes(), seed), nil
}

// ShmVerify opens name read-only, checks its size and pattern through a
// read-only mapping (ReadAt: a fault is an error) and returns the hash.
func ShmVerify(name string, size, seed int) (uint64, error) {
	shm, err := posix.OpenSharedMemory(name, unix.O_RDONLY, 0)
	if err != nil {
		return 0, err
	}
	defer shm.Close()
	got, err := shm.Size()
	if err != nil {
		return 0, err
	}
	if got != int64(size) {
		return 0, fmt.Errorf("%w: size %d, want %d", ErrVerify, got, size)
	}
	m, err := shm.Map(0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, err
	}
	defer m.Unmap()
	b := make([]byte, size)
	if _, err := m.ReadAt(b, 0); err != nil {
		return 0, err
	}
	want := make([]byte, size)
	h := ShmPattern(want, seed)
	for i := range b {
		if b[i] != want[i] {
			return 0, fmt.Errorf("%w: byte %d is %#x, want %#x", ErrVerify, i, b[i], want[i])
		}
	}
	return h, nil
}

// ShmAdd maps name and atomically adds 1 to the uint64 at off, n times.
func ShmAdd(name string, off, n int) error {
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer shm.Close()
	size, err := shm.Size()
	if err != nil {
		return err
	}
	m, err := shm.Map(0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return err
	}
	defer m.Unmap()
	for i := 0; i < n; i++ {
		if _, err := m.AddUint64(off, 1); err != nil {
			return err
		}
	}
	return nil
}
