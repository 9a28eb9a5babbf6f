/* Options, output and errors shared by every verb. */
#include "cmd.h"
#include "image/image.h"

#include <time.h>

#include <errno.h>

int common_opt(struct common_opts *co, int c, const char *arg, const char *verb)
{
	switch (c) {
	case 'o':
		co->output = arg;
		return 1;
	case 'F':
		if (!strcmp(arg, "table"))
			co->format = FORMAT_TABLE;
		else if (!strcmp(arg, "json"))
			co->format = FORMAT_JSON;
		else
			return 0;
		co->format_set = true;
		return 1;
	case 'q':
		co->quiet = true;
		return 1;
	case 'v':
		co->verbose++;
		return 1;
	case 'h': {
		const struct verb *v = verb_find(verb);
		if (v)
			printf("%s\n%s", v->summary, v->usage);
		exit(fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME);
	}
	default:
		return 0;
	}
}

void common_finish(struct common_opts *co)
{
	if (!co->format_set)
		co->format = (!co->output && isatty(STDOUT_FILENO)) ? FORMAT_TABLE : FORMAT_JSON;
	if (co->quiet)
		q_log_set_level(Q_LOG_QUIET);
	else if (co->verbose >= 2)
		q_log_set_level(Q_LOG_DEBUG);
	else if (co->verbose == 1)
		q_log_set_level(Q_LOG_INFO);
}

int fail(const char *verb, const struct qerr *err)
{
	fprintf(stderr, "quench: %s: %s\n", verb, err->msg[0] ? err->msg : "failed");
	return EXIT_RUNTIME;
}

int usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "quench: %s: ", verb);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nsee 'quench help %s'\n", verb);
	va_end(ap);
	return EXIT_USAGE;
}

int out_open(struct output *o, const char *path, struct qerr *err)
{
	memset(o, 0, sizeof(*o));
	o->af.fd = -1;
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return 0;
	}
	if (atomic_file_open(&o->af, path, 0644, err) < 0)
		return -1;
	o->f = fdopen(o->af.fd, "w");
	if (!o->f) {
		atomic_file_abort(&o->af);
		return q_error(err, errno, "fdopen '%s'", path);
	}
	o->to_file = true;
	return 0;
}

int out_close(struct output *o, bool ok, struct qerr *err)
{
	if (!o->to_file) {
		if (fflush(stdout) != 0 || ferror(stdout))
			return q_error(err, errno, "write to standard output");
		return 0;
	}
	/* fclose closes the atomic file's fd; tell it so. */
	int flush_failed = fflush(o->f) != 0 || ferror(o->f);
	int saved = errno;
	int fd = dup(o->af.fd);
	fclose(o->f);
	o->f = NULL;
	o->af.fd = fd;
	if (!ok || flush_failed || fd < 0) {
		atomic_file_abort(&o->af);
		if (ok)
			return q_error(err, saved, "write '%s'", o->af.final ? o->af.final : "output");
		return 0;
	}
	return atomic_file_commit(&o->af, err);
}

int cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

struct image *open_image_arg(const char *arg, const char *platform, struct qerr *err)
{
	struct image_ref ref = IMAGE_REF_INIT;
	struct platform want;
	if (platform && platform_parse(platform, &want, err) < 0)
		return NULL;
	if (image_ref_parse(arg, &ref, err) < 0)
		return NULL;
	struct image *img = image_open(&ref, platform ? &want : NULL, err);
	image_ref_release(&ref);
	return img;
}

void progress_start(struct progress *p, const struct common_opts *co, const char *label,
		    uint64_t total)
{
	p->on = !co->quiet && isatty(STDERR_FILENO);
	p->label = label;
	p->total = total;
	p->start_ms = now_ms();
	p->last_shown_ms = 0;
}

void progress_update(struct progress *p, uint64_t done)
{
	if (!p->on)
		return;
	uint64_t t = now_ms();
	if (t - p->last_shown_ms < 100)
		return;
	p->last_shown_ms = t;
	char a[32], b[32];
	int pct = p->total ? (int)(done * 100 / p->total) : 0;
	int bar = pct / 5;
	double secs = (double)(t - p->start_ms) / 1000.0;
	fprintf(stderr, "\r\033[K%-28.28s [%.*s%*s] %3d%% %s/%s %.0f MiB/s", p->label, bar,
		"####################", 20 - bar, "", pct, human_size(done, a, sizeof(a)),
		human_size(p->total, b, sizeof(b)),
		secs > 0 ? (double)done / secs / 1048576.0 : 0.0);
}

void progress_end(struct progress *p)
{
	if (p->on)
		fprintf(stderr, "\r\033[K");
}

char *cache_dir(void)
{
	const char *q = getenv("QUENCH_CACHE_DIR");
	if (q && *q)
		return xstrdup(q);
	const char *x = getenv("XDG_CACHE_HOME");
	if (x && *x == '/')
		return xasprintf("%s/quench", x);
	const char *home = getenv("HOME");
	return xasprintf("%s/.cache/quench", home && *home ? home : "/tmp");
}
