/* Matching a catalog against the advisory database.
 *
 * Distro packages match by SOURCE package in their release's ecosystem
 * ("Debian:12", "Alpine:v3.19"); language packages by ecosystem and name
 * (PyPI names PEP 503-normalized). A language package that an OS package
 * owns (Debian's python3-urllib3 installs urllib3's egg-info) is left to the
 * distro's data for its source package: distros backport fixes without
 * changing the upstream version, so PyPI ranges would only produce false
 * findings. `include_os_owned` matches them anyway, marked.
 *
 * Findings are merged by vulnerability: a CVE reported by the Debian
 * tracker, a DSA and an OSV record with the CVE as alias is one finding
 * listing every advisory.
 */
#include "vuln/vuln.h"

#include <sqlite3.h>
#include <string.h>

/* What to look up for a package, and how its versions order. */
struct query {
	char *ecosystem, *name, *version;
	enum version_scheme scheme;
	bool os_owned;
};

static void query_release(struct query *q)
{
	free(q->ecosystem);
	free(q->name);
	free(q->version);
}

/* "Alpine:v3.19" from VERSION_ID "3.19.1". */
static char *alpine_ecosystem(const char *version_id)
{
	const char *dot = strchr(version_id, '.');
	const char *dot2 = dot ? strchr(dot + 1, '.') : NULL;
	size_t n = dot2 ? (size_t)(dot2 - version_id) : strlen(version_id);
	return xasprintf("Alpine:v%.*s", (int)n, version_id);
}

static bool os_query(const struct cat_pkg *p, const struct os_info *os, struct query *q)
{
	if (!os->id || !os->version_id)
		return false;
	if (p->type == PKG_DEB && !strcmp(os->id, "debian")) {
		/* "12" from "12", or from a point release "12.5". */
		q->ecosystem = xasprintf("Debian:%.*s", (int)strcspn(os->version_id, "."),
					 os->version_id);
		q->scheme = VS_DPKG;
	} else if (p->type == PKG_APK && !strcmp(os->id, "alpine")) {
		q->ecosystem = alpine_ecosystem(os->version_id);
		q->scheme = VS_APK;
	} else {
		return false;
	}
	q->name = xstrdup(p->src_name ? p->src_name : p->name);
	q->version = xstrdup(p->src_version ? p->src_version : p->version);
	return true;
}

static bool lang_query(const struct catalog *c, const struct cat_pkg *p, struct query *q)
{
	switch (p->type) {
	case PKG_PYTHON:
		q->ecosystem = xstrdup("PyPI");
		q->name = pep503_name(p->name);
		q->scheme = VS_PEP440;
		break;
	case PKG_NPM:
		q->ecosystem = xstrdup("npm");
		q->name = xstrdup(p->name);
		q->scheme = VS_SEMVER;
		break;
	case PKG_GO:
		q->ecosystem = xstrdup("Go");
		q->name = xstrdup(p->name);
		q->scheme = VS_SEMVER;
		break;
	case PKG_DEB:
	case PKG_APK:
	case PKG_RPM:
		return false;
	}
	/* Go's OSV data writes versions without the "v". */
	const char *v = p->version;
	if (p->type == PKG_GO && v[0] == 'v')
		v++;
	q->version = xstrdup(v);
	const struct cat_pkg *owner = p->location ? catalog_owner(c, p->location) : NULL;
	q->os_owned = owner && (owner->type == PKG_DEB || owner->type == PKG_APK ||
				owner->type == PKG_RPM);
	return true;
}

/* ---- one affected row ------------------------------------------------------------ */

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Is version v inside the row's range (or the row's one version)? */
static bool in_range(enum version_scheme s, const char *v, const char *introduced,
		     const char *fixed, const char *last, const char *exact)
{
	if (exact)
		return version_cmp(s, v, exact) == 0;
	if (introduced && strcmp(introduced, "0") && version_cmp(s, v, introduced) < 0)
		return false;
	if (fixed)
		return version_cmp(s, v, fixed) < 0;
	if (last)
		return version_cmp(s, v, last) <= 0;
	return true;
}

