/* vuln/version — private: one comparator per scheme, dispatched by
 * version.c. Each compares two versions valid in its scheme (see
 * version_valid); version.c puts invalid ones first. */
#ifndef QUENCH_VULN_VERSION_INTERNAL_H
#define QUENCH_VULN_VERSION_INTERNAL_H

#include "vuln/vuln.h"

int dpkg_version_cmp(const char *a, const char *b);
int rpm_version_cmp(const char *a, const char *b);
int apk_version_cmp(const char *a, const char *b);
int pep440_version_cmp(const char *a, const char *b);
int semver_version_cmp(const char *a, const char *b);

bool dpkg_version_valid(const char *v);
bool rpm_version_valid(const char *v);
bool apk_version_valid(const char *v);
bool pep440_version_valid(const char *v);
bool semver_version_valid(const char *v);

#endif
