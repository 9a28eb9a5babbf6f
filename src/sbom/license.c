/* SPDX license expressions: which license strings of a catalog may go into
 * the SBOM as SPDX ids or expressions. Package databases hold anything
 * ("GPL-2+", "BSD", a whole license text), and a schema-valid SBOM must not
 * pass that off as SPDX: only known ids (the list CycloneDX validates
 * against) and LicenseRef-… joined by AND / OR / WITH count.
 */
#include "sbom/sbom_internal.h"

#include <ctype.h>
#include <strings.h>

/* Nesting of parentheses we follow: the input is untrusted and the parser
 * recursive. */
#define EXPR_MAX_DEPTH 16
/* Tokens we look at; a longer "expression" is a license text, not one. */
#define EXPR_MAX_TOKENS 256

static int cmp_id(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

const char *spdx_license_id(const char *id)
{
	const char *const *hit = bsearch(id, spdx_license_ids, spdx_license_ids_n,
					 sizeof(*spdx_license_ids), cmp_id);
	if (hit)
		return *hit;
	/* SPDX ids match without regard to case ("mit" is MIT); rare enough
	 * that a scan of the list does. */
	for (size_t i = 0; i < spdx_license_ids_n; i++)
		if (!strcasecmp(id, spdx_license_ids[i]))
			return spdx_license_ids[i];
	return NULL;
}

/* idstring = 1*(ALPHA / DIGIT / "-" / "." ) */
static bool idstring(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isascii((unsigned char)*s) ||
		    !(isalnum((unsigned char)*s) || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* ["DocumentRef-" idstring ":"] "LicenseRef-" idstring */
static bool license_ref(const char *s)
{
	if (!strncmp(s, "DocumentRef-", 12)) {
		const char *colon = strchr(s, ':');
		if (!colon)
			return false;
		char *doc = xstrndup(s + 12, (size_t)(colon - s - 12));
		bool ok = idstring(doc);
		free(doc);
		if (!ok)
			return false;
		s = colon + 1;
	}
	return !strncmp(s, "LicenseRef-", 11) && idstring(s + 11);
}

struct expr {
	struct strvec tok;
	size_t i;
	unsigned depth;
	struct strbuf out;
};

static const char *peek(const struct expr *e)
{
	return e->i < e->tok.n ? e->tok.v[e->i] : NULL;
}

/* Operators are upper case in SPDX; lower case is tolerated by the spec. */
static bool is_op(const char *t, const char *upper)
{
	if (!t)
		return false;
	if (!strcmp(t, upper))
		return true;
	for (size_t k = 0; upper[k]; k++)
		if (t[k] != tolower((unsigned char)upper[k]))
			return false;
	return t[strlen(upper)] == '\0';
}

static bool is_any_op(const char *t)
{
	return is_op(t, "AND") || is_op(t, "OR") || is_op(t, "WITH");
}

/* A license id, "id+" or a LicenseRef, written canonically. */
static bool parse_term(struct expr *e)
{
	const char *t = peek(e);
	if (!t || !strcmp(t, "(") || !strcmp(t, ")") || is_any_op(t))
		return false;
	const char *id = spdx_license_id(t);
	if (id) {
		strbuf_adds(&e->out, id);
	} else if (license_ref(t)) {
		strbuf_adds(&e->out, t);
	} else {
		size_t n = strlen(t);
		if (n < 2 || t[n - 1] != '+')
			return false;
		char *base = xstrndup(t, n - 1);
		id = spdx_license_id(base);
		free(base);
		if (!id)
			return false;
		strbuf_addf(&e->out, "%s+", id);
	}
	e->i++;
	return true;
}

static bool parse_or(struct expr *e);

/* term [WITH exception] | "(" expression ")" */
static bool parse_with(struct expr *e)
{
	if (peek(e) && !strcmp(peek(e), "(")) {
		if (++e->depth > EXPR_MAX_DEPTH)
			return false;
		e->i++;
		strbuf_addc(&e->out, '(');
		if (!parse_or(e) || !peek(e) || strcmp(peek(e), ")"))
			return false;
		e->i++;
		strbuf_addc(&e->out, ')');
		e->depth--;
		return true;
	}
	if (!parse_term(e))
		return false;
	if (!is_op(peek(e), "WITH"))
		return true;
	e->i++;
	const char *exc = peek(e) ? spdx_license_id(peek(e)) : NULL;
	if (!exc)
		return false;
	strbuf_addf(&e->out, " WITH %s", exc);
	e->i++;
	return true;
}

/* AND binds tighter than OR; both are written back as they came, so the
 * grouping is the input's. */
static bool parse_and(struct expr *e)
{
	if (!parse_with(e))
		return false;
	while (is_op(peek(e), "AND")) {
		e->i++;
		strbuf_adds(&e->out, " AND ");
		if (!parse_with(e))
			return false;
	}
	return true;
}

static bool parse_or(struct expr *e)
{
	if (!parse_and(e))
		return false;
	while (is_op(peek(e), "OR")) {
		e->i++;
		strbuf_adds(&e->out, " OR ");
		if (!parse_and(e))
			return false;
	}
	return true;
}

/* Split on white space; parentheses are tokens of their own. */
static bool tokenize(const char *s, struct strvec *tok)
{
	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (tok->n >= EXPR_MAX_TOKENS)
			return false;
		size_t n = (*s == '(' || *s == ')') ? 1 : strcspn(s, " \t\n\r\f\v()");
		strvec_take(tok, xstrndup(s, n));
		s += n;
	}
	return tok->n > 0;
}

char *spdx_expression(const char *s, bool *single)
{
	*single = false;
	if (!s)
		return NULL;
	struct expr e = { STRVEC_INIT, 0, 0, STRBUF_INIT };
	bool ok = tokenize(s, &e.tok) && parse_or(&e) && e.i == e.tok.n;
	if (ok && e.tok.n == 1 && spdx_license_id(e.tok.v[0]))
		*single = true;
	strvec_clear(&e.tok);
	if (!ok) {
		strbuf_release(&e.out);
		return NULL;
	}
	return strbuf_detach(&e.out);
}
