/* CVSS base scores: v3.0 and v3.1 (FIRST CVSS v3.1 specification, section 7
 * and Appendix A; v3.0 differs only in its Roundup, a plain ceiling to one
 * decimal) and v4.0 CVSS-B (FIRST CVSS v4.0 specification, "CVSS v4.0
 * Scoring": MacroVectors, their scores, and interpolation).
 *
 * A vector is parsed against a table of its version's metrics: every base
 * metric exactly once, threat / temporal / environmental / supplemental
 * metrics optional, each at most once and with one of its values. v4.0 fixes
 * the order of the metrics (its "Vector String" section: base, threat,
 * environmental, supplemental, each in table order); v3.x does not.
 *
 * The base score uses base metrics only: for v4.0 that is CVSS-B, where the
 * threat and environmental metrics are "Not Defined" (X), which the
 * specification scores as E:A, CR/IR/AR:H and no modified metric.
 *
 * No libm: scores are computed in tenths as integers where the
 * specification allows (v3.1 Roundup is integer arithmetic by design; v4.0
 * interpolation is a rational number here, rounded half up exactly).
 */
#include "vuln/vuln.h"

#define CVSS_VECTOR_MAX 1024

/* ---- metric tables ------------------------------------------------------- */

struct metric_def {
	const char *name;
	const char *values;   /* the metric's values, separated by one space */
	bool base;            /* mandatory */
};

enum { V3_AV, V3_AC, V3_PR, V3_UI, V3_S, V3_C, V3_I, V3_A, V3_N_METRICS = 22 };

static const struct metric_def v3_metrics[V3_N_METRICS] = {
	{ "AV", "N A L P", true }, { "AC", "L H", true }, { "PR", "N L H", true },
	{ "UI", "N R", true }, { "S", "U C", true }, { "C", "H L N", true },
	{ "I", "H L N", true }, { "A", "H L N", true },
	/* temporal */
	{ "E", "X U P F H", false }, { "RL", "X O T W U", false }, { "RC", "X U R C", false },
	/* environmental */
	{ "CR", "X L M H", false }, { "IR", "X L M H", false }, { "AR", "X L M H", false },
	{ "MAV", "X N A L P", false }, { "MAC", "X L H", false }, { "MPR", "X N L H", false },
	{ "MUI", "X N R", false }, { "MS", "X U C", false }, { "MC", "X N L H", false },
	{ "MI", "X N L H", false }, { "MA", "X N L H", false },
};

enum { V4_AV, V4_AC, V4_AT, V4_PR, V4_UI, V4_VC, V4_VI, V4_VA, V4_SC, V4_SI, V4_SA,
       V4_N_METRICS = 32 };

/* In the specification's order (Table 23). */
static const struct metric_def v4_metrics[V4_N_METRICS] = {
	{ "AV", "N A L P", true }, { "AC", "L H", true }, { "AT", "N P", true },
	{ "PR", "N L H", true }, { "UI", "N P A", true }, { "VC", "H L N", true },
	{ "VI", "H L N", true }, { "VA", "H L N", true }, { "SC", "H L N", true },
	{ "SI", "H L N", true }, { "SA", "H L N", true },
	/* threat */
	{ "E", "X A P U", false },
	/* environmental */
	{ "CR", "X H M L", false }, { "IR", "X H M L", false }, { "AR", "X H M L", false },
	{ "MAV", "X N A L P", false }, { "MAC", "X L H", false }, { "MAT", "X N P", false },
	{ "MPR", "X N L H", false }, { "MUI", "X N P A", false }, { "MVC", "X H L N", false },
	{ "MVI", "X H L N", false }, { "MVA", "X H L N", false }, { "MSC", "X H L N", false },
	{ "MSI", "X S H L N", false }, { "MSA", "X S H L N", false },
	/* supplemental */
	{ "S", "X N P", false }, { "AU", "X N Y", false }, { "R", "X A U I", false },
	{ "V", "X D C", false }, { "RE", "X L M H", false },
	{ "U", "X Clear Green Amber Red", false },
};

