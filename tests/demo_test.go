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
	all := []string{"handshake", "mutex", "ring", "order", "errno", "shm", "mq", "filelock", "sigqueue", "spawn", "tls", "robust", "pc"}
	for _, s := range all {
		assert.Contains(t, stdout, "ok   "+s, "scenario %s", s)
		assert.Regexp(t, `(?m)^`+s+` +pass +[0-9.]+(µs|ms|s) *$`, stdout, "table row of %s", s)
	}
	assert.NotContains(t, stdout, "not built yet")
	assert.True(t, strings.HasSuffix(stdout, "demo: all 13 scenarios passed"), stdout)
	// The steps of the issue-6 scenarios, in plain words.
	assert.Regexp(t, `lockf: C F_GETLK write 1000-1009 -> held by pid [0-9]+`, stdout)
	assert.Contains(t, stdout, "/proc/locks shows the waiter (->)")
	assert.Contains(t, stdout, "no lock is left on the file")
	assert.Regexp(t, `C  sender pid [0-9]+: sigqueue\(SIGRTMIN\+6, value i\) for i = 1..30 -> 30 received`, stdout)
	assert.Regexp(t, `Go sender pid [0-9]+: sigqueue\(SIGRTMIN\+6, value i\) for i = 1..30 -> 30 received`, stdout)
	assert.Contains(t, stdout, "SIGUSR1 received 1 time(s)")
	assert.Contains(t, stdout, "still says state Z (zombie)")
	assert.Contains(t, stdout, "WIFEXITED, exit status 7")
	assert.Contains(t, stdout, "WIFSIGNALED by SIGTERM, no core dump")
	assert.Regexp(t, `WCOREDUMP: core dumped|core dump: not shown: `, stdout)
	// Nothing left in /dev/shm (the demo names its objects libcipc-demo-PID-N).
	assert.Contains(t, stdout, "nothing left behind")
	entries, err := os.ReadDir("/dev/shm")
	require.NoError(t, err)
	demoPrefix := fmt.Sprintf("libcipc-demo-%d-", p.Cmd.Process.Pid)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(strings.TrimPrefix(e.Name(), "sem."), demoPrefix), "left behind: %s", e.Name())
	}
	// Nor a temp dir of the file and process scenarios.
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), demoPrefix+"*"))
	require.NoError(t, err)
	assert.Empty(t, dirs, "temp dirs left behind")

	// A scenario that fails makes the demo exit non-zero: here, a C peer that
	// is not the protocol's.
	p = start(t, []string{bin, "demo", "--peers", "/nonexistent", "handshake"}, nil)
	assert.Equal(t, 1, p.Wait())
	assert.Contains(t, p.Stdout.String(), "FAIL handshake")
	assert.Regexp(t, `(?m)^handshake +FAIL +`, p.Stdout.String())
	assert.Contains(t, p.Stdout.String(), "demo: 1 of 1 scenarios FAILED")
	p = start(t, []string{bin, "demo", "nosuch"}, nil)
	assert.Equal(t, 2, p.Wait())
	// Scenarios asked for by name run alone.
	p = start(t, []string{bin, "demo", "--peers", filepath.Dir(peer), "spawn", "filelock"}, nil)
	assert.Equal(t, 0, p.Wait(), p.Stderr.String())
	assert.Contains(t, p.Stdout.String(), "demo: all 2 scenarios passed")
	assert.NotContains(t, p.Stdout.String(), "== sigqueue")
}
