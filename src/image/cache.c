/* The unpack cache: an image's layers applied once into
 * CACHE/rootfs/<chain id>/rootfs, keyed by the chain of diff_ids (as Docker
 * computes chain IDs), so any image with the same layers — whatever its
 * compression or transport — reuses the tree. Entries appear by rename, so
 * a crashed or concurrent run never leaves a half tree under a real name. */
#include "image_internal.h"
#include "fs/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>

void image_chain_id(const struct image *img, char out[DIGEST_STR_MAX])
{
	if (img->n_layers == 0) {
		sha256_buf("", 0, out);
		return;
	}
	snprintf(out, DIGEST_STR_MAX, "%s", img->layers[0].diff_id);
	for (size_t i = 1; i < img->n_layers; i++) {
		char *s = xasprintf("%s %s", out, img->layers[i].diff_id);
		sha256_buf(s, strlen(s), out);
		free(s);
	}
}

static int write_meta(const char *entry, const struct image *img,
		      const struct extract_stats *st, bool owners, struct qerr *err)
{
	json_t *j = json_pack("{s:s, s:I, s:I, s:b}", "image", img->manifest_digest, "files",
			      (json_int_t)st->files, "bytes", (json_int_t)st->bytes, "owners", owners);
	char *s = json_dump_sorted(j, true);
	json_decref(j);
	cleanup_free char *path = xasprintf("%s/meta.json", entry);
	struct atomic_file af;
	int rc = atomic_file_open(&af, path, 0644, err);
	if (rc == 0 && write_all(af.fd, s, strlen(s), err) < 0) {
		atomic_file_abort(&af);
		rc = -1;
	} else if (rc == 0) {
		rc = atomic_file_commit(&af, err);
	}
	free(s);
	return rc;
}

static int build_entry(struct image *img, const char *entry, const struct extract_opts *eo,
		       struct qerr *err)
{
	cleanup_free char *tmp = xasprintf("%s.tmp-%d", entry, (int)getpid());
	cleanup_free char *root = xasprintf("%s/rootfs", tmp);
	struct qerr ignored = QERR_INIT;
	fs_remove_at(AT_FDCWD, tmp, &ignored);
	if (mkdir_p(root, 0755, err) < 0)
		return -1;
	cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct extract_stats st = { 0 };
	int rc = fd < 0 ? q_error(err, errno, "open '%s'", root)
			: image_unpack(img, fd, eo, &st, NULL, NULL, err);
	if (rc == 0)
		rc = write_meta(tmp, img, &st, eo->apply_owner, err);
	/* Lost a race with another quench: theirs is as good as ours. */
	if (rc == 0 && rename(tmp, entry) < 0 && errno != ENOTEMPTY && errno != EEXIST)
		rc = q_error(err, errno, "rename '%s' to '%s'", tmp, entry);
	fs_remove_at(AT_FDCWD, tmp, &ignored);
	return rc;
}

int image_rootfs_cached(struct image *img, const char *cache_dir, const struct extract_opts *eo,
			char **rootfs, bool *hit, struct qerr *err)
{
	if (!cache_dir)
		BUG("image_rootfs_cached without a cache directory");
	char chain[DIGEST_STR_MAX];
	image_chain_id(img, chain);
	cleanup_free char *base = xasprintf("%s/rootfs", cache_dir);
	if (mkdir_p(base, 0700, err) < 0)
		return q_error_wrap(err, "cache");
	cleanup_free char *entry = xasprintf("%s/%s", base, digest_hex(chain));
	cleanup_free char *meta = xasprintf("%s/meta.json", entry);
	*hit = access(meta, F_OK) == 0;
	if (!*hit && build_entry(img, entry, eo, err) < 0)
		return q_error_wrap(err, "cache");
	/* Mark it used, for pruning by age. */
	utimensat(AT_FDCWD, meta, NULL, 0);
	*rootfs = xasprintf("%s/rootfs", entry);
	return 0;
}

