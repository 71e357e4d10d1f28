//go:build cgo

#include "../csrc/signal.c"
