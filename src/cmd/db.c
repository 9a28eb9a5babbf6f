/* quench db import PATH... | update | status: the local advisory database. */
#include "cmd.h"
#include "vuln/vuln.h"

#include <jansson.h>
#include <string.h>
#include <time.h>

enum { OPT_DB = 256, OPT_FEED, OPT_FEEDS_FILE, OPT_MAX_SIZE, OPT_CA_FILE };

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

/* ---- update ------------------------------------------------------------------- */

struct update_opts {
	struct vdb_feeds feeds;    /* empty: the defaults */
	uint64_t max_bytes;
	const char *ca_file;
};

static void feed_failed(const struct vdb_feed *f, const struct vdb_feed_result *r,
			int64_t now, const struct qerr *err)
{
	char ago[32];
	if (r->previous_import)
		fprintf(stderr, "quench: db update: feed %s: %s; keeping the data imported %s\n",
			f->name, err->msg, human_age(now - r->previous_import, ago, sizeof(ago)));
	else
		fprintf(stderr, "quench: db update: feed %s: %s; nothing imported from it yet\n",
			f->name, err->msg);
}

static void feed_done(const struct common_opts *co, const struct vdb_feed *f,
		      const struct vdb_feed_result *r, uint64_t ms)
{
	for (size_t w = 0; w < r->st.warnings.n; w++)
		q_warn("%s", r->st.warnings.v[w]);
	if (co->quiet)
		return;
	char size[16];
	if (r->state == VDB_FEED_UNCHANGED)
		printf("%s: not modified, kept\n", f->name);
	else
		printf("%s (%s): %llu advisories, %llu affected rows, %llu skipped, %s, %.1f s\n",
		       f->name, r->st.format, (unsigned long long)r->st.advisories,
		       (unsigned long long)r->st.affected, (unsigned long long)r->st.skipped,
		       human_size(r->bytes, size, sizeof(size)), (double)ms / 1000.0);
}

/* Every feed is tried; one that fails keeps its old data and makes the
 * exit status 3 after the others are done. */
static int db_update(const struct common_opts *co, const char *path, struct update_opts *uo)
{
	struct qerr err = QERR_INIT;
	cleanup_free char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	*(slash ? slash + 1 : dir) = '\0';
	cleanup_free char *feed_dir = xasprintf("%s%sfeeds", dir, *dir ? "" : "./");
	if (*dir && mkdir_p(dir, 0700, &err) < 0)
		return fail("db", &err);
	struct vdb *db;
	if (vdb_open(path, true, &db, &err) < 0)
		return fail("db", &err);
	if (uo->feeds.n == 0)
		vdb_feeds_default(&uo->feeds);
	struct vdb_update_opts o = { .dir = feed_dir, .max_bytes = uo->max_bytes, .ca_file = uo->ca_file,
				     .now = source_date_epoch((int64_t)time(NULL)) };
	int rc = EXIT_OK;
	for (size_t i = 0; i < uo->feeds.n; i++) {
		const struct vdb_feed *f = &uo->feeds.v[i];
		struct vdb_feed_result r;
		uint64_t t0 = now_ms();
		if (vdb_update_feed(db, f, &o, &r, &err) < 0) {
			feed_failed(f, &r, o.now, &err);
			rc = EXIT_RUNTIME;
		} else {
			feed_done(co, f, &r, now_ms() - t0);
		}
		vdb_feed_result_release(&r);
		err = (struct qerr)QERR_INIT;
	}
	vdb_close(db);
	if (fflush(stdout) != 0)
		return fail("db", &(struct qerr){ .msg = "write to standard output failed" });
	return rc;
}

/* ---- status ------------------------------------------------------------------- */

/* The newest record's age, when its time parses (some formats give none). */
static bool newest_age(const struct vdb_source *s, int64_t now, int64_t *age)
{
	if (!s->newest_known)
		return false;
	*age = now > s->newest_at ? now - s->newest_at : 0;
	return true;
}

static json_t *source_json(const struct vdb_source *s, int64_t now)
{
	char imported[32], checked[32];
	format_rfc3339(s->imported_at, imported, sizeof(imported));
	json_t *j = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:s?, s:s?}", "name", s->name,
			      "format", s->format, "importedAt", (json_int_t)s->imported_at,
			      "imported", imported, "importedAgeSeconds",
			      (json_int_t)(now > s->imported_at ? now - s->imported_at : 0),
			      "advisories", (json_int_t)s->advisories, "affected",
			      (json_int_t)s->affected, "newest", s->newest, "url", s->url);
	int64_t age;
	if (newest_age(s, now, &age))
		json_object_set_new(j, "newestAgeSeconds", json_integer(age));
	if (s->checked_at) {
		json_object_set_new(j, "checkedAt", json_integer(s->checked_at));
		json_object_set_new(j, "checked", json_string(format_rfc3339(
							  s->checked_at, checked, sizeof(checked))));
	}
	return j;
}

static json_t *status_json(const char *path, const struct vdb_source *v, size_t n,
			   int64_t now, int64_t data_age)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, source_json(&v[i], now));
	return json_pack("{s:s, s:o, s:o}", "database", path, "sources", a, "dataAgeSeconds",
			 data_age < 0 ? json_null() : json_integer(data_age));
}

