/* dpkg: Debian's installed packages.
 *
 * var/lib/dpkg/status holds one deb822 stanza per package (dpkg(1),
 * deb-control(5)); a package counts when its Status says "installed".
 * Distroless images have no status file but var/lib/dpkg/status.d/<name>
 * (one stanza, no Status: everything there is installed) and
 * status.d/<name>.md5sums. The files a package owns are in
 * var/lib/dpkg/info/<name>.list (<name>:<arch>.list for Multi-Arch: same),
 * licenses in usr/share/doc/<name>/copyright when that is machine-readable
 * (DEP-5, https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/).
 *
 * Everything here is untrusted: a bad line or stanza is a warning, a field
 * past DPKG_MAX_FIELD is dropped, and nothing is copied but the fields we
 * keep (descriptions, often most of the file, are only skipped over).
 */
#include "catalog_internal.h"

#include <ctype.h>
#include <strings.h>

#define DPKG_STATUS "var/lib/dpkg/status"
#define DPKG_STATUS_D "var/lib/dpkg/status.d/"
#define DPKG_INFO "var/lib/dpkg/info/"
#define DOC_DIR "usr/share/doc/"

/* A field longer than this is hostile: it is dropped, with a warning. */
#define DPKG_MAX_FIELD (1u << 20)
/* Bad lines warned of per file; the rest are counted in one warning. */
#define DPKG_MAX_BAD_LINES 20

/* Is s one path component ("libc6", not "", not "a/b")? */
static bool one_component(const char *s)
{
	return *s && !strchr(s, '/');
}

bool dpkg_wants(const char *path)
{
	if (!strcmp(path, DPKG_STATUS))
		return true;
	if (str_starts_with(path, DPKG_STATUS_D))
		return one_component(path + strlen(DPKG_STATUS_D));
	if (str_starts_with(path, DPKG_INFO))
		return one_component(path + strlen(DPKG_INFO)) &&
		       (str_ends_with(path, ".list") || str_ends_with(path, ".md5sums"));
	if (str_starts_with(path, DOC_DIR)) {
		const char *pkg = path + strlen(DOC_DIR), *slash = strchr(pkg, '/');
		return slash && slash > pkg && !strcmp(slash, "/copyright");
	}
	return false;
}

/* ---- deb822 stanzas ---------------------------------------------------------- */

/* Bytes of the blob: a field's value, continuation lines included. */
struct span {
	const char *s;
	size_t n;
};

struct deb822 {
	struct catalog *c;
	const struct cat_blob *b;
	const char *pos, *end;
	size_t line;           /* of the last line read */
	size_t bad_lines;
};

enum stanza_result { STANZA_END, STANZA_OK, STANZA_PARTIAL };

static void deb822_init(struct deb822 *r, struct catalog *c, const struct cat_blob *b)
{
	*r = (struct deb822){ .c = c, .b = b, .pos = b->data, .end = b->data + b->len };
}

static void bad_line(struct deb822 *r, const char *why)
{
	if (++r->bad_lines <= DPKG_MAX_BAD_LINES)
		cat_warn(r->c, r->b->path, "line %zu: %s", r->line, why);
}

static void deb822_finish(struct deb822 *r)
{
	if (r->bad_lines > DPKG_MAX_BAD_LINES)
		cat_warn(r->c, r->b->path, "%zu more bad lines", r->bad_lines - DPKG_MAX_BAD_LINES);
}

/* The next line [*s, *e) without its newline or a "\r" before it; false at
 * the end. */
static bool next_line(struct deb822 *r, const char **s, const char **e, bool *complete)
{
	if (r->pos >= r->end)
		return false;
	const char *nl = memchr(r->pos, '\n', (size_t)(r->end - r->pos));
	*s = r->pos;
	*e = nl ? nl : r->end;
	*complete = nl != NULL;
	r->pos = nl ? nl + 1 : r->end;
	r->line++;
	if (*e > *s && (*e)[-1] == '\r')
		(*e)--;
	return true;
}

static bool blank(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s == e;
}

/* Start the value of field "name:" (the line [s, e)) in the span of the
 * names[] entry it matches; the span to continue, or NULL. */
