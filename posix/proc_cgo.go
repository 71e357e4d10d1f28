//go:build cgo

package posix

/*
#include "../include/libcipc.h"
#include <spawn.h>
#include <sys/wait.h>

// No shim keeps a pointer it is given or calls back into Go: the spawn
// description, strings and actions are Go memory without Go pointers, read by
// posix_spawn before it returns (cgo's pointer rules allow passing them).
#cgo noescape libcipc_spawn_run
#cgo nocallback libcipc_spawn_run
#cgo noescape libcipc_waitpid
#cgo nocallback libcipc_waitpid
#cgo noescape libcipc_system
#cgo noescape libcipc_setitimer
#cgo nocallback libcipc_setitimer
#cgo noescape libcipc_getitimer
#cgo nocallback libcipc_getitimer
#cgo noescape libcipc_pthread_sigmask
#cgo nocallback libcipc_pthread_sigmask
#cgo nocallback libcipc_kill
#cgo nocallback libcipc_killpg
#cgo nocallback libcipc_sigqueue
*/
import "C"

import "unsafe"

var (
	_ [unsafe.Sizeof(C.libcipc_spawn{}) - unsafe.Sizeof(cSpawn{})]byte
	_ [unsafe.Sizeof(cSpawn{}) - unsafe.Sizeof(C.libcipc_spawn{})]byte
	_ [C.POSIX_SPAWN_RESETIDS - spawnResetIDs]byte
	_ [spawnResetIDs - C.POSIX_SPAWN_RESETIDS]byte
	_ [C.POSIX_SPAWN_SETPGROUP - spawnSetPgroup]byte
	_ [spawnSetPgroup - C.POSIX_SPAWN_SETPGROUP]byte
	_ [C.POSIX_SPAWN_SETSIGDEF - spawnSetSigdef]byte
	_ [spawnSetSigdef - C.POSIX_SPAWN_SETSIGDEF]byte
	_ [C.POSIX_SPAWN_SETSIGMASK - spawnSetSigmask]byte
	_ [spawnSetSigmask - C.POSIX_SPAWN_SETSIGMASK]byte
	_ [C.POSIX_SPAWN_SETSID - spawnSetsid]byte
	_ [spawnSetsid - C.POSIX_SPAWN_SETSID]byte
)

func cSpawnRun(d *cSpawn, strs []byte, acts []int64) int32 {
	var a *C.int64_t
	if len(acts) > 0 {
		a = (*C.int64_t)(unsafe.Pointer(&acts[0]))
	}
	return int32(C.libcipc_spawn_run((*C.libcipc_spawn)(unsafe.Pointer(d)), (*C.char)(unsafe.Pointer(&strs[0])), a))
}

func cWaitpid(pid int32, status *int32, options int32) int32 {
	return int32(C.libcipc_waitpid(C.int(pid), (*C.int)(unsafe.Pointer(status)), C.int(options)))
}

func cGetpgrp() int32                { return int32(C.libcipc_getpgrp()) }
func cSetpgid(pid, pgid int32) int32 { return int32(C.libcipc_setpgid(C.int(pid), C.int(pgid))) }
func cGetsid(pid int32) int32        { return int32(C.libcipc_getsid(C.int(pid))) }

func cSystem(cmd *byte, status *int32) int32 {
	return int32(C.libcipc_system((*C.char)(unsafe.Pointer(cmd)), (*C.int)(unsafe.Pointer(status))))
}

func cKill(pid, sig int32) int32    { return int32(C.libcipc_kill(C.int(pid), C.int(sig))) }
func cKillpg(pgrp, sig int32) int32 { return int32(C.libcipc_killpg(C.int(pgrp), C.int(sig))) }
func cSigqueue(pid, sig int32, v uintptr) int32 {
	return int32(C.libcipc_sigqueue(C.int(pid), C.int(sig), C.uintptr_t(v)))
}
func cAlarm(sec uint32) uint32 { return uint32(C.libcipc_alarm(C.unsigned(sec))) }

func cSetitimer(which int32, io *[2]int64) int32 {
	return int32(C.libcipc_setitimer(C.int(which), (*C.int64_t)(unsafe.Pointer(io))))
}

func cGetitimer(which int32, out *[2]int64) int32 {
	return int32(C.libcipc_getitimer(C.int(which), (*C.int64_t)(unsafe.Pointer(out))))
}

func cPthreadSigmask(how int32, hasSet bool, set uint64, old *uint64) int32 {
	h := C.int(0)
	if hasSet {
		h = 1
	}
	return int32(C.libcipc_pthread_sigmask(C.int(how), h, C.uint64_t(set), (*C.uint64_t)(unsafe.Pointer(old))))
}
