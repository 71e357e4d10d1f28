/*
 * syncpeer: a plain C user of glibc's process-shared pthread objects (robust
 * mutex, cond, rwlock, barrier, spinlock), unnamed semaphores and
 * thread-specific data, run by the libcipc Go tests as a separate process.
 * Command lines, output lines, exit codes and the sync area's layout are
 * specified in tests/cpeers/PROTOCOL.md.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -pthread -o syncpeer syncpeer.c -lrt
 *
 * Every blocking call is bounded by a CLOCK_MONOTONIC deadline 10 s away
 * (pthread_mutex_clocklock, pthread_cond_clockwait, pthread_rwlock_clock*lock,
 * sem_clockwait; exit 3 on ETIMEDOUT), with two exceptions for want of a
 * timed form: barrier arms alarm(10) and SIGALRM kills the process, and spin
 * retries pthread_spin_trylock against the deadline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
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

#define PEER_NAME "syncpeer"
#include "peer.h"

#define MAP_BYTES   4096
#define NSLOTS      16u
#define PROBE_MS    2000LL                /* the lock probe's deadline */
#define MAX_THREADS 1024                  /* tls / key */

/* ---- the sync area (PROTOCOL.md) ----------------------------------------- */

/* The data fields are volatile so that every load and store in a critical
 * section really happens, in program order (a broken lock must show up as
 * inside != 0 or rwa != rwb, not be optimised away). */
struct sync_area {
    pthread_mutex_t mu;                   /* guards counter/inside, flag, head/tail/slots */
    uint8_t pad_mu[24];
    pthread_cond_t cond;                  /* predicate: flag != 0 */
    uint8_t pad_cond[16];
    pthread_rwlock_t rw;                  /* guards rwa/rwb */
    uint8_t pad_rw[8];
    pthread_barrier_t bar;
    uint8_t pad_bar[32];
    pthread_spinlock_t spin;              /* guards counter/inside in spin */
    uint8_t pad_spin[60];
    sem_t empty;                          /* free slots,   sem_init(pshared=1, NSLOTS) */
    sem_t full;                           /* filled slots, sem_init(pshared=1, 0)      */
    volatile uint64_t counter;
    volatile uint32_t inside;
    volatile uint32_t violations;
    volatile uint32_t flag;
    volatile uint32_t head;               /* next slot producers fill (monotonic) */
    volatile uint32_t tail;               /* next slot consumers empty (monotonic) */
    uint32_t nslots;
    volatile uint64_t rwa;                /* writers keep rwa == rwb outside the lock */
    volatile uint64_t rwb;
    uint8_t pad_data[80];
    volatile uint64_t slots[NSLOTS];
};
_Static_assert(sizeof(pthread_mutex_t) == 40, "pthread_mutex_t must be 40 bytes");
_Static_assert(sizeof(pthread_cond_t) == 48, "pthread_cond_t must be 48 bytes");
_Static_assert(sizeof(pthread_rwlock_t) == 56, "pthread_rwlock_t must be 56 bytes");
_Static_assert(sizeof(pthread_barrier_t) == 32, "pthread_barrier_t must be 32 bytes");
_Static_assert(sizeof(pthread_spinlock_t) == 4, "pthread_spinlock_t must be 4 bytes");
_Static_assert(sizeof(sem_t) == 32, "sem_t must be 32 bytes");
_Static_assert(offsetof(struct sync_area, mu) == 0, "sync layout");
_Static_assert(offsetof(struct sync_area, cond) == 64, "sync layout");
_Static_assert(offsetof(struct sync_area, rw) == 128, "sync layout");
_Static_assert(offsetof(struct sync_area, bar) == 192, "sync layout");
_Static_assert(offsetof(struct sync_area, spin) == 256, "sync layout");
_Static_assert(offsetof(struct sync_area, empty) == 320, "sync layout");
_Static_assert(offsetof(struct sync_area, full) == 352, "sync layout");
_Static_assert(offsetof(struct sync_area, counter) == 384, "sync layout");
_Static_assert(offsetof(struct sync_area, inside) == 392, "sync layout");
_Static_assert(offsetof(struct sync_area, violations) == 396, "sync layout");
_Static_assert(offsetof(struct sync_area, flag) == 400, "sync layout");
_Static_assert(offsetof(struct sync_area, head) == 404, "sync layout");
_Static_assert(offsetof(struct sync_area, tail) == 408, "sync layout");
_Static_assert(offsetof(struct sync_area, nslots) == 412, "sync layout");
_Static_assert(offsetof(struct sync_area, rwa) == 416, "sync layout");
_Static_assert(offsetof(struct sync_area, rwb) == 424, "sync layout");
_Static_assert(offsetof(struct sync_area, slots) == 512, "sync layout");
_Static_assert(sizeof(struct sync_area) <= MAP_BYTES, "sync area fits the shm object");

