/* Tests of the streaming ELF scanner and the Go build info parser.
 *
 * Real binaries of the system (ls, libc, libLLVM when installed, Debian's Go
 * binaries) are fed in several chunkings and compared with readelf and
 * sha256sum; hand-built ELF files cover both classes and byte orders, the
 * layouts a stream makes hard (headers far out, a string table before or
 * after .dynamic beyond the kept prefix, Go build info deep in a file or cut
 * by a chunk boundary), and hostile files, which must never crash (run under
 * ASan). Missing binaries or tools skip their test and say why. */
#include "catalog/catalog_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <cmocka.h>

/* ---- helpers ----------------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *len)
{
	struct qerr err = QERR_INIT;
	char *data;
	if (read_file_at(AT_FDCWD, path, 1u << 30, &data, len, &err) < 0)
		fail_msg("read %s: %s", path, err.msg);
	return (unsigned char *)data;
}

/* Scan data in chunks of `chunk` bytes (0: all at once). */
static struct elf_info *scan(const void *data, size_t len, size_t chunk, const char **why)
{
	const unsigned char *p = data;
	struct elf_scan *s = elf_scan_new();
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t i = 0; i < len; i += chunk)
		elf_scan_feed(s, p + i, len - i < chunk ? len - i : chunk);
	const char *w;
	struct elf_info *e = elf_scan_finish(s, &w);
	elf_scan_free(s);
	if (why)
		*why = w;
	return e;
}

/* Chunk sizes picked by a tiny PRNG: every boundary lands somewhere new. */
static struct elf_info *scan_random(const void *data, size_t len, uint32_t seed, size_t max)
{
	const unsigned char *p = data;
	struct elf_scan *s = elf_scan_new();
	for (size_t i = 0; i < len;) {
		seed = seed * 1103515245u + 12345u;
		size_t n = 1 + (seed >> 8) % max;
		if (n > len - i)
			n = len - i;
		elf_scan_feed(s, p + i, n);
		i += n;
	}
	const char *w;
	struct elf_info *e = elf_scan_finish(s, &w);
	elf_scan_free(s);
	return e;
}

