/* apk: Alpine's installed database, lib/apk/db/installed.
 *
 * One record per package, records separated by blank lines, one "X:value"
 * field per line (https://wiki.alpinelinux.org/wiki/Apk_spec). Files are
 * listed as an F: directory followed by the R: names in it; a/M/Z lines
 * (ownership, checksums) and p: provides are not part of our model.
 * The file is untrusted: bad lines and records become warnings.
 */
#include "catalog_internal.h"

#define APK_DB "lib/apk/db/installed"

bool apk_wants(const char *path)
{
	return !strcmp(path, APK_DB);
}

/* The record being read. */
struct apk_rec {
	struct catalog *c;
	const struct cat_blob *blob;
	size_t first_line;        /* for warnings */
	char *name, *version, *arch, *origin, *maintainer, *url, *license;
	struct strvec depends;
	struct strvec files;
	char *dir;                /* the last F:, "" before any */
	bool any;                 /* a field was seen */
	size_t start, end;        /* its bytes in the file: first line to last newline */
};

static void rec_reset(struct apk_rec *r)
{
	free(r->name);
	free(r->version);
	free(r->arch);
	free(r->origin);
	free(r->maintainer);
	free(r->url);
	free(r->license);
	free(r->dir);
	strvec_clear(&r->depends);
	strvec_clear(&r->files);
	struct catalog *c = r->c;
	const struct cat_blob *blob = r->blob;
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->blob = blob;
}

/* A repeated field keeps its last value, as apk itself does. */
static void set_field(char **slot, const char *v, size_t n)
{
	free(*slot);
	*slot = cat_strndup(v, n);
}

/* Is this D: token a package name (not a shared object, command, file or
 * conflict), and how long is the name before its version constraint or
 * repository pin ("musl>=1.2", "foo@edge", "bar~1.2")? */
static size_t dep_name_len(const char *t, size_t n)
{
	if (!n || t[0] == '!' || t[0] == '/')
		return 0;
	if ((n > 3 && !memcmp(t, "so:", 3)) || (n > 4 && !memcmp(t, "cmd:", 4)) ||
	    (n > 3 && !memcmp(t, "pc:", 3)))
		return 0;
	size_t k = 0;
	while (k < n && !strchr("<>=~@", t[k]))
		k++;
	return k;
}

static void add_depends(struct apk_rec *r, const char *v, size_t n)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		size_t start = i;
		while (i < n && v[i] != ' ' && v[i] != '\t')
			i++;
		size_t k = dep_name_len(v + start, i - start);
		if (k)
			strvec_take(&r->depends, cat_strndup(v + start, k));
	}
}

static void add_file(struct apk_rec *r, const char *v, size_t n, size_t line)
{
	char *name = cat_strndup(v, n);
	char *joined = r->dir && *r->dir ? xasprintf("%s/%s", r->dir, name) : xstrdup(name);
	char *clean = cat_clean_path(joined);
	if (clean)
		strvec_take(&r->files, clean);
	else
		cat_warn(r->c, r->blob->path, "line %zu: bad file path '%s'", line, joined);
	free(joined);
	free(name);
}

static void rec_field(struct apk_rec *r, char key, const char *v, size_t n, size_t line)
{
	switch (key) {
	case 'P': set_field(&r->name, v, n); break;
	case 'V': set_field(&r->version, v, n); break;
	case 'A': set_field(&r->arch, v, n); break;
	case 'o': set_field(&r->origin, v, n); break;
	case 'm': set_field(&r->maintainer, v, n); break;
	case 'U': set_field(&r->url, v, n); break;
	case 'L': set_field(&r->license, v, n); break;
	case 'D': add_depends(r, v, n); break;
	case 'F': set_field(&r->dir, v, n); break;
	case 'R': add_file(r, v, n, line); break;
	default: break;   /* C, S, I, T, t, c, p, i, k, r, q, a, M, Z, … */
	}
}

/* An empty string is as good as none. */
static char *take_nonempty(char **s)
{
	if (*s && !**s) {
		free(*s);
		*s = NULL;
	}
	return steal_pointer(s);
}

static void rec_finish(struct apk_rec *r)
{
	if (!r->any)
		return;
	if (!r->name || !*r->name || !r->version || !*r->version) {
		cat_warn(r->c, r->blob->path, "line %zu: package without %s", r->first_line,
			 !r->name || !*r->name ? "name (P:)" : "version (V:)");
		rec_reset(r);
		return;
	}
	struct cat_pkg *p = cat_add_pkg(r->c, PKG_APK, r->blob);
	p->record = r->start;
	p->record_len = r->end - r->start;
	p->name = steal_pointer(&r->name);
	p->version = steal_pointer(&r->version);
	p->arch = take_nonempty(&r->arch);
	p->src_name = take_nonempty(&r->origin);
	p->supplier = take_nonempty(&r->maintainer);
	p->homepage = take_nonempty(&r->url);
	p->license = take_nonempty(&r->license);
	p->depends = r->depends;
	p->files = r->files;
	memset(&r->depends, 0, sizeof(r->depends));
	memset(&r->files, 0, sizeof(r->files));
	rec_reset(r);
}

static void parse_line(struct apk_rec *r, const char *s, size_t n, size_t line)
{
	if (n && s[n - 1] == '\r')
		n--;
	if (n < 2 || s[1] != ':') {
		cat_warn(r->c, r->blob->path, "line %zu: not a field", line);
		return;
	}
	if (!r->any)
		r->first_line = line;
	r->any = true;
	rec_field(r, s[0], s + 2, n - 2, line);
}

static void parse_db(struct catalog *c, const struct cat_blob *b)
{
	struct apk_rec r = { .c = c, .blob = b };
	const char *s = b->data, *end = b->data + b->len;
	size_t line = 0;
	bool open = false;        /* a line of a record was seen since the last blank one */
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		/* The last line of a cut-off file is partial, and so its record. */
		if (!nl && b->truncated)
			break;
		const char *e = nl ? nl : end;
		line++;
		if (e == s || (e == s + 1 && *s == '\r')) {
			rec_finish(&r);
			open = false;
		} else {
			/* the record's bytes: its first line, read or not, to its last newline */
			size_t start = open ? r.start : (size_t)(s - b->data);
			parse_line(&r, s, (size_t)(e - s), line);
			r.start = start;
			r.end = (size_t)((nl ? nl + 1 : end) - b->data);
			open = true;
		}
		s = nl ? nl + 1 : end;
	}
	if (b->truncated)
		cat_warn(c, b->path, "file is truncated; its last package was skipped");
	else
		rec_finish(&r);
	rec_reset(&r);
}

void apk_collect(struct catalog *c, const struct cat_input *in)
{
	const struct cat_blob *b = cat_input_get(in, APK_DB);
	if (b)
		parse_db(c, b);
}