/* ---- small helpers -------------------------------------------------------- */

/* pthread calls return the error number instead of setting errno: exit 2
 * through fail() when err is not 0. */
static void check(int err, const char *call, const char *name)
{
    if (err != 0) {
        errno = err;
        fail(call, name);
    }
}

/* Absolute CLOCK_MONOTONIC deadline ms milliseconds from now, for the
 * *_clock* calls. */
static struct timespec mono_in(long long ms)
{
    int64_t d = mono_deadline(ms);
    return (struct timespec){ .tv_sec = d / 1000000000, .tv_nsec = d % 1000000000 };
}

/* The critical sections' short busy loop: 100 volatile adds. */
static void busy(void)
{
    volatile unsigned spin = 0;
    for (int k = 0; k < 100; k++)
        spin += 1;
}

static void count_violation(struct sync_area *a)
{
    __atomic_fetch_add(&a->violations, 1, __ATOMIC_RELAXED);
}

/* Open the existing object NAME (created and zero-filled by the caller, at
 * least 4096 bytes: exit 4 otherwise) and map 4096 bytes MAP_SHARED. */
static struct sync_area *attach(const char *name)
{
    int fd = shm_open(name, O_RDWR, 0);
    if (fd < 0)
        fail("shm_open", name);
    struct stat st;
    if (fstat(fd, &st) != 0)
        fail("fstat", name);
    if (st.st_size < MAP_BYTES) {
        fprintf(stderr, "syncpeer: %s: %lld bytes, need >= %d\n", name,
                (long long)st.st_size, MAP_BYTES);
        exit(EXIT_VERIFY);
    }
    void *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        fail("mmap", name);
    close(fd);
    return p;
}

static void detach(struct sync_area *a)
{
    munmap(a, MAP_BYTES);
}

/* A page for the benchmarks' process-shared objects. */
static void *map_anon(void)
{
    void *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        fail("mmap", "anonymous");
    return p;
}

/* ---- mutexes -------------------------------------------------------------- */

enum { MU_DEFAULT = 0, MU_ROBUST = 1, MU_ERRORCHECK = 2 };

/* pthread_mutex_init with PTHREAD_PROCESS_SHARED and, by kind, ROBUST or
 * type ERRORCHECK (not robust) or neither. */
static void init_pshared_mutex(pthread_mutex_t *m, int kind, const char *name)
{
    pthread_mutexattr_t attr;
    check(pthread_mutexattr_init(&attr), "pthread_mutexattr_init", name);
    check(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED),
          "pthread_mutexattr_setpshared", name);
    if (kind == MU_ROBUST)
        check(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST),
              "pthread_mutexattr_setrobust", name);
    if (kind == MU_ERRORCHECK)
        check(pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK),
              "pthread_mutexattr_settype", name);
    check(pthread_mutex_init(m, &attr), "pthread_mutex_init", name);
    pthread_mutexattr_destroy(&attr);
}

/* mu was just acquired by call (clocklock or cond_clockwait), which returned
 * err. EOWNERDEAD: the previous owner died inside the critical section, so
 * report it, repair what mu protects (inside = 0), mark the mutex consistent
 * and go on holding it. Any other error: exit 3 on ETIMEDOUT, else 2
 * (ENOTRECOVERABLE included). */
static void mu_acquired(struct sync_area *a, int err, const char *call)
{
    if (err == 0)
        return;
    if (err != EOWNERDEAD)
        fail_wait(call, "mu", err);
    printf("eownerdead pid=%ld\n", (long)getpid());
    a->inside = 0;
    check(pthread_mutex_consistent(&a->mu), "pthread_mutex_consistent", "mu");
}

