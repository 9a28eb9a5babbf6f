/* quench harden IMAGE DEST [--rbom FILE | --probe-…] [options] [-- CMD ARG...]:
 * the workload profiled (unless an RBOM is given), the image rebuilt with
 * only what it used (src/harden), run again with the same probes to prove
 * it still works, written only then. */
#include "cmd.h"
#include "catalog/catalog.h"
#include "harden/harden.h"
#include "report/report.h"
#include "trace/trace.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_RBOM = 256, OPT_RBOM_OUTPUT, OPT_INCLUDE, OPT_EXCLUDE, OPT_KEEP_SHELL,
       OPT_NO_VALIDATE, OPT_IGNORE_OUTPUT, OPT_VALIDATE_CMD, OPT_SECCOMP, OPT_DB,
       OPT_DEBUG_VARIANT, OPT_DEBUG_TOOLS };

struct harden_args {
	struct common_opts co;
	struct workload_opts w;     /* and the probes */
	const char *rbom, *rbom_out, *user, *seccomp_out;
	struct strvec validate_cmds;
	const char *db;             /* advisories: the report sorts every finding */
	const char *debug_variant, *debug_tools;   /* DEST2 with busybox, and which busybox */
	struct strvec include, exclude;
	bool keep_shell, no_validate, ignore_output;
};

/* ---- the verb -------------------------------------------------------------------------------- */

static int load(struct harden_args *a, const struct harden_request *rq, const char *ref,
		struct harden_job *j, struct qerr *err)
{
	j->img = open_image_arg(ref, a->w.platform, err);
	if (!j->img || workload_spec(&a->w, j->img, err) < 0)
		return -1;
	struct catalog_opts co = { .threads = cpu_count(), .cache_dir = a->w.cache };
	j->cat = catalog_image(j->img, &co, err);
	if (!j->cat)
		return -1;
	if ((rq->rbom ? harden_load_rbom(rq, j, err) : harden_profile(rq, j, err)) < 0)
		return -1;
	return harden_choose_user(rq, j, err);
}

/* Where the files that go with the image went. */
static void print_written(json_t *r, const char *sc_path)
{
	const char *rbom = json_get_str(r, "rbom");
	const char *vex = json_get_str(json_get_obj(r, "findings"), "vex");
	fprintf(stderr, "seccomp profile: %s\n", sc_path);
	if (rbom)
		fprintf(stderr, "RBOM: %s\n", rbom);
	if (vex)
		fprintf(stderr, "OpenVEX: %s (quench scan --vex: only the reachable findings stay "
				"open)\n", vex);
}

static int write_report(struct harden_args *a, const struct harden_request *rq,
			struct harden_job *j, const char *ref, const char *dest,
			const char *digest, const char *sc_path, const char *validation,
			const char *digest2)
{
	struct qerr err = QERR_INIT;
	json_t *r = harden_report_json(j, ref, dest, digest, sc_path, validation);
	if (digest2 && *digest2)
		json_object_set_new(r, "debugVariant", json_pack("{s:s, s:s}", "image",
					a->debug_variant, "manifestDigest", digest2));
	if (digest) {
		json_t *fj = harden_findings_json(rq, j, dest, &err);
		if (fj)
			json_object_set_new(r, "findings", fj);
		else if (a->db || !a->co.quiet)
			q_warn("no findings in the report: %s", err.msg);
	}
	if (!a->co.quiet && digest) {
		report_harden_table(stderr, r, 0);
		print_written(r, sc_path);
	}
	int rc = EXIT_OK;
	struct output out;
	char *text = json_dump_sorted(r, true);
	if (a->co.output && (out_open(&out, a->co.output, &err) < 0 ||
			     (fprintf(out.f, "%s\n", text), out_close(&out, true, &err) < 0)))
		rc = fail("harden", &err);
	free(text);
	json_decref(r);
	return rc;
}

