/* os: which distribution the image is, for purl distro qualifiers and for
 * matching advisories.
 *
 * os-release(5) first: etc/os-release, else usr/lib/os-release (etc's is
 * usually a symlink to it, and the scanner keeps regular files only). What
 * os-release leaves out is filled from the older release files when they
 * name the same distribution (Debian testing has no VERSION_ID; its
 * debian_version "trixie/sid" gives the codename). The files are untrusted;
 * they are small and a bad line is simply not an assignment.
 */
#include "catalog_internal.h"

#include <ctype.h>

#define OS_RELEASE_ETC "etc/os-release"
#define OS_RELEASE_USR "usr/lib/os-release"
#define DEBIAN_VERSION "etc/debian_version"
#define ALPINE_RELEASE "etc/alpine-release"
#define REDHAT_RELEASE "etc/redhat-release"
#define LSB_RELEASE "etc/lsb-release"

/* A release file longer than this is no release file; the rest is ignored. */
#define OS_MAX_READ (64u << 10)

bool os_wants(const char *path)
{
	static const char *const names[] = { OS_RELEASE_ETC, OS_RELEASE_USR, DEBIAN_VERSION,
					     ALPINE_RELEASE, REDHAT_RELEASE, LSB_RELEASE };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(path, names[i]))
			return true;
	return false;
}

/* ---- shell-like assignments ----------------------------------------------- */

/* The value of an os-release assignment, unquoted as the shell would:
 * '…' literally, "…" with \ escaping only $ " \ `, bare words with \
 * escaping anything; unquoted blanks end the value (the shell would split
 * there) and a "#" there starts a comment. */
static void unquote(struct strbuf *out, const char *s, const char *end)
{
	char quote = 0;
	for (; s < end; s++) {
		char ch = *s;
		if (quote == '\'') {
			if (ch == '\'')
				quote = 0;
			else
				strbuf_addc(out, ch);
		} else if (quote == '"') {
			if (ch == '"')
				quote = 0;
			else if (ch == '\\' && s + 1 < end && strchr("$\"\\`", s[1]))
				strbuf_addc(out, *++s);
			else
				strbuf_addc(out, ch);
		} else if (ch == '\'' || ch == '"') {
			quote = ch;
		} else if (ch == '\\' && s + 1 < end) {
			strbuf_addc(out, *++s);
		} else if (ch == ' ' || ch == '\t') {
			break;
		} else {
			strbuf_addc(out, ch);
		}
	}
}

struct os_key {
	const char *key;
	char **slot;
};

/* Fill the slots whose keys a KEY=value file assigns (the last one wins,
 * as when the shell sources it). An empty value leaves a slot NULL. */
static void parse_assignments(const struct cat_blob *b, const struct os_key *keys, size_t n_keys)
{
	size_t len = b->len < OS_MAX_READ ? b->len : OS_MAX_READ;
	const char *s = b->data, *end = b->data + len;
	struct strbuf val = STRBUF_INIT;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		const char *eq = memchr(s, '=', (size_t)(e - s));
		for (size_t k = 0; eq && *s != '#' && k < n_keys; k++) {
			if ((size_t)(eq - s) != strlen(keys[k].key) ||
			    memcmp(s, keys[k].key, (size_t)(eq - s)))
				continue;
			strbuf_reset(&val);
			unquote(&val, eq + 1, e > eq + 1 && e[-1] == '\r' ? e - 1 : e);
			free(*keys[k].slot);
			*keys[k].slot = val.len ? cat_strndup(val.buf, val.len) : NULL;
		}
		s = nl ? nl + 1 : end;
	}
	strbuf_release(&val);
}

static void parse_os_release(struct os_info *os, const struct cat_blob *b)
{
	char *version = NULL, *ubuntu_codename = NULL;
	const struct os_key keys[] = {
		{ "ID", &os->id }, { "VERSION_ID", &os->version_id },
		{ "VERSION_CODENAME", &os->codename }, { "PRETTY_NAME", &os->pretty_name },
		{ "ID_LIKE", &os->id_like }, { "VERSION", &version },
		{ "UBUNTU_CODENAME", &ubuntu_codename },
	};
	parse_assignments(b, keys, ARRAY_SIZE(keys));
	/* Older releases name the codename only in VERSION="9 (stretch)". */
	if (!os->codename && ubuntu_codename)
		os->codename = steal_pointer(&ubuntu_codename);
	const char *open = version ? strchr(version, '(') : NULL;
	const char *close = open ? strchr(open, ')') : NULL;
	if (!os->codename && close && close > open + 1)
		os->codename = xstrndup(open + 1, (size_t)(close - open - 1));
	free(version);
	free(ubuntu_codename);
}

/* ---- older release files --------------------------------------------------- */

/* The first line of b, trimmed, as a safe string; NULL when empty. */
static char *first_line(const struct cat_blob *b)
{
	size_t len = b->len < OS_MAX_READ ? b->len : OS_MAX_READ;
	const char *s = b->data, *e = memchr(s, '\n', len);
	if (!e)
		e = s + len;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return e > s ? cat_strndup(s, (size_t)(e - s)) : NULL;
}