static void status_table(FILE *f, const char *path, const struct vdb_source *v, size_t n,
			 int64_t now, int64_t data_age)
{
	char a[32], b[32], c[48];
	fprintf(f, "database: %s\n", path);
	if (data_age >= 0)
		fprintf(f, "data: imported or confirmed by a feed %s\n",
			human_age(data_age, a, sizeof(a)));
	fprintf(f, "%-14s %10s %10s  %-28s %-16s %-16s %s\n", "FORMAT", "ADVISORIES", "AFFECTED",
		"NEWEST RECORD", "IMPORTED", "CHECKED", "SOURCE");
	for (size_t i = 0; i < n; i++) {
		const struct vdb_source *s = &v[i];
		int64_t age;
		if (newest_age(s, now, &age))
			snprintf(c, sizeof(c), "%.10s (%s)", s->newest, human_age(age, a, sizeof(a)));
		else
			snprintf(c, sizeof(c), "%.28s", s->newest ? s->newest : "-");
		fprintf(f, "%-14s %10llu %10llu  %-28s %-16s %-16s %s\n", s->format,
			(unsigned long long)s->advisories, (unsigned long long)s->affected, c,
			human_age(now - s->imported_at, a, sizeof(a)),
			s->checked_at ? human_age(now - s->checked_at, b, sizeof(b)) : "-", s->name);
	}
}

static int db_status(const struct common_opts *co, const char *path)
{
	struct qerr err = QERR_INIT;
	struct vdb *db;
	if (vdb_open(path, false, &db, &err) < 0)
		return fail("db", &err);
	struct vdb_source *v;
	size_t n;
	int64_t now = source_date_epoch((int64_t)time(NULL)), data_age;
	int rc = vdb_sources(db, &v, &n, &err);
	if (rc == 0 && vdb_data_age(db, now, &data_age, &err) < 0) {
		vdb_sources_free(v, n);
		rc = -1;
	}
	vdb_close(db);
	if (rc < 0)
		return fail("db", &err);
	struct output out;
	if (out_open(&out, co->output, &err) < 0) {
		vdb_sources_free(v, n);
		return fail("db", &err);
	}
	if (co->format == FORMAT_JSON) {
		json_t *j = status_json(path, v, n, now, data_age);
		char *s = json_dump_sorted(j, true);
		fprintf(out.f, "%s\n", s);
		free(s);
		json_decref(j);
	} else {
		status_table(out.f, path, v, n, now, data_age);
	}
	vdb_sources_free(v, n);
	return out_close(&out, true, &err) < 0 ? fail("db", &err) : EXIT_OK;
}

static int db_option(int c, const char *arg, const char **given, struct update_opts *uo)
{
	struct qerr err = QERR_INIT;
	switch (c) {
	case OPT_DB:
		*given = arg;
		return 0;
	case OPT_FEED:
		return vdb_feeds_parse_arg(&uo->feeds, arg, &err) < 0 ? usage_error("db", "%s", err.msg)
								       : 0;
	case OPT_FEEDS_FILE:
		return vdb_feeds_read(&uo->feeds, arg, &err) < 0 ? fail("db", &err) : 0;
	case OPT_CA_FILE:
		uo->ca_file = arg;
		return 0;
	case OPT_MAX_SIZE:
		return parse_u64(arg, UINT64_MAX, &uo->max_bytes) < 0 || uo->max_bytes == 0
			       ? usage_error("db", "--max-size wants a number of bytes, not '%s'", arg)
			       : 0;
	default:
		return usage_error("db", "unknown option");
	}
}

static int db_run(const struct common_opts *co, const char *path, int argc, char **argv,
		  struct update_opts *uo)
{
	const char *sub = argv[0];
	if (!strcmp(sub, "import")) {
		if (argc < 2)
			return usage_error("db", "import needs at least one PATH");
		return db_import(co, path, argv + 1, argc - 1);
	}
	if ((uo->feeds.n || uo->max_bytes || uo->ca_file) && strcmp(sub, "update"))
		return usage_error("db", "--feed, --feeds-file, --max-size and --ca-file are for update");
	if (!strcmp(sub, "update") && argc == 1)
		return db_update(co, path, uo);
	if (!strcmp(sub, "status") && argc == 1)
		return db_status(co, path);
	return usage_error("db", "unknown subcommand '%s'", sub);
}

int cmd_db(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "db", required_argument, NULL, OPT_DB },
		{ "feed", required_argument, NULL, OPT_FEED },
		{ "feeds-file", required_argument, NULL, OPT_FEEDS_FILE },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts co = { 0 };
	struct update_opts uo = { VDB_FEEDS_INIT, 0 };
	const char *given = NULL;
	int c, rc = EXIT_OK;
	while (rc == EXIT_OK && (c = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		int k = common_opt(&co, c, optarg, "db");
		if (k < 0)
			rc = EXIT_USAGE;
		else if (k == 0)
			rc = db_option(c, optarg, &given, &uo);
	}
	if (rc == EXIT_OK && optind >= argc)
		rc = usage_error("db", "expected import PATH..., update or status");
	if (rc == EXIT_OK) {
		common_finish(&co);
		cleanup_free char *path = db_path(given);
		rc = db_run(&co, path, argc - optind, argv + optind, &uo);
	}
	vdb_feeds_release(&uo.feeds);
	return rc;
}
