/* Tests of the tar reader and writer: round trips, archives made by GNU tar
 * and Python's tarfile at test time, our archives read back by those tools,
 * and hostile archives built by hand. Tools that are missing skip cleanly. */
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <cmocka.h>

/* ---- helpers ----------------------------------------------------------- */

static char *tmpdir;

#define assert_ok(expr, e)                                              \
	do {                                                            \
		if ((expr) < 0)                                         \
			fail_msg("%s failed: %s", #expr, (e).msg);      \
	} while (0)

/* A source over memory that hands out at most `chunk` bytes per read, to
 * exercise every buffer boundary, and counts what it was asked to skip. */
struct memsrc {
	const unsigned char *p;
	size_t len, pos, chunk;
	uint64_t skipped;
	int skips;
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
	m->skipped += n;
	m->skips++;
	return 0;
}

static int sb_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	(void)err;
	strbuf_add(ctx, buf, len);
	return 0;
}

/* One entry as read, deep-copied, with its logical content (holes zero). */
struct got {
	char *path, *link, *uname, *gname;
	enum tar_type type;
	uint32_t mode, devmajor, devminor;
	uint64_t uid, gid, size, data_off;
	int64_t mtime;
	uint32_t mtime_nsec;
	struct tar_xattr *xattrs;
	size_t n_xattrs, n_sparse;
	unsigned char *data;
};

struct got_list {
	struct got *v;
	size_t n;
};

static void got_list_free(struct got_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct got *g = &l->v[i];
		free(g->path);
		free(g->link);
		free(g->uname);
		free(g->gname);
		for (size_t j = 0; j < g->n_xattrs; j++) {
			free(g->xattrs[j].name);
			free(g->xattrs[j].value);
		}
		free(g->xattrs);
		free(g->data);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

static void got_copy(struct got *g, const struct tar_entry *e, uint64_t data_off)
{
	memset(g, 0, sizeof(*g));
	g->path = xstrdup(e->path);
	g->link = dup_or_null(e->link);
	g->uname = dup_or_null(e->uname);
	g->gname = dup_or_null(e->gname);
	g->type = e->type;
	g->mode = e->mode;
	g->devmajor = e->devmajor;
	g->devminor = e->devminor;
	g->uid = e->uid;
	g->gid = e->gid;
	g->size = e->size;
	g->mtime = e->mtime;
	g->mtime_nsec = e->mtime_nsec;
	g->n_sparse = e->n_sparse;
	g->data_off = data_off;
	g->n_xattrs = e->n_xattrs;
	g->xattrs = xcalloc(e->n_xattrs + 1, sizeof(*g->xattrs));
	for (size_t i = 0; i < e->n_xattrs; i++) {
		g->xattrs[i].name = xstrdup(e->xattrs[i].name);
		g->xattrs[i].value = xmalloc(e->xattrs[i].len + 1);
		memcpy(g->xattrs[i].value, e->xattrs[i].value, e->xattrs[i].len);
		g->xattrs[i].len = e->xattrs[i].len;
	}
}

static int read_data(struct tar_reader *tr, struct got *g, struct qerr *err)
{
	if (g->size > (64u << 20))
		return 0;       /* tests never need that much in memory */
	g->data = xcalloc(1, g->size + 1);
	const void *buf;
	uint64_t off;
	ssize_t n;
	while ((n = tar_reader_data(tr, &buf, &off, err)) > 0) {
		if (off > g->size || (uint64_t)n > g->size - off)
			fail_msg("'%s': data at %" PRIu64 "+%zd past size %" PRIu64, g->path, off, n,
				 g->size);
		memcpy(g->data + off, buf, (size_t)n);
	}
	return n < 0 ? -1 : 0;
}

/* Read a whole archive from memory; returns tar_reader_next's last rc. */
static int collect_ex(const void *p, size_t len, size_t chunk, bool skip, bool data,
		      struct got_list *out, struct memsrc *ms_out, struct qerr *err)
{
	struct memsrc ms = { p, len, 0, chunk, 0, 0 };
	struct byte_source src = { mem_read, skip ? mem_skip : NULL, &ms };
	struct tar_reader *tr = tar_reader_new(&src);
	const struct tar_entry *e;
	int rc;
	size_t cap = 0;
	memset(out, 0, sizeof(*out));
	while ((rc = tar_reader_next(tr, &e, err)) == 1) {
		out->v = xgrow(out->v, &cap, out->n + 1, sizeof(*out->v));
		struct got *g = &out->v[out->n++];
		got_copy(g, e, tar_reader_data_offset(tr));
		if (data && read_data(tr, g, err) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0)
		rc = tar_reader_drain(tr, err);
	tar_reader_free(tr);
	if (ms_out)
		*ms_out = ms;
	return rc;
}

static int collect(const void *p, size_t len, struct got_list *out, struct qerr *err)
{
	return collect_ex(p, len, 0, true, true, out, NULL, err);
}

static const struct got *find(const struct got_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0)
			return &l->v[i];
	fail_msg("entry '%s' not found in the archive", path);
	return NULL;
}

static const struct tar_xattr *find_xattr(const struct got *g, const char *name)
{
	for (size_t i = 0; i < g->n_xattrs; i++)
		if (strcmp(g->xattrs[i].name, name) == 0)
			return &g->xattrs[i];
	fail_msg("'%s': no xattr '%s'", g->path, name);
	return NULL;
}

static bool all_zero_check(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static bool have_tool(const char *name)
{
	char *cmd = xasprintf("command -v %s >/dev/null 2>&1", name);
	int rc = system(cmd);
	free(cmd);
	return rc == 0;
}

/* Run a shell command in tmpdir; returns its exit status. */
PRINTF_LIKE(1, 2)
static int sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct strbuf sb = STRBUF_INIT;
	char *body;
	if (vasprintf(&body, fmt, ap) < 0)
		abort();
	va_end(ap);
	strbuf_addf(&sb, "cd '%s' && { %s ; }", tmpdir, body);
	free(body);
	int rc = system(sb.buf);
	strbuf_release(&sb);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static char *tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void load(const char *name, char **data, size_t *len)
{
	struct qerr err = QERR_INIT;
	char *p = tmp_path(name);
	if (read_file_at(AT_FDCWD, p, 256u << 20, data, len, &err) < 0)
		fail_msg("%s", err.msg);
	free(p);
}

static void save(const char *name, const void *data, size_t len)
{
	struct qerr err = QERR_INIT;
	char *p = tmp_path(name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_ok(write_all(fd, data, len, &err), err);
	close(fd);
	free(p);
}

/* ---- writing entries --------------------------------------------------- */

static struct tar_entry ent(const char *path, enum tar_type type, uint64_t size)
{
	struct tar_entry e = { 0 };
	e.path = (char *)path;
	e.type = type;
	e.mode = type == TAR_DIR ? 0755 : 0644;
	e.size = size;
	e.mtime = 1700000000;
	return e;
}

static void add(struct tar_writer *tw, const struct tar_entry *e, const void *data)
{
	struct qerr err = QERR_INIT;
	assert_ok(tar_writer_add(tw, e, &err), err);
	if (e->type == TAR_REG && e->size)
		assert_ok(tar_writer_data(tw, data, e->size, &err), err);
}

static void finish(struct tar_writer *tw)
{
	struct qerr err = QERR_INIT;
	assert_ok(tar_writer_finish(tw, &err), err);
	tar_writer_free(tw);
}

static char *pattern(size_t n, unsigned seed)
{
	char *p = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + seed) % 26);
	p[n] = '\0';
	return p;
}

/* A name of exactly len bytes made of dir/ components. */
static char *long_name(size_t len, char fill)
{
	char *p = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		p[i] = (i % 40 == 39) ? '/' : fill;
	if (p[len - 1] == '/')
		p[len - 1] = fill;
	p[len] = '\0';
	return p;
}

/* The sample archive most tests use; returns its bytes in sb. */
static void write_sample(struct strbuf *sb)
{
	struct byte_sink sink = { sb_write, sb };
	struct tar_writer *tw = tar_writer_new(&sink);
	static const size_t sizes[] = { 0, 1, 511, 512, 513, 100000, 1500000 };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char name[32];
		snprintf(name, sizeof(name), "dir/file%zu", i);
		char *d = pattern(sizes[i], (unsigned)i);
		struct tar_entry e = ent(name, TAR_REG, sizes[i]);
		add(tw, &e, d);
		free(d);
	}
	struct tar_entry d = ent("dir/", TAR_DIR, 0);
	d.uname = "root";
	d.gname = "wheel";
	add(tw, &d, NULL);
	struct tar_entry s = ent("dir/sym", TAR_SYMLINK, 0);
	s.link = "file1";
	add(tw, &s, NULL);
	struct tar_entry h = ent("dir/hard", TAR_HARDLINK, 0);
	h.link = "dir/file1";
	add(tw, &h, NULL);
	struct tar_entry c = ent("dev/null", TAR_CHR, 0);
	c.devmajor = 1;
	c.devminor = 3;
	add(tw, &c, NULL);
	struct tar_entry b = ent("dev/big", TAR_BLK, 0);
	b.devmajor = 259;
	b.devminor = 3000000;   /* over 7 octal digits: base-256 */
	add(tw, &b, NULL);
	struct tar_entry f = ent("fifo", TAR_FIFO, 0);
	f.mode = 04755 | 02000 | 01000;
	f.uid = 1000;
	f.gid = 100;
	add(tw, &f, NULL);
	finish(tw);
}

