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
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { OPT_DURATION = 256, OPT_PROBE_CMD, OPT_PROBE_HTTP, OPT_PROBE_HTTP_FILE, OPT_PROBE_WAIT,
       OPT_MERGE };

/* How long the workload gets between SIGTERM and SIGKILL when we end it. */
#define PROFILE_GRACE_MS 5000

struct profile_args {
	struct common_opts co;
	struct workload_opts w;
	uint64_t duration;          /* seconds; 0: until the workload exits */
	struct strvec probe_cmds;
	struct strvec probe_urls;   /* --probe-http: GETs */
	const char *probe_http_file;
	uint64_t probe_wait;        /* seconds an HTTP probe waits for the port */
	char *http_file;            /* every HTTP request, written for __probe-http */
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

/* A probe runs in (some of) the sandbox's namespaces, untraced. The tracer
 * waits on any child of ours, so the probe's status comes back through a
 * pipe from an intermediate process, never from waitpid; its stdout (when
 * out_fd is wanted) through another. */
struct probe {
	char *const *argv;
	int ns;                      /* CLONE_NEW* to join */
	bool in_root;                /* chdir to the sandbox's / (with its mount namespace) */
};

/* The child side: async-signal-safe only (we forked a threaded process). */
static void probe_child(struct watch *w, const struct probe *pr, int pidfd, int st_fd, int out_fd)
{
	int st = 126 << 8;
	if (setns(pidfd, pr->ns) == 0) {
		pid_t b = fork();
		if (b == 0) {
			sigset_t none;
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			if (out_fd >= 0)
				dup2(out_fd, STDOUT_FILENO);
			if (!pr->in_root || chdir("/") == 0)
				execve(pr->argv[0], pr->argv, w->a->w.envp.v);
			_exit(127);
		}
		while (b > 0 && waitpid(b, &st, 0) < 0 && errno == EINTR)
			;
	}
	ssize_t n = write(st_fd, &st, sizeof(st));
	_exit(n == sizeof(st) ? 0 : 1);
}

static int probe_spawn(struct watch *w, const struct probe *pr, int *st_fd, int *out_fd)
{
	int st[2] = { -1, -1 }, out[2] = { -1, -1 };
	int pidfd = (int)syscall(SYS_pidfd_open, sandbox_init_pid(w->sb), 0);
	pid_t a = -1;
	if (pidfd >= 0 && pipe2(st, O_CLOEXEC) == 0 && (!out_fd || pipe2(out, O_CLOEXEC) == 0))
		a = fork();
	if (a == 0)
		probe_child(w, pr, pidfd, st[1], out[1]);
	int saved = errno;
	if (pidfd >= 0)
		close(pidfd);
	if (st[1] >= 0)
		close(st[1]);
	if (out[1] >= 0)
		close(out[1]);
	if (a < 0) {
		if (st[0] >= 0)
			close(st[0]);
		if (out[0] >= 0)
			close(out[0]);
		errno = saved;
		return -1;
	}
	*st_fd = st[0];
	if (out_fd)
		*out_fd = out[0];
	return 0;
}

static int exit_code_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

/* Wait for a probe, forwarding signals, reading its output lines into the
 * notes; its exit status, or -1 when the workload ended first. */
static int probe_wait(struct watch *w, int st_fd, int out_fd)
{
	struct strbuf buf = STRBUF_INIT;
	struct pollfd pfd[2] = { { .fd = st_fd, .events = POLLIN }, { .fd = out_fd, .events = POLLIN } };
	while (!atomic_load(&w->done) && poll(pfd, 1, 0) == 0) {
		if (out_fd >= 0 && poll(pfd + 1, 1, 0) > 0) {
			char chunk[4096];
			ssize_t n = read(out_fd, chunk, sizeof(chunk));
			if (n > 0 && buf.len < (1u << 20))
				strbuf_add(&buf, chunk, (size_t)n);
			else if (n <= 0)
				pfd[1].fd = -1, out_fd = -1;
			continue;
		}
		forward_signals(w, 50);
	}
	int st = -1;
	if (read(st_fd, &st, sizeof(st)) != sizeof(st))
		st = -1;
	/* The probe is over: what it wrote is all there, up to EOF. */
	for (ssize_t n = 1; st != -1 && out_fd >= 0 && n > 0 && buf.len < (1u << 20);) {
		char chunk[4096];
		n = read(out_fd, chunk, sizeof(chunk));
		if (n > 0)
			strbuf_add(&buf, chunk, (size_t)n);
	}
	for (char *line = buf.buf, *nl; line && *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		if (nl > line)
			strvec_take(&w->probes, xstrndup(line, (size_t)(nl - line)));
		if (!*nl)
			break;
	}
	strbuf_release(&buf);
	return st;
}

static void note_probe(struct watch *w, const char *what, int st)
{
	int code = st == -1 ? 125 : exit_code_of(st);
	strvec_take(&w->probes, st == -1 ? xasprintf("%s (ended with the workload)", what)
					 : xasprintf("%s (exit %d)", what, code));
	if (code && !w->probe_failed)
		w->probe_failed = code;
}

static void run_probe_cmd(struct watch *w, const char *cmd)
{
	char *const argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	struct probe pr = { argv, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
					  CLONE_NEWIPC | CLONE_NEWUTS, true };
	cleanup_free char *what = xasprintf("cmd: %s", cmd);
	int fd;
	if (probe_spawn(w, &pr, &fd, NULL) < 0) {
		strvec_take(&w->probes, xasprintf("%s (could not start: %s)", what, strerror(errno)));
		w->probe_failed = w->probe_failed ? w->probe_failed : 126;
		return;
	}
	note_probe(w, what, probe_wait(w, fd, -1));
	close(fd);
}

/* The HTTP requests, sent by quench itself (__probe-http) from inside the
 * sandbox's network namespace: 127.0.0.1 is the workload's. */
static void run_probe_http(struct watch *w)
{
	char wait[24];
	snprintf(wait, sizeof(wait), "%" PRIu64, w->a->probe_wait);
	char *const argv[] = { "/proc/self/exe", "__probe-http", w->a->http_file, wait, NULL };
	struct probe pr = { argv, CLONE_NEWUSER | CLONE_NEWNET, false };
	int fd, out;
	if (probe_spawn(w, &pr, &fd, &out) < 0) {
		strvec_take(&w->probes, xasprintf("http: could not start: %s", strerror(errno)));
		w->probe_failed = w->probe_failed ? w->probe_failed : 126;
		return;
	}
	note_probe(w, "http", probe_wait(w, fd, out));
	close(fd);
	close(out);
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	const struct profile_args *a = w->a;
	int64_t start = (int64_t)now_ms();
	if (a->probe_cmds.n || a->http_file) {
		if (a->http_file)
			run_probe_http(w);
		for (size_t i = 0; i < a->probe_cmds.n && !atomic_load(&w->done); i++)
			run_probe_cmd(w, a->probe_cmds.v[i]);
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

/* --probe-http URLs and --probe-http-file requests, as one file for
 * __probe-http (checked here, so a bad file fails before anything runs). */
static int write_http_requests(struct profile_args *a, struct qerr *err)
{
	json_t *reqs = json_array();
	if (a->probe_http_file) {
		json_t *f;
		if (probe_http_load(a->probe_http_file, &f, err) < 0) {
			json_decref(reqs);
			return -1;
		}
		json_array_extend(reqs, f);
		json_decref(f);
	}
	for (size_t i = 0; i < a->probe_urls.n; i++)
		json_array_append_new(reqs, json_pack("{s:s, s:s}", "method", "GET", "url",
						      a->probe_urls.v[i]));
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	a->http_file = xasprintf("%s/quench-probe-XXXXXX", tmp);
	int fd = mkstemp(a->http_file);
	char *text = json_dumps(reqs, JSON_COMPACT);
	int rc = fd >= 0 && text ? write_all(fd, text, strlen(text), err) : -1;
	if (fd < 0)
		rc = q_error(err, errno, "create '%s'", a->http_file);
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(reqs);
	/* __probe-http reads it after joining the sandbox's user namespace. */
	return rc < 0 ? -1 : chmod(a->http_file, 0644);
}

static int profile_image(struct profile_args *a, const char *ref)
{
	struct qerr err = QERR_INIT;
	if ((a->probe_urls.n || a->probe_http_file) && write_http_requests(a, &err) < 0)
		return fail("profile", &err);
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
		{ "probe-http", required_argument, NULL, OPT_PROBE_HTTP },
		{ "probe-http-file", required_argument, NULL, OPT_PROBE_HTTP_FILE },
		{ "probe-wait", required_argument, NULL, OPT_PROBE_WAIT },
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
		else if (c == OPT_PROBE_HTTP)
			strvec_push(&a->probe_urls, optarg);
		else if (c == OPT_PROBE_HTTP_FILE)
			a->probe_http_file = optarg;
		else if (c == OPT_PROBE_WAIT && parse_u64(optarg, 86400, &a->probe_wait) < 0)
			return usage_error("profile", "--probe-wait '%s' is not a number of seconds",
					   optarg);
		else if (c == OPT_MERGE)
			a->merge = true;
		else if (c != OPT_DURATION && c != OPT_PROBE_WAIT)
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
	struct profile_args a = { .probe_cmds = STRVEC_INIT, .probe_urls = STRVEC_INIT,
				  .probe_wait = 60 };
	int rc = parse_args(&a, argc, argv);
	if (rc == EXIT_OK)
		rc = a.merge ? merge(&a, argv) : profile_image(&a, argv[optind]);
	workload_release(&a.w);
	strvec_clear(&a.probe_cmds);
	strvec_clear(&a.probe_urls);
	if (a.http_file)
		unlink(a.http_file);
	free(a.http_file);
	return rc;
}
