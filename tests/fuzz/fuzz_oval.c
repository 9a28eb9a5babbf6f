/* Fuzz the Debian OVAL reader: any file (libarchive sniffs bzip2, gzip,
 * xz, zstd or plain XML), imported and rolled back. Nothing it reads may
 * crash, leak, expand an entity or touch the network. */
#include "fuzz_import_file.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	return fuzz_import_file("debian-oval", "xml", import_debian_oval, data, size);
}
