/* quench profile IMAGE -o RBOM [options] [-- CMD ARG...]: quench run, traced
 * (src/trace/profile.c): the workload runs in the sandbox under the tracer
 * and the RBOM says what it used. quench profile --merge A.json B.json...
 * -o C.json: their union. */
#include "cmd.h"
#include "catalog/catalog.h"
#include "trace/trace.h"

#include <jansson.h>
#include <string.h>
#include <unistd.h>

enum { OPT_DURATION = 256, OPT_PROBE_CMD, OPT_PROBE_HTTP, OPT_PROBE_HTTP_FILE, OPT_PROBE_WAIT,
       OPT_MERGE };

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
static int exit_code(const struct profile_args *a, const struct profile_run *r)
{
	if (r->timed_out) {
		fprintf(stderr, "quench: profile: timed out after %u s: killed the workload and "
				"everything it started\n", a->w.spec.timeout);
		return 124;
	}
	if (r->probe_failed) {
		fprintf(stderr, "quench: profile: a probe failed (exit %d); the RBOM holds what "
				"ran until then\n", r->probe_failed);
		return r->probe_failed;
	}
	return r->ended_by_us ? EXIT_OK : profile_exit_code(r->status);
}

static int profile_image(struct profile_args *a, const char *ref)
{
	struct qerr err = QERR_INIT;
	if ((a->probe_urls.n || a->probe_http_file) &&
	    profile_http_requests(&a->probe_urls, a->probe_http_file, &a->http_file, &err) < 0)
		return fail("profile", &err);
	struct image *img = open_image_arg(ref, a->w.platform, &err);
	if (!img || workload_spec(&a->w, img, &err) < 0) {
		image_free(img);
		return fail("profile", &err);
	}
	struct catalog_opts co = { .threads = cpu_count(), .cache_dir = a->w.cache };
	struct catalog *c = catalog_image(img, &co, &err);
	struct profile_spec ps = { .sandbox = &a->w.spec, .duration = a->duration,
				   .probe_cmds = &a->probe_cmds, .http_file = a->http_file,
				   .probe_wait = a->probe_wait };
	struct profile_run tr = { .root_fd = -1 };
	int rc = c && profile_run(&ps, &tr, &err) == 0 ? EXIT_OK : fail("profile", &err);
	if (rc == EXIT_OK) {
		workload_log(tr.sb);
		size_t n_inj;
		const struct sandbox_injected *inj = sandbox_injected(tr.sb, &n_inj);
		struct rbom_run run = {
			.image_name = ref, .manifest_digest = img->manifest_digest,
			.config_digest = img->config_digest, .argv = a->w.argv.v,
			.workdir = a->w.spec.workdir, .user = a->w.spec.user, .probes = &tr.probes,
			.started = tr.started, .ended = tr.ended,
			.exit_code = profile_exit_code(tr.status),
			.rootfs_mode = sandbox_rootfs_mode(tr.sb), .injected = inj,
			.n_injected = n_inj,
		};
		json_t *doc = rbom_build(&run, tracer_report(tr.t), c);
		rc = write_rbom(a, doc);
		json_decref(doc);
		if (rc == EXIT_OK)
			rc = exit_code(a, &tr);
	}
	profile_run_release(&tr);
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
