/*
 * sempeer: a plain C user of glibc POSIX semaphores, run by the libcipc Go tests
 * as a separate process. Command lines, output lines, exit codes and the
 * shared-memory layouts are specified in tests/cpeers/PROTOCOL.md.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -pthread -o sempeer sempeer.c -lrt
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PEER_NAME "sempeer"
#include "peer.h"

#define MAP_BYTES 4096
#define NSLOTS    16u
#define MAGIC     0x4C495043u             /* "LIPC" */
#define ITEM_MUL  0x9E3779B97F4A7C15ull

/* ---- shared layouts (PROTOCOL.md) ---------------------------------------- */

struct ring {
    sem_t empty;            /* free slots,   sem_init(pshared=1, NSLOTS) */
    sem_t full;             /* filled slots, sem_init(pshared=1, 0)      */
    sem_t mutex;            /* guards head/tail/slots, value 1           */
    uint32_t head;          /* next slot the producer fills (monotonic)  */
    uint32_t tail;          /* next slot the consumer empties            */
    uint32_t nslots;
    uint32_t magic;         /* stored last, with release ordering        */
    uint32_t reserved[4];
    uint64_t slots[NSLOTS];
};
_Static_assert(sizeof(sem_t) == 32, "sem_t must be 32 bytes");
_Static_assert(offsetof(struct ring, empty) == 0, "ring layout");
_Static_assert(offsetof(struct ring, full) == 32, "ring layout");
_Static_assert(offsetof(struct ring, mutex) == 64, "ring layout");
_Static_assert(offsetof(struct ring, head) == 96, "ring layout");
_Static_assert(offsetof(struct ring, tail) == 100, "ring layout");
_Static_assert(offsetof(struct ring, nslots) == 104, "ring layout");
_Static_assert(offsetof(struct ring, magic) == 108, "ring layout");
_Static_assert(offsetof(struct ring, slots) == 128, "ring layout");
_Static_assert(sizeof(struct ring) <= MAP_BYTES, "ring fits the shm object");

struct mutex_area {
    uint64_t counter;
    uint32_t inside;
    uint32_t violations;
};
_Static_assert(offsetof(struct mutex_area, counter) == 0, "mutex layout");
_Static_assert(offsetof(struct mutex_area, inside) == 8, "mutex layout");
_Static_assert(offsetof(struct mutex_area, violations) == 12, "mutex layout");

/* ---- semaphore helpers --------------------------------------------------- */

/* sem_timedwait until abs, retried on EINTR against the same deadline.
 * Returns 0 or the errno value. */
static int wait_until(sem_t *sem, const struct timespec *abs)
{
    while (sem_timedwait(sem, abs) != 0) {
        if (errno != EINTR)
            return errno;
    }
    return 0;
}

/* Bounded wait for the peers: exit 3 on timeout, 2 on any other failure. */
static void must_wait(sem_t *sem, const char *name, long long ms)
{
    struct timespec abs = deadline_in(ms);
    int err = wait_until(sem, &abs);
    if (err != 0)
        fail_wait("sem_timedwait", name, err);
}

static void must_post(sem_t *sem, const char *name)
{
    if (sem_post(sem) != 0)
        fail("sem_post", name);
}

static void must_init(sem_t *sem, int pshared, unsigned value, const char *name)
{
    if (sem_init(sem, pshared, value) != 0)
        fail("sem_init", name);
}

/* ---- errno probes: one libc call each, always exit 0 --------------------- */

static int cmd_open(char **argv)
{
    long long oflag = strtoll(argv[1], NULL, 0);
    long long mode = strtoll(argv[2], NULL, 0);
    long long value = strtoll(argv[3], NULL, 0);
    sem_t *sem = sem_open(argv[0], (int)oflag, (mode_t)mode, (unsigned)value);
    if (sem == SEM_FAILED) {
        print_probe(-1, errno);
        return EXIT_OK;
    }
    print_probe(0, 0);
    sem_close(sem);
    return EXIT_OK;
}

/* Shared by trywait/post/timedwait: open NAME, run one call, report. */
enum probe_op { PROBE_TRYWAIT, PROBE_POST, PROBE_TIMEDWAIT };

