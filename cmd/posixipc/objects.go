package main

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// Where glibc and Linux keep the objects: named semaphores are
// /dev/shm/sem.NAME, shared memory objects /dev/shm/NAME, message queues live
// in the mqueue filesystem, visible only where it is mounted.
const (
	shmDir      = "/dev/shm"
	mqDir       = "/dev/mqueue"
	mqueueMagic = 0x19800202 // MQUEUE_MAGIC, statfs(2)
	mountCmd    = "mount -t mqueue none /dev/mqueue"
)

// holder is a process that has an object open (a descriptor) or mapped.
type holder struct {
	PID  int    `json:"pid"`
	Comm string `json:"comm"` // /proc/PID/comm
	How  string `json:"how"`  // "fd" (open descriptor) or "map" (mapped)
}

// object is what ls and stat say of one object; the JSON field names are
// part of the tool's interface (README).
type object struct {
	Name string `json:"name"`
	Type string `json:"type"` // "sem", "shm" or "mq"
	// NameBase64 is the name's exact bytes when they are not valid UTF-8
	// (JSON strings are UTF-8: "name" then carries U+FFFD for them).
	NameBase64 []byte    `json:"name_base64,omitempty"`
	Path       string    `json:"path,omitempty"` // the file behind it; "" for a queue while /dev/mqueue is not mounted
	Mode       string    `json:"mode"`           // permissions in octal, "0600"
	UID        uint32    `json:"uid"`
	GID        uint32    `json:"gid"`
	Owner      string    `json:"owner"`
	Group      string    `json:"group"`
	Mtime      time.Time `json:"mtime"`
	Size       *int64    `json:"size,omitempty"`       // shm: bytes
	Value      *int      `json:"value,omitempty"`      // sem: sem_getvalue
	Msgs       *int64    `json:"msgs,omitempty"`       // mq: mq_curmsgs
	MaxMsg     *int64    `json:"maxmsg,omitempty"`     // mq: mq_maxmsg
	MsgSize    *int64    `json:"msgsize,omitempty"`    // mq: mq_msgsize
	UsedBytes  *int64    `json:"used_bytes,omitempty"` // mq: QSIZE, bytes of the messages queued
	NotifyPID  *int      `json:"notify_pid,omitempty"` // mq: process registered with mq_notify, 0 if none
	Holders    []holder  `json:"holders"`
	// HoldersComplete is false when some processes could not be inspected
	// (another user's /proc/PID/fd needs privilege): Holders may then miss
	// some, and rm --orphaned removes nothing.
	HoldersComplete bool   `json:"holders_complete"`
	Error           string `json:"error,omitempty"` // what could not be read, e.g. "sem_open /x: permission denied"

	id fileID
}

type fileID struct{ dev, ino uint64 }

func ptr[T any](v T) *T { return &v }

// mqueueMounted reports whether the mqueue filesystem is mounted on /dev/mqueue.
func mqueueMounted() bool {
	var fs unix.Statfs_t
	return unix.Statfs(mqDir, &fs) == nil && fs.Type == mqueueMagic
}

// fromStat fills what the file's metadata says.
func (ob *object) fromStat(st *unix.Stat_t) {
	ob.Mode = fmt.Sprintf("%04o", st.Mode&0o7777)
	ob.UID, ob.GID = st.Uid, st.Gid
	ob.Owner, ob.Group = userName(st.Uid), groupName(st.Gid)
	ob.Mtime = time.Unix(st.Mtim.Sec, st.Mtim.Nsec)
	ob.id = fileID{st.Dev, st.Ino}
}

var userNames, groupNames = map[uint32]string{}, map[uint32]string{}

func userName(uid uint32) string {
	if n, ok := userNames[uid]; ok {
		return n
	}
	n := strconv.Itoa(int(uid))
	if u, err := user.LookupId(n); err == nil {
		n = u.Username
	}
	userNames[uid] = n
	return n
}

func groupName(gid uint32) string {
	if n, ok := groupNames[gid]; ok {
		return n
	}
	n := strconv.Itoa(int(gid))
	if g, err := user.LookupGroupId(n); err == nil {
		n = g.Name
	}
	groupNames[gid] = n
	return n
}

// lstatRegular is lstat(2) of a file that must be a regular file: a symlink
// (or anything else) planted in /dev/shm is not an object and is not followed.
func lstatRegular(path string) (*unix.Stat_t, bool) {
	var st unix.Stat_t
	if unix.Lstat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, false
	}
	return &st, true
}

// plainName reports whether name is "/x" with no other slash: the only names
// that can be objects (glibc refuses the others with EINVAL).
func plainName(name string) bool {
	rest := strings.TrimPrefix(name, "/")
	return rest != "" && rest != "." && rest != ".." && !strings.Contains(rest, "/")
}

