/* report: SARIF 2.1.0 and CycloneDX 1.6 with vulnerabilities, from a
 * catalog and findings built by hand — structure, links, levels, order,
 * references into the BOM, and validity against the official schemas
 * (tests/data/schemas, through validate_schema.py). */
#include "report/report.h"
#include "catalog/catalog_internal.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "schema_check.h"

#define DIGEST(c) "sha256:" c c c c c c c c c c c c c c c c \
		  c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
		  c c c c c c c c c c c c c c c c

static const char *const layers[] = { DIGEST("1") };

static const struct report_subject subject = {
	.image = {
		.name = "docker://docker.io/library/debian:12",
		.manifest_digest = DIGEST("a"),
		.config_digest = DIGEST("c"),
		.created = "2024-01-02T03:04:05Z",
		.os = "linux",
		.arch = "amd64",
		.layer_digests = layers,
		.n_layers = 1,
	},
	.tool_version = "0.1.0",
};

/* ---- a catalog and findings by hand ------------------------------------------------ */

enum { CHROMIUM, LIBC, LIBSSL_DEV, LIBSSL, REQUESTS, SIX_A, SIX_B, URLLIB3, N_PKGS };

static void add(struct catalog *c, enum pkg_type t, const char *name, const char *version,
		const char *purl, const char *location, const char *src)
{
	struct cat_pkg *p = cat_add_pkg(c, t, NULL);
	p->name = xstrdup(name);
	p->version = xstrdup(version);
	p->purl = xstrdup(purl);
	p->location = xstrdup(location);
	p->src_name = src ? xstrdup(src) : NULL;
}

static struct catalog *catalog(void)
{
	struct catalog *c = xcalloc(1, sizeof(*c));
	c->os = (struct os_info){ xstrdup("debian"), xstrdup("12"), xstrdup("bookworm"),
				  xstrdup("Debian GNU/Linux 12 (bookworm)"), NULL };
	c->n_layers = 1;
	const char *st = "var/lib/dpkg/status";
	add(c, PKG_DEB, "chromium", "97.0.4692.99-1",
	    "pkg:deb/debian/chromium@97.0.4692.99-1?arch=amd64&distro=debian-12", st, NULL);
	add(c, PKG_DEB, "libc6", "2.36-9+deb12u4",
	    "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12", st, "glibc");
	add(c, PKG_DEB, "libssl-dev", "3.0.11-1~deb12u2",
	    "pkg:deb/debian/libssl-dev@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", st, "openssl");
	add(c, PKG_DEB, "libssl3", "3.0.11-1~deb12u2",
	    "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", st, "openssl");
	add(c, PKG_PYTHON, "requests", "2.31.0", "pkg:pypi/requests@2.31.0",
	    "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA", NULL);
	/* one purl, two packages: two bom-refs */
	add(c, PKG_PYTHON, "six", "1.16.0", "pkg:pypi/six@1.16.0",
	    "opt/venv-a/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA", NULL);
	add(c, PKG_PYTHON, "six", "1.16.0", "pkg:pypi/six@1.16.0",
	    "opt/venv-b/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA", NULL);
	/* a path a URI must escape */
	add(c, PKG_PYTHON, "urllib3", "1.26.4", "pkg:pypi/urllib3@1.26.4",
	    "opt/my venv/lib/python3.11/site-packages/urllib3-1.26.4.dist-info/METADATA", NULL);
	assert_int_equal(c->n_pkgs, N_PKGS);
	return c;
}

struct spec {
	size_t pkg;
	const char *id, *status, *fixed, *summary, *vector, *word, *advisories;
};

