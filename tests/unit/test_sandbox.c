/* trace/sandbox: --mount specs, users from /etc/passwd, the command and
 * environment from a config, the GPU driver's library names, and a held
 * start that a ptrace tracer seizes. (ld.so.cache parsing: test_ldcache.) */
#include "trace/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <cmocka.h>

static void t_mount_parse(void **state)
{
	(void)state;
	struct sandbox_mount m;
	struct qerr err = QERR_INIT;
	assert_int_equal(sandbox_mount_parse("/data:/models:ro", &m, &err), 0);
	assert_string_equal(m.src, "/data");
	assert_string_equal(m.dst, "/models");
	assert_true(m.ro);
	sandbox_mount_release(&m);
	assert_int_equal(sandbox_mount_parse("/a://x//y/:rw", &m, &err), 0);
	assert_string_equal(m.dst, "/x/y");
	assert_false(m.ro);
	sandbox_mount_release(&m);
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(sandbox_mount_parse("rel/dir:/d", &m, &err), 0);
	char *want = xasprintf("%s/rel/dir", cwd);
	assert_string_equal(m.src, want);
	free(want);
	sandbox_mount_release(&m);
	static const char *const bad[] = { "nocolon", ":/x", "/a:", "/a:rel", "/a:/",
					   "/a:/x/../y", "/a:/x:rx", "/a:/x:ro:extra" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err = (struct qerr)QERR_INIT;
		assert_int_equal(sandbox_mount_parse(bad[i], &m, &err), -1);
		assert_non_null(strstr(err.msg, "mount"));
	}
}

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"broken line without colons\n"
	"evil:x:notanumber:0::/:/bin/sh\n"
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	"app:x:1000:1001:App:/home/app:/bin/sh";   /* no final newline */
static const char group[] = "root:x:0:\nstaff:x:50:\nnogroup:x:65534:\n";

static void t_user_lookup(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	uid_t u;
	gid_t g;
	char *home;
	struct { const char *spec; uid_t u; gid_t g; const char *home; } ok[] = {
		{ NULL, 0, 0, "/root" },          { "", 0, 0, "/root" },
		{ "nobody", 65534, 65534, "/nonexistent" }, { "app", 1000, 1001, "/home/app" },
		{ "1000", 1000, 1001, "/home/app" }, { "1234", 1234, 0, NULL },
		{ "1234:5", 1234, 5, NULL },       { "app:staff", 1000, 50, "/home/app" },
		{ "0:0", 0, 0, "/root" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(sandbox_user_lookup(ok[i].spec, passwd, group, &u, &g, &home, &err), 0);
		assert_int_equal(u, ok[i].u);
		assert_int_equal(g, ok[i].g);
		if (ok[i].home)
			assert_string_equal(home, ok[i].home);
		else
			assert_null(home);
		free(home);
	}
	static const char *const bad[] = { "evil", "nosuch", "4294967295", "app:nosuchgroup",
					   "../../etc/passwd", "-1" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(sandbox_user_lookup(bad[i], passwd, group, &u, &g, &home, &err), -1);
		assert_null(home);
	}
	/* No /etc/passwd in the image: numbers only. */
	assert_int_equal(sandbox_user_lookup("7:8", NULL, NULL, &u, &g, &home, &err), 0);
	assert_int_equal(u, 7);
	assert_int_equal(g, 8);
	assert_int_equal(sandbox_user_lookup("root", NULL, NULL, &u, &g, &home, &err), -1);
	assert_non_null(strstr(err.msg, "'root'"));
}

static void t_argv_env(void **state)
{
	(void)state;
	struct image_config cfg = { 0 };
	strvec_push(&cfg.entrypoint, "ep");
	strvec_push(&cfg.cmd, "c1");
	strvec_push(&cfg.env, "A=1");
	strvec_push(&cfg.env, "NOEQUALS");
	struct strvec ep = STRVEC_INIT, cmd = STRVEC_INIT, argv = STRVEC_INIT;
	struct qerr err = QERR_INIT;
	assert_int_equal(sandbox_argv(&cfg, NULL, NULL, &argv, &err), 0);
	assert_int_equal(argv.n, 2);
	assert_string_equal(argv.v[1], "c1");
	strvec_clear(&argv);
	strvec_push(&cmd, "x");
	assert_int_equal(sandbox_argv(&cfg, NULL, &cmd, &argv, &err), 0);
	assert_string_equal(argv.v[0], "ep");
	assert_string_equal(argv.v[1], "x");
	strvec_clear(&argv);
	strvec_push(&ep, "new");
	assert_int_equal(sandbox_argv(&cfg, &ep, NULL, &argv, &err), 0);
	assert_int_equal(argv.n, 1);   /* the image's cmd goes with its entrypoint */
	strvec_clear(&argv);
	struct image_config empty = { 0 };
	assert_int_equal(sandbox_argv(&empty, NULL, NULL, &argv, &err), -1);
	assert_non_null(strstr(err.msg, "no command"));

	struct strvec over = STRVEC_INIT, env = STRVEC_INIT;
	strvec_push(&over, "A=2");
	strvec_push(&over, "B=3");
	sandbox_env(&cfg, &over, &env);
	assert_int_equal(env.n, 3);
	assert_string_equal(env.v[0], "A=2");
	assert_string_equal(env.v[1], "B=3");
	assert_true(str_starts_with(env.v[2], "PATH=/usr/local/sbin:"));
	strvec_clear(&env);
	strvec_clear(&over);
	strvec_clear(&ep);
	strvec_clear(&cmd);
	image_config_release(&cfg);
}

static void t_gpu_names(void **state)
{
	(void)state;
	assert_true(gpu_driver_lib("libcuda.so.1"));
	assert_true(gpu_driver_lib("libcuda.so.550.54.15"));
	assert_true(gpu_driver_lib("libnvidia-ml.so.1"));
	assert_true(gpu_driver_lib("libnvidia-ptxjitcompiler.so.1"));
	assert_false(gpu_driver_lib("libcudart.so.12"));   /* the image's, not the driver's */
	assert_false(gpu_driver_lib("libcublas.so.12"));
	assert_false(gpu_driver_lib("libnvidia-"));
	assert_false(gpu_driver_lib("libc.so.6"));
}

/* ---- a real sandbox over the host's /usr (merged-usr: bin/sh, the loader
 * and libc are all under it) ---- */

static bool userns_allowed(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0 : 1);
	int st;
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st);
}

