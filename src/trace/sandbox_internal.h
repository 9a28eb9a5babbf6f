/* The sandbox's private parts: the plan (everything decided before the
 * fork, so the child only makes system calls), the messages between quench
 * and the sandbox's init, and the child's steps. */
#ifndef QUENCH_SANDBOX_INTERNAL_H
#define QUENCH_SANDBOX_INTERNAL_H

#include "trace.h"
#include "fs/fs.h"

#include <signal.h>

enum sb_bind_kind {
	SB_BIND_FILE,    /* a file (or device node) onto a file */
	SB_BIND_DIR,     /* a directory tree onto a directory */
	SB_BIND_PROC,    /* a directory onto one in the sandbox's /proc, after it is mounted */
};

/* A host path bound into the sandbox. The source is cloned (open_tree)
 * before pivot_root; the target is resolved after it, when nothing of the
 * host is reachable by path any more. */
struct sb_bind {
	char *src, *dst;
	bool ro;
	enum sb_bind_kind kind;
	bool optional;   /* skipped when it cannot be done (GPU extras) */
	int tree_fd;     /* in the child */
};

struct sb_plan {
	/* Root filesystem: overlay of lower with upper/work, or copy bound. */
	char *tmpdir, *merged, *lower, *upper, *work, *copy;
	bool overlay;
	char *hosts, *resolv;           /* generated files in tmpdir */
	struct sb_bind *binds;
	size_t n_binds, binds_cap;
	struct strvec links;            /* pairs: path in sandbox, symlink target */
	char *libdir;                   /* --gpu: where the libraries go */
	struct sandbox_injected *injected;
	size_t n_injected, injected_cap;

	char *const *argv, *const *envp;
	struct strvec env;              /* the spec's, HOME added */
	const char *workdir, *hostname;
	uid_t uid;
	gid_t gid;
	bool privileged;                /* quench is root: identity id maps, setgroups */
	bool net_host, gpu, hold;
	const struct sock_fprog *seccomp;
	sigset_t child_mask;            /* the mask to restore before exec */
	int proc_fd, sys_fd;            /* in the child: detached proc and sysfs */
};

/* Messages on the sandbox's socket. */
enum sb_msg_type {
	SB_MSG_GO = 1,        /* quench → init: id maps written */
	SB_MSG_RELEASE,       /* quench → workload: go on */
	SB_MSG_ERROR,         /* init → quench: a setup step failed */
	SB_MSG_PID,           /* workload → quench: its credentials carry its pid */
	SB_MSG_EXEC_ERROR,    /* workload → quench: execve failed (errnum) */
	SB_MSG_STATUS,        /* init → quench: the workload's wait status */
};

struct sb_msg {
	int type;
	int errnum;
	int value;
	char what[240];
};

/* The handle (sandbox.c starts it, sandbox_wait.c waits on it). */
struct sandbox {
	struct sb_plan plan;
	int sock;                 /* our end; SO_PASSCRED */
	pid_t init, wl;
	int init_fd, wl_fd;       /* pidfds */
	bool released, init_reaped, timed_out, have_status;
	int status;               /* the workload's wait status, from the init */
	int exec_errno;           /* the workload's execve failed */
	struct sb_msg late;       /* an error after start (ids, seccomp, exec) */
	bool have_late;
	unsigned timeout;
	sigset_t fwd, old_mask;
	int init_status;
};

/* Parent side (sandbox_plan.c). */
/* The image unpacked through the cache (or the rootfs directory): p->lower. */
int sb_plan_lower(struct sb_plan *p, const struct sandbox_spec *spec, struct qerr *err);
/* The rest of the plan, onto a zeroed p (p->lower may be set already). */
int sb_plan_build(struct sb_plan *p, const struct sandbox_spec *spec, struct qerr *err);
void sb_plan_release(struct sb_plan *p);
int sb_plan_gpu(struct sb_plan *p, int root_fd, const char *driver_dir, struct qerr *err);
/* Does an overlayfs of lower mount in a user namespace here? */
bool sb_overlay_works(const char *lower, const char *tmpdir);

/* Child side (sandbox_init.c, sandbox_mount.c): async-signal-safe only. */
_Noreturn void sb_child_main(const struct sb_plan *p, int sock);
void sb_send(int sock, int type, int errnum, int value, const char *what, const char *what2);
/* Overlayfs mount options, paths escaped; false when they do not fit. */
bool sb_overlay_opts(const char *lower, const char *upper, const char *work, bool userxattr,
		     char *out, size_t cap);
int sb_setup_root(const struct sb_plan *p, int sock);
int sb_setup_inside(const struct sb_plan *p, int sock);
int sb_mount_proc_and_late(const struct sb_plan *p, int sock);
/* Report errno and what failed to quench; evaluates to -1. */
#define FAIL(what, path) (sb_send(sock, SB_MSG_ERROR, errno, 0, what, path), -1)
/* After pivot_root: path resolved in the root (no magic links), missing
 * parts created, the last as a directory or an empty file; an O_PATH fd. */
int sb_resolve_create(const char *path, bool dir);
/* Attach a detached mount (open_tree, fsmount) onto an O_PATH target. */
int sb_attach(int tree, int target);
int sb_top_dir(const char *name, int sock);
int sb_mount_tmpfs(const char *dir, const char *opts, int sock);
int sb_setup_dev(int sock);
int sb_etc_file(const char *name, int tree_fd, int sock);
int sb_loopback_up(int sock);

#endif
