/* Distro advisory importers: the Debian Security Tracker's JSON, Debian
 * OVAL XML and Alpine's secdb, each imported into a real database and
 * checked with SQL against facts of the real data in tests/data/advisories
 * (the tracker sample, bookworm's OVAL of 2023-07-15, Alpine v3.19); then
 * hostile inputs: truncated, garbage, wrong types, invalid UTF-8, entity
 * expansion, external entities. */
#include "vuln/vuln.h"
#include "vuln/import/import_internal.h"

#include <fcntl.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#define assert_ok(expr, err)                                                   \
	do {                                                                   \
		if ((expr) < 0)                                                \
			fail_msg("%s failed: %s", #expr, (err)->msg);          \
	} while (0)

typedef int (*importer)(struct vdb_import *, const char *, struct qerr *);

static char dir[] = "/tmp/quench-distro-XXXXXX";
static int n_db;

static char *data_path(const char *rel)
{
	const char *d = getenv("QUENCH_TEST_DATA");
	return xasprintf("%s/advisories/%s", d ? d : "tests/data", rel);
}

/* A file in the temp dir with these bytes. */
static char *write_tmp(const char *name, const void *data, size_t len)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return p;
}

static char *write_str(const char *name, const char *s)
{
	return write_tmp(name, s, strlen(s));
}

/* Import `file` with fn into a new database; returns its path (the caller
 * frees), or NULL when the import failed (err says why). */
static char *import_into_new(importer fn, const char *file, struct vdb_import_stats *st,
			     struct qerr *err)
{
	char *path = xasprintf("%s/vuln-%d.db", dir, n_db++);
	struct vdb *db;
	if (vdb_open(path, true, &db, err) < 0)
		fail_msg("vdb_open: %s", err->msg);
	struct vdb_import *im = vdb_import_begin(db, file, "test", err);
	assert_non_null(im);
	memset(st, 0, sizeof(*st));
	vdb_import_track(im, st);
	int rc = fn(im, file, err);
	if (rc < 0)
		vdb_import_abort(im);
	else
		rc = vdb_import_commit(im, err);
	vdb_close(db);
	if (rc < 0) {
		free(path);
		return NULL;
	}
	return path;
}

static sqlite3_stmt *query(sqlite3 **db, const char *path, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(*db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(*db));
	return st;
}

static long long count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st = query(&db, path, sql);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* The row's columns joined with "|" (NULL as "-"), or NULL when no row; and
 * there must be at most one. */
static char *row(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st = query(&db, path, sql);
	char *out = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		struct strbuf sb = STRBUF_INIT;
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *v = sqlite3_column_text(st, i);
			strbuf_addf(&sb, "%s%s", i ? "|" : "", v ? (const char *)v : "-");
		}
		out = strbuf_detach(&sb);
		if (sqlite3_step(st) == SQLITE_ROW)
			fail_msg("%s: more than one row", sql);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

#define assert_row(path, expect, ...)                                          \
	do {                                                                   \
		char *sql_ = xasprintf(__VA_ARGS__);                           \
		char *got_ = row(path, sql_);                                  \
		if (!got_ || strcmp(got_, expect))                             \
			fail_msg("%s\n  got    %s\n  wanted %s", sql_,         \
				 got_ ? got_ : "(no row)", expect);            \
		free(got_);                                                    \
		free(sql_);                                                    \
	} while (0)

/* status|fixed|urgency of one affected row. */
#define AFF "SELECT status, fixed, urgency FROM affected WHERE "

static bool has_warning(const struct vdb_import_stats *st, const char *needle)
{
	for (size_t i = 0; i < st->warnings.n; i++)
		if (strstr(st->warnings.v[i], needle))
			return true;
	return false;
}

static void dump_warnings(const struct vdb_import_stats *st)
{
	for (size_t i = 0; i < st->warnings.n; i++)
		print_message("  warning: %s\n", st->warnings.v[i]);
}

/* ---- Debian tracker ------------------------------------------------------------ */

static void t_debian_ecosystem(void **state)
{
	(void)state;
	assert_string_equal(debian_ecosystem("bookworm"), "Debian:12");
	assert_string_equal(debian_ecosystem("bullseye"), "Debian:11");
	assert_string_equal(debian_ecosystem("wheezy"), "Debian:7");
	assert_string_equal(debian_ecosystem("trixie"), "Debian:13");
	assert_string_equal(debian_ecosystem("forky"), "Debian:14");
	assert_string_equal(debian_ecosystem("sid"), "Debian:sid");
	assert_null(debian_ecosystem("hamm"));
	assert_null(debian_ecosystem("Bookworm"));
	assert_null(debian_ecosystem("bookworm-security"));
	assert_null(debian_ecosystem(""));
	assert_null(debian_ecosystem(NULL));
}

