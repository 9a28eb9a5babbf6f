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

enum { OPT_MERGE = 256 };

struct profile_args {
	struct common_opts co;
	struct workload_opts w;     /* and the probes */
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

struct catalog_job {
	struct image *img;
	struct catalog_opts opts;
	struct catalog *c;
	struct qerr err;
};

static void catalog_job_run(void *arg)
{
	struct catalog_job *j = arg;
	j->c = catalog_image(j->img, &j->opts, &j->err);
}

static int profile_image(struct profile_args *a, const char *ref)
{
	struct qerr err = QERR_INIT;
	struct profile_spec ps;
	if (workload_probes(&a->w, &ps, &err) < 0)
		return fail("profile", &err);
	struct image *img = open_image_arg(ref, a->w.platform, &err);
	if (!img || workload_spec(&a->w, img, &err) < 0) {
		image_free(img);
		return fail("profile", &err);
	}
	/* The catalog is read while the workload runs: it is needed after */
	struct catalog_job cj = { .img = img, .err = QERR_INIT,
				  .opts = { .threads = 1, .cache_dir = a->w.cache } };
	ps.meanwhile = catalog_job_run;
	ps.meanwhile_arg = &cj;
	struct profile_run tr = { .root_fd = -1 };
	json_t *doc = NULL;
	int rc = profile_run(&ps, &tr, &err) < 0 ? fail("profile", &err)
		 : !cj.c ? fail("profile", &cj.err)
		 : EXIT_OK;
	if (rc == EXIT_OK)
		doc = profile_rbom_build(&ps, ref, cj.c, &tr);
	if (rc == EXIT_OK) {
		workload_log(tr.sb);
		rc = write_rbom(a, doc);
		if (rc == EXIT_OK)
			rc = exit_code(a, &tr);
	}
	json_decref(doc);
	profile_run_release(&tr);
	catalog_free(cj.c);
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
		PROBE_LONGOPTS,
		{ "merge", no_argument, NULL, OPT_MERGE },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	/* "+": options end at IMAGE; what follows is the command. */
	while ((c = getopt_long(argc, argv, "+" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		int r = common_opt(&a->co, c, optarg, "profile");
		if (r == 0)
			r = workload_option(&a->w, c, optarg, "profile");
		if (r == 0)
			r = probe_option(&a->w, c, optarg, "profile");
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (c == OPT_MERGE)
			a->merge = true;
		else
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
	struct profile_args a = { 0 };
	int rc = parse_args(&a, argc, argv);
	if (rc == EXIT_OK)
		rc = a.merge ? merge(&a, argv) : profile_image(&a, argv[optind]);
	workload_release(&a.w);
	return rc;
}
