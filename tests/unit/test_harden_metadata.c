/* harden: truthful apk and rpm databases. Roots are built from the real
 * databases in tests/data/catalog (apk's installed file, rpm's SQLite and
 * Berkeley DB files written by rpm itself), with a file for every file
 * they list; the root is imported as an image and cataloged, a workload's
 * profile picks files of some packages, and the rewritten databases are
 * read back with the catalog's own parsers (and rpm's, where the host has
 * it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "catalog/catalog_internal.h"
#include "harden/harden_internal.h"
#include "image/image.h"
#include "stage_dirs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* ---- helpers ------------------------------------------------------------- */

static void sh(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
	free(cmd);
}

static char *read_at(const char *base, const char *rel, size_t *len)
{
	assert_non_null(base);   /* QUENCH_TEST_DATA, set by meson test */
	char *path = xasprintf("%s/%s", base, rel);
	struct qerr err = QERR_INIT;
	char *data;
	if (read_file_at(AT_FDCWD, path, 64u << 20, &data, len, &err) < 0)
		fail_msg("%s", err.msg);
	free(path);
	return data;
}

static void put(const char *rel, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", root, rel);
	char *slash = strrchr(path, '/');
	*slash = 0;
	sh("mkdir -p '%s'", path);
	*slash = '/';
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void put_str(const char *rel, const char *text)
{
	put(rel, text, strlen(text));
}

typedef void (*collect_fn)(struct catalog *, const struct cat_input *);

/* The catalog's parser alone on one database's bytes. */
static struct catalog *parse_db(collect_fn fn, const char *path, const char *data, size_t len)
{
	struct cat_blob b = { .path = xstrdup(path), .data = xmalloc(len + 1), .len = len };
	memcpy(b.data, data, len);
	b.data[len] = 0;
	struct catalog *c = xcalloc(1, sizeof(*c));
	struct cat_input in = { &b, 1 };
	fn(c, &in);
	free(b.path);
	free(b.data);
	return c;
}

/* A file for every file the database lists (its content: the path). */
static void put_files(collect_fn fn, const char *db_path, const char *data, size_t len)
{
	struct catalog *c = parse_db(fn, db_path, data, len);
	for (size_t i = 0; i < c->n_pkgs; i++)
		for (size_t f = 0; f < c->pkgs[i].files.n; f++) {
			char *p = xasprintf("%s/%s", root, c->pkgs[i].files.v[f]);
			struct stat sb;
			bool is_dir = stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
			free(p);
			/* a directory a package lists is made by its files */
			bool parent = false;
			for (size_t j = 0; j < c->n_pkgs && !parent; j++)
				for (size_t g = 0; g < c->pkgs[j].files.n && !parent; g++) {
					const char *o = c->pkgs[j].files.v[g];
					size_t n = strlen(c->pkgs[i].files.v[f]);
					parent = !strncmp(o, c->pkgs[i].files.v[f], n) && o[n] == '/';
				}
			if (!is_dir && !parent)
				put_str(c->pkgs[i].files.v[f], c->pkgs[i].files.v[f]);
		}
	catalog_free(c);
}

/* The root, imported as an image, cataloged as quench catalogs images. */
static struct catalog *catalog_root(void)
{
	sh("rm -rf '%s/img' '%s' && mkdir -p '%s' '%s/tmp'", dir, stage, stage, root);
	struct catalog_opts co = { .threads = 1, .no_elf = true };
	return stage_dirs_catalog(&co);
}

/* Keep set (as harden computes it from a profile that used paths), staged,
 * metadata rewritten. */
static size_t harden_paths(const struct catalog *c, const char *const *paths, size_t n,
			   struct strvec *warnings)
{
	json_t *files = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(files, json_pack("{s:s, s:[s]}", "path", paths[i], "uses",
						       "read"));
	json_t *rbom = json_pack("{s:o, s:[]}", "files", files, "syscalls");
	struct harden_opts o = { .uid = 0, .gid = 0 };
	struct strvec keep = STRVEC_INIT;
	struct qerr err = QERR_INIT;
	struct harden_stats st;
	size_t kept;
	if (harden_keep_set(root, c, rbom, &o, &keep, &err) < 0 ||
	    harden_stage(root, &keep, stage, rbom, &o, &st, &err) < 0 ||
	    harden_package_metadata(root, c, &keep, stage, &kept, warnings, &err) < 0)
		fail_msg("%s", err.msg);
	strvec_clear(&keep);
	json_decref(rbom);
	return kept;
}

static const struct cat_pkg *find(const struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (!strcmp(c->pkgs[i].name, name))
			return &c->pkgs[i];
	return NULL;
}

/* The names of c's packages of type t, sorted, space separated. */
static char *names(const struct catalog *c, enum pkg_type t)
{
	struct strvec v = STRVEC_INIT;
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (c->pkgs[i].type == t)
			strvec_push(&v, c->pkgs[i].name);
	strvec_sort(&v);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < v.n; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", v.v[i]);
	strvec_clear(&v);
	return strbuf_detach(&sb);
}

static bool exists(const char *base, const char *rel)
{
	char *p = xasprintf("%s/%s", base, rel);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

/* ---- apk ----------------------------------------------------------------- */

#define APK_DB "lib/apk/db/installed"

static char *apk_root(size_t *len)
{
	sh("rm -rf '%s' && mkdir -p '%s'", root, root);
	char *src = read_at(getenv("QUENCH_TEST_DATA"), "catalog/apk/installed", len);
	put(APK_DB, src, *len);
	put_files(apk_collect, APK_DB, src, *len);
	put_str("etc/alpine-release", "3.19.1\n");
	put_str("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n");
	return src;
}

static void t_apk_kept_records(void **state)
{
	(void)state;
	size_t len;
	char *src = apk_root(&len);
	struct catalog *c = catalog_root();
	cleanup_free char *before = names(c, PKG_APK);
	assert_string_equal(before, "alpine-baselayout alpine-baselayout-data apk-tools busybox "
				    "libcrypto3 musl ssl_client");
	/* musl, busybox and ssl_client used; /etc/passwd (alpine-baselayout-data)
	 * is an essential the keep set holds whatever the profile says */
	const char *used[] = { "/lib/ld-musl-x86_64.so.1", "/bin/busybox", "/usr/bin/ssl_client" };
	struct strvec warnings = STRVEC_INIT;
	size_t kept = harden_paths(c, used, ARRAY_SIZE(used), &warnings);
	assert_int_equal(warnings.n, 0);
	assert_int_equal(kept, 4);

	size_t out_len;
	char *out = read_at(stage, APK_DB, &out_len);
	struct catalog *after = parse_db(apk_collect, APK_DB, out, out_len);
	assert_int_equal(after->warnings.n, 0);
	cleanup_free char *now = names(after, PKG_APK);
	assert_string_equal(now, "alpine-baselayout-data busybox musl ssl_client");
	/* exactly the kept records, byte for byte, in their order, each with
	 * the blank line after it */
	struct strbuf want = STRBUF_INIT;
	const char *order[] = { "musl", "busybox", "alpine-baselayout-data", "ssl_client" };
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		const struct cat_pkg *p = find(c, order[i]), *q = find(after, order[i]);
		assert_non_null(p);
		assert_non_null(q);
		assert_int_equal(p->record_len, q->record_len);
		assert_memory_equal(src + p->record, out + q->record, p->record_len);
		strbuf_add(&want, src + p->record, p->record_len);
		strbuf_addc(&want, '\n');
	}
	assert_int_equal(out_len, want.len);
	assert_memory_equal(out, want.buf, want.len);
	/* what tells scanners this is Alpine stays */
	assert_true(exists(stage, "etc/alpine-release"));
	assert_true(exists(stage, "etc/os-release"));
	assert_false(exists(stage, "lib/libcrypto.so.3"));

	strbuf_release(&want);
	catalog_free(after);
	catalog_free(c);
	free(out);
	free(src);
}

/* The file changed since it was cataloged: we cannot tell which bytes are
 * which package's, so it stays whole (over-reporting) and we say so. */
static void t_apk_changed_kept_whole(void **state)
{
	(void)state;
	size_t len;
	char *src = apk_root(&len);
	struct catalog *c = catalog_root();
	struct strbuf changed = STRBUF_INIT;
	strbuf_adds(&changed, "\n\n\n");
	strbuf_add(&changed, src, len);
	put(APK_DB, changed.buf, changed.len);
	const char *used[] = { "/bin/busybox" };
	struct strvec warnings = STRVEC_INIT;
	harden_paths(c, used, ARRAY_SIZE(used), &warnings);
	assert_int_equal(warnings.n, 1);
	assert_non_null(strstr(warnings.v[0], "lib/apk/db/installed: "));
	size_t out_len;
	char *out = read_at(stage, APK_DB, &out_len);
	assert_int_equal(out_len, changed.len);
	assert_memory_equal(out, changed.buf, changed.len);
	strvec_clear(&warnings);
	strbuf_release(&changed);
	catalog_free(c);
	free(out);
	free(src);
}

/* Records apart from the file's shape: CRLF lines, several blank lines,
 * a record that is no package (kept: we cannot say it is gone), no blank
 * line at the end. */
static void t_apk_prune_shapes(void **state)
{
	(void)state;
	static const char db[] =
		"C:x\r\nP:a\r\nV:1\r\n\r\n\n"
		"P:b\r\nV:2\r\nR:f\r\n\r\n"
		"junk\nV:3\n\n"
		"P:c\nV:4\n\n\n"
		"P:d\nV:5";
	struct catalog *c = parse_db(apk_collect, APK_DB, db, sizeof(db) - 1);
	assert_int_equal(c->n_pkgs, 4);
	struct {
		const char *keep, *want;
	} cases[] = {
		{ "abcd", NULL },
		{ "acd", "C:x\r\nP:a\r\nV:1\r\n\r\n\njunk\nV:3\n\nP:c\nV:4\n\n\nP:d\nV:5" },
		{ "bd", "P:b\r\nV:2\r\nR:f\r\n\r\njunk\nV:3\n\nP:d\nV:5" },
		{ "ab", "C:x\r\nP:a\r\nV:1\r\n\r\n\nP:b\r\nV:2\r\nR:f\r\n\r\njunk\nV:3\n\n" },
		{ "", "junk\nV:3\n\n" },
	};
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		bool kept[4];
		for (size_t i = 0; i < 4; i++)
			kept[i] = strchr(cases[k].keep, c->pkgs[i].name[0]) != NULL;
		struct strbuf out = STRBUF_INIT;
		int rc = harden_apk_prune(db, sizeof(db) - 1, c, kept, &out);
		assert_int_equal(rc, cases[k].want ? 1 : 0);
		if (cases[k].want)
			assert_string_equal(strbuf_str(&out), cases[k].want);
		strbuf_release(&out);
	}
	/* shifted by a byte: not what was cataloged */
	char *moved = xasprintf("\n%s", db);
	bool none[4] = { 0 };
	struct strbuf out = STRBUF_INIT;
	assert_int_equal(harden_apk_prune(moved, strlen(moved), c, none, &out), -1);
	strbuf_release(&out);
	free(moved);
	catalog_free(c);
}

