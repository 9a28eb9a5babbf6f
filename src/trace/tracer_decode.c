/* What a stopped syscall means: its path operands, exec, ports, and the
 * reasons a workload needs root.
 *
 * Operands are read at the seccomp stop, before the kernel runs the call:
 * the tracee's memory, cwd and fds are then exactly what the kernel will
 * use (after an execve the memory is gone; after a chdir the cwd moved).
 * The result is taken at the syscall-exit stop (the tracer resumes the
 * seccomp stop with PTRACE_SYSCALL) wherever it cannot be known before:
 * every write (O_CREAT, mkdir, unlink, rename…), exec, sockets. A read-only
 * lookup (stat family, access(F_OK), readlink, read-only open) is resolved
 * at the seccomp stop instead, and when every directory on the way is
 * searchable by anyone and the object's type and mode leave one answer,
 * that answer is recorded and the exit stop skipped (predict_pop;
 * docs/tracer.md, "One stop"). */
#include "trace/tracer_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/user.h>

#define ARG(i) (si->seccomp.args[i])

void pending_clear(struct pending *p)
{
	for (int i = 0; i < 2; i++) {
		free(p->p[i].path);
		free(p->p[i].base);
		free(p->p[i].resolved);
	}
	free(p->argv0);
	free(p->note);
	*p = (struct pending){ .kind = PEND_NONE };
}

/* Operand i: a path at addr, relative to dirfd when not absolute. */
static void operand(struct tracer *t, struct tproc *tp, int dirfd, uint64_t addr, unsigned use,
		    bool nofollow)
{
	struct pending *pd = &tp->pend;
	if (pd->np >= 2)
		BUG("more than two path operands");
	struct pop *p = &pd->p[pd->np++];
	p->use = use;
	p->nofollow = nofollow;
	int r = tracee_read_str(tp->tid, addr, PATH_MAX, &p->path);
	if (r < 0 || p->path[0] == '/' || !p->path[0])
		return;   /* unreadable: the kernel fails it too (EFAULT, ENAMETOOLONG);
			   * "": ENOENT or the fd itself (fstat), no base needed */
	p->base = tracee_fd_path(t, tp->tid, dirfd);
	if (!p->base && p->path[0])
		tracer_warn(t, "%s: a path relative to an fd outside the root (or not a directory): not recorded",
			    sc_name(pd->nr) ? sc_name(pd->nr) : "?");
}

static unsigned open_use(uint64_t flags)
{
	if (flags & O_PATH)
		return TRACER_STAT;   /* a handle, never read */
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
		return TRACER_WRITE;
	return TRACER_READ;
}

/* An open whose result predict_pop may tell: read-only, no flag that can
 * fail it for another reason (O_NOATIME: EPERM; O_DIRECT: EINVAL on some
 * file systems; O_CREAT, O_TRUNC, O_TMPFILE: writes). */
static unsigned open_need(uint64_t flags)
{
	const uint64_t kernel_largefile = 0100000;
	const uint64_t plain = O_ACCMODE | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW | O_NOCTTY |
			       O_NONBLOCK | kernel_largefile | O_PATH;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & ~plain))
		return 0;
	unsigned dir = flags & O_DIRECTORY ? NEED_DIR : 0;
	if (flags & O_PATH)
		return PRED_ON | dir;   /* a handle: no permission on the object */
	return PRED_ON | NEED_READ | dir | (flags & O_NOFOLLOW ? NEED_NOLINK : 0);
}

/* stat-family flags the kernel accepts (others: EINVAL) */
static unsigned stat_need(uint64_t flags, uint64_t more)
{
	const uint64_t ok = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | more;
	return flags & ~ok ? 0 : PRED_ON;
}

static unsigned statx_need(uint64_t flags, uint64_t mask)
{
	const uint64_t sync = 0x6000;   /* AT_STATX_SYNC_TYPE; both bits: EINVAL */
	if ((flags & sync) == sync || (mask & 0x80000000u))   /* STATX__RESERVED */
		return 0;
	return stat_need(flags, sync);
}