static void lock_mu(struct sync_area *a)
{
    struct timespec abs = mono_in(WAIT_MS);
    mu_acquired(a, pthread_mutex_clocklock(&a->mu, CLOCK_MONOTONIC, &abs),
                "pthread_mutex_clocklock");
}

static void unlock_mu(struct sync_area *a)
{
    check(pthread_mutex_unlock(&a->mu), "pthread_mutex_unlock", "mu");
}

/* A bounded lock of a mutex that cannot be robust (the benchmarks): the
 * trylock fast path, and only when that is busy a clocklock 10 s away (so
 * an uncontended lock costs no clock read). */
static void lock_bounded(pthread_mutex_t *m, const char *name)
{
    int err = pthread_mutex_trylock(m);
    if (err == EBUSY) {
        struct timespec abs = mono_in(WAIT_MS);
        err = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &abs);
    }
    if (err != 0)
        fail_wait("pthread_mutex_clocklock", name, err);
}

/* pthread_spin_lock with a bound: pthread_spin_trylock retried, checking a
 * 10 s CLOCK_MONOTONIC deadline (and yielding the CPU) every 1024 busy tries,
 * so a holder that died does not make this process spin forever. */
static void spin_lock_bounded(pthread_spinlock_t *s, const char *name)
{
    int64_t give_up = 0;
    for (unsigned tries = 1;; tries++) {
        int err = pthread_spin_trylock(s);
        if (err == 0)
            return;
        if (err != EBUSY)
            fail_wait("pthread_spin_trylock", name, err);
        if (tries % 1024 != 0)
            continue;
        if (give_up == 0)
            give_up = mono_deadline(WAIT_MS);
        else if (mono_passed(give_up))
            fail_wait("pthread_spin_lock", name, ETIMEDOUT);
        sched_yield();
    }
}

/* ---- init ----------------------------------------------------------------- */

static int cmd_init(char **argv)
{
    const char *name = argv[0];
    long long kind, nbarrier;
    if (!parse_num(argv[1], &kind) || kind < MU_DEFAULT || kind > MU_ERRORCHECK)
        return EXIT_USAGE;
    if (!parse_count(argv[2], &nbarrier) || nbarrier > UINT_MAX)
        return EXIT_USAGE;
    struct sync_area *a = attach(name);

    init_pshared_mutex(&a->mu, (int)kind, "mu");

    pthread_condattr_t cattr;
    check(pthread_condattr_init(&cattr), "pthread_condattr_init", "cond");
    check(pthread_condattr_setpshared(&cattr, PTHREAD_PROCESS_SHARED),
          "pthread_condattr_setpshared", "cond");
    check(pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC), "pthread_condattr_setclock",
          "cond");
    check(pthread_cond_init(&a->cond, &cattr), "pthread_cond_init", "cond");
    pthread_condattr_destroy(&cattr);

    pthread_rwlockattr_t rwattr;
    check(pthread_rwlockattr_init(&rwattr), "pthread_rwlockattr_init", "rw");
    check(pthread_rwlockattr_setpshared(&rwattr, PTHREAD_PROCESS_SHARED),
          "pthread_rwlockattr_setpshared", "rw");
    check(pthread_rwlock_init(&a->rw, &rwattr), "pthread_rwlock_init", "rw");
    pthread_rwlockattr_destroy(&rwattr);

    if (nbarrier > 0) {
        pthread_barrierattr_t battr;
        check(pthread_barrierattr_init(&battr), "pthread_barrierattr_init", "bar");
        check(pthread_barrierattr_setpshared(&battr, PTHREAD_PROCESS_SHARED),
              "pthread_barrierattr_setpshared", "bar");
        check(pthread_barrier_init(&a->bar, &battr, (unsigned)nbarrier),
              "pthread_barrier_init", "bar");
        pthread_barrierattr_destroy(&battr);
    }

    check(pthread_spin_init(&a->spin, PTHREAD_PROCESS_SHARED), "pthread_spin_init", "spin");
    if (sem_init(&a->empty, 1, NSLOTS) != 0)
        fail("sem_init", "empty");
    if (sem_init(&a->full, 1, 0) != 0)
        fail("sem_init", "full");
    a->nslots = NSLOTS;
    detach(a);
    printf("init done\n");
    return EXIT_OK;
}

