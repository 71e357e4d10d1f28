/*
 * filepeer: a plain C user of advisory file locks (flock, lockf, fcntl),
 * shared descriptors, pipes and FIFOs, sigqueue and slow calls interrupted by
 * signals, run by the libcipc Go tests as a separate process. Command lines,
 * output lines and exit codes are specified in tests/cpeers/PROTOCOL.md.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -pthread -o filepeer filepeer.c -lrt
 *
 * Every blocking call is bounded: holders sleep at most 60 s waiting to be
 * killed (exit 3 if not), F_SETLKW and the slow reads run under an interval
 * timer whose SIGALRM handler is installed without SA_RESTART, sigtimedwait
 * has a 10 s timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PEER_NAME "filepeer"
#include "peer.h"

extern char **environ;

static int open_rw(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        fail("open", path);
    return fd;
}

static short lock_type(const char *t)
{
    return t[0] == 'r' ? F_RDLCK : t[0] == 'w' ? F_WRLCK : F_UNLCK;
}

static char type_char(short t)
{
    return t == F_RDLCK ? 'r' : t == F_WRLCK ? 'w' : 'u';
}

/* Print the held line, then wait to be killed. */
static int hold(void)
{
    printf("held pid=%d\n", (int)getpid());
    fflush(stdout);
    sleep_ms(60000);
    return EXIT_TIMEOUT;
}

static volatile sig_atomic_t ticks;
static int tick_fd = -1; /* restart mode: the handler's write ends the read */

static void on_alarm(int sig)
{
    (void)sig;
    ticks++;
    if (tick_fd >= 0 && ticks == 3) {
        char c = 'x';
        if (write(tick_fd, &c, 1) < 0) {
            /* nothing to do in a handler */
        }
    }
}

/* SIGALRM every ms milliseconds, handled with or without SA_RESTART. */
static void alarm_every(long long ms, int restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) != 0)
        fail("sigaction", "SIGALRM");
    struct itimerval it = {.it_interval = {ms / 1000, (ms % 1000) * 1000}, .it_value = {ms / 1000, (ms % 1000) * 1000}};
    if (setitimer(ITIMER_REAL, &it, NULL) != 0)
        fail("setitimer", "ITIMER_REAL");
}

static int cmd_fcntl_hold(char **a)
{
    long long start, len;
    if (!parse_num(a[2], &start) || !parse_num(a[3], &len))
        return EXIT_USAGE;
    int fd = open_rw(a[0]);
    struct flock fl = {.l_type = lock_type(a[1]), .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fd, F_SETLK, &fl) != 0)
        fail("fcntl F_SETLK", a[0]);
    return hold();
}

