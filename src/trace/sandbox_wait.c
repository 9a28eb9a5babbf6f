/* Waiting for the workload: its status from the init, signals forwarded,
 * the timeout enforced; and the teardown. */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

static void kill_all(struct sandbox *sb)
{
	/* The init is pid 1 of the namespace: when it dies, the kernel kills
	 * every process left in it. */
	if (sb->init_fd >= 0 && !sb->init_reaped)
		pidfd_send_signal(sb->init_fd, SIGKILL, NULL, 0);
}

static void take_msg(struct sandbox *sb, const struct sb_msg *m)
{
	if (m->type == SB_MSG_STATUS) {
		sb->status = m->value;
		sb->have_status = true;
	} else if ((m->type == SB_MSG_EXEC_ERROR || m->type == SB_MSG_ERROR) && !sb->have_late) {
		sb->late = *m;
		sb->have_late = true;
	}
}

static void drain_msgs(struct sandbox *sb, int flags, bool *eof)
{
	struct sb_msg m;
	for (;;) {
		ssize_t n;
		do
			n = recv(sb->sock, &m, sizeof(m), flags);
		while (n < 0 && errno == EINTR);
		if (n == 0)
			*eof = true;
		if (n != (ssize_t)sizeof(m))
			return;
		m.what[sizeof(m.what) - 1] = '\0';
		take_msg(sb, &m);
		if (!(flags & MSG_DONTWAIT))
			return;
	}
}

/* Forward what we were sent; a terminal's signal reached the workload
 * already (it shares our process group). A second INT or TERM ends it. */
static void forward(struct sandbox *sb, int sigfd, int *interrupts)
{
	struct signalfd_siginfo si;
	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if ((sig == SIGINT || sig == SIGTERM) && ++*interrupts > 1) {
			kill_all(sb);
			continue;
		}
		if (si.ssi_code != SI_KERNEL)
			pidfd_send_signal(sb->wl_fd, sig, NULL, 0);
	}
}

static void wait_loop(struct sandbox *sb, int sigfd)
{
	int64_t deadline = sb->timeout ? now_ms() + (int64_t)sb->timeout * 1000 : -1;
	int interrupts = 0;
	bool eof = false;
	for (;;) {
		struct pollfd pf[3] = { { sb->init_fd, POLLIN, 0 }, { sigfd, POLLIN, 0 },
					{ eof ? -1 : sb->sock, POLLIN, 0 } };
		int wait_ms = -1;
		if (deadline >= 0 && !sb->timed_out) {
			int64_t left = deadline - now_ms();
			wait_ms = left > 0 ? (int)(left > INT32_MAX ? INT32_MAX : left) : 0;
		}
		int n = poll(pf, 3, wait_ms);
		if (n < 0 && errno != EINTR)
			break;
		if (n == 0 && deadline >= 0 && !sb->timed_out) {
			sb->timed_out = true;
			kill_all(sb);
		}
		if (n > 0 && pf[2].revents)
			drain_msgs(sb, 0, &eof);
		if (n > 0 && pf[1].revents)
			forward(sb, sigfd, &interrupts);
		if (n > 0 && pf[0].revents)
			break;
	}
	drain_msgs(sb, MSG_DONTWAIT, &eof);
}

static void reap_init(struct sandbox *sb)
{
	if (sb->init <= 0 || sb->init_reaped)
		return;
	while (waitpid(sb->init, &sb->init_status, __WALL) < 0 && errno == EINTR)
		;
	sb->init_reaped = true;
}

static int code_of(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 125;
}

int sandbox_wait(struct sandbox *sb, int *exit_code, struct qerr *err)
{
	if (sandbox_release(sb, err) < 0)
		return -1;
	int sigfd = signalfd(-1, &sb->fwd, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		return q_error(err, errno, "signalfd");
	wait_loop(sb, sigfd);
	close(sigfd);
	reap_init(sb);
	if (sb->timed_out) {
		*exit_code = 124;
		return 0;
	}
	*exit_code = sb->have_status ? code_of(sb->status) : code_of(sb->init_status);
	if (sb->have_late) {
		if (sb->late.type == SB_MSG_EXEC_ERROR)
			*exit_code = sb->late.errnum == ENOENT ? 127 : 126;
		return q_error(err, sb->late.errnum, "sandbox: %s", sb->late.what);
	}
	if (!sb->have_status)
		return q_error(err, 0, "sandbox: the init ended without the workload's status (%s)",
			       WIFSIGNALED(sb->init_status) ? strsignal(WTERMSIG(sb->init_status))
							    : "exited");
	return 0;
}

/* Signals that arrived but were never read must not kill us once
 * unblocked: they were meant for the workload. */
static void drop_pending(const sigset_t *set)
{
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(set, NULL, &zero) > 0)
		;
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb)
		return;
	kill_all(sb);
	reap_init(sb);
	if (sb->init_fd >= 0)
		close(sb->init_fd);
	if (sb->wl_fd >= 0)
		close(sb->wl_fd);
	if (sb->sock >= 0)
		close(sb->sock);
	sb_plan_release(&sb->plan);
	drop_pending(&sb->fwd);
	pthread_sigmask(SIG_SETMASK, &sb->old_mask, NULL);
	free(sb);
}