static struct span *start_field(struct deb822 *r, const char *s, const char *e,
				const char *const *names, struct span *vals, size_t n)
{
	const char *colon = memchr(s, ':', (size_t)(e - s));
	if (!colon || colon == s) {
		bad_line(r, "not a field");
		return NULL;
	}
	size_t len = (size_t)(colon - s);
	for (size_t k = 0; k < n; k++) {
		/* Field names are case-insensitive (deb822(5)). */
		if (strlen(names[k]) != len || strncasecmp(s, names[k], len))
			continue;
		const char *v = colon + 1;
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		vals[k] = (struct span){ v, (size_t)(e - v) };
		return &vals[k];
	}
	return NULL;
}

/* Read the next stanza, filling vals[k] with the value of field names[k]
 * (s NULL when absent). *first is the line it starts on. A stanza that runs
 * into the end of a truncated file is PARTIAL. */
static enum stanza_result next_stanza(struct deb822 *r, const char *const *names,
				      struct span *vals, size_t n, size_t *first)
{
	memset(vals, 0, n * sizeof(*vals));
	const char *s, *e;
	bool complete = true, any = false;
	struct span *cur = NULL;
	while (next_line(r, &s, &e, &complete)) {
		if (blank(s, e)) {
			if (any)
				return STANZA_OK;
			continue;
		}
		if (*s == '#')   /* a comment (deb822(5)); copyright files have them */
			continue;
		if (!any)
			*first = r->line;
		any = true;
		if (*s != ' ' && *s != '\t') {
			cur = start_field(r, s, e, names, vals, n);
		} else if (!cur) {
			/* A continuation of a field we skip, or of nothing. */
			if (*first == r->line)
				bad_line(r, "continuation line without a field");
		} else {
			cur->n = (size_t)(e - cur->s);
		}
		if (cur && cur->n > DPKG_MAX_FIELD) {
			bad_line(r, "field longer than 1 MiB dropped");
			*cur = (struct span){ 0 };
			cur = NULL;
		}
	}
	if (!any)
		return STANZA_END;
	return r->b->truncated && !complete ? STANZA_PARTIAL : STANZA_OK;
}

/* The first line of a value, trimmed, as a safe string; NULL when empty
 * (control characters and NULs, which cat_strndup drops, count as none). */
static char *first_line(struct span v)
{
	if (!v.s)
		return NULL;
	const char *e = memchr(v.s, '\n', v.n);
	size_t n = e ? (size_t)(e - v.s) : v.n;
	while (n && isspace((unsigned char)v.s[n - 1]))
		n--;
	char *s = n ? cat_strndup(v.s, n) : NULL;
	if (s && !*s) {
		free(s);
		s = NULL;
	}
	return s;
}

/* ---- packages ------------------------------------------------------------------- */

enum status_field {
	F_PACKAGE, F_VERSION, F_ARCH, F_SOURCE, F_MAINTAINER, F_HOMEPAGE, F_STATUS,
	F_DEPENDS, F_PRE_DEPENDS, F_COUNT
};
static const char *const status_fields[F_COUNT] = {
	"Package", "Version", "Architecture", "Source", "Maintainer", "Homepage", "Status",
	"Depends", "Pre-Depends",
};

/* "install ok installed", "hold ok installed": the third word is the
 * state, and only "installed" has all the package's files in place
 * ("half-installed", "unpacked", "config-files" have not). */
static bool is_installed(struct span v)
{
	const char *s = v.s, *e = v.s + v.n;
	for (int word = 0; word < 3; word++) {
		while (s < e && isspace((unsigned char)*s))
			s++;
		const char *w = s;
		while (s < e && !isspace((unsigned char)*s))
			s++;
		if (word == 2)
			return s - w == 9 && !memcmp(w, "installed", 9) && blank(s, e);
	}
	return false;
}

/* "Source: glibc (2.36-9)": the source package is named, its version only
 * when it differs from the binary's. */
static void set_source(struct cat_pkg *p, struct span v)
{
	cleanup_free char *src = first_line(v);
	if (!src)
		return;
	size_t n = strcspn(src, " \t(");
	p->src_name = xstrndup(src, n);
	const char *open = strchr(src + n, '('), *close = open ? strchr(open, ')') : NULL;
	if (!close)
		return;
	open++;
	while (open < close && isspace((unsigned char)*open))
		open++;
	while (close > open && isspace((unsigned char)close[-1]))
		close--;
	if (close > open)
		p->src_version = xstrndup(open, (size_t)(close - open));
}

