package tests

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func startShmC(t *testing.T, args ...string) *proc {
	t.Helper()
	return start(t, append([]string{cpeer(t, "shmpeer")}, args...), nil)
}

func startShmRole(t *testing.T, lang, role string, args ...string) *proc {
	t.Helper()
	if lang == "C" {
		return startShmC(t, append([]string{role}, args...)...)
	}
	return startGo(t, role, args)
}

// openShm creates a fresh object of size bytes, unlinked at cleanup.
func openShm(t *testing.T, size int64) (*posix.SharedMemory, string) {
	t.Helper()
	name := uniqueName()
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() {
		shm.Close()
		posix.UnlinkSharedMemory(name)
	})
	require.NoError(t, shm.Truncate(size))
	return shm, name
}

// The seeds' sequence (shm_open, ftruncate, mmap, use, munmap, shm_unlink)
// across processes: one side creates and writes a pattern with its hash, the
// other verifies both, Go and C in each role.
func TestSharedMemorySeedSequenceGoAndC(t *testing.T) {
	for _, size := range []int{8, 4096, 1 << 20, 10000007} {
		for _, c := range [][2]string{{"C", "Go"}, {"Go", "C"}, {"Go", "Go"}} {
			t.Run(fmt.Sprintf("size=%d/creator=%s/verifier=%s", size, c[0], c[1]), func(t *testing.T) {
				name := uniqueName()
				t.Cleanup(func() { posix.UnlinkSharedMemory(name) })
				created := startShmRole(t, c[0], "create", name, strconv.Itoa(size), "42").finish(t)
				sum := strings.TrimPrefix(created, fmt.Sprintf("created size=%d ", size))
				assert.Equal(t, fmt.Sprintf("verified size=%d %s", size, sum),
					startShmRole(t, c[1], "verify", name, strconv.Itoa(size), "42").finish(t))
				_, err := os.Stat("/dev/shm/" + strings.TrimPrefix(name, "/"))
				assert.NoError(t, err, "the object is a file in /dev/shm")
				require.NoError(t, posix.UnlinkSharedMemory(name))
				_, err = os.Stat("/dev/shm/" + strings.TrimPrefix(name, "/"))
				assert.ErrorIs(t, err, os.ErrNotExist)
			})
		}
	}
}

func TestMapSharedSeenAtOnceMapPrivateNever(t *testing.T) {
	shm, name := openShm(t, 8192)
	shared, err := shm.Map(0, 8192, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	defer shared.Unmap()
	watch := startShmC(t, "watch", name, "4100", "0x5a", "10000")
	require.Eventually(t, func() bool { return strings.Contains(watch.Stdout.String(), "watching") }, 5*time.Second, time.Millisecond)
	shared.Bytes()[4100] = 0x5a
	assert.Equal(t, "watching\nseen", watch.finish(t), "another process sees a MAP_SHARED write at once")

	private, err := shm.Map(0, 8192, rw, unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer private.Unmap()
	_, err = private.WriteAt([]byte{1, 2, 3, 4}, 100)
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 0, 0, 0}, shared.Bytes()[100:104], "a MAP_PRIVATE write is not seen through another mapping")
	assert.Equal(t, "bytes=00000000", startShmC(t, "read", name, "100", "4").finish(t), "nor by another process")
	private.Unmap()
	assert.Equal(t, "bytes=00000000", startShmC(t, "read", name, "100", "4").finish(t), "nor does it reach the object")
	// And a MAP_SHARED write from C is seen by Go at once.
	startShmC(t, "write", name, "200", "cafe").finish(t)
	assert.Equal(t, []byte{0xca, 0xfe}, shared.Bytes()[200:202])
}

// msync(MS_SYNC) writes a file mapping back: plain read(2) of the file sees it.
func TestSyncMakesFileMappingWritesVisibleToRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mapped")
	require.NoError(t, os.WriteFile(path, make([]byte, 4096), 0o600))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	m, err := posix.Mmap(int(f.Fd()), 0, 4096, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	defer m.Unmap()
	copy(m.Bytes()[10:], "synced")
	require.NoError(t, m.Sync(unix.MS_SYNC))
	require.NoError(t, m.Sync(unix.MS_ASYNC|unix.MS_INVALIDATE))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "synced", string(b[10:16]))
	assert.ErrorIs(t, m.Sync(unix.MS_SYNC|unix.MS_ASYNC), unix.EINVAL, "msync's own check")
}

