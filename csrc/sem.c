/* sem.c - POSIX semaphores: sem_overview(7). Each shim makes one libc call and
 * returns >= 0 or -errno (see include/libcipc.h). */
#include "../include/libcipc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

int libcipc_probe_readable(const void *addr, size_t len)
{
	char buf[64];
	if (len > sizeof buf)
		len = sizeof buf;
	struct iovec local = {.iov_base = buf, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)addr, .iov_len = len};
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM))
		return 0; /* cannot probe here (seccomp): behave as libc does */
	return -EFAULT;
}

libcipc_ptr libcipc_sem_open(const char *name, int oflag, unsigned mode, unsigned value)
{
	libcipc_ptr r = {0, 0};
	sem_t *s = sem_open(name, oflag, (mode_t)mode, value);
	if (s == SEM_FAILED) {
		r.err = errno;
		return r;
	}
	/* With O_CREAT|O_EXCL glibc built the file itself (a full sem_t written,
	 * then linked into place), so only an opened existing file needs the probe,
	 * which costs a few microseconds. */
	if ((oflag & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL) &&
	    libcipc_probe_readable(s, sizeof(sem_t)) != 0) {
		sem_close(s);
		r.err = EFAULT;
		return r;
	}
	r.ptr = s;
	return r;
}

int libcipc_sem_close(sem_t *sem)
{
	return sem_close(sem) == 0 ? 0 : -errno;
}

int libcipc_sem_unlink(const char *name)
{
	return sem_unlink(name) == 0 ? 0 : -errno;
}

int libcipc_sem_destroy(sem_t *sem)
{
	return sem_destroy(sem) == 0 ? 0 : -errno;
}

libcipc_ptr libcipc_sem_new(unsigned value)
{
	libcipc_ptr r = {0, 0};
	sem_t *s = malloc(sizeof *s);
	if (s == NULL) {
		r.err = ENOMEM;
		return r;
	}
	if (sem_init(s, 0, value) != 0) {
		r.err = errno;
		free(s);
		return r;
	}
	r.ptr = s;
	return r;
}

int libcipc_sem_free(sem_t *sem)
{
	int rc = sem_destroy(sem) == 0 ? 0 : -errno;
	free(sem);
	return rc;
}

int libcipc_sem_post(sem_t *sem)
{
	return sem_post(sem) == 0 ? 0 : -errno;
}

int libcipc_sem_trywait(sem_t *sem)
{
	return sem_trywait(sem) == 0 ? 0 : -errno;
}

int libcipc_sem_getvalue(sem_t *sem)
{
	int v;
	return sem_getvalue(sem, &v) == 0 ? v : -errno;
}

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* Whether the absolute deadline abs is at most slice_ns after now, without
 * overflowing for far-away deadlines (any tv_sec a caller may pass). */
static int due_within(const struct timespec *abs, const struct timespec *now, int64_t slice_ns)
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

/* sem_clockwait, retrying EINTR against the same absolute deadline. */
static int clockwait(sem_t *sem, clockid_t clock, const struct timespec *abs)
{
	for (;;) {
		if (sem_clockwait(sem, clock, abs) == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int libcipc_sem_wait_begin(sem_t *sem, libcipc_wait *w)
{
	if (sem_trywait(sem) == 0)
		return 0;
	int err = errno;
	if (err == EAGAIN && w->mode == LIBCIPC_WAIT_REL) {
		/* w holds a Go time.Duration split in seconds and nanoseconds: it
		 * fits in int64 nanoseconds; saturate instead of overflowing. */
		struct timespec mono;
		clock_gettime(CLOCK_MONOTONIC, &mono);
		int64_t d = w->sec * 1000000000 + w->nsec;
		int64_t abs;
		if (d < 0)
			d = 0;
		if (__builtin_add_overflow(ts_ns(&mono), d, &abs))
			abs = INT64_MAX;
		w->sec = abs / 1000000000;
		w->nsec = abs % 1000000000;
		w->clock = CLOCK_MONOTONIC;
		w->mode = LIBCIPC_WAIT_ABS;
	}
	return -err;
}

int libcipc_sem_wait_slice(sem_t *sem, const libcipc_wait *w, int64_t slice_ns)
{
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	int64_t slice_end = ts_ns(&mono) + slice_ns;

	if (w->mode == LIBCIPC_WAIT_ABS) {
		struct timespec abs = {.tv_sec = (time_t)w->sec, .tv_nsec = (long)w->nsec};
		struct timespec now;
		if (w->nsec < 0 || w->nsec >= 1000000000 ||
		    (w->clock != CLOCK_MONOTONIC && w->clock != CLOCK_REALTIME) ||
		    clock_gettime((clockid_t)w->clock, &now) != 0 ||
		    due_within(&abs, &now, slice_ns))
			return clockwait(sem, (clockid_t)w->clock, &abs);
	}
	struct timespec end = {.tv_sec = slice_end / 1000000000,
			       .tv_nsec = slice_end % 1000000000};
	int rc = clockwait(sem, CLOCK_MONOTONIC, &end);
	return rc == -ETIMEDOUT ? LIBCIPC_WAIT_SLICE : rc;
}

int libcipc_wait_stop[LIBCIPC_WAIT_SLOTS];
int libcipc_wait_queued;

int libcipc_sem_wait_loop(sem_t *sem, const libcipc_wait *w, int64_t slice_ns, int slot)
{
	for (;;) {
		int rc = libcipc_sem_wait_slice(sem, w, slice_ns);
		if (rc != LIBCIPC_WAIT_SLICE)
			return rc;
		if (__atomic_load_n(&libcipc_wait_stop[slot], __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&libcipc_wait_queued, __ATOMIC_SEQ_CST) > 0)
			return LIBCIPC_WAIT_SLICE;
	}
}

int libcipc_sem_init_shared(sem_t *sem, unsigned value)
{
	int rc = libcipc_probe_readable(sem, sizeof *sem);
	if (rc != 0)
		return rc;
	return sem_init(sem, 1, value) == 0 ? 0 : -errno;
}