/* Index of the value [v, v+len) in a space-separated list, or -1. */
static int value_index(const char *list, const char *v, size_t len)
{
	int i = 0;
	for (const char *p = list;; i++) {
		const char *end = strchr(p, ' ');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && !memcmp(p, v, len))
			return i;
		if (!end)
			return -1;
		p = end + 1;
	}
}

/* The letter of a single-letter value, by index (base metrics only). */
static char value_letter(const struct metric_def *d, int idx)
{
	return d->values[2 * idx];
}

/* ---- parsing --------------------------------------------------------------- */

/* A printable, bounded copy of untrusted text for an error message. */
static const char *quote(char *buf, size_t size, const char *s, size_t len)
{
	size_t n = len < size - 4 ? len : size - 4, o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

struct parse_ctx {
	const char *vector;
	char qv[208];       /* the vector, quoted */
	struct qerr *err;
};

static int vec_error(struct parse_ctx *c, const char *what, const char *s, size_t len,
		     const char *tail)
{
	char q[48];
	return q_error(c->err, 0, "CVSS vector '%s': %s'%s'%s", c->qv, what,
		       quote(q, sizeof(q), s, len), tail);
}

/* Parse the metrics after the prefix into val[] (value indexes, -1 absent). */
static int parse_metrics(struct parse_ctx *c, const char *body, const struct metric_def *defs,
			 size_t n, bool ordered, int *val)
{
	for (size_t i = 0; i < n; i++)
		val[i] = -1;
	int last = -1;
	const char *p = body;
	for (;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			return q_error(c->err, 0, "CVSS vector '%s': an empty metric (a '/' too many)",
				       c->qv);
		const char *colon = memchr(p, ':', len);
		if (!colon)
			return vec_error(c, "", p, len, " is not a metric:value pair");
		size_t nlen = (size_t)(colon - p);
		int m = -1;
		for (size_t i = 0; i < n && m < 0; i++)
			if (strlen(defs[i].name) == nlen && !memcmp(defs[i].name, p, nlen))
				m = (int)i;
		if (m < 0)
			return vec_error(c, "", p, nlen, " is not a metric");
		if (val[m] >= 0)
			return vec_error(c, "", p, nlen, " appears twice");
		const char *v = colon + 1;
		size_t vlen = len - nlen - 1;
		int idx = value_index(defs[m].values, v, vlen);
		if (idx < 0) {
			char qv[48];
			return q_error(c->err, 0, "CVSS vector '%s': value '%s' of '%s' is not valid",
				       c->qv, quote(qv, sizeof(qv), v, vlen), defs[m].name);
		}
		if (ordered && m < last)
			return q_error(c->err, 0,
				       "CVSS vector '%s': metric '%s' is out of order (it comes before '%s')",
				       c->qv, defs[m].name, defs[last].name);
		val[m] = idx;
		last = m;
		if (!end)
			break;
		p = end + 1;
	}
	for (size_t i = 0; i < n; i++)
		if (defs[i].base && val[i] < 0)
			return q_error(c->err, 0, "CVSS vector '%s': metric '%s' is missing", c->qv,
				       defs[i].name);
	return 0;
}

/* ---- v3.0 / v3.1 ------------------------------------------------------------ */

/* v3.1 Appendix A: Roundup with integer arithmetic, so that e.g. 4.000000001
 * (4.0 plus floating-point noise) is 4.0 and not 4.1. In tenths; x >= 0. */
static long roundup_31(double x)
{
	long i = (long)(x * 100000.0 + 0.5);   /* round to the nearest integer */
	if (i % 10000 == 0)
		return i / 10000;
	return i / 10000 + 1;
}

/* v3.0: the smallest number, to one decimal, equal to or higher than x. */
static long roundup_30(double x)
{
	double t = x * 10.0;
	long i = (long)t;
	return (double)i < t ? i + 1 : i;
}

static long v3_score(const int *val, bool v31)
{
	static const double av_w[] = { 0.85, 0.62, 0.55, 0.2 };   /* N A L P */
	static const double ac_w[] = { 0.77, 0.44 };              /* L H */
	static const double pr_u[] = { 0.85, 0.62, 0.27 };       /* N L H, scope unchanged */
	static const double pr_c[] = { 0.85, 0.68, 0.5 };        /* N L H, scope changed */
	static const double ui_w[] = { 0.85, 0.62 };              /* N R */
	static const double cia_w[] = { 0.56, 0.22, 0.0 };        /* H L N */
	bool changed = val[V3_S] == 1;
	double iss = 1.0 - (1.0 - cia_w[val[V3_C]]) * (1.0 - cia_w[val[V3_I]]) *
			   (1.0 - cia_w[val[V3_A]]);
	double impact;
	if (changed) {
		double p = 1.0, b = iss - 0.02;
		for (int k = 0; k < 15; k++)
			p *= b;
		impact = 7.52 * (iss - 0.029) - 3.25 * p;
	} else {
		impact = 6.42 * iss;
	}
	double expl = 8.22 * av_w[val[V3_AV]] * ac_w[val[V3_AC]] *
		      (changed ? pr_c : pr_u)[val[V3_PR]] * ui_w[val[V3_UI]];
	if (impact <= 0)
		return 0;
	double sum = changed ? 1.08 * (impact + expl) : impact + expl;
	if (sum > 10.0)
		sum = 10.0;
	return v31 ? roundup_31(sum) : roundup_30(sum);
}

/* ---- v4.0 -------------------------------------------------------------------- */

/* MacroVector scores in tenths, [EQ1][EQ2][EQ3][EQ4][EQ5][EQ6]; -1 where the
 * MacroVector does not exist (EQ3=2 with EQ6=0). Data transcribed from
 * FIRST's reference calculator, cvss_lookup.js
 * (github.com/FIRSTdotorg/cvss-v4-calculator, commit c5b0d40), the data the
 * v4.0 specification's scoring section refers to. */
static const signed char mv_scores[3][2][3][3][3][2] = {
	{ /* EQ1=0 */
		{ /* EQ2=0 */
			{ /* EQ3=0 */ { { 100, 99 }, { 98, 95 }, { 95, 92 } },
			  { { 100, 96 }, { 93, 87 }, { 91, 81 } },
			  { { 93, 90 }, { 89, 80 }, { 81, 68 } } },
			{ /* EQ3=1 */ { { 98, 95 }, { 95, 92 }, { 90, 84 } },
			  { { 93, 92 }, { 89, 81 }, { 81, 65 } },
			  { { 88, 80 }, { 78, 70 }, { 69, 48 } } },
			{ /* EQ3=2 */ { { -1, 92 }, { -1, 82 }, { -1, 72 } },
			  { { -1, 79 }, { -1, 69 }, { -1, 50 } },
			  { { -1, 69 }, { -1, 55 }, { -1, 27 } } },
		},
		{ /* EQ2=1 */
			{ /* EQ3=0 */ { { 99, 97 }, { 95, 92 }, { 92, 85 } },
			  { { 95, 91 }, { 90, 83 }, { 84, 71 } },
			  { { 92, 81 }, { 82, 71 }, { 72, 53 } } },
			{ /* EQ3=1 */ { { 95, 93 }, { 92, 85 }, { 85, 73 } },
			  { { 92, 82 }, { 80, 72 }, { 70, 59 } },
			  { { 84, 70 }, { 71, 52 }, { 50, 30 } } },
			{ /* EQ3=2 */ { { -1, 86 }, { -1, 75 }, { -1, 52 } },
			  { { -1, 71 }, { -1, 52 }, { -1, 29 } },
			  { { -1, 63 }, { -1, 29 }, { -1, 17 } } },
		},
	},
	{ /* EQ1=1 */
		{ /* EQ2=0 */
			{ /* EQ3=0 */ { { 98, 95 }, { 94, 87 }, { 91, 81 } },
			  { { 94, 89 }, { 86, 74 }, { 77, 64 } },
			  { { 87, 75 }, { 74, 63 }, { 63, 49 } } },
			{ /* EQ3=1 */ { { 94, 89 }, { 88, 77 }, { 76, 67 } },
			  { { 86, 76 }, { 74, 58 }, { 59, 50 } },
			  { { 72, 57 }, { 57, 52 }, { 52, 25 } } },
			{ /* EQ3=2 */ { { -1, 83 }, { -1, 70 }, { -1, 54 } },
			  { { -1, 65 }, { -1, 58 }, { -1, 26 } },
			  { { -1, 53 }, { -1, 21 }, { -1, 13 } } },
		},
		{ /* EQ2=1 */
			{ /* EQ3=0 */ { { 95, 90 }, { 88, 76 }, { 76, 70 } },
			  { { 90, 77 }, { 75, 62 }, { 61, 53 } },
			  { { 77, 66 }, { 68, 59 }, { 52, 30 } } },
			{ /* EQ3=1 */ { { 89, 78 }, { 76, 67 }, { 62, 58 } },
			  { { 74, 59 }, { 57, 57 }, { 47, 23 } },
			  { { 61, 52 }, { 57, 29 }, { 24, 16 } } },
			{ /* EQ3=2 */ { { -1, 71 }, { -1, 59 }, { -1, 30 } },
			  { { -1, 58 }, { -1, 26 }, { -1, 15 } },
			  { { -1, 23 }, { -1, 13 }, { -1, 6 } } },
		},
	},
	{ /* EQ1=2 */
		{ /* EQ2=0 */
			{ /* EQ3=0 */ { { 93, 87 }, { 86, 72 }, { 75, 58 } },
			  { { 86, 74 }, { 74, 61 }, { 56, 34 } },
			  { { 70, 54 }, { 52, 40 }, { 40, 22 } } },
			{ /* EQ3=1 */ { { 85, 75 }, { 74, 55 }, { 62, 51 } },
			  { { 72, 57 }, { 55, 41 }, { 46, 19 } },
			  { { 53, 36 }, { 34, 19 }, { 19, 8 } } },
			{ /* EQ3=2 */ { { -1, 64 }, { -1, 51 }, { -1, 20 } },
			  { { -1, 47 }, { -1, 21 }, { -1, 11 } },
			  { { -1, 24 }, { -1, 9 }, { -1, 4 } } },
		},
		{ /* EQ2=1 */
			{ /* EQ3=0 */ { { 88, 75 }, { 73, 53 }, { 60, 50 } },
			  { { 73, 55 }, { 59, 40 }, { 41, 20 } },
			  { { 54, 43 }, { 45, 22 }, { 20, 11 } } },
			{ /* EQ3=1 */ { { 75, 55 }, { 58, 45 }, { 40, 21 } },
			  { { 61, 51 }, { 48, 18 }, { 20, 9 } },
			  { { 46, 18 }, { 17, 7 }, { 8, 2 } } },
			{ /* EQ3=2 */ { { -1, 53 }, { -1, 24 }, { -1, 14 } },
			  { { -1, 24 }, { -1, 12 }, { -1, 5 } },
			  { { -1, 10 }, { -1, 3 }, { -1, 1 } } },
		},
	},
};

static int mv_score(int e1, int e2, int e3, int e4, int e5, int e6)
{
	if (e1 > 2 || e2 > 1 || e3 > 2 || e4 > 2 || e5 > 2 || e6 > 1)
		return -1;
	return mv_scores[e1][e2][e3][e4][e5][e6];
}

/* The highest-severity vectors of each MacroVector, per EQ level, and the
 * MacroVectors' depths ("max severity" distances, +1). Transcribed from
 * max_composed.js and max_severity.js of the same calculator (the
 * specification's scoring section describes them). */
static const char *const eq1_max[3][4] = {
	{ "AV:N/PR:N/UI:N/" },
	{ "AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/" },
	{ "AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/" },
};
static const char *const eq2_max[2][3] = {
	{ "AC:L/AT:N/" },
	{ "AC:H/AT:N/", "AC:L/AT:P/" },
};
static const char *const eq3eq6_max[3][2][6] = {
	{ { "VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/" },
	  { "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/" } },
	{ { "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/" },
	  { "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/",
	    "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/",
	    "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/" } },
	{ { NULL }, { "VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/" } },
};
static const char *const eq4_max[3][2] = {
	{ "SC:H/SI:S/SA:S/" }, { "SC:H/SI:H/SA:H/" }, { "SC:L/SI:L/SA:L/" },
};
static const int eq1_depth[3] = { 1, 4, 5 };
static const int eq2_depth[2] = { 1, 2 };
static const int eq3eq6_depth[3][2] = { { 7, 6 }, { 8, 8 }, { 10, 10 } }; /* [2][0] does not exist */
static const int eq4_depth[3] = { 6, 5, 4 };

/* Severity levels, in steps of 0.1 from the most severe value. */
enum lvl { L_AV, L_PR, L_UI, L_AC, L_AT, L_VC, L_VI, L_VA, L_SC, L_SI, L_SA, L_CR, L_IR, L_AR,
	   L_N };
static const char *const lvl_names[L_N] = { "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA",
					    "SC", "SI", "SA", "CR", "IR", "AR" };
/* Values from the most severe; SC starts at 1 (it has no S); SI and SA have S. */
static const char *const lvl_values[L_N] = { "NALP", "NLH", "NPA", "LH", "NP", "HLN", "HLN",
					     "HLN", "?HLN", "SHLN", "SHLN", "HML", "HML", "HML" };

static int level(enum lvl m, char v)
{
	const char *p = strchr(lvl_values[m], v);
	if (!p || !v)
		BUG("cvss: a value without a severity level");
	return (int)(p - lvl_values[m]);
}

/* The value of metric name in a max-composed fragment ("AV:N/PR:N/UI:N/"),
 * or 0 if the fragment has none. */
static char fragment_value(const char *frag, const char *name)
{
	size_t nlen = strlen(name);
	for (const char *p = frag; *p;) {
		if (!strncmp(p, name, nlen) && p[nlen] == ':')
			return p[nlen + 1];
		p = strchr(p, '/');
		if (!p)
			break;
		p++;
	}
	return 0;
}

static long v4_score(const int *val)
{
	char sel[L_N];
	static const int from_metric[11] = {
		[V4_AV] = L_AV, [V4_AC] = L_AC, [V4_AT] = L_AT, [V4_PR] = L_PR, [V4_UI] = L_UI,
		[V4_VC] = L_VC, [V4_VI] = L_VI, [V4_VA] = L_VA, [V4_SC] = L_SC, [V4_SI] = L_SI,
		[V4_SA] = L_SA,
	};
	for (int m = 0; m <= V4_SA; m++)
		sel[from_metric[m]] = value_letter(&v4_metrics[m], val[m]);
	/* CVSS-B: CR, IR and AR not defined, scored as High. */
	sel[L_CR] = sel[L_IR] = sel[L_AR] = 'H';

	char av = sel[L_AV], pr = sel[L_PR], ui = sel[L_UI];
	char vc = sel[L_VC], vi = sel[L_VI], va = sel[L_VA];
	char sc = sel[L_SC], si = sel[L_SI], sa = sel[L_SA];
	if (vc == 'N' && vi == 'N' && va == 'N' && sc == 'N' && si == 'N' && sa == 'N')
		return 0;

	/* The MacroVector: EQ1..EQ6 (specification Tables 24-29). */
	int eq1 = av == 'N' && pr == 'N' && ui == 'N'                        ? 0
		  : (av == 'N' || pr == 'N' || ui == 'N') && av != 'P'      ? 1
									     : 2;
	int eq2 = sel[L_AC] == 'L' && sel[L_AT] == 'N' ? 0 : 1;
	int eq3 = vc == 'H' && vi == 'H' ? 0 : vc == 'H' || vi == 'H' || va == 'H' ? 1 : 2;
	/* EQ4 level 0 needs MSI:S or MSA:S, an environmental value. */
	int eq4 = sc == 'H' || si == 'H' || sa == 'H' ? 1 : 2;
	int eq5 = 0;   /* E not defined: Attacked */
	int eq6 = (sel[L_CR] == 'H' && vc == 'H') || (sel[L_IR] == 'H' && vi == 'H') ||
			  (sel[L_AR] == 'H' && va == 'H')
		  ? 0
		  : 1;
	int value = mv_score(eq1, eq2, eq3, eq4, eq5, eq6);
	if (value < 0)
		BUG("cvss: a MacroVector without a score");

	/* The next lower MacroVector of each EQ (EQ3 and EQ6 move together). */
	int lower[5];
	lower[0] = mv_score(eq1 + 1, eq2, eq3, eq4, eq5, eq6);
	lower[1] = mv_score(eq1, eq2 + 1, eq3, eq4, eq5, eq6);
	if (eq3 == 0 && eq6 == 0) {
		/* two ways down: take the higher score (as the reference does) */
		int left = mv_score(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
		int right = mv_score(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
		lower[2] = left >= 0 && right >= 0 && left > right ? left : right;
	} else if (eq3 == 1 && eq6 == 0) {
		lower[2] = mv_score(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
	} else if (eq3 <= 1) {
		lower[2] = mv_score(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
	} else {
		lower[2] = -1;
	}
	lower[3] = mv_score(eq1, eq2, eq3, eq4 + 1, eq5, eq6);
	lower[4] = mv_score(eq1, eq2, eq3, eq4, eq5 + 1, eq6);

	/* The severity distance from the first highest-severity vector of the
	 * MacroVector that the vector does not exceed in any metric. */
	int dist[L_N] = { 0 };
	bool found = false;
	for (int a = 0; a < 4 && eq1_max[eq1][a] && !found; a++)
		for (int b = 0; b < 3 && eq2_max[eq2][b] && !found; b++)
			for (int c = 0; c < 6 && eq3eq6_max[eq3][eq6][c] && !found; c++)
				for (int d = 0; d < 2 && eq4_max[eq4][d] && !found; d++) {
					const char *frag[4] = { eq1_max[eq1][a], eq2_max[eq2][b],
								eq3eq6_max[eq3][eq6][c],
								eq4_max[eq4][d] };
					found = true;
					for (int m = 0; m < L_N; m++) {
						char mv = 0;
						for (int f = 0; f < 4 && !mv; f++)
							mv = fragment_value(frag[f], lvl_names[m]);
						dist[m] = level((enum lvl)m, sel[m]) - level((enum lvl)m, mv);
						if (dist[m] < 0)
							found = false;
					}
				}
	int d_eq[4] = {
		dist[L_AV] + dist[L_PR] + dist[L_UI],
		dist[L_AC] + dist[L_AT],
		dist[L_VC] + dist[L_VI] + dist[L_VA] + dist[L_CR] + dist[L_IR] + dist[L_AR],
		dist[L_SC] + dist[L_SI] + dist[L_SA],
	};
	int depth[4] = { eq1_depth[eq1], eq2_depth[eq2], eq3eq6_depth[eq3][eq6], eq4_depth[eq4] };

	/* score = value - mean over the existing lower MacroVectors of
	 * (value - lower) * distance / depth; EQ5's proportion is always 0.
	 * Kept exact as num / den tenths. */
	long n = 0, p = 1;
	for (int i = 0; i < 4; i++)
		p *= depth[i];
	long sum = 0;   /* the sum of the proportional distances, times p */
	for (int i = 0; i < 5; i++) {
		if (lower[i] < 0)
			continue;
		n++;
		if (i < 4)
			sum += (long)(value - lower[i]) * d_eq[i] * (p / depth[i]);
	}
	if (n == 0)
		return value;
	long den = n * p, num = (long)value * den - sum;
	if (num <= 0)
		return 0;
	long r = (2 * num + den) / (2 * den);   /* half up */
	return r > 100 ? 100 : r;
}

/* ---- API -------------------------------------------------------------------- */

int cvss_base_score(const char *vector, double *score, int *version, struct qerr *err)
{
	if (!vector)
		return q_error(err, 0, "CVSS vector: none given");
	size_t len = strnlen(vector, CVSS_VECTOR_MAX + 1);
	if (len > CVSS_VECTOR_MAX)
		return q_error(err, 0, "CVSS vector: longer than %d bytes", CVSS_VECTOR_MAX);
	struct parse_ctx c = { .vector = vector, .err = err };
	quote(c.qv, sizeof(c.qv), vector, len);

	int val[(int)V4_N_METRICS > (int)V3_N_METRICS ? (int)V4_N_METRICS : (int)V3_N_METRICS];
	long tenths;
	int ver;
	if (!strncmp(vector, "CVSS:3.0/", 9) || !strncmp(vector, "CVSS:3.1/", 9)) {
		ver = vector[7] == '0' ? 30 : 31;
		if (parse_metrics(&c, vector + 9, v3_metrics, V3_N_METRICS, false, val) < 0)
			return -1;
		tenths = v3_score(val, ver == 31);
	} else if (!strncmp(vector, "CVSS:4.0/", 9)) {
		ver = 40;
		if (parse_metrics(&c, vector + 9, v4_metrics, V4_N_METRICS, true, val) < 0)
			return -1;
		tenths = v4_score(val);
	} else if (!strncmp(vector, "CVSS:", 5)) {
		const char *slash = strchr(vector + 5, '/');
		size_t vlen = slash ? (size_t)(slash - vector - 5) : len - 5;
		char q[48];
		return q_error(err, 0, "CVSS vector '%s': version '%s' is not supported (3.0, 3.1 or 4.0)",
			       c.qv, quote(q, sizeof(q), vector + 5, vlen));
	} else {
		return q_error(err, 0, "CVSS vector '%s': no 'CVSS:3.0/', 'CVSS:3.1/' or 'CVSS:4.0/' prefix",
			       c.qv);
	}
	if (tenths < 0 || tenths > 100)
		BUG("cvss: a score outside [0, 10]");
	if (score)
		*score = (double)tenths / 10.0;
	if (version)
		*version = ver;
	return 0;
}

enum cvss_severity cvss_severity_of(double score)
{
	if (!(score > 0.0))   /* also NaN */
		return CVSS_NONE;
	double t = score * 10.0 + 0.5;
	if (t < 1.0)
		return CVSS_NONE;
	if (t < 40.0)
		return CVSS_LOW;
	if (t < 70.0)
		return CVSS_MEDIUM;
	if (t < 90.0)
		return CVSS_HIGH;
	return CVSS_CRITICAL;
}

const char *cvss_severity_name(enum cvss_severity s)
{
	switch (s) {
	case CVSS_NONE: return "none";
	case CVSS_LOW: return "low";
	case CVSS_MEDIUM: return "medium";
	case CVSS_HIGH: return "high";
	case CVSS_CRITICAL: return "critical";
	}
	return "unknown";
}
