/* Fuzz the Go build info parser: the input is the module info text of one
 * binary in a one-file catalog. Every package must be a Go package with a
 * name, located at the binary and owning it; the main module's depends
 * must each name a package. Any mismatch aborts. */
#include "catalog/catalog_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog *c = xcalloc(1, sizeof(*c));
	c->files = xcalloc(1, sizeof(*c->files));
	c->n_files = 1;
	c->files[0].path = xstrdup("usr/bin/app");
	c->files[0].layer = 1;
	c->files[0].owner = -1;
	struct elf_info *e = xcalloc(1, sizeof(*e));
	/* As the scanner would hand it over: cleaned text. */
	e->go_modinfo = cat_strndup((const char *)data, size);
	/* The version: the input's first line when short, as a second input. */
	size_t vl = 0;
	while (vl < size && vl < 40 && data[vl] != '\n')
		vl++;
	e->go_version = cat_strndup((const char *)data, vl);
	c->files[0].elf = e;
	go_collect(c);
	bool std = false;
	size_t owners = 0;
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		owners += p->files.n;
		if (p->type != PKG_GO || !p->name || !*p->name ||
		    strcmp(p->location, "usr/bin/app") || p->layer != 1 || p->files.n > 1 ||
		    (p->files.n && strcmp(p->files.v[0], "usr/bin/app")) ||
		    (p->version && !*p->version)) {
			fprintf(stderr, "bad package %zu: '%s'\n", i, p->name ? p->name : "(null)");
			abort();
		}
		std |= !strcmp(p->name, "stdlib");
		for (size_t k = 0; k < p->depends.n; k++) {
			bool found = false;
			for (size_t j = 0; j < c->n_pkgs && !found; j++)
				found = !strcmp(c->pkgs[j].name, p->depends.v[k]);
			if (!found) {
				fprintf(stderr, "depends on '%s', not a package\n", p->depends.v[k]);
				abort();
			}
		}
	}
	if (!std || owners != 1) {
		fprintf(stderr, "no stdlib package, or %zu owners of the binary\n", owners);
		abort();
	}
	catalog_free(c);
	return 0;
}
