/* sync.c - pthread synchronisation objects: pthread_mutex_init(3),
 * pthread_cond_init(3), pthread_rwlock_init(3), pthread_barrier_init(3),
 * pthread_spin_init(3). The pthread functions return an error number instead of
 * setting errno; each shim returns >= 0 or -errno (see include/libcipc.h). */
#include "../include/libcipc.h"
#include "../include/libcipc_wait.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The calling thread's id, cached: the unlock shims compare it with the owner
 * glibc records in the object, to tell the Go side whether to unpin. */
static __thread pid_t self_tid;

static inline pid_t tid(void)
{
	if (self_tid == 0)
		self_tid = gettid();
	return self_tid;
}

/* A forked child's thread has a new id. */
static void reset_tid(void)
{
	self_tid = 0;
}

__attribute__((constructor)) static void sync_init(void)
{
	pthread_atfork(NULL, NULL, reset_tid);
}

/* malloc'd object of size n, initialised by init(p, ...) or freed. */
#define NEW_OBJ(type, init_call)                 \
	libcipc_ptr r = {0, 0};                  \
	type *p = malloc(sizeof *p);             \
	if (p == NULL) {                         \
		r.err = ENOMEM;                  \
		return r;                        \
	}                                        \
	int rc = init_call;                      \
	if (rc != 0) {                           \
		free((void *)p);                 \
		r.err = -rc;                     \
		return r;                        \
	}                                        \
	r.ptr = (void *)p;                       \
	return r;

/* ---- mutex ------------------------------------------------------------------- */

static int mutex_init(pthread_mutex_t *m, const libcipc_mutexattr *a)
{
	pthread_mutexattr_t attr;
	int rc = pthread_mutexattr_init(&attr);
	if (rc != 0)
		return -rc;
	if ((rc = pthread_mutexattr_settype(&attr, a->type)) != 0 ||
	    (rc = pthread_mutexattr_setrobust(&attr, a->robust)) != 0 ||
	    (rc = pthread_mutexattr_setpshared(&attr, a->pshared)) != 0 ||
	    (rc = pthread_mutexattr_setprotocol(&attr, a->protocol)) != 0 ||
	    ((a->set & 1) && (rc = pthread_mutexattr_setprioceiling(&attr, a->prioceiling)) != 0) ||
	    (rc = pthread_mutex_init(m, &attr)) != 0) {
		pthread_mutexattr_destroy(&attr);
		return -rc;
	}
	pthread_mutexattr_destroy(&attr);
	return 0;
}

int libcipc_mutex_init(pthread_mutex_t *m, const libcipc_mutexattr *a)
{
	int rc = libcipc_probe_readable(m, sizeof *m);
	return rc != 0 ? rc : mutex_init(m, a);
}

libcipc_ptr libcipc_mutex_new(const libcipc_mutexattr *a)
{
	NEW_OBJ(pthread_mutex_t, mutex_init(p, a))
}

/*
 * glibc 2.36's pthread_mutex_destroy says EBUSY for a locked mutex only when it
 * is not robust; a locked robust mutex is "destroyed" while it is still on its
 * owner thread's robust list, and glibc (and the kernel, at thread exit) go on
 * writing through that list into the memory. So a locked mutex of any kind is
 * neither destroyed nor freed: -EBUSY, and a heap mutex is left allocated (40
 * bytes) for the list to point into.
 */
static int mutex_busy(pthread_mutex_t *m)
{
	return __atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE) != 0;
}

int libcipc_mutex_destroy(pthread_mutex_t *m)
{
	LIBCIPC_RETURN_GUARDED(m, -(mutex_busy(m) ? EBUSY : pthread_mutex_destroy(m)));
}

int libcipc_mutex_free(pthread_mutex_t *m)
{
	if (mutex_busy(m))
		return -EBUSY;
	int rc = pthread_mutex_destroy(m);
	free(m);
	return -rc;
}

/*
 * pthread_mutex_trylock. glibc 2.36 answers ENOTRECOVERABLE for a robust mutex
 * made unrecoverable (unlocked after EOWNERDEAD without
 * pthread_mutex_consistent) but leaves the lock word holding the caller's tid,
 * so every later lock times out (pthread_mutex_lock releases it: the trylock
 * path only does when the caller held it before). Release it the way
 * pthread_mutex_lock does: the word back to 0, one waiter woken (a robust
 * mutex's futex is always shared). Not for PI mutexes, whose word the kernel
 * owns. See docs/SEMANTICS.md.
 */
