/* image_open: from a reference to a checked manifest, config and layer list.
 * OCI layouts (directory or archive) go index → nested index → manifest;
 * docker archives go through manifest.json (docker_archive.c). */
#include "image_internal.h"

#include <errno.h>

/* Read a small blob whole and check it against its descriptor. */
static int read_blob_verified(struct blob_store *s, const struct descriptor *d, char **data,
			      size_t *len, struct qerr *err)
{
	if (d->size > IMAGE_MAX_JSON)
		return q_error(err, 0, "blob %s: %llu bytes is over the limit of %u", d->digest,
			       (unsigned long long)d->size, IMAGE_MAX_JSON);
	cleanup_close int fd = -1;
	uint64_t off, size;
	if (blob_store_locate_digest(s, d->digest, &fd, &off, &size, err) < 0)
		return -1;
	if (size != d->size)
		return q_error(err, 0, "blob %s: size %llu does not match the descriptor's %llu",
			       d->digest, (unsigned long long)size, (unsigned long long)d->size);
	char *buf = xmalloc(size + 1);
	if (pread_all(fd, buf, size, (off_t)off, err) < 0) {
		free(buf);
		return q_error_wrap(err, "blob %s", d->digest);
	}
	buf[size] = '\0';
	char got[DIGEST_STR_MAX];
	sha256_buf(buf, size, got);
	if (strcmp(got, d->digest)) {
		free(buf);
		return q_error(err, 0, "blob %s: content has digest %s", d->digest, got);
	}
	*data = buf;
	*len = size;
	return 0;
}

static void platform_string(const struct platform *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s%s", p->os[0] ? p->os : "?", p->arch[0] ? p->arch : "?",
		 p->variant[0] ? "/" : "", p->variant);
}

static bool entry_named(const struct index_entry *e, const struct image_ref *ref, bool top)
{
	if (!top)
		return true;
	if (ref->tag && (!e->ref_name || strcmp(e->ref_name, ref->tag)))
		return false;
	if (ref->digest && strcmp(e->desc.digest, ref->digest))
		return false;
	return true;
}

static bool entry_platform_ok(const struct index_entry *e, const struct platform *want)
{
	return !e->has_platform ||
	       platform_match(want, e->platform.os, e->platform.arch, e->platform.variant);
}

static int no_entry_error(const struct index *ix, const struct image_ref *ref,
			  const struct platform *want, bool top, size_t n_named,
			  struct qerr *err)
{
	if (top && ref->tag && !n_named)
		return q_error(err, 0, "no image tagged '%s'", ref->tag);
	if (top && ref->digest && !n_named)
		return q_error(err, 0, "no image with digest %s", ref->digest);
	if (!ix->n_entries)
		return q_error(err, 0, "the index lists no images");
	char p[100];
	platform_string(want, p, sizeof(p));
	return q_error(err, 0, "no manifest for platform %s (use --platform)", p);
}

/* Choose among index entries: by tag or digest (top level only), then by
 * platform. A lone manifest at the top is taken whatever its platform, as
 * skopeo does; several untagged images with nothing to choose by are an
 * error rather than a silent guess. */
static int select_entry(const struct index *ix, const struct image_ref *ref,
			const struct platform *want, bool top, const struct index_entry **out,
			struct qerr *err)
{
	const struct index_entry *first_named = NULL, *pick = NULL;
	size_t n_named = 0, n_ok = 0, n_plat = 0;
	for (size_t i = 0; i < ix->n_entries; i++) {
		const struct index_entry *e = &ix->entries[i];
		if (!entry_named(e, ref, top))
			continue;
		if (!n_named++)
			first_named = e;
		n_plat += e->has_platform;
		if (entry_platform_ok(e, want) && !n_ok++)
			pick = e;
	}
	if (!pick && top && n_named == 1 && !media_type_is_index(first_named->desc.media_type))
		pick = first_named;
	if (!pick)
		return no_entry_error(ix, ref, want, top, n_named, err);
	if (n_ok > 1 && n_plat < n_named)
		return q_error(err, 0, "%zu images match; name one with :TAG or @DIGEST", n_ok);
	*out = pick;
	return 0;
}

static int resolve_manifest(struct image *img, const struct descriptor *d,
			    const struct platform *want, int depth, struct qerr *err);

static int resolve_index(struct image *img, const char *data, size_t len,
			 const struct platform *want, int depth, bool top, struct qerr *err)
{
	struct index ix;
	if (index_parse(data, len, &ix, err) < 0)
		return -1;
	const struct index_entry *e = NULL;
	int rc = select_entry(&ix, &img->ref, want, top, &e, err);
	if (rc == 0) {
		if (e->has_platform) {
			img->platform = e->platform;
		}
		rc = resolve_manifest(img, &e->desc, want, depth + 1, err);
	}
	index_release(&ix);
	return rc;
}

static int resolve_manifest(struct image *img, const struct descriptor *d,
			    const struct platform *want, int depth, struct qerr *err)
{
	if (depth > IMAGE_MAX_INDEX_DEPTH)
		return q_error(err, 0, "indexes nested deeper than %d", IMAGE_MAX_INDEX_DEPTH);
	char *data;
	size_t len;
	if (read_blob_verified(img->store, d, &data, &len, err) < 0)
		return -1;
	if (media_type_is_index(d->media_type)) {
		int rc = resolve_index(img, data, len, want, depth, false, err);
		free(data);
		return rc;
	}
	if (d->media_type && !media_type_is_manifest(d->media_type)) {
		free(data);
		return q_error(err, 0, "%s: media type '%.80s' is not a manifest or index", d->digest,
			       d->media_type);
	}
	img->manifest_raw = data;
	img->manifest_len = len;
	snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s", d->digest);
	return 0;
}

