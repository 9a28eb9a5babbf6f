/* The sandbox's mounts, made by its init in the new user and mount
 * namespaces. Runs after fork: system calls only, no allocation.
 *
 * Threat: the image's tree is hostile. Its /etc/hosts, /proc or a mount
 * target may be a symlink to anywhere, or a magic link through /proc.
 * Defence: host sources are cloned (open_tree) before pivot_root, and every
 * target is resolved after it, with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
 * when nothing of the host is reachable by path; our own mount points at the
 * top (/dev, /proc, /tmp, /run, /sys) and the generated /etc files are
 * replaced by plain ones when the image made them anything else — only in
 * the overlay's upper layer or the private copy. */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static int openat2_in_root(int root, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd;
	do
		fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd;
}

/* One component: open name under cur (resolved from root as prefix),
 * creating it when missing. */
static int step(int root, int cur, const char *prefix, const char *name, bool make_dir)
{
	int fd = openat2_in_root(root, prefix, O_PATH);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (make_dir) {
		if (mkdirat(cur, name, 0755) < 0 && errno != EEXIST)
			return -1;
	} else {
		int f = openat(cur, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0)
			return -1;
		close(f);
	}
	return openat2_in_root(root, prefix, O_PATH);
}

/* Resolve path (absolute, in the sandbox) to an O_PATH fd, creating missing
 * directories — and the last component, as a directory or an empty file —
 * along the way. -1 with errno set. */
int sb_resolve_create(const char *path, bool dir)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	int cur = dup(root);
	char *p = buf;
	while (cur >= 0) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = strchr(p, '/');
		bool last = !end || !end[strspn(end, "/")];
		if (end)
			*end = '\0';
		int fd = step(root, cur, buf, p, !last || dir);
		int saved = errno;
		close(cur);
		errno = saved;
		cur = fd;
		if (!end)
			break;
		*end = '/';
		p = end;
	}
	int saved = errno;
	close(root);
	struct stat st;
	if (cur >= 0 && fstat(cur, &st) == 0 && !S_ISDIR(st.st_mode) == dir) {
		close(cur);
		saved = dir ? ENOTDIR : EISDIR;
		cur = -1;
	}
	errno = saved;
	return cur;
}

