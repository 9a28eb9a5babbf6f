/* python: installed distributions, wherever they are in the image
 * (site-packages, dist-packages, virtual environments, conda prefixes).
 *
 * - wheels (PEP 627, core metadata): NAME-VER.dist-info/METADATA and RECORD,
 *   a CSV "path,hash,size" whose paths are relative to the directory that
 *   holds the .dist-info (scripts appear as "../../../bin/x");
 * - setuptools eggs: NAME.egg-info/PKG-INFO, installed-files.txt (paths
 *   relative to the .egg-info directory) and requires.txt;
 * - old distutils: a NAME-VER.egg-info FILE that is itself the PKG-INFO.
 *
 * METADATA and PKG-INFO are RFC 822 headers followed by a blank line and the
 * description, which can be huge: only the headers are read. Everything is
 * untrusted: bad lines become warnings naming the file.
 */
#include "catalog_internal.h"

#include <strings.h>

#define DIST_INFO ".dist-info"
#define EGG_INFO ".egg-info"
/* A License: longer than this (or on several lines) is prose, not a name. */
#define LICENSE_NAME_MAX 80
/* Raw license text is kept to its first line and at most this many bytes. */
#define LICENSE_RAW_MAX 200
/* No file system we unpack to takes longer paths; a longer one is hostile. */
#define PY_PATH_MAX 4096
/* Per file, so that one hostile RECORD cannot use up the catalog's warnings. */
#define MAX_BAD_LINES 10

enum py_kind {
	PY_NONE,
	PY_DIST_METADATA,    /* x.dist-info/METADATA */
	PY_DIST_RECORD,      /* x.dist-info/RECORD */
	PY_EGG_PKGINFO,      /* x.egg-info/PKG-INFO */
	PY_EGG_FILES,        /* x.egg-info/installed-files.txt */
	PY_EGG_REQUIRES,     /* x.egg-info/requires.txt */
	PY_EGG_FILE,         /* x.egg-info, a file */
};

static bool dir_ends_with(const char *path, size_t dirlen, const char *suffix)
{
	size_t n = strlen(suffix);
	return dirlen > n && !memcmp(path + dirlen - n, suffix, n);
}

/* What path is to us, from the path alone; *dirlen is the length of its
 * directory. Called for every path of every layer: no allocation. */
static enum py_kind py_classify(const char *path, size_t *dirlen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	*dirlen = slash ? (size_t)(slash - path) : 0;
	switch (base[0]) {
	case 'M':
		if (!strcmp(base, "METADATA") && dir_ends_with(path, *dirlen, DIST_INFO))
			return PY_DIST_METADATA;
		break;
	case 'R':
		if (!strcmp(base, "RECORD") && dir_ends_with(path, *dirlen, DIST_INFO))
			return PY_DIST_RECORD;
		break;
	case 'P':
		if (!strcmp(base, "PKG-INFO") && dir_ends_with(path, *dirlen, EGG_INFO))
			return PY_EGG_PKGINFO;
		break;
	case 'i':
		if (!strcmp(base, "installed-files.txt") && dir_ends_with(path, *dirlen, EGG_INFO))
			return PY_EGG_FILES;
		break;
	case 'r':
		if (!strcmp(base, "requires.txt") && dir_ends_with(path, *dirlen, EGG_INFO))
			return PY_EGG_REQUIRES;
		break;
	default:
		break;
	}
	size_t n = strlen(base);
	if (n > strlen(EGG_INFO) && str_ends_with(base, EGG_INFO))
		return PY_EGG_FILE;
	return PY_NONE;
}

bool python_wants(const char *path)
{
	size_t dirlen;
	return py_classify(path, &dirlen) != PY_NONE;
}

/* ---- lines ----------------------------------------------------------------- */

/* Walks a blob line by line; the partial last line of a truncated blob is
 * never returned. */
struct lines {
	const char *s, *end;
	bool truncated;
	size_t no;          /* number of the line last returned */
};

