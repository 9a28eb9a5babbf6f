/* gzip compression with ISA-L's deflate, in parallel, reproducibly.
 *
 * The input is cut into fixed GZ_BLOCK blocks, whatever the thread count
 * and however the caller's writes are cut. Each block is deflated on its
 * own (a fresh isal_zstream) with the 32 KiB before it as dictionary, so
 * back-references reach across the cut as in a serial stream, and ends
 * with a sync flush (an empty stored block) that byte-aligns it; the last
 * block (written at finish, possibly empty) ends the deflate stream. The
 * blocks concatenate into one deflate stream inside one gzip member: any
 * gunzip reads it, and its bytes depend only on the input and the level.
 * One thread runs exactly the same scheme inline, so 1, 2, 4 or 8 threads
 * give identical output.
 *
 * Threads: `threads` workers take blocks in order from a ring of
 * 2 × threads slots; the caller's thread fills slots, computes the CRC32
 * of the raw input (ISA-L's is folded, far faster than deflate), and
 * writes finished blocks in order, so memory stays at a few MiB per thread
 * and output errors surface in the caller's write or finish. The workers
 * start with the second block: a layer of one block (most are) is
 * deflated inline, with the same bytes.
 *
 * Header: no name, mtime 0, XFL 0, OS 255 ("unknown", as Go's
 * compress/gzip writes it, which made most layers in registries).
 */
#include "image/compress_internal.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <pthread.h>

#define GZ_BLOCK (1024u * 1024)
#define GZ_DICT ISAL_DEF_HIST_SIZE
#define GZ_IN_MAX (GZ_DICT + GZ_BLOCK)

static const uint8_t gz_header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255 };

/* Slot buffers grow as data comes, so that a small layer costs little. */
struct gz_slot {
	uint8_t *in;          /* dict_len bytes of dictionary, then len of data */
	size_t in_cap;
	size_t dict_len, len;
	bool final;
	uint8_t *out;
	size_t out_len, out_cap;
	int ret;              /* ISA-L's result, COMP_OK or an error */
	bool done;            /* guarded by the mutex when threaded */
};

/* One deflate engine: a stream and its level buffer, per worker. */
struct gz_engine {
	struct isal_zstream zs;
	uint8_t *level_buf;
	uint32_t level_buf_size;
};

struct gzip_enc {
	struct byte_sink out;
	int level;
	uint32_t crc;
	uint64_t total;
	bool header_written;
	uint8_t hist[GZ_DICT];    /* the last bytes of input submitted */
	size_t hist_len;

	struct gz_slot *slots;
	size_t nslots;
	uint64_t seq_fill;        /* the slot being filled, when filling */
	bool filling;
	uint64_t seq_write;       /* next block to write out */

	/* threads == 1: the engine runs inline */
	struct gz_engine inline_eng;

	/* threads > 1, from the second block on */
	int want_threads;
	size_t nthreads;
	pthread_t *tids;
	pthread_mutex_t mu;
	pthread_cond_t cv_work;   /* workers: a block was submitted, or quit */
	pthread_cond_t cv_done;   /* caller: a block was done */
	uint64_t seq_submitted;   /* blocks handed to workers (guarded) */
	uint64_t seq_run;         /* next block a worker takes (guarded) */
	bool quit;
};

static uint32_t level_buf_size(int level)
{
	/* Fixed per level: ISA-L's block splitting depends on it. */
	switch (level) {
	case 0:
		return ISAL_DEF_LVL0_DEFAULT;
	case 1:
		return ISAL_DEF_LVL1_DEFAULT;
	case 2:
		return ISAL_DEF_LVL2_DEFAULT;
	default:
		return ISAL_DEF_LVL3_DEFAULT;
	}
}

static void engine_init(struct gz_engine *e, int level)
{
	e->level_buf_size = level_buf_size(level);
	e->level_buf = e->level_buf_size ? xmalloc(e->level_buf_size) : NULL;
}

static void engine_release(struct gz_engine *e)
{
	free(e->level_buf);
	e->level_buf = NULL;
}

/* Grow *p to hold need bytes, at least doubling, at most max. */
static uint8_t *grow_buf(uint8_t *p, size_t *cap, size_t need, size_t max)
{
	if (need <= *cap)
		return p;
	size_t c = *cap * 2 > need ? *cap * 2 : need;
	if (c < 64 * 1024)
		c = 64 * 1024;
	if (c > max && max >= need)
		c = max;
	p = xrealloc(p, c);
	*cap = c;
	return p;
}

static bool block_complete(const struct isal_zstream *zs, bool final)
{
	if (final)
		return zs->internal_state.state == ZSTATE_END;
	return zs->avail_in == 0 && zs->internal_state.state == ZSTATE_NEW_HDR;
}

/* Deflate one slot into its out buffer: a pure function of the slot's
 * dictionary, data and finality (and the level), on any thread. */
