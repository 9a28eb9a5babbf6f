/* sbom: CycloneDX 1.6, SPDX 2.3 and quench's JSON from a catalog built by
 * hand — fields, unique identifiers, determinism, and validity against the
 * official schemas (tests/data/schemas, through validate_schema.py). */
#include "sbom/sbom_internal.h"
#include "catalog/catalog_internal.h"
#include "fs/fs.h"

#include <ctype.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "schema_check.h"

#define DIGEST(c) "sha256:" c c c c c c c c c c c c c c c c \
		  c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
		  c c c c c c c c c c c c c c c c

static const char *const layers[] = { DIGEST("1"), DIGEST("2") };

static const struct sbom_subject subject = {
	.name = "docker://docker.io/library/debian:12",
	.manifest_digest = DIGEST("a"),
	.config_digest = DIGEST("c"),
	.created = "2024-01-02T03:04:05.123456789+01:00",
	.os = "linux",
	.arch = "amd64",
	.layer_digests = layers,
	.n_layers = 2,
};

/* ---- a catalog by hand ---------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct cat_pkg *add(struct catalog *c, enum pkg_type t, const char *name,
			   const char *version, const char *purl, const char *location)
{
	struct cat_pkg *p = cat_add_pkg(c, t, NULL);
	p->name = xstrdup(name);
	p->version = dup_or_null(version);
	p->purl = dup_or_null(purl);
	p->location = xstrdup(location);
	return p;
}

static void deps(struct cat_pkg *p, size_t n, const size_t *d)
{
	p->deps = xcalloc(n + 1, sizeof(*p->deps));
	memcpy(p->deps, d, n * sizeof(*d));
	p->n_deps = n;
}

static struct elf_info *elf(char hex, const char *build_id, const char *soname)
{
	struct elf_info *e = xcalloc(1, sizeof(*e));
	snprintf(e->sha256, sizeof(e->sha256), "sha256:%.*s", 64,
		 "0000000000000000000000000000000000000000000000000000000000000000");
	memset(e->sha256 + 7, hex, 64);
	e->build_id = dup_or_null(build_id);
	e->soname = dup_or_null(soname);
	e->machine = 62;
	e->elf_class = 2;
	e->elf_type = 3;
	return e;
}

static void add_file(struct catalog *c, const char *path, enum tar_type type, int32_t owner,
		     uint32_t layer, struct elf_info *e)
{
	c->files = xrealloc(c->files, (c->n_files + 1) * sizeof(*c->files));
	c->files[c->n_files++] = (struct cat_file){
		.path = xstrdup(path), .type = (uint8_t)type, .mode = 0755, .size = 1234,
		.layer = layer, .owner = owner, .elf = e,
		.link = type == TAR_SYMLINK ? xstrdup("target") : NULL,
	};
}

enum { LIBC, LIBSSL, WEIRD, ZLIB, REQUESTS, SIX_A, SIX_B, URLLIB3, BABEL, GOMOD, STDLIB, N_PKGS };

static struct catalog *realistic(void)
{
	struct catalog *c = xcalloc(1, sizeof(*c));
	c->os = (struct os_info){ xstrdup("debian"), xstrdup("12"), xstrdup("bookworm"),
				  xstrdup("Debian GNU/Linux 12 (bookworm)"), NULL };
	c->n_layers = 2;
	const char *status = "var/lib/dpkg/status";
	struct cat_pkg *p;

	p = add(c, PKG_DEB, "libc6", "2.36-9+deb12u4",
		"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12", status);
	p->arch = xstrdup("amd64");
	p->src_name = xstrdup("glibc");
	p->license = xstrdup("LGPL-2.1");
	p->supplier = xstrdup("GNU Libc Maintainers <debian-glibc@lists.debian.org>");
	p->homepage = xstrdup("https://www.gnu.org/software/libc/libc.html");
	p->cpe = xstrdup("cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*");

	p = add(c, PKG_DEB, "libssl3", "3.0.11-1~deb12u2",
		"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", status);
	p->src_name = xstrdup("openssl");
	p->src_version = xstrdup("3.0.11-1~deb12u2");
	p->license = xstrdup("apache-2.0 and (MIT OR BSD-3-Clause)");
	p->layer = 1;
	deps(p, 1, (size_t[]){ LIBC });

	/* Everything an SPDXID or a bom-ref must survive. */
	p = add(c, PKG_DEB, "weird pkg/ünï+1", NULL, "pkg:deb/debian/weird%20pkg%2F%C3%BCn%C3%AF%2B1",
		status);
	p->license = xstrdup("GPL-2+ and some text");
	p->homepage = xstrdup("not a url");
	p->supplier = xstrdup("Someone\nElse");
	p->layer = 7;   /* beyond the subject's layers */

	p = add(c, PKG_DEB, "zlib1g", "1:1.2.13.dfsg-1",
		"pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12&epoch=1", status);
	p->src_name = xstrdup("zlib");
	p->src_version = xstrdup("1:1.2.13.dfsg-1");
	p->license = xstrdup("Zlib");
	deps(p, 2, (size_t[]){ LIBC, LIBC });   /* a repeat must not repeat */

	p = add(c, PKG_PYTHON, "requests", "2.31.0", "pkg:pypi/requests@2.31.0",
		"usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA");
	p->license = xstrdup("Apache-2.0");
	p->homepage = xstrdup("https://requests.readthedocs.io");
	deps(p, 1, (size_t[]){ URLLIB3 });

	/* One package in two virtual environments: one purl, two packages,
	 * depending on each other (a cycle no top-level package reaches). */
	p = add(c, PKG_PYTHON, "six", "1.16.0", "pkg:pypi/six@1.16.0",
		"opt/venv-a/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA");
	p->license = xstrdup("MIT");
	deps(p, 1, (size_t[]){ SIX_B });
	p = add(c, PKG_PYTHON, "six", "1.16.0", "pkg:pypi/six@1.16.0",
		"opt/venv-b/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA");
	p->license = xstrdup("MIT");
	deps(p, 1, (size_t[]){ SIX_A });

	p = add(c, PKG_PYTHON, "urllib3", "2.0.7", "pkg:pypi/urllib3@2.0.7",
		"usr/lib/python3/dist-packages/urllib3-2.0.7.dist-info/METADATA");
	p->license = xstrdup("MIT");

	p = add(c, PKG_NPM, "@babel/core", "7.23.0", "pkg:npm/%40babel/core@7.23.0",
		"usr/lib/node_modules/@babel/core/package.json");
	p->license = xstrdup("MIT");
	p->supplier = xstrdup("The Babel Team (https://babel.dev/team)");

	add(c, PKG_GO, "github.com/foo/bar", "v1.2.3", "pkg:golang/github.com/foo/bar@v1.2.3",
	    "usr/local/bin/app");
	add(c, PKG_GO, "stdlib", "go1.21.5", "pkg:golang/stdlib@go1.21.5", "usr/local/bin/app");

	add_file(c, "etc/passwd", TAR_REG, -1, 0, NULL);
	struct elf_info *e = elf('b', "abcdef0123", "libc.so.6");
	add_file(c, "lib/x86_64-linux-gnu/libc.so.6", TAR_REG, LIBC, 0, e);
	e = elf('d', "0badc0de", NULL);
	e->interp = xstrdup("/lib64/ld-linux-x86-64.so.2");
	strvec_push(&e->needed, "libc.so.6");
	add_file(c, "opt/app/bin/server", TAR_REG, -1, 1, e);
	add_file(c, "usr/bin", TAR_DIR, -1, 0, NULL);
	add_file(c, "usr/lib/x86_64-linux-gnu/libssl.so.3", TAR_REG, LIBSSL, 1,
		 elf('e', NULL, "libssl.so.3"));
	e = elf('f', NULL, NULL);
	e->go_version = xstrdup("go1.21.5");
	add_file(c, "usr/local/bin/app", TAR_REG, -1, 1, e);
	add_file(c, "usr/local/bin/ünï code", TAR_REG, -1, 1, elf('9', NULL, NULL));
	add_file(c, "usr/share/doc/x", TAR_SYMLINK, WEIRD, 0, NULL);
	strvec_push(&c->warnings, "var/lib/dpkg/status: line 12: no Version");
	assert_int_equal(c->n_pkgs, N_PKGS);
	return c;
}

