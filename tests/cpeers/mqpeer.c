/*
 * mqpeer: a plain C user of glibc POSIX message queues, run by the libcipc Go
 * tests as a separate process. Command lines, output lines and exit codes are
 * specified in tests/cpeers/PROTOCOL.md.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -pthread -o mqpeer mqpeer.c -lrt
 *
 * Every call that could block is bounded: sends and receives go through
 * mq_timedsend/mq_timedreceive with an absolute CLOCK_REALTIME deadline (10 s
 * unless the command gives one), retried on EINTR against the same deadline.
 * The one exception is bench-sendrecv, whose single thread opens its queue
 * O_NONBLOCK and calls plain mq_send/mq_receive, which then cannot block.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mqueue.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* fail() and fail_wait() (peer.h) check the benchmark partner first: when it
 * has already failed, they exit with the partner's code instead. */
static void check_partner(void);
#define PEER_NAME "mqpeer"
#define PEER_BEFORE_FAIL() check_partner()
#include "peer.h"

#define BENCH_MAXMSG  10                  /* /proc/sys/fs/mqueue/msg_max default */
#define PINGPONG_SIZE 64
#define NAME_BUF      512
#define MQ_FAILED     ((mqd_t)-1)

/* ---- benchmark partner bookkeeping --------------------------------------- */

/* The benchmark parent owns the queues it created and its forked partner. The
 * atexit hook (bench_cleanup) runs in the owner only: it kills and reaps a
 * partner that is still running and unlinks the queues, so failure paths that
 * exit() leave nothing behind. The child inherits this state but is not the
 * owner, so the hook does nothing there. */
static struct {
    pid_t owner;            /* pid of the process that created the queues */
    pid_t child;            /* forked partner; 0 when none or already reaped */
    bool child_reaped;      /* reaped early (by check_partner) with status 0 */
    int nnames;
    char names[2][NAME_BUF];
} bench;

static volatile sig_atomic_t child_exited;    /* set by the SIGCHLD handler */
static volatile sig_atomic_t signals_seen;    /* notify-hold's SIGUSR1 count */

static void on_sigchld(int sig)
{
    (void)sig;
    child_exited = 1;
}

static void on_sigusr1(int sig)
{
    (void)sig;
    signals_seen++;     /* only the handler writes it; SIGUSR1 is masked inside */
}

static int child_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return EXIT_LIBC;
}

static void report_child(pid_t pid, int status)
{
    if (WIFEXITED(status))
        fprintf(stderr, "mqpeer: partner %ld exited with %d\n", (long)pid,
                WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        fprintf(stderr, "mqpeer: partner %ld killed by signal %d\n", (long)pid,
                WTERMSIG(status));
    else
        fprintf(stderr, "mqpeer: partner %ld failed (status 0x%x)\n", (long)pid,
                (unsigned)status);
}

/* In the benchmark parent: if the partner has already exited with a failure,
 * report it and exit with its code (the atexit hook unlinks the queues). A
 * partner that exited 0 is just remembered as reaped. No-op elsewhere. */
static void check_partner(void)
{
    if (bench.child <= 0 || getpid() != bench.owner)
        return;
    child_exited = 0;
    int status;
    pid_t pid = bench.child;
    if (waitpid(pid, &status, WNOHANG) != pid)
        return;
    bench.child = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        bench.child_reaped = true;
        return;
    }
    report_child(pid, status);
    exit(child_code(status));
}

static void bench_cleanup(void)
{
    if (bench.owner == 0 || getpid() != bench.owner)
        return;
    if (bench.child > 0) {
        int status;
        kill(bench.child, SIGKILL);
        while (waitpid(bench.child, &status, 0) < 0 && errno == EINTR)
            ;
        bench.child = 0;
    }
    for (int i = 0; i < bench.nnames; i++)
        mq_unlink(bench.names[i]);
    bench.nnames = 0;
}

/* ---- message helpers ----------------------------------------------------- */

/* Pattern bytes: byte j of the message with sequence number seq. */
static unsigned char pattern(uint64_t seq, size_t j)
{
    return (unsigned char)((seq * 31 + j) & 0xff);
}

static void fill_pattern(unsigned char *buf, size_t len, uint64_t seq)
{
    for (size_t j = 0; j < len; j++)
        buf[j] = pattern(seq, j);
}

