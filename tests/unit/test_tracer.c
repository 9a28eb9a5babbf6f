/* Tests of the tracer on real programs (tests/trace/tt_*.c): each case is
 * run untraced and traced; the exit status and the output must be the
 * same, and the report must hold what the program did. Where the kernel
 * refuses ptrace or seccomp the tests skip and say why. */
#include "trace/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include <setjmp.h>
#include <cmocka.h>

/* ---- helpers ----------------------------------------------------------- */

static char *helper(const char *name)
{
	const char *d = getenv("QUENCH_TRACE_HELPERS");
	return xasprintf("%s/%s", d ? d : "build/tests/trace", name);
}

struct run {
	int status;
	char *out;
};

static char *slurp_fd(int fd)
{
	char *data = NULL;
	size_t len;
	struct qerr err = QERR_INIT;
	lseek(fd, 0, SEEK_SET);
	if (read_fd_all(fd, "output", 1 << 20, &data, &len, &err) < 0)
		fail_msg("%s", err.msg);
	return data;
}

/* stdout of what runs next goes to a fresh temporary file */
static int redirect_stdout(int *saved)
{
	char name[] = "/tmp/quench-tracer-out-XXXXXX";
	int fd = mkstemp(name);
	assert_true(fd >= 0);
	unlink(name);
	fflush(stdout);
	*saved = dup(1);
	dup2(fd, 1);
	return fd;
}

static void restore_stdout(int saved)
{
	dup2(saved, 1);
	close(saved);
}

static void run_untraced(char *const argv[], struct run *r)
{
	int saved, fd = redirect_stdout(&saved);
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	restore_stdout(saved);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
	r->out = slurp_fd(fd);
	close(fd);
}

static int root_fd = -1;

/* NULL (and the test skipped) where the kernel will not let us trace */
static struct tracer *run_traced(char *const argv[], struct run *r)
{
	struct qerr err = QERR_INIT;
	struct tracer *t = NULL;
	int saved, fd = redirect_stdout(&saved);
	int rc = tracer_spawn(argv, root_fd, &t, &err);
	restore_stdout(saved);
	if (rc < 0) {
		close(fd);
		if (err.errnum == EPERM || err.errnum == ENOSYS)
			return NULL;
		fail_msg("tracer_spawn: %s", err.msg);
	}
	if (tracer_run(t, &r->status, &err) < 0)
		fail_msg("tracer_run: %s", err.msg);
	r->out = slurp_fd(fd);
	close(fd);
	return t;
}

static void dump(const struct tracer_report *r)
{
	char buf[128];
	for (size_t i = 0; i < r->npaths; i++)
		print_message("  path %s %s%s%s\n", r->paths[i].path,
			      tracer_use_str(r->paths[i].uses, buf, sizeof(buf)),
			      r->paths[i].link_target ? " -> " : "",
			      r->paths[i].link_target ? r->paths[i].link_target : "");
	for (size_t i = 0; i < r->nexecs; i++)
		print_message("  exec %s argv0=%s\n", r->execs[i].path, r->execs[i].argv0);
	for (size_t i = 0; i < r->libs.n; i++)
		print_message("  lib %s\n", r->libs.v[i]);
	for (size_t i = 0; i < r->warnings.n; i++)
		print_message("  warning %s\n", r->warnings.v[i]);
}

/* Run argv both ways: same status, same output (unless !same_out). */
static struct tracer *both(char *const argv[], struct run *u, struct run *tr, bool same_out)
{
	run_untraced(argv, u);
	struct tracer *t = run_traced(argv, tr);
	if (!t) {
		free(u->out);
		return NULL;
	}
	if (u->status != tr->status || (same_out && strcmp(u->out, tr->out)))
		fail_msg("%s: untraced status %#x output:\n%s\ntraced status %#x output:\n%s",
			 argv[0], u->status, u->out, tr->status, tr->out);
	return t;
}

static void run_free(struct run *r)
{
	free(r->out);
	r->out = NULL;
}

static const struct tracer_path *find_path(const struct tracer_report *r, const char *path)
{
	for (size_t i = 0; i < r->npaths; i++)
		if (!strcmp(r->paths[i].path, path))
			return &r->paths[i];
	return NULL;
}

