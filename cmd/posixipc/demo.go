package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

const roleVerb = "__role"

// demoEnv holds what every scenario needs: where the C peer is, how to start
// this binary in a role, and the prefix of every object name it creates.
type demoEnv struct {
	self    string
	peer    string // sempeer
	mqpeer  string
	shmpeer string
	prefix  string
	seq     int
}

func (e *demoEnv) name() string {
	e.seq++
	return fmt.Sprintf("/%s%d", e.prefix, e.seq)
}

// role starts role in Go (this binary) or C (the peer).
func (e *demoEnv) role(lang, role string, args ...string) (*scenario.Proc, error) {
	if lang == "C" {
		return scenario.Start(append([]string{e.peer, role}, args...), nil)
	}
	return scenario.Start(append([]string{e.self, roleVerb, role}, args...), nil)
}

// shmRole starts a shared memory role in Go or C (shmpeer).
func (e *demoEnv) shmRole(lang, role string, args ...string) (*scenario.Proc, error) {
	if lang == "C" {
		return scenario.Start(append([]string{e.shmpeer, role}, args...), nil)
	}
	return scenario.Start(append([]string{e.self, roleVerb, role}, args...), nil)
}

// mqRole starts a message queue role in Go or C (mqpeer).
func (e *demoEnv) mqRole(lang, role string, args ...string) (*scenario.Proc, error) {
	if lang == "C" {
		return scenario.Start(append([]string{e.mqpeer, role}, args...), nil)
	}
	return scenario.Start(append([]string{e.self, roleVerb, role}, args...), nil)
}

type scenarioFn struct {
	name, title string
	run         func(*demoEnv) error
}

var scenarios = []scenarioFn{
	{"handshake", "process-sem-before / process-sem-after: a named semaphore of value 0 orders two processes (seed 004)", demoHandshake},
	{"mutex", "mutual exclusion: a named semaphore of value 1 guards a counter in shared memory, 4 processes (seeds 003, 004)", demoMutex},
	{"ring", "producer/consumer: empty/full/mutex semaphores placed in a shared memory ring (seed 003)", demoRing},
	{"order", "\"after\" never runs before \"before\": an unnamed semaphore of value 0 between two threads (seed 003)", demoOrder},
	{"errno", "the same calls from Go and from C report the same errno (sem_open(3), sem_wait(3))", demoErrno},
	{"shm", "shared memory: shm_open, ftruncate, mmap, use, munmap, shm_unlink between Go and C; MAP_SHARED vs MAP_PRIVATE; lazy fault-in (seed 002)", demoShm},
	{"mq", "message queues: higher priority first, FIFO within a priority, and a stream, between Go and C processes (seed 001)", demoMQ},
	{"filelock", "file-lock contention between Go and C processes: flock, fcntl record locks, lockf, F_GETLK naming the holder, with the /proc/locks view", demoFileLock},
	{"sigqueue", "30 sigqueue'd realtime values all arrive with their values vs 30 SIGUSR1 sent while blocked arriving as 1", demoSigqueue},
	{"spawn", "posix_spawn with a file action, a zombie until waitpid, exit status vs killed by a signal vs core dump", demoSpawn},
}

func scenarioNames() []string {
	var n []string
	for _, s := range scenarios {
		n = append(n, s.name)
	}
	return n
}

// demoRow is one line of the demo's summary table.
type demoRow struct {
	name, result string
	took         time.Duration
	note         string
}

