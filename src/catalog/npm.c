/* npm: packages installed in node_modules directories (each one's
 * package.json, scoped or not, nested or not, npm's own bundled ones
 * included) and the packages that lockfiles (package-lock.json and
 * npm-shrinkwrap.json, lockfileVersion 1 to 3) pin.
 *
 * A package found both installed and in a lockfile is reported once, from
 * its package.json, which also says where it lies. An app's own
 * package.json is not a package of the image and is not read. Everything is
 * untrusted: bad JSON becomes a warning naming the file.
 */
#include "catalog_internal.h"

#include <jansson.h>

#define NODE_MODULES "node_modules"
#define PACKAGE_JSON "/package.json"
/* Installed package.json files are small; old npm versions copied the
 * README into them, which makes a few reach hundreds of KiB. */
#define NPM_MAX_PACKAGE_JSON (4u << 20)
/* Raw license text is kept to its first line and at most this many bytes. */
#define LICENSE_RAW_MAX 200
/* lockfileVersion 1 nests dependencies; real trees are a few levels deep. */
#define MAX_LOCK_DEPTH 256
/* Per file, so that one hostile lockfile cannot use up the catalog's warnings. */
#define MAX_BAD_ENTRIES 10

/* ---- which files ------------------------------------------------------------ */

/* Is the component of path that ends at e "node_modules"? */
static bool is_node_modules(const char *path, const char *e)
{
	size_t n = strlen(NODE_MODULES);
	if ((size_t)(e - path) < n || memcmp(e - n, NODE_MODULES, n))
		return false;
	return e - n == path || *(e - n - 1) == '/';
}

static const char *component_start(const char *path, const char *e)
{
	while (e > path && e[-1] != '/')
		e--;
	return e;
}

/* For ".../node_modules/<name>/package.json" and
 * ".../node_modules/@scope/<name>/package.json": the length of the
 * package's directory; else 0. */
static size_t installed_dir_len(const char *path)
{
	size_t len = strlen(path), n = strlen(PACKAGE_JSON);
	if (len <= n || memcmp(path + len - n, PACKAGE_JSON, n))
		return 0;
	const char *dir_end = path + len - n;
	const char *name = component_start(path, dir_end);
	/* ".bin", ".cache", ".pnpm": npm's and others' own directories */
	if (name == dir_end || name == path || name[0] == '.')
		return 0;
	if (is_node_modules(path, name - 1))   /* "@scope" alone is no package */
		return name[0] == '@' ? 0 : (size_t)(dir_end - path);
	const char *scope = component_start(path, name - 1);
	if (scope[0] != '@' || scope + 1 == name - 1 || scope == path)
		return 0;
	return is_node_modules(path, scope - 1) ? (size_t)(dir_end - path) : 0;
}

/* A lockfile of an app, not one a package shipped inside node_modules
 * (npm ignores those; the hidden node_modules/.package-lock.json repeats
 * what the installed package.json files say). */
static bool is_lockfile(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (strcmp(base, "package-lock.json") && strcmp(base, "npm-shrinkwrap.json"))
		return false;
	return !str_starts_with(path, NODE_MODULES "/") && !strstr(path, "/" NODE_MODULES "/");
}

bool npm_wants(const char *path)
{
	return installed_dir_len(path) || is_lockfile(path);
}

/* ---- shared helpers ---------------------------------------------------------- */

/* Counts a file's bad entries; warns of the first few and, at the end, of
 * how many more there were. */
struct bad_entries {
	struct catalog *c;
	const char *path;
	size_t n;
};

static void bad_entry(struct bad_entries *b, const char *key, const char *why)
{
	if (b->n++ < MAX_BAD_ENTRIES)
		cat_warn(b->c, b->path, "'%.200s': %s", key, why);
}

static void bad_entries_done(struct bad_entries *b)
{
	if (b->n > MAX_BAD_ENTRIES)
		cat_warn(b->c, b->path, "%zu more bad entries", b->n - MAX_BAD_ENTRIES);
}

/* s trimmed and cut to its first line and at most max bytes (not inside a
 * UTF-8 sequence), made safe; NULL when nothing is left. */
static char *text(const char *s, size_t max)
{
	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	size_t n = strcspn(s, "\r\n");
	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	char *t = n ? cat_strndup(s, n) : NULL;
	if (t && !*t)   /* only control characters */
		free(steal_pointer(&t));
	return t;
}

static char *str_field(json_t *obj, const char *key)
{
	return text(json_get_str(obj, key), SIZE_MAX);
}

/* One license: "MIT", or the old {"type": "MIT", "url": …}. */
static char *one_license(json_t *v)
{
	if (json_is_string(v))
		return text(json_string_value(v), LICENSE_RAW_MAX);
	return text(json_get_str(v, "type"), LICENSE_RAW_MAX);
}

/* A string, an object, or an array of either (alternatives: joined with
 * OR, compound ones in parentheses). */
