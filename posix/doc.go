// Package posix gives Go programs the real glibc/librt POSIX IPC primitives,
// with libc's semantics, through cgo.
//
// Each Go call makes one call into a thin C shim (csrc/ in the module), which
// calls the libc function and returns its result or -errno. Failures are
// *Error values naming the libc function, the object and the errno:
//
//	sem_open /jobs: file exists
//
// What maps to what:
//
//	OpenSemaphore, UnlinkSemaphore     sem_open(3), sem_unlink(3)
//	NewSemaphore, InitSemaphoreAt      sem_init(3) (pshared 0 in C memory, 1 in a Mapping)
//	SemaphoreAt                        a sem_t another process initialised
//	Semaphore.Post, TryWait, Value     sem_post(3), sem_trywait(3), sem_getvalue(3)
//	Semaphore.Wait, TimedWait          sem_wait(3), sem_timedwait(3)
//	Semaphore.ClockWait, WaitTimeout   sem_clockwait(3)
//	Semaphore.Close                    sem_close(3) or sem_destroy(3)
//	OpenSharedMemory, UnlinkSharedMemory  shm_open(3), shm_unlink(3)
//	SharedMemory.Truncate, Stat, Map   ftruncate(2), fstat(2), mmap(2)
//	Mmap, MapAnonymous, Mapping.Unmap  mmap(2), munmap(2)
//	Mapping.Sync, Protect, Advise      msync(2), mprotect(2), madvise(2)
//	Mapping.Remap, Lock, Unlock        mremap(2), mlock(2), munlock(2)
//	Mapping.Residency                  mincore(2)
//	Mapping.ReadAt, WriteAt, atomics   checked access: a fault is EFAULT, not a crash
//	PageSize, Sysconf                  sysconf(3)
//	MallocInfo, MallocTrim, Mallopt    mallinfo2(3), malloc_trim(3), mallopt(3)
//	ProcMaps                           /proc/PID/maps
//	OpenMessageQueue, UnlinkMessageQueue  mq_open(3), mq_unlink(3)
//	MessageQueue.Send, TimedSend       mq_send(3), mq_timedsend(3)
//	MessageQueue.Receive, TimedReceive mq_receive(3), mq_timedreceive(3)
//	MessageQueue.Attr, SetAttr         mq_getattr(3), mq_setattr(3)
//	MessageQueue.NotifyFunc, NotifySignal, NotifyCancel  mq_notify(3)
//	MessageQueue.Close                 mq_close(3)
//	NewSignalReceiver                  sigaction(2) with SA_SIGINFO
//	Strerror                           strerror_r(3)
//	Gettid, Getpid, Getppid            gettid(2), getpid(2), getppid(2)
//	PthreadSelf                        pthread_self(3)
//	NewKey, Key.Set, Get, Delete       pthread_key_create(3), pthread_setspecific(3), pthread_getspecific(3), pthread_key_delete(3)
//	NewOnce, Once.Do                   pthread_once(3)
//	NewThreadVar, ThreadVar.Get, Set   a __thread variable of the shim
//	LockedThread                       runtime.LockOSThread, then clears the thread's values
//	NewMutex, InitMutexAt, MutexAt     pthread_mutex_init(3) with pthread_mutexattr_*(3)
//	Mutex.Lock, TryLock, TimedLock     pthread_mutex_lock(3), pthread_mutex_trylock(3), pthread_mutex_timedlock(3)
//	Mutex.ClockLock, LockTimeout       pthread_mutex_clocklock(3)
//	Mutex.Unlock, Consistent, Close    pthread_mutex_unlock(3), pthread_mutex_consistent(3), pthread_mutex_destroy(3)
//	NewCond, InitCondAt, CondAt        pthread_cond_init(3) with pthread_condattr_*(3)
//	Cond.Wait, TimedWait, ClockWait    pthread_cond_wait(3), pthread_cond_timedwait(3), pthread_cond_clockwait(3)
//	Cond.Signal, Broadcast             pthread_cond_signal(3), pthread_cond_broadcast(3)
//	NewRWLock, RWLock.RLock, Lock, …   pthread_rwlock_init(3), pthread_rwlock_rdlock(3), pthread_rwlock_wrlock(3), …
//	NewBarrier, Barrier.Wait           pthread_barrier_init(3), pthread_barrier_wait(3)
//	NewSpinLock, SpinLock.Lock, …      pthread_spin_init(3), pthread_spin_trylock(3), pthread_spin_unlock(3)
//	Ftok                               ftok(3)
//	SemGet, SemOp, SemTimedOp          semget(2), semop(2), semtimedop(2)
//	SemCtl, SemCtlAll, SemCtlStat      semctl(2)
//	MsgGet, MsgSnd, MsgRcv, MsgCtl     msgget(2), msgsnd(2), msgrcv(2), msgctl(2)
//	ShmGet, ShmAt, ShmDt, ShmCtl       shmget(2), shmat(2), shmdt(2), shmctl(2)
//	Flock, Lockf                       flock(2), lockf(3)
//	GetLock, SetLock, SetLockWait, …   fcntl(2) F_GETLK, F_SETLK, F_SETLKW (OFD…: F_OFD_*)
//	ProcLocks                          /proc/locks
//	Pread, Pwrite, Fsync, Fdatasync, Sync  pread(2), pwrite(2), fsync(2), fdatasync(2), sync(2)
//	Pipe, Mkfifo                       pipe2(2) with O_CLOEXEC, mkfifo(3)
//	Spawn, SpawnP                      posix_spawn(3), posix_spawnp(3) with file actions and attributes
//	Waitpid, Getpgrp, Setpgid, Getsid  waitpid(2), getpgrp(2), setpgid(2), getsid(2)
//	System                             system(3)
//	Kill, Killpg, Sigqueue             kill(2), killpg(3), sigqueue(3)
//	Alarm, Setitimer, Getitimer        alarm(2), setitimer(2), getitimer(2)
//	PthreadSigmask                     pthread_sigmask(3)
//
// System V IPC (sysvipc(7)) is the older family, beside the POSIX one: objects
// are named by an integer key (Ftok makes one from a path), used through an
// integer id, listed by ipcs(1), and live until IPC_RMID whoever created them;
// the functions take ids, there are no handles. Prefer it when a process may
// die holding a semaphore (SEM_UNDO makes the kernel undo its operations; a
// POSIX semaphore stays taken), when several semaphores must change together
// (one semop is atomic across a set), when receivers select messages by type,
// or to talk to programs that use it. Prefer POSIX otherwise: an uncontended
// POSIX semaphore needs no system call (about 12 times cheaper from Go, see
// docs/SEMANTICS.md), names are paths, and message queues have descriptors and
// notification. ShmAt returns the same Mapping as POSIX shared memory.
//
// Threads: a goroutine is not a thread. What libc ties to a thread (a
// mutex's owner, a key's or a ThreadVar's value, Gettid) only means something
// while the goroutine is locked to its OS thread: Mutex.Lock and RWLock.Lock
// pin the goroutine until Unlock, and LockedThread runs a func pinned and
// clears the thread's values afterwards. Mutexes, conds, rwlocks, barriers and
// spin locks live in C memory (New…) or at an offset of a shared Mapping
// (Init…At / …At), with glibc's layout, so C programs share them.
//
// Handles (Semaphore, SharedMemory, Mapping, MessageQueue, SignalReceiver,
// Mutex, Cond, RWLock, Barrier, SpinLock, Key, ThreadVar) own their C object, are safe for
// concurrent use, and are released once by Close (Unmap for a Mapping): later
// calls return an error wrapping os.ErrClosed, never a crash. Blocking calls
// come in the libc forms (Wait, TimedWait with a CLOCK_REALTIME deadline,
// ClockWait) and Go forms (WaitTimeout on CLOCK_MONOTONIC, WaitContext), and
// hold a bounded number of OS threads however many goroutines block: semaphore
// waits run in C in short slices, a few at a time; message queue calls wait on
// the Go runtime's netpoller and hold no thread at all; blocking System V calls
// wait in the kernel on the same bounded set of threads, and a signal
// (SIGURG) interrupts them on cancellation.
//
// The deliberate differences from calling libc from C are listed in
// docs/SEMANTICS.md of the module.
package posix