/* ---- helpers ------------------------------------------------------------------------ */

static const struct sbom_opts plain = { .tool_version = "0.1.0" };
static const struct sbom_opts with_files = { .files = true, .tool_version = "0.1.0" };

/* The value of the CycloneDX property name, or NULL. */
static const char *prop(json_t *component, const char *name)
{
	json_t *p = json_find(json_get_arr(component, "properties"), "name", name);
	return p ? json_get_str(p, "value") : NULL;
}

static size_t count(json_t *arr, const char *key, const char *value)
{
	size_t n = 0, i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const char *s = json_get_str(v, key);
		n += s && !strcmp(s, value);
	}
	return n;
}

/* Every string under key in arr is unique; each goes into set. */
static void assert_unique(json_t *arr, const char *key, struct idset *set)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const char *s = json_get_str(v, key);
		assert_non_null(s);
		if (!idset_take(set, xstrdup(s)))
			fail_msg("%s '%s' is not unique", key, s);
	}
}

static bool has_ref(struct idset *set, const char *ref)
{
	return ref && strmap_get(&set->map, ref, NULL);
}

/* ---- CycloneDX ------------------------------------------------------------------ */

static void check_cdx_refs(json_t *doc)
{
	struct idset refs = IDSET_INIT;
	json_t *comps = json_get_arr(doc, "components");
	assert_unique(comps, "bom-ref", &refs);
	const char *image = json_get_str(json_get_obj(json_get_obj(doc, "metadata"), "component"),
					 "bom-ref");
	assert_non_null(idset_take(&refs, xstrdup(image)));
	/* every dependency names a component, once */
	struct idset seen = IDSET_INIT;
	json_t *deps = json_get_arr(doc, "dependencies"), *d, *on;
	size_t i, k;
	assert_unique(deps, "ref", &seen);
	json_array_foreach(deps, i, d) {
		assert_true(has_ref(&refs, json_get_str(d, "ref")));
		json_array_foreach(json_get_arr(d, "dependsOn"), k, on)
			assert_true(has_ref(&refs, json_string_value(on)));
	}
	idset_release(&seen);
	idset_release(&refs);
}