static bool open_nofollow(uint64_t flags)
{
	return (flags & O_NOFOLLOW) || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
}

static void sockaddr_operand(struct tracer *t, struct tproc *tp, uint64_t addr, uint64_t len,
			     enum tracer_port_kind kind)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (len > sizeof(ss))
		len = sizeof(ss);
	if (len < sizeof(sa_family_t) || tracee_read_mem(tp->tid, addr, &ss, len) < 0)
		return;
	struct tracer_port *pt = &tp->pend.port;
	pt->kind = kind;
	if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in *in = (void *)&ss;
		pt->family = AF_INET;
		pt->port = ntohs(in->sin_port);
		inet_ntop(AF_INET, &in->sin_addr, pt->addr, sizeof(pt->addr));
	} else if (ss.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 *in6 = (void *)&ss;
		pt->family = AF_INET6;
		pt->port = ntohs(in6->sin6_port);
		inet_ntop(AF_INET6, &in6->sin6_addr, pt->addr, sizeof(pt->addr));
	} else if (ss.ss_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
		struct sockaddr_un *un = (void *)&ss;
		size_t n = len - offsetof(struct sockaddr_un, sun_path);
		if (!un->sun_path[0])
			return;   /* abstract: no file */
		struct pending *pd = &tp->pend;
		struct pop *p = &pd->p[pd->np++];
		p->path = xstrndup(un->sun_path, n);
		p->use = kind == TRACER_BIND ? TRACER_WRITE : TRACER_READ;
		p->nofollow = kind == TRACER_BIND;
		if (p->path[0] != '/')
			p->base = tracee_fd_path(t, tp->tid, AT_FDCWD);
	}
}

static void root_note(struct tproc *tp, char *note)
{
	free(tp->pend.note);
	tp->pend.note = note;
}

static bool ids_set(uint64_t a)
{
	return (uint32_t)a != (uint32_t)-1;
}

