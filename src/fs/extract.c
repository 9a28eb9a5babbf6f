/* Applying a layer (a tar stream) on top of a tree, per the OCI image spec.
 *
 * Threat model: the layer is hostile. Its names may hold "..", be
 * absolute, or walk through symlinks that it (or a lower layer) planted:
 * "evil -> /" then "evil/etc/cron.d/x". Its hard links may point anywhere.
 * Nothing it says may create, change, or follow anything outside root_fd.
 * Rules that keep it so:
 *   - every name is cleaned first (fs_clean: no "..", leading "/" dropped:
 *     absolute names are relative to the root, as OCI says);
 *   - the parent directory is resolved with fs_resolve (RESOLVE_IN_ROOT,
 *     or the equivalent userspace walk), so symlinks among the parents are
 *     followed as if root_fd were "/";
 *   - the last component is only ever acted on with *at() calls relative
 *     to that parent fd, with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW / O_EXCL,
 *     never through a path the kernel would resolve against the real "/";
 *   - what is in the way is removed (rm -rf that never follows links)
 *     and created anew, never written through.
 * An unsafe entry fails the whole layer; the caller extracts into a
 * temporary directory and removes it on failure.
 *
 * Order of metadata (each step could undo the one before it otherwise):
 * data, then owner (chown clears setuid and security.capability), then
 * mode, then xattrs, then times. Directories are created 0700 (so that a
 * layer with a read-only directory followed by its files works, also
 * without root) and get their mode and mtime at the end of the layer,
 * deepest first (creating a child changes the parent's mtime).
 *
 * Same-layer semantics of whiteouts: see whiteout.c.
 */
#include "fs/fs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

/* ---- the parent directory cache ---------------------------------------------
 *
 * Entries of a layer mostly come grouped by directory, so the last parent
 * is kept open. What cache_path resolved to can only change when something
 * on its way is removed or replaced (creating a name that did not exist
 * cannot change how an existing path resolves), so every removal drops the
 * cache, and a directory just made (or kept) becomes the cache.
 */

static void cache_invalidate(struct extract *ex)
{
	free(ex->cache_path);
	ex->cache_path = NULL;
}

/* Takes fd. The old fd may still be in use as pdir by the caller's entry:
 * callers put only when done with it. */
static void cache_put(struct extract *ex, const char *path, int fd)
{
	cache_invalidate(ex);
	if (ex->cache_fd >= 0)
		close(ex->cache_fd);
	ex->cache_fd = fd;
	ex->cache_path = xstrdup(path);
}

int extract_dir(struct extract *ex, const char *parent, bool create)
{
	if (ex->cache_path && !strcmp(ex->cache_path, parent))
		return ex->cache_fd;
	/* THREAT: any component of parent may be a symlink planted by this
	 * layer or a lower one ("etc -> /etc", "x -> ../../.."). fs_resolve
	 * follows it as if root_fd were "/": what we get is inside the root.
	 * Missing directories are created there too ("mkdir -p" in the root,
	 * mode 0755 like Docker and umoci). */
	int fd = fs_resolve(ex->root_fd, parent, O_PATH | O_DIRECTORY, 0, false);
	if (fd == -ENOENT && create)
		fd = fs_resolve(ex->root_fd, parent, O_PATH | O_DIRECTORY, 0, true);
	if (fd < 0)
		return fd;
	extract_make_writable(ex, fd, parent);
	cache_put(ex, parent, fd);
	return fd;
}

int extract_remove(struct extract *ex, int pdir, const char *base, struct qerr *err)
{
	cache_invalidate(ex);
	return fs_remove_at(pdir, base, err);
}

/* ---- directories' deferred metadata ------------------------------------------ */

static unsigned path_depth(const char *path)
{
	if (!strcmp(path, "."))
		return 0;
	unsigned d = 1;
	for (const char *p = path; *p; p++)
		d += *p == '/';
	return d;
}

/* Remember a directory's final mode (and mtime, when it is this layer's
 * entry). The last entry for a path wins; a "restore" (mtime NULL) never
 * overrides an entry. */