static void t_tracker_sample(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	struct vdb_import_stats st;
	char *file = data_path("debian-tracker/tracker-sample.json");
	char *db = import_into_new(import_debian_tracker, file, &st, &err);
	if (!db)
		fail_msg("import: %s", err.msg);
	dump_warnings(&st);
	assert_int_equal(st.skipped, 0);
	/* 7 issues (chromium-browser's CVE-2022-0358 has an empty list of
	 * releases); 25 (issue, release) pairs. */
	assert_int_equal(count(db, "SELECT count(*) FROM advisories"), 7);
	assert_int_equal(st.advisories, 7);
	assert_int_equal(count(db, "SELECT count(*) FROM affected"), 25);
	assert_int_equal(st.affected, 25);
	assert_row(db, "resolved-fixed:1.6.0.2-1|high",
		   "SELECT 'resolved-fixed:' || fixed, urgency FROM affected WHERE advisory ="
		   " 'CVE-2008-7220' AND package = 'prototypejs' AND ecosystem = 'Debian:10'");
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE advisory = 'CVE-2008-7220'"
				   " AND status = 'affected' AND fixed = '1.6.0.2-1'"),
			 4);
	/* resolved with fixed_version "0": never affected; urgency kept. */
	assert_row(db, "not-affected|-|unimportant",
		   AFF "advisory = 'CVE-2007-2383' AND ecosystem = 'Debian:9'");
	assert_row(db, "affected|1.5.5-4.1|low",
		   AFF "advisory = 'CVE-2013-1444' AND ecosystem = 'Debian:8' AND package = 'txt2man'");
	assert_row(db, "affected|0.8-2|medium",
		   AFF "advisory = 'CVE-2005-3111' AND ecosystem = 'Debian:sid'"
		   " AND package = 'backupninja'");
	/* chromium: open in buster and stretch, which reached end-of-life. */
	assert_row(db, "end-of-life|-|end-of-life",
		   AFF "advisory = 'CVE-2022-0456' AND ecosystem = 'Debian:10'");
	assert_row(db, "end-of-life|-|end-of-life",
		   AFF "advisory = 'CVE-2022-0456' AND ecosystem = 'Debian:9'");
	/* "not yet assigned" is no urgency. */
	assert_row(db, "affected|98.0.4758.80-1~deb11u1|-",
		   AFF "advisory = 'CVE-2022-0456' AND ecosystem = 'Debian:11'");
	assert_row(db, "affected|98.0.4758.80-1|-",
		   AFF "advisory = 'CVE-2022-0456' AND ecosystem = 'Debian:12'");
	assert_row(db, "affected|5.8.0-1+deb12u1",
		   "SELECT status, fixed FROM affected WHERE advisory = 'CVE-2025-53603' AND"
		   " package = 'sope' AND ecosystem = 'Debian:12'");
	assert_row(db, "affected|5.12.1-2",
		   "SELECT status, fixed FROM affected WHERE advisory = 'CVE-2025-53603' AND"
		   " ecosystem = 'Debian:13'");
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE ecosystem = 'Debian:sid'"), 6);
	/* The description becomes the summary. */
	assert_row(db, "The handler code for backupninja 0.8 and earlier creates temporary files",
		   "SELECT substr(summary, 1, 72) FROM advisories WHERE id = 'CVE-2005-3111'");
	assert_row(db, "-", "SELECT summary FROM advisories WHERE id = 'CVE-2022-0456'");
	assert_int_equal(count(db, "SELECT count(*) FROM advisories WHERE id = 'CVE-2022-0358'"), 1);
	vdb_import_stats_release(&st);
	free(db);
	free(file);
}

