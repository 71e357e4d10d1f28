//go:build cgo

#include "../csrc/file.c"