/* mq_timedsend until abs, retried on EINTR against the same deadline.
 * Returns 0 or the errno value. */
static int send_until(mqd_t q, const void *buf, size_t len, unsigned prio,
                      const struct timespec *abs)
{
    for (;;) {
        if (child_exited)
            check_partner();
        if (mq_timedsend(q, buf, len, prio, abs) == 0)
            return 0;
        if (errno != EINTR)
            return errno;
    }
}

/* mq_timedreceive until abs, retried on EINTR against the same deadline.
 * Returns 0 (length in *got) or the errno value (*got = -1). */
static int receive_until(mqd_t q, void *buf, size_t cap, unsigned *prio,
                         const struct timespec *abs, ssize_t *got)
{
    for (;;) {
        if (child_exited)
            check_partner();
        ssize_t n = mq_timedreceive(q, buf, cap, prio, abs);
        if (n >= 0) {
            *got = n;
            return 0;
        }
        if (errno != EINTR) {
            *got = -1;
            return errno;
        }
    }
}

/* Bounded send/receive for the roles: 10 s deadline, exit 3 / 2 on failure. */
static void must_send(mqd_t q, const char *name, const void *buf, size_t len,
                      unsigned prio)
{
    struct timespec abs = deadline_in(WAIT_MS);
    int err = send_until(q, buf, len, prio, &abs);
    if (err != 0)
        fail_wait("mq_timedsend", name, err);
}

static size_t must_receive(mqd_t q, const char *name, void *buf, size_t cap,
                           unsigned *prio)
{
    struct timespec abs = deadline_in(WAIT_MS);
    ssize_t got;
    int err = receive_until(q, buf, cap, prio, &abs, &got);
    if (err != 0)
        fail_wait("mq_timedreceive", name, err);
    return (size_t)got;
}

static mqd_t must_open(const char *name, int oflag)
{
    mqd_t q = mq_open(name, oflag);
    if (q == MQ_FAILED)
        fail("mq_open", name);
    return q;
}

static size_t must_msgsize(mqd_t q, const char *name)
{
    struct mq_attr attr;
    if (mq_getattr(q, &attr) != 0)
        fail("mq_getattr", name);
    return (size_t)attr.mq_msgsize;
}

static void must_close(mqd_t q, const char *name)
{
    if (mq_close(q) != 0)
        fail("mq_close", name);
}

/* ---- errno probes: one libc call each, always exit 0 --------------------- */

static int cmd_open(char **argv)
{
    long long oflag, mode, maxmsg, msgsize;
    if (!parse_num(argv[1], &oflag) || !parse_num(argv[2], &mode) ||
        !parse_num(argv[3], &maxmsg) || !parse_num(argv[4], &msgsize))
        return EXIT_USAGE;
    struct mq_attr attr = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };
    mqd_t q = mq_open(argv[0], (int)oflag, (mode_t)mode, maxmsg >= 0 ? &attr : NULL);
    if (q == MQ_FAILED) {
        print_probe(-1, errno);
        return EXIT_OK;
    }
    print_probe(0, 0);
    mq_close(q);
    return EXIT_OK;
}

/* mq_open(NAME, OFLAG) for the probes; mode and attr only matter (and are
 * only read) when OFLAG has O_CREAT, where they give 0600 and the defaults. */
static mqd_t probe_open(const char *name, int oflag)
{
    return mq_open(name, oflag, 0600, NULL);
}

/* send and timedsend: open, send SIZE pattern bytes (seq 0) at PRIO before
 * abs, report. */
static int run_send(const char *name, int oflag, long long prio, long long size,
                    const struct timespec *abs)
{
    mqd_t q = probe_open(name, oflag);
    if (q == MQ_FAILED) {
        print_probe(-1, errno);
        return EXIT_OK;
    }
    unsigned char *buf = alloc_buf((size_t)size, "buffer");
    fill_pattern(buf, (size_t)size, 0);
    int err = send_until(q, buf, (size_t)size, (unsigned)prio, abs);
    print_probe(err ? -1 : 0, err);
    free(buf);
    mq_close(q);
    return EXIT_OK;
}

static int cmd_send(char **argv)
{
    long long oflag, prio, size;
    if (!parse_num(argv[1], &oflag) || !parse_num(argv[2], &prio) ||
        !parse_count(argv[3], &size))
        return EXIT_USAGE;
    /* "mq_send", bounded: mq_send is mq_timedsend without a deadline. */
    struct timespec abs = deadline_in(WAIT_MS);
    return run_send(argv[0], (int)oflag, prio, size, &abs);
}

