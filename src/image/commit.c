/* Committing a written image: config, manifest, index, and the move into
 * place (a rename for directories, a deterministic tar for archives). */
#include "image_internal.h"
#include "write_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>

#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD_NAME "io.containerd.image.name"

static bool same_diff_ids(const struct image_writer *w, const struct image *src)
{
	if (src->n_layers != w->n_layers)
		return false;
	for (size_t i = 0; i < w->n_layers; i++)
		if (strcmp(src->layers[i].diff_id, w->layers[i].diff_id))
			return false;
	return true;
}

static int write_config(struct image_writer *w, const struct image_config *cfg,
			const struct image *src, struct descriptor *d, struct qerr *err)
{
	if (src && same_diff_ids(w, src))
		return write_blob_bytes(w, src->config_raw, src->config_len, MT_OCI_CONFIG, d, err);
	char (*ids)[DIGEST_STR_MAX] = xcalloc(w->n_layers ? w->n_layers : 1, DIGEST_STR_MAX);
	for (size_t i = 0; i < w->n_layers; i++)
		memcpy(ids[i], w->layers[i].diff_id, DIGEST_STR_MAX);
	json_t *j = image_config_to_json(cfg ? cfg : &src->config, ids, w->n_layers);
	free(ids);
	char *s = json_dump_sorted(j, false);
	json_decref(j);
	int rc = write_blob_bytes(w, s, strlen(s), MT_OCI_CONFIG, d, err);
	free(s);
	return rc;
}

static int write_manifest(struct image_writer *w, const struct descriptor *config,
			  struct descriptor *d, struct qerr *err)
{
	json_t *layers = json_array();
	for (size_t i = 0; i < w->n_layers; i++)
		json_array_append_new(layers, descriptor_to_json(&w->layers[i].desc));
	json_t *m = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
			      MT_OCI_MANIFEST, "config", descriptor_to_json(config), "layers",
			      layers);
	char *s = json_dump_sorted(m, false);
	json_decref(m);
	int rc = write_blob_bytes(w, s, strlen(s), MT_OCI_MANIFEST, d, err);
	free(s);
	return rc;
}

/* Write a small file at dirfd atomically. */
static int write_small_file(int dirfd, const char *name, const char *data, struct qerr *err)
{
	cleanup_free char *tmp = xasprintf(".%s.tmp-%d", name, (int)getpid());
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return q_error(err, errno, "create '%s'", name);
	if (write_all(fd, data, strlen(data), err) < 0 || close(fd) < 0) {
		unlinkat(dirfd, tmp, 0);
		return q_error_wrap(err, "write '%s'", name);
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return q_error(err, e, "rename '%s'", name);
	}
	return 0;
}

static json_t *index_entry_json(const struct image_writer *w, const struct descriptor *m)
{
	json_t *e = descriptor_to_json(m);
	if (!w->dst.tag)
		return e;
	json_t *ann = json_object();
	if (w->dst.transport == TRANSPORT_DOCKER_ARCHIVE) {
		/* Docker ≥ 25 names images this way in its OCI index. */
		json_object_set_new(ann, ANN_CONTAINERD_NAME, json_string(w->dst.tag));
		const char *colon = strrchr(w->dst.tag, ':');
		const char *slash = strrchr(w->dst.tag, '/');
		if (colon && (!slash || colon > slash))
			json_object_set_new(ann, ANN_REF_NAME, json_string(colon + 1));
	} else {
		json_object_set_new(ann, ANN_REF_NAME, json_string(w->dst.tag));
	}
	json_object_set_new(e, "annotations", ann);
	return e;
}

/* The index of an existing layout, less the entry our tag replaces. */
static json_t *existing_manifests(int dirfd, const char *tag, struct qerr *err)
{
	char *data;
	size_t len;
	json_t *out = json_array();
	if (read_file_at(dirfd, "index.json", IMAGE_MAX_JSON, &data, &len, err) < 0)
		return err->errnum == ENOENT ? out : (json_decref(out), NULL);
	json_t *ix = json_parse_bounded(data, len, IMAGE_MAX_JSON, "index.json", err);
	free(data);
	json_t *list = json_get_arr(ix, "manifests");
	if (!ix || !list) {
		json_decref(out);
		if (ix)
			json_decref(ix);
		return ix ? (q_error(err, 0, "index.json: manifests is not an array"), NULL) : NULL;
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);
		const char *name = json_get_str(json_get_obj(e, "annotations"), ANN_REF_NAME);
		/* Untagged writes replace untagged entries, tagged ones their tag. */
		if ((tag && name && !strcmp(name, tag)) || (!tag && !name))
			continue;
		json_array_append(out, e);
	}
	json_decref(ix);
	return out;
}

static int write_index(struct image_writer *w, int dirfd, const struct descriptor *m,
		       bool merge, struct qerr *err)
{
	json_t *list = merge ? existing_manifests(dirfd, w->dst.tag, err) : json_array();
	if (!list)
		return -1;
	json_array_append_new(list, index_entry_json(w, m));
	json_t *ix = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX,
			       "manifests", list);
	char *s = json_dump_sorted(ix, false);
	json_decref(ix);
	int rc = write_small_file(dirfd, "index.json", s, err);
	free(s);
	if (rc == 0)
		rc = write_small_file(dirfd, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", err);
	return rc;
}

