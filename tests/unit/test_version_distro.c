/* Distro version order: dpkg, rpm, apk.
 *
 * The reference implementations' own vectors (tests/data/version-vectors/,
 * see its README: dpkg's and apt's, rpm's rpmvercmp.at, apk-tools'
 * version.data) are replayed through version_cmp in both directions; the
 * order must be antisymmetric and transitive over every triple of the
 * vectors' versions; hostile strings must compare without crashing, in
 * linear time.
 */
#include "vuln/vuln.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

struct vectors {
	char *data;
	char **a, **op, **b;
	size_t n;
};

static void load(struct vectors *v, const char *name)
{
	const char *dir = getenv("QUENCH_TEST_DATA");
	assert_non_null(dir);
	char *path = xasprintf("%s/version-vectors/%s", dir, name);
	struct qerr err = QERR_INIT;
	size_t len, cap = 0;
	memset(v, 0, sizeof(*v));
	if (read_file_at(AT_FDCWD, path, 1 << 20, &v->data, &len, &err) < 0)
		fail_msg("%s", err.msg);
	free(path);
	for (char *line = strtok(v->data, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t1 || !t2)
			fail_msg("%s: '%s' is not A<TAB>OP<TAB>B", name, line);
		*t1 = *t2 = '\0';
		size_t c1 = cap, c2 = cap;
		v->a = xgrow(v->a, &cap, v->n + 1, sizeof(*v->a));
		v->op = xgrow(v->op, &c1, v->n + 1, sizeof(*v->op));
		v->b = xgrow(v->b, &c2, v->n + 1, sizeof(*v->b));
		v->a[v->n] = line;
		v->op[v->n] = t1 + 1;
		v->b[v->n++] = t2 + 1;
	}
}

static void release(struct vectors *v)
{
	free(v->data);
	free(v->a);
	free(v->op);
	free(v->b);
}

static size_t replay(enum version_scheme s, const char *name)
{
	struct vectors v;
	load(&v, name);
	for (size_t i = 0; i < v.n; i++) {
		int want = v.op[i][0] == '<' ? -1 : v.op[i][0] == '>' ? 1 : 0;
		int got = version_cmp(s, v.a[i], v.b[i]), back = version_cmp(s, v.b[i], v.a[i]);
		if (got != want || back != -want)
			fail_msg("%s: %s %s %s: got %d (reverse %d)", name, v.a[i], v.op[i], v.b[i],
				 got, back);
	}
	size_t n = v.n;
	release(&v);
	return n;
}

static void t_dpkg_vectors(void **state)
{
	(void)state;
	assert_int_equal(replay(VS_DPKG, "dpkg.tsv"), 195);
}

static void t_rpm_vectors(void **state)
{
	(void)state;
	assert_int_equal(replay(VS_RPM, "rpm.tsv"), 91);
}

static void t_apk_vectors(void **state)
{
	(void)state;
	assert_int_equal(replay(VS_APK, "apk.tsv"), 717);
}

/* Reflexivity and antisymmetry over every pair of the vectors' versions;
 * transitivity over every triple of 48 of them, spread over the file. */
