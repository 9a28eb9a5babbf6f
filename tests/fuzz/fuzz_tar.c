/* Fuzz target for the tar reader (and, through a round trip, the writer).
 *
 * Each input is read three ways:
 *   1. every entry and all its data, the source handing out odd-sized
 *      pieces, no skip callback; each entry is also written with the tar
 *      writer;
 *   2. headers only, unread data skipped with a skip callback;
 *   3. the writer's output from 1, read back.
 * Properties (abort on violation): 1 and 2 see the same entries and end
 * the same way; 3 gives back exactly what 1 read (when 1 ended cleanly
 * and the writer accepted every entry). */
#include "fs/fs.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Logical bytes we are willing to materialize for the round trip. */
#define ROUNDTRIP_MAX (4u << 20)

struct memsrc {
	const uint8_t *p;
	size_t len, pos, chunk;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	(void)err;
	struct memsrc *m = ctx;
	size_t n = m->len - m->pos;
	if (n > len)
		n = len;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	if (n)
		memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int mem_skip(void *ctx, uint64_t n, struct qerr *err)
{
	struct memsrc *m = ctx;
	if (n > m->len - m->pos)
		return q_error(err, 0, "unexpected end of stream");
	m->pos += (size_t)n;
	return 0;
}

static int sb_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	(void)err;
	strbuf_add(ctx, buf, len);
	return 0;
}

static int cmp_xattr(const void *a, const void *b)
{
	const struct tar_xattr *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* What must survive a write and a read, as one string. */
static void describe(struct strbuf *d, const struct tar_entry *e)
{
	strbuf_addf(d, "%s|%s|%d|%o|%" PRIu64 ":%" PRIu64 "|%s:%s|%" PRId64 "|%" PRIu64
		    "|%u,%u|", e->path, e->link ? e->link : "(null)", (int)e->type, e->mode,
		    e->uid, e->gid, e->uname ? e->uname : "", e->gname ? e->gname : "",
		    e->mtime, e->size, e->devmajor, e->devminor);
	const struct tar_xattr **x = xmalloc((e->n_xattrs + 1) * sizeof(*x));
	for (size_t i = 0; i < e->n_xattrs; i++)
		x[i] = &e->xattrs[i];
	qsort(x, e->n_xattrs, sizeof(*x), cmp_xattr);
	for (size_t i = 0; i < e->n_xattrs; i++) {
		strbuf_addf(d, "%s=%zu:", x[i]->name, x[i]->len);
		strbuf_add(d, x[i]->value, x[i]->len);
	}
	free(x);
	strbuf_addc(d, '\n');
}

struct pass {
	struct strbuf desc;     /* entries and their data */
	size_t entries;
	int rc;                 /* last tar_reader_next/data/drain result */
	bool keep;              /* data is still added to desc (bounded) */
	bool write_ok;          /* every entry went through the writer */
};

/* Logical bytes of an entry go to the description and the writer while
 * the round trip is still on (which bounds them to ROUNDTRIP_MAX). */
static void put(struct pass *p, struct tar_writer *tw, const void *buf, size_t n)
{
	struct qerr err = QERR_INIT;
	if (p->keep)
		strbuf_add(&p->desc, buf, n);
	if (p->write_ok && tar_writer_data(tw, buf, n, &err) < 0)
		p->write_ok = false;
}

static void put_zeros(struct pass *p, struct tar_writer *tw, uint64_t n)
{
	static const char zero[4096];
	while (n > 0 && (p->keep || p->write_ok)) {
		size_t k = n < sizeof(zero) ? (size_t)n : sizeof(zero);
		put(p, tw, zero, k);
		n -= k;
	}
}

/* Read the current entry's data, holes filled with zeros. */
static int read_entry_data(struct tar_reader *tr, const struct tar_entry *e, struct pass *p,
			   struct tar_writer *tw, struct qerr *err)
{
	const void *buf;
	uint64_t off, pos = 0;
	ssize_t n;
	while ((n = tar_reader_data(tr, &buf, &off, err)) > 0) {
		if (off < pos || off > e->size || (uint64_t)n > e->size - off)
			abort();        /* data outside the file or going backwards */
		put_zeros(p, tw, off - pos);
		put(p, tw, buf, (size_t)n);
		pos = off + (uint64_t)n;
	}
	if (n == 0 && e->type == TAR_REG)
		put_zeros(p, tw, e->size - pos);
	return n < 0 ? -1 : 0;
}

static void run_pass(const uint8_t *data, size_t size, size_t chunk, bool skip, bool read,
		     struct pass *p, struct strbuf *out)
{
	struct qerr err = QERR_INIT;
	struct memsrc ms = { data, size, 0, chunk };
	struct byte_source src = { mem_read, skip ? mem_skip : NULL, &ms };
	struct tar_reader *tr = tar_reader_new(&src);
	struct byte_sink sink = { sb_write, out };
	struct tar_writer *tw = out ? tar_writer_new(&sink) : NULL;
	const struct tar_entry *e;
	uint64_t logical = 0;
	p->write_ok = tw != NULL;
	p->keep = read;
	while ((p->rc = tar_reader_next(tr, &e, &err)) == 1) {
		p->entries++;
		if (tar_reader_data_offset(tr) > size)
			abort();
		strbuf_addf(&p->desc, "%zu %s\n", p->entries, e->path);
		if (!read)
			continue;
		describe(&p->desc, e);
		logical += e->size;
		if (logical > ROUNDTRIP_MAX)
			p->keep = p->write_ok = false;
		if (p->write_ok && tar_writer_add(tw, e, &err) < 0)
			p->write_ok = false;
		if ((p->rc = (int)read_entry_data(tr, e, p, tw, &err)) < 0)
			break;
	}
	if (p->rc == 0)
		p->rc = tar_reader_drain(tr, &err);
	if (p->rc == 0 && ms.pos != size)
		abort();        /* drain must consume the whole source */
	if (p->write_ok && p->rc == 0 && tar_writer_finish(tw, &err) < 0)
		p->write_ok = false;
	tar_writer_free(tw);
	tar_reader_free(tr);
}

/* Pass 1 and 2 must list the same entries; drop pass 1's details. */
static bool same_listing(const struct pass *full, const struct pass *index)
{
	if (full->entries != index->entries || (full->rc < 0) != (index->rc < 0))
		return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pass full = { STRBUF_INIT, 0, 0, false, false };
	struct pass index = { STRBUF_INIT, 0, 0, false, false };
	struct pass again = { STRBUF_INIT, 0, 0, false, false };
	struct strbuf written = STRBUF_INIT;
	/* odd-sized reads reach every buffer boundary */
	run_pass(data, size, 509, false, true, &full, &written);
	run_pass(data, size, 0, true, false, &index, NULL);
	/* a failure in the data of the last entry is seen by next() when
	 * skipping and by data() when reading: same count either way */
	if (!same_listing(&full, &index))
		abort();
	if (full.rc == 0 && full.write_ok) {
		run_pass((const uint8_t *)written.buf, written.len, 0, true, true, &again, NULL);
		if (again.rc != 0 || again.desc.len != full.desc.len ||
		    (full.desc.len && memcmp(again.desc.buf, full.desc.buf, full.desc.len) != 0))
			abort();        /* the writer did not preserve an entry */
	}
	strbuf_release(&full.desc);
	strbuf_release(&index.desc);
	strbuf_release(&again.desc);
	strbuf_release(&written);
	return 0;
}
