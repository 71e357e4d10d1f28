package benchreport

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func sample(t *testing.T) *Output {
	t.Helper()
	f, err := os.Open("testdata/sample.txt")
	require.NoError(t, err)
	defer f.Close()
	out, err := Parse(f)
	require.NoError(t, err)
	return out
}

func TestParse(t *testing.T) {
	out := sample(t)
	require.Len(t, out.Runs, 16)
	require.Equal(t, "2026-11-22T06:40:00Z", out.Header["date"])
	require.Equal(t, "go test -run '^$' -bench . -benchmem -count=3 -p 1 ./posix ./tests", out.Header["command"])
	require.Equal(t, "AMD EPYC", out.Header["cpu"])

	r := out.Runs[0]
	require.Equal(t, "BenchmarkCgoFloor", r.Name)
	require.Equal(t, "github.com/libcipc/libcipc/posix", r.Pkg)
	require.Equal(t, int64(21868737), r.N)
	require.Equal(t, map[string]float64{"ns/op": 50, "B/op": 0, "allocs/op": 0}, r.Metrics)

	p := out.Runs[6] // the first BenchmarkPread: MB/s between ns/op and the custom metrics
	require.Equal(t, "BenchmarkPread", p.Name)
	require.Equal(t, "github.com/libcipc/libcipc/tests", p.Pkg)
	require.Equal(t, map[string]float64{"ns/op": 1100, "MB/s": 3626.23, "C-ns/op": 1000, "x-C": 1.1, "B/op": 0, "allocs/op": 0}, p.Metrics)
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"BenchmarkX-2 \t 100 \t abc ns/op\n",
		"BenchmarkX-2 \t many \t 1.0 ns/op\n",
		"BenchmarkX-2 \t 100 \t 1.0 B/op\n",    // no ns/op
		"BenchmarkX-2 \t 100 \t 1.0 ns/op 3\n", // odd field count
	} {
		_, err := Parse(strings.NewReader(in))
		require.Error(t, err, in)
	}
	// Not results: a name alone (the benchmark logged first), a failure line.
	out, err := Parse(strings.NewReader("BenchmarkX\nBenchmarkX-2 --- FAIL: x\n--- BENCH: BenchmarkX-2\n"))
	require.NoError(t, err)
	require.Empty(t, out.Runs)
}

func TestStripProcs(t *testing.T) {
	require.Equal(t, "BenchmarkA", stripProcs("BenchmarkA-16"))
	require.Equal(t, "BenchmarkA", stripProcs("BenchmarkA"))
	require.Equal(t, "BenchmarkA/size-big", stripProcs("BenchmarkA/size-big"))
}

func TestMedian(t *testing.T) {
	require.Equal(t, 2.0, median([]float64{1, 2, 10}))
	require.Equal(t, 2.5, median([]float64{1, 2, 3, 10}))
	require.Equal(t, 7.0, median([]float64{7}))
	s := Group([]Run{
		{Name: "B", Metrics: map[string]float64{"ns/op": 30}},
		{Name: "B", Metrics: map[string]float64{"ns/op": 10}},
		{Name: "B", Metrics: map[string]float64{"ns/op": 20}},
	})["B"]
	require.Equal(t, 3, s.Runs)
	m, ok := s.Median("ns/op")
	require.True(t, ok)
	require.Equal(t, 20.0, m)
	lo, hi := s.Range("ns/op")
	require.Equal(t, []float64{10, 30}, []float64{lo, hi})
	_, ok = s.Median("x-C")
	require.False(t, ok)
}

func rowOf(t *testing.T, rep *Report, bench string) Row {
	t.Helper()
	for _, r := range rep.Rows {
		if r.Bench == bench {
			return r
		}
	}
	t.Fatalf("no row %s", bench)
	return Row{}
}

