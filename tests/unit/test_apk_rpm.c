/* apk and rpm catalogers: real databases (tests/data/catalog/{apk,rpm}, the
 * rpm ones built by scripts/mkrpmdb with rpm itself, which also wrote what
 * rpm says about them in expected.txt) and hostile ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "catalog/catalog_internal.h"

#include <fcntl.h>
#include <sqlite3.h>

/* ---- helpers ------------------------------------------------------------- */

static char *fixture(const char *rel, size_t *len)
{
	const char *dir = getenv("QUENCH_TEST_DATA");
	assert_non_null(dir);
	char *path = xasprintf("%s/catalog/%s", dir, rel);
	struct qerr err = QERR_INIT;
	char *data;
	if (read_file_at(AT_FDCWD, path, 64u << 20, &data, len, &err) < 0)
		fail_msg("%s", err.msg);
	free(path);
	return data;
}

/* A blob that owns a NUL-terminated copy of data. */
static struct cat_blob mkblob(const char *path, const void *data, size_t len)
{
	struct cat_blob b = { .path = xstrdup(path), .data = xmalloc(len + 1), .len = len };
	memcpy(b.data, data, len);
	b.data[len] = 0;
	return b;
}

static void blob_release(struct cat_blob *b)
{
	free(b->path);
	free(b->data);
}

typedef void (*collect_fn)(struct catalog *, const struct cat_input *);

/* Run collect on blobs (sorted here, as the scanner gives them). */
static int cmp_blob(const void *a, const void *b)
{
	return strcmp(((const struct cat_blob *)a)->path, ((const struct cat_blob *)b)->path);
}

static struct catalog *run_blobs(collect_fn fn, struct cat_blob *blobs, size_t n)
{
	qsort(blobs, n, sizeof(*blobs), cmp_blob);
	struct catalog *c = xcalloc(1, sizeof(*c));
	struct cat_input in = { blobs, n };
	fn(c, &in);
	for (size_t i = 0; i < n; i++)
		blob_release(&blobs[i]);
	return c;
}

static struct catalog *run_one(collect_fn fn, const char *path, const void *data, size_t len,
			       bool truncated)
{
	struct cat_blob b = mkblob(path, data, len);
	b.truncated = truncated;
	return run_blobs(fn, &b, 1);
}

static struct catalog *run_apk(const char *text)
{
	return run_one(apk_collect, "lib/apk/db/installed", text, strlen(text), false);
}

static const struct cat_pkg *find_pkg(const struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (!strcmp(c->pkgs[i].name, name))
			return &c->pkgs[i];
	fail_msg("no package %s", name);
	return NULL;
}

static void assert_strvec(const struct strvec *sv, const char *const *want, size_t n)
{
	for (size_t i = 0; i < sv->n && i < n; i++)
		assert_string_equal(sv->v[i], want[i]);
	assert_int_equal(sv->n, n);
}

static bool has_warning(const struct catalog *c, const char *needle)
{
	for (size_t i = 0; i < c->warnings.n; i++)
		if (strstr(c->warnings.v[i], needle))
			return true;
	return false;
}

static void dump_warnings(const struct catalog *c)
{
	for (size_t i = 0; i < c->warnings.n; i++)
		print_message("warning: %s\n", c->warnings.v[i]);
}

static void assert_no_warnings(const struct catalog *c)
{
	dump_warnings(c);
	assert_int_equal(c->warnings.n, 0);
}

/* ---- apk ----------------------------------------------------------------- */

static void test_apk_wants(void **state)
{
	(void)state;
	assert_true(apk_wants("lib/apk/db/installed"));
	assert_false(apk_wants("lib/apk/db/installed.old"));
	assert_false(apk_wants("usr/lib/apk/db/installed"));
	assert_false(apk_wants("lib/apk/db/triggers"));
}