/* "libc6 (>= 2.34), libfoo:any | libbar [amd64] <!nocheck>": every
 * alternative's name; the catalog keeps those that resolve. */
static void add_depends(struct strvec *deps, struct span v)
{
	const char *s = v.s, *e = v.s + v.n;
	while (s < e) {
		while (s < e && (isspace((unsigned char)*s) || *s == ',' || *s == '|'))
			s++;
		const char *name = s;
		while (s < e && !isspace((unsigned char)*s) && !strchr("(:[<,|", *s) && *s)
			s++;
		if (s > name)
			strvec_take(deps, cat_strndup(name, (size_t)(s - name)));
		while (s < e && *s != ',' && *s != '|')
			s++;
	}
}

enum path_byte { PB_PLAIN, PB_SLASH, PB_ODD };
/* Control characters and non-ASCII need cat_strndup's care. */
static const unsigned char path_bytes[256] = {
	[0 ... 0x1f] = PB_ODD, ['/'] = PB_SLASH, [0x7f ... 0xff] = PB_ODD,
};

/* Is [s, s+n) a path that cleaning would only strip of its leading "/"
 * (printable ASCII, no empty, "." or ".." component, no trailing "/")?
 * Nearly all are, and cleaning 300k paths the slow way takes a while. */
static bool already_clean(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	if (!n || u[n - 1] == '/' || (n == 1 && u[0] == '.'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!path_bytes[u[i]])
			continue;
		if (path_bytes[u[i]] == PB_ODD)
			return false;
		/* A component starts after this slash (the last byte is none). */
		size_t left = n - i - 1;
		const unsigned char *c = u + i + 1;
		if ((i && u[i - 1] == '/') || (c[0] == '.' && (left == 1 || c[1] == '/')) ||
		    (c[0] == '.' && left >= 2 && c[1] == '.' && (left == 2 || c[2] == '/')))
			return false;
	}
	/* The first component, when the path is relative. */
	return !(u[0] == '.' && (n == 1 || u[1] == '/' ||
				 (u[1] == '.' && (n == 2 || u[2] == '/'))));
}

/* One path of a .list ("/usr/bin/x") or .md5sums ("<md5>  usr/bin/x"). */
static void add_file(struct catalog *c, const struct cat_blob *b, size_t line,
		     struct strvec *files, const char *s, size_t n)
{
	if (already_clean(s, n)) {
		strvec_take(files, *s == '/' ? xstrndup(s + 1, n - 1) : xstrndup(s, n));
		return;
	}
	cleanup_free char *raw = cat_strndup(s, n);
	char *clean = cat_clean_path(raw);
	if (clean)
		strvec_take(files, clean);
	else if (strcmp(raw, "/.") && strcmp(raw, "/") && *raw)
		cat_warn(c, b->path, "line %zu: bad path '%.200s'", line, raw);
}

static void add_files(struct catalog *c, struct strvec *files, const struct cat_blob *b,
		      bool md5sums)
{
	const char *s = b->data, *end = b->data + b->len;
	size_t line = 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl && b->truncated)
			break;   /* a partial path */
		const char *e = nl ? nl : end;
		line++;
		if (md5sums) {
			while (s < e && !isspace((unsigned char)*s))
				s++;
			while (s < e && isspace((unsigned char)*s))
				s++;
		}
		if (e > s)
			add_file(c, b, line, files, s, (size_t)(e - s));
		s = nl ? nl + 1 : end;
	}
	if (b->truncated)
		cat_warn(c, b->path, "file is truncated; its last paths were skipped");
}

static const struct cat_blob *get_blob(const struct cat_input *in, const char *fmt, ...)
	PRINTF_LIKE(2, 3);
static const struct cat_blob *get_blob(const struct cat_input *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *path;
	if (vasprintf(&path, fmt, ap) < 0)
		abort();
	va_end(ap);
	const struct cat_blob *b = cat_input_get(in, path);
	free(path);
	return b;
}

/* The files of a package from var/lib/dpkg/info: the .list (every path
 * dpkg unpacked, directories included) or, without one, the .md5sums. */
