/* Manifests, indexes and descriptors: untrusted JSON, checked field by field. */
#include "image_internal.h"

#define MAX_DESCRIPTOR_SIZE ((uint64_t)1 << 53)   /* JSON integers stay exact */
#define MAX_MEDIA_TYPE 255
#define MAX_INDEX_ENTRIES 4096

bool media_type_is_index(const char *mt)
{
	return mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST));
}

bool media_type_is_manifest(const char *mt)
{
	return mt && (!strcmp(mt, MT_OCI_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST));
}

int media_type_layer_compression(const char *mt, enum compression *c)
{
	static const struct {
		const char *mt;
		enum compression c;
	} known[] = {
		{ MT_OCI_LAYER, COMP_NONE },
		{ MT_OCI_LAYER_GZIP, COMP_GZIP },
		{ MT_OCI_LAYER_ZSTD, COMP_ZSTD },
		{ MT_DOCKER_LAYER, COMP_NONE },
		{ MT_DOCKER_LAYER_GZIP, COMP_GZIP },
		/* Non-distributable variants: same bytes, other policy. */
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar", COMP_NONE },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", COMP_GZIP },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", COMP_ZSTD },
		{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", COMP_GZIP },
	};
	for (size_t i = 0; mt && i < ARRAY_SIZE(known); i++)
		if (!strcmp(mt, known[i].mt)) {
			*c = known[i].c;
			return 0;
		}
	return -1;
}

void descriptor_release(struct descriptor *d)
{
	free(d->media_type);
	d->media_type = NULL;
}

int descriptor_parse(json_t *j, struct descriptor *d, const char *what, struct qerr *err)
{
	memset(d, 0, sizeof(*d));
	if (!json_is_object(j))
		return q_error(err, 0, "%s: not an object", what);
	const char *mt = json_get_str(j, "mediaType");
	const char *digest = json_get_str(j, "digest");
	json_t *size = json_object_get(j, "size");
	if (json_object_get(j, "mediaType") && !mt)
		return q_error(err, 0, "%s: mediaType is not a string", what);
	if (mt && strlen(mt) > MAX_MEDIA_TYPE)
		return q_error(err, 0, "%s: mediaType is too long", what);
	if (!digest_valid(digest))
		return q_error(err, 0, "%s: digest '%.80s' is not a valid sha256 or sha512 digest",
			       what, digest ? digest : "(missing)");
	if (!json_is_integer(size) || json_integer_value(size) < 0 ||
	    (uint64_t)json_integer_value(size) > MAX_DESCRIPTOR_SIZE)
		return q_error(err, 0, "%s: size is missing or not a non-negative integer", what);
	if (!str_starts_with(digest, "sha256:"))
		return q_error(err, 0, "%s: only sha256 digests are supported, not '%.80s'", what,
			       digest);
	d->media_type = mt ? xstrdup(mt) : NULL;
	snprintf(d->digest, sizeof(d->digest), "%s", digest);
	d->size = (uint64_t)json_integer_value(size);
	return 0;
}

json_t *descriptor_to_json(const struct descriptor *d)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type, "digest", d->digest,
			 "size", (json_int_t)d->size);
}

