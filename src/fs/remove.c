/* rm -rf and chmod inside an untrusted tree.
 *
 * Threat: the tree was written from a hostile layer. Removal must never
 * follow a symlink (a link named like the directory we remove is removed
 * itself, its target untouched) and must not recurse: a layer can hold a
 * directory 100 000 levels deep, which would overflow the stack or the
 * descriptor table. So the walk keeps one directory open at a time and
 * climbs back with "..", checking that ".." is the directory it came from
 * (device and inode) before removing anything in it.
 */
#include "fs/fs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* ---- chmod ---------------------------------------------------------------- */

int fs_chmod_nofollow(int dirfd, const char *name, mode_t mode)
{
	/* fchmodat2 (6.6+) honours AT_SYMLINK_NOFOLLOW. */
	if (syscall(SYS_fchmodat2, dirfd, name, mode, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOSYS && errno != EPERM)
		return -errno;
	/* Older kernels: fchmodat always follows, so check first that name is
	 * not a symlink. Nothing else writes into the tree while we work on
	 * it, so what we checked is what we change. */
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	return fchmodat(dirfd, name, mode, 0) < 0 ? -errno : 0;
}

int fs_chmod_dirfd(int fd, mode_t mode)
{
	if (fchmod(fd, mode) == 0)
		return 0;
	if (errno != EBADF)
		return -errno;
	/* An O_PATH fd: fchmod refuses it; a real fd needs read permission. */
	int rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd >= 0) {
		int rc = fchmod(rfd, mode) < 0 ? -errno : 0;
		close(rfd);
		return rc;
	}
	int open_errno = errno;
	if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
		return 0;
	return errno == ENOSYS || errno == EINVAL ? -open_errno : -errno;
}

/* ---- rm -rf ------------------------------------------------------------------ */

struct rm_frame {
	dev_t dev;
	ino_t ino;
	char *name;             /* in the parent frame's directory */
	struct strvec subdirs;  /* left to remove */
	size_t next;
};

struct rm {
	struct rm_frame *frames;
	size_t n, cap;
	int cur;                /* the top frame's directory */
};

static char *rm_path(const struct rm *r, const char *child)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < r->n; i++) {
		if (i)
			strbuf_addc(&sb, '/');
		strbuf_adds(&sb, r->frames[i].name);
	}
	if (child) {
		if (sb.len)
			strbuf_addc(&sb, '/');
		strbuf_adds(&sb, child);
	}
	return strbuf_detach(&sb);
}

static int rm_fail(const struct rm *r, const char *child, int errnum, const char *what,
		   struct qerr *err)
{
	cleanup_free char *p = rm_path(r, child);
	return q_error(err, errnum, "%s '%.512s'", what, p);
}

/* Open name (a directory) in dirfd, without following a symlink, made
 * readable and writable by us when we own it. */
static int open_dir(int dirfd, const char *name, struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fs_chmod_nofollow(dirfd, name, 0700) == 0)
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if ((st->st_mode & 0700) != 0700 && st->st_uid == geteuid())
		fchmod(fd, (st->st_mode & 07777) | 0700);
	return fd;
}

/* Read all names of fd first (removing while reading a directory is left
 * unspecified by POSIX), unlink the non-directories, keep the others. */
static int clear_files(struct rm *r, int fd, struct strvec *subdirs, struct qerr *err)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return rm_fail(r, NULL, errno, "list", err);
	}
	struct strvec files = STRVEC_INIT;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strvec_push(de->d_type == DT_DIR ? subdirs : &files, de->d_name);
	}
	closedir(d);
	int rc = 0;
	for (size_t i = 0; i < files.n && rc == 0; i++) {
		const char *f = files.v[i];
		if (unlinkat(fd, f, 0) == 0 || errno == ENOENT)
			continue;
		struct stat st;
		if ((errno == EISDIR || errno == EPERM) &&
		    fstatat(fd, f, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			strvec_push(subdirs, f);    /* d_type was DT_UNKNOWN */
		else
			rc = rm_fail(r, f, errno, "remove", err);
	}
	strvec_clear(&files);
	return rc;
}

static int push_dir(struct rm *r, int dirfd, const char *name, struct qerr *err)
{
	struct stat st;
	int fd = open_dir(dirfd, name, &st);
	if (fd < 0)
		return rm_fail(r, name, -fd, "open", err);
	r->frames = xgrow(r->frames, &r->cap, r->n + 1, sizeof(*r->frames));
	struct rm_frame *f = &r->frames[r->n++];
	*f = (struct rm_frame){ .dev = st.st_dev, .ino = st.st_ino, .name = xstrdup(name) };
	if (r->cur >= 0)
		close(r->cur);
	r->cur = fd;
	return clear_files(r, fd, &f->subdirs, err);
}

static void pop_frame(struct rm *r)
{
	struct rm_frame *f = &r->frames[--r->n];
	free(f->name);
	strvec_clear(&f->subdirs);
}

/* Back to the parent frame's directory through "..", which must be the
 * very directory we came down from: a directory moved under us must not
 * make us remove things elsewhere. Then remove the (now empty) child. */
static int climb(struct rm *r, struct qerr *err)
{
	const struct rm_frame *parent = &r->frames[r->n - 2];
	int up = openat(r->cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (up < 0 || fstat(up, &st) < 0 || st.st_dev != parent->dev || st.st_ino != parent->ino) {
		int e = up < 0 ? errno : 0;
		if (up >= 0)
			close(up);
		return rm_fail(r, NULL, e, e ? "open parent of" : "moved while removing", err);
	}
	close(r->cur);
	r->cur = up;
	const char *name = r->frames[r->n - 1].name;
	if (unlinkat(up, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return rm_fail(r, NULL, errno, "remove", err);
	pop_frame(r);
	return 0;
}

/* One step down into the top frame's next subdirectory, or up when done. */
static int rm_step(struct rm *r, struct qerr *err)
{
	struct rm_frame *top = &r->frames[r->n - 1];
	if (top->next == top->subdirs.n)
		return climb(r, err);
	const char *child = top->subdirs.v[top->next++];
	if (unlinkat(r->cur, child, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;                    /* it was empty */
	if (errno != ENOTEMPTY && errno != EEXIST && errno != EACCES && errno != EPERM)
		return rm_fail(r, child, errno, "remove", err);
	return push_dir(r, r->cur, child, err);
}

static int remove_dir(int dirfd, const char *name, struct qerr *err)
{
	struct rm r = { .cur = -1 };
	int rc = push_dir(&r, dirfd, name, err);
	while (rc == 0 && (r.n > 1 || r.frames[0].next < r.frames[0].subdirs.n))
		rc = rm_step(&r, err);
	if (r.cur >= 0)
		close(r.cur);
	while (r.n)
		pop_frame(&r);
	free(r.frames);
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = q_error(err, errno, "remove '%.512s'", name);
	return rc;
}

int fs_remove_at(int dirfd, const char *name, struct qerr *err)
{
	/* unlinkat without AT_REMOVEDIR removes a symlink itself, never
	 * what it points to. */
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	int e = errno;
	struct stat st;
	if ((e != EISDIR && e != EPERM) || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode))
		return q_error(err, e, "remove '%.512s'", name);
	return remove_dir(dirfd, name, err);
}
