/* Tar writer: deterministic POSIX pax archives over a byte_sink.
 *
 * Each entry is a ustar header, preceded by a PAX 'x' header only when a
 * field does not fit ustar: a name over 100 bytes that cannot be split into
 * prefix/name, a link target over 100 bytes, ids over 07777777, a size of
 * 8 GiB or more, an mtime before 1970 or after 2242, owner names over 31
 * bytes, or any xattr. Numbers that do not fit octal also go into the ustar
 * field in GNU base-256, so readers that skip PAX still find the data.
 *
 * Determinism: the PAX header is named "PaxHeaders/<basename>", owned by
 * 0:0 with the entry's mtime; its records come in a fixed order with xattrs
 * sorted by name; sub-second times are never written; the archive ends with
 * exactly two zero blocks (no padding to a 10 KiB record, like Go's
 * archive/tar; GNU tar and Python read it without complaint).
 */
#include "fs/fs.h"

#include <inttypes.h>

#define BLOCK 512
#define WRITE_BUF (1024u * 1024)

enum {
	H_NAME = 0, H_MODE = 100, H_UID = 108, H_GID = 116, H_SIZE = 124,
	H_MTIME = 136, H_CHKSUM = 148, H_TYPE = 156, H_LINK = 157,
	H_MAGIC = 257, H_VERSION = 263, H_UNAME = 265, H_GNAME = 297,
	H_DEVMAJ = 329, H_DEVMIN = 337, H_PREFIX = 345,
	NAME_LEN = 100, PREFIX_LEN = 155, OWNER_LEN = 32,
};

struct tar_writer {
	struct byte_sink sink;
	unsigned char *buf;
	size_t len;
	uint64_t total;         /* bytes accepted so far, buffered or written */
	uint64_t remain;        /* data still owed by the current entry */
	uint64_t pad;           /* padding after it */
	char *cur;              /* the current entry's path, for messages */
	bool failed, finished;
};

struct tar_writer *tar_writer_new(const struct byte_sink *sink)
{
	struct tar_writer *tw = xcalloc(1, sizeof(*tw));
	tw->sink = *sink;
	tw->buf = xmalloc(WRITE_BUF);
	return tw;
}

void tar_writer_free(struct tar_writer *tw)
{
	if (!tw)
		return;
	free(tw->buf);
	free(tw->cur);
	free(tw);
}

uint64_t tar_writer_bytes(const struct tar_writer *tw)
{
	return tw->total;
}

/* ---- output ------------------------------------------------------------ */

static int flush(struct tar_writer *tw, struct qerr *err)
{
	if (tw->len == 0)
		return 0;
	size_t n = tw->len;
	tw->len = 0;
	if (tw->sink.write(tw->sink.ctx, tw->buf, n, err) < 0) {
		tw->failed = true;
		return q_error_wrap(err, "tar");
	}
	return 0;
}

/* Big writes go straight to the sink; small ones are gathered. */
static int emit(struct tar_writer *tw, const void *p, size_t n, struct qerr *err)
{
	if (n == 0)
		return 0;
	if (tw->len + n > WRITE_BUF && flush(tw, err) < 0)
		return -1;
	if (n >= WRITE_BUF) {
		if (tw->sink.write(tw->sink.ctx, p, n, err) < 0) {
			tw->failed = true;
			return q_error_wrap(err, "tar");
		}
	} else {
		memcpy(tw->buf + tw->len, p, n);
		tw->len += n;
	}
	tw->total += n;
	return 0;
}

