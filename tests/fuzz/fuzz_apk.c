/* Fuzz the apk installed-database parser: the input is lib/apk/db/installed,
 * whole and as a file the scanner cut short. Every package it adds must have
 * a name and a version; ASan and UBSan catch the rest. */
#include "catalog/catalog_internal.h"

static void run(const uint8_t *data, size_t size, bool truncated)
{
	char *copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = 0;
	struct cat_blob b = { .path = "lib/apk/db/installed", .data = copy, .len = size,
			      .truncated = truncated };
	struct cat_input in = { &b, 1 };
	struct catalog *c = xcalloc(1, sizeof(*c));
	apk_collect(c, &in);
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (!*c->pkgs[i].name || !*c->pkgs[i].version)
			abort();
	catalog_free(c);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, false);
	run(data, size, true);
	return 0;
}
