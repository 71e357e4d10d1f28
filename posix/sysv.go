package posix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// System V IPC (sysvipc(7)): semaphore sets, message queues and shared memory
// segments named by a key and used through an integer id. Ids are not
// handles: they belong to no process, nothing closes them, and an object lives
// until IPC_RMID (or reboot), whoever created it. Every function here makes
// one libc call; its doc names it.

// IPCKey is a System V IPC key (key_t): IPC_PRIVATE, a key from Ftok, or any
// number the cooperating programs agree on.
type IPCKey int32

// Flags and commands x/sys/unix does not define (it has IPC_CREAT, IPC_EXCL,
// IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, SHM_RDONLY, SHM_RND): glibc's
// values, checked against the C headers at compile time (posix/sysv_cgo.go).
const (
	// IPC_PRIVATE makes SemGet, MsgGet and ShmGet create a new object that no
	// other key names.
	IPC_PRIVATE IPCKey = 0

	SEM_UNDO = 0x1000 // SemBuf.Flg: the kernel undoes the operation when the process exits
	GETPID   = 11     // SemCtl: pid of the last process that operated on the semaphore
	GETVAL   = 12     // SemCtl: the semaphore's value
	GETALL   = 13     // SemCtlAll: every value of the set
	GETNCNT  = 14     // SemCtl: processes waiting for the value to increase
	GETZCNT  = 15     // SemCtl: processes waiting for the value to become zero
	SETVAL   = 16     // SemCtl: set the value
	SETALL   = 17     // SemCtlAll: set every value of the set

	MSG_NOERROR = 0x1000 // MsgRcv: truncate a longer message instead of failing with E2BIG
	MSG_EXCEPT  = 0x2000 // MsgRcv: with msgtyp > 0, the first message of another type
	MSG_COPY    = 0x4000 // MsgRcv: copy the message at index msgtyp without removing it (with IPC_NOWAIT)

	SHM_LOCK   = 11     // ShmCtl: keep the segment's pages in RAM
	SHM_UNLOCK = 12     // ShmCtl: undo SHM_LOCK
	SHM_EXEC   = 0x8000 // ShmAt: map the segment executable
)

// SemBuf is one semaphore operation, laid out as glibc's struct sembuf: Num is
// the semaphore's index in the set, Op is added to its value (a negative Op
// waits until the value is at least -Op, zero waits until the value is zero),
// Flg holds IPC_NOWAIT and SEM_UNDO.
type SemBuf struct {
	Num uint16
	Op  int16
	Flg int16
}

// SemidDS is glibc's struct semid_ds on x86-64 (SemCtlStat): the set's owner
// and permissions, the time of the last semop and last change, and the number
// of semaphores.
type SemidDS struct {
	Perm  unix.SysvIpcPerm
	Otime int64 // last semop, seconds since the epoch
	_     uint64
	Ctime int64 // creation or last IPC_SET/SETVAL/SETALL
	_     uint64
	Nsems uint64
	_     [2]uint64
}

// MsqidDS is glibc's struct msqid_ds on x86-64 (MsgCtl).
type MsqidDS struct {
	Perm   unix.SysvIpcPerm
	Stime  int64  // last msgsnd
	Rtime  int64  // last msgrcv
	Ctime  int64  // creation or last IPC_SET
	Cbytes uint64 // bytes in the queue now
	Qnum   uint64 // messages in the queue now
	Qbytes uint64 // most bytes the queue may hold (IPC_SET may lower it; raising it needs CAP_SYS_RESOURCE)
	Lspid  int32  // pid of the last msgsnd
	Lrpid  int32  // pid of the last msgrcv
	_      [2]uint64
}

// Sizes of the shims' first try and message staging (include/libcipc.h).
const (
	semopFast = 64
	msgStack  = 8192
)

func idName(kind string, id int) string { return kind + "=" + strconv.Itoa(id) }

func keyName(key IPCKey) string {
	if key == IPC_PRIVATE {
		return "key=IPC_PRIVATE"
	}
	return fmt.Sprintf("key=%#x", uint32(key))
}

