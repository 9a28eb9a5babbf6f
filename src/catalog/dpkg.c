/* dpkg: placeholder until the parser lands. */
#include "catalog_internal.h"

bool dpkg_wants(const char *path)
{
	(void)path;
	return false;
}

void dpkg_collect(struct catalog *c, const struct cat_input *in)
{
	(void)c;
	(void)in;
}
