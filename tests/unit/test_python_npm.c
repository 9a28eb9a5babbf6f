/* catalog: the Python (dist-info, egg-info) and npm (node_modules,
 * package-lock.json) parsers, on real fixtures and hostile input. */
#include "catalog/catalog_internal.h"

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

/* ---- inputs ------------------------------------------------------------------ */

struct blobs {
	struct cat_blob *v;
	size_t n, cap;
};

static void blobs_add(struct blobs *b, const char *path, const char *data, size_t len,
		      bool truncated)
{
	b->v = xgrow(b->v, &b->cap, b->n + 1, sizeof(*b->v));
	char *copy = xmalloc(len + 1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	b->v[b->n++] = (struct cat_blob){ .path = xstrdup(path), .data = copy, .len = len,
					  .layer = 1, .truncated = truncated };
}

static void blobs_addz(struct blobs *b, const char *path, const char *data)
{
	blobs_add(b, path, data, strlen(data), false);
}

static int cmp_blob(const void *a, const void *b)
{
	return strcmp(((const struct cat_blob *)a)->path, ((const struct cat_blob *)b)->path);
}

static void blobs_release(struct blobs *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].path);
		free(b->v[i].data);
	}
	free(b->v);
}

/* The fixture tree under tests/data/catalog/<name>, as the scanner keeps
 * it: the files the parser wants, relative to the tree. */
static struct blobs *tree_blobs;
static size_t tree_prefix;
static bool (*tree_wants)(const char *);

static int tree_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	const char *rel = path + tree_prefix;
	if (flag != FTW_F || !tree_wants(rel))
		return 0;
	struct qerr err = QERR_INIT;
	char *data;
	size_t len;
	if (read_file_at(AT_FDCWD, path, CAT_MAX_BLOB, &data, &len, &err) < 0)
		fail_msg("%s", err.msg);
	blobs_add(tree_blobs, rel, data, len, false);
	free(data);
	return 0;
}

static void load_tree(struct blobs *b, const char *name, bool (*wants)(const char *))
{
	const char *dir = getenv("QUENCH_TEST_DATA");
	assert_non_null(dir);
	cleanup_free char *root = xasprintf("%s/catalog/%s", dir, name);
	tree_blobs = b;
	tree_prefix = strlen(root) + 1;
	tree_wants = wants;
	assert_int_equal(nftw(root, tree_file, 16, FTW_PHYS), 0);
}

static struct catalog *run(struct blobs *b, void (*collect)(struct catalog *,
							     const struct cat_input *))
{
	qsort(b->v, b->n, sizeof(*b->v), cmp_blob);
	struct catalog *c = xcalloc(1, sizeof(*c));
	struct cat_input in = { b->v, b->n };
	collect(c, &in);
	return c;
}

/* ---- lookups ----------------------------------------------------------------- */

static size_t count_pkgs(const struct catalog *c, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_pkgs; i++)
		n += !strcmp(c->pkgs[i].name, name);
	return n;
}

static const struct cat_pkg *pkg(const struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (!strcmp(c->pkgs[i].name, name))
			return &c->pkgs[i];
	fail_msg("no package '%s'", name);
	return NULL;
}

static bool has(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

static bool warned(const struct catalog *c, const char *part)
{
	for (size_t i = 0; i < c->warnings.n; i++)
		if (strstr(c->warnings.v[i], part))
			return true;
	return false;
}

static void assert_no_warnings(const struct catalog *c)
{
	for (size_t i = 0; i < c->warnings.n; i++)
		print_error("warning: %s\n", c->warnings.v[i]);
	assert_int_equal(c->warnings.n, 0);
}

/* Every string a parser stores must be clean (JSON-safe) and every file
 * path clean and relative. */
static void assert_sane(const struct catalog *c)
{
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		assert_non_null(p->name);
		assert_non_null(p->version);
		assert_true(*p->name && *p->version);
		for (size_t k = 0; k < p->files.n; k++) {
			const char *f = p->files.v[k];
			assert_true(f[0] != '/' && !strstr(f, "//") && strcmp(f, ".."));
			assert_null(strstr(f, "/../"));
			assert_false(str_starts_with(f, "../"));
		}
	}
}

/* ---- python: which files ----------------------------------------------------- */

