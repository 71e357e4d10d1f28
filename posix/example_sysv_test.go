//go:build cgo

package posix_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// A System V semaphore set outlives every process that uses it: it stays in
// the kernel (ipcs -s lists it) until someone removes it with IPC_RMID. An
// operation with SEM_UNDO is undone by the kernel if the process dies holding
// it, which a POSIX semaphore never does.
func ExampleSemOp() {
	id, err := posix.SemGet(posix.IPC_PRIVATE, 1, unix.IPC_CREAT|0o600)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer posix.SemCtl(id, 0, unix.IPC_RMID, 0) // nothing else removes it

	if _, err := posix.SemCtl(id, 0, posix.SETVAL, 1); err != nil {
		fmt.Println(err)
		return
	}
	// Acquire with SEM_UNDO, release the same way.
	fmt.Println(posix.SemOp(id, []posix.SemBuf{{Num: 0, Op: -1, Flg: posix.SEM_UNDO}}))
	err = posix.SemTimedOp(id, []posix.SemBuf{{Num: 0, Op: -1}}, 10*time.Millisecond)
	fmt.Println(errors.Is(err, unix.EAGAIN)) // taken: semtimedop says EAGAIN at the timeout
	fmt.Println(posix.SemOp(id, []posix.SemBuf{{Num: 0, Op: 1, Flg: posix.SEM_UNDO}}))
	v, _ := posix.SemCtl(id, 0, posix.GETVAL, 0)
	fmt.Println(v)
	// Output:
	// <nil>
	// true
	// <nil>
	// 1
}

// Messages carry a type: a receiver picks the first message, the first of a
// type, or the first of the lowest type up to a bound.
func ExampleMsgRcv() {
	id, err := posix.MsgGet(posix.IPC_PRIVATE, unix.IPC_CREAT|0o600)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer posix.MsgCtl(id, unix.IPC_RMID, nil)

	posix.MsgSnd(id, 3, []byte("low priority"), 0)
	posix.MsgSnd(id, 1, []byte("urgent"), 0)
	buf := make([]byte, 64)
	n, mtype, _ := posix.MsgRcv(id, buf, -2, 0) // lowest type <= 2
	fmt.Println(mtype, string(buf[:n]))
	n, mtype, _ = posix.MsgRcv(id, buf, 0, 0) // the first left
	fmt.Println(mtype, string(buf[:n]))
	_, _, err = posix.MsgRcv(id, buf, 0, unix.IPC_NOWAIT)
	fmt.Println(errors.Is(err, unix.ENOMSG))
	// Output:
	// 1 urgent
	// 3 low priority
	// true
}

// A shared memory segment is attached as a Mapping, like POSIX shared memory;
// marked for removal, it lives until the last process detaches.
func ExampleShmAt() {
	id, err := posix.ShmGet(posix.IPC_PRIVATE, 4096, unix.IPC_CREAT|0o600)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := posix.ShmAt(id, 0)
	if err != nil {
		posix.ShmCtl(id, unix.IPC_RMID, nil)
		fmt.Println(err)
		return
	}
	// Remove now: the segment goes when the last attachment does, so a
	// crash cannot leave it behind.
	posix.ShmCtl(id, unix.IPC_RMID, nil)
	copy(m.Bytes(), "shared")
	var ds unix.SysvShmDesc
	posix.ShmCtl(id, unix.IPC_STAT, &ds)
	fmt.Println(ds.Segsz, ds.Nattch, string(m.Bytes()[:6]))
	fmt.Println(posix.ShmDt(m))
	fmt.Println(posix.ShmCtl(id, unix.IPC_STAT, &ds) != nil) // gone
	// Output:
	// 4096 1 shared
	// <nil>
	// true
}
