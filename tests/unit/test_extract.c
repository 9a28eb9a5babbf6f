/* Tests of safe paths, layer extraction and tree-to-tar.
 *
 * Layer tars are built at test time by extract_fixtures.py (Python's
 * tarfile), hostile ones included. The whole suite runs twice: once with
 * openat2(RESOLVE_IN_ROOT) and once with the userspace resolver forced, so
 * every hostile case is checked against both. Rootless behaviour is
 * checked in a child that drops to nobody (when we are root), or directly
 * (when we are not). Each test works in its own scratch directory under
 * one base directory, and checks that nothing appeared beside its root.
 */
#include "fs/fs.h"
#include "fs/fs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <setjmp.h>
#include <cmocka.h>

/* ---- helpers -------------------------------------------------------------- */

static char fixtures[600];
static char base[512];
static bool is_root;

#define assert_ok(expr, e)                                              \
	do {                                                            \
		if ((expr) < 0)                                         \
			fail_msg("%s failed: %s", #expr, (e).msg);      \
	} while (0)

/* Names a successful escape would have created outside every root. */
static const char *const probes[] = {
	"/quench_escape_probe", "/quench_escape_up", "/quench_escape_dotdot",
	"/quench_escape_mid", "/tmp/quench_escape_tmpdir", "/etc/quench_escape_etc",
	"/quench_escape_dirlink", "/etc/quench_abs", "/abs_dir", "/h",
};

struct scratch {
	char dir[700];
	char root[800];
	int root_fd;
};

static void scratch_new(struct scratch *s, uid_t owner)
{
	static int n;
	snprintf(s->dir, sizeof(s->dir), "%s/t%d", base, n++);
	snprintf(s->root, sizeof(s->root), "%s/root", s->dir);
	assert_int_equal(mkdir(s->dir, 0755), 0);
	assert_int_equal(mkdir(s->root, 0755), 0);
	if (owner != geteuid()) {
		assert_int_equal(chown(s->dir, owner, owner), 0);
		assert_int_equal(chown(s->root, owner, owner), 0);
	}
	s->root_fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(s->root_fd >= 0);
}

/* Nothing beside the root in its scratch directory, nothing at the probe
 * names outside, nothing stray in the base directory. */
static void assert_contained(const struct scratch *s)
{
	DIR *d = opendir(s->dir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "root"))
			fail_msg("'%s' created beside the root", de->d_name);
	closedir(d);
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		struct stat st;
		if (lstat(probes[i], &st) == 0)
			fail_msg("'%s' created outside the root", probes[i]);
	}
	d = opendir(base);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && de->d_name[0] != 't')
			fail_msg("'%s' created in the base directory", de->d_name);
	closedir(d);
}

static void scratch_free(struct scratch *s)
{
	close(s->root_fd);
	struct qerr err = QERR_INIT;
	assert_ok(fs_remove_at(AT_FDCWD, s->dir, &err), err);
}

static ssize_t fd_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	ssize_t n;
	do
		n = read(*(int *)ctx, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return q_error(err, errno, "read");
	return n;
}

static int apply_path(int root_fd, const char *tar, const struct extract_opts *o,
		      struct extract_stats *st, struct qerr *err)
{
	int fd = open(tar, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return q_error(err, errno, "open '%s'", tar);
	struct byte_source src = { fd_read, NULL, &fd };
	struct tar_reader *tr = tar_reader_new(&src);
	int rc = fs_apply_layer(root_fd, tr, o, st, err);
	tar_reader_free(tr);
	close(fd);
	return rc;
}

static int apply(int root_fd, const char *fixture, const struct extract_opts *o,
		 struct extract_stats *st, struct qerr *err)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", fixtures, fixture);
	return apply_path(root_fd, p, o, st, err);
}

static struct extract_opts full_opts(void)
{
	return (struct extract_opts){ .apply_owner = is_root, .create_devices = is_root,
				      .apply_xattrs = true };
}

static int fd_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	return write_all(*(int *)ctx, buf, len, err);
}

static int write_tree_to(int root_fd, const char *tar, const struct tree_opts *o,
			 struct qerr *err)
{
	int fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return q_error(err, errno, "create '%s'", tar);
	struct byte_sink sink = { fd_write, &fd };
	struct tar_writer *tw = tar_writer_new(&sink);
	int rc = fs_write_tree(root_fd, tw, o, err);
	if (rc == 0)
		rc = tar_writer_finish(tw, err);
	tar_writer_free(tw);
	close(fd);
	return rc;
}

/* lstat of path inside the root (no symlink in path but maybe the last). */
static int lst(const struct scratch *s, const char *path, struct stat *st)
{
	return fstatat(s->root_fd, path, st, AT_SYMLINK_NOFOLLOW);
}

static bool exists(const struct scratch *s, const char *path)
{
	struct stat st;
	return lst(s, path, &st) == 0;
}

static char *read_fd(int fd)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	assert_true(n == 0);
	return strbuf_detach(&sb);
}

static char *slurp(int root_fd, const char *path)
{
	struct qerr err = QERR_INIT;
	int fd = fs_open_in_root(root_fd, path, O_RDONLY, 0, &err);
	if (fd < 0)
		fail_msg("%s", err.msg);
	char *data = read_fd(fd);
	close(fd);
	return data;
}

static void assert_content(const struct scratch *s, const char *path, const char *want)
{
	char *got = slurp(s->root_fd, path);
	assert_string_equal(got, want);
	free(got);
}

