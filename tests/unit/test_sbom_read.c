/* sbom_read: CycloneDX and SPDX back into a catalog — quench's own
 * documents round-trip (every package fact matching needs, and which OS
 * package installed a language package), real Trivy documents
 * (tests/data/sbom), Syft's way of saying things, purls, and hostile
 * documents (an error naming the document, or warnings). */
#include "sbom/sbom_internal.h"
#include "catalog/catalog_internal.h"
#include "fs/fs.h"

#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

static const struct sbom_subject subject = {
	.name = "oci:out:latest",
	.manifest_digest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	.os = "linux",
	.arch = "amd64",
};
static const struct sbom_opts opts = { .tool_version = "0.1.0" };

/* ---- a catalog by hand, identified as catalog_finish does ---------------------------- */

static struct cat_pkg *add(struct catalog *c, enum pkg_type t, const char *name,
			   const char *version, const char *location)
{
	struct cat_pkg *p = cat_add_pkg(c, t, NULL);
	p->name = xstrdup(name);
	p->version = version ? xstrdup(version) : NULL;
	p->location = xstrdup(location);
	return p;
}

static void add_file(struct catalog *c, const char *path, int32_t owner)
{
	c->files = xrealloc(c->files, (c->n_files + 1) * sizeof(*c->files));
	c->files[c->n_files++] = (struct cat_file){ .path = xstrdup(path), .type = TAR_REG,
						    .owner = owner };
}

#define EGG "usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO"
enum { LIBC, LIBSSL, PY_URLLIB3, ZLIB, URLLIB3, SIX, BABEL, GOMOD, STDLIB, N_PKGS };

static struct catalog *sample(void)
{
	struct catalog *c = xcalloc(1, sizeof(*c));
	c->os = (struct os_info){ xstrdup("debian"), xstrdup("12"), xstrdup("bookworm"),
				  xstrdup("Debian GNU/Linux 12 (bookworm)"), xstrdup("") };
	free(c->os.id_like);
	c->os.id_like = NULL;
	const char *status = "var/lib/dpkg/status";
	struct cat_pkg *p = add(c, PKG_DEB, "libc6", "2.36-9+deb12u4", status);
	p->arch = xstrdup("amd64");
	p->src_name = xstrdup("glibc");
	p->license = xstrdup("LGPL-2.1-only");
	p->supplier = xstrdup("GNU Libc Maintainers");
	p->homepage = xstrdup("https://www.gnu.org/software/libc/libc.html");
	p = add(c, PKG_DEB, "libssl3", "3.0.11-1~deb12u2", status);
	p->arch = xstrdup("amd64");
	p->src_name = xstrdup("openssl");
	p->src_version = xstrdup("3.0.11-1~deb12u1");
	p = add(c, PKG_DEB, "python3-urllib3", "1.26.12-1", status);
	p->arch = xstrdup("all");
	p->src_name = xstrdup("python-urllib3");
	strvec_push(&p->files, "/" EGG);
	p = add(c, PKG_DEB, "zlib1g", "1:1.2.13.dfsg-1", status);
	p->src_name = xstrdup("zlib");
	add(c, PKG_PYTHON, "urllib3", "1.26.12", EGG);
	add(c, PKG_PYTHON, "six", "1.16.0",
	    "opt/venv/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA");
	add(c, PKG_NPM, "@babel/core", "7.23.0", "usr/lib/node_modules/@babel/core/package.json");
	add(c, PKG_GO, "github.com/foo/bar", "v1.2.3", "usr/local/bin/app");
	add(c, PKG_GO, "stdlib", "go1.21.5", "usr/local/bin/app");
	for (size_t i = 0; i < c->n_pkgs; i++)
		c->pkgs[i].purl = cat_purl(&c->pkgs[i], &c->os);
	add_file(c, EGG, PY_URLLIB3);
	add_file(c, "usr/local/bin/app", -1);
	assert_int_equal(c->n_pkgs, N_PKGS);
	return c;
}

/* ---- helpers ------------------------------------------------------------------------ */

static struct catalog *read_str(const char *doc, const char *name, struct qerr *err)
{
	return sbom_read(doc, strlen(doc), name, err);
}

static struct catalog *read_ok(const char *doc)
{
	struct qerr err = QERR_INIT;
	struct catalog *c = read_str(doc, "t.json", &err);
	if (!c)
		fail_msg("sbom_read: %s", err.msg);
	return c;
}

