/* Package identifiers: purl (github.com/package-url/purl-spec) and CPE 2.3.
 *
 * purls follow what scanners match on: deb/apk/rpm carry the distro as a
 * qualifier ("distro=debian-12"), PyPI names are PEP 503-normalized, npm
 * scopes are a namespace ("%40scope"), Go module paths are namespace/name.
 * CPEs are written only for products whose NVD vendor is certain; a guessed
 * CPE makes false findings, which is worse than none.
 */
#include "catalog_internal.h"

#include <ctype.h>
#include <string.h>

static bool unreserved(unsigned char ch)
{
	return isalnum(ch) || ch == '.' || ch == '-' || ch == '_' || ch == '~';
}

/* Percent-encode s into sb; keep_slash keeps '/' (path-like names). */
static void add_encoded(struct strbuf *sb, const char *s, bool keep_slash)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p) || (keep_slash && *p == '/'))
			strbuf_addc(sb, (char)*p);
		else
			strbuf_addf(sb, "%%%02X", *p);
	}
}

/* "debian-12", "alpine-3.19.1": the distro qualifier. */
static void add_distro(struct strbuf *q, const struct os_info *os)
{
	if (!os->id)
		return;
	strbuf_addf(q, "%sdistro=", q->len ? "&" : "");
	add_encoded(q, os->id, false);
	if (os->version_id) {
		strbuf_addc(q, '-');
		add_encoded(q, os->version_id, false);
	}
}

static void add_qualifier(struct strbuf *q, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	strbuf_addf(q, "%s%s=", q->len ? "&" : "", key);
	add_encoded(q, value, false);
}

/* The purl namespace of an OS package: the distro id (rpm: the vendor's
 * usual name for it). */
static const char *os_namespace(const struct os_info *os, enum pkg_type t)
{
	if (os->id)
		return os->id;
	return t == PKG_APK ? "alpine" : t == PKG_DEB ? "debian" : "unknown";
}

char *cat_purl(const struct cat_pkg *p, const struct os_info *os)
{
	if (!p->name || !*p->name)
		return NULL;
	struct strbuf sb = STRBUF_INIT, q = STRBUF_INIT;
	strbuf_addf(&sb, "pkg:%s/", pkg_type_name(p->type));
	const char *version = p->version;
	cleanup_free char *epoch = NULL;
	switch (p->type) {
	case PKG_DEB:
	case PKG_APK:
	case PKG_RPM:
		add_encoded(&sb, os_namespace(os, p->type), false);
		strbuf_addc(&sb, '/');
		add_encoded(&sb, p->name, false);
		if (p->type == PKG_RPM && version && strchr(version, ':')) {
			const char *colon = strchr(version, ':');
			epoch = xstrndup(version, (size_t)(colon - version));
			version = colon + 1;
		}
		add_qualifier(&q, "arch", p->arch);
		add_distro(&q, os);
		add_qualifier(&q, "epoch", epoch);
		if (p->src_name && strcmp(p->src_name, p->name))
			add_qualifier(&q, "upstream", p->src_name);
		break;
	case PKG_PYTHON: {
		cleanup_free char *norm = pep503_name(p->name);
		add_encoded(&sb, norm, false);
		break;
	}
	case PKG_NPM:
		if (p->name[0] == '@' && strchr(p->name, '/')) {
			const char *slash = strchr(p->name, '/');
			cleanup_free char *scope = xstrndup(p->name, (size_t)(slash - p->name));
			add_encoded(&sb, scope, false);
			strbuf_addc(&sb, '/');
			add_encoded(&sb, slash + 1, false);
		} else {
			add_encoded(&sb, p->name, false);
		}
		break;
	case PKG_GO:
		add_encoded(&sb, p->name, true);
		break;
	}
	if (version && *version) {
		strbuf_addc(&sb, '@');
		add_encoded(&sb, version, false);
	}
	if (q.len) {
		strbuf_addc(&sb, '?');
		strbuf_adds(&sb, q.buf);
	}
	strbuf_release(&q);
	return strbuf_detach(&sb);
}

/* Products whose NVD vendor:product is certain, by package (or source
 * package) name. */
