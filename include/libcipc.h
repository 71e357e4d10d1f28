/*
 * libcipc.h - prototypes of every C shim libcipc's Go package calls.
 *
 * Conventions (see DESIGN.md section 1):
 *   - a shim makes exactly one libc call (plus, where stated, a cheap helper such
 *     as clock_gettime) and returns >= 0 on success or -errno on failure, so the Go
 *     side never makes a second cgo call to read errno;
 *   - calls that produce a pointer return a libcipc_ptr {ptr, err}: err is 0 or an
 *     errno value;
 *   - names are NUL-terminated strings owned by the caller (Go passes a stack buffer);
 *     shims never keep a pointer they were given.
 */
#ifndef LIBCIPC_H
#define LIBCIPC_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sem_clockwait, GNU strerror_r */
#endif

#include <limits.h>
#include <malloc.h>
#include <unistd.h>
#include <stddef.h>
#include <stdint.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/types.h>

/* A pointer result: ptr is valid when err == 0. */
typedef struct {
	void *ptr;
	int err;
} libcipc_ptr;

/* ---- errno: strerror_r(3) (the GNU, thread-safe form) ---------------------- */

/* Writes the message for errnum into buf (always NUL-terminated); returns its length. */
int libcipc_strerror(int errnum, char *buf, size_t len);

/* ---- fault guard (csrc/fault.c) -------------------------------------------
 * A guarded libc call that raises SIGBUS on the bytes [lo, hi) of its object
 * (a sem_t whose file was truncated under the mapping) returns -EFAULT instead
 * of killing the process: the SIGBUS handler libcipc_fault_install put in front
 * of the Go runtime's jumps back into the shim. So does glibc's abort when its
 * futex call on the object failed with EFAULT (the page vanished between
 * glibc's access and the system call). Every other SIGBUS or SIGABRT goes to
 * the handler that was there before (Go's), unchanged. Not for Go's use. */
typedef struct {
	void *jb[5]; /* __builtin_setjmp's buffer */
	const char *lo, *hi;
	sigset_t mask;
} libcipc_guard;
extern __thread libcipc_guard *libcipc_guarded;
/* After the jump: restores the thread's signal mask as it was at the fault. */
void libcipc_guard_fault(libcipc_guard *g);
/* Installs the handlers once (package posix's init): 0 or -errno. */
int libcipc_fault_install(void);

/* LIBCIPC_GUARD(g, obj, size, stmt): from here until LIBCIPC_UNGUARD(g), a
 * SIGBUS on obj's size bytes (or glibc's abort once the kernel cannot reach
 * them, see above) runs libcipc_guard_fault then stmt (which must return) at
 * this point. GCC's __builtin_setjmp/__builtin_longjmp: no system
 * call, and unlike glibc's longjmp the jump runs no pthread cleanup handler
 * (glibc's sem_clockwait registers one that touches the sem_t again): a shim
 * whose libc call registers one brackets the call with its own buffer
 * (_pthread_cleanup_push/_pop, below) so that the thread's cleanup chain is
 * restored after the jump. */
#define LIBCIPC_GUARD(g, obj, size, stmt)                          \
	libcipc_guard g;                                           \
	if (__builtin_setjmp(g.jb) != 0) {                         \
		libcipc_guard_fault(&g);                           \
		stmt;                                              \
	}                                                          \
	g.lo = (const char *)(obj);                                \
	g.hi = g.lo + (size);                                      \
	libcipc_guarded = &g
#define LIBCIPC_UNGUARD(g) (libcipc_guarded = NULL)
/* LIBCIPC_RETURN_GUARDED(obj, expr): returns expr (an int, 0 or -errno)
 * evaluated under the guard on *obj, or -EFAULT on a fault there: the body
 * of a shim that is one libc call. */
#define LIBCIPC_RETURN_GUARDED(obj, expr)                          \
	do {                                                       \
		LIBCIPC_GUARD(g_, obj, sizeof *(obj), return -EFAULT); \
		int rc_ = (expr);                                  \
		LIBCIPC_UNGUARD(g_);                               \
		return rc_;                                        \
	} while (0)
/* glibc's (exported, GLIBC_2.2.5 and 2.34) old-style cleanup chain calls:
 * _pthread_cleanup_pop(b, 0) sets the thread's chain back to what it was
 * before _pthread_cleanup_push(b, ...), whatever was pushed since. */
void _pthread_cleanup_push(struct _pthread_cleanup_buffer *b, void (*routine)(void *), void *arg);
void _pthread_cleanup_pop(struct _pthread_cleanup_buffer *b, int execute);

