/* A small open-addressing hash map from byte strings to uint64_t: the
 * paths an extraction created, the directories whose metadata waits for
 * the end of a layer, the (device, inode) pairs of hard links in a tree.
 * Keys come from hostile archives, so the hash is seeded per process. */
#include "fs/fs_internal.h"

#include <time.h>

static uint64_t seed;

/* Set once; threads racing here agree on the first value stored. */
static uint64_t get_seed(void)
{
	uint64_t s = __atomic_load_n(&seed, __ATOMIC_ACQUIRE);
	if (s)
		return s;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t cand = (((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ull) | 1;
	uint64_t zero = 0;
	if (__atomic_compare_exchange_n(&seed, &zero, cand, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return cand;
	return zero;
}

static uint64_t hash_bytes(const void *key, size_t len)
{
	/* FNV-1a over the seed, then a final mix so low bits are usable. */
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull ^ get_seed();
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static struct fs_map_slot *find(const struct fs_map *m, const void *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct fs_map_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && s->len == len && !memcmp(s->key, key, len)))
			return s;
	}
}

static void grow(struct fs_map *m)
{
	struct fs_map old = *m;
	m->cap = old.cap ? old.cap * 2 : 64;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old.cap; i++) {
		struct fs_map_slot *o = &old.slots[i];
		if (o->key)
			*find(m, o->key, o->len, o->hash) = *o;
	}
	free(old.slots);
}

uint64_t *fs_map_get(const struct fs_map *m, const void *key, size_t len)
{
	if (!m->cap)
		return NULL;
	struct fs_map_slot *s = find(m, key, len, hash_bytes(key, len));
	return s->key ? &s->val : NULL;
}

uint64_t *fs_map_put(struct fs_map *m, const void *key, size_t len, bool *added)
{
	if ((m->n + 1) * 4 > m->cap * 3)      /* keep the load under 3/4 */
		grow(m);
	uint64_t h = hash_bytes(key, len);
	struct fs_map_slot *s = find(m, key, len, h);
	if (added)
		*added = !s->key;
	if (!s->key) {
		s->key = xmalloc(len + 1);
		memcpy(s->key, key, len);
		s->key[len] = '\0';
		s->len = len;
		s->hash = h;
		s->val = 0;
		m->n++;
	}
	return &s->val;
}

void fs_map_release(struct fs_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	*m = (struct fs_map)FS_MAP_INIT;
}
