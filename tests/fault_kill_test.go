package tests

// SIGKILL fault injection (issue 10): a victim process plays one side of each
// cross-process protocol of `make demo` and is killed at a random point; the
// test process is the long-lived survivor, using the library, and after every
// kill proves from the victim's write-ahead journal and the protected data
// that nothing was lost or duplicated, that a robust mutex comes back
// consistent, and that a dead process's lock is released. The victim is
// tests/cpeers/killpeer.c, forked by a `killpeer serve` fork server (a fork
// costs ~0.1 ms, an exec milliseconds); every 20th mutex and mq run kills a
// Go victim instead (this binary in a kill-* role). Layouts and journal:
// internal/scenario/faultkill.go.
//
// Each protocol runs faultRuns() runs (200 without -race, 20 with it;
// LIBCIPC_FAULT_RUNS overrides), seeded and reported with its seed:
// LIBCIPC_FAULT_SEED=<n> repeats the random choices (the side killed, pause
// step or delay) of every run, and LIBCIPC_FAULT_RUN=<i> runs only run i. A
// pause-step kill lands at the same step again; a delay kill at about the same
// time. Each protocol logs its kill points (role/journal state at death), its
// events (repairs, EOWNERDEAD, items in flight, items checked) and the summed
// phase times in µs. LIBCIPC_FAULT_GDB=1 logs every thread's backtrace when the
// survivor hangs.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
)

const (
	faultSlice    = 1 * time.Millisecond // the survivor's wait slice while the victim lives
	faultBound    = 5 * time.Second      // bound on every wait for the victim or the survivor
	faultGoEvery  = 20                   // every 20th mutex and mq run kills a Go victim (the library on both sides)
	faultMaxDelay = 1500                 // µs: a delay kill lands in [0, faultMaxDelay) after the victim is ready
)

func faultRuns() int {
	if s := os.Getenv("LIBCIPC_FAULT_RUNS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	if raceEnabled {
		return 20
	}
	return 200
}

func faultSeed(t *testing.T) uint64 {
	if s := os.Getenv("LIBCIPC_FAULT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "LIBCIPC_FAULT_SEED")
		return n
	}
	return uint64(time.Now().UnixNano())
}

// TestFaultKill kills a peer at random points of each cross-process protocol
// of `make demo`, faultRuns() times each (subtests Ring, Mutex, MQ, Lock).
func TestFaultKill(t *testing.T) {
	peer := killPeer(t)
	t.Run("Ring", func(t *testing.T) { faultKillRing(t, peer) })
	t.Run("Mutex", func(t *testing.T) { faultKillMutex(t, peer) })
	t.Run("MQ", func(t *testing.T) { faultKillMQ(t, peer) })
	t.Run("Lock", func(t *testing.T) { faultKillLock(t, peer) })
}

// killPeer returns the C victim: the suite's C peers under -race (the whole
// suite builds them anyway) or when LIBCIPC_PEER_DIR names prebuilt ones (make
// check-c's AddressSanitizer builds); otherwise, where only the Soak, Allocate
// and Fault tests run, killpeer alone (gcc with the flags of PROTOCOL.md, well
// under a second instead of several for every peer).
func killPeer(t *testing.T) string {
	if raceEnabled || os.Getenv(peerEnv) != "" {
		return cpeer(t, "killpeer")
	}
	bin, err := scenario.BuildPeer("cpeers/killpeer.c", t.TempDir())
	require.NoError(t, err)
	return bin
}

// faultRun is one run: its shared memory object (protocol data and the
// victim's journal), its random choices, and the victim.
type faultRun struct {
	t         *testing.T
	seed      uint64
	idx       int
	rng       *rand.Rand
	name      string
	m         *posix.Mapping
	b         []byte
	role      string
	pause     uint32 // step index the victim pauses at, 0 for a delay kill
	delay     time.Duration
	server    *victimServer
	goVictim  bool           // the victim is this test binary in a kill-* role (scenario/faultkill.go)
	proc      *scenario.Proc // the Go victim
	victimPid int
	pid       atomic.Int64 // victimPid, for the survivor goroutine (set as soon as known)
	status    string       // the server's "status S" for the victim, once reaped
	killed    atomic.Bool  // set just before SIGKILL
	t0        time.Time    // phases, for the timing figures
	tReady    time.Time
	tKill     time.Time
	tReaped   time.Time
}

func (r *faultRun) u32(off int) *uint32 { return (*uint32)(unsafe.Pointer(&r.b[off])) }
func (r *faultRun) ld(off int) uint32   { return atomic.LoadUint32(r.u32(off)) }
func (r *faultRun) st(off int, v uint32) {
	atomic.StoreUint32(r.u32(off), v)
}
func (r *faultRun) ld64(off int) uint64 {
	return atomic.LoadUint64((*uint64)(unsafe.Pointer(&r.b[off])))
}
func (r *faultRun) st64(off int, v uint64) {
	atomic.StoreUint64((*uint64)(unsafe.Pointer(&r.b[off])), v)
}
func (r *faultRun) state() uint32 { return r.ld(scenario.KillJState) }

// where names the run in a failure message.
func (r *faultRun) where() string {
	return fmt.Sprintf("seed %d run %d (LIBCIPC_FAULT_SEED=%d LIBCIPC_FAULT_RUN=%d) role %s pause %d delay %v journal{state %d seq %d count %d step %d}",
		r.seed, r.idx, r.seed, r.idx, r.role, r.pause, r.delay,
		r.ld(scenario.KillJState), r.ld(scenario.KillJSeq), r.ld(scenario.KillJCount), r.ld(scenario.KillJStep))
}