/* ---- mutual exclusion: mutex and spinlock --------------------------------- */

/* The checked critical section: another process inside at the same time
 * shows up as inside != 0, or as a lost counter update. */
static void critical_section(struct sync_area *a, long long i)
{
    if (a->inside != 0)
        count_violation(a);
    a->inside = 1;
    uint64_t c = a->counter;
    busy();
    if (i % 64 == 0)
        sched_yield();
    a->counter = c + 1;
    a->inside = 0;
}

static int cmd_mutex(char **argv)
{
    long long iters;
    if (!parse_count(argv[1], &iters))
        return EXIT_USAGE;
    struct sync_area *a = attach(argv[0]);
    for (long long i = 0; i < iters; i++) {
        lock_mu(a);
        critical_section(a, i);
        unlock_mu(a);
    }
    detach(a);
    printf("mutex done iters=%lld\n", iters);
    return EXIT_OK;
}

static int cmd_spin(char **argv)
{
    long long iters;
    if (!parse_count(argv[1], &iters))
        return EXIT_USAGE;
    struct sync_area *a = attach(argv[0]);
    for (long long i = 0; i < iters; i++) {
        spin_lock_bounded(&a->spin, "spin");
        critical_section(a, i);
        check(pthread_spin_unlock(&a->spin), "pthread_spin_unlock", "spin");
    }
    detach(a);
    printf("spin done iters=%lld\n", iters);
    return EXIT_OK;
}

/* ---- robust mutex: die holding it, probe it -------------------------------- */

static int cmd_holddie(char **argv)
{
    struct sync_area *a = attach(argv[0]);
    lock_mu(a);
    a->inside = 1;
    a->counter++;
    printf("holding pid=%ld\n", (long)getpid());
    fflush(stdout);
    raise(SIGKILL);     /* dies holding mu, with inside left at 1 */
    return EXIT_LIBC;   /* not reached */
}

enum lock_mode { MODE_REPAIR, MODE_NOREPAIR, MODE_HOLD };

static int cmd_lock(char **argv)
{
    enum lock_mode mode;
    if (strcmp(argv[1], "repair") == 0)
        mode = MODE_REPAIR;
    else if (strcmp(argv[1], "norepair") == 0)
        mode = MODE_NOREPAIR;
    else if (strcmp(argv[1], "hold") == 0)
        mode = MODE_HOLD;
    else
        return EXIT_USAGE;
    struct sync_area *a = attach(argv[0]);

    struct timespec abs = mono_in(PROBE_MS);
    int err = pthread_mutex_clocklock(&a->mu, CLOCK_MONOTONIC, &abs);
    print_probe_x(err ? -1 : 0, err, "counter=%" PRIu64, (uint64_t)a->counter);
    bool held = err == 0 || err == EOWNERDEAD;
    if (!held) {
        detach(a);
        return EXIT_OK;
    }
    switch (mode) {
    case MODE_REPAIR:
        if (err == EOWNERDEAD) {
            a->inside = 0;
            check(pthread_mutex_consistent(&a->mu), "pthread_mutex_consistent", "mu");
        }
        unlock_mu(a);
        break;
    case MODE_NOREPAIR:
        unlock_mu(a);   /* after EOWNERDEAD: the mutex is now ENOTRECOVERABLE */
        break;
    case MODE_HOLD:
        printf("holding pid=%ld\n", (long)getpid());
        fflush(stdout);
        sleep_ms(WAIT_MS);
        fprintf(stderr, "syncpeer: lock hold: not killed after %lld ms\n", WAIT_MS);
        return EXIT_TIMEOUT;
    }
    detach(a);
    return EXIT_OK;
}

/* ---- condition variable ----------------------------------------------------- */

