/* Language-ecosystem version order: PEP 440 and SemVer (with npm ranges).
 *
 * The reference implementations' own vectors (tests/data/version-vectors/,
 * see its README) are replayed in both directions; then the order is checked
 * for antisymmetry and transitivity over every triple of the vectors'
 * versions, and hostile inputs must return quickly without crashing.
 *
 * Not replayed: semver-ranges-loose.tsv and semver-ranges-include-
 * prerelease.tsv (options we do not implement). From semver-loose.tsv only
 * the cases whose operands are both strict SemVer are used: for those, loose
 * and strict parsing agree, so the expected order holds for us too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vuln/vuln.h"

#include <fcntl.h>
#include <time.h>

/* ---- helpers ------------------------------------------------------------- */

struct tsv_case {
	char *a, *op, *b;
	int line;
};

struct tsv {
	char *data;
	struct tsv_case *v;
	size_t n, cap;
};

/* Read tests/data/version-vectors/<name> into cases (A, OP, B). */
static void tsv_load(struct tsv *t, const char *name)
{
	const char *dir = getenv("QUENCH_TEST_DATA");
	assert_non_null(dir);
	cleanup_free char *path = xasprintf("%s/version-vectors/%s", dir, name);
	struct qerr err = QERR_INIT;
	size_t len;
	memset(t, 0, sizeof(*t));
	if (read_file_at(AT_FDCWD, path, 16u << 20, &t->data, &len, &err) < 0)
		fail_msg("%s", err.msg);
	int line = 0;
	for (char *p = t->data; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		line++;
		if (*p && *p != '#') {
			char *t1 = strchr(p, '\t');
			char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
			if (!t1 || !t2)
				fail_msg("%s:%d: not A<TAB>OP<TAB>B", name, line);
			*t1 = *t2 = 0;
			t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
			t->v[t->n++] = (struct tsv_case){ p, t1 + 1, t2 + 1, line };
		}
		p = nl ? nl + 1 : NULL;
	}
}

static void tsv_release(struct tsv *t)
{
	free(t->data);
	free(t->v);
}

static int op_value(const char *op)
{
	if (!strcmp(op, "<"))
		return -1;
	if (!strcmp(op, "="))
		return 0;
	if (!strcmp(op, ">"))
		return 1;
	fail_msg("bad operator '%s'", op);
	return 2;
}

static const char *op_name(int c)
{
	return c < 0 ? "<" : c > 0 ? ">" : "=";
}

/* Every case and its reverse; returns how many cases passed both ways. */
static size_t replay_cmp(enum version_scheme s, const char *file, size_t expect_cases,
			 bool strict_only)
{
	struct tsv t;
	tsv_load(&t, file);
	size_t passed = 0, used = 0, failed = 0;
	for (size_t i = 0; i < t.n; i++) {
		struct tsv_case *c = &t.v[i];
		if (strict_only && (!version_valid(s, c->a) || !version_valid(s, c->b)))
			continue;
		used++;
		int want = op_value(c->op);
		int got = version_cmp(s, c->a, c->b), rev = version_cmp(s, c->b, c->a);
		bool valid = version_valid(s, c->a) && version_valid(s, c->b);
		if (got == want && rev == -want && valid) {
			passed++;
		} else {
			failed++;
			print_error("%s:%d: %s %s %s: got %s, reverse %s%s\n", file, c->line, c->a,
				    c->op, c->b, op_name(got), op_name(rev),
				    valid ? "" : " (an operand is not valid)");
		}
	}
	print_message("%s: %zu of %zu cases pass (both directions)\n", file, passed, used);
	if (expect_cases)
		assert_int_equal(used, expect_cases);
	assert_int_equal(failed, 0);
	tsv_release(&t);
	return passed;
}

/* ---- vectors --------------------------------------------------------------- */

static void t_pep440_vectors(void **state UNUSED)
{
	assert_int_equal(replay_cmp(VS_PEP440, "pep440.tsv", 930, false), 930);
}

static void t_semver_vectors(void **state UNUSED)
{
	assert_int_equal(replay_cmp(VS_SEMVER, "semver.tsv", 57, false), 57);
	/* loose cases whose operands are strict SemVer too */
	size_t n = replay_cmp(VS_SEMVER, "semver-loose.tsv", 0, true);
	assert_true(n > 0);
}

