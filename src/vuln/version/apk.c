/* apk version order (Alpine's apk-tools):
 *   1.2.3a_rc1_p2~c0ffee-r4
 * is read as tokens: numbers separated by ".", one optional letter,
 * suffixes (_alpha _beta _pre _rc before the release; _cvs _svn _git _hg _p
 * after it) each with an optional number, a commit hash after "~", and the
 * package revision "-rN". Two "." components of which one has a leading
 * zero compare as decimal fractions (as Gentoo's rule has it: trailing
 * zeros dropped, then bytewise), so 8.2.0 < 8.2.001 < 8.2.0015 < 8.2.002.
 *
 * Two versions compare token by token: tokens of the same kind by value;
 * at the first position where the kinds differ, the kind decides, in this
 * order from smallest: a malformed rest, a pre-release suffix, the end,
 * the revision, a commit hash, a suffix number, a post-release suffix, a
 * letter, a number. Being a plain lexicographic order, it is a total order
 * for any strings.
 */
#include "version_internal.h"

#include <string.h>

/* ASCII classes: the order must not change with the locale. */
static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_xdigit(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

enum kind {   /* by rank: larger is a newer version at the same position */
	K_INVALID,
	K_PRE_SUFFIX,
	K_END,
	K_REVISION,
	K_HASH,
	K_SUFFIX_NO,
	K_POST_SUFFIX,
	K_LETTER,
	K_DIGIT,
};

struct token {
	enum kind kind;
	const char *s;       /* digits or hex (K_DIGIT, K_SUFFIX_NO, K_REVISION, K_HASH) */
	size_t n;
	int small;           /* letter, suffix index */
	bool dot;            /* a "." component (not the first number) */
};

struct lexer {
	const char *p;
	enum kind last;      /* what the previous token was, for what may follow */
	bool after_dot;      /* a "." component starts here */
};

static const char *const pre_suffixes[] = { "alpha", "beta", "pre", "rc" };
static const char *const post_suffixes[] = { "cvs", "svn", "git", "hg", "p" };

static bool suffix(struct lexer *lx, struct token *t)
{
	for (int i = 0; i < 4; i++)
		if (!strncmp(lx->p, pre_suffixes[i], strlen(pre_suffixes[i]))) {
			lx->p += strlen(pre_suffixes[i]);
			*t = (struct token){ K_PRE_SUFFIX, NULL, 0, i, false };
			return true;
		}
	for (int i = 0; i < 5; i++)
		if (!strncmp(lx->p, post_suffixes[i], strlen(post_suffixes[i]))) {
			lx->p += strlen(post_suffixes[i]);
			*t = (struct token){ K_POST_SUFFIX, NULL, 0, i, false };
			return true;
		}
	return false;
}

static void digits(struct lexer *lx, struct token *t, enum kind k)
{
	const char *s = lx->p;
	while (is_digit((unsigned char)*lx->p))
		lx->p++;
	*t = (struct token){ k, s, (size_t)(lx->p - s), 0, false };
}

/* Suffixes follow the release, a letter or another suffix; a commit hash
 * also follows a suffix number; the revision follows anything but the
 * start. */
static bool may_follow(enum kind last, enum kind k)
{
	bool body = last == K_DIGIT || last == K_LETTER || last == K_PRE_SUFFIX ||
		    last == K_POST_SUFFIX || last == K_SUFFIX_NO;
	if (k == K_PRE_SUFFIX)
		return body;
	if (k == K_HASH)
		return body;
	return body || last == K_HASH;   /* K_REVISION */
}

/* The next token; K_END at the end, K_INVALID (and stop) on anything the
 * grammar does not allow. */
static void next(struct lexer *lx, struct token *t)
{
	unsigned char c = (unsigned char)*lx->p;
	enum kind last = lx->last;
	bool dot = lx->after_dot;
	lx->after_dot = false;
	if (!c) {
		*t = (struct token){ K_END, NULL, 0, 0, false };
	} else if (is_digit(c) && (last == K_DIGIT || last == K_LETTER || last == K_END)) {
		digits(lx, t, K_DIGIT);   /* K_END: the very start */
		t->dot = dot;
	} else if (is_digit(c) && (last == K_PRE_SUFFIX || last == K_POST_SUFFIX)) {
		digits(lx, t, K_SUFFIX_NO);
	} else if (is_lower(c) && last == K_DIGIT) {
		lx->p++;
		*t = (struct token){ K_LETTER, NULL, 0, c, false };
	} else if (c == '.' && last == K_DIGIT && is_digit((unsigned char)lx->p[1])) {
		lx->p++;
		lx->after_dot = true;
		lx->last = K_DIGIT;
		next(lx, t);
		return;
	} else if (c == '_' && may_follow(last, K_PRE_SUFFIX) && (lx->p++, suffix(lx, t))) {
		/* a suffix */
	} else if (c == '~' && may_follow(last, K_HASH) && is_xdigit((unsigned char)lx->p[1])) {
		const char *s = ++lx->p;
		while (is_xdigit((unsigned char)*lx->p))
			lx->p++;
		*t = (struct token){ K_HASH, s, (size_t)(lx->p - s), 0, false };
	} else if (c == '-' && lx->p[1] == 'r' && is_digit((unsigned char)lx->p[2]) &&
		   may_follow(last, K_REVISION)) {
		lx->p += 2;
		digits(lx, t, K_REVISION);
	} else {
		*t = (struct token){ K_INVALID, NULL, 0, 0, false };
	}
	lx->last = t->kind;
}

static int fold(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Digit (or hex) strings as numbers: leading zeros skipped, longer is
 * bigger, then bytewise. */
static int cmp_num(const char *a, size_t an, const char *b, size_t bn)
{
	while (an && *a == '0')
		a++, an--;
	while (bn && *b == '0')
		b++, bn--;
	if (an != bn)
		return an < bn ? -1 : 1;
	for (size_t i = 0; i < an; i++) {
		int ca = fold(a[i]), cb = fold(b[i]);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return 0;
}

/* Decimal fractions: trailing zeros dropped, then bytewise, a prefix
 * first. */
static int cmp_fraction(const char *a, size_t an, const char *b, size_t bn)
{
	while (an && a[an - 1] == '0')
		an--;
	while (bn && b[bn - 1] == '0')
		bn--;
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

static int cmp_token(const struct token *x, const struct token *y)
{
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->s && y->s) {
		if (x->dot && y->dot && (x->s[0] == '0' || y->s[0] == '0'))
			return cmp_fraction(x->s, x->n, y->s, y->n);
		return cmp_num(x->s, x->n, y->s, y->n);
	}
	return x->small < y->small ? -1 : x->small > y->small;
}

int apk_version_cmp(const char *a, const char *b)
{
	struct lexer la = { a, K_END, false }, lb = { b, K_END, false };
	for (;;) {
		struct token x, y;
		next(&la, &x);
		next(&lb, &y);
		int c = cmp_token(&x, &y);
		if (c || x.kind == K_END || x.kind == K_INVALID)
			return c;
	}
}

/* Anything that starts with a digit compares as apk does (a malformed
 * rest included, as in apk-tools' own tests). */
bool apk_version_valid(const char *v)
{
	return is_digit((unsigned char)v[0]);
}
