//go:build asan

package tests

// asanEnabled: under go test -asan, AddressSanitizer holds freed C memory in
// its quarantine and replaces malloc (mallinfo2 reads 0): RSS and C heap
// figures mean nothing, as under -race.
const asanEnabled = true
