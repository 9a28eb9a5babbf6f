/* report: the hardening report (quench-harden/1) read back — the check
 * (schema, types, named fields), the HTML page (every string escaped,
 * missing sections said, counts by class and severity, order, same bytes
 * twice) and the terminal table (control characters, the findings left). */
#include "report/report.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static json_t *parse(const char *text)
{
	struct qerr err = QERR_INIT;
	json_t *j = json_parse_bounded(text, strlen(text), 1u << 20, "test", &err);
	if (!j)
		fail_msg("%s", err.msg);
	return j;
}

/* report_harden_table's text for j (caller frees) */
static char *table_text(json_t *j, unsigned flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		fail_msg("open_memstream");
	report_harden_table(f, j, flags);
	fclose(f);
	return buf;
}

/* A report as harden writes it, with findings of every class and severity
 * (out of order) and a field a later quench may add. */
static const char report[] =
	"{\"schema\": \"quench-harden/1\", \"validation\": \"passed\","
	" \"dropped\": {\"setuidBits\": 11, \"deviceNodes\": 2},"
	" \"source\": {\"image\": \"oci:src:1\", \"manifestDigest\": \"sha256:aa\", \"files\": 4886,"
	"  \"bytes\": 99828551, \"packages\": 95, \"shells\": [\"bin/sh\", \"bin/bash\"],"
	"  \"packageManagers\": [\"usr/bin/apt\"], \"setuidFiles\": 11, \"user\": \"root\","
	"  \"capabilities\": 14},"
	" \"hardened\": {\"image\": \"oci:hard:1\", \"manifestDigest\": \"sha256:bb\", \"files\": 75,"
	"  \"bytes\": 11588803, \"packages\": 9, \"shells\": [], \"packageManagers\": [],"
	"  \"setuidFiles\": 0, \"user\": \"65532:65532\", \"syscallsAllowed\": 96,"
	"  \"capabilities\": 0, \"futureNote\": \"ignored\"},"
	" \"findings\": {\"before\": 9, \"after\": 5, \"reachable\": 3, \"present\": 2, \"removed\": 4,"
	"  \"left\": ["
	"   {\"id\": \"CVE-3\", \"package\": \"zlib1g\", \"class\": \"present\", \"severity\": \"high\"},"
	"   {\"id\": \"CVE-2\", \"package\": \"libc6\", \"class\": \"reachable\", \"severity\": \"critical\","
	"    \"evidence\": \"executed /usr/lib/ld.so\"},"
	"   {\"id\": \"CVE-1\", \"package\": \"libc6\", \"class\": \"reachable\", \"severity\": \"critical\","
	"    \"evidence\": \"loaded /usr/lib/libc.so.6\"},"
	"   {\"id\": \"CVE-5\", \"package\": \"python3\", \"class\": \"reachable\", \"severity\": \"sky-high\","
	"    \"evidence\": \"executed /usr/bin/python3\"},"
	"   {\"id\": \"CVE-4\", \"package\": \"zlib1g\", \"class\": \"present\", \"severity\": \"low\"}"
	"  ]}}";

