/* trace — the sandbox a workload runs in, the tracer that watches it, the
 * RBOM it produces.
 *
 * The tracer does not depend on the sandbox: it takes a pid that is held
 * before its exec and a directory fd for the tracee's root ("/" on the
 * host, /proc/PID/root in a sandbox).
 */
#ifndef QUENCH_TRACE_H
#define QUENCH_TRACE_H

#include "image/image.h"
#include "util/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
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
	/* Traced: the workload stops before its filter and exec until
	 * sandbox_release, then installs the tracer's own filter
	 * (tracer_install_filter; seccomp is ignored). */
	bool hold;
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
/* The signals sandbox_start blocks in the calling thread (and the threads it
 * starts later) for sandbox_wait or a watcher to forward: INT, TERM, HUP,
 * QUIT, USR1, USR2. */
void sandbox_forwarded_set(sigset_t *set);
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

/* Does this library name belong to the NVIDIA driver (libcuda*, libnvidia-*,
 * libnvcuvid, libnvoptix, …)? */
bool gpu_driver_lib(const char *name);
/* The user of an /etc/passwd (+ /etc/group) text: spec "NAME|UID[:GROUP|GID]".
 * passwd/group may be NULL (numeric ids only). home: caller frees (NULL
 * when not found). */
int sandbox_user_lookup(const char *spec, const char *passwd, const char *group, uid_t *uid,
			gid_t *gid, char **home, struct qerr *err);


/* ---- tracer ---- */

/* The tracer follows every thread and process of a workload and records the
 * paths it resolved, what it executed and loaded, the ports it used, why it
 * needed root, and the full set of syscalls it made (docs/tracer.md).
 *
 * Lifecycle:
 *   1. the workload's first process is forked and held (it waits on a pipe
 *      or a futex) before it execs;
 *   2. tracer_attach(pid, root_dirfd, &t, err) seizes it (the pid must be a
 *      child of the caller or otherwise ptrace-able);
 *   3. the caller releases the held process, which installs the tracer's
 *      filter with tracer_install_filter() and execs: from then on every syscall
 *      outside the baseline stops it for the tracer;
 *   4. tracer_run(t, &status, err) follows the whole tree until every
 *      traced process is gone; status is the first process's wait status;
 *   5. tracer_report(t) gives the results (valid until tracer_free).
 * tracer_spawn() does 1–3 for a command on the host (tests, benchmarks).
 *
 * One thread calls attach, run and free (ptrace requests must come from
 * the thread that attached); run starts a second one for the lookup
 * channel and ends it before it returns. */
struct tracer;

/* How a path was used; several bits per path. */
enum tracer_use {
	TRACER_EXEC = 1 << 0,     /* execve'd, an interpreter, or mapped at exec */
	TRACER_READ = 1 << 1,     /* opened for reading (or a directory listed) */
	TRACER_WRITE = 1 << 2,    /* opened for writing, created, renamed, removed… */
	TRACER_STAT = 1 << 3,     /* stat, access, readlink, chdir: exists or not */
	TRACER_MISSING = 1 << 4,  /* a lookup found nothing (ENOENT, ENOTDIR) */
	TRACER_ERROR = 1 << 5,    /* a lookup failed otherwise (EACCES, ELOOP, …) */
	TRACER_SYMLINK = 1 << 6,  /* a symlink followed while resolving another path */
	TRACER_LIB = 1 << 7,      /* a shared library: mapped executable, or an opened *.so */
};

struct tracer_path {
	char *path;          /* absolute, inside the tracee's root, symlinks resolved
			      * (but for the last component of a no-follow use) */
	unsigned uses;       /* enum tracer_use bits */
	uint64_t count;      /* syscalls that named it (or followed it) */
	char *link_target;   /* TRACER_SYMLINK: the link's text as read; else NULL */
};

struct tracer_exec {
	char *path;          /* the resolved executable (the script, not its interpreter) */
	char *argv0;         /* as passed to execve ("" when unreadable) */
	uint64_t count;
};

enum tracer_port_kind { TRACER_BIND, TRACER_CONNECT, TRACER_LISTEN };
struct tracer_port {
	enum tracer_port_kind kind;
	int family;          /* AF_INET, AF_INET6 */
	int type;            /* SOCK_STREAM, SOCK_DGRAM…, 0 when unknown */
	uint16_t port;       /* host order */
	char addr[64];       /* numeric address */
	uint64_t count;
};

struct tracer_process {
	pid_t pid;           /* as the tracer sees it (host pid namespace) */
	pid_t ppid;          /* the tracee that created it, 0 for the first */
	char *exe;           /* last executable, NULL if it never exec'd */
	int status;          /* wait status; -1 while unknown */
	uint64_t threads;    /* threads it had over its life */
	uint64_t stops;      /* seccomp stops (syscalls outside the baseline) */
};

