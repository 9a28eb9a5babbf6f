/* The syscall table, the baseline and the seccomp-bpf filter.
 *
 * The filter answers ALLOW for a fixed baseline of hot, harmless syscalls
 * and TRACE for every other one, so each syscall outside the baseline stops
 * the tracee at least once: baseline ∪ observed is the complete set the
 * workload made (docs/tracer.md). */
#include "trace/tracer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)

static const char *const sc_names[SC_MAX] = {
#define SC(n, name) [n] = #name,
#include "trace/syscalls_x86_64.h"
#undef SC
};

/* Hot syscalls that take no path, create no process, change no identity
 * and open no socket: the tracer learns nothing from them but their use, and
 * every profile allows them (they are in every container runtime's default
 * profile). Ordered roughly by frequency: the filter tests them in order. */
static const int baseline_nrs[] = {
	SYS_futex, SYS_read, SYS_write, SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2,
	SYS_poll, SYS_ppoll, SYS_clock_gettime, SYS_gettimeofday, SYS_recvfrom, SYS_sendto,
	SYS_recvmsg, SYS_sendmsg, SYS_recvmmsg, SYS_sendmmsg, SYS_mmap, SYS_munmap,
	SYS_mprotect, SYS_madvise, SYS_mremap, SYS_brk, SYS_lseek, SYS_close, SYS_fstat,
	SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev, SYS_preadv, SYS_pwritev,
	SYS_preadv2, SYS_pwritev2, SYS_ioctl, SYS_fcntl, SYS_getdents64, SYS_select,
	SYS_pselect6, SYS_epoll_ctl, SYS_nanosleep, SYS_clock_nanosleep, SYS_sched_yield,
	SYS_getpid, SYS_gettid, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_getrandom,
	SYS_restart_syscall, SYS_sched_getaffinity, SYS_dup, SYS_time, SYS_getcwd,
	SYS_rt_sigaction, SYS_sigaltstack, SYS_wait4, SYS_getuid, SYS_geteuid, SYS_getgid,
	SYS_getegid, SYS_getppid,
};

#define AUDIT_ARCH_NATIVE AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000u

#endif

const char *sc_name(int nr)
{
#ifdef AUDIT_ARCH_NATIVE
	if (nr >= 0 && nr < SC_MAX)
		return sc_names[nr];
#else
	(void)nr;
#endif
	return NULL;
}

bool sc_is_baseline(int nr)
{
#ifdef AUDIT_ARCH_NATIVE
	for (size_t i = 0; i < ARRAY_SIZE(baseline_nrs); i++)
		if (baseline_nrs[i] == nr)
			return true;
#else
	(void)nr;
#endif
	return false;
}

const char *const *tracer_baseline(void)
{
#ifdef AUDIT_ARCH_NATIVE
	static const char *names[ARRAY_SIZE(baseline_nrs) + 1];
	if (!names[0])
		for (size_t i = 0; i < ARRAY_SIZE(baseline_nrs); i++)
			names[i] = sc_names[baseline_nrs[i]];
	return names;
#else
	static const char *none[] = { NULL };
	return none;
#endif
}

#ifdef AUDIT_ARCH_NATIVE
#define NB ARRAY_SIZE(baseline_nrs)
#define PROG_MAX 256

/* A BPF program under construction: jumps to labels are patched when the
 * program is done (classic BPF jumps forward, at most 255 instructions). */
struct prog {
	struct sock_filter f[PROG_MAX];
	size_t n;
	size_t fix[PROG_MAX][2];   /* instruction, label (true branch) */
	size_t nfix;
	size_t label[32];
};

static void emit(struct prog *p, struct sock_filter insn)
{
	if (p->n >= PROG_MAX)
		BUG("seccomp filter too long");
	p->f[p->n++] = insn;
}

static void emit_ret(struct prog *p, uint32_t action)
{
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action));
}

static void emit_load(struct prog *p, uint32_t offset)
{
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset));
}

/* if (A op k) goto label; else fall through */
static void emit_jump(struct prog *p, uint16_t op, uint32_t k, size_t label)
{
	p->fix[p->nfix][0] = p->n;
	p->fix[p->nfix++][1] = label;
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, 0));
}

static void place(struct prog *p, size_t label)
{
	p->label[label] = p->n;
}

