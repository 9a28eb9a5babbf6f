/* tt_vfork PROG ARG…: vfork, exec PROG in the child, report its status. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0) {
		execv(argv[1], argv + 1);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	printf("vfork child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 4;
}
