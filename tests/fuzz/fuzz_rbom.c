/* Fuzz the RBOM reader, merge and summary: any file, loaded from a memfd,
 * merged with itself, printed. */
#include "fuzz_memfd.h"
#include "trace/trace.h"

#include <jansson.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd(data, size, path);
	if (fd < 0)
		return 0;
	struct qerr err = QERR_INIT;
	json_t *doc;
	if (rbom_load(path, &doc, &err) == 0) {
		json_t *docs[2] = { doc, doc }, *merged;
		if (rbom_merge(docs, 2, &merged, &err) == 0) {
			FILE *null = fopen("/dev/null", "w");
			if (null) {
				rbom_print_table(null, merged);
				fclose(null);
			}
			json_decref(merged);
		}
		json_decref(doc);
	}
	close(fd);
	return 0;
}
