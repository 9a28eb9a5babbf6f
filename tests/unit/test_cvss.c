/* CVSS base scores: the vectors of tests/data/cvss/vectors.tsv (FIRST's
 * published examples, NVD vectors of well-known CVEs, and reference test
 * data), malformed vectors and their messages, and the severity bands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vuln/vuln.h"

#include <fcntl.h>

/* Scores compared in tenths, as the specification publishes them. */
static int tenths(double s)
{
	return (int)(s * 10.0 + (s < 0 ? -0.5 : 0.5));
}

static void assert_score(const char *vector, double want, int want_version)
{
	struct qerr err = QERR_INIT;
	double got = -1;
	int version = 0;
	if (cvss_base_score(vector, &got, &version, &err) < 0)
		fail_msg("%s: %s", vector, err.msg);
	if (tenths(got) != tenths(want))
		fail_msg("%s: score %.1f, expected %.1f", vector, got, want);
	if (want_version && version != want_version)
		fail_msg("%s: version %d, expected %d", vector, version, want_version);
}

static void assert_error(const char *vector, const char *want)
{
	struct qerr err = QERR_INIT;
	double score = -1;
	int version = 0;
	if (cvss_base_score(vector, &score, &version, &err) == 0)
		fail_msg("'%s' parsed (score %.1f); expected: %s", vector, score, want);
	if (!strstr(err.msg, want))
		fail_msg("'%s': error '%s' does not contain '%s'", vector, err.msg, want);
}

/* ---- the data file ----------------------------------------------------------- */

static void test_vectors_file(void **state)
{
	(void)state;
	const char *dir = getenv("QUENCH_TEST_DATA");
	if (!dir)
		dir = "tests/data";
	char *path = xasprintf("%s/cvss/vectors.tsv", dir);
	struct qerr err = QERR_INIT;
	char *data;
	size_t len;
	if (read_file_at(AT_FDCWD, path, 1u << 20, &data, &len, &err) < 0)
		fail_msg("%s", err.msg);
	int n30 = 0, n31 = 0, n40 = 0;
	for (char *line = data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *tab = strchr(line, '\t');
		if (!tab)
			fail_msg("%s: a line without a tab: %s", path, line);
		*tab = '\0';
		char *end;
		double want = strtod(tab + 1, &end);
		if (end == tab + 1)
			fail_msg("%s: no score for %s", path, line);
		int version = !strncmp(line, "CVSS:3.0/", 9) ? 30 : !strncmp(line, "CVSS:3.1/", 9) ? 31 : 40;
		assert_score(line, want, version);
		*(version == 30 ? &n30 : version == 31 ? &n31 : &n40) += 1;
	}
	print_message("vectors.tsv: %d v3.0, %d v3.1, %d v4.0 vectors pass\n", n30, n31, n40);
	assert_true(n30 + n31 >= 30);
	assert_true(n40 >= 30);
	free(data);
	free(path);
}

/* ---- v3 ------------------------------------------------------------------------ */

static void test_v3_basics(void **state)
{
	(void)state;
	/* Log4Shell, CVE-2021-44228, as NVD scores it */
	assert_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, 31);
	assert_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, 30);
	/* no impact: 0 whatever the exploitability */
	assert_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N", 0.0, 31);
	assert_score("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:L", 1.6, 31);
	/* v3.x does not fix the order */
	assert_score("CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N", 9.8, 31);
	/* every temporal and environmental metric, X included */
	assert_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/RL:X/RC:X/CR:X/IR:X/AR:X/"
		     "MAV:X/MAC:X/MPR:X/MUI:X/MS:X/MC:X/MI:X/MA:X", 9.8, 31);
	assert_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U/CR:L/IR:M/AR:H/"
		     "MAV:P/MAC:H/MPR:H/MUI:R/MS:C/MC:N/MI:L/MA:H", 9.8, 31);
	int version = 0;
	double s = 0;
	assert_int_equal(cvss_base_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", &s,
					 &version, NULL), 0);
	assert_int_equal(version, 31);
	assert_int_equal(tenths(s), 78);
	/* score and version may be NULL */
	assert_int_equal(cvss_base_score("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", NULL,
					 NULL, NULL), 0);
}

/* ---- v4 ------------------------------------------------------------------------ */

static void test_v4_basics(void **state)
{
	(void)state;
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0, 40);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9, 40);
	assert_score("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0, 40);
	assert_score("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 1.0, 40);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", 8.7, 40);
	/* CVSS-B: threat and environmental metrics do not change the base score */
	const char *all = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/E:U/"
			  "CR:L/IR:L/AR:L/MAV:P/MAC:H/MAT:P/MPR:H/MUI:A/MVC:N/MVI:N/MVA:N/"
			  "MSC:N/MSI:S/MSA:S/S:P/AU:Y/R:I/V:C/RE:H/U:Amber";
	assert_score(all, 8.7, 40);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/AR:L", 8.7, 40);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSI:H", 0.0, 40);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/"
		     "U:X", 9.3, 40);
}

