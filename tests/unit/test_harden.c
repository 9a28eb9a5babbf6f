/* harden: the keep set on a crafted root (a program and its library
 * through merged /usr, links that point out of the root or at themselves,
 * /proc paths, missing ones), staging (setuid dropped, /tmp 1777, what the
 * workload wrote given to its user, links copied as links), dpkg status
 * rewritten to the packages that still own a file, the seccomp profile. */
#include "harden/harden.h"
#include "image/image.h"
#include "trace/trace.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "stage_dirs.h"


static void put_file(const char *rel, const char *text, mode_t mode)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
}

static void copy_host(const char *host, const char *rel)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "cp -L '%s' '%s/%s'", host, root, rel);
	assert_int_equal(system(cmd), 0);
}

/* The root, as an image, and its catalog (real parsers, real ELF reading). */
static struct catalog *make_root(void)
{
	char cmd[8192];
	snprintf(cmd, sizeof(cmd),
		 "rm -rf %1$s %2$s %3$s/img && mkdir -p %2$s && mkdir -p %1$s/usr/bin %1$s/usr/lib/x86_64-linux-gnu %1$s/etc %1$s/tmp "
		 "%1$s/var/lib/dpkg/info %1$s/var/log && ln -s usr/lib %1$s/lib && "
		 "ln -s /../../../../etc %1$s/usr/bin/evil && ln -s loop %1$s/usr/bin/loop",
		 root, stage, dir);
	assert_int_equal(system(cmd), 0);
	copy_host("/bin/true", "usr/bin/prog");
	copy_host("/lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libc.so.6");
	put_file("usr/bin/su", "#!/bin/false\n", 04755);
	put_file("etc/passwd", "root:x:0:0:root:/root:/bin/false\n", 0644);
	put_file("etc/shadow", "root:*:1::::::\n", 0640);
	put_file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n", 0644);
	put_file("var/log/app.log", "", 0644);
	put_file("var/lib/dpkg/status",
		 "Package: prog\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\n"
		 "Package: unused\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2\n\n",
		 0644);
	put_file("var/lib/dpkg/info/prog.list", "/usr\n/usr/bin\n/usr/bin/prog\n", 0644);
	put_file("var/lib/dpkg/info/unused.list", "/usr\n/usr/bin\n/usr/bin/su\n", 0644);
	struct catalog_opts co = { .threads = 1 };
	return stage_dirs_catalog(&co);
}

static json_t *rbom(void)
{
	return json_pack(
		"{s:[{s:s, s:[s, s]}, {s:s, s:[s]}, {s:s, s:[s]}, {s:s, s:[s]}, {s:s, s:[s]},"
		" {s:s, s:[s]}, {s:s, s:[s], s:b}], s:[{s:s}, {s:s}]}", "files",
		"path", "/usr/bin/prog", "uses", "exec", "read",
		"path", "/usr/bin/evil/passwd", "uses", "read",
		"path", "/usr/bin/loop", "uses", "stat",
		"path", "/proc/self/status", "uses", "read",
		"path", "/no/such/file", "uses", "missing",
		"path", "/var/log/app.log", "uses", "write",
		"path", "/usr/lib/libcuda.so.1", "uses", "library", "injected", 1,
		"syscalls", "name", "openat", "name", "execve");
}

