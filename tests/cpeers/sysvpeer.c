/*
 * sysvpeer: a plain C user of glibc's System V IPC (semget/semop/semctl,
 * msgget/msgsnd/msgrcv/msgctl, shmget/shmat/shmdt/shmctl, ftok), run by the
 * libcipc Go tests as a separate process. Command lines, output lines and exit
 * codes are specified in tests/cpeers/PROTOCOL.md (## sysvpeer).
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -pthread -o sysvpeer sysvpeer.c -lrt
 */
#define _GNU_SOURCE
#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#define PEER_NAME "sysvpeer"
#include "peer.h"

#define HOLD_MS 60000LL /* the hold roles wait this long to be killed */

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

/* struct msgbuf with room for the largest message the peer handles. */
#define MSG_MAX 65536
struct msg {
    long mtype;
    char mtext[MSG_MAX];
};
static struct msg msgbuf;

static bool parse_int(const char *s, int *out)
{
    long long v;
    if (!parse_num(s, &v) || v < INT32_MIN || v > INT32_MAX)
        return false;
    *out = (int)v;
    return true;
}

/* SIGALRM without SA_RESTART: bounds the blocking msgrcv/msgsnd of the
 * roles (they are never restarted anyway). */
static volatile sig_atomic_t alarmed;
static void on_alarm(int sig)
{
    (void)sig;
    alarmed = 1;
}

static void arm_alarm(long long ms)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm((unsigned)((ms + 999) / 1000));
}

/* ---- errno probes: one libc call each, always exit 0 --------------------- */

static int cmd_semget(char **argv)
{
    int key, nsems, flags;
    if (!parse_int(argv[0], &key) || !parse_int(argv[1], &nsems) || !parse_int(argv[2], &flags))
        return EXIT_USAGE;
    int id = semget((key_t)key, nsems, flags);
    print_probe_x(id < 0 ? -1 : 0, id < 0 ? errno : 0, "id=%d", id);
    return EXIT_OK;
}

static int cmd_msgget(char **argv)
{
    int key, flags;
    if (!parse_int(argv[0], &key) || !parse_int(argv[1], &flags))
        return EXIT_USAGE;
    int id = msgget((key_t)key, flags);
    print_probe_x(id < 0 ? -1 : 0, id < 0 ? errno : 0, "id=%d", id);
    return EXIT_OK;
}

static int cmd_shmget(char **argv)
{
    int key, flags;
    long long size;
    if (!parse_int(argv[0], &key) || !parse_num(argv[1], &size) || !parse_int(argv[2], &flags))
        return EXIT_USAGE;
    int id = shmget((key_t)key, (size_t)size, flags);
    print_probe_x(id < 0 ? -1 : 0, id < 0 ? errno : 0, "id=%d", id);
    return EXIT_OK;
}

static int cmd_semop(char **argv)
{
    int id, num, op, flg;
    if (!parse_int(argv[0], &id) || !parse_int(argv[1], &num) || !parse_int(argv[2], &op) ||
        !parse_int(argv[3], &flg))
        return EXIT_USAGE;
    struct sembuf sb = {.sem_num = (unsigned short)num, .sem_op = (short)op, .sem_flg = (short)flg};
    int rc = semop(id, &sb, 1);
    print_probe(rc, rc < 0 ? errno : 0);
    return EXIT_OK;
}

/* semop with N copies of {0, 0, IPC_NOWAIT} (E2BIG beyond SEMOPM). */
static int cmd_semop_n(char **argv)
{
    int id, n;
    if (!parse_int(argv[0], &id) || !parse_int(argv[1], &n) || n < 0 || n > 100000)
        return EXIT_USAGE;
    struct sembuf *ops = calloc((size_t)n + 1, sizeof *ops);
    if (ops == NULL)
        fail("calloc", "ops");
    for (int i = 0; i < n; i++)
        ops[i].sem_flg = IPC_NOWAIT;
    int rc = semop(id, ops, (size_t)n);
    print_probe(rc, rc < 0 ? errno : 0);
    free(ops);
    return EXIT_OK;
}

static int cmd_semctl(char **argv)
{
    int id, num, cmd, val;
    if (!parse_int(argv[0], &id) || !parse_int(argv[1], &num) || !parse_int(argv[2], &cmd) ||
        !parse_int(argv[3], &val))
        return EXIT_USAGE;
    union semun arg = {.val = val};
    int rc = semctl(id, num, cmd, arg);
    print_probe(rc, rc < 0 ? errno : 0);
    return EXIT_OK;
}

