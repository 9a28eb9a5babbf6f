/* rpm version order: "[E:]V[-R]" — the epoch numerically (missing = 0),
 * then version and release each by rpmvercmp: segments of letters or
 * digits, everything else separates; "~" sorts before anything, even the
 * end (pre-releases); "^" sorts after the end but before any further
 * segment (post-release snapshots); a numeric segment is newer than an
 * alphabetic one; digits compare as numbers (as strings, no overflow).
 */
#include "version_internal.h"

#include <string.h>

/* ASCII classes, as rpm's own risdigit/risalpha: no locale. */
static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(int c)
{
	return is_digit(c) || is_alpha(c);
}

static bool is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* rpmvercmp on [a, ea) and [b, eb). */
static int vercmp(const char *a, const char *ea, const char *b, const char *eb)
{
	while (a < ea || b < eb) {
		while (a < ea && !is_alnum((unsigned char)*a) && *a != '~' && *a != '^')
			a++;
		while (b < eb && !is_alnum((unsigned char)*b) && *b != '~' && *b != '^')
			b++;
		bool ta = a < ea && *a == '~', tb = b < eb && *b == '~';
		if (ta || tb) {
			if (!ta)
				return 1;
			if (!tb)
				return -1;
			a++, b++;
			continue;
		}
		bool ca = a < ea && *a == '^', cb = b < eb && *b == '^';
		if (ca || cb) {
			if (a == ea)
				return -1;
			if (b == eb)
				return 1;
			if (!ca)
				return 1;
			if (!cb)
				return -1;
			a++, b++;
			continue;
		}
		if (a == ea || b == eb)
			break;
		const char *sa = a, *sb = b;
		bool num = is_digit((unsigned char)*a);
		if (num) {
			while (a < ea && is_digit((unsigned char)*a))
				a++;
			while (b < eb && is_digit((unsigned char)*b))
				b++;
		} else {
			while (a < ea && is_alpha((unsigned char)*a))
				a++;
			while (b < eb && is_alpha((unsigned char)*b))
				b++;
		}
		if (sb == b)   /* a's segment type is absent in b: numeric wins */
			return num ? 1 : -1;
		if (num) {
			while (sa < a && *sa == '0')
				sa++;
			while (sb < b && *sb == '0')
				sb++;
			if (a - sa != b - sb)
				return a - sa > b - sb ? 1 : -1;
		}
		size_t la = (size_t)(a - sa), lb = (size_t)(b - sb);
		int c = memcmp(sa, sb, la < lb ? la : lb);
		if (c)
			return c < 0 ? -1 : 1;
		if (la != lb)
			return la < lb ? -1 : 1;
	}
	if (a == ea && b == eb)
		return 0;
	return a == ea ? -1 : 1;
}

struct evr {
	const char *e, *ee;   /* epoch digits, may be empty */
	const char *v, *ve;
	const char *r, *re;   /* release, may be empty */
};

static void split(const char *s, struct evr *o)
{
	const char *end = s + strlen(s);
	const char *colon = strchr(s, ':');
	o->e = s;
	o->ee = colon ? colon : s;
	const char *rest = colon ? colon + 1 : s;
	const char *dash = strrchr(rest, '-');
	o->v = rest;
	o->ve = dash ? dash : end;
	o->r = dash ? dash + 1 : end;
	o->re = end;
}

static int cmp_epoch(const char *a, const char *ea, const char *b, const char *eb)
{
	while (a < ea && *a == '0')
		a++;
	while (b < eb && *b == '0')
		b++;
	if (ea - a != eb - b)
		return ea - a > eb - b ? 1 : -1;
	int c = memcmp(a, b, (size_t)(ea - a));
	return c < 0 ? -1 : c > 0;
}

int rpm_version_cmp(const char *a, const char *b)
{
	struct evr x, y;
	split(a, &x);
	split(b, &y);
	int c = cmp_epoch(x.e, x.ee, y.e, y.ee);
	if (c)
		return c;
	c = vercmp(x.v, x.ve, y.v, y.ve);
	if (c)
		return c;
	/* A missing release sorts before any release: a total order, which
	 * sorting and range checks need (rpm itself lets it match any). */
	return vercmp(x.r, x.re, y.r, y.re);
}

bool rpm_version_valid(const char *v)
{
	if (!*v)
		return false;
	const char *colon = strchr(v, ':');
	if (colon) {
		if (colon == v || !colon[1])
			return false;
		for (const char *p = v; p < colon; p++)
			if (!is_digit((unsigned char)*p))
				return false;
	}
	for (const char *p = v; *p; p++)
		if (is_space((unsigned char)*p))
			return false;
	return true;
}
