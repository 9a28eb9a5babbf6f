/* ldcache: glibc's /etc/ld.so.cache, read and written.
 *
 * The file the dynamic loader consults for a soname before it searches the
 * default directories. Its layout (little-endian, as the header's flags
 * byte says):
 *
 *   [old part: "ld.so-1.7.0", nlibs, nlibs × 12 bytes, padded to 8]   optional
 *   header (48): "glibc-ld.so.cache1.1", nlibs, len_strings, flags byte,
 *                3 pad, extension_offset, 3 unused words
 *   nlibs × 24:  flags (int32), key, value (string offsets), osversion,
 *                hwcap (uint64)
 *   string table: NUL-terminated strings
 *   extension directory (4-aligned): magic, count, count × {tag, flags,
 *                offset, size}; tag 0 the generator's name, tag 1 the
 *                glibc-hwcaps subdirectory names (string offsets)
 *
 * String offsets count from the new header; extension offsets from the
 * start of the file. The file is untrusted (an image's, or the host's read
 * as bytes): every offset and count is checked against its length. An
 * entry whose strings run off the end is skipped, as the loader skips it;
 * a header or extension directory that does not fit is an error, as the
 * loader then ignores the whole file.
 */
#include "catalog/catalog.h"

#include <string.h>

#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_HDR 48u
#define NEW_ENTRY 24u
#define OLD_HDR 16u
#define OLD_ENTRY 12u
#define EXT_MAGIC 0xeaa42174u
#define EXT_TAG_GENERATOR 0u
#define EXT_TAG_HWCAPS 1u
#define EXT_SECTION 16u
#define FLAGS_ENDIAN_MASK 3u
#define FLAGS_ENDIAN_BIG 3u

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The NUL-terminated string at off of the table, or NULL when it runs off. */
static const char *ldstr(const unsigned char *base, size_t len, uint32_t off)
{
	if (off >= len || !memchr(base + off, '\0', len - off))
		return NULL;
	return (const char *)base + off;
}

/* Where the new header starts: 0, or after the old table (glibc < 2.32's
 * default "compat" format), 8-aligned. */
static int new_start(const unsigned char *p, size_t len, size_t *start, struct qerr *err)
{
	*start = 0;
	if (len < OLD_HDR || memcmp(p, OLD_MAGIC, strlen(OLD_MAGIC)))
		return 0;
	uint64_t n = le32(p + 12);
	uint64_t end = (OLD_HDR + n * OLD_ENTRY + 7) & ~(uint64_t)7;
	if (end > len)
		return q_error(err, 0, "ld.so.cache: old table runs past the end");
	*start = (size_t)end;
	return 0;
}

static void entry_add(struct ldcache *c, const struct ldcache_entry *e)
{
	c->v = xgrow(c->v, &c->cap, c->n + 1, sizeof(*c->v));
	c->v[c->n++] = *e;
}

/* The generator's name and the glibc-hwcaps subdirectory names. */
static int parse_section(const unsigned char *p, size_t len, size_t start, const unsigned char *s,
			 struct ldcache *c, struct qerr *err)
{
	uint32_t tag = le32(s), off = le32(s + 8), size = le32(s + 12);
	if (tag != EXT_TAG_GENERATOR && tag != EXT_TAG_HWCAPS)
		return 0;   /* a later glibc's; the loader skips it too */
	if (off > len || size > len - off)
		return q_error(err, 0, "ld.so.cache: extension section %u runs past the end", tag);
	if (tag == EXT_TAG_GENERATOR) {
		free(c->generator);
		c->generator = xstrndup((const char *)p + off, size);
		return 0;
	}
	if (size % 4 || off % 4)
		return q_error(err, 0, "ld.so.cache: glibc-hwcaps section misaligned");
	strvec_clear(&c->hwcaps);
	for (uint32_t i = 0; i < size / 4; i++) {
		const char *name = ldstr(p + start, len - start, le32(p + off + 4 * i));
		if (!name)
			return q_error(err, 0, "ld.so.cache: glibc-hwcaps name %u runs past the end",
				       i);
		strvec_push(&c->hwcaps, name);
	}
	return 0;
}

static int parse_extensions(const unsigned char *p, size_t len, size_t start, uint32_t off,
			    struct ldcache *c, struct qerr *err)
{
	if (off == 0)
		return 0;
	if (off % 4 || off > len || len - off < 8 || le32(p + off) != EXT_MAGIC)
		return q_error(err, 0, "ld.so.cache: no extension directory at %u", off);
	uint64_t count = le32(p + off + 4);
	if (count > (len - off - 8) / EXT_SECTION)
		return q_error(err, 0, "ld.so.cache: %llu extension sections do not fit",
			       (unsigned long long)count);
	for (uint64_t i = 0; i < count; i++)
		if (parse_section(p, len, start, p + off + 8 + i * EXT_SECTION, c, err) < 0)
			return -1;
	return 0;
}