/* ---- round trips ------------------------------------------------------- */

static void check_sample(const struct got_list *l)
{
	assert_int_equal(l->n, 13);
	static const size_t sizes[] = { 0, 1, 511, 512, 513, 100000, 1500000 };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		const struct got *g = &l->v[i];
		char name[32];
		snprintf(name, sizeof(name), "dir/file%zu", i);
		assert_string_equal(g->path, name);
		assert_int_equal(g->type, TAR_REG);
		assert_int_equal(g->size, sizes[i]);
		assert_int_equal(g->mode, 0644);
		assert_int_equal(g->mtime, 1700000000);
		char *d = pattern(sizes[i], (unsigned)i);
		assert_memory_equal(g->data, d, sizes[i] ? sizes[i] : 1);
		free(d);
	}
	const struct got *d = find(l, "dir/");
	assert_int_equal(d->type, TAR_DIR);
	assert_string_equal(d->uname, "root");
	assert_string_equal(d->gname, "wheel");
	assert_int_equal(d->mode, 0755);
	assert_string_equal(find(l, "dir/sym")->link, "file1");
	assert_int_equal(find(l, "dir/sym")->type, TAR_SYMLINK);
	assert_string_equal(find(l, "dir/hard")->link, "dir/file1");
	assert_int_equal(find(l, "dir/hard")->type, TAR_HARDLINK);
	const struct got *c = find(l, "dev/null");
	assert_int_equal(c->type, TAR_CHR);
	assert_int_equal(c->devmajor, 1);
	assert_int_equal(c->devminor, 3);
	const struct got *b = find(l, "dev/big");
	assert_int_equal(b->type, TAR_BLK);
	assert_int_equal(b->devmajor, 259);
	assert_int_equal(b->devminor, 3000000);
	const struct got *f = find(l, "fifo");
	assert_int_equal(f->type, TAR_FIFO);
	assert_int_equal(f->mode, 07755);
	assert_int_equal(f->uid, 1000);
	assert_int_equal(f->gid, 100);
	assert_null(f->uname);
}

static void t_roundtrip(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT, again = STRBUF_INIT;
	write_sample(&sb);
	write_sample(&again);
	assert_int_equal(sb.len, again.len);
	assert_memory_equal(sb.buf, again.buf, sb.len);        /* deterministic */
	assert_int_equal(sb.len % 512, 0);
	for (size_t i = sb.len - 1024; i < sb.len; i++)
		assert_int_equal(sb.buf[i], 0);
	/* every chunking of the source, with and without skip */
	static const size_t chunks[] = { 0, 1, 7, 512, 4096, 100003 };
	for (size_t c = 0; c < ARRAY_SIZE(chunks); c++) {
		for (int skip = 0; skip < 2; skip++) {
			struct qerr err = QERR_INIT;
			struct got_list l;
			assert_ok(collect_ex(sb.buf, sb.len, chunks[c], skip, true, &l, NULL, &err), err);
			check_sample(&l);
			/* data_offset points at the data in the stream */
			for (size_t i = 0; i < l.n; i++)
				if (l.v[i].size)
					assert_memory_equal(sb.buf + l.v[i].data_off, l.v[i].data,
							    l.v[i].size);
			got_list_free(&l);
		}
	}
	strbuf_release(&sb);
	strbuf_release(&again);
}

/* Indexing without reading data: big gaps are skipped, not read. */
static void t_skip_unread(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	write_sample(&sb);
	struct qerr err = QERR_INIT;
	struct got_list l;
	struct memsrc ms;
	assert_ok(collect_ex(sb.buf, sb.len, 0, true, false, &l, &ms, &err), err);
	assert_int_equal(l.n, 13);
	assert_true(ms.skips >= 1);
	assert_true(ms.skipped >= 1000000);
	assert_int_equal(ms.pos, sb.len);       /* drain consumed everything */
	const struct got *g = find(&l, "dir/file6");
	char *d = pattern(1500000, 6);
	assert_memory_equal(sb.buf + g->data_off, d, 1500000);
	free(d);
	got_list_free(&l);
	strbuf_release(&sb);
}

