/* catalog core: merging layers (whiteouts, opaque directories, replaced
 * directories), file owners (through directory symlinks, OS packages
 * first), dependencies, purls and CPEs, safe strings. */
#include "catalog/scan_internal.h"
#include "fs/fs.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

/* ---- building layers by hand ------------------------------------------------ */

static void ent(struct layer_scan *ls, const char *path, enum ent_kind kind, enum tar_type type,
		const char *link)
{
	ls->ents = xgrow(ls->ents, &ls->ents_cap, ls->n_ents + 1, sizeof(*ls->ents));
	ls->ents[ls->n_ents++] = (struct layer_entry){
		.path = xstrdup(path), .kind = (uint8_t)kind, .type = (uint8_t)type,
		.mode = 0644, .link = link ? xstrdup(link) : NULL, .blob = -1,
	};
}

static void file(struct layer_scan *ls, const char *path, const char *content)
{
	ent(ls, path, ENT_FILE, TAR_REG, NULL);
	if (!content)
		return;
	ls->blobs = xgrow(ls->blobs, &ls->blobs_cap, ls->n_blobs + 1, sizeof(*ls->blobs));
	ls->blobs[ls->n_blobs] = (struct cat_blob){ .path = xstrdup(path), .data = xstrdup(content),
						    .len = strlen(content), .layer = ls->layer };
	ls->ents[ls->n_ents - 1].blob = (int32_t)ls->n_blobs++;
}

static void dir(struct layer_scan *ls, const char *path)
{
	ent(ls, path, ENT_FILE, TAR_DIR, NULL);
}

static struct catalog *merge(struct layer_scan *scans, size_t n, struct cat_blobs *kept)
{
	struct catalog *c = xcalloc(1, sizeof(*c));
	catalog_merge(c, scans, n, kept);
	for (size_t i = 0; i < n; i++)
		layer_scan_release(&scans[i]);
	return c;
}

static char *listing(const struct catalog *c)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < c->n_files; i++)
		strbuf_addf(&sb, "%s%s@%u", i ? " " : "", c->files[i].path, c->files[i].layer);
	return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

#define assert_listing(c, want)                                                \
	do {                                                                   \
		char *got_ = listing(c);                                       \
		if (strcmp(got_, (want)))                                      \
			fail_msg("tree\n  got  %s\n  want %s", got_, (want));  \
		free(got_);                                                    \
	} while (0)

/* ---- merging -------------------------------------------------------------------- */

static void t_merge_whiteouts(void **state)
{
	(void)state;
	struct layer_scan s[3] = { { .layer = 0 }, { .layer = 1 }, { .layer = 2 } };
	dir(&s[0], "a");
	file(&s[0], "a/gone", NULL);
	file(&s[0], "a/kept", NULL);
	dir(&s[0], "d");
	file(&s[0], "d/old", NULL);
	dir(&s[0], "e");
	file(&s[0], "e/under", NULL);
	dir(&s[0], "w");
	file(&s[0], "w/deep", NULL);
	file(&s[0], "v", "lower");
	/* layer 1: whiteouts of a file and a directory, an opaque directory, a
	 * file over a directory, a newer version of a file */
	ent(&s[1], "a/gone", ENT_WHITEOUT, TAR_REG, NULL);
	ent(&s[1], "w", ENT_WHITEOUT, TAR_REG, NULL);
	ent(&s[1], "d", ENT_OPAQUE, TAR_REG, NULL);
	file(&s[1], "d/new", NULL);
	file(&s[1], "e", NULL);
	file(&s[1], "v", "upper");
	/* layer 2: a whiteout of something it writes itself stays (the spec:
	 * markers hide only lower layers); w comes back, empty */
	ent(&s[2], "x", ENT_WHITEOUT, TAR_REG, NULL);
	file(&s[2], "x", NULL);
	dir(&s[2], "w");
	struct cat_blobs kept = { 0 };
	struct catalog *c = merge(s, 3, &kept);
	assert_listing(c, "a@0 a/kept@0 d@0 d/new@1 e@1 v@1 w@2 x@2");
	assert_int_equal(kept.n, 1);
	assert_string_equal(kept.v[0].data, "upper");
	assert_int_equal(kept.v[0].layer, 1);
	cat_blobs_release(&kept);
	catalog_free(c);
}