static void assert_mode(const struct scratch *s, const char *path, mode_t type, mode_t perm)
{
	struct stat st;
	if (lst(s, path, &st) < 0)
		fail_msg("'%s': %s", path, strerror(errno));
	assert_int_equal(st.st_mode & S_IFMT, type);
	assert_int_equal(st.st_mode & 07777, perm);
}

static void assert_link(const struct scratch *s, const char *path, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(s->root_fd, path, buf, sizeof(buf) - 1);
	if (n < 0)
		fail_msg("readlink '%s': %s", path, strerror(errno));
	buf[n] = '\0';
	assert_string_equal(buf, target);
}

/* The layer must fail, the message must name the entry and say why. */
static void assert_fails(const char *fixture, const char *entry, const char *why)
{
	struct scratch s;
	scratch_new(&s, geteuid());
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	struct extract_stats st = { 0 };
	int rc = apply(s.root_fd, fixture, &o, &st, &err);
	if (rc == 0)
		fail_msg("%s: extraction succeeded", fixture);
	if (!strstr(err.msg, entry) || !strstr(err.msg, why))
		fail_msg("%s: message '%s' lacks '%s' or '%s'", fixture, err.msg, entry, why);
	assert_contained(&s);
	scratch_free(&s);
}

/* ---- fs_clean_path ------------------------------------------------------------ */

static void t_clean_path(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } ok[] = {
		{ "usr/bin/x", "usr/bin/x" }, { "./usr/bin/x", "usr/bin/x" },
		{ "/usr/bin/x", "usr/bin/x" }, { "usr//bin/./x/", "usr/bin/x" },
		{ "///a", "a" }, { ".", "." }, { "./", "." }, { "/", "." }, { "//./.", "." },
		{ "a/.b/..c/c..", "a/.b/..c/c.." }, { ".wh..wh..opq", ".wh..wh..opq" },
		{ "a/...", "a/..." },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		struct qerr err = QERR_INIT;
		char *c = fs_clean_path(ok[i].in, &err);
		if (!c)
			fail_msg("'%s': %s", ok[i].in, err.msg);
		assert_string_equal(c, ok[i].out);
		free(c);
	}
	static const char *const bad[] = { "..", "../x", "a/../b", "a/..", "/..", "./../", "" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct qerr err = QERR_INIT;
		char *c = fs_clean_path(bad[i], &err);
		if (c)
			fail_msg("'%s' accepted as '%s'", bad[i], c);
		assert_true(err.msg[0] != '\0');
		if (bad[i][0])
			assert_non_null(strstr(err.msg, bad[i]));
	}
}

/* ---- fs_open_in_root ------------------------------------------------------------ */

static void read_back(int fd, const char *want)
{
	char buf[64] = { 0 };
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	assert_string_equal(buf, want);
}

static void t_open_in_root(void **state)
{
	bool walk = *(bool *)*state;
	assert_true(fs_resolve_uses_openat2() == !walk);
	struct scratch s;
	scratch_new(&s, geteuid());
	int r = s.root_fd;
	assert_int_equal(mkdirat(r, "etc", 0755), 0);
	int fd = openat(r, "etc/passwd", O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "inner", 5), 5);
	close(fd);
	static const char *const links[][2] = {
		{ "up", "../../../../.." }, { "abs", "/etc/passwd" }, { "rel", "etc/passwd" },
		{ "l1", "l2" }, { "l2", "l1" }, { "dir", "/etc" }, { "dotdot", "etc/../../.." },
		{ "newabs", "/made/../newfile" }, { "trail", "etc/" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		assert_int_equal(symlinkat(links[i][1], r, links[i][0]), 0);
	static const char *const same[] = {
		"abs", "rel", "up/etc/passwd", "dir/passwd", "up/up/abs", "dotdot/etc/passwd",
		"trail/passwd", "dir/../dir/passwd",
	};
	struct qerr err = QERR_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(same); i++) {
		fd = fs_open_in_root(r, same[i], O_RDONLY, 0, &err);
		if (fd < 0)
			fail_msg("'%s': %s", same[i], err.msg);
		read_back(fd, "inner");
		close(fd);
	}
	struct stat rst, st;
	assert_int_equal(fstat(r, &rst), 0);
	static const char *const roots[] = { "up", ".", "up/..", "dotdot", "dir/..", "up/" };
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		fd = fs_open_in_root(r, roots[i], O_RDONLY | O_DIRECTORY, 0, &err);
		if (fd < 0)
			fail_msg("'%s': %s", roots[i], err.msg);
		assert_int_equal(fstat(fd, &st), 0);
		assert_true(st.st_ino == rst.st_ino && st.st_dev == rst.st_dev);
		close(fd);
	}
	assert_int_equal(fs_resolve(r, "l1", O_RDONLY, 0, false), -ELOOP);
	assert_int_equal(fs_resolve(r, "l1/x", O_RDONLY, 0, false), -ELOOP);
	assert_int_equal(fs_resolve(r, "abs", O_RDONLY | O_NOFOLLOW, 0, false), -ELOOP);
	assert_int_equal(fs_resolve(r, "etc/passwd/x", O_RDONLY, 0, false), -ENOTDIR);
	assert_int_equal(fs_resolve(r, "nothing", O_RDONLY, 0, false), -ENOENT);
	fd = fs_resolve(r, "up", O_PATH | O_NOFOLLOW, 0, false);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	close(fd);
	/* O_CREAT through a dangling absolute link creates inside the root. */
	fd = fs_resolve(r, "newabs", O_WRONLY | O_CREAT, 0600, false);
	if (fd == -ENOENT) {
		/* "/made/.." needs "made": both resolvers agree on ENOENT. */
		assert_int_equal(mkdirat(r, "made", 0755), 0);
		fd = fs_resolve(r, "newabs", O_WRONLY | O_CREAT, 0600, false);
	}
	assert_true(fd >= 0);
	close(fd);
	assert_true(exists(&s, "newfile"));
	/* mkdir -p inside the root, through a link to "/". */
	fd = fs_resolve(r, "up/x/y", O_PATH | O_DIRECTORY, 0, true);
	assert_true(fd >= 0);
	close(fd);
	assert_mode(&s, "x/y", S_IFDIR, 0755);
	assert_contained(&s);
	scratch_free(&s);
}