static char *run_cmd(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	if (!f)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	if (pclose(f) != 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

static bool have_readelf(void)
{
	char *out = run_cmd("readelf --version 2>/dev/null");
	free(out);
	return out != NULL;
}

/* What readelf says of a file. */
struct truth {
	char *build_id, *soname, *interp;
	struct strvec needed;
};

/* The text between '[' and ']' on the line after `key`. */
static char *bracket(const char *line, const char *key)
{
	const char *k = strstr(line, key);
	if (!k)
		return NULL;
	const char *a = strchr(k, '['), *b = a ? strchr(a, ']') : NULL;
	return a && b ? xstrndup(a + 1, (size_t)(b - a - 1)) : NULL;
}

static void readelf_truth(const char *path, struct truth *t)
{
	memset(t, 0, sizeof(*t));
	char *cmd = xasprintf("LC_ALL=C readelf -W -n -d -l '%s' 2>/dev/null", path);
	char *out = run_cmd(cmd);
	free(cmd);
	if (!out)
		fail_msg("readelf failed on %s", path);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char *v;
		if ((v = strstr(line, "Build ID: ")) && !t->build_id)
			t->build_id = xstrdup(v + 10);
		else if (strstr(line, "(NEEDED)") && (v = bracket(line, "Shared library:")))
			strvec_take(&t->needed, v);
		else if (strstr(line, "(SONAME)") && (v = bracket(line, "Library soname:")))
			t->soname = v;
		else if ((v = strstr(line, "[Requesting program interpreter: "))) {
			v += strlen("[Requesting program interpreter: ");
			t->interp = xstrndup(v, strcspn(v, "]"));
		}
	}
	free(out);
}

static void truth_release(struct truth *t)
{
	free(t->build_id);
	free(t->soname);
	free(t->interp);
	strvec_clear(&t->needed);
}

static void assert_str_eq_null(const char *a, const char *b)
{
	if (!a || !b) {
		if (a != b)
			fail_msg("'%s' != '%s'", a ? a : "(null)", b ? b : "(null)");
		return;
	}
	assert_string_equal(a, b);
}

static void assert_matches(const struct elf_info *e, const struct truth *t)
{
	assert_str_eq_null(e->build_id, t->build_id);
	assert_str_eq_null(e->soname, t->soname);
	assert_str_eq_null(e->interp, t->interp);
	assert_int_equal(e->needed.n, t->needed.n);
	for (size_t i = 0; i < t->needed.n; i++)
		assert_string_equal(e->needed.v[i], t->needed.v[i]);
}

static char *sha256sum(const char *path)
{
	char *cmd = xasprintf("sha256sum '%s' 2>/dev/null", path);
	char *out = run_cmd(cmd);
	free(cmd);
	if (!out)
		return NULL;
	char *d = xasprintf("sha256:%.64s", out);
	free(out);
	return d;
}

/* Feed a real file in chunkings and compare with readelf and sha256sum. */
static void check_real(const char *path, const size_t *chunks, size_t n_chunks,
		       uint16_t type)
{
	size_t len;
	unsigned char *data = slurp(path, &len);
	struct truth t;
	readelf_truth(path, &t);
	char *sum = sha256sum(path);
	assert_non_null(sum);
	for (size_t i = 0; i < n_chunks; i++) {
		const char *why;
		struct elf_info *e = scan(data, len, chunks[i], &why);
		if (!e)
			fail_msg("%s (chunk %zu): %s", path, chunks[i], why);
		assert_string_equal(e->sha256, sum);
		assert_int_equal(e->elf_class, 2);
		assert_int_equal(e->machine, 62);   /* EM_X86_64 */
		assert_int_equal(e->elf_type, type);
		assert_matches(e, &t);
		assert_null(e->go_version);
		elf_info_free(e);
	}
	struct elf_info *e = scan_random(data, len, 7, 70000);
	assert_non_null(e);
	assert_string_equal(e->sha256, sum);
	assert_matches(e, &t);
	elf_info_free(e);
	free(sum);
	truth_release(&t);
	free(data);
}

/* ---- real binaries --------------------------------------------------------- */

static void test_ls(void **state)
{
	(void)state;
	if (!have_readelf())
		skip();   /* binutils missing: scripts/install-deps installs it */
	const char *path = access("/usr/bin/ls", R_OK) == 0 ? "/usr/bin/ls" : "/bin/ls";
	static const size_t chunks[] = { 1, 4093, 65536, 0 };
	check_real(path, chunks, ARRAY_SIZE(chunks), 3 /* ET_DYN: PIE */);
}

static void test_libc(void **state)
{
	(void)state;
	char real[PATH_MAX];
	if (!have_readelf() || !realpath("/lib/x86_64-linux-gnu/libc.so.6", real)) {
		print_message("no readelf or no x86-64 libc.so.6: skipped\n");
		skip();
	}
	static const size_t chunks[] = { 1, 4093, 1u << 20, 0 };
	check_real(real, chunks, ARRAY_SIZE(chunks), 3);
	size_t len;
	unsigned char *data = slurp(real, &len);
	struct elf_info *e = scan(data, len, 0, NULL);
	assert_string_equal(e->soname, "libc.so.6");
	elf_info_free(e);
	free(data);
}

/* A library over the kept prefix: .dynamic ~100 MB in. */
static void test_big_library(void **state)
{
	(void)state;
	const char *path = "/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1";
	if (!have_readelf() || access(path, R_OK) < 0) {
		print_message("no %s: skipped\n", path);
		skip();
	}
	static const size_t chunks[] = { 4093, 1u << 20 };
	check_real(path, chunks, ARRAY_SIZE(chunks), 3);
}

static const char *go_binary(void)
{
	static const char *const cands[] = { "/usr/bin/skopeo", "/usr/bin/umoci",
					     "/usr/bin/docker-registry" };
	for (size_t i = 0; i < ARRAY_SIZE(cands); i++)
		if (access(cands[i], R_OK) == 0)
			return cands[i];
	return NULL;
}

/* The version string right after the build info's 32-byte header, found
 * by grep independently of our decoder. */
static char *go_version_truth(const char *path)
{
	char *cmd = xasprintf("LC_ALL=C grep -a -o -m1 -P '\\xff Go buildinf:[\\x04\\x08]"
			      "\\x02[\\x00]{16}.go[0-9][0-9.a-z]*' '%s' | "
			      "tr -c '[:print:]' '\\n' | grep -m1 '^go[0-9]'", path);
	char *out = run_cmd(cmd);
	free(cmd);
	if (!out)
		return NULL;
	char *v = xstrndup(out, strcspn(out, "\n"));
	free(out);
	return v;
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);
	for (const char *l = text; l && *l;) {
		if (!strncmp(l, prefix, plen))
			n++;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return n;
}

static struct catalog *one_file_catalog(const char *path, struct elf_info *e)
{
	struct catalog *c = xcalloc(1, sizeof(*c));
	c->files = xcalloc(1, sizeof(*c->files));
	c->n_files = 1;
	c->files[0].path = xstrdup(path);
	c->files[0].layer = 2;
	c->files[0].owner = -1;
	c->files[0].elf = e;
	c->n_layers = 3;
	return c;
}

static const struct cat_pkg *find_pkg(const struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (!strcmp(c->pkgs[i].name, name))
			return &c->pkgs[i];
	return NULL;
}

static void test_go_binary(void **state)
{
	(void)state;
	const char *path = go_binary();
	if (!path) {
		print_message("no Go binary (skopeo, umoci, docker-registry) installed: skipped\n");
		skip();
	}
	size_t len;
	unsigned char *data = slurp(path, &len);
	char *want = go_version_truth(path);
	assert_non_null(want);
	static const size_t chunks[] = { 13, 4093, 1u << 20, 0 };
	char *modinfo = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		struct elf_info *e = scan(data, len, chunks[i], NULL);
		assert_non_null(e);
		assert_non_null(e->go_version);
		assert_string_equal(e->go_version, want);
		assert_non_null(e->go_modinfo);
		assert_true(str_starts_with(e->go_modinfo, "path\t"));
		if (!strcmp(path, "/usr/bin/skopeo"))
			assert_true(str_starts_with(e->go_modinfo,
						    "path\tgithub.com/containers/skopeo"));
		assert_true(strstr(e->go_modinfo, "\nbuild\t") != NULL);
		if (modinfo)
			assert_string_equal(e->go_modinfo, modinfo);
		else
			modinfo = xstrdup(e->go_modinfo);
		elf_info_free(e);
	}
	/* The module info is in the file as we give it. */
	assert_non_null(memmem(data, len, modinfo, strlen(modinfo)));

	/* Cut right inside the magic. */
	const unsigned char *m = memmem(data, len, "\xff Go buildinf:", 14);
	assert_non_null(m);
	size_t at = (size_t)(m - data);
	assert_int_equal(at % 16, 0);
	for (size_t cut = at; cut <= at + 40; cut += 3) {
		struct elf_scan *s = elf_scan_new();
		elf_scan_feed(s, data, cut);
		elf_scan_feed(s, data + cut, len - cut);
		const char *why;
		struct elf_info *e = elf_scan_finish(s, &why);
		elf_scan_free(s);
		assert_non_null(e);
		assert_string_equal(e->go_version, want);
		assert_string_equal(e->go_modinfo, modinfo);
		elf_info_free(e);
	}

	/* go_collect: Debian builds these outside module mode (no "mod" and
	 * no "dep" lines): stdlib, plus what the lines say. */
	struct elf_info *e = scan(data, len, 0, NULL);
	size_t deps = count_lines(e->go_modinfo, "dep\t");
	bool has_mod = count_lines(e->go_modinfo, "mod\t") == 1;
	struct catalog *c = one_file_catalog("usr/bin/x", e);
	go_collect(c);
	assert_int_equal(c->n_pkgs, deps + has_mod + 1);
	const struct cat_pkg *std = find_pkg(c, "stdlib");
	assert_non_null(std);
	char *v = xasprintf("v%s", want + 2);
	assert_string_equal(std->version, v);
	free(v);
	assert_int_equal(std->type, PKG_GO);
	assert_string_equal(std->location, "usr/bin/x");
	assert_int_equal(std->layer, 2);
	/* The main module owns the binary; without one, stdlib does. */
	assert_int_equal(std->files.n, has_mod ? 0 : 1);
	if (!has_mod)
		assert_string_equal(std->files.v[0], "usr/bin/x");
	assert_int_equal(c->warnings.n, 0);
	catalog_free(c);

	/* Stripped of everything objcopy can strip: the build info stays. */
	char tmp[] = "/tmp/test_elf_go.XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	char *cmd = xasprintf("objcopy --strip-all '%s' '%s' 2>/dev/null", path, tmp);
	char *out = run_cmd(cmd);
	free(cmd);
	if (out) {
		free(out);
		size_t slen;
		unsigned char *sdata = slurp(tmp, &slen);
		e = scan(sdata, slen, 4093, NULL);
		assert_non_null(e);
		assert_string_equal(e->go_version, want);
		assert_string_equal(e->go_modinfo, modinfo);
		elf_info_free(e);
		free(sdata);
	}
	unlink(tmp);
	free(modinfo);
	free(want);
	free(data);
}

