package tests

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// System V objects outlive every process: each test removes what it creates
// (IPC_RMID in t.Cleanup, so also on failure), and TestMain checks every id
// and key recorded here (leftoverSysv).

var (
	sysvMu   sync.Mutex
	sysvObjs []sysvObj
	sysvKeys atomic.Int64
)

type sysvObj struct {
	kind string // "sem", "msg", "shm"
	id   int
}

func recordSysv(kind string, id int) {
	sysvMu.Lock()
	sysvObjs = append(sysvObjs, sysvObj{kind, id})
	sysvMu.Unlock()
}

// removeSysv removes an object with IPC_RMID (an error: already removed).
func removeSysv(o sysvObj) error {
	switch o.kind {
	case "sem":
		_, err := posix.SemCtl(o.id, 0, unix.IPC_RMID, 0)
		return err
	case "msg":
		return posix.MsgCtl(o.id, unix.IPC_RMID, nil)
	default:
		return posix.ShmCtl(o.id, unix.IPC_RMID, nil)
	}
}

// leftoverSysv removes, and reports, the objects this run's tests created and
// did not remove. A shared memory segment that is only marked for removal
// (still attached: SHM_DEST) counts as left too.
func leftoverSysv() []string {
	sysvMu.Lock()
	defer sysvMu.Unlock()
	var left []string
	for _, o := range sysvObjs {
		if o.kind == "shm" {
			var ds unix.SysvShmDesc
			if posix.ShmCtl(o.id, unix.IPC_STAT, &ds) == nil {
				posix.ShmCtl(o.id, unix.IPC_RMID, nil)
				left = append(left, fmt.Sprintf("shmid:%d(nattch=%d)", o.id, ds.Nattch))
			}
			continue
		}
		if removeSysv(o) == nil {
			left = append(left, fmt.Sprintf("%sid:%d", o.kind, o.id))
		}
	}
	return left
}

// uniqueKey returns a key for this run: 0x4 in the top nibble, the pid, a
// sequence number. Objects are created with IPC_EXCL, so a clash fails the
// test instead of sharing another program's object.
func uniqueKey() posix.IPCKey {
	return posix.IPCKey(0x40000000 | (os.Getpid()&0x3fffff)<<8 | int(sysvKeys.Add(1)&0xff))
}

func keyArg(k posix.IPCKey) string { return strconv.Itoa(int(k)) }

