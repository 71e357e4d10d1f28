//go:build cgo

package posix

/*
#include "../include/libcipc.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

// The shims keep no pointer they are given and none calls back into Go:
// noescape lets Go pass operation arrays, buffers and descriptors (stack
// or caller memory) without allocating. libcipc_shmat's result is memory the
// kernel maps, not a Go pointer.
#cgo noescape libcipc_ftok
#cgo nocallback libcipc_ftok
#cgo nocallback libcipc_semget
#cgo noescape libcipc_semop
#cgo nocallback libcipc_semop
#cgo noescape libcipc_semop_begin
#cgo nocallback libcipc_semop_begin
#cgo noescape libcipc_semop_wait
#cgo nocallback libcipc_semop_wait
#cgo nocallback libcipc_semctl
#cgo noescape libcipc_semctl_ds
#cgo nocallback libcipc_semctl_ds
#cgo noescape libcipc_semctl_all
#cgo nocallback libcipc_semctl_all
#cgo nocallback libcipc_msgget
#cgo noescape libcipc_msgsnd
#cgo nocallback libcipc_msgsnd
#cgo noescape libcipc_msgrcv
#cgo nocallback libcipc_msgrcv
#cgo noescape libcipc_msgsnd_wait
#cgo nocallback libcipc_msgsnd_wait
#cgo noescape libcipc_msgrcv_wait
#cgo nocallback libcipc_msgrcv_wait
#cgo noescape libcipc_msgctl
#cgo nocallback libcipc_msgctl
#cgo nocallback libcipc_shmget
#cgo noescape libcipc_shmat
#cgo nocallback libcipc_shmat
#cgo nocallback libcipc_shmdt
#cgo noescape libcipc_shmctl
#cgo nocallback libcipc_shmctl

// The command and flag values x/sys/unix does not define, for the compile-time
// checks below (enum members or macros, so copied into constants here).
enum {
	libcipc_SEM_UNDO = SEM_UNDO, libcipc_GETPID = GETPID, libcipc_GETVAL = GETVAL,
	libcipc_GETALL = GETALL, libcipc_GETNCNT = GETNCNT, libcipc_GETZCNT = GETZCNT,
	libcipc_SETVAL = SETVAL, libcipc_SETALL = SETALL, libcipc_MSG_NOERROR = MSG_NOERROR,
	libcipc_MSG_EXCEPT = MSG_EXCEPT, libcipc_MSG_COPY = MSG_COPY, libcipc_SHM_LOCK = SHM_LOCK,
	libcipc_SHM_UNLOCK = SHM_UNLOCK, libcipc_SHM_EXEC = SHM_EXEC,
	libcipc_IPC_PRIVATE = IPC_PRIVATE, libcipc_IPC_CREAT = IPC_CREAT, libcipc_IPC_EXCL = IPC_EXCL,
	libcipc_IPC_NOWAIT = IPC_NOWAIT, libcipc_IPC_RMID = IPC_RMID, libcipc_IPC_SET = IPC_SET,
	libcipc_IPC_STAT = IPC_STAT, libcipc_SHM_RDONLY = SHM_RDONLY,
};
*/
import "C"

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The Go constants and layouts must be glibc's: these fail to compile otherwise.
var (
	_ = [1]struct{}{}[C.libcipc_SEM_UNDO-SEM_UNDO]
	_ = [1]struct{}{}[C.libcipc_GETPID-GETPID]
	_ = [1]struct{}{}[C.libcipc_GETVAL-GETVAL]
	_ = [1]struct{}{}[C.libcipc_GETALL-GETALL]
	_ = [1]struct{}{}[C.libcipc_GETNCNT-GETNCNT]
	_ = [1]struct{}{}[C.libcipc_GETZCNT-GETZCNT]
	_ = [1]struct{}{}[C.libcipc_SETVAL-SETVAL]
	_ = [1]struct{}{}[C.libcipc_SETALL-SETALL]
	_ = [1]struct{}{}[C.libcipc_MSG_NOERROR-MSG_NOERROR]
	_ = [1]struct{}{}[C.libcipc_MSG_EXCEPT-MSG_EXCEPT]
	_ = [1]struct{}{}[C.libcipc_MSG_COPY-MSG_COPY]
	_ = [1]struct{}{}[C.libcipc_SHM_LOCK-SHM_LOCK]
	_ = [1]struct{}{}[C.libcipc_SHM_UNLOCK-SHM_UNLOCK]
	_ = [1]struct{}{}[C.libcipc_SHM_EXEC-SHM_EXEC]
	_ = [1]struct{}{}[C.libcipc_IPC_PRIVATE-IPC_PRIVATE]
	// The x/sys/unix constants the API documents are glibc's too.
	_ = [1]struct{}{}[C.libcipc_IPC_CREAT-unix.IPC_CREAT]
	_ = [1]struct{}{}[C.libcipc_IPC_EXCL-unix.IPC_EXCL]
	_ = [1]struct{}{}[C.libcipc_IPC_NOWAIT-unix.IPC_NOWAIT]
	_ = [1]struct{}{}[C.libcipc_IPC_RMID-unix.IPC_RMID]
	_ = [1]struct{}{}[C.libcipc_IPC_SET-unix.IPC_SET]
	_ = [1]struct{}{}[C.libcipc_IPC_STAT-unix.IPC_STAT]
	_ = [1]struct{}{}[C.libcipc_SHM_RDONLY-unix.SHM_RDONLY]
	_ = [1]struct{}{}[C.LIBCIPC_SEMOP_FAST-semopFast]
	_ = [1]struct{}{}[C.LIBCIPC_MSG_STACK-msgStack]

	// struct sembuf: SemBuf is passed to semop as it is.
	_ = [1]struct{}{}[unsafe.Sizeof(C.struct_sembuf{})-unsafe.Sizeof(SemBuf{})]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_sembuf{}.sem_num)-unsafe.Offsetof(SemBuf{}.Num)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_sembuf{}.sem_op)-unsafe.Offsetof(SemBuf{}.Op)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_sembuf{}.sem_flg)-unsafe.Offsetof(SemBuf{}.Flg)]
	_ = [1]struct{}{}[unsafe.Sizeof(C.key_t(0))-unsafe.Sizeof(IPCKey(0))]

	// struct ipc_perm as unix.SysvIpcPerm (the key field is glibc's __key).
	_ = [1]struct{}{}[unsafe.Sizeof(C.struct_ipc_perm{})-unsafe.Sizeof(unix.SysvIpcPerm{})]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_ipc_perm{}.__key)-unsafe.Offsetof(unix.SysvIpcPerm{}.Key)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_ipc_perm{}.uid)-unsafe.Offsetof(unix.SysvIpcPerm{}.Uid)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_ipc_perm{}.gid)-unsafe.Offsetof(unix.SysvIpcPerm{}.Gid)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_ipc_perm{}.cuid)-unsafe.Offsetof(unix.SysvIpcPerm{}.Cuid)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_ipc_perm{}.cgid)-unsafe.Offsetof(unix.SysvIpcPerm{}.Cgid)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_ipc_perm{}.mode)-unsafe.Offsetof(unix.SysvIpcPerm{}.Mode)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_ipc_perm{}.__seq)-unsafe.Offsetof(unix.SysvIpcPerm{}.Seq)]

	// struct semid_ds as SemidDS.
	_ = [1]struct{}{}[unsafe.Sizeof(C.struct_semid_ds{})-unsafe.Sizeof(SemidDS{})]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_semid_ds{}.sem_otime)-unsafe.Offsetof(SemidDS{}.Otime)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_semid_ds{}.sem_ctime)-unsafe.Offsetof(SemidDS{}.Ctime)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_semid_ds{}.sem_nsems)-unsafe.Offsetof(SemidDS{}.Nsems)]

	// struct msqid_ds as MsqidDS.
	_ = [1]struct{}{}[unsafe.Sizeof(C.struct_msqid_ds{})-unsafe.Sizeof(MsqidDS{})]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_msqid_ds{}.msg_stime)-unsafe.Offsetof(MsqidDS{}.Stime)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_msqid_ds{}.msg_rtime)-unsafe.Offsetof(MsqidDS{}.Rtime)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_msqid_ds{}.msg_ctime)-unsafe.Offsetof(MsqidDS{}.Ctime)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_msqid_ds{}.__msg_cbytes)-unsafe.Offsetof(MsqidDS{}.Cbytes)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_msqid_ds{}.msg_qnum)-unsafe.Offsetof(MsqidDS{}.Qnum)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_msqid_ds{}.msg_qbytes)-unsafe.Offsetof(MsqidDS{}.Qbytes)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_msqid_ds{}.msg_lspid)-unsafe.Offsetof(MsqidDS{}.Lspid)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_msqid_ds{}.msg_lrpid)-unsafe.Offsetof(MsqidDS{}.Lrpid)]

	// struct shmid_ds as unix.SysvShmDesc.
	_ = [1]struct{}{}[unsafe.Sizeof(C.struct_shmid_ds{})-unsafe.Sizeof(unix.SysvShmDesc{})]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_shmid_ds{}.shm_segsz)-unsafe.Offsetof(unix.SysvShmDesc{}.Segsz)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_shmid_ds{}.shm_atime)-unsafe.Offsetof(unix.SysvShmDesc{}.Atime)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_shmid_ds{}.shm_dtime)-unsafe.Offsetof(unix.SysvShmDesc{}.Dtime)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_shmid_ds{}.shm_ctime)-unsafe.Offsetof(unix.SysvShmDesc{}.Ctime)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_shmid_ds{}.shm_cpid)-unsafe.Offsetof(unix.SysvShmDesc{}.Cpid)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_shmid_ds{}.shm_lpid)-unsafe.Offsetof(unix.SysvShmDesc{}.Lpid)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.struct_shmid_ds{}.shm_nattch)-unsafe.Offsetof(unix.SysvShmDesc{}.Nattch)]
)

