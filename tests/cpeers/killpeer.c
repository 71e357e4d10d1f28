/*
 * killpeer: the victim of the SIGKILL fault tests (tests/fault_kill_test.go).
 * It plays one side of a cross-process protocol of the library, journals every
 * step in shared memory (write-ahead: the journal names the step about to be
 * taken), and is killed by the test at a random point: after a random delay,
 * or while it pauses itself at a random step index. Its protocol and the
 * shared layouts are those of internal/scenario/faultkill.go (the Go side
 * reads them from there); the test's survivor classifies every item from the
 * journal and the protected data.
 *
 *   killpeer ROLE SHMNAME PAUSEAT [ARG]
 *
 * ROLE is ring-producer, ring-consumer, mutex-producer, mutex-consumer,
 * mq-sender, mq-receiver (ARG: the queue name), lock-fcntl, lock-ofd,
 * lock-flock (ARG: the file path). SHMNAME is the shared memory object the
 * test created (4096 bytes, journal at JOURNAL). PAUSEAT is the step index at
 * which the peer stops and waits to be killed (0: never; it is then killed
 * after a delay). `killpeer serve` forks victims on request (see serve).
 * The peer never ends on its own before WAIT_MS: once done it
 * waits to be killed. Exit codes as PROTOCOL.md (2 a call failed, 3 timeout,
 * 4 verification failed).
 */
#define _GNU_SOURCE
#define PEER_NAME "killpeer"
#include "peer.h"

#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

/* Journal (offsets from JOURNAL) — see internal/scenario/faultkill.go. */
#define JOURNAL 3072
#define J_STEP 0    /* uint32: steps taken so far */
#define J_PAUSEAT 4 /* uint32: step at which to pause (0 never) */
#define J_PAUSED 8  /* uint32: the step paused at */
#define J_READY 12  /* uint32: 1 once attached */
#define J_SEQ 16    /* uint32: the item of the current operation */
#define J_STATE 20  /* uint32: the step about to be taken (write-ahead) */
#define J_COUNT 24  /* uint32: items completed and recorded */
#define J_SUM 32    /* uint64: sum of the items recorded (consumers) */

/* Ring (seed-003 layout, 8 slots). */
#define R_EMPTY 0
#define R_FULL 32
#define R_MUTEX 64
#define R_HEAD 96
#define R_TAIL 100
#define R_SLOTS 128
#define R_NSLOTS 8

/* Robust mutex + condition variable. */
#define M_MUTEX 0
#define M_COND 64
#define M_PRODUCED 128
#define M_CONSUMED 132
#define M_ITEMS 136

/* File lock critical section (in the shm object). */
#define L_INSIDE 128  /* uint32: pid of the process inside, 0 none */
#define L_COUNTER 132 /* uint32: increments made under the lock */

#define ITEM_MUL 0x9E3779B97F4A7C15ULL
#define MAX_ITEMS 1000000u

static unsigned char *base;

static uint32_t *u32(int off) { return (uint32_t *)(base + off); }
static uint64_t *u64(int off) { return (uint64_t *)(base + off); }
static uint32_t ld(int off) { return __atomic_load_n(u32(off), __ATOMIC_SEQ_CST); }
static void st(int off, uint32_t v) { __atomic_store_n(u32(off), v, __ATOMIC_SEQ_CST); }
static void st64(int off, uint64_t v) { __atomic_store_n(u64(off), v, __ATOMIC_SEQ_CST); }

/* Wait to be killed, for at most WAIT_MS. */
static _Noreturn void await_kill(void)
{
    sleep_ms(WAIT_MS);
    fprintf(stderr, PEER_NAME ": not killed within %lld ms\n", WAIT_MS);
    exit(EXIT_TIMEOUT);
}

/* Journal the step about to be taken; pause there when it is PAUSEAT. */
static void step(uint32_t state)
{
    st(JOURNAL + J_STATE, state);
    uint32_t s = ld(JOURNAL + J_STEP) + 1;
    st(JOURNAL + J_STEP, s);
    if (s == ld(JOURNAL + J_PAUSEAT)) {
        st(JOURNAL + J_PAUSED, s);
        await_kill();
    }
}

static void sem_wait_bounded(sem_t *s, const char *what)
{
    struct timespec dl = deadline_in(WAIT_MS);
    while (sem_timedwait(s, &dl) != 0) {
        if (errno != EINTR)
            fail_wait("sem_timedwait", what, errno);
    }
}

