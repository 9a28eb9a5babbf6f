/* image — image references, reading and writing images in every transport,
 * manifests, configs, blobs and their digests, layer compression.
 *
 * Lifecycle of a read:
 *   image_ref_parse("oci:dir:tag", &ref, err);
 *   img = image_open(&ref, &platform, err);      manifest + config parsed, checked
 *   ls = layer_stream_open(img, i, err);         verified uncompressed tar stream
 *   … read through layer_stream_source(ls) …
 *   layer_stream_close(ls, err);                 → -1 when a digest or size mismatched
 *   image_free(img);
 *
 * Lifecycle of a write:
 *   w = image_writer_new(&dst_ref, &wopts, err);   staging beside the destination
 *   image_writer_add_layer*(w, …)                 compress + digest, in parallel
 *   image_writer_commit(w, &config, err);         config, manifest, index, rename
 *   image_writer_free(w);                         aborts (removes staging) unless committed
 */
#ifndef QUENCH_IMAGE_H
#define QUENCH_IMAGE_H

#include "fs/fs.h"
#include "util/util.h"

#include <jansson.h>

/* ---- media types -------------------------------------------------------- */

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"

/* Bounds on what we parse from an untrusted image. */
#define IMAGE_MAX_JSON (8u << 20)       /* manifest, index, config: 8 MiB */
#define IMAGE_MAX_LAYERS 1024
#define IMAGE_MAX_INDEX_DEPTH 8         /* nested indexes */

/* ---- references ---------------------------------------------------------- */

enum transport {
	TRANSPORT_OCI,            /* oci:DIR[:TAG|@sha256:…] */
	TRANSPORT_OCI_ARCHIVE,    /* oci-archive:FILE[:TAG] */
	TRANSPORT_DOCKER_ARCHIVE, /* docker-archive:FILE[:REPO:TAG] */
	TRANSPORT_ROOTFS,         /* rootfs:DIR|FILE.tar */
	TRANSPORT_REGISTRY,       /* docker://NAME[:TAG|@DIGEST] or bare NAME:TAG */
};

struct image_ref {
	enum transport transport;
	char *path;     /* DIR or FILE; NULL for registry */
	char *tag;      /* oci: tag; docker-archive: "repo:tag"; registry: tag; may be NULL */
	char *digest;   /* oci:DIR@sha256:… or registry NAME@sha256:…; may be NULL */
	char *name;     /* registry: "registry/repo/name" normalized (docker.io/library/…) */
};
#define IMAGE_REF_INIT { TRANSPORT_OCI, NULL, NULL, NULL, NULL }

int image_ref_parse(const char *s, struct image_ref *ref, struct qerr *err);
void image_ref_release(struct image_ref *ref);
/* The reference written back as a string, e.g. "oci:out:latest". Caller frees. */
char *image_ref_format(const struct image_ref *ref);
const char *transport_name(enum transport t);

/* ---- platforms ----------------------------------------------------------- */

struct platform {
	char os[32];
	char arch[32];
	char variant[32];   /* may be empty */
};
/* "linux/amd64", "linux/arm64/v8". */
int platform_parse(const char *s, struct platform *p, struct qerr *err);
/* The host's platform in Go terms (amd64, arm64, …). */
void platform_host(struct platform *p);
/* Does an index entry's platform satisfy the wanted one? (arm64 with no
 * variant matches v8; an empty wanted variant matches any.) */
bool platform_match(const struct platform *want, const char *os, const char *arch,
		    const char *variant);

/* ---- compression --------------------------------------------------------- */

enum compression { COMP_NONE, COMP_GZIP, COMP_ZSTD };
const char *compression_name(enum compression c);
int compression_parse(const char *s, enum compression *c, struct qerr *err);
/* From the first bytes of a stream (gzip 1f 8b, zstd 28 b5 2f fd, else none). */
enum compression compression_detect(const void *head, size_t len);

/* Decompressing source over `in`. `in` must outlive it. The out source is
 * valid until decompressor_free. gzip handles concatenated members. */
struct decompressor;
struct decompressor *decompressor_new(enum compression c, const struct byte_source *in);
const struct byte_source *decompressor_source(struct decompressor *d);
void decompressor_free(struct decompressor *d);

