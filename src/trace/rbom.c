/* The RBOM (runtime bill of materials, docs/rbom.md): what a profiled
 * workload used, as JSON. Built from the tracer's report and the image's
 * catalog (every path mapped to the package that owns it); merged across
 * profiles; read back, checked, for the verbs that act on it.
 *
 * Deterministic for the same report: keys sorted by the writer, every list
 * sorted here.
 */
#include "trace/trace.h"
#include "catalog/catalog.h"

#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define RBOM_SCHEMA "quench-rbom/1"
#define RBOM_MAX_DOC (512u << 20)

static const char *const use_names[] = { "exec", "read", "write", "stat",
					 "missing", "error", "symlink", "library" };

static json_t *uses_json(unsigned uses)
{
	json_t *a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(use_names); i++)
		if (uses & (1u << i))
			json_array_append_new(a, json_string(use_names[i]));
	return a;
}

static unsigned uses_of(json_t *a)
{
	unsigned u = 0;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		for (size_t k = 0; k < ARRAY_SIZE(use_names); k++)
			if (json_is_string(v) && !strcmp(json_string_value(v), use_names[k]))
				u |= 1u << k;
	return u;
}

/* A traced program may name any bytes; jansson takes only UTF-8. */
static json_t *str(const char *s)
{
	return s ? json_string_lossy(s) : json_null();
}

static const char *injected_host(const struct rbom_run *run, const char *path)
{
	for (size_t i = 0; i < run->n_injected; i++)
		if (!strcmp(run->injected[i].path, path))
			return run->injected[i].host;
	return NULL;
}

static const struct cat_pkg *owner_of(const struct catalog *c, const char *path)
{
	while (*path == '/')
		path++;
	return c && *path ? catalog_owner(c, path) : NULL;
}

/* Per package: the uses of its files and how many were touched. */
struct pkg_use {
	unsigned uses;
	uint64_t files;
};

static json_t *files_json(const struct rbom_run *run, const struct tracer_report *r,
			  const struct catalog *c, struct pkg_use *pu)
{
	json_t *files = json_array();
	for (size_t i = 0; i < r->npaths; i++) {
		const struct tracer_path *p = &r->paths[i];
		json_t *f = json_pack("{s:o, s:o, s:I}", "path", str(p->path), "uses",
				      uses_json(p->uses), "count", (json_int_t)p->count);
		if (p->link_target)
			json_object_set_new(f, "linkTarget", str(p->link_target));
		const char *host = injected_host(run, p->path);
		const struct cat_pkg *o = host ? NULL : owner_of(c, p->path);
		if (host) {
			json_object_set_new(f, "injected", json_true());
			json_object_set_new(f, "host", str(host));
		} else if (o) {
			json_object_set_new(f, "package", str(o->purl ? o->purl : o->name));
			if (!(p->uses == TRACER_MISSING || p->uses == TRACER_ERROR)) {
				pu[o - c->pkgs].uses |= p->uses;
				pu[o - c->pkgs].files++;
			}
		}
		json_array_append_new(files, f);
	}
	return files;
}

static json_t *package_json(const struct cat_pkg *p, const struct pkg_use *u)
{
	json_t *j = json_pack("{s:s, s:o, s:o, s:o}", "type", pkg_type_name(p->type), "name",
			      str(p->name), "version", str(p->version), "purl", str(p->purl));
	if (u) {
		json_object_set_new(j, "uses", uses_json(u->uses));
		json_object_set_new(j, "files", json_integer((json_int_t)u->files));
	}
	return j;
}

static json_t *packages_json(const struct catalog *c, const struct pkg_use *pu)
{
	json_t *used = json_array(), *unused = json_array();
	for (size_t i = 0; c && i < c->n_pkgs; i++) {
		if (pu[i].files)
			json_array_append_new(used, package_json(&c->pkgs[i], &pu[i]));
		else
			json_array_append_new(unused, package_json(&c->pkgs[i], NULL));
	}
	return json_pack("{s:o, s:o}", "used", used, "unused", unused);
}

static json_t *execs_json(const struct tracer_report *r, const struct catalog *c)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->nexecs; i++) {
		const struct tracer_exec *e = &r->execs[i];
		const struct cat_pkg *o = owner_of(c, e->path);
		json_t *j = json_pack("{s:o, s:o, s:I}", "path", str(e->path), "argv0",
				      str(e->argv0), "count", (json_int_t)e->count);
		if (o)
			json_object_set_new(j, "package", str(o->purl ? o->purl : o->name));
		json_array_append_new(a, j);
	}
	return a;
}