/* The path syscalls of x86_64. Returns false for a call with no operand. */
static bool decode_paths(struct tracer *t, struct tproc *tp, const struct __ptrace_syscall_info *si)
{
	const int C = AT_FDCWD;
	const unsigned W = TRACER_WRITE, S = TRACER_STAT;
	unsigned *need = &tp->pend.need;
	switch (tp->pend.nr) {
	case SYS_open:
		operand(t, tp, C, ARG(0), open_use(ARG(1)), open_nofollow(ARG(1)));
		*need = open_need(ARG(1));
		break;
	case SYS_openat:
		operand(t, tp, (int)ARG(0), ARG(1), open_use(ARG(2)), open_nofollow(ARG(2)));
		*need = open_need(ARG(2));
		break;
	case SYS_openat2: {
		struct open_how how = { 0 };
		if (tracee_read_mem(tp->tid, ARG(2), &how, sizeof(how.flags)) < 0)
			how.flags = 0;
		operand(t, tp, (int)ARG(0), ARG(1), open_use(how.flags), open_nofollow(how.flags));
		break;
	}
	case SYS_creat: operand(t, tp, C, ARG(0), W, false); break;
	case SYS_stat: case SYS_lstat:
		operand(t, tp, C, ARG(0), S, tp->pend.nr == SYS_lstat);
		*need = PRED_ON;
		break;
	case SYS_access:   /* F_OK only: R_OK… depend on who asks */
		operand(t, tp, C, ARG(0), S, false);
		*need = ARG(1) ? 0 : PRED_ON;
		break;
	case SYS_chdir: case SYS_statfs: case SYS_getxattr: case SYS_listxattr:
		operand(t, tp, C, ARG(0), S, false); break;
	case SYS_readlink:
		operand(t, tp, C, ARG(0), S, true);
		*need = (int)ARG(2) > 0 ? PRED_ON | NEED_LINK : 0;
		break;
	case SYS_lgetxattr: case SYS_llistxattr:
		operand(t, tp, C, ARG(0), S, true); break;
	case SYS_newfstatat:
		operand(t, tp, (int)ARG(0), ARG(1), S, ARG(3) & AT_SYMLINK_NOFOLLOW);
		*need = stat_need(ARG(3), 0);
		break;
	case SYS_statx:
		operand(t, tp, (int)ARG(0), ARG(1), S, ARG(2) & AT_SYMLINK_NOFOLLOW);
		*need = statx_need(ARG(2), ARG(3));
		break;
	case SYS_faccessat:
		operand(t, tp, (int)ARG(0), ARG(1), S, false);
		*need = ARG(2) ? 0 : PRED_ON;
		break;
	case SYS_faccessat2:
		operand(t, tp, (int)ARG(0), ARG(1), S, ARG(3) & AT_SYMLINK_NOFOLLOW);
		/* its flags: AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH (others: EINVAL) */
		*need = ARG(2) || (ARG(3) & ~(uint64_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
				? 0 : PRED_ON;
		break;
	case SYS_readlinkat:
		operand(t, tp, (int)ARG(0), ARG(1), S, true);
		*need = (int)ARG(3) > 0 ? PRED_ON | NEED_LINK : 0;
		break;
	case SYS_fchmod: case SYS_fsetxattr: case SYS_fremovexattr:
		tp->pend.mutates = true;   /* a directory's mode may change: see the exit */
		break;
	case SYS_inotify_add_watch: operand(t, tp, C, ARG(1), S, false); break;
	case SYS_rename:
		operand(t, tp, C, ARG(0), W, true);
		operand(t, tp, C, ARG(1), W, true);
		break;
	case SYS_renameat: case SYS_renameat2:
		operand(t, tp, (int)ARG(0), ARG(1), W, true);
		operand(t, tp, (int)ARG(2), ARG(3), W, true);
		break;
	case SYS_link:
		operand(t, tp, C, ARG(0), S, true);
		operand(t, tp, C, ARG(1), W, true);
		break;
	case SYS_linkat:
		operand(t, tp, (int)ARG(0), ARG(1), S, !(ARG(4) & AT_SYMLINK_FOLLOW));
		operand(t, tp, (int)ARG(2), ARG(3), W, true);
		break;
	case SYS_unlink: case SYS_rmdir: case SYS_mkdir: case SYS_mknod:
	case SYS_lsetxattr: case SYS_lremovexattr:
		operand(t, tp, C, ARG(0), W, true); break;
	case SYS_unlinkat: case SYS_mkdirat: case SYS_mknodat:
		operand(t, tp, (int)ARG(0), ARG(1), W, true); break;
	case SYS_symlink: operand(t, tp, C, ARG(1), W, true); break;
	case SYS_symlinkat: operand(t, tp, (int)ARG(1), ARG(2), W, true); break;
	case SYS_truncate: case SYS_chmod: case SYS_utime: case SYS_utimes:
	case SYS_setxattr: case SYS_removexattr:
		operand(t, tp, C, ARG(0), W, false); break;
	case SYS_fchmodat: operand(t, tp, (int)ARG(0), ARG(1), W, false); break;
	case SYS_futimesat: operand(t, tp, (int)ARG(0), ARG(1), W, false); break;
	case SYS_utimensat:
		if (ARG(1))   /* NULL: the fd itself */
			operand(t, tp, (int)ARG(0), ARG(1), W, ARG(3) & AT_SYMLINK_NOFOLLOW);
		break;
	default:
		return false;
	}
	return true;
}

/* Identity, ownership and other privileged calls: a reason to need root
 * when they succeed. */
static bool decode_root(struct tracer *t, struct tproc *tp, const struct __ptrace_syscall_info *si)
{
	int nr = tp->pend.nr;
	const char *name = sc_name(nr);
	switch (nr) {
	case SYS_chown: case SYS_lchown: case SYS_fchownat: case SYS_fchown: {
		int ia = nr == SYS_fchownat ? 2 : 1;
		tp->pend.mutates = nr == SYS_fchown;
		if (nr == SYS_chown || nr == SYS_lchown)
			operand(t, tp, AT_FDCWD, ARG(0), TRACER_WRITE, nr == SYS_lchown);
		else if (nr == SYS_fchownat)
			operand(t, tp, (int)ARG(0), ARG(1), TRACER_WRITE, ARG(4) & AT_SYMLINK_NOFOLLOW);
		if (ids_set(ARG(ia)) || ids_set(ARG(ia + 1)))
			root_note(tp, xasprintf("%s to %d:%d", name, (int)ARG(ia), (int)ARG(ia + 1)));
		return true;
	}
	case SYS_setuid: case SYS_setgid: case SYS_setfsuid: case SYS_setfsgid:
		root_note(tp, xasprintf("%s(%d)", name, (int)ARG(0)));
		return true;
	case SYS_setreuid: case SYS_setregid:
		root_note(tp, xasprintf("%s(%d, %d)", name, (int)ARG(0), (int)ARG(1)));
		return true;
	case SYS_setresuid: case SYS_setresgid:
		root_note(tp, xasprintf("%s(%d, %d, %d)", name, (int)ARG(0), (int)ARG(1), (int)ARG(2)));
		return true;
	case SYS_chroot:
		operand(t, tp, AT_FDCWD, ARG(0), TRACER_STAT, false);
		root_note(tp, xstrdup("chroot"));
		tracer_warn(t, "pid %d: chroot: paths after it are resolved in the original root",
			    (int)tp->tid);
		return true;
	case SYS_setgroups: case SYS_capset: case SYS_mount: case SYS_umount2:
	case SYS_pivot_root: case SYS_sethostname: case SYS_setdomainname:
	case SYS_settimeofday: case SYS_clock_settime: case SYS_init_module:
	case SYS_finit_module: case SYS_iopl: case SYS_ioperm: case SYS_reboot:
	case SYS_swapon: case SYS_setns:
		root_note(tp, xstrdup(name));
		return true;
	default:
		return false;
	}
}

/* CLONE_UNTRACED would keep the child from being auto-attached, while our
 * filter (inherited) answers TRACE with no tracer: every call of that child
 * would fail with ENOSYS. The flag only matters to tracers, so it is
 * cleared: the child is followed and runs as it would untraced. */
static void untrace_flag(struct tracer *t, struct tproc *tp, const struct __ptrace_syscall_info *si)
{
	const uint64_t untraced = 0x00800000;   /* CLONE_UNTRACED */
	if (si->seccomp.nr == SYS_clone && (ARG(0) & untraced)) {
		struct user_regs_struct regs;
		if (ptrace(PTRACE_GETREGS, tp->tid, 0, &regs) == 0) {
			regs.rdi &= ~untraced;
			if (ptrace(PTRACE_SETREGS, tp->tid, 0, &regs) == 0)
				return;
		}
	} else if (si->seccomp.nr == SYS_clone3) {
		uint64_t flags;
		if (tracee_read_mem(tp->tid, ARG(0), &flags, sizeof(flags)) < 0 || !(flags & untraced))
			return;
		/* the struct is the tracee's: a racing thread could set it
		 * again; then the child runs untraced and we say so */
		if (ptrace(PTRACE_POKEDATA, tp->tid, (void *)(uintptr_t)ARG(0),
			   (void *)(uintptr_t)(flags & ~untraced)) == 0)
			return;
	} else {
		return;
	}
	tracer_warn(t, "pid %d: a CLONE_UNTRACED child could not be made traceable", (int)tp->tid);
}

bool decode_entry(struct tracer *t, struct tproc *tp, const struct __ptrace_syscall_info *si)
{
	pending_clear(&tp->pend);
	struct pending *pd = &tp->pend;
	pd->nr = (int)si->seccomp.nr;
	pd->kind = PEND_PATHS;
	switch (pd->nr) {
	case SYS_execve: case SYS_execveat: {
		bool at = pd->nr == SYS_execveat;
		pd->kind = PEND_EXEC;
		int flags = at ? (int)ARG(4) : 0;
		if (!(at && (flags & AT_EMPTY_PATH)))
			operand(t, tp, at ? (int)ARG(0) : AT_FDCWD, ARG(at ? 1 : 0), TRACER_EXEC,
				flags & AT_SYMLINK_NOFOLLOW);
		uint64_t a0 = 0;
		if (tracee_read_mem(tp->tid, ARG(at ? 2 : 1), &a0, sizeof(a0)) < 0 ||
		    tracee_read_str(tp->tid, a0, PATH_MAX, &pd->argv0) < 0)
			pd->argv0 = xstrdup("");
		/* the old image's libraries, before exec replaces them; but not
		 * those of the held first process before its first exec: that
		 * image is the launcher's (a fork of quench), not the workload's */
		if (tp->tgid != t->first || t->first_execed)
			record_maps(t, tp->tgid, false);
		return true;
	}
	case SYS_bind: case SYS_connect:
		pd->kind = pd->nr == SYS_bind ? PEND_BIND : PEND_CONNECT;
		sockaddr_operand(t, tp, ARG(1), ARG(2), pd->nr == SYS_bind ? TRACER_BIND : TRACER_CONNECT);
		pd->sockfd = (int)ARG(0);
		return true;
	case SYS_listen:
		pd->kind = PEND_LISTEN;
		pd->sockfd = (int)ARG(0);
		return true;
	case SYS_clone: case SYS_clone3:
		untrace_flag(t, tp, si);
		pd->kind = PEND_NONE;
		return false;
	default:
		break;
	}
	if (decode_root(t, tp, si))
		return true;
	if (decode_paths(t, tp, si)) {
		/* A read-only call whose result the tree tells: recorded now,
		 * no exit stop. Not while another thread's write may be
		 * changing the tree under the walk. */
		if (pd->np == 1 && (pd->need & PRED_ON) && !t->writers) {
			int r = predict_pop(t, tp->tid, &pd->p[0], pd->need);
			if (r != PREDICT_UNKNOWN) {
				record_pop(t, tp->tid, &pd->p[0], r);
				pending_clear(pd);
				return false;
			}
		}
		/* fstat is newfstatat(fd, "", AT_EMPTY_PATH) in glibc: no path,
		 * nothing to learn at the exit; nor from a path the kernel
		 * cannot read either. Skip the second stop. */
		for (int i = 0; i < pd->np; i++)
			if (pd->p[i].path && pd->p[i].path[0])
				return true;
		if (pd->mutates)
			return true;
	}
	pending_clear(pd);
	return false;
}

/* A lookup the listener received: its operands, read while the caller
 * waits (its memory, cwd and fds are what the kernel will use). False when
 * the call is no lookup after all (the filter and decode_paths disagree). */
bool lookup_operands(struct tracer *t, struct tproc *tp, const struct __ptrace_syscall_info *si)
{
	struct pending *pd = &tp->pend;
	pending_clear(pd);
	pd->nr = (int)si->seccomp.nr;
	pd->kind = PEND_PATHS;
	if (decode_paths(t, tp, si) && pd->np == 1)
		return true;
	tracer_warn(t, "%s: sent to the lookup channel, but not a lookup",
		    sc_name(pd->nr) ? sc_name(pd->nr) : "?");
	pending_clear(pd);
	return false;
}

/* ... and recorded as the kernel answers it (docs/tracer.md, "Two
 * channels"), which the tree and the caller's credentials tell. */
void lookup_record(struct tracer *t, struct tproc *tp)
{
	struct pending *pd = &tp->pend;
	struct pop *p = &pd->p[0];
	int r = predict_pop(t, tp->tid, p, pd->need | PRED_CREDS);
	record_pop(t, tp->tid, p, r == PREDICT_UNKNOWN ? -EIO : r);
	pending_clear(pd);
}

/* Could this open block, or be interrupted, by itself: does it name a
 * FIFO, a device or a socket? */
bool lookup_may_block(struct tracer *t, pid_t tid, const struct __ptrace_syscall_info *si)
{
	if (si->seccomp.nr != SYS_open && si->seccomp.nr != SYS_openat)
		return false;
	struct tproc tp = { .tid = tid, .tgid = tid };
	tp.pend.nr = (int)si->seccomp.nr;
	bool may = true;
	if (decode_paths(t, &tp, si) && tp.pend.np == 1 && tp.pend.p[0].path) {
		struct pop *p = &tp.pend.p[0];
		cleanup_free char *res = resolve_path(t, tid, p->base, p->path, p->nofollow, NULL);
		struct stat st;
		may = fstatat(t->root_dirfd, strcmp(res, "/") ? res + 1 : ".", &st,
			      AT_SYMLINK_NOFOLLOW) == 0 &&
		      !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode);
	}
	pending_clear(&tp.pend);
	return may;
}

/* ---- at the syscall exit ------------------------------------------------ */

static void root_reason(struct tracer *t, const char *why)
{
	for (size_t i = 0; i < t->root_reasons.n; i++)
		if (!strcmp(t->root_reasons.v[i], why))
			return;
	if (strvec_room(&t->root_reasons, 100))
		strvec_push(&t->root_reasons, why);
}

static void port_add(struct tracer *t, const struct tracer_port *p)
{
	for (size_t i = 0; i < t->nports; i++) {
		struct tracer_port *q = &t->ports[i];
		if (q->kind == p->kind && q->family == p->family && q->type == p->type &&
		    q->port == p->port && !strcmp(q->addr, p->addr)) {
			q->count++;
			return;
		}
	}
	if (t->nports >= 1000)
		return;   /* a client connecting everywhere: enough is known */
	t->ports = xgrow(t->ports, &t->portcap, t->nports + 1, sizeof(*t->ports));
	t->ports[t->nports] = *p;
	t->ports[t->nports++].count = 1;
}

/* The tracee's socket, borrowed with pidfd_getfd: its type, and for listen
 * the address bind gave it (perhaps an ephemeral port). */
static void sock_info(pid_t tid, int fd, struct tracer_port *p, bool want_addr)
{
	int pidfd = (int)syscall(SYS_pidfd_open, tid, 0);
	if (pidfd < 0)
		return;
	int s = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	if (s < 0)
		return;
	socklen_t l = sizeof(p->type);
	if (getsockopt(s, SOL_SOCKET, SO_TYPE, &p->type, &l) < 0)
		p->type = 0;
	struct sockaddr_storage ss;
	l = sizeof(ss);
	if (want_addr && getsockname(s, (struct sockaddr *)&ss, &l) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (void *)&ss;
			p->family = AF_INET;
			p->port = ntohs(in->sin_port);
			inet_ntop(AF_INET, &in->sin_addr, p->addr, sizeof(p->addr));
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (void *)&ss;
			p->family = AF_INET6;
			p->port = ntohs(in6->sin6_port);
			inet_ntop(AF_INET6, &in6->sin6_addr, p->addr, sizeof(p->addr));
		}
	}
	close(s);
}

