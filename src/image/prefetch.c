/* A byte source read ahead by a thread: while the consumer extracts files
 * (system calls), the producer reads, hashes and inflates the next
 * megabytes. Unpacking then costs about the slower of the two instead of
 * their sum. The queue is bounded, so memory is depth × chunk. */
#include "image_internal.h"

#include <pthread.h>

struct slot {
	char *buf;
	size_t len;
};

struct prefetch {
	struct byte_source src;
	const struct byte_source *inner;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	size_t depth, chunk;
	size_t head, count;     /* ring of filled slots */
	size_t pos;             /* read position in the head slot */
	bool eof, failed, stop;
	struct qerr err;
};

static void *producer(void *arg)
{
	struct prefetch *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->count == p->depth && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		struct slot *s = &p->slots[(p->head + p->count) % p->depth];
		pthread_mutex_unlock(&p->mu);
		/* The slot is ours until count covers it. */
		struct qerr err = QERR_INIT;
		ssize_t n = p->inner->read(p->inner->ctx, s->buf, p->chunk, &err);
		pthread_mutex_lock(&p->mu);
		if (n > 0) {
			s->len = (size_t)n;
			p->count++;
		} else if (n == 0) {
			p->eof = true;
		} else {
			p->failed = true;
			p->err = err;
		}
		pthread_cond_broadcast(&p->cv);
		bool done = n <= 0;
		pthread_mutex_unlock(&p->mu);
		if (done)
			return NULL;
	}
}

static ssize_t prefetch_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	struct prefetch *p = ctx;
	pthread_mutex_lock(&p->mu);
	while (p->count == 0 && !p->eof && !p->failed)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->count == 0) {
		bool failed = p->failed;
		if (failed && err)
			*err = p->err;
		pthread_mutex_unlock(&p->mu);
		return failed ? -1 : 0;
	}
	struct slot *s = &p->slots[p->head];
	pthread_mutex_unlock(&p->mu);
	size_t n = s->len - p->pos < len ? s->len - p->pos : len;
	memcpy(buf, s->buf + p->pos, n);
	p->pos += n;
	if (p->pos == s->len) {
		pthread_mutex_lock(&p->mu);
		p->pos = 0;
		p->head = (p->head + 1) % p->depth;
		p->count--;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return (ssize_t)n;
}

struct prefetch *prefetch_new(const struct byte_source *inner, size_t chunk, size_t depth)
{
	struct prefetch *p = xcalloc(1, sizeof(*p));
	p->inner = inner;
	p->chunk = chunk;
	p->depth = depth;
	p->slots = xcalloc(depth, sizeof(*p->slots));
	for (size_t i = 0; i < depth; i++)
		p->slots[i].buf = xmalloc(chunk);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->src = (struct byte_source){ prefetch_read, NULL, p };
	if (pthread_create(&p->thread, NULL, producer, p) != 0)
		BUG("cannot start a read-ahead thread");
	return p;
}

const struct byte_source *prefetch_source(struct prefetch *p)
{
	return &p->src;
}

void prefetch_free(struct prefetch *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	for (size_t i = 0; i < p->depth; i++)
		free(p->slots[i].buf);
	free(p->slots);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
