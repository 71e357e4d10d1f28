package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The test binary runs posixipc itself when secArgsEnv is set (arguments
// separated by \x1f), so that these tests run the real command in another
// process, with its own umask, without building it.
const secArgsEnv = "POSIXIPC_SECURITY_TEST_ARGS"

func init() {
	if a, ok := os.LookupEnv(secArgsEnv); ok {
		os.Exit(run(strings.Split(a, "\x1f")))
	}
}

var secSeq atomic.Int64

// noRaceSleep spares a Go child the 1 s the race detector sleeps at exit
// (GORACE atexit_sleep_ms, 1000 by default).
var noRaceSleep = "GORACE=" + os.Getenv("GORACE") + " atexit_sleep_ms=0"

// secName is a fresh object name of this test process, "/posixipc-sec-PID-N".
func secName() string {
	return fmt.Sprintf("/posixipc-sec-%d-%d", os.Getpid(), secSeq.Add(1))
}

// posixipc runs the command under umask (through sh), bounded by 30 s, and
// returns its stdout, stderr and exit code.
func posixipc(t *testing.T, umask uint32, args ...string) (string, string, int) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", fmt.Sprintf(`umask %04o; exec "$0"`, umask), exe)
	cmd.Env = append(os.Environ(), secArgsEnv+"="+strings.Join(args, "\x1f"), noRaceSleep)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return stdout.String(), stderr.String(), code
}

func permOf(t *testing.T, path string) uint32 {
	t.Helper()
	var st unix.Stat_t
	require.NoError(t, unix.Lstat(path, &st), path)
	return st.Mode & 0o7777
}

func mqPermOf(t *testing.T, name string) uint32 {
	t.Helper()
	q, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	require.NoError(t, err, name)
	defer q.Close()
	var st unix.Stat_t
	require.NoError(t, unix.Fstat(q.Fd(), &st))
	return st.Mode & 0o7777
}

// The create verbs give 0600 without --mode, whatever the umask (0 here: no
// mask to hide a looser default), and --mode less the umask with it, as
// sem_open, shm_open and mq_open do.
func TestCreateVerbsDefaultTo0600(t *testing.T) {
	for _, c := range []struct {
		umask uint32
		mode  string // "" = no --mode
		want  uint32
	}{{0, "", 0o600}, {0o077, "", 0o600}, {0, "0640", 0o640}, {0o022, "0666", 0o644}} {
		sem, shm, mq := secName(), secName(), secName()
		t.Cleanup(func() {
			posix.UnlinkSemaphore(sem)
			posix.UnlinkSharedMemory(shm)
			posix.UnlinkMessageQueue(mq)
		})
		var extra []string
		if c.mode != "" {
			extra = []string{"--mode", c.mode}
		}
		for _, args := range [][]string{{"sem", "create", sem}, {"shm", "create", shm, "--size", "4096"}, {"mq", "create", mq}} {
			out, errOut, code := posixipc(t, c.umask, append(args, extra...)...)
			require.Equal(t, 0, code, "%v: %s %s", args, out, errOut)
		}
		assert.Equal(t, c.want, permOf(t, "/dev/shm/sem."+sem[1:]), "sem, umask %04o, mode %q", c.umask, c.mode)
		assert.Equal(t, c.want, permOf(t, "/dev/shm/"+shm[1:]), "shm, umask %04o, mode %q", c.umask, c.mode)
		assert.Equal(t, c.want, mqPermOf(t, mq), "mq, umask %04o, mode %q", c.umask, c.mode)
	}
}