func demo(args []string) int {
	o, err := parseFlags(args, "peers")
	if err != nil {
		return fail("demo", err)
	}
	if o.help {
		return help("demo")
	}
	if o.json {
		return fail("demo", usagef("the demo prints its steps in plain words; --json is not available"))
	}
	peers := o.peers
	run := scenarios
	if len(o.args) > 0 {
		run = nil
		for _, c := range o.args {
			found := false
			for _, s := range scenarios {
				if s.name == c {
					run, found = append(run, s), true
				}
			}
			if !found {
				fmt.Fprintf(os.Stderr, "posixipc: unknown scenario %q (scenarios: %s)\n", c, strings.Join(scenarioNames(), ", "))
				return 2
			}
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "posixipc:", err)
		return 1
	}
	if peers == "" {
		dir, err := os.MkdirTemp("", "posixipc-peers-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "posixipc:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		if err := scenario.BuildPeers("tests/cpeers", dir); err != nil {
			fmt.Fprintln(os.Stderr, "posixipc: building the C peers (run from the module root, or pass --peers):", err)
			return 1
		}
		peers = dir
	}
	env := &demoEnv{self: self, peer: peers + "/sempeer", mqpeer: peers + "/mqpeer", shmpeer: peers + "/shmpeer", prefix: fmt.Sprintf("libcipc-demo-%d-", os.Getpid())}
	failed := 0
	var rows []demoRow
	for _, s := range run {
		fmt.Printf("\n== %s: %s\n", s.name, s.title)
		start := time.Now()
		err := s.run(env)
		took := time.Since(start)
		if err != nil {
			failed++
			fmt.Printf("   FAIL %s: %v\n", s.name, err)
			rows = append(rows, demoRow{s.name, "FAIL", took, firstLine(err.Error())})
		} else {
			fmt.Printf("   ok   %s (%v)\n", s.name, took.Round(time.Millisecond))
			rows = append(rows, demoRow{s.name, "pass", took, ""})
		}
	}
	// Nothing may be left behind: every object the scenarios named.
	if left := env.leftovers(); len(left) > 0 {
		failed++
		fmt.Printf("\n   FAIL cleanup: left behind (now removed): %s\n", strings.Join(left, " "))
		rows = append(rows, demoRow{"cleanup", "FAIL", 0, "objects left behind: " + strings.Join(left, " ")})
	} else {
		fmt.Printf("\n   nothing left behind: no object named %s* in /dev/shm or as a message queue, no %s* temp dir, no child process\n",
			"/"+env.prefix, filepath.Join(os.TempDir(), env.prefix))
	}
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tRESULT\tTIME\tNOTE")
	for _, r := range rows {
		took := "-"
		if r.name != "cleanup" {
			took = r.took.Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.name, r.result, took, r.note)
	}
	tw.Flush()
	fmt.Println()
	if failed > 0 {
		fmt.Printf("demo: %d of %d scenarios FAILED\n", failed, len(run))
		return 1
	}
	fmt.Printf("demo: all %d scenarios passed\n", len(run))
	return 0
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// leftovers finds, and removes, every object the demo named that still
// exists: /dev/shm entries with the demo's prefix (semaphores as sem.NAME)
// and message queues (found by name: /dev/mqueue may not be mounted).
func (e *demoEnv) leftovers() []string {
	var left []string
	entries, _ := os.ReadDir(shmDir)
	for _, d := range entries {
		if rest, isSem := strings.CutPrefix(d.Name(), "sem."); isSem && strings.HasPrefix(rest, e.prefix) {
			posix.UnlinkSemaphore("/" + rest)
			left = append(left, shmDir+"/"+d.Name())
		} else if strings.HasPrefix(d.Name(), e.prefix) {
			posix.UnlinkSharedMemory("/" + d.Name())
			left = append(left, shmDir+"/"+d.Name())
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), e.prefix+"*"))
	for _, d := range dirs {
		os.RemoveAll(d)
		left = append(left, d)
	}
	// Children: a zombie nobody reaped, or a process still running.
	self := strconv.Itoa(os.Getpid())
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + p.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 || f[1] != self {
			continue
		}
		left = append(left, fmt.Sprintf("child %d (state %s)", pid, f[0]))
		posix.Kill(pid, unix.SIGKILL)
		posix.Waitpid(pid, 0)
	}
	for i := 1; i <= e.seq; i++ {
		name := fmt.Sprintf("/%s%d", e.prefix, i)
		if q, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil); err == nil {
			q.Close()
			posix.UnlinkMessageQueue(name)
			left = append(left, "mqueue:"+name)
		}
	}
	return left
}