static void add_info_files(struct catalog *c, const struct cat_input *in, struct cat_pkg *p)
{
	static const char *const exts[] = { "list", "md5sums" };
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		const struct cat_blob *b = NULL;
		if (p->arch)   /* Multi-Arch: same packages are "name:arch" there */
			b = get_blob(in, DPKG_INFO "%s:%s.%s", p->name, p->arch, exts[i]);
		if (!b)
			b = get_blob(in, DPKG_INFO "%s.%s", p->name, exts[i]);
		if (b) {
			add_files(c, &p->files, b, i == 1);
			return;
		}
	}
}

static char *dep5_license(struct catalog *c, const struct cat_blob *b);

/* A package from a complete stanza, or a warning. */
static void add_pkg(struct catalog *c, const struct cat_input *in, const struct cat_blob *b,
		    const struct span *f, size_t line)
{
	cleanup_free char *name = first_line(f[F_PACKAGE]);
	cleanup_free char *version = first_line(f[F_VERSION]);
	if (!name || !version) {
		cat_warn(c, b->path, "line %zu: package without %s", line,
			 !name ? "Package" : "Version");
		return;
	}
	struct cat_pkg *p = cat_add_pkg(c, PKG_DEB, b);
	p->name = steal_pointer(&name);
	p->version = steal_pointer(&version);
	p->arch = first_line(f[F_ARCH]);
	p->supplier = first_line(f[F_MAINTAINER]);
	p->homepage = first_line(f[F_HOMEPAGE]);
	set_source(p, f[F_SOURCE]);
	if (f[F_PRE_DEPENDS].s)
		add_depends(&p->depends, f[F_PRE_DEPENDS]);
	if (f[F_DEPENDS].s)
		add_depends(&p->depends, f[F_DEPENDS]);
	add_info_files(c, in, p);
	const struct cat_blob *cr = get_blob(in, DOC_DIR "%s/copyright", p->name);
	if (cr)
		p->license = dep5_license(c, cr);
}

/* Every installed package of a status file; status.d files (need_status
 * false) have no Status field. Returns how many packages were added. */
static size_t parse_status(struct catalog *c, const struct cat_input *in,
			   const struct cat_blob *b, bool need_status)
{
	struct deb822 r;
	struct span f[F_COUNT];
	size_t first = 0, added = c->n_pkgs;
	enum stanza_result res;
	deb822_init(&r, c, b);
	while ((res = next_stanza(&r, status_fields, f, F_COUNT, &first)) != STANZA_END) {
		if (res == STANZA_PARTIAL) {
			cat_warn(c, b->path, "file is truncated; its last package was skipped");
			break;
		}
		if (need_status && (!f[F_STATUS].s || !is_installed(f[F_STATUS])))
			continue;
		add_pkg(c, in, b, f, first);
	}
	deb822_finish(&r);
	return c->n_pkgs - added;
}

/* Distroless: status.d/<name> and its files in status.d/<name>.md5sums. */
static void parse_status_d(struct catalog *c, const struct cat_input *in)
{
	for (size_t i = cat_input_prefix(in, DPKG_STATUS_D);
	     i < in->n && str_starts_with(in->blobs[i].path, DPKG_STATUS_D); i++) {
		const struct cat_blob *b = &in->blobs[i];
		if (str_ends_with(b->path, ".md5sums"))
			continue;
		size_t first = c->n_pkgs;
		if (!parse_status(c, in, b, false))
			continue;
		const struct cat_blob *sums = get_blob(in, "%s.md5sums", b->path);
		if (sums)
			add_files(c, &c->pkgs[first].files, sums, true);
	}
}

void dpkg_collect(struct catalog *c, const struct cat_input *in)
{
	const struct cat_blob *status = cat_input_get(in, DPKG_STATUS);
	if (status)
		parse_status(c, in, status, true);
	parse_status_d(c, in);
}

/* ---- licenses: DEP-5 short names as SPDX ------------------------------------------ */

/* A distinct license list longer than this is hostile. */
#define DEP5_MAX_LICENSES 64
/* Longest License: line read; the rest is ignored. */
#define DEP5_MAX_LINE 4096

