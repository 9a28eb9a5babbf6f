/* Scanning layers: every entry's metadata, the content of the files some
 * parser wants, and ELF files hashed and parsed as they stream by. Nothing
 * is written to disk; layers are scanned in parallel and verified (blob
 * digest, size, diff_id) as they stream, like an unpack.
 */
#include "scan_internal.h"
#include "fs/fs.h"
#include "image/image.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static bool is_rpmdb(const char *path)
{
	return str_ends_with(path, "rpm/rpmdb.sqlite") || str_ends_with(path, "rpm/Packages");
}

/* Does any parser want this path's content kept? */
static bool wanted(const char *path)
{
	return os_wants(path) || dpkg_wants(path) || apk_wants(path) || rpm_wants(path) ||
	       python_wants(path) || npm_wants(path);
}

static struct layer_entry *add_entry(struct layer_scan *ls)
{
	ls->ents = xgrow(ls->ents, &ls->ents_cap, ls->n_ents + 1, sizeof(*ls->ents));
	struct layer_entry *le = &ls->ents[ls->n_ents++];
	memset(le, 0, sizeof(*le));
	le->blob = -1;
	return le;
}

/* Keep a wanted file's content (at most its limit; sparse holes as zeros). */
static int keep_content(struct layer_scan *ls, struct tar_reader *tr, const struct tar_entry *e,
			struct layer_entry *le, struct qerr *err)
{
	uint64_t limit = is_rpmdb(le->path) ? CAT_MAX_RPMDB : CAT_MAX_BLOB;
	size_t len = e->size > limit ? (size_t)limit : (size_t)e->size;
	char *data = xcalloc(1, len + 1);
	const void *buf;
	uint64_t off;
	ssize_t n;
	while ((n = tar_reader_data(tr, &buf, &off, err)) > 0) {
		if (off >= len)
			continue;
		size_t k = (size_t)n < len - off ? (size_t)n : (size_t)(len - off);
		memcpy(data + off, buf, k);
	}
	if (n < 0) {
		free(data);
		return -1;
	}
	ls->blobs = xgrow(ls->blobs, &ls->blobs_cap, ls->n_blobs + 1, sizeof(*ls->blobs));
	ls->blobs[ls->n_blobs] = (struct cat_blob){
		.path = xstrdup(le->path), .data = data, .len = len,
		.layer = ls->layer, .truncated = e->size > limit,
	};
	le->blob = (int32_t)ls->n_blobs++;
	return 0;
}

/* Hash and parse a regular file if it is ELF; other files are skipped by
 * the reader. The magic may be split across data blocks. */
static int scan_elf(struct tar_reader *tr, struct layer_entry *le, struct qerr *err)
{
	unsigned char head[4];
	size_t have = 0;
	struct elf_scan *es = NULL;
	const void *buf;
	uint64_t off;
	ssize_t n;
	while ((n = tar_reader_data(tr, &buf, &off, err)) > 0) {
		if (es) {
			elf_scan_feed(es, buf, (size_t)n);
			continue;
		}
		size_t k = sizeof(head) - have < (size_t)n ? sizeof(head) - have : (size_t)n;
		memcpy(head + have, buf, k);
		have += k;
		if (have < sizeof(head))
			continue;
		if (!elf_magic(head, have))
			return 0;   /* not ELF: the reader skips the rest */
		es = elf_scan_new();
		elf_scan_feed(es, head, have);
		elf_scan_feed(es, (const char *)buf + k, (size_t)n - k);
	}
	if (n < 0) {
		elf_scan_free(es);
		return -1;
	}
	if (es) {
		const char *why = NULL;
		le->elf = elf_scan_finish(es, &why);
		elf_scan_free(es);
	}
	return 0;
}

/* ".wh.NAME" and ".wh..wh..opq" become markers; other ".wh..wh." names
 * (aufs bookkeeping) are dropped. Returns true when e was a whiteout. */
static bool whiteout(struct layer_scan *ls, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (!str_starts_with(base, ".wh."))
		return false;
	size_t dirlen = slash ? (size_t)(slash - path) : 0;
	if (!strcmp(base, ".wh..wh..opq")) {
		struct layer_entry *le = add_entry(ls);
		le->path = dirlen ? xstrndup(path, dirlen) : xstrdup("");
		le->kind = ENT_OPAQUE;
	} else if (!str_starts_with(base, ".wh..wh.") && base[4]) {
		struct layer_entry *le = add_entry(ls);
		le->path = dirlen ? xasprintf("%.*s/%s", (int)dirlen, path, base + 4)
				  : xstrdup(base + 4);
		le->kind = ENT_WHITEOUT;
	}
	return true;
}

