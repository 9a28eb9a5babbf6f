/* OSV import: real records (PyPA YAML, Go vulndb JSON, Debian ELTS JSON)
 * from tests/data/advisories/osv, as a directory and as a zip, checked in
 * the SQLite file itself; hostile records give warnings and no rows;
 * directory walks neither follow links nor read what is not a record. */
#include "vuln/import/import_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define assert_ok(expr, err)                                                   \
	do {                                                                   \
		if ((expr) < 0)                                                \
			fail_msg("%s failed: %s", #expr, (err)->msg);          \
	} while (0)

static char tmp[] = "/tmp/quench-osv-XXXXXX";
static char *data_dir;   /* tests/data/advisories/osv */
static int db_seq;

/* A fresh database file for one test. */
static char *new_db_path(void)
{
	return xasprintf("%s/vuln-%d.db", tmp, ++db_seq);
}

/* The first column of the first row of a query (sqlite3_mprintf: %Q quotes,
 * %% is a percent sign),
 * as text; NULL for SQL NULL or no row. Caller frees. */
static char *q(const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	sqlite3 *db;
	sqlite3_stmt *st;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("open %s: %s", path, sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	char *out = NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	sqlite3_free(sql);
	return out;
}

#define assert_q(expect, path, ...)                                            \
	do {                                                                   \
		char *got_ = q(path, __VA_ARGS__);                             \
		if (!got_ || strcmp(got_, expect))                             \
			fail_msg("%s: got '%s', want '%s'", #__VA_ARGS__,      \
				 got_ ? got_ : "(null)", expect);              \
		free(got_);                                                    \
	} while (0)

static bool has_warning(const struct vdb_import_stats *st, const char *a, const char *b)
{
	for (size_t i = 0; i < st->warnings.n; i++)
		if (strstr(st->warnings.v[i], a) && (!b || strstr(st->warnings.v[i], b)))
			return true;
	return false;
}

static void dump_warnings(const struct vdb_import_stats *st)
{
	for (size_t i = 0; i < st->warnings.n; i++)
		print_message("warning: %s\n", st->warnings.v[i]);
}

/* Facts of the records in tests/data/advisories/osv, as published. */
static void assert_real_facts(const char *db)
{
	/* PYSEC-2020-341 (YAML): "jw.util" normalized to "jw-util"; [0, 2.3);
	 * 37 explicit versions, one of them "-class.-jw.util.version.Version-",
	 * and "2" (quoted in YAML) kept as the string it is. */
	assert_q("1", db, "SELECT count(*) FROM affected WHERE advisory = 'PYSEC-2020-341' AND "
			  "ecosystem = 'PyPI' AND package = 'jw-util' AND introduced IS NULL AND "
			  "fixed = '2.3' AND last_affected IS NULL AND version IS NULL AND "
			  "status = 'affected'");
	assert_q("37", db, "SELECT count(*) FROM affected WHERE advisory = 'PYSEC-2020-341' AND "
			   "version IS NOT NULL AND package = 'jw-util'");
	assert_q("1", db, "SELECT count(*) FROM affected WHERE package = 'jw-util' AND version IN "
			  "('-class.-jw.util.version.Version-')");
	assert_q("1", db, "SELECT count(*) FROM affected WHERE package = 'jw-util' AND version = '2'");
	assert_q("0", db, "SELECT count(*) FROM affected WHERE package = 'jw.util'");
	assert_q("CVE-2020-13388 GHSA-h72c-w3q3-55qq", db,
		 "SELECT aliases FROM advisories WHERE id = 'PYSEC-2020-341'");
	/* PYSEC-2022-42969: py, last_affected 1.11.0. */
	assert_q("1.11.0", db, "SELECT last_affected FROM affected WHERE advisory = "
			       "'PYSEC-2022-42969' AND version IS NULL AND introduced IS NULL "
			       "AND fixed IS NULL");
	assert_q("65", db, "SELECT count(*) FROM affected WHERE advisory = 'PYSEC-2022-42969'"
			   " AND version IS NOT NULL");
	/* PYSEC-2022-43057: an open range (introduced 0, no fix), a CVSS v3
	 * vector, and times written as plain YAML scalars kept verbatim. */
	assert_q("1", db, "SELECT count(*) FROM affected WHERE advisory = 'PYSEC-2022-43057' AND "
			  "package = 'pywasm3' AND version IS NULL AND introduced IS NULL AND "
			  "fixed IS NULL AND last_affected IS NULL");
	assert_q("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", db,
		 "SELECT cvss_v3 FROM advisories WHERE id = 'PYSEC-2022-43057'");
	assert_q("2023-08-17T03:22:33.522615Z", db,
		 "SELECT modified FROM advisories WHERE id = 'PYSEC-2022-43057'");
	assert_q("2022-07-27T14:15:00Z", db,
		 "SELECT published FROM advisories WHERE id = 'PYSEC-2022-43057'");
	assert_q("WASM3 v0.5.0 was discovered to contain a segmentation fault via the "
		 "component Compile_Memory_CopyFill.", db,
		 "SELECT summary FROM advisories WHERE id = 'PYSEC-2022-43057'");
	/* PYSEC-2022-15 is withdrawn: nothing. */
	assert_q("0", db, "SELECT count(*) FROM advisories WHERE id = 'PYSEC-2022-15'");
	assert_q("0", db, "SELECT count(*) FROM affected WHERE package = 'loguru'");
	/* PYSEC-2014-13: requests [0, 2.3.0); the CVE among the aliases. */
	assert_q("2.3.0", db, "SELECT fixed FROM affected WHERE advisory = 'PYSEC-2014-13' AND "
			      "package = 'requests' AND version IS NULL");
	assert_q("1", db, "SELECT count(*) FROM advisories WHERE id = 'PYSEC-2014-13' AND "
			  "' ' || aliases || ' ' LIKE '%% CVE-2014-1829 %%'");
	/* PYSEC-2022-302: the GIT range (commit 323383d1…) is skipped. */
	assert_q("1", db, "SELECT count(*) FROM affected WHERE advisory = 'PYSEC-2022-302'");
	assert_q("2.4.10", db, "SELECT fixed FROM affected WHERE advisory = 'PYSEC-2022-302'");
	/* GO-2024-3107: Go stdlib, two ranges → [0, 1.22.7) and [1.23.0-0, 1.23.1). */
	assert_q("2", db, "SELECT count(*) FROM affected WHERE advisory = 'GO-2024-3107' AND "
			  "ecosystem = 'Go' AND package = 'stdlib'");
	assert_q("1.22.7", db, "SELECT fixed FROM affected WHERE advisory = 'GO-2024-3107' AND "
			       "introduced IS NULL");
	assert_q("1.23.1", db, "SELECT fixed FROM affected WHERE advisory = 'GO-2024-3107' AND "
			       "introduced = '1.23.0-0'");
	assert_q("Stack exhaustion in Parse in go/build/constraint", db,
		 "SELECT summary FROM advisories WHERE id = 'GO-2024-3107'");
	assert_q("CVE-2024-34158", db, "SELECT aliases FROM advisories WHERE id = 'GO-2024-3107'");
	/* GO-2023-1988: the module path as the package. */
	assert_q("0.13.0", db, "SELECT fixed FROM affected WHERE advisory = 'GO-2023-1988' AND "
			       "ecosystem = 'Go' AND package = 'golang.org/x/net'");
	assert_q("CVE-2023-3978 GHSA-2wrh-6pvc-2jm9", db,
		 "SELECT aliases FROM advisories WHERE id = 'GO-2023-1988'");
	/* ELA-1126-1: one row per Debian release, the source package named. */
	assert_q("2024041801~deb10u1", db,
		 "SELECT fixed FROM affected WHERE advisory = 'ELA-1126-1' AND "
		 "ecosystem = 'Debian:10' AND package = 'dns-root-data' AND introduced IS NULL");
	assert_q("2024041801~deb8u1", db,
		 "SELECT fixed FROM affected WHERE advisory = 'ELA-1126-1' AND ecosystem = 'Debian:8'");
	/* ELA-669-1 has "ranges" as an object, not an array: a bad record. */
	assert_q("0", db, "SELECT count(*) FROM advisories WHERE id = 'ELA-669-1'");
	assert_q("0", db, "SELECT count(*) FROM affected WHERE advisory = 'ELA-669-1'");
	/* Totals: 10 files, one withdrawn, one bad. */
	assert_q("8", db, "SELECT count(*) FROM advisories");
}

static void t_dir(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	cleanup_free char *path = new_db_path();
	struct vdb *db;
	assert_ok(vdb_open(path, true, &db, &err), &err);
	struct vdb_import_stats st = { 0 };
	struct vdb_import *im = vdb_import_begin(db, data_dir, "osv-dir", &err);
	assert_non_null(im);
	vdb_import_track(im, &st);
	assert_ok(import_osv_dir(im, data_dir, &err), &err);
	assert_ok(vdb_import_commit(im, &err), &err);
	dump_warnings(&st);
	assert_int_equal(st.advisories, 8);
	assert_int_equal(st.skipped, 1);
	assert_true(has_warning(&st, "ELA-669-1.json", "ranges is not an array"));
	assert_real_facts(path);
	cleanup_free char *total = q(path, "SELECT count(*) FROM affected");
	assert_int_equal(st.affected, strtoull(total, NULL, 10));
	vdb_import_stats_release(&st);

	/* Through vdb_import_path: the same, detected as a directory. */
	cleanup_free char *path2 = new_db_path();
	struct vdb *db2;
	assert_ok(vdb_open(path2, true, &db2, &err), &err);
	assert_ok(vdb_import_path(db2, data_dir, &st, &err), &err);
	assert_string_equal(st.format, "osv-dir");
	assert_real_facts(path2);
	vdb_import_stats_release(&st);
	/* One YAML file alone, detected by its name. */
	cleanup_free char *one = xasprintf("%s/pypa/jw.util/PYSEC-2020-341.yaml", data_dir);
	assert_ok(vdb_import_path(db2, one, &st, &err), &err);
	assert_int_equal(st.advisories, 1);
	assert_int_equal(st.affected, 38);
	vdb_import_stats_release(&st);
	vdb_close(db2);
	vdb_close(db);
}

/* ---- a zip made here, with libarchive ------------------------------------------- */

static void zip_add(struct archive *a, const char *name, const char *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

static void zip_add_file(struct archive *a, const char *name, const char *rel)
{
	struct qerr err = QERR_INIT;
	cleanup_free char *p = xasprintf("%s/%s", data_dir, rel);
	char *data;
	size_t len;
	assert_ok(read_file_at(AT_FDCWD, p, 1 << 20, &data, &len, &err), &err);
	zip_add(a, name, data, len);
	free(data);
}

static void t_zip(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	cleanup_free char *zip = xasprintf("%s/all.zip", tmp);
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, zip), ARCHIVE_OK);
	zip_add_file(a, "GO-2023-1988.json", "go/GO-2023-1988.json");
	zip_add_file(a, "ELA-1126-1.json", "debian-elts/ELA-1126-1.json");
	zip_add_file(a, "PYSEC-2020-341.yaml", "pypa/jw.util/PYSEC-2020-341.yaml");
	zip_add(a, "README.txt", "not a record", 12);
	zip_add(a, "broken.json", "{\"id\": ", 7);
	/* The same id again: the first one read stays. */
	zip_add(a, "again/GO-2023-1988.json", "{\"id\": \"GO-2023-1988\"}", 22);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);

	cleanup_free char *path = new_db_path();
	struct vdb *db;
	assert_ok(vdb_open(path, true, &db, &err), &err);
	struct vdb_import_stats st = { 0 };
	assert_ok(vdb_import_path(db, zip, &st, &err), &err);
	dump_warnings(&st);
	assert_string_equal(st.format, "osv-zip");
	assert_int_equal(st.advisories, 3);
	assert_int_equal(st.skipped, 2);
	assert_true(has_warning(&st, "all.zip:broken.json", "invalid JSON"));
	assert_true(has_warning(&st, "again/GO-2023-1988.json", "already read"));
	assert_q("0.13.0", path, "SELECT fixed FROM affected WHERE package = 'golang.org/x/net'");
	assert_q("1", path, "SELECT count(*) FROM affected WHERE package = 'golang.org/x/net'");
	assert_q("2024041801~deb10u1", path,
		 "SELECT fixed FROM affected WHERE ecosystem = 'Debian:10'");
	assert_q("38", path, "SELECT count(*) FROM affected WHERE package = 'jw-util'");
	vdb_import_stats_release(&st);

	/* Not a zip at all: an error, and the import leaves nothing. */
	cleanup_free char *fake = xasprintf("%s/fake.zip", tmp);
	int fd = open(fake, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "PK\3\4garbage", 11), 11);
	close(fd);
	assert_int_equal(vdb_import_path(db, fake, &st, &err), -1);
	assert_non_null(strstr(err.msg, "fake.zip"));
	vdb_import_stats_release(&st);
	vdb_close(db);
}

