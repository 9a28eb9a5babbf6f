/* quench profile's engine: the workload started held in the sandbox,
 * seized by the tracer, released; a watcher thread forwards signals, runs
 * the probes and ends the workload at the duration, the timeout or after
 * the probes, while the calling thread runs the tracer (ptrace requests
 * must come from the thread that attached). */
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
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long the workload gets between SIGTERM and SIGKILL when we end it. */
#define PROFILE_GRACE_MS 5000

/* ---- the watcher ------------------------------------------------------------------------ */

struct watch {
	struct sandbox *sb;
	const struct profile_spec *ps;
	struct profile_run *r;
	atomic_bool done;            /* the tracer saw the whole tree go */
	int done_fd;                 /* eventfd, written once done is set: wakes us */
	int sig_fd;                  /* signalfd of the forwarded signals (blocked) */
	int signals;                 /* INT/TERM received */
};

/* Wait up to wait_ms for a signal to forward, or for the end. */
static void forward_signals(struct watch *w, int wait_ms)
{
	struct pollfd pf[2] = { { w->sig_fd, POLLIN, 0 }, { w->done_fd, POLLIN, 0 } };
	struct signalfd_siginfo si;
	if (poll(pf, 2, wait_ms) <= 0 || !(pf[0].revents & POLLIN) ||
	    read(w->sig_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	int sig = (int)si.ssi_signo;
	kill(sandbox_workload_pid(w->sb), sig);
	if ((sig == SIGINT || sig == SIGTERM) && ++w->signals > 1)
		kill(sandbox_init_pid(w->sb), SIGKILL);   /* a second one: everything, now */
}

/* Sleep up to ms, forwarding signals; true when the workload is gone. */
static bool idle(struct watch *w, int64_t ms)
{
	for (int64_t end = now_ms() + ms; !atomic_load(&w->done) && now_ms() < end;)
		forward_signals(w, (int)(end - now_ms() < 100 ? end - now_ms() : 100));
	return atomic_load(&w->done);
}

/* End the workload: SIGTERM, then everything after the grace period. */
static void end_workload(struct watch *w)
{
	w->r->ended_by_us = true;
	kill(sandbox_workload_pid(w->sb), SIGTERM);
	if (!idle(w, PROFILE_GRACE_MS))
		kill(sandbox_init_pid(w->sb), SIGKILL);
}

/* A probe runs in (some of) the sandbox's namespaces, untraced. The tracer
 * waits on any child of ours, so the probe's status comes back through a
 * pipe from an intermediate process, never from waitpid; its stdout (when
 * out_fd is wanted) through another. */
struct probe {
	char *const *argv;           /* argv[0]: an absolute path */
	char *const *alt_argv;       /* when argv[0] cannot be exec'd (NULL: none), */
	char *const *alt_paths;      /* from where: tried in turn */
	int ns;                      /* CLONE_NEW* to join */
	bool in_root;                /* chdir to the sandbox's / (with its mount namespace) */
	bool stdout_to_stderr;
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
			else if (pr->stdout_to_stderr)
				dup2(STDERR_FILENO, STDOUT_FILENO);
			if (pr->in_root && chdir("/") < 0)
				_exit(127);
			execve(pr->argv[0], pr->argv, w->ps->sandbox->envp);
			for (size_t i = 0; pr->alt_paths && pr->alt_paths[i]; i++)
				execve(pr->alt_paths[i], pr->alt_argv, w->ps->sandbox->envp);
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

int profile_exit_code(int st)
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
			strvec_take(&w->r->probes, xstrndup(line, (size_t)(nl - line)));
		if (!*nl)
			break;
	}
	strbuf_release(&buf);
	return st;
}

static void note_probe(struct watch *w, const char *what, int st)
{
	int code = st == -1 ? 125 : profile_exit_code(st);
	strvec_take(&w->r->probes, st == -1 ? xasprintf("%s (ended with the workload)", what)
					 : xasprintf("%s (exit %d)", what, code));
	if (code && !w->r->probe_failed)
		w->r->probe_failed = code;
}

/* A command runs through /bin/sh -c; without shell syntax it can also be
 * exec'd as its words, argv[0] looked for in the workload's PATH, which is
 * what happens where there is no shell (a hardened image). */
static bool shell_syntax(const char *cmd)
{
	size_t first = strcspn(cmd, " \t");
	return strpbrk(cmd, "|&;<>()$`\\\"'*?[#~{\n") != NULL || memchr(cmd, '=', first);
}

static void split_words(const char *cmd, struct strvec *argv)
{
	for (const char *p = cmd + strspn(cmd, " \t"); *p;) {
		size_t n = strcspn(p, " \t");
		strvec_take(argv, xstrndup(p, n));
		p += n + strspn(p + n, " \t");
	}
}

void profile_command_argv(const char *cmd, struct strvec *argv)
{
	if (!shell_syntax(cmd)) {
		split_words(cmd, argv);
		return;
	}
	strvec_push(argv, "/bin/sh");
	strvec_push(argv, "-c");
	strvec_push(argv, cmd);
}

static void probe_words(const char *cmd, char *const *envp, struct strvec *argv,
			struct strvec *paths)
{
	if (shell_syntax(cmd))
		return;
	split_words(cmd, argv);
	if (!argv->n)
		return;
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (size_t i = 0; envp && envp[i]; i++)
		if (str_starts_with(envp[i], "PATH="))
			path = envp[i] + 5;
	if (strchr(argv->v[0], '/')) {
		strvec_push(paths, argv->v[0]);
		return;
	}
	for (const char *d = path; *d;) {
		size_t n = strcspn(d, ":");
		if (n && d[0] == '/')
			strvec_take(paths, xasprintf("%.*s/%s", (int)n, d, argv->v[0]));
		d += n + (d[n] == ':');
	}
}

static void run_probe_cmd(struct watch *w, const char *cmd)
{
	char *const sh[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	struct strvec argv = STRVEC_INIT, paths = STRVEC_INIT;
	probe_words(cmd, w->ps->sandbox->envp, &argv, &paths);
	struct probe pr = { sh, argv.v, paths.v, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID |
							 CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS,
			    true, w->ps->probe_output_to_stderr };
	cleanup_free char *what = xasprintf("cmd: %s", cmd);
	int fd;
	if (probe_spawn(w, &pr, &fd, NULL) < 0) {
		strvec_take(&w->r->probes, xasprintf("%s (could not start: %s)", what,
						     strerror(errno)));
		w->r->probe_failed = w->r->probe_failed ? w->r->probe_failed : 126;
	} else {
		note_probe(w, what, probe_wait(w, fd, -1));
		close(fd);
	}
	strvec_clear(&argv);
	strvec_clear(&paths);
}

/* The HTTP requests, sent by quench itself (__probe-http) from inside the
 * sandbox's network namespace: 127.0.0.1 is the workload's. */
static void run_probe_http(struct watch *w)
{
	char wait[24];
	snprintf(wait, sizeof(wait), "%" PRIu64, w->ps->probe_wait);
	char *const argv[] = { "/proc/self/exe", "__probe-http", (char *)w->ps->http_file, wait,
			       NULL };
	struct probe pr = { argv, NULL, NULL, CLONE_NEWUSER | CLONE_NEWNET, false, false };
	int fd, out;
	if (probe_spawn(w, &pr, &fd, &out) < 0) {
		strvec_take(&w->r->probes, xasprintf("http: could not start: %s", strerror(errno)));
		w->r->probe_failed = w->r->probe_failed ? w->r->probe_failed : 126;
		return;
	}
	note_probe(w, "http", probe_wait(w, fd, out));
	close(fd);
	close(out);
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	const struct profile_spec *ps = w->ps;
	int64_t start = now_ms();
	size_t n_cmds = ps->probe_cmds ? ps->probe_cmds->n : 0;
	if (n_cmds || ps->http_file) {
		if (ps->http_file)
			run_probe_http(w);
		for (size_t i = 0; i < n_cmds && !atomic_load(&w->done); i++)
			run_probe_cmd(w, ps->probe_cmds->v[i]);
		if (!atomic_load(&w->done))
			end_workload(w);
		return NULL;
	}
	uint64_t limit = ps->duration ? ps->duration : ps->sandbox->timeout;
	if (!limit) {
		while (!atomic_load(&w->done))
			forward_signals(w, 100);
		return NULL;
	}
	if (!idle(w, (int64_t)limit * 1000 - (now_ms() - start))) {
		w->r->timed_out = !ps->duration;
		end_workload(w);
	}
	return NULL;
}

/* ---- one traced run ------------------------------------------------------------------------ */

/* Start the sandbox held, seize the workload, let it go. */
static int start_traced(struct sandbox_spec *spec, struct profile_run *r, struct qerr *err)
{
	spec->hold = true;
	if (!tracer_filter())
		return q_error(err, 0, "the tracer does not support this architecture");
	r->started = time(NULL);
	if (sandbox_start(spec, &r->sb, err) < 0)
		return -1;
	pid_t pid = sandbox_workload_pid(r->sb);
	char root[64];
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	r->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->root_fd < 0)
		return q_error(err, errno, "open %s", root);
	if (tracer_attach(pid, r->root_fd, &r->t, err) < 0)
		return -1;
	return sandbox_release(r->sb, err);
}

/* Untraced: the sandbox as specified (its seccomp filter enforced); the
 * calling thread waits. An exec that failed inside is the run's result,
 * not an error: validation compares it. */
static int wait_untraced(struct profile_run *r, struct qerr *err)
{
	struct qerr werr = QERR_INIT;
	r->exit_code = 125;
	if (sandbox_wait(r->sb, &r->exit_code, &werr) < 0) {
		if (r->exit_code != 126 && r->exit_code != 127)
			return q_error(err, werr.errnum, "%s", werr.msg);
		r->failure = xstrdup(werr.msg);
	}
	r->timed_out = r->timed_out || sandbox_timed_out(r->sb);
	return 0;
}

/* The signals sandbox_start blocked, which the watcher forwards. */
static int watch_signalfd(void)
{
	sigset_t set;
	sandbox_forwarded_set(&set);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static void watch_close(struct watch *w)
{
	if (w->sig_fd >= 0)
		close(w->sig_fd);
	if (w->done_fd >= 0)
		close(w->done_fd);
}

static void *meanwhile_main(void *arg)
{
	const struct profile_spec *ps = arg;
	ps->meanwhile(ps->meanwhile_arg);
	return NULL;
}

int profile_run(const struct profile_spec *ps, struct profile_run *r, struct qerr *err)
{
	*r = (struct profile_run){ .root_fd = -1, .probes = STRVEC_INIT };
	if (ps->untraced) {
		r->started = time(NULL);
		if (sandbox_start(ps->sandbox, &r->sb, err) < 0)
			return -1;
	} else if (start_traced(ps->sandbox, r, err) < 0) {
		return -1;
	}
	struct watch w = { .sb = r->sb, .ps = ps, .r = r, .sig_fd = watch_signalfd(),
			   .done_fd = eventfd(0, EFD_CLOEXEC) };
	pthread_t th, bg;
	if (w.sig_fd < 0 || w.done_fd < 0 || pthread_create(&th, NULL, watch_main, &w) != 0) {
		kill(sandbox_init_pid(r->sb), SIGKILL);
		watch_close(&w);
		return q_error(err, 0, "could not start the watcher thread");
	}
	bool meanwhile = ps->meanwhile && pthread_create(&bg, NULL, meanwhile_main, (void *)ps) == 0;
	int rc = ps->untraced ? wait_untraced(r, err) : tracer_run(r->t, &r->status, err);
	if (!ps->untraced)
		r->exit_code = profile_exit_code(r->status);
	atomic_store(&w.done, true);
	uint64_t one = 1;
	(void)!write(w.done_fd, &one, sizeof(one));
	pthread_join(th, NULL);
	watch_close(&w);
	r->ended = time(NULL);
	if (meanwhile)
		pthread_join(bg, NULL);
	else if (ps->meanwhile)
		ps->meanwhile(ps->meanwhile_arg);
	return rc;
}

int profile_rbom(const struct profile_spec *ps, const char *image_name, const struct catalog *c,
		 struct profile_run *r, json_t **doc, struct qerr *err)
{
	*doc = NULL;
	if (profile_run(ps, r, err) < 0)
		return -1;
	*doc = profile_rbom_build(ps, image_name, c, r);
	return 0;
}

json_t *profile_rbom_build(const struct profile_spec *ps, const char *image_name,
			   const struct catalog *c, struct profile_run *r)
{
	const struct sandbox_spec *s = ps->sandbox;
	size_t n_inj;
	const struct sandbox_injected *inj = sandbox_injected(r->sb, &n_inj);
	struct rbom_run run = {
		.image_name = image_name, .manifest_digest = s->image->manifest_digest,
		.config_digest = s->image->config_digest, .argv = s->argv, .workdir = s->workdir,
		.user = s->user, .probes = &r->probes, .started = r->started, .ended = r->ended,
		.exit_code = r->exit_code, .rootfs_mode = sandbox_rootfs_mode(r->sb),
		.injected = inj, .n_injected = n_inj,
	};
	return rbom_build(&run, tracer_report(r->t), c);
}

void profile_run_release(struct profile_run *r)
{
	tracer_free(r->t);
	sandbox_free(r->sb);
	if (r->root_fd >= 0)
		close(r->root_fd);
	strvec_clear(&r->probes);
	free(r->failure);
	memset(r, 0, sizeof(*r));
	r->root_fd = -1;
}

/* ---- HTTP requests -------------------------------------------------------------------------- */

int profile_http_requests(const struct strvec *urls, const char *file, char **out,
			  struct qerr *err)
{
	json_t *reqs = json_array();
	if (file) {
		json_t *f;
		if (probe_http_load(file, &f, err) < 0) {
			json_decref(reqs);
			return -1;
		}
		json_array_extend(reqs, f);
		json_decref(f);
	}
	for (size_t i = 0; urls && i < urls->n; i++)
		json_array_append_new(reqs, json_pack("{s:s, s:s}", "method", "GET", "url",
						      urls->v[i]));
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	*out = xasprintf("%s/quench-probe-XXXXXX", tmp);
	int fd = mkstemp(*out);
	char *text = json_dumps(reqs, JSON_COMPACT);
	int rc = fd >= 0 && text ? write_all(fd, text, strlen(text), err) : -1;
	if (fd < 0)
		rc = q_error(err, errno, "create '%s'", *out);
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(reqs);
	/* __probe-http reads it after joining the sandbox's user namespace. */
	return rc < 0 ? -1 : chmod(*out, 0644);
}