/* Compressing sink over `out`. Level 0 = the default for the algorithm
 * (gzip: ISA-L level 1… mapped from 1–9; zstd: 3). threads <= 1 compresses
 * inline; more compresses independent blocks in parallel while keeping the
 * output byte-identical for any thread count (gzip header mtime 0, no name).
 * compressor_finish flushes and ends the stream. */
struct compressor;
struct compressor *compressor_new(enum compression c, int level, int threads,
				  const struct byte_sink *out);
const struct byte_sink *compressor_sink(struct compressor *c);
int compressor_finish(struct compressor *c, struct qerr *err);
void compressor_free(struct compressor *c);

/* ---- descriptors, configs ---------------------------------------------- */

struct descriptor {
	char *media_type;
	char digest[DIGEST_STR_MAX];
	uint64_t size;
};

struct layer_info {
	struct descriptor desc;
	char diff_id[DIGEST_STR_MAX];   /* from the config's rootfs.diff_ids */
	enum compression compression;   /* from the media type, confirmed by magic on read */
};

struct history_entry {
	char *created, *created_by, *comment;
	bool empty_layer;
};

struct image_config {
	char *os, *arch, *variant;
	char *user, *workdir, *created, *author;
	struct strvec entrypoint, cmd, env;
	bool has_entrypoint, has_cmd;     /* null vs [] matters to runtimes */
	struct strvec labels;             /* "key=value", sorted */
	struct strvec exposed_ports;      /* "80/tcp", sorted */
	struct strvec volumes;            /* sorted */
	char *stop_signal;
	struct history_entry *history;
	size_t n_history;
};
void image_config_release(struct image_config *c);

/* ---- reading images ------------------------------------------------------ */

struct image {
	struct image_ref ref;
	struct platform platform;        /* of the chosen manifest */
	char manifest_digest[DIGEST_STR_MAX];
	char *manifest_media_type;
	char *manifest_raw;              /* exact bytes, for re-writing unchanged */
	size_t manifest_len;
	char config_digest[DIGEST_STR_MAX];
	char *config_media_type;
	char *config_raw;
	size_t config_len;
	json_t *config_json;             /* the whole config, kept for re-writing */
	struct image_config config;
	struct layer_info *layers;
	size_t n_layers;
	struct blob_store *store;        /* private: where blobs come from */
};

/* Open and check an image: the manifest chosen for `want` (NULL: the host's
 * platform; a single-manifest layout is taken whatever its platform), its
 * config parsed, digests of manifest and config verified, diff_ids matched to
 * layers. Blobs of layers are verified when they are streamed. */
struct image *image_open(const struct image_ref *ref, const struct platform *want,
			 struct qerr *err);
void image_free(struct image *img);

/* A layer as a verified, uncompressed tar stream. The blob's size and digest
 * and the diff_id are checked as the bytes flow; layer_stream_close returns
 * -1 naming the blob when anything mismatched or the stream was not read to
 * its end. */
struct layer_stream;
struct layer_stream *layer_stream_open(struct image *img, size_t i, struct qerr *err);
const struct byte_source *layer_stream_source(struct layer_stream *ls);
/* Bytes of the compressed blob read so far (progress). */
uint64_t layer_stream_consumed(const struct layer_stream *ls);
int layer_stream_close(struct layer_stream *ls, struct qerr *err);

/* Apply every layer, in order, onto the tree at root_fd (fs_apply_layer),
 * verifying each as it streams. progress (may be NULL) is called now and
 * then with the layer index and the compressed bytes consumed of it. */
typedef void (*unpack_progress_fn)(void *ctx, size_t layer, uint64_t consumed);
int image_unpack(struct image *img, int root_fd, const struct extract_opts *opts,
		 struct extract_stats *stats, unpack_progress_fn progress, void *ctx,
		 struct qerr *err);

/* ---- the unpack cache ------------------------------------------------------ */

/* Docker's chain ID of all the image's layers (the cache key). */
void image_chain_id(const struct image *img, char out[DIGEST_STR_MAX]);
/* The image's root filesystem unpacked in cache_dir (once; later calls and
 * other images with the same layers reuse it). *rootfs: caller frees; the
 * tree is shared: read it, never write it. */
