// Package benchreport turns `go test -bench` output into docs/BENCH.md and
// docs/bench.svg: it groups the runs of each benchmark (-count=N), takes
// medians, pairs each libcipc benchmark with its C reference (the C-ns/op and
// x-C metrics the tests report) and its pure-Go twin (the table in spec.go),
// and judges each row against the targets of issue 9.
//
// It is a tool of the repository (cmd/benchreport, `make bench`), not part of
// the library's API.
package benchreport

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Run is one line of benchmark output: the name without the -GOMAXPROCS
// suffix, the iteration count and every metric by unit (ns/op, B/op,
// allocs/op, MB/s, C-ns/op, x-C, ...).
type Run struct {
	Name    string
	Pkg     string
	N       int64
	Metrics map[string]float64
}

// Output is a parsed benchmark log: every run in order, the header lines
// (goos, goarch, cpu) and the "# key: value" lines `make bench` adds (start
// date, command).
type Output struct {
	Runs   []Run
	Header map[string]string
}

// Parse reads standard `go test -bench` output. Lines that are not benchmark
// results (PASS, ok, test logs) are skipped; a Benchmark line whose fields do
// not parse as "N value unit [value unit]..." is an error, so a format change
// does not pass silently.
func Parse(r io.Reader) (*Output, error) {
	out := &Output{Header: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	pkg := ""
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case strings.HasPrefix(line, "# "):
			if k, v, ok := strings.Cut(strings.TrimPrefix(line, "# "), ": "); ok {
				out.Header[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			continue
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: ")
			continue
		case strings.HasPrefix(line, "goos: "), strings.HasPrefix(line, "goarch: "), strings.HasPrefix(line, "cpu: "):
			k, v, _ := strings.Cut(line, ": ")
			out.Header[k] = v
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		fields := strings.Fields(line)
		// "BenchmarkFoo-2 --- FAIL: ..." or a name alone (a benchmark that
		// logs before its result line) is not a result.
		if len(fields) == 1 || strings.HasPrefix(fields[1], "---") {
			continue
		}
		if len(fields) < 4 || len(fields)%2 != 0 {
			return nil, fmt.Errorf("line %d: not a benchmark result: %q", lineNo, line)
		}
		n, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: iterations %q: %v", lineNo, fields[1], err)
		}
		run := Run{Name: stripProcs(fields[0]), Pkg: pkg, N: n, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: value %q: %v", lineNo, fields[i], err)
			}
			run.Metrics[fields[i+1]] = v
		}
		if _, ok := run.Metrics["ns/op"]; !ok {
			return nil, fmt.Errorf("line %d: no ns/op: %q", lineNo, line)
		}
		out.Runs = append(out.Runs, run)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// stripProcs removes the -GOMAXPROCS suffix: BenchmarkFoo-2 is BenchmarkFoo.
func stripProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// Stats is one benchmark's runs grouped: per unit, the values of every run
// and their median.
type Stats struct {
	Name   string
	Runs   int
	Values map[string][]float64 // sorted ascending
}

// Median of unit over the runs, and whether the unit was reported.
func (s *Stats) Median(unit string) (float64, bool) {
	v := s.Values[unit]
	if len(v) == 0 {
		return 0, false
	}
	return median(v), true
}

// Range of unit over the runs (min, max).
func (s *Stats) Range(unit string) (lo, hi float64) {
	v := s.Values[unit]
	if len(v) == 0 {
		return 0, 0
	}
	return v[0], v[len(v)-1]
}

// Group collects the runs of each benchmark by name.
func Group(runs []Run) map[string]*Stats {
	g := map[string]*Stats{}
	for _, r := range runs {
		s := g[r.Name]
		if s == nil {
			s = &Stats{Name: r.Name, Values: map[string][]float64{}}
			g[r.Name] = s
		}
		s.Runs++
		for unit, v := range r.Metrics {
			s.Values[unit] = append(s.Values[unit], v)
		}
	}
	for _, s := range g {
		for _, v := range s.Values {
			sort.Float64s(v)
		}
	}
	return g
}

// median of sorted values: the middle one, or the mean of the two middle ones.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