static bool next_line(struct lines *l, const char **line, size_t *len)
{
	if (l->s >= l->end)
		return false;
	const char *nl = memchr(l->s, '\n', (size_t)(l->end - l->s));
	if (!nl && l->truncated)
		return false;
	const char *e = nl ? nl : l->end;
	*line = l->s;
	*len = (size_t)(e - l->s);
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	l->s = nl ? nl + 1 : l->end;
	l->no++;
	return true;
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Counts a file's bad lines; warns of the first few and, at the end, of
 * how many more there were. */
struct bad_lines {
	struct catalog *c;
	const char *path;
	size_t n;
};

static void bad_line(struct bad_lines *b, size_t line, const char *why)
{
	if (b->n++ < MAX_BAD_LINES)
		cat_warn(b->c, b->path, "line %zu: %s", line, why);
}

static void bad_lines_done(struct bad_lines *b)
{
	if (b->n > MAX_BAD_LINES)
		cat_warn(b->c, b->path, "%zu more bad lines", b->n - MAX_BAD_LINES);
}

/* ---- licenses ---------------------------------------------------------------- */

/* License names as METADATA spells them (License: or the tail of a
 * "License :: OSI Approved :: …" classifier) → SPDX ids. Ambiguous ones
 * ("GPL", "LGPL" without a version, "Artistic License") are left out: a raw
 * name is better than a wrong id. "BSD" is read as BSD-3-Clause, the
 * reading of most scanners. */
static const struct {
	const char *name, *spdx;
} license_names[] = {
	{ "MIT", "MIT" }, { "MIT License", "MIT" }, { "The MIT License", "MIT" },
	{ "MIT licence", "MIT" }, { "Expat", "MIT" }, { "MIT-0", "MIT-0" },
	{ "MIT No Attribution License (MIT-0)", "MIT-0" },
	{ "BSD", "BSD-3-Clause" }, { "BSD License", "BSD-3-Clause" },
	{ "BSD-3-Clause", "BSD-3-Clause" }, { "BSD 3-Clause", "BSD-3-Clause" },
	{ "BSD 3-Clause License", "BSD-3-Clause" }, { "3-Clause BSD", "BSD-3-Clause" },
	{ "3-Clause BSD License", "BSD-3-Clause" }, { "BSD-3", "BSD-3-Clause" },
	{ "New BSD", "BSD-3-Clause" }, { "New BSD License", "BSD-3-Clause" },
	{ "Modified BSD", "BSD-3-Clause" }, { "Modified BSD License", "BSD-3-Clause" },
	{ "BSD-2-Clause", "BSD-2-Clause" }, { "BSD 2-Clause", "BSD-2-Clause" },
	{ "BSD 2-Clause License", "BSD-2-Clause" }, { "2-Clause BSD", "BSD-2-Clause" },
	{ "Simplified BSD", "BSD-2-Clause" }, { "Simplified BSD License", "BSD-2-Clause" },
	{ "FreeBSD", "BSD-2-Clause" }, { "0BSD", "0BSD" },
	{ "Apache", "Apache-2.0" }, { "Apache 2", "Apache-2.0" }, { "Apache 2.0", "Apache-2.0" },
	{ "Apache-2", "Apache-2.0" }, { "Apache-2.0", "Apache-2.0" }, { "Apache2", "Apache-2.0" },
	{ "Apache v2", "Apache-2.0" }, { "Apache 2.0 License", "Apache-2.0" },
	{ "Apache License", "Apache-2.0" }, { "Apache License 2.0", "Apache-2.0" },
	{ "Apache License, Version 2.0", "Apache-2.0" },
	{ "Apache License Version 2.0", "Apache-2.0" }, { "Apache License v2.0", "Apache-2.0" },
	{ "Apache License (2.0)", "Apache-2.0" }, { "Apache Software License", "Apache-2.0" },
	{ "Apache Software License 2.0", "Apache-2.0" }, { "ASL 2.0", "Apache-2.0" },
	{ "PSF", "PSF-2.0" }, { "PSFL", "PSF-2.0" }, { "PSF License", "PSF-2.0" },
	{ "PSF-2.0", "PSF-2.0" }, { "Python Software Foundation License", "PSF-2.0" },
	{ "Python License (CNRI Python License)", "CNRI-Python" },
	{ "ISC", "ISC" }, { "ISC License", "ISC" }, { "ISCL", "ISC" },
	{ "ISC License (ISCL)", "ISC" },
	{ "MPL-2.0", "MPL-2.0" }, { "MPL 2.0", "MPL-2.0" }, { "MPLv2", "MPL-2.0" },
	{ "Mozilla Public License 2.0", "MPL-2.0" },
	{ "Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0" },
	{ "Mozilla Public License 1.1 (MPL 1.1)", "MPL-1.1" },
	{ "GPLv2", "GPL-2.0-only" }, { "GPL v2", "GPL-2.0-only" }, { "GPL-2.0", "GPL-2.0-only" },
	{ "GPL-2.0-only", "GPL-2.0-only" }, { "GPLv2+", "GPL-2.0-or-later" },
	{ "GPL-2.0+", "GPL-2.0-or-later" }, { "GPL-2.0-or-later", "GPL-2.0-or-later" },
	{ "GNU General Public License v2 (GPLv2)", "GPL-2.0-only" },
	{ "GNU General Public License v2 or later (GPLv2+)", "GPL-2.0-or-later" },
	{ "GPLv3", "GPL-3.0-only" }, { "GPL v3", "GPL-3.0-only" }, { "GPL-3.0", "GPL-3.0-only" },
	{ "GPL-3.0-only", "GPL-3.0-only" }, { "GPLv3+", "GPL-3.0-or-later" },
	{ "GPL-3.0+", "GPL-3.0-or-later" }, { "GPL-3.0-or-later", "GPL-3.0-or-later" },
	{ "GNU General Public License v3 (GPLv3)", "GPL-3.0-only" },
	{ "GNU General Public License v3 or later (GPLv3+)", "GPL-3.0-or-later" },
	{ "LGPLv2", "LGPL-2.0-only" }, { "LGPLv2+", "LGPL-2.0-or-later" },
	{ "GNU Lesser General Public License v2 (LGPLv2)", "LGPL-2.0-only" },
	{ "GNU Lesser General Public License v2 or later (LGPLv2+)", "LGPL-2.0-or-later" },
	{ "LGPLv2.1", "LGPL-2.1-only" }, { "LGPL-2.1", "LGPL-2.1-only" },
	{ "LGPL v2.1", "LGPL-2.1-only" }, { "LGPL-2.1-only", "LGPL-2.1-only" },
	{ "LGPLv2.1+", "LGPL-2.1-or-later" }, { "LGPL-2.1+", "LGPL-2.1-or-later" },
	{ "LGPL-2.1-or-later", "LGPL-2.1-or-later" },
	{ "LGPLv3", "LGPL-3.0-only" }, { "LGPL v3", "LGPL-3.0-only" },
	{ "LGPL-3.0", "LGPL-3.0-only" }, { "LGPL-3.0-only", "LGPL-3.0-only" },
	{ "LGPLv3+", "LGPL-3.0-or-later" }, { "LGPL-3.0+", "LGPL-3.0-or-later" },
	{ "LGPL-3.0-or-later", "LGPL-3.0-or-later" },
	{ "GNU Lesser General Public License v3 (LGPLv3)", "LGPL-3.0-only" },
	{ "GNU Lesser General Public License v3 or later (LGPLv3+)", "LGPL-3.0-or-later" },
	{ "AGPLv3", "AGPL-3.0-only" }, { "AGPL-3.0", "AGPL-3.0-only" },
	{ "AGPL-3.0-only", "AGPL-3.0-only" }, { "AGPLv3+", "AGPL-3.0-or-later" },
	{ "AGPL-3.0-or-later", "AGPL-3.0-or-later" },
	{ "GNU Affero General Public License v3", "AGPL-3.0-only" },
	{ "GNU Affero General Public License v3 or later (AGPLv3+)", "AGPL-3.0-or-later" },
	{ "EPL-1.0", "EPL-1.0" }, { "EPL-2.0", "EPL-2.0" },
	{ "Eclipse Public License 1.0 (EPL-1.0)", "EPL-1.0" },
	{ "Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0" },
	{ "EUPL-1.2", "EUPL-1.2" }, { "European Union Public Licence 1.2 (EUPL 1.2)", "EUPL-1.2" },
	{ "BSL-1.0", "BSL-1.0" }, { "Boost Software License 1.0 (BSL-1.0)", "BSL-1.0" },
	{ "Boost Software License", "BSL-1.0" },
	{ "Unlicense", "Unlicense" }, { "The Unlicense", "Unlicense" },
	{ "The Unlicense (Unlicense)", "Unlicense" },
	{ "CC0", "CC0-1.0" }, { "CC0-1.0", "CC0-1.0" }, { "CC0 1.0", "CC0-1.0" },
	{ "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0" },
	{ "Zlib", "Zlib" }, { "zlib/libpng License", "Zlib" }, { "HPND", "HPND" },
	{ "Historical Permission Notice and Disclaimer (HPND)", "HPND" },
	{ "Universal Permissive License (UPL)", "UPL-1.0" }, { "UPL-1.0", "UPL-1.0" },
	{ "PostgreSQL License", "PostgreSQL" }, { "WTFPL", "WTFPL" },
	{ "Artistic-2.0", "Artistic-2.0" }, { "Python-2.0", "Python-2.0" },
};

static const char *spdx_for(const char *name, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(license_names); i++)
		if (strlen(license_names[i].name) == n &&
		    !strncasecmp(license_names[i].name, name, n))
			return license_names[i].spdx;
	return NULL;
}

