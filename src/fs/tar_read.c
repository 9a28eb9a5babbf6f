/* Tar reader: a pull parser over a byte_source.
 *
 * The archive is hostile. Every header is checksummed, every number parsed
 * strictly and range-checked, every allocation bounded by a limit from fs.h
 * before it is made, and a short read inside a header or an entry's data is
 * an error ("unexpected end of stream"). The end is lenient: two zero
 * blocks, one zero block then EOF, or EOF at a block boundary all end the
 * archive cleanly.
 *
 * Where formats leave room for interpretation we follow Go's archive/tar,
 * which is what Docker, containerd and the registries use: an image must
 * mean the same thing to us as to the runtime that will unpack it. So:
 *   - hard links, symlinks, devices, FIFOs and directories carry no data,
 *     whatever their size field says;
 *   - only the old typeflag '\0' turns into a directory when the name ends
 *     in '/';
 *   - a zero block followed by a non-zero block is an error;
 *   - the last 'x' header before an entry wins (they are not merged).
 * Typeflags we cannot represent ('D', 'M', 'N', vendor extensions …) are an
 * error naming the entry rather than silently becoming regular files, as
 * Docker's and containerd's extractors refuse them too. GNU volume labels
 * ('V') and global pax headers ('g') carry no file and are skipped.
 *
 * Data is returned zero-copy from a READ_BUF buffer; unread data is skipped
 * with the source's skip callback when the gap is large, so indexing a
 * docker-archive costs one lseek per blob.
 */
#include "fs/fs.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>

#define BLOCK 512
#define READ_BUF (512u * 1024)          /* a multiple of BLOCK */

/* Field offsets in a 512-byte header (ustar, with GNU's reuse of the
 * prefix area for sparse maps and star's trailer). */
enum {
	H_NAME = 0, H_MODE = 100, H_UID = 108, H_GID = 116, H_SIZE = 124,
	H_MTIME = 136, H_CHKSUM = 148, H_TYPE = 156, H_LINK = 157,
	H_MAGIC = 257, H_VERSION = 263, H_UNAME = 265, H_GNAME = 297,
	H_DEVMAJ = 329, H_DEVMIN = 337, H_PREFIX = 345,
	GNU_SPARSE = 386, GNU_ISEXT = 482, GNU_REALSIZE = 483,
	STAR_TRAILER = 508,
	SPARSE_ENTRY = 24,              /* offset[12] + numbytes[12] */
	GNU_HDR_SPARSE = 4,             /* entries in an 'S' header */
	GNU_EXT_SPARSE = 21,            /* entries in an extension block */
	GNU_EXT_ISEXT = 504,
};

enum hdr_format { FMT_V7, FMT_USTAR, FMT_STAR, FMT_GNU };

/* One header block, decoded. Copied out of the buffer because reading
 * GNU sparse extension blocks may move the buffer under it. */
struct hdr {
	char type;
	enum hdr_format fmt;
	char name[100 + 1 + 155 + 1];   /* prefix "/" name */
	char link[101];
	char uname[33], gname[33];
	int64_t mode, uid, gid, size, mtime, devmajor, devminor, realsize;
	bool isext;
};

/* What 'x', 'L' and 'K' headers say about the next entry. */
struct meta {
	char *long_path, *long_link;    /* GNU 'L', 'K' */
	char *path, *link, *uname, *gname;
	bool has_size, has_uid, has_gid, has_mtime;
	uint64_t size, uid, gid;
	int64_t mtime;
	uint32_t mtime_nsec;
	struct tar_xattr *xattrs;
	size_t n_xattrs, cap_xattrs;
	/* GNU.sparse.* and the old 'S' map */
	bool sparse;
	uint64_t sparse_major, sparse_minor;
	char *sparse_name;
	bool has_realsize, has_numblocks;
	uint64_t realsize, numblocks;
	struct tar_sparse_chunk *map;
	size_t n_map, cap_map;
	bool map_open;                  /* 0.0: an offset waits for its numbytes */
};

enum reader_state { ST_ENTRY, ST_END, ST_FAILED };

struct tar_reader {
	struct byte_source src;
	unsigned char *buf;
	size_t pos, len;                /* unread bytes are buf[pos, len) */
	uint64_t src_off;               /* bytes taken from the source, skips included */
	bool src_eof;
	enum reader_state state;
	struct tar_entry e;
	bool have_entry;
	struct meta m;
	uint64_t hdr_off;               /* offset of the header being parsed */
	uint64_t data_off;
	uint64_t remain;                /* stored data bytes not yet returned */
	uint64_t pad;                   /* zero padding after the data */
	uint64_t logical;               /* where the next data byte goes in the file */
	size_t chunk;                   /* sparse: next chunk to start */
	uint64_t chunk_left;            /* sparse: bytes left in the current chunk */
};

/* ---- entries ----------------------------------------------------------- */

void tar_entry_release(struct tar_entry *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->link);
	free(e->uname);
	free(e->gname);
	for (size_t i = 0; i < e->n_xattrs; i++) {
		free(e->xattrs[i].name);
		free(e->xattrs[i].value);
	}
	free(e->xattrs);
	free(e->sparse);
	memset(e, 0, sizeof(*e));
}

static void free_xattrs(struct tar_xattr *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	free(x);
}

/* Forget what the last 'x' header said (a new one replaces it). */
static void meta_clear_pax(struct meta *m)
{
	free(m->path);
	free(m->link);
	free(m->uname);
	free(m->gname);
	free(m->sparse_name);
	free(m->map);
	free_xattrs(m->xattrs, m->n_xattrs);
	char *lp = m->long_path, *ll = m->long_link;
	memset(m, 0, sizeof(*m));
	m->long_path = lp;
	m->long_link = ll;
}

static void meta_clear(struct meta *m)
{
	free(m->long_path);
	free(m->long_link);
	m->long_path = m->long_link = NULL;
	meta_clear_pax(m);
}

/* ---- errors ------------------------------------------------------------ */