/* ---- sem: sem_overview(7), sem_open(3), sem_init(3), sem_wait(3) ----------- */

#define LIBCIPC_SIZEOF_SEM ((int)sizeof(sem_t))
#define LIBCIPC_ALIGNOF_SEM ((int)_Alignof(sem_t))
#define LIBCIPC_SEM_VALUE_MAX SEM_VALUE_MAX

/*
 * sem_open(name, oflag, mode, value) (cgo cannot call the variadic form), then a
 * probe that the sem_t is backed by the file: glibc maps an existing
 * /dev/shm/sem.NAME without checking its size, so a zero-length file opens fine and
 * raises SIGBUS on the first sem_wait/sem_post. A failed probe closes the semaphore
 * and returns -EFAULT. (With O_CREAT|O_EXCL glibc wrote the file itself: no probe.)
 */
libcipc_ptr libcipc_sem_open(const char *name, int oflag, unsigned mode, unsigned value);
int libcipc_sem_close(sem_t *sem);
int libcipc_sem_unlink(const char *name);
/* The probe (below), then sem_init(pshared = 1): for a sem_t inside a mapping,
 * where memory past the end of the object behind it would raise SIGBUS. */
int libcipc_sem_init_shared(sem_t *sem, unsigned value);
int libcipc_sem_destroy(sem_t *sem);
/* malloc + sem_init(pshared=0); free on failure. */
libcipc_ptr libcipc_sem_new(unsigned value);
/* sem_destroy + free of a semaphore from libcipc_sem_new. */
int libcipc_sem_free(sem_t *sem);
int libcipc_sem_post(sem_t *sem);
int libcipc_sem_trywait(sem_t *sem);
/* sem_getvalue; returns the value (a C int, negative only for an overwritten
 * sem_t) or LIBCIPC_GETVALUE_ERR + errno (-EFAULT: SIGBUS on the sem_t). */
#define LIBCIPC_GETVALUE_ERR INT64_MIN
int64_t libcipc_sem_getvalue(sem_t *sem);

/*
 * A blocking wait (see DESIGN.md section 4) is one libcipc_sem_wait_begin, then,
 * if the semaphore was at zero, bounded pieces of libcipc_sem_wait_slice.
 *
 * w->mode: LIBCIPC_WAIT_FOREVER (no deadline), LIBCIPC_WAIT_ABS (w->clock, w->sec,
 * w->nsec is the caller's absolute deadline, as sem_clockwait takes it) or
 * LIBCIPC_WAIT_REL (w->sec/w->nsec is a duration).
 */
#define LIBCIPC_WAIT_FOREVER 0
#define LIBCIPC_WAIT_ABS 1
#define LIBCIPC_WAIT_REL 2
#define LIBCIPC_WAIT_SLICE 1
typedef struct {
	int64_t sec;
	int64_t nsec;
	int32_t clock;
	int32_t mode;
} libcipc_wait;

/*
 * sem_trywait; when it says EAGAIN, a LIBCIPC_WAIT_REL duration becomes an
 * absolute CLOCK_MONOTONIC deadline (stored back into w, mode LIBCIPC_WAIT_ABS),
 * so the deadline is fixed when the call starts. Returns 0 (decremented) or -errno
 * (-EAGAIN: go on with slices).
 */
int libcipc_sem_wait_begin(sem_t *sem, libcipc_wait *w);

/*
 * One piece of the wait: sem_clockwait for at most slice_ns (on CLOCK_MONOTONIC) or
 * until the deadline, whichever is first; when the deadline is within the slice it
 * waits on the caller's own clock and deadline, exactly as sem_clockwait(sem,
 * clock, abs) would. A clock or tv_nsec glibc rejects goes straight to
 * sem_clockwait, which says EINVAL without blocking. EINTR is retried against the
 * same deadline. w->mode must not be LIBCIPC_WAIT_REL.
 *
 * Returns 0 when the semaphore was decremented, LIBCIPC_WAIT_SLICE when the slice
 * ended first (call again), or -errno (-ETIMEDOUT: the caller's deadline passed).
 */
int libcipc_sem_wait_slice(sem_t *sem, const libcipc_wait *w, int64_t slice_ns);

/*
 * The waits of a process run in at most LIBCIPC_WAIT_SLOTS threads at once, each
 * in a slot. libcipc_sem_wait_loop waits in slices like libcipc_sem_wait_slice but
 * stays in C between slices, and returns LIBCIPC_WAIT_SLICE only when its slot's
 * stop word is set (Close, cancellation) or libcipc_wait_queued > 0 (waits are
 * queued for a slot: give it up so they take turns). Go sets both words.
 */
