/* CycloneDX 1.6 with vulnerabilities: the image's BOM exactly as `quench
 * sbom --format cyclonedx` writes it (without per-file entries), plus one
 * vulnerability per id. A vulnerability's affects[] name the packages'
 * bom-refs, each with its installed version (affected) and, where the
 * advisory gives one, the fixed version (unaffected); what the distro or
 * upstream decided (a fix, will not fix, end-of-life) goes in
 * recommendation, analysis.response and quench:status properties.
 */
#include "report/report_internal.h"

#include <string.h>

static void add_prop(json_t *props, const char *name, const char *value)
{
	json_array_append_new(props, json_pack("{s:s, s:o}", "name", name, "value",
					       report_str(value)));
}

/* Append v unless an equal value is already there (the schema wants
 * unique items, and repeats say nothing). */
static void append_unique(json_t *arr, json_t *v)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) {
		if (json_equal(x, v)) {
			json_decref(v);
			return;
		}
	}
	json_array_append_new(arr, v);
}

static const char *cvss_method(const char *vector)
{
	if (str_starts_with(vector, "CVSS:3.1/"))
		return "CVSSv31";
	if (str_starts_with(vector, "CVSS:4.0/"))
		return "CVSSv4";
	return str_starts_with(vector, "CVSS:3.0/") ? "CVSSv3" : "other";
}

/* A CVSS rating with its vector, or the source's own word ("debian-tracker:
 * high" → severity high, method other, source debian-tracker); nothing
 * when unrated. */
static json_t *rating(const struct vuln_finding *f)
{
	if (!f->severity_source)
		return NULL;
	const char *sev = cvss_severity_name(f->severity);
	if (f->cvss_vector && str_starts_with(f->severity_source, "CVSS"))
		return json_pack("{s:f, s:s, s:s, s:o}", "score", f->score, "severity", sev,
				 "method", cvss_method(f->cvss_vector), "vector",
				 report_str(f->cvss_vector));
	const char *colon = strchr(f->severity_source, ':');
	char *who = xstrndup(f->severity_source,
			     colon ? (size_t)(colon - f->severity_source) : strlen(f->severity_source));
	json_t *j = json_pack("{s:s, s:s, s:{s:o}}", "severity", sev, "method", "other", "source",
			      "name", report_str(who));
	free(who);
	return j;
}

static json_t *advisory(const char *id)
{
	char *url = report_advisory_url(id);
	json_t *j = json_pack("{s:o, s:s}", "title", report_str(id), "url", url);
	free(url);
	return j;
}

/* A version as the schema takes it: 1 to 1024 characters. */
static void add_version(json_t *versions, const char *v, const char *status)
{
	if (v && *v && strlen(v) <= 1024)
		append_unique(versions, json_pack("{s:o, s:s}", "version", report_str(v), "status",
						  status));
}

static json_t *affect(const struct cat_pkg *p, const struct vuln_finding *f, const char *ref)
{
	json_t *versions = json_array();
	add_version(versions, p->version, report_suppressed(f) ? "unaffected" : "affected");
	add_version(versions, f->fixed, "unaffected");
	json_t *j = json_pack("{s:o}", "ref", report_str(ref));
	if (json_array_size(versions))
		json_object_set_new(j, "versions", versions);
	else
		json_decref(versions);
	return j;
}

/* The response every affected package shares, when it is one that
 * CycloneDX names: an update exists, or the distro will not or can not
 * fix it. NULL when they differ or nothing is known. */
static const char *response_of(const struct vuln_finding *f)
{
	if (f->fixed)
		return "update";
	if (f->status && !strcmp(f->status, VDB_WONT_FIX))
		return "will_not_fix";
	if (f->status && !strcmp(f->status, VDB_EOL))
		return "can_not_fix";
	return NULL;
}

/* OpenVEX justifications in CycloneDX's words. */
static const char *cdx_justification(const char *vex)
{
	static const struct { const char *vex, *cdx; } map[] = {
		{ "component_not_present", "code_not_present" },
		{ "vulnerable_code_not_present", "code_not_present" },
		{ "vulnerable_code_not_in_execute_path", "code_not_reachable" },
		{ "vulnerable_code_cannot_be_controlled_by_adversary", "requires_environment" },
		{ "inline_mitigations_already_exist", "protected_by_mitigating_control" },
	};
	for (size_t i = 0; vex && i < ARRAY_SIZE(map); i++)
		if (!strcmp(vex, map[i].vex))
			return map[i].cdx;
	return NULL;
}

/* When VEX statements suppressed it for every package: the state they
 * give (not_affected, or resolved for fixed), with their reason. */
static void set_vex_analysis(json_t *analysis, const struct vuln_finding *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!report_suppressed(v[i]) || strcmp(v[i]->vex_status, v[0]->vex_status))
			return;
	bool fixed = !strcmp(v[0]->vex_status, "fixed");
	json_object_set_new(analysis, "state", json_string(fixed ? "resolved" : "not_affected"));
	const char *just = fixed ? NULL : cdx_justification(v[0]->vex_justification);
	if (just)
		json_object_set_new(analysis, "justification", json_string(just));
	char *why = report_vex_text(v[0]);
	json_object_set_new(analysis, "detail", report_str(why));
	free(why);
}

