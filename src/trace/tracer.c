/* The tracer's event loop: every stop of every traced thread, handled so
 * that the workload behaves as it would untraced (docs/tracer.md).
 *
 * Stops and what we do with them:
 *   seccomp stop (a syscall outside the baseline)  count it; a path, exec,
 *       socket or privileged call is decoded and resumed with PTRACE_SYSCALL
 *       to see its result, unless it is a read-only lookup whose result
 *       the tree tells (recorded now); anything else with PTRACE_CONT
 *   syscall-exit stop                              record the result
 *   fork/vfork/clone event                          a new thread (auto-attached)
 *   exec event                                      the tid may change: a
 *       non-leader thread that execs takes over the leader's tid
 *   exit event                                      the process's mappings
 *   group-stop (PTRACE_EVENT_STOP + stop signal)    PTRACE_LISTEN: stays
 *       stopped as untraced, its parent sees it, SIGCONT wakes it
 *   other PTRACE_EVENT_STOP (new tracee, listen wakeup)   continue
 *   signal-delivery stop                            re-inject the signal
 *   exited / killed                                 forget the thread; the
 *       first process's wait status is the run's
 * A ptrace request that fails with ESRCH means the thread died meanwhile
 * (SIGKILL from elsewhere): its exit is reported by wait later. */
#include "trace/tracer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define X32_BIT 0x40000000u

/* ---- the thread table (open addressing on tid) ------------------------- */

static size_t slot_of(const struct tracer *t, pid_t tid)
{
	return ((size_t)tid * 2654435761u) & (t->tcap - 1);
}

struct tproc *thread_get(struct tracer *t, pid_t tid)
{
	for (size_t i = slot_of(t, tid);; i = (i + 1) & (t->tcap - 1)) {
		if (t->threads[i].tid == tid)
			return &t->threads[i];
		if (!t->threads[i].tid)
			return NULL;
	}
}

static void table_insert(struct tracer *t, const struct tproc *tp)
{
	size_t i = slot_of(t, tp->tid);
	while (t->threads[i].tid)
		i = (i + 1) & (t->tcap - 1);
	t->threads[i] = *tp;
}

static void table_grow(struct tracer *t)
{
	struct tproc *old = t->threads;
	size_t oldcap = t->tcap;
	t->tcap = oldcap ? oldcap * 2 : 64;
	t->threads = xcalloc(t->tcap, sizeof(*t->threads));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].tid)
			table_insert(t, &old[i]);
	free(old);
}

static void writing_done(struct tracer *t, struct tproc *tp)
{
	if (tp->writing)
		t->writers--;
	tp->writing = false;
}

/* Backward-shift deletion keeps every probe chain intact. */
static void thread_del(struct tracer *t, pid_t tid)
{
	struct tproc *tp = thread_get(t, tid);
	if (!tp)
		return;
	pending_clear(&tp->pend);
	writing_done(t, tp);
	size_t mask = t->tcap - 1, i = (size_t)(tp - t->threads), j = i;
	t->threads[i].tid = 0;
	for (;;) {
		j = (j + 1) & mask;
		if (!t->threads[j].tid)
			break;
		size_t k = slot_of(t, t->threads[j].tid);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->threads[i] = t->threads[j];
		t->threads[j].tid = 0;
		i = j;
	}
	t->tn--;
}

