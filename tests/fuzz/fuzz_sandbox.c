/* Fuzz the sandbox's parsers of untrusted text: ld.so.cache files (a host's,
 * but read as bytes), an image's /etc/passwd and /etc/group with a user
 * spec from its config, and --mount specs. Entries handed out must be
 * NUL-terminated strings inside the input; a found user's home is a string. */
#include "trace/trace.h"

static const uint8_t *fuzz_base;
static size_t fuzz_len;

static void on_entry(void *ctx, const char *name, const char *path)
{
	(void)ctx;
	const char *end = (const char *)fuzz_base + fuzz_len;
	if (name < (const char *)fuzz_base || name >= end || path < (const char *)fuzz_base ||
	    path >= end || strlen(name) >= (size_t)(end - name) ||
	    strlen(path) >= (size_t)(end - path))
		abort();
	(void)gpu_driver_lib(name);
}

/* First line: the user spec; the rest up to a form feed: passwd; after
 * it: group. */
static void fuzz_user(char *s)
{
	char *nl = strchr(s, '\n');
	if (!nl)
		return;
	char *spec = xstrndup(s, (size_t)(nl - s));
	char *passwd = nl + 1;
	char *ff = strchr(passwd, '\f');
	const char *group = "";
	if (ff) {
		*ff = '\0';
		group = ff + 1;
	}
	uid_t u;
	gid_t g;
	char *home = NULL;
	struct qerr err = QERR_INIT;
	if (sandbox_user_lookup(spec, passwd, group, &u, &g, &home, &err) == 0 &&
	    (u == (uid_t)-1 || g == (gid_t)-1))
		abort();
	free(home);
	free(spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qerr err = QERR_INIT;
	fuzz_base = data;
	fuzz_len = size;
	ldcache_parse(data, size, on_entry, NULL, &err);
	if (size > 1 << 20)
		return 0;
	char *s = xstrndup((const char *)data, size);
	struct sandbox_mount m;
	if (sandbox_mount_parse(s, &m, &err) == 0) {
		if (m.dst[0] != '/' || strstr(m.dst, "/../") || str_ends_with(m.dst, "/.."))
			abort();
		sandbox_mount_release(&m);
	}
	fuzz_user(s);
	free(s);
	return 0;
}