static void t_long_fields(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct byte_sink sink = { sb_write, &sb };
	struct tar_writer *tw = tar_writer_new(&sink);
	char *n100 = long_name(100, 'a'), *n101 = long_name(101, 'b');
	char *n256 = long_name(256, 'c'), *n300 = long_name(300, 'd');
	char *prefix155 = long_name(155, 'e');
	char *split = xasprintf("%s/%s", prefix155, "f");                   /* 157 */
	char *nosplit = xmalloc(201);                                        /* no slash */
	memset(nosplit, 'g', 200);
	nosplit[200] = '\0';
	const char *names[] = { n100, n101, n256, n300, split, nosplit };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct tar_entry e = ent(names[i], TAR_REG, 3);
		add(tw, &e, "abc");
	}
	char *lnk = long_name(5000, 'h');
	struct tar_entry s = ent("longlink", TAR_SYMLINK, 0);
	s.link = lnk;
	s.uname = "a-user-name-longer-than-32-bytes-for-sure";
	s.gname = "g";
	s.uid = 3000000000u;
	s.gid = UINT64_C(1) << 40;
	s.mtime = -86400 * 365;
	add(tw, &s, NULL);
	struct tar_entry far = ent("far-future", TAR_DIR, 0);
	far.mtime = INT64_C(1) << 40;
	add(tw, &far, NULL);
	finish(tw);

	struct qerr err = QERR_INIT;
	struct got_list l;
	assert_ok(collect(sb.buf, sb.len, &l, &err), err);
	assert_int_equal(l.n, ARRAY_SIZE(names) + 2);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		assert_string_equal(l.v[i].path, names[i]);
		assert_memory_equal(l.v[i].data, "abc", 3);
	}
	const struct got *g = find(&l, "longlink");
	assert_string_equal(g->link, lnk);
	assert_string_equal(g->uname, s.uname);
	assert_int_equal(g->uid, 3000000000u);
	assert_int_equal(g->gid, UINT64_C(1) << 40);
	assert_int_equal(g->mtime, -86400 * 365);
	assert_int_equal(find(&l, "far-future")->mtime, INT64_C(1) << 40);
	/* the 100-byte name and the splittable 157-byte one need no PAX header */
	assert_int_equal(memcmp(sb.buf, n100, 100), 0);
	got_list_free(&l);
	strbuf_release(&sb);
	free(n100);
	free(n101);
	free(n256);
	free(n300);
	free(prefix155);
	free(split);
	free(nosplit);
	free(lnk);
}

static void t_xattrs(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct byte_sink sink = { sb_write, &sb };
	struct tar_writer *tw = tar_writer_new(&sink);
	static const unsigned char cap[] = { 1, 0, 0, 2, 0x20, 0, 0, 0, 0, 0, 0, 0,
					     0, 0, 0, 0, '\n', 0, 0, 0 };
	struct tar_xattr x[] = {
		{ "user.z", (unsigned char *)"last", 4 },
		{ "security.capability", (unsigned char *)cap, sizeof(cap) },
		{ "user.empty", (unsigned char *)"", 0 },
	};
	struct tar_entry e = ent("usr/bin/ping", TAR_REG, 2);
	e.xattrs = x;
	e.n_xattrs = ARRAY_SIZE(x);
	add(tw, &e, "hi");
	finish(tw);
	struct qerr err = QERR_INIT;
	struct got_list l;
	assert_ok(collect(sb.buf, sb.len, &l, &err), err);
	assert_int_equal(l.n, 1);
	const struct got *g = &l.v[0];
	assert_int_equal(g->n_xattrs, 3);
	assert_string_equal(g->xattrs[0].name, "security.capability");   /* sorted */
	assert_int_equal(g->xattrs[0].len, sizeof(cap));
	assert_memory_equal(g->xattrs[0].value, cap, sizeof(cap));
	assert_int_equal(find_xattr(g, "user.empty")->len, 0);
	assert_memory_equal(find_xattr(g, "user.z")->value, "last", 4);
	assert_memory_equal(g->data, "hi", 2);
	/* the PAX header is named after the entry and owned by 0:0 */
	assert_string_equal(sb.buf, "PaxHeaders/ping");
	assert_int_equal(sb.buf[156], 'x');
	got_list_free(&l);
	strbuf_release(&sb);
}

/* A size of 8 GiB or more goes to PAX and base-256; the data is pushed
 * through to a sink that keeps only the start. */
struct head_sink {
	struct strbuf head;
	uint64_t total;
	size_t calls;
};

static int head_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	(void)err;
	struct head_sink *h = ctx;
	if (h->head.len < 8192)
		strbuf_add(&h->head, buf, len < 8192 ? len : 8192);
	h->total += len;
	h->calls++;
	return 0;
}

static void t_huge_size(void **state)
{
	(void)state;
	struct head_sink hs = { STRBUF_INIT, 0, 0 };
	struct byte_sink sink = { head_write, &hs };
	struct tar_writer *tw = tar_writer_new(&sink);
	const uint64_t size = (UINT64_C(8) << 30) + 5;
	struct tar_entry e = ent("huge", TAR_REG, size);
	struct qerr err = QERR_INIT;
	assert_ok(tar_writer_add(tw, &e, &err), err);
	const size_t chunk = 4u << 20;
	char *zero = xcalloc(1, chunk);
	for (uint64_t left = size; left;) {
		size_t k = left < chunk ? (size_t)left : chunk;
		assert_ok(tar_writer_data(tw, zero, k, &err), err);
		left -= k;
	}
	free(zero);
	finish(tw);
	assert_int_equal(hs.total, 1536 + ((size + 511) & ~UINT64_C(511)) + 1024);
	assert_true(hs.calls < 3000);   /* big chunks, not one call per write */
	/* the header alone: next() reports the size, the data is truncated */
	struct memsrc ms = { (unsigned char *)hs.head.buf, hs.head.len, 0, 0, 0, 0 };
	struct byte_source src = { mem_read, NULL, &ms };
	struct tar_reader *tr = tar_reader_new(&src);
	const struct tar_entry *got;
	assert_int_equal(tar_reader_next(tr, &got, &err), 1);
	assert_int_equal(got->size, size);
	assert_int_equal(tar_reader_next(tr, &got, &err), -1);
	assert_non_null(strstr(err.msg, "unexpected end of stream"));
	assert_non_null(strstr(err.msg, "'huge'"));
	tar_reader_free(tr);
	/* PAX header, its records, then the ustar header with base-256 size */
	assert_int_equal((unsigned char)hs.head.buf[1024 + 124], 0x80);
	assert_string_equal(hs.head.buf + 1024, "huge");
	strbuf_release(&hs.head);
}