static const struct {
	enum pkg_type type;
	const char *name;
	const char *vendor_product;
} known_cpes[] = {
	{ PKG_DEB, "openssl", "openssl:openssl" },
	{ PKG_DEB, "curl", "haxx:curl" },
	{ PKG_DEB, "glibc", "gnu:glibc" },
	{ PKG_DEB, "bash", "gnu:bash" },
	{ PKG_DEB, "zlib", "zlib:zlib" },
	{ PKG_DEB, "sqlite3", "sqlite:sqlite" },
	{ PKG_DEB, "libxml2", "xmlsoft:libxml2" },
	{ PKG_DEB, "openssh", "openbsd:openssh" },
	{ PKG_DEB, "sudo", "sudo_project:sudo" },
	{ PKG_DEB, "tar", "gnu:tar" },
	{ PKG_DEB, "gnutls28", "gnu:gnutls" },
	{ PKG_APK, "openssl", "openssl:openssl" },
	{ PKG_APK, "curl", "haxx:curl" },
	{ PKG_APK, "busybox", "busybox:busybox" },
	{ PKG_APK, "zlib", "zlib:zlib" },
	{ PKG_RPM, "openssl", "openssl:openssl" },
	{ PKG_RPM, "curl", "haxx:curl" },
	{ PKG_RPM, "glibc", "gnu:glibc" },
	{ PKG_PYTHON, "numpy", "numpy:numpy" },
	{ PKG_PYTHON, "pillow", "python:pillow" },
	{ PKG_PYTHON, "requests", "python:requests" },
	{ PKG_PYTHON, "urllib3", "python:urllib3" },
	{ PKG_PYTHON, "torch", "linuxfoundation:pytorch" },
	{ PKG_PYTHON, "jinja2", "palletsprojects:jinja" },
	{ PKG_PYTHON, "transformers", "huggingface:transformers" },
	{ PKG_GO, "stdlib", "golang:go" },
};

/* The upstream part of a distro version: no epoch, no packaging revision. */
static char *upstream_version(const struct cat_pkg *p)
{
	const char *v = p->src_version ? p->src_version : p->version;
	const char *colon = strchr(v, ':');
	if (colon && p->type != PKG_PYTHON && p->type != PKG_NPM && p->type != PKG_GO)
		v = colon + 1;
	size_t n = strlen(v);
	if (p->type == PKG_DEB || p->type == PKG_APK || p->type == PKG_RPM) {
		const char *dash = strrchr(v, '-');
		if (dash)
			n = (size_t)(dash - v);
		/* "3.0.11+dfsg" / "1.2.13.dfsg": Debian's repack suffixes. */
		const char *plus = memchr(v, '+', n);
		if (plus)
			n = (size_t)(plus - v);
	}
	if (p->type == PKG_GO && v[0] == 'v')
		v++, n--;
	if (p->type == PKG_GO && !strncmp(v, "go", 2))
		v += 2, n -= 2;
	return xstrndup(v, n);
}

char *cat_cpe(const struct cat_pkg *p, const struct os_info *os)
{
	(void)os;
	if (!p->name || !p->version)
		return NULL;
	cleanup_free char *pyname = p->type == PKG_PYTHON ? pep503_name(p->name) : NULL;
	const char *name = pyname ? pyname : p->src_name ? p->src_name : p->name;
	for (size_t i = 0; i < sizeof(known_cpes) / sizeof(known_cpes[0]); i++) {
		if (known_cpes[i].type != p->type || strcmp(known_cpes[i].name, name))
			continue;
		cleanup_free char *v = upstream_version(p);
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "cpe:2.3:a:%s:", known_cpes[i].vendor_product);
		/* CPE 2.3 formatted string: escape what is not alnum, '.', '_', '-'. */
		for (const char *c = v; *c; c++) {
			if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' && *c != '-')
				strbuf_addc(&sb, '\\');
			strbuf_addc(&sb, *c);
		}
		strbuf_adds(&sb, ":*:*:*:*:*:*:*");
		return strbuf_detach(&sb);
	}
	return NULL;
}

/* ---- reading purls --------------------------------------------------------------------- */

#define PURL_MAX 4096

/* The n bytes at s, percent-decoded; NULL on a bad escape, or when the
 * result is not UTF-8 without NULs (it may end up in a JSON document). */
static char *decode(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			strbuf_addc(&sb, s[i]);
			continue;
		}
		int hi = i + 2 < n ? hex_value(s[i + 1]) : -1, lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
		if (lo < 0) {
			strbuf_release(&sb);
			return NULL;
		}
		strbuf_addc(&sb, (char)(hi << 4 | lo));
		i += 2;
	}
	size_t len = sb.len;
	char *out = strbuf_detach(&sb);
	if (!utf8_valid(out, len)) {
		free(out);
		return NULL;
	}
	return out;
}

