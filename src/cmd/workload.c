/* The options of a verb that runs an image's workload in the sandbox
 * (run, profile, harden): mounts, env, user, workdir, entrypoint, network,
 * GPU, timeout, CPUs; the probes; and the sandbox spec they make with the
 * image's config. */
#include "cmd.h"
#include "trace/trace.h"

#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --entrypoint: a JSON array of strings, else one word (as podman). */
static int parse_entrypoint(const char *s, struct strvec *out, struct qerr *err)
{
	if (s[0] != '[') {
		strvec_push(out, s);
		return 0;
	}
	json_t *j = json_parse_bounded(s, strlen(s), 1 << 20, "--entrypoint", err);
	bool ok = j && json_is_array(j);
	for (size_t i = 0; ok && i < json_array_size(j); i++) {
		const char *w = json_string_value(json_array_get(j, i));
		ok = w != NULL;
		if (w)
			strvec_push(out, w);
	}
	json_decref(j);
	return ok ? 0 : q_error(err, 0, "--entrypoint '%s' is not a JSON array of strings", s);
}

/* --cpuset-cpus "0-3,6" (as podman's): the CPUs, each one this process
 * may use. */
static int parse_cpuset(const char *s, cpu_set_t *set, struct qerr *err)
{
	cpu_set_t allowed;
	CPU_ZERO(set);
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return q_error(err, errno, "sched_getaffinity");
	for (const char *p = s; *p;) {
		char *end;
		errno = 0;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p || errno)
			return q_error(err, 0, "--cpuset-cpus '%s': expected CPUs like 0-3,6", s);
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || errno || b < a)
				return q_error(err, 0, "--cpuset-cpus '%s': a bad range", s);
		}
		for (unsigned long c = a; c <= b; c++) {
			if (c >= CPU_SETSIZE || !CPU_ISSET(c, &allowed))
				return q_error(err, 0, "--cpuset-cpus '%s': CPU %lu is not available here",
					       s, c);
			CPU_SET(c, set);
		}
		if (*end && *end != ',')
			return q_error(err, 0, "--cpuset-cpus '%s': expected CPUs like 0-3,6", s);
		p = *end ? end + 1 : end;
	}
	return CPU_COUNT(set) ? 0 : q_error(err, 0, "--cpuset-cpus '%s': no CPU", s);
}

/* --env K=V, or --env K for the value K has here. */
static void add_env(struct strvec *env, const char *kv)
{
	const char *v = strchr(kv, '=') ? NULL : getenv(kv);
	if (strchr(kv, '='))
		strvec_push(env, kv);
	else if (v)
		strvec_take(env, xasprintf("%s=%s", kv, v));
}

int workload_option(struct workload_opts *o, int c, const char *arg, const char *verb)
{
	struct qerr err = QERR_INIT;
	uint64_t secs;
	switch (c) {
	case WOPT_MOUNT:
		o->mounts = xgrow(o->mounts, &o->cap_mounts, o->n_mounts + 1, sizeof(*o->mounts));
		if (sandbox_mount_parse(arg, &o->mounts[o->n_mounts], &err) < 0)
			return usage_error(verb, "%s", err.msg), -1;
		o->n_mounts++;
		return 1;
	case WOPT_ENV: add_env(&o->env, arg); return 1;
	case WOPT_TIMEOUT:
		if (parse_u64(arg, 365u * 24 * 3600, &secs) < 0 || secs == 0)
			return usage_error(verb, "--timeout '%s' is not a number of seconds", arg), -1;
		o->spec.timeout = (unsigned)secs;
		return 1;
	case WOPT_USER: o->user = arg; return 1;
	case WOPT_WORKDIR: o->workdir = arg; return 1;
	case WOPT_PLATFORM: o->platform = arg; return 1;
	case WOPT_GPU: o->spec.gpu = true; return 1;
	case WOPT_GPU_DRIVER_DIR: o->spec.gpu_driver_dir = arg; o->spec.gpu = true; return 1;
	case WOPT_NO_OVERLAY: o->spec.no_overlay = true; return 1;
	case WOPT_CPUSET:
		if (parse_cpuset(arg, &o->cpus, &err) < 0)
			return usage_error(verb, "%s", err.msg), -1;
		o->has_cpus = true;
		return 1;
	case WOPT_NET:
		if (strcmp(arg, "host") && strcmp(arg, "none"))
			return usage_error(verb, "--net '%s': expected host or none", arg), -1;
		o->spec.net_host = !strcmp(arg, "host");
		return 1;
	case WOPT_ENTRYPOINT:
		o->has_entrypoint = true;
		strvec_clear(&o->entrypoint);
		if (parse_entrypoint(arg, &o->entrypoint, &err) < 0)
			return usage_error(verb, "%s", err.msg), -1;
		return 1;
	default: return 0;
	}
}

