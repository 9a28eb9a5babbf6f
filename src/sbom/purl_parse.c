/* Reading a package URL (github.com/package-url/purl-spec) back into its
 * parts, for the SBOM reader: type, namespace, name, version and the
 * qualifiers scanners put distro facts in (arch, distro, epoch, upstream).
 *
 * The purl comes from an untrusted document: every part is percent-decoded,
 * and a part whose decoding is not a clean string (a NUL, invalid UTF-8) is
 * kept as written, so what we hold can always go back into JSON.
 */
#include "sbom/sbom_internal.h"

#include <ctype.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* [s, s+n) percent-decoded; as written when the result would not be
 * valid UTF-8 or would hold a NUL. */
static char *decode(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	bool clean = true;
	for (size_t i = 0; i < n; i++) {
		int hi = s[i] == '%' && i + 2 < n ? hex_digit(s[i + 1]) : -1;
		int lo = hi >= 0 ? hex_digit(s[i + 2]) : -1;
		if (lo >= 0) {
			clean = clean && (hi || lo);
			strbuf_addc(&sb, (char)(hi << 4 | lo));
			i += 2;
			continue;
		}
		strbuf_addc(&sb, s[i]);
	}
	char *out = strbuf_detach(&sb);
	json_t *check = clean ? json_string(out) : NULL;
	if (!check) {
		free(out);
		return xstrndup(s, n);
	}
	json_decref(check);
	return out;
}

static void take_qualifier(struct purl *p, const char *key, size_t klen, const char *v, size_t vlen)
{
	static const struct { const char *key; size_t off; } known[] = {
		{ "arch", offsetof(struct purl, arch) },
		{ "distro", offsetof(struct purl, distro) },
		{ "epoch", offsetof(struct purl, epoch) },
		{ "upstream", offsetof(struct purl, upstream) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		if (strlen(known[i].key) != klen || strncasecmp(key, known[i].key, klen))
			continue;
		char **slot = (char **)((char *)p + known[i].off);
		if (!*slot && vlen)
			*slot = decode(v, vlen);
	}
}

static void parse_qualifiers(struct purl *p, const char *q, size_t n)
{
	while (n) {
		size_t len = 0;
		while (len < n && q[len] != '&')
			len++;
		const char *eq = memchr(q, '=', len);
		if (eq)
			take_qualifier(p, q, (size_t)(eq - q), eq + 1, len - (size_t)(eq - q) - 1);
		q += len;
		n -= len;
		if (n) {
			q++;
			n--;
		}
	}
}

/* "pkg:" TYPE "/" [NAMESPACE "/"] NAME ["@" VERSION] ["?" QUALIFIERS] ["#" SUBPATH] */
int sbom_purl_parse(const char *s, struct purl *p)
{
	memset(p, 0, sizeof(*p));
	if (!s || strncasecmp(s, "pkg:", 4))
		return -1;
	s += 4;
	while (*s == '/')   /* "pkg://type/…" is tolerated by the spec */
		s++;
	size_t n = strcspn(s, "#");
	const char *q = memchr(s, '?', n);
	size_t path_len = q ? (size_t)(q - s) : n;
	if (q)
		parse_qualifiers(p, q + 1, n - path_len - 1);
	const char *slash = memchr(s, '/', path_len);
	if (!slash || slash == s) {
		sbom_purl_release(p);
		return -1;
	}
	p->type = xstrndup(s, (size_t)(slash - s));
	for (char *c = p->type; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	const char *rest = slash + 1, *end = s + path_len;
	while (end > rest && end[-1] == '/')
		end--;
	const char *last = end;
	while (last > rest && last[-1] != '/')
		last--;
	const char *at = memchr(last, '@', (size_t)(end - last));
	const char *name_end = at ? at : end;
	if (name_end == last) {
		sbom_purl_release(p);
		return -1;
	}
	p->name = decode(last, (size_t)(name_end - last));
	if (at && end > at + 1)
		p->version = decode(at + 1, (size_t)(end - at - 1));
	if (last > rest + 1)
		p->namespace_ = decode(rest, (size_t)(last - 1 - rest));
	return 0;
}

void sbom_purl_release(struct purl *p)
{
	free(p->type);
	free(p->namespace_);
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->distro);
	free(p->epoch);
	free(p->upstream);
	memset(p, 0, sizeof(*p));
}