static void test_py_wants(void **state)
{
	(void)state;
	assert_true(python_wants("usr/lib/python3/dist-packages/a-1.dist-info/METADATA"));
	assert_true(python_wants("opt/venv/lib/python3.11/site-packages/a-1.dist-info/RECORD"));
	assert_true(python_wants("root/.local/lib/python3.12/site-packages/x-2.dist-info/METADATA"));
	assert_true(python_wants("opt/conda/lib/python3.10/site-packages/t.egg-info/PKG-INFO"));
	assert_true(python_wants("usr/lib/python3/dist-packages/t.egg-info/installed-files.txt"));
	assert_true(python_wants("usr/lib/python3/dist-packages/t.egg-info/requires.txt"));
	assert_true(python_wants("usr/lib/python3/dist-packages/foo-1.0.egg-info"));
	assert_false(python_wants("usr/lib/python3/dist-packages/a-1.dist-info/WHEEL"));
	assert_false(python_wants("usr/lib/python3/dist-packages/a-1.dist-info/LICENSE"));
	assert_false(python_wants("usr/lib/python3/dist-packages/a/METADATA"));
	assert_false(python_wants("usr/lib/python3/dist-packages/a/RECORD"));
	assert_false(python_wants("usr/lib/python3/dist-packages/a/PKG-INFO"));
	assert_false(python_wants("a-1.dist-info/sub/METADATA"));
	assert_false(python_wants("METADATA"));
	assert_false(python_wants(".egg-info"));
	assert_false(python_wants("usr/bin/python3"));
	assert_false(python_wants(""));
}

/* ---- python: real fixtures --------------------------------------------------- */

static void test_py_fixtures(void **state)
{
	(void)state;
	struct blobs b = { 0 };
	load_tree(&b, "python", python_wants);
	struct catalog *c = run(&b, python_collect);
	assert_no_warnings(c);
	assert_sane(c);
	assert_int_equal(c->n_pkgs, 6);

	const struct cat_pkg *p = pkg(c, "blinker");
	assert_int_equal(p->type, PKG_PYTHON);
	assert_string_equal(p->version, "1.5");
	assert_string_equal(p->license, "MIT");
	assert_string_equal(p->supplier, "Jason Kirtland <jek@discorporate.us>");
	assert_string_equal(p->homepage, "https://blinker.readthedocs.io");
	assert_string_equal(p->location,
			    "usr/lib/python3/dist-packages/blinker-1.5.dist-info/METADATA");
	assert_int_equal(p->layer, 1);
	assert_int_equal(p->files.n, 8);
	assert_true(has(&p->files, "usr/lib/python3/dist-packages/blinker/base.py"));
	assert_true(has(&p->files, "usr/lib/python3/dist-packages/blinker-1.5.dist-info/RECORD"));
	assert_int_equal(p->depends.n, 0);

	/* Requires-Dist: markers kept unless they name an extra */
	p = pkg(c, "jsonschema");
	assert_int_equal(p->depends.n, 6);
	const char *want[] = { "attrs", "importlib-metadata", "importlib-resources",
			       "pkgutil-resolve-name", "pyrsistent", "typing-extensions" };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(p->depends.v[i], want[i]);
	assert_false(has(&p->depends, "idna"));
	assert_true(has(&p->files, "usr/lib/python3/scripts/jsonschema"));

	/* a pyenv install: scripts three levels up */
	p = pkg(c, "pip");
	assert_string_equal(p->version, "24.2");
	assert_string_equal(p->license, "MIT");
	assert_string_equal(p->homepage, "https://pip.pypa.io/");
	assert_string_equal(p->supplier, "The pip developers <distutils-sig@python.org>");
	assert_true(has(&p->files, "root/.pyenv/versions/3.13.0/bin/pip3"));
	assert_true(has(&p->files, "root/.pyenv/versions/3.13.0/bin/pip3.13"));
	assert_true(has(&p->files, "root/.pyenv/versions/3.13.0/lib/python3.13/site-packages/"
				   "pip/__init__.py"));
	assert_true(p->files.n > 800);

	/* the CUDA wheels are ordinary wheels that own their libraries */
	p = pkg(c, "nvidia-cublas-cu12");
	assert_string_equal(p->version, "12.1.3.1");
	assert_string_equal(p->license, "NVIDIA Proprietary Software");
	assert_string_equal(p->homepage, "https://developer.nvidia.com/cuda-zone");
	const char *site = "usr/local/lib/python3.10/dist-packages/";
	const char *libs[] = { "libcublas.so.12", "libcublasLt.so.12", "libnvblas.so.12" };
	for (size_t i = 0; i < ARRAY_SIZE(libs); i++) {
		cleanup_free char *f = xasprintf("%snvidia/cublas/lib/%s", site, libs[i]);
		assert_true(has(&p->files, f));
	}
	assert_int_equal(p->files.n, 24);

	/* old distutils: the .egg-info file is the PKG-INFO */
	p = pkg(c, "crit");
	assert_string_equal(p->version, "3.17.1");
	assert_string_equal(p->license, "GPL-2.0-only");
	assert_string_equal(p->supplier, "CRIU team <criu@openvz.org>");
	assert_string_equal(p->location,
			    "usr/lib/python3/dist-packages/crit-3.17.1-py3.11.egg-info");
	assert_int_equal(p->files.n, 0);

	/* an egg-info directory; requires.txt holds only extras */
	p = pkg(c, "cryptography");
	assert_string_equal(p->version, "38.0.4");
	assert_string_equal(p->license, "BSD-3-Clause OR Apache-2.0");
	assert_int_equal(p->depends.n, 0);
	catalog_free(c);
	blobs_release(&b);
}

