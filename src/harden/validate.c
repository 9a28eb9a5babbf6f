/* Validation: the workload run on the source and on the hardened tree — as
 * its user, under its seccomp profile — with the same probes; the exit
 * code, stdout and the probes' results compared. When they differ, a quick
 * re-trace of the hardened tree names what it lacked: files the workload
 * asked for that the source has, syscalls the profile denies. */
#include "harden/harden.h"
#include "trace/trace.h"

#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RUN_OUTPUT_MAX (64u << 20)

/* ---- one run -------------------------------------------------------------------------------- */

/* A run with the workload's stdout captured; traced and its RBOM built
 * when rbom is given. */
static int run_captured(const struct profile_spec *ps, const char *image,
			const struct catalog *c, json_t **rbom, struct harden_run *r,
			struct qerr *err)
{
	memset(r, 0, sizeof(*r));
	int mfd = memfd_create("quench-validate", MFD_CLOEXEC);
	int saved = dup(STDOUT_FILENO);
	if (mfd < 0 || saved < 0) {
		if (mfd >= 0)
			close(mfd);
		if (saved >= 0)
			close(saved);
		return q_error(err, errno, "validate: capture stdout");
	}
	fflush(stdout);
	dup2(mfd, STDOUT_FILENO);
	struct profile_run pr;
	int rc = rbom ? profile_rbom(ps, image, c, &pr, rbom, err) : profile_run(ps, &pr, err);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	if (rc == 0) {
		r->exit_code = pr.exit_code;
		r->timed_out = pr.timed_out;
		r->ended_by_us = pr.ended_by_us;
		r->probe_failed = pr.probe_failed;
		r->failure = pr.failure ? xstrdup(pr.failure) : NULL;
		for (size_t i = 0; i < pr.probes.n; i++)
			strvec_push(&r->probes, pr.probes.v[i]);
	}
	profile_run_release(&pr);
	if (rc == 0 && lseek(mfd, 0, SEEK_SET) == 0)
		rc = read_fd_all(mfd, "the workload's output", RUN_OUTPUT_MAX, &r->out, &r->len, err);
	close(mfd);
	return rc;
}

int harden_run_workload(const struct profile_spec *ps, struct harden_run *r, struct qerr *err)
{
	struct profile_spec run = *ps;
	run.untraced = true;
	run.probe_output_to_stderr = true;
	return run_captured(&run, NULL, NULL, NULL, r, err);
}

int harden_profile_workload(const struct profile_spec *ps, const char *image,
			    const struct catalog *c, json_t **rbom, struct harden_run *r,
			    struct qerr *err)
{
	struct profile_spec run = *ps;
	run.untraced = false;
	run.probe_output_to_stderr = true;
	return run_captured(&run, image, c, rbom, r, err);
}

void harden_run_release(struct harden_run *r)
{
	free(r->out);
	free(r->failure);
	strvec_clear(&r->probes);
	memset(r, 0, sizeof(*r));
}

/* ---- comparing ------------------------------------------------------------------------------- */

static json_t *run_json(const struct harden_run *r)
{
	cleanup_free char *out = xstrndup(r->out ? r->out : "", r->len > 4096 ? 4096 : r->len);
	json_t *j = json_pack("{s:i, s:o, s:o}", "exitCode", r->exit_code, "stdout",
			      json_string_lossy(out), "probes", json_array());
	for (size_t i = 0; i < r->probes.n; i++)
		json_array_append_new(json_object_get(j, "probes"), json_string_lossy(r->probes.v[i]));
	if (r->failure)
		json_object_set_new(j, "failure", json_string_lossy(r->failure));
	return j;
}

static bool same_probes(const struct harden_run *a, const struct harden_run *b)
{
	if (a->probes.n != b->probes.n)
		return false;
	for (size_t i = 0; i < a->probes.n; i++)
		if (strcmp(a->probes.v[i], b->probes.v[i]))
			return false;
	return true;
}