static void _fail_msg_at(const char *file, int line, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* path was recorded with at least the uses in `uses` */
static void assert_uses_(const struct tracer_report *r, const char *path, unsigned uses,
			 const char *file, int line)
{
	const struct tracer_path *p = find_path(r, path);
	if (p && (p->uses & uses) == uses)
		return;
	char want[128], got[128];
	dump(r);
	_fail_msg_at(file, line, "%s: want %s, got %s", path, tracer_use_str(uses, want, sizeof(want)),
		     p ? tracer_use_str(p->uses, got, sizeof(got)) : "(absent)");
}
#define assert_uses(r, path, uses) assert_uses_(r, path, uses, __FILE__, __LINE__)

static void _fail_msg_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	print_error("%s:%d: %s\n", file, line, m);
	free(m);
	_fail(file, line);
}

static bool has_exec(const struct tracer_report *r, const char *path, const char *argv0)
{
	for (size_t i = 0; i < r->nexecs; i++)
		if (!strcmp(r->execs[i].path, path) && (!argv0 || !strcmp(r->execs[i].argv0, argv0)))
			return true;
	return false;
}

static const struct tracer_syscall *find_syscall(const struct tracer_report *r, const char *name)
{
	for (size_t i = 0; i < r->nsyscalls; i++)
		if (!strcmp(r->syscalls[i].name, name))
			return &r->syscalls[i];
	return NULL;
}

static char *real(const char *p)
{
	char buf[PATH_MAX];
	if (!realpath(p, buf))
		fail_msg("realpath %s: %s", p, strerror(errno));
	return xstrdup(buf);
}

#define SKIP_IF_NO_TRACE(t) do { if (!(t)) { print_message("ptrace/seccomp refused here\n"); skip(); } } while (0)

/* A fixture directory: a/real, a/l2 -> real, l1 -> a/l2, abs -> DIR/a,
 * sub/, loop1 <-> loop2, run.sh (a script). */
static char *fixture(void)
{
	char tmpl[] = "/tmp/quench-tracer-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *d = real(tmpl);
	char *p;
	p = xasprintf("%s/a", d); assert_int_equal(mkdir(p, 0755), 0); free(p);
	p = xasprintf("%s/sub", d); assert_int_equal(mkdir(p, 0755), 0); free(p);
	p = xasprintf("%s/a/real", d);
	int fd = open(p, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0 && write(fd, "hi\n", 3) == 3);
	close(fd);
	free(p);
	struct { const char *target, *name; } links[] = {
		{ "real", "a/l2" }, { "a/l2", "l1" }, { NULL, "abs" }, { "loop2", "loop1" }, { "loop1", "loop2" } };
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		char *target = links[i].target ? xstrdup(links[i].target) : xasprintf("%s/a", d);
		p = xasprintf("%s/%s", d, links[i].name);
		assert_int_equal(symlink(target, p), 0);
		free(p);
		free(target);
	}
	p = xasprintf("%s/run.sh", d);
	fd = open(p, O_WRONLY | O_CREAT, 0755);
	const char script[] = "#!/bin/sh\necho script $1\n";
	assert_true(fd >= 0 && write(fd, script, sizeof(script) - 1) == sizeof(script) - 1);
	close(fd);
	free(p);
	return d;
}