static void t_tracker_statuses(void **state)
{
	(void)state;
	/* Every status the tracker writes, and what quench makes of it. */
	char long_desc[1200];
	memset(long_desc, 'x', sizeof(long_desc) - 1);
	long_desc[sizeof(long_desc) - 1] = 0;
	memcpy(long_desc + 499, "\xc3\xa9", 2);   /* an é across byte 500 */
	char *json = xasprintf(
		"{\"openssl\": {"
		" \"CVE-2024-0001\": {\"description\": \"%s\", \"releases\": {"
		"  \"bookworm\": {\"status\": \"open\", \"urgency\": \"low*\", \"nodsa\": \"Minor issue\","
		"                 \"nodsa_reason\": \"\"},"
		"  \"bullseye\": {\"status\": \"open\", \"urgency\": \"low\", \"nodsa\": \"x\","
		"                 \"nodsa_reason\": \"ignored\"},"
		"  \"buster\": {\"status\": \"open\", \"urgency\": \"medium\", \"nodsa\": \"x\","
		"               \"nodsa_reason\": \"postponed\"},"
		"  \"trixie\": {\"status\": \"open\", \"urgency\": \"unimportant\"},"
		"  \"sid\": {\"status\": \"open\", \"urgency\": \"high (unimportant)\"},"
		"  \"forky\": {\"status\": \"undetermined\", \"urgency\": \"not yet assigned\"},"
		"  \"hamm\": {\"status\": \"open\"},"
		"  \"stretch\": {\"status\": \"resolved\", \"fixed_version\": \"1:1.1.0l-1~deb9u1\","
		"                \"urgency\": \"high**\"},"
		"  \"jessie\": {\"status\": \"fixed-ish\"},"
		"  \"wheezy\": \"resolved\""
		" }},"
		" \"TEMP-0000000-A1B2C3\": {\"releases\": {\"hamm\": {\"status\": \"open\"},"
		"  \"bookworm\": {\"status\": \"open\"}}},"
		" \"CVE-2024-0002\": [1, 2],"
		" \"CVE-2024-0003\": {\"releases\": \"bookworm\"}"
		"},"
		" \"zlib\": 42,"
		" \"\\u00e9t\\u00e9\": {\"CVE-2024-0004\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
		"  \"fixed_version\": \"0\"}}}}"
		"}",
		long_desc);
	char *file = write_str("statuses.json", json);
	struct qerr err = QERR_INIT;
	struct vdb_import_stats st;
	char *db = import_into_new(import_debian_tracker, file, &st, &err);
	if (!db)
		fail_msg("import: %s", err.msg);
#undef q
#define q AFF "advisory = 'CVE-2024-0001' AND ecosystem = '%s'"
	assert_row(db, "no-dsa|-|low", q, "Debian:12");
	assert_row(db, "ignored|-|low", q, "Debian:11");
	assert_row(db, "postponed|-|medium", q, "Debian:10");
	assert_row(db, "unimportant|-|unimportant", q, "Debian:13");
	assert_row(db, "open|-|high", q, "Debian:sid");
	assert_row(db, "undetermined|-|-", q, "Debian:14");
	assert_row(db, "affected|1:1.1.0l-1~deb9u1|high", q, "Debian:9");
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE ecosystem = 'Debian:8'"), 0);
	assert_row(db, "open|openssl",
		   "SELECT status, package FROM affected WHERE advisory = 'TEMP-0000000-A1B2C3'");
	assert_row(db, "not-affected|\xc3\xa9t\xc3\xa9",
		   "SELECT status, package FROM affected WHERE advisory = 'CVE-2024-0004'");
	/* The summary is cut at 500 bytes, before a split UTF-8 sequence. */
	assert_int_equal(count(db, "SELECT length(CAST(summary AS BLOB)) FROM advisories"
				   " WHERE id = 'CVE-2024-0001'"),
			 499);
	/* hamm once (for two issues), jessie's status, wheezy's type, CVE-2024-0002,
	 * CVE-2024-0003, zlib. */
	dump_warnings(&st);
	assert_true(has_warning(&st, "'hamm'"));
	int hamm = 0;
	for (size_t i = 0; i < st.warnings.n; i++)
		hamm += strstr(st.warnings.v[i], "'hamm'") != NULL;
	assert_int_equal(hamm, 1);
	assert_true(has_warning(&st, "jessie"));
	assert_true(has_warning(&st, "wheezy"));
	assert_true(has_warning(&st, "CVE-2024-0002"));
	assert_true(has_warning(&st, "CVE-2024-0003"));
	assert_true(has_warning(&st, "'zlib'"));
	assert_int_equal(st.skipped, 6);
	vdb_import_stats_release(&st);
	free(db);
	free(file);
	free(json);
}

