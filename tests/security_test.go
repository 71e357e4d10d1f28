package tests

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/libcipc/libcipc/internal/scenario"
	"github.com/libcipc/libcipc/posix"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Security (issue 10): objects get exactly the mode asked for, less the umask
// where C applies it; another user gets C's errno on every kind of object;
// names are handed to libc as they are, never made into paths by libcipc.

// errnoText is the errno's name, "ok" for none.
func errnoText(e unix.Errno) string {
	if e == 0 {
		return "ok"
	}
	return unix.ErrnoName(e)
}

// noRaceSleep spares a Go child the 1 s the race detector sleeps at exit
// (GORACE atexit_sleep_ms, 1000 by default).
var noRaceSleep = "GORACE=" + os.Getenv("GORACE") + " atexit_sleep_ms=0"

// secModes are the modes every creating call is tried with.
var secModes = []uint32{0o600, 0o640, 0o644, 0o666, 0}

// shQuote quotes s for sh.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// lineMap splits "LABEL rest" lines into label → rest.
func lineMap(out string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if label, rest, ok := strings.Cut(sc.Text(), " "); ok {
			m[label] = rest
		}
	}
	return m
}

// probeErrno parses the errno of a probe line, or, for a C peer that failed
// before its probe (exit 2, "PEER: CALL NAME: strerror" on stderr), the
// strerror text; ok is false when the line is neither.
func probeErrno(line string) (unix.Errno, bool) {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "errno="); ok {
			n, err := strconv.Atoi(v)
			return unix.Errno(n), err == nil
		}
	}
	for _, e := range []unix.Errno{unix.EACCES, unix.EPERM, unix.ENOENT, unix.EINVAL, unix.ELOOP} {
		if strings.Contains(strings.ToLower(line), e.Error()) {
			return e, true
		}
	}
	return 0, false
}

// sysvPerm is the permission bits IPC_STAT reports for a System V object.
func sysvPerm(kind string, id int) (uint32, error) {
	switch kind {
	case "sem":
		var ds posix.SemidDS
		err := posix.SemCtlStat(id, unix.IPC_STAT, &ds)
		return uint32(ds.Perm.Mode) & 0o777, err
	case "msg":
		var ds posix.MsqidDS
		err := posix.MsgCtl(id, unix.IPC_STAT, &ds)
		return uint32(ds.Perm.Mode) & 0o777, err
	default:
		var ds unix.SysvShmDesc
		err := posix.ShmCtl(id, unix.IPC_STAT, &ds)
		return uint32(ds.Perm.Mode) & 0o777, err
	}
}

// lstatPerm is the permission bits of path (not following a symlink).
func lstatPerm(path string) (uint32, error) {
	var st unix.Stat_t
	err := unix.Lstat(path, &st)
	return st.Mode & 0o7777, err
}

// posixPerm is the permission bits of the POSIX object name of family:
// /dev/shm's entry for a semaphore or a shared memory object, fstat of an mq
// descriptor for a queue (a file of the mqueue filesystem, mounted or not).
func posixPerm(family, name string) (uint32, error) {
	switch family {
	case "sem":
		return lstatPerm("/dev/shm/sem." + name[1:])
	case "shm":
		return lstatPerm("/dev/shm/" + name[1:])
	}
	q, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	if err != nil {
		return 0, err
	}
	defer q.Close()
	var st unix.Stat_t
	err = unix.Fstat(q.Fd(), &st)
	return st.Mode & 0o7777, err
}