#define LIBCIPC_WAIT_SLOTS 32
extern int libcipc_wait_stop[LIBCIPC_WAIT_SLOTS];
extern int libcipc_wait_queued;
int libcipc_sem_wait_loop(sem_t *sem, const libcipc_wait *w, int64_t slice_ns, int slot);

/* Reads the first byte of a mapping through the kernel (process_vm_readv on
 * ourselves): returns 0 when it is backed, -EFAULT when touching it would fault
 * (SIGBUS/SIGSEGV), so a caller can refuse instead of crashing. */
int libcipc_probe_readable(const void *addr, size_t len);

/* ---- shm: shm_overview(7), shm_open(3), mmap(2) ----------------------------- */

/* shm_open(name, oflag, mode); returns the fd or -errno. */
int libcipc_shm_open(const char *name, int oflag, unsigned mode);
int libcipc_shm_unlink(const char *name);
int libcipc_ftruncate(int fd, int64_t length);
int libcipc_close(int fd);
/* mmap(NULL, length, prot, flags, fd, offset). */
libcipc_ptr libcipc_mmap(size_t length, int prot, int flags, int fd, int64_t offset);
int libcipc_munmap(void *addr, size_t length);
/* fstat(2): out = {size, mode, uid, gid}. */
int libcipc_fstat(int fd, int64_t out[4]);
int libcipc_msync(void *addr, size_t length, int flags);
int libcipc_mprotect(void *addr, size_t length, int prot);
/* madvise(2); a libc call (glibc's madvise is the system call). */
int libcipc_madvise(void *addr, size_t length, int advice);
/* mremap(2) without a new address; the new address or err. */
libcipc_ptr libcipc_mremap(void *addr, size_t old_length, size_t new_length, int flags);
int libcipc_mlock(const void *addr, size_t length);
int libcipc_munlock(const void *addr, size_t length);
/* mincore(2): one byte per page into vec. */
int libcipc_mincore(void *addr, size_t length, unsigned char *vec);

/* ---- memory introspection: sysconf(3), mallinfo2(3), malloc_trim(3), mallopt(3) */

/* sysconf(name): *value gets the result; returns 0, or -errno (EINVAL for an
 * unknown name). A limit sysconf calls indeterminate is -1 with 0 returned. */
int libcipc_sysconf(int name, long *value);
/* mallinfo2 (mallinfo on glibc < 2.33, its int fields widened):
 * out = {arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks,
 * fordblks, keepcost}. */
void libcipc_mallinfo(uint64_t out[10]);
int libcipc_malloc_trim(size_t pad);
/* mallopt: 1 on success, 0 on error (mallopt sets no errno). */
int libcipc_mallopt(int param, int value);

/* ---- mq: mq_overview(7), mq_open(3), mq_send(3), mq_receive(3), mq_notify(3) -- */

#define LIBCIPC_MQ_PRIO_MAX MQ_PRIO_MAX

/* mq_open(name, oflag, mode, attr): attr = {maxmsg, msgsize} when has_attr, else
 * NULL. Returns the descriptor or -errno. */
int libcipc_mq_open(const char *name, int oflag, unsigned mode, int has_attr, long maxmsg, long msgsize);
int libcipc_mq_close(int mqd);
int libcipc_mq_unlink(const char *name);
/* mq_send on the (non-blocking) descriptor. */
int libcipc_mq_send(int mqd, const char *msg, size_t len, unsigned prio);
/* mq_receive on the (non-blocking) descriptor: the length received or -errno;
 * the priority goes to *prio. */
long libcipc_mq_receive(int mqd, char *buf, size_t len, unsigned *prio);
/* mq_getattr: out = {flags, maxmsg, msgsize, curmsgs}. */
int libcipc_mq_getattr(int mqd, long out[4]);
/* mq_setattr({flags}), old attributes into out as above. */
int libcipc_mq_setattr(int mqd, long flags, long out[4]);
/* mq_notify with SIGEV_THREAD: glibc's helper thread runs a trampoline that calls
 * the Go export libcipcMQNotified(id). */
int libcipc_mq_notify_thread(int mqd, uintptr_t id);
/* mq_notify with SIGEV_SIGNAL: signal sig with sigev_value.sival_ptr = value. */
int libcipc_mq_notify_signal(int mqd, int sig, uintptr_t value);
/* mq_notify(mqd, NULL): drop this process's registration. */
int libcipc_mq_notify_cancel(int mqd);

/* ---- signal: sigaction(2) with SA_SIGINFO, a handler that keeps siginfo ----- */