static const struct {
	const char *debian, *spdx;
} license_names[] = {
	{ "Expat", "MIT" }, { "MIT", "MIT" }, { "MIT-0", "MIT-0" },
	{ "BSD-1-clause", "BSD-1-Clause" }, { "BSD-2-clause", "BSD-2-Clause" },
	{ "BSD-3-clause", "BSD-3-Clause" }, { "BSD-4-clause", "BSD-4-Clause" },
	{ "0BSD", "0BSD" }, { "ISC", "ISC" }, { "Zlib", "Zlib" }, { "libpng", "Libpng" },
	{ "Apache-1.1", "Apache-1.1" }, { "Apache-2", "Apache-2.0" },
	{ "Apache-2.0", "Apache-2.0" }, { "Artistic", "Artistic-1.0-Perl" },
	{ "Artistic-1.0", "Artistic-1.0" }, { "Artistic-2.0", "Artistic-2.0" },
	{ "CC0", "CC0-1.0" }, { "CC0-1.0", "CC0-1.0" }, { "CC-BY-3.0", "CC-BY-3.0" },
	{ "CC-BY-4.0", "CC-BY-4.0" }, { "CC-BY-SA-3.0", "CC-BY-SA-3.0" },
	{ "CC-BY-SA-4.0", "CC-BY-SA-4.0" }, { "MPL-1.1", "MPL-1.1" }, { "MPL-2", "MPL-2.0" },
	{ "MPL-2.0", "MPL-2.0" }, { "EPL-1.0", "EPL-1.0" }, { "EPL-2.0", "EPL-2.0" },
	{ "CDDL-1.0", "CDDL-1.0" }, { "PSF-2", "PSF-2.0" }, { "PSF-2.0", "PSF-2.0" },
	{ "Python", "PSF-2.0" }, { "Zope-2.1", "ZPL-2.1" }, { "ZPL-2.1", "ZPL-2.1" },
	{ "OpenSSL", "OpenSSL" }, { "SSLeay", "SSLeay-standalone" }, { "curl", "curl" },
	{ "X11", "X11" }, { "BSL-1.0", "BSL-1.0" }, { "Boost-1.0", "BSL-1.0" },
	{ "Unicode-DFS-2016", "Unicode-DFS-2016" }, { "WTFPL", "WTFPL" },
	{ "Unlicense", "Unlicense" }, { "FSFAP", "FSFAP" }, { "FSFUL", "FSFUL" },
	{ "FSFULLR", "FSFULLR" }, { "OFL-1.1", "OFL-1.1" }, { "SIL-OFL-1.1", "OFL-1.1" },
	{ "Sleepycat", "Sleepycat" }, { "NTP", "NTP" }, { "Tcl", "TCL" }, { "TCL", "TCL" },
	{ "PostgreSQL", "PostgreSQL" }, { "Vim", "Vim" }, { "bzip2-1.0.6", "bzip2-1.0.6" },
	{ "LPPL-1.3c", "LPPL-1.3c" }, { "W3C", "W3C" }, { "Beerware", "Beerware" },
	{ "AFL-2.0", "AFL-2.0" }, { "AFL-2.1", "AFL-2.1" }, { "AFL-3.0", "AFL-3.0" },
	{ "APACHE-2-LLVM-EXCEPTIONS", "Apache-2.0 WITH LLVM-exception" },
	{ "public-domain", "LicenseRef-public-domain" },
};

/* SPDX's exceptions, as "X with <name> exception" spells them. */
static const struct {
	const char *debian, *spdx;
} exception_names[] = {
	{ "Classpath", "Classpath-exception-2.0" }, { "Font", "Font-exception-2.0" },
	{ "GCC-3.1", "GCC-exception-3.1" }, { "GCC-exception-3.1", "GCC-exception-3.1" },
	{ "Autoconf", "Autoconf-exception-2.0" }, { "Autoconf-3.0", "Autoconf-exception-3.0" },
	{ "Bison", "Bison-exception-2.2" }, { "Libtool", "Libtool-exception" },
	{ "LLVM", "LLVM-exception" }, { "Linux-syscall-note", "Linux-syscall-note" },
};

/* The GNU licenses have -only and -or-later forms. */
static const struct {
	const char *debian, *spdx, *suffix;
} gnu_families[] = {
	{ "GFDL-NIV", "GFDL", "-no-invariants" }, { "AGPL", "AGPL", "" },
	{ "LGPL", "LGPL", "" }, { "GPL", "GPL", "" }, { "GFDL", "GFDL", "" },
};

