//go:build !asan

package tests

const asanEnabled = false
