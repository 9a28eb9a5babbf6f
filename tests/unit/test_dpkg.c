/* dpkg and os catalogers: fixture trees (tests/data/catalog/{dpkg,os}) read
 * as the scanner would keep them, hostile inputs, and this machine's own
 * dpkg database checked against dpkg-query. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "catalog/catalog_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>

/* ---- helpers ------------------------------------------------------------- */

typedef void (*collect_fn)(struct catalog *, const struct cat_input *);
typedef bool (*wants_fn)(const char *);

struct blobs {
	struct cat_blob *v;
	size_t n, cap;
};

static void blobs_add(struct blobs *bs, const char *path, const void *data, size_t len,
		      bool truncated)
{
	bs->v = xgrow(bs->v, &bs->cap, bs->n + 1, sizeof(*bs->v));
	struct cat_blob *b = &bs->v[bs->n++];
	*b = (struct cat_blob){ .path = xstrdup(path), .data = xmalloc(len + 1), .len = len,
				.truncated = truncated };
	memcpy(b->data, data, len);
	b->data[len] = 0;
}

static void blobs_add_str(struct blobs *bs, const char *path, const char *text)
{
	blobs_add(bs, path, text, strlen(text), false);
}

/* Add the file at abs (if readable) as the blob path. */
static void blobs_add_file(struct blobs *bs, const char *path, const char *abs)
{
	struct qerr err = QERR_INIT;
	char *data;
	size_t len;
	if (read_file_at(AT_FDCWD, abs, 64u << 20, &data, &len, &err) < 0)
		return;
	bs->v = xgrow(bs->v, &bs->cap, bs->n + 1, sizeof(*bs->v));
	bs->v[bs->n++] = (struct cat_blob){ .path = xstrdup(path), .data = data, .len = len };
}

static void blobs_release(struct blobs *bs)
{
	for (size_t i = 0; i < bs->n; i++) {
		free(bs->v[i].path);
		free(bs->v[i].data);
	}
	free(bs->v);
	memset(bs, 0, sizeof(*bs));
}

static int cmp_blob(const void *a, const void *b)
{
	return strcmp(((const struct cat_blob *)a)->path, ((const struct cat_blob *)b)->path);
}

/* Run collect on the blobs, sorted as the scanner gives them; frees them. */
static struct catalog *run_blobs(collect_fn fn, struct blobs *bs)
{
	if (bs->n)
		qsort(bs->v, bs->n, sizeof(*bs->v), cmp_blob);
	struct catalog *c = xcalloc(1, sizeof(*c));
	struct cat_input in = { bs->v, bs->n };
	fn(c, &in);
	blobs_release(bs);
	return c;
}

static struct catalog *run_one(collect_fn fn, const char *path, const char *text)
{
	struct blobs bs = { 0 };
	blobs_add_str(&bs, path, text);
	return run_blobs(fn, &bs);
}

/* nftw has no user pointer: the tree being loaded. */
static struct {
	struct blobs *bs;
	size_t root_len;
	wants_fn wants;
} walk;

static int walk_one(const char *abs, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	const char *rel = abs + walk.root_len + 1;
	if (type == FTW_F && walk.wants(rel))
		blobs_add_file(walk.bs, rel, abs);
	return 0;
}

/* The files of tests/data/catalog/<tree> that wants keeps, as blobs. */
static void load_tree(struct blobs *bs, const char *tree, wants_fn wants)
{
	const char *dir = getenv("QUENCH_TEST_DATA");
	assert_non_null(dir);
	cleanup_free char *root = xasprintf("%s/catalog/%s", dir, tree);
	walk.bs = bs;
	walk.root_len = strlen(root);
	walk.wants = wants;
	assert_int_equal(nftw(root, walk_one, 16, FTW_PHYS), 0);
}

static struct catalog *run_tree(collect_fn fn, wants_fn wants, const char *tree)
{
	struct blobs bs = { 0 };
	load_tree(&bs, tree, wants);
	assert_true(bs.n > 0);
	return run_blobs(fn, &bs);
}

static const struct cat_pkg *find_pkg(const struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (!strcmp(c->pkgs[i].name, name))
			return &c->pkgs[i];
	return NULL;
}

static const struct cat_pkg *get_pkg(const struct catalog *c, const char *name)
{
	const struct cat_pkg *p = find_pkg(c, name);
	if (!p)
		fail_msg("no package %s", name);
	return p;
}