func TestTruncateBySecondHandleAndRemap(t *testing.T) {
	a, name := openShm(t, 4096)
	b, err := posix.OpenSharedMemory(name, unix.O_RDWR, 0)
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.Truncate(3*4096))
	size, err := a.Size()
	require.NoError(t, err)
	assert.Equal(t, int64(3*4096), size)
	require.NoError(t, b.Truncate(100))
	size, _ = a.Size()
	assert.Equal(t, int64(100), size)
	st, err := a.Stat()
	require.NoError(t, err)
	assert.Equal(t, uint32(0o600), st.Mode&0o777)
	assert.Equal(t, uint32(unix.S_IFREG), st.Mode&unix.S_IFMT)
	assert.Equal(t, uint32(os.Geteuid()), st.UID)

	m, err := posix.MapAnonymous(4096, rw, unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer m.Unmap()
	for i := range m.Bytes() {
		m.Bytes()[i] = byte(i)
	}
	require.NoError(t, m.Remap(16*4096, unix.MREMAP_MAYMOVE))
	assert.Equal(t, 16*4096, m.Len())
	for i := 0; i < 4096; i++ {
		require.Equal(t, byte(i), m.Bytes()[i], "contents kept at %d", i)
	}
	m.Bytes()[16*4096-1] = 1 // the new end is mapped
	require.NoError(t, m.Remap(4096, 0))
	assert.Equal(t, 4096, m.Len())
	assert.ErrorIs(t, m.Remap(-1, 0), unix.EINVAL)

	// Objects placed in a mapping pin it: no move, no protection change.
	p, err := posix.MapAnonymous(4096, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	defer p.Unmap()
	s, err := posix.InitSemaphoreAt(p, 0, 1)
	require.NoError(t, err)
	assert.ErrorIs(t, p.Remap(8192, unix.MREMAP_MAYMOVE), unix.EBUSY)
	assert.ErrorIs(t, p.Protect(unix.PROT_READ), unix.EBUSY)
	require.NoError(t, s.Close())
	assert.NoError(t, p.Protect(unix.PROT_READ))
}

// Pages are faulted in lazily; /proc/self/maps shows the mapping with its path.
func TestLazyFaultInAndProcMaps(t *testing.T) {
	shm, name := openShm(t, 16*int64(posix.PageSize()))
	ps := posix.PageSize()
	m, err := shm.Map(0, 16*ps, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	defer m.Unmap()
	res, err := m.Residency()
	require.NoError(t, err)
	require.Len(t, res, 16)
	for i, r := range res {
		assert.False(t, r, "page %d resident before any touch", i)
	}
	m.Bytes()[3*ps] = 1
	res, err = m.Residency()
	require.NoError(t, err)
	assert.True(t, res[3], "a touched page is resident")
	assert.False(t, res[4])

	maps, err := posix.ProcMaps(0)
	require.NoError(t, err)
	path := "/dev/shm/" + strings.TrimPrefix(name, "/")
	var found *posix.MapEntry
	for i := range maps {
		if maps[i].Path == path {
			found = &maps[i]
		}
	}
	require.NotNil(t, found, "no %s in /proc/self/maps", path)
	assert.Equal(t, "rw-s", found.Perms)
	assert.Equal(t, uintptr(16*ps), found.End-found.Start)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fi.Sys().(*syscall.Stat_t).Ino, found.Inode)

	// Another process's maps: a C peer holding the object mapped.
	watch := startShmC(t, "watch", name, "0", "0x77", "10000")
	require.Eventually(t, func() bool { return strings.Contains(watch.Stdout.String(), "watching") }, 5*time.Second, time.Millisecond)
	theirs, err := posix.ProcMaps(watch.Cmd.Process.Pid)
	require.NoError(t, err)
	seen := false
	for _, e := range theirs {
		seen = seen || e.Path == path && e.Perms == "r--s"
	}
	assert.True(t, seen, "the peer's read-only shared mapping of %s", path)
	m.Bytes()[0] = 0x77
	watch.finish(t)
}

// --- errno fidelity, compared with C ----------------------------------------

func TestShmErrnoMatchesC(t *testing.T) {
	shm, name := openShm(t, 8192)
	missing := uniqueName()
	open := func(n string, flag int) func() error {
		return func() error {
			s, err := posix.OpenSharedMemory(n, flag, 0o600)
			if err == nil {
				s.Close()
				posix.UnlinkSharedMemory(n)
			}
			return err
		}
	}
	long := func(k int) string { return "/" + strings.Repeat("s", k) }
	cases := []struct {
		name string
		goFn func() error
		cArg []string
	}{
		{"ENOENT: open a missing name", open(missing, unix.O_RDWR), []string{"open", missing, "2", "0"}},
		{"EEXIST: O_CREAT|O_EXCL of an existing name", open(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL), []string{"open", name, "0xc2", "0600"}},
		{"EINVAL: name with an inner slash", open("/a/b", unix.O_RDWR|unix.O_CREAT), []string{"open", "/a/b", "0x42", "0600"}},
		{"ENAMETOOLONG: 256-byte name", open(long(256), unix.O_RDWR|unix.O_CREAT), []string{"open", long(256), "0x42", "0600"}},
		{"glibc's answer for a 300-byte name", open(long(300), unix.O_RDWR|unix.O_CREAT), []string{"open", long(300), "0x42", "0600"}},
		{"ENOENT: unlink a missing name", func() error { return posix.UnlinkSharedMemory(missing) }, []string{"unlink", missing}},
		{"EINVAL: mmap at an unaligned offset", func() error { _, err := shm.Map(1, 4096, rw, unix.MAP_SHARED); return err },
			[]string{"mmap", name, "2", "1", "4096", "3", "1"}},
		{"EINVAL: mmap of length 0", func() error { _, err := shm.Map(0, 0, rw, unix.MAP_SHARED); return err },
			[]string{"mmap", name, "2", "0", "0", "3", "1"}},
		{"EACCES: PROT_WRITE MAP_SHARED of an O_RDONLY object", func() error {
			ro, err := posix.OpenSharedMemory(name, unix.O_RDONLY, 0)
			require.NoError(t, err)
			defer ro.Close()
			_, err = ro.Map(0, 4096, rw, unix.MAP_SHARED)
			return err
		}, []string{"mmap", name, "0", "0", "4096", "3", "1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			goErr := c.goFn()
			require.Error(t, goErr)
			cErrno := probe(t, startShmC(t, c.cArg...).finish(t))
			require.NotZero(t, cErrno, "C succeeded")
			assert.Equal(t, cErrno, errnoOf(t, goErr), "Go: %v; C: %v", goErr, cErrno)
		})
	}
}

// --- faults are errors ---------------------------------------------------------

func TestFaultsThroughTheAPIAreErrors(t *testing.T) {
	// mprotect, then a write into the read-only page: EFAULT, not SIGSEGV.
	m, err := posix.MapAnonymous(2*4096, rw, unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer m.Unmap()
	require.NoError(t, m.Protect(unix.PROT_READ))
	_, err = m.WriteAt([]byte("x"), 10)
	require.ErrorIs(t, err, unix.EFAULT)
	assert.Contains(t, err.Error(), "memory fault")
	buf := make([]byte, 4)
	_, err = m.ReadAt(buf, 10)
	assert.NoError(t, err, "reading a read-only page is fine")
	require.NoError(t, m.Protect(unix.PROT_NONE))
	_, err = m.ReadAt(buf, 10)
	assert.ErrorIs(t, err, unix.EFAULT)
	_, err = m.LoadUint64(8)
	assert.ErrorIs(t, err, unix.EFAULT)
	require.NoError(t, m.Protect(rw))
	_, err = m.WriteAt([]byte("ok"), 10)
	assert.NoError(t, err)

	// An object truncated under its mapping: SIGBUS in C, EFAULT here.
	shm, _ := openShm(t, 2*4096)
	sm, err := shm.Map(0, 2*4096, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	defer sm.Unmap()
	_, err = sm.WriteAt([]byte("before"), 5000)
	require.NoError(t, err)
	require.NoError(t, shm.Truncate(0))
	_, err = sm.ReadAt(buf, 5000)
	assert.ErrorIs(t, err, unix.EFAULT)
	_, err = sm.WriteAt(buf, 10)
	assert.ErrorIs(t, err, unix.EFAULT)
	if !raceEnabled {
		// Under -race, sync/atomic runs in the detector's C code, where a
		// SIGBUS cannot be recovered (documented); make test runs this test
		// without -race too.
		_, err = sm.AddUint32(4096, 1)
		assert.ErrorIs(t, err, unix.EFAULT)
	}
	_, err = posix.SemaphoreAt(sm, 0)
	assert.ErrorIs(t, err, unix.EFAULT)
}

func TestMappingBadInputNeverCrashes(t *testing.T) {
	m, err := posix.MapAnonymous(4096, rw, unix.MAP_PRIVATE)
	require.NoError(t, err)
	buf := make([]byte, 16)
	_, err = m.ReadAt(buf, -1)
	assert.ErrorIs(t, err, unix.EINVAL)
	_, err = m.ReadAt(buf, 4097)
	assert.ErrorIs(t, err, unix.EINVAL)
	n, err := m.ReadAt(buf, 4090)
	assert.Equal(t, 6, n)
	assert.ErrorIs(t, err, io.EOF)
	n, err = m.WriteAt(buf, 4090)
	assert.Equal(t, 6, n)
	assert.ErrorIs(t, err, io.ErrShortWrite)
	n, err = m.ReadAt(buf, 4096)
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)
	for _, off := range []int{-8, 4096, 4092, 3} {
		_, err := m.LoadUint64(off)
		assert.ErrorIs(t, err, unix.EINVAL, "offset %d", off)
	}
	assert.ErrorIs(t, m.CheckOffset(4090, 8, 8), unix.EINVAL)
	assert.NoError(t, m.CheckOffset(4088, 8, 8))
	_, err = posix.MapAnonymous(-1, rw, unix.MAP_PRIVATE)
	assert.ErrorIs(t, err, unix.EINVAL)

	require.NoError(t, m.Unmap())
	assert.ErrorIs(t, m.Unmap(), os.ErrClosed)
	_, err = m.ReadAt(buf, 0)
	assert.ErrorIs(t, err, os.ErrClosed)
	_, err = m.WriteAt(buf, 0)
	assert.ErrorIs(t, err, os.ErrClosed)
	assert.ErrorIs(t, m.Sync(unix.MS_SYNC), os.ErrClosed)
	assert.ErrorIs(t, m.Protect(unix.PROT_READ), os.ErrClosed)
	assert.ErrorIs(t, m.Remap(8192, unix.MREMAP_MAYMOVE), os.ErrClosed)
	assert.ErrorIs(t, m.Advise(unix.MADV_DONTNEED), os.ErrClosed)
	assert.ErrorIs(t, m.Lock(), os.ErrClosed)
	_, err = m.Residency()
	assert.ErrorIs(t, err, os.ErrClosed)
	_, err = m.AddUint64(0, 1)
	assert.ErrorIs(t, err, os.ErrClosed)
	assert.Nil(t, m.Bytes())

	var nilM *posix.Mapping
	_, err = nilM.ReadAt(buf, 0)
	assert.ErrorIs(t, err, os.ErrInvalid)
	assert.ErrorIs(t, nilM.Sync(0), os.ErrInvalid)
	assert.ErrorIs(t, nilM.Remap(1, 0), os.ErrInvalid)
	assert.ErrorIs(t, nilM.Protect(0), os.ErrInvalid)
	assert.Equal(t, 0, nilM.Len())
	var nilS *posix.SharedMemory
	_, err = nilS.Size()
	assert.ErrorIs(t, err, os.ErrInvalid)
	assert.ErrorIs(t, nilS.Close(), os.ErrInvalid)

	shm, _ := openShm(t, 4096)
	require.NoError(t, shm.Close())
	assert.ErrorIs(t, shm.Close(), os.ErrClosed)
	_, err = shm.Stat()
	assert.ErrorIs(t, err, os.ErrClosed)
	_, err = shm.Map(0, 4096, rw, unix.MAP_SHARED)
	assert.ErrorIs(t, err, os.ErrClosed)
}

// --- atomics, locks, advice, introspection -------------------------------------------

func TestAtomicsAcrossProcesses(t *testing.T) {
	shm, name := openShm(t, 4096)
	m, err := shm.Map(0, 4096, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	defer m.Unmap()
	const n = 20000
	a := startGo(t, "shm-add", []string{name, "64", strconv.Itoa(n)})
	b := startGo(t, "shm-add", []string{name, "64", strconv.Itoa(n)})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/4; i++ {
				if _, err := m.AddUint64(64, 1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	a.finish(t)
	b.finish(t)
	v, err := m.LoadUint64(64)
	require.NoError(t, err)
	assert.Equal(t, uint64(3*n), v)

	require.NoError(t, m.StoreUint32(8, 7))
	ok, err := m.CompareAndSwapUint32(8, 7, 9)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, _ = m.CompareAndSwapUint32(8, 7, 11)
	assert.False(t, ok)
	v32, _ := m.LoadUint32(8)
	assert.Equal(t, uint32(9), v32)
	v32, _ = m.AddUint32(8, 1)
	assert.Equal(t, uint32(10), v32)
	ok, _ = m.CompareAndSwapUint64(64, 3*n, 1)
	assert.True(t, ok)
	require.NoError(t, m.StoreUint64(16, 1<<40))
	v, _ = m.LoadUint64(16)
	assert.Equal(t, uint64(1<<40), v)
}

func TestLockAdviseAndIntrospection(t *testing.T) {
	m, err := posix.MapAnonymous(8*4096, rw, unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer m.Unmap()
	require.NoError(t, m.Lock())
	res, err := m.Residency()
	require.NoError(t, err)
	for i, r := range res {
		assert.True(t, r, "mlock'd page %d resident", i)
	}
	require.NoError(t, m.Unlock())
	m.Bytes()[0] = 1
	require.NoError(t, m.Advise(unix.MADV_DONTNEED))
	assert.Equal(t, byte(0), m.Bytes()[0], "MADV_DONTNEED drops a private anonymous page")
	assert.ErrorIs(t, m.Advise(12345), unix.EINVAL)

	assert.Equal(t, os.Getpagesize(), posix.PageSize())
	v, err := posix.Sysconf(posix.SC_NPROCESSORS_ONLN)
	require.NoError(t, err)
	assert.Positive(t, v)
	v, err = posix.Sysconf(posix.SC_MQ_PRIO_MAX)
	require.NoError(t, err)
	assert.Equal(t, int64(posix.MQPrioMax), v)
	_, err = posix.Sysconf(-12345)
	assert.ErrorIs(t, err, unix.EINVAL)

	info, err := posix.MallocInfo()
	require.NoError(t, err)
	assert.Positive(t, info.Arena, "cgo's own allocations live in the main arena")
	_, err = posix.MallocTrim(0)
	require.NoError(t, err)
	require.NoError(t, posix.Mallopt(posix.M_TRIM_THRESHOLD, 128*1024))
	// glibc's mallopt fails (returns 0) for M_MXFAST above 80*sizeof(size_t)/4,
	// and succeeds for a parameter it does not know.
	assert.ErrorIs(t, posix.Mallopt(posix.M_MXFAST, 100000), unix.EINVAL)
	assert.NoError(t, posix.Mallopt(12345, 1))
}

func TestMappingReviewEdgeCases(t *testing.T) {
	m, err := posix.MapAnonymous(2*4096, rw, unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer m.Unmap()
	for _, f := range []int{unix.MREMAP_FIXED | unix.MREMAP_MAYMOVE, 4 /* MREMAP_DONTUNMAP */, 1 << 40} {
		assert.ErrorIs(t, m.Remap(8192, f), unix.EINVAL, "flags %#x", f)
	}
	assert.ErrorIs(t, m.CheckOffset(0, 8, 0), unix.EINVAL)
	assert.ErrorIs(t, m.CheckOffset(0, -8, 8), unix.EINVAL)
	assert.ErrorIs(t, m.Protect(1<<40|unix.PROT_READ), unix.EINVAL)
	_, err = posix.Sysconf(1<<32 + posix.SC_PAGESIZE)
	assert.ErrorIs(t, err, unix.EINVAL, "a name that does not fit in an int is not cut")
	assert.ErrorIs(t, posix.Mallopt(posix.M_MMAP_THRESHOLD, 1<<32+4096), unix.EINVAL)
	_, err = posix.OpenSharedMemory(uniqueName(), 1<<40|unix.O_RDWR|unix.O_CREAT, 0o600)
	assert.ErrorIs(t, err, unix.EINVAL)

	// A write-only mapping is writable (and, on x86, readable), as in C.
	wo, err := posix.MapAnonymous(4096, unix.PROT_WRITE, unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer wo.Unmap()
	_, err = wo.WriteAt([]byte("w"), 0)
	assert.NoError(t, err)
	assert.NoError(t, wo.StoreUint32(8, 1))
	// Nothing touched, nothing to fault on.
	none, err := posix.MapAnonymous(4096, unix.PROT_NONE, unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer none.Unmap()
	n, err := none.ReadAt(nil, 0)
	assert.Equal(t, 0, n)
	assert.NoError(t, err)

	// After a fault part way, n counts exactly the bytes written before it.
	shm, _ := openShm(t, 2*4096)
	sm, err := shm.Map(0, 2*4096, rw, unix.MAP_SHARED)
	require.NoError(t, err)
	defer sm.Unmap()
	require.NoError(t, shm.Truncate(4096))
	data := make([]byte, 8192)
	for i := range data {
		data[i] = 0xab
	}
	n, err = sm.WriteAt(data, 100)
	assert.ErrorIs(t, err, unix.EFAULT)
	assert.Equal(t, 4096-100, n, "the bytes up to the end of the object")
	got := make([]byte, 8192)
	n, err = sm.ReadAt(got, 0)
	assert.ErrorIs(t, err, unix.EFAULT)
	assert.Equal(t, 4096, n)
	assert.Equal(t, byte(0xab), got[4095])

	// Len and Bytes after Unmap.
	u, err := posix.MapAnonymous(4096, rw, unix.MAP_PRIVATE)
	require.NoError(t, err)
	require.NoError(t, u.Unmap())
	assert.Equal(t, 0, u.Len())
	assert.Nil(t, u.Bytes())
}

// /proc/PID/maps lines with inode 0 and bracketed names ([heap], [stack]).
func TestProcMapsParsesEveryKindOfLine(t *testing.T) {
	maps, err := posix.ProcMaps(0)
	require.NoError(t, err)
	byPath := map[string]bool{}
	for _, e := range maps {
		byPath[e.Path] = true
		assert.Less(t, e.Start, e.End)
		assert.Len(t, e.Perms, 4)
		assert.False(t, strings.Contains(e.Path, "-") && strings.HasPrefix(e.Path, "0"), "path %q looks like a mangled line", e.Path)
	}
	assert.True(t, byPath["[stack]"], "no [stack] among %d entries", len(maps))
	assert.True(t, byPath["[vdso]"])
	exe, err := os.Executable()
	require.NoError(t, err)
	assert.True(t, byPath[exe], "the test binary %s", exe)
	_, err = posix.ProcMaps(1 << 30)
	assert.ErrorIs(t, err, os.ErrNotExist)
	var pe *posix.Error
	assert.ErrorAs(t, err, &pe)
}
