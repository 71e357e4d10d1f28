package tests

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
)

// semPath is the file glibc keeps a named semaphore in.
func semPath(name string) string { return "/dev/shm/sem." + strings.TrimPrefix(name, "/") }

// plantSem writes content as /dev/shm/sem.NAME (mode 0600), removed at cleanup.
func plantSem(t *testing.T, name string, content []byte) {
	t.Helper()
	path := semPath(name)
	require.NoError(t, os.WriteFile(path, content, 0o600))
	t.Cleanup(func() { os.Remove(path) })
}

// The child roles of these tests: each prints a line before every call
// through the API and its outcome after, so that the parent sees how far
// it got when the process dies of a signal.
func init() {
	step := func(what string, err error) {
		fmt.Printf("%s %s\n", what, scenario.ResultLine(err))
	}
	semOps := func(s *posix.Semaphore) {
		v, err := s.Value()
		fmt.Printf("value=%d ", v)
		step("getvalue", err)
		fmt.Println("post")
		step("post", s.Post())
		fmt.Println("trywait")
		step("trywait", s.TryWait())
		fmt.Println("wait")
		step("wait", s.WaitTimeout(50*time.Millisecond))
	}
	// corrupt-sem-truncated NAME: opens the named semaphore, truncates its
	// file to 0 bytes, then uses it.
	scenario.Roles["corrupt-sem-truncated"] = func(a []string) error {
		s, err := posix.OpenSemaphore(a[0], 0, 0, 0)
		if err != nil {
			return err
		}
		step("open", nil)
		if err := os.Truncate(semPath(a[0]), 0); err != nil {
			return err
		}
		semOps(s)
		return s.Close()
	}
	// corrupt-sem-ops NAME: opens the named semaphore and uses it.
	scenario.Roles["corrupt-sem-ops"] = func(a []string) error {
		s, err := posix.OpenSemaphore(a[0], 0, 0, 0)
		step("open", err)
		if err != nil {
			return nil
		}
		semOps(s)
		return s.Close()
	}
	// corrupt-sem-scribble NAME: opens the named semaphore, then fills its
	// file with 0xff through shm_open("/sem.NAME"), then uses it.
	scenario.Roles["corrupt-sem-scribble"] = func(a []string) error {
		s, err := posix.OpenSemaphore(a[0], 0, 0, 0)
		if err != nil {
			return err
		}
		step("open", nil)
		if err := os.WriteFile(semPath(a[0]), []byte(strings.Repeat("\xff", posix.SizeofSem)), 0o600); err != nil {
			return err
		}
		semOps(s)
		return s.Close()
	}
	// corrupt-placed KIND SHMNAME: places a KIND (sem, mutex, cond) on the second
	// page of the 8192-byte object SHMNAME, truncates the object to one page
	// under the mapping, then uses the object.
	scenario.Roles["corrupt-placed"] = func(a []string) error {
		shm, err := posix.OpenSharedMemory(a[1], unix.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer shm.Close()
		m, err := shm.Map(0, 8192, rw, unix.MAP_SHARED)
		if err != nil {
			return err
		}
		var use func() error
		switch a[0] {
		case "sem":
			s, err := posix.InitSemaphoreAt(m, 4096, 1)
			if err != nil {
				return err
			}
			use = s.Post
		case "cond":
			c, err := posix.InitCondAt(m, 4096, nil)
			if err != nil {
				return err
			}
			use = c.Signal
		default:
			mu, err := posix.InitMutexAt(m, 4096, nil)
			if err != nil {
				return err
			}
			use = func() error {
				if err := mu.TryLock(); err != nil {
					return err
				}
				return mu.Unlock()
			}
		}
		step("place", nil)
		if err := shm.Truncate(4096); err != nil {
			return err
		}
		_, err = m.ReadAt(make([]byte, 8), 4096)
		step("readat", err) // the Mapping API: EFAULT
		fmt.Println("use")
		step("use", use())
		return m.Unmap()
	}
}

// died returns the child's stdout after it exited, failing unless it died
// of sig (the Go runtime prints the signal's name and exits 2).
func died(t *testing.T, p *proc, sig string) string {
	t.Helper()
	code := p.Wait()
	out, errOut := p.Stdout.String(), p.Stderr.String()
	require.NotEqual(t, 0, code, "the child survived: %s", out)
	require.Contains(t, errOut, sig, "stdout: %s", out)
	return out
}

// Corrupt /dev/shm/sem.NAME files opened with OpenSemaphore.
func TestCorruptSemaphoreFiles(t *testing.T) {
	t.Run("zero-length", func(t *testing.T) {
		name := uniqueName()
		plantSem(t, name, nil)
		s, err := posix.OpenSemaphore(name, 0, 0, 0)
		assert.Nil(t, s)
		require.ErrorIs(t, err, unix.EFAULT)
		assert.Contains(t, err.Error(), "shorter than a sem_t")
	})
	t.Run("16 bytes", func(t *testing.T) {
		// Shorter than a sem_t (32), but the page exists: every field
		// glibc uses (the 64-bit value+waiters word, the private flag at
		// 8) lies in the file, and the bytes past its end read as zero.
		// Works, as in C; the file keeps its 16 bytes.
		name := uniqueName()
		content := make([]byte, 16)
		binary.NativeEndian.PutUint32(content, 3)
		plantSem(t, name, content)
		s, err := posix.OpenSemaphore(name, 0, 0, 0)
		require.NoError(t, err)
		defer s.Close()
		v, err := s.Value()
		require.NoError(t, err)
		assert.Equal(t, 3, v)
		require.NoError(t, s.TryWait())
		require.NoError(t, s.Post())
		require.NoError(t, s.WaitTimeout(time.Second))
		got, err := os.ReadFile(semPath(name))
		require.NoError(t, err)
		assert.Len(t, got, 16)
		assert.EqualValues(t, 2, binary.NativeEndian.Uint32(got))
	})
	t.Run("truncated after the open", func(t *testing.T) {
		// In C, glibc's first access to the sem_t (sem_getvalue) raises
		// SIGBUS and the process dies; here the fault guard makes every
		// call return EFAULT and the process lives (tests/sigbus_test.go).
		_, name := newNamed(t, 1)
		out := startGo(t, "corrupt-sem-truncated", []string{name}).finish(t)
		assert.Contains(t, out, "open result=0")
		for _, op := range []string{"getvalue", "post", "trywait", "wait"} {
			assert.Contains(t, out, op+" result=-1 errno=14 ename=EFAULT")
		}
	})
	t.Run("scribbled through shm_open of sem.NAME", func(t *testing.T) {
		// shm_open("/sem.X") opens the very file semaphore "/X" lives in:
		// writes through the mapping are the semaphore.
		s, name := newNamed(t, 5)
		shm, err := posix.OpenSharedMemory("/sem."+strings.TrimPrefix(name, "/"), unix.O_RDWR, 0)
		require.NoError(t, err)
		defer shm.Close()
		size, err := shm.Size()
		require.NoError(t, err)
		assert.EqualValues(t, posix.SizeofSem, size)
		m, err := shm.Map(0, int(size), rw, unix.MAP_SHARED)
		require.NoError(t, err)
		defer m.Unmap()
		v, err := m.LoadUint32(0)
		require.NoError(t, err)
		assert.EqualValues(t, 5, v)
		require.NoError(t, m.StoreUint32(0, 7))
		n, err := s.Value()
		require.NoError(t, err)
		assert.Equal(t, 7, n)

		// Garbage in every byte: the private word (offset 8) is neither
		// 0 nor 128, and glibc's first futex call would abort. A process
		// that opens it later is refused (EINVAL) and lives.
		_, err = m.WriteAt([]byte(strings.Repeat("\xff", posix.SizeofSem)), 0)
		require.NoError(t, err)
		n, err = s.Value()
		require.NoError(t, err)
		assert.Equal(t, -1, n, "0xffffffff read as a C int, as sem_getvalue does")
		out := startGo(t, "corrupt-sem-ops", []string{name}).finish(t)
		assert.Equal(t, "open result=-1 errno=22 ename=EINVAL", out)
		_, err = posix.OpenSemaphore(name, 0, 0, 0)
		assert.ErrorIs(t, err, unix.EINVAL)
		assert.Contains(t, err.Error(), "not a sem_t glibc initialised")
		_, err = posix.SemaphoreAt(m, 0)
		assert.ErrorIs(t, err, unix.EINVAL)
		// Restored, it opens and works again.
		require.NoError(t, m.StoreUint64(0, 1))
		require.NoError(t, m.StoreUint32(8, 128)) // FUTEX_SHARED, as sem_open writes
		out = startGo(t, "corrupt-sem-ops", []string{name}).finish(t)
		assert.Contains(t, out, "value=1 getvalue result=0")
		assert.Contains(t, out, "wait result=0")
	})
	t.Run("scribbled after the open", func(t *testing.T) {
		// A handle opened before the scribble: glibc's futex call fails
		// and glibc aborts the process, as in C, in the first sem_post
		// (docs/SEMANTICS.md). Run in a child.
		_, name := newNamed(t, 0)
		out := died(t, startGo(t, "corrupt-sem-scribble", []string{name}), "SIGABRT")
		assert.Contains(t, out, "open result=0")
		assert.True(t, strings.HasSuffix(out, "\npost\n"), "died in the first post: %q", out)
	})
}

// Objects placed in a shared memory object truncated under the mapping.
func TestPlacedObjectsOnATruncatedPage(t *testing.T) {
	// The semaphore and mutex calls are guarded: EFAULT, the process lives.
	for _, kind := range []string{"sem", "mutex"} {
		t.Run(kind, func(t *testing.T) {
			_, name := openShm(t, 8192)
			out := startGo(t, "corrupt-placed", []string{kind, name}).finish(t)
			assert.Contains(t, out, "use result=-1 errno=14 ename=EFAULT")
		})
	}
	// The cond calls are not guarded: the fault guard's handler hands the
	// SIGBUS to the Go runtime's, which reports it and exits 2, as before.
	t.Run("cond", func(t *testing.T) {
		_, name := openShm(t, 8192)
		p := startGo(t, "corrupt-placed", []string{"cond", name})
		out := died(t, p, "SIGBUS: bus error")
		assert.Equal(t, 2, p.Wait(), "Go's exit status for a fatal signal")
		assert.Contains(t, p.Stderr.String(), "signal arrived during cgo execution")
		assert.Contains(t, out, "place result=0")
		assert.Contains(t, out, "readat result=-1 errno=14 ename=EFAULT")
		assert.NotContains(t, out, "use result", "died in the call")
	})
}

// A queue unlinked under a blocked receiver: the receiver keeps waiting on
// the queue it has, a sender holding a descriptor still reaches it, a new
// open of the name finds nothing (or a new, separate queue), and the last
// close frees it.
func TestQueueUnlinkedUnderABlockedReceiver(t *testing.T) {
	name := uniqueName()
	attr := &posix.MQAttr{MaxMsg: 10, MsgSize: 64}
	r, err := posix.OpenMessageQueue(name, unix.O_RDONLY|unix.O_CREAT|unix.O_EXCL, 0o600, attr)
	require.NoError(t, err)
	defer r.Close()
	t.Cleanup(func() { posix.UnlinkMessageQueue(name) }) // a failure before the unlinks
	w, err := posix.OpenMessageQueue(name, unix.O_WRONLY, 0, nil)
	require.NoError(t, err)
	defer w.Close()
	got := make(chan string, 1)
	go func() {
		b, _, err := r.ReceiveMessage()
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(b)
	}()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, posix.UnlinkMessageQueue(name))
	_, err = posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	assert.ErrorIs(t, err, unix.ENOENT)
	// The name now makes a new queue, separate from the unlinked one.
	n, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, attr)
	require.NoError(t, err)
	defer n.Close()
	require.NoError(t, n.Send([]byte("to the new queue"), 0))
	select {
	case s := <-got:
		t.Fatalf("the receiver of the unlinked queue got %q", s)
	case <-time.After(30 * time.Millisecond):
	}
	require.NoError(t, w.Send([]byte("to the unlinked queue"), 0))
	select {
	case s := <-got:
		assert.Equal(t, "to the unlinked queue", s)
	case <-time.After(closeBound):
		t.Fatal("the receiver did not get the message")
	}
	b := make([]byte, 64)
	k, _, err := n.ReceiveTimeout(b, closeBound)
	require.NoError(t, err)
	assert.Equal(t, "to the new queue", string(b[:k]))
	require.NoError(t, n.Close())
	require.NoError(t, posix.UnlinkMessageQueue(name))
	require.NoError(t, w.Close())
	require.NoError(t, r.Close())
	_, err = posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	assert.ErrorIs(t, err, unix.ENOENT)
}