static void t_merge_opaque_root(void **state)
{
	(void)state;
	struct layer_scan s[2] = { { .layer = 0 }, { .layer = 1 } };
	file(&s[0], "old", NULL);
	dir(&s[0], "etc");
	file(&s[0], "etc/passwd", NULL);
	ent(&s[1], "", ENT_OPAQUE, TAR_REG, NULL);
	file(&s[1], "new", NULL);
	struct cat_blobs kept = { 0 };
	struct catalog *c = merge(s, 2, &kept);
	assert_listing(c, "new@1");
	cat_blobs_release(&kept);
	catalog_free(c);
}

/* ---- owners, dependencies, identifiers ------------------------------------------ */

static struct cat_pkg *pkg(struct catalog *c, enum pkg_type t, const char *name,
			   const char *version)
{
	struct cat_pkg *p = cat_add_pkg(c, t, NULL);
	p->name = xstrdup(name);
	p->version = version ? xstrdup(version) : NULL;
	return p;
}

static struct catalog *usrmerge_catalog(void)
{
	struct layer_scan s[1] = { { .layer = 0 } };
	ent(&s[0], "bin", ENT_FILE, TAR_SYMLINK, "usr/bin");
	ent(&s[0], "lib64", ENT_FILE, TAR_SYMLINK, "/usr/lib64");
	dir(&s[0], "usr");
	dir(&s[0], "usr/bin");
	file(&s[0], "usr/bin/bash", NULL);
	dir(&s[0], "usr/lib64");
	file(&s[0], "usr/lib64/ld-linux-x86-64.so.2", NULL);
	dir(&s[0], "usr/lib/python3/dist-packages/six");
	file(&s[0], "usr/lib/python3/dist-packages/six/__init__.py", NULL);
	dir(&s[0], "usr/lib/node_modules/left-pad");
	file(&s[0], "usr/lib/node_modules/left-pad/index.js", NULL);
	file(&s[0], "usr/lib/node_modules/left-pad/package.json", NULL);
	file(&s[0], "usr/lib/node_modules/npm/index.js", NULL);
	file(&s[0], "usr/lib/node_modules/npm/node_modules/which/which.js", NULL);
	struct cat_blobs kept = { 0 };
	struct catalog *c = merge(s, 1, &kept);
	cat_blobs_release(&kept);
	return c;
}

