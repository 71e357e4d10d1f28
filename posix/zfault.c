//go:build cgo

#include "../csrc/fault.c"