/* ---- python: licenses --------------------------------------------------------- */

static char *license_of(const char *headers)
{
	struct blobs b = { 0 };
	cleanup_free char *meta = xasprintf("Name: x\nVersion: 1\n%s\nbody\nLicense: no\n", headers);
	blobs_addz(&b, "s/x-1.dist-info/METADATA", meta);
	struct catalog *c = run(&b, python_collect);
	assert_int_equal(c->n_pkgs, 1);
	char *l = c->pkgs[0].license ? xstrdup(c->pkgs[0].license) : NULL;
	catalog_free(c);
	blobs_release(&b);
	return l;
}

static void assert_license(const char *headers, const char *want)
{
	cleanup_free char *l = license_of(headers);
	if (!want) {
		assert_null(l);
		return;
	}
	assert_non_null(l);
	assert_string_equal(l, want);
}

static void test_py_licenses(void **state)
{
	(void)state;
	assert_license("License: MIT", "MIT");
	assert_license("License: mit license", "MIT");
	assert_license("License: BSD", "BSD-3-Clause");
	assert_license("License: Apache 2.0", "Apache-2.0");
	assert_license("License: Apache License, Version 2.0", "Apache-2.0");
	assert_license("License: PSF", "PSF-2.0");
	assert_license("License: BSD-3-Clause", "BSD-3-Clause");
	assert_license("License: LGPLv3+", "LGPL-3.0-or-later");
	assert_license("License:   Weird License 1.0  ", "Weird License 1.0");
	assert_license("License: UNKNOWN", NULL);
	assert_license("", NULL);
	/* Metadata 2.4 */
	assert_license("License: MIT\nLicense-Expression: Apache-2.0 OR MIT", "Apache-2.0 OR MIT");
	/* classifiers when License is empty or prose */
	assert_license("Classifier: License :: OSI Approved :: MIT License", "MIT");
	assert_license("License: UNKNOWN\n"
		       "Classifier: License :: OSI Approved\n"
		       "Classifier: License :: OSI Approved :: Apache Software License\n"
		       "Classifier: License :: OSI Approved :: BSD License\n"
		       "Classifier: License :: OSI Approved :: Apache Software License",
		       "Apache-2.0 OR BSD-3-Clause");
	assert_license("License: Copyright (c) 2004 The Authors\n"
		       "        Permission is hereby granted, free of charge, to any person\n"
		       "        obtaining a copy of this software\n"
		       "Classifier: License :: OSI Approved :: MIT License", "MIT");
	assert_license("Classifier: License :: Other/Proprietary License",
		       "Other/Proprietary License");
	/* prose without classifiers: its first line, at most 200 bytes */
	assert_license("License: Copyright (c) 2004 The Authors\n"
		       "        All rights reserved.", "Copyright (c) 2004 The Authors");
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "License: ");
	for (int i = 0; i < 100; i++)
		strbuf_adds(&sb, "é ");   /* 3 bytes each: the cut falls inside one */
	cleanup_free char *l = license_of(strbuf_str(&sb));
	assert_true(strlen(l) <= 200 && strlen(l) > 190);
	assert_null(strstr(l, "\xef\xbf\xbd"));
	strbuf_release(&sb);
}

/* ---- python: requirements ------------------------------------------------------- */