static void t_tracker_hostile(void **state)
{
	(void)state;
	static const struct {
		const char *name, *doc;
		bool ok;          /* imports (maybe with warnings) */
		long long rows;   /* affected rows when ok */
	} cases[] = {
		{ "empty", "", false, 0 },
		{ "space", "  \n", false, 0 },
		{ "array", "[{\"a\": 1}]", false, 0 },
		{ "string", "\"x\"", false, 0 },
		{ "empty-object", " {} ", true, 0 },
		{ "truncated-key", "{\"openssl", false, 0 },
		{ "truncated-value",
		  "{\"a\": {\"CVE-1\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}}},"
		  " \"b\": {\"CVE-2\": {\"releases\": {", false, 0 },
		{ "truncated-after", "{\"a\": {}", false, 0 },
		{ "no-colon", "{\"a\" {}}", false, 0 },
		{ "trailing", "{\"a\": {}} x", false, 0 },
		{ "trailing-comma", "{\"a\": {},}", false, 0 },
		{ "garbage", "\x89PNG\r\n\x1a\n\0\0\0", false, 0 },
		{ "bad-member",   /* a broken package is skipped; the next is read */
		  "{\"a\": {\"CVE-1\": {\"releases\": {\"bookworm\": {\"status\": \"open\",}}}},"
		  " \"b\": {\"CVE-2\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}}}}",
		  true, 1 },
		{ "bad-utf8",
		  "{\"a\xff\": {\"CVE-1\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}}},"
		  " \"b\": {\"CVE-2\": {\"description\": \"\xc3\x28\", \"releases\": {}}},"
		  " \"c\": {\"CVE-3\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}}}}",
		  true, 1 },
		{ "nul-name",
		  "{\"a\\u0000b\": {\"CVE-1\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}}}}",
		  true, 0 },
		{ "duplicate",
		  "{\"a\": {\"CVE-1\": {}, \"CVE-1\": {}}, \"b\": {\"CVE-2\": {\"releases\":"
		  " {\"bookworm\": {\"status\": \"resolved\", \"fixed_version\": 7}}}}}",
		  true, 0 },
		{ "types",
		  "{\"a\": null, \"b\": [], \"c\": {\"CVE-1\": null, \"\": {},"
		  " \"CVE-2\": {\"description\": 5, \"releases\": {\"bookworm\": {\"status\": 1,"
		  " \"urgency\": [\"high\"]}, \"sid\": {\"status\": \"resolved\"}, \"bullseye\":"
		  " {\"status\": \"open\", \"urgency\": {}, \"nodsa\": null}}}}}",
		  true, 1 },
		{ "deep", NULL, true, 0 },
		{ "string-escapes", "{\"a\\\"}\": {\"CVE-\\\"1\": {\"releases\": {\"bookworm\":"
		  " {\"status\": \"open\", \"urgency\": \"}}}\\\\\"}}}}}", true, 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *doc;
		if (cases[i].doc) {
			doc = xstrdup(cases[i].doc);
		} else {   /* nesting far past jansson's limit inside one package */
			struct strbuf sb = STRBUF_INIT;
			strbuf_adds(&sb, "{\"a\": ");
			for (int k = 0; k < 100000; k++)
				strbuf_addc(&sb, '[');
			for (int k = 0; k < 100000; k++)
				strbuf_addc(&sb, ']');
			strbuf_adds(&sb, "}");
			doc = strbuf_detach(&sb);
		}
		char *name = xasprintf("tracker-%s.json", cases[i].name);
		bool garbage = !strcmp(cases[i].name, "garbage");   /* has NUL bytes */
		char *file = write_tmp(name, garbage ? cases[i].doc : doc, garbage ? 11 : strlen(doc));
		struct qerr err = QERR_INIT;
		struct vdb_import_stats st;
		char *db = import_into_new(import_debian_tracker, file, &st, &err);
		if (cases[i].ok != (db != NULL))
			fail_msg("%s: %s (%s)", cases[i].name, db ? "imported" : "failed", err.msg);
		if (db)
			assert_int_equal(count(db, "SELECT count(*) FROM affected"), cases[i].rows);
		else
			assert_non_null(strstr(err.msg, file));
		vdb_import_stats_release(&st);
		free(db);
		free(file);
		free(name);
		free(doc);
	}
}

/* ---- Debian OVAL ------------------------------------------------------------------ */

static void t_oval_bookworm(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	struct vdb_import_stats st;
	char *file = data_path("debian-oval/oval-definitions-bookworm-2023-07-15.xml.bz2");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char *db = import_into_new(import_debian_oval, file, &st, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!db)
		fail_msg("import: %s", err.msg);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("bookworm OVAL: 25,932 definitions in %.2f s (%.0f definitions/s)\n", s,
		      25932 / s);
	dump_warnings(&st);
	assert_int_equal(st.skipped, 0);
	/* 25,906 vulnerability definitions (the 26 DSA "patch" ones repeat them),
	 * 24,110 CVEs, one package each; 1,533 with no fix ("less than 0:0"). */
	assert_int_equal(count(db, "SELECT count(*) FROM affected"), 25906);
	assert_int_equal(count(db, "SELECT count(DISTINCT advisory) FROM affected"), 24110);
	assert_int_equal(count(db, "SELECT count(*) FROM advisories"), 24110);
	assert_int_equal(st.advisories, 24110);
	assert_int_equal(st.affected, 25906);
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE status = 'open'"), 1533);
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE status = 'affected'"),
			 25906 - 1533);
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE ecosystem != 'Debian:12'"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE fixed LIKE '0:%'"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE status = 'open' AND"
				   " package = 'linux'"),
			 94);
#undef q
#define q "SELECT package, status, fixed FROM affected WHERE advisory = '%s'"
	assert_row(db, "openssl|affected|3.0.8-1", q, "CVE-2023-0286");
	assert_row(db, "sudo|affected|1.9.5p1-1.1", q, "CVE-2021-3156");
	assert_row(db, "apache-log4j2|affected|2.15.0-1", q, "CVE-2021-44228");
	/* A non-zero epoch is kept. */
	assert_row(db, "openssh|affected|1:3.9p1-1", q, "CVE-2000-0992");
	/* Unfixed in bookworm in July 2023. */
	assert_row(db, "tar|open|-", q, "CVE-2005-2541");
	assert_row(db, "linux|open|-", q, "CVE-2023-37453");
	assert_row(db, "manual/search.texi in the GNU C Library (aka glibc) before 2.2 lacks",
		   "SELECT substr(summary, 1, 68) FROM advisories WHERE id = 'CVE-1999-0199'");
	assert_int_equal(count(db, "SELECT max(length(summary)) FROM advisories"), 500);
	assert_int_equal(count(db, "SELECT count(*) FROM advisories WHERE id LIKE 'DSA-%'"), 0);
	vdb_import_stats_release(&st);
	free(db);
	free(file);
}

