package tests

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// OS threads are counted in a fresh child process: the Go runtime never
// exits idle threads, so earlier tests in this process would count too.
func TestBlockedGoroutinesHoldFewThreads(t *testing.T) {
	for _, c := range []struct {
		name      string
		kind      string
		n, m, max int
	}{
		{"2000 waiters on one semaphore", "sem", 1, 2000, 64},
		{"2000 waiters on 100 semaphores", "sem", 100, 20, 64},
		{"1000 receivers on 100 queues", "mq", 100, 10, 32},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := startGo(t, "scale", []string{c.kind, strconv.Itoa(c.n), strconv.Itoa(c.m)}).finish(t)
			t.Log(out)
			f := scaleFields(t, out)
			assert.LessOrEqual(t, f["threads"], c.max, "OS threads")
			assert.Equal(t, c.n*c.m, f["released"])
		})
	}
}

// scaleFields reads the numeric key=value fields of the scale role's line.
func scaleFields(t *testing.T, out string) map[string]int {
	t.Helper()
	f := map[string]int{}
	for _, kv := range strings.Fields(out) {
		k, v, ok := strings.Cut(kv, "=")
		require.True(t, ok, out)
		if n, err := strconv.Atoi(v); err == nil {
			f[k] = n
		}
	}
	for _, k := range []string{"threads", "released", "base", "after"} {
		require.Contains(t, f, k, out)
	}
	return f
}

// 10,000 goroutines blocked on one semaphore, on one pthread mutex, and on
// 100 message queues (100 receivers each) add at most 64 OS threads to a
// fresh process, while they wait and until every one of them has returned.
func TestScaleTenThousandBlockedGoroutines(t *testing.T) {
	for _, c := range []struct {
		name, kind string
		n, m       int
	}{
		{"one semaphore", "sem", 1, 10000},
		{"one mutex", "mutex", 1, 10000},
		{"100 message queues", "mq", 100, 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := startGo(t, "scale", []string{c.kind, strconv.Itoa(c.n), strconv.Itoa(c.m)}).finish(t)
			f := scaleFields(t, out)
			t.Logf("%d goroutines on %s: %d OS threads while blocked (%d added to the %d before), %d at the end (peak, %d added); released in %s",
				c.n*c.m, c.name, f["threads"], f["threads"]-f["base"], f["base"], f["after"], f["after"]-f["base"], strings.TrimPrefix(strings.Fields(out)[2], "in="))
			assert.Equal(t, c.n*c.m, f["released"])
			assert.LessOrEqual(t, f["threads"]-f["base"], 64, "OS threads added while blocked")
			assert.LessOrEqual(t, f["after"]-f["base"], 64, "OS threads added by the end")
		})
	}
}
