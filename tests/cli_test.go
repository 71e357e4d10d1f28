package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The posixipc binary, built once per run into a directory uid 65534 can
// enter (TestMain removes it).
var (
	cliOnce sync.Once
	cliDir  string
	cliErr  error
)

func cliBinary(t testing.TB) string {
	t.Helper()
	cliOnce.Do(func() {
		if cliDir, cliErr = os.MkdirTemp("", "libcipc-cli-"); cliErr != nil {
			return
		}
		if cliErr = os.Chmod(cliDir, 0o755); cliErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(cliDir, "posixipc"), "../cmd/posixipc").CombinedOutput()
		if err != nil {
			cliErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return filepath.Join(cliDir, "posixipc")
}

// cliRun is one finished run of the binary.
type cliRun struct {
	stdout, stderr string
	code           int
}

func withStdin(data string) scenario.ProcOpt {
	return func(c *exec.Cmd) { c.Stdin = strings.NewReader(data) }
}

// cli runs posixipc with args as a real process and waits for it.
func cli(t testing.TB, args []string, opts ...scenario.ProcOpt) cliRun {
	t.Helper()
	p := start(t, append([]string{cliBinary(t)}, args...), nil, opts...)
	code := p.Wait()
	return cliRun{p.Stdout.String(), p.Stderr.String(), code}
}

// cliOK runs posixipc and fails the test unless it exits 0.
func cliOK(t testing.TB, args ...string) string {
	t.Helper()
	r := cli(t, args)
	require.Equal(t, 0, r.code, "posixipc %v\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
	return r.stdout
}

// cliJSON runs posixipc with --json and decodes its output into v.
func cliJSON(t testing.TB, v any, args ...string) {
	t.Helper()
	out := cliOK(t, append(args, "--json")...)
	require.NoError(t, json.Unmarshal([]byte(out), v), "%s", out)
}

// cliFails runs posixipc expecting exit code and a stderr containing msg.
func cliFails(t testing.TB, code int, msg string, args []string, opts ...scenario.ProcOpt) {
	t.Helper()
	r := cli(t, args, opts...)
	assert.Equal(t, code, r.code, "posixipc %v\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
	assert.Contains(t, r.stderr, msg, "posixipc %v", args)
}

// The JSON documents, decoded with the field names the README promises.
type cliHolder struct {
	PID  int    `json:"pid"`
	Comm string `json:"comm"`
	How  string `json:"how"`
}

type cliObject struct {
	Name      string      `json:"name"`
	Type      string      `json:"type"`
	Path      string      `json:"path"`
	Mode      string      `json:"mode"`
	UID       uint32      `json:"uid"`
	Owner     string      `json:"owner"`
	Mtime     time.Time   `json:"mtime"`
	Size      *int64      `json:"size"`
	Value     *int        `json:"value"`
	Msgs      *int64      `json:"msgs"`
	MaxMsg    *int64      `json:"maxmsg"`
	MsgSize   *int64      `json:"msgsize"`
	UsedBytes *int64      `json:"used_bytes"`
	NotifyPID *int        `json:"notify_pid"`
	Holders   []cliHolder `json:"holders"`
	Error     string      `json:"error"`
}

type cliList struct {
	Objects       []cliObject `json:"objects"`
	MqueueMounted bool        `json:"mqueue_mounted"`
	MqueueHint    string      `json:"mqueue_hint"`
}

func (l cliList) find(name, typ string) *cliObject {
	for i, o := range l.Objects {
		if o.Name == name && o.Type == typ {
			return &l.Objects[i]
		}
	}
	return nil
}

func TestCLISemaphoreCreateUseListRemove(t *testing.T) {
	name := uniqueName()
	var ob cliObject
	cliJSON(t, &ob, "sem", "create", name, "--value", "2", "--mode", "0640", "--excl")
	assert.Equal(t, "sem", ob.Type)
	assert.Equal(t, "/dev/shm/sem."+name[1:], ob.Path)
	require.NotNil(t, ob.Value)
	assert.Equal(t, 2, *ob.Value)
	assert.Equal(t, "0640", ob.Mode)
	assert.Equal(t, "root", ob.Owner)
	assert.WithinDuration(t, time.Now(), ob.Mtime, time.Minute)
	assert.Empty(t, ob.Holders)

	cliFails(t, 1, "posixipc: sem_open "+name+": file exists", []string{"sem", "create", name, "--excl"})
	assert.Contains(t, cliOK(t, "sem", "create", name[1:], "--value", "7"), "opened existing named semaphore "+name)
	assert.Equal(t, "2\n", cliOK(t, "sem", "value", name))

	var st struct {
		Name  string `json:"name"`
		Value int    `json:"value"`
	}
	cliJSON(t, &st, "sem", "post", name)
	assert.Equal(t, 3, st.Value)
	cliJSON(t, &st, "sem", "wait", name, "--timeout", "1s")
	assert.Equal(t, 2, st.Value)
	assert.Equal(t, "took "+name+": value now 1\n", cliOK(t, "sem", "wait", name))
	cliOK(t, "sem", "wait", name, "--timeout=100ms")
	cliFails(t, 1, "posixipc: sem_clockwait "+name+": connection timed out", []string{"sem", "wait", name, "--timeout", "50ms"})

	var l cliList
	cliJSON(t, &l, "ls", "--type", "sem")
	got := l.find(name, "sem")
	require.NotNil(t, got, "%+v", l)
	assert.Equal(t, 0, *got.Value)
	assert.Nil(t, l.find(name, "shm"))
	assert.Contains(t, cliOK(t, "ls"), name)
	assert.Contains(t, cliOK(t, "stat", name), "value      0")

	assert.Equal(t, "removed named semaphore "+name+"\n", cliOK(t, "rm", name))
	cliFails(t, 1, "posixipc: stat "+name+": no such file or directory", []string{"stat", name})
	cliFails(t, 1, "posixipc: rm "+name+": no such file or directory", []string{"rm", name})
	cliFails(t, 1, "posixipc: sem_unlink "+name+": no such file or directory", []string{"rm", "--type", "sem", name})
}

// sem value opens without O_CREAT: a missing semaphore stays missing.
func TestCLISemValueNeverCreates(t *testing.T) {
	name := uniqueName()
	cliFails(t, 1, "posixipc: sem_open "+name+": no such file or directory", []string{"sem", "value", name})
	cliFails(t, 1, "posixipc: sem_open "+name+": no such file or directory", []string{"sem", "post", name})
	_, err := os.Lstat("/dev/shm/sem." + name[1:])
	assert.True(t, os.IsNotExist(err), "sem value created %s: %v", name, err)
}

func TestCLISharedMemoryCreateWriteCatTruncateRemove(t *testing.T) {
	name := uniqueName()
	var ob cliObject
	cliJSON(t, &ob, "shm", "create", name, "--size", "8K", "--excl")
	assert.Equal(t, "shm", ob.Type)
	require.NotNil(t, ob.Size)
	assert.Equal(t, int64(8192), *ob.Size)
	assert.Equal(t, "0600", ob.Mode)
	defer posix.UnlinkSharedMemory(name)

	r := cli(t, []string{"shm", "write", name, "--offset", "4K"}, withStdin("hello, shm"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "wrote 10 bytes to "+name+" at offset 4096\n", r.stdout)
	out := cliOK(t, "shm", "cat", name)
	assert.Len(t, out, 8192)
	assert.Equal(t, "hello, shm", out[4096:4106])
	assert.Equal(t, strings.Repeat("\x00", 4096), out[:4096])
	hexOut := cliOK(t, "shm", "cat", name, "--hex")
	assert.Contains(t, hexOut, "00001000  68 65 6c 6c 6f 2c 20 73  68 6d 00 00 00 00 00 00  |hello, shm......|")
	assert.Contains(t, hexOut, "*\n")

	// Past the end: refused, the object is not grown.
	cliFails(t, 1, "go past the end of the object (8192 bytes)", []string{"shm", "write", name, "--offset", "8190"}, withStdin("xyz"))
	var tr struct {
		Size int64 `json:"size"`
	}
	cliJSON(t, &tr, "shm", "truncate", name, "16")
	assert.Equal(t, int64(16), tr.Size)
	r = cli(t, []string{"shm", "write", name, "--json"}, withStdin("0123456789abcdef"))
	require.Equal(t, 0, r.code, r.stderr)
	var c struct {
		Size   int64   `json:"size"`
		Text   *string `json:"text"`
		Base64 []byte  `json:"base64"`
	}
	cliJSON(t, &c, "shm", "cat", name)
	require.NotNil(t, c.Text)
	assert.Equal(t, "0123456789abcdef", *c.Text)
	cliOK(t, "shm", "write", name) // nothing on stdin: writes nothing
	r = cli(t, []string{"shm", "write", name}, withStdin("\xff\xfe"))
	require.Equal(t, 0, r.code, r.stderr)
	c.Text = nil
	cliJSON(t, &c, "shm", "cat", name)
	assert.Nil(t, c.Text)
	assert.Equal(t, []byte("\xff\xfe23456789abcdef"), c.Base64)

	var l cliList
	cliJSON(t, &l, "stat", name, "--type", "shm")
	require.Len(t, l.Objects, 1)
	assert.Equal(t, int64(16), *l.Objects[0].Size)

	var rm struct {
		Removed []struct{ Name, Type string } `json:"removed"`
	}
	cliJSON(t, &rm, "rm", name)
	assert.Equal(t, []struct{ Name, Type string }{{name, "shm"}}, rm.Removed)
	cliFails(t, 1, "posixipc: shm_open "+name+": no such file or directory", []string{"shm", "cat", name})
}

func TestCLIMessageQueueCreateSendRecvAttrRemove(t *testing.T) {
	name := uniqueName()
	var ob cliObject
	cliJSON(t, &ob, "mq", "create", name, "--maxmsg", "5", "--msgsize", "1K", "--excl")
	defer posix.UnlinkMessageQueue(name)
	assert.Equal(t, "mq", ob.Type)
	assert.Equal(t, int64(5), *ob.MaxMsg)
	assert.Equal(t, int64(1024), *ob.MsgSize)
	assert.Equal(t, int64(0), *ob.Msgs)
	cliFails(t, 1, "posixipc: mq_open "+name+": file exists", []string{"mq", "create", name, "--excl"})

	assert.Equal(t, "sent 3 bytes to "+name+" at priority 1\n", cliOK(t, "mq", "send", name, "--prio", "1", "low"))
	r := cli(t, []string{"mq", "send", name, "--prio", "9", "-"}, withStdin("from stdin"))
	require.Equal(t, 0, r.code, r.stderr)
	cliOK(t, "mq", "send", name, "mid", "--prio=5")

	cliJSON(t, &ob, "mq", "attr", name)
	assert.Equal(t, int64(3), *ob.Msgs)
	assert.Equal(t, int64(3+10+3), *ob.UsedBytes)
	assert.Equal(t, 0, *ob.NotifyPID)
	assert.Contains(t, cliOK(t, "mq", "attr", name), "messages   3 of at most 5")

	// Listed by name even when /dev/mqueue is not mounted.
	var l cliList
	cliJSON(t, &l, "ls", name)
	require.NotNil(t, l.find(name, "mq"), "%+v", l)

	var got struct {
		Name     string `json:"name"`
		Messages []struct {
			Priority uint   `json:"priority"`
			Size     int    `json:"size"`
			Text     string `json:"text"`
		} `json:"messages"`
	}
	cliJSON(t, &got, "mq", "recv", name, "--count", "2", "--timeout", "1s")
	require.Len(t, got.Messages, 2)
	assert.Equal(t, uint(9), got.Messages[0].Priority)
	assert.Equal(t, "from stdin", got.Messages[0].Text)
	assert.Equal(t, 10, got.Messages[0].Size)
	assert.Equal(t, "mid", got.Messages[1].Text)
	assert.Equal(t, "low\n", cliOK(t, "mq", "recv", name))
	cliFails(t, 1, "posixipc: mq_timedreceive "+name+": connection timed out", []string{"mq", "recv", name, "--timeout", "50ms"})

	// Over the unprivileged limits (no CAP_SYS_RESOURCE here): libc's EINVAL,
	// with the limit named.
	cliFails(t, 1, "posixipc: mq_open "+name+"-big: maxmsg 100 is over fs.mqueue.msg_max", []string{"mq", "create", name + "-big", "--maxmsg", "100"})
	cliFails(t, 1, "posixipc: mq_send "+name+": invalid argument", []string{"mq", "send", name, "--prio", "40000", "x"})

	assert.Equal(t, "removed message queue "+name+"\n", cliOK(t, "rm", name))
	cliFails(t, 1, "posixipc: mq_open "+name+": no such file or directory", []string{"mq", "attr", name})
}

// Objects made by C programs, seen and used by the tool, and the reverse.
func TestCLIObjectsCreatedByCPeers(t *testing.T) {
	// A semaphore created by sempeer (value 1 after its post).
	sem := uniqueName()
	startC(t, []string{"before", sem, "0"}).finish(t)
	defer posix.UnlinkSemaphore(sem)
	assert.Equal(t, "1\n", cliOK(t, "sem", "value", sem))
	cliOK(t, "sem", "post", sem)
	out := startC(t, []string{"value", sem}).finish(t)
	assert.Contains(t, out, "value=2")

	// A shared memory object created and filled by shmpeer.
	shm := uniqueName()
	start(t, []string{cpeer(t, "shmpeer"), "create", shm, "8192", "7"}, nil).finish(t)
	defer posix.UnlinkSharedMemory(shm)
	var l cliList
	cliJSON(t, &l, "stat", shm)
	require.Len(t, l.Objects, 1)
	assert.Equal(t, int64(8192), *l.Objects[0].Size)
	data := cliOK(t, "shm", "cat", shm)
	require.Len(t, data, 8192)
	for j := 0; j < 100; j++ {
		require.Equal(t, byte((7+j*7+(j>>8))&0xff), data[j], "byte %d", j)
	}
	// The tool writes, the C peer reads.
	r := cli(t, []string{"shm", "write", shm, "--offset", "100"}, withStdin("\x01\x02\x03"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "bytes=010203", start(t, []string{cpeer(t, "shmpeer"), "read", shm, "100", "3"}, nil).finish(t))

	// A queue created and filled by mqpeer; the tool receives in priority order.
	mq := uniqueName()
	start(t, []string{cpeer(t, "mqpeer"), "create", mq, "10", "64"}, nil).finish(t)
	defer posix.UnlinkMessageQueue(mq)
	var ob cliObject
	cliJSON(t, &ob, "mq", "attr", mq)
	assert.Equal(t, int64(10), *ob.MaxMsg)
	assert.Equal(t, int64(64), *ob.MsgSize)
	start(t, []string{cpeer(t, "mqpeer"), "produce", mq, "5"}, nil).finish(t)
	recv := cliOK(t, "mq", "recv", mq, "--count", "5", "--timeout", "2s")
	assert.Equal(t, strings.Join(scenario.MQExpectedOrder(5), "\n"), strings.TrimSpace(prioLess(recv, 5)))
	// The tool sends, the C peer receives.
	cliOK(t, "mq", "send", mq, "--prio", "4", "msg-x")
	assert.Contains(t, start(t, []string{cpeer(t, "mqpeer"), "consume", mq, "1"}, nil).finish(t), "4 msg-x")

	for _, n := range []string{sem, shm, mq} {
		cliOK(t, "rm", n)
	}
	cliFails(t, 1, "no such file or directory", []string{"stat", sem, shm, mq})
}

// prioLess turns the tool's bodies into mqpeer's "<prio> <body>" lines, the
// priority of msg-i being (i*7)%5 (PROTOCOL.md).
func prioLess(out string, n int) string {
	var lines []string
	for _, body := range strings.Split(strings.TrimSpace(out), "\n") {
		i, _ := strconv.Atoi(strings.TrimPrefix(body, "msg-"))
		lines = append(lines, fmt.Sprintf("%d %s", scenario.MQPrio(i), body))
	}
	return strings.Join(lines, "\n")
}

// ls and stat name the processes that hold an object open or mapped, and rm
// --orphaned leaves those alone.
func TestCLIShowsHoldersAndRemovesOnlyOrphans(t *testing.T) {
	base := uniqueName()
	sem, shm, mq, idle := base+"-sem", base+"-shm", base+"-a", base+"-idle"
	cliOK(t, "sem", "create", sem)
	defer posix.UnlinkSemaphore(sem)
	cliOK(t, "shm", "create", shm, "--size", "4K")
	defer posix.UnlinkSharedMemory(shm)
	cliOK(t, "mq", "create", mq, "--maxmsg", "2", "--msgsize", "16")
	defer posix.UnlinkMessageQueue(mq)
	cliOK(t, "sem", "create", idle)
	defer posix.UnlinkSemaphore(idle)

	semHolder := startC(t, []string{"after", sem, "10000"}) // blocks in sem_timedwait
	shmHolder := start(t, []string{cpeer(t, "shmpeer"), "watch", shm, "100", "0x5a", "10000"}, nil)
	mqHolder := start(t, []string{cpeer(t, "mqpeer"), "block-recv", mq, "10000"}, nil)
	waitOutput(t, shmHolder, "watching")
	waitOutput(t, mqHolder, "blocking")
	// sempeer after opens the semaphore, then waits: poll until it shows.
	var l cliList
	for deadline := time.Now().Add(5 * time.Second); ; {
		cliJSON(t, &l, "ls", sem, shm, mq, idle)
		if o := l.find(sem, "sem"); o != nil && len(o.Holders) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	assert.Equal(t, []cliHolder{{semHolder.Cmd.Process.Pid, "sempeer", "map"}}, l.find(sem, "sem").Holders)
	assert.Contains(t, l.find(shm, "shm").Holders, cliHolder{shmHolder.Cmd.Process.Pid, "shmpeer", "map"})
	assert.Equal(t, []cliHolder{{mqHolder.Cmd.Process.Pid, "mqpeer", "fd"}}, l.find(mq, "mq").Holders)
	assert.Empty(t, l.find(idle, "sem").Holders)
	assert.Contains(t, cliOK(t, "stat", sem), fmt.Sprintf("held by    %d sempeer (map)", semHolder.Cmd.Process.Pid))

	out := cliOK(t, "rm", "--all", "--prefix", base[1:]+"-", "--orphaned", "--dry-run")
	assert.Equal(t, "would remove named semaphore "+idle+"\n", out)
	cliOK(t, "rm", "--all", "--prefix", base+"-", "--orphaned")
	cliFails(t, 1, "no such file or directory", []string{"stat", idle})

	// Release the holders through the tool.
	cliOK(t, "sem", "post", sem)
	assert.Contains(t, semHolder.finish(t), "after done") // and it unlinks sem
	r := cli(t, []string{"shm", "write", shm, "--offset", "100"}, withStdin("\x5a"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "watching\nseen", shmHolder.finish(t))
	cliOK(t, "mq", "send", mq, "--prio", "2", "wake")
	assert.Equal(t, "blocking\nlen=4 prio=2", mqHolder.finish(t))
	cliOK(t, "rm", shm, mq)
}

func waitOutput(t *testing.T, p *proc, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.Stdout.String(), s); {
		if time.Now().After(deadline) {
			t.Fatalf("no %q from %s: %s %s", s, p.Cmd.Path, p.Stdout.String(), p.Stderr.String())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCLIRemoveAllByPrefixAndAge(t *testing.T) {
	base := uniqueName()
	a, b := base+"-x1", base+"-x2"
	cliOK(t, "sem", "create", a)
	defer posix.UnlinkSemaphore(a)
	cliOK(t, "shm", "create", b, "--size", "1")
	defer posix.UnlinkSharedMemory(b)

	cliFails(t, 2, "--all needs --prefix", []string{"rm", "--all"})
	cliFails(t, 2, "--all needs --prefix", []string{"rm", "--all", "--prefix", "/"})
	cliFails(t, 2, "go with --all", []string{"rm", a, "--orphaned"})
	assert.Empty(t, cliOK(t, "rm", "--all", "--prefix", base+"-", "--older-than", "1h"))
	assert.Equal(t, "would remove named semaphore "+a+"\nwould remove shared memory object "+b+"\n",
		cliOK(t, "rm", "--all", "--prefix", base+"-", "--dry-run"))
	var rm struct {
		Removed []struct{ Name, Type string } `json:"removed"`
		DryRun  bool                          `json:"dry_run"`
	}
	time.Sleep(20 * time.Millisecond)
	cliJSON(t, &rm, "rm", "--all", "--prefix", base+"-", "--older-than", "10ms", "--type", "sem,shm")
	assert.False(t, rm.DryRun)
	assert.Equal(t, []struct{ Name, Type string }{{a, "sem"}, {b, "shm"}}, rm.Removed)
	cliFails(t, 1, "no such file or directory", []string{"stat", a})
	cliFails(t, 1, "no such file or directory", []string{"stat", b})
}

// A uid 65534 process is refused objects of mode 0600 with libc's EACCES.
func TestCLIPermissionDeniedForAnotherUser(t *testing.T) {
	sem, shm, mq := uniqueName(), uniqueName(), uniqueName()
	cliOK(t, "sem", "create", sem, "--value", "1")
	defer posix.UnlinkSemaphore(sem)
	cliOK(t, "shm", "create", shm, "--size", "4K")
	defer posix.UnlinkSharedMemory(shm)
	cliOK(t, "mq", "create", mq)
	defer posix.UnlinkMessageQueue(mq)

	cliFails(t, 1, "posixipc: sem_open "+sem+": permission denied\n", []string{"sem", "value", sem}, asNobody)
	cliFails(t, 1, "posixipc: sem_open "+sem+": permission denied\n", []string{"sem", "wait", sem, "--timeout", "1s"}, asNobody)
	cliFails(t, 1, "posixipc: shm_open "+shm+": permission denied\n", []string{"shm", "cat", shm}, asNobody)
	cliFails(t, 1, "posixipc: shm_open "+shm+": permission denied\n", []string{"shm", "write", shm}, asNobody, withStdin("x"))
	cliFails(t, 1, "posixipc: mq_open "+mq+": permission denied\n", []string{"mq", "send", mq, "x"}, asNobody)
	cliFails(t, 1, "posixipc: mq_open "+mq+": permission denied\n", []string{"mq", "recv", mq, "--timeout", "1s"}, asNobody)
	// /dev/shm is sticky: another user's entry cannot be unlinked (the
	// kernel's EPERM, which glibc's sem_unlink turns into EACCES).
	cliFails(t, 1, "posixipc: sem_unlink "+sem+": permission denied\n", []string{"rm", sem}, asNobody)
	// stat still shows what the directory says, and why the rest is missing.
	r := cli(t, []string{"stat", sem, mq, "--json"}, asNobody)
	require.Equal(t, 0, r.code, r.stderr)
	var l cliList
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &l))
	require.Len(t, l.Objects, 2)
	assert.Equal(t, "0600", l.Objects[0].Mode)
	assert.Nil(t, l.Objects[0].Value)
	assert.Equal(t, "sem_open "+sem+": permission denied", l.Objects[0].Error)
	assert.Equal(t, "mq_open "+mq+": permission denied", l.Objects[1].Error)
	// Mounting needs root.
	if !mqueueIsMounted() {
		cliFails(t, 1, "posixipc: mount /dev/mqueue: operation not permitted", []string{"ls", "--mount"}, asNobody)
	}
	// Nothing was changed: root still sees value 1 and the objects.
	assert.Equal(t, "1\n", cliOK(t, "sem", "value", sem))
}

func TestCLIUsageErrorsExit2(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{nil, "usage: posixipc COMMAND"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"sem"}, ""}, // help, exit 0: checked below
		{[]string{"sem", "poke", "/x"}, `unknown command "poke"`},
		{[]string{"sem", "create"}, "want exactly one NAME"},
		{[]string{"sem", "create", "/x", "--bogus"}, "unknown flag --bogus"},
		{[]string{"sem", "create", "/x", "-v"}, "unknown flag -v"},
		{[]string{"sem", "create", "/x", "--value", "-1"}, `bad number "-1" for --value`},
		{[]string{"sem", "create", "/x", "--mode", "0999"}, `bad mode "0999"`},
		{[]string{"sem", "create", "/x", "--value"}, "--value needs a value"},
		{[]string{"sem", "value", "/x", "--timeout", "1s"}, "unknown flag --timeout"},
		{[]string{"sem", "wait", "/x", "--timeout", "5"}, `bad duration "5"`},
		{[]string{"shm", "create", "/x"}, "--size N is required"},
		{[]string{"shm", "create", "/x", "--size", "12Q"}, `bad size "12Q" for --size`},
		{[]string{"shm", "create", "/x", "--size", "-4K"}, `bad size "-4K"`},
		{[]string{"shm", "truncate", "/x", "lots"}, `bad size "lots"`},
		{[]string{"shm", "cat", "/x", "--excl"}, "unknown flag --excl"},
		{[]string{"mq", "recv", "/x", "--count", "0"}, "want at least 1"},
		{[]string{"mq", "send", "/x"}, "want NAME and MSG"},
		{[]string{"ls", "--type", "sem,pipe"}, `bad type "pipe"`},
		{[]string{"rm"}, "name at least one object"},
		{[]string{"stat"}, "name at least one object"},
		{[]string{"limits", "extra"}, "takes no arguments"},
		{[]string{"demo", "nosuch"}, `unknown scenario "nosuch"`},
		{[]string{"locks", "a", "b"}, "takes at most one PATH"},
		{[]string{"locks", "--type", "sem"}, "unknown flag --type"},
	} {
		if c.msg == "" {
			continue
		}
		cliFails(t, 2, c.msg, c.args)
	}
	// Nothing was created by the refused commands.
	_, err := os.Lstat("/dev/shm/sem.x")
	assert.True(t, os.IsNotExist(err))
}

func TestCLIHelpOnEveryVerb(t *testing.T) {
	for _, verb := range [][]string{{"ls"}, {"stat"}, {"rm"}, {"sem"}, {"sem", "create"}, {"sem", "post"}, {"sem", "wait"},
		{"sem", "value"}, {"shm"}, {"shm", "create"}, {"shm", "cat"}, {"shm", "write"}, {"shm", "truncate"}, {"mq"},
		{"mq", "create"}, {"mq", "send"}, {"mq", "recv"}, {"mq", "attr"}, {"limits"}, {"locks"}, {"demo"}} {
		out := cliOK(t, append(verb, "--help")...)
		assert.True(t, strings.HasPrefix(out, "usage: posixipc "+verb[0]), "%v: %s", verb, out)
		assert.Contains(t, out, "examples:\n  ", "%v", verb)
		assert.NotContains(t, out, "NOT BUILT", "%v", verb)
	}
	assert.Contains(t, cliOK(t, "--help"), "Exit codes: 0 done, 1 the operation failed, 2 usage.")
	assert.NotContains(t, cliOK(t, "--help"), "NOT BUILT")
}

func TestCLILimits(t *testing.T) {
	var l struct {
		MsgMax      int64  `json:"mqueue_msg_max"`
		MsgsizeMax  int64  `json:"mqueue_msgsize_max"`
		RlimitCur   uint64 `json:"rlimit_msgqueue_cur"`
		SemValueMax int    `json:"sem_value_max"`
		NameMax     int64  `json:"name_max"`
		PageSize    int    `json:"page_size"`
		ShmSize     uint64 `json:"shm_size"`
		ShmFree     uint64 `json:"shm_free"`
		MqPrioMax   int    `json:"mq_prio_max"`
	}
	cliJSON(t, &l, "limits")
	b, err := os.ReadFile("/proc/sys/fs/mqueue/msg_max")
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(b)), strconv.FormatInt(l.MsgMax, 10))
	var r unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &r))
	assert.Equal(t, r.Cur, l.RlimitCur)
	assert.Equal(t, 2147483647, l.SemValueMax)
	assert.Equal(t, int64(255), l.NameMax)
	assert.Equal(t, os.Getpagesize(), l.PageSize)
	assert.Equal(t, 32768, l.MqPrioMax)
	assert.Greater(t, l.ShmSize, uint64(0))
	assert.LessOrEqual(t, l.ShmFree, l.ShmSize)
	assert.Contains(t, cliOK(t, "limits"), "SEM_VALUE_MAX")
}

func mqueueIsMounted() bool {
	var fs unix.Statfs_t
	return unix.Statfs("/dev/mqueue", &fs) == nil && fs.Type == 0x19800202
}

// Without /dev/mqueue, ls says how to mount it; --mount (root) mounts it and
// lists the queues. The test unmounts what it mounted.
func TestCLIMqueueMountHintAndMount(t *testing.T) {
	name := uniqueName()
	cliOK(t, "mq", "create", name)
	defer posix.UnlinkMessageQueue(name)
	if mqueueIsMounted() {
		var l cliList
		cliJSON(t, &l, "ls", "--type", "mq")
		assert.True(t, l.MqueueMounted)
		assert.NotNil(t, l.find(name, "mq"))
		t.Skip("/dev/mqueue is already mounted here: the hint and --mount paths cannot be shown")
	}
	r := cli(t, []string{"ls", "--type", "mq"})
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "/dev/mqueue is not mounted, so message queues cannot be listed: mount it with 'mount -t mqueue none /dev/mqueue'")
	assert.NotContains(t, r.stdout, name)
	var l cliList
	cliJSON(t, &l, "ls", "--type", "mq")
	assert.False(t, l.MqueueMounted)
	assert.Contains(t, l.MqueueHint, "mount -t mqueue none /dev/mqueue")
	assert.Empty(t, l.Objects)

	_, statErr := os.Lstat("/dev/mqueue")
	createdDir := os.IsNotExist(statErr)
	r = cli(t, []string{"ls", "--type", "mq", "--mount", "--json"})
	if r.code != 0 {
		// Mounting is not possible here: the message must say why.
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "posixipc: mount /dev/mqueue: ")
		return
	}
	t.Cleanup(func() {
		if err := unix.Unmount("/dev/mqueue", 0); err != nil {
			t.Errorf("unmounting /dev/mqueue: %v", err)
		}
		if createdDir {
			os.Remove("/dev/mqueue")
		}
	})
	assert.True(t, mqueueIsMounted())
	assert.Contains(t, r.stderr, "mounted the mqueue filesystem on /dev/mqueue")
	l = cliList{}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &l), r.stdout)
	assert.True(t, l.MqueueMounted)
	assert.Empty(t, l.MqueueHint)
	got := l.find(name, "mq")
	require.NotNil(t, got, "%s", r.stdout)
	assert.Equal(t, "/dev/mqueue/"+name[1:], got.Path)
	assert.Equal(t, int64(0), *got.Msgs)
	// Once mounted, ls lists queues without --mount, and rm --all covers them.
	assert.Contains(t, cliOK(t, "ls", "--type", "mq"), name)
	assert.Contains(t, cliOK(t, "rm", "--all", "--prefix", name, "--type", "mq", "--dry-run"), "would remove message queue "+name+"\n")
}

