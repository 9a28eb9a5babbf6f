/* Image references in skopeo's transport syntax:
 *
 *   oci:DIR[:TAG]  oci:DIR@DIGEST     an OCI image layout directory
 *   oci-archive:FILE[:TAG|@DIGEST]    the same, in a tar file
 *   docker-archive:FILE[:REPO:TAG]    `docker save` output (or :@INDEX)
 *   rootfs:DIR|FILE.tar               a root filesystem, imported on the fly
 *   docker://NAME[:TAG][@DIGEST]      a registry; also written bare
 *
 * A bare string is always a registry reference, even when a file of that
 * name exists: guessing would make the meaning of a command depend on the
 * current directory. Registry names are normalized the way Docker does
 * ("python" → "docker.io/library/python:latest").
 *
 * image_ref_format() writes a reference that image_ref_parse() reads back
 * to the same fields; the only escape the syntax needs is a trailing ':'
 * ("oci:a:b:" is the directory "a:b" with no tag). */
#include "image/image.h"

#include <ctype.h>
#include <limits.h>

#define REF_MAX 8192
#define REF_NAME_MAX 255     /* Docker's NameTotalLengthMax */
#define REF_TAG_MAX 128
#define DOCKER_HUB "docker.io"

static const char local_hint[] =
	" (a local image needs a transport: oci:, oci-archive:, docker-archive: or rootfs:)";

/* ---- lexical pieces ------------------------------------------------------ */

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_word(char c)
{
	return isascii((unsigned char)c) && (isalnum((unsigned char)c) || c == '_');
}

/* [A-Za-z0-9_][A-Za-z0-9._-]{0,127} */
static bool tag_valid(const char *s, size_t len)
{
	if (len == 0 || len > REF_TAG_MAX || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* A repository path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool component_valid(const char *s, size_t len)
{
	size_t i = 0;
	for (;;) {
		size_t start = i;
		while (i < len && is_lower_alnum(s[i]))
			i++;
		if (i == start)
			return false;
		if (i == len)
			return true;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < len && s[i] == '-')
				i++;
		else
			return false;
	}
}

/* [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9] */
static bool label_valid(const char *s, size_t len)
{
	if (len == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isascii((unsigned char)s[i]) || (!isalnum((unsigned char)s[i]) && s[i] != '-'))
			return false;
	return true;
}

static bool port_valid(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* host[:port], where host is dotted labels or a bracketed IPv6 address. */
static bool domain_valid(const char *s, size_t len)
{
	size_t host_len = len;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close || close == s + 1)
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':')
				return false;
		host_len = (size_t)(close - s) + 1;
	} else {
		const char *colon = memchr(s, ':', len);
		if (colon)
			host_len = (size_t)(colon - s);
		for (size_t i = 0, start = 0; i <= host_len; i++)
			if (i == host_len || s[i] == '.') {
				if (!label_valid(s + start, i - start))
					return false;
				start = i + 1;
			}
	}
	if (host_len == len)
		return true;
	return s[host_len] == ':' && port_valid(s + host_len + 1, len - host_len - 1);
}

/* Docker's rule for "is the first component a registry host?": it has a
 * dot or a port, is "localhost", or has upper case (which a repository
 * can't). */
static bool looks_like_domain(const char *s, size_t len)
{
	if (memchr(s, '.', len) || memchr(s, ':', len) || s[0] == '[')
		return true;
	if (len == 9 && !memcmp(s, "localhost", 9))
		return true;
	for (size_t i = 0; i < len; i++)
		if (isupper((unsigned char)s[i]))
			return true;
	return false;
}

/* ---- registry references ----------------------------------------------- */

/* Validate and normalize NAME (no tag, no digest) into "domain/path". */
static int normalize_name(const char *name, size_t len, char **out, const char **why)
{
	const char *slash = memchr(name, '/', len);
	const char *domain = DOCKER_HUB, *rest = name;
	size_t dlen = strlen(DOCKER_HUB), rlen = len;
	if (slash && looks_like_domain(name, (size_t)(slash - name))) {
		domain = name;
		dlen = (size_t)(slash - name);
		rest = slash + 1;
		rlen = len - dlen - 1;
		if (!domain_valid(domain, dlen))
			return *why = "invalid registry host", -1;
	}
	if (dlen == 15 && !memcmp(domain, "index.docker.io", 15))
		domain = DOCKER_HUB, dlen = strlen(DOCKER_HUB);
	for (size_t i = 0; i < rlen; i++)
		if (isupper((unsigned char)rest[i]))
			return *why = "repository name must be lowercase", -1;
	for (size_t i = 0, start = 0; i <= rlen; i++)
		if (i == rlen || rest[i] == '/') {
			if (!component_valid(rest + start, i - start))
				return *why = "invalid repository name", -1;
			start = i + 1;
		}
	bool library = dlen == strlen(DOCKER_HUB) && !memcmp(domain, DOCKER_HUB, dlen) &&
		       !memchr(rest, '/', rlen);
	*out = xasprintf("%.*s/%s%.*s", (int)dlen, domain, library ? "library/" : "",
			 (int)rlen, rest);
	if (strlen(*out) > REF_NAME_MAX) {
		free(steal_pointer(out));
		return *why = "repository name is longer than 255 characters", -1;
	}
	return 0;
}