static void test_apk_fixture(void **state)
{
	(void)state;
	size_t len;
	char *data = fixture("apk/installed", &len);
	struct catalog *c = run_one(apk_collect, "lib/apk/db/installed", data, len, false);
	assert_no_warnings(c);
	assert_int_equal(c->n_pkgs, 7);
	/* where each record lies (harden rewrites the file from this): its
	 * lines, from "C:" to the newline before the blank line */
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *q = &c->pkgs[i];
		assert_true(q->record + q->record_len < len);
		assert_true(!q->record || data[q->record - 1] == '\n');
		assert_memory_equal(data + q->record, "C:", 2);
		assert_memory_equal(data + q->record + q->record_len - 1, "\n\n", 2);
		assert_null(memmem(data + q->record, q->record_len, "\n\n", 2));
		cleanup_free char *name = xasprintf("\nP:%s\n", q->name);
		assert_non_null(memmem(data + q->record, q->record_len, name, strlen(name)));
	}
	free(data);

	const struct cat_pkg *p = find_pkg(c, "musl");
	assert_int_equal(p->type, PKG_APK);
	assert_string_equal(p->version, "1.2.4_git20230717-r4");
	assert_string_equal(p->arch, "x86_64");
	assert_string_equal(p->src_name, "musl");
	assert_null(p->src_version);
	assert_string_equal(p->license, "MIT");
	assert_string_equal(p->supplier, "Timo Teräs <timo.teras@iki.fi>");
	assert_string_equal(p->homepage, "https://musl.libc.org/");
	assert_string_equal(p->location, "lib/apk/db/installed");
	assert_int_equal(p->depends.n, 0);
	static const char *const musl_files[] = { "lib/ld-musl-x86_64.so.1",
						  "lib/libc.musl-x86_64.so.1" };
	assert_strvec(&p->files, musl_files, 2);

	p = find_pkg(c, "busybox");
	static const char *const bb_files[] = { "bin/busybox", "etc/securetty",
		"etc/udhcpd.conf", "etc/logrotate.d/acpid", "etc/network/if-up.d/dad",
		"usr/share/udhcpc/default.script" };
	assert_strvec(&p->files, bb_files, ARRAY_SIZE(bb_files));
	assert_int_equal(p->depends.n, 0);   /* only so: */

	p = find_pkg(c, "alpine-baselayout");
	static const char *const bl_deps[] = { "alpine-baselayout-data" };
	assert_strvec(&p->depends, bl_deps, 1);
	assert_string_equal(p->files.v[p->files.n - 1], "var/spool/cron/crontabs");

	p = find_pkg(c, "ssl_client");
	assert_string_equal(p->src_name, "busybox");
	assert_int_equal(p->depends.n, 0);

	p = find_pkg(c, "apk-tools");
	static const char *const apk_deps[] = { "musl", "ca-certificates-bundle" };
	assert_strvec(&p->depends, apk_deps, 2);
	static const char *const apk_files[] = { "lib/libapk.so.2.14.0", "sbin/apk" };
	assert_strvec(&p->files, apk_files, 2);

	p = find_pkg(c, "libcrypto3");
	assert_string_equal(p->src_name, "openssl");
	assert_string_equal(p->license, "Apache-2.0");
	assert_int_equal(p->files.n, 5);
	catalog_free(c);
}

static void test_apk_depends(void **state)
{
	(void)state;
	struct catalog *c = run_apk("P:x\nV:1-r0\n"
				    "D:a>=1.2 !b so:libc.so cmd:sh /bin/sh c=2-r0 d~3 e@edge"
				    "  f<4 g>1 pc:zlib h\n");
	assert_no_warnings(c);
	static const char *const want[] = { "a", "c", "d", "e", "f", "g", "h" };
	assert_strvec(&c->pkgs[0].depends, want, ARRAY_SIZE(want));
	catalog_free(c);
}

static void test_apk_missing_fields(void **state)
{
	(void)state;
	struct catalog *c = run_apk("P:nover\nA:x86_64\n\n"
				    "V:1.0-r0\nL:MIT\n\n"
				    "P:ok\nV:2.0-r1\n\n\n\n"
				    "P:\nV:3\n");
	assert_int_equal(c->n_pkgs, 1);
	assert_string_equal(c->pkgs[0].name, "ok");
	assert_null(c->pkgs[0].arch);
	assert_true(has_warning(c, "lib/apk/db/installed: line 1: package without version"));
	assert_true(has_warning(c, "line 4: package without name"));
	assert_true(has_warning(c, "line 12: package without name"));
	assert_int_equal(c->warnings.n, 3);
	catalog_free(c);
}

