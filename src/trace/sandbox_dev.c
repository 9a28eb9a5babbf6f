/* The sandbox's own /dev, /tmp, /run and /etc files, inside the new root
 * (after pivot_root). Runs in the init after fork: system calls only. */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

/* /NAME as a real directory at the top of the tree. */
int sb_top_dir(const char *name, int sock)
{
	struct stat st;
	if (fstatat(AT_FDCWD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
	    unlink(name) < 0)
		return FAIL("replace ", name);
	if (mkdir(name, 0755) < 0 && errno != EEXIST)
		return FAIL("mkdir ", name);
	return 0;
}

int sb_mount_tmpfs(const char *dir, const char *opts, int sock)
{
	if (sb_top_dir(dir, sock) < 0)
		return -1;
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return FAIL("mount tmpfs on ", dir);
	return 0;
}

/* A tmpfs /dev (the host's nodes are bound in later, as binds: a user
 * namespace may not mknod), its own devpts, and /dev/shm. */
int sb_setup_dev(int sock)
{
	if (sb_mount_tmpfs("/dev", "mode=0755,size=65536k", sock) < 0)
		return -1;
	if (mkdir("/dev/pts", 0755) < 0 || mkdir("/dev/shm", 01777) < 0)
		return FAIL("mkdir in /dev", "");
	if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620") < 0)
		return FAIL("mount devpts on ", "/dev/pts");
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return FAIL("mount tmpfs on ", "/dev/shm");
	static const char *const links[][2] = {
		{ "pts/ptmx", "/dev/ptmx" }, { "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" }, { "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" }, { "/proc/kcore", "/dev/core" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlink(links[i][0], links[i][1]) < 0)
			return FAIL("symlink ", links[i][1]);
	return 0;
}

/* NAME in /etc as a plain file with the generated one bound over it; what
 * the image has there (a symlink anywhere, a directory) is replaced in the
 * writable layer first. */
int sb_etc_file(const char *name, int tree_fd, int sock)
{
	int etc = sb_resolve_create("/etc", true);
	if (etc < 0)
		return FAIL("resolve ", "/etc");
	int efd = openat(etc, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(etc);
	if (efd < 0)
		return FAIL("open ", "/etc");
	struct stat st;
	int rc = 0;
	if (fstatat(efd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
	    unlinkat(efd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
		rc = FAIL("replace /etc/", name);
	int f = rc < 0 ? -1 : openat(efd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (f >= 0)
		close(f);
	int t = f < 0 ? -1 : openat(efd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (rc == 0 && (t < 0 || sb_attach(tree_fd, t) < 0))
		rc = FAIL("mount on /etc/", name);
	if (t >= 0)
		close(t);
	close(efd);
	close(tree_fd);
	return rc;
}