static void show_run(const char *what, const struct harden_run *r)
{
	fprintf(stderr, "  %s: exit %d%s%s\n", what, r->exit_code, r->failure ? ": " : "",
		r->failure ? r->failure : "");
	for (size_t i = 0; i < r->probes.n; i++)
		fprintf(stderr, "    probe %s\n", r->probes.v[i]);
	if (r->len)
		fprintf(stderr, "    stdout: %.*s%s\n", (int)(r->len > 400 ? 400 : r->len), r->out,
			r->len > 400 ? "…" : "");
}

/* ---- what the hardened tree lacked -------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths the profile saw exist in the source (any use but missing/error). */
static void source_paths(json_t *rbom, struct strvec *out)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_get_arr(rbom, "files"), i, f) {
		json_t *uses = json_get_arr(f, "uses"), *u;
		size_t k;
		bool existed = false;
		json_array_foreach(uses, k, u) {
			const char *s = json_string_value(u);
			existed = existed || (s && strcmp(s, "missing") && strcmp(s, "error"));
		}
		if (existed && json_get_str(f, "path"))
			strvec_push(out, json_get_str(f, "path"));
	}
	strvec_sort(out);
}

static bool allowed(const char *name, const char *const *allow, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(allow[i], name))
			return true;
	return false;
}

/* Re-trace the hardened tree (the tracer's own filter in place of the
 * profile, so that a denied syscall shows as used) and name what it
 * lacked. Best effort: a failure to re-trace leaves the lists empty. */
static json_t *diagnose(const struct profile_spec *hard, json_t *rbom, const char *const *allow,
			size_t n_allow)
{
	json_t *missing = json_array(), *denied = json_array();
	struct sandbox_spec s = *hard->sandbox;
	s.seccomp = NULL;
	struct profile_spec ps = *hard;
	ps.sandbox = &s;
	ps.probe_output_to_stderr = true;
	struct profile_run pr;
	struct qerr err = QERR_INIT;
	int saved = dup(STDOUT_FILENO);
	fflush(stdout);
	if (saved >= 0)
		dup2(STDERR_FILENO, STDOUT_FILENO);   /* the workload's output is not ours */
	int rc = profile_run(&ps, &pr, &err);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	if (rc == 0) {
		const struct tracer_report *t = tracer_report(pr.t);
		struct strvec had = STRVEC_INIT;
		source_paths(rbom, &had);
		for (size_t i = 0; i < t->npaths; i++)
			if ((t->paths[i].uses & (TRACER_MISSING | TRACER_ERROR)) && had.n &&
			    bsearch(&t->paths[i].path, had.v, had.n, sizeof(*had.v), cmp_str))
				json_array_append_new(missing, json_string_lossy(t->paths[i].path));
		for (size_t i = 0; i < t->nsyscalls; i++)
			if (!t->syscalls[i].baseline && !allowed(t->syscalls[i].name, allow, n_allow))
				json_array_append_new(denied, json_string(t->syscalls[i].name));
		strvec_clear(&had);
	} else {
		q_warn("validate: the re-trace of the hardened image failed: %s", err.msg);
	}
	profile_run_release(&pr);
	return json_pack("{s:o, s:o}", "missingFiles", missing, "deniedSyscalls", denied);
}

/* ---- validation ------------------------------------------------------------------------------- */

/* The hardened image's seccomp profile as the sandbox enforces it; *names
 * borrow from j->seccomp. */
static int profile_filter(const struct harden_job *j, const char ***names, size_t *n,
			  struct sock_fprog *prog, struct qerr *err)
{
	json_t *arr = json_get_arr(json_array_get(json_get_arr(j->seccomp, "syscalls"), 0),
				   "names");
	*n = json_array_size(arr);
	*names = xcalloc(*n + 1, sizeof(**names));
	for (size_t i = 0; i < *n; i++)
		(*names)[i] = json_string_value(json_array_get(arr, i));
	return seccomp_allowlist(*names, *n, prog, err);
}