static int cmd_flock_hold(char **a)
{
    int fd = open_rw(a[0]);
    if (flock(fd, (a[1][0] == 's' ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0)
        fail("flock", a[0]);
    return hold();
}

static int cmd_lockf_hold(char **a)
{
    long long off, len;
    if (!parse_num(a[1], &off) || !parse_num(a[2], &len))
        return EXIT_USAGE;
    int fd = open_rw(a[0]);
    if (lseek(fd, off, SEEK_SET) < 0)
        fail("lseek", a[0]);
    if (lockf(fd, F_TLOCK, len) != 0)
        fail("lockf F_TLOCK", a[0]);
    return hold();
}

static int cmd_getlk(char **a)
{
    long long start, len;
    if (!parse_num(a[2], &start) || !parse_num(a[3], &len))
        return EXIT_USAGE;
    int fd = open_rw(a[0]);
    struct flock fl = {.l_type = lock_type(a[1]), .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    int rc = fcntl(fd, F_GETLK, &fl);
    print_probe_x(rc, rc == 0 ? 0 : errno, "type=%c pid=%d start=%lld len=%lld",
                  type_char(fl.l_type), (int)fl.l_pid, (long long)fl.l_start, (long long)fl.l_len);
    return EXIT_OK;
}

static int cmd_lockf_probe(char **a)
{
    long long off, len;
    if (!parse_num(a[2], &off) || !parse_num(a[3], &len))
        return EXIT_USAGE;
    int cmd = strcmp(a[1], "test") == 0 ? F_TEST : strcmp(a[1], "tlock") == 0 ? F_TLOCK : -1;
    if (cmd < 0)
        return EXIT_USAGE;
    int fd = open_rw(a[0]);
    if (lseek(fd, off, SEEK_SET) < 0)
        fail("lseek", a[0]);
    int rc = lockf(fd, cmd, len);
    print_probe(rc, rc == 0 ? 0 : errno);
    return EXIT_OK;
}

static int cmd_flock_try(char **a)
{
    int fd = open_rw(a[0]);
    int rc = flock(fd, (a[1][0] == 's' ? LOCK_SH : LOCK_EX) | LOCK_NB);
    print_probe(rc, rc == 0 ? 0 : errno);
    return EXIT_OK;
}

static int cmd_deadlock(char **a)
{
    long long x, y;
    if (!parse_num(a[1], &x) || !parse_num(a[2], &y))
        return EXIT_USAGE;
    int fd = open_rw(a[0]);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = x, .l_len = 1};
    if (fcntl(fd, F_SETLK, &fl) != 0)
        fail("fcntl F_SETLK", a[0]);
    printf("held pid=%d\n", (int)getpid());
    fflush(stdout);
    alarm_every(WAIT_MS, 0);
    fl.l_start = y;
    int rc = fcntl(fd, F_SETLKW, &fl);
    print_probe(rc, rc == 0 ? 0 : errno);
    return EXIT_OK;
}

static int cmd_seekread(char **a)
{
    long long fd, ms, block;
    if (!parse_count(a[0], &fd) || !parse_n(a[1], &ms) || !parse_n(a[3], &block))
        return EXIT_USAGE;
    int use_pread = strcmp(a[2], "pread") == 0;
    if (!use_pread && strcmp(a[2], "seek") != 0)
        return EXIT_USAGE;
    struct stat st;
    if (fstat((int)fd, &st) != 0)
        fail("fstat", a[0]);
    long long nblocks = st.st_size / block;
    if (nblocks < 2)
        return EXIT_USAGE;
    unsigned char *buf = alloc_buf((size_t)block, "block");
    long long reads = 0, bad = 0;
    int64_t end = mono_deadline(ms);
    for (long long i = 0; !mono_passed(end); i++) {
        long long k = (i * 7 + (long long)getpid()) % nblocks;
        ssize_t n;
        if (use_pread) {
            n = pread((int)fd, buf, (size_t)block, k * block);
        } else {
            if (lseek((int)fd, k * block, SEEK_SET) < 0)
                fail("lseek", a[0]);
            n = read((int)fd, buf, (size_t)block);
        }
        if (n < 0)
            fail(use_pread ? "pread" : "read", a[0]);
        reads++;
        if (n != block || buf[0] != (unsigned char)k || buf[block - 1] != (unsigned char)k)
            bad++;
    }
    free(buf);
    printf("reads=%lld mismatches=%lld\n", reads, bad);
    return EXIT_OK;
}

static int cmd_pipe_write(char **a)
{
    long long id, n, size;
    if (!parse_count(a[1], &id) || !parse_n(a[2], &n) || !parse_n(a[3], &size))
        return EXIT_USAGE;
    int fd;
    long long num;
    if (a[0][0] == '/') {
        fd = open(a[0], O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            fail("open", a[0]);
    } else if (parse_count(a[0], &num)) {
        fd = (int)num;
    } else {
        return EXIT_USAGE;
    }
    unsigned char *buf = alloc_buf((size_t)size, "record");
    memset(buf, (int)id, (size_t)size);
    for (long long i = 0; i < n; i++) {
        ssize_t w = write(fd, buf, (size_t)size);
        if (w != size)
            fail("write", a[0]);
    }
    free(buf);
    printf("wrote %lld\n", n);
    return EXIT_OK;
}

static int cmd_sigqueue(char **a)
{
    long long pid, sig, n;
    if (!parse_n(a[0], &pid) || !parse_n(a[1], &sig) || !parse_n(a[2], &n))
        return EXIT_USAGE;
    for (long long i = 1; i <= n; i++) {
        union sigval v = {.sival_ptr = (void *)(uintptr_t)i};
        if (sigqueue((pid_t)pid, (int)sig, v) != 0)
            fail("sigqueue", a[0]);
    }
    printf("sent %lld pid=%d uid=%d\n", n, (int)getpid(), (int)getuid());
    return EXIT_OK;
}

static int cmd_tgkill(char **a)
{
    long long pid, tid, sig, n;
    if (!parse_n(a[0], &pid) || !parse_n(a[1], &tid) || !parse_n(a[2], &sig) || !parse_n(a[3], &n))
        return EXIT_USAGE;
    for (long long i = 0; i < n; i++) {
        if (tgkill((pid_t)pid, (pid_t)tid, (int)sig) != 0)
            fail("tgkill", a[1]);
    }
    printf("sent %lld pid=%d uid=%d\n", n, (int)getpid(), (int)getuid());
    return EXIT_OK;
}

static int cmd_rt_recv(char **a)
{
    long long sig, n;
    if (!parse_n(a[0], &sig) || !parse_n(a[1], &n))
        return EXIT_USAGE;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, (int)sig);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        fail("sigprocmask", a[0]);
    printf("ready pid=%d\n", (int)getpid());
    fflush(stdout);
    printf("values=");
    siginfo_t si;
    memset(&si, 0, sizeof si);
    for (long long i = 0; i < n; i++) {
        struct timespec ts = {.tv_sec = WAIT_MS / 1000, .tv_nsec = 0};
        if (sigtimedwait(&set, &si, &ts) < 0)
            fail_wait("sigtimedwait", a[0], errno == EAGAIN ? ETIMEDOUT : errno);
        printf("%s%lu", i ? "," : "", (unsigned long)(uintptr_t)si.si_value.sival_ptr);
    }
    printf(" pid=%d uid=%d code=%d\n", (int)si.si_pid, (int)si.si_uid, si.si_code);
    return EXIT_OK;
}

static int cmd_eintr(char **a)
{
    int restart = strcmp(a[0], "restart") == 0;
    if (!restart && strcmp(a[0], "norestart") != 0)
        return EXIT_USAGE;
    int p[2];
    if (pipe(p) != 0)
        fail("pipe", a[0]);
    if (restart)
        tick_fd = p[1];
    alarm_every(50, restart);
    char c;
    ssize_t rc = read(p[0], &c, 1);
    int err = rc < 0 ? errno : 0;
    print_probe_x(rc, err, "ticks=%d", (int)ticks);
    return EXIT_OK;
}

static int cmd_bench_fcntl(char **a)
{
    long long n;
    if (!parse_n(a[0], &n))
        return EXIT_USAGE;
    int fd = open_rw(a[1]);
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    struct flock un = lk;
    un.l_type = F_UNLCK;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        if (fcntl(fd, F_SETLK, &lk) != 0)
            fail("fcntl F_SETLK", a[1]);
        if (fcntl(fd, F_SETLK, &un) != 0)
            fail("fcntl F_SETLK", a[1]);
    }
    print_ns_per_op(now_ns(CLOCK_MONOTONIC) - t0, n);
    return EXIT_OK;
}

static int cmd_bench_pread(char **a)
{
    long long n, size;
    if (!parse_n(a[0], &n) || !parse_n(a[2], &size))
        return EXIT_USAGE;
    int fd = open_rw(a[1]);
    unsigned char *buf = alloc_buf((size_t)size, "buffer");
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        if (pread(fd, buf, (size_t)size, 0) != size)
            fail("pread", a[1]);
    }
    print_ns_per_op(now_ns(CLOCK_MONOTONIC) - t0, n);
    return EXIT_OK;
}