/* Deliberately not in report order: the writers sort. */
static const struct spec specs[] = {
	{ URLLIB3, "CVE-2021-33503", VDB_AFFECTED, "1.26.5",
	  "Catastrophic backtracking in URL authority parser when passed URL containing many @ characters",
	  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", NULL, "PYSEC-2021-108" },
	{ LIBSSL, "CVE-2024-0727", VDB_AFFECTED, "3.0.13-1~deb12u1",
	  "PKCS12 Decoding crashes", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", NULL,
	  "DSA-5678-1" },
	{ SIX_B, "PYSEC-2099-7", VDB_OPEN, NULL, NULL, NULL, NULL, NULL },
	{ CHROMIUM, "CVE-2022-0456", VDB_EOL, NULL, "Use after free in Web Search", NULL,
	  "debian-tracker: medium", NULL },
	{ LIBC, "DSA-5000-1", VDB_WONT_FIX, NULL, "glibc: several issues", NULL,
	  "debian-tracker: low", NULL },
	{ REQUESTS, "CVE-2024-9999", VDB_AFFECTED, "2.32.0", "A made-up critical flaw",
	  "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", NULL, NULL },
	{ LIBSSL_DEV, "CVE-2024-0727", VDB_AFFECTED, "3.0.13-1~deb12u1",
	  "PKCS12 Decoding crashes", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", NULL,
	  "DSA-5678-1" },
	{ SIX_A, "PYSEC-2099-7", VDB_OPEN, NULL, NULL, NULL, NULL, NULL },
};
#define N_SPECS (sizeof(specs) / sizeof(specs[0]))

static void finding(struct vuln_finding *f, const struct catalog *c, const struct spec *s)
{
	*f = (struct vuln_finding){ .pkg = s->pkg, .id = xstrdup(s->id), .status = s->status };
	const struct cat_pkg *p = &c->pkgs[s->pkg];
	f->fixed = s->fixed ? xstrdup(s->fixed) : NULL;
	f->summary = s->summary ? xstrdup(s->summary) : NULL;
	f->package = xstrdup(p->src_name ? p->src_name : p->name);
	f->installed = xstrdup(p->version);
	f->ecosystem = xstrdup(p->type == PKG_DEB ? "Debian:12" : "PyPI");
	if (s->advisories)
		strvec_push(&f->advisories, s->advisories);
	if (s->vector) {
		int version;
		assert_int_equal(cvss_base_score(s->vector, &f->score, &version, NULL), 0);
		f->severity = cvss_severity_of(f->score);
		f->cvss_vector = xstrdup(s->vector);
		f->severity_source = xasprintf("CVSS %d.%d", version / 10, version % 10);
	} else if (s->word) {
		f->severity_source = xstrdup(s->word);
		f->severity = strstr(s->word, "medium") ? CVSS_MEDIUM : CVSS_LOW;
	}
}

/* The findings, in spec order, or reversed. */
static void findings(struct vuln_report *r, const struct catalog *c, bool reversed)
{
	memset(r, 0, sizeof(*r));
	r->n = N_SPECS;
	r->v = xcalloc(N_SPECS, sizeof(*r->v));
	for (size_t i = 0; i < N_SPECS; i++)
		finding(&r->v[i], c, &specs[reversed ? N_SPECS - 1 - i : i]);
}

/* ---- helpers ------------------------------------------------------------------------ */


/* The result for (rule id, package name[, location prefix]). */
static json_t *result_of(json_t *results, const char *id, const char *pkg, const char *where)
{
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) {
		json_t *props = json_get_obj(r, "properties");
		json_t *loc = json_array_get(json_get_arr(r, "locations"), 0);
		const char *uri = json_get_str(json_get_obj(json_get_obj(loc, "physicalLocation"),
							    "artifactLocation"), "uri");
		if (!strcmp(json_get_str(r, "ruleId"), id) &&
		    !strcmp(json_get_str(props, "package"), pkg) &&
		    (!where || (uri && str_starts_with(uri, where))))
			return r;
	}
	fail_msg("no result for %s on %s", id, pkg);
	return NULL;
}

static const char *sec_severity(json_t *rule)
{
	return json_get_str(json_get_obj(rule, "properties"), "security-severity");
}

/* ---- SARIF ------------------------------------------------------------------------- */

