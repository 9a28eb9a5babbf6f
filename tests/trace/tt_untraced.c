/* tt_untraced FILE: a child made with clone(CLONE_UNTRACED) opens FILE;
 * the tracer must still follow it (and it must not fail with ENOSYS). */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	fflush(stdout);
	long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		int fd = open(argv[1], O_RDONLY);
		_exit(fd >= 0 ? 0 : 9);
	}
	int st;
	if (pid < 0 || waitpid((pid_t)pid, &st, 0) != pid)
		return 1;
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