static void test_py_requires(void **state)
{
	(void)state;
	struct blobs b = { 0 };
	blobs_addz(&b, "s/x-1.dist-info/METADATA",
		   "Name: x\nVersion: 1\n"
		   "Requires-Dist: Foo.Bar>=1.0\n"
		   "Requires-Dist: baz[fast] (>=2) ; python_version < '3.8'\n"
		   "Requires-Dist: qux ; platform_system == \"extra\"\n"
		   "Requires-Dist:   spaced   \n"
		   "Requires-Dist: tilde~=1.0\n"
		   "Requires-Dist: direct @ https://example.com/direct.whl\n"
		   "Requires-Dist: opt ; extra == 'test'\n"
		   "Requires-Dist: opt2 ; python_version >= '3' and extra == \"doc\"\n"
		   "Requires-Dist: opt3; (extra=='a')\n"
		   "Requires-Dist: Foo.Bar<3\n"
		   "Requires-Dist: \n"
		   "Requires-Dist: >=1\n"
		   "\n"
		   "Requires-Dist: in-body\n");
	blobs_addz(&b, "s/y.egg-info/PKG-INFO", "Name: y\nVersion: 2\n");
	blobs_addz(&b, "s/y.egg-info/requires.txt",
		   "six>=1.4\n# comment\nidna\n\n[:python_version < \"3.8\"]\nmarked\n"
		   "[socks]\nPySocks\n[security:python_version < \"3\"]\npyopenssl\n");
	struct catalog *c = run(&b, python_collect);
	assert_no_warnings(c);
	const struct cat_pkg *p = pkg(c, "x");
	const char *want[] = { "Foo.Bar", "baz", "direct", "qux", "spaced", "tilde" };
	assert_int_equal(p->depends.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(p->depends.v[i], want[i]);
	p = pkg(c, "y");
	const char *want_y[] = { "idna", "marked", "six" };
	assert_int_equal(p->depends.n, ARRAY_SIZE(want_y));
	for (size_t i = 0; i < ARRAY_SIZE(want_y); i++)
		assert_string_equal(p->depends.v[i], want_y[i]);
	catalog_free(c);
	blobs_release(&b);
}

/* ---- python: file lists --------------------------------------------------------- */

static void test_py_record(void **state)
{
	(void)state;
	struct blobs b = { 0 };
	blobs_addz(&b, "opt/venv/lib/python3.11/site-packages/x-1.dist-info/METADATA",
		   "Metadata-Version: 2.1\r\nName: x\r\nVersion: 1\r\n\r\nbody\r\n");
	blobs_addz(&b, "opt/venv/lib/python3.11/site-packages/x-1.dist-info/RECORD",
		   "x/__init__.py,sha256=abc,10\r\n"
		   "\"x/with,comma.py\",sha256=abc,5\n"
		   "\"x/with \"\"quote\"\".py\",,\n"
		   "\"x/multi\nline.py\",,\n"
		   "../../../bin/x-tool,sha256=abc,100\n"
		   "./x/./dot.py,,\n"
		   "/etc/x.conf,,\n"
		   "\n"
		   "../../../../../../../escape,,\n"
		   "only-two,fields\n"
		   "\"unterminated,,\n");
	struct catalog *c = run(&b, python_collect);
	assert_sane(c);
	const struct cat_pkg *p = pkg(c, "x");
	const char *site = "opt/venv/lib/python3.11/site-packages/";
	const char *want[] = { "x/__init__.py", "x/with,comma.py", "x/with \"quote\".py",
			       "x/multi\nline.py", "x/dot.py" };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		cleanup_free char *f = xasprintf("%s%s", site, want[i]);
		assert_true(has(&p->files, f));
	}
	assert_true(has(&p->files, "opt/venv/bin/x-tool"));
	assert_true(has(&p->files, "etc/x.conf"));
	assert_int_equal(p->files.n, 7);
	assert_true(warned(c, "RECORD: line 10: path leaves the image"));
	assert_true(warned(c, "RECORD: line 11: not a RECORD line"));
	assert_true(warned(c, "RECORD: line 12: bad CSV quoting"));
	assert_int_equal(c->warnings.n, 3);
	catalog_free(c);
	blobs_release(&b);
}

static void test_py_egg_info_dir(void **state)
{
	(void)state;
	struct blobs b = { 0 };
	const char *dir = "usr/lib/python3/dist-packages/foo-1.0-py3.11.egg-info";
	cleanup_free char *pkginfo = xasprintf("%s/PKG-INFO", dir);
	cleanup_free char *list = xasprintf("%s/installed-files.txt", dir);
	blobs_addz(&b, pkginfo,
		   "Metadata-Version: 1.1\nName: foo\nVersion: 1.0\nAuthor: UNKNOWN\n"
		   "Maintainer: Foo Team\nDescription: Foo does things.\n"
		   "        It really does.\nLicense: GPLv3\nPlatform: UNKNOWN\n");
	blobs_addz(&b, list,
		   "../foo/__init__.py\n../foo/__pycache__/__init__.cpython-311.pyc\n"
		   "PKG-INFO\n./SOURCES.txt\n\n../../../../bin/foo\n  \n");
	struct catalog *c = run(&b, python_collect);
	assert_no_warnings(c);
	const struct cat_pkg *p = pkg(c, "foo");
	assert_string_equal(p->version, "1.0");
	assert_string_equal(p->license, "GPL-3.0-only");
	assert_string_equal(p->supplier, "Foo Team");
	assert_null(p->homepage);
	assert_int_equal(p->files.n, 5);
	assert_true(has(&p->files, "usr/lib/python3/dist-packages/foo/__init__.py"));
	assert_true(has(&p->files, "usr/lib/python3/dist-packages/foo-1.0-py3.11.egg-info/PKG-INFO"));
	assert_true(has(&p->files,
			"usr/lib/python3/dist-packages/foo-1.0-py3.11.egg-info/SOURCES.txt"));
	assert_true(has(&p->files, "usr/bin/foo"));
	catalog_free(c);
	blobs_release(&b);
}

/* A torch image: thousands of RECORD lines, read in linear time. */
static void test_py_big_record(void **state)
{
	(void)state;
	struct blobs b = { 0 };
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 20000; i++)
		strbuf_addf(&sb, "torch/lib/part%d/file%d.py,sha256=abcdef,%d\n", i % 97, i, i);
	blobs_addz(&b, "s/torch-2.3.0.dist-info/METADATA", "Name: torch\nVersion: 2.3.0\n");
	blobs_add(&b, "s/torch-2.3.0.dist-info/RECORD", sb.buf, sb.len, false);
	struct catalog *c = run(&b, python_collect);
	assert_no_warnings(c);
	assert_int_equal(pkg(c, "torch")->files.n, 20000);
	catalog_free(c);
	blobs_release(&b);
	strbuf_release(&sb);
}

