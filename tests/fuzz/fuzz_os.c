/* Fuzz the os cataloger: the input as etc/os-release and as each older
 * release file. Every string it keeps must be valid UTF-8 without control
 * characters (it goes into JSON as is); ASan and UBSan catch the rest. */
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

static void run(const char *path, char *data, size_t size)
{
	struct cat_blob b = { .path = (char *)path, .data = data, .len = size };
	struct cat_input in = { &b, 1 };
	struct catalog *c = xcalloc(1, sizeof(*c));
	os_collect(c, &in);
	check_str(c->os.id);
	check_str(c->os.version_id);
	check_str(c->os.codename);
	check_str(c->os.pretty_name);
	check_str(c->os.id_like);
	catalog_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {
		"etc/os-release", "usr/lib/os-release", "etc/debian_version",
		"etc/alpine-release", "etc/redhat-release", "etc/lsb-release",
	};
	char *in = xmalloc(size + 1);
	memcpy(in, data, size);
	in[size] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		run(paths[i], in, size);
	free(in);
	return 0;
}
