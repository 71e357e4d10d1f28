package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// lsResult is ls's JSON document (stat prints the same shape).
type lsResult struct {
	Objects       []object `json:"objects"`
	MqueueMounted bool     `json:"mqueue_mounted"`
	MqueueHint    string   `json:"mqueue_hint,omitempty"` // how to mount it, when queues could not be listed
}

func printJSON(v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	os.Stdout.Write(append(b, '\n'))
}

// mountMqueue mounts the mqueue filesystem on /dev/mqueue (root only).
func mountMqueue() error {
	if os.Geteuid() != 0 {
		return &posix.Error{Op: "mount", Name: mqDir, Err: unix.EPERM}
	}
	fi, statErr := os.Lstat(mqDir)
	made := errors.Is(statErr, os.ErrNotExist)
	if statErr == nil && !fi.IsDir() {
		// A symlink (or anything but a directory) planted there: mounting
		// would follow it out of /dev.
		return &posix.Error{Op: "mount", Name: mqDir, Err: unix.ENOTDIR}
	}
	// 0755: the mqueue root is 1777 while mounted, whatever its mount point;
	// the mount point itself must not leave /dev world-writable once unmounted.
	if err := os.MkdirAll(mqDir, 0o755); err != nil {
		return err
	}
	// mount(2) follows symlinks: mount on the directory opened without
	// following one, so that a link planted after the Lstat is refused too.
	fd, err := unix.Open(mqDir, unix.O_PATH|unix.O_NOFOLLOW|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Mount("none", "/proc/self/fd/"+strconv.Itoa(fd), "mqueue", 0, "")
		unix.Close(fd)
	} else if err == unix.ELOOP {
		err = unix.ENOTDIR
	}
	if err != nil {
		if made {
			os.Remove(mqDir) // leave nothing behind a failed mount
		}
		return &posix.Error{Op: "mount", Name: mqDir, Err: err}
	}
	return nil
}