/* ---- hand-built ELF files ------------------------------------------------------ */

struct synth {
	int cls;               /* 1 or 2 */
	bool be;
	size_t size;
	uint64_t phoff;
	uint64_t interp_off, note_off, dyn_off, str_off;   /* 0: none */
	uint64_t vbase;        /* PT_LOAD: vaddr = vbase + offset */
	const char *const *needed;
	size_t n_needed;
	const char *soname;
	uint64_t go_off;       /* 0: none */
	const char *go_version, *go_mod;
};

struct w {
	unsigned char *p;
	bool be;
	int cls;
};

static void put(struct w *w, uint64_t off, uint64_t v, int n)
{
	for (int i = 0; i < n; i++) {
		int sh = w->be ? 8 * (n - 1 - i) : 8 * i;
		w->p[off + (uint64_t)i] = (unsigned char)(v >> sh);
	}
}

static void put_word(struct w *w, uint64_t off, uint64_t v)
{
	put(w, off, v, w->cls == 2 ? 8 : 4);
}

#define GO_MAGIC_STR "\xff Go buildinf:"
static const char SYN_INTERP[] = "/lib/ld-synth.so.1";
static const unsigned char SYN_ID[20] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6,
					  7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
#define SYN_ID_HEX "deadbeef0102030405060708090a0b0c0d0e0f10"

