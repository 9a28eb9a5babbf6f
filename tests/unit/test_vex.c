/* purl parsing and matching; OpenVEX statements applied to findings: which
 * statement applies (vulnerability or alias, package purl, the image and
 * its subcomponents), which one wins (the newest), what suppresses. */
#include "vuln/vuln.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static void t_purl_parse(void **state)
{
	(void)state;
	struct purl p;
	assert_int_equal(purl_parse("pkg:deb/debian/openssl@1:3.0.11-1%7Edeb12u2?distro=debian-12"
				    "&Arch=amd64#sub/dir", &p), 0);
	assert_string_equal(p.type, "deb");
	assert_string_equal(p.namespace, "debian");
	assert_string_equal(p.name, "openssl");
	assert_string_equal(p.version, "1:3.0.11-1~deb12u2");
	assert_string_equal(p.subpath, "sub/dir");
	assert_int_equal(p.qualifiers.n, 2);
	assert_string_equal(p.qualifiers.v[0], "arch=amd64");
	assert_string_equal(p.qualifiers.v[1], "distro=debian-12");
	purl_release(&p);

	assert_int_equal(purl_parse("pkg:npm/%40angular/core@16.0.0", &p), 0);
	assert_string_equal(p.namespace, "@angular");
	assert_string_equal(p.name, "core");
	purl_release(&p);
	assert_int_equal(purl_parse("PKG:PyPI/Zope_Interface", &p), 0);
	assert_string_equal(p.type, "pypi");
	assert_string_equal(p.name, "zope-interface");
	assert_null(p.version);
	purl_release(&p);
	assert_int_equal(purl_parse("pkg:golang/github.com/a/b@v1.2.3", &p), 0);
	assert_string_equal(p.namespace, "github.com/a");
	assert_string_equal(p.name, "b");
	purl_release(&p);

	const char *bad[] = { "", "pkg:", "pkg:deb", "pkg:deb/", "npm/x@1", "pkg:deb/x%zz",
			      "pkg:deb/x%00y", "pkg:deb/x?a", "pkg:deb/x@1%4" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(purl_parse(bad[i], &p), -1);
}

static bool match(const char *pattern, const char *purl)
{
	struct purl a, b;
	assert_int_equal(purl_parse(pattern, &a), 0);
	assert_int_equal(purl_parse(purl, &b), 0);
	bool m = purl_matches(&a, &b);
	purl_release(&a);
	purl_release(&b);
	return m;
}

static void t_purl_match(void **state)
{
	(void)state;
	const char *pkg = "pkg:deb/debian/libsope1@5.8.0-1?arch=amd64&distro=debian-12";
	assert_true(match("pkg:deb/debian/libsope1", pkg));
	assert_true(match("pkg:deb/debian/libsope1@5.8.0-1", pkg));
	assert_true(match("pkg:deb/debian/libsope1?distro=debian-12", pkg));
	assert_false(match("pkg:deb/debian/libsope1?distro=debian-11", pkg));
	assert_false(match("pkg:deb/debian/libsope1@5.8.0-2", pkg));
	assert_false(match("pkg:deb/ubuntu/libsope1", pkg));
	assert_false(match("pkg:rpm/debian/libsope1", pkg));
	assert_true(match("pkg:pypi/Zope.Interface", "pkg:pypi/zope-interface@5"));
}

/* A report of two findings over two packages. */
static struct catalog cat;
static struct cat_pkg pkgs[2];

static void make_report(struct vuln_report *r)
{
	pkgs[0] = (struct cat_pkg){ .name = "urllib3", .purl = "pkg:pypi/urllib3@1.26.4" };
	pkgs[1] = (struct cat_pkg){ .name = "libsope1",
				    .purl = "pkg:deb/debian/libsope1@5.8.0-1?distro=debian-12" };
	cat = (struct catalog){ .pkgs = pkgs, .n_pkgs = 2 };
	memset(r, 0, sizeof(*r));
	r->v = xcalloc(2, sizeof(*r->v));
	r->n = 2;
	r->v[0] = (struct vuln_finding){ .pkg = 0, .id = xstrdup("CVE-2021-33503") };
	strvec_push(&r->v[0].advisories, "PYSEC-2021-108");
	r->v[1] = (struct vuln_finding){ .pkg = 1, .id = xstrdup("CVE-2025-53603") };
}

static struct vex *load(const char *statements)
{
	char path[] = "/tmp/quench-vex-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"@id\": \"x\", "
		   "\"author\": \"t\", \"timestamp\": \"2025-01-01T00:00:00Z\", \"version\": 1, "
		   "\"statements\": [%s]}", statements);
	fclose(f);
	struct vex *v = NULL;
	struct qerr err = QERR_INIT;
	if (vex_load(path, &v, &err) < 0)
		fail_msg("vex_load: %s", err.msg);
	unlink(path);
	return v;
}