static void dir_note(struct extract *ex, const char *path, uint32_t mode,
		     const struct timespec *mtime)
{
	bool added;
	uint64_t *slot = fs_map_put(&ex->dir_idx, path, strlen(path), &added);
	if (!added) {
		struct dir_meta *d = &ex->dirs[*slot];
		if (mtime) {
			d->mode = mode;
			d->has_time = true;
			d->mtime = *mtime;
		}
		return;
	}
	*slot = ex->n_dirs;
	ex->dirs = xgrow(ex->dirs, &ex->cap_dirs, ex->n_dirs + 1, sizeof(*ex->dirs));
	ex->dirs[ex->n_dirs++] = (struct dir_meta){
		.path = xstrdup(path), .mode = mode, .depth = path_depth(path),
		.has_time = mtime != NULL, .mtime = mtime ? *mtime : (struct timespec){ 0, 0 },
	};
}

void extract_make_writable(struct extract *ex, int fd, const char *path)
{
	struct stat st;
	if (ex->privileged || fstat(fd, &st) < 0 || st.st_uid != ex->euid ||
	    (st.st_mode & 0300) == 0300)
		return;
	if (fs_chmod_dirfd(fd, (st.st_mode & 07777) | 0700) == 0)
		dir_note(ex, path, st.st_mode & 07777, NULL);
}

static int cmp_depth(const void *a, const void *b)
{
	const struct dir_meta *x = a, *y = b;
	if (x->depth != y->depth)
		return x->depth < y->depth ? 1 : -1;
	return strcmp(x->path, y->path);
}

static int finish_dir(struct extract *ex, const struct dir_meta *d, struct qerr *err)
{
	/* THREAT: resolved inside the root; O_NOFOLLOW: if a later entry of
	 * the layer replaced the directory by a symlink, we do not chmod
	 * what the link points to. */
	int fd = fs_resolve(ex->root_fd, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, false);
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
		return 0;    /* removed or replaced later in the layer */
	if (fd < 0)
		return q_error(err, -fd, "directory '%.512s'", d->path);
	int rc = 0;
	if (fchmod(fd, d->mode) < 0)
		rc = q_error(err, errno, "directory '%.512s': chmod", d->path);
	struct timespec ts[2] = { d->mtime, d->mtime };
	if (rc == 0 && d->has_time && futimens(fd, ts) < 0)
		rc = q_error(err, errno, "directory '%.512s': set times", d->path);
	close(fd);
	return rc;
}

/* Deepest first: a parent made read-only must not stop us reaching its
 * children, and a child's changes must not touch the parent's mtime. */
static int finish_dirs(struct extract *ex, struct qerr *err)
{
	cache_invalidate(ex);
	if (ex->n_dirs)
		qsort(ex->dirs, ex->n_dirs, sizeof(*ex->dirs), cmp_depth);
	for (size_t i = 0; i < ex->n_dirs; i++)
		if (finish_dir(ex, &ex->dirs[i], err) < 0)
			return -1;
	return 0;
}

/* ---- metadata of one entry ---------------------------------------------------- */

static void entry_times(const struct tar_entry *e, struct timespec ts[2])
{
	ts[0].tv_sec = (time_t)e->mtime;
	ts[0].tv_nsec = e->mtime_nsec < 1000000000u ? (long)e->mtime_nsec : 0;
	ts[1] = ts[0];
}

/* chown fd, or base in pdir (fd < 0) without following a symlink. */
static int set_owner(struct extract *ex, const struct tar_entry *e, int fd, int pdir,
		     const char *base, struct qerr *err)
{
	if (!ex->opts->apply_owner) {
		if (e->uid != ex->euid || e->gid != ex->egid)
			ex->st->owners_not_applied++;
		return 0;
	}
	/* (uid_t)-1 would mean "leave unchanged". */
	if (e->uid >= UINT32_MAX || e->gid >= UINT32_MAX)
		return q_error(err, 0, "owner %llu:%llu out of range", (unsigned long long)e->uid,
			       (unsigned long long)e->gid);
	uid_t uid = (uid_t)e->uid;
	gid_t gid = (gid_t)e->gid;
	int rc = fd >= 0 ? fchown(fd, uid, gid) : fchownat(pdir, base, uid, gid, AT_SYMLINK_NOFOLLOW);
	if (rc < 0)
		return q_error(err, errno, "chown to %u:%u", (unsigned)uid, (unsigned)gid);
	return 0;
}

