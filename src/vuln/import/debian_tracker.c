/* The Debian Security Tracker's JSON
 * (https://security-tracker.debian.org/tracker/data/json):
 *
 *   { "<source package>": { "<CVE-… or TEMP-…>": { "description", "scope",
 *       "debianbug", "releases": { "<codename>": { "status", "repositories",
 *       "fixed_version", "urgency", "nodsa", "nodsa_reason" } } } } }
 *
 * The document is ~100 MB in production. It is read into memory whole
 * (bounded by IMPORT_MAX_DOC), but only one package's value is a jansson
 * tree at a time: a small scanner finds the extent of each top-level member
 * and jansson parses that slice, so memory stays near the file's size and a
 * broken package is one warning, not a lost import. */
#include "import_internal.h"

#include <fcntl.h>
#include <jansson.h>
#include <string.h>

/* Longest advisory summary kept, in bytes (cut on a UTF-8 boundary). */
#define TRACKER_SUMMARY_MAX 500

static const struct {
	const char *codename, *ecosystem;
} debian_releases[] = {
	{ "squeeze", "Debian:6" },   { "wheezy", "Debian:7" },    { "jessie", "Debian:8" },
	{ "stretch", "Debian:9" },   { "buster", "Debian:10" },   { "bullseye", "Debian:11" },
	{ "bookworm", "Debian:12" }, { "trixie", "Debian:13" },   { "forky", "Debian:14" },
	{ "duke", "Debian:15" },     { "sid", "Debian:sid" },
};

const char *debian_ecosystem(const char *codename)
{
	if (!codename)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(debian_releases); i++)
		if (!strcmp(codename, debian_releases[i].codename))
			return debian_releases[i].ecosystem;
	return NULL;
}

struct tracker {
	struct vdb_import *im;
	struct strvec unknown;   /* codenames already warned about */
	struct strvec ids;       /* advisories added: a CVE of several packages is one */
	struct strmap added;     /* keys in ids */
};

/* "high**" → "high", "low (unimportant)" → "low", "not yet assigned" → NULL.
 * Writes into buf; returns NULL when there is no urgency to keep. */
static const char *clean_urgency(const char *u, char *buf, size_t len)
{
	if (!u)
		return NULL;
	size_t n = strcspn(u, "*(");
	while (n > 0 && u[n - 1] == ' ')
		n--;
	if (n == 0 || n >= len)
		return NULL;
	memcpy(buf, u, n);
	buf[n] = 0;
	if (!strcmp(buf, "not yet assigned"))
		return NULL;
	return buf;
}

/* A summary of at most TRACKER_SUMMARY_MAX bytes, not cutting a UTF-8
 * sequence (jansson has checked the whole string is valid UTF-8). */
static char *summary_of(const char *d)
{
	if (!d || !*d)
		return NULL;
	size_t n = strlen(d);
	if (n <= TRACKER_SUMMARY_MAX)
		return xstrdup(d);
	n = TRACKER_SUMMARY_MAX;
	while (n > 0 && ((unsigned char)d[n] & 0xc0) == 0x80)
		n--;
	return xstrndup(d, n);
}

static void warn_codename(struct tracker *t, const char *codename)
{
	for (size_t i = 0; i < t->unknown.n; i++)
		if (!strcmp(t->unknown.v[i], codename))
			return;
	if (t->unknown.n >= 64)   /* a hostile file cannot make this list grow without end */
		return;
	strvec_push(&t->unknown, codename);
	vdb_import_warn(t->im, "debian tracker: release '%s' is not a Debian release quench knows; "
			       "skipped", codename);
}

