/* tt_hostile DIR: syscalls with bad pointers, unterminated and huge paths,
 * symlink loops, bad fds, bad socket addresses, an i386 syscall. None may
 * hurt the tracer; each fails here exactly as untraced. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	printf("%s %ld %d\n", what, r, r < 0 ? errno : 0);
}

int main(int argc, char **argv)
{
	if (argc != 2 || chdir(argv[1]) < 0)
		return 2;
	show("loop", syscall(SYS_open, "loop1", O_RDONLY));
	show("open-ptr1", syscall(SYS_open, (char *)1, O_RDONLY));
	show("open-null", syscall(SYS_open, NULL, O_RDONLY));
	/* a path that runs into an unmapped page without a NUL */
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	munmap(m + 4096, 4096);
	memset(m, 'a', 4096);
	show("open-unterminated", syscall(SYS_open, m, O_RDONLY));
	/* a path ending exactly at the end of the page */
	memset(m, '/', 4096);
	m[4095] = 0;
	show("open-pathmax", syscall(SYS_open, m, O_RDONLY));
	memcpy(m + 4090, "/etc", 5);
	show("stat-page-end", syscall(SYS_newfstatat, AT_FDCWD, m + 4090, m + 8192 - 4096 - 200, 0));
	char big[PATH_MAX + 100];
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	show("open-huge", syscall(SYS_open, big, O_RDONLY));
	for (size_t i = 0; i + 3 < sizeof(big) - 1; i += 3)
		memcpy(big + i, "../", 3);
	big[PATH_MAX - 10] = 0;
	show("chdir-dotdot", syscall(SYS_chdir, big));
	show("readlinkat-badfd", syscall(SYS_readlinkat, 9999, "x", m, 10));
	show("openat2-badhow", syscall(SYS_openat2, AT_FDCWD, "x", (void *)8, sizeof(struct open_how)));
	show("execve-bad", syscall(SYS_execve, (char *)16, NULL, NULL));
	show("execve-badargv", syscall(SYS_execve, "/nonexistent/x", (char **)8, NULL));
	int s = socket(AF_INET, SOCK_STREAM, 0);
	show("bind-bad", syscall(SYS_bind, s, (void *)1, 16));
	struct sockaddr_in a = { .sin_family = AF_INET };
	show("connect-long", syscall(SYS_connect, s, &a, 100000));
	show("rename-bad", syscall(SYS_rename, "nothere", (char *)3));
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");   /* i386 getpid */
	printf("i386 %d\n", r > 0);
	return 0;
}
