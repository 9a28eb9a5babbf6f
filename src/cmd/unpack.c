/* quench unpack IMAGE DIR */
#include "cmd.h"
#include "fs/fs.h"
#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>

enum { OPT_PLATFORM = 256, OPT_DEVICES, OPT_NO_OWNER };

struct unpack_progress {
	struct progress bar;
	struct image *img;
	size_t layer;
	char label[64];
};

static void on_progress(void *ctx, size_t layer, uint64_t consumed)
{
	struct unpack_progress *p = ctx;
	if (layer != p->layer || !p->bar.label) {
		p->layer = layer;
		snprintf(p->label, sizeof(p->label), "layer %zu/%zu %.19s", layer + 1,
			 p->img->n_layers, p->img->layers[layer].desc.digest);
		struct common_opts co = { .quiet = !p->bar.on };
		progress_start(&p->bar, &co, p->label, p->img->layers[layer].desc.size);
	}
	progress_update(&p->bar, consumed);
}

static void report(FILE *f, const struct common_opts *co, const struct image *img,
		   const char *dir, const struct extract_stats *s, double secs)
{
	if (co->format == FORMAT_JSON) {
		json_t *j = json_pack(
			"{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "digest",
			img->manifest_digest, "directory", dir, "layers", (json_int_t)img->n_layers,
			"files", (json_int_t)s->files, "directories", (json_int_t)s->dirs, "symlinks",
			(json_int_t)s->symlinks, "hardlinks", (json_int_t)s->hardlinks, "whiteouts",
			(json_int_t)(s->whiteouts + s->opaque_dirs), "bytes", (json_int_t)s->bytes,
			"devicesSkipped", (json_int_t)s->devices_skipped, "ownersNotApplied",
			(json_int_t)s->owners_not_applied, "xattrsSkipped",
			(json_int_t)s->xattrs_skipped, "seconds", secs);
		char *out = json_dump_sorted(j, true);
		fprintf(f, "%s\n", out);
		free(out);
		json_decref(j);
		return;
	}
	char b[32];
	fprintf(f, "unpacked %s into %s: %zu layers, %llu files (%s), %llu dirs, %llu symlinks, "
		   "%llu hard links, %llu whiteouts in %.2f s\n",
		img->manifest_digest, dir, img->n_layers, (unsigned long long)s->files,
		human_size(s->bytes, b, sizeof(b)), (unsigned long long)s->dirs,
		(unsigned long long)s->symlinks, (unsigned long long)s->hardlinks,
		(unsigned long long)(s->whiteouts + s->opaque_dirs), secs);
	if (s->devices_skipped)
		fprintf(f, "skipped %llu device nodes (use --devices as root to create them)\n",
			(unsigned long long)s->devices_skipped);
	if (s->owners_not_applied)
		fprintf(f, "ownership not applied to %llu entries (not running as root)\n",
			(unsigned long long)s->owners_not_applied);
}

/* Unpack into a sibling temporary directory and rename it into place, so a
 * failed unpack leaves no half-written tree. */
int unpack_to_dir(struct image *img, const char *dir, const struct extract_opts *eo,
		  struct extract_stats *stats, unpack_progress_fn fn, void *ctx, struct qerr *err)
{
	struct stat st;
	if (stat(dir, &st) == 0 && (!S_ISDIR(st.st_mode) || rmdir(dir) < 0))
		return q_error(err, errno == ENOTEMPTY || errno == EEXIST ? 0 : errno,
			       "'%s' exists and is not an empty directory", dir);
	cleanup_free char *tmp = xasprintf("%s.tmp-%d", dir, (int)getpid());
	fs_remove_at(AT_FDCWD, tmp, err);
	if (mkdir(tmp, 0755) < 0)
		return q_error(err, errno, "create '%s'", tmp);
	int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 ? q_error(err, errno, "open '%s'", tmp)
			: image_unpack(img, fd, eo, stats, fn, ctx, err);
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(tmp, dir) < 0)
		rc = q_error(err, errno, "rename '%s' to '%s'", tmp, dir);
	if (rc < 0) {
		struct qerr ignored = QERR_INIT;
		fs_remove_at(AT_FDCWD, tmp, &ignored);
	}
	return rc;
}

int cmd_unpack(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "devices", no_argument, NULL, OPT_DEVICES },
		{ "no-owner", no_argument, NULL, OPT_NO_OWNER },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts co = { 0 };
	const char *platform = NULL;
	bool root = geteuid() == 0;
	struct extract_opts eo = { .apply_owner = root, .apply_xattrs = true };
	int c;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_opt(&co, c, optarg, "unpack"))
			continue;
		switch (c) {
		case OPT_PLATFORM: platform = optarg; break;
		case OPT_DEVICES: eo.create_devices = true; break;
		case OPT_NO_OWNER: eo.apply_owner = false; break;
		default: return usage_error("unpack", "unknown option or format");
		}
	}
	if (argc - optind != 2)
		return usage_error("unpack", "expected IMAGE and DIR");
	common_finish(&co);
	struct qerr err = QERR_INIT;
	struct image *img = open_image_arg(argv[optind], platform, &err);
	if (!img)
		return fail("unpack", &err);
	struct unpack_progress up = { .img = img };
	up.bar.on = !co.quiet && isatty(STDERR_FILENO);
	struct extract_stats stats = { 0 };
	uint64_t t0 = now_ms();
	int rc = unpack_to_dir(img, argv[optind + 1], &eo, &stats, on_progress, &up, &err);
	progress_end(&up.bar);
	if (rc < 0) {
		image_free(img);
		return fail("unpack", &err);
	}
	struct output out;
	if (out_open(&out, co.output, &err) < 0) {
		image_free(img);
		return fail("unpack", &err);
	}
	if (!co.quiet || co.output)
		report(out.f, &co, img, argv[optind + 1], &stats, (double)(now_ms() - t0) / 1000.0);
	image_free(img);
	if (out_close(&out, true, &err) < 0)
		return fail("unpack", &err);
	return EXIT_OK;
}