// checkID makes sure an id fits the C int libc takes (a larger Go int would
// name another object once cut to 32 bits). The name is formatted only for an
// error: the hot paths do not allocate.
func checkID(op, kind string, id int) error {
	if !cgoEnabled {
		return cgoErr(op, idName(kind, id))
	}
	return checkInt(op, kind, id, "id", id)
}

// checkInt is cInt for an argument of a call on an id.
func checkInt(op, kind string, id int, what string, v int) error {
	if int(int32(v)) != v {
		return cInt(op, idName(kind, id), what, v)
	}
	return nil
}

// Ftok turns an existing path and the low 8 bits of id into a key with
// ftok(3): the same path (same inode and device) and id give the same key in
// every process, which is how unrelated programs agree on an object. id 0 is
// allowed (glibc uses its low 8 bits whatever they are).
func Ftok(path string, id int) (IPCKey, error) {
	const op = "ftok"
	var buf [256]byte
	cpath, err := cName(&buf, op, path)
	if err != nil {
		return 0, err
	}
	if err := cInt(op, path, "id", id); err != nil {
		return 0, err
	}
	var key int32
	if rc := cFtok(cpath, int32(id), &key); rc != 0 {
		return 0, errnoErr(op, path, rc)
	}
	return IPCKey(key), nil
}

// SemGet returns the id of the semaphore set for key with semget(2), creating
// it with nsems semaphores (all zero) when flags has unix.IPC_CREAT and no set
// has the key (with unix.IPC_EXCL too: EEXIST if one has). The low 9 bits of
// flags are the permissions (0600). To open an existing set nsems may be 0.
func SemGet(key IPCKey, nsems, flags int) (int, error) {
	const op = "semget"
	if !cgoEnabled {
		return 0, cgoErr(op, keyName(key))
	}
	if err := cInts(op, keyName(key), "nsems", nsems, "flags", flags); err != nil {
		return 0, err
	}
	id := cSemget(int32(key), int32(nsems), int32(flags))
	if id < 0 {
		return 0, errnoErr(op, keyName(key), id)
	}
	return int(id), nil
}

// SemOp performs ops on the set id atomically with semop(2): all of them or,
// while one cannot proceed, none. It blocks until they can, unless the first
// operation that cannot proceed has IPC_NOWAIT (then EAGAIN); the set's removal
// while waiting is EIDRM. An operation with SEM_UNDO is undone by the kernel
// when this process exits, however it exits.
//
// ops goes to the kernel as it is (no copy, no allocation). A call that blocks
// waits in the kernel queue on one of the process's bounded wait threads (see
// SemOpContext); unlike semop(2) in C, it never fails with EINTR.
func SemOp(id int, ops []SemBuf) error {
	return semop("semop", nil, id, ops, cWait{mode: waitForever})
}

// SemTimedOp is SemOp bounded by d, as semtimedop(2) with a relative timeout:
// when d passes before the operations could proceed it fails with EAGAIN, as
// semtimedop does (not ETIMEDOUT). The timeout runs on CLOCK_MONOTONIC from
// the call's start, also across EINTR retries. A negative d is EINVAL, as the
// kernel says for a negative timeout.
func SemTimedOp(id int, ops []SemBuf, d time.Duration) error {
	const op = "semtimedop"
	if d < 0 {
		return &Error{Op: op, Name: idName("semid", id), Err: &argError{msg: "negative timeout", errno: unix.EINVAL}}
	}
	return semop(op, nil, id, ops, cWait{sec: int64(d / time.Second), nsec: int64(d % time.Second), mode: waitRel})
}

// SemOpContext is SemOp until ctx is done: it returns an error wrapping
// ctx.Err() promptly after the cancellation (the waiting thread is interrupted
// with a signal, see below), having performed none of the operations, and
// performs none when ctx is already done on entry.
//
// Blocking: a call that cannot proceed at once takes one of the process's 32
// wait slots (shared with Semaphore waits) and blocks in semop(2) on its
// thread, in the kernel's queue like a C caller. Cancellation, or waits queued
// for a slot (after 10 ms in C), interrupt it with SIGURG: System V calls are
// never restarted after a signal handler, so semop returns EINTR and the call
// leaves C; a cancelled call returns, one that gave its slot up queues again.
// Other signals (EINTR not asked for) are retried.
func SemOpContext(ctx context.Context, id int, ops []SemBuf) error {
	return semop("semop", ctx, id, ops, cWait{mode: waitForever})
}

