/* gzip decompression (RFC 1952) with ISA-L's inflate.
 *
 * We parse each member's header ourselves, as a byte-at-a-time state
 * machine, so that it is strict (reserved flags, method, header CRC) and
 * works whatever the read sizes of `in`; ISA-L inflates the deflate body
 * and checks the trailer (ISAL_GZIP_NO_HDR_VER: CRC32 and ISIZE). A stream
 * is one or more members back to back (pigz, bgzip, `cat a.gz b.gz`);
 * anything after the last member that does not start another is an error,
 * even zero padding: the bytes of a layer are all covered by its digest,
 * and we refuse to guess what extra ones mean.
 *
 * Input is read in COMP_IO_BUF chunks. Output goes straight into the
 * caller's buffer when it is big (no copy), else through our own buffer so
 * that tar-sized reads of 512 bytes still inflate in big steps.
 */
#include "image/compress_internal.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

/* Caller buffers at least this big are inflated into directly. */
#define GZ_DIRECT_MIN (64u * 1024)
/* Bytes kept in front of the input buffer: the last ones consumed. See
 * gz_refill. */
#define GZ_BEHIND 8

#define GZ_FTEXT 0x01
#define GZ_FHCRC 0x02
#define GZ_FEXTRA 0x04
#define GZ_FNAME 0x08
#define GZ_FCOMMENT 0x10
#define GZ_FRESERVED 0xe0

enum gz_phase { GZ_HEADER, GZ_BODY, GZ_END, GZ_DEAD };

/* Header fields in the order they appear; absent ones are skipped. */
enum gz_field { H_FIXED, H_XLEN, H_EXTRA, H_NAME, H_COMMENT, H_HCRC, H_DONE };

struct gunzip {
	const struct byte_source *in;
	uint8_t *ibase;               /* GZ_BEHIND + COMP_IO_BUF */
	uint8_t *ibuf;                /* ibase + GZ_BEHIND */
	size_t ipos, ilen;
	bool eof;
	uint8_t *obuf;                /* for small reads */
	size_t opos, olen;
	enum gz_phase phase;
	unsigned member;              /* 1-based, for messages */
	/* header parsing */
	enum gz_field field;
	size_t got;                   /* bytes of the current field so far */
	uint8_t fixed[10];
	uint8_t small[2];             /* XLEN or HCRC */
	size_t xlen;
	uint32_t hcrc;                /* CRC32 of the header bytes so far */
	struct inflate_state st;      /* ~100 KiB: keep last */
};

static ssize_t gz_dead(struct gunzip *g)
{
	g->phase = GZ_DEAD;
	return -1;
}

/* Read more input after what is left unconsumed. ISA-L may, at the end of
 * a member, step next_in back over bytes it had buffered as bits; those
 * are the last bytes consumed, so we keep GZ_BEHIND of them in front of the
 * buffer when moving data. The same bytes let us name the mismatching
 * field of a bad trailer. Returns bytes added, 0 at end of input, -1. */
static ssize_t gz_refill(struct gunzip *g, struct qerr *err)
{
	if (g->eof)
		return 0;
	size_t left = g->ilen - g->ipos;
	if (g->ipos > 0) {
		memmove(g->ibase, g->ibuf + g->ipos - GZ_BEHIND, GZ_BEHIND);
		memmove(g->ibuf, g->ibuf + g->ipos, left);
		g->ipos = 0;
		g->ilen = left;
	}
	if (g->ilen == COMP_IO_BUF)
		return q_error(err, 0, "gzip: decoder made no progress");
	ssize_t n = g->in->read(g->in->ctx, g->ibuf + g->ilen, COMP_IO_BUF - g->ilen, err);
	if (n < 0)
		return -1;
	if (n == 0)
		g->eof = true;
	g->ilen += (size_t)n;
	return n;
}

static enum gz_field gz_next_field(uint8_t flg, enum gz_field f)
{
	switch (f) {
	case H_FIXED:
		if (flg & GZ_FEXTRA)
			return H_XLEN;
		/* fall through */
	case H_XLEN:
	case H_EXTRA:
		if (flg & GZ_FNAME)
			return H_NAME;
		/* fall through */
	case H_NAME:
		if (flg & GZ_FCOMMENT)
			return H_COMMENT;
		/* fall through */
	case H_COMMENT:
		if (flg & GZ_FHCRC)
			return H_HCRC;
		/* fall through */
	case H_HCRC:
	case H_DONE:
		break;
	}
	return H_DONE;
}

static void gz_advance(struct gunzip *g, enum gz_field f)
{
	g->field = f;
	g->got = 0;
}

/* The ten fixed bytes: magic checked as soon as it arrives, so that bytes
 * after the last member are reported as such. */