static json_t *libs_json(const struct rbom_run *run, const struct tracer_report *r,
			 const struct catalog *c)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->libs.n; i++) {
		const char *path = r->libs.v[i];
		json_t *j = json_pack("{s:o}", "path", str(path));
		const struct cat_pkg *o = owner_of(c, path);
		if (injected_host(run, path))
			json_object_set_new(j, "injected", json_true());
		else if (o)
			json_object_set_new(j, "package", str(o->purl ? o->purl : o->name));
		json_array_append_new(a, j);
	}
	return a;
}

static json_t *syscalls_json(const struct tracer_report *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->nsyscalls; i++) {
		const struct tracer_syscall *s = &r->syscalls[i];
		json_array_append_new(a, json_pack("{s:s, s:i, s:b, s:I}", "name", s->name, "nr",
						   s->nr, "baseline", s->baseline, "count",
						   (json_int_t)s->count));
	}
	return a;
}

static json_t *ports_json(const struct tracer_report *r)
{
	static const char *const kinds[] = { "bind", "connect", "listen" };
	json_t *a = json_array();
	for (size_t i = 0; i < r->nports; i++) {
		const struct tracer_port *p = &r->ports[i];
		const char *proto = p->type == SOCK_STREAM ? "tcp"
				    : p->type == SOCK_DGRAM ? "udp" : "other";
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, s:i, s:I}", "kind",
						   kinds[p->kind], "family",
						   p->family == AF_INET6 ? "inet6" : "inet",
						   "protocol", proto, "address", str(p->addr), "port",
						   p->port, "count", (json_int_t)p->count));
	}
	return a;
}

static json_t *strvec_json(const struct strvec *v)
{
	json_t *a = json_array();
	for (size_t i = 0; v && i < v->n; i++)
		json_array_append_new(a, str(v->v[i]));
	return a;
}

static json_t *argv_json(char *const *argv)
{
	json_t *a = json_array();
	for (size_t i = 0; argv && argv[i]; i++)
		json_array_append_new(a, str(argv[i]));
	return a;
}

static json_t *time_json(int64_t t)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(buf);
}

static json_t *workload_json(const struct rbom_run *run, const struct tracer_report *r)
{
	json_t *w = json_pack("{s:o, s:o, s:o, s:o, s:i, s:I, s:o}", "argv", argv_json(run->argv),
			      "workdir", str(run->workdir ? run->workdir : "/"), "user",
			      str(run->user ? run->user : "0:0"), "probes",
			      strvec_json(run->probes), "exitCode", run->exit_code, "processes",
			      (json_int_t)r->nprocs, "needsRoot",
			      json_boolean(r->root_reasons.n > 0));
	json_object_set_new(w, "rootReasons", strvec_json(&r->root_reasons));
	json_object_set_new(w, "started", time_json(run->started));
	json_object_set_new(w, "ended", time_json(run->ended));
	/* what following it cost: calls outside the baseline, how many of them
	 * were lookups answered by the listener, and exit stops (docs/tracer.md) */
	json_object_set_new(w, "tracer", json_pack("{s:I, s:I, s:I}", "calls", (json_int_t)r->stops,
						   "lookups", (json_int_t)r->lookups,
						   "exitStops", (json_int_t)r->exit_stops));
	return w;
}

json_t *rbom_build(const struct rbom_run *run, const struct tracer_report *r,
		   const struct catalog *c)
{
	struct pkg_use *pu = xcalloc(c ? c->n_pkgs + 1 : 1, sizeof(*pu));
	json_t *files = files_json(run, r, c, pu);
	json_t *image = json_pack("{s:o, s:o, s:o}", "name", str(run->image_name),
				  "manifestDigest", str(run->manifest_digest), "configDigest",
				  str(run->config_digest));
	json_t *doc = json_pack("{s:s, s:o, s:[o], s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
				"schema", RBOM_SCHEMA, "image", image, "workloads",
				workload_json(run, r), "files", files, "executables",
				execs_json(r, c), "libraries", libs_json(run, r, c), "syscalls",
				syscalls_json(r), "ports", ports_json(r), "packages",
				packages_json(c, pu), "warnings", strvec_json(&r->warnings),
				"sandbox", json_pack("{s:o}", "rootfs", str(run->rootfs_mode)));
	free(pu);
	return doc;
}