static void test_apk_bad_lines(void **state)
{
	(void)state;
	/* CRLF, a line that is no field, a path escaping the root, a file
	 * before any F:, bytes that are not UTF-8, and no final newline. */
	static const char text[] = "P:we\xffird\r\nV:1\x01.0\r\ngarbage\n"
				   "R:toplevel\nF:../..\nR:etc/passwd\nF:usr//bin/\nR:x\nL:GPL";
	struct catalog *c = run_apk(text);
	assert_int_equal(c->n_pkgs, 1);
	const struct cat_pkg *p = &c->pkgs[0];
	assert_string_equal(p->name, "we\xef\xbf\xbdird");
	assert_string_equal(p->version, "1.0");
	assert_string_equal(p->license, "GPL");
	static const char *const files[] = { "toplevel", "usr/bin/x" };
	assert_strvec(&p->files, files, 2);
	assert_true(has_warning(c, "line 3: not a field"));
	assert_true(has_warning(c, "line 6: bad file path '../../etc/passwd'"));
	assert_int_equal(c->warnings.n, 2);
	catalog_free(c);

	/* NUL bytes inside a line, and an empty file. */
	static const char nul[] = "P:a\0b\nV:1\n";
	c = run_one(apk_collect, "lib/apk/db/installed", nul, sizeof(nul) - 1, false);
	assert_int_equal(c->n_pkgs, 1);
	assert_string_equal(c->pkgs[0].name, "a");
	catalog_free(c);
	c = run_apk("");
	assert_int_equal(c->n_pkgs, 0);
	assert_int_equal(c->warnings.n, 0);
	catalog_free(c);
}

static void test_apk_truncated(void **state)
{
	(void)state;
	static const char text[] = "P:a\nV:1\n\nP:b\nV:2\nF:usr\nR:pa";
	struct catalog *c = run_one(apk_collect, "lib/apk/db/installed", text, strlen(text), true);
	assert_int_equal(c->n_pkgs, 1);
	assert_string_equal(c->pkgs[0].name, "a");
	assert_true(has_warning(c, "truncated"));
	catalog_free(c);
}

/* Every prefix of the real database: no crash, no leak (under ASan). */
static void test_apk_prefixes(void **state)
{
	(void)state;
	size_t len;
	char *data = fixture("apk/installed", &len);
	for (size_t n = 0; n <= len; n += 7)
		catalog_free(run_one(apk_collect, "lib/apk/db/installed", data, n, n & 1));
	free(data);
}

/* ---- rpm: building hostile inputs ---------------------------------------- */

/* An rpm header blob under construction: index entries and a data store. */
struct hb {
	struct strbuf index;
	struct strbuf data;
	uint32_t il;
};

static void put_be32(struct strbuf *sb, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };
	strbuf_add(sb, b, 4);
}

static void hb_entry(struct hb *h, uint32_t tag, uint32_t type, uint32_t count)
{
	put_be32(&h->index, tag);
	put_be32(&h->index, type);
	put_be32(&h->index, (uint32_t)h->data.len);
	put_be32(&h->index, count);
	h->il++;
}

static void hb_string(struct hb *h, uint32_t tag, const char *s)
{
	hb_entry(h, tag, 6, 1);
	strbuf_add(&h->data, s, strlen(s) + 1);
}

/* n strings, NULL-terminated list. */
static void hb_strings(struct hb *h, uint32_t tag, const char *const *v)
{
	uint32_t n = 0;
	while (v[n])
		n++;
	hb_entry(h, tag, 8, n);
	for (uint32_t i = 0; i < n; i++)
		strbuf_add(&h->data, v[i], strlen(v[i]) + 1);
}

static void hb_int32s(struct hb *h, uint32_t tag, const uint32_t *v, uint32_t n)
{
	while (h->data.len % 4)
		strbuf_addc(&h->data, 0);
	hb_entry(h, tag, 4, n);
	for (uint32_t i = 0; i < n; i++)
		put_be32(&h->data, v[i]);
}