func (r *faultRun) fail(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("%s: %s", r.where(), fmt.Sprintf(format, args...))
}

func (r *faultRun) check(ok bool, format string, args ...any) {
	r.t.Helper()
	if !ok {
		r.fail(format, args...)
	}
}

func (r *faultRun) noErr(err error, what string) {
	r.t.Helper()
	if err != nil {
		r.fail("%s: %v", what, err)
	}
}

// faultStats is a protocol's tally: kills per journal state, and named
// events (mutex held at death, repairs, items checked).
type faultStats struct {
	mu     sync.Mutex
	states map[string]int
	events map[string]int
	runs   int
	pauses int
}

func (s *faultStats) add(ev string, n int) {
	s.mu.Lock()
	if s.events == nil {
		s.events = map[string]int{}
	}
	s.events[ev] += n
	s.mu.Unlock()
}

func (s *faultStats) report(t *testing.T, proto string, seed uint64, took time.Duration) {
	line := func(m map[string]int) string {
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%d", k, m[k])
		}
		return b.String()
	}
	t.Logf("%s: seed %d: %d runs (%d pause-step kills, %d delay kills) in %v (%.1f ms/run)",
		proto, seed, s.runs, s.pauses, s.runs-s.pauses, took.Round(time.Millisecond), float64(took.Microseconds())/1000/float64(max(s.runs, 1)))
	t.Logf("%s: kill points (role/state at death):%s", proto, line(s.states))
	t.Logf("%s: events:%s", proto, line(s.events))
}

// faultLoop runs body for each run of the protocol, reporting the tally.
func faultLoop(t *testing.T, peer, proto string, body func(r *faultRun, s *faultStats)) {
	seed := faultSeed(t)
	first, end := 0, faultRuns()
	if s := os.Getenv("LIBCIPC_FAULT_RUN"); s != "" {
		// Run i alone, whatever the run count: its choices depend only on
		// the seed and i (a run 500 of make fault's 1000 is repeated as is).
		n, err := strconv.Atoi(s)
		require.NoError(t, err, "LIBCIPC_FAULT_RUN")
		require.GreaterOrEqual(t, n, 0, "LIBCIPC_FAULT_RUN")
		first, end = n, n+1
	}
	t.Logf("%s: seed %d (LIBCIPC_FAULT_SEED=%d reproduces)", proto, seed, seed)
	server := startVictimServer(t, peer)
	stats := &faultStats{states: map[string]int{}}
	start := time.Now()
	for i := first; i < end; i++ {
		r := &faultRun{t: t, seed: seed, idx: i, rng: rand.New(rand.NewPCG(seed, uint64(i)))}
		r.server = server
		r.open()
		body(r, stats)
		stats.runs++
		if r.pause != 0 {
			stats.pauses++
		}
	}
	stats.report(t, proto, seed, time.Since(start))
}

// open creates and maps the run's shared memory object (newSegment: the
// descriptor is closed at once; its cleanups unmap and unlink it should the
// run fail before close).
func (r *faultRun) open() {
	r.m, r.name = newSegment(r.t, scenario.KillShmSize)
	r.b = r.m.Bytes()
}

// close unmaps (detaching the objects placed in the mapping without
// destroying them: a condition variable a killed waiter still counts in
// cannot be destroyed) and unlinks the object.
func (r *faultRun) close() {
	r.noErr(r.m.Unmap(), "munmap")
	r.noErr(posix.UnlinkSharedMemory(r.name), "shm_unlink")
}

// side picks the side killed, half the runs each: victim (returning true)
// or other; the run's role is the side killed.
func (r *faultRun) side(victim, other string) bool {
	if r.rng.IntN(2) == 0 {
		r.role = victim
		return true
	}
	r.role = other
	return false
}

// choose picks the kill point: a pause at a step in [1, maxStep] (half the
// runs) or a delay in [0, faultMaxDelay) µs after the victim is ready.
func (r *faultRun) choose(maxStep int) {
	if r.rng.IntN(2) == 0 {
		r.pause = uint32(1 + r.rng.IntN(maxStep))
	} else {
		r.delay = time.Duration(r.rng.IntN(faultMaxDelay)) * time.Microsecond
	}
}

// victimServer is `killpeer serve`: it forks each victim (about 0.1 ms
// where an exec costs milliseconds), reports its pid, and reaps it, reporting
// its wait status. Its lines arrive on lines.
type victimServer struct {
	cmd    *exec.Cmd
	in     *os.File
	lines  chan string
	stderr scenario.SyncBuffer
}

func startVictimServer(t *testing.T, peer string) *victimServer {
	v := &victimServer{lines: make(chan string, 4)}
	inR, inW, err := os.Pipe()
	require.NoError(t, err)
	outR, outW, err := os.Pipe()
	require.NoError(t, err)
	v.cmd = exec.Command(peer, "serve")
	v.cmd.Stdin, v.cmd.Stdout, v.cmd.Stderr = inR, outW, &v.stderr
	err = v.cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		t.Fatal(err)
	}
	v.in = inW
	go func() {
		defer close(v.lines)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			v.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		v.in.Close() // end of input: the server exits 0
		done := make(chan error, 1)
		go func() { done <- v.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil { // a failed fork or waitpid, or an ASan report (exit 23)
				t.Errorf("killpeer serve: %v: stderr %q", err, v.stderr.String())
			}
		case <-time.After(faultBound):
			v.cmd.Process.Kill()
			<-done
			t.Errorf("killpeer serve did not exit within %v of the end of its input", faultBound)
		}
		for range v.lines {
		}
		outR.Close()
	})
	return v
}

