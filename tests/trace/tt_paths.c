/* tt_paths DIR: relative paths after chdir, a symlink chain, an absolute
 * symlink, openat with a dirfd, /proc/self/fd, a missing probe, writes.
 * DIR holds (made by the test): a/real, a/l2 -> real, l1 -> a/l2,
 * abs -> DIR/a, sub/. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int ok(int r, const char *what)
{
	printf("%s %s\n", what, r >= 0 ? "ok" : "failed");
	return r;
}

int main(int argc, char **argv)
{
	char p[PATH_MAX], buf[64];
	struct stat st;
	if (argc != 2 || chdir(argv[1]) < 0 || chdir("sub") < 0)
		return 2;
	int fd = ok(open("../l1", O_RDONLY), "chain");
	close(fd);
	int dfd = ok(open("../a", O_RDONLY | O_DIRECTORY), "dirfd");
	fd = ok(openat(dfd, "real", O_RDONLY), "openat");
	close(fd);
	ok(fstatat(dfd, "nothere", &st, 0) == 0 ? 0 : -1, "fstatat-missing");
	ok(stat("probe.conf", &st), "probe");
	snprintf(p, sizeof(p), "/proc/self/fd/%d/real", dfd);
	fd = ok(open(p, O_RDONLY), "procfd");
	close(fd);
	snprintf(p, sizeof(p), "%s/abs/real", argv[1]);
	fd = ok(open(p, O_RDONLY), "abslink");
	close(fd);
	ok((int)readlink("../l1", buf, sizeof(buf)), "readlink");
	ok(mkdir("newdir", 0755), "mkdir");
	ok(rename("newdir", "newdir2"), "rename");
	ok(rmdir("newdir2"), "rmdir");
	ok(access("../a/l2", R_OK), "access");
	ok(faccessat(dfd, "real/", R_OK, 0), "notdir");
	return 0;
}