/* The blob: il, dl, index, data. Caller frees; *len set. */
static uint8_t *hb_finish(struct hb *h, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	put_be32(&sb, h->il);
	put_be32(&sb, (uint32_t)h->data.len);
	strbuf_add(&sb, strbuf_str(&h->index), h->index.len);
	strbuf_add(&sb, strbuf_str(&h->data), h->data.len);
	strbuf_release(&h->index);
	strbuf_release(&h->data);
	*len = sb.len;
	return (uint8_t *)strbuf_detach(&sb);
}

/* A well-formed header with the old flat file list. */
static uint8_t *good_header(const char *name, size_t *len)
{
	struct hb h = { STRBUF_INIT, STRBUF_INIT, 0 };
	hb_string(&h, 1000, name);
	hb_string(&h, 1001, "1.0");
	hb_string(&h, 1002, "1");
	uint32_t zero = 0;
	hb_int32s(&h, 1003, &zero, 1);
	hb_string(&h, 1022, "noarch");
	hb_string(&h, 1044, "weird-src");   /* no .src.rpm: not split */
	static const char *const req[] = { "rpmlib(CompressedFileNames)", "b", "a", "b",
					   "/usr/bin/python3", "libc.so.6()(64bit)",
					   "(x or y)", NULL };
	hb_strings(&h, 1049, req);
	static const char *const old[] = { "/etc/old.conf", "./usr/../../x", "/", NULL };
	hb_strings(&h, 1027, old);
	return hb_finish(&h, len);
}

/* A SQLite rpmdb with rows (hnum, blob) as its Packages; as a blob. */
struct row {
	const void *data;
	size_t len;
};

static struct cat_blob sqlite_blob(const char *path, const struct row *rows, size_t n,
				   const char *schema)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	if (!schema)
		schema = "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT,"
			 " blob BLOB NOT NULL)";
	assert_int_equal(sqlite3_exec(db, schema, NULL, NULL, NULL), SQLITE_OK);
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO Packages (blob) VALUES (?)",
						    -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, rows[i].data, (int)rows[i].len, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
	sqlite3_int64 size;
	unsigned char *bytes = sqlite3_serialize(db, "main", &size, 0);
	assert_non_null(bytes);
	struct cat_blob b = mkblob(path, bytes, (size_t)size);
	sqlite3_free(bytes);
	sqlite3_close(db);
	return b;
}

static struct catalog *run_rows(const struct row *rows, size_t n)
{
	struct cat_blob b = sqlite_blob("var/lib/rpm/rpmdb.sqlite", rows, n, NULL);
	return run_blobs(rpm_collect, &b, 1);
}

/* ---- rpm: real databases ------------------------------------------------- */

static void test_rpm_wants(void **state)
{
	(void)state;
	assert_true(rpm_wants("var/lib/rpm/rpmdb.sqlite"));
	assert_true(rpm_wants("usr/lib/sysimage/rpm/rpmdb.sqlite"));
	assert_true(rpm_wants("var/lib/rpm/Packages"));
	assert_true(rpm_wants("usr/lib/sysimage/rpm/Packages"));
	assert_false(rpm_wants("var/lib/rpm/rpmdb.sqlite-wal"));
	assert_false(rpm_wants("var/lib/rpm/Name"));
	assert_false(rpm_wants("lib/rpm/rpmdb.sqlite"));
}

/* "(none)" is how rpm --qf prints an absent tag. */
static bool field_eq(const char *have, const char *want)
{
	if (!strcmp(want, "(none)"))
		return have == NULL;
	return have && !strcmp(have, want);
}

/* One "pkg …" line of expected.txt against the catalog. */
static void verify_expected_pkg(const struct catalog *c, char *line)
{
	char *f[9];
	for (int i = 0; i < 9; i++) {
		f[i] = line;
		line = strchrnul(line, '|');
		if (*line)
			*line++ = 0;
	}
	const struct cat_pkg *p = find_pkg(c, f[0]);
	char *ver = strcmp(f[1], "(none)") ? xasprintf("%s:%s-%s", f[1], f[2], f[3])
					   : xasprintf("%s-%s", f[2], f[3]);
	assert_string_equal(p->version, ver);
	free(ver);
	assert_true(field_eq(p->arch, f[4]));
	assert_true(field_eq(p->license, f[5]));
	assert_true(field_eq(p->supplier, f[6]));
	assert_true(field_eq(p->homepage, f[7]));
	/* The source rpm: name-version-release.src.rpm. */
	char *srpm = xasprintf("%s-%s.src.rpm", p->src_name, p->src_version);
	assert_string_equal(srpm, f[8]);
	free(srpm);
}