void finish_pending(struct tracer *t, struct tproc *tp, int64_t rval)
{
	struct pending *pd = &tp->pend;
	/* A call the kernel will restart comes back through seccomp with the
	 * same operands: nothing happened yet. */
	if (rval <= -512 && rval >= -516)
		goto out;
	for (int i = 0; i < pd->np; i++)
		if (rval >= 0 && (pd->p[i].use & TRACER_WRITE))
			dircache_clear(t);   /* before: a rename's target is walked after it */
	for (int i = 0; i < pd->np; i++)
		if (i == 0 || rval >= 0)   /* a failure is the first operand's */
			record_pop(t, tp->tid, &pd->p[i], rval);
	if (pd->mutates && rval >= 0)
		dircache_clear(t);   /* fchmod of a directory: its cached mode */
	if (pd->note && rval >= 0) {
		root_reason(t, pd->note);
		dircache_clear(t);   /* chroot, mount: the tree moved */
	}
	switch (pd->kind) {
	case PEND_BIND: case PEND_CONNECT:
		if (pd->port.family && (rval == 0 || rval == -EINPROGRESS)) {
			sock_info(tp->tid, pd->sockfd, &pd->port, false);
			port_add(t, &pd->port);
			if (pd->kind == PEND_BIND && pd->port.port && pd->port.port < 1024) {
				cleanup_free char *why = xasprintf("bind to port %u", pd->port.port);
				root_reason(t, why);
			}
		}
		break;
	case PEND_LISTEN:
		if (rval == 0) {
			struct tracer_port p = { .kind = TRACER_LISTEN };
			sock_info(tp->tid, pd->sockfd, &p, true);
			if (p.family)
				port_add(t, &p);
		}
		break;
	case PEND_NONE: case PEND_PATHS: case PEND_EXEC: case PEND_ROOT:
		break;
	}
out:
	pending_clear(pd);
}