/* ---- requirements ------------------------------------------------------------ */

static bool is_name_end(char ch)
{
	switch (ch) {
	case '\0': case ' ': case '\t': case ';': case '[': case '(': case '<': case '>':
	case '=': case '!': case '~': case '@': case ',':
		return true;
	default:
		return false;
	}
}

static bool is_ident(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.';
}

/* Does a PEP 508 marker test `extra` (outside quoted strings)? Such a
 * requirement is only installed with an optional extra. */
static bool marker_has_extra(const char *m, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (m[i] == '\'' || m[i] == '"') {
			const char *q = memchr(m + i + 1, m[i], n - i - 1);
			i = q ? (size_t)(q - m) + 1 : n;
		} else if (is_ident(m[i])) {
			size_t start = i;
			while (i < n && is_ident(m[i]))
				i++;
			if (i - start == 5 && !memcmp(m + start, "extra", 5))
				return true;
		} else {
			i++;
		}
	}
	return false;
}

/* The distribution name of a PEP 508 requirement ("attrs>=17.4.0",
 * "idna ; extra == 'format'", "foo[bar] (>=1)"), skipping optional ones. */
static void add_requirement(struct strvec *deps, const char *v, size_t n)
{
	trim(&v, &n);
	size_t k = 0;
	while (k < n && !is_name_end(v[k]))
		k++;
	if (!k)
		return;
	const char *semi = memchr(v + k, ';', n - k);
	if (semi && marker_has_extra(semi + 1, (size_t)(v + n - semi - 1)))
		return;
	char *name = cat_strndup(v, k);
	if (*name)
		strvec_take(deps, name);
	else
		free(name);
}