/* One release's state → a status (and fixed version). NULL: not readable. */
static const char *status_of(json_t *rel, const char *urgency, const char **fixed)
{
	const char *status = json_get_str(rel, "status");
	*fixed = NULL;
	if (!status)
		return NULL;
	if (!strcmp(status, "resolved")) {
		const char *fv = json_get_str(rel, "fixed_version");
		if (!fv || !*fv)
			return NULL;
		if (!strcmp(fv, "0"))
			return VDB_NOT_AFFECTED;
		*fixed = fv;
		return VDB_AFFECTED;
	}
	if (!strcmp(status, "undetermined"))
		return VDB_UNDETERMINED;
	if (strcmp(status, "open"))
		return NULL;
	if (urgency && !strcmp(urgency, "unimportant"))
		return VDB_UNIMPORTANT;
	if (urgency && !strcmp(urgency, "end-of-life"))
		return VDB_EOL;
	json_t *nodsa = json_object_get(rel, "nodsa");
	if (nodsa && !json_is_null(nodsa)) {
		const char *reason = json_get_str(rel, "nodsa_reason");
		if (reason && !strcmp(reason, "ignored"))
			return VDB_IGNORED;
		if (reason && !strcmp(reason, "postponed"))
			return VDB_POSTPONED;
		return VDB_NO_DSA;
	}
	return VDB_OPEN;
}

static int import_issue(struct tracker *t, const char *pkg, const char *id, json_t *issue,
			struct qerr *err)
{
	if (!json_is_object(issue)) {
		vdb_import_warn(t->im, "debian tracker: %s %s: not an object", pkg, id);
		return 0;
	}
	json_t *releases = json_object_get(issue, "releases");
	if (releases && !json_is_object(releases) &&
	    !(json_is_array(releases) && json_array_size(releases) == 0)) {
		vdb_import_warn(t->im, "debian tracker: %s %s: \"releases\" is not an object", pkg,
				id);
		return 0;
	}
	if (!strmap_get(&t->added, id, NULL)) {
		cleanup_free char *summary = summary_of(json_get_str(issue, "description"));
		struct vdb_advisory a = { .id = id, .summary = summary };
		if (vdb_add_advisory(t->im, &a, err) < 0)
			return -1;
		strvec_push(&t->ids, id);
		strmap_put(&t->added, t->ids.v[t->ids.n - 1], 1);
	}
	const char *codename;
	json_t *rel;
	json_object_foreach(json_is_object(releases) ? releases : NULL, codename, rel) {
		const char *eco = debian_ecosystem(codename);
		if (!eco) {
			warn_codename(t, codename);
			continue;
		}
		if (!json_is_object(rel)) {
			vdb_import_warn(t->im, "debian tracker: %s %s %s: not an object", pkg, id,
					codename);
			continue;
		}
		char ubuf[64];
		const char *urgency = clean_urgency(json_get_str(rel, "urgency"), ubuf, sizeof(ubuf));
		const char *fixed;
		const char *status = status_of(rel, urgency, &fixed);
		if (!status) {
			vdb_import_warn(t->im, "debian tracker: %s %s %s: no status quench reads "
					       "(\"status\" %s)",
					pkg, id, codename, json_get_str(rel, "status") ? "unknown"
										: "missing");
			continue;
		}
		struct vdb_affected f = { .advisory = id, .ecosystem = eco, .package = pkg,
					  .status = status, .fixed = fixed, .urgency = urgency };
		if (vdb_add_affected(t->im, &f, err) < 0)
			return -1;
	}
	return 0;
}