static void lower(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* "a=1&b=2" → sorted "a=1", "b=2", keys lower-cased, values decoded. */
static int parse_qualifiers(const char *q, size_t n, struct strvec *out)
{
	for (const char *p = q, *end = q + n; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(e - p));
		char *key = eq && eq > p ? xstrndup(p, (size_t)(eq - p)) : NULL;
		char *value = eq ? decode(eq + 1, (size_t)(e - eq - 1)) : NULL;
		if (!key || !value) {
			free(key);
			free(value);
			return -1;
		}
		lower(key);
		if (*value)
			strvec_take(out, xasprintf("%s=%s", key, value));
		free(key);
		free(value);
		p = e + (amp != NULL);
	}
	strvec_sort(out);
	return 0;
}

/* Split off "#subpath", "?qualifiers", "@version" from the end of the rest
 * (the spec's parsing order); what stays is type/namespace/name. */
static int parse_tail(const char *s, size_t *len, struct purl *out)
{
	const char *hash = memchr(s, '#', *len);
	if (hash) {
		out->subpath = decode(hash + 1, (size_t)(s + *len - hash - 1));
		*len = (size_t)(hash - s);
		if (!out->subpath)
			return -1;
	}
	const char *qm = memchr(s, '?', *len);
	if (qm) {
		if (parse_qualifiers(qm + 1, (size_t)(s + *len - qm - 1), &out->qualifiers) < 0)
			return -1;
		*len = (size_t)(qm - s);
	}
	const char *at = NULL;
	for (size_t i = 0; i < *len; i++)
		if (s[i] == '@')
			at = s + i;
	if (at) {
		out->version = decode(at + 1, (size_t)(s + *len - at - 1));
		*len = (size_t)(at - s);
		if (!out->version)
			return -1;
	}
	return 0;
}

static int parse_path(const char *s, size_t len, struct purl *out)
{
	while (len && s[0] == '/') {   /* "pkg://" is tolerated, as the spec says */
		s++;
		len--;
	}
	const char *slash = memchr(s, '/', len);
	const char *last = NULL;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/')
			last = s + i;
	if (!slash || slash == s || !last || last + 1 == s + len)
		return -1;
	out->type = xstrndup(s, (size_t)(slash - s));
	lower(out->type);
	if (last > slash)
		out->namespace = decode(slash + 1, (size_t)(last - slash - 1));
	out->name = decode(last + 1, (size_t)(s + len - last - 1));
	if (!out->name || (last > slash && !out->namespace))
		return -1;
	if (!strcmp(out->type, "pypi")) {
		char *n = pep503_name(out->name);
		free(out->name);
		out->name = n;
	}
	return 0;
}

int purl_parse(const char *s, struct purl *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	size_t len = strnlen(s, PURL_MAX + 1);
	if (len > PURL_MAX || strncasecmp(s, "pkg:", 4))
		return -1;
	s += 4;
	len -= 4;
	if (parse_tail(s, &len, out) < 0 || parse_path(s, len, out) < 0) {
		purl_release(out);
		return -1;
	}
	return 0;
}

void purl_release(struct purl *p)
{
	free(p->type);
	free(p->namespace);
	free(p->name);
	free(p->version);
	free(p->subpath);
	strvec_clear(&p->qualifiers);
	memset(p, 0, sizeof(*p));
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

const char *purl_qualifier(const struct purl *p, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < p->qualifiers.n; i++)
		if (!strncmp(p->qualifiers.v[i], key, n) && p->qualifiers.v[i][n] == '=')
			return p->qualifiers.v[i] + n + 1;
	return NULL;
}

bool purl_matches(const struct purl *pattern, const struct purl *p)
{
	if (!same(pattern->type, p->type) || !same(pattern->namespace, p->namespace) ||
	    !same(pattern->name, p->name))
		return false;
	if (pattern->version && !same(pattern->version, p->version))
		return false;
	for (size_t i = 0; i < pattern->qualifiers.n; i++) {
		bool found = false;
		for (size_t j = 0; j < p->qualifiers.n && !found; j++)
			found = !strcmp(pattern->qualifiers.v[i], p->qualifiers.v[j]);
		if (!found)
			return false;
	}
	return true;
}