/* ---- exec --------------------------------------------------------------- */

/* "#!interp": the kernel opens the interpreter itself, no syscall shows
 * it. Read the first line through the root (RESOLVE_IN_ROOT: the file is
 * the tracee's, a racing link cannot lead us out). */
static char *shebang(struct tracer *t, const char *path)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, t->root_dirfd, path, &how, sizeof(how));
	if (fd < 0)
		return NULL;
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return NULL;
	buf[n] = 0;
	char *p = buf + 2;
	p += strspn(p, " \t");
	size_t l = strcspn(p, " \t\n");
	if (!l)
		return NULL;
	return xstrndup(p, l);
}

static void exec_add(struct tracer *t, const char *path, const char *argv0)
{
	for (size_t i = 0; i < t->nexecs; i++)
		if (!strcmp(t->execs[i].path, path) && !strcmp(t->execs[i].argv0, argv0)) {
			t->execs[i].count++;
			return;
		}
	t->execs = xgrow(t->execs, &t->execcap, t->nexecs + 1, sizeof(*t->execs));
	t->execs[t->nexecs++] = (struct tracer_exec){ xstrdup(path), xstrdup(argv0), 1 };
}

/* A call under way that may change the tree: predictions wait for it. */
bool pend_mutates(const struct pending *pd)
{
	if (pd->mutates || pd->note || pd->kind == PEND_BIND)
		return true;
	for (int i = 0; i < pd->np; i++)
		if (pd->p[i].use & TRACER_WRITE)
			return true;
	return false;
}

