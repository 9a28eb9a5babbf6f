/* quench run IMAGE [options] [-- CMD ARG...]: the image's workload in the
 * sandbox, untraced; its exit code, stdout and stderr are ours. */
#include "cmd.h"
#include "trace/trace.h"

#include <jansson.h>

enum {
	OPT_MOUNT = 256, OPT_ENV, OPT_TIMEOUT, OPT_USER, OPT_WORKDIR, OPT_PLATFORM, OPT_GPU,
	OPT_GPU_DRIVER_DIR, OPT_NET, OPT_ENTRYPOINT, OPT_NO_OVERLAY,
};

struct run_opts {
	struct sandbox_spec spec;
	struct sandbox_mount *mounts;
	size_t n_mounts, cap_mounts;
	struct strvec env, entrypoint, cmd;
	bool has_entrypoint;
	const char *platform, *user, *workdir;
};

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

/* --env K=V, or --env K for the value K has here. */
static void add_env(struct strvec *env, const char *kv)
{
	const char *v = strchr(kv, '=') ? NULL : getenv(kv);
	if (strchr(kv, '='))
		strvec_push(env, kv);
	else if (v)
		strvec_take(env, xasprintf("%s=%s", kv, v));
}

static int run_option(struct run_opts *o, int c, const char *arg)
{
	struct qerr err = QERR_INIT;
	uint64_t secs;
	switch (c) {
	case OPT_MOUNT:
		o->mounts = xgrow(o->mounts, &o->cap_mounts, o->n_mounts + 1, sizeof(*o->mounts));
		if (sandbox_mount_parse(arg, &o->mounts[o->n_mounts], &err) < 0)
			return usage_error("run", "%s", err.msg);
		o->n_mounts++;
		return 0;
	case OPT_ENV: add_env(&o->env, arg); return 0;
	case OPT_TIMEOUT:
		if (parse_u64(arg, 365u * 24 * 3600, &secs) < 0 || secs == 0)
			return usage_error("run", "--timeout '%s' is not a number of seconds", arg);
		o->spec.timeout = (unsigned)secs;
		return 0;
	case OPT_USER: o->user = arg; return 0;
	case OPT_WORKDIR: o->workdir = arg; return 0;
	case OPT_PLATFORM: o->platform = arg; return 0;
	case OPT_GPU: o->spec.gpu = true; return 0;
	case OPT_GPU_DRIVER_DIR: o->spec.gpu_driver_dir = arg; o->spec.gpu = true; return 0;
	case OPT_NO_OVERLAY: o->spec.no_overlay = true; return 0;
	case OPT_NET:
		if (strcmp(arg, "host") && strcmp(arg, "none"))
			return usage_error("run", "--net '%s': expected host or none", arg);
		o->spec.net_host = !strcmp(arg, "host");
		return 0;
	case OPT_ENTRYPOINT:
		o->has_entrypoint = true;
		strvec_clear(&o->entrypoint);
		if (parse_entrypoint(arg, &o->entrypoint, &err) < 0)
			return usage_error("run", "%s", err.msg);
		return 0;
	default: return usage_error("run", "unknown option");
	}
}

static int parse_args(struct run_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "mount", required_argument, NULL, OPT_MOUNT },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "user", required_argument, NULL, OPT_USER },
		{ "workdir", required_argument, NULL, OPT_WORKDIR },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "gpu", no_argument, NULL, OPT_GPU },
		{ "gpu-driver-dir", required_argument, NULL, OPT_GPU_DRIVER_DIR },
		{ "net", required_argument, NULL, OPT_NET },
		{ "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
		{ "no-overlay", no_argument, NULL, OPT_NO_OVERLAY },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts co = { 0 };
	int c;
	/* "+": options end at IMAGE; what follows is the command. */
	while ((c = getopt_long(argc, argv, "+" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		int r = common_opt(&co, c, optarg, "run");
		if (r < 0)
			return EXIT_USAGE;
		if (r == 0 && run_option(o, c, optarg) != 0)
			return EXIT_USAGE;
	}
	common_finish(&co);
	if (optind >= argc)
		return usage_error("run", "expected IMAGE");
	int i = optind + 1;
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	for (; i < argc; i++)
		strvec_push(&o->cmd, argv[i]);
	return 0;
}

static void log_sandbox(const struct sandbox *sb)
{
	q_info("sandbox: root filesystem by %s, workload pid %d", sandbox_rootfs_mode(sb),
	       (int)sandbox_workload_pid(sb));
	size_t n;
	const struct sandbox_injected *inj = sandbox_injected(sb, &n);
	for (size_t i = 0; i < n; i++)
		q_info("injected %s as %s", inj[i].host, inj[i].path);
}

static int run_image(struct run_opts *o, const char *ref)
{
	struct qerr err = QERR_INIT;
	struct image *img = open_image_arg(ref, o->platform, &err);
	if (!img)
		return fail("run", &err);
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	cleanup_free char *cache = cache_dir();
	if (sandbox_argv(&img->config, o->has_entrypoint ? &o->entrypoint : NULL, &o->cmd, &argv,
			 &err) < 0) {
		image_free(img);
		return fail("run", &err);
	}
	sandbox_env(&img->config, &o->env, &env);
	struct sandbox_spec *s = &o->spec;
	s->image = img;
	s->cache_dir = cache;
	s->argv = argv.v;
	s->envp = env.v;
	s->user = o->user ? o->user : img->config.user;
	s->workdir = o->workdir ? o->workdir : img->config.workdir;
	s->mounts = o->mounts;
	s->n_mounts = o->n_mounts;
	struct sandbox *sb = NULL;
	int code = EXIT_RUNTIME;
	if (sandbox_start(s, &sb, &err) < 0) {
		fail("run", &err);
	} else {
		log_sandbox(sb);
	}
	if (!sb) {
		/* nothing to wait for */
	} else if (sandbox_wait(sb, &code, &err) < 0) {
		fprintf(stderr, "quench: run: %s\n", err.msg);
	} else if (sandbox_timed_out(sb)) {
		fprintf(stderr, "quench: run: timed out after %u s: killed the workload and "
				"everything it started\n", s->timeout);
	}
	sandbox_free(sb);
	strvec_clear(&argv);
	strvec_clear(&env);
	image_free(img);
	return code;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	int rc = parse_args(&o, argc, argv);
	if (rc == 0)
		rc = run_image(&o, argv[optind]);
	for (size_t i = 0; i < o.n_mounts; i++)
		sandbox_mount_release(&o.mounts[i]);
	free(o.mounts);
	strvec_clear(&o.env);
	strvec_clear(&o.entrypoint);
	strvec_clear(&o.cmd);
	return rc;
}
