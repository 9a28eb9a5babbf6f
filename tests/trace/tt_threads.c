/* tt_threads DIR N: N threads each create, write and read back DIR/tK. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *dir;

static void *work(void *arg)
{
	char path[4096], buf[32];
	snprintf(path, sizeof(path), "%s/t%ld", dir, (long)(intptr_t)arg);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) < 0)
		return (void *)1;
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) != 1 || close(fd) < 0)
		return (void *)1;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	dir = argv[1];
	long n = atol(argv[2]);
	pthread_t th[64];
	if (n < 1 || n > 64)
		return 2;
	for (long i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, work, (void *)(intptr_t)i))
			return 1;
	int bad = 0;
	for (long i = 0; i < n; i++) {
		void *r;
		pthread_join(th[i], &r);
		bad += r != NULL;
	}
	printf("threads %ld bad %d\n", n, bad);
	return 3;
}
