/* Debian OVAL XML (https://www.debian.org/security/oval/oval-definitions-
 * <codename>.xml[.bz2]), streamed: libarchive's raw format undoes the
 * compression (bzip2, gzip, xz or none) into libxml2's pull reader, so the
 * document is never in memory whole.
 *
 * A <definition class="vulnerability"> names its CVE (metadata/title
 * "CVE-2023-1234 glibc", or a reference source="CVE"), its description and
 * its platform ("Debian GNU/Linux 12" → "Debian:12"); its criteria point at
 * tests by id. A dpkginfo_test points at an object (the source package's
 * name) and a state (evr operation="less than": the fixed version). The
 * sections come one after the other (definitions, tests, objects, states),
 * so a definition's rows are written at the end, once every id is known;
 * what is kept until then is small (ids and names, no descriptions).
 *
 * Debian writes "less than 0:0" for a CVE with no fix in the release
 * (VDB_OPEN). Its versions carry an epoch always ("0:2.2-1"): epoch 0 is
 * dropped, as dpkg compares "0:2.2-1" and "2.2-1" equal; others are kept.
 *
 * Untrusted input: no entity substitution, no DTD loading, no network
 * (XML_PARSE_NONET), libxml2's default size limits (no XML_PARSE_HUGE);
 * kept text is cut short and counts of definitions, tests, objects and
 * states are bounded. */
#include "import_internal.h"

#include <archive.h>
#include <errno.h>
#include <libxml/xmlreader.h>
#include <string.h>

#define OVAL_SUMMARY_MAX 500        /* bytes of a description kept */
#define OVAL_TEXT_MAX 4096          /* any other text: longer is malformed */
#define OVAL_MAX_ITEMS (1u << 22)   /* definitions, criteria, tests, objects, states */

/* An id → value table; keys and values owned. */
struct table {
	struct strvec keys;
	struct strvec a, b;   /* values (b only for tests: object, state) */
	struct strmap map;
};

struct def {
	char *id, *ecosystem;
	size_t first, n;   /* its test refs, in oval.refs */
};

enum container { C_NONE, C_DEF, C_TEST, C_OBJECT, C_STATE };

struct oval {
	struct vdb_import *im;
	const char *path;
	struct archive *ar;
	struct qerr xml_err;      /* the reader's first error */
	struct qerr io_err;       /* the decompressor's */

	struct def *defs;
	size_t n_defs, cap_defs;
	struct strmap advisories;   /* CVE → its first definition (keys are defs[].id) */
	struct strvec refs;
	struct table tests, objects, states;
	size_t skipped_patch;

	/* the element being read */
	enum container in;
	int in_depth;
	struct strbuf *capture;   /* text of the element at capture_depth goes here */
	int capture_depth;
	size_t capture_max;
	bool capture_long;

	/* the current definition / test / object / state */
	char *cur_id;
	struct strbuf title, description, platform, text;
	char *ref_cve;
	char *t_object, *t_state;
	char *s_op;
	size_t first_ref;
};

static void table_put(struct oval *o, struct table *t, const char *key, const char *a,
		      const char *b)
{
	if (strmap_get(&t->map, key, NULL)) {
		vdb_import_warn(o->im, "oval: '%.80s' is defined twice; the first is kept", key);
		return;
	}
	strvec_push(&t->keys, key);
	strvec_push(&t->a, a ? a : "");
	strvec_push(&t->b, b ? b : "");
	strmap_put(&t->map, t->keys.v[t->keys.n - 1], t->keys.n - 1);
}

static void table_release(struct table *t)
{
	strmap_release(&t->map);
	strvec_clear(&t->keys);
	strvec_clear(&t->a);
	strvec_clear(&t->b);
}

/* ---- input: libarchive raw → libxml2 ------------------------------------------ */

static int read_cb(void *ctx, char *buf, int len)
{
	struct oval *o = ctx;
	la_ssize_t n = archive_read_data(o->ar, buf, (size_t)len);
	if (n < 0) {
		if (!o->io_err.msg[0])
			q_error(&o->io_err, archive_errno(o->ar), "%s",
				archive_error_string(o->ar) ?: "decompression failed");
		return -1;
	}
	return (int)n;
}

static int close_cb(void *ctx)
{
	(void)ctx;
	return 0;
}

