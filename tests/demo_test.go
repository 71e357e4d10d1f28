package tests

import (
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
	}
	assert.True(t, strings.HasSuffix(stdout, "demo: all 10 scenarios passed"), stdout)

	// A scenario that fails makes the demo exit non-zero: here, a C peer that
	// is not the protocol's.
	p = start(t, []string{bin, "demo", "--peers", "/nonexistent", "handshake"}, nil)
	assert.Equal(t, 1, p.Wait())
	assert.Contains(t, p.Stdout.String(), "FAIL handshake")
	p = start(t, []string{bin, "demo", "nosuch"}, nil)
	assert.Equal(t, 2, p.Wait())
}
