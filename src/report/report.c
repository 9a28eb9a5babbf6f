/* What the report writers share: the order of findings, severity words,
 * advisory links, and the sentence that says what to do about a finding. */
#include "report/report_internal.h"

#include <stdlib.h>
#include <string.h>

const struct cat_pkg *report_pkg(const struct catalog *c, const struct vuln_finding *f)
{
	return f->pkg < c->n_pkgs ? &c->pkgs[f->pkg] : NULL;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(report_or_empty(a), report_or_empty(b));
}

static int cmp_finding(const void *a, const void *b, void *ctx)
{
	const struct catalog *c = ctx;
	const struct vuln_finding *x = *(const struct vuln_finding *const *)a;
	const struct vuln_finding *y = *(const struct vuln_finding *const *)b;
	int d = cmp_str(x->id, y->id);
	if (d)
		return d;
	const struct cat_pkg *p = report_pkg(c, x), *q = report_pkg(c, y);
	if (!p || !q)
		return (p != NULL) - (q != NULL);
	if ((d = cmp_str(p->name, q->name)) || (d = cmp_str(p->version, q->version)) ||
	    (d = cmp_str(p->location, q->location)) || (d = cmp_str(p->purl, q->purl)))
		return d;
	/* the same package twice: keep it stable by index */
	return (x->pkg > y->pkg) - (x->pkg < y->pkg);
}

const struct vuln_finding **report_sorted(const struct catalog *c, const struct vuln_report *r,
					  size_t *n)
{
	*n = r->n + r->n_suppressed;
	const struct vuln_finding **v = xcalloc(*n + 1, sizeof(*v));
	for (size_t i = 0; i < r->n; i++)
		v[i] = &r->v[i];
	for (size_t i = 0; i < r->n_suppressed; i++)
		v[r->n + i] = &r->suppressed[i];
	if (*n)
		qsort_r(v, *n, sizeof(*v), cmp_finding, (void *)c);
	return v;
}

bool report_suppressed(const struct vuln_finding *f)
{
	return f->vex_status &&
	       (!strcmp(f->vex_status, "not_affected") || !strcmp(f->vex_status, "fixed"));
}

char *report_vex_text(const struct vuln_finding *f)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "VEX: %s", f->vex_status);
	if (f->vex_justification)
		strbuf_addf(&sb, " (%s)", f->vex_justification);
	if (f->vex_note)
		strbuf_addf(&sb, ": %s", f->vex_note);
	return strbuf_detach(&sb);
}

const char *report_severity(const struct vuln_finding *f)
{
	return f->severity_source ? cvss_severity_name(f->severity) : "unknown";
}

static bool is_debian_advisory(const char *id)
{
	return str_starts_with(id, "DSA-") || str_starts_with(id, "DLA-");
}

const char *report_source_name(const char *id)
{
	if (str_starts_with(id, "CVE-"))
		return "NVD";
	return is_debian_advisory(id) ? "Debian" : "OSV";
}

static void add_escaped(struct strbuf *sb, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) || strchr(keep, *p)) {
			strbuf_addc(sb, (char)*p);
		} else {
			strbuf_addc(sb, '%');
			strbuf_addc(sb, hex[*p >> 4]);
			strbuf_addc(sb, hex[*p & 15]);
		}
	}
}

char *report_advisory_url(const char *id)
{
	struct strbuf sb = STRBUF_INIT;
	if (str_starts_with(id, "CVE-"))
		strbuf_adds(&sb, "https://nvd.nist.gov/vuln/detail/");
	else if (is_debian_advisory(id))
		strbuf_adds(&sb, "https://security-tracker.debian.org/tracker/");
	else
		strbuf_adds(&sb, "https://osv.dev/vulnerability/");
	/* ids come from advisory files: the link is a URI whatever they hold */
	add_escaped(&sb, id, "");
	return strbuf_detach(&sb);
}

char *report_escape(const char *s, const char *keep)
{
	struct strbuf sb = STRBUF_INIT;
	add_escaped(&sb, report_or_empty(s), keep);
	return strbuf_detach(&sb);
}

char *report_status_text(const struct cat_pkg *p, const struct vuln_finding *f)
{
	static const struct { const char *status, *text; } texts[] = {
		{ VDB_OPEN, "No fix is available yet." },
		{ VDB_WONT_FIX, "The distribution will not fix it." },
		{ VDB_NO_DSA, "The distribution plans no security update (no-dsa); "
			      "a fix may come in a point release." },
		{ VDB_EOL, "The package is end-of-life in this release: no fix will come." },
		{ VDB_IGNORED, "The distribution ignores it." },
		{ VDB_UNIMPORTANT, "The distribution rates it unimportant." },
		{ VDB_POSTPONED, "The distribution postponed the fix." },
		{ VDB_UNDETERMINED, "The distribution has not determined whether it is affected." },
		{ VDB_AFFECTED, "No fixed version is known." },
	};
	if (f->fixed)
		return xasprintf("Upgrade %s to %s.", report_or_empty(p->name), f->fixed);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (f->status && !strcmp(f->status, texts[i].status))
			return xstrdup(texts[i].text);
	return xasprintf("Status: %s.", report_or_empty(f->status));
}

json_t *report_str(const char *s)
{
	return json_string_lossy(report_or_empty(s));
}
