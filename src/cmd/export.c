/* quench export IMAGE FILE.tar: the flattened root filesystem as one tar. */
#include "cmd.h"
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>

enum { OPT_PLATFORM = 256, OPT_NO_CACHE };

struct fd_sink {
	int fd;
};

static int fd_sink_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	return write_all(((struct fd_sink *)ctx)->fd, buf, len, err);
}

/* The tree at dir as a tar written atomically to path. */
static int tree_to_tar(const char *dir, const char *path, struct qerr *err)
{
	cleanup_close int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return q_error(err, errno, "open '%s'", dir);
	struct atomic_file af;
	if (atomic_file_open(&af, path, 0644, err) < 0)
		return -1;
	struct fd_sink fs = { af.fd };
	struct byte_sink sink = { fd_sink_write, &fs };
	struct tar_writer *tw = tar_writer_new(&sink);
	struct tree_opts topts = { .mtime = -1 };
	int rc = fs_write_tree(root, tw, &topts, err);
	if (rc == 0)
		rc = tar_writer_finish(tw, err);
	tar_writer_free(tw);
	if (rc < 0) {
		atomic_file_abort(&af);
		return q_error_wrap(err, "write '%s'", path);
	}
	return atomic_file_commit(&af, err);
}

/* Through the unpack cache: a second export (or any later verb) of the
 * same layers does not unpack again. */
static int export_cached(struct image *img, const char *path, bool *owners_lost, struct qerr *err)
{
	struct extract_opts eo = { .apply_owner = geteuid() == 0, .apply_xattrs = true };
	cleanup_free char *dir = cache_dir();
	cleanup_free char *root = NULL;
	bool hit;
	if (image_rootfs_cached(img, dir, &eo, &root, &hit, err) < 0)
		return -1;
	q_info("%s cache entry %s", hit ? "using" : "created", root);
	*owners_lost = !eo.apply_owner;
	return tree_to_tar(root, path, err);
}

static int export_image(struct image *img, const char *path, struct extract_stats *stats,
			struct qerr *err)
{
	const char *tmp = getenv("TMPDIR");
	cleanup_free char *work = xasprintf("%s/quench-export-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(work))
		return q_error(err, errno, "create a temporary directory");
	cleanup_free char *root = xasprintf("%s/rootfs", work);
	struct extract_opts eo = { .apply_owner = geteuid() == 0, .apply_xattrs = true,
				   .create_devices = geteuid() == 0 };
	int rc = unpack_to_dir(img, root, &eo, stats, NULL, NULL, err);
	if (rc == 0)
		rc = tree_to_tar(root, path, err);
	struct qerr ignored = QERR_INIT;
	fs_remove_at(AT_FDCWD, work, &ignored);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts co = { 0 };
	const char *platform = NULL;
	bool use_cache = true;
	int c;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_opt(&co, c, optarg, "export"))
			continue;
		if (c == OPT_PLATFORM)
			platform = optarg;
		else if (c == OPT_NO_CACHE)
			use_cache = false;
		else
			return usage_error("export", "unknown option or format");
	}
	if (argc - optind != 2)
		return usage_error("export", "expected IMAGE and FILE.tar");
	common_finish(&co);
	struct qerr err = QERR_INIT;
	struct image *img = open_image_arg(argv[optind], platform, &err);
	if (!img)
		return fail("export", &err);
	struct extract_stats stats = { 0 };
	bool owners_lost = false;
	int rc = use_cache ? export_cached(img, argv[optind + 1], &owners_lost, &err)
			   : export_image(img, argv[optind + 1], &stats, &err);
	image_free(img);
	if (rc < 0)
		return fail("export", &err);
	if (stats.owners_not_applied || owners_lost)
		q_warn("not running as root: file owners in '%s' are the current user's",
		       argv[optind + 1]);
	return EXIT_OK;
}
