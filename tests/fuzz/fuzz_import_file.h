/* Shared by the fuzz targets of file-based advisory readers: the input is
 * written to a file and imported into a scratch database, then the import
 * is rolled back. The replay run leaves nothing in /tmp. */
#ifndef QUENCH_FUZZ_IMPORT_FILE_H
#define QUENCH_FUZZ_IMPORT_FILE_H

#include "vuln/import/import_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef int (*fuzz_importer)(struct vdb_import *im, const char *path, struct qerr *err);

static struct vdb *fuzz_db;
static char *fuzz_db_path, *fuzz_input;

static void fuzz_cleanup(void)
{
	vdb_close(fuzz_db);
	const char *suffix[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
		char *p = xasprintf("%s%s", fuzz_db_path, suffix[i]);
		unlink(p);
		free(p);
	}
	unlink(fuzz_input);
	free(fuzz_db_path);
	free(fuzz_input);
}

static void fuzz_setup(const char *tag, const char *ext)
{
	if (fuzz_db)
		return;
	fuzz_db_path = xasprintf("/tmp/quench-fuzz-%s-%d.db", tag, (int)getpid());
	struct qerr err = QERR_INIT;
	unlink(fuzz_db_path);
	if (vdb_open(fuzz_db_path, true, &fuzz_db, &err) < 0)
		abort();
	fuzz_input = xasprintf("/tmp/quench-fuzz-%s-%d.%s", tag, (int)getpid(), ext);
	atexit(fuzz_cleanup);
}

/* Import data (size bytes) as a file of format tag with the reader fn. */
static int fuzz_import_file(const char *tag, const char *ext, fuzz_importer fn,
			    const unsigned char *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	fuzz_setup(tag, ext);
	FILE *f = fopen(fuzz_input, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	struct qerr err = QERR_INIT;
	struct vdb_import *im = vdb_import_begin(fuzz_db, "fuzz", tag, &err);
	if (!im)
		abort();
	fn(im, fuzz_input, &err);
	vdb_import_abort(im);
	return 0;
}

#endif