static int gz_fixed_check(struct gunzip *g, size_t from, struct qerr *err)
{
	static const uint8_t magic[2] = { 0x1f, 0x8b };

	for (size_t i = from; i < g->got && i < 2; i++)
		if (g->fixed[i] != magic[i]) {
			if (g->member > 1)
				return q_error(err, 0, "gzip: trailing garbage after gzip stream");
			return q_error(err, 0, "gzip: not a gzip stream (bad magic)");
		}
	if (g->got < sizeof(g->fixed))
		return 0;
	if (g->fixed[2] != 8)
		return q_error(err, 0, "gzip: member %u: unsupported compression method %u",
			       g->member, g->fixed[2]);
	if (g->fixed[3] & GZ_FRESERVED)
		return q_error(err, 0, "gzip: member %u: reserved header flags 0x%02x set",
			       g->member, g->fixed[3]);
	gz_advance(g, gz_next_field(g->fixed[3], H_FIXED));
	return 0;
}

/* Consume what the current header field can take of p[0..avail). Returns
 * the bytes taken, or -1. */
static ssize_t gz_field_feed(struct gunzip *g, const uint8_t *p, size_t avail, struct qerr *err)
{
	size_t n, from = g->got;
	const uint8_t *nul;

	switch (g->field) {
	case H_FIXED:
		n = sizeof(g->fixed) - g->got < avail ? sizeof(g->fixed) - g->got : avail;
		memcpy(g->fixed + g->got, p, n);
		g->got += n;
		return gz_fixed_check(g, from, err) < 0 ? -1 : (ssize_t)n;
	case H_XLEN:
	case H_HCRC:
		n = 2 - g->got < avail ? 2 - g->got : avail;
		memcpy(g->small + g->got, p, n);
		g->got += n;
		if (g->got < 2)
			return (ssize_t)n;
		if (g->field == H_XLEN) {
			g->xlen = g->small[0] | (size_t)g->small[1] << 8;
			gz_advance(g, g->xlen ? H_EXTRA : gz_next_field(g->fixed[3], H_EXTRA));
		} else {
			if ((g->small[0] | (uint32_t)g->small[1] << 8) != (g->hcrc & 0xffff))
				return q_error(err, 0, "gzip: member %u: header crc mismatch",
					       g->member);
			gz_advance(g, H_DONE);
		}
		return (ssize_t)n;
	case H_EXTRA:
		n = g->xlen - g->got < avail ? g->xlen - g->got : avail;
		g->got += n;
		if (g->got == g->xlen)
			gz_advance(g, gz_next_field(g->fixed[3], H_EXTRA));
		return (ssize_t)n;
	case H_NAME:
	case H_COMMENT:
		/* NUL-terminated, of any length: nothing is kept. */
		nul = memchr(p, 0, avail);
		if (!nul)
			return (ssize_t)avail;
		gz_advance(g, gz_next_field(g->fixed[3], g->field));
		return nul - p + 1;
	case H_DONE:
		break;
	}
	return 0;
}

/* Parse as much of a member header as the buffer holds. Returns 1 when
 * the header is complete, 0 when more input is needed, -1 on error. */
static int gz_header_feed(struct gunzip *g, struct qerr *err)
{
	while (g->field != H_DONE && g->ipos < g->ilen) {
		const uint8_t *p = g->ibuf + g->ipos;
		bool hashed = g->field != H_HCRC;
		ssize_t n = gz_field_feed(g, p, g->ilen - g->ipos, err);
		if (n < 0)
			return -1;
		if (hashed)
			g->hcrc = crc32_gzip_refl(g->hcrc, p, (uint64_t)n);
		g->ipos += (size_t)n;
	}
	return g->field == H_DONE;
}

static void gz_member_start(struct gunzip *g)
{
	gz_advance(g, H_FIXED);
	g->hcrc = 0;
	g->phase = GZ_HEADER;
}