void manifest_release(struct manifest *m)
{
	free(m->media_type);
	descriptor_release(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_release(&m->layers[i]);
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

static int check_schema_version(json_t *j, const char *what, struct qerr *err)
{
	json_t *v = json_object_get(j, "schemaVersion");
	if (!json_is_integer(v) || json_integer_value(v) != 2)
		return q_error(err, 0, "%s: schemaVersion is not 2", what);
	return 0;
}

static int manifest_parse_json(json_t *j, struct manifest *m, struct qerr *err)
{
	if (!json_is_object(j))
		return q_error(err, 0, "manifest: not a JSON object");
	if (check_schema_version(j, "manifest", err) < 0)
		return -1;
	const char *mt = json_get_str(j, "mediaType");
	if (mt && !media_type_is_manifest(mt))
		return q_error(err, 0, "manifest: mediaType '%.80s' is not an image manifest", mt);
	m->media_type = mt ? xstrdup(mt) : NULL;
	if (descriptor_parse(json_object_get(j, "config"), &m->config, "manifest config", err) < 0)
		return -1;
	json_t *layers = json_object_get(j, "layers");
	if (!json_is_array(layers))
		return q_error(err, 0, "manifest: layers is not an array");
	size_t n = json_array_size(layers);
	if (n > IMAGE_MAX_LAYERS)
		return q_error(err, 0, "manifest: %zu layers is over the limit of %d", n,
			       IMAGE_MAX_LAYERS);
	m->layers = xcalloc(n, sizeof(*m->layers));
	for (size_t i = 0; i < n; i++) {
		char what[48];
		snprintf(what, sizeof(what), "manifest layer %zu", i + 1);
		if (descriptor_parse(json_array_get(layers, i), &m->layers[i], what, err) < 0)
			return -1;
		m->n_layers++;
		enum compression c;
		if (media_type_layer_compression(m->layers[i].media_type, &c) < 0)
			return q_error(err, 0, "%s: unsupported layer media type '%.80s'", what,
				       m->layers[i].media_type ? m->layers[i].media_type : "");
	}
	return 0;
}

int manifest_parse(const char *data, size_t len, struct manifest *m, struct qerr *err)
{
	memset(m, 0, sizeof(*m));
	json_t *j = json_parse_bounded(data, len, IMAGE_MAX_JSON, "manifest", err);
	if (!j)
		return -1;
	int rc = manifest_parse_json(j, m, err);
	json_decref(j);
	if (rc < 0)
		manifest_release(m);
	return rc;
}

void index_release(struct index *ix)
{
	for (size_t i = 0; i < ix->n_entries; i++) {
		descriptor_release(&ix->entries[i].desc);
		free(ix->entries[i].ref_name);
	}
	free(ix->entries);
	memset(ix, 0, sizeof(*ix));
}

static int platform_field(json_t *p, const char *key, char *out, size_t len, struct qerr *err)
{
	json_t *v = json_object_get(p, key);
	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= len)
		return q_error(err, 0, "platform.%s is not a short string", key);
	snprintf(out, len, "%s", json_string_value(v));
	return 0;
}

static int index_entry_parse(json_t *j, struct index_entry *e, const char *what,
			     struct qerr *err)
{
	if (descriptor_parse(j, &e->desc, what, err) < 0)
		return -1;
	json_t *ann = json_get_obj(j, "annotations");
	const char *name = json_get_str(ann, "org.opencontainers.image.ref.name");
	if (name)
		e->ref_name = xstrdup(name);
	json_t *p = json_object_get(j, "platform");
	if (!p)
		return 0;
	if (!json_is_object(p))
		return q_error(err, 0, "%s: platform is not an object", what);
	e->has_platform = true;
	if (platform_field(p, "os", e->platform.os, sizeof(e->platform.os), err) < 0 ||
	    platform_field(p, "architecture", e->platform.arch, sizeof(e->platform.arch), err) < 0 ||
	    platform_field(p, "variant", e->platform.variant, sizeof(e->platform.variant), err) < 0)
		return q_error_wrap(err, "%s", what);
	return 0;
}

static int index_parse_json(json_t *j, struct index *ix, struct qerr *err)
{
	if (!json_is_object(j))
		return q_error(err, 0, "index: not a JSON object");
	if (check_schema_version(j, "index", err) < 0)
		return -1;
	const char *mt = json_get_str(j, "mediaType");
	if (mt && !media_type_is_index(mt))
		return q_error(err, 0, "index: mediaType '%.80s' is not an image index", mt);
	json_t *manifests = json_object_get(j, "manifests");
	if (!json_is_array(manifests))
		return q_error(err, 0, "index: manifests is not an array");
	size_t n = json_array_size(manifests);
	if (n > MAX_INDEX_ENTRIES)
		return q_error(err, 0, "index: %zu entries is over the limit of %d", n,
			       MAX_INDEX_ENTRIES);
	ix->entries = xcalloc(n, sizeof(*ix->entries));
	for (size_t i = 0; i < n; i++) {
		char what[48];
		snprintf(what, sizeof(what), "index entry %zu", i + 1);
		ix->n_entries++;
		if (index_entry_parse(json_array_get(manifests, i), &ix->entries[i], what, err) < 0)
			return -1;
	}
	return 0;
}

int index_parse(const char *data, size_t len, struct index *ix, struct qerr *err)
{
	memset(ix, 0, sizeof(*ix));
	json_t *j = json_parse_bounded(data, len, IMAGE_MAX_JSON, "index", err);
	if (!j)
		return -1;
	int rc = index_parse_json(j, ix, err);
	json_decref(j);
	if (rc < 0)
		index_release(ix);
	return rc;
}
