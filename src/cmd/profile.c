/* quench profile IMAGE -o RBOM [options] [-- CMD ARG...]: quench run, traced:
 * the workload runs in the sandbox under the tracer and the RBOM says what
 * it used. quench profile --merge A.json B.json... -o C.json: their union.
 *
 * Threads: the main thread attaches and runs the tracer (ptrace requests
 * must come from the thread that attached); a watcher thread forwards
 * signals, runs the probes and ends the workload at --duration, --timeout
 * or after the probes. */
#include "cmd.h"
#include "catalog/catalog.h"
#include "trace/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { OPT_DURATION = 256, OPT_PROBE_CMD, OPT_MERGE };

/* How long the workload gets between SIGTERM and SIGKILL when we end it. */
#define PROFILE_GRACE_MS 5000

struct profile_args {
	struct common_opts co;
	struct workload_opts w;
	uint64_t duration;          /* seconds; 0: until the workload exits */
	struct strvec probe_cmds;
	bool merge;
	int n_merge;                /* RBOM files, from argv[optind] */
};

/* ---- the watcher ------------------------------------------------------------------------ */

struct watch {
	struct sandbox *sb;
	const struct profile_args *a;
	atomic_bool done;            /* the tracer saw the whole tree go */
	bool ended_by_us, timed_out;
	int probe_failed;            /* the exit code of the first probe that failed, or 0 */
	struct strvec probes;        /* "cmd: … (exit N)" */
	int signals;                 /* INT/TERM received */
};

static void forward_signals(struct watch *w, int wait_ms)
{
	sigset_t set;
	sigemptyset(&set);
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&set, sigs[i]);
	struct timespec ts = { wait_ms / 1000, (long)(wait_ms % 1000) * 1000000 };
	int sig = sigtimedwait(&set, NULL, &ts);
	if (sig <= 0)
		return;
	kill(sandbox_workload_pid(w->sb), sig);
	if ((sig == SIGINT || sig == SIGTERM) && ++w->signals > 1)
		kill(sandbox_init_pid(w->sb), SIGKILL);   /* a second one: everything, now */
}

/* Sleep up to ms, forwarding signals; true when the workload is gone. */
static bool idle(struct watch *w, int64_t ms)
{
	for (int64_t end = (int64_t)now_ms() + ms; !atomic_load(&w->done) && (int64_t)now_ms() < end;)
		forward_signals(w, (int)(end - (int64_t)now_ms() < 100 ? end - (int64_t)now_ms() : 100));
	return atomic_load(&w->done);
}

/* End the workload: SIGTERM, then everything after the grace period. */
static void end_workload(struct watch *w)
{
	w->ended_by_us = true;
	kill(sandbox_workload_pid(w->sb), SIGTERM);
	if (!idle(w, PROFILE_GRACE_MS))
		kill(sandbox_init_pid(w->sb), SIGKILL);
}

/* A probe: a shell command run inside the sandbox's namespaces, untraced.
 * The tracer waits on any child of ours, so the probe's status comes back
 * through a pipe from an intermediate process, never from waitpid. */
static int probe_spawn(struct watch *w, const char *cmd, int *status_fd)
{
	int p[2];
	int pidfd = (int)syscall(SYS_pidfd_open, sandbox_init_pid(w->sb), 0);
	if (pidfd < 0 || pipe2(p, O_CLOEXEC) < 0) {
		if (pidfd >= 0)
			close(pidfd);
		return -1;
	}
	char *const argv[] = { "sh", "-c", (char *)cmd, NULL };
	pid_t a = fork();
	if (a == 0) {   /* async-signal-safe from here: we forked a threaded process */
		int st = 126 << 8;
		if (setns(pidfd, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
					 CLONE_NEWIPC | CLONE_NEWUTS) == 0) {
			pid_t b = fork();
			if (b == 0) {
				sigset_t none;
				sigemptyset(&none);
				sigprocmask(SIG_SETMASK, &none, NULL);
				if (chdir("/") == 0)
					execve("/bin/sh", argv, w->a->w.envp.v);
				_exit(127);
			}
			while (b > 0 && waitpid(b, &st, 0) < 0 && errno == EINTR)
				;
		}
		ssize_t n = write(p[1], &st, sizeof(st));
		_exit(n == sizeof(st) ? 0 : 1);
	}
	close(p[1]);
	close(pidfd);
	if (a < 0) {
		close(p[0]);
		return -1;
	}
	*status_fd = p[0];
	return 0;
}

static int exit_code_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