static int emit_zeros(struct tar_writer *tw, size_t n, struct qerr *err)
{
	static const unsigned char zero[BLOCK];
	while (n > 0) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);
		if (emit(tw, zero, k, err) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

static int check_usable(struct tar_writer *tw, struct qerr *err)
{
	if (tw->failed)
		return q_error(err, 0, "tar: writing after an earlier error");
	if (tw->finished)
		return q_error(err, 0, "tar: writing after the end of the archive");
	return 0;
}

/* ---- header fields ----------------------------------------------------- */

static bool fits_octal(size_t field, uint64_t v)
{
	/* field - 1 digits and a NUL */
	return (field - 1) * 3 >= 64 || v < (UINT64_C(1) << ((field - 1) * 3));
}

static void put_octal(unsigned char *f, size_t field, uint64_t v)
{
	for (size_t i = field - 1; i-- > 0; v >>= 3)
		f[i] = (unsigned char)('0' + (v & 7));
	f[field - 1] = '\0';
}

/* Octal when it fits, else GNU base-256 (two's complement, big-endian,
 * top bit set). Values base-256 cannot hold are left 0: PAX has them. */
static void put_num(unsigned char *f, size_t field, int64_t v)
{
	if (v >= 0 && fits_octal(field, (uint64_t)v)) {
		put_octal(f, field, (uint64_t)v);
		return;
	}
	if (field < 9 && v >= 0 && (uint64_t)v >> ((field - 1) * 8)) {
		put_octal(f, field, 0);
		return;
	}
	uint64_t u = (uint64_t)v;
	unsigned char sign = v < 0 ? 0xff : 0;
	for (size_t i = 0; i < field; i++) {
		size_t shift = (field - 1 - i) * 8;
		f[i] = shift < 64 ? (unsigned char)(u >> shift) : sign;
	}
	f[0] = v < 0 ? 0xff : 0x80;
}

static void put_str(unsigned char *f, size_t field, const char *s)
{
	size_t l = s ? strlen(s) : 0;
	memcpy(f, s ? s : "", l < field ? l : field);
}

static void put_checksum(unsigned char *h)
{
	memset(h + H_CHKSUM, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < BLOCK; i++)
		sum += h[i];
	put_octal(h + H_CHKSUM, 7, sum);   /* six digits, NUL, then the space */
}

static void put_magic(unsigned char *h)
{
	memcpy(h + H_MAGIC, "ustar\0", 6);
	memcpy(h + H_VERSION, "00", 2);
}

/* Split a path over prefix and name fields; false when it cannot fit.
 * The longest prefix wins, so the split is the same every time. */
static bool split_name(const char *path, size_t *prefix_len)
{
	size_t len = strlen(path);
	*prefix_len = 0;
	if (len <= NAME_LEN)
		return true;
	if (len > PREFIX_LEN + 1 + NAME_LEN)
		return false;
	for (size_t i = len - 1 < PREFIX_LEN ? len - 1 : PREFIX_LEN; i > 0; i--) {
		if (path[i] != '/')
			continue;
		size_t rest = len - i - 1;
		if (rest == 0 || rest > NAME_LEN)
			return false;
		*prefix_len = i;
		return true;
	}
	return false;
}

/* ---- PAX records ------------------------------------------------------- */

static size_t digits(size_t n)
{
	size_t d = 1;
	for (; n >= 10; n /= 10)
		d++;
	return d;
}

/* "LEN key=value\n" where LEN counts the whole record, itself included. */
static void pax_add(struct strbuf *sb, const char *key, const void *val, size_t vlen)
{
	size_t n = strlen(key) + vlen + 3;
	size_t d = digits(n);
	size_t total = n + d;
	if (digits(total) > d)
		total++;
	strbuf_addf(sb, "%zu %s=", total, key);
	strbuf_add(sb, val, vlen);
	strbuf_addc(sb, '\n');
}

static void pax_add_num(struct strbuf *sb, const char *key, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	pax_add(sb, key, tmp, (size_t)n);
}

static int cmp_xattr(const void *a, const void *b)
{
	const struct tar_xattr *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static int pax_xattrs(struct strbuf *sb, const struct tar_entry *e, struct qerr *err)
{
	if (e->n_xattrs == 0)
		return 0;
	const struct tar_xattr **sorted = xmalloc(e->n_xattrs * sizeof(*sorted));
	for (size_t i = 0; i < e->n_xattrs; i++)
		sorted[i] = &e->xattrs[i];
	qsort(sorted, e->n_xattrs, sizeof(*sorted), cmp_xattr);
	int rc = 0;
	for (size_t i = 0; i < e->n_xattrs && rc == 0; i++) {
		const struct tar_xattr *x = sorted[i];
		if (!x->name[0] || strchr(x->name, '=') ||
		    (i > 0 && strcmp(x->name, sorted[i - 1]->name) == 0)) {
			rc = q_error(err, 0, "tar entry '%.200s': invalid or duplicate xattr name '%.100s'",
				     e->path, x->name);
			break;
		}
		char *key = xasprintf("SCHILY.xattr.%s", x->name);
		pax_add(sb, key, x->value, x->len);
		free(key);
	}
	free(sorted);
	return rc;
}

/* ---- entries ----------------------------------------------------------- */

static char type_flag(enum tar_type t)
{
	switch (t) {
	case TAR_REG: return '0';
	case TAR_HARDLINK: return '1';
	case TAR_SYMLINK: return '2';
	case TAR_CHR: return '3';
	case TAR_BLK: return '4';
	case TAR_DIR: return '5';
	case TAR_FIFO: return '6';
	default: return 0;
	}
}

static bool has_link(enum tar_type t)
{
	return t == TAR_HARDLINK || t == TAR_SYMLINK;
}

static int check_entry(const struct tar_entry *e, struct qerr *err)
{
	if (!e->path || !e->path[0])
		return q_error(err, 0, "tar: entry with an empty name");
	if (strlen(e->path) > TAR_MAX_PATH)
		return q_error(err, 0, "tar entry '%.200s': name longer than %d bytes", e->path,
			       TAR_MAX_PATH);
	if (!type_flag(e->type))
		return q_error(err, 0, "tar entry '%.200s': unknown type %d", e->path, (int)e->type);
	if (has_link(e->type) && (!e->link || strlen(e->link) > TAR_MAX_PATH))
		return q_error(err, 0, "tar entry '%.200s': missing or overlong link target", e->path);
	if (e->type == TAR_REG && e->size > INT64_MAX)
		return q_error(err, 0, "tar entry '%.200s': size out of range", e->path);
	return 0;
}

/* Fill the ustar header; what does not fit goes to pax. */
static void fill_header(unsigned char *h, const struct tar_entry *e, struct strbuf *pax)
{
	size_t plen;
	if (split_name(e->path, &plen)) {
		if (plen) {
			memcpy(h + H_PREFIX, e->path, plen);
			put_str(h + H_NAME, NAME_LEN, e->path + plen + 1);
		} else {
			put_str(h + H_NAME, NAME_LEN, e->path);
		}
	} else {
		pax_add(pax, "path", e->path, strlen(e->path));
		put_str(h + H_NAME, NAME_LEN, e->path);   /* a truncated hint */
	}
	if (has_link(e->type)) {
		if (strlen(e->link) > NAME_LEN)
			pax_add(pax, "linkpath", e->link, strlen(e->link));
		put_str(h + H_LINK, NAME_LEN, e->link);
	}
	uint64_t size = e->type == TAR_REG ? e->size : 0;
	if (!fits_octal(12, size))
		pax_add_num(pax, "size", size);
	if (!fits_octal(8, e->uid))
		pax_add_num(pax, "uid", e->uid);
	if (!fits_octal(8, e->gid))
		pax_add_num(pax, "gid", e->gid);
	if (e->uname && strlen(e->uname) >= OWNER_LEN)
		pax_add(pax, "uname", e->uname, strlen(e->uname));
	if (e->gname && strlen(e->gname) >= OWNER_LEN)
		pax_add(pax, "gname", e->gname, strlen(e->gname));
	if (e->mtime < 0 || !fits_octal(12, (uint64_t)e->mtime)) {
		char tmp[24];
		int n = snprintf(tmp, sizeof(tmp), "%" PRId64, e->mtime);
		pax_add(pax, "mtime", tmp, (size_t)n);
	}
	put_num(h + H_MODE, 8, e->mode & 07777);
	put_num(h + H_UID, 8, e->uid > INT64_MAX ? 0 : (int64_t)e->uid);
	put_num(h + H_GID, 8, e->gid > INT64_MAX ? 0 : (int64_t)e->gid);
	put_num(h + H_SIZE, 12, (int64_t)size);
	put_num(h + H_MTIME, 12, e->mtime);
	h[H_TYPE] = (unsigned char)type_flag(e->type);
	put_magic(h);
	if (e->uname && strlen(e->uname) < OWNER_LEN)
		put_str(h + H_UNAME, OWNER_LEN, e->uname);
	if (e->gname && strlen(e->gname) < OWNER_LEN)
		put_str(h + H_GNAME, OWNER_LEN, e->gname);
	bool dev = e->type == TAR_CHR || e->type == TAR_BLK;
	put_num(h + H_DEVMAJ, 8, dev ? e->devmajor : 0);
	put_num(h + H_DEVMIN, 8, dev ? e->devminor : 0);
}

/* The 'x' header in front of an entry whose fields did not all fit. */
static int write_pax(struct tar_writer *tw, const struct tar_entry *e, const struct strbuf *pax,
		     struct qerr *err)
{
	if (pax->len > TAR_MAX_PAX)
		return q_error(err, 0, "tar entry '%.200s': extended header of %zu bytes is over %d",
			       e->path, pax->len, TAR_MAX_PAX);
	/* basename, trailing slashes ignored */
	size_t end = strlen(e->path);
	while (end > 1 && e->path[end - 1] == '/')
		end--;
	size_t start = end;
	while (start > 0 && e->path[start - 1] != '/')
		start--;
	char name[NAME_LEN + 1];
	snprintf(name, sizeof(name), "PaxHeaders/%.*s", (int)(end - start), e->path + start);
	unsigned char h[BLOCK] = { 0 };
	put_str(h + H_NAME, NAME_LEN, name);
	put_num(h + H_MODE, 8, 0644);
	put_num(h + H_UID, 8, 0);
	put_num(h + H_GID, 8, 0);
	put_num(h + H_SIZE, 12, (int64_t)pax->len);
	put_num(h + H_MTIME, 12, e->mtime);
	h[H_TYPE] = 'x';
	put_magic(h);
	put_num(h + H_DEVMAJ, 8, 0);
	put_num(h + H_DEVMIN, 8, 0);
	put_checksum(h);
	if (emit(tw, h, BLOCK, err) < 0 || emit(tw, pax->buf, pax->len, err) < 0)
		return -1;
	return emit_zeros(tw, (BLOCK - pax->len % BLOCK) % BLOCK, err);
}

int tar_writer_add(struct tar_writer *tw, const struct tar_entry *e, struct qerr *err)
{
	if (check_usable(tw, err) < 0)
		return -1;
	if (tw->remain)
		return q_error(err, 0, "tar entry '%.200s': %" PRIu64 " bytes of data missing",
			       tw->cur, tw->remain);
	if (check_entry(e, err) < 0)
		return -1;
	unsigned char h[BLOCK] = { 0 };
	struct strbuf pax = STRBUF_INIT;
	fill_header(h, e, &pax);
	if (pax_xattrs(&pax, e, err) < 0) {
		strbuf_release(&pax);
		return -1;
	}
	put_checksum(h);
	int rc = pax.len ? write_pax(tw, e, &pax, err) : 0;
	strbuf_release(&pax);
	if (rc < 0 || emit(tw, h, BLOCK, err) < 0)
		return -1;
	free(tw->cur);
	tw->cur = xstrdup(e->path);
	tw->remain = e->type == TAR_REG ? e->size : 0;
	tw->pad = (BLOCK - tw->remain % BLOCK) % BLOCK;
	return 0;
}

int tar_writer_data(struct tar_writer *tw, const void *buf, size_t len, struct qerr *err)
{
	if (check_usable(tw, err) < 0)
		return -1;
	if (len > tw->remain)
		return q_error(err, 0, "tar entry '%.200s': more data than its size",
			       tw->cur ? tw->cur : "");
	if (emit(tw, buf, len, err) < 0)
		return -1;
	tw->remain -= len;
	if (tw->remain == 0 && tw->pad) {
		if (emit_zeros(tw, (size_t)tw->pad, err) < 0)
			return -1;
		tw->pad = 0;
	}
	return 0;
}

int tar_writer_finish(struct tar_writer *tw, struct qerr *err)
{
	if (check_usable(tw, err) < 0)
		return -1;
	if (tw->remain)
		return q_error(err, 0, "tar entry '%.200s': %" PRIu64 " bytes of data missing",
			       tw->cur, tw->remain);
	if (emit_zeros(tw, 2 * BLOCK, err) < 0 || flush(tw, err) < 0)
		return -1;
	tw->finished = true;
	return 0;
}
