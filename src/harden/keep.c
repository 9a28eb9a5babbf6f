/* The keep set: every path a hardened image holds. See harden.h. */
#include "harden/harden_internal.h"
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How many symlinks one path may go through (the kernel's own limit). */
#define KEEP_MAX_LINKS 40

struct keeper {
	int root_fd;
	const struct catalog *c;
	const struct harden_opts *o;
	struct strmap set;          /* path → 1 */
	struct strvec paths;        /* owned keys */
	struct strvec queue;        /* ELF files still to follow */
};

/* An --exclude glob matches the path or one of its directories (what is
 * under an excluded directory goes with it). */
static bool excluded(const struct keeper *k, const char *path)
{
	for (size_t i = 0; k->o->exclude && i < k->o->exclude->n; i++) {
		cleanup_free char *prefix = xstrdup(path);
		for (char *slash = NULL;; *slash = '\0') {
			if (fnmatch(k->o->exclude->v[i], prefix, FNM_PATHNAME) == 0)
				return true;
			if (!(slash = strrchr(prefix, '/')))
				break;
		}
	}
	return false;
}

static bool has(const struct keeper *k, const char *path)
{
	size_t v;
	return strmap_get(&k->set, path, &v);
}

static void put(struct keeper *k, const char *path)
{
	if (!*path || has(k, path) || excluded(k, path))
		return;
	strvec_push(&k->paths, path);
	strmap_put(&k->set, k->paths.v[k->paths.n - 1], 1);
	const struct cat_file *f = catalog_file(k->c, path);
	if (f && f->elf)
		strvec_push(&k->queue, path);
}

static void add_resolved(struct keeper *k, const char *path, int depth);

/* Keep path's parents, and follow every symlink on the way (each link
 * kept, its target resolved inside the root). */
static void add_resolved(struct keeper *k, const char *path, int depth)
{
	if (depth > KEEP_MAX_LINKS)
		return;
	cleanup_free char *clean = fs_clean_path(path, NULL);
	if (!clean || !strcmp(clean, "."))
		return;
	struct strbuf cur = STRBUF_INIT;
	for (const char *p = clean; *p;) {
		size_t n = strcspn(p, "/");
		if (cur.len)
			strbuf_addc(&cur, '/');
		strbuf_add(&cur, p, n);
		p += n + (p[n] == '/');
		const char *sofar = strbuf_str(&cur);
		char target[4096];
		ssize_t len = readlinkat(k->root_fd, sofar, target, sizeof(target) - 1);
		put(k, sofar);
		if (len <= 0 || len >= (ssize_t)sizeof(target) - 1)
			continue;
		target[len] = '\0';
		/* a link: what it names, relative to its directory or the root */
		const char *slash = strrchr(sofar, '/');
		cleanup_free char *joined = target[0] == '/' ? xstrdup(target)
				: xasprintf("%.*s/%s", slash ? (int)(slash - sofar) : 0, sofar, target);
		cleanup_free char *dots = fs_resolve_dots(joined[0] == '/' ? joined + 1 : joined,
							  true, NULL);
		cleanup_free char *rest = *p ? xasprintf("%s/%s", dots ? dots : "", p) : NULL;
		add_resolved(k, rest ? rest : dots ? dots : "", depth + 1);
		break;   /* the rest of the path was walked through the target */
	}
	strbuf_release(&cur);
}

/* ---- the ELF DT_NEEDED closure -------------------------------------------------------- */

static const char *const lib_dirs[] = {
	"lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib64", "lib", "usr/lib",
	"usr/local/lib", "lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu",
};

static bool exists(const struct keeper *k, const char *path)
{
	struct stat st;
	cleanup_free char *parent = NULL;
	const char *slash = strrchr(path, '/');
	if (!slash)
		return fstatat(k->root_fd, path, &st, 0) == 0;
	parent = xstrndup(path, (size_t)(slash - path));
	int dfd = fs_open_in_root(k->root_fd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, NULL);
	if (dfd < 0)
		return false;
	int rc = fstatat(dfd, slash + 1, &st, 0);
	close(dfd);
	return rc == 0 && S_ISREG(st.st_mode);
}

/* A NEEDED name as the loader finds it: the ELF's own directory first (the
 * usual $ORIGIN RUNPATH of Python extensions and CUDA wheels), then the
 * default directories. */
static void add_needed(struct keeper *k, const char *elf_path, const char *name)
{
	if (strchr(name, '/')) {
		add_resolved(k, name[0] == '/' ? name + 1 : name, 0);
		return;
	}
	const char *slash = strrchr(elf_path, '/');
	cleanup_free char *own = slash ? xasprintf("%.*s/%s", (int)(slash - elf_path), elf_path, name)
				       : NULL;
	if (own && exists(k, own)) {
		add_resolved(k, own, 0);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(lib_dirs); i++) {
		cleanup_free char *p = xasprintf("%s/%s", lib_dirs[i], name);
		if (exists(k, p)) {
			add_resolved(k, p, 0);
			return;
		}
	}
}

static void follow_elves(struct keeper *k)
{
	while (k->queue.n) {
		char *path = k->queue.v[--k->queue.n];
		const struct cat_file *f = catalog_file(k->c, path);
		for (size_t i = 0; f && f->elf && i < f->elf->needed.n; i++)
			add_needed(k, path, f->elf->needed.v[i]);
		if (f && f->elf && f->elf->interp)
			add_resolved(k, f->elf->interp[0] == '/' ? f->elf->interp + 1 : f->elf->interp, 0);
		free(path);
	}
}

/* ---- what else ------------------------------------------------------------------------------- */

/* Read on a cold path (name lookups, the loader, TLS) even when a profile
 * did not see it, and what tells scanners the distribution. */
static const char *const essentials[] = {
	"etc/passwd", "etc/group", "etc/nsswitch.conf", "etc/hosts", "etc/ld.so.cache",
	"etc/ld.so.conf", "etc/host.conf", "etc/localtime", "tmp",
	/* what scanners identify the distribution by: without it they match
	 * nothing, and a hardened image must never look clean for that */
	"etc/os-release", "usr/lib/os-release", "etc/debian_version", "etc/alpine-release",
	"etc/redhat-release", "etc/system-release",
};
static const char *const tls_files[] = { "etc/ssl/certs/ca-certificates.crt", "etc/ssl/certs",
					 "etc/pki/tls/certs/ca-bundle.crt", "etc/ssl/cert.pem" };

static bool tls_loaded(const struct keeper *k)
{
	for (size_t i = 0; i < k->paths.n; i++)
		if (strstr(k->paths.v[i], "libssl.so") || strstr(k->paths.v[i], "libgnutls.so") ||
		    strstr(k->paths.v[i], "/certifi/"))
			return true;
	return false;
}

static void add_rbom(struct keeper *k, json_t *rbom)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_get_arr(rbom, "files"), i, f) {
		const char *path = json_get_str(f, "path");
		json_t *uses = json_get_arr(f, "uses");
		bool used = false;
		size_t u;
		json_t *use;
		json_array_foreach(uses, u, use)
			used |= json_is_string(use) && strcmp(json_string_value(use), "missing") &&
				strcmp(json_string_value(use), "error");
		/* injected (GPU driver) files are the host's; the kernel's trees are mounts */
		if (!path || path[0] != '/' || !used || json_is_true(json_object_get(f, "injected")) ||
		    str_starts_with(path, "/proc/") || str_starts_with(path, "/sys/") ||
		    str_starts_with(path, "/dev/") || !strcmp(path, "/proc") || !strcmp(path, "/sys") ||
		    !strcmp(path, "/dev"))
			continue;
		add_resolved(k, path + 1, 0);
	}
}

