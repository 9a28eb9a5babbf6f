/* tt_static: built static, run as /bin/prog inside a pivot_root'ed root
 * (test_pivot_root): a relative open after chdir, an absolute symlink that
 * must resolve inside that root, a missing probe. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	struct stat st;
	int ok = chdir("/data") == 0;
	ok &= open("rel.txt", O_RDONLY) >= 0;
	ok &= open("/data/link", O_RDONLY) >= 0;
	ok &= stat("/missing", &st) < 0;
	printf("static %s\n", ok ? "ok" : "failed");
	return ok ? 5 : 1;
}
