/* Fuzz the layer decompressors (gzip with ISA-L, zstd) on hostile input.
 *
 * Each input is decoded three ways: with the compression its magic
 * announces, then forced to gzip and to zstd, so both parsers see every
 * input. Input arrives in chunks and output is read in sizes that both
 * depend on the input, to reach the paths that straddle buffer edges.
 * Output is bounded (64 MiB per input): bombs are the consumer's concern,
 * the decoder must only never allocate by what a header claims.
 *
 * Some small inputs are also compressed (gzip on 1 or 3 threads, zstd)
 * and decoded back; any difference aborts. */
#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX (64u << 20)

struct src {
	const uint8_t *p;
	size_t len, pos, chunk;
};

static ssize_t src_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	struct src *s = ctx;
	(void)err;
	size_t n = s->len - s->pos;
	if (n > len)
		n = len;
	if (n > s->chunk)
		n = s->chunk;
	if (n)
		memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

/* Decode all of data; return 0 at a clean end, -1 on error or at the
 * bound. When out is given, the output is appended to it. */
static int decode(enum compression c, const uint8_t *data, size_t size, size_t chunk,
		  size_t rsize, struct strbuf *out)
{
	static uint8_t buf[256 * 1024];
	struct qerr err = QERR_INIT;
	struct src s = { data, size, 0, chunk ? chunk : SIZE_MAX };
	struct byte_source in = { src_read, NULL, &s };
	struct decompressor *d = decompressor_new(c, &in);
	const struct byte_source *ds = decompressor_source(d);
	size_t total = 0;
	ssize_t n;

	if (rsize > sizeof(buf))
		rsize = sizeof(buf);
	while ((n = ds->read(ds->ctx, buf, rsize, &err)) > 0) {
		if ((size_t)n > rsize)
			abort();
		total += (size_t)n;
		if (out)
			strbuf_add(out, buf, (size_t)n);
		if (total >= OUT_MAX)
			break;
	}
	if (n < 0 && err.msg[0] == 0)
		abort();   /* every failure names itself */
	decompressor_free(d);
	return n == 0 ? 0 : -1;
}

static int collect(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	(void)err;
	strbuf_add(ctx, buf, len);
	return 0;
}

static void roundtrip(enum compression c, int threads, const uint8_t *data, size_t size)
{
	struct strbuf z = STRBUF_INIT, back = STRBUF_INIT;
	struct qerr err = QERR_INIT;
	struct byte_sink sink = { collect, &z };
	struct compressor *k = compressor_new(c, size % 10, threads, &sink);
	const struct byte_sink *ks = compressor_sink(k);
	size_t half = size / 2;

	if (ks->write(ks->ctx, data, half, &err) < 0 ||
	    ks->write(ks->ctx, data + half, size - half, &err) < 0 ||
	    compressor_finish(k, &err) < 0)
		abort();
	compressor_free(k);
	if (decode(c, (const uint8_t *)z.buf, z.len, 0, 4096, &back) < 0 || back.len != size ||
	    (size && memcmp(back.buf, data, size)))
		abort();
	strbuf_release(&z);
	strbuf_release(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk = size ? 1 + data[size - 1] % 64 : 1;
	size_t rsize = size ? 1 + (size_t)data[0] * 257 : 512;

	decode(compression_detect(data, size), data, size, 0, 64 * 1024, NULL);
	decode(COMP_GZIP, data, size, chunk, rsize, NULL);
	decode(COMP_ZSTD, data, size, chunk, rsize, NULL);
	/* Compressor contexts cost more than the decoding above (zstd's
	 * clears MiBs of tables): round-trip a deterministic share. */
	if (size <= 64 * 1024 && size % 4 == 0)
		roundtrip(COMP_GZIP, 1 + (int)(size % 8 / 4) * 2, data, size);
	if (size <= 64 * 1024 && size % 16 == 1)
		roundtrip(COMP_ZSTD, 1, data, size);
	return 0;
}