func allNowait(ops []SemBuf) bool {
	for i := range ops {
		if ops[i].Flg&unix.IPC_NOWAIT == 0 {
			return false
		}
	}
	return true
}

func semop(op string, ctx context.Context, id int, ops []SemBuf, w cWait) error {
	if err := checkID(op, "semid", id); err != nil {
		return err
	}
	if ctx != nil && ctx.Err() != nil {
		return &Error{Op: op, Name: idName("semid", id), Err: ctx.Err()}
	}
	var rc int32
	if allNowait(ops) {
		// Never blocks (nsops 0 too: EINVAL).
		rc = cSemop(int32(id), ops)
	} else {
		rc = cSemopBegin(int32(id), ops, &w)
		if rc == -int32(unix.EAGAIN) {
			return semopSlow(op, ctx, id, ops, &w)
		}
	}
	if rc != 0 {
		return errnoErr(op, idName("semid", id), rc)
	}
	return nil
}

func semopSlow(op string, ctx context.Context, id int, ops []SemBuf, w *cWait) error {
	c := sysvCall{kind: callSemop, id: int32(id), ops: ops, w: *w}
	_, err := sysvBlock(op, idName("semid", id), ctx, &c)
	return err
}

// SemCtl runs semctl(2) command cmd with an int argument on semaphore semnum
// of the set id, and returns semctl's result: GETVAL (the value), SETVAL (sets
// it to val; ERANGE above 32767), GETPID, GETNCNT, GETZCNT, or IPC_RMID
// (removes the set: blocked SemOp calls fail with EIDRM; semnum is ignored).
// The commands that take a buffer are SemCtlAll and SemCtlStat; others are
// EINVAL here (libc would read the argument as a pointer).
func SemCtl(id, semnum, cmd, val int) (int, error) {
	const op = "semctl"
	if err := checkID(op, "semid", id); err != nil {
		return 0, err
	}
	switch cmd {
	case GETVAL, SETVAL, GETPID, GETNCNT, GETZCNT, unix.IPC_RMID:
	default:
		return 0, invalidArg(op, idName("semid", id), fmt.Sprintf("cmd %d: SemCtl takes GETVAL, SETVAL, GETPID, GETNCNT, GETZCNT, IPC_RMID", cmd))
	}
	if err := checkInt(op, "semid", id, "semnum", semnum); err != nil {
		return 0, err
	}
	if err := checkInt(op, "semid", id, "val", val); err != nil {
		return 0, err
	}
	rc := cSemctl(int32(id), int32(semnum), int32(cmd), int32(val))
	if rc < 0 {
		return 0, errnoErr(op, idName("semid", id), rc)
	}
	return int(rc), nil
}

// SemCtlAll runs semctl(2) GETALL (the values into vals) or SETALL (from
// vals) on the set id. vals must hold at least as many values as the set has
// semaphores (EINVAL otherwise, before the command: the kernel copies the
// set's count whatever the array's size); the count is read with IPC_STAT
// first, so the caller needs read permission even for SETALL.
func SemCtlAll(id, cmd int, vals []uint16) error {
	const op = "semctl"
	if err := checkID(op, "semid", id); err != nil {
		return err
	}
	if cmd != GETALL && cmd != SETALL {
		return invalidArg(op, idName("semid", id), fmt.Sprintf("cmd %d: SemCtlAll takes GETALL, SETALL", cmd))
	}
	rc := cSemctlAll(int32(id), int32(cmd), vals)
	if rc > 0 {
		return invalidArg(op, idName("semid", id), fmt.Sprintf("%d values for a set of %d semaphores", len(vals), rc))
	}
	if rc < 0 {
		return errnoErr(op, idName("semid", id), rc)
	}
	return nil
}

