/* The hardening report (quench-harden/1) read back: checked field by field,
 * and the summary table `quench harden` prints and `quench report --format
 * table` writes. The document is untrusted (a file anyone can hand us):
 * every getter here takes any JSON, and strings are printed with their
 * control characters replaced, so a package name cannot drive a terminal. */
#include "report/report_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- checking --------------------------------------------------------------------------------- */

enum field_type { F_STR, F_COUNT, F_STRS, F_COUNT_OR_LIST, F_OBJ };

struct field {
	const char *key;
	enum field_type type;
};

static const struct field top_fields[] = {
	{ "source", F_OBJ }, { "hardened", F_OBJ }, { "dropped", F_OBJ },
	{ "rootNeededFor", F_STR }, { "validation", F_STR }, { "findings", F_OBJ },
};
static const struct field image_fields[] = {
	{ "image", F_STR }, { "manifestDigest", F_STR }, { "files", F_COUNT },
	{ "symlinks", F_COUNT }, { "bytes", F_COUNT }, { "packages", F_COUNT },
	{ "executables", F_COUNT_OR_LIST }, { "shells", F_STRS }, { "packageManagers", F_STRS },
	{ "setuidFiles", F_COUNT }, { "user", F_STR }, { "syscallsAllowed", F_COUNT },
	{ "seccompProfile", F_STR },
};
static const struct field dropped_fields[] = { { "setuidBits", F_COUNT }, { "deviceNodes", F_COUNT } };
static const struct field findings_fields[] = {
	{ "before", F_COUNT }, { "after", F_COUNT }, { "reachable", F_COUNT },
	{ "present", F_COUNT }, { "removed", F_COUNT },
};
static const struct field finding_fields[] = {
	{ "id", F_STR }, { "package", F_STR }, { "class", F_STR }, { "severity", F_STR },
	{ "evidence", F_STR },
};

static bool is_count(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

static bool all_strings(json_t *a)
{
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x)
		if (!json_is_string(x))
			return false;
	return true;
}

static bool type_ok(json_t *v, enum field_type t)
{
	switch (t) {
	case F_STR: return json_is_string(v);
	case F_COUNT: return is_count(v);
	case F_STRS: return json_is_array(v) && all_strings(v);
	case F_COUNT_OR_LIST: return is_count(v) || (json_is_array(v) && all_strings(v));
	case F_OBJ: return json_is_object(v);
	}
	return false;
}

static const char *type_name(enum field_type t)
{
	switch (t) {
	case F_STR: return "not a string";
	case F_COUNT: return "not a count (an integer, 0 or more)";
	case F_STRS: return "not a list of strings";
	case F_COUNT_OR_LIST: return "neither a count nor a list of strings";
	case F_OBJ: return "not an object";
	}
	return "of the wrong type";
}

/* Known fields of obj (at path, "" for the top) that are there and not
 * null must have their types; others are someone's later addition. */
static int check_fields(json_t *obj, const char *what, const char *path,
			const struct field *f, size_t n, struct qerr *err)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(obj, f[i].key);
		if (v && !json_is_null(v) && !type_ok(v, f[i].type))
			return q_error(err, 0, "%s: %s%s: %s", what, path, f[i].key,
				       type_name(f[i].type));
	}
	return 0;
}

static int check_findings(json_t *fs, const char *what, struct qerr *err)
{
	if (check_fields(fs, what, "findings.", findings_fields, ARRAY_SIZE(findings_fields), err) < 0)
		return -1;
	json_t *left = json_object_get(fs, "left");
	if (!left || json_is_null(left))
		return 0;
	if (!json_is_array(left))
		return q_error(err, 0, "%s: findings.left: not a list", what);
	size_t i;
	json_t *x;
	json_array_foreach(left, i, x) {
		char path[64];
		snprintf(path, sizeof(path), "findings.left[%zu].", i);
		if (!json_is_object(x))
			return q_error(err, 0, "%s: findings.left[%zu]: not an object", what, i);
		if (check_fields(x, what, path, finding_fields, ARRAY_SIZE(finding_fields), err) < 0)
			return -1;
	}
	return 0;
}

int report_harden_check(json_t *doc, const char *what, struct qerr *err)
{
	if (!json_is_object(doc))
		return q_error(err, 0, "%s: not a quench harden report (not a JSON object)", what);
	const char *schema = json_get_str(doc, "schema");
	if (!schema || strcmp(schema, REPORT_HARDEN_SCHEMA))
		return q_error(err, 0, "%s: schema '%s' is not " REPORT_HARDEN_SCHEMA
			       " (quench harden -o writes one)", what, schema ? schema : "(none)");
	if (check_fields(doc, what, "", top_fields, ARRAY_SIZE(top_fields), err) < 0 ||
	    check_fields(json_get_obj(doc, "source"), what, "source.", image_fields,
			 ARRAY_SIZE(image_fields), err) < 0 ||
	    check_fields(json_get_obj(doc, "hardened"), what, "hardened.", image_fields,
			 ARRAY_SIZE(image_fields), err) < 0 ||
	    check_fields(json_get_obj(doc, "dropped"), what, "dropped.", dropped_fields,
			 ARRAY_SIZE(dropped_fields), err) < 0)
		return -1;
	json_t *fs = json_get_obj(doc, "findings");
	return fs ? check_findings(fs, what, err) : 0;
}

