//go:build !cgo

package posix

// Stubs for a CGO_ENABLED=0 build (see nocgo.go): every function of proc.go
// checks cgoEnabled first and fails with ErrCgoRequired.

func cSpawnRun(*cSpawn, []byte, []int64) int32           { return enosys }
func cWaitpid(int32, *int32, int32) int32                { return enosys }
func cGetpgrp() int32                                    { return enosys }
func cSetpgid(int32, int32) int32                        { return enosys }
func cGetsid(int32) int32                                { return enosys }
func cSystem(*byte, *int32) int32                        { return enosys }
func cKill(int32, int32) int32                           { return enosys }
func cKillpg(int32, int32) int32                         { return enosys }
func cSigqueue(int32, int32, uintptr) int32              { return enosys }
func cAlarm(uint32) uint32                               { return 0 }
func cSetitimer(int32, *[2]int64) int32                  { return enosys }
func cGetitimer(int32, *[2]int64) int32                  { return enosys }
func cPthreadSigmask(int32, bool, uint64, *uint64) int32 { return enosys }