/* What the handler writes to the receiver's pipe for each signal: 32 bytes,
 * written with one write(2) (atomic: less than PIPE_BUF). */
typedef struct {
	int32_t signo;
	int32_t code;   /* si_code: SI_QUEUE, SI_MESGQ, SI_USER, ... */
	int32_t pid;    /* si_pid */
	uint32_t uid;   /* si_uid */
	uint64_t value; /* si_value.sival_ptr */
	uint64_t reserved;
} libcipc_siginfo;

#define LIBCIPC_SIZEOF_SIGACTION ((int)sizeof(struct sigaction))

/* Installs, with sigaction(2), a SA_SIGINFO|SA_ONSTACK|SA_RESTART handler for sig
 * that writes a libcipc_siginfo to wfd (non-blocking: a full pipe drops the record
 * and counts it). The previous action is saved into old (LIBCIPC_SIZEOF_SIGACTION
 * bytes). */
int libcipc_sigrecv_install(int sig, int wfd, void *old);
/* Restores the action saved by libcipc_sigrecv_install, then waits until no
 * handler still running on another thread can write to the pipe. */
int libcipc_sigrecv_restore(int sig, const void *old);
/* Records dropped for sig because the pipe was full, since install. */
uint64_t libcipc_sigrecv_dropped(int sig);

/* ---- thread: gettid(2), pthread_self(3), pthread_key_create(3), pthread_once(3),
 * __thread (the gcc extension) -------------------------------------------- */

#include <pthread.h>

pid_t libcipc_gettid(void);
pid_t libcipc_getpid(void);
pid_t libcipc_getppid(void);
uint64_t libcipc_pthread_self(void);

/*
 * pthread_key_create with a C destructor found by name with dlsym(RTLD_DEFAULT,
 * dtor) ("free", or any function of the process with the signature void(void *));
 * dtor NULL or "" means none. Returns 0 and the key in *key, -ENOENT when the name
 * is not found, or -errno from pthread_key_create (EAGAIN: PTHREAD_KEYS_MAX).
 */
int libcipc_key_create_c(const char *dtor, unsigned *key);
/*
 * pthread_key_create whose destructor is trampoline number slot
 * (0..LIBCIPC_GO_DTORS-1): on thread exit it writes a libcipc_dtor_rec {slot,
 * gen, value} to the pipe libcipc_dtor_fd with one write(2) (blocking: the Go
 * side reads it), where gen is libcipc_dtor_gen[slot] at that moment.
 */
#define LIBCIPC_GO_DTORS 64
typedef struct {
	uint32_t slot;
	uint32_t gen;
	uint64_t value;
} libcipc_dtor_rec;
extern int libcipc_dtor_fd;
extern uint32_t libcipc_dtor_gen[LIBCIPC_GO_DTORS];
int libcipc_key_create_go(int slot, unsigned *key);
int libcipc_key_delete(unsigned key);
int libcipc_setspecific(unsigned key, uintptr_t value);
uintptr_t libcipc_getspecific(unsigned key);
/* Calls the C destructor named dtor (as libcipc_key_create_c found it) on value:
 * for clearing a thread's values before it is handed back to the Go scheduler. */
int libcipc_call_dtor(const char *dtor, uintptr_t value);

/* pthread_once(once, f) where f calls the exported Go function libcipcOnceCall
 * with arg (a runtime/cgo.Handle), on the calling thread. */
int libcipc_once(pthread_once_t *once, uintptr_t arg);
libcipc_ptr libcipc_once_new(void);
void libcipc_free(void *p);

/* A fixed pool of __thread variables: slot i of the calling thread holds a value
 * tagged with the generation of the ThreadVar that owns the slot; a value of
 * another generation reads as 0 (a fresh variable starts at 0 in every thread). */
#define LIBCIPC_TLS_SLOTS 64
uint64_t libcipc_tls_get(int slot, uint64_t gen);
void libcipc_tls_set(int slot, uint64_t gen, uint64_t value);
uint64_t libcipc_tls_add(int slot, uint64_t gen, uint64_t delta);
/* Zeroes every slot of the calling thread. */
int libcipc_tls_clear(void);

/* ---- sync: pthread_mutex_init(3), pthread_cond_init(3), pthread_rwlock_init(3),
 * pthread_barrier_init(3), pthread_spin_init(3) ------------------------------- */

