/* After the parsers: packages sorted and identified (purl, CPE), their
 * dependencies resolved to packages, and every file given its owner.
 *
 * Ownership: OS packages first (dpkg, apk, rpm), then language packages,
 * so a Python module installed by dpkg belongs to its Debian package. A
 * database path that does not exist as written is resolved through the
 * image's directory symlinks (dpkg lists "/bin/bash"; a merged-/usr image
 * holds it at usr/bin/bash).
 */
#include "scan_internal.h"
#include "fs/fs.h"

#include <ctype.h>
#include <string.h>

#define MAX_LINK_HOPS 16

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_pkg(const void *a, const void *b)
{
	const struct cat_pkg *x = a, *y = b;
	int c;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if ((c = cmp_str(x->name, y->name)) || (c = cmp_str(x->version, y->version)) ||
	    (c = cmp_str(x->arch, y->arch)) || (c = cmp_str(x->location, y->location)))
		return c;
	return 0;
}

/* ---- dependencies ------------------------------------------------------------ */

/* The key a dependency is looked up by: type, then the name as the
 * ecosystem compares it (PyPI: PEP 503; others: as written). */
static char *dep_key(enum pkg_type t, const char *name)
{
	if (t != PKG_PYTHON)
		return xasprintf("%d:%s", (int)t, name);
	cleanup_free char *norm = pep503_name(name);
	return xasprintf("%d:%s", (int)t, norm);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static void resolve_deps(struct catalog *c)
{
	struct strvec keys = STRVEC_INIT;
	struct strmap by_name = STRMAP_INIT;
	for (size_t i = 0; i < c->n_pkgs; i++)
		strvec_take(&keys, dep_key(c->pkgs[i].type, c->pkgs[i].name ? c->pkgs[i].name : ""));
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (!strmap_get(&by_name, keys.v[i], NULL))
			strmap_put(&by_name, keys.v[i], i);
	for (size_t i = 0; i < c->n_pkgs; i++) {
		struct cat_pkg *p = &c->pkgs[i];
		p->deps = xcalloc(p->depends.n ? p->depends.n : 1, sizeof(*p->deps));
		for (size_t d = 0; d < p->depends.n; d++) {
			cleanup_free char *k = dep_key(p->type, p->depends.v[d]);
			size_t j;
			if (strmap_get(&by_name, k, &j) && j != i)
				p->deps[p->n_deps++] = j;
		}
		qsort(p->deps, p->n_deps, sizeof(*p->deps), cmp_size);
		size_t u = 0;   /* "a | a" and repeated names: once */
		for (size_t d = 0; d < p->n_deps; d++)
			if (!u || p->deps[u - 1] != p->deps[d])
				p->deps[u++] = p->deps[d];
		p->n_deps = u;
	}
	strmap_release(&by_name);
	strvec_clear(&keys);
}

/* ---- owners ------------------------------------------------------------------- */

/* path with its first directory symlink replaced by the link's target;
 * NULL when no directory on the way is a symlink in the tree. */
static char *through_symlink(const struct catalog *c, const char *path)
{
	cleanup_free char *buf = xstrdup(path);
	for (char *p = buf; (p = strchr(p, '/')); p++) {
		*p = '\0';
		const struct cat_file *f = catalog_file(c, buf);
		if (f && f->type == TAR_SYMLINK && f->link) {
			char *slash = strrchr(buf, '/');
			cleanup_free char *joined =
				f->link[0] == '/' ? xasprintf("%s/%s", f->link, p + 1)
				: slash ? xasprintf("%.*s/%s/%s", (int)(slash - buf), buf, f->link, p + 1)
					: xasprintf("%s/%s", f->link, p + 1);
			cleanup_free char *flat = fs_resolve_dots(joined, true, NULL);
			return flat ? cat_clean_path(flat) : NULL;
		}
		*p = '/';
	}
	return NULL;
}

static struct cat_file *find_file(struct catalog *c, const char *path)
{
	const struct cat_file *f = catalog_file(c, path);
	cleanup_free char *cur = NULL;
	for (int hop = 0; !f && hop < MAX_LINK_HOPS; hop++) {
		char *next = through_symlink(c, cur ? cur : path);
		if (!next)
			break;
		free(cur);
		cur = next;
		f = catalog_file(c, cur);
	}
	return (struct cat_file *)f;
}

static void own(struct catalog *c, size_t pkg, struct cat_file *f)
{
	if (f->owner >= 0 || f->type == TAR_DIR)
		return;
	f->owner = (int32_t)pkg;
	c->pkgs[pkg].n_owned++;
}

/* A files entry ending in "/" owns everything below that directory. */
static void own_tree(struct catalog *c, size_t pkg, const char *dir)
{
	size_t lo = 0, hi = c->n_files;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(c->files[mid].path, dir) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->n_files && str_starts_with(c->files[lo].path, dir); lo++)
		own(c, pkg, &c->files[lo]);
}

struct tree_claim {
	size_t pkg;
	const char *dir;
};

/* Deepest first: npm's bundled node_modules/x/ belongs to x, not to the
 * npm/ directory above it. */
static int cmp_claim_depth(const void *a, const void *b)
{
	size_t x = strlen(((const struct tree_claim *)a)->dir);
	size_t y = strlen(((const struct tree_claim *)b)->dir);
	return x < y ? 1 : x > y ? -1 : 0;
}

static void assign_type(struct catalog *c, enum pkg_type t)
{
	struct tree_claim *claims = NULL;
	size_t n_claims = 0, cap = 0;
	for (size_t i = 0; i < c->n_pkgs; i++) {
		struct cat_pkg *p = &c->pkgs[i];
		if (p->type != t)
			continue;
		for (size_t k = 0; k < p->files.n; k++) {
			const char *path = p->files.v[k];
			if (str_ends_with(path, "/")) {
				claims = xgrow(claims, &cap, n_claims + 1, sizeof(*claims));
				claims[n_claims++] = (struct tree_claim){ i, path };
				continue;
			}
			struct cat_file *f = find_file(c, path);
			if (f)
				own(c, i, f);
		}
	}
	if (n_claims)
		qsort(claims, n_claims, sizeof(*claims), cmp_claim_depth);
	for (size_t k = 0; k < n_claims; k++)
		own_tree(c, claims[k].pkg, claims[k].dir);
	free(claims);
}

static void assign_owners(struct catalog *c)
{
	static const enum pkg_type order[] = { PKG_DEB, PKG_APK, PKG_RPM,
					       PKG_PYTHON, PKG_NPM, PKG_GO };
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++)
		assign_type(c, order[o]);
}

void catalog_finish(struct catalog *c, const struct cat_blobs *kept)
{
	struct cat_input in = { kept->v, kept->n };
	os_collect(c, &in);
	dpkg_collect(c, &in);
	apk_collect(c, &in);
	rpm_collect(c, &in);
	python_collect(c, &in);
	npm_collect(c, &in);
	go_collect(c);
	if (c->n_pkgs)
		qsort(c->pkgs, c->n_pkgs, sizeof(*c->pkgs), cmp_pkg);
	for (size_t i = 0; i < c->n_pkgs; i++) {
		c->pkgs[i].purl = cat_purl(&c->pkgs[i], &c->os);
		c->pkgs[i].cpe = cat_cpe(&c->pkgs[i], &c->os);
	}
	resolve_deps(c);
	assign_owners(c);
}
