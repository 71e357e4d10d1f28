/* proc.c - processes and signals: posix_spawn(3) with file actions and
 * attributes, waitpid(2), process groups and sessions, system(3), kill(2),
 * killpg(3), sigqueue(3), alarm(2), setitimer(2), pthread_sigmask(3). Each
 * shim makes one libc call (libcipc_spawn_run: the posix_spawn_* calls that
 * build one posix_spawn) and returns >= 0 or -errno (see include/libcipc.h). */
#include "../include/libcipc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void mask_to_set(uint64_t m, sigset_t *s)
{
	sigemptyset(s);
	for (int i = 1; i <= 64; i++)
		if (m & (1ULL << (i - 1)))
			sigaddset(s, i);
}

static uint64_t set_to_mask(const sigset_t *s)
{
	uint64_t m = 0;
	for (int i = 1; i <= 64; i++)
		if (sigismember(s, i) == 1)
			m |= 1ULL << (i - 1);
	return m;
}

#define SPAWN_STACK_PTRS 256

int libcipc_spawn_run(const libcipc_spawn *d, const char *strings, const int64_t *acts)
{
	if (d->argc < 0 || d->nacts < 0 || d->envc < -1)
		return -EINVAL;
	size_t nptr = (size_t)d->argc + 1 + (d->envc > 0 ? (size_t)d->envc : 0) + 1;
	char *stack_ptrs[SPAWN_STACK_PTRS];
	char **ptrs = stack_ptrs;
	if (nptr > SPAWN_STACK_PTRS) {
		ptrs = malloc(nptr * sizeof *ptrs);
		if (ptrs == NULL)
			return -ENOMEM;
	}
	const char *p = strings;
	const char *path = p;
	p += strlen(p) + 1;
	char **argv = ptrs;
	for (int i = 0; i < d->argc; i++) {
		argv[i] = (char *)p;
		p += strlen(p) + 1;
	}
	argv[d->argc] = NULL;
	char **envp = environ;
	if (d->envc >= 0) {
		envp = argv + d->argc + 1;
		for (int i = 0; i < d->envc; i++) {
			envp[i] = (char *)p;
			p += strlen(p) + 1;
		}
		envp[d->envc] = NULL;
	}

	int err;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	if ((err = posix_spawn_file_actions_init(&fa)) != 0)
		goto out;
	if ((err = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		goto out;
	}
	for (int i = 0; i < d->nacts && err == 0; i++) {
		const int64_t *a = acts + 5 * i;
		switch (a[0]) {
		case LIBCIPC_SPAWN_OPEN:
			err = posix_spawn_file_actions_addopen(&fa, (int)a[1], p, (int)a[2], (mode_t)a[3]);
			p += strlen(p) + 1;
			break;
		case LIBCIPC_SPAWN_CLOSE:
			err = posix_spawn_file_actions_addclose(&fa, (int)a[1]);
			break;
		case LIBCIPC_SPAWN_DUP2:
			err = posix_spawn_file_actions_adddup2(&fa, (int)a[1], (int)a[2]);
			break;
		default:
			err = EINVAL;
		}
	}
	if (err == 0 && (err = posix_spawnattr_setflags(&at, (short)d->flags)) == 0 &&
	    (err = posix_spawnattr_setpgroup(&at, (pid_t)d->pgroup)) == 0) {
		sigset_t s;
		mask_to_set(d->sigmask, &s);
		if ((err = posix_spawnattr_setsigmask(&at, &s)) == 0) {
			mask_to_set(d->sigdefault, &s);
			err = posix_spawnattr_setsigdefault(&at, &s);
		}
	}
	pid_t pid = 0;
	if (err == 0) {
		if (d->search)
			err = posix_spawnp(&pid, path, &fa, &at, argv, envp);
		else
			err = posix_spawn(&pid, path, &fa, &at, argv, envp);
	}
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (err == 0) {
		if (ptrs != stack_ptrs)
			free(ptrs);
		return (int)pid;
	}
out:
	if (ptrs != stack_ptrs)
		free(ptrs);
	return -err;
}

int libcipc_waitpid(int pid, int *status, int options)
{
	*status = 0;
	pid_t rc = waitpid((pid_t)pid, status, options);
	return rc >= 0 ? (int)rc : -errno;
}

int libcipc_getpgrp(void)
{
	return (int)getpgrp();
}

int libcipc_setpgid(int pid, int pgid)
{
	return setpgid((pid_t)pid, (pid_t)pgid) == 0 ? 0 : -errno;
}

int libcipc_getsid(int pid)
{
	pid_t rc = getsid((pid_t)pid);
	return rc >= 0 ? (int)rc : -errno;
}

int libcipc_system(const char *cmd, int *status)
{
	int rc = system(cmd);
	if (rc == -1)
		return -errno;
	*status = rc;
	return 0;
}

int libcipc_kill(int pid, int sig)
{
	return kill((pid_t)pid, sig) == 0 ? 0 : -errno;
}

int libcipc_killpg(int pgrp, int sig)
{
	return killpg((pid_t)pgrp, sig) == 0 ? 0 : -errno;
}

int libcipc_sigqueue(int pid, int sig, uintptr_t value)
{
	union sigval v;
	memset(&v, 0, sizeof v);
	v.sival_ptr = (void *)value;
	return sigqueue((pid_t)pid, sig, v) == 0 ? 0 : -errno;
}

unsigned libcipc_alarm(unsigned sec)
{
	return alarm(sec);
}

static struct timeval us_to_tv(int64_t us)
{
	return (struct timeval){.tv_sec = us / 1000000, .tv_usec = us % 1000000};
}

static int64_t tv_to_us(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

int libcipc_setitimer(int which, int64_t io[2])
{
	struct itimerval v = {.it_interval = us_to_tv(io[0]), .it_value = us_to_tv(io[1])};
	struct itimerval old;
	if (setitimer(which, &v, &old) != 0)
		return -errno;
	io[0] = tv_to_us(old.it_interval);
	io[1] = tv_to_us(old.it_value);
	return 0;
}

int libcipc_getitimer(int which, int64_t out[2])
{
	struct itimerval v;
	if (getitimer(which, &v) != 0)
		return -errno;
	out[0] = tv_to_us(v.it_interval);
	out[1] = tv_to_us(v.it_value);
	return 0;
}

int libcipc_pthread_sigmask(int how, int has_set, uint64_t set, uint64_t *old)
{
	sigset_t s, o;
	mask_to_set(set, &s);
	int err = pthread_sigmask(how, has_set ? &s : NULL, &o);
	if (err != 0)
		return -err;
	*old = set_to_mask(&o);
	return 0;
}
