/* Fuzz the HTTP probe requests reader (--probe-http-file): any file,
 * loaded from a memfd, checked; nothing is sent. */
#include "fuzz_memfd.h"
#include "trace/trace.h"

#include <jansson.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd(data, size, path);
	if (fd < 0)
		return 0;
	struct qerr err = QERR_INIT;
	json_t *reqs;
	if (probe_http_load(path, &reqs, &err) == 0)
		json_decref(reqs);
	close(fd);
	return 0;
}