static void check_order(enum version_scheme s, const char *name)
{
	struct vectors v;
	load(&v, name);
	size_t n = 2 * v.n;
	const char **w = xmalloc(n * sizeof(*w));
	for (size_t i = 0; i < v.n; i++) {
		w[2 * i] = v.a[i];
		w[2 * i + 1] = v.b[i];
	}
	for (size_t i = 0; i < n; i++) {
		if (version_cmp(s, w[i], w[i]) != 0)
			fail_msg("%s: %s is not equal to itself", name, w[i]);
		for (size_t j = i + 1; j < n; j++)
			if (version_cmp(s, w[i], w[j]) != -version_cmp(s, w[j], w[i]))
				fail_msg("%s: %s vs %s not antisymmetric", name, w[i], w[j]);
	}
	enum { K = 48 };
	const char *t[K];
	for (size_t i = 0; i < K; i++)
		t[i] = w[i * (n - 1) / (K - 1)];
	for (size_t i = 0; i < K; i++)
		for (size_t j = 0; j < K; j++) {
			int ij = version_cmp(s, t[i], t[j]);
			for (size_t k = 0; k < K; k++) {
				int jk = version_cmp(s, t[j], t[k]), ik = version_cmp(s, t[i], t[k]);
				if (ij <= 0 && jk <= 0 && ik > 0)
					fail_msg("%s: %s <= %s <= %s but not %s <= %s", name, t[i],
						 t[j], t[k], t[i], t[k]);
				if (ij == 0 && jk == 0 && ik != 0)
					fail_msg("%s: %s = %s = %s but not %s = %s", name, t[i], t[j],
						 t[k], t[i], t[k]);
			}
		}
	free(w);
	release(&v);
}

static void t_total_order(void **state)
{
	(void)state;
	check_order(VS_DPKG, "dpkg.tsv");
	check_order(VS_RPM, "rpm.tsv");
	check_order(VS_APK, "apk.tsv");
}

/* Real package versions, as distros write them. */
static void t_real(void **state)
{
	(void)state;
	assert_true(version_cmp(VS_DPKG, "3.0.11-1~deb12u2", "3.0.11-1") < 0);
	assert_true(version_cmp(VS_DPKG, "1:1.2.13.dfsg-1", "1.3") > 0);
	assert_true(version_cmp(VS_DPKG, "2.36-9+deb12u4", "2.36-9+deb12u10") < 0);
	assert_true(version_cmp(VS_RPM, "1:3.0.7-27.el9", "3.0.7-28.el9") > 0);
	assert_true(version_cmp(VS_RPM, "3.0.7-27.el9", "3.0.7-27.el9_2") < 0);
	assert_true(version_cmp(VS_RPM, "1.0~rc1-1", "1.0-1") < 0);
	assert_true(version_cmp(VS_APK, "3.1.4-r5", "3.1.4-r10") < 0);
	assert_true(version_cmp(VS_APK, "1.2.4_rc1-r0", "1.2.4-r0") < 0);
	assert_true(version_cmp(VS_APK, "1.36.1-r15", "1.36.1_p1-r0") < 0);
	assert_false(version_valid(VS_DPKG, ""));
	assert_false(version_valid(VS_DPKG, "a:1.0"));
	assert_false(version_valid(VS_DPKG, "1:"));
	assert_false(version_valid(VS_DPKG, "1.0 1"));
	assert_true(version_valid(VS_DPKG, "2147483647:1"));
	assert_false(version_valid(VS_DPKG, "2147483648:1"));   /* epoch > INT_MAX */
	assert_true(version_valid(VS_DPKG, "a-0"));             /* dpkg warns, compares */
	assert_true(version_cmp(VS_DPKG, "1:2:3-4-5", "1:2:3-4-4") > 0);   /* last '-' */
	assert_true(version_cmp(VS_DPKG, "1.0~~", "1.0~~a") < 0);
	assert_true(version_cmp(VS_DPKG, "1.0~", "1.0") < 0);
	assert_int_equal(version_cmp(VS_DPKG, "1.000000000000000000000000000001",
				     "1.1"), 0);
	assert_true(version_cmp(VS_DPKG, "99999999999999999999999999", "99999999999999999999999998") > 0);
	assert_true(version_cmp(VS_RPM, "1.0^", "1.0") > 0);
	assert_true(version_cmp(VS_RPM, "1.0^", "1.0.1") < 0);
	assert_true(version_cmp(VS_RPM, "1.0~rc1", "1.0~rc1^git1") < 0);
	assert_int_equal(version_cmp(VS_RPM, "0:1.0-1", "1.0-1"), 0);
	assert_true(version_cmp(VS_RPM, "1.0-1", "1.0-1.el9") < 0);
	assert_true(version_cmp(VS_APK, "1.0_alpha1", "1.0_beta") < 0);
	assert_true(version_cmp(VS_APK, "1.0_rc9", "1.0") < 0);
	assert_true(version_cmp(VS_APK, "1.0", "1.0_cvs") < 0);
	assert_true(version_cmp(VS_APK, "1.0_p1", "1.0a") < 0);
	assert_true(version_cmp(VS_APK, "1.0a", "1.0.1") < 0);
	assert_false(version_valid(VS_RPM, "1 .0"));
	assert_false(version_valid(VS_APK, "x1.0"));
	/* Invalid sorts first, whatever it is. */
	assert_true(version_cmp(VS_APK, "x1.0", "0") < 0);
	assert_true(version_cmp(VS_DPKG, "", "0") < 0);
}