static void must_post(sem_t *s, const char *what)
{
    if (sem_post(s) != 0)
        fail("sem_post", what);
}

/* Ring states (write-ahead). */
enum { RP_WAIT_EMPTY = 1, RP_WAIT_MUTEX, RP_WRITE, RP_PUBLISH, RP_POST_MUTEX, RP_POST_FULL, RP_DONE };
enum { RC_WAIT_FULL = 1, RC_WAIT_MUTEX, RC_READ, RC_TAKE, RC_POST_MUTEX, RC_POST_EMPTY, RC_RECORD, RC_DONE };

static void ring_producer(void)
{
    sem_t *empty = (sem_t *)(base + R_EMPTY), *full = (sem_t *)(base + R_FULL), *mutex = (sem_t *)(base + R_MUTEX);
    for (uint32_t seq = 1; seq <= MAX_ITEMS; seq++) {
        st(JOURNAL + J_SEQ, seq);
        step(RP_WAIT_EMPTY);
        sem_wait_bounded(empty, "empty");
        step(RP_WAIT_MUTEX);
        sem_wait_bounded(mutex, "mutex");
        step(RP_WRITE);
        uint32_t head = ld(R_HEAD);
        st64(R_SLOTS + 8 * (head % R_NSLOTS), seq * ITEM_MUL);
        step(RP_PUBLISH);
        st(R_HEAD, head + 1);
        step(RP_POST_MUTEX);
        must_post(mutex, "mutex");
        step(RP_POST_FULL);
        must_post(full, "full");
        st(JOURNAL + J_COUNT, seq);
        step(RP_DONE);
    }
    await_kill();
}

static void ring_consumer(void)
{
    sem_t *empty = (sem_t *)(base + R_EMPTY), *full = (sem_t *)(base + R_FULL), *mutex = (sem_t *)(base + R_MUTEX);
    uint64_t sum = 0;
    for (uint32_t n = 1; n <= MAX_ITEMS; n++) {
        st(JOURNAL + J_SEQ, 0);
        step(RC_WAIT_FULL);
        sem_wait_bounded(full, "full");
        step(RC_WAIT_MUTEX);
        sem_wait_bounded(mutex, "mutex");
        step(RC_READ);
        uint32_t tail = ld(R_TAIL);
        uint64_t v = __atomic_load_n(u64(R_SLOTS + 8 * (tail % R_NSLOTS)), __ATOMIC_SEQ_CST);
        if (v != (uint64_t)(tail + 1) * ITEM_MUL) {
            fprintf(stderr, PEER_NAME ": ring slot %u holds %llu, want item %u\n", tail % R_NSLOTS,
                    (unsigned long long)v, tail + 1);
            exit(EXIT_VERIFY);
        }
        st(JOURNAL + J_SEQ, tail + 1);
        step(RC_TAKE);
        st(R_TAIL, tail + 1);
        step(RC_POST_MUTEX);
        must_post(mutex, "mutex");
        step(RC_POST_EMPTY);
        must_post(empty, "empty");
        step(RC_RECORD);
        sum += v;
        st64(JOURNAL + J_SUM, sum);
        st(JOURNAL + J_COUNT, tail + 1);
        step(RC_DONE);
    }
    await_kill();
}

/* Robust mutex states (write-ahead). */
enum { MX_LOCK = 1, MX_INC_FIRST, MX_INC_SECOND, MX_INCREMENTED, MX_UNLOCK, MX_DONE, MX_CONDWAIT };

static void mutex_lock(pthread_mutex_t *mu)
{
    struct timespec dl = deadline_in(WAIT_MS);
    int rc = pthread_mutex_timedlock(mu, &dl);
    if (rc != 0) /* EOWNERDEAD cannot come: the test's survivor does not die */
        fail_wait("pthread_mutex_timedlock", "mutex", rc);
}