// SemCtlStat runs semctl(2) IPC_STAT (fills ds) or IPC_SET (sets the owner and
// permissions from ds.Perm.Uid, Gid and Mode) on the set id. A nil ds reaches
// the kernel as NULL: EFAULT, as in C.
func SemCtlStat(id, cmd int, ds *SemidDS) error {
	const op = "semctl"
	if err := checkID(op, "semid", id); err != nil {
		return err
	}
	if cmd != unix.IPC_STAT && cmd != unix.IPC_SET {
		return invalidArg(op, idName("semid", id), fmt.Sprintf("cmd %d: SemCtlStat takes IPC_STAT, IPC_SET", cmd))
	}
	if rc := cSemctlDS(int32(id), int32(cmd), ds); rc != 0 {
		return errnoErr(op, idName("semid", id), rc)
	}
	return nil
}

// MsgGet returns the id of the message queue for key with msgget(2), creating
// it when flags has unix.IPC_CREAT (with unix.IPC_EXCL: EEXIST if it exists);
// the low 9 bits of flags are the permissions.
func MsgGet(key IPCKey, flags int) (int, error) {
	const op = "msgget"
	if !cgoEnabled {
		return 0, cgoErr(op, keyName(key))
	}
	if err := cInt(op, keyName(key), "flags", flags); err != nil {
		return 0, err
	}
	id := cMsgget(int32(key), int32(flags))
	if id < 0 {
		return 0, errnoErr(op, keyName(key), id)
	}
	return int(id), nil
}

// MsgSnd sends data as a message of type mtype (> 0, EINVAL otherwise) on the
// queue id with msgsnd(2). While the queue is full it blocks, or fails with
// EAGAIN under unix.IPC_NOWAIT; the queue's removal while waiting is EIDRM. A
// message longer than the system's msgmax is EINVAL.
//
// The message is staged as struct msgbuf {long mtype; char mtext[]} in C: on
// the C stack up to 8 KiB, in malloc'd memory beyond; no Go allocation.
// Blocking is as in SemOpContext; unlike msgsnd in C it never fails with EINTR.
func MsgSnd(id, mtype int, data []byte, flags int) error {
	return msgsnd(nil, id, mtype, data, flags)
}

// MsgSndContext is MsgSnd until ctx is done: a cancelled call returns an error
// wrapping ctx.Err() promptly, having sent nothing.
func MsgSndContext(ctx context.Context, id, mtype int, data []byte, flags int) error {
	return msgsnd(ctx, id, mtype, data, flags)
}

func msgsnd(ctx context.Context, id, mtype int, data []byte, flags int) error {
	const op = "msgsnd"
	if err := checkID(op, "msqid", id); err != nil {
		return err
	}
	if err := checkInt(op, "msqid", id, "flags", flags); err != nil {
		return err
	}
	if ctx != nil && ctx.Err() != nil {
		return &Error{Op: op, Name: idName("msqid", id), Err: ctx.Err()}
	}
	rc := cMsgsnd(int32(id), int64(mtype), data, int32(flags|unix.IPC_NOWAIT))
	if rc == -int32(unix.EAGAIN) && flags&unix.IPC_NOWAIT == 0 {
		c := sysvCall{kind: callMsgsnd, id: int32(id), buf: data, mtype: int64(mtype), flags: int32(flags)}
		_, err := sysvBlock(op, idName("msqid", id), ctx, &c)
		return err
	}
	if rc != 0 {
		return errnoErr(op, idName("msqid", id), rc)
	}
	return nil
}