/* Fail the reader with a message naming the entry (or, before its name is
 * known, the header's offset). Every later call fails too. */
PRINTF_LIKE(3, 4)
static int fail(struct tar_reader *tr, struct qerr *err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tr->state = ST_FAILED;
	if (tr->e.path)
		return q_error(err, 0, "tar entry '%.200s': %s", tr->e.path, msg);
	return q_error(err, 0, "tar header at offset %" PRIu64 ": %s", tr->hdr_off, msg);
}

/* The source already filled err; add which entry was being read. */
static int fail_wrap(struct tar_reader *tr, struct qerr *err)
{
	tr->state = ST_FAILED;
	if (tr->e.path)
		return q_error_wrap(err, "tar entry '%.200s'", tr->e.path);
	return q_error_wrap(err, "tar header at offset %" PRIu64, tr->hdr_off);
}

static int fail_eof(struct tar_reader *tr, struct qerr *err)
{
	return fail(tr, err, "unexpected end of stream");
}

/* ---- buffered input ---------------------------------------------------- */

static uint64_t stream_pos(const struct tar_reader *tr)
{
	return tr->src_off - (tr->len - tr->pos);
}

/* Read more from the source after the buffered bytes. Returns bytes added,
 * 0 at the end of the source, -1 on error (reader failed). */
static ssize_t fill(struct tar_reader *tr, struct qerr *err)
{
	if (tr->pos == tr->len)
		tr->pos = tr->len = 0;
	if (tr->len == READ_BUF)
		BUG("tar reader: fill with a full buffer");
	if (tr->src_eof)
		return 0;
	size_t room = READ_BUF - tr->len;
	ssize_t n = tr->src.read(tr->src.ctx, tr->buf + tr->len, room, err);
	if (n < 0)
		return fail_wrap(tr, err);
	if ((size_t)n > room)
		return fail(tr, err, "source returned more bytes than asked for");
	if (n == 0)
		tr->src_eof = true;
	tr->len += (size_t)n;
	tr->src_off += (uint64_t)n;
	return n;
}

/* Make n (<= BLOCK) contiguous bytes available at buf + pos. Returns how
 * many are available (fewer than n only at the end of the source), or -1. */