static void mutex_role(bool producer)
{
    pthread_mutex_t *mu = (pthread_mutex_t *)(base + M_MUTEX);
    pthread_cond_t *cv = (pthread_cond_t *)(base + M_COND);
    for (uint32_t n = 1; n <= MAX_ITEMS; n++) {
        step(MX_LOCK);
        mutex_lock(mu);
        if (producer) {
            st(JOURNAL + J_SEQ, ld(M_PRODUCED) + 1);
            step(MX_INC_FIRST);
            st(M_PRODUCED, ld(M_PRODUCED) + 1);
            step(MX_INC_SECOND);
            st(M_ITEMS, ld(M_ITEMS) + 1);
            /* No pthread_cond_signal here: a process killed inside it holds
             * the condition variable's internal lock for ever, and every
             * later wait (timed or not) hangs in __condvar_acquire_lock
             * (glibc 2.36). The survivor consumer polls with timed waits. */
            step(MX_INCREMENTED);
        } else {
            struct timespec dl = deadline_in(WAIT_MS);
            while (ld(M_ITEMS) == 0) {
                step(MX_CONDWAIT);
                int rc = pthread_cond_timedwait(cv, mu, &dl);
                if (rc != 0)
                    fail_wait("pthread_cond_timedwait", "cond", rc);
            }
            st(JOURNAL + J_SEQ, ld(M_CONSUMED) + 1);
            step(MX_INC_FIRST);
            st(M_CONSUMED, ld(M_CONSUMED) + 1);
            step(MX_INC_SECOND);
            st(M_ITEMS, ld(M_ITEMS) - 1);
        }
        step(MX_UNLOCK);
        int rc = pthread_mutex_unlock(mu);
        if (rc != 0)
            fail_wait("pthread_mutex_unlock", "mutex", rc);
        st(JOURNAL + J_COUNT, ld(JOURNAL + J_COUNT) + 1);
        step(MX_DONE);
    }
    await_kill();
}

/* Message queue states. */
enum { MQ_SEND = 1, MQ_SENT, MQ_RECEIVE, MQ_RECORD, MQ_DONE };

static void mq_role(bool sender, const char *qname)
{
    mqd_t q = mq_open(qname, sender ? O_WRONLY : O_RDONLY);
    if (q == (mqd_t)-1)
        fail("mq_open", qname);
    st(JOURNAL + J_READY, 1);
    uint64_t sum = 0;
    for (uint32_t seq = 1; seq <= MAX_ITEMS; seq++) {
        char msg[64];
        if (sender) {
            int len = snprintf(msg, sizeof msg, "item %u", seq);
            st(JOURNAL + J_SEQ, seq);
            step(MQ_SEND);
            struct timespec dl = deadline_in(WAIT_MS);
            if (mq_timedsend(q, msg, (size_t)len, 0, &dl) != 0)
                fail_wait("mq_timedsend", qname, errno);
            st(JOURNAL + J_COUNT, seq);
            step(MQ_SENT);
        } else {
            st(JOURNAL + J_SEQ, 0);
            step(MQ_RECEIVE);
            struct timespec dl = deadline_in(WAIT_MS);
            ssize_t n = mq_timedreceive(q, msg, sizeof msg, NULL, &dl);
            if (n < 0)
                fail_wait("mq_timedreceive", qname, errno);
            /* The message is not NUL-terminated: compare its n bytes. */
            char want[64];
            int wlen = snprintf(want, sizeof want, "item %u", seq);
            if (n != wlen || memcmp(msg, want, (size_t)n) != 0) {
                fprintf(stderr, PEER_NAME ": message %u is %.*s\n", seq, (int)n, msg);
                exit(EXIT_VERIFY);
            }
            st(JOURNAL + J_SEQ, seq);
            step(MQ_RECORD);
            sum += seq;
            st64(JOURNAL + J_SUM, sum);
            st(JOURNAL + J_COUNT, seq);
            step(MQ_DONE);
        }
    }
    await_kill();
}

/* File lock states. */
enum { LK_LOCK = 1, LK_ENTER, LK_INCREMENT, LK_LEAVE, LK_UNLOCK, LK_DONE };

static int lock_kind;

