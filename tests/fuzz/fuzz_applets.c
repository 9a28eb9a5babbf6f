/* Fuzz the applet names read from a toolset's `--list` output (harden's
 * debug variant): whatever the bytes, every name kept must be a plain file
 * name fit for /busybox (no "/", no leading ".", not "busybox", 1 to 64
 * bytes of [A-Za-z0-9_.+[]-]), the list sorted and without duplicates, and
 * at most 4096 of them. Anything else aborts. */
#include "harden/harden.h"

#include <stdlib.h>
#include <string.h>

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || s[0] == '.' || !strcmp(s, "busybox"))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+[]-") == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strvec v = STRVEC_INIT;
	int rc = harden_debug_parse_applets((const char *)data, size, &v);
	if (rc == 0 && v.n > 4096)
		abort();
	for (size_t i = 0; rc == 0 && i < v.n; i++) {
		if (!name_ok(v.v[i])) {
			fprintf(stderr, "kept '%s'\n", v.v[i]);
			abort();
		}
		if (i && strcmp(v.v[i - 1], v.v[i]) >= 0) {
			fprintf(stderr, "'%s' then '%s'\n", v.v[i - 1], v.v[i]);
			abort();
		}
	}
	strvec_clear(&v);
	return 0;
}