/* "GPL-2+", "GPLv3", "LGPL-2.1" → GPL-2.0-or-later, GPL-3.0-only, LGPL-2.1-only;
 * NULL when name is no versioned GNU license. */
static char *gnu_license(const char *name, size_t n, bool plus)
{
	for (size_t i = 0; i < ARRAY_SIZE(gnu_families); i++) {
		size_t k = strlen(gnu_families[i].debian);
		if (n <= k || strncasecmp(name, gnu_families[i].debian, k))
			continue;
		const char *v = name + k, *end = name + n;
		if (*v == '-')
			v++;
		if (v < end && (*v == 'v' || *v == 'V'))
			v++;
		size_t vn = (size_t)(end - v);
		if (!vn || !isdigit((unsigned char)*v) || strspn(v, "0123456789.") < vn)
			return NULL;
		return xasprintf("%s-%.*s%s%s-%s", gnu_families[i].spdx, (int)vn, v,
				 memchr(v, '.', vn) ? "" : ".0", gnu_families[i].suffix,
				 plus ? "or-later" : "only");
	}
	return NULL;
}

/* "LicenseRef-" and name with what an SPDX idstring cannot hold replaced. */
static char *license_ref(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "LicenseRef-");
	size_t start = sb.len;
	for (const char *p = name; *p && sb.len < start + 64; p++) {
		if (isalnum((unsigned char)*p) || *p == '.')
			strbuf_addc(&sb, *p);
		else if (*p == '+')
			strbuf_adds(&sb, "plus");
		else if (sb.len > start && sb.buf[sb.len - 1] != '-')
			strbuf_addc(&sb, '-');
	}
	while (sb.len > start && sb.buf[sb.len - 1] == '-')
		sb.buf[--sb.len] = '\0';
	if (sb.len == start)
		strbuf_adds(&sb, "unknown");
	return strbuf_detach(&sb);
}

/* The SPDX id of the Debian name [name, name+n) + suffix, or NULL. */
static const char *known_license(const char *name, size_t n, const char *suffix)
{
	size_t sn = strlen(suffix);
	for (size_t i = 0; i < ARRAY_SIZE(license_names); i++) {
		const char *d = license_names[i].debian;
		if (strlen(d) == n + sn && !strncasecmp(name, d, n) && !strcasecmp(d + n, suffix))
			return license_names[i].spdx;
	}
	return NULL;
}

/* One Debian short name ("GPL-2+", "Expat", "public domain" as words
 * joined by "-") as an SPDX license id. */
static char *spdx_license(const char *name)
{
	size_t n = strlen(name);
	bool plus = n > 1 && name[n - 1] == '+';
	size_t base = plus ? n - 1 : n;
	char *gnu = gnu_license(name, base, plus);
	if (gnu)
		return gnu;
	const char *id = known_license(name, base, "");
	/* "CDDL-1", "Artistic-1": SPDX says "1.0". */
	size_t digits = 0;
	while (digits < base && isdigit((unsigned char)name[base - 1 - digits]))
		digits++;
	if (!id && digits && digits < base && name[base - 1 - digits] == '-')
		id = known_license(name, base, ".0");
	if (!id)
		return license_ref(name);
	/* "+" (or later) is SPDX syntax, but not after a LicenseRef or WITH. */
	return xasprintf("%s%s", id, plus && !strchr(id, ' ') &&
			 !str_starts_with(id, "LicenseRef-") ? "+" : "");
}

static const char *spdx_exception(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(exception_names); i++)
		if (!strcasecmp(name, exception_names[i].debian))
			return exception_names[i].spdx;
	return NULL;
}

/* The words of one License: line, "," as a word of its own. */
struct lic_words {
	char **w;
	size_t n, i;
};

static bool word_is(const struct lic_words *lw, const char *op)
{
	return lw->i < lw->n && !strcasecmp(lw->w[lw->i], op);
}

static bool at_operator(const struct lic_words *lw)
{
	return word_is(lw, "and") || word_is(lw, "or") || word_is(lw, ",");
}