static int run_probe(const char *name, enum probe_op op, long long ms)
{
    sem_t *sem = sem_open(name, 0);
    if (sem == SEM_FAILED) {
        print_probe(-1, errno);
        return EXIT_OK;
    }
    int r = 0, err = 0;
    if (op == PROBE_TRYWAIT) {
        r = sem_trywait(sem);
        err = r ? errno : 0;
    } else if (op == PROBE_POST) {
        r = sem_post(sem);
        err = r ? errno : 0;
    } else {
        struct timespec abs = deadline_in(ms);
        err = wait_until(sem, &abs);
        r = err ? -1 : 0;
    }
    print_probe(r, err);
    sem_close(sem);
    return EXIT_OK;
}

static int cmd_trywait(char **argv) { return run_probe(argv[0], PROBE_TRYWAIT, 0); }
static int cmd_post(char **argv) { return run_probe(argv[0], PROBE_POST, 0); }

static int cmd_timedwait(char **argv)
{
    return run_probe(argv[0], PROBE_TIMEDWAIT, strtoll(argv[1], NULL, 0));
}

static int cmd_unlink(char **argv)
{
    int r = sem_unlink(argv[0]);
    print_probe(r, r ? errno : 0);
    return EXIT_OK;
}

static int cmd_value(char **argv)
{
    int value = 0, r = -1, err;
    sem_t *sem = sem_open(argv[0], 0);
    if (sem == SEM_FAILED) {
        err = errno;
    } else {
        r = sem_getvalue(sem, &value);
        err = r ? errno : 0;
        sem_close(sem);
    }
    print_probe_x(r, err, "value=%d", value);
    return EXIT_OK;
}

/* ---- seed handshake ------------------------------------------------------ */

static int cmd_before(char **argv)
{
    const char *name = argv[0];
    long long delay;
    if (!parse_count(argv[1], &delay))
        return EXIT_USAGE;
    sem_t *sem = sem_open(name, O_CREAT, 0600, 0);
    if (sem == SEM_FAILED)
        fail("sem_open", name);
    sleep_ms(delay);
    int64_t t = now_ns(CLOCK_MONOTONIC);
    printf("before done, pid=%ld t=%" PRId64 "\n", (long)getpid(), t);
    must_post(sem, name);
    sem_close(sem);
    return EXIT_OK;
}

static int cmd_after(char **argv)
{
    const char *name = argv[0];
    long long timeout;
    if (!parse_count(argv[1], &timeout))
        return EXIT_USAGE;
    int64_t give_up = mono_deadline(timeout);
    sem_t *sem;
    while ((sem = sem_open(name, 0)) == SEM_FAILED) {
        if (errno != ENOENT)
            fail("sem_open", name);
        if (mono_passed(give_up)) {
            fprintf(stderr, "sempeer: sem_open %s: still absent after %lld ms\n",
                    name, timeout);
            return EXIT_TIMEOUT;
        }
        sleep_ms(1);
    }
    must_wait(sem, name, timeout);
    int64_t t = now_ns(CLOCK_MONOTONIC);
    printf("after done, pid=%ld t=%" PRId64 "\n", (long)getpid(), t);
    sem_close(sem);
    if (sem_unlink(name) != 0)
        fail("sem_unlink", name);
    return EXIT_OK;
}

/* ---- mutual exclusion across processes ----------------------------------- */

static void *map_shm(const char *name, int fd)
{
    void *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        fail("mmap", name);
    return p;
}

static int cmd_mutex(char **argv)
{
    const char *semname = argv[0], *shmname = argv[1];
    long long iters;
    if (!parse_count(argv[2], &iters))
        return EXIT_USAGE;
    sem_t *sem = sem_open(semname, 0);
    if (sem == SEM_FAILED)
        fail("sem_open", semname);
    int fd = shm_open(shmname, O_RDWR, 0);
    if (fd < 0)
        fail("shm_open", shmname);
    struct stat st;
    if (fstat(fd, &st) != 0)
        fail("fstat", shmname);
    if (st.st_size < (off_t)sizeof(struct mutex_area)) {
        fprintf(stderr, "sempeer: %s: %lld bytes, need >= 16\n", shmname,
                (long long)st.st_size);
        return EXIT_VERIFY;
    }
    /* volatile: the stores to inside must really happen, in order. */
    volatile struct mutex_area *m = map_shm(shmname, fd);
    close(fd);

    for (long long i = 0; i < iters; i++) {
        must_wait(sem, semname, WAIT_MS);
        if (m->inside != 0)
            m->violations++;
        m->inside = 1;
        uint64_t c = m->counter;
        volatile unsigned spin = 0;
        for (int k = 0; k < 100; k++)
            spin += 1;
        if (i % 64 == 0)
            sched_yield();
        m->counter = c + 1;
        m->inside = 0;
        must_post(sem, semname);
    }
    printf("mutex done iters=%lld\n", iters);
    munmap((void *)m, MAP_BYTES);
    sem_close(sem);
    return EXIT_OK;
}