func finishAll(ps ...*scenario.Proc) ([]string, error) {
	outs := make([]string, len(ps))
	var firstErr error
	for i, p := range ps {
		out, err := p.Finish()
		outs[i] = out
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return outs, firstErr
}

func stamp(out, prefix string) (int64, error) {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, prefix) {
			return strconv.ParseInt(line[strings.LastIndex(line, "t=")+2:], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %q line in %q", prefix, out)
}

func demoHandshake(e *demoEnv) error {
	for _, pair := range [][2]string{{"Go", "Go"}, {"Go", "C"}, {"C", "Go"}, {"C", "C"}} {
		name := e.name()
		after, err := e.role(pair[1], "after", name, "10000")
		if err != nil {
			return err
		}
		before, err := e.role(pair[0], "before", name, "200")
		if err != nil {
			after.Kill()
			return err
		}
		outs, err := finishAll(before, after)
		posix.UnlinkSemaphore(name) // normally already done by after
		if err != nil {
			return err
		}
		bt, err1 := stamp(outs[0], "before done")
		at, err2 := stamp(outs[1], "after done")
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%v %v", err1, err2)
		}
		fmt.Printf("   before=%-2s after=%-2s  %s  |  %s\n", pair[0], pair[1], noStamp(outs[0]), noStamp(outs[1]))
		if at <= bt {
			return fmt.Errorf("after (t=%d) ran before before (t=%d)", at, bt)
		}
		fmt.Printf("                        after woke %v after before posted (after was started first and blocked in sem_wait)\n",
			time.Duration(at-bt).Round(time.Microsecond))
		if _, err := posix.OpenSemaphore(name, 0, 0, 0); err == nil {
			return fmt.Errorf("after did not unlink %s", name)
		}
	}
	return nil
}

// noStamp drops the " t=…" instant from a handshake line.
func noStamp(line string) string {
	if i := strings.LastIndex(line, " t="); i >= 0 {
		return line[:i]
	}
	return line
}

func demoMutex(e *demoEnv) error {
	semName, shmName := e.name(), e.name()
	sem, err := posix.OpenSemaphore(semName, unix.O_CREAT|unix.O_EXCL, 0o600, 1)
	if err != nil {
		return err
	}
	defer posix.UnlinkSemaphore(semName)
	defer sem.Close()
	shm, err := posix.OpenSharedMemory(shmName, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer posix.UnlinkSharedMemory(shmName)
	defer shm.Close()
	if err := shm.Truncate(scenario.RingSize); err != nil {
		return err
	}
	m, err := shm.Map(0, scenario.RingSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return err
	}
	defer m.Unmap()
	const iters = 20000
	langs := []string{"Go", "C", "Go", "C"}
	var ps []*scenario.Proc
	for _, l := range langs {
		p, err := e.role(l, "mutex", semName, shmName, strconv.Itoa(iters))
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	if _, err := finishAll(ps...); err != nil {
		return err
	}
	counter, violations := scenario.MutexResult(m)
	fmt.Printf("   processes %s, %d increments each: counter=%d (want %d), violations=%d\n",
		strings.Join(langs, ","), iters, counter, len(langs)*iters, violations)
	if counter != uint64(len(langs)*iters) || violations != 0 {
		return fmt.Errorf("mutual exclusion broken")
	}
	return nil
}

func demoRing(e *demoEnv) error {
	const count = 100000
	want := scenario.RingSum(count)
	for _, c := range []struct{ init, prod, cons string }{{"Go", "Go", "C"}, {"C", "C", "Go"}, {"Go", "C", "Go"}, {"C", "Go", "C"}} {
		name := e.name()
		cons, err := e.role(c.cons, "consumer", name, strconv.Itoa(count))
		if err != nil {
			return err
		}
		prod, err := e.role(c.prod, "producer", name, strconv.Itoa(count))
		if err != nil {
			cons.Kill()
			return err
		}
		init, err := e.role(c.init, "ring-init", name)
		if err != nil {
			cons.Kill()
			prod.Kill()
			return err
		}
		start := time.Now()
		outs, err := finishAll(init, prod, cons)
		posix.UnlinkSharedMemory(name)
		if err != nil {
			return err
		}
		fmt.Printf("   init=%-2s producer=%-2s consumer=%-2s  %d items through 16 slots in %v: %s\n",
			c.init, c.prod, c.cons, count, time.Since(start).Round(time.Millisecond), outs[2])
		if outs[1] != fmt.Sprintf("produced %d sum=%d", count, want) || outs[2] != fmt.Sprintf("consumed %d sum=%d", count, want) {
			return fmt.Errorf("sums differ: %q / %q, want sum=%d", outs[1], outs[2], want)
		}
	}
	return nil
}

func demoOrder(*demoEnv) error {
	const rounds = 1000
	for r := 0; r < rounds; r++ {
		s, err := posix.NewSemaphore(0)
		if err != nil {
			return err
		}
		var beforeDone, afterStart int64
		var wg sync.WaitGroup
		var werr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			werr = s.WaitTimeout(scenario.StepTimeout)
			afterStart = scenario.MonotonicNow()
		}()
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			time.Sleep(time.Duration(r%3) * 100 * time.Microsecond)
			beforeDone = scenario.MonotonicNow()
			s.Post()
		}()
		wg.Wait()
		s.Close()
		if werr != nil {
			return werr
		}
		if afterStart <= beforeDone {
			return fmt.Errorf("round %d: after ran before before", r)
		}
	}
	fmt.Printf("   %d rounds on two OS threads: \"after\" always started after \"before\" posted\n", rounds)
	return nil
}

func demoErrno(e *demoEnv) error {
	existing := e.name()
	s, err := posix.OpenSemaphore(existing, unix.O_CREAT|unix.O_EXCL, 0o600, 0)
	if err != nil {
		return err
	}
	defer posix.UnlinkSemaphore(existing)
	defer s.Close()
	missing := e.name()
	cases := []struct {
		what string
		args []string
	}{
		{"sem_open O_CREAT|O_EXCL of an existing name", []string{existing, "0xc0", "0600", "0"}},
		{"sem_open of a missing name", []string{missing, "0", "0", "0"}},
		{"sem_open with value SEM_VALUE_MAX+1", []string{missing, "0x40", "0600", "2147483648"}},
		{"sem_open with a 253-byte name", []string{"/" + strings.Repeat("n", 253), "0x40", "0600", "0"}},
		{"sem_open with a 300-byte name", []string{"/" + strings.Repeat("n", 300), "0x40", "0600", "0"}},
		{"sem_open of \"/a/b\"", []string{"/a/b", "0x40", "0600", "0"}},
	}
	for _, c := range cases {
		goP, err := e.role("Go", "open", c.args...)
		if err != nil {
			return err
		}
		cP, err := e.role("C", "open", c.args...)
		if err != nil {
			goP.Kill()
			return err
		}
		outs, err := finishAll(goP, cP)
		if err != nil {
			return err
		}
		g, cc := ename(outs[0]), ename(outs[1])
		fmt.Printf("   %-46s Go: %-13s C: %s\n", c.what, g, cc)
		if g != cc {
			return fmt.Errorf("%s: Go says %s, C says %s", c.what, g, cc)
		}
	}
	return nil
}

func ename(line string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "ename="); ok {
			if v == "0" {
				return "success"
			}
			return v
		}
	}
	return "?" + line
}

