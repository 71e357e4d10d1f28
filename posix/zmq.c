//go:build cgo

#include "../csrc/mq.c"