static void check_sarif_rules(json_t *rules)
{
	static const char *const ids[] = { "CVE-2021-33503", "CVE-2022-0456", "CVE-2024-0727",
					   "CVE-2024-9999", "DSA-5000-1", "PYSEC-2099-7" };
	assert_int_equal(json_array_size(rules), 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(json_get_str(json_array_get(rules, i), "id"), ids[i]);
	json_t *r = json_find(rules, "id", "CVE-2024-0727");
	assert_string_equal(json_get_str(r, "helpUri"),
			    "https://nvd.nist.gov/vuln/detail/CVE-2024-0727");
	assert_string_equal(json_get_str(json_get_obj(r, "shortDescription"), "text"),
			    "PKCS12 Decoding crashes");
	assert_string_equal(sec_severity(r), "7.5");
	assert_non_null(strstr(json_get_str(json_get_obj(r, "help"), "text"), "DSA-5678-1"));
	json_t *tags = json_get_arr(json_get_obj(r, "properties"), "tags");
	assert_string_equal(json_string_value(json_array_get(tags, 0)), "security");
	assert_string_equal(json_string_value(json_array_get(tags, 2)), "high");
	assert_string_equal(sec_severity(json_find(rules, "id", "CVE-2024-9999")), "9.3");
	r = json_find(rules, "id", "DSA-5000-1");
	assert_string_equal(json_get_str(r, "helpUri"),
			    "https://security-tracker.debian.org/tracker/DSA-5000-1");
	assert_string_equal(sec_severity(r), "0.1");   /* the floor of "low" */
	assert_string_equal(sec_severity(json_find(rules, "id", "CVE-2022-0456")), "4.0");
	r = json_find(rules, "id", "PYSEC-2099-7");
	assert_string_equal(json_get_str(r, "helpUri"), "https://osv.dev/vulnerability/PYSEC-2099-7");
	assert_null(sec_severity(r));                  /* unrated: no rank */
	/* no summary: the id stands in */
	assert_string_equal(json_get_str(json_get_obj(r, "shortDescription"), "text"),
			    "PYSEC-2099-7");
}

static void check_sarif_results(json_t *rules, json_t *results)
{
	assert_int_equal(json_array_size(results), N_SPECS);
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) {
		json_t *rule = json_array_get(rules, (size_t)json_integer_value(
						       json_object_get(r, "ruleIndex")));
		assert_string_equal(json_get_str(rule, "id"), json_get_str(r, "ruleId"));
		assert_non_null(json_get_obj(r, "partialFingerprints"));
	}
	assert_string_equal(json_get_str(result_of(results, "CVE-2024-9999", "requests", NULL),
					 "level"), "error");
	assert_string_equal(json_get_str(result_of(results, "CVE-2024-0727", "libssl3", NULL),
					 "level"), "error");
	assert_string_equal(json_get_str(result_of(results, "CVE-2022-0456", "chromium", NULL),
					 "level"), "warning");
	assert_string_equal(json_get_str(result_of(results, "DSA-5000-1", "libc6", NULL), "level"),
			    "note");
	assert_string_equal(json_get_str(result_of(results, "PYSEC-2099-7", "six", NULL), "level"),
			    "note");

	r = result_of(results, "CVE-2021-33503", "urllib3", NULL);
	const char *msg = json_get_str(json_get_obj(r, "message"), "text");
	assert_non_null(strstr(msg, "urllib3 1.26.4"));
	assert_non_null(strstr(msg, "Upgrade urllib3 to 1.26.5"));
	json_t *loc = json_array_get(json_get_arr(r, "locations"), 0);
	assert_string_equal(json_get_str(json_get_obj(json_get_obj(loc, "physicalLocation"),
						      "artifactLocation"), "uri"),
			    "opt/my%20venv/lib/python3.11/site-packages/urllib3-1.26.4.dist-info/METADATA");
	json_t *logical = json_array_get(json_get_arr(loc, "logicalLocations"), 0);
	assert_string_equal(json_get_str(logical, "fullyQualifiedName"), "pkg:pypi/urllib3@1.26.4");
	assert_string_equal(json_get_str(json_get_obj(r, "properties"), "fixedVersion"), "1.26.5");

	/* the two copies of six: two results, two places, two fingerprints */
	json_t *a = result_of(results, "PYSEC-2099-7", "six", "opt/venv-a/");
	json_t *b = result_of(results, "PYSEC-2099-7", "six", "opt/venv-b/");
	assert_false(json_equal(json_get_obj(a, "partialFingerprints"),
				json_get_obj(b, "partialFingerprints")));
	assert_non_null(strstr(json_get_str(json_get_obj(a, "message"), "text"),
			       "No fix is available yet"));
	r = result_of(results, "DSA-5000-1", "libc6", "var/lib/dpkg/status");
	assert_non_null(strstr(json_get_str(json_get_obj(r, "message"), "text"), "will not fix"));
}