func demoMQ(e *demoEnv) error {
	newQueue := func(maxmsg int64) (string, func(), error) {
		name := e.name()
		q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, &posix.MQAttr{MaxMsg: maxmsg, MsgSize: 64})
		if err != nil {
			return "", nil, err
		}
		q.Close()
		return name, func() { posix.UnlinkMessageQueue(name) }, nil
	}
	const count = 10
	want := scenario.MQExpectedOrder(count)
	for _, c := range [][2]string{{"C", "Go"}, {"Go", "C"}} {
		name, drop, err := newQueue(count)
		if err != nil {
			return err
		}
		prod, err := e.mqRole(c[0], "produce", name, strconv.Itoa(count))
		if err != nil {
			drop()
			return err
		}
		if _, err := prod.Finish(); err != nil {
			drop()
			return err
		}
		cons, err := e.mqRole(c[1], "consume", name, strconv.Itoa(count))
		if err != nil {
			drop()
			return err
		}
		out, err := cons.Finish()
		drop()
		if err != nil {
			return err
		}
		got := strings.Split(out, "\n")
		if len(got) != count+1 || strings.Join(got[:count], ",") != strings.Join(want, ",") {
			return fmt.Errorf("order: got %q, want %q", got, want)
		}
		fmt.Printf("   producer=%-2s consumer=%-2s  sent priorities %s; received: %s\n", c[0], c[1], sentPrios(count), strings.Join(got[:count], ", "))
	}
	const n, size = 100000, 64
	for _, c := range [][2]string{{"Go", "C"}, {"C", "Go"}} {
		name, drop, err := newQueue(10)
		if err != nil {
			return err
		}
		recv, err := e.mqRole(c[1], "stream-recv", name, strconv.Itoa(n), strconv.Itoa(size))
		if err != nil {
			drop()
			return err
		}
		send, err := e.mqRole(c[0], "stream-send", name, strconv.Itoa(n), strconv.Itoa(size))
		if err != nil {
			recv.Kill()
			drop()
			return err
		}
		start := time.Now()
		outs, err := finishAll(send, recv)
		drop()
		if err != nil {
			return err
		}
		sum := strings.TrimPrefix(outs[0], fmt.Sprintf("sent %d ", n))
		if outs[1] != fmt.Sprintf("received %d %s", n, sum) {
			return fmt.Errorf("stream: sender %q, receiver %q", outs[0], outs[1])
		}
		el := time.Since(start)
		fmt.Printf("   sender=%-2s receiver=%-2s  %d messages of %d bytes in %v (%.0f msg/s), checked in order, %s\n",
			c[0], c[1], n, size, el.Round(time.Millisecond), float64(n)/el.Seconds(), sum)
	}
	return nil
}