static void t_writer_misuse(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct byte_sink sink = { sb_write, &sb };
	struct tar_writer *tw = tar_writer_new(&sink);
	struct qerr err = QERR_INIT;
	struct tar_entry e = ent("f", TAR_REG, 4);
	assert_ok(tar_writer_add(tw, &e, &err), err);
	assert_int_equal(tar_writer_data(tw, "12345", 5, &err), -1);
	assert_non_null(strstr(err.msg, "more data than its size"));
	assert_ok(tar_writer_data(tw, "12", 2, &err), err);
	struct tar_entry d = ent("d", TAR_DIR, 0);
	assert_int_equal(tar_writer_add(tw, &d, &err), -1);
	assert_non_null(strstr(err.msg, "'f': 2 bytes of data missing"));
	assert_int_equal(tar_writer_finish(tw, &err), -1);
	assert_ok(tar_writer_data(tw, "34", 2, &err), err);
	assert_ok(tar_writer_add(tw, &d, &err), err);
	assert_int_equal(tar_writer_data(tw, "x", 1, &err), -1);       /* a dir has no data */
	struct tar_entry bad = ent("", TAR_REG, 0);
	assert_int_equal(tar_writer_add(tw, &bad, &err), -1);
	struct tar_entry nolink = ent("l", TAR_SYMLINK, 0);
	assert_int_equal(tar_writer_add(tw, &nolink, &err), -1);
	struct tar_xattr x = { "bad=name", (unsigned char *)"v", 1 };
	struct tar_entry xe = ent("x", TAR_REG, 0);
	xe.xattrs = &x;
	xe.n_xattrs = 1;
	assert_int_equal(tar_writer_add(tw, &xe, &err), -1);
	assert_ok(tar_writer_finish(tw, &err), err);
	assert_int_equal(tar_writer_add(tw, &d, &err), -1);
	assert_int_equal(tar_writer_bytes(tw), sb.len);
	tar_writer_free(tw);
	struct got_list l;
	assert_ok(collect(sb.buf, sb.len, &l, &err), err);
	assert_int_equal(l.n, 2);
	assert_memory_equal(l.v[0].data, "1234", 4);
	got_list_free(&l);
	strbuf_release(&sb);
}

/* ---- hand-made archives ------------------------------------------------ */

static void hdr_sum(unsigned char *h)
{
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += h[i];
	char tmp[8];
	snprintf(tmp, sizeof(tmp), "%06o", sum & 0777777);
	memcpy(h + 148, tmp, 7);
}

static void put_oct(unsigned char *f, size_t n, uint64_t v)
{
	char tmp[24];
	snprintf(tmp, sizeof(tmp), "%0*" PRIo64, (int)n - 1, v);
	memcpy(f, tmp, n);
}

/* Append a ustar header (checksummed) to sb; returns it for tweaks. */
static unsigned char *hdr(struct strbuf *sb, const char *name, char type, uint64_t size)
{
	unsigned char h[512] = { 0 };
	memcpy(h, name, strnlen(name, 100));
	put_oct(h + 100, 8, 0644);
	put_oct(h + 108, 8, 0);
	put_oct(h + 116, 8, 0);
	put_oct(h + 124, 12, size);
	put_oct(h + 136, 12, 1234567890);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	hdr_sum(h);
	strbuf_add(sb, h, 512);
	return (unsigned char *)sb->buf + sb->len - 512;
}

static void data(struct strbuf *sb, const void *p, size_t n)
{
	strbuf_add(sb, p, n);
	static const char zero[512];
	strbuf_add(sb, zero, (512 - n % 512) % 512);
}

static void pax(struct strbuf *sb, const char *records, size_t n)
{
	hdr(sb, "PaxHeaders/x", 'x', n);
	data(sb, records, n);
}

/* Records "LEN key=value\n" with LEN computed, joined into one string. */
static char *recs(const char *first, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, first);
	for (const char *kv = first; kv; kv = va_arg(ap, const char *)) {
		size_t n = strlen(kv) + 2, total = n;   /* ' ' and '\n' */
		for (int i = 0; i < 3; i++)             /* n + digits(total) */
			total = n + (size_t)snprintf(NULL, 0, "%zu", total);
		strbuf_addf(&sb, "%zu %s\n", total, kv);
	}
	va_end(ap);
	return strbuf_detach(&sb);
}

static void pax_recs(struct strbuf *sb, char *r)
{
	pax(sb, r, strlen(r));
	free(r);
}

static void end(struct strbuf *sb)
{
	static const char zero[1024];
	strbuf_add(sb, zero, sizeof(zero));
}

/* The archive must fail with a message containing want. */
static void expect_fail(const struct strbuf *sb, const char *want)
{
	for (int skip = 0; skip < 2; skip++) {
		for (size_t chunk = 0; chunk < 2; chunk++) {
			struct qerr err = QERR_INIT;
			struct got_list l;
			int rc = collect_ex(sb->buf, sb->len, chunk, skip, true, &l, NULL, &err);
			got_list_free(&l);
			if (rc != -1)
				fail_msg("expected failure '%s', got rc %d", want, rc);
			if (!strstr(err.msg, want))
				fail_msg("expected '%s' in '%s'", want, err.msg);
		}
	}
}

