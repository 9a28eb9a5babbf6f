/* go: placeholder until the parser lands. */
#include "catalog_internal.h"

void go_collect(struct catalog *c)
{
	(void)c;
}
