//go:build cgo

#include "../csrc/sysv.c"
