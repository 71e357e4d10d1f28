package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/libcipc/libcipc/posix"
)

// cliPrefix starts every object name the CLI fuzz target lets run() see.
var cliPrefix = fmt.Sprintf("libcipc-fuzz-%d-", os.Getpid())

// cliNamed are the verbs that take the object NAME first: the target puts its
// own name there, so every object a command may create or change is ours.
var cliNamed = map[string]bool{
	"sem create": true, "sem post": true, "sem wait": true, "sem value": true,
	"shm create": true, "shm cat": true, "shm write": true, "shm truncate": true,
	"mq create": true, "mq send": true, "mq recv": true, "mq attr": true,
	"stat": true, "rm": true, "ls": true,
}

// cliDenied are flags never passed: --mount mounts /dev/mqueue, --all and
// --prefix reach objects by pattern, --peers belongs to demo.
var cliDenied = map[string]bool{"mount": true, "all": true, "prefix": true, "peers": true, "any-owner": true}

// cliLimit bounds sizes and offsets, so that shm cat --hex stays quick.
const cliLimit = 1 << 16

// cliArgs turns one fuzzed line (tab-separated words) into run()'s arguments,
// or nil when the line cannot be made safe. Words that would be object names
// (or paths) outside the target's own name get cliPrefix; flags that select
// objects by pattern are dropped; blocking verbs get --timeout last.
func cliArgs(line, name string) []string {
	words := strings.Split(line, "\t")
	verb := words[0]
	rest := words[1:]
	switch verb {
	case "sem", "shm", "mq":
		if len(rest) == 0 {
			return []string{verb}
		}
		if !cliNamed[verb+" "+rest[0]] {
			return []string{verb, rest[0]} // help, or an unknown command
		}
		verb, rest = verb+" "+rest[0], rest[1:]
	case "stat", "rm", "ls", "locks", "limits":
	case "help", "-h", "--help":
		return words
	case roleVerb, "demo":
		return nil
	default:
		return []string{verb} // an unknown command
	}
	args := strings.Fields(verb)
	variadic := verb == "stat" || verb == "rm" || verb == "ls" || verb == "locks"
	if cliNamed[verb] {
		args = append(args, name)
	}
	for _, w := range rest {
		switch {
		case w == "--":
			continue
		case strings.HasPrefix(w, "--"):
			flag, val, hasVal := strings.Cut(w[2:], "=")
			if cliDenied[flag] {
				continue
			}
			if hasVal && (flag == "size" || flag == "offset") {
				if n, err := parseSize(val); err == nil && n > cliLimit {
					continue
				}
			}
			args = append(args, w)
		case w == "-h" || w == "-":
			args = append(args, w)
		case variadic:
			args = append(args, "/"+cliPrefix+w)
		default:
			// A second positional word: the message of mq send, the size
			// of shm truncate; for the other named verbs a usage error.
			if n, err := parseSize(w); err == nil && n > cliLimit {
				continue
			}
			args = append(args, w)
		}
	}
	switch verb {
	case "sem wait", "mq send", "mq recv":
		args = append(args, "--timeout=20ms")
	}
	return args
}

func fdCount(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}

