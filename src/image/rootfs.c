/* Root filesystems as images: `quench import`, and the rootfs: transport
 * (read as a temporary one-layer layout). */
#include "image_internal.h"
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

struct dir_producer {
	int root_fd;
	const struct tree_opts *topts;
};

static int produce_from_dir(void *ctx, const struct byte_sink *out, struct qerr *err)
{
	struct dir_producer *p = ctx;
	struct tar_writer *tw = tar_writer_new(out);
	int rc = fs_write_tree(p->root_fd, tw, p->topts, err);
	if (rc == 0)
		rc = tar_writer_finish(tw, err);
	tar_writer_free(tw);
	return rc;
}

struct fd_src {
	int fd;
};

static ssize_t fd_src_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	struct fd_src *s = ctx;
	for (;;) {
		ssize_t n = read(s->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return q_error(err, errno, "read");
		return n;
	}
}

/* A tar file is the layer as given, decompressed when it is compressed;
 * reading it through the tar reader checks it is a whole, valid archive. */
static int produce_from_tar(void *ctx, const struct byte_sink *out, struct qerr *err)
{
	int fd = *(int *)ctx;
	unsigned char head[4] = { 0 };
	ssize_t got = pread(fd, head, sizeof(head), 0);
	enum compression c = compression_detect(head, got > 0 ? (size_t)got : 0);
	struct fd_src fs = { fd };
	struct byte_source raw = { fd_src_read, NULL, &fs };
	struct decompressor *d = decompressor_new(c, &raw);
	const struct byte_source *src = decompressor_source(d);
	cleanup_free char *buf = xmalloc(1 << 20);
	int rc = 0;
	for (;;) {
		ssize_t n = src->read(src->ctx, buf, 1 << 20, err);
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		if (out->write(out->ctx, buf, (size_t)n, err) < 0) {
			rc = -1;
			break;
		}
	}
	decompressor_free(d);
	return rc;
}

int image_import(const char *rootfs, const struct image_ref *dst,
		 const struct image_writer_opts *wopts, const struct image_config *cfg,
		 const struct tree_opts *topts, char *digest_out, struct qerr *err)
{
	cleanup_close int fd = open(rootfs, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return q_error(err, errno, "open '%s'", rootfs);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return q_error(err, 0, "'%s' is neither a directory nor a tar file", rootfs);
	struct image_writer *w = image_writer_new(dst, wopts, err);
	if (!w)
		return -1;
	struct dir_producer dp = { fd, topts };
	int rc = S_ISDIR(st.st_mode) ? image_writer_add_layer(w, produce_from_dir, &dp, err)
				     : image_writer_add_layer(w, produce_from_tar, &fd, err);
	if (rc < 0)
		q_error_wrap(err, "'%s'", rootfs);
	else
		rc = image_writer_commit(w, cfg, NULL, err);
	if (rc == 0 && digest_out)
		snprintf(digest_out, DIGEST_STR_MAX, "%s", image_writer_manifest_digest(w));
	image_writer_free(w);
	return rc;
}

int rootfs_to_layout(const char *path, char **layout_dir, struct qerr *err)
{
	const char *tmp = getenv("TMPDIR");
	cleanup_free char *dir = xasprintf("%s/quench-rootfs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return q_error(err, errno, "create a temporary directory");
	cleanup_free char *layout = xasprintf("%s/layout", dir);
	struct image_ref dst = { .transport = TRANSPORT_OCI, .path = layout };
	struct image_writer_opts wopts = { .compression = COMP_NONE, .threads = 1 };
	struct image_config cfg = { 0 };
	struct platform host;
	platform_host(&host);
	cfg.os = host.os;
	cfg.arch = host.arch;
	struct tree_opts topts = { .mtime = -1 };
	if (image_import(path, &dst, &wopts, &cfg, &topts, NULL, err) < 0) {
		struct qerr ignored = QERR_INIT;
		fs_remove_at(AT_FDCWD, dir, &ignored);
		return q_error_wrap(err, "rootfs:%s", path);
	}
	*layout_dir = steal_pointer(&dir);
	return 0;
}
