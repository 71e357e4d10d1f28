package scenario

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// The files area: Go twins of filepeer's roles (tests/cpeers/PROTOCOL.md),
// with the same command lines and output.

// holdLock prints the held line and waits to be killed, as filepeer does.
func holdLock() error {
	fmt.Printf("held pid=%d\n", os.Getpid())
	time.Sleep(60 * time.Second)
	return fmt.Errorf("held 60 s without being killed: %w", unix.ETIMEDOUT)
}

func lockType(s string) int16 {
	switch s {
	case "r":
		return unix.F_RDLCK
	case "w":
		return unix.F_WRLCK
	}
	return unix.F_UNLCK
}

// SeekRead reads BLOCK-byte blocks of the descriptor fd for d (block k of the
// file is filled with byte k): with lseek+read when pread is false, with
// Pread otherwise. It returns the reads and those that got another block's
// bytes (another process moved the shared offset in between).
func SeekRead(fd int, d time.Duration, pread bool, block int) (reads, mismatches int, err error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, 0, err
	}
	nblocks := int(st.Size) / block
	if nblocks < 2 {
		return 0, 0, fmt.Errorf("file of %d bytes: fewer than 2 blocks", st.Size)
	}
	buf := make([]byte, block)
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		k := (i*7 + os.Getpid()) % nblocks
		var n int
		if pread {
			n, err = posix.Pread(fd, buf, int64(k*block))
		} else {
			if _, err = unix.Seek(fd, int64(k*block), 0); err == nil {
				n, err = unix.Read(fd, buf)
			}
		}
		if err != nil {
			return reads, mismatches, err
		}
		reads++
		if n != block || buf[0] != byte(k) || buf[block-1] != byte(k) {
			mismatches++
		}
	}
	return reads, mismatches, nil
}

// PipeWrite writes n records of size bytes, each filled with byte id, to the
// descriptor target ("3") or the FIFO at target ("/…"), one write(2) each.
func PipeWrite(target string, id byte, n, size int) error {
	var fd int
	if strings.HasPrefix(target, "/") {
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		// One write(2) per record, as in C: os.File.Write would loop on a
		// short write, and the record's atomicity is the point.
		raw, err := f.SyscallConn()
		if err != nil {
			return err
		}
		rec := make([]byte, size)
		for i := range rec {
			rec[i] = id
		}
		for i := 0; i < n; i++ {
			var werr error
			if err := raw.Write(func(fd uintptr) bool {
				var w int
				w, werr = unix.Write(int(fd), rec)
				if werr == unix.EAGAIN {
					return false
				}
				if werr == nil && w != size {
					werr = fmt.Errorf("short write %d of %d", w, size)
				}
				return true
			}); err != nil {
				return err
			}
			if werr != nil {
				return werr
			}
		}
		return nil
	}
	fd, err := strconv.Atoi(target)
	if err != nil {
		return err
	}
	rec := make([]byte, size)
	for i := range rec {
		rec[i] = id
	}
	for i := 0; i < n; i++ {
		w, err := unix.Write(fd, rec)
		if err != nil {
			return err
		}
		if w != size {
			return fmt.Errorf("short write %d of %d", w, size)
		}
	}
	return nil
}

func init() {
	Roles["file-fcntl-hold"] = func(a []string) error {
		f, err := os.OpenFile(a[0], os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		l := posix.FileLock{Type: lockType(a[1]), Start: int64(Atoi(a[2])), Len: int64(Atoi(a[3]))}
		if err := posix.SetLock(int(f.Fd()), &l); err != nil {
			return err
		}
		return holdLock()
	}
	Roles["file-flock-hold"] = func(a []string) error {
		f, err := os.OpenFile(a[0], os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		how := unix.LOCK_EX
		if a[1] == "sh" {
			how = unix.LOCK_SH
		}
		if err := posix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
			return err
		}
		return holdLock()
	}
	Roles["file-lockf-hold"] = func(a []string) error {
		f, err := os.OpenFile(a[0], os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := f.Seek(int64(Atoi(a[1])), 0); err != nil {
			return err
		}
		if err := posix.Lockf(int(f.Fd()), unix.F_TLOCK, int64(Atoi(a[2]))); err != nil {
			return err
		}
		return holdLock()
	}
	Roles["file-sigqueue"] = func(a []string) error {
		pid, sig, n := Atoi(a[0]), unix.Signal(Atoi(a[1])), Atoi(a[2])
		for i := 1; i <= n; i++ {
			if err := posix.Sigqueue(pid, sig, uintptr(i)); err != nil {
				return err
			}
		}
		fmt.Printf("sent %d pid=%d uid=%d\n", n, os.Getpid(), os.Getuid())
		return nil
	}
	Roles["file-seekread"] = func(a []string) error {
		reads, bad, err := SeekRead(Atoi(a[0]), time.Duration(Atoi(a[1]))*time.Millisecond, a[2] == "pread", Atoi(a[3]))
		if err != nil {
			return err
		}
		fmt.Printf("reads=%d mismatches=%d\n", reads, bad)
		return nil
	}
	Roles["file-pipe-write"] = func(a []string) error {
		if err := PipeWrite(a[0], byte(Atoi(a[1])), Atoi(a[2]), Atoi(a[3])); err != nil {
			return err
		}
		fmt.Printf("wrote %s\n", a[2])
		return nil
	}
}