func newSemSet(t *testing.T, key posix.IPCKey, nsems int, vals ...uint16) int {
	t.Helper()
	id, err := posix.SemGet(key, nsems, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	require.NoError(t, err)
	recordSysv("sem", id)
	t.Cleanup(func() { removeSysv(sysvObj{"sem", id}) })
	if len(vals) > 0 {
		require.NoError(t, posix.SemCtlAll(id, posix.SETALL, vals))
	}
	return id
}

func newMsgQueue(t *testing.T, key posix.IPCKey) int {
	t.Helper()
	id, err := posix.MsgGet(key, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	require.NoError(t, err)
	recordSysv("msg", id)
	t.Cleanup(func() { removeSysv(sysvObj{"msg", id}) })
	return id
}

func newShmSeg(t *testing.T, key posix.IPCKey, size int) int {
	t.Helper()
	id, err := posix.ShmGet(key, size, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	require.NoError(t, err)
	recordSysv("shm", id)
	t.Cleanup(func() { removeSysv(sysvObj{"shm", id}) })
	return id
}

func attach(t *testing.T, id, flags int) *posix.Mapping {
	t.Helper()
	m, err := posix.ShmAt(id, flags)
	require.NoError(t, err)
	t.Cleanup(func() { m.Unmap() })
	return m
}

func semVal(t *testing.T, id, num int) int {
	t.Helper()
	v, err := posix.SemCtl(id, num, posix.GETVAL, 0)
	require.NoError(t, err)
	return v
}

// eventually polls cond every millisecond for up to 10 s.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", msg)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitLine(t *testing.T, p *proc, line string) {
	t.Helper()
	eventually(t, func() bool { return strings.Contains(p.Stdout.String(), line) },
		fmt.Sprintf("%q from %s (stderr: %s)", line, filepath.Base(p.Cmd.Path), p.Stderr.String()))
}

func sysvPeer(t testing.TB, args ...string) *proc {
	t.Helper()
	return start(t, append([]string{cpeer(t, "sysvpeer")}, args...), nil)
}

// The Go child roles of these tests.
func init() {
	// sysv-hold SEMID SEMNAME: takes the System V semaphore 0 of SEMID with
	// SEM_UNDO and the named POSIX semaphore SEMNAME, prints "held", and
	// waits to be killed.
	scenario.Roles["sysv-hold"] = func(a []string) error {
		id := scenario.Atoi(a[0])
		if err := posix.SemTimedOp(id, []posix.SemBuf{{Num: 0, Op: -1, Flg: posix.SEM_UNDO}}, scenario.StepTimeout); err != nil {
			return err
		}
		s, err := posix.OpenSemaphore(a[1], 0, 0, 0)
		if err != nil {
			return err
		}
		if err := s.WaitTimeout(scenario.StepTimeout); err != nil {
			return err
		}
		fmt.Printf("held pid=%d\n", os.Getpid())
		time.Sleep(scenario.ProcTimeout)
		return unix.ETIMEDOUT
	}
	// sysv-semwait ID: a blocking SemOp -1 on semaphore 0; prints "waiting",
	// then the outcome as a probe line.
	scenario.Roles["sysv-semwait"] = func(a []string) error {
		fmt.Println("waiting")
		ctx, cancel := context.WithTimeout(context.Background(), scenario.StepTimeout)
		defer cancel()
		err := posix.SemOpContext(ctx, scenario.Atoi(a[0]), []posix.SemBuf{{Num: 0, Op: -1}})
		fmt.Println(scenario.ResultLine(err))
		return nil
	}
}

// --- SEM_UNDO: the trade-off between the families -------------------------

// A process that dies holding a System V semaphore taken with SEM_UNDO has
// its operation undone by the kernel; a POSIX semaphore it held stays taken.
func TestSysvSemUndoReleasesWhatADyingChildHeldPOSIXDoesNot(t *testing.T) {
	for _, lang := range []string{"Go", "C"} {
		t.Run(lang, func(t *testing.T) {
			id := newSemSet(t, posix.IPC_PRIVATE, 1, 1)
			psem, pname := newNamed(t, 1)
			var child *proc
			if lang == "Go" {
				child = startGo(t, "sysv-hold", []string{strconv.Itoa(id), pname})
			} else {
				// The C peer takes the System V semaphore; the POSIX one is
				// taken by a Go child below, to show both sides.
				child = sysvPeer(t, "sem-hold", strconv.Itoa(id), "0")
			}
			waitLine(t, child, "held")
			if lang == "C" {
				posixHolder := startGo(t, "sysv-hold", []string{strconv.Itoa(newSemSet(t, posix.IPC_PRIVATE, 1, 1)), pname})
				waitLine(t, posixHolder, "held")
				posixHolder.Kill()
			}
			assert.Equal(t, 0, semVal(t, id, 0), "held by the child")
			child.Kill() // SIGKILL: no chance to release anything
			assert.Equal(t, 1, semVal(t, id, 0), "SEM_UNDO gave the unit back when the child died")
			pid, err := posix.SemCtl(id, 0, posix.GETPID, 0)
			require.NoError(t, err)
			assert.Equal(t, child.Cmd.Process.Pid, pid, "the undo counts as the dying process's operation")
			v, err := psem.Value()
			require.NoError(t, err)
			assert.Equal(t, 0, v, "the POSIX semaphore stays taken: nothing undoes it")
		})
	}
}

// --- message type selection -----------------------------------------------

// The msgtyp rules, Go against C on identical queues: 0 takes the first, > 0
// the first of that type, < 0 the first of the lowest type <= |msgtyp|,
// MSG_EXCEPT the first of another type.
func TestSysvMsgTypeSelectionMatchesC(t *testing.T) {
	fill := func(id int) {
		for i, mt := range []int{3, 1, 2, 1, 5, 4, 2} {
			require.NoError(t, posix.MsgSnd(id, mt, []byte(fmt.Sprintf("m%d", i)), 0))
		}
	}
	spec := "1,-3,0,2x,4,-10,0,9,0,0"
	goQ, cQ := newMsgQueue(t, posix.IPC_PRIVATE), newMsgQueue(t, posix.IPC_PRIVATE)
	fill(goQ)
	fill(cQ)
	var goLines []string
	buf := make([]byte, 64)
	for _, tok := range strings.Split(spec, ",") {
		flags, typ := unix.IPC_NOWAIT, tok
		if strings.HasSuffix(tok, "x") {
			flags |= posix.MSG_EXCEPT
			typ = strings.TrimSuffix(tok, "x")
		}
		n, mtype, err := posix.MsgRcv(goQ, buf, scenario.Atoi(typ), flags)
		if err != nil {
			goLines = append(goLines, fmt.Sprintf("%s -> %s", tok, unix.ErrnoName(errnoOf(t, err))))
		} else {
			goLines = append(goLines, fmt.Sprintf("%s -> %d %s", tok, mtype, buf[:n]))
		}
	}
	cOut := sysvPeer(t, "msg-select", strconv.Itoa(cQ), spec).finish(t)
	assert.Equal(t, cOut, strings.Join(goLines, "\n"))
	assert.Equal(t, strings.Join([]string{
		"1 -> 1 m1", "-3 -> 1 m3", "0 -> 3 m0", "2x -> 5 m4", "4 -> 4 m5",
		"-10 -> 2 m2", "0 -> 2 m6", "9 -> ENOMSG", "0 -> ENOMSG", "0 -> ENOMSG",
	}, "\n"), cOut)
}

// A message longer than the buffer: E2BIG and it stays queued, or with
// MSG_NOERROR the first bytes, and the rest is gone. Both as in C.
func TestSysvMsgNoErrorTruncatesOtherwiseE2BIG(t *testing.T) {
	id := newMsgQueue(t, posix.IPC_PRIVATE)
	msg := []byte("abcdefghijklmnopqrstuvwxyz")
	require.NoError(t, posix.MsgSnd(id, 7, msg, 0))
	buf := make([]byte, 10)
	_, _, err := posix.MsgRcv(id, buf, 0, unix.IPC_NOWAIT)
	assert.Equal(t, unix.E2BIG, errnoOf(t, err))
	var ds posix.MsqidDS
	require.NoError(t, posix.MsgCtl(id, unix.IPC_STAT, &ds))
	assert.EqualValues(t, 1, ds.Qnum, "E2BIG leaves the message queued")
	assert.EqualValues(t, len(msg), ds.Cbytes)

	c := sysvPeer(t, "msgrcv", strconv.Itoa(id), "10", "0", strconv.Itoa(unix.IPC_NOWAIT)).finish(t)
	assert.Equal(t, unix.E2BIG, probe(t, c), c)

	n, mtype, err := posix.MsgRcv(id, buf, 0, unix.IPC_NOWAIT|posix.MSG_NOERROR)
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	assert.Equal(t, 7, mtype)
	assert.Equal(t, "abcdefghij", string(buf[:n]))
	require.NoError(t, posix.MsgCtl(id, unix.IPC_STAT, &ds))
	assert.EqualValues(t, 0, ds.Qnum, "the truncated rest is lost")

	// The C peer truncates the same way.
	require.NoError(t, posix.MsgSnd(id, 7, msg, 0))
	c = sysvPeer(t, "msgrcv", strconv.Itoa(id), "10", "0", strconv.Itoa(unix.IPC_NOWAIT|posix.MSG_NOERROR)).finish(t)
	assert.Equal(t, "result=0 errno=0 ename=0 len=10 mtype=7", c)
}

// IPC_NOWAIT: ENOMSG from an empty queue, EAGAIN from a full one and from a
// semaphore that would block; C says the same.
func TestSysvNoWaitErrnosMatchC(t *testing.T) {
	q := newMsgQueue(t, posix.IPC_PRIVATE)
	_, _, err := posix.MsgRcv(q, make([]byte, 8), 0, unix.IPC_NOWAIT)
	assert.Equal(t, unix.ENOMSG, errnoOf(t, err))
	assert.Equal(t, unix.ENOMSG, probe(t, sysvPeer(t, "msgrcv", strconv.Itoa(q), "8", "0", strconv.Itoa(unix.IPC_NOWAIT)).finish(t)))

	// Lowering msg_qbytes needs no privilege: 16 bytes fill it.
	var ds posix.MsqidDS
	require.NoError(t, posix.MsgCtl(q, unix.IPC_STAT, &ds))
	ds.Qbytes = 16
	require.NoError(t, posix.MsgCtl(q, unix.IPC_SET, &ds))
	require.NoError(t, posix.MsgSnd(q, 1, make([]byte, 16), 0))
	err = posix.MsgSnd(q, 1, make([]byte, 8), unix.IPC_NOWAIT)
	assert.Equal(t, unix.EAGAIN, errnoOf(t, err))
	assert.Equal(t, unix.EAGAIN, probe(t, sysvPeer(t, "msgsnd", strconv.Itoa(q), "1", "8", strconv.Itoa(unix.IPC_NOWAIT)).finish(t)))

	s := newSemSet(t, posix.IPC_PRIVATE, 1)
	err = posix.SemOp(s, []posix.SemBuf{{Op: -1, Flg: unix.IPC_NOWAIT}})
	assert.Equal(t, unix.EAGAIN, errnoOf(t, err))
	assert.Equal(t, unix.EAGAIN, probe(t, sysvPeer(t, "semop", strconv.Itoa(s), "0", "-1", strconv.Itoa(unix.IPC_NOWAIT)).finish(t)))
}

// --- shared memory ---------------------------------------------------------

// A segment marked with IPC_RMID stays usable by everyone attached until the
// last detach (here a C process is one of them); IPC_STAT counts them, and the
// key is free at once.
func TestSysvShmRemovedSegmentLivesUntilLastDetach(t *testing.T) {
	key := uniqueKey()
	id := newShmSeg(t, key, 10000)
	m1 := attach(t, id, 0)
	m2 := attach(t, id, 0)
	assert.Equal(t, 10000, m1.Len(), "the mapping has the segment's size")
	holder := sysvPeer(t, "shm-hold", strconv.Itoa(id))
	waitLine(t, holder, "attached nattch=3")

	var ds unix.SysvShmDesc
	require.NoError(t, posix.ShmCtl(id, unix.IPC_STAT, &ds))
	assert.EqualValues(t, 3, ds.Nattch)
	assert.EqualValues(t, 10000, ds.Segsz)
	assert.Equal(t, os.Getpid(), int(ds.Cpid))

	require.NoError(t, posix.ShmCtl(id, unix.IPC_RMID, nil))
	require.NoError(t, posix.ShmCtl(id, unix.IPC_STAT, &ds), "the id stays valid while attached")
	assert.NotZero(t, ds.Perm.Mode&0o1000, "SHM_DEST is set")
	assert.EqualValues(t, posix.IPC_PRIVATE, ds.Perm.Key, "the key is released")
	// The key is free: a new segment can take it.
	newShmSeg(t, key, 4096)

	// Still usable: a write through one attachment is seen through the other.
	_, err := m1.WriteAt([]byte("still here"), 100)
	require.NoError(t, err)
	got := make([]byte, 10)
	_, err = m2.ReadAt(got, 100)
	require.NoError(t, err)
	assert.Equal(t, "still here", string(got))
	// And a Go process may still attach it (Linux allows it while attached).
	m3, err := posix.ShmAt(id, unix.SHM_RDONLY)
	require.NoError(t, err)
	require.NoError(t, posix.ShmDt(m3))

	require.NoError(t, posix.ShmDt(m1))
	holder.Kill()
	require.NoError(t, posix.ShmCtl(id, unix.IPC_STAT, &ds))
	assert.EqualValues(t, 1, ds.Nattch, "a dead process's attachment is dropped")
	require.NoError(t, posix.ShmDt(m2))
	err = posix.ShmCtl(id, unix.IPC_STAT, &ds)
	assert.Equal(t, unix.EINVAL, errnoOf(t, err), "gone after the last detach")
}

// Bytes written by Go are read by C and the reverse; a POSIX semaphore placed
// in a System V segment is posted by C and waited for by Go.
func TestSysvShmInteropWithC(t *testing.T) {
	id := newShmSeg(t, posix.IPC_PRIVATE, 4096)
	m := attach(t, id, 0)
	copy(m.Bytes()[64:], "from Go")
	assert.Equal(t, "bytes="+hex.EncodeToString([]byte("from Go")), sysvPeer(t, "shm-read", strconv.Itoa(id), "64", "7").finish(t))
	assert.Equal(t, "written", sysvPeer(t, "shm-write", strconv.Itoa(id), "200", hex.EncodeToString([]byte("from C"))).finish(t))
	assert.Equal(t, "from C", string(m.Bytes()[200:206]))

	s, err := posix.InitSemaphoreAt(m, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, "posted", sysvPeer(t, "shm-sempost", strconv.Itoa(id), "0").finish(t))
	require.NoError(t, s.WaitTimeout(scenario.StepTimeout))
	require.NoError(t, s.Close())

	// A read-only attachment: writes are refused, not a crash.
	ro := attach(t, id, unix.SHM_RDONLY)
	_, err = ro.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, unix.EFAULT)
	// A segment cannot be resized; a Mapping from Mmap is not ShmDt's.
	assert.Equal(t, unix.EINVAL, errnoOf(t, ro.Remap(8192, unix.MREMAP_MAYMOVE)))
	anon, err := posix.MapAnonymous(4096, rw, unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer anon.Unmap()
	assert.Equal(t, unix.EINVAL, errnoOf(t, posix.ShmDt(anon)))
	require.NoError(t, posix.ShmDt(ro))
	assert.ErrorIs(t, posix.ShmDt(ro), os.ErrClosed)
}

// SHM_LOCK needs CAP_IPC_LOCK (or room under RLIMIT_MEMLOCK); whatever the
// kernel says here, C gets the same, and a locked segment says so in its mode.
func TestSysvShmLock(t *testing.T) {
	id := newShmSeg(t, posix.IPC_PRIVATE, 8192)
	err := posix.ShmCtl(id, posix.SHM_LOCK, nil)
	if err != nil {
		t.Logf("SHM_LOCK: %v", err)
		assert.Equal(t, unix.EPERM, errnoOf(t, err))
		return
	}
	var ds unix.SysvShmDesc
	require.NoError(t, posix.ShmCtl(id, unix.IPC_STAT, &ds))
	assert.NotZero(t, ds.Perm.Mode&0o2000, "SHM_LOCKED")
	require.NoError(t, posix.ShmCtl(id, posix.SHM_UNLOCK, nil))
	require.NoError(t, posix.ShmCtl(id, unix.IPC_STAT, &ds))
	assert.Zero(t, ds.Perm.Mode&0o2000)
}

// --- semaphores across processes -------------------------------------------

// A blocked Go SemOp is a waiter in the kernel's queue, as a C one is: it
// shows in GETNCNT, a C process's post wakes it, and waiters are woken in
// arrival order whichever language they are in.
func TestSysvSemWaitersQueueInTheKernelWithC(t *testing.T) {
	id := newSemSet(t, posix.IPC_PRIVATE, 1)
	ncnt := func() int {
		n, err := posix.SemCtl(id, 0, posix.GETNCNT, 0)
		require.NoError(t, err)
		return n
	}
	// Go first, then C: one post wakes the Go waiter.
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), scenario.StepTimeout)
		defer cancel()
		done <- posix.SemOpContext(ctx, id, []posix.SemBuf{{Op: -1}})
	}()
	eventually(t, func() bool { return ncnt() == 1 }, "the Go waiter in GETNCNT")
	cw := sysvPeer(t, "semwait", strconv.Itoa(id), "0", "10000")
	waitLine(t, cw, "waiting")
	eventually(t, func() bool { return ncnt() == 2 }, "the C waiter in GETNCNT")
	assert.Equal(t, "posted", sysvPeer(t, "sem-post", strconv.Itoa(id), "0").finish(t))
	select {
	case err := <-done:
		require.NoError(t, err, "the first waiter (Go) is woken first")
	case <-time.After(scenario.StepTimeout):
		t.Fatal("the Go waiter was not woken")
	}
	assert.Equal(t, 1, ncnt(), "the C waiter still waits")
	// C first, then Go: the next post wakes C.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), scenario.StepTimeout)
		defer cancel()
		done <- posix.SemOpContext(ctx, id, []posix.SemBuf{{Op: -1}})
	}()
	eventually(t, func() bool { return ncnt() == 2 }, "the second Go waiter")
	require.NoError(t, posix.SemOp(id, []posix.SemBuf{{Op: 1}}))
	assert.Equal(t, "waiting\nresult=0 errno=0 ename=0", cw.finish(t), "the C waiter, first in line, is woken")
	require.NoError(t, posix.SemOp(id, []posix.SemBuf{{Op: 1}}))
	require.NoError(t, <-done)
}