static int deflate_slot(struct gz_engine *e, int level, struct gz_slot *s)
{
	struct isal_zstream *zs = &e->zs;

	isal_deflate_init(zs);
	zs->level = (uint32_t)level;
	zs->level_buf = e->level_buf;
	zs->level_buf_size = e->level_buf_size;
	zs->gzip_flag = IGZIP_DEFLATE;
	zs->end_of_stream = s->final;
	zs->flush = s->final ? NO_FLUSH : SYNC_FLUSH;
	if (s->dict_len) {
		int ret = isal_deflate_set_dict(zs, s->in, (uint32_t)s->dict_len);
		if (ret != COMP_OK)
			return ret;
	}
	zs->next_in = s->in + s->dict_len;
	zs->avail_in = (uint32_t)s->len;
	s->out_len = 0;
	/* The room offered depends only on the block (never on what a reused
	 * slot had), in case ISA-L's choices depend on it. */
	size_t room = s->len + s->len / 8 + 1024;
	for (;;) {
		s->out = grow_buf(s->out, &s->out_cap, room, SIZE_MAX);
		zs->next_out = s->out + s->out_len;
		zs->avail_out = (uint32_t)(room - s->out_len);
		int ret = isal_deflate(zs);
		s->out_len = (size_t)(zs->next_out - s->out);
		if (ret != COMP_OK)
			return ret;
		if (block_complete(zs, s->final))
			return COMP_OK;
		if (zs->avail_out > 0)
			return INVALID_PARAM;   /* stalled with room: never seen */
		room *= 2;
	}
}

/* ---- the worker pool -------------------------------------------------------- */

static void *gz_worker(void *arg)
{
	struct gzip_enc *g = arg;
	struct gz_engine eng = { 0 };

	engine_init(&eng, g->level);
	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (!g->quit && g->seq_run == g->seq_submitted)
			pthread_cond_wait(&g->cv_work, &g->mu);
		if (g->quit)
			break;
		struct gz_slot *s = &g->slots[g->seq_run++ % g->nslots];
		pthread_mutex_unlock(&g->mu);
		int ret = deflate_slot(&eng, g->level, s);
		pthread_mutex_lock(&g->mu);
		s->ret = ret;
		s->done = true;
		pthread_cond_broadcast(&g->cv_done);
	}
	pthread_mutex_unlock(&g->mu);
	engine_release(&eng);
	return NULL;
}

static void pool_start(struct gzip_enc *g, size_t nthreads)
{
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv_work, NULL);
	pthread_cond_init(&g->cv_done, NULL);
	g->tids = xcalloc(nthreads, sizeof(*g->tids));
	for (size_t i = 0; i < nthreads; i++) {
		if (pthread_create(&g->tids[i], NULL, gz_worker, g) != 0)
			break;   /* fewer workers: slower, same bytes */
		g->nthreads++;
	}
}

static void pool_stop(struct gzip_enc *g)
{
	if (!g->tids)
		return;
	pthread_mutex_lock(&g->mu);
	g->quit = true;
	pthread_cond_broadcast(&g->cv_work);
	pthread_mutex_unlock(&g->mu);
	for (size_t i = 0; i < g->nthreads; i++)
		pthread_join(g->tids[i], NULL);
	free(g->tids);
	g->tids = NULL;
	pthread_cond_destroy(&g->cv_done);
	pthread_cond_destroy(&g->cv_work);
	pthread_mutex_destroy(&g->mu);
}

/* ---- the caller's side ------------------------------------------------------ */

static int gz_put(struct gzip_enc *g, const void *buf, size_t len, struct qerr *err)
{
	return g->out.write(g->out.ctx, buf, len, err);
}

/* Wait for block seq_write (when `wait`, else only if already done) and
 * write it. Returns 1 written, 0 not ready, -1 error. */
static int gz_write_next(struct gzip_enc *g, bool wait, struct qerr *err)
{
	struct gz_slot *s = &g->slots[g->seq_write % g->nslots];

	if (g->nthreads) {
		pthread_mutex_lock(&g->mu);
		while (wait && !s->done)
			pthread_cond_wait(&g->cv_done, &g->mu);
		bool done = s->done;
		pthread_mutex_unlock(&g->mu);
		if (!done)
			return 0;
	}
	if (s->ret != COMP_OK)
		return q_error(err, 0, "gzip: deflate of block %llu failed (isa-l %d)",
			       (unsigned long long)g->seq_write, s->ret);
	if (!g->header_written) {
		if (gz_put(g, gz_header, sizeof(gz_header), err) < 0)
			return -1;
		g->header_written = true;
	}
	if (gz_put(g, s->out, s->out_len, err) < 0)
		return -1;
	g->seq_write++;
	return 1;
}

