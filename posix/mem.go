package posix

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Names for Sysconf (glibc's _SC_* values, checked against C at compile time)
// and parameters for Mallopt (M_*).
const (
	SC_OPEN_MAX         = 4
	SC_MQ_PRIO_MAX      = 28
	SC_PAGESIZE         = 30
	SC_SEM_NSEMS_MAX    = 32
	SC_SEM_VALUE_MAX    = 33
	SC_NPROCESSORS_CONF = 83
	SC_NPROCESSORS_ONLN = 84
	SC_PHYS_PAGES       = 85
	M_MXFAST            = 1
	M_TRIM_THRESHOLD    = -1
	M_MMAP_THRESHOLD    = -3
	M_ARENA_MAX         = -8
)

var pageSize = sync.OnceValue(func() int {
	if v, err := Sysconf(SC_PAGESIZE); err == nil && v > 0 {
		return int(v)
	}
	return os.Getpagesize()
})

// PageSize returns the system page size, from sysconf(_SC_PAGESIZE).
func PageSize() int { return pageSize() }

// Sysconf returns sysconf(3) for name (SC_PAGESIZE, SC_NPROCESSORS_ONLN, …): EINVAL for an unknown name; -1 with no error for a limit sysconf calls
// indeterminate, as in C.
func Sysconf(name int) (int64, error) {
	const op = "sysconf"
	if !cgoEnabled {
		return 0, cgoErr(op, "")
	}
	if err := cInt(op, strconv.Itoa(name), "name", name); err != nil {
		return 0, err
	}
	var v int64
	if rc := cSysconf(int32(name), &v); rc != 0 {
		return 0, errnoErr(op, strconv.Itoa(name), rc)
	}
	return v, nil
}

// MapEntry is one line of /proc/PID/maps.
type MapEntry struct {
	Start, End uintptr
	Perms      string // "rw-s": read, write, execute, shared or private
	Offset     uint64
	Dev        string // major:minor
	Inode      uint64
	Path       string // file, [heap], [stack], "" for anonymous; " (deleted)" kept
}

// ProcMaps parses /proc/PID/maps (pid 0: this process) into its mappings.
func ProcMaps(pid int) ([]MapEntry, error) {
	path := "/proc/self/maps"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/maps", pid)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Op: "open", Name: path, Err: underlying(err)}
	}
	defer f.Close()
	var out []MapEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		e, err := parseMapsLine(sc.Text())
		if err != nil {
			return nil, &Error{Op: "read", Name: path, Err: &argError{msg: err.Error(), errno: unix.EINVAL}}
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{Op: "read", Name: path, Err: underlying(err)}
	}
	return out, nil
}

// underlying returns the errno behind an os error when there is one.
func underlying(err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

func parseMapsLine(line string) (MapEntry, error) {
	var e MapEntry
	f := strings.Fields(line)
	if len(f) < 5 {
		return e, fmt.Errorf("bad line %q", line)
	}
	start, end, ok := strings.Cut(f[0], "-")
	if !ok {
		return e, fmt.Errorf("bad range in %q", line)
	}
	s, err1 := strconv.ParseUint(start, 16, 64)
	en, err2 := strconv.ParseUint(end, 16, 64)
	off, err3 := strconv.ParseUint(f[2], 16, 64)
	ino, err4 := strconv.ParseUint(f[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return e, fmt.Errorf("bad numbers in %q", line)
	}
	e = MapEntry{Start: uintptr(s), End: uintptr(en), Perms: f[1], Offset: off, Dev: f[3], Inode: ino}
	// The path is the rest of the line after the fifth field (it may hold
	// spaces): skip five fields by position.
	rest := line
	for i := 0; i < 5; i++ {
		rest = strings.TrimLeft(rest, " ")
		if j := strings.IndexByte(rest, ' '); j >= 0 {
			rest = rest[j:]
		} else {
			rest = ""
		}
	}
	e.Path = strings.TrimLeft(rest, " ")
	return e, nil
}

// MallInfo is glibc's struct mallinfo2: the state of the malloc arena (bytes
// unless said otherwise).
type MallInfo struct {
	Arena    uint64 // non-mmapped space allocated from the system
	Ordblks  uint64 // number of free chunks
	Smblks   uint64 // number of free fastbin blocks
	Hblks    uint64 // number of mmapped regions
	Hblkhd   uint64 // space in mmapped regions
	Usmblks  uint64 // always 0 in glibc
	Fsmblks  uint64 // space in freed fastbin blocks
	Uordblks uint64 // total allocated space
	Fordblks uint64 // total free space
	Keepcost uint64 // top-most releasable space
}

// MallocInfo returns the C heap's statistics with mallinfo2(3) (mallinfo on
// glibc before 2.33).
func MallocInfo() (MallInfo, error) {
	if !cgoEnabled {
		return MallInfo{}, cgoErr("mallinfo2", "")
	}
	var o [10]uint64
	cMallinfo(&o)
	return MallInfo{o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9]}, nil
}

// MallocTrim returns free C-heap memory to the system with malloc_trim(3),
// keeping pad bytes at the top; it reports whether memory was released.
func MallocTrim(pad uintptr) (bool, error) {
	if !cgoEnabled {
		return false, cgoErr("malloc_trim", "")
	}
	return cMallocTrim(pad) == 1, nil
}

// Mallopt sets a malloc parameter with mallopt(3) (M_TRIM_THRESHOLD,
// M_MMAP_THRESHOLD, …). mallopt reports failure (a value out of range) without
// an errno, which becomes EINVAL here; like glibc, it accepts a parameter it
// does not know.
func Mallopt(param, value int) error {
	const op = "mallopt"
	if !cgoEnabled {
		return cgoErr(op, "")
	}
	if err := cInts(op, strconv.Itoa(param), "param", param, "value", value); err != nil {
		return err
	}
	if cMallopt(int32(param), int32(value)) != 1 {
		return &Error{Op: op, Name: strconv.Itoa(param), Err: unix.EINVAL}
	}
	return nil
}
