/* rpm: placeholder until the parser lands. */
#include "catalog_internal.h"

bool rpm_wants(const char *path)
{
	(void)path;
	return false;
}

void rpm_collect(struct catalog *c, const struct cat_input *in)
{
	(void)c;
	(void)in;
}