/* ---- what the renderers share ----------------------------------------------------------------- */

const struct hr_row hr_rows[] = {
	{ "size", "bytes", HR_BYTES },
	{ "files", "files", HR_COUNT },
	{ "executables", "executables", HR_COUNT },
	{ "packages", "packages", HR_COUNT },
	{ "setuid files", "setuidFiles", HR_COUNT },
	{ "shells", "shells", HR_COUNT },
	{ "package managers", "packageManagers", HR_COUNT },
	{ "user", "user", HR_STR },
	{ "syscalls allowed", "syscallsAllowed", HR_COUNT },
	{ NULL, NULL, HR_COUNT },
};

/* Known keys of source and hardened that are no row of the summary. */
static const char *const not_rows[] = { "image", "manifestDigest", "symlinks", "seccompProfile" };

static bool hr_known_key(const char *key)
{
	for (const struct hr_row *r = hr_rows; r->key; r++)
		if (!strcmp(r->key, key))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(not_rows); i++)
		if (!strcmp(not_rows[i], key))
			return true;
	return false;
}

void hr_extra_keys(json_t *src, json_t *hard, struct strvec *keys)
{
	json_t *objs[2] = { src, hard };
	for (size_t k = 0; k < 2; k++) {
		const char *key;
		json_t *v;
		json_object_foreach(objs[k], key, v)
			if (!hr_known_key(key) && is_count(v) &&
			    !(k == 1 && is_count(json_object_get(src, key))))
				strvec_push(keys, key);
	}
}

long long hr_count(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (json_is_array(v))
		return (long long)json_array_size(v);
	return is_count(v) ? (long long)json_integer_value(v) : -1;
}

bool hr_row_present(const struct hr_row *r, json_t *src, json_t *hard)
{
	/* the executables came later: a row only where a report has them */
	if (strcmp(r->key, "executables"))
		return true;
	return json_object_get(src, r->key) || json_object_get(hard, r->key);
}

/* The class and severity of a finding left, as ranks (unknown words last). */
static int rank_of(const char *s, const char *const *words, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, words[i]))
			return (int)i;
	return (int)n;
}

static const char *const classes[] = { "reachable", "present" };

int hr_class_rank(json_t *f)
{
	return rank_of(json_get_str(f, "class"), classes, ARRAY_SIZE(classes));
}

const char *const hr_severities[HR_N_SEVERITIES] = { "critical", "high", "medium", "low", "none",
						     "unknown" };

