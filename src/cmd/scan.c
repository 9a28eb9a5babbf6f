/* quench scan IMAGE: the image's packages (quench sbom's catalog) matched
 * against the local advisory database (quench db import); a table, quench's
 * JSON, SARIF or CycloneDX with vulnerabilities (src/report). `scan
 * sbom:FILE` reads the catalog back from a stored CycloneDX or SPDX SBOM
 * instead of an image. */
#include "cmd.h"
#include "catalog/catalog.h"
#include "report/report.h"
#include "sbom/sbom.h"
#include "trace/trace.h"
#include "vuln/vuln.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { OPT_PLATFORM = 256, OPT_DB, OPT_FAIL_ON, OPT_IGNORE_UNFIXED, OPT_INCLUDE_OS_OWNED,
       OPT_NO_CACHE, OPT_VEX, OPT_MAX_DB_AGE, OPT_RBOM };

/* Older advisory data than this gets a warning (Trivy's and Grype's data
 * are rebuilt daily; a week old misses a week of fixes). */
#define SCAN_MAX_DB_AGE_DAYS 7

struct scan_args {
	struct common_opts co;
	const char *platform, *db;
	const char *doc_format;    /* sarif, cyclonedx, openvex; NULL: table or json */
	const char *rbom;          /* --rbom: classify findings by a runtime profile */
	bool fail_on_set, ignore_unfixed, include_os_owned, no_cache;
	enum cvss_severity fail_on;
	struct strvec vex;          /* --vex files, applied in order */
	uint64_t max_db_age_days;   /* 0: no warning */
	char manifest_digest[DIGEST_STR_MAX];   /* of the scanned image, for VEX products */
};

static bool unfixed(const struct vuln_finding *f)
{
	return !f->fixed;
}

/* Reachable first (with --rbom), then most severe, then by package and id. */
static int cmp_finding(const void *a, const void *b)
{
	const struct vuln_finding *x = a, *y = b;
	/* With a runtime profile, what the workload can reach comes first. */
	bool rx = x->reach && !strcmp(x->reach, "reachable");
	bool ry = y->reach && !strcmp(y->reach, "reachable");
	if (rx != ry)
		return rx ? -1 : 1;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	int c = strcmp(x->package, y->package);
	return c ? c : strcmp(x->id, y->id);
}

/* Unrated findings say so, rather than "none". */
static const char *severity_label(const struct vuln_finding *f)
{
	return f->severity_source ? cvss_severity_name(f->severity) : "unknown";
}

static json_t *finding_json(const struct catalog *c, const struct vuln_finding *f)
{
	const struct cat_pkg *p = &c->pkgs[f->pkg];
	json_t *adv = json_array();
	for (size_t i = 0; i < f->advisories.n; i++)
		json_array_append_new(adv, json_string(f->advisories.v[i]));
	json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:s?, s:s?, s:s?}, s:{s:s, s:s, s:s}}",
			      "id", f->id, "status", f->status, "severity", severity_label(f),
			      "advisories", adv, "package",
			      "type", pkg_type_name(p->type), "name", p->name, "version",
			      p->version, "purl", p->purl, "matched", "ecosystem", f->ecosystem,
			      "package", f->package, "version", f->installed);
	if (f->fixed)
		json_object_set_new(j, "fixed", json_string(f->fixed));
	if (f->summary)
		json_object_set_new(j, "summary", json_string(f->summary));
	if (f->severity_source)
		json_object_set_new(j, "severitySource", json_string(f->severity_source));
	if (f->cvss_vector) {
		json_object_set_new(j, "cvss", json_pack("{s:s, s:f}", "vector", f->cvss_vector,
							 "score", f->score));
	}
	if (f->os_owned)
		json_object_set_new(j, "osOwned", json_true());
	if (f->reach) {
		json_t *reach = json_pack("{s:s}", "class", f->reach);
		if (f->reach_evidence)
			json_object_set_new(reach, "evidence", json_string_lossy(f->reach_evidence));
		json_object_set_new(j, "reachability", reach);
	}
	if (f->vex_status)
		json_object_set_new(j, "vex", json_pack("{s:s, s:s?, s:s?}", "status", f->vex_status,
							"justification", f->vex_justification,
							"statement", f->vex_note));
	return j;
}

