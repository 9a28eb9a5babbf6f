/* Private to the compression code of image/: the interface between
 * compress.c (names, dispatch, error stickiness) and one file per codec
 * (compress_gunzip.c, compress_gzip.c, compress_zstd.c).
 *
 * A codec fills a dec_impl or enc_impl whose ctx it owns; compress.c wraps
 * it in the public decompressor / compressor and calls its free once. */
#ifndef QUENCH_IMAGE_COMPRESS_INTERNAL_H
#define QUENCH_IMAGE_COMPRESS_INTERNAL_H

#include "image/image.h"

/* Input read-ahead and internal output buffers: big enough that a syscall
 * or a codec call is amortized over hundreds of KiB. */
#define COMP_IO_BUF (256u * 1024)

struct dec_impl {
	struct byte_source src;          /* src.ctx is the codec's state */
	void (*free)(void *ctx);
};

struct enc_impl {
	struct byte_sink sink;           /* sink.ctx is the codec's state */
	int (*finish)(void *ctx, struct qerr *err);
	void (*free)(void *ctx);
};

void gunzip_init(struct dec_impl *d, const struct byte_source *in);
void unzstd_init(struct dec_impl *d, const struct byte_source *in);

/* level: already resolved by compress.c to the codec's own scale
 * (ISA-L 0–3, zstd's levels); threads >= 1. */
void gzip_enc_init(struct enc_impl *e, int isal_level, int threads, const struct byte_sink *out);
void zstd_enc_init(struct enc_impl *e, int level, int threads, const struct byte_sink *out);

#endif