static void assert_strvec(const struct strvec *sv, const char *const *want, size_t n)
{
	for (size_t i = 0; i < sv->n && i < n; i++)
		assert_string_equal(sv->v[i], want[i]);
	assert_int_equal(sv->n, n);
}

static bool strvec_has(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
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

static void assert_str_or_null(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else
		assert_non_null(got), assert_string_equal(got, want);
}

/* ---- dpkg: which files ------------------------------------------------------ */

static void test_dpkg_wants(void **state)
{
	(void)state;
	assert_true(dpkg_wants("var/lib/dpkg/status"));
	assert_true(dpkg_wants("var/lib/dpkg/status.d/libc6"));
	assert_true(dpkg_wants("var/lib/dpkg/status.d/libc6.md5sums"));
	assert_true(dpkg_wants("var/lib/dpkg/info/libc6:amd64.list"));
	assert_true(dpkg_wants("var/lib/dpkg/info/bash.list"));
	assert_true(dpkg_wants("var/lib/dpkg/info/bash.md5sums"));
	assert_true(dpkg_wants("usr/share/doc/bash/copyright"));
	assert_false(dpkg_wants("var/lib/dpkg/status-old"));
	assert_false(dpkg_wants("var/lib/dpkg/status.d/"));
	assert_false(dpkg_wants("var/lib/dpkg/status.d/sub/x"));
	assert_false(dpkg_wants("var/lib/dpkg/info/bash.postinst"));
	assert_false(dpkg_wants("var/lib/dpkg/info/sub/bash.list"));
	assert_false(dpkg_wants("var/lib/dpkg/available"));
	assert_false(dpkg_wants("usr/share/doc/copyright"));
	assert_false(dpkg_wants("usr/share/doc//copyright"));
	assert_false(dpkg_wants("usr/share/doc/bash/examples/copyright"));
	assert_false(dpkg_wants("usr/share/doc/bash/copyright.gz"));
	assert_false(dpkg_wants("etc/os-release"));
}

/* ---- dpkg: the fixture tree ------------------------------------------------- */

static void test_dpkg_status(void **state)
{
	(void)state;
	struct catalog *c = run_tree(dpkg_collect, dpkg_wants, "dpkg/root");
	dump_warnings(c);
	/* libc6, bash, libssl3, zlib1g, tzdata; not the removed, half-installed,
	 * unpacked or versionless ones. */
	assert_int_equal(c->n_pkgs, 5);
	assert_null(find_pkg(c, "removed-thing"));
	assert_null(find_pkg(c, "half-done"));
	assert_null(find_pkg(c, "unpacked-only"));
	assert_null(find_pkg(c, "no-version"));
	assert_int_equal(c->warnings.n, 1);
	assert_true(has_warning(c, "var/lib/dpkg/status: line 85: package without Version"));

	const struct cat_pkg *p = get_pkg(c, "libc6");
	assert_int_equal(p->type, PKG_DEB);
	assert_string_equal(p->version, "2.36-9+deb12u4");
	assert_string_equal(p->arch, "amd64");
	assert_string_equal(p->src_name, "glibc");
	assert_null(p->src_version);
	assert_string_equal(p->supplier, "GNU Libc Maintainers <debian-glibc@lists.debian.org>");
	assert_string_equal(p->homepage, "https://www.gnu.org/software/libc/libc.html");
	assert_string_equal(p->location, "var/lib/dpkg/status");
	assert_null(p->license);   /* not DEP-5 */
	const char *const libc_deps[] = { "libgcc-s1" };
	assert_strvec(&p->depends, libc_deps, 1);
	/* Every path listed, directories too: the catalog ignores those. */
	const char *const libc_files[] = {
		"etc", "etc/ld.so.conf.d", "etc/ld.so.conf.d/x86_64-linux-gnu.conf", "lib",
		"lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu/libc.so.6",
		"lib/x86_64-linux-gnu/libm.so.6", "lib64", "lib64/ld-linux-x86-64.so.2",
		"usr/share/doc/libc6", "usr/share/doc/libc6/copyright",
	};
	assert_strvec(&p->files, libc_files, ARRAY_SIZE(libc_files));
	catalog_free(c);
}

static void test_dpkg_fields(void **state)
{
	(void)state;
	struct catalog *c = run_tree(dpkg_collect, dpkg_wants, "dpkg/root");

	const struct cat_pkg *bash = get_pkg(c, "bash");   /* "hold ok installed" */
	assert_string_equal(bash->version, "5.2.15-2+b2");
	assert_null(bash->src_name);
	assert_null(bash->license);   /* free-text copyright */
	const char *const bash_deps[] = { "libc6", "libtinfo6", "base-files", "debianutils" };
	assert_strvec(&bash->depends, bash_deps, ARRAY_SIZE(bash_deps));
	const char *const bash_files[] = { "bin", "bin/bash", "usr/bin/bashbug",
					   "usr/share/doc/bash/copyright", "bin/rbash" };
	assert_strvec(&bash->files, bash_files, ARRAY_SIZE(bash_files));

	/* Source with a version; Depends over continuation lines, with
	 * alternatives, :arch qualifiers, arch lists and build profiles. */
	const struct cat_pkg *ssl = get_pkg(c, "libssl3");
	assert_string_equal(ssl->version, "3.0.11-1~deb12u2+b1");
	assert_string_equal(ssl->src_name, "openssl");
	assert_string_equal(ssl->src_version, "3.0.11-1~deb12u2");
	const char *const ssl_deps[] = { "libc6", "debconf", "debconf-2.0", "perl", "zlib1g" };
	assert_strvec(&ssl->depends, ssl_deps, ARRAY_SIZE(ssl_deps));
	assert_int_equal(ssl->files.n, 3);
	assert_string_equal(ssl->license, "Apache-2.0");   /* public-domain adds nothing */

	/* No .list: the .md5sums, whose paths have no leading "/". */
	const struct cat_pkg *z = get_pkg(c, "zlib1g");
	assert_string_equal(z->version, "1:1.2.13.dfsg-1");
	const char *const z_files[] = { "lib/x86_64-linux-gnu/libz.so.1.2.13",
					"usr/share/doc/zlib1g/copyright" };
	assert_strvec(&z->files, z_files, 2);
	assert_string_equal(z->license,
			    "(GPL-2.0-or-later OR MIT) AND BSD-3-Clause AND BSL-1.0 AND Zlib");

	const struct cat_pkg *tz = get_pkg(c, "tzdata");   /* Architecture: all */
	assert_string_equal(tz->arch, "all");
	assert_int_equal(tz->files.n, 2);
	assert_null(tz->license);   /* no copyright file at all */
	catalog_free(c);
}

static void test_dpkg_distroless(void **state)
{
	(void)state;
	struct catalog *c = run_tree(dpkg_collect, dpkg_wants, "dpkg/distroless");
	assert_no_warnings(c);
	assert_int_equal(c->n_pkgs, 2);
	const struct cat_pkg *bf = get_pkg(c, "base-files");
	assert_string_equal(bf->version, "12.4+deb12u5");
	assert_string_equal(bf->location, "var/lib/dpkg/status.d/base-files");
	assert_string_equal(bf->license, "GPL-2.0-or-later");   /* a DEP-5 draft header */
	const char *const bf_files[] = { "etc/debian_version", "etc/os-release" };
	assert_strvec(&bf->files, bf_files, 2);
	const char *const bf_deps[] = { "awk" };
	assert_strvec(&bf->depends, bf_deps, 1);
	const struct cat_pkg *ssl = get_pkg(c, "libssl3");
	assert_string_equal(ssl->location, "var/lib/dpkg/status.d/libssl3");
	const char *const ssl_files[] = { "usr/lib/x86_64-linux-gnu/libssl.so.3" };
	assert_strvec(&ssl->files, ssl_files, 1);
	assert_string_equal(ssl->license, "Apache-2.0");
	catalog_free(c);
}

/* Multi-Arch: same installed twice: each finds its own name:arch list. */
static void test_dpkg_multiarch(void **state)
{
	(void)state;
	struct blobs bs = { 0 };
	blobs_add_str(&bs, "var/lib/dpkg/status",
		      "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n"
		      "Version: 2.36-9\nMulti-Arch: same\n\n"
		      "Package: libc6\nStatus: install ok installed\nArchitecture: i386\n"
		      "Version: 2.36-9\nMulti-Arch: same\n");
	blobs_add_str(&bs, "var/lib/dpkg/info/libc6:amd64.list", "/lib/x86_64-linux-gnu/libc.so.6\n");
	blobs_add_str(&bs, "var/lib/dpkg/info/libc6:i386.list", "/lib/i386-linux-gnu/libc.so.6\n");
	struct catalog *c = run_blobs(dpkg_collect, &bs);
	assert_no_warnings(c);
	assert_int_equal(c->n_pkgs, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		assert_int_equal(p->files.n, 1);
		assert_true(strstr(p->files.v[0], !strcmp(p->arch, "i386") ? "i386" : "x86_64"));
	}
	catalog_free(c);
}

/* ---- dpkg: DEP-5 licenses ---------------------------------------------------- */

static char *license_of(const char *licenses)
{
	cleanup_free char *text = xasprintf(
		"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
		"Upstream-Name: x\n\n%s", licenses);
	struct blobs bs = { 0 };
	blobs_add_str(&bs, "var/lib/dpkg/status",
		      "Package: x\nStatus: install ok installed\nVersion: 1\n");
	blobs_add_str(&bs, "usr/share/doc/x/copyright", text);
	struct catalog *c = run_blobs(dpkg_collect, &bs);
	dump_warnings(c);
	assert_int_equal(c->n_pkgs, 1);
	char *license = c->pkgs[0].license ? xstrdup(c->pkgs[0].license) : NULL;
	catalog_free(c);
	return license;
}

static void check_license(const char *field, const char *want)
{
	cleanup_free char *text = xasprintf("Files: *\nCopyright: someone\nLicense: %s\n", field);
	cleanup_free char *got = license_of(text);
	if (!want ? got != NULL : !got || strcmp(got, want))
		fail_msg("License: %s → %s, want %s", field, got ? got : "NULL",
			 want ? want : "NULL");
}

static void test_dep5_names(void **state)
{
	(void)state;
	check_license("GPL-2+", "GPL-2.0-or-later");
	check_license("GPL-2", "GPL-2.0-only");
	check_license("GPL-3.0+", "GPL-3.0-or-later");
	check_license("GPLv3", "GPL-3.0-only");
	check_license("LGPL-2.1+", "LGPL-2.1-or-later");
	check_license("LGPL-2", "LGPL-2.0-only");
	check_license("AGPL-3+", "AGPL-3.0-or-later");
	check_license("GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later");
	check_license("Expat", "MIT");
	check_license("BSD-3-clause", "BSD-3-Clause");
	check_license("bsd-2-CLAUSE", "BSD-2-Clause");
	check_license("Apache-2.0", "Apache-2.0");
	check_license("Apache-2", "Apache-2.0");
	check_license("MPL-1.1+", "MPL-1.1+");
	check_license("Artistic", "Artistic-1.0-Perl");
	check_license("CC0-1.0", "CC0-1.0");
	check_license("CDDL-1", "CDDL-1.0");
	check_license("Artistic-2", "Artistic-2.0");
	check_license("Apache-2-LLVM-exceptions", "Apache-2.0 WITH LLVM-exception");
	check_license("GPL-2 with Linux-syscall-note exception", "GPL-2.0-only WITH Linux-syscall-note");
	check_license("public-domain", "LicenseRef-public-domain");
	check_license("public domain", "LicenseRef-public-domain");
	check_license("GPL", "LicenseRef-GPL");
	check_license("Some Custom/License (v2)+", "LicenseRef-Some-Custom-License-v2-plus");
	check_license("GPL-2+ with OpenSSL exception", "LicenseRef-GPL-2plus-with-OpenSSL-exception");
	check_license("GPL-3+ with GCC-3.1 exception", "GPL-3.0-or-later WITH GCC-exception-3.1");
	check_license("GPL-2 with Classpath exception", "GPL-2.0-only WITH Classpath-exception-2.0");
}

static void test_dep5_expressions(void **state)
{
	(void)state;
	check_license("GPL-2+ or Artistic", "GPL-2.0-or-later OR Artistic-1.0-Perl");
	check_license("GPL-2+ and BSD-3-clause", "BSD-3-Clause AND GPL-2.0-or-later");
	check_license("GPL-2+ OR MIT and ISC", "GPL-2.0-or-later OR MIT AND ISC");
	check_license("GPL-2+ or Artistic, and BSD-3-clause",
		      "(GPL-2.0-or-later OR Artistic-1.0-Perl) AND BSD-3-Clause");
	check_license("GPL-2+ and MIT, or ISC", "(GPL-2.0-or-later AND MIT) OR ISC");
	check_license("Expat, BSD-3-clause", "BSD-3-Clause AND MIT");
	check_license("MIT or", "MIT");
	check_license("and or , ,", NULL);
	check_license("", NULL);
	/* Licenses of every paragraph: each once, sorted; public-domain only
	 * when it stands alone; standalone License paragraphs count. */
	cleanup_free char *many = license_of(
		"Files: *\nLicense: GPL-2+\n\n"
		"Files: a/*\nLicense: Expat\n\n"
		"Files: b/*\nLicense: GPL-2+\n\n"
		"Files: c/*\nLicense: GPL-2+ or Artistic\n\n"
		"Files: debian/*\nLicense: public-domain\n\n"
		"License: Expat\n Permission is hereby granted, free of charge, to any\n .\n"
		" person obtaining a copy…\n");
	assert_string_equal(many, "(GPL-2.0-or-later OR Artistic-1.0-Perl) AND "
				  "GPL-2.0-or-later AND MIT");
	/* A copyright file that is prose: no license, no warning. */
	struct blobs bs = { 0 };
	blobs_add_str(&bs, "var/lib/dpkg/status",
		      "Package: x\nStatus: install ok installed\nVersion: 1\n");
	blobs_add_str(&bs, "usr/share/doc/x/copyright",
		      "This package was debianized by someone.\nLicense: GPL\n");
	struct catalog *c = run_blobs(dpkg_collect, &bs);
	assert_no_warnings(c);
	assert_null(c->pkgs[0].license);
	catalog_free(c);
}

/* Thousands of distinct licenses: bounded, warned of. */
static void test_dep5_hostile(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 5000; i++)
		strbuf_addf(&sb, "Files: f%d\nLicense: L%d or M%d and N%d\n\n", i, i, i, i);
	cleanup_free char *text = xasprintf(
		"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n%s",
		sb.buf);
	strbuf_release(&sb);
	struct blobs bs = { 0 };
	blobs_add_str(&bs, "var/lib/dpkg/status",
		      "Package: x\nStatus: install ok installed\nVersion: 1\n");
	blobs_add_str(&bs, "usr/share/doc/x/copyright", text);
	struct catalog *c = run_blobs(dpkg_collect, &bs);
	assert_true(has_warning(c, "usr/share/doc/x/copyright: more than 64 licenses"));
	assert_non_null(c->pkgs[0].license);
	assert_true(strlen(c->pkgs[0].license) < 64 * 200);
	catalog_free(c);
}

