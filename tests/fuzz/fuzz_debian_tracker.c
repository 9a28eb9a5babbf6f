/* Fuzz the Debian tracker and Alpine secdb readers: the input written to a
 * file and imported as each format into a scratch database. */
#include "vuln/import/import_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct vdb *db;
static char *input;

static void setup(void)
{
	if (db)
		return;
	char *path = xasprintf("/tmp/quench-fuzz-distro-%d.db", (int)getpid());
	struct qerr err = QERR_INIT;
	unlink(path);
	if (vdb_open(path, true, &db, &err) < 0)
		abort();
	free(path);
	input = xasprintf("/tmp/quench-fuzz-distro-%d.json", (int)getpid());
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	setup();
	FILE *f = fopen(input, "w");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	for (int which = 0; which < 2; which++) {
		struct qerr err = QERR_INIT;
		struct vdb_import *im = vdb_import_begin(db, "fuzz", "distro", &err);
		if (!im)
			abort();
		if (which == 0)
			import_debian_tracker(im, input, &err);
		else
			import_alpine_secdb(im, input, &err);
		vdb_import_abort(im);
	}
	return 0;
}
