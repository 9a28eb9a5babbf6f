/* rpm's database in the hardened image: rpmdb.sqlite without the packages
 * that have no file left. The copy is edited in memory, opened as the
 * catalog opens it (the file is the image's, so hostile: no triggers or
 * views, defensive mode, bounded work), and VACUUMed, so that a deleted
 * header is not left in a free page for a scanner that reads pages.
 *
 * The Berkeley DB (Packages) and NDB formats we do not rewrite: a wrong
 * byte there loses every package to rpm and scanners alike. They stay as
 * they are — over-reporting is safe, under-reporting is not — and a
 * warning names them.
 */
#include "harden/harden_internal.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RPMDB_MAX (512u << 20)
/* Bound on SQLite's work: progress callbacks every 1000 steps, 64 steps a byte. */
#define SQL_PROGRESS_STEP 1000
#define SQL_STEPS_PER_BYTE 64

static int sql_progress(void *arg)
{
	uint64_t *left = arg;
	if (!*left)
		return 1;
	(*left)--;
	return 0;
}

static int sql_fail(sqlite3 *db, struct qerr *err)
{
	return q_error(err, 0, "rpmdb.sqlite: %s", db ? sqlite3_errmsg(db) : "out of memory");
}

/* A private, writable in-memory copy of data. */
static sqlite3 *sql_open_copy(const void *data, size_t len, struct qerr *err)
{
	static const char magic[16] = "SQLite format 3";
	if (len < 100 || memcmp(data, magic, sizeof(magic))) {
		q_error(err, 0, "rpmdb.sqlite: not an SQLite database");
		return NULL;
	}
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK || catalog_sqlite_harden(db) < 0) {
		sql_fail(db, err);
		sqlite3_close(db);
		return NULL;
	}
	unsigned char *copy = sqlite3_malloc64(len);
	if (!copy)
		abort();
	memcpy(copy, data, len);
	/* WAL mode (rpm's) cannot live in memory. The copy stays in rollback
	 * mode, which a reader without write access to the directory can
	 * open; rpm turns WAL back on when it next writes. */
	if (copy[18] == 2 && copy[19] == 2)
		copy[18] = copy[19] = 1;
	int rc = sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
				     SQLITE_DESERIALIZE_RESIZEABLE | SQLITE_DESERIALIZE_FREEONCLOSE);
	if (rc != SQLITE_OK) {
		q_error(err, 0, "rpmdb.sqlite: %s", sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* The tables with an hnum column: Packages and rpm's index tables. */
static int hnum_tables(sqlite3 *db, struct strvec *out, struct qerr *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table'", -1, &st,
			       NULL) != SQLITE_OK)
		return sql_fail(db, err);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (!name)
			continue;
		char *sql = sqlite3_mprintf("SELECT hnum FROM \"%w\"", name);
		sqlite3_stmt *probe = NULL;
		/* no such column: not an index of packages */
		if (sql && sqlite3_prepare_v2(db, sql, -1, &probe, NULL) == SQLITE_OK)
			strvec_push(out, name);
		sqlite3_finalize(probe);
		sqlite3_free(sql);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, err);
}

static int delete_hnums(sqlite3 *db, const char *table, const int64_t *drop, size_t n,
			struct qerr *err)
{
	char *sql = sqlite3_mprintf("DELETE FROM \"%w\" WHERE hnum = ?", table);
	sqlite3_stmt *st = NULL;
	int rc = sql && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK ? SQLITE_DONE
										 : SQLITE_ERROR;
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_bind_int64(st, 1, drop[i]);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, err);
}