static void print_counts(FILE *out, const struct vuln_report *r, const char *reach)
{
	size_t by[CVSS_CRITICAL + 1] = { 0 }, n = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct vuln_finding *f = &r->v[i];
		if (reach && (!f->reach || strcmp(f->reach, reach)))
			continue;
		by[f->severity_source ? f->severity : CVSS_NONE]++;
		n++;
	}
	fprintf(out, "%zu %s: %zu critical, %zu high, %zu medium, %zu low, %zu unknown\n", n,
		reach ? reach : "findings", by[CVSS_CRITICAL], by[CVSS_HIGH], by[CVSS_MEDIUM],
		by[CVSS_LOW], by[CVSS_NONE]);
}

static void print_table(FILE *out, const struct catalog *c, const struct vuln_report *r,
			bool classes)
{
	fprintf(out, "%s%-9s %-18s %-28s %-26s %-26s %s\n", classes ? "CLASS      " : "",
		"SEVERITY", "ID", "PACKAGE", "INSTALLED", "FIXED", "STATUS");
	for (size_t i = 0; i < r->n; i++) {
		const struct vuln_finding *f = &r->v[i];
		const struct cat_pkg *p = &c->pkgs[f->pkg];
		if (classes)
			fprintf(out, "%-10s ", f->reach ? f->reach : "-");
		fprintf(out, "%-9s %-18s %-28s %-26s %-26s %s%s\n", severity_label(f),
			f->id, p->name, p->version, f->fixed ? f->fixed : "-", f->status,
			f->os_owned ? " (os-owned)" : "");
	}
	fputc('\n', out);
	print_counts(out, r, NULL);
	if (classes) {
		print_counts(out, r, "reachable");
		print_counts(out, r, "present");
	}
	if (r->n_suppressed)
		fprintf(out, "%zu suppressed by VEX statements (not_affected or fixed); "
			     "--format json lists them\n", r->n_suppressed);
}

/* The image as the SARIF, CycloneDX and OpenVEX documents name it; a
 * stored SBOM (no image) by the reference given. */
static void subject_of(const struct image *img, const char *ref, struct report_subject *s)
{
	if (!img) {
		*s = (struct report_subject){ .image = { .name = xstrdup(ref) },
					      .tool_version = QUENCH_VERSION };
		return;
	}
	const char **diff_ids = xcalloc(img->n_layers + 1, sizeof(*diff_ids));
	for (size_t i = 0; i < img->n_layers; i++)
		diff_ids[i] = img->layers[i].diff_id;
	*s = (struct report_subject){
		.image = { .name = image_ref_format(&img->ref), .manifest_digest = img->manifest_digest,
			   .config_digest = img->config_digest, .created = img->config.created,
			   .os = img->platform.os, .arch = img->platform.arch,
			   .layer_digests = diff_ids, .n_layers = img->n_layers },
		.tool_version = QUENCH_VERSION,
	};
}

static void subject_release(struct report_subject *s)
{
	free((char *)s->image.name);
	free((void *)s->image.layer_digests);
}

static json_t *document(const struct scan_args *a, const struct report_subject *s,
			const struct catalog *c, const struct vuln_report *r)
{
	if (!strcmp(a->doc_format, "sarif"))
		return report_sarif(c, r, s);
	if (!strcmp(a->doc_format, "cyclonedx"))
		return report_cyclonedx(c, r, s);
	char now[32];   /* SOURCE_DATE_EPOCH's time, for reproducible documents */
	format_rfc3339(source_date_epoch((int64_t)time(NULL)), now, sizeof(now));
	return report_openvex(c, r, s, now);
}

static int render(const struct scan_args *a, const struct image *img, const struct catalog *c,
		  const struct vuln_report *r, const char *ref)
{
	struct qerr err = QERR_INIT;
	struct output out;
	if (out_open(&out, a->co.output, &err) < 0)
		return fail("scan", &err);
	if (a->doc_format) {
		struct report_subject s;
		subject_of(img, ref, &s);
		json_t *j = document(a, &s, c, r);
		char *text = json_dump_sorted(j, true);
		fprintf(out.f, "%s\n", text);
		free(text);
		json_decref(j);
		subject_release(&s);
	} else if (a->co.format == FORMAT_JSON) {
		json_t *list = json_array();
		for (size_t i = 0; i < r->n; i++)
			json_array_append_new(list, finding_json(c, &r->v[i]));
		json_t *suppressed = json_array();
		for (size_t i = 0; i < r->n_suppressed; i++)
			json_array_append_new(suppressed, finding_json(c, &r->suppressed[i]));
		json_t *j = json_pack("{s:s, s:o, s:o}", "schema", "quench-scan/1", "findings", list,
				      "suppressed", suppressed);
		char *s = json_dump_sorted(j, true);
		fprintf(out.f, "%s\n", s);
		free(s);
		json_decref(j);
	} else {
		print_table(out.f, c, r, a->rbom != NULL);
	}
	return out_close(&out, true, &err) < 0 ? fail("scan", &err) : EXIT_OK;
}

