/* quench copy SRC DST: convert between transports, recompressing layers. */
#include "cmd.h"

enum { OPT_PLATFORM = 256, OPT_COMPRESS, OPT_LEVEL };

/* skopeo keeps layers as they are unless asked; so do we, but for
 * docker-archive (uncompressed, as `docker save` writes) and for rootfs
 * sources (gzip, as a registry wants). */
static void default_compression(const struct image_ref *src, const struct image_ref *dst,
				struct image_writer_opts *wo)
{
	if (dst->transport == TRANSPORT_DOCKER_ARCHIVE)
		wo->compression = COMP_NONE;
	else if (src->transport == TRANSPORT_ROOTFS)
		wo->compression = COMP_GZIP;
	else
		wo->keep_compression = true;
}

static int copy_image(struct image *img, const struct image_ref *dst,
		      const struct image_writer_opts *wo, char *digest, struct qerr *err)
{
	struct image_writer *w = image_writer_new(dst, wo, err);
	if (!w)
		return -1;
	int rc = image_writer_copy_layers(w, img, err);
	if (rc == 0)
		rc = image_writer_commit(w, NULL, img, err);
	if (rc == 0)
		snprintf(digest, DIGEST_STR_MAX, "%s", image_writer_manifest_digest(w));
	image_writer_free(w);
	return rc;
}

int cmd_copy(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "compress", required_argument, NULL, OPT_COMPRESS },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts co = { 0 };
	const char *platform = NULL, *compress = NULL;
	struct image_writer_opts wo = { .threads = cpu_count() };
	struct qerr err = QERR_INIT;
	uint64_t level;
	int c;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_opt(&co, c, optarg, "copy"))
			continue;
		if (c == OPT_PLATFORM)
			platform = optarg;
		else if (c == OPT_COMPRESS)
			compress = optarg;
		else if (c == OPT_LEVEL && parse_u64(optarg, 22, &level) == 0)
			wo.level = (int)level;
		else
			return usage_error("copy", "bad option or value");
	}
	if (argc - optind != 2)
		return usage_error("copy", "expected SRC and DST");
	common_finish(&co);
	struct image_ref src = IMAGE_REF_INIT, dst = IMAGE_REF_INIT;
	if (image_ref_parse(argv[optind], &src, &err) < 0 ||
	    image_ref_parse(argv[optind + 1], &dst, &err) < 0) {
		image_ref_release(&src);
		return usage_error("copy", "%s", err.msg);
	}
	default_compression(&src, &dst, &wo);
	if (compress && compression_parse(compress, &wo.compression, &err) < 0) {
		image_ref_release(&src);
		image_ref_release(&dst);
		return usage_error("copy", "%s", err.msg);
	}
	if (compress)
		wo.keep_compression = false;
	struct image *img = open_image_arg(argv[optind], platform, &err);
	char digest[DIGEST_STR_MAX] = "";
	int rc = img ? copy_image(img, &dst, &wo, digest, &err) : -1;
	image_free(img);
	image_ref_release(&src);
	image_ref_release(&dst);
	if (rc < 0)
		return fail("copy", &err);
	if (!co.quiet)
		printf("%s\n", digest);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}
