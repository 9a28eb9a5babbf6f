/* rpm: the rpm database, as SQLite (rpmdb.sqlite, rpm >= 4.16) or as the
 * older Berkeley DB hash file (Packages).
 *
 * Both hold one rpm header blob per installed package; we parse the blobs
 * ourselves. Everything here is hostile input: SQLite is opened on a private
 * in-memory copy, read-only, defensive, with no views, triggers or attached
 * files and a bound on the work it may do; every offset and count of a
 * header or a Berkeley DB page is checked before it is used. Errors are
 * warnings naming the file.
 */
#include "catalog_internal.h"

#include <inttypes.h>
#include <sqlite3.h>

bool rpm_wants(const char *path)
{
	return !strcmp(path, "var/lib/rpm/rpmdb.sqlite") ||
	       !strcmp(path, "usr/lib/sysimage/rpm/rpmdb.sqlite") ||
	       !strcmp(path, "var/lib/rpm/Packages") ||
	       !strcmp(path, "usr/lib/sysimage/rpm/Packages");
}

/* ---- big-endian (rpm) and either-endian (Berkeley DB) reads ---------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t rd32(const uint8_t *p, bool swap)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const uint8_t *p, bool swap)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return swap ? __builtin_bswap16(v) : v;
}

/* ---- rpm header blobs ------------------------------------------------------ */

/* rpm's own limits (header.c): more is a corrupt or hostile header. */
#define HDR_TAGS_MAX 0xffffu
#define HDR_DATA_MAX 0x0fffffffu

enum {
	TAG_NAME = 1000, TAG_VERSION = 1001, TAG_RELEASE = 1002, TAG_EPOCH = 1003,
	TAG_VENDOR = 1011, TAG_LICENSE = 1014, TAG_URL = 1020, TAG_ARCH = 1022,
	TAG_OLDFILENAMES = 1027, TAG_SOURCERPM = 1044, TAG_REQUIRENAME = 1049,
	TAG_DIRINDEXES = 1116, TAG_BASENAMES = 1117, TAG_DIRNAMES = 1118,
};
enum {
	T_INT8 = 2, T_INT16 = 3, T_INT32 = 4, T_INT64 = 5, T_STRING = 6, T_BIN = 7,
	T_STRING_ARRAY = 8, T_I18NSTRING = 9,
};

struct hdr {
	const uint8_t *index;   /* il entries of 16 bytes */
	uint32_t il;
	const uint8_t *data;    /* the data store, dl bytes */
	uint32_t dl;
};

struct hdr_entry {
	uint32_t type, offset, count;
};

static const char *hdr_load(struct hdr *h, const uint8_t *blob, size_t len)
{
	if (len < 8)
		return "header shorter than 8 bytes";
	h->il = be32(blob);
	h->dl = be32(blob + 4);
	if (h->il < 1 || h->il > HDR_TAGS_MAX)
		return "header has a bad tag count";
	if (h->dl > HDR_DATA_MAX)
		return "header has a bad data length";
	if (8 + (uint64_t)h->il * 16 + h->dl > len)
		return "header is cut short";
	h->index = blob + 8;
	h->data = h->index + (size_t)h->il * 16;
	return NULL;
}

/* The first entry of tag whose offset lies in the data store. */
static bool hdr_find(const struct hdr *h, uint32_t tag, struct hdr_entry *e)
{
	for (uint32_t i = 0; i < h->il; i++) {
		const uint8_t *p = h->index + (size_t)i * 16;
		if (be32(p) != tag)
			continue;
		e->type = be32(p + 4);
		e->offset = be32(p + 8);
		e->count = be32(p + 12);
		return e->offset < h->dl && e->count > 0;
	}
	return false;
}

/* The string at off, NUL-terminated inside the store; its length in *n. */
static const char *hdr_str_at(const struct hdr *h, uint64_t off, size_t *n)
{
	if (off >= h->dl)
		return NULL;
	const char *s = (const char *)h->data + off;
	const char *z = memchr(s, 0, h->dl - off);
	if (!z)
		return NULL;
	*n = (size_t)(z - s);
	return s;
}