int hr_severity_rank(json_t *f)
{
	int r = rank_of(json_get_str(f, "severity"), hr_severities, HR_N_SEVERITIES);
	return r < HR_N_SEVERITIES ? r : HR_N_SEVERITIES - 1;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Reachable first, then by severity, id, package, evidence: a total order
 * on what is shown, so the same document gives the same page. */
static int cmp_finding(const void *pa, const void *pb)
{
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	int d = hr_class_rank(a) - hr_class_rank(b);
	if (!d)
		d = hr_severity_rank(a) - hr_severity_rank(b);
	static const char *const keys[] = { "id", "package", "evidence", "class", "severity" };
	for (size_t i = 0; !d && i < ARRAY_SIZE(keys); i++)
		d = cmp_str(json_get_str(a, keys[i]), json_get_str(b, keys[i]));
	return d;
}

json_t **hr_findings_left(json_t *doc, size_t *n)
{
	json_t *left = json_get_arr(json_get_obj(doc, "findings"), "left");
	json_t **v = xcalloc(json_array_size(left) + 1, sizeof(*v));
	size_t i, k = 0;
	json_t *x;
	json_array_foreach(left, i, x)
		if (json_is_object(x))
			v[k++] = x;
	qsort(v, k, sizeof(*v), cmp_finding);
	*n = k;
	return v;
}

/* ---- the table -------------------------------------------------------------------------------- */

/* s with every control character as '?'; "-" for NULL. Caller frees. */
static char *tclean(const char *s)
{
	char *c = xstrdup(s ? s : "-");
	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return c;
}

/* A count as text; "-" when the report lacks it. */
const char *hr_count_text(long long n, const char *absent, char *buf, size_t len)
{
	if (n < 0)
		snprintf(buf, len, "%s", absent);
	else
		snprintf(buf, len, "%lld", n);
	return buf;
}

static const char *count_text(long long n, char *buf, size_t len)
{
	return hr_count_text(n, "-", buf, len);
}

static void cell(char *buf, size_t len, const struct hr_row *r, json_t *img, bool hardened)
{
	long long n = hr_count(img, r->key);
	if (r->kind == HR_STR) {
		cleanup_free char *c = tclean(json_get_str(img, r->key));
		snprintf(buf, len, "%s", c);
	} else if (n < 0 && !hardened && !strcmp(r->key, "syscallsAllowed")) {
		snprintf(buf, len, "all");   /* the source ran without a profile */
	} else if (r->kind == HR_BYTES && n >= 0) {
		human_size((uint64_t)n, buf, len);
	} else {
		count_text(n, buf, len);
	}
}

static void table_rows(FILE *f, json_t *s, json_t *h)
{
	char a[256], b[256];
	fprintf(f, "%-18s %18s %18s\n", "", "source", "hardened");
	for (const struct hr_row *r = hr_rows; r->key; r++) {
		if (!hr_row_present(r, s, h))
			continue;
		cell(a, sizeof(a), r, s, false);
		cell(b, sizeof(b), r, h, true);
		fprintf(f, "%-18s %18s %18s\n", r->label, a, b);
	}
	/* counts added to the report later than this table: shown by their key */
	struct strvec keys = STRVEC_INIT;
	hr_extra_keys(s, h, &keys);
	for (size_t i = 0; i < keys.n; i++) {
		cleanup_free char *label = tclean(keys.v[i]);
		fprintf(f, "%-18s %18s %18s\n", label, count_text(hr_count(s, keys.v[i]), a, sizeof(a)),
			count_text(hr_count(h, keys.v[i]), b, sizeof(b)));
	}
	strvec_clear(&keys);
}

static void table_findings(FILE *f, json_t *doc)
{
	size_t n;
	cleanup_free json_t **v = hr_findings_left(doc, &n);
	if (n)
		fprintf(f, "\n%-20s %-9s %-10s %-28s %s\n", "finding left", "severity", "class",
			"package", "evidence");
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *id = tclean(json_get_str(v[i], "id"));
		cleanup_free char *sev = tclean(json_get_str(v[i], "severity"));
		cleanup_free char *cls = tclean(json_get_str(v[i], "class"));
		cleanup_free char *pkg = tclean(json_get_str(v[i], "package"));
		cleanup_free char *ev = tclean(json_get_str(v[i], "evidence"));
		fprintf(f, "%-20s %-9s %-10s %-28s %s\n", id, sev, cls, pkg, ev);
	}
}

void report_harden_table(FILE *f, json_t *doc, unsigned flags)
{
	json_t *s = json_get_obj(doc, "source"), *h = json_get_obj(doc, "hardened");
	table_rows(f, s, h);
	json_t *fs = json_get_obj(doc, "findings");
	char n[5][32];
	static const char *const fkeys[5] = { "before", "after", "reachable", "present", "removed" };
	for (size_t i = 0; fs && i < 5; i++)
		count_text(hr_count(fs, fkeys[i]), n[i], sizeof(n[i]));
	if (fs)
		fprintf(f, "%-18s %18s %18s  (%s reachable, %s present, %s removed)\n", "findings",
			n[0], n[1], n[2], n[3], n[4]);
	cleanup_free char *val = tclean(json_get_str(doc, "validation"));
	cleanup_free char *digest = tclean(json_get_str(h, "manifestDigest"));
	fprintf(f, "validation: %s; image %s\n", val, digest);
	json_t *dv = json_get_obj(doc, "debugVariant");
	if (dv) {
		cleanup_free char *img = tclean(json_get_str(dv, "image"));
		cleanup_free char *d2 = tclean(json_get_str(dv, "manifestDigest"));
		fprintf(f, "debug variant (with /busybox): %s %s\n", img, d2);
	}
	if (!(flags & REPORT_TABLE_FULL))
		return;
	const char *why = json_get_str(doc, "rootNeededFor");
	if (why) {
		cleanup_free char *c = tclean(why);
		fprintf(f, "root kept: the workload needed it (%s)\n", c);
	}
	json_t *d = json_get_obj(doc, "dropped");
	if (d)
		fprintf(f, "dropped: %s setuid bits, %s device nodes\n",
			count_text(hr_count(d, "setuidBits"), n[0], sizeof(n[0])),
			count_text(hr_count(d, "deviceNodes"), n[1], sizeof(n[1])));
	if (!fs)
		fprintf(f, "findings: not in this report (harden ran without an advisory database)\n");
	else
		table_findings(f, doc);
}