static void t_apply(void **state)
{
	(void)state;
	struct vuln_report r;
	make_report(&r);
	/* By advisory id (PYSEC), for the package; the image with a subcomponent. */
	struct vex *v = load(
		"{\"vulnerability\": {\"name\": \"PYSEC-2021-108\"}, \"products\": "
		"[{\"@id\": \"pkg:pypi/urllib3\"}], \"status\": \"fixed\"},"
		"{\"vulnerability\": {\"name\": \"CVE-2025-53603\"}, \"products\": "
		"[{\"@id\": \"pkg:oci/img@sha256%3Aab\", \"subcomponents\": "
		"[{\"@id\": \"pkg:deb/debian/libsope1\"}]}], \"status\": \"not_affected\", "
		"\"justification\": \"vulnerable_code_not_present\"}");
	struct vex_target t = { .manifest_digest = "sha256:ab" };
	vex_apply(v, &cat, &t, &r);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.n_suppressed, 2);
	assert_string_equal(r.suppressed[0].vex_status, "fixed");
	assert_string_equal(r.suppressed[1].vex_justification, "vulnerable_code_not_present");
	vuln_report_release(&r);

	/* Another image's digest: nothing. */
	make_report(&r);
	t.manifest_digest = "sha256:cd";
	vex_apply(v, &cat, &t, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].id, "CVE-2025-53603");
	assert_null(r.v[0].vex_status);
	vuln_report_release(&r);
	vex_free(v);
}

static void t_newest_wins(void **state)
{
	(void)state;
	struct vuln_report r;
	make_report(&r);
	struct vex *v = load(
		"{\"vulnerability\": {\"name\": \"CVE-2021-33503\"}, \"products\": "
		"[{\"@id\": \"pkg:pypi/urllib3\"}], \"status\": \"under_investigation\", "
		"\"timestamp\": \"2025-03-01T00:00:00Z\"},"
		"{\"vulnerability\": {\"name\": \"CVE-2021-33503\"}, \"products\": "
		"[{\"@id\": \"pkg:pypi/urllib3\"}], \"status\": \"not_affected\", "
		"\"justification\": \"component_not_present\", "
		"\"timestamp\": \"2025-02-01T00:00:00Z\"},"
		"{\"vulnerability\": {\"name\": \"CVE-2025-53603\"}, \"products\": "
		"[{\"@id\": \"pkg:deb/debian/libsope1\"}], \"status\": \"not_affected\"}");
	assert_int_equal(vex_warnings(v)->n, 1);
	assert_non_null(strstr(vex_warnings(v)->v[0], "statement 2"));
	struct vex_target t = { 0 };
	vex_apply(v, &cat, &t, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].vex_status, "under_investigation");
	vuln_report_release(&r);
	vex_free(v);
}

static void t_not_vex(void **state)
{
	(void)state;
	char path[] = "/tmp/quench-vex-XXXXXX";
	int fd = mkstemp(path);
	assert_true(write(fd, "{\"statements\": []}", 18) == 18);
	close(fd);
	struct vex *v;
	struct qerr err = QERR_INIT;
	assert_int_equal(vex_load(path, &v, &err), -1);
	assert_non_null(strstr(err.msg, "not an OpenVEX document"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_purl_parse),
		cmocka_unit_test(t_purl_match),
		cmocka_unit_test(t_apply),
		cmocka_unit_test(t_newest_wins),
		cmocka_unit_test(t_not_vex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