/* ---- python: hostile input ------------------------------------------------------ */

static void test_py_hostile(void **state)
{
	(void)state;
	struct blobs b = { 0 };
	/* binary garbage as METADATA and RECORD */
	char garbage[4096];
	unsigned x = 12345;
	for (size_t i = 0; i < sizeof(garbage); i++) {
		x = x * 1103515245 + 12345;
		garbage[i] = (char)(x >> 16);
	}
	blobs_add(&b, "a/g-1.dist-info/METADATA", garbage, sizeof(garbage), false);
	blobs_add(&b, "a/g-1.dist-info/RECORD", garbage, sizeof(garbage), false);
	/* a RECORD of one 1 MB line */
	char *big = xmalloc(1 << 20);
	memset(big, 'a', 1 << 20);
	blobs_addz(&b, "a/big-1.dist-info/METADATA", "Name: big\nVersion: 1\n");
	blobs_add(&b, "a/big-1.dist-info/RECORD", big, 1 << 20, false);
	big[1000] = ',';
	big[2000] = ',';
	blobs_addz(&b, "a/big2-1.dist-info/METADATA", "Name: big2\nVersion: 1\n");
	blobs_add(&b, "a/big2-1.dist-info/RECORD", big, 1 << 20, false);
	free(big);
	/* invalid UTF-8 and control characters */
	blobs_addz(&b, "a/u-1.dist-info/METADATA", "Name: u\xff\x01x\nVersion: 1\xc3\n");
	/* no version, no name */
	blobs_addz(&b, "a/nv.dist-info/METADATA", "Name: nv\n\nVersion: 1\n");
	blobs_addz(&b, "a/nn.egg-info", "Version: 1\n");
	/* truncated: headers whole, then the last RECORD line cut */
	blobs_add(&b, "a/t-1.dist-info/METADATA", "Name: t\nVersion: 1\n\nlong", 24, true);
	blobs_add(&b, "a/t-1.dist-info/RECORD", "t/a.py,,\nt/b.py,,\nt/c.p", 22, true);
	/* RECORD alone */
	blobs_addz(&b, "a/lonely-1.dist-info/RECORD", "x,,\n");
	/* many bad lines: only a few warned of */
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 5000; i++)
		strbuf_adds(&sb, "bad\n");
	blobs_addz(&b, "a/many-1.dist-info/METADATA", "Name: many\nVersion: 1\n");
	blobs_add(&b, "a/many-1.dist-info/RECORD", sb.buf, sb.len, false);
	strbuf_release(&sb);
	/* empty files */
	blobs_addz(&b, "a/e-1.dist-info/METADATA", "");
	blobs_addz(&b, "a/e2.egg-info/PKG-INFO", "");
	blobs_addz(&b, "a/e2.egg-info/installed-files.txt", "");

	struct catalog *c = run(&b, python_collect);
	assert_sane(c);
	assert_true(warned(c, "a/g-1.dist-info/METADATA: no Name: field"));
	assert_true(warned(c, "a/big-1.dist-info/RECORD: line 1: not a RECORD line"));
	assert_int_equal(pkg(c, "big")->files.n, 0);
	assert_int_equal(pkg(c, "big2")->files.n, 1);
	const struct cat_pkg *p = pkg(c, "u\xef\xbf\xbdx");
	assert_string_equal(p->version, "1\xef\xbf\xbd");
	assert_true(warned(c, "a/nv.dist-info/METADATA: no Version: field"));
	assert_true(warned(c, "a/nn.egg-info: no Name: field"));
	p = pkg(c, "t");
	assert_int_equal(p->files.n, 2);
	assert_true(warned(c, "a/t-1.dist-info/METADATA: file is truncated"));
	assert_true(warned(c, "a/t-1.dist-info/RECORD: file is truncated"));
	assert_true(warned(c, "a/lonely-1.dist-info/RECORD: no METADATA"));
	assert_true(warned(c, "a/many-1.dist-info/RECORD: 4990 more bad lines"));
	assert_false(warned(c, "a/many-1.dist-info/RECORD: line 11:"));
	assert_true(warned(c, "a/e-1.dist-info/METADATA: no Name"));
	assert_true(warned(c, "a/e2.egg-info/PKG-INFO: no Name"));
	assert_int_equal(c->n_pkgs, 5);
	catalog_free(c);
	blobs_release(&b);
}

/* ---- npm: which files ---------------------------------------------------------- */