/* ---- extraction: ordinary layers ------------------------------------------------------ */

static void check_basic_root_only(const struct scratch *s)
{
	struct stat st;
	assert_mode(s, "usr/bin/sg", S_IFREG, 02755);
	assert_int_equal(lst(s, "usr/bin/sg", &st), 0);
	assert_int_equal(st.st_gid, 50);
	assert_int_equal(lst(s, "home/user/f", &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	assert_int_equal(lst(s, "dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 1);
	assert_int_equal(minor(st.st_rdev), 3);
	/* security.capability survives the chown and chmod that follow it. */
	char path[PATH_MAX * 2], buf[64];
	snprintf(path, sizeof(path), "%s/usr/bin/ping", s->root);
	ssize_t n = getxattr(path, "security.capability", buf, sizeof(buf));
	assert_int_equal(n, 20);
	assert_int_equal((unsigned char)buf[4], 0);
	assert_int_equal((unsigned char)buf[5], 4);      /* bit 10 */
}

static void check_basic(const struct scratch *s, const struct extract_stats *st)
{
	assert_content(s, "usr/bin/tool", "#!/bin/sh\necho hi\n");
	assert_content(s, "bin/tool", "#!/bin/sh\necho hi\n");
	assert_mode(s, "usr/bin/tool", S_IFREG, 0755);
	assert_mode(s, "usr/bin/su", S_IFREG, 04755);
	assert_mode(s, "tmp", S_IFDIR, 01777);
	assert_mode(s, "home/user", S_IFDIR, 0700);
	assert_mode(s, "run", S_IFDIR, 0755);         /* made as a missing parent */
	assert_mode(s, "run/fifo", S_IFIFO, 0600);
	assert_link(s, "usr/bin/sh", "tool");
	assert_link(s, "bin", "usr/bin");
	assert_link(s, "abs", "/usr/bin/tool");
	assert_link(s, "dangling", "/nonexistent/target");
	assert_content(s, "abs", "#!/bin/sh\necho hi\n");
	struct stat a, b, c;
	assert_int_equal(lst(s, "usr/bin/tool", &a), 0);
	assert_int_equal(lst(s, "usr/bin/tool2", &b), 0);
	assert_int_equal(lst(s, "usr/bin/tool3", &c), 0);
	assert_true(a.st_ino == b.st_ino && a.st_ino == c.st_ino);
	assert_int_equal(a.st_nlink, 3);
	assert_int_equal(a.st_mtim.tv_sec, 1600000000);
	assert_int_equal(lst(s, "usr/bin", &a), 0);
	assert_int_equal(a.st_mtim.tv_sec, 1600000001);   /* after its children */
	assert_content(s, "opt/a/b", "normalized\n");
	assert_content(s, "usr/share/absolute", "abs\n");
	assert_content(s, "usr/share/empty", "");
	assert_int_equal(lst(s, "usr/share/big", &a), 0);
	assert_int_equal(a.st_size, 3 * 1024 * 1024 + 17);
	char path[PATH_MAX * 2], buf[64];
	snprintf(path, sizeof(path), "%s/usr/bin/ping", s->root);
	ssize_t n = getxattr(path, "user.test", buf, sizeof(buf));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);
	snprintf(path, sizeof(path), "%s/usr/share/doc", s->root);
	assert_int_equal(getxattr(path, "user.dir", buf, sizeof(buf)), 3);
	assert_int_equal(st->files, 13);
	assert_int_equal(st->hardlinks, 2);
	assert_int_equal(st->symlinks, 4);
	if (is_root)
		check_basic_root_only(s);
}

static void t_basic(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, geteuid());
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	struct extract_stats st = { 0 };
	assert_ok(apply(s.root_fd, "basic.tar", &o, &st, &err), err);
	check_basic(&s, &st);
	assert_int_equal(st.devices_created + st.devices_skipped, 1);
	/* The same layer again on top: everything replaced, same result. */
	struct extract_stats st2 = { 0 };
	assert_ok(apply(s.root_fd, "basic.tar", &o, &st2, &err), err);
	check_basic(&s, &st2);
	assert_contained(&s);
	scratch_free(&s);
}

static void t_sparse(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, geteuid());
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	struct extract_stats st = { 0 };
	assert_ok(apply(s.root_fd, "sparse.tar", &o, &st, &err), err);
	struct stat a;
	assert_int_equal(lst(&s, "s/sparse", &a), 0);
	assert_int_equal(a.st_size, 16 * 1024 * 1024);
	assert_int_equal(a.st_mode & 07777, 0640);
	assert_true((uint64_t)a.st_blocks * 512 < 1024 * 1024);   /* holes stayed holes */
	assert_int_equal(st.bytes, 8192);
	int fd = openat(s.root_fd, "s/sparse", O_RDONLY);
	char buf[4096];
	assert_int_equal(pread(fd, buf, 1, 0), 1);
	assert_int_equal(buf[0], 'A');
	assert_int_equal(pread(fd, buf, 1, 4096), 1);
	assert_int_equal(buf[0], 0);
	assert_int_equal(pread(fd, buf, 1, 8 * 1024 * 1024 + 4095), 1);
	assert_int_equal(buf[0], 'B');
	assert_int_equal(pread(fd, buf, 1, 16 * 1024 * 1024 - 1), 1);
	assert_int_equal(buf[0], 0);
	close(fd);
	scratch_free(&s);
}

static void t_whiteouts(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, geteuid());
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	struct extract_stats st = { 0 };
	assert_ok(apply(s.root_fd, "wh1.tar", &o, &st, &err), err);
	struct extract_stats st2 = { 0 };
	assert_ok(apply(s.root_fd, "wh2.tar", &o, &st2, &err), err);
	assert_false(exists(&s, "a/f"));
	assert_false(exists(&s, "a/.wh.f"));
	assert_content(&s, "a/g", "lower\n");
	assert_content(&s, "a/h", "same layer\n");        /* same-layer whiteout: kept */
	assert_false(exists(&s, "d"));
	assert_false(exists(&s, ".wh.d"));
	assert_false(exists(&s, "o/lower1"));
	assert_false(exists(&s, "o/lowerdir"));
	assert_false(exists(&s, "o/keepdir/lowerfile"));
	assert_false(exists(&s, "o/.wh..wh..opq"));
	assert_content(&s, "o/new1", "before the marker\n");
	assert_content(&s, "o/new2", "after the marker\n");
	assert_content(&s, "o/keepdir/newfile", "new\n");
	assert_content(&s, "keep/k", "lower\n");
	assert_content(&s, "s/lower", "upper\n");
	assert_int_equal(st2.whiteouts, 5);
	assert_int_equal(st2.opaque_dirs, 1);
	assert_contained(&s);
	scratch_free(&s);
}

