/* vuln db: sources replaced whole, aborted imports leave the old data,
 * counts and the newest record, refusal of foreign files. */
#include "vuln/vuln.h"
#include "vuln/import/import_internal.h"
#include "fs/fs.h"

#include <fcntl.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <cmocka.h>

#define assert_ok(expr, err)                                                   \
	do {                                                                   \
		if ((expr) < 0)                                                \
			fail_msg("%s failed: %s", #expr, (err)->msg);          \
	} while (0)

static char dir[] = "/tmp/quench-vdb-XXXXXX";

static long long count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void add_some(struct vdb_import *im, const char *modified, int n)
{
	struct qerr err = QERR_INIT;
	for (int i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof(id), "CVE-2024-%04d", i);
		struct vdb_advisory a = { .id = id, .modified = modified, .aliases = "DSA-1 GHSA-x" };
		assert_ok(vdb_add_advisory(im, &a, &err), &err);
		struct vdb_affected f = { .advisory = id, .ecosystem = "Debian:12",
					  .package = "openssl", .status = VDB_AFFECTED,
					  .fixed = "3.0.11-1~deb12u2" };
		assert_ok(vdb_add_affected(im, &f, &err), &err);
	}
}

static void t_import_replace_abort(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	char *path = xasprintf("%s/vuln.db", dir);
	struct vdb *db;
	assert_int_equal(vdb_open(path, false, &db, &err), -1);   /* no database yet */
	assert_non_null(strstr(err.msg, "quench db import"));
	assert_ok(vdb_open(path, true, &db, &err), &err);
	struct vdb_import *im = vdb_import_begin(db, "/data/a", "osv", &err);
	assert_non_null(im);
	add_some(im, "2024-01-02T00:00:00Z", 3);
	struct vdb_affected bad = { .advisory = "X" };
	assert_int_equal(vdb_add_affected(im, &bad, &err), -1);
	vdb_import_warn(im, "record %d: broken", 7);
	assert_ok(vdb_import_commit(im, &err), &err);
	assert_int_equal(count(path, "SELECT count(*) FROM affected"), 3);
	/* Re-import replaces the source whole. */
	im = vdb_import_begin(db, "/data/a", "osv", &err);
	add_some(im, "2025-06-01T00:00:00Z", 2);
	assert_ok(vdb_import_commit(im, &err), &err);
	assert_int_equal(count(path, "SELECT count(*) FROM affected"), 2);
	assert_int_equal(count(path, "SELECT count(*) FROM advisories"), 2);
	/* An aborted import leaves what was there. */
	im = vdb_import_begin(db, "/data/a", "osv", &err);
	add_some(im, NULL, 5);
	vdb_import_abort(im);
	assert_int_equal(count(path, "SELECT count(*) FROM affected"), 2);
	/* Another source adds. */
	im = vdb_import_begin(db, "/data/b", "debian-tracker", &err);
	add_some(im, "2023-01-01T00:00:00Z", 4);
	assert_ok(vdb_import_commit(im, &err), &err);
	struct vdb_source *v;
	size_t n;
	assert_ok(vdb_sources(db, &v, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "/data/a");
	assert_int_equal(v[0].advisories, 2);
	assert_int_equal(v[0].affected, 2);
	assert_string_equal(v[0].newest, "2025-06-01T00:00:00Z");
	assert_string_equal(v[1].format, "debian-tracker");
	assert_int_equal(v[1].affected, 4);
	vdb_sources_free(v, n);
	vdb_close(db);
	free(path);
}

static void t_foreign_file(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	char *path = xasprintf("%s/not-a-db", dir);
	FILE *f = fopen(path, "w");
	fputs("hello, this is not SQLite\n", f);
	fclose(f);
	struct vdb *db;
	assert_int_equal(vdb_open(path, true, &db, &err), -1);
	assert_non_null(strstr(err.msg, path));
	/* A SQLite file of someone else's. */
	char *other = xasprintf("%s/other.db", dir);
	sqlite3 *s;
	assert_int_equal(sqlite3_open(other, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
					 "INSERT INTO meta VALUES('schema', '99')", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(s);
	assert_int_equal(vdb_open(other, true, &db, &err), -1);
	assert_non_null(strstr(err.msg, "schema"));
	free(path);
	free(other);
}

/* Warnings quote hostile advisory text: no control characters survive. */
static void t_warning_text(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	char *path = xasprintf("%s/warn.db", dir);
	struct vdb *db;
	assert_ok(vdb_open(path, true, &db, &err), &err);
	struct vdb_import *im = vdb_import_begin(db, "/data/w", "osv", &err);
	struct vdb_import_stats st = { 0 };
	vdb_import_track(im, &st);
	vdb_import_warn(im, "%s: bad", "evil\x1b[2J\r\nname");
	assert_ok(vdb_import_commit(im, &err), &err);
	assert_int_equal(st.skipped, 1);
	assert_string_equal(st.warnings.v[0], "evil?[2J??name: bad");
	vdb_import_stats_release(&st);
	vdb_close(db);
	free(path);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_import_replace_abort),
		cmocka_unit_test(t_foreign_file),
		cmocka_unit_test(t_warning_text),
	};
	int rc = cmocka_run_group_tests_name("vdb", tests, NULL, NULL);
	struct qerr err = QERR_INIT;
	fs_remove_at(AT_FDCWD, dir, &err);
	return rc;
}
