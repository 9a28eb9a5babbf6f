/* For the harden unit tests: a temporary directory per test program with
 * an image root and a stage in it (dir/root, dir/stage), made by the group
 * setup and removed by its teardown. */
#ifndef QUENCH_TEST_STAGE_DIRS_H
#define QUENCH_TEST_STAGE_DIRS_H

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

#endif
