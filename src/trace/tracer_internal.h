/* Private to the tracer: the traced-thread table, one pending syscall per
 * thread, the results being gathered. See docs/tracer.md. */
#ifndef QUENCH_TRACER_INTERNAL_H
#define QUENCH_TRACER_INTERNAL_H

#include "trace/trace.h"

#include <pthread.h>
#include <sys/ptrace.h>

#define SC_MAX 512   /* syscall numbers counted per ABI: 0..SC_MAX-1 */

/* A path operand of a syscall, read at the seccomp stop (the memory is the
 * tracee's and may be gone at syscall exit, e.g. after execve). */
struct pop {
	char *path;          /* NULL: unreadable (bad pointer, too long) */
	char *base;          /* for a relative path: the dirfd's or cwd's path in
			      * the root, read at the seccomp stop; NULL → "/" */
	unsigned use;        /* TRACER_* for the final component */
	bool nofollow;       /* the last component is not followed */
	char *resolved;      /* set by predict_pop: the path resolved before the call */
};

enum pend_kind { PEND_NONE, PEND_PATHS, PEND_EXEC, PEND_BIND, PEND_CONNECT, PEND_LISTEN,
		 PEND_ROOT };

struct pending {
	enum pend_kind kind;
	int nr;
	struct pop p[2];
	int np;
	char *argv0;         /* PEND_EXEC */
	char *note;          /* PEND_ROOT: the reason, recorded when the call succeeds */
	struct tracer_port port;   /* PEND_BIND / PEND_CONNECT (port known at entry) */
	int sockfd;          /* PEND_LISTEN */
	unsigned need;       /* PRED_*: a read-only call whose result predict_pop may tell */
	bool mutates;        /* an fd's metadata changes (fchmod, fchown, fsetxattr) */
};

struct tproc {
	pid_t tid, tgid;
	size_t proc;         /* index in t->procs of its thread group */
	bool in_syscall;     /* resumed with PTRACE_SYSCALL: next syscall stop is the exit */
	bool writing;        /* in_syscall with a call that may change the tree */
	bool gone;
	struct pending pend;
};

struct tracer {
	pid_t first;
	int root_dirfd;
	char *root_prefix;   /* readlink of the root fd as we see it; "" for "/" */
	int first_status;
	bool first_execed;      /* the first process ran an exec: its image is the workload's */
	bool ran;

	struct tproc *threads;   /* open addressing on tid; tid 0 = free */
	size_t tcap, tn;

	/* results */
	struct tracer_path *paths;
	size_t npaths, pathcap;
	struct strmap pathidx;       /* path → index (keys owned by paths[]) */
	struct tracer_exec *execs;
	size_t nexecs, execcap;
	struct strvec libs;
	struct strmap libidx;
	uint64_t *sc_count;          /* per x86_64 nr (0..SC_MAX-1) */
	uint64_t *foreign_i386;       /* per i386 nr (int 0x80 from a 64-bit process) */
	uint64_t *foreign_x32;        /* per x32 nr (without the x32 bit) */
	uint64_t foreign_other;       /* any other audit arch */
	struct tracer_port *ports;
	size_t nports, portcap;
	struct strvec root_reasons;
	struct tracer_process *procs;
	size_t nprocs, proccap;
	uint64_t *maps_gen;          /* per proc: open_gen when its maps were read */
	uint64_t open_gen;           /* successful opens for reading so far */
	/* Directories known to exist and not to be symlinks: their lstat is
	 * skipped. Only the tracees' writes (all of which stop) change the
	 * tree in a sandbox; every successful write empties the cache. */
	struct strmap dircache;
	struct strvec dircache_keys;
	struct strvec names;         /* storage for foreign syscall names */
	struct strvec warnings;
	uint64_t stops;
	uint64_t exit_stops;         /* syscall-exit stops taken */
	unsigned writers;            /* threads with a tree-changing call under way */

	/* The lookup channel (tracer_notify.c): lookups answered by a thread
	 * of ours through a seccomp listener, without a ptrace stop. */
	int listener;                /* -1: none, every call stops under ptrace */
	bool listener_sought;        /* looked for in the first process */
	int stop_fd;                 /* eventfd: the lookup thread ends */
	pthread_t listen_thread;
	bool listening;
	pthread_mutex_t lock;        /* held by either thread while it uses the tracer */
	uint64_t lookups;            /* calls answered through the listener */

