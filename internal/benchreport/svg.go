package benchreport

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// SVG layout, in px.
const (
	svgLabelW = 290 // operation names, right-aligned
	svgPlotW  = 520
	svgRightW = 70 // room for the value of the longest bar
	svgTop    = 58 // title and legend
	svgBottom = 40 // axis labels
	svgGroupH = 30 // one operation: two bars and a gap
	svgBarH   = 11
	svgMaxX   = 100.0 // bars beyond are clipped, their value still printed
	svgColLib = "#1f77b4"
	svgColGo  = "#ff7f0e"
	svgColTgt = "#d62728"
)

// svgTicks are the candidate gridlines of the log axis.
var svgTicks = []float64{0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100}

// WriteSVG draws the grouped bar chart of the ratios to C: per operation with
// a C reference, libcipc/C and (if there is a twin) pure Go/C, on a log axis
// with 1 = C marked, each row's target as a red tick, and every bar's value
// printed. Plain SVG, no script, no external font or stylesheet.
func (rep *Report) WriteSVG(w io.Writer) error {
	rows := rep.chartRows()
	lo, hi := 0.5, 2.0
	for _, r := range rows {
		for _, v := range []float64{r.Ratio, r.PureRatio} {
			if v <= 0 {
				continue
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	lo = tickBelow(lo)
	hi = tickAbove(math.Min(hi, svgMaxX))
	x := func(v float64) float64 {
		v = math.Max(lo, math.Min(hi, v))
		return svgLabelW + svgPlotW*(math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))
	}
	width := svgLabelW + svgPlotW + svgRightW
	plotH := len(rows) * svgGroupH
	height := svgTop + plotH + svgBottom

	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="%d" y="18" font-size="14" font-weight="bold">Time per operation relative to C (log scale; lower is faster; 1 = C)</text>`+"\n", 10)
	// legend
	p(`<rect x="%d" y="30" width="14" height="%d" fill="%s"/><text x="%d" y="40">libcipc / C</text>`+"\n", 10, svgBarH, svgColLib, 30)
	p(`<rect x="%d" y="30" width="14" height="%d" fill="%s"/><text x="%d" y="40">pure Go / C</text>`+"\n", 120, svgBarH, svgColGo, 140)
	p(`<rect x="%d" y="30" width="3" height="%d" fill="%s"/><text x="%d" y="40">target (time ratio)</text>`+"\n", 235, svgBarH, svgColTgt, 245)
	p(`<text x="%d" y="40" fill="#555">bars past %g× are clipped; the value is printed</text>`+"\n", 380, hi)

	// gridlines and axis labels
	for _, t := range svgTicks {
		if t < lo || t > hi {
			continue
		}
		stroke, sw := "#ddd", 1
		if t == 1 {
			stroke, sw = "#333", 2
		}
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%d"/>`+"\n", x(t), svgTop, x(t), svgTop+plotH, stroke, sw)
		p(`<text x="%.1f" y="%d" text-anchor="middle">%s×</text>`+"\n", x(t), svgTop+plotH+16, fmtTick(t))
	}
	p(`<text x="%.1f" y="%d" text-anchor="middle" fill="#555">ratio to C (median of the runs' x-C)</text>`+"\n", x(1), svgTop+plotH+33)

	for i, r := range rows {
		y0 := svgTop + i*svgGroupH
		p(`<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", svgLabelW-8, y0+svgGroupH/2+4, xmlEscape(r.Op))
		bar := func(v float64, y int, color, who string) {
			x1 := x(v)
			p(`<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: %s of C</title></rect>`+"\n",
				svgLabelW, y, math.Max(x1-svgLabelW, 1), svgBarH, color, xmlEscape(r.Op), who, fmtRatio(v))
			label := fmtRatio(v)
			if v > hi {
				label = "▶ " + label
			}
			p(`<text x="%.1f" y="%d" font-size="10">%s</text>`+"\n", x1+3, y+svgBarH-2, label)
		}
		bar(r.Ratio, y0+3, svgColLib, "libcipc")
		if r.HasPure && r.PureRatio > 0 {
			bar(r.PureRatio, y0+3+svgBarH+1, svgColGo, "pure Go")
		}
		if r.Limit > 0 {
			p(`<rect x="%.1f" y="%d" width="3" height="%d" fill="%s"><title>target %s</title></rect>`+"\n",
				x(r.Limit)-1.5, y0+1, 2*svgBarH+5, svgColTgt, xmlEscape(fmtTarget(&r)))
		}
	}
	p("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// tickBelow is the largest tick ≤ v (or the smallest tick).
func tickBelow(v float64) float64 {
	best := svgTicks[0]
	for _, t := range svgTicks {
		if t <= v {
			best = t
		}
	}
	return best
}

// tickAbove is the smallest tick ≥ v (or the largest tick).
func tickAbove(v float64) float64 {
	for _, t := range svgTicks {
		if t >= v {
			return t
		}
	}
	return svgTicks[len(svgTicks)-1]
}

func fmtTick(t float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", t), "0"), ".")
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