static void add_includes(struct keeper *k)
{
	for (size_t i = 0; k->o->include && i < k->o->include->n; i++) {
		const char *pat = k->o->include->v[i];
		pat += *pat == '/';
		for (size_t f = 0; f < k->c->n_files; f++)
			if (fnmatch(pat, k->c->files[f].path, FNM_PATHNAME) == 0 ||
			    !strcmp(pat, k->c->files[f].path))
				add_resolved(k, k->c->files[f].path, 0);
	}
}

/* Metadata of every package that still has a file: its database entry's
 * files (a dist-info directory, dpkg's info lists; dpkg's status, apk's and
 * rpm's databases are rewritten by harden_package_metadata). rpm's NDB
 * database, which the catalog does not read, stays whole: without it a
 * scanner that reads it would see no package at all. */
static void add_package_metadata(struct keeper *k)
{
	static const char *const ndb[] = { "usr/lib/sysimage/rpm/Packages.db",
					   "var/lib/rpm/Packages.db" };
	for (size_t i = 0; i < ARRAY_SIZE(ndb); i++)
		if (exists(k, ndb[i]))
			add_resolved(k, ndb[i], 0);
	cleanup_free bool *kept = xcalloc(k->c->n_pkgs + 1, sizeof(*kept));
	harden_kept_packages(k->c, &k->paths, kept);
	for (size_t i = 0; i < k->c->n_pkgs; i++) {
		const struct cat_pkg *p = &k->c->pkgs[i];
		if (!kept[i] || !p->location)
			continue;
		if (p->type == PKG_DEB) {
			const char *exts[] = { "list", "md5sums", "conffiles" };
			for (size_t e = 0; e < ARRAY_SIZE(exts); e++) {
				cleanup_free char *a = xasprintf("var/lib/dpkg/info/%s.%s", p->name, exts[e]);
				cleanup_free char *b = p->arch ? xasprintf("var/lib/dpkg/info/%s:%s.%s",
									   p->name, p->arch, exts[e]) : NULL;
				if (exists(k, a))
					add_resolved(k, a, 0);
				if (b && exists(k, b))
					add_resolved(k, b, 0);
			}
			add_resolved(k, "var/lib/dpkg/status", 0);
		} else if (p->type == PKG_PYTHON) {
			/* the dist-info (or egg-info) directory and everything in it */
			const char *slash = strrchr(p->location, '/');
			cleanup_free char *dir = slash ? xstrndup(p->location,
								  (size_t)(slash - p->location)) : NULL;
			size_t n = dir ? strlen(dir) : 0;
			for (size_t f = 0; dir && f < k->c->n_files; f++)
				if (!strncmp(k->c->files[f].path, dir, n) && k->c->files[f].path[n] == '/')
					add_resolved(k, k->c->files[f].path, 0);
		} else {
			add_resolved(k, p->location, 0);
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int harden_keep_set(const char *rootfs, const struct catalog *c, json_t *rbom,
		    const struct harden_opts *o, struct strvec *keep, struct qerr *err)
{
	int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return q_error(err, errno, "open '%s'", rootfs);
	struct keeper k = { .root_fd = root_fd, .c = c, .o = o, .set = STRMAP_INIT,
			    .paths = STRVEC_INIT, .queue = STRVEC_INIT };
	add_rbom(&k, rbom);
	for (size_t i = 0; i < ARRAY_SIZE(essentials); i++)
		add_resolved(&k, essentials[i], 0);
	if (o->workdir && *o->workdir)
		add_resolved(&k, o->workdir + (o->workdir[0] == '/'), 0);
	add_includes(&k);
	follow_elves(&k);
	if (tls_loaded(&k))
		for (size_t i = 0; i < ARRAY_SIZE(tls_files); i++)
			add_resolved(&k, tls_files[i], 0);
	follow_elves(&k);
	add_package_metadata(&k);
	follow_elves(&k);
	close(root_fd);
	strmap_release(&k.set);
	strvec_clear(&k.queue);
	/* sorted bytewise, a parent ("a") sorts before its children ("a/b") */
	if (k.paths.n)
		qsort(k.paths.v, k.paths.n, sizeof(*k.paths.v), cmp_str);
	*keep = k.paths;
	return 0;
}