// Several operations on several semaphores happen together or not at all.
func TestSysvSemOpIsAtomicAcrossTheSet(t *testing.T) {
	id := newSemSet(t, posix.IPC_PRIVATE, 3, 1, 0, 5)
	err := posix.SemOp(id, []posix.SemBuf{{Num: 0, Op: -1, Flg: unix.IPC_NOWAIT}, {Num: 1, Op: -1, Flg: unix.IPC_NOWAIT}})
	assert.Equal(t, unix.EAGAIN, errnoOf(t, err))
	vals := make([]uint16, 3)
	require.NoError(t, posix.SemCtlAll(id, posix.GETALL, vals))
	assert.Equal(t, []uint16{1, 0, 5}, vals, "nothing was done")
	// A blocking array: waits until both can proceed.
	done := make(chan error, 1)
	go func() {
		done <- posix.SemTimedOp(id, []posix.SemBuf{{Num: 0, Op: -1}, {Num: 1, Op: -1}, {Num: 2, Op: 2}}, scenario.StepTimeout)
	}()
	eventually(t, func() bool { n, _ := posix.SemCtl(id, 1, posix.GETNCNT, 0); return n == 1 }, "waiting on semaphore 1")
	require.NoError(t, posix.SemOp(id, []posix.SemBuf{{Num: 1, Op: 1}}))
	require.NoError(t, <-done)
	require.NoError(t, posix.SemCtlAll(id, posix.GETALL, vals))
	assert.Equal(t, []uint16{0, 0, 7}, vals)
	// Wait-for-zero.
	go func() { done <- posix.SemTimedOp(id, []posix.SemBuf{{Num: 2, Op: 0}}, scenario.StepTimeout) }()
	eventually(t, func() bool { n, _ := posix.SemCtl(id, 2, posix.GETZCNT, 0); return n == 1 }, "waiting for zero")
	_, err = posix.SemCtl(id, 2, posix.SETVAL, 0)
	require.NoError(t, err)
	require.NoError(t, <-done)
	var ds posix.SemidDS
	require.NoError(t, posix.SemCtlStat(id, unix.IPC_STAT, &ds))
	assert.EqualValues(t, 3, ds.Nsems)
	assert.NotZero(t, ds.Otime)
	assert.EqualValues(t, 0o600, ds.Perm.Mode&0o777)
	ds.Perm.Mode = 0o640
	require.NoError(t, posix.SemCtlStat(id, unix.IPC_SET, &ds))
	require.NoError(t, posix.SemCtlStat(id, unix.IPC_STAT, &ds))
	assert.EqualValues(t, 0o640, ds.Perm.Mode&0o777)
}

