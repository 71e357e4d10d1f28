package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// lockEntry is one file lock as locks prints it: a line of /proc/locks
// (posix.ProcLocks) with the holder's command and the file's path resolved.
// The JSON field names are part of the tool's interface (README).
type lockEntry struct {
	ID      int    `json:"id"`      // the line's ordinal in /proc/locks
	Blocked bool   `json:"blocked"` // a waiter ("->"), blocked behind lock id
	Class   string `json:"class"`   // "POSIX" (fcntl, lockf), "FLOCK", "OFDLCK", "LEASE"
	Mode    string `json:"mode"`    // "ADVISORY" or "MANDATORY"
	Type    string `json:"type"`    // "READ" or "WRITE"
	Pid     int    `json:"pid"`     // the holder; -1 for an OFD lock (owned by an open file description, no process)
	Command string `json:"command"` // /proc/PID/comm; "" when there is no process (pid -1) or it is gone
	Path    string `json:"path"`    // the locked file; "" when no descriptor open on it could be read
	Dev     string `json:"dev"`     // the file's device, "MAJOR:MINOR" (decimal)
	Inode   uint64 `json:"inode"`
	Start   int64  `json:"start"` // first byte locked
	End     int64  `json:"end"`   // last byte locked (inclusive); -1: to the end of the file, however far it grows
	Error   string `json:"error,omitempty"`
}

// locksResult is the JSON document of posixipc locks.
type locksResult struct {
	Locks []lockEntry `json:"locks"`
	File  string      `json:"file,omitempty"` // the PATH asked about (absolute)
}

func cmdLocks(args []string) int {
	o, err := parseFlags(args)
	if err != nil {
		return fail("locks", err)
	}
	if o.help {
		return help("locks")
	}
	if len(o.args) > 1 {
		return fail("locks", usagef("takes at most one PATH"))
	}
	var fi os.FileInfo
	var file string
	if len(o.args) == 1 {
		// The file the user names: stat follows a symlink to it, as the
		// kernel's lock does (the lock is on the inode).
		if file, err = filepath.Abs(o.args[0]); err != nil {
			return fail("locks", err)
		}
		if fi, err = os.Stat(file); err != nil {
			return fail("locks", &posix.Error{Op: "stat", Name: o.args[0], Err: unwrapPathErr(err)})
		}
	}
	all, err := posix.ProcLocks()
	if err != nil {
		return fail("locks", err)
	}
	entries := resolveLocks(all, fi, file)
	if o.json {
		printJSON(locksResult{Locks: entries, File: file})
		return exitOK
	}
	printLocks(os.Stdout, entries)
	if len(entries) == 0 {
		if file != "" {
			fmt.Printf("no locks on %s\n", file)
		} else {
			fmt.Println("no file locks")
		}
	}
	return exitOK
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// resolveLocks keeps the locks on fi's file (all when fi is nil) and
// resolves their commands and paths. Links in /proc are read (readlink),
// never followed out of it except by stat(2) of a descriptor, to learn which
// file it is.
func resolveLocks(all []posix.ProcLock, fi os.FileInfo, file string) []lockEntry {
	entries := []lockEntry{}
	var byFile map[fileID]string // every open file's path, built when a pid cannot tell
	for _, l := range all {
		if fi != nil && !l.Matches(fi) {
			continue
		}
		e := lockEntry{ID: l.ID, Blocked: l.Blocked, Class: l.Class, Mode: l.Mode, Type: l.Type, Pid: l.Pid,
			Dev: fmt.Sprintf("%d:%d", l.Major, l.Minor), Inode: l.Inode, Start: l.Start, End: l.End}
		var errs []string
		if l.Pid > 0 {
			if c, err := l.Command(); err == nil {
				e.Command = c
			} else {
				errs = append(errs, err.Error())
			}
		}
		switch {
		case file != "":
			e.Path = file
		case l.Pid > 0:
			if p, err := l.Path(); err == nil {
				e.Path = p
			}
		}
		if e.Path == "" {
			// An OFD lock has no process, and a flock lock's placer may
			// have passed its descriptor on and gone: look for the file
			// in every process's descriptors (the path only; no process
			// is named for it).
			if byFile == nil {
				byFile = openFiles()
			}
			e.Path = byFile[fileID{unix.Mkdev(l.Major, l.Minor), l.Inode}]
			if e.Path == "" {
				errs = append(errs, "path not found: no readable descriptor is open on the file")
			}
		}
		e.Error = strings.Join(errs, "; ")
		entries = append(entries, e)
	}
	return entries
}

// openFiles maps every file some process has open (that this process may
// see) to the path its descriptor names.
func openFiles() map[fileID]string {
	m := map[fileID]string{}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		dir := "/proc/" + p.Name() + "/fd/"
		fds, _ := os.ReadDir(dir)
		for _, fd := range fds {
			var st unix.Stat_t
			if unix.Stat(dir+fd.Name(), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
				continue
			}
			id := fileID{st.Dev, st.Ino}
			if _, ok := m[id]; ok {
				continue
			}
			if target, err := os.Readlink(dir + fd.Name()); err == nil && strings.HasPrefix(target, "/") {
				m[id] = target
			}
		}
	}
	return m
}

// lockRange is "0-99", "100-EOF".
func lockRange(start, end int64) string {
	if end < 0 {
		return fmt.Sprintf("%d-EOF", start)
	}
	return fmt.Sprintf("%d-%d", start, end)
}

// lockHolder is "1234 filepeer", "-1 (OFD lock: an open file description, no process)".
func lockHolder(e lockEntry) string {
	if e.Pid < 0 {
		return "-1 (OFD lock: owned by an open file description, no process)"
	}
	if e.Command == "" {
		return strconv.Itoa(e.Pid) + " ?"
	}
	return strconv.Itoa(e.Pid) + " " + e.Command
}

// printLocks prints the table of locks (nothing when there are none).
func printLocks(w io.Writer, entries []lockEntry) {
	if len(entries) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCLASS\tTYPE\tRANGE\tHOLDER\tPATH")
	for _, e := range entries {
		id, holder := strconv.Itoa(e.ID), lockHolder(e)
		if e.Blocked {
			id = "-> " + id
			holder += " (waiting)"
		}
		path := e.Path
		if path == "" {
			path = fmt.Sprintf("? (dev %s inode %d)", e.Dev, e.Inode)
		}
		if e.Error != "" && e.Pid > 0 && e.Command == "" {
			path += " [" + e.Error + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", id, e.Class, e.Type, lockRange(e.Start, e.End), holder, path)
	}
	tw.Flush()
}
