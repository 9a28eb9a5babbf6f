/* The lookup channel: read-only lookups answered through a seccomp
 * listener instead of a ptrace stop (docs/tracer.md, "Two channels").
 *
 * The lookup filter sends the stat family, access(F_OK), readlink and
 * read-only opens to the listener. A thread of ours receives each, reads
 * the operands while the caller waits, resolves the path in the tree,
 * tells the result from the tree (and, where permissions decide, from the
 * caller's credentials), records it, and lets the call run unchanged
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE). With SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
 * (Linux 6.6) the caller and this thread hand the CPU to each other, where
 * a ptrace stop wakes a tracer on another CPU and back: on a virtual
 * machine about 6 µs against 50.
 *
 * Fidelity: a wait the listener has received is killable only
 * (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV). A signal that comes before we
 * received it aborts the call with -ERESTARTSYS, which a handler without
 * SA_RESTART would turn into EINTR, where untraced the lookup would not
 * have been interrupted at all; notify_restart_lookup() makes such a call
 * restart whatever the handler (as if the signal had come just before it).
 *
 * Locking: the ptrace thread and this one share the tracer under t->lock. */
#include "trace/tracer_internal.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif
#define ERESTARTSYS_ 512
#define ERESTARTNOINTR_ 513

/* Count the call and read its operands into tp (a scratch entry: the
 * thread's own belongs to the ptrace thread). */
static bool on_lookup(struct tracer *t, const struct seccomp_notif *req, struct tproc *tp)
{
	struct __ptrace_syscall_info si = { .op = PTRACE_SYSCALL_INFO_SECCOMP,
					    .arch = req->data.arch };
	si.seccomp.nr = (uint64_t)req->data.nr;
	for (int i = 0; i < 6; i++)
		si.seccomp.args[i] = req->data.args[i];
	pid_t tid = (pid_t)req->pid;
	struct tproc *known = thread_get(t, tid);
	t->stops++;
	t->lookups++;
	if (known)
		t->procs[known->proc].stops++;
	count_syscall(t, si.arch, si.seccomp.nr);
	*tp = (struct tproc){ .tid = tid, .tgid = known ? known->tgid : tid };
	return lookup_operands(t, tp, &si);
}

/* Each lookup is recorded before it is answered, under the lock: a traced
 * call that could change the tree stops under ptrace first, and the
 * ptrace thread waits for the lock, so the walk sees the tree the lookup
 * will see. (Answering first and walking meanwhile measured no faster: the
 * caller wakes on our CPU and waits for it anyway.) */
static void *listen_main(void *arg)
{
	struct tracer *t = arg;
	struct seccomp_notif req;
	for (;;) {
		struct pollfd pf[2] = { { t->listener, POLLIN, 0 }, { t->stop_fd, POLLIN, 0 } };
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents || (pf[0].revents & (POLLHUP | POLLERR | POLLNVAL)))
			break;   /* done, or no process is left to send a lookup */
		memset(&req, 0, sizeof(req));
		if (ioctl(t->listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
			continue;   /* ENOENT: the caller was killed meanwhile */
		pthread_mutex_lock(&t->lock);
		struct tproc tp;
		bool record = on_lookup(t, &req, &tp);
		struct seccomp_notif_resp resp = { .id = req.id,
						   .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
		if (record)
			lookup_record(t, &tp);
		/* ENOENT: the caller was killed meanwhile */
		(void)ioctl(t->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		pthread_mutex_unlock(&t->lock);
	}
	return NULL;
}

/* fd in pid's table that is a seccomp listener; -1: none; -2: the table
 * cannot be read */
static int find_listener_fd(pid_t pid)
{
	char dir[64], link[64 + 256], target[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = -1;
	while (d && found < 0 && (e = readdir(d))) {
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, "anon_inode:seccomp notify"))
			found = atoi(e->d_name);
	}
	if (!d)
		return -2;
	closedir(d);
	return found;
}

void notify_take_listener(struct tracer *t, pid_t pid)
{
	t->listener_sought = true;
	int fd = find_listener_fd(pid);
	if (fd == -1)
		return;   /* the ptrace-only filter: an older kernel, or a nested listener */
	errno = EACCES;
	int pidfd = fd < 0 ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
	int lfd = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (pidfd >= 0)
		close(pidfd);
	if (lfd < 0) {
		/* with nobody listening, its lookups would fail with ENOSYS */
		tracer_warn(t, "pid %d: the seccomp listener could not be taken: %s", (int)pid,
			    strerror(errno));
		kill(pid, SIGKILL);
		return;
	}
	(void)fcntl(lfd, F_SETFD, FD_CLOEXEC);
	/* Linux 6.6: caller and listener hand the CPU over; older kernels
	 * answer the same, at the cost of a wakeup each way */
	(void)ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (uint64_t)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	t->listener = lfd;
	t->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (t->stop_fd < 0 || pthread_create(&t->listen_thread, NULL, listen_main, t) != 0) {
		tracer_warn(t, "the lookup thread could not start");
		kill(pid, SIGKILL);
		return;
	}
	t->listening = true;
}

void notify_stop(struct tracer *t)
{
	if (t->listening) {
		uint64_t one = 1;
		(void)!write(t->stop_fd, &one, sizeof(one));
		pthread_join(t->listen_thread, NULL);
		t->listening = false;
	}
	if (t->stop_fd >= 0)
		close(t->stop_fd);
	if (t->listener >= 0)
		close(t->listener);
	t->stop_fd = t->listener = -1;
}

void notify_restart_lookup(struct tracer *t, pid_t tid)
{
	if (t->listener < 0)
		return;
	struct user_regs_struct regs;
	if (ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0)
		return;
	if ((int64_t)regs.rax != -ERESTARTSYS_ || regs.orig_rax >= SC_MAX ||
	    !sc_is_lookup((int)regs.orig_rax))
		return;
	/* The wait for us is over before the call begins; only an open that
	 * reached a FIFO or a device could be interrupted by itself (and
	 * fail with EINTR untraced as well): those are left as they are. */
	struct __ptrace_syscall_info si = { .op = PTRACE_SYSCALL_INFO_SECCOMP,
					    .arch = AUDIT_ARCH_X86_64 };
	si.seccomp.nr = regs.orig_rax;
	uint64_t args[6] = { regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9 };
	memcpy(si.seccomp.args, args, sizeof(args));
	if (lookup_may_block(t, tid, &si))
		return;
	regs.rax = (uint64_t)-ERESTARTNOINTR_;
	if (ptrace(PTRACE_SETREGS, tid, 0, &regs) < 0)
		tracer_warn(t, "pid %d: an interrupted lookup could not be restarted", (int)tid);
}
