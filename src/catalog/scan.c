/* Layer scanning: placeholder until the scanner lands. */
#include "catalog_internal.h"
#include "image/image.h"

struct catalog *catalog_image(struct image *img, const struct catalog_opts *opts,
			      struct qerr *err)
{
	(void)img, (void)opts;
	q_error(err, 0, "not implemented yet");
	return NULL;
}

struct catalog *catalog_dir(const char *dir, const struct catalog_opts *opts, struct qerr *err)
{
	(void)dir, (void)opts;
	q_error(err, 0, "not implemented yet");
	return NULL;
}
