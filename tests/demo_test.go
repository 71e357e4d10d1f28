package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `make demo` is the main job, and CI runs only `make test`: this builds
// posixipc and runs every demo scenario, so CI proves the demo too.
func TestDemoRunsEveryScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the demo")
	}
	bin := filepath.Join(t.TempDir(), "posixipc")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/posixipc").CombinedOutput()
	require.NoError(t, err, "%s", out)
	peer := cpeer(t, "sempeer")
	p := start(t, []string{bin, "demo", "--peers", filepath.Dir(peer)}, nil)
	stdout, err := p.Finish()
	require.NoError(t, err)
	for _, s := range []string{"handshake", "mutex", "ring", "order", "errno", "shm", "mq", "tls", "robust", "pc"} {
		assert.Contains(t, stdout, "ok   "+s, "scenario %s", s)
		assert.Regexp(t, `(?m)^`+s+` +pass +[0-9.]+(µs|ms|s) *$`, stdout, "table row of %s", s)
	}
	// Scenarios whose primitive is not built yet are listed, not run, not failed.
	for _, s := range []string{"filelock", "sigqueue", "spawn"} {
		assert.Regexp(t, `(?m)^`+s+` +not built yet +- +needs .*issue 6`, stdout, "table row of %s", s)
	}
	assert.True(t, strings.HasSuffix(stdout, "demo: all 10 scenarios passed; 3 not built yet (filelock, sigqueue, spawn)"), stdout)
	// Nothing left in /dev/shm (the demo names its objects libcipc-demo-PID-N).
	assert.Contains(t, stdout, "nothing left behind")
	entries, err := os.ReadDir("/dev/shm")
	require.NoError(t, err)
	demoPrefix := fmt.Sprintf("libcipc-demo-%d-", p.Cmd.Process.Pid)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(strings.TrimPrefix(e.Name(), "sem."), demoPrefix), "left behind: %s", e.Name())
	}

	// A scenario that fails makes the demo exit non-zero: here, a C peer that
	// is not the protocol's.
	p = start(t, []string{bin, "demo", "--peers", "/nonexistent", "handshake"}, nil)
	assert.Equal(t, 1, p.Wait())
	assert.Contains(t, p.Stdout.String(), "FAIL handshake")
	assert.Regexp(t, `(?m)^handshake +FAIL +`, p.Stdout.String())
	assert.Contains(t, p.Stdout.String(), "demo: 1 of 1 scenarios FAILED")
	p = start(t, []string{bin, "demo", "nosuch"}, nil)
	assert.Equal(t, 2, p.Wait())
	// A not-built scenario asked for by name is listed as such, and is no failure.
	p = start(t, []string{bin, "demo", "spawn"}, nil)
	assert.Equal(t, 0, p.Wait(), p.Stderr.String())
	assert.Contains(t, p.Stdout.String(), "demo: no scenario run; 1 not built yet (spawn)")
}