static struct sandbox *start_usr(const char *script, const struct sock_fprog *filter, bool hold)
{
	if (access("/usr/bin/sh", X_OK) < 0 || !userns_allowed()) {
		print_message("no /usr/bin/sh or no user namespaces here\n");
		return NULL;
	}
	static char *envp[] = { "PATH=/bin", NULL };
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct sandbox_spec spec = { .rootfs = "/usr", .argv = argv, .envp = envp,
				     .seccomp = filter, .hold = hold };
	struct sandbox *sb = NULL;
	struct qerr err = QERR_INIT;
	if (sandbox_start(&spec, &sb, &err) < 0)
		fail_msg("sandbox_start: %s", err.msg);
	return sb;
}

static void t_hold_and_seize(void **state)
{
	(void)state;
	struct sandbox *sb = start_usr("exit 3", NULL, true);
	if (!sb)
		skip();
	pid_t pid = sandbox_workload_pid(sb);
	/* Our pid for it, and 2 inside (the init is 1). */
	char path[64], *status;
	size_t len;
	struct qerr err = QERR_INIT;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	assert_int_equal(read_file_at(AT_FDCWD, path, 1 << 16, &status, &len, &err), 0);
	char want[64];
	snprintf(want, sizeof(want), "NSpid:\t%d\t2\n", (int)pid);
	assert_non_null(strstr(status, want));
	free(status);
	/* Held: nothing ran yet; the tracer seizes it, and its filter (the
	 * tracer's, installed at release) lets it see the exec. */
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	struct tracer *t = NULL;
	assert_int_equal(tracer_attach(pid, root, &t, &err), 0);
	assert_int_equal(sandbox_release(sb, &err), 0);
	int st;
	assert_int_equal(tracer_run(t, &st, &err), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	const struct tracer_report *r = tracer_report(t);
	assert_true(r->nexecs >= 1);
	assert_string_equal(r->execs[0].argv0, "/bin/sh");   /* (a link to dash, resolved) */
	tracer_free(t);
	close(root);
	int code = -1;
	assert_int_equal(sandbox_wait(sb, &code, &err), 0);
	assert_int_equal(code, 3);
	sandbox_free(sb);
}

static void t_seccomp(void **state)
{
	(void)state;
	/* mkdir and mkdirat fail with EACCES; everything else is allowed. */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
#if defined(__x86_64__)
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
#else
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 1, 0),
#endif
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __NR_mkdir
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mkdir, 2, 0),
#else
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mkdirat, 2, 0),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mkdirat, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
	};
	struct sock_fprog prog = { (unsigned short)ARRAY_SIZE(f), f };
	const char *script = "mkdir /tmp/d 2>/dev/null && exit 0; exit 9";
	struct qerr err = QERR_INIT;
	int code = -1;
	struct sandbox *sb = start_usr(script, NULL, false);
	if (!sb)
		skip();
	assert_int_equal(sandbox_wait(sb, &code, &err), 0);
	assert_int_equal(code, 0);
	sandbox_free(sb);
	sb = start_usr(script, &prog, false);
	assert_int_equal(sandbox_wait(sb, &code, &err), 0);
	assert_int_equal(code, 9);
	sandbox_free(sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_mount_parse),   cmocka_unit_test(t_user_lookup),
		cmocka_unit_test(t_argv_env),      cmocka_unit_test(t_gpu_names),
		cmocka_unit_test(t_hold_and_seize), cmocka_unit_test(t_seccomp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