static int cmd_condwait(char **argv)
{
    struct sync_area *a = attach(argv[0]);
    lock_mu(a);
    struct timespec abs = mono_in(WAIT_MS);
    /* Printed holding mu: once the test has seen it and taken mu itself, this
     * process is inside pthread_cond_clockwait (when flag was 0). */
    printf("waiting pid=%ld\n", (long)getpid());
    fflush(stdout);
    while (a->flag == 0)
        mu_acquired(a, pthread_cond_clockwait(&a->cond, &a->mu, CLOCK_MONOTONIC, &abs),
                    "pthread_cond_clockwait");
    printf("condwait done flag=%" PRIu32 " pid=%ld\n", (uint32_t)a->flag, (long)getpid());
    unlock_mu(a);
    detach(a);
    return EXIT_OK;
}

static int cmd_condsignal(char **argv)
{
    long long value;
    if (!parse_num(argv[1], &value) || value < 0 || value > UINT32_MAX)
        return EXIT_USAGE;
    bool broadcast;
    if (strcmp(argv[2], "signal") == 0)
        broadcast = false;
    else if (strcmp(argv[2], "broadcast") == 0)
        broadcast = true;
    else
        return EXIT_USAGE;
    struct sync_area *a = attach(argv[0]);
    lock_mu(a);
    a->flag = (uint32_t)value;
    if (broadcast)
        check(pthread_cond_broadcast(&a->cond), "pthread_cond_broadcast", "cond");
    else
        check(pthread_cond_signal(&a->cond), "pthread_cond_signal", "cond");
    unlock_mu(a);
    detach(a);
    printf("condsignal done\n");
    return EXIT_OK;
}

/* ---- rwlock ---------------------------------------------------------------- */

static int cmd_rwwrite(char **argv)
{
    long long iters;
    if (!parse_count(argv[1], &iters))
        return EXIT_USAGE;
    struct sync_area *a = attach(argv[0]);
    for (long long i = 0; i < iters; i++) {
        struct timespec abs = mono_in(WAIT_MS);
        int err = pthread_rwlock_clockwrlock(&a->rw, CLOCK_MONOTONIC, &abs);
        if (err != 0)
            fail_wait("pthread_rwlock_clockwrlock", "rw", err);
        a->rwa++;
        busy();
        a->rwb++;
        check(pthread_rwlock_unlock(&a->rw), "pthread_rwlock_unlock", "rw");
    }
    detach(a);
    printf("rwwrite done\n");
    return EXIT_OK;
}

static int cmd_rwread(char **argv)
{
    long long iters;
    if (!parse_count(argv[1], &iters))
        return EXIT_USAGE;
    struct sync_area *a = attach(argv[0]);
    for (long long i = 0; i < iters; i++) {
        struct timespec abs = mono_in(WAIT_MS);
        int err = pthread_rwlock_clockrdlock(&a->rw, CLOCK_MONOTONIC, &abs);
        if (err != 0)
            fail_wait("pthread_rwlock_clockrdlock", "rw", err);
        if (a->rwa != a->rwb)
            count_violation(a);
        check(pthread_rwlock_unlock(&a->rw), "pthread_rwlock_unlock", "rw");
        if (i % 64 == 0)
            sched_yield();
    }
    uint32_t v = __atomic_load_n(&a->violations, __ATOMIC_RELAXED);
    detach(a);
    printf("rwread done violations=%" PRIu32 "\n", v);
    return EXIT_OK;
}

/* ---- barrier ---------------------------------------------------------------- */

/* pthread_barrier_wait has no timed form: alarm(10) bounds it, and the
 * default action of SIGALRM kills the process (the test sees death by
 * SIGALRM, not exit 3). */
static int cmd_barrier(char **argv)
{
    struct sync_area *a = attach(argv[0]);
    alarm(WAIT_MS / 1000);
    int r = pthread_barrier_wait(&a->bar);
    alarm(0);
    if (r != 0 && r != PTHREAD_BARRIER_SERIAL_THREAD)
        check(r, "pthread_barrier_wait", "bar");
    detach(a);
    printf("barrier serial=%d pid=%ld\n", r == PTHREAD_BARRIER_SERIAL_THREAD ? 1 : 0,
           (long)getpid());
    return EXIT_OK;
}

/* ---- producer/consumer (the seed's two semaphores and a mutex) -------------- */

