/* quench run IMAGE [options] [-- CMD ARG...]: the image's workload in the
 * sandbox, untraced; its exit code, stdout and stderr are ours. */
#include "cmd.h"
#include "trace/trace.h"

static int parse_args(struct workload_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		WORKLOAD_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts co = { 0 };
	int c;
	/* "+": options end at IMAGE; what follows is the command. */
	while ((c = getopt_long(argc, argv, "+" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		int r = common_opt(&co, c, optarg, "run");
		if (r == 0)
			r = workload_option(o, c, optarg, "run");
		if (r < 0)
			return EXIT_USAGE;
		if (r == 0)
			return usage_error("run", "unknown option");
	}
	common_finish(&co);
	if (optind >= argc)
		return usage_error("run", "expected IMAGE");
	workload_command(o, argc, argv, optind);
	return 0;
}

static int run_image(struct workload_opts *o, const char *ref)
{
	struct qerr err = QERR_INIT;
	struct image *img = open_image_arg(ref, o->platform, &err);
	if (!img || workload_spec(o, img, &err) < 0) {
		image_free(img);
		return fail("run", &err);
	}
	struct sandbox *sb = NULL;
	int code = EXIT_RUNTIME;
	if (sandbox_start(&o->spec, &sb, &err) < 0) {
		fail("run", &err);
	} else {
		workload_log(sb);
		if (sandbox_wait(sb, &code, &err) < 0)
			fprintf(stderr, "quench: run: %s\n", err.msg);
		else if (sandbox_timed_out(sb))
			fprintf(stderr, "quench: run: timed out after %u s: killed the workload and "
					"everything it started\n", o->spec.timeout);
	}
	sandbox_free(sb);
	image_free(img);
	return code;
}

int cmd_run(int argc, char **argv)
{
	struct workload_opts o = { 0 };
	int rc = parse_args(&o, argc, argv);
	if (rc == 0)
		rc = run_image(&o, argv[optind]);
	workload_release(&o);
	return rc;
}