static void t_hostile(void **state)
{
	(void)state;
	struct strbuf good = STRBUF_INIT, sb = STRBUF_INIT;
	hdr(&good, "a", '0', 600);
	char *d = pattern(600, 1);
	data(&good, d, 600);
	free(d);
	end(&good);

	strbuf_add(&sb, good.buf, 300);        /* truncated header */
	expect_fail(&sb, "unexpected end of stream");
	strbuf_reset(&sb);
	strbuf_add(&sb, good.buf, 512 + 100);  /* truncated data */
	expect_fail(&sb, "tar entry 'a': unexpected end of stream");
	strbuf_reset(&sb);
	strbuf_add(&sb, good.buf, 512 + 600);  /* truncated padding */
	expect_fail(&sb, "unexpected end of stream");
	strbuf_reset(&sb);

	strbuf_add(&sb, good.buf, good.len);   /* bad checksum */
	sb.buf[5] ^= 1;
	expect_fail(&sb, "bad header checksum");
	strbuf_reset(&sb);

	pax(&sb, "99 path=x\n", 10);           /* record longer than the header */
	hdr(&sb, "b", '0', 0);
	end(&sb);
	expect_fail(&sb, "exceeds the header");
	strbuf_reset(&sb);

	pax_recs(&sb, recs("size=-1", NULL));
	hdr(&sb, "b", '0', 0);
	end(&sb);
	expect_fail(&sb, "invalid pax size '-1'");
	strbuf_reset(&sb);

	pax_recs(&sb, recs("size=99999999999999999999999", NULL));
	hdr(&sb, "b", '0', 0);
	end(&sb);
	expect_fail(&sb, "invalid pax size");
	strbuf_reset(&sb);

	pax(&sb, "10 path=xy\n", 11);          /* wrong length: no newline at end */
	hdr(&sb, "b", '0', 0);
	end(&sb);
	expect_fail(&sb, "malformed pax record");
	strbuf_reset(&sb);

	unsigned char *h = hdr(&sb, "neg", '0', 0);   /* base-256 negative size */
	memset(h + 124, 0xff, 12);
	hdr_sum(h);
	end(&sb);
	expect_fail(&sb, "negative size");
	strbuf_reset(&sb);

	h = hdr(&sb, "ovf", '0', 0);           /* base-256 size over 2^63 */
	memset(h + 124, 0, 12);
	h[124] = 0x80;
	h[127] = 0x80;
	hdr_sum(h);
	end(&sb);
	expect_fail(&sb, "invalid size field");
	strbuf_reset(&sb);

	h = hdr(&sb, "oct", '0', 0);           /* not octal */
	memcpy(h + 124, "0000000009x", 11);
	hdr_sum(h);
	end(&sb);
	expect_fail(&sb, "invalid size field");
	strbuf_reset(&sb);

	hdr(&sb, "././@LongLink", 'L', TAR_MAX_PAX + 1);   /* huge long name */
	expect_fail(&sb, "exceeds the limit");
	strbuf_reset(&sb);

	hdr(&sb, "PaxHeaders/x", 'x', UINT64_C(1) << 32);  /* huge pax header */
	expect_fail(&sb, "exceeds the limit");
	strbuf_reset(&sb);

	/* overlapping sparse chunks */
	pax_recs(&sb, recs("GNU.sparse.map=0,10,5,10", "GNU.sparse.size=30", NULL));
	hdr(&sb, "sp", '0', 20);
	data(&sb, "01234567890123456789", 20);
	end(&sb);
	expect_fail(&sb, "tar entry 'sp': sparse chunk 1 overlaps");
	strbuf_reset(&sb);

	/* chunk past the real size */
	pax_recs(&sb, recs("GNU.sparse.map=0,10,25,10", "GNU.sparse.size=30", NULL));
	hdr(&sb, "sp", '0', 20);
	data(&sb, "01234567890123456789", 20);
	end(&sb);
	expect_fail(&sb, "ends past the file size");
	strbuf_reset(&sb);

	/* map does not cover the data */
	pax_recs(&sb, recs("GNU.sparse.map=0,10", "GNU.sparse.size=30", NULL));
	hdr(&sb, "sp", '0', 20);
	data(&sb, "01234567890123456789", 20);
	end(&sb);
	expect_fail(&sb, "sparse map covers 10 bytes but 20 are stored");
	strbuf_reset(&sb);

	hdr(&sb, "weird", 'Q', 0);             /* unknown type */
	end(&sb);
	expect_fail(&sb, "tar entry 'weird': unsupported entry type 'Q'");
	strbuf_reset(&sb);

	hdr(&sb, "a", '0', 0);                 /* zero block then a header */
	static const char zero[512];
	strbuf_add(&sb, zero, 512);
	hdr(&sb, "b", '0', 0);
	end(&sb);
	expect_fail(&sb, "zero block followed by a header");
	strbuf_reset(&sb);

	pax_recs(&sb, recs("path=x", NULL));   /* ends after an extended header */
	end(&sb);
	expect_fail(&sb, "archive ends after an extended header");
	strbuf_reset(&sb);

	hdr(&sb, "", '0', 0);                  /* empty name */
	end(&sb);
	expect_fail(&sb, "empty name");
	strbuf_reset(&sb);

	pax_recs(&sb, recs("LIBARCHIVE.xattr.user.a=!!!!", NULL));
	hdr(&sb, "b", '0', 0);
	end(&sb);
	expect_fail(&sb, "malformed base64");
	strbuf_reset(&sb);

	strbuf_release(&good);
	strbuf_release(&sb);
}

/* Too many xattrs, a path over the limit, a 1.0 sparse map that lies. */
static void t_limits(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT, rb = STRBUF_INIT;
	for (int i = 0; i <= TAR_MAX_XATTRS; i++) {
		char rec[64];
		int n = snprintf(rec, sizeof(rec), "SCHILY.xattr.user.%05d=v\n", i);
		strbuf_addf(&rb, "%d %s", n + 3, rec);
	}
	pax(&sb, rb.buf, rb.len);
	hdr(&sb, "b", '0', 0);
	end(&sb);
	expect_fail(&sb, "more than 1024 xattrs");
	strbuf_reset(&sb);
	strbuf_reset(&rb);

	char *p = long_name(TAR_MAX_PATH + 1, 'p');
	strbuf_addf(&rb, "%d path=%s\n", TAR_MAX_PATH + 1 + 7 + 5, p);
	free(p);
	pax(&sb, rb.buf, rb.len);
	hdr(&sb, "b", '0', 0);
	end(&sb);
	expect_fail(&sb, "longer than 65536 bytes");
	strbuf_reset(&sb);
	strbuf_reset(&rb);

	char *v10 = recs("GNU.sparse.major=1", "GNU.sparse.minor=0", "GNU.sparse.name=real",
			 "GNU.sparse.realsize=100", NULL);
	pax(&sb, v10, strlen(v10));
	hdr(&sb, "GNUSparseFile.1/real", '0', 512);
	data(&sb, "999999\n", 7);              /* more chunks than the limit */
	end(&sb);
	expect_fail(&sb, "tar entry 'real': sparse map has more than 65536 chunks");
	strbuf_reset(&sb);

	pax(&sb, v10, strlen(v10));
	hdr(&sb, "GNUSparseFile.1/real", '0', 4);
	data(&sb, "1\n0\n", 4);                /* map runs past the data */
	end(&sb);
	expect_fail(&sb, "runs past the entry's data");
	free(v10);
	strbuf_release(&sb);
	strbuf_release(&rb);
}

static void t_lenient_end(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	hdr(&sb, "a", '0', 3);
	data(&sb, "abc", 3);
	struct qerr err = QERR_INIT;
	struct got_list l;
	assert_ok(collect(sb.buf, sb.len, &l, &err), err);     /* no zero blocks */
	assert_int_equal(l.n, 1);
	got_list_free(&l);
	static const char zero[412 + 10240];
	strbuf_add(&sb, zero, 512);                             /* one zero block */
	assert_ok(collect(sb.buf, sb.len, &l, &err), err);
	assert_int_equal(l.n, 1);
	got_list_free(&l);
	strbuf_add(&sb, zero, 100);                             /* and a zero scrap */
	assert_ok(collect(sb.buf, sb.len, &l, &err), err);
	got_list_free(&l);
	strbuf_add(&sb, zero, 412 + 10240);                     /* record padding */
	strbuf_addf(&sb, "trailing garbage is drained, not parsed");
	struct memsrc ms;
	assert_ok(collect_ex(sb.buf, sb.len, 0, true, true, &l, &ms, &err), err);
	assert_int_equal(ms.pos, sb.len);
	got_list_free(&l);
	assert_ok(collect(NULL, 0, &l, &err), err);             /* empty stream */
	assert_int_equal(l.n, 0);
	strbuf_release(&sb);
}

/* Old and odd headers: '\0' with '/', '7', GNU 'L'/'K', base-256 ids,
 * signed checksums, LIBARCHIVE xattrs, fractional mtimes, 'g' ignored,
 * header-only types whose size field is not data. */
