/* Fuzz the Debian DSA/DLA list reader: any file, imported and rolled back. */
#include "fuzz_import_file.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	return fuzz_import_file("debian-dsa-list", "txt", import_debian_dsa_list, data, size);
}