static int scan_entry(struct layer_scan *ls, struct tar_reader *tr, const struct tar_entry *e,
		      bool no_elf, struct qerr *err)
{
	cleanup_free char *path = fs_clean_path(e->path, err);
	if (!path)
		return q_error_wrap(err, "entry '%.200s'", e->path);
	if (!strcmp(path, ".") || whiteout(ls, path))
		return 0;
	struct layer_entry *le = add_entry(ls);
	le->path = steal_pointer(&path);
	le->kind = ENT_FILE;
	le->type = (uint8_t)e->type;
	le->mode = e->mode & 07777;
	le->uid = (uint32_t)e->uid;
	le->gid = (uint32_t)e->gid;
	le->size = e->size;
	if (e->link && (e->type == TAR_SYMLINK || e->type == TAR_HARDLINK))
		le->link = xstrdup(e->link);
	if (e->type != TAR_REG)
		return 0;
	if (wanted(le->path))
		return keep_content(ls, tr, e, le, err);
	if (!no_elf && !e->n_sparse && e->size >= 16)
		return scan_elf(tr, le, err);
	return 0;
}

static int scan_layer(struct image *img, size_t i, bool no_elf, struct layer_scan *ls,
		      struct qerr *err)
{
	struct layer_stream *st = layer_stream_open(img, i, err);
	if (!st)
		return -1;
	struct tar_reader *tr = tar_reader_new(layer_stream_source(st));
	const struct tar_entry *e;
	int rc;
	while ((rc = tar_reader_next(tr, &e, err)) == 1)
		if (scan_entry(ls, tr, e, no_elf, err) < 0) {
			rc = -1;
			break;
		}
	if (rc == 0)
		rc = tar_reader_drain(tr, err);
	tar_reader_free(tr);
	if (rc < 0) {
		layer_stream_close(st, NULL);
		return q_error_wrap(err, "layer %zu (%s)", i + 1, img->layers[i].desc.digest);
	}
	return layer_stream_close(st, err);
}

struct scan_job {
	struct image *img;
	const struct catalog_opts *opts;
	atomic_size_t next;
	struct layer_scan *scans;
};

static void *scan_worker(void *arg)
{
	struct scan_job *job = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&job->next, 1);
		if (i >= job->img->n_layers)
			return NULL;
		struct layer_scan *ls = &job->scans[i];
		const char *diff_id = job->img->layers[i].diff_id;
		const char *cache = job->opts->cache_dir;
		ls->layer = (uint32_t)i;
		if (cache && layer_cache_load(cache, diff_id, job->opts->no_elf, ls)) {
			if (job->opts->cache_hits)
				job->opts->cache_hits[i] = true;
			continue;
		}
		ls->rc = scan_layer(job->img, i, job->opts->no_elf, ls, &ls->err);
		if (ls->rc == 0 && cache)
			layer_cache_store(cache, diff_id, job->opts->no_elf, ls);
	}
}

static int scan_layers(struct image *img, const struct catalog_opts *o, struct layer_scan *scans,
		       struct qerr *err)
{
	struct scan_job job = { .img = img, .opts = o, .scans = scans };
	atomic_init(&job.next, 0);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t workers = o->threads > 0 ? (size_t)o->threads : cpus > 0 ? (size_t)cpus : 1;
	if (workers > img->n_layers)
		workers = img->n_layers ? img->n_layers : 1;
	pthread_t *tids = xcalloc(workers, sizeof(*tids));
	size_t started = 0;
	for (; started + 1 < workers; started++)
		if (pthread_create(&tids[started], NULL, scan_worker, &job) != 0)
			break;
	scan_worker(&job);
	for (size_t t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	for (size_t i = 0; i < img->n_layers; i++)
		if (scans[i].rc < 0) {
			*err = scans[i].err;
			return -1;
		}
	return 0;
}

struct catalog *catalog_image(struct image *img, const struct catalog_opts *opts,
			      struct qerr *err)
{
	struct catalog_opts none = { 0 };
	const struct catalog_opts *o = opts ? opts : &none;
	size_t n = img->n_layers;
	struct layer_scan *scans = xcalloc(n ? n : 1, sizeof(*scans));
	struct catalog *c = NULL;
	if (scan_layers(img, o, scans, err) == 0) {
		struct cat_blobs kept = { 0 };
		c = xcalloc(1, sizeof(*c));
		c->n_layers = (uint32_t)n;
		catalog_merge(c, scans, n, &kept);
		catalog_finish(c, &kept);
		cat_blobs_release(&kept);
	}
	for (size_t i = 0; i < n; i++)
		layer_scan_release(&scans[i]);
	free(scans);
	return c;
}
