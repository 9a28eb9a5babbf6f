/* The hardened image's /etc/ld.so.cache: the source's entries whose library
 * is still there, nothing else. The source's cache as is would name
 * libraries the image no longer has; the loader would then try them one by
 * one and fail, and a scanner reading the cache would list what is gone. */
#include "harden/harden.h"
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LDCACHE_PATH "etc/ld.so.cache"
#define LDCACHE_MAX (64u << 20)
#define GENERATOR "quench harden"

static bool kept(const struct strvec *keep, const char *path)
{
	for (size_t i = 0; i < keep->n; i++)
		if (!strcmp(keep->v[i], path))
			return true;
	return false;
}

/* Is the entry's path a regular file of the stage? Resolved as the loader
 * in the container will resolve it: symlinks followed, inside the stage
 * only (a link in the image that points out of it never reaches the host). */
static bool in_stage(int stage_fd, const char *path)
{
	if (path[0] != '/')
		return false;   /* the loader opens it from its working directory: never ours */
	cleanup_free char *rel = fs_clean_path(path, NULL);
	if (!rel || !strcmp(rel, "."))
		return false;
	cleanup_close int fd = fs_open_in_root(stage_fd, rel, O_PATH | O_CLOEXEC, 0, NULL);
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Replace stage's etc/ld.so.cache (the copy of the source's) with data; a
 * symlink there is replaced, never followed. */
static int write_cache(int stage_fd, const struct strbuf *data, struct qerr *err)
{
	cleanup_close int dir = fs_open_in_root(stage_fd, "etc", O_PATH | O_DIRECTORY | O_CLOEXEC,
						0, err);
	if (dir < 0)
		return q_error_wrap(err, "stage");
	if (unlinkat(dir, "ld.so.cache", 0) < 0 && errno != ENOENT)
		return q_error(err, errno, "remove " LDCACHE_PATH);
	if (!data)
		return 0;
	cleanup_close int out = openat(dir, "ld.so.cache", O_WRONLY | O_CREAT | O_EXCL |
				       O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return q_error(err, errno, "write " LDCACHE_PATH);
	return write_all(out, data->buf, data->len, err);
}

/* 0 read, 1 none (the loader's view: resolved inside the root), -1 error. */
static int read_source(const char *rootfs, char **data, size_t *len, struct qerr *err)
{
	cleanup_close int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return q_error(err, errno, "open '%s'", rootfs);
	cleanup_close int in = fs_open_in_root(root_fd, LDCACHE_PATH, O_RDONLY | O_CLOEXEC, 0,
					       err);
	/* A dangling or looping link, or not a file: the loader has no cache
	 * either. */
	if (in < 0 && err && (err->errnum == ENOENT || err->errnum == ELOOP ||
			      err->errnum == ENOTDIR))
		return 1;
	if (in < 0)
		return q_error_wrap(err, "image");
	struct stat st;
	if (fstat(in, &st) < 0)
		return q_error(err, errno, "stat " LDCACHE_PATH);
	if (!S_ISREG(st.st_mode))
		return 1;
	return read_fd_all(in, LDCACHE_PATH, LDCACHE_MAX, data, len, err);
}

int harden_ldcache(const char *rootfs, const char *stage, const struct strvec *keep,
		   struct qerr *err)
{
	if (!kept(keep, LDCACHE_PATH))
		return 0;   /* the source has none, or --exclude dropped it */
	cleanup_close int stage_fd = open(stage, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (stage_fd < 0)
		return q_error(err, errno, "open '%s'", stage);
	cleanup_free char *data = NULL;
	size_t len;
	int rc = read_source(rootfs, &data, &len, err);
	if (rc != 0)
		return rc < 0 ? -1 : write_cache(stage_fd, NULL, err);
	struct ldcache src;
	struct qerr perr = QERR_INIT;
	if (ldcache_parse(data, len, &src, &perr) < 0) {
		/* The loader ignores a cache it cannot read: no cache is the same. */
		q_warn("image: %s; the hardened image has none", perr.msg);
		return write_cache(stage_fd, NULL, err);
	}
	char generator[] = GENERATOR;
	struct ldcache out = src;   /* borrows src's strings */
	out.v = xcalloc(src.n + 1, sizeof(*out.v));
	out.n = 0;
	out.generator = generator;
	for (size_t i = 0; i < src.n; i++)
		if (in_stage(stage_fd, src.v[i].value))
			out.v[out.n++] = src.v[i];
	q_info("%s: %zu of %zu entries kept", LDCACHE_PATH, out.n, src.n);
	struct strbuf sb = STRBUF_INIT;
	ldcache_write(&out, &sb);
	rc = write_cache(stage_fd, &sb, err);
	strbuf_release(&sb);
	free(out.v);
	ldcache_release(&src);
	return rc;
}