static void finish(struct prog *p, struct sock_fprog *out)
{
	for (size_t i = 0; i < p->nfix; i++) {
		size_t at = p->fix[i][0], to = p->label[p->fix[i][1]];
		if (to <= at || to - at - 1 > 255)
			BUG("seccomp filter jump");
		p->f[at].jt = (uint8_t)(to - at - 1);
	}
	out->len = (unsigned short)p->n;
	out->filter = p->f;
}

/* The low 32 bits of argument i (flags and modes are ints to the kernel). */
#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))

/* Lookups answered through the listener (docs/tracer.md, "Two channels"):
 * read-only calls whose result the tracer tells from the tree, so that
 * nothing needs to be seen at their exit. Their flags are checked here as
 * decode_paths() checks them: anything else stops under ptrace. */
enum { L_ALLOW, L_TRACE, L_NATIVE, L_RULE0 };

struct lookup_rule {
	int nr;
	int arg;            /* -1: every call of nr */
	uint32_t must_be_0; /* bits of the argument that must be clear */
	bool positive;      /* instead: the argument is an int > 0 (a buffer size) */
	int arg2;           /* 0, or a second argument whose must_be_0_2 bits … */
	uint32_t must_be_0_2;
};

#define OPEN_PLAIN (O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | 0100000 | O_PATH)
#define STAT_FLAGS (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)
#define STATX_SYNC_BITS 0x6000u      /* AT_STATX_SYNC_TYPE: both set is EINVAL */
#define STATX_RESERVED 0x80000000u   /* in the mask: EINVAL */

static const struct lookup_rule lookup_rules[] = {
	{ SYS_newfstatat, 3, ~(uint32_t)STAT_FLAGS, false, 0, 0 },
	{ SYS_openat, 2, ~(uint32_t)OPEN_PLAIN, false, 0, 0 },   /* O_RDONLY is 0: O_ACCMODE clear */
	{ SYS_statx, 2, ~(uint32_t)STAT_FLAGS & ~STATX_SYNC_BITS, false, 3, STATX_RESERVED },
	{ SYS_open, 1, ~(uint32_t)OPEN_PLAIN, false, 0, 0 },
	{ SYS_stat, -1, 0, false, 0, 0 },
	{ SYS_lstat, -1, 0, false, 0, 0 },
	{ SYS_access, 1, ~0u, false, 0, 0 },       /* F_OK */
	{ SYS_faccessat, 2, ~0u, false, 0, 0 },
	/* glibc's faccessat(): F_OK, and the flags the call accepts */
	{ SYS_faccessat2, 2, ~0u, false, 3,
	  ~(uint32_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) },
	{ SYS_readlink, 2, 0, true, 0, 0 },
	{ SYS_readlinkat, 3, 0, true, 0, 0 },
};

bool sc_is_lookup(int nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(lookup_rules); i++)
		if (lookup_rules[i].nr == nr)
			return true;
	return false;
}

static void emit_header(struct prog *p)
{
	/* A foreign ABI (i386 via int 0x80) numbers its syscalls differently:
	 * the baseline's numbers mean other calls there, so none is allowed
	 * blindly; the tracer sees each and records it by its ABI. */
	emit_load(p, offsetof(struct seccomp_data, arch));
	emit_jump(p, BPF_JEQ, AUDIT_ARCH_NATIVE, L_NATIVE);
	emit_ret(p, SECCOMP_RET_TRACE);
	place(p, L_NATIVE);
	emit_load(p, offsetof(struct seccomp_data, nr));
	/* x32 syscalls share the arch but carry a bit: never baseline. */
	emit_jump(p, BPF_JGE, X32_BIT, L_TRACE);
	for (size_t k = 0; k < NB; k++)
		emit_jump(p, BPF_JEQ, (uint32_t)baseline_nrs[k], L_ALLOW);
}

/* One rule: NOTIFY when its arguments are those of a lookup, else TRACE. */
static void emit_rule(struct prog *p, const struct lookup_rule *r)
{
	if (r->arg < 0) {
		emit_ret(p, SECCOMP_RET_USER_NOTIF);
		return;
	}
	emit_load(p, ARG_LO(r->arg));
	if (r->positive) {
		emit_jump(p, BPF_JEQ, 0, L_TRACE);
		emit_jump(p, BPF_JGE, 0x80000000u, L_TRACE);
	} else {
		emit_jump(p, BPF_JSET, r->must_be_0, L_TRACE);
	}
	if (r->nr == SYS_statx) {
		emit(p, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, STATX_SYNC_BITS));
		emit_jump(p, BPF_JEQ, STATX_SYNC_BITS, L_TRACE);
	}
	if (r->arg2) {
		emit_load(p, ARG_LO(r->arg2));
		emit_jump(p, BPF_JSET, r->must_be_0_2, L_TRACE);
	}
	emit_ret(p, SECCOMP_RET_USER_NOTIF);
}