static char *lowercase(char *s)
{
	for (char *p = s; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* "12.5" → version 12 (os-release's VERSION_ID is the major release);
 * "bookworm/sid" → codename bookworm (testing and unstable). */
static void parse_debian_version(struct os_info *os, const struct cat_blob *b)
{
	cleanup_free char *line = first_line(b);
	os->id = xstrdup("debian");
	if (!line)
		return;
	if (isdigit((unsigned char)line[0])) {
		os->version_id = xstrndup(line, strcspn(line, "."));
		return;
	}
	os->codename = xstrndup(line, strcspn(line, "/"));
}

static void parse_alpine_release(struct os_info *os, const struct cat_blob *b)
{
	os->id = xstrdup("alpine");
	os->version_id = first_line(b);
}

/* "Rocky Linux release 8.9 (Green Obsidian)": the name decides the id as
 * os-release would spell it, the word after "release" the version. */
static void parse_redhat_release(struct os_info *os, const struct cat_blob *b)
{
	static const struct {
		const char *prefix, *id;
		bool major_only;   /* CentOS's os-release says "7", not "7.9.2009" */
	} names[] = {
		{ "Red Hat", "rhel", false }, { "CentOS", "centos", true },
		{ "Fedora", "fedora", false }, { "Rocky", "rocky", false },
		{ "AlmaLinux", "almalinux", false }, { "Oracle", "ol", false },
		{ "Amazon", "amzn", false },
	};
	cleanup_free char *line = first_line(b);
	if (!line)
		return;
	os->pretty_name = xstrdup(line);
	bool major_only = false;
	for (size_t i = 0; i < ARRAY_SIZE(names) && !os->id; i++)
		if (str_starts_with(line, names[i].prefix)) {
			os->id = xstrdup(names[i].id);
			major_only = names[i].major_only;
		}
	if (!os->id)
		os->id = lowercase(xstrndup(line, strcspn(line, " ")));
	const char *rel = strstr(line, " release ");
	if (rel) {
		rel += strlen(" release ");
		os->version_id = xstrndup(rel, strcspn(rel, major_only ? ". (" : " ("));
	}
	const char *open = strchr(line, '('), *close = open ? strchr(open, ')') : NULL;
	if (close && close > open + 1)
		os->codename = xstrndup(open + 1, (size_t)(close - open - 1));
}

static void parse_lsb_release(struct os_info *os, const struct cat_blob *b)
{
	const struct os_key keys[] = {
		{ "DISTRIB_ID", &os->id }, { "DISTRIB_RELEASE", &os->version_id },
		{ "DISTRIB_CODENAME", &os->codename }, { "DISTRIB_DESCRIPTION", &os->pretty_name },
	};
	parse_assignments(b, keys, ARRAY_SIZE(keys));
	lowercase(os->id);
}

static void os_release_free(struct os_info *os)
{
	free(os->id);
	free(os->version_id);
	free(os->codename);
	free(os->pretty_name);
	free(os->id_like);
	memset(os, 0, sizeof(*os));
}

static void fill_missing(char **slot, char **from)
{
	if (!*slot)
		*slot = steal_pointer(from);
}

/* Fill what os left out from a fallback, when the fallback is about the
 * same distribution (Ubuntu's debian_version names Debian's testing). */
static void merge_fallback(struct os_info *os, struct os_info *fb)
{
	if (!fb->id || (os->id && strcmp(os->id, fb->id)))
		return;
	fill_missing(&os->id, &fb->id);
	fill_missing(&os->version_id, &fb->version_id);
	fill_missing(&os->codename, &fb->codename);
	fill_missing(&os->pretty_name, &fb->pretty_name);
}

void os_collect(struct catalog *c, const struct cat_input *in)
{
	static const struct {
		const char *path;
		void (*parse)(struct os_info *, const struct cat_blob *);
	} fallbacks[] = {
		/* The most specific first: Ubuntu has both lsb-release and debian_version. */
		{ LSB_RELEASE, parse_lsb_release },
		{ REDHAT_RELEASE, parse_redhat_release },
		{ ALPINE_RELEASE, parse_alpine_release },
		{ DEBIAN_VERSION, parse_debian_version },
	};
	struct os_info *os = &c->os;
	const struct cat_blob *b = cat_input_get(in, OS_RELEASE_ETC);
	if (!b)
		b = cat_input_get(in, OS_RELEASE_USR);
	if (b)
		parse_os_release(os, b);
	for (size_t i = 0; i < ARRAY_SIZE(fallbacks); i++) {
		const struct cat_blob *fb_blob = cat_input_get(in, fallbacks[i].path);
		if (!fb_blob)
			continue;
		struct os_info fb = { 0 };
		fallbacks[i].parse(&fb, fb_blob);
		merge_fallback(os, &fb);
		os_release_free(&fb);
	}
}