/* ---- reading and merging ---------------------------------------------------------------- */

static const char *const rbom_arrays[] = { "workloads", "files", "executables", "libraries",
					   "syscalls", "ports", "warnings" };

int rbom_load(const char *path, json_t **out, struct qerr *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	if (read_file_at(AT_FDCWD, path, RBOM_MAX_DOC, &data, &len, err) < 0)
		return q_error_wrap(err, "RBOM '%s'", path);
	json_t *j = json_parse_bounded(data, len, RBOM_MAX_DOC, path, err);
	if (!j)
		return q_error_wrap(err, "RBOM");
	const char *schema = json_get_str(j, "schema");
	bool ok = schema && !strcmp(schema, RBOM_SCHEMA) && json_get_obj(j, "image") &&
		  json_get_obj(j, "packages");
	for (size_t i = 0; ok && i < ARRAY_SIZE(rbom_arrays); i++)
		ok = json_get_arr(j, rbom_arrays[i]) != NULL;
	if (!ok) {
		json_decref(j);
		return q_error(err, 0, "RBOM '%s': not a %s document (see docs/rbom.md)", path,
			       RBOM_SCHEMA);
	}
	*out = j;
	return 0;
}

/* A merged list: items by key, in first-seen order until sorted. */
struct merged {
	json_t *items;
	struct strmap index;
	struct strvec keys;
};

static void merged_init(struct merged *m)
{
	m->items = json_array();
	m->index = (struct strmap)STRMAP_INIT;
	m->keys = (struct strvec)STRVEC_INIT;
}

/* The item under key: a new copy of item, or the one there (NULL when new). */
static json_t *merged_find(struct merged *m, const char *key, json_t *item)
{
	size_t i;
	if (strmap_get(&m->index, key, &i))
		return json_array_get(m->items, i);
	strvec_push(&m->keys, key);
	strmap_put(&m->index, m->keys.v[m->keys.n - 1], json_array_size(m->items));
	json_array_append_new(m->items, json_deep_copy(item));
	return NULL;
}

static json_t *merged_take(struct merged *m)
{
	strmap_release(&m->index);
	strvec_clear(&m->keys);
	return m->items;
}

static void add_count(json_t *into, json_t *from)
{
	if (!json_object_get(into, "count"))
		return;   /* libraries have none */
	json_int_t a = json_integer_value(json_object_get(into, "count"));
	json_int_t b = json_integer_value(json_object_get(from, "count"));
	json_object_set_new(into, "count", json_integer(a + b));
}

static void add_uses(json_t *into, json_t *from)
{
	unsigned u = uses_of(json_get_arr(into, "uses")) | uses_of(json_get_arr(from, "uses"));
	json_object_set_new(into, "uses", uses_json(u));
}

/* The key of an item: its fields joined. */
static char *key_of(json_t *item, const char *const *fields)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; fields[i]; i++) {
		json_t *v = json_object_get(item, fields[i]);
		if (json_is_string(v))
			strbuf_adds(&sb, json_string_value(v));
		else if (json_is_integer(v))
			strbuf_addf(&sb, "%lld", (long long)json_integer_value(v));
		strbuf_addc(&sb, '\x1f');
	}
	return strbuf_detach(&sb);
}

static json_t *merge_list(json_t *const *docs, size_t n, const char *field,
			  const char *const *key_fields)
{
	struct merged m;
	merged_init(&m);
	for (size_t d = 0; d < n; d++) {
		size_t i;
		json_t *item;
		json_array_foreach(json_get_arr(docs[d], field), i, item) {
			if (!json_is_object(item) && !json_is_string(item))
				continue;
			cleanup_free char *key = json_is_string(item) ? xstrdup(json_string_value(item))
								      : key_of(item, key_fields);
			json_t *there = merged_find(&m, key, item);
			if (!there || !json_is_object(item))
				continue;
			add_count(there, item);
			if (json_object_get(item, "uses"))
				add_uses(there, item);
			if (json_is_true(json_object_get(item, "baseline")))
				json_object_set(there, "baseline", json_true());
		}
	}
	return merged_take(&m);
}