static size_t put_uvarint(unsigned char *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/* Go's module framing sentinels (cmd/go/internal/modload infoStart/End). */
static const char GO_START[16] = "0w\xaf\x0c\x92t\x08\x02" "A\xe1\xc1\x07\xe6\xd6\x18\xe6";
static const char GO_END[16] = "\xf9" "2C1\x86\x18 r\x00\x82" "B\x10" "A\x16\xd8\xf2";

static size_t put_go(unsigned char *p, const char *version, const char *mod)
{
	memcpy(p, "\xff Go buildinf:", 14);
	p[14] = 8;
	p[15] = 2;
	memset(p + 16, 0, 16);
	size_t at = 32;
	at += put_uvarint(p + at, strlen(version));
	memcpy(p + at, version, strlen(version));
	at += strlen(version);
	if (!mod) {
		p[at++] = 0;
		return at;
	}
	at += put_uvarint(p + at, strlen(mod) + 32);
	memcpy(p + at, GO_START, 16);
	memcpy(p + at + 16, mod, strlen(mod));
	memcpy(p + at + 16 + strlen(mod), GO_END, 16);
	return at + strlen(mod) + 32;
}

static unsigned char *synth_build(const struct synth *sp)
{
	unsigned char *p = xcalloc(1, sp->size);
	struct w w = { p, sp->be, sp->cls };
	bool c64 = sp->cls == 2;
	size_t phent = c64 ? 56 : 32;
	memcpy(p, "\177ELF", 4);
	p[4] = (unsigned char)sp->cls;
	p[5] = sp->be ? 2 : 1;
	p[6] = 1;
	put(&w, 16, 3, 2);                    /* ET_DYN */
	put(&w, 18, c64 ? 183 : 40, 2);       /* EM_AARCH64 / EM_ARM */
	put(&w, 20, 1, 4);
	size_t nph = 1 + !!sp->interp_off + !!sp->note_off + !!sp->dyn_off;
	if (c64) {
		put(&w, 32, sp->phoff, 8);
		put(&w, 52, 64, 2);
		put(&w, 54, phent, 2);
		put(&w, 56, nph, 2);
	} else {
		put(&w, 28, sp->phoff, 4);
		put(&w, 40, 52, 2);
		put(&w, 42, phent, 2);
		put(&w, 44, nph, 2);
	}
	uint64_t ph = sp->phoff;
	/* One program header: type, offset, vaddr, filesz, align. */
#define PH(type, off, vaddr, sz, align)                                             \
	do {                                                                        \
		put(&w, ph, type, 4);                                               \
		if (c64) {                                                          \
			put(&w, ph + 8, off, 8);                                    \
			put(&w, ph + 16, vaddr, 8);                                 \
			put(&w, ph + 32, sz, 8);                                    \
			put(&w, ph + 40, sz, 8);                                    \
			put(&w, ph + 48, align, 8);                                 \
		} else {                                                            \
			put(&w, ph + 4, off, 4);                                    \
			put(&w, ph + 8, vaddr, 4);                                  \
			put(&w, ph + 16, sz, 4);                                    \
			put(&w, ph + 20, sz, 4);                                    \
			put(&w, ph + 28, align, 4);                                 \
		}                                                                   \
		ph += phent;                                                        \
	} while (0)
	PH(1, 0, sp->vbase, sp->size, 0x1000);
	if (sp->interp_off) {
		memcpy(p + sp->interp_off, SYN_INTERP, sizeof(SYN_INTERP));
		PH(3, sp->interp_off, sp->vbase + sp->interp_off, sizeof(SYN_INTERP), 1);
	}
	if (sp->note_off) {
		/* A GNU property-like note first, then the build ID. */
		uint64_t n = sp->note_off;
		put(&w, n, 4, 4);
		put(&w, n + 4, 8, 4);
		put(&w, n + 8, 5, 4);
		memcpy(p + n + 12, "GNU", 4);
		n += 12 + 4 + 8;
		put(&w, n, 4, 4);
		put(&w, n + 4, 20, 4);
		put(&w, n + 8, 3, 4);
		memcpy(p + n + 12, "GNU", 4);
		memcpy(p + n + 16, SYN_ID, 20);
		n += 36;
		PH(4, sp->note_off, sp->vbase + sp->note_off, n - sp->note_off, 4);
	}
	if (sp->dyn_off) {
		/* The string table: "\0" then the names. */
		uint64_t at = sp->str_off + 1, d = sp->dyn_off;
		size_t ent = c64 ? 16 : 8;
		for (size_t i = 0; i < sp->n_needed; i++) {
			put_word(&w, d, 1);
			put_word(&w, d + ent / 2, at - sp->str_off);
			d += ent;
			memcpy(p + at, sp->needed[i], strlen(sp->needed[i]) + 1);
			at += strlen(sp->needed[i]) + 1;
		}
		if (sp->soname) {
			put_word(&w, d, 14);
			put_word(&w, d + ent / 2, at - sp->str_off);
			d += ent;
			memcpy(p + at, sp->soname, strlen(sp->soname) + 1);
			at += strlen(sp->soname) + 1;
		}
		put_word(&w, d, 5);
		put_word(&w, d + ent / 2, sp->vbase + sp->str_off);
		d += ent;
		put_word(&w, d, 10);
		put_word(&w, d + ent / 2, at - sp->str_off);
		d += ent;
		d += ent;   /* DT_NULL */
		PH(2, sp->dyn_off, sp->vbase + sp->dyn_off, d - sp->dyn_off, 8);
	}
#undef PH
	if (sp->go_off)
		put_go(p + sp->go_off, sp->go_version, sp->go_mod);
	return p;
}

static const char *const NEEDED3[] = { "libfoo.so.1", "libbar.so.2", "libc.so.6" };

static struct synth synth_default(int cls, bool be)
{
	return (struct synth){
		.cls = cls, .be = be, .size = 64 << 10,
		.phoff = cls == 2 ? 64 : 52,
		.interp_off = 0x400, .note_off = 0x500, .str_off = 0x800, .dyn_off = 0x2000,
		.vbase = 0x10000, .needed = NEEDED3, .n_needed = 3, .soname = "libsynth.so.7",
	};
}

static void check_synth(const struct synth *sp, const struct elf_info *e, bool strings)
{
	assert_non_null(e);
	assert_int_equal(e->elf_class, sp->cls);
	assert_int_equal(e->machine, sp->cls == 2 ? 183 : 40);
	assert_int_equal(e->elf_type, 3);
	if (sp->interp_off)
		assert_string_equal(e->interp, SYN_INTERP);
	if (sp->note_off)
		assert_string_equal(e->build_id, SYN_ID_HEX);
	if (strings) {
		assert_int_equal(e->needed.n, sp->n_needed);
		for (size_t i = 0; i < sp->n_needed; i++)
			assert_string_equal(e->needed.v[i], sp->needed[i]);
		assert_str_eq_null(e->soname, sp->soname);
	} else {
		assert_int_equal(e->needed.n, 0);
		assert_null(e->soname);
	}
}

static void test_synth_classes(void **state)
{
	(void)state;
	static const size_t chunks[] = { 1, 7, 4093, 0 };
	for (int cls = 1; cls <= 2; cls++)
		for (int be = 0; be <= 1; be++) {
			struct synth sp = synth_default(cls, be);
			unsigned char *p = synth_build(&sp);
			char sum[DIGEST_STR_MAX];
			sha256_buf(p, sp.size, sum);
			for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
				struct elf_info *e = scan(p, sp.size, chunks[i], NULL);
				check_synth(&sp, e, true);
				assert_string_equal(e->sha256, sum);
				assert_null(e->go_version);
				elf_info_free(e);
			}
			free(p);
		}
}