#define OVAL_HEAD                                                                          \
	"<?xml version='1.0' encoding='UTF-8'?>\n"                                         \
	"<oval_definitions xmlns=\"http://oval.mitre.org/XMLSchema/oval-definitions-5\""   \
	" xmlns:linux-def=\"http://oval.mitre.org/XMLSchema/oval-definitions-5#linux\">\n"
#define OVAL_DEF(id, title, platform, tst)                                                 \
	"<definition id=\"" id "\" class=\"vulnerability\"><metadata><title>" title        \
	"</title><affected family=\"unix\"><platform>" platform "</platform></affected>"   \
	"<description>d</description></metadata><criteria>"                                \
	"<criterion test_ref=\"tst:1\"/><criterion test_ref=\"" tst "\"/></criteria>"      \
	"</definition>\n"
#define OVAL_TEST(id, obj, ste)                                                            \
	"<dpkginfo_test xmlns=\"http://oval.mitre.org/XMLSchema/oval-definitions-5#linux\"" \
	" id=\"" id "\"><object object_ref=\"" obj "\"/><state state_ref=\"" ste "\"/>"    \
	"</dpkginfo_test>\n"
#define OVAL_OBJ(id, name)                                                                 \
	"<dpkginfo_object xmlns=\"http://oval.mitre.org/XMLSchema/oval-definitions-5#linux\"" \
	" id=\"" id "\"><name>" name "</name></dpkginfo_object>\n"
#define OVAL_STE(id, op, evr)                                                              \
	"<dpkginfo_state xmlns=\"http://oval.mitre.org/XMLSchema/oval-definitions-5#linux\"" \
	" id=\"" id "\"><evr datatype=\"debian_evr_string\" operation=\"" op "\">" evr     \
	"</evr></dpkginfo_state>\n"

static const char oval_small[] =
	OVAL_HEAD "<definitions>\n"
	OVAL_DEF("def:1", "CVE-2024-1000 zlib", "Debian GNU/Linux 12", "tst:10")
	OVAL_DEF("def:2", "CVE-2024-2000 curl", "Debian GNU/Linux 11", "tst:11")
	OVAL_DEF("def:3", "Something else", "Debian GNU/Linux 12", "tst:12")
	OVAL_DEF("def:4", "CVE-2024-4000 x", "Ubuntu 22.04", "tst:10")
	OVAL_DEF("def:5", "CVE-2024-5000 y", "Debian GNU/Linux 12", "tst:13")
	OVAL_DEF("def:6", "CVE-2024-6000 y", "Debian GNU/Linux 12", "tst:99")
	"<definition id=\"def:7\" class=\"vulnerability\"><metadata><title>see refs</title>"
	"<affected><platform>Debian GNU/Linux 12</platform></affected>"
	"<reference source=\"DSA\" ref_id=\"DSA-1-1\"/>"
	"<reference source=\"CVE\" ref_id=\"CVE-2024-7000\"/>"
	"<description><![CDATA[cdata & text]]> and &amp; more</description></metadata>"
	"<criteria><criterion test_ref=\"tst:14\"/></criteria></definition>\n"
	"<definition id=\"def:8\" class=\"patch\"><metadata><title>DSA-9-1 x</title>"
	"</metadata><criteria><criterion test_ref=\"tst:10\"/></criteria></definition>\n"
	"</definitions>\n<tests>\n"
	OVAL_TEST("tst:10", "obj:1", "ste:1")
	OVAL_TEST("tst:11", "obj:2", "ste:2")
	OVAL_TEST("tst:12", "obj:1", "ste:1")
	OVAL_TEST("tst:13", "obj:1", "ste:3")
	OVAL_TEST("tst:14", "obj:2", "ste:4")
	"</tests>\n<objects>\n"
	OVAL_OBJ("obj:1", " zlib ")
	OVAL_OBJ("obj:2", "curl")
	"</objects>\n<states>\n"
	OVAL_STE("ste:1", "less than", "1:1.2.13.dfsg-1")
	OVAL_STE("ste:2", "less than", "0:7.74.0-1.3+deb11u8")
	OVAL_STE("ste:3", "greater than", "0:1")
	OVAL_STE("ste:4", "less than", "0:0")
	"</states>\n</oval_definitions>\n";

