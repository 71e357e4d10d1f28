package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/libcipc/libcipc/posix"
)

// Exit codes of every verb.
const (
	exitOK    = 0 // done
	exitFail  = 1 // the operation failed
	exitUsage = 2 // bad command line
)

// usageError is a bad command line: the verb prints it and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// flagKind says how a flag's value is parsed.
type flagKind int

const (
	kBool     flagKind = iota
	kSize              // bytes: 4096, 4K, 1M, 2G (powers of 1024), 0x1000
	kUint              // a non-negative integer
	kDuration          // a Go duration: 500ms, 2s, 1h30m
	kMode              // octal permissions: 0600
	kString
	kList // comma-separated words
)

type flagDef struct {
	kind flagKind
	arg  string // the value's name in help
	help string
}

// flagDefs: one meaning per flag name in every verb.
var flagDefs = map[string]flagDef{
	"json":       {kBool, "", "print JSON (stable field names, see the README)"},
	"bytes":      {kBool, "", "print sizes in bytes instead of K/M/G"},
	"type":       {kList, "sem,shm,mq", "only these object types"},
	"mount":      {kBool, "", "mount the mqueue filesystem on /dev/mqueue if it is not (root only)"},
	"all":        {kBool, "", "every object matching --prefix (and the other filters)"},
	"prefix":     {kString, "P", "only names starting with P (with or without the leading /)"},
	"orphaned":   {kBool, "", "only objects no process holds open or mapped"},
	"older-than": {kDuration, "D", "only objects last modified more than D ago"},
	"dry-run":    {kBool, "", "say what would be removed, remove nothing"},
	"any-owner":  {kBool, "", "rm --all: also objects owned by other users (default: only your own)"},
	"value":      {kUint, "N", "initial value of the semaphore (default 0)"},
	"mode":       {kMode, "MODE", "permissions in octal, less the umask (default 0600)"},
	"excl":       {kBool, "", "fail if the object exists (O_EXCL)"},
	"timeout":    {kDuration, "D", "give up after D (default: wait forever)"},
	"size":       {kSize, "N", "size in bytes (K, M, G accepted)"},
	"hex":        {kBool, "", "print a hex dump"},
	"offset":     {kSize, "N", "byte offset (K, M, G accepted)"},
	"maxmsg":     {kSize, "N", "maximum number of messages (default fs.mqueue.msg_default)"},
	"msgsize":    {kSize, "N", "maximum message size in bytes (default fs.mqueue.msgsize_default)"},
	"prio":       {kUint, "P", "message priority, 0 to MQ_PRIO_MAX-1 (default 0)"},
	"count":      {kUint, "N", "receive N messages (default 1)"},
	"peers":      {kString, "DIR", "directory holding the built C peers (tests/cpeers)"},
	"help":       {kBool, "", "show this help"},
}

// opts is the parsed command line of a verb.
type opts struct {
	set  map[string]bool
	args []string // positional arguments

	json, bytes, mount, all, orphaned, dryRun, excl, hex, help bool
	anyOwner                                                   bool
	types                                                      map[string]bool
	prefix, peers                                              string
	olderThan, timeout                                         time.Duration
	value, prio, count                                         uint64
	mode                                                       uint32
	size, offset, maxmsg, msgsize                              int64
}

// parseFlags parses args for a verb accepting the flags in allowed. Flags may
// come before, between or after the arguments; "--" ends them; "-" is an
// argument (stdin).
func parseFlags(args []string, allowed ...string) (*opts, error) {
	o := &opts{set: map[string]bool{}, mode: 0o600, count: 1}
	ok := map[string]bool{"help": true, "json": true}
	for _, a := range allowed {
		ok[a] = true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			o.args = append(o.args, args[i+1:]...)
			break
		}
		if a == "-h" {
			a = "--help"
		}
		if !strings.HasPrefix(a, "--") {
			if strings.HasPrefix(a, "-") && a != "-" && !isNumber(a) {
				return nil, usagef("unknown flag %s (flags are spelled --name)", a)
			}
			o.args = append(o.args, a)
			continue
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		def, known := flagDefs[name]
		if !known || !ok[name] {
			return nil, usagef("unknown flag --%s", name)
		}
		if def.kind == kBool {
			if hasVal {
				b, err := strconv.ParseBool(val)
				if err != nil {
					return nil, usagef("bad value %q for --%s: want true or false", val, name)
				}
				o.setBool(name, b)
			} else {
				o.setBool(name, true)
			}
			o.set[name] = true
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, usagef("--%s needs a value (%s)", name, def.arg)
			}
			i++
			val = args[i]
		}
		if err := o.setValue(name, def.kind, val); err != nil {
			return nil, err
		}
		o.set[name] = true
	}
	return o, nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func (o *opts) setBool(name string, b bool) {
	switch name {
	case "json":
		o.json = b
	case "bytes":
		o.bytes = b
	case "mount":
		o.mount = b
	case "all":
		o.all = b
	case "orphaned":
		o.orphaned = b
	case "dry-run":
		o.dryRun = b
	case "excl":
		o.excl = b
	case "hex":
		o.hex = b
	case "help":
		o.help = b
	case "any-owner":
		o.anyOwner = b
	}
}

