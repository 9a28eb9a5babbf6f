/* Everything about a sandbox that can be decided before the fork: the
 * temporary directory, overlayfs or a private copy, the generated /etc
 * files, the binds, the user, the workdir. */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define ETC_DB_MAX (4u << 20)   /* an image's /etc/passwd or /etc/group */

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

static int write_text(const char *path, const char *text, struct qerr *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return q_error(err, errno, "create '%s'", path);
	return write_all(fd, text, strlen(text), err);
}

static int write_file_path(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A throwaway child tries the overlay mount the sandbox will make, in a
 * user namespace of its own (kernels and filesystems differ: an upper
 * directory on overlayfs or NFS is refused). */
bool sb_overlay_works(const char *lower, const char *tmpdir)
{
	cleanup_free char *u = xasprintf("%s/probe-u", tmpdir), *w = xasprintf("%s/probe-w", tmpdir);
	cleanup_free char *m = xasprintf("%s/probe-m", tmpdir);
	cleanup_free char *map_u = xasprintf("0 %u 1", (unsigned)geteuid());
	cleanup_free char *map_g = xasprintf("0 %u 1", (unsigned)getegid());
	char o1[3 * PATH_MAX + 64], o2[3 * PATH_MAX + 64];
	bool ok = mkdir(u, 0755) == 0 && mkdir(w, 0755) == 0 && mkdir(m, 0755) == 0 &&
		  sb_overlay_opts(lower, u, w, false, o1, sizeof(o1)) &&
		  sb_overlay_opts(lower, u, w, true, o2, sizeof(o2));
	pid_t pid = ok ? fork() : -1;
	if (pid == 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 ||
		    write_file_path("/proc/self/setgroups", "deny") < 0 ||
		    write_file_path("/proc/self/uid_map", map_u) < 0 ||
		    write_file_path("/proc/self/gid_map", map_g) < 0)
			_exit(1);
		_exit(mount("overlay", m, "overlay", 0, o2) == 0 ||
		      mount("overlay", m, "overlay", 0, o1) == 0 ? 0 : 1);
	}
	int st = 0;
	ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	struct qerr ignored = QERR_INIT;
	fs_remove_at(AT_FDCWD, u, &ignored);
	fs_remove_at(AT_FDCWD, w, &ignored);
	rmdir(m);
	return ok;
}

static void add_bind(struct sb_plan *p, const char *src, const char *dst, bool ro,
		     enum sb_bind_kind kind, bool optional)
{
	p->binds = xgrow(p->binds, &p->binds_cap, p->n_binds + 1, sizeof(*p->binds));
	p->binds[p->n_binds++] = (struct sb_bind){ xstrdup(src), xstrdup(dst), ro, kind,
						   optional, -1 };
}

int sb_plan_lower(struct sb_plan *p, const struct sandbox_spec *spec, struct qerr *err)
{
	struct extract_opts eo = { .apply_owner = geteuid() == 0, .apply_xattrs = true };
	if (!spec->image) {
		if (!spec->rootfs)
			return q_error(err, 0, "sandbox: neither an image nor a root filesystem");
		p->lower = xstrdup(spec->rootfs);
		return 0;
	}
	bool hit;
	return image_rootfs_cached(spec->image, spec->cache_dir, &eo, &p->lower, &hit, err);
}

static int plan_rootfs(struct sb_plan *p, const struct sandbox_spec *spec, struct qerr *err)
{
	struct extract_opts eo = { .apply_owner = geteuid() == 0, .apply_xattrs = true };
	if (!p->lower && sb_plan_lower(p, spec, err) < 0)
		return -1;
	p->upper = xasprintf("%s/upper", p->tmpdir);
	p->work = xasprintf("%s/work", p->tmpdir);
	p->merged = xasprintf("%s/merged", p->tmpdir);
	if (mkdir(p->upper, 0755) < 0 || mkdir(p->work, 0755) < 0 || mkdir(p->merged, 0755) < 0)
		return q_error(err, errno, "create directories in '%s'", p->tmpdir);
	p->overlay = !spec->no_overlay && sb_overlay_works(p->lower, p->tmpdir);
	if (p->overlay)
		return 0;
	if (!spec->image)
		return q_error(err, 0, "overlayfs over '%s' is not available here, and a root "
			       "filesystem directory is never written", spec->rootfs);
	/* The private copy: the layers applied again, into our directory. */
	p->copy = xasprintf("%s/copy", p->tmpdir);
	cleanup_close int fd = mkdir(p->copy, 0755) < 0 ? -1 :
			       open(p->copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return q_error(err, errno, "create '%s'", p->copy);
	struct extract_stats st = { 0 };
	if (image_unpack(spec->image, fd, &eo, &st, NULL, NULL, err) < 0)
		return q_error_wrap(err, "private copy of the root filesystem");
	return 0;
}

static int plan_etc(struct sb_plan *p, const struct sandbox_spec *spec, struct qerr *err)
{
	p->hosts = xasprintf("%s/hosts", p->tmpdir);
	p->resolv = xasprintf("%s/resolv.conf", p->tmpdir);
	cleanup_free char *hosts = xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
					     "ip6-loopback\n127.0.1.1\t%s\n", p->hostname);
	if (write_text(p->hosts, hosts, err) < 0)
		return -1;
	/* With the host's network, the host's resolver; without, none. */
	cleanup_free char *resolv = NULL;
	size_t len;
	struct qerr ignored = QERR_INIT;
	if (!spec->net_host ||
	    read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 20, &resolv, &len, &ignored) < 0) {
		free(resolv);
		resolv = xstrdup("# quench: no network but loopback\n");
	}
	if (write_text(p->resolv, resolv, err) < 0)
		return -1;
	add_bind(p, p->hosts, "/etc/hosts", true, SB_BIND_FILE, false);
	add_bind(p, p->resolv, "/etc/resolv.conf", true, SB_BIND_FILE, false);
	/* The host's network: its sysfs (a new one needs a net namespace of
	 * our own), read-only. */
	if (spec->net_host)
		add_bind(p, "/sys", "/sys", true, SB_BIND_DIR, true);
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		cleanup_free char *dev = xasprintf("/dev/%s", dev_nodes[i]);
		add_bind(p, dev, dev, false, SB_BIND_FILE, true);
	}
	return 0;
}

