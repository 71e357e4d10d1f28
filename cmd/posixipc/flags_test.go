package main

import (
	"testing"
	"time"
)

func TestParseSizeTakesKMGSuffixes(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "4096": 4096, "4K": 4096, "4k": 4096, "1M": 1 << 20, "2G": 2 << 30,
		"1KiB": 1024, "1KB": 1024, "0x10": 16, "010": 10, // decimal, not octal
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12Q", "-1", "K", "1.5M", "99999999999G", "4 K"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseFlagsSameMeaningEverywhere(t *testing.T) {
	o, err := parseFlags([]string{"/x", "--timeout", "1.5s", "--size=8K", "--mode", "0640", "--excl", "-", "--json"}, "timeout", "size", "mode", "excl")
	if err != nil {
		t.Fatal(err)
	}
	if o.timeout != 1500*time.Millisecond || o.size != 8192 || o.mode != 0o640 || !o.excl || !o.json {
		t.Errorf("parsed %+v", o)
	}
	if len(o.args) != 2 || o.args[0] != "/x" || o.args[1] != "-" {
		t.Errorf("args %q", o.args)
	}
	for _, bad := range [][]string{{"--size", "8K"}, {"--timeout"}, {"--mode", "8"}, {"--excl=maybe"}, {"-x"}} {
		if _, err := parseFlags(bad, "timeout", "mode", "excl"); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		} else if _, ok := err.(*usageError); !ok {
			t.Errorf("parseFlags(%q): %v is not a usage error", bad, err)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 1023: "1023", 4096: "4.0K", 1536 << 10: "1.5M", 3 << 30: "3.0G"} {
		if got := formatSize(n, false); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
	if got := formatSize(4096, true); got != "4096" {
		t.Errorf("formatSize(4096, bytes) = %q", got)
	}
}
