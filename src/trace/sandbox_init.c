/* The sandbox's init (pid 1 of the new pid namespace) and the workload it
 * forks. Runs after fork: system calls only, no allocation, _exit. */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

void sb_send(int sock, int type, int errnum, int value, const char *what, const char *what2)
{
	struct sb_msg m = { .type = type, .errnum = errnum, .value = value };
	size_t n = 0;
	for (const char *s = what; s && *s && n + 1 < sizeof(m.what); s++)
		m.what[n++] = *s;
	if (what2 && *what2 && n + 1 < sizeof(m.what))
		m.what[n++] = '\'';
	for (const char *s = what2; s && *s && n + 1 < sizeof(m.what); s++)
		m.what[n++] = *s;
	if (what2 && *what2 && n + 1 < sizeof(m.what))
		m.what[n++] = '\'';
	while (send(sock, &m, sizeof(m), MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static int recv_msg(int sock, struct sb_msg *m)
{
	ssize_t n;
	do
		n = recv(sock, m, sizeof(*m), 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

/* Our pid travels as SCM_CREDENTIALS: the kernel translates it into
 * quench's pid namespace on the way. */
static void send_pid(int sock)
{
	struct sb_msg m = { .type = SB_MSG_PID };
	struct ucred cred = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
	union {
		char buf[CMSG_SPACE(sizeof(cred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(c), &cred, sizeof(cred));
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static const char *env_get(char *const *envp, const char *key)
{
	size_t k = strlen(key);
	for (; envp && *envp; envp++)
		if (!strncmp(*envp, key, k) && (*envp)[k] == '=')
			return *envp + k + 1;
	return NULL;
}

/* execvpe with the sandbox's PATH (glibc's uses quench's environment). */
static int exec_path(char *const *argv, char *const *envp)
{
	const char *file = argv[0];
	if (strchr(file, '/'))
		return execve(file, argv, envp);
	const char *path = env_get(envp, "PATH");
	int err = ENOENT;
	for (const char *p = path ? path : "/usr/bin:/bin"; ; ) {
		const char *colon = strchr(p, ':');
		size_t dl = colon ? (size_t)(colon - p) : strlen(p);
		char full[PATH_MAX];
		size_t fl = strlen(file);
		if (dl + fl + 2 < sizeof(full)) {
			memcpy(full, p, dl);
			full[dl] = '/';
			memcpy(full + dl + 1, file, fl + 1);
			execve(dl ? full : file, argv, envp);
			if (errno != ENOENT && errno != ENOTDIR)
				err = errno;   /* EACCES etc. win over a later ENOENT */
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	errno = err;
	return -1;
}

static void reset_signals(const struct sb_plan *p)
{
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &p->child_mask, NULL);
}

/* The workload: wait for release → ids → seccomp → chdir → exec. */
static _Noreturn void workload(const struct sb_plan *p, int sock)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	send_pid(sock);
	struct sb_msg m;
	/* Always wait: quench needs a pidfd of us before we can exit (and be
	 * reaped, and our pid reused); with spec.hold it waits for the tracer. */
	if (recv_msg(sock, &m) < 0 || m.type != SB_MSG_RELEASE)
		_exit(127);
	/* Groups first, while we may still change them. */
	if (p->privileged && setgroups(1, &p->gid) < 0)
		goto fail_ids;
	if (setresgid(p->gid, p->gid, p->gid) < 0 || setresuid(p->uid, p->uid, p->uid) < 0)
		goto fail_ids;
	if (p->hold || p->seccomp) {
		int r = 0;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			r = -errno;
		else if (p->hold)   /* traced: the tracer's filter */
			r = tracer_install_filter();
		else if (syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, p->seccomp) < 0)
			r = -errno;
		if (r < 0) {
			sb_send(sock, SB_MSG_ERROR, -r, 0, "install the seccomp filter", "");
			_exit(127);
		}
	}
	if (chdir(p->workdir) < 0) {
		sb_send(sock, SB_MSG_EXEC_ERROR, errno, 0, "chdir ", p->workdir);
		_exit(127);
	}
	reset_signals(p);
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	exec_path(p->argv, p->envp);
	int e = errno;
	sb_send(sock, SB_MSG_EXEC_ERROR, e, 0, "exec ", p->argv[0]);
	_exit(e == ENOENT ? 127 : 126);
fail_ids:
	sb_send(sock, SB_MSG_ERROR, errno, (int)p->uid, "set the user ids", "");
	_exit(127);
}

/* GPU libraries become known to the image's loader through its own
 * ldconfig, as the NVIDIA toolkit does. Best effort. */
static void run_ldconfig(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		static char *const argv[] = { "ldconfig", NULL };
		static char *const envp[] = { NULL };
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execve("/sbin/ldconfig", argv, envp);
		execve("/usr/sbin/ldconfig", argv, envp);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* pid 1: reap every orphan; when the workload ends, report its status and
 * exit — the kernel then kills whatever is left in the namespace. */
static _Noreturn void reap(pid_t wl, int sock)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, __WALL);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			_exit(125);
		if (pid == wl) {
			sb_send(sock, SB_MSG_STATUS, 0, st, "", "");
			_exit(0);
		}
	}
}

_Noreturn void sb_child_main(const struct sb_plan *p, int sock)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* quench writes our id maps, then says go; EOF means it died. */
	struct sb_msg m;
	if (recv_msg(sock, &m) < 0 || m.type != SB_MSG_GO)
		_exit(125);
	if (sb_setup_root(p, sock) < 0 || sb_setup_inside(p, sock) < 0 ||
	    sb_mount_proc_and_late(p, sock) < 0)
		_exit(125);
	if (p->gpu)
		run_ldconfig();
	pid_t wl = fork();
	if (wl < 0) {
		sb_send(sock, SB_MSG_ERROR, errno, 0, "fork the workload", "");
		_exit(125);
	}
	if (wl == 0)
		workload(p, sock);
	reap(wl, sock);
}
