/* Blobs and layers as verified streams: every byte read is hashed, the
 * blob's size and digest are checked at close, and a layer's uncompressed
 * bytes are checked against its diff_id. Nothing is held in memory. */
#include "image_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#define BLOB_CHUNK (1u << 20)
#define PREFETCH_CHUNK (1u << 20)
#define PREFETCH_DEPTH 8

struct blob_reader {
	struct byte_source src;
	char digest[DIGEST_STR_MAX];
	int fd;
	uint64_t off, size, pos;
	struct sha256 h;
};

static ssize_t blob_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	struct blob_reader *b = ctx;
	uint64_t left = b->size - b->pos;
	if (left == 0)
		return 0;
	if (len > left)
		len = (size_t)left;
	ssize_t n;
	do
		n = pread(b->fd, buf, len, (off_t)(b->off + b->pos));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return q_error(err, errno, "blob %s: read", b->digest);
	if (n == 0)
		return q_error(err, 0, "blob %s: file ends before its size", b->digest);
	sha256_update(&b->h, buf, (size_t)n);
	b->pos += (uint64_t)n;
	return n;
}

struct blob_reader *blob_open(struct image *img, const struct descriptor *d, struct qerr *err)
{
	int fd;
	uint64_t off, size;
	if (blob_store_locate_digest(img->store, d->digest, &fd, &off, &size, err) < 0)
		return NULL;
	if (size != d->size) {
		close(fd);
		q_error(err, 0, "blob %s: size %llu does not match the descriptor's %llu", d->digest,
			(unsigned long long)size, (unsigned long long)d->size);
		return NULL;
	}
	struct blob_reader *b = xcalloc(1, sizeof(*b));
	snprintf(b->digest, sizeof(b->digest), "%s", d->digest);
	b->fd = fd;
	b->off = off;
	b->size = size;
	sha256_init(&b->h);
	b->src = (struct byte_source){ blob_read, NULL, b };
	return b;
}

const struct byte_source *blob_source(struct blob_reader *b)
{
	return &b->src;
}

/* Peek without hashing: to learn the compression from magic bytes. */
static int blob_peek(struct blob_reader *b, void *buf, size_t len, size_t *got,
		     struct qerr *err)
{
	*got = b->size < len ? (size_t)b->size : len;
	if (pread_all(b->fd, buf, *got, (off_t)b->off, err) < 0)
		return q_error_wrap(err, "blob %s", b->digest);
	return 0;
}

int blob_close(struct blob_reader *b, struct qerr *err)
{
	if (!b)
		return 0;
	int rc = 0;
	char got[DIGEST_STR_MAX];
	if (b->pos != b->size) {
		sha256_release(&b->h);
		rc = q_error(err, 0, "blob %s: %llu of %llu bytes were not consumed (data after the "
				     "end of the stream?)",
			     b->digest, (unsigned long long)(b->size - b->pos),
			     (unsigned long long)b->size);
	} else {
		sha256_final(&b->h, got);
		if (strcmp(got, b->digest))
			rc = q_error(err, 0, "blob %s: content has digest %s", b->digest, got);
	}
	close(b->fd);
	free(b);
	return rc;
}

struct layer_stream {
	struct byte_source src;          /* verified bytes, read in this thread */
	struct prefetch *pf;             /* src read ahead by a thread */
	struct byte_source ahead;        /* pf's bytes, diff-hashed here (what callers get) */
	_Atomic uint64_t consumed;       /* for progress, read from another thread */
	struct blob_reader *blob;
	struct decompressor *dec;
	const struct byte_source *inner;
	struct sha256 h;
	uint64_t bytes;
	bool eof;
	bool hash_diff;                  /* false: the blob's digest check covers diff_id */
	bool hash_ahead;                 /* the diff is hashed by ahead_read, not layer_read */
	char diff_id[DIGEST_STR_MAX];
};

static ssize_t layer_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	struct layer_stream *ls = ctx;
	ssize_t n = ls->inner->read(ls->inner->ctx, buf, len, err);
	if (n < 0)
		return q_error_wrap(err, "layer %s", ls->blob->digest);
	if (n == 0)
		ls->eof = true;
	if (ls->hash_diff && !ls->hash_ahead)
		sha256_update(&ls->h, buf, (size_t)n);
	ls->bytes += (uint64_t)n;
	atomic_store_explicit(&ls->consumed, ls->blob->pos, memory_order_relaxed);
	return n;
}

static int check_compression(const struct layer_info *li, enum compression found,
			     struct qerr *err)
{
	/* Docker labels some gzip layers as plain tar and reads them anyway;
	 * we follow the bytes. Two different compressors is a lie, though. */
	if (li->compression != COMP_NONE && found != COMP_NONE && li->compression != found)
		return q_error(err, 0, "layer %s: media type says %s but the blob is %s",
			       li->desc.digest, compression_name(li->compression),
			       compression_name(found));
	if (li->compression != COMP_NONE && found == COMP_NONE)
		return q_error(err, 0, "layer %s: media type says %s but the blob is not compressed",
			       li->desc.digest, compression_name(li->compression));
	return 0;
}

