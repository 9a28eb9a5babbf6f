/* Safe paths: cleaning archive names, opening them inside a root.
 *
 * Threat model: every name in a layer, and every symlink already in the
 * tree (planted by this layer or a lower one), is chosen by whoever built
 * the image. A symlink "etc -> /etc" or "x -> ../../../.." must never make
 * us open, create or change anything outside root_fd. So every lookup of a
 * multi-component path below a root goes through fs_resolve(), which
 * treats root_fd as "/":
 *   - openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) where the kernel has
 *     it (5.6+): the kernel resolves absolute symlinks and ".." against
 *     root_fd and refuses /proc magic links;
 *   - else a userspace walk that does the same one component at a time:
 *     openat(O_PATH | O_NOFOLLOW) per component, symlinks read with
 *     readlinkat and spliced into the remaining path (absolute ones restart
 *     at root_fd), ".." re-derived from the components already resolved
 *     (never opened on disk, so it cannot climb above the root), at most
 *     MAX_SYMLINK_HOPS links.
 * Callers then act on the last component with *at() calls relative to the
 * returned directory fd and O_NOFOLLOW / AT_SYMLINK_NOFOLLOW.
 */
#include "fs/fs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define MAX_SYMLINK_HOPS 40         /* the kernel's MAXSYMLINKS */
#define RESOLVE_FLAGS (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/* ---- cleaning ------------------------------------------------------------ */

char *fs_clean(const char *path, enum clean_fail *why)
{
	*why = CLEAN_OK;
	if (!path[0]) {
		*why = CLEAN_EMPTY;
		return NULL;
	}
	size_t o = 0;
	char *out = xmalloc(strlen(path) + 2);
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - s);
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			free(out);
			*why = CLEAN_DOTDOT;
			return NULL;
		}
		if (o)
			out[o++] = '/';
		memcpy(out + o, s, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '.';     /* "/", "./", "." … all name the root */
	out[o] = '\0';
	return out;
}

char *fs_clean_path(const char *path, struct qerr *err)
{
	enum clean_fail why;
	char *out = fs_clean(path, &why);
	if (out)
		return out;
	switch (why) {
	case CLEAN_DOTDOT:
		q_error(err, 0, "path '%.512s' has a '..' component", path);
		break;
	case CLEAN_EMPTY:
		q_error(err, 0, "empty path");
		break;
	case CLEAN_OK:
		BUG("fs_clean failed without a reason");
	}
	return NULL;
}

/* ---- which resolver -------------------------------------------------------- */

enum resolver { RES_UNKNOWN, RES_OPENAT2, RES_WALK };
static int resolver = RES_UNKNOWN;   /* enum resolver, accessed atomically */
static bool force_walk;              /* test hook */

void fs_resolve_force_fallback(bool on)
{
	__atomic_store_n(&force_walk, on, __ATOMIC_RELAXED);
}

bool fs_resolve_uses_openat2(void)
{
	return !__atomic_load_n(&force_walk, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&resolver, __ATOMIC_RELAXED) != RES_WALK;
}

