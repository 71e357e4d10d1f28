package benchreport

// Category is the target rule a row is judged by (issue 9).
type Category int

const (
	// NoTarget: no C reference (or no target for this kind of operation);
	// only the allocation rule applies, if the row is a hot path.
	NoTarget Category = iota
	// Syscall: the operation is one or more system calls; libcipc ≤ 1.10× C.
	Syscall
	// Floor: uncontended, no system call; libcipc ≤ C + Calls × the measured
	// empty cgo call (BenchmarkCgoFloor).
	Floor
	// CrossProcess: wake-ups between processes or threads (ping-pong,
	// contention, a blocking stream); libcipc ≤ 1.3× C.
	CrossProcess
	// Copy: bandwidth into shared memory ≥ 0.95× C, i.e. time ≤ 1/0.95× C.
	Copy
)

// Target ratios (libcipc time / C time).
const (
	SyscallMax      = 1.10
	CrossProcessMax = 1.30
	CopyMinBW       = 0.95
)

func (c Category) String() string {
	switch c {
	case Syscall:
		return "syscall-bound"
	case Floor:
		return "C + cgo floor"
	case CrossProcess:
		return "cross-process/thread"
	case Copy:
		return "copy bandwidth"
	}
	return "—"
}

// Spec is one row of the report: a libcipc benchmark, its pure-Go twin (if
// any) and the rule it is judged by.
type Spec struct {
	Op       string   // what the row measures, for the table
	Bench    string   // the libcipc benchmark, BenchmarkX
	PureGo   string   // the pure-Go twin, timed against the same C loop ("" if none)
	PureGoIs string   // what the twin uses, for the table
	Category Category // the target rule
	Calls    int      // API calls per op (Floor: the floor is paid this many times)
	Hot      bool     // a hot path: must be 0 allocs/op
	Bare     string   // a benchmark of the same libc calls as bare cgo crossings, without the Go layer ("" if none)
	Why      string   // what the code does beyond C's loop, shown when a target is missed
}

// FloorBench is the empty cgo call every Floor row is judged with.
const FloorBench = "BenchmarkCgoFloor"

