/* Copying the keep set out of the image's root into a staging directory,
 * the tree the hardened image's one layer is made from. Every source path
 * is resolved inside the root (fs_open_in_root), every entry copied as
 * what it is, never followed. */
#include "harden/harden.h"
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

struct stager {
	int root_fd, stage_fd;
	const struct harden_opts *o;
	struct harden_stats *st;
	struct strmap written;       /* paths the workload wrote: given to its user */
	struct strvec written_keys;
};

static int copy_data(int in, int out, const char *path, struct qerr *err)
{
	for (;;) {
		ssize_t n = sendfile(out, in, NULL, 1 << 30);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return q_error(err, errno, "copy '%s'", path);
		if (n == 0)
			return 0;
	}
}

static int copy_file(int in, int dst_dir, const char *base, const char *path, struct qerr *err)
{
	cleanup_close int out = openat(dst_dir, base, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return q_error(err, errno, "copy '%s'", path);
	return copy_data(in, out, path, err);
}

/* A file the hardened image takes as it is (same owner and mode) is
 * hard-linked from the unpacked source rather than copied: creating and
 * filling thousands of files costs far more than linking them, and the
 * stage is only read (by validation, through its overlay, and by the layer
 * writer) before it is removed. Not when the file has extended attributes:
 * the hardened image drops them (file capabilities, like setuid bits). Any
 * failure (another filesystem, protected hard links) means a copy. */
static bool link_file(int in, int src_dir, int dst_dir, const char *base)
{
	char names[1];
	ssize_t n = flistxattr(in, names, 0);
	return (n == 0 || (n < 0 && errno == ENOTSUP)) && linkat(src_dir, base, dst_dir, base, 0) == 0;
}

/* The mode the hardened image gets: no setuid/setgid, no world-writable
 * directory but /tmp (which is 1777). */
static mode_t hardened_mode(struct stager *s, const char *path, const struct stat *sb)
{
	mode_t m = sb->st_mode & 07777;
	if (m & (S_ISUID | S_ISGID) && !S_ISDIR(sb->st_mode)) {
		m &= ~(mode_t)(S_ISUID | S_ISGID);
		s->st->setuid_dropped++;
	}
	if (S_ISDIR(sb->st_mode))
		m = !strcmp(path, "tmp") ? 01777 : m & ~(mode_t)S_IWOTH;
	return m;
}

static void owner(struct stager *s, const char *path, const struct stat *sb, uid_t *uid, gid_t *gid)
{
	size_t v;
	*uid = sb->st_uid;
	*gid = sb->st_gid;
	if (s->o->uid && strmap_get(&s->written, path, &v)) {
		*uid = s->o->uid;
		*gid = s->o->gid;
		s->st->chowned++;
	}
}

static int copy_one(struct stager *s, int src_dir, int dst_dir, const char *base,
		    const char *path, struct qerr *err)
{
	struct stat sb;
	if (fstatat(src_dir, base, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : q_error(err, errno, "'%s'", path);
	uid_t uid;
	gid_t gid;
	owner(s, path, &sb, &uid, &gid);
	mode_t mode = hardened_mode(s, path, &sb);
	bool linked = false;
	if (S_ISDIR(sb.st_mode)) {
		if (mkdirat(dst_dir, base, 0700) < 0 && errno != EEXIST)
			return q_error(err, errno, "mkdir '%s'", path);
		s->st->dirs++;
	} else if (S_ISLNK(sb.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(src_dir, base, target, sizeof(target) - 1);
		if (n < 0 || n >= (ssize_t)sizeof(target) - 1)
			return q_error(err, n < 0 ? errno : ENAMETOOLONG, "readlink '%s'", path);
		target[n] = '\0';
		if (symlinkat(target, dst_dir, base) < 0 && errno != EEXIST)
			return q_error(err, errno, "symlink '%s'", path);
		s->st->symlinks++;
		return fchownat(dst_dir, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM
			       ? q_error(err, errno, "chown '%s'", path) : 0;
	} else if (S_ISREG(sb.st_mode)) {
		cleanup_close int in = openat(src_dir, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return q_error(err, errno, "copy '%s'", path);
		bool same = uid == sb.st_uid && gid == sb.st_gid && mode == (sb.st_mode & 07777);
		linked = same && link_file(in, src_dir, dst_dir, base);
		if (!linked && copy_file(in, dst_dir, base, path, err) < 0)
			return -1;
		s->st->files++;
		s->st->bytes += (uint64_t)sb.st_size;
	} else {
		s->st->devices_dropped++;   /* device nodes, FIFOs, sockets: never kept */
		return 0;
	}
	if (!linked && fchownat(dst_dir, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM)
		return q_error(err, errno, "chown '%s'", path);
	if (!linked && fchmodat(dst_dir, base, mode, 0) < 0)
		return q_error(err, errno, "chmod '%s'", path);
	/* what was written, not what we meant to write */
	struct stat out;
	bool written = fstatat(dst_dir, base, &out, AT_SYMLINK_NOFOLLOW) == 0;
	if (written && !S_ISDIR(out.st_mode) && (out.st_mode & (S_ISUID | S_ISGID)))
		s->st->setuid_left++;
	if (written && S_ISREG(out.st_mode) && (out.st_mode & 0111))
		s->st->executables++;
	return 0;
}

/* Open path's directory in the root and in the stage (both resolved inside). */
static int copy_path(struct stager *s, const char *path, struct qerr *err)
{
	const char *slash = strrchr(path, '/');
	cleanup_free char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	const char *base = slash ? slash + 1 : path;
	int flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	cleanup_close int src = fs_open_in_root(s->root_fd, dir, flags, 0, NULL);
	if (src < 0)
		return 0;   /* under something that is not a directory in the image */
	cleanup_close int dst = fs_open_in_root(s->stage_fd, dir, flags, 0, err);
	if (dst < 0)
		return q_error_wrap(err, "stage");
	return copy_one(s, src, dst, base, path, err);
}

static void note_written(struct stager *s, json_t *rbom)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_get_arr(rbom, "files"), i, f) {
		size_t u;
		json_t *use;
		const char *path = json_get_str(f, "path");
		json_array_foreach(json_get_arr(f, "uses"), u, use)
			if (path && path[0] == '/' && json_is_string(use) &&
			    !strcmp(json_string_value(use), "write")) {
				strvec_push(&s->written_keys, path + 1);
				strmap_put(&s->written, s->written_keys.v[s->written_keys.n - 1], 1);
				break;
			}
	}
}

int harden_stage(const char *rootfs, const struct strvec *keep, const char *stage,
		 json_t *rbom, const struct harden_opts *o, struct harden_stats *st,
		 struct qerr *err)
{
	memset(st, 0, sizeof(*st));
	struct stager s = { .o = o, .st = st, .written = STRMAP_INIT, .written_keys = STRVEC_INIT };
	s.root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	s.stage_fd = open(stage, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int rc = s.root_fd < 0 || s.stage_fd < 0 ? q_error(err, errno, "open '%s'", s.root_fd < 0
								 ? rootfs : stage) : 0;
	if (rc == 0)
		note_written(&s, rbom);
	for (size_t i = 0; rc == 0 && i < keep->n; i++)
		rc = copy_path(&s, keep->v[i], err);
	/* directories last: their modes may forbid what copying needed */
	for (size_t i = keep->n; rc == 0 && i-- > 0;) {
		struct stat sb;
		cleanup_close int src = fs_open_in_root(s.root_fd, keep->v[i], O_PATH | O_NOFOLLOW |
							O_CLOEXEC, 0, NULL);
		if (src < 0 || fstat(src, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		cleanup_close int dst = fs_open_in_root(s.stage_fd, keep->v[i], O_RDONLY |
							O_DIRECTORY | O_CLOEXEC, 0, NULL);
		uid_t uid;
		gid_t gid;
		owner(&s, keep->v[i], &sb, &uid, &gid);
		if (dst >= 0 && ((fchown(dst, uid, gid) < 0 && errno != EPERM) ||
				 fchmod(dst, hardened_mode(&s, keep->v[i], &sb)) < 0))
			rc = q_error(err, errno, "chmod '%s'", keep->v[i]);
	}
	if (s.root_fd >= 0)
		close(s.root_fd);
	if (s.stage_fd >= 0)
		close(s.stage_fd);
	strmap_release(&s.written);
	strvec_clear(&s.written_keys);
	return rc;
}