// Review fixes: an existing object is opened by create without --excl; "."
// and ".." are refused as names; shm cat streams big objects and --json
// refuses them; mq recv quotes bodies that would forge lines or escapes.
func TestCLINamesLargeObjectsAndUntrustedBytes(t *testing.T) {
	name := uniqueName()
	cliOK(t, "shm", "create", name, "--size", "10")
	defer posix.UnlinkSharedMemory(name)
	assert.Contains(t, cliOK(t, "shm", "create", name, "--size", "8M"), "opened existing shared memory object")
	data := strings.Repeat("libcipc\n", 1<<20) // 8 MiB
	r := cli(t, []string{"shm", "write", name}, withStdin(data))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, data, cliOK(t, "shm", "cat", name), "streamed in chunks")
	cliOK(t, "shm", "truncate", name, "65M")
	cliFails(t, 1, "--json shows objects of up to", []string{"shm", "cat", name, "--json"})

	for _, bad := range []string{"..", "/..", ".", "/"} {
		cliFails(t, 2, "bad object name", []string{"sem", "create", bad})
		cliFails(t, 2, "bad object name", []string{"shm", "cat", bad})
		cliFails(t, 2, "bad object name", []string{"rm", bad})
	}

	q := uniqueName()
	cliOK(t, "mq", "create", q, "--maxmsg", "2", "--msgsize", "64")
	defer posix.UnlinkMessageQueue(q)
	cliOK(t, "mq", "send", q, "x\x1b[31my\nFAKE")
	assert.Equal(t, "\"x\\x1b[31my\\nFAKE\"\n", cliOK(t, "mq", "recv", q, "--timeout", "5s"))
}