func init() {
	// sec-modes UMASK DIR NAME...: umask(UMASK), then, for secModes[i] and
	// NAME[i], every creating call with that mode; prints "KIND-MODE PERM"
	// (PERM the resulting permission bits in octal, or "err=ERRNO") and
	// removes what it made.
	scenario.Roles["sec-modes"] = func(a []string) error {
		unix.Umask(scenario.Atoi(a[0]))
		dir := a[1]
		for i, m := range secModes {
			name := a[2+i]
			say := func(kind string, perm uint32, err error) {
				if err != nil {
					fmt.Printf("%s-%04o %s\n", kind, m, scenario.ResultLine(err))
					return
				}
				fmt.Printf("%s-%04o %04o\n", kind, m, perm)
			}
			for _, family := range []string{"sem", "shm", "mq"} {
				if err := secCreate(family, name, m); err != nil {
					say(family, 0, err)
					continue
				}
				perm, err := posixPerm(family, name)
				say(family, perm, err)
				secNameOp(family, "unlink", name)
			}
			for _, kind := range []string{"sem", "msg", "shm"} {
				var id int
				var err error
				switch kind {
				case "sem":
					id, err = posix.SemGet(posix.IPC_PRIVATE, 1, unix.IPC_CREAT|int(m))
				case "msg":
					id, err = posix.MsgGet(posix.IPC_PRIVATE, unix.IPC_CREAT|int(m))
				default:
					id, err = posix.ShmGet(posix.IPC_PRIVATE, 4096, unix.IPC_CREAT|int(m))
				}
				if err != nil {
					say("sysv"+kind, 0, err)
					continue
				}
				perm, err := sysvPerm(kind, id)
				say("sysv"+kind, perm, err)
				removeSysv(sysvObj{kind, id})
			}
			fifo := filepath.Join(dir, fmt.Sprintf("fifo-%o", m))
			if err := posix.Mkfifo(fifo, m); err == nil {
				perm, err := lstatPerm(fifo)
				say("fifo", perm, err)
				os.Remove(fifo)
			} else {
				say("fifo", 0, err)
			}
			// posix_spawn_file_actions_addopen creates the file in the child.
			out := filepath.Join(dir, fmt.Sprintf("spawn-%o", m))
			pid, err := posix.Spawn("/bin/true", []string{"true"}, []string{},
				&posix.SpawnAttr{Actions: []posix.SpawnAction{posix.SpawnOpen(1, out, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, m)}})
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, _, err = posix.WaitpidContext(ctx, pid, 0)
				cancel()
			}
			if err == nil {
				perm, err := lstatPerm(out)
				say("spawnopen", perm, err)
				os.Remove(out)
			} else {
				say("spawnopen", 0, err)
			}
		}
		return nil
	}
}