/* A single string tag (the first one of an array or i18n table), as a new
 * clean string; NULL when absent, empty, mistyped or out of bounds. */
static char *hdr_string(const struct hdr *h, uint32_t tag)
{
	struct hdr_entry e;
	if (!hdr_find(h, tag, &e))
		return NULL;
	if (e.type != T_STRING && e.type != T_STRING_ARRAY && e.type != T_I18NSTRING)
		return NULL;
	size_t n;
	const char *s = hdr_str_at(h, e.offset, &n);
	return s && n ? cat_strndup(s, n) : NULL;
}

/* The strings of an array tag, borrowed from the store (NUL-terminated
 * there). Returns the count (0 when absent) or -1 when out of bounds. */
static int64_t hdr_strings(const struct hdr *h, uint32_t tag, const char ***out)
{
	struct hdr_entry e;
	*out = NULL;
	if (!hdr_find(h, tag, &e) || e.type != T_STRING_ARRAY)
		return 0;
	/* Every string takes at least its NUL: a bigger count cannot fit. */
	if (e.count > h->dl - e.offset)
		return -1;
	const char **v = xcalloc(e.count, sizeof(*v));
	uint64_t off = e.offset;
	for (uint32_t i = 0; i < e.count; i++) {
		size_t n;
		v[i] = hdr_str_at(h, off, &n);
		if (!v[i]) {
			free(v);
			return -1;
		}
		off += n + 1;
	}
	*out = v;
	return e.count;
}

/* An INT32 array tag; the values are read with be32 from the store.
 * Returns the count (0 when absent) or -1 when out of bounds. */
static int64_t hdr_int32s(const struct hdr *h, uint32_t tag, const uint8_t **out)
{
	struct hdr_entry e;
	*out = NULL;
	if (!hdr_find(h, tag, &e) || e.type != T_INT32)
		return 0;
	if ((uint64_t)e.count * 4 > h->dl - e.offset)
		return -1;
	*out = h->data + e.offset;
	return e.count;
}

/* ---- from a header to a package ------------------------------------------- */

/* What is wrong with the header being read, for one warning per package. */
struct rpm_ctx {
	struct catalog *c;
	const struct cat_blob *blob;
	int64_t key;            /* hnum / record number, for warnings */
};

static void pkg_warn(const struct rpm_ctx *x, const char *what)
{
	cat_warn(x->c, x->blob->path, "package %" PRId64 ": %s", x->key, what);
}

/* "EPOCH:VERSION-RELEASE", or without the epoch when it is absent or 0. */
static char *make_version(const struct hdr *h, const char *version, const char *release)
{
	uint32_t epoch = 0;
	const uint8_t *ep;
	if (hdr_int32s(h, TAG_EPOCH, &ep) > 0)
		epoch = be32(ep);
	struct strbuf sb = STRBUF_INIT;
	if (epoch)
		strbuf_addf(&sb, "%" PRIu32 ":", epoch);
	strbuf_adds(&sb, version);
	if (release && *release)
		strbuf_addf(&sb, "-%s", release);
	return strbuf_detach(&sb);
}