static void t_semver_range_vectors(void **state UNUSED)
{
	struct tsv t;
	tsv_load(&t, "semver-ranges.tsv");
	size_t passed = 0, failed = 0;
	for (size_t i = 0; i < t.n; i++) {
		struct tsv_case *c = &t.v[i];
		int want = !strcmp(c->op, "in") ? 1 : !strcmp(c->op, "out") ? 0 : -2;
		assert_int_not_equal(want, -2);
		int got = semver_satisfies(c->a, c->b);
		if (got == want) {
			passed++;
		} else {
			failed++;
			print_error("semver-ranges.tsv:%d: '%s' %s '%s': got %d\n", c->line, c->a,
				    c->op, c->b, got);
		}
	}
	print_message("semver-ranges.tsv: %zu of %zu cases pass\n", passed, t.n);
	assert_int_equal(t.n, 174);
	assert_int_equal(failed, 0);
	tsv_release(&t);
}

/* ---- hand-written cases ------------------------------------------------------ */

static void t_pep440_cases(void **state UNUSED)
{
	static const char *const valid[] = {
		"1", "1.0", " 1.0\n", "\t v1.0 ", "V1.0", "1.0a-", "1.0a.", "1.0.post.dev",
		"1.0-1", "1.0_r_2", "1!1.0", "1.0+a-b_c.1", "1.0a1-2", "1.0a--1", "1.0preview",
		"1.0rc", "01.02", "1.0.DEV", "9999999999999999999999999999999999.1",
	};
	static const char *const invalid[] = {
		"", " ", "v", "1.", "1..0", ".1", "1.0-", "1!", "!1", "1.0+", "1.0+a.", "1.0+a..b",
		"1.0+a+b", "1.0alp", "1.0ab", "1.0 1", "1.0\xc2\xa0", "a1.0",
		"1.0+\xff", "1!2!3", "1.0.post1.post2", "1.0dev1a1", "1.0a1b1", "vv1.0", "1.0--1",
	};
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++)
		if (!version_valid(VS_PEP440, valid[i]))
			fail_msg("'%s' should be a PEP 440 version", valid[i]);
	for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
		if (version_valid(VS_PEP440, invalid[i]))
			fail_msg("'%s' should not be a PEP 440 version", invalid[i]);

	static const struct {
		const char *a, *op, *b;
	} cmp[] = {
		{ "1.0", "=", "1.0.0.0" },
		{ "1.0+01", "=", "1.0+1" },
		{ "1.0+a-b", "=", "1.0+A.B" },
		{ "1.0+1", ">", "1.0+z" },
		{ "1.0+abc", "<", "1.0+abd" },
		{ "1.0", "<", "1.0+0" },
		{ "1.0.dev1", "<", "1.0a1.dev1" },
		{ "1.0a1.dev1", "<", "1.0a1" },
		{ "1.0.post1.dev1", "<", "1.0.post1" },
		{ "1.0.post1.dev1", ">", "1.0" },
		{ "1.0a-", "=", "1.0a0" },
		{ "1.0-1", "=", "1.0.post1" },
		{ "1.0preview2", "=", "1.0rc2" },
		{ "1!0.1", ">", "99999999999999999999999" },
		{ "123456789012345678901234567890", "<", "123456789012345678901234567891" },
		{ "0123456789012345678901234567890", "=", "123456789012345678901234567890" },
		{ "1.0.post.dev", "=", "1.0.post0.dev0" },
		{ "\t 1.0 ", "=", "1.0" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cmp); i++) {
		int want = op_value(cmp[i].op);
		int got = version_cmp(VS_PEP440, cmp[i].a, cmp[i].b);
		int rev = version_cmp(VS_PEP440, cmp[i].b, cmp[i].a);
		if (got != want || rev != -want)
			fail_msg("'%s' %s '%s': got %s", cmp[i].a, cmp[i].op, cmp[i].b,
				 op_name(got));
	}
	/* invalid strings sort first and bytewise among themselves */
	assert_int_equal(version_cmp(VS_PEP440, "junk", "0"), -1);
	assert_int_equal(version_cmp(VS_PEP440, "junk", "junk"), 0);
	assert_int_equal(version_cmp(VS_PEP440, "a-junk", "b-junk"), -1);
}