/* ---- dpkg: hostile input ------------------------------------------------------ */

static void test_dpkg_truncated(void **state)
{
	(void)state;
	const char *text = "Package: a\nStatus: install ok installed\nVersion: 1\n\n"
			   "Package: b\nStatus: install ok installed\nVersi";
	struct blobs bs = { 0 };
	blobs_add(&bs, "var/lib/dpkg/status", text, strlen(text), true);
	blobs_add(&bs, "var/lib/dpkg/info/a.list", "/usr/bin/a\n/usr/bin/partial-na", 30, true);
	struct catalog *c = run_blobs(dpkg_collect, &bs);
	assert_int_equal(c->n_pkgs, 1);
	assert_string_equal(c->pkgs[0].name, "a");
	const char *const files[] = { "usr/bin/a" };
	assert_strvec(&c->pkgs[0].files, files, 1);
	assert_true(has_warning(c, "var/lib/dpkg/status: file is truncated"));
	assert_true(has_warning(c, "var/lib/dpkg/info/a.list: file is truncated"));
	catalog_free(c);
}

static void test_dpkg_bad_stanzas(void **state)
{
	(void)state;
	struct catalog *c = run_one(dpkg_collect, "var/lib/dpkg/status",
				    " leading continuation\n"
				    "Package: ok\nStatus: install ok installed\nVersion: 1\n"
				    "this line is no field\n"
				    ": no name\n\n\n"
				    "Status: install ok installed\nVersion: 2\n\n"
				    "Package: nostatus\nVersion: 3\n\n"
				    "Package: crlf\r\nStatus: install ok installed\r\nVersion: 4\r\n"
				    "Architecture: amd64\r\n\r\n"
				    "Package: \xff\xfe\x01name\nStatus: install ok installed\n"
				    "Version: 5\xc3\n");
	dump_warnings(c);
	assert_int_equal(c->n_pkgs, 3);
	assert_true(has_warning(c, "line 1: continuation line without a field"));
	assert_true(has_warning(c, "line 5: not a field"));
	assert_true(has_warning(c, "line 6: not a field"));
	assert_true(has_warning(c, "line 9: package without Package"));
	const struct cat_pkg *p = get_pkg(c, "crlf");
	assert_string_equal(p->version, "4");
	assert_string_equal(p->arch, "amd64");
	/* Invalid UTF-8 replaced, control characters dropped. */
	p = get_pkg(c, "\xef\xbf\xbd\xef\xbf\xbdname");
	assert_string_equal(p->version, "5\xef\xbf\xbd");
	catalog_free(c);
}