static int cmd_msgsnd(char **argv)
{
    int id, flags;
    long long mtype, size;
    if (!parse_int(argv[0], &id) || !parse_num(argv[1], &mtype) || !parse_count(argv[2], &size) ||
        size > MSG_MAX || !parse_int(argv[3], &flags))
        return EXIT_USAGE;
    msgbuf.mtype = (long)mtype;
    for (long long j = 0; j < size; j++)
        msgbuf.mtext[j] = (char)('a' + j % 26);
    int rc = msgsnd(id, &msgbuf, (size_t)size, flags);
    print_probe(rc, rc < 0 ? errno : 0);
    return EXIT_OK;
}

static int cmd_msgrcv(char **argv)
{
    int id, flags;
    long long size, msgtyp;
    if (!parse_int(argv[0], &id) || !parse_count(argv[1], &size) || size > MSG_MAX ||
        !parse_num(argv[2], &msgtyp) || !parse_int(argv[3], &flags))
        return EXIT_USAGE;
    msgbuf.mtype = 0;
    ssize_t n = msgrcv(id, &msgbuf, (size_t)size, (long)msgtyp, flags);
    int err = n < 0 ? errno : 0;
    print_probe_x(n < 0 ? -1 : 0, err, "len=%zd mtype=%ld", n < 0 ? (ssize_t)0 : n,
                  n < 0 ? 0L : msgbuf.mtype);
    return EXIT_OK;
}

static int cmd_shmat(char **argv)
{
    int id, flags;
    if (!parse_int(argv[0], &id) || !parse_int(argv[1], &flags))
        return EXIT_USAGE;
    void *p = shmat(id, NULL, flags);
    if (p == (void *)-1) {
        print_probe(-1, errno);
        return EXIT_OK;
    }
    print_probe(0, 0);
    shmdt(p);
    return EXIT_OK;
}

static int cmd_ftok(char **argv)
{
    int id;
    if (!parse_int(argv[1], &id))
        return EXIT_USAGE;
    errno = 0;
    key_t k = ftok(argv[0], id);
    int err = k == (key_t)-1 ? errno : 0;
    print_probe_x(err ? -1 : 0, err, "key=%d", (int)k);
    return EXIT_OK;
}

/* Blocking waits that report, as probes, how they ended (EIDRM when the
 * object is removed under them). */
static int cmd_semwait(char **argv)
{
    int id, num;
    long long ms;
    if (!parse_int(argv[0], &id) || !parse_int(argv[1], &num) || !parse_count(argv[2], &ms))
        return EXIT_USAGE;
    struct sembuf sb = {.sem_num = (unsigned short)num, .sem_op = -1, .sem_flg = 0};
    struct timespec rel = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    printf("waiting\n");
    fflush(stdout);
    int rc = semtimedop(id, &sb, 1, &rel);
    print_probe(rc, rc < 0 ? errno : 0);
    return EXIT_OK;
}

static int cmd_msgwait(char **argv)
{
    int id;
    long long msgtyp, ms;
    if (!parse_int(argv[0], &id) || !parse_num(argv[1], &msgtyp) || !parse_count(argv[2], &ms))
        return EXIT_USAGE;
    arm_alarm(ms);
    printf("waiting\n");
    fflush(stdout);
    ssize_t n = msgrcv(id, &msgbuf, MSG_MAX, (long)msgtyp, 0);
    int err = n < 0 ? errno : 0;
    print_probe_x(n < 0 ? -1 : 0, err, "len=%zd mtype=%ld text=%.*s", n < 0 ? (ssize_t)0 : n,
                  n < 0 ? 0L : msgbuf.mtype, (int)(n < 0 ? 0 : n), msgbuf.mtext);
    return EXIT_OK;
}

/* ---- roles ---------------------------------------------------------------- */

static int cmd_sem_hold(char **argv)
{
    int id, num;
    if (!parse_int(argv[0], &id) || !parse_int(argv[1], &num))
        return EXIT_USAGE;
    struct sembuf sb = {.sem_num = (unsigned short)num, .sem_op = -1, .sem_flg = SEM_UNDO};
    struct timespec rel = {.tv_sec = WAIT_MS / 1000, .tv_nsec = 0};
    if (semtimedop(id, &sb, 1, &rel) != 0)
        fail_wait("semtimedop", argv[0], errno == EAGAIN ? ETIMEDOUT : errno);
    printf("held pid=%d\n", (int)getpid());
    fflush(stdout);
    sleep_ms(HOLD_MS);
    return EXIT_TIMEOUT;
}

