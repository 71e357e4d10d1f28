//go:build cgo

#include "../csrc/sem.c"
