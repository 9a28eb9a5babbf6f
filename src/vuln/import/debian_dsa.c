/* The Debian security tracker's advisory lists (data/DSA/list, data/DLA/list,
 * and the ELTS list in the same format):
 *
 *   [31 Jul 2025] DSA-5970-1 sope - security update
 *           {CVE-2025-53603 CVE-2025-53604}
 *           [bookworm] - sope 5.8.0-1+deb12u1
 *           [bullseye] - foo <not-affected> (vulnerable code not present)
 *           NOTE: …
 *
 * Each entry becomes an advisory whose aliases are the CVEs it fixes, and
 * one row per release line: affected below the fixed version. The matcher
 * files such a row under each of its CVEs, so a DSA and the tracker's CVE
 * entries make one finding that lists both. */
#include "import_internal.h"

#include <fcntl.h>
#include <string.h>

/* Longest id, package or version token taken. */
#define DSA_TOKEN_MAX 128

struct dsa_entry {
	char *id, *published, *summary;
	struct strbuf aliases;
	struct strvec releases, packages, versions;   /* one per release line */
	size_t line;
};

static void entry_reset(struct dsa_entry *e)
{
	free(e->id);
	free(e->published);
	free(e->summary);
	strbuf_release(&e->aliases);
	strvec_clear(&e->releases);
	strvec_clear(&e->packages);
	strvec_clear(&e->versions);
	memset(e, 0, sizeof(*e));
}

static bool token_ok(const char *p, size_t n, const char *extra)
{
	if (n == 0 || n > DSA_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(extra, c)))
			return false;
	}
	return true;
}

/* "31 Jul 2025" → "2025-07-31"; NULL when it is not such a date. */
static char *iso_date(const char *p, size_t n)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	if (n != 11 || p[2] != ' ' || p[6] != ' ' || !token_ok(p, 2, "") ||
	    !token_ok(p + 7, 4, ""))
		return NULL;
	for (int m = 0; m < 12; m++)
		if (!memcmp(months + 3 * m, p + 3, 3))
			return xasprintf("%.4s-%02d-%.2s", p + 7, m + 1, p);
	return NULL;
}

/* "[31 Jul 2025] DSA-5970-1 sope - security update" */
static bool parse_head(struct dsa_entry *e, const char *line, size_t n)
{
	const char *close = memchr(line, ']', n);
	if (line[0] != '[' || !close)
		return false;
	char *date = iso_date(line + 1, (size_t)(close - line - 1));
	const char *p = close + 1, *end = line + n;
	p += strspn(p, " ");
	size_t idn = strcspn(p, " \n");
	if (!date || p + idn > end || !token_ok(p, idn, "-")) {
		free(date);
		return false;
	}
	e->published = date;
	e->id = xstrndup(p, idn);
	p += idn;
	p += strspn(p, " ");
	if (p < end)
		e->summary = xstrndup(p, (size_t)(end - p));
	return true;
}

/* "{CVE-… CVE-…}": the CVEs; other ids in braces (bug numbers) are not. */
static void parse_aliases(struct dsa_entry *e, const char *p, const char *end)
{
	while (p < end) {
		p += strspn(p, " \t{}");
		size_t n = strcspn(p, " \t{}\n");
		if (p + n > end)
			n = (size_t)(end - p);
		if (import_is_cve(p, n) && n <= DSA_TOKEN_MAX) {
			if (e->aliases.len)
				strbuf_addc(&e->aliases, ' ');
			strbuf_add(&e->aliases, p, n);
		}
		p += n ? n : 1;
	}
}

/* "[bookworm] - sope 5.8.0-1+deb12u1" or "… foo <not-affected> (why)". */
static bool parse_release(struct dsa_entry *e, const char *p, const char *end)
{
	const char *close = memchr(p, ']', (size_t)(end - p));
	if (!close || !token_ok(p + 1, (size_t)(close - p - 1), "-"))
		return false;
	const char *q = close + 1;
	q += strspn(q, " ");
	if (q >= end || *q != '-')
		return false;
	q++;
	q += strspn(q, " ");
	size_t pn = strcspn(q, " \n");
	const char *v = q + pn;
	v += strspn(v, " ");
	size_t vn = v < end ? strcspn(v, " \n") : 0;
	if (q + pn > end || v + vn > end || !token_ok(q, pn, "+-.") ||
	    !(token_ok(v, vn, "+-.:~") || token_ok(v, vn, "<>-")))
		return false;
	strvec_take(&e->releases, xstrndup(p + 1, (size_t)(close - p - 1)));
	strvec_take(&e->packages, xstrndup(q, pn));
	strvec_take(&e->versions, xstrndup(v, vn));
	return true;
}

static int add_entry(struct vdb_import *im, const struct dsa_entry *e, struct qerr *err)
{
	/* A list entry has one date: it is when the advisory was published and last changed. */
	struct vdb_advisory a = { .id = e->id, .published = e->published, .modified = e->published,
				  .summary = e->summary,
				  .aliases = e->aliases.len ? strbuf_str(&e->aliases) : NULL };
	if (vdb_add_advisory(im, &a, err) < 0)
		return -1;
	for (size_t i = 0; i < e->releases.n; i++) {
		const char *eco = debian_ecosystem(e->releases.v[i]);
		const char *v = e->versions.v[i];
		bool marker = v[0] == '<';
		/* "<not-affected>" is a statement; "<unfixed>", "<removed>", … are not fixes. */
		if (!eco || (marker && strcmp(v, "<not-affected>")))
			continue;
		struct vdb_affected f = { .advisory = e->id, .ecosystem = eco,
					  .package = e->packages.v[i],
					  .status = marker ? VDB_NOT_AFFECTED : VDB_AFFECTED,
					  .fixed = marker ? NULL : v };
		if (vdb_add_affected(im, &f, err) < 0)
			return -1;
	}
	return 0;
}

/* One continuation line of the entry e. */
static void parse_body(struct vdb_import *im, const char *path, struct dsa_entry *e,
		       size_t lineno, const char *p, const char *end)
{
	p += strspn(p, " \t");
	if (p >= end || !strncmp(p, "NOTE:", 5) || !strncmp(p, "TODO:", 5))
		return;
	if (*p == '{')
		parse_aliases(e, p, end);
	else if (*p == '[' && !parse_release(e, p, end))
		vdb_import_warn(im, "%s: line %zu: not a release line; skipped", path, lineno);
}

int import_debian_dsa_list(struct vdb_import *im, const char *path, struct qerr *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	if (read_file_at(AT_FDCWD, path, IMPORT_MAX_DOC, &data, &len, err) < 0)
		return -1;
	struct dsa_entry e = { 0 };
	int rc = 0;
	size_t lineno = 0;
	for (const char *p = data, *end = data + len; rc == 0 && p < end; lineno++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (*p == '[') {
			if (e.id)
				rc = add_entry(im, &e, err);
			entry_reset(&e);
			if (!parse_head(&e, p, (size_t)(le - p)))
				vdb_import_warn(im, "%s: line %zu: not an advisory line; skipped",
						path, lineno + 1);
		} else if (e.id) {
			parse_body(im, path, &e, lineno + 1, p, le);
		}
		p = nl ? nl + 1 : end;
	}
	if (rc == 0 && e.id)
		rc = add_entry(im, &e, err);
	entry_reset(&e);
	return rc;
}