#define LIBCIPC_SIZEOF_MUTEX ((int)sizeof(pthread_mutex_t))
#define LIBCIPC_SIZEOF_COND ((int)sizeof(pthread_cond_t))
#define LIBCIPC_SIZEOF_RWLOCK ((int)sizeof(pthread_rwlock_t))
#define LIBCIPC_SIZEOF_BARRIER ((int)sizeof(pthread_barrier_t))
#define LIBCIPC_SIZEOF_SPIN ((int)sizeof(pthread_spinlock_t))
#define LIBCIPC_ALIGNOF_SYNC ((int)_Alignof(pthread_mutex_t))

/* Mutex attributes, applied with the pthread_mutexattr_set* calls. */
typedef struct {
	int32_t type;        /* PTHREAD_MUTEX_NORMAL, _RECURSIVE, _ERRORCHECK, _DEFAULT */
	int32_t robust;      /* PTHREAD_MUTEX_STALLED or PTHREAD_MUTEX_ROBUST */
	int32_t pshared;     /* PTHREAD_PROCESS_PRIVATE or PTHREAD_PROCESS_SHARED */
	int32_t protocol;    /* PTHREAD_PRIO_NONE, _INHERIT, _PROTECT */
	int32_t prioceiling; /* with PTHREAD_PRIO_PROTECT */
	int32_t set;         /* bit 0: set prioceiling */
} libcipc_mutexattr;

/* pthread_mutexattr_init, the set calls, pthread_mutex_init, attr destroy. For a
 * mutex inside a mapping, the bytes are probed first (-EFAULT past the object). */
int libcipc_mutex_init(pthread_mutex_t *m, const libcipc_mutexattr *a);
/* malloc + libcipc_mutex_init; free on failure. */
libcipc_ptr libcipc_mutex_new(const libcipc_mutexattr *a);
int libcipc_mutex_destroy(pthread_mutex_t *m);
/* pthread_mutex_destroy + free. A locked mutex (any kind) is neither destroyed
 * nor freed: -EBUSY (a robust one is still on its owner's robust list). */
int libcipc_mutex_free(pthread_mutex_t *m);
int libcipc_mutex_trylock(pthread_mutex_t *m);
/* pthread_mutex_trylock; on EBUSY a LIBCIPC_WAIT_REL deadline is fixed (as
 * libcipc_sem_wait_begin). -EOWNERDEAD means the lock is held. */
int libcipc_mutex_lock_begin(pthread_mutex_t *m, libcipc_wait *w);
/* pthread_mutex_clocklock in slices, as libcipc_sem_wait_loop. */
int libcipc_mutex_lock_loop(pthread_mutex_t *m, const libcipc_wait *w, int64_t slice_ns, int slot);
/* pthread_mutex_unlock: 0 when the calling thread was the owner, 1 when the
 * unlock succeeded but another thread owned it (a normal mutex does not check),
 * or -errno (EPERM for a checked type not owned). */
int libcipc_mutex_unlock(pthread_mutex_t *m);
int libcipc_mutex_consistent(pthread_mutex_t *m);

/* pthread_condattr_setpshared + setclock, pthread_cond_init (probed in a mapping). */
int libcipc_cond_init(pthread_cond_t *c, int pshared, int clock);
libcipc_ptr libcipc_cond_new(int pshared, int clock);
int libcipc_cond_destroy(pthread_cond_t *c);
int libcipc_cond_free(pthread_cond_t *c);
/* The clock a pthread_cond_timedwait on c measures its deadline on. */
int libcipc_cond_clock(const pthread_cond_t *c);
int libcipc_cond_signal(pthread_cond_t *c);
int libcipc_cond_broadcast(pthread_cond_t *c);
/*
 * One condition wait, not sliced (a sliced wait could miss a signal between
 * slices): LIBCIPC_WAIT_FOREVER pthread_cond_wait; LIBCIPC_WAIT_ABS with clock -1
 * pthread_cond_timedwait (the cond's own clock), otherwise pthread_cond_clockwait;
 * LIBCIPC_WAIT_REL a CLOCK_MONOTONIC deadline fixed now. Returns 0 or -errno
 * (-ETIMEDOUT, -EOWNERDEAD with the mutex held, -EPERM, -EINVAL).
 */
int libcipc_cond_wait(pthread_cond_t *c, pthread_mutex_t *m, libcipc_wait *w);

