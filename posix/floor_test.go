//go:build cgo

package posix

import "testing"

// BenchmarkCgoFloor measures one cgo crossing into a shim that does almost
// nothing (sem_getvalue is a single load): the floor under every API call,
// against which the overhead of the Go layer is judged (DESIGN.md section 1.1).
func BenchmarkCgoFloor(b *testing.B) {
	p, rc := cSemNew(0)
	if rc != 0 {
		b.Fatal(rc)
	}
	defer cSemFree(p)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		cSemGetValue(p)
	}
}

// BenchmarkPostTryWaitCrossings is Post+TryWait as two bare crossings, without
// the handle's bookkeeping: the difference from the tests' Post+TryWait
// benchmark is what the Go layer adds.
func BenchmarkPostTryWaitCrossings(b *testing.B) {
	p, rc := cSemNew(0)
	if rc != 0 {
		b.Fatal(rc)
	}
	defer cSemFree(p)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		cSemPost(p)
		cSemTryWait(p)
	}
}