/* Sorted, each name once (hostile files may repeat one a million times). */
static void sort_unique(struct strvec *sv)
{
	strvec_sort(sv);
	size_t u = 0;
	for (size_t i = 0; i < sv->n; i++) {
		if (u && !strcmp(sv->v[u - 1], sv->v[i]))
			free(sv->v[i]);
		else
			sv->v[u++] = sv->v[i];
	}
	sv->n = u;
	if (sv->v)
		sv->v[u] = NULL;
}

/* ---- METADATA / PKG-INFO --------------------------------------------------- */

struct pymeta {
	char *name, *version, *license, *license_expr;
	char *author, *author_email, *maintainer, *maintainer_email;
	char *home_page, *project_home;
	bool license_prose;            /* License: is text on several lines, or long */
	struct strvec classifier_ids;  /* SPDX ids of license classifiers, each once */
	char *classifier_raw;          /* the first license classifier with no id */
	struct strvec depends;
};

static void pymeta_release(struct pymeta *m)
{
	free(m->name);
	free(m->version);
	free(m->license);
	free(m->license_expr);
	free(m->author);
	free(m->author_email);
	free(m->maintainer);
	free(m->maintainer_email);
	free(m->home_page);
	free(m->project_home);
	strvec_clear(&m->classifier_ids);
	free(m->classifier_raw);
	strvec_clear(&m->depends);
}

/* Fields that hold one value keep the first; setuptools writes "UNKNOWN"
 * for fields it was not given. */
static void set_once(char **slot, const char *v, size_t n)
{
	if (*slot || !n || (n == 7 && !memcmp(v, "UNKNOWN", 7)))
		return;
	*slot = cat_strndup(v, n);
	if (!**slot)   /* only NULs or control characters */
		free(steal_pointer(slot));
}