static void t_semver_cases(void **state UNUSED)
{
	static const char *const valid[] = {
		"0.0.0", "1.2.3", " v1.2.3\n", "1.2.3-0", "1.2.3-0a", "1.2.3--", "1.2.3-a.-.0",
		"1.2.3+001", "1.2.3-rc.1+build.5", "9007199254740991.0.0",
		"1.2.3-99999999999999999999999",
	};
	static const char *const invalid[] = {
		"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "1.2.3-01", "1.2.3-",
		"1.2.3+", "1.2.3-a..b", "1.2.3+a..b", "=1.2.3", "V1.2.3", "vv1.2.3", "1.2.3 4",
		"9007199254740992.0.0", "1.2.3-\xc3\xa9", "-1.2.3", "1.2.3-a_b",
	};
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++)
		if (!version_valid(VS_SEMVER, valid[i]))
			fail_msg("'%s' should be SemVer", valid[i]);
	for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
		if (version_valid(VS_SEMVER, invalid[i]))
			fail_msg("'%s' should not be SemVer", invalid[i]);
	/* node-semver refuses a version longer than 256 characters */
	char long_v[300];
	memset(long_v, 'a', sizeof(long_v));
	memcpy(long_v, "1.2.3-", 6);
	long_v[256] = 0;
	assert_true(version_valid(VS_SEMVER, long_v));
	long_v[256] = 'a';
	long_v[257] = 0;
	assert_false(version_valid(VS_SEMVER, long_v));

	static const struct {
		const char *a, *op, *b;
	} cmp[] = {
		{ "1.2.3-alpha", "<", "1.2.3-alpha.1" },
		{ "1.2.3-alpha.1", "<", "1.2.3-alpha.beta" },
		{ "1.2.3-beta.2", "<", "1.2.3-beta.11" },
		{ "1.2.3-rc.1", "<", "1.2.3" },
		{ "1.2.3+a", "=", "1.2.3+b" },
		{ "v1.2.3", "=", "1.2.3" },
		{ "1.2.3-99999999999999999999998", "<", "1.2.3-99999999999999999999999" },
		{ "1.2.3-9", "<", "1.2.3-10" },
		{ "1.2.3-9", "<", "1.2.3--" },
		{ "10.0.0", ">", "9.99.99" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cmp); i++) {
		int want = op_value(cmp[i].op);
		int got = version_cmp(VS_SEMVER, cmp[i].a, cmp[i].b);
		int rev = version_cmp(VS_SEMVER, cmp[i].b, cmp[i].a);
		if (got != want || rev != -want)
			fail_msg("'%s' %s '%s': got %s", cmp[i].a, cmp[i].op, cmp[i].b,
				 op_name(got));
	}
}

/* Each checked against node-semver 7.8.5's satisfies() (false for a range
 * it cannot parse, which is -1 here). */
