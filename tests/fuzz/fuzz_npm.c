/* Fuzz the npm parsers: the input as an installed package's package.json
 * and as a package-lock.json. Whatever comes out must be sane: every
 * package named and versioned, installed ones owning their directory. */
#include "catalog/catalog_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* sorted by path, as the scanner hands them over */
	static const char *const paths[] = {
		"app/node_modules/@s/x/package.json",
		"app/package-lock.json",
	};
	struct cat_blob blobs[ARRAY_SIZE(paths)];
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		char *copy = xmalloc(size + 1);
		memcpy(copy, data, size);
		copy[size] = '\0';
		blobs[i] = (struct cat_blob){ .path = (char *)paths[i], .data = copy, .len = size };
		if (!npm_wants(paths[i]))
			abort();
	}
	struct catalog *c = xcalloc(1, sizeof(*c));
	struct cat_input in = { blobs, ARRAY_SIZE(blobs) };
	npm_collect(c, &in);
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		if (!p->name || !*p->name || !p->version || !*p->version)
			abort();
		if (p->files.n && strcmp(p->files.v[0], "app/node_modules/@s/x/"))
			abort();
	}
	catalog_free(c);
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		free(blobs[i].data);
	return 0;
}