static void t_keep_whiteouts(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, geteuid());
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	o.keep_whiteouts = true;
	struct extract_stats st = { 0 };
	assert_ok(apply(s.root_fd, "wh2.tar", &o, &st, &err), err);
	struct stat a;
	assert_int_equal(lst(&s, "a/f", &a), 0);
	assert_true(S_ISCHR(a.st_mode) && a.st_rdev == makedev(0, 0));
	assert_int_equal(lst(&s, "d", &a), 0);
	assert_true(S_ISCHR(a.st_mode));
	assert_content(&s, "a/h", "same layer\n");
	assert_content(&s, "o/new1", "before the marker\n");
	char path[PATH_MAX * 2], v[8];
	snprintf(path, sizeof(path), "%s/o", s.root);
	assert_int_equal(getxattr(path, is_root ? "trusted.overlay.opaque" : "user.overlay.opaque",
				  v, sizeof(v)), 1);
	assert_int_equal(v[0], 'y');
	assert_int_equal(st.opaque_dirs, 1);
	scratch_free(&s);
}

static void t_replace(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, geteuid());
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	struct extract_stats st = { 0 };
	assert_ok(apply(s.root_fd, "replace1.tar", &o, &st, &err), err);
	assert_ok(apply(s.root_fd, "replace2.tar", &o, &st, &err), err);
	assert_mode(&s, "x", S_IFREG, 0644);
	assert_content(&s, "x", "now a file");
	assert_mode(&s, "y", S_IFDIR, 0755);
	assert_content(&s, "y/inner", "inner");
	assert_link(&s, "w", "y");
	assert_mode(&s, "kept", S_IFDIR, 0750);
	assert_content(&s, "kept/old", "old");
	assert_content(&s, "kept/new", "new");
	struct stat a;
	assert_int_equal(lst(&s, "kept", &a), 0);
	assert_int_equal(a.st_mtim.tv_sec, 1234567890);
	assert_contained(&s);
	scratch_free(&s);
}

static int rodir_layers(const struct scratch *s, struct qerr *err)
{
	struct extract_opts o = full_opts();
	struct extract_stats st = { 0 };
	if (apply(s->root_fd, "rodir.tar", &o, &st, err) < 0 ||
	    apply(s->root_fd, "rodir2.tar", &o, &st, err) < 0)
		return -1;
	return 0;
}

static void check_rodir(const struct scratch *s)
{
	assert_mode(s, "ro", S_IFDIR, 0555);
	assert_mode(s, "ro/sub", S_IFDIR, 0500);
	assert_mode(s, "zero", S_IFDIR, 0);
	assert_false(exists(s, "ro/file"));
	assert_mode(s, "ro/new", S_IFREG, 0644);
	assert_mode(s, "ro/sub/f", S_IFREG, 0400);
	assert_mode(s, "ro/sub/g", S_IFREG, 0644);
	assert_mode(s, "zero/f", S_IFREG, 0);
	assert_mode(s, "zero/g", S_IFREG, 0644);
}

static void t_rodir(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, geteuid());
	struct qerr err = QERR_INIT;
	assert_ok(rodir_layers(&s, &err), err);
	check_rodir(&s);
	scratch_free(&s);
}