static pid_t read_tgid(pid_t tid)
{
	char name[64], line[256];
	snprintf(name, sizeof(name), "/proc/%d/status", (int)tid);
	cleanup_fclose FILE *f = fopen(name, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Tgid:", 5))
			return (pid_t)atoi(line + 5);
	return tid;
}

static size_t proc_add(struct tracer *t, pid_t pid, pid_t ppid, const char *exe)
{
	size_t cap = t->proccap;
	t->procs = xgrow(t->procs, &t->proccap, t->nprocs + 1, sizeof(*t->procs));
	t->maps_gen = xgrow(t->maps_gen, &cap, t->nprocs + 1, sizeof(*t->maps_gen));
	t->maps_gen[t->nprocs] = (uint64_t)-1;
	t->procs[t->nprocs] = (struct tracer_process){
		.pid = pid, .ppid = ppid, .exe = exe ? xstrdup(exe) : NULL, .status = -1 };
	return t->nprocs++;
}

static size_t proc_find(struct tracer *t, pid_t tgid)
{
	struct tproc *leader = thread_get(t, tgid);
	if (leader)
		return leader->proc;
	for (size_t i = t->nprocs; i-- > 0;)
		if (t->procs[i].pid == tgid)
			return i;
	return proc_add(t, tgid, 0, NULL);
}

/* A thread we have not seen: created by parent (0 when its first stop
 * beat its parent's fork event). */
static struct tproc *thread_new(struct tracer *t, pid_t tid, pid_t parent)
{
	if ((t->tn + 1) * 2 > t->tcap)
		table_grow(t);
	struct tproc tp = { .tid = tid, .tgid = read_tgid(tid) };
	if (tp.tgid == tid) {
		const char *exe = NULL;
		pid_t ppid = 0;
		struct tproc *pt = parent ? thread_get(t, parent) : NULL;
		if (pt) {
			ppid = pt->tgid;
			exe = t->procs[pt->proc].exe;
		}
		tp.proc = proc_add(t, tid, ppid, exe);
	} else {
		tp.proc = proc_find(t, tp.tgid);
	}
	t->procs[tp.proc].threads++;
	table_insert(t, &tp);
	t->tn++;
	return thread_get(t, tid);
}

/* ---- resuming ----------------------------------------------------------- */

static void resume(struct tracer *t, pid_t tid, int req, int sig)
{
	if (ptrace(req, tid, 0, (void *)(uintptr_t)sig) < 0 && errno != ESRCH)
		tracer_warn(t, "pid %d: ptrace resume: %s", (int)tid, strerror(errno));
}

/* ---- stops -------------------------------------------------------------- */

void count_syscall(struct tracer *t, uint32_t arch, uint64_t nr)
{
	if (arch == AUDIT_ARCH_X86_64 && !(nr & X32_BIT) && nr < SC_MAX)
		t->sc_count[nr]++;
	else if (arch == AUDIT_ARCH_X86_64 && (nr & X32_BIT) && (nr & ~X32_BIT) < SC_MAX)
		t->foreign_x32[nr & ~X32_BIT]++;
	else if (arch == AUDIT_ARCH_I386 && nr < SC_MAX)
		t->foreign_i386[nr]++;
	else
		t->foreign_other++;
}

static void on_seccomp(struct tracer *t, struct tproc *tp)
{
	struct __ptrace_syscall_info si;
	long n = ptrace(PTRACE_GET_SYSCALL_INFO, tp->tid, sizeof(si), &si);
	if (n <= 0 || si.op != PTRACE_SYSCALL_INFO_SECCOMP) {
		resume(t, tp->tid, PTRACE_CONT, 0);
		return;
	}
	/* the held first process's first traced call, right after it
	 * installed the filter: its listener, if it has one, is ours now */
	if (!t->listener_sought && tp->tgid == t->first && !t->first_execed)
		notify_take_listener(t, tp->tid);
	t->stops++;
	t->procs[tp->proc].stops++;
	count_syscall(t, si.arch, si.seccomp.nr);
	/* Only the native ABI's operands are decoded: a foreign ABI's calls
	 * are counted (for the profile) and warned about. */
	if (si.arch == AUDIT_ARCH_X86_64 && !(si.seccomp.nr & X32_BIT) &&
	    decode_entry(t, tp, &si)) {
		tp->in_syscall = true;
		tp->writing = pend_mutates(&tp->pend);
		t->writers += tp->writing;
		resume(t, tp->tid, PTRACE_SYSCALL, 0);
		return;
	}
	if (si.arch != AUDIT_ARCH_X86_64 || (si.seccomp.nr & X32_BIT))
		tracer_warn(t, "foreign-ABI syscalls (arch %#x): counted, their paths not followed",
			    si.arch);
	resume(t, tp->tid, PTRACE_CONT, 0);
}

static void on_syscall_exit(struct tracer *t, struct tproc *tp)
{
	struct __ptrace_syscall_info si;
	long n = ptrace(PTRACE_GET_SYSCALL_INFO, tp->tid, sizeof(si), &si);
	t->exit_stops++;
	if (tp->in_syscall && n > 0 && si.op == PTRACE_SYSCALL_INFO_EXIT)
		finish_pending(t, tp, si.exit.rval);
	else
		pending_clear(&tp->pend);
	tp->in_syscall = false;
	writing_done(t, tp);
	resume(t, tp->tid, PTRACE_CONT, 0);
}

/* A non-leader thread that execs becomes the leader: the kernel gives it
 * the leader's tid and the old leader vanishes without an exit report. */
static struct tproc *exec_takeover(struct tracer *t, pid_t tid)
{
	unsigned long former = 0;
	if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &former) < 0 || (pid_t)former == tid)
		return thread_get(t, tid);
	struct tproc *old = thread_get(t, (pid_t)former);
	struct pending moved = { .kind = PEND_NONE };
	if (old) {
		moved = old->pend;
		old->pend = (struct pending){ .kind = PEND_NONE };
		thread_del(t, (pid_t)former);
	}
	struct tproc *tp = thread_get(t, tid);
	if (!tp)
		tp = thread_new(t, tid, 0);
	pending_clear(&tp->pend);
	tp->pend = moved;
	return tp;
}

