/*
 * peer.h: the helpers the C peers (sempeer.c, mqpeer.c, shmpeer.c) share:
 * exit codes, failure reports, argument parsing, clocks and deadlines, the
 * errno probe line, and the command table with main's dispatch. Command
 * lines, output lines and exit codes are specified in tests/cpeers/PROTOCOL.md.
 *
 * Each peer is still compiled alone (gcc -O2 -Wall -Wextra -Werror -pthread
 * -o BIN FILE.c -lrt), so everything here is static, and marked unused so
 * that a peer need not call every helper. Before including it a peer defines
 *   _GNU_SOURCE         before any #include (strerrorname_np);
 *   PEER_NAME           its program name, a string literal ("sempeer"), which
 *                       starts every message on stderr;
 *   PEER_BEFORE_FAIL()  optionally: a statement run by fail() and fail_wait()
 *                       after errno is saved and before the report is
 *                       printed (mqpeer: check whether its partner died).
 */
#ifndef PEER_H
#define PEER_H

#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before any #include"
#endif
#ifndef PEER_NAME
#error "define PEER_NAME (the program name, a string literal) before including peer.h"
#endif
#ifndef PEER_BEFORE_FAIL
#define PEER_BEFORE_FAIL() ((void)0)
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

#define PEER_HELPER static __attribute__((unused))

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_LIBC = 2, EXIT_TIMEOUT = 3, EXIT_VERIFY = 4 };

#define WAIT_MS 10000LL                   /* bound for every wait in the peers */

/* ---- failure reports ------------------------------------------------------ */

/* Report a failed libc call ("PEER: CALL NAME: strerror") and exit 2. */
PEER_HELPER _Noreturn void fail(const char *call, const char *name)
{
    int err = errno;
    PEER_BEFORE_FAIL();
    fprintf(stderr, PEER_NAME ": %s %s: %s\n", call, name, strerror(err));
    exit(EXIT_LIBC);
}

/* A bounded wait failed with err: the same report, then exit 3 on ETIMEDOUT,
 * 2 otherwise. */
PEER_HELPER _Noreturn void fail_wait(const char *call, const char *name, int err)
{
    PEER_BEFORE_FAIL();
    fprintf(stderr, PEER_NAME ": %s %s: %s\n", call, name, strerror(err));
    exit(err == ETIMEDOUT ? EXIT_TIMEOUT : EXIT_LIBC);
}

/* ---- argument parsing ----------------------------------------------------- */

/* Parse any integer; strtoll base 0 accepts 0x.. and 0.. too. */
PEER_HELPER bool parse_num(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* Parse a non-negative count. */
PEER_HELPER bool parse_count(const char *s, long long *out)
{
    return parse_num(s, out) && *out >= 0;
}

/* Parse a positive count (the benchmarks' N and SIZE). */
PEER_HELPER bool parse_n(const char *s, long long *n)
{
    return parse_count(s, n) && *n > 0;
}

/* ---- clocks, deadlines, sleeping ------------------------------------------ */

PEER_HELPER int64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CLOCK_MONOTONIC deadline ms milliseconds from now, for polling loops. */
PEER_HELPER int64_t mono_deadline(long long ms)
{
    return now_ns(CLOCK_MONOTONIC) + ms * 1000000;
}

PEER_HELPER bool mono_passed(int64_t deadline)
{
    return now_ns(CLOCK_MONOTONIC) >= deadline;
}

/* Absolute CLOCK_REALTIME deadline ms milliseconds from now, for the
 * sem_timedwait / mq_timed* calls. */
PEER_HELPER struct timespec deadline_in(long long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    } else if (ts.tv_nsec < 0) {    /* negative ms: a deadline in the past */
        ts.tv_sec--;
        ts.tv_nsec += 1000000000;
    }
    return ts;
}

/* Sleep ms milliseconds; a signal handler runs and the sleep resumes with the
 * time left. */