/* ---- hostile records ---------------------------------------------------------------- */

static char *repeat(const char *s, size_t n, const char *head, const char *tail)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, head);
	for (size_t i = 0; i < n; i++)
		strbuf_adds(&sb, s);
	strbuf_adds(&sb, tail);
	return strbuf_detach(&sb);
}

struct hostile {
	const char *what;
	char *data;
	bool yaml;
	const char *warning;   /* a part of the warning expected */
};

static void t_hostile(void **state)
{
	(void)state;
	struct hostile cases[] = {
		{ "invalid JSON", xstrdup("{\"id\": \"X-1\", "), false, "invalid JSON" },
		{ "invalid YAML", xstrdup("id: X-1\naffected: [\n"), true, "invalid YAML" },
		{ "JSON nesting", repeat("[", 100000, "{\"id\":\"X-1\",\"affected\":", ""), false,
		  "invalid JSON" },
		{ "YAML flow nesting", repeat("[", 100000, "id: X-1\naffected: ", ""), true, "YAML" },
		{ "YAML block nesting", repeat("- ", 5000, "", "x\n"), true, "YAML" },
		{ "top-level array", xstrdup("[{\"id\": \"X-1\"}]"), false, "not an object" },
		{ "YAML scalar", xstrdup("just a string\n"), true, "not an object" },
		{ "empty YAML", xstrdup(""), true, "YAML" },
		{ "id missing", xstrdup("{\"affected\": []}"), false, "no valid id" },
		{ "empty id", xstrdup("{\"id\": \"\"}"), false, "no valid id" },
		{ "id a number", xstrdup("{\"id\": 7}"), false, "id is not a string" },
		{ "id with a newline", xstrdup("{\"id\": \"X-1\\nY\"}"), false, "no valid id" },
		{ "affected a string", xstrdup("{\"id\": \"X-1\", \"affected\": \"all\"}"), false,
		  "affected is not an array" },
		{ "affected entry a number", xstrdup("{\"id\": \"X-1\", \"affected\": [1]}"), false,
		  "affected[0] is not an object" },
		{ "package a string",
		  xstrdup("{\"id\":\"X-1\",\"affected\":[{\"package\":\"requests\"}]}"), false,
		  "package is not an object" },
		{ "package without a name",
		  xstrdup("{\"id\":\"X-1\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\"}}]}"),
		  false, "package.name" },
		{ "events with numbers",
		  xstrdup("{\"id\":\"X-1\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\","
			  "\"name\":\"a\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":"
			  "[{\"introduced\":0},{\"fixed\":1.5}]}]}]}"),
		  false, "events[0].introduced is not a version" },
		{ "an event with two kinds",
		  xstrdup("{\"id\":\"X-1\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
			  "\"name\":\"a\"},\"ranges\":[{\"type\":\"SEMVER\",\"events\":"
			  "[{\"introduced\":\"0\",\"fixed\":\"1.0.0\"}]}]}]}"),
		  false, "has both" },
		{ "a range without introduced",
		  xstrdup("{\"id\":\"X-1\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
			  "\"name\":\"a\"},\"ranges\":[{\"type\":\"SEMVER\",\"events\":"
			  "[{\"fixed\":\"1.0.0\"}]}]}]}"),
		  false, "no introduced" },
		{ "a range without type",
		  xstrdup("{\"id\":\"X-1\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
			  "\"name\":\"a\"},\"ranges\":[{\"events\":[{\"introduced\":\"0\"}]}]}]}"),
		  false, "type is missing" },
		{ "versions with a number",
		  xstrdup("{\"id\":\"X-1\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
			  "\"name\":\"a\"},\"versions\":[\"1.0.0\", 2]}]}"),
		  false, "versions[1]" },
		{ "aliases a string", xstrdup("{\"id\":\"X-1\",\"aliases\":\"CVE-1\"}"), false,
		  "aliases is not an array" },
		{ "summary an object", xstrdup("{\"id\":\"X-1\",\"summary\":{}}"), false,
		  "summary is not a string" },
		{ "10 000 events",
		  repeat("{\"introduced\":\"1.0\"},", 10000,
			 "{\"id\":\"X-1\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
			 "\"name\":\"a\"},\"ranges\":[{\"type\":\"SEMVER\",\"events\":[",
			 "{\"fixed\":\"2.0\"}]}]}]}"),
		  false, "over the limit" },
		{ "invalid UTF-8 in JSON", xstrdup("{\"id\": \"X-\xff\xfe\"}"), false, "invalid JSON" },
		{ "invalid UTF-8 in YAML", xstrdup("id: \"X-\xc3\x28\"\n"), true, "" },
		{ "a YAML directive with invalid UTF-8 (libfyaml loops on it)", xstrdup("%\xe1"),
		  true, "not UTF-8" },
		{ "a run of escaped quotes in YAML (libfyaml leaks on it)",
		  xstrdup("id: 'X''''''''1'\n"), true, "run of quotes" },
		{ "a control character in YAML", xstrdup("id: X-1\x01\n"), true, "control" },
		{ "NUL in YAML", xstrdup("id: \"X-1\\0\"\n"), true, "NUL" },
		{ "NUL in JSON", xstrdup("{\"id\": \"X-1\\u0000\"}"), false, "invalid JSON" },
		{ "duplicate JSON key", xstrdup("{\"id\": \"X-1\", \"id\": \"X-2\"}"), false,
		  "invalid JSON" },
		{ "duplicate YAML key", xstrdup("id: X-1\nid: X-2\n"), true, "" },
		{ "YAML alias bomb",
		  xstrdup("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a]\n"
			  "c: &c [*b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c]\n"
			  "id: X-1\n"),
		  true, "aliases are not allowed" },
		{ "YAML mapping as a key", xstrdup("? {a: b}\n: c\nid: X-1\n"), true,
		  "mapping key" },
		{ "YAML events with a list",
		  xstrdup("id: X-1\naffected:\n- package: {ecosystem: PyPI, name: a}\n"
			  "  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: [0]\n"),
		  true, "introduced is not a version" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hostile *h = &cases[i];
		struct qerr err = QERR_INIT;
		cleanup_free char *path = new_db_path();
		struct vdb *db;
		assert_ok(vdb_open(path, true, &db, &err), &err);
		struct vdb_import_stats st = { 0 };
		struct vdb_import *im = vdb_import_begin(db, "hostile", "osv", &err);
		assert_non_null(im);
		vdb_import_track(im, &st);
		if (import_osv_record(im, h->what, h->data, strlen(h->data), h->yaml, &err) < 0)
			fail_msg("%s: an error, not a warning: %s", h->what, err.msg);
		assert_ok(vdb_import_commit(im, &err), &err);
		if (st.skipped != 1 || st.advisories || st.affected ||
		    !has_warning(&st, h->what, h->warning)) {
			dump_warnings(&st);
			fail_msg("%s: skipped %llu, advisories %llu, affected %llu", h->what,
				 (unsigned long long)st.skipped, (unsigned long long)st.advisories,
				 (unsigned long long)st.affected);
		}
		assert_q("0", path, "SELECT count(*) FROM advisories");
		assert_q("0", path, "SELECT count(*) FROM affected");
		vdb_import_stats_release(&st);
		vdb_close(db);
		free(h->data);
	}
}

/* Edge cases that are not errors: event order, limit, summary fallbacks. */
static void t_semantics(void **state)
{
	(void)state;
	static const char rec[] =
		"{\"id\":\"X-1\",\"aliases\":[\"CVE-2099-1\",\"GHSA-x\"],"
		"\"details\":\"\\n  First line of details.  \\nSecond line.\","
		"\"severity\":[{\"type\":\"CVSS_V2\",\"score\":\"AV:N\"},"
		"{\"type\":\"CVSS_V4\",\"score\":\"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N\"}],"
		"\"database_specific\":{\"severity\":\"HIGH\"},"
		"\"affected\":["
		"{\"ranges\":[{\"type\":\"GIT\",\"repo\":\"r\",\"events\":[{\"introduced\":\"abc\"}]}]},"
		"{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"Foo_Bar..baz\"},"
		"\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"1.0\"},"
		"{\"introduced\":\"1.1\"},{\"limit\":\"1.5\"},{\"fixed\":\"9\"},"
		"{\"introduced\":\"2.0\"},{\"last_affected\":\"2.3\"},{\"introduced\":\"3.0\"}]}]}]}";
	struct qerr err = QERR_INIT;
	cleanup_free char *path = new_db_path();
	struct vdb *db;
	assert_ok(vdb_open(path, true, &db, &err), &err);
	struct vdb_import_stats st = { 0 };
	struct vdb_import *im = vdb_import_begin(db, "semantics", "osv", &err);
	vdb_import_track(im, &st);
	assert_ok(import_osv_record(im, "x", rec, strlen(rec), false, &err), &err);
	/* A summary of more than 500 characters is cut at 500 (UTF-8 aware). */
	cleanup_free char *longsum = repeat("\xc3\xa9", 600, "{\"id\":\"X-2\",\"summary\":\"", "\"}");
	assert_ok(import_osv_record(im, "y", longsum, strlen(longsum), false, &err), &err);
	assert_ok(vdb_import_commit(im, &err), &err);
	dump_warnings(&st);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(st.advisories, 2);
	assert_int_equal(st.affected, 3);
	assert_q("foo-bar-baz", path, "SELECT DISTINCT package FROM affected");
	assert_q("1.5", path, "SELECT fixed FROM affected WHERE introduced = '1.0'");
	assert_q("2.3", path, "SELECT last_affected FROM affected WHERE introduced = '2.0'");
	assert_q("1", path, "SELECT count(*) FROM affected WHERE introduced = '3.0' AND "
			    "fixed IS NULL AND last_affected IS NULL");
	assert_q("First line of details.", path, "SELECT summary FROM advisories WHERE id = 'X-1'");
	assert_q("CVE-2099-1 GHSA-x", path, "SELECT aliases FROM advisories WHERE id = 'X-1'");
	assert_q("HIGH", path, "SELECT severity FROM advisories WHERE id = 'X-1'");
	assert_q("1", path, "SELECT cvss_v3 IS NULL AND cvss_v4 LIKE 'CVSS:4.0/%%' FROM advisories "
			    "WHERE id = 'X-1'");
	assert_q("500", path, "SELECT length(summary) FROM advisories WHERE id = 'X-2'");
	vdb_import_stats_release(&st);
	vdb_close(db);
}

/* ---- directory walks ------------------------------------------------------------------ */

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void t_dir_walk(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	static const char rec[] = "{\"id\":\"%s\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
				  "\"name\":\"%s\"},\"versions\":[\"%s\"]}]}";
	cleanup_free char *root = xasprintf("%s/tree", tmp);
	cleanup_free char *outside = xasprintf("%s/outside", tmp);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(outside, 0755), 0);
	cleanup_free char *sub = xasprintf("%s/sub", root);
	cleanup_free char *hidden = xasprintf("%s/.git", root);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(mkdir(hidden, 0755), 0);
	char buf[512], p[512];
	/* Outside the tree, reached only through links. */
	snprintf(buf, sizeof(buf), rec, "OUT-1", "secret", "1.0.0");
	snprintf(p, sizeof(p), "%s/out.json", outside);
	write_text(p, buf);
	snprintf(p, sizeof(p), "%s/link.json", root);
	assert_int_equal(symlink("../outside/out.json", p), 0);
	snprintf(p, sizeof(p), "%s/linkdir", root);
	assert_int_equal(symlink("../outside", p), 0);
	/* Records; the same id twice: the first in sorted order ("a.json"). */
	snprintf(buf, sizeof(buf), rec, "T-1", "first", "1.0.0");
	snprintf(p, sizeof(p), "%s/a.json", root);
	write_text(p, buf);
	snprintf(buf, sizeof(buf), rec, "T-1", "second", "1.0.0");
	snprintf(p, sizeof(p), "%s/b.json", root);
	write_text(p, buf);
	snprintf(p, sizeof(p), "%s/c.yml", sub);
	write_text(p, "id: T-2\naffected:\n- package: {ecosystem: Go, name: example.com/m}\n"
		      "  versions: [v1.0.0]\n");
	snprintf(buf, sizeof(buf), rec, "T-3", "hidden", "1.0.0");
	snprintf(p, sizeof(p), "%s/x.json", hidden);
	write_text(p, buf);
	snprintf(p, sizeof(p), "%s/notes.txt", root);
	write_text(p, "not a record");
	snprintf(p, sizeof(p), "%s/pipe.json", root);
	assert_int_equal(mkfifo(p, 0644), 0);
	/* Over IMPORT_MAX_DOC (sparse: no disk used): skipped unread. */
	snprintf(p, sizeof(p), "%s/huge.json", sub);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)IMPORT_MAX_DOC + 1), 0);
	close(fd);

	cleanup_free char *path = new_db_path();
	struct vdb *db;
	assert_ok(vdb_open(path, true, &db, &err), &err);
	struct vdb_import_stats st = { 0 };
	struct vdb_import *im = vdb_import_begin(db, root, "osv-dir", &err);
	vdb_import_track(im, &st);
	assert_ok(import_osv_dir(im, root, &err), &err);
	assert_ok(vdb_import_commit(im, &err), &err);
	dump_warnings(&st);
	assert_int_equal(st.advisories, 2);
	assert_int_equal(st.skipped, 2);
	assert_true(has_warning(&st, "b.json", "already read"));
	assert_true(has_warning(&st, "huge.json", "larger than"));
	assert_q("first", path, "SELECT package FROM affected WHERE advisory = 'T-1'");
	assert_q("1", path, "SELECT count(*) FROM affected WHERE advisory = 'T-1'");
	assert_q("v1.0.0", path, "SELECT version FROM affected WHERE package = 'example.com/m'");
	assert_q("0", path, "SELECT count(*) FROM affected WHERE package IN ('secret', 'hidden')");
	vdb_import_stats_release(&st);

	/* Not a directory: an error. */
	im = vdb_import_begin(db, "nothing", "osv-dir", &err);
	assert_int_equal(import_osv_dir(im, "/nonexistent/quench", &err), -1);
	vdb_import_abort(im);
	vdb_close(db);
}

static int setup(void **state)
{
	(void)state;
	const char *d = getenv("QUENCH_TEST_DATA");
	if (!d)
		d = "tests/data";
	data_dir = xasprintf("%s/advisories/osv", d);
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	cleanup_free char *cmd = xasprintf("rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		return -1;
	free(data_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_dir),
		cmocka_unit_test(t_zip),
		cmocka_unit_test(t_hostile),
		cmocka_unit_test(t_semantics),
		cmocka_unit_test(t_dir_walk),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
