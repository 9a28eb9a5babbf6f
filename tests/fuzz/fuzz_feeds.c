/* Fuzz what db update parses: feed lists (--feeds-file) and the reply
 * header lines it keeps (ETag, Last-Modified), which go back to the server
 * in the next request. Any input either fails with a message or gives
 * feeds whose names and URLs obey the rules the rest of update relies on (a
 * name is a safe file name, a URL has no blank or control character), and
 * header values that are printable ASCII, trimmed and bounded. Anything
 * else aborts. */
#include "vuln/vuln.h"
#include "vuln/update_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_feeds(const uint8_t *data, size_t size)
{
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
}

static void check_header(const uint8_t *data, size_t size, const char *name)
{
	char *v = feed_header_value((const char *)data, size, name);
	if (!v)
		return;
	size_t n = strlen(v);
	if (n == 0 || n > FEED_VALIDATOR_MAX || v[0] == ' ' || v[n - 1] == ' ')
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			abort();
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	check_feeds(data, size);
	check_header(data, size, "ETag");
	check_header(data, size, "Last-Modified");
	return 0;
}