func cFtok(path *byte, id int32, key *int32) int32 {
	return int32(C.libcipc_ftok((*C.char)(unsafe.Pointer(path)), C.int(id), (*C.int32_t)(unsafe.Pointer(key))))
}

func cSemget(key, nsems, flags int32) int32 {
	return int32(C.libcipc_semget(C.int32_t(key), C.int(nsems), C.int(flags)))
}

// opsPtr is the address of the first operation, nil for none (semop then
// says EINVAL, as for nsops 0 in C).
func opsPtr(ops []SemBuf) unsafe.Pointer {
	if len(ops) == 0 {
		return nil
	}
	return unsafe.Pointer(&ops[0])
}

func cSemop(id int32, ops []SemBuf) int32 {
	return int32(C.libcipc_semop(C.int(id), opsPtr(ops), C.size_t(len(ops))))
}

func cSemopBegin(id int32, ops []SemBuf, w *cWait) int32 {
	return int32(C.libcipc_semop_begin(C.int(id), opsPtr(ops), C.size_t(len(ops)), (*C.libcipc_wait)(unsafe.Pointer(w))))
}

func cSemopWait(id int32, ops []SemBuf, w *cWait, slot int32) int32 {
	return int32(C.libcipc_semop_wait(C.int(id), opsPtr(ops), C.size_t(len(ops)), (*C.libcipc_wait)(unsafe.Pointer(w)), C.int(slot)))
}

