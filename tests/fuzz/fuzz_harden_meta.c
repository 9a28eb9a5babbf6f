/* Fuzz harden's rewriting of package databases, the image's untrusted
 * files. The input is read as apk's installed database and as rpmdb.sqlite;
 * the catalog reads it, every other package is taken as gone, the database
 * is rewritten and read back. What must hold: nothing crashes, a gone
 * package is gone, and every package still kept is still there — with apk,
 * its record byte for byte. */
#include "catalog/catalog_internal.h"
#include "harden/harden_internal.h"

static struct catalog *collect(void (*fn)(struct catalog *, const struct cat_input *),
			       const char *path, const void *data, size_t size)
{
	struct cat_blob b = { .path = (char *)path, .data = xmalloc(size + 1), .len = size };
	memcpy(b.data, data, size);
	b.data[size] = 0;
	struct cat_input in = { &b, 1 };
	struct catalog *c = xcalloc(1, sizeof(*c));
	fn(c, &in);
	free(b.data);
	return c;
}

static void apk(const char *data, size_t size)
{
	struct catalog *c = collect(apk_collect, "lib/apk/db/installed", data, size);
	bool *kept = xcalloc(c->n_pkgs + 1, sizeof(*kept));
	size_t n_kept = 0;
	for (size_t i = 0; i < c->n_pkgs; i++)
		n_kept += kept[i] = i % 2;
	struct strbuf sb = STRBUF_INIT;
	if (harden_apk_prune(data, size, c, kept, &sb) > 0) {
		struct catalog *after = collect(apk_collect, "lib/apk/db/installed", sb.buf, sb.len);
		if (after->n_pkgs != n_kept)
			abort();
		/* the same records, in the same order (the catalog keeps the file's) */
		for (size_t i = 0, j = 0; i < c->n_pkgs; i++) {
			if (!kept[i])
				continue;
			const struct cat_pkg *p = &c->pkgs[i], *q = &after->pkgs[j++];
			if (p->record_len != q->record_len ||
			    memcmp(data + p->record, sb.buf + q->record, p->record_len))
				abort();
		}
		catalog_free(after);
	}
	strbuf_release(&sb);
	free(kept);
	catalog_free(c);
}

static bool has_hnum(const struct catalog *c, uint64_t hnum)
{
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (c->pkgs[i].record == hnum)
			return true;
	return false;
}

static void rpm(const char *data, size_t size)
{
	struct catalog *c = collect(rpm_collect, "var/lib/rpm/rpmdb.sqlite", data, size);
	int64_t *drop = xcalloc(c->n_pkgs + 1, sizeof(*drop));
	size_t n = 0;
	for (size_t i = 0; i < c->n_pkgs; i += 2)
		drop[n++] = (int64_t)c->pkgs[i].record;
	struct qerr err = QERR_INIT;
	char *out = NULL;
	size_t out_len;
	if (n && harden_rpmdb_prune(data, size, drop, n, &out, &out_len, &err) == 0) {
		struct catalog *after = collect(rpm_collect, "var/lib/rpm/rpmdb.sqlite", out, out_len);
		for (size_t i = 0; i < c->n_pkgs; i++)
			if (has_hnum(after, c->pkgs[i].record) != (i % 2 == 1))
				abort();
		catalog_free(after);
		free(out);
	}
	free(drop);
	catalog_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	apk((const char *)data, size);
	rpm((const char *)data, size);
	return 0;
}
