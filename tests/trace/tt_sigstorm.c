/* Lookups under a storm of signals whose handler has no SA_RESTART: a
 * stat, access, readlink or read-only open of a file never fails with
 * EINTR (they do not sleep interruptibly), traced or not. The tracer's
 * lookup channel makes the caller wait for it; a signal in that wait must
 * not become an EINTR (docs/tracer.md, "Two channels").
 * Prints "lookups 20000 eintr 0 signals>0 yes". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t n_signals;

static void on_alarm(int sig)
{
	(void)sig;
	n_signals++;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;   /* no SA_RESTART: an interrupted call says EINTR */
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 200 }, { 0, 200 } };   /* every 200 µs */
	setitimer(ITIMER_REAL, &it, NULL);
	long eintr = 0, n = 0;
	char buf[64];
	struct stat st;
	for (int i = 0; i < 4000; i++, n += 5) {
		if (stat("/etc/passwd", &st) < 0 && errno == EINTR)
			eintr++;
		if (access("/etc", F_OK) < 0 && errno == EINTR)
			eintr++;
		if (faccessat(AT_FDCWD, "/etc/passwd", F_OK, AT_EACCESS) < 0 && errno == EINTR)
			eintr++;   /* glibc: faccessat2 */
		if (readlink("/proc/self/exe", buf, sizeof(buf)) < 0 && errno == EINTR)
			eintr++;
		int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
		if (fd < 0 && errno == EINTR)
			eintr++;
		if (fd >= 0)
			close(fd);
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	printf("lookups %ld eintr %ld signals>0 %s\n", n, eintr, n_signals > 0 ? "yes" : "no");
	return 0;
}