// MsgRcv receives a message from the queue id into buf with msgrcv(2) and
// returns its length and type. msgtyp selects which: 0 the first message, > 0
// the first of type msgtyp (with MSG_EXCEPT: the first of another type), < 0
// the first of the lowest type <= -msgtyp. A message longer than buf fails with
// E2BIG and stays queued, unless flags has MSG_NOERROR (then its first
// len(buf) bytes are returned and the rest is lost). With no suitable message
// it blocks, or fails with ENOMSG under unix.IPC_NOWAIT; the queue's removal
// while waiting is EIDRM.
//
// Blocking is as in SemOpContext (the receiver waits in the kernel, where a
// sender hands it the message directly); unlike msgrcv in C it never fails
// with EINTR. It does not allocate.
func MsgRcv(id int, buf []byte, msgtyp, flags int) (n, mtype int, err error) {
	return msgrcv(nil, id, buf, msgtyp, flags)
}

// MsgRcvContext is MsgRcv until ctx is done: a cancelled call returns an error
// wrapping ctx.Err() promptly, having taken no message.
func MsgRcvContext(ctx context.Context, id int, buf []byte, msgtyp, flags int) (n, mtype int, err error) {
	return msgrcv(ctx, id, buf, msgtyp, flags)
}

func msgrcv(ctx context.Context, id int, buf []byte, msgtyp, flags int) (int, int, error) {
	const op = "msgrcv"
	if err := checkID(op, "msqid", id); err != nil {
		return 0, 0, err
	}
	if err := checkInt(op, "msqid", id, "flags", flags); err != nil {
		return 0, 0, err
	}
	if ctx != nil && ctx.Err() != nil {
		return 0, 0, &Error{Op: op, Name: idName("msqid", id), Err: ctx.Err()}
	}
	try := flags | unix.IPC_NOWAIT
	if flags&MSG_COPY != 0 {
		try = flags // never blocks: MSG_COPY without IPC_NOWAIT is EINVAL
	}
	var mtype int64
	rc := cMsgrcv(int32(id), buf, int64(msgtyp), int32(try), &mtype)
	if rc == -int64(unix.ENOMSG) && try != flags {
		c := sysvCall{kind: callMsgrcv, id: int32(id), buf: buf, msgtyp: int64(msgtyp), flags: int32(flags)}
		n, err := sysvBlock(op, idName("msqid", id), ctx, &c)
		return int(n), int(c.mtype), err
	}
	if rc < 0 {
		return 0, 0, errnoErr(op, idName("msqid", id), int32(rc))
	}
	return int(rc), int(mtype), nil
}

// MsgCtl runs msgctl(2) on the queue id: IPC_STAT (fills ds), IPC_SET (owner,
// permissions and Qbytes from ds) or IPC_RMID (removes the queue and its
// messages at once: blocked MsgSnd/MsgRcv calls fail with EIDRM; ds may be
// nil). Other commands are EINVAL here.
func MsgCtl(id, cmd int, ds *MsqidDS) error {
	const op = "msgctl"
	if err := checkID(op, "msqid", id); err != nil {
		return err
	}
	switch cmd {
	case unix.IPC_STAT, unix.IPC_SET, unix.IPC_RMID:
	default:
		return invalidArg(op, idName("msqid", id), fmt.Sprintf("cmd %d: MsgCtl takes IPC_STAT, IPC_SET, IPC_RMID", cmd))
	}
	if rc := cMsgctl(int32(id), int32(cmd), ds); rc != 0 {
		return errnoErr(op, idName("msqid", id), rc)
	}
	return nil
}

// ShmGet returns the id of the shared memory segment for key with shmget(2),
// creating one of size bytes (zero-filled, rounded up to pages in memory)
// when flags has unix.IPC_CREAT (with unix.IPC_EXCL: EEXIST if it exists); the
// low 9 bits of flags are the permissions. A negative size is EINVAL.
func ShmGet(key IPCKey, size, flags int) (int, error) {
	const op = "shmget"
	if !cgoEnabled {
		return 0, cgoErr(op, keyName(key))
	}
	if size < 0 {
		return 0, invalidArg(op, keyName(key), fmt.Sprintf("negative size %d", size))
	}
	if err := cInt(op, keyName(key), "flags", flags); err != nil {
		return 0, err
	}
	id := cShmget(int32(key), uintptr(size), int32(flags))
	if id < 0 {
		return 0, errnoErr(op, keyName(key), id)
	}
	return int(id), nil
}