// next returns the server's next line, failing after faultBound.
func (r *faultRun) next(what string) string {
	r.t.Helper()
	select {
	case l, ok := <-r.server.lines:
		if !ok {
			r.fail("%s: the victim server ended: stderr %q", what, r.server.stderr.String())
		}
		return l
	case <-time.After(faultBound):
		r.fail("%s: no word from the victim server within %v: stderr %q", what, faultBound, r.server.stderr.String())
	}
	return ""
}

// startVictim starts killpeer ROLE SHM PAUSE [ARG] and waits until it is
// attached.
func (r *faultRun) startVictim(args ...string) {
	r.t.Helper()
	r.t0 = time.Now()
	if r.goVictim {
		p := startGo(r.t, "kill-"+r.role, append([]string{r.name, strconv.FormatUint(uint64(r.pause), 10)}, args...)).Proc
		r.proc, r.victimPid = p, p.Cmd.Process.Pid
		r.pid.Store(int64(r.victimPid))
		r.waitFor(func() bool { return r.ld(scenario.KillJReady) == 1 }, "the Go victim to attach")
		r.tReady = time.Now()
		return
	}
	_, err := fmt.Fprintln(r.server.in, strings.Join(append([]string{r.role, r.name, strconv.FormatUint(uint64(r.pause), 10)}, args...), " "))
	r.noErr(err, "start victim")
	l := r.next("the victim's pid")
	pid, err := strconv.Atoi(strings.TrimPrefix(l, "pid "))
	if err != nil || !strings.HasPrefix(l, "pid ") {
		r.fail("victim server said %q", l)
	}
	r.victimPid = pid
	r.pid.Store(int64(pid))
	r.t.Cleanup(func() {
		if r.status == "" { // a failed run: kill the victim, the server reaps it
			unix.Kill(pid, unix.SIGKILL)
		}
	})
	r.waitFor(func() bool { return r.ld(scenario.KillJReady) == 1 }, "the victim to attach")
	r.tReady = time.Now()
}

// stderr is what the victim wrote: a Go victim's own, a C victim's in the
// fork server's.
func (r *faultRun) stderr() string {
	if r.proc != nil {
		return r.proc.Stderr.String()
	}
	return r.server.stderr.String()
}