/* ---- producer/consumer ring ---------------------------------------------- */

static uint64_t item(uint64_t i) { return i * ITEM_MUL; }

static int cmd_ring_init(char **argv)
{
    const char *name = argv[0];
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0)
        fail("shm_open", name);
    if (ftruncate(fd, MAP_BYTES) != 0)
        fail("ftruncate", name);
    struct ring *r = map_shm(name, fd);
    close(fd);
    must_init(&r->empty, 1, NSLOTS, "empty");
    must_init(&r->full, 1, 0, "full");
    must_init(&r->mutex, 1, 1, "mutex");
    r->head = 0;
    r->tail = 0;
    r->nslots = NSLOTS;
    __atomic_store_n(&r->magic, MAGIC, __ATOMIC_RELEASE);
    munmap(r, MAP_BYTES);
    printf("ring-init done\n");
    return EXIT_OK;
}

/* Attach to a ring that another process may still be creating: wait (≤ 10 s)
 * for the object to exist, to be 4096 bytes, and for magic to be published. */
static struct ring *ring_attach(const char *name)
{
    int64_t give_up = mono_deadline(WAIT_MS);
    int fd;
    struct stat st;
    for (;;) {
        fd = shm_open(name, O_RDWR, 0);
        if (fd < 0 && errno != ENOENT)
            fail("shm_open", name);
        if (fd >= 0) {
            if (fstat(fd, &st) != 0)
                fail("fstat", name);
            if (st.st_size >= MAP_BYTES)
                break;
            close(fd);
        }
        if (mono_passed(give_up))
            goto timeout;
        sleep_ms(1);
    }
    struct ring *r = map_shm(name, fd);
    close(fd);
    while (__atomic_load_n(&r->magic, __ATOMIC_ACQUIRE) != MAGIC) {
        if (mono_passed(give_up))
            goto timeout;
        sleep_ms(1);
    }
    if (r->nslots != NSLOTS) {
        fprintf(stderr, "sempeer: %s: nslots=%u, expected %u\n", name, r->nslots, NSLOTS);
        exit(EXIT_VERIFY);
    }
    return r;
timeout:
    fprintf(stderr, "sempeer: %s: ring not initialised after %lld ms\n", name, WAIT_MS);
    exit(EXIT_TIMEOUT);
}

static int cmd_producer(char **argv)
{
    long long count;
    if (!parse_count(argv[1], &count))
        return EXIT_USAGE;
    struct ring *r = ring_attach(argv[0]);
    uint64_t sum = 0;
    for (long long i = 1; i <= count; i++) {
        uint64_t v = item((uint64_t)i);
        must_wait(&r->empty, "empty", WAIT_MS);
        must_wait(&r->mutex, "mutex", WAIT_MS);
        r->slots[r->head % r->nslots] = v;
        r->head++;
        must_post(&r->mutex, "mutex");
        must_post(&r->full, "full");
        sum += v;
    }
    printf("produced %lld sum=%" PRIu64 "\n", count, sum);
    munmap(r, MAP_BYTES);
    return EXIT_OK;
}

static int cmd_consumer(char **argv)
{
    long long count;
    if (!parse_count(argv[1], &count))
        return EXIT_USAGE;
    struct ring *r = ring_attach(argv[0]);
    uint64_t sum = 0;
    for (long long i = 1; i <= count; i++) {
        must_wait(&r->full, "full", WAIT_MS);
        must_wait(&r->mutex, "mutex", WAIT_MS);
        uint64_t v = r->slots[r->tail % r->nslots];
        r->tail++;
        must_post(&r->mutex, "mutex");
        must_post(&r->empty, "empty");
        if (v != item((uint64_t)i)) {
            fprintf(stderr, "sempeer: consumer item %lld: expected %" PRIu64
                    " got %" PRIu64 "\n", i, item((uint64_t)i), v);
            return EXIT_VERIFY;
        }
        sum += v;
    }
    printf("consumed %lld sum=%" PRIu64 "\n", count, sum);
    munmap(r, MAP_BYTES);
    return EXIT_OK;
}