static void t_check(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	json_t *j = parse(report);
	assert_int_equal(report_harden_check(j, "r.json", &err), 0);
	json_decref(j);

	static const struct { const char *doc, *msg; } bad[] = {
		{ "{\"schema\": \"quench-harden/2\"}", "r.json: schema 'quench-harden/2' is not quench-harden/1" },
		{ "{\"source\": {}}", "r.json: schema '(none)' is not quench-harden/1" },
		{ "[\"quench-harden/1\"]", "r.json: not a quench harden report" },
		{ "{\"schema\": \"quench-harden/1\", \"source\": {\"bytes\": -5}}", "r.json: source.bytes: not a count" },
		{ "{\"schema\": \"quench-harden/1\", \"hardened\": {\"shells\": [\"sh\", 1]}}",
		  "r.json: hardened.shells: not a list of strings" },
		{ "{\"schema\": \"quench-harden/1\", \"findings\": []}", "r.json: findings: not an object" },
		{ "{\"schema\": \"quench-harden/1\", \"findings\": {\"left\": [{}, 3]}}",
		  "r.json: findings.left[1]: not an object" },
		{ "{\"schema\": \"quench-harden/1\", \"findings\": {\"left\": [{\"evidence\": {}}]}}",
		  "r.json: findings.left[0].evidence: not a string" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		j = parse(bad[i].doc);
		err = (struct qerr)QERR_INIT;
		assert_int_equal(report_harden_check(j, "r.json", &err), -1);
		if (!str_starts_with(err.msg, bad[i].msg))
			fail_msg("%s: got '%s'", bad[i].doc, err.msg);
		json_decref(j);
	}
	/* null is absent; unknown fields are someone's later addition */
	j = parse("{\"schema\": \"quench-harden/1\", \"rootNeededFor\": null, \"new\": {\"x\": []},"
		  " \"source\": {\"files\": null, \"later\": \"x\"}}");
	assert_int_equal(report_harden_check(j, "r.json", &err), 0);
	json_decref(j);
}

static void t_html(void **state)
{
	(void)state;
	json_t *j = parse(report);
	char *html = report_harden_html(j);
	/* the numbers, where a reader (and the integration test) finds them */
	assert_non_null(strstr(html, "<td class=\"num\" id=\"source-bytes\">95.2 MiB<small>99828551 bytes</small></td>"));
	assert_non_null(strstr(html, "<td class=\"num\" id=\"hardened-files\">75</td>"));
	assert_non_null(strstr(html, "<td class=\"num\" id=\"source-shells\">2<small>bin/sh bin/bash</small></td>"));
	assert_non_null(strstr(html, "<td class=\"num\" id=\"hardened-syscallsAllowed\">96</td>"));
	assert_non_null(strstr(html, "<td class=\"num\" id=\"source-syscallsAllowed\">all"));
	assert_non_null(strstr(html, "<td class=\"num change\">-98.5 %</td>"));
	assert_non_null(strstr(html, "<span id=\"dropped-setuid\">11</span>"));
	assert_null(strstr(html, "row-executables"));   /* not in this report */
	/* a count added later gets a row by its key; a string does not */
	assert_non_null(strstr(html, "<tr class=\"extra\"><th>capabilities</th><td class=\"num\">14</td><td class=\"num\">0</td>"));
	assert_null(strstr(html, "futureNote"));
	/* by class, from the counts; by severity, from the findings left */
	assert_non_null(strstr(html, "<g data-label=\"removed\" data-total=\"4\">"));
	assert_non_null(strstr(html, "<g data-label=\"reachable\" data-total=\"3\">"));
	assert_non_null(strstr(html, "<g data-label=\"critical\" data-total=\"2\">"));
	assert_non_null(strstr(html, "id=\"root\"><h3>Root</h3><p class=\"ok\">not needed</p>"));
	assert_non_null(strstr(html, "<g data-label=\"high\" data-total=\"1\">"));
	assert_non_null(strstr(html, "<g data-label=\"medium\" data-total=\"0\">"));
	assert_non_null(strstr(html, "<g data-label=\"unknown\" data-total=\"1\">"));   /* sky-high */
	assert_null(strstr(html, "data-label=\"none\""));
	/* reachable first, by severity, then id; evidence beside each */
	const char *c1 = strstr(html, "CVE-1</code>"), *c2 = strstr(html, "CVE-2</code>"),
		   *c5 = strstr(html, "CVE-5</code>"), *c3 = strstr(html, "CVE-3</code>"),
		   *c4 = strstr(html, "CVE-4</code>");
	assert_true(c1 && c2 && c5 && c3 && c4);
	assert_true(c1 < c2 && c2 < c5 && c5 < c3 && c3 < c4);
	assert_non_null(strstr(c1, "<code>loaded /usr/lib/libc.so.6</code>"));
	/* self-contained: nothing to fetch, no script */
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	/* same document, same bytes; the order it lists findings in does not matter */
	char *again = report_harden_html(j);
	assert_string_equal(html, again);
	free(again);
	json_t *left = json_object_get(json_object_get(j, "findings"), "left");
	json_t *first = json_incref(json_array_get(left, 0));
	json_array_remove(left, 0);
	json_array_append_new(left, first);
	again = report_harden_html(j);
	assert_string_equal(html, again);
	free(again);
	free(html);
	json_decref(j);
}

static void t_escaping(void **state)
{
	(void)state;
	json_t *j = parse("{\"schema\": \"quench-harden/1\","
			  " \"source\": {\"image\": \"</title><script>alert(1)</script>\","
			  "  \"shells\": [\"<img src=x onerror=alert(1)>\"], \"user\": \"a\\u001b[31mb\"},"
			  " \"hardened\": {\"seccompProfile\": \"x\\\" onmouseover=\\\"y\"},"
			  " \"rootNeededFor\": \"bind & <listen>\","
			  " \"findings\": {\"left\": [{\"id\": \"'><svg onload=x>\", \"package\": \"<script>\","
			  "  \"class\": \"reachable\\\" style=\\\"\", \"severity\": \"high\\\"><b>\","
			  "  \"evidence\": \"read /tmp/\\\"&'<>\"}]}}");
	/* bytes that are no UTF-8 (json_loads would refuse them; a caller need not) */
	json_object_set_new(json_object_get(j, "hardened"), "image", json_string_nocheck("a\xff<b"));
	char *html = report_harden_html(j);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<svg onload"));
	assert_null(strstr(html, "<b>"));
	assert_null(strstr(html, "<listen>"));
	assert_null(strstr(html, "\" onmouseover"));
	assert_null(strstr(html, "\x1b"));
	assert_null(strstr(html, "\xff"));
	assert_non_null(strstr(html, "<title>quench harden: &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>"));
	assert_non_null(strstr(html, "<td class=\"package\">&lt;script&gt;</td>"));
	assert_non_null(strstr(html, "<code>read /tmp/&quot;&amp;&#39;&lt;&gt;</code>"));
	assert_non_null(strstr(html, "<code>&#39;&gt;&lt;svg onload=x&gt;</code>"));
	assert_non_null(strstr(html, "a\xef\xbf\xbd[31mb"));        /* ESC as U+FFFD */
	assert_non_null(strstr(html, "a\xef\xbf\xbd&lt;b"));
	assert_non_null(strstr(html, "bind &amp; &lt;listen&gt;"));
	/* class and severity words that are not ours pick no class of theirs */
	assert_non_null(strstr(html, "<tr class=\"other\">"));
	assert_non_null(strstr(html, "<span class=\"sev sev-unknown\">high&quot;&gt;&lt;b&gt;</span>"));
	free(html);

	char *buf = table_text(j, REPORT_TABLE_FULL);
	assert_null(strchr(buf, '\x1b'));
	assert_non_null(strstr(buf, "a?[31mb"));
	free(buf);
	json_decref(j);
}

static void t_missing(void **state)
{
	(void)state;
	json_t *j = parse("{\"schema\": \"quench-harden/1\", \"source\": {\"files\": 10},"
			  " \"hardened\": {\"files\": 4, \"executables\": 2}}");
	char *html = report_harden_html(j);
	assert_non_null(strstr(html, "id=\"no-findings\""));
	assert_non_null(strstr(html, "without an advisory database"));
	assert_non_null(strstr(html, "<td class=\"num\" id=\"source-bytes\">\xe2\x80\x94</td>"));
	/* executables: a row as soon as one side has them */
	assert_non_null(strstr(html, "<td class=\"num\" id=\"hardened-executables\">2</td>"));
	assert_null(strstr(html, "chart-severity"));
	assert_non_null(strstr(html, "id=\"root\"><h3>Root</h3><p class=\"ok\">not needed</p>"));
	free(html);
	json_object_set_new(json_object_get(j, "hardened"), "user", json_string("0:0"));
	html = report_harden_html(j);
	assert_non_null(strstr(html, "id=\"root\"><h3>Root</h3><p class=\"warn\">kept</p>"
				     "<p class=\"note\">chosen for the hardened image (--user)</p>"));
	free(html);

	char *buf = table_text(j, REPORT_TABLE_FULL);
	assert_non_null(strstr(buf, "files                              10                  4\n"));
	assert_non_null(strstr(buf, "executables                         -                  2\n"));
	assert_non_null(strstr(buf, "findings: not in this report"));
	free(buf);
	json_decref(j);

	/* findings without the list of those left */
	j = parse("{\"schema\": \"quench-harden/1\", \"findings\": {\"before\": 3, \"after\": 0,"
		  " \"reachable\": 0, \"present\": 0, \"removed\": 3}}");
	html = report_harden_html(j);
	assert_non_null(strstr(html, "id=\"no-left\">The report does not list"));
	assert_non_null(strstr(html, "<span id=\"findings-removed\">3</span>"));
	free(html);
	json_decref(j);
}

static void t_table(void **state)
{
	(void)state;
	json_t *j = parse(report);
	char *buf = table_text(j, 0);
	assert_string_equal(buf,
		"                               source           hardened\n"
		"size                         95.2 MiB           11.1 MiB\n"
		"files                            4886                 75\n"
		"packages                           95                  9\n"
		"setuid files                       11                  0\n"
		"shells                              2                  0\n"
		"package managers                    1                  0\n"
		"user                             root        65532:65532\n"
		"syscalls allowed                  all                 96\n"
		"capabilities                       14                  0\n"
		"findings                            9                  5  (3 reachable, 2 present, 4 removed)\n"
		"validation: passed; image sha256:bb\n");
	free(buf);
	buf = table_text(j, REPORT_TABLE_FULL);
	assert_non_null(strstr(buf, "dropped: 11 setuid bits, 2 device nodes\n"));
	const char *first = strstr(buf, "\nfinding left");
	assert_non_null(first);
	assert_non_null(strstr(first, "\nCVE-1                critical  reachable  libc6"
				      "                        loaded /usr/lib/libc.so.6\n"));
	assert_true(strstr(buf, "CVE-1 ") < strstr(buf, "CVE-4 "));
	free(buf);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_check),
		cmocka_unit_test(t_html),
		cmocka_unit_test(t_escaping),
		cmocka_unit_test(t_missing),
		cmocka_unit_test(t_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
