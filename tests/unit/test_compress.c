/* image compression: gzip (ISA-L), zstd and none — round trips, exact
 * bytes across thread counts, interop with the real tools, and every way a
 * stream can be broken (crc, size, truncation, trailing bytes, headers). */
#include "image/image.h"
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <isa-l/crc.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#define MiB (1024u * 1024)

/* ---- helpers ----------------------------------------------------------------- */

#define assert_ok(expr, e)                                                   \
	do {                                                                 \
		if ((expr) < 0)                                              \
			fail_msg("%s failed: %s", #expr, (e)->msg);          \
	} while (0)

#define assert_err_contains(e, needle)                                       \
	do {                                                                 \
		if (!strstr((e)->msg, (needle)))                             \
			fail_msg("error '%s' lacks '%s'", (e)->msg, (needle)); \
	} while (0)

struct membuf {
	uint8_t *p;
	size_t len, cap;
	size_t fail_after;    /* the sink fails once it would pass this; 0 never */
};

static int mem_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	struct membuf *m = ctx;
	if (m->fail_after && m->len + len > m->fail_after)
		return q_error(err, ENOSPC, "write 'test sink'");
	m->p = xgrow(m->p, &m->cap, m->len + len + 1, 1);
	if (len)
		memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

static void membuf_release(struct membuf *m)
{
	free(m->p);
	memset(m, 0, sizeof(*m));
}

struct memsrc {
	const uint8_t *p;
	size_t len, pos;
	size_t chunk;         /* most bytes per read; 0 = all asked for */
	unsigned skips;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	struct memsrc *s = ctx;
	(void)err;
	size_t n = s->len - s->pos;
	if (n > len)
		n = len;
	if (s->chunk && n > s->chunk)
		n = s->chunk;
	if (n)
		memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static int mem_skip(void *ctx, uint64_t n, struct qerr *err)
{
	struct memsrc *s = ctx;
	s->skips++;
	if (n > s->len - s->pos)
		return q_error(err, 0, "unexpected end of stream");
	s->pos += n;
	return 0;
}

static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void gen_random(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t s = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd_next(&s) >> 24);
}

/* Text-like data: compresses about 3:1, like a tar of /usr. */
static void gen_text(uint8_t *p, size_t n, uint64_t seed)
{
	static const char *words[] = {
		"the", "layer", "image", "container", "lib", "usr", "share", "python3",
		"cuda", "torch", "import", "return", "static", "const", "int", "void",
		"0x7f", "ELF", "model", "weights", "tensor", "#include", "{", "}", ";",
	};
	uint64_t s = seed * 2654435761u + 7;
	size_t i = 0;
	while (i < n) {
		uint64_t r = rnd_next(&s);
		const char *w = words[r % ARRAY_SIZE(words)];
		for (; *w && i < n; w++)
			p[i++] = (uint8_t)*w;
		if (i < n)
			p[i++] = (r >> 20) % 11 == 0 ? '\n' : (r >> 20) % 17 == 0 ? (uint8_t)(r >> 32) : ' ';
	}
}

static uint8_t *make_data(size_t n, bool text, uint64_t seed)
{
	uint8_t *p = xmalloc(n ? n : 1);
	if (text)
		gen_text(p, n, seed);
	else
		gen_random(p, n, seed);
	return p;
}

/* Compress in writes of `chunk` bytes (0: one write). */
static void compress_buf(enum compression c, int level, int threads, const uint8_t *in,
			 size_t len, size_t chunk, struct membuf *out)
{
	struct qerr err = QERR_INIT;
	struct byte_sink sink = { mem_write, out };
	struct compressor *k = compressor_new(c, level, threads, &sink);
	const struct byte_sink *s = compressor_sink(k);

	assert_non_null(k);
	for (size_t off = 0; off < len;) {
		size_t n = chunk && len - off > chunk ? chunk : len - off;
		assert_ok(s->write(s->ctx, in + off, n, &err), &err);
		off += n;
	}
	assert_ok(compressor_finish(k, &err), &err);
	compressor_free(k);
}

/* Decompress all of in (read `in_chunk` at a time) with reads of `rsize`. */
static int decompress_buf(enum compression c, const uint8_t *in, size_t len, size_t in_chunk,
			  size_t rsize, struct membuf *out, struct qerr *err)
{
	struct memsrc ms = { in, len, 0, in_chunk, 0 };
	struct byte_source src = { mem_read, NULL, &ms };
	struct decompressor *d = decompressor_new(c, &src);
	const struct byte_source *s = decompressor_source(d);
	uint8_t *buf = xmalloc(rsize);
	ssize_t n;
	int rc = 0;

	while ((n = s->read(s->ctx, buf, rsize, err)) > 0)
		assert_ok(mem_write(out, buf, (size_t)n, err), err);
	if (n < 0)
		rc = -1;
	free(buf);
	decompressor_free(d);
	return rc;
}

static void assert_decodes_to(enum compression c, const uint8_t *z, size_t zlen, size_t in_chunk,
			      size_t rsize, const uint8_t *want, size_t wlen)
{
	struct membuf out = { 0 };
	struct qerr err = QERR_INIT;
	assert_ok(decompress_buf(c, z, zlen, in_chunk, rsize, &out, &err), &err);
	assert_int_equal(out.len, wlen);
	if (wlen)
		assert_memory_equal(out.p, want, wlen);
	membuf_release(&out);
}

/* Expect decompression to fail with a message containing needle. */
static void assert_decode_fails(enum compression c, const uint8_t *z, size_t zlen,
				size_t in_chunk, const char *needle)
{
	struct membuf out = { 0 };
	struct qerr err = QERR_INIT;
	if (decompress_buf(c, z, zlen, in_chunk, 64 * 1024, &out, &err) == 0)
		fail_msg("decoding %zu bytes succeeded; wanted '%s'", zlen, needle);
	assert_err_contains(&err, needle);
	membuf_release(&out);
}

/* ---- a scratch directory and the real tools ---------------------------------- */

static char tmpdir[64];

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/quench-compress-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	return fs_remove_at(AT_FDCWD, tmpdir, &err);
}