int image_rootfs_cached(struct image *img, const char *cache_dir, const struct extract_opts *eo,
			char **rootfs, bool *hit, struct qerr *err);

struct cache_entry {
	const char *kind;    /* "rootfs" (an unpacked image) or "scan" (a layer's catalog scan) */
	char *name;          /* chain id hex, scan file name (or a leftover temporary) */
	char *path;
	uint64_t bytes;      /* disk usage */
	int64_t last_used;   /* seconds since the epoch */
	bool complete;
};
int cache_list(const char *cache_dir, struct cache_entry **out, size_t *n, struct qerr *err);
void cache_list_free(struct cache_entry *entries, size_t n);
/* Remove entries unused for older_than seconds (0: all), and leftovers of
 * dead runs. */
int cache_prune(const char *cache_dir, int64_t older_than, size_t *removed, uint64_t *freed,
		struct qerr *err);

/* Read every layer through its checks (digest, size, diff_id), in
 * parallel; sizes[i] receives layer i's uncompressed size. */
int image_verify_layers(struct image *img, uint64_t *sizes, int threads, struct qerr *err);

/* A raw blob (compressed bytes as stored), digest- and size-verified at
 * close. For copying layers without recompressing. */
struct blob_reader;
struct blob_reader *blob_open(struct image *img, const struct descriptor *d, struct qerr *err);
const struct byte_source *blob_source(struct blob_reader *b);
int blob_close(struct blob_reader *b, struct qerr *err);

/* ---- writing images ------------------------------------------------------ */

struct image_writer_opts {
	enum compression compression;    /* for new/recompressed layers */
	bool keep_compression;           /* copy: keep each source layer's compression */
	int level;                       /* 0 = default */
	int threads;                     /* 0 = number of CPUs */
	bool docker_media_types;         /* docker-archive always uses Docker's */
};

struct image_writer;
/* dst: oci, oci-archive or docker-archive. Nothing appears at the
 * destination until commit. */
struct image_writer *image_writer_new(const struct image_ref *dst,
				      const struct image_writer_opts *opts, struct qerr *err);
void image_writer_free(struct image_writer *w);

/* A new layer from an uncompressed tar stream: `produce` writes the tar into
 * the given sink (e.g. fs_write_tree through a tar_writer). The writer
 * compresses it and computes digest, size and diff_id. */
typedef int (*layer_producer)(void *ctx, const struct byte_sink *tar_out, struct qerr *err);
int image_writer_add_layer(struct image_writer *w, layer_producer produce, void *ctx,
			   struct qerr *err);
/* Copy every layer of src, in parallel: a blob whose compression already
 * matches the writer's is copied as is, others are decompressed and
 * recompressed. Everything read is verified. */
int image_writer_copy_layers(struct image_writer *w, struct image *src, struct qerr *err);
/* Write the config, the manifest, the index (and manifest.json for
 * docker-archive), and move everything into place. The config is src's
 * exact bytes when src is given and its diff_ids equal the written layers'
 * (a copy keeps the image ID); else built from cfg and the diff_ids. */
int image_writer_commit(struct image_writer *w, const struct image_config *cfg,
			const struct image *src, struct qerr *err);
/* After commit: the manifest digest written. */
const char *image_writer_manifest_digest(const struct image_writer *w);

/* Import a root filesystem as a one-layer image at dst: a directory is
 * written as a tar by fs_write_tree (topts), a tar file (plain, gzip or
 * zstd) becomes the layer byte for byte. digest_out (may be NULL) receives
 * the manifest digest. */
int image_import(const char *rootfs, const struct image_ref *dst,
		 const struct image_writer_opts *wopts, const struct image_config *cfg,
		 const struct tree_opts *topts, char *digest_out, struct qerr *err);

/* Build a config JSON (OCI image config) from cfg and diff_ids; exported
 * for import and tests. Returns a new reference. */
json_t *image_config_to_json(const struct image_config *cfg, char (*diff_ids)[DIGEST_STR_MAX],
			     size_t n);
/* Parse a config JSON into cfg (tolerant of absent fields, strict on
 * types). */
int image_config_parse(json_t *j, struct image_config *cfg, struct qerr *err);

#endif
