package tests

// Build facts of DESIGN §1.1, proven with the real go command: a consumer
// module builds against libcipc through a replace, after `go mod vendor`, and
// from a read-only module cache; an edit to csrc/*.c or include/*.h is
// recompiled rather than served stale from the build cache; and a
// CGO_ENABLED=0 build compiles and reports ErrCgoRequired at run time.
//
// Every go command runs offline: GOPROXY points at file:// proxies only (the
// download cache of the machine's module cache, plus one built by the test),
// GOSUMDB is off and GOTOOLCHAIN is local. GOCACHE is inherited, so the builds
// reuse the build cache.

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildTimeout bounds every command these tests run.
const buildTimeout = 4 * time.Minute

// consumerMain is the consumer program: it creates, takes, closes and
// unlinks the named semaphore given as its argument and prints "ok", or prints
// the error and exits 1.
const consumerMain = `package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ok")
}

func run(name string) error {
	s, err := posix.OpenSemaphore(name, unix.O_CREAT|unix.O_EXCL, 0o600, 1)
	if err != nil {
		return err
	}
	err = s.TryWait()
	return errors.Join(err, s.Close(), posix.UnlinkSemaphore(name))
}
`

// repoRoot is the absolute path of the libcipc module root (the parent of
// tests/, where go test runs).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"))
	return root
}

var (
	modCacheOnce sync.Once
	modCache     string
	modCacheErr  error
)

// realModCache is `go env GOMODCACHE`: its cache/download directory serves as
// an offline file:// GOPROXY for the modules already downloaded.
func realModCache(t *testing.T) string {
	t.Helper()
	modCacheOnce.Do(func() {
		var out string
		out, modCacheErr = runIn("", os.Environ(), "go", "env", "GOMODCACHE")
		modCache = strings.TrimSpace(out)
		if modCacheErr == nil && modCache == "" {
			modCacheErr = errors.New("go env GOMODCACHE is empty")
		}
	})
	require.NoError(t, modCacheErr, "go env GOMODCACHE: %s", modCache)
	return modCache
}

// offlineEnv is the environment with the settings that keep the go command
// off the network and out of any workspace, then overrides ("KEY=value")
// applied on top.
func offlineEnv(t *testing.T, overrides ...string) []string {
	t.Helper()
	set := append([]string{
		"GOTOOLCHAIN=local",
		"GOWORK=off",
		"GOPROXY=file://" + filepath.Join(realModCache(t), "cache", "download"),
		"GOSUMDB=off",
		"GONOSUMDB=",
		"GOFLAGS=-mod=mod",
		"CGO_ENABLED=1",
	}, overrides...)
	keys := map[string]bool{}
	for _, kv := range set {
		keys[kv[:strings.IndexByte(kv, '=')]] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !keys[k] {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}

// runIn runs name with args in dir under env, within buildTimeout, and returns
// its combined output.
func runIn(dir string, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (timed out after %v)", err, buildTimeout)
	}
	return string(out), err
}

// mustRun is runIn that fails the test, with the output, when the command fails.
func mustRun(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	start := time.Now()
	out, err := runIn(dir, env, name, args...)
	require.NoError(t, err, "%s %s in %s:\n%s", name, strings.Join(args, " "), dir, out)
	t.Logf("%s %s: %v", name, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return out
}

// writeFile writes content to dir/rel, creating the directories on the way.
func writeFile(t *testing.T, dir, rel string, content []byte) {
	t.Helper()
	path := filepath.Join(dir, rel)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, content, 0o644))
}

// newConsumer writes the consumer module, requiring libcipc at version (with
// replace appended to go.mod verbatim), and runs `go mod tidy` under env.
func newConsumer(t *testing.T, env []string, version, replace string) string {
	t.Helper()
	dir := t.TempDir()
	gomod := "module example.com/consumer\n\ngo 1.26.0\n\nrequire github.com/libcipc/libcipc " + version + "\n" + replace
	writeFile(t, dir, "go.mod", []byte(gomod))
	sum, err := os.ReadFile(filepath.Join(repoRoot(t), "go.sum"))
	require.NoError(t, err)
	writeFile(t, dir, "go.sum", sum)
	writeFile(t, dir, "main.go", []byte(consumerMain))
	mustRun(t, dir, env, "go", "mod", "tidy")
	return dir
}

// replacedConsumer is the consumer with libcipc replaced by this checkout.
func replacedConsumer(t *testing.T) string {
	t.Helper()
	replace := "\nreplace github.com/libcipc/libcipc => " + repoRoot(t) + "\n"
	return newConsumer(t, offlineEnv(t), "v0.0.0", replace)
}

// runConsumer runs the consumer binary bin on a fresh semaphore name of this
// run and returns its combined output and error.
func runConsumer(t *testing.T, bin string) (string, error) {
	t.Helper()
	name := uniqueName()
	// Should the consumer die between sem_open and sem_unlink, leave nothing behind.
	t.Cleanup(func() { _ = posix.UnlinkSemaphore(name) })
	return runIn(filepath.Dir(bin), os.Environ(), bin, name)
}

// buildAndRunConsumer builds the consumer in dir with extra build flags and
// requires that it prints "ok".
func buildAndRunConsumer(t *testing.T, dir string, env []string, flags ...string) {
	t.Helper()
	bin := filepath.Join(dir, "consumer")
	mustRun(t, dir, env, "go", append(append([]string{"build"}, flags...), "-o", bin, ".")...)
	out, err := runConsumer(t, bin)
	require.NoError(t, err, "consumer: %s", out)
	assert.Equal(t, "ok\n", out)
}

