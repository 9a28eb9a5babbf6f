/* elf: placeholder until the scanner lands. */
#include "catalog_internal.h"

#include <string.h>

struct elf_scan {
	int unused;
};

bool elf_magic(const void *head, size_t len)
{
	return len >= 4 && !memcmp(head, "\177ELF", 4);
}

struct elf_scan *elf_scan_new(void)
{
	return xcalloc(1, sizeof(struct elf_scan));
}

void elf_scan_feed(struct elf_scan *s, const void *data, size_t len)
{
	(void)s;
	(void)data;
	(void)len;
}

struct elf_info *elf_scan_finish(struct elf_scan *s, const char **why)
{
	(void)s;
	*why = "not implemented";
	return NULL;
}

void elf_scan_free(struct elf_scan *s)
{
	free(s);
}

void elf_info_free(struct elf_info *e)
{
	if (!e)
		return;
	free(e->build_id);
	free(e->soname);
	free(e->interp);
	strvec_clear(&e->needed);
	free(e->go_version);
	free(e->go_modinfo);
	free(e);
}