static long sys_openat2(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = { .flags = (uint64_t)(unsigned)flags, .resolve = RESOLVE_FLAGS };
	/* openat2 refuses a mode without O_CREAT / O_TMPFILE. */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode;
	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static bool unsupported_errno(int e)
{
	/* ENOSYS: old kernel; EINVAL/E2BIG: it does not know our struct or
	 * flags; EPERM: a seccomp filter (older container runtimes) refuses
	 * syscalls it does not know. */
	return e == ENOSYS || e == EINVAL || e == E2BIG || e == EPERM;
}

/* Does openat2 with our resolve flags work at all? Opening the root itself
 * cannot fail for a reason of the caller's, so a refusal here is the
 * kernel's (or a seccomp filter's). */
static bool openat2_works(int root_fd)
{
	long fd = sys_openat2(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd >= 0) {
		close((int)fd);
		return true;
	}
	return !unsupported_errno(errno);
}

static int resolve_openat2(int root_fd, const char *path, int flags, mode_t mode)
{
	for (int tries = 0;; tries++) {
		long fd = sys_openat2(root_fd, path, flags, mode);
		if (fd >= 0)
			return (int)fd;
		/* EAGAIN: RESOLVE_IN_ROOT saw a concurrent rename or mount
		 * and refused to guess; trying again is what the kernel asks. */
		if (errno == EINTR || (errno == EAGAIN && tries < 16))
			continue;
		return -errno;
	}
}

/* ---- the userspace walk ---------------------------------------------------- */

struct walk {
	int root_fd;
	int cur;                /* O_PATH fd of the directory reached so far */
	struct strvec names;    /* the real directories from the root to cur */
	struct strbuf rest;     /* what is left to resolve is rest.buf + pos */
	size_t pos;
	int hops;
	bool mkdirs;
};

static int open_root(struct walk *w)
{
	int fd = openat(w->root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (w->cur >= 0)
		close(w->cur);
	w->cur = fd;
	strvec_clear(&w->names);
	return 0;
}

static void descend(struct walk *w, int fd, const char *name)
{
	close(w->cur);
	w->cur = fd;
	strvec_push(&w->names, name);
}

/* "..": back to the parent of cur, re-derived from the names resolved so
 * far rather than by opening ".." on disk, so a directory moved under us
 * cannot take the walk above the root. ".." at the root stays there, as
 * RESOLVE_IN_ROOT does. */
static int go_up(struct walk *w)
{
	if (w->names.n == 0)
		return 0;
	w->names.n--;
	free(w->names.v[w->names.n]);
	w->names.v[w->names.n] = NULL;
	int fd = openat(w->root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; fd >= 0 && i < w->names.n; i++) {
		int next = openat(fd, w->names.v[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	if (fd < 0)
		return -errno;
	close(w->cur);
	w->cur = fd;
	return 0;
}

/* comp in cur is a symlink (or not: -EINVAL): splice its target in front
 * of the rest of the path. An absolute target restarts at the root. */
static int follow(struct walk *w, const char *comp)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(w->cur, comp, target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(target))
		return -ENAMETOOLONG;
	if (n == 0)
		return -ENOENT;
	if (++w->hops > MAX_SYMLINK_HOPS)
		return -ELOOP;
	struct strbuf nb = STRBUF_INIT;
	strbuf_add(&nb, target, (size_t)n);
	strbuf_adds(&nb, w->rest.buf + w->pos);   /* "" or "/more" */
	strbuf_release(&w->rest);
	w->rest = nb;
	w->pos = 0;
	return target[0] == '/' ? open_root(w) : 0;
}

/* Create a missing directory comp in cur, mode exactly 0755 (umask
 * aside), as Docker and umoci create missing parents. */
static int make_dir(struct walk *w, const char *comp)
{
	if (mkdirat(w->cur, comp, 0755) < 0 && errno != EEXIST)
		return -errno;
	int fd = openat(w->cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fs_chmod_dirfd(fd, 0755);
	close(fd);
	return rc;
}

/* Only "/" and "." components left after pos? */
static bool at_end(const char *s)
{
	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			return true;
		if (s[0] != '.' || (s[1] && s[1] != '/'))
			return false;
		s++;
	}
}

/* An intermediate component: a real directory to step into, or a symlink
 * to splice in. Returns 0 or -errno. */
static int step(struct walk *w, const char *comp)
{
	for (int made = 0;; made++) {
		/* O_NOFOLLOW: a symlink is never followed by the kernel
		 * (which would resolve it against the real "/"); we read it. */
		int fd = openat(w->cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			descend(w, fd, comp);
			return 0;
		}
		int e = errno;
		if (e == ENOENT && w->mkdirs && !made) {
			int rc = make_dir(w, comp);
			if (rc < 0)
				return rc;
			continue;
		}
		if (e != ENOTDIR && e != ELOOP)
			return -e;
		int rc = follow(w, comp);
		return rc == -EINVAL ? -ENOTDIR : rc;
	}
}

/* The last component, opened with the caller's flags. Returns an fd, -errno,
 * or INT_MIN when it was a symlink that has been spliced in (go on). */
static int last(struct walk *w, const char *comp, int flags, mode_t mode, bool trailing)
{
	if (trailing)
		flags |= O_DIRECTORY;
	bool nofollow = (flags & O_NOFOLLOW) && !trailing;
	for (int made = 0;; made++) {
		int fd = openat(w->cur, comp, flags | O_NOFOLLOW, mode);
		int e = errno;
		if (fd >= 0 && (nofollow || !(flags & O_PATH)))
			return fd;
		if (fd >= 0) {
			/* O_PATH | O_NOFOLLOW opened a symlink itself? */
			struct stat st;
			bool link = fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
			if (!link)
				return fd;
			close(fd);
			e = ELOOP;
		}
		if (e == ENOENT && w->mkdirs && !made && !(flags & O_CREAT)) {
			int rc = make_dir(w, comp);
			if (rc < 0)
				return rc;
			continue;
		}
		if (nofollow || (e != ELOOP && e != ENOTDIR))
			return -e;
		int rc = follow(w, comp);
		if (rc == -EINVAL)
			return -e;
		return rc < 0 ? rc : INT_MIN;
	}
}

static int walk_run(struct walk *w, int flags, mode_t mode)
{
	for (;;) {
		const char *r = w->rest.buf;
		while (r[w->pos] == '/')
			w->pos++;
		size_t start = w->pos;
		while (r[w->pos] && r[w->pos] != '/')
			w->pos++;
		size_t n = w->pos - start;
		if (n == 0)     /* the path ended on a directory: open cur itself */
			return last(w, ".", flags & ~O_NOFOLLOW, mode, false);
		cleanup_free char *comp = xstrndup(r + start, n);
		bool end = at_end(r + w->pos);
		bool dot = !strcmp(comp, "."), dotdot = !strcmp(comp, "..");
		int rc = 0;
		if (dotdot)
			rc = go_up(w);
		if (rc < 0)
			return rc;
		if ((dot || dotdot) && end)
			return last(w, ".", flags & ~O_NOFOLLOW, mode, false);
		if (dot || dotdot)
			continue;
		if (end) {
			rc = last(w, comp, flags, mode, r[w->pos] == '/');
			if (rc != INT_MIN)
				return rc;
			continue;
		}
		rc = step(w, comp);
		if (rc < 0)
			return rc;
	}
}

static int walk(int root_fd, const char *path, int flags, mode_t mode, bool mkdirs)
{
	if (!path[0])
		return -ENOENT;
	struct walk w = { .root_fd = root_fd, .cur = -1, .mkdirs = mkdirs };
	strbuf_adds(&w.rest, path);
	int rc = open_root(&w);
	if (rc == 0)
		rc = walk_run(&w, flags, mode);
	if (w.cur >= 0)
		close(w.cur);
	strvec_clear(&w.names);
	strbuf_release(&w.rest);
	return rc;
}

/* ---- the entry points -------------------------------------------------------- */

int fs_resolve(int root_fd, const char *path, int flags, mode_t mode, bool mkdirs)
{
	flags |= O_CLOEXEC;
	/* openat2 cannot create directories on the way, and refuses paths
	 * of PATH_MAX bytes or more (a 10 000-deep tree has them). */
	if (mkdirs || strlen(path) >= PATH_MAX || !fs_resolve_uses_openat2())
		return walk(root_fd, path, flags, mode, mkdirs);
	int fd = resolve_openat2(root_fd, path, flags, mode);
	if (fd >= 0 || !unsupported_errno(-fd)) {
		__atomic_store_n(&resolver, RES_OPENAT2, __ATOMIC_RELAXED);
		return fd;
	}
	/* Refused: ours (bad flags) or the kernel's? Ask once. */
	if (__atomic_load_n(&resolver, __ATOMIC_RELAXED) == RES_OPENAT2 || openat2_works(root_fd)) {
		__atomic_store_n(&resolver, RES_OPENAT2, __ATOMIC_RELAXED);
		return fd;
	}
	__atomic_store_n(&resolver, RES_WALK, __ATOMIC_RELAXED);
	q_debug("openat2 unavailable (%s): resolving paths in userspace", strerror(-fd));
	return walk(root_fd, path, flags, mode, false);
}

int fs_open_in_root(int root_fd, const char *path, int flags, mode_t mode, struct qerr *err)
{
	int fd = fs_resolve(root_fd, path, flags, mode, false);
	if (fd < 0)
		return q_error(err, -fd, "open '%.512s'", path);
	return fd;
}

char *fs_resolve_dots(const char *path, bool clamp, struct qerr *err)
{
	struct strbuf out = STRBUF_INIT;
	const char *p = path;
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (!out.len && !clamp) {
				strbuf_release(&out);
				return q_error(err, 0, "path '%.512s' leaves the top", path), NULL;
			}
			char *last = out.len ? strrchr(out.buf, '/') : NULL;
			out.len = last ? (size_t)(last - out.buf) : 0;
			if (out.buf)
				out.buf[out.len] = '\0';
		} else if (len && !(len == 1 && p[0] == '.')) {
			if (out.len)
				strbuf_addc(&out, '/');
			strbuf_add(&out, p, len);
		}
		p = *end ? end + 1 : end;
	}
	return strbuf_detach(&out);
}
