/* Truthful package metadata in the hardened image: dpkg's status and apk's
 * installed database list exactly the packages that still have a file (rpm's
 * in metadata_rpm.c), so that Trivy, Syft and quench itself see what the
 * image holds — a scanner must never report "clean" because metadata was
 * deleted, nor findings for what is gone.
 *
 * The rule for every database: only a record the catalog read as a package
 * none of whose files is kept is removed; whatever we cannot map to a
 * package stays, since over-reporting is safe and under-reporting is not. */
#include "harden/harden_internal.h"
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATUS_MAX (256u << 20)
#define APK_DB "lib/apk/db/installed"
#define APK_DB_MAX (256u << 20)

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

bool harden_is_kept(const struct strvec *keep, const char *path)
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

int harden_read_source(int root_fd, const char *path, size_t max, char **data, size_t *len,
		       struct qerr *err)
{
	cleanup_close int in = fs_open_in_root(root_fd, path, O_RDONLY | O_CLOEXEC, 0, err);
	if (in < 0)
		return q_error_wrap(err, "image");
	return read_fd_all(in, path, max, data, len, err);
}

int harden_rewrite_staged(int stage_fd, const char *path, const void *data, size_t len,
			  struct qerr *err)
{
	const char *slash = strrchr(path, '/');
	cleanup_free char *dir_path = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	cleanup_close int dir = fs_open_in_root(stage_fd, dir_path, O_PATH | O_DIRECTORY |
						O_CLOEXEC, 0, err);
	if (dir < 0)
		return q_error_wrap(err, "stage");
	/* A new file in place of the staged one, which may be a hard link to
	 * the unpacked source (stage.c): never written through. It takes the
	 * staged file's owner and mode, which are the image's. */
	const char *base = slash ? slash + 1 : path;
	struct stat sb;
	bool had = fstatat(dir, base, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode);
	if (unlinkat(dir, base, 0) < 0 && errno != ENOENT)
		return q_error(err, errno, "replace %s", path);
	cleanup_close int out = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				       O_CLOEXEC, 0644);
	if (out < 0)
		return q_error(err, errno, "write %s", path);
	if (had && ((fchown(out, sb.st_uid, sb.st_gid) < 0 && errno != EPERM) ||
		    fchmod(out, sb.st_mode & 07777) < 0))
		return q_error(err, errno, "chmod %s", path);
	return write_all(out, data, len, err);
}

/* ---- dpkg ---------------------------------------------------------------------------------- */

static int write_status(int root_fd, int stage_fd, const struct catalog *c, const bool *kept,
			size_t *n_kept, struct qerr *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	if (harden_read_source(root_fd, "var/lib/dpkg/status", STATUS_MAX, &data, &len, err) < 0)
		return -1;
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
	int rc = harden_rewrite_staged(stage_fd, "var/lib/dpkg/status", strbuf_str(&sb), sb.len,
				       err);
	strbuf_release(&sb);
	return rc;
}

/* ---- apk ----------------------------------------------------------------------------------- */

/* A record the catalog read as a package that is gone. */
struct apk_drop {
	uint64_t off, len;
	const char *name;
};

static int cmp_drop(const void *a, const void *b)
{
	const struct apk_drop *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Does d lie in data as the catalog read it: whole lines after the record
 * before it, one of them "P:name"? Not when the file changed since. */
static bool apk_drop_ok(const char *data, size_t len, const struct apk_drop *d, uint64_t prev_end)
{
	if (d->off < prev_end || d->len < 3 || d->off > len || d->len > len - d->off)
		return false;
	const char *r = data + d->off;
	if ((d->off && r[-1] != '\n') || (d->off + d->len < len && r[d->len - 1] != '\n'))
		return false;
	cleanup_free char *field = xasprintf("P:%s", d->name);
	size_t n = strlen(field);
	for (const char *p = r, *end = r + d->len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t k = l && p[l - 1] == '\r' ? l - 1 : l;
		if (k == n && !memcmp(p, field, n))
			return true;
		p += l + 1;
	}
	return false;
}

/* data without the records in drop (sorted, checked) and the blank lines
 * after each: every other byte stays as it was. */
static void apk_cut(const char *data, size_t len, const struct apk_drop *drop, size_t n,
		    struct strbuf *out)
{
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		strbuf_add(out, data + at, (size_t)drop[i].off - at);
		at = (size_t)(drop[i].off + drop[i].len);
		while (at < len && (data[at] == '\n' ||
				    (data[at] == '\r' && at + 1 < len && data[at + 1] == '\n')))
			at += data[at] == '\r' ? 2 : 1;
	}
	strbuf_add(out, data + at, len - at);
}

int harden_apk_prune(const char *data, size_t len, const struct catalog *c, const bool *kept,
		     struct strbuf *out)
{
	cleanup_free struct apk_drop *drop = xcalloc(c->n_pkgs + 1, sizeof(*drop));
	size_t n = 0;
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		if (p->type == PKG_APK && !kept[i] && p->location && !strcmp(p->location, APK_DB))
			drop[n++] = (struct apk_drop){ p->record, p->record_len, p->name };
	}
	if (!n)
		return 0;
	qsort(drop, n, sizeof(*drop), cmp_drop);
	for (size_t i = 0; i < n; i++)
		if (!apk_drop_ok(data, len, &drop[i], i ? drop[i - 1].off + drop[i - 1].len : 0))
			return -1;
	apk_cut(data, len, drop, n, out);
	return 1;
}

static int write_apk_db(int root_fd, int stage_fd, const struct catalog *c, const bool *kept,
			struct strvec *warnings, struct qerr *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	if (harden_read_source(root_fd, APK_DB, APK_DB_MAX, &data, &len, err) < 0)
		return -1;
	struct strbuf sb = STRBUF_INIT;
	int rc = harden_apk_prune(data, len, c, kept, &sb);
	if (rc < 0)
		strvec_take(warnings, xasprintf("%s: not as cataloged; kept whole, so it still "
						"lists packages that are gone", APK_DB));
	/* else 0: nothing is gone, the staged copy is the truth already */
	rc = rc > 0 ? harden_rewrite_staged(stage_fd, APK_DB, strbuf_str(&sb), sb.len, err) : 0;
	strbuf_release(&sb);
	return rc;
}

/* ---- all of them --------------------------------------------------------------------------- */

int harden_package_metadata(const char *rootfs, const struct catalog *c,
			    const struct strvec *keep, const char *stage, size_t *kept_pkgs,
			    struct strvec *warnings, struct qerr *err)
{
	*kept_pkgs = 0;
	cleanup_free bool *pk = xcalloc(c->n_pkgs + 1, sizeof(*pk));
	harden_kept_packages(c, keep, pk);
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (c->pkgs[i].type != PKG_DEB && pk[i])
			(*kept_pkgs)++;
	cleanup_close int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int stage_fd = open(stage, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0 || stage_fd < 0)
		return q_error(err, errno, "open '%s'", root_fd < 0 ? rootfs : stage);
	/* a database not staged has no package left (or never was) */
	if (harden_is_kept(keep, "var/lib/dpkg/status") &&
	    write_status(root_fd, stage_fd, c, pk, kept_pkgs, err) < 0)
		return -1;
	if (harden_is_kept(keep, APK_DB) && write_apk_db(root_fd, stage_fd, c, pk, warnings, err) < 0)
		return -1;
	return harden_rpm_metadata(root_fd, stage_fd, c, keep, pk, warnings, err);
}
