/* Fuzz feed lists (db update --feeds-file): any text either fails with a
 * message or gives feeds whose names and URLs obey the rules the rest of
 * update relies on (a name is a safe file name, a URL has no blank or
 * control character: it goes into a request line). Anything else aborts. */
#include "vuln/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	struct vdb_feeds fl = VDB_FEEDS_INIT;
	struct qerr err = QERR_INIT;
	if (vdb_feeds_parse(&fl, (const char *)data, size, "fuzz", &err) < 0 && !err.msg[0]) {
		fprintf(stderr, "failed without a message\n");
		abort();
	}
	for (size_t i = 0; i < fl.n; i++) {
		const char *n = fl.v[i].name, *u = fl.v[i].url;
		if (!*n || strlen(n) > 64 || n[0] == '.' || n[0] == '-' || strchr(n, '/') ||
		    (!str_starts_with(u, "http://") && !str_starts_with(u, "https://")))
			abort();
		for (const char *p = u; *p; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f)
				abort();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(fl.v[j].name, n))
				abort();
	}
	vdb_feeds_release(&fl);
	return 0;
}