// Specs is the report's explicit table. Naming convention of the benchmarks
// (tests/*_bench_test.go): a libcipc benchmark BenchmarkX has its pure-Go
// twin as BenchmarkXRawSyscall (x/sys/unix system calls) or BenchmarkXPureGo
// (the os package or x/sys/unix), and where the pure-Go way has a name of its
// own, under that name (BenchmarkUnixFcntlFlock, BenchmarkOSFileReadAt,
// BenchmarkSyncMutexLockUnlock, BenchmarkExecCommandRun). A twin reports
// x-C against the same C loop as its libcipc benchmark (the same C-ns/op, from
// the same test binary), so both ratios are taken side by side.
//
// Every benchmark of the logs must be in this table (or be a twin or the
// floor): Build reports the others as unlisted, so a new benchmark is not
// silently left out.
var Specs = []Spec{
	// POSIX semaphores
	{Op: "sem post + trywait", Bench: "BenchmarkSemPostTryWait", Category: Floor, Calls: 2, Hot: true, Bare: "BenchmarkPostTryWaitCrossings",
		Why: "each call checks its handle and enters and leaves its in-flight count (two atomic adds, so that Close never frees the C object under a call) around its crossing"},
	{Op: "sem post + wait (uncontended)", Bench: "BenchmarkSysvPOSIXSemPostWait", Category: Floor, Calls: 2, Hot: true, Bare: "BenchmarkPostTryWaitCrossings",
		Why: "each call checks its handle and enters and leaves its in-flight count (two atomic adds, so that Close never frees the C object under a call) around its crossing; Wait's first try goes through the wait path (a cWait request), and the C loop is sem_post + sem_trywait"},
	{Op: "sem ping-pong, 2 threads", Bench: "BenchmarkSemPingPongThreads", Category: CrossProcess, Hot: true,
		Why: "a WaitTimeout that finds the semaphore at 0 leaves its non-blocking first try for libcipc's bounded blocking path (sem_clockwait in wait slices), where C sleeps in the kernel at once"},
	{Op: "sem ping-pong, 2 processes", Bench: "BenchmarkSemPingPongProcesses", Category: CrossProcess, Hot: true,
		Why: "a WaitTimeout that finds the semaphore at 0 leaves its non-blocking first try for libcipc's bounded blocking path (sem_clockwait in wait slices), where C sleeps in the kernel at once"},
	{Op: "sem_open + close + unlink", Bench: "BenchmarkSemOpenCloseUnlink", Category: Syscall},

	// POSIX message queues
	{Op: "mq send + receive 64 B", Bench: "BenchmarkMQSendReceive64", PureGo: "BenchmarkMQSendReceive64RawSyscall", PureGoIs: "SYS_MQ_TIMEDSEND/RECEIVE", Category: Syscall, Calls: 2, Hot: true, Bare: "BenchmarkMQSendReceiveCrossings"},
	{Op: "mq ping-pong 64 B, 2 processes", Bench: "BenchmarkMQPingPongProcesses", PureGo: "BenchmarkMQPingPongProcessesRawSyscall", PureGoIs: "SYS_MQ_*", Category: CrossProcess, Hot: true,
		Why: "a Receive that finds the queue empty fails a non-blocking mq_receive, parks its goroutine on the netpoller (no OS thread held) and tries again when epoll reports the queue readable; C and the raw twin sleep in the kernel's mq_receive"},
	{Op: "mq stream 64 B, producer process", Bench: "BenchmarkMQStreamProcesses", PureGo: "BenchmarkMQStreamProcessesRawSyscall", PureGoIs: "SYS_MQ_*", Category: CrossProcess, Hot: true,
		Why: "when the queue runs empty, Receive fails a non-blocking mq_receive, parks its goroutine on the netpoller (no OS thread held) and tries again when epoll reports the queue readable; C and the raw twin sleep in the kernel's mq_receive"},

	// Shared memory
	{Op: "shm_open + close + unlink", Bench: "BenchmarkShmOpenCloseUnlink", PureGo: "BenchmarkShmOpenCloseUnlinkPureGo", PureGoIs: "os.OpenFile /dev/shm", Category: Syscall},
	{Op: "mmap + munmap 1 MiB", Bench: "BenchmarkMmapMunmap1MiB", PureGo: "BenchmarkMmapMunmap1MiBPureGo", PureGoIs: "unix.Mmap", Category: Syscall,
		Why: "Map builds a Mapping handle (the allocations) and Unmap detaches the objects placed in it before munmap; the twin is the bare system calls"},
	{Op: "copy 1 MiB into MAP_SHARED", Bench: "BenchmarkMappingCopy1MiB", Category: Copy, Hot: true,
		Why: "nothing: this is Go's copy (runtime memmove, no cgo) into Mapping.Bytes() against glibc's memcpy"},
	{Op: "Mapping.WriteAt 4 KiB", Bench: "BenchmarkMappingWriteAt4KiB", Hot: true},
	{Op: "Mapping.ReadAt 4 KiB", Bench: "BenchmarkMappingReadAt4KiB", Hot: true},
	{Op: "Mapping.AddUint64", Bench: "BenchmarkMappingAddUint64", Hot: true},

	// Files and processes
	{Op: "fcntl F_SETLK lock + unlock", Bench: "BenchmarkFcntlSetLock", PureGo: "BenchmarkUnixFcntlFlock", PureGoIs: "unix.FcntlFlock", Category: Syscall, Calls: 2, Hot: true},
	{Op: "pread 4 KiB", Bench: "BenchmarkPread", PureGo: "BenchmarkOSFileReadAt", PureGoIs: "os.File.ReadAt", Category: Syscall, Calls: 1, Hot: true},
	{Op: "posix_spawn + waitpid /bin/true", Bench: "BenchmarkSpawnWaitpid", PureGo: "BenchmarkExecCommandRun", PureGoIs: "os/exec Run", Category: Syscall},

	// pthread mutexes, conds, thread-local storage
	{Op: "mutex lock + unlock", Bench: "BenchmarkMutexLockUnlock", PureGo: "BenchmarkSyncMutexLockUnlock", PureGoIs: "sync.Mutex", Category: Floor, Calls: 2, Hot: true,
		Why: "LockTimeout pins the goroutine to its thread (runtime.LockOSThread) until Unlock, tries pthread_mutex_trylock first (the timed lock only when busy) and counts the hold; each call checks its handle and enters and leaves its in-flight count (two atomic adds, so that Close never frees the C object under a call) around its crossing"},
	{Op: "robust shared mutex lock + unlock", Bench: "BenchmarkMutexLockUnlockRobustShared", Category: Floor, Calls: 2, Hot: true,
		Why: "as for the private mutex: the thread pin, the hold count and the handle's in-flight count around each crossing"},
	{Op: "mutex contended, 2 processes", Bench: "BenchmarkMutexContendedTwoProcesses", Category: CrossProcess, Hot: true,
		Why: "the Go loop times from a start semaphore to a done semaphore, C from fork to waitpid (see the benchmark's comment); a busy Lock waits in sliced pthread_mutex_clocklock"},
	{Op: "cond ping-pong, 2 threads", Bench: "BenchmarkCondPingPong", Category: CrossProcess, Hot: true},
	{Op: "__thread Get + Set", Bench: "BenchmarkThreadVarGetSet", Category: Floor, Calls: 2, Hot: true},
	{Op: "__thread Add", Bench: "BenchmarkThreadVarAdd", Category: Floor, Calls: 1, Hot: true},
	{Op: "pthread key get + set", Bench: "BenchmarkKeyGetSet", Category: Floor, Calls: 2, Hot: true},

	// System V
	{Op: "SysV semop −1, +1", Bench: "BenchmarkSysvSemOp", Category: Syscall, Calls: 2, Hot: true},
	{Op: "SysV semop −1, +1 SEM_UNDO", Bench: "BenchmarkSysvSemOpUndo", Category: Syscall, Calls: 2, Hot: true},
	{Op: "SysV msgsnd + msgrcv 64 B", Bench: "BenchmarkSysvMsgSndRcv64", Category: Syscall, Calls: 2, Hot: true},
	{Op: "mq send + receive 64 B (SysV comparison set)", Bench: "BenchmarkSysvPOSIXMQSendReceive64", Category: Syscall, Calls: 2, Hot: true, Bare: "BenchmarkMQSendReceiveCrossings"},

	// The floor and the bare crossings (package posix, no C loop)
	{Op: "empty cgo call (the floor)", Bench: FloorBench, Hot: true},
	{Op: "sem post + trywait, bare crossings", Bench: "BenchmarkPostTryWaitCrossings", Hot: true},
	{Op: "mq send + receive, bare crossings", Bench: "BenchmarkMQSendReceiveCrossings", Hot: true},
}
