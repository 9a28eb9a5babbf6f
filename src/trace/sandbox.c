/* The sandbox seen from quench: fork the init into new namespaces, write
 * its id maps, learn the workload's pid, wait, forward signals, clean up. */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* clone3's argument (linux/sched.h clashes with sched.h). */
struct sb_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

void sandbox_forwarded_set(sigset_t *s)
{
	sigemptyset(s);
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(s, sigs[i]);
}

static int write_proc(pid_t pid, const char *name, const char *text, struct qerr *err)
{
	cleanup_free char *path = xasprintf("/proc/%d/%s", (int)pid, name);
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return q_error(err, errno, "write '%s' to '%s'", text, path);
	return 0;
}

/* Root: the identity over all ids (the image's owners are the host's).
 * Others: the workload's uid and gid are ours, nothing else is mapped. */
static int write_id_maps(struct sandbox *sb, struct qerr *err)
{
	if (sb->plan.privileged)
		return write_proc(sb->init, "uid_map", "0 0 4294967295", err) < 0 ||
		       write_proc(sb->init, "gid_map", "0 0 4294967295", err) < 0 ? -1 : 0;
	cleanup_free char *u = xasprintf("%u %u 1", (unsigned)sb->plan.uid, (unsigned)geteuid());
	cleanup_free char *g = xasprintf("%u %u 1", (unsigned)sb->plan.gid, (unsigned)getegid());
	if (write_proc(sb->init, "setgroups", "deny", err) < 0 ||
	    write_proc(sb->init, "uid_map", u, err) < 0 || write_proc(sb->init, "gid_map", g, err) < 0)
		return q_error_wrap(err, "user namespace (unprivileged user namespaces allowed?)");
	return 0;
}

static int send_msg(int sock, int type, struct qerr *err)
{
	struct sb_msg m = { .type = type };
	if (send(sock, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
		return q_error(err, errno, "sandbox: message to the init");
	return 0;
}

/* One message; its sender's pid (in our namespace) into *pid. 0: EOF. */
static int recv_msg(int sock, struct sb_msg *m, pid_t *pid, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return (int)n;
	if (n != (ssize_t)sizeof(*m))
		return -1;
	m->what[sizeof(m->what) - 1] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && pid) {
			struct ucred cr;
			memcpy(&cr, CMSG_DATA(c), sizeof(cr));
			*pid = cr.pid;
		}
	return 1;
}

static int msg_error(const struct sb_msg *m, struct qerr *err)
{
	return q_error(err, m->errnum, "sandbox: %s", m->what);
}

static int fork_init(struct sandbox *sb, int child_sock, struct qerr *err)
{
	uint64_t flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
			 CLONE_NEWUTS | CLONE_PIDFD | (sb->plan.net_host ? 0 : CLONE_NEWNET);
	int pidfd = -1;
	struct sb_clone_args args = { .flags = flags, .pidfd = (uint64_t)(uintptr_t)&pidfd,
				      .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	/* Without clone3 (valgrind, seccomp policies that hide it): the old
	 * call, fork-like, and a pidfd opened after. */
	if (pid < 0 && errno == ENOSYS)
		pid = syscall(SYS_clone, (unsigned long)(flags & ~(uint64_t)CLONE_PIDFD) | SIGCHLD,
			      NULL, NULL, NULL, NULL);
	if (pid < 0)
		return q_error(err, errno, "sandbox: create namespaces (clone)");
	if (pid == 0) {
		close(sb->sock);
		sb_child_main(&sb->plan, child_sock);
	}
	sb->init = (pid_t)pid;
	sb->init_fd = pidfd >= 0 ? pidfd : pidfd_open(sb->init, 0);
	if (sb->init_fd < 0)
		return q_error(err, errno, "sandbox: pidfd of the init");
	return 0;
}

/* Until the workload says where it is, or the init fails. */
static int await_workload(struct sandbox *sb, struct qerr *err)
{
	for (;;) {
		struct sb_msg m;
		pid_t pid = 0;
		int rc = recv_msg(sb->sock, &m, &pid, 0);
		if (rc <= 0)
			return q_error(err, rc < 0 ? errno : 0, "sandbox: the init died during setup");
		if (m.type == SB_MSG_ERROR)
			return msg_error(&m, err);
		if (m.type != SB_MSG_PID || pid <= 0)
			continue;
		sb->wl = pid;
		sb->wl_fd = pidfd_open(pid, 0);
		if (sb->wl_fd < 0)
			return q_error(err, errno, "sandbox: pidfd of the workload %d", (int)pid);
		return 0;
	}
}

static int start(struct sandbox *sb, const struct sandbox_spec *spec, struct qerr *err)
{
	if (sb_plan_build(&sb->plan, spec, err) < 0)
		return -1;
	sb->plan.child_mask = sb->old_mask;
	/* ^C while we prepared (a private copy can take a while): stop here. */
	sigset_t pending;
	if (sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM)))
		return q_error(err, EINTR, "sandbox: setup");
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return q_error(err, errno, "sandbox: socketpair");
	sb->sock = sv[0];
	int one = 1;
	setsockopt(sb->sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	int rc = fork_init(sb, sv[1], err);
	close(sv[1]);
	if (rc < 0 || write_id_maps(sb, err) < 0 || send_msg(sb->sock, SB_MSG_GO, err) < 0 ||
	    await_workload(sb, err) < 0)
		return -1;
	return spec->hold ? 0 : sandbox_release(sb, err);
}

int sandbox_start(const struct sandbox_spec *spec, struct sandbox **out, struct qerr *err)
{
	struct sandbox *sb = xcalloc(1, sizeof(*sb));
	sb->sock = sb->init_fd = sb->wl_fd = -1;
	sb->timeout = spec->timeout;
	/* The unpack (the slow part, atomic in the cache) can be interrupted
	 * as any other verb is. */
	sandbox_forwarded_set(&sb->fwd);
	pthread_sigmask(SIG_SETMASK, NULL, &sb->old_mask);
	if (sb_plan_lower(&sb->plan, spec, err) < 0) {
		sandbox_free(sb);
		return -1;
	}
	/* Blocked from now on: a signal waits for sandbox_wait (which forwards
	 * it) instead of killing us with a temporary directory left behind. */
	pthread_sigmask(SIG_BLOCK, &sb->fwd, NULL);
	int rc = start(sb, spec, err);
	if (rc < 0) {
		sandbox_free(sb);
		return -1;
	}
	*out = sb;
	return 0;
}

pid_t sandbox_workload_pid(const struct sandbox *sb) { return sb->wl; }
pid_t sandbox_init_pid(const struct sandbox *sb) { return sb->init; }
bool sandbox_timed_out(const struct sandbox *sb) { return sb->timed_out; }
const char *sandbox_rootfs_mode(const struct sandbox *sb)
{
	return sb->plan.overlay ? "overlay" : "copy";
}

const struct sandbox_injected *sandbox_injected(const struct sandbox *sb, size_t *n)
{
	*n = sb->plan.n_injected;
	return sb->plan.injected;
}

int sandbox_release(struct sandbox *sb, struct qerr *err)
{
	if (sb->released)
		return 0;
	sb->released = true;
	return send_msg(sb->sock, SB_MSG_RELEASE, err);
}