/* No package left: no database (as for dpkg); Alpine it still is. */
static void t_apk_none_left(void **state)
{
	(void)state;
	size_t len;
	char *src = apk_root(&len);
	put_str("app", "#!/bin/false\n");
	struct catalog *c = catalog_root();
	/* etc/passwd and friends belong to alpine-baselayout-data: drop them */
	sh("rm -f '%s/etc/passwd' '%s/etc/group' '%s/etc/hosts'", root, root, root);
	catalog_free(c);
	c = catalog_root();
	const char *used[] = { "/app" };
	struct strvec warnings = STRVEC_INIT;
	assert_int_equal(harden_paths(c, used, ARRAY_SIZE(used), &warnings), 0);
	assert_int_equal(warnings.n, 0);
	assert_false(exists(stage, APK_DB));
	assert_true(exists(stage, "etc/alpine-release"));
	catalog_free(c);
	free(src);
}

/* ---- rpm ----------------------------------------------------------------- */

#define RPM_SQLITE "var/lib/rpm/rpmdb.sqlite"

static char *rpm_root(const char *db_path, const char *fixture, size_t *len)
{
	sh("rm -rf '%s' && mkdir -p '%s'", root, root);
	char *src = read_at(getenv("QUENCH_TEST_DATA"), fixture, len);
	put(db_path, src, *len);
	put_files(rpm_collect, db_path, src, *len);
	put_str("etc/os-release", "ID=rhel\nVERSION_ID=9.3\n");
	put_str("etc/redhat-release", "Red Hat Enterprise Linux release 9.3 (Plow)\n");
	return src;
}

