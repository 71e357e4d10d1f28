/*
 * shmpeer: a plain C user of glibc POSIX shared memory (shm_open, mmap), run by
 * the libcipc Go tests as a separate process. Command lines, output lines and
 * exit codes are specified in tests/cpeers/PROTOCOL.md.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -pthread -o shmpeer shmpeer.c -lrt
 *
 * Nothing here blocks: the only wait (watch) polls against a CLOCK_MONOTONIC
 * deadline. Objects this process created and has not finished with (create
 * before it completes, the benchmark objects) are unlinked on every way out:
 * a failed libc call (exit through the atexit hook), SIGBUS (an access past
 * the end of the object) and SIGINT/SIGTERM/SIGHUP.
 *
 * Accesses to a mapping never go past the object's size as fstat reports it
 * when the command starts (exit 4 otherwise); SIGBUS can still happen if
 * another process shrinks the object meanwhile, or if tmpfs runs out of
 * space while create fills a fresh object (create refuses a SIZE beyond the
 * free space first): the handler then reports it and exits 2 instead of
 * dying by the signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PEER_NAME "shmpeer"
#include "peer.h"

#define NAME_BUF    4096                  /* PREFIX-i names for the benchmarks */
#define HASH_BYTES  8                     /* the FNV-1a hash at the end of an object */
#define PROBE_MAP   4096                  /* bytes mapped by the mprotect probe */
#define FNV_OFFSET  0xcbf29ce484222325ull
#define FNV_PRIME   0x100000001b3ull

/* ---- the object this process owns until it is finished ------------------- */

/* Name of an object this process created and must unlink if it does not get
 * to the end of the command (NULL when none). Written only with the name
 * already complete in its buffer, so a signal handler always sees either
 * NULL or a whole name. */
static const char *volatile owned_name;

static void unlink_owned(void)
{
    const char *name = owned_name;
    if (name != NULL) {
        owned_name = NULL;
        shm_unlink(name);
    }
}

static void own(const char *name) { owned_name = name; }
static void disown(void) { owned_name = NULL; }

/* SIGBUS: an access past the end of the object behind a mapping. Report it,
 * unlink an owned object and exit 2. (shm_unlink builds the path in a local
 * buffer and calls unlink(2): async-signal-safe in practice.) */
static void on_sigbus(int sig)
{
    (void)sig;
    static const char msg[] =
        "shmpeer: SIGBUS: access past the end of the shared memory object\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    unlink_owned();
    _exit(EXIT_LIBC);
}

/* SIGINT/SIGTERM/SIGHUP (e.g. from timeout(1)): unlink an owned object, then
 * die by the same signal. */
static void on_term(int sig)
{
    unlink_owned();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_sigbus;
    sigaction(SIGBUS, &sa, NULL);
    sa.sa_handler = on_term;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    atexit(unlink_owned);
}

/* ---- object helpers ------------------------------------------------------ */

/* fail() (peer.h) exits through the atexit hook, which unlinks an owned
 * object. */

static int must_shm_open(const char *name, int oflag)
{
    int fd = shm_open(name, oflag, 0600);
    if (fd < 0)
        fail("shm_open", name);
    return fd;
}

static long long must_size(int fd, const char *name)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        fail("fstat", name);
    return (long long)st.st_size;
}

static void must_close(int fd, const char *name)
{
    if (close(fd) != 0)
        fail("close", name);
}

/* The bytes [off, off+len) of an object must lie inside its size (exit 4). */
static void check_range(const char *name, long long size, long long off, long long len)
{
    if (off > size || len > size - off) {
        fprintf(stderr, "shmpeer: %s: bytes %lld..%lld are past the object's %lld"
                " bytes\n", name, off, off + len, size);
        exit(EXIT_VERIFY);
    }
}

/* A mapping of [off, off+len) of fd; the mmap offset is rounded down to a
 * page boundary. len must be > 0. */
struct window {
    void *base;             /* what mmap returned */
    size_t maplen;          /* what to munmap */
    unsigned char *at;      /* the byte at off */
};

static struct window map_window(int fd, const char *name, long long off, long long len,
                                int prot)
{
    long long page = sysconf(_SC_PAGESIZE);
    long long start = off - off % page;
    struct window w;
    w.maplen = (size_t)(off - start + len);
    w.base = mmap(NULL, w.maplen, prot, MAP_SHARED, fd, (off_t)start);
    if (w.base == MAP_FAILED)
        fail("mmap", name);
    w.at = (unsigned char *)w.base + (off - start);
    return w;
}

static void must_unmap(struct window *w, const char *name)
{
    if (munmap(w->base, w->maplen) != 0)
        fail("munmap", name);
}

/* ---- pattern and hash ---------------------------------------------------- */

