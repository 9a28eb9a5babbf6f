/* report — a scan's findings written for other tools: SARIF 2.1.0 (what
 * code-scanning dashboards such as GitHub's read) and CycloneDX 1.6 with a
 * vulnerabilities section (the image's BOM, as `quench sbom` writes it, plus
 * what affects which component); and the hardening report read back for
 * people (a table, one HTML page; below).
 *
 *   struct report_subject s = { .image = { …as for sbom_build… },
 *                               .tool_version = QUENCH_VERSION };
 *   json_t *doc = report_sarif(cat, &report, &s);       a new reference
 *   json_t *bom = report_cyclonedx(cat, &report, &s);
 *
 * Same catalog, findings and subject → byte-identical documents once dumped
 * with json_dump_sorted: findings are ordered here (by id, then package),
 * whatever order the report holds them in; nothing reads the clock.
 */
#ifndef QUENCH_REPORT_H
#define QUENCH_REPORT_H

#include "catalog/catalog.h"
#include "sbom/sbom.h"
#include "vuln/vuln.h"

#include <jansson.h>
#include <stdio.h>

/* What was scanned, and by what. */
struct report_subject {
	struct sbom_subject image;
	const char *tool_version;      /* "0.1.0" */
};

/* SARIF 2.1.0: one run; one rule per vulnerability id (summary, advisory
 * link, security-severity), one result per finding, located at the
 * metadata file the package was read from and named by its purl. */
json_t *report_sarif(const struct catalog *c, const struct vuln_report *r,
		     const struct report_subject *s);

/* CycloneDX 1.6: sbom_build(SBOM_CYCLONEDX, …)'s document plus one
 * vulnerability per id, whose affects[].ref are the packages' bom-refs. */
json_t *report_cyclonedx(const struct catalog *c, const struct vuln_report *r,
			 const struct report_subject *s);

/* OpenVEX 0.2.0: a statement per finding about the image (pkg:oci) and the
 * finding's package as subcomponent: affected when reachable, not_affected
 * (vulnerable_code_not_in_execute_path) when present, under_investigation
 * without a profile; a VEX given to the scan keeps its word. timestamp is
 * RFC 3339. */
json_t *report_openvex(const struct catalog *c, const struct vuln_report *r,
		       const struct report_subject *s, const char *timestamp);

/* Classify every finding by a runtime profile (an RBOM, docs/rbom.md):
 * f->reach "reachable" (a file of its package executed, loaded or read;
 * f->reach_evidence says which) or "present". An RBOM of another image
 * than manifest_digest (when given) is an error. */
int report_reachability(json_t *rbom, const struct catalog *c, const char *manifest_digest,
			struct vuln_report *r, struct qerr *err);

/* Findings whose package is not in the hardened image's catalog (by purl)
 * become "removed" (after report_reachability). */
void report_mark_removed(struct vuln_report *r, const struct catalog *c,
			 const struct catalog *hardened);

/* Where to read about an advisory id: NVD for CVE-…, Debian's security
 * tracker for DSA-/DLA-…, osv.dev for the rest (GHSA-, PYSEC-, GO-, …).
 * Caller frees. */
char *report_advisory_url(const char *id);

/* ---- the hardening report (quench-harden/1, docs/harden.md) ---------------------------------
 *
 *   json_t *doc = json_parse_bounded(…);        untrusted: any JSON at all
 *   if (report_harden_check(doc, "report.json", &err) < 0) …  not ours: refuse
 *   report_harden_table(stdout, doc, REPORT_TABLE_FULL);
 *   char *html = report_harden_html(doc);       caller frees
 *
 * The renderers take any JSON (checked or not): a missing section or field
 * is shown as missing, fields they do not know are left alone or, for the
 * counts of source and hardened, shown as extra rows.
 */
#define REPORT_HARDEN_SCHEMA "quench-harden/1"

/* 0 when doc is an object of schema quench-harden/1 whose known fields,
 * where present and not null, have their types (counts non-negative
 * integers, names strings, findings.left objects); else -1 with an error
 * naming the field ("report.json: source.bytes: not a count"). */
int report_harden_check(json_t *doc, const char *what, struct qerr *err);

/* The summary a person reads on a terminal, source against hardened: size,
 * files, packages, setuid files, shells, package managers, user, syscalls,
 * findings, validation. Strings from the document are printed with control
 * characters as '?'. REPORT_TABLE_FULL adds why root was kept, what was
 * dropped and the findings left, one a line. */
enum { REPORT_TABLE_FULL = 1 };
void report_harden_table(FILE *f, json_t *doc, unsigned flags);

/* One self-contained HTML page (inline CSS and SVG, no script, nothing
 * fetched): the same summary with charts, findings by class and severity,
 * and the findings left with their evidence. Every string from doc is
 * escaped. Same document, same bytes. Caller frees. */
char *report_harden_html(json_t *doc);

#endif
