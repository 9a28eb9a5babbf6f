/* Truthful package metadata in the hardened image: dpkg's status lists
 * exactly the packages that still have a file, so that Trivy, Syft and
 * quench itself see what the image holds — a scanner must never report
 * "clean" because metadata was deleted, nor findings for what is gone. */
#include "harden/harden_internal.h"
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATUS_MAX (256u << 20)

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

static bool kept(const struct strvec *keep, const char *path)
{
	return keep->n && bsearch(path, keep->v, keep->n, sizeof(*keep->v), cmp_key);
}

/* Does the package list files below path (so path is a directory to it,
 * whatever the image made of it: merged /usr turns "/lib" into a link)? */
static bool lists_below(const struct cat_pkg *p, const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < p->files.n; i++) {
		const char *f = p->files.v[i] + (p->files.v[i][0] == '/');
		if (!strncmp(f, path, n) && f[n] == '/')
			return true;
	}
	return false;
}

void harden_kept_packages(const struct catalog *c, const struct strvec *keep, bool *kept)
{
	memset(kept, 0, c->n_pkgs * sizeof(*kept));
	for (size_t i = 0; i < keep->n; i++) {
		const struct cat_file *f = catalog_file(c, keep->v[i]);
		if (!f || f->type == TAR_DIR || f->owner < 0 || (size_t)f->owner >= c->n_pkgs)
			continue;
		if (f->type == TAR_SYMLINK && lists_below(&c->pkgs[f->owner], keep->v[i]))
			continue;
		kept[f->owner] = true;
	}
}

/* "Package: x" and "Architecture: y" of one stanza. */
static void stanza_name(const char *s, size_t n, char **name, char **arch)
{
	for (const char *p = s, *end = s + n; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 9 && !strncmp(p, "Package: ", 9))
			*name = xstrndup(p + 9, len - 9);
		else if (len > 14 && !strncmp(p, "Architecture: ", 14))
			*arch = xstrndup(p + 14, len - 14);
		p += len + 1;
	}
}

static bool deb_kept(const struct catalog *c, const bool *kept, const char *name,
		     const char *arch)
{
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		if (p->type == PKG_DEB && !strcmp(p->name, name) &&
		    (!arch || !p->arch || !strcmp(p->arch, arch)) && kept[i])
			return true;
	}
	return false;
}

static int write_status(int stage_fd, const char *data, size_t len, const struct catalog *c,
			const bool *kept, size_t *n_kept, struct qerr *err)
{
	cleanup_close int dir = fs_open_in_root(stage_fd, "var/lib/dpkg", O_PATH | O_DIRECTORY |
						O_CLOEXEC, 0, err);
	if (dir < 0)
		return q_error_wrap(err, "stage");
	cleanup_close int out = openat(dir, "status", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
				       O_CLOEXEC, 0644);
	if (out < 0)
		return q_error(err, errno, "write var/lib/dpkg/status");
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = data, *end = data + len; p < end;) {
		const char *blank = memmem(p, (size_t)(end - p), "\n\n", 2);
		size_t n = blank ? (size_t)(blank - p) + 1 : (size_t)(end - p);
		char *name = NULL, *arch = NULL;
		stanza_name(p, n, &name, &arch);
		if (name && deb_kept(c, kept, name, arch)) {
			strbuf_add(&sb, p, n);
			strbuf_addc(&sb, '\n');
			(*n_kept)++;
		}
		free(name);
		free(arch);
		p += n + (blank ? 1 : 0);
		while (p < end && *p == '\n')
			p++;
	}
	int rc = write_all(out, strbuf_str(&sb), sb.len, err);
	strbuf_release(&sb);
	return rc;
}

int harden_package_metadata(const char *rootfs, const struct catalog *c,
			    const struct strvec *keep, const char *stage, size_t *kept_pkgs,
			    struct qerr *err)
{
	*kept_pkgs = 0;
	cleanup_free bool *pk = xcalloc(c->n_pkgs + 1, sizeof(*pk));
	harden_kept_packages(c, keep, pk);
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (c->pkgs[i].type != PKG_DEB && pk[i])
			(*kept_pkgs)++;
	if (!kept(keep, "var/lib/dpkg/status"))
		return 0;
	cleanup_close int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int stage_fd = open(stage, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0 || stage_fd < 0)
		return q_error(err, errno, "open '%s'", root_fd < 0 ? rootfs : stage);
	cleanup_close int in = fs_open_in_root(root_fd, "var/lib/dpkg/status", O_RDONLY | O_CLOEXEC,
					       0, err);
	if (in < 0)
		return q_error_wrap(err, "image");
	cleanup_free char *data = NULL;
	size_t len;
	if (read_fd_all(in, "var/lib/dpkg/status", STATUS_MAX, &data, &len, err) < 0)
		return -1;
	return write_status(stage_fd, data, len, c, pk, kept_pkgs, err);
}