func TestBuild(t *testing.T) {
	rep := Build(sample(t))
	require.Equal(t, 55.0, rep.FloorNs)
	require.Equal(t, []string{"BenchmarkBrandNew"}, rep.Unlisted)
	require.Contains(t, rep.Missing, "BenchmarkMutexLockUnlock")

	// Floor rule: 2 calls, C 40 + 2 × 55 = 150 ns, i.e. 3.75×; the median
	// x-C is 3.75 exactly: met (≤).
	r := rowOf(t, rep, "BenchmarkSemPostTryWait")
	require.Equal(t, 3, r.Runs)
	require.Equal(t, 150.0, r.GoNs)
	require.Equal(t, 3.75, r.Ratio)
	require.Equal(t, [2]float64{3.5, 5}, [2]float64{r.RatioLo, r.RatioHi})
	require.InDelta(t, 3.75, r.Limit, 1e-12)
	require.Equal(t, "met", r.Verdict)

	// Syscall rule with a pure-Go twin: medians of each one's x-C.
	r = rowOf(t, rep, "BenchmarkPread")
	require.Equal(t, 1.05, r.Ratio)
	require.True(t, r.HasPure)
	require.Equal(t, 1.25, r.PureRatio)
	require.Equal(t, 1250.0, r.PureNs)
	require.Equal(t, SyscallMax, r.Limit)
	require.Equal(t, "met", r.Verdict)

	// Copy: 1.111× the time is 0.90× the bandwidth: missed.
	r = rowOf(t, rep, "BenchmarkMappingCopy1MiB")
	require.InDelta(t, 1/0.95, r.Limit, 1e-12)
	require.Equal(t, "missed", r.Verdict)
	require.Contains(t, r.Reason, "bandwidth 0.90× C < 0.95×")

	// No C reference, hot path: judged by allocations only.
	r = rowOf(t, rep, "BenchmarkMappingReadAt4KiB")
	require.False(t, r.HasC)
	require.Equal(t, "missed", r.Verdict)
	require.Equal(t, "1 allocs/op on a hot path", r.Reason)

	// Not a hot path: allocations allowed.
	require.Equal(t, "met", rowOf(t, rep, "BenchmarkSpawnWaitpid").Verdict)
	require.Equal(t, "met", rowOf(t, rep, "BenchmarkMQPingPongProcesses").Verdict)

	// The floor itself: no C, hot, 0 allocs.
	require.Equal(t, "met", rowOf(t, rep, FloorBench).Verdict)
}

func TestFloorMissed(t *testing.T) {
	r := Row{Spec: Spec{Category: Floor, Calls: 2}, HasC: true, GoNs: 151, CNs: 40, Ratio: 151.0 / 40}
	judge(&r, 55)
	require.Equal(t, "missed", r.Verdict)
	require.Equal(t, "151 ns/op > C 40.0 + 2 × floor 55.0 = 150 ns/op", r.Reason)
	// Without a floor in the log, the rule cannot be applied.
	r = Row{Spec: Spec{Category: Floor, Calls: 2}, HasC: true, GoNs: 151, CNs: 40, Ratio: 151.0 / 40}
	judge(&r, 0)
	require.Equal(t, "—", r.Verdict)
}

func TestSpecsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Specs {
		for _, n := range []string{s.Bench, s.PureGo} {
			if n == "" {
				continue
			}
			require.False(t, seen[n], "%s listed twice", n)
			seen[n] = true
			require.True(t, strings.HasPrefix(n, "Benchmark"), n)
		}
		require.NotEmpty(t, s.Op)
		if s.Category == Floor {
			require.Positive(t, s.Calls, s.Bench)
		}
		if s.PureGo != "" {
			require.NotEmpty(t, s.PureGoIs, s.Bench)
		}
	}
}

