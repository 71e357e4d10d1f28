package tests

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libcipc/libcipc/internal/scenario"
)

// The test binary plays a role in a child process when roleEnv is set; the
// arguments come in argsEnv, separated by \x1f. Roles print and exit like the C
// peers (tests/cpeers/PROTOCOL.md): 0 done, 1 usage, 2 a call failed, 3 a
// bounded wait timed out, 4 a verification failed.
const (
	roleEnv = "LIBCIPC_TEST_ROLE"
	argsEnv = "LIBCIPC_TEST_ARGS"
)

// proc is a child process of a test, killed and reaped at the test's end.
type proc struct{ *scenario.Proc }

var asNobody = scenario.AsNobody

func start(t testing.TB, argv []string, env []string, opts ...scenario.ProcOpt) *proc {
	t.Helper()
	p, err := scenario.Start(argv, env, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return &proc{p}
}

// startGo runs this test binary in role with args.
func startGo(t testing.TB, role string, args []string, opts ...scenario.ProcOpt) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return start(t, []string{exe, "-test.run=^$"}, []string{roleEnv + "=" + role, argsEnv + "=" + strings.Join(args, "\x1f")}, opts...)
}

// startC runs the C peer sempeer with args.
func startC(t testing.TB, args []string, opts ...scenario.ProcOpt) *proc {
	t.Helper()
	return start(t, append([]string{cpeer(t, "sempeer")}, args...), nil, opts...)
}

// startRole runs role in Go or in C.
func startRole(t testing.TB, lang, role string, args ...string) *proc {
	t.Helper()
	if lang == "C" {
		return startC(t, append([]string{role}, args...))
	}
	return startGo(t, role, args)
}

// finish waits for the child and returns its trimmed stdout, failing the test
// when it exits non-zero.
func (p *proc) finish(t testing.TB) string {
	t.Helper()
	out, err := p.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runRole plays role in this process (TestMain calls it in a child).
func runRole(role string) int {
	var args []string
	if a := os.Getenv(argsEnv); a != "" {
		args = strings.Split(a, "\x1f")
	}
	return scenario.RunRole(role, args)
}

// nobodyExe copies the test binary where uid 65534 can run it (the go tool's
// build directory is private to root).
func nobodyExe(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "libcipc-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dstPath := filepath.Join(dir, "tests.test")
	dst, err := os.OpenFile(dstPath, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return dstPath
}
