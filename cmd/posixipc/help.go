package main

import (
	"fmt"
	"os"
	"strings"
)

// verbHelp is the --help of one verb.
type verbHelp struct {
	usage    string
	text     string
	flags    []string // besides --json and --help
	examples []string
}

var helps = map[string]verbHelp{
	"ls": {"posixipc ls [--type sem,shm,mq] [--bytes] [--mount] [--json] [NAME...]",
		"Lists every POSIX named semaphore, shared memory object and message queue: name, type,\n" +
			"mode, owner, modification time; the size of shared memory; the value of a semaphore\n" +
			"(read with sem_open without O_CREAT: never created); the messages, maxmsg, msgsize,\n" +
			"bytes queued and mq_notify process of a queue; and the processes holding each object\n" +
			"open or mapped (/proc/*/fd, /proc/*/maps). Queues live in the mqueue filesystem:\n" +
			"when /dev/mqueue is not mounted they cannot be listed (ls says how to mount it, and\n" +
			"--mount mounts it when run as root), but queues named on the command line are shown.",
		[]string{"type", "bytes", "mount"},
		[]string{"posixipc ls", "posixipc ls --type mq /jobs /results", "sudo posixipc ls --mount --json"}},
	"stat": {"posixipc stat [--type sem,shm,mq] [--bytes] [--json] NAME...",
		"Shows everything ls knows about each named object, one block per object (a name may be a\n" +
			"semaphore, a shared memory object and a queue at once).",
		[]string{"type", "bytes"},
		[]string{"posixipc stat /jobs", "posixipc stat --json --type sem jobs"}},
	"rm": {"posixipc rm [--type sem,shm,mq] [--dry-run] [--json] NAME...\n       posixipc rm --all --prefix P [--orphaned] [--older-than D] [--any-owner] [--type T] [--dry-run] [--mount] [--json]",
		"Removes objects by name (sem_unlink, shm_unlink, mq_unlink: processes holding one keep\n" +
			"using it). --all removes every object whose name starts with P; --orphaned keeps those\n" +
			"some process holds open or mapped; --older-than keeps those modified in the last D.",
		[]string{"type", "all", "prefix", "orphaned", "older-than", "dry-run", "mount"},
		[]string{"posixipc rm /jobs", "posixipc rm --all --prefix myapp- --orphaned --older-than 1h --dry-run"}},
	"sem": {"posixipc sem create|post|wait|value ...",
		"Named semaphores (sem_overview(7)). Run 'posixipc sem COMMAND --help' for each command.",
		nil, []string{"posixipc sem create /jobs --value 3", "posixipc sem wait /jobs --timeout 5s"}},
	"sem create": {"posixipc sem create NAME [--value N] [--mode 0600] [--excl] [--json]",
		"Creates the named semaphore with sem_open(O_CREAT|O_EXCL) and initial value N. Without\n" +
			"--excl an existing semaphore is opened as it is (its value is not changed).",
		[]string{"value", "mode", "excl"},
		[]string{"posixipc sem create /jobs --value 1 --mode 0660 --excl"}},
	"sem post": {"posixipc sem post NAME [--json]",
		"sem_post on an existing semaphore; prints the value after.", nil,
		[]string{"posixipc sem post /jobs"}},
	"sem wait": {"posixipc sem wait NAME [--timeout D] [--json]",
		"sem_wait on an existing semaphore (sem_clockwait on CLOCK_MONOTONIC with --timeout; exit 1\n" +
			"when D passes first); prints the value after.",
		[]string{"timeout"}, []string{"posixipc sem wait /jobs --timeout 2s"}},
	"sem value": {"posixipc sem value NAME [--json]",
		"Prints the semaphore's value (sem_open without O_CREAT, sem_getvalue): never creates it.",
		nil, []string{"posixipc sem value /jobs"}},
	"shm": {"posixipc shm create|cat|write|truncate ...",
		"Shared memory objects (shm_overview(7)). Run 'posixipc shm COMMAND --help' for each command.",
		nil, []string{"posixipc shm create /buf --size 1M", "echo hello | posixipc shm write /buf"}},
	"shm create": {"posixipc shm create NAME --size N [--mode 0600] [--excl] [--json]",
		"Creates the object with shm_open(O_RDWR|O_CREAT|O_EXCL) and sizes it with ftruncate.\n" +
			"Without --excl an existing object is opened and resized.",
		[]string{"size", "mode", "excl", "bytes"},
		[]string{"posixipc shm create /buf --size 64K --excl"}},
	"shm cat": {"posixipc shm cat NAME [--hex] [--json]",
		"Writes the object's bytes (mapped read-only) to stdout; --hex as a hex dump; --json as\n" +
			"{\"name\", \"size\", \"text\"} or, for bytes that are not UTF-8, \"base64\".",
		[]string{"hex"}, []string{"posixipc shm cat /buf --hex | head"}},
	"shm write": {"posixipc shm write NAME [--offset N] [--json] < DATA",
		"Copies stdin into the object at offset N (mapped MAP_SHARED). It never grows the object:\n" +
			"data past the end is refused (shm truncate first).",
		[]string{"offset"}, []string{"printf 'hello' | posixipc shm write /buf --offset 4K"}},
	"shm truncate": {"posixipc shm truncate NAME SIZE [--json]",
		"Sets the object's size with ftruncate (K, M, G accepted); new bytes read as zero.",
		nil, []string{"posixipc shm truncate /buf 2M"}},
	"mq": {"posixipc mq create|send|recv|attr ...",
		"Message queues (mq_overview(7)). Run 'posixipc mq COMMAND --help' for each command.",
		nil, []string{"posixipc mq create /q --maxmsg 10 --msgsize 1K", "posixipc mq send /q --prio 3 hello", "posixipc mq recv /q --timeout 1s"}},
	"mq create": {"posixipc mq create NAME [--maxmsg N] [--msgsize N] [--mode 0600] [--excl] [--json]",
		"Creates the queue with mq_open(O_RDWR|O_CREAT|O_EXCL); a missing --maxmsg or --msgsize\n" +
			"takes the system default (posixipc limits). Without --excl an existing queue is opened\n" +
			"as it is. Without CAP_SYS_RESOURCE, maxmsg and msgsize are capped by fs.mqueue.",
		[]string{"maxmsg", "msgsize", "mode", "excl", "bytes"},
		[]string{"posixipc mq create /q --maxmsg 10 --msgsize 8K --excl"}},
	"mq send": {"posixipc mq send NAME [--prio P] [--timeout D] [--json] MSG|-",
		"Sends MSG (or stdin, for -) with mq_send at priority P; with --timeout, mq_timedsend\n" +
			"gives up (exit 1) when the queue stays full for D.",
		[]string{"prio", "timeout"}, []string{"posixipc mq send /q --prio 5 'urgent'", "posixipc mq send /q - < msg.bin"}},
	"mq recv": {"posixipc mq recv NAME [--timeout D] [--count N] [--json]",
		"Receives N messages (highest priority first) and prints each body on a line; --json gives\n" +
			"{\"name\", \"messages\": [{\"priority\", \"size\", \"text\" or \"base64\"}]}. --timeout bounds the\n" +
			"whole call (exit 1 when it passes, after printing what was received).",
		[]string{"timeout", "count"}, []string{"posixipc mq recv /q --count 3 --timeout 2s --json"}},
	"mq attr": {"posixipc mq attr NAME [--bytes] [--json]",
		"Shows the queue's attributes (mq_getattr), bytes queued and mq_notify process.",
		[]string{"bytes"}, []string{"posixipc mq attr /q"}},
	"locks": {"posixipc locks [PATH] [--json]",
		"Lists the file locks of the system (/proc/locks, read with posix.ProcLocks): class\n" +
			"(POSIX for fcntl and lockf record locks, FLOCK, OFDLCK for open-file-description locks,\n" +
			"LEASE), type, byte range (END inclusive, EOF: to the end of the file however far it\n" +
			"grows), the holder's pid and command (/proc/PID/comm) and the file's path (read from a\n" +
			"descriptor open on it in /proc/PID/fd; links in /proc are read, not followed out of it).\n" +
			"Waiters blocked behind a lock are marked \"->\". An OFD lock belongs to an open file\n" +
			"description, not a process: its pid is -1 and no process is named. With PATH, only the\n" +
			"locks on that file (same device and inode) are listed. Exit 1 if PATH cannot be stat'ed.",
		nil,
		[]string{"posixipc locks", "posixipc locks /var/lib/app/db.lock", "posixipc locks --json ./data | jq '.locks[].pid'"}},
	"limits": {"posixipc limits [--bytes] [--json]",
		"Shows the message queue limits (fs.mqueue, RLIMIT_MSGQUEUE, MQ_PRIO_MAX), SEM_VALUE_MAX,\n" +
			"NAME_MAX, the page size, and the size and free space of /dev/shm.",
		[]string{"bytes"}, []string{"posixipc limits --json"}},
	"demo": {"posixipc demo [--peers DIR] [SCENARIO...]",
		"Runs the course notes' scenarios across real Go and C processes, printing each step, then\n" +
			"a table of scenarios with pass/fail and time. Exits 1 if any scenario failed or left\n" +
			"something behind (an object, a temp dir, a child process or zombie).\n" +
			"Without --peers the C peers are compiled from tests/cpeers (run from the module root).\n" +
			"Scenarios: " + strings.Join(scenarioNames(), ", ") + ".",
		[]string{"peers"}, []string{"make demo", "posixipc demo --peers build/cpeers handshake mq", "posixipc demo --peers build/cpeers filelock sigqueue spawn"}},
}