/* pthread_rwlockattr_setpshared + setkind_np, pthread_rwlock_init. */
int libcipc_rwlock_init(pthread_rwlock_t *l, int pshared, int kind);
libcipc_ptr libcipc_rwlock_new(int pshared, int kind);
int libcipc_rwlock_destroy(pthread_rwlock_t *l);
int libcipc_rwlock_free(pthread_rwlock_t *l);
int libcipc_rwlock_tryrdlock(pthread_rwlock_t *l);
int libcipc_rwlock_trywrlock(pthread_rwlock_t *l);
int libcipc_rwlock_rd_begin(pthread_rwlock_t *l, libcipc_wait *w);
int libcipc_rwlock_wr_begin(pthread_rwlock_t *l, libcipc_wait *w);
int libcipc_rwlock_rd_loop(pthread_rwlock_t *l, const libcipc_wait *w, int64_t slice_ns, int slot);
int libcipc_rwlock_wr_loop(pthread_rwlock_t *l, const libcipc_wait *w, int64_t slice_ns, int slot);
/* pthread_rwlock_unlock: 0 when the calling thread held it for writing, 1 when
 * it released a read lock, or -errno; -EPERM without calling libc when another
 * thread holds it for writing (glibc would count it as a reader's unlock). */
int libcipc_rwlock_unlock(pthread_rwlock_t *l);

int libcipc_barrier_init(pthread_barrier_t *b, unsigned count, int pshared);
libcipc_ptr libcipc_barrier_new(unsigned count, int pshared);
int libcipc_barrier_destroy(pthread_barrier_t *b);
int libcipc_barrier_free(pthread_barrier_t *b);
/* pthread_barrier_wait: 1 for PTHREAD_BARRIER_SERIAL_THREAD, 0 for the others,
 * or -errno. */
int libcipc_barrier_wait(pthread_barrier_t *b);

int libcipc_spin_init(pthread_spinlock_t *s, int pshared);
libcipc_ptr libcipc_spin_new(int pshared);
int libcipc_spin_destroy(pthread_spinlock_t *s);
int libcipc_spin_free(pthread_spinlock_t *s);
int libcipc_spin_trylock(pthread_spinlock_t *s);
/* pthread_spin_trylock up to tries times (spinning in between): 0 or -EBUSY. */
int libcipc_spin_lock_bounded(pthread_spinlock_t *s, int tries);
int libcipc_spin_unlock(pthread_spinlock_t *s);


/* ---- file: flock(2), lockf(3), fcntl(2) record and OFD locks, pread(2),
 * pwrite(2), fsync(2), sync(2), pipe2(2), mkfifo(3) -------------------------- */

/* One lock request, as the Go side builds it: kind says which call, cmd its
 * command (F_SETLK, F_OFD_SETLK, F_GETLK, F_OFD_GETLK for fcntl; the flock(2)
 * operation; the lockf(3) command), and for fcntl the struct flock fields
 * (copied into a real struct flock, written back by the GETLK commands). */
#define LIBCIPC_LOCK_FCNTL 0
#define LIBCIPC_LOCK_FLOCK 1
#define LIBCIPC_LOCK_LOCKF 2
typedef struct {
	int32_t fd;
	int32_t kind;
	int32_t cmd;
	int16_t type;   /* l_type */
	int16_t whence; /* l_whence */
	int64_t start;  /* l_start */
	int64_t len;    /* l_len; lockf's len */
	int32_t pid;    /* l_pid */
	int32_t pad;
} libcipc_lockreq;

/* The call exactly as described: fcntl(fd, cmd, &fl), flock(fd, cmd) or
 * lockf(fd, cmd, len); for GETLK the result is written back into r. */
int libcipc_lock(libcipc_lockreq *r);
/*
 * The first crossing of a blocking lock: the non-blocking form (F_SETLK /
 * F_OFD_SETLK for a fcntl request whose cmd is the blocking one, flock with
 * LOCK_NB, lockf F_TLOCK); "held by another" (EAGAIN, EACCES, EWOULDBLOCK) is
 * returned as -EAGAIN, and then a LIBCIPC_WAIT_REL deadline is fixed.
 */
int libcipc_lock_wait_begin(libcipc_lockreq *r, libcipc_wait *w);
/*
 * The blocking call itself (F_SETLKW, F_OFD_SETLKW, flock without LOCK_NB,
 * lockf F_LOCK), in slices as libcipc_sem_wait_loop: these calls have no
 * timed form and the kernel restarts them after a SA_RESTART handler (Go's),
 * so each slice arms a POSIX timer (timer_create, SIGEV_THREAD_ID: this thread)
 * at the slice's end, then every millisecond, on signal libcipc_lock_signal,
 * whose handler (installed by libcipc_lock_signal_install, without SA_RESTART)
 * does nothing: the call fails with EINTR and the loop looks at the stop
 * word, the queue and the deadline. The timer is deleted before return, so
 * its signal never reaches the thread outside this shim. Deadlock detection
 * (EDEADLK) is the kernel's, as for a plain F_SETLKW.
 */
