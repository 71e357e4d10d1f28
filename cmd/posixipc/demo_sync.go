package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// The seeds' thread scenarios (seed 003: thread-specific data, the mutex and
// the producer/consumer with one mutex and two semaphores), with the pthread
// objects in shared memory between Go and C processes (syncpeer).
func init() {
	scenarios = append(scenarios,
		scenarioFn{"tls", "thread-specific data: 4 threads each count to 1,000,000 in a __thread variable and in a pthread key, Go and C (seed 003)", demoTLS},
		scenarioFn{"robust", "robust mutex: a C and a Go process die holding a pthread mutex in shared memory; the survivor gets EOWNERDEAD, repairs, goes on", demoRobust},
		scenarioFn{"pc", "producer/consumer with a pthread mutex and empty/full semaphores in shared memory, Go and C producers and consumers (seed 003)", demoPC},
	)
}

// syncRole starts syncpeer's command in C, or its Go twin role.
func (e *demoEnv) syncRole(lang, cmd string, args ...string) (*scenario.Proc, error) {
	if lang == "C" {
		return scenario.Start(append([]string{filepath.Join(filepath.Dir(e.peer), "syncpeer"), cmd}, args...), nil)
	}
	return scenario.Start(append([]string{e.self, roleVerb, "sync-" + cmd}, args...), nil)
}

// syncArea creates the zeroed sync area, has lang initialise it, and
// attaches; the returned func removes everything.
func (e *demoEnv) syncArea(lang string, robust int) (*scenario.SyncArea, string, func(), error) {
	name := e.name()
	shm, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		return nil, "", nil, err
	}
	unlink := func() { posix.UnlinkSharedMemory(name) }
	err = shm.Truncate(scenario.SyncSize)
	shm.Close()
	if err == nil {
		var p *scenario.Proc
		if p, err = e.syncRole(lang, "init", name, strconv.Itoa(robust), "0"); err == nil {
			_, err = p.Finish()
		}
	}
	var a *scenario.SyncArea
	if err == nil {
		a, err = scenario.OpenSyncArea(name)
	}
	if err != nil {
		unlink()
		return nil, "", nil, err
	}
	return a, name, func() { a.Close(); unlink() }, nil
}

func demoTLS(e *demoEnv) error {
	for _, prog := range []string{"tls", "key"} {
		what := map[string]string{"tls": "__thread", "key": "pthread_key_create/getspecific/setspecific"}[prog]
		for _, lang := range []string{"C", "Go"} {
			var p *scenario.Proc
			var err error
			if lang == "C" {
				p, err = scenario.Start([]string{filepath.Join(filepath.Dir(e.peer), "syncpeer"), prog, "4", "1000000"}, nil)
			} else {
				p, err = scenario.Start([]string{e.self, roleVerb, prog, "4", "1000000"}, nil)
			}
			if err != nil {
				return err
			}
			start := time.Now()
			out, err := p.Finish()
			if err != nil {
				return err
			}
			counts := strings.Count(out, "count=1000000")
			fmt.Printf("   %-2s %-44s 4 threads, each count=1000000: %d of 4 (%v)\n", lang, what, counts, time.Since(start).Round(time.Millisecond))
			if counts != 4 {
				return fmt.Errorf("%s %s: %q", lang, prog, out)
			}
		}
	}
	fmt.Println("   each thread has its own copy; the Go side locks each goroutine to its OS thread (LockedThread)")
	return nil
}

func demoRobust(e *demoEnv) error {
	a, name, cleanup, err := e.syncArea("C", 1)
	if err != nil {
		return err
	}
	defer cleanup()
	survivors := map[string]string{"C": "Go", "Go": "C"}
	for _, dier := range []string{"C", "Go"} {
		p, err := e.syncRole(dier, "holddie", name)
		if err != nil {
			return err
		}
		p.Wait()
		fmt.Printf("   %-2s process %s, then was killed (SIGKILL) holding the mutex\n", dier, strings.TrimSpace(p.Stdout.String()))
		survivor := survivors[dier]
		if survivor == "Go" {
			// This process is the Go survivor.
			err := a.Mu.LockTimeout(scenario.StepTimeout)
			if !errors.Is(err, unix.EOWNERDEAD) {
				return fmt.Errorf("Go survivor: want EOWNERDEAD, got %v", err)
			}
			fmt.Printf("   Go survivor: Lock -> %v; inside=%d left by the dead holder\n", err, a.Inside())
			if err := a.Mu.Consistent(); err != nil {
				return err
			}
			if err := a.Mu.Unlock(); err != nil {
				return err
			}
			fmt.Println("   Go survivor: repaired, Consistent, Unlock")
		} else {
			p, err := e.syncRole("C", "lock", name, "repair")
			if err != nil {
				return err
			}
			out, err := p.Finish()
			if err != nil {
				return err
			}
			fmt.Printf("   C  survivor: %s -> repaired, pthread_mutex_consistent, unlock\n", out)
			if !strings.Contains(out, "ename=EOWNERDEAD") {
				return fmt.Errorf("C survivor: want EOWNERDEAD, got %q", out)
			}
		}
	}
	// Business as usual afterwards: two processes, exact counter.
	before := a.Counter()
	var ps []*scenario.Proc
	for _, l := range []string{"Go", "C"} {
		p, err := e.syncRole(l, "mutex", name, "5000")
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	if _, err := finishAll(ps...); err != nil {
		return err
	}
	fmt.Printf("   then Go and C take it 5000 times each: counter %d -> %d, violations=%d\n", before, a.Counter(), a.Violations())
	if a.Counter() != before+10000 || a.Violations() != 0 {
		return fmt.Errorf("the recovered mutex does not exclude")
	}
	return nil
}

func demoPC(e *demoEnv) error {
	_, name, cleanup, err := e.syncArea("Go", 0)
	if err != nil {
		return err
	}
	defer cleanup()
	const n = 2000
	var ps []*scenario.Proc
	for _, r := range [][]string{
		{"C", "produce", name, strconv.Itoa(n), "1"},
		{"Go", "produce", name, strconv.Itoa(n), strconv.Itoa(n + 1)},
		{"Go", "consume", name, "1500"},
		{"C", "consume", name, strconv.Itoa(2*n - 1500)},
	} {
		p, err := e.syncRole(r[0], r[1], r[2:]...)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	outs, err := finishAll(ps...)
	if err != nil {
		return err
	}
	var sum, sumsq uint64
	for _, out := range outs[2:] {
		var k int
		var s, q uint64
		if _, err := fmt.Sscanf(out, "consume done n=%d sum=%d sumsq=%d", &k, &s, &q); err != nil {
			return fmt.Errorf("%q: %v", out, err)
		}
		sum, sumsq = sum+s, sumsq+q
	}
	var wantSum, wantSq uint64
	for i := uint64(1); i <= 2*n; i++ {
		wantSum, wantSq = wantSum+i, wantSq+i*i
	}
	fmt.Printf("   producers C (items 1..%d), Go (%d..%d); consumers Go (1500), C (%d)\n", n, n+1, 2*n, 2*n-1500)
	fmt.Printf("   sum of consumed items %d (want %d), sum of squares %d (want %d): each consumed exactly once\n", sum, wantSum, sumsq, wantSq)
	if sum != wantSum || sumsq != wantSq {
		return fmt.Errorf("items lost or duplicated")
	}
	return nil
}