static int prune(sqlite3 *db, const int64_t *drop, size_t n, struct qerr *err)
{
	struct strvec tables = STRVEC_INIT;
	int rc = hnum_tables(db, &tables, err);
	bool packages = false;
	for (size_t i = 0; rc == 0 && i < tables.n; i++)
		packages |= !strcasecmp(tables.v[i], "Packages");
	if (rc == 0 && !packages)
		rc = q_error(err, 0, "rpmdb.sqlite: no Packages table");
	if (rc == 0 && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		rc = sql_fail(db, err);
	for (size_t i = 0; rc == 0 && i < tables.n; i++)
		rc = delete_hnums(db, tables.v[i], drop, n, err);
	if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = sql_fail(db, err);
	/* a fresh file: no page of the old one, free or not, is copied.
	 * VACUUM builds it in a database it attaches: the only SQL that runs
	 * is ours, so allowing one is safe. */
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 1);
	if (rc == 0 && sqlite3_exec(db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
		rc = sql_fail(db, err);
	strvec_clear(&tables);
	return rc;
}

int harden_rpmdb_prune(const void *data, size_t len, const int64_t *drop, size_t n_drop,
		       char **out, size_t *out_len, struct qerr *err)
{
	sqlite3 *db = sql_open_copy(data, len, err);
	if (!db)
		return -1;
	uint64_t budget = (uint64_t)len * SQL_STEPS_PER_BYTE / SQL_PROGRESS_STEP + 10000;
	sqlite3_progress_handler(db, SQL_PROGRESS_STEP, sql_progress, &budget);
	int rc = prune(db, drop, n_drop, err);
	/* the database's own buffer (valid until it is closed): one copy less */
	sqlite3_int64 size = 0;
	unsigned char *bytes = rc == 0 ? sqlite3_serialize(db, "main", &size,
							   SQLITE_SERIALIZE_NOCOPY) : NULL;
	if (rc == 0 && !bytes)
		rc = sql_fail(db, err);
	if (bytes) {
		*out = xmalloc((size_t)size + 1);
		memcpy(*out, bytes, (size_t)size);
		*out_len = (size_t)size;
	}
	sqlite3_close(db);
	return rc;
}

/* ---- the image's databases ----------------------------------------------------------------- */

static const char *const rpm_dbs[] = {
	"usr/lib/sysimage/rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite",
	"usr/lib/sysimage/rpm/Packages", "var/lib/rpm/Packages",
};

/* A database SQLite will not edit (the catalog read it, so that is rare)
 * stays whole: a warning, not an error. */
/* Kept whole whenever present (keep.c): quench does not read them. */
static const char *const rpm_ndbs[] = {
	"usr/lib/sysimage/rpm/Packages.db", "var/lib/rpm/Packages.db",
};

static int rewrite_sqlite(int root_fd, int stage_fd, const char *path, const int64_t *drop,
			  size_t n, struct strvec *warnings, struct qerr *err)
{
	cleanup_free char *data = NULL, *out = NULL;
	size_t len, out_len;
	if (harden_read_source(root_fd, path, RPMDB_MAX, &data, &len, err) < 0)
		return -1;
	struct qerr why = QERR_INIT;
	if (harden_rpmdb_prune(data, len, drop, n, &out, &out_len, &why) < 0) {
		strvec_take(warnings, xasprintf("%s: %s; kept whole, it still lists packages that "
						"are gone", path, why.msg));
		return 0;
	}
	return harden_rewrite_staged(stage_fd, path, out, out_len, err);
}

int harden_rpm_metadata(int root_fd, int stage_fd, const struct catalog *c,
			const struct strvec *keep, const bool *kept, struct strvec *warnings,
			struct qerr *err)
{
	cleanup_free int64_t *drop = xcalloc(c->n_pkgs + 1, sizeof(*drop));
	for (size_t d = 0; d < ARRAY_SIZE(rpm_ndbs); d++)
		if (harden_is_kept(keep, rpm_ndbs[d]))
			strvec_take(warnings, xasprintf("%s: rpm's NDB database is neither read nor "
							"rewritten; kept whole, it may list packages "
							"that are gone", rpm_ndbs[d]));
	for (size_t d = 0; d < ARRAY_SIZE(rpm_dbs); d++) {
		const char *path = rpm_dbs[d];
		if (!harden_is_kept(keep, path))
			continue;
		size_t n = 0;
		for (size_t i = 0; i < c->n_pkgs; i++) {
			const struct cat_pkg *p = &c->pkgs[i];
			if (p->type == PKG_RPM && !kept[i] && p->location && !strcmp(p->location, path))
				drop[n++] = (int64_t)p->record;
		}
		if (!n)
			continue;   /* the staged copy is the truth already */
		if (str_ends_with(path, "/Packages")) {
			strvec_take(warnings, xasprintf("%s: a Berkeley DB rpm database is not rewritten; "
							"kept whole, it still lists %zu package%s "
							"that %s gone", path, n, n == 1 ? "" : "s",
							n == 1 ? "is" : "are"));
			continue;
		}
		if (rewrite_sqlite(root_fd, stage_fd, path, drop, n, warnings, err) < 0)
			return -1;
	}
	return 0;
}