static uint64_t gz_in_flight(const struct gzip_enc *g)
{
	return g->seq_fill + (g->filling ? 1 : 0) - g->seq_write;
}

/* Take the slot for block seq_fill, writing out the oldest block if the
 * ring is full, and seed it with the dictionary. */
static int gz_acquire(struct gzip_enc *g, struct qerr *err)
{
	while (g->seq_fill - g->seq_write >= g->nslots)
		if (gz_write_next(g, true, err) < 0)
			return -1;
	struct gz_slot *s = &g->slots[g->seq_fill % g->nslots];
	s->in = grow_buf(s->in, &s->in_cap, g->hist_len + 1, GZ_IN_MAX);
	if (g->hist_len)
		memcpy(s->in, g->hist, g->hist_len);
	s->dict_len = g->hist_len;
	s->len = 0;
	s->final = false;
	s->done = false;
	g->filling = true;
	return 0;
}

/* Hand the filling slot over: to a worker, or deflate it right here. */
static int gz_submit(struct gzip_enc *g, bool final, struct qerr *err)
{
	if (g->want_threads > 1 && !final && !g->tids)
		pool_start(g, (size_t)g->want_threads);
	struct gz_slot *s = &g->slots[g->seq_fill % g->nslots];
	size_t all = s->dict_len + s->len;
	size_t keep = all < GZ_DICT ? all : GZ_DICT;

	/* The dictionary of the next block: the last 32 KiB before it. */
	memcpy(g->hist, s->in + all - keep, keep);
	g->hist_len = keep;
	s->final = final;
	g->filling = false;
	g->seq_fill++;
	if (!g->nthreads) {
		if (!g->inline_eng.level_buf && level_buf_size(g->level))
			engine_init(&g->inline_eng, g->level);
		s->ret = deflate_slot(&g->inline_eng, g->level, s);
		s->done = true;
		return gz_write_next(g, true, err) < 0 ? -1 : 0;
	}
	pthread_mutex_lock(&g->mu);
	g->seq_submitted = g->seq_fill;
	pthread_cond_signal(&g->cv_work);
	pthread_mutex_unlock(&g->mu);
	/* Write whatever is already done, without waiting. */
	int rc;
	while (g->seq_write < g->seq_fill && (rc = gz_write_next(g, false, err)) != 0)
		if (rc < 0)
			return -1;
	return 0;
}

static int gzip_enc_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	struct gzip_enc *g = ctx;
	const uint8_t *p = buf;

	g->crc = crc32_gzip_refl(g->crc, p, len);
	g->total += len;
	while (len > 0) {
		if (!g->filling && gz_acquire(g, err) < 0)
			return -1;
		struct gz_slot *s = &g->slots[g->seq_fill % g->nslots];
		size_t n = GZ_BLOCK - s->len < len ? GZ_BLOCK - s->len : len;
		s->in = grow_buf(s->in, &s->in_cap, s->dict_len + s->len + n, GZ_IN_MAX);
		memcpy(s->in + s->dict_len + s->len, p, n);
		s->len += n;
		p += n;
		len -= n;
		if (s->len == GZ_BLOCK && gz_submit(g, false, err) < 0)
			return -1;
	}
	return 0;
}

static int gzip_enc_finish(void *ctx, struct qerr *err)
{
	struct gzip_enc *g = ctx;
	uint8_t trailer[8];

	if (!g->filling && gz_acquire(g, err) < 0)
		return -1;
	if (gz_submit(g, true, err) < 0)
		return -1;
	while (gz_in_flight(g) > 0)
		if (gz_write_next(g, true, err) < 0)
			return -1;
	for (int i = 0; i < 4; i++) {
		trailer[i] = (uint8_t)(g->crc >> (8 * i));
		trailer[4 + i] = (uint8_t)(g->total >> (8 * i));   /* ISIZE: mod 2^32 */
	}
	return gz_put(g, trailer, sizeof(trailer), err);
}

static void gzip_enc_free(void *ctx)
{
	struct gzip_enc *g = ctx;
	if (!g)
		return;
	pool_stop(g);
	engine_release(&g->inline_eng);
	for (size_t i = 0; i < g->nslots; i++) {
		free(g->slots[i].in);
		free(g->slots[i].out);
	}
	free(g->slots);
	free(g);
}

void gzip_enc_init(struct enc_impl *e, int isal_level, int threads, const struct byte_sink *out)
{
	struct gzip_enc *g = xcalloc(1, sizeof(*g));

	g->out = *out;
	g->level = isal_level;
	g->nslots = threads > 1 ? 2 * (size_t)threads : 1;
	g->slots = xcalloc(g->nslots, sizeof(*g->slots));
	g->want_threads = threads;
	e->sink.write = gzip_enc_write;
	e->sink.ctx = g;
	e->finish = gzip_enc_finish;
	e->free = gzip_enc_free;
}
