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
			f := strings.Fields(out)
			require.Len(t, f, 3, out)
			th, err := strconv.Atoi(strings.TrimPrefix(f[0], "threads="))
			require.NoError(t, err)
			assert.LessOrEqual(t, th, c.max, "OS threads")
			assert.Equal(t, "released="+strconv.Itoa(c.n*c.m), f[1])
		})
	}
}