static int write_docker_manifest_json(struct image_writer *w, const struct descriptor *config,
				      struct qerr *err)
{
	json_t *layers = json_array();
	for (size_t i = 0; i < w->n_layers; i++) {
		char *p = blob_path(w->layers[i].desc.digest);
		json_array_append_new(layers, json_string(p));
		free(p);
	}
	json_t *tags = json_array();
	if (w->dst.tag)
		json_array_append_new(tags, json_string(w->dst.tag));
	cleanup_free char *cfg = blob_path(config->digest);
	json_t *m = json_pack("[{s:s, s:o, s:o}]", "Config", cfg, "RepoTags", tags, "Layers",
			      layers);
	char *s = json_dump_sorted(m, false);
	json_decref(m);
	int rc = write_small_file(w->stage_fd, "manifest.json", s, err);
	free(s);
	return rc;
}

/* Move the staged blobs into an existing layout; content-addressed names
 * make a blob that is already there the same file. */
static int move_blobs(struct image_writer *w, int dest_fd, struct qerr *err)
{
	if ((mkdirat(dest_fd, "blobs", 0755) < 0 && errno != EEXIST) ||
	    (mkdirat(dest_fd, "blobs/sha256", 0755) < 0 && errno != EEXIST))
		return q_error(err, errno, "create '%s/blobs/sha256'", w->dst.path);
	int fd = openat(w->stage_fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return q_error(err, errno, "open '%s/blobs/sha256'", w->stage);
	}
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		cleanup_free char *to = xasprintf("blobs/sha256/%s", de->d_name);
		if (renameat(dirfd(d), de->d_name, dest_fd, to) < 0)
			rc = q_error(err, errno, "move blob '%s' into '%s'", de->d_name, w->dst.path);
	}
	closedir(d);
	return rc;
}

static bool dir_is_empty(int fd)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return false;
	}
	struct dirent *de;
	bool empty = true;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

static int finish_oci_dir(struct image_writer *w, const struct descriptor *m, struct qerr *err)
{
	cleanup_close int dest_fd = open(w->dst.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dest_fd < 0 && errno != ENOENT)
		return q_error(err, errno, "open '%s'", w->dst.path);
	if (dest_fd < 0) {
		if (write_index(w, w->stage_fd, m, false, err) < 0)
			return -1;
		if (rename(w->stage, w->dst.path) < 0)
			return q_error(err, errno, "rename '%s' to '%s'", w->stage, w->dst.path);
		free(w->stage);
		w->stage = NULL;
		return 0;
	}
	if (faccessat(dest_fd, "oci-layout", F_OK, 0) < 0 && !dir_is_empty(dest_fd))
		return q_error(err, 0, "'%s' exists and is not an OCI image layout", w->dst.path);
	if (move_blobs(w, dest_fd, err) < 0)
		return -1;
	return write_index(w, dest_fd, m, true, err);
}

struct fd_sink {
	int fd;
};

static int fd_sink_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	return write_all(((struct fd_sink *)ctx)->fd, buf, len, err);
}

/* The stage as one deterministic tar: sorted, owner 0, fixed mtime. */
static int tar_stage(struct image_writer *w, int fd, struct qerr *err)
{
	struct fd_sink fs = { fd };
	struct byte_sink sink = { fd_sink_write, &fs };
	struct tar_writer *tw = tar_writer_new(&sink);
	struct tree_opts topts = { .normalize_owner = true, .mtime = source_date_epoch(0) };
	int rc = fs_write_tree(w->stage_fd, tw, &topts, err);
	if (rc == 0)
		rc = tar_writer_finish(tw, err);
	tar_writer_free(tw);
	return rc;
}

static int finish_archive(struct image_writer *w, const struct descriptor *m,
			  const struct descriptor *config, struct qerr *err)
{
	if (write_index(w, w->stage_fd, m, false, err) < 0)
		return -1;
	if (w->dst.transport == TRANSPORT_DOCKER_ARCHIVE &&
	    write_docker_manifest_json(w, config, err) < 0)
		return -1;
	struct atomic_file af;
	if (atomic_file_open(&af, w->dst.path, 0644, err) < 0)
		return -1;
	if (tar_stage(w, af.fd, err) < 0) {
		atomic_file_abort(&af);
		return q_error_wrap(err, "write '%s'", w->dst.path);
	}
	return atomic_file_commit(&af, err);
}

int image_writer_commit(struct image_writer *w, const struct image_config *cfg,
			const struct image *src, struct qerr *err)
{
	if (w->committed)
		BUG("image_writer_commit twice");
	if (!cfg && !src)
		BUG("image_writer_commit without a config");
	struct descriptor config = { 0 }, manifest = { 0 };
	int rc = write_config(w, cfg, src, &config, err);
	if (rc == 0)
		rc = write_manifest(w, &config, &manifest, err);
	if (rc == 0) {
		snprintf(w->manifest_digest, sizeof(w->manifest_digest), "%s", manifest.digest);
		rc = w->dst.transport == TRANSPORT_OCI ? finish_oci_dir(w, &manifest, err)
						       : finish_archive(w, &manifest, &config, err);
	}
	descriptor_release(&config);
	descriptor_release(&manifest);
	if (rc < 0)
		return q_error_wrap(err, "%s:%s", transport_name(w->dst.transport), w->dst.path);
	w->committed = true;
	return 0;
}
