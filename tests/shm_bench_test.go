package tests

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Shared memory benchmarks: libcipc, the pure-Go way (open("/dev/shm/NAME") and
// unix.Mmap), and C (shmpeer bench-*), reported as C-ns/op and x-C.

func shmCReference(b *testing.B, args ...string) float64 {
	return cReferenceOf(b, "shmpeer", args...)
}

// Copy bandwidth into a MAP_SHARED mapping: Go's copy vs C's memcpy (x-C is
// the inverse of the bandwidth ratio).
func BenchmarkMappingCopy1MiB(b *testing.B) {
	const size = 1 << 20
	cNs := shmCReference(b, "bench-memcpy", strconv.Itoa(size), "2000")
	m, err := posix.MapAnonymous(size, rw, unix.MAP_SHARED)
	require.NoError(b, err)
	defer m.Unmap()
	src := make([]byte, size)
	for i := range src {
		src[i] = byte(i)
	}
	dst := m.Bytes()
	copy(dst, src) // fault the pages in, as the C loop does
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(dst, src)
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

// benchAt times 4 KiB ReadAt or WriteAt calls across a 1 MiB mapping.
func benchAt(b *testing.B, at func(m *posix.Mapping, p []byte, off int64) (int, error)) {
	m, err := posix.MapAnonymous(1<<20, rw, unix.MAP_SHARED)
	require.NoError(b, err)
	defer m.Unmap()
	p := make([]byte, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := at(m, p, int64(i%256)*4096); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMappingWriteAt4KiB(b *testing.B) { benchAt(b, (*posix.Mapping).WriteAt) }

func BenchmarkMappingReadAt4KiB(b *testing.B) { benchAt(b, (*posix.Mapping).ReadAt) }

func BenchmarkMappingAddUint64(b *testing.B) {
	m, err := posix.MapAnonymous(4096, rw, unix.MAP_SHARED)
	require.NoError(b, err)
	defer m.Unmap()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := m.AddUint64(64, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// benchOpenCloseUnlink times create+close+unlink cycles against the C loop.
func benchOpenCloseUnlink(b *testing.B, cycle func() error) {
	cNs := shmCReference(b, "bench-shmopen", "20000", "/"+prefix+"cbench")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := cycle(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

func BenchmarkShmOpenCloseUnlink(b *testing.B) {
	name := uniqueName()
	benchOpenCloseUnlink(b, func() error {
		s, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if err := s.Close(); err != nil {
			return err
		}
		return posix.UnlinkSharedMemory(name)
	})
}

// The pure-Go way: the file in /dev/shm with os.OpenFile (as glibc opens it:
// O_NOFOLLOW|O_CLOEXEC) and os.Remove.
func BenchmarkShmOpenCloseUnlinkPureGo(b *testing.B) {
	path := "/dev/shm/" + strings.TrimPrefix(uniqueName(), "/")
	benchOpenCloseUnlink(b, func() error {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return os.Remove(path)
	})
}

func mmapBenchObject(b *testing.B, size int) *posix.SharedMemory {
	b.Helper()
	name := uniqueName()
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	require.NoError(b, err)
	b.Cleanup(func() {
		shm.Close()
		posix.UnlinkSharedMemory(name)
	})
	require.NoError(b, shm.Truncate(int64(size)))
	return shm
}

func BenchmarkMmapMunmap1MiB(b *testing.B) {
	const size = 1 << 20
	cNs := shmCReference(b, "bench-mmap", "20000", strconv.Itoa(size), "/"+prefix+"cbench")
	shm := mmapBenchObject(b, size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := shm.Map(0, size, rw, unix.MAP_SHARED)
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Unmap(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

func BenchmarkMmapMunmap1MiBPureGo(b *testing.B) {
	const size = 1 << 20
	cNs := shmCReference(b, "bench-mmap", "20000", strconv.Itoa(size), "/"+prefix+"cbench")
	shm := mmapBenchObject(b, size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := unix.Mmap(shm.Fd(), 0, size, rw, unix.MAP_SHARED)
		if err != nil {
			b.Fatal(err)
		}
		if err := unix.Munmap(m); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}
