/* Merging scanned layers into the final tree, as an unpack would leave it
 * (OCI image spec, "Whiteouts": markers hide only what lower layers hold).
 *
 * Instead of replaying deletions, each path remembers the highest layer
 * that hid it: a whiteout hides the path and all below it; an opaque
 * directory, or a non-directory written over a directory, hides what is
 * below. An entry survives when no higher layer hid it or any ancestor.
 */
#include "scan_internal.h"
#include "fs/fs.h"

#include <string.h>

void layer_scan_release(struct layer_scan *ls)
{
	for (size_t i = 0; i < ls->n_ents; i++) {
		free(ls->ents[i].path);
		free(ls->ents[i].link);
		elf_info_free(ls->ents[i].elf);
	}
	free(ls->ents);
	for (size_t i = 0; i < ls->n_blobs; i++) {
		free(ls->blobs[i].path);
		free(ls->blobs[i].data);
	}
	free(ls->blobs);
	memset(ls, 0, sizeof(*ls));
}

void cat_blobs_release(struct cat_blobs *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].path);
		free(b->v[i].data);
	}
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

struct hides {
	struct strmap self_and_below;   /* path → 1 + highest hiding layer */
	struct strmap below;
};

static void hide(struct strmap *m, const char *path, uint32_t layer)
{
	size_t v;
	if (!strmap_get(m, path, &v) || v < layer + 1u)
		strmap_put(m, path, layer + 1u);
}

static void collect_hides(struct hides *h, struct layer_scan *scans, size_t n)
{
	for (size_t l = 0; l < n; l++)
		for (size_t i = 0; i < scans[l].n_ents; i++) {
			const struct layer_entry *e = &scans[l].ents[i];
			if (e->kind == ENT_WHITEOUT)
				hide(&h->self_and_below, e->path, (uint32_t)l);
			else if (e->kind == ENT_OPAQUE || e->type != TAR_DIR)
				hide(&h->below, e->path, (uint32_t)l);
		}
}

static bool hidden_at(const struct strmap *m, const char *key, uint32_t layer)
{
	size_t v;
	return strmap_get(m, key, &v) && v > layer + 1u;
}

/* Did a layer above `layer` hide path or one of its ancestors? */
static bool is_hidden(const struct hides *h, const char *path, uint32_t layer, struct strbuf *tmp)
{
	if (hidden_at(&h->self_and_below, path, layer) || hidden_at(&h->below, "", layer))
		return true;
	strbuf_reset(tmp);
	strbuf_adds(tmp, path);
	for (char *p = tmp->buf; (p = strchr(p, '/')); p++) {
		*p = '\0';
		bool hid = hidden_at(&h->self_and_below, tmp->buf, layer) ||
			   hidden_at(&h->below, tmp->buf, layer);
		*p = '/';
		if (hid)
			return true;
	}
	return false;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct cat_file *)a)->path, ((const struct cat_file *)b)->path);
}

static int cmp_blob(const void *a, const void *b)
{
	return strcmp(((const struct cat_blob *)a)->path, ((const struct cat_blob *)b)->path);
}

/* Move entry e of scan ls into the catalog (and its blob into kept). */
static void take(struct catalog *c, size_t *cap, struct layer_scan *ls, struct layer_entry *e,
		 struct cat_blobs *kept, size_t *kept_cap)
{
	c->files = xgrow(c->files, cap, c->n_files + 1, sizeof(*c->files));
	c->files[c->n_files++] = (struct cat_file){
		.path = steal_pointer(&e->path), .type = e->type, .mode = e->mode,
		.uid = e->uid, .gid = e->gid, .size = e->size, .link = steal_pointer(&e->link),
		.layer = ls->layer, .owner = -1, .elf = steal_pointer(&e->elf),
	};
	if (e->blob < 0)
		return;
	struct cat_blob *b = &ls->blobs[e->blob];
	kept->v = xgrow(kept->v, kept_cap, kept->n + 1, sizeof(*kept->v));
	kept->v[kept->n++] = *b;
	memset(b, 0, sizeof(*b));
}

void catalog_merge(struct catalog *c, struct layer_scan *scans, size_t n, struct cat_blobs *kept)
{
	struct hides h = { STRMAP_INIT, STRMAP_INIT };
	collect_hides(&h, scans, n);
	/* The last writer of each path: layer << 32 | entry index. */
	struct strmap winner = STRMAP_INIT;
	for (size_t l = 0; l < n; l++)
		for (size_t i = 0; i < scans[l].n_ents; i++)
			if (scans[l].ents[i].kind == ENT_FILE)
				strmap_put(&winner, scans[l].ents[i].path, (size_t)l << 32 | i);
	struct strbuf tmp = STRBUF_INIT;
	size_t *survivors = xcalloc(winner.n ? winner.n : 1, sizeof(*survivors));
	size_t n_surv = 0;
	for (size_t s = 0; s < winner.cap; s++) {
		if (!winner.slots[s].key)
			continue;
		size_t v = winner.slots[s].value;
		if (!is_hidden(&h, winner.slots[s].key, (uint32_t)(v >> 32), &tmp))
			survivors[n_surv++] = v;
	}
	strbuf_release(&tmp);
	strmap_release(&winner);
	strmap_release(&h.self_and_below);
	strmap_release(&h.below);
	size_t cap = 0, kept_cap = 0;
	for (size_t k = 0; k < n_surv; k++) {
		struct layer_scan *ls = &scans[survivors[k] >> 32];
		take(c, &cap, ls, &ls->ents[survivors[k] & 0xffffffffu], kept, &kept_cap);
	}
	free(survivors);
	if (c->n_files)
		qsort(c->files, c->n_files, sizeof(*c->files), cmp_file);
	if (kept->n)
		qsort(kept->v, kept->n, sizeof(*kept->v), cmp_blob);
}