// moduleFiles lists, relative to root, the files that belong in a module zip
// of the module at root: regular files, outside .git, build/, vendor/ and any
// nested module, no larger than 500 KB.
func moduleFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			switch rel {
			case ".git", "build", "vendor":
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() <= 500<<10 {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	require.NoError(t, err)
	require.Contains(t, files, "go.mod")
	return files
}

// copyModule copies the module files of src into a new temporary directory.
func copyModule(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, rel := range moduleFiles(t, src) {
		data, err := os.ReadFile(filepath.Join(src, rel))
		require.NoError(t, err)
		writeFile(t, dst, rel, data)
	}
	return dst
}

// writeProxy makes dir a file:// GOPROXY serving the module at root as
// modPath@version.
func writeProxy(t *testing.T, dir, root, modPath, version string) {
	t.Helper()
	at := filepath.Join(dir, filepath.FromSlash(modPath), "@v")
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	writeFile(t, at, "list", []byte(version+"\n"))
	writeFile(t, at, version+".info", []byte(`{"Version":"`+version+`","Time":"2026-01-01T00:00:00Z"}`))
	writeFile(t, at, version+".mod", gomod)

	f, err := os.Create(filepath.Join(at, version+".zip"))
	require.NoError(t, err)
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, rel := range moduleFiles(t, root) {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		require.NoError(t, err)
		w, err := zw.Create(modPath + "@" + version + "/" + rel)
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
}

func skipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command: skipped with -short")
	}
}

func TestConsumerModuleBuildsWithReplaceAndAfterVendor(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	env := offlineEnv(t)
	dir := replacedConsumer(t)
	buildAndRunConsumer(t, dir, env)

	mustRun(t, dir, env, "go", "mod", "vendor")
	vendored := filepath.Join(dir, "vendor", "github.com", "libcipc", "libcipc")
	require.FileExists(t, filepath.Join(vendored, "csrc", "sem.c"), "go mod vendor must copy csrc/")
	require.FileExists(t, filepath.Join(vendored, "include", "libcipc.h"), "go mod vendor must copy include/")
	buildAndRunConsumer(t, dir, offlineEnv(t, "GOFLAGS=", "GOPROXY=off"), "-mod=vendor")
}

func TestConsumerBuildsFromReadOnlyModuleCache(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	const version = "v0.0.1"
	proxy := t.TempDir()
	writeProxy(t, proxy, repoRoot(t), "github.com/libcipc/libcipc", version)

	cache := t.TempDir()
	env := offlineEnv(t,
		"GOMODCACHE="+cache,
		"GOPROXY=file://"+proxy+",file://"+filepath.Join(realModCache(t), "cache", "download"))
	// The go command makes the extracted modules read-only; t.TempDir could
	// not remove them. Registered after TempDir, so it runs first.
	t.Cleanup(func() {
		if out, err := runIn("", env, "go", "clean", "-modcache"); err != nil {
			t.Errorf("go clean -modcache: %v\n%s", err, out)
		}
	})

	dir := newConsumer(t, env, version, "")
	buildAndRunConsumer(t, dir, env)

	extracted := filepath.Join(cache, "github.com", "libcipc", "libcipc@"+version)
	require.FileExists(t, filepath.Join(extracted, "csrc", "sem.c"))
	var writable []string
	err := filepath.WalkDir(extracted, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o222 != 0 {
			writable = append(writable, fmt.Sprintf("%s %v", path, info.Mode()))
		}
		return nil
	})
	require.NoError(t, err)
	assert.Empty(t, writable, "the module cache must be read-only, so the build above wrote nothing into it")
}

func TestEditedCSourceIsRecompiled(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	dir := copyModule(t, repoRoot(t))
	env := offlineEnv(t, "GOPROXY=off")
	mustRun(t, dir, env, "go", "build", "./posix")

	const marker = "stale C must not be reused"
	for _, rel := range []string{"csrc/sem.c", "include/libcipc.h"} {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		orig, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(orig, "\n#error \""+marker+"\"\n"...), 0o644))
		out, err := runIn(dir, env, "go", "build", "./posix")
		require.Error(t, err, "go build ./posix reused a stale build after an #error was appended to %s "+
			"(posix must import the root package, which embeds csrc/*.c and include/*.h: DESIGN §1.1):\n%s", rel, out)
		assert.Contains(t, out, marker, "go build ./posix failed for another reason than the edit to %s", rel)
		require.NoError(t, os.WriteFile(path, orig, 0o644))
	}
	mustRun(t, dir, env, "go", "build", "./posix")
}

func TestCgoDisabledBuildsAndReportsCgoRequired(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	env := offlineEnv(t, "CGO_ENABLED=0")
	dir := replacedConsumer(t)
	bin := filepath.Join(dir, "consumer")
	mustRun(t, dir, env, "go", "build", "-o", bin, ".")
	out, err := runConsumer(t, bin)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "a CGO_ENABLED=0 consumer must fail; it said:\n%s", out)
	assert.Equal(t, 1, exit.ExitCode())
	assert.Contains(t, out, "requires cgo")

	mustRun(t, repoRoot(t), offlineEnv(t, "CGO_ENABLED=0", "GOPROXY=off"), "go", "vet", "./posix")
}
