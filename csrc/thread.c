/* thread.c - thread identity, thread-specific data and pthread_once: gettid(2),
 * pthread_self(3), pthread_key_create(3), pthread_once(3), and a pool of __thread
 * variables. Each shim makes one libc call and returns >= 0 or -errno (see
 * include/libcipc.h). */
#include "../include/libcipc.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

pid_t libcipc_gettid(void)
{
	return gettid();
}

pid_t libcipc_getpid(void)
{
	return getpid();
}

pid_t libcipc_getppid(void)
{
	return getppid();
}

uint64_t libcipc_pthread_self(void)
{
	return (uint64_t)pthread_self();
}

/* ---- keys ------------------------------------------------------------------ */

typedef void (*dtor_fn)(void *);

static int find_dtor(const char *name, dtor_fn *out)
{
	*out = NULL;
	if (name == NULL || name[0] == '\0')
		return 0;
	void *f = dlsym(RTLD_DEFAULT, name);
	if (f == NULL)
		return -ENOENT;
	*out = (dtor_fn)f;
	return 0;
}

int libcipc_key_create_c(const char *dtor, unsigned *key)
{
	dtor_fn f;
	int rc = find_dtor(dtor, &f);
	if (rc != 0)
		return rc;
	pthread_key_t k;
	rc = pthread_key_create(&k, f);
	if (rc != 0)
		return -rc;
	*key = (unsigned)k;
	return 0;
}

int libcipc_call_dtor(const char *dtor, uintptr_t value)
{
	dtor_fn f;
	int rc = find_dtor(dtor, &f);
	if (rc != 0)
		return rc;
	if (f != NULL)
		f((void *)value);
	return 0;
}

int libcipc_dtor_fd = -1;
uint32_t libcipc_dtor_gen[LIBCIPC_GO_DTORS];

/* A Go destructor cannot be called from the exiting thread (calling into Go
 * from a pthread key destructor on a Go-created thread that is exiting crashed
 * the runtime in DESIGN.md's experiment): the record goes to a pipe that a
 * goroutine reads. write(2) of 16 bytes to a pipe is atomic. */
static void go_dtor(uint32_t slot, void *value)
{
	libcipc_dtor_rec r = {
		.slot = slot,
		.gen = __atomic_load_n(&libcipc_dtor_gen[slot], __ATOMIC_SEQ_CST),
		.value = (uint64_t)(uintptr_t)value,
	};
	int fd = __atomic_load_n(&libcipc_dtor_fd, __ATOMIC_SEQ_CST);
	if (fd < 0)
		return;
	ssize_t n;
	do
		n = write(fd, &r, sizeof r);
	while (n < 0 && errno == EINTR);
}

#define DTOR(n) static void go_dtor_##n(void *v) { go_dtor(n, v); }
#define DTOR8(n) DTOR(n##0) DTOR(n##1) DTOR(n##2) DTOR(n##3) DTOR(n##4) DTOR(n##5) DTOR(n##6) DTOR(n##7)
DTOR8(0) DTOR8(1) DTOR8(2) DTOR8(3) DTOR8(4) DTOR8(5) DTOR8(6) DTOR8(7)
#define REF(n) go_dtor_##n,
#define REF8(n) REF(n##0) REF(n##1) REF(n##2) REF(n##3) REF(n##4) REF(n##5) REF(n##6) REF(n##7)
static const dtor_fn go_dtors[LIBCIPC_GO_DTORS] = {REF8(0) REF8(1) REF8(2) REF8(3) REF8(4) REF8(5) REF8(6) REF8(7)};
_Static_assert(sizeof go_dtors / sizeof go_dtors[0] == LIBCIPC_GO_DTORS, "one trampoline per slot");

int libcipc_key_create_go(int slot, unsigned *key)
{
	if (slot < 0 || slot >= LIBCIPC_GO_DTORS)
		return -EINVAL;
	pthread_key_t k;
	int rc = pthread_key_create(&k, go_dtors[slot]);
	if (rc != 0)
		return -rc;
	*key = (unsigned)k;
	return 0;
}

int libcipc_key_delete(unsigned key)
{
	return -pthread_key_delete((pthread_key_t)key);
}

int libcipc_setspecific(unsigned key, uintptr_t value)
{
	return -pthread_setspecific((pthread_key_t)key, (const void *)value);
}

uintptr_t libcipc_getspecific(unsigned key)
{
	return (uintptr_t)pthread_getspecific((pthread_key_t)key);
}

/* ---- pthread_once ---------------------------------------------------------- */

extern void libcipcOnceCall(uintptr_t arg);

/* pthread_once's routine takes no argument: the handle travels in a __thread
 * variable of the calling thread, which is the thread that runs the routine. */
static __thread uintptr_t once_arg;

static void once_routine(void)
{
	libcipcOnceCall(once_arg);
}

int libcipc_once(pthread_once_t *once, uintptr_t arg)
{
	once_arg = arg;
	return -pthread_once(once, once_routine);
}

libcipc_ptr libcipc_once_new(void)
{
	libcipc_ptr r = {0, 0};
	pthread_once_t *o = malloc(sizeof *o);
	if (o == NULL) {
		r.err = ENOMEM;
		return r;
	}
	*o = (pthread_once_t)PTHREAD_ONCE_INIT;
	r.ptr = o;
	return r;
}

void libcipc_free(void *p)
{
	free(p);
}

/* ---- __thread pool ----------------------------------------------------------- */

static __thread struct {
	uint64_t gen;
	uint64_t value;
} tls[LIBCIPC_TLS_SLOTS];

uint64_t libcipc_tls_get(int slot, uint64_t gen)
{
	return tls[slot].gen == gen ? tls[slot].value : 0;
}

void libcipc_tls_set(int slot, uint64_t gen, uint64_t value)
{
	tls[slot].gen = gen;
	tls[slot].value = value;
}

uint64_t libcipc_tls_add(int slot, uint64_t gen, uint64_t delta)
{
	if (tls[slot].gen != gen) {
		tls[slot].gen = gen;
		tls[slot].value = 0;
	}
	return tls[slot].value += delta;
}

int libcipc_tls_clear(void)
{
	memset(tls, 0, sizeof tls);
	return 0;
}
