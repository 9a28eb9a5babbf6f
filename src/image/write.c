/* Writing images. Everything is built in a staging directory beside the
 * destination (same filesystem, so the final step is a rename) and appears
 * at the destination only on commit: a failed run leaves nothing behind. */
#include "image_internal.h"
#include "fs/fs.h"
#include "write_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

/* ---- blobs being written ------------------------------------------------- */

struct blob_out {
	struct byte_sink sink;
	struct image_writer *w;
	int fd;
	char tmp[64];
	struct sha256 h;
	uint64_t size;
};

static int blob_out_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	struct blob_out *bo = ctx;
	sha256_update(&bo->h, buf, len);
	bo->size += len;
	if (write_all(bo->fd, buf, len, err) < 0)
		return q_error_wrap(err, "staging blob");
	return 0;
}

static int blob_out_begin(struct image_writer *w, struct blob_out *bo, struct qerr *err)
{
	memset(bo, 0, sizeof(*bo));
	bo->w = w;
	unsigned n = atomic_fetch_add(&w->tmp_counter, 1);
	snprintf(bo->tmp, sizeof(bo->tmp), "blobs/sha256/.tmp-%u", n);
	bo->fd = openat(w->stage_fd, bo->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (bo->fd < 0)
		return q_error(err, errno, "create '%s/%s'", w->stage, bo->tmp);
	sha256_init(&bo->h);
	bo->sink = (struct byte_sink){ blob_out_write, bo };
	return 0;
}

static void blob_out_abort(struct blob_out *bo)
{
	if (bo->fd < 0)
		return;
	close(bo->fd);
	bo->fd = -1;
	unlinkat(bo->w->stage_fd, bo->tmp, 0);
	sha256_release(&bo->h);
}

/* Name the blob by its digest. The same content twice is the same file. */
static int blob_out_finish(struct blob_out *bo, struct descriptor *d, const char *media_type,
			   struct qerr *err)
{
	int fd = bo->fd;
	bo->fd = -1;
	sha256_final(&bo->h, d->digest);
	d->size = bo->size;
	d->media_type = xstrdup(media_type);
	cleanup_free char *path = blob_path(d->digest);
	if (close(fd) < 0 || renameat(bo->w->stage_fd, bo->tmp, bo->w->stage_fd, path) < 0) {
		int e = errno;
		unlinkat(bo->w->stage_fd, bo->tmp, 0);
		return q_error(err, e, "store blob %s", d->digest);
	}
	return 0;
}

/* A small document (config, manifest) as a blob. */
int write_blob_bytes(struct image_writer *w, const char *data, size_t len,
			    const char *media_type, struct descriptor *d, struct qerr *err)
{
	struct blob_out bo;
	if (blob_out_begin(w, &bo, err) < 0)
		return -1;
	if (blob_out_write(&bo, data, len, err) < 0) {
		blob_out_abort(&bo);
		return -1;
	}
	return blob_out_finish(&bo, d, media_type, err);
}

/* ---- lifecycle ------------------------------------------------------------- */

static const char *layer_media_type(enum compression c)
{
	switch (c) {
	case COMP_NONE:
		return MT_OCI_LAYER;
	case COMP_GZIP:
		return MT_OCI_LAYER_GZIP;
	case COMP_ZSTD:
		return MT_OCI_LAYER_ZSTD;
	}
	return MT_OCI_LAYER;
}

struct image_writer *image_writer_new(const struct image_ref *dst,
				      const struct image_writer_opts *opts, struct qerr *err)
{
	if (dst->transport != TRANSPORT_OCI && dst->transport != TRANSPORT_OCI_ARCHIVE &&
	    dst->transport != TRANSPORT_DOCKER_ARCHIVE) {
		q_error(err, 0, "cannot write images to '%s:' references",
			transport_name(dst->transport));
		return NULL;
	}
	struct image_writer *w = xcalloc(1, sizeof(*w));
	w->dst.transport = dst->transport;
	w->dst.path = xstrdup(dst->path);
	w->dst.tag = dst->tag ? xstrdup(dst->tag) : NULL;
	w->opts = *opts;
	if (w->opts.threads <= 0)
		w->opts.threads = (int)sysconf(_SC_NPROCESSORS_ONLN) > 0
					  ? (int)sysconf(_SC_NPROCESSORS_ONLN) : 1;
	char *trimmed = xstrdup(dst->path);
	for (size_t l = strlen(trimmed); l > 1 && trimmed[l - 1] == '/'; l--)
		trimmed[l - 1] = '\0';
	w->stage = xasprintf("%s.stage-%d", trimmed, (int)getpid());
	free(trimmed);
	w->stage_fd = -1;
	struct qerr ignored = QERR_INIT;
	fs_remove_at(AT_FDCWD, w->stage, &ignored);
	if (mkdir(w->stage, 0755) < 0) {
		q_error(err, errno, "create staging directory '%s'", w->stage);
		free(w->stage);
		w->stage = NULL;
		image_writer_free(w);
		return NULL;
	}
	w->stage_fd = open(w->stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->stage_fd < 0 || mkdirat(w->stage_fd, "blobs", 0755) < 0 ||
	    mkdirat(w->stage_fd, "blobs/sha256", 0755) < 0) {
		q_error(err, errno, "create staging directory '%s'", w->stage);
		image_writer_free(w);
		return NULL;
	}
	return w;
}

void image_writer_free(struct image_writer *w)
{
	if (!w)
		return;
	if (w->stage_fd >= 0)
		close(w->stage_fd);
	if (w->stage) {
		struct qerr ignored = QERR_INIT;
		fs_remove_at(AT_FDCWD, w->stage, &ignored);
	}
	for (size_t i = 0; i < w->n_layers; i++)
		descriptor_release(&w->layers[i].desc);
	free(w->layers);
	free(w->stage);
	image_ref_release(&w->dst);
	free(w);
}

const char *image_writer_manifest_digest(const struct image_writer *w)
{
	return w->manifest_digest;
}

static struct written_layer *new_layer_slot(struct image_writer *w)
{
	w->layers = xgrow(w->layers, &w->cap_layers, w->n_layers + 1, sizeof(*w->layers));
	struct written_layer *l = &w->layers[w->n_layers++];
	memset(l, 0, sizeof(*l));
	return l;
}

/* ---- layers ---------------------------------------------------------------- */

struct hash_sink {
	struct byte_sink sink;
	const struct byte_sink *next;
	struct sha256 h;
	uint64_t size;
};

static int hash_sink_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	struct hash_sink *hs = ctx;
	sha256_update(&hs->h, buf, len);
	hs->size += len;
	return hs->next->write(hs->next->ctx, buf, len, err);
}