// semtimedop's timeout: EAGAIN (its errno, not ETIMEDOUT) once d has passed,
// and SIGURG storms on the waiting thread (Go's own signal) neither end the
// wait early nor stretch it.
func TestSysvSemTimedOpTimesOutWithEAGAINDespiteSignals(t *testing.T) {
	id := newSemSet(t, posix.IPC_PRIVATE, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // signal every thread of the process every 2 ms
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			tasks, _ := os.ReadDir("/proc/self/task")
			for _, e := range tasks {
				tid, _ := strconv.Atoi(e.Name())
				unix.Tgkill(os.Getpid(), tid, unix.SIGURG)
			}
		}
	}()
	t0 := time.Now()
	err := posix.SemTimedOp(id, []posix.SemBuf{{Op: -1}}, 200*time.Millisecond)
	elapsed := time.Since(t0)
	close(stop)
	wg.Wait()
	assert.Equal(t, unix.EAGAIN, errnoOf(t, err), "%v", err)
	assert.GreaterOrEqual(t, elapsed, 200*time.Millisecond)
	t.Logf("semtimedop 200 ms under SIGURG every 2 ms: %v", elapsed)
	assert.Equal(t, unix.EINVAL, errnoOf(t, posix.SemTimedOp(id, []posix.SemBuf{{Op: -1}}, -time.Second)))
}