#if LIBXML_VERSION >= 21200
static void xml_error(void *ctx, const xmlError *e)
#else
static void xml_error(void *ctx, xmlErrorPtr e)
#endif
{
	struct oval *o = ctx;
	if (o->xml_err.msg[0] || !e || e->level < XML_ERR_ERROR)
		return;
	const char *m = e->message ? e->message : "error";
	size_t n = strlen(m);
	while (n && m[n - 1] == '\n')
		n--;
	q_error(&o->xml_err, 0, "XML line %d: %.*s", e->line, (int)n, m);
}

/* ---- helpers ------------------------------------------------------------------- */

static char *attr(xmlTextReaderPtr r, const char *name)
{
	xmlChar *v = xmlTextReaderGetAttribute(r, (const xmlChar *)name);
	if (!v)
		return NULL;
	char *s = NULL;
	if (xmlStrlen(v) <= OVAL_TEXT_MAX)
		s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

static bool name_is(const xmlChar *n, const char *s)
{
	return n && !strcmp((const char *)n, s);
}

static void start_capture(struct oval *o, struct strbuf *sb, int depth, size_t max)
{
	strbuf_reset(sb);
	o->capture = sb;
	o->capture_depth = depth;
	o->capture_max = max;
	o->capture_long = false;
}

static void add_text(struct oval *o, const char *t)
{
	size_t n = strlen(t);
	struct strbuf *sb = o->capture;
	if (sb->len >= o->capture_max) {
		o->capture_long = o->capture_long || n > 0;
		return;
	}
	if (n > o->capture_max - sb->len) {
		n = o->capture_max - sb->len;
		o->capture_long = true;
		while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)   /* whole UTF-8 sequences */
			n--;
	}
	strbuf_add(sb, t, n);
}

/* Leading and trailing white space off, in place. */
static const char *trim(struct strbuf *sb)
{
	if (!sb->buf)
		return "";
	char *s = sb->buf;
	while (sb->len && strchr(" \t\r\n", s[sb->len - 1]))
		s[--sb->len] = 0;
	size_t k = strspn(s, " \t\r\n");
	if (k) {
		memmove(s, s + k, sb->len - k + 1);
		sb->len -= k;
	}
	return s;
}

/* A printable token without spaces, not too long: an id, a package name,
 * a version. */