/* Statuses that apply to every version of the package. */
static const char *const all_versions[] = { VDB_OPEN, VDB_WONT_FIX, VDB_NO_DSA, VDB_IGNORED,
					    VDB_EOL, VDB_UNIMPORTANT, VDB_POSTPONED,
					    VDB_UNDETERMINED };

static const char *status_constant(const char *s)
{
	if (!strcmp(s, VDB_AFFECTED))
		return VDB_AFFECTED;
	for (size_t i = 0; i < sizeof(all_versions) / sizeof(all_versions[0]); i++)
		if (!strcmp(s, all_versions[i]))
			return all_versions[i];
	return NULL;   /* not-affected, or a status we do not know: no finding */
}

/* ---- findings ----------------------------------------------------------------------- */

struct matcher {
	const struct catalog *c;
	struct vuln_report *r;
	size_t cap;
	struct strmap index;        /* "pkg\x1fid" → finding */
	struct strvec keys;         /* the map's keys, owned */
};

/* Order two tokens (not terminated) as strcmp orders strings. */
static int token_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

/* The ids a row is filed under. A finding goes by its CVE: a CVE record
 * by its own id, any other advisory by every CVE among its aliases (a DSA
 * fixing three CVEs adds to three findings). An advisory without a CVE
 * goes by the smallest of its id and aliases, so that GHSA-x aliasing
 * PYSEC-y and PYSEC-y aliasing GHSA-x meet in one finding. */
static void finding_ids(const char *advisory, const char *aliases, struct strvec *out)
{
	if (str_starts_with(advisory, "CVE-") || !aliases) {
		strvec_push(out, advisory);
		return;
	}
	const char *least = advisory;
	size_t least_n = strlen(advisory);
	for (const char *p = aliases; *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (n > 4 && !strncmp(p, "CVE-", 4))
			strvec_take(out, xstrndup(p, n));
		else if (n && token_cmp(p, n, least, least_n) < 0) {
			least = p;
			least_n = n;
		}
		p += n;
	}
	if (out->n == 0)
		strvec_take(out, xstrndup(least, least_n));
}

static struct vuln_finding *finding_for(struct matcher *m, size_t pkg, const char *id,
					const struct query *q)
{
	char *key = xasprintf("%zu\x1f%s", pkg, id);
	size_t i;
	if (strmap_get(&m->index, key, &i)) {
		free(key);
		return &m->r->v[i];
	}
	strvec_take(&m->keys, key);
	m->r->v = xgrow(m->r->v, &m->cap, m->r->n + 1, sizeof(*m->r->v));
	/* The map's keys point into m->keys, whose array may move, but the
	 * strings themselves do not. */
	strmap_put(&m->index, m->keys.v[m->keys.n - 1], m->r->n);
	struct vuln_finding *f = &m->r->v[m->r->n++];
	memset(f, 0, sizeof(*f));
	f->pkg = pkg;
	f->id = xstrdup(id);
	f->ecosystem = xstrdup(q->ecosystem);
	f->package = xstrdup(q->name);
	f->installed = xstrdup(q->version);
	f->os_owned = q->os_owned;
	return f;
}

static void add_advisory_id(struct vuln_finding *f, const char *id)
{
	for (size_t i = 0; i < f->advisories.n; i++)
		if (!strcmp(f->advisories.v[i], id))
			return;
	strvec_push(&f->advisories, id);
}

/* Severity: a CVSS vector's score when a record has one, else the
 * source's own word. */
static void take_severity(struct vuln_finding *f, sqlite3_stmt *st)
{
	const char *vectors[] = { col(st, 8), col(st, 9) };
	for (size_t i = 0; i < 2 && !f->severity_source; i++) {
		double score;
		int version;
		if (!vectors[i] || cvss_base_score(vectors[i], &score, &version, NULL) < 0)
			continue;
		f->score = score;
		f->severity = cvss_severity_of(score);
		f->severity_source = xasprintf("CVSS %d.%d", version / 10, version % 10);
		f->cvss_vector = xstrdup(vectors[i]);
	}
	const char *word = col(st, 10) ? col(st, 10) : col(st, 6);
	if (f->severity_source || !word)
		return;
	static const struct { const char *word; enum cvss_severity s; } words[] = {
		{ "critical", CVSS_CRITICAL }, { "high", CVSS_HIGH }, { "important", CVSS_HIGH },
		{ "medium", CVSS_MEDIUM }, { "moderate", CVSS_MEDIUM }, { "low", CVSS_LOW },
		{ "unimportant", CVSS_LOW }, { "negligible", CVSS_LOW },
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strncasecmp(word, words[i].word, strlen(words[i].word))) {
			f->severity = words[i].s;
			f->severity_source = xasprintf("%s: %s", col(st, 12), word);
			return;
		}
}

