/* tt_mtexec PROG ARG…: a second thread execs PROG while the first waits:
 * the kernel moves the execing thread to the leader's tid. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static char **args;

static void *run(void *unused)
{
	(void)unused;
	execv(args[0], args);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	args = argv + 1;
	pthread_t th;
	if (pthread_create(&th, NULL, run, NULL))
		return 1;
	for (;;)
		pause();
}
