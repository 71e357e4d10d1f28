package scenario

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProcTimeout bounds every child process a test or the demo starts.
const ProcTimeout = 60 * time.Second

// Proc is a child process (a Go binary in a role, or a C peer) whose output is
// collected and whose lifetime is bounded by ProcTimeout.
type Proc struct {
	Cmd    *exec.Cmd
	Stdout SyncBuffer // may be read while the child runs
	Stderr SyncBuffer
	cancel context.CancelFunc
	code   int
	waited bool
}

// SyncBuffer is a bytes.Buffer safe to read while a child writes into it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p, as bytes.Buffer.Write does.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ProcOpt adjusts a child before it starts.
type ProcOpt func(*exec.Cmd)

// AsNobody runs the child as uid/gid 65534.
func AsNobody(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
}

// Start starts argv with env added to this process's environment.
func Start(argv, env []string, opts ...ProcOpt) (*Proc, error) {
	ctx, cancel := context.WithTimeout(context.Background(), ProcTimeout)
	p := &Proc{cancel: cancel}
	p.Cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	p.Cmd.Env = append(os.Environ(), env...)
	p.Cmd.Stdout = &p.Stdout
	p.Cmd.Stderr = &p.Stderr
	for _, o := range opts {
		o(p.Cmd)
	}
	if err := p.Cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start %v: %w", argv, err)
	}
	return p, nil
}

// Wait waits for the child and returns its exit code (-1 if it was killed).
// Later calls return the same code.
func (p *Proc) Wait() int {
	if p.waited {
		return p.code
	}
	p.waited = true
	defer p.cancel()
	p.Cmd.Wait()
	p.code = p.Cmd.ProcessState.ExitCode()
	return p.code
}

// Kill kills the child (if still running) and reaps it.
func (p *Proc) Kill() {
	if !p.waited {
		p.Cmd.Process.Kill()
		p.Wait()
	}
}

// Finish waits for the child and returns its trimmed stdout, or an error
// carrying its exit code and both outputs when it did not exit 0.
func (p *Proc) Finish() (string, error) {
	if code := p.Wait(); code != 0 {
		return "", fmt.Errorf("%s exited %d\nstdout: %s\nstderr: %s", filepath.Base(p.Cmd.Path), code,
			strings.TrimSpace(p.Stdout.String()), strings.TrimSpace(p.Stderr.String()))
	}
	return strings.TrimSpace(p.Stdout.String()), nil
}

// BuildPeers compiles every tests/cpeers/*.c found in srcDir into dstDir with
// the flags PROTOCOL.md gives.
func BuildPeers(srcDir, dstDir string) error {
	srcs, err := filepath.Glob(filepath.Join(srcDir, "*.c"))
	if err != nil || len(srcs) == 0 {
		return fmt.Errorf("no C peers in %s", srcDir)
	}
	for _, src := range srcs {
		if _, err := BuildPeer(src, dstDir); err != nil {
			return err
		}
	}
	return nil
}

// BuildPeer compiles one C peer (src, a tests/cpeers/*.c) into dstDir with
// the flags PROTOCOL.md gives, and returns the binary's path.
func BuildPeer(src, dstDir string) (string, error) {
	bin := filepath.Join(dstDir, strings.TrimSuffix(filepath.Base(src), ".c"))
	out, err := exec.Command("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", bin, src, "-lrt").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("gcc %s: %v\n%s", src, err, out)
	}
	return bin, nil
}