/* A 2 MiB line, NUL bytes and binary garbage: warnings, nothing else. */
static void test_dpkg_garbage(void **state)
{
	(void)state;
	size_t big = 2u << 20;
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "Package: long\nStatus: install ok installed\nVersion: 1\nDepends: ");
	for (size_t i = 0; i < big / 8; i++)
		strbuf_adds(&sb, "a (>= 1),");
	strbuf_adds(&sb, "\nDescription: ");
	for (size_t i = 0; i < big; i++)
		strbuf_addc(&sb, 'x');
	strbuf_adds(&sb, "\n\nPackage: after\nStatus: install ok installed\nVersion: 2\n\n");
	srand(42);
	for (size_t i = 0; i < 100000; i++)
		strbuf_addc(&sb, (char)(rand() & 0xff));
	struct blobs bs = { 0 };
	blobs_add(&bs, "var/lib/dpkg/status", sb.buf, sb.len, false);
	blobs_add(&bs, "var/lib/dpkg/info/after.list", sb.buf, sb.len, false);
	static const char list[] = "/a\0/b\n/../../etc/passwd\n\n//x//y/\n";
	blobs_add(&bs, "var/lib/dpkg/info/long.list", list, sizeof(list) - 1, false);
	strbuf_release(&sb);
	struct catalog *c = run_blobs(dpkg_collect, &bs);
	const struct cat_pkg *p = get_pkg(c, "long");
	assert_int_equal(p->depends.n, 0);   /* dropped: longer than 1 MiB */
	assert_true(has_warning(c, "var/lib/dpkg/status: line 4: field longer than 1 MiB"));
	const char *const files[] = { "a", "x/y" };
	assert_strvec(&p->files, files, 2);
	assert_true(has_warning(c, "long.list: line 2: bad path '/../../etc/passwd'"));
	get_pkg(c, "after");
	assert_true(c->warnings.n < 1100);
	catalog_free(c);
}