static void t_cyclonedx(void **state)
{
	(void)state;
	struct catalog *c = realistic();
	json_t *doc = sbom_build(SBOM_CYCLONEDX, c, &subject, &plain);
	assert_string_equal(json_get_str(doc, "bomFormat"), "CycloneDX");
	assert_string_equal(json_get_str(doc, "specVersion"), "1.6");
	assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
	const char *serial = json_get_str(doc, "serialNumber");
	assert_int_equal(strlen(serial), strlen("urn:uuid:") + 36);
	assert_true(str_starts_with(serial, "urn:uuid:"));
	assert_int_equal(serial[9 + 14], '5');   /* version 5 */
	assert_non_null(strchr("89ab", serial[9 + 19]));   /* RFC 4122 variant */

	json_t *meta = json_get_obj(doc, "metadata");
	assert_string_equal(json_get_str(meta, "timestamp"), "2024-01-02T02:04:05Z");
	json_t *tool = json_array_get(json_get_arr(json_get_obj(meta, "tools"), "components"), 0);
	assert_string_equal(json_get_str(tool, "name"), "quench");
	assert_string_equal(json_get_str(tool, "version"), "0.1.0");
	json_t *image = json_get_obj(meta, "component");
	assert_string_equal(json_get_str(image, "type"), "container");
	assert_string_equal(json_get_str(image, "name"), subject.name);
	assert_string_equal(json_get_str(image, "version"), subject.manifest_digest);
	char *purl = xasprintf("pkg:oci/debian@sha256%%3A%s?arch=amd64"
			       "&repository_url=docker.io%%2Flibrary%%2Fdebian",
			       digest_hex(subject.manifest_digest));
	assert_string_equal(json_get_str(image, "purl"), purl);
	free(purl);
	assert_string_equal(prop(image, "quench:config-digest"), subject.config_digest);

	json_t *comps = json_get_arr(doc, "components");
	json_t *os = json_array_get(comps, 0);
	assert_string_equal(json_get_str(os, "type"), "operating-system");
	assert_string_equal(json_get_str(os, "name"), "debian");
	assert_string_equal(json_get_str(os, "version"), "12");

	json_t *libc = json_find(comps, "name", "libc6");
	assert_string_equal(json_get_str(libc, "type"), "library");
	assert_string_equal(json_get_str(libc, "bom-ref"), c->pkgs[LIBC].purl);
	assert_string_equal(json_get_str(libc, "cpe"), c->pkgs[LIBC].cpe);
	json_t *lic = json_array_get(json_get_arr(libc, "licenses"), 0);
	assert_string_equal(json_get_str(json_get_obj(lic, "license"), "id"), "LGPL-2.1");
	assert_string_equal(json_get_str(json_get_obj(libc, "supplier"), "name"),
			    c->pkgs[LIBC].supplier);
	json_t *web = json_array_get(json_get_arr(libc, "externalReferences"), 0);
	assert_string_equal(json_get_str(web, "type"), "website");
	assert_string_equal(prop(libc, "quench:layer"), layers[0]);
	assert_string_equal(prop(libc, "quench:location"), "var/lib/dpkg/status");
	assert_string_equal(prop(libc, "quench:package-type"), "deb");
	assert_string_equal(prop(libc, "quench:source-name"), "glibc");
	assert_null(prop(libc, "quench:source-version"));
	assert_string_equal(prop(libc, "aquasecurity:trivy:SrcName"), "glibc");
	assert_string_equal(prop(libc, "aquasecurity:trivy:SrcVersion"), "2.36-9+deb12u4");

	json_t *ssl = json_find(comps, "name", "libssl3");
	lic = json_array_get(json_get_arr(ssl, "licenses"), 0);
	assert_string_equal(json_get_str(lic, "expression"), "Apache-2.0 AND (MIT OR BSD-3-Clause)");
	assert_string_equal(prop(ssl, "quench:layer"), layers[1]);
	json_t *zlib = json_find(comps, "name", "zlib1g");
	assert_string_equal(prop(zlib, "aquasecurity:trivy:SrcVersion"), "1.2.13.dfsg-1");
	assert_string_equal(prop(zlib, "aquasecurity:trivy:SrcEpoch"), "1");

	json_t *weird = json_find(comps, "name", "weird pkg/ünï+1");
	assert_null(json_object_get(weird, "version"));
	lic = json_array_get(json_get_arr(weird, "licenses"), 0);
	assert_string_equal(json_get_str(json_get_obj(lic, "license"), "name"), "GPL-2+ and some text");
	assert_null(json_object_get(weird, "externalReferences"));
	assert_null(prop(weird, "quench:layer"));
	assert_null(prop(json_find(comps, "name", "requests"), "aquasecurity:trivy:SrcName"));

	/* one purl, two packages: the second gets a package-id */
	assert_int_equal(count(comps, "purl", "pkg:pypi/six@1.16.0"), 2);
	assert_int_equal(count(comps, "bom-ref", "pkg:pypi/six@1.16.0"), 1);

	/* ELF files no package owns, and only those */
	assert_int_equal(count(comps, "type", "file"), 3);
	json_t *server = json_find(comps, "name", "opt/app/bin/server");
	json_t *hash = json_array_get(json_get_arr(server, "hashes"), 0);
	assert_string_equal(json_get_str(hash, "alg"), "SHA-256");
	assert_int_equal(strlen(json_get_str(hash, "content")), 64);
	assert_string_equal(prop(server, "quench:build-id"), "0badc0de");
	assert_non_null(json_find(comps, "name", "usr/local/bin/ünï code"));
	assert_null(json_find(comps, "name", "lib/x86_64-linux-gnu/libc.so.6"));

	/* the graph: the image holds the OS, which holds the OS packages;
	 * top-level others and one way into the cycle */
	check_cdx_refs(doc);
	json_t *deps = json_get_arr(doc, "dependencies");
	json_t *top = json_find(deps, "ref", json_get_str(image, "bom-ref"));
	size_t i;
	json_t *v;
	struct strbuf got = STRBUF_INIT;
	json_array_foreach(json_get_arr(top, "dependsOn"), i, v)
		strbuf_addf(&got, "%s ", json_string_value(v));
	assert_string_equal(strbuf_str(&got),
			    "quench:os:debian@12 pkg:pypi/requests@2.31.0 "
			    "pkg:npm/%40babel/core@7.23.0 pkg:golang/github.com/foo/bar@v1.2.3 "
			    "pkg:golang/stdlib@go1.21.5 pkg:pypi/six@1.16.0 ");
	strbuf_release(&got);
	json_t *os_dep = json_find(deps, "ref", "quench:os:debian@12");
	assert_int_equal(json_array_size(json_get_arr(os_dep, "dependsOn")), 4);
	json_t *z = json_find(deps, "ref", c->pkgs[ZLIB].purl);
	assert_int_equal(json_array_size(json_get_arr(z, "dependsOn")), 1);

	assert_valid(doc, "bom-1.6.schema.json");
	json_decref(doc);
	catalog_free(c);
}

