/* docker-archive: `docker save` output, both the legacy layout
 * (<id>/layer.tar, <hex>.json) and Docker ≥ 25's OCI-in-tar (blobs/sha256/…).
 * Both carry manifest.json, which names the config and the layers by path;
 * we synthesize a Docker schema 2 manifest from it so that everything
 * downstream sees one model. */
#include "image_internal.h"

#define MAX_REPO_TAGS 1024

/* "python:3" names "docker.io/library/python:3" and podman's
 * "localhost/python:3"; compare without those prefixes. */
static const char *short_name(const char *s)
{
	static const char *prefixes[] = { "docker.io/library/", "docker.io/", "localhost/" };
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (str_starts_with(s, prefixes[i]))
			return s + strlen(prefixes[i]);
	return s;
}

static bool tags_match(json_t *entry, const char *want)
{
	json_t *tags = json_get_arr(entry, "RepoTags");
	for (size_t i = 0; i < json_array_size(tags) && i < MAX_REPO_TAGS; i++) {
		const char *t = json_string_value(json_array_get(tags, i));
		if (t && (!strcmp(t, want) || !strcmp(short_name(t), short_name(want))))
			return true;
	}
	return false;
}

static int select_image(json_t *list, const char *tag, json_t **out, struct qerr *err)
{
	size_t n = json_array_size(list);
	if (!json_is_array(list) || n == 0)
		return q_error(err, 0, "manifest.json: not a non-empty array");
	if (tag && tag[0] == '@') {
		uint64_t i;
		if (parse_u64(tag + 1, n - 1, &i) < 0)
			return q_error(err, 0, "manifest.json: no image at index '%s'", tag + 1);
		*out = json_array_get(list, i);
		return 0;
	}
	if (!tag) {
		if (n > 1)
			return q_error(err, 0, "manifest.json: %zu images; name one with :REPO:TAG or "
					       ":@INDEX", n);
		*out = json_array_get(list, 0);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (tags_match(json_array_get(list, i), tag)) {
			*out = json_array_get(list, i);
			return 0;
		}
	return q_error(err, 0, "manifest.json: no image tagged '%s'", tag);
}

/* The digest of a member, read whole (only for compressed legacy layers,
 * whose digest nothing records). */
static int hash_member(struct blob_store *s, const char *path, char digest[DIGEST_STR_MAX],
		       struct qerr *err)
{
	cleanup_close int fd = -1;
	uint64_t off, size;
	if (blob_store_locate(s, path, &fd, &off, &size, err) < 0)
		return -1;
	struct sha256 h;
	sha256_init(&h);
	cleanup_free char *buf = xmalloc(1 << 20);
	while (size) {
		size_t n = size < (1 << 20) ? size : (1 << 20);
		if (pread_all(fd, buf, n, (off_t)off, err) < 0) {
			sha256_release(&h);
			return q_error_wrap(err, "'%s'", path);
		}
		sha256_update(&h, buf, n);
		off += n;
		size -= n;
	}
	sha256_final(&h, digest);
	return 0;
}

static const char *layer_media_type(enum compression c)
{
	switch (c) {
	case COMP_NONE:
		return MT_DOCKER_LAYER;
	case COMP_GZIP:
		return MT_DOCKER_LAYER_GZIP;
	case COMP_ZSTD:
		return MT_OCI_LAYER_ZSTD;
	}
	return MT_DOCKER_LAYER;
}

/* A layer descriptor for a path: the digest comes from a blobs/sha256 path,
 * from the diff_id for an uncompressed tar (the two are the same bytes), or
 * from hashing a compressed member. Reading verifies it in every case. */
static json_t *layer_descriptor(struct blob_store *s, const char *path, const char *diff_id,
				struct qerr *err)
{
	cleanup_close int fd = -1;
	uint64_t off, size;
	if (blob_store_locate(s, path, &fd, &off, &size, err) < 0)
		return NULL;
	unsigned char head[4] = { 0 };
	if (size >= 4 && pread_all(fd, head, 4, (off_t)off, err) < 0)
		return NULL;
	enum compression c = compression_detect(head, size >= 4 ? 4 : 0);
	char digest[DIGEST_STR_MAX] = "";
	if (str_starts_with(path, "blobs/sha256/")) {
		snprintf(digest, sizeof(digest), "sha256:%s", path + 13);
		if (!digest_valid(digest))
			digest[0] = '\0';
	}
	if (!digest[0]) {
		if (c == COMP_NONE && diff_id)
			snprintf(digest, sizeof(digest), "%s", diff_id);
		else if (hash_member(s, path, digest, err) < 0)
			return NULL;
	}
	if (!digest_valid(digest)) {
		q_error(err, 0, "layer '%s': no valid digest", path);
		return NULL;
	}
	blob_store_alias(s, digest, path);
	return json_pack("{s:s, s:s, s:I}", "mediaType", layer_media_type(c), "digest", digest,
			 "size", (json_int_t)size);
}

static const char *nth_diff_id(json_t *config, size_t i)
{
	json_t *ids = json_get_arr(json_get_obj(config, "rootfs"), "diff_ids");
	return json_string_value(json_array_get(ids, i));
}

static json_t *synthesize(struct image *img, json_t *entry, struct qerr *err)
{
	const char *config_path = json_get_str(entry, "Config");
	json_t *layers = json_get_arr(entry, "Layers");
	if (!config_path || !layers)
		return q_error(err, 0, "manifest.json: Config or Layers missing"), NULL;
	if (json_array_size(layers) > IMAGE_MAX_LAYERS)
		return q_error(err, 0, "manifest.json: too many layers"), NULL;
	cleanup_free char *cfg = NULL;
	size_t cfg_len;
	if (blob_store_read(img->store, config_path, IMAGE_MAX_JSON, &cfg, &cfg_len, err) < 0)
		return NULL;
	char cfg_digest[DIGEST_STR_MAX];
	sha256_buf(cfg, cfg_len, cfg_digest);
	blob_store_alias(img->store, cfg_digest, config_path);
	/* Parsed here only to learn diff_ids; load_config checks it properly. */
	json_t *config = json_loadb(cfg, cfg_len, 0, NULL);
	json_t *ldescs = json_array();
	for (size_t i = 0; i < json_array_size(layers); i++) {
		const char *p = json_string_value(json_array_get(layers, i));
		json_t *d = p ? layer_descriptor(img->store, p, nth_diff_id(config, i), err) : NULL;
		if (!d) {
			if (!p)
				q_error(err, 0, "manifest.json: layer %zu is not a string", i + 1);
			json_decref(ldescs);
			json_decref(config);
			return NULL;
		}
		json_array_append_new(ldescs, d);
	}
	json_decref(config);
	return json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
			 MT_DOCKER_MANIFEST, "config", "mediaType", MT_DOCKER_CONFIG, "digest",
			 cfg_digest, "size", (json_int_t)cfg_len, "layers", ldescs);
}

int docker_archive_resolve(struct image *img, struct qerr *err)
{
	char *data;
	size_t len;
	if (blob_store_read(img->store, "manifest.json", IMAGE_MAX_JSON, &data, &len, err) < 0)
		return -1;
	json_t *list = json_parse_bounded(data, len, IMAGE_MAX_JSON, "manifest.json", err);
	free(data);
	if (!list)
		return -1;
	json_t *entry = NULL, *m = NULL;
	if (select_image(list, img->ref.tag, &entry, err) == 0)
		m = synthesize(img, entry, err);
	json_decref(list);
	if (!m)
		return -1;
	img->manifest_raw = json_dump_sorted(m, false);
	img->manifest_len = strlen(img->manifest_raw);
	json_decref(m);
	sha256_buf(img->manifest_raw, img->manifest_len, img->manifest_digest);
	/* The manifest is ours, not a blob of the archive: let it be found. */
	return 0;
}
