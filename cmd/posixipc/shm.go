package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

func cmdShm(args []string) int {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		return help("shm")
	}
	verb := "shm " + args[0]
	switch args[0] {
	case "create":
		return shmCreate(verb, args[1:])
	case "cat":
		return shmCat(verb, args[1:])
	case "write":
		return shmWrite(verb, args[1:])
	case "truncate":
		return shmTruncate(verb, args[1:])
	default:
		return fail("shm", usagef("unknown command %q: want create, cat, write or truncate", args[0]))
	}
}

// shmCreate is shm_open(O_RDWR|O_CREAT[|O_EXCL]) and ftruncate to --size.
// Without --excl an existing object is resized to --size.
func shmCreate(verb string, args []string) int {
	o, err := parseFlags(args, "size", "mode", "excl", "bytes")
	if err != nil {
		return fail(verb, err)
	}
	if o.help {
		return help(verb)
	}
	if len(o.args) != 1 {
		return fail(verb, usagef("want exactly one NAME"))
	}
	if !o.set["size"] {
		return fail(verb, usagef("--size N is required (bytes; K, M, G accepted)"))
	}
	name := objName(o.args[0])
	if err := checkName(name); err != nil {
		return fail(verb, err)
	}
	created := true
	s, err := posix.OpenSharedMemory(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, o.mode)
	if err != nil && !o.excl && errors.Is(err, os.ErrExist) {
		created = false
		s, err = posix.OpenSharedMemory(name, unix.O_RDWR, 0)
	}
	if err != nil {
		return fail(verb, err)
	}
	err = s.Truncate(o.size)
	s.Close()
	if err != nil {
		if created {
			posix.UnlinkSharedMemory(name) // do not leave a half-made object
		}
		return fail(verb, err)
	}
	return createdObject(o, verb, "shm", name, created)
}

// mapAll opens name and maps the whole object; a zero-sized object gives a
// nil mapping.
func mapAll(name string, write bool) (*posix.SharedMemory, *posix.Mapping, int64, error) {
	flag, prot := unix.O_RDONLY, unix.PROT_READ
	if write {
		flag, prot = unix.O_RDWR, unix.PROT_READ|unix.PROT_WRITE
	}
	s, err := posix.OpenSharedMemory(name, flag, 0)
	if err != nil {
		return nil, nil, 0, err
	}
	size, err := s.Size()
	if err != nil || size == 0 {
		return s, nil, size, err
	}
	m, err := s.Map(0, int(size), prot, unix.MAP_SHARED)
	if err != nil {
		s.Close()
		return nil, nil, 0, err
	}
	return s, m, size, nil
}

// shmContent is shm cat's JSON: the bytes as text when they are UTF-8,
// otherwise base64 (encoding/json's form of []byte).
type shmContent struct {
	Name   string  `json:"name"`
	Size   int64   `json:"size"`
	Text   *string `json:"text,omitempty"`
	Base64 []byte  `json:"base64,omitempty"`
}

func shmCat(verb string, args []string) int {
	o, err := parseFlags(args, "hex")
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
	s, m, size, err := mapAll(name, false)
	if err != nil {
		return fail(verb, err)
	}
	defer s.Close()
	if m != nil {
		defer m.Unmap()
	}
	if o.json {
		if size > maxJSONContent {
			return fail(verb, fmt.Errorf("%s is %d bytes: --json shows objects of up to %d bytes (use --hex or plain cat)", name, size, maxJSONContent))
		}
		buf := make([]byte, size)
		if m != nil {
			// ReadAt: a concurrent truncation is an error, not a SIGBUS.
			if _, err := m.ReadAt(buf, 0); err != nil {
				return fail(verb, err)
			}
		}
		c := shmContent{Name: name, Size: size}
		if utf8.Valid(buf) {
			c.Text = ptr(string(buf))
		} else {
			c.Base64 = buf
		}
		printJSON(c)
		return exitOK
	}
	// Stream the object in chunks: its size is not bounded by memory.
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	defer out.Flush()
	h := &hexDumper{w: out}
	chunk := make([]byte, min(size, 1<<20))
	for off := int64(0); off < size; {
		n := int(min(int64(len(chunk)), size-off))
		// ReadAt: a concurrent truncation is an error, not a SIGBUS.
		if _, err := m.ReadAt(chunk[:n], off); err != nil {
			out.Flush()
			return fail(verb, err)
		}
		if o.hex {
			h.write(chunk[:n])
		} else if _, err := out.Write(chunk[:n]); err != nil {
			return fail(verb, err)
		}
		off += int64(n)
	}
	if o.hex {
		h.end()
	}
	return exitOK
}

