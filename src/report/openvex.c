/* OpenVEX 0.2.0 from a scan: one statement per finding, about the image
 * (pkg:oci/NAME@DIGEST) and the package it is in as subcomponent. With a
 * runtime profile: reachable → affected (with what to do), present →
 * not_affected, vulnerable_code_not_in_execute_path (the profile shows
 * none of the package's code ran); after hardening, removed →
 * not_affected, vulnerable_code_not_present (the package is gone). Without
 * a profile: under_investigation. What a
 * VEX given to the scan suppressed keeps that statement's status. Other
 * scanners (Trivy, Grype) read it with their --vex options, and so does
 * quench scan --vex. */
#include "report/report_internal.h"

#include <ctype.h>
#include <string.h>

/* "pkg:oci/NAME@sha256%3A…" (scanners match an OCI product by its digest;
 * the name is for people): an OCI layout's tag ("oci:DIR:python"), else
 * the repository's last part ("docker.io/library/python:3.11"). */
static char *image_purl(const struct report_subject *s)
{
	const char *ref = s->image.name ? s->image.name : "";
	bool layout = str_starts_with(ref, "oci:") || str_starts_with(ref, "oci-archive:");
	const char *last = strrchr(ref, '/');
	last = last ? last + 1 : strchr(ref, ':') ? strchr(ref, ':') + 1 : ref;
	const char *colon = strchr(last, ':');
	cleanup_free char *base = xstrdup(layout && colon ? colon + 1 : last);
	base[strcspn(base, layout && colon ? "@" : ":@")] = '\0';
	for (char *p = base; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("._-", *p)))
			*p = '-';
	const char *name = *base ? base : "image";
	const char *digest = s->image.manifest_digest;
	const char *hex = digest ? strchr(digest, ':') : NULL;
	if (!hex)
		return xasprintf("pkg:oci/%s", name);
	return xasprintf("pkg:oci/%s@%.*s%%3A%s", name, (int)(hex - digest), digest, hex + 1);
}

static json_t *vulnerability(const struct vuln_finding *f)
{
	json_t *v = json_pack("{s:o}", "name", report_str(f->id));
	json_t *aliases = json_array();
	for (size_t i = 0; i < f->advisories.n; i++)
		if (strcmp(f->advisories.v[i], f->id))
			json_array_append_new(aliases, report_str(f->advisories.v[i]));
	if (json_array_size(aliases))
		json_object_set_new(v, "aliases", aliases);
	else
		json_decref(aliases);
	return v;
}

/* The status and its reason, on st. */
static void set_status(json_t *st, const struct cat_pkg *p, const struct vuln_finding *f)
{
	if (f->vex_status) {   /* a VEX given to the scan said so */
		json_object_set_new(st, "status", json_string(f->vex_status));
		if (f->vex_justification)
			json_object_set_new(st, "justification", report_str(f->vex_justification));
		if (f->vex_note || !strcmp(f->vex_status, "affected"))
			json_object_set_new(st, !strcmp(f->vex_status, "affected") ? "action_statement"
										     : "impact_statement",
					    report_str(f->vex_note ? f->vex_note : "see the advisory"));
	} else if (f->reach && !strcmp(f->reach, "present")) {
		json_object_set_new(st, "status", json_string("not_affected"));
		json_object_set_new(st, "justification",
				    json_string("vulnerable_code_not_in_execute_path"));
		json_object_set_new(st, "impact_statement",
				    report_str("the runtime profile shows none of the package's code "
					       "executed, loaded or read"));
	} else if (f->reach && !strcmp(f->reach, "removed")) {
		json_object_set_new(st, "status", json_string("not_affected"));
		json_object_set_new(st, "justification", json_string("vulnerable_code_not_present"));
		json_object_set_new(st, "impact_statement",
				    report_str("quench harden removed the package from the image"));
	} else if (f->reach) {
		char *fix = report_status_text(p, f);
		json_object_set_new(st, "status", json_string("affected"));
		json_object_set_new(st, "action_statement", report_str(fix));
		json_object_set_new(st, "status_notes", report_str(f->reach_evidence));
		free(fix);
	} else {
		json_object_set_new(st, "status", json_string("under_investigation"));
	}
}

json_t *report_openvex(const struct catalog *c, const struct vuln_report *r,
		       const struct report_subject *s, const char *timestamp)
{
	size_t n;
	const struct vuln_finding **v = report_sorted(c, r, &n);
	cleanup_free char *product = image_purl(s);
	json_t *statements = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct cat_pkg *p = report_pkg(c, v[i]);
		if (!p || !p->purl)
			continue;
		json_t *st = json_pack("{s:o, s:[{s:o, s:[{s:o}]}]}", "vulnerability",
				       vulnerability(v[i]), "products", "@id", report_str(product),
				       "subcomponents", "@id", report_str(p->purl));
		set_status(st, p, v[i]);
		/* One purl in two places (two venvs) says the same twice; once is enough
		 * (OpenVEX wants statements unique). Sorted, so twins are neighbours. */
		json_t *prev = json_array_get(statements, json_array_size(statements) - 1);
		if (prev && json_equal(prev, st))
			json_decref(st);
		else
			json_array_append_new(statements, st);
	}
	free(v);
	/* The document's id: its content's digest, so the same scan gives the same id. */
	char *text = json_dumps(statements, JSON_COMPACT | JSON_SORT_KEYS);
	char d[DIGEST_STR_MAX];
	sha256_buf(text ? text : "", text ? strlen(text) : 0, d);
	free(text);
	cleanup_free char *id = xasprintf("urn:quench:vex:%s", d + strlen("sha256:"));
	return json_pack("{s:s, s:o, s:s, s:s, s:i, s:o, s:s}", "@context",
			 "https://openvex.dev/ns/v0.2.0", "@id", report_str(id), "author",
			 "quench", "timestamp", timestamp, "version", 1, "statements", statements,
			 "tooling", "quench " QUENCH_VERSION);
}
