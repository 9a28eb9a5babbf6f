/* catalog — private: what scanning a layer yields, and how layers merge. */
#ifndef QUENCH_CATALOG_SCAN_INTERNAL_H
#define QUENCH_CATALOG_SCAN_INTERNAL_H

#include "catalog_internal.h"

enum ent_kind {
	ENT_FILE,       /* any real entry: file, dir, link, device */
	ENT_WHITEOUT,   /* path and everything below it are gone from lower layers */
	ENT_OPAQUE,     /* everything below path is gone from lower layers */
};

struct layer_entry {
	char *path;            /* clean, relative; "" for the root (opaque root) */
	uint8_t kind;          /* enum ent_kind */
	uint8_t type;          /* enum tar_type when ENT_FILE */
	uint32_t mode, uid, gid;
	uint64_t size;
	char *link;
	struct elf_info *elf;
	int32_t blob;          /* index in the layer's blobs, or -1 */
};

struct layer_scan {
	uint32_t layer;
	struct layer_entry *ents;
	size_t n_ents, ents_cap;
	struct cat_blob *blobs;
	size_t n_blobs, blobs_cap;
	int rc;
	struct qerr err;
};
void layer_scan_release(struct layer_scan *ls);

/* The scan cache (layer_cache.c): load is true on a hit (ls filled, its
 * layer index kept); store is best effort. */
bool layer_cache_load(const char *dir, const char *diff_id, bool no_elf, struct layer_scan *ls);
void layer_cache_store(const char *dir, const char *diff_id, bool no_elf,
		       const struct layer_scan *ls);

/* Kept files of the merged tree; owned. */
struct cat_blobs {
	struct cat_blob *v;
	size_t n;
};
void cat_blobs_release(struct cat_blobs *b);

/* The final tree: for each path the entry of the highest layer, minus what
 * whiteouts, opaque directories and non-directories replacing directories
 * in higher layers hid. Moves what it keeps out of scans into c->files and
 * *kept (sorted by path). */
void catalog_merge(struct catalog *c, struct layer_scan *scans, size_t n, struct cat_blobs *kept);

/* Run the parsers over the kept files, then sort the packages, give them
 * purls and CPEs, resolve dependencies and file owners. */
void catalog_finish(struct catalog *c, const struct cat_blobs *kept);

#endif