// Every creating call gives exactly the mode asked for: less the umask for
// the POSIX objects, FIFOs and files (as open(2) does in C), untouched for
// System V objects (the kernel ignores the umask for them). C, with the same
// umask, gives the same modes.
func TestCreatedModesFollowTheUmaskAsInC(t *testing.T) {
	for _, umask := range []uint32{0o022, 0} {
		t.Run(fmt.Sprintf("umask%04o", umask), func(t *testing.T) {
			dir := t.TempDir()
			goNames := make([]string, len(secModes))
			for i := range secModes {
				goNames[i] = uniqueName()
			}
			t.Cleanup(func() {
				for _, n := range goNames {
					posix.UnlinkSemaphore(n)
					posix.UnlinkSharedMemory(n)
					posix.UnlinkMessageQueue(n)
				}
			})
			exe, err := os.Executable()
			require.NoError(t, err)
			goOut := lineMap(start(t, []string{exe, "-test.run=^$"}, []string{roleEnv + "=sec-modes", noRaceSleep,
				argsEnv + "=" + strings.Join(append([]string{strconv.Itoa(int(umask)), dir}, goNames...), "\x1f")}).finish(t))

			// C: the peers' open probes under the same umask, one shell.
			var script strings.Builder
			fmt.Fprintf(&script, "umask %04o\n", umask)
			cNames := make([]string, len(secModes))
			for i, m := range secModes {
				n := uniqueName()
				cNames[i] = n
				fmt.Fprintf(&script, "printf 'sem-%04o '; %s open %s 0xc0 %#o 0\n", m, cpeer(t, "sempeer"), shQuote(n), m)
				fmt.Fprintf(&script, "printf 'shm-%04o '; %s open %s 0xc2 %#o\n", m, cpeer(t, "shmpeer"), shQuote(n), m)
				fmt.Fprintf(&script, "printf 'mq-%04o '; %s open %s 0xc2 %#o -1 0\n", m, cpeer(t, "mqpeer"), shQuote(n), m)
				flags := unix.IPC_CREAT | int(m)
				fmt.Fprintf(&script, "printf 'sysvsem-%04o '; %s semget 0 1 %d\n", m, cpeer(t, "sysvpeer"), flags)
				fmt.Fprintf(&script, "printf 'sysvmsg-%04o '; %s msgget 0 %d\n", m, cpeer(t, "sysvpeer"), flags)
				fmt.Fprintf(&script, "printf 'sysvshm-%04o '; %s shmget 0 4096 %d\n", m, cpeer(t, "sysvpeer"), flags)
			}
			t.Cleanup(func() {
				for _, n := range cNames {
					posix.UnlinkSemaphore(n)
					posix.UnlinkSharedMemory(n)
					posix.UnlinkMessageQueue(n)
				}
			})
			cOut := lineMap(start(t, []string{"/bin/sh", "-c", script.String()}, nil).finish(t))
			cPerm := func(label, name string) string {
				line := cOut[label]
				if e, _ := probeErrno(line); e != 0 {
					return "result=-1 errno=" + strconv.Itoa(int(e))
				}
				var perm uint32
				var err error
				kind, _, _ := strings.Cut(label, "-")
				switch kind {
				case "sem", "shm", "mq":
					perm, err = posixPerm(kind, name)
				default:
					_, idText, ok := strings.Cut(line, "id=")
					id, aerr := strconv.Atoi(idText)
					if !ok || aerr != nil {
						return "unparsed: " + line
					}
					sk := strings.TrimPrefix(kind, "sysv")
					recordSysv(sk, id)
					perm, err = sysvPerm(sk, id)
					removeSysv(sysvObj{sk, id})
				}
				if err != nil {
					return err.Error()
				}
				return fmt.Sprintf("%04o", perm)
			}

			for i, m := range secModes {
				masked := fmt.Sprintf("%04o", m&^umask)
				exact := fmt.Sprintf("%04o", m)
				for kind, want := range map[string]string{
					"sem": masked, "shm": masked, "mq": masked, "fifo": masked, "spawnopen": masked,
					"sysvsem": exact, "sysvmsg": exact, "sysvshm": exact,
				} {
					label := fmt.Sprintf("%s-%04o", kind, m)
					assert.Equal(t, want, goOut[label], "Go %s, umask %04o", label, umask)
					if kind == "fifo" || kind == "spawnopen" {
						continue // no C peer creates these
					}
					assert.Equal(t, want, cPerm(label, cNames[i]), "C %s, umask %04o", label, umask)
				}
			}
		})
	}
}

