/* PEP 440 versions, parsed and ordered as packaging.version.Version does.
 *
 * Grammar (packaging's VERSION_PATTERN, case-insensitive, surrounding
 * whitespace allowed):
 *
 *   v? [N!] N(.N)* [pre] [post] [dev] [+local]
 *   pre   = [-_.]? (alpha|a|beta|b|preview|pre|c|rc) [-_.]? N?
 *   post  = -N | [-_.]? (post|rev|r) [-_.]? N?
 *   dev   = [-_.]? dev [-_.]? N?
 *   local = [a-z0-9]+ ([-_.][a-z0-9]+)*
 *
 * Every optional separator is taken greedily: the regular expression's first
 * match is also the greedy one, since nothing that may follow a component can
 * start with the separator alone.
 *
 * Order (packaging's _cmpkey): epoch, release with trailing zeros ignored,
 * pre (a < b < rc; a dev release without pre or post sorts before every
 * pre-release; no pre sorts after), post (none first), dev (none last), local
 * (none first; segments numeric > alphanumeric, numeric by value, others
 * lexically, a shorter prefix first).
 *
 * Numbers are digit strings compared by length once leading zeros are
 * stripped, so no length overflows. Nothing is allocated; every pass is
 * linear in the input.
 */
#include "version_internal.h"

#include <string.h>

/* A non-negative integer as its digits, leading zeros stripped ("" is 0). */
struct num {
	const char *p;
	size_t n;
};

enum pre_kind { PRE_NONE = 0, PRE_A = 1, PRE_B = 2, PRE_RC = 3 };

struct pep440 {
	struct num epoch;
	const char *rel;      /* "1.2.3": digits and dots */
	size_t rel_len;
	enum pre_kind pre;
	struct num pre_n;
	bool has_post;
	struct num post_n;
	bool has_dev;
	struct num dev_n;
	const char *local;    /* NULL when absent; else segments and separators */
	size_t local_len;
};

/* Python's str.isspace() for ASCII: what `\s` strips around a version. */
static bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_sep(unsigned char c) { return c == '-' || c == '_' || c == '.'; }
static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Case-insensitive "does s[i..end) start with word". */
static bool has_word(const char *s, size_t i, size_t end, const char *word)
{
	size_t n = strlen(word);
	if (end - i < n)
		return false;
	for (size_t k = 0; k < n; k++)
		if (lower((unsigned char)s[i + k]) != (unsigned char)word[k])
			return false;
	return true;
}

/* Digits at s[*i..end) (at least one, else false), as a struct num. */
static bool take_num(const char *s, size_t *i, size_t end, struct num *out)
{
	size_t j = *i;
	while (j < end && is_digit((unsigned char)s[j]))
		j++;
	if (j == *i)
		return false;
	size_t k = *i;
	while (k < j && s[k] == '0')
		k++;
	*out = (struct num){ s + k, j - k };
	*i = j;
	return true;
}

/* [-_.]? WORD [-_.]? N? at s[*i..end) for the first matching word of words;
 * returns the word's index or -1 (nothing consumed). */
static int take_labelled(const char *s, size_t *i, size_t end, const char *const *words,
			 size_t nwords, struct num *n)
{
	size_t j = *i;
	if (j < end && is_sep((unsigned char)s[j]))
		j++;
	for (size_t w = 0; w < nwords; w++) {
		if (!has_word(s, j, end, words[w]))
			continue;
		j += strlen(words[w]);
		if (j < end && is_sep((unsigned char)s[j]))
			j++;
		*n = (struct num){ "", 0 };
		take_num(s, &j, end, n);
		*i = j;
		return (int)w;
	}
	return -1;
}

static bool pep440_parse(const char *v, struct pep440 *out)
{
	static const char *const pre_words[] = { "alpha", "a", "beta", "b", "preview", "pre",
						 "c", "rc" };
	static const enum pre_kind pre_kinds[] = { PRE_A, PRE_A, PRE_B, PRE_B, PRE_RC, PRE_RC,
						   PRE_RC, PRE_RC };
	static const char *const post_words[] = { "post", "rev", "r" };
	static const char *const dev_words[] = { "dev" };

	memset(out, 0, sizeof(*out));
	out->epoch = (struct num){ "", 0 };
	size_t i = 0, end = strlen(v);
	while (i < end && is_space((unsigned char)v[i]))
		i++;
	while (end > i && is_space((unsigned char)v[end - 1]))
		end--;
	if (i < end && lower((unsigned char)v[i]) == 'v')
		i++;

	/* epoch: digits followed by '!', else those digits start the release */
	size_t j = i;
	struct num n;
	if (!take_num(v, &j, end, &n))
		return false;
	if (j < end && v[j] == '!') {
		out->epoch = n;
		i = j + 1;
	}
	/* release */
	out->rel = v + i;
	if (!take_num(v, &i, end, &n))
		return false;
	while (i + 1 < end && v[i] == '.' && is_digit((unsigned char)v[i + 1])) {
		i++;
		take_num(v, &i, end, &n);
	}
	out->rel_len = (size_t)(v + i - out->rel);

	int w = take_labelled(v, &i, end, pre_words, ARRAY_SIZE(pre_words), &out->pre_n);
	if (w >= 0)
		out->pre = pre_kinds[w];

	/* post: "-N", else the labelled form */
	j = i;
	if (j + 1 < end && v[j] == '-' && is_digit((unsigned char)v[j + 1])) {
		j++;
		take_num(v, &j, end, &out->post_n);
		out->has_post = true;
		i = j;
	} else if (take_labelled(v, &i, end, post_words, ARRAY_SIZE(post_words),
				 &out->post_n) >= 0) {
		out->has_post = true;
	}

	if (take_labelled(v, &i, end, dev_words, ARRAY_SIZE(dev_words), &out->dev_n) >= 0)
		out->has_dev = true;

	if (i < end && v[i] == '+') {
		i++;
		out->local = v + i;
		/* segments of [a-z0-9]+ joined by single separators */
		for (;;) {
			size_t s0 = i;
			while (i < end && (is_digit((unsigned char)v[i]) || is_alpha((unsigned char)v[i])))
				i++;
			if (i == s0)
				return false;
			if (i < end && is_sep((unsigned char)v[i]) && i + 1 < end) {
				i++;
				continue;
			}
			break;
		}
		out->local_len = (size_t)(v + i - out->local);
	}
	return i == end;
}

