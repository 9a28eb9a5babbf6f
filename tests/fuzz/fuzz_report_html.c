/* Fuzz the hardening report's readers: any bytes that parse as JSON are
 * checked, then rendered as HTML, as the table and as JSON — checked or
 * not, since the renderers promise to take any document. The page must
 * hold no raw '<' from the input: every tag in it is ours. */
#include "report/report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct qerr err = QERR_INIT;
	json_t *doc = json_parse_bounded((const char *)data, size, 1u << 20, "fuzz", &err);
	if (!doc)
		return 0;
	(void)report_harden_check(doc, "fuzz", &err);
	char *html = report_harden_html(doc);
	/* "<script" can only come from the input, and must arrive escaped */
	if (strstr(html, "<script") || strstr(html, "<img"))
		abort();
	free(html);
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		report_harden_table(null, doc, REPORT_TABLE_FULL);
		fclose(null);
	}
	free(json_dump_sorted(doc, true));
	json_decref(doc);
	return 0;
}
