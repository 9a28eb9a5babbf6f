/* Fuzz the SBOM reader (CycloneDX and SPDX JSON into a catalog). Every
 * string it keeps must be valid UTF-8 without control characters (it goes
 * into JSON and onto terminals), files sorted with owners in range, and the
 * catalog must be one the writers and catalog_owner() take as they take an
 * image's. ASan and UBSan catch the rest. */
#include "sbom/sbom_internal.h"
#include "catalog/catalog_internal.h"

static void check_str(const char *s)
{
	if (!s)
		return;
	char *again = cat_strndup(s, strlen(s));
	if (strcmp(again, s)) {
		fprintf(stderr, "unsafe string '%s'\n", s);
		abort();
	}
	free(again);
}

static void check(const struct catalog *c)
{
	check_str(c->os.id);
	check_str(c->os.version_id);
	check_str(c->os.codename);
	check_str(c->os.pretty_name);
	check_str(c->os.id_like);
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		const char *s[] = { p->name, p->version, p->arch, p->src_name, p->src_version,
				    p->license, p->supplier, p->homepage, p->location, p->purl };
		for (size_t k = 0; k < ARRAY_SIZE(s); k++)
			check_str(s[k]);
		if (!p->name || (unsigned)p->type >= PKG_TYPE_COUNT)
			abort();
		if (p->location)
			catalog_owner(c, p->location);
	}
	for (size_t i = 0; i < c->n_files; i++) {
		const struct cat_file *f = &c->files[i];
		if (f->owner < 0 || (size_t)f->owner >= c->n_pkgs)
			abort();
		if (i && strcmp(c->files[i - 1].path, f->path) >= 0)
			abort();
	}
	for (size_t i = 0; i < c->warnings.n; i++)
		check_str(c->warnings.v[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qerr err = QERR_INIT;
	struct catalog *c = sbom_read((const char *)data, size, "fuzz.json", &err);
	if (!c)
		return 0;
	check(c);
	/* What was read can be written again. */
	static const struct sbom_subject s = { .name = "fuzz" };
	static const struct sbom_opts o = { .tool_version = "0" };
	static const enum sbom_format formats[] = { SBOM_CYCLONEDX, SBOM_SPDX, SBOM_NATIVE };
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		json_t *doc = sbom_build(formats[i], c, &s, &o);
		if (!doc)
			abort();
		json_decref(doc);
	}
	catalog_free(c);
	return 0;
}