static void take_row(struct matcher *m, size_t pkg, const struct query *q, sqlite3_stmt *st)
{
	const char *status = status_constant(col(st, 1));
	if (!status)
		return;
	bool ranged = !strcmp(status, VDB_AFFECTED);
	if (ranged &&
	    !in_range(q->scheme, q->version, col(st, 2), col(st, 3), col(st, 4), col(st, 5)))
		return;
	struct strvec ids = STRVEC_INIT;
	finding_ids(col(st, 0), col(st, 7), &ids);
	for (size_t i = 0; i < ids.n; i++) {
		struct vuln_finding *f = finding_for(m, pkg, ids.v[i], q);
		if (!f->status)
			f->status = status;
		if (!f->fixed && ranged && col(st, 3))
			f->fixed = xstrdup(col(st, 3));
		if (!f->summary && col(st, 11) && *col(st, 11))
			f->summary = xstrdup(col(st, 11));
		add_advisory_id(f, col(st, 0));
		take_severity(f, st);
	}
	strvec_clear(&ids);
}

static int match_package(struct matcher *m, sqlite3_stmt *st, size_t pkg, const struct query *q)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, q->ecosystem, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, q->name, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		take_row(m, pkg, q, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static const char match_sql[] =
	"SELECT a.advisory, a.status, a.introduced, a.fixed, a.last_affected, a.version,"
	" a.urgency, d.aliases, d.cvss_v3, d.cvss_v4, d.severity, d.summary, s.format"
	" FROM affected a INDEXED BY affected_by_package JOIN sources s ON s.id = a.source"
	" LEFT JOIN advisories d ON d.source = a.source AND d.id = a.advisory"
	" WHERE a.ecosystem = ?1 AND a.package = ?2"
	" ORDER BY s.name, a.advisory, a.rowid";

int vuln_match(struct vdb *db, const struct catalog *c, const struct match_opts *o,
	       struct vuln_report *out, struct qerr *err)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(vdb_sqlite(db), match_sql, -1, &st, NULL) != SQLITE_OK)
		return q_error(err, 0, "advisory database: %s", sqlite3_errmsg(vdb_sqlite(db)));
	struct matcher m = { .c = c, .r = out, .index = STRMAP_INIT, .keys = STRVEC_INIT };
	int rc = 0;
	for (size_t i = 0; i < c->n_pkgs && rc == 0; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		struct query q = { 0 };
		bool ok = p->name && p->version &&
			  (os_query(p, &c->os, &q) || lang_query(c, p, &q));
		if (ok && !(q.os_owned && !(o && o->include_os_owned)) &&
		    match_package(&m, st, i, &q) < 0)
			rc = q_error(err, 0, "advisory database: %s",
				     sqlite3_errmsg(vdb_sqlite(db)));
		query_release(&q);
	}
	sqlite3_finalize(st);
	strmap_release(&m.index);
	strvec_clear(&m.keys);
	if (rc < 0)
		vuln_report_release(out);
	return rc;
}

void vuln_finding_release(struct vuln_finding *f)
{
	free(f->id);
	strvec_clear(&f->advisories);
	free(f->fixed);
	free(f->summary);
	free(f->severity_source);
	free(f->cvss_vector);
	free(f->ecosystem);
	free(f->package);
	free(f->installed);
	free(f->reach_evidence);
}

void vuln_report_release(struct vuln_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		vuln_finding_release(&r->v[i]);
	for (size_t i = 0; i < r->n_suppressed; i++)
		vuln_finding_release(&r->suppressed[i]);
	free(r->v);
	free(r->suppressed);
	memset(r, 0, sizeof(*r));
}