/* Does any table with an hnum column hold a row whose package is gone? */
static void assert_no_orphans(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table'"
					     " AND name NOT IN ('Packages', 'sqlite_sequence',"
					     " 'sqlite_stat1')", -1, &st, NULL), SQLITE_OK);
	size_t tables = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\" WHERE hnum NOT IN"
					    " (SELECT hnum FROM Packages)", sqlite3_column_text(st, 0));
		sqlite3_stmt *q;
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), 0);
		sqlite3_finalize(q);
		sqlite3_free(sql);
		tables++;
	}
	assert_true(tables >= 10);   /* rpm's indexes were looked at */
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* rpm -qa of the database in dbdir, sorted, as one line; NULL without rpm. */
static char *rpm_qa(const char *dbdir)
{
	if (system("command -v rpm >/dev/null 2>&1") != 0)
		return NULL;
	char *cmd = xasprintf("rpm --dbpath '%s' --define '_db_backend sqlite' -qa "
			      "--qf '%%{NAME} ' | tr ' ' '\\n' | sort | tr '\\n' ' '", dbdir);
	FILE *f = popen(cmd, "r");
	free(cmd);
	assert_non_null(f);
	char buf[4096] = "";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	assert_int_equal(pclose(f), 0);
	return xstrdup(buf);
}