static void t_oval_small(void **state)
{
	(void)state;
	char *file = write_str("small.xml", oval_small);
	struct qerr err = QERR_INIT;
	struct vdb_import_stats st;
	char *db = import_into_new(import_debian_oval, file, &st, &err);
	if (!db)
		fail_msg("import: %s", err.msg);
	dump_warnings(&st);
#undef q
#define q "SELECT ecosystem, package, status, fixed FROM affected WHERE advisory = '%s'"
	assert_row(db, "Debian:12|zlib|affected|1:1.2.13.dfsg-1", q, "CVE-2024-1000");
	assert_row(db, "Debian:11|curl|affected|7.74.0-1.3+deb11u8", q, "CVE-2024-2000");
	assert_row(db, "Debian:12|curl|open|-", q, "CVE-2024-7000");
	assert_row(db, "cdata & text and & more",
		   "SELECT summary FROM advisories WHERE id = 'CVE-2024-7000'");
	assert_int_equal(count(db, "SELECT count(*) FROM affected"), 3);
	/* def:3 (no CVE), def:4 (Ubuntu), def:5 (greater than), def:6 (no test). */
	assert_true(has_warning(&st, "def:3"));
	assert_true(has_warning(&st, "def:4"));
	assert_true(has_warning(&st, "CVE-2024-5000"));
	assert_true(has_warning(&st, "CVE-2024-6000"));
	assert_int_equal(st.skipped, 5);   /* CVE-2024-5000 twice: its state, no row */
	vdb_import_stats_release(&st);
	free(db);
	free(file);
}

/* The same document gzip-compressed reads the same. */
static void t_oval_gzip(void **state)
{
	(void)state;
	char *file = write_str("small-gz.xml", oval_small);
	char *cmd = xasprintf("gzip -f '%s'", file);
	if (system(cmd) != 0)
		skip();
	char *gz = xasprintf("%s.gz", file);
	struct qerr err = QERR_INIT;
	struct vdb_import_stats st;
	char *db = import_into_new(import_debian_oval, gz, &st, &err);
	if (!db)
		fail_msg("import: %s", err.msg);
	assert_int_equal(count(db, "SELECT count(*) FROM affected"), 3);
	vdb_import_stats_release(&st);
	free(db);
	free(gz);
	free(cmd);
	free(file);
}

static void t_oval_hostile(void **state)
{
	(void)state;
	char *secret = write_str("secret.txt", "TOPSECRET");
	char *xxe = xasprintf(
		"<?xml version='1.0'?>\n<!DOCTYPE d [<!ENTITY x SYSTEM \"file://%s\">]>\n"
		"<oval_definitions><definitions><definition id=\"d\" class=\"vulnerability\">"
		"<metadata><title>CVE-2024-1 &x;</title><platform>Debian GNU/Linux 12</platform>"
		"<description>&x;</description></metadata><criteria><criterion test_ref=\"t\"/>"
		"</criteria></definition></definitions><tests>" OVAL_TEST("t", "o", "s")
		"</tests><objects>" OVAL_OBJ("o", "p&x;") "</objects><states>"
		OVAL_STE("s", "less than", "0:1&x;") "</states></oval_definitions>",
		secret);
	struct strbuf laughs = STRBUF_INIT;
	strbuf_adds(&laughs, "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
	for (int i = 1; i < 10; i++) {
		strbuf_addf(&laughs, "<!ENTITY lol%d \"", i);
		for (int k = 0; k < 10; k++)
			if (i == 1)
				strbuf_adds(&laughs, "&lol;");
			else
				strbuf_addf(&laughs, "&lol%d;", i - 1);
		strbuf_adds(&laughs, "\">\n");
	}
	strbuf_adds(&laughs, "]>\n<oval_definitions><definitions><definition id=\"d\""
			     " class=\"vulnerability\"><metadata><title>CVE-2024-2 &lol9;</title>"
			     "<description>&lol9;</description><platform>Debian GNU/Linux 12"
			     "</platform></metadata></definition></definitions></oval_definitions>");
	struct strbuf deep = STRBUF_INIT;
	strbuf_adds(&deep, "<oval_definitions>");
	for (int i = 0; i < 100000; i++)
		strbuf_adds(&deep, "<a>");
	char truncated[sizeof(oval_small) / 2];
	memcpy(truncated, oval_small, sizeof(truncated) - 1);
	truncated[sizeof(truncated) - 1] = 0;
	char *bad_utf8 = xstrdup(oval_small);
	*strstr(bad_utf8, "zlib") = (char)0xff;
	const struct {
		const char *name, *doc;
		bool ok;
		long long rows;
	} cases[] = {
		{ "empty", "", false, 0 },
		{ "garbage", "\x42\x5a\x68\x39garbage, not bzip2", false, 0 },
		{ "not-xml", "{\"json\": true}", false, 0 },
		{ "no-oval", "<?xml version='1.0'?><html><body/></html>", false, 0 },
		{ "truncated", truncated, false, 0 },
		{ "bad-utf8", bad_utf8, false, 0 },
		{ "xxe", xxe, true, 1 },
		{ "laughs", laughs.buf, false, 0 },   /* libxml2: "entity reference loop" */
		{ "deep", deep.buf, false, 0 },
		{ "empty-elements",
		  "<oval_definitions><definitions><definition/><definition class=\"vulnerability\"/>"
		  "<definition id=\"x\" class=\"vulnerability\"><metadata><title/><platform/>"
		  "</metadata><criteria><criterion/></criteria></definition></definitions><tests>"
		  "<dpkginfo_test id=\"t\"/><dpkginfo_test id=\"u\"><object/><state/></dpkginfo_test>"
		  "<dpkginfo_test id=\"u\"></dpkginfo_test></tests><objects><dpkginfo_object"
		  " id=\"o\"><name/></dpkginfo_object></objects><states><dpkginfo_state id=\"s\">"
		  "<evr/></dpkginfo_state></states></oval_definitions>", true, 0 },
		{ "nested",
		  "<oval_definitions><definitions><definition id=\"a\" class=\"vulnerability\">"
		  "<metadata><title>CVE-2024-3 <b>bold</b></title><platform>Debian GNU/Linux 12"
		  "</platform></metadata><definition id=\"b\" class=\"vulnerability\"/>"
		  "<criteria><criterion test_ref=\"t\"/></criteria></definition></definitions>"
		  "<tests>" OVAL_TEST("t", "o", "s") "</tests><objects>" OVAL_OBJ("o", "pkg name")
		  OVAL_OBJ("o", "dup") "</objects><states>" OVAL_STE("s", "less than", "0:")
		  "</states></oval_definitions>", true, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *name = xasprintf("oval-%s.xml", cases[i].name);
		char *file = write_str(name, cases[i].doc);
		struct qerr err = QERR_INIT;
		struct vdb_import_stats st;
		char *db = import_into_new(import_debian_oval, file, &st, &err);
		if (cases[i].ok != (db != NULL))
			fail_msg("%s: %s (%s)", cases[i].name, db ? "imported" : "failed", err.msg);
		if (db) {
			assert_int_equal(count(db, "SELECT count(*) FROM affected"), cases[i].rows);
			/* No entity was ever substituted: no secret, no laughs. */
			assert_int_equal(count(db, "SELECT count(*) FROM advisories WHERE"
						   " summary LIKE '%TOPSECRET%' OR summary LIKE '%lol%'"),
					 0);
			assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE"
						   " package LIKE '%TOPSECRET%' OR fixed LIKE '%TOP%'"),
					 0);
		} else {
			assert_non_null(strstr(err.msg, file));
		}
		if (!strcmp(cases[i].name, "xxe"))
			assert_row(db, "p|affected|1", "SELECT package, status, fixed FROM affected");
		vdb_import_stats_release(&st);
		free(db);
		free(file);
		free(name);
	}
	free(bad_utf8);
	strbuf_release(&deep);
	strbuf_release(&laughs);
	free(xxe);
	free(secret);
}