static void test_npm_wants(void **state)
{
	(void)state;
	assert_true(npm_wants("usr/lib/node_modules/npm/package.json"));
	assert_true(npm_wants("usr/lib/node_modules/npm/node_modules/abbrev/package.json"));
	assert_true(npm_wants("app/node_modules/@types/ms/package.json"));
	assert_true(npm_wants("node_modules/x/package.json"));
	assert_true(npm_wants("node_modules/@s/x/package.json"));
	assert_true(npm_wants("app/node_modules/a/node_modules/@s/b/package.json"));
	assert_true(npm_wants("app/package-lock.json"));
	assert_true(npm_wants("package-lock.json"));
	assert_true(npm_wants("srv/app/npm-shrinkwrap.json"));
	assert_false(npm_wants("app/package.json"));
	assert_false(npm_wants("package.json"));
	assert_false(npm_wants("app/node_modules/x/lib/package.json"));
	assert_false(npm_wants("app/node_modules/x/esm/package.json"));
	assert_false(npm_wants("app/node_modules/@s/package.json"));
	assert_false(npm_wants("app/node_modules/.bin/package.json"));
	assert_false(npm_wants("app/node_modules/package.json"));
	assert_false(npm_wants("app/my_node_modules/x/package.json"));
	assert_false(npm_wants("app/node_modules/.package-lock.json"));
	assert_false(npm_wants("app/node_modules/x/package-lock.json"));
	assert_false(npm_wants("app/yarn.lock"));
	assert_false(npm_wants("app/node_modules/x/package.json.bak"));
}

/* ---- npm: real fixtures -------------------------------------------------------- */

static void test_npm_fixtures(void **state)
{
	(void)state;
	struct blobs b = { 0 };
	load_tree(&b, "npm", npm_wants);
	struct catalog *c = run(&b, npm_collect);
	assert_no_warnings(c);
	assert_sane(c);

	const struct cat_pkg *p = pkg(c, "debug");
	assert_int_equal(count_pkgs(c, "debug"), 2);   /* 4.3.4 installed, 2.6.9 locked */
	assert_int_equal(p->type, PKG_NPM);
	assert_string_equal(p->version, "4.3.4");
	assert_string_equal(p->license, "MIT");
	assert_string_equal(p->supplier, "Josh Junon <josh.junon@protonmail.com>");
	assert_string_equal(p->location, "app/node_modules/debug/package.json");
	assert_int_equal(p->depends.n, 1);
	assert_string_equal(p->depends.v[0], "ms");
	assert_int_equal(p->files.n, 1);
	assert_string_equal(p->files.v[0], "app/node_modules/debug/");

	p = pkg(c, "@types/ms");
	assert_string_equal(p->files.v[0], "app/node_modules/@types/ms/");
	assert_string_equal(p->license, "MIT");
	assert_int_equal(count_pkgs(c, "@types/ms"), 1);   /* also in the v3 lockfile */

	assert_string_equal(pkg(c, "json-schema")->license, "AFLv2.1 OR BSD");
	assert_string_equal(pkg(c, "pause-stream")->license, "MIT OR Apache2");
	assert_string_equal(pkg(c, "rimraf")->license, "MIT");   /* {"type": "MIT"} */
	/* rimraf 2.2.8 is installed and in both lockfiles */
	assert_int_equal(count_pkgs(c, "rimraf"), 1);
	assert_string_equal(pkg(c, "rimraf")->location, "app/node_modules/rimraf/package.json");

	/* ms: 2.1.2 installed (and locked in v3), 2.0.0 only in the v1 lockfile */
	assert_int_equal(count_pkgs(c, "ms"), 2);
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *q = &c->pkgs[i];
		if (!strcmp(q->name, "ms") && !strcmp(q->version, "2.0.0"))
			assert_string_equal(q->location, "legacy/package-lock.json");
		if (!strcmp(q->name, "debug") && !strcmp(q->version, "2.6.9")) {
			assert_string_equal(q->location, "legacy/package-lock.json");
			assert_string_equal(q->depends.v[0], "ms");
			assert_int_equal(q->files.n, 0);
		}
	}

	/* npm itself and what it bundles */
	p = pkg(c, "npm");
	assert_string_equal(p->version, "11.19.1");
	assert_string_equal(p->license, "Artistic-2.0");
	assert_string_equal(p->files.v[0], "usr/lib/node_modules/npm/");
	assert_true(p->depends.n > 50);
	assert_string_equal(pkg(c, "abbrev")->files.v[0],
			    "usr/lib/node_modules/npm/node_modules/abbrev/");
	assert_string_equal(pkg(c, "@npmcli/fs")->license, "ISC");
	assert_false(count_pkgs(c, "demo-app") || count_pkgs(c, "legacy-app"));
	assert_int_equal(c->n_pkgs, 12);
	catalog_free(c);
	blobs_release(&b);
}

/* ---- npm: lockfiles -------------------------------------------------------------- */