static int mutex_try(void *p)
{
	pthread_mutex_t *m = p;
	int rc = pthread_mutex_trylock(m);
	if (rc == ENOTRECOVERABLE && (m->__data.__kind & 0x10 /* robust */) &&
	    !(m->__data.__kind & 0x20 /* PI */) &&
	    (__atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE) & FUTEX_TID_MASK) == tid()) {
		__atomic_store_n(&m->__data.__lock, 0, __ATOMIC_RELEASE);
		syscall(SYS_futex, &m->__data.__lock, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
	return rc;
}

/*
 * The lock, unlock and consistent calls on a mutex, spin lock or rwlock run
 * under the fault guard (libcipc.h), as the semaphore calls do: a SIGBUS on the
 * object (a page of its mapping truncated away) returns -EFAULT. None of the
 * glibc 2.36 calls guarded here registers a cleanup handler (they are not
 * cancellation points), so no cleanup buffer is needed. A robust mutex's lock
 * sets the thread's robust_head.list_op_pending to the mutex before its first
 * access, and a fault leaves it there: the next robust lock or unlock of the
 * thread overwrites it, and the kernel's walk at thread exit reads the futex
 * word with get_user and skips an unreadable one.
 */
int libcipc_mutex_trylock(pthread_mutex_t *m)
{
	LIBCIPC_RETURN_GUARDED(m, -mutex_try(m));
}

static int mutex_attempt(void *m, clockid_t clock, const struct timespec *abs)
{
	return pthread_mutex_clocklock(m, clock, abs);
}

int libcipc_mutex_lock_begin(pthread_mutex_t *m, libcipc_wait *w)
{
	LIBCIPC_RETURN_GUARDED(m, libcipc_wait_begin_with(m, mutex_try, EBUSY, mutex_attempt, w));
}

int libcipc_mutex_lock_loop(pthread_mutex_t *m, const libcipc_wait *w, int64_t slice_ns, int slot)
{
	LIBCIPC_RETURN_GUARDED(m, libcipc_wait_loop_with(m, mutex_attempt, w, slice_ns, slot));
}

int libcipc_mutex_unlock(pthread_mutex_t *m)
{
	/* glibc records the owner's tid for every type (PTHREAD_MUTEX_INCONSISTENT
	 * after EOWNERDEAD, until pthread_mutex_consistent). Checked types refuse a
	 * non-owner with EPERM; a normal mutex unlocks whoever asks. A fault
	 * returns -EFAULT, which the Go side takes for "not unlocked". */
	LIBCIPC_GUARD(g, m, sizeof *m, return -EFAULT);
	int owner = m->__data.__owner;
	int rc = pthread_mutex_unlock(m);
	LIBCIPC_UNGUARD(g);
	if (rc != 0)
		return -rc;
	return owner == tid() || owner == 0x7fffffff /* PTHREAD_MUTEX_INCONSISTENT */ ? 0 : 1;
}

int libcipc_mutex_consistent(pthread_mutex_t *m)
{
	LIBCIPC_RETURN_GUARDED(m, -pthread_mutex_consistent(m));
}

/* ---- cond --------------------------------------------------------------------- */

static int cond_init(pthread_cond_t *c, int pshared, int clock)
{
	pthread_condattr_t attr;
	int rc = pthread_condattr_init(&attr);
	if (rc != 0)
		return -rc;
	if ((rc = pthread_condattr_setpshared(&attr, pshared)) != 0 ||
	    (rc = pthread_condattr_setclock(&attr, (clockid_t)clock)) != 0 ||
	    (rc = pthread_cond_init(c, &attr)) != 0) {
		pthread_condattr_destroy(&attr);
		return -rc;
	}
	pthread_condattr_destroy(&attr);
	return 0;
}

int libcipc_cond_init(pthread_cond_t *c, int pshared, int clock)
{
	int rc = libcipc_probe_readable(c, sizeof *c);
	return rc != 0 ? rc : cond_init(c, pshared, clock);
}

libcipc_ptr libcipc_cond_new(int pshared, int clock)
{
	NEW_OBJ(pthread_cond_t, cond_init(p, pshared, clock))
}

int libcipc_cond_destroy(pthread_cond_t *c)
{
	LIBCIPC_RETURN_GUARDED(c, -pthread_cond_destroy(c));
}

int libcipc_cond_free(pthread_cond_t *c)
{
	int rc = pthread_cond_destroy(c);
	free(c);
	return -rc;
}

int libcipc_cond_clock(const pthread_cond_t *c)
{
	/* glibc keeps the clock in bit 1 of __wrefs (pthread_cond_common.c). */
	return (__atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED) & 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

int libcipc_cond_signal(pthread_cond_t *c)
{
	return -pthread_cond_signal(c);
}

int libcipc_cond_broadcast(pthread_cond_t *c)
{
	return -pthread_cond_broadcast(c);
}

int libcipc_cond_wait(pthread_cond_t *c, pthread_mutex_t *m, libcipc_wait *w)
{
	libcipc_wait_fix(w);
	if (w->mode == LIBCIPC_WAIT_FOREVER)
		return -pthread_cond_wait(c, m);
	struct timespec abs = {.tv_sec = (time_t)w->sec, .tv_nsec = (long)w->nsec};
	if (w->clock == -1)
		return -pthread_cond_timedwait(c, m, &abs);
	return -pthread_cond_clockwait(c, m, (clockid_t)w->clock, &abs);
}

/* ---- rwlock ------------------------------------------------------------------- */

static int rwlock_init(pthread_rwlock_t *l, int pshared, int kind)
{
	pthread_rwlockattr_t attr;
	int rc = pthread_rwlockattr_init(&attr);
	if (rc != 0)
		return -rc;
	if ((rc = pthread_rwlockattr_setpshared(&attr, pshared)) != 0 ||
	    (rc = pthread_rwlockattr_setkind_np(&attr, kind)) != 0 ||
	    (rc = pthread_rwlock_init(l, &attr)) != 0) {
		pthread_rwlockattr_destroy(&attr);
		return -rc;
	}
	pthread_rwlockattr_destroy(&attr);
	return 0;
}

int libcipc_rwlock_init(pthread_rwlock_t *l, int pshared, int kind)
{
	int rc = libcipc_probe_readable(l, sizeof *l);
	return rc != 0 ? rc : rwlock_init(l, pshared, kind);
}

libcipc_ptr libcipc_rwlock_new(int pshared, int kind)
{
	NEW_OBJ(pthread_rwlock_t, rwlock_init(p, pshared, kind))
}

int libcipc_rwlock_destroy(pthread_rwlock_t *l)
{
	return -pthread_rwlock_destroy(l); /* touches nothing in glibc 2.36: unguarded */
}

int libcipc_rwlock_free(pthread_rwlock_t *l)
{
	int rc = pthread_rwlock_destroy(l);
	free(l);
	return -rc;
}

int libcipc_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	LIBCIPC_RETURN_GUARDED(l, -pthread_rwlock_tryrdlock(l));
}

int libcipc_rwlock_trywrlock(pthread_rwlock_t *l)
{
	LIBCIPC_RETURN_GUARDED(l, -pthread_rwlock_trywrlock(l));
}

static int rd_attempt(void *l, clockid_t clock, const struct timespec *abs)
{
	return pthread_rwlock_clockrdlock(l, clock, abs);
}

static int wr_attempt(void *l, clockid_t clock, const struct timespec *abs)
{
	return pthread_rwlock_clockwrlock(l, clock, abs);
}

static int rd_try(void *l)
{
	return pthread_rwlock_tryrdlock(l);
}

static int wr_try(void *l)
{
	return pthread_rwlock_trywrlock(l);
}

int libcipc_rwlock_rd_begin(pthread_rwlock_t *l, libcipc_wait *w)
{
	LIBCIPC_RETURN_GUARDED(l, libcipc_wait_begin_with(l, rd_try, EBUSY, rd_attempt, w));
}

int libcipc_rwlock_wr_begin(pthread_rwlock_t *l, libcipc_wait *w)
{
	LIBCIPC_RETURN_GUARDED(l, libcipc_wait_begin_with(l, wr_try, EBUSY, wr_attempt, w));
}

int libcipc_rwlock_rd_loop(pthread_rwlock_t *l, const libcipc_wait *w, int64_t slice_ns, int slot)
{
	LIBCIPC_RETURN_GUARDED(l, libcipc_wait_loop_with(l, rd_attempt, w, slice_ns, slot));
}

int libcipc_rwlock_wr_loop(pthread_rwlock_t *l, const libcipc_wait *w, int64_t slice_ns, int slot)
{
	LIBCIPC_RETURN_GUARDED(l, libcipc_wait_loop_with(l, wr_attempt, w, slice_ns, slot));
}

int libcipc_rwlock_unlock(pthread_rwlock_t *l)
{
	/* glibc records the writer's tid; readers are only counted. */
	LIBCIPC_GUARD(g, l, sizeof *l, return -EFAULT);
	int cur = __atomic_load_n(&l->__data.__cur_writer, __ATOMIC_ACQUIRE);
	if (cur != 0 && cur != tid()) {
		LIBCIPC_UNGUARD(g);
		return -EPERM; /* glibc would take it for a reader's unlock and corrupt the lock */
	}
	int writer = cur != 0;
	int rc = pthread_rwlock_unlock(l);
	LIBCIPC_UNGUARD(g);
	if (rc != 0)
		return -rc;
	return writer ? 0 : 1;
}

/* ---- barrier ------------------------------------------------------------------ */

static int barrier_init(pthread_barrier_t *b, unsigned count, int pshared)
{
	pthread_barrierattr_t attr;
	int rc = pthread_barrierattr_init(&attr);
	if (rc != 0)
		return -rc;
	if ((rc = pthread_barrierattr_setpshared(&attr, pshared)) != 0 ||
	    (rc = pthread_barrier_init(b, &attr, count)) != 0) {
		pthread_barrierattr_destroy(&attr);
		return -rc;
	}
	pthread_barrierattr_destroy(&attr);
	return 0;
}

int libcipc_barrier_init(pthread_barrier_t *b, unsigned count, int pshared)
{
	int rc = libcipc_probe_readable(b, sizeof *b);
	return rc != 0 ? rc : barrier_init(b, count, pshared);
}

libcipc_ptr libcipc_barrier_new(unsigned count, int pshared)
{
	NEW_OBJ(pthread_barrier_t, barrier_init(p, count, pshared))
}

int libcipc_barrier_destroy(pthread_barrier_t *b)
{
	LIBCIPC_RETURN_GUARDED(b, -pthread_barrier_destroy(b));
}

int libcipc_barrier_free(pthread_barrier_t *b)
{
	int rc = pthread_barrier_destroy(b);
	free(b);
	return -rc;
}

int libcipc_barrier_wait(pthread_barrier_t *b)
{
	int rc = pthread_barrier_wait(b);
	if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
		return 1;
	return -rc;
}

/* ---- spin --------------------------------------------------------------------- */

int libcipc_spin_init(pthread_spinlock_t *s, int pshared)
{
	int rc = libcipc_probe_readable((const void *)s, sizeof *s);
	return rc != 0 ? rc : -pthread_spin_init(s, pshared);
}

libcipc_ptr libcipc_spin_new(int pshared)
{
	NEW_OBJ(pthread_spinlock_t, -pthread_spin_init(p, pshared))
}

int libcipc_spin_destroy(pthread_spinlock_t *s)
{
	return -pthread_spin_destroy(s); /* touches nothing in glibc 2.36: unguarded */
}

int libcipc_spin_free(pthread_spinlock_t *s)
{
	int rc = pthread_spin_destroy(s);
	free((void *)s);
	return -rc;
}

int libcipc_spin_trylock(pthread_spinlock_t *s)
{
	LIBCIPC_RETURN_GUARDED(s, -pthread_spin_trylock(s));
}

int libcipc_spin_lock_bounded(pthread_spinlock_t *s, int tries)
{
	LIBCIPC_GUARD(g, s, sizeof *s, return -EFAULT);
	int rc = EBUSY;
	for (int i = 0; i < tries && rc == EBUSY; i++) {
		rc = pthread_spin_trylock(s);
#if defined(__x86_64__) || defined(__i386__)
		if (rc == EBUSY)
			__builtin_ia32_pause();
#endif
	}
	LIBCIPC_UNGUARD(g);
	return -rc;
}

int libcipc_spin_unlock(pthread_spinlock_t *s)
{
	LIBCIPC_RETURN_GUARDED(s, -pthread_spin_unlock(s));
}
