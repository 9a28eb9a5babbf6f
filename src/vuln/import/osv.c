/* OSV records (https://ossf.github.io/osv-schema/), JSON or YAML, one per
 * file, a directory tree of them or a .zip of them (osv.dev's all.zip).
 *
 * YAML is converted to the same JSON model (jansson) first, so one code
 * path reads both. A record is checked whole before anything is added: a
 * bad one (a wrong type, a missing id, an empty range, a list over its
 * bound) is one warning and no rows at all. Withdrawn records are skipped.
 *
 * Rows: each ECOSYSTEM or SEMVER range's events, in order, become
 * [introduced, fixed) or [introduced, last_affected] rows (a "limit" closes
 * a range like "fixed"; "introduced": "0" is NULL); GIT ranges are skipped
 * (we have no commits); each explicit "versions" entry is one row. PyPI
 * names are normalized (PEP 503); other names and every ecosystem stay as
 * OSV writes them.
 *
 * Threats: every input is hostile. Strings are bounded and may not hold
 * control characters where they become keys (ids, names, versions); lists
 * are bounded; YAML aliases are refused (no expansion bombs) and nesting
 * is bounded; directory walks never follow a symbolic link and hold the
 * directory open while reading from it, so nothing outside the tree is
 * read.
 */
#include "import_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libfyaml.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OSV_MAX_ID 256            /* bytes of an id or alias */
#define OSV_MAX_TOKEN 1024        /* bytes of an ecosystem, package name, version, time */
#define OSV_MAX_EVENTS 4096       /* events in one range (the real maximum is ~30) */
#define OSV_MAX_LIST 100000       /* entries in affected, ranges, versions, aliases */
#define OSV_MAX_ROWS 200000       /* affected rows from one record */
#define OSV_SUMMARY_CHARS 500     /* code points kept of a summary */
#define OSV_DIR_DEPTH 32          /* directory levels walked */
#define OSV_MAX_FILES 4000000     /* records in one tree or archive */
#define YAML_MAX_DEPTH 64         /* nesting of a YAML record */
#define YAML_MAX_NODES (8u << 20) /* nodes of a YAML record */

/* ---- checking a record ---------------------------------------------------------- */

/* What one record adds: pointers into its JSON, which outlives the plan. */
struct osv_plan {
	struct vdb_advisory adv;
	char *aliases, *summary;
	struct vdb_affected *rows;
	size_t n, cap;
	struct strvec names;      /* normalized package names the rows point to */
};

static void plan_release(struct osv_plan *p)
{
	free(p->aliases);
	free(p->summary);
	free(p->rows);
	strvec_clear(&p->names);
}

/* A string that becomes a key: non-empty, bounded, no control characters
 * (jansson has already refused invalid UTF-8 and NUL). */
static bool token_ok(const char *s, size_t max)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
		if (*p < 0x20 || *p == 0x7f || n >= max)
			return false;
	return n > 0;
}

/* An optional string member: absent or null → NULL (ok); another type → error. */
static int opt_str(json_t *o, const char *key, const char **out, struct qerr *why,
		   const char *where)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return q_error(why, 0, "%s%s is not a string", where, key);
	*out = json_string_value(v);
	return 0;
}

/* An optional array member, at most OSV_MAX_LIST long (or max). */
static int opt_arr(json_t *o, const char *key, size_t max, json_t **out, struct qerr *why,
		   const char *where)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return q_error(why, 0, "%s%s is not an array", where, key);
	if (json_array_size(v) > max)
		return q_error(why, 0, "%s%s has %zu entries, over the limit of %zu", where, key,
			       json_array_size(v), max);
	*out = v;
	return 0;
}

/* The first line of s, leading blanks dropped, at most OSV_SUMMARY_CHARS
 * code points (s is valid UTF-8). */