static void t_semver_range_cases(void **state UNUSED)
{
	static const struct {
		const char *v, *range;
		int want;
	} cases[] = {
		{ "1.2.3", "", 1 },
		{ "1.2.3-a", "", 0 },
		{ "1.2.3", "  >=1.0.0\t<2.0.0 ", 1 },
		{ "1.2.3", ">= 1.0.0 < 2", 1 },
		{ "2.0.0-a", "<2", 0 },
		{ "1.9.9", "<2", 1 },
		{ "1.2.3", ">1", 0 },
		{ "2.0.0", ">1", 1 },
		{ "1.3.0", ">1.2", 1 },
		{ "1.2.9", ">1.2", 0 },
		{ "1.3.0", "<=1.2", 0 },
		{ "1.2.9", "<=1.2", 1 },
		{ "0.0.0", "<*", 0 },
		{ "1.2.3", ">=*", 1 },
		{ "0.0.5", "^0.0", 1 },
		{ "0.1.0", "^0.0", 0 },
		{ "0.0.4", "^0.0.3", 0 },
		{ "0.0.3", "^0.0.3", 1 },
		{ "0.2.9", "^0.2.3", 1 },
		{ "0.3.0", "^0.2.3", 0 },
		{ "1.9.0", "^1.x", 1 },
		{ "1.2.3", "~1.2.3", 1 },
		{ "1.3.0", "~1.2.3", 0 },
		{ "1.2.3", "1.2.3+build", 1 },
		{ "1.2.4", "1.2 - 1.3", 1 },
		{ "1.4.0", "1.2 - 1.3", 0 },
		{ "1.3.9", "1.2 - 1.3", 1 },
		{ "1.2.3", "v1.2.3", 1 },
		{ "1.2.3", "=v1.2.3", 1 },
		{ "1.2.3", "1.2.3*", 1 },
		{ "1.0.0-a", "* || 1.0.0-a", 0 },
		{ "1.0.0-a", ">=1.0.0-a || 2", 1 },
		{ "1.2.3", "||||", 1 },
		{ "not a version", "1.x", 0 },
		{ "1.2.3", ">=", -1 },
		{ "1.2.3", "foo", -1 },
		{ "1.2.3", "1.2.3.4", -1 },
		{ "1.2.3", "x.1", -1 },
		{ "1.2.3", "1.x.3", -1 },
		{ "1.2.3", "1.2.3 - ", -1 },
		{ "1.2.3", ">=1.2.3 || bar", -1 },
		{ "1.2.3", "01.2.3", -1 },
		{ "1.2.3", "^9007199254740991", -1 },
		{ "1.2.3", "^9007199254740990", 0 },
		{ "1.2.3", "^x.99999999999999999999", 1 },
		{ "1.2.3", "> = 1", -1 },
		{ "1.2.3", "~ > 1", 1 },
		{ "1.2.3", "\xc3\xa9", -1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int got = semver_satisfies(cases[i].v, cases[i].range);
		if (got != cases[i].want)
			fail_msg("satisfies('%s', '%s'): got %d, want %d", cases[i].v,
				 cases[i].range, got, cases[i].want);
	}
	assert_int_equal(semver_satisfies(NULL, "*"), 0);
	assert_int_equal(semver_satisfies("1.0.0", NULL), -1);
}

/* ---- order properties ---------------------------------------------------------- */

static void add_unique(struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return;
	strvec_push(sv, s);
}

/* Antisymmetry and transitivity over every triple of versions. */
static void check_order(enum version_scheme s, struct strvec *sv)
{
	size_t n = sv->n;
	signed char *m = xmalloc(n * n);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			m[i * n + j] = (signed char)version_cmp(s, sv->v[i], sv->v[j]);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(m[i * n + i], 0);
		for (size_t j = 0; j < n; j++)
			if (m[i * n + j] != -m[j * n + i])
				fail_msg("'%s' vs '%s' is not antisymmetric", sv->v[i], sv->v[j]);
	}
	size_t triples = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int ij = m[i * n + j];
			if (ij > 0)
				continue;
			for (size_t k = 0; k < n; k++) {
				int jk = m[j * n + k];
				if (jk > 0)
					continue;
				int ik = m[i * n + k];
				int want = ij < 0 || jk < 0 ? -1 : 0;
				triples++;
				if (ik != want)
					fail_msg("'%s' %s '%s' %s '%s' but '%s' %s '%s'", sv->v[i],
						 op_name(ij), sv->v[j], op_name(jk), sv->v[k],
						 sv->v[i], op_name(ik), sv->v[k]);
			}
		}
	print_message("%zu versions, %zu ordered triples checked\n", n, triples);
	free(m);
}

static void t_order_properties(void **state UNUSED)
{
	static const char *const extra[] = { "", "junk", "1.0.0.0.0", "v", "1!", "\xff" };
	struct strvec sv = STRVEC_INIT;
	struct tsv t;
	tsv_load(&t, "pep440.tsv");
	for (size_t i = 0; i < t.n; i++) {
		add_unique(&sv, t.v[i].a);
		add_unique(&sv, t.v[i].b);
	}
	tsv_release(&t);
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
		add_unique(&sv, extra[i]);
	check_order(VS_PEP440, &sv);
	strvec_clear(&sv);

	const char *files[] = { "semver.tsv", "semver-loose.tsv" };
	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		tsv_load(&t, files[f]);
		for (size_t i = 0; i < t.n; i++) {
			add_unique(&sv, t.v[i].a);
			add_unique(&sv, t.v[i].b);
		}
		tsv_release(&t);
	}
	tsv_load(&t, "semver-ranges.tsv");
	for (size_t i = 0; i < t.n; i++)
		add_unique(&sv, t.v[i].a);
	tsv_release(&t);
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
		add_unique(&sv, extra[i]);
	check_order(VS_SEMVER, &sv);
	strvec_clear(&sv);
}

