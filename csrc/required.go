//go:build required

// Package csrc holds the C shims compiled into package posix through its
// z*.c trampolines. This file exists so that `go mod vendor` copies the
// directory (golang/go#26366); it is never built.
package csrc