/* --ignore-unfixed drops what has no fix; the rest sorted. */
static void filter_sort(const struct scan_args *a, struct vuln_report *r)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (a->ignore_unfixed && unfixed(&r->v[i])) {
			vuln_finding_release(&r->v[i]);
			continue;
		}
		r->v[k++] = r->v[i];
	}
	r->n = k;
	if (r->n)
		qsort(r->v, r->n, sizeof(*r->v), cmp_finding);
	if (r->n_suppressed)
		qsort(r->suppressed, r->n_suppressed, sizeof(*r->suppressed), cmp_finding);
}

static int parse_severity(const char *s, enum cvss_severity *out)
{
	static const enum cvss_severity all[] = { CVSS_LOW, CVSS_MEDIUM, CVSS_HIGH,
						  CVSS_CRITICAL };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(s, cvss_severity_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	return -1;
}

static int parse_args(struct scan_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "db", required_argument, NULL, OPT_DB },
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "ignore-unfixed", no_argument, NULL, OPT_IGNORE_UNFIXED },
		{ "include-os-owned", no_argument, NULL, OPT_INCLUDE_OS_OWNED },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ "vex", required_argument, NULL, OPT_VEX },
		{ "max-db-age", required_argument, NULL, OPT_MAX_DB_AGE },
		{ "rbom", required_argument, NULL, OPT_RBOM },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == 'F' && (!strcmp(optarg, "sarif") || !strcmp(optarg, "cyclonedx") ||
				 !strcmp(optarg, "openvex"))) {
			a->doc_format = optarg;
			continue;
		}
		if (c == 'F')
			a->doc_format = NULL;   /* the last --format wins */
		if (common_opt(&a->co, c, optarg, "scan"))
			continue;
		if (c == 'F')
			return usage_error("scan", "--format takes table, json, sarif, cyclonedx or "
						   "openvex");
		if (c == OPT_PLATFORM)
			a->platform = optarg;
		else if (c == OPT_DB)
			a->db = optarg;
		else if (c == OPT_FAIL_ON && parse_severity(optarg, &a->fail_on) == 0)
			a->fail_on_set = true;
		else if (c == OPT_FAIL_ON)
			return usage_error("scan", "--fail-on takes critical, high, medium or low");
		else if (c == OPT_IGNORE_UNFIXED)
			a->ignore_unfixed = true;
		else if (c == OPT_INCLUDE_OS_OWNED)
			a->include_os_owned = true;
		else if (c == OPT_NO_CACHE)
			a->no_cache = true;
		else if (c == OPT_VEX)
			strvec_push(&a->vex, optarg);
		else if (c == OPT_RBOM)
			a->rbom = optarg;
		else if (c == OPT_MAX_DB_AGE) {
			if (parse_u64(optarg, 36500, &a->max_db_age_days) < 0)
				return usage_error("scan", "--max-db-age takes a number of days "
							   "(0: never warn)");
		} else {
			return usage_error("scan", "unknown option");
		}
	}
	if (argc - optind != 1)
		return usage_error("scan", "expected one IMAGE or sbom:FILE");
	common_finish(&a->co);
	return EXIT_OK;
}

/* The image stays open (*imgp) for the documents that name it. */
static struct catalog *catalog_of(struct scan_args *a, const char *ref, struct image **imgp,
				  struct qerr *err)
{
	if (str_starts_with(ref, "sbom:")) {   /* a stored SBOM, without the image */
		struct catalog *c = sbom_read_file(ref + strlen("sbom:"), err);
		for (size_t i = 0; c && i < c->warnings.n; i++)
			q_warn("%s", c->warnings.v[i]);
		return c;
	}
	struct image *img = open_image_arg(ref, a->platform, err);
	if (!img)
		return NULL;
	snprintf(a->manifest_digest, sizeof(a->manifest_digest), "%s", img->manifest_digest);
	cleanup_free char *cache = a->no_cache ? NULL : cache_dir();
	struct catalog_opts co = { .threads = cpu_count(), .cache_dir = cache };
	struct catalog *c = catalog_image(img, &co, err);
	if (c)
		*imgp = img;
	else
		image_free(img);
	return c;
}

