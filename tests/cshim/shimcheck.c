/*
 * shimcheck.c - create/use/destroy cycles of every shim-level object of
 * csrc/ (every .c file), built with -fsanitize=address (LeakSanitizer at exit) or run under
 * valgrind --leak-check=full, for `make check-c`.
 *
 * The shims are linked as they are; the two Go exports they call
 * (libcipcMQNotified, libcipcOnceCall) are defined here as the Go side uses
 * them: they count calls, which the cycles check.
 *
 * usage: shimcheck [cycles]   (default 2000; names carry the pid)
 * Exit 0 when every check passed, 1 with a message on the first failure (a
 * leak is reported by the sanitizer or valgrind with their own exit code).
 */
#define _GNU_SOURCE
#include "../../include/libcipc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int notified, once_calls;

void libcipcMQNotified(uintptr_t id)
{
	(void)id;
	__atomic_add_fetch(&notified, 1, __ATOMIC_SEQ_CST);
}

void libcipcOnceCall(uintptr_t arg)
{
	(void)arg;
	__atomic_add_fetch(&once_calls, 1, __ATOMIC_SEQ_CST);
}

static const char *step;

#define CHECK(expr)                                                                 \
	do {                                                                        \
		long _rc = (long)(expr);                                            \
		if (_rc < 0) {                                                      \
			fprintf(stderr, "shimcheck: %s: %s: %s (%ld)\n", step, #expr, \
				strerror((int)-_rc), _rc);                          \
			exit(1);                                                    \
		}                                                                   \
	} while (0)
#define EXPECT(cond)                                                               \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "shimcheck: %s: %s is false\n", step, #cond); \
			exit(1);                                                   \
		}                                                                  \
	} while (0)
