/* file.c - advisory file locks (flock(2), lockf(3), fcntl(2) record and
 * open-file-description locks), positioned I/O, sync, pipes and FIFOs. Each
 * shim makes one libc call and returns >= 0 or -errno (see include/libcipc.h);
 * the blocking lock loop is the exception described there. */
#include "../include/libcipc.h"
#include "../include/libcipc_wait.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int lock_call(libcipc_lockreq *r, int cmd)
{
	switch (r->kind) {
	case LIBCIPC_LOCK_FCNTL: {
		struct flock fl;
		memset(&fl, 0, sizeof fl);
		fl.l_type = r->type;
		fl.l_whence = r->whence;
		fl.l_start = r->start;
		fl.l_len = r->len;
		fl.l_pid = r->pid;
		if (fcntl(r->fd, cmd, &fl) != 0)
			return -errno;
		if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
			r->type = fl.l_type;
			r->whence = fl.l_whence;
			r->start = fl.l_start;
			r->len = fl.l_len;
			r->pid = fl.l_pid;
		}
		return 0;
	}
	case LIBCIPC_LOCK_FLOCK:
		return flock(r->fd, cmd) == 0 ? 0 : -errno;
	case LIBCIPC_LOCK_LOCKF:
		return lockf(r->fd, cmd, (off_t)r->len) == 0 ? 0 : -errno;
	}
	return -EINVAL;
}

int libcipc_lock(libcipc_lockreq *r)
{
	return lock_call(r, r->cmd);
}

/* The non-blocking and blocking commands of a request whose cmd is the
 * blocking one. */
static int lock_try_cmd(const libcipc_lockreq *r)
{
	switch (r->kind) {
	case LIBCIPC_LOCK_FCNTL:
		return r->cmd == F_OFD_SETLKW ? F_OFD_SETLK : F_SETLK;
	case LIBCIPC_LOCK_FLOCK:
		return r->cmd | LOCK_NB;
	default:
		return F_TLOCK;
	}
}

int libcipc_lock_wait_begin(libcipc_lockreq *r, libcipc_wait *w)
{
	int rc = lock_call(r, lock_try_cmd(r));
	if (rc == -EACCES || rc == -EAGAIN || rc == -EWOULDBLOCK) {
		libcipc_wait_fix(w);
		return -EAGAIN;
	}
	return rc;
}

static int lock_signal;

static void lock_handler(int sig)
{
	(void)sig; /* only there to make the blocked call fail with EINTR */
}

int libcipc_lock_signal_install(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = lock_handler;
	sa.sa_flags = SA_ONSTACK; /* no SA_RESTART: that is the point */
	sigfillset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		return -errno;
	__atomic_store_n(&lock_signal, sig, __ATOMIC_RELEASE);
	return 0;
}

/* The state of one blocking lock wait across its slices: the request, and a
 * timer aimed at this thread (made at the first slice, re-armed after), or
 * polling when the timer cannot work. */
struct lock_wait {
	libcipc_lockreq *r;
	timer_t timer;
	int have_timer;
	int poll; /* the signal's handler is not ours (os/signal, SIG_IGN) or no timer */
	int blocking_cmd;
};

/* A slice without the signal: the non-blocking form every millisecond until
 * abs. Kernel deadlock detection (EDEADLK) is lost in this mode. */
static int lock_poll(struct lock_wait *lw, clockid_t clock, const struct timespec *abs)
{
	for (;;) {
		int rc = -lock_call(lw->r, lock_try_cmd(lw->r));
		if (rc != EACCES && rc != EAGAIN && rc != EWOULDBLOCK)
			return rc;
		struct timespec now;
		clock_gettime(clock, &now);
		int64_t left = libcipc_ts_ns(abs) - libcipc_ts_ns(&now);
		if (left <= 0)
			return ETIMEDOUT;
		struct timespec nap = {.tv_sec = 0, .tv_nsec = left < 1000000 ? left : 1000000};
		nanosleep(&nap, NULL);
	}
}

/* One slice as a libcipc_attempt: the timer fires at abs on clock (then every
 * millisecond, in case its first signal came before the call blocked), the
 * blocking call runs until the lock is taken or the timer interrupts it. */