static int harden(struct harden_args *a, const char *ref, const char *dest)
{
	struct qerr err = QERR_INIT;
	struct harden_job j = { .keep = STRVEC_INIT, .include = STRVEC_INIT, .exclude = STRVEC_INIT };
	cleanup_free char *dir = cache_dir();
	cleanup_free char *db = a->db ? xstrdup(a->db) : xasprintf("%s/vuln.db", dir);
	struct profile_spec probes;
	struct harden_request rq = {
		.spec = &a->w.spec, .image = ref, .probes = &probes,
		.validate_cmds = &a->validate_cmds, .cache = dir, .rbom = a->rbom,
		.rbom_out = a->rbom_out, .user = a->user, .seccomp_out = a->seccomp_out, .db = db,
		.include = &a->include, .exclude = &a->exclude, .keep_shell = a->keep_shell,
		.ignore_output = a->ignore_output,
	};
	struct harden_debug_tools tools = { .fd = -1 };
	/* the toolset is checked before anything is built or written */
	int rc = workload_probes(&a->w, &probes, &err) < 0 || load(a, &rq, ref, &j, &err) < 0 ||
			 (a->debug_variant && harden_debug_tools_open(a->debug_tools,
					      j.img->config.arch, &tools, &err) < 0) ||
			 harden_build_tree(&rq, &j, &err) < 0
			 ? fail("harden", &err) : EXIT_OK;
	for (size_t i = 0; i < j.warnings.n; i++)
		q_warn("%s", j.warnings.v[i]);
	if (rc == EXIT_OK && j.why_root)
		q_warn("the workload needed root (%s): the hardened image runs as root", j.why_root);
	int v = rc == EXIT_OK && !a->no_validate ? harden_validate(&rq, &j, &err) : 0;
	if (v < 0)
		rc = fail("harden", &err);
	else if (v > 0)
		rc = EXIT_FINDINGS;
	char digest[DIGEST_STR_MAX] = "";
	cleanup_free char *sc_path = NULL;
	char digest2[DIGEST_STR_MAX] = "";
	if (rc == EXIT_OK && (harden_write_image(&rq, &j, dest, digest, &sc_path, &err) < 0 ||
			      (a->debug_variant && harden_write_debug_variant(&tools, dest,
						a->debug_variant, digest2, &err) < 0)))
		rc = fail("harden", &err);
	if (rc == EXIT_OK)
		rc = write_report(a, &rq, &j, ref, dest, digest, sc_path,
				  a->no_validate ? "skipped" : "passed", digest2);
	else if (v > 0)   /* what differed, for the person who reads the report */
		write_report(a, &rq, &j, ref, dest, NULL, NULL, "failed", NULL);
	harden_debug_tools_release(&tools);
	harden_job_release(&j);
	return rc;
}

static int parse_args(struct harden_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		WORKLOAD_LONGOPTS,
		PROBE_LONGOPTS,
		{ "rbom", required_argument, NULL, OPT_RBOM },
		{ "rbom-output", required_argument, NULL, OPT_RBOM_OUTPUT },
		{ "validate-cmd", required_argument, NULL, OPT_VALIDATE_CMD },
		{ "include", required_argument, NULL, OPT_INCLUDE },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "keep-shell", no_argument, NULL, OPT_KEEP_SHELL },
		{ "no-validate", no_argument, NULL, OPT_NO_VALIDATE },
		{ "validate-ignore-output", no_argument, NULL, OPT_IGNORE_OUTPUT },
		{ "seccomp-profile", required_argument, NULL, OPT_SECCOMP },
		{ "db", required_argument, NULL, OPT_DB },
		{ "debug-variant", required_argument, NULL, OPT_DEBUG_VARIANT },
		{ "debug-tools", required_argument, NULL, OPT_DEBUG_TOOLS },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "+" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		int r = common_opt(&a->co, c, optarg, "harden");
		if (r == 0)
			r = workload_option(&a->w, c, optarg, "harden");
		if (r == 0)
			r = probe_option(&a->w, c, optarg, "harden");
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case OPT_RBOM: a->rbom = optarg; break;
		case OPT_RBOM_OUTPUT: a->rbom_out = optarg; break;
		case OPT_VALIDATE_CMD: strvec_push(&a->validate_cmds, optarg); break;
		case OPT_INCLUDE: strvec_push(&a->include, optarg); break;
		case OPT_EXCLUDE: strvec_push(&a->exclude, optarg); break;
		case OPT_KEEP_SHELL: a->keep_shell = true; break;
		case OPT_NO_VALIDATE: a->no_validate = true; break;
		case OPT_IGNORE_OUTPUT: a->ignore_output = true; break;
		case OPT_SECCOMP: a->seccomp_out = optarg; break;
		case OPT_DB: a->db = optarg; break;
		case OPT_DEBUG_VARIANT: a->debug_variant = optarg; break;
		case OPT_DEBUG_TOOLS: a->debug_tools = optarg; break;
		default: return usage_error("harden", "unknown option");
		}
	}
	common_finish(&a->co);
	/* --user names the hardened image's user; the source runs as its own */
	a->user = a->w.user;
	a->w.user = NULL;
	if (a->user && strcmp(a->user, "nonroot") && strcmp(a->user, "root") &&
	    parse_u64(a->user, 0x7fffffff, &(uint64_t){ 0 }) < 0)
		return usage_error("harden", "--user '%s': nonroot, root or a numeric UID", a->user);
	if (argc - optind < 2)
		return usage_error("harden", "expected IMAGE and DEST");
	if (a->rbom && a->rbom_out)
		return usage_error("harden", "--rbom-output: the RBOM is made only without --rbom");
	if (a->debug_tools && !a->debug_variant)
		return usage_error("harden", "--debug-tools needs --debug-variant DEST2");
	if (a->debug_variant && !strcmp(a->debug_variant, argv[optind + 1]))
		return usage_error("harden", "--debug-variant must name another image than DEST");
	workload_command(&a->w, argc, argv, optind + 1);
	return EXIT_OK;
}

int cmd_harden(int argc, char **argv)
{
	struct harden_args a = { .include = STRVEC_INIT, .exclude = STRVEC_INIT,
				 .validate_cmds = STRVEC_INIT };
	int rc = parse_args(&a, argc, argv);
	if (rc == EXIT_OK)
		rc = harden(&a, argv[optind], argv[optind + 1]);
	workload_release(&a.w);
	strvec_clear(&a.include);
	strvec_clear(&a.exclude);
	strvec_clear(&a.validate_cmds);
	return rc;
}
