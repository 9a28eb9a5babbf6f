/* Fuzz the Alpine secdb reader: any file, imported and rolled back. */
#include "fuzz_import_file.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	return fuzz_import_file("alpine-secdb", "json", import_alpine_secdb, data, size);
}