static void t_cyclonedx_files(void **state)
{
	(void)state;
	struct catalog *c = realistic();
	json_t *doc = sbom_build(SBOM_CYCLONEDX, c, &subject, &with_files);
	json_t *comps = json_get_arr(doc, "components");
	assert_int_equal(count(comps, "type", "file"), 6);   /* every regular file */
	json_t *libc = json_find(comps, "name", "lib/x86_64-linux-gnu/libc.so.6");
	assert_string_equal(prop(libc, "quench:owner"), c->pkgs[LIBC].purl);
	assert_string_equal(prop(libc, "quench:soname"), "libc.so.6");
	assert_string_equal(prop(libc, "quench:layer"), layers[0]);
	json_t *passwd = json_find(comps, "name", "etc/passwd");
	assert_null(json_object_get(passwd, "hashes"));
	assert_null(prop(passwd, "quench:owner"));
	assert_null(json_find(comps, "name", "usr/bin"));
	check_cdx_refs(doc);
	/* a different document of the same image: its own serial number */
	json_t *other = sbom_build(SBOM_CYCLONEDX, c, &subject, &plain);
	assert_string_not_equal(json_get_str(doc, "serialNumber"),
				json_get_str(other, "serialNumber"));
	json_decref(other);
	assert_valid(doc, "bom-1.6.schema.json");
	json_decref(doc);
	catalog_free(c);
}

/* ---- SPDX ---------------------------------------------------------------------- */

static bool spdxid_ok(const char *id)
{
	if (!str_starts_with(id, "SPDXRef-") || !id[8])
		return false;
	for (const char *p = id + 8; *p; p++)
		if (!(isascii((unsigned char)*p) && (isalnum((unsigned char)*p) || *p == '.' ||
						     *p == '-')))
			return false;
	return true;
}

static void check_spdx_ids(json_t *doc)
{
	struct idset ids = IDSET_INIT;
	idset_take(&ids, xstrdup("SPDXRef-DOCUMENT"));
	assert_unique(json_get_arr(doc, "packages"), "SPDXID", &ids);
	if (json_get_arr(doc, "files"))
		assert_unique(json_get_arr(doc, "files"), "SPDXID", &ids);
	for (size_t i = 0; i < ids.ids.n; i++)
		if (!spdxid_ok(ids.ids.v[i]))
			fail_msg("bad SPDXID '%s'", ids.ids.v[i]);
	size_t i;
	json_t *r;
	json_array_foreach(json_get_arr(doc, "relationships"), i, r) {
		assert_true(has_ref(&ids, json_get_str(r, "spdxElementId")));
		assert_true(has_ref(&ids, json_get_str(r, "relatedSpdxElement")));
	}
	idset_release(&ids);
}

