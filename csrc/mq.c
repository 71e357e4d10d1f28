/* mq.c - POSIX message queues: mq_overview(7). Each shim makes one libc call and
 * returns >= 0 or -errno (see include/libcipc.h). The Go side keeps descriptors
 * O_NONBLOCK and waits for readiness on the Go netpoller, so these never block. */
#include "../include/libcipc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

int libcipc_mq_open(const char *name, int oflag, unsigned mode, int has_attr, long maxmsg, long msgsize)
{
	struct mq_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.mq_maxmsg = maxmsg;
	attr.mq_msgsize = msgsize;
	mqd_t q = mq_open(name, oflag, (mode_t)mode, has_attr ? &attr : NULL);
	return q == (mqd_t)-1 ? -errno : (int)q;
}

int libcipc_mq_close(int mqd)
{
	return mq_close((mqd_t)mqd) == 0 ? 0 : -errno;
}

int libcipc_mq_unlink(const char *name)
{
	return mq_unlink(name) == 0 ? 0 : -errno;
}

int libcipc_mq_send(int mqd, const char *msg, size_t len, unsigned prio)
{
	return mq_send((mqd_t)mqd, msg, len, prio) == 0 ? 0 : -errno;
}

long libcipc_mq_receive(int mqd, char *buf, size_t len, unsigned *prio)
{
	ssize_t n = mq_receive((mqd_t)mqd, buf, len, prio);
	return n >= 0 ? (long)n : -errno;
}

static void attr_out(const struct mq_attr *a, long out[4])
{
	out[0] = a->mq_flags;
	out[1] = a->mq_maxmsg;
	out[2] = a->mq_msgsize;
	out[3] = a->mq_curmsgs;
}

int libcipc_mq_getattr(int mqd, long out[4])
{
	struct mq_attr a;
	if (mq_getattr((mqd_t)mqd, &a) != 0)
		return -errno;
	attr_out(&a, out);
	return 0;
}

int libcipc_mq_setattr(int mqd, long flags, long out[4])
{
	struct mq_attr n, old;
	memset(&n, 0, sizeof n);
	n.mq_flags = flags;
	if (mq_setattr((mqd_t)mqd, &n, &old) != 0)
		return -errno;
	attr_out(&old, out);
	return 0;
}

/* Defined in Go (posix/mq_cgo.go, //export). */
extern void libcipcMQNotified(uintptr_t id);

static void notify_trampoline(union sigval v)
{
	libcipcMQNotified((uintptr_t)v.sival_ptr);
}

int libcipc_mq_notify_thread(int mqd, uintptr_t id)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_notify_function = notify_trampoline;
	ev.sigev_value.sival_ptr = (void *)id;
	return mq_notify((mqd_t)mqd, &ev) == 0 ? 0 : -errno;
}

int libcipc_mq_notify_signal(int mqd, int sig, uintptr_t value)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = sig;
	ev.sigev_value.sival_ptr = (void *)value;
	return mq_notify((mqd_t)mqd, &ev) == 0 ? 0 : -errno;
}

int libcipc_mq_notify_cancel(int mqd)
{
	return mq_notify((mqd_t)mqd, NULL) == 0 ? 0 : -errno;
}
