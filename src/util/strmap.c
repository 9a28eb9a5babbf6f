/* A string-keyed hash map: open addressing, linear probing, FNV-1a. Keys
 * are not copied; values are size_t (an index into the caller's array). */
#include "util/util.h"

#include <string.h>

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void strmap_grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct strmap_slot *slots = xcalloc(cap, sizeof(*slots));
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].key)
			continue;
		size_t j = hash_str(m->slots[i].key) & (cap - 1);
		while (slots[j].key)
			j = (j + 1) & (cap - 1);
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
}

static struct strmap_slot *strmap_slot(const struct strmap *m, const char *key)
{
	size_t j = hash_str(key) & (m->cap - 1);
	while (m->slots[j].key && strcmp(m->slots[j].key, key))
		j = (j + 1) & (m->cap - 1);
	return &m->slots[j];
}

bool strmap_get(const struct strmap *m, const char *key, size_t *value)
{
	if (!m->cap)
		return false;
	struct strmap_slot *s = strmap_slot(m, key);
	if (!s->key)
		return false;
	if (value)
		*value = s->value;
	return true;
}

bool strmap_put(struct strmap *m, const char *key, size_t value)
{
	if ((m->n + 1) * 4 > m->cap * 3)
		strmap_grow(m);
	struct strmap_slot *s = strmap_slot(m, key);
	bool added = !s->key;
	if (added)
		m->n++;
	s->key = key;
	s->value = value;
	return added;
}

void strmap_release(struct strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