static void t_owners(void **state)
{
	(void)state;
	struct catalog *c = usrmerge_catalog();
	struct cat_pkg *py = pkg(c, PKG_PYTHON, "six", "1.16.0");
	strvec_push(&py->files, "usr/lib/python3/dist-packages/six/__init__.py");
	struct cat_pkg *deb = pkg(c, PKG_DEB, "bash", "5.2.15-2+b2");
	strvec_push(&deb->files, "usr");                 /* a directory: never owned */
	strvec_push(&deb->files, "bin/bash");            /* through bin -> usr/bin */
	strvec_push(&deb->files, "lib64/ld-linux-x86-64.so.2");   /* absolute link */
	struct cat_pkg *six = pkg(c, PKG_DEB, "python3-six", "1.16.0-4");
	strvec_push(&six->files, "usr/lib/python3/dist-packages/six/__init__.py");
	struct cat_pkg *npm = pkg(c, PKG_NPM, "left-pad", "1.3.0");
	strvec_push(&npm->files, "usr/lib/node_modules/left-pad/");
	/* "npm" sorts before "which", yet which's own files are its. */
	struct cat_pkg *npm_self = pkg(c, PKG_NPM, "npm", "11.0.0");
	strvec_push(&npm_self->files, "usr/lib/node_modules/npm/");
	struct cat_pkg *which = pkg(c, PKG_NPM, "which", "5.0.0");
	strvec_push(&which->files, "usr/lib/node_modules/npm/node_modules/which/");
	struct cat_blobs none = { 0 };
	catalog_finish(c, &none);
	const struct cat_pkg *o = catalog_owner(c, "usr/bin/bash");
	assert_non_null(o);
	assert_string_equal(o->name, "bash");
	o = catalog_owner(c, "usr/lib64/ld-linux-x86-64.so.2");
	assert_non_null(o);
	assert_string_equal(o->name, "bash");
	o = catalog_owner(c, "usr/lib/python3/dist-packages/six/__init__.py");
	assert_non_null(o);
	assert_string_equal(o->name, "python3-six");   /* the OS package first */
	o = catalog_owner(c, "usr/lib/node_modules/left-pad/index.js");
	assert_non_null(o);
	assert_string_equal(o->name, "left-pad");
	o = catalog_owner(c, "usr/lib/node_modules/npm/node_modules/which/which.js");
	assert_non_null(o);
	assert_string_equal(o->name, "which");
	o = catalog_owner(c, "usr/lib/node_modules/npm/index.js");
	assert_non_null(o);
	assert_string_equal(o->name, "npm");
	assert_null(catalog_owner(c, "usr"));
	assert_null(catalog_owner(c, "usr/lib/node_modules/left-pad"));   /* the dir itself */
	catalog_free(c);
}

static const struct cat_pkg *find_pkg(const struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (!strcmp(c->pkgs[i].name, name))
			return &c->pkgs[i];
	fail_msg("no package '%s'", name);
	return NULL;
}

static void t_deps(void **state)
{
	(void)state;
	struct catalog *c = xcalloc(1, sizeof(*c));
	struct cat_pkg *p = pkg(c, PKG_DEB, "a", "1");
	strvec_push(&p->depends, "b");
	strvec_push(&p->depends, "b");          /* "b | b": once */
	strvec_push(&p->depends, "a");          /* itself: dropped */
	strvec_push(&p->depends, "missing");    /* unresolved: dropped */
	p = pkg(c, PKG_DEB, "b", "2");
	strvec_push(&p->depends, "a");          /* a cycle is fine */
	p = pkg(c, PKG_PYTHON, "Typing_Extensions", "4.0");
	p = pkg(c, PKG_PYTHON, "torch", "2.0");
	strvec_push(&p->depends, "typing.extensions");
	strvec_push(&p->depends, "b");          /* another ecosystem's b: no */
	struct cat_blobs none = { 0 };
	catalog_finish(c, &none);
	const struct cat_pkg *a = find_pkg(c, "a"), *b = find_pkg(c, "b");
	assert_int_equal(a->n_deps, 1);
	assert_string_equal(c->pkgs[a->deps[0]].name, "b");
	assert_int_equal(b->n_deps, 1);
	assert_string_equal(c->pkgs[b->deps[0]].name, "a");
	const struct cat_pkg *t = find_pkg(c, "torch");
	assert_int_equal(t->n_deps, 1);
	assert_string_equal(c->pkgs[t->deps[0]].name, "Typing_Extensions");
	catalog_free(c);
}

static void check_purl(struct catalog *c, struct cat_pkg *p, const char *want_purl,
		       const char *want_cpe)
{
	char *purl = cat_purl(p, &c->os), *cpe = cat_cpe(p, &c->os);
	if (!purl || strcmp(purl, want_purl))
		fail_msg("purl of %s: got %s, want %s", p->name, purl, want_purl);
	if ((want_cpe || cpe) && (!want_cpe || !cpe || strcmp(cpe, want_cpe)))
		fail_msg("cpe of %s: got %s, want %s", p->name, cpe, want_cpe);
	free(purl);
	free(cpe);
}

