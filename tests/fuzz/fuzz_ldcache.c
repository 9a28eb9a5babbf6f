/* Fuzz the ld.so.cache reader and writer: any input is refused or parsed
 * within bounds; what was parsed, written and parsed again is the same
 * cache, and writing that gives the same bytes. */
#include "catalog/catalog.h"

static bool same_entry(const struct ldcache_entry *a, const struct ldcache_entry *b)
{
	return a->flags == b->flags && !strcmp(a->key, b->key) && !strcmp(a->value, b->value) &&
	       a->osversion == b->osversion && a->hwcap == b->hwcap;
}

static bool same(const struct ldcache *a, const struct ldcache *b)
{
	if (a->n != b->n || a->flags != b->flags || a->hwcaps.n != b->hwcaps.n ||
	    !a->generator != !b->generator || (a->generator && strcmp(a->generator, b->generator)))
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!same_entry(&a->v[i], &b->v[i]))
			return false;
	for (size_t i = 0; i < a->hwcaps.n; i++)
		if (strcmp(a->hwcaps.v[i], b->hwcaps.v[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qerr err = QERR_INIT;
	struct ldcache a, b;
	if (ldcache_parse(data, size, &a, &err) < 0)
		return 0;
	struct strbuf w1 = STRBUF_INIT, w2 = STRBUF_INIT;
	ldcache_write(&a, &w1);
	if (ldcache_parse(w1.buf, w1.len, &b, &err) < 0 || !same(&a, &b))
		abort();
	ldcache_write(&b, &w2);
	if (w1.len != w2.len || memcmp(w1.buf, w2.buf, w1.len))
		abort();
	ldcache_release(&a);
	ldcache_release(&b);
	strbuf_release(&w1);
	strbuf_release(&w2);
	return 0;
}
