/* SemVer 2.0.0 versions and npm ranges, as node-semver (default options:
 * not loose, no includePrerelease) parses, orders and matches them.
 *
 * Version: surrounding whitespace is trimmed, then v? MAJOR.MINOR.PATCH
 * [-PRE][+BUILD], numeric identifiers without leading zeros, MAJOR, MINOR
 * and PATCH at most 2^53-1, the whole (untrimmed) string at most 256 bytes,
 * as node-semver's SemVer class requires. Build metadata is ignored when
 * ordering. Numeric prerelease identifiers compare by value, exactly (node
 * compares those above 2^53 as doubles; we do not round).
 *
 * Ranges follow node-semver's documented rewriting: whitespace collapsed,
 * "||" alternatives, build metadata stripped, hyphen ranges, operators glued
 * to their versions, then each space-separated token rewritten (caret,
 * tilde, X-range, "*") into plain comparators `[<>]?=?VERSION` or "" (any),
 * which must all parse. A version with a prerelease matches a set only when
 * some comparator of the set has a prerelease on the same MAJOR.MINOR.PATCH.
 * A set that is only "any" makes the whole range "any", as node-semver does.
 *
 * The pipeline is a fixed sequence of linear passes over each set with no
 * recursion; the bounded quantifiers of node-semver's "safe" expressions
 * (at most 257 digits in a number, 250 characters in an identifier) are
 * kept so that what parses here parses there.
 */
#include "version_internal.h"

#include <string.h>

#define SEMVER_MAX_LENGTH 256
#define MAX_SAFE_INTEGER "9007199254740991"   /* 2^53 - 1 */
#define SAFE_DIGITS 256                        /* \d{0,256} */
#define SAFE_IDENT 250                         /* [a-zA-Z0-9-]{0,250} */

/* ---- characters ---------------------------------------------------------- */

/* JavaScript's \s and trim() over ASCII. */
static bool js_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_ident(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* A span of the input. */
struct span {
	const char *p;
	size_t n;
};

static bool span_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* ---- versions ------------------------------------------------------------- */

struct sv {
	struct span num[3];   /* major, minor, patch: digits, no leading zeros */
	struct span pre;      /* prerelease without "-", n == 0 when none */
};

/* A number identifier at s[i..n): "0" or [1-9]\d{0,256}, else 0 length. */
static size_t num_len(const char *s, size_t i, size_t n)
{
	if (i >= n || !is_digit((unsigned char)s[i]))
		return 0;
	if (s[i] == '0')
		return 1;
	size_t j = i;
	while (j < n && j - i < SAFE_DIGITS + 1 && is_digit((unsigned char)s[j]))
		j++;
	return j - i;
}

/* A prerelease identifier at s[i..n): \d{0,256}[a-zA-Z-][a-zA-Z0-9-]{0,250}
 * or a number identifier. Returns the length matched (a following identifier
 * character makes the caller fail, as the anchored expression does). */
static size_t prid_len(const char *s, size_t i, size_t n)
{
	size_t j = i;
	while (j < n && is_digit((unsigned char)s[j]))
		j++;
	size_t digits = j - i;
	if (j < n && is_ident((unsigned char)s[j]) && digits <= SAFE_DIGITS) {
		j++;
		size_t k = j;
		while (k < n && k - j < SAFE_IDENT && is_ident((unsigned char)s[k]))
			k++;
		return k - i;
	}
	return num_len(s, i, n);
}

/* -ID(.ID)* at s[*i..n): the prerelease, or n == 0 (nothing consumed). */
static struct span take_pre(const char *s, size_t *i, size_t n)
{
	struct span pre = { "", 0 };
	size_t j = *i;
	if (j >= n || s[j] != '-')
		return pre;
	size_t l = prid_len(s, j + 1, n);
	if (!l)
		return pre;
	size_t st = j + 1;
	j = st + l;
	while (j + 1 < n && s[j] == '.' && (l = prid_len(s, j + 1, n)))
		j += 1 + l;
	*i = j;
	return (struct span){ s + st, j - st };
}

/* +ID(.ID)* with ID = [a-zA-Z0-9-]{1,250} at s[*i..n). */
static void take_build(const char *s, size_t *i, size_t n)
{
	size_t j = *i;
	if (j >= n || s[j] != '+')
		return;
	for (;;) {
		size_t k = j + 1;
		while (k < n && k - (j + 1) < SAFE_IDENT && is_ident((unsigned char)s[k]))
			k++;
		if (k == j + 1)
			return;
		*i = j = k;
		if (j >= n || s[j] != '.')
			return;
	}
}

static int digits_cmp(struct span a, struct span b)
{
	while (a.n > 1 && *a.p == '0')
		a.p++, a.n--;
	while (b.n > 1 && *b.p == '0')
		b.p++, b.n--;
	if (a.n != b.n)
		return a.n < b.n ? -1 : 1;
	int c = memcmp(a.p, b.p, a.n);
	return c < 0 ? -1 : c > 0;
}

static bool num_safe(struct span d)
{
	return digits_cmp(d, (struct span){ MAX_SAFE_INTEGER, strlen(MAX_SAFE_INTEGER) }) <= 0;
}

/* FULLPLAIN, the whole of s[0..n): v? N.N.N [-PRE] [+BUILD]; numbers safe. */
static bool parse_plain(const char *s, size_t n, struct sv *out)
{
	size_t i = 0;
	if (i < n && s[i] == 'v')
		i++;
	for (int k = 0; k < 3; k++) {
		if (k) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		size_t l = num_len(s, i, n);
		if (!l)
			return false;
		out->num[k] = (struct span){ s + i, l };
		if (!num_safe(out->num[k]))
			return false;
		i += l;
	}
	out->pre = take_pre(s, &i, n);
	take_build(s, &i, n);
	return i == n;
}

/* A version as SemVer's constructor takes it: length, trim, FULL. */
static bool parse_version(const char *v, struct sv *out)
{
	size_t n = strlen(v);
	if (n > SEMVER_MAX_LENGTH)
		return false;
	size_t i = 0;
	while (i < n && js_space((unsigned char)v[i]))
		i++;
	while (n > i && js_space((unsigned char)v[n - 1]))
		n--;
	return parse_plain(v + i, n - i, out);
}

bool semver_version_valid(const char *v)
{
	struct sv s;
	return v && parse_version(v, &s);
}

static bool all_digits(struct span s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!is_digit((unsigned char)s.p[i]))
			return false;
	return s.n > 0;
}

