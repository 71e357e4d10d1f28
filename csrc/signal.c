/* signal.c - keeping each signal's siginfo (sigaction(2), SA_SIGINFO): the Go
 * runtime's os/signal coalesces signals and drops si_value, so a C handler writes
 * every signal's siginfo to a pipe that Go reads on the netpoller. */
#include "../include/libcipc.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#define NSIGS 65

static int pipe_w[NSIGS];        /* write end per signal; read in the handler */
static uint64_t dropped[NSIGS];  /* records lost to a full pipe */
static int busy[NSIGS];          /* handlers between reading pipe_w and their write */

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int saved = errno;
	libcipc_siginfo r;
	memset(&r, 0, sizeof r);
	r.signo = sig;
	r.code = si->si_code;
	r.pid = si->si_pid;
	r.uid = si->si_uid;
	r.value = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
	/* busy tells restore that this handler may still write to the pipe:
	 * restore clears pipe_w, then waits for busy to drop to 0, so the write
	 * end is never closed (and its number reused) under a running handler. */
	__atomic_add_fetch(&busy[sig], 1, __ATOMIC_SEQ_CST);
	int fd = __atomic_load_n(&pipe_w[sig], __ATOMIC_SEQ_CST);
	if (fd <= 0 || write(fd, &r, sizeof r) != (ssize_t)sizeof r)
		__atomic_fetch_add(&dropped[sig], 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&busy[sig], 1, __ATOMIC_SEQ_CST);
	errno = saved;
}

int libcipc_sigrecv_install(int sig, int wfd, void *old)
{
	if (sig <= 0 || sig >= NSIGS)
		return -EINVAL;
	__atomic_store_n(&pipe_w[sig], wfd, __ATOMIC_RELEASE);
	__atomic_store_n(&dropped[sig], 0, __ATOMIC_RELAXED);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(sig, &sa, (struct sigaction *)old) != 0) {
		__atomic_store_n(&pipe_w[sig], 0, __ATOMIC_RELEASE);
		return -errno;
	}
	return 0;
}

int libcipc_sigrecv_restore(int sig, const void *old)
{
	if (sig <= 0 || sig >= NSIGS)
		return -EINVAL;
	int rc = sigaction(sig, (const struct sigaction *)old, NULL) == 0 ? 0 : -errno;
	__atomic_store_n(&pipe_w[sig], 0, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&busy[sig], __ATOMIC_SEQ_CST) != 0)
		sched_yield();
	return rc;
}

uint64_t libcipc_sigrecv_dropped(int sig)
{
	if (sig <= 0 || sig >= NSIGS)
		return 0;
	return __atomic_load_n(&dropped[sig], __ATOMIC_RELAXED);
}
