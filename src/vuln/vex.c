/* OpenVEX (openvex.dev, spec 0.2.0; the 0.0.x shapes are read too):
 * statements that say a product is not_affected by, affected by, fixed
 * for, or under investigation for a vulnerability.
 *
 * A statement applies to a finding when its vulnerability names the
 * finding's id or one of its advisories (or an alias does), and one of its
 * products names the package: a package purl (versions and qualifiers
 * only where the statement gives them), or the image itself (pkg:oci,
 * with the image's manifest digest as version or none; or any other id
 * with subcomponents) narrowed to its subcomponents when it lists any.
 * Of the statements that apply, the newest (statement timestamp, else the
 * document's; later in the document wins a tie) decides, as the spec says
 * a VEX history reads. not_affected and fixed suppress the finding.
 */
#include "vuln/vuln.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define VEX_MAX_DOC (64u << 20)
#define VEX_MAX_WARNINGS 20

struct vex_product {
	char *id;                    /* as written */
	struct purl purl;            /* parsed when id (or identifiers.purl) is one */
	bool is_purl;
	struct vex_product *sub;     /* subcomponents */
	size_t n_sub;
};

struct vex_statement {
	struct strvec vulns;         /* the name and its aliases */
	char *status, *justification, *note, *timestamp;
	struct vex_product *products;
	size_t n_products;
	size_t order;
};

struct vex {
	char *path;
	struct vex_statement *st;
	size_t n;
	struct strvec warnings;
};

static void product_release(struct vex_product *p)
{
	free(p->id);
	purl_release(&p->purl);
	for (size_t i = 0; i < p->n_sub; i++)
		product_release(&p->sub[i]);
	free(p->sub);
}

static void statement_release(struct vex_statement *s)
{
	strvec_clear(&s->vulns);
	free(s->status);
	free(s->justification);
	free(s->note);
	free(s->timestamp);
	for (size_t j = 0; j < s->n_products; j++)
		product_release(&s->products[j]);
	free(s->products);
}

void vex_free(struct vex *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		statement_release(&v->st[i]);
	free(v->st);
	free(v->path);
	strvec_clear(&v->warnings);
	free(v);
}

const struct strvec *vex_warnings(const struct vex *v)
{
	return &v->warnings;
}