static char *first_line(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t n = 0, chars = 0;
	while (s[n] && s[n] != '\n' && s[n] != '\r') {
		if (((unsigned char)s[n] & 0xc0) != 0x80 && chars++ == OSV_SUMMARY_CHARS)
			break;
		n++;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n ? xstrndup(s, n) : NULL;
}

static void plan_row(struct osv_plan *p, const struct vdb_affected *row)
{
	p->rows = xgrow(p->rows, &p->cap, p->n + 1, sizeof(*p->rows));
	p->rows[p->n++] = *row;
}

/* One range's events, in order: introduced opens an interval (a second one
 * while open changes nothing), fixed / limit / last_affected closes it; one
 * still open at the end has no fix. */
static int plan_events(struct osv_plan *p, struct vdb_affected row, json_t *events,
		       struct qerr *why, const char *where)
{
	static const char *const kinds[] = { "introduced", "fixed", "last_affected", "limit" };
	const char *introduced = NULL;
	bool open = false, seen_introduced = false;
	size_t i;
	json_t *e;
	if (!json_array_size(events))
		return q_error(why, 0, "%sevents is empty", where);
	json_array_foreach(events, i, e) {
		if (!json_is_object(e))
			return q_error(why, 0, "%sevents[%zu] is not an object", where, i);
		const char *v = NULL;
		int kind = -1;
		for (int k = 0; k < 4; k++) {
			json_t *x = json_object_get(e, kinds[k]);
			if (!x)
				continue;
			if (kind >= 0)
				return q_error(why, 0, "%sevents[%zu] has both %s and %s", where, i,
					       kinds[kind], kinds[k]);
			if (!json_is_string(x) || !token_ok(json_string_value(x), OSV_MAX_TOKEN))
				return q_error(why, 0, "%sevents[%zu].%s is not a version", where,
					       i, kinds[k]);
			kind = k;
			v = json_string_value(x);
		}
		if (kind < 0)
			return q_error(why, 0, "%sevents[%zu] has no introduced, fixed, "
					       "last_affected or limit", where, i);
		if (kind == 0) {
			seen_introduced = true;
			if (!open)
				introduced = strcmp(v, "0") ? v : NULL;
			open = true;
			continue;
		}
		if (!open)
			continue;
		row.introduced = introduced;
		row.fixed = kind == 2 ? NULL : v;
		row.last_affected = kind == 2 ? v : NULL;
		plan_row(p, &row);
		open = false;
	}
	if (!seen_introduced)
		return q_error(why, 0, "%sevents has no introduced", where);
	if (open) {
		row.introduced = introduced;
		row.fixed = row.last_affected = NULL;
		plan_row(p, &row);
	}
	return 0;
}

static int plan_affected(struct osv_plan *p, json_t *aff, size_t ai, struct qerr *why)
{
	char where[160];
	snprintf(where, sizeof(where), "affected[%zu].", ai);
	if (!json_is_object(aff))
		return q_error(why, 0, "affected[%zu] is not an object", ai);
	json_t *pkg = json_object_get(aff, "package");
	if (!pkg || json_is_null(pkg))
		return 0;   /* allowed with GIT ranges only: nothing for us */
	if (!json_is_object(pkg))
		return q_error(why, 0, "%spackage is not an object", where);
	const char *eco = json_get_str(pkg, "ecosystem"), *name = json_get_str(pkg, "name");
	if (!eco || !token_ok(eco, OSV_MAX_TOKEN))
		return q_error(why, 0, "%spackage.ecosystem is missing or not a name", where);
	if (!name || !token_ok(name, OSV_MAX_TOKEN))
		return q_error(why, 0, "%spackage.name is missing or not a name", where);
	if (!strcmp(eco, "PyPI"))
		strvec_take(&p->names, pep503_name(name));
	else
		strvec_push(&p->names, name);
	struct vdb_affected row = { .advisory = p->adv.id, .ecosystem = eco,
				    .package = p->names.v[p->names.n - 1],
				    .status = VDB_AFFECTED };
	json_t *ranges, *versions, *r, *v;
	size_t i;
	if (opt_arr(aff, "ranges", OSV_MAX_LIST, &ranges, why, where) < 0 ||
	    opt_arr(aff, "versions", OSV_MAX_LIST, &versions, why, where) < 0)
		return -1;
	json_array_foreach(ranges, i, r) {
		char rwhere[200];
		snprintf(rwhere, sizeof(rwhere), "%sranges[%zu].", where, i);
		const char *type;
		json_t *events;
		if (!json_is_object(r))
			return q_error(why, 0, "%sranges[%zu] is not an object", where, i);
		if (opt_str(r, "type", &type, why, rwhere) < 0)
			return -1;
		if (!type)
			return q_error(why, 0, "%stype is missing", rwhere);
		if (strcmp(type, "ECOSYSTEM") && strcmp(type, "SEMVER"))
			continue;   /* GIT: commits, which we cannot match */
		if (opt_arr(r, "events", OSV_MAX_EVENTS, &events, why, rwhere) < 0 ||
		    plan_events(p, row, events, why, rwhere) < 0)
			return -1;
	}
	json_array_foreach(versions, i, v) {
		if (!json_is_string(v) || !token_ok(json_string_value(v), OSV_MAX_TOKEN))
			return q_error(why, 0, "%sversions[%zu] is not a version", where, i);
		row.version = json_string_value(v);
		plan_row(p, &row);
	}
	return 0;
}

/* Read a record into a plan; 1 when it is to be skipped silently
 * (withdrawn), -1 with the reason in why when it is bad. */
static int plan_record(struct osv_plan *p, json_t *rec, struct qerr *why)
{
	struct vdb_advisory *a = &p->adv;
	if (!json_is_object(rec))
		return q_error(why, 0, "not an OSV record (not an object)");
	if (opt_str(rec, "id", &a->id, why, "") < 0)
		return -1;
	if (!a->id || !token_ok(a->id, OSV_MAX_ID))
		return q_error(why, 0, "not an OSV record (no valid id)");
	json_t *w = json_object_get(rec, "withdrawn");
	if (w && !json_is_null(w))
		return 1;
	const char *summary, *details;
	json_t *aliases, *severity, *affected, *x;
	size_t i;
	if (opt_str(rec, "modified", &a->modified, why, "") < 0 ||
	    opt_str(rec, "published", &a->published, why, "") < 0 ||
	    opt_str(rec, "summary", &summary, why, "") < 0 ||
	    opt_str(rec, "details", &details, why, "") < 0 ||
	    opt_arr(rec, "aliases", OSV_MAX_LIST, &aliases, why, "") < 0 ||
	    opt_arr(rec, "severity", OSV_MAX_LIST, &severity, why, "") < 0 ||
	    opt_arr(rec, "affected", OSV_MAX_LIST, &affected, why, "") < 0)
		return -1;
	if ((a->modified && !token_ok(a->modified, OSV_MAX_TOKEN)) ||
	    (a->published && !token_ok(a->published, OSV_MAX_TOKEN)))
		return q_error(why, 0, "modified or published is not a time");

	struct strbuf sb = STRBUF_INIT;
	json_array_foreach(aliases, i, x) {
		if (!json_is_string(x) || !token_ok(json_string_value(x), OSV_MAX_ID) ||
		    strchr(json_string_value(x), ' ')) {
			strbuf_release(&sb);
			return q_error(why, 0, "aliases[%zu] is not an id", i);
		}
		if (sb.len)
			strbuf_addc(&sb, ' ');
		strbuf_adds(&sb, json_string_value(x));
	}
	p->aliases = sb.buf ? strbuf_detach(&sb) : NULL;
	a->aliases = p->aliases;

	p->summary = summary ? first_line(summary) : NULL;
	if (!p->summary && details)
		p->summary = first_line(details);
	a->summary = p->summary;

	json_array_foreach(severity, i, x) {
		const char *type, *score;
		char where[48];
		snprintf(where, sizeof(where), "severity[%zu].", i);
		if (!json_is_object(x))
			return q_error(why, 0, "severity[%zu] is not an object", i);
		if (opt_str(x, "type", &type, why, where) < 0 ||
		    opt_str(x, "score", &score, why, where) < 0)
			return -1;
		if (!type || !score || !token_ok(score, OSV_MAX_TOKEN))
			continue;
		if (!strcmp(type, "CVSS_V3") && !a->cvss_v3 && str_starts_with(score, "CVSS:3."))
			a->cvss_v3 = score;
		else if (!strcmp(type, "CVSS_V4") && !a->cvss_v4 && str_starts_with(score, "CVSS:4."))
			a->cvss_v4 = score;
	}
	/* database_specific is free-form: only a string severity is taken. */
	const char *sev = json_get_str(json_get_obj(rec, "database_specific"), "severity");
	a->severity = sev && token_ok(sev, OSV_MAX_TOKEN) ? sev : NULL;

	json_array_foreach(affected, i, x) {
		if (plan_affected(p, x, i, why) < 0)
			return -1;
		if (p->n > OSV_MAX_ROWS)
			return q_error(why, 0, "more than %d affected rows", OSV_MAX_ROWS);
	}
	return 0;
}

/* ---- YAML → the JSON model ------------------------------------------------------- */

static bool plain_is(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && !memcmp(s, *words, n))
			return true;
	return false;
}