/* Headers and sections beyond the 4 MiB prefix. */
static void test_synth_far(void **state)
{
	(void)state;
	static const size_t chunks[] = { 4093, 1u << 20, 0 };
	const size_t MB = 1u << 20;
	/* Program headers, notes, interp, .dynamic and then .dynstr, all far
	 * out: captured as planned ranges. */
	struct synth sp = synth_default(2, false);
	sp.size = 12 * MB;
	sp.phoff = 5 * MB;
	sp.interp_off = 6 * MB;
	sp.note_off = 7 * MB;
	sp.dyn_off = 8 * MB;
	sp.str_off = 10 * MB + 3;
	unsigned char *p = synth_build(&sp);
	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		struct elf_info *e = scan(p, sp.size, chunks[i], NULL);
		check_synth(&sp, e, true);
		elf_info_free(e);
	}
	free(p);

	/* .dynstr far out, before .dynamic: gone by when we learn of it,
	 * unless it came in the same chunk. */
	sp.str_off = 7 * MB + 4096;
	sp.dyn_off = 9 * MB;
	p = synth_build(&sp);
	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		struct elf_info *e = scan(p, sp.size, chunks[i], NULL);
		check_synth(&sp, e, chunks[i] == 0);
		elf_info_free(e);
	}
	free(p);

	/* .dynstr in the prefix, .dynamic far out (libLLVM's layout). */
	sp = synth_default(1, true);
	sp.size = 9 * MB;
	sp.str_off = 3 * MB;
	sp.dyn_off = 8 * MB;
	p = synth_build(&sp);
	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		struct elf_info *e = scan(p, sp.size, chunks[i], NULL);
		check_synth(&sp, e, true);
		elf_info_free(e);
	}
	/* .dynstr straddling the prefix's end, before .dynamic: its end went
	 * by uncaptured. */
	free(p);
	sp.str_off = 4 * MB - 20;
	p = synth_build(&sp);
	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		struct elf_info *e = scan(p, sp.size, chunks[i], NULL);
		check_synth(&sp, e, chunks[i] == 0);
		elf_info_free(e);
	}
	free(p);
	/* The same after .dynamic, which ends right before it: its start
	 * comes from the prefix, its end from the stream. */
	sp.dyn_off = 4 * MB - 200;
	p = synth_build(&sp);
	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		struct elf_info *e = scan(p, sp.size, chunks[i], NULL);
		check_synth(&sp, e, true);
		elf_info_free(e);
	}
	free(p);
	/* And with chunks cut at every byte around there. */
	p = synth_build(&sp);
	for (size_t cut = 4 * MB - 240; cut < 4 * MB + 40; cut++) {
		struct elf_scan *s = elf_scan_new();
		elf_scan_feed(s, p, cut);
		elf_scan_feed(s, p + cut, sp.size - cut);
		const char *why;
		struct elf_info *e = elf_scan_finish(s, &why);
		elf_scan_free(s);
		check_synth(&sp, e, true);
		elf_info_free(e);
	}
	free(p);

	/* The first PT_LOAD read-only and small (.dynstr in it, .dynamic
	 * after it): the prefix stops at its end, .dynamic is captured apart;
	 * executable: the prefix is not trimmed. */
	for (int x = 0; x <= 1; x++) {
		sp = synth_default(2, false);
		p = synth_build(&sp);
		struct w wp = { p, false, 2 };
		put(&wp, sp.phoff + 32, 0x1000, 8);   /* PT_LOAD 0: filesz */
		put(&wp, sp.phoff + 4, x ? 5 : 4, 4);  /* p_flags: R(+X) */
		static const size_t small[] = { 1, 100, 4093, 0 };
		for (size_t i = 0; i < ARRAY_SIZE(small); i++) {
			struct elf_info *e = scan(p, sp.size, small[i], NULL);
			check_synth(&sp, e, true);
			elf_info_free(e);
		}
		free(p);
	}

	/* Program headers before the stream's position but out of the
	 * prefix can't happen (the header comes first); phoff past the end of
	 * the file: the header's facts alone. */
	sp = synth_default(2, false);
	p = synth_build(&sp);
	p[32] = 0, p[33] = 0, p[34] = 0, p[35] = 0x40;   /* e_phoff = 1 GiB */
	struct elf_info *e = scan(p, 8192, 100, NULL);
	assert_non_null(e);
	assert_int_equal(e->machine, 183);
	assert_null(e->interp);
	assert_int_equal(e->needed.n, 0);
	elf_info_free(e);
	free(p);
}

/* ---- Go build info in hand-built files ------------------------------------------ */

static const char MODINFO[] =
	"path\texample.com/app/cmd/app\n"
	"mod\texample.com/app\t(devel)\t\n"
	"dep\tgithub.com/a/one\tv1.2.3\th1:abc=\n"
	"dep\tgithub.com/b/two\tv0.0.0-20220101000000-abcdef123456\th1:def=\n"
	"=>\tgithub.com/fork/two\tv0.1.0\th1:ghi=\n"
	"dep\tgolang.org/x/sys\tv0.5.0\th1:jkl=\n"
	"build\t-compiler=gc\n"
	"build\tCGO_ENABLED=0\n";