static void emit_lookups(struct prog *p)
{
	size_t n = ARRAY_SIZE(lookup_rules);
	for (size_t i = 0; i < n; i++)
		emit_jump(p, BPF_JEQ, (uint32_t)lookup_rules[i].nr, L_RULE0 + i);
	emit_ret(p, SECCOMP_RET_TRACE);
	for (size_t i = 0; i < n; i++) {
		place(p, L_RULE0 + i);
		emit_rule(p, &lookup_rules[i]);
	}
}

static struct prog ptrace_prog, lookup_prog;
static struct sock_fprog ptrace_fprog, lookup_fprog;

/* Built once, before any fork: tracer_install_filter only reads them.
 * Both allow the baseline and trace everything else; the second sends the
 * lookups of lookup_rules to the listener instead. */
static void build_filters(void)
{
	struct prog *p = &ptrace_prog;
	emit_header(p);
	place(p, L_TRACE);
	emit_ret(p, SECCOMP_RET_TRACE);
	place(p, L_ALLOW);
	emit_ret(p, SECCOMP_RET_ALLOW);
	finish(p, &ptrace_fprog);

	p = &lookup_prog;
	emit_header(p);
	emit_lookups(p);
	place(p, L_TRACE);
	emit_ret(p, SECCOMP_RET_TRACE);
	place(p, L_ALLOW);
	emit_ret(p, SECCOMP_RET_ALLOW);
	finish(p, &lookup_fprog);
}
#endif

/* NULL on an architecture the tracer does not support */
static const struct sock_fprog *filter(bool lookups)
{
#ifdef AUDIT_ARCH_NATIVE
	if (!ptrace_fprog.filter)
		build_filters();
	return lookups ? &lookup_fprog : &ptrace_fprog;
#else
	(void)lookups;
	return NULL;
#endif
}

const struct sock_fprog *tracer_filter(void)
{
	return filter(false);
}

const struct sock_fprog *tracer_lookup_filter(void)
{
	return filter(true);
}

/* Without CAP_SYS_ADMIN the kernel demands no_new_privs; with it we leave
 * setuid binaries working (a root workload may run them). */
static long install(const struct sock_fprog *prog, unsigned flags)
{
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	if (r < 0 && errno == EACCES) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return -1;
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	}
	return r;
}

int tracer_install_filter(void)
{
	const struct sock_fprog *prog = tracer_filter();
	if (!prog)
		return -ENOSYS;
	/* The listener's fd stays open (close-on-exec) for the tracer to take
	 * at the first traced call; waits that the tracer has received are
	 * killable only, so a signal cannot fail a lookup with EINTR. A
	 * kernel before 5.19, or a listener already in place (a nested
	 * supervisor), leaves every call to ptrace. */
	if (install(tracer_lookup_filter(),
		    SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) >= 0)
		return 0;
	return install(prog, 0) < 0 ? -errno : 0;
}

int seccomp_allowlist(const char *const *names, size_t n, struct sock_fprog *out,
		      struct qerr *err)
{
#ifdef AUDIT_ARCH_NATIVE
	int nrs[SC_MAX];
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (int nr = 0; nr < SC_MAX && k < SC_MAX; nr++)
			if (sc_names[nr] && !strcmp(sc_names[nr], names[i])) {
				nrs[k++] = nr;
				break;
			}
	/* BPF jumps are 8 bits: each test jumps over the rest to ALLOW */
	if (k > 250)
		return q_error(err, 0, "seccomp profile: %zu syscalls, more than 250 allowed", k);
	const uint32_t deny = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
	size_t len = 5 + k + 2, i = 0;
	struct sock_filter *f = xcalloc(len, sizeof(*f));
	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, arch));
	f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_NATIVE, 1, 0);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr));
	f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, (uint8_t)k, 0);
	for (size_t j = 0; j < k; j++)
		f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nrs[j],
						      (uint8_t)(k - j), 0);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	out->len = (unsigned short)len;
	out->filter = f;
	return 0;
#else
	(void)names;
	(void)n;
	(void)out;
	return q_error(err, 0, "seccomp profiles are not supported on this architecture");
#endif
}
