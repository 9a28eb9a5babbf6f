/* The scan cache: what scanning a layer yielded (entries, kept metadata
 * files, ELF facts), stored as CACHE/catalog/<diff_id hex>-<variant>.scan so
 * that the next SBOM of any image sharing the layer reads a few MB instead
 * of decompressing and hashing gigabytes. Keyed by the diff_id (the
 * layer's uncompressed content) and the scanner's version, so a quench that
 * wants other files never reads an older quench's scan.
 *
 * The file is ours but lives on disk: it is parsed with every bound
 * checked, and anything odd is a miss, never an error.
 */
#include "scan_internal.h"
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bump when what a scan keeps, or this format, changes. */
#define SCAN_FORMAT "quench-scan 1\n"
#define SCAN_MAX_FILE (2ull << 30)

/* ---- writing ------------------------------------------------------------------- */

static void put_u32(struct strbuf *sb, uint32_t v)
{
	strbuf_add(sb, &v, sizeof(v));
}

static void put_u64(struct strbuf *sb, uint64_t v)
{
	strbuf_add(sb, &v, sizeof(v));
}

/* A string: length + 1 (0 = NULL), then the bytes. */
static void put_str(struct strbuf *sb, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put_u32(sb, s ? (uint32_t)n + 1 : 0);
	strbuf_add(sb, s, n);
}

static void put_bytes(struct strbuf *sb, const char *data, size_t len)
{
	put_u64(sb, len);
	strbuf_add(sb, data, len);
}

static void put_elf(struct strbuf *sb, const struct elf_info *e)
{
	put_u32(sb, e ? 1 : 0);
	if (!e)
		return;
	put_str(sb, e->sha256);
	put_str(sb, e->build_id);
	put_str(sb, e->soname);
	put_str(sb, e->interp);
	put_u32(sb, (uint32_t)e->needed.n);
	for (size_t i = 0; i < e->needed.n; i++)
		put_str(sb, e->needed.v[i]);
	put_u32(sb, (uint32_t)e->machine << 16 | (uint32_t)e->elf_class << 8);
	put_u32(sb, e->elf_type);
	put_str(sb, e->go_version);
	put_str(sb, e->go_modinfo);
}

static void serialize(struct strbuf *sb, const struct layer_scan *ls)
{
	strbuf_adds(sb, SCAN_FORMAT);
	put_u64(sb, ls->n_ents);
	for (size_t i = 0; i < ls->n_ents; i++) {
		const struct layer_entry *e = &ls->ents[i];
		put_str(sb, e->path);
		put_u32(sb, (uint32_t)e->kind << 8 | e->type);
		put_u32(sb, e->mode);
		put_u32(sb, e->uid);
		put_u32(sb, e->gid);
		put_u64(sb, e->size);
		put_str(sb, e->link);
		put_u32(sb, (uint32_t)e->blob);
		put_elf(sb, e->elf);
	}
	put_u64(sb, ls->n_blobs);
	for (size_t i = 0; i < ls->n_blobs; i++) {
		put_str(sb, ls->blobs[i].path);
		put_bytes(sb, ls->blobs[i].data, ls->blobs[i].len);
		put_u32(sb, ls->blobs[i].truncated);
	}
}

static char *entry_path(const char *dir, const char *diff_id, bool no_elf)
{
	return xasprintf("%s/catalog/%s-%s.scan", dir, digest_hex(diff_id), no_elf ? "noelf" : "elf");
}

void layer_cache_store(const char *dir, const char *diff_id, bool no_elf,
		       const struct layer_scan *ls)
{
	struct qerr err = QERR_INIT;
	cleanup_free char *base = xasprintf("%s/catalog", dir);
	cleanup_free char *path = entry_path(dir, diff_id, no_elf);
	if (mkdir_p(base, 0700, &err) < 0) {
		q_debug("scan cache: %s", err.msg);
		return;
	}
	struct strbuf sb = STRBUF_INIT;
	serialize(&sb, ls);
	struct atomic_file af;
	if (atomic_file_open(&af, path, 0600, &err) < 0 || write_all(af.fd, sb.buf, sb.len, &err) < 0 ||
	    atomic_file_commit(&af, &err) < 0) {
		if (af.tmp)
			atomic_file_abort(&af);
		q_debug("scan cache: %s", err.msg);
	}
	strbuf_release(&sb);
}

/* ---- reading ------------------------------------------------------------------- */

struct reader {
	const char *p, *end;
	bool bad;
};

static bool take(struct reader *r, void *out, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		memset(out, 0, n);
		return false;
	}
	memcpy(out, r->p, n);
	r->p += n;
	return true;
}

static uint32_t get_u32(struct reader *r)
{
	uint32_t v;
	take(r, &v, sizeof(v));
	return v;
}

static uint64_t get_u64(struct reader *r)
{
	uint64_t v;
	take(r, &v, sizeof(v));
	return v;
}