/* words[from, to) joined by "-" */
static char *join_words(char **w, size_t from, size_t to)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = from; i < to; i++) {
		if (i > from)
			strbuf_addc(&sb, '-');
		strbuf_adds(&sb, w[i]);
	}
	return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

/* One license: "GPL-2+", "public domain", "GPL-2+ with OpenSSL exception".
 * An exception SPDX does not know makes the whole a LicenseRef. NULL when
 * there is no word before the next operator. */
static char *parse_one_license(struct lic_words *lw)
{
	size_t from = lw->i, with = 0;
	for (; lw->i < lw->n && !at_operator(lw); lw->i++)
		if (!with && lw->i > from && word_is(lw, "with"))
			with = lw->i;
	if (lw->i == from)
		return NULL;
	if (!with) {
		cleanup_free char *name = join_words(lw->w, from, lw->i);
		return spdx_license(name);
	}
	size_t to = lw->i;
	if (to - 1 > with + 1 && !strcasecmp(lw->w[to - 1], "exception"))
		to--;
	cleanup_free char *exc_name = join_words(lw->w, with + 1, to);
	const char *exc = spdx_exception(exc_name);
	cleanup_free char *base = join_words(lw->w, from, with);
	cleanup_free char *whole = join_words(lw->w, from, lw->i);
	if (!exc || !strncmp(base, "public-domain", 13))
		return license_ref(whole);
	cleanup_free char *id = spdx_license(base);
	/* SPDX allows WITH after a plain license id only. */
	if (strchr(id, ' ') || str_starts_with(id, "LicenseRef-"))
		return license_ref(whole);
	return xasprintf("%s WITH %s", id, exc);
}

/* "A and B or C": AND binds tighter, as in SPDX (DEP-5 agrees), so the
 * alternatives are written as they come. *n_terms counts the ANDed
 * licenses of a single alternative, to flatten it later. */
static char *parse_alternatives(struct lic_words *lw, struct strvec *terms, size_t *n_alts)
{
	struct strbuf sb = STRBUF_INIT;
	*n_alts = 0;
	bool in_and = false;
	for (;;) {
		char *one = parse_one_license(lw);
		if (one) {
			if (sb.len)
				strbuf_adds(&sb, in_and ? " AND " : " OR ");
			if (!sb.len || !in_and)
				(*n_alts)++;
			strbuf_adds(&sb, one);
			strvec_take(terms, one);
		}
		if (word_is(lw, "and") || word_is(lw, "or")) {
			in_and = word_is(lw, "and");
			lw->i++;
			continue;
		}
		break;
	}
	return sb.buf ? strbuf_detach(&sb) : NULL;
}

/* A License: line as the licenses it ANDs ("GPL-2+ and BSD-3-clause" is two,
 * "GPL-2+ or Artistic" one: "(GPL-2.0-or-later OR Artistic-1.0-Perl)").
 * Commas separate groups at the lowest precedence ("A or B, and C"). */
static void field_licenses(char *line, struct strvec *items)
{
	struct lic_words lw = { xcalloc(strlen(line) + 1, sizeof(char *)), 0, 0 };
	for (char *p = line; *p;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		size_t k = *p == ',' ? 1 : strcspn(p, " \t,");
		lw.w[lw.n++] = xstrndup(p, k);
		p += k;
	}
	struct strbuf whole = STRBUF_INIT;
	struct strvec group_items = STRVEC_INIT;
	bool top_or = false;
	const char *joiner = " AND ";   /* before the next group */
	size_t n_groups = 0;
	while (lw.i < lw.n) {
		size_t before = lw.i, n_alts;
		struct strvec terms = STRVEC_INIT;
		cleanup_free char *group = parse_alternatives(&lw, &terms, &n_alts);
		if (group) {
			bool compound = terms.n > 1;
			strbuf_addf(&whole, "%s%s%s%s", n_groups ? joiner : "",
				    compound ? "(" : "", group, compound ? ")" : "");
			n_groups++;
			if (n_alts > 1)
				strvec_take(&group_items, xasprintf("(%s)", group));
			else
				for (size_t t = 0; t < terms.n; t++)
					strvec_push(&group_items, terms.v[t]);
		}
		strvec_clear(&terms);
		/* ", and" / ", or" / "," alone (read as and) */
		if (word_is(&lw, ","))
			lw.i++;
		joiner = word_is(&lw, "or") ? " OR " : " AND ";
		top_or |= word_is(&lw, "or");
		if (word_is(&lw, "or") || word_is(&lw, "and"))
			lw.i++;
		if (lw.i == before)
			lw.i++;   /* cannot happen; never loop forever on hostile input */
	}
	if (top_or && n_groups > 1)
		strvec_take(items, xasprintf("(%s)", whole.buf));
	else
		for (size_t t = 0; t < group_items.n; t++)
			strvec_push(items, group_items.v[t]);
	strbuf_release(&whole);
	strvec_clear(&group_items);
	for (size_t i = 0; i < lw.n; i++)
		free(lw.w[i]);
	free(lw.w);
}

