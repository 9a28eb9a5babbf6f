/* quench cache [list | prune [--all | --older-than DAYS] | dir] */
#include "cmd.h"

#include <jansson.h>

enum { OPT_ALL = 256, OPT_OLDER };

static int cache_ls(const struct common_opts *co, const char *dir)
{
	struct qerr err = QERR_INIT;
	struct cache_entry *list;
	size_t n;
	if (cache_list(dir, &list, &n, &err) < 0)
		return fail("cache", &err);
	struct output out;
	if (out_open(&out, co->output, &err) < 0) {
		cache_list_free(list, n);
		return fail("cache", &err);
	}
	json_t *a = json_array();
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		total += list[i].bytes;
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I, s:I, s:b}", "kind",
						   list[i].kind, "name", list[i].name, "path", list[i].path, "bytes",
						   (json_int_t)list[i].bytes, "lastUsed",
						   (json_int_t)list[i].last_used, "complete",
						   list[i].complete));
	}
	if (co->format == FORMAT_JSON) {
		char *s = json_dump_sorted(a, true);
		fprintf(out.f, "%s\n", s);
		free(s);
	} else {
		char b[32], when[32];
		for (size_t i = 0; i < n; i++)
			fprintf(out.f, "%-6s  %.16s  %10s  %s%s\n", list[i].kind, list[i].name,
				human_size(list[i].bytes, b, sizeof(b)),
				format_rfc3339(list[i].last_used, when, sizeof(when)),
				list[i].complete ? "" : "  (incomplete)");
		fprintf(out.f, "%zu entries, %s in %s\n", n, human_size(total, b, sizeof(b)), dir);
	}
	json_decref(a);
	cache_list_free(list, n);
	return out_close(&out, true, &err) < 0 ? fail("cache", &err) : EXIT_OK;
}

int cmd_cache(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "all", no_argument, NULL, OPT_ALL },
		{ "older-than", required_argument, NULL, OPT_OLDER },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts co = { 0 };
	int64_t older = 30 * 86400;
	uint64_t days;
	int c;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_opt(&co, c, optarg, "cache"))
			continue;
		if (c == OPT_ALL)
			older = 0;
		else if (c == OPT_OLDER && parse_u64(optarg, 100000, &days) == 0)
			older = (int64_t)days * 86400;
		else
			return usage_error("cache", "bad option or value (--older-than takes days)");
	}
	common_finish(&co);
	const char *sub = optind < argc ? argv[optind] : "list";
	cleanup_free char *dir = cache_dir();
	if (!strcmp(sub, "dir")) {
		printf("%s\n", dir);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
	}
	if (!strcmp(sub, "list"))
		return cache_ls(&co, dir);
	if (strcmp(sub, "prune"))
		return usage_error("cache", "unknown subcommand '%s'", sub);
	struct qerr err = QERR_INIT;
	size_t removed;
	uint64_t freed;
	if (cache_prune(dir, older, &removed, &freed, &err) < 0)
		return fail("cache", &err);
	char b[32];
	if (!co.quiet)
		printf("removed %zu entries, freed %s\n", removed, human_size(freed, b, sizeof(b)));
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}