static void sem_wait_bounded(sem_t *sem, const char *name)
{
    struct timespec abs = mono_in(WAIT_MS);
    while (sem_clockwait(sem, CLOCK_MONOTONIC, &abs) != 0) {
        if (errno != EINTR)
            fail_wait("sem_clockwait", name, errno);
    }
}

static void sem_post_checked(sem_t *sem, const char *name)
{
    if (sem_post(sem) != 0)
        fail("sem_post", name);
}

/* attach, and insist that init has run (nslots is the divisor below). */
static struct sync_area *attach_ring(const char *name)
{
    struct sync_area *a = attach(name);
    if (a->nslots != NSLOTS) {
        fprintf(stderr, "syncpeer: %s: nslots=%" PRIu32 ", expected %u (init not run?)\n",
                name, a->nslots, NSLOTS);
        exit(EXIT_VERIFY);
    }
    return a;
}

static int cmd_produce(char **argv)
{
    long long n, start;
    if (!parse_count(argv[1], &n) || !parse_num(argv[2], &start))
        return EXIT_USAGE;
    struct sync_area *a = attach_ring(argv[0]);
    for (long long i = 0; i < n; i++) {
        uint64_t item = (uint64_t)start + (uint64_t)i;
        sem_wait_bounded(&a->empty, "empty");
        lock_mu(a);
        a->slots[a->head % a->nslots] = item;
        a->head++;
        unlock_mu(a);
        sem_post_checked(&a->full, "full");
    }
    detach(a);
    printf("produce done n=%lld\n", n);
    return EXIT_OK;
}

static int cmd_consume(char **argv)
{
    long long n;
    if (!parse_count(argv[1], &n))
        return EXIT_USAGE;
    struct sync_area *a = attach_ring(argv[0]);
    uint64_t items = 0, sum = 0, sumsq = 0;
    for (long long i = 0; i < n; i++) {
        sem_wait_bounded(&a->full, "full");
        lock_mu(a);
        uint64_t item = a->slots[a->tail % a->nslots];
        a->tail++;
        unlock_mu(a);
        sem_post_checked(&a->empty, "empty");
        items++;
        sum += item;
        sumsq += item * item;
    }
    detach(a);
    printf("consume done n=%" PRIu64 " sum=%" PRIu64 " sumsq=%" PRIu64 "\n", items, sum, sumsq);
    return EXIT_OK;
}

/* ---- the seed's thread-specific data programs ------------------------------ */

static __thread int count = 0;            /* the seed's __thread int count */
static pthread_key_t count_key;           /* the seed's pthread_key_t count */
/* Decremented by every thread with no lock, as in the seed: the race is the
 * point. volatile keeps one load and one store per iteration (without it gcc
 * folds the loop into one subtraction and the race mostly disappears). */
static volatile int global_count = 0;
static int seed_loop;

/* tls: each thread counts in its own copy of count. */
static void *tls_thread(void *arg)
{
    for (int i = 0; i < seed_loop; i++) {
        count++;
        global_count = global_count - 1;
    }
    printf("count=%d\n", count);
    *(int *)arg = count;
    return NULL;
}

/* key: g() finds the thread's counter through pthread_getspecific. */
static void g(void)
{
    int *count_ptr = pthread_getspecific(count_key);
    if (count_ptr == NULL) {
        fprintf(stderr, "syncpeer: pthread_getspecific: no value for this thread\n");
        exit(EXIT_LIBC);
    }
    for (int i = 0; i < seed_loop; i++) {
        *count_ptr = *count_ptr + 1;
        global_count = global_count - 1;
    }
}

static void *key_thread(void *arg)
{
    int *int_ptr = malloc(sizeof *int_ptr);
    if (int_ptr == NULL)
        fail("malloc", "count");
    *int_ptr = 0;
    check(pthread_setspecific(count_key, int_ptr), "pthread_setspecific", "count");
    g();
    printf("count=%d\n", *int_ptr);
    *(int *)arg = *int_ptr;
    return NULL;        /* the key's destructor (free) releases int_ptr */
}

/* NTHREADS threads run fn; each stores its final count in its slot. Prints
 * `LABEL done global=G`; exit 4 if a count is not LOOP. */