/* fs_remove_at: unreadable directories of ours go too; a missing name is
 * success; a symlink is removed, never its target. */
static void t_remove(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	char *dir = xasprintf("%s/remove", base), *sub = xasprintf("%s/a/b/c", dir);
	char *locked = xasprintf("%s/a/b", dir), *link = xasprintf("%s/a/out", dir);
	char *keep = xasprintf("%s/keep", base), *kept = xasprintf("%s/file", keep);
	assert_ok(mkdir_p(sub, 0755, &err), err);
	assert_ok(mkdir_p(keep, 0755, &err), err);
	int fd = open(kept, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(keep, link), 0);
	assert_int_equal(chmod(locked, 0), 0);
	assert_ok(fs_remove_at(AT_FDCWD, dir, &err), err);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(access(kept, F_OK), 0);
	assert_ok(fs_remove_at(AT_FDCWD, dir, &err), err);
	assert_ok(fs_remove_at(AT_FDCWD, keep, &err), err);
	free(dir), free(sub), free(locked), free(link), free(keep), free(kept);
}

/* ---- extraction: hostile layers ---------------------------------------------------------- */

static void t_hostile_fail(void **state)
{
	(void)state;
	assert_fails("dotdot.tar", "../quench_escape_dotdot", "escapes the root");
	assert_fails("dotdot_mid.tar", "a/../../quench_escape_mid", "escapes the root");
	assert_fails("hl_escape.tar", "entry 'h'", "hard link target 'etc/../../etc/passwd' escapes the root");
	assert_fails("hl_abs.tar", "entry 'h'", "does not exist");
	assert_fails("hl_symlink2.tar", "entry 'h'", "does not exist");
	assert_fails("hl_dir.tar", "entry 'h'", "is a directory");
	assert_fails("wh_dotdot.tar", "entry 'a/.wh..'", "refused");
	assert_fails("wh_empty.tar", "entry '.wh.'", "refused");
	assert_fails("wh_in_dir.tar", "entry '.wh.x/y'", "whiteout name used as a directory");
	assert_fails("loop.tar", "entry 'l1/x'", strerror(ELOOP));
	assert_fails("selfloop.tar", "entry 'l/x'", strerror(ELOOP));
	/* "etc -> /etc" inside the root is "etc -> itself": a loop, never
	 * the host's /etc. */
	assert_fails("evil_etc.tar", "entry 'etc/quench_escape_etc'", strerror(ELOOP));
}

static struct scratch *hostile_ok(const char *fixture)
{
	static struct scratch s;
	scratch_new(&s, geteuid());
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	struct extract_stats st = { 0 };
	if (apply(s.root_fd, fixture, &o, &st, &err) < 0)
		fail_msg("%s: %s", fixture, err.msg);
	assert_contained(&s);
	return &s;
}

static void t_hostile_contained(void **state)
{
	(void)state;
	struct stat host_before, host_after, a, b;
	assert_int_equal(stat("/etc/passwd", &host_before), 0);
	struct scratch *s = hostile_ok("evil_root.tar");
	assert_content(s, "quench_escape_probe", "x");
	scratch_free(s);
	s = hostile_ok("evil_up.tar");
	assert_content(s, "quench_escape_up", "x");
	scratch_free(s);
	s = hostile_ok("evil_tmp.tar");
	assert_content(s, "tmp/quench_escape_tmpdir/x", "x");
	scratch_free(s);
	s = hostile_ok("evil_final.tar");
	assert_mode(s, "f", S_IFREG, 0644);
	assert_content(s, "f", "overwritten?");
	scratch_free(s);
	s = hostile_ok("evil_dirlink.tar");
	assert_mode(s, "d", S_IFDIR, 0755);
	assert_content(s, "d/quench_escape_dirlink", "x");
	scratch_free(s);
	s = hostile_ok("abs.tar");
	assert_content(s, "etc/quench_abs", "abs");
	assert_mode(s, "abs_dir", S_IFDIR, 0755);
	scratch_free(s);
	s = hostile_ok("hl_symlink.tar");
	assert_int_equal(lst(s, "h", &a), 0);
	assert_int_equal(lst(s, "etc/passwd", &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_ino != host_before.st_ino);
	scratch_free(s);
	s = hostile_ok("hl_link.tar");
	assert_link(s, "h", "/etc/passwd");
	scratch_free(s);
	s = hostile_ok("cache.tar");
	assert_link(s, "a", "x");
	assert_content(s, "x/b/g", "g");
	assert_false(exists(s, "x/b/f"));
	assert_link(s, "d", "/");
	assert_content(s, "quench_cache", "c");
	scratch_free(s);
	s = hostile_ok("cache2a.tar");
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	struct extract_stats st = { 0 };
	assert_ok(apply(s->root_fd, "cache2b.tar", &o, &st, &err), err);
	assert_content(s, "o/lower/b/f", "f");
	scratch_free(s);
	s = hostile_ok("aufs.tar");
	assert_content(s, "ok", "ok");
	assert_false(exists(s, ".wh..wh.plnk"));
	assert_false(exists(s, ".wh..wh.aufs"));
	scratch_free(s);
	assert_int_equal(stat("/etc/passwd", &host_after), 0);
	assert_true(host_after.st_ino == host_before.st_ino);
	assert_true(host_after.st_nlink == host_before.st_nlink);
	assert_true(host_after.st_size == host_before.st_size);
	assert_true(host_after.st_mtim.tv_sec == host_before.st_mtim.tv_sec &&
		    host_after.st_mtim.tv_nsec == host_before.st_mtim.tv_nsec);
}

/* ---- deep trees ------------------------------------------------------------------------------ */

static int count_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	(void)buf;
	(void)err;
	*(uint64_t *)ctx += len;
	return 0;
}