static void t_rpm_sqlite_pruned(void **state)
{
	(void)state;
	size_t len;
	char *src = rpm_root(RPM_SQLITE, "catalog/rpm/rpmdb.sqlite", &len);
	struct catalog *c = catalog_root();
	cleanup_free char *before = names(c, PKG_RPM);
	assert_string_equal(before, "hello-tool libwidget manyfiles widget-data");
	const char *used[] = { "/usr/bin/hello", "/usr/lib64/libwidget.so.1.0.2" };
	struct strvec warnings = STRVEC_INIT;
	assert_int_equal(harden_paths(c, used, ARRAY_SIZE(used), &warnings), 2);
	if (warnings.n)
		fail_msg("%s", warnings.v[0]);

	size_t out_len;
	char *out = read_at(stage, RPM_SQLITE, &out_len);
	struct catalog *after = parse_db(rpm_collect, RPM_SQLITE, out, out_len);
	assert_int_equal(after->warnings.n, 0);
	cleanup_free char *now = names(after, PKG_RPM);
	assert_string_equal(now, "hello-tool libwidget");
	/* the kept headers are the same, file lists and all */
	for (size_t i = 0; i < after->n_pkgs; i++) {
		const struct cat_pkg *p = find(c, after->pkgs[i].name);
		assert_string_equal(p->version, after->pkgs[i].version);
		assert_int_equal(p->files.n, after->pkgs[i].files.n);
		assert_int_equal(p->record, after->pkgs[i].record);   /* hnum */
	}
	/* vacuumed: nothing of the deleted headers is left in a free page */
	assert_null(memmem(out, out_len, "file-with-a-long-name", 21));
	assert_null(memmem(out, out_len, "shapes.dat", 10));
	assert_true(memmem(src, len, "shapes.dat", 10) != NULL);
	assert_true(out_len < len);
	/* rpm wrote it in WAL mode; rollback mode opens without a writable
	 * directory */
	assert_true(src[18] == 2 && src[19] == 2);
	assert_true(out[18] == 1 && out[19] == 1);
	char *path = xasprintf("%s/%s", stage, RPM_SQLITE);
	assert_no_orphans(path);
	free(path);

	/* and rpm itself agrees (gpg-pubkey: a key rpm lists, not a package) */
	char *dbdir = xasprintf("%s/var/lib/rpm", stage);
	char *qa = rpm_qa(dbdir);
	if (qa) {
		char *src_dir = xasprintf("%s/var/lib/rpm", root);
		char *src_qa = rpm_qa(src_dir);
		assert_non_null(strstr(src_qa, "manyfiles"));
		assert_non_null(strstr(qa, "hello-tool libwidget"));
		assert_null(strstr(qa, "manyfiles"));
		assert_null(strstr(qa, "widget-data"));
		free(src_qa);
		free(src_dir);
		free(qa);
	} else {
		print_message("no rpm here: rpm -qa not checked\n");
	}
	free(dbdir);
	catalog_free(after);
	catalog_free(c);
	free(out);
	free(src);
}