// semObject describes the named semaphore name, found at path with st. Its
// value is read with sem_open(name, 0) and sem_getvalue: never created.
func semObject(name, path string, st *unix.Stat_t) object {
	ob := object{Name: name, Type: "sem", Path: path}
	ob.fromStat(st)
	s, err := posix.OpenSemaphore(name, 0, 0, 0)
	if err == nil {
		var v int
		v, err = s.Value()
		s.Close()
		if err == nil {
			ob.Value = ptr(v)
		}
	}
	if err != nil {
		ob.Error = err.Error()
	}
	return ob
}

func shmObject(name, path string, st *unix.Stat_t) object {
	ob := object{Name: name, Type: "shm", Path: path, Size: ptr(st.Size)}
	ob.fromStat(st)
	return ob
}

// mqObject describes the message queue name: mq_open(O_RDONLY) then
// mq_getattr, fstat and the queue's status line (QSIZE, NOTIFY_PID), which a
// read(2) of the descriptor returns. found is false when there is no such
// queue.
func mqObject(name string) (ob object, found bool) {
	ob = object{Name: name, Type: "mq"}
	mounted := mqueueMounted()
	if mounted {
		ob.Path = filepath.Join(mqDir, strings.TrimPrefix(name, "/"))
		st, ok := lstatRegular(ob.Path)
		if !ok {
			return ob, false
		}
		ob.fromStat(st)
	}
	q, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENAMETOOLONG) {
			return ob, mounted
		}
		ob.Error = err.Error()
		return ob, true // it exists (EACCES…), whatever else we cannot tell
	}
	defer q.Close()
	var st unix.Stat_t
	if err := unix.Fstat(q.Fd(), &st); err == nil {
		ob.fromStat(&st)
	}
	a, err := q.Attr()
	if err != nil {
		ob.Error = err.Error()
		return ob, true
	}
	ob.Msgs, ob.MaxMsg, ob.MsgSize = ptr(a.CurMsgs), ptr(a.MaxMsg), ptr(a.MsgSize)
	buf := make([]byte, 256)
	n, err := unix.Pread(q.Fd(), buf, 0)
	if err != nil {
		ob.Error = (&posix.Error{Op: "read", Name: name, Err: err}).Error()
		return ob, true
	}
	for _, f := range strings.Fields(string(buf[:n])) {
		k, v, _ := strings.Cut(f, ":")
		i, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "QSIZE":
			ob.UsedBytes = ptr(i)
		case "NOTIFY_PID":
			ob.NotifyPID = ptr(int(i))
		}
	}
	return ob, true
}

// listObjects lists every object of the selected types, sorted by type and
// name. Queues are listed only when /dev/mqueue is mounted.
func listObjects(o *opts) []object {
	var out []object
	if o.wants("sem") || o.wants("shm") {
		entries, _ := os.ReadDir(shmDir)
		for _, e := range entries {
			path := filepath.Join(shmDir, e.Name())
			st, ok := lstatRegular(path)
			if !ok {
				continue
			}
			if rest, isSem := strings.CutPrefix(e.Name(), "sem."); isSem {
				if o.wants("sem") {
					out = append(out, semObject("/"+rest, path, st))
				}
			} else if o.wants("shm") {
				out = append(out, shmObject("/"+e.Name(), path, st))
			}
		}
	}
	if o.wants("mq") && mqueueMounted() {
		entries, _ := os.ReadDir(mqDir)
		for _, e := range entries {
			if ob, ok := mqObject("/" + e.Name()); ok {
				out = append(out, ob)
			}
		}
	}
	sortObjects(out)
	return out
}

// sortObjects orders objects by type then name, and gives each name that
// is not valid UTF-8 its exact bytes for JSON.
func sortObjects(obs []object) {
	for i := range obs {
		if !utf8.ValidString(obs[i].Name) {
			obs[i].NameBase64 = []byte(obs[i].Name)
		}
	}
	rank := map[string]int{"sem": 0, "shm": 1, "mq": 2}
	sort.SliceStable(obs, func(i, j int) bool {
		if obs[i].Type != obs[j].Type {
			return rank[obs[i].Type] < rank[obs[j].Type]
		}
		return obs[i].Name < obs[j].Name
	})
}

// lookup finds the objects called name among the selected types (a name may
// be a semaphore, a shared memory object and a queue at once).
func lookup(name string, o *opts) []object {
	var out []object
	if !plainName(name) {
		return nil
	}
	base := strings.TrimPrefix(name, "/")
	if o.wants("sem") {
		path := filepath.Join(shmDir, "sem."+base)
		if st, ok := lstatRegular(path); ok {
			out = append(out, semObject(name, path, st))
		}
	}
	if o.wants("shm") {
		path := filepath.Join(shmDir, base)
		if st, ok := lstatRegular(path); ok {
			out = append(out, shmObject(name, path, st))
		}
	}
	if o.wants("mq") {
		if ob, ok := mqObject(name); ok {
			out = append(out, ob)
		}
	}
	sortObjects(out)
	return out
}

