/* quench harden IMAGE DEST --rbom FILE [options] [-- CMD ARG...]: the image
 * rebuilt with only what the workload used (src/harden), run again to
 * prove it still works, written only then. */
#include "cmd.h"
#include "catalog/catalog.h"
#include "harden/harden.h"
#include "trace/trace.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_RBOM = 256, OPT_INCLUDE, OPT_EXCLUDE, OPT_KEEP_SHELL, OPT_NO_VALIDATE,
       OPT_IGNORE_OUTPUT, OPT_SECCOMP, OPT_DB };

struct harden_args {
	struct common_opts co;
	struct workload_opts w;
	const char *rbom, *user, *seccomp_out;
	const char *db;             /* advisories: the report sorts every finding */
	struct strvec include, exclude;
	bool keep_shell, no_validate, ignore_output;
};

static void print_summary(json_t *r)
{
	json_t *s = json_get_obj(r, "source"), *h = json_get_obj(r, "hardened");
	char a[16], b[16];
	fprintf(stderr, "%-18s %18s %18s\n", "", "source", "hardened");
	fprintf(stderr, "%-18s %18s %18s\n", "size",
		human_size((uint64_t)json_integer_value(json_object_get(s, "bytes")), a, sizeof(a)),
		human_size((uint64_t)json_integer_value(json_object_get(h, "bytes")), b, sizeof(b)));
	const char *rows[] = { "files", "packages", "setuidFiles" };
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		fprintf(stderr, "%-18s %18lld %18lld\n", rows[i],
			(long long)json_integer_value(json_object_get(s, rows[i])),
			(long long)json_integer_value(json_object_get(h, rows[i])));
	fprintf(stderr, "%-18s %18zu %18zu\n", "shells", json_array_size(json_get_arr(s, "shells")),
		json_array_size(json_get_arr(h, "shells")));
	fprintf(stderr, "%-18s %18zu %18zu\n", "package managers",
		json_array_size(json_get_arr(s, "packageManagers")),
		json_array_size(json_get_arr(h, "packageManagers")));
	fprintf(stderr, "%-18s %18s %18s\n", "user", json_get_str(s, "user"), json_get_str(h, "user"));
	fprintf(stderr, "%-18s %18s %18lld\n", "syscalls allowed", "all",
		(long long)json_integer_value(json_object_get(h, "syscallsAllowed")));
	json_t *f = json_get_obj(r, "findings");
	if (f)
		fprintf(stderr, "%-18s %18lld %18lld  (%lld reachable, %lld present, %lld removed)\n",
			"findings", (long long)json_integer_value(json_object_get(f, "before")),
			(long long)json_integer_value(json_object_get(f, "after")),
			(long long)json_integer_value(json_object_get(f, "reachable")),
			(long long)json_integer_value(json_object_get(f, "present")),
			(long long)json_integer_value(json_object_get(f, "removed")));
	fprintf(stderr, "validation: %s; image %s\n", json_get_str(r, "validation"),
		json_get_str(h, "manifestDigest"));
}

/* ---- the verb -------------------------------------------------------------------------------- */

static int load(struct harden_args *a, const struct harden_request *rq, const char *ref,
		struct harden_job *j, struct qerr *err)
{
	j->img = open_image_arg(ref, a->w.platform, err);
	if (!j->img || workload_spec(&a->w, j->img, err) < 0 || rbom_load(a->rbom, &j->rbom, err) < 0)
		return -1;
	const char *profiled = json_get_str(json_get_obj(j->rbom, "image"), "manifestDigest");
	if (!profiled || strcmp(profiled, j->img->manifest_digest))
		return q_error(err, 0, "the RBOM profiles image %s, not %s (quench profile it)",
			       profiled ? profiled : "?", j->img->manifest_digest);
	struct catalog_opts co = { .threads = cpu_count(), .cache_dir = a->w.cache };
	j->cat = catalog_image(j->img, &co, err);
	return j->cat ? harden_choose_user(rq, j, err) : -1;
}

