// Command benchreport reads `go test -bench` output (a file or stdin) and
// writes the benchmark report: docs/BENCH.md (medians, ratios to C and to
// pure Go, the targets' verdicts, the machine) and docs/bench.svg (the ratios
// as a grouped bar chart). `make bench` runs it on build/bench.txt; the table
// of benchmarks it knows is internal/benchreport/spec.go.
//
//	benchreport [-md docs/BENCH.md] [-svg docs/bench.svg] [-cmd 'make bench ...'] [build/bench.txt]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/libcipc/libcipc/internal/benchreport"
	"golang.org/x/sys/unix"
)

func main() {
	md := flag.String("md", "docs/BENCH.md", "Markdown report to write")
	svg := flag.String("svg", "docs/bench.svg", "SVG chart to write")
	command := flag.String("cmd", "", "the command that produced the log, for the report (default: the log's '# command:' line)")
	headline := flag.Bool("headline", false, "also print the headline ratios (Markdown) to stdout, for the README")
	flag.Parse()
	if err := run(*md, *svg, *command, *headline, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(mdPath, svgPath, command string, headline bool, args []string) error {
	var in io.Reader = os.Stdin
	if len(args) > 1 {
		return fmt.Errorf("one log at most, got %d", len(args))
	}
	if len(args) == 1 {
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	out, err := benchreport.Parse(in)
	if err != nil {
		return err
	}
	if len(out.Runs) == 0 {
		return fmt.Errorf("no benchmark results in the log")
	}
	rep := benchreport.Build(out)
	m := machine(out, command)
	var mdBuf, svgBuf bytes.Buffer
	if err := rep.WriteMarkdown(&mdBuf, m); err != nil {
		return err
	}
	if err := rep.WriteSVG(&svgBuf); err != nil {
		return err
	}
	if err := os.WriteFile(mdPath, mdBuf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(svgPath, svgBuf.Bytes(), 0o644); err != nil {
		return err
	}
	if headline {
		w := bufio.NewWriter(os.Stdout)
		fmt.Fprintln(w, "| operation | libcipc/C | pure Go/C | target | verdict |")
		fmt.Fprintln(w, "|---|--:|--:|---|---|")
		for _, r := range rep.Headline() {
			pure := "—"
			if r.HasPure {
				pure = fmt.Sprintf("%.2f×", r.PureRatio)
			}
			fmt.Fprintf(w, "| %s | %.2f× | %s | %s | %s |\n", r.Op, r.Ratio, pure, r.Category, r.Verdict)
		}
		w.Flush()
	}
	fmt.Fprintf(os.Stderr, "benchreport: %d rows, floor %.2f ns; wrote %s and %s\n", len(rep.Rows), rep.FloorNs, mdPath, svgPath)
	return nil
}

// machine describes this machine; the log's "# key: value" lines (written
// by `make bench` when the run starts) take precedence for date and command.
func machine(out *benchreport.Output, command string) benchreport.Machine {
	m := benchreport.Machine{
		NProc:   runtime.NumCPU(),
		CPU:     cpuModel(),
		Kernel:  kernel(),
		Glibc:   firstLine("getconf", "GNU_LIBC_VERSION"),
		Go:      firstLine("go", "version"),
		Date:    out.Header["date"],
		Command: command,
	}
	if m.CPU == "" {
		m.CPU = out.Header["cpu"]
	}
	if m.Go == "" {
		m.Go = runtime.Version()
	}
	if m.Date == "" {
		m.Date = time.Now().UTC().Format(time.RFC3339) + " (report time)"
	}
	if m.Command == "" {
		m.Command = out.Header["command"]
	}
	if n := out.Header["nproc"]; n != "" {
		fmt.Sscan(n, &m.NProc)
	}
	return m
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func kernel() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:]) + " " + unix.ByteSliceToString(u.Machine[:])
}

func firstLine(name string, args ...string) string {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}
