/* For fuzz targets whose reader takes a path: the input as a memfd, named
 * by its /proc/self/fd path (no temporary files). */
#ifndef QUENCH_FUZZ_MEMFD_H
#define QUENCH_FUZZ_MEMFD_H

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* The fd (close it), or -1; path receives its name. */
static inline int fuzz_memfd(const unsigned char *data, size_t size, char path[64])
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
