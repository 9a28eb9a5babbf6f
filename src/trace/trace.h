/* trace — the sandbox a workload runs in, the tracer that watches it, the
 * RBOM it produces.
 */
#ifndef QUENCH_TRACE_H
#define QUENCH_TRACE_H

#include "image/image.h"
#include "util/util.h"

#include <sys/types.h>

/* ---- sandbox ---- */

/* A container without a daemon: the image's root filesystem (overlayfs over
 * the unpack cache, else a private copy) in new user, mount, pid, ipc, uts
 * and net namespaces, pivot_root'ed, with /proc, a minimal /dev, tmpfs /tmp
 * and /run, and generated /etc/hosts and /etc/resolv.conf bind-mounted over
 * the image's (the image's files are never written).
 *
 * Processes, seen from quench:
 *   quench ── init (pid 1 of the new pid namespace; reaps orphans)
 *               └── workload (pid 2; execs argv)
 * The init dies with quench (PR_SET_PDEATHSIG) and the workload with the
 * init; when the init exits — after the workload did, or killed — the kernel
 * kills everything left in the pid namespace.
 *
 * Lifecycle:
 *   sandbox_start(&spec, &sb, err);     namespaces, mounts, workload forked
 *   [hold: a tracer PTRACE_SEIZEs sandbox_workload_pid(sb) now]
 *   sandbox_release(sb, err);           (only with spec.hold) workload goes on
 *   sandbox_wait(sb, &code, err);       untraced use: forwards signals,
 *                                       enforces the timeout
 *   sandbox_free(sb);                   kills what is left, removes temp dirs
 *
 * The workload, after the sandbox is built: [waits for sandbox_release when
 * held] → setgroups/setgid/setuid → PR_SET_NO_NEW_PRIVS + the seccomp filter
 * (when given) → chdir(workdir) → execve. A tracer that seizes it while
 * held therefore sees the seccomp install and the exec.
 *
 * Tracing: seize while held (PTRACE_SEIZE with PTRACE_O_EXITKILL, and
 * TRACEEXEC/TRACECLONE… as needed), then sandbox_release. As its tracer you
 * see the workload's exit first (waitpid on it); after that the init reaps
 * it and reports, and sandbox_wait returns its exit code. tests/unit/
 * test_sandbox.c does exactly this.
 *
 * Ids: as root, the user namespace maps every id to itself; otherwise only
 * the workload's uid and gid exist inside, mapped to ours. The workload has
 * no capability in the host's namespaces: with net_host it cannot bind
 * ports below 1024.
 *
 * Signals: sandbox_start blocks SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
 * SIGUSR2 in the calling thread (sandbox_free restores the mask);
 * sandbox_wait reads them and forwards them to the workload, except those a
 * terminal sent to the whole process group (the workload got them too). A
 * second SIGINT or SIGTERM kills the sandbox.
 */

struct sock_fprog;

struct sandbox_mount {
	char *src;        /* host path */
	char *dst;        /* absolute path in the sandbox; created when missing */
	bool ro;
};

struct sandbox_spec {
	/* The root filesystem: an image (unpacked through the cache in
	 * cache_dir) or a directory (never written; overlayfs required). */
	struct image *image;
	const char *cache_dir;
	const char *rootfs;
	bool no_overlay;              /* use a private copy even when overlayfs works */

	char *const *argv;            /* argv[0] looked up in the sandbox's PATH */
	char *const *envp;            /* the whole environment ("K=V") */
	const char *workdir;          /* absolute; NULL or "": "/" */
	const char *user;             /* "UID[:GID]" or "NAME[:GROUP]" from the image's
					 /etc/passwd and /etc/group; NULL or "": root */
	const char *hostname;         /* NULL: "quench" */
	const struct sandbox_mount *mounts;
	size_t n_mounts;
	bool net_host;                /* keep the host's network (else loopback only) */
	bool gpu;                     /* NVIDIA devices and driver libraries */
	const char *gpu_driver_dir;   /* libraries from here instead of the ld.so cache */
	unsigned timeout;             /* seconds; 0: none (sandbox_wait) */
	/* Installed by the workload itself right before execve, after every
	 * namespace and id change; NULL: none. Must outlive sandbox_start. */
	const struct sock_fprog *seccomp;
	bool hold;                    /* workload stops before seccomp+exec until release */
};