static struct catalog *read_built(enum sbom_format f, const struct catalog *src)
{
	json_t *doc = sbom_build(f, src, &subject, &opts);
	char *s = json_dump_sorted(doc, false);
	json_decref(doc);
	struct catalog *c = read_ok(s);
	free(s);
	return c;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

#define assert_str_eq(a, b) assert_string_equal(or_empty(a), or_empty(b))

static const struct cat_pkg *find(const struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (!strcmp(c->pkgs[i].name, name))
			return &c->pkgs[i];
	fail_msg("no package %s", name);
	return NULL;
}

static bool has_warning(const struct catalog *c, const char *part)
{
	for (size_t i = 0; i < c->warnings.n; i++)
		if (strstr(c->warnings.v[i], part))
			return true;
	return false;
}

static char *data_file(const char *name)
{
	const char *dir = getenv("QUENCH_TEST_DATA");
	assert_non_null(dir);
	return xasprintf("%s/sbom/%s", dir, name);
}

/* ---- quench's own documents ------------------------------------------------------------ */

static void check_roundtrip(enum sbom_format f)
{
	struct catalog *want = sample();
	struct catalog *got = read_built(f, want);
	assert_int_equal(got->warnings.n, 0);
	assert_str_eq(got->os.id, "debian");
	assert_str_eq(got->os.version_id, "12");
	assert_str_eq(got->os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
	if (f == SBOM_CYCLONEDX)
		assert_str_eq(got->os.codename, "bookworm");
	assert_int_equal(got->n_pkgs, want->n_pkgs);
	for (size_t i = 0; i < want->n_pkgs; i++) {
		const struct cat_pkg *w = &want->pkgs[i], *g = &got->pkgs[i];
		assert_int_equal(g->type, w->type);
		assert_str_eq(g->name, w->name);
		assert_str_eq(g->version, w->version);
		assert_str_eq(g->arch, w->arch);
		/* What matching asks: the source package's name and version. */
		assert_str_eq(g->src_name ? g->src_name : g->name, w->src_name ? w->src_name : w->name);
		assert_str_eq(g->src_version ? g->src_version : g->version,
			      w->src_version ? w->src_version : w->version);
		assert_str_eq(g->purl, w->purl);
		assert_str_eq(g->location, w->location);
		assert_str_eq(g->license, w->license);
		assert_str_eq(g->homepage, w->homepage);
		const struct cat_pkg *wo = catalog_owner(want, w->location);
		const struct cat_pkg *go = catalog_owner(got, g->location);
		if (wo == w)
			wo = NULL;
		assert_str_eq(go ? go->name : NULL, wo ? wo->name : NULL);
	}
	/* The point of it: Debian's urllib3 is still Debian's. */
	const struct cat_pkg *owner = catalog_owner(got, EGG);
	assert_non_null(owner);
	assert_string_equal(owner->name, "python3-urllib3");
	assert_null(catalog_owner(got, "usr/local/bin/app"));
	catalog_free(want);
	catalog_free(got);
}

static void t_roundtrip_cyclonedx(void **state)
{
	(void)state;
	check_roundtrip(SBOM_CYCLONEDX);
}

static void t_roundtrip_spdx(void **state)
{
	(void)state;
	check_roundtrip(SBOM_SPDX);
}

/* The writers say who owns what only where it is so. */
static void t_owner_written(void **state)
{
	(void)state;
	struct catalog *c = sample();
	json_t *doc = sbom_build(SBOM_CYCLONEDX, c, &subject, &opts);
	char *s = json_dump_sorted(doc, false);
	assert_non_null(strstr(s, "{\"name\":\"quench:owner\",\"value\":\"pkg:deb/debian/python3-urllib3@1.26.12-1?arch=all&distro=debian-12&upstream=python-urllib3\"}"));
	assert_null(strstr(strstr(s, "quench:owner") + 1, "quench:owner"));
	free(s);
	json_decref(doc);
	doc = sbom_build(SBOM_SPDX, c, &subject, &opts);
	s = json_dump_sorted(doc, false);
	assert_non_null(strstr(s, "\"quench:owner: SPDXRef-Package-deb-python3-urllib3-"));
	free(s);
	json_decref(doc);
	catalog_free(c);
}

/* ---- other tools' documents ------------------------------------------------------------ */

static void check_trivy_pkgs(const struct catalog *c)
{
	assert_str_eq(c->os.id, "debian");
	assert_str_eq(c->os.version_id, "12.15");
	const struct cat_pkg *p = find(c, "libc6");
	assert_int_equal(p->type, PKG_DEB);
	assert_str_eq(p->version, "2.36-9+deb12u14");
	assert_str_eq(p->src_name, "glibc");
	assert_null(p->src_version);   /* the binary's own */
	assert_str_eq(p->arch, "amd64");
	/* Trivy keeps the epoch apart: it is put back. */
	p = find(c, "login");
	assert_str_eq(p->version, "1:4.13+dfsg1-1+deb12u2");
	assert_str_eq(p->src_name, "shadow");
	assert_null(p->src_version);
	p = find(c, "bsdutils");
	assert_str_eq(p->version, "1:2.38.1-5+deb12u3");
	assert_str_eq(p->src_name, "util-linux");
	assert_str_eq(p->src_version, "2.38.1-5+deb12u3");
	p = find(c, "zlib1g");
	assert_str_eq(p->version, "1:1.2.13.dfsg-1");
	assert_str_eq(p->src_name, "zlib");
}

static struct catalog *read_data(const char *name)
{
	char *path = data_file(name);
	struct qerr err = QERR_INIT;
	struct catalog *c = sbom_read_file(path, &err);
	if (!c)
		fail_msg("%s: %s", path, err.msg);
	free(path);
	return c;
}

static void t_trivy_cyclonedx(void **state)
{
	(void)state;
	struct catalog *c = read_data("trivy-python.cdx.json");
	assert_int_equal(c->n_pkgs, 6);
	assert_int_equal(c->warnings.n, 0);
	check_trivy_pkgs(c);
	assert_str_eq(find(c, "libc6")->purl,
		      "pkg:deb/debian/libc6@2.36-9+deb12u14?arch=amd64&distro=debian-12.15");   /* as Trivy wrote it */
	assert_str_eq(find(c, "libssl3")->src_name, "openssl");
	catalog_free(c);
}

static void t_trivy_spdx(void **state)
{
	(void)state;
	struct catalog *c = read_data("trivy-python.spdx.json");
	assert_int_equal(c->n_pkgs, 4);
	check_trivy_pkgs(c);
	catalog_free(c);
}

/* Syft: the OS component last, the distro in purls, the source package in
 * upstream= (with its version when it differs), locations as absolute
 * paths, npm scopes apart in group. */
static void t_syft_style(void **state)
{
	(void)state;
	struct catalog *c = read_ok(
		"{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"components\":["
		"{\"type\":\"library\",\"name\":\"libssl3\",\"version\":\"3.0.11-1~deb12u2\","
		"\"purl\":\"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl%403.0.11-1~deb12u1&distro=debian-12\"},"
		"{\"type\":\"library\",\"name\":\"libc6\",\"version\":\"2.36-9\","
		"\"purl\":\"pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc&distro=debian-12\"},"
		"{\"type\":\"library\",\"name\":\"core\",\"group\":\"@babel\",\"version\":\"7.23.0\","
		"\"purl\":\"pkg:npm/%40babel/core@7.23.0\",\"properties\":[{\"name\":\"syft:location:0:path\","
		"\"value\":\"/usr/lib/node_modules/@babel/core/package.json\"}]},"
		"{\"type\":\"library\",\"name\":\"log4j\",\"purl\":\"pkg:maven/org.apache/log4j@2.0\"},"
		"{\"type\":\"library\",\"name\":\"x\",\"purl\":\"pkg:maven/o/x@1\"},"
		"{\"type\":\"operating-system\",\"name\":\"debian\",\"version\":\"12\","
		"\"description\":\"Debian GNU/Linux 12 (bookworm)\"}]}");
	assert_int_equal(c->n_pkgs, 3);
	assert_str_eq(c->os.id, "debian");
	assert_str_eq(c->os.version_id, "12");
	const struct cat_pkg *p = find(c, "libssl3");
	assert_str_eq(p->src_name, "openssl");
	assert_str_eq(p->src_version, "3.0.11-1~deb12u1");
	assert_str_eq(p->arch, "amd64");
	p = find(c, "libc6");
	assert_str_eq(p->src_name, "glibc");
	assert_null(p->src_version);
	p = find(c, "@babel/core");
	assert_int_equal(p->type, PKG_NPM);
	assert_str_eq(p->location, "usr/lib/node_modules/@babel/core/package.json");
	assert_true(has_warning(c, "2 packages of ecosystems quench does not match skipped (maven)"));
	catalog_free(c);
}

/* No OS component: the distro the OS packages were built for. */
static void t_os_from_distro(void **state)
{
	(void)state;
	struct catalog *c = read_ok(
		"{\"spdxVersion\":\"SPDX-2.3\",\"packages\":[{\"SPDXID\":\"SPDXRef-a\",\"name\":\"musl\","
		"\"versionInfo\":\"1.2.4-r2\",\"externalRefs\":[{\"referenceCategory\":\"PACKAGE-MANAGER\","
		"\"referenceType\":\"purl\",\"referenceLocator\":"
		"\"pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1\"}]}]}");
	assert_str_eq(c->os.id, "alpine");
	assert_str_eq(c->os.version_id, "3.19.1");
	assert_int_equal(find(c, "musl")->type, PKG_APK);
	catalog_free(c);
	c = read_ok("{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":[{"
		    "\"type\":\"library\",\"name\":\"bash\",\"version\":\"5.2-1\",\"purl\":"
		    "\"pkg:rpm/opensuse/bash@5.2-1?distro=opensuse-leap-15.5\"}]}");
	assert_str_eq(c->os.id, "opensuse-leap");
	assert_str_eq(c->os.version_id, "15.5");
	catalog_free(c);
}

/* ---- purls -------------------------------------------------------------------------------- */

static void check_purl(const char *s, const char *type, const char *ns, const char *name,
		       const char *version, const char *upstream)
{
	struct purl u;
	assert_int_equal(purl_parse(s, &u), 0);
	assert_str_eq(u.type, type);
	assert_str_eq(u.namespace, ns);
	assert_str_eq(u.name, name);
	assert_str_eq(u.version, version);
	assert_str_eq(purl_qualifier(&u, "upstream"), upstream);
	purl_release(&u);
}

/* The reader's purls: the catalog's parser, with what the reader relies on. */
static void t_purl(void **state)
{
	(void)state;
	check_purl("pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl",
		   "deb", "debian", "openssl", "3.0.11-1~deb12u2", "openssl");
	check_purl("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?UPSTREAM=glibc%402.36-9%2Bdeb12u3#sub/path",
		   "deb", "debian", "libc6", "2.36-9+deb12u4", "glibc@2.36-9+deb12u3");
	check_purl("pkg:npm/%40babel/core@7.23.0", "npm", "@babel", "core", "7.23.0", NULL);
	check_purl("PKG:Golang/github.com/foo/bar@v1.2.3", "golang", "github.com/foo", "bar",
		   "v1.2.3", NULL);
	check_purl("pkg:pypi/six", "pypi", NULL, "six", NULL, NULL);
	check_purl("pkg:pypi/%C3%BCn%C3%AF@1", "pypi", NULL, "\xc3\xbcn\xc3\xaf", "1", NULL);
	struct purl u;
	/* What would not be a clean string is no purl. */
	const char *bad[] = { "pkg:pypi/a%00b@1", "pkg:pypi/x@1%C3%28", "pkg:pypi/x@1%2", "pkg:nope",
			      "pkg:/x", "pkg:deb/debian/@1", "https://x/y", NULL };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(purl_parse(bad[i], &u), -1);
}

/* ---- hostile documents ---------------------------------------------------------------------- */

static void expect_error(const char *doc, const char *part)
{
	struct qerr err = QERR_INIT;
	assert_null(read_str(doc, "evil.json", &err));
	if (!strstr(err.msg, part) || !str_starts_with(err.msg, "evil.json"))
		fail_msg("error '%s' does not say '%s'", err.msg, part);
	assert_null(strchr(err.msg, '\n'));
}

static void t_errors(void **state)
{
	(void)state;
	expect_error("", "invalid JSON");
	expect_error("{\"bomFormat\":\"CycloneDX\"", "invalid JSON");
	expect_error("[1,2]", "not an SBOM");
	expect_error("{\"bomFormat\":\"SomethingElse\"}", "neither CycloneDX nor SPDX");
	expect_error("{\"spdxVersion\":\"SPDX-3.0\"}", "neither CycloneDX nor SPDX");
	expect_error("{\"bomFormat\":\"CycloneDX\"}", "without a specVersion");
	expect_error("{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":{}}",
		     "components is not a list");
	expect_error("{\"spdxVersion\":\"SPDX-2.3\",\"packages\":\"x\"}", "packages is not a list");
	expect_error("{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"x\":\"\xff\"}",
		     "invalid JSON");
	/* a raw newline (and what the parser quotes of it) stays off the message */
	expect_error("{\"bomFormat\":\"CycloneDX\",\"x\":\"a\nb\"}", "invalid JSON");
	struct qerr err = QERR_INIT;
	assert_null(sbom_read_file("/nonexistent/x.cdx.json", &err));
	assert_non_null(strstr(err.msg, "/nonexistent/x.cdx.json"));
}

static void t_warnings(void **state)
{
	(void)state;
	/* Wrong types where a component's fields should be: skipped or
	 * ignored, with warnings naming the place; never a crash. */
	struct catalog *c = read_ok(
		"{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.3\",\"components\":["
		"1, \"x\", null,"
		"{\"type\":\"library\",\"name\":7,\"purl\":\"pkg:pypi/a@1\"},"
		"{\"type\":\"library\",\"name\":\"b\",\"version\":[],\"purl\":\"pkg:pypi/b@2\","
		" \"properties\":{\"name\":\"quench:owner\"}, \"licenses\":\"MIT\","
		" \"components\":7},"
		"{\"type\":\"library\",\"name\":\"c\\u001b[31m\",\"version\":\"1\",\"purl\":\"pkg:pypi/c@1\","
		" \"properties\":[1,{\"name\":\"quench:package-type\",\"value\":\"pypi\"},"
		" {\"name\":\"quench:location\",\"value\":\"/opt/c/METADATA\"},"
		" {\"name\":\"quench:owner\",\"value\":\"nobody\"}]}]}");
	assert_int_equal(c->n_pkgs, 2);
	assert_true(has_warning(c, "t.json: CycloneDX 1.3: read as 1.6"));
	assert_true(has_warning(c, "t.json: components[0]: not an object: skipped"));
	assert_true(has_warning(c, "t.json: components[3]: a pypi package without a name: skipped"));
	assert_true(has_warning(c, "t.json: components[4].components: not a list: skipped"));
	assert_true(has_warning(c, "owner nobody is no package of the document"));
	const struct cat_pkg *b = find(c, "b");
	assert_str_eq(b->version, "2");   /* from the purl */
	const struct cat_pkg *p = find(c, "c[31m");   /* no escape reaches a terminal */
	assert_str_eq(p->location, "opt/c/METADATA");
	assert_int_equal(c->n_files, 0);
	catalog_free(c);
}

/* What the document says goes into warnings without control characters. */
static void t_warning_text(void **state)
{
	(void)state;
	struct catalog *c = read_ok("{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.\\u001b[2J\"}");
	assert_int_equal(c->warnings.n, 1);
	assert_string_equal(c->warnings.v[0], "t.json: CycloneDX 1.[2J: read as 1.6");
	catalog_free(c);
}

static void t_nesting(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":");
	for (int i = 0; i < 40; i++)
		strbuf_addf(&sb, "[{\"type\":\"library\",\"name\":\"p%d\",\"version\":\"1\","
			    "\"purl\":\"pkg:pypi/p%d@1\",\"components\":", i, i);
	strbuf_adds(&sb, "[]");
	for (int i = 0; i < 40; i++)
		strbuf_adds(&sb, "}]");
	strbuf_adds(&sb, "}");
	struct catalog *c = read_ok(sb.buf);
	assert_int_equal(c->n_pkgs, 17);
	assert_true(has_warning(c, "nested deeper than 16 levels"));
	catalog_free(c);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_roundtrip_cyclonedx),
		cmocka_unit_test(t_roundtrip_spdx),
		cmocka_unit_test(t_owner_written),
		cmocka_unit_test(t_trivy_cyclonedx),
		cmocka_unit_test(t_trivy_spdx),
		cmocka_unit_test(t_syft_style),
		cmocka_unit_test(t_os_from_distro),
		cmocka_unit_test(t_purl),
		cmocka_unit_test(t_errors),
		cmocka_unit_test(t_warnings),
		cmocka_unit_test(t_warning_text),
		cmocka_unit_test(t_nesting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