/* "foo-bar-1.2-3.el9.src.rpm" → src_name "foo-bar", src_version "1.2-3.el9". */
static void split_source_rpm(struct cat_pkg *p, const char *srpm)
{
	size_t n = strlen(srpm);
	static const char *const suffixes[] = { ".src.rpm", ".nosrc.rpm" };
	bool found = false;
	for (size_t i = 0; i < ARRAY_SIZE(suffixes) && !found; i++) {
		if (str_ends_with(srpm, suffixes[i])) {
			n -= strlen(suffixes[i]);
			found = true;
		}
	}
	if (!found)
		return;
	const char *rel = memrchr(srpm, '-', n);
	if (!rel || rel == srpm)
		return;
	const char *ver = memrchr(srpm, '-', (size_t)(rel - srpm));
	if (!ver || ver == srpm || ver + 1 == rel || rel + 1 == srpm + n)
		return;
	p->src_name = xstrndup(srpm, (size_t)(ver - srpm));
	p->src_version = xstrndup(ver + 1, (size_t)(srpm + n - ver - 1));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Requires that name packages: not rpmlib() features, file paths, sonames
 * "libc.so.6()(64bit)", virtual "config(x)" or rich "(a or b)" ones.
 * Sorted, without duplicates: a package often requires a name twice. */
static void add_depends(const struct rpm_ctx *x, const struct hdr *h, struct cat_pkg *p)
{
	const char **v;
	int64_t n = hdr_strings(h, TAG_REQUIRENAME, &v);
	if (n < 0)
		pkg_warn(x, "requires out of bounds");
	for (int64_t i = 0; i < n; i++) {
		if (!*v[i] || v[i][0] == '/' || strchr(v[i], '('))
			continue;
		strvec_take(&p->depends, cat_strndup(v[i], strlen(v[i])));
	}
	free(v);
	if (p->depends.n > 1)
		qsort(p->depends.v, p->depends.n, sizeof(*p->depends.v), cmp_str);
	size_t k = 0;
	for (size_t i = 0; i < p->depends.n; i++) {
		if (k && !strcmp(p->depends.v[k - 1], p->depends.v[i]))
			free(p->depends.v[i]);
		else
			p->depends.v[k++] = p->depends.v[i];
	}
	if (p->depends.n) {
		p->depends.n = k;
		p->depends.v[k] = NULL;
	}
}

static void add_file(struct cat_pkg *p, const char *dir, const char *base)
{
	char *raw = xasprintf("%s%s", dir, base);
	char *s = cat_strndup(raw, strlen(raw));
	char *clean = cat_clean_path(s);
	if (clean)
		strvec_take(&p->files, clean);
	free(s);
	free(raw);
}

/* Files as dirnames[dirindexes[i]] + basenames[i], or the old flat list. */
static void add_files(const struct rpm_ctx *x, const struct hdr *h, struct cat_pkg *p)
{
	const char **base = NULL, **dirs = NULL;
	const uint8_t *idx;
	int64_t nb = hdr_strings(h, TAG_BASENAMES, &base);
	int64_t nd = hdr_strings(h, TAG_DIRNAMES, &dirs);
	int64_t ni = hdr_int32s(h, TAG_DIRINDEXES, &idx);
	if (nb < 0 || nd < 0 || ni < 0 || nb != ni) {
		pkg_warn(x, "file list out of bounds");
		nb = 0;
	}
	for (int64_t i = 0; i < nb; i++) {
		uint32_t d = be32(idx + i * 4);
		if (d >= nd) {
			pkg_warn(x, "file list has a bad directory index");
			break;
		}
		add_file(p, dirs[d], base[i]);
	}
	free(base);
	free(dirs);
	if (nb > 0)
		return;
	const char **old;
	int64_t no = hdr_strings(h, TAG_OLDFILENAMES, &old);
	if (no < 0)
		pkg_warn(x, "old file list out of bounds");
	for (int64_t i = 0; i < no; i++)
		add_file(p, "", old[i]);
	free(old);
}

static void add_header(const struct rpm_ctx *x, const uint8_t *blob, size_t len)
{
	struct hdr h;
	const char *why = hdr_load(&h, blob, len);
	if (why) {
		pkg_warn(x, why);
		return;
	}
	cleanup_free char *name = hdr_string(&h, TAG_NAME);
	cleanup_free char *version = hdr_string(&h, TAG_VERSION);
	cleanup_free char *release = hdr_string(&h, TAG_RELEASE);
	if (!name || !*name || !version || !*version) {
		pkg_warn(x, !name || !*name ? "no name" : "no version");
		return;
	}
	/* The public keys rpm imported are stored as packages; they are not. */
	if (!strcmp(name, "gpg-pubkey"))
		return;
	struct cat_pkg *p = cat_add_pkg(x->c, PKG_RPM, x->blob);
	p->record = (uint64_t)x->key;
	p->name = steal_pointer(&name);
	p->version = make_version(&h, version, release);
	p->arch = hdr_string(&h, TAG_ARCH);
	p->license = hdr_string(&h, TAG_LICENSE);
	p->supplier = hdr_string(&h, TAG_VENDOR);
	p->homepage = hdr_string(&h, TAG_URL);
	cleanup_free char *srpm = hdr_string(&h, TAG_SOURCERPM);
	if (srpm)
		split_source_rpm(p, srpm);
	add_depends(x, &h, p);
	add_files(x, &h, p);
}

/* ---- SQLite ------------------------------------------------------------------ */

/* Bound on the virtual machine's work: progress callbacks of 1000 steps. */
#define SQL_PROGRESS_STEP 1000
#define SQL_STEPS_PER_BYTE 16

struct sql_budget {
	uint64_t left;
};

static int sql_progress(void *arg)
{
	struct sql_budget *b = arg;
	if (!b->left)
		return 1;
	b->left--;
	return 0;
}

/* A hostile database may hold views, triggers or schema functions that run
 * code of its choosing when we read; forbid all that and bound the rest. */
int catalog_sqlite_harden(sqlite3 *db)
{
	static const int off[] = {
		SQLITE_DBCONFIG_ENABLE_TRIGGER, SQLITE_DBCONFIG_ENABLE_VIEW,
		SQLITE_DBCONFIG_TRUSTED_SCHEMA, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
	};
	for (size_t i = 0; i < ARRAY_SIZE(off); i++)
		if (sqlite3_db_config(db, off[i], 0, (int *)NULL) != SQLITE_OK)
			return -1;
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL) != SQLITE_OK)
		return -1;
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, (int)CAT_MAX_BLOB);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 4096);
	sqlite3_limit(db, SQLITE_LIMIT_COLUMN, 100);
	sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, 20);
	sqlite3_limit(db, SQLITE_LIMIT_COMPOUND_SELECT, 2);
	sqlite3_limit(db, SQLITE_LIMIT_VDBE_OP, 10000);
	sqlite3_limit(db, SQLITE_LIMIT_FUNCTION_ARG, 8);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50);
	sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, 10);
	sqlite3_limit(db, SQLITE_LIMIT_TRIGGER_DEPTH, 1);
	/* Sorting spills to temporary files by default: keep it in memory. */
	return sqlite3_exec(db, "PRAGMA temp_store=MEMORY; PRAGMA cell_size_check=ON;"
			    " PRAGMA mmap_size=0;", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Open a read-only private copy of the file's bytes. */
static sqlite3 *sql_open(const struct cat_blob *b, struct catalog *c)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK || catalog_sqlite_harden(db) < 0) {
		cat_warn(c, b->path, "sqlite: %s", db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	unsigned char *copy = sqlite3_malloc64(b->len ? b->len : 1);
	if (!copy)
		abort();
	memcpy(copy, b->data, b->len);
	/* rpm leaves its database in WAL mode, which the in-memory VFS cannot
	 * open; the WAL itself is not ours to read, so read it as rollback. */
	if (b->len > 19 && copy[18] == 2 && copy[19] == 2)
		copy[18] = copy[19] = 1;
	int rc = sqlite3_deserialize(db, "main", copy, (sqlite3_int64)b->len,
				     (sqlite3_int64)b->len,
				     SQLITE_DESERIALIZE_READONLY | SQLITE_DESERIALIZE_FREEONCLOSE);
	if (rc != SQLITE_OK) {
		cat_warn(c, b->path, "sqlite: %s", sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void sql_read(struct catalog *c, const struct cat_blob *b)
{
	static const char magic[16] = "SQLite format 3";
	if (b->len < 100 || memcmp(b->data, magic, sizeof(magic))) {
		cat_warn(c, b->path, "not an SQLite database");
		return;
	}
	if (b->truncated)
		cat_warn(c, b->path, "file is truncated; packages may be missing");
	sqlite3 *db = sql_open(b, c);
	if (!db)
		return;
	struct sql_budget budget = { (uint64_t)b->len * SQL_STEPS_PER_BYTE / SQL_PROGRESS_STEP + 10000 };
	sqlite3_progress_handler(db, SQL_PROGRESS_STEP, sql_progress, &budget);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT hnum, blob FROM Packages", -1, &st, NULL);
	struct rpm_ctx x = { .c = c, .blob = b };
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		x.key = sqlite3_column_int64(st, 0);
		const void *data = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		add_header(&x, data ? data : "", (size_t)(len > 0 ? len : 0));
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE)
		cat_warn(c, b->path, "sqlite: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* ---- Berkeley DB hash ------------------------------------------------------ */

/* The on-disk layout of libdb's hash access method (db_page.h), which rpm
 * used up to 4.15: a meta page, then hash pages of key/data item pairs;
 * items too big for a page (every header) live on a chain of overflow
 * pages. The byte order is the writer's: the magic says which. */
#define BDB_HASH_MAGIC 0x061561u
#define BDB_META_MAGIC 12
#define BDB_META_PAGESIZE 20
#define BDB_META_ENCRYPT 24
#define BDB_META_FLAGS 26
#define BDB_META_CHKSUM 0x01
#define BDB_META_LASTPG 32
#define BDB_PG_NEXT 16
#define BDB_PG_ENTRIES 20
#define BDB_PG_HFOFF 22
#define BDB_PG_TYPE 25
#define BDB_PG_HDR 26
enum { P_HASH_UNSORTED = 2, P_OVERFLOW = 7, P_HASH = 13 };
enum { H_KEYDATA = 1, H_OFFPAGE = 3 };

struct bdb {
	const uint8_t *data;
	size_t len;
	uint32_t pagesize;
	uint32_t npages;        /* pages present in data */
	bool swap;
};

static const char *bdb_open(struct bdb *d, const uint8_t *data, size_t len)
{
	if (len < 512)
		return "not a Berkeley DB file";
	d->data = data;
	d->len = len;
	uint32_t magic;
	memcpy(&magic, data + BDB_META_MAGIC, 4);
	if (magic == BDB_HASH_MAGIC)
		d->swap = false;
	else if (__builtin_bswap32(magic) == BDB_HASH_MAGIC)
		d->swap = true;
	else
		return "not a Berkeley DB hash file";
	d->pagesize = rd32(data + BDB_META_PAGESIZE, d->swap);
	if (d->pagesize < 512 || d->pagesize > 65536 || (d->pagesize & (d->pagesize - 1)))
		return "Berkeley DB page size is bad";
	if (data[BDB_META_ENCRYPT])
		return "Berkeley DB file is encrypted";
	/* Checksums move the page contents; rpm never asked for them. */
	if (data[BDB_META_FLAGS] & BDB_META_CHKSUM)
		return "Berkeley DB file with page checksums is not supported";
	uint64_t last = rd32(data + BDB_META_LASTPG, d->swap);
	d->npages = (uint32_t)(len / d->pagesize);
	if (last + 1 < d->npages)
		d->npages = (uint32_t)(last + 1);
	return NULL;
}

static const uint8_t *bdb_page(const struct bdb *d, uint32_t pgno)
{
	return pgno < d->npages ? d->data + (size_t)pgno * d->pagesize : NULL;
}

/* The bytes of an overflow chain starting at pgno, tlen long; caller frees.
 * A chain can be no longer than the pages there are (no loops). */
static uint8_t *bdb_overflow(const struct bdb *d, uint32_t pgno, uint32_t tlen, const char **why)
{
	if (tlen > CAT_MAX_BLOB || tlen > d->len) {
		*why = "record too big";
		return NULL;
	}
	uint8_t *out = xmalloc(tlen ? tlen : 1);
	size_t have = 0;
	for (uint32_t hops = 0; have < tlen; hops++) {
		const uint8_t *pg = bdb_page(d, pgno);
		if (!pg || hops >= d->npages || pg[BDB_PG_TYPE] != P_OVERFLOW) {
			*why = "overflow chain is broken";
			free(out);
			return NULL;
		}
		uint32_t used = rd16(pg + BDB_PG_HFOFF, d->swap);
		if (used > d->pagesize - BDB_PG_HDR || used > tlen - have || !used) {
			*why = "overflow page has a bad length";
			free(out);
			return NULL;
		}
		memcpy(out + have, pg + BDB_PG_HDR, used);
		have += used;
		pgno = rd32(pg + BDB_PG_NEXT, d->swap);
	}
	return out;
}

/* The item at index i of a hash page: its offset and length on the page. */
static bool bdb_item(const struct bdb *d, const uint8_t *pg, uint32_t i, uint32_t n,
		     uint32_t *off, uint32_t *len)
{
	uint32_t ps = d->pagesize;
	*off = rd16(pg + BDB_PG_HDR + 2 * i, d->swap);
	/* Items are packed from the end of the page down: item i ends where
	 * item i-1 starts. */
	uint32_t end = i ? rd16(pg + BDB_PG_HDR + 2 * (i - 1), d->swap) : ps;
	if (*off < BDB_PG_HDR + 2 * n || *off >= end || end > ps)
		return false;
	*len = end - *off;
	return true;
}

static void bdb_pair(const struct bdb *d, struct rpm_ctx *x, const uint8_t *pg, uint32_t i,
		     uint32_t n)
{
	uint32_t koff, klen, voff, vlen;
	if (!bdb_item(d, pg, i, n, &koff, &klen) || !bdb_item(d, pg, i + 1, n, &voff, &vlen)) {
		pkg_warn(x, "hash page has a bad item offset");
		return;
	}
	/* Keys are 4-byte record numbers; record 0 holds rpm's counter. */
	if (pg[koff] != H_KEYDATA || klen != 5)
		return;
	x->key = rd32(pg + koff + 1, d->swap);
	if (!x->key)
		return;
	if (pg[voff] == H_KEYDATA) {
		add_header(x, pg + voff + 1, vlen - 1);
	} else if (pg[voff] == H_OFFPAGE && vlen >= 12) {
		const char *why = NULL;
		uint8_t *rec = bdb_overflow(d, rd32(pg + voff + 4, d->swap),
					    rd32(pg + voff + 8, d->swap), &why);
		if (rec)
			add_header(x, rec, rd32(pg + voff + 8, d->swap));
		else
			pkg_warn(x, why);
		free(rec);
	}
}

static void bdb_read(struct catalog *c, const struct cat_blob *b)
{
	struct bdb d;
	const char *why = bdb_open(&d, (const uint8_t *)b->data, b->len);
	if (why) {
		cat_warn(c, b->path, "%s", why);
		return;
	}
	if (b->truncated)
		cat_warn(c, b->path, "file is truncated; packages may be missing");
	struct rpm_ctx x = { .c = c, .blob = b };
	/* Every hash page, in page order: no need to follow the buckets. */
	for (uint32_t pgno = 1; pgno < d.npages; pgno++) {
		const uint8_t *pg = bdb_page(&d, pgno);
		if (pg[BDB_PG_TYPE] != P_HASH && pg[BDB_PG_TYPE] != P_HASH_UNSORTED)
			continue;
		uint32_t n = rd16(pg + BDB_PG_ENTRIES, d.swap);
		if (BDB_PG_HDR + 2 * n > d.pagesize) {
			x.key = pgno;
			pkg_warn(&x, "hash page has too many entries");
			continue;
		}
		for (uint32_t i = 0; i + 1 < n; i += 2)
			bdb_pair(&d, &x, pg, i, n);
	}
}

/* ---- collect ------------------------------------------------------------------ */

/* Where rpm keeps its database: Fedora and newer moved it to /usr. */
static const char *const rpm_dirs[] = { "usr/lib/sysimage/rpm", "var/lib/rpm" };

void rpm_collect(struct catalog *c, const struct cat_input *in)
{
	for (size_t i = 0; i < ARRAY_SIZE(rpm_dirs); i++) {
		cleanup_free char *sql = xasprintf("%s/rpmdb.sqlite", rpm_dirs[i]);
		cleanup_free char *bdb = xasprintf("%s/Packages", rpm_dirs[i]);
		const struct cat_blob *b;
		/* An upgrade to the SQLite backend may leave the old file beside
		 * the new one: the new one is the truth. */
		if ((b = cat_input_get(in, sql)))
			sql_read(c, b);
		else if ((b = cat_input_get(in, bdb)))
			bdb_read(c, b);
	}
}
