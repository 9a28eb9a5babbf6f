/* dpkg version order (Debian Policy 5.6.12):
 *   [epoch:]upstream_version[-debian_revision]
 * The epoch is a number; the revision follows the LAST hyphen. Upstream
 * and revision compare by alternating non-digit parts (character by
 * character: "~" before everything, even the end; letters before other
 * characters) and digit parts (numerically, as digit strings: no
 * overflow however long).
 */
#include "version_internal.h"

#include <limits.h>
#include <string.h>

/* ASCII classes: the order must not change with the locale. */
static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

struct dpkg_version {
	const char *epoch;           /* digits, or NULL for 0 */
	size_t epoch_len;
	const char *upstream;
	size_t upstream_len;
	const char *revision;        /* NULL: none (compares as "") */
	size_t revision_len;
};

static void split(const char *v, struct dpkg_version *out)
{
	memset(out, 0, sizeof(*out));
	const char *colon = strchr(v, ':');
	if (colon) {
		out->epoch = v;
		out->epoch_len = (size_t)(colon - v);
		v = colon + 1;
	}
	const char *hyphen = strrchr(v, '-');
	out->upstream = v;
	out->upstream_len = hyphen ? (size_t)(hyphen - v) : strlen(v);
	if (hyphen) {
		out->revision = hyphen + 1;
		out->revision_len = strlen(hyphen + 1);
	}
}

/* Weight of a character in a non-digit part; 0 is the end of the part. */
static int order(int c)
{
	if (c == '~')
		return -1;
	if (is_digit(c) || !c)
		return 0;
	if (is_alpha(c))
		return c;
	return c + 256;
}

/* Compare digit strings numerically: leading zeros skipped, then the
 * longer is bigger, then the first differing digit decides. */
static int cmp_digits(const char **pa, const char *ea, const char **pb, const char *eb)
{
	const char *a = *pa, *b = *pb;
	while (a < ea && *a == '0')
		a++;
	while (b < eb && *b == '0')
		b++;
	const char *sa = a, *sb = b;
	while (a < ea && is_digit((unsigned char)*a))
		a++;
	while (b < eb && is_digit((unsigned char)*b))
		b++;
	*pa = a;
	*pb = b;
	size_t la = (size_t)(a - sa), lb = (size_t)(b - sb);
	if (la != lb)
		return la < lb ? -1 : 1;
	int c = memcmp(sa, sb, la);
	return c < 0 ? -1 : c > 0;
}

static int cmp_part(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *ea = a + alen, *eb = b + blen;
	while (a < ea || b < eb) {
		while ((a < ea && !is_digit((unsigned char)*a)) ||
		       (b < eb && !is_digit((unsigned char)*b))) {
			int ca = order(a < ea ? (unsigned char)*a : 0);
			int cb = order(b < eb ? (unsigned char)*b : 0);
			if (ca != cb)
				return ca < cb ? -1 : 1;
			if (a < ea)
				a++;
			if (b < eb)
				b++;
		}
		int c = cmp_digits(&a, ea, &b, eb);
		if (c)
			return c;
	}
	return 0;
}

int dpkg_version_cmp(const char *a, const char *b)
{
	struct dpkg_version x, y;
	split(a, &x);
	split(b, &y);
	const char *ea = x.epoch ? x.epoch + x.epoch_len : NULL;
	const char *eb = y.epoch ? y.epoch + y.epoch_len : NULL;
	const char *pa = x.epoch ? x.epoch : "", *pb = y.epoch ? y.epoch : "";
	int c = cmp_digits(&pa, ea ? ea : pa, &pb, eb ? eb : pb);
	if (c)
		return c;
	c = cmp_part(x.upstream, x.upstream_len, y.upstream, y.upstream_len);
	if (c)
		return c;
	return cmp_part(x.revision ? x.revision : "", x.revision_len,
			y.revision ? y.revision : "", y.revision_len);
}

/* As lenient as dpkg --compare-versions: non-empty, no whitespace, an
 * epoch (when present) of digits that fits an int, something after it. */
bool dpkg_version_valid(const char *v)
{
	if (!*v)
		return false;
	for (const char *p = v; *p; p++)
		if (is_space((unsigned char)*p))
			return false;
	const char *colon = strchr(v, ':');
	if (colon) {
		if (colon == v || !colon[1])
			return false;
		long epoch = 0;
		for (const char *p = v; p < colon; p++) {
			if (!is_digit((unsigned char)*p))
				return false;
			epoch = epoch * 10 + (*p - '0');
			if (epoch > INT_MAX)
				return false;
		}
	}
	return true;
}