/* Berkeley DB: not rewritten; whole, and one warning naming it. */
static void t_rpm_bdb_kept_whole(void **state)
{
	(void)state;
	size_t len;
	char *src = rpm_root("var/lib/rpm/Packages", "catalog/rpm/Packages", &len);
	struct catalog *c = catalog_root();
	const char *used[] = { "/usr/bin/hello" };
	struct strvec warnings = STRVEC_INIT;
	assert_int_equal(harden_paths(c, used, ARRAY_SIZE(used), &warnings), 1);
	assert_int_equal(warnings.n, 1);
	assert_true(str_starts_with(warnings.v[0], "var/lib/rpm/Packages: "));
	assert_non_null(strstr(warnings.v[0], "3 packages"));
	size_t out_len;
	char *out = read_at(stage, "var/lib/rpm/Packages", &out_len);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, src, len);
	strvec_clear(&warnings);
	catalog_free(c);
	free(out);
	free(src);
}

/* NDB, which quench does not read: kept whole whenever present, and said. */
static void t_rpm_ndb_kept_whole(void **state)
{
	(void)state;
	sh("rm -rf '%s' && mkdir -p '%s'", root, root);
	static const char ndb[] = "RpmP\0\0\0\0 not read by quench";
	put("usr/lib/sysimage/rpm/Packages.db", ndb, sizeof(ndb));
	put_str("app", "app\n");
	put_str("etc/os-release", "ID=opensuse-leap\nVERSION_ID=15.5\n");
	struct catalog *c = catalog_root();
	const char *used[] = { "/app" };
	struct strvec warnings = STRVEC_INIT;
	assert_int_equal(harden_paths(c, used, ARRAY_SIZE(used), &warnings), 0);
	assert_int_equal(warnings.n, 1);
	assert_true(str_starts_with(warnings.v[0], "usr/lib/sysimage/rpm/Packages.db: "));
	size_t len;
	char *out = read_at(stage, "usr/lib/sysimage/rpm/Packages.db", &len);
	assert_int_equal(len, sizeof(ndb));
	assert_memory_equal(out, ndb, sizeof(ndb));
	free(out);
	strvec_clear(&warnings);
	catalog_free(c);
}

/* Hostile databases: refused with an error, never run. */
static void t_rpmdb_prune_hostile(void **state)
{
	(void)state;
	char *out = NULL;
	size_t out_len;
	struct qerr err = QERR_INIT;
	int64_t drop[] = { 1 };
	assert_int_equal(harden_rpmdb_prune("not sqlite", 10, drop, 1, &out, &out_len, &err), -1);
	assert_non_null(strstr(err.msg, "not an SQLite database"));

	/* a trigger that would fill a table when a package is deleted */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL);"
		"CREATE TABLE Name (key TEXT, hnum INTEGER, idx INTEGER);"
		"CREATE TABLE Evil (x);"
		"INSERT INTO Packages VALUES (1, x'00'), (2, x'01');"
		"INSERT INTO Name VALUES ('a', 1, 0), ('b', 2, 0);"
		"CREATE TRIGGER t AFTER DELETE ON Packages BEGIN INSERT INTO Evil VALUES (1); END;",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_int64 n;
	unsigned char *bytes = sqlite3_serialize(db, "main", &n, 0);
	sqlite3_close(db);
	if (harden_rpmdb_prune(bytes, (size_t)n, drop, 1, &out, &out_len, &err) < 0)
		fail_msg("%s", err.msg);
	sqlite3_free(bytes);
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	unsigned char *copy = sqlite3_malloc64(out_len);
	memcpy(copy, out, out_len);
	assert_int_equal(sqlite3_deserialize(db, "main", copy, (sqlite3_int64)out_len,
					     (sqlite3_int64)out_len, SQLITE_DESERIALIZE_FREEONCLOSE),
			 SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT group_concat(hnum) FROM Packages),"
					     " (SELECT group_concat(key) FROM Name),"
					     " (SELECT count(*) FROM Evil)", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "2");
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "b");
	assert_int_equal(sqlite3_column_int(st, 2), 0);   /* the trigger did not run */
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_apk_kept_records),
		cmocka_unit_test(t_apk_changed_kept_whole),
		cmocka_unit_test(t_apk_prune_shapes),
		cmocka_unit_test(t_apk_none_left),
		cmocka_unit_test(t_rpm_sqlite_pruned),
		cmocka_unit_test(t_rpm_bdb_kept_whole),
		cmocka_unit_test(t_rpm_ndb_kept_whole),
		cmocka_unit_test(t_rpmdb_prune_hostile),
	};
	return cmocka_run_group_tests(tests, stage_dirs_setup, stage_dirs_teardown);
}