static void run_probe(struct watch *w, const char *cmd)
{
	int fd, st = -1;
	if (probe_spawn(w, cmd, &fd) < 0) {
		strvec_take(&w->probes, xasprintf("cmd: %s (could not start: %s)", cmd,
						  strerror(errno)));
		w->probe_failed = w->probe_failed ? w->probe_failed : 126;
		return;
	}
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	while (!atomic_load(&w->done) && poll(&pfd, 1, 0) == 0)
		forward_signals(w, 100);
	if (read(fd, &st, sizeof(st)) != sizeof(st))
		st = -1;
	close(fd);
	int code = st == -1 ? 125 : exit_code_of(st);
	strvec_take(&w->probes, st == -1 ? xasprintf("cmd: %s (ended with the workload)", cmd)
					 : xasprintf("cmd: %s (exit %d)", cmd, code));
	if (code && !w->probe_failed)
		w->probe_failed = code;
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	const struct profile_args *a = w->a;
	int64_t start = (int64_t)now_ms();
	if (a->probe_cmds.n) {
		for (size_t i = 0; i < a->probe_cmds.n && !atomic_load(&w->done); i++)
			run_probe(w, a->probe_cmds.v[i]);
		if (!atomic_load(&w->done))
			end_workload(w);
		return NULL;
	}
	uint64_t limit = a->duration ? a->duration : a->w.spec.timeout;
	if (!limit) {
		while (!atomic_load(&w->done))
			forward_signals(w, 100);
		return NULL;
	}
	if (!idle(w, (int64_t)limit * 1000 - ((int64_t)now_ms() - start))) {
		w->timed_out = !a->duration;
		end_workload(w);
	}
	return NULL;
}

/* ---- one traced run ------------------------------------------------------------------------ */

struct traced {
	struct sandbox *sb;
	struct tracer *t;
	int root_fd;
	int status;
	int64_t started, ended;
};

/* Start the sandbox held, seize the workload, let it go. */
static int start_traced(struct profile_args *a, struct traced *tr, struct qerr *err)
{
	a->w.spec.hold = true;
	a->w.spec.seccomp = tracer_filter();
	if (!a->w.spec.seccomp)
		return q_error(err, 0, "the tracer does not support this architecture");
	tr->started = time(NULL);
	if (sandbox_start(&a->w.spec, &tr->sb, err) < 0)
		return -1;
	workload_log(tr->sb);
	pid_t pid = sandbox_workload_pid(tr->sb);
	char root[64];
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	tr->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tr->root_fd < 0)
		return q_error(err, errno, "open %s", root);
	if (tracer_attach(pid, tr->root_fd, &tr->t, err) < 0)
		return -1;
	return sandbox_release(tr->sb, err);
}

static int trace_workload(struct profile_args *a, struct traced *tr, struct watch *w,
			  struct qerr *err)
{
	*tr = (struct traced){ .root_fd = -1 };
	if (start_traced(a, tr, err) < 0)
		return -1;
	w->sb = tr->sb;
	pthread_t th;
	if (pthread_create(&th, NULL, watch_main, w) != 0) {
		kill(sandbox_init_pid(tr->sb), SIGKILL);
		return q_error(err, 0, "could not start the watcher thread");
	}
	int rc = tracer_run(tr->t, &tr->status, err);
	atomic_store(&w->done, true);
	pthread_join(th, NULL);
	tr->ended = time(NULL);
	return rc;
}

static void traced_release(struct traced *tr)
{
	tracer_free(tr->t);
	sandbox_free(tr->sb);
	if (tr->root_fd >= 0)
		close(tr->root_fd);
}

static int write_rbom(const struct profile_args *a, json_t *doc)
{
	struct qerr err = QERR_INIT;
	struct output out;
	if (out_open(&out, a->co.output, &err) < 0)
		return fail("profile", &err);
	char *s = json_dump_sorted(doc, true);
	fprintf(out.f, "%s\n", s);
	free(s);
	if (out_close(&out, true, &err) < 0)
		return fail("profile", &err);
	if (a->co.format == FORMAT_TABLE && !a->co.quiet)
		rbom_print_table(stderr, doc);
	return EXIT_OK;
}

/* The workload's exit code, or what ending it says. */
static int exit_code(const struct watch *w, const struct traced *tr)
{
	if (w->timed_out) {
		fprintf(stderr, "quench: profile: timed out after %u s: killed the workload and "
				"everything it started\n", w->a->w.spec.timeout);
		return 124;
	}
	if (w->probe_failed) {
		fprintf(stderr, "quench: profile: a probe failed (exit %d); the RBOM holds what "
				"ran until then\n", w->probe_failed);
		return w->probe_failed;
	}
	return w->ended_by_us ? EXIT_OK : exit_code_of(tr->status);
}