/* Next dot-separated identifier of a prerelease at *pos; false past the end. */
static bool next_id(struct span pre, size_t *pos, struct span *id)
{
	if (*pos > pre.n || pre.n == 0)
		return false;
	size_t st = *pos, j = st;
	while (j < pre.n && pre.p[j] != '.')
		j++;
	*id = (struct span){ pre.p + st, j - st };
	*pos = j + 1;
	return true;
}

static int id_cmp(struct span a, struct span b)
{
	bool na = all_digits(a), nb = all_digits(b);
	if (na && nb)
		return digits_cmp(a, b);
	if (na != nb)
		return na ? -1 : 1;
	size_t n = a.n < b.n ? a.n : b.n;
	int c = memcmp(a.p, b.p, n);
	if (c)
		return c < 0 ? -1 : 1;
	return a.n < b.n ? -1 : a.n > b.n;
}

static int sv_cmp(const struct sv *a, const struct sv *b)
{
	for (int k = 0; k < 3; k++) {
		int c = digits_cmp(a->num[k], b->num[k]);
		if (c)
			return c;
	}
	if (!a->pre.n || !b->pre.n)
		return (a->pre.n == 0) - (b->pre.n == 0);
	size_t ia = 0, ib = 0;
	for (;;) {
		struct span x, y;
		bool hx = next_id(a->pre, &ia, &x), hy = next_id(b->pre, &ib, &y);
		if (!hx || !hy)
			return hx - hy;
		int c = id_cmp(x, y);
		if (c)
			return c;
	}
}

int semver_version_cmp(const char *a, const char *b)
{
	struct sv x, y;
	bool vx = parse_version(a, &x), vy = parse_version(b, &y);
	if (!vx || !vy)
		return vx - vy;
	return sv_cmp(&x, &y);
}

/* ---- ranges: pieces of the rewriting ---------------------------------------- */

/* XRANGEPLAIN at s[i..n): [v=\s]* XID (.XID (.XID PRE? BUILD?)?)?; XID is a
 * number identifier, x, X or *. */
struct xp {
	size_t start, end;     /* the whole match, prefix included */
	struct span id[3];     /* n == 0: absent */
	struct span pre;
};