static char *license_of(json_t *v)
{
	if (!json_is_array(v))
		return one_license(v);
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		cleanup_free char *l = one_license(e);
		if (!l)
			continue;
		if (sb.len)
			strbuf_adds(&sb, " OR ");
		bool compound = strchr(l, ' ') && l[0] != '(';
		strbuf_addf(&sb, compound ? "(%s)" : "%s", l);
		if (sb.len > 4 * LICENSE_RAW_MAX)
			break;   /* a hostile array of a million licenses */
	}
	if (!sb.len)
		return NULL;   /* nothing was added, so nothing to release */
	return strbuf_detach(&sb);
}

static char *npm_license(json_t *pkg)
{
	char *l = license_of(json_object_get(pkg, "license"));
	return l ? l : license_of(json_object_get(pkg, "licenses"));
}

/* "Name <email> (url)" as written, or {"name", "email", "url"}. */
static char *person(json_t *v)
{
	if (json_is_string(v))
		return text(json_string_value(v), LICENSE_RAW_MAX);
	cleanup_free char *name = str_field(v, "name");
	cleanup_free char *email = str_field(v, "email");
	if (name && email)
		return xasprintf("%s <%s>", name, email);
	return name ? steal_pointer(&name) : steal_pointer(&email);
}

/* The names a "dependencies" (or v1 "requires") object maps, sorted. */
static void dep_names(json_t *deps, struct strvec *out)
{
	const char *key;
	json_t *v;
	json_object_foreach(deps, key, v) {
		char *name = cat_strndup(key, strlen(key));
		if (*name)
			strvec_take(out, name);
		else
			free(name);
	}
	strvec_sort(out);
}

static json_t *parse_json(struct catalog *c, const struct cat_blob *b, size_t max)
{
	if (b->truncated) {
		cat_warn(c, b->path, "file is truncated; skipped");
		return NULL;
	}
	struct qerr err = QERR_INIT;
	json_t *j = json_parse_bounded(b->data, b->len, max, "JSON", &err);
	if (!j) {
		cat_warn(c, b->path, "%s", err.msg);
		return NULL;
	}
	if (!json_is_object(j)) {
		cat_warn(c, b->path, "not a JSON object");
		json_decref(j);
		return NULL;
	}
	return j;
}

/* name+version pairs already reported. */
struct seen {
	struct strmap map;
	struct strvec keys;    /* the map's keys */
};

/* true when name+version was not seen before (and is now). */
static bool seen_add(struct seen *s, const char *name, const char *version)
{
	/* \x01 is in no name or version: cat_strndup drops control characters. */
	char *key = xasprintf("%s\x01%s", name, version);
	if (strmap_get(&s->map, key, NULL)) {
		free(key);
		return false;
	}
	strvec_take(&s->keys, key);
	strmap_put(&s->map, key, 0);
	return true;
}

static bool seen_has(const struct seen *s, const char *name, const char *version)
{
	cleanup_free char *key = xasprintf("%s\x01%s", name, version);
	return strmap_get(&s->map, key, NULL);
}

static void seen_release(struct seen *s)
{
	strmap_release(&s->map);
	strvec_clear(&s->keys);
}

/* ---- installed packages ---------------------------------------------------- */

static void collect_installed(struct catalog *c, const struct cat_blob *b, size_t dirlen,
			      struct seen *installed)
{
	json_t *j = parse_json(c, b, NPM_MAX_PACKAGE_JSON);
	if (!j)
		return;
	char *name = str_field(j, "name"), *version = str_field(j, "version");
	if (!name || !version) {
		cat_warn(c, b->path, "no %s; package skipped", !name ? "name" : "version");
		free(name);
		free(version);
		json_decref(j);
		return;
	}
	seen_add(installed, name, version);
	struct cat_pkg *p = cat_add_pkg(c, PKG_NPM, b);
	p->name = name;
	p->version = version;
	p->license = npm_license(j);
	p->supplier = person(json_object_get(j, "author"));
	p->homepage = str_field(j, "homepage");
	dep_names(json_get_obj(j, "dependencies"), &p->depends);
	/* package.json lists no files: the package owns its directory (and the
	 * catalog gives nested node_modules to the packages there). */
	strvec_take(&p->files, xasprintf("%.*s/", (int)dirlen, b->path));
	json_decref(j);
}

/* ---- lockfiles ------------------------------------------------------------------ */

struct lock {
	struct catalog *c;
	const struct cat_blob *b;
	const struct seen *installed;
	struct seen locked;          /* in this lockfile */
	struct bad_entries bad;
	bool too_deep;
};

/* "npm:real-name@1.2.3", the version of an aliased dependency: split. */
static void unalias(char **name, char **version)
{
	if (!str_starts_with(*version, "npm:"))
		return;
	const char *spec = *version + 4;
	const char *at = strrchr(spec + 1, '@');
	if (!at || !at[1] || at == spec)
		return;
	char *n = xstrndup(spec, (size_t)(at - spec)), *v = xstrdup(at + 1);
	free(*name);
	free(*version);
	*name = n;
	*version = v;
}