static void set_analysis(json_t *j, const struct vuln_finding *const *v, size_t n)
{
	const char *resp = response_of(v[0]);
	for (size_t i = 1; resp && i < n; i++)
		if (response_of(v[i]) != resp)
			resp = NULL;
	json_t *analysis = json_object();
	if (resp)
		json_object_set_new(analysis, "response", json_pack("[s]", resp));
	set_vex_analysis(analysis, v, n);
	if (json_object_size(analysis))
		json_object_set_new(j, "analysis", analysis);
	else
		json_decref(analysis);
}

/* Fields from every finding of the id: ratings, advisories, what to do,
 * what it affects, statuses. */
static void add_findings(json_t *j, const struct catalog *c, const struct vuln_finding *const *v,
			 size_t n, const struct strvec *refs)
{
	json_t *ratings = json_array(), *advisories = json_array(), *affects = json_array();
	json_t *props = json_array();
	struct strbuf rec = STRBUF_INIT;
	append_unique(advisories, advisory(v[0]->id));
	for (size_t i = 0; i < n; i++) {
		const struct vuln_finding *f = v[i];
		const struct cat_pkg *p = report_pkg(c, f);
		json_t *r = rating(f);
		if (r)
			append_unique(ratings, r);
		for (size_t k = 0; k < f->advisories.n; k++)
			append_unique(advisories, advisory(f->advisories.v[k]));
		append_unique(affects, affect(p, f, refs->v[f->pkg]));
		if (f->fixed) {
			char *t = report_status_text(p, f);
			strbuf_addf(&rec, "%s%s", rec.len ? " " : "", t);
			free(t);
		}
		add_prop(props, "quench:status", f->status ? f->status : "");
		if (f->os_owned)
			add_prop(props, "quench:os-owned", refs->v[f->pkg]);
		/* "quench:reachable" / "quench:present": the component, by a runtime profile */
		if (f->reach) {
			cleanup_free char *name = xasprintf("quench:%s", f->reach);
			add_prop(props, name, refs->v[f->pkg]);
		}
	}
	if (json_array_size(ratings))
		json_object_set_new(j, "ratings", ratings);
	else
		json_decref(ratings);
	json_object_set_new(j, "advisories", advisories);
	json_object_set_new(j, "affects", affects);
	if (rec.len)
		json_object_set_new(j, "recommendation", report_str(strbuf_str(&rec)));
	strbuf_release(&rec);
	/* one quench:status per value */
	json_t *uniq = json_array();
	size_t k;
	json_t *x;
	json_array_foreach(props, k, x)
		append_unique(uniq, json_incref(x));
	json_decref(props);
	json_object_set_new(j, "properties", uniq);
}

static json_t *vulnerability(const struct catalog *c, const struct vuln_finding *const *v,
			     size_t n, const struct strvec *refs)
{
	const struct vuln_finding *f = v[0];
	char *url = report_advisory_url(f->id);
	char *ref = xasprintf("quench:vulnerability:%s", f->id);
	json_t *j = json_pack("{s:o, s:o, s:{s:s, s:s}}", "bom-ref", report_str(ref), "id",
			      report_str(f->id), "source", "name", report_source_name(f->id),
			      "url", url);
	for (size_t i = 0; i < n; i++)
		if (v[i]->summary && *v[i]->summary) {
			json_object_set_new(j, "description", report_str(v[i]->summary));
			break;
		}
	add_findings(j, c, v, n, refs);
	set_analysis(j, v, n);
	free(ref);
	free(url);
	return j;
}

/* The findings change what the document says: derive its serial number
 * from the BOM's and from them, so that it differs from the plain SBOM's
 * and stays the same for the same scan. A UUID of version 5's layout. */
static void reserial(json_t *doc, const struct vuln_finding *const *v, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, report_or_empty(json_get_str(doc, "serialNumber")));
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "\n%s %zu %s %s", v[i]->id, v[i]->pkg,
			    report_or_empty(v[i]->status), report_or_empty(v[i]->fixed));
	char d[DIGEST_STR_MAX];
	sha256_buf(sb.buf ? sb.buf : "", sb.len, d);
	strbuf_release(&sb);
	const char *h = d + strlen("sha256:");
	json_object_set_new(doc, "serialNumber",
			    json_sprintf("urn:uuid:%.8s-%.4s-5%.3s-%c%.3s-%.12s", h, h + 8, h + 13,
					 "89ab"[(unsigned char)h[16] & 3], h + 17, h + 20));
}

json_t *report_cyclonedx(const struct catalog *c, const struct vuln_report *r,
			 const struct report_subject *s)
{
	struct sbom_opts o = { .tool_version = s->tool_version };
	json_t *doc = sbom_build(SBOM_CYCLONEDX, c, &s->image, &o);
	struct strvec refs = STRVEC_INIT;
	sbom_cyclonedx_pkg_refs(c, &s->image, &refs);
	size_t total, n = 0;
	const struct vuln_finding **v = report_sorted(c, r, &total);
	/* findings of a package outside the catalog have nothing to point at */
	for (size_t i = 0; i < total; i++)
		if (report_pkg(c, v[i]))
			v[n++] = v[i];
	json_t *vulns = json_array();
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && !strcmp(v[j]->id, v[i]->id); j++)
			;
		json_array_append_new(vulns, vulnerability(c, v + i, j - i, &refs));
	}
	json_object_set_new(doc, "vulnerabilities", vulns);
	reserial(doc, v, n);
	free(v);
	strvec_clear(&refs);
	return doc;
}