static void warn(struct vex *v, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void warn(struct vex *v, const char *fmt, ...)
{
	if (!strvec_room(&v->warnings, VEX_MAX_WARNINGS))
		return;
	va_list ap;
	va_start(ap, fmt);
	strvec_take(&v->warnings, xvasprintf(fmt, ap));
	va_end(ap);
}

/* A product: "pkg:…" (0.0.x) or { "@id", "identifiers": { "purl" }, "subcomponents" }. */
static bool read_product(json_t *j, struct vex_product *p, int depth)
{
	memset(p, 0, sizeof(*p));
	const char *id = json_is_string(j) ? json_string_value(j) : json_get_str(j, "@id");
	const char *purl = json_get_str(json_get_obj(j, "identifiers"), "purl");
	if (!id)
		id = purl;
	if (!id || !*id)
		return false;
	p->id = xstrdup(id);
	p->is_purl = purl_parse(purl ? purl : id, &p->purl) == 0;
	json_t *subs = depth == 0 ? json_get_arr(j, "subcomponents") : NULL;
	size_t i;
	json_t *s;
	p->sub = subs ? xcalloc(json_array_size(subs) + 1, sizeof(*p->sub)) : NULL;
	json_array_foreach(subs, i, s)
		if (read_product(s, &p->sub[p->n_sub], depth + 1))
			p->n_sub++;
	return true;
}

static void read_vulnerability(json_t *st, struct strvec *out)
{
	json_t *v = json_object_get(st, "vulnerability");
	const char *name = json_is_string(v) ? json_string_value(v) : json_get_str(v, "name");
	if (name && *name)
		strvec_push(out, name);
	size_t i;
	json_t *a;
	json_array_foreach(json_get_arr(v, "aliases"), i, a)
		if (json_is_string(a) && *json_string_value(a))
			strvec_push(out, json_string_value(a));
}

static const char *const statuses[] = { "not_affected", "affected", "fixed",
					"under_investigation" };

static bool known_status(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(statuses); i++)
		if (!strcmp(s, statuses[i]))
			return true;
	return false;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

/* One statement; false (with a warning) when it cannot be used. */
static bool read_statement(struct vex *v, size_t idx, json_t *j, const char *doc_time,
			   struct vex_statement *s)
{
	memset(s, 0, sizeof(*s));
	s->order = idx;
	read_vulnerability(j, &s->vulns);
	const char *status = json_get_str(j, "status");
	const char *just = json_get_str(j, "justification");
	const char *impact = json_get_str(j, "impact_statement");
	json_t *products = json_get_arr(j, "products");
	if (!s->vulns.n || !known_status(status) || !products) {
		warn(v, "%s: statement %zu: no vulnerability, products or known status; ignored",
		     v->path, idx);
		return false;
	}
	/* The spec requires a reason for not_affected; a suppression without one is not taken. */
	if (!strcmp(status, "not_affected") && !just && !impact) {
		warn(v, "%s: statement %zu: not_affected without a justification or "
			"impact_statement; ignored", v->path, idx);
		return false;
	}
	s->status = xstrdup(status);
	s->justification = dup_or_null(just);
	s->note = dup_or_null(impact ? impact : json_get_str(j, "action_statement"));
	s->timestamp = dup_or_null(json_get_str(j, "timestamp") ? json_get_str(j, "timestamp")
								: doc_time);
	s->products = xcalloc(json_array_size(products) + 1, sizeof(*s->products));
	size_t i;
	json_t *p;
	json_array_foreach(products, i, p)
		if (read_product(p, &s->products[s->n_products], 0))
			s->n_products++;
	/* 0.0.x: subcomponents beside the products. */
	json_t *subs = json_get_arr(j, "subcomponents");
	for (size_t k = 0; subs && k < s->n_products && !s->products[k].n_sub; k++) {
		struct vex_product *prod = &s->products[k];
		prod->sub = xcalloc(json_array_size(subs) + 1, sizeof(*prod->sub));
		json_array_foreach(subs, i, p)
			if (read_product(p, &prod->sub[prod->n_sub], 1))
				prod->n_sub++;
	}
	return true;
}

int vex_load(const char *path, struct vex **out, struct qerr *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	if (read_file_at(AT_FDCWD, path, VEX_MAX_DOC, &data, &len, err) < 0)
		return q_error_wrap(err, "VEX '%s'", path);
	json_t *doc = json_parse_bounded(data, len, VEX_MAX_DOC, path, err);
	if (!doc)
		return q_error_wrap(err, "VEX");
	const char *ctx = json_get_str(doc, "@context");
	json_t *statements = json_get_arr(doc, "statements");
	if (!ctx || !strstr(ctx, "openvex") || !statements) {
		json_decref(doc);
		return q_error(err, 0, "VEX '%s': not an OpenVEX document (no openvex @context "
				       "and statements)", path);
	}
	struct vex *v = xcalloc(1, sizeof(*v));
	v->path = xstrdup(path);
	v->st = xcalloc(json_array_size(statements) + 1, sizeof(*v->st));
	size_t i;
	json_t *s;
	json_array_foreach(statements, i, s) {
		if (read_statement(v, i, s, json_get_str(doc, "timestamp"), &v->st[v->n]))
			v->n++;
		else
			statement_release(&v->st[v->n]);
	}
	json_decref(doc);
	*out = v;
	return 0;
}

/* ---- applying statements ---------------------------------------------------------------- */

static bool names_vuln(const struct vex_statement *s, const struct vuln_finding *f)
{
	for (size_t i = 0; i < s->vulns.n; i++) {
		if (!strcmp(s->vulns.v[i], f->id))
			return true;
		for (size_t k = 0; k < f->advisories.n; k++)
			if (!strcmp(s->vulns.v[i], f->advisories.v[k]))
				return true;
	}
	return false;
}

static bool names_package(const struct vex_product *p, const struct purl *pkg)
{
	return pkg && p->is_purl && purl_matches(&p->purl, pkg);
}

/* Is the product the scanned image? pkg:oci with its digest (or none),
 * or the reference the user gave. */
static bool names_image(const struct vex_product *p, const struct vex_target *t)
{
	if (p->is_purl)
		return !strcmp(p->purl.type, "oci") &&
		       (!p->purl.version || (t->manifest_digest &&
					     !strcmp(p->purl.version, t->manifest_digest)));
	return (t->ref && !strcmp(p->id, t->ref)) || p->n_sub > 0;
}

static bool applies(const struct vex_statement *s, const struct purl *pkg,
		    const struct vex_target *t)
{
	for (size_t i = 0; i < s->n_products; i++) {
		const struct vex_product *p = &s->products[i];
		if (names_package(p, pkg))
			return true;
		if (!names_image(p, t))
			continue;
		if (p->n_sub == 0)
			return true;
		for (size_t k = 0; k < p->n_sub; k++)
			if (names_package(&p->sub[k], pkg))
				return true;
	}
	return false;
}

/* The newer of two statements (RFC 3339 in UTC orders as text; a
 * statement without a time is older than one with). */
static const struct vex_statement *newer(const struct vex_statement *a,
					 const struct vex_statement *b)
{
	if (!a)
		return b;
	int c = a->timestamp && b->timestamp ? strcmp(a->timestamp, b->timestamp)
		: (a->timestamp != NULL) - (b->timestamp != NULL);
	return c > 0 || (c == 0 && a->order > b->order) ? a : b;
}

static const struct vex_statement *decide(const struct vex *v, const struct vuln_finding *f,
					  const struct purl *pkg, const struct vex_target *t)
{
	const struct vex_statement *best = NULL;
	for (size_t i = 0; i < v->n; i++)
		if (names_vuln(&v->st[i], f) && applies(&v->st[i], pkg, t))
			best = newer(best, &v->st[i]);
	return best;
}

void vex_apply(const struct vex *v, const struct catalog *c, const struct vex_target *t,
	       struct vuln_report *r)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct vuln_finding *f = &r->v[i];
		const char *purl = c->pkgs[f->pkg].purl;
		struct purl pkg;
		bool parsed = purl && purl_parse(purl, &pkg) == 0;
		const struct vex_statement *s = decide(v, f, parsed ? &pkg : NULL, t);
		if (parsed)
			purl_release(&pkg);
		if (s) {
			f->vex_status = s->status;
			f->vex_justification = s->justification;
			f->vex_note = s->note;
		}
		if (s && (!strcmp(s->status, "not_affected") || !strcmp(s->status, "fixed"))) {
			r->suppressed = xgrow(r->suppressed, &r->suppressed_cap, r->n_suppressed + 1,
					      sizeof(*r->suppressed));
			r->suppressed[r->n_suppressed++] = *f;
		} else {
			r->v[k++] = *f;
		}
	}
	r->n = k;
}