int sb_attach(int tree, int target)
{
	return move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/* Clone every host source now, while the host's tree is still ours. */
static int clone_sources(struct sb_plan *p, int sock)
{
	for (size_t i = 0; i < p->n_binds; i++) {
		struct sb_bind *b = &p->binds[i];
		b->tree_fd = open_tree(AT_FDCWD, b->src,
				       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (b->tree_fd < 0 && !b->optional)
			return FAIL("clone mount source ", b->src);
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID |
							(b->ro ? MOUNT_ATTR_RDONLY : 0) };
		if (b->tree_fd >= 0 &&
		    mount_setattr(b->tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
				  sizeof(attr)) < 0 && !b->optional)
			return FAIL("make read-only ", b->src);
	}
	return 0;
}

/* lowerdir= takes ':' and ',' as separators: escape them. */
bool sb_overlay_opts(const char *lower, const char *upper, const char *work, bool userxattr,
		     char *out, size_t cap)
{
	size_t n = 0;
	const char *parts[] = { "lowerdir=", lower, ",upperdir=", upper, ",workdir=", work,
				userxattr ? ",userxattr" : "" };
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		for (const char *s = parts[i]; *s; s++) {
			bool esc = (i % 2 == 1) && (*s == ':' || *s == ',' || *s == '\\');
			if (n + 3 > cap)
				return false;
			if (esc)
				out[n++] = '\\';
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return true;
}

static int mount_rootfs(const struct sb_plan *p, int sock)
{
	if (!p->overlay) {
		if (mount(p->copy, p->merged, NULL, MS_BIND | MS_REC, NULL) < 0)
			return FAIL("bind the root filesystem copy ", p->copy);
		return 0;
	}
	char opts[3 * PATH_MAX + 64];
	/* userxattr first: in a user namespace the trusted.overlay.* xattrs
	 * (whiteouts over lower entries, opaque directories) cannot be set. */
	for (int ux = 1; ux >= 0; ux--) {
		if (!sb_overlay_opts(p->lower, p->upper, p->work, ux, opts, sizeof(opts))) {
			errno = ENAMETOOLONG;
			return FAIL("overlay options for ", p->lower);
		}
		if (mount("overlay", p->merged, "overlay", 0, opts) == 0)
			return 0;
	}
	return FAIL("mount overlayfs over ", p->lower);
}

/* A detached mount of a new proc or sysfs. Made before pivot_root: the
 * kernel lets a user namespace mount them only while a fully visible
 * instance is in its mount namespace (the host's, until we detach it). */
static int new_fs(const char *type, unsigned attrs)
{
	int fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	int m = -1;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	int saved = errno;
	close(fs);
	errno = saved;
	return m;
}

int sb_setup_root(const struct sb_plan *cp, int sock)
{
	struct sb_plan *p = (struct sb_plan *)cp;   /* our own copy, after fork */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return FAIL("make mounts private", "");
	if (mount_rootfs(p, sock) < 0 || clone_sources(p, sock) < 0)
		return -1;
	p->proc_fd = new_fs("proc", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (p->proc_fd < 0)
		return FAIL("mount proc", "");
	/* sysfs needs our own net namespace; best effort, read-only. */
	p->sys_fd = p->net_host ? -1 : new_fs("sysfs", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
							MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	/* pivot_root(".", ".") stacks the old root on the new one; detaching
	 * it leaves only the sandbox's tree. */
	if (chdir(p->merged) < 0)
		return FAIL("chdir ", p->merged);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return FAIL("pivot_root to ", p->merged);
	if (umount2(".", MNT_DETACH) < 0)
		return FAIL("detach the host's root", "");
	if (chdir("/") < 0)
		return FAIL("chdir /", "");
	return 0;
}

static int bind_one(struct sb_bind *b, int sock)
{
	if (b->tree_fd < 0)
		return 0;   /* optional and missing */
	int t = sb_resolve_create(b->dst, b->kind != SB_BIND_FILE);
	if (t < 0 || sb_attach(b->tree_fd, t) < 0) {
		int saved = errno;
		if (t >= 0)
			close(t);
		errno = saved;
		return b->optional ? 0 : FAIL("mount on ", b->dst);
	}
	close(t);
	close(b->tree_fd);
	b->tree_fd = -1;
	return 0;
}

static int make_links(const struct sb_plan *p, int sock)
{
	for (size_t i = 0; i + 1 < p->links.n; i += 2) {
		const char *path = p->links.v[i];
		const char *slash = strrchr(path, '/');
		char dir[PATH_MAX];
		size_t dl = (size_t)(slash - path);
		if (dl >= sizeof(dir))
			continue;
		memcpy(dir, path, dl);
		dir[dl] = '\0';
		int d = sb_resolve_create(dl ? dir : "/", true);
		if (d < 0)
			return FAIL("resolve ", dir);
		int dfd = openat(d, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(d);
		if (dfd < 0)
			return FAIL("open ", dir);
		unlinkat(dfd, slash + 1, 0);
		int rc = symlinkat(p->links.v[i + 1], dfd, slash + 1);
		close(dfd);
		if (rc < 0)
			return FAIL("symlink ", path);
	}
	return 0;
}

int sb_setup_inside(const struct sb_plan *cp, int sock)
{
	struct sb_plan *p = (struct sb_plan *)cp;
	if (sb_setup_dev(sock) < 0 || sb_mount_tmpfs("/tmp", "mode=1777", sock) < 0 ||
	    sb_mount_tmpfs("/run", "mode=0755", sock) < 0 || sb_top_dir("/proc", sock) < 0 ||
	    sb_top_dir("/sys", sock) < 0)
		return -1;
	/* binds[0] and [1] are /etc/hosts and /etc/resolv.conf. */
	if (sb_etc_file("hosts", p->binds[0].tree_fd, sock) < 0 ||
	    sb_etc_file("resolv.conf", p->binds[1].tree_fd, sock) < 0)
		return -1;
	for (size_t i = 2; i < p->n_binds; i++)
		if (p->binds[i].kind != SB_BIND_PROC && bind_one(&p->binds[i], sock) < 0)
			return -1;
	if (make_links(p, sock) < 0)
		return -1;
	const char *hn = p->hostname;
	if (sethostname(hn, strlen(hn)) < 0)
		return FAIL("sethostname ", hn);
	return p->net_host ? 0 : sb_loopback_up(sock);
}

int sb_mount_proc_and_late(const struct sb_plan *cp, int sock)
{
	struct sb_plan *p = (struct sb_plan *)cp;
	if (move_mount(p->proc_fd, "", AT_FDCWD, "/proc", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return FAIL("mount proc on ", "/proc");
	if (p->sys_fd >= 0)
		move_mount(p->sys_fd, "", AT_FDCWD, "/sys", MOVE_MOUNT_F_EMPTY_PATH);
	for (size_t i = 2; i < p->n_binds; i++)
		if (p->binds[i].kind == SB_BIND_PROC && bind_one(&p->binds[i], sock) < 0)
			return -1;
	int w = sb_resolve_create(p->workdir, true);
	if (w < 0)
		return FAIL("create the working directory ", p->workdir);
	close(w);
	return 0;
}