static unsigned char pattern(uint64_t seed, uint64_t j)
{
    return (unsigned char)((seed + j * 7 + (j >> 8)) & 0xff);
}

static uint64_t fnv1a(const unsigned char *p, size_t len)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* ---- errno probes: report what libc said, always exit 0 ------------------ */

static int cmd_open(char **argv)
{
    long long oflag, mode;
    if (!parse_num(argv[1], &oflag) || !parse_num(argv[2], &mode))
        return EXIT_USAGE;
    int fd = shm_open(argv[0], (int)oflag, (mode_t)mode);
    if (fd < 0) {
        print_probe(-1, errno);
        return EXIT_OK;
    }
    print_probe(0, 0);
    close(fd);
    return EXIT_OK;
}

static int cmd_unlink(char **argv)
{
    int r = shm_unlink(argv[0]);
    print_probe(r, r ? errno : 0);
    return EXIT_OK;
}

static int cmd_mmap(char **argv)
{
    long long oflag, off, len, prot, flags;
    if (!parse_num(argv[1], &oflag) || !parse_num(argv[2], &off) ||
        !parse_num(argv[3], &len) || !parse_num(argv[4], &prot) ||
        !parse_num(argv[5], &flags))
        return EXIT_USAGE;
    /* The mode only matters (and is only read) when OFLAG has O_CREAT. */
    int fd = shm_open(argv[0], (int)oflag, 0600);
    if (fd < 0) {
        print_probe(-1, errno);
        return EXIT_OK;
    }
    void *p = mmap(NULL, (size_t)len, (int)prot, (int)flags, fd, (off_t)off);
    if (p == MAP_FAILED) {
        print_probe(-1, errno);
    } else {
        print_probe(0, 0);
        munmap(p, (size_t)len);
    }
    close(fd);
    return EXIT_OK;
}

/* mmap-closed: shm_open(NAME, O_RDWR), close, then mmap of the closed
 * descriptor (nothing in this single-threaded process can reuse it). */
static int cmd_mmap_closed(char **argv)
{
    long long off, len, prot, flags;
    if (!parse_num(argv[1], &off) || !parse_num(argv[2], &len) ||
        !parse_num(argv[3], &prot) || !parse_num(argv[4], &flags))
        return EXIT_USAGE;
    int fd = shm_open(argv[0], O_RDWR, 0);
    if (fd < 0) {
        print_probe(-1, errno);
        return EXIT_OK;
    }
    close(fd);
    void *p = mmap(NULL, (size_t)len, (int)prot, (int)flags, fd, (off_t)off);
    if (p == MAP_FAILED) {
        print_probe(-1, errno);
    } else {
        print_probe(0, 0);
        munmap(p, (size_t)len);
    }
    return EXIT_OK;
}