static void test_dpkg_empty(void **state)
{
	(void)state;
	struct catalog *c = run_one(dpkg_collect, "var/lib/dpkg/status", "");
	assert_int_equal(c->n_pkgs, 0);
	assert_no_warnings(c);
	catalog_free(c);
	struct blobs bs = { 0 };
	c = run_blobs(dpkg_collect, &bs);
	assert_int_equal(c->n_pkgs, 0);
	catalog_free(c);
	c = run_one(dpkg_collect, "var/lib/dpkg/status", "\n\n \n\t\n");
	assert_int_equal(c->n_pkgs, 0);
	assert_no_warnings(c);
	catalog_free(c);
}

/* 3000 packages, 5 MB of status, 300k listed paths: well under 100 ms on a
 * normal build; the bound here only catches something quadratic (this also
 * runs under sanitizers and valgrind). */
static void test_dpkg_big(void **state)
{
	(void)state;
	struct blobs bs = { 0 };
	struct strbuf st = STRBUF_INIT, list = STRBUF_INIT;
	for (int i = 0; i < 3000; i++) {
		strbuf_addf(&st, "Package: pkg%04d\nStatus: install ok installed\n"
			    "Architecture: amd64\nMulti-Arch: same\nVersion: 1.%d-1\n"
			    "Depends: pkg%04d (>= 1), libc6 | libc6.1\nDescription: package %d\n",
			    i, i, (i + 1) % 3000, i);
		for (int l = 0; l < 25; l++)
			strbuf_adds(&st, " Lorem ipsum dolor sit amet, consectetur adipiscing elit, "
				    "sed do eiusmod.\n");
		strbuf_addc(&st, '\n');
		strbuf_reset(&list);
		for (int f = 0; f < 100; f++)
			strbuf_addf(&list, "/usr/lib/x86_64-linux-gnu/pkg%04d/file-%03d.so\n", i, f);
		cleanup_free char *path = xasprintf("var/lib/dpkg/info/pkg%04d:amd64.list", i);
		blobs_add(&bs, path, list.buf, list.len, false);
	}
	assert_true(st.len > 5000000);
	blobs_add(&bs, "var/lib/dpkg/status", st.buf, st.len, false);
	strbuf_release(&st);
	strbuf_release(&list);
	qsort(bs.v, bs.n, sizeof(*bs.v), cmp_blob);
	struct catalog *c = xcalloc(1, sizeof(*c));
	struct cat_input in = { bs.v, bs.n };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dpkg_collect(c, &in);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("dpkg_collect: 3000 packages, 300000 paths in %.1f ms\n", ms);
	assert_no_warnings(c);
	assert_int_equal(c->n_pkgs, 3000);
	for (size_t i = 0; i < c->n_pkgs; i++)
		assert_int_equal(c->pkgs[i].files.n, 100);
	assert_true(ms < 5000);
	catalog_free(c);
	blobs_release(&bs);
}

