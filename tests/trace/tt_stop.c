/* tt_stop: a child stops itself (SIGSTOP); its parent must see it stopped,
 * continue it, see it continued, then see it exit. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int p[2];
	if (pipe(p) < 0)
		return 1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		raise(SIGSTOP);
		/* not gone before the parent saw it continued */
		_exit(read(p[0], &c, 1) == 1 ? 7 : 8);
	}
	int st;
	if (waitpid(pid, &st, WUNTRACED) != pid)
		return 1;
	printf("stopped %d sig %d\n", WIFSTOPPED(st), WIFSTOPPED(st) ? WSTOPSIG(st) : 0);
	kill(pid, SIGCONT);
	if (waitpid(pid, &st, WCONTINUED) != pid)
		return 1;
	printf("continued %d\n", WIFCONTINUED(st));
	if (write(p[1], "x", 1) != 1)
		return 1;
	if (waitpid(pid, &st, 0) != pid)
		return 1;
	printf("exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