static json_t *relation(json_t *doc, const char *from, const char *type, const char *to)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_get_arr(doc, "relationships"), i, r)
		if (!strcmp(json_get_str(r, "spdxElementId"), from) &&
		    !strcmp(json_get_str(r, "relationshipType"), type) &&
		    !strcmp(json_get_str(r, "relatedSpdxElement"), to))
			return r;
	return NULL;
}

static const char *ext_ref(json_t *pkg, const char *type)
{
	json_t *r = json_find(json_get_arr(pkg, "externalRefs"), "referenceType", type);
	return r ? json_get_str(r, "referenceLocator") : NULL;
}

static void t_spdx(void **state)
{
	(void)state;
	struct catalog *c = realistic();
	json_t *doc = sbom_build(SBOM_SPDX, c, &subject, &plain);
	assert_string_equal(json_get_str(doc, "spdxVersion"), "SPDX-2.3");
	assert_string_equal(json_get_str(doc, "dataLicense"), "CC0-1.0");
	assert_string_equal(json_get_str(doc, "SPDXID"), "SPDXRef-DOCUMENT");
	assert_string_equal(json_get_str(doc, "name"), subject.name);
	assert_true(str_starts_with(json_get_str(doc, "documentNamespace"),
				    "https://quench.dev/spdx/debian-"));
	json_t *ci = json_get_obj(doc, "creationInfo");
	assert_string_equal(json_get_str(ci, "created"), "2024-01-02T02:04:05Z");
	assert_string_equal(json_string_value(json_array_get(json_get_arr(ci, "creators"), 0)),
			    "Tool: quench-0.1.0");

	json_t *pkgs = json_get_arr(doc, "packages");
	assert_int_equal(json_array_size(pkgs), N_PKGS + 2);
	json_t *image = json_array_get(pkgs, 0);
	assert_string_equal(json_get_str(image, "primaryPackagePurpose"), "CONTAINER");
	assert_string_equal(json_get_str(image, "versionInfo"), subject.manifest_digest);
	const char *image_id = json_get_str(image, "SPDXID");
	json_t *os = json_array_get(pkgs, 1);
	assert_string_equal(json_get_str(os, "primaryPackagePurpose"), "OPERATING_SYSTEM");
	assert_string_equal(json_get_str(os, "name"), "debian");
	const char *os_id = json_get_str(os, "SPDXID");

	json_t *libc = json_find(pkgs, "name", "libc6");
	cleanup_free char *libc_id = xstrdup(json_get_str(libc, "SPDXID"));
	assert_true(str_starts_with(libc_id, "SPDXRef-Package-deb-libc6-"));
	assert_string_equal(json_get_str(libc, "downloadLocation"), "NOASSERTION");
	assert_false(json_is_true(json_object_get(libc, "filesAnalyzed")));
	assert_string_equal(json_get_str(libc, "licenseDeclared"), "LGPL-2.1");
	assert_string_equal(json_get_str(libc, "licenseConcluded"), "NOASSERTION");
	assert_string_equal(json_get_str(libc, "supplier"),
			    "Organization: GNU Libc Maintainers (debian-glibc@lists.debian.org)");
	assert_string_equal(json_get_str(libc, "sourceInfo"),
			    "built package from: glibc 2.36-9+deb12u4");
	assert_string_equal(ext_ref(libc, "purl"), c->pkgs[LIBC].purl);
	assert_string_equal(ext_ref(libc, "cpe23Type"), c->pkgs[LIBC].cpe);
	json_t *ssl = json_find(pkgs, "name", "libssl3");
	assert_string_equal(json_get_str(ssl, "licenseDeclared"),
			    "Apache-2.0 AND (MIT OR BSD-3-Clause)");
	json_t *weird = json_find(pkgs, "name", "weird pkg/ünï+1");
	assert_string_equal(json_get_str(weird, "licenseDeclared"), "NOASSERTION");
	assert_string_equal(json_get_str(weird, "licenseComments"), "GPL-2+ and some text");
	assert_string_equal(json_get_str(weird, "supplier"), "Organization: Someone Else");
	assert_true(str_starts_with(json_get_str(weird, "SPDXID"), "SPDXRef-Package-deb-weird-pkg-n-1-"));
	assert_null(json_object_get(weird, "versionInfo"));
	json_t *babel = json_find(pkgs, "name", "@babel/core");
	assert_true(str_starts_with(json_get_str(babel, "SPDXID"), "SPDXRef-Package-npm--babel-core-"));
	assert_string_equal(json_get_str(babel, "supplier"),
			    "Organization: The Babel Team (https://babel.dev/team)");

	check_spdx_ids(doc);
	assert_non_null(relation(doc, "SPDXRef-DOCUMENT", "DESCRIBES", image_id));
	assert_non_null(relation(doc, image_id, "CONTAINS", os_id));
	assert_non_null(relation(doc, os_id, "CONTAINS", libc_id));
	assert_non_null(relation(doc, image_id, "CONTAINS",
				 json_get_str(json_find(pkgs, "name", "requests"), "SPDXID")));
	assert_non_null(relation(doc, json_get_str(ssl, "SPDXID"), "DEPENDS_ON", libc_id));

	/* unowned ELF files, with their SHA-256, contained by the image */
	json_t *files = json_get_arr(doc, "files");
	assert_int_equal(json_array_size(files), 3);
	json_t *server = json_find(files, "fileName", "./opt/app/bin/server");
	json_t *sum = json_array_get(json_get_arr(server, "checksums"), 0);
	assert_string_equal(json_get_str(sum, "algorithm"), "SHA256");
	assert_non_null(relation(doc, image_id, "CONTAINS", json_get_str(server, "SPDXID")));
	assert_valid(doc, "spdx-2.3.schema.json");
	json_decref(doc);

	/* with --files, owned ELF files too, contained by their package */
	doc = sbom_build(SBOM_SPDX, c, &subject, &with_files);
	files = json_get_arr(doc, "files");
	assert_int_equal(json_array_size(files), 5);
	json_t *so = json_find(files, "fileName", "./lib/x86_64-linux-gnu/libc.so.6");
	assert_non_null(relation(doc, libc_id, "CONTAINS", json_get_str(so, "SPDXID")));
	assert_null(json_find(files, "fileName", "./etc/passwd"));
	check_spdx_ids(doc);
	assert_valid(doc, "spdx-2.3.schema.json");
	json_decref(doc);
	catalog_free(c);
}