static void t_odd_headers(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	unsigned char *h = hdr(&sb, "olddir/", '\0', 0);
	memset(h + 257, 0, 8);                          /* V7 */
	hdr_sum(h);
	hdr(&sb, "contig", '7', 2);
	data(&sb, "hi", 2);
	char *ln = long_name(300, 'l');
	hdr(&sb, "././@LongLink", 'L', 301);
	data(&sb, ln, 301);
	hdr(&sb, "././@LongLink", 'K', 301);
	data(&sb, ln, 301);
	h = hdr(&sb, "short", '2', 0);
	h[108] = (char)0x80;                            /* base-256 uid */
	memset(h + 109, 0, 7);
	h[114] = 0x12;
	h[115] = 0x34;
	h[0] = (char)0xe9;                              /* signed checksum */
	memset(h + 148, ' ', 8);
	int ssum = 0;
	for (int i = 0; i < 512; i++)
		ssum += (signed char)h[i];
	char tmp[8];
	snprintf(tmp, sizeof(tmp), "%06o", ssum);
	memcpy(h + 148, tmp, 7);
	char *g = recs("path=global", NULL);
	hdr(&sb, "pax_global_header", 'g', strlen(g));
	data(&sb, g, strlen(g));
	free(g);
	pax_recs(&sb, recs("LIBARCHIVE.xattr.user%2Eb%3Dq=aGVsbG8", "SCHILY.xattr.user.a=1",
			   "mtime=1700000000.123456789", "uname=alice", NULL));
	hdr(&sb, "x", '0', 0);
	pax_recs(&sb, recs("mtime=-1.25", NULL));
	hdr(&sb, "old", '0', 0);
	hdr(&sb, "dir-with-size", '5', 1024);           /* no data follows */
	hdr(&sb, "after", '0', 0);
	end(&sb);
	struct qerr err = QERR_INIT;
	struct got_list l;
	assert_ok(collect(sb.buf, sb.len, &l, &err), err);
	assert_int_equal(l.n, 7);
	assert_string_equal(l.v[0].path, "olddir/");
	assert_int_equal(l.v[0].type, TAR_DIR);
	assert_int_equal(l.v[1].type, TAR_REG);
	assert_memory_equal(l.v[1].data, "hi", 2);
	assert_string_equal(l.v[2].path, ln);
	assert_string_equal(l.v[2].link, ln);
	assert_int_equal(l.v[2].uid, 0x1234);
	const struct got *x = &l.v[3];
	assert_string_equal(x->path, "x");
	assert_int_equal(x->n_xattrs, 2);
	assert_memory_equal(find_xattr(x, "user.b=q")->value, "hello", 5);
	assert_int_equal(find_xattr(x, "user.a")->len, 1);
	assert_int_equal(x->mtime, 1700000000);
	assert_int_equal(x->mtime_nsec, 123456789);
	assert_string_equal(x->uname, "alice");
	assert_int_equal(l.v[4].mtime, -2);
	assert_int_equal(l.v[4].mtime_nsec, 750000000);
	assert_null(l.v[4].uname);                      /* pax does not carry over */
	assert_int_equal(l.v[5].type, TAR_DIR);
	assert_int_equal(l.v[5].size, 0);
	assert_string_equal(l.v[6].path, "after");
	got_list_free(&l);
	free(ln);
	strbuf_release(&sb);
}

/* ---- archives made by GNU tar ------------------------------------------ */

static void make_tree(void)
{
	char *deep = long_name(180, 'q');
	int rc = sh("rm -rf src && mkdir -p src/sub && cd src && "
		    "printf hello > a.txt && head -c 70000 /dev/urandom > sub/rand && "
		    "ln -s a.txt sym && ln a.txt hard && mkfifo fifo && : > empty && "
		    "mkdir -p \"$(dirname %s)\" && printf deep > %s && "
		    "ln -s %s longsym && chmod 4755 a.txt", deep, deep, deep);
	assert_int_equal(rc, 0);
	free(deep);
}

static void check_tree(const struct got_list *l, bool links_in_tree)
{
	char *deep = long_name(180, 'q');
	char *deep_path = xasprintf("src/%s", deep);
	/* tar archives the first name it meets; the other is the hard link */
	const struct got *a = find(l, "src/a.txt");
	if (a->type == TAR_HARDLINK)
		a = find(l, "src/hard");
	assert_int_equal(a->size, 5);
	assert_memory_equal(a->data, "hello", 5);
	assert_int_equal(a->mode, 04755);
	char *rnd;
	size_t rlen;
	load("src/sub/rand", &rnd, &rlen);
	const struct got *r = find(l, "src/sub/rand");
	assert_int_equal(r->size, rlen);
	assert_memory_equal(r->data, rnd, rlen);
	free(rnd);
	assert_string_equal(find(l, "src/sym")->link, "a.txt");
	assert_int_equal(find(l, "src/fifo")->type, TAR_FIFO);
	assert_int_equal(find(l, "src/empty")->size, 0);
	assert_memory_equal(find(l, deep_path)->data, "deep", 4);
	if (links_in_tree) {
		const struct got *hl = find(l, "src/hard");
		assert_true(hl->type == TAR_HARDLINK || find(l, "src/a.txt")->type == TAR_HARDLINK);
		assert_string_equal(find(l, "src/longsym")->link, deep);
	}
	assert_int_equal(find(l, "src/sub/")->type, TAR_DIR);
	free(deep);
	free(deep_path);
}

static void gnu_format(const char *format)
{
	if (!have_tool("tar"))
		skip();
	make_tree();
	char *name = xasprintf("gnu-%s.tar", format);
	assert_int_equal(sh("tar --format=%s -cf %s src", format, name), 0);
	char *p;
	size_t len;
	load(name, &p, &len);
	struct qerr err = QERR_INIT;
	struct got_list l;
	assert_ok(collect(p, len, &l, &err), err);
	check_tree(&l, true);
	got_list_free(&l);
	assert_ok(collect_ex(p, len, 3, false, true, &l, NULL, &err), err);
	check_tree(&l, true);
	got_list_free(&l);
	free(p);
	free(name);
}

static void t_gnu_tar_gnu(void **state) { (void)state; gnu_format("gnu"); }
static void t_gnu_tar_pax(void **state) { (void)state; gnu_format("pax"); }
static void t_gnu_tar_oldgnu(void **state) { (void)state; gnu_format("oldgnu"); }

static void t_gnu_tar_ustar(void **state)
{
	(void)state;
	if (!have_tool("tar"))
		skip();
	/* ustar cannot hold the 180-byte symlink target: archive the rest */
	make_tree();
	assert_int_equal(sh("rm src/longsym && tar --format=ustar -cf ustar.tar src"), 0);
	char *p;
	size_t len;
	load("ustar.tar", &p, &len);
	struct qerr err = QERR_INIT;
	struct got_list l;
	assert_ok(collect(p, len, &l, &err), err);
	check_tree(&l, false);
	got_list_free(&l);
	free(p);
}