static void rm_rf(const char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* ---- the filter -------------------------------------------------------- */

static void test_filter_shape(void **state)
{
	(void)state;
	const struct sock_fprog *f = tracer_filter();
	assert_non_null(f);
	/* arch check first, a TRACE and an ALLOW return last */
	assert_int_equal(f->filter[0].code, BPF_LD | BPF_W | BPF_ABS);
	assert_int_equal(f->filter[1].k, AUDIT_ARCH_X86_64);
	assert_int_equal(f->filter[f->len - 1].code, BPF_RET | BPF_K);
	size_t n = 0;
	for (const char *const *b = tracer_baseline(); *b; b++) {
		n++;
		/* nothing that takes a path, makes a process or opens a socket */
		const char *banned[] = { "open", "openat", "stat", "newfstatat", "statx", "execve",
					 "clone", "fork", "vfork", "bind", "connect", "socket",
					 "setuid", "mount", "ptrace", "chdir" };
		for (size_t i = 0; i < ARRAY_SIZE(banned); i++)
			assert_string_not_equal(*b, banned[i]);
	}
	assert_true(n >= 30);
	assert_int_equal(f->len, n + 7);
}

/* ---- the cases --------------------------------------------------------- */

static void test_true(void **state)
{
	(void)state;
	char *argv[] = { "/bin/true", NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	const struct tracer_report *r = tracer_report(t);
	char *exe = real("/bin/true");
	assert_uses(r, exe, TRACER_EXEC);
	assert_true(has_exec(r, exe, "/bin/true"));
	if (strcmp(exe, "/bin/true"))   /* usrmerge: /bin -> usr/bin */
		assert_uses(r, "/bin", TRACER_SYMLINK);
	assert_true(r->libs.n >= 2);   /* the dynamic loader and libc at least */
	assert_non_null(find_syscall(r, "execve"));
	const struct tracer_syscall *sc = find_syscall(r, "read");
	assert_non_null(sc);
	assert_true(sc->baseline);
	assert_int_equal(r->nprocs, 1);
	free(exe);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
}

static void test_threads(void **state)
{
	(void)state;
	char *d = fixture(), *h = helper("tt_threads");
	char *argv[] = { h, d, "8", NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	assert_string_equal(tr.out, "threads 8 bad 0\n");
	assert_true(WIFEXITED(tr.status) && WEXITSTATUS(tr.status) == 3);
	const struct tracer_report *r = tracer_report(t);
	for (int i = 0; i < 8; i++) {
		char *p = xasprintf("%s/t%d", d, i);
		assert_uses(r, p, TRACER_READ | TRACER_WRITE);
		free(p);
	}
	assert_int_equal(r->nprocs, 1);
	assert_int_equal(r->procs[0].threads, 9);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	rm_rf(d);
	free(d);
	free(h);
}

static void test_vfork(void **state)
{
	(void)state;
	char *h = helper("tt_vfork");
	char *argv[] = { h, "/bin/echo", "from-vfork", NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	assert_string_equal(tr.out, "from-vfork\nvfork child exited 0\n");
	const struct tracer_report *r = tracer_report(t);
	char *echo = real("/bin/echo");
	assert_true(has_exec(r, echo, "/bin/echo"));
	assert_int_equal(r->nprocs, 2);
	assert_int_equal(r->procs[1].ppid, r->procs[0].pid);
	assert_string_equal(r->procs[1].exe, echo);
	assert_true(WIFEXITED(r->procs[1].status) && WEXITSTATUS(r->procs[1].status) == 0);
	free(echo);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	free(h);
}

static void test_paths(void **state)
{
	(void)state;
	char *d = fixture(), *h = helper("tt_paths");
	char *argv[] = { h, d, NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	assert_string_equal(tr.out, "chain ok\ndirfd ok\nopenat ok\nfstatat-missing failed\n"
			    "probe failed\nprocfd ok\nabslink ok\nreadlink ok\nmkdir ok\n"
			    "rename ok\nrmdir ok\naccess ok\nnotdir failed\n");
	const struct tracer_report *r = tracer_report(t);
	char *p;
#define P(fmt) (free(p), p = xasprintf(fmt, d))
	p = NULL;
	/* ../l1 from sub: l1 -> a/l2 -> real, each link recorded with its text */
	assert_uses(r, P("%s/l1"), TRACER_SYMLINK);
	assert_string_equal(find_path(r, p)->link_target, "a/l2");
	assert_uses(r, P("%s/a/l2"), TRACER_SYMLINK);
	assert_string_equal(find_path(r, p)->link_target, "real");
	assert_uses(r, P("%s/a/real"), TRACER_READ);
	/* openat(dirfd), fstatat(dirfd) of a missing name */
	assert_uses(r, P("%s/a/nothere"), TRACER_MISSING);
	/* a relative probe after chdir */
	assert_uses(r, P("%s/sub/probe.conf"), TRACER_MISSING);
	/* an absolute symlink, restarted at the root */
	assert_uses(r, P("%s/abs"), TRACER_SYMLINK);
	/* readlink: the link itself, not followed */
	assert_uses(r, P("%s/l1"), TRACER_STAT);
	/* writes */
	assert_uses(r, P("%s/sub/newdir"), TRACER_WRITE);
	assert_uses(r, P("%s/sub/newdir2"), TRACER_WRITE);
	/* /proc/self/fd/N/real went through the dirfd: no /proc path left */
	for (size_t i = 0; i < r->npaths; i++)
		assert_null(strstr(r->paths[i].path, "/fd/"));
#undef P
	free(p);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	rm_rf(d);
	free(d);
	free(h);
}

/* path was recorded without any of the uses in `uses` */
static void assert_not_uses(const struct tracer_report *r, const char *path, unsigned uses)
{
	const struct tracer_path *p = find_path(r, path);
	char got[128];
	if (p && (p->uses & uses))
		fail_msg("%s: got %s", path, tracer_use_str(p->uses, got, sizeof(got)));
}

static void make_file(const char *d, const char *name, mode_t mode)
{
	char *p = xasprintf("%s/%s", d, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	free(p);
}

/* Results the tree alone does not tell (docs/tracer.md, "One stop"): a
 * permission refused to a non-root tracee is an error, not a read or a
 * missing file; a file created, then removed; a directory closed through
 * its fd after it was searched. The stats of a readable file take no exit
 * stop. */
static void test_perm(void **state)
{
	(void)state;
	char *d = fixture(), *h = helper("tt_perm");
	assert_int_equal(chmod(d, 0755), 0);
	make_file(d, "pub", 0644);
	make_file(d, "secret", 0);
	make_file(d, "plain", 0644);
	char *closed = xasprintf("%s/closed", d), *w = xasprintf("%s/w", d);
	assert_int_equal(mkdir(closed, 0755), 0);
	make_file(d, "closed/inner", 0644);
	assert_int_equal(chmod(closed, 0), 0);
	assert_int_equal(mkdir(w, 0777), 0);
	assert_int_equal(chmod(w, 0777), 0);
	char *argv[] = { h, d, NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	if (!t) {
		chmod(closed, 0755);
		rm_rf(d);
	}
	SKIP_IF_NO_TRACE(t);
	assert_string_equal(tr.out, "pub ok\nsecret Permission denied\n"
			    "closed-inner Permission denied\nclosed-missing Permission denied\n"
			    "readlink-plain Invalid argument\ncreate ok\nstat-new ok\nunlink ok\n"
			    "stat-gone No such file or directory\nmkdir ok\n"
			    "d-missing No such file or directory\nfchmod ok\n"
			    "d-closed Permission denied\nrmdir ok\n");
	const struct tracer_report *r = tracer_report(t);
	char *p = NULL;
#define P(fmt) (free(p), p = xasprintf(fmt, d))
	assert_uses(r, P("%s/pub"), TRACER_READ | TRACER_STAT);
	assert_uses(r, P("%s/secret"), TRACER_ERROR);
	assert_not_uses(r, p, TRACER_READ | TRACER_STAT);
	assert_uses(r, P("%s/closed/inner"), TRACER_ERROR);
	assert_not_uses(r, p, TRACER_STAT | TRACER_MISSING);
	assert_uses(r, P("%s/closed/nothere"), TRACER_ERROR);
	assert_not_uses(r, p, TRACER_MISSING);
	assert_uses(r, P("%s/plain"), TRACER_ERROR);
	assert_uses(r, P("%s/w/new"), TRACER_WRITE | TRACER_STAT | TRACER_MISSING);
	assert_uses(r, P("%s/w/d/x"), TRACER_MISSING);
	assert_uses(r, P("%s/w/d/y"), TRACER_ERROR);
	assert_not_uses(r, p, TRACER_MISSING);
#undef P
	/* 50 stats of pub and the rest: far fewer exit stops than calls */
	assert_true(r->exit_stops < 30);
	assert_true(r->stops > 60);
	free(p);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	assert_int_equal(chmod(closed, 0755), 0);
	rm_rf(d);
	free(closed);
	free(w);
	free(d);
	free(h);
}

static void test_dlopen(void **state)
{
	(void)state;
	char *h = helper("tt_dlopen");
	char *argv[] = { h, "libz.so.1", "zlibVersion", NULL };
	struct run u, tr;
	run_untraced(argv, &u);
	if (strcmp(u.out, "zlibVersion found\n")) {
		run_free(&u);
		print_message("libz.so.1 is not installed\n");
		skip();
	}
	run_free(&u);
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	const struct tracer_report *r = tracer_report(t);
	bool found = false;
	for (size_t i = 0; i < r->libs.n; i++) {
		const char *b = strrchr(r->libs.v[i], '/');
		found |= b && str_starts_with(b, "/libz.so.1");
	}
	if (!found)
		dump(r);
	assert_true(found);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	free(h);
}

static void test_daemon(void **state)
{
	(void)state;
	char *d = fixture(), *h = helper("tt_daemon");
	char *f = xasprintf("%s/daemon.out", d);
	char *argv[] = { h, f, NULL };
	struct run u, tr;
	run_untraced(argv, &u);
	/* untraced, the daemon outlives its parent: wait for it */
	char *data = NULL;
	size_t len;
	struct qerr err = QERR_INIT;
	for (int i = 0; i < 100 && read_file_at(AT_FDCWD, f, 1024, &data, &len, &err) < 0; i++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	assert_non_null(data);
	free(data);
	data = NULL;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	nanosleep(&ts, NULL);   /* its writing is done */
	unlink(f);
	struct tracer *t = run_traced(argv, &tr);
	SKIP_IF_NO_TRACE(t);
	assert_int_equal(u.status, tr.status);
	assert_string_equal(u.out, tr.out);
	/* traced, the run lasts until the daemon is gone: its file is there */
	assert_int_equal(read_file_at(AT_FDCWD, f, 1024, &data, &len, &err), 0);
	assert_string_equal(data, "daemon ppid-is-not-grandparent=1\n");
	const struct tracer_report *r = tracer_report(t);
	assert_int_equal(r->nprocs, 3);
	assert_int_equal(r->procs[2].ppid, r->procs[1].pid);
	assert_uses(r, f, TRACER_WRITE);
	free(data);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	rm_rf(d);
	free(d);
	free(f);
	free(h);
}

static void test_mtexec(void **state)
{
	(void)state;
	char *h = helper("tt_mtexec");
	char *argv[] = { h, "/bin/echo", "mtexec-ok", NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	assert_string_equal(tr.out, "mtexec-ok\n");
	const struct tracer_report *r = tracer_report(t);
	char *echo = real("/bin/echo");
	assert_true(has_exec(r, echo, "/bin/echo"));
	assert_int_equal(r->nprocs, 1);
	assert_string_equal(r->procs[0].exe, echo);
	free(echo);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	free(h);
}

static void test_signal(void **state)
{
	(void)state;
	char *h = helper("tt_signal");
	char *argv[] = { h, NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	assert_string_equal(tr.out, "child signaled 1 sig 9\nhandled 1\nignored\n");
	assert_true(WIFSIGNALED(tr.status) && WTERMSIG(tr.status) == SIGTERM);
	const struct tracer_report *r = tracer_report(t);
	assert_int_equal(r->nprocs, 2);
	assert_true(WIFSIGNALED(r->procs[1].status) && WTERMSIG(r->procs[1].status) == SIGKILL);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	free(h);
}

/* Lookups under a storm of signals whose handler lacks SA_RESTART: never
 * EINTR, traced as untraced, though the lookup channel makes them wait. */
static void test_sigstorm(void **state)
{
	(void)state;
	char *h = helper("tt_sigstorm");
	char *argv[] = { h, NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	assert_string_equal(tr.out, "lookups 20000 eintr 0 signals>0 yes\n");
	const struct tracer_report *r = tracer_report(t);
	/* since Linux 5.19 (killable listener waits) the lookups are answered
	 * through the listener, without a ptrace stop */
	struct utsname un;
	unsigned major = 0, minor = 0;
	if (uname(&un) == 0 && sscanf(un.release, "%u.%u", &major, &minor) == 2 &&
	    (major > 5 || (major == 5 && minor >= 19)))
		assert_true(r->lookups >= 20000);
	assert_true(r->stops >= r->lookups);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	free(h);
}

/* Under another supervisor's listener (one per filter chain), the lookup
 * filter cannot be installed: every call stops under ptrace, with the same
 * results and no EINTR either. */
static void test_nested_listener(void **state)
{
	(void)state;
	char *nested = helper("tt_nested"), *dump = helper("tracedump"),
	     *storm = helper("tt_sigstorm");
	char *argv[] = { nested, dump, storm, NULL };
	struct run u;
	run_untraced(argv, &u);
	if (WIFEXITED(u.status) && WEXITSTATUS(u.status) == 77) {
		run_free(&u);
		skip();   /* no seccomp listeners here */
	}
	assert_true(WIFEXITED(u.status) && WEXITSTATUS(u.status) == 0);
	assert_non_null(strstr(u.out, "lookups 20000 eintr 0 signals>0 yes\n"));
	assert_non_null(strstr(u.out, " lookups 0 exit-stops"));
	assert_non_null(strstr(u.out, "path /etc/passwd"));
	run_free(&u);
	free(nested);
	free(dump);
	free(storm);
}

static void test_stop(void **state)
{
	(void)state;
	char *h = helper("tt_stop");
	char *argv[] = { h, NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	assert_string_equal(tr.out, "stopped 1 sig 19\ncontinued 1\nexited 7\n");
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	free(h);
}

static void test_shebang(void **state)
{
	(void)state;
	char *d = fixture();
	char *s = xasprintf("%s/run.sh", d);
	char *argv[] = { s, "arg1", NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	assert_string_equal(tr.out, "script arg1\n");
	const struct tracer_report *r = tracer_report(t);
	char *sh = real("/bin/sh");
	assert_uses(r, s, TRACER_EXEC);
	assert_uses(r, sh, TRACER_EXEC);   /* the interpreter, which no syscall names */
	assert_true(has_exec(r, s, s));
	free(sh);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	rm_rf(d);
	free(d);
	free(s);
}

static void test_hostile(void **state)
{
	(void)state;
	char *d = fixture(), *h = helper("tt_hostile");
	char *argv[] = { h, d, NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	const struct tracer_report *r = tracer_report(t);
	char *p = xasprintf("%s/loop1", d);
	assert_uses(r, p, TRACER_ERROR | TRACER_SYMLINK);
	free(p);
	if (strstr(tr.out, "i386 1\n"))
		assert_non_null(find_syscall(r, "i386:20"));
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	rm_rf(d);
	free(d);
	free(h);
}

static void test_net(void **state)
{
	(void)state;
	char *h = helper("tt_net");
	char *argv[] = { h, NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, false);   /* the port differs */
	SKIP_IF_NO_TRACE(t);
	unsigned port = 0;
	assert_int_equal(sscanf(tr.out, "listening %u", &port), 1);
	const struct tracer_report *r = tracer_report(t);
	bool listen = false, conn = false, udp = false;
	for (size_t i = 0; i < r->nports; i++) {
		const struct tracer_port *q = &r->ports[i];
		listen |= q->kind == TRACER_LISTEN && q->port == port && q->type == SOCK_STREAM &&
			  !strcmp(q->addr, "127.0.0.1");
		conn |= q->kind == TRACER_CONNECT && q->port == port;
		udp |= q->kind == TRACER_BIND && q->type == SOCK_DGRAM;
	}
	assert_true(listen && conn && udp);
	if (strstr(tr.out, "bind80 1")) {
		bool b80 = false, su = false;
		for (size_t i = 0; i < r->root_reasons.n; i++) {
			b80 |= !strcmp(r->root_reasons.v[i], "bind to port 80");
			su |= !strcmp(r->root_reasons.v[i], "setuid(0)");
		}
		assert_true(b80 && su);
	} else {
		assert_int_equal(r->root_reasons.n, 0);
	}
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	free(h);
}

static void test_clone_untraced(void **state)
{
	(void)state;
	char *d = fixture(), *h = helper("tt_untraced");
	char *f = xasprintf("%s/a/real", d);
	char *argv[] = { h, f, NULL };
	struct run u, tr;
	struct tracer *t = both(argv, &u, &tr, true);
	SKIP_IF_NO_TRACE(t);
	assert_string_equal(tr.out, "child exited 0\n");
	const struct tracer_report *r = tracer_report(t);
	assert_int_equal(r->nprocs, 2);
	assert_uses(r, f, TRACER_READ);
	tracer_free(t);
	run_free(&u);
	run_free(&tr);
	rm_rf(d);
	free(d);
	free(f);
	free(h);
}

/* As in the sandbox: the tracee is in its own mount namespace and has
 * pivot_root'ed into a directory; the tracer gets /proc/PID/root. Paths
 * are the tracee's, absolute links resolve inside its root. */
static void test_pivot_root(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (mount namespace)\n");
		skip();
	}
	char *d = fixture(), *h = helper("tt_static");
	char *p = xasprintf("mkdir -p %s/bin %s/data %s/old && cp %s %s/bin/prog && echo x > %s/data/rel.txt"
			    " && ln -s /data/rel.txt %s/data/link", d, d, d, h, d, d, d);
	assert_int_equal(system(p), 0);
	free(p);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fflush(stdout);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c = 'n';
		if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		    mount(d, d, NULL, MS_BIND, NULL) == 0 && chdir(d) == 0 &&
		    syscall(SYS_pivot_root, ".", "old") == 0 && umount2("/old", MNT_DETACH) == 0 &&
		    chdir("/") == 0)
			c = 'r';
		if (write(sv[1], &c, 1) != 1 || c != 'r' || read(sv[1], &c, 1) != 1)
			_exit(126);
		if (tracer_install_filter() < 0)
			_exit(125);
		execl("/bin/prog", "prog", (char *)NULL);
		_exit(127);
	}
	char c = 0;
	assert_int_equal(read(sv[0], &c, 1), 1);
	if (c != 'r') {
		waitpid(pid, NULL, 0);
		print_message("mount namespace or pivot_root refused\n");
		skip();
	}
	char link[64];
	snprintf(link, sizeof(link), "/proc/%d/root", (int)pid);
	int rootfd = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	struct tracer *t = NULL;
	struct qerr err = QERR_INIT;
	if (tracer_attach(pid, rootfd, &t, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(write(sv[0], "g", 1), 1);
	int status;
	if (tracer_run(t, &status, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 5);
	const struct tracer_report *r = tracer_report(t);
	assert_true(has_exec(r, "/bin/prog", "prog"));
	assert_uses(r, "/data/rel.txt", TRACER_READ);
	assert_uses(r, "/data/link", TRACER_SYMLINK);
	assert_string_equal(find_path(r, "/data/link")->link_target, "/data/rel.txt");
	assert_uses(r, "/missing", TRACER_MISSING);
	for (size_t i = 0; i < r->npaths; i++)   /* nothing of the host's view */
		assert_false(str_starts_with(r->paths[i].path, d));
	tracer_free(t);
	close(rootfd);
	close(sv[0]);
	close(sv[1]);
	rm_rf(d);
	free(d);
	free(h);
}

/* Completeness: every syscall strace sees a shell pipeline make is in the
 * report (baseline ∪ observed). */
static void test_syscall_set_complete(void **state)
{
	(void)state;
	if (system("command -v strace >/dev/null 2>&1") != 0) {
		print_message("strace is not installed\n");
		skip();
	}
	char *cmd = "ls -l / >/dev/null; cat /etc/hostname /nonexistent 2>/dev/null | wc -c >/dev/null; "
		    "sleep 0.01 & wait";
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct run tr;
	struct tracer *t = run_traced(argv, &tr);
	SKIP_IF_NO_TRACE(t);
	char tmpl[] = "/tmp/quench-strace-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	close(fd);
	char *sc = xasprintf("strace -f -qq -o %s /bin/sh -c '%s'", tmpl, cmd);
	assert_int_equal(system(sc), 0);
	free(sc);
	const struct tracer_report *r = tracer_report(t);
	FILE *f = fopen(tmpl, "r");
	assert_non_null(f);
	char line[8192], name[64];
	size_t seen = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*d %63[a-z0-9_](", name) != 1)
			continue;
		seen++;
		if (!find_syscall(r, name))
			fail_msg("strace saw %s, the tracer's set lacks it", name);
	}
	fclose(f);
	unlink(tmpl);
	assert_true(seen > 50);
	tracer_free(t);
	run_free(&tr);
}

static int setup(void **state)
{
	(void)state;
	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return root_fd < 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_shape),
		cmocka_unit_test(test_true),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_vfork),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_perm),
		cmocka_unit_test(test_dlopen),
		cmocka_unit_test(test_daemon),
		cmocka_unit_test(test_mtexec),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_sigstorm),
		cmocka_unit_test(test_nested_listener),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_shebang),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_net),
		cmocka_unit_test(test_clone_untraced),
		cmocka_unit_test(test_pivot_root),
		cmocka_unit_test(test_syscall_set_complete),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
