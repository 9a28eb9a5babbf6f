/* db update's pure parts: feed lists (files and NAME=URL), the defaults,
 * ages for humans, vdb_data_age, sources named by the caller, and a feed
 * that cannot be reached leaving nothing behind. The HTTP side (304s,
 * truncation, redirects) is tests/integration/db_update.sh, against a real
 * server. */
#include "vuln/vuln.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#define assert_ok(expr, err)                                                   \
	do {                                                                   \
		if ((expr) < 0)                                                \
			fail_msg("%s failed: %s", #expr, (err)->msg);          \
	} while (0)

static char dir[] = "/tmp/quench-update-XXXXXX";

static int parse(struct vdb_feeds *fl, const char *text, struct qerr *err)
{
	return vdb_feeds_parse(fl, text, strlen(text), "feeds.txt", err);
}

static void t_feeds_file(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	struct vdb_feeds fl = VDB_FEEDS_INIT;
	assert_ok(parse(&fl,
			"# mirrors\n"
			"\n"
			"debian-tracker https://mirror.example/tracker/json\n"
			"  osv-pypi\thttp://10.0.0.1:8080/PyPI/all.zip   # trailing comment\r\n"
			"alpine_3.19 https://mirror.example/v3.19/main.json?x=1",
			&err),
		  &err);
	assert_int_equal(fl.n, 3);
	assert_string_equal(fl.v[0].name, "debian-tracker");
	assert_string_equal(fl.v[0].url, "https://mirror.example/tracker/json");
	assert_string_equal(fl.v[1].name, "osv-pypi");
	assert_string_equal(fl.v[1].url, "http://10.0.0.1:8080/PyPI/all.zip");
	assert_string_equal(fl.v[2].url, "https://mirror.example/v3.19/main.json?x=1");
	/* A later --feed adds to the list; a name twice is refused. */
	assert_ok(vdb_feeds_parse_arg(&fl, "extra=https://e.example/a.json", &err), &err);
	assert_int_equal(fl.n, 4);
	assert_int_equal(vdb_feeds_parse_arg(&fl, "osv-pypi=https://e.example/b.zip", &err), -1);
	assert_string_equal(err.msg, "feed osv-pypi is given twice");
	vdb_feeds_release(&fl);
	assert_int_equal(fl.n, 0);
}

static void t_feeds_file_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "a https://x/y\nlonely\n", "feeds.txt:2: expected NAME URL" },
		{ "a https://x/y extra\n", "feeds.txt:1: expected NAME URL" },
		{ "\n\nb ftp://x/y\n", "feeds.txt:3: feed b: URL 'ftp://x/y' is not an http:// or https:// URL" },
		{ "../up https://x/y\n", "feeds.txt:1: feed name '../up': use letters, digits, '.', "
					 "'_' and '-' (at most 64, not starting with '.' or '-')" },
		{ "a/b https://x/y\n", NULL },
		{ ".hidden https://x/y\n", NULL },
		{ "-opt https://x/y\n", NULL },
		{ "a https://x/y#frag\n", NULL },
		{ "a https://x/y\na https://x/z\n", "feeds.txt:2: feed a is given twice" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct qerr err = QERR_INIT;
		struct vdb_feeds fl = VDB_FEEDS_INIT;
		if (parse(&fl, bad[i].text, &err) == 0)
			fail_msg("'%s' was accepted", bad[i].text);
		if (bad[i].msg)
			assert_string_equal(err.msg, bad[i].msg);
		else
			assert_true(strlen(err.msg) > 0);
		vdb_feeds_release(&fl);
	}
	/* A NUL byte: not a text file. */
	struct qerr err = QERR_INIT;
	struct vdb_feeds fl = VDB_FEEDS_INIT;
	assert_int_equal(vdb_feeds_parse(&fl, "a https://x\0/y\n", 14, "f", &err), -1);
	assert_string_equal(err.msg, "f: not a text file (NUL byte)");
	assert_int_equal(vdb_feeds_parse_arg(&fl, "no-equals-sign", &err), -1);
	assert_string_equal(err.msg, "feed 'no-equals-sign': expected NAME=URL");
	assert_int_equal(vdb_feeds_parse_arg(&fl, "=https://x/y", &err), -1);
	assert_int_equal(fl.n, 0);
	/* A URL with a space or a control character would break the request. */
	assert_int_equal(vdb_feeds_add(&fl, "a", "https://x/a b", &err), -1);
	assert_int_equal(vdb_feeds_add(&fl, "a", "https://x/a\r\nHost: y", &err), -1);
	vdb_feeds_release(&fl);
}

static void t_defaults(void **state)
{
	(void)state;
	struct vdb_feeds fl = VDB_FEEDS_INIT;
	vdb_feeds_default(&fl);
	assert_int_equal(fl.n, 11);
	bool tracker = false, oval = false, osv = false, alpine = false;
	for (size_t i = 0; i < fl.n; i++) {
		assert_true(str_starts_with(fl.v[i].url, "https://"));
		tracker |= !strcmp(fl.v[i].url, "https://security-tracker.debian.org/tracker/data/json");
		oval |= str_ends_with(fl.v[i].url, "oval-definitions-bookworm.xml.bz2");
		osv |= str_ends_with(fl.v[i].url, "/PyPI/all.zip");
		alpine |= !strcmp(fl.v[i].url, "https://secdb.alpinelinux.org/v3.19/main.json");
	}
	assert_true(tracker && oval && osv && alpine);
	vdb_feeds_release(&fl);
}