static int cmd_sem_post(char **argv)
{
    int id, num;
    if (!parse_int(argv[0], &id) || !parse_int(argv[1], &num))
        return EXIT_USAGE;
    struct sembuf sb = {.sem_num = (unsigned short)num, .sem_op = 1, .sem_flg = 0};
    if (semop(id, &sb, 1) != 0)
        fail("semop", argv[0]);
    printf("posted\n");
    return EXIT_OK;
}

static int cmd_msg_send(char **argv)
{
    int id;
    long long mtype;
    if (!parse_int(argv[0], &id) || !parse_num(argv[1], &mtype))
        return EXIT_USAGE;
    size_t len = strlen(argv[2]);
    if (len > MSG_MAX)
        return EXIT_USAGE;
    msgbuf.mtype = (long)mtype;
    memcpy(msgbuf.mtext, argv[2], len);
    arm_alarm(WAIT_MS);
    if (msgsnd(id, &msgbuf, len, 0) != 0)
        fail("msgsnd", argv[0]);
    printf("sent\n");
    return EXIT_OK;
}

/* SPEC: comma-separated msgtyp values, each optionally followed by 'x'
 * (MSG_EXCEPT); each is one msgrcv with IPC_NOWAIT. */
static int cmd_msg_select(char **argv)
{
    int id;
    if (!parse_int(argv[0], &id))
        return EXIT_USAGE;
    char *spec = strdup(argv[1]), *save = NULL;
    if (spec == NULL)
        fail("strdup", "spec");
    for (char *tok = strtok_r(spec, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        int flags = IPC_NOWAIT;
        size_t tl = strlen(tok);
        if (tl > 0 && tok[tl - 1] == 'x') {
            flags |= MSG_EXCEPT;
            tok[tl - 1] = '\0';
        }
        long long msgtyp;
        if (!parse_num(tok, &msgtyp))
            return EXIT_USAGE;
        ssize_t n = msgrcv(id, &msgbuf, MSG_MAX, (long)msgtyp, flags);
        if (n < 0)
            printf("%s%s -> %s\n", tok, flags & MSG_EXCEPT ? "x" : "", ename(errno));
        else
            printf("%s%s -> %ld %.*s\n", tok, flags & MSG_EXCEPT ? "x" : "", msgbuf.mtype, (int)n,
                   msgbuf.mtext);
    }
    free(spec);
    return EXIT_OK;
}

static unsigned char *attach(const char *ids, int flags, void **base)
{
    int id;
    if (!parse_int(ids, &id))
        return NULL;
    void *p = shmat(id, NULL, flags);
    if (p == (void *)-1)
        fail("shmat", ids);
    *base = p;
    return p;
}

static int cmd_shm_read(char **argv)
{
    long long off, len;
    void *base;
    if (!parse_count(argv[1], &off) || !parse_count(argv[2], &len))
        return EXIT_USAGE;
    unsigned char *p = attach(argv[0], SHM_RDONLY, &base);
    if (p == NULL)
        return EXIT_USAGE;
    printf("bytes=");
    for (long long i = 0; i < len; i++)
        printf("%02x", p[off + i]);
    printf("\n");
    shmdt(base);
    return EXIT_OK;
}

static int cmd_shm_write(char **argv)
{
    long long off;
    void *base;
    if (!parse_count(argv[1], &off))
        return EXIT_USAGE;
    const char *hex = argv[2];
    size_t n = strlen(hex) / 2;
    unsigned char *p = attach(argv[0], 0, &base);
    if (p == NULL)
        return EXIT_USAGE;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return EXIT_USAGE;
        p[off + (long long)i] = (unsigned char)v;
    }
    shmdt(base);
    printf("written\n");
    return EXIT_OK;
}

/* sem_post on the POSIX sem_t (pshared) placed at OFF of the segment. */
static int cmd_shm_sempost(char **argv)
{
    long long off;
    void *base;
    if (!parse_count(argv[1], &off))
        return EXIT_USAGE;
    unsigned char *p = attach(argv[0], 0, &base);
    if (p == NULL)
        return EXIT_USAGE;
    if (sem_post((sem_t *)(p + off)) != 0)
        fail("sem_post", argv[0]);
    shmdt(base);
    printf("posted\n");
    return EXIT_OK;
}

