/* SARIF 2.1.0 (OASIS): one run of the tool "quench"; a rule per
 * vulnerability id and a result per (id, package).
 *
 * Code-scanning dashboards read more than the schema requires: GitHub ranks
 * a rule by properties["security-severity"] (a number as a string, CVSS
 * bands), lists it under its tags, and tracks a result across runs by its
 * partialFingerprints; every result needs a physical location, which for a
 * package is the metadata file it was read from (var/lib/dpkg/status, a
 * dist-info METADATA), named relative to the image's root.
 */
#include "report/report_internal.h"

#include <string.h>

/* the OASIS standard's own schema id (errata 01) */
#define SARIF_SCHEMA \
	"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

/* critical and high fail a check, medium warns, the rest is noted. */
static const char *level_of(const struct vuln_finding *f)
{
	if (!f->severity_source)
		return "note";
	switch (f->severity) {
	case CVSS_CRITICAL:
	case CVSS_HIGH:
		return "error";
	case CVSS_MEDIUM:
		return "warning";
	case CVSS_LOW:
	case CVSS_NONE:
		return "note";
	}
	return "note";
}

/* The CVSS score when one decided the severity; else the lowest score of
 * the rated band (a distro's "high" → 7.0), which ranks the same; nothing
 * for unrated findings. */
static json_t *security_severity(const struct vuln_finding *f)
{
	static const double band_floor[] = {
		[CVSS_NONE] = 0.0, [CVSS_LOW] = 0.1, [CVSS_MEDIUM] = 4.0,
		[CVSS_HIGH] = 7.0, [CVSS_CRITICAL] = 9.0,
	};
	if (!f->severity_source)
		return NULL;
	bool cvss = f->cvss_vector && str_starts_with(f->severity_source, "CVSS");
	double score = cvss ? f->score : band_floor[f->severity];
	return json_sprintf("%.1f", score);
}

static json_t *text(const char *s)
{
	return json_pack("{s:o}", "text", report_str(s));
}

static json_t *rule(const struct vuln_finding *f)
{
	char *url = report_advisory_url(f->id);
	const char *summary = f->summary && *f->summary ? f->summary : f->id;
	struct strbuf help = STRBUF_INIT;
	strbuf_addf(&help, "%s\n\nSeverity: %s", summary, report_severity(f));
	if (f->severity_source)
		strbuf_addf(&help, " (%s)", f->severity_source);
	strbuf_addf(&help, ".\nAdvisory: %s", url);
	const char *sep = "\nAlso reported as:";
	for (size_t i = 0; i < f->advisories.n; i++) {
		if (strcmp(f->advisories.v[i], f->id)) {
			strbuf_addf(&help, "%s %s", sep, f->advisories.v[i]);
			sep = ",";
		}
	}

	json_t *tags = json_pack("[s,s,s]", "security", "vulnerability", report_severity(f));
	json_t *props = json_pack("{s:o}", "tags", tags);
	json_t *sev = security_severity(f);
	if (sev)
		json_object_set_new(props, "security-severity", sev);
	json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:o, s:{s:s}, s:o}",
			      "id", report_str(f->id), "name", report_str(f->id),
			      "shortDescription", text(summary), "fullDescription", text(summary),
			      "help", text(strbuf_str(&help)),
			      "defaultConfiguration", "level", level_of(f), "properties", props);
	json_object_set_new(j, "helpUri", json_string(url));
	strbuf_release(&help);
	free(url);
	return j;
}

/* "urllib3 1.26.4 is affected by CVE-2021-33503. Upgrade urllib3 to 1.26.5." */
static char *message(const struct cat_pkg *p, const struct vuln_finding *f)
{
	char *what = report_status_text(p, f);
	char *m = xasprintf("%s %s is affected by %s (%s severity, status %s). %s",
			    report_or_empty(p->name), p->version ? p->version : "(no version)",
			    f->id, report_severity(f), report_or_empty(f->status), what);
	free(what);
	return m;
}

static json_t *location(const struct cat_pkg *p)
{
	json_t *logical = json_pack("{s:o, s:s}", "name", report_str(p->name), "kind", "package");
	if (p->purl)
		json_object_set_new(logical, "fullyQualifiedName", report_str(p->purl));
	json_t *loc = json_pack("{s:[o]}", "logicalLocations", logical);
	if (p->location) {
		char *uri = report_escape(p->location, "/");
		json_object_set_new(loc, "physicalLocation",
				    json_pack("{s:{s:s}}", "artifactLocation", "uri", uri));
		free(uri);
	}
	return loc;
}

