/* Fuzz the sandbox's parsers of untrusted text: an image's /etc/passwd and
 * /etc/group with a user spec from its config, and --mount specs; a found
 * user's home is a string. (ld.so.cache: fuzz_ldcache.) */
#include "trace/trace.h"

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