func (o *opts) setValue(name string, kind flagKind, val string) error {
	switch kind {
	case kSize:
		n, err := parseSize(val)
		if err != nil {
			return usagef("bad size %q for --%s: %v", val, name, err)
		}
		switch name {
		case "size":
			o.size = n
		case "offset":
			o.offset = n
		case "maxmsg":
			o.maxmsg = n
		case "msgsize":
			o.msgsize = n
		}
	case kUint:
		n, err := strconv.ParseUint(val, 0, 32)
		if err != nil {
			return usagef("bad number %q for --%s: want 0 to %d", val, name, uint32(1<<32-1))
		}
		switch name {
		case "value":
			o.value = n
		case "prio":
			o.prio = n
		case "count":
			if n == 0 {
				return usagef("bad number %q for --count: want at least 1", val)
			}
			o.count = n
		}
	case kDuration:
		d, err := parseDuration(val)
		if err != nil || d < 0 {
			return usagef("bad duration %q for --%s: want a Go duration such as 500ms, 2s, 1h30m, or days: 7d", val, name)
		}
		if name == "timeout" {
			o.timeout = d
		} else {
			o.olderThan = d
		}
	case kMode:
		m, err := strconv.ParseUint(val, 8, 32)
		if err != nil || m > 0o7777 {
			return usagef("bad mode %q for --%s: want octal permissions such as 0600", val, name)
		}
		o.mode = uint32(m)
	case kString:
		if name == "prefix" {
			o.prefix = val
		} else {
			o.peers = val
		}
	case kList:
		o.types = map[string]bool{}
		for _, t := range strings.Split(val, ",") {
			if t != "sem" && t != "shm" && t != "mq" {
				return usagef("bad type %q for --%s: want sem, shm or mq, separated by commas", t, name)
			}
			o.types[t] = true
		}
	}
	return nil
}

// wants reports whether objects of type t are selected (--type, default all).
func (o *opts) wants(t string) bool { return o.types == nil || o.types[t] }

// parseSize parses a byte count: decimal (or 0x hex) with an optional K, M or
// G suffix (powers of 1024; KiB and KB are read the same way).
func parseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("want a non-negative number with an optional K, M or G suffix")
	}
	shift := map[string]int{"": 0, "k": 10, "m": 20, "g": 30}[strings.ToLower(m[2])]
	base, digits := 10, m[1]
	if len(digits) > 2 && (digits[1] == 'x' || digits[1] == 'X') {
		base, digits = 16, digits[2:]
	}
	n, err := strconv.ParseInt(digits, base, 64)
	if err != nil || n > (1<<63-1)>>shift {
		return 0, fmt.Errorf("too large")
	}
	return n << shift, nil
}

var sizeRE = regexp.MustCompile(`^(0[xX][0-9a-fA-F]+|[0-9]+)(?:([kKmMgG])(?:i?[bB])?)?$`)

// formatSize prints n as 4.0K, 1.5M…, or in bytes with --bytes.
func formatSize(n int64, bytes bool) string {
	if bytes || n < 1024 {
		return strconv.FormatInt(n, 10)
	}
	f := float64(n)
	for _, u := range []string{"K", "M", "G", "T"} {
		f /= 1024
		if f < 1024 || u == "T" {
			return strconv.FormatFloat(f, 'f', 1, 64) + u
		}
	}
	return strconv.FormatInt(n, 10)
}

// objName gives a name its leading slash: "jobs" and "/jobs" are the same
// object for glibc's sem_open and shm_open, and mq_open wants the slash.
// parseDuration is time.ParseDuration, plus whole days ("7d", "1d12h").
func parseDuration(val string) (time.Duration, error) {
	if days, rest, ok := strings.Cut(val, "d"); ok && days != "" && !strings.ContainsAny(days, ".-+") {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, err
		}
		d := time.Duration(n) * 24 * time.Hour
		if rest == "" {
			return d, nil
		}
		r, err := time.ParseDuration(rest)
		return d + r, err
	}
	return time.ParseDuration(val)
}

// checkName refuses names glibc would turn into a directory ("", ".", "..":
// /dev/shm itself or /dev) before any libc call: a usage error.
func checkName(s string) error {
	switch strings.TrimPrefix(s, "/") {
	case "", ".", "..":
		return usagef("bad object name %q", s)
	}
	return nil
}

func objName(s string) string {
	if strings.HasPrefix(s, "/") {
		return s
	}
	return "/" + s
}

// fail prints err the way every verb does and returns its exit code: a usage
// error exits 2, anything else 1.
func fail(verb string, err error) int {
	if ue, ok := err.(*usageError); ok {
		fmt.Fprintf(os.Stderr, "posixipc %s: %s\n", verb, ue.msg)
		fmt.Fprintf(os.Stderr, "run 'posixipc %s --help' for usage\n", verb)
		return exitUsage
	}
	if _, ok := err.(*posix.Error); ok {
		fmt.Fprintf(os.Stderr, "posixipc: %v\n", err)
	} else {
		fmt.Fprintf(os.Stderr, "posixipc: %s: %v\n", verb, err)
	}
	return exitFail
}