PEER_HELPER void sleep_ms(long long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- processes, memory, names --------------------------------------------- */

/* waitpid(pid) retried on EINTR; returns the status (exit 2 on any other
 * failure, naming what). */
PEER_HELPER int must_waitpid(pid_t pid, const char *what)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            fail("waitpid", what);
    }
    return status;
}

/* A buffer of len bytes (at least 1, so that len 0 is a valid pointer). */
PEER_HELPER unsigned char *alloc_buf(size_t len, const char *what)
{
    unsigned char *buf = malloc(len ? len : 1);
    if (buf == NULL)
        fail("malloc", what);
    return buf;
}

/* PREFIX-SUFFIX into buf of cap bytes; exit 1 when it does not fit ("PEER:
 * WHAT name too long: PREFIX-SUFFIX"). */
PEER_HELPER void join_name(char *buf, size_t cap, const char *prefix, const char *suffix,
                           const char *what)
{
    int len = snprintf(buf, cap, "%s-%s", prefix, suffix);
    if (len < 0 || (size_t)len >= cap) {
        fprintf(stderr, PEER_NAME ": %s name too long: %s-%s\n", what, prefix, suffix);
        exit(EXIT_USAGE);
    }
}

/* ---- output lines --------------------------------------------------------- */

/* NAME for the probe line: "0" for no error, else strerrorname_np's name. */
PEER_HELPER const char *ename(int err)
{
    if (err == 0)
        return "0";
    const char *n = strerrorname_np(err);
    return n ? n : "?";
}

/* The errno probe line: result=R errno=E ename=NAME */
PEER_HELPER void print_probe(long long result, int err)
{
    printf("result=%lld errno=%d ename=%s\n", result, err, ename(err));
}

/* The probe line with extra fields appended after a space. */
PEER_HELPER __attribute__((format(printf, 3, 4)))
void print_probe_x(long long result, int err, const char *fmt, ...)
{
    va_list ap;
    printf("result=%lld errno=%d ename=%s ", result, err, ename(err));
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* The benchmarks' line: ns_per_op=X */
PEER_HELPER void print_ns_per_op(int64_t elapsed_ns, long long n)
{
    printf("ns_per_op=%.2f\n", (double)elapsed_ns / (double)n);
}

/* ---- dispatch ------------------------------------------------------------- */

struct command {
    const char *name;
    int nargs;
    int (*run)(char **argv);    /* the command's arguments; EXIT_USAGE: bad ones */
    const char *usage;
};

#define COUNT_OF(a) (sizeof (a) / sizeof (a)[0])

PEER_HELPER int usage(const struct command *cmds, size_t ncmds)
{
    fprintf(stderr, "usage:\n");
    for (size_t i = 0; i < ncmds; i++)
        fprintf(stderr, "  " PEER_NAME " %s %s\n", cmds[i].name, cmds[i].usage);
    return EXIT_USAGE;
}

/* main: run the command argv[1] names with the rest of argv. before_run (may
 * be NULL) runs once the command and its argument count are known good. */
PEER_HELPER int peer_main(int argc, char **argv, const struct command *cmds, size_t ncmds,
                          void (*before_run)(void))
{
    setvbuf(stdout, NULL, _IOLBF, 0);   /* the Go side reads our stdout from a pipe */
    if (argc < 2)
        return usage(cmds, ncmds);
    for (size_t i = 0; i < ncmds; i++) {
        const struct command *c = &cmds[i];
        if (strcmp(argv[1], c->name) != 0)
            continue;
        if (argc - 2 != c->nargs)
            return usage(cmds, ncmds);
        if (before_run != NULL)
            before_run();
        int rc = c->run(argv + 2);
        if (rc == EXIT_USAGE)
            fprintf(stderr, "usage: " PEER_NAME " %s %s\n", c->name, c->usage);
        return rc;
    }
    return usage(cmds, ncmds);
}

#endif /* PEER_H */