/* Add one locked package unless it was seen; takes name and version. */
static void lock_add(struct lock *x, char *name, char *version, json_t *entry, json_t *deps)
{
	unalias(&name, &version);
	if (seen_has(x->installed, name, version) || !seen_add(&x->locked, name, version)) {
		free(name);
		free(version);
		return;
	}
	struct cat_pkg *p = cat_add_pkg(x->c, PKG_NPM, x->b);
	p->name = name;
	p->version = version;
	p->license = npm_license(entry);
	dep_names(deps, &p->depends);
}

/* Installed only for development: not what a production image runs. */
static bool dev_only(json_t *entry)
{
	return json_is_true(json_object_get(entry, "dev"));
}

/* v2 and v3: "packages" keyed by install path ("node_modules/a",
 * "node_modules/a/node_modules/@s/b"); "" is the app itself, paths outside
 * node_modules are the app's workspaces, "link" entries point at those. */
static void lock_packages(struct lock *x, json_t *pkgs)
{
	const char *key;
	json_t *e;
	json_object_foreach(pkgs, key, e) {
		const char *last = NULL;
		for (const char *s = key; (s = strstr(s, NODE_MODULES "/")); s++)
			if (s == key || s[-1] == '/')
				last = s + strlen(NODE_MODULES "/");
		if (!last || !json_is_object(e)) {
			if (*key && !json_is_object(e))
				bad_entry(&x->bad, key, "not an object");
			continue;
		}
		if (json_is_true(json_object_get(e, "link")) || dev_only(e))
			continue;
		char *name = str_field(e, "name");
		if (!name)
			name = text(last, SIZE_MAX);
		char *version = str_field(e, "version");
		if (!name || !version) {
			bad_entry(&x->bad, key, !name ? "no name" : "no version");
			free(name);
			free(version);
			continue;
		}
		lock_add(x, name, version, e, json_get_obj(e, "dependencies"));
	}
}

/* v1: "dependencies" keyed by name, nested where npm nested the tree. */
static void lock_dependencies(struct lock *x, json_t *deps, int depth)
{
	if (depth > MAX_LOCK_DEPTH) {
		if (!x->too_deep)
			cat_warn(x->c, x->b->path, "dependencies nested over %d deep; skipped",
				 MAX_LOCK_DEPTH);
		x->too_deep = true;
		return;
	}
	const char *key;
	json_t *e;
	json_object_foreach(deps, key, e) {
		if (!json_is_object(e)) {
			bad_entry(&x->bad, key, "not an object");
			continue;
		}
		if (dev_only(e))
			continue;
		char *name = text(key, SIZE_MAX), *version = str_field(e, "version");
		/* "file:../lib": the app's own code, like v2's links */
		if (!name || !version || str_starts_with(version, "file:")) {
			if (!name || !version)
				bad_entry(&x->bad, key, !name ? "no name" : "no version");
			free(name);
			free(version);
		} else {
			lock_add(x, name, version, e, json_get_obj(e, "requires"));
		}
		json_t *nested = json_get_obj(e, "dependencies");
		if (nested)
			lock_dependencies(x, nested, depth + 1);
	}
}

static void collect_lockfile(struct catalog *c, const struct cat_blob *b,
			     const struct seen *installed)
{
	json_t *j = parse_json(c, b, CAT_MAX_BLOB);
	if (!j)
		return;
	json_t *lv = json_object_get(j, "lockfileVersion");
	json_int_t version = json_is_integer(lv) ? json_integer_value(lv) : 1;
	struct lock x = { .c = c, .b = b, .installed = installed, .bad = { c, b->path, 0 } };
	json_t *pkgs = json_get_obj(j, "packages"), *deps = json_get_obj(j, "dependencies");
	if (version < 1 || version > 3)
		cat_warn(c, b->path, "unknown lockfileVersion %lld; read as the closest known",
			 (long long)version);
	if (version >= 2 && pkgs)
		lock_packages(&x, pkgs);
	else if (deps)
		lock_dependencies(&x, deps, 0);
	else if (pkgs)
		lock_packages(&x, pkgs);
	bad_entries_done(&x.bad);
	seen_release(&x.locked);
	json_decref(j);
}

void npm_collect(struct catalog *c, const struct cat_input *in)
{
	struct seen installed = { STRMAP_INIT, STRVEC_INIT };
	for (size_t i = 0; i < in->n; i++) {
		size_t dirlen = installed_dir_len(in->blobs[i].path);
		if (dirlen)
			collect_installed(c, &in->blobs[i], dirlen, &installed);
	}
	for (size_t i = 0; i < in->n; i++)
		if (is_lockfile(in->blobs[i].path))
			collect_lockfile(c, &in->blobs[i], &installed);
	seen_release(&installed);
}