// ShmAt attaches the segment id with shmat(2) at an address the kernel
// chooses, read-write, or read-only with unix.SHM_RDONLY (SHM_EXEC adds
// execute), and returns it as a Mapping of the segment's size (read with
// shmctl IPC_STAT right after attaching). The Mapping is the one Mmap returns:
// Bytes, ReadAt/WriteAt, the atomics, and InitSemaphoreAt/SemaphoreAt work in
// it; Unmap (or ShmDt) detaches with shmdt(2); Remap is EINVAL (a segment
// cannot be resized). Attaching a segment marked for removal (IPC_RMID) works
// on Linux while it is still attached somewhere.
func ShmAt(id, flags int) (*Mapping, error) {
	const op = "shmat"
	if err := checkID(op, "shmid", id); err != nil {
		return nil, err
	}
	if err := checkInt(op, "shmid", id, "flags", flags); err != nil {
		return nil, err
	}
	if flags&^(unix.SHM_RDONLY|SHM_EXEC) != 0 {
		// SHM_RND and SHM_REMAP concern an address, which ShmAt does not take.
		return nil, invalidArg(op, idName("shmid", id), fmt.Sprintf("flags %#x: ShmAt takes SHM_RDONLY and SHM_EXEC", flags))
	}
	var size uint64
	p, rc := cShmat(int32(id), int32(flags), &size)
	if rc != 0 {
		return nil, errnoErr(op, idName("shmid", id), rc)
	}
	prot := unix.PROT_READ | unix.PROT_WRITE
	if flags&unix.SHM_RDONLY != 0 {
		prot = unix.PROT_READ
	}
	if flags&SHM_EXEC != 0 {
		prot |= unix.PROT_EXEC
	}
	m := &Mapping{addr: p, length: int(size), prot: prot, name: idName("shmid", id), shmat: true}
	m.h.init(false)
	return m, nil
}

// ShmDt detaches a segment attached with ShmAt, with shmdt(2): m.Unmap, which
// first closes the objects placed in it, and refuses with EBUSY while one is
// in use (a placed mutex held by this process, a placed barrier with
// waiters). A Mapping that ShmAt did not return is EINVAL (use Unmap); a
// second ShmDt is an error wrapping os.ErrClosed.
func ShmDt(m *Mapping) error {
	const op = "shmdt"
	if m == nil || !m.h.valid() {
		return nilErr(op)
	}
	if !m.shmat {
		return invalidArg(op, m.name, "not attached with ShmAt (use Unmap)")
	}
	return m.Unmap()
}

// ShmCtl runs shmctl(2) on the segment id: IPC_STAT (fills ds; Nattch counts
// the attachments), IPC_SET (owner and permissions from ds), IPC_RMID (marks the
// segment for removal: it goes when the last process detaches, and its key is
// free at once), SHM_LOCK / SHM_UNLOCK (pin its pages in RAM; EPERM without
// CAP_IPC_LOCK beyond RLIMIT_MEMLOCK). ds may be nil for the commands that do
// not use it. Other commands are EINVAL here.
func ShmCtl(id, cmd int, ds *unix.SysvShmDesc) error {
	const op = "shmctl"
	if err := checkID(op, "shmid", id); err != nil {
		return err
	}
	switch cmd {
	case unix.IPC_STAT, unix.IPC_SET, unix.IPC_RMID, SHM_LOCK, SHM_UNLOCK:
	default:
		return invalidArg(op, idName("shmid", id), fmt.Sprintf("cmd %d: ShmCtl takes IPC_STAT, IPC_SET, IPC_RMID, SHM_LOCK, SHM_UNLOCK", cmd))
	}
	if rc := cShmctl(int32(id), int32(cmd), ds); rc != 0 {
		return errnoErr(op, idName("shmid", id), rc)
	}
	return nil
}

// --- Blocking System V calls ------------------------------------------------
//
// A blocking call is a non-blocking first try (one crossing, IPC_NOWAIT added),
// then sysvBlock: take one of the process's wait slots (processWaitSlots,
// shared with the semaphore waits; wait in Go while none is free), block in
// the kernel in C, and give the slot back. The call leaves C early only when
// the slot's stop word is set and its thread gets SIGURG (sysvKick): by its
// cancellation, or by sysvRotate when waits are queued for a slot.