// --- cancellation and removal ----------------------------------------------

// Cancelling a blocked SemOpContext, MsgRcvContext or MsgSndContext returns
// promptly and does nothing to the object.
func TestSysvContextCancelReturnsPromptlyAndDoesNothing(t *testing.T) {
	sem := newSemSet(t, posix.IPC_PRIVATE, 1)
	q := newMsgQueue(t, posix.IPC_PRIVATE)
	full := newMsgQueue(t, posix.IPC_PRIVATE)
	var ds posix.MsqidDS
	require.NoError(t, posix.MsgCtl(full, unix.IPC_STAT, &ds))
	ds.Qbytes = 8
	require.NoError(t, posix.MsgCtl(full, unix.IPC_SET, &ds))
	require.NoError(t, posix.MsgSnd(full, 1, make([]byte, 8), 0))
	calls := map[string]func(ctx context.Context) error{
		"semop": func(ctx context.Context) error {
			return posix.SemOpContext(ctx, sem, []posix.SemBuf{{Op: -1}})
		},
		"msgrcv": func(ctx context.Context) error {
			_, _, err := posix.MsgRcvContext(ctx, q, make([]byte, 8), 0, 0)
			return err
		},
		"msgsnd": func(ctx context.Context) error {
			return posix.MsgSndContext(ctx, full, 2, []byte("x"), 0)
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- call(ctx) }()
			time.Sleep(30 * time.Millisecond) // let it block in C
			t0 := time.Now()
			cancel()
			select {
			case err := <-done:
				assert.ErrorIs(t, err, context.Canceled)
				t.Logf("%s returned %v after cancel", name, time.Since(t0))
			case <-time.After(scenario.StepTimeout):
				t.Fatal("not cancelled")
			}
			// Already cancelled: nothing happens, at once.
			assert.ErrorIs(t, call(ctx), context.Canceled)
		})
	}
	assert.Equal(t, 0, semVal(t, sem, 0))
	n, err := posix.SemCtl(sem, 0, posix.GETNCNT, 0)
	require.NoError(t, err)
	assert.Zero(t, n, "the cancelled waiter left the kernel queue")
	require.NoError(t, posix.MsgCtl(full, unix.IPC_STAT, &ds))
	assert.EqualValues(t, 1, ds.Qnum, "the cancelled send sent nothing")
	// A context deadline ends the wait too.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err = posix.MsgRcvContext(ctx, q, make([]byte, 8), 0, 0)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, os.IsTimeout(err))
}

// Removing a set or queue under a waiter makes it fail with EIDRM, in Go as in C.
func TestSysvRemovalUnderAWaiterIsEIDRMInGoAndC(t *testing.T) {
	t.Run("sem", func(t *testing.T) {
		id, err := posix.SemGet(posix.IPC_PRIVATE, 1, unix.IPC_CREAT|0o600)
		require.NoError(t, err)
		recordSysv("sem", id)
		t.Cleanup(func() { removeSysv(sysvObj{"sem", id}) })
		goW := startGo(t, "sysv-semwait", []string{strconv.Itoa(id)})
		cW := sysvPeer(t, "semwait", strconv.Itoa(id), "0", "10000")
		inW := make(chan error, 1)
		go func() { inW <- posix.SemTimedOp(id, []posix.SemBuf{{Op: -1}}, scenario.StepTimeout) }()
		eventually(t, func() bool { n, _ := posix.SemCtl(id, 0, posix.GETNCNT, 0); return n == 3 }, "three waiters")
		_, err = posix.SemCtl(id, 0, unix.IPC_RMID, 0)
		require.NoError(t, err)
		assert.Equal(t, unix.EIDRM, errnoOf(t, <-inW))
		assert.Equal(t, unix.EIDRM, probe(t, goW.finish(t)))
		assert.Equal(t, unix.EIDRM, probe(t, cW.finish(t)))
	})
	t.Run("msg", func(t *testing.T) {
		id, err := posix.MsgGet(posix.IPC_PRIVATE, unix.IPC_CREAT|0o600)
		require.NoError(t, err)
		recordSysv("msg", id)
		t.Cleanup(func() { removeSysv(sysvObj{"msg", id}) })
		cW := sysvPeer(t, "msgwait", strconv.Itoa(id), "0", "10000")
		waitLine(t, cW, "waiting")
		inW := make(chan error, 1)
		go func() {
			_, _, err := posix.MsgRcv(id, make([]byte, 16), 0, 0)
			inW <- err
		}()
		time.Sleep(50 * time.Millisecond) // both block
		require.NoError(t, posix.MsgCtl(id, unix.IPC_RMID, nil))
		select {
		case err := <-inW:
			assert.Equal(t, unix.EIDRM, errnoOf(t, err))
		case <-time.After(scenario.StepTimeout):
			t.Fatal("the Go receiver did not see the removal")
		}
		assert.Equal(t, unix.EIDRM, probe(t, cW.finish(t)))
	})
}