// Symbolic links and directories planted in /dev/shm are not objects: ls,
// stat and rm --all neither report them nor follow them to the file they
// point at (outside /dev/shm). rm NAME is shm_unlink/sem_unlink/mq_unlink as
// in C: unlink(2) removes the link itself, never its target.
func TestPlantedLinksInDevShmAreNotFollowed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("/dev/shm links of another user are refused by protected_symlinks; run as root")
	}
	prefix := fmt.Sprintf("/posixipc-sec-%d-evil-", os.Getpid())
	target := t.TempDir() + "/target"
	const content = "outside /dev/shm, 4096 bytes would be a shm object's size"
	require.NoError(t, os.WriteFile(target, []byte(content), 0o600))
	shmLink, semLink, dir, real := prefix+"shm", prefix+"sem", prefix+"dir", prefix+"real"
	require.NoError(t, os.Symlink(target, "/dev/shm/"+shmLink[1:]))
	require.NoError(t, os.Symlink(target, "/dev/shm/sem."+semLink[1:]))
	require.NoError(t, os.Mkdir("/dev/shm/"+dir[1:], 0o700))
	t.Cleanup(func() {
		os.Remove("/dev/shm/" + shmLink[1:])
		os.Remove("/dev/shm/sem." + semLink[1:])
		os.Remove("/dev/shm/" + dir[1:])
		posix.UnlinkSharedMemory(real)
	})
	s, err := posix.OpenSharedMemory(real, unix.O_CREAT|unix.O_EXCL|unix.O_RDWR, 0o600)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	targetIntact := func(what string) {
		t.Helper()
		b, err := os.ReadFile(target)
		require.NoError(t, err, what)
		assert.Equal(t, content, string(b), "%s: the target changed", what)
	}
	names := func(out string) []string {
		var res struct {
			Objects []struct{ Name, Type string }
		}
		require.NoError(t, json.Unmarshal([]byte(out), &res), out)
		var ns []string
		for _, o := range res.Objects {
			if strings.HasPrefix(o.Name, prefix) {
				ns = append(ns, o.Type+" "+o.Name)
			}
		}
		return ns
	}

	out, errOut, code := posixipc(t, 0o022, "ls", "--json")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, []string{"shm " + real}, names(out), "ls lists the real object only")
	targetIntact("ls")

	for _, n := range []string{shmLink, semLink, dir} {
		out, errOut, code = posixipc(t, 0o022, "stat", n, "--json")
		assert.Equal(t, 1, code, "stat %s: %s %s", n, out, errOut)
		assert.Contains(t, errOut, "no such file or directory", "stat %s", n)
		targetIntact("stat " + n)
	}

	// The verbs that open an object get glibc's O_NOFOLLOW answer.
	for _, args := range [][]string{{"sem", "value", semLink}, {"sem", "post", semLink}, {"shm", "cat", shmLink}, {"ls", shmLink}} {
		out, errOut, code = posixipc(t, 0o022, args...)
		assert.Equal(t, 1, code, "%v: %s %s", args, out, errOut)
		if args[0] != "ls" {
			assert.Contains(t, errOut, "too many levels of symbolic links", "%v", args)
		}
		targetIntact(strings.Join(args, " "))
	}

	out, errOut, code = posixipc(t, 0o022, "rm", "--all", "--prefix", prefix, "--json")
	require.Equal(t, 0, code, errOut)
	assert.JSONEq(t, fmt.Sprintf(`{"removed":[{"name":%q,"type":"shm"}],"dry_run":false}`, real), out)
	targetIntact("rm --all")
	for _, p := range []string{"/dev/shm/" + shmLink[1:], "/dev/shm/sem." + semLink[1:], "/dev/shm/" + dir[1:]} {
		_, err := os.Lstat(p)
		assert.NoError(t, err, "rm --all left %s alone", p)
	}

	// Named explicitly: unlink(2) of the entry, as C's shm_unlink and
	// sem_unlink: the link goes, the target stays.
	_, errOut, code = posixipc(t, 0o022, "rm", "--type", "shm", shmLink)
	assert.Equal(t, 0, code, errOut)
	_, errOut, code = posixipc(t, 0o022, "rm", "--type", "sem", semLink)
	assert.Equal(t, 0, code, errOut)
	for _, p := range []string{"/dev/shm/" + shmLink[1:], "/dev/shm/sem." + semLink[1:]} {
		_, err := os.Lstat(p)
		assert.ErrorIs(t, err, os.ErrNotExist, "rm NAME removes the link %s", p)
	}
	targetIntact("rm NAME")
	_, errOut, code = posixipc(t, 0o022, "rm", "--type", "shm", dir)
	assert.Equal(t, 1, code, "a directory is not removed: %s", errOut)
	assert.Contains(t, errOut, "is a directory")
}

// ls --mount creates the /dev/mqueue mount point 0755 (under umask 0 here): the mqueue
// filesystem's root is 1777 while mounted whatever the mount point's mode, and
// once unmounted nothing world-writable is left in /dev. Run in a private
// mount namespace, on a tmpfs over /dev, so that the machine's /dev is not
// touched.
func TestMountPointIsNotWorldWritable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	script := `set -e
umask 0
mount -t tmpfs -o mode=0755 none /dev
POSIXIPC_SECURITY_TEST_ARGS="$(printf 'ls\037--type\037mq\037--mount')" "$0" >/dev/null 2>&1
echo "mounted $(stat -c %a /dev/mqueue)"
umount /dev/mqueue
echo "unmounted $(stat -c %a /dev/mqueue)"`
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script, exe)
	cmd.Env = append(os.Environ(), noRaceSleep)
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS} // Go makes / private in it
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "mounted 1777\nunmounted 755\n", string(out))
}

// A symlink planted at /dev/mqueue is not followed by --mount: posixipc
// refuses (ENOTDIR) and mounts nothing on the link's target. Run in a private
// mount namespace over a tmpfs /dev.
func TestMountRefusesAPlantedMqueueLink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	target := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	script := `mount -t tmpfs -o mode=0755 none /dev || exit 1
ln -s "$1" /dev/mqueue || exit 1
POSIXIPC_SECURITY_TEST_ARGS="$(printf 'ls\037--type\037mq\037--mount')" "$0" >/dev/null 2>&1
echo "exit $?"
if grep -q " $1 mqueue " /proc/self/mounts; then echo "target mounted"; else echo "target untouched"; fi`
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script, exe, target)
	cmd.Env = append(os.Environ(), noRaceSleep)
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "exit 1\ntarget untouched\n", string(out))
}