static int cmd_mprotect(char **argv)
{
    long long prot;
    if (!parse_num(argv[1], &prot))
        return EXIT_USAGE;
    int fd = shm_open(argv[0], O_RDWR, 0);
    if (fd < 0) {
        print_probe(-1, errno);
        return EXIT_OK;
    }
    void *p = mmap(NULL, PROBE_MAP, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int err = errno;
    close(fd);
    if (p == MAP_FAILED) {
        print_probe(-1, err);
        return EXIT_OK;
    }
    int r = mprotect(p, PROBE_MAP, (int)prot);
    print_probe(r, r ? errno : 0);
    munmap(p, PROBE_MAP);
    return EXIT_OK;
}

/* ---- roles --------------------------------------------------------------- */

static int cmd_create(char **argv)
{
    const char *name = argv[0];
    long long size, seed;
    if (!parse_num(argv[1], &size) || size < HASH_BYTES || !parse_num(argv[2], &seed))
        return EXIT_USAGE;
    int fd = must_shm_open(name, O_CREAT | O_EXCL | O_RDWR);
    own(name);          /* ours, and incomplete until the end */
    /* ftruncate makes a sparse object of any size; filling one larger than
     * the free space of the file system (tmpfs: RAM) would only end in
     * SIGBUS after eating that space. Refuse it up front. */
    struct statvfs vfs;
    if (fstatvfs(fd, &vfs) != 0)
        fail("fstatvfs", name);
    if ((unsigned long long)size / vfs.f_frsize >= vfs.f_bavail) {
        errno = ENOSPC;
        fail("ftruncate", name);
    }
    if (ftruncate(fd, (off_t)size) != 0)
        fail("ftruncate", name);
    struct window w = map_window(fd, name, 0, size, PROT_READ | PROT_WRITE);
    size_t n = (size_t)size - HASH_BYTES;
    for (size_t j = 0; j < n; j++)
        w.at[j] = pattern((uint64_t)seed, j);
    uint64_t sum = fnv1a(w.at, n);
    put_le64(w.at + n, sum);
    must_unmap(&w, name);
    must_close(fd, name);
    disown();
    printf("created size=%lld sum=%016llx\n", size, (unsigned long long)sum);
    return EXIT_OK;
}

static int cmd_verify(char **argv)
{
    const char *name = argv[0];
    long long size, seed;
    if (!parse_num(argv[1], &size) || size < HASH_BYTES || !parse_num(argv[2], &seed))
        return EXIT_USAGE;
    int fd = must_shm_open(name, O_RDONLY);
    long long actual = must_size(fd, name);
    if (actual != size) {
        fprintf(stderr, "shmpeer: verify %s: size is %lld, expected %lld\n", name,
                actual, size);
        return EXIT_VERIFY;
    }
    struct window w = map_window(fd, name, 0, size, PROT_READ);
    must_close(fd, name);
    const unsigned char *p = w.at;
    size_t n = (size_t)size - HASH_BYTES;
    for (size_t j = 0; j < n; j++) {
        unsigned char want = pattern((uint64_t)seed, j);
        if (p[j] != want) {
            fprintf(stderr, "shmpeer: verify %s: first bad offset %zu: expected 0x%02x"
                    " got 0x%02x\n", name, j, want, p[j]);
            return EXIT_VERIFY;
        }
    }
    uint64_t sum = fnv1a(p, n);
    uint64_t stored = get_le64(p + n);
    if (stored != sum) {
        unsigned char want[HASH_BYTES];
        put_le64(want, sum);
        size_t k = 0;
        while (p[n + k] == want[k])
            k++;
        fprintf(stderr, "shmpeer: verify %s: first bad offset %zu (stored hash"
                " %016llx, computed %016llx)\n", name, n + k,
                (unsigned long long)stored, (unsigned long long)sum);
        return EXIT_VERIFY;
    }
    must_unmap(&w, name);
    printf("verified size=%lld sum=%016llx\n", size, (unsigned long long)sum);
    return EXIT_OK;
}

static int cmd_read(char **argv)
{
    const char *name = argv[0];
    long long off, len;
    if (!parse_count(argv[1], &off) || !parse_count(argv[2], &len))
        return EXIT_USAGE;
    int fd = must_shm_open(name, O_RDONLY);
    check_range(name, must_size(fd, name), off, len);
    char *hex = (char *)alloc_buf((size_t)len * 2 + 1, "hex");
    hex[0] = '\0';
    if (len > 0) {
        static const char digits[] = "0123456789abcdef";
        struct window w = map_window(fd, name, off, len, PROT_READ);
        for (long long i = 0; i < len; i++) {
            hex[2 * i] = digits[w.at[i] >> 4];
            hex[2 * i + 1] = digits[w.at[i] & 0xf];
        }
        hex[2 * len] = '\0';
        must_unmap(&w, name);
    }
    must_close(fd, name);
    printf("bytes=%s\n", hex);
    free(hex);
    return EXIT_OK;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int cmd_write(char **argv)
{
    const char *name = argv[0], *hex = argv[2];
    long long off;
    if (!parse_count(argv[1], &off))
        return EXIT_USAGE;
    size_t hexlen = strlen(hex);
    if (hexlen % 2 != 0)
        return EXIT_USAGE;
    long long len = (long long)(hexlen / 2);
    unsigned char *buf = alloc_buf((size_t)len, "bytes");
    for (long long i = 0; i < len; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(buf);
            return EXIT_USAGE;
        }
        buf[i] = (unsigned char)(hi << 4 | lo);
    }
    int fd = must_shm_open(name, O_RDWR);
    check_range(name, must_size(fd, name), off, len);
    if (len > 0) {
        struct window w = map_window(fd, name, off, len, PROT_READ | PROT_WRITE);
        memcpy(w.at, buf, (size_t)len);
        must_unmap(&w, name);
    }
    must_close(fd, name);
    free(buf);
    printf("written\n");
    return EXIT_OK;
}

static int cmd_watch(char **argv)
{
    const char *name = argv[0];
    long long off, value, ms;
    if (!parse_count(argv[1], &off) || !parse_count(argv[2], &value) || value > 0xff ||
        !parse_count(argv[3], &ms))
        return EXIT_USAGE;
    int fd = must_shm_open(name, O_RDONLY);
    check_range(name, must_size(fd, name), off, 1);
    struct window w = map_window(fd, name, off, 1, PROT_READ);
    must_close(fd, name);
    const volatile unsigned char *byte = w.at;
    int64_t give_up = mono_deadline(ms);
    printf("watching\n");
    fflush(stdout);
    while (*byte != (unsigned char)value) {
        if (mono_passed(give_up)) {
            fprintf(stderr, "shmpeer: watch %s: byte %lld is 0x%02x, not 0x%02llx,"
                    " after %lld ms\n", name, off, *byte, value, ms);
            return EXIT_TIMEOUT;
        }
        sched_yield();
    }
    must_unmap(&w, name);
    printf("seen\n");
    return EXIT_OK;
}

static int cmd_size(char **argv)
{
    const char *name = argv[0];
    int fd = must_shm_open(name, O_RDONLY);
    long long size = must_size(fd, name);
    must_close(fd, name);
    printf("size=%lld\n", size);
    return EXIT_OK;
}

/* ---- C reference loops for the benchmarks -------------------------------- */

static int cmd_bench_memcpy(char **argv)
{
    long long size, n;
    if (!parse_n(argv[0], &size) || !parse_n(argv[1], &n))
        return EXIT_USAGE;
    unsigned char *dst = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (dst == MAP_FAILED)
        fail("mmap", "anonymous");
    unsigned char *src = alloc_buf((size_t)size, "source");
    for (long long j = 0; j < size; j++)     /* touch both: no page faults inside */
        src[j] = pattern(1, (uint64_t)j);
    memset(dst, 0, (size_t)size);
    unsigned sink = 0;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        memcpy(dst, src, (size_t)size);
        /* The copy must really happen: the compiler has to assume the asm
         * reads all memory, and one byte is read back through volatile. */
        __asm__ __volatile__("" : : "r"(dst), "r"(src) : "memory");
        sink += ((volatile unsigned char *)dst)[i % size];
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    if (sink != 0 && dst[0] != src[0])         /* uses sink; never true */
        return EXIT_VERIFY;
    double ns = (double)(t1 - t0) / (double)n;
    /* bytes per ns = GB/s (10^9 bytes per second) */
    printf("ns_per_op=%.2f gbps=%.2f\n", ns, (double)size / ns);
    free(src);
    munmap(dst, (size_t)size);
    return EXIT_OK;
}

static int cmd_bench_shmopen(char **argv)
{
    long long n;
    if (!parse_n(argv[0], &n))
        return EXIT_USAGE;
    static char name[NAME_BUF];
    char suffix[32];
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        snprintf(suffix, sizeof suffix, "%lld", i);
        join_name(name, NAME_BUF, argv[1], suffix, "object");
        int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
        if (fd < 0)
            fail("shm_open", name);     /* not ours (EEXIST): never unlinked */
        own(name);
        if (close(fd) != 0)
            fail("close", name);
        if (shm_unlink(name) != 0)
            fail("shm_unlink", name);
        disown();
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

static int cmd_bench_mmap(char **argv)
{
    long long n, size;
    if (!parse_n(argv[0], &n) || !parse_n(argv[1], &size))
        return EXIT_USAGE;
    static char name[NAME_BUF];
    join_name(name, NAME_BUF, argv[2], "m", "object");
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0)
        fail("shm_open", name);         /* not ours (EEXIST): never unlinked */
    own(name);
    if (ftruncate(fd, (off_t)size) != 0)
        fail("ftruncate", name);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            fail("mmap", name);
        if (munmap(p, (size_t)size) != 0)
            fail("munmap", name);
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    must_close(fd, name);
    if (shm_unlink(name) != 0)
        fail("shm_unlink", name);
    disown();
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct command commands[] = {
    { "open", 3, cmd_open, "NAME OFLAG MODE" },
    { "unlink", 1, cmd_unlink, "NAME" },
    { "mmap", 6, cmd_mmap, "NAME OFLAG OFF LEN PROT FLAGS" },
    { "mmap-closed", 5, cmd_mmap_closed, "NAME OFF LEN PROT FLAGS" },
    { "mprotect", 2, cmd_mprotect, "NAME PROT" },
    { "create", 3, cmd_create, "NAME SIZE(>=8) SEED" },
    { "verify", 3, cmd_verify, "NAME SIZE(>=8) SEED" },
    { "read", 3, cmd_read, "NAME OFF LEN" },
    { "write", 3, cmd_write, "NAME OFF HEX" },
    { "watch", 4, cmd_watch, "NAME OFF VALUE MS" },
    { "size", 1, cmd_size, "NAME" },
    { "bench-memcpy", 2, cmd_bench_memcpy, "SIZE N" },
    { "bench-shmopen", 2, cmd_bench_shmopen, "N PREFIX" },
    { "bench-mmap", 3, cmd_bench_mmap, "N SIZE PREFIX" },
};

int main(int argc, char **argv)
{
    return peer_main(argc, argv, commands, COUNT_OF(commands), install_handlers);
}
