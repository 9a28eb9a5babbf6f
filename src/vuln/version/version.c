/* Version order: dispatch by scheme, and a total order for anything. */
#include "version_internal.h"

#include <string.h>

bool version_valid(enum version_scheme s, const char *v)
{
	if (!v)
		return false;
	switch (s) {
	case VS_DPKG: return dpkg_version_valid(v);
	case VS_RPM: return rpm_version_valid(v);
	case VS_APK: return apk_version_valid(v);
	case VS_PEP440: return pep440_version_valid(v);
	case VS_SEMVER: return semver_version_valid(v);
	}
	return false;
}

static int cmp_valid(enum version_scheme s, const char *a, const char *b)
{
	switch (s) {
	case VS_DPKG: return dpkg_version_cmp(a, b);
	case VS_RPM: return rpm_version_cmp(a, b);
	case VS_APK: return apk_version_cmp(a, b);
	case VS_PEP440: return pep440_version_cmp(a, b);
	case VS_SEMVER: return semver_version_cmp(a, b);
	}
	return 0;
}

int version_cmp(enum version_scheme s, const char *a, const char *b)
{
	bool va = version_valid(s, a), vb = version_valid(s, b);
	if (va && vb) {
		int c = cmp_valid(s, a, b);
		return c < 0 ? -1 : c > 0;
	}
	if (va != vb)
		return va ? 1 : -1;
	int c = strcmp(a ? a : "", b ? b : "");
	return c < 0 ? -1 : c > 0;
}