int libcipc_lock_wait_loop(libcipc_lockreq *r, const libcipc_wait *w, int64_t slice_ns, int slot);
/* sigaction(sig) with an empty SA_ONSTACK handler (no SA_RESTART) for the
 * lock waits' timer; the previous action is not kept (the signal is reserved
 * for the process's lifetime). */
int libcipc_lock_signal_install(int sig);

long libcipc_pread(int fd, void *buf, size_t n, int64_t off);
long libcipc_pwrite(int fd, const void *buf, size_t n, int64_t off);
int libcipc_fsync(int fd);
int libcipc_fdatasync(int fd);
int libcipc_sync(void); /* sync(); returns 0 */
/* pipe2(fds, flags). */
int libcipc_pipe2(int fds[2], int flags);
int libcipc_mkfifo(const char *path, unsigned mode);

/* ---- proc: posix_spawn(3), waitpid(2), setpgid(2), getsid(2), system(3),
 * kill(2), killpg(3), sigqueue(3), alarm(2), setitimer(2), pthread_sigmask(3) */

/*
 * posix_spawn (or posix_spawnp when d->search) from a flat description:
 * strings is every string NUL-terminated one after another (the path, then
 * the argc arguments, then the envc environment entries, then the paths of
 * the open actions in order); envc -1 means the caller's environ. acts holds
 * nacts actions of 5 int64s {op, fd, newfd_or_oflag, mode, 0}: op 0 open(fd,
 * path, oflag, mode), 1 close(fd), 2 dup2(fd, newfd). The argv and envp
 * pointer arrays are built on the stack (malloc beyond 256 entries) and point
 * into strings, which posix_spawn only reads before it returns.
 * Returns the child's pid or -errno.
 */
#define LIBCIPC_SPAWN_OPEN 0
#define LIBCIPC_SPAWN_CLOSE 1
#define LIBCIPC_SPAWN_DUP2 2
typedef struct {
	int32_t search;  /* posix_spawnp */
	int32_t flags;   /* POSIX_SPAWN_* for posix_spawnattr_setflags */
	int32_t pgroup;  /* with POSIX_SPAWN_SETPGROUP */
	int32_t argc;
	int32_t envc;    /* -1: environ */
	int32_t nacts;
	uint64_t sigmask;    /* bit n-1 = signal n, with POSIX_SPAWN_SETSIGMASK */
	uint64_t sigdefault; /* with POSIX_SPAWN_SETSIGDEF */
} libcipc_spawn;
int libcipc_spawn_run(const libcipc_spawn *d, const char *strings, const int64_t *acts);

/* waitpid(pid, &status, options): the pid (0 with WNOHANG and no change), the
 * status in *status, or -errno. */
int libcipc_waitpid(int pid, int *status, int options);
int libcipc_getpgrp(void);
int libcipc_setpgid(int pid, int pgid);
int libcipc_getsid(int pid);
/* system(cmd): its result (a wait status, or -1 with errno: -errno). */
int libcipc_system(const char *cmd, int *status);
int libcipc_kill(int pid, int sig);
int libcipc_killpg(int pgrp, int sig);
int libcipc_sigqueue(int pid, int sig, uintptr_t value);
unsigned libcipc_alarm(unsigned sec);
/* setitimer(which, {interval, value}, &old) with times in microseconds;
 * io = {interval, value} in, old values out. */
int libcipc_setitimer(int which, int64_t io[2]);
int libcipc_getitimer(int which, int64_t out[2]);
/* pthread_sigmask(how, set, &old) with sets as 64-bit masks (bit n-1 =
 * signal n); has_set 0 passes NULL (query). */
int libcipc_pthread_sigmask(int how, int has_set, uint64_t set, uint64_t *old);

/* ---- sysv: svipc(7), semget(2), semop(2), shmget(2), shmat(2), msgget(2) ---- */

/*
 * System V IPC (sysvipc(7)). Structures are glibc's own (struct sembuf,
 * semid_ds, shmid_ds, msqid_ds, from <sys/sem.h>, <sys/shm.h>, <sys/msg.h>,
 * which sysv.c includes); the Go side mirrors them and checks sizes and
 * offsets at compile time. Pointers to them are void * here so that this
 * header does not pull the System V headers into every shim.
 *
 * Blocking calls (semop, semtimedop, msgsnd, msgrcv without IPC_NOWAIT) are a
 * non-blocking first try (one crossing, no slot), then a *_wait shim that blocks
 * in the kernel in one of the LIBCIPC_WAIT_SLOTS process slots. The wait stores
 * its thread id in libcipc_sysv_tid[slot]; to stop it (cancellation, or a slot
 * wanted by queued waits) Go sets libcipc_wait_stop[slot] and sends SIGURG to
 * that thread: System V calls are never restarted after a handler (signal(7)),
 * so the call returns EINTR and the shim returns LIBCIPC_SYSV_STOPPED (not an
 * errno, and never a length). Any other EINTR (a signal the wait did not ask
 * for) is retried, against the same deadline for semtimedop.
 */