const mainHelp = `posixipc: POSIX IPC objects from the command line, through libcipc (real glibc calls).

usage: posixipc COMMAND [ARGS] [--json] [--help]

  ls [--type sem,shm,mq] [NAME...]      list objects, with who holds them
  stat NAME...                          everything about named objects
  rm NAME... | rm --all --prefix P      remove objects (--orphaned, --older-than, --dry-run)
  sem create|post|wait|value NAME       named semaphores
  shm create|cat|write|truncate NAME    shared memory objects
  mq create|send|recv|attr NAME         message queues
  limits                                system limits for POSIX IPC
  locks [PATH]                          file locks (/proc/locks) with holders' names and paths
  demo [SCENARIO...]                    the course notes' scenarios across Go and C processes

Names: "jobs" and "/jobs" are the same object. Sizes take K, M, G (powers of 1024);
durations are Go durations (500ms, 2s, 1h). Every command takes --json (stable field
names, see the README) and --help (with examples).
Exit codes: 0 done, 1 the operation failed, 2 usage.
`

// help prints the help of verb ("" for the tool) on stdout and returns 0.
func help(verb string) int {
	h, ok := helps[verb]
	if !ok {
		if verb != "" {
			fmt.Fprintf(os.Stderr, "posixipc: no help topic %q\n", verb)
			fmt.Fprint(os.Stderr, mainHelp)
			return exitUsage
		}
		fmt.Print(mainHelp)
		return exitOK
	}
	fmt.Printf("usage: %s\n\n%s\n", h.usage, h.text)
	flags := append(append([]string{}, h.flags...), "json", "help")
	if verb == "demo" {
		flags = h.flags
	}
	fmt.Println("\nflags:")
	for _, f := range flags {
		d := flagDefs[f]
		name := "--" + f
		if d.arg != "" {
			name += " " + d.arg
		}
		fmt.Printf("  %-22s %s\n", name, d.help)
	}
	if len(h.examples) > 0 {
		fmt.Println("\nexamples:")
		for _, e := range h.examples {
			fmt.Println("  " + e)
		}
	}
	return exitOK
}

// usageExit prints the tool's usage on stderr and returns 2.
func usageExit(msg string) int {
	if msg != "" {
		fmt.Fprintln(os.Stderr, "posixipc: "+msg)
	}
	fmt.Fprint(os.Stderr, mainHelp)
	return exitUsage
}