static void t_sarif(void **state)
{
	(void)state;
	struct catalog *c = catalog();
	struct vuln_report r;
	findings(&r, c, false);
	json_t *doc = report_sarif(c, &r, &subject);
	assert_string_equal(json_get_str(doc, "version"), "2.1.0");
	json_t *runs = json_get_arr(doc, "runs");
	assert_int_equal(json_array_size(runs), 1);
	json_t *run = json_array_get(runs, 0);
	json_t *driver = json_get_obj(json_get_obj(run, "tool"), "driver");
	assert_string_equal(json_get_str(driver, "name"), "quench");
	assert_string_equal(json_get_str(driver, "version"), "0.1.0");
	check_sarif_rules(json_get_arr(driver, "rules"));
	check_sarif_results(json_get_arr(driver, "rules"), json_get_arr(run, "results"));
	assert_string_equal(json_get_str(json_get_obj(run, "properties"), "manifestDigest"),
			    DIGEST("a"));
	assert_valid(doc, "sarif-2.1.0.schema.json");
	json_decref(doc);
	vuln_report_release(&r);
	catalog_free(c);
}

/* ---- CycloneDX --------------------------------------------------------------------- */

static const char *ref_of(json_t *components, size_t venv_pkg, const struct catalog *c)
{
	/* six's two copies share a purl: tell them by their location */
	size_t i;
	json_t *comp;
	json_array_foreach(components, i, comp) {
		json_t *p = json_find(json_get_arr(comp, "properties"), "name", "quench:location");
		if (p && !strcmp(json_get_str(p, "value"), c->pkgs[venv_pkg].location) &&
		    !strcmp(json_get_str(comp, "name"), c->pkgs[venv_pkg].name))
			return json_get_str(comp, "bom-ref");
	}
	fail_msg("no component for package %zu", venv_pkg);
	return NULL;
}

static void check_refs_resolve(json_t *vulns, json_t *components)
{
	size_t i, k;
	json_t *v, *a;
	json_array_foreach(vulns, i, v) {
		assert_non_null(json_get_str(v, "bom-ref"));
		json_array_foreach(json_get_arr(v, "affects"), k, a)
			if (!json_find(components, "bom-ref", json_get_str(a, "ref")))
				fail_msg("%s: affects '%s', no such component",
					 json_get_str(v, "id"), json_get_str(a, "ref"));
	}
}