const (
	callSemop = iota
	callMsgsnd
	callMsgrcv
)

// sysvStopped is LIBCIPC_SYSV_STOPPED: the wait shims' "stopped" result.
const sysvStopped = -100000

// sysvCall is the state of one blocking call, on the caller's stack.
type sysvCall struct {
	kind   int
	id     int32
	flags  int32
	ops    []SemBuf
	w      cWait
	buf    []byte
	mtype  int64 // msgsnd: the type sent; msgrcv: the type received
	msgtyp int64
}

func (c *sysvCall) wait(slot int32) int64 {
	switch c.kind {
	case callSemop:
		return int64(cSemopWait(c.id, c.ops, &c.w, slot))
	case callMsgsnd:
		return int64(cMsgsndWait(c.id, c.mtype, c.buf, c.flags, slot))
	default:
		return cMsgrcvWait(c.id, c.buf, c.msgtyp, c.flags, &c.mtype, slot)
	}
}

// sysvWaits is the set of System V waits in C, for sysvRotate.
var sysvWaits struct {
	mu      sync.Mutex
	entered [waitersPerProcess]time.Time // zero: no System V wait in that slot
	inC     int
	rotate  bool // sysvRotate is running
}

var sysvPid = os.Getpid()

// sysvKick stops the System V wait in slot: the stop word, then SIGURG to its
// thread if it has published one (it reads the word after publishing, so one
// of the two reaches it; a signal that lands just before the system call is
// lost, and sysvRotate sends another while the word stays set).
func sysvKick(slot int32) {
	atomic.StoreInt32(&waitStop[slot], 1)
	if tid := atomic.LoadInt32(&sysvTid[slot]); tid != 0 {
		_ = unix.Tgkill(sysvPid, int(tid), unix.SIGURG)
	}
}

func sysvEnter(slot int32) {
	sysvWaits.mu.Lock()
	sysvWaits.entered[slot] = time.Now()
	sysvWaits.inC++
	if !sysvWaits.rotate {
		sysvWaits.rotate = true
		go sysvRotate()
	}
	sysvWaits.mu.Unlock()
}

func sysvLeave(slot int32) {
	sysvWaits.mu.Lock()
	sysvWaits.entered[slot] = time.Time{}
	sysvWaits.inC--
	sysvWaits.mu.Unlock()
}

// sysvRotate runs while System V waits are in C. Every wait slice it signals
// again the waits whose stop word is set (a lost signal), and, while waits are
// queued for a slot, stops the waits that have been in C for a slice or more,
// so that slots take turns as the semaphore waits' slices make them do.
func sysvRotate() {
	for {
		time.Sleep(waitSlice)
		sysvWaits.mu.Lock()
		if sysvWaits.inC == 0 {
			sysvWaits.rotate = false
			sysvWaits.mu.Unlock()
			return
		}
		// Stop at most as many waits as are queued, the oldest first:
		// the others keep their places in the kernel's queue.
		queued := int(atomic.LoadInt32(waitQueued))
		for {
			oldest := -1
			for i, t := range sysvWaits.entered {
				if t.IsZero() || atomic.LoadInt32(&waitStop[i]) != 0 || time.Since(t) < waitSlice {
					continue
				}
				if oldest < 0 || t.Before(sysvWaits.entered[oldest]) {
					oldest = i
				}
			}
			if queued <= 0 || oldest < 0 {
				break
			}
			atomic.StoreInt32(&waitStop[oldest], 1)
			queued--
		}
		for i, t := range sysvWaits.entered {
			if !t.IsZero() && atomic.LoadInt32(&waitStop[i]) != 0 {
				sysvKick(int32(i)) // newly stopped, or a signal that was lost
			}
		}
		sysvWaits.mu.Unlock()
	}
}

