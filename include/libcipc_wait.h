/*
 * libcipc_wait.h - the bounded, sliced blocking wait every blocking shim shares
 * (DESIGN.md section 4): sem_clockwait, pthread_mutex_clocklock,
 * pthread_rwlock_clock{rd,wr}lock. Static inline, included by the shims' .c
 * files only; the Go side never sees it.
 */
#ifndef LIBCIPC_WAIT_H
#define LIBCIPC_WAIT_H

#include "libcipc.h"

#include <errno.h>
#include <stdint.h>
#include <time.h>

/* One bounded attempt: block on obj until it is taken (return 0), the absolute
 * deadline abs on clock passes (ETIMEDOUT) or another error (an errno value,
 * positive). EINTR is retried by the caller against the same deadline. */
typedef int (*libcipc_attempt)(void *obj, clockid_t clock, const struct timespec *abs);

static inline int64_t libcipc_ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* Whether the absolute deadline abs is at most slice_ns after now, without
 * overflowing for far-away deadlines (any tv_sec a caller may pass). */
static inline int libcipc_due_within(const struct timespec *abs, const struct timespec *now, int64_t slice_ns)
{
	int64_t ds;
	if (__builtin_sub_overflow((int64_t)abs->tv_sec, (int64_t)now->tv_sec, &ds))
		return abs->tv_sec < 0;
	if (ds > slice_ns / 1000000000 + 1)
		return 0;
	if (ds < -1)
		return 1;
	return ds * 1000000000 + (abs->tv_nsec - now->tv_nsec) <= slice_ns;
}

/* A LIBCIPC_WAIT_REL duration becomes an absolute CLOCK_MONOTONIC deadline
 * (mode LIBCIPC_WAIT_ABS), so the deadline is fixed when the call starts. w holds
 * a Go time.Duration split in seconds and nanoseconds: it fits in int64
 * nanoseconds; saturate instead of overflowing. */
static inline void libcipc_wait_fix(libcipc_wait *w)
{
	if (w->mode != LIBCIPC_WAIT_REL)
		return;
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	int64_t d = w->sec * 1000000000 + w->nsec;
	int64_t abs;
	if (d < 0)
		d = 0;
	if (__builtin_add_overflow(libcipc_ts_ns(&mono), d, &abs))
		abs = INT64_MAX;
	w->sec = abs / 1000000000;
	w->nsec = abs % 1000000000;
	w->clock = CLOCK_MONOTONIC;
	w->mode = LIBCIPC_WAIT_ABS;
}

static inline int libcipc_attempt_eintr(void *obj, libcipc_attempt f, clockid_t clock, const struct timespec *abs);

/* Whether libc accepts w's absolute deadline (clock and tv_nsec). */
static inline int libcipc_wait_valid(const libcipc_wait *w)
{
	return w->mode != LIBCIPC_WAIT_ABS ||
	       ((w->clock == CLOCK_MONOTONIC || w->clock == CLOCK_REALTIME) &&
		w->nsec >= 0 && w->nsec < 1000000000);
}

/*
 * The first crossing of a blocking wait: when w is an absolute deadline libc
 * rejects, the libc call itself is made once (it never blocks then: it answers
 * EINVAL, or takes a free object, exactly as the caller's libc would decide);
 * otherwise try() once, and when it says busy a relative deadline is fixed.
 * Returns 0, -errno, or -busy (go on with slices).
 */
static inline int libcipc_wait_begin_with(void *obj, int (*try)(void *), int busy, libcipc_attempt f, libcipc_wait *w)
{
	if (!libcipc_wait_valid(w)) {
		struct timespec abs = {.tv_sec = (time_t)w->sec, .tv_nsec = (long)w->nsec};
		return -libcipc_attempt_eintr(obj, f, (clockid_t)w->clock, &abs);
	}
	int rc = try(obj);
	if (rc == busy)
		libcipc_wait_fix(w);
	return -rc;
}

static inline int libcipc_attempt_eintr(void *obj, libcipc_attempt f, clockid_t clock, const struct timespec *abs)
{
	int rc;
	while ((rc = f(obj, clock, abs)) == EINTR)
		;
	return rc;
}

/*
 * One piece of a wait: f for at most slice_ns (on CLOCK_MONOTONIC) or until the
 * caller's deadline, whichever is first; when the deadline is within the slice it
 * waits on the caller's own clock and deadline, exactly as the libc call would.
 * A clock or tv_nsec libc rejects goes straight to f, which says EINVAL without
 * blocking. Returns 0 (taken), LIBCIPC_WAIT_SLICE (the slice ended first) or
 * -errno (-ETIMEDOUT: the caller's deadline passed).
 */
static inline int libcipc_wait_slice_with(void *obj, libcipc_attempt f, const libcipc_wait *w, int64_t slice_ns)
{
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	int64_t slice_end = libcipc_ts_ns(&mono) + slice_ns;

	if (w->mode == LIBCIPC_WAIT_ABS) {
		struct timespec abs = {.tv_sec = (time_t)w->sec, .tv_nsec = (long)w->nsec};
		struct timespec now;
		if (w->nsec < 0 || w->nsec >= 1000000000 ||
		    (w->clock != CLOCK_MONOTONIC && w->clock != CLOCK_REALTIME) ||
		    clock_gettime((clockid_t)w->clock, &now) != 0 ||
		    libcipc_due_within(&abs, &now, slice_ns))
			return -libcipc_attempt_eintr(obj, f, (clockid_t)w->clock, &abs);
	}
	struct timespec end = {.tv_sec = slice_end / 1000000000,
			       .tv_nsec = slice_end % 1000000000};
	int rc = libcipc_attempt_eintr(obj, f, CLOCK_MONOTONIC, &end);
	return rc == ETIMEDOUT ? LIBCIPC_WAIT_SLICE : -rc;
}

/* Slices of f in C until taken, an error, the caller's deadline, the slot's stop
 * word, or waits queued for a slot (see libcipc_sem_wait_loop). */
static inline int libcipc_wait_loop_with(void *obj, libcipc_attempt f, const libcipc_wait *w, int64_t slice_ns, int slot)
{
	for (;;) {
		int rc = libcipc_wait_slice_with(obj, f, w, slice_ns);
		if (rc != LIBCIPC_WAIT_SLICE)
			return rc;
		if (__atomic_load_n(&libcipc_wait_stop[slot], __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&libcipc_wait_queued, __ATOMIC_SEQ_CST) > 0)
			return LIBCIPC_WAIT_SLICE;
	}
}

#endif /* LIBCIPC_WAIT_H */