static void t_deep(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, geteuid());
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	struct extract_stats st = { 0 };
	assert_ok(apply(s.root_fd, "deep.tar", &o, &st, &err), err);
	struct strbuf p = STRBUF_INIT;
	for (int i = 0; i < 10000; i++)
		strbuf_adds(&p, "d/");
	strbuf_adds(&p, "f");
	char *got = slurp(s.root_fd, p.buf);
	assert_string_equal(got, "bottom");
	free(got);
	/* Tree to tar: iterative, one directory open at a time. */
	uint64_t bytes = 0;
	struct byte_sink sink = { count_write, &bytes };
	struct tar_writer *tw = tar_writer_new(&sink);
	struct tree_opts to = { .mtime = 0 };
	assert_ok(fs_write_tree(s.root_fd, tw, &to, &err), err);
	assert_ok(tar_writer_finish(tw, &err), err);
	tar_writer_free(tw);
	assert_true(bytes > 10001 * 512);
	/* A whiteout removes it all without recursion. */
	assert_ok(apply(s.root_fd, "deep_wh.tar", &o, &st, &err), err);
	assert_false(exists(&s, "d"));
	assert_ok(apply(s.root_fd, "deepdirs.tar", &o, &st, &err), err);
	strbuf_reset(&p);
	for (int i = 0; i < 1000; i++)
		strbuf_adds(&p, "e/");
	strbuf_adds(&p, "f");
	got = slurp(s.root_fd, p.buf);
	assert_string_equal(got, "bottom");
	free(got);
	strbuf_release(&p);
	assert_contained(&s);
	scratch_free(&s);
}

/* ---- devices and rootless extraction ----------------------------------------------------------- */

static void t_devices(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, geteuid());
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	o.create_devices = false;
	struct extract_stats st = { 0 };
	assert_ok(apply(s.root_fd, "dev.tar", &o, &st, &err), err);
	assert_int_equal(st.devices_skipped, 2);
	assert_int_equal(st.devices_created, 0);
	assert_false(exists(&s, "dev/null"));
	assert_mode(&s, "dev/fifo", S_IFIFO, 0644);
	if (is_root) {
		o.create_devices = true;
		struct extract_stats st2 = { 0 };
		assert_ok(apply(s.root_fd, "dev.tar", &o, &st2, &err), err);
		assert_int_equal(st2.devices_created, 2);
		assert_mode(&s, "dev/loop0", S_IFBLK, 0660);
		assert_mode(&s, "dev/null", S_IFCHR, 0666);
	}
	scratch_free(&s);
}

/* Run fn as nobody in a child (we are root), or here (we are not). */
static void as_nobody(void (*fn)(void))
{
	if (!is_root) {
		fn();
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		is_root = false;
		fn();
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("the unprivileged child failed (status %d)", status);
}

#define CHILD_CHECK(cond)                                                       \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
			_exit(1);                                               \
		}                                                               \
	} while (0)

static struct scratch rootless;

static void rootless_body(void)
{
	struct qerr err = QERR_INIT;
	struct extract_opts o = { .apply_owner = false, .create_devices = true, .apply_xattrs = true };
	struct extract_stats st = { 0 };
	if (rodir_layers(&rootless, &err) < 0 ||
	    apply(rootless.root_fd, "dev.tar", &o, &st, &err) < 0 ||
	    apply(rootless.root_fd, "wh1.tar", &o, &st, &err) < 0 ||
	    apply(rootless.root_fd, "wh2.tar", &o, &st, &err) < 0) {
		fprintf(stderr, "rootless extraction: %s\n", err.msg);
		_exit(1);
	}
	CHILD_CHECK(st.devices_skipped == 2);
	CHILD_CHECK(st.devices_created == 0);
	CHILD_CHECK(st.owners_not_applied >= 1);
	struct stat a;
	CHILD_CHECK(fstatat(rootless.root_fd, "dev/fifo", &a, AT_SYMLINK_NOFOLLOW) == 0);
	CHILD_CHECK(a.st_uid == geteuid());
	CHILD_CHECK(fstatat(rootless.root_fd, "o/lower1", &a, AT_SYMLINK_NOFOLLOW) < 0);
	CHILD_CHECK(fstatat(rootless.root_fd, "o/new2", &a, AT_SYMLINK_NOFOLLOW) == 0);
	/* Rootless tree to tar: "zero" (0000) and its 0000 file are read. */
	uint64_t bytes = 0;
	struct byte_sink sink = { count_write, &bytes };
	struct tar_writer *tw = tar_writer_new(&sink);
	struct tree_opts to = { .mtime = -1 };
	if (fs_write_tree(rootless.root_fd, tw, &to, &err) < 0) {
		fprintf(stderr, "rootless fs_write_tree: %s\n", err.msg);
		_exit(1);
	}
	tar_writer_free(tw);
}

static void t_rootless(void **state)
{
	(void)state;
	scratch_new(&rootless, is_root ? 65534 : geteuid());
	as_nobody(rootless_body);
	check_rodir(&rootless);
	assert_contained(&rootless);
	scratch_free(&rootless);
}

