/* Options, output and errors shared by every verb. */
#include "cmd.h"

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
