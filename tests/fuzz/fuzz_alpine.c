/* Fuzz the Alpine secdb reader: the input is written to a file and
 * imported into a scratch database, then the import is rolled back. */
#include "vuln/import/import_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct vdb *db;
static char *path, *input;

/* The replay run leaves nothing in /tmp. */
static void cleanup(void)
{
	vdb_close(db);
	const char *suffix[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
		char *p = xasprintf("%s%s", path, suffix[i]);
		unlink(p);
		free(p);
	}
	unlink(input);
	free(path);
	free(input);
}

static void setup(void)
{
	if (db)
		return;
	path = xasprintf("/tmp/quench-fuzz-alpine-%d.db", (int)getpid());
	struct qerr err = QERR_INIT;
	unlink(path);
	if (vdb_open(path, true, &db, &err) < 0)
		abort();
	input = xasprintf("/tmp/quench-fuzz-alpine-%d.json", (int)getpid());
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	setup();
	FILE *f = fopen(input, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	struct qerr err = QERR_INIT;
	struct vdb_import *im = vdb_import_begin(db, "fuzz", "alpine-secdb", &err);
	if (!im)
		abort();
	import_alpine_secdb(im, input, &err);
	vdb_import_abort(im);
	return 0;
}