static int plan_mounts(struct sb_plan *p, const struct sandbox_spec *spec, struct qerr *err)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct sandbox_mount *m = &spec->mounts[i];
		struct stat st;
		if (stat(m->src, &st) < 0)
			return q_error(err, errno, "mount source '%s'", m->src);
		add_bind(p, m->src, m->dst, m->ro, S_ISDIR(st.st_mode) ? SB_BIND_DIR : SB_BIND_FILE,
			 false);
	}
	return 0;
}

/* The image's /etc/passwd or /etc/group, read inside its root. */
static char *etc_db(int root_fd, const char *name)
{
	struct qerr ignored = QERR_INIT;
	cleanup_close int fd = fs_open_in_root(root_fd, name, O_RDONLY, 0, &ignored);
	char *data = NULL;
	size_t len;
	if (fd < 0 || read_fd_all(fd, name, ETC_DB_MAX, &data, &len, &ignored) < 0)
		return NULL;
	return data;
}

static int plan_user(struct sb_plan *p, const struct sandbox_spec *spec, int root_fd,
		     struct qerr *err)
{
	cleanup_free char *passwd = etc_db(root_fd, "etc/passwd");
	cleanup_free char *group = etc_db(root_fd, "etc/group");
	cleanup_free char *home = NULL;
	if (sandbox_user_lookup(spec->user, passwd, group, &p->uid, &p->gid, &home, err) < 0)
		return -1;
	/* HOME as runtimes set it: from passwd, else "/". */
	bool has_home = false;
	for (char *const *e = spec->envp; e && *e; e++) {
		strvec_push(&p->env, *e);
		has_home |= str_starts_with(*e, "HOME=");
	}
	if (!has_home)
		strvec_take(&p->env, xasprintf("HOME=%s", home && *home ? home : "/"));
	p->envp = p->env.v;
	const char *wd = spec->workdir && *spec->workdir ? spec->workdir : "/";
	p->workdir = wd[0] == '/' ? xstrdup(wd) : xasprintf("/%s", wd);
	return 0;
}

int sb_plan_build(struct sb_plan *p, const struct sandbox_spec *spec, struct qerr *err)
{
	if (!spec->argv || !spec->argv[0])
		return q_error(err, 0, "no command to run");
	const char *tmp = getenv("TMPDIR");
	p->tmpdir = xasprintf("%s/quench-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(p->tmpdir)) {
		int e = errno;
		free(p->tmpdir);
		p->tmpdir = NULL;
		return q_error(err, e, "create a temporary directory");
	}
	p->argv = spec->argv;
	p->hostname = xstrdup(spec->hostname ? spec->hostname : "quench");
	p->privileged = geteuid() == 0;
	p->net_host = spec->net_host;
	p->gpu = spec->gpu;
	p->hold = spec->hold;
	p->seccomp = spec->seccomp;
	if (plan_rootfs(p, spec, err) < 0 || plan_etc(p, spec, err) < 0 ||
	    plan_mounts(p, spec, err) < 0)
		return -1;
	const char *root = p->copy ? p->copy : p->lower;
	cleanup_close int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return q_error(err, errno, "open '%s'", root);
	if (plan_user(p, spec, root_fd, err) < 0)
		return -1;
	if (spec->gpu && sb_plan_gpu(p, root_fd, spec->gpu_driver_dir, err) < 0)
		return -1;
	return 0;
}

void sb_plan_release(struct sb_plan *p)
{
	for (size_t i = 0; i < p->n_binds; i++) {
		free(p->binds[i].src);
		free(p->binds[i].dst);
	}
	free(p->binds);
	for (size_t i = 0; i < p->n_injected; i++) {
		free(p->injected[i].host);
		free(p->injected[i].path);
	}
	free(p->injected);
	strvec_clear(&p->links);
	strvec_clear(&p->env);
	free(p->libdir);
	free(p->merged);
	free(p->lower);
	free(p->upper);
	free(p->work);
	free(p->copy);
	free(p->hosts);
	free(p->resolv);
	free((char *)p->workdir);
	free((char *)p->hostname);
	if (p->tmpdir) {
		struct qerr ignored = QERR_INIT;
		fs_remove_at(AT_FDCWD, p->tmpdir, &ignored);
		free(p->tmpdir);
	}
	memset(p, 0, sizeof(*p));
}
