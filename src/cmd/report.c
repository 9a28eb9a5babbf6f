/* quench report REPORT.json: a hardening report (quench harden -o) for
 * people — one self-contained HTML page, the terminal table — or checked
 * and written again as JSON. */
#include "cmd.h"
#include "report/report.h"

#include <fcntl.h>
#include <jansson.h>
#include <strings.h>

#define REPORT_MAX (64u << 20)   /* a report with every finding of a big image is a few MiB */

struct report_args {
	struct common_opts co;
	bool html;   /* --format html, or -o FILE.html */
};

static int parse_args(struct report_args *a, int argc, char **argv)
{
	static const struct option longopts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	int c;
	bool html_set = false;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		int r = common_opt(&a->co, c, optarg, "report");
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0) {
			html_set &= c != 'F';   /* the last --format counts */
			continue;
		}
		if (c == 'F' && !strcmp(optarg, "html"))
			html_set = true;
		else if (c == 'F')
			return usage_error("report", "--format '%s': html, table or json", optarg);
		else
			return usage_error("report", "unknown option");
	}
	const char *o = a->co.output;
	size_t len = o ? strlen(o) : 0;
	a->html = html_set || (!a->co.format_set && len > 5 && !strcasecmp(o + len - 5, ".html"));
	common_finish(&a->co);
	if (argc - optind != 1)
		return usage_error("report", "expected one REPORT.json (quench harden -o writes it)");
	return EXIT_OK;
}

/* The report, parsed and checked: ours, of schema quench-harden/1. */
static json_t *load(const char *path, struct qerr *err)
{
	char *data;
	size_t len;
	bool in = !strcmp(path, "-");
	if ((in ? read_fd_all(STDIN_FILENO, "standard input", REPORT_MAX, &data, &len, err)
		: read_file_at(AT_FDCWD, path, REPORT_MAX, &data, &len, err)) < 0)
		return NULL;
	const char *what = in ? "standard input" : path;
	json_t *doc = json_parse_bounded(data, len, REPORT_MAX, what, err);
	free(data);
	if (doc && report_harden_check(doc, what, err) < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int cmd_report(int argc, char **argv)
{
	struct report_args a = { 0 };
	int rc = parse_args(&a, argc, argv);
	if (rc != EXIT_OK)
		return rc;
	struct qerr err = QERR_INIT;
	json_t *doc = load(argv[optind], &err);
	if (!doc)
		return fail("report", &err);
	struct output out;
	if (out_open(&out, a.co.output, &err) < 0) {
		json_decref(doc);
		return fail("report", &err);
	}
	if (a.html || a.co.format == FORMAT_JSON) {
		char *text = a.html ? report_harden_html(doc) : json_dump_sorted(doc, true);
		fputs(text, out.f);
		if (!a.html)
			fputc('\n', out.f);
		free(text);
	} else {
		report_harden_table(out.f, doc, REPORT_TABLE_FULL);
	}
	json_decref(doc);
	return out_close(&out, true, &err) < 0 ? fail("report", &err) : EXIT_OK;
}