static int open_oci_layout(struct image *img, const struct platform *want, struct qerr *err)
{
	char *data;
	size_t len;
	if (blob_store_read(img->store, "index.json", IMAGE_MAX_JSON, &data, &len, err) < 0)
		return -1;
	int rc = resolve_index(img, data, len, want, 0, true, err);
	free(data);
	if (rc < 0)
		return q_error_wrap(err, "index.json");
	return 0;
}

static int load_diff_ids(struct image *img, struct qerr *err)
{
	json_t *rootfs = json_get_obj(img->config_json, "rootfs");
	json_t *ids = json_get_arr(rootfs, "diff_ids");
	if (!ids)
		return q_error(err, 0, "config: rootfs.diff_ids is missing");
	if (json_array_size(ids) != img->n_layers)
		return q_error(err, 0, "config has %zu diff_ids for %zu layers",
			       json_array_size(ids), img->n_layers);
	for (size_t i = 0; i < img->n_layers; i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		if (!digest_valid(id) || !str_starts_with(id, "sha256:"))
			return q_error(err, 0, "config: diff_id %zu is not a sha256 digest", i + 1);
		snprintf(img->layers[i].diff_id, DIGEST_STR_MAX, "%s", id);
	}
	return 0;
}

static int load_manifest_and_config(struct image *img, struct qerr *err)
{
	struct manifest m;
	if (manifest_parse(img->manifest_raw, img->manifest_len, &m, err) < 0)
		return q_error_wrap(err, "manifest %s", img->manifest_digest);
	img->manifest_media_type = xstrdup(m.media_type ? m.media_type : MT_OCI_MANIFEST);
	int rc = read_blob_verified(img->store, &m.config, &img->config_raw, &img->config_len, err);
	if (rc == 0) {
		snprintf(img->config_digest, sizeof(img->config_digest), "%s", m.config.digest);
		img->config_media_type = xstrdup(m.config.media_type ? m.config.media_type
								     : MT_OCI_CONFIG);
		img->n_layers = m.n_layers;
		img->layers = xcalloc(m.n_layers, sizeof(*img->layers));
		for (size_t i = 0; i < m.n_layers; i++) {
			img->layers[i].desc = m.layers[i];
			media_type_layer_compression(m.layers[i].media_type,
						     &img->layers[i].compression);
		}
		m.n_layers = 0;   /* the descriptors moved into img */
	} else {
		q_error_wrap(err, "config");
	}
	manifest_release(&m);
	return rc;
}

static int load_config(struct image *img, struct qerr *err)
{
	img->config_json = json_parse_bounded(img->config_raw, img->config_len, IMAGE_MAX_JSON,
					      "config", err);
	if (!img->config_json)
		return -1;
	if (image_config_parse(img->config_json, &img->config, err) < 0)
		return q_error_wrap(err, "config %s", img->config_digest);
	if (load_diff_ids(img, err) < 0)
		return -1;
	if (!img->platform.os[0] && img->config.os)
		snprintf(img->platform.os, sizeof(img->platform.os), "%s", img->config.os);
	if (!img->platform.arch[0] && img->config.arch)
		snprintf(img->platform.arch, sizeof(img->platform.arch), "%s", img->config.arch);
	if (!img->platform.variant[0] && img->config.variant)
		snprintf(img->platform.variant, sizeof(img->platform.variant), "%s",
			 img->config.variant);
	return 0;
}

static void ref_copy(struct image_ref *dst, const struct image_ref *src)
{
	dst->transport = src->transport;
	dst->path = src->path ? xstrdup(src->path) : NULL;
	dst->tag = src->tag ? xstrdup(src->tag) : NULL;
	dst->digest = src->digest ? xstrdup(src->digest) : NULL;
	dst->name = src->name ? xstrdup(src->name) : NULL;
}

struct image *image_open(const struct image_ref *ref, const struct platform *want,
			 struct qerr *err)
{
	struct platform host;
	if (!want) {
		platform_host(&host);
		want = &host;
	}
	struct image *img = xcalloc(1, sizeof(*img));
	ref_copy(&img->ref, ref);
	img->store = blob_store_open(ref, err);
	if (!img->store)
		goto fail;
	int rc = ref->transport == TRANSPORT_DOCKER_ARCHIVE
			 ? docker_archive_resolve(img, err)
			 : open_oci_layout(img, want, err);
	if (rc < 0 || load_manifest_and_config(img, err) < 0 || load_config(img, err) < 0)
		goto fail;
	return img;
fail:
	{
		char *s = image_ref_format(ref);
		q_error_wrap(err, "%s", s);
		free(s);
	}
	image_free(img);
	return NULL;
}

void image_free(struct image *img)
{
	if (!img)
		return;
	image_ref_release(&img->ref);
	free(img->manifest_media_type);
	free(img->manifest_raw);
	free(img->config_media_type);
	free(img->config_raw);
	if (img->config_json)
		json_decref(img->config_json);
	image_config_release(&img->config);
	for (size_t i = 0; i < img->n_layers; i++)
		descriptor_release(&img->layers[i].desc);
	free(img->layers);
	blob_store_free(img->store);
	free(img);
}