// maxJSONContent bounds shm cat --json, which holds the object in memory.
const maxJSONContent = 64 << 20

// hexDumper writes what hexdump -C does, fed in pieces (each a multiple of
// 16 bytes but the last): a run of identical lines is squeezed into one "*".
type hexDumper struct {
	w        io.Writer
	off      int64
	prev     [16]byte
	havePrev bool
	squeezed bool
}

func (h *hexDumper) write(buf []byte) {
	for i := 0; i < len(buf); i += 16 {
		line := buf[i:min(i+16, len(buf))]
		if h.havePrev && len(line) == 16 && bytes.Equal(line, h.prev[:]) {
			if !h.squeezed {
				fmt.Fprintln(h.w, "*")
				h.squeezed = true
			}
			h.off += 16
			continue
		}
		h.squeezed = false
		h.havePrev = len(line) == 16
		copy(h.prev[:], line)
		// hex.Dump numbers from 0: put the real offset in front.
		d := hex.Dump(line)
		fmt.Fprintf(h.w, "%08x%s", h.off, d[8:])
		h.off += int64(len(line))
	}
}

func (h *hexDumper) end() {
	if h.off > 0 {
		fmt.Fprintf(h.w, "%08x\n", h.off)
	}
}

type shmWritten struct {
	Name    string `json:"name"`
	Offset  int64  `json:"offset"`
	Written int    `json:"written"`
}

// shmWrite copies stdin into the object at --offset; it never grows the
// object (shm truncate does).
func shmWrite(verb string, args []string) int {
	o, err := parseFlags(args, "offset")
	if err != nil {
		return fail(verb, err)
	}
	if o.help {
		return help(verb)
	}
	if len(o.args) != 1 {
		return fail(verb, usagef("want exactly one NAME (the data comes on stdin)"))
	}
	name := objName(o.args[0])
	if err := checkName(name); err != nil {
		return fail(verb, err)
	}
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		return fail(verb, err)
	}
	s, m, size, err := mapAll(name, true)
	if err != nil {
		return fail(verb, err)
	}
	defer s.Close()
	if m != nil {
		defer m.Unmap()
	}
	if o.offset > size || int64(len(data)) > size-o.offset {
		return fail(verb, fmt.Errorf("%s: %d bytes at offset %d go past the end of the object (%d bytes): 'posixipc shm truncate %s N' first",
			name, len(data), o.offset, size, name))
	}
	if len(data) > 0 {
		if _, err := m.WriteAt(data, o.offset); err != nil {
			return fail(verb, err)
		}
	}
	if o.json {
		printJSON(shmWritten{name, o.offset, len(data)})
		return exitOK
	}
	fmt.Printf("wrote %d bytes to %s at offset %d\n", len(data), name, o.offset)
	return exitOK
}

func shmTruncate(verb string, args []string) int {
	o, err := parseFlags(args, "bytes")
	if err != nil {
		return fail(verb, err)
	}
	if o.help {
		return help(verb)
	}
	if len(o.args) != 2 {
		return fail(verb, usagef("want NAME and a SIZE"))
	}
	name := objName(o.args[0])
	if err := checkName(name); err != nil {
		return fail(verb, err)
	}
	size, err := parseSize(o.args[1])
	if err != nil {
		return fail(verb, usagef("bad size %q: %v", o.args[1], err))
	}
	s, err := posix.OpenSharedMemory(name, unix.O_RDWR, 0)
	if err != nil {
		return fail(verb, err)
	}
	defer s.Close()
	if err := s.Truncate(size); err != nil {
		return fail(verb, err)
	}
	if o.json {
		printJSON(struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
		}{name, size})
		return exitOK
	}
	fmt.Printf("%s is now %s bytes\n", name, strconv.FormatInt(size, 10))
	return exitOK
}
