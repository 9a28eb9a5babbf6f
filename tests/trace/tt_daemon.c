/* tt_daemon FILE: the classic daemon: fork, setsid, fork again; the
 * grandchild, reparented once its parents are gone, writes FILE later. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);   /* parent and grandparent are gone by now */
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			char msg[64];
			int n = snprintf(msg, sizeof(msg), "daemon ppid-is-not-grandparent=%d\n",
					 getppid() != pid);
			(void)!write(fd, msg, (size_t)n);
			close(fd);
		}
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("parent done %d\n", WEXITSTATUS(st));
	return 0;
}
