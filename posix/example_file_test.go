//go:build cgo

package posix_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// A process-owned record lock on bytes 0..9, and what F_GETLK says about it.
// OFD locks (OFDSetLock) are the ones that also separate two descriptors of
// one process.
func ExampleSetLock() {
	dir, _ := os.MkdirTemp("", "example-")
	defer os.RemoveAll(dir)
	f, err := os.OpenFile(filepath.Join(dir, "data"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fd := int(f.Fd())
	if err := posix.SetLock(fd, &posix.FileLock{Type: unix.F_WRLCK, Start: 0, Len: 10}); err != nil {
		fmt.Println(err)
		return
	}
	g, _ := os.OpenFile(f.Name(), os.O_RDWR, 0)
	l := posix.FileLock{Type: unix.F_WRLCK, Start: 100, Len: 1}
	posix.OFDSetLock(int(g.Fd()), &l)
	// Another description of the same file, in this process, sees the OFD lock.
	l = posix.FileLock{Type: unix.F_WRLCK, Start: 100, Len: 1}
	posix.OFDGetLock(fd, &l)
	fmt.Println(l.Type == unix.F_WRLCK, l.Pid)
	g.Close()
	// Output: true -1
}

// flock with a bounded wait.
func ExampleFlockContext() {
	f, err := os.CreateTemp("", "example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	fmt.Println(posix.FlockContext(ctx, int(f.Fd()), unix.LOCK_EX))
	fmt.Println(posix.Flock(int(f.Fd()), unix.LOCK_UN))
	// Output:
	// <nil>
	// <nil>
}

func ExamplePread() {
	f, err := os.CreateTemp("", "example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	posix.Pwrite(int(f.Fd()), []byte("hello, pread"), 0)
	buf := make([]byte, 5)
	n, err := posix.Pread(int(f.Fd()), buf, 7)
	fmt.Println(n, err, string(buf[:n]))
	// Output: 5 <nil> pread
}

// Spawn a child with its stdout on a pipe, then reap it with Waitpid (the Go
// runtime never does).
func ExampleSpawn() {
	r, w, err := posix.Pipe()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	pid, err := posix.SpawnP("echo", []string{"echo", "from the child"}, nil,
		&posix.SpawnAttr{Actions: []posix.SpawnAction{posix.SpawnDup2(int(w.Fd()), 1)}})
	w.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	_, st, err := posix.Waitpid(pid, 0)
	fmt.Printf("%q exited=%v code=%d err=%v\n", buf[:n], st.Exited(), st.ExitStatus(), err)
	// Output: "from the child\n" exited=true code=0 err=<nil>
}

// A realtime signal with a value, sent to ourselves, received with its
// siginfo.
func ExampleSigqueue() {
	sig := unix.Signal(50)
	r, err := posix.NewSignalReceiver(sig)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	posix.Sigqueue(os.Getpid(), sig, 42)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := r.Receive(ctx)
	fmt.Println(info.Signo == sig, info.Value, info.Pid == os.Getpid(), info.Code, err)
	// Output: true 42 true -1 <nil>
}

func ExampleMkfifo() {
	dir, _ := os.MkdirTemp("", "example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "fifo")
	fmt.Println(posix.Mkfifo(path, 0o600))
	fi, _ := os.Stat(path)
	fmt.Println(fi.Mode()&os.ModeNamedPipe != 0)
	// Output:
	// <nil>
	// true
}