/* ---- C reference loops for the benchmarks -------------------------------- */

static int cmd_bench_posttrywait(char **argv)
{
    long long n;
    if (!parse_n(argv[0], &n))
        return EXIT_USAGE;
    sem_t sem;
    must_init(&sem, 0, 0, "sem");
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        must_post(&sem, "sem");
        if (sem_trywait(&sem) != 0)
            fail("sem_trywait", "sem");
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    sem_destroy(&sem);
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

/* Two semaphores for a ping-pong: one side posts a and waits b, the other
 * waits a and posts b. */
struct pingpong {
    sem_t a, b;
    long long n;
};

static void pong_loop(struct pingpong *pp)
{
    for (long long i = 0; i < pp->n; i++) {
        must_wait(&pp->a, "A", WAIT_MS);
        must_post(&pp->b, "B");
    }
}

static int64_t ping_loop(struct pingpong *pp)
{
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < pp->n; i++) {
        must_post(&pp->a, "A");
        must_wait(&pp->b, "B", WAIT_MS);
    }
    return now_ns(CLOCK_MONOTONIC) - t0;
}

static void *pong_thread(void *arg)
{
    pong_loop(arg);   /* exits the whole process on failure */
    return NULL;
}

static int cmd_bench_pingpong_threads(char **argv)
{
    struct pingpong pp;
    if (!parse_n(argv[0], &pp.n))
        return EXIT_USAGE;
    must_init(&pp.a, 0, 0, "A");
    must_init(&pp.b, 0, 0, "B");
    pthread_t th;
    int err = pthread_create(&th, NULL, pong_thread, &pp);
    if (err != 0) {
        errno = err;
        fail("pthread_create", "partner");
    }
    int64_t elapsed = ping_loop(&pp);
    pthread_join(th, NULL);
    sem_destroy(&pp.a);
    sem_destroy(&pp.b);
    print_ns_per_op(elapsed, pp.n);
    return EXIT_OK;
}

/* bench-wake: WAITERS threads (64 KiB stacks) block in sem_timedwait on one
 * unnamed semaphore; POSTS posts, one at a time, each timed to the return of
 * the thread it woke. */
struct wake {
    sem_t sem, done;
    int started, woken;
    int64_t *at;
};