static ssize_t ensure(struct tar_reader *tr, size_t n, struct qerr *err)
{
	if (tr->len - tr->pos >= n)
		return (ssize_t)n;
	if (READ_BUF - tr->pos < n) {
		memmove(tr->buf, tr->buf + tr->pos, tr->len - tr->pos);
		tr->len -= tr->pos;
		tr->pos = 0;
	}
	while (tr->len - tr->pos < n) {
		ssize_t r = fill(tr, err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
	}
	size_t have = tr->len - tr->pos;
	return (ssize_t)(have < n ? have : n);
}

/* Copy n bytes of the stream into dst; the end of the source is an error. */
static int copy_out(struct tar_reader *tr, void *dst, size_t n, struct qerr *err)
{
	unsigned char *d = dst;
	while (n > 0) {
		if (tr->pos == tr->len) {
			ssize_t r = fill(tr, err);
			if (r < 0)
				return -1;
			if (r == 0)
				return fail_eof(tr, err);
		}
		size_t k = tr->len - tr->pos;
		if (k > n)
			k = n;
		memcpy(d, tr->buf + tr->pos, k);
		tr->pos += k;
		d += k;
		n -= k;
	}
	return 0;
}

/* Skip n bytes. Small gaps go through the buffer (the next read needs it
 * anyway); big ones use the source's skip, an lseek for files. */
static int skip_bytes(struct tar_reader *tr, uint64_t n, struct qerr *err)
{
	while (n > 0) {
		size_t have = tr->len - tr->pos;
		if (have > 0) {
			size_t k = n < have ? (size_t)n : have;
			tr->pos += k;
			n -= k;
			continue;
		}
		if (tr->src.skip && n >= READ_BUF && !tr->src_eof) {
			if (tr->src.skip(tr->src.ctx, n, err) < 0)
				return fail_wrap(tr, err);
			tr->src_off += n;
			return 0;
		}
		ssize_t r = fill(tr, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return fail_eof(tr, err);
	}
	return 0;
}

/* ---- numbers ----------------------------------------------------------- */

/* A numeric header field: octal digits, optionally surrounded by spaces
 * and NULs (empty means 0), or GNU base-256 (first byte 0x80 positive,
 * 0xff negative, two's complement big-endian). */
static int parse_num(const unsigned char *f, size_t n, int64_t *out)
{
	if (f[0] & 0x80) {
		unsigned char inv = (f[0] & 0x40) ? 0xff : 0;
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = f[i] ^ inv;
			if (i == 0)
				c &= 0x7f;
			if (v >> 56)
				return -1;
			v = v << 8 | c;
		}
		if (v >> 63)
			return -1;
		*out = inv ? -(int64_t)v - 1 : (int64_t)v;
		return 0;
	}
	size_t b = 0, e = n;
	while (b < e && (f[b] == ' ' || f[b] == '\0'))
		b++;
	while (e > b && (f[e - 1] == ' ' || f[e - 1] == '\0'))
		e--;
	uint64_t v = 0;
	for (size_t i = b; i < e; i++) {
		if (f[i] < '0' || f[i] > '7')
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');   /* 12 digits at most: no overflow */
	}
	*out = (int64_t)v;
	return 0;
}

static int header_num(struct tar_reader *tr, const unsigned char *h, size_t off, size_t n,
		      const char *what, bool may_be_negative, int64_t *out, struct qerr *err)
{
	if (parse_num(h + off, n, out) < 0)
		return fail(tr, err, "invalid %s field", what);
	if (*out < 0 && !may_be_negative)
		return fail(tr, err, "negative %s", what);
	return 0;
}

/* A decimal from a PAX value (not NUL-terminated). */
static int pax_u64(const char *v, size_t vl, uint64_t max, uint64_t *out)
{
	char tmp[24];
	if (vl == 0 || vl >= sizeof(tmp))
		return -1;
	memcpy(tmp, v, vl);
	tmp[vl] = '\0';
	return parse_u64(tmp, max, out);
}

/* PAX times: "[-]seconds[.fraction]"; the fraction is kept to ns. The
 * whole int64 range is accepted, as a base-256 header can hold it. */
static int pax_time(const char *v, size_t vl, int64_t *sec, uint32_t *nsec)
{
	size_t i = 0;
	bool neg = vl > 0 && v[0] == '-';
	i += neg;
	uint64_t s = 0, max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	size_t start = i;
	for (; i < vl && v[i] >= '0' && v[i] <= '9'; i++) {
		unsigned d = (unsigned)(v[i] - '0');
		if (s > (max - d) / 10)
			return -1;
		s = s * 10 + d;
	}
	if (i == start)
		return -1;
	uint32_t ns = 0, scale = 100000000;
	if (i < vl && v[i] == '.') {
		for (i++; i < vl && v[i] >= '0' && v[i] <= '9'; i++) {
			ns += (uint32_t)(v[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (i != vl)
		return -1;
	*nsec = ns;
	if (!neg) {
		*sec = (int64_t)s;
		return 0;
	}
	if (ns && s == max)     /* below INT64_MIN */
		return -1;
	*sec = s == max ? INT64_MIN : -(int64_t)s;
	if (ns) {               /* -1.25 is 0.75 s after -2 */
		*sec -= 1;
		*nsec = 1000000000u - ns;
	}
	return 0;
}

/* ---- header blocks ----------------------------------------------------- */

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Some old tars summed signed chars; accept either sum. */
static bool checksum_ok(const unsigned char *h)
{
	int64_t stored;
	if (parse_num(h + H_CHKSUM, 8, &stored) < 0 || stored < 0)
		return false;
	int64_t u = 0, s = 0;
	for (size_t i = 0; i < BLOCK; i++) {
		bool in_field = i >= H_CHKSUM && i < H_CHKSUM + 8;
		u += in_field ? ' ' : h[i];
		s += in_field ? ' ' : (signed char)h[i];
	}
	return stored == u || stored == s;
}

static void field_str(char *dst, const unsigned char *f, size_t n)
{
	size_t l = strnlen((const char *)f, n);
	memcpy(dst, f, l);
	dst[l] = '\0';
}

static enum hdr_format header_format(const unsigned char *h)
{
	if (memcmp(h + H_MAGIC, "ustar\0", 6) == 0 && memcmp(h + H_VERSION, "00", 2) == 0)
		return memcmp(h + STAR_TRAILER, "tar\0", 4) == 0 ? FMT_STAR : FMT_USTAR;
	if (memcmp(h + H_MAGIC, "ustar ", 6) == 0 && memcmp(h + H_VERSION, " \0", 2) == 0)
		return FMT_GNU;
	return FMT_V7;
}

static void header_names(struct hdr *hd, const unsigned char *h)
{
	char name[101], prefix[156];
	field_str(name, h + H_NAME, 100);
	field_str(hd->link, h + H_LINK, 100);
	hd->uname[0] = hd->gname[0] = prefix[0] = '\0';
	if (hd->fmt != FMT_V7) {
		field_str(hd->uname, h + H_UNAME, 32);
		field_str(hd->gname, h + H_GNAME, 32);
	}
	/* star keeps atime and ctime after a 131-byte prefix */
	if (hd->fmt == FMT_USTAR)
		field_str(prefix, h + H_PREFIX, 155);
	else if (hd->fmt == FMT_STAR)
		field_str(prefix, h + H_PREFIX, 131);
	if (prefix[0])
		snprintf(hd->name, sizeof(hd->name), "%s/%s", prefix, name);
	else
		memcpy(hd->name, name, strlen(name) + 1);
}

static int parse_header(struct tar_reader *tr, const unsigned char *h, struct hdr *hd,
			struct qerr *err)
{
	if (!checksum_ok(h))
		return fail(tr, err, "bad header checksum (not a tar archive?)");
	memset(hd, 0, sizeof(*hd));
	hd->type = (char)h[H_TYPE];
	hd->fmt = header_format(h);
	header_names(hd, h);
	if (header_num(tr, h, H_MODE, 8, "mode", false, &hd->mode, err) < 0 ||
	    header_num(tr, h, H_UID, 8, "uid", false, &hd->uid, err) < 0 ||
	    header_num(tr, h, H_GID, 8, "gid", false, &hd->gid, err) < 0 ||
	    header_num(tr, h, H_SIZE, 12, "size", false, &hd->size, err) < 0 ||
	    header_num(tr, h, H_MTIME, 12, "mtime", true, &hd->mtime, err) < 0)
		return -1;
	if (hd->type == '3' || hd->type == '4') {
		if (header_num(tr, h, H_DEVMAJ, 8, "devmajor", false, &hd->devmajor, err) < 0 ||
		    header_num(tr, h, H_DEVMIN, 8, "devminor", false, &hd->devminor, err) < 0)
			return -1;
		if (hd->devmajor > UINT32_MAX || hd->devminor > UINT32_MAX)
			return fail(tr, err, "device number out of range");
	}
	return 0;
}

/* ---- PAX extended headers ---------------------------------------------- */

static bool key_is(const char *k, size_t kl, const char *want)
{
	return strlen(want) == kl && memcmp(k, want, kl) == 0;
}

static bool key_has_prefix(const char *k, size_t kl, const char *prefix)
{
	size_t pl = strlen(prefix);
	return kl > pl && memcmp(k, prefix, pl) == 0;
}

/* A string value: no NUL inside, bounded. Empty unsets (NULL). */
static int pax_str(struct tar_reader *tr, const char *k, size_t kl, const char *v, size_t vl,
		   char **slot, struct qerr *err)
{
	if (memchr(v, '\0', vl))
		return fail(tr, err, "pax %.*s contains a NUL byte", (int)kl, k);
	if (vl > TAR_MAX_PATH)
		return fail(tr, err, "pax %.*s longer than %d bytes", (int)kl, k, TAR_MAX_PATH);
	free(*slot);
	*slot = vl ? xstrndup(v, vl) : NULL;
	return 0;
}

/* Add or replace an xattr (libarchive writes both SCHILY. and LIBARCHIVE.
 * records for the same attribute). Takes name and value. */
static int meta_xattr(struct tar_reader *tr, char *name, unsigned char *value, size_t len,
		      struct qerr *err)
{
	struct meta *m = &tr->m;
	for (size_t i = 0; i < m->n_xattrs; i++) {
		if (strcmp(m->xattrs[i].name, name) == 0) {
			free(name);
			free(m->xattrs[i].value);
			m->xattrs[i].value = value;
			m->xattrs[i].len = len;
			return 0;
		}
	}
	if (m->n_xattrs >= TAR_MAX_XATTRS) {
		free(name);
		free(value);
		return fail(tr, err, "more than %d xattrs", TAR_MAX_XATTRS);
	}
	m->xattrs = xgrow(m->xattrs, &m->cap_xattrs, m->n_xattrs + 1, sizeof(*m->xattrs));
	m->xattrs[m->n_xattrs++] = (struct tar_xattr){ name, value, len };
	return 0;
}

/* LIBARCHIVE.xattr names are URL-encoded. NULL if malformed. */
static char *url_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
		int lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	if (o == 0 || strlen(out) != o) {       /* empty, or a NUL inside */
		free(out);
		return NULL;
	}
	return out;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64, '=' padding optional (libarchive omits it). */
static unsigned char *b64_decode(const char *s, size_t n, size_t *out_len)
{
	while (n > 0 && s[n - 1] == '=')
		n--;
	unsigned char *out = xmalloc(n / 4 * 3 + 3);
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (bits >= 6) {        /* one stray character cannot encode a byte */
		free(out);
		return NULL;
	}
	*out_len = o;
	return out;
}

static int pax_xattr(struct tar_reader *tr, const char *k, size_t kl, const char *v, size_t vl,
		     bool libarchive, struct qerr *err)
{
	if (libarchive) {
		const size_t pl = strlen("LIBARCHIVE.xattr.");
		char *name = url_decode(k + pl, kl - pl);
		if (!name)
			return fail(tr, err, "malformed pax key '%.*s'", (int)(kl > 100 ? 100 : kl), k);
		size_t len;
		unsigned char *val = b64_decode(v, vl, &len);
		if (!val) {
			free(name);
			return fail(tr, err, "malformed base64 in pax key '%.*s'",
				    (int)(kl > 100 ? 100 : kl), k);
		}
		return meta_xattr(tr, name, val, len, err);
	}
	const size_t pl = strlen("SCHILY.xattr.");
	if (memchr(k + pl, '\0', kl - pl))
		return fail(tr, err, "pax xattr name contains a NUL byte");
	unsigned char *val = xmalloc(vl ? vl : 1);
	memcpy(val, v, vl);
	return meta_xattr(tr, xstrndup(k + pl, kl - pl), val, vl, err);
}

static int map_add(struct tar_reader *tr, uint64_t off, uint64_t len, struct qerr *err)
{
	struct meta *m = &tr->m;
	if (m->n_map >= TAR_MAX_SPARSE)
		return fail(tr, err, "sparse map has more than %d chunks", TAR_MAX_SPARSE);
	m->map = xgrow(m->map, &m->cap_map, m->n_map + 1, sizeof(*m->map));
	m->map[m->n_map++] = (struct tar_sparse_chunk){ off, len };
	return 0;
}

/* GNU.sparse.map (format 0.1): "offset,size,offset,size,…". */
static int pax_sparse_map(struct tar_reader *tr, const char *v, size_t vl, struct qerr *err)
{
	tr->m.n_map = 0;
	size_t i = 0;
	uint64_t pair[2];
	int half = 0;
	while (i < vl) {
		const char *c = memchr(v + i, ',', vl - i);
		size_t end = c ? (size_t)(c - v) : vl;
		if (pax_u64(v + i, end - i, INT64_MAX, &pair[half]) < 0)
			return fail(tr, err, "malformed GNU.sparse.map");
		if (half == 1 && map_add(tr, pair[0], pair[1], err) < 0)
			return -1;
		half ^= 1;
		i = end + 1;
		if (c && i == vl)       /* a trailing comma */
			return fail(tr, err, "malformed GNU.sparse.map");
	}
	if (half)
		return fail(tr, err, "GNU.sparse.map has an odd number of values");
	return 0;
}

static int pax_sparse(struct tar_reader *tr, const char *k, size_t kl, const char *v, size_t vl,
		      struct qerr *err)
{
	struct meta *m = &tr->m;
	uint64_t n;
	if (key_is(k, kl, "GNU.sparse.name"))
		return pax_str(tr, k, kl, v, vl, &m->sparse_name, err);
	if (key_is(k, kl, "GNU.sparse.map")) {
		m->sparse = true;
		return pax_sparse_map(tr, v, vl, err);
	}
	bool is_off = key_is(k, kl, "GNU.sparse.offset");
	bool is_len = key_is(k, kl, "GNU.sparse.numbytes");
	bool is_major = key_is(k, kl, "GNU.sparse.major");
	bool is_minor = key_is(k, kl, "GNU.sparse.minor");
	bool is_size = key_is(k, kl, "GNU.sparse.size") || key_is(k, kl, "GNU.sparse.realsize");
	bool is_nblk = key_is(k, kl, "GNU.sparse.numblocks");
	if (!(is_off || is_len || is_major || is_minor || is_size || is_nblk))
		return 0;       /* unknown GNU.sparse key: ignore, as for any key */
	m->sparse = true;
	if (pax_u64(v, vl, INT64_MAX, &n) < 0)
		return fail(tr, err, "invalid pax %.*s '%.*s'", (int)kl, k, (int)(vl > 24 ? 24 : vl), v);
	if (is_off) {
		if (m->map_open)
			return fail(tr, err, "GNU.sparse.offset without GNU.sparse.numbytes");
		m->map_open = true;
		return map_add(tr, n, 0, err);
	}
	if (is_len) {
		if (!m->map_open)
			return fail(tr, err, "GNU.sparse.numbytes without GNU.sparse.offset");
		m->map_open = false;
		m->map[m->n_map - 1].len = n;
	} else if (is_major) {
		m->sparse_major = n;
	} else if (is_minor) {
		m->sparse_minor = n;
	} else if (is_size) {
		m->has_realsize = true;
		m->realsize = n;
	} else {
		if (n > TAR_MAX_SPARSE)
			return fail(tr, err, "sparse map has more than %d chunks", TAR_MAX_SPARSE);
		m->has_numblocks = true;
		m->numblocks = n;
	}
	return 0;
}

/* A numeric record; an empty value unsets it (POSIX "delete"). */
static int pax_num(struct tar_reader *tr, const char *k, size_t kl, const char *v, size_t vl,
		   bool *has, uint64_t *slot, struct qerr *err)
{
	*has = false;
	if (vl == 0)
		return 0;
	if (pax_u64(v, vl, INT64_MAX, slot) < 0)
		return fail(tr, err, "invalid pax %.*s '%.*s'", (int)kl, k, (int)(vl > 24 ? 24 : vl), v);
	*has = true;
	return 0;
}

static int pax_record(struct tar_reader *tr, const char *k, size_t kl, const char *v, size_t vl,
		      struct qerr *err)
{
	struct meta *m = &tr->m;
	if (key_is(k, kl, "path"))
		return pax_str(tr, k, kl, v, vl, &m->path, err);
	if (key_is(k, kl, "linkpath"))
		return pax_str(tr, k, kl, v, vl, &m->link, err);
	if (key_is(k, kl, "uname"))
		return pax_str(tr, k, kl, v, vl, &m->uname, err);
	if (key_is(k, kl, "gname"))
		return pax_str(tr, k, kl, v, vl, &m->gname, err);
	if (key_is(k, kl, "size"))
		return pax_num(tr, k, kl, v, vl, &m->has_size, &m->size, err);
	if (key_is(k, kl, "uid"))
		return pax_num(tr, k, kl, v, vl, &m->has_uid, &m->uid, err);
	if (key_is(k, kl, "gid"))
		return pax_num(tr, k, kl, v, vl, &m->has_gid, &m->gid, err);
	if (key_is(k, kl, "mtime")) {
		m->has_mtime = vl > 0;
		if (vl && pax_time(v, vl, &m->mtime, &m->mtime_nsec) < 0)
			return fail(tr, err, "invalid pax mtime '%.*s'", (int)(vl > 32 ? 32 : vl), v);
		return 0;
	}
	if (key_has_prefix(k, kl, "SCHILY.xattr."))
		return pax_xattr(tr, k, kl, v, vl, false, err);
	if (key_has_prefix(k, kl, "LIBARCHIVE.xattr."))
		return pax_xattr(tr, k, kl, v, vl, true, err);
	if (key_has_prefix(k, kl, "GNU.sparse."))
		return pax_sparse(tr, k, kl, v, vl, err);
	return 0;       /* atime, ctime, comment, SCHILY.dev, …: not kept */
}

/* Records are "LEN KEY=VALUE\n", LEN counting the whole record, so values
 * may hold any byte (binary xattrs). */
static int parse_pax(struct tar_reader *tr, const char *p, size_t n, struct qerr *err)
{
	size_t i = 0;
	while (i < n) {
		if (all_zero((const unsigned char *)p + i, n - i))
			break;  /* some writers pad the data with NULs */
		size_t j = i;
		uint64_t len = 0;
		for (; j < n && p[j] >= '0' && p[j] <= '9'; j++)
			if (len <= n)   /* saturate: n <= TAR_MAX_PAX, no overflow */
				len = len * 10 + (uint64_t)(p[j] - '0');
		if (j == i || j >= n || p[j] != ' ')
			return fail(tr, err, "malformed pax record");
		if (len > n - i)
			return fail(tr, err, "pax record length %" PRIu64 " exceeds the header", len);
		size_t end = i + (size_t)len;   /* one past the '\n' */
		if (end < j + 3 || p[end - 1] != '\n')
			return fail(tr, err, "malformed pax record");
		const char *k = p + j + 1;
		const char *eq = memchr(k, '=', (size_t)(p + end - 1 - k));
		if (!eq || eq == k)
			return fail(tr, err, "malformed pax record");
		if (pax_record(tr, k, (size_t)(eq - k), eq + 1, (size_t)(p + end - 1 - (eq + 1)),
			       err) < 0)
			return -1;
		i = end;
	}
	if (tr->m.map_open)
		return fail(tr, err, "GNU.sparse.offset without GNU.sparse.numbytes");
	return 0;
}

/* Read a metadata header's data ('x', 'L', 'K'): bounded, then padded. */
static char *read_meta_data(struct tar_reader *tr, const struct hdr *hd, struct qerr *err)
{
	if (hd->size > TAR_MAX_PAX) {
		fail(tr, err, "'%c' header of %" PRId64 " bytes exceeds the limit of %d",
		     hd->type, hd->size, TAR_MAX_PAX);
		return NULL;
	}
	size_t n = (size_t)hd->size;
	char *data = xmalloc(n + 1);
	if (copy_out(tr, data, n, err) < 0 ||
	    skip_bytes(tr, (BLOCK - n % BLOCK) % BLOCK, err) < 0) {
		free(data);
		return NULL;
	}
	data[n] = '\0';
	return data;
}

static int read_pax(struct tar_reader *tr, const struct hdr *hd, struct qerr *err)
{
	char *data = read_meta_data(tr, hd, err);
	if (!data)
		return -1;
	meta_clear_pax(&tr->m);
	int rc = parse_pax(tr, data, (size_t)hd->size, err);
	free(data);
	return rc;
}

/* GNU 'L' / 'K': the data is the name, NUL-terminated. */
static int read_long_name(struct tar_reader *tr, const struct hdr *hd, char **slot,
			  struct qerr *err)
{
	char *data = read_meta_data(tr, hd, err);
	if (!data)
		return -1;
	size_t l = strlen(data);
	if (l > TAR_MAX_PATH) {
		free(data);
		return fail(tr, err, "GNU long name longer than %d bytes", TAR_MAX_PATH);
	}
	free(*slot);
	*slot = data;
	return 0;
}

/* ---- sparse files ------------------------------------------------------ */

/* Old GNU 'S': up to 4 chunks in the header, 21 more per extension block
 * while the "isextended" byte is set. A chunk whose offset field starts
 * with NUL ends the list. */
static int sparse_entries(struct tar_reader *tr, const unsigned char *p, size_t count,
			  bool *done, struct qerr *err)
{
	for (size_t i = 0; i < count && !*done; i++, p += SPARSE_ENTRY) {
		if (p[0] == '\0') {
			*done = true;
			break;
		}
		int64_t off, len;
		if (parse_num(p, 12, &off) < 0 || parse_num(p + 12, 12, &len) < 0 ||
		    off < 0 || len < 0)
			return fail(tr, err, "invalid GNU sparse map entry");
		if (map_add(tr, (uint64_t)off, (uint64_t)len, err) < 0)
			return -1;
	}
	return 0;
}

static int read_old_sparse(struct tar_reader *tr, const unsigned char *h, bool isext,
			   struct qerr *err)
{
	bool done = false;
	tr->m.n_map = 0;
	if (sparse_entries(tr, h + GNU_SPARSE, GNU_HDR_SPARSE, &done, err) < 0)
		return -1;
	/* h points into the buffer: it is not used past this line */
	for (size_t blocks = 0; isext; blocks++) {
		if (blocks > TAR_MAX_SPARSE / GNU_EXT_SPARSE + 1)
			return fail(tr, err, "too many GNU sparse extension headers");
		ssize_t got = ensure(tr, BLOCK, err);
		if (got < 0)
			return -1;
		if (got < BLOCK)
			return fail_eof(tr, err);
		const unsigned char *ext = tr->buf + tr->pos;
		if (sparse_entries(tr, ext, GNU_EXT_SPARSE, &done, err) < 0)
			return -1;
		isext = ext[GNU_EXT_ISEXT] != 0;
		tr->pos += BLOCK;
	}
	return 0;
}

/* One decimal line of a format 1.0 map, counted against the entry's data. */
static int map_number(struct tar_reader *tr, uint64_t stored, uint64_t *used, uint64_t *v,
		      struct qerr *err)
{
	int digits = 0;
	*v = 0;
	for (;;) {
		if (*used >= stored)
			return fail(tr, err, "GNU sparse map runs past the entry's data");
		ssize_t got = ensure(tr, 1, err);
		if (got < 0)
			return -1;
		if (got == 0)
			return fail_eof(tr, err);
		char c = (char)tr->buf[tr->pos++];
		(*used)++;
		if (c == '\n')
			break;
		if (c < '0' || c > '9' || ++digits > 19)
			return fail(tr, err, "malformed GNU sparse map");
		*v = *v * 10 + (uint64_t)(c - '0');
	}
	if (digits == 0 || *v > INT64_MAX)
		return fail(tr, err, "malformed GNU sparse map");
	return 0;
}

/* Format 1.0 keeps the map at the start of the data, padded to a block. */
static int read_sparse_1_0(struct tar_reader *tr, uint64_t stored, uint64_t *map_bytes,
			   struct qerr *err)
{
	uint64_t used = 0, count, off, len;
	if (map_number(tr, stored, &used, &count, err) < 0)
		return -1;
	if (count > TAR_MAX_SPARSE)
		return fail(tr, err, "sparse map has more than %d chunks", TAR_MAX_SPARSE);
	tr->m.n_map = 0;
	for (uint64_t i = 0; i < count; i++) {
		if (map_number(tr, stored, &used, &off, err) < 0 ||
		    map_number(tr, stored, &used, &len, err) < 0 ||
		    map_add(tr, off, len, err) < 0)
			return -1;
	}
	uint64_t pad = (BLOCK - used % BLOCK) % BLOCK;
	if (pad > stored - used)
		return fail(tr, err, "GNU sparse map runs past the entry's data");
	if (skip_bytes(tr, pad, err) < 0)
		return -1;
	*map_bytes = used + pad;
	return 0;
}

/* Chunks must be in order, not overlap, stay inside the real size, and
 * account for exactly the stored data. */
static int check_map(struct tar_reader *tr, const struct tar_sparse_chunk *c, size_t n,
		     uint64_t realsize, uint64_t stored, struct qerr *err)
{
	uint64_t end = 0, sum = 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i].offset > INT64_MAX || c[i].len > INT64_MAX - c[i].offset)
			return fail(tr, err, "sparse chunk %zu out of range", i);
		if (c[i].offset < end)
			return fail(tr, err, "sparse chunk %zu overlaps or goes backwards", i);
		end = c[i].offset + c[i].len;
		if (end > realsize)
			return fail(tr, err, "sparse chunk %zu ends past the file size", i);
		sum += c[i].len;
	}
	if (sum != stored)
		return fail(tr, err, "sparse map covers %" PRIu64 " bytes but %" PRIu64 " are stored",
			    sum, stored);
	return 0;
}

/* Turn the collected map into the entry's. *stored is the entry's data in
 * the archive; the map of format 1.0 is taken off it. */
static int setup_sparse(struct tar_reader *tr, bool old_gnu, int64_t hdr_realsize,
			uint64_t *stored, struct qerr *err)
{
	struct meta *m = &tr->m;
	if (!old_gnu && m->has_numblocks && m->numblocks != m->n_map && m->sparse_major != 1)
		return fail(tr, err, "GNU.sparse.numblocks does not match the map");
	if (!old_gnu && m->sparse_major == 1) {
		if (m->sparse_minor != 0)
			return fail(tr, err, "unsupported GNU sparse format 1.%" PRIu64,
				    m->sparse_minor);
		uint64_t map_bytes = 0;
		if (read_sparse_1_0(tr, *stored, &map_bytes, err) < 0)
			return -1;
		*stored -= map_bytes;
	} else if (!old_gnu && m->sparse_major != 0) {
		return fail(tr, err, "unsupported GNU sparse format %" PRIu64 ".%" PRIu64,
			    m->sparse_major, m->sparse_minor);
	}
	uint64_t realsize;
	if (old_gnu)
		realsize = (uint64_t)hdr_realsize;
	else if (m->has_realsize)
		realsize = m->realsize;
	else
		realsize = m->n_map ? m->map[m->n_map - 1].offset + m->map[m->n_map - 1].len : 0;
	if (check_map(tr, m->map, m->n_map, realsize, *stored, err) < 0)
		return -1;
	tr->e.size = realsize;
	tr->e.sparse = m->map ? m->map : xmalloc(sizeof(*m->map));
	tr->e.n_sparse = m->n_map;
	m->map = NULL;
	m->n_map = m->cap_map = 0;
	/* An all-hole file has an empty map: keep one empty chunk at its end
	 * so that n_sparse > 0 still marks it sparse. */
	if (tr->e.n_sparse == 0) {
		tr->e.sparse[0] = (struct tar_sparse_chunk){ realsize, 0 };
		tr->e.n_sparse = 1;
	}
	return 0;
}

/* ---- entries ----------------------------------------------------------- */

static int entry_type(struct tar_reader *tr, char t, const char *path, enum tar_type *type,
		      struct qerr *err)
{
	switch (t) {
	case '\0':
		*type = str_ends_with(path, "/") ? TAR_DIR : TAR_REG;
		return 0;
	case '0': case '7': case 'S':
		*type = TAR_REG;
		return 0;
	case '1': *type = TAR_HARDLINK; return 0;
	case '2': *type = TAR_SYMLINK; return 0;
	case '3': *type = TAR_CHR; return 0;
	case '4': *type = TAR_BLK; return 0;
	case '5': *type = TAR_DIR; return 0;
	case '6': *type = TAR_FIFO; return 0;
	default:
		if (t > ' ' && t < 127)
			return fail(tr, err, "unsupported entry type '%c'", t);
		return fail(tr, err, "unsupported entry type 0x%02x", (unsigned char)t);
	}
}

/* Move a string out of the metadata (or copy the header's). */
static char *take_str(char **meta, const char *hdr)
{
	if (*meta)
		return steal_pointer(meta);
	return hdr[0] ? xstrdup(hdr) : NULL;
}

static int build_entry(struct tar_reader *tr, const struct hdr *hd, struct qerr *err)
{
	struct meta *m = &tr->m;
	struct tar_entry *e = &tr->e;
	char *p = m->sparse_name ? steal_pointer(&m->sparse_name) : NULL;
	if (!p)
		p = m->path ? steal_pointer(&m->path) : take_str(&m->long_path, hd->name);
	if (!p || !p[0]) {
		free(p);
		return fail(tr, err, "entry with an empty name");
	}
	e->path = p;
	if (strlen(e->path) > TAR_MAX_PATH)
		return fail(tr, err, "name longer than %d bytes", TAR_MAX_PATH);
	if (entry_type(tr, hd->type, e->path, &e->type, err) < 0)
		return -1;
	if (e->type == TAR_HARDLINK || e->type == TAR_SYMLINK) {
		e->link = m->link ? steal_pointer(&m->link) : take_str(&m->long_link, hd->link);
		if (!e->link)
			e->link = xstrdup("");
		if (strlen(e->link) > TAR_MAX_PATH)
			return fail(tr, err, "link target longer than %d bytes", TAR_MAX_PATH);
	}
	e->mode = (uint32_t)(hd->mode & 07777);
	e->uid = m->has_uid ? m->uid : (uint64_t)hd->uid;
	e->gid = m->has_gid ? m->gid : (uint64_t)hd->gid;
	e->uname = take_str(&m->uname, hd->uname);
	e->gname = take_str(&m->gname, hd->gname);
	e->mtime = m->has_mtime ? m->mtime : hd->mtime;
	e->mtime_nsec = m->has_mtime ? m->mtime_nsec : 0;
	if (e->type == TAR_CHR || e->type == TAR_BLK) {
		e->devmajor = (uint32_t)hd->devmajor;
		e->devminor = (uint32_t)hd->devminor;
	}
	e->xattrs = steal_pointer(&m->xattrs);
	e->n_xattrs = m->n_xattrs;
	m->n_xattrs = m->cap_xattrs = 0;
	return 0;
}

/* After the header: where the data is, how long, and the sparse map. */
static int setup_data(struct tar_reader *tr, const struct hdr *hd, struct qerr *err)
{
	uint64_t stored = tr->m.has_size ? tr->m.size : (uint64_t)hd->size;
	tr->pad = (BLOCK - stored % BLOCK) % BLOCK;
	if (tr->e.type != TAR_REG) {
		/* header-only types: the size field is not data (see top) */
		tr->pad = 0;
		stored = 0;
	}
	tr->e.size = stored;
	tr->remain = stored;
	if (tr->e.type == TAR_REG && (hd->type == 'S' || tr->m.sparse)) {
		if (setup_sparse(tr, hd->type == 'S', hd->realsize, &tr->remain, err) < 0)
			return -1;
	}
	tr->data_off = stream_pos(tr);
	tr->logical = 0;
	tr->chunk = 0;
	tr->chunk_left = 0;
	return 0;
}

/* Read one header block: 1 with it in *hd, 0 at the end of the archive. */
static int read_header(struct tar_reader *tr, struct hdr *hd, struct qerr *err)
{
	tr->hdr_off = stream_pos(tr);
	ssize_t got = ensure(tr, BLOCK, err);
	if (got < 0)
		return -1;
	if (got == 0)
		return 0;       /* EOF at a block boundary */
	if (got < BLOCK)
		return fail_eof(tr, err);
	const unsigned char *h = tr->buf + tr->pos;
	if (all_zero(h, BLOCK)) {
		tr->pos += BLOCK;
		got = ensure(tr, BLOCK, err);
		if (got < 0)
			return -1;
		if (all_zero(tr->buf + tr->pos, (size_t)got)) {
			tr->pos += (size_t)got;
			return 0;
		}
		if (got < BLOCK)
			return fail_eof(tr, err);
		tr->hdr_off += BLOCK;
		return fail(tr, err, "zero block followed by a header");
	}
	if (parse_header(tr, h, hd, err) < 0)
		return -1;
	if (hd->type == 'S') {
		if (hd->fmt != FMT_GNU)
			return fail(tr, err, "GNU sparse entry without GNU magic");
		if (header_num(tr, h, GNU_REALSIZE, 12, "realsize", false, &hd->realsize, err) < 0)
			return -1;
		hd->isext = h[GNU_ISEXT] != 0;
	}
	/* The 'S' map is read while h is still valid: it moves the buffer. */
	tr->pos += BLOCK;
	if (hd->type == 'S')
		return read_old_sparse(tr, h, hd->isext, err) < 0 ? -1 : 1;
	return 1;
}

static bool has_pending_meta(const struct meta *m)
{
	return m->long_path || m->long_link || m->path || m->link || m->uname || m->gname ||
	       m->has_size || m->has_uid || m->has_gid || m->has_mtime || m->n_xattrs ||
	       m->sparse;
}

/* Headers up to and including the next real entry. */
static int next_header(struct tar_reader *tr, struct hdr *hd, struct qerr *err)
{
	for (;;) {
		int rc = read_header(tr, hd, err);
		if (rc <= 0) {
			if (rc == 0 && has_pending_meta(&tr->m))
				return fail(tr, err, "archive ends after an extended header");
			return rc;
		}
		switch (hd->type) {
		case 'x':
			rc = read_pax(tr, hd, err);
			break;
		case 'L':
			rc = read_long_name(tr, hd, &tr->m.long_path, err);
			break;
		case 'K':
			rc = read_long_name(tr, hd, &tr->m.long_link, err);
			break;
		case 'g':       /* global pax: defaults we do not apply */
		case 'V':       /* GNU volume label: not a file */
			rc = skip_bytes(tr, (uint64_t)hd->size + (BLOCK - (uint64_t)hd->size % BLOCK) % BLOCK,
					err);
			break;
		default:
			return 1;
		}
		if (rc < 0)
			return -1;
	}
}

/* ---- public API -------------------------------------------------------- */

struct tar_reader *tar_reader_new(const struct byte_source *src)
{
	struct tar_reader *tr = xcalloc(1, sizeof(*tr));
	tr->src = *src;
	tr->buf = xmalloc(READ_BUF);
	return tr;
}

void tar_reader_free(struct tar_reader *tr)
{
	if (!tr)
		return;
	tar_entry_release(&tr->e);
	meta_clear(&tr->m);
	free(tr->buf);
	free(tr);
}

static int finish_entry(struct tar_reader *tr, struct qerr *err)
{
	if (!tr->have_entry)
		return 0;
	if (skip_bytes(tr, tr->remain, err) < 0 || skip_bytes(tr, tr->pad, err) < 0)
		return -1;
	tr->remain = tr->pad = 0;
	tr->have_entry = false;
	tar_entry_release(&tr->e);
	return 0;
}

int tar_reader_next(struct tar_reader *tr, const struct tar_entry **e, struct qerr *err)
{
	*e = NULL;
	if (tr->state == ST_FAILED)
		return q_error(err, 0, "tar: reading after an earlier error");
	if (tr->state == ST_END)
		return 0;
	if (finish_entry(tr, err) < 0)
		return -1;
	meta_clear(&tr->m);
	struct hdr hd;
	int rc = next_header(tr, &hd, err);
	if (rc == 0)
		tr->state = ST_END;
	if (rc <= 0)
		return rc;
	tr->have_entry = true;
	if (build_entry(tr, &hd, err) < 0 || setup_data(tr, &hd, err) < 0)
		return -1;
	meta_clear(&tr->m);
	*e = &tr->e;
	return 1;
}

ssize_t tar_reader_data(struct tar_reader *tr, const void **buf, uint64_t *offset,
			struct qerr *err)
{
	*buf = NULL;
	if (tr->state == ST_FAILED)
		return q_error(err, 0, "tar: reading after an earlier error");
	if (!tr->have_entry || tr->remain == 0)
		return 0;
	if (tr->e.n_sparse) {
		while (tr->chunk_left == 0) {
			if (tr->chunk >= tr->e.n_sparse)   /* check_map makes this unreachable */
				return fail(tr, err, "sparse data past the map");
			tr->logical = tr->e.sparse[tr->chunk].offset;
			tr->chunk_left = tr->e.sparse[tr->chunk].len;
			tr->chunk++;
		}
	}
	if (tr->pos == tr->len) {
		ssize_t r = fill(tr, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return fail_eof(tr, err);
	}
	uint64_t n = tr->len - tr->pos;
	if (n > tr->remain)
		n = tr->remain;
	if (tr->e.n_sparse && n > tr->chunk_left)
		n = tr->chunk_left;
	*buf = tr->buf + tr->pos;
	*offset = tr->logical;
	tr->pos += (size_t)n;
	tr->remain -= n;
	tr->logical += n;
	if (tr->e.n_sparse)
		tr->chunk_left -= n;
	return (ssize_t)n;
}

uint64_t tar_reader_data_offset(const struct tar_reader *tr)
{
	return tr->data_off;
}

int tar_reader_drain(struct tar_reader *tr, struct qerr *err)
{
	if (tr->state == ST_FAILED)
		return q_error(err, 0, "tar: reading after an earlier error");
	for (;;) {
		tr->pos = tr->len;
		ssize_t r = fill(tr, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
	}
}