/* ---- Alpine secdb ------------------------------------------------------------------ */

static void t_alpine_real(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	struct vdb_import_stats st;
	char *file = data_path("alpine-secdb/v3.19-main.json");
	char *db = import_into_new(import_alpine_secdb, file, &st, &err);
	if (!db)
		fail_msg("import: %s", err.msg);
	dump_warnings(&st);
	/* linux-lts 6.6.13-r0 lists "CVE-46838", which is no id. */
	assert_int_equal(st.skipped, 1);
	assert_true(has_warning(&st, "CVE-46838"));
	assert_int_equal(count(db, "SELECT count(*) FROM affected"), 2581);
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE status = 'not-affected'"), 45);
	assert_int_equal(count(db, "SELECT count(DISTINCT advisory) FROM affected"), 2497);
	assert_int_equal(st.advisories, 2497);
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE ecosystem != 'Alpine:v3.19'"),
			 0);
#undef q
#define q "SELECT status, fixed FROM affected WHERE advisory = '%s' AND package = '%s'"
	assert_row(db, "affected|3.1.4-r1", q, "CVE-2023-5678", "openssl");
	assert_row(db, "affected|3.1.4-r5", q, "CVE-2024-0727", "openssl");
	assert_row(db, "not-affected|-", q, "CVE-2022-1292", "openssl");
	assert_row(db, "not-affected|-", q, "CVE-2021-42373", "busybox");
	assert_row(db, "affected|1.57.0-r0", q, "CVE-2023-44487", "nghttp2");
	assert_row(db, "not-affected|-", q, "CVE-2023-44487", "nodejs");
	assert_row(db, "affected|4.10.0-r1", q, "XSA-248", "xen");
	/* "CVE-2021-27219 GHSL-2021-045": the CVE, with the other id an alias. */
	assert_row(db, "affected|2.66.6-r0", q, "CVE-2021-27219", "glib");
	assert_row(db, "GHSL-2021-045", "SELECT aliases FROM advisories WHERE id = 'CVE-2021-27219'");
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE advisory LIKE 'GHSL%'"), 0);
	vdb_import_stats_release(&st);
	free(db);
	free(file);

	file = data_path("alpine-secdb/v3.19-community.json");
	db = import_into_new(import_alpine_secdb, file, &st, &err);
	if (!db)
		fail_msg("import: %s", err.msg);
	dump_warnings(&st);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(count(db, "SELECT count(*) FROM affected"), 5202);
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE status = 'not-affected'"), 16);
	assert_row(db, "affected|1.9.5_p2-r0", q, "CVE-2021-3156", "sudo");
	assert_row(db, "affected|1.21.3-r0", q, "CVE-2023-44487", "go");
	assert_row(db, "not-affected|-", q, "CVE-2023-44487", "nodejs-current");
	assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE advisory = 'CVE-2023-44487'"
				   " AND package = 'dotnet6-runtime'"),
			 2);
	vdb_import_stats_release(&st);
	free(db);
	free(file);
}