static void verify_expected(const struct catalog *c)
{
	size_t len, n_pkgs = 0, n_files = 0, owned = 0;
	char *text = fixture("rpm/expected.txt", &len);
	for (char *line = text, *next; *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = 0;
		if (str_starts_with(line, "pkg ")) {
			verify_expected_pkg(c, line + 4);
			n_pkgs++;
		} else if (str_starts_with(line, "file ")) {
			char *bar = strchr(line, '|');
			assert_non_null(bar);
			*bar = 0;
			const struct cat_pkg *p = find_pkg(c, line + 5);
			char *clean = cat_clean_path(bar + 1);
			bool found = false;
			for (size_t i = 0; i < p->files.n; i++)
				found |= !strcmp(p->files.v[i], clean);
			if (!found)
				fail_msg("%s does not own %s", p->name, clean);
			free(clean);
			n_files++;
		}
	}
	free(text);
	assert_int_equal(c->n_pkgs, n_pkgs);
	for (size_t i = 0; i < c->n_pkgs; i++)
		owned += c->pkgs[i].files.n;
	assert_int_equal(owned, n_files);
}

static void check_fixture_details(const struct catalog *c)
{
	const struct cat_pkg *p = find_pkg(c, "hello-tool");
	assert_int_equal(p->type, PKG_RPM);
	assert_string_equal(p->version, "2:1.4-3.el9");
	assert_string_equal(p->src_name, "hello-tool");
	assert_string_equal(p->src_version, "1.4-3.el9");
	static const char *const deps[] = { "bash", "libwidget" };
	assert_strvec(&p->depends, deps, 2);
	static const char *const files[] = { "usr/bin/hello", "usr/share/doc/hello-tool",
					     "usr/share/doc/hello-tool/README" };
	assert_strvec(&p->files, files, 3);

	p = find_pkg(c, "widget-data");
	assert_string_equal(p->version, "1.0.2-1.el9");
	assert_string_equal(p->arch, "noarch");
	assert_string_equal(p->src_name, "libwidget");
	assert_string_equal(p->src_version, "1.0.2-1.el9");
	static const char *const wdeps[] = { "libwidget" };
	assert_strvec(&p->depends, wdeps, 1);
	for (size_t i = 0; i < c->n_pkgs; i++)
		assert_string_not_equal(c->pkgs[i].name, "gpg-pubkey");
}

static void test_rpm_sqlite_fixture(void **state)
{
	(void)state;
	static const char *const paths[] = { "var/lib/rpm/rpmdb.sqlite",
					     "usr/lib/sysimage/rpm/rpmdb.sqlite" };
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		size_t len;
		char *data = fixture("rpm/rpmdb.sqlite", &len);
		struct catalog *c = run_one(rpm_collect, paths[i], data, len, false);
		free(data);
		assert_no_warnings(c);
		verify_expected(c);
		check_fixture_details(c);
		assert_string_equal(c->pkgs[0].location, paths[i]);
		/* each package's hnum, as rpm numbered them (see the Name index) */
		assert_int_equal(find_pkg(c, "libwidget")->record, 1);
		assert_int_equal(find_pkg(c, "widget-data")->record, 2);
		assert_int_equal(find_pkg(c, "hello-tool")->record, 3);
		assert_int_equal(find_pkg(c, "manyfiles")->record, 4);
		catalog_free(c);
	}
}

static void test_rpm_bdb_fixture(void **state)
{
	(void)state;
	size_t len;
	char *data = fixture("rpm/Packages", &len);
	struct catalog *c = run_one(rpm_collect, "var/lib/rpm/Packages", data, len, false);
	free(data);
	assert_no_warnings(c);
	verify_expected(c);
	check_fixture_details(c);
	catalog_free(c);
}