static void on_exit_event(struct tracer *t, struct tproc *tp)
{
	/* Libraries are mapped by mmap, which is in the baseline: the
	 * mappings are read once more before the process is gone, when it
	 * opened something since they were last read. */
	if (t->maps_gen[tp->proc] != t->open_gen) {
		t->maps_gen[tp->proc] = t->open_gen;
		record_maps(t, tp->tgid, false);
	}
	resume(t, tp->tid, PTRACE_CONT, 0);
}

/* The parent's fork/clone event; the child's first stop may have come
 * first, and then it was recorded without its parent. */
static void child_born(struct tracer *t, pid_t parent, pid_t child)
{
	struct tproc *c = thread_get(t, child);
	if (!c) {
		thread_new(t, child, parent);
		return;
	}
	struct tracer_process *cp = &t->procs[c->proc];
	struct tproc *pt = thread_get(t, parent);
	if (c->tid != c->tgid || cp->ppid || !pt)
		return;
	cp->ppid = pt->tgid;
	if (!cp->exe && t->procs[pt->proc].exe)
		cp->exe = xstrdup(t->procs[pt->proc].exe);
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void on_stopped(struct tracer *t, struct tproc *tp, int status)
{
	int sig = WSTOPSIG(status), ev = (unsigned)status >> 16;
	pid_t tid = tp->tid;
	if (sig == (SIGTRAP | 0x80)) {
		on_syscall_exit(t, tp);
		return;
	}
	unsigned long msg = 0;
	switch (ev) {
	case PTRACE_EVENT_SECCOMP:
		on_seccomp(t, tp);
		return;
	case PTRACE_EVENT_FORK: case PTRACE_EVENT_VFORK: case PTRACE_EVENT_CLONE:
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0)
			child_born(t, tid, (pid_t)msg);
		resume(t, tid, PTRACE_CONT, 0);
		return;
	case PTRACE_EVENT_EXEC:
		tp = exec_takeover(t, tid);
		exec_done(t, tp);
		tp->in_syscall = false;
		writing_done(t, tp);
		resume(t, tid, PTRACE_CONT, 0);
		return;
	case PTRACE_EVENT_EXIT:
		on_exit_event(t, tp);
		return;
	case PTRACE_EVENT_STOP:
		/* A group-stop stays a stop, as untraced; anything else here is
		 * a new tracee's first stop or a wakeup from PTRACE_LISTEN. */
		resume(t, tid, is_stop_signal(sig) ? PTRACE_LISTEN : PTRACE_CONT, 0);
		return;
	default:
		break;
	}
	/* A signal on its way: deliver it unchanged. */
	notify_restart_lookup(t, tid);
	resume(t, tid, PTRACE_CONT, sig);
}