int probe_option(struct workload_opts *o, int c, const char *arg, const char *verb)
{
	switch (c) {
	case POPT_DURATION:
		if (parse_u64(arg, 365u * 24 * 3600, &o->duration) < 0 || !o->duration)
			return usage_error(verb, "--duration '%s' is not a number of seconds", arg), -1;
		return 1;
	case POPT_CMD: strvec_push(&o->probe_cmds, arg); return 1;
	case POPT_HTTP: strvec_push(&o->probe_urls, arg); return 1;
	case POPT_HTTP_FILE: o->probe_http_file = arg; return 1;
	case POPT_WAIT:
		if (parse_u64(arg, 86400, &o->probe_wait) < 0 || !o->probe_wait)
			return usage_error(verb, "--probe-wait '%s' is not a number of seconds", arg),
			       -1;
		return 1;
	default: return 0;
	}
}

int workload_probes(struct workload_opts *o, struct profile_spec *ps, struct qerr *err)
{
	if ((o->probe_urls.n || o->probe_http_file) && !o->http_file &&
	    profile_http_requests(&o->probe_urls, o->probe_http_file, &o->http_file, err) < 0)
		return -1;
	*ps = (struct profile_spec){ .sandbox = &o->spec, .duration = o->duration,
				     .probe_cmds = &o->probe_cmds, .http_file = o->http_file,
				     .probe_wait = o->probe_wait ? o->probe_wait : 60 };
	return 0;
}

/* After IMAGE: an optional "--", then the command. */
void workload_command(struct workload_opts *o, int argc, char **argv, int image_index)
{
	int i = image_index + 1;
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	for (; i < argc; i++)
		strvec_push(&o->cmd, argv[i]);
}

int workload_spec(struct workload_opts *o, struct image *img, struct qerr *err)
{
	/* quench, and the tracer with it, shares the workload's CPUs: the
	 * workload is measured on those CPUs alone, tracer included. */
	if (o->has_cpus && sched_setaffinity(0, sizeof(o->cpus), &o->cpus) < 0)
		return q_error(err, errno, "--cpuset-cpus");
	if (sandbox_argv(&img->config, o->has_entrypoint ? &o->entrypoint : NULL, &o->cmd,
			 &o->argv, err) < 0)
		return -1;
	sandbox_env(&img->config, &o->env, &o->envp);
	o->cache = cache_dir();
	struct sandbox_spec *s = &o->spec;
	s->image = img;
	s->cache_dir = o->cache;
	s->argv = o->argv.v;
	s->envp = o->envp.v;
	s->user = o->user ? o->user : img->config.user;
	s->workdir = o->workdir ? o->workdir : img->config.workdir;
	s->mounts = o->mounts;
	s->n_mounts = o->n_mounts;
	return 0;
}

void workload_log(const struct sandbox *sb)
{
	q_info("sandbox: root filesystem by %s, workload pid %d", sandbox_rootfs_mode(sb),
	       (int)sandbox_workload_pid(sb));
	size_t n;
	const struct sandbox_injected *inj = sandbox_injected(sb, &n);
	for (size_t i = 0; i < n; i++)
		q_info("injected %s as %s", inj[i].host, inj[i].path);
}

void workload_release(struct workload_opts *o)
{
	for (size_t i = 0; i < o->n_mounts; i++)
		sandbox_mount_release(&o->mounts[i]);
	free(o->mounts);
	strvec_clear(&o->env);
	strvec_clear(&o->entrypoint);
	strvec_clear(&o->cmd);
	strvec_clear(&o->argv);
	strvec_clear(&o->envp);
	strvec_clear(&o->probe_cmds);
	strvec_clear(&o->probe_urls);
	if (o->http_file)
		unlink(o->http_file);
	free(o->http_file);
	free(o->cache);
	memset(o, 0, sizeof(*o));
}