static bool have_tool(const char *name)
{
	char *cmd = xasprintf("command -v %s >/dev/null 2>&1", name);
	int rc = system(cmd);
	free(cmd);
	return rc == 0;
}

static int sh(const char *fmt, ...) PRINTF_LIKE(1, 2);
static int sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	int rc = system(cmd);
	free(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void put_file(const char *name, const void *p, size_t len)
{
	struct qerr err = QERR_INIT;
	char *path = tpath(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_ok(write_all(fd, p, len, &err), &err);
	close(fd);
	free(path);
}

static void get_file(const char *name, struct membuf *m)
{
	struct qerr err = QERR_INIT;
	char *path = tpath(name), *data;
	size_t len;
	assert_ok(read_file_at(AT_FDCWD, path, 512u * MiB, &data, &len, &err), &err);
	m->p = (uint8_t *)data;
	m->len = m->cap = len;
	free(path);
}

/* ---- names ------------------------------------------------------------------- */

static void t_names(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	enum compression c;
	static const uint8_t gz[] = { 0x1f, 0x8b, 8 }, zs[] = { 0x28, 0xb5, 0x2f, 0xfd, 0 };

	assert_string_equal(compression_name(COMP_GZIP), "gzip");
	assert_string_equal(compression_name(COMP_ZSTD), "zstd");
	assert_string_equal(compression_name(COMP_NONE), "none");
	assert_ok(compression_parse("gzip", &c, &err), &err);
	assert_int_equal(c, COMP_GZIP);
	assert_ok(compression_parse("zstd", &c, &err), &err);
	assert_int_equal(c, COMP_ZSTD);
	assert_ok(compression_parse("uncompressed", &c, &err), &err);
	assert_int_equal(c, COMP_NONE);
	assert_ok(compression_parse("none", &c, &err), &err);
	assert_int_equal(c, COMP_NONE);
	assert_int_equal(compression_parse("bzip2", &c, &err), -1);
	assert_err_contains(&err, "'bzip2'");
	assert_int_equal(compression_parse("", &c, &err), -1);

	assert_int_equal(compression_detect(gz, sizeof(gz)), COMP_GZIP);
	assert_int_equal(compression_detect(gz, 1), COMP_NONE);
	assert_int_equal(compression_detect(zs, sizeof(zs)), COMP_ZSTD);
	assert_int_equal(compression_detect(zs, 3), COMP_NONE);
	assert_int_equal(compression_detect("ustar", 5), COMP_NONE);
	assert_int_equal(compression_detect(NULL, 0), COMP_NONE);
}

/* ---- round trips ------------------------------------------------------------- */

static const size_t sizes[] = { 0, 1, MiB - 1, MiB, MiB + 1, 10 * MiB };

static void roundtrip(enum compression c, int threads, size_t len, bool text)
{
	uint8_t *data = make_data(len, text, len + threads);
	struct membuf z = { 0 };

	compress_buf(c, 0, threads, data, len, 100 * 1000, &z);
	if (c != COMP_NONE)
		assert_int_equal(compression_detect(z.p, z.len), c);
	/* Big reads (inflated in place) and tar-sized ones (buffered). */
	assert_decodes_to(c, z.p, z.len, 0, 4 * MiB, data, len);
	assert_decodes_to(c, z.p, z.len, 4096, 512, data, len);
	if (len <= MiB + 1)
		assert_decodes_to(c, z.p, z.len, 3, 1000, data, len);
	if (text && c != COMP_NONE && len >= MiB)
		assert_true(z.len < len / 2);
	membuf_release(&z);
	free(data);
}

static void roundtrip_all(enum compression c)
{
	static const int threads[] = { 1, 3 };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		for (size_t t = 0; t < ARRAY_SIZE(threads); t++) {
			roundtrip(c, threads[t], sizes[i], true);
			roundtrip(c, threads[t], sizes[i], false);
		}
}

static void t_roundtrip_none(void **state)
{
	(void)state;
	roundtrip_all(COMP_NONE);
}

static void t_roundtrip_gzip(void **state)
{
	(void)state;
	roundtrip_all(COMP_GZIP);
}

static void t_roundtrip_zstd(void **state)
{
	(void)state;
	roundtrip_all(COMP_ZSTD);
}

/* none passes skip through to the underlying source. */
static void t_none_skip(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	const uint8_t data[] = "0123456789";
	struct memsrc ms = { data, 10, 0, 0, 0 };
	struct byte_source src = { mem_read, mem_skip, &ms };
	struct decompressor *d = decompressor_new(COMP_NONE, &src);
	const struct byte_source *s = decompressor_source(d);
	char buf[4];

	assert_non_null(s->skip);
	assert_ok((s->skip)(s->ctx, 6, &err), &err);
	assert_int_equal(s->read(s->ctx, buf, sizeof(buf), &err), 4);
	assert_memory_equal(buf, "6789", 4);
	assert_int_equal(ms.skips, 1);
	assert_int_equal((s->skip)(s->ctx, 1, &err), -1);
	decompressor_free(d);
}

/* Every level gives a valid stream; the extremes differ. */
static void t_levels(void **state)
{
	(void)state;
	size_t len = 3 * MiB + 5;
	uint8_t *data = make_data(len, true, 42);
	size_t zlen[11] = { 0 };

	for (int lvl = -1; lvl <= 10; lvl++) {
		struct membuf z = { 0 };
		compress_buf(COMP_GZIP, lvl == 10 ? 42 : lvl, 2, data, len, 0, &z);
		assert_decodes_to(COMP_GZIP, z.p, z.len, 0, MiB, data, len);
		if (lvl >= 0 && lvl <= 9)
			zlen[lvl] = z.len;
		membuf_release(&z);
	}
	assert_true(zlen[9] < zlen[1]);
	for (int lvl = -3; lvl <= 23; lvl += 13) {
		struct membuf z = { 0 };
		compress_buf(COMP_ZSTD, lvl, 1, data, len, 0, &z);
		assert_decodes_to(COMP_ZSTD, z.p, z.len, 0, MiB, data, len);
		membuf_release(&z);
	}
	free(data);
}

/* ---- determinism ------------------------------------------------------------- */

static void assert_same_for_all_threads(enum compression c, size_t len)
{
	static const int threads[] = { 1, 2, 4, 8 };
	static const size_t chunks[] = { 0, 65536, 1000003, 333 };
	uint8_t *data = make_data(len, true, 7);
	struct membuf ref = { 0 };

	compress_buf(c, 0, 1, data, len, 0, &ref);
	for (size_t t = 0; t < ARRAY_SIZE(threads); t++) {
		struct membuf z = { 0 };
		size_t chunk = chunks[t % ARRAY_SIZE(chunks)];
		compress_buf(c, 0, threads[t], data, len, chunk, &z);
		if (z.len != ref.len || memcmp(z.p, ref.p, z.len))
			fail_msg("%s: %d threads, writes of %zu: %zu bytes, 1 thread: %zu",
				 compression_name(c), threads[t], chunk, z.len, ref.len);
		membuf_release(&z);
	}
	assert_decodes_to(c, ref.p, ref.len, 0, MiB, data, len);
	membuf_release(&ref);
	free(data);
}

static void t_gzip_deterministic(void **state)
{
	(void)state;
	assert_same_for_all_threads(COMP_GZIP, 10 * MiB + 12345);
	assert_same_for_all_threads(COMP_GZIP, 4 * MiB);
	assert_same_for_all_threads(COMP_GZIP, 0);
}

/* zstd's claim: with nbWorkers >= 1 the bytes do not depend on the number
 * of workers. 40 MiB spans several of its jobs. */
static void t_zstd_deterministic(void **state)
{
	(void)state;
	assert_same_for_all_threads(COMP_ZSTD, 40 * MiB + 3);
	assert_same_for_all_threads(COMP_ZSTD, 0);
}

/* Same input, same bytes: the gzip header has no time and no name. */
static void t_gzip_header_fixed(void **state)
{
	(void)state;
	static const uint8_t want[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255 };
	struct membuf z = { 0 };
	compress_buf(COMP_GZIP, 0, 1, (const uint8_t *)"x", 1, 0, &z);
	assert_true(z.len > 18);
	assert_memory_equal(z.p, want, sizeof(want));
	/* trailer: crc32("x") = 0x8cdc1683, isize 1 */
	assert_memory_equal(z.p + z.len - 8, "\x83\x16\xdc\x8c\x01\x00\x00\x00", 8);
	membuf_release(&z);
}

/* ---- interop with the real tools --------------------------------------------- */

static void tool_decodes(const char *cmd, const char *zname, const uint8_t *want, size_t len)
{
	struct membuf got = { 0 };
	if (sh("cd %s && %s %s > out.raw", tmpdir, cmd, zname) != 0)
		fail_msg("'%s %s' failed", cmd, zname);
	get_file("out.raw", &got);
	assert_int_equal(got.len, len);
	assert_memory_equal(got.p, want, len);
	free(got.p);
}

static void t_ours_to_tools(void **state)
{
	(void)state;
	size_t len = 10 * MiB + 1;
	uint8_t *data = make_data(len, true, 3);

	for (int threads = 1; threads <= 4; threads += 3) {
		struct membuf z = { 0 };
		compress_buf(COMP_GZIP, 0, threads, data, len, 0, &z);
		put_file("ours.gz", z.p, z.len);
		assert_int_equal(sh("gzip -t %s/ours.gz", tmpdir), 0);
		tool_decodes("gzip -dc", "ours.gz", data, len);
		if (have_tool("igzip"))
			tool_decodes("igzip -dc", "ours.gz", data, len);
		if (have_tool("pigz"))
			tool_decodes("pigz -dc", "ours.gz", data, len);
		membuf_release(&z);
	}
	if (have_tool("zstd")) {
		struct membuf z = { 0 };
		compress_buf(COMP_ZSTD, 0, 2, data, len, 0, &z);
		put_file("ours.zst", z.p, z.len);
		tool_decodes("zstd -q -dc", "ours.zst", data, len);
		membuf_release(&z);
	}
	free(data);
}

static void decode_file(enum compression c, const char *zname, const uint8_t *want, size_t len)
{
	struct membuf z = { 0 };
	get_file(zname, &z);
	assert_decodes_to(c, z.p, z.len, 0, MiB, want, len);
	assert_decodes_to(c, z.p, z.len, 777, 512, want, len);
	free(z.p);
}

static void t_tools_to_ours_gzip(void **state)
{
	(void)state;
	size_t len = 3 * MiB + 17;
	uint8_t *data = make_data(len, true, 5);
	uint8_t *twice = xmalloc(2 * len);

	put_file("a", data, len);
	/* gzip -9 keeps the name: FNAME in the header. */
	assert_int_equal(sh("cd %s && gzip -9 -k -f a && gzip -1 -c a > a1.gz", tmpdir), 0);
	decode_file(COMP_GZIP, "a.gz", data, len);
	decode_file(COMP_GZIP, "a1.gz", data, len);
	/* Concatenated members, as pigz and bgzip make. */
	assert_int_equal(sh("cd %s && cat a.gz a1.gz > multi.gz", tmpdir), 0);
	memcpy(twice, data, len);
	memcpy(twice + len, data, len);
	decode_file(COMP_GZIP, "multi.gz", twice, 2 * len);
	if (have_tool("igzip")) {
		assert_int_equal(sh("cd %s && igzip -3 -c a > i3.gz", tmpdir), 0);
		decode_file(COMP_GZIP, "i3.gz", data, len);
	}
	if (have_tool("pigz")) {
		/* pigz: blocks in parallel, joined by sync flushes, like ours. */
		assert_int_equal(sh("cd %s && pigz -p 4 -b 128 -c a > p.gz", tmpdir), 0);
		decode_file(COMP_GZIP, "p.gz", data, len);
	}
	free(twice);
	free(data);
}

static void t_tools_to_ours_zstd(void **state)
{
	(void)state;
	if (!have_tool("zstd"))
		skip();
	size_t len = 3 * MiB + 17;
	uint8_t *data = make_data(len, true, 6);
	uint8_t *twice = xmalloc(2 * len);

	put_file("a", data, len);
	assert_int_equal(sh("cd %s && zstd -q -f -19 --long a -o a19.zst && "
			    "zstd -q -f -1 a -o a1.zst && cat a19.zst a1.zst > multi.zst", tmpdir), 0);
	decode_file(COMP_ZSTD, "a19.zst", data, len);
	memcpy(twice, data, len);
	memcpy(twice + len, data, len);
	decode_file(COMP_ZSTD, "multi.zst", twice, 2 * len);
	/* From a pipe the size is unknown, so the frame keeps the window log
	 * asked for: 27 is our cap, 30 is over it (as over zstd's default). */
	assert_int_equal(sh("cd %s && zstd -q -f --long=27 < a > w27.zst", tmpdir), 0);
	decode_file(COMP_ZSTD, "w27.zst", data, len);
	assert_int_equal(sh("cd %s && zstd -q -f --long=30 < a > w30.zst", tmpdir), 0);
	struct membuf z = { 0 };
	get_file("w30.zst", &z);
	assert_decode_fails(COMP_ZSTD, z.p, z.len, 0, "needs a window larger than 128 MiB");
	free(z.p);
	free(twice);
	free(data);
}

/* ---- gzip headers ------------------------------------------------------------ */

/* A raw deflate body of data, cut out of our own gzip output. */
static void deflate_body(const uint8_t *data, size_t len, struct membuf *body)
{
	struct membuf z = { 0 };
	compress_buf(COMP_GZIP, 0, 1, data, len, 0, &z);
	mem_write(body, z.p + 10, z.len - 18, NULL);
	membuf_release(&z);
}

/* A member with every optional field; flags may add reserved bits. */
static void build_member(struct membuf *m, const uint8_t *data, size_t len, uint8_t extra_flags,
			 uint8_t method, bool bad_hcrc)
{
	uint8_t hdr[10] = { 0x1f, 0x8b, method, 0x1e | extra_flags, 1, 2, 3, 4, 0, 3 };
	static const uint8_t xfield[] = { 6, 0, 'A', 'B', 2, 0, 'x', 'y' };
	struct membuf body = { 0 };
	size_t start = m->len;

	mem_write(m, hdr, sizeof(hdr), NULL);
	mem_write(m, xfield, sizeof(xfield), NULL);
	mem_write(m, "name.tar", 9, NULL);
	mem_write(m, "a comment", 10, NULL);
	uint32_t hcrc = crc32_gzip_refl(0, m->p + start, m->len - start);
	if (bad_hcrc)
		hcrc ^= 1;
	uint8_t h[2] = { (uint8_t)hcrc, (uint8_t)(hcrc >> 8) };
	mem_write(m, h, 2, NULL);
	deflate_body(data, len, &body);
	mem_write(m, body.p, body.len, NULL);
	uint32_t crc = crc32_gzip_refl(0, data, len);
	uint8_t t[8] = { (uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
			 (uint8_t)(crc >> 24), (uint8_t)len, (uint8_t)(len >> 8),
			 (uint8_t)(len >> 16), (uint8_t)(len >> 24) };
	mem_write(m, t, 8, NULL);
	membuf_release(&body);
}

static void t_gzip_header_fields(void **state)
{
	(void)state;
	const uint8_t data[] = "hello, layer\n";
	size_t len = sizeof(data) - 1;
	struct membuf m = { 0 };

	build_member(&m, data, len, 0, 8, false);
	put_file("fields.gz", m.p, m.len);
	tool_decodes("gzip -dc", "fields.gz", data, len);   /* the fixture is right */
	for (size_t chunk = 0; chunk <= 3; chunk++)
		assert_decodes_to(COMP_GZIP, m.p, m.len, chunk, 1, data, len);
	membuf_release(&m);

	build_member(&m, data, len, 0, 8, true);
	assert_decode_fails(COMP_GZIP, m.p, m.len, 1, "gzip: member 1: header crc mismatch");
	membuf_release(&m);
	build_member(&m, data, len, 0x20, 8, false);
	assert_decode_fails(COMP_GZIP, m.p, m.len, 0, "reserved header flags");
	membuf_release(&m);
	build_member(&m, data, len, 0, 7, false);
	assert_decode_fails(COMP_GZIP, m.p, m.len, 0, "unsupported compression method 7");
	membuf_release(&m);
	assert_decode_fails(COMP_GZIP, (const uint8_t *)"PK\3\4", 4, 0, "not a gzip stream");
}

/* ---- broken streams ---------------------------------------------------------- */

static void two_members(struct membuf *m, const uint8_t *a, size_t alen, const uint8_t *b,
			size_t blen)
{
	compress_buf(COMP_GZIP, 0, 1, a, alen, 0, m);
	compress_buf(COMP_GZIP, 0, 1, b, blen, 0, m);
}

static void t_gzip_corrupt(void **state)
{
	(void)state;
	size_t len = 2 * MiB + 3;
	uint8_t *data = make_data(len, true, 9);
	struct membuf m = { 0 };

	two_members(&m, data, len, data, 1000);
	size_t second = m.len;
	{
		struct membuf one = { 0 };
		compress_buf(COMP_GZIP, 0, 1, data, 1000, 0, &one);
		second -= one.len;
		membuf_release(&one);
	}
	m.p[second - 8] ^= 0x01;   /* crc of member 1 */
	assert_decode_fails(COMP_GZIP, m.p, m.len, 0, "gzip: crc mismatch in member 1");
	m.p[second - 8] ^= 0x01;
	m.p[m.len - 8] ^= 0x80;    /* crc of member 2 */
	assert_decode_fails(COMP_GZIP, m.p, m.len, 0, "gzip: crc mismatch in member 2");
	assert_decode_fails(COMP_GZIP, m.p, m.len, 5, "gzip: crc mismatch in member 2");
	m.p[m.len - 8] ^= 0x80;
	m.p[m.len - 3] ^= 0x01;    /* isize of member 2 */
	assert_decode_fails(COMP_GZIP, m.p, m.len, 0, "gzip: size mismatch in member 2");
	m.p[m.len - 3] ^= 0x01;
	assert_decodes_to(COMP_GZIP, m.p, second, 0, MiB, data, len);

	/* A flipped bit in the body: an error, or (a back-reference moved to
	 * equal bytes elsewhere, as repetitive data allows) the same output. */
	unsigned errors = 0;
	for (size_t off = 20; off < second - 8; off += second / 29) {
		struct membuf out = { 0 };
		struct qerr err = QERR_INIT;
		m.p[off] ^= 0x10;
		if (decompress_buf(COMP_GZIP, m.p, m.len, 0, MiB, &out, &err) < 0) {
			assert_true(str_starts_with(err.msg, "gzip: "));
			errors++;
		} else {
			assert_int_equal(out.len, len + 1000);
			assert_memory_equal(out.p, data, len);
		}
		m.p[off] ^= 0x10;
		membuf_release(&out);
	}
	assert_true(errors > 20);
	membuf_release(&m);
	free(data);
}

static void t_gzip_truncated(void **state)
{
	(void)state;
	uint8_t *data = make_data(3000, true, 11);
	struct membuf m = { 0 };

	two_members(&m, data, 3000, data + 100, 200);
	size_t first = m.len;
	{
		struct membuf one = { 0 };
		compress_buf(COMP_GZIP, 0, 1, data + 100, 200, 0, &one);
		first -= one.len;
		membuf_release(&one);
	}
	for (size_t cut = 0; cut < m.len; cut++)
		if (cut != first)   /* there, a whole stream of one member */
			assert_decode_fails(COMP_GZIP, m.p, cut, cut % 5,
					    "gzip: unexpected end of stream");
	assert_decodes_to(COMP_GZIP, m.p, first, 0, 100, data, 3000);
	membuf_release(&m);

	size_t len = 5 * MiB;
	uint8_t *big = make_data(len, false, 12);
	compress_buf(COMP_GZIP, 0, 2, big, len, 0, &m);
	for (size_t cut = 1; cut < m.len; cut += m.len / 5 + 1)
		assert_decode_fails(COMP_GZIP, m.p, cut, 0, "gzip: unexpected end of stream");
	assert_decode_fails(COMP_GZIP, m.p, m.len - 1, 0, "gzip: unexpected end of stream");
	membuf_release(&m);
	free(big);
	free(data);
}

static void t_gzip_trailing(void **state)
{
	(void)state;
	static const char *tails[] = { "x", "\0", "\0\0\0\0\0\0\0\0", "\x1f\x8c", "\x8b" };
	static const size_t tail_len[] = { 1, 1, 8, 2, 1 };
	const uint8_t data[] = "payload";
	struct membuf m = { 0 };

	compress_buf(COMP_GZIP, 0, 1, data, 7, 0, &m);
	size_t len = m.len;
	for (size_t i = 0; i < ARRAY_SIZE(tails); i++) {
		m.len = len;
		mem_write(&m, tails[i], tail_len[i], NULL);
		assert_decode_fails(COMP_GZIP, m.p, m.len, 0, "gzip: trailing garbage after gzip stream");
		assert_decode_fails(COMP_GZIP, m.p, m.len, 1, "gzip: trailing garbage after gzip stream");
	}
	/* The start of a member that never comes is a truncation. */
	m.len = len;
	mem_write(&m, "\x1f", 1, NULL);
	assert_decode_fails(COMP_GZIP, m.p, m.len, 0, "gzip: unexpected end of stream");
	membuf_release(&m);
	assert_decode_fails(COMP_GZIP, (const uint8_t *)"", 0, 0, "gzip: unexpected end of stream");
}

static void t_zstd_broken(void **state)
{
	(void)state;
	uint8_t *data = make_data(2000, true, 13);
	struct membuf m = { 0 };

	compress_buf(COMP_ZSTD, 0, 1, data, 2000, 0, &m);
	for (size_t cut = 0; cut < m.len; cut++)
		assert_decode_fails(COMP_ZSTD, m.p, cut, cut % 3, "zstd: unexpected end of stream");
	m.p[m.len - 1] ^= 1;       /* the frame's xxhash */
	assert_decode_fails(COMP_ZSTD, m.p, m.len, 0, "zstd: checksum mismatch in frame 1");
	m.p[m.len - 1] ^= 1;
	mem_write(&m, "garbage!", 8, NULL);
	assert_decode_fails(COMP_ZSTD, m.p, m.len, 0, "zstd: trailing garbage after zstd stream");
	membuf_release(&m);

	/* A skippable frame, then a real one: fine. */
	static const uint8_t skippable[] = { 0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'a', 'b', 'c' };
	mem_write(&m, skippable, sizeof(skippable), NULL);
	compress_buf(COMP_ZSTD, 0, 1, data, 2000, 0, &m);
	assert_decodes_to(COMP_ZSTD, m.p, m.len, 0, MiB, data, 2000);
	assert_decodes_to(COMP_ZSTD, m.p, m.len, 1, 7, data, 2000);
	membuf_release(&m);
	assert_decode_fails(COMP_ZSTD, (const uint8_t *)"", 0, 0, "zstd: unexpected end of stream");
	assert_decode_fails(COMP_ZSTD, (const uint8_t *)"\x1f\x8b\x08\0\0\0\0\0\0\3", 10, 0,
			    "zstd: not a zstd frame");
	free(data);
}

/* ---- sink errors ------------------------------------------------------------- */

static void sink_fails(enum compression c, int threads, size_t fail_after)
{
	size_t len = 6 * MiB;
	uint8_t *data = make_data(len, false, 14);
	struct membuf out = { .fail_after = fail_after };
	struct byte_sink sink = { mem_write, &out };
	struct compressor *k = compressor_new(c, 0, threads, &sink);
	const struct byte_sink *s = compressor_sink(k);
	struct qerr err = QERR_INIT;
	int rc = 0;

	for (size_t off = 0; off < len && rc == 0; off += 256 * 1024)
		rc = s->write(s->ctx, data + off, 256 * 1024, &err);
	if (rc == 0)
		rc = compressor_finish(k, &err);
	assert_int_equal(rc, -1);
	assert_err_contains(&err, "write 'test sink'");
	assert_int_equal(err.errnum, ENOSPC);
	/* Sticky: later calls repeat the first error. */
	struct qerr again = QERR_INIT;
	assert_int_equal(s->write(s->ctx, "x", 1, &again), -1);
	assert_string_equal(again.msg, err.msg);
	assert_int_equal(compressor_finish(k, &again), -1);
	assert_string_equal(again.msg, err.msg);
	compressor_free(k);
	membuf_release(&out);
	free(data);
}

static void t_sink_errors(void **state)
{
	(void)state;
	static const enum compression cs[] = { COMP_NONE, COMP_GZIP, COMP_ZSTD };
	for (size_t i = 0; i < ARRAY_SIZE(cs); i++) {
		sink_fails(cs[i], 1, 1);
		sink_fails(cs[i], 4, 1);
		sink_fails(cs[i], 1, 3 * MiB);
		sink_fails(cs[i], 4, 3 * MiB);
		if (cs[i] != COMP_NONE)
			sink_fails(cs[i], 2, 6 * MiB + 1);   /* the end does not fit */
	}
}

/* Freeing a compressor that was never finished (an error path) is clean. */
static void t_free_unfinished(void **state)
{
	(void)state;
	size_t len = 5 * MiB;
	uint8_t *data = make_data(len, true, 15);
	static const enum compression cs[] = { COMP_NONE, COMP_GZIP, COMP_ZSTD };

	for (size_t i = 0; i < ARRAY_SIZE(cs); i++) {
		struct membuf out = { 0 };
		struct byte_sink sink = { mem_write, &out };
		struct compressor *k = compressor_new(cs[i], 0, 4, &sink);
		const struct byte_sink *s = compressor_sink(k);
		struct qerr err = QERR_INIT;
		assert_ok(s->write(s->ctx, data, len, &err), &err);
		compressor_free(k);
		membuf_release(&out);
	}
	compressor_free(NULL);
	decompressor_free(NULL);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_roundtrip_none),
		cmocka_unit_test(t_roundtrip_gzip),
		cmocka_unit_test(t_roundtrip_zstd),
		cmocka_unit_test(t_none_skip),
		cmocka_unit_test(t_levels),
		cmocka_unit_test(t_gzip_deterministic),
		cmocka_unit_test(t_zstd_deterministic),
		cmocka_unit_test(t_gzip_header_fixed),
		cmocka_unit_test(t_ours_to_tools),
		cmocka_unit_test(t_tools_to_ours_gzip),
		cmocka_unit_test(t_tools_to_ours_zstd),
		cmocka_unit_test(t_gzip_header_fields),
		cmocka_unit_test(t_gzip_corrupt),
		cmocka_unit_test(t_gzip_truncated),
		cmocka_unit_test(t_gzip_trailing),
		cmocka_unit_test(t_zstd_broken),
		cmocka_unit_test(t_sink_errors),
		cmocka_unit_test(t_free_unfinished),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
