/* tt_dlopen LIB SYMBOL: load a library the program is not linked with. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		printf("dlopen failed\n");
		return 1;
	}
	printf("%s %s\n", argv[2], dlsym(h, argv[2]) ? "found" : "missing");
	return 0;
}