bool pep440_version_valid(const char *v)
{
	struct pep440 p;
	return v && pep440_parse(v, &p);
}

static int num_cmp(struct num a, struct num b)
{
	if (a.n != b.n)
		return a.n < b.n ? -1 : 1;
	int c = a.n ? memcmp(a.p, b.p, a.n) : 0;
	return c < 0 ? -1 : c > 0;
}

/* Next dot-separated number of a release at *pos (< end), or 0 past it. */
static struct num next_release(const char *s, size_t len, size_t *pos)
{
	struct num n = { "", 0 };
	if (*pos >= len)
		return n;
	if (s[*pos] == '.')
		(*pos)++;
	take_num(s, pos, len, &n);
	return n;
}

static int release_cmp(const struct pep440 *a, const struct pep440 *b)
{
	size_t ia = 0, ib = 0;
	while (ia < a->rel_len || ib < b->rel_len) {
		struct num na = next_release(a->rel, a->rel_len, &ia);
		struct num nb = next_release(b->rel, b->rel_len, &ib);
		int c = num_cmp(na, nb);
		if (c)
			return c;
	}
	return 0;
}

/* A local segment: [start, start+len), numeric or not. */
struct seg {
	const char *p;
	size_t n;
	bool numeric;
};

static bool next_seg(const char *s, size_t len, size_t *pos, struct seg *out)
{
	if (*pos >= len)
		return false;
	if (is_sep((unsigned char)s[*pos]))
		(*pos)++;
	size_t st = *pos;
	bool numeric = true;
	while (*pos < len && !is_sep((unsigned char)s[*pos])) {
		if (!is_digit((unsigned char)s[*pos]))
			numeric = false;
		(*pos)++;
	}
	*out = (struct seg){ s + st, *pos - st, numeric };
	return true;
}

static int seg_cmp(const struct seg *a, const struct seg *b)
{
	if (a->numeric != b->numeric)
		return a->numeric ? 1 : -1;
	if (a->numeric) {
		struct num na = { a->p, a->n }, nb = { b->p, b->n };
		while (na.n && *na.p == '0')
			na.p++, na.n--;
		while (nb.n && *nb.p == '0')
			nb.p++, nb.n--;
		return num_cmp(na, nb);
	}
	size_t n = a->n < b->n ? a->n : b->n;
	for (size_t k = 0; k < n; k++) {
		unsigned char ca = lower((unsigned char)a->p[k]), cb = lower((unsigned char)b->p[k]);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return a->n < b->n ? -1 : a->n > b->n;
}

static int local_cmp(const struct pep440 *a, const struct pep440 *b)
{
	if (!a->local || !b->local)
		return (a->local != NULL) - (b->local != NULL);
	size_t ia = 0, ib = 0;
	for (;;) {
		struct seg sa, sb;
		bool ha = next_seg(a->local, a->local_len, &ia, &sa);
		bool hb = next_seg(b->local, b->local_len, &ib, &sb);
		if (!ha || !hb)
			return ha - hb;
		int c = seg_cmp(&sa, &sb);
		if (c)
			return c;
	}
}

/* The pre-release key's rank: a bare dev release (no pre, no post) first,
 * then pre-releases, then none. */
static int pre_rank(const struct pep440 *p)
{
	if (p->pre != PRE_NONE)
		return 1;
	return !p->has_post && p->has_dev ? 0 : 2;
}

int pep440_version_cmp(const char *a, const char *b)
{
	struct pep440 pa, pb;
	bool va = pep440_parse(a, &pa), vb = pep440_parse(b, &pb);
	if (!va || !vb)
		return va - vb;

	int c = num_cmp(pa.epoch, pb.epoch);
	if (c)
		return c;
	if ((c = release_cmp(&pa, &pb)))
		return c;
	int ra = pre_rank(&pa), rb = pre_rank(&pb);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 1) {
		if (pa.pre != pb.pre)
			return pa.pre < pb.pre ? -1 : 1;
		if ((c = num_cmp(pa.pre_n, pb.pre_n)))
			return c;
	}
	if (pa.has_post != pb.has_post)
		return pa.has_post ? 1 : -1;
	if (pa.has_post && (c = num_cmp(pa.post_n, pb.post_n)))
		return c;
	if (pa.has_dev != pb.has_dev)
		return pa.has_dev ? -1 : 1;
	if (pa.has_dev && (c = num_cmp(pa.dev_n, pb.dev_n)))
		return c;
	return local_cmp(&pa, &pb);
}
