/* trace — run a workload in a sandbox and record what it uses (RBOM).
 *
 * Two parts: the sandbox (namespaces, root filesystem) and the tracer
 * (ptrace + seccomp-bpf). The tracer does not depend on the sandbox: it
 * takes a pid that is held before its exec and a directory fd for the
 * tracee's root ("/" on the host, /proc/PID/root in a sandbox).
 */
#ifndef QUENCH_TRACE_H
#define QUENCH_TRACE_H

#include "util/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

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
 *   3. the caller releases the held process, which installs tracer_filter()
 *      with tracer_install_filter() and execs: from then on every syscall
 *      outside the baseline stops it for the tracer;
 *   4. tracer_run(t, &status, err) follows the whole tree until every
 *      traced process is gone; status is the first process's wait status;
 *   5. tracer_report(t) gives the results (valid until tracer_free).
 * tracer_spawn() does 1–3 for a command on the host (tests, benchmarks).
 *
 * A tracer is single-threaded: one thread calls attach, run and free (ptrace
 * requests must come from the thread that attached). */
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
	uint64_t stops;                  /* all seccomp stops */
};

/* The BPF program the tracee installs right before exec: ALLOW for the
 * baseline of hot syscalls, TRACE for everything else, and TRACE for a
 * foreign ABI (i386 int 0x80, x32). Static storage; NULL on an architecture
 * the tracer does not support. */
const struct sock_fprog *tracer_filter(void);
/* In the held child, right before exec (async-signal-safe: raw syscalls
 * only). Sets PR_SET_NO_NEW_PRIVS only when the process lacks CAP_SYS_ADMIN
 * (the kernel demands one or the other; no_new_privs would also disable
 * setuid binaries, which a root workload may legitimately run). The
 * process must already be traced: a TRACE verdict without a tracer fails
 * the syscall with ENOSYS. Returns 0 or -errno. */
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

#endif