static int run_seed_threads(char **argv, void *(*fn)(void *), const char *label)
{
    long long nthreads, loop;
    if (!parse_n(argv[0], &nthreads) || nthreads > MAX_THREADS)
        return EXIT_USAGE;
    if (!parse_count(argv[1], &loop) || loop > INT_MAX)
        return EXIT_USAGE;
    seed_loop = (int)loop;
    pthread_t threads[MAX_THREADS];
    int counts[MAX_THREADS];
    for (long long i = 0; i < nthreads; i++)
        check(pthread_create(&threads[i], NULL, fn, &counts[i]), "pthread_create", label);
    for (long long i = 0; i < nthreads; i++)
        check(pthread_join(threads[i], NULL), "pthread_join", label);
    printf("%s done global=%d\n", label, global_count);
    for (long long i = 0; i < nthreads; i++) {
        if (counts[i] != seed_loop) {
            fprintf(stderr, "syncpeer: %s thread %lld: count=%d, expected %d\n", label, i,
                    counts[i], seed_loop);
            return EXIT_VERIFY;
        }
    }
    return EXIT_OK;
}

static int cmd_tls(char **argv)
{
    return run_seed_threads(argv, tls_thread, "tls");
}

static int cmd_key(char **argv)
{
    check(pthread_key_create(&count_key, free), "pthread_key_create", "count");
    int rc = run_seed_threads(argv, key_thread, "key");
    pthread_key_delete(count_key);
    return rc;
}

/* ---- C reference loops for the benchmarks ---------------------------------- */

static int cmd_bench_mutex(char **argv)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    long long n;
    if (!parse_n(argv[0], &n))
        return EXIT_USAGE;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        check(pthread_mutex_lock(&m), "pthread_mutex_lock", "m");
        check(pthread_mutex_unlock(&m), "pthread_mutex_unlock", "m");
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

static int cmd_bench_mutex_pshared(char **argv)
{
    long long n;
    if (!parse_n(argv[0], &n))
        return EXIT_USAGE;
    pthread_mutex_t *m = map_anon();
    init_pshared_mutex(m, MU_ROBUST, "m");
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        check(pthread_mutex_lock(m), "pthread_mutex_lock", "m");
        check(pthread_mutex_unlock(m), "pthread_mutex_unlock", "m");
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    pthread_mutex_destroy(m);
    munmap(m, MAP_BYTES);
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

struct contend {
    pthread_mutex_t mu;                   /* process-shared, default type */
    uint64_t counter;
};

static void contend_loop(struct contend *c, long long n)
{
    for (long long i = 0; i < n; i++) {
        lock_bounded(&c->mu, "mu");
        c->counter++;
        check(pthread_mutex_unlock(&c->mu), "pthread_mutex_unlock", "mu");
    }
}

static int cmd_bench_contend(char **argv)
{
    long long n;
    if (!parse_n(argv[0], &n))
        return EXIT_USAGE;
    struct contend *c = map_anon();
    init_pshared_mutex(&c->mu, MU_DEFAULT, "mu");
    c->counter = 0;
    fflush(NULL);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork", "child");
    if (pid == 0) {
        contend_loop(c, n);
        _exit(EXIT_OK);
    }
    contend_loop(c, n);
    int status = must_waitpid(pid, "child");
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "syncpeer: child failed (status 0x%x)\n", (unsigned)status);
        return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_VERIFY;
    }
    if (c->counter != 2 * (uint64_t)n) {
        fprintf(stderr, "syncpeer: counter=%" PRIu64 ", expected %llu\n", c->counter,
                2 * (unsigned long long)n);
        return EXIT_VERIFY;
    }
    pthread_mutex_destroy(&c->mu);
    munmap(c, MAP_BYTES);
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

static __thread volatile uint64_t tls_count;

static int cmd_bench_tls(char **argv)
{
    long long n;
    if (!parse_n(argv[0], &n))
        return EXIT_USAGE;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++)
        tls_count = tls_count + 1;
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    if (tls_count != (uint64_t)n) {
        fprintf(stderr, "syncpeer: tls_count=%" PRIu64 ", expected %lld\n", tls_count, n);
        return EXIT_VERIFY;
    }
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