// FuzzCLI runs run() in-process on up to 4 fuzzed command lines, one NAME
// (cliPrefix + fuzzed suffix), fuzzed stdin. For every line: no panic, no
// hang (10 s), exit code 0, 1 or 2, and a nonzero code comes with a message on
// stderr ("posixipc ..."). After the lines: no descriptor leaked, and once the
// NAME is unlinked (sem, shm, mq) nothing with cliPrefix is left in /dev/shm.
func FuzzCLI(f *testing.F) {
	for _, s := range []string{
		"sem\tcreate\t--value=3\t--mode=0640\nsem\twait\nsem\tvalue\t--json\nsem\tpost",
		"sem\tcreate\t--value=99999999999\nsem\tcreate\t--excl\nsem\tcreate\t--excl",
		"sem\twait\t--timeout\nsem\twait\t--timeout=-1s\nsem\tpost\t--json=maybe",
		"shm\tcreate\t--size=4K\nshm\twrite\t--offset=4090\t-\nshm\tcat\t--hex\nshm\ttruncate\t0",
		"shm\tcreate\t--size=0x10\nshm\tcat\nshm\ttruncate\t-1\nshm\ttruncate\t1K\textra",
		"shm\tcreate\nshm\tcreate\t--size=4Q\nshm\twrite\t--offset=99999999999G",
		"mq\tcreate\t--maxmsg=2\t--msgsize=16\nmq\tsend\t--prio=32767\thello\nmq\tsend\t--prio=32768\tx\nmq\trecv\t--count=3",
		"mq\tcreate\t--maxmsg=11\nmq\tcreate\t--msgsize=8193\nmq\tattr\t--json\nmq\tsend\t-",
		"mq\tcreate\t--maxmsg=1\t--msgsize=1\nmq\tsend\ttoolong\nmq\tsend\t-\nmq\trecv\t--json",
		"stat\t--json\nls\t--type=sem,shm\t--bytes\nrm\tother\t--dry-run\nrm",
		"ls\t--type=bogus\nls\t--mount\nrm\t--all\t--prefix=/\nlimits\t--json",
		"locks\nlocks\tnofile\nlimits\textra\nhelp\tmq",
		"sem\nsem\tbogus\nshm\t--help\nmq\thelp",
		"bogus\n--help\nhelp\tnosuchtopic\n-h",
		"sem\tcreate\t--\t-x\nsem\tvalue\t-5\nsem\tpost\t-h\nsem\tcreate\t--value",
		"sem\tcreate\t--nosuch\nsem\tcreate\t-v\nsem\tcreate\t--mode=0800\nsem\tcreate\t--mode=77777",
	} {
		f.Add(uint8(1), "n", s, []byte("stdin data\x00\xff"))
	}
	f.Add(uint8(0), "n", "sem\tcreate\nsem\tvalue", []byte{})
	f.Add(uint8(2), "n", "mq\tcreate\nshm\tcreate\t--size=1", []byte{})
	f.Add(uint8(1), "a/b", "sem\tcreate\nshm\tcreate\nmq\tcreate\nstat", []byte{})
	f.Add(uint8(1), "nul\x00", "sem\tcreate\nshm\tcat\nmq\tattr\nrm", []byte{})
	f.Add(uint8(1), strings.Repeat("L", 250), "sem\tcreate\nshm\tcreate\nmq\tcreate\nls", []byte{})
	f.Add(uint8(1), "\x1b[2J\n", "shm\tcreate\t--size=1\nls\nstat\t--json", []byte{})

	dir := f.TempDir()
	// Start the netpoller (an epoll descriptor kept for ever) before counting.
	r, w, err := posix.Pipe()
	require.NoError(f, err)
	r.Close()
	w.Close()
	f.Fuzz(func(t *testing.T, slashes uint8, suffix, script string, stdin []byte) {
		name := strings.Repeat("/", int(slashes%3)) + cliPrefix + suffix
		defer func() {
			canon := "/" + cliPrefix + suffix
			if strings.IndexByte(canon, 0) < 0 {
				for _, err := range []error{posix.UnlinkSemaphore(canon), posix.UnlinkSharedMemory(canon), posix.UnlinkMessageQueue(canon)} {
					if err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENAMETOOLONG) && !errors.Is(err, unix.EACCES) {
						t.Errorf("cleanup of %q: %v", canon, err)
					}
				}
			}
			ents, err := os.ReadDir("/dev/shm")
			require.NoError(t, err)
			for _, e := range ents {
				if strings.Contains(e.Name(), cliPrefix) {
					os.Remove("/dev/shm/" + e.Name())
					t.Fatalf("left in /dev/shm: %q", e.Name())
				}
			}
		}()

		in := dir + "/stdin"
		require.NoError(t, os.WriteFile(in, stdin, 0o600))
		oldOut, oldErr, oldIn := os.Stdout, os.Stderr, os.Stdin
		defer func() { os.Stdout, os.Stderr, os.Stdin = oldOut, oldErr, oldIn }()

		before := fdCount(t)
		lines := strings.Split(script, "\n")
		if len(lines) > 4 {
			lines = lines[:4]
		}
		for _, line := range lines {
			args := cliArgs(line, name)
			if args == nil {
				continue
			}
			outF, err := os.Create(dir + "/stdout")
			require.NoError(t, err)
			errF, err := os.Create(dir + "/stderr")
			require.NoError(t, err)
			inF, err := os.Open(in)
			require.NoError(t, err)
			os.Stdout, os.Stderr, os.Stdin = outF, errF, inF
			done := make(chan int, 1)
			go func() { done <- run(args) }()
			var rc int
			select {
			case rc = <-done:
			case <-time.After(10 * time.Second):
				os.Stdout, os.Stderr, os.Stdin = oldOut, oldErr, oldIn
				t.Fatalf("run(%q) did not return within 10 s", args)
			}
			os.Stdout, os.Stderr, os.Stdin = oldOut, oldErr, oldIn
			outF.Close()
			errF.Close()
			inF.Close()
			msg, err := os.ReadFile(dir + "/stderr")
			require.NoError(t, err)
			require.Containsf(t, []int{exitOK, exitFail, exitUsage}, rc, "run(%q) exit code", args)
			if rc != exitOK {
				require.Truef(t, strings.HasPrefix(string(msg), "posixipc"), "run(%q) = %d with stderr %q", args, rc, msg)
			}
		}
		if after := fdCount(t); after > before {
			// Handles the GC closes (runtime.AddCleanup) are not leaks.
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
			require.LessOrEqual(t, fdCount(t), before, "descriptors leaked by %q", script)
		}
	})
}