// --- messages across processes ----------------------------------------------

// A Go receiver blocked in MsgRcv gets a C sender's message, and a C receiver
// blocked in msgrcv gets a Go sender's, with types and bytes intact.
func TestSysvMsgInteropWithC(t *testing.T) {
	id := newMsgQueue(t, uniqueKey())
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 64)
		n, mtype, err := posix.MsgRcv(id, buf, 5, 0)
		got <- fmt.Sprintf("%d %s %v", mtype, buf[:n], err)
	}()
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, "sent", sysvPeer(t, "msg-send", strconv.Itoa(id), "3", "not this one").finish(t))
	assert.Equal(t, "sent", sysvPeer(t, "msg-send", strconv.Itoa(id), "5", "hello from C").finish(t))
	select {
	case s := <-got:
		assert.Equal(t, "5 hello from C <nil>", s)
	case <-time.After(scenario.StepTimeout):
		t.Fatal("no message")
	}
	cR := sysvPeer(t, "msgwait", strconv.Itoa(id), "9", "10000")
	waitLine(t, cR, "waiting")
	require.NoError(t, posix.MsgSnd(id, 9, []byte("hello from Go"), 0))
	assert.Equal(t, "waiting\nresult=0 errno=0 ename=0 len=13 mtype=9 text=hello from Go", cR.finish(t))
	var ds posix.MsqidDS
	require.NoError(t, posix.MsgCtl(id, unix.IPC_STAT, &ds))
	assert.EqualValues(t, 1, ds.Qnum, "the type-3 message is still there")
	assert.Equal(t, os.Getpid(), int(ds.Lspid))
}

// Many goroutines blocked in System V calls hold a bounded number of OS
// threads (they share the 32 wait slots), and none is starved: the slots
// rotate among them.
func TestSysvBlockedCallsShareBoundedThreads(t *testing.T) {
	for _, n := range []int{20, 100} {
		t.Run(strconv.Itoa(n), func(t *testing.T) { blockedReceivers(t, n) })
	}
}

func blockedReceivers(t *testing.T, n int) {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = newMsgQueue(t, posix.IPC_PRIVATE)
	}
	threads := func() int {
		e, _ := os.ReadDir("/proc/self/task")
		return len(e)
	}
	before := threads()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), scenario.StepTimeout)
			defer cancel()
			buf := make([]byte, 8)
			if _, _, err := posix.MsgRcvContext(ctx, ids[i], buf, 0, 0); err != nil {
				errs <- err
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	during := threads()
	t.Logf("threads: %d before, %d with %d receivers blocked", before, during, n)
	// What the slot rotation costs while they wait (logged for SEMANTICS.md).
	var r0, r1 unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &r0)
	time.Sleep(500 * time.Millisecond)
	unix.Getrusage(unix.RUSAGE_SELF, &r1)
	cpu := time.Duration(r1.Utime.Nano()+r1.Stime.Nano()-r0.Utime.Nano()-r0.Stime.Nano()) * 2
	t.Logf("CPU while %d receivers wait (at most 32 in C; rotating every 10 ms beyond): %.3f CPU-s/s", n, cpu.Seconds())
	assert.Less(t, during-before, 45, "blocked calls must not each hold a thread")
	t0 := time.Now()
	for _, id := range ids {
		require.NoError(t, posix.MsgSnd(id, 1, []byte("go"), 0))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("all %d receivers done %v after the sends", n, time.Since(t0))
}

// --- errno fidelity, each compared with C ----------------------------------

