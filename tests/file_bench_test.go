package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// File lock, positioned read and spawn benchmarks beside the C loops doing
// the same (tests/cpeers/filepeer bench-*, PROTOCOL.md): C-ns/op and x-C,
// as in sem_bench_test.go, and beside the pure Go way for scale.

// benchFile writes a file of size zero bytes. Its path is the same for the
// whole test binary (the pid and the size name it), so the C reference taken
// on it (cReferenceOf caches by arguments) is measured once per binary, not
// again on every b.N round, and a benchmark and its pure-Go twin are timed
// against the same C figure.
func benchFile(b *testing.B, size int) string {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("libcipc-bench-%d-%d", os.Getpid(), size))
	require.NoError(b, os.WriteFile(path, make([]byte, size), 0o600))
	b.Cleanup(func() { os.Remove(path) })
	return path
}

func benchFcntl(b *testing.B, lock func(fd int, l *posix.FileLock) error) {
	path := benchFile(b, 4096)
	cNs := cReferenceOf(b, "filepeer", "bench-fcntl", "1000000", path)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(b, err)
	defer f.Close()
	fd := int(f.Fd())
	lk := posix.FileLock{Type: unix.F_WRLCK, Len: 1}
	un := posix.FileLock{Type: unix.F_UNLCK, Len: 1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := lock(fd, &lk); err != nil {
			b.Fatal(err)
		}
		if err := lock(fd, &un); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

// fcntl F_SETLK lock + unlock of one byte.
func BenchmarkFcntlSetLock(b *testing.B) { benchFcntl(b, posix.SetLock) }

// The same with x/sys/unix's raw system call, against the same C loop.
func BenchmarkUnixFcntlFlock(b *testing.B) {
	benchFcntl(b, func(fd int, l *posix.FileLock) error {
		return unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &unix.Flock_t{Type: l.Type, Whence: l.Whence, Start: l.Start, Len: l.Len})
	})
}

func benchPread(b *testing.B, read func(f *os.File, buf []byte) error) {
	const size = 4096
	path := benchFile(b, size)
	cNs := cReferenceOf(b, "filepeer", "bench-pread", "1000000", path, "4096")
	f, err := os.Open(path)
	require.NoError(b, err)
	defer f.Close()
	buf := make([]byte, size)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := read(f, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

// pread of 4096 bytes at offset 0 (from the page cache).
func BenchmarkPread(b *testing.B) {
	benchPread(b, func(f *os.File, buf []byte) error {
		_, err := posix.Pread(int(f.Fd()), buf, 0)
		return err
	})
}

// os.File.ReadAt, against the same C loop.
func BenchmarkOSFileReadAt(b *testing.B) {
	benchPread(b, func(f *os.File, buf []byte) error {
		_, err := f.ReadAt(buf, 0)
		return err
	})
}

// posix_spawn of /bin/true + waitpid.
func BenchmarkSpawnWaitpid(b *testing.B) {
	cNs := cReferenceOf(b, "filepeer", "bench-spawn", "2000")
	argv := []string{"true"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pid, err := posix.Spawn("/bin/true", argv, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, st, err := posix.Waitpid(pid, 0); err != nil || st.ExitStatus() != 0 {
			b.Fatal(err, st)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

// os/exec's Run of /bin/true, against the same C loop.
func BenchmarkExecCommandRun(b *testing.B) {
	cNs := cReferenceOf(b, "filepeer", "bench-spawn", "2000")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := exec.Command("/bin/true").Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}