static void test_go_synth(void **state)
{
	(void)state;
	const size_t MB = 1u << 20;
	struct synth sp = synth_default(2, false);
	sp.size = 20 * MB;
	sp.go_off = 13 * MB + 16 * 5;
	sp.go_version = "go1.21.4";
	sp.go_mod = MODINFO;
	unsigned char *p = synth_build(&sp);
	/* A false candidate before: the magic with a bad pointer size, and one
	 * with a non-printable version. */
	memcpy(p + 11 * MB, "\xff Go buildinf:\x05\x02", 16);
	put_go(p + 12 * MB, "go\x01", "x");
	static const size_t chunks[] = { 1, 13, 4093, 65536, 0 };
	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		if (chunks[i] == 1) {
			/* One byte at a time near the build info only. */
			struct elf_scan *s = elf_scan_new();
			size_t a = sp.go_off - 100;
			elf_scan_feed(s, p, a);
			for (size_t k = a; k < a + 1000; k++)
				elf_scan_feed(s, p + k, 1);
			elf_scan_feed(s, p + a + 1000, sp.size - a - 1000);
			const char *why;
			struct elf_info *e = elf_scan_finish(s, &why);
			elf_scan_free(s);
			assert_string_equal(e->go_version, "go1.21.4");
			assert_string_equal(e->go_modinfo, MODINFO);
			elf_info_free(e);
			continue;
		}
		struct elf_info *e = scan(p, sp.size, chunks[i], NULL);
		check_synth(&sp, e, true);
		assert_string_equal(e->go_version, "go1.21.4");
		assert_string_equal(e->go_modinfo, MODINFO);
		elf_info_free(e);
	}
	free(p);

	/* Among many 0xff bytes and partial magics, at every aligned offset of
	 * a window, in random chunkings: found, and only where it is. */
	struct synth sr = synth_default(2, false);
	sr.size = 64 << 10;
	unsigned char *r = synth_build(&sr);
	uint32_t seed = 1;
	for (size_t i = 0x3000; i < sr.size; i++) {
		seed = seed * 1103515245u + 12345u;
		r[i] = (seed >> 16) % 3 ? 0xff : (unsigned char)(seed >> 8);
		if (i % 16 == 0 && (seed >> 20) % 5 == 0)
			memcpy(r + i, GO_MAGIC_STR, (seed >> 24) % 14);
	}
	unsigned char *q = xmalloc(sr.size);
	for (size_t at = 0x8000; at < 0x8000 + 64 * 16; at += 16) {
		memcpy(q, r, sr.size);
		put_go(q + at, "go1.20.1", "path\tz\n");
		struct elf_info *e = scan_random(q, sr.size, (uint32_t)at, 300);
		assert_non_null(e);
		assert_string_equal(e->go_version, "go1.20.1");
		assert_string_equal(e->go_modinfo, "path\tz\n");
		elf_info_free(e);
	}
	free(q);
	free(r);

	/* Not at a 16-aligned offset: not build info. */
	sp.go_off = 13 * MB + 8;
	p = synth_build(&sp);
	struct elf_info *e = scan(p, sp.size, 4093, NULL);
	assert_null(e->go_version);
	elf_info_free(e);
	free(p);

	/* Without module framing (built outside module mode): the version
	 * only. */
	sp.go_off = 13 * MB;
	sp.go_mod = NULL;
	p = synth_build(&sp);
	e = scan(p, sp.size, 4093, NULL);
	assert_string_equal(e->go_version, "go1.21.4");
	assert_null(e->go_modinfo);
	elf_info_free(e);
	free(p);
}

static void test_go_collect(void **state)
{
	(void)state;
	struct elf_info *e = xcalloc(1, sizeof(*e));
	e->go_version = xstrdup("go1.21.4 X:boringcrypto");
	e->go_modinfo = xstrdup(MODINFO);
	struct catalog *c = one_file_catalog("opt/app/bin/app", e);
	go_collect(c);
	assert_int_equal(c->n_pkgs, 5);   /* 3 deps, main, stdlib */
	assert_int_equal(c->warnings.n, 0);
	const struct cat_pkg *p = find_pkg(c, "stdlib");
	assert_string_equal(p->version, "v1.21.4");
	p = find_pkg(c, "example.com/app");
	assert_non_null(p);
	assert_null(p->version);
	assert_int_equal(p->depends.n, 3);
	assert_string_equal(p->depends.v[0], "github.com/a/one");
	assert_string_equal(p->depends.v[1], "github.com/fork/two");
	assert_string_equal(p->depends.v[2], "golang.org/x/sys");
	assert_null(find_pkg(c, "github.com/b/two"));
	p = find_pkg(c, "github.com/fork/two");
	assert_string_equal(p->version, "v0.1.0");
	p = find_pkg(c, "github.com/a/one");
	assert_string_equal(p->version, "v1.2.3");
	assert_int_equal(p->type, PKG_GO);
	assert_string_equal(p->location, "opt/app/bin/app");
	assert_int_equal(p->layer, 2);
	assert_int_equal(p->files.n, 0);   /* a dep names the binary, the main module owns it */
	p = find_pkg(c, "example.com/app");
	assert_int_equal(p->files.n, 1);
	assert_string_equal(p->files.v[0], "opt/app/bin/app");
	assert_int_equal(find_pkg(c, "stdlib")->files.n, 0);
	catalog_free(c);

	/* A version and no module info: stdlib only; a devel toolchain: no
	 * version. */
	e = xcalloc(1, sizeof(*e));
	e->go_version = xstrdup("devel go1.23-abcdef");
	c = one_file_catalog("x", e);
	go_collect(c);
	assert_int_equal(c->n_pkgs, 1);
	assert_string_equal(c->pkgs[0].name, "stdlib");
	assert_null(c->pkgs[0].version);
	catalog_free(c);

	/* Broken lines: skipped with one warning. */
	e = xcalloc(1, sizeof(*e));
	e->go_version = xstrdup("go1.20");
	e->go_modinfo = xstrdup("=>\tno/previous\tv1\th1\n"
				"dep\n"
				"dep\t\tv1\n"
				"dep\ta\tb\tc\td\te\n"
				"mod\tm\tv1.0.0\th1:x\n"
				"mod\tsecond\tv1\n"
				"garbage\n"
				"dep\tok/one\tv1.0.0\n"
				"=>\t../local\t\t\n"
				"dep\tok/two\tv2.0.0\th1:z");
	c = one_file_catalog("x", e);
	go_collect(c);
	assert_int_equal(c->warnings.n, 1);
	assert_int_equal(c->n_pkgs, 4);   /* ../local, ok/two, m, stdlib */
	p = find_pkg(c, "../local");
	assert_non_null(p);
	assert_null(p->version);
	assert_string_equal(find_pkg(c, "stdlib")->version, "v1.20");
	assert_string_equal(find_pkg(c, "m")->version, "v1.0.0");
	catalog_free(c);

	/* Too many deps: bounded, warned. */
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "path\tp\nmod\tp\tv1.0.0\th1:x\n");
	for (int i = 0; i < 10050; i++)
		strbuf_addf(&sb, "dep\tm%d\tv1.0.%d\th1:x\n", i, i);
	e = xcalloc(1, sizeof(*e));
	e->go_version = xstrdup("go1.22.1");
	e->go_modinfo = strbuf_detach(&sb);
	c = one_file_catalog("x", e);
	go_collect(c);
	assert_int_equal(c->n_pkgs, 10000 + 2);
	assert_int_equal(c->warnings.n, 1);
	catalog_free(c);
}

