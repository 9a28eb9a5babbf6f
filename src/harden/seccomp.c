/* The hardened image's seccomp profile, in the OCI runtime / Docker JSON
 * format that podman, docker, runc and Kubernetes (localhost profiles)
 * take: everything is refused (EPERM) but the syscalls the RBOM shows —
 * complete by the tracer's construction, docs/tracer.md — and those a
 * runtime makes between applying the profile and the workload's first
 * instruction. */
#include "harden/harden.h"

#include <string.h>

/* What runc/crun and the loader do after the filter is set and before (or
 * as) the workload runs: exec it, set up the process, map the program. */
static const char *const runtime_needs[] = {
	"execve", "execveat", "exit", "exit_group", "brk", "mmap", "munmap", "mprotect",
	"arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "getrandom",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "futex", "close",
	"close_range", "capget", "capset", "prctl", "setgroups", "setresuid", "setresgid",
	"setuid", "setgid", "getuid", "getgid", "geteuid", "getegid", "getpid", "getppid", "gettid",
	"fstat", "newfstatat", "statx", "openat", "read", "write", "pread64", "access", "faccessat2",
	"readlink", "readlinkat", "getcwd", "chdir", "fchdir", "dup", "dup2", "dup3", "fcntl",
	"ioctl", "uname", "sched_getaffinity", "sched_yield", "nanosleep", "clock_nanosleep",
	"clock_gettime", "gettimeofday", "madvise", "wait4", "waitid", "kill", "tgkill",
	/* runc checks /proc/self/fd is procfs, and closes inherited fds */
	"fstatfs", "statfs", "getdents64", "lseek", "fcntl",
};

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

json_t *harden_seccomp(json_t *rbom)
{
	struct strmap seen = STRMAP_INIT;
	json_t *names = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(json_get_arr(rbom, "syscalls"), i, s) {
		const char *name = json_get_str(s, "name");
		size_t v;
		/* foreign-ABI calls ("i386:5") need a profile per architecture: not here */
		if (name && !strchr(name, ':') && !strmap_get(&seen, name, &v)) {
			strmap_put(&seen, name, 1);
			json_array_append_new(names, json_string(name));
		}
	}
	for (i = 0; i < ARRAY_SIZE(runtime_needs); i++) {
		size_t v;
		if (!strmap_get(&seen, runtime_needs[i], &v)) {
			strmap_put(&seen, runtime_needs[i], 1);
			json_array_append_new(names, json_string(runtime_needs[i]));
		}
	}
	strmap_release(&seen);
	/* sorted, for a reproducible file */
	size_t n = json_array_size(names);
	json_t **v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(names, i));
	qsort(v, n, sizeof(*v), cmp_json_str);
	json_array_clear(names);
	for (i = 0; i < n; i++)
		json_array_append_new(names, v[i]);
	free(v);
	return json_pack("{s:s, s:i, s:[s, s, s], s:[{s:o, s:s}]}", "defaultAction",
			 "SCMP_ACT_ERRNO", "defaultErrnoRet", 1, "architectures", "SCMP_ARCH_X86_64",
			 "SCMP_ARCH_X86", "SCMP_ARCH_X32", "syscalls", "names", names, "action",
			 "SCMP_ACT_ALLOW");
}