static void test_npm_lock_v3(void **state)
{
	(void)state;
	struct blobs b = { 0 };
	blobs_addz(&b, "srv/package-lock.json",
		   "{\"name\":\"app\",\"lockfileVersion\":3,\"packages\":{"
		   "\"\":{\"name\":\"app\",\"version\":\"1.0.0\"},"
		   "\"node_modules/a\":{\"version\":\"1.0.0\",\"license\":\"MIT\","
		   "  \"dependencies\":{\"@s/b\":\"^2\",\"c\":\"*\"}},"
		   "\"node_modules/a/node_modules/@s/b\":{\"version\":\"2.1.0\"},"
		   "\"node_modules/@s/b\":{\"version\":\"2.1.0\"},"
		   "\"node_modules/alias\":{\"name\":\"real\",\"version\":\"3.0.0\"},"
		   "\"node_modules/ws\":{\"resolved\":\"packages/ws\",\"link\":true},"
		   "\"packages/ws\":{\"name\":\"ws\",\"version\":\"0.0.1\"},"
		   "\"node_modules/devonly\":{\"version\":\"9.0.0\",\"dev\":true},"
		   "\"node_modules/noversion\":{},"
		   "\"node_modules/bad\":7"
		   "}}");
	struct catalog *c = run(&b, npm_collect);
	assert_sane(c);
	assert_int_equal(c->n_pkgs, 3);
	const struct cat_pkg *p = pkg(c, "a");
	assert_string_equal(p->license, "MIT");
	assert_int_equal(p->depends.n, 2);
	assert_string_equal(p->depends.v[0], "@s/b");
	assert_int_equal(p->files.n, 0);
	assert_int_equal(count_pkgs(c, "@s/b"), 1);
	assert_string_equal(pkg(c, "real")->version, "3.0.0");
	assert_true(warned(c, "srv/package-lock.json: 'node_modules/noversion': no version"));
	assert_true(warned(c, "srv/package-lock.json: 'node_modules/bad': not an object"));
	assert_int_equal(c->warnings.n, 2);
	catalog_free(c);
	blobs_release(&b);
}

static void test_npm_lock_v1(void **state)
{
	(void)state;
	struct blobs b = { 0 };
	blobs_addz(&b, "srv/npm-shrinkwrap.json",
		   "{\"name\":\"app\",\"lockfileVersion\":1,\"dependencies\":{"
		   "\"a\":{\"version\":\"1.0.0\",\"requires\":{\"b\":\"^1\"},"
		   "  \"dependencies\":{\"b\":{\"version\":\"1.5.0\","
		   "    \"dependencies\":{\"c\":{\"version\":\"0.1.0\"}}}}},"
		   "\"b\":{\"version\":\"2.0.0\"},"
		   "\"c\":{\"version\":\"0.1.0\"},"
		   "\"mine\":{\"version\":\"file:../mine\"},"
		   "\"al\":{\"version\":\"npm:@s/real@4.0.0\"},"
		   "\"d\":{\"version\":\"1.0.0\",\"dev\":true}"
		   "}}");
	/* no lockfileVersion: v1 */
	blobs_addz(&b, "old/package-lock.json",
		   "{\"dependencies\":{\"z\":{\"version\":\"1.0.0\"}}}");
	struct catalog *c = run(&b, npm_collect);
	assert_no_warnings(c);
	assert_int_equal(count_pkgs(c, "b"), 2);
	assert_int_equal(count_pkgs(c, "c"), 1);   /* once per lockfile */
	assert_int_equal(pkg(c, "a")->depends.n, 1);
	assert_string_equal(pkg(c, "@s/real")->version, "4.0.0");
	assert_int_equal(count_pkgs(c, "mine") + count_pkgs(c, "d"), 0);
	assert_string_equal(pkg(c, "z")->location, "old/package-lock.json");
	assert_int_equal(c->n_pkgs, 6);
	catalog_free(c);
	blobs_release(&b);
}

/* ---- npm: package.json fields ------------------------------------------------------ */