/* Add the licenses of one License: value (its first line: the rest is the
 * license text) to items. */
static void add_license_field(struct strvec *items, struct span v)
{
	if (!v.s)
		return;
	struct span head = { v.s, v.n < DEP5_MAX_LINE ? v.n : DEP5_MAX_LINE };
	cleanup_free char *line = first_line(head);
	if (line)
		field_licenses(line, items);
}

/* Sort items and drop repeats; returns how many are left. */
static size_t sort_unique(struct strvec *items)
{
	strvec_sort(items);
	size_t u = 0;
	for (size_t i = 0; i < items->n; i++) {
		if (u && !strcmp(items->v[u - 1], items->v[i]))
			free(items->v[i]);
		else
			items->v[u++] = items->v[i];
	}
	items->n = u;
	if (items->v)
		items->v[u] = NULL;
	return u;
}

/* items sorted, each once, joined by " AND "; public-domain adds no terms
 * to others, so it only shows when it is all there is. */
static char *join_licenses(struct strvec *items)
{
	sort_unique(items);
	struct strbuf sb = STRBUF_INIT;
	size_t kept = 0;
	for (size_t i = 0; i < items->n; i++) {
		if (items->n > 1 && !strcmp(items->v[i], "LicenseRef-public-domain"))
			continue;
		strbuf_addf(&sb, "%s%s", kept++ ? " AND " : "", items->v[i]);
	}
	if (!kept)
		return NULL;
	char *s = strbuf_detach(&sb);
	/* One "(A OR B)" needs no parentheses. */
	size_t n = strlen(s);
	if (kept == 1 && s[0] == '(' && s[n - 1] == ')') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
	return s;
}

/* "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
 * (or a DEP-5 draft's URL) first. */
static bool is_dep5(const struct cat_blob *b)
{
	const char *s = b->data, *end = b->data + b->len;
	while (s < end && isspace((unsigned char)*s))
		s++;
	if ((size_t)(end - s) < 7 || strncasecmp(s, "Format:", 7))
		return false;
	struct span v = { s + 7, (size_t)(end - s - 7) };
	cleanup_free char *format = first_line(v);
	return format && (strstr(format, "copyright-format") || strstr(format, "dep5"));
}

enum copyright_field { C_LICENSE, C_COUNT };
static const char *const copyright_fields[C_COUNT] = { "License" };

/* The SPDX expression of the License: fields of a machine-readable
 * copyright file; NULL when it is free text (most older packages). */
static char *dep5_license(struct catalog *c, const struct cat_blob *b)
{
	struct deb822 r;
	struct span f[C_COUNT];
	struct strvec items = STRVEC_INIT;
	size_t first = 0;
	enum stanza_result res;
	/* Only the first line says whether the rest is fields or prose (which
	 * would be all bad lines). */
	if (!is_dep5(b))
		return NULL;
	deb822_init(&r, c, b);
	while ((res = next_stanza(&r, copyright_fields, f, C_COUNT, &first)) != STANZA_END) {
		if (res == STANZA_PARTIAL)
			cat_warn(c, b->path, "file is truncated; its licenses may be incomplete");
		add_license_field(&items, f[C_LICENSE]);
		if (items.n > 2 * DEP5_MAX_LICENSES && sort_unique(&items) > DEP5_MAX_LICENSES) {
			cat_warn(c, b->path, "more than %d licenses; the rest were skipped",
				 DEP5_MAX_LICENSES);
			break;
		}
	}
	deb822_finish(&r);
	char *expr = join_licenses(&items);
	strvec_clear(&items);
	return expr;
}