static size_t xid_len(const char *s, size_t i, size_t n)
{
	if (i < n && (s[i] == 'x' || s[i] == 'X' || s[i] == '*'))
		return 1;
	return num_len(s, i, n);
}

static bool match_xp(const char *s, size_t i, size_t n, struct xp *x)
{
	memset(x, 0, sizeof(*x));
	x->start = i;
	while (i < n && (s[i] == 'v' || s[i] == '=' || js_space((unsigned char)s[i])))
		i++;
	for (int k = 0; k < 3; k++) {
		size_t j = i;
		if (k) {
			if (j >= n || s[j] != '.')
				break;
			j++;
		}
		size_t l = xid_len(s, j, n);
		if (!l)
			break;
		x->id[k] = (struct span){ s + j, l };
		i = j + l;
	}
	if (!x->id[0].n)
		return false;
	if (x->id[2].n) {
		x->pre = take_pre(s, &i, n);
		take_build(s, &i, n);
	}
	x->end = i;
	return true;
}

static bool is_x(struct span id)
{
	return id.n == 0 || span_is(id, "x") || span_is(id, "X") || span_is(id, "*");
}

static void add_span(struct strbuf *sb, struct span s)
{
	strbuf_add(sb, s.p, s.n);
}

/* The decimal digits of s plus one (JavaScript's `+s + 1`; the numbers
 * where the two differ are above 2^53 and rejected later either way). */
static void add_inc(struct strbuf *sb, struct span s)
{
	char *tmp = xmalloc(s.n + 2);
	size_t k = s.n;
	memcpy(tmp + 1, s.p, s.n);
	tmp[0] = '0';
	while (k > 0 && tmp[k] == '9')
		tmp[k--] = '0';
	tmp[k]++;
	size_t st = tmp[0] == '0' ? 1 : 0;
	strbuf_add(sb, tmp + st, s.n + 1 - st);
	free(tmp);
}

/* Appenders for "M.m.p" shapes: each argument a span or, with its flag, +1. */
static void add_ver(struct strbuf *sb, const char *op, struct span M, bool incM, struct span m,
		    bool incm, struct span p, bool incp, const char *suffix)
{
	strbuf_adds(sb, op);
	incM ? add_inc(sb, M) : add_span(sb, M);
	strbuf_addc(sb, '.');
	incm ? add_inc(sb, m) : add_span(sb, m);
	strbuf_addc(sb, '.');
	incp ? add_inc(sb, p) : add_span(sb, p);
	strbuf_adds(sb, suffix);
}

static const struct span ZERO = { "0", 1 };

/* ^ and ~ (caret when caret, else tilde) of a match; appends to out. */
static void caret_tilde(struct strbuf *out, const struct xp *x, bool caret)
{
	struct span M = x->id[0], m = x->id[1], p = x->id[2];
	bool M0 = span_is(M, "0"), m0 = span_is(m, "0");
	if (is_x(M))
		return;
	if (is_x(m)) {
		add_ver(out, ">=", M, false, ZERO, false, ZERO, false, " ");
		add_ver(out, "<", M, true, ZERO, false, ZERO, false, "-0");
		return;
	}
	if (is_x(p)) {
		add_ver(out, ">=", M, false, m, false, ZERO, false, " ");
		if (caret && !M0)
			add_ver(out, "<", M, true, ZERO, false, ZERO, false, "-0");
		else
			add_ver(out, "<", M, false, m, true, ZERO, false, "-0");
		return;
	}
	add_ver(out, ">=", M, false, m, false, p, false, "");
	if (x->pre.n) {
		strbuf_addc(out, '-');
		add_span(out, x->pre);
	}
	strbuf_addc(out, ' ');
	if (!caret || (M0 && !m0))
		add_ver(out, "<", M, false, m, true, ZERO, false, "-0");
	else if (M0)
		add_ver(out, "<", M, false, m, false, p, true, "-0");
	else
		add_ver(out, "<", M, true, ZERO, false, ZERO, false, "-0");
}

