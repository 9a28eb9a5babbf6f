/* quench __probe-http FILE [WAIT_SECONDS]: internal, run by quench profile
 * inside the sandbox's network namespace: sends the requests of FILE (see
 * src/trace/probe_http.c), one line per request on stdout. Exit 0 when
 * every request got an answer. */
#include "cmd.h"
#include "trace/trace.h"

#include <jansson.h>

int cmd_probe_http(int argc, char **argv)
{
	struct qerr err = QERR_INIT;
	uint64_t wait = 60;
	if (argc < 2 || argc > 3 || (argc == 3 && parse_u64(argv[2], 86400, &wait) < 0))
		return usage_error("__probe-http", "expected FILE [WAIT_SECONDS]");
	json_t *reqs;
	if (probe_http_load(argv[1], &reqs, &err) < 0)
		return fail("__probe-http", &err);
	int rc = probe_http_run(reqs, (unsigned)wait, stdout) < 0 ? EXIT_FINDINGS : EXIT_OK;
	json_decref(reqs);
	return rc;
}
