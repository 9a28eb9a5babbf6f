/* tt_signal: a child killed by a signal, a handled signal, and at last the
 * program killing itself with SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_usr1(int s) { got = s; }

int main(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGKILL);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child signaled %d sig %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	printf("handled %d\n", got == SIGUSR1);
	signal(SIGPIPE, SIG_IGN);
	raise(SIGPIPE);
	printf("ignored\n");
	fflush(stdout);
	raise(SIGTERM);
	return 0;
}