func TestMarkdown(t *testing.T) {
	rep := Build(sample(t))
	var b bytes.Buffer
	require.NoError(t, rep.WriteMarkdown(&b, Machine{NProc: 2, CPU: "AMD EPYC 7B13", Kernel: "Linux 6.1 x86_64", Glibc: "glibc 2.36", Go: "go version go1.26.8 linux/amd64", Date: "2026-11-22T06:40:00Z", Command: "make bench"}))
	md := b.String()
	for _, want := range []string{
		"| CPUs (`nproc`) | 2 |",
		"| glibc | glibc 2.36 |",
		"| command | `make bench` |",
		"The **cgo floor** (`BenchmarkCgoFloor`, one empty cgo call) is **55.0 ns** (median).",
		"| sem post + trywait | 40.0 | 150 | — | 3.75× | 3.50–5.00 | — | 0 | ≤ C + 2 floor (3.75×) | met |",
		"| pread 4 KiB | 1000 | 1050 | 1250 (os.File.ReadAt) | 1.05× | 1.00–1.10 | 1.25× | 0 (0) | ≤ 1.10× | met |",
		"| Mapping.ReadAt 4 KiB | — | 300 | — | — | — | — | 1 | 0 allocs | **missed** |",
		"- **copy 1 MiB into MAP_SHARED** (`BenchmarkMappingCopy1MiB`): bandwidth 0.90× C < 0.95×.",
		"- `BenchmarkBrandNew`: in the log, but not in cmd/benchreport's table.",
	} {
		require.Contains(t, md, want)
	}
}

// svgDoc checks that s is well-formed XML and returns its elements by name,
// with the text of each <text>.
func svgDoc(t *testing.T, s string) (map[string]int, []string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	counts := map[string]int{}
	var texts []string
	inText := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch tok := tok.(type) {
		case xml.StartElement:
			counts[tok.Name.Local]++
			inText = tok.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		case xml.EndElement:
			inText = false
		}
	}
	return counts, texts
}

func TestSVG(t *testing.T) {
	rep := Build(sample(t))
	var b bytes.Buffer
	require.NoError(t, rep.WriteSVG(&b))
	counts, texts := svgDoc(t, b.String())
	require.Equal(t, 1, counts["svg"])
	// Chart rows: the 5 with a C reference (post+trywait, pread, copy, spawn,
	// mq ping-pong); pread alone has a twin. Rects: background, 3 legend
	// keys, 6 bars, and a target tick on each of the 5 rows.
	require.Equal(t, 1+3+6+5, counts["rect"])
	for _, want := range []string{"sem post + trywait", "pread 4 KiB", "3.75×", "1.25×", "1×", "0.5×", "5×", "libcipc / C", "pure Go / C"} {
		require.Contains(t, texts, want)
	}
	require.NotContains(t, texts, "Mapping.ReadAt 4 KiB") // no C: not drawn
}

func TestSVGClipsAndEscapes(t *testing.T) {
	rep := &Report{Rows: []Row{
		{Spec: Spec{Op: "a <b> & c", Category: Syscall}, HasC: true, Ratio: 250, Limit: SyscallMax},
		{Spec: Spec{Op: "fast"}, HasC: true, Ratio: 0.3, HasPure: true, PureRatio: 0.07},
	}}
	var b bytes.Buffer
	require.NoError(t, rep.WriteSVG(&b))
	_, texts := svgDoc(t, b.String())
	require.Contains(t, texts, "a <b> & c")
	require.Contains(t, texts, "▶ 250.0×") // clipped at the axis' end, value printed
	require.Contains(t, texts, "100×")
	require.Contains(t, texts, "0.05×")
	require.Contains(t, texts, "0.07×")
	// Every bar stays inside the plot.
	require.NotContains(t, b.String(), "NaN")
	require.False(t, math.IsInf(rep.Rows[0].Ratio, 0))
}

func TestEvidence(t *testing.T) {
	r := Row{Spec: Spec{Category: Syscall, PureGoIs: "os.File.ReadAt", Bare: "BenchmarkBare"}, HasC: true, HasPure: true,
		GoNs: 1300, Ratio: 1.3, PureNs: 1250, PureRatio: 1.25, BareNs: 1100}
	judge(&r, 50)
	require.Equal(t, "missed", r.Verdict)
	require.Equal(t, "The pure-Go twin (os.File.ReadAt), against the same C loop, is at 1.25× C (also over the target); libcipc is 1.04× the twin. "+
		"The same libc calls as bare cgo crossings (`BenchmarkBare`) take 1100 ns/op, libcipc 1300", r.evidence())
	r.PureRatio = 1.05
	require.Contains(t, r.evidence(), "is at 1.05× C (within the target)")
}
