/* fault.c - SIGBUS in a guarded libc call becomes EFAULT (see include/libcipc.h,
 * "fault guard").
 *
 * libcipc_fault_install (called once from package posix's init, after the Go
 * runtime installed its signal handlers) records the SIGBUS and SIGABRT
 * actions in place (the Go runtime's handlers) and installs libcipc's with the
 * same masks and flags. A SIGBUS on the bytes a guarded call armed jumps back
 * into the shim. So does the SIGABRT of glibc's futex_fatal_error: when the
 * object's page vanishes between glibc's own access to it and its futex
 * system call, the kernel answers that call EFAULT (not SIGBUS) and glibc
 * aborts ("The futex facility returned an unexpected error code"); the jump is
 * taken only for a raise() by this thread inside a guarded call whose object
 * the kernel cannot reach either (libcipc_unreachable). Every other signal is
 * handed to the recorded handler with the same arguments, as os/signal's
 * documentation asks of non-Go code that installs a handler for a synchronous
 * signal: Go then does exactly what it did before (a panic under
 * SetPanicOnFault in Go code, a traceback and exit 2 for a SIGBUS in C code,
 * a traceback for an abort). */
#include "../include/libcipc.h"

#include <errno.h>
#include <pthread.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread libcipc_guard *libcipc_guarded;
static int libcipc_fault_installed;

static struct sigaction libcipc_prev_bus, libcipc_prev_abrt;

/* Hands sig to the action that was there before libcipc's. */
static void libcipc_chain(const struct sigaction *prev, int sig, siginfo_t *info, void *ctx)
{
	if (prev->sa_flags & SA_SIGINFO) {
		prev->sa_sigaction(sig, info, ctx);
		return;
	}
	if (prev->sa_handler == SIG_IGN && sig != SIGBUS)
		return;
	if (prev->sa_handler != SIG_DFL) {
		prev->sa_handler(sig);
		return;
	}
	/* No handler before ours (or SIGBUS ignored: returning would fault
	 * again for ever, and the kernel forces the default action on an
	 * ignored fault): the default action, as without ours (a faulting
	 * access runs again, a raised signal is raised again; either way the
	 * kernel ends the process once this handler returns). */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	if (sig != SIGBUS)
		raise(sig);
}

/* Jumps back into the guarded shim; the shim returns -EFAULT. */
static void libcipc_jump(libcipc_guard *g, void *ctx)
{
	libcipc_guarded = NULL;
	/* This handler runs with every signal blocked (the mask copied from
	 * Go's); the thread's own mask is the one at the signal. */
	g->mask = ((ucontext_t *)ctx)->uc_sigmask;
	__builtin_longjmp(g->jb, 1);
}

static void libcipc_on_sigbus(int sig, siginfo_t *info, void *ctx)
{
	libcipc_guard *g = libcipc_guarded;
	const char *addr = info ? (const char *)info->si_addr : NULL;
	if (g != NULL && info != NULL && info->si_code > 0 && addr >= g->lo && addr < g->hi)
		libcipc_jump(g, ctx);
	libcipc_chain(&libcipc_prev_bus, sig, info, ctx);
}

/* libcipc_unreachable reports whether the kernel cannot reach the page of the
 * guarded object: a shared FUTEX_WAKE of no waiter changes nothing, and looks
 * the page up exactly as the futex wait that failed did (EFAULT when the file
 * under the mapping was truncated). */
static int libcipc_unreachable(const libcipc_guard *g)
{
	int saved = errno;
	long rc = syscall(SYS_futex, (void *)((uintptr_t)g->lo & ~(uintptr_t)3), FUTEX_WAKE, 0, NULL, NULL, 0);
	int gone = rc == -1 && errno == EFAULT;
	errno = saved;
	return gone;
}

static void libcipc_on_sigabrt(int sig, siginfo_t *info, void *ctx)
{
	libcipc_guard *g = libcipc_guarded;
	if (g != NULL && info != NULL && info->si_code == SI_TKILL && info->si_pid == getpid() &&
	    libcipc_unreachable(g))
		libcipc_jump(g, ctx);
	libcipc_chain(&libcipc_prev_abrt, sig, info, ctx);
}

/* Puts handler in front of sig's action, recorded in prev. */
static int libcipc_front(int sig, struct sigaction *prev, void (*handler)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	if (sigaction(sig, NULL, prev) != 0)
		return -errno;
	sa = *prev;
	sa.sa_sigaction = handler;
	sa.sa_flags = (prev->sa_flags & ~(SA_RESETHAND | SA_NODEFER)) | SA_SIGINFO | SA_ONSTACK;
	if (!(prev->sa_flags & SA_SIGINFO) && prev->sa_handler == SIG_DFL)
		sigfillset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		return -errno;
	return 0;
}

int libcipc_fault_install(void)
{
	int rc;
	if (__atomic_load_n(&libcipc_fault_installed, __ATOMIC_SEQ_CST))
		return 0;
	if ((rc = libcipc_front(SIGBUS, &libcipc_prev_bus, libcipc_on_sigbus)) != 0)
		return rc;
	if ((rc = libcipc_front(SIGABRT, &libcipc_prev_abrt, libcipc_on_sigabrt)) != 0)
		return rc;
	__atomic_store_n(&libcipc_fault_installed, 1, __ATOMIC_SEQ_CST);
	return 0;
}

void libcipc_guard_fault(libcipc_guard *g)
{
	pthread_sigmask(SIG_SETMASK, &g->mask, NULL);
}
