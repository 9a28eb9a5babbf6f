/* Layer compression: names, detection, and the public decompressor /
 * compressor, which dispatch to one file per codec (compress_internal.h).
 *
 * The compressor wrapper makes failure sticky: after one write fails (the
 * sink's error, usually ENOSPC), every later write and finish repeats that
 * first error instead of feeding a codec whose output is already lost. */
#include "image/compress_internal.h"

#include <zstd.h>

const char *compression_name(enum compression c)
{
	switch (c) {
	case COMP_NONE:
		return "none";
	case COMP_GZIP:
		return "gzip";
	case COMP_ZSTD:
		return "zstd";
	}
	return "unknown";
}

int compression_parse(const char *s, enum compression *c, struct qerr *err)
{
	if (!strcmp(s, "gzip"))
		*c = COMP_GZIP;
	else if (!strcmp(s, "zstd"))
		*c = COMP_ZSTD;
	else if (!strcmp(s, "none") || !strcmp(s, "uncompressed"))
		*c = COMP_NONE;
	else
		return q_error(err, 0, "unknown compression '%s' (gzip, zstd or none)", s);
	return 0;
}

enum compression compression_detect(const void *head, size_t len)
{
	static const unsigned char gz[] = { 0x1f, 0x8b };
	static const unsigned char zs[] = { 0x28, 0xb5, 0x2f, 0xfd };

	if (len >= sizeof(gz) && !memcmp(head, gz, sizeof(gz)))
		return COMP_GZIP;
	if (len >= sizeof(zs) && !memcmp(head, zs, sizeof(zs)))
		return COMP_ZSTD;
	return COMP_NONE;
}

/* ---- decompressor ---------------------------------------------------------- */

struct decompressor {
	struct dec_impl impl;
};

static void none_dec_free(void *ctx)
{
	(void)ctx;
}

struct decompressor *decompressor_new(enum compression c, const struct byte_source *in)
{
	struct decompressor *d = xcalloc(1, sizeof(*d));

	switch (c) {
	case COMP_NONE:
		/* Pass through, skip included: a tar reader over an
		 * uncompressed layer can lseek past file contents. */
		d->impl.src = *in;
		d->impl.free = none_dec_free;
		break;
	case COMP_GZIP:
		gunzip_init(&d->impl, in);
		break;
	case COMP_ZSTD:
		unzstd_init(&d->impl, in);
		break;
	default:
		free(d);
		return NULL;
	}
	return d;
}

const struct byte_source *decompressor_source(struct decompressor *d)
{
	return &d->impl.src;
}

void decompressor_free(struct decompressor *d)
{
	if (!d)
		return;
	d->impl.free(d->impl.src.ctx);
	free(d);
}

/* ---- compressor ------------------------------------------------------------- */

enum enc_state { ENC_OPEN, ENC_FINISHED, ENC_FAILED };

struct compressor {
	struct byte_sink sink;      /* what compressor_sink hands out */
	struct enc_impl impl;
	enum enc_state state;
	struct qerr failure;        /* the first error, repeated afterwards */
};

/* Bounds memory (gzip keeps two blocks per thread in flight) and threads. */
#define COMP_MAX_THREADS 64

struct none_enc {
	struct byte_sink out;
};

static int none_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	struct none_enc *n = ctx;
	return n->out.write(n->out.ctx, buf, len, err);
}

static int none_finish(void *ctx, struct qerr *err)
{
	(void)ctx;
	(void)err;
	return 0;
}

static void none_init(struct enc_impl *e, const struct byte_sink *out)
{
	struct none_enc *n = xcalloc(1, sizeof(*n));
	n->out = *out;
	e->sink.write = none_write;
	e->sink.ctx = n;
	e->finish = none_finish;
	e->free = free;
}

/* User levels 1–9 (gzip's scale) onto ISA-L's 0–3:
 *   1 → 0 (fastest)   2–3 → 1   4–6 → 2   7–9 → 3 (best)
 * 0 (default) is ISA-L 1, igzip's own default: several times faster than
 * gzip -6 for a ratio between gzip -1 and -3, the right trade for layers
 * that are written once per build. */
static int gzip_level(int level)
{
	if (level <= 0)
		return 1;
	if (level == 1)
		return 0;
	if (level <= 3)
		return 1;
	if (level <= 6)
		return 2;
	return 3;
}

static int zstd_level(int level)
{
	if (level == 0)
		return 3;
	if (level < ZSTD_minCLevel())
		return ZSTD_minCLevel();
	if (level > ZSTD_maxCLevel())
		return ZSTD_maxCLevel();
	return level;
}

static int enc_fail(struct compressor *c, struct qerr *err)
{
	if (c->state != ENC_FAILED) {
		c->state = ENC_FAILED;
		if (err)
			c->failure = *err;
		else
			snprintf(c->failure.msg, sizeof(c->failure.msg), "%s", "compression failed");
	}
	return -1;
}

static int enc_refuse(struct compressor *c, struct qerr *err)
{
	if (c->state == ENC_FAILED) {
		if (err)
			*err = c->failure;
		return -1;
	}
	return q_error(err, 0, "compressor: write after finish");
}

static int enc_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	struct compressor *c = ctx;

	if (c->state != ENC_OPEN)
		return enc_refuse(c, err);
	if (len == 0)
		return 0;
	if (c->impl.sink.write(c->impl.sink.ctx, buf, len, err) < 0)
		return enc_fail(c, err);
	return 0;
}

struct compressor *compressor_new(enum compression c, int level, int threads,
				  const struct byte_sink *out)
{
	struct compressor *k = xcalloc(1, sizeof(*k));

	if (threads < 1)
		threads = 1;
	if (threads > COMP_MAX_THREADS)
		threads = COMP_MAX_THREADS;
	switch (c) {
	case COMP_NONE:
		none_init(&k->impl, out);
		break;
	case COMP_GZIP:
		gzip_enc_init(&k->impl, gzip_level(level), threads, out);
		break;
	case COMP_ZSTD:
		zstd_enc_init(&k->impl, zstd_level(level), threads, out);
		break;
	default:
		free(k);
		return NULL;
	}
	k->sink.write = enc_write;
	k->sink.ctx = k;
	k->state = ENC_OPEN;
	return k;
}

const struct byte_sink *compressor_sink(struct compressor *c)
{
	return &c->sink;
}

int compressor_finish(struct compressor *c, struct qerr *err)
{
	if (c->state == ENC_FAILED)
		return enc_refuse(c, err);
	if (c->state == ENC_FINISHED)
		return q_error(err, 0, "compressor: finished twice");
	if (c->impl.finish(c->impl.sink.ctx, err) < 0)
		return enc_fail(c, err);
	c->state = ENC_FINISHED;
	return 0;
}

void compressor_free(struct compressor *c)
{
	if (!c)
		return;
	c->impl.free(c->impl.sink.ctx);
	free(c);
}