static void t_gnu_tar_xattrs(void **state)
{
	(void)state;
	if (!have_tool("tar") || !have_tool("python3"))
		skip();
	int rc = sh("rm -rf xa && mkdir xa && printf x > xa/f && python3 -c \""
		    "import os; os.setxattr('xa/f', 'user.bin', b'a\\x00b\\nc')\" 2>/dev/null");
	if (rc != 0)
		skip();         /* no user xattrs on this file system */
	assert_int_equal(sh("tar --xattrs --format=pax -cf xa.tar xa"), 0);
	char *p;
	size_t len;
	load("xa.tar", &p, &len);
	struct qerr err = QERR_INIT;
	struct got_list l;
	assert_ok(collect(p, len, &l, &err), err);
	const struct tar_xattr *x = find_xattr(find(&l, "xa/f"), "user.bin");
	assert_int_equal(x->len, 5);
	assert_memory_equal(x->value, "a\0b\nc", 5);
	assert_true(find(&l, "xa/f")->mtime_nsec > 0 || find(&l, "xa/f")->mtime > 0);
	got_list_free(&l);
	free(p);
}

/* A sparse file with 30 data regions (more than the 4 + 21 of one 'S'
 * header and its first extension block), a hole at the start and one at
 * the end. */
static void make_sparse(void)
{
	int rc = sh("rm -f sparse && truncate -s 9000000 sparse && "
		    "for i in $(seq 1 30); do "
		    "printf 'region-%%d-' $i | dd of=sparse bs=1 seek=$((i * 200000 + i * 7)) "
		    "conv=notrunc status=none; "
		    "head -c 5000 /dev/urandom | dd of=sparse bs=4096 seek=$((i * 50 + 1)) "
		    "conv=notrunc status=none; done");
	assert_int_equal(rc, 0);
}

static void sparse_format(const char *opts, bool expect_sparse)
{
	if (!have_tool("tar") || !have_tool("truncate") || !have_tool("dd"))
		skip();
	make_sparse();
	assert_int_equal(sh("tar %s --sparse -cf sparse.tar sparse", opts), 0);
	char *p, *orig;
	size_t len, olen;
	load("sparse.tar", &p, &len);
	load("sparse", &orig, &olen);
	assert_true(len < olen / 4);    /* holes were not stored */
	for (int skip = 0; skip < 2; skip++) {
		struct qerr err = QERR_INIT;
		struct got_list l;
		assert_ok(collect_ex(p, len, skip ? 0 : 1000, skip, true, &l, NULL, &err), err);
		assert_int_equal(l.n, 1);
		assert_string_equal(l.v[0].path, "sparse");
		assert_int_equal(l.v[0].size, olen);
		if (expect_sparse)
			assert_true(l.v[0].n_sparse > 25);
		assert_memory_equal(l.v[0].data, orig, olen);
		got_list_free(&l);
	}
	free(p);
	free(orig);
}

static void t_sparse_gnu(void **state) { (void)state; sparse_format("--format=gnu", true); }
static void t_sparse_pax00(void **state)
{
	(void)state;
	sparse_format("--format=pax --sparse-version=0.0", true);
}
static void t_sparse_pax01(void **state)
{
	(void)state;
	sparse_format("--format=pax --sparse-version=0.1", true);
}
static void t_sparse_pax10(void **state)
{
	(void)state;
	sparse_format("--format=pax --sparse-version=1.0", true);
}

/* An all-hole file still reads as sparse, with its size. */
static void t_sparse_empty(void **state)
{
	(void)state;
	if (!have_tool("tar") || !have_tool("truncate"))
		skip();
	static const char *fmts[] = { "--format=gnu", "--format=pax --sparse-version=1.0",
				      "--format=pax --sparse-version=0.1" };
	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		assert_int_equal(sh("rm -f hole && truncate -s 1000000 hole && "
				    "tar %s --sparse -cf hole.tar hole", fmts[i]), 0);
		char *p;
		size_t len;
		load("hole.tar", &p, &len);
		struct qerr err = QERR_INIT;
		struct got_list l;
		assert_ok(collect(p, len, &l, &err), err);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.v[0].size, 1000000);
		assert_true(all_zero_check(l.v[0].data, 1000000));
		got_list_free(&l);
		free(p);
	}
}

/* ---- archives made by Python's tarfile --------------------------------- */

static void t_python_archives(void **state)
{
	(void)state;
	if (!have_tool("python3"))
		skip();
	static const char script[] =
		"import tarfile, io\n"
		"def add(t, name, data=b'', **kw):\n"
		"    ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 1600000000\n"
		"    for k, v in kw.items(): setattr(ti, k, v)\n"
		"    t.addfile(ti, io.BytesIO(data))\n"
		"long = '/'.join(['p' * 50] * 6)\n"
		"with tarfile.open('py-pax.tar', 'w', format=tarfile.PAX_FORMAT) as t:\n"
		"    add(t, 'x1', b'data', pax_headers={'SCHILY.xattr.user.k': 'v\\u00e9',\n"
		"        'SCHILY.xattr.security.selinux': 'system_u:object_r:bin_t:s0'})\n"
		"    add(t, long, b'L')\n"
		"    add(t, 'big', b'', uid=5000000000, gid=7, uname='u' * 40)\n"
		"    add(t, 'frac', b'', mtime=1600000000.5)\n"
		"with tarfile.open('py-gnu.tar', 'w', format=tarfile.GNU_FORMAT) as t:\n"
		"    add(t, long, b'G')\n"
		"    add(t, 'ln', type=tarfile.SYMTYPE, linkname=long)\n"
		"    add(t, 'big', b'', uid=5000000000, mtime=-100)\n"
		"with tarfile.open('py-ustar.tar', 'w', format=tarfile.USTAR_FORMAT) as t:\n"
		"    add(t, 'p' * 100 + '/' + 'n' * 100, b'U')\n";
	save("mk.py", script, sizeof(script) - 1);
	assert_int_equal(sh("python3 mk.py"), 0);
	struct strbuf lb = STRBUF_INIT;
	for (int i = 0; i < 6; i++) {
		char seg[51];
		memset(seg, 'p', 50);
		seg[50] = '\0';
		strbuf_addf(&lb, "%s%s", i ? "/" : "", seg);
	}
	char *p;
	size_t len;
	struct qerr err = QERR_INIT;
	struct got_list l;

	load("py-pax.tar", &p, &len);
	assert_ok(collect(p, len, &l, &err), err);
	assert_int_equal(l.n, 4);
	assert_memory_equal(find_xattr(find(&l, "x1"), "user.k")->value, "v\xc3\xa9", 3);
	const struct tar_xattr *se = find_xattr(find(&l, "x1"), "security.selinux");
	assert_int_equal(se->len, 26);
	assert_memory_equal(se->value, "system_u:object_r:bin_t:s0", 26);
	assert_memory_equal(find(&l, lb.buf)->data, "L", 1);
	assert_int_equal(find(&l, "big")->uid, 5000000000u);
	assert_int_equal(strlen(find(&l, "big")->uname), 40);
	assert_int_equal(find(&l, "frac")->mtime_nsec, 500000000);
	got_list_free(&l);
	free(p);

	load("py-gnu.tar", &p, &len);
	assert_ok(collect(p, len, &l, &err), err);
	assert_int_equal(l.n, 3);
	assert_memory_equal(find(&l, lb.buf)->data, "G", 1);
	assert_string_equal(find(&l, "ln")->link, lb.buf);
	assert_int_equal(find(&l, "big")->uid, 5000000000u);   /* base-256 */
	assert_int_equal(find(&l, "big")->mtime, -100);
	got_list_free(&l);
	free(p);

	load("py-ustar.tar", &p, &len);
	assert_ok(collect(p, len, &l, &err), err);
	assert_int_equal(l.n, 1);
	assert_int_equal(strlen(l.v[0].path), 201);
	got_list_free(&l);
	free(p);
	strbuf_release(&lb);
}

