//go:build cgo

#include "../csrc/shm.c"