static void add_classifier(struct pymeta *m, const char *v, size_t n)
{
	static const char lic[] = "License ::", osi[] = "OSI Approved";
	if (n < sizeof(lic) - 1 || memcmp(v, lic, sizeof(lic) - 1))
		return;
	v += sizeof(lic) - 1, n -= sizeof(lic) - 1;
	trim(&v, &n);
	if (n >= sizeof(osi) - 1 && !memcmp(v, osi, sizeof(osi) - 1)) {
		v += sizeof(osi) - 1, n -= sizeof(osi) - 1;
		trim(&v, &n);
		if (n >= 2 && !memcmp(v, "::", 2))
			v += 2, n -= 2;
		trim(&v, &n);
		if (!n)
			return;   /* "License :: OSI Approved" alone names nothing */
	}
	const char *id = spdx_for(v, n);
	if (!id) {
		set_once(&m->classifier_raw, v, n);
		return;
	}
	for (size_t i = 0; i < m->classifier_ids.n; i++)
		if (!strcmp(m->classifier_ids.v[i], id))
			return;
	strvec_push(&m->classifier_ids, id);
}

/* "Homepage, https://…": the project URL labelled as the home page. */
static void add_project_url(struct pymeta *m, const char *v, size_t n)
{
	const char *comma = memchr(v, ',', n);
	if (!comma || m->project_home)
		return;
	const char *label = v, *url = comma + 1;
	size_t ln = (size_t)(comma - v), un = (size_t)(v + n - url);
	trim(&label, &ln);
	trim(&url, &un);
	if ((ln == 8 && !strncasecmp(label, "homepage", 8)) ||
	    (ln == 9 && !strncasecmp(label, "home-page", 9)) ||
	    (ln == 9 && !strncasecmp(label, "home page", 9)) ||
	    (ln == 4 && !strncasecmp(label, "home", 4)))
		set_once(&m->project_home, url, un);
}

static bool key_is(const char *k, size_t kn, const char *name)
{
	return strlen(name) == kn && !strncasecmp(k, name, kn);
}

static void meta_field(struct pymeta *m, const char *k, size_t kn, const char *v, size_t n)
{
	if (key_is(k, kn, "Name"))
		set_once(&m->name, v, n);
	else if (key_is(k, kn, "Version"))
		set_once(&m->version, v, n);
	else if (key_is(k, kn, "License")) {
		set_once(&m->license, v, n);
		if (n > LICENSE_NAME_MAX)
			m->license_prose = true;
	} else if (key_is(k, kn, "License-Expression"))
		set_once(&m->license_expr, v, n);
	else if (key_is(k, kn, "Classifier"))
		add_classifier(m, v, n);
	else if (key_is(k, kn, "Author"))
		set_once(&m->author, v, n);
	else if (key_is(k, kn, "Author-email"))
		set_once(&m->author_email, v, n);
	else if (key_is(k, kn, "Maintainer"))
		set_once(&m->maintainer, v, n);
	else if (key_is(k, kn, "Maintainer-email"))
		set_once(&m->maintainer_email, v, n);
	else if (key_is(k, kn, "Home-page"))
		set_once(&m->home_page, v, n);
	else if (key_is(k, kn, "Project-URL"))
		add_project_url(m, v, n);
	else if (key_is(k, kn, "Requires-Dist"))
		add_requirement(&m->depends, v, n);
}

/* The headers, up to the first blank line (the description follows). */
static void parse_meta(struct pymeta *m, const struct cat_blob *b)
{
	struct lines l = { b->data, b->data + b->len, b->truncated, 0 };
	const char *s, *last_key = NULL;
	size_t n, last_kn = 0;
	while (next_line(&l, &s, &n)) {
		if (!n)
			return;
		if (s[0] == ' ' || s[0] == '\t') {
			/* A continued License: is license text, not a name. */
			if (last_key && key_is(last_key, last_kn, "License"))
				m->license_prose = true;
			continue;
		}
		const char *colon = memchr(s, ':', n);
		if (!colon)
			return;   /* not a header: what follows is no metadata */
		last_key = s;
		last_kn = (size_t)(colon - s);
		const char *v = colon + 1;
		size_t vn = (size_t)(s + n - v);
		trim(&v, &vn);
		meta_field(m, s, last_kn, v, vn);
	}
}