/* An X-range token `GTLT\s?XRANGEPLAIN` already matched: x, gtlt. */
static void xrange(struct strbuf *out, const char *tok, size_t n, struct span gtlt,
		   const struct xp *x)
{
	struct span M = x->id[0], m = x->id[1], p = x->id[2];
	/* "x.1" and "1.x.2" are left alone (and fail later) */
	if ((is_x(M) && !is_x(m)) || (is_x(m) && p.n && !is_x(p))) {
		strbuf_add(out, tok, n);
		return;
	}
	bool xM = is_x(M), xm = xM || is_x(m), xp = xm || is_x(p);
	if (span_is(gtlt, "=") && xp)
		gtlt.n = 0;
	if (xM) {
		strbuf_adds(out, span_is(gtlt, ">") || span_is(gtlt, "<") ? "<0.0.0-0" : "*");
	} else if (gtlt.n && xp) {
		if (xm)
			m = ZERO;
		p = ZERO;
		const char *op = span_is(gtlt, ">=") ? ">=" : span_is(gtlt, "<") ? "<" : "";
		bool incM = false, incm = false;
		if (span_is(gtlt, ">")) {
			op = ">=";
			incM = xm, incm = !xm;
		} else if (span_is(gtlt, "<=")) {
			op = "<";
			incM = xm, incm = !xm;
		}
		add_ver(out, op, M, incM, m, incm, p, false, op[0] == '<' ? "-0" : "");
	} else if (xm) {
		add_ver(out, ">=", M, false, ZERO, false, ZERO, false, " ");
		add_ver(out, "<", M, true, ZERO, false, ZERO, false, "-0");
	} else if (xp) {
		add_ver(out, ">=", M, false, m, false, ZERO, false, " ");
		add_ver(out, "<", M, false, m, true, ZERO, false, "-0");
	} else {
		strbuf_add(out, tok, n);
	}
}

/* parseComparator for one token without whitespace: caret, tilde, X-range,
 * then the first `[<>]?=?*` removed. Appends the result to out. */
static void rewrite_token(struct strbuf *out, const char *t, size_t n)
{
	struct xp x;
	size_t before = out->len;
	if (n && t[0] == '^' && match_xp(t, 1, n, &x) && x.end == n) {
		caret_tilde(out, &x, true);
		return;
	}
	size_t i = n && t[0] == '~' ? 1 : 0;
	if (i && i < n && t[i] == '>')
		i++;
	if (i && match_xp(t, i, n, &x) && x.end == n) {
		caret_tilde(out, &x, false);
		return;
	}
	/* ^GTLT\s?XRANGEPLAIN$; the operator is taken greedily, and an "="
	 * it does not take can only go into the prefix, which fails alike */
	i = 0;
	if (i < n && (t[i] == '<' || t[i] == '>'))
		i++;
	if (i < n && t[i] == '=')
		i++;
	struct span gtlt = { t, i };
	if (match_xp(t, i, n, &x) && x.end == n)
		xrange(out, t, n, gtlt, &x);
	else
		strbuf_add(out, t, n);

	/* replaceStars: the leftmost `(<|>)?=?\s*\*` of the result, removed */
	char *r = out->buf ? out->buf + before : NULL;
	size_t rl = out->len - before;
	char *star = r ? memchr(r, '*', rl) : NULL;
	if (!star)
		return;
	size_t k = (size_t)(star - r), st = k;
	if (st > 0 && r[st - 1] == '=')
		st--;
	if (st > 0 && (r[st - 1] == '<' || r[st - 1] == '>'))
		st--;
	memmove(r + st, r + k + 1, rl - k - 1);
	out->len -= k + 1 - st;
	out->buf[out->len] = 0;
}

/* hyphenReplace of `from - to`, both matched. */
static void hyphen(struct strbuf *out, const char *s, const struct xp *f, const struct xp *t)
{
	struct span fM = f->id[0], fm = f->id[1], fp = f->id[2];
	struct span tM = t->id[0], tm = t->id[1], tp = t->id[2];
	if (is_x(fM)) {
		/* nothing */
	} else if (is_x(fm)) {
		add_ver(out, ">=", fM, false, ZERO, false, ZERO, false, "");
	} else if (is_x(fp)) {
		add_ver(out, ">=", fM, false, fm, false, ZERO, false, "");
	} else {
		strbuf_adds(out, ">=");
		strbuf_add(out, s + f->start, f->end - f->start);
	}
	strbuf_addc(out, ' ');
	if (is_x(tM)) {
		/* nothing */
	} else if (is_x(tm)) {
		add_ver(out, "<", tM, true, ZERO, false, ZERO, false, "-0");
	} else if (is_x(tp)) {
		add_ver(out, "<", tM, false, tm, true, ZERO, false, "-0");
	} else if (t->pre.n) {
		add_ver(out, "<=", tM, false, tm, false, tp, false, "-");
		add_span(out, t->pre);
	} else {
		strbuf_adds(out, "<=");
		strbuf_add(out, s + t->start, t->end - t->start);
	}
}

