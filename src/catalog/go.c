/* go: Go modules from the build info of the Go binaries in the tree.
 *
 * The ELF scanner kept each binary's Go version and module info text
 * (runtime/debug.BuildInfo as the go command embeds it, Go 1.18 and later):
 *
 *	path	github.com/containers/skopeo/cmd/skopeo
 *	mod	github.com/containers/skopeo	(devel)
 *	dep	github.com/BurntSushi/toml	v1.2.1	h1:9F2/+DoOYIOksmaJFPw1tGFy1eDnIJXg+UHjuD8lTak=
 *	=>	example.com/fork	v1.0.0	h1:…     (replaces the dep above it)
 *	build	-compiler=gc
 *
 * Each binary gives one package per module (the main one and every dep,
 * replacements applied) and one "stdlib" for the Go version. Every one of
 * them lists the binary as its file: the binary is the module's code on
 * disk. A binary with a Go version but no module info (built outside a
 * module) still gives "stdlib". The text is untrusted: lines that do not parse are skipped (one
 * warning per binary), and the number of deps is bounded.
 */
#include "catalog_internal.h"

#include <string.h>

#define GO_DEPS_MAX 10000

struct go_mod {
	const char *path, *version;
	size_t path_len, version_len;
};

/* Split line[0..len) at tabs into at most max fields; returns the count,
 * or max + 1 when there are more. */
static size_t split_tabs(const char *line, size_t len, const char **f, size_t *flen, size_t max)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (n == max)
			return max + 1;
		f[n] = line + start;
		flen[n] = i - start;
		n++;
		start = i + 1;
	}
	return n;
}

/* "go1.19.8" → "v1.19.8" (a GOEXPERIMENT suffix such as " X:boringcrypto"
 * dropped); NULL for a development toolchain. */
static char *stdlib_version(const char *go_version)
{
	if (!go_version || strncmp(go_version, "go", 2) || !go_version[2])
		return NULL;
	const char *v = go_version + 2;
	size_t n = strcspn(v, " \t");
	if (!n)
		return NULL;
	char *clean = cat_strndup(v, n);
	char *r = xasprintf("v%s", clean);
	free(clean);
	return r;
}

/* A module's version as a package's: NULL when unknown. */
static char *mod_version(const struct go_mod *m)
{
	if (!m->version_len || (m->version_len == 7 && !memcmp(m->version, "(devel)", 7)))
		return NULL;
	return cat_strndup(m->version, m->version_len);
}

/* Only one package of a binary owns it (the main module, else stdlib), so
 * that its owner means something; the others name it as their location. */
static void add_pkg(struct catalog *c, const struct cat_file *f, char *name, char *version,
		    struct strvec *depends, bool owns)
{
	struct cat_pkg *p = cat_add_pkg(c, PKG_GO, NULL);
	p->name = name;
	p->version = version;
	p->location = xstrdup(f->path);
	p->layer = f->layer;
	if (owns)
		strvec_push(&p->files, f->path);
	if (depends) {
		p->depends = *depends;
		*depends = (struct strvec)STRVEC_INIT;
	}
}

static void collect_one(struct catalog *c, const struct cat_file *f)
{
	const char *text = f->elf->go_modinfo ? f->elf->go_modinfo : "";
	struct go_mod main_mod = { 0 };
	bool have_main = false, bad = false, over = false;
	struct go_mod *deps = NULL;
	size_t n_deps = 0, cap = 0;
	struct go_mod *last = NULL;   /* what a "=>" line replaces */

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *fl[5];
		size_t fn[5];
		size_t nf = split_tabs(line, len, fl, fn, 4);
		const char *next = nl ? nl + 1 : line + len;
		bool ok = true;

#define IS(word) (fn[0] == sizeof(word) - 1 && !memcmp(fl[0], word, sizeof(word) - 1))
		if (!len || IS("path") || IS("build") || IS("go")) {
			last = NULL;
		} else if (IS("mod") || IS("dep")) {
			last = NULL;
			if ((nf != 3 && nf != 4) || !fn[1]) {
				ok = false;
			} else if (IS("mod")) {
				if (have_main) {
					ok = false;
				} else {
					main_mod = (struct go_mod){ fl[1], fl[2], fn[1], fn[2] };
					have_main = true;
					last = &main_mod;
				}
			} else if (n_deps == GO_DEPS_MAX) {
				over = true;
			} else {
				deps = xgrow(deps, &cap, n_deps + 1, sizeof(*deps));
				deps[n_deps] = (struct go_mod){ fl[1], fl[2], fn[1], fn[2] };
				last = &deps[n_deps++];
			}
		} else if (IS("=>")) {
			if (nf != 4 || !fn[1] || !last)
				ok = false;
			else
				*last = (struct go_mod){ fl[1], fl[2], fn[1], fn[2] };
			last = NULL;
		} else {
			ok = false;   /* an unknown line: skipped */
			last = NULL;
		}
#undef IS
		bad |= !ok;
		line = next;
	}

	if (bad)
		cat_warn(c, f->path, "Go build info: lines that do not parse were skipped");
	if (over)
		cat_warn(c, f->path, "Go build info: more than %d deps; the rest were dropped",
			 GO_DEPS_MAX);

	struct strvec names = STRVEC_INIT;
	for (size_t i = 0; i < n_deps; i++) {
		char *name = cat_strndup(deps[i].path, deps[i].path_len);
		strvec_push(&names, name);
		add_pkg(c, f, name, mod_version(&deps[i]), NULL, false);
	}
	if (have_main)
		add_pkg(c, f, cat_strndup(main_mod.path, main_mod.path_len),
			mod_version(&main_mod), &names, true);
	strvec_clear(&names);
	add_pkg(c, f, xstrdup("stdlib"), stdlib_version(f->elf->go_version), NULL, !have_main);
	free(deps);
}

void go_collect(struct catalog *c)
{
	for (size_t i = 0; i < c->n_files; i++) {
		const struct cat_file *f = &c->files[i];
		if (f->elf && (f->elf->go_modinfo || f->elf->go_version))
			collect_one(c, f);
	}
}