struct tracer_syscall {
	const char *name;    /* "openat"; "i386:5" for a foreign ABI */
	uint32_t arch;       /* AUDIT_ARCH_* */
	int nr;
	bool baseline;       /* allowed by the filter, so never observed */
	uint64_t count;      /* stops it caused (0 for baseline entries) */
};

struct tracer_report {
	struct tracer_path *paths;       /* sorted by path */
	size_t npaths;
	struct tracer_exec *execs;       /* sorted by path, argv0 */
	size_t nexecs;
	struct strvec libs;              /* sorted: loaded shared libraries */
	struct tracer_syscall *syscalls; /* baseline ∪ observed, sorted by arch, nr */
	size_t nsyscalls;
	struct tracer_port *ports;       /* sorted */
	size_t nports;
	struct strvec root_reasons;      /* sorted, unique: "bind to port 80", "setuid(0)" */
	struct tracer_process *procs;    /* in creation order */
	size_t nprocs;
	struct strvec warnings;          /* things the tracer could not follow */
	uint64_t stops;                  /* syscalls outside the baseline: ptrace stops and
					  * lookups */
	uint64_t lookups;                /* of them, answered through the listener */
	uint64_t exit_stops;             /* syscall-exit stops: calls whose result was not
					  * known before they ran (docs/tracer.md) */
};

/* The BPF programs the tracee installs right before exec: ALLOW for the
 * baseline of hot syscalls, TRACE for everything else, and TRACE for a
 * foreign ABI (i386 int 0x80, x32). The lookup filter sends read-only
 * lookups (stat family, access(F_OK), readlink, read-only opens) to a
 * seccomp listener instead, which the tracer answers without a ptrace
 * stop. Static storage; NULL on an architecture the tracer does not
 * support. */
const struct sock_fprog *tracer_filter(void);
const struct sock_fprog *tracer_lookup_filter(void);
/* In the held child, right before exec (async-signal-safe: raw syscalls
 * only). Installs the lookup filter with a listener, or where the kernel
 * cannot (before 5.19, or a listener already in place) tracer_filter().
 * Sets PR_SET_NO_NEW_PRIVS only when the process lacks CAP_SYS_ADMIN
 * (the kernel demands one or the other; no_new_privs would also disable
 * setuid binaries, which a root workload may legitimately run). The
 * process must already be traced (a TRACE verdict without a tracer fails
 * the syscall with ENOSYS), and its next call must be a traced one
 * (chdir, execve): the tracer takes the listener there. Returns 0 or
 * -errno. */
int tracer_install_filter(void);

/* The baseline: syscall names the filter allows without stopping; every
 * seccomp profile built from a report must allow them. NULL-terminated. */
const char *const *tracer_baseline(void);

/* Seize pid (PTRACE_SEIZE with the options of docs/tracer.md). root_dirfd
 * is the tracee's root: "/" on the host; for a sandbox, /proc/PID/root
 * opened once the tracee's root is final (after its pivot_root). Borrowed:
 * it must stay open until tracer_free. */
int tracer_attach(pid_t pid, int root_dirfd, struct tracer **out, struct qerr *err);
/* Follow the traced tree until it is gone (daemons that left their parent
 * included). *exit_status gets the first process's wait status (WIFEXITED /
 * WIFSIGNALED apply; -1 if it was never seen to end). Errors are the
 * tracer's own (wait failed); the tracees die with it (PTRACE_O_EXITKILL).
 * It waits for any child (waitpid(-1, __WALL)): the caller must have no
 * other children to reap meanwhile. */
int tracer_run(struct tracer *t, int *exit_status, struct qerr *err);
/* Results, built on first call after tracer_run; valid until tracer_free. */
const struct tracer_report *tracer_report(struct tracer *t);
/* Kills what is still traced (a tracer_run that failed), reaps, frees. */
void tracer_free(struct tracer *t);

/* Fork argv[0] (looked up in PATH), with stdin/stdout/stderr inherited,
 * hold it until it is seized, install the filter and exec. On success *out
 * is attached and the child is running toward its exec. */
int tracer_spawn(char *const argv[], int root_dirfd, struct tracer **out, struct qerr *err);

const char *tracer_use_str(unsigned uses, char *buf, size_t len);  /* "exec,read" */

/* A seccomp profile's allowlist as a BPF program the sandbox can enforce:
 * the named native syscalls allowed, every other one (and every other ABI)
 * failing with EPERM, as the OCI profile's SCMP_ACT_ERRNO does. Names the
 * table does not know are left out. out->filter: caller frees. */
int seccomp_allowlist(const char *const *names, size_t n, struct sock_fprog *out,
		      struct qerr *err);

/* ---- RBOM ---- */

