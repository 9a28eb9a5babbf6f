/* For the harden unit tests: a temporary directory per test program with
 * an image root and a stage in it (dir/root, dir/stage), made by the group
 * setup and removed by its teardown; and the root imported as an image and
 * cataloged, as quench catalogs images. Include it after cmocka.h. */
#ifndef QUENCH_TEST_STAGE_DIRS_H
#define QUENCH_TEST_STAGE_DIRS_H

#include "catalog/catalog.h"
#include "image/image.h"

#include <stdio.h>
#include <stdlib.h>

static char dir[] = "/tmp/quench-harden-test-XXXXXX";
static char root[128], stage[128];

static int stage_dirs_setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(stage, sizeof(stage), "%s/stage", dir);
	return 0;
}

static int stage_dirs_teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct catalog *stage_dirs_catalog(const struct catalog_opts *co)
{
	char ref_s[256];
	snprintf(ref_s, sizeof(ref_s), "oci:%s/img:1", dir);
	struct image_ref ref = IMAGE_REF_INIT;
	struct qerr err = QERR_INIT;
	assert_int_equal(image_ref_parse(ref_s, &ref, &err), 0);
	struct image_config cfg = { 0 };
	struct image_writer_opts wo = { .compression = COMP_GZIP };
	struct tree_opts to = { .mtime = 0 };
	if (image_import(root, &ref, &wo, &cfg, &to, NULL, &err) < 0)
		fail_msg("import: %s", err.msg);
	struct image *img = image_open(&ref, NULL, &err);
	assert_non_null(img);
	struct catalog *c = catalog_image(img, co, &err);
	if (!c)
		fail_msg("catalog: %s", err.msg);
	image_free(img);
	image_ref_release(&ref);
	return c;
}

#endif