static void t_purl(void **state)
{
	(void)state;
	struct catalog *c = xcalloc(1, sizeof(*c));
	c->os.id = xstrdup("debian");
	c->os.version_id = xstrdup("12");
	struct cat_pkg *p = pkg(c, PKG_DEB, "libssl3", "3.0.11-1~deb12u2");
	p->arch = xstrdup("amd64");
	p->src_name = xstrdup("openssl");
	check_purl(c, p, "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
			 "&upstream=openssl",
		   "cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*");
	p = pkg(c, PKG_DEB, "libc6", "2.36-9+deb12u4");
	p->arch = xstrdup("amd64");
	p->src_name = xstrdup("glibc");
	check_purl(c, p, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
			 "&upstream=glibc",
		   "cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*");
	p = pkg(c, PKG_DEB, "perl-base", "1:5.36.0-7");
	check_purl(c, p, "pkg:deb/debian/perl-base@1%3A5.36.0-7?distro=debian-12", NULL);
	p = pkg(c, PKG_RPM, "openssl-libs", "1:3.0.7-27.el9");
	p->arch = xstrdup("x86_64");
	check_purl(c, p, "pkg:rpm/debian/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=debian-12"
			 "&epoch=1", NULL);
	p = pkg(c, PKG_PYTHON, "Typing_Extensions", "4.8.0");
	check_purl(c, p, "pkg:pypi/typing-extensions@4.8.0", NULL);
	p = pkg(c, PKG_PYTHON, "torch", "2.1.0+cpu");
	check_purl(c, p, "pkg:pypi/torch@2.1.0%2Bcpu",
		   "cpe:2.3:a:linuxfoundation:pytorch:2.1.0\\+cpu:*:*:*:*:*:*:*");
	p = pkg(c, PKG_NPM, "@types/node", "20.1.0");
	check_purl(c, p, "pkg:npm/%40types/node@20.1.0", NULL);
	p = pkg(c, PKG_GO, "github.com/containers/image/v5", "v5.24.2");
	check_purl(c, p, "pkg:golang/github.com/containers/image/v5@v5.24.2", NULL);
	p = pkg(c, PKG_GO, "stdlib", "v1.19.8");
	check_purl(c, p, "pkg:golang/stdlib@v1.19.8", "cpe:2.3:a:golang:go:1.19.8:*:*:*:*:*:*:*");
	p = pkg(c, PKG_NPM, "name with space", NULL);
	check_purl(c, p, "pkg:npm/name%20with%20space", NULL);
	catalog_free(c);
}

/* ---- the scan cache -------------------------------------------------------------- */