func TestSysvErrnoMatchesC(t *testing.T) {
	key := uniqueKey()
	sem := newSemSet(t, key, 1)
	mkey := uniqueKey()
	newMsgQueue(t, mkey)
	skey := uniqueKey()
	newShmSeg(t, skey, 4096)
	missing := uniqueKey()
	q := newMsgQueue(t, posix.IPC_PRIVATE)
	require.NoError(t, posix.MsgSnd(q, 1, make([]byte, 32), 0))
	excl := strconv.Itoa(unix.IPC_CREAT | unix.IPC_EXCL | 0o600)
	cases := []struct {
		name string
		want unix.Errno
		goFn func() error
		cArg []string
	}{
		{"EEXIST: semget IPC_CREAT|IPC_EXCL of an existing key", unix.EEXIST,
			func() error { _, err := posix.SemGet(key, 1, unix.IPC_CREAT|unix.IPC_EXCL|0o600); return err },
			[]string{"semget", keyArg(key), "1", excl}},
		{"EEXIST: msgget", unix.EEXIST,
			func() error { _, err := posix.MsgGet(mkey, unix.IPC_CREAT|unix.IPC_EXCL|0o600); return err },
			[]string{"msgget", keyArg(mkey), excl}},
		{"EEXIST: shmget", unix.EEXIST,
			func() error { _, err := posix.ShmGet(skey, 4096, unix.IPC_CREAT|unix.IPC_EXCL|0o600); return err },
			[]string{"shmget", keyArg(skey), "4096", excl}},
		{"ENOENT: semget of a missing key", unix.ENOENT,
			func() error { _, err := posix.SemGet(missing, 1, 0); return err },
			[]string{"semget", keyArg(missing), "1", "0"}},
		{"ENOENT: msgget", unix.ENOENT,
			func() error { _, err := posix.MsgGet(missing, 0); return err },
			[]string{"msgget", keyArg(missing), "0"}},
		{"ENOENT: shmget", unix.ENOENT,
			func() error { _, err := posix.ShmGet(missing, 4096, 0); return err },
			[]string{"shmget", keyArg(missing), "4096", "0"}},
		{"EINVAL: semget asking for more semaphores than the set has", unix.EINVAL,
			func() error { _, err := posix.SemGet(key, 5, 0); return err },
			[]string{"semget", keyArg(key), "5", "0"}},
		{"EINVAL: shmget asking for more than the segment's size", unix.EINVAL,
			func() error { _, err := posix.ShmGet(skey, 8192, 0); return err },
			[]string{"shmget", keyArg(skey), "8192", "0"}},
		{"EINVAL: semop on an id that is no set", unix.EINVAL,
			func() error { return posix.SemOp(0x7ffffff0, []posix.SemBuf{{Op: 1}}) },
			[]string{"semop", strconv.Itoa(0x7ffffff0), "0", "1", "0"}},
		{"EINVAL: msgsnd with mtype 0", unix.EINVAL,
			func() error { return posix.MsgSnd(q, 0, []byte("x"), unix.IPC_NOWAIT) },
			[]string{"msgsnd", strconv.Itoa(q), "0", "1", strconv.Itoa(unix.IPC_NOWAIT)}},
		{"EFBIG: semop on a semaphore number past the set", unix.EFBIG,
			func() error { return posix.SemOp(sem, []posix.SemBuf{{Num: 3, Op: 1}}) },
			[]string{"semop", strconv.Itoa(sem), "3", "1", "0"}},
		{"E2BIG: msgrcv into a short buffer", unix.E2BIG,
			func() error { _, _, err := posix.MsgRcv(q, make([]byte, 8), 0, 0); return err },
			[]string{"msgrcv", strconv.Itoa(q), "8", "0", "0"}},
		{"E2BIG: semop with more operations than SEMOPM", unix.E2BIG,
			func() error { return posix.SemOp(sem, make([]posix.SemBuf, 1000)) },
			[]string{"semop-n", strconv.Itoa(sem), "1000"}},
		{"ERANGE: SETVAL above SEMVMX", unix.ERANGE,
			func() error { _, err := posix.SemCtl(sem, 0, posix.SETVAL, 40000); return err },
			[]string{"semctl", strconv.Itoa(sem), "0", strconv.Itoa(posix.SETVAL), "40000"}},
		{"ERANGE: semop taking the value above SEMVMX", unix.ERANGE,
			func() error { return posix.SemOp(sem, []posix.SemBuf{{Op: 32767}, {Op: 32767}}) },
			nil},
		{"EINVAL: GETVAL on a missing id", unix.EINVAL,
			func() error { _, err := posix.SemCtl(0x7ffffff0, 0, posix.GETVAL, 0); return err },
			[]string{"semctl", strconv.Itoa(0x7ffffff0), "0", strconv.Itoa(posix.GETVAL), "0"}},
		{"EINVAL: shmat of a missing id", unix.EINVAL,
			func() error { _, err := posix.ShmAt(0x7ffffff0, 0); return err },
			[]string{"shmat", strconv.Itoa(0x7ffffff0), "0"}},
		{"ENOENT: ftok of a missing path", unix.ENOENT,
			func() error { _, err := posix.Ftok("/nonexistent/libcipc", 1); return err },
			[]string{"ftok", "/nonexistent/libcipc", "1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			goErr := c.goFn()
			require.Error(t, goErr)
			assert.Equal(t, c.want, errnoOf(t, goErr), "Go: %v", goErr)
			if c.cArg != nil {
				cErrno := probe(t, sysvPeer(t, c.cArg...).finish(t))
				assert.Equal(t, c.want, cErrno, "C got %v", cErrno)
			}
		})
	}
	assert.Equal(t, 0, semVal(t, sem, 0), "the failed operations changed nothing")
}

// The same path and id give the same key in Go and C.
func TestSysvFtokMatchesC(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []int{1, 'x', 0xff, 0x1ff} {
		k, err := posix.Ftok(dir, id)
		require.NoError(t, err)
		out := sysvPeer(t, "ftok", dir, strconv.Itoa(id)).finish(t)
		assert.Equal(t, fmt.Sprintf("result=0 errno=0 ename=0 key=%d", int32(k)), out)
	}
}

// --- bad input ------------------------------------------------------------

