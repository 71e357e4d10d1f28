//go:build cgo

#include "../csrc/errno.c"