struct layer_stream *layer_stream_open(struct image *img, size_t i, struct qerr *err)
{
	if (i >= img->n_layers)
		BUG("layer index out of range");
	const struct layer_info *li = &img->layers[i];
	struct blob_reader *b = blob_open(img, &li->desc, err);
	if (!b)
		return NULL;
	unsigned char head[4];
	size_t got;
	if (blob_peek(b, head, sizeof(head), &got, err) < 0) {
		blob_close(b, NULL);
		return NULL;
	}
	enum compression c = compression_detect(head, got);
	if (check_compression(li, c, err) < 0) {
		blob_close(b, NULL);
		return NULL;
	}
	struct layer_stream *ls = xcalloc(1, sizeof(*ls));
	ls->blob = b;
	ls->dec = decompressor_new(c, blob_source(b));
	ls->inner = decompressor_source(ls->dec);
	snprintf(ls->diff_id, sizeof(ls->diff_id), "%s", li->diff_id);
	/* An uncompressed blob is its own diff: hashing it twice would cost a
	 * second pass over every byte of a 10 GB docker save. */
	ls->hash_diff = c != COMP_NONE || strcmp(li->desc.digest, li->diff_id) != 0;
	sha256_init(&ls->h);
	ls->src = (struct byte_source){ layer_read, NULL, ls };
	return ls;
}

/* The diff_id hash runs in the consumer's thread: the read-ahead thread
 * already reads, hashes and inflates the blob, so this splits the work
 * about evenly between two cores. */
static ssize_t ahead_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	struct layer_stream *ls = ctx;
	const struct byte_source *pf = prefetch_source(ls->pf);
	ssize_t n = pf->read(pf->ctx, buf, len, err);
	if (n > 0 && ls->hash_diff)
		sha256_update(&ls->h, buf, (size_t)n);
	return n;
}

const struct byte_source *layer_stream_source(struct layer_stream *ls)
{
	if (!ls->pf) {
		/* Set before the thread starts (pthread_create orders it). */
		ls->hash_ahead = true;
		ls->pf = prefetch_new(&ls->src, PREFETCH_CHUNK, PREFETCH_DEPTH);
		ls->ahead = (struct byte_source){ ahead_read, NULL, ls };
	}
	return &ls->ahead;
}

uint64_t layer_stream_consumed(const struct layer_stream *ls)
{
	return atomic_load_explicit(&ls->consumed, memory_order_relaxed);
}


int layer_stream_close(struct layer_stream *ls, struct qerr *err)
{
	if (!ls)
		return 0;
	int rc = 0;
	char digest[DIGEST_STR_MAX];
	snprintf(digest, sizeof(digest), "%s", ls->blob->digest);
	prefetch_free(ls->pf);   /* joins the reader: its state is ours again */
	decompressor_free(ls->dec);
	if (!ls->eof) {
		sha256_release(&ls->h);
		blob_close(ls->blob, NULL);
		rc = q_error(err, 0, "layer %s: stream was not read to its end", digest);
	} else if (blob_close(ls->blob, err) < 0) {
		sha256_release(&ls->h);
		rc = -1;
	} else if (!ls->hash_diff) {
		sha256_release(&ls->h);   /* the blob's digest, verified, is the diff_id */
	} else {
		char got[DIGEST_STR_MAX];
		sha256_final(&ls->h, got);
		if (strcmp(got, ls->diff_id))
			rc = q_error(err, 0, "layer %s: uncompressed content has digest %s, the "
					     "config's diff_id is %s",
				     digest, got, ls->diff_id);
	}
	free(ls);
	return rc;
}

/* ---- verifying every layer ----------------------------------------------- */

static int verify_one(struct image *img, size_t i, uint64_t *size, struct qerr *err)
{
	struct layer_stream *ls = layer_stream_open(img, i, err);
	if (!ls)
		return -1;
	cleanup_free char *buf = xmalloc(BLOB_CHUNK);
	ssize_t n;
	while ((n = ls->src.read(ls->src.ctx, buf, BLOB_CHUNK, err)) > 0)
		;
	if (n < 0) {
		layer_stream_close(ls, NULL);
		return -1;
	}
	*size = ls->bytes;
	return layer_stream_close(ls, err);
}

struct verify_job {
	struct image *img;
	atomic_size_t next;
	uint64_t *sizes;
	struct qerr *errs;
	int *rcs;
};

static void *verify_worker(void *arg)
{
	struct verify_job *job = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&job->next, 1);
		if (i >= job->img->n_layers)
			return NULL;
		job->rcs[i] = verify_one(job->img, i, &job->sizes[i], &job->errs[i]);
	}
}

int image_verify_layers(struct image *img, uint64_t *sizes, int threads, struct qerr *err)
{
	size_t n = img->n_layers;
	struct verify_job job = { .img = img, .sizes = sizes };
	atomic_init(&job.next, 0);
	job.errs = xcalloc(n ? n : 1, sizeof(*job.errs));
	job.rcs = xcalloc(n ? n : 1, sizeof(*job.rcs));
	size_t workers = threads < 1 ? 1 : (size_t)threads;
	if (workers > n)
		workers = n ? n : 1;
	pthread_t *tids = xcalloc(workers, sizeof(*tids));
	size_t started = 0;
	for (; started + 1 < workers; started++)
		if (pthread_create(&tids[started], NULL, verify_worker, &job) != 0)
			break;
	verify_worker(&job);
	for (size_t t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (job.rcs[i] < 0) {
			*err = job.errs[i];
			rc = -1;
		}
	free(job.errs);
	free(job.rcs);
	return rc;
}