/* ---- native ----------------------------------------------------------------------- */

static void t_native(void **state)
{
	(void)state;
	struct catalog *c = realistic();
	json_t *doc = sbom_build(SBOM_NATIVE, c, &subject, &plain);
	assert_string_equal(json_get_str(doc, "schema"), "quench-sbom/1");
	json_t *img = json_get_obj(doc, "image");
	assert_string_equal(json_get_str(img, "created"), subject.created);
	assert_int_equal(json_array_size(json_get_arr(img, "layers")), 2);
	assert_string_equal(json_get_str(json_get_obj(doc, "os"), "codename"), "bookworm");
	json_t *pkgs = json_get_arr(doc, "packages");
	assert_int_equal(json_array_size(pkgs), N_PKGS);
	json_t *ssl = json_array_get(pkgs, LIBSSL);
	assert_string_equal(json_get_str(json_get_obj(ssl, "source"), "name"), "openssl");
	assert_int_equal(json_integer_value(json_object_get(ssl, "layer")), 1);
	assert_string_equal(json_string_value(json_array_get(json_get_arr(ssl, "depends"), 0)),
			    c->pkgs[LIBC].purl);
	assert_null(json_object_get(json_array_get(pkgs, LIBC), "files"));
	assert_null(json_object_get(doc, "files"));
	json_t *six_b = json_array_get(pkgs, SIX_B);
	assert_true(str_starts_with(json_get_str(six_b, "ref"), "pkg:pypi/six@1.16.0?package-id="));
	json_t *unowned = json_get_arr(doc, "unowned_elf");
	assert_int_equal(json_array_size(unowned), 3);
	assert_string_equal(json_string_value(json_array_get(unowned, 0)), "opt/app/bin/server");
	assert_int_equal(json_array_size(json_get_arr(doc, "warnings")), 1);
	json_decref(doc);

	doc = sbom_build(SBOM_NATIVE, c, &subject, &with_files);
	json_t *files = json_get_arr(doc, "files");
	assert_int_equal(json_array_size(files), c->n_files);
	json_t *so = json_find(files, "path", "lib/x86_64-linux-gnu/libc.so.6");
	assert_string_equal(json_get_str(so, "owner"), c->pkgs[LIBC].purl);
	assert_string_equal(json_get_str(so, "mode"), "0755");
	assert_string_equal(json_get_str(json_get_obj(so, "elf"), "soname"), "libc.so.6");
	json_t *server = json_find(files, "path", "opt/app/bin/server");
	json_t *e = json_get_obj(server, "elf");
	assert_string_equal(json_get_str(e, "interp"), "/lib64/ld-linux-x86-64.so.2");
	assert_string_equal(json_string_value(json_array_get(json_get_arr(e, "needed"), 0)),
			    "libc.so.6");
	assert_string_equal(json_get_str(json_find(files, "path", "usr/share/doc/x"), "type"), "symlink");
	json_t *libc_files = json_get_arr(json_array_get(json_get_arr(doc, "packages"), LIBC), "files");
	assert_int_equal(json_array_size(libc_files), 1);
	json_decref(doc);
	catalog_free(c);
}

/* ---- determinism and edges ------------------------------------------------------------ */

