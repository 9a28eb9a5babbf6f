/* quench db import PATH... | status: the local advisory database. */
#include "cmd.h"
#include "vuln/vuln.h"

#include <jansson.h>
#include <string.h>
#include <time.h>

enum { OPT_DB = 256 };

static char *db_path(const char *given)
{
	if (given)
		return xstrdup(given);
	cleanup_free char *dir = cache_dir();
	return xasprintf("%s/vuln.db", dir);
}

static int db_import(const struct common_opts *co, const char *path, char **paths, int n)
{
	struct qerr err = QERR_INIT;
	cleanup_free char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		if (*dir && mkdir_p(dir, 0700, &err) < 0)
			return fail("db", &err);
	}
	struct vdb *db;
	if (vdb_open(path, true, &db, &err) < 0)
		return fail("db", &err);
	int rc = EXIT_OK;
	for (int i = 0; i < n && rc == EXIT_OK; i++) {
		struct vdb_import_stats st;
		uint64_t t0 = now_ms();
		if (vdb_import_path(db, paths[i], &st, &err) < 0) {
			rc = fail("db", &err);
		} else {
			for (size_t w = 0; w < st.warnings.n; w++)
				q_warn("%s", st.warnings.v[w]);
			if (!co->quiet)
				printf("%s (%s): %llu advisories, %llu affected rows, %llu skipped, "
				       "%.1f s\n",
				       st.source, st.format, (unsigned long long)st.advisories,
				       (unsigned long long)st.affected, (unsigned long long)st.skipped,
				       (double)(now_ms() - t0) / 1000.0);
		}
		vdb_import_stats_release(&st);
	}
	vdb_close(db);
	return rc;
}

static json_t *sources_json(const struct vdb_source *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:s?}", "name",
						   v[i].name, "format", v[i].format, "importedAt",
						   (json_int_t)v[i].imported_at, "advisories",
						   (json_int_t)v[i].advisories, "affected",
						   (json_int_t)v[i].affected, "newest", v[i].newest));
	return a;
}

static void sources_table(FILE *f, const struct vdb_source *v, size_t n)
{
	fprintf(f, "%-14s %10s %10s  %-20s  %s\n", "FORMAT", "ADVISORIES", "AFFECTED", "NEWEST",
		"SOURCE");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%-14s %10llu %10llu  %-20.20s  %s\n", v[i].format,
			(unsigned long long)v[i].advisories, (unsigned long long)v[i].affected,
			v[i].newest ? v[i].newest : "-", v[i].name);
}

static int db_status(const struct common_opts *co, const char *path)
{
	struct qerr err = QERR_INIT;
	struct vdb *db;
	if (vdb_open(path, false, &db, &err) < 0)
		return fail("db", &err);
	struct vdb_source *v;
	size_t n;
	int rc = vdb_sources(db, &v, &n, &err);
	vdb_close(db);
	if (rc < 0)
		return fail("db", &err);
	struct output out;
	if (out_open(&out, co->output, &err) < 0) {
		vdb_sources_free(v, n);
		return fail("db", &err);
	}
	if (co->format == FORMAT_JSON) {
		json_t *j = json_pack("{s:s, s:o}", "database", path, "sources", sources_json(v, n));
		char *s = json_dump_sorted(j, true);
		fprintf(out.f, "%s\n", s);
		free(s);
		json_decref(j);
	} else {
		fprintf(out.f, "database: %s\n", path);
		sources_table(out.f, v, n);
	}
	vdb_sources_free(v, n);
	return out_close(&out, true, &err) < 0 ? fail("db", &err) : EXIT_OK;
}

int cmd_db(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "db", required_argument, NULL, OPT_DB },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts co = { 0 };
	const char *given = NULL;
	int c;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_opt(&co, c, optarg, "db"))
			continue;
		if (c == OPT_DB)
			given = optarg;
		else
			return usage_error("db", "unknown option");
	}
	if (optind >= argc)
		return usage_error("db", "expected import PATH... or status");
	common_finish(&co);
	cleanup_free char *path = db_path(given);
	const char *sub = argv[optind];
	if (!strcmp(sub, "import")) {
		if (argc - optind < 2)
			return usage_error("db", "import needs at least one PATH");
		return db_import(&co, path, argv + optind + 1, argc - optind - 1);
	}
	if (!strcmp(sub, "status") && argc - optind == 1)
		return db_status(&co, path);
	return usage_error("db", "unknown subcommand '%s'", sub);
}
