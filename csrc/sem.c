/* sem.c - POSIX semaphores: sem_overview(7). Each shim makes one libc call and
 * returns >= 0 or -errno (see include/libcipc.h). */
#include "../include/libcipc.h"
#include "../include/libcipc_wait.h"

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

/* The calls on a sem_t run under the fault guard (libcipc.h): a SIGBUS on the
 * sem_t (its file truncated under the mapping) returns -EFAULT. glibc 2.36's
 * sem_post, sem_trywait and sem_getvalue fault on their first load of the
 * sem_t, before writing anything. */
int libcipc_sem_post(sem_t *sem)
{
	LIBCIPC_RETURN_GUARDED(sem, sem_post(sem) == 0 ? 0 : -errno);
}

int libcipc_sem_trywait(sem_t *sem)
{
	LIBCIPC_RETURN_GUARDED(sem, sem_trywait(sem) == 0 ? 0 : -errno);
}

int64_t libcipc_sem_getvalue(sem_t *sem)
{
	LIBCIPC_GUARD(g, sem, sizeof *sem, return LIBCIPC_GETVALUE_ERR + EFAULT);
	int v;
	int64_t rc = sem_getvalue(sem, &v) == 0 ? v : LIBCIPC_GETVALUE_ERR + errno;
	LIBCIPC_UNGUARD(g);
	return rc;
}

/* glibc's sem_clockwait registers a cleanup handler (__sem_wait_cleanup) once
 * it counts itself as a waiter; a SIGBUS after that (the file truncated while
 * it waited) jumps past its pop: the shim's own buffer, pushed first, puts the
 * thread's chain back (see LIBCIPC_GUARD). */
static void libcipc_no_cleanup(void *arg) { (void)arg; }
#define SEM_RETURN_GUARDED_WAIT(sem, expr)                                              \
	do {                                                                            \
		struct _pthread_cleanup_buffer chain_;                                  \
		_pthread_cleanup_push(&chain_, libcipc_no_cleanup, NULL);               \
		LIBCIPC_GUARD(g_, sem, sizeof *(sem), _pthread_cleanup_pop(&chain_, 0); return -EFAULT); \
		int rc_ = (expr);                                                       \
		LIBCIPC_UNGUARD(g_);                                                    \
		_pthread_cleanup_pop(&chain_, 0);                                       \
		return rc_;                                                             \
	} while (0)

/* sem_clockwait as a libcipc_attempt: 0 or an errno value. */
static int sem_attempt(void *sem, clockid_t clock, const struct timespec *abs)
{
	return sem_clockwait(sem, clock, abs) == 0 ? 0 : errno;
}

int libcipc_sem_wait_begin(sem_t *sem, libcipc_wait *w)
{
	LIBCIPC_GUARD(g, sem, sizeof *sem, return -EFAULT);
	int ok = sem_trywait(sem) == 0;
	int err = errno;
	LIBCIPC_UNGUARD(g);
	if (ok)
		return 0;
	if (err == EAGAIN)
		libcipc_wait_fix(w);
	return -err;
}

int libcipc_sem_wait_slice(sem_t *sem, const libcipc_wait *w, int64_t slice_ns)
{
	SEM_RETURN_GUARDED_WAIT(sem, libcipc_wait_slice_with(sem, sem_attempt, w, slice_ns));
}

int libcipc_wait_stop[LIBCIPC_WAIT_SLOTS];
int libcipc_wait_queued;

int libcipc_sem_wait_loop(sem_t *sem, const libcipc_wait *w, int64_t slice_ns, int slot)
{
	SEM_RETURN_GUARDED_WAIT(sem, libcipc_wait_loop_with(sem, sem_attempt, w, slice_ns, slot));
}

int libcipc_sem_init_shared(sem_t *sem, unsigned value)
{
	int rc = libcipc_probe_readable(sem, sizeof *sem);
	if (rc != 0)
		return rc;
	return sem_init(sem, 1, value) == 0 ? 0 : -errno;
}
