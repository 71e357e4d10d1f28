//go:build cgo

#include "../csrc/thread.c"