/* send-closed: mq_open(NAME, O_WRONLY), mq_close, then mq_send on the closed
 * descriptor (nothing in this single-threaded process can reuse it). */
static int cmd_send_closed(char **argv)
{
    long long prio, size;
    if (!parse_num(argv[1], &prio) || !parse_count(argv[2], &size))
        return EXIT_USAGE;
    mqd_t q = probe_open(argv[0], O_WRONLY);
    if (q == MQ_FAILED) {
        print_probe(-1, errno);
        return EXIT_OK;
    }
    mq_close(q);
    unsigned char *buf = alloc_buf((size_t)size, "buffer");
    fill_pattern(buf, (size_t)size, 0);
    int r = mq_send(q, (const char *)buf, (size_t)size, (unsigned)prio);
    print_probe(r, r ? errno : 0);
    free(buf);
    return EXIT_OK;
}

static int cmd_timedsend(char **argv)
{
    long long ms, prio, size;
    if (!parse_num(argv[1], &ms) || !parse_num(argv[2], &prio) ||
        !parse_count(argv[3], &size))
        return EXIT_USAGE;
    struct timespec abs = deadline_in(ms);
    return run_send(argv[0], O_WRONLY, prio, size, &abs);
}

/* recv and timedrecv: open, receive into a cap-byte buffer (cap < 0: the
 * queue's msgsize) before abs, report with len and prio. */
static int run_recv(const char *name, int oflag, long long cap, long long ms)
{
    mqd_t q = probe_open(name, oflag);
    if (q == MQ_FAILED) {
        print_probe_x(-1, errno, "len=-1 prio=0");
        return EXIT_OK;
    }
    if (cap < 0) {
        struct mq_attr attr;
        if (mq_getattr(q, &attr) != 0) {
            print_probe_x(-1, errno, "len=-1 prio=0");
            mq_close(q);
            return EXIT_OK;
        }
        cap = attr.mq_msgsize;
    }
    unsigned char *buf = alloc_buf((size_t)cap, "buffer");
    unsigned prio = 0;
    ssize_t got;
    struct timespec abs = deadline_in(ms);
    int err = receive_until(q, buf, (size_t)cap, &prio, &abs, &got);
    print_probe_x(got, err, "len=%zd prio=%u", got, err ? 0u : prio);
    free(buf);
    mq_close(q);
    return EXIT_OK;
}

static int cmd_recv(char **argv)
{
    long long oflag, bufsize;
    if (!parse_num(argv[1], &oflag) || !parse_count(argv[2], &bufsize))
        return EXIT_USAGE;
    /* "mq_receive", bounded like send above. */
    return run_recv(argv[0], (int)oflag, bufsize, WAIT_MS);
}

static int cmd_timedrecv(char **argv)
{
    long long ms;
    if (!parse_num(argv[1], &ms))
        return EXIT_USAGE;
    return run_recv(argv[0], O_RDONLY, -1, ms);
}

static int cmd_unlink(char **argv)
{
    int r = mq_unlink(argv[0]);
    print_probe(r, r ? errno : 0);
    return EXIT_OK;
}

static int cmd_attr(char **argv)
{
    struct mq_attr attr = { 0 };
    int r = -1, err;
    mqd_t q = probe_open(argv[0], O_RDONLY);
    if (q == MQ_FAILED) {
        err = errno;
    } else {
        r = mq_getattr(q, &attr);
        err = r ? errno : 0;
        if (r != 0)
            memset(&attr, 0, sizeof attr);
        mq_close(q);
    }
    print_probe_x(r, err, "flags=%ld maxmsg=%ld msgsize=%ld curmsgs=%ld",
                  attr.mq_flags, attr.mq_maxmsg, attr.mq_msgsize, attr.mq_curmsgs);
    return EXIT_OK;
}

static int cmd_notify(char **argv)
{
    mqd_t q = probe_open(argv[0], O_RDONLY);
    if (q == MQ_FAILED) {
        print_probe(-1, errno);
        return EXIT_OK;
    }
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_NONE;
    int r = mq_notify(q, &sev);
    print_probe(r, r ? errno : 0);
    mq_close(q);        /* drops the registration, if any */
    return EXIT_OK;
}

