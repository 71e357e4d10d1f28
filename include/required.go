//go:build required

// Package include holds libcipc.h, the prototypes of every C shim. This file
// exists so that `go mod vendor` copies the directory (golang/go#26366); it is
// never built.
package include