func sentPrios(count int) string {
	var p []string
	for i := 0; i < count; i++ {
		p = append(p, strconv.Itoa(int(scenario.MQPrio(i))))
	}
	return strings.Join(p, ",")
}

func demoShm(e *demoEnv) error {
	const size, seed = 1 << 20, 7
	for _, c := range [][2]string{{"C", "Go"}, {"Go", "C"}} {
		name := e.name()
		cr, err := e.shmRole(c[0], "create", name, strconv.Itoa(size), strconv.Itoa(seed))
		if err != nil {
			return err
		}
		created, err := cr.Finish()
		if err != nil {
			posix.UnlinkSharedMemory(name)
			return err
		}
		ve, err := e.shmRole(c[1], "verify", name, strconv.Itoa(size), strconv.Itoa(seed))
		if err != nil {
			posix.UnlinkSharedMemory(name)
			return err
		}
		verified, err := ve.Finish()
		posix.UnlinkSharedMemory(name)
		if err != nil {
			return err
		}
		fmt.Printf("   creator=%-2s verifier=%-2s  %s  |  %s\n", c[0], c[1], created, verified)
	}

	name := e.name()
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer posix.UnlinkSharedMemory(name)
	defer shm.Close()
	ps := posix.PageSize()
	if err := shm.Truncate(int64(8 * ps)); err != nil {
		return err
	}
	shared, err := shm.Map(0, 8*ps, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return err
	}
	defer shared.Unmap()
	res, err := shared.Residency()
	if err != nil {
		return err
	}
	shared.Bytes()[2*ps] = 1
	after, err := shared.Residency()
	if err != nil {
		return err
	}
	fmt.Printf("   lazy fault-in: resident pages right after mmap %s, after touching page 2 %s\n", pages(res), pages(after))

	watch, err := e.shmRole("C", "watch", name, "100", "0x5a", "10000")
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(scenario.StepTimeout); !strings.Contains(watch.Stdout.String(), "watching"); {
		if time.Now().After(deadline) {
			watch.Kill()
			return fmt.Errorf("the C watcher did not start")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	shared.Bytes()[100] = 0x5a
	if _, err := watch.Finish(); err != nil {
		return err
	}
	fmt.Printf("   MAP_SHARED: a Go write seen by a C process polling the page, %v later\n", time.Since(start).Round(time.Microsecond))
	private, err := shm.Map(0, 8*ps, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		return err
	}
	private.WriteAt([]byte{0xff}, 200)
	private.Unmap()
	rd, err := e.shmRole("C", "read", name, "200", "1")
	if err != nil {
		return err
	}
	out, err := rd.Finish()
	if err != nil {
		return err
	}
	if out != "bytes=00" {
		return fmt.Errorf("a MAP_PRIVATE write reached the object: %s", out)
	}
	fmt.Printf("   MAP_PRIVATE: a Go write is not in the object for C (%s)\n", out)
	if err := shm.Truncate(int64(ps)); err != nil {
		return err
	}
	_, err = shared.ReadAt(make([]byte, 1), int64(4*ps))
	if err == nil {
		return fmt.Errorf("reading past the truncated end did not fail")
	}
	fmt.Printf("   truncated under the mapping: ReadAt past the end says %q (C would die of SIGBUS)\n", err)
	return nil
}

func pages(res []bool) string {
	b := make([]byte, len(res))
	for i, r := range res {
		b[i] = '.'
		if r {
			b[i] = '#'
		}
	}
	return "[" + string(b) + "]"
}
