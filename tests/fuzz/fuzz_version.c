/* Fuzz the version comparators: any bytes are three versions (split at
 * newlines); in every scheme the order must be a total order on them
 * (reflexive, antisymmetric, transitive), and npm range matching must not
 * crash. Any violation aborts. */
#include "vuln/vuln.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_scheme(enum version_scheme s, char *const v[3])
{
	for (int i = 0; i < 3; i++) {
		if (version_cmp(s, v[i], v[i]) != 0) {
			fprintf(stderr, "scheme %d: '%s' != itself\n", (int)s, v[i]);
			abort();
		}
		for (int j = 0; j < 3; j++) {
			int ij = version_cmp(s, v[i], v[j]), ji = version_cmp(s, v[j], v[i]);
			if (ij != -ji) {
				fprintf(stderr, "scheme %d: not antisymmetric on '%s', '%s'\n", (int)s,
					v[i], v[j]);
				abort();
			}
		}
	}
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			for (int k = 0; k < 3; k++)
				if (version_cmp(s, v[i], v[j]) <= 0 && version_cmp(s, v[j], v[k]) <= 0 &&
				    version_cmp(s, v[i], v[k]) > 0) {
					fprintf(stderr, "scheme %d: not transitive\n", (int)s);
					abort();
				}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *v[3] = { buf, "", "" };
	char *nl = memchr(buf, '\n', size);
	if (nl) {
		*nl = '\0';
		v[1] = nl + 1;
		char *nl2 = strchr(v[1], '\n');
		if (nl2) {
			*nl2 = '\0';
			v[2] = nl2 + 1;
		}
	}
	static const enum version_scheme schemes[] = { VS_DPKG, VS_RPM, VS_APK, VS_PEP440,
						       VS_SEMVER };
	for (size_t s = 0; s < sizeof(schemes) / sizeof(schemes[0]); s++)
		check_scheme(schemes[s], v);
	int r = semver_satisfies(v[0], v[1]);
	if (r < -1 || r > 1)
		abort();
	free(buf);
	return 0;
}