// secOp runs one operation of the uid-65534 matrix (see sec-ops) and returns
// its outcome.
func secOp(op string, a []string) error {
	num := func(i int) int { return scenario.Atoi(a[i]) }
	switch op {
	case "semopen":
		s, err := posix.OpenSemaphore(a[0], 0, 0, 0)
		if err == nil {
			s.Close()
		}
		return err
	case "sempost":
		s, err := posix.OpenSemaphore(a[0], 0, 0, 0)
		if err != nil {
			return err
		}
		defer s.Close()
		return s.Post()
	case "semunlink":
		return posix.UnlinkSemaphore(a[0])
	case "shmopen", "shmmap", "placed":
		flag, prot, mflags := unix.O_RDWR, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED
		if op != "placed" {
			flag = num(1)
		}
		if op == "shmmap" {
			prot, mflags = num(2), num(3)
		}
		s, err := posix.OpenSharedMemory(a[0], flag, 0)
		if err != nil || op == "shmopen" {
			if err == nil {
				s.Close()
			}
			return err
		}
		defer s.Close()
		m, err := s.Map(0, 4096, prot, mflags)
		if err != nil || op == "shmmap" {
			if err == nil {
				m.Unmap()
			}
			return err
		}
		defer m.Unmap()
		sem, err := posix.SemaphoreAt(m, 0)
		if err != nil {
			return err
		}
		return sem.Post()
	case "shmunlink":
		return posix.UnlinkSharedMemory(a[0])
	case "mqopen":
		q, err := posix.OpenMessageQueue(a[0], num(1), 0, nil)
		if err == nil {
			q.Close()
		}
		return err
	case "mqsend":
		q, err := posix.OpenMessageQueue(a[0], unix.O_WRONLY, 0, nil)
		if err != nil {
			return err
		}
		defer q.Close()
		return q.Send([]byte("x"), 0)
	case "mqunlink":
		return posix.UnlinkMessageQueue(a[0])
	case "semget":
		_, err := posix.SemGet(posix.IPCKey(num(0)), 0, num(1))
		return err
	case "msgget":
		_, err := posix.MsgGet(posix.IPCKey(num(0)), num(1))
		return err
	case "shmget":
		_, err := posix.ShmGet(posix.IPCKey(num(0)), 0, num(1))
		return err
	case "semop":
		return posix.SemOp(num(0), []posix.SemBuf{{Num: 0, Op: 1, Flg: unix.IPC_NOWAIT}})
	case "msgsnd":
		return posix.MsgSnd(num(0), 1, []byte("x"), unix.IPC_NOWAIT)
	case "shmat", "sysvplaced":
		m, err := posix.ShmAt(num(0), 0)
		if err != nil {
			return err
		}
		defer m.Unmap()
		if op == "sysvplaced" {
			sem, err := posix.SemaphoreAt(m, 0)
			if err != nil {
				return err
			}
			return sem.Post()
		}
		return nil
	case "semrmid":
		_, err := posix.SemCtl(num(0), 0, unix.IPC_RMID, 0)
		return err
	case "msgrmid":
		return posix.MsgCtl(num(0), unix.IPC_RMID, nil)
	case "shmrmid":
		return posix.ShmCtl(num(0), unix.IPC_RMID, nil)
	case "rawmsgrmid", "rawshmrmid": // the comparators: msgctl(2)/shmctl(2) as a syscall
		nr := uintptr(unix.SYS_MSGCTL)
		if op == "rawshmrmid" {
			nr = unix.SYS_SHMCTL
		}
		if _, _, e := unix.Syscall(nr, uintptr(num(0)), unix.IPC_RMID, 0); e != 0 {
			return e
		}
		return nil
	case "flock":
		f, err := os.OpenFile(a[0], os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		return posix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	case "kill":
		return posix.Kill(num(0), 0)
	case "sigqueue":
		// SIGWINCH: ignored by default, should the kernel ever deliver it.
		return posix.Sigqueue(num(0), unix.SIGWINCH, 1)
	}
	return fmt.Errorf("unknown op %q", op)
}

func init() {
	// sec-ops CELL...: each CELL is "LABEL,OP,ARG..."; runs OP (secOp) and
	// prints "LABEL result=R errno=E ename=NAME".
	scenario.Roles["sec-ops"] = func(a []string) error {
		for _, cell := range a {
			f := strings.Split(cell, ",")
			fmt.Println(f[0], scenario.ResultLine(secOp(f[1], f[2:])))
		}
		return nil
	}
}

// A process running as uid 65534 can use none of root's 0600 objects (and
// only read a 0644 one), and gets the errno C gets in the same position: one
// Go child and one shell of C peer probes, both as uid 65534, run the whole
// matrix. (A System V *get asking for no permission succeeds: the check is
// on use.) The C side of a cell is a C peer, the shell's kill builtin, or,
// where no peer has the call, the raw system call from the Go child.
func TestAnotherUserIsRefusedAsInC(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start a uid 65534 child")
	}
	mk := func(f func() error) {
		t.Helper()
		require.NoError(t, f())
	}
	// Root's objects.
	sem600, sem644 := uniqueName(), uniqueName()
	for _, n := range []struct {
		name string
		mode uint32
	}{{sem600, 0o600}, {sem644, 0o644}} {
		s, err := posix.OpenSemaphore(n.name, unix.O_CREAT|unix.O_EXCL, n.mode, 1)
		require.NoError(t, err)
		s.Close()
		name := n.name
		t.Cleanup(func() { posix.UnlinkSemaphore(name) })
	}
	shm600, shm644 := uniqueName(), uniqueName()
	for _, n := range []struct {
		name string
		mode uint32
	}{{shm600, 0o600}, {shm644, 0o644}} {
		s, err := posix.OpenSharedMemory(n.name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, n.mode)
		require.NoError(t, err)
		name := n.name
		t.Cleanup(func() { posix.UnlinkSharedMemory(name) })
		mk(func() error { return s.Truncate(4096) })
		m, err := s.Map(0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		require.NoError(t, err)
		_, err = posix.InitSemaphoreAt(m, 0, 0) // the placed object
		require.NoError(t, err)
		mk(m.Unmap)
		mk(s.Close)
	}
	q, mq600 := newQueue(t, nil)
	mk(q.Close)
	semKey, msgKey, shmKey := uniqueKey(), uniqueKey(), uniqueKey()
	semID, msgID, shmID := newSemSet(t, semKey, 1), newMsgQueue(t, msgKey), newShmSeg(t, shmKey, 4096)
	_, err := posix.InitSemaphoreAt(attach(t, shmID, 0), 0, 0)
	require.NoError(t, err)
	dir := t.TempDir()
	mk(func() error { return os.Chmod(dir, 0o755) })
	file600 := filepath.Join(dir, "file600")
	mk(func() error { return os.WriteFile(file600, []byte("root's"), 0o600) })
	pid := strconv.Itoa(os.Getpid())

	sp, shp, mqp, svp, fp := cpeer(t, "sempeer"), cpeer(t, "shmpeer"), cpeer(t, "mqpeer"), cpeer(t, "sysvpeer"), cpeer(t, "filepeer")
	type cell struct {
		label string
		goOp  string // secOp and its arguments, comma-separated
		c     string // the C side: a shell command, or "raw:OP,ARGS" run by the Go child
		want  unix.Errno
	}
	i := strconv.Itoa
	rw, ro, shared, private := unix.O_RDWR, unix.O_RDONLY, unix.MAP_SHARED, unix.MAP_PRIVATE
	prw := unix.PROT_READ | unix.PROT_WRITE
	cells := []cell{
		{"sem0600-open", "semopen," + sem600, sp + " open " + sem600 + " 0 0 0", unix.EACCES},
		{"sem0600-post", "sempost," + sem600, sp + " post " + sem600, unix.EACCES},
		{"sem0600-unlink", "semunlink," + sem600, sp + " unlink " + sem600, unix.EACCES},
		{"sem0644-open", "semopen," + sem644, sp + " open " + sem644 + " 0 0 0", unix.EACCES},
		{"shm0600-open-rdwr", "shmopen," + shm600 + "," + i(rw), shp + " open " + shm600 + " 2 0", unix.EACCES},
		{"shm0600-open-rdonly", "shmopen," + shm600 + "," + i(ro), shp + " open " + shm600 + " 0 0", unix.EACCES},
		{"shm0600-unlink", "shmunlink," + shm600, shp + " unlink " + shm600, unix.EACCES},
		{"shm0600-placed-sem", "placed," + shm600, shp + " mmap " + shm600 + " 2 0 4096 3 1", unix.EACCES},
		{"shm0644-open-rdonly", "shmopen," + shm644 + "," + i(ro), shp + " open " + shm644 + " 0 0", 0},
		{"shm0644-open-rdwr", "shmopen," + shm644 + "," + i(rw), shp + " open " + shm644 + " 2 0", unix.EACCES},
		{"shm0644-map-read", "shmmap," + shm644 + "," + i(ro) + "," + i(unix.PROT_READ) + "," + i(shared), shp + " mmap " + shm644 + " 0 0 4096 1 1", 0},
		{"shm0644-map-write-shared", "shmmap," + shm644 + "," + i(ro) + "," + i(prw) + "," + i(shared), shp + " mmap " + shm644 + " 0 0 4096 3 1", unix.EACCES},
		{"shm0644-map-write-private", "shmmap," + shm644 + "," + i(ro) + "," + i(prw) + "," + i(private), shp + " mmap " + shm644 + " 0 0 4096 3 2", 0},
		{"shm0644-unlink", "shmunlink," + shm644, shp + " unlink " + shm644, unix.EACCES},
		{"mq0600-open-rdonly", "mqopen," + mq600 + "," + i(ro), mqp + " open " + mq600 + " 0 0 -1 0", unix.EACCES},
		{"mq0600-open-wronly", "mqopen," + mq600 + "," + i(unix.O_WRONLY), mqp + " open " + mq600 + " 1 0 -1 0", unix.EACCES},
		{"mq0600-send", "mqsend," + mq600, mqp + " send " + mq600 + " 1 0 1", unix.EACCES},
		{"mq0600-unlink", "mqunlink," + mq600, mqp + " unlink " + mq600, unix.EACCES},
		{"sysvsem0600-get", "semget," + keyArg(semKey) + ",0o600", svp + " semget " + keyArg(semKey) + " 0 0600", unix.EACCES},
		{"sysvsem0600-get-noperm", "semget," + keyArg(semKey) + ",0", svp + " semget " + keyArg(semKey) + " 0 0", 0},
		{"sysvsem0600-semop", "semop," + i(semID), svp + " semop " + i(semID) + " 0 1 2048", unix.EACCES},
		{"sysvsem0600-rmid", "semrmid," + i(semID), svp + " semctl " + i(semID) + " 0 0 0", unix.EPERM},
		{"sysvmsg0600-get", "msgget," + keyArg(msgKey) + ",0o600", svp + " msgget " + keyArg(msgKey) + " 0600", unix.EACCES},
		{"sysvmsg0600-get-noperm", "msgget," + keyArg(msgKey) + ",0", svp + " msgget " + keyArg(msgKey) + " 0", 0},
		{"sysvmsg0600-msgsnd", "msgsnd," + i(msgID), svp + " msgsnd " + i(msgID) + " 1 1 2048", unix.EACCES},
		{"sysvmsg0600-rmid", "msgrmid," + i(msgID), "raw:rawmsgrmid," + i(msgID), unix.EPERM},
		{"sysvshm0600-get", "shmget," + keyArg(shmKey) + ",0o600", svp + " shmget " + keyArg(shmKey) + " 0 0600", unix.EACCES},
		{"sysvshm0600-get-noperm", "shmget," + keyArg(shmKey) + ",0", svp + " shmget " + keyArg(shmKey) + " 0 0", 0},
		{"sysvshm0600-shmat", "shmat," + i(shmID), svp + " shmat " + i(shmID) + " 0", unix.EACCES},
		{"sysvshm0600-placed-sem", "sysvplaced," + i(shmID), svp + " shm-sempost " + i(shmID) + " 0", unix.EACCES},
		{"sysvshm0600-rmid", "shmrmid," + i(shmID), "raw:rawshmrmid," + i(shmID), unix.EPERM},
		{"file0600-flock", "flock," + file600, fp + " flock-try " + file600 + " ex", unix.EACCES},
		{"root-kill", "kill," + pid, "kill -0 " + pid, unix.EPERM},
		{"root-sigqueue", "sigqueue," + pid, fp + " sigqueue " + pid + " " + i(int(unix.SIGWINCH)) + " 1", unix.EPERM},
	}
	var goCells []string
	var script strings.Builder
	for _, c := range cells {
		goCells = append(goCells, c.label+","+c.goOp)
		if raw, ok := strings.CutPrefix(c.c, "raw:"); ok {
			goCells = append(goCells, c.label+".raw,"+raw)
			continue
		}
		fmt.Fprintf(&script, "printf '%s '; { %s; } 2>&1 | tr '\\n' ' '; echo\n", c.label, c.c)
	}
	goChild := start(t, []string{nobodyExe(t), "-test.run=^$"}, []string{roleEnv + "=sec-ops", noRaceSleep, argsEnv + "=" + strings.Join(goCells, "\x1f")}, asNobody)
	cChild := start(t, []string{"/bin/sh", "-c", script.String()}, nil, asNobody)
	goOut, cOut := lineMap(goChild.finish(t)), lineMap(cChild.finish(t))
	for _, c := range cells {
		g, gok := probeErrno(goOut[c.label])
		cLine := cOut[c.label]
		if strings.HasPrefix(c.c, "raw:") {
			cLine = goOut[c.label+".raw"]
		}
		ce, cok := probeErrno(cLine)
		if assert.True(t, gok, "%s: Go said %q", c.label, goOut[c.label]) && assert.True(t, cok, "%s: C said %q", c.label, cLine) {
			assert.Equal(t, c.want, g, "%s: Go (%s)", c.label, goOut[c.label])
			assert.Equal(t, ce, g, "%s: Go (%s) and C (%s)", c.label, goOut[c.label], cLine)
		}
		t.Logf("%-28s Go %-8s C %s", c.label, errnoText(g), errnoText(ce))
	}
	// Nothing the child tried touched root's objects.
	for _, n := range []string{"sem." + sem600[1:], "sem." + sem644[1:], shm600[1:], shm644[1:]} {
		_, err := os.Lstat("/dev/shm/" + n)
		assert.NoError(t, err, n)
	}
	_, err = sysvPerm("sem", semID)
	assert.NoError(t, err, "the semaphore set is still there")
	b, err := os.ReadFile(file600)
	require.NoError(t, err)
	assert.Equal(t, "root's", string(b))
}

// secCreate creates name in family (O_CREAT|O_EXCL, mode) through libcipc
// and closes it.
func secCreate(family, name string, mode uint32) error {
	switch family {
	case "sem":
		s, err := posix.OpenSemaphore(name, unix.O_CREAT|unix.O_EXCL, mode, 0)
		if err == nil {
			s.Close()
		}
		return err
	case "shm":
		s, err := posix.OpenSharedMemory(name, unix.O_CREAT|unix.O_EXCL|unix.O_RDWR, mode)
		if err == nil {
			s.Close()
		}
		return err
	}
	q, err := posix.OpenMessageQueue(name, unix.O_CREAT|unix.O_EXCL|unix.O_RDWR, mode, nil)
	if err == nil {
		q.Close()
	}
	return err
}

// secNameOp is a create (O_CREAT|O_EXCL, 0600) or an unlink of name in family
// through libcipc.
func secNameOp(family, op, name string) error {
	if op == "create" {
		return secCreate(family, name, 0o600)
	}
	switch family {
	case "sem":
		return posix.UnlinkSemaphore(name)
	case "shm":
		return posix.UnlinkSharedMemory(name)
	default:
		return posix.UnlinkMessageQueue(name)
	}
}

// Names go to libc as they are: libcipc never joins them to /dev/shm, so
// "/../../tmp/x" (/dev/shm/../../tmp/x is /tmp/x) cannot create or remove
// /tmp/x, and every name gets the errno C gets (the C peers, run on the same
// names after the Go calls).
func TestNamesAreNeverPaths(t *testing.T) {
	p := func() string { return strings.TrimPrefix(uniqueName(), "/") }
	escape, inner, doubled, bare, planted := p(), p(), p(), p(), p()
	names := []string{"/../../tmp/" + escape, "/../etc/" + p(), "/" + inner + "/b", "..", "/.", "/..", "/", "", "//" + doubled, bare}
	plantedPath := "/tmp/" + planted
	require.NoError(t, os.WriteFile(plantedPath, []byte("outside"), 0o600))
	t.Cleanup(func() { os.Remove(plantedPath) })
	cleanup := func() {
		for _, n := range names {
			for _, f := range []string{"sem", "shm", "mq"} {
				removeAll(f, n)
			}
		}
	}
	t.Cleanup(cleanup)
	// Nothing is made outside /dev/shm: checked after every step, as a
	// create is followed by the unlink that would remove what it made.
	nothingOutside := func(when string) {
		t.Helper()
		_, err := os.Lstat("/tmp/" + escape)
		assert.ErrorIs(t, err, os.ErrNotExist, "%s: /../../tmp/NAME must not create /tmp/NAME", when)
		_, err = os.Lstat("/dev/shm/" + inner)
		assert.ErrorIs(t, err, os.ErrNotExist, "%s: /NAME/b must not create a directory", when)
	}

	type step struct{ family, op, name string }
	var steps []step
	for _, f := range []string{"sem", "shm", "mq"} {
		for _, n := range names {
			steps = append(steps, step{f, "create", n}, step{f, "unlink", n})
		}
		steps = append(steps, step{f, "unlink", "/../../tmp/" + planted})
	}
	goRes := make([]unix.Errno, len(steps))
	for i, s := range steps {
		if err := secNameOp(s.family, s.op, s.name); err != nil {
			goRes[i] = errnoOf(t, err)
		}
		nothingOutside(fmt.Sprintf("Go %s %s %q", s.family, s.op, s.name))
	}
	cleanup()
	var script strings.Builder
	for i, s := range steps {
		peer := cpeer(t, s.family+"peer")
		var args string
		switch {
		case s.op == "unlink":
			args = "unlink " + shQuote(s.name)
		case s.family == "sem":
			args = "open " + shQuote(s.name) + " 0xc0 0600 0"
		case s.family == "shm":
			args = "open " + shQuote(s.name) + " 0xc2 0600"
		default:
			args = "open " + shQuote(s.name) + " 0xc2 0600 -1 0"
		}
		fmt.Fprintf(&script, "printf 'step%d '; %s %s\n", i, peer, args)
	}
	cOut := lineMap(start(t, []string{"/bin/sh", "-c", script.String()}, nil).finish(t))
	for i, s := range steps {
		line := cOut[fmt.Sprintf("step%d", i)]
		ce, ok := probeErrno(line)
		if assert.True(t, ok, "step %d %v: C said %q", i, s, line) {
			assert.Equal(t, ce, goRes[i], "%s %s %q: Go %s, C %s", s.family, s.op, s.name, errnoText(goRes[i]), errnoText(ce))
		}
		t.Logf("%-3s %-6s %-40q Go %-7s C %s", s.family, s.op, s.name, errnoText(goRes[i]), errnoText(ce))
	}
	nothingOutside("C")
	b, err := os.ReadFile(plantedPath)
	require.NoError(t, err, "unlink of /../../tmp/NAME must not remove /tmp/NAME")
	assert.Equal(t, "outside", string(b))
}

// A symbolic link planted in /dev/shm (world-writable) under an object's
// name is not followed: sem_open and shm_open open with O_NOFOLLOW, so every
// open, even O_CREAT|O_TRUNC, fails with ELOOP in Go as in C, and the file the
// link points at is neither written nor truncated.
func TestPlantedLinkIsNotFollowed(t *testing.T) {
	name := uniqueName()
	target := filepath.Join(t.TempDir(), "target")
	const content = "0123456789abcdef0123456789abcdef0123456789abcdef" // longer than a sem_t
	require.NoError(t, os.WriteFile(target, []byte(content), 0o600))
	links := []string{"/dev/shm/sem." + name[1:], "/dev/shm/" + name[1:]}
	for _, l := range links {
		require.NoError(t, os.Symlink(target, l))
		link := l
		t.Cleanup(func() { os.Remove(link) })
	}
	type open struct {
		family string
		flag   int
		c      string
	}
	opens := []open{
		{"sem", 0, "sempeer open " + name + " 0 0600 0"},
		{"sem", unix.O_CREAT, "sempeer open " + name + " 0x40 0600 0"},
		{"shm", unix.O_RDONLY, "shmpeer open " + name + " 0 0600"},
		{"shm", unix.O_RDWR | unix.O_CREAT | unix.O_TRUNC, "shmpeer open " + name + " 0x242 0600"},
	}
	var script strings.Builder
	for i, o := range opens {
		var err error
		if o.family == "sem" {
			var s *posix.Semaphore
			if s, err = posix.OpenSemaphore(name, o.flag, 0o600, 0); err == nil {
				s.Close()
			}
		} else {
			var s *posix.SharedMemory
			if s, err = posix.OpenSharedMemory(name, o.flag, 0o600); err == nil {
				s.Close()
			}
		}
		assert.ErrorIs(t, err, unix.ELOOP, "Go %s open %#x", o.family, o.flag)
		peer, args, _ := strings.Cut(o.c, " ")
		fmt.Fprintf(&script, "printf 'open%d '; %s %s\n", i, cpeer(t, peer), args)
	}
	cOut := lineMap(start(t, []string{"/bin/sh", "-c", script.String()}, nil).finish(t))
	for i, o := range opens {
		e, ok := probeErrno(cOut[fmt.Sprintf("open%d", i)])
		assert.True(t, ok)
		assert.Equal(t, unix.ELOOP, e, "C %s", o.c)
	}
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, content, string(b), "the link's target is untouched")
	for _, l := range links {
		_, err := os.Lstat(l)
		assert.NoError(t, err, "the link %s is still there", l)
	}
}