/* Disk usage of a tree: nftw keeps at most 32 directories open however
 * deep the tree (a hostile image's can be 10 000 levels). */
static _Thread_local uint64_t tree_total;

static int add_blocks(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path, (void)flag, (void)ftw;
	tree_total += (uint64_t)st->st_blocks * 512;
	return 0;
}

static uint64_t tree_bytes(const char *path)
{
	tree_total = 0;
	nftw(path, add_blocks, 32, FTW_PHYS | FTW_MOUNT);
	return tree_total;
}

static struct cache_entry *add_entry(struct cache_entry **out, size_t *n, size_t *cap)
{
	*out = xgrow(*out, cap, *n + 1, sizeof(**out));
	struct cache_entry *e = &(*out)[(*n)++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* CACHE/rootfs/<chain id>: unpacked trees. */
static int list_rootfs(const char *cache_dir, struct cache_entry **out, size_t *n, size_t *cap,
		       struct qerr *err)
{
	cleanup_free char *base = xasprintf("%s/rootfs", cache_dir);
	DIR *d = opendir(base);
	if (!d)
		return errno == ENOENT ? 0 : q_error(err, errno, "open '%s'", base);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		cleanup_free char *meta = xasprintf("%s/%s/meta.json", base, de->d_name);
		cleanup_free char *dir = xasprintf("%s/%s", base, de->d_name);
		struct stat st;
		bool complete = stat(meta, &st) == 0;
		if (!complete && stat(dir, &st) < 0)
			continue;
		struct cache_entry *e = add_entry(out, n, cap);
		e->kind = "rootfs";
		e->path = steal_pointer(&dir);
		e->name = xstrdup(de->d_name);
		e->last_used = (int64_t)st.st_mtime;
		e->complete = complete;
		e->bytes = tree_bytes(e->path);
	}
	closedir(d);
	return 0;
}

/* CACHE/catalog/<diff_id>-<variant>.scan: scans of layers (the catalog's). */
static int list_scans(const char *cache_dir, struct cache_entry **out, size_t *n, size_t *cap,
		      struct qerr *err)
{
	cleanup_free char *base = xasprintf("%s/catalog", cache_dir);
	DIR *d = opendir(base);
	if (!d)
		return errno == ENOENT ? 0 : q_error(err, errno, "open '%s'", base);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		cleanup_free char *path = xasprintf("%s/%s", base, de->d_name);
		struct stat st;
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		struct cache_entry *e = add_entry(out, n, cap);
		e->kind = "scan";
		e->path = steal_pointer(&path);
		e->name = xstrdup(de->d_name);
		e->last_used = (int64_t)st.st_mtime;
		e->complete = str_ends_with(de->d_name, ".scan");
		e->bytes = (uint64_t)st.st_blocks * 512;
	}
	closedir(d);
	return 0;
}

int cache_list(const char *cache_dir, struct cache_entry **out, size_t *n, struct qerr *err)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	if (list_rootfs(cache_dir, out, n, &cap, err) < 0 ||
	    list_scans(cache_dir, out, n, &cap, err) < 0) {
		cache_list_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void cache_list_free(struct cache_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(entries[i].path);
		free(entries[i].name);
	}
	free(entries);
}

int cache_prune(const char *cache_dir, int64_t older_than, size_t *removed, uint64_t *freed,
		struct qerr *err)
{
	struct cache_entry *list;
	size_t n;
	*removed = 0;
	*freed = 0;
	if (cache_list(cache_dir, &list, &n, err) < 0)
		return -1;
	int64_t now = (int64_t)time(NULL);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		/* Incomplete entries are leftovers of dead runs, unless new enough
		 * to be another quench at work. */
		bool old = list[i].complete ? now - list[i].last_used >= older_than
					    : now - list[i].last_used > 3600;
		if (!old)
			continue;
		rc = fs_remove_at(AT_FDCWD, list[i].path, err);
		if (rc == 0) {
			(*removed)++;
			*freed += list[i].bytes;
		}
	}
	cache_list_free(list, n);
	return rc;
}
