/* sbom: format selection, dispatch, and what the writers share: the
 * document's time and UUID, the image's purl, unique identifiers. */
#include "sbom/sbom_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>

int sbom_format_parse(const char *s, enum sbom_format *f, struct qerr *err)
{
	if (!strcmp(s, "cyclonedx"))
		*f = SBOM_CYCLONEDX;
	else if (!strcmp(s, "spdx"))
		*f = SBOM_SPDX;
	else if (!strcmp(s, "json"))
		*f = SBOM_NATIVE;
	else
		return q_error(err, 0, "unknown SBOM format '%s' (cyclonedx, spdx, json)", s);
	return 0;
}

json_t *sbom_build(enum sbom_format f, const struct catalog *c, const struct sbom_subject *s,
		   const struct sbom_opts *o)
{
	static const struct sbom_opts defaults = { .tool_version = QUENCH_VERSION };
	if (!o)
		o = &defaults;
	switch (f) {
	case SBOM_CYCLONEDX: return cyclonedx_build(c, s, o);
	case SBOM_SPDX: return spdx_build(c, s, o);
	case SBOM_NATIVE: return native_build(c, s, o);
	}
	BUG("sbom_build: unknown format");
}

/* ---- time ------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * algorithm): no timegm, no TZ, any year. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* n decimal digits at *p, advanced past them. */
static bool digits(const char **p, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return false;
		*v = *v * 10 + (unsigned)(**p - '0');
	}
	return true;
}

static bool expect(const char **p, const char *any)
{
	if (!**p || !strchr(any, **p))
		return false;
	(*p)++;
	return true;
}

int sbom_parse_time(const char *s, int64_t *t)
{
	unsigned Y, M, D, h, m, sec, oh = 0, om = 0;
	const char *p = s;
	if (!digits(&p, 4, &Y) || !expect(&p, "-") || !digits(&p, 2, &M) || !expect(&p, "-") ||
	    !digits(&p, 2, &D) || !expect(&p, "Tt ") || !digits(&p, 2, &h) || !expect(&p, ":") ||
	    !digits(&p, 2, &m) || !expect(&p, ":") || !digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {   /* fractions are dropped: SPDX wants whole seconds */
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	int sign = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!digits(&p, 2, &oh) || !expect(&p, ":") || !digits(&p, 2, &om))
			return -1;
	} else {
		return -1;
	}
	if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60 ||
	    oh > 23 || om > 59)
		return -1;
	int64_t days = days_from_civil(Y, M, D), y2;
	unsigned m2, d2;
	civil_from_days(days, &y2, &m2, &d2);
	if (y2 != Y || m2 != M || d2 != D)   /* "02-30" and friends */
		return -1;
	if (sec == 60)   /* a leap second is the next second's start */
		sec = 59;
	*t = days * 86400 + h * 3600 + m * 60 + sec - sign * (int64_t)(oh * 3600 + om * 60);
	return 0;
}

void sbom_format_time(int64_t t, char out[SBOM_TIME_MAX])
{
	int64_t days = t / 86400, rem = t % 86400, y;
	if (rem < 0)
		rem += 86400, days--;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {   /* not writable as RFC 3339 */
		y = 1970, m = 1, d = 1, rem = 0;
	}
	snprintf(out, SBOM_TIME_MAX, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02uZ", y, m, d,
		 (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
}

const char *sbom_timestamp(const struct sbom_subject *s, char out[SBOM_TIME_MAX])
{
	int64_t t;
	if (!s->created || sbom_parse_time(s->created, &t) < 0)
		t = source_date_epoch(0);
	sbom_format_time(t, out);
	return out;
}

/* ---- identity of the image ------------------------------------------------- */

void sbom_uuid(const struct sbom_subject *s, const struct sbom_opts *o, char out[SBOM_UUID_MAX])
{
	/* A document with per-file entries is a different document of the
	 * same image: it gets its own serial number. */
	char *seed = xasprintf("quench-sbom\n%s\n%s", s->manifest_digest ? s->manifest_digest : "",
			       o && o->files ? "files" : "");
	char d[DIGEST_STR_MAX];
	sha256_buf(seed, strlen(seed), d);
	free(seed);
	unsigned char b[16];
	const char *hex = digest_hex(d);
	for (int i = 0; i < 16; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		b[i] = (unsigned char)v;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x50);   /* version 5: name-based */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
	snprintf(out, SBOM_UUID_MAX,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

/* The repository part of the subject's name: "docker://R[:tag][@digest]"
 * gives R; other transports name a file or directory, whose base name is
 * the best name there is. *registry tells which. */
static char *image_repository(const struct sbom_subject *s, bool *registry)
{
	static const char docker[] = "docker://";
	*registry = s->name && str_starts_with(s->name, docker);
	if (*registry) {
		const char *r = s->name + strlen(docker);
		size_t len = strcspn(r, "@");
		const char *last = memrchr(r, '/', len);
		last = last ? last : r;
		const char *colon = memchr(last, ':', len - (size_t)(last - r));   /* the tag */
		return xstrndup(r, colon ? (size_t)(colon - r) : len);
	}
	const char *n = s->name ? s->name : "";
	const char *colon = strchr(n, ':');
	if (colon)
		n = colon + 1;   /* past the transport */
	size_t len = strcspn(n, ":");
	while (len && n[len - 1] == '/')
		len--;
	const char *slash = memrchr(n, '/', len);
	if (slash)
		len -= (size_t)(slash + 1 - n), n = slash + 1;
	return xstrndup(n, len);
}

char *sbom_image_short_name(const struct sbom_subject *s)
{
	bool registry;
	char *repo = image_repository(s, &registry);
	const char *slash = strrchr(repo, '/');
	struct strbuf sb = STRBUF_INIT;
	/* purl names of type oci are lower case; keep what is safe anywhere */
	for (const char *p = slash ? slash + 1 : repo; *p; p++) {
		char ch = (char)tolower((unsigned char)*p);
		strbuf_addc(&sb, isascii((unsigned char)ch) && (isalnum((unsigned char)ch) ||
							       strchr("._-", ch)) ? ch : '-');
	}
	free(repo);
	if (!sb.len)
		strbuf_adds(&sb, "image");
	return strbuf_detach(&sb);
}

static void percent_encode(struct strbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isascii(*p) && (isalnum(*p) || strchr("-._~", *p)))
			strbuf_addc(sb, (char)*p);
		else
			strbuf_addf(sb, "%%%02X", *p);
	}
}

char *sbom_image_purl(const struct sbom_subject *s)
{
	if (!s->manifest_digest || !digest_valid(s->manifest_digest))
		return NULL;
	char *name = sbom_image_short_name(s);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "pkg:oci/%s@sha256%%3A%s", name, digest_hex(s->manifest_digest));
	free(name);
	char sep = '?';
	if (s->arch && *s->arch) {   /* qualifiers sorted by key, as purl wants */
		strbuf_addf(&sb, "%carch=", sep);
		percent_encode(&sb, s->arch);
		sep = '&';
	}
	bool registry;
	char *repo = image_repository(s, &registry);
	if (registry && *repo) {
		strbuf_addf(&sb, "%crepository_url=", sep);
		percent_encode(&sb, repo);
	}
	free(repo);
	return strbuf_detach(&sb);
}

/* ---- small shared helpers --------------------------------------------------- */

const char *sbom_layer_digest(const struct sbom_subject *s, uint32_t layer)
{
	if (!s->layer_digests || layer >= s->n_layers)
		return NULL;
	return s->layer_digests[layer];
}

const char *sbom_elf_hex(const struct elf_info *e)
{
	if (!e || !digest_valid(e->sha256))
		return NULL;
	return digest_hex(e->sha256);
}

bool sbom_os_pkg(enum pkg_type t)
{
	switch (t) {
	case PKG_DEB:
	case PKG_APK:
	case PKG_RPM:
		return true;
	case PKG_PYTHON:
	case PKG_NPM:
	case PKG_GO:
		return false;
	}
	return false;
}

bool sbom_url_ok(const char *s)
{
	if (!s || !(str_starts_with(s, "https://") || str_starts_with(s, "http://")))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("<>\"{}|\\^`", *p))
			return false;
	return strlen(s) > strlen("https://");
}

