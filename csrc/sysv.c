/* sysv.c - System V IPC: sysvipc(7), semget(2), semop(2), semctl(2),
 * msgget(2), msgsnd(2), msgrcv(2), msgctl(2), shmget(2), shmat(2), shmctl(2),
 * ftok(3). Each shim makes one libc call (the blocking forms: one call, retried
 * on EINTR) and returns >= 0 or -errno (see include/libcipc.h). */
#include "../include/libcipc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

/* semctl's fourth argument; the caller defines it (semctl(2)). */
union libcipc_semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

int libcipc_sysv_tid[LIBCIPC_WAIT_SLOTS];

int libcipc_ftok(const char *path, int id, int32_t *key)
{
	errno = 0;
	key_t k = ftok(path, id);
	if (k == (key_t)-1 && errno != 0)
		return -errno;
	*key = (int32_t)k;
	return 0;
}

int libcipc_semget(int32_t key, int nsems, int flags)
{
	int id = semget((key_t)key, nsems, flags);
	return id >= 0 ? id : -errno;
}

int libcipc_semop(int id, void *ops, size_t n)
{
	return semop(id, (struct sembuf *)ops, n) == 0 ? 0 : -errno;
}

static int64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int libcipc_semop_begin(int id, const void *ops, size_t n, libcipc_wait *w)
{
	if (w->mode == LIBCIPC_WAIT_REL) {
		/* A Go time.Duration split in seconds and nanoseconds: it fits in
		 * int64 nanoseconds; saturate instead of overflowing. */
		int64_t d = w->sec * 1000000000 + w->nsec, abs;
		if (d < 0)
			d = 0;
		if (__builtin_add_overflow(mono_ns(), d, &abs))
			abs = INT64_MAX;
		w->sec = abs / 1000000000;
		w->nsec = abs % 1000000000;
		w->clock = CLOCK_MONOTONIC;
		w->mode = LIBCIPC_WAIT_ABS;
	}
	struct sembuf local[LIBCIPC_SEMOP_FAST], *tmp = local;
	if (n > LIBCIPC_SEMOP_FAST) {
		/* Longer than any default SEMOPM (500 ops is 3 KB): rare. */
		if (n > SIZE_MAX / sizeof *tmp || (tmp = malloc(n * sizeof *tmp)) == NULL)
			return -EAGAIN; /* no first try: the wait decides */
	}
	memcpy(tmp, ops, n * sizeof *tmp);
	for (size_t i = 0; i < n; i++)
		tmp[i].sem_flg |= IPC_NOWAIT;
	int rc = semop(id, tmp, n) == 0 ? 0 : -errno;
	if (tmp != local)
		free(tmp);
	return rc;
}

/* The wait's prologue and its check between system calls: publish the thread
 * id (before reading the stop word, which Go sets before reading the id), then
 * whether to stop. */
/* A thread that blocks SIGURG (pthread_sigmask on a locked goroutine) would
 * never see the cancellation signal: SIGURG is unblocked for the length of the
 * wait, and the caller's mask restored after it. */
static __thread sigset_t wait_saved_mask;
static __thread int wait_mask_changed;

static void publish_tid(int slot)
{
	sigset_t urg;
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	wait_mask_changed = pthread_sigmask(SIG_UNBLOCK, &urg, &wait_saved_mask) == 0 &&
			    sigismember(&wait_saved_mask, SIGURG) == 1;
	__atomic_store_n(&libcipc_sysv_tid[slot], (int)gettid(), __ATOMIC_SEQ_CST);
}

static int stopped(int slot)
{
	return __atomic_load_n(&libcipc_wait_stop[slot], __ATOMIC_SEQ_CST) != 0;
}

static void unpublish_tid(int slot)
{
	__atomic_store_n(&libcipc_sysv_tid[slot], 0, __ATOMIC_SEQ_CST);
	if (wait_mask_changed)
		pthread_sigmask(SIG_SETMASK, &wait_saved_mask, NULL);
}

int libcipc_semop_wait(int id, void *ops, size_t n, const libcipc_wait *w, int slot)
{
	int rc;
	publish_tid(slot);
	for (;;) {
		if (stopped(slot)) {
			rc = LIBCIPC_SYSV_STOPPED;
			break;
		}
		if (w->mode == LIBCIPC_WAIT_ABS) {
			int64_t left = (w->sec * 1000000000 + w->nsec) - mono_ns();
			if (left < 0)
				left = 0; /* one more try, then EAGAIN */
			struct timespec rel = {.tv_sec = left / 1000000000, .tv_nsec = left % 1000000000};
			rc = semtimedop(id, (struct sembuf *)ops, n, &rel);
		} else {
			rc = semop(id, (struct sembuf *)ops, n);
		}
		if (rc == 0)
			break;
		if (errno != EINTR) {
			rc = -errno;
			break;
		}
	}
	unpublish_tid(slot);
	return rc;
}

int libcipc_semctl(int id, int num, int cmd, int val)
{
	union libcipc_semun arg = {.val = val};
	int rc = semctl(id, num, cmd, arg);
	return rc >= 0 ? rc : -errno;
}