/* Beside rpmdb.sqlite, a leftover Packages is ignored: no duplicates. */
static void test_rpm_both(void **state)
{
	(void)state;
	size_t l1, l2;
	char *d1 = fixture("rpm/rpmdb.sqlite", &l1), *d2 = fixture("rpm/Packages", &l2);
	struct cat_blob b[3] = {
		mkblob("var/lib/rpm/rpmdb.sqlite", d1, l1),
		mkblob("var/lib/rpm/Packages", d2, l2),
		mkblob("usr/lib/sysimage/rpm/Packages", d2, l2),
	};
	free(d1);
	free(d2);
	struct catalog *c = run_blobs(rpm_collect, b, 3);
	assert_no_warnings(c);
	assert_int_equal(c->n_pkgs, 8);   /* sqlite + the other directory's */
	catalog_free(c);
}

/* ---- rpm: hostile input -------------------------------------------------- */

static void test_rpm_synthetic(void **state)
{
	(void)state;
	size_t l1, l2;
	uint8_t *h1 = good_header("synth", &l1), *h2 = good_header("gpg-pubkey", &l2);
	struct row rows[] = { { h1, l1 }, { h2, l2 } };
	struct catalog *c = run_rows(rows, 2);
	free(h1);
	free(h2);
	assert_no_warnings(c);
	assert_int_equal(c->n_pkgs, 1);
	const struct cat_pkg *p = &c->pkgs[0];
	assert_string_equal(p->version, "1.0-1");   /* epoch 0 is not written */
	assert_null(p->src_name);
	assert_null(p->license);
	static const char *const deps[] = { "a", "b" };
	assert_strvec(&p->depends, deps, 2);
	static const char *const files[] = { "etc/old.conf" };
	assert_strvec(&p->files, files, 1);
	catalog_free(c);
}

static void set_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

