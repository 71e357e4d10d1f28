package tests

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The differential harness (issue 9): each case is a short sequence of
// operations on one name, run three times, each time on a fresh instance of
// the name template:
//
//	(a) through the C peers (sempeer, mqpeer, shmpeer: glibc as a C program
//	    calls it), one process per step;
//	(b) through libcipc's posix package;
//	(c) through the pure-Go equivalent a program without cgo would write
//	    (scenario.RawShmOpen + unix.Mmap, scenario.OpenRawMQAttr +
//	    mq_timedsend(2)); semaphores have none (n/a).
//
// Each step's outcome is "OK", an errno name, or "ErrClosed". (b) must equal
// (a) unless the step is in apiDiffs, which cites the docs/SEMANTICS.md line
// that documents the difference. Every (c) ≠ (a) step is collected, and the
// collection must be exactly pureGoDiffs, each listed under "What pure-Go
// versions get wrong" in docs/SEMANTICS.md: a new difference, or one that
// went away, fails the test.

// dop is one operation of a case.
type dop struct {
	kind string // open, unlink, send, closed, mmap, sized, race, nobody, symlink
	flag int    // open flags (sem, shm, mq) and the open of send/mmap/nobody
	mode uint32
	// sem_open's value; mq attributes (maxmsg < 0: no attr); send's priority
	// and size; mmap's offset, length, protection and flags; sized's size.
	value           uint32
	maxmsg, msgsize int64
	prio            uint
	size            int
	off             int64
	length          int
	prot, mflags    int
}

// dcase is a sequence of operations on one name. tmpl makes the name from a
// fresh uniqueName N ("/libcipc-PID-SEQ", padded with 'n' to pad bytes when
// pad > 0): "{N}" is N, "{n}" N without its slash.
type dcase struct {
	name   string
	family string // sem, shm, mq
	tmpl   string
	pad    int
	root   bool // needs root (a uid-65534 child)
	steps  []dop
}

const (
	crw  = unix.O_CREAT | unix.O_EXCL | unix.O_RDWR
	prot = unix.PROT_READ | unix.PROT_WRITE
)

var (
	// Operations by family; the flags differ (sem_open takes no access mode).
	dCreate = map[string]dop{
		"sem": {kind: "open", flag: unix.O_CREAT | unix.O_EXCL, mode: 0o600},
		"shm": {kind: "open", flag: crw, mode: 0o600},
		"mq":  {kind: "open", flag: crw, mode: 0o600, maxmsg: -1},
	}
	dOpen = map[string]dop{
		"sem": {kind: "open"},
		"shm": {kind: "open", flag: unix.O_RDWR},
		"mq":  {kind: "open", flag: unix.O_RDWR, maxmsg: -1},
	}
	dUnlink = dop{kind: "unlink"}
)

func mqCreate(maxmsg, msgsize int64) dop {
	return dop{kind: "open", flag: crw, mode: 0o600, maxmsg: maxmsg, msgsize: msgsize}
}

func mqSend(flag int, prio uint, size int) dop {
	return dop{kind: "send", flag: flag, prio: prio, size: size}
}

func shmMap(flag int, off int64, length, prot int) dop {
	return dop{kind: "mmap", flag: flag, off: off, length: length, prot: prot, mflags: unix.MAP_SHARED}
}