json_t *sbom_str(const char *s)
{
	/* Not UTF-8 (an image name is a path the user typed): a document
	 * with U+FFFD for the bad bytes beats one without the field. */
	return json_string_lossy(s);
}

void sbom_set_str(json_t *obj, const char *key, const char *v)
{
	if (v)
		json_object_set_new(obj, key, sbom_str(v));
}

const char *idset_take(struct idset *set, char *id)
{
	if (strmap_get(&set->map, id, NULL)) {
		free(id);
		return NULL;
	}
	strvec_take(&set->ids, id);
	strmap_put(&set->map, id, 0);
	return id;
}

void idset_release(struct idset *set)
{
	strmap_release(&set->map);
	strvec_clear(&set->ids);
}

void sbom_pkg_hash(const struct cat_pkg *p, char out[13])
{
	struct sha256 h;
	sha256_init(&h);
	const char *parts[] = { pkg_type_name(p->type), p->name, p->version, p->location };
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		const char *v = parts[i] ? parts[i] : "";
		sha256_update(&h, v, strlen(v) + 1);   /* with the NUL: "a" "bc" ≠ "ab" "c" */
	}
	char d[DIGEST_STR_MAX];
	sha256_final(&h, d);
	memcpy(out, digest_hex(d), 12);
	out[12] = '\0';
}

/* The purl when it is unique in the document; else the purl with a
 * package-id qualifier (as Syft does) from the package's identity, so that
 * two copies of one package in different places stay apart. */
static const char *package_ref(struct idset *ids, const struct cat_pkg *p)
{
	char hash[13];
	sbom_pkg_hash(p, hash);
	const char *ref = p->purl ? idset_take(ids, xstrdup(p->purl)) : NULL;
	if (ref)
		return ref;
	char *base = p->purl ? xasprintf("%s%cpackage-id=%s", p->purl,
					 strchr(p->purl, '?') ? '&' : '?', hash)
			     : xasprintf("quench:package:%s-%s", pkg_type_name(p->type), hash);
	ref = idset_take(ids, xstrdup(base));
	/* Same type, name, version and location twice: a broken database;
	 * still one ref each. */
	for (unsigned n = 2; !ref; n++)
		ref = idset_take(ids, xasprintf("%s-%u", base, n));
	free(base);
	return ref;
}

const char **sbom_pkg_refs(const struct catalog *c, struct idset *ids)
{
	const char **refs = xcalloc(c->n_pkgs + 1, sizeof(*refs));
	for (size_t i = 0; i < c->n_pkgs; i++)
		refs[i] = package_ref(ids, &c->pkgs[i]);
	return refs;
}

ssize_t sbom_location_owner(const struct catalog *c, size_t i)
{
	const struct cat_pkg *p = &c->pkgs[i];
	const struct cat_pkg *owner = p->location ? catalog_owner(c, p->location) : NULL;
	return owner && owner != p ? owner - c->pkgs : -1;
}