/* Stable across runs and images: the same advisory on the same package at
 * the same place is the same result. */
static json_t *fingerprint(const struct cat_pkg *p, const struct vuln_finding *f)
{
	char *key = xasprintf("%s\n%s\n%s\n%s", f->id, report_or_empty(p->purl),
			      report_or_empty(p->name), report_or_empty(p->location));
	char digest[DIGEST_STR_MAX];
	sha256_buf(key, strlen(key), digest);
	free(key);
	return json_pack("{s:s}", "quench/v1", digest + strlen("sha256:"));
}

static json_t *result(const struct cat_pkg *p, const struct vuln_finding *f, size_t rule_index)
{
	char *msg = message(p, f);
	json_t *props = json_pack("{s:s, s:s, s:o, s:o}", "severity", report_severity(f),
				  "status", report_or_empty(f->status),
				  "installedVersion", report_str(p->version),
				  "package", report_str(p->name));
	if (f->fixed)
		json_object_set_new(props, "fixedVersion", report_str(f->fixed));
	if (p->purl)
		json_object_set_new(props, "purl", report_str(p->purl));
	if (f->severity_source)
		json_object_set_new(props, "severitySource", report_str(f->severity_source));
	if (f->os_owned)
		json_object_set_new(props, "osOwned", json_true());
	json_t *j = json_pack("{s:o, s:I, s:s, s:o, s:[o], s:o, s:o}", "ruleId", report_str(f->id),
			      "ruleIndex", (json_int_t)rule_index, "level", level_of(f),
			      "message", text(msg), "locations", location(p),
			      "partialFingerprints", fingerprint(p, f), "properties", props);
	free(msg);
	if (f->vex_status)
		json_object_set_new(props, "vexStatus", report_str(f->vex_status));
	if (f->reach)
		json_object_set_new(props, "reachability", report_str(f->reach));
	if (f->reach_evidence)
		json_object_set_new(props, "reachabilityEvidence", report_str(f->reach_evidence));
	/* Suppressed results stay in the log, marked, as SARIF viewers expect. */
	if (report_suppressed(f)) {
		char *why = report_vex_text(f);
		json_object_set_new(j, "suppressions",
				    json_pack("[{s:s, s:s, s:o}]", "kind", "external", "status",
					      "accepted", "justification", report_str(why)));
		free(why);
	}
	return j;
}

static json_t *run_properties(const struct report_subject *s)
{
	json_t *props = json_object();
	if (s->image.name)
		json_object_set_new(props, "imageName", report_str(s->image.name));
	if (s->image.manifest_digest)
		json_object_set_new(props, "manifestDigest", report_str(s->image.manifest_digest));
	if (s->image.config_digest)
		json_object_set_new(props, "configDigest", report_str(s->image.config_digest));
	return props;
}

json_t *report_sarif(const struct catalog *c, const struct vuln_report *r,
		     const struct report_subject *s)
{
	size_t n;
	const struct vuln_finding **v = report_sorted(c, r, &n);
	json_t *rules = json_array(), *results = json_array();
	size_t n_rules = 0;
	const char *prev = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct cat_pkg *p = report_pkg(c, v[i]);
		if (!p)
			continue;
		/* sorted by id: a new id opens its rule */
		if (!prev || strcmp(prev, v[i]->id)) {
			json_array_append_new(rules, rule(v[i]));
			n_rules++;
			prev = v[i]->id;
		}
		json_array_append_new(results, result(p, v[i], n_rules - 1));
	}
	free(v);
	/* No informationUri: quench has no public home to name yet, and a made-up
	 * one would send users nowhere. */
	json_t *driver = json_pack("{s:s, s:o}", "name", "quench", "rules", rules);
	if (s->tool_version)
		json_object_set_new(driver, "version", report_str(s->tool_version));
	json_t *run = json_pack("{s:{s:o}, s:o, s:o}", "tool", "driver", driver, "results", results,
				"properties", run_properties(s));
	return json_pack("{s:s, s:s, s:[o]}", "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs",
			 run);
}