/* Compress what `produce` writes into a new blob; fill l. */
static int write_layer(struct image_writer *w, layer_producer produce, void *ctx,
		       struct written_layer *l, int threads, struct qerr *err)
{
	struct blob_out bo;
	if (blob_out_begin(w, &bo, err) < 0)
		return -1;
	struct compressor *c = compressor_new(w->opts.compression, w->opts.level, threads, &bo.sink);
	struct hash_sink hs = { .next = compressor_sink(c) };
	hs.sink = (struct byte_sink){ hash_sink_write, &hs };
	sha256_init(&hs.h);
	int rc = produce(ctx, &hs.sink, err);
	if (rc == 0)
		rc = compressor_finish(c, err);
	compressor_free(c);
	if (rc < 0) {
		sha256_release(&hs.h);
		blob_out_abort(&bo);
		return -1;
	}
	sha256_final(&hs.h, l->diff_id);
	return blob_out_finish(&bo, &l->desc, layer_media_type(w->opts.compression), err);
}

int image_writer_add_layer(struct image_writer *w, layer_producer produce, void *ctx,
			   struct qerr *err)
{
	struct written_layer tmp = { 0 };
	if (write_layer(w, produce, ctx, &tmp, w->opts.threads, err) < 0)
		return -1;
	*new_layer_slot(w) = tmp;
	return 0;
}

