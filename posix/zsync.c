//go:build cgo

#include "../csrc/sync.c"