/* ---- roles --------------------------------------------------------------- */

static int cmd_create(char **argv)
{
    const char *name = argv[0];
    long long maxmsg, msgsize;
    if (!parse_num(argv[1], &maxmsg) || !parse_num(argv[2], &msgsize))
        return EXIT_USAGE;
    struct mq_attr attr = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };
    mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    if (q == MQ_FAILED)
        fail("mq_open", name);
    must_close(q, name);
    printf("created\n");
    return EXIT_OK;
}

static int cmd_produce(char **argv)
{
    const char *name = argv[0];
    long long count;
    if (!parse_count(argv[1], &count))
        return EXIT_USAGE;
    mqd_t q = must_open(name, O_WRONLY);
    for (long long i = 0; i < count; i++) {
        char body[32];
        int len = snprintf(body, sizeof body, "msg-%lld", i);
        must_send(q, name, body, (size_t)len, (unsigned)((i * 7) % 5));
    }
    printf("produced %lld\n", count);
    must_close(q, name);
    return EXIT_OK;
}

static int cmd_consume(char **argv)
{
    const char *name = argv[0];
    long long count;
    if (!parse_count(argv[1], &count))
        return EXIT_USAGE;
    mqd_t q = must_open(name, O_RDONLY);
    size_t cap = must_msgsize(q, name);
    unsigned char *buf = alloc_buf(cap, "buffer");
    for (long long i = 0; i < count; i++) {
        unsigned prio;
        size_t len = must_receive(q, name, buf, cap, &prio);
        printf("%u ", prio);
        fwrite(buf, 1, len, stdout);
        putchar('\n');
    }
    printf("consumed %lld\n", count);
    free(buf);
    must_close(q, name);
    return EXIT_OK;
}

static int cmd_notify_hold(char **argv)
{
    const char *name = argv[0];
    long long ms;
    if (!parse_count(argv[1], &ms))
        return EXIT_USAGE;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        fail("sigaction", "SIGUSR1");
    mqd_t q = must_open(name, O_RDONLY);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    if (mq_notify(q, &sev) != 0)
        fail("mq_notify", name);
    printf("registered\n");
    fflush(stdout);
    sleep_ms(ms);       /* resumes after each signal with the time left */
    printf("signals=%d\n", (int)signals_seen);
    must_close(q, name);
    return EXIT_OK;
}

static int cmd_block_recv(char **argv)
{
    const char *name = argv[0];
    long long ms;
    if (!parse_count(argv[1], &ms))
        return EXIT_USAGE;
    mqd_t q = must_open(name, O_RDONLY);
    size_t cap = must_msgsize(q, name);
    unsigned char *buf = alloc_buf(cap, "buffer");
    printf("blocking\n");
    fflush(stdout);
    struct timespec abs = deadline_in(ms);
    unsigned prio;
    ssize_t got;
    int err = receive_until(q, buf, cap, &prio, &abs, &got);
    if (err != 0)
        fail_wait("mq_timedreceive", name, err);
    printf("len=%zd prio=%u\n", got, prio);
    free(buf);
    must_close(q, name);
    return EXIT_OK;
}

static int cmd_stream_send(char **argv)
{
    const char *name = argv[0];
    long long count, size;
    if (!parse_count(argv[1], &count) || !parse_count(argv[2], &size))
        return EXIT_USAGE;
    mqd_t q = must_open(name, O_WRONLY);
    unsigned char *buf = alloc_buf((size_t)size, "buffer");
    uint64_t sum = 0;
    for (long long s = 1; s <= count; s++) {
        fill_pattern(buf, (size_t)size, (uint64_t)s);
        for (long long j = 0; j < size; j++)
            sum += buf[j];
        must_send(q, name, buf, (size_t)size, 0);
    }
    printf("sent %lld sum=%" PRIu64 "\n", count, sum);
    free(buf);
    must_close(q, name);
    return EXIT_OK;
}