// sysvBlock runs c in C until it completes, fails, or ctx is done.
func sysvBlock(op, name string, ctx context.Context, c *sysvCall) (int64, error) {
	var ctxDone <-chan struct{}
	var inC *atomic.Int32 // the slot while in C, -1 otherwise
	if ctx != nil {
		ctxDone = ctx.Done()
	}
	if ctxDone != nil {
		inC = new(atomic.Int32)
		inC.Store(-1)
		stop := context.AfterFunc(ctx, func() {
			if i := inC.Load(); i >= 0 {
				sysvKick(i)
			}
		})
		defer stop()
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		slot, err := sysvTakeSlot(op, name, ctx, ctxDone, c, &timer)
		if err != nil {
			if err == errAcquired {
				return 0, nil
			}
			return 0, err
		}
		// Clear the stop word, publish the slot to the cancellation, then
		// look at ctx: a cancellation after this kicks the slot.
		atomic.StoreInt32(&waitStop[slot], 0)
		if inC != nil {
			inC.Store(slot)
		}
		if ctx != nil && ctx.Err() != nil {
			if inC != nil {
				inC.Store(-1)
			}
			processWaitSlots <- slot
			return 0, &Error{Op: op, Name: name, Err: ctx.Err()}
		}
		sysvEnter(slot)
		rc := c.wait(slot)
		sysvLeave(slot)
		if inC != nil {
			inC.Store(-1)
		}
		processWaitSlots <- slot
		switch {
		case rc == sysvStopped:
			// Cancelled, or the slot was wanted: nothing was done.
			if ctx != nil && ctx.Err() != nil {
				return 0, &Error{Op: op, Name: name, Err: ctx.Err()}
			}
		case rc < 0:
			return 0, errnoErr(op, name, slowErrno(int32(rc)))
		default:
			return rc, nil
		}
	}
}

// slowErrno turns EINVAL from a call on the slow path into EIDRM. The first,
// non-blocking try already had the kernel check every other cause of EINVAL
// (the id, nsops, sem_num, mtype, msgsz): a wait that re-enters the kernel
// (one that waited in Go for a slot, or was rotated out, or retried after a
// signal) finds a removed id invalid, where a C caller that had stayed queued
// in the kernel would have been woken with EIDRM.
func slowErrno(rc int32) int32 {
	if rc == -int32(unix.EINVAL) {
		return -int32(unix.EIDRM)
	}
	return rc
}

// errAcquired is sysvTakeSlot's way of saying that its last try at the
// deadline completed the operation: the call succeeded. It never reaches a
// caller.
var errAcquired = errors.New("acquired")

// sysvTakeSlot takes a free wait slot, waiting in Go (counted in waitQueued,
// which makes the waits in C give theirs up) if there is none, and giving up
// when ctx is done or, for semtimedop, at the deadline: then one last
// non-blocking try decides between success and EAGAIN, as semtimedop would.
func sysvTakeSlot(op, name string, ctx context.Context, ctxDone <-chan struct{}, c *sysvCall, timer **time.Timer) (int32, error) {
	select {
	case s := <-processWaitSlots:
		return s, nil
	default:
	}
	atomic.AddInt32(waitQueued, 1)
	defer atomic.AddInt32(waitQueued, -1)
	for {
		var expired <-chan time.Time
		if c.w.mode == waitAbs {
			if *timer == nil {
				*timer = time.NewTimer(untilDeadline(&c.w))
			}
			expired = (*timer).C
		}
		select {
		case s := <-processWaitSlots:
			return s, nil
		case <-ctxDone:
			return -1, &Error{Op: op, Name: name, Err: ctx.Err()}
		case <-expired:
			if d := untilDeadline(&c.w); d > 0 {
				(*timer).Reset(d)
				continue
			}
			if rc := cSemopBegin(c.id, c.ops, &c.w); rc != 0 {
				return -1, errnoErr(op, name, slowErrno(rc))
			}
			return -1, errAcquired
		}
	}
}

// shmatRemap is why Remap refuses a segment from ShmAt.
const shmatRemap = "a System V segment cannot be resized (shmdt, then shmat a new segment)"