func differentialCases() []dcase {
	var cs []dcase
	names := []struct {
		label, tmpl string
		pad         int
	}{
		{`"/x"`, "{N}", 0},
		{`"x" (no leading slash)`, "{n}", 0},
		{`"//x"`, "/{N}", 0},
		{`"/a/b" (inner slash)`, "{N}/b", 0},
		{"255 bytes", "{N}", 255},
		{"256 bytes", "{N}", 256},
		{"300 bytes", "{N}", 300},
		{`""`, "", 0},
	}
	for _, f := range []string{"sem", "shm", "mq"} {
		for _, n := range names {
			cs = append(cs, dcase{name: f + " name " + n.label, family: f, tmpl: n.tmpl, pad: n.pad,
				steps: []dop{dCreate[f], dOpen[f], dUnlink}})
		}
		cs = append(cs,
			dcase{name: f + " EEXIST and ENOENT", family: f, tmpl: "{N}",
				steps: []dop{dOpen[f], dUnlink, dCreate[f], dCreate[f], dOpen[f], dUnlink, dUnlink, dOpen[f]}},
			dcase{name: f + " O_EXCL race of 8 creators", family: f, tmpl: "{N}",
				steps: []dop{{kind: "race"}, dUnlink}},
			dcase{name: f + " permission denied to uid 65534", family: f, tmpl: "{N}", root: true,
				steps: []dop{dCreate[f], {kind: "nobody", flag: dOpen[f].flag}, dUnlink}},
		)
	}
	cs = append(cs,
		dcase{name: "mq attr limits", family: "mq", tmpl: "{N}", steps: []dop{
			mqCreate(0, 64), mqCreate(4, 0), mqCreate(11, 64), mqCreate(10, 8193), mqCreate(-1, 0),
			dUnlink, mqCreate(10, 8192), dUnlink,
		}},
		dcase{name: "mq send priorities and sizes", family: "mq", tmpl: "{N}", steps: []dop{
			mqCreate(10, 64),
			mqSend(unix.O_WRONLY, posix.MQPrioMax-1, 1),
			mqSend(unix.O_WRONLY, posix.MQPrioMax, 1),
			mqSend(unix.O_WRONLY, 0, 64),
			mqSend(unix.O_WRONLY, 0, 65),
			mqSend(unix.O_WRONLY, 0, 0),
			mqSend(unix.O_RDONLY, 0, 1),
			{kind: "closed", prio: 0, size: 1},
			dUnlink,
		}},
		// symlink is the same setup in (a), (b) and (c), made by this test:
		// /dev/shm/NAME is a symbolic link to the regular file NAME-target.
		dcase{name: "shm name that is a symbolic link", family: "shm", tmpl: "{N}", steps: []dop{
			{kind: "symlink"}, dOpen["shm"], dUnlink,
		}},
		dcase{name: "shm mmap offsets and lengths", family: "shm", tmpl: "{N}", steps: []dop{
			{kind: "sized", size: 8192},
			shmMap(unix.O_RDWR, 0, 4096, prot),
			shmMap(unix.O_RDWR, 1, 4096, prot),
			shmMap(unix.O_RDWR, 4095, 4096, prot),
			shmMap(unix.O_RDWR, 4096, 4096, prot),
			shmMap(unix.O_RDWR, 0, 0, prot),
			shmMap(unix.O_RDWR, 16384, 4096, prot),
			shmMap(unix.O_RDWR, -4096, 4096, prot),
			shmMap(unix.O_RDONLY, 0, 4096, prot),
			shmMap(unix.O_RDONLY, 0, 4096, unix.PROT_READ),
			{kind: "closed", off: 0, length: 4096, prot: prot, mflags: unix.MAP_SHARED},
			dUnlink,
		}},
	)
	return cs
}

// apiDiffs: (b) ≠ (a) steps ("case#step", 1-based), each with the
// docs/SEMANTICS.md text that documents it.
var apiDiffs = map[string]string{
	"mq send priorities and sizes#8":  "A method on a closed handle returns an error wrapping `os.ErrClosed`",
	"shm mmap offsets and lengths#11": "A method on a closed handle returns an error wrapping `os.ErrClosed`",
}

// pureGoDiffs: every (c) ≠ (a) step, as "case#step: a=X c=Y".
var pureGoDiffs = []string{
	`shm name "/a/b" (inner slash)#1: a=EINVAL c=ENOENT`,
	`shm name "/a/b" (inner slash)#2: a=EINVAL c=ENOENT`,
	`shm name 300 bytes#1: a=EINVAL c=ENAMETOOLONG`,
	`shm name 300 bytes#2: a=EINVAL c=ENAMETOOLONG`,
	`shm name 300 bytes#3: a=ENOENT c=ENAMETOOLONG`,
	`shm name ""#1: a=EINVAL c=EISDIR`,
	`shm name ""#2: a=EINVAL c=EISDIR`,
	`shm name ""#3: a=ENOENT c=EISDIR`,
	`shm name that is a symbolic link#2: a=ELOOP c=OK`,
	`mq name "x" (no leading slash)#1: a=EINVAL c=OK`,
	`mq name "x" (no leading slash)#2: a=EINVAL c=OK`,
	`mq name "x" (no leading slash)#3: a=EINVAL c=OK`,
	`mq name ""#1: a=EINVAL c=ENOENT`,
	`mq name ""#2: a=EINVAL c=ENOENT`,
	`mq name ""#3: a=EINVAL c=ENOENT`,
}

func (d dcase) instance() string {
	n := uniqueName()
	if d.pad > 0 {
		n += strings.Repeat("n", d.pad-len(n))
	}
	return strings.NewReplacer("{N}", n, "{n}", n[1:]).Replace(d.tmpl)
}