#define LIBCIPC_SYSV_STOPPED (-100000)
extern int libcipc_sysv_tid[LIBCIPC_WAIT_SLOTS];

/* ftok(path, id) into *key; 0 or -errno (key_t may be any int, -1 included). */
int libcipc_ftok(const char *path, int id, int32_t *key);

#define LIBCIPC_SEMOP_FAST 64 /* operations copied for the non-blocking first try */
int libcipc_semget(int32_t key, int nsems, int flags);
/* semop(id, ops, n) exactly as given (every op has IPC_NOWAIT: it never blocks). */
int libcipc_semop(int id, void *ops, size_t n);
/*
 * The first try of a blocking semop: the n operations copied (on the stack up
 * to LIBCIPC_SEMOP_FAST, else malloc'd) with IPC_NOWAIT added, one semop; -EAGAIN means some operation would
 * block (or an IPC_NOWAIT one of the caller's: the wait finds out). A
 * LIBCIPC_WAIT_REL duration in w becomes an absolute CLOCK_MONOTONIC deadline
 * first (when the call starts, as semtimedop's relative timeout).
 */
int libcipc_semop_begin(int id, const void *ops, size_t n, libcipc_wait *w);
/* semop (w->mode LIBCIPC_WAIT_FOREVER) or semtimedop with the time left until
 * the CLOCK_MONOTONIC deadline in w (EAGAIN once it passed, as semtimedop):
 * 0, -errno, or LIBCIPC_SYSV_STOPPED. */
int libcipc_semop_wait(int id, void *ops, size_t n, const libcipc_wait *w, int slot);
/* semctl with an int argument (GETVAL, SETVAL, GETPID, GETNCNT, GETZCNT,
 * IPC_RMID): semctl's result or -errno. */
int libcipc_semctl(int id, int num, int cmd, int val);
/* semctl(id, 0, cmd, buf) with a struct semid_ds * (IPC_STAT, IPC_SET). */
int libcipc_semctl_ds(int id, int cmd, void *buf);
/* GETALL/SETALL into/from vals[n]: first semctl(IPC_STAT) for sem_nsems, so
 * that the kernel never writes or reads past vals; returns 0, -errno, or
 * sem_nsems (> 0) when n is smaller and nothing was done. */
int libcipc_semctl_all(int id, int cmd, unsigned short *vals, size_t n);

/* Messages up to this many bytes are staged in a stack buffer (struct msgbuf
 * needs mtype just before mtext); larger ones in malloc'd memory. */
#define LIBCIPC_MSG_STACK 8192
int libcipc_msgget(int32_t key, int flags);
/* msgsnd of {mtype, data[n]}. */
int libcipc_msgsnd(int id, long mtype, const void *data, size_t n, int flags);
/* msgrcv into a buffer of n bytes, text copied to buf: the length or -errno;
 * the message's type in *mtype. */
long libcipc_msgrcv(int id, void *buf, size_t n, long msgtyp, int flags, long *mtype);
/* Blocking forms (flags without IPC_NOWAIT), stopped as semop_wait. */
int libcipc_msgsnd_wait(int id, long mtype, const void *data, size_t n, int flags, int slot);
long libcipc_msgrcv_wait(int id, void *buf, size_t n, long msgtyp, int flags, long *mtype, int slot);
/* msgctl(id, cmd, buf) with a struct msqid_ds * (IPC_STAT, IPC_SET, IPC_RMID). */
int libcipc_msgctl(int id, int cmd, void *buf);

int libcipc_shmget(int32_t key, size_t size, int flags);
/* shmat(id, NULL, flags), then shmctl(IPC_STAT) (stated helper) for the
 * segment's size into *size; a failed IPC_STAT detaches and reports its errno. */
libcipc_ptr libcipc_shmat(int id, int flags, uint64_t *size);
int libcipc_shmdt(const void *addr);
/* shmctl(id, cmd, buf) with a struct shmid_ds * (IPC_STAT, IPC_SET, IPC_RMID,
 * SHM_LOCK, SHM_UNLOCK). */
int libcipc_shmctl(int id, int cmd, void *buf);

#endif /* LIBCIPC_H */