/* ---- ranges: one comparator set ---------------------------------------------- */

struct comparator {
	int op;          /* '<', '>', 'l' (<=), 'g' (>=), '=' */
	struct sv v;
};

static bool parse_comparator(const char *s, size_t n, struct comparator *c)
{
	size_t i = 0;
	c->op = '=';
	if (i < n && (s[i] == '<' || s[i] == '>'))
		c->op = s[i++];
	if (i < n && s[i] == '=') {
		i++;
		c->op = c->op == '<' ? 'l' : c->op == '>' ? 'g' : '=';
	}
	if (n - i > SEMVER_MAX_LENGTH)
		return false;
	return parse_plain(s + i, n - i, &c->v);
}

static bool comparator_test(const struct comparator *c, const struct sv *v)
{
	int r = sv_cmp(v, &c->v);
	switch (c->op) {
	case '<': return r < 0;
	case '>': return r > 0;
	case 'l': return r <= 0;
	case 'g': return r >= 0;
	default: return r == 0;
	}
}

struct set_result {
	bool valid;
	bool only_any;    /* every comparator is "" (any) */
	bool matches;     /* the version satisfies the set */
};

/* The node-semver "trim" passes, each one linear compaction: the space
 * after an operator that precedes a version goes, as does the one after "~"
 * or "~>" (which becomes "~"), then the one after "^". */
static void glue_operators(struct strbuf *sb)
{
	char *s = sb->buf;
	size_t n = sb->len, w = 0;
	char prev = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' && prev && strchr("<>=", prev)) {
			size_t j = i + 1;
			while (j < n && (s[j] == 'v' || s[j] == '='))
				j++;
			if (j < n && (is_digit((unsigned char)s[j]) || s[j] == 'x' || s[j] == 'X' ||
				      s[j] == '*')) {
				prev = c;
				continue;
			}
		}
		s[w++] = prev = c;
	}
	n = w, w = 0;
	for (size_t i = 0; i < n; i++) {
		s[w++] = s[i];
		if (s[i] != '~')
			continue;
		if (i + 1 < n && s[i + 1] == ' ')
			i++;
		else if (i + 2 < n && s[i + 1] == '>' && s[i + 2] == ' ')
			i += 2;
	}
	n = w, w = 0;
	for (size_t i = 0; i < n; i++) {
		s[w++] = s[i];
		if (s[i] == '^' && i + 1 < n && s[i + 1] == ' ')
			i++;
	}
	sb->len = w;
	s[w] = 0;
}

/* Remove build metadata, `\+[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*`, everywhere. */
static void strip_builds(struct strbuf *sb)
{
	size_t w = 0;
	for (size_t i = 0; i < sb->len;) {
		if (sb->buf[i] == '+' && i + 1 < sb->len && is_ident((unsigned char)sb->buf[i + 1])) {
			i++;
			for (;;) {
				while (i < sb->len && is_ident((unsigned char)sb->buf[i]))
					i++;
				if (i + 1 < sb->len && sb->buf[i] == '.' &&
				    is_ident((unsigned char)sb->buf[i + 1]))
					i++;
				else
					break;
			}
			continue;
		}
		sb->buf[w++] = sb->buf[i++];
	}
	sb->len = w;
	if (sb->buf)
		sb->buf[w] = 0;
}

/* One `||` alternative s[0..n) (already trimmed, whitespace single spaces):
 * rewrite, parse every comparator, test v (NULL: no valid version). a and b
 * are scratch buffers. */
static void eval_set(const char *s, size_t n, const struct sv *v, struct strbuf *a,
		     struct strbuf *b, struct set_result *res)
{
	*res = (struct set_result){ .valid = true, .only_any = true, .matches = true };
	bool pre_ok = false;

	strbuf_reset(a);
	strbuf_add(a, s, n);
	strbuf_adds(a, "");
	strip_builds(a);