/* What a profile ran (docs/rbom.md). */
struct rbom_run {
	const char *image_name, *manifest_digest, *config_digest;
	char *const *argv;
	const char *workdir, *user;
	const struct strvec *probes;     /* "cmd: … (exit N)" */
	int64_t started, ended;          /* seconds since the epoch */
	int exit_code;                   /* 128+N when killed by signal N */
	const char *rootfs_mode;         /* sandbox_rootfs_mode() */
	const struct sandbox_injected *injected;   /* --gpu files: marked, never owned */
	size_t n_injected;
};

struct catalog;
/* The RBOM of one traced run; c (may be NULL) maps paths to packages. */
json_t *rbom_build(const struct rbom_run *run, const struct tracer_report *r,
		   const struct catalog *c);
/* Read an RBOM, checking its schema name and shape. */
int rbom_load(const char *path, json_t **out, struct qerr *err);
/* The union of RBOMs of the same image (docs/rbom.md, "Merging"). */
int rbom_merge(json_t *const *docs, size_t n, json_t **out, struct qerr *err);
/* The summary a person reads. */
void rbom_print_table(FILE *out, json_t *doc);

/* ---- profiling (profile.c): a workload run traced, with its probes ---- */

struct profile_spec {
	struct sandbox_spec *sandbox;    /* traced: its hold and seccomp are set here */
	uint64_t duration;               /* seconds; 0: until the workload exits */
	const struct strvec *probe_cmds; /* commands run inside, untraced, in turn: through
					  * /bin/sh -c when they hold shell syntax, else
					  * exec'd directly (a hardened image has no shell) */
	const char *http_file;           /* requests for __probe-http (profile_http_requests) */
	uint64_t probe_wait;             /* seconds an HTTP probe waits for the port */
	bool untraced;                   /* run and probe only (validation): no tracer, the
					  * sandbox's own seccomp filter enforced */
	bool probe_output_to_stderr;     /* the command probes' stdout, so that it does not
					  * mix with the workload's */
	/* Work of the caller's to do while the workload runs (the image's
	 * catalog): in a thread of its own once the sandbox is up, joined
	 * before profile_run returns. NULL: none. */
	void (*meanwhile)(void *arg);
	void *meanwhile_arg;
};
struct profile_run {
	struct sandbox *sb;
	struct tracer *t;                /* traced: tracer_report(t), what it used */
	int root_fd;
	int status;                      /* traced: the workload's wait status */
	int exit_code;                   /* as a shell says it; 127/126: its exec failed */
	int64_t started, ended;
	bool ended_by_us, timed_out;     /* after the probes or --duration; the timeout */
	int probe_failed;                /* the first failing probe's exit code, or 0 */
	struct strvec probes;            /* "cmd: … (exit N)", "http: GET URL -> 200" */
	char *failure;                   /* untraced: why the sandbox failed after it started
					  * (an exec error), else NULL */
};
/* Run it: the calling thread runs the tracer (or, untraced, waits); a
 * watcher thread forwards signals, runs the probes, ends the workload
 * (SIGTERM, then everything 5 s later) at the duration, the sandbox's
 * timeout or after the probes. */
int profile_run(const struct profile_spec *ps, struct profile_run *r, struct qerr *err);
void profile_run_release(struct profile_run *r);
/* Profile the workload and build its RBOM: profile_run + rbom_build, c
 * (may be NULL) mapping paths to packages. *doc is NULL on error. */
int profile_rbom(const struct profile_spec *ps, const char *image_name, const struct catalog *c,
		 struct profile_run *r, json_t **doc, struct qerr *err);
/* The RBOM of a traced run that ended. */
json_t *profile_rbom_build(const struct profile_spec *ps, const char *image_name,
			   const struct catalog *c, struct profile_run *r);
/* A command line as an argv: its words, or /bin/sh -c CMD when it holds
 * shell syntax (quotes, $, pipes, redirections, globs, VAR=x). */
void profile_command_argv(const char *cmd, struct strvec *argv);
/* A wait status as a shell says it: the exit code, 128+N for signal N. */
int profile_exit_code(int status);
/* GET requests for urls and the requests of file (may be NULL), checked,
 * as one file for __probe-http (*path: caller unlinks and frees). */
int profile_http_requests(const struct strvec *urls, const char *file, char **path,
			  struct qerr *err);

/* ---- HTTP probes (probe_http.c) ---- */

/* A JSON array of requests ({method, url, headers, body}), checked. */
int probe_http_load(const char *path, json_t **out, struct qerr *err);
/* Send each once its port accepts (waiting up to wait_s in all); one line
 * per request on report ("http: GET URL -> 200"). -1 when one got no
 * answer. */
int probe_http_run(json_t *requests, unsigned wait_s, FILE *report);

#endif
