/* zstd compression and decompression with libzstd's streaming API.
 *
 * Decoding: frames back to back, skippable frames included, are one
 * stream (ZSTD_decompressStream starts the next frame by itself). The
 * window is capped at 2^27 (128 MiB): the window is the one buffer the
 * decoder sizes from the frame header, so without a cap a 20-byte hostile
 * frame could make us allocate up to 2 GiB (window log 31) per layer, and
 * layers are decoded several at a time. 27 is also zstd's own default
 * limit, so we accept what `zstd -d` accepts without --memory, including
 * `zstd --long` (window log 27).
 *
 * Encoding: always through zstd's multithreaded engine (nbWorkers >= 1).
 * Its job boundaries depend on the parameters, never on the number of
 * workers or on how the input was cut into writes, so the bytes are the
 * same for every thread count; nbWorkers = 0 would be another format
 * choice (one job) with different bytes. Checksum on; no content size,
 * since it is unknown when streaming and writing it only sometimes (zstd
 * does when everything arrives in one call) would make the output depend
 * on the caller's write pattern.
 */
#include "image/compress_internal.h"

#include <zstd.h>
#include <zstd_errors.h>

#define ZSTD_WINDOW_LOG_MAX 27

/* ---- decoding ------------------------------------------------------------- */

struct unzstd {
	const struct byte_source *in;
	ZSTD_DCtx *dctx;
	uint8_t *ibuf;
	ZSTD_inBuffer ib;
	bool eof;
	bool any_input;       /* an empty input is not a zstd stream */
	bool in_frame;        /* the last call left a frame unfinished */
	unsigned frames;      /* frames completed, for messages */
	bool dead;
};

/* zstd's error enum is long and grows; name the few a layer can hit. */
static int zd_error(struct unzstd *z, size_t ret, struct qerr *err)
{
	ZSTD_ErrorCode code = ZSTD_getErrorCode(ret);

	z->dead = true;
	if (code == ZSTD_error_prefix_unknown) {
		if (z->frames > 0 && !z->in_frame)
			return q_error(err, 0, "zstd: trailing garbage after zstd stream");
		return q_error(err, 0, "zstd: not a zstd frame (bad magic)");
	}
	if (code == ZSTD_error_frameParameter_windowTooLarge)
		return q_error(err, 0, "zstd: frame %u needs a window larger than %u MiB",
			       z->frames + 1, (1u << ZSTD_WINDOW_LOG_MAX) >> 20);
	if (code == ZSTD_error_checksum_wrong)
		return q_error(err, 0, "zstd: checksum mismatch in frame %u", z->frames + 1);
	return q_error(err, 0, "zstd: frame %u: %s", z->frames + 1, ZSTD_getErrorName(ret));
}

/* All input consumed: read more. Returns >0, 0 at end of input, -1. */
static ssize_t zd_refill(struct unzstd *z, struct qerr *err)
{
	if (z->eof)
		return 0;
	ssize_t n = z->in->read(z->in->ctx, z->ibuf, COMP_IO_BUF, err);
	if (n < 0) {
		z->dead = true;
		return -1;
	}
	if (n == 0)
		z->eof = true;
	else
		z->any_input = true;
	z->ib.src = z->ibuf;
	z->ib.size = (size_t)n;
	z->ib.pos = 0;
	return n;
}

static ssize_t zd_at_end(struct unzstd *z, struct qerr *err)
{
	if (z->in_frame || !z->any_input) {
		z->dead = true;
		return q_error(err, 0, "zstd: unexpected end of stream");
	}
	return 0;
}

static ssize_t unzstd_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	struct unzstd *z = ctx;
	ZSTD_outBuffer ob = { buf, len, 0 };

	if (z->dead)
		return q_error(err, 0, "zstd: read after an error");
	while (len > 0) {
		if (z->ib.pos == z->ib.size) {
			ssize_t n = zd_refill(z, err);
			if (n < 0)
				return -1;
			/* At end of input a frame may still have output to
			 * flush: only a call that adds nothing means the end. */
		}
		size_t in0 = z->ib.pos;
		size_t ret = ZSTD_decompressStream(z->dctx, &ob, &z->ib);
		if (ZSTD_isError(ret))
			return zd_error(z, ret, err);
		if (z->ib.pos == in0 && ob.pos == 0) {
			/* Only a call that neither takes nor gives says
			 * nothing about frames (its hint is for a header). */
			if (z->eof)
				return zd_at_end(z, err);
			if (z->ib.pos < z->ib.size) {
				z->dead = true;
				return q_error(err, 0, "zstd: decoder made no progress");
			}
			continue;
		}
		if (ret == 0)
			z->frames++;
		z->in_frame = ret != 0;
		if (ob.pos > 0)
			return (ssize_t)ob.pos;
	}
	return 0;
}