// One name as a semaphore, a shared memory object and a message queue at
// once: semaphores and shm share /dev/shm (as sem.NAME and NAME), queues
// have their own namespace; each lives and goes on its own.
func TestOneNameForEveryPOSIXType(t *testing.T) {
	name := uniqueName()
	s, err := posix.OpenSemaphore(name, unix.O_CREAT|unix.O_EXCL, 0o600, 4)
	require.NoError(t, err)
	defer posix.UnlinkSemaphore(name)
	defer s.Close()
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	require.NoError(t, err)
	defer posix.UnlinkSharedMemory(name)
	defer shm.Close()
	require.NoError(t, shm.Truncate(100))
	q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, &posix.MQAttr{MaxMsg: 1, MsgSize: 8})
	require.NoError(t, err)
	defer posix.UnlinkMessageQueue(name)
	defer q.Close()
	require.NoError(t, q.Send([]byte("q"), 0))

	require.NoError(t, posix.UnlinkSharedMemory(name))
	v, err := s.Value()
	require.NoError(t, err)
	assert.Equal(t, 4, v)
	s2, err := posix.OpenSemaphore(name, 0, 0, 0)
	require.NoError(t, err, "the semaphore's name survives the shm unlink")
	require.NoError(t, s2.Close())
	require.NoError(t, posix.UnlinkSemaphore(name))
	_, err = posix.OpenSemaphore(name, 0, 0, 0)
	assert.ErrorIs(t, err, unix.ENOENT)
	q2, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	require.NoError(t, err, "the queue's name survives both")
	b := make([]byte, 8)
	k, _, err := q2.ReceiveTimeout(b, closeBound)
	require.NoError(t, err)
	assert.Equal(t, "q", string(b[:k]))
	require.NoError(t, q2.Close())
	require.NoError(t, posix.UnlinkMessageQueue(name))
	assert.ErrorIs(t, posix.UnlinkMessageQueue(name), unix.ENOENT)
}

