/* fault.c - SIGBUS in a guarded libc call becomes EFAULT (see include/libcipc.h,
 * "fault guard").
 *
 * How the signal reaches us: the constructor below installs libcipc_on_sigbus
 * as the SIGBUS handler before the Go runtime initialises (constructors run
 * from __libc_start_main, before main, which in an externally linked cgo
 * program is the Go runtime's entry). The runtime then installs its own
 * handler and records ours as the one to forward to: a synchronous SIGBUS
 * raised while the thread runs C code (m.incgo) is handed to libcipc_on_sigbus
 * (runtime/signal_unix.go, sigfwdgo); one raised in Go code never is, so Go's
 * own behaviour there (panic, SetPanicOnFault) is unchanged. */
#include "../include/libcipc.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

__thread libcipc_guard *libcipc_guarded;
int libcipc_fault_installed;

static void libcipc_on_sigbus(int sig, siginfo_t *info, void *ctx)
{
	libcipc_guard *g = libcipc_guarded;
	const char *addr = info ? (const char *)info->si_addr : NULL;
	if (g != NULL && info != NULL && info->si_code > 0 && addr >= g->lo && addr < g->hi) {
		libcipc_guarded = NULL;
		/* The runtime's handler (through which this one is called) blocks
		 * every signal; the thread's own mask is the one at the fault. */
		g->mask = ((ucontext_t *)ctx)->uc_sigmask;
		__builtin_longjmp(g->jb, 1);
	}
	/* Not ours: die of SIGBUS as a C program would. The Go runtime forwards
	 * only a SIGBUS raised in C code to this handler, and would call it
	 * again if it returned with the handler in place. */
	static const char msg[] = "libcipc: SIGBUS in C code outside a guarded call: the process dies of it\n";
	ssize_t n = write(2, msg, sizeof msg - 1);
	(void)n;
	(void)sig;
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGBUS, &dfl, NULL);
	/* Returning re-executes the faulting access: the default action. */
}

__attribute__((constructor)) static void libcipc_fault_init(void)
{
	struct sigaction old;
	if (sigaction(SIGBUS, NULL, &old) != 0)
		return;
	/* Someone was first (a sanitizer, or the Go runtime already, as in a
	 * c-shared library loaded late): leave their handler alone. The guard
	 * then never fires and a fault crashes as before. */
	if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = libcipc_on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) == 0)
		libcipc_fault_installed = 1;
}

void libcipc_guard_fault(libcipc_guard *g)
{
	pthread_sigmask(SIG_SETMASK, &g->mask, NULL);
}

int libcipc_fault_guard_installed(void)
{
	return libcipc_fault_installed;
}