/* Each corruption of a good header gives a warning (or less) and no crash. */
static void test_rpm_corrupt_headers(void **state)
{
	(void)state;
	size_t len;
	uint8_t *good = good_header("victim", &len);
	uint32_t il = 0;
	for (int i = 0; i < 4; i++)
		il = il << 8 | good[i];
	struct {
		const char *what;
		size_t at;          /* where to write v (be32), or SIZE_MAX */
		uint32_t v;
		size_t cut;         /* length to keep, 0 = all */
		const char *warning;
	} cases[] = {
		{ "short", SIZE_MAX, 0, 5, "header shorter than 8 bytes" },
		{ "cut", SIZE_MAX, 0, 40, "header is cut short" },
		{ "il 0", 0, 0, 0, "bad tag count" },
		{ "il huge", 0, 0x7fffffff, 0, "bad tag count" },
		{ "dl huge", 4, 0xfffffff0, 0, "bad data length" },
		{ "dl past end", 4, 0x0ffffff0, 0, "header is cut short" },
		/* name's offset out of the store: the package has no name */
		{ "offset", 8 + 8, 0x7fffffff, 0, "no name" },
		/* the requires array says 2^31 strings */
		{ "count", 8 + 6 * 16 + 12, 0x7fffffff, 0, "requires out of bounds" },
		/* old file names start at the last byte */
		{ "strings", 8 + 7 * 16 + 8, 0, 0, "old file list out of bounds" },
		/* the version tag becomes an int */
		{ "type", 8 + 16 + 4, 4, 0, "no version" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t *b = xmalloc(len);
		memcpy(b, good, len);
		size_t n = cases[i].cut ? cases[i].cut : len;
		if (cases[i].at != SIZE_MAX)
			set_be32(b + cases[i].at, cases[i].v);
		/* The last string runs off the end of the store. */
		if (!strcmp(cases[i].what, "strings")) {
			uint32_t dl = (uint32_t)(len - 8 - il * 16);
			set_be32(b + cases[i].at, dl - 1);
			b[len - 1] = 'x';
		}
		struct row r = { b, n };
		struct catalog *c = run_rows(&r, 1);
		if (cases[i].warning && !has_warning(c, cases[i].warning)) {
			dump_warnings(c);
			fail_msg("%s: no warning '%s'", cases[i].what, cases[i].warning);
		}
		if (cases[i].warning)
			assert_true(has_warning(c, "var/lib/rpm/rpmdb.sqlite: package 1: "));
		catalog_free(c);
		free(b);
	}
	free(good);
}

/* Files with bad directory indexes, and arrays of different lengths. */
static void test_rpm_bad_file_list(void **state)
{
	(void)state;
	for (int variant = 0; variant < 2; variant++) {
		struct hb h = { STRBUF_INIT, STRBUF_INIT, 0 };
		hb_string(&h, 1000, "files");
		hb_string(&h, 1001, "1");
		static const char *const base[] = { "a", "b", NULL };
		static const char *const dirs[] = { "/usr/", NULL };
		uint32_t idx[] = { 0, variant ? 0 : 7 };
		hb_strings(&h, 1117, base);
		hb_strings(&h, 1118, dirs);
		hb_int32s(&h, 1116, idx, variant ? 1 : 2);
		size_t len;
		uint8_t *blob = hb_finish(&h, &len);
		struct row r = { blob, len };
		struct catalog *c = run_rows(&r, 1);
		assert_int_equal(c->n_pkgs, 1);
		assert_string_equal(c->pkgs[0].version, "1");
		assert_true(has_warning(c, variant ? "file list out of bounds"
						   : "bad directory index"));
		assert_int_equal(c->pkgs[0].files.n, variant ? 0 : 1);
		catalog_free(c);
		free(blob);
	}
}

static void test_rpm_not_sqlite(void **state)
{
	(void)state;
	static const char junk[] = "this is not a database at all, but it is long enough "
				   "to pass for one if nobody looked at the first bytes....";
	struct catalog *c = run_one(rpm_collect, "var/lib/rpm/rpmdb.sqlite", junk,
				    sizeof(junk) - 1, false);
	assert_int_equal(c->n_pkgs, 0);
	assert_true(has_warning(c, "var/lib/rpm/rpmdb.sqlite: not an SQLite database"));
	catalog_free(c);

	c = run_one(rpm_collect, "var/lib/rpm/Packages", junk, sizeof(junk) - 1, false);
	assert_int_equal(c->n_pkgs, 0);
	assert_true(has_warning(c, "var/lib/rpm/Packages: not a Berkeley DB file"));
	catalog_free(c);

	/* An SQLite file with the magic and nothing else. */
	char head[512] = "SQLite format 3";
	c = run_one(rpm_collect, "var/lib/rpm/rpmdb.sqlite", head, sizeof(head), false);
	assert_int_equal(c->n_pkgs, 0);
	assert_int_not_equal(c->warnings.n, 0);
	catalog_free(c);
}

static void test_rpm_truncated_sqlite(void **state)
{
	(void)state;
	size_t len;
	char *data = fixture("rpm/rpmdb.sqlite", &len);
	for (size_t n = 100; n < len; n += 4096 * 3 + 100) {
		struct catalog *c = run_one(rpm_collect, "var/lib/rpm/rpmdb.sqlite", data, n, true);
		assert_true(has_warning(c, "truncated"));
		catalog_free(c);
	}
	free(data);
}

/* Schemas that would run code or lack the columns: warnings only. */
static void test_rpm_hostile_schema(void **state)
{
	(void)state;
	static const char *const schemas[] = {
		"CREATE TABLE Packages (x)",
		"CREATE TABLE t (hnum, blob); CREATE VIEW Packages AS"
		" WITH RECURSIVE r(hnum, blob) AS (SELECT 1, x'00' UNION ALL"
		" SELECT hnum + 1, blob FROM r) SELECT * FROM r",
		"CREATE TABLE other (hnum, blob)",
	};
	for (size_t i = 0; i < ARRAY_SIZE(schemas); i++) {
		struct cat_blob b = sqlite_blob("var/lib/rpm/rpmdb.sqlite", NULL, 0, schemas[i]);
		struct catalog *c = run_blobs(rpm_collect, &b, 1);
		assert_int_equal(c->n_pkgs, 0);
		assert_true(has_warning(c, "var/lib/rpm/rpmdb.sqlite: sqlite: "));
		catalog_free(c);
	}
	/* A Packages table whose blobs are text, numbers and NULL. */
	struct cat_blob b = sqlite_blob("var/lib/rpm/rpmdb.sqlite", NULL, 0,
		"CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob);"
		"INSERT INTO Packages VALUES (1, 'text'), (2, 42), (3, NULL)");
	struct catalog *c = run_blobs(rpm_collect, &b, 1);
	assert_int_equal(c->n_pkgs, 0);
	assert_true(has_warning(c, "package 3: header shorter than 8 bytes"));
	catalog_free(c);
}

/* Page-level damage to the Berkeley DB file. */
static void test_rpm_bdb_corrupt(void **state)
{
	(void)state;
	size_t len;
	char *data = fixture("rpm/Packages", &len);
	/* cut at every page and half page */
	for (size_t n = 0; n < len; n += 2048) {
		struct catalog *c = run_one(rpm_collect, "var/lib/rpm/Packages", data, n, true);
		assert_int_not_equal(c->warnings.n, 0);
		catalog_free(c);
	}
	/* overflow pages that are not, that claim more bytes than a page
	 * holds, or that chain back to themselves or past the end */
	for (int mode = 0; mode < 4; mode++) {
		char *d = xmalloc(len);
		memcpy(d, data, len);
		for (size_t pg = 4096; pg + 4096 <= len; pg += 4096) {
			if ((uint8_t)d[pg + 25] != 7)
				continue;
			uint32_t self = (uint32_t)(pg / 4096);
			uint32_t next = mode == 2 ? self : 0xffffff;
			if (mode == 0)
				d[pg + 25] = 5;
			else if (mode == 1)
				memset(d + pg + 22, 0xff, 2);
			else if (d[pg + 16] || d[pg + 17])   /* only where a chain goes on */
				memcpy(d + pg + 16, &next, 4);
		}
		struct catalog *c = run_one(rpm_collect, "var/lib/rpm/Packages", d, len, false);
		if (mode != 2)
			assert_true(has_warning(c, "overflow"));
		assert_true(c->n_pkgs < 4);
		catalog_free(c);
		free(d);
	}
	free(data);
}

/* Deterministic random byte damage to both real files: no crash. */
static void test_rpm_mutations(void **state)
{
	(void)state;
	static const char *const files[][2] = {
		{ "rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite" },
		{ "rpm/Packages", "var/lib/rpm/Packages" },
	};
	uint32_t seed = 12345;
	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		size_t len;
		char *data = fixture(files[f][0], &len);
		for (int round = 0; round < 60; round++) {
			char *d = xmalloc(len);
			memcpy(d, data, len);
			for (int k = 0; k < 1 + round % 8; k++) {
				seed = seed * 1103515245 + 12345;
				size_t at = (seed >> 8) % len;
				/* Most rounds hit the headers themselves. */
				if (round % 2)
					at = len - 1 - at % (len / 4);
				d[at] = (char)(seed >> 3);
			}
			catalog_free(run_one(rpm_collect, files[f][1], d, len, false));
			free(d);
		}
		free(data);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apk_wants),
		cmocka_unit_test(test_apk_fixture),
		cmocka_unit_test(test_apk_depends),
		cmocka_unit_test(test_apk_missing_fields),
		cmocka_unit_test(test_apk_bad_lines),
		cmocka_unit_test(test_apk_truncated),
		cmocka_unit_test(test_apk_prefixes),
		cmocka_unit_test(test_rpm_wants),
		cmocka_unit_test(test_rpm_sqlite_fixture),
		cmocka_unit_test(test_rpm_bdb_fixture),
		cmocka_unit_test(test_rpm_both),
		cmocka_unit_test(test_rpm_synthetic),
		cmocka_unit_test(test_rpm_corrupt_headers),
		cmocka_unit_test(test_rpm_bad_file_list),
		cmocka_unit_test(test_rpm_not_sqlite),
		cmocka_unit_test(test_rpm_truncated_sqlite),
		cmocka_unit_test(test_rpm_hostile_schema),
		cmocka_unit_test(test_rpm_bdb_corrupt),
		cmocka_unit_test(test_rpm_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
