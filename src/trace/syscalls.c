/* The syscall table, the baseline and the seccomp-bpf filter.
 *
 * The filter answers ALLOW for a fixed baseline of hot, harmless syscalls
 * and TRACE for every other one, so each syscall outside the baseline stops
 * the tracee at least once: baseline ∪ observed is the complete set the
 * workload made (docs/tracer.md). */
#include "trace/tracer_internal.h"

#include <errno.h>
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
/* arch check (3) + x32 check (2) + one test per baseline nr + 2 returns */
#define FILTER_LEN (5 + NB + 2)

static struct sock_filter filter_insns[FILTER_LEN];
static struct sock_fprog filter_prog;

/* Built once, before any fork: tracer_install_filter only reads it. */
static void build_filter(void)
{
	struct sock_filter *f = filter_insns;
	size_t i = 0;
	/* A foreign ABI (i386 via int 0x80) numbers its syscalls differently:
	 * the baseline's numbers mean other calls there, so none is allowed
	 * blindly; the tracer sees each and records it by its ABI. */
	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, arch));
	f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_NATIVE, 1, 0);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr));
	/* x32 syscalls share the arch but carry a bit: never baseline. */
	f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT,
					      (uint8_t)NB, 0);
	for (size_t k = 0; k < NB; k++)
		f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (uint32_t)baseline_nrs[k],
						      (uint8_t)(NB - k), 0);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	if (i != FILTER_LEN)
		BUG("seccomp filter length");
	filter_prog.len = (unsigned short)FILTER_LEN;
	filter_prog.filter = filter_insns;
}
#endif

const struct sock_fprog *tracer_filter(void)
{
#ifdef AUDIT_ARCH_NATIVE
	if (!filter_prog.filter)
		build_filter();
	return &filter_prog;
#else
	return NULL;
#endif
}

int tracer_install_filter(void)
{
	const struct sock_fprog *prog = tracer_filter();
	if (!prog)
		return -ENOSYS;
	/* Without CAP_SYS_ADMIN the kernel demands no_new_privs; with it we
	 * leave setuid binaries working (a root workload may run them). */
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog);
	if (r < 0 && errno == EACCES) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return -errno;
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog);
	}
	return r < 0 ? -errno : 0;
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