static int cmd_bench_spawn(char **a)
{
    long long n;
    if (!parse_n(a[0], &n))
        return EXIT_USAGE;
    char *argv[] = {(char *)"true", NULL};
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        pid_t pid;
        int err = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
        if (err != 0) {
            errno = err;
            fail("posix_spawn", "/bin/true");
        }
        int st = must_waitpid(pid, "/bin/true");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return EXIT_VERIFY;
    }
    print_ns_per_op(now_ns(CLOCK_MONOTONIC) - t0, n);
    return EXIT_OK;
}

static const struct command commands[] = {
    {"fcntl-hold", 4, cmd_fcntl_hold, "PATH r|w START LEN"},
    {"flock-hold", 2, cmd_flock_hold, "PATH sh|ex"},
    {"lockf-hold", 3, cmd_lockf_hold, "PATH OFF LEN"},
    {"getlk", 4, cmd_getlk, "PATH r|w START LEN"},
    {"lockf-probe", 4, cmd_lockf_probe, "PATH test|tlock OFF LEN"},
    {"flock-try", 2, cmd_flock_try, "PATH sh|ex"},
    {"deadlock", 3, cmd_deadlock, "PATH HELD WANTED"},
    {"seekread", 4, cmd_seekread, "FD MS seek|pread BLOCK"},
    {"pipe-write", 4, cmd_pipe_write, "FD|/PATH ID N SIZE"},
    {"sigqueue", 3, cmd_sigqueue, "PID SIG N"},
    {"tgkill", 4, cmd_tgkill, "PID TID SIG N"},
    {"rt-recv", 2, cmd_rt_recv, "SIG N"},
    {"eintr", 1, cmd_eintr, "restart|norestart"},
    {"bench-fcntl", 2, cmd_bench_fcntl, "N PATH"},
    {"bench-pread", 3, cmd_bench_pread, "N PATH SIZE"},
    {"bench-spawn", 1, cmd_bench_spawn, "N"},
};

int main(int argc, char **argv)
{
    return peer_main(argc, argv, commands, COUNT_OF(commands), NULL);
}