var peerOf = map[string]string{"sem": "sempeer", "shm": "shmpeer", "mq": "mqpeer"}

// outcome names an error: "OK", "ErrClosed" or the errno's name.
func outcome(err error) string {
	var e unix.Errno
	switch {
	case err == nil:
		return "OK"
	case errors.Is(err, os.ErrClosed):
		return "ErrClosed"
	case errors.As(err, &e):
		return unix.ErrnoName(e)
	}
	return "error: " + err.Error()
}

// probeOutcome reads a `result=R errno=E ename=N` line.
func probeOutcome(line string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "errno="); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				break
			}
			if n == 0 {
				return "OK"
			}
			if n < 0 {
				return "error: " + line
			}
			return unix.ErrnoName(unix.Errno(n))
		}
	}
	return "no probe line: " + line
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// cArgs is the C peer's command line for op on name.
func cArgs(family string, op dop, name string) []string {
	switch family + " " + op.kind {
	case "sem open", "sem race", "sem nobody":
		return []string{"open", name, itoa(int64(op.flag)), itoa(int64(op.mode)), itoa(int64(op.value))}
	case "shm open", "shm race", "shm nobody":
		return []string{"open", name, itoa(int64(op.flag)), itoa(int64(op.mode))}
	case "mq open", "mq race", "mq nobody":
		return []string{"open", name, itoa(int64(op.flag)), itoa(int64(op.mode)), itoa(op.maxmsg), itoa(op.msgsize)}
	case "sem unlink", "shm unlink", "mq unlink":
		return []string{"unlink", name}
	case "mq send":
		return []string{"send", name, itoa(int64(op.flag)), itoa(int64(op.prio)), itoa(int64(op.size))}
	case "mq closed":
		return []string{"send-closed", name, itoa(int64(op.prio)), itoa(int64(op.size))}
	case "shm mmap":
		return []string{"mmap", name, itoa(int64(op.flag)), itoa(op.off), itoa(int64(op.length)), itoa(int64(op.prot)), itoa(int64(op.mflags))}
	case "shm closed":
		return []string{"mmap-closed", name, itoa(op.off), itoa(int64(op.length)), itoa(int64(op.prot)), itoa(int64(op.mflags))}
	case "shm sized":
		return []string{"create", name, itoa(int64(op.size)), "1"}
	}
	panic("no C probe for " + family + " " + op.kind)
}

const raceN = 8

// raceOp is the O_EXCL race: the creators of dCreate[family], all at once.
func raceOp(family string) dop { return dCreate[family] }