// Input C would turn into memory corruption or a different object is refused
// with EINVAL or passed to the kernel as NULL (EFAULT); nothing crashes.
func TestSysvBadInputIsAnErrorNeverACrash(t *testing.T) {
	sem := newSemSet(t, posix.IPC_PRIVATE, 4)
	q := newMsgQueue(t, posix.IPC_PRIVATE)
	shm := newShmSeg(t, posix.IPC_PRIVATE, 4096)
	check := func(want unix.Errno, err error, what string) {
		t.Helper()
		if assert.Error(t, err, what) {
			assert.Equal(t, want, errnoOf(t, err), "%s: %v", what, err)
			var pe *posix.Error
			assert.ErrorAs(t, err, &pe, what)
		}
	}
	check(unix.EINVAL, posix.SemOp(sem, nil), "no operations")
	check(unix.EINVAL, posix.SemOp(1<<40, []posix.SemBuf{{Op: 1}}), "an id beyond int")
	check(unix.EINVAL, posix.SemCtlAll(sem, posix.GETALL, make([]uint16, 3)), "GETALL into 3 values for 4 semaphores")
	check(unix.EINVAL, posix.SemCtlAll(sem, posix.SETALL, nil), "SETALL from nothing")
	check(unix.EINVAL, posix.SemCtlAll(sem, unix.IPC_STAT, make([]uint16, 4)), "SemCtlAll with IPC_STAT")
	_, err := posix.SemCtl(sem, 0, unix.IPC_STAT, 0)
	check(unix.EINVAL, err, "SemCtl with a buffer command")
	_, err = posix.SemCtl(sem, 0, posix.GETALL, 0)
	check(unix.EINVAL, err, "SemCtl with GETALL")
	check(unix.EFAULT, posix.SemCtlStat(sem, unix.IPC_STAT, nil), "IPC_STAT into NULL")
	check(unix.EFAULT, posix.MsgCtl(q, unix.IPC_STAT, nil), "msgctl IPC_STAT into NULL")
	check(unix.EFAULT, posix.ShmCtl(shm, unix.IPC_STAT, nil), "shmctl IPC_STAT into NULL")
	check(unix.EINVAL, posix.MsgCtl(q, 3, &posix.MsqidDS{}), "msgctl IPC_INFO")
	check(unix.EINVAL, posix.ShmCtl(shm, 14, &unix.SysvShmDesc{}), "shmctl SHM_INFO")
	_, err = posix.ShmGet(posix.IPC_PRIVATE, -1, unix.IPC_CREAT|0o600)
	check(unix.EINVAL, err, "negative size")
	_, err = posix.ShmAt(shm, unix.SHM_RND)
	check(unix.EINVAL, err, "SHM_RND without an address")
	_, err = posix.Ftok("/tmp\x00/x", 1)
	check(unix.EINVAL, err, "a NUL in the path")
	_, err = posix.SemGet(posix.IPC_PRIVATE, 1<<33, unix.IPC_CREAT)
	check(unix.EINVAL, err, "nsems beyond int")
	_, _, err = posix.MsgRcv(q, nil, 0, unix.IPC_NOWAIT)
	check(unix.ENOMSG, err, "an empty buffer on an empty queue")
	require.NoError(t, posix.MsgSnd(q, 1, nil, 0), "an empty message is a message")
	n, mtype, err := posix.MsgRcv(q, nil, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, [2]int{0, 1}, [2]int{n, mtype})
	assert.ErrorIs(t, posix.ShmDt(nil), os.ErrInvalid, "nil mapping")
	var pe *posix.Error
	require.ErrorAs(t, posix.SemOp(0x7ffffff0, []posix.SemBuf{{Op: 1}}), &pe)
	assert.Equal(t, "semop semid=2147483632: invalid argument", pe.Error())
}

// Large messages go through malloc'd staging in C, both ways, without loss.
func TestSysvMsgLargeMessages(t *testing.T) {
	q := newMsgQueue(t, posix.IPC_PRIVATE)
	msg := make([]byte, 8000)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	var ds posix.MsqidDS
	require.NoError(t, posix.MsgCtl(q, unix.IPC_STAT, &ds))
	t.Logf("msgmnb (Qbytes) = %d", ds.Qbytes)
	require.NoError(t, posix.MsgSnd(q, 2, msg, 0))
	buf := make([]byte, 20000) // beyond the 8 KiB stack staging
	n, mtype, err := posix.MsgRcv(q, buf, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, 2, mtype)
	assert.Equal(t, msg, buf[:n])
	err = posix.MsgSnd(q, 2, make([]byte, 9000), 0)
	assert.Equal(t, unix.EINVAL, errnoOf(t, err), "beyond msgmax (8192)")
	assert.Equal(t, unix.EINVAL, probe(t, sysvPeer(t, "msgsnd", strconv.Itoa(q), "2", "9000", "0").finish(t)))
	assert.True(t, errors.Is(err, os.ErrInvalid) || errors.Is(err, unix.EINVAL))
}

// With more waiters than the 32 that wait in the kernel, every one still sees
// a removal as EIDRM (the others re-enter the kernel and would find the id
// invalid: EINVAL, which would not be what a queued C waiter gets).
func TestSysvRemovalUnderAHundredWaitersIsEIDRMForAll(t *testing.T) {
	id, err := posix.SemGet(posix.IPC_PRIVATE, 1, unix.IPC_CREAT|0o600)
	require.NoError(t, err)
	recordSysv("sem", id)
	t.Cleanup(func() { removeSysv(sysvObj{"sem", id}) })
	const n = 100
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() { errs <- posix.SemTimedOp(id, []posix.SemBuf{{Op: -1}}, scenario.StepTimeout) }()
	}
	eventually(t, func() bool { c, _ := posix.SemCtl(id, 0, posix.GETNCNT, 0); return c >= 20 }, "waiters in the kernel")
	time.Sleep(50 * time.Millisecond)
	_, err = posix.SemCtl(id, 0, unix.IPC_RMID, 0)
	require.NoError(t, err)
	got := map[unix.Errno]int{}
	for i := 0; i < n; i++ {
		select {
		case err := <-errs:
			got[errnoOf(t, err)]++
		case <-time.After(scenario.StepTimeout):
			t.Fatalf("a waiter did not return: %v", got)
		}
	}
	assert.Equal(t, map[unix.Errno]int{unix.EIDRM: n}, got)
}

// A thread that blocks SIGURG still gets its System V wait cancelled: the
// shim unblocks SIGURG for the length of the wait and restores the mask.
func TestSysvCancelWorksWhenTheThreadBlocksSIGURG(t *testing.T) {
	id, err := posix.SemGet(posix.IPC_PRIVATE, 1, unix.IPC_CREAT|0o600)
	require.NoError(t, err)
	recordSysv("sem", id)
	t.Cleanup(func() { removeSysv(sysvObj{"sem", id}) })
	done := make(chan error, 1)
	var after unix.Sigset_t
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var set, old unix.Sigset_t
		set.Val[0] = 1 << (uint(unix.SIGURG) - 1)
		if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
			done <- err
			return
		}
		defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err := posix.SemOpContext(ctx, id, []posix.SemBuf{{Op: -1}})
		unix.PthreadSigmask(unix.SIG_BLOCK, nil, &after)
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotZero(t, after.Val[0]&(1<<(uint(unix.SIGURG)-1)), "the caller's mask is restored")
	case <-time.After(5 * time.Second):
		t.Fatal("the wait was not cancelled with SIGURG blocked")
	}
}