static void t_deterministic(void **state)
{
	(void)state;
	enum sbom_format fmts[] = { SBOM_CYCLONEDX, SBOM_SPDX, SBOM_NATIVE };
	for (size_t f = 0; f < ARRAY_SIZE(fmts); f++) {
		for (int files = 0; files < 2; files++) {
			struct catalog *a = realistic(), *b = realistic();
			const struct sbom_opts *o = files ? &with_files : &plain;
			json_t *ja = sbom_build(fmts[f], a, &subject, o);
			json_t *jb = sbom_build(fmts[f], b, &subject, o);
			char *sa = json_dump_sorted(ja, true), *sb = json_dump_sorted(jb, true);
			assert_string_equal(sa, sb);
			free(sa);
			free(sb);
			json_decref(ja);
			json_decref(jb);
			catalog_free(a);
			catalog_free(b);
		}
	}
	/* the clock is never read: no created time → SOURCE_DATE_EPOCH */
	struct catalog *c = realistic();
	struct sbom_subject s = subject;
	s.created = NULL;
	setenv("SOURCE_DATE_EPOCH", "86400", 1);
	json_t *doc = sbom_build(SBOM_CYCLONEDX, c, &s, &plain);
	assert_string_equal(json_get_str(json_get_obj(doc, "metadata"), "timestamp"),
			    "1970-01-02T00:00:00Z");
	json_decref(doc);
	unsetenv("SOURCE_DATE_EPOCH");
	/* another image, another serial number */
	s.manifest_digest = DIGEST("b");
	json_t *x = sbom_build(SBOM_CYCLONEDX, c, &subject, &plain);
	json_t *y = sbom_build(SBOM_CYCLONEDX, c, &s, &plain);
	assert_string_not_equal(json_get_str(x, "serialNumber"), json_get_str(y, "serialNumber"));
	json_decref(x);
	json_decref(y);
	catalog_free(c);
}

static void validate_all(const struct catalog *c, const struct sbom_subject *s)
{
	for (int files = 0; files < 2; files++) {
		const struct sbom_opts *o = files ? &with_files : &plain;
		json_t *doc = sbom_build(SBOM_CYCLONEDX, c, s, o);
		check_cdx_refs(doc);
		assert_valid(doc, "bom-1.6.schema.json");
		json_decref(doc);
		doc = sbom_build(SBOM_SPDX, c, s, o);
		check_spdx_ids(doc);
		assert_valid(doc, "spdx-2.3.schema.json");
		json_decref(doc);
		doc = sbom_build(SBOM_NATIVE, c, s, o);
		assert_non_null(json_get_arr(doc, "packages"));
		json_decref(doc);
	}
}

static void t_edges(void **state)
{
	(void)state;
	/* an empty catalog of an image we know nothing of */
	struct catalog *c = xcalloc(1, sizeof(*c));
	struct sbom_subject nothing = { 0 };
	validate_all(c, &nothing);
	json_t *doc = sbom_build(SBOM_CYCLONEDX, c, &nothing, NULL);
	assert_int_equal(json_array_size(json_get_arr(doc, "components")), 0);
	assert_string_equal(json_get_str(json_get_obj(json_get_obj(doc, "metadata"), "component"),
					 "bom-ref"), "quench:image");
	json_decref(doc);

	/* no OS; OS packages and a package without a version or purl */
	add(c, PKG_APK, "busybox", NULL, NULL, "lib/apk/db/installed");
	add(c, PKG_APK, "busybox", NULL, NULL, "lib/apk/db/installed");
	add(c, PKG_PYTHON, "x", "1", "pkg:pypi/x@1", "a/METADATA")->license = xstrdup("");
	add_file(c, "bin/busybox", TAR_REG, 0, 9, elf('1', NULL, NULL));
	struct sbom_subject bad = { .name = "oci:/tmp/\xff\xfe:latest", .created = "yesterday",
				    .manifest_digest = "sha256:short" };
	validate_all(c, &bad);
	doc = sbom_build(SBOM_CYCLONEDX, c, &bad, &plain);
	json_t *comps = json_get_arr(doc, "components");
	assert_null(json_find(comps, "type", "operating-system"));
	assert_int_equal(count(comps, "name", "busybox"), 2);
	assert_null(json_object_get(json_array_get(comps, 2), "licenses"));
	json_decref(doc);
	catalog_free(c);
}

/* ---- the pieces ------------------------------------------------------------------------ */

static void expr(const char *in, const char *want, bool want_single)
{
	bool single;
	char *got = spdx_expression(in, &single);
	if (!want) {
		if (got)
			fail_msg("'%s' → '%s', want no expression", in ? in : "(null)", got);
		return;
	}
	if (!got || strcmp(got, want))
		fail_msg("'%s' → '%s', want '%s'", in, got ? got : "(none)", want);
	assert_int_equal(single, want_single);
	free(got);
}

