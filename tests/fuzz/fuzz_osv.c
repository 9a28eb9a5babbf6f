/* Fuzz the OSV reader: the input as one JSON record and as one YAML
 * record, imported into an in-memory database (rolled back each time).
 *
 * Invariants: a record is all or nothing (a warning means no advisory and
 * no rows), one record is at most one advisory, and only a database
 * failure is an error. Any breach aborts. */
#include "vuln/import/import_internal.h"

#include <stdlib.h>

static struct vdb *scratch_db(void)
{
	static struct vdb *db;
	if (!db) {
		struct qerr err = QERR_INIT;
		if (vdb_open(":memory:", true, &db, &err) < 0) {
			fprintf(stderr, "fuzz_osv: %s\n", err.msg);
			abort();
		}
	}
	return db;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	struct vdb *db = scratch_db();
	for (int yaml = 0; yaml < 2; yaml++) {
		struct qerr err = QERR_INIT;
		struct vdb_import_stats st = { 0 };
		struct vdb_import *im = vdb_import_begin(db, "fuzz", "osv", &err);
		if (!im) {
			fprintf(stderr, "fuzz_osv: %s\n", err.msg);
			abort();
		}
		vdb_import_track(im, &st);
		if (import_osv_record(im, "fuzz", (const char *)data, size, yaml, &err) < 0) {
			fprintf(stderr, "fuzz_osv: an error, not a warning: %s\n", err.msg);
			abort();
		}
		if (st.advisories > 1 || (st.skipped && (st.advisories || st.affected)) ||
		    (!st.advisories && st.affected)) {
			fprintf(stderr, "fuzz_osv: %llu advisories, %llu rows, %llu skipped\n",
				(unsigned long long)st.advisories, (unsigned long long)st.affected,
				(unsigned long long)st.skipped);
			abort();
		}
		vdb_import_abort(im);
		vdb_import_stats_release(&st);
	}
	return 0;
}