static int cmd_shm_hold(char **argv)
{
    void *base;
    unsigned char *p = attach(argv[0], 0, &base);
    if (p == NULL)
        return EXIT_USAGE;
    struct shmid_ds ds;
    if (shmctl(atoi(argv[0]), IPC_STAT, &ds) != 0)
        fail("shmctl", argv[0]);
    printf("attached nattch=%lu\n", (unsigned long)ds.shm_nattch);
    fflush(stdout);
    sleep_ms(HOLD_MS);
    return EXIT_TIMEOUT;
}

/* ---- C reference loops for the benchmarks --------------------------------- */

static int bench_semop(char **argv, short flg)
{
    long long n;
    if (!parse_n(argv[0], &n))
        return EXIT_USAGE;
    int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    if (id < 0)
        fail("semget", "IPC_PRIVATE");
    union semun arg = {.val = 1};
    if (semctl(id, 0, SETVAL, arg) != 0)
        fail("semctl", "SETVAL");
    struct sembuf acquire = {0, -1, flg}, release = {0, 1, flg};
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        if (semop(id, &acquire, 1) != 0)
            fail("semop", "acquire");
        if (semop(id, &release, 1) != 0)
            fail("semop", "release");
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    semctl(id, 0, IPC_RMID);
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

static int cmd_bench_semop(char **argv)
{
    return bench_semop(argv, 0);
}

static int cmd_bench_semop_undo(char **argv)
{
    return bench_semop(argv, SEM_UNDO);
}

static int cmd_bench_msg(char **argv)
{
    long long n, size;
    if (!parse_n(argv[0], &n) || !parse_count(argv[1], &size) || size > MSG_MAX)
        return EXIT_USAGE;
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (id < 0)
        fail("msgget", "IPC_PRIVATE");
    memset(msgbuf.mtext, 'm', (size_t)size);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long long i = 0; i < n; i++) {
        msgbuf.mtype = 1;
        if (msgsnd(id, &msgbuf, (size_t)size, 0) != 0)
            fail("msgsnd", "bench");
        if (msgrcv(id, &msgbuf, (size_t)size, 0, 0) != size)
            fail("msgrcv", "bench");
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    msgctl(id, IPC_RMID, NULL);
    print_ns_per_op(t1 - t0, n);
    return EXIT_OK;
}

static const struct command commands[] = {
    {"semget", 3, cmd_semget, "KEY NSEMS FLAGS"},
    {"msgget", 2, cmd_msgget, "KEY FLAGS"},
    {"shmget", 3, cmd_shmget, "KEY SIZE FLAGS"},
    {"semop", 4, cmd_semop, "ID NUM OP FLG"},
    {"semop-n", 2, cmd_semop_n, "ID NSOPS"},
    {"semctl", 4, cmd_semctl, "ID NUM CMD VAL"},
    {"msgsnd", 4, cmd_msgsnd, "ID MTYPE SIZE FLAGS"},
    {"msgrcv", 4, cmd_msgrcv, "ID SIZE MSGTYP FLAGS"},
    {"shmat", 2, cmd_shmat, "ID FLAGS"},
    {"ftok", 2, cmd_ftok, "PATH ID"},
    {"semwait", 3, cmd_semwait, "ID NUM MS"},
    {"msgwait", 3, cmd_msgwait, "ID MSGTYP MS"},
    {"sem-hold", 2, cmd_sem_hold, "ID NUM"},
    {"sem-post", 2, cmd_sem_post, "ID NUM"},
    {"msg-send", 3, cmd_msg_send, "ID MTYPE TEXT"},
    {"msg-select", 2, cmd_msg_select, "ID SPEC"},
    {"shm-read", 3, cmd_shm_read, "ID OFF LEN"},
    {"shm-write", 3, cmd_shm_write, "ID OFF HEX"},
    {"shm-sempost", 2, cmd_shm_sempost, "ID OFF"},
    {"shm-hold", 1, cmd_shm_hold, "ID"},
    {"bench-semop", 1, cmd_bench_semop, "N"},
    {"bench-semop-undo", 1, cmd_bench_semop_undo, "N"},
    {"bench-msg", 2, cmd_bench_msg, "N SIZE"},
};

int main(int argc, char **argv)
{
    return peer_main(argc, argv, commands, COUNT_OF(commands), NULL);
}
