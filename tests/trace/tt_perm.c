/* tt_perm DIR: results the tracer must not guess from the tree alone.
 * As root it first becomes nobody, so permissions apply. DIR holds (made
 * by the test): pub (0644), secret (0000), plain (0644), closed/ (0000)
 * with closed/inner, w/ (0777). Prints one line per call. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(const char *what, int r)
{
	printf("%s %s\n", what, r >= 0 ? "ok" : strerror(errno));
}

int main(int argc, char **argv)
{
	struct stat st;
	char buf[64];
	if (argc != 2 || chdir(argv[1]) < 0)
		return 2;
	if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
		return 3;
	int fd = open("pub", O_RDONLY);
	say("pub", fd);
	close(fd);
	for (int i = 0; i < 50; i++)   /* one stop each */
		if (stat("pub", &st) < 0)
			return 4;
	fd = open("secret", O_RDONLY);
	say("secret", fd);
	say("closed-inner", stat("closed/inner", &st));
	say("closed-missing", stat("closed/nothere", &st));
	say("readlink-plain", (int)readlink("plain", buf, sizeof(buf)));
	/* created, then stat'ed; removed, then stat'ed */
	fd = open("w/new", O_WRONLY | O_CREAT | O_EXCL, 0644);
	say("create", fd);
	close(fd);
	say("stat-new", stat("w/new", &st));
	say("unlink", unlink("w/new"));
	say("stat-gone", stat("w/new", &st));
	/* a directory searched, then closed to everyone through its fd */
	say("mkdir", mkdir("w/d", 0755));
	say("d-missing", stat("w/d/x", &st));
	int dfd = open("w/d", O_RDONLY | O_DIRECTORY);
	say("fchmod", fchmod(dfd, 0600));
	say("d-closed", stat("w/d/y", &st));
	fchmod(dfd, 0755);
	close(dfd);
	say("rmdir", rmdir("w/d"));   /* as it was: the test runs this twice */
	return 0;
}