type cliLock struct {
	ID      int    `json:"id"`
	Blocked bool   `json:"blocked"`
	Class   string `json:"class"`
	Mode    string `json:"mode"`
	Type    string `json:"type"`
	Pid     int    `json:"pid"`
	Command string `json:"command"`
	Path    string `json:"path"`
	Dev     string `json:"dev"`
	Inode   uint64 `json:"inode"`
	Start   int64  `json:"start"`
	End     int64  `json:"end"`
	Error   string `json:"error"`
}

type cliLocks struct {
	Locks []cliLock `json:"locks"`
	File  string    `json:"file"`
}

func (l cliLocks) byPid(pid int) *cliLock {
	for i := range l.Locks {
		if l.Locks[i].Pid == pid && !l.Locks[i].Blocked {
			return &l.Locks[i]
		}
	}
	return nil
}

// posixipc locks PATH shows the locks real processes hold on a file: a C
// fcntl record lock, a Go child's flock, this process's OFD lock (pid -1,
// no process named), and a C waiter blocked behind the record lock.
func TestCLILocksShowsHoldersOfAFile(t *testing.T) {
	_, path := lockFile(t)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	cHolder := startFileRole(t, "C", "fcntl-hold", path, "w", "10", "20")
	cPid := heldPid(t, cHolder)
	goHolder := startFileRole(t, "Go", "flock-hold", path, "sh")
	goPid := heldPid(t, goHolder)
	ofd, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer ofd.Close()
	require.NoError(t, posix.OFDSetLock(int(ofd.Fd()), &posix.FileLock{Type: unix.F_RDLCK, Start: 1000, Len: 100}))
	waiter := start(t, []string{cpeer(t, "filepeer"), "deadlock", path, "3000", "15"}, nil)
	waiterPid := heldPid(t, waiter)

	var l cliLocks
	deadline := time.Now().Add(10 * time.Second)
	for {
		l = cliLocks{}
		cliJSON(t, &l, "locks", path)
		if len(l.Locks) == 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.Len(t, l.Locks, 5, "%+v", l) // fcntl, flock, OFD, the waiter's byte 3000 and its blocked request
	assert.Equal(t, path, l.File)
	dev := fmt.Sprintf("%d:%d", unix.Major(fi.Sys().(*syscall.Stat_t).Dev), unix.Minor(fi.Sys().(*syscall.Stat_t).Dev))
	ino := fi.Sys().(*syscall.Stat_t).Ino

	c := l.byPid(cPid)
	require.NotNil(t, c, "%+v", l)
	assert.Equal(t, cliLock{ID: c.ID, Class: "POSIX", Mode: "ADVISORY", Type: "WRITE", Pid: cPid, Command: "filepeer",
		Path: path, Dev: dev, Inode: ino, Start: 10, End: 29}, *c)
	g := l.byPid(goPid)
	require.NotNil(t, g, "%+v", l)
	assert.Equal(t, "FLOCK", g.Class)
	assert.Equal(t, "READ", g.Type)
	assert.Equal(t, int64(0), g.Start)
	assert.Equal(t, int64(-1), g.End, "flock: the whole file, to EOF")
	assert.Equal(t, filepath.Base(os.Args[0])[:min(15, len(filepath.Base(os.Args[0])))], g.Command, "the Go child is this test binary")
	o := l.byPid(-1)
	require.NotNil(t, o, "%+v", l)
	assert.Equal(t, "OFDLCK", o.Class)
	assert.Equal(t, "READ", o.Type)
	assert.Equal(t, "", o.Command, "an OFD lock names no process")
	assert.Equal(t, int64(1000), o.Start)
	assert.Equal(t, int64(1099), o.End)
	var blocked *cliLock
	for i := range l.Locks {
		if l.Locks[i].Blocked {
			blocked = &l.Locks[i]
		}
	}
	require.NotNil(t, blocked, "%+v", l)
	assert.Equal(t, waiterPid, blocked.Pid)
	assert.Equal(t, c.ID, blocked.ID, "blocked behind the C holder's lock")
	assert.Equal(t, int64(15), blocked.Start)

	out := cliOK(t, "locks", path)
	assert.Regexp(t, fmt.Sprintf(`(?m)^%d +POSIX +WRITE +10-29 +%d filepeer +%s$`, c.ID, cPid, regexp.QuoteMeta(path)), out)
	assert.Regexp(t, fmt.Sprintf(`(?m)^%d +FLOCK +READ +0-EOF +%d \S+ +%s$`, g.ID, goPid, regexp.QuoteMeta(path)), out)
	assert.Regexp(t, `(?m)^\d+ +OFDLCK +READ +1000-1099 +-1 \(OFD lock: owned by an open file description, no process\) +`+regexp.QuoteMeta(path)+`$`, out)
	assert.Regexp(t, fmt.Sprintf(`(?m)^-> %d +POSIX +WRITE +15-15 +%d filepeer \(waiting\) +`, c.ID, waiterPid), out)
	// Without PATH the same locks are among the system's, paths resolved
	// through the holders' descriptors.
	var every cliLocks
	cliJSON(t, &every, "locks")
	assert.Empty(t, every.File)
	e := every.byPid(cPid)
	require.NotNil(t, e)
	assert.Equal(t, path, e.Path)
	assert.Equal(t, "filepeer", e.Command)

	// The holder dies: its lock goes, and the waiter gets the byte.
	cHolder.Kill()
	assert.Equal(t, "result=0 errno=0 ename=0", strings.TrimPrefix(waiter.finish(t), fmt.Sprintf("held pid=%d\n", waiterPid)))
	l = cliLocks{}
	cliJSON(t, &l, "locks", path)
	assert.Nil(t, l.byPid(cPid))
	assert.Nil(t, l.byPid(waiterPid))
	assert.NotNil(t, l.byPid(goPid))

	// A file nobody locks; a missing one; a symlink names its target's locks.
	other := filepath.Join(t.TempDir(), "free")
	require.NoError(t, os.WriteFile(other, nil, 0o600))
	assert.Equal(t, "no locks on "+other+"\n", cliOK(t, "locks", other))
	l = cliLocks{}
	cliJSON(t, &l, "locks", other)
	assert.NotNil(t, l.Locks)
	assert.Empty(t, l.Locks)
	cliFails(t, 1, "posixipc: stat "+other+".missing: no such file or directory", []string{"locks", other + ".missing"})
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(path, link))
	l = cliLocks{}
	cliJSON(t, &l, "locks", link)
	assert.NotNil(t, l.byPid(goPid))
}