/* Hostile strings: no crash, linear time (a quadratic comparator would
 * take minutes on these under the sanitizers). */
static void t_hostile(void **state)
{
	(void)state;
	static const enum version_scheme schemes[] = { VS_DPKG, VS_RPM, VS_APK };
	size_t n = 200000;
	char *digits = xmalloc(n + 1), *tildes = xmalloc(n + 1), *dots = xmalloc(n + 1);
	char *high = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		digits[i] = (char)('0' + i % 10);
		tildes[i] = '~';
		dots[i] = i % 2 ? '.' : '1';
		high[i] = (char)(0x80 + i % 0x7f);
	}
	digits[n] = tildes[n] = dots[n] = high[n] = '\0';
	/* 10 000 segments of alternating kinds; a 10 000-digit number */
	char *mixed = xmalloc(30001), *num = xmalloc(10001);
	for (size_t i = 0; i < 10000; i++)
		memcpy(mixed + 3 * i, i % 2 ? "a1." : "1_p", 3);
	mixed[30000] = '\0';
	memset(num, '9', 10000);
	num[10000] = '\0';
	const char *inputs[] = { digits, tildes, dots, high, mixed, num, "", "~", "::", "--",
				 "1:", ":1", "1::2", "1--2", "1:2:3", "1-2-3", "0::-",
				 "-r", "1.0-r", "1.0-r-r1", "_p", "1.0_", "1.0~", "1.0~~~", "^",
				 "1^", "^^^", "1.0^~", "1.0.", "00000", "1.0_p_p_p", "1.0~ffff",
				 "1.0-r1-r2", "\x80:1", "1:\xff", "1.0\xc3\xa9", "1.0~g" };
	size_t k = sizeof(inputs) / sizeof(inputs[0]);
	enum { LONG = 6 };   /* transitivity over the short ones only */
	for (size_t s = 0; s < 3; s++)
		for (size_t i = 0; i < k; i++) {
			assert_int_equal(version_cmp(schemes[s], inputs[i], inputs[i]), 0);
			for (size_t j = 0; j < k; j++) {
				int c = version_cmp(schemes[s], inputs[i], inputs[j]);
				assert_int_equal(c, -version_cmp(schemes[s], inputs[j], inputs[i]));
				for (size_t m = LONG; i >= LONG && j >= LONG && m < k; m++)
					if (c <= 0 && version_cmp(schemes[s], inputs[j], inputs[m]) <= 0)
						assert_true(version_cmp(schemes[s], inputs[i],
									inputs[m]) <= 0);
			}
		}
	free(mixed);
	free(num);
	free(digits);
	free(tildes);
	free(dots);
	free(high);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_dpkg_vectors),
		cmocka_unit_test(t_rpm_vectors),
		cmocka_unit_test(t_apk_vectors),
		cmocka_unit_test(t_total_order),
		cmocka_unit_test(t_real),
		cmocka_unit_test(t_hostile),
	};
	return cmocka_run_group_tests_name("version_distro", tests, NULL, NULL);
}
