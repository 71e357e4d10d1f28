package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
	"unicode/utf8"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

func cmdMq(args []string) int {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		return help("mq")
	}
	verb := "mq " + args[0]
	switch args[0] {
	case "create":
		return mqCreate(verb, args[1:])
	case "send":
		return mqSend(verb, args[1:])
	case "recv":
		return mqRecv(verb, args[1:])
	case "attr":
		return mqAttr(verb, args[1:])
	default:
		return fail("mq", usagef("unknown command %q: want create, send, recv or attr", args[0]))
	}
}

// mqCreate is mq_open(O_RDWR|O_CREAT|O_EXCL) with the attributes asked for
// (a missing one takes the system default); without --excl an existing queue
// is opened as it is.
func mqCreate(verb string, args []string) int {
	o, err := parseFlags(args, "maxmsg", "msgsize", "mode", "excl", "bytes")
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
	var attr *posix.MQAttr
	if o.set["maxmsg"] || o.set["msgsize"] {
		lim, err := posix.MQLimits()
		if err != nil {
			return fail(verb, err)
		}
		attr = &posix.MQAttr{MaxMsg: lim.MsgDefault, MsgSize: lim.MsgsizeDefault}
		if o.set["maxmsg"] {
			attr.MaxMsg = o.maxmsg
		}
		if o.set["msgsize"] {
			attr.MsgSize = o.msgsize
		}
	}
	created := true
	q, err := posix.OpenMessageQueue(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, o.mode, attr)
	if errors.Is(err, os.ErrExist) && !o.excl {
		created = false
		q, err = posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	}
	if err != nil {
		return fail(verb, err)
	}
	q.Close()
	return createdObject(o, verb, "mq", name, created)
}

type mqSent struct {
	Name     string `json:"name"`
	Priority uint64 `json:"priority"`
	Size     int    `json:"size"`
}

func mqSend(verb string, args []string) int {
	o, err := parseFlags(args, "prio", "timeout")
	if err != nil {
		return fail(verb, err)
	}
	if o.help {
		return help(verb)
	}
	if len(o.args) != 2 {
		return fail(verb, usagef("want NAME and MSG (or - to read the message from stdin)"))
	}
	name := objName(o.args[0])
	if err := checkName(name); err != nil {
		return fail(verb, err)
	}
	msg := []byte(o.args[1])
	if o.args[1] == "-" {
		if msg, err = io.ReadAll(os.Stdin); err != nil {
			return fail(verb, err)
		}
	}
	q, err := posix.OpenMessageQueue(name, unix.O_WRONLY, 0, nil)
	if err != nil {
		return fail(verb, err)
	}
	defer q.Close()
	if o.set["timeout"] {
		err = q.SendTimeout(msg, uint(o.prio), o.timeout)
	} else {
		err = q.Send(msg, uint(o.prio))
	}
	if err != nil {
		return fail(verb, err)
	}
	if o.json {
		printJSON(mqSent{name, o.prio, len(msg)})
		return exitOK
	}
	fmt.Printf("sent %d bytes to %s at priority %d\n", len(msg), name, o.prio)
	return exitOK
}

// mqMessage is one received message in mq recv's JSON: the body as text when
// it is UTF-8, otherwise base64.
type mqMessage struct {
	Priority uint    `json:"priority"`
	Size     int     `json:"size"`
	Text     *string `json:"text,omitempty"`
	Base64   []byte  `json:"base64,omitempty"`
}

type mqReceived struct {
	Name     string      `json:"name"`
	Messages []mqMessage `json:"messages"`
}

// mqRecv receives --count messages, highest priority first; --timeout bounds
// the whole call.
func mqRecv(verb string, args []string) int {
	o, err := parseFlags(args, "timeout", "count")
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
	q, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	if err != nil {
		return fail(verb, err)
	}
	defer q.Close()
	a, err := q.Attr()
	if err != nil {
		return fail(verb, err)
	}
	buf := make([]byte, a.MsgSize)
	res := mqReceived{Name: name, Messages: []mqMessage{}}
	deadline := time.Now().Add(o.timeout)
	for i := uint64(0); i < o.count; i++ {
		var n int
		var prio uint
		if o.set["timeout"] {
			n, prio, err = q.ReceiveTimeout(buf, max(time.Until(deadline), 0))
		} else {
			n, prio, err = q.Receive(buf)
		}
		if err != nil {
			break
		}
		body := buf[:n]
		if o.json {
			m := mqMessage{Priority: prio, Size: n}
			if utf8.Valid(body) {
				m.Text = ptr(string(body))
			} else {
				m.Base64 = append([]byte(nil), body...)
			}
			res.Messages = append(res.Messages, m)
		} else {
			// One line per message: a body that is not printable
			// single-line UTF-8 is quoted (Go syntax), so it cannot forge
			// lines or send escape sequences; --json gives exact bytes.
			os.Stdout.WriteString(display(string(body)) + "\n")
		}
	}
	if o.json {
		printJSON(res)
	}
	if err != nil {
		return fail(verb, err)
	}
	return exitOK
}

func mqAttr(verb string, args []string) int {
	o, err := parseFlags(args, "bytes")
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
	// mq_open reports a missing queue or a refused open with libc's errno.
	q, err := posix.OpenMessageQueue(name, unix.O_RDONLY, 0, nil)
	if err != nil {
		return fail(verb, err)
	}
	q.Close()
	ob, _ := mqObject(name)
	obs := []object{ob}
	addHolders(obs)
	if o.json {
		printJSON(obs[0])
		return exitOK
	}
	printObject(obs[0], o.bytes)
	return exitOK
}