static int cmp_key(const void *a, const void *b, void *fields)
{
	char *x = key_of(*(json_t *const *)a, fields), *y = key_of(*(json_t *const *)b, fields);
	int c = strcmp(x, y);
	free(x);
	free(y);
	return c;
}

static json_t *sorted(json_t *a, const char *const *fields)
{
	size_t n = json_array_size(a);
	json_t **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(a, i));
	if (n)
		qsort_r(v, n, sizeof(*v), cmp_key, (void *)fields);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	json_decref(a);
	return out;
}

/* Packages: used in any profile is used (uses and files from the merged
 * files); never used in any is unused. */
static json_t *merge_packages(json_t *const *docs, size_t n, json_t *files)
{
	static const char *const pk[] = { "purl", "name", "version", NULL };
	struct merged all;
	merged_init(&all);
	for (size_t d = 0; d < n; d++) {
		json_t *p = json_get_obj(docs[d], "packages");
		const char *lists[] = { "used", "unused" };
		for (size_t l = 0; l < 2; l++) {
			size_t i;
			json_t *item;
			json_array_foreach(json_get_arr(p, lists[l]), i, item) {
				cleanup_free char *key = json_is_object(item) ? key_of(item, pk) : NULL;
				if (key)
					merged_find(&all, key, item);
			}
		}
	}
	json_t *used = json_array(), *unused = json_array();
	size_t i;
	json_t *pkg;
	json_array_foreach(all.items, i, pkg) {
		const char *id = json_get_str(pkg, "purl") ? json_get_str(pkg, "purl")
							   : json_get_str(pkg, "name");
		unsigned uses = 0;
		json_int_t count = 0;
		size_t k;
		json_t *f;
		json_array_foreach(files, k, f) {
			const char *owner = json_get_str(f, "package");
			unsigned u = uses_of(json_get_arr(f, "uses"));
			if (owner && id && !strcmp(owner, id) && (u & ~(TRACER_MISSING | TRACER_ERROR))) {
				uses |= u;
				count++;
			}
		}
		json_t *copy = json_deep_copy(pkg);
		json_object_del(copy, "uses");
		json_object_del(copy, "files");
		if (count) {
			json_object_set_new(copy, "uses", uses_json(uses));
			json_object_set_new(copy, "files", json_integer(count));
		}
		json_array_append_new(count ? used : unused, copy);
	}
	json_decref(merged_take(&all));
	static const char *const order[] = { "type", "name", "version", "purl", NULL };
	return json_pack("{s:o, s:o}", "used", sorted(used, order), "unused",
			 sorted(unused, order));
}

int rbom_merge(json_t *const *docs, size_t n, json_t **out, struct qerr *err)
{
	if (n == 0)
		return q_error(err, 0, "nothing to merge");
	json_t *image = json_get_obj(docs[0], "image");
	const char *digest = json_get_str(image, "manifestDigest");
	for (size_t d = 1; d < n; d++) {
		const char *other = json_get_str(json_get_obj(docs[d], "image"), "manifestDigest");
		if (!digest || !other || strcmp(digest, other))
			return q_error(err, 0, "profiles of different images (%s, %s) cannot be "
					       "merged", digest ? digest : "?", other ? other : "?");
	}
	static const char *const fk[] = { "path", NULL }, *const ek[] = { "path", "argv0", NULL },
				 *const sk[] = { "name", NULL },
				 *const pk[] = { "kind", "family", "protocol", "address", "port",
						 NULL },
				 *const none[] = { NULL };
	json_t *workloads = json_array();
	for (size_t d = 0; d < n; d++)
		json_array_extend(workloads, json_get_arr(docs[d], "workloads"));
	json_t *files = sorted(merge_list(docs, n, "files", fk), fk);
	json_t *doc = json_pack(
		"{s:s, s:O, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:O}", "schema", RBOM_SCHEMA,
		"image", image, "workloads", workloads, "files", files, "executables",
		sorted(merge_list(docs, n, "executables", ek), ek), "libraries",
		sorted(merge_list(docs, n, "libraries", fk), fk), "syscalls",
		sorted(merge_list(docs, n, "syscalls", sk), sk), "ports",
		sorted(merge_list(docs, n, "ports", pk), pk), "packages",
		merge_packages(docs, n, files), "warnings", merge_list(docs, n, "warnings", none),
		"sandbox", json_object_get(docs[0], "sandbox") ? json_object_get(docs[0], "sandbox")
							       : json_null());
	*out = doc;
	return 0;
}