/* A scalar: quoted ones are strings; plain null / true / false are those;
 * every other plain scalar is a string as written (so a version "1.10"
 * stays "1.10", never the float 1.1). */
static json_t *yaml_scalar(struct fy_node *n, struct qerr *why)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	size_t len = 0;
	const char *s = n ? fy_node_get_scalar(n, &len) : "";
	if (!s)
		s = "";
	if (!n || fy_node_get_style(n) == FYNS_PLAIN) {
		if (plain_is(s, len, nulls))
			return json_null();
		if (plain_is(s, len, trues))
			return json_true();
		if (plain_is(s, len, falses))
			return json_false();
	}
	json_t *j = memchr(s, '\0', len) ? NULL : json_stringn(s, len);
	if (!j)
		q_error(why, 0, "YAML: a string with NUL or invalid UTF-8");
	return j;
}

static json_t *yaml_node(struct fy_node *n, int depth, size_t *nodes, struct qerr *why)
{
	if (depth > YAML_MAX_DEPTH)
		return q_error(why, 0, "YAML: nested deeper than %d", YAML_MAX_DEPTH), NULL;
	if (++*nodes > YAML_MAX_NODES)
		return q_error(why, 0, "YAML: more than %u nodes", YAML_MAX_NODES), NULL;
	if (n && fy_node_is_alias(n))
		return q_error(why, 0, "YAML: aliases are not allowed in a record"), NULL;
	void *it = NULL;
	switch (n ? fy_node_get_type(n) : FYNT_SCALAR) {
	case FYNT_SCALAR:
		return yaml_scalar(n, why);
	case FYNT_SEQUENCE: {
		json_t *a = json_array();
		struct fy_node *item;
		while ((item = fy_node_sequence_iterate(n, &it))) {
			json_t *v = yaml_node(item, depth + 1, nodes, why);
			if (!v || json_array_append_new(a, v) < 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	case FYNT_MAPPING: {
		json_t *o = json_object();
		struct fy_node_pair *pair;
		while ((pair = fy_node_mapping_iterate(n, &it))) {
			struct fy_node *k = fy_node_pair_key(pair);
			size_t klen = 0;
			const char *key = k && fy_node_is_scalar(k) && !fy_node_is_alias(k)
						  ? fy_node_get_scalar(k, &klen) : NULL;
			if (!key || memchr(key, '\0', klen)) {
				json_decref(o);
				return q_error(why, 0, "YAML: a mapping key that is not a string"), NULL;
			}
			cleanup_free char *kz = xstrndup(key, klen);
			if (json_object_get(o, kz)) {
				json_decref(o);
				return q_error(why, 0, "YAML: a duplicate key"), NULL;
			}
			json_t *v = yaml_node(fy_node_pair_value(pair), depth + 1, nodes, why);
			if (!v) {
				json_decref(o);
				return NULL;
			}
			if (json_object_set_new(o, kz, v) < 0) {   /* invalid UTF-8 */
				json_decref(o);
				return q_error(why, 0, "YAML: a key that is not UTF-8"), NULL;
			}
		}
		return o;
	}
	}
	return q_error(why, 0, "YAML: unknown node type"), NULL;
}

/* Why the text cannot go to libfyaml, or NULL. YAML's character set (1.2,
 * 5.1): strict UTF-8 (no overlong forms, surrogates or code points over
 * U+10FFFF), no C0 control but TAB, LF and CR, no DEL. libfyaml 0.7.12
 * loops forever on some invalid UTF-8 ("%\xe1"), and leaks a buffer on
 * runs of escaped quotes in a single-quoted scalar ('x''''''''x'): runs of
 * four quotes or more, which no real record has, are refused too. */
static const char *yaml_text_bad(const unsigned char *s, size_t n)
{
	size_t i = 0, quotes = 0;
	while (i < n) {
		unsigned c = s[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				return "a control character";
			quotes = c == '\'' ? quotes + 1 : 0;
			if (quotes >= 4)
				return "a run of quotes";
			i++;
			continue;
		}
		quotes = 0;
		size_t k = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2
			 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
		if (!k || n - i <= k)
			return "not UTF-8";
		unsigned lo = 0x80, hi = 0xbf;   /* the second byte's range */
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return "not UTF-8";
		for (size_t j = 2; j <= k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return "not UTF-8";
		i += k + 1;
	}
	return NULL;
}

/* libfyaml's diagnostics, kept (the first line, bounded) for the warning
 * instead of going to stderr. */
static void yaml_diag(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	struct strbuf *sb = user;
	if (sb->len < 200)
		strbuf_add(sb, buf, len < 200 ? len : 200);
}

static json_t *yaml_parse(const char *data, size_t len, struct qerr *why)
{
	if (len > IMPORT_MAX_DOC)
		return q_error(why, 0, "%zu bytes is over the limit", len), NULL;
	const char *bad = yaml_text_bad((const unsigned char *)data, len);
	if (bad)
		return q_error(why, 0, "invalid YAML: %s", bad), NULL;
	struct strbuf msg = STRBUF_INIT;
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = yaml_diag;
	dcfg.user = &msg;
	dcfg.colorize = false;
	dcfg.show_source = false;
	dcfg.show_type = false;
	dcfg.show_module = false;
	struct fy_diag *diag = fy_diag_create(&dcfg);
	/* The default depth limit stays on; documents are not resolved, so
	 * aliases reach yaml_node, which refuses them. */
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET | FYPCF_JSON_NONE, .diag = diag };
	struct fy_document *doc = diag ? fy_document_build_from_string(&cfg, data, len) : NULL;
	json_t *j = NULL;
	if (!doc) {
		/* "<memory-@0x…>:3:1: error: …": the address part goes. */
		const char *m = strbuf_str(&msg), *p = strstr(m, ">:");
		m = p ? p + 2 : m;
		q_error(why, 0, "invalid YAML: %.*s", (int)strcspn(m, "\n"), m);
	} else if (!fy_document_root(doc)) {
		q_error(why, 0, "empty YAML document");
	} else {
		size_t nodes = 0;
		j = yaml_node(fy_document_root(doc), 0, &nodes, why);
	}
	fy_document_destroy(doc);
	if (diag)
		fy_diag_destroy(diag);
	strbuf_release(&msg);
	return j;
}

/* ---- one record ----------------------------------------------------------------- */

/* Ids already imported in this run (a directory or an archive). */
struct osv_seen {
	struct strmap map;
	struct strvec ids;   /* owns the map's keys */
};

static void seen_release(struct osv_seen *s)
{
	strmap_release(&s->map);
	strvec_clear(&s->ids);
}

static int osv_record(struct vdb_import *im, const char *name, const char *data, size_t len,
		      bool yaml, struct osv_seen *seen, struct qerr *err)
{
	struct qerr why = QERR_INIT;
	json_t *rec = yaml ? yaml_parse(data, len, &why)
			   : json_parse_bounded(data, len, IMPORT_MAX_DOC, "JSON", &why);
	if (!rec) {
		vdb_import_warn(im, "%s: %s", name, why.msg);
		return 0;
	}
	struct osv_plan p = { 0 };
	int rc = plan_record(&p, rec, &why);
	if (rc < 0) {
		vdb_import_warn(im, "%s: %s", name, why.msg);
		rc = 0;
	} else if (rc == 0 && seen && strmap_get(&seen->map, p.adv.id, NULL)) {
		vdb_import_warn(im, "%s: %s was already read from another file", name, p.adv.id);
	} else if (rc == 0) {
		if (seen) {
			strvec_push(&seen->ids, p.adv.id);
			strmap_put(&seen->map, seen->ids.v[seen->ids.n - 1], 1);
		}
		rc = vdb_add_advisory(im, &p.adv, err);
		for (size_t i = 0; rc == 0 && i < p.n; i++)
			rc = vdb_add_affected(im, &p.rows[i], err);
		if (rc < 0)
			q_error_wrap(err, "%s", name);
	} else {
		rc = 0;   /* withdrawn */
	}
	plan_release(&p);
	json_decref(rec);
	return rc;
}

int import_osv_record(struct vdb_import *im, const char *name, const char *data, size_t len,
		      bool yaml, struct qerr *err)
{
	return osv_record(im, name, data, len, yaml, NULL, err);
}

/* ---- trees and archives of records ---------------------------------------------- */

static bool record_name(const char *name, bool *yaml)
{
	*yaml = str_ends_with(name, ".yaml") || str_ends_with(name, ".yml");
	return *yaml || str_ends_with(name, ".json");
}

struct osv_walk {
	struct vdb_import *im;
	struct osv_seen seen;
	size_t files;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_file(struct osv_walk *w, int dfd, const char *name, const char *path, bool yaml,
		     struct qerr *err)
{
	/* O_NOFOLLOW: a link swapped in after the listing is refused, not
	 * followed; O_NONBLOCK: a FIFO cannot stall us before fstat says so. */
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		vdb_import_warn(w->im, "%s: not a readable regular file", path);
		return 0;
	}
	if ((uint64_t)st.st_size > IMPORT_MAX_DOC) {
		vdb_import_warn(w->im, "%s: larger than %u bytes, skipped", path, IMPORT_MAX_DOC);
		return 0;
	}
	char *data;
	size_t len;
	struct qerr rerr = QERR_INIT;
	if (read_fd_all(fd, path, IMPORT_MAX_DOC, &data, &len, &rerr) < 0) {
		vdb_import_warn(w->im, "%s", rerr.msg);
		return 0;
	}
	int rc = osv_record(w->im, path, data, len, yaml, &w->seen, err);
	free(data);
	return rc;
}

/* The entries of the directory dfd (named path), sorted by name, files read
 * and subdirectories walked in that order. Links are neither followed nor
 * read. */
static int walk_dir(struct osv_walk *w, int dfd, const char *path, int depth, struct qerr *err)
{
	int dup_fd = dup(dfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		vdb_import_warn(w->im, "%s: cannot be read: %s", path, strerror(errno));
		return 0;
	}
	struct strvec names = STRVEC_INIT;
	struct dirent *de;
	while ((de = readdir(d)) && names.n < OSV_MAX_FILES)
		if (de->d_name[0] != '.')   /* ".", "..", and hidden files (.git) */
			strvec_push(&names, de->d_name);
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_names);
	int rc = 0;
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		const char *name = names.v[i];
		cleanup_free char *sub = xasprintf("%s/%s", path, name);
		struct stat st;
		bool yaml;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth >= OSV_DIR_DEPTH) {
				vdb_import_warn(w->im, "%s: deeper than %d levels, skipped", sub,
						OSV_DIR_DEPTH);
				continue;
			}
			cleanup_close int sfd =
				openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd < 0) {
				vdb_import_warn(w->im, "%s: cannot be read: %s", sub, strerror(errno));
				continue;
			}
			rc = walk_dir(w, sfd, sub, depth + 1, err);
		} else if (S_ISREG(st.st_mode) && record_name(name, &yaml)) {
			if (++w->files > OSV_MAX_FILES) {
				rc = q_error(err, 0, "'%s': more than %d records", path, OSV_MAX_FILES);
				break;
			}
			rc = walk_file(w, dfd, name, sub, yaml, err);
		}
	}
	strvec_clear(&names);
	return rc;
}