// summarize counts outcomes: "EEXIST×7 OK×1".
func summarize(outs []string) string {
	n := map[string]int{}
	for _, o := range outs {
		n[o]++
	}
	var parts []string
	for o, k := range n {
		parts = append(parts, fmt.Sprintf("%s×%d", o, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// runC is (a): each step in its own C peer process.
func runC(t *testing.T, family string, op dop, name string) string {
	peer := cpeer(t, peerOf[family])
	switch op.kind {
	case "race":
		ps := make([]*proc, raceN)
		for i := range ps {
			ps[i] = start(t, append([]string{peer}, cArgs(family, raceOp(family), name)...), nil)
		}
		outs := make([]string, raceN)
		for i, p := range ps {
			outs[i] = probeOutcome(p.finish(t))
		}
		return summarize(outs)
	case "nobody":
		op.mode = 0
		return probeOutcome(start(t, append([]string{peer}, cArgs(family, op, name)...), nil, asNobody).finish(t))
	case "sized":
		out, err := start(t, append([]string{peer}, cArgs(family, op, name)...), nil).Finish()
		if err != nil {
			return "error: " + err.Error()
		}
		if !strings.HasPrefix(out, "created") {
			return "error: " + out
		}
		return "OK"
	}
	return probeOutcome(start(t, append([]string{peer}, cArgs(family, op, name)...), nil).finish(t))
}

// race runs fn raceN times at once.
func race(fn func() error) string {
	outs := make([]string, raceN)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			outs[i] = outcome(fn())
		}()
	}
	close(gate)
	wg.Wait()
	return summarize(outs)
}

// goRole is a step played by this test binary as uid 65534.
func nobodyRole(t *testing.T, role string, args ...string) string {
	exe := nobodyExe(t)
	return probeOutcome(start(t, []string{exe, "-test.run=^$"}, []string{roleEnv + "=" + role, argsEnv + "=" + strings.Join(args, "\x1f")}, asNobody).finish(t))
}

// runAPI is (b): libcipc's posix package.
func runAPI(t *testing.T, family string, op dop, name string) string {
	open := func(op dop) error {
		switch family {
		case "sem":
			s, err := posix.OpenSemaphore(name, op.flag, op.mode, op.value)
			if err == nil {
				s.Close()
			}
			return err
		case "shm":
			s, err := posix.OpenSharedMemory(name, op.flag, op.mode)
			if err == nil {
				s.Close()
			}
			return err
		}
		var attr *posix.MQAttr
		if op.maxmsg >= 0 {
			attr = &posix.MQAttr{MaxMsg: op.maxmsg, MsgSize: op.msgsize}
		}
		q, err := posix.OpenMessageQueue(name, op.flag, op.mode, attr)
		if err == nil {
			q.Close()
		}
		return err
	}
	switch family + " " + op.kind {
	case "sem open", "shm open", "mq open":
		return outcome(open(op))
	case "sem race", "shm race", "mq race":
		return race(func() error { return open(raceOp(family)) })
	case "sem unlink":
		return outcome(posix.UnlinkSemaphore(name))
	case "shm unlink":
		return outcome(posix.UnlinkSharedMemory(name))
	case "mq unlink":
		return outcome(posix.UnlinkMessageQueue(name))
	case "sem nobody":
		return nobodyRole(t, "open", name, itoa(int64(op.flag)), "0", "0")
	case "shm nobody":
		return nobodyRole(t, "shm-open", name, itoa(int64(op.flag)), "0")
	case "mq nobody":
		return nobodyRole(t, "mq-open", name, itoa(int64(op.flag)), "0")
	case "mq send", "mq closed":
		flag := op.flag
		if op.kind == "closed" {
			flag = unix.O_WRONLY
		}
		q, err := posix.OpenMessageQueue(name, flag, 0, nil)
		if err != nil {
			return outcome(err)
		}
		if op.kind == "closed" {
			q.Close()
		} else {
			defer q.Close()
		}
		return outcome(q.Send(make([]byte, op.size), op.prio))
	case "shm mmap", "shm closed":
		flag := op.flag
		if op.kind == "closed" {
			flag = unix.O_RDWR
		}
		s, err := posix.OpenSharedMemory(name, flag, 0)
		if err != nil {
			return outcome(err)
		}
		if op.kind == "closed" {
			s.Close()
		} else {
			defer s.Close()
		}
		m, err := s.Map(op.off, op.length, op.prot, op.mflags)
		if err == nil {
			m.Unmap()
		}
		return outcome(err)
	case "shm sized":
		s, err := posix.OpenSharedMemory(name, crw, 0o600)
		if err != nil {
			return outcome(err)
		}
		defer s.Close()
		return outcome(s.Truncate(int64(op.size)))
	}
	panic("no API step for " + family + " " + op.kind)
}

// runPureGo is (c): what a Go program without cgo does; "n/a" for semaphores.
func runPureGo(t *testing.T, family string, op dop, name string) string {
	if family == "sem" {
		return "n/a"
	}
	open := func(op dop) error {
		if family == "shm" {
			fd, err := scenario.RawShmOpen(name, op.flag, op.mode)
			if err == nil {
				unix.Close(fd)
			}
			return err
		}
		q, err := scenario.OpenRawMQAttr(name, op.flag, op.mode, op.maxmsg, op.msgsize)
		if err == nil {
			q.Close()
		}
		return err
	}
	switch family + " " + op.kind {
	case "shm open", "mq open":
		return outcome(open(op))
	case "shm race", "mq race":
		return race(func() error { return open(raceOp(family)) })
	case "shm unlink":
		return outcome(scenario.RawShmUnlink(name))
	case "mq unlink":
		return outcome(scenario.RawMQUnlink(name))
	case "shm nobody":
		return nobodyRole(t, "shm-open-raw", name, itoa(int64(op.flag)), "0")
	case "mq nobody":
		return nobodyRole(t, "mq-open-raw", name, itoa(int64(op.flag)), "0")
	case "mq send", "mq closed":
		flag := op.flag
		if op.kind == "closed" {
			flag = unix.O_WRONLY
		}
		q, err := scenario.OpenRawMQAttr(name, flag, 0, -1, 0)
		if err != nil {
			return outcome(err)
		}
		if op.kind == "closed" {
			q.Close()
		} else {
			defer q.Close()
		}
		return outcome(q.Send(make([]byte, op.size), op.prio))
	case "shm mmap", "shm closed":
		flag := op.flag
		if op.kind == "closed" {
			flag = unix.O_RDWR
		}
		fd, err := scenario.RawShmOpen(name, flag, 0)
		if err != nil {
			return outcome(err)
		}
		if op.kind == "closed" {
			unix.Close(fd)
		} else {
			defer unix.Close(fd)
		}
		b, err := unix.Mmap(fd, op.off, op.length, op.prot, op.mflags)
		if err == nil {
			unix.Munmap(b)
		}
		return outcome(err)
	case "shm sized":
		fd, err := scenario.RawShmOpen(name, crw, 0o600)
		if err != nil {
			return outcome(err)
		}
		defer unix.Close(fd)
		return outcome(unix.Ftruncate(fd, int64(op.size)))
	}
	panic("no pure-Go step for " + family + " " + op.kind)
}

// shmSymlink makes /dev/shm/NAME a symbolic link to a new regular file
// /dev/shm/NAME-target.
func shmSymlink(name string) error {
	path := scenario.RawShmPath(name)
	if err := os.WriteFile(path+"-target", nil, 0o600); err != nil {
		return err
	}
	return os.Symlink(path+"-target", path)
}

// removeAll removes whatever a case may have left under name, by every route.
func removeAll(family, name string) {
	canon := "/" + strings.TrimLeft(name, "/")
	switch family {
	case "sem":
		posix.UnlinkSemaphore(name)
		posix.UnlinkSemaphore(canon)
	case "shm":
		posix.UnlinkSharedMemory(name)
		posix.UnlinkSharedMemory(canon)
		scenario.RawShmUnlink(name)
	case "mq":
		posix.UnlinkMessageQueue(name)
		posix.UnlinkMessageQueue(canon)
		scenario.RawMQUnlink(name)
	}
}

func TestDifferentialCAPIPureGo(t *testing.T) {
	semantics, err := os.ReadFile("../docs/SEMANTICS.md")
	require.NoError(t, err)
	doc := string(semantics)
	wrong := ""
	if i := strings.Index(doc, "## What pure-Go versions get wrong"); i >= 0 {
		wrong = doc[i:]
	}
	var found []string
	seenAPIDiff := map[string]bool{}
	cases, ran := differentialCases(), 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ran++
			if c.root && os.Geteuid() != 0 {
				t.Skip("needs root to start a uid 65534 child")
			}
			names := map[string]string{}
			run := map[string]func(*testing.T, string, dop, string) string{"a": runC, "b": runAPI, "c": runPureGo}
			results := map[string][]string{}
			for _, impl := range []string{"a", "b", "c"} {
				name := c.instance()
				names[impl] = name
				t.Cleanup(func() { removeAll(c.family, name) })
				t.Cleanup(func() { os.Remove(scenario.RawShmPath(name) + "-target") })
				for _, op := range c.steps {
					if op.kind == "symlink" {
						results[impl] = append(results[impl], outcome(shmSymlink(name)))
						continue
					}
					results[impl] = append(results[impl], run[impl](t, c.family, op, name))
				}
			}
			for i, op := range c.steps {
				key := fmt.Sprintf("%s#%d", c.name, i+1)
				a, b, g := results["a"][i], results["b"][i], results["c"][i]
				t.Logf("step %d %-6s a(C)=%-12s b(libcipc)=%-12s c(pure Go)=%s", i+1, op.kind, a, b, g)
				require.NotContains(t, a, "error", "the C peer's step %d", i+1)
				if cite, ok := apiDiffs[key]; ok {
					seenAPIDiff[key] = true
					assert.NotEqual(t, a, b, "%s: documented as a difference, but libcipc now agrees with C", key)
					assert.Contains(t, doc, cite, "%s: the cited line is not in docs/SEMANTICS.md", key)
				} else {
					assert.Equal(t, a, b, "%s: libcipc differs from C (name %q)", key, names["b"])
				}
				if g != "n/a" && g != a {
					found = append(found, fmt.Sprintf("%s: a=%s c=%s", key, a, g))
					assert.True(t, strings.Contains(wrong, c.name), "docs/SEMANTICS.md, What pure-Go versions get wrong, does not name the case %q", c.name)
				}
			}
		})
	}
	if ran < len(cases) { // -run chose some cases: check only what ran
		assert.Subset(t, pureGoDiffs, found, "new pure-Go differences")
		return
	}
	for key := range apiDiffs {
		assert.True(t, seenAPIDiff[key], "apiDiffs names a step no case has: %s", key)
	}
	assert.ElementsMatch(t, pureGoDiffs, found, "the pure-Go differences changed; found:\n%s", strings.Join(found, "\n"))
}
