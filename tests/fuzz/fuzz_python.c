/* Fuzz the Python parsers: the input as a wheel's METADATA and RECORD
 * (next to each other in one .dist-info), as an egg-info directory's
 * PKG-INFO, installed-files.txt and requires.txt, and as a distutils
 * .egg-info file. Whatever comes out must be sane: every package named and
 * versioned, every file path clean and relative. */
#include "catalog/catalog_internal.h"

static void check(const struct catalog *c)
{
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		if (!p->name || !*p->name || !p->version || !*p->version)
			abort();
		for (size_t k = 0; k < p->files.n; k++) {
			const char *f = p->files.v[k];
			if (!*f || f[0] == '/' || strstr(f, "//") || !strcmp(f, "..") ||
			    str_starts_with(f, "../") || strstr(f, "/../") || str_ends_with(f, "/.."))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* sorted by path, as the scanner hands them over */
	static const char *const paths[] = {
		"usr/lib/python3/dist-packages/f-1.egg-info",
		"usr/lib/python3/dist-packages/f.egg-info/PKG-INFO",
		"usr/lib/python3/dist-packages/f.egg-info/installed-files.txt",
		"usr/lib/python3/dist-packages/f.egg-info/requires.txt",
		"usr/local/lib/python3.11/site-packages/f-1.dist-info/METADATA",
		"usr/local/lib/python3.11/site-packages/f-1.dist-info/RECORD",
	};
	struct cat_blob blobs[ARRAY_SIZE(paths)];
	/* Half the inputs pretend to be cut off at the scanner's limit. */
	bool truncated = size && (data[size - 1] & 1);
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		char *copy = xmalloc(size + 1);
		memcpy(copy, data, size);
		copy[size] = '\0';
		blobs[i] = (struct cat_blob){ .path = (char *)paths[i], .data = copy, .len = size,
					      .truncated = truncated };
		if (!python_wants(paths[i]))
			abort();
	}
	struct catalog *c = xcalloc(1, sizeof(*c));
	struct cat_input in = { blobs, ARRAY_SIZE(blobs) };
	python_collect(c, &in);
	check(c);
	catalog_free(c);
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		free(blobs[i].data);
	return 0;
}
