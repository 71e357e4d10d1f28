//go:build cgo

#include "../csrc/proc.c"
