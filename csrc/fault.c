/* fault.c - SIGBUS in a guarded libc call becomes EFAULT (see include/libcipc.h,
 * "fault guard").
 *
 * libcipc_fault_install (called once from package posix's init, after the Go
 * runtime installed its signal handlers) records the SIGBUS action in place
 * (the Go runtime's handler) and installs libcipc_on_sigbus with the same mask
 * and flags. A SIGBUS on the bytes a guarded call armed jumps back into the
 * shim; every other SIGBUS is handed to the recorded handler with the same
 * arguments, as os/signal's documentation asks of non-Go code that installs a
 * handler for a synchronous signal: Go then does exactly what it did before
 * (a panic under SetPanicOnFault in Go code, a traceback and exit 2 for a
 * SIGBUS in C code). */
#include "../include/libcipc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

__thread libcipc_guard *libcipc_guarded;
static int libcipc_fault_installed;

static struct sigaction libcipc_prev_bus;

static void libcipc_on_sigbus(int sig, siginfo_t *info, void *ctx)
{
	libcipc_guard *g = libcipc_guarded;
	const char *addr = info ? (const char *)info->si_addr : NULL;
	if (g != NULL && info != NULL && info->si_code > 0 && addr >= g->lo && addr < g->hi) {
		libcipc_guarded = NULL;
		/* This handler runs with every signal blocked (the mask copied
		 * from Go's); the thread's own mask is the one at the fault. */
		g->mask = ((ucontext_t *)ctx)->uc_sigmask;
		__builtin_longjmp(g->jb, 1);
	}
	if (libcipc_prev_bus.sa_flags & SA_SIGINFO) {
		libcipc_prev_bus.sa_sigaction(sig, info, ctx);
		return;
	}
	if (libcipc_prev_bus.sa_handler != SIG_DFL && libcipc_prev_bus.sa_handler != SIG_IGN) {
		libcipc_prev_bus.sa_handler(sig);
		return;
	}
	/* No handler before ours: the default action, as without ours (the
	 * faulting access runs again and the kernel kills the process). */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGBUS, &dfl, NULL);
}

int libcipc_fault_install(void)
{
	struct sigaction sa;
	if (__atomic_load_n(&libcipc_fault_installed, __ATOMIC_SEQ_CST))
		return 0;
	if (sigaction(SIGBUS, NULL, &libcipc_prev_bus) != 0)
		return -errno;
	sa = libcipc_prev_bus;
	sa.sa_sigaction = libcipc_on_sigbus;
	sa.sa_flags = (libcipc_prev_bus.sa_flags & ~(SA_RESETHAND | SA_NODEFER)) | SA_SIGINFO | SA_ONSTACK;
	if (!(libcipc_prev_bus.sa_flags & SA_SIGINFO) && libcipc_prev_bus.sa_handler == SIG_DFL)
		sigfillset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) != 0)
		return -errno;
	__atomic_store_n(&libcipc_fault_installed, 1, __ATOMIC_SEQ_CST);
	return 0;
}

void libcipc_guard_fault(libcipc_guard *g)
{
	pthread_sigmask(SIG_SETMASK, &g->mask, NULL);
}
