/* quench help [VERB] */
#include "cmd.h"

const struct verb *verb_find(const char *name)
{
	for (const struct verb *v = verbs; v->name; v++)
		if (!strcmp(v->name, name))
			return v;
	return NULL;
}

static void print_overview(FILE *f)
{
	fprintf(f, "usage: quench <verb> [options] ARGS\n\n"
		   "quench hardens container images: inventory, scan, profile, harden, prove.\n\n"
		   "verbs:\n");
	for (const struct verb *v = verbs; v->name; v++)
		if (v->summary)   /* internal verbs have none */
			fprintf(f, "  %-10s %s\n", v->name, v->summary);
	fprintf(f, "\nimages: oci:DIR[:TAG|@DIGEST]  oci-archive:FILE[:TAG]  "
		   "docker-archive:FILE[:REPO:TAG]  rootfs:DIR|FILE.tar\n"
		   "common options: -o FILE  --format table|json  -q  -v  --help\n"
		   "exit codes: 0 ok, 1 findings/policy, 2 usage, 3 runtime error\n"
		   "See 'quench help VERB' and quench(1).\n");
}

int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		print_overview(stdout);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
	}
	const struct verb *v = verb_find(argv[1]);
	if (!v) {
		fprintf(stderr, "quench: help: '%s' is not a verb\n", argv[1]);
		return EXIT_USAGE;
	}
	printf("%s\n%s", v->summary ? v->summary : "(internal)", v->usage);
	printf("\ncommon options: -o FILE  --format table|json  -q  -v  --help\n");
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}