/* Pump a verified source into a sink in big chunks. */
static int pump(const struct byte_source *src, const struct byte_sink *sink, struct qerr *err)
{
	cleanup_free char *buf = xmalloc(1 << 20);
	for (;;) {
		ssize_t n = src->read(src->ctx, buf, 1 << 20, err);
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (sink->write(sink->ctx, buf, (size_t)n, err) < 0)
			return -1;
	}
}

struct recompress_ctx {
	struct image *src;
	size_t i;
};

static int recompress_producer(void *ctx, const struct byte_sink *out, struct qerr *err)
{
	struct recompress_ctx *rc = ctx;
	struct layer_stream *ls = layer_stream_open(rc->src, rc->i, err);
	if (!ls)
		return -1;
	int r = pump(layer_stream_source(ls), out, err);
	if (r < 0) {
		layer_stream_close(ls, NULL);
		return -1;
	}
	return layer_stream_close(ls, err);
}

/* Same compression: copy the blob's bytes, verified, unchanged. */
static int copy_blob_as_is(struct image_writer *w, struct image *src, size_t i,
			   struct written_layer *l, struct qerr *err)
{
	const struct layer_info *li = &src->layers[i];
	struct blob_reader *b = blob_open(src, &li->desc, err);
	if (!b)
		return -1;
	struct blob_out bo;
	if (blob_out_begin(w, &bo, err) < 0) {
		blob_close(b, NULL);
		return -1;
	}
	int rc = pump(blob_source(b), &bo.sink, err);
	if (blob_close(b, rc == 0 ? err : NULL) < 0)
		rc = -1;
	if (rc < 0) {
		blob_out_abort(&bo);
		return -1;
	}
	snprintf(l->diff_id, sizeof(l->diff_id), "%s", li->diff_id);
	return blob_out_finish(&bo, &l->desc, layer_media_type(li->compression), err);
}

static int copy_one_layer(struct image_writer *w, struct image *src, size_t i,
			  struct written_layer *l, int threads, struct qerr *err)
{
	int rc;
	if (w->opts.keep_compression || src->layers[i].compression == w->opts.compression) {
		rc = copy_blob_as_is(w, src, i, l, err);
	} else {
		struct recompress_ctx ctx = { src, i };
		rc = write_layer(w, recompress_producer, &ctx, l, threads, err);
	}
	if (rc < 0)
		return q_error_wrap(err, "layer %zu", i + 1);
	return 0;
}

struct copy_job {
	struct image_writer *w;
	struct image *src;
	atomic_size_t next;
	struct written_layer *out;
	struct qerr *errs;
	int *rcs;
	int threads_per_layer;
};

static void *copy_worker(void *arg)
{
	struct copy_job *job = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&job->next, 1);
		if (i >= job->src->n_layers)
			return NULL;
		job->rcs[i] = copy_one_layer(job->w, job->src, i, &job->out[i],
					     job->threads_per_layer, &job->errs[i]);
	}
}

int image_writer_copy_layers(struct image_writer *w, struct image *src, struct qerr *err)
{
	size_t n = src->n_layers;
	struct copy_job job = { .w = w, .src = src };
	job.out = xcalloc(n, sizeof(*job.out));
	job.errs = xcalloc(n, sizeof(*job.errs));
	job.rcs = xcalloc(n, sizeof(*job.rcs));
	atomic_init(&job.next, 0);
	size_t workers = n < (size_t)w->opts.threads ? n : (size_t)w->opts.threads;
	if (workers == 0)
		workers = 1;
	/* Few big layers get the cores inside their compressor instead. */
	job.threads_per_layer = (int)((size_t)w->opts.threads / workers);
	if (job.threads_per_layer < 1)
		job.threads_per_layer = 1;
	pthread_t *tids = xcalloc(workers, sizeof(*tids));
	size_t started = 0;
	for (; started + 1 < workers; started++)
		if (pthread_create(&tids[started], NULL, copy_worker, &job) != 0)
			break;
	copy_worker(&job);
	for (size_t t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && job.rcs[i] < 0) {
			*err = job.errs[i];
			rc = -1;
		}
		if (rc == 0)
			*new_layer_slot(w) = job.out[i];
		else
			descriptor_release(&job.out[i].desc);
	}
	free(job.out);
	free(job.errs);
	free(job.rcs);
	return rc;
}