/* NAME[:TAG][@DIGEST] into ref->name, ref->tag, ref->digest (no default
 * tag here). `what` names the reference in errors. */
static int parse_docker_ref(const char *s, struct image_ref *ref, const char *what,
			    const char *hint, struct qerr *err)
{
	const char *why = NULL;
	const char *at = strchr(s, '@');
	size_t len = at ? (size_t)(at - s) : strlen(s);
	if (at && !digest_valid(at + 1))
		return q_error(err, 0, "%s: '%s' is not a valid digest%s", what, at + 1, hint);
	const char *colon = memrchr(s, ':', len), *slash = memrchr(s, '/', len);
	size_t name_len = len;
	if (colon && (!slash || colon > slash)) {
		name_len = (size_t)(colon - s);
		if (!tag_valid(colon + 1, len - name_len - 1))
			return q_error(err, 0, "%s: invalid tag '%.*s'%s", what,
				       (int)(len - name_len - 1), colon + 1, hint);
	}
	if (name_len == 0)
		return q_error(err, 0, "%s: no repository name%s", what, hint);
	if (name_len == 64 && strspn(s, "0123456789abcdef") >= 64)
		return q_error(err, 0, "%s: a 64-hex-digit image ID is not a repository name%s",
			       what, hint);
	if (normalize_name(s, name_len, &ref->name, &why) < 0)
		return q_error(err, 0, "%s: %s%s", what, why, hint);
	if (name_len < len)
		ref->tag = xstrndup(colon + 1, len - name_len - 1);
	if (at)
		ref->digest = xstrdup(at + 1);
	return 0;
}

static int parse_registry(const char *s, bool bare, struct image_ref *ref, struct qerr *err)
{
	ref->transport = TRANSPORT_REGISTRY;
	if (!*s)
		return q_error(err, 0, "'docker://' needs an image name");
	cleanup_free char *what = bare ? xasprintf("registry reference '%s'", s)
				       : xasprintf("'docker://%s'", s);
	if (parse_docker_ref(s, ref, what, bare ? local_hint : "", err) < 0)
		return -1;
	if (!ref->tag && !ref->digest)
		ref->tag = xstrdup("latest");
	return 0;
}

/* ---- local transports ---------------------------------------------------- */

static int check_path(size_t len, const char *tname, const char *needs,
		      struct qerr *err)
{
	if (len == 0)
		return q_error(err, 0, "'%s:' needs %s", tname, needs);
	if (len >= PATH_MAX)
		return q_error(err, 0, "'%s:' path is longer than %d bytes", tname, PATH_MAX - 1);
	return 0;
}

/* DIR[:TAG|@DIGEST]. The directory may itself hold ':' and '@', so the
 * reference is split off at the end: "@sha256:…" must be a valid digest,
 * ":X" is a tag only when X is a well-formed tag ("oci:./a:b/c" is the
 * directory "./a:b/c"). A trailing ':' ends the path explicitly (no tag),
 * which is how a path holding ':' or '@sha256:' is written. */
static int parse_oci(const char *s, const char *tname, const char *needs,
		     struct image_ref *ref, struct qerr *err)
{
	size_t len = strlen(s), path_len = len;
	const char *at = strrchr(s, '@'), *colon = strrchr(s, ':');
	if (len && s[len - 1] == ':') {
		path_len = len - 1;
	} else if (at && (str_starts_with(at + 1, "sha256:") ||
			  str_starts_with(at + 1, "sha512:"))) {
		/* Meant as a digest: a typo in it must not quietly become
		 * part of the path. */
		if (!digest_valid(at + 1))
			return q_error(err, 0, "'%s:' '%s' is not a valid digest", tname, at + 1);
		path_len = (size_t)(at - s);
		ref->digest = xstrdup(at + 1);
	} else if (colon && tag_valid(colon + 1, strlen(colon + 1))) {
		path_len = (size_t)(colon - s);
		ref->tag = xstrdup(colon + 1);
	}
	if (check_path(path_len, tname, needs, err) < 0)
		return -1;
	ref->path = xstrndup(s, path_len);
	return 0;
}

/* FILE[:REF]: the file ends at the first ':' (skopeo's rule; a docker
 * reference has colons of its own). REF is "repo:tag" as in the archive's
 * RepoTags, or "@N" for the N-th image; kept verbatim for matching. */
