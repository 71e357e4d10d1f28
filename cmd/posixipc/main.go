// Command posixipc works with POSIX IPC objects (named semaphores, shared
// memory objects, message queues) through libcipc, lists file locks, and runs the demo: the seed
// scenarios (shared/seeds course notes) across real processes, Go and C side
// by side.
//
//	posixipc ls [--type sem,shm,mq] [--bytes] [--mount] [--json] [NAME...]
//	posixipc stat NAME...
//	posixipc rm NAME... | posixipc rm --all --prefix P [--orphaned] [--older-than D] [--dry-run]
//	posixipc sem create NAME [--value N] [--mode 0600] [--excl] | post | wait [--timeout D] | value
//	posixipc shm create NAME --size N [--mode] [--excl] | cat [--hex] | write [--offset N] | truncate NAME N
//	posixipc mq create NAME [--maxmsg N] [--msgsize N] [--mode] [--excl] | send [--prio P] [--timeout D] MSG|- | recv [--timeout D] [--count N] | attr
//	posixipc limits
//	posixipc locks [PATH]
//	posixipc demo [--peers DIR] [SCENARIO...]
//
// Every command takes --json and --help. Exit codes: 0 done, 1 the operation
// failed, 2 usage. The demo's --peers names a directory holding the built C
// peers (tests/cpeers); without it they are compiled with gcc from
// tests/cpeers in the current directory.
package main

import (
	"fmt"
	"os"

	"github.com/libcipc/libcipc/internal/scenario"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		return usageExit("")
	}
	switch args[0] {
	case roleVerb: // internal: play a Go role for the demo
		if len(args) < 2 {
			return usageExit("")
		}
		return scenario.RunRole(args[1], args[2:])
	case "-h", "--help", "help":
		if len(args) > 1 {
			return help(args[1])
		}
		return help("")
	case "ls":
		return cmdLs(args[1:])
	case "stat":
		return cmdStat(args[1:])
	case "rm":
		return cmdRm(args[1:])
	case "sem":
		return cmdSem(args[1:])
	case "shm":
		return cmdShm(args[1:])
	case "mq":
		return cmdMq(args[1:])
	case "limits":
		return cmdLimits(args[1:])
	case "locks":
		return cmdLocks(args[1:])
	case "demo":
		return demo(args[1:])
	default:
		return usageExit(fmt.Sprintf("unknown command %q", args[0]))
	}
}