int libcipc_semctl_ds(int id, int cmd, void *buf)
{
	union libcipc_semun arg = {.buf = (struct semid_ds *)buf};
	return semctl(id, 0, cmd, arg) == 0 ? 0 : -errno;
}

int libcipc_semctl_all(int id, int cmd, unsigned short *vals, size_t n)
{
	struct semid_ds ds;
	union libcipc_semun arg = {.buf = &ds};
	if (semctl(id, 0, IPC_STAT, arg) != 0)
		return -errno;
	if (ds.sem_nsems > n)
		return (int)ds.sem_nsems;
	arg.array = vals;
	return semctl(id, 0, cmd, arg) == 0 ? 0 : -errno;
}

int libcipc_msgget(int32_t key, int flags)
{
	int id = msgget((key_t)key, flags);
	return id >= 0 ? id : -errno;
}

/* struct msgbuf {long mtype; char mtext[]}: small messages on the stack. */
struct staged {
	long mtype;
	char mtext[LIBCIPC_MSG_STACK];
};

/* A msgbuf able to hold n bytes of text: the stack one, or malloc'd. */
static struct staged *stage(struct staged *local, size_t n)
{
	if (n <= LIBCIPC_MSG_STACK)
		return local;
	if (n > SIZE_MAX - sizeof(long))
		return NULL;
	return malloc(sizeof(long) + n);
}

static void unstage(struct staged *local, struct staged *m)
{
	if (m != local)
		free(m);
}

static int msgsnd_loop(int id, long mtype, const void *data, size_t n, int flags, int slot)
{
	/* The kernel's msg_ctlmax is an int: beyond INT_MAX the answer is EINVAL
	 * (as msgsnd(2) would give), without staging a copy first. */
	if (n > INT_MAX)
		return -EINVAL;
	struct staged local, *m = stage(&local, n);
	if (m == NULL)
		return -ENOMEM;
	m->mtype = mtype;
	if (n > 0)
		memcpy(m->mtext, data, n);
	int rc;
	for (;;) {
		if (slot >= 0 && stopped(slot)) {
			rc = LIBCIPC_SYSV_STOPPED;
			break;
		}
		if (msgsnd(id, m, n, flags) == 0) {
			rc = 0;
			break;
		}
		if (errno != EINTR || slot < 0) {
			rc = -errno;
			break;
		}
	}
	unstage(&local, m);
	return rc;
}

int libcipc_msgsnd(int id, long mtype, const void *data, size_t n, int flags)
{
	return msgsnd_loop(id, mtype, data, n, flags, -1);
}

int libcipc_msgsnd_wait(int id, long mtype, const void *data, size_t n, int flags, int slot)
{
	publish_tid(slot);
	int rc = msgsnd_loop(id, mtype, data, n, flags, slot);
	unpublish_tid(slot);
	return rc;
}

static long msgrcv_loop(int id, void *buf, size_t n, long msgtyp, int flags, long *mtype, int slot)
{
	struct staged local, *m = stage(&local, n);
	if (m == NULL)
		return -ENOMEM;
	long rc;
	for (;;) {
		if (slot >= 0 && stopped(slot)) {
			rc = LIBCIPC_SYSV_STOPPED;
			break;
		}
		ssize_t got = msgrcv(id, m, n, msgtyp, flags);
		if (got >= 0) {
			if (got > 0)
				memcpy(buf, m->mtext, (size_t)got);
			*mtype = m->mtype;
			rc = (long)got;
			break;
		}
		if (errno != EINTR || slot < 0) {
			rc = -errno;
			break;
		}
	}
	unstage(&local, m);
	return rc;
}

long libcipc_msgrcv(int id, void *buf, size_t n, long msgtyp, int flags, long *mtype)
{
	return msgrcv_loop(id, buf, n, msgtyp, flags, mtype, -1);
}

long libcipc_msgrcv_wait(int id, void *buf, size_t n, long msgtyp, int flags, long *mtype, int slot)
{
	publish_tid(slot);
	long rc = msgrcv_loop(id, buf, n, msgtyp, flags, mtype, slot);
	unpublish_tid(slot);
	return rc;
}

int libcipc_msgctl(int id, int cmd, void *buf)
{
	return msgctl(id, cmd, (struct msqid_ds *)buf) == 0 ? 0 : -errno;
}

int libcipc_shmget(int32_t key, size_t size, int flags)
{
	int id = shmget((key_t)key, size, flags);
	return id >= 0 ? id : -errno;
}

libcipc_ptr libcipc_shmat(int id, int flags, uint64_t *size)
{
	libcipc_ptr r = {0, 0};
	void *p = shmat(id, NULL, flags);
	if (p == (void *)-1) {
		r.err = errno;
		return r;
	}
	/* Attached, the segment cannot go away (nattch >= 1), and shmat needed
	 * the read permission IPC_STAT asks for. */
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) != 0) {
		r.err = errno;
		shmdt(p);
		return r;
	}
	*size = (uint64_t)ds.shm_segsz;
	r.ptr = p;
	return r;
}

int libcipc_shmdt(const void *addr)
{
	return shmdt(addr) == 0 ? 0 : -errno;
}

int libcipc_shmctl(int id, int cmd, void *buf)
{
	return shmctl(id, cmd, (struct shmid_ds *)buf) == 0 ? 0 : -errno;
}