#define DIFF_ID "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void sample_scan(struct layer_scan *ls)
{
	dir(ls, "etc");
	file(ls, "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
	ent(ls, "lib", ENT_FILE, TAR_SYMLINK, "usr/lib");
	ent(ls, "gone", ENT_WHITEOUT, TAR_REG, NULL);
	file(ls, "usr/bin/x", NULL);
	struct elf_info *e = xcalloc(1, sizeof(*e));
	snprintf(e->sha256, sizeof(e->sha256), "%s", DIFF_ID);
	e->soname = xstrdup("libx.so.1");
	strvec_push(&e->needed, "libc.so.6");
	e->machine = 62;
	e->elf_class = 2;
	e->go_modinfo = xstrdup("path\tx\n");
	ls->ents[ls->n_ents - 1].elf = e;
	ls->ents[ls->n_ents - 1].mode = 04755;
	ls->ents[ls->n_ents - 1].size = 1u << 31;
}

static void t_scan_cache(void **state)
{
	(void)state;
	char dir_tmpl[] = "/tmp/quench-scan-cache-XXXXXX";
	assert_non_null(mkdtemp(dir_tmpl));
	struct layer_scan a = { .layer = 3 }, b = { .layer = 5 };
	sample_scan(&a);
	layer_cache_store(dir_tmpl, DIFF_ID, false, &a);
	assert_false(layer_cache_load(dir_tmpl, DIFF_ID, true, &b));   /* other variant */
	assert_true(layer_cache_load(dir_tmpl, DIFF_ID, false, &b));
	assert_int_equal(b.layer, 5);
	assert_int_equal(b.n_ents, a.n_ents);
	for (size_t i = 0; i < a.n_ents; i++) {
		assert_string_equal(b.ents[i].path, a.ents[i].path);
		assert_int_equal(b.ents[i].kind, a.ents[i].kind);
		assert_int_equal(b.ents[i].type, a.ents[i].type);
		assert_int_equal(b.ents[i].mode, a.ents[i].mode);
		assert_int_equal(b.ents[i].size, a.ents[i].size);
		assert_int_equal(b.ents[i].blob, a.ents[i].blob);
		assert_int_equal(!b.ents[i].link, !a.ents[i].link);
	}
	const struct elf_info *e = b.ents[b.n_ents - 1].elf;
	assert_non_null(e);
	assert_string_equal(e->sha256, DIFF_ID);
	assert_string_equal(e->soname, "libx.so.1");
	assert_null(e->build_id);
	assert_string_equal(e->needed.v[0], "libc.so.6");
	assert_int_equal(e->machine, 62);
	assert_string_equal(e->go_modinfo, "path\tx\n");
	assert_int_equal(b.n_blobs, 1);
	assert_string_equal(b.blobs[0].data, a.blobs[0].data);
	assert_int_equal(b.blobs[0].layer, 5);
	layer_scan_release(&b);
	/* Damaged files are misses: every truncation, and flipped bytes. */
	char *path = xasprintf("%s/catalog/%s-elf.scan", dir_tmpl, digest_hex(DIFF_ID));
	char *data;
	size_t len;
	struct qerr err = QERR_INIT;
	assert_int_equal(read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, &err), 0);
	for (size_t cut = 0; cut < len; cut += 7) {
		FILE *f = fopen(path, "w");
		fwrite(data, 1, cut, f);
		fclose(f);
		b.layer = 1;
		assert_false(layer_cache_load(dir_tmpl, DIFF_ID, false, &b));
		assert_int_equal(b.n_ents, 0);
	}
	for (size_t at = 14; at < len; at += 5) {
		char *copy = xmalloc(len);
		memcpy(copy, data, len);
		copy[at] ^= 0xff;
		FILE *f = fopen(path, "w");
		fwrite(copy, 1, len, f);
		fclose(f);
		free(copy);
		if (layer_cache_load(dir_tmpl, DIFF_ID, false, &b))
			layer_scan_release(&b);   /* a flip inside data may still parse */
	}
	free(data);
	free(path);
	layer_scan_release(&a);
	assert_int_equal(fs_remove_at(AT_FDCWD, dir_tmpl, &err), 0);
}

/* ---- strings and paths ------------------------------------------------------------ */

static void t_strings(void **state)
{
	(void)state;
	char *s = cat_strndup("ok\xff\xc3(\x01\ttab\xc3\xa9\xed\xa0\x80", 16);
	assert_string_equal(s, "ok\xef\xbf\xbd\xef\xbf\xbd(\ttab\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	s = cat_strndup("stop\0here", 9);
	assert_string_equal(s, "stop");
	free(s);
	static const char *const cases[][2] = {
		{ "/usr/bin/x", "usr/bin/x" }, { "./usr//bin/./x", "usr/bin/x" },
		{ "usr/bin/", "usr/bin" }, { "/", NULL }, { "", NULL }, { "./", NULL },
		{ "../etc/shadow", NULL }, { "usr/../../x", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = cat_clean_path(cases[i][0]);
		if ((got || cases[i][1]) && (!got || !cases[i][1] || strcmp(got, cases[i][1])))
			fail_msg("cat_clean_path('%s') = '%s', want '%s'", cases[i][0], got,
				 cases[i][1]);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_merge_whiteouts),
		cmocka_unit_test(t_merge_opaque_root),
		cmocka_unit_test(t_owners),
		cmocka_unit_test(t_deps),
		cmocka_unit_test(t_purl),
		cmocka_unit_test(t_scan_cache),
		cmocka_unit_test(t_strings),
	};
	return cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
}