static int harden(struct harden_args *a, const char *ref, const char *dest)
{
	struct qerr err = QERR_INIT;
	struct harden_job j = { .keep = STRVEC_INIT, .include = STRVEC_INIT };
	cleanup_free char *dir = cache_dir();
	cleanup_free char *db = a->db ? xstrdup(a->db) : xasprintf("%s/vuln.db", dir);
	struct harden_request rq = {
		.spec = &a->w.spec, .cache = dir, .rbom = a->rbom, .user = a->user,
		.seccomp_out = a->seccomp_out, .db = db, .include = &a->include,
		.exclude = &a->exclude, .keep_shell = a->keep_shell,
		.ignore_output = a->ignore_output,
	};
	int rc = load(a, &rq, ref, &j, &err) < 0 || harden_build_tree(&rq, &j, &err) < 0
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
	if (rc == EXIT_OK && harden_write_image(&rq, &j, dest, digest, &sc_path, &err) < 0)
		rc = fail("harden", &err);
	if (rc == EXIT_OK) {
		json_t *r = harden_report_json(&j, ref, dest, digest, sc_path, !a->no_validate);
		struct qerr ferr = QERR_INIT;
		json_t *fj = harden_findings_json(&rq, &j, dest, &ferr);
		if (fj)
			json_object_set_new(r, "findings", fj);
		else if (a->db || !a->co.quiet)
			q_warn("no findings in the report: %s", ferr.msg);
		if (!a->co.quiet)
			print_summary(r);
		struct output out;
		char *text = json_dump_sorted(r, true);
		if (a->co.output && (out_open(&out, a->co.output, &err) < 0 ||
				     (fprintf(out.f, "%s\n", text), out_close(&out, true, &err) < 0)))
			rc = fail("harden", &err);
		free(text);
		json_decref(r);
	}
	harden_job_release(&j);
	return rc;
}

static int parse_args(struct harden_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		WORKLOAD_LONGOPTS,
		{ "rbom", required_argument, NULL, OPT_RBOM },
		{ "include", required_argument, NULL, OPT_INCLUDE },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "keep-shell", no_argument, NULL, OPT_KEEP_SHELL },
		{ "no-validate", no_argument, NULL, OPT_NO_VALIDATE },
		{ "validate-ignore-output", no_argument, NULL, OPT_IGNORE_OUTPUT },
		{ "seccomp-profile", required_argument, NULL, OPT_SECCOMP },
		{ "db", required_argument, NULL, OPT_DB },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "+" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		int r = common_opt(&a->co, c, optarg, "harden");
		if (r == 0)
			r = workload_option(&a->w, c, optarg, "harden");
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case OPT_RBOM: a->rbom = optarg; break;
		case OPT_INCLUDE: strvec_push(&a->include, optarg); break;
		case OPT_EXCLUDE: strvec_push(&a->exclude, optarg); break;
		case OPT_KEEP_SHELL: a->keep_shell = true; break;
		case OPT_NO_VALIDATE: a->no_validate = true; break;
		case OPT_IGNORE_OUTPUT: a->ignore_output = true; break;
		case OPT_SECCOMP: a->seccomp_out = optarg; break;
		case OPT_DB: a->db = optarg; break;
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
	if (!a->rbom)
		return usage_error("harden", "--rbom FILE: the workload's profile (quench profile)");
	workload_command(&a->w, argc, argv, optind + 1);
	return EXIT_OK;
}

int cmd_harden(int argc, char **argv)
{
	struct harden_args a = { .include = STRVEC_INIT, .exclude = STRVEC_INIT };
	int rc = parse_args(&a, argc, argv);
	if (rc == EXIT_OK)
		rc = harden(&a, argv[optind], argv[optind + 1]);
	workload_release(&a.w);
	strvec_clear(&a.include);
	strvec_clear(&a.exclude);
	return rc;
}