/* Never taken from an image: the host policy's labels, and overlayfs's own
 * metadata (an opaque mark or redirect would change what an overlay mount
 * of this tree shows). */
static bool xattr_refused(const char *name)
{
	return !strcmp(name, "security.selinux") || str_starts_with(name, "trusted.overlay.") ||
	       str_starts_with(name, "user.overlay.");
}

/* xattrs on fd (a file or directory we created); fd < 0 (symlinks, device
 * nodes, FIFOs: no safe fd to set them on) skips them all. */
static int set_xattrs(struct extract *ex, const struct tar_entry *e, int fd, struct qerr *err)
{
	for (size_t i = 0; i < e->n_xattrs; i++) {
		const struct tar_xattr *x = &e->xattrs[i];
		if (!ex->opts->apply_xattrs || fd < 0 || xattr_refused(x->name)) {
			ex->st->xattrs_skipped++;
			continue;
		}
		if (fsetxattr(fd, x->name, x->value, x->len, 0) == 0)
			continue;
		if (errno == ENOSPC || errno == EDQUOT || errno == EIO)
			return q_error(err, errno, "set xattr '%.200s'", x->name);
		/* EPERM (security.* without privilege), ENOTSUP (the
		 * filesystem), EINVAL/ERANGE (a name or value it refuses). */
		ex->st->xattrs_skipped++;
	}
	return 0;
}

/* ---- creating the last component ------------------------------------------------ */

/* Make base in pdir: returns an fd or 0, or -errno. */
typedef int (*make_fn)(int pdir, const char *base, const void *arg);

/* make(); when something is in the way (EEXIST), remove it and make again.
 * -1 with err filled on failure; *why is the errno of the make step (0
 * when the removal failed). */
static int make_replacing(struct extract *ex, int pdir, const char *base, make_fn make,
			  const void *arg, int *why, struct qerr *err)
{
	int rc = make(pdir, base, arg);
	if (rc == -EEXIST) {
		*why = 0;
		if (extract_remove(ex, pdir, base, err) < 0)
			return -1;
		rc = make(pdir, base, arg);
	}
	*why = rc < 0 ? -rc : 0;
	return rc < 0 ? q_error(err, -rc, "create") : rc;
}