/* The first line of raw license text, at most LICENSE_RAW_MAX bytes, not
 * cut inside a UTF-8 sequence. */
static char *license_raw(const char *s)
{
	size_t n = strcspn(s, "\n");
	if (n > LICENSE_RAW_MAX) {
		n = LICENSE_RAW_MAX;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	trim(&s, &n);
	return n ? xstrndup(s, n) : NULL;
}

static char *join_or(const struct strvec *ids)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < ids->n; i++) {
		if (i)
			strbuf_adds(&sb, " OR ");
		strbuf_adds(&sb, ids->v[i]);
	}
	return strbuf_detach(&sb);
}

/* License-Expression (Metadata 2.4) is SPDX already; then a License: that
 * names a known license; then a short License: as written; then the license
 * classifiers; then the first line of license prose. */
static char *pick_license(struct pymeta *m)
{
	if (m->license_expr)
		return steal_pointer(&m->license_expr);
	const char *id = m->license ? spdx_for(m->license, strlen(m->license)) : NULL;
	if (id)
		return xstrdup(id);
	if (m->license && !m->license_prose)
		return steal_pointer(&m->license);
	if (m->classifier_ids.n)
		return join_or(&m->classifier_ids);
	if (m->license)
		return license_raw(m->license);
	return steal_pointer(&m->classifier_raw);
}

/* Author (with its address when that is given apart), else the maintainer. */
static char *pick_supplier(struct pymeta *m)
{
	if (m->author && m->author_email && !strchr(m->author, '@') &&
	    !strchr(m->author_email, '<'))
		return xasprintf("%s <%s>", m->author, m->author_email);
	if (m->author)
		return steal_pointer(&m->author);
	if (m->author_email)
		return steal_pointer(&m->author_email);
	if (m->maintainer)
		return steal_pointer(&m->maintainer);
	return steal_pointer(&m->maintainer_email);
}

/* ---- file lists ---------------------------------------------------------------- */

/* base (clean, relative; "" for the root) joined with rel, "." and ".."
 * resolved lexically in one pass; an absolute rel starts at the image
 * root. NULL when rel climbs above the root or nothing is left: a package
 * database cannot own files outside the image. */
static char *resolve_rel(const char *base, const char *rel)
{
	struct strbuf out = STRBUF_INIT;
	size_t *marks = NULL, n_marks = 0, cap = 0;   /* out.len before each component */
	const char *parts[2] = { rel[0] == '/' ? "" : base, rel };
	bool ok = true;
	for (int k = 0; k < 2 && ok; k++) {
		for (const char *p = parts[k]; *p && ok;) {
			const char *e = strchrnul(p, '/');
			size_t len = (size_t)(e - p);
			if (len == 2 && p[0] == '.' && p[1] == '.') {
				if (!n_marks)
					ok = false;
				else
					out.len = marks[--n_marks];
			} else if (len && !(len == 1 && p[0] == '.')) {
				marks = xgrow(marks, &cap, n_marks + 1, sizeof(*marks));
				marks[n_marks++] = out.len;
				if (out.len)
					strbuf_addc(&out, '/');
				strbuf_add(&out, p, len);
			}
			p = *e ? e + 1 : e;
		}
	}
	free(marks);
	char *clean = NULL;
	if (ok && out.len) {
		out.buf[out.len] = '\0';   /* ".." shortened it */
		clean = cat_clean_path(out.buf);
	}
	strbuf_release(&out);
	return clean;
}

/* Add base + rel to files, or say why not. */
static void add_file(struct strvec *files, const char *base, const char *rel, size_t n,
		     struct bad_lines *bad, size_t line)
{
	if (n > PY_PATH_MAX) {
		bad_line(bad, line, "path too long");
		return;
	}
	cleanup_free char *s = cat_strndup(rel, n);
	if (!*s) {
		bad_line(bad, line, "empty path");
		return;
	}
	char *clean = resolve_rel(base, s);
	if (clean)
		strvec_take(files, clean);
	else
		bad_line(bad, line, "path leaves the image");
}

/* A tiny CSV reader (RFC 4180, as Python's csv module writes it): fields
 * may be quoted, quotes doubled, and quoted fields may span lines. */
struct csv {
	const char *s, *end;
	size_t line;
};