static void *wake_waiter(void *arg)
{
    struct wake *w = arg;
    __atomic_add_fetch(&w->started, 1, __ATOMIC_SEQ_CST);
    must_wait(&w->sem, "sem", 6 * WAIT_MS);
    int64_t t = now_ns(CLOCK_MONOTONIC);
    int i = __atomic_fetch_add(&w->woken, 1, __ATOMIC_SEQ_CST);
    w->at[i] = t;
    must_post(&w->done, "done");
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmd_bench_wake(char **argv)
{
    long long nw, np;
    if (!parse_n(argv[0], &nw) || !parse_n(argv[1], &np) || np > nw)
        return EXIT_USAGE;
    struct wake w = { .started = 0, .woken = 0 };
    w.at = calloc(nw, sizeof *w.at);
    int64_t *lat = calloc(np, sizeof *lat);
    pthread_t *th = calloc(nw, sizeof *th);
    if (!w.at || !lat || !th)
        fail("calloc", "bench-wake");
    must_init(&w.sem, 0, 0, "sem");
    must_init(&w.done, 0, 0, "done");
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    for (long long i = 0; i < nw; i++) {
        int err = pthread_create(&th[i], &attr, wake_waiter, &w);
        if (err != 0) {
            errno = err;
            fail("pthread_create", "waiter");
        }
    }
    while (__atomic_load_n(&w.started, __ATOMIC_SEQ_CST) < nw)
        sched_yield();
    struct timespec pause = { 0, 300 * 1000000L };
    nanosleep(&pause, NULL);  /* let the last ones reach sem_timedwait */
    for (long long i = 0; i < np; i++) {
        int64_t t0 = now_ns(CLOCK_MONOTONIC);
        must_post(&w.sem, "sem");
        must_wait(&w.done, "done", WAIT_MS);
        lat[i] = w.at[i] - t0;
    }
    pause.tv_nsec = 100 * 1000000L;
    nanosleep(&pause, NULL);
    int woken = __atomic_load_n(&w.woken, __ATOMIC_SEQ_CST), v = -1;
    sem_getvalue(&w.sem, &v);
    if (woken != np || v != 0) {
        fprintf(stderr, "bench-wake: %d woken by %lld posts, value %d\n", woken, np, v);
        return EXIT_VERIFY;
    }
    for (long long i = np; i < nw; i++)
        must_post(&w.sem, "sem");
    for (long long i = 0; i < nw; i++)
        pthread_join(th[i], NULL);
    qsort(lat, np, sizeof *lat, cmp_i64);
    long long i50 = (long long)(0.50 * np + 0.5) - 1, i99 = (long long)(0.99 * np + 0.5) - 1;
    printf("p50_ns=%" PRId64 " p99_ns=%" PRId64 " max_ns=%" PRId64 " woken=%d released=%d\n",
           lat[i50 < 0 ? 0 : i50], lat[i99 < 0 ? 0 : i99], lat[np - 1], woken,
           __atomic_load_n(&w.woken, __ATOMIC_SEQ_CST));
    sem_destroy(&w.sem);
    sem_destroy(&w.done);
    free(w.at);
    free(lat);
    free(th);
    return EXIT_OK;
}

static int cmd_bench_pingpong_procs(char **argv)
{
    long long n;
    if (!parse_n(argv[0], &n))
        return EXIT_USAGE;
    struct pingpong *pp = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (pp == MAP_FAILED)
        fail("mmap", "anonymous");
    pp->n = n;
    must_init(&pp->a, 1, 0, "A");
    must_init(&pp->b, 1, 0, "B");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork", "child");
    if (pid == 0) {
        pong_loop(pp);
        _exit(EXIT_OK);
    }
    int64_t elapsed = ping_loop(pp);
    int status = must_waitpid(pid, "child");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "sempeer: child failed (status 0x%x)\n", (unsigned)status);
        return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_VERIFY;
    }
    sem_destroy(&pp->a);
    sem_destroy(&pp->b);
    munmap(pp, MAP_BYTES);
    print_ns_per_op(elapsed, n);
    return EXIT_OK;
}

static int cmd_bench_openclose(char **argv)
{
    long long n;
    if (!parse_n(argv[0], &n))
        return EXIT_USAGE;
    const char *prefix = argv[1];
    char name[256];
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s-%lld", prefix, i);
        sem_t *sem = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
        if (sem == SEM_FAILED)
            fail("sem_open", name);
        if (sem_close(sem) != 0)
            fail("sem_close", name);
        if (sem_unlink(name) != 0)
            fail("sem_unlink", name);
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct command commands[] = {
    { "open", 4, cmd_open, "NAME OFLAG MODE VALUE" },
    { "trywait", 1, cmd_trywait, "NAME" },
    { "post", 1, cmd_post, "NAME" },
    { "timedwait", 2, cmd_timedwait, "NAME MS" },
    { "unlink", 1, cmd_unlink, "NAME" },
    { "value", 1, cmd_value, "NAME" },
    { "before", 2, cmd_before, "NAME DELAY_MS" },
    { "after", 2, cmd_after, "NAME TIMEOUT_MS" },
    { "mutex", 3, cmd_mutex, "SEMNAME SHMNAME ITERS" },
    { "ring-init", 1, cmd_ring_init, "SHMNAME" },
    { "producer", 2, cmd_producer, "SHMNAME COUNT" },
    { "consumer", 2, cmd_consumer, "SHMNAME COUNT" },
    { "bench-posttrywait", 1, cmd_bench_posttrywait, "N" },
    { "bench-pingpong-threads", 1, cmd_bench_pingpong_threads, "N" },
    { "bench-pingpong-procs", 1, cmd_bench_pingpong_procs, "N" },
    { "bench-openclose", 2, cmd_bench_openclose, "N PREFIX" },
    { "bench-wake", 2, cmd_bench_wake, "WAITERS POSTS" },
};

int main(int argc, char **argv)
{
    return peer_main(argc, argv, commands, COUNT_OF(commands), NULL);
}