/* ---- hostile input ---------------------------------------------------------------- */

static char *repeat(const char *prefix, const char *unit, size_t times, const char *suffix)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, prefix);
	for (size_t i = 0; i < times; i++)
		strbuf_adds(&sb, unit);
	strbuf_adds(&sb, suffix);
	return strbuf_detach(&sb);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void t_hostile(void **state UNUSED)
{
	/* sizes where anything quadratic would take minutes */
	enum { N = 100000 };
	char *in[] = {
		xstrdup(""),
		repeat("", "9", 10000, ""),
		repeat("", "9", N, ""),
		repeat("", "1!", 1000, ""),
		repeat("", "1!", N, "0"),
		repeat("1.0+", "a.", 5000, ""),
		repeat("1.0+", "a.", N, "a"),
		repeat("", "1.", N, "0"),
		repeat("1.2.3-", "a.", N, "a"),
		repeat("1.2.3-", "0", N, ""),
		repeat("", " ", N, "1.0"),
		repeat("1.0", "a", N, ""),
		repeat("1.0.", "post", N, ""),
		xstrdup("\x80\x81\xfe\xff"),
		xstrdup("1.0\xff"),
		xstrdup("1.2.3-\xff"),
	};
	double t0 = now_s();
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(in); j++) {
			version_cmp(VS_PEP440, in[i], in[j]);
			version_cmp(VS_SEMVER, in[i], in[j]);
		}
		semver_satisfies(in[i], "*");
		semver_satisfies("1.2.3", in[i]);
	}
	assert_false(version_valid(VS_PEP440, in[0]));
	assert_true(version_valid(VS_PEP440, in[1]));
	assert_false(version_valid(VS_PEP440, in[3]));
	assert_false(version_valid(VS_PEP440, in[5]));
	assert_true(version_valid(VS_PEP440, in[6]));
	assert_true(version_valid(VS_PEP440, in[7]));
	assert_false(version_valid(VS_SEMVER, in[8]));   /* longer than 256 */
	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		free(in[i]);

	char *ranges[] = {
		repeat("", "||", 10000, ""),
		repeat("1.0.0", " || 1.0.0", 10000, ""),
		repeat("", "||", N, ""),
		repeat("", "~ ", N, "1"),
		repeat("", "^ ", N, "1"),
		repeat("", "> ", N, "1"),
		repeat("", ">= ", N, "1.2.3"),
		repeat("", "1.2.3 - ", N, "2.0.0"),
		repeat("", "x ", N, ""),
		repeat("", "*", N, ""),
		repeat("", "+a", N, ""),
		repeat("1.2.3", "+", N, ""),
		repeat("", "^1.2.3 ", N, ""),
		repeat("", "1.2.", N, "3"),
		repeat("", "\t", N, "1.2.3"),
		repeat("", "9", N, ""),
		repeat("~", "9", N, ""),
		repeat("1.2.3-", "a", N, ""),
		repeat(">=1.2.3 <", "9", N, ".0.0"),
		xstrdup("\x80 || \xff"),
	};
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++) {
		int r = semver_satisfies("1.2.3", ranges[i]);
		assert_true(r >= -1 && r <= 1);
		semver_satisfies("1.2.3-a", ranges[i]);
		semver_satisfies(ranges[i], ranges[i]);
	}
	assert_int_equal(semver_satisfies("1.2.3", ranges[0]), 1);
	assert_int_equal(semver_satisfies("1.0.0", ranges[1]), 1);
	assert_int_equal(semver_satisfies("1.2.3", ranges[12]), 1);
	assert_int_equal(semver_satisfies("1.2.3", ranges[17]), -1);
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
		free(ranges[i]);
	double dt = now_s() - t0;
	print_message("hostile inputs: %.3f s\n", dt);
	/* linear work over a few megabytes; generous for sanitizer builds */
	assert_true(dt < 20.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_pep440_vectors),
		cmocka_unit_test(t_semver_vectors),
		cmocka_unit_test(t_semver_range_vectors),
		cmocka_unit_test(t_pep440_cases),
		cmocka_unit_test(t_semver_cases),
		cmocka_unit_test(t_semver_range_cases),
		cmocka_unit_test(t_order_properties),
		cmocka_unit_test(t_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