// One System V key for a semaphore set, a queue and a segment: three
// namespaces, so IPC_CREAT|IPC_EXCL succeeds once in each and says EEXIST
// only within a type.
func TestSysvKeyReuseAcrossTypes(t *testing.T) {
	key := uniqueKey()
	semID := newSemSet(t, key, 1)
	msgID := newMsgQueue(t, key)
	shmID := newShmSeg(t, key, 4096)
	excl := unix.IPC_CREAT | unix.IPC_EXCL | 0o600
	_, err := posix.SemGet(key, 1, excl)
	assert.ErrorIs(t, err, unix.EEXIST)
	_, err = posix.MsgGet(key, excl)
	assert.ErrorIs(t, err, unix.EEXIST)
	_, err = posix.ShmGet(key, 4096, excl)
	assert.ErrorIs(t, err, unix.EEXIST)
	// Each key finds its own type's object.
	id, err := posix.SemGet(key, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, semID, id)
	id, err = posix.MsgGet(key, 0)
	require.NoError(t, err)
	assert.Equal(t, msgID, id)
	id, err = posix.ShmGet(key, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, shmID, id)
	// Removing one leaves the others; its key is free for a new one.
	_, err = posix.SemCtl(semID, 0, unix.IPC_RMID, 0)
	require.NoError(t, err)
	_, err = posix.MsgGet(key, 0)
	assert.NoError(t, err)
	_ = newSemSet(t, key, 1)
	var ds unix.SysvShmDesc
	require.NoError(t, posix.ShmCtl(shmID, unix.IPC_STAT, &ds))
	assert.EqualValues(t, key, ds.Perm.Key)
}
