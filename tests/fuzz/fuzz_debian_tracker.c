/* Fuzz the Debian Security Tracker reader: any file, imported and rolled
 * back. */
#include "fuzz_import_file.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	return fuzz_import_file("debian-tracker", "json", import_debian_tracker, data, size);
}
