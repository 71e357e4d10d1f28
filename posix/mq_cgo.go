//go:build cgo

package posix

/*
#include "../include/libcipc.h"

#cgo noescape libcipc_mq_open
#cgo nocallback libcipc_mq_open
#cgo noescape libcipc_mq_unlink
#cgo nocallback libcipc_mq_unlink
#cgo noescape libcipc_mq_send
#cgo nocallback libcipc_mq_send
#cgo noescape libcipc_mq_receive
#cgo nocallback libcipc_mq_receive
#cgo noescape libcipc_mq_getattr
#cgo nocallback libcipc_mq_getattr
#cgo noescape libcipc_mq_setattr
#cgo nocallback libcipc_mq_setattr
*/
import "C"

import "unsafe"

var (
	_ [C.LIBCIPC_MQ_PRIO_MAX - MQPrioMax]byte
	_ [MQPrioMax - C.LIBCIPC_MQ_PRIO_MAX]byte
	_ [unsafe.Sizeof(C.long(0)) - 8]byte
)

func cMqOpen(name *byte, oflag int32, mode uint32, hasAttr bool, maxmsg, msgsize int64) int32 {
	h := C.int(0)
	if hasAttr {
		h = 1
	}
	return int32(C.libcipc_mq_open((*C.char)(unsafe.Pointer(name)), C.int(oflag), C.unsigned(mode), h, C.long(maxmsg), C.long(msgsize)))
}

func cMqClose(fd int32) int32 { return int32(C.libcipc_mq_close(C.int(fd))) }

func cMqUnlink(name *byte) int32 { return int32(C.libcipc_mq_unlink((*C.char)(unsafe.Pointer(name)))) }

func cMqSend(fd int32, msg []byte, prio uint32) int32 {
	var p *C.char
	if len(msg) > 0 {
		p = (*C.char)(unsafe.Pointer(&msg[0]))
	}
	return int32(C.libcipc_mq_send(C.int(fd), p, C.size_t(len(msg)), C.unsigned(prio)))
}

func cMqReceive(fd int32, buf []byte, prio *uint32) int64 {
	var p *C.char
	if len(buf) > 0 {
		p = (*C.char)(unsafe.Pointer(&buf[0]))
	}
	return int64(C.libcipc_mq_receive(C.int(fd), p, C.size_t(len(buf)), (*C.unsigned)(unsafe.Pointer(prio))))
}

func cMqGetattr(fd int32, out *[4]int64) int32 {
	return int32(C.libcipc_mq_getattr(C.int(fd), (*C.long)(unsafe.Pointer(out))))
}

func cMqSetattr(fd int32, flags int64, out *[4]int64) int32 {
	return int32(C.libcipc_mq_setattr(C.int(fd), C.long(flags), (*C.long)(unsafe.Pointer(out))))
}

func cMqNotifyThread(fd int32, id uintptr) int32 {
	return int32(C.libcipc_mq_notify_thread(C.int(fd), C.uintptr_t(id)))
}

func cMqNotifySignal(fd int32, sig int32, value uintptr) int32 {
	return int32(C.libcipc_mq_notify_signal(C.int(fd), C.int(sig), C.uintptr_t(value)))
}

func cMqNotifyCancel(fd int32) int32 { return int32(C.libcipc_mq_notify_cancel(C.int(fd))) }

// libcipcMQNotified runs on the thread glibc starts for a SIGEV_THREAD
// notification (csrc/mq.c's trampoline calls it).
//
//export libcipcMQNotified
func libcipcMQNotified(id C.uintptr_t) { runNotify(uintptr(id)) }