static int profile_image(struct profile_args *a, const char *ref)
{
	struct qerr err = QERR_INIT;
	struct image *img = open_image_arg(ref, a->w.platform, &err);
	if (!img || workload_spec(&a->w, img, &err) < 0) {
		image_free(img);
		return fail("profile", &err);
	}
	struct catalog_opts co = { .threads = cpu_count(), .cache_dir = a->w.cache };
	struct catalog *c = catalog_image(img, &co, &err);
	struct traced tr = { .root_fd = -1 };
	struct watch w = { .a = a, .probes = STRVEC_INIT };
	int rc = c && trace_workload(a, &tr, &w, &err) == 0 ? EXIT_OK : fail("profile", &err);
	if (rc == EXIT_OK) {
		size_t n_inj;
		const struct sandbox_injected *inj = sandbox_injected(tr.sb, &n_inj);
		struct rbom_run run = {
			.image_name = ref, .manifest_digest = img->manifest_digest,
			.config_digest = img->config_digest, .argv = a->w.argv.v,
			.workdir = a->w.spec.workdir, .user = a->w.spec.user, .probes = &w.probes,
			.started = tr.started, .ended = tr.ended, .exit_code = exit_code_of(tr.status),
			.rootfs_mode = sandbox_rootfs_mode(tr.sb), .injected = inj,
			.n_injected = n_inj,
		};
		json_t *doc = rbom_build(&run, tracer_report(tr.t), c);
		rc = write_rbom(a, doc);
		json_decref(doc);
		if (rc == EXIT_OK)
			rc = exit_code(&w, &tr);
	}
	traced_release(&tr);
	strvec_clear(&w.probes);
	catalog_free(c);
	image_free(img);
	return rc;
}

/* ---- --merge ---------------------------------------------------------------------------- */

static int merge(const struct profile_args *a, char **argv)
{
	struct qerr err = QERR_INIT;
	size_t n = (size_t)a->n_merge;
	json_t **docs = xcalloc(n + 1, sizeof(*docs));
	int rc = EXIT_OK;
	for (size_t i = 0; i < n && rc == EXIT_OK; i++)
		if (rbom_load(argv[optind + (int)i], &docs[i], &err) < 0)
			rc = fail("profile", &err);
	json_t *doc = NULL;
	if (rc == EXIT_OK && rbom_merge(docs, n, &doc, &err) < 0)
		rc = fail("profile", &err);
	if (rc == EXIT_OK)
		rc = write_rbom(a, doc);
	json_decref(doc);
	for (size_t i = 0; i < n; i++)
		json_decref(docs[i]);
	free(docs);
	return rc;
}

/* ---- options ------------------------------------------------------------------------------ */

/* --merge A.json B.json -o C.json: options may follow the files (the
 * parse stopped at the first); the files are moved to the front. */
static void merge_operands(struct profile_args *a, int argc, char **argv)
{
	int k = optind;
	for (int i = optind; i < argc; i++) {
		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc)
			a->co.output = argv[++i];
		else if (str_starts_with(argv[i], "--output="))
			a->co.output = argv[i] + strlen("--output=");
		else
			argv[k++] = argv[i];
	}
	a->n_merge = k - optind;
}

static int parse_args(struct profile_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		WORKLOAD_LONGOPTS,
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "probe-cmd", required_argument, NULL, OPT_PROBE_CMD },
		{ "merge", no_argument, NULL, OPT_MERGE },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	/* "+": options end at IMAGE; what follows is the command. */
	while ((c = getopt_long(argc, argv, "+" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		int r = common_opt(&a->co, c, optarg, "profile");
		if (r == 0)
			r = workload_option(&a->w, c, optarg, "profile");
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (c == OPT_DURATION && (parse_u64(optarg, 365u * 24 * 3600, &a->duration) < 0 ||
					  !a->duration))
			return usage_error("profile", "--duration '%s' is not a number of seconds",
					   optarg);
		else if (c == OPT_PROBE_CMD)
			strvec_push(&a->probe_cmds, optarg);
		else if (c == OPT_MERGE)
			a->merge = true;
		else if (c != OPT_DURATION)
			return usage_error("profile", "unknown option");
	}
	if (a->merge)
		merge_operands(a, argc, argv);
	common_finish(&a->co);
	if (!a->co.output)
		return usage_error("profile", "-o FILE: where the RBOM goes (stdout is the "
					      "workload's)");
	if (a->merge && a->n_merge < 1)
		return usage_error("profile", "--merge expects RBOM files");
	if (!a->merge && optind >= argc)
		return usage_error("profile", "expected IMAGE");
	if (!a->merge)
		workload_command(&a->w, argc, argv, optind);
	return EXIT_OK;
}

int cmd_profile(int argc, char **argv)
{
	struct profile_args a = { .probe_cmds = STRVEC_INIT };
	int rc = parse_args(&a, argc, argv);
	if (rc == EXIT_OK)
		rc = a.merge ? merge(&a, argv) : profile_image(&a, argv[optind]);
	workload_release(&a.w);
	strvec_clear(&a.probe_cmds);
	return rc;
}
