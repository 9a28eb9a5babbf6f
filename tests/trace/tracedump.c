/* tracedump [-q] CMD ARG… — run CMD under the tracer on the host and print
 * the report as text (for tests, benchmarks and people; `quench profile`
 * is the product's way). Exits as CMD did (128+N for signal N). -q prints
 * only a summary line on stderr. */
#include "trace/trace.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <sys/socket.h>
#include <sys/wait.h>

static const char *kind_str(enum tracer_port_kind k)
{
	switch (k) {
	case TRACER_BIND: return "bind";
	case TRACER_CONNECT: return "connect";
	case TRACER_LISTEN: return "listen";
	}
	return "?";
}

static void dump(const struct tracer_report *r, FILE *f)
{
	char buf[128];
	for (size_t i = 0; i < r->npaths; i++) {
		const struct tracer_path *p = &r->paths[i];
		fprintf(f, "path %s %s %llu%s%s\n", p->path, tracer_use_str(p->uses, buf, sizeof(buf)),
			(unsigned long long)p->count, p->link_target ? " -> " : "",
			p->link_target ? p->link_target : "");
	}
	for (size_t i = 0; i < r->nexecs; i++)
		fprintf(f, "exec %s argv0=%s %llu\n", r->execs[i].path, r->execs[i].argv0,
			(unsigned long long)r->execs[i].count);
	for (size_t i = 0; i < r->libs.n; i++)
		fprintf(f, "lib %s\n", r->libs.v[i]);
	for (size_t i = 0; i < r->nsyscalls; i++)
		fprintf(f, "syscall %s %d%s %llu\n", r->syscalls[i].name, r->syscalls[i].nr,
			r->syscalls[i].baseline ? " baseline" : "",
			(unsigned long long)r->syscalls[i].count);
	for (size_t i = 0; i < r->nports; i++)
		fprintf(f, "port %s %s %u %s type=%d\n", kind_str(r->ports[i].kind),
			r->ports[i].family == AF_INET6 ? "inet6" : "inet", r->ports[i].port,
			r->ports[i].addr, r->ports[i].type);
	for (size_t i = 0; i < r->root_reasons.n; i++)
		fprintf(f, "root %s\n", r->root_reasons.v[i]);
	for (size_t i = 0; i < r->nprocs; i++)
		fprintf(f, "proc %d ppid=%d exe=%s status=%#x threads=%llu stops=%llu\n",
			(int)r->procs[i].pid, (int)r->procs[i].ppid,
			r->procs[i].exe ? r->procs[i].exe : "-", r->procs[i].status,
			(unsigned long long)r->procs[i].threads, (unsigned long long)r->procs[i].stops);
	for (size_t i = 0; i < r->warnings.n; i++)
		fprintf(f, "warning %s\n", r->warnings.v[i]);
	fprintf(f, "stops %llu lookups %llu exit-stops %llu\n", (unsigned long long)r->stops,
		(unsigned long long)r->lookups, (unsigned long long)r->exit_stops);
}

int main(int argc, char **argv)
{
	bool quiet = argc > 1 && !strcmp(argv[1], "-q");
	char **cmd = argv + 1 + quiet;
	if (!*cmd) {
		fprintf(stderr, "usage: tracedump [-q] CMD ARG...\n");
		return 2;
	}
	struct qerr err = QERR_INIT;
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct tracer *t = NULL;
	int status = 0;
	if (tracer_spawn(cmd, root, &t, &err) < 0 || tracer_run(t, &status, &err) < 0) {
		fprintf(stderr, "tracedump: %s\n", err.msg);
		tracer_free(t);
		return 3;
	}
	const struct tracer_report *r = tracer_report(t);
	if (quiet)
		fprintf(stderr, "tracedump: %zu paths, %zu syscalls, %llu stops (%llu lookups, %llu at exit), "
			"%zu processes\n", r->npaths, r->nsyscalls, (unsigned long long)r->stops,
			(unsigned long long)r->lookups, (unsigned long long)r->exit_stops, r->nprocs);
	else
		dump(r, stdout);
	tracer_free(t);
	close(root);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 3;
}