void exec_done(struct tracer *t, struct tproc *tp)
{
	struct pending *pd = &tp->pend;
	struct tracer_process *proc = &t->procs[tp->proc];
	char *exe = NULL;
	if (pd->kind == PEND_EXEC && pd->np && pd->p[0].path) {
		exe = resolve_path(t, tp->tid, pd->p[0].base, pd->p[0].path, pd->p[0].nofollow, NULL);
		path_use(t, exe, TRACER_EXEC);
		/* interpreters of interpreters, as deep as the kernel goes */
		cleanup_free char *cur = xstrdup(exe);
		for (int depth = 0; depth < 4; depth++) {
			cleanup_free char *interp = shebang(t, cur);
			if (!interp)
				break;
			free(cur);
			cur = resolve_path(t, tp->tid, pd->p[0].base, interp, false, NULL);
			path_use(t, cur, TRACER_EXEC);
		}
	}
	record_maps(t, tp->tgid, true);
	if (tp->tgid == t->first)
		t->first_execed = true;
	if (!exe)   /* execveat(fd, "", AT_EMPTY_PATH), or unreadable */
		exe = tracee_link_path(t, tp->tgid, "exe");
	if (!exe)
		exe = xstrdup("?");
	exec_add(t, exe, pd->argv0 ? pd->argv0 : "");
	free(proc->exe);
	proc->exe = exe;
	pending_clear(pd);
}