static int make_file(int pdir, const char *base, const void *arg)
{
	(void)arg;
	/* THREAT: O_EXCL | O_NOFOLLOW: never opens what is already there (a
	 * symlink to /etc/shadow, a hard link into a lower layer's file). */
	int fd = openat(pdir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

static int make_symlink(int pdir, const char *base, const void *arg)
{
	return symlinkat(arg, pdir, base) < 0 ? -errno : 0;
}

struct node { mode_t mode; dev_t dev; };

static int make_node(int pdir, const char *base, const void *arg)
{
	const struct node *n = arg;
	return mknodat(pdir, base, n->mode, n->dev) < 0 ? -errno : 0;
}

struct link_src { int dir; const char *name; };

static int make_link(int pdir, const char *base, const void *arg)
{
	const struct link_src *l = arg;
	/* No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink. */
	return linkat(l->dir, l->name, pdir, base, 0) < 0 ? -errno : 0;
}

static int pwrite_full(int fd, const char *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Data at its offsets: the holes of a sparse file are never written, so
 * they stay holes; ftruncate gives the file its full size. */
static int write_data(struct extract *ex, struct tar_reader *tr, const struct tar_entry *e,
		      int fd, struct qerr *err)
{
	const void *buf;
	uint64_t off, end = 0;
	ssize_t n;
	while ((n = tar_reader_data(tr, &buf, &off, err)) > 0) {
		if (off > e->size || (uint64_t)n > e->size - off)
			return q_error(err, 0, "data past the file's size");
		if (pwrite_full(fd, buf, (size_t)n, off) < 0)
			return q_error(err, errno, "write");
		ex->st->bytes += (uint64_t)n;
		if (off + (uint64_t)n > end)
			end = off + (uint64_t)n;
	}
	if (n < 0)
		return -1;
	if (end < e->size && ftruncate(fd, (off_t)e->size) < 0)
		return q_error(err, errno, "truncate");
	return 0;
}

static int do_file(struct extract *ex, struct tar_reader *tr, const struct tar_entry *e,
		   int pdir, const char *base, struct qerr *err)
{
	if (e->size > (uint64_t)INT64_MAX)
		return q_error(err, 0, "size out of range");
	int why;
	int fd = make_replacing(ex, pdir, base, make_file, NULL, &why, err);
	if (fd < 0)
		return -1;
	struct timespec ts[2];
	entry_times(e, ts);
	int rc = write_data(ex, tr, e, fd, err);
	if (rc == 0)
		rc = set_owner(ex, e, fd, -1, NULL, err);
	if (rc == 0 && fchmod(fd, e->mode & 07777) < 0)
		rc = q_error(err, errno, "chmod");
	if (rc == 0)
		rc = set_xattrs(ex, e, fd, err);
	if (rc == 0 && futimens(fd, ts) < 0)
		rc = q_error(err, errno, "set times");
	close(fd);
	ex->st->files++;
	return rc;
}

static int do_symlink(struct extract *ex, const struct tar_entry *e, int pdir, const char *base,
		      struct qerr *err)
{
	if (!e->link || !e->link[0])
		return q_error(err, 0, "symlink without a target");
	/* The target is stored as written, absolute or with "..": it is
	 * data. Whoever follows it later does so inside the root
	 * (fs_resolve), where "/" is the root and ".." stops at it. */
	int why;
	if (make_replacing(ex, pdir, base, make_symlink, e->link, &why, err) < 0)
		return -1;
	if (set_owner(ex, e, -1, pdir, base, err) < 0 || set_xattrs(ex, e, -1, err) < 0)
		return -1;
	struct timespec ts[2];
	entry_times(e, ts);
	if (utimensat(pdir, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return q_error(err, errno, "set times");
	ex->st->symlinks++;
	return 0;
}

/* Char and block devices, FIFOs. */
static int do_node(struct extract *ex, const struct tar_entry *e, int pdir, const char *base,
		   struct qerr *err)
{
	bool dev = e->type != TAR_FIFO;
	if (dev && !ex->opts->create_devices) {
		ex->st->devices_skipped++;
		return 0;
	}
	struct node n = { .mode = 0600 | (e->type == TAR_CHR ? S_IFCHR : dev ? S_IFBLK : S_IFIFO),
			  .dev = dev ? makedev(e->devmajor, e->devminor) : 0 };
	int why;
	if (make_replacing(ex, pdir, base, make_node, &n, &why, err) < 0) {
		if (!dev || why != EPERM)
			return -1;
		ex->st->devices_skipped++;     /* no CAP_MKNOD (rootless, user namespace) */
		return 0;
	}
	if (set_owner(ex, e, -1, pdir, base, err) < 0 || set_xattrs(ex, e, -1, err) < 0)
		return -1;
	/* After chown, which clears setuid. base is the node just made. */
	int rc = fs_chmod_nofollow(pdir, base, e->mode & 07777);
	if (rc < 0)
		return q_error(err, -rc, "chmod");
	struct timespec ts[2];
	entry_times(e, ts);
	if (utimensat(pdir, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return q_error(err, errno, "set times");
	if (dev)
		ex->st->devices_created++;
	return 0;
}

static int do_dir(struct extract *ex, const struct tar_entry *e, const char *path, int pdir,
		  const char *base, struct qerr *err)
{
	struct stat st;
	if (mkdirat(pdir, base, 0700) < 0) {
		if (errno != EEXIST)
			return q_error(err, errno, "mkdir");
		/* A directory over a directory keeps its contents; anything
		 * else in the way (a symlink included) is removed. */
		if (fstatat(pdir, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
			if (extract_remove(ex, pdir, base, err) < 0)
				return -1;
			if (mkdirat(pdir, base, 0700) < 0)
				return q_error(err, errno, "mkdir");
		}
	}
	/* THREAT: O_NOFOLLOW: base was just made or seen to be a directory. */
	int fd = openat(pdir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fs_chmod_nofollow(pdir, base, 0700) == 0)
		fd = openat(pdir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return q_error(err, errno, "open");
	/* Writable by us until the end of the layer (0700 when made here). */
	if (!ex->privileged && fchmod(fd, 0700) < 0) {
		int e2 = errno;
		close(fd);
		return q_error(err, e2, "chmod");
	}
	struct timespec ts[2];
	entry_times(e, ts);
	if (set_owner(ex, e, fd, -1, NULL, err) < 0 || set_xattrs(ex, e, fd, err) < 0) {
		close(fd);
		return -1;
	}
	dir_note(ex, path, e->mode & 07777, &ts[1]);
	cache_put(ex, path, fd);    /* pdir may be closed now */
	ex->st->dirs++;
	return 0;
}

static int do_hardlink(struct extract *ex, const struct tar_entry *e, const char *path,
		       const char *parent, int pdir, const char *base, struct qerr *err)
{
	enum clean_fail why;
	cleanup_free char *target = e->link ? fs_clean(e->link, &why) : NULL;
	if (!target && e->link && why == CLEAN_DOTDOT)
		return q_error(err, 0, "hard link target '%.512s' escapes the root", e->link);
	if (!target || !strcmp(target, "."))
		return q_error(err, 0, "hard link without a valid target");
	if (!strcmp(target, path))
		return 0;           /* a link to itself: what is there stays */
	char *slash = strrchr(target, '/');
	const char *tbase = slash ? slash + 1 : target;
	cleanup_free char *tparent = slash ? xstrndup(target, (size_t)(slash - target)) : xstrdup(".");
	/* THREAT: the target's directories are resolved inside the root,
	 * like the entry's own; its last component is never followed
	 * (no AT_SYMLINK_FOLLOW), so a link "through" a symlink ends inside
	 * the root or nowhere. */
	cleanup_close int tdir = -1;
	if (strcmp(tparent, parent)) {
		tdir = fs_resolve(ex->root_fd, tparent, O_PATH | O_DIRECTORY, 0, false);
		if (tdir < 0)
			return q_error(err, -tdir == ENOENT ? 0 : -tdir,
				       "hard link target '%.512s' does not exist", e->link);
	}
	int dir = tdir >= 0 ? tdir : pdir;
	struct stat st;
	if (fstatat(dir, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return q_error(err, errno == ENOENT ? 0 : errno,
			       "hard link target '%.512s' does not exist", e->link);
	if (S_ISDIR(st.st_mode))
		return q_error(err, 0, "hard link target '%.512s' is a directory", e->link);
	struct link_src src = { dir, tbase };
	int w;
	if (make_replacing(ex, pdir, base, make_link, &src, &w, err) < 0)
		return -1;
	ex->st->hardlinks++;
	return 0;
}

/* ---- one entry ------------------------------------------------------------------ */

/* The paths this layer wrote, and their ancestors (see whiteout.c). */
static void layer_record(struct extract *ex, const char *path)
{
	size_t len = strlen(path);
	*fs_map_put(&ex->layer, path, len, NULL) = LAYER_ENTRY;
	while (len) {
		while (len && path[len - 1] != '/')
			len--;
		if (!len)
			break;
		len--;
		bool added;
		uint64_t *v = fs_map_put(&ex->layer, path, len, &added);
		if (!added)
			break;      /* it and its ancestors are known */
		*v = LAYER_ANCESTOR;
	}
}

static int root_entry(struct extract *ex, const struct tar_entry *e, struct qerr *err)
{
	if (e->type != TAR_DIR)
		return q_error(err, 0, "the root can only be a directory");
	int fd = openat(ex->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return q_error(err, errno, "open the root");
	struct timespec ts[2];
	entry_times(e, ts);
	int rc = set_owner(ex, e, fd, -1, NULL, err);
	if (rc == 0)
		rc = set_xattrs(ex, e, fd, err);
	close(fd);
	if (rc == 0)
		dir_note(ex, ".", e->mode & 07777, &ts[1]);
	return rc;
}

/* AUFS metadata (".wh..wh.plnk/…", ".wh..wh.aufs") that old Docker images
 * carry: skipped, as Docker does. The opaque marker is not one of them. */
static bool aufs_meta(const char *path, const char *base)
{
	if (!strcmp(base, ".wh..wh..opq"))
		return false;
	for (const char *p = path; p; p = strchr(p, '/'), p = p ? p + 1 : NULL)
		if (str_starts_with(p, ".wh..wh."))
			return true;
	return false;
}

static bool whiteout_in_parent(const char *parent)
{
	for (const char *p = parent; p; p = strchr(p, '/'), p = p ? p + 1 : NULL)
		if (str_starts_with(p, ".wh."))
			return true;
	return false;
}

static int dispatch(struct extract *ex, struct tar_reader *tr, const struct tar_entry *e,
		    const char *path, const char *parent, const char *base, struct qerr *err)
{
	layer_record(ex, path);
	int pdir = extract_dir(ex, parent, true);
	if (pdir < 0)
		return q_error(err, -pdir, "parent directory '%.512s'", parent);
	switch (e->type) {
	case TAR_REG:
		return do_file(ex, tr, e, pdir, base, err);
	case TAR_DIR:
		return do_dir(ex, e, path, pdir, base, err);
	case TAR_SYMLINK:
		return do_symlink(ex, e, pdir, base, err);
	case TAR_HARDLINK:
		return do_hardlink(ex, e, path, parent, pdir, base, err);
	case TAR_CHR:
	case TAR_BLK:
	case TAR_FIFO:
		return do_node(ex, e, pdir, base, err);
	}
	return q_error(err, 0, "unknown entry type %d", (int)e->type);
}

static int apply_entry(struct extract *ex, struct tar_reader *tr, const struct tar_entry *e,
		       struct qerr *err)
{
	enum clean_fail why;
	cleanup_free char *path = fs_clean(e->path, &why);
	if (!path && why == CLEAN_DOTDOT)
		return q_error(err, 0, "entry '%.512s': '..' in the name escapes the root", e->path);
	if (!path)
		return q_error(err, 0, "entry with an empty name");
	int rc;
	if (!strcmp(path, ".")) {
		rc = root_entry(ex, e, err);
	} else {
		char *slash = strrchr(path, '/');
		const char *base = slash ? slash + 1 : path;
		cleanup_free char *parent = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
		if (aufs_meta(path, base))
			return 0;
		if (str_starts_with(base, ".wh."))
			rc = extract_whiteout(ex, parent, base + 4, err);
		else if (whiteout_in_parent(parent))
			rc = q_error(err, 0, "a whiteout name used as a directory");
		else
			rc = dispatch(ex, tr, e, path, parent, base, err);
	}
	return rc < 0 ? q_error_wrap(err, "entry '%.512s'", path) : 0;
}

int fs_apply_layer(int root_fd, struct tar_reader *tr, const struct extract_opts *opts,
		   struct extract_stats *stats, struct qerr *err)
{
	struct extract_stats ignored = { 0 };
	struct extract ex = {
		.root_fd = root_fd, .opts = opts, .st = stats ? stats : &ignored,
		.euid = geteuid(), .egid = getegid(), .cache_fd = -1,
	};
	ex.privileged = ex.euid == 0;
	const struct tar_entry *e;
	int rc;
	while ((rc = tar_reader_next(tr, &e, err)) == 1)
		if (apply_entry(&ex, tr, e, err) < 0) {
			rc = -1;
			break;
		}
	if (rc == 0)
		rc = finish_dirs(&ex, err);
	cache_invalidate(&ex);
	if (ex.cache_fd >= 0)
		close(ex.cache_fd);
	for (size_t i = 0; i < ex.n_dirs; i++)
		free(ex.dirs[i].path);
	free(ex.dirs);
	fs_map_release(&ex.layer);
	fs_map_release(&ex.dir_idx);
	return rc;
}
