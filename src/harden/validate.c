/* Validation: the workload run in the sandbox, its exit code and stdout
 * kept for comparison (the source image's run against the hardened
 * tree's). stdout goes to a memfd for the run; stderr stays the user's. */
#include "harden/harden.h"
#include "trace/trace.h"

#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define RUN_OUTPUT_MAX (64u << 20)

int harden_run_workload(const struct sandbox_spec *spec, struct harden_run *r, struct qerr *err)
{
	memset(r, 0, sizeof(*r));
	int mfd = memfd_create("quench-validate", MFD_CLOEXEC);
	int saved = dup(STDOUT_FILENO);
	if (mfd < 0 || saved < 0) {
		if (mfd >= 0)
			close(mfd);
		return q_error(err, errno, "validate: capture stdout");
	}
	fflush(stdout);
	dup2(mfd, STDOUT_FILENO);
	struct sandbox *sb = NULL;
	int rc = sandbox_start(spec, &sb, err);
	if (rc == 0)
		rc = sandbox_wait(sb, &r->exit_code, err);
	r->timed_out = sb && sandbox_timed_out(sb);
	sandbox_free(sb);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	if (rc == 0 && lseek(mfd, 0, SEEK_SET) == 0)
		rc = read_fd_all(mfd, "the workload's output", RUN_OUTPUT_MAX, &r->out, &r->len, err);
	close(mfd);
	return rc;
}

void harden_run_release(struct harden_run *r)
{
	free(r->out);
	memset(r, 0, sizeof(*r));
}