	struct tracer_report report;
	bool report_built;
};

/* tracer.c */
struct tproc *thread_get(struct tracer *t, pid_t tid);
void count_syscall(struct tracer *t, uint32_t arch, uint64_t nr);

/* tracer_notify.c */
/* At the first traced call of the first process: take its listener (if
 * the lookup filter is in place) and start the lookup thread. */
void notify_take_listener(struct tracer *t, pid_t pid);
void notify_stop(struct tracer *t);
/* At a signal-delivery stop: a lookup the signal interrupted while it
 * waited for us is restarted, whatever the handler's SA_RESTART. */
void notify_restart_lookup(struct tracer *t, pid_t tid);

/* syscalls.c */
const char *sc_name(int nr);          /* x86_64 name or NULL */
bool sc_is_baseline(int nr);
bool sc_is_lookup(int nr);        /* the lookup filter may send it to the listener */

/* paths.c */
/* Read a NUL-terminated string of at most PATH_MAX bytes from the tracee.
 * 0, or -EFAULT (bad pointer), -ENAMETOOLONG (no NUL within PATH_MAX). */
int tracee_read_str(pid_t tid, uint64_t addr, size_t max, char **out);
int tracee_read_mem(pid_t tid, uint64_t addr, void *buf, size_t len);
/* The path inside the root of tid's fd (AT_FDCWD: its cwd); NULL when it
 * is unknown or outside the root (a warning is kept). */
char *tracee_fd_path(struct tracer *t, pid_t tid, int fd);
/* readlink of /proc/PID/WHAT ("exe", "cwd", "fd/3") inside the root. */
char *tracee_link_path(struct tracer *t, pid_t pid, const char *what);
/* Resolve a pop the way the kernel did and record it; rval is the
 * syscall's result (negative errno on failure). */
void record_pop(struct tracer *t, pid_t tid, const struct pop *p, int64_t rval);
/* What a read-only call will return, predicted by resolving p now (kept in
 * p->resolved): 0, -ENOENT, -ENOTDIR, -EINVAL, or PREDICT_UNKNOWN when the tree
 * alone does not tell (permissions, /proc, errors): then the exit is seen.
 * need: what the call asks of the last component. */
#define PRED_ON      1u   /* the call may be predicted at all */
#define NEED_READ    2u   /* opened for reading: a regular file or directory readable by all */
#define NEED_DIR     4u   /* O_DIRECTORY: ENOTDIR otherwise */
#define NEED_LINK    8u   /* readlink: a symlink (EINVAL otherwise) */
#define NEED_NOLINK 16u   /* O_NOFOLLOW open: ELOOP on a symlink */
#define PRED_CREDS  32u   /* where permissions decide, decide them with the caller's
			   * credentials (the lookup channel sees no exit) */
#define PREDICT_UNKNOWN 1
int predict_pop(struct tracer *t, pid_t tid, struct pop *p, unsigned need);
/* Record one use of an already resolved path. */
struct tracer_path *path_use(struct tracer *t, const char *path, unsigned use);
/* Resolve path (relative to base when not absolute) inside the root,
 * recording every symlink followed; tid is whose /proc/self it is. Caller frees. *missing is set when a
 * component does not exist. */
char *resolve_path(struct tracer *t, pid_t tid, const char *base, const char *path,
		   bool nofollow, bool *missing);
/* Files mapped executable by tgid, as shared libraries (and the exec'd
 * files at exec time). */
void record_maps(struct tracer *t, pid_t tgid, bool at_exec);
void dircache_clear(struct tracer *t);
void tracer_warn(struct tracer *t, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* tracer_decode.c */
/* At a seccomp stop: fill tp->pend; true when the exit must be seen. */
bool decode_entry(struct tracer *t, struct tproc *tp, const struct __ptrace_syscall_info *si);
/* At the syscall exit (or the exec event for execve). */
void finish_pending(struct tracer *t, struct tproc *tp, int64_t rval);
void pending_clear(struct pending *p);
bool pend_mutates(const struct pending *pd);
void exec_done(struct tracer *t, struct tproc *tp);
bool lookup_operands(struct tracer *t, struct tproc *tp, const struct __ptrace_syscall_info *si);
void lookup_record(struct tracer *t, struct tproc *tp);
bool lookup_may_block(struct tracer *t, pid_t tid, const struct __ptrace_syscall_info *si);

#endif
