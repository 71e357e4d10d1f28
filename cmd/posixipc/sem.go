package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// semState is the JSON of sem post, wait and value: {"name":…, "value":…}.
type semState struct {
	Name  string `json:"name"`
	Value int    `json:"value"`
}

func cmdSem(args []string) int {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		return help("sem")
	}
	verb := "sem " + args[0]
	switch args[0] {
	case "create":
		return semCreate(verb, args[1:])
	case "post", "wait", "value":
		return semUse(verb, args[0], args[1:])
	default:
		return fail("sem", usagef("unknown command %q: want create, post, wait or value", args[0]))
	}
}

// createdObject prints what create made (or found, without --excl).
func createdObject(o *opts, verb, typ, name string, created bool) int {
	found := lookup(name, &opts{types: map[string]bool{typ: true}})
	if o.json {
		if len(found) == 0 {
			return fail(verb, fmt.Errorf("%s vanished right after it was created", name))
		}
		addHolders(found)
		printJSON(found[0])
		return exitOK
	}
	what := "created"
	if !created {
		what = "opened existing"
	}
	fmt.Printf("%s %s %s", what, typeTitles[typ], display(name))
	if len(found) > 0 {
		fmt.Printf(" (%s, mode %s)", details(found[0], o.bytes), found[0].Mode)
	}
	fmt.Println()
	return exitOK
}

// semCreate is sem_open(O_CREAT|O_EXCL); without --excl an existing
// semaphore is then opened as it is (its value is not changed).
func semCreate(verb string, args []string) int {
	o, err := parseFlags(args, "value", "mode", "excl")
	if err != nil {
		return fail(verb, err)
	}
	if o.help {
		return help(verb)
	}
	if len(o.args) != 1 {
		return fail(verb, usagef("want exactly one NAME"))
	}
	name := objName(o.args[0])
	if err := checkName(name); err != nil {
		return fail(verb, err)
	}
	created := true
	if o.value > posix.SemValueMax {
		return fail(verb, usagef("--value %d is above SEM_VALUE_MAX (%d)", o.value, posix.SemValueMax))
	}
	s, err := posix.OpenSemaphore(name, unix.O_CREAT|unix.O_EXCL, o.mode, uint32(o.value))
	if errors.Is(err, os.ErrExist) && !o.excl {
		created = false
		s, err = posix.OpenSemaphore(name, 0, 0, 0)
	}
	if err != nil {
		return fail(verb, err)
	}
	s.Close()
	return createdObject(o, verb, "sem", name, created)
}

// semUse opens an existing semaphore (sem_open with no O_CREAT: never
// creates) and posts, waits or reads its value.
func semUse(verb, what string, args []string) int {
	allowed := []string{}
	if what == "wait" {
		allowed = append(allowed, "timeout")
	}
	o, err := parseFlags(args, allowed...)
	if err != nil {
		return fail(verb, err)
	}
	if o.help {
		return help(verb)
	}
	if len(o.args) != 1 {
		return fail(verb, usagef("want exactly one NAME"))
	}
	name := objName(o.args[0])
	if err := checkName(name); err != nil {
		return fail(verb, err)
	}
	s, err := posix.OpenSemaphore(name, 0, 0, 0)
	if err != nil {
		return fail(verb, err)
	}
	defer s.Close()
	switch what {
	case "post":
		err = s.Post()
	case "wait":
		if o.set["timeout"] {
			err = s.WaitTimeout(o.timeout)
		} else {
			err = s.Wait()
		}
	}
	if err != nil {
		return fail(verb, err)
	}
	v, err := s.Value()
	if err != nil {
		return fail(verb, err)
	}
	if o.json {
		printJSON(semState{name, v})
		return exitOK
	}
	switch what {
	case "post":
		fmt.Printf("posted %s: value now %d\n", name, v)
	case "wait":
		fmt.Printf("took %s: value now %d\n", name, v)
	default:
		fmt.Println(v)
	}
	return exitOK
}