// addHolders fills each object's holders from one scan of /proc.
func addHolders(obs []object) {
	if len(obs) == 0 {
		return
	}
	held, unreadable := scanHolders()
	for i := range obs {
		obs[i].HoldersComplete = unreadable == 0
		obs[i].Holders = held[obs[i].id]
		if obs[i].Holders == nil {
			obs[i].Holders = []holder{}
		}
	}
}

// scanHolders maps each file in /dev/shm or the mqueue filesystem that a
// process (other than this one) has open or mapped to those processes. Files
// are matched by device and inode: glibc's sem_open creates the file under a
// temporary name and links it, so a semaphore's mapping may show another
// (deleted) path. Links in /proc are read, never followed out of it, except
// stat(2) of a descriptor to learn its inode.
func scanHolders() (map[fileID][]holder, int) {
	held := map[fileID][]holder{}
	unreadable := 0
	self := os.Getpid()
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == self {
			continue
		}
		dir := "/proc/" + p.Name()
		comm := "?"
		if b, err := os.ReadFile(dir + "/comm"); err == nil {
			comm = strings.TrimSpace(string(b))
		}
		seen := map[fileID]bool{}
		fds, err := os.ReadDir(dir + "/fd")
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			unreadable++ // EACCES: another user's process
			continue
		}
		for _, fd := range fds {
			link := dir + "/fd/" + fd.Name()
			target, err := os.Readlink(link)
			if err != nil || !(strings.HasPrefix(target, shmDir+"/") || plainName(target)) {
				continue
			}
			var st unix.Stat_t
			if unix.Stat(link, &st) != nil {
				continue
			}
			id := fileID{st.Dev, st.Ino}
			if !seen[id] {
				seen[id] = true
				held[id] = append(held[id], holder{PID: pid, Comm: comm, How: "fd"})
			}
		}
		// A process whose descriptors could be read but whose maps cannot
		// (here: root cannot read PID 1's, another user namespace's init)
		// is not counted as unreadable: an object it only maps is missed.
		maps, err := posix.ProcMaps(pid)
		if err != nil {
			continue
		}
		mapped := map[fileID]bool{}
		for _, m := range maps {
			if !strings.HasPrefix(m.Path, shmDir+"/") {
				continue
			}
			maj, min, ok := strings.Cut(m.Dev, ":")
			if !ok {
				continue
			}
			ma, err1 := strconv.ParseUint(maj, 16, 32)
			mi, err2 := strconv.ParseUint(min, 16, 32)
			if err1 != nil || err2 != nil {
				continue
			}
			id := fileID{unix.Mkdev(uint32(ma), uint32(mi)), m.Inode}
			if !mapped[id] {
				mapped[id] = true
				held[id] = append(held[id], holder{PID: pid, Comm: comm, How: "map"})
			}
		}
	}
	return held, unreadable
}

// holdersText is "1234 sempeer (map), 99 go (fd)" or "-".
func holdersText(hs []holder) string {
	if len(hs) == 0 {
		return "-"
	}
	var parts []string
	for _, h := range hs {
		parts = append(parts, fmt.Sprintf("%d %s (%s)", h.PID, display(h.Comm), h.How))
	}
	return strings.Join(parts, ", ")
}

// display quotes a name or command for a terminal when it holds control
// characters, invalid UTF-8 or tabwriter's escape byte: names come from
// other users, and must not forge lines or send escape sequences.
func display(s string) string {
	if !utf8.ValidString(s) { // tabwriter's escape, 0xff, is never valid UTF-8
		return strconv.Quote(s)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// details is the per-type column of ls: size, value or queue state.
func details(ob object, bytes bool) string {
	var parts []string
	if ob.Size != nil {
		parts = append(parts, "size="+formatSize(*ob.Size, bytes))
	}
	if ob.Value != nil {
		parts = append(parts, fmt.Sprintf("value=%d", *ob.Value))
	}
	if ob.Msgs != nil {
		parts = append(parts, fmt.Sprintf("msgs=%d/%d msgsize=%s", *ob.Msgs, *ob.MaxMsg, formatSize(*ob.MsgSize, bytes)))
	}
	if ob.UsedBytes != nil {
		parts = append(parts, "used="+formatSize(*ob.UsedBytes, bytes))
	}
	if ob.NotifyPID != nil && *ob.NotifyPID != 0 {
		parts = append(parts, fmt.Sprintf("notify=%d", *ob.NotifyPID))
	}
	if ob.Error != "" {
		parts = append(parts, "("+ob.Error+")")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}
