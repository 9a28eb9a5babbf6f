/* Applying an image's layers onto a directory tree. */
#include "image_internal.h"

struct progress_src {
	struct byte_source src;
	struct layer_stream *ls;
	size_t layer;
	unpack_progress_fn fn;
	void *ctx;
};

static ssize_t progress_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	struct progress_src *p = ctx;
	const struct byte_source *in = layer_stream_source(p->ls);
	ssize_t n = in->read(in->ctx, buf, len, err);
	if (n > 0 && p->fn)
		p->fn(p->ctx, p->layer, layer_stream_consumed(p->ls));
	return n;
}

static int apply_one(struct image *img, size_t i, int root_fd, const struct extract_opts *opts,
		     struct extract_stats *stats, unpack_progress_fn fn, void *ctx,
		     struct qerr *err)
{
	struct layer_stream *ls = layer_stream_open(img, i, err);
	if (!ls)
		return -1;
	struct progress_src ps = { .ls = ls, .layer = i, .fn = fn, .ctx = ctx };
	ps.src = (struct byte_source){ progress_read, NULL, &ps };
	struct tar_reader *tr = tar_reader_new(&ps.src);
	int rc = fs_apply_layer(root_fd, tr, opts, stats, err);
	/* Read what follows the tar's end so the digests cover every byte. */
	if (rc == 0)
		rc = tar_reader_drain(tr, err);
	tar_reader_free(tr);
	if (layer_stream_close(ls, rc == 0 ? err : NULL) < 0)
		rc = -1;
	return rc;
}

int image_unpack(struct image *img, int root_fd, const struct extract_opts *opts,
		 struct extract_stats *stats, unpack_progress_fn progress, void *ctx,
		 struct qerr *err)
{
	for (size_t i = 0; i < img->n_layers; i++)
		if (apply_one(img, i, root_fd, opts, stats, progress, ctx, err) < 0)
			return q_error_wrap(err, "layer %zu of %zu", i + 1, img->n_layers);
	return 0;
}