static void on_gone(struct tracer *t, pid_t tid, int status)
{
	struct tproc *tp = thread_get(t, tid);
	if (tp) {
		if (tp->tid == tp->tgid)
			t->procs[tp->proc].status = status;
		thread_del(t, tid);
	}
	if (tid == t->first)
		t->first_status = status;
}

int tracer_run(struct tracer *t, int *exit_status, struct qerr *err)
{
	if (t->ran)
		return q_error(err, 0, "tracer: already ran");
	t->ran = true;
	while (t->tn > 0) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				break;   /* nothing left to wait for */
			return q_error(err, errno, "tracer: wait");
		}
		pthread_mutex_lock(&t->lock);
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			on_gone(t, tid, status);
		} else if (WIFSTOPPED(status)) {
			struct tproc *tp = thread_get(t, tid);
			if (!tp)
				tp = thread_new(t, tid, 0);
			on_stopped(t, tp, status);
		}
		pthread_mutex_unlock(&t->lock);
	}
	notify_stop(t);
	*exit_status = t->first_status;
	return 0;
}

/* ---- setup -------------------------------------------------------------- */

int tracer_attach(pid_t pid, int root_dirfd, struct tracer **out, struct qerr *err)
{
	char link[64], buf[PATH_MAX + 1];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", root_dirfd);
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0 || n >= (ssize_t)sizeof(buf) - 1 || buf[0] != '/')
		return q_error(err, n < 0 ? errno : EINVAL, "tracer: root directory fd %d", root_dirfd);
	buf[n] = 0;
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
		    PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT |
		    PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)opts) < 0)
		return q_error(err, errno, "tracer: seize pid %d", (int)pid);
	struct tracer *t = xcalloc(1, sizeof(*t));
	t->first = pid;
	t->first_status = -1;
	t->root_dirfd = root_dirfd;
	t->root_prefix = xstrdup(strcmp(buf, "/") ? buf : "");
	t->listener = t->stop_fd = -1;
	pthread_mutex_init(&t->lock, NULL);
	t->sc_count = xcalloc(SC_MAX, sizeof(uint64_t));
	t->foreign_i386 = xcalloc(SC_MAX, sizeof(uint64_t));
	t->foreign_x32 = xcalloc(SC_MAX, sizeof(uint64_t));
	thread_new(t, pid, 0);
	*out = t;
	return 0;
}

int tracer_spawn(char *const argv[], int root_dirfd, struct tracer **out, struct qerr *err)
{
	if (!argv || !argv[0])
		return q_error(err, EINVAL, "tracer: no command");
	if (!tracer_filter())
		return q_error(err, ENOSYS, "tracer: this architecture is not supported");
	int p[2];
	/* a socket, not a pipe: MSG_NOSIGNAL when the child is already gone */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return q_error(err, errno, "tracer: socketpair");
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return q_error(err, e, "tracer: fork");
	}
	if (pid == 0) {
		/* async-signal-safe from here: the parent may have threads */
		char c = 0;
		close(p[1]);
		if (read(p[0], &c, 1) != 1 || c != 'g')
			_exit(127);
		close(p[0]);
		if (tracer_install_filter() < 0) {
			static const char m[] = "quench: tracer: cannot install the seccomp filter\n";
			(void)!write(2, m, sizeof(m) - 1);
			_exit(126);
		}
		execvp(argv[0], argv);
		static const char m[] = "quench: tracer: exec failed\n";
		(void)!write(2, m, sizeof(m) - 1);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(p[0]);
	if (tracer_attach(pid, root_dirfd, out, err) < 0) {
		close(p[1]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	/* the child may be gone (killed): then run reports it */
	(void)!send(p[1], "g", 1, MSG_NOSIGNAL);
	close(p[1]);
	return 0;
}