static int import_package(struct tracker *t, const char *pkg, json_t *issues, struct qerr *err)
{
	if (!*pkg) {
		vdb_import_warn(t->im, "debian tracker: a package without a name; skipped");
		return 0;
	}
	if (!json_is_object(issues)) {
		vdb_import_warn(t->im, "debian tracker: package '%s': not an object; skipped", pkg);
		return 0;
	}
	const char *id;
	json_t *issue;
	json_object_foreach(issues, id, issue) {
		if (!*id) {
			vdb_import_warn(t->im, "debian tracker: package '%s': an issue without an id",
					pkg);
			continue;
		}
		if (import_issue(t, pkg, id, issue, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- the top-level scanner ------------------------------------------------------ */

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Past a JSON string starting at s->p ('"'). false: unterminated. */
static bool skip_string(struct scan *s)
{
	for (s->p++; s->p < s->end; s->p++) {
		if (*s->p == '\\') {
			s->p++;
			continue;
		}
		if (*s->p == '"') {
			s->p++;
			return true;
		}
	}
	return false;
}

/* Past one JSON value: nesting is only counted here (jansson checks the
 * slice properly and bounds its depth). false: unterminated. */
static bool skip_value(struct scan *s)
{
	size_t depth = 0;
	while (s->p < s->end) {
		char c = *s->p;
		if (c == '"') {
			if (!skip_string(s))
				return false;
			if (depth == 0)
				return true;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return true;   /* the end of the enclosing object */
			if (--depth == 0) {
				s->p++;
				return true;
			}
		} else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\t' ||
					  c == '\r')) {
			return true;
		}
		s->p++;
	}
	return depth == 0;
}

static json_t *load_slice(const char *p, size_t n, json_error_t *je)
{
	return json_loadb(p, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, je);
}

static int scan_document(struct tracker *t, const char *path, const char *data, size_t len,
			 struct qerr *err)
{
	struct scan s = { data, data + len };
	skip_ws(&s);
	if (s.p == s.end || *s.p != '{')
		return q_error(err, 0, "'%s': not Debian tracker JSON (not an object)", path);
	s.p++;
	for (size_t i = 0;; i++) {
		skip_ws(&s);
		if (s.p < s.end && *s.p == '}' && i == 0)
			break;
		if (s.p == s.end || *s.p != '"')
			return q_error(err, 0, "'%s': invalid JSON at byte %zu: expected a package name",
				       path, (size_t)(s.p - data));
		const char *k = s.p;
		if (!skip_string(&s))
			return q_error(err, 0, "'%s': truncated JSON (a package name)", path);
		json_error_t je;
		json_t *key = load_slice(k, (size_t)(s.p - k), &je);
		skip_ws(&s);
		if (s.p == s.end || *s.p != ':') {
			json_decref(key);
			return q_error(err, 0, "'%s': invalid JSON at byte %zu: expected ':'", path,
				       (size_t)(s.p - data));
		}
		s.p++;
		skip_ws(&s);
		const char *v = s.p;
		if (!skip_value(&s) || s.p == v) {
			json_decref(key);
			return q_error(err, 0, "'%s': truncated JSON (package %zu)", path, i + 1);
		}
		json_t *val = key ? load_slice(v, (size_t)(s.p - v), &je) : NULL;
		int rc = 0;
		if (!key || !json_is_string(key))
			vdb_import_warn(t->im, "debian tracker: package %zu: invalid name", i + 1);
		else if (!val)
			vdb_import_warn(t->im, "debian tracker: package '%s': invalid JSON: %s",
					json_string_value(key), je.text);
		else
			rc = import_package(t, json_string_value(key), val, err);
		json_decref(key);
		json_decref(val);
		if (rc < 0)
			return -1;
		skip_ws(&s);
		if (s.p < s.end && *s.p == ',') {
			s.p++;
			continue;
		}
		if (s.p < s.end && *s.p == '}')
			break;
		return q_error(err, 0, "'%s': %s JSON after package %zu", path,
			       s.p == s.end ? "truncated" : "invalid", i + 1);
	}
	s.p++;
	skip_ws(&s);
	if (s.p != s.end)
		return q_error(err, 0, "'%s': invalid JSON: data after the document", path);
	return 0;
}

int import_debian_tracker(struct vdb_import *im, const char *path, struct qerr *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	if (read_file_at(AT_FDCWD, path, IMPORT_MAX_DOC, &data, &len, err) < 0)
		return -1;
	struct tracker t = { .im = im, .unknown = STRVEC_INIT, .ids = STRVEC_INIT,
			     .added = STRMAP_INIT };
	int rc = scan_document(&t, path, data, len, err);
	strvec_clear(&t.unknown);
	strmap_release(&t.added);
	strvec_clear(&t.ids);
	return rc;
}