static void t_human_age(void **state)
{
	(void)state;
	char b[32];
	assert_string_equal(human_age(-5, b, sizeof(b)), "just now");
	assert_string_equal(human_age(59, b, sizeof(b)), "just now");
	assert_string_equal(human_age(60, b, sizeof(b)), "1 minute ago");
	assert_string_equal(human_age(3599, b, sizeof(b)), "59 minutes ago");
	assert_string_equal(human_age(7200, b, sizeof(b)), "2 hours ago");
	assert_string_equal(human_age(86400, b, sizeof(b)), "1 day ago");
	assert_string_equal(human_age(3 * 86400 + 5000, b, sizeof(b)), "3 days ago");
}

static void t_data_age_and_names(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	cleanup_free char *path = xasprintf("%s/age.db", dir);
	struct vdb *db;
	assert_ok(vdb_open(path, true, &db, &err), &err);
	int64_t age = 7;
	assert_int_equal(vdb_data_age(db, 1000, &age, &err), 0);   /* nothing imported */
	assert_int_equal(age, -1);

	/* A source named by the caller: the data file's name does not matter,
	 * and importing again under the same name replaces it. */
	const char *data = getenv("QUENCH_TEST_DATA");
	assert_non_null(data);
	cleanup_free char *a = xasprintf("%s/advisories/alpine-secdb/v3.19-main.json", data);
	cleanup_free char *b = xasprintf("%s/advisories/alpine-secdb/v3.19-community.json", data);
	struct vdb_import_stats st;
	assert_ok(vdb_import_path_as(db, a, "feed:alpine", &st, &err), &err);
	assert_string_equal(st.source, "feed:alpine");
	vdb_import_stats_release(&st);
	assert_ok(vdb_import_path_as(db, b, "feed:alpine", &st, &err), &err);
	uint64_t second = st.advisories;
	vdb_import_stats_release(&st);
	struct vdb_source *v;
	size_t n;
	assert_ok(vdb_sources(db, &v, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "feed:alpine");
	assert_int_equal(v[0].advisories, second);
	assert_int_equal(v[0].checked_at, 0);   /* imported, never fetched */
	assert_null(v[0].url);
	int64_t imported = v[0].imported_at;
	vdb_sources_free(v, n);

	assert_int_equal(vdb_data_age(db, imported + 3600, &age, &err), 1);
	assert_int_equal(age, 3600);
	assert_int_equal(vdb_data_age(db, imported - 10, &age, &err), 1);   /* clock behind */
	assert_int_equal(age, 0);
	vdb_close(db);
}

/* Newest record times as SQLite reads them, for db status's ages. */
static void t_newest_known(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	cleanup_free char *path = xasprintf("%s/newest.db", dir);
	struct vdb *db;
	assert_ok(vdb_open(path, true, &db, &err), &err);
	static const char *const times[] = { "2024-01-02T03:04:05.123456Z", "2024-01-02T05:04:05+02:00",
					     "not a time" };
	static const int64_t want[] = { 1704164645, 1704164645, 0 };
	for (size_t i = 0; i < ARRAY_SIZE(times); i++) {
		char name[16];
		snprintf(name, sizeof(name), "s%zu", i);
		struct vdb_import *im = vdb_import_begin(db, name, "osv", &err);
		assert_non_null(im);
		struct vdb_advisory adv = { .id = "X-1", .modified = times[i] };
		assert_ok(vdb_add_advisory(im, &adv, &err), &err);
		assert_ok(vdb_import_commit(im, &err), &err);
	}
	struct vdb_source *v;
	size_t n;
	assert_ok(vdb_sources(db, &v, &n, &err), &err);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(v[i].newest_known, want[i] != 0);
		if (want[i])
			assert_int_equal(v[i].newest_at, want[i]);
	}
	vdb_sources_free(v, n);
	vdb_close(db);
}

static size_t entries(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Port 1 on the loopback refuses at once: a failure names the reason, and
 * leaves neither a source nor a file. */
static void t_unreachable(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	cleanup_free char *path = xasprintf("%s/unreach.db", dir);
	cleanup_free char *feeds = xasprintf("%s/feeds", dir);
	struct vdb *db;
	assert_ok(vdb_open(path, true, &db, &err), &err);
	struct vdb_feed f = { .name = "down", .url = "http://127.0.0.1:1/main.json" };
	struct vdb_update_opts o = { .dir = feeds, .now = 1000, .connect_timeout_s = 5 };
	struct vdb_feed_result r;
	assert_int_equal(vdb_update_feed(db, &f, &o, &r, &err), -1);
	assert_int_equal(r.state, VDB_FEED_FAILED);
	assert_int_equal(r.previous_import, 0);
	assert_non_null(strstr(err.msg, "127.0.0.1"));
	vdb_feed_result_release(&r);
	cleanup_free char *fd = xasprintf("%s/down", feeds);
	assert_int_equal(entries(fd), 0);
	struct vdb_source *v;
	size_t n;
	assert_ok(vdb_sources(db, &v, &n, &err), &err);
	assert_int_equal(n, 0);
	vdb_sources_free(v, n);
	vdb_close(db);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	cleanup_free char *cmd = xasprintf("rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_feeds_file),
		cmocka_unit_test(t_feeds_file_errors),
		cmocka_unit_test(t_defaults),
		cmocka_unit_test(t_human_age),
		cmocka_unit_test(t_data_age_and_names),
		cmocka_unit_test(t_newest_known),
		cmocka_unit_test(t_unreachable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
