/* report — private: what the SARIF and CycloneDX writers share. */
#ifndef QUENCH_REPORT_INTERNAL_H
#define QUENCH_REPORT_INTERNAL_H

#include "report/report.h"

/* The findings in report order: by id, then package name, version,
 * location and purl; suppressed findings with the others (*n in all).
 * The array is the caller's (free); the findings stay r's. */
const struct vuln_finding **report_sorted(const struct catalog *c, const struct vuln_report *r,
					  size_t *n);
/* Did a VEX statement suppress it (not_affected, fixed)? Such findings are
 * reported as such: SARIF suppressions, CycloneDX analysis. */
bool report_suppressed(const struct vuln_finding *f);
/* "VEX: not_affected (vulnerable_code_not_present): why" */
char *report_vex_text(const struct vuln_finding *f);

/* The finding's package (NULL when its index is out of the catalog, which
 * a matcher never does; callers skip such a finding). */
const struct cat_pkg *report_pkg(const struct catalog *c, const struct vuln_finding *f);

/* "critical", "high", "medium", "low", "none", or "unknown" when nothing
 * rated it. */
const char *report_severity(const struct vuln_finding *f);

/* Who publishes an id: "NVD", "Debian", "OSV". */
const char *report_source_name(const char *id);

/* s with every byte but the URI unreserved ones and those in keep
 * percent-encoded ("usr/lib/a b" with keep "/" → "usr/lib/a%20b"): what
 * makes a package's path or an id a URI reference. Caller frees. */
char *report_escape(const char *s, const char *keep);

/* A sentence on what to do or why nothing can be done, by status and
 * fixed version: "Upgrade libc6 to 2.36-9+deb12u7." Caller frees. */
char *report_status_text(const struct cat_pkg *p, const struct vuln_finding *f);

/* A JSON string of s whatever bytes it holds ('?' for what is not UTF-8:
 * package databases and advisories are untrusted). */
json_t *report_str(const char *s);
/* s, or "" for NULL. */
static inline const char *report_or_empty(const char *s)
{
	return s ? s : "";
}

/* ---- the hardening report (summary.c), for the table and the page ---- */

/* The rows of the summary, source against hardened, NULL-terminated. */
enum hr_kind { HR_BYTES, HR_COUNT, HR_STR };
struct hr_row {
	const char *label, *key;
	enum hr_kind kind;   /* HR_COUNT: an integer, or the length of a list */
};
extern const struct hr_row hr_rows[];
/* Is the row in this report (executables only where a report has them)? */
bool hr_row_present(const struct hr_row *r, json_t *src, json_t *hard);
/* The keys of the rows after the known ones: counts of the source or the
 * hardened image added to the report later than this code, once each, in
 * the report's order. */
void hr_extra_keys(json_t *src, json_t *hard, struct strvec *keys);
/* obj[key] as a count: an integer ≥ 0, or a list's length; -1 when absent
 * or anything else. */
long long hr_count(json_t *obj, const char *key);
/* A count as text, or absent for -1 (hr_count's "not there"). */
const char *hr_count_text(long long n, const char *absent, char *buf, size_t len);

/* Severities, most severe first; the last, "unknown", takes every other
 * word too. */
enum { HR_N_SEVERITIES = 6 };
extern const char *const hr_severities[HR_N_SEVERITIES];
int hr_severity_rank(json_t *finding);
/* 0 reachable, 1 present, 2 anything else. */
int hr_class_rank(json_t *finding);
/* The objects of findings.left, reachable first, then by severity, id,
 * package, evidence (*n of them). The array is the caller's (free); the
 * findings stay doc's. */
json_t **hr_findings_left(json_t *doc, size_t *n);

#endif