static void gz_body_start(struct gunzip *g)
{
	isal_inflate_init(&g->st);
	/* ISA-L checks the trailer: CRC32 and ISIZE of this member. */
	g->st.crc_flag = ISAL_GZIP_NO_HDR_VER;
	g->phase = GZ_BODY;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ISA-L reports one code for both trailer fields; the trailer is the 8
 * bytes just consumed (kept even across a refill, see gz_refill). */
static int gz_trailer_error(struct gunzip *g, struct qerr *err)
{
	const uint8_t *t = g->ibuf + g->ipos - 8;
	if (le32(t) != g->st.crc)
		return q_error(err, 0, "gzip: crc mismatch in member %u", g->member);
	if (le32(t + 4) != g->st.total_out)
		return q_error(err, 0, "gzip: size mismatch in member %u", g->member);
	return q_error(err, 0, "gzip: crc or size mismatch in member %u", g->member);
}

static int gz_inflate_error(struct gunzip *g, int ret, struct qerr *err)
{
	switch (ret) {
	case ISAL_INCORRECT_CHECKSUM:
		return gz_trailer_error(g, err);
	case ISAL_INVALID_BLOCK:
		return q_error(err, 0, "gzip: member %u: invalid deflate block", g->member);
	case ISAL_INVALID_SYMBOL:
		return q_error(err, 0, "gzip: member %u: invalid deflate symbol", g->member);
	case ISAL_INVALID_LOOKBACK:
		return q_error(err, 0, "gzip: member %u: invalid back-reference distance",
			       g->member);
	default:
		return q_error(err, 0, "gzip: member %u: inflate error %d", g->member, ret);
	}
}

/* One inflate call into out. Returns bytes produced (maybe 0), -1. */
static ssize_t gz_inflate(struct gunzip *g, uint8_t *out, size_t cap, struct qerr *err)
{
	struct inflate_state *st = &g->st;
	size_t ipos0 = g->ipos;

	st->next_in = g->ibuf + g->ipos;
	st->avail_in = (uint32_t)(g->ilen - g->ipos);
	st->next_out = out;
	st->avail_out = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	uint32_t avail_out0 = st->avail_out;
	int ret = isal_inflate(st);
	g->ipos = (size_t)(st->next_in - g->ibuf);
	size_t produced = avail_out0 - st->avail_out;
	if (ret < 0)
		return gz_inflate_error(g, ret, err);
	if (st->block_state == ISAL_BLOCK_FINISH) {
		g->member++;
		gz_member_start(g);
		return (ssize_t)produced;
	}
	if (produced == 0 && (g->ipos == g->ilen || g->ipos == ipos0)) {
		ssize_t n = gz_refill(g, err);
		if (n < 0)
			return -1;
		if (n == 0)
			return q_error(err, 0, "gzip: unexpected end of stream");
	}
	return (ssize_t)produced;
}

/* At a header: parse it, reading input as needed. Returns 1 when the body
 * can start, 0 at a clean end of stream, -1. */
static int gz_header(struct gunzip *g, struct qerr *err)
{
	for (;;) {
		int rc = gz_header_feed(g, err);
		if (rc != 0)
			return rc;
		ssize_t n = gz_refill(g, err);
		if (n < 0)
			return -1;
		if (n > 0)
			continue;
		/* End of input: fine between members, not inside one. */
		if (g->member > 1 && g->field == H_FIXED && g->got == 0)
			return 0;
		return q_error(err, 0, "gzip: unexpected end of stream");
	}
}

/* Produce decompressed bytes into out: >0, 0 at the end, -1. */
static ssize_t gz_produce(struct gunzip *g, uint8_t *out, size_t cap, struct qerr *err)
{
	for (;;) {
		int rc;
		ssize_t n;

		switch (g->phase) {
		case GZ_HEADER:
			rc = gz_header(g, err);
			if (rc < 0)
				return gz_dead(g);
			if (rc == 0) {
				g->phase = GZ_END;
				return 0;
			}
			gz_body_start(g);
			break;
		case GZ_BODY:
			n = gz_inflate(g, out, cap, err);
			if (n < 0)
				return gz_dead(g);
			if (n > 0)
				return n;
			break;
		case GZ_END:
			return 0;
		case GZ_DEAD:
			return q_error(err, 0, "gzip: read after an error");
		}
	}
}

static ssize_t gunzip_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	struct gunzip *g = ctx;

	if (len == 0)
		return 0;
	if (g->opos == g->olen) {
		if (len >= GZ_DIRECT_MIN)
			return gz_produce(g, buf, len, err);
		ssize_t n = gz_produce(g, g->obuf, COMP_IO_BUF, err);
		if (n <= 0)
			return n;
		g->opos = 0;
		g->olen = (size_t)n;
	}
	size_t n = g->olen - g->opos < len ? g->olen - g->opos : len;
	memcpy(buf, g->obuf + g->opos, n);
	g->opos += n;
	return (ssize_t)n;
}

static void gunzip_free(void *ctx)
{
	struct gunzip *g = ctx;
	if (!g)
		return;
	free(g->ibase);
	free(g->obuf);
	free(g);
}

void gunzip_init(struct dec_impl *d, const struct byte_source *in)
{
	struct gunzip *g = xcalloc(1, sizeof(*g));

	g->in = in;
	g->ibase = xcalloc(1, GZ_BEHIND + COMP_IO_BUF);
	g->ibuf = g->ibase + GZ_BEHIND;
	g->obuf = xmalloc(COMP_IO_BUF);
	g->member = 1;
	gz_member_start(g);
	d->src.read = gunzip_read;
	d->src.skip = NULL;
	d->src.ctx = g;
	d->free = gunzip_free;
}
