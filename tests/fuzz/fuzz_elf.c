/* Fuzz the streaming ELF scanner.
 *
 * The first byte picks how the rest is cut into chunks (1 byte, a few
 * bytes, odd sizes, all at once), so that every parse step meets every
 * boundary. Whatever is fed, the hash must be the input's, and a second
 * scan of the same bytes in one chunk must say the same, with one allowed
 * difference: a string table that lies before .dynamic and beyond the kept
 * prefix is gone by in chunks but in hand when all comes at once (then the
 * chunked scan has no DT_NEEDED and no DT_SONAME at all). Any other
 * mismatch aborts. */
#include "catalog/catalog_internal.h"

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* a: scanned in chunks; b: at once. */
static bool info_eq(const struct elf_info *a, const struct elf_info *b)
{
	if (!a || !b)
		return a == b;
	if (!a->needed.n && !a->soname && (b->needed.n || b->soname)) {
		struct elf_info bb = *b;   /* the allowed difference */
		bb.needed = (struct strvec)STRVEC_INIT;
		bb.soname = NULL;
		return info_eq(a, &bb);
	}
	if (strcmp(a->sha256, b->sha256) || !str_eq(a->build_id, b->build_id) ||
	    !str_eq(a->soname, b->soname) || !str_eq(a->interp, b->interp) ||
	    a->machine != b->machine || a->elf_class != b->elf_class ||
	    a->elf_type != b->elf_type || !str_eq(a->go_version, b->go_version) ||
	    !str_eq(a->go_modinfo, b->go_modinfo) || a->needed.n != b->needed.n)
		return false;
	for (size_t i = 0; i < a->needed.n; i++)
		if (strcmp(a->needed.v[i], b->needed.v[i]))
			return false;
	return true;
}

static struct elf_info *scan(const uint8_t *data, size_t size, uint8_t how)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 16, 17, 64, 4093 };
	struct elf_scan *s = elf_scan_new();
	uint32_t seed = how;
	for (size_t i = 0; i < size;) {
		size_t n;
		if (how == 0) {
			n = size;
		} else if (how < 128) {
			n = sizes[how % ARRAY_SIZE(sizes)];
		} else {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 97;
		}
		if (n > size - i)
			n = size - i;
		elf_scan_feed(s, data + i, n);
		i += n;
	}
	const char *why;
	struct elf_info *e = elf_scan_finish(s, &why);
	elf_scan_free(s);
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t how = data[0];
	data++, size--;
	struct elf_info *a = scan(data, size, how);
	struct elf_info *b = scan(data, size, 0);
	if (a) {
		char sum[DIGEST_STR_MAX];
		sha256_buf(data, size, sum);
		if (strcmp(a->sha256, sum)) {
			fprintf(stderr, "hash %s, want %s\n", a->sha256, sum);
			abort();
		}
	}
	if (!info_eq(a, b)) {
		fprintf(stderr, "chunking %u changed the result\n", how);
		abort();
	}
	elf_info_free(a);
	elf_info_free(b);
	return 0;
}
