// Package libcipc is the module root of libcipc: Go bindings to the real
// glibc/librt POSIX IPC and threading primitives through cgo.
//
// The API lives in package [github.com/libcipc/libcipc/posix]. This package only
// embeds the C sources the posix package compiles (csrc/*.c, include/*.h): posix
// imports it, so an edit to a shim changes this package's hash and the build cache
// recompiles posix instead of reusing a stale object (cgo compiles csrc through
// one-line posix/z*.c trampolines, which the cache would otherwise not see).
package libcipc

import "embed"

// Sources holds the C shims and their header, exactly as posix compiles them.
//
//go:embed csrc/*.c include/*.h
var Sources embed.FS