/* ---- tree to tar ----------------------------------------------------------------------------------- */

static char *file_bytes(const char *path, size_t *len)
{
	struct qerr err = QERR_INIT;
	char *data;
	assert_ok(read_file_at(AT_FDCWD, path, 1 << 28, &data, len, &err), err);
	return data;
}

/* Entries in stream order: bytewise sorted, dirs with "/", no "./". */
static void check_order(const char *tar, size_t *count)
{
	int fd = open(tar, O_RDONLY);
	struct byte_source src = { fd_read, NULL, &fd };
	struct tar_reader *tr = tar_reader_new(&src);
	const struct tar_entry *e;
	struct qerr err = QERR_INIT;
	char *prev = NULL;
	int rc;
	*count = 0;
	while ((rc = tar_reader_next(tr, &e, &err)) == 1) {
		assert_false(str_starts_with(e->path, "./") || e->path[0] == '/');
		assert_true((e->type == TAR_DIR) == str_ends_with(e->path, "/"));
		if (prev && strcmp(prev, e->path) >= 0)
			fail_msg("'%s' before '%s'", prev, e->path);
		free(prev);
		prev = xstrdup(e->path);
		(*count)++;
	}
	assert_ok(rc, err);
	free(prev);
	tar_reader_free(tr);
	close(fd);
}

struct cmp_ctx {
	const char *a, *b;
	struct fs_map ino_a, ino_b;   /* inode → first path index */
	struct strvec first;
	size_t n;
};
static struct cmp_ctx cmp;

static void xattrs_equal(const char *pa, const char *pb)
{
	static const char *const names[] = { "security.capability", "user.test", "user.dir" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char va[128], vb[128];
		ssize_t na = lgetxattr(pa, names[i], va, sizeof(va));
		ssize_t nb = lgetxattr(pb, names[i], vb, sizeof(vb));
		if (na != nb || (na > 0 && memcmp(va, vb, (size_t)na)))
			fail_msg("xattr %s differs on '%s'", names[i], pa);
	}
}

/* The same first path for an inode in both trees: hard links kept. */
static void links_equal(const char *rel, const struct stat *sa, const struct stat *sb)
{
	if (S_ISDIR(sa->st_mode) || sa->st_nlink < 2) {
		assert_int_equal(sb->st_nlink, sa->st_nlink);
		return;
	}
	bool added_a, added_b;
	uint64_t *va = fs_map_put(&cmp.ino_a, &sa->st_ino, sizeof(sa->st_ino), &added_a);
	uint64_t *vb = fs_map_put(&cmp.ino_b, &sb->st_ino, sizeof(sb->st_ino), &added_b);
	assert_int_equal(added_a, added_b);
	if (added_a) {
		*va = *vb = cmp.first.n;
		strvec_push(&cmp.first, rel);
	} else {
		assert_int_equal(*va, *vb);
	}
}

static int cmp_one(const char *pa, const struct stat *sa, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	const char *rel = pa + strlen(cmp.a);
	char pb[PATH_MAX * 2];
	snprintf(pb, sizeof(pb), "%s%s", cmp.b, rel);
	struct stat sb;
	if (lstat(pb, &sb) < 0)
		fail_msg("'%s' missing after the round trip", rel);
	cmp.n++;
	if (sa->st_mode != sb.st_mode || sa->st_uid != sb.st_uid || sa->st_gid != sb.st_gid)
		fail_msg("'%s': mode or owner differs", rel);
	if (!S_ISDIR(sa->st_mode) && sa->st_size != sb.st_size)
		fail_msg("'%s': size differs", rel);
	if (*rel && !S_ISLNK(sa->st_mode) && sa->st_mtim.tv_sec != sb.st_mtim.tv_sec)
		fail_msg("'%s': mtime differs", rel);
	if (S_ISCHR(sa->st_mode) || S_ISBLK(sa->st_mode))
		assert_true(sa->st_rdev == sb.st_rdev);
	if (S_ISLNK(sa->st_mode)) {
		char la[PATH_MAX] = { 0 }, lb[PATH_MAX] = { 0 };
		assert_true(readlink(pa, la, sizeof(la) - 1) > 0 && readlink(pb, lb, sizeof(lb) - 1) > 0);
		assert_string_equal(la, lb);
	}
	if (S_ISREG(sa->st_mode)) {
		size_t la, lb;
		char *da = file_bytes(pa, &la), *db = file_bytes(pb, &lb);
		char ha[DIGEST_STR_MAX], hb[DIGEST_STR_MAX];
		sha256_buf(da, la, ha);
		sha256_buf(db, lb, hb);
		assert_string_equal(ha, hb);
		free(da);
		free(db);
	}
	if (S_ISREG(sa->st_mode) || S_ISDIR(sa->st_mode))
		xattrs_equal(pa, pb);
	links_equal(rel, sa, &sb);
	return 0;
}

static size_t tree_entries;
static int count_one(const char *p, const struct stat *s, int f, struct FTW *w)
{
	(void)p;
	(void)s;
	(void)f;
	(void)w;
	tree_entries++;
	return 0;
}