#define CSV_BAD (-1)
#define CSV_END 0

static void csv_skip_line(struct csv *r)
{
	const char *nl = memchr(r->s, '\n', (size_t)(r->end - r->s));
	r->s = nl ? nl + 1 : r->end;
	if (nl)
		r->line++;
}

static void count_lines(struct csv *r, const char *from, const char *to)
{
	while ((from = memchr(from, '\n', (size_t)(to - from))))
		from++, r->line++;
}

/* Read one field (into sb when non-NULL); returns what ended it: ',',
 * '\n', CSV_END, or CSV_BAD (bad quoting; the rest of the line is
 * skipped). */
static int csv_field(struct csv *r, struct strbuf *sb)
{
	if (r->s < r->end && *r->s == '"') {
		r->s++;
		for (;;) {
			const char *q = memchr(r->s, '"', (size_t)(r->end - r->s));
			if (!q) {
				r->s = r->end;
				return CSV_BAD;
			}
			count_lines(r, r->s, q);
			if (sb)
				strbuf_add(sb, r->s, (size_t)(q - r->s));
			r->s = q + 1;
			if (r->s < r->end && *r->s == '"') {
				if (sb)
					strbuf_addc(sb, '"');
				r->s++;
				continue;
			}
			break;
		}
		if (r->s < r->end && *r->s == '\r')
			r->s++;
		if (r->s == r->end)
			return CSV_END;
		char ch = *r->s++;
		if (ch == '\n')
			r->line++;
		if (ch == ',' || ch == '\n')
			return ch;
		csv_skip_line(r);
		return CSV_BAD;
	}
	const char *start = r->s;
	while (r->s < r->end && *r->s != ',' && *r->s != '\n')
		r->s++;
	size_t n = (size_t)(r->s - start);
	if (n && start[n - 1] == '\r' && (r->s == r->end || *r->s == '\n'))
		n--;
	if (sb)
		strbuf_add(sb, start, n);
	if (r->s == r->end)
		return CSV_END;
	char ch = *r->s++;
	if (ch == '\n')
		r->line++;
	return ch;
}

/* RECORD: "path,hash,size" per line, paths relative to base (the
 * directory holding the .dist-info). */
static void parse_record(struct catalog *c, const struct cat_blob *b, const char *base,
			 struct strvec *files)
{
	struct csv r = { b->data, b->data + b->len, 1 };
	struct bad_lines bad = { c, b->path, 0 };
	struct strbuf path = STRBUF_INIT;
	while (r.s < r.end) {
		size_t line = r.line;
		strbuf_reset(&path);
		int t = csv_field(&r, &path);
		size_t fields = 1;
		while (t == ',') {
			t = csv_field(&r, NULL);
			fields++;
		}
		/* The last line of a cut-off file is partial. */
		if (b->truncated && (t == CSV_END || (t == CSV_BAD && r.s == r.end)))
			break;
		if (t == CSV_BAD)
			bad_line(&bad, line, "bad CSV quoting");
		else if (fields == 1 && !path.len)
			continue;   /* a blank line */
		else if (fields != 3)
			bad_line(&bad, line, "not a RECORD line (path,hash,size)");
		else
			add_file(files, base, strbuf_str(&path), path.len, &bad, line);
	}
	strbuf_release(&path);
	bad_lines_done(&bad);
	if (b->truncated)
		cat_warn(c, b->path, "file is truncated; its last line was skipped");
}

/* installed-files.txt: one path a line, relative to the .egg-info. */
static void parse_installed_files(struct catalog *c, const struct cat_blob *b, const char *dir,
				  struct strvec *files)
{
	struct lines l = { b->data, b->data + b->len, b->truncated, 0 };
	struct bad_lines bad = { c, b->path, 0 };
	const char *s;
	size_t n;
	while (next_line(&l, &s, &n)) {
		trim(&s, &n);
		if (n)
			add_file(files, dir, s, n, &bad, l.no);
	}
	bad_lines_done(&bad);
	if (b->truncated)
		cat_warn(c, b->path, "file is truncated; its last line was skipped");
}

/* requires.txt: requirements, then "[extra]" sections of optional ones and
 * "[:marker]" sections of conditional (but not optional) ones. */
