/* Whiteouts (OCI image spec, layer.md "Whiteouts"):
 *   DIR/.wh.NAME        NAME in DIR is deleted (rm -rf for a directory);
 *                       the marker itself is not created
 *   DIR/.wh..wh..opq    DIR is opaque: what lower layers put in it is gone
 * The spec says whiteouts hide only what lower layers hold: entries of the
 * same layer survive them, wherever the marker comes in the stream.
 *
 * What we chose: the extraction records every path the layer writes
 * (LAYER_ENTRY) and every ancestor of such a path (LAYER_ANCESTOR), and
 * applies a marker when it meets it:
 *   - .wh.NAME: NAME written by this layer → ignored (it stays); NAME only an
 *     ancestor of this layer's entries (a lower directory this layer wrote
 *     into) → pruned like an opaque directory, itself kept; else removed;
 *   - opaque DIR → pruned: each child that this layer did not write is
 *     removed; children that it wrote, or wrote into, are kept, and the
 *     directories among them are pruned in turn. Entries that come after
 *     the marker are created after the prune and need nothing.
 * Paths are compared as written (cleaned): an entry that reached DIR
 * through a symlink under another name is not recognised as DIR's.
 *
 * keep_whiteouts (layers kept apart, for overlayfs to stack later): the
 * markers are stored in overlayfs's format instead of applied: NAME as a
 * character device 0/0 (any user may make one since Linux 5.8; else an
 * empty file with the xattr user.overlay.whiteout), an opaque DIR with the
 * xattr trusted.overlay.opaque=y (user.overlay.opaque=y without root).
 */
#include "fs/fs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

static char *join(const char *parent, const char *name)
{
	return strcmp(parent, ".") ? xasprintf("%s/%s", parent, name) : xstrdup(name);
}

static uint64_t layer_kind(struct extract *ex, const char *path)
{
	uint64_t *v = fs_map_get(&ex->layer, path, strlen(path));
	return v ? *v : 0;
}

/* ---- pruning ------------------------------------------------------------------ */

static int list_names(int fd, struct strvec *names)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		return -e;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strvec_push(names, de->d_name);
	closedir(d);
	return 0;
}

/* One directory of a prune: remove what this layer did not write, queue
 * the directories it did write (or wrote into). */
static int prune_dir(struct extract *ex, const char *dir, struct strvec *todo, struct qerr *err)
{
	/* THREAT: resolved inside the root, last component not followed: an
	 * opaque marker in "d" where d is a symlink must not clear what the
	 * link points to. */
	int fd = fs_resolve(ex->root_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, false);
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
		return 0;
	if (fd < 0)
		return q_error(err, -fd, "open '%.512s'", dir);
	extract_make_writable(ex, fd, dir);
	struct strvec names = STRVEC_INIT;
	int rc = list_names(fd, &names);
	if (rc < 0)
		rc = q_error(err, -rc, "list '%.512s'", dir);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		cleanup_free char *child = join(dir, names.v[i]);
		struct stat st;
		if (!layer_kind(ex, child))
			rc = extract_remove(ex, fd, names.v[i], err);   /* never follows links */
		else if (fstatat(fd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			strvec_push(todo, child);
	}
	strvec_clear(&names);
	close(fd);
	return rc;
}

/* A worklist, not recursion: the tree may be very deep. */
static int prune(struct extract *ex, const char *start, struct qerr *err)
{
	struct strvec todo = STRVEC_INIT;
	strvec_push(&todo, start);
	int rc = 0;
	while (rc == 0 && todo.n) {
		char *dir = todo.v[--todo.n];
		todo.v[todo.n] = NULL;
		rc = prune_dir(ex, dir, &todo, err);
		free(dir);
	}
	strvec_clear(&todo);
	return rc;
}

/* ---- overlayfs format (keep_whiteouts) --------------------------------------------- */

static int make_whiteout_dev(int pdir, const char *name)
{
	return mknodat(pdir, name, S_IFCHR, makedev(0, 0)) < 0 ? -errno : 0;
}

static int make_whiteout_file(int pdir, const char *name, struct qerr *err)
{
	/* THREAT: O_EXCL | O_NOFOLLOW, as for every file we create. */
	int fd = openat(pdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return q_error(err, errno, "create whiteout '%.200s'", name);
	int rc = fsetxattr(fd, "user.overlay.whiteout", "", 0, 0);
	if (rc < 0)
		rc = q_error(err, errno, "whiteout '%.200s': set xattr user.overlay.whiteout", name);
	close(fd);
	return rc;
}

static int keep_whiteout(struct extract *ex, const char *parent, const char *name,
			 struct qerr *err)
{
	int pdir = extract_dir(ex, parent, true);
	if (pdir < 0)
		return q_error(err, -pdir, "parent directory '%.512s'", parent);
	if (extract_remove(ex, pdir, name, err) < 0)
		return -1;
	int rc = make_whiteout_dev(pdir, name);
	if (rc == -EPERM)
		return make_whiteout_file(pdir, name, err);
	return rc < 0 ? q_error(err, -rc, "create whiteout '%.200s'", name) : 0;
}

static int keep_opaque(struct extract *ex, const char *dir, struct qerr *err)
{
	int pfd = extract_dir(ex, dir, true);
	if (pfd < 0)
		return q_error(err, -pfd, "directory '%.512s'", dir);
	int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return q_error(err, errno, "open '%.512s'", dir);
	const char *name = ex->privileged ? "trusted.overlay.opaque" : "user.overlay.opaque";
	int rc = fsetxattr(fd, name, "y", 1, 0);
	if (rc < 0)
		rc = q_error(err, errno, "'%.512s': set xattr %s", dir, name);
	close(fd);
	return rc;
}

/* ---- markers ------------------------------------------------------------------------ */

static int opaque(struct extract *ex, const char *dir, struct qerr *err)
{
	ex->st->opaque_dirs++;
	if (ex->opts->keep_whiteouts)
		return keep_opaque(ex, dir, err);
	return prune(ex, dir, err);
}

int extract_whiteout(struct extract *ex, const char *parent, const char *name, struct qerr *err)
{
	if (!strcmp(name, ".wh..opq"))
		return opaque(ex, parent, err);
	if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
		return q_error(err, 0, "whiteout of '%.200s' refused", name);
	ex->st->whiteouts++;
	cleanup_free char *target = join(parent, name);
	uint64_t kind = layer_kind(ex, target);
	if (kind == LAYER_ENTRY)
		return 0;           /* only lower layers' files are hidden */
	if (ex->opts->keep_whiteouts)
		return keep_whiteout(ex, parent, name, err);
	if (kind == LAYER_ANCESTOR)
		return prune(ex, target, err);
	/* THREAT: the parent is resolved inside the root; name is removed
	 * in it without following a link (a symlink is removed itself). */
	int pdir = extract_dir(ex, parent, false);
	if (pdir == -ENOENT || pdir == -ENOTDIR)
		return 0;           /* nothing there to hide */
	if (pdir < 0)
		return q_error(err, -pdir, "parent directory '%.512s'", parent);
	return extract_remove(ex, pdir, name, err);
}