static int parse_docker_archive(const char *s, struct image_ref *ref, struct qerr *err)
{
	const char *colon = strchr(s, ':');
	size_t path_len = colon ? (size_t)(colon - s) : strlen(s);
	if (check_path(path_len, "docker-archive", "a file", err) < 0)
		return -1;
	if (colon) {
		const char *r = colon + 1;
		uint64_t idx;
		if (!*r)
			return q_error(err, 0, "'docker-archive:' empty image reference after the "
					       "file name");
		if (r[0] == '@') {
			if (parse_u64(r + 1, UINT32_MAX, &idx) < 0)
				return q_error(err, 0, "'docker-archive:' '%s' is not an image index "
						       "(@0, @1, …)", r);
		} else {
			struct image_ref tmp = IMAGE_REF_INIT;
			cleanup_free char *what = xasprintf("'docker-archive:' reference '%s'", r);
			int rc = parse_docker_ref(r, &tmp, what, "", err);
			bool digested = tmp.digest != NULL;
			image_ref_release(&tmp);
			if (rc < 0)
				return -1;
			if (digested)
				return q_error(err, 0, "%s: a digest can't name an image in an "
						       "archive", what);
		}
		ref->tag = xstrdup(r);
	}
	ref->path = xstrndup(s, path_len);
	return 0;
}

/* ---- the public face ------------------------------------------------------ */

static int parse_with_transport(const char *s, struct image_ref *ref, struct qerr *err)
{
	const char *colon = strchr(s, ':');
	size_t plen = colon ? (size_t)(colon - s) : 0;
	const char *rest = colon ? colon + 1 : NULL;
#define IS(name) (plen == sizeof(name) - 1 && !memcmp(s, name, plen))
	if (colon && IS("oci")) {
		ref->transport = TRANSPORT_OCI;
		return parse_oci(rest, "oci", "a directory", ref, err);
	}
	if (colon && IS("oci-archive")) {
		ref->transport = TRANSPORT_OCI_ARCHIVE;
		return parse_oci(rest, "oci-archive", "a file", ref, err);
	}
	if (colon && IS("docker-archive")) {
		ref->transport = TRANSPORT_DOCKER_ARCHIVE;
		return parse_docker_archive(rest, ref, err);
	}
	if (colon && IS("rootfs")) {
		ref->transport = TRANSPORT_ROOTFS;
		if (check_path(strlen(rest), "rootfs", "a directory or a tar file", err) < 0)
			return -1;
		ref->path = xstrdup(rest);
		return 0;
	}
	if (colon && IS("docker")) {
		if (str_starts_with(rest, "//"))
			return parse_registry(rest + 2, false, ref, err);
		/* "docker:24" is the image named docker; anything else was
		 * meant as the transport. */
		if (!tag_valid(rest, strlen(rest)))
			return q_error(err, 0, "'docker:' needs '//' before the image name "
					       "(docker://NAME[:TAG])");
	}
#undef IS
	return parse_registry(s, true, ref, err);
}

int image_ref_parse(const char *s, struct image_ref *ref, struct qerr *err)
{
	*ref = (struct image_ref)IMAGE_REF_INIT;
	if (!s || !*s)
		return q_error(err, 0, "empty image reference");
	if (strlen(s) > REF_MAX)
		return q_error(err, 0, "image reference is longer than %d bytes", REF_MAX);
	if (parse_with_transport(s, ref, err) < 0) {
		image_ref_release(ref);
		return -1;
	}
	return 0;
}

void image_ref_release(struct image_ref *ref)
{
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	free(ref->name);
	*ref = (struct image_ref)IMAGE_REF_INIT;
}

/* oci: a path with a ':' and nothing after it would be misread as DIR:TAG
 * (or DIR@DIGEST); the trailing ':' says "no tag". */
static char *format_oci(const char *tname, const struct image_ref *ref)
{
	const char *path = ref->path ? ref->path : "";
	if (ref->digest)
		return xasprintf("%s:%s@%s", tname, path, ref->digest);
	if (ref->tag)
		return xasprintf("%s:%s:%s", tname, path, ref->tag);
	return xasprintf("%s:%s%s", tname, path, strchr(path, ':') ? ":" : "");
}

char *image_ref_format(const struct image_ref *ref)
{
	const char *path = ref->path ? ref->path : "";
	switch (ref->transport) {
	case TRANSPORT_OCI:
	case TRANSPORT_OCI_ARCHIVE:
		return format_oci(transport_name(ref->transport), ref);
	case TRANSPORT_DOCKER_ARCHIVE:
		return ref->tag ? xasprintf("docker-archive:%s:%s", path, ref->tag)
				: xasprintf("docker-archive:%s", path);
	case TRANSPORT_ROOTFS:
		return xasprintf("rootfs:%s", path);
	case TRANSPORT_REGISTRY:
		return xasprintf("docker://%s%s%s%s%s", ref->name ? ref->name : "",
				 ref->tag ? ":" : "", ref->tag ? ref->tag : "",
				 ref->digest ? "@" : "", ref->digest ? ref->digest : "");
	}
	BUG("image_ref_format: unknown transport");
}

const char *transport_name(enum transport t)
{
	switch (t) {
	case TRANSPORT_OCI: return "oci";
	case TRANSPORT_OCI_ARCHIVE: return "oci-archive";
	case TRANSPORT_DOCKER_ARCHIVE: return "docker-archive";
	case TRANSPORT_ROOTFS: return "rootfs";
	case TRANSPORT_REGISTRY: return "docker";
	}
	return "unknown";
}