static void parse_requires(const struct cat_blob *b, struct strvec *deps)
{
	struct lines l = { b->data, b->data + b->len, b->truncated, 0 };
	bool optional = false;
	const char *s;
	size_t n;
	while (next_line(&l, &s, &n)) {
		trim(&s, &n);
		if (n && s[0] == '[')
			optional = n < 2 || s[1] != ':';
		else if (n && s[0] != '#' && !optional)
			add_requirement(deps, s, n);
	}
}

/* ---- packages -------------------------------------------------------------------- */

/* The package that meta (METADATA or PKG-INFO) describes, owning files. */
static void add_package(struct catalog *c, const struct cat_blob *meta, struct strvec *files,
			const struct cat_blob *requires)
{
	struct pymeta m = { 0 };
	parse_meta(&m, meta);
	if (meta->truncated)
		cat_warn(c, meta->path, "file is truncated");
	if (!m.name || !m.version) {
		cat_warn(c, meta->path, "no %s: field; package skipped", !m.name ? "Name" : "Version");
		pymeta_release(&m);
		return;
	}
	if (requires)
		parse_requires(requires, &m.depends);
	sort_unique(&m.depends);
	struct cat_pkg *p = cat_add_pkg(c, PKG_PYTHON, meta);
	p->name = steal_pointer(&m.name);
	p->version = steal_pointer(&m.version);
	p->license = pick_license(&m);
	p->supplier = pick_supplier(&m);
	p->homepage = m.home_page ? steal_pointer(&m.home_page) : steal_pointer(&m.project_home);
	p->depends = m.depends;
	memset(&m.depends, 0, sizeof(m.depends));
	p->files = *files;
	memset(files, 0, sizeof(*files));
	pymeta_release(&m);
}

/* The blob at dir + "/" + name, or NULL. */
static const struct cat_blob *sibling(const struct cat_input *in, const char *path, size_t dirlen,
				      const char *name)
{
	cleanup_free char *p = xasprintf("%.*s/%s", (int)dirlen, path, name);
	return cat_input_get(in, p);
}

/* The directory holding the directory of path ("" at the top). */
static char *parent_of_dir(const char *path, size_t dirlen)
{
	const char *s = path + dirlen;
	while (s > path && s[-1] != '/')
		s--;
	return xstrndup(path, s > path ? (size_t)(s - path - 1) : 0);
}

static void collect_dist_info(struct catalog *c, const struct cat_input *in,
			      const struct cat_blob *meta, size_t dirlen)
{
	struct strvec files = STRVEC_INIT;
	const struct cat_blob *record = sibling(in, meta->path, dirlen, "RECORD");
	if (record) {
		cleanup_free char *base = parent_of_dir(meta->path, dirlen);
		parse_record(c, record, base, &files);
	}
	add_package(c, meta, &files, NULL);
	strvec_clear(&files);
}

static void collect_egg_info(struct catalog *c, const struct cat_input *in,
			     const struct cat_blob *pkginfo, size_t dirlen)
{
	struct strvec files = STRVEC_INIT;
	const struct cat_blob *list = sibling(in, pkginfo->path, dirlen, "installed-files.txt");
	if (list) {
		cleanup_free char *dir = xstrndup(pkginfo->path, dirlen);
		parse_installed_files(c, list, dir, &files);
	}
	add_package(c, pkginfo, &files, sibling(in, pkginfo->path, dirlen, "requires.txt"));
	strvec_clear(&files);
}

void python_collect(struct catalog *c, const struct cat_input *in)
{
	for (size_t i = 0; i < in->n; i++) {
		const struct cat_blob *b = &in->blobs[i];
		size_t dirlen;
		struct strvec none = STRVEC_INIT;
		switch (py_classify(b->path, &dirlen)) {
		case PY_DIST_METADATA:
			collect_dist_info(c, in, b, dirlen);
			break;
		case PY_DIST_RECORD:
			if (!sibling(in, b->path, dirlen, "METADATA"))
				cat_warn(c, b->path, "no METADATA next to it; files not attributed");
			break;
		case PY_EGG_PKGINFO:
			collect_egg_info(c, in, b, dirlen);
			break;
		case PY_EGG_FILE:
			add_package(c, b, &none, NULL);
			break;
		case PY_EGG_FILES:
		case PY_EGG_REQUIRES:   /* read with their PKG-INFO */
		case PY_NONE:
			break;
		}
	}
}