/* ---- hostile files ----------------------------------------------------------------- */

/* Every prefix of a real header, fed in every way. */
static void test_truncated(void **state)
{
	(void)state;
	struct synth sp = synth_default(2, false);
	unsigned char *p = synth_build(&sp);
	for (size_t n = 0; n <= 200; n++) {
		for (size_t chunk = 1; chunk <= 3; chunk += 2) {
			const char *why = NULL;
			struct elf_info *e = scan(p, n, chunk, &why);
			if (n < 64) {
				assert_null(e);
				assert_non_null(why);
			} else {
				assert_non_null(e);
				assert_int_equal(e->machine, 183);
			}
			elf_info_free(e);
		}
	}
	/* Every prefix of the whole small file, at a coarser step. */
	for (size_t n = 64; n <= sp.size; n += 97) {
		struct elf_info *e = scan(p, n, 4093, NULL);
		assert_non_null(e);
		elf_info_free(e);
	}
	free(p);
	/* Not ELF at all: hashed, then NULL. */
	const char *why;
	struct elf_info *e = scan("#!/bin/sh\necho hi\n", 18, 0, &why);
	assert_null(e);
	assert_non_null(why);
	/* A bad class or byte order. */
	unsigned char h[64] = "\177ELF\3\1\1";
	assert_null(scan(h, sizeof(h), 0, &why));
	h[4] = 2, h[5] = 0;
	assert_null(scan(h, sizeof(h), 0, &why));
}