static int cmd_stream_recv(char **argv)
{
    const char *name = argv[0];
    long long count, size;
    if (!parse_count(argv[1], &count) || !parse_count(argv[2], &size))
        return EXIT_USAGE;
    mqd_t q = must_open(name, O_RDONLY);
    size_t cap = must_msgsize(q, name);
    unsigned char *buf = alloc_buf(cap, "buffer");
    uint64_t sum = 0;
    for (long long s = 1; s <= count; s++) {
        unsigned prio;
        size_t len = must_receive(q, name, buf, cap, &prio);
        if (len != (size_t)size) {
            fprintf(stderr, "mqpeer: stream-recv message %lld: expected %lld bytes"
                    " got %zu\n", s, size, len);
            return EXIT_VERIFY;
        }
        for (size_t j = 0; j < len; j++) {
            unsigned char want = pattern((uint64_t)s, j);
            if (buf[j] != want) {
                fprintf(stderr, "mqpeer: stream-recv message %lld byte %zu: expected"
                        " %u got %u\n", s, j, want, buf[j]);
                return EXIT_VERIFY;
            }
            sum += buf[j];
        }
    }
    printf("received %lld sum=%" PRIu64 "\n", count, sum);
    free(buf);
    must_close(q, name);
    return EXIT_OK;
}

/* ---- C reference loops for the benchmarks -------------------------------- */

/* Create PREFIX-SUFFIX (O_CREAT|O_EXCL|O_RDWR|extra, 0600, maxmsg 10) and
 * register it for unlinking. Returns the descriptor; its name is
 * bench.names[bench.nnames - 1]. */
static mqd_t bench_queue(const char *prefix, const char *suffix, long msgsize,
                         int extra)
{
    if (bench.owner == 0) {
        bench.owner = getpid();
        if (atexit(bench_cleanup) != 0) {
            fprintf(stderr, "mqpeer: atexit failed\n");
            exit(EXIT_LIBC);
        }
    }
    char *name = bench.names[bench.nnames];
    join_name(name, NAME_BUF, prefix, suffix, "queue");
    struct mq_attr attr = { .mq_maxmsg = BENCH_MAXMSG, .mq_msgsize = msgsize };
    mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | extra, 0600, &attr);
    if (q == MQ_FAILED)
        fail("mq_open", name);     /* not ours (EEXIST): never unlinked */
    bench.nnames++;
    return q;
}

/* Normal end of a benchmark: unlink every queue it created. */
static void bench_unlink_all(void)
{
    for (int i = 0; i < bench.nnames; i++) {
        if (mq_unlink(bench.names[i]) != 0)
            fail("mq_unlink", bench.names[i]);
    }
    bench.nnames = 0;
}

/* Fork the partner. Returns 0 in the child, the child's pid in the parent.
 * The parent gets a SIGCHLD handler (no SA_RESTART) so that a partner dying
 * interrupts a blocked mq_timed* and the parent exits at once with its code. */
