package tests

import (
	"strconv"
	"testing"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Message queue benchmarks: libcipc, the same through raw system calls
// (x/sys/unix SYS_MQ_*: the pure-Go point of comparison), and C (mqpeer
// bench-*), reported as C-ns/op and x-C.

func mqBenchQueue(b *testing.B, name string, size int64) *posix.MessageQueue {
	b.Helper()
	q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, &posix.MQAttr{MaxMsg: 10, MsgSize: size})
	require.NoError(b, err)
	b.Cleanup(func() {
		q.Close()
		posix.UnlinkMessageQueue(name)
	})
	return q
}

func mqCReference(b *testing.B, args ...string) float64 {
	return cReferenceOf(b, "mqpeer", args...)
}

// benchSendReceive times Send+Receive of 64 bytes in one goroutine.
func benchSendReceive(b *testing.B, q scenario.SendReceiver) {
	cNs := mqCReference(b, "bench-sendrecv", "200000", "64", "/"+prefix+"cbench")
	msg, buf := make([]byte, 64), make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := q.Send(msg, 1); err != nil {
			b.Fatal(err)
		}
		if _, _, err := q.Receive(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRatio(b, cNs)
}

func BenchmarkMQSendReceive64(b *testing.B) {
	benchSendReceive(b, mqBenchQueue(b, uniqueName(), 64))
}

func BenchmarkMQSendReceive64RawSyscall(b *testing.B) {
	name := uniqueName()
	q, err := scenario.OpenRawMQ(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, 10, 64)
	require.NoError(b, err)
	defer posix.UnlinkMessageQueue(name)
	defer q.Close()
	benchSendReceive(b, q)
}

// mqPingPong times b.N round trips of 64 bytes with a child process that
// plays role (libcipc or raw system calls) on name-a / name-b.
func mqPingPong(b *testing.B, role string, send func([]byte) error, recv func([]byte) error, name string) {
	child := startGo(b, role, []string{name, strconv.Itoa(b.N)})
	msg, buf := make([]byte, 64), make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := send(msg); err != nil {
			b.Fatal(err)
		}
		if err := recv(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	child.finish(b)
}

func BenchmarkMQPingPongProcesses(b *testing.B) {
	cNs := mqCReference(b, "bench-pingpong", "20000", "/"+prefix+"cbench")
	name := uniqueName()
	qa, qb := mqBenchQueue(b, name+"-a", 64), mqBenchQueue(b, name+"-b", 64)
	mqPingPong(b, "mq-pingpong",
		func(m []byte) error { return qa.Send(m, 0) },
		func(buf []byte) error { _, _, err := qb.Receive(buf); return err }, name)
	reportRatio(b, cNs)
}

func BenchmarkMQPingPongProcessesRawSyscall(b *testing.B) {
	cNs := mqCReference(b, "bench-pingpong", "20000", "/"+prefix+"cbench")
	name := uniqueName()
	mqBenchQueue(b, name+"-a", 64)
	mqBenchQueue(b, name+"-b", 64)
	qa, err := scenario.OpenRawMQ(name+"-a", unix.O_WRONLY, 0, 0, 0)
	require.NoError(b, err)
	defer qa.Close()
	qb, err := scenario.OpenRawMQ(name+"-b", unix.O_RDONLY, 0, 0, 0)
	require.NoError(b, err)
	defer qb.Close()
	mqPingPong(b, "mq-pingpong-raw",
		func(m []byte) error { return qa.Send(m, 0) },
		func(buf []byte) error { _, _, err := qb.Receive(buf); return err }, name)
	reportRatio(b, cNs)
}

// benchStream receives b.N messages of 64 bytes from a child process playing
// role (a producer through libcipc or raw syscalls): ns per message.
func benchStream(b *testing.B, q scenario.SendReceiver, role, name string) {
	cNs := mqCReference(b, "bench-stream", "200000", "64", "/"+prefix+"cbench")
	child := startGo(b, role, []string{name, strconv.Itoa(b.N), "64"})
	buf := make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := q.Receive(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	child.finish(b)
	reportRatio(b, cNs)
}

// One producer process, one consumer (this process): ns per message.
func BenchmarkMQStreamProcesses(b *testing.B) {
	name := uniqueName()
	benchStream(b, mqBenchQueue(b, name, 64), "stream-send", name)
}

func BenchmarkMQStreamProcessesRawSyscall(b *testing.B) {
	name := uniqueName()
	mqBenchQueue(b, name, 64)
	q, err := scenario.OpenRawMQ(name, unix.O_RDONLY, 0, 0, 0)
	require.NoError(b, err)
	defer q.Close()
	benchStream(b, q, "mq-stream-send-raw", name)
}