static void t_license(void **state)
{
	(void)state;
	expr("MIT", "MIT", true);
	expr("mit", "MIT", true);
	expr("GPL-2.0+", "GPL-2.0+", true);
	expr("MIT+", "MIT+", false);
	expr("  Apache-2.0   OR (OpenSSL and MIT) ", "Apache-2.0 OR (OpenSSL AND MIT)", false);
	expr("GPL-2.0-only with classpath-exception-2.0",
	     "GPL-2.0-only WITH Classpath-exception-2.0", false);
	expr("LicenseRef-foo.1", "LicenseRef-foo.1", false);
	expr("DocumentRef-x:LicenseRef-y OR MIT", "DocumentRef-x:LicenseRef-y OR MIT", false);
	expr("((MIT))", "((MIT))", false);
	expr("GPL-2+", NULL, false);
	expr("BSD", NULL, false);
	expr("MIT AND", NULL, false);
	expr("(MIT", NULL, false);
	expr("MIT)", NULL, false);
	expr("MIT WITH MIT-foo", NULL, false);
	expr("(MIT) WITH Classpath-exception-2.0", NULL, false);
	expr("LicenseRef-", NULL, false);
	expr("LicenseRef-a_b", NULL, false);
	expr("", NULL, false);
	expr("Permission is hereby granted, free of charge", NULL, false);
	expr(NULL, NULL, false);
	struct strbuf deep = STRBUF_INIT;
	for (int i = 0; i < 200; i++)
		strbuf_addc(&deep, '(');
	strbuf_adds(&deep, "MIT");
	for (int i = 0; i < 200; i++)
		strbuf_addc(&deep, ')');
	expr(deep.buf, NULL, false);
	strbuf_release(&deep);
}

/* The embedded id list is the schema's enum, sorted for bsearch. */
static void t_license_ids_match_schema(void **state)
{
	(void)state;
	const char *root = getenv("QUENCH_SOURCE_ROOT");
	if (!root)
		skip();
	char *path = xasprintf("%s/tests/data/schemas/spdx.schema.json", root);
	char *data;
	size_t len;
	struct qerr err = QERR_INIT;
	assert_int_equal(read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, &err), 0);
	json_t *schema = json_parse_bounded(data, len, 1 << 20, path, &err);
	assert_non_null(schema);
	json_t *e = json_get_arr(schema, "enum");
	assert_int_equal(json_array_size(e), spdx_license_ids_n);
	size_t i;
	json_t *v;
	/* as many, strictly sorted, and each of the schema's found as it is
	 * spelled: the same set */
	for (i = 1; i < spdx_license_ids_n; i++)
		assert_true(strcmp(spdx_license_ids[i - 1], spdx_license_ids[i]) < 0);
	json_array_foreach(e, i, v) {
		const char *id = spdx_license_id(json_string_value(v));
		assert_non_null(id);
		assert_string_equal(id, json_string_value(v));
	}
	json_decref(schema);
	free(data);
	free(path);
}

static void t_time(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z" },
		{ "2024-02-29T23:59:59.999-00:30", "2024-03-01T00:29:59Z" },
		{ "2023-12-31t23:00:00+01:00", "2023-12-31T22:00:00Z" },
		{ "0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z" },   /* Go's zero time */
		{ "1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z" },
		{ "2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t t;
		char buf[SBOM_TIME_MAX];
		assert_int_equal(sbom_parse_time(cases[i].in, &t), 0);
		sbom_format_time(t, buf);
		assert_string_equal(buf, cases[i].out);
	}
	const char *bad[] = { "", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-01",
			      "2024-01-01T00:00:00", "2024-01-01T24:00:00Z", "2024-1-01T00:00:00Z",
			      "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00Zjunk",
			      "2024-01-01T00:00:00+0100" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int64_t t;
		if (sbom_parse_time(bad[i], &t) == 0)
			fail_msg("'%s' parsed", bad[i]);
	}
	char buf[SBOM_TIME_MAX];
	sbom_format_time(INT64_C(-100000000000), buf);   /* before year 0 */
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
}

static void t_image_names(void **state)
{
	(void)state;
	static const struct {
		const char *name, *short_name;
	} cases[] = {
		{ "docker://docker.io/library/python:3.12-slim", "python" },
		{ "docker://localhost:5000/a/b@sha256:00", "b" },
		{ "oci:out:latest", "out" },
		{ "oci:/srv/images/My_Image/", "my_image" },
		{ "docker-archive:/tmp/x.tar:repo:tag", "x.tar" },
		{ "rootfs:/", "image" },
		{ NULL, "image" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sbom_subject s = { .name = cases[i].name };
		char *n = sbom_image_short_name(&s);
		assert_string_equal(n, cases[i].short_name);
		free(n);
	}
	struct sbom_subject s = { .name = "docker://localhost:5000/a/b:1@sha256:00",
				  .manifest_digest = DIGEST("0") };
	char *purl = sbom_image_purl(&s);
	assert_true(str_starts_with(purl, "pkg:oci/b@sha256%3A0000"));
	assert_true(str_ends_with(purl, "?repository_url=localhost%3A5000%2Fa%2Fb"));
	free(purl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_cyclonedx),
		cmocka_unit_test(t_cyclonedx_files),
		cmocka_unit_test(t_spdx),
		cmocka_unit_test(t_native),
		cmocka_unit_test(t_deterministic),
		cmocka_unit_test(t_edges),
		cmocka_unit_test(t_license),
		cmocka_unit_test(t_license_ids_match_schema),
		cmocka_unit_test(t_time),
		cmocka_unit_test(t_image_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