static pid_t fork_partner(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NOCLDSTOP;
    if (sigaction(SIGCHLD, &sa, NULL) != 0)
        fail("sigaction", "SIGCHLD");
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork", "partner");
    if (pid == 0) {
        /* Die with the parent, so a killed benchmark leaves no partner. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
            fail("prctl", "PR_SET_PDEATHSIG");
        if (getppid() != parent)
            _exit(EXIT_LIBC);
        return 0;
    }
    bench.child = pid;
    return pid;
}

/* Parent: wait for the partner (it is itself bounded) and check it exited 0.
 * Returns 0, or the partner's exit code (2 if it died by a signal). */
static int finish_partner(void)
{
    if (bench.child_reaped)
        return EXIT_OK;             /* check_partner saw it exit 0 */
    pid_t pid = bench.child;
    int status = must_waitpid(pid, "partner");
    bench.child = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return EXIT_OK;
    report_child(pid, status);
    int code = child_code(status);
    return code ? code : EXIT_LIBC;
}

static int cmd_bench_sendrecv(char **argv)
{
    long long n, size;
    if (!parse_n(argv[0], &n) || !parse_n(argv[1], &size))
        return EXIT_USAGE;
    /* One thread cannot wait for itself: O_NONBLOCK makes a would-block an
     * EAGAIN failure instead of a hang; the queue is never full or empty
     * when the calls are made, so the calls are the plain blocking path. */
    mqd_t q = bench_queue(argv[2], "sr", (long)size, O_NONBLOCK);
    const char *name = bench.names[0];
    unsigned char *out = alloc_buf((size_t)size, "buffer"), *in = alloc_buf((size_t)size, "buffer");
    fill_pattern(out, (size_t)size, 0);
    unsigned prio;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        if (mq_send(q, (const char *)out, (size_t)size, 0) != 0)
            fail("mq_send", name);
        if (mq_receive(q, (char *)in, (size_t)size, &prio) != (ssize_t)size)
            fail("mq_receive", name);
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    must_close(q, name);
    bench_unlink_all();
    free(out);
    free(in);
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

static int cmd_bench_pingpong(char **argv)
{
    long long n;
    if (!parse_n(argv[0], &n))
        return EXIT_USAGE;
    mqd_t qa = bench_queue(argv[1], "a", PINGPONG_SIZE, 0);
    mqd_t qb = bench_queue(argv[1], "b", PINGPONG_SIZE, 0);
    const char *na = bench.names[0], *nb = bench.names[1];
    unsigned char buf[PINGPONG_SIZE];
    fill_pattern(buf, sizeof buf, 0);
    unsigned prio;
    if (fork_partner() == 0) {
        for (long long i = 0; i < n; i++) {
            must_receive(qa, na, buf, sizeof buf, &prio);
            must_send(qb, nb, buf, sizeof buf, 0);
        }
        mq_close(qa);
        mq_close(qb);
        _exit(EXIT_OK);
    }
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        must_send(qa, na, buf, sizeof buf, 0);
        must_receive(qb, nb, buf, sizeof buf, &prio);
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    int rc = finish_partner();
    must_close(qa, na);
    must_close(qb, nb);
    bench_unlink_all();
    if (rc != EXIT_OK)
        return rc;
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

static int cmd_bench_stream(char **argv)
{
    long long n, size;
    if (!parse_n(argv[0], &n) || !parse_n(argv[1], &size))
        return EXIT_USAGE;
    mqd_t q = bench_queue(argv[2], "s", (long)size, 0);
    const char *name = bench.names[0];
    unsigned char *buf = alloc_buf((size_t)size, "buffer");
    fill_pattern(buf, (size_t)size, 0);
    unsigned prio;
    if (fork_partner() == 0) {
        for (long long i = 0; i < n; i++)
            must_send(q, name, buf, (size_t)size, 0);
        mq_close(q);
        _exit(EXIT_OK);
    }
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        size_t len = must_receive(q, name, buf, (size_t)size, &prio);
        if (len != (size_t)size) {
            fprintf(stderr, "mqpeer: bench-stream message %lld: expected %lld bytes"
                    " got %zu\n", i, size, len);
            exit(EXIT_VERIFY);      /* the atexit hook reaps and unlinks */
        }
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    int rc = finish_partner();
    must_close(q, name);
    bench_unlink_all();
    free(buf);
    if (rc != EXIT_OK)
        return rc;
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct command commands[] = {
    { "open", 5, cmd_open, "NAME OFLAG MODE MAXMSG MSGSIZE" },
    { "send", 4, cmd_send, "NAME OFLAG PRIO SIZE" },
    { "recv", 3, cmd_recv, "NAME OFLAG BUFSIZE" },
    { "timedrecv", 2, cmd_timedrecv, "NAME MS" },
    { "timedsend", 4, cmd_timedsend, "NAME MS PRIO SIZE" },
    { "send-closed", 3, cmd_send_closed, "NAME PRIO SIZE" },
    { "unlink", 1, cmd_unlink, "NAME" },
    { "attr", 1, cmd_attr, "NAME" },
    { "notify", 1, cmd_notify, "NAME" },
    { "create", 3, cmd_create, "NAME MAXMSG MSGSIZE" },
    { "produce", 2, cmd_produce, "NAME COUNT" },
    { "consume", 2, cmd_consume, "NAME COUNT" },
    { "notify-hold", 2, cmd_notify_hold, "NAME MS" },
    { "block-recv", 2, cmd_block_recv, "NAME MS" },
    { "stream-send", 3, cmd_stream_send, "NAME COUNT SIZE" },
    { "stream-recv", 3, cmd_stream_recv, "NAME COUNT SIZE" },
    { "bench-sendrecv", 3, cmd_bench_sendrecv, "N SIZE PREFIX" },
    { "bench-pingpong", 2, cmd_bench_pingpong, "N PREFIX" },
    { "bench-stream", 3, cmd_bench_stream, "N SIZE PREFIX" },
};

int main(int argc, char **argv)
{
    return peer_main(argc, argv, commands, COUNT_OF(commands), NULL);
}