static void check_openssl(json_t *vulns, json_t *components, const struct catalog *c)
{
	json_t *v = json_find(vulns, "id", "CVE-2024-0727");
	json_t *aff = json_get_arr(v, "affects");
	assert_int_equal(json_array_size(aff), 2);   /* libssl-dev and libssl3: one entry */
	assert_string_equal(json_get_str(json_array_get(aff, 0), "ref"),
			    ref_of(components, LIBSSL_DEV, c));
	assert_string_equal(json_get_str(json_array_get(aff, 1), "ref"), ref_of(components, LIBSSL, c));
	json_t *vers = json_get_arr(json_array_get(aff, 1), "versions");
	assert_string_equal(json_get_str(json_array_get(vers, 0), "version"), "3.0.11-1~deb12u2");
	assert_string_equal(json_get_str(json_array_get(vers, 0), "status"), "affected");
	assert_string_equal(json_get_str(json_array_get(vers, 1), "version"), "3.0.13-1~deb12u1");
	assert_string_equal(json_get_str(json_array_get(vers, 1), "status"), "unaffected");
	json_t *rating = json_array_get(json_get_arr(v, "ratings"), 0);
	assert_int_equal(json_array_size(json_get_arr(v, "ratings")), 1);   /* same vector: once */
	assert_string_equal(json_get_str(rating, "method"), "CVSSv31");
	assert_string_equal(json_get_str(rating, "severity"), "high");
	assert_true(json_real_value(json_object_get(rating, "score")) == 7.5);
	assert_string_equal(json_get_str(rating, "vector"),
			    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
	assert_string_equal(json_get_str(json_get_obj(v, "source"), "name"), "NVD");
	assert_string_equal(json_get_str(json_find(json_get_arr(v, "advisories"), "title", "DSA-5678-1"),
					 "url"),
			    "https://security-tracker.debian.org/tracker/DSA-5678-1");
	assert_string_equal(json_get_str(v, "recommendation"),
			    "Upgrade libssl-dev to 3.0.13-1~deb12u1. Upgrade libssl3 to 3.0.13-1~deb12u1.");
	assert_string_equal(json_get_str(v, "description"), "PKCS12 Decoding crashes");
	json_t *resp = json_get_arr(json_get_obj(v, "analysis"), "response");
	assert_string_equal(json_string_value(json_array_get(resp, 0)), "update");
}

static void check_statuses(json_t *vulns, json_t *components, const struct catalog *c)
{
	json_t *v = json_find(vulns, "id", "DSA-5000-1");
	json_t *rating = json_array_get(json_get_arr(v, "ratings"), 0);
	assert_string_equal(json_get_str(rating, "method"), "other");
	assert_string_equal(json_get_str(rating, "severity"), "low");
	assert_string_equal(json_get_str(json_get_obj(rating, "source"), "name"), "debian-tracker");
	assert_string_equal(json_get_str(json_get_obj(v, "source"), "name"), "Debian");
	json_t *resp = json_get_arr(json_get_obj(v, "analysis"), "response");
	assert_string_equal(json_string_value(json_array_get(resp, 0)), "will_not_fix");
	assert_string_equal(json_get_str(json_find(json_get_arr(v, "properties"), "name",
					      "quench:status"), "value"), VDB_WONT_FIX);
	assert_null(json_get_str(v, "recommendation"));

	v = json_find(vulns, "id", "CVE-2022-0456");
	resp = json_get_arr(json_get_obj(v, "analysis"), "response");
	assert_string_equal(json_string_value(json_array_get(resp, 0)), "can_not_fix");

	v = json_find(vulns, "id", "PYSEC-2099-7");
	assert_null(json_get_obj(v, "analysis"));     /* nothing known */
	assert_null(json_get_arr(v, "ratings"));      /* unrated */
	assert_string_equal(json_get_str(json_get_obj(v, "source"), "url"),
			    "https://osv.dev/vulnerability/PYSEC-2099-7");
	json_t *aff = json_get_arr(v, "affects");
	assert_int_equal(json_array_size(aff), 2);
	assert_string_equal(json_get_str(json_array_get(aff, 0), "ref"), ref_of(components, SIX_A, c));
	assert_string_equal(json_get_str(json_array_get(aff, 1), "ref"), ref_of(components, SIX_B, c));
	assert_string_not_equal(ref_of(components, SIX_A, c), ref_of(components, SIX_B, c));

	v = json_find(vulns, "id", "CVE-2024-9999");
	assert_string_equal(json_get_str(json_array_get(json_get_arr(v, "ratings"), 0), "method"),
			    "CVSSv4");
}

static void t_cyclonedx(void **state)
{
	(void)state;
	struct catalog *c = catalog();
	struct vuln_report r;
	findings(&r, c, false);
	json_t *doc = report_cyclonedx(c, &r, &subject);
	struct sbom_opts o = { .tool_version = "0.1.0" };
	json_t *bom = sbom_build(SBOM_CYCLONEDX, c, &subject.image, &o);
	/* the BOM is quench sbom's, but for its serial number */
	assert_true(json_equal(json_object_get(doc, "components"), json_object_get(bom, "components")));
	assert_true(json_equal(json_object_get(doc, "dependencies"),
			       json_object_get(bom, "dependencies")));
	assert_string_not_equal(json_get_str(doc, "serialNumber"), json_get_str(bom, "serialNumber"));
	assert_true(str_starts_with(json_get_str(doc, "serialNumber"), "urn:uuid:"));

	json_t *vulns = json_get_arr(doc, "vulnerabilities");
	assert_int_equal(json_array_size(vulns), 6);
	assert_string_equal(json_get_str(json_array_get(vulns, 0), "id"), "CVE-2021-33503");
	assert_string_equal(json_get_str(json_array_get(vulns, 5), "id"), "PYSEC-2099-7");
	json_t *components = json_get_arr(doc, "components");
	check_refs_resolve(vulns, components);
	check_openssl(vulns, components, c);
	check_statuses(vulns, components, c);
	assert_valid(doc, "bom-1.6.schema.json");
	json_decref(bom);
	json_decref(doc);
	vuln_report_release(&r);
	catalog_free(c);
}

/* ---- order, emptiness, hostile strings ----------------------------------------------- */

static void t_deterministic(void **state)
{
	(void)state;
	struct catalog *c = catalog();
	struct vuln_report a, b;
	findings(&a, c, false);
	findings(&b, c, true);
	for (int k = 0; k < 2; k++) {
		json_t *x = k ? report_cyclonedx(c, &a, &subject) : report_sarif(c, &a, &subject);
		json_t *y = k ? report_cyclonedx(c, &b, &subject) : report_sarif(c, &b, &subject);
		char *sx = json_dump_sorted(x, true), *sy = json_dump_sorted(y, true);
		assert_string_equal(sx, sy);
		free(sx);
		free(sy);
		json_decref(x);
		json_decref(y);
	}
	/* another finding, another serial number */
	json_t *x = report_cyclonedx(c, &a, &subject);
	a.n--;
	json_t *y = report_cyclonedx(c, &a, &subject);
	a.n++;
	assert_string_not_equal(json_get_str(x, "serialNumber"), json_get_str(y, "serialNumber"));
	json_decref(x);
	json_decref(y);
	vuln_report_release(&a);
	vuln_report_release(&b);
	catalog_free(c);
}

static void t_empty_and_hostile(void **state)
{
	(void)state;
	struct catalog *c = catalog();
	struct vuln_report none = { 0 };
	json_t *s = report_sarif(c, &none, &subject);
	assert_int_equal(json_array_size(json_get_arr(json_array_get(json_get_arr(s, "runs"), 0),
						      "results")), 0);
	assert_valid(s, "sarif-2.1.0.schema.json");
	json_decref(s);
	json_t *d = report_cyclonedx(c, &none, &subject);
	assert_int_equal(json_array_size(json_get_arr(d, "vulnerabilities")), 0);
	assert_valid(d, "bom-1.6.schema.json");
	json_decref(d);

	/* an id and a summary as a hostile advisory file could hold them, and a
	 * finding whose package index is out of range */
	struct vuln_report r;
	findings(&r, c, false);
	free(r.v[0].id);
	r.v[0].id = xstrdup("GHSA-x/../\xff y");
	free(r.v[0].summary);
	r.v[0].summary = xstrdup("bad \xc3\x28 bytes");
	r.v[1].pkg = N_PKGS + 5;
	s = report_sarif(c, &r, &subject);
	json_t *rules = json_get_arr(json_get_obj(json_get_obj(json_array_get(
		json_get_arr(s, "runs"), 0), "tool"), "driver"), "rules");
	json_t *rule = json_find(rules, "id", "GHSA-x/../\xef\xbf\xbd y");
	assert_non_null(rule);
	assert_string_equal(json_get_str(rule, "helpUri"),
			    "https://osv.dev/vulnerability/GHSA-x%2F..%2F%FF%20y");
	assert_int_equal(json_array_size(json_get_arr(json_array_get(json_get_arr(s, "runs"), 0),
						      "results")), N_SPECS - 1);
	assert_valid(s, "sarif-2.1.0.schema.json");
	d = report_cyclonedx(c, &r, &subject);
	assert_non_null(json_find(json_get_arr(d, "vulnerabilities"), "id", "GHSA-x/../\xef\xbf\xbd y"));
	assert_valid(d, "bom-1.6.schema.json");
	json_decref(s);
	json_decref(d);
	vuln_report_release(&r);
	catalog_free(c);
}

/* A profile in which libssl3's library was loaded and nothing else used:
 * libssl3 reachable, the rest present; OpenVEX says so, and validates. */
static void t_reachability_openvex(void **state)
{
	(void)state;
	struct catalog *c = catalog();
	struct vuln_report r;
	findings(&r, c, false);
	json_t *rbom = json_pack(
		"{s:{s:s}, s:[{s:s, s:[s], s:s}, {s:s, s:[s], s:s}]}", "image", "manifestDigest",
		subject.image.manifest_digest, "files", "path", "/usr/lib/x86_64-linux-gnu/libssl.so.3",
		"uses", "library", "package", c->pkgs[LIBSSL].purl, "path", "/usr/bin/chromium",
		"uses", "stat", "package", c->pkgs[CHROMIUM].purl);
	struct qerr err = QERR_INIT;
	assert_int_equal(report_reachability(rbom, c, subject.image.manifest_digest, &r, &err), 0);
	for (size_t i = 0; i < r.n; i++) {
		bool ssl = r.v[i].pkg == LIBSSL;
		assert_string_equal(r.v[i].reach, ssl ? "reachable" : "present");
		if (ssl)
			assert_string_equal(r.v[i].reach_evidence,
					    "loaded /usr/lib/x86_64-linux-gnu/libssl.so.3");
		else
			assert_null(r.v[i].reach_evidence);   /* a stat is not a use */
	}
	json_t *vex = report_openvex(c, &r, &subject, "2026-01-01T00:00:00Z");
	assert_int_not_equal(schema_validate(vex, "openvex-0.2.0.schema.json"), 1);
	size_t i, affected = 0;
	json_t *st;
	json_array_foreach(json_get_arr(vex, "statements"), i, st) {
		const char *sub = json_get_str(json_array_get(json_get_arr(json_array_get(
			json_get_arr(st, "products"), 0), "subcomponents"), 0), "@id");
		bool ssl = !strcmp(sub, c->pkgs[LIBSSL].purl);
		assert_string_equal(json_get_str(st, "status"), ssl ? "affected" : "not_affected");
		affected += ssl;
	}
	assert_int_equal(affected, 1);
	json_decref(vex);
	/* another image's profile is refused */
	assert_int_equal(report_reachability(rbom, c, "sha256:other", &r, &err), -1);
	assert_non_null(strstr(err.msg, "the RBOM profiles image"));
	json_decref(rbom);
	vuln_report_release(&r);
	catalog_free(c);
}

/* Reading is a use only when what is read is code: a Python module read
 * makes requests reachable; libc's locale data and chromium's config read
 * (by other packages' code) do not make them reachable. */
static void t_reachability_reads(void **state)
{
	(void)state;
	struct catalog *c = catalog();
	struct vuln_report r;
	findings(&r, c, false);
	json_t *rbom = json_pack(
		"{s:{s:s}, s:[{s:s, s:[s], s:s}, {s:s, s:[s], s:s}, {s:s, s:[s, s], s:s}]}", "image",
		"manifestDigest", subject.image.manifest_digest, "files", "path",
		"/usr/lib/python3/dist-packages/requests/__init__.py", "uses", "read", "package",
		c->pkgs[REQUESTS].purl, "path", "/usr/lib/locale/C.utf8/LC_CTYPE", "uses", "read",
		"package", c->pkgs[LIBC].purl, "path", "/etc/chromium/default", "uses", "read", "stat",
		"package", c->pkgs[CHROMIUM].purl);
	struct qerr err = QERR_INIT;
	assert_int_equal(report_reachability(rbom, c, subject.image.manifest_digest, &r, &err), 0);
	size_t reachable = 0;
	for (size_t i = 0; i < r.n; i++) {
		bool req = r.v[i].pkg == REQUESTS;
		assert_string_equal(r.v[i].reach, req ? "reachable" : "present");
		if (req)
			assert_string_equal(r.v[i].reach_evidence,
					    "read /usr/lib/python3/dist-packages/requests/__init__.py");
		reachable += req;
	}
	assert_true(reachable > 0);
	json_decref(rbom);
	vuln_report_release(&r);
	catalog_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_reachability_reads),
		cmocka_unit_test(t_sarif),
		cmocka_unit_test(t_cyclonedx),
		cmocka_unit_test(t_deterministic),
		cmocka_unit_test(t_empty_and_hostile),
		cmocka_unit_test(t_reachability_openvex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
