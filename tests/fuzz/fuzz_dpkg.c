/* Fuzz the dpkg cataloger: the input is var/lib/dpkg/status (whole and
 * cut short by the scanner), a status.d file with its .md5sums, a
 * package's .list and its DEP-5 copyright file. Every package must have a
 * name and a version, and every path it lists must be clean already (the
 * fast path and cat_clean_path agree); ASan and UBSan catch the rest. */
#include "catalog/catalog_internal.h"

static void check(const struct catalog *c)
{
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		if (!*p->name || !*p->version)
			abort();
		for (size_t k = 0; k < p->files.n; k++) {
			char *again = cat_clean_path(p->files.v[k]);
			if (!again || strcmp(again, p->files.v[k])) {
				fprintf(stderr, "path '%s' is not clean\n", p->files.v[k]);
				abort();
			}
			free(again);
		}
	}
}

static void run(struct cat_blob *blobs, size_t n)
{
	struct cat_input in = { blobs, n };
	struct catalog *c = xcalloc(1, sizeof(*c));
	dpkg_collect(c, &in);
	check(c);
	catalog_free(c);
}

#define STATUS "Package: x\nStatus: install ok installed\nVersion: 1\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xmalloc(size + 1);
	memcpy(in, data, size);
	in[size] = 0;
	char status[] = STATUS;
	for (int truncated = 0; truncated < 2; truncated++) {
		struct cat_blob as_status = { .path = "var/lib/dpkg/status", .data = in,
					      .len = size, .truncated = truncated };
		run(&as_status, 1);
		/* Sorted by path, as the scanner gives them. */
		struct cat_blob around[] = {
			{ .path = "usr/share/doc/x/copyright", .data = in, .len = size,
			  .truncated = truncated },
			{ .path = "var/lib/dpkg/info/x.list", .data = in, .len = size,
			  .truncated = truncated },
			{ .path = "var/lib/dpkg/status", .data = status, .len = sizeof(status) - 1 },
		};
		run(around, ARRAY_SIZE(around));
		struct cat_blob distroless[] = {
			{ .path = "var/lib/dpkg/status.d/x", .data = in, .len = size,
			  .truncated = truncated },
			{ .path = "var/lib/dpkg/status.d/x.md5sums", .data = in, .len = size,
			  .truncated = truncated },
		};
		run(distroless, ARRAY_SIZE(distroless));
	}
	free(in);
	return 0;
}