static void say_lacks(json_t *diff)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_get_arr(diff, "missingFiles"), i, v)
		fprintf(stderr, "  the hardened image lacks %s (the workload asked for it)\n",
			json_string_value(v));
	json_array_foreach(json_get_arr(diff, "deniedSyscalls"), i, v)
		fprintf(stderr, "  the seccomp profile denies %s (the workload made it)\n",
			json_string_value(v));
}

/* Each --validate-cmd runs as the image's command, in a sandbox of its
 * own (as `podman run IMAGE CMD`): its exit code is noted with the run's
 * probes. */
static int validate_cmds(const struct harden_request *rq, const struct sandbox_spec *base,
			 struct harden_run *run, struct qerr *err)
{
	for (size_t i = 0; rq->validate_cmds && i < rq->validate_cmds->n; i++) {
		const char *cmd = rq->validate_cmds->v[i];
		struct strvec argv = STRVEC_INIT;
		profile_command_argv(cmd, &argv);
		struct sandbox_spec s = *base;
		s.argv = argv.v;
		struct profile_spec ps = { .sandbox = &s };
		struct harden_run r;
		int rc = argv.n ? harden_run_workload(&ps, &r, err) : 0;
		if (rc == 0 && argv.n)
			strvec_take(&run->probes, xasprintf("validate: %s (exit %d%s%s)", cmd,
							    r.exit_code, r.failure ? ": " : "",
							    r.failure ? r.failure : ""));
		if (argv.n)
			harden_run_release(&r);
		strvec_clear(&argv);
		if (rc < 0)
			return q_error_wrap(err, "--validate-cmd '%s'", cmd);
	}
	return 0;
}

/* The workload, its probes and the --validate-cmd commands on spec. The
 * source's workload ran already when harden profiled it (traced, which
 * changes nothing it does): that run is taken rather than made again. */
static int validation_run(const struct harden_request *rq, struct profile_spec *ps,
			  const struct sandbox_spec *spec, const char *what,
			  struct harden_run *done, struct harden_run *r, struct qerr *err)
{
	struct sandbox_spec s = *spec;
	ps->sandbox = &s;
	if (done && done->valid) {
		*r = *done;
		memset(done, 0, sizeof(*done));
	} else if (harden_run_workload(ps, r, err) < 0) {
		return q_error_wrap(err, "validate: %s", what);
	}
	if (validate_cmds(rq, spec, r, err) < 0)
		return q_error_wrap(err, "validate: %s", what);
	return 0;
}

int harden_validate(const struct harden_request *rq, struct harden_job *j, struct qerr *err)
{
	struct sandbox_spec hs = *rq->spec;
	struct profile_spec ps = *rq->probes;
	struct harden_run before = { 0 }, after = { 0 };
	struct sock_fprog prog = { 0 };
	const char **names = NULL;
	size_t n_names = 0;
	int rc = profile_filter(j, &names, &n_names, &prog, err);
	if (rc == 0)
		rc = validation_run(rq, &ps, rq->spec, "the source image", &j->source_run, &before,
				    err);
	hs.image = NULL;
	hs.rootfs = j->stage;
	hs.user = j->user;
	hs.seccomp = &prog;
	if (rc == 0)
		rc = validation_run(rq, &ps, &hs, "the hardened image", NULL, &after, err);
	if (rc == 0) {
		bool same = before.exit_code == after.exit_code && !after.failure &&
			    same_probes(&before, &after) &&
			    (rq->ignore_output ||
			     (before.len == after.len &&
			      !memcmp(before.out ?: "", after.out ?: "", before.len)));
		rc = same ? 0 : 1;
	}
	if (rc == 1) {
		fprintf(stderr, "quench: harden: the hardened image does not behave as the source; "
				"its image is not written\n");
		show_run("source", &before);
		show_run("hardened", &after);
		ps.sandbox = &hs;
		j->differences = diagnose(&ps, j->rbom, names, n_names);
		json_object_set_new(j->differences, "source", run_json(&before));
		json_object_set_new(j->differences, "hardened", run_json(&after));
		say_lacks(j->differences);
	}
	free(prog.filter);
	free(names);
	harden_run_release(&before);
	harden_run_release(&after);
	return rc;
}
