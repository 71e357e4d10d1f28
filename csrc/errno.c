/* errno.c - thread-safe error messages: strerror_r(3). */
#include "../include/libcipc.h"

#include <string.h>

int libcipc_strerror(int errnum, char *buf, size_t len)
{
	if (len == 0)
		return 0;
	/* With _GNU_SOURCE this is the GNU strerror_r: it returns a pointer that is
	 * either buf or an immutable static string; never strerror's shared buffer. */
	const char *msg = strerror_r(errnum, buf, len);
	if (msg != buf) {
		size_t n = strlen(msg);
		if (n >= len)
			n = len - 1;
		memcpy(buf, msg, n);
		buf[n] = '\0';
		return (int)n;
	}
	buf[len - 1] = '\0';
	return (int)strlen(buf);
}