// waitFor polls cond until true, failing (with the victim's stderr) after
// faultBound or when the victim exits on its own.
func (r *faultRun) waitFor(cond func() bool, what string) {
	r.t.Helper()
	deadline := time.Now().Add(faultBound)
	for !cond() {
		if r.proc != nil {
			var info unix.Siginfo
			if err := unix.Waitid(unix.P_PID, r.victimPid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err == nil && info.Signo != 0 {
				r.fail("waiting for %s: the Go victim exited: stderr %q", what, r.stderr())
			}
		} else {
			select {
			case l := <-r.server.lines:
				r.status = l
				r.fail("waiting for %s: the victim ended (%s): stderr %q", what, l, r.stderr())
			default:
			}
		}
		if time.Now().After(deadline) {
			r.fail("waiting for %s: not within %v: victim stderr %q", what, faultBound, r.stderr())
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// kill lands the kill (at the pause step, or after the delay), SIGKILLs the
// victim, reaps it (it must have died of SIGKILL, not exited on its own) and
// tallies the kill point.
func (r *faultRun) kill(s *faultStats) {
	r.t.Helper()
	if r.pause != 0 {
		r.waitFor(func() bool { return r.ld(scenario.KillJPaused) != 0 }, fmt.Sprintf("the pause at step %d", r.pause))
	} else {
		deadline := time.Now().Add(r.delay)
		if r.delay > 200*time.Microsecond {
			time.Sleep(r.delay - 100*time.Microsecond)
		}
		for time.Now().Before(deadline) {
		}
	}
	r.killed.Store(true)
	r.tKill = time.Now()
	r.noErr(unix.Kill(r.victimPid, unix.SIGKILL), "kill")
	if r.proc != nil {
		done := make(chan struct{})
		go func() { r.proc.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(faultBound):
			r.fail("the killed Go victim was not reaped within %v", faultBound)
		}
		r.status = fmt.Sprint(r.proc.Cmd.ProcessState)
		if r.status != "signal: killed" {
			r.fail("the Go victim did not die of SIGKILL: %s, stderr %q", r.status, r.stderr())
		}
	} else {
		r.status = r.next("the killed victim's status")
		if r.status != "status 9" { // WIFSIGNALED, WTERMSIG SIGKILL
			r.fail("the victim did not die of SIGKILL: %s, stderr %q", r.status, r.stderr())
		}
	}
	r.tReaped = time.Now()
	s.add("us-start-to-ready", int(r.tReady.Sub(r.t0).Microseconds()))
	s.add("us-ready-to-kill", int(r.tKill.Sub(r.tReady).Microseconds()))
	s.add("us-kill-to-reaped", int(r.tReaped.Sub(r.tKill).Microseconds()))
	names := scenario.KillStateNames[r.role]
	if strings.HasPrefix(r.role, "lock-") {
		names = scenario.KillStateNames["lock"]
	}
	st := int(r.state())
	name := strconv.Itoa(st)
	if st < len(names) && names[st] != "" {
		name = names[st]
	}
	key := r.role + "/" + name
	if r.goVictim {
		key = "go:" + key
		s.add("go-victims", 1)
	}
	s.mu.Lock()
	s.states[key]++
	s.mu.Unlock()
}

// survivor runs work in a goroutine until halt; halt waits for it
// (bounded) and fails the run on its error. A run that fails before its halt
// stops the goroutine in a cleanup.
type survivor struct {
	stop   atomic.Bool
	done   chan error
	halted bool
}

func (r *faultRun) survive(work func(stop *atomic.Bool) error) *survivor {
	s := &survivor{done: make(chan error, 1)}
	go func() { s.done <- work(&s.stop) }()
	r.t.Cleanup(func() {
		if !s.halted {
			s.stop.Store(true)
			select {
			case <-s.done:
			case <-time.After(faultBound):
			}
		}
	})
	return s
}

func (r *faultRun) halt(s *survivor) {
	r.t.Helper()
	s.halted = true
	s.stop.Store(true)
	select {
	case err := <-s.done:
		r.noErr(err, "survivor")
	case <-time.After(faultBound):
		if os.Getenv("LIBCIPC_FAULT_GDB") != "" {
			out, _ := exec.Command("gdb", "-batch", "-p", strconv.Itoa(os.Getpid()), "-ex", "thread apply all bt 12").CombinedOutput()
			r.t.Logf("LIBCIPC_FAULT_GDB: the survivor process's threads:\n%s", out)
		}
		r.fail("the survivor did not stop within %v (a wait the dead victim left unbounded?)", faultBound)
	}
}

func timedOut(err error) bool { return errors.Is(err, unix.ETIMEDOUT) }

func in(v uint32, set ...uint32) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// ---- 1. the semaphore-guarded shared memory ring ---------------------------

func ringItem(i uint32) uint64 { return scenario.Item(uint64(i)) }

// faultKillRing (TestFaultKill/Ring) kills the producer or the consumer of the semaphore ring
// (three process-shared POSIX semaphores: empty, full, mutex). POSIX
// semaphores are not robust: a dead process's wait or post is simply lost. The
// survivor (this process) reconciles each semaphore with the ring's head and
// tail, which are only written under the mutex: mutex at 0 means the victim
// died inside (journal: between its mutex wait and post), full or empty one
// short means it died between its wait or publish and the matching post. The
// journal names the single item in flight; every other item is consumed once,
// in order.
func faultKillRing(t *testing.T, peer string) {
	faultLoop(t, peer, "ring", func(r *faultRun, s *faultStats) {
		empty, err := posix.InitSemaphoreAt(r.m, scenario.KillRingEmpty, scenario.KillRingNSlots)
		r.noErr(err, "sem_init empty")
		full, err := posix.InitSemaphoreAt(r.m, scenario.KillRingFull, 0)
		r.noErr(err, "sem_init full")
		mutex, err := posix.InitSemaphoreAt(r.m, scenario.KillRingMutex, 1)
		r.noErr(err, "sem_init mutex")
		producerDies := r.side("ring-producer", "ring-consumer")
		r.choose(160)       // 7 or 8 steps an item: pauses land within the first ~20 items
		var got []uint64    // items the survivor consumed, in order
		var produced uint32 // items the survivor produced
		waitMutex := func(stop *atomic.Bool, undo *posix.Semaphore) (bool, error) {
			for {
				err := mutex.WaitTimeout(faultSlice)
				if err == nil {
					return true, nil
				}
				if !timedOut(err) {
					return false, err
				}
				if stop.Load() {
					return false, undo.Post() // give back the token taken
				}
			}
		}
		consume := func() {
			tail := r.ld(scenario.KillRingTail)
			got = append(got, r.ld64(scenario.KillRingSlots+8*int(tail%scenario.KillRingNSlots)))
			r.st(scenario.KillRingTail, tail+1)
		}
		sv := r.survive(func(stop *atomic.Bool) error {
			for !stop.Load() {
				first, second := full, empty // the survivor consumes
				if !producerDies {
					first, second = empty, full // the survivor produces
				}
				if err := first.WaitTimeout(faultSlice); err != nil {
					if timedOut(err) {
						continue
					}
					return err
				}
				if ok, err := waitMutex(stop, first); !ok {
					return err
				}
				if producerDies {
					consume()
				} else {
					head := r.ld(scenario.KillRingHead)
					r.st64(scenario.KillRingSlots+8*int(head%scenario.KillRingNSlots), ringItem(head+1))
					r.st(scenario.KillRingHead, head+1)
					produced = head + 1
				}
				if err := mutex.Post(); err != nil {
					return err
				}
				if err := second.Post(); err != nil {
					return err
				}
			}
			return nil
		})
		r.startVictim()
		r.kill(s)
		r.halt(sv)

		// Reconcile the semaphores with head and tail.
		head, tail := r.ld(scenario.KillRingHead), r.ld(scenario.KillRingTail)
		st := r.state()
		value := func(sem *posix.Semaphore, what string) int {
			v, err := sem.Value()
			r.noErr(err, "sem_getvalue "+what)
			return v
		}
		mv := value(mutex, "mutex")
		r.check(mv == 0 || mv == 1, "mutex value %d", mv)
		if mv == 0 {
			s.add("died-holding-sem-mutex", 1)
			if producerDies {
				r.check(in(st, scenario.KillRPWaitMutex, scenario.KillRPWrite, scenario.KillRPPublish, scenario.KillRPPostMutex), "mutex held by the dead producer in state %d", st)
			} else {
				r.check(in(st, scenario.KillRCWaitMutex, scenario.KillRCRead, scenario.KillRCTake, scenario.KillRCPostMutex), "mutex held by the dead consumer in state %d", st)
			}
			r.noErr(mutex.Post(), "sem_post mutex (repair)")
		}
		r.check(head >= tail && head-tail <= scenario.KillRingNSlots, "head %d tail %d", head, tail)
		filled := int(head - tail)
		fv, ev := value(full, "full"), value(empty, "empty")
		shortFull, shortEmpty := filled-fv, scenario.KillRingNSlots-filled-ev
		r.check(shortFull == 0 || shortFull == 1, "full %d with %d items in the ring", fv, filled)
		r.check(shortEmpty == 0 || shortEmpty == 1, "empty %d with %d items in the ring", ev, filled)
		if producerDies {
			// full short: published, full not posted; empty short: a slot
			// taken, nothing published.
			if shortFull == 1 {
				s.add("between-publish-and-post-full", 1)
				r.check(in(st, scenario.KillRPPublish, scenario.KillRPPostMutex, scenario.KillRPPostFull), "full short in state %d", st)
			}
			if shortEmpty == 1 {
				s.add("slot-reserved-not-published", 1)
				r.check(in(st, scenario.KillRPWaitEmpty, scenario.KillRPWaitMutex, scenario.KillRPWrite, scenario.KillRPPublish), "empty short in state %d", st)
			}
			// The item in flight is the journal's: published (head) or not (head+1).
			seq := r.ld(scenario.KillJSeq)
			switch {
			case seq == head+1 && in(st, 0, scenario.KillRPDone):
				// The item is journalled, its first step not: killed
				// between the two stores.
				s.add("item-journalled-not-started", 1)
			case seq == head+1:
				s.add("item-in-flight-lost", 1)
				r.check(in(st, scenario.KillRPWaitEmpty, scenario.KillRPWaitMutex, scenario.KillRPWrite, scenario.KillRPPublish), "item %d unpublished in state %d", seq, st)
			case seq == head:
				if st != scenario.KillRPDone && seq != 0 {
					s.add("item-in-flight-published", 1)
				}
				r.check(seq == 0 || in(st, scenario.KillRPPublish, scenario.KillRPPostMutex, scenario.KillRPPostFull, scenario.KillRPDone), "item %d published in state %d", seq, st)
			default:
				r.fail("journal item %d, head %d", seq, head)
			}
			r.check(r.ld(scenario.KillJCount)+1 >= head, "count %d head %d", r.ld(scenario.KillJCount), head)
		} else {
			// full short: a token taken, tail not advanced; empty short: tail
			// advanced, empty not posted.
			if shortFull == 1 {
				s.add("token-taken-not-consumed", 1)
				r.check(in(st, scenario.KillRCWaitFull, scenario.KillRCWaitMutex, scenario.KillRCRead, scenario.KillRCTake), "full short in state %d", st)
			}
			if shortEmpty == 1 {
				s.add("between-take-and-post-empty", 1)
				r.check(in(st, scenario.KillRCTake, scenario.KillRCPostMutex, scenario.KillRCPostEmpty), "empty short in state %d", st)
			}
			count := r.ld(scenario.KillJCount)
			switch tail - count {
			case 0:
			case 1:
				s.add("item-in-flight-taken-unrecorded", 1)
				r.check(r.ld(scenario.KillJSeq) == tail && in(st, scenario.KillRCTake, scenario.KillRCPostMutex, scenario.KillRCPostEmpty, scenario.KillRCRecord),
					"item %d taken, unrecorded, journal item %d state %d", tail, r.ld(scenario.KillJSeq), st)
			default:
				r.fail("tail %d, victim recorded %d", tail, count)
			}
			var sum uint64
			for i := uint32(1); i <= count; i++ {
				sum += ringItem(i)
			}
			// The sum and the count are two stores: killed between them
			// (state record), the sum already holds the journal's item.
			vsum := r.ld64(scenario.KillJSum)
			if vsum != sum && st == scenario.KillRCRecord && r.ld(scenario.KillJSeq) == count+1 && vsum == sum+ringItem(count+1) {
				s.add("killed-between-sum-and-count", 1)
				vsum = sum
			}
			r.check(vsum == sum, "victim sum %d, want %d for items 1..%d", r.ld64(scenario.KillJSum), sum, count)
			r.check(produced == head, "survivor produced %d, head %d", produced, head)
		}
		for i := 0; i < shortFull; i++ {
			r.noErr(full.Post(), "sem_post full (repair)")
		}
		for i := 0; i < shortEmpty; i++ {
			r.noErr(empty.Post(), "sem_post empty (repair)")
		}
		if shortFull+shortEmpty > 0 {
			s.add("sem-repairs", shortFull+shortEmpty)
		}
		// Drain through the repaired semaphores: never a wait.
		from := tail
		for range filled {
			r.noErr(full.TryWait(), "sem_trywait full (drain)")
			r.noErr(mutex.TryWait(), "sem_trywait mutex (drain)")
			consume()
			r.noErr(mutex.Post(), "sem_post mutex")
			r.noErr(empty.Post(), "sem_post empty")
		}
		r.check(value(full, "full") == 0 && value(empty, "empty") == scenario.KillRingNSlots && value(mutex, "mutex") == 1, "semaphores after the drain")
		// Every item exactly once, in order: the survivor's (all of them when
		// it consumes; those left in the ring when it produces).
		if producerDies {
			from = 0
		}
		r.check(uint32(len(got)) == head-from, "consumed %d items, want %d", len(got), head-from)
		for i, v := range got {
			r.check(v == ringItem(from+uint32(i)+1), "item %d is %#x, want %#x", from+uint32(i)+1, v, ringItem(from+uint32(i)+1))
		}
		s.add("items-checked", int(head))
		r.close()
	})
}

// ---- 2. the robust mutex and condition variable -----------------------------

// faultKillMutex (TestFaultKill/Mutex) kills the producer or the consumer of a counter queue
// guarded by a robust process-shared mutex with a condition variable
// (invariant: produced - consumed == items). The consumer waits on the
// condition variable (timed waits); only the survivor signals it: a process
// killed inside pthread_cond_signal leaves the condition variable's internal
// lock held, and every later wait hangs past its deadline (glibc 2.36,
// __condvar_acquire_lock from __condvar_cancel_waiting; seen 3 times in about 800
// runs before the victim producer stopped signalling). When the victim died holding the
// mutex, the survivor's next lock (a Lock, or the relock inside a Cond wait)
// returns EOWNERDEAD; the survivor rolls the victim's half-done operation
// forward from the journal, calls Consistent, and the invariant holds. Never
// ENOTRECOVERABLE, never a hang.
func faultKillMutex(t *testing.T, peer string) {
	faultLoop(t, peer, "mutex", func(r *faultRun, s *faultStats) {
		mu, err := posix.InitMutexAt(r.m, scenario.KillMxMutex, &posix.MutexAttr{Robust: true, Shared: true})
		r.noErr(err, "pthread_mutex_init")
		cond, err := posix.InitCondAt(r.m, scenario.KillMxCond, nil)
		r.noErr(err, "pthread_cond_init")
		producerDies := r.side("mutex-producer", "mutex-consumer")
		r.choose(140) // 6 or 7 steps an operation
		r.goVictim = r.idx%faultGoEvery == faultGoEvery-1
		var ownerDead atomic.Int32
		var consumed []uint32 // the items the survivor consumed
		// repair rolls the dead victim's operation forward: it journals before
		// each store, so the invariant is off by at most its one item.
		repair := func() error {
			p, c, i := r.ld(scenario.KillMxProduced), r.ld(scenario.KillMxConsumed), r.ld(scenario.KillMxItems)
			st := r.state()
			d := int64(p) - int64(c) - int64(i)
			mid := in(st, scenario.KillMxIncFirst, scenario.KillMxIncSecond)
			switch {
			case d == 0:
			case d == 1 && producerDies && mid: // produced counted, items not yet
				r.st(scenario.KillMxItems, i+1)
				s.add("rolled-forward", 1)
			case d == -1 && !producerDies && mid: // consumed counted, items not yet
				r.st(scenario.KillMxItems, i-1)
				s.add("rolled-forward", 1)
			default:
				return fmt.Errorf("EOWNERDEAD with produced %d consumed %d items %d in state %d", p, c, i, st)
			}
			ownerDead.Add(1)
			return mu.Consistent()
		}
		lock := func(d time.Duration) error {
			err := mu.LockTimeout(d)
			if errors.Is(err, unix.EOWNERDEAD) {
				s.add("EOWNERDEAD-from-lock", 1)
				return repair()
			}
			return err
		}
		sv := r.survive(func(stop *atomic.Bool) error {
			for !stop.Load() {
				if err := lock(faultSlice); err != nil {
					if timedOut(err) {
						continue
					}
					return err
				}
				if producerDies { // the survivor consumes
					for r.ld(scenario.KillMxItems) == 0 && !stop.Load() {
						err := cond.WaitTimeout(mu, faultSlice)
						switch {
						case errors.Is(err, unix.EOWNERDEAD):
							s.add("EOWNERDEAD-from-cond-wait", 1)
							err = repair()
						case timedOut(err):
							err = nil
						}
						if err != nil {
							mu.Unlock()
							return err
						}
					}
					if r.ld(scenario.KillMxItems) > 0 {
						c := r.ld(scenario.KillMxConsumed) + 1
						r.st(scenario.KillMxConsumed, c)
						r.st(scenario.KillMxItems, r.ld(scenario.KillMxItems)-1)
						consumed = append(consumed, c)
					}
				} else if r.ld(scenario.KillMxItems) < 4 { // the survivor produces, 4 ahead at most
					r.st(scenario.KillMxProduced, r.ld(scenario.KillMxProduced)+1)
					r.st(scenario.KillMxItems, r.ld(scenario.KillMxItems)+1)
					if err := cond.Signal(); err != nil {
						mu.Unlock()
						return err
					}
				}
				if err := mu.Unlock(); err != nil {
					return err
				}
				if !producerDies && r.ld(scenario.KillMxItems) >= 4 {
					time.Sleep(20 * time.Microsecond)
				}
			}
			return nil
		})
		r.startVictim()
		r.kill(s)
		r.halt(sv)

		// The survivor locks once more: EOWNERDEAD if no survivor lock took
		// it yet and the victim died holding it.
		start := time.Now()
		r.noErr(lock(faultBound), "pthread_mutex_timedlock after the kill")
		s.add("lock-after-kill-us", int(time.Since(start).Microseconds()))
		st := r.state()
		held := ownerDead.Load() == 1
		r.check(ownerDead.Load() <= 1, "EOWNERDEAD %d times", ownerDead.Load())
		if held {
			s.add("died-holding-robust-mutex", 1)
			r.check(in(st, scenario.KillMxLock, scenario.KillMxIncFirst, scenario.KillMxIncSecond, scenario.KillMxIncremented, scenario.KillMxUnlock, scenario.KillMxCondWait),
				"EOWNERDEAD, yet the victim was not in its critical section (state %d)", st)
		} else {
			r.check(!in(st, scenario.KillMxIncFirst, scenario.KillMxIncSecond, scenario.KillMxIncremented), "the victim died in its critical section (state %d) without EOWNERDEAD", st)
		}
		p, c, i := r.ld(scenario.KillMxProduced), r.ld(scenario.KillMxConsumed), r.ld(scenario.KillMxItems)
		r.check(p-c == i, "invariant: produced %d - consumed %d != items %d", p, c, i)
		count := r.ld(scenario.KillJCount) // operations the victim completed and recorded
		if producerDies {
			// Drain: every produced item consumed once, in order.
			for r.ld(scenario.KillMxItems) > 0 {
				c := r.ld(scenario.KillMxConsumed) + 1
				r.st(scenario.KillMxConsumed, c)
				r.st(scenario.KillMxItems, r.ld(scenario.KillMxItems)-1)
				consumed = append(consumed, c)
			}
			r.check(uint32(len(consumed)) == p, "consumed %d items, produced %d", len(consumed), p)
			for k, v := range consumed {
				r.check(v == uint32(k)+1, "consumed item %d as the %dth", v, k+1)
			}
			r.check(p-count <= 1, "produced %d, the victim recorded %d", p, count)
		} else {
			// The victim consumed c items; it recorded count of them; the one
			// between is the item in flight, which the journal names.
			r.check(c-count <= 1, "consumed %d, the victim recorded %d", c, count)
		}
		if p-count == 1 && producerDies || c-count == 1 && !producerDies {
			s.add("item-in-flight", 1)
			r.check(in(st, scenario.KillMxIncFirst, scenario.KillMxIncSecond, scenario.KillMxIncremented, scenario.KillMxUnlock), "an unrecorded item in state %d", st)
		}
		s.add("items-checked", int(p))
		r.noErr(mu.Unlock(), "pthread_mutex_unlock")
		if !producerDies {
			// The dead consumer may have died waiting on the condition
			// variable (still counted as a waiter): signals must not hang.
			done := make(chan error, 1)
			go func() {
				var err error
				for range 16 {
					if err = cond.Signal(); err != nil {
						break
					}
				}
				done <- err
			}()
			select {
			case err := <-done:
				r.noErr(err, "pthread_cond_signal after the kill")
				s.add("signals-after-kill", 16)
			case <-time.After(faultBound):
				r.fail("pthread_cond_signal hung after the waiter was killed")
			}
		}
		// The mutex is usable again, and consistent (a relock is not EOWNERDEAD).
		r.noErr(mu.TryLock(), "pthread_mutex_trylock after the repair")
		r.noErr(mu.Unlock(), "pthread_mutex_unlock")
		r.noErr(mu.Close(), "pthread_mutex_destroy")
		r.close()
	})
}

// ---- 3. the POSIX message queue ---------------------------------------------

func mqItem(seq uint32) string { return fmt.Sprintf("item %d", seq) }

// faultKillMQ (TestFaultKill/MQ) kills the sender or the receiver of a message queue. A
// message is in the queue whole or not at all: after a kill mid-send, the
// queue holds exactly the items up to the journal's (sent) or the one before
// (not sent); after a kill mid-receive, the victim took exactly the items
// before the first one left in the queue, of which only the last may be
// unrecorded (the journal's in-flight item).
func faultKillMQ(t *testing.T, peer string) {
	faultLoop(t, peer, "mq", func(r *faultRun, s *faultStats) {
		q, qname := newQueue(r.t, &posix.MQAttr{MaxMsg: 8, MsgSize: 64}) // its cleanup serves a failed run; a run closes and unlinks q itself
		senderDies := r.side("mq-sender", "mq-receiver")
		r.choose(60) // 2 or 3 steps a message
		r.goVictim = r.idx%faultGoEvery == faultGoEvery-1
		var received []string
		var sent uint32
		buf := make([]byte, 64)
		sv := r.survive(func(stop *atomic.Bool) error {
			for !stop.Load() {
				if senderDies {
					n, _, err := q.ReceiveTimeout(buf, faultSlice)
					if err == nil {
						received = append(received, string(buf[:n]))
					} else if !timedOut(err) {
						return err
					}
				} else {
					err := q.SendTimeout([]byte(mqItem(sent+1)), 0, faultSlice)
					if err == nil {
						sent++
					} else if !timedOut(err) {
						return err
					}
				}
			}
			return nil
		})
		r.startVictim(qname)
		r.kill(s)
		r.halt(sv)

		// Drain what is left.
		attr, err := q.Attr()
		r.noErr(err, "mq_getattr")
		var left []string
		for range attr.CurMsgs {
			n, _, err := q.ReceiveTimeout(buf, faultBound)
			r.noErr(err, "mq_timedreceive (drain)")
			left = append(left, string(buf[:n]))
		}
		attr, err = q.Attr()
		r.noErr(err, "mq_getattr")
		r.check(attr.CurMsgs == 0, "%d messages after the drain", attr.CurMsgs)
		st, seq, count := r.state(), r.ld(scenario.KillJSeq), r.ld(scenario.KillJCount)
		if senderDies {
			all := append(received, left...)
			for k, m := range all {
				r.check(m == mqItem(uint32(k)+1), "message %d is %q", k+1, m)
			}
			n := uint32(len(all))
			switch {
			case n == count: // nothing in flight, or the in-flight send did not happen
				if st == scenario.KillMQSend && seq == count+1 {
					s.add("mid-send-not-sent", 1)
				}
			case n == count+1 && st == scenario.KillMQSend && seq == n:
				s.add("mid-send-sent-unrecorded", 1)
			default:
				r.fail("%d messages arrived, the victim recorded %d sent", n, count)
			}
			s.add("items-checked", len(all))
		} else {
			// The victim took items 1..took, the survivor's sends 1..sent.
			took := sent - uint32(len(left))
			for k, m := range left {
				r.check(m == mqItem(took+uint32(k)+1), "message left %d is %q, want %q", k, m, mqItem(took+uint32(k)+1))
			}
			switch took - count {
			case 0:
			case 1:
				s.add("received-unrecorded", 1)
				r.check(in(st, scenario.KillMQReceive, scenario.KillMQRecord), "an unrecorded message in state %d", st)
			default:
				r.fail("the victim took %d messages, recorded %d", took, count)
			}
			var sum uint64
			for i := uint64(1); i <= uint64(count); i++ {
				sum += i
			}
			// The sum and the count are two stores (see the ring).
			vsum := r.ld64(scenario.KillJSum)
			if vsum != sum && st == scenario.KillMQRecord && seq == count+1 && vsum == sum+uint64(count+1) {
				s.add("killed-between-sum-and-count", 1)
				vsum = sum
			}
			r.check(vsum == sum, "victim sum %d, want %d for items 1..%d", r.ld64(scenario.KillJSum), sum, count)
			s.add("items-checked", int(sent))
		}
		r.noErr(q.Close(), "mq_close")
		r.noErr(posix.UnlinkMessageQueue(qname), "mq_unlink")
		r.close()
	})
}

// ---- 4. file locks -------------------------------------------------------------

// faultKillLock (TestFaultKill/Lock) kills a process holding, waiting for or releasing an
// exclusive lock of each kind (fcntl record lock, OFD lock, flock) that guards
// a counter in shared memory, while the survivor competes for it through the
// library's bounded waits. The survivor is never granted the lock while the
// living victim is inside; once the victim is reaped the lock is free at once
// (a non-blocking attempt succeeds: the kernel drops a process's locks as it
// closes its files, before it becomes a zombie); the counter accounts for every
// increment, the victim's last one named by its journal.
func faultKillLock(t *testing.T, peer string) {
	dir := t.TempDir()
	faultLoop(t, peer, "lock", func(r *faultRun, s *faultStats) {
		kinds := []string{"fcntl", "ofd", "flock"}
		kind := kinds[r.rng.IntN(len(kinds))]
		r.role = "lock-" + kind
		r.choose(120) // 6 steps a round
		path := filepath.Join(dir, fmt.Sprintf("lock-%d", r.idx))
		defer os.Remove(path)
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		r.noErr(err, "open")
		defer f.Close()
		fd := int(f.Fd())
		wr, un := &posix.FileLock{Type: unix.F_WRLCK}, &posix.FileLock{Type: unix.F_UNLCK}
		acquire := func(d time.Duration) error {
			switch kind {
			case "fcntl":
				return posix.SetLockTimeout(fd, wr, d)
			case "ofd":
				return posix.OFDSetLockTimeout(fd, wr, d)
			}
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			return posix.FlockContext(ctx, fd, unix.LOCK_EX)
		}
		tryAcquire := func() error {
			switch kind {
			case "fcntl":
				return posix.SetLock(fd, wr)
			case "ofd":
				return posix.OFDSetLock(fd, wr)
			}
			return posix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		}
		release := func() error {
			switch kind {
			case "fcntl":
				return posix.SetLock(fd, un)
			case "ofd":
				return posix.OFDSetLock(fd, un)
			}
			return posix.Flock(fd, unix.LOCK_UN)
		}
		var mine uint32 // the survivor's increments
		me := uint32(os.Getpid())
		// enter runs the critical section; a victim found inside must be
		// dead (killed), and must have died in its critical section.
		enter := func() error {
			if inside := r.ld(scenario.KillLockInside); inside != 0 {
				st := r.state()
				if int64(inside) != r.pid.Load() || !r.killed.Load() {
					return fmt.Errorf("mutual exclusion: the lock was granted while pid %d (victim %d, killed %v) was inside", inside, r.pid.Load(), r.killed.Load())
				}
				if !in(st, scenario.KillLkEnter, scenario.KillLkIncrement, scenario.KillLkLeave) {
					return fmt.Errorf("the dead victim is inside in state %d", st)
				}
				s.add("died-inside-critical-section", 1)
				r.st(scenario.KillLockInside, 0)
			}
			r.st(scenario.KillLockInside, me)
			r.st(scenario.KillLockCounter, r.ld(scenario.KillLockCounter)+1)
			mine++
			r.st(scenario.KillLockInside, 0)
			return nil
		}
		sv := r.survive(func(stop *atomic.Bool) error {
			for !stop.Load() {
				err := acquire(faultSlice)
				if timedOut(err) || errors.Is(err, context.DeadlineExceeded) {
					continue
				}
				if err != nil {
					return err
				}
				if err := enter(); err != nil {
					release()
					return err
				}
				if err := release(); err != nil {
					return err
				}
				time.Sleep(20 * time.Microsecond) // leave the victim a chance (and a CPU)
			}
			return nil
		})
		r.startVictim(path)
		r.kill(s)
		r.halt(sv)

		// The dead victim's lock is gone: a non-blocking attempt succeeds.
		start := time.Now()
		r.noErr(tryAcquire(), "a non-blocking lock once the victim was reaped")
		s.add("acquire-after-reap-us", int(time.Since(start).Microseconds()))
		st, count := r.state(), r.ld(scenario.KillJCount)
		if int(r.ld(scenario.KillLockInside)) == r.victimPid {
			s.add("held-at-death", 1)
		}
		r.noErr(enter(), "critical section after the kill")
		theirs := r.ld(scenario.KillLockCounter) - mine
		switch theirs - count {
		case 0:
		case 1:
			s.add("increment-in-flight", 1)
			r.check(in(st, scenario.KillLkIncrement, scenario.KillLkLeave, scenario.KillLkUnlock), "an unrecorded increment in state %d", st)
		default:
			r.fail("the victim made %d increments, recorded %d", theirs, count)
		}
		if in(st, scenario.KillLkEnter, scenario.KillLkIncrement, scenario.KillLkLeave, scenario.KillLkUnlock) {
			s.add("kill-while-holding-lock", 1)
		}
		s.add("items-checked", int(r.ld(scenario.KillLockCounter)))
		s.add("kind-"+kind, 1)
		r.noErr(release(), "unlock")
		r.close()
	})
}