static void test_hostile(void **state)
{
	(void)state;
	struct synth sp = synth_default(2, false);
	unsigned char *base = synth_build(&sp);
	unsigned char *p = xmalloc(sp.size);
	struct w w = { p, false, 2 };

	/* Huge phnum; tiny phentsize; PN_XNUM. */
	static const uint64_t phnums[] = { 0xfffe, 0xffff, 5000 };
	for (size_t i = 0; i < ARRAY_SIZE(phnums); i++) {
		memcpy(p, base, sp.size);
		put(&w, 56, phnums[i], 2);
		elf_info_free(scan(p, sp.size, 4093, NULL));
	}
	memcpy(p, base, sp.size);
	put(&w, 54, 8, 2);
	struct elf_info *e = scan(p, sp.size, 4093, NULL);
	assert_non_null(e);
	assert_null(e->interp);
	elf_info_free(e);

	/* Note sizes overflowing. */
	static const uint32_t sizes[] = { 0xffffffff, 0xfffffffc, 0x7fffffff, 4097, 25 };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		memcpy(p, base, sp.size);
		put(&w, sp.note_off, sizes[i], 4);
		elf_info_free(scan(p, sp.size, 7, NULL));
		memcpy(p, base, sp.size);
		put(&w, sp.note_off + 4, sizes[i], 4);
		elf_info_free(scan(p, sp.size, 7, NULL));
		memcpy(p, base, sp.size);
		put(&w, sp.note_off + 24 + 4, sizes[i], 4);   /* the build ID's descsz */
		e = scan(p, sp.size, 7, NULL);
		assert_null(e->build_id);
		elf_info_free(e);
	}

	/* Program header fields pointing anywhere: every field of every
	 * header set to hostile values. */
	static const uint64_t vals[] = { 0, 1, 0x7fffffff, 0xffffffff, 0xfffffffffffffff0ull,
					 UINT64_MAX, 64 << 10, (64 << 10) - 1, 1u << 30 };
	size_t phent = 56, nph = 5;
	for (size_t h = 0; h < nph; h++)
		for (size_t f = 8; f < phent; f += 8)
			for (size_t v = 0; v < ARRAY_SIZE(vals); v++) {
				memcpy(p, base, sp.size);
				put(&w, 64 + h * phent + f, vals[v], 8);
				e = scan(p, sp.size, 4093, NULL);
				assert_non_null(e);
				elf_info_free(e);
			}

	/* Dynamic entries: DT_STRTAB outside every load, DT_STRSZ huge or
	 * tiny, name offsets past the table. */
	uint64_t d = sp.dyn_off;
	for (size_t k = 0; k < 6; k++)
		for (size_t v = 0; v < ARRAY_SIZE(vals); v++) {
			memcpy(p, base, sp.size);
			put(&w, d + k * 16 + 8, vals[v], 8);
			e = scan(p, sp.size, 4093, NULL);
			assert_non_null(e);
			elf_info_free(e);
		}

	/* The string table at the very end, its last name without a NUL. */
	memcpy(p, base, sp.size);
	size_t end = sp.size - 5;
	put(&w, d + 4 * 16 + 8, sp.vbase + end - 1, 8);   /* DT_STRTAB */
	put(&w, d + 5 * 16 + 8, 6, 8);                    /* DT_STRSZ */
	put(&w, d + 8, 1, 8);                             /* NEEDED at 1 */
	memcpy(p + end, "abcde", 5);
	e = scan(p, sp.size, 4093, NULL);
	assert_non_null(e);
	assert_int_equal(e->needed.n, 0);
	assert_null(e->soname);
	elf_info_free(e);

	/* Thousands of DT_NEEDED in a big .dynamic. */
	size_t big = 2u << 20;
	unsigned char *q = xcalloc(1, big);
	memcpy(q, base, sp.size);
	struct w wq = { q, false, 2 };
	size_t nd = (big - 0x3000) / 16;
	put(&wq, 64 + 3 * 56 + 8, 0x3000, 8);     /* PT_DYNAMIC: offset */
	put(&wq, 64 + 3 * 56 + 32, nd * 16, 8);   /* filesz */
	for (size_t i = 0; i < nd - 3; i++) {
		put(&wq, 0x3000 + i * 16, 1, 8);
		put(&wq, 0x3000 + i * 16 + 8, 1, 8);
	}
	put(&wq, 0x3000 + (nd - 3) * 16, 5, 8);
	put(&wq, 0x3000 + (nd - 3) * 16 + 8, sp.vbase + sp.str_off, 8);
	put(&wq, 0x3000 + (nd - 2) * 16, 10, 8);
	put(&wq, 0x3000 + (nd - 2) * 16 + 8, 64, 8);
	put(&wq, 64 + 0 * 56 + 32, big, 8);       /* the load covers it */
	e = scan(q, big, 1u << 20, NULL);
	assert_non_null(e);
	assert_true(e->needed.n <= 4096);
	elf_info_free(e);
	free(q);

	/* Every byte of the first 4 KiB set to a few values. */
	static const unsigned char bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	for (size_t i = 0; i < 4096; i++)
		for (size_t b = 0; b < ARRAY_SIZE(bytes); b++) {
			if (base[i] == bytes[b])
				continue;
			memcpy(p, base, 8192);
			p[i] = bytes[b];
			elf_info_free(scan(p, 8192, 0, NULL));
		}
	free(p);
	free(base);
}

static void test_go_hostile(void **state)
{
	(void)state;
	struct synth sp = synth_default(2, false);
	sp.size = 4096;
	sp.interp_off = sp.note_off = sp.dyn_off = 0;
	unsigned char *base = synth_build(&sp);
	unsigned char *p = xmalloc(sp.size);

	/* The magic at the very end, with nothing or a little after. */
	for (size_t cut = 0; cut <= 48; cut++) {
		memcpy(p, base, sp.size);
		size_t at = sp.size - 128;
		size_t n = put_go(p + at, "go1.2", "path\tx\n");
		assert_true(cut < n);
		struct elf_info *e = scan(p, at + cut, 5, NULL);
		assert_non_null(e);
		assert_null(e->go_version);
		elf_info_free(e);
	}

	/* Varint lengths overflowing, or longer than the file. */
	static const unsigned char varints[][11] = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 },
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
		{ 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80 },
		{ 0xff, 0xff, 0x3f },
		{ 0x00 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(varints); i++)
		for (int which = 0; which < 2; which++) {
			memcpy(p, base, sp.size);
			size_t at = 1024;
			memcpy(p + at, "\xff Go buildinf:\x08\x02", 16);
			size_t v = at + 32;
			if (which) {   /* a good version, then the bad length */
				p[v++] = 8;
				memcpy(p + v, "go1.19.8", 8);
				v += 8;
			}
			memcpy(p + v, varints[i], sizeof(varints[i]));
			struct elf_info *e = scan(p, sp.size, 3, NULL);
			assert_non_null(e);
			if (which && varints[i][0] == 0) {   /* empty module info: fine */
				assert_string_equal(e->go_version, "go1.19.8");
				assert_null(e->go_modinfo);
			} else {
				assert_null(e->go_version);
			}
			elf_info_free(e);
		}

	/* The magic at every 16-aligned offset of the file: linear, and no
	 * build info. */
	for (size_t at = 64; at + 16 <= sp.size; at += 16)
		memcpy(p + at, "\xff Go buildinf:\x08\x02", 16);
	struct elf_info *e = scan(p, sp.size, 1000, NULL);
	assert_null(e->go_version);
	elf_info_free(e);
	/* The same with a good one at the end. */
	put_go(p + sp.size - 256, "go1.9.9", "path\tq\n");
	e = scan(p, sp.size, 1000, NULL);
	assert_string_equal(e->go_version, "go1.9.9");
	assert_string_equal(e->go_modinfo, "path\tq\n");
	elf_info_free(e);
	free(p);
	free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ls),
		cmocka_unit_test(test_libc),
		cmocka_unit_test(test_big_library),
		cmocka_unit_test(test_go_binary),
		cmocka_unit_test(test_synth_classes),
		cmocka_unit_test(test_synth_far),
		cmocka_unit_test(test_go_synth),
		cmocka_unit_test(test_go_collect),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_go_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