#define PTR(r)                                                                          \
	({                                                                              \
		libcipc_ptr _p = (r);                                                   \
		if (_p.err != 0) {                                                      \
			fprintf(stderr, "shimcheck: %s: %s: %s\n", step, #r, strerror(_p.err)); \
			exit(1);                                                        \
		}                                                                       \
		_p.ptr;                                                                 \
	})

static char sem_name[64], shm_name[64], mq_name[64], lock_path[64];

/* The System V objects a cycle holds (-1: none), removed with the names by
 * remove_leftovers when a check fails and exits. */
static int sysv_sem = -1, sysv_msg = -1, sysv_shm = -1;

static void remove_leftovers(void)
{
	libcipc_sem_unlink(sem_name);
	libcipc_shm_unlink(shm_name);
	libcipc_mq_unlink(mq_name);
	unlink(lock_path);
	if (sysv_sem >= 0)
		libcipc_semctl(sysv_sem, 0, IPC_RMID, 0);
	if (sysv_msg >= 0)
		libcipc_msgctl(sysv_msg, IPC_RMID, NULL);
	if (sysv_shm >= 0)
		libcipc_shmctl(sysv_shm, IPC_RMID, NULL);
}

static void sems(void)
{
	step = "named semaphore";
	sem_t *s = PTR(libcipc_sem_open(sem_name, O_CREAT | O_EXCL, 0600, 1));
	CHECK(libcipc_sem_post(s));
	libcipc_wait w = {.mode = LIBCIPC_WAIT_REL, .sec = 1};
	CHECK(libcipc_sem_wait_begin(s, &w));
	EXPECT(libcipc_sem_getvalue(s) == 1);
	CHECK(libcipc_sem_trywait(s));
	CHECK(libcipc_sem_close(s));
	s = PTR(libcipc_sem_open(sem_name, 0, 0, 0)); /* the probed path */
	CHECK(libcipc_sem_close(s));
	CHECK(libcipc_sem_unlink(sem_name));

	step = "unnamed semaphore";
	s = PTR(libcipc_sem_new(0));
	CHECK(libcipc_sem_post(s));
	libcipc_wait abs = {.mode = LIBCIPC_WAIT_FOREVER};
	EXPECT(libcipc_sem_wait_loop(s, &abs, 1000000, 0) == 0);
	w = (libcipc_wait){.mode = LIBCIPC_WAIT_REL, .nsec = 1000};
	EXPECT(libcipc_sem_wait_begin(s, &w) == -EAGAIN);
	EXPECT(libcipc_sem_wait_slice(s, &w, 1000000) == -ETIMEDOUT);
	CHECK(libcipc_sem_free(s));

	step = "semaphore in a mapping";
	void *m = PTR(libcipc_mmap(4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
	CHECK(libcipc_sem_init_shared(m, 1));
	CHECK(libcipc_sem_trywait(m));
	CHECK(libcipc_sem_destroy(m));
	CHECK(libcipc_munmap(m, 4096));
}

static void shm(void)
{
	step = "shared memory";
	int fd = libcipc_shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd);
	CHECK(libcipc_ftruncate(fd, 8192));
	int64_t st[4];
	CHECK(libcipc_fstat(fd, st));
	EXPECT(st[0] == 8192);
	char *m = PTR(libcipc_mmap(8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	memcpy(m + 100, "soak", 4);
	CHECK(libcipc_msync(m, 8192, MS_SYNC));
	CHECK(libcipc_madvise(m, 8192, MADV_WILLNEED));
	unsigned char vec[2];
	CHECK(libcipc_mincore(m, 8192, vec));
	CHECK(libcipc_mprotect(m, 8192, PROT_READ));
	CHECK(libcipc_probe_readable(m + 100, 4));
	m = PTR(libcipc_mremap(m, 8192, 4096, MREMAP_MAYMOVE));
	EXPECT(memcmp(m + 100, "soak", 4) == 0);
	CHECK(libcipc_munmap(m, 4096));
	CHECK(libcipc_close(fd));
	CHECK(libcipc_shm_unlink(shm_name));
}

static void mq(void)
{
	step = "message queue";
	int q = libcipc_mq_open(mq_name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, 1, 4, 64);
	CHECK(q);
	CHECK(libcipc_mq_notify_thread(q, 7));
	CHECK(libcipc_mq_notify_cancel(q));
	CHECK(libcipc_mq_notify_signal(q, SIGUSR1, 1));
	CHECK(libcipc_mq_notify_cancel(q));
	CHECK(libcipc_mq_send(q, "soak", 4, 3));
	char buf[64];
	unsigned prio = 0;
	EXPECT(libcipc_mq_receive(q, buf, sizeof buf, &prio) == 4 && prio == 3);
	long attr[4];
	CHECK(libcipc_mq_getattr(q, attr));
	CHECK(libcipc_mq_setattr(q, O_NONBLOCK, attr));
	CHECK(libcipc_mq_close(q));
	CHECK(libcipc_mq_unlink(mq_name));
}

/* One notification that fires: glibc's SIGEV_THREAD helper runs the trampoline. */
static void mq_notify_fires(void)
{
	step = "message queue notification";
	int q = libcipc_mq_open(mq_name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, 1, 4, 64);
	CHECK(q);
	int before = notified;
	CHECK(libcipc_mq_notify_thread(q, 9));
	CHECK(libcipc_mq_send(q, "x", 1, 0));
	for (int i = 0; i < 5000 && notified == before; i++)
		usleep(1000);
	EXPECT(notified == before + 1);
	CHECK(libcipc_mq_close(q));
	CHECK(libcipc_mq_unlink(mq_name));
}

static void sync_objects(void)
{
	libcipc_wait w = {.mode = LIBCIPC_WAIT_REL, .sec = 1};
	libcipc_wait past = {.mode = LIBCIPC_WAIT_ABS, .clock = CLOCK_MONOTONIC, .sec = 1};

	step = "mutex";
	libcipc_mutexattr ma = {.type = PTHREAD_MUTEX_ERRORCHECK, .robust = PTHREAD_MUTEX_ROBUST};
	pthread_mutex_t *mu = PTR(libcipc_mutex_new(&ma));
	CHECK(libcipc_mutex_lock_begin(mu, &w));
	EXPECT(libcipc_mutex_unlock(mu) == 0);
	CHECK(libcipc_mutex_trylock(mu));

	step = "cond";
	pthread_cond_t *c = PTR(libcipc_cond_new(0, CLOCK_MONOTONIC));
	EXPECT(libcipc_cond_clock(c) == CLOCK_MONOTONIC);
	CHECK(libcipc_cond_signal(c));
	CHECK(libcipc_cond_broadcast(c));
	EXPECT(libcipc_cond_wait(c, mu, &past) == -ETIMEDOUT);
	EXPECT(libcipc_mutex_unlock(mu) == 0);
	CHECK(libcipc_cond_free(c));
	CHECK(libcipc_mutex_free(mu));

	step = "rwlock";
	pthread_rwlock_t *l = PTR(libcipc_rwlock_new(0, 0));
	CHECK(libcipc_rwlock_rd_begin(l, &w));
	CHECK(libcipc_rwlock_tryrdlock(l));
	EXPECT(libcipc_rwlock_unlock(l) == 1);
	EXPECT(libcipc_rwlock_unlock(l) == 1);
	CHECK(libcipc_rwlock_wr_begin(l, &w));
	EXPECT(libcipc_rwlock_unlock(l) == 0);
	CHECK(libcipc_rwlock_free(l));

	step = "barrier";
	pthread_barrier_t *b = PTR(libcipc_barrier_new(1, 0));
	EXPECT(libcipc_barrier_wait(b) == 1);
	CHECK(libcipc_barrier_free(b));

	step = "spin lock";
	pthread_spinlock_t *s = PTR(libcipc_spin_new(0));
	CHECK(libcipc_spin_lock_bounded(s, 10));
	EXPECT(libcipc_spin_trylock(s) == -EBUSY);
	CHECK(libcipc_spin_unlock(s));
	CHECK(libcipc_spin_free(s));

	step = "sync objects in a mapping";
	char *m = PTR(libcipc_mmap(4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
	libcipc_mutexattr sa = {.pshared = PTHREAD_PROCESS_SHARED};
	CHECK(libcipc_mutex_init((void *)m, &sa));
	CHECK(libcipc_cond_init((void *)(m + 64), 1, CLOCK_REALTIME));
	CHECK(libcipc_rwlock_init((void *)(m + 128), 1, 0));
	CHECK(libcipc_barrier_init((void *)(m + 256), 1, 1));
	CHECK(libcipc_spin_init((void *)(m + 320), 1));
	CHECK(libcipc_mutex_lock_loop((void *)m, &w, 1000000, 1) == 0 ? 0 : -EIO);
	EXPECT(libcipc_mutex_unlock((void *)m) == 0);
	CHECK(libcipc_spin_destroy((void *)(m + 320)));
	CHECK(libcipc_barrier_destroy((void *)(m + 256)));
	CHECK(libcipc_rwlock_destroy((void *)(m + 128)));
	CHECK(libcipc_cond_destroy((void *)(m + 64)));
	CHECK(libcipc_mutex_destroy((void *)m));
	CHECK(libcipc_munmap(m, 4096));
}

static void *exit_with_value(void *arg)
{
	unsigned *keys = arg;
	libcipc_setspecific(keys[0], (uintptr_t)malloc(24)); /* freed by "free" */
	libcipc_setspecific(keys[1], 42);                    /* a record to the pipe */
	return NULL;
}

static void threads(int dtor_pipe)
{
	step = "keys";
	unsigned keys[2];
	CHECK(libcipc_key_create_c("free", &keys[0]));
	CHECK(libcipc_key_create_go(3, &keys[1]));
	CHECK(libcipc_setspecific(keys[0], 0));
	EXPECT(libcipc_getspecific(keys[0]) == 0);
	pthread_t th;
	EXPECT(pthread_create(&th, NULL, exit_with_value, keys) == 0);
	EXPECT(pthread_join(th, NULL) == 0);
	libcipc_dtor_rec rec;
	EXPECT(read(dtor_pipe, &rec, sizeof rec) == sizeof rec && rec.slot == 3 && rec.value == 42);
	void *v = malloc(16);
	CHECK(libcipc_call_dtor("free", (uintptr_t)v));
	CHECK(libcipc_key_delete(keys[1]));
	CHECK(libcipc_key_delete(keys[0]));

	step = "once";
	pthread_once_t *o = PTR(libcipc_once_new());
	int before = once_calls;
	CHECK(libcipc_once(o, 1));
	CHECK(libcipc_once(o, 1));
	EXPECT(once_calls == before + 1);
	libcipc_free(o);

	step = "thread variables";
	libcipc_tls_set(5, 2, 40);
	EXPECT(libcipc_tls_add(5, 2, 2) == 42);
	EXPECT(libcipc_tls_get(5, 3) == 0);
	CHECK(libcipc_tls_clear());
}

static void signals(void)
{
	step = "signal receiver";
	int p[2];
	CHECK(libcipc_pipe2(p, O_CLOEXEC | O_NONBLOCK));
	char old[LIBCIPC_SIZEOF_SIGACTION];
	CHECK(libcipc_sigrecv_install(SIGUSR2, p[1], old));
	CHECK(libcipc_sigqueue(getpid(), SIGUSR2, 77));
	libcipc_siginfo si;
	EXPECT(read(p[0], &si, sizeof si) == sizeof si && si.signo == SIGUSR2 && si.value == 77);
	CHECK(libcipc_sigrecv_restore(SIGUSR2, old));
	CHECK(libcipc_close(p[0]));
	CHECK(libcipc_close(p[1]));
}

static void files(void)
{
	step = "file locks";
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd < 0 ? -errno : fd);
	CHECK(libcipc_pwrite(fd, "0123456789", 10, 0));
	char buf[10];
	EXPECT(libcipc_pread(fd, buf, 10, 0) == 10);
	libcipc_lockreq r = {.fd = fd, .kind = LIBCIPC_LOCK_FCNTL, .cmd = F_SETLK, .type = F_WRLCK, .len = 4};
	CHECK(libcipc_lock(&r));
	r.type = F_UNLCK;
	CHECK(libcipc_lock(&r));
	libcipc_wait w = {.mode = LIBCIPC_WAIT_REL, .sec = 1};
	r = (libcipc_lockreq){.fd = fd, .kind = LIBCIPC_LOCK_FCNTL, .cmd = F_OFD_SETLKW, .type = F_RDLCK, .start = 4, .len = 4};
	CHECK(libcipc_lock_wait_begin(&r, &w));
	r.cmd = F_OFD_GETLK;
	r.type = F_WRLCK;
	CHECK(libcipc_lock(&r));
	r = (libcipc_lockreq){.fd = fd, .kind = LIBCIPC_LOCK_FLOCK, .cmd = LOCK_EX | LOCK_NB};
	CHECK(libcipc_lock(&r));
	r.cmd = LOCK_UN;
	CHECK(libcipc_lock(&r));
	r = (libcipc_lockreq){.fd = fd, .kind = LIBCIPC_LOCK_LOCKF, .cmd = F_TLOCK, .len = 2};
	CHECK(libcipc_lock(&r));
	r.cmd = F_ULOCK;
	CHECK(libcipc_lock(&r));
	CHECK(libcipc_fdatasync(fd));
	CHECK(libcipc_close(fd));

	step = "pipe";
	int p[2];
	CHECK(libcipc_pipe2(p, O_CLOEXEC));
	CHECK(libcipc_close(p[0]));
	CHECK(libcipc_close(p[1]));
}

/* posix_spawn of /bin/true (the path, then ARGS arguments, argv[0] "a0")
 * with more than 256 arguments (the malloc'd argv path) and each
 * kind of file action, then waitpid. */
static void spawn(void)
{
	step = "spawn";
	enum { ARGS = 300 };
	static char strings[4096];
	char *p = strings;
	p += sprintf(p, "/bin/true") + 1;
	for (int i = 0; i < ARGS; i++)
		p += sprintf(p, "a%d", i) + 1;
	p += sprintf(p, "/dev/null") + 1;
	libcipc_spawn d = {.argc = ARGS, .envc = -1, .nacts = 3};
	int64_t acts[15] = {
		LIBCIPC_SPAWN_OPEN, 9, O_RDONLY, 0, 0,
		LIBCIPC_SPAWN_DUP2, 9, 8, 0, 0,
		LIBCIPC_SPAWN_CLOSE, 9, 0, 0, 0,
	};
	int pid = libcipc_spawn_run(&d, strings, acts);
	CHECK(pid);
	int status;
	EXPECT(libcipc_waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void sysv(void)
{
	step = "System V semaphores";
	enum { N = 80 }; /* more than LIBCIPC_SEMOP_FAST: the malloc'd copy */
	int id = libcipc_semget(IPC_PRIVATE, N, IPC_CREAT | 0600);
	CHECK(id);
	sysv_sem = id;
	struct sembuf ops[N];
	for (int i = 0; i < N; i++)
		ops[i] = (struct sembuf){.sem_num = i, .sem_op = 1};
	libcipc_wait w = {.mode = LIBCIPC_WAIT_REL, .sec = 1};
	CHECK(libcipc_semop_begin(id, ops, N, &w));
	for (int i = 0; i < N; i++)
		ops[i].sem_op = -1;
	CHECK(libcipc_semop_wait(id, ops, N, &w, 2));
	unsigned short vals[N];
	CHECK(libcipc_semctl_all(id, GETALL, vals, N));
	EXPECT(vals[0] == 0 && vals[N - 1] == 0);
	struct semid_ds ds;
	CHECK(libcipc_semctl_ds(id, IPC_STAT, &ds));
	CHECK(libcipc_semctl(id, 0, IPC_RMID, 0));
	sysv_sem = -1;

	step = "System V message queue";
	/* msgmax is 8192 here (= LIBCIPC_MSG_STACK): a send stages on the stack;
	 * a receive into a larger buffer takes the malloc'd path. */
	enum { BIG = LIBCIPC_MSG_STACK, RBUF = LIBCIPC_MSG_STACK + 100 };
	static char big[BIG], got[RBUF];
	id = libcipc_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	CHECK(id);
	sysv_msg = id;
	CHECK(libcipc_msgsnd(id, 5, "soak", 4, IPC_NOWAIT));
	CHECK(libcipc_msgsnd(id, 6, big, BIG, IPC_NOWAIT));
	long mtype;
	EXPECT(libcipc_msgrcv(id, got, 4, 0, IPC_NOWAIT, &mtype) == 4 && mtype == 5);
	EXPECT(libcipc_msgrcv_wait(id, got, RBUF, 6, 0, &mtype, 3) == BIG && mtype == 6);
	CHECK(libcipc_msgctl(id, IPC_RMID, NULL));
	sysv_msg = -1;

	step = "System V shared memory";
	id = libcipc_shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	CHECK(id);
	sysv_shm = id;
	uint64_t size;
	char *m = PTR(libcipc_shmat(id, 0, &size));
	EXPECT(size == 4096);
	memcpy(m, "soak", 4);
	CHECK(libcipc_shmdt(m));
	CHECK(libcipc_shmctl(id, IPC_RMID, NULL));
	sysv_shm = -1;
}

static void misc(void)
{
	step = "errno, sysconf, malloc";
	char buf[128];
	EXPECT(libcipc_strerror(ENOENT, buf, sizeof buf) > 0);
	long v;
	CHECK(libcipc_sysconf(_SC_PAGESIZE, &v));
	uint64_t mi[10];
	libcipc_mallinfo(mi);
	int32_t key;
	CHECK(libcipc_ftok("/", 1, &key));
}

int main(int argc, char **argv)
{
	int cycles = argc > 1 ? atoi(argv[1]) : 2000;
	int pid = getpid();
	snprintf(sem_name, sizeof sem_name, "/shimcheck-%d-sem", pid);
	snprintf(shm_name, sizeof shm_name, "/shimcheck-%d-shm", pid);
	snprintf(mq_name, sizeof mq_name, "/shimcheck-%d-mq", pid);
	snprintf(lock_path, sizeof lock_path, "/tmp/shimcheck-%d.lock", pid);
	atexit(remove_leftovers);
	int dp[2];
	CHECK(libcipc_pipe2(dp, O_CLOEXEC));
	/* The destructor's record is written before pthread_join returns: a
	 * read of the pipe that would block means none came (fail, not hang). */
	CHECK(fcntl(dp[0], F_SETFL, O_NONBLOCK) < 0 ? -errno : 0);
	libcipc_dtor_fd = dp[1];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < cycles; i++) {
		sems();
		shm();
		mq();
		sync_objects();
		threads(dp[0]);
		signals();
		files();
		sysv();
		misc();
		if (i % 100 == 0)
			spawn();
	}
	mq_notify_fires();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	libcipc_dtor_fd = -1;
	close(dp[0]);
	close(dp[1]);
	unlink(lock_path);
	printf("shimcheck: %d cycles in %.2f s, %d notification, %d once calls\n", cycles,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, notified, once_calls);
	return 0;
}