static int cmd_bench_key(char **argv)
{
    long long n;
    if (!parse_n(argv[0], &n))
        return EXIT_USAGE;
    pthread_key_t k;
    check(pthread_key_create(&k, NULL), "pthread_key_create", "k");
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        uintptr_t p = (uintptr_t)pthread_getspecific(k);
        check(pthread_setspecific(k, (void *)(p + 1)), "pthread_setspecific", "k");
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    uintptr_t got = (uintptr_t)pthread_getspecific(k);
    pthread_key_delete(k);
    if (got != (uintptr_t)n) {
        fprintf(stderr, "syncpeer: key value=%ju, expected %lld\n", (uintmax_t)got, n);
        return EXIT_VERIFY;
    }
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

/* One mutex, one cond and a turn: main sets turn = 1 and waits for 0, the
 * partner waits for 1 and sets turn = 0; both signal after their store. */
struct condpp {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int turn;
    long long n;
};

/* Wait on pp->cond until turn == want, bounded by one 10 s deadline. */
static void condpp_await(struct condpp *pp, int want)
{
    struct timespec abs = mono_in(WAIT_MS);
    while (pp->turn != want) {
        int err = pthread_cond_clockwait(&pp->cond, &pp->mu, CLOCK_MONOTONIC, &abs);
        if (err != 0)
            fail_wait("pthread_cond_clockwait", "cond", err);
    }
}

static void *condpp_partner(void *arg)
{
    struct condpp *pp = arg;
    for (long long i = 0; i < pp->n; i++) {
        lock_bounded(&pp->mu, "mu");
        condpp_await(pp, 1);
        pp->turn = 0;
        check(pthread_cond_signal(&pp->cond), "pthread_cond_signal", "cond");
        check(pthread_mutex_unlock(&pp->mu), "pthread_mutex_unlock", "mu");
    }
    return NULL;
}

static int cmd_bench_cond_pingpong(char **argv)
{
    struct condpp pp = { .mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
    if (!parse_n(argv[0], &pp.n))
        return EXIT_USAGE;
    pthread_t th;
    check(pthread_create(&th, NULL, condpp_partner, &pp), "pthread_create", "partner");
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < pp.n; i++) {
        lock_bounded(&pp.mu, "mu");
        pp.turn = 1;
        check(pthread_cond_signal(&pp.cond), "pthread_cond_signal", "cond");
        condpp_await(&pp, 0);
        check(pthread_mutex_unlock(&pp.mu), "pthread_mutex_unlock", "mu");
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    pthread_join(th, NULL);
    pthread_cond_destroy(&pp.cond);
    pthread_mutex_destroy(&pp.mu);
    print_ns_per_op(t1 - t0, pp.n);
    return EXIT_OK;
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct command commands[] = {
    { "init", 3, cmd_init, "NAME ROBUST NBARRIER" },
    { "mutex", 2, cmd_mutex, "NAME ITERS" },
    { "holddie", 1, cmd_holddie, "NAME" },
    { "lock", 2, cmd_lock, "NAME repair|norepair|hold" },
    { "condwait", 1, cmd_condwait, "NAME" },
    { "condsignal", 3, cmd_condsignal, "NAME VALUE signal|broadcast" },
    { "rwwrite", 2, cmd_rwwrite, "NAME ITERS" },
    { "rwread", 2, cmd_rwread, "NAME ITERS" },
    { "barrier", 1, cmd_barrier, "NAME" },
    { "produce", 3, cmd_produce, "NAME N START" },
    { "consume", 2, cmd_consume, "NAME N" },
    { "spin", 2, cmd_spin, "NAME ITERS" },
    { "tls", 2, cmd_tls, "NTHREADS LOOP" },
    { "key", 2, cmd_key, "NTHREADS LOOP" },
    { "bench-mutex", 1, cmd_bench_mutex, "N" },
    { "bench-mutex-pshared", 1, cmd_bench_mutex_pshared, "N" },
    { "bench-contend", 1, cmd_bench_contend, "N" },
    { "bench-tls", 1, cmd_bench_tls, "N" },
    { "bench-key", 1, cmd_bench_key, "N" },
    { "bench-cond-pingpong", 1, cmd_bench_cond_pingpong, "N" },
};

int main(int argc, char **argv)
{
    return peer_main(argc, argv, commands, COUNT_OF(commands), NULL);
}
