/* tt_nested CMD ARG...: runs CMD under a seccomp filter that holds a
 * listener and allows everything, as a supervisor of the machine's would
 * (a container runtime that intercepts some calls). The kernel allows one
 * listener per filter chain: the tracer's lookup filter cannot be
 * installed under it, so the tracer must fall back to ptrace alone. */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: tt_nested CMD ARG...\n");
		return 2;
	}
	struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog prog = { 1, allow };
	long listener = -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    (listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog)) < 0) {
		perror("tt_nested: seccomp");
		return 77;
	}
	/* kept open across exec, as a supervisor keeps its own: a listener
	 * nobody holds is gone, and no longer in the way */
	fcntl((int)listener, F_SETFD, 0);
	execvp(argv[1], argv + 1);
	perror("tt_nested: exec");
	return 127;
}