/* ---- our archives read by other tools ---------------------------------- */

static void write_for_tools(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct byte_sink sink = { sb_write, &sb };
	struct tar_writer *tw = tar_writer_new(&sink);
	char *n300 = long_name(300, 'w');
	char *n100 = long_name(100, 'v');
	char *dir = xstrndup(n300, 280);        /* parent dirs of n300 */
	struct tar_entry e;
	/* parents first so that extraction needs no implicit directories */
	for (size_t i = 0; i < strlen(dir); i++) {
		if (dir[i] != '/')
			continue;
		char *pd = xstrndup(dir, i + 1);
		e = ent(pd, TAR_DIR, 0);
		add(tw, &e, NULL);
		free(pd);
	}
	e = ent(n300, TAR_REG, 4);
	add(tw, &e, "long");
	e = ent(n100, TAR_REG, 3);
	add(tw, &e, "100");
	static const unsigned char bin[] = { 0, 1, 2, '\n', 0xff, '=' };
	struct tar_xattr x[] = {
		{ "user.text", (unsigned char *)"hello", 5 },
		{ "security.capability", (unsigned char *)bin, sizeof(bin) },
	};
	e = ent("xattr", TAR_REG, 1);
	e.xattrs = x;
	e.n_xattrs = 2;
	add(tw, &e, "x");
	e = ent("bigid", TAR_REG, 0);
	e.uid = 4000000000u;
	e.gid = 3000000;
	e.uname = "someone-with-a-very-long-user-name";
	add(tw, &e, NULL);
	e = ent("link", TAR_SYMLINK, 0);
	e.link = n300;
	add(tw, &e, NULL);
	e = ent("hard", TAR_HARDLINK, 0);
	e.link = n100;
	add(tw, &e, NULL);
	finish(tw);
	save("ours.tar", sb.buf, sb.len);
	strbuf_release(&sb);
	free(n300);
	free(n100);
	free(dir);
}

static void t_gnu_tar_reads_ours(void **state)
{
	(void)state;
	if (!have_tool("tar"))
		skip();
	write_for_tools();
	char *n300 = long_name(300, 'w');
	char *n100 = long_name(100, 'v');
	/* any message on stderr (a warning about the missing record padding,
	 * an unknown keyword) fails the test */
	assert_int_equal(sh("tar -tvf ours.tar > list.txt 2> err.txt && ! test -s err.txt"), 0);
	assert_int_equal(sh("grep -q 'bigid' list.txt && grep -q -- '-> %s' list.txt", n300), 0);
	assert_int_equal(sh("grep -q '4000000000/3000000\\|someone' list.txt"), 0);
	assert_int_equal(sh("rm -rf out && mkdir out && tar -xf ours.tar -C out 2> err.txt "
			    "&& ! test -s err.txt"), 0);
	assert_int_equal(sh("test \"$(cat 'out/%s')\" = long", n300), 0);
	assert_int_equal(sh("test \"$(cat 'out/%s')\" = 100", n100), 0);
	assert_int_equal(sh("test \"$(readlink out/link)\" = '%s'", n300), 0);
	assert_int_equal(sh("test \"$(cat out/hard)\" = 100"), 0);
	assert_int_equal(sh("test \"$(stat -c %%i out/hard)\" = \"$(stat -c %%i 'out/%s')\"",
			    n100), 0);
	assert_int_equal(sh("tar --format=pax -tf ours.tar > /dev/null 2> err.txt && "
			    "! test -s err.txt"), 0);
	free(n300);
	free(n100);
}

static void t_python_reads_ours(void **state)
{
	(void)state;
	if (!have_tool("python3"))
		skip();
	write_for_tools();
	static const char script[] =
		"import tarfile, sys\n"
		"t = tarfile.open('ours.tar')\n"
		"m = {x.name: x for x in t.getmembers()}\n"
		"n300 = ''.join('/' if i % 40 == 39 else 'w' for i in range(300))\n"
		"n100 = ''.join('/' if i % 40 == 39 else 'v' for i in range(100))\n"
		"assert t.extractfile(m[n300]).read() == b'long', 'n300'\n"
		"assert t.extractfile(m[n100]).read() == b'100', 'n100'\n"
		"x = m['xattr'].pax_headers\n"
		"assert x['SCHILY.xattr.user.text'] == 'hello', x\n"
		"cap = x['SCHILY.xattr.security.capability']\n"
		"assert cap.encode('utf-8', 'surrogateescape') == bytes([0,1,2,10,255,61]), cap\n"
		"assert m['bigid'].uid == 4000000000 and m['bigid'].gid == 3000000\n"
		"assert m['bigid'].uname == 'someone-with-a-very-long-user-name'\n"
		"assert m['link'].linkname == n300 and m['link'].issym()\n"
		"assert m['hard'].linkname == n100 and m['hard'].islnk()\n"
		"assert m['bigid'].mtime == 1700000000\n"
		"assert all(x.name.find('PaxHeaders') < 0 for x in t.getmembers())\n";
	save("check.py", script, sizeof(script) - 1);
	assert_int_equal(sh("python3 check.py"), 0);
}

/* ---- main -------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/quench-test-tar-XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	tmpdir = xstrdup(tmpl);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	fs_remove_at(AT_FDCWD, tmpdir, &err);
	free(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_roundtrip),
		cmocka_unit_test(t_skip_unread),
		cmocka_unit_test(t_long_fields),
		cmocka_unit_test(t_xattrs),
		cmocka_unit_test(t_huge_size),
		cmocka_unit_test(t_writer_misuse),
		cmocka_unit_test(t_hostile),
		cmocka_unit_test(t_limits),
		cmocka_unit_test(t_lenient_end),
		cmocka_unit_test(t_odd_headers),
		cmocka_unit_test(t_gnu_tar_gnu),
		cmocka_unit_test(t_gnu_tar_pax),
		cmocka_unit_test(t_gnu_tar_oldgnu),
		cmocka_unit_test(t_gnu_tar_ustar),
		cmocka_unit_test(t_gnu_tar_xattrs),
		cmocka_unit_test(t_sparse_gnu),
		cmocka_unit_test(t_sparse_pax00),
		cmocka_unit_test(t_sparse_pax01),
		cmocka_unit_test(t_sparse_pax10),
		cmocka_unit_test(t_sparse_empty),
		cmocka_unit_test(t_python_archives),
		cmocka_unit_test(t_gnu_tar_reads_ours),
		cmocka_unit_test(t_python_reads_ours),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