	/* hyphen range: ^\s?XP\s-\sXP\s?$ */
	struct xp f, t;
	const char *h = a->buf;
	size_t hn = a->len, i0 = hn && h[0] == ' ' ? 1 : 0;
	strbuf_reset(b);
	if (match_xp(h, i0, hn, &f) && f.end + 3 <= hn && memcmp(h + f.end, " - ", 3) == 0 &&
	    match_xp(h, f.end + 3, hn, &t) &&
	    (t.end == hn || (t.end + 1 == hn && h[t.end] == ' '))) {
		hyphen(b, h, &f, &t);
		/* `${from} ${to}`.trim() */
		size_t st = 0, en = b->len;
		while (st < en && b->buf[st] == ' ')
			st++;
		while (en > st && b->buf[en - 1] == ' ')
			en--;
		strbuf_reset(a);
		strbuf_add(a, b->buf + st, en - st);
		strbuf_adds(a, "");
	}
	glue_operators(a);

	/* split(' ') → parseComparator each → join(' ') */
	strbuf_reset(b);
	strbuf_adds(b, "");
	for (size_t i = 0;;) {
		size_t j = i;
		while (j < a->len && a->buf[j] != ' ')
			j++;
		if (i)
			strbuf_addc(b, ' ');
		rewrite_token(b, a->buf + i, j - i);
		if (j >= a->len)
			break;
		i = j + 1;
	}

	/* split(/\s+/) → replaceGTE0 → Comparator each */
	for (size_t i = 0;;) {
		size_t j = i;
		while (j < b->len && !js_space((unsigned char)b->buf[j]))
			j++;
		const char *c = b->buf + i;
		size_t cn = j - i;
		if (cn == 7 && memcmp(c, ">=0.0.0", 7) == 0)
			cn = 0;
		if (cn) {
			struct comparator cmp;
			if (!parse_comparator(c, cn, &cmp)) {
				res->valid = false;
				return;
			}
			res->only_any = false;
			if (v) {
				if (!comparator_test(&cmp, v))
					res->matches = false;
				if (cmp.v.pre.n && !digits_cmp(cmp.v.num[0], v->num[0]) &&
				    !digits_cmp(cmp.v.num[1], v->num[1]) &&
				    !digits_cmp(cmp.v.num[2], v->num[2]))
					pre_ok = true;
			}
		}
		if (j >= b->len)
			break;
		i = j;
		while (i < b->len && js_space((unsigned char)b->buf[i]))
			i++;
		if (i >= b->len) {
			break;   /* trailing whitespace: one more "" (any) */
		}
	}
	if (!v || (v->pre.n && !pre_ok))
		res->matches = false;
}

int semver_satisfies(const char *v, const char *range)
{
	if (!range)
		return -1;
	struct sv ver;
	bool v_ok = v && parse_version(v, &ver);

	/* trim, then each run of whitespace becomes one space */
	struct strbuf raw = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	strbuf_adds(&raw, "");
	const char *r = range;
	while (*r && js_space((unsigned char)*r))
		r++;
	for (; *r; r++) {
		if (js_space((unsigned char)*r)) {
			while (r[1] && js_space((unsigned char)r[1]))
				r++;
			if (!r[1])
				break;
			strbuf_addc(&raw, ' ');
		} else {
			strbuf_addc(&raw, *r);
		}
	}

	bool any_match = false, lone_any = false, valid = true;
	for (size_t i = 0; valid;) {
		size_t j = i;
		while (j < raw.len && !(raw.buf[j] == '|' && j + 1 < raw.len && raw.buf[j + 1] == '|'))
			j++;
		bool bar = j < raw.len;
		size_t st = i, en = j;
		while (st < en && raw.buf[st] == ' ')
			st++;
		while (en > st && raw.buf[en - 1] == ' ')
			en--;
		struct set_result res;
		eval_set(raw.buf + st, en - st, v_ok ? &ver : NULL, &a, &b, &res);
		valid = res.valid;
		any_match |= res.matches;
		lone_any |= res.only_any;
		if (!bar)
			break;
		i = j + 2;
	}
	strbuf_release(&raw);
	strbuf_release(&a);
	strbuf_release(&b);
	if (!valid)
		return -1;
	if (!v_ok)
		return 0;
	/* node-semver keeps only a set that is "any" when there is one, and "any"
	 * does not admit prereleases */
	if (lone_any)
		return ver.pre.n == 0;
	return any_match;
}