static void test_npm_fields(void **state)
{
	(void)state;
	struct blobs b = { 0 };
	blobs_addz(&b, "n/node_modules/a/package.json",
		   "{\"name\":\"a\",\"version\":\"1.0.0\","
		   "\"author\":{\"name\":\"A. Author\",\"email\":\"a@example.com\",\"url\":\"x\"},"
		   "\"homepage\":\"https://a.example\","
		   "\"licenses\":[{\"type\":\"MIT\"},\"Apache-2.0\",{\"type\":\"GPL-2.0 WITH x\"},"
		   "{\"url\":\"no type\"},7],"
		   "\"dependencies\":{\"z\":\"1\",\"y\":\"2\"},"
		   "\"devDependencies\":{\"dev\":\"1\"}}");
	blobs_addz(&b, "n/node_modules/b/package.json",
		   "{\"name\":\"b\",\"version\":\"1.0.0\",\"license\":7,\"author\":[],"
		   "\"dependencies\":[\"x\"],\"homepage\":{}}");
	blobs_addz(&b, "n/node_modules/c/package.json",
		   "{\"name\":\"c\",\"version\":\"1.0.0\",\"author\":{\"email\":\"c@example.com\"},"
		   "\"license\":\"  (MIT OR Apache-2.0)\\nsecond line\"}");
	struct catalog *c = run(&b, npm_collect);
	assert_no_warnings(c);
	const struct cat_pkg *p = pkg(c, "a");
	assert_string_equal(p->supplier, "A. Author <a@example.com>");
	assert_string_equal(p->homepage, "https://a.example");
	assert_string_equal(p->license, "MIT OR Apache-2.0 OR (GPL-2.0 WITH x)");
	assert_int_equal(p->depends.n, 2);
	assert_string_equal(p->depends.v[0], "y");
	assert_string_equal(p->depends.v[1], "z");
	p = pkg(c, "b");
	assert_null(p->license);
	assert_null(p->supplier);
	assert_null(p->homepage);
	assert_int_equal(p->depends.n, 0);
	p = pkg(c, "c");
	assert_string_equal(p->supplier, "c@example.com");
	assert_string_equal(p->license, "(MIT OR Apache-2.0)");
	catalog_free(c);
	blobs_release(&b);
}

/* ---- npm: hostile input ----------------------------------------------------------- */

static void test_npm_hostile(void **state)
{
	(void)state;
	struct blobs b = { 0 };
	blobs_addz(&b, "h/node_modules/bad/package.json", "{\"name\": \"bad\", ");
	blobs_addz(&b, "h/node_modules/utf/package.json",
		   "{\"name\": \"u\xff\", \"version\": \"1\"}");
	blobs_addz(&b, "h/node_modules/arr/package.json", "[1,2,3]");
	blobs_addz(&b, "h/node_modules/nover/package.json", "{\"name\":\"nover\"}");
	blobs_addz(&b, "h/node_modules/noname/package.json", "{\"version\":\"1\"}");
	blobs_addz(&b, "h/node_modules/empty/package.json", "");
	blobs_add(&b, "h/node_modules/cut/package.json", "{\"name\":\"cut\",\"ver", 18, true);
	blobs_addz(&b, "h/node_modules/ctl/package.json",
		   "{\"name\":\"c\\u0001tl\",\"version\":\"1\\u0007\"}");
	blobs_addz(&b, "h/node_modules/nul/package.json",
		   "{\"name\":\"n\\u0000ul\",\"version\":\"1\"}");
	/* nested far deeper than jansson allows */
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 100000; i++)
		strbuf_adds(&sb, "[");
	blobs_add(&b, "h/node_modules/deep/package.json", sb.buf, sb.len, false);
	strbuf_reset(&sb);
	/* a v1 lockfile nested as deep as jansson allows */
	for (int i = 0; i < 600; i++)
		strbuf_adds(&sb, "{\"dependencies\":{\"x\":");
	strbuf_adds(&sb, "{\"version\":\"1\"}");
	for (int i = 0; i < 600; i++)
		strbuf_adds(&sb, "}}");
	blobs_add(&b, "h/package-lock.json", sb.buf, sb.len, false);
	strbuf_release(&sb);
	struct catalog *c = run(&b, npm_collect);
	assert_sane(c);
	assert_true(warned(c, "h/node_modules/bad/package.json: JSON: invalid JSON"));
	assert_true(warned(c, "h/node_modules/utf/package.json: JSON: invalid JSON"));
	assert_true(warned(c, "h/node_modules/arr/package.json: not a JSON object"));
	assert_true(warned(c, "h/node_modules/nover/package.json: no version"));
	assert_true(warned(c, "h/node_modules/noname/package.json: no name"));
	assert_true(warned(c, "h/node_modules/empty/package.json: JSON: invalid JSON"));
	assert_true(warned(c, "h/node_modules/cut/package.json: file is truncated"));
	assert_true(warned(c, "h/node_modules/deep/package.json: JSON: invalid JSON"));
	assert_true(warned(c, "h/node_modules/nul/package.json: JSON: invalid JSON"));
	assert_true(warned(c, "h/package-lock.json"));
	assert_string_equal(pkg(c, "ctl")->version, "1");
	assert_int_equal(count_pkgs(c, "x"), c->n_pkgs - 1);
	catalog_free(c);
	blobs_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_py_wants),
		cmocka_unit_test(test_py_fixtures),
		cmocka_unit_test(test_py_licenses),
		cmocka_unit_test(test_py_requires),
		cmocka_unit_test(test_py_record),
		cmocka_unit_test(test_py_egg_info_dir),
		cmocka_unit_test(test_py_big_record),
		cmocka_unit_test(test_py_hostile),
		cmocka_unit_test(test_npm_wants),
		cmocka_unit_test(test_npm_fixtures),
		cmocka_unit_test(test_npm_lock_v3),
		cmocka_unit_test(test_npm_lock_v1),
		cmocka_unit_test(test_npm_fields),
		cmocka_unit_test(test_npm_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