/* Every one of the 104,976 base vectors scores, within [0, 10], one decimal. */
static void test_v4_every_base_vector(void **state)
{
	(void)state;
	static const char *const names[11] = { "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA",
						"SC", "SI", "SA" };
	static const char *const vals[11] = { "NALP", "LH", "NP", "NLH", "NPA", "HLN", "HLN",
					       "HLN", "HLN", "HLN", "HLN" };
	int idx[11] = { 0 };
	long count = 0, by_band[5] = { 0 };
	for (;;) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_adds(&sb, "CVSS:4.0");
		for (int i = 0; i < 11; i++)
			strbuf_addf(&sb, "/%s:%c", names[i], vals[i][idx[i]]);
		struct qerr err = QERR_INIT;
		double s;
		if (cvss_base_score(sb.buf, &s, NULL, &err) < 0)
			fail_msg("%s", err.msg);
		if (s < 0.0 || s > 10.0 || (double)tenths(s) / 10.0 != s)
			fail_msg("%s: score %f", sb.buf, s);
		by_band[cvss_severity_of(s)]++;
		strbuf_release(&sb);
		count++;
		int i = 10;
		while (i >= 0 && !vals[i][++idx[i]])
			idx[i--] = 0;
		if (i < 0)
			break;
	}
	assert_int_equal(count, 104976);
	for (int b = 0; b < 5; b++)
		assert_true(by_band[b] > 0);
}

/* ---- errors --------------------------------------------------------------------- */

static void test_errors(void **state)
{
	(void)state;
	assert_error("CVSS:3.1/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		     "CVSS vector 'CVSS:3.1/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H': metric 'AV' is missing");
	assert_error("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:H", "'ZZ' is not a metric");
	assert_error("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "'AV' appears twice");
	assert_error("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "value 'Q' of 'AV' is not valid");
	assert_error("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/E:U", "'E' appears twice");
	assert_error("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:Z", "value 'Z' of 'E' is not valid");
	/* X is for optional metrics only */
	assert_error("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "value 'X' of 'AV' is not valid");
	assert_error("CVSS:3.1/AV:NN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "value 'NN' of 'AV' is not valid");
	assert_error("CVSS:3.1/AV:/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "value '' of 'AV' is not valid");
	assert_error("CVSS:3.1/av:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "'av' is not a metric");
	/* v4 metrics are not v3 metrics, and the other way round */
	assert_error("CVSS:3.1/AV:N/AC:L/AT:N/PR:N/UI:N/S:U/C:H/I:H/A:H", "'AT' is not a metric");
	assert_error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/RL:O",
		     "'RL' is not a metric");
	assert_error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
		     "metric 'SA' is missing");
	assert_error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N",
		     "value 'S' of 'SI' is not valid");
	assert_error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:red",
		     "value 'red' of 'U' is not valid");
	/* v4.0 fixes the order */
	assert_error("CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
		     "metric 'AV' is out of order");
	assert_error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:H/E:A",
		     "metric 'E' is out of order");
	assert_error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/E:A",
		     "'E' appears twice");
	/* shape */
	assert_error("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "an empty metric");
	assert_error("CVSS:3.1//AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "an empty metric");
	assert_error("CVSS:3.1/", "an empty metric");
	assert_error("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/AH", "'AH' is not a metric:value pair");
	assert_error("CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "version '3.2' is not supported");
	assert_error("CVSS:3.1", "version '3.1' is not supported");
	assert_error("AV:N/AC:L/Au:N/C:P/I:P/A:P", "no 'CVSS:3.0/', 'CVSS:3.1/' or 'CVSS:4.0/' prefix");
	assert_error("", "prefix");
	assert_error(NULL, "none given");
	/* control characters are not echoed */
	assert_error("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/\x1b[31m:1", "'?[31m' is not a metric");
	/* a bounded input */
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
	while (sb.len <= 1024)
		strbuf_adds(&sb, "/E:X");
	assert_error(sb.buf, "longer than 1024 bytes");
	strbuf_release(&sb);
	/* a long vector is quoted, shortened */
	strbuf_adds(&sb, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
	while (sb.len < 900)
		strbuf_adds(&sb, "/E:X");
	strbuf_adds(&sb, "/E:X");
	assert_error(sb.buf, "...': 'E' appears twice");
	strbuf_release(&sb);
}

/* ---- severity -------------------------------------------------------------------- */

static void test_severity(void **state)
{
	(void)state;
	assert_int_equal(cvss_severity_of(0.0), CVSS_NONE);
	assert_int_equal(cvss_severity_of(0.1), CVSS_LOW);
	assert_int_equal(cvss_severity_of(3.9), CVSS_LOW);
	assert_int_equal(cvss_severity_of(4.0), CVSS_MEDIUM);
	assert_int_equal(cvss_severity_of(6.9), CVSS_MEDIUM);
	assert_int_equal(cvss_severity_of(7.0), CVSS_HIGH);
	assert_int_equal(cvss_severity_of(8.9), CVSS_HIGH);
	assert_int_equal(cvss_severity_of(9.0), CVSS_CRITICAL);
	assert_int_equal(cvss_severity_of(10.0), CVSS_CRITICAL);
	assert_int_equal(cvss_severity_of(-1.0), CVSS_NONE);
	assert_string_equal(cvss_severity_name(CVSS_NONE), "none");
	assert_string_equal(cvss_severity_name(CVSS_LOW), "low");
	assert_string_equal(cvss_severity_name(CVSS_MEDIUM), "medium");
	assert_string_equal(cvss_severity_name(CVSS_HIGH), "high");
	assert_string_equal(cvss_severity_name(CVSS_CRITICAL), "critical");
	/* the bands of scored vectors */
	double s;
	assert_int_equal(cvss_base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", &s, NULL,
					 NULL), 0);
	assert_int_equal(cvss_severity_of(s), CVSS_LOW);
	assert_int_equal(cvss_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/"
					 "SI:N/SA:N", &s, NULL, NULL), 0);
	assert_int_equal(cvss_severity_of(s), CVSS_CRITICAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_file),
		cmocka_unit_test(test_v3_basics),
		cmocka_unit_test(test_v4_basics),
		cmocka_unit_test(test_v4_every_base_vector),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_severity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
