// Command posixipc works with POSIX IPC objects through libcipc. For now it
// runs the demo: the seed scenarios (shared/seeds course notes) across real
// processes, Go and C side by side.
//
//	posixipc demo [--peers DIR] [SCENARIO...]
//
// Scenarios: handshake, mutex, ring, order, errno, shm, mq (all by default). --peers
// names a directory holding the built C peers (tests/cpeers); without it they
// are compiled with gcc from tests/cpeers in the current directory.
//
// Exit codes: 0 done, 1 a scenario failed, 2 usage.
package main

import (
	"fmt"
	"os"

	"github.com/libcipc/libcipc/internal/scenario"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: posixipc demo [--peers DIR] [handshake|mutex|ring|order|errno|shm|mq]...")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case roleVerb: // internal: play a Go role for the demo
		if len(os.Args) < 3 {
			usage()
		}
		os.Exit(scenario.RunRole(os.Args[2], os.Args[3:]))
	case "demo":
		os.Exit(demo(os.Args[2:]))
	default:
		usage()
	}
}
