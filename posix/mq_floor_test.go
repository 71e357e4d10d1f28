//go:build cgo

package posix

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkMQSendReceiveCrossings is mq_send + mq_receive as two bare
// crossings on a non-blocking descriptor, without the handle's bookkeeping:
// the difference from the tests' BenchmarkMQSendReceive64 is what the Go layer
// adds.
func BenchmarkMQSendReceiveCrossings(b *testing.B) {
	name := fmt.Sprintf("/libcipc-floor-%d", os.Getpid())
	var buf [256]byte
	cname, _ := cName(&buf, "mq_open", name)
	fd := cMqOpen(cname, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NONBLOCK, 0o600, true, 10, 64)
	if fd < 0 {
		b.Fatal(unix.Errno(-fd))
	}
	defer cMqUnlink(cname)
	defer cMqClose(fd)
	msg, rbuf := make([]byte, 64), make([]byte, 64)
	var prio uint32
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if rc := cMqSend(fd, msg, 1); rc != 0 {
			b.Fatal(rc)
		}
		if n := cMqReceive(fd, rbuf, &prio); n < 0 {
			b.Fatal(n)
		}
	}
}