/* ---- a summary a person reads ------------------------------------------------------------ */

static size_t count_uses(json_t *files, unsigned any, unsigned none)
{
	size_t n = 0, i;
	json_t *f;
	json_array_foreach(files, i, f) {
		unsigned u = uses_of(json_get_arr(f, "uses"));
		n += (u & any) && !(u & none);
	}
	return n;
}

static void print_workloads(FILE *out, json_t *doc)
{
	size_t i;
	json_t *w;
	json_array_foreach(json_get_arr(doc, "workloads"), i, w) {
		fprintf(out, "workload:   ");
		size_t k;
		json_t *a;
		json_array_foreach(json_get_arr(w, "argv"), k, a)
			fprintf(out, "%s%s", k ? " " : "", json_string_value(a));
		fprintf(out, "\n            exit %lld, user %s, %lld processes, %s → %s\n",
			(long long)json_integer_value(json_object_get(w, "exitCode")),
			json_get_str(w, "user") ? json_get_str(w, "user") : "?",
			(long long)json_integer_value(json_object_get(w, "processes")),
			json_get_str(w, "started") ? json_get_str(w, "started") : "?",
			json_get_str(w, "ended") ? json_get_str(w, "ended") : "?");
		json_array_foreach(json_get_arr(w, "rootReasons"), k, a)
			fprintf(out, "            needs root: %s\n", json_string_value(a));
		json_t *tr = json_get_obj(w, "tracer");
		if (tr)
			fprintf(out, "            traced: %lld calls, %lld of them lookups answered "
				     "without a stop, %lld exit stops\n",
				(long long)json_integer_value(json_object_get(tr, "calls")),
				(long long)json_integer_value(json_object_get(tr, "lookups")),
				(long long)json_integer_value(json_object_get(tr, "exitStops")));
	}
}

void rbom_print_table(FILE *out, json_t *doc)
{
	json_t *image = json_get_obj(doc, "image");
	json_t *files = json_get_arr(doc, "files"), *pkgs = json_get_obj(doc, "packages");
	fprintf(out, "image:      %s (%s)\n", json_get_str(image, "name") ?: "?",
		json_get_str(image, "manifestDigest") ?: "?");
	print_workloads(out, doc);
	const unsigned bad = TRACER_MISSING | TRACER_ERROR;
	fprintf(out, "files:      %zu used (%zu executed, %zu libraries, %zu read, %zu written), "
		     "%zu looked up but missing\n",
		count_uses(files, ~bad, bad), count_uses(files, TRACER_EXEC, bad),
		json_array_size(json_get_arr(doc, "libraries")), count_uses(files, TRACER_READ, bad),
		count_uses(files, TRACER_WRITE, 0), count_uses(files, bad, ~bad));
	fprintf(out, "packages:   %zu used, %zu never touched\n",
		json_array_size(json_get_arr(pkgs, "used")),
		json_array_size(json_get_arr(pkgs, "unused")));
	size_t observed = 0, i;
	json_t *s;
	json_array_foreach(json_get_arr(doc, "syscalls"), i, s)
		observed += !json_is_true(json_object_get(s, "baseline"));
	fprintf(out, "syscalls:   %zu (%zu observed, %zu baseline)\n",
		json_array_size(json_get_arr(doc, "syscalls")), observed,
		json_array_size(json_get_arr(doc, "syscalls")) - observed);
	json_array_foreach(json_get_arr(doc, "ports"), i, s)
		fprintf(out, "port:       %s %s %s:%lld\n", json_get_str(s, "kind"),
			json_get_str(s, "protocol"), json_get_str(s, "address"),
			(long long)json_integer_value(json_object_get(s, "port")));
	fprintf(out, "\nexecuted:\n");
	json_array_foreach(json_get_arr(doc, "executables"), i, s)
		fprintf(out, "  %-50s %s\n", json_get_str(s, "path"),
			json_get_str(s, "package") ?: "(no package)");
	fprintf(out, "\npackages used:\n");
	json_array_foreach(json_get_arr(pkgs, "used"), i, s)
		fprintf(out, "  %-40s %-28s %lld files\n", json_get_str(s, "name"),
			json_get_str(s, "version") ?: "", (long long)json_integer_value(
								   json_object_get(s, "files")));
}