static bool try_lock(int fd, bool lock)
{
    if (lock_kind == 2) {
        if (flock(fd, (lock ? LOCK_EX : LOCK_UN) | LOCK_NB) == 0)
            return true;
        if (errno != EWOULDBLOCK)
            fail("flock", "file");
        return false;
    }
    struct flock fl = {.l_type = lock ? F_WRLCK : F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    int cmd = lock_kind == 1 ? F_OFD_SETLK : F_SETLK;
    if (fcntl(fd, cmd, &fl) == 0)
        return true;
    if (errno != EAGAIN && errno != EACCES)
        fail("fcntl", "file");
    return false;
}

static void lock_role(const char *path)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        fail("open", path);
    st(JOURNAL + J_READY, 1);
    uint32_t me = (uint32_t)getpid();
    for (uint32_t n = 1; n <= MAX_ITEMS; n++) {
        step(LK_LOCK);
        int64_t dl = mono_deadline(WAIT_MS);
        while (!try_lock(fd, true)) {
            if (mono_passed(dl)) {
                fprintf(stderr, PEER_NAME ": lock not acquired within %lld ms\n", WAIT_MS);
                exit(EXIT_TIMEOUT);
            }
            sched_yield();
        }
        step(LK_ENTER);
        uint32_t in = ld(L_INSIDE);
        if (in != 0) {
            fprintf(stderr, PEER_NAME ": lock held, yet pid %u is inside\n", in);
            exit(EXIT_VERIFY);
        }
        st(L_INSIDE, me);
        st(JOURNAL + J_SEQ, ld(L_COUNTER) + 1);
        step(LK_INCREMENT);
        st(L_COUNTER, ld(L_COUNTER) + 1);
        step(LK_LEAVE);
        st(L_INSIDE, 0);
        step(LK_UNLOCK);
        if (!try_lock(fd, false))
            fail("unlock", path);
        st(JOURNAL + J_COUNT, n);
        step(LK_DONE);
    }
    await_kill();
}

static int run(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: " PEER_NAME " ROLE SHMNAME PAUSEAT [ARG]\n");
        return EXIT_USAGE;
    }
    const char *role = argv[1];
    long long pause_at;
    if (!parse_num(argv[3], &pause_at)) {
        fprintf(stderr, PEER_NAME ": bad PAUSEAT %s\n", argv[3]);
        return EXIT_USAGE;
    }
    int fd = shm_open(argv[2], O_RDWR, 0);
    if (fd < 0)
        fail("shm_open", argv[2]);
    base = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED)
        fail("mmap", argv[2]);
    close(fd);
    st(JOURNAL + J_PAUSEAT, (uint32_t)pause_at);
    bool needs_arg = strncmp(role, "mq-", 3) == 0 || strncmp(role, "lock-", 5) == 0;
    if (needs_arg && argc < 5) {
        fprintf(stderr, PEER_NAME ": %s needs ARG\n", role);
        return EXIT_USAGE;
    }
    if (!needs_arg)
        st(JOURNAL + J_READY, 1);
    if (strcmp(role, "ring-producer") == 0)
        ring_producer();
    else if (strcmp(role, "ring-consumer") == 0)
        ring_consumer();
    else if (strcmp(role, "mutex-producer") == 0)
        mutex_role(true);
    else if (strcmp(role, "mutex-consumer") == 0)
        mutex_role(false);
    else if (strcmp(role, "mq-sender") == 0)
        mq_role(true, argv[4]);
    else if (strcmp(role, "mq-receiver") == 0)
        mq_role(false, argv[4]);
    else if (strcmp(role, "lock-fcntl") == 0)
        lock_kind = 0, lock_role(argv[4]);
    else if (strcmp(role, "lock-ofd") == 0)
        lock_kind = 1, lock_role(argv[4]);
    else if (strcmp(role, "lock-flock") == 0)
        lock_kind = 2, lock_role(argv[4]);
    fprintf(stderr, PEER_NAME ": unknown role %s\n", role);
    return EXIT_USAGE;
}

/* killpeer serve: a fork server, so that a victim starts in a fork (about
 * 0.1 ms) instead of an exec. Each line on stdin is a victim's command line
 * (ROLE SHMNAME PAUSEAT [ARG], separated by single spaces); the server forks
 * the victim, prints `pid P`, waits for it (the test kills it) and prints
 * `status S`, S the raw wait status (9 for SIGKILL). It exits 0 at end of
 * input. The victims write to the server's stderr. */
static int serve(void)
{
    char line[4096];
    while (fgets(line, sizeof line, stdin) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *argv[8] = {PEER_NAME};
        int argc = 1;
        for (char *tok = strtok(line, " "); tok != NULL && argc < 7; tok = strtok(NULL, " "))
            argv[argc++] = tok;
        argv[argc] = NULL;
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
            fail("fork", "victim");
        if (pid == 0)
            _exit(run(argc, argv));
        printf("pid %d\n", (int)pid);
        fflush(stdout);
        printf("status %d\n", must_waitpid(pid, "victim"));
        fflush(stdout);
    }
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "serve") == 0)
        return serve();
    return run(argc, argv);
}