/* ---- dpkg: this machine's database ------------------------------------------- */

/* The first line dpkg-query prints (its output), or NULL. */
static char *run_query(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	if (!f)
		return NULL;
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	if (pclose(f) != 0)
		return NULL;
	buf[strcspn(buf, "\n")] = 0;
	return xstrdup(buf);
}

static void load_real_info(struct blobs *bs)
{
	DIR *d = opendir("/var/lib/dpkg/info");
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)))
		if (str_ends_with(e->d_name, ".list")) {
			cleanup_free char *rel = xasprintf("var/lib/dpkg/info/%s", e->d_name);
			cleanup_free char *abs = xasprintf("/%s", rel);
			blobs_add_file(bs, rel, abs);
		}
	closedir(d);
	d = opendir("/usr/share/doc");
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			cleanup_free char *rel = xasprintf("usr/share/doc/%s/copyright", e->d_name);
			cleanup_free char *abs = xasprintf("/%s", rel);
			struct stat st;
			/* The scanner keeps regular files, not what a symlinked doc dir holds. */
			cleanup_free char *dir = xasprintf("/usr/share/doc/%s", e->d_name);
			if (!lstat(dir, &st) && S_ISDIR(st.st_mode))
				blobs_add_file(bs, rel, abs);
		}
	closedir(d);
}

