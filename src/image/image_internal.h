/* Private to src/image/ (and its tests and fuzz targets). */
#ifndef QUENCH_IMAGE_INTERNAL_H
#define QUENCH_IMAGE_INTERNAL_H

#include "image/image.h"

/* ---- blob stores: where an image's blobs live ---------------------------- */

/* One regular member of an archive (docker-archive, oci-archive). */
struct archive_member {
	char *name;          /* cleaned path inside the archive */
	uint64_t offset;     /* of the data in the archive file */
	uint64_t size;
	char *link;          /* symlink member: its target (cleaned, archive-relative), else NULL */
};

struct blob_alias {
	char digest[DIGEST_STR_MAX];
	char *path;
};

struct blob_store {
	enum transport transport;
	struct blob_alias *aliases;      /* docker-archive: digest → member path */
	size_t n_aliases, cap_aliases;
	int dir_fd;                      /* oci: the layout directory */
	int archive_fd;                  /* archives: the tar file */
	struct archive_member *members;  /* archives: sorted by name */
	size_t n_members;
	char *display;                   /* the path, for messages */
	char *tmp_dir;                   /* rootfs: the temporary layout we made; removed on free */
};

struct blob_store *blob_store_open(const struct image_ref *ref, struct qerr *err);
void blob_store_free(struct blob_store *s);
/* Locate a file of the store by its path ("index.json", "blobs/sha256/…",
 * or a docker-archive path from manifest.json). *fd is a new descriptor the
 * caller closes; the data is [*offset, *offset + *size) of it. */
int blob_store_locate(struct blob_store *s, const char *path, int *fd, uint64_t *offset,
		      uint64_t *size, struct qerr *err);
/* Read a small file of the store whole (at most max bytes). */
int blob_store_read(struct blob_store *s, const char *path, size_t max, char **data,
		    size_t *len, struct qerr *err);
/* "blobs/sha256/<hex>" for a valid digest. Caller frees. */
char *blob_path(const char *digest);
/* Where the blob of a digest lives: an alias when one was added (docker
 * archives name layers by path), else blob_path(). Same contract as locate. */
int blob_store_locate_digest(struct blob_store *s, const char *digest, int *fd,
			     uint64_t *offset, uint64_t *size, struct qerr *err);
void blob_store_alias(struct blob_store *s, const char *digest, const char *path);

/* ---- manifests ----------------------------------------------------------- */

struct manifest {
	char *media_type;                /* from the document, may be NULL */
	struct descriptor config;
	struct descriptor *layers;
	size_t n_layers;
};
void manifest_release(struct manifest *m);
/* Parse an image manifest (OCI or Docker schema 2). Untrusted: bounded,
 * every descriptor checked (media type string, valid digest, size). */
int manifest_parse(const char *data, size_t len, struct manifest *m, struct qerr *err);

struct index_entry {
	struct descriptor desc;
	char *ref_name;                  /* org.opencontainers.image.ref.name, may be NULL */
	struct platform platform;        /* empty strings when absent */
	bool has_platform;
};
struct index {
	struct index_entry *entries;
	size_t n_entries;
};
void index_release(struct index *ix);
/* Parse an OCI image index or a Docker manifest list. */
int index_parse(const char *data, size_t len, struct index *ix, struct qerr *err);

/* A JSON descriptor object into d; `what` names it in errors. */
int descriptor_parse(json_t *j, struct descriptor *d, const char *what, struct qerr *err);
void descriptor_release(struct descriptor *d);
json_t *descriptor_to_json(const struct descriptor *d);

bool media_type_is_index(const char *mt);
bool media_type_is_manifest(const char *mt);
/* Layer media type → compression; -1 when not a layer type we know. */
int media_type_layer_compression(const char *mt, enum compression *c);

/* ---- docker archives ------------------------------------------------------ */

/* Fill img->manifest_raw/digest from manifest.json (a Docker schema 2
 * manifest synthesized from it) and register blob aliases for its paths. */
int docker_archive_resolve(struct image *img, struct qerr *err);

/* ---- read-ahead ------------------------------------------------------------ */

/* inner read by a thread into depth buffers of chunk bytes; the returned
 * source hands them out in order. prefetch_free stops and joins the thread
 * (inner may be mid-read: it finishes that read first). */
struct prefetch;
struct prefetch *prefetch_new(const struct byte_source *inner, size_t chunk, size_t depth);
const struct byte_source *prefetch_source(struct prefetch *p);
void prefetch_free(struct prefetch *p);

/* ---- the rootfs: transport ----------------------------------------------- */

/* Turn rootfs:DIR|FILE.tar into a temporary single-layer OCI layout (dir
 * returned, caller owns it and removes it). */
int rootfs_to_layout(const char *path, char **layout_dir, struct qerr *err);

#endif