/* A host file bound into the sandbox by --gpu (the RBOM marks them
 * `injected`: they are never part of an image). */
struct sandbox_injected {
	char *host;       /* e.g. /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15 */
	char *path;       /* where the workload sees it */
};

struct sandbox;

/* Build the sandbox and fork the workload. On error nothing is left
 * running or on disk, and err names the step that failed. */
int sandbox_start(const struct sandbox_spec *spec, struct sandbox **out, struct qerr *err);
/* The workload's pid in quench's pid namespace (the process a tracer
 * seizes while it is held). */
pid_t sandbox_workload_pid(const struct sandbox *sb);
/* The init's pid (pid 1 inside); kill it with SIGKILL to end everything. */
pid_t sandbox_init_pid(const struct sandbox *sb);
/* Let a held workload go on (a no-op when not held or already released). */
int sandbox_release(struct sandbox *sb, struct qerr *err);
/* Wait for the workload, forwarding signals and enforcing spec.timeout.
 * *exit_code: its exit status, 128+N when killed by signal N, 124 when
 * the timeout killed it. Returns -1 with err set when the sandbox failed
 * (exec of argv[0] failed: *exit_code is 127, or 126 when not executable). */
int sandbox_wait(struct sandbox *sb, int *exit_code, struct qerr *err);
/* Did the timeout end it? */
bool sandbox_timed_out(const struct sandbox *sb);
/* What overlayfs or the private copy gave: "overlay" or "copy". */
const char *sandbox_rootfs_mode(const struct sandbox *sb);
/* The host files --gpu bound in; valid until sandbox_free. */
const struct sandbox_injected *sandbox_injected(const struct sandbox *sb, size_t *n);
/* Kill whatever is left, wait for it, remove the temporary directory,
 * restore the signal mask. NULL is fine. */
void sandbox_free(struct sandbox *sb);

/* -- helpers for verbs that build a spec -- */

/* "SRC:DST[:ro|:rw]" → m (SRC made absolute against cwd, DST absolute and
 * clean, no ".." components). */
int sandbox_mount_parse(const char *s, struct sandbox_mount *m, struct qerr *err);
void sandbox_mount_release(struct sandbox_mount *m);
/* The command as `podman run` builds it: entrypoint (or the override) +
 * cmd (or the words after --; an entrypoint override drops the image's
 * cmd). Error when the result is empty. */
int sandbox_argv(const struct image_config *cfg, const struct strvec *entrypoint,
		 const struct strvec *cmd, struct strvec *argv, struct qerr *err);
/* The image's env with "K=V" overrides applied (same K replaced), PATH
 * added when missing. */
void sandbox_env(const struct image_config *cfg, const struct strvec *overrides,
		 struct strvec *env);

/* -- pure parsers, exposed for tests and fuzzing -- */

/* Entries of an ld.so.cache ("glibc-ld.so.cache1.1", with or without the
 * old "ld.so-1.7.0" part before it): calls fn(name, path) for each.
 * Bounds-checked against untrusted input. */
typedef void (*ldcache_fn)(void *ctx, const char *name, const char *path);
int ldcache_parse(const void *data, size_t len, ldcache_fn fn, void *ctx, struct qerr *err);
/* Does this library name belong to the NVIDIA driver (libcuda*, libnvidia-*,
 * libnvcuvid, libnvoptix, …)? */
bool gpu_driver_lib(const char *name);
/* The user of an /etc/passwd (+ /etc/group) text: spec "NAME|UID[:GROUP|GID]".
 * passwd/group may be NULL (numeric ids only). home: caller frees (NULL
 * when not found). */
int sandbox_user_lookup(const char *spec, const char *passwd, const char *group, uid_t *uid,
			gid_t *gid, char **home, struct qerr *err);

#endif
