/* A stand-in for busybox in tests/unit/test_harden_debug.c, linked
 * statically: `--list` prints applet names (some that must be skipped), and
 * what it does depends on the name it was copied to: "*-fail" exits 1,
 * "*-empty" lists nothing, "*-noisy" lists more than quench reads, "*-many"
 * more applets than it takes. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	if (argc != 2 || strcmp(argv[1], "--list") || strcmp(argv[0], "busybox"))
		return 2;
	if (strstr(self, "-fail"))
		return 1;
	if (strstr(self, "-empty"))
		return 0;
	if (strstr(self, "-many")) {
		for (int i = 0; i < 5000; i++)
			printf("applet%d\n", i);
		return 0;
	}
	if (strstr(self, "-noisy")) {
		for (int i = 0; i < 300000; i++)
			printf("applet%d\n", i);
		return 0;
	}
	fputs("ls\nsh\n[\n[[\nbusybox\n../etc/passwd\n.hidden\nsh\nwget\r\nvi\n"
	      "a/b\n\n", stdout);
	return 0;
}
