/* shm.c - POSIX shared memory and mappings: shm_overview(7), mmap(2). Each shim
 * makes one libc call and returns >= 0 or -errno (see include/libcipc.h). */
#include "../include/libcipc.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
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