/* Load every --vex file (warnings on stderr); NULL entries never. */
static int load_vex(const struct scan_args *a, struct vex ***out, struct qerr *err)
{
	*out = xcalloc(a->vex.n + 1, sizeof(**out));
	for (size_t i = 0; i < a->vex.n; i++) {
		if (vex_load(a->vex.v[i], &(*out)[i], err) < 0)
			return -1;
		const struct strvec *w = vex_warnings((*out)[i]);
		for (size_t k = 0; k < w->n; k++)
			fprintf(stderr, "quench: scan: warning: %s\n", w->v[k]);
	}
	return 0;
}

static void free_vex(struct vex **v)
{
	for (size_t i = 0; v && v[i]; i++)
		vex_free(v[i]);
	free(v);
}

/* --rbom: every finding reachable or present, by the workload's profile. */
static int classify(const struct scan_args *a, const struct image *img, const struct catalog *c,
		    struct vuln_report *r)
{
	if (!a->rbom)
		return EXIT_OK;
	struct qerr err = QERR_INIT;
	json_t *rbom;
	if (rbom_load(a->rbom, &rbom, &err) < 0)
		return fail("scan", &err);
	int rc = report_reachability(rbom, c, img ? img->manifest_digest : NULL, r, &err);
	json_decref(rbom);
	if (rc < 0)
		return fail("scan", &err);
	/* the order puts what is reachable first */
	if (r->n)
		qsort(r->v, r->n, sizeof(*r->v), cmp_finding);
	return EXIT_OK;
}

static int scan_catalog(struct scan_args *a, struct vdb *db, const struct image *img,
			struct catalog *c, const char *ref)
{
	struct qerr err = QERR_INIT;
	struct vex **vex = NULL;
	if (load_vex(a, &vex, &err) < 0) {
		free_vex(vex);
		return fail("scan", &err);
	}
	struct vuln_report r;
	struct match_opts mo = { .include_os_owned = a->include_os_owned };
	if (vuln_match(db, c, &mo, &r, &err) < 0) {
		free_vex(vex);
		return fail("scan", &err);
	}
	struct vex_target t = { .manifest_digest = *a->manifest_digest ? a->manifest_digest : NULL,
				.ref = ref };
	for (size_t i = 0; vex[i]; i++)
		vex_apply(vex[i], c, &t, &r);
	filter_sort(a, &r);
	int rc = classify(a, img, c, &r);
	if (rc == EXIT_OK)
		rc = render(a, img, c, &r, ref);
	for (size_t i = 0; rc == EXIT_OK && a->fail_on_set && i < r.n; i++)
		if (r.v[i].severity >= a->fail_on)
			rc = EXIT_FINDINGS;
	vuln_report_release(&r);
	free_vex(vex);
	return rc;
}

/* Say so when the advisory data is old: findings are only as fresh as it. */
static void warn_old_data(const struct scan_args *a, struct vdb *db)
{
	int64_t age;
	if (!a->max_db_age_days || vdb_data_age(db, time(NULL), &age, NULL) != 1 ||
	    age <= (int64_t)a->max_db_age_days * 86400)
		return;
	char buf[64];
	q_warn("the advisory data was last imported or updated %s; findings fixed or published "
	       "since are missing (quench db update)", human_age(age, buf, sizeof(buf)));
}

int cmd_scan(int argc, char **argv)
{
	struct scan_args a = { .max_db_age_days = SCAN_MAX_DB_AGE_DAYS };
	int rc = parse_args(&a, argc, argv);
	if (rc != EXIT_OK)
		return rc;
	struct qerr err = QERR_INIT;
	cleanup_free char *dir = cache_dir();
	cleanup_free char *dbpath = a.db ? xstrdup(a.db) : xasprintf("%s/vuln.db", dir);
	struct vdb *db;
	if (vdb_open(dbpath, false, &db, &err) < 0)
		return fail("scan", &err);
	warn_old_data(&a, db);
	struct image *img = NULL;
	struct catalog *c = catalog_of(&a, argv[optind], &img, &err);
	if (!c) {
		vdb_close(db);
		return fail("scan", &err);
	}
	rc = scan_catalog(&a, db, img, c, argv[optind]);
	vdb_close(db);
	catalog_free(c);
	image_free(img);
	strvec_clear(&a.vex);
	return rc;
}