func cmdLs(args []string) int {
	o, err := parseFlags(args, "type", "bytes", "mount")
	if err != nil {
		return fail("ls", err)
	}
	if o.help {
		return help("ls")
	}
	res := lsResult{MqueueMounted: mqueueMounted()}
	if o.mount && !res.MqueueMounted && o.wants("mq") {
		if err := mountMqueue(); err != nil {
			return fail("ls", err)
		}
		fmt.Fprintf(os.Stderr, "posixipc: mounted the mqueue filesystem on %s (%s)\n", mqDir, mountCmd)
		res.MqueueMounted = true
	}
	code := exitOK
	if len(o.args) == 0 {
		res.Objects = listObjects(o)
		if !res.MqueueMounted && o.wants("mq") {
			res.MqueueHint = fmt.Sprintf("%s is not mounted, so message queues cannot be listed: mount it with '%s' (or run 'posixipc ls --mount' as root), or name queues on the command line", mqDir, mountCmd)
		}
	}
	// Objects named on the command line are found by name, also when they
	// cannot be listed (queues while /dev/mqueue is not mounted).
	for _, a := range o.args {
		name := objName(a)
		if err := checkName(name); err != nil {
			return fail("ls", err)
		}
		found := lookup(name, o)
		if len(found) == 0 {
			fmt.Fprintf(os.Stderr, "posixipc: ls %s: no such file or directory (no %s of that name)\n", name, typeWords(o))
			code = exitFail
		}
		res.Objects = append(res.Objects, found...)
	}
	sortObjects(res.Objects)
	addHolders(res.Objects)
	if res.Objects == nil {
		res.Objects = []object{}
	}
	if o.json {
		printJSON(res)
		return code
	}
	if res.MqueueHint != "" {
		fmt.Fprintf(os.Stderr, "posixipc: note: %s\n", res.MqueueHint)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tNAME\tMODE\tOWNER\tMODIFIED\tSIZE/VALUE/STATE\tHELD BY")
	for _, ob := range res.Objects {
		mt := "-"
		if !ob.Mtime.IsZero() {
			mt = ob.Mtime.Format("2006-01-02 15:04:05")
		}
		owner := "-"
		if ob.Owner != "" {
			owner = ob.Owner + ":" + ob.Group
		}
		mode := ob.Mode
		if mode == "" {
			mode = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ob.Type, display(ob.Name), mode, owner, mt, details(ob, o.bytes), holdersText(ob.Holders))
	}
	tw.Flush()
	return code
}

func cmdStat(args []string) int {
	o, err := parseFlags(args, "type", "bytes")
	if err != nil {
		return fail("stat", err)
	}
	if o.help {
		return help("stat")
	}
	if len(o.args) == 0 {
		return fail("stat", usagef("name at least one object"))
	}
	res := lsResult{Objects: []object{}, MqueueMounted: mqueueMounted()}
	code := exitOK
	for _, a := range o.args {
		name := objName(a)
		if err := checkName(name); err != nil {
			return fail("stat", err)
		}
		found := lookup(name, o)
		if len(found) == 0 {
			fmt.Fprintf(os.Stderr, "posixipc: stat %s: no such file or directory (no %s of that name)\n", name, typeWords(o))
			code = exitFail
		}
		res.Objects = append(res.Objects, found...)
	}
	addHolders(res.Objects)
	if o.json {
		printJSON(res)
		return code
	}
	for i, ob := range res.Objects {
		if i > 0 {
			fmt.Println()
		}
		printObject(ob, o.bytes)
	}
	return code
}

// typeWords names the selected types: "semaphore, shared memory object or message queue".
func typeWords(o *opts) string {
	var w []string
	for _, t := range []struct{ t, w string }{{"sem", "semaphore"}, {"shm", "shared memory object"}, {"mq", "message queue"}} {
		if o.wants(t.t) {
			w = append(w, t.w)
		}
	}
	if len(w) == 1 {
		return w[0]
	}
	return strings.Join(w[:len(w)-1], ", ") + " or " + w[len(w)-1]
}

var typeTitles = map[string]string{"sem": "named semaphore", "shm": "shared memory object", "mq": "message queue"}

func printObject(ob object, bytes bool) {
	fmt.Printf("%s  (%s)\n", display(ob.Name), typeTitles[ob.Type])
	line := func(k, v string) { fmt.Printf("  %-10s %s\n", k, v) }
	if ob.Path != "" {
		line("path", ob.Path)
	}
	if ob.Mode != "" {
		line("mode", ob.Mode)
		line("owner", fmt.Sprintf("%s:%s (uid %d, gid %d)", ob.Owner, ob.Group, ob.UID, ob.GID))
		line("modified", ob.Mtime.Format(time.RFC3339))
	}
	if ob.Size != nil {
		line("size", formatSize(*ob.Size, bytes)+fmt.Sprintf(" (%d bytes)", *ob.Size))
	}
	if ob.Value != nil {
		line("value", fmt.Sprint(*ob.Value))
	}
	if ob.Msgs != nil {
		line("messages", fmt.Sprintf("%d of at most %d", *ob.Msgs, *ob.MaxMsg))
		line("msgsize", fmt.Sprintf("%d bytes at most", *ob.MsgSize))
	}
	if ob.UsedBytes != nil {
		line("used", fmt.Sprintf("%d bytes of messages queued", *ob.UsedBytes))
	}
	if ob.NotifyPID != nil {
		v := "none"
		if *ob.NotifyPID != 0 {
			v = fmt.Sprintf("pid %d is registered with mq_notify", *ob.NotifyPID)
		}
		line("notify", v)
	}
	if ob.Error != "" {
		line("error", ob.Error)
	}
	line("held by", holdersText(ob.Holders))
}

// removed is one line of rm's JSON: {"name":…, "type":…}.
type removed struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type rmResult struct {
	Removed []removed `json:"removed"`
	DryRun  bool      `json:"dry_run"`
}

func unlink(typ, name string) error {
	switch typ {
	case "sem":
		return posix.UnlinkSemaphore(name)
	case "shm":
		return posix.UnlinkSharedMemory(name)
	default:
		return posix.UnlinkMessageQueue(name)
	}
}

func cmdRm(args []string) int {
	o, err := parseFlags(args, "type", "all", "prefix", "orphaned", "older-than", "dry-run", "mount", "any-owner")
	if err != nil {
		return fail("rm", err)
	}
	if o.help {
		return help("rm")
	}
	res := rmResult{Removed: []removed{}, DryRun: o.dryRun}
	code := exitOK
	switch {
	case o.all:
		if len(o.args) > 0 {
			return fail("rm", usagef("--all takes no names"))
		}
		if !o.set["prefix"] || strings.Trim(o.prefix, "/") == "" {
			return fail("rm", usagef("--all needs --prefix P (a non-empty name prefix): posixipc will not remove every object on the system"))
		}
		if o.wants("mq") && !mqueueMounted() {
			if o.mount {
				if err := mountMqueue(); err != nil {
					return fail("rm", err)
				}
			} else {
				fmt.Fprintf(os.Stderr, "posixipc: note: %s is not mounted, so message queues are not covered: mount it with '%s' (or add --mount as root)\n", mqDir, mountCmd)
			}
		}
		prefix := objName(o.prefix)
		var chosen []object
		euid := uint32(os.Geteuid())
		for _, ob := range listObjects(o) {
			if !o.anyOwner && ob.Mode != "" && ob.UID != euid {
				continue // another user's object: only with --any-owner
			}
			if strings.HasPrefix(ob.Name, prefix) && (o.olderThan == 0 || time.Since(ob.Mtime) > o.olderThan) {
				chosen = append(chosen, ob)
			}
		}
		if o.orphaned {
			addHolders(chosen)
			if len(chosen) > 0 && !chosen[0].HoldersComplete {
				return fail("rm", fmt.Errorf("cannot see every process's descriptors and mappings (another user's /proc/PID/fd needs privilege), so nothing is known to be orphaned: nothing removed; run as root"))
			}
			kept := chosen[:0]
			for _, ob := range chosen {
				if len(ob.Holders) == 0 {
					kept = append(kept, ob)
				}
			}
			chosen = kept
		}
		for _, ob := range chosen {
			if !o.dryRun {
				if err := unlink(ob.Type, ob.Name); err != nil {
					fail("rm", err)
					code = exitFail
					continue
				}
			}
			res.Removed = append(res.Removed, removed{ob.Name, ob.Type})
		}
	default:
		if o.set["prefix"] || o.orphaned || o.set["older-than"] {
			return fail("rm", usagef("--prefix, --orphaned and --older-than go with --all"))
		}
		if len(o.args) == 0 {
			return fail("rm", usagef("name at least one object, or use --all --prefix P"))
		}
		for _, a := range o.args {
			name := objName(a)
			if err := checkName(name); err != nil {
				return fail("rm", err)
			}
			any, failed := false, false
			for _, typ := range []string{"sem", "shm", "mq"} {
				if !o.wants(typ) {
					continue
				}
				if o.dryRun {
					if len(lookup(name, &opts{types: map[string]bool{typ: true}})) > 0 {
						any = true
						res.Removed = append(res.Removed, removed{name, typ})
					}
					continue
				}
				err := unlink(typ, name)
				switch {
				case err == nil:
					any = true
					res.Removed = append(res.Removed, removed{name, typ})
				case errors.Is(err, os.ErrNotExist) && (o.types == nil || len(o.types) > 1):
					// Not of this type; another may match.
				default:
					fail("rm", err)
					failed = true
				}
			}
			if !any && !failed && (o.types == nil || len(o.types) > 1) {
				fmt.Fprintf(os.Stderr, "posixipc: rm %s: no such file or directory (no %s of that name)\n", name, typeWords(o))
				failed = true
			}
			if failed {
				code = exitFail
			}
		}
	}
	if o.json {
		printJSON(res)
		return code
	}
	verb := "removed"
	if o.dryRun {
		verb = "would remove"
	}
	for _, r := range res.Removed {
		fmt.Printf("%s %s %s\n", verb, typeTitles[r.Type], display(r.Name))
	}
	return code
}
