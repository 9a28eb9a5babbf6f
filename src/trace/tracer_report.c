/* The tracer's results: sorted, deterministic, freed with the tracer. */
#include "trace/tracer_internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <sys/wait.h>

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct tracer_path *)a)->path, ((const struct tracer_path *)b)->path);
}

static int cmp_exec(const void *a, const void *b)
{
	const struct tracer_exec *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : strcmp(x->argv0, y->argv0);
}

static int cmp_port(const void *a, const void *b)
{
	const struct tracer_port *x = a, *y = b;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	if (x->port != y->port)
		return (int)x->port - (int)y->port;
	if (x->family != y->family)
		return x->family - y->family;
	if (x->type != y->type)
		return x->type - y->type;
	return strcmp(x->addr, y->addr);
}

static void add_sc(struct tracer_report *r, size_t *cap, const char *name, uint32_t arch, int nr,
		   bool baseline, uint64_t count)
{
	r->syscalls = xgrow(r->syscalls, cap, r->nsyscalls + 1, sizeof(*r->syscalls));
	r->syscalls[r->nsyscalls++] = (struct tracer_syscall){ name, arch, nr, baseline, count };
}

static void build_syscalls(struct tracer *t, struct tracer_report *r)
{
	size_t cap = 0;
	for (int nr = 0; nr < SC_MAX; nr++) {
		bool base = sc_is_baseline(nr);
		if (!base && !t->sc_count[nr])
			continue;
		const char *name = sc_name(nr);
		if (!name) {
			strvec_take(&t->names, xasprintf("x86_64:%d", nr));
			name = t->names.v[t->names.n - 1];
		}
		add_sc(r, &cap, name, AUDIT_ARCH_X86_64, nr, base, t->sc_count[nr]);
	}
	for (int nr = 0; nr < SC_MAX; nr++) {
		if (t->foreign_i386[nr]) {
			strvec_take(&t->names, xasprintf("i386:%d", nr));
			add_sc(r, &cap, t->names.v[t->names.n - 1], AUDIT_ARCH_I386, nr, false,
			       t->foreign_i386[nr]);
		}
		if (t->foreign_x32[nr]) {
			strvec_take(&t->names, xasprintf("x32:%d", nr));
			add_sc(r, &cap, t->names.v[t->names.n - 1], AUDIT_ARCH_X86_64,
			       (int)(nr | 0x40000000), false, t->foreign_x32[nr]);
		}
	}
}

const struct tracer_report *tracer_report(struct tracer *t)
{
	struct tracer_report *r = &t->report;
	if (t->report_built)
		return r;
	t->report_built = true;
	/* sorting moves entries: the index is no longer needed */
	strmap_release(&t->pathidx);
	if (t->npaths > 1)   /* qsort(NULL, 0) is undefined */
		qsort(t->paths, t->npaths, sizeof(*t->paths), cmp_path);
	if (t->nexecs > 1)
		qsort(t->execs, t->nexecs, sizeof(*t->execs), cmp_exec);
	if (t->nports > 1)
		qsort(t->ports, t->nports, sizeof(*t->ports), cmp_port);
	strmap_release(&t->libidx);
	strvec_sort(&t->libs);
	strvec_sort(&t->root_reasons);
	r->paths = t->paths;
	r->npaths = t->npaths;
	r->execs = t->execs;
	r->nexecs = t->nexecs;
	r->libs = t->libs;
	r->ports = t->ports;
	r->nports = t->nports;
	r->root_reasons = t->root_reasons;
	r->procs = t->procs;
	r->nprocs = t->nprocs;
	r->warnings = t->warnings;
	r->stops = t->stops;
	r->exit_stops = t->exit_stops;
	r->lookups = t->lookups;
	build_syscalls(t, r);
	return r;
}

void tracer_free(struct tracer *t)
{
	if (!t)
		return;
	/* a run that failed half-way: the tracees must not outlive us */
	for (size_t i = 0; i < t->tcap; i++)
		if (t->threads[i].tid) {
			kill(t->threads[i].tid, SIGKILL);
			pending_clear(&t->threads[i].pend);
		}
	for (size_t i = 0; i < t->tcap; i++)
		if (t->threads[i].tid)
			while (waitpid(t->threads[i].tid, NULL, __WALL) < 0 && errno == EINTR)
				;
	notify_stop(t);
	pthread_mutex_destroy(&t->lock);
	free(t->threads);
	for (size_t i = 0; i < t->npaths; i++) {
		free(t->paths[i].path);
		free(t->paths[i].link_target);
	}
	free(t->paths);
	strmap_release(&t->pathidx);
	for (size_t i = 0; i < t->nexecs; i++) {
		free(t->execs[i].path);
		free(t->execs[i].argv0);
	}
	free(t->execs);
	strvec_clear(&t->libs);
	strmap_release(&t->libidx);
	free(t->sc_count);
	free(t->foreign_i386);
	free(t->foreign_x32);
	free(t->ports);
	strvec_clear(&t->root_reasons);
	for (size_t i = 0; i < t->nprocs; i++)
		free(t->procs[i].exe);
	free(t->procs);
	free(t->maps_gen);
	strvec_clear(&t->warnings);
	strvec_clear(&t->names);
	dircache_clear(t);
	free(t->report.syscalls);
	free(t->root_prefix);
	free(t);
}

const char *tracer_use_str(unsigned uses, char *buf, size_t len)
{
	static const char *const names[] = { "exec", "read", "write", "stat", "missing",
					     "error", "symlink", "lib" };
	size_t o = 0;
	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(uses & (1u << i)))
			continue;
		int n = snprintf(buf + o, len - o, "%s%s", o ? "," : "", names[i]);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	return buf;
}