int ldcache_parse(const void *data, size_t len, struct ldcache *c, struct qerr *err)
{
	const unsigned char *p = data;
	*c = (struct ldcache)LDCACHE_INIT;
	size_t start;
	if (new_start(p, len, &start, err) < 0)
		return -1;
	const unsigned char *h = p + start;
	size_t hlen = len - start;
	if (hlen < NEW_HDR || memcmp(h, NEW_MAGIC, strlen(NEW_MAGIC)))
		return q_error(err, 0, "ld.so.cache: not a glibc-ld.so.cache1.1 file");
	if ((h[28] & FLAGS_ENDIAN_MASK) == FLAGS_ENDIAN_BIG)
		return q_error(err, 0, "ld.so.cache: a big-endian cache");
	uint64_t nlibs = le32(h + 20);
	if (nlibs > (hlen - NEW_HDR) / NEW_ENTRY)
		return q_error(err, 0, "ld.so.cache: %llu entries do not fit in %zu bytes",
			       (unsigned long long)nlibs, len);
	c->flags = h[28];
	if (parse_extensions(p, len, start, le32(h + 32), c, err) < 0) {
		ldcache_release(c);
		return -1;
	}
	for (uint64_t i = 0; i < nlibs; i++) {
		const unsigned char *e = h + NEW_HDR + i * NEW_ENTRY;
		const char *key = ldstr(h, hlen, le32(e + 4));
		const char *value = ldstr(h, hlen, le32(e + 8));
		if (!key || !value)
			continue;
		struct ldcache_entry ent = { (int32_t)le32(e), xstrdup(key), xstrdup(value),
					     le32(e + 12), le64(e + 16) };
		entry_add(c, &ent);
	}
	return 0;
}

void ldcache_release(struct ldcache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].value);
	}
	free(c->v);
	free(c->generator);
	strvec_clear(&c->hwcaps);
	*c = (struct ldcache)LDCACHE_INIT;
}

/* ---- writing ------------------------------------------------------------------------------ */

static void put32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	strbuf_add(sb, b, 4);
}

static void put64(struct strbuf *sb, uint64_t v)
{
	put32(sb, (uint32_t)v);
	put32(sb, (uint32_t)(v >> 32));
}

/* The string table: each distinct string once, in order of first use. */
struct strtab {
	struct strbuf buf;
	struct strmap at;      /* string → offset in buf */
};

static uint32_t strtab_add(struct strtab *t, const char *s)
{
	size_t off;
	if (strmap_get(&t->at, s, &off))
		return (uint32_t)off;
	off = t->buf.len;
	strbuf_add(&t->buf, s, strlen(s) + 1);
	strmap_put(&t->at, s, off);
	return (uint32_t)off;
}

/* The extension directory, at f->len (4-aligned): the generator's name,
 * then the glibc-hwcaps names (string offsets, in hwcaps). */
static void write_extensions(const struct ldcache *c, const uint32_t *hwcaps, struct strbuf *f)
{
	uint32_t count = (c->generator != NULL) + (c->hwcaps.n > 0);
	uint32_t data = (uint32_t)f->len + 8 + count * EXT_SECTION;
	uint32_t gen_len = c->generator ? (uint32_t)strlen(c->generator) : 0;
	uint32_t hw_at = (data + gen_len + 3) & ~3u;
	put32(f, EXT_MAGIC);
	put32(f, count);
	if (c->generator) {
		put32(f, EXT_TAG_GENERATOR);
		put32(f, 0);
		put32(f, data);
		put32(f, gen_len);
	}
	if (c->hwcaps.n) {
		put32(f, EXT_TAG_HWCAPS);
		put32(f, 0);
		put32(f, hw_at);
		put32(f, (uint32_t)c->hwcaps.n * 4);
	}
	if (gen_len)
		strbuf_add(f, c->generator, gen_len);
	while (f->len % 4)
		strbuf_addc(f, '\0');
	for (size_t i = 0; i < c->hwcaps.n; i++)
		put32(f, hwcaps[i]);
}

/* As ldconfig lays it out (new format only, which glibc >= 2.32 writes
 * and is all it reads): header, entries, strings, extension directory. */
void ldcache_write(const struct ldcache *c, struct strbuf *out)
{
	struct strtab t = { STRBUF_INIT, STRMAP_INIT };
	uint32_t strings_at = NEW_HDR + (uint32_t)c->n * NEW_ENTRY;
	uint32_t *hwcaps = xcalloc(c->hwcaps.n + 1, sizeof(*hwcaps));
	struct strbuf entries = STRBUF_INIT, f = STRBUF_INIT;
	for (size_t i = 0; i < c->n; i++) {
		const struct ldcache_entry *e = &c->v[i];
		put32(&entries, (uint32_t)e->flags);
		put32(&entries, strings_at + strtab_add(&t, e->key));
		put32(&entries, strings_at + strtab_add(&t, e->value));
		put32(&entries, e->osversion);
		put64(&entries, e->hwcap);
	}
	for (size_t i = 0; i < c->hwcaps.n; i++)
		hwcaps[i] = strings_at + strtab_add(&t, c->hwcaps.v[i]);
	bool ext = c->generator || c->hwcaps.n;
	uint32_t ext_at = ext ? (strings_at + (uint32_t)t.buf.len + 3) & ~3u : 0;
	strbuf_add(&f, NEW_MAGIC, strlen(NEW_MAGIC));
	put32(&f, (uint32_t)c->n);
	put32(&f, (uint32_t)t.buf.len);
	unsigned char flags[4] = { c->flags, 0, 0, 0 };
	strbuf_add(&f, flags, 4);
	put32(&f, ext_at);
	for (int i = 0; i < 3; i++)
		put32(&f, 0);
	if (entries.len)
		strbuf_add(&f, entries.buf, entries.len);
	if (t.buf.len)
		strbuf_add(&f, t.buf.buf, t.buf.len);
	if (ext) {
		while (f.len % 4)
			strbuf_addc(&f, '\0');
		write_extensions(c, hwcaps, &f);
	}
	strbuf_add(out, f.buf, f.len);
	strbuf_release(&f);
	strbuf_release(&entries);
	strbuf_release(&t.buf);
	strmap_release(&t.at);
	free(hwcaps);
}
