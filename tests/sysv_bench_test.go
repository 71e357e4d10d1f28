package tests

import (
	"testing"

	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// System V against POSIX, the numbers for choosing a family: each benchmark
// reports its C loop (C-ns/op: sysvpeer, sempeer or mqpeer bench-*) and x-C.
// BenchmarkSysvSemOp and BenchmarkSysvPOSIXSemPostWait time the same thing
// (take and give back a unit) in each family; so do BenchmarkSysvMsgSndRcv64
// and BenchmarkSysvPOSIXMQSendReceive64 (64 bytes through a queue).

func benchSemSet(b *testing.B) int {
	b.Helper()
	id, err := posix.SemGet(posix.IPC_PRIVATE, 1, unix.IPC_CREAT|0o600)
	require.NoError(b, err)
	recordSysv("sem", id)
	b.Cleanup(func() { removeSysv(sysvObj{"sem", id}) })
	_, err = posix.SemCtl(id, 0, posix.SETVAL, 1)
	require.NoError(b, err)
	return id
}

// semop {0,-1} (acquire, blocking form) then semop {0,+1} (release).
func BenchmarkSysvSemOp(b *testing.B) {
	cNs := cReferenceOf(b, "sysvpeer", "bench-semop", "1000000")
	id := benchSemSet(b)
	acquire, release := []posix.SemBuf{{Op: -1}}, []posix.SemBuf{{Op: 1}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := posix.SemOp(id, acquire); err != nil {
			b.Fatal(err)
		}
		if err := posix.SemOp(id, release); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

// The same with SEM_UNDO on both operations (the kernel keeps an undo entry).
func BenchmarkSysvSemOpUndo(b *testing.B) {
	cNs := cReferenceOf(b, "sysvpeer", "bench-semop-undo", "1000000")
	id := benchSemSet(b)
	acquire, release := []posix.SemBuf{{Op: -1, Flg: posix.SEM_UNDO}}, []posix.SemBuf{{Op: 1, Flg: posix.SEM_UNDO}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := posix.SemOp(id, acquire); err != nil {
			b.Fatal(err)
		}
		if err := posix.SemOp(id, release); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

// The POSIX counterpart: Post then Wait on an unnamed semaphore (futex, no
// system call when uncontended), against sempeer's sem_post+sem_trywait loop.
func BenchmarkSysvPOSIXSemPostWait(b *testing.B) {
	cNs := cReference(b, "bench-posttrywait", "10000000")
	s, err := posix.NewSemaphore(0)
	require.NoError(b, err)
	defer s.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Post(); err != nil {
			b.Fatal(err)
		}
		if err := s.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

// msgsnd of 64 bytes then msgrcv (blocking forms), one goroutine.
func BenchmarkSysvMsgSndRcv64(b *testing.B) {
	cNs := cReferenceOf(b, "sysvpeer", "bench-msg", "1000000", "64")
	id, err := posix.MsgGet(posix.IPC_PRIVATE, unix.IPC_CREAT|0o600)
	require.NoError(b, err)
	recordSysv("msg", id)
	defer removeSysv(sysvObj{"msg", id})
	msg, buf := make([]byte, 64), make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := posix.MsgSnd(id, 1, msg, 0); err != nil {
			b.Fatal(err)
		}
		if _, _, err := posix.MsgRcv(id, buf, 0, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

// The POSIX counterpart: mq Send+Receive of 64 bytes (benchSendReceive, with
// mqpeer's C loop).
func BenchmarkSysvPOSIXMQSendReceive64(b *testing.B) {
	benchSendReceive(b, mqBenchQueue(b, uniqueName(), 64))
}