static int lock_attempt(void *obj, clockid_t clock, const struct timespec *abs)
{
	struct lock_wait *lw = obj;
	if (!lw->poll && !lw->have_timer) {
		struct sigevent sev;
		memset(&sev, 0, sizeof sev);
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = __atomic_load_n(&lock_signal, __ATOMIC_ACQUIRE);
		sev._sigev_un._tid = gettid();
		/* No timer (RLIMIT_SIGPENDING spent, say): poll rather than report
		 * timer_create's EAGAIN as if the lock were busy. */
		if (sev.sigev_signo <= 0 || timer_create(CLOCK_MONOTONIC, &sev, &lw->timer) != 0)
			lw->poll = 1;
		else
			lw->have_timer = 1;
	}
	if (lw->poll)
		return lock_poll(lw, clock, abs);
	struct itimerspec its = {.it_value = *abs, .it_interval = {.tv_sec = 0, .tv_nsec = 1000000}};
	int flags = TIMER_ABSTIME;
	if (clock != CLOCK_MONOTONIC) {
		/* The timer runs on CLOCK_MONOTONIC: aim it at the same instant. */
		struct timespec now, mono;
		clock_gettime(clock, &now);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		int64_t at = libcipc_ts_ns(&mono) + (libcipc_ts_ns(abs) - libcipc_ts_ns(&now));
		if (at < 1)
			at = 1;
		its.it_value.tv_sec = at / 1000000000;
		its.it_value.tv_nsec = at % 1000000000;
	}
	if (timer_settime(lw->timer, flags, &its, NULL) != 0)
		return lock_poll(lw, clock, abs);
	int rc = -lock_call(lw->r, lw->blocking_cmd);
	struct itimerspec off;
	memset(&off, 0, sizeof off);
	timer_settime(lw->timer, 0, &off, NULL);
	if (rc == EINTR) {
		struct timespec now;
		clock_gettime(clock, &now);
		if (libcipc_ts_ns(&now) >= libcipc_ts_ns(abs))
			rc = ETIMEDOUT;
	}
	return rc;
}

int libcipc_lock_wait_loop(libcipc_lockreq *r, const libcipc_wait *w, int64_t slice_ns, int slot)
{
	struct lock_wait lw = {.r = r, .have_timer = 0, .poll = 0, .blocking_cmd = r->cmd};
	int sig = __atomic_load_n(&lock_signal, __ATOMIC_ACQUIRE);
	/* The signal must reach this thread's handler: if someone replaced the
	 * handler (os/signal.Notify, signal.Ignore), poll instead of hanging; if
	 * the thread blocks it (an inherited mask, PthreadSigmask), unblock it
	 * for the length of the wait. */
	struct sigaction cur;
	if (sig <= 0 || sigaction(sig, NULL, &cur) != 0 || cur.sa_handler != lock_handler)
		lw.poll = 1;
	sigset_t one, saved;
	int unblocked = 0;
	if (!lw.poll) {
		sigemptyset(&one);
		sigaddset(&one, sig);
		unblocked = pthread_sigmask(SIG_UNBLOCK, &one, &saved) == 0 && sigismember(&saved, sig) == 1;
	}
	int rc = libcipc_wait_loop_with(&lw, lock_attempt, w, slice_ns, slot);
	if (lw.have_timer)
		timer_delete(lw.timer);
	if (unblocked) {
		/* Take a signal still pending for this thread before blocking it
		 * again, so none is left behind for the caller. */
		struct timespec zero = {0, 0};
		while (sigtimedwait(&one, NULL, &zero) == sig)
			;
		pthread_sigmask(SIG_SETMASK, &saved, NULL);
	}
	return rc;
}

long libcipc_pread(int fd, void *buf, size_t n, int64_t off)
{
	ssize_t rc = pread(fd, buf, n, (off_t)off);
	return rc >= 0 ? (long)rc : -errno;
}

long libcipc_pwrite(int fd, const void *buf, size_t n, int64_t off)
{
	ssize_t rc = pwrite(fd, buf, n, (off_t)off);
	return rc >= 0 ? (long)rc : -errno;
}

int libcipc_fsync(int fd)
{
	return fsync(fd) == 0 ? 0 : -errno;
}

int libcipc_fdatasync(int fd)
{
	return fdatasync(fd) == 0 ? 0 : -errno;
}

int libcipc_sync(void)
{
	sync();
	return 0;
}

int libcipc_pipe2(int fds[2], int flags)
{
	return pipe2(fds, flags) == 0 ? 0 : -errno;
}

int libcipc_mkfifo(const char *path, unsigned mode)
{
	return mkfifo(path, (mode_t)mode) == 0 ? 0 : -errno;
}