static void t_roundtrip(void **state)
{
	(void)state;
	struct scratch a, b;
	scratch_new(&a, geteuid());
	scratch_new(&b, geteuid());
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	struct extract_stats st = { 0 };
	assert_ok(apply(a.root_fd, "basic.tar", &o, &st, &err), err);
	assert_ok(apply(a.root_fd, "sparse.tar", &o, &st, &err), err);
	char t1[PATH_MAX], t2[PATH_MAX];
	snprintf(t1, sizeof(t1), "%s/.one.tar", base);
	snprintf(t2, sizeof(t2), "%s/.two.tar", base);
	struct tree_opts to = { .mtime = -1 };
	assert_ok(write_tree_to(a.root_fd, t1, &to, &err), err);
	assert_ok(write_tree_to(a.root_fd, t2, &to, &err), err);
	size_t l1, l2;
	char *d1 = file_bytes(t1, &l1), *d2 = file_bytes(t2, &l2);
	assert_true(l1 == l2 && !memcmp(d1, d2, l1));     /* byte-identical */
	free(d1);
	free(d2);
	size_t entries;
	check_order(t1, &entries);
	struct extract_stats st2 = { 0 };
	assert_ok(apply_path(b.root_fd, t1, &o, &st2, &err), err);
	cmp = (struct cmp_ctx){ .a = a.root, .b = b.root };
	assert_int_equal(nftw(a.root, cmp_one, 16, FTW_PHYS), 0);
	tree_entries = 0;
	assert_int_equal(nftw(b.root, count_one, 16, FTW_PHYS), 0);
	assert_int_equal(tree_entries, cmp.n);
	assert_int_equal(entries + 1, cmp.n);            /* the root is not an entry */
	fs_map_release(&cmp.ino_a);
	fs_map_release(&cmp.ino_b);
	strvec_clear(&cmp.first);
	unlink(t1);
	unlink(t2);
	scratch_free(&a);
	scratch_free(&b);
}

static void t_write_tree_opts(void **state)
{
	(void)state;
	struct scratch a;
	scratch_new(&a, geteuid());
	struct qerr err = QERR_INIT;
	struct extract_opts o = full_opts();
	struct extract_stats st = { 0 };
	assert_ok(apply(a.root_fd, "basic.tar", &o, &st, &err), err);
	/* A socket in the tree is skipped. */
	assert_int_equal(mknodat(a.root_fd, "sock", S_IFSOCK | 0600, 0), 0);
	char t1[PATH_MAX];
	snprintf(t1, sizeof(t1), "%s/.opts.tar", base);
	for (int pass = 0; pass < 2; pass++) {
		struct tree_opts to = { .normalize_owner = pass == 0, .mtime = 42,
					.keep_owner_names = true };
		assert_ok(write_tree_to(a.root_fd, t1, &to, &err), err);
		int fd = open(t1, O_RDONLY);
		struct byte_source src = { fd_read, NULL, &fd };
		struct tar_reader *tr = tar_reader_new(&src);
		const struct tar_entry *e;
		int rc;
		bool saw_user = false;
		while ((rc = tar_reader_next(tr, &e, &err)) == 1) {
			assert_int_equal(e->mtime, 42);
			assert_string_not_equal(e->path, "sock");
			if (pass == 0) {
				assert_true(e->uid == 0 && e->gid == 0);
				assert_string_equal(e->uname ? e->uname : "", "root");
			} else if (is_root && !strcmp(e->path, "home/user/f")) {
				assert_int_equal(e->uid, 1000);
				assert_string_equal(e->uname ? e->uname : "", "user");
				assert_string_equal(e->gname ? e->gname : "", "users");
				saw_user = true;
			}
		}
		assert_ok(rc, err);
		assert_true(pass == 0 || !is_root || saw_user);
		tar_reader_free(tr);
		close(fd);
	}
	unlink(t1);
	scratch_free(&a);
}

/* ---- main -------------------------------------------------------------------------------------------- */

static int setup_walk(void **state)
{
	fs_resolve_force_fallback(*(bool *)*state);
	return 0;
}

static int run(bool walk)
{
	static bool modes[2] = { false, true };
	bool *mode_ptr = &modes[walk];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(t_clean_path, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_open_in_root, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_basic, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_sparse, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_whiteouts, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_keep_whiteouts, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_replace, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_rodir, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_remove, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_hostile_fail, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_hostile_contained, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_deep, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_devices, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_rootless, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_roundtrip, setup_walk, NULL, mode_ptr),
		cmocka_unit_test_prestate_setup_teardown(t_write_tree_opts, setup_walk, NULL, mode_ptr),
	};
	return cmocka_run_group_tests_name(walk ? "extract (userspace resolver)" : "extract (openat2)",
					   tests, NULL, NULL);
}

int main(void)
{
	is_root = geteuid() == 0;
	const char *tmp = getenv("TMPDIR");
	snprintf(base, sizeof(base), "%s/quench-extract-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(base) || chmod(base, 0755) < 0) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(fixtures, sizeof(fixtures), "%s/.fixtures", base);
	const char *src = getenv("QUENCH_SOURCE_ROOT");
	char cmd[PATH_MAX * 3];
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/unit/extract_fixtures.py' '%s'",
		 src ? src : ".", fixtures);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot build fixtures (python3?): skipping\n");
		return 77;
	}
	chmod(fixtures, 0755);
	int failed = run(false) + run(true);
	struct qerr err = QERR_INIT;
	if (fs_remove_at(AT_FDCWD, base, &err) < 0)
		fprintf(stderr, "cleanup: %s\n", err.msg);
	return failed ? 1 : 0;
}