static bool is_token(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

/* "Debian GNU/Linux 12" → "Debian:12". */
static char *platform_ecosystem(const char *p)
{
	static const char prefix[] = "Debian GNU/Linux ";
	if (!str_starts_with(p, prefix))
		return NULL;
	const char *v = p + sizeof(prefix) - 1;
	size_t n = strspn(v, "0123456789");
	if (n == 0 || n > 4 || v[n])
		return NULL;
	return xasprintf("Debian:%s", v);
}

static bool cve_like(const char *s)
{
	return (str_starts_with(s, "CVE-") || str_starts_with(s, "TEMP-")) && is_token(s, 64);
}

/* ---- definitions ---------------------------------------------------------------- */

static void def_reset(struct oval *o)
{
	free(o->cur_id);
	free(o->ref_cve);
	o->cur_id = o->ref_cve = NULL;
	strbuf_reset(&o->title);
	strbuf_reset(&o->description);
	strbuf_reset(&o->platform);
}

/* Forget the current definition's criteria. */
static void drop_refs(struct oval *o)
{
	while (o->refs.n > o->first_ref)
		free(o->refs.v[--o->refs.n]);
	if (o->refs.v)
		o->refs.v[o->refs.n] = NULL;
}

static int def_end(struct oval *o, struct qerr *err)
{
	const char *title = trim(&o->title);
	size_t n = strcspn(title, " \t");
	cleanup_free char *id = xstrndup(title, n);
	if (!cve_like(id)) {
		free(id);
		id = o->ref_cve ? xstrdup(o->ref_cve) : NULL;
	}
	const char *platform = trim(&o->platform);
	cleanup_free char *eco = platform_ecosystem(platform);
	size_t nrefs = o->refs.n - o->first_ref;
	if (!id || !eco) {
		vdb_import_warn(o->im, "oval: definition '%.80s': %s; skipped",
				o->cur_id ? o->cur_id : "(no id)",
				!id ? "no CVE id in its title or references"
				    : "no Debian platform (\"Debian GNU/Linux 12\")");
		goto drop;
	}
	if (o->n_defs >= OVAL_MAX_ITEMS)
		return q_error(err, 0, "'%s': more than %u definitions", o->path, OVAL_MAX_ITEMS);
	/* A CVE in several packages has a definition for each: one advisory. */
	if (!strmap_get(&o->advisories, id, NULL)) {
		const char *desc = trim(&o->description);
		struct vdb_advisory a = { .id = id, .summary = *desc ? desc : NULL };
		if (vdb_add_advisory(o->im, &a, err) < 0)
			return -1;
	}
	o->defs = xgrow(o->defs, &o->cap_defs, o->n_defs + 1, sizeof(*o->defs));
	o->defs[o->n_defs++] = (struct def){ .id = steal_pointer(&id),
					     .ecosystem = steal_pointer(&eco),
					     .first = o->first_ref, .n = nrefs };
	strmap_put(&o->advisories, o->defs[o->n_defs - 1].id, o->n_defs - 1);
	return 0;
drop:
	drop_refs(o);
	return 0;
}

/* ---- the pull loop -------------------------------------------------------------- */

static int on_start(struct oval *o, xmlTextReaderPtr r, const xmlChar *name, int depth,
		    bool empty, struct qerr *err)
{
	if (o->in == C_NONE) {
		enum container c = C_NONE;
		if (name_is(name, "definition")) {
			cleanup_free char *cls = attr(r, "class");
			if (!cls || strcmp(cls, "vulnerability")) {
				/* DSA "patch" definitions repeat the CVEs: skip the subtree */
				o->skipped_patch++;
				def_reset(o);
				o->in = C_DEF;
				o->in_depth = depth;
				o->first_ref = SIZE_MAX;
				return 0;
			}
			c = C_DEF;
		} else if (name_is(name, "dpkginfo_test")) {
			c = C_TEST;
		} else if (name_is(name, "dpkginfo_object")) {
			c = C_OBJECT;
		} else if (name_is(name, "dpkginfo_state")) {
			c = C_STATE;
		} else {
			return 0;
		}
		def_reset(o);
		free(o->t_object);
		free(o->t_state);
		free(o->s_op);
		o->t_object = o->t_state = o->s_op = NULL;
		strbuf_reset(&o->text);
		o->capture_long = false;
		o->cur_id = attr(r, "id");
		o->in = c;
		o->in_depth = depth;
		o->first_ref = o->refs.n;
		if (empty)
			BUG("empty element handled by the caller");
		return 0;
	}
	if (o->capture)
		return 0;   /* markup inside text we keep: its text still counts */
	switch (o->in) {
	case C_DEF:
		if (o->first_ref == SIZE_MAX)
			return 0;   /* a definition we skip */
		if (name_is(name, "title"))
			start_capture(o, &o->title, depth, OVAL_TEXT_MAX);
		else if (name_is(name, "description"))
			start_capture(o, &o->description, depth, OVAL_SUMMARY_MAX);
		else if (name_is(name, "platform") && !o->platform.len)
			start_capture(o, &o->platform, depth, OVAL_TEXT_MAX);
		else if (name_is(name, "reference") && !o->ref_cve) {
			cleanup_free char *src = attr(r, "source");
			cleanup_free char *ref = attr(r, "ref_id");
			if (src && !strcmp(src, "CVE") && ref && cve_like(ref))
				o->ref_cve = steal_pointer(&ref);
		} else if (name_is(name, "criterion")) {
			char *t = attr(r, "test_ref");
			if (!t)
				return 0;
			if (o->refs.n >= OVAL_MAX_ITEMS) {
				free(t);
				return q_error(err, 0, "'%s': more than %u criteria", o->path,
					       OVAL_MAX_ITEMS);
			}
			strvec_take(&o->refs, t);
		}
		break;
	case C_TEST:
		if (name_is(name, "object") && !o->t_object)
			o->t_object = attr(r, "object_ref");
		else if (name_is(name, "state") && !o->t_state)
			o->t_state = attr(r, "state_ref");
		break;
	case C_OBJECT:
		if (name_is(name, "name") && !o->text.len)
			start_capture(o, &o->text, depth, OVAL_TEXT_MAX);
		break;
	case C_STATE:
		if (name_is(name, "evr") && !o->text.len) {
			free(o->s_op);
			o->s_op = attr(r, "operation");
			start_capture(o, &o->text, depth, OVAL_TEXT_MAX);
		}
		break;
	case C_NONE:
		break;
	}
	if (empty && o->capture)
		o->capture = NULL;   /* <name/>: no text */
	return 0;
}

static int on_container_end(struct oval *o, struct qerr *err)
{
	enum container c = o->in;
	o->in = C_NONE;
	o->capture = NULL;
	if (c == C_DEF && o->first_ref == SIZE_MAX)
		return 0;
	if (!o->cur_id || !is_token(o->cur_id, 256)) {
		vdb_import_warn(o->im, "oval: an element without a usable id; skipped");
		if (c == C_DEF)
			drop_refs(o);
		return 0;
	}
	struct table *t = c == C_TEST ? &o->tests : c == C_OBJECT ? &o->objects : &o->states;
	if (c != C_DEF && t->keys.n >= OVAL_MAX_ITEMS)
		return q_error(err, 0, "'%s': more than %u tests, objects or states", o->path,
			       OVAL_MAX_ITEMS);
	switch (c) {
	case C_DEF:
		return def_end(o, err);
	case C_TEST:
		table_put(o, t, o->cur_id, o->t_object, o->t_state);
		break;
	case C_OBJECT:
		table_put(o, t, o->cur_id, o->capture_long ? "" : trim(&o->text), NULL);
		break;
	case C_STATE:
		table_put(o, t, o->cur_id, o->capture_long ? "" : trim(&o->text), o->s_op);
		break;
	case C_NONE:
		break;
	}
	return 0;
}

static int pull(struct oval *o, xmlTextReaderPtr r, struct qerr *err)
{
	int rc;
	while ((rc = xmlTextReaderRead(r)) == 1) {
		int type = xmlTextReaderNodeType(r);
		int depth = xmlTextReaderDepth(r);
		switch (type) {
		case XML_READER_TYPE_ELEMENT: {
			bool empty = xmlTextReaderIsEmptyElement(r) == 1;
			const xmlChar *name = xmlTextReaderConstLocalName(r);
			if (o->in == C_NONE && empty)
				break;   /* an empty definition/test/object/state says nothing */
			if (on_start(o, r, name, depth, empty, err) < 0)
				return -1;
			break;
		}
		case XML_READER_TYPE_END_ELEMENT:
			if (o->capture && depth == o->capture_depth)
				o->capture = NULL;
			else if (o->in != C_NONE && depth == o->in_depth &&
				 on_container_end(o, err) < 0)
				return -1;
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
		case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		case XML_READER_TYPE_WHITESPACE:
			if (o->capture) {
				const xmlChar *v = xmlTextReaderConstValue(r);
				if (v)
					add_text(o, (const char *)v);
			}
			break;
		default:
			break;   /* comments, PIs, entity references (never expanded) */
		}
	}
	if (rc < 0 || o->io_err.msg[0] || o->xml_err.msg[0]) {
		if (o->io_err.msg[0])
			return q_error(err, o->io_err.errnum, "'%s': %s", o->path, o->io_err.msg);
		return q_error(err, 0, "'%s': %s", o->path,
			       o->xml_err.msg[0] ? o->xml_err.msg : "XML: unreadable document");
	}
	return 0;
}

/* ---- resolving: definition → test → object + state → rows ------------------------ */

static const char *lookup(const struct table *t, const char *key, size_t *i)
{
	return key && strmap_get(&t->map, key, i) ? t->keys.v[*i] : NULL;
}

static int emit(struct oval *o, struct qerr *err)
{
	for (size_t d = 0; d < o->n_defs; d++) {
		const struct def *df = &o->defs[d];
		size_t rows = 0;
		for (size_t k = 0; k < df->n; k++) {
			size_t ti, oi, si;
			if (!lookup(&o->tests, o->refs.v[df->first + k], &ti))
				continue;   /* not a dpkginfo test: the release or architecture check */
			const char *oref = o->tests.a.v[ti], *sref = o->tests.b.v[ti];
			const char *pkg = lookup(&o->objects, oref, &oi) ? o->objects.a.v[oi] : NULL;
			if (!pkg || !is_token(pkg, 256)) {
				vdb_import_warn(o->im, "oval: %s: test '%.80s' names no package",
						df->id, o->refs.v[df->first + k]);
				continue;
			}
			struct vdb_affected f = { .advisory = df->id, .ecosystem = df->ecosystem,
						  .package = pkg, .status = VDB_OPEN };
			if (*sref) {
				const char *evr = lookup(&o->states, sref, &si) ? o->states.a.v[si]
										 : NULL;
				const char *op = evr ? o->states.b.v[si] : NULL;
				if (!evr || !is_token(evr, 256) || !op || strcmp(op, "less than")) {
					vdb_import_warn(o->im, "oval: %s %s: state '%.80s' is not "
							       "\"less than\" a version; skipped",
							df->id, pkg, sref);
					continue;
				}
				const char *v = str_starts_with(evr, "0:") ? evr + 2 : evr;
				if (!*v) {
					vdb_import_warn(o->im, "oval: %s %s: empty version", df->id,
							pkg);
					continue;
				}
				if (strcmp(v, "0"))   /* "less than 0:0": no fix yet */
					f.status = VDB_AFFECTED, f.fixed = v;
			}
			if (vdb_add_affected(o->im, &f, err) < 0)
				return -1;
			rows++;
		}
		if (rows == 0)
			vdb_import_warn(o->im, "oval: %s: no package test (dpkginfo_test) to read",
					df->id);
	}
	return 0;
}

/* ---- the importer ----------------------------------------------------------------- */

static void oval_release(struct oval *o)
{
	for (size_t i = 0; i < o->n_defs; i++) {
		free(o->defs[i].id);
		free(o->defs[i].ecosystem);
	}
	free(o->defs);
	strmap_release(&o->advisories);
	strvec_clear(&o->refs);
	table_release(&o->tests);
	table_release(&o->objects);
	table_release(&o->states);
	free(o->cur_id);
	free(o->ref_cve);
	free(o->t_object);
	free(o->t_state);
	free(o->s_op);
	strbuf_release(&o->title);
	strbuf_release(&o->description);
	strbuf_release(&o->platform);
	strbuf_release(&o->text);
}

static int open_input(struct oval *o, struct qerr *err)
{
	o->ar = archive_read_new();
	if (!o->ar)
		return q_error(err, ENOMEM, "'%s'", o->path);
	/* Only in-process decoders: filter_all would also run external programs. */
	archive_read_support_filter_bzip2(o->ar);
	archive_read_support_filter_gzip(o->ar);
	archive_read_support_filter_xz(o->ar);
	archive_read_support_filter_zstd(o->ar);
	archive_read_support_format_raw(o->ar);
	struct archive_entry *e;
	if (archive_read_open_filename(o->ar, o->path, 64 * 1024) != ARCHIVE_OK)
		return q_error(err, archive_errno(o->ar), "'%s': %s", o->path,
			       archive_error_string(o->ar) ?: "cannot open");
	int rc = archive_read_next_header(o->ar, &e);
	if (rc == ARCHIVE_EOF)
		return q_error(err, 0, "'%s': empty file: not Debian OVAL XML", o->path);
	if (rc < ARCHIVE_WARN)
		return q_error(err, archive_errno(o->ar), "'%s': %s", o->path,
			       archive_error_string(o->ar) ?: "cannot read");
	return 0;
}

int import_debian_oval(struct vdb_import *im, const char *path, struct qerr *err)
{
	struct oval o = { .im = im, .path = path, .refs = STRVEC_INIT };
	int rc = open_input(&o, err);
	xmlTextReaderPtr r = NULL;
	if (rc == 0) {
		/* No XML_PARSE_NOENT (entities are not substituted: no billion laughs), no
		 * XML_PARSE_DTDLOAD (no external DTD), no network, no XML_PARSE_HUGE. */
		r = xmlReaderForIO(read_cb, close_cb, &o, NULL, NULL,
				   XML_PARSE_NONET | XML_PARSE_NOCDATA);
		if (!r)
			rc = q_error(err, 0, "'%s': cannot start the XML reader", path);
	}
	if (rc == 0) {
		xmlTextReaderSetStructuredErrorHandler(r, xml_error, &o);
		rc = pull(&o, r, err);
	}
	if (r)
		xmlFreeTextReader(r);
	if (o.ar)
		archive_read_free(o.ar);
	if (rc == 0 && o.n_defs == 0 && o.skipped_patch == 0 && o.tests.keys.n == 0)
		rc = q_error(err, 0, "'%s': no OVAL definitions in it: not Debian OVAL XML", path);
	if (rc == 0)
		rc = emit(&o, err);
	oval_release(&o);
	return rc;
}