static void t_alpine_hostile(void **state)
{
	(void)state;
	static const struct {
		const char *name, *doc;
		bool ok;
		long long rows;
		int warnings;
	} cases[] = {
		{ "empty", "", false, 0, 0 },
		{ "array", "[]", false, 0, 0 },
		{ "no-version", "{\"packages\": []}", false, 0, 0 },
		{ "bad-version", "{\"distroversion\": \"v3.19 x\", \"packages\": []}", false, 0, 0 },
		{ "version-type", "{\"distroversion\": 3.19, \"packages\": []}", false, 0, 0 },
		{ "no-packages", "{\"distroversion\": \"v3.19\"}", false, 0, 0 },
		{ "packages-type", "{\"distroversion\": \"v3.19\", \"packages\": {}}", false, 0, 0 },
		{ "truncated", "{\"distroversion\": \"v3.19\", \"packages\": [{\"pkg\": {\"name\": \"a\"",
		  false, 0, 0 },
		{ "bad-utf8", "{\"distroversion\": \"v3.19\", \"packages\": [{\"pkg\": {\"name\":"
			      " \"a\xff\", \"secfixes\": {}}}]}", false, 0, 0 },
		{ "types",
		  "{\"distroversion\": \"v3.19\", \"packages\": [1, null, {\"pkg\": 1},"
		  " {\"pkg\": {\"name\": 1, \"secfixes\": {}}}, {\"pkg\": {\"name\": \"\", \"secfixes\": {}}},"
		  " {\"pkg\": {\"name\": \"a\", \"secfixes\": []}},"
		  " {\"pkg\": {\"name\": \"b\", \"secfixes\": {\"1.0-r0\": \"CVE-2024-1001\","
		  "  \"2.0-r0\": [1, null, \"\", \"nothing here\", \"CVE-2024-1002 (text)\","
		  "   \"cve-2024-3 CVE-2024-1004, CVE-2024-1005\"], \"\": [\"CVE-2024-1006\"],"
		  "   \"0\": [\"GHSA-aaaa-bbbb-cccc RUSTSEC-2020-0146\"]}}}]}",
		  true, 5, 12 },
		{ "edge", "{\"distroversion\": \"edge\", \"packages\": [{\"pkg\": {\"name\": \"c\","
			  " \"secfixes\": {\"1-r0\": [\"CVE-2024-1007\"]}}}]}", true, 1, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *name = xasprintf("alpine-%s.json", cases[i].name);
		char *file = write_str(name, cases[i].doc);
		struct qerr err = QERR_INIT;
		struct vdb_import_stats st;
		char *db = import_into_new(import_alpine_secdb, file, &st, &err);
		if (cases[i].ok != (db != NULL))
			fail_msg("%s: %s (%s)", cases[i].name, db ? "imported" : "failed", err.msg);
		if (db) {
			assert_int_equal(count(db, "SELECT count(*) FROM affected"), cases[i].rows);
			if ((int)st.skipped != cases[i].warnings) {
				dump_warnings(&st);
				fail_msg("%s: %d warnings, wanted %d", cases[i].name, (int)st.skipped,
					 cases[i].warnings);
			}
		}
		if (!strcmp(cases[i].name, "types")) {
			assert_row(db, "affected|2.0-r0",
				   "SELECT status, fixed FROM affected WHERE advisory = 'CVE-2024-1002'");
			assert_int_equal(count(db, "SELECT count(*) FROM affected WHERE advisory IN"
						   " ('CVE-2024-1004', 'CVE-2024-1005')"),
					 2);
			assert_row(db, "not-affected|b",
				   "SELECT status, package FROM affected WHERE advisory ="
				   " 'GHSA-aaaa-bbbb-cccc'");
			assert_row(db, "not-affected",
				   "SELECT status FROM affected WHERE advisory = 'RUSTSEC-2020-0146'");
		}
		if (!strcmp(cases[i].name, "edge"))
			assert_row(db, "Alpine:edge", "SELECT ecosystem FROM affected");
		vdb_import_stats_release(&st);
		free(db);
		free(file);
		free(name);
	}
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_debian_ecosystem),
		cmocka_unit_test(t_tracker_sample),
		cmocka_unit_test(t_tracker_statuses),
		cmocka_unit_test(t_tracker_hostile),
		cmocka_unit_test(t_oval_bookworm),
		cmocka_unit_test(t_oval_small),
		cmocka_unit_test(t_oval_gzip),
		cmocka_unit_test(t_oval_hostile),
		cmocka_unit_test(t_alpine_real),
		cmocka_unit_test(t_alpine_hostile),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