static void test_dpkg_real(void **state)
{
	(void)state;
	cleanup_free char *installed = run_query(
		"dpkg-query -W -f='${db:Status-Abbrev}\\n' 2>/dev/null | grep -c '^.i'");
	cleanup_free char *libc_version =
		run_query("dpkg-query -W -f='${Version}' libc6 2>/dev/null");
	cleanup_free char *libc_so =
		run_query("dpkg-query -L libc6 2>/dev/null | grep '/libc\\.so\\.6$'");
	if (access("/var/lib/dpkg/status", R_OK) || !installed || !libc_version || !libc_so) {
		print_message("no dpkg database or dpkg-query here\n");
		skip();
	}
	struct blobs bs = { 0 };
	blobs_add_file(&bs, "var/lib/dpkg/status", "/var/lib/dpkg/status");
	load_real_info(&bs);
	struct catalog *c = run_blobs(dpkg_collect, &bs);
	assert_no_warnings(c);
	uint64_t want;
	assert_int_equal(parse_u64(installed, SIZE_MAX, &want), 0);
	assert_int_equal(c->n_pkgs, want);
	const struct cat_pkg *libc = get_pkg(c, "libc6");
	assert_string_equal(libc->version, libc_version);
	cleanup_free char *so = cat_clean_path(libc_so);
	if (!strvec_has(&libc->files, so))
		fail_msg("libc6 does not own %s", so);
	size_t licensed = 0;
	for (size_t i = 0; i < c->n_pkgs; i++)
		licensed += c->pkgs[i].license != NULL;
	print_message("%zu packages, %zu with a DEP-5 license\n", c->n_pkgs, licensed);
	get_pkg(c, "dpkg");
	catalog_free(c);
}

/* ---- os ----------------------------------------------------------------------- */

static void test_os_wants(void **state)
{
	(void)state;
	assert_true(os_wants("etc/os-release"));
	assert_true(os_wants("usr/lib/os-release"));
	assert_true(os_wants("etc/debian_version"));
	assert_true(os_wants("etc/alpine-release"));
	assert_true(os_wants("etc/redhat-release"));
	assert_true(os_wants("etc/lsb-release"));
	assert_false(os_wants("etc/os-release.d/x"));
	assert_false(os_wants("usr/etc/os-release"));
	assert_false(os_wants("etc/issue"));
}