static bool in(const struct strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

static void t_keep_stage_metadata(void **state)
{
	(void)state;
	struct catalog *c = make_root();
	json_t *r = rbom();
	struct harden_opts o = { .uid = HARDEN_NONROOT_UID, .gid = HARDEN_NONROOT_UID };
	struct strvec keep = STRVEC_INIT;
	struct qerr err = QERR_INIT;
	assert_int_equal(harden_keep_set(root, c, r, &o, &keep, &err), 0);
	assert_true(in(&keep, "usr/bin/prog"));
	assert_true(in(&keep, "lib"));    /* the link on the way to libc */
	assert_true(in(&keep, "usr/lib/x86_64-linux-gnu/libc.so.6"));   /* DT_NEEDED */
	assert_true(in(&keep, "usr/bin/evil"));
	assert_true(in(&keep, "etc/passwd"));   /* through the link: inside the root */
	assert_true(in(&keep, "usr/bin/loop"));
	assert_true(in(&keep, "tmp"));
	assert_true(in(&keep, "var/lib/dpkg/info/prog.list"));
	assert_false(in(&keep, "etc/shadow"));
	assert_false(in(&keep, "usr/bin/su"));
	assert_false(in(&keep, "no/such/file"));
	assert_false(in(&keep, "usr/lib/libcuda.so.1"));   /* injected */
	for (size_t i = 0; i < keep.n; i++)
		assert_false(str_starts_with(keep.v[i], "proc") || keep.v[i][0] == '/' ||
			     strstr(keep.v[i], ".."));

	struct harden_stats st;
	assert_int_equal(harden_stage(root, &keep, stage, r, &o, &st, &err), 0);
	char p[1024], buf[256];
	struct stat sb;
	snprintf(p, sizeof(p), "%s/etc/passwd", stage);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "root:x:0:0:root:/root:/bin/false\n");   /* the image's, not ours */
	snprintf(p, sizeof(p), "%s/usr/bin/evil", stage);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	snprintf(p, sizeof(p), "%s/tmp", stage);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 01777);
	if (geteuid() == 0) {
		snprintf(p, sizeof(p), "%s/var/log/app.log", stage);
		assert_int_equal(stat(p, &sb), 0);
		assert_int_equal(sb.st_uid, HARDEN_NONROOT_UID);   /* the workload wrote it */
	}

	size_t kept;
	struct strvec warnings = STRVEC_INIT;
	assert_int_equal(harden_package_metadata(root, c, &keep, stage, &kept, &warnings, &err), 0);
	assert_int_equal(warnings.n, 0);
	snprintf(p, sizeof(p), "%s/var/lib/dpkg/status", stage);
	char *text;
	size_t len;
	assert_int_equal(read_file_at(AT_FDCWD, p, 1 << 20, &text, &len, &err), 0);
	assert_non_null(strstr(text, "Package: prog\n"));
	assert_null(strstr(text, "Package: unused"));
	free(text);
	assert_int_equal(kept, 1);

	assert_int_equal(harden_add_user(stage, HARDEN_NONROOT_UID, HARDEN_NONROOT_UID, &err), 0);
	snprintf(p, sizeof(p), "%s/etc/passwd", stage);
	assert_int_equal(read_file_at(AT_FDCWD, p, 1 << 20, &text, &len, &err), 0);
	assert_non_null(strstr(text, "\nnonroot:x:65532:65532:"));
	free(text);

	strvec_clear(&keep);
	json_decref(r);
	catalog_free(c);
}

static void t_exclude_and_seccomp(void **state)
{
	(void)state;
	struct catalog *c = make_root();
	json_t *r = rbom();
	struct strvec ex = STRVEC_INIT;
	strvec_push(&ex, "usr/lib");   /* and everything under it */
	struct harden_opts o = { .exclude = &ex };
	struct strvec keep = STRVEC_INIT;
	struct qerr err = QERR_INIT;
	assert_int_equal(harden_keep_set(root, c, r, &o, &keep, &err), 0);
	assert_false(in(&keep, "usr/lib/x86_64-linux-gnu/libc.so.6"));
	assert_false(in(&keep, "usr/lib"));
	json_t *sc = harden_seccomp(r);
	assert_string_equal(json_get_str(sc, "defaultAction"), "SCMP_ACT_ERRNO");
	json_t *names = json_get_arr(json_array_get(json_get_arr(sc, "syscalls"), 0), "names");
	bool openat = false, mount = false;
	for (size_t i = 0; i < json_array_size(names); i++) {
		const char *n = json_string_value(json_array_get(names, i));
		openat |= !strcmp(n, "openat");
		mount |= !strcmp(n, "mount");
		if (i)
			assert_true(strcmp(json_string_value(json_array_get(names, i - 1)), n) < 0);
	}
	assert_true(openat);
	assert_false(mount);
	json_decref(sc);
	strvec_clear(&keep);
	strvec_clear(&ex);
	json_decref(r);
	catalog_free(c);
}

/* The allowlist the sandbox enforces: what it names runs, the rest fails
 * with EPERM (in a child: a filter cannot be removed). */
static void t_allowlist_enforced(void **state)
{
	(void)state;
	const char *names[] = { "getpid", "mkdir", "exit_group", "exit" };
	struct sock_fprog prog;
	struct qerr err = QERR_INIT;
	assert_int_equal(seccomp_allowlist(names, 1, &prog, &err), 0);   /* getpid only */
	free(prog.filter);
	assert_int_equal(seccomp_allowlist(names + 2, 2, &prog, &err), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
			syscall(SYS_exit_group, 10);
		long r = syscall(SYS_getpid);   /* not allowed: EPERM */
		int e1 = errno;
		long m = syscall(SYS_mkdir, "/nonexistent-dir-x/y", 0700);
		int e2 = errno;
		/* the raw call: a sanitizer's _exit would look for leaks, with
		 * syscalls the filter refuses */
		syscall(SYS_exit_group, r == -1 && e1 == EPERM && m == -1 && e2 == EPERM ? 0 : 11);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	free(prog.filter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_keep_stage_metadata),
		cmocka_unit_test(t_exclude_and_seccomp),
		cmocka_unit_test(t_allowlist_enforced),
	};
	return cmocka_run_group_tests(tests, stage_dirs_setup, stage_dirs_teardown);
}