static void unzstd_free(void *ctx)
{
	struct unzstd *z = ctx;
	if (!z)
		return;
	ZSTD_freeDCtx(z->dctx);
	free(z->ibuf);
	free(z);
}

void unzstd_init(struct dec_impl *d, const struct byte_source *in)
{
	struct unzstd *z = xcalloc(1, sizeof(*z));

	z->in = in;
	z->dctx = ZSTD_createDCtx();
	if (!z->dctx)
		BUG("ZSTD_createDCtx: out of memory");
	size_t r = ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
	if (ZSTD_isError(r))
		BUG("ZSTD_d_windowLogMax refused");
	z->ibuf = xmalloc(COMP_IO_BUF);
	z->ib.src = z->ibuf;
	d->src.read = unzstd_read;
	d->src.skip = NULL;
	d->src.ctx = z;
	d->free = unzstd_free;
}

/* ---- encoding ------------------------------------------------------------- */

struct zstd_enc {
	struct byte_sink out;
	ZSTD_CCtx *cctx;
	uint8_t *obuf;
	size_t olen;
};

static int ze_flush(struct zstd_enc *z, struct qerr *err)
{
	if (z->olen == 0)
		return 0;
	size_t n = z->olen;
	z->olen = 0;
	return z->out.write(z->out.ctx, z->obuf, n, err);
}

/* Run the encoder over in with op; flush our buffer whenever it fills.
 * Returns zstd's "remaining" hint (0: done for this op), or -1. */
static ssize_t ze_step(struct zstd_enc *z, ZSTD_inBuffer *in, ZSTD_EndDirective op,
		       struct qerr *err)
{
	ZSTD_outBuffer ob = { z->obuf, COMP_IO_BUF, z->olen };
	size_t ret = ZSTD_compressStream2(z->cctx, &ob, in, op);
	z->olen = ob.pos;
	if (ZSTD_isError(ret))
		return q_error(err, 0, "zstd: %s", ZSTD_getErrorName(ret));
	if (z->olen == COMP_IO_BUF && ze_flush(z, err) < 0)
		return -1;
	return ret > (size_t)SSIZE_MAX ? SSIZE_MAX : (ssize_t)ret;
}

static int zstd_enc_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	struct zstd_enc *z = ctx;
	ZSTD_inBuffer in = { buf, len, 0 };

	while (in.pos < in.size)
		if (ze_step(z, &in, ZSTD_e_continue, err) < 0)
			return -1;
	return 0;
}

static int zstd_enc_finish(void *ctx, struct qerr *err)
{
	struct zstd_enc *z = ctx;
	ZSTD_inBuffer in = { NULL, 0, 0 };
	ssize_t left;

	do {
		left = ze_step(z, &in, ZSTD_e_end, err);
		if (left < 0)
			return -1;
	} while (left > 0);
	return ze_flush(z, err);
}

static void zstd_enc_free(void *ctx)
{
	struct zstd_enc *z = ctx;
	if (!z)
		return;
	ZSTD_freeCCtx(z->cctx);
	free(z->obuf);
	free(z);
}

static void ze_param(ZSTD_CCtx *cctx, ZSTD_cParameter p, int v, const char *what)
{
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, p, v)))
		BUG(what);
}

void zstd_enc_init(struct enc_impl *e, int level, int threads, const struct byte_sink *out)
{
	struct zstd_enc *z = xcalloc(1, sizeof(*z));

	z->out = *out;
	z->cctx = ZSTD_createCCtx();
	if (!z->cctx)
		BUG("ZSTD_createCCtx: out of memory");
	ze_param(z->cctx, ZSTD_c_compressionLevel, level, "zstd level refused");
	ze_param(z->cctx, ZSTD_c_checksumFlag, 1, "zstd checksum flag refused");
	ze_param(z->cctx, ZSTD_c_contentSizeFlag, 0, "zstd content size flag refused");
	/* A libzstd built without threads refuses any nbWorkers >= 1; it then
	 * compresses in one job, still the same bytes for every thread count. */
	(void)ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_nbWorkers, threads);
	z->obuf = xmalloc(COMP_IO_BUF);
	e->sink.write = zstd_enc_write;
	e->sink.ctx = z;
	e->finish = zstd_enc_finish;
	e->free = zstd_enc_free;
}