static char *get_str(struct reader *r)
{
	uint32_t n = get_u32(r);
	if (!n || r->bad)
		return NULL;
	if ((size_t)(r->end - r->p) < n - 1 || memchr(r->p, '\0', n - 1)) {
		r->bad = true;
		return NULL;
	}
	char *s = xstrndup(r->p, n - 1);
	r->p += n - 1;
	return s;
}

static struct elf_info *get_elf(struct reader *r)
{
	if (!get_u32(r))
		return NULL;
	struct elf_info *e = xcalloc(1, sizeof(*e));
	cleanup_free char *sha = get_str(r);
	snprintf(e->sha256, sizeof(e->sha256), "%s", sha ? sha : "");
	e->build_id = get_str(r);
	e->soname = get_str(r);
	e->interp = get_str(r);
	uint32_t n = get_u32(r);
	for (uint32_t i = 0; i < n && !r->bad; i++)
		strvec_take(&e->needed, get_str(r) ?: xstrdup(""));
	uint32_t mc = get_u32(r);
	e->machine = (uint16_t)(mc >> 16);
	e->elf_class = (uint8_t)(mc >> 8);
	e->elf_type = (uint16_t)get_u32(r);
	e->go_version = get_str(r);
	e->go_modinfo = get_str(r);
	return e;
}

static void get_entry(struct reader *r, struct layer_scan *ls, uint64_t n_blobs_max)
{
	ls->ents = xgrow(ls->ents, &ls->ents_cap, ls->n_ents + 1, sizeof(*ls->ents));
	struct layer_entry *e = &ls->ents[ls->n_ents++];
	memset(e, 0, sizeof(*e));
	e->path = get_str(r);
	uint32_t kt = get_u32(r);
	e->kind = (uint8_t)(kt >> 8);
	e->type = (uint8_t)kt;
	e->mode = get_u32(r);
	e->uid = get_u32(r);
	e->gid = get_u32(r);
	e->size = get_u64(r);
	e->link = get_str(r);
	e->blob = (int32_t)get_u32(r);
	e->elf = get_elf(r);
	if (!e->path || e->kind > ENT_OPAQUE || e->type > TAR_FIFO ||
	    (e->blob >= 0 && (uint64_t)e->blob >= n_blobs_max))
		r->bad = true;
}

static void get_blob(struct reader *r, struct layer_scan *ls)
{
	ls->blobs = xgrow(ls->blobs, &ls->blobs_cap, ls->n_blobs + 1, sizeof(*ls->blobs));
	struct cat_blob *b = &ls->blobs[ls->n_blobs++];
	memset(b, 0, sizeof(*b));
	b->path = get_str(r);
	uint64_t len = get_u64(r);
	if (!b->path || r->bad || len > (uint64_t)(r->end - r->p)) {
		r->bad = true;
		return;
	}
	b->data = xmalloc((size_t)len + 1);
	memcpy(b->data, r->p, (size_t)len);
	b->data[len] = '\0';
	b->len = (size_t)len;
	r->p += len;
	b->truncated = get_u32(r) != 0;
	b->layer = ls->layer;
}

/* Entries refer to blobs by index; the blob count comes after them, so
 * bound indexes by what the file could hold at all. */
static bool deserialize(const char *data, size_t len, struct layer_scan *ls)
{
	struct reader r = { data, data + len, false };
	if (len < strlen(SCAN_FORMAT) || memcmp(data, SCAN_FORMAT, strlen(SCAN_FORMAT)))
		return false;
	r.p += strlen(SCAN_FORMAT);
	uint64_t n = get_u64(&r);
	for (uint64_t i = 0; i < n && !r.bad; i++)
		get_entry(&r, ls, len);
	uint64_t nb = get_u64(&r);
	for (uint64_t i = 0; i < nb && !r.bad; i++)
		get_blob(&r, ls);
	for (size_t i = 0; i < ls->n_ents && !r.bad; i++)
		if (ls->ents[i].blob >= 0 && (size_t)ls->ents[i].blob >= ls->n_blobs)
			r.bad = true;
	return !r.bad && r.p == r.end;
}

bool layer_cache_load(const char *dir, const char *diff_id, bool no_elf, struct layer_scan *ls)
{
	cleanup_free char *path = entry_path(dir, diff_id, no_elf);
	struct qerr err = QERR_INIT;
	char *data;
	size_t len;
	if (access(path, F_OK) < 0)
		return false;
	if (read_file_at(AT_FDCWD, path, SCAN_MAX_FILE, &data, &len, &err) < 0) {
		q_debug("scan cache: %s", err.msg);
		return false;
	}
	uint32_t layer = ls->layer;
	bool ok = deserialize(data, len, ls);
	free(data);
	if (!ok) {
		q_debug("scan cache: '%s' is damaged; scanning again", path);
		layer_scan_release(ls);
		ls->layer = layer;
		return false;
	}
	utimensat(AT_FDCWD, path, NULL, 0);   /* used: for pruning by age */
	return true;
}