func cSemctl(id, num, cmd, val int32) int32 {
	return int32(C.libcipc_semctl(C.int(id), C.int(num), C.int(cmd), C.int(val)))
}

func cSemctlDS(id, cmd int32, ds *SemidDS) int32 {
	return int32(C.libcipc_semctl_ds(C.int(id), C.int(cmd), unsafe.Pointer(ds)))
}

func cSemctlAll(id, cmd int32, vals []uint16) int32 {
	var p *C.ushort
	if len(vals) > 0 {
		p = (*C.ushort)(unsafe.Pointer(&vals[0]))
	}
	return int32(C.libcipc_semctl_all(C.int(id), C.int(cmd), p, C.size_t(len(vals))))
}

func cMsgget(key, flags int32) int32 {
	return int32(C.libcipc_msgget(C.int32_t(key), C.int(flags)))
}

func bufPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func cMsgsnd(id int32, mtype int64, data []byte, flags int32) int32 {
	return int32(C.libcipc_msgsnd(C.int(id), C.long(mtype), bufPtr(data), C.size_t(len(data)), C.int(flags)))
}

func cMsgrcv(id int32, buf []byte, msgtyp int64, flags int32, mtype *int64) int64 {
	return int64(C.libcipc_msgrcv(C.int(id), bufPtr(buf), C.size_t(len(buf)), C.long(msgtyp), C.int(flags), (*C.long)(unsafe.Pointer(mtype))))
}

func cMsgsndWait(id int32, mtype int64, data []byte, flags, slot int32) int32 {
	return int32(C.libcipc_msgsnd_wait(C.int(id), C.long(mtype), bufPtr(data), C.size_t(len(data)), C.int(flags), C.int(slot)))
}

func cMsgrcvWait(id int32, buf []byte, msgtyp int64, flags int32, mtype *int64, slot int32) int64 {
	return int64(C.libcipc_msgrcv_wait(C.int(id), bufPtr(buf), C.size_t(len(buf)), C.long(msgtyp), C.int(flags), (*C.long)(unsafe.Pointer(mtype)), C.int(slot)))
}

func cMsgctl(id, cmd int32, ds *MsqidDS) int32 {
	return int32(C.libcipc_msgctl(C.int(id), C.int(cmd), unsafe.Pointer(ds)))
}

func cShmget(key int32, size uintptr, flags int32) int32 {
	return int32(C.libcipc_shmget(C.int32_t(key), C.size_t(size), C.int(flags)))
}

func cShmat(id, flags int32, size *uint64) (unsafe.Pointer, int32) {
	r := C.libcipc_shmat(C.int(id), C.int(flags), (*C.uint64_t)(unsafe.Pointer(size)))
	return r.ptr, -int32(r.err)
}

func cShmdt(p unsafe.Pointer) int32 { return int32(C.libcipc_shmdt(p)) }

func cShmctl(id, cmd int32, ds *unix.SysvShmDesc) int32 {
	return int32(C.libcipc_shmctl(C.int(id), C.int(cmd), unsafe.Pointer(ds)))
}

// sysvTid is the thread id each blocking System V wait publishes for its
// slot (C memory: the wait writes it, Go reads it atomically to signal it).
var sysvTid = (*[waitersPerProcess]int32)(unsafe.Pointer(&C.libcipc_sysv_tid[0]))