int import_osv_dir(struct vdb_import *im, const char *path, struct qerr *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return q_error(err, errno, "open '%s'", path);
	struct osv_walk w = { .im = im };
	int rc = walk_dir(&w, fd, path, 0, err);
	seen_release(&w.seen);
	return rc;
}

/* The current zip member, at most IMPORT_MAX_DOC bytes: 0 read, 1 too large,
 * -1 a broken archive. */
static int read_member(struct archive *a, char **data, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	la_ssize_t n;
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		if (sb.len + (size_t)n > IMPORT_MAX_DOC) {
			strbuf_release(&sb);
			return 1;
		}
		strbuf_add(&sb, buf, (size_t)n);
	}
	if (n < 0) {
		strbuf_release(&sb);
		return -1;
	}
	*len = sb.len;
	*data = sb.buf ? strbuf_detach(&sb) : xstrdup("");
	return 0;
}

int import_osv_zip(struct vdb_import *im, const char *path, struct qerr *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		q_error(err, 0, "'%s': %s", path, archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	struct osv_seen seen = { 0 };
	struct archive_entry *e;
	size_t files = 0;
	int rc = 0, r = ARCHIVE_OK;
	while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		bool yaml;
		if (!name || archive_entry_filetype(e) != AE_IFREG || !record_name(name, &yaml))
			continue;
		if (++files > OSV_MAX_FILES) {
			rc = q_error(err, 0, "'%s': more than %d records", path, OSV_MAX_FILES);
			break;
		}
		cleanup_free char *label = xasprintf("%s:%s", path, name);
		if (archive_entry_size_is_set(e) && archive_entry_size(e) > (int64_t)IMPORT_MAX_DOC) {
			vdb_import_warn(im, "%s: larger than %u bytes, skipped", label, IMPORT_MAX_DOC);
			continue;
		}
		char *data;
		size_t len;
		int m = read_member(a, &data, &len);
		if (m > 0) {
			vdb_import_warn(im, "%s: larger than %u bytes, skipped", label, IMPORT_MAX_DOC);
			continue;
		}
		if (m < 0) {
			rc = q_error(err, 0, "'%s': %s: %s", path, name, archive_error_string(a));
			break;
		}
		rc = osv_record(im, label, data, len, yaml, &seen, err);
		free(data);
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = q_error(err, 0, "'%s': %s", path, archive_error_string(a));
	archive_read_free(a);
	seen_release(&seen);
	return rc;
}
