/* Which findings the workload can reach: a finding's package is
 * "reachable" when the runtime profile (the RBOM) shows its code ran — one
 * of its files executed, loaded as a library, or read when that file is
 * code an interpreter loads by reading it (Python, JavaScript, Ruby, Perl,
 * shell, Java, …, or anything in a bin directory, which an interpreter may
 * be given by path) — and "present" when it ships in the image but none of
 * its code ran. A data file read (a locale, a config file, certificates)
 * does not run its package's code: the code that parsed it belongs to a
 * package that is reachable in its own right. */
#include "report/report.h"

#include <string.h>

/* Would reading path load code? Its suffix or its directory says so. */
static bool code_file(const char *path)
{
	static const char *const suffixes[] = {
		".py", ".pyc", ".pyo", ".pyw", ".js", ".mjs", ".cjs", ".rb", ".pl", ".pm",
		".php", ".lua", ".tcl", ".sh", ".bash", ".jar", ".class", ".war", ".R", ".jl",
	};
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strstr(base, ".so") && (str_ends_with(base, ".so") || strstr(base, ".so.")))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
		if (str_ends_with(base, suffixes[i]))
			return true;
	return strstr(path, "/bin/") || strstr(path, "/sbin/") || strstr(path, "/libexec/");
}

static bool loaded_use(json_t *uses, const char *path, const char **which)
{
	static const char *const order[] = { "exec", "library", "read" };
	for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
		size_t i;
		json_t *u;
		json_array_foreach(uses, i, u)
			if (json_is_string(u) && !strcmp(json_string_value(u), order[k]) &&
			    (k < 2 || code_file(path))) {
				*which = order[k];
				return true;
			}
	}
	return false;
}

/* purl → the strongest evidence among its files: executed beats loaded
 * beats read ("executed /usr/bin/python3.11"). */
struct evidence {
	struct strmap index;       /* purl → i */
	struct strvec purls, text;
	size_t *rank, cap;
};

static void note(struct evidence *e, const char *purl, size_t rank, const char *path)
{
	static const char *const verbs[] = { "executed", "loaded", "read" };
	size_t at;
	if (!strmap_get(&e->index, purl, &at)) {
		strvec_push(&e->purls, purl);
		strvec_take(&e->text, xasprintf("%s %s", verbs[rank], path));
		e->rank = xgrow(e->rank, &e->cap, e->text.n, sizeof(*e->rank));
		e->rank[e->text.n - 1] = rank;
		strmap_put(&e->index, e->purls.v[e->purls.n - 1], e->text.n - 1);
	} else if (rank < e->rank[at]) {
		free(e->text.v[at]);
		e->text.v[at] = xasprintf("%s %s", verbs[rank], path);
		e->rank[at] = rank;
	}
}

static void index_evidence(json_t *rbom, struct evidence *e)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_get_arr(rbom, "files"), i, f) {
		const char *purl = json_get_str(f, "package"), *path = json_get_str(f, "path"), *use;
		if (!purl || !path || !loaded_use(json_get_arr(f, "uses"), path, &use))
			continue;
		size_t rank = !strcmp(use, "exec") ? 0 : !strcmp(use, "library") ? 1 : 2;
		note(e, purl, rank, path);
	}
}

static void classify(struct vuln_finding *f, const struct catalog *c, const struct evidence *e)
{
	const char *purl = f->pkg < c->n_pkgs ? c->pkgs[f->pkg].purl : NULL;
	size_t at;
	free(f->reach_evidence);
	f->reach_evidence = NULL;
	if (purl && strmap_get(&e->index, purl, &at)) {
		f->reach = "reachable";
		f->reach_evidence = xstrdup(e->text.v[at]);
	} else {
		f->reach = "present";
	}
}

int report_reachability(json_t *rbom, const struct catalog *c, const char *manifest_digest,
			struct vuln_report *r, struct qerr *err)
{
	const char *profiled = json_get_str(json_get_obj(rbom, "image"), "manifestDigest");
	if (manifest_digest && profiled && strcmp(manifest_digest, profiled))
		return q_error(err, 0, "the RBOM profiles image %s, not the scanned %s", profiled,
			       manifest_digest);
	struct evidence e = { .index = STRMAP_INIT, .purls = STRVEC_INIT, .text = STRVEC_INIT };
	index_evidence(rbom, &e);
	for (size_t i = 0; i < r->n; i++)
		classify(&r->v[i], c, &e);
	for (size_t i = 0; i < r->n_suppressed; i++)
		classify(&r->suppressed[i], c, &e);
	strmap_release(&e.index);
	strvec_clear(&e.purls);
	strvec_clear(&e.text);
	free(e.rank);
	return 0;
}

void report_mark_removed(struct vuln_report *r, const struct catalog *c,
			 const struct catalog *hardened)
{
	struct strmap there = STRMAP_INIT;
	for (size_t i = 0; i < hardened->n_pkgs; i++)
		if (hardened->pkgs[i].purl)
			strmap_put(&there, hardened->pkgs[i].purl, i);
	for (size_t i = 0; i < r->n; i++) {
		struct vuln_finding *f = &r->v[i];
		const char *purl = f->pkg < c->n_pkgs ? c->pkgs[f->pkg].purl : NULL;
		size_t at;
		if (purl && !strmap_get(&there, purl, &at)) {
			f->reach = "removed";
			free(f->reach_evidence);
			f->reach_evidence = NULL;
		}
	}
	strmap_release(&there);
}