static void check_os(const char *tree, const char *id, const char *version_id,
		     const char *codename, const char *pretty, const char *id_like)
{
	cleanup_free char *rel = xasprintf("os/%s", tree);
	struct catalog *c = run_tree(os_collect, os_wants, rel);
	assert_no_warnings(c);
	assert_str_or_null(c->os.id, id);
	assert_str_or_null(c->os.version_id, version_id);
	assert_str_or_null(c->os.codename, codename);
	assert_str_or_null(c->os.pretty_name, pretty);
	assert_str_or_null(c->os.id_like, id_like);
	assert_int_equal(c->n_pkgs, 0);
	catalog_free(c);
}

static void test_os_release(void **state)
{
	(void)state;
	/* etc/os-release wins over usr/lib's. */
	check_os("debian12", "debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)", NULL);
	/* etc/os-release a symlink (not kept): usr/lib's; lsb-release agrees;
	 * debian_version "bookworm/sid" is about Debian, not Ubuntu. */
	check_os("ubuntu", "ubuntu", "22.04", "jammy", "Ubuntu 22.04.4 LTS", "debian");
	/* Debian testing: no VERSION_ID; the codename from debian_version. */
	check_os("sid", "debian", NULL, "trixie", "Debian GNU/Linux trixie/sid", NULL);
	check_os("quoted", "my-distro", "1.0", "Spring",
		 "My \"Quoted\" Distro $HOME \\ \\q", "rhel centos fedora");
}

static void test_os_fallbacks(void **state)
{
	(void)state;
	check_os("old-debian", "debian", "11", NULL, NULL, NULL);
	check_os("alpine", "alpine", "3.19.1", NULL, NULL, NULL);
	check_os("centos7", "centos", "7", "Core", "CentOS Linux release 7.9.2009 (Core)", NULL);
	struct catalog *c = run_one(os_collect, "etc/redhat-release",
				    "Red Hat Enterprise Linux release 9.3 (Plow)\n");
	assert_string_equal(c->os.id, "rhel");
	assert_string_equal(c->os.version_id, "9.3");
	catalog_free(c);
	c = run_one(os_collect, "etc/lsb-release", "DISTRIB_ID=LinuxMint\nDISTRIB_RELEASE=21\n");
	assert_string_equal(c->os.id, "linuxmint");
	assert_string_equal(c->os.version_id, "21");
	catalog_free(c);
}

static void test_os_hostile(void **state)
{
	(void)state;
	struct catalog *c = run_one(os_collect, "etc/os-release",
				    "ID=\"unterminated\nVERSION_ID=\\\nPRETTY_NAME=\xff\x01\xfe\n"
				    "ID_LIKE=''\nVERSION_CODENAME=a\\ b\n");
	assert_string_equal(c->os.id, "unterminated");
	assert_string_equal(c->os.version_id, "\\");   /* a lone "\" is itself */
	assert_string_equal(c->os.pretty_name, "\xef\xbf\xbd\xef\xbf\xbd");
	assert_null(c->os.id_like);
	assert_string_equal(c->os.codename, "a b");
	catalog_free(c);
	c = run_one(os_collect, "etc/debian_version", "");
	assert_string_equal(c->os.id, "debian");
	assert_null(c->os.version_id);
	catalog_free(c);
	c = run_one(os_collect, "etc/redhat-release", "\n\n");
	assert_null(c->os.id);
	catalog_free(c);
	struct blobs bs = { 0 };
	c = run_blobs(os_collect, &bs);
	assert_null(c->os.id);
	catalog_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dpkg_wants),
		cmocka_unit_test(test_dpkg_status),
		cmocka_unit_test(test_dpkg_fields),
		cmocka_unit_test(test_dpkg_distroless),
		cmocka_unit_test(test_dpkg_multiarch),
		cmocka_unit_test(test_dep5_names),
		cmocka_unit_test(test_dep5_expressions),
		cmocka_unit_test(test_dep5_hostile),
		cmocka_unit_test(test_dpkg_truncated),
		cmocka_unit_test(test_dpkg_bad_stanzas),
		cmocka_unit_test(test_dpkg_garbage),
		cmocka_unit_test(test_dpkg_empty),
		cmocka_unit_test(test_dpkg_big),
		cmocka_unit_test(test_dpkg_real),
		cmocka_unit_test(test_os_wants),
		cmocka_unit_test(test_os_release),
		cmocka_unit_test(test_os_fallbacks),
		cmocka_unit_test(test_os_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
