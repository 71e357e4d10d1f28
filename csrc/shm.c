/* shm.c - POSIX shared memory and mappings: shm_overview(7), mmap(2). Each shim
 * makes one libc call and returns >= 0 or -errno (see include/libcipc.h). */
#include "../include/libcipc.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int libcipc_shm_open(const char *name, int oflag, unsigned mode)
{
	int fd = shm_open(name, oflag, (mode_t)mode);
	return fd >= 0 ? fd : -errno;
}

int libcipc_shm_unlink(const char *name)
{
	return shm_unlink(name) == 0 ? 0 : -errno;
}

int libcipc_ftruncate(int fd, int64_t length)
{
	return ftruncate(fd, (off_t)length) == 0 ? 0 : -errno;
}

int libcipc_close(int fd)
{
	return close(fd) == 0 ? 0 : -errno;
}

libcipc_ptr libcipc_mmap(size_t length, int prot, int flags, int fd, int64_t offset)
{
	libcipc_ptr r = {0, 0};
	void *p = mmap(NULL, length, prot, flags, fd, (off_t)offset);
	if (p == MAP_FAILED)
		r.err = errno;
	else
		r.ptr = p;
	return r;
}

int libcipc_munmap(void *addr, size_t length)
{
	return munmap(addr, length) == 0 ? 0 : -errno;
}

int libcipc_fstat(int fd, int64_t out[4])
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	out[0] = (int64_t)st.st_size;
	out[1] = (int64_t)st.st_mode;
	out[2] = (int64_t)st.st_uid;
	out[3] = (int64_t)st.st_gid;
	return 0;
}

int libcipc_msync(void *addr, size_t length, int flags)
{
	return msync(addr, length, flags) == 0 ? 0 : -errno;
}

int libcipc_mprotect(void *addr, size_t length, int prot)
{
	return mprotect(addr, length, prot) == 0 ? 0 : -errno;
}

int libcipc_madvise(void *addr, size_t length, int advice)
{
	return madvise(addr, length, advice) == 0 ? 0 : -errno;
}

libcipc_ptr libcipc_mremap(void *addr, size_t old_length, size_t new_length, int flags)
{
	libcipc_ptr r = {0, 0};
	/* mremap is variadic: pass the new-address argument explicitly (the Go
	 * side allows only 0 and MREMAP_MAYMOVE, which do not read it). */
	void *p = mremap(addr, old_length, new_length, flags, (void *)0);
	if (p == MAP_FAILED)
		r.err = errno;
	else
		r.ptr = p;
	return r;
}

int libcipc_mlock(const void *addr, size_t length)
{
	return mlock(addr, length) == 0 ? 0 : -errno;
}

int libcipc_munlock(const void *addr, size_t length)
{
	return munlock(addr, length) == 0 ? 0 : -errno;
}

int libcipc_mincore(void *addr, size_t length, unsigned char *vec)
{
	return mincore(addr, length, vec) == 0 ? 0 : -errno;
}

int libcipc_sysconf(int name, long *value)
{
	errno = 0;
	long v = sysconf(name);
	if (v == -1 && errno != 0)
		return -errno;
	*value = v;
	return 0;
}

void libcipc_mallinfo(uint64_t out[10])
{
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
	struct mallinfo2 m = mallinfo2();
#define W(x) ((uint64_t)(x))
#else
	struct mallinfo m = mallinfo(); /* int fields: widen without sign */
#define W(x) ((uint64_t)(unsigned int)(x))
#endif
	out[0] = W(m.arena);
	out[1] = W(m.ordblks);
	out[2] = W(m.smblks);
	out[3] = W(m.hblks);
	out[4] = W(m.hblkhd);
	out[5] = W(m.usmblks);
	out[6] = W(m.fsmblks);
	out[7] = W(m.uordblks);
	out[8] = W(m.fordblks);
	out[9] = W(m.keepcost);
#undef W
}

int libcipc_malloc_trim(size_t pad)
{
	return malloc_trim(pad);
}

int libcipc_mallopt(int param, int value)
{
	return mallopt(param, value);
}
