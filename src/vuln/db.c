/* The advisory database: SQLite, one file, sources replaced whole in one
 * transaction each. Lookups go by (ecosystem, package). */
#include "vuln/vuln.h"
#include "import/import_internal.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define VDB_SCHEMA "1"
/* Warnings kept per import (the rest are counted). */
#define IMPORT_MAX_WARNINGS 20

struct vdb {
	sqlite3 *sql;
	char *path;
};

struct vdb_import {
	struct vdb *db;
	int64_t source;
	sqlite3_stmt *add_adv, *add_aff;
	struct vdb_import_stats *st;   /* where counts go; owned by the caller or us */
	struct vdb_import_stats own;
	char *newest;
};

static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)",
	"CREATE TABLE IF NOT EXISTS sources(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
	" format TEXT NOT NULL, imported_at INTEGER NOT NULL, advisories INTEGER NOT NULL,"
	" affected INTEGER NOT NULL, newest TEXT)",
	"CREATE TABLE IF NOT EXISTS advisories(source INTEGER NOT NULL, id TEXT NOT NULL,"
	" modified TEXT, published TEXT, summary TEXT, aliases TEXT, cvss_v3 TEXT, cvss_v4 TEXT,"
	" severity TEXT, PRIMARY KEY(source, id)) WITHOUT ROWID",
	"CREATE TABLE IF NOT EXISTS affected(source INTEGER NOT NULL, advisory TEXT NOT NULL,"
	" ecosystem TEXT NOT NULL, package TEXT NOT NULL, status TEXT NOT NULL, introduced TEXT,"
	" fixed TEXT, last_affected TEXT, version TEXT, urgency TEXT)",
	"CREATE INDEX IF NOT EXISTS affected_by_package ON affected(ecosystem, package)",
	"CREATE INDEX IF NOT EXISTS affected_by_source ON affected(source)",
	/* db update's validators per feed (see update.c); a database made before
	 * them gains the table on its next import or update. */
	"CREATE TABLE IF NOT EXISTS feeds(name TEXT PRIMARY KEY, url TEXT NOT NULL, etag TEXT,"
	" last_modified TEXT, fetched_at INTEGER NOT NULL, checked_at INTEGER NOT NULL)",
	"INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '" VDB_SCHEMA "')",
};

static int sql_fail(struct vdb *db, struct qerr *err, const char *what)
{
	return q_error(err, 0, "database '%s': %s: %s", db->path, what, sqlite3_errmsg(db->sql));
}

static int exec(struct vdb *db, const char *sql, struct qerr *err)
{
	char *msg = NULL;
	if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	q_error(err, 0, "database '%s': %s", db->path, msg ? msg : "error");
	sqlite3_free(msg);
	return -1;
}

static int check_schema(struct vdb *db, struct qerr *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->sql, "SELECT value FROM meta WHERE key = 'schema'", -1, &st,
			       NULL) != SQLITE_OK)
		return sql_fail(db, err, "not a quench advisory database");
	int rc = 0;
	if (sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0) ?: "", VDB_SCHEMA))
		rc = q_error(err, 0, "database '%s': schema is not version " VDB_SCHEMA
				     " (remove it and import again)", db->path);
	sqlite3_finalize(st);
	return rc;
}

int vdb_open(const char *path, bool create, struct vdb **out, struct qerr *err)
{
	struct vdb *db = xcalloc(1, sizeof(*db));
	db->path = xstrdup(path);
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = 0;
	if (sqlite3_open_v2(path, &db->sql, flags, NULL) != SQLITE_OK) {
		rc = create ? sql_fail(db, err, "open")
			    : q_error(err, 0, "no advisory database at '%s' (quench db import first)",
				      path);
	} else {
		sqlite3_busy_timeout(db->sql, 10000);
		rc = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", err);
		for (size_t i = 0; rc == 0 && create && i < sizeof(schema) / sizeof(schema[0]); i++)
			rc = exec(db, schema[i], err);
		if (rc == 0)
			rc = check_schema(db, err);
	}
	if (rc < 0) {
		vdb_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void vdb_close(struct vdb *db)
{
	if (!db)
		return;
	sqlite3_close(db->sql);
	free(db->path);
	free(db);
}

/* ---- imports ------------------------------------------------------------------- */

static int begin_source(struct vdb_import *im, const char *source, const char *format,
			struct qerr *err)
{
	struct vdb *db = im->db;
	if (exec(db, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->sql,
			       "INSERT INTO sources(name, format, imported_at, advisories, affected)"
			       " VALUES(?1, ?2, ?3, 0, 0) ON CONFLICT(name) DO UPDATE SET"
			       " format = ?2, imported_at = ?3 RETURNING id",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, err, "sources");
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, format, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)source_date_epoch((int64_t)time(NULL)));
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : sql_fail(db, err, "sources");
	im->source = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	/* Replaced whole: what an older import of this source said goes. */
	char sql[128];
	snprintf(sql, sizeof(sql), "DELETE FROM advisories WHERE source = %lld;"
				   "DELETE FROM affected WHERE source = %lld",
		 (long long)im->source, (long long)im->source);
	return exec(db, sql, err);
}

struct vdb_import *vdb_import_begin(struct vdb *db, const char *source, const char *format,
				    struct qerr *err)
{
	struct vdb_import *im = xcalloc(1, sizeof(*im));
	im->db = db;
	im->st = &im->own;
	if (begin_source(im, source, format, err) < 0 ||
	    sqlite3_prepare_v2(db->sql,
			       "INSERT OR REPLACE INTO advisories(source, id, modified, published,"
			       " summary, aliases, cvss_v3, cvss_v4, severity)"
			       " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &im->add_adv, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->sql,
			       "INSERT INTO affected(source, advisory, ecosystem, package, status,"
			       " introduced, fixed, last_affected, version, urgency)"
			       " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &im->add_aff, NULL) != SQLITE_OK) {
		if (!err || !err->msg[0])
			sql_fail(db, err, "prepare");
		vdb_import_abort(im);
		return NULL;
	}
	return im;
}

static void bind_all(sqlite3_stmt *st, int64_t source, const char *const *v, int n)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)source);
	for (int i = 0; i < n; i++)
		if (v[i])
			sqlite3_bind_text(st, i + 2, v[i], -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, i + 2);
}

int vdb_add_advisory(struct vdb_import *im, const struct vdb_advisory *a, struct qerr *err)
{
	if (!a->id || !*a->id)
		return q_error(err, 0, "advisory without an id");
	const char *v[] = { a->id, a->modified, a->published, a->summary, a->aliases,
			    a->cvss_v3, a->cvss_v4, a->severity };
	bind_all(im->add_adv, im->source, v, 8);
	if (sqlite3_step(im->add_adv) != SQLITE_DONE)
		return sql_fail(im->db, err, "advisories");
	im->st->advisories++;
	if (a->modified && (!im->newest || strcmp(a->modified, im->newest) > 0)) {
		free(im->newest);
		im->newest = xstrdup(a->modified);
	}
	return 0;
}

int vdb_add_affected(struct vdb_import *im, const struct vdb_affected *a, struct qerr *err)
{
	if (!a->advisory || !a->ecosystem || !a->package || !a->status)
		return q_error(err, 0, "affected row without advisory, ecosystem, package or status");
	const char *v[] = { a->advisory, a->ecosystem, a->package, a->status, a->introduced,
			    a->fixed, a->last_affected, a->version, a->urgency };
	bind_all(im->add_aff, im->source, v, 9);
	if (sqlite3_step(im->add_aff) != SQLITE_DONE)
		return sql_fail(im->db, err, "affected");
	im->st->affected++;
	return 0;
}

void vdb_import_warn(struct vdb_import *im, const char *fmt, ...)
{
	im->st->skipped++;
	if (!strvec_room(&im->st->warnings, IMPORT_MAX_WARNINGS))
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	/* Warnings quote the advisory data; it must not drive the terminal. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	strvec_take(&im->st->warnings, msg);
}

static void import_free(struct vdb_import *im)
{
	sqlite3_finalize(im->add_adv);
	sqlite3_finalize(im->add_aff);
	vdb_import_stats_release(&im->own);
	free(im->newest);
	free(im);
}

int vdb_import_commit(struct vdb_import *im, struct qerr *err)
{
	sqlite3_stmt *st;
	int rc = 0;
	if (sqlite3_prepare_v2(im->db->sql,
			       "UPDATE sources SET advisories = ?, affected = ?, newest = ? WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = sql_fail(im->db, err, "sources");
	} else {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)im->st->advisories);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)im->st->affected);
		if (im->newest)
			sqlite3_bind_text(st, 3, im->newest, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)im->source);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(im->db, err, "sources");
		sqlite3_finalize(st);
	}
	if (rc == 0)
		rc = exec(im->db, "COMMIT", err);
	if (rc < 0) {
		vdb_import_abort(im);
		return -1;
	}
	import_free(im);
	return 0;
}

void vdb_import_abort(struct vdb_import *im)
{
	if (!im)
		return;
	if (!sqlite3_get_autocommit(im->db->sql))
		exec(im->db, "ROLLBACK", NULL);
	import_free(im);
}

void vdb_import_track(struct vdb_import *im, struct vdb_import_stats *st)
{
	im->st = st;
}

void vdb_import_stats_release(struct vdb_import_stats *st)
{
	free(st->source);
	free(st->format);
	strvec_clear(&st->warnings);
	memset(st, 0, sizeof(*st));
}

/* ---- status ---------------------------------------------------------------------- */

static char *column_str(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? xstrdup((const char *)s) : NULL;
}

/* Does the database have table `name`? (Tables added after schema 1 may be
 * missing from a database opened without create.) */
static int has_table(struct vdb *db, const char *name, struct qerr *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->sql, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, err, "sqlite_master");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(db, err, "sqlite_master");
	return rc == SQLITE_ROW;
}

int vdb_sources(struct vdb *db, struct vdb_source **out, size_t *n, struct qerr *err)
{
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	int feeds = has_table(db, "feeds", err);
	if (feeds < 0)
		return -1;
	const char *sql =
		feeds ? "SELECT s.name, s.format, s.imported_at, s.advisories, s.affected, s.newest,"
			" f.url, f.checked_at, strftime('%s', s.newest) FROM sources s"
			" LEFT JOIN feeds f ON s.name = 'feed:' || f.name ORDER BY s.name"
		      : "SELECT name, format, imported_at, advisories, affected, newest, NULL, 0,"
			" strftime('%s', newest) FROM sources ORDER BY name";
	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, err, "sources");
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
		struct vdb_source *s = &(*out)[(*n)++];
		s->name = column_str(st, 0);
		s->format = column_str(st, 1);
		s->imported_at = sqlite3_column_int64(st, 2);
		s->advisories = (uint64_t)sqlite3_column_int64(st, 3);
		s->affected = (uint64_t)sqlite3_column_int64(st, 4);
		s->newest = column_str(st, 5);
		s->url = column_str(st, 6);
		s->checked_at = sqlite3_column_int64(st, 7);
		/* SQLite reads RFC 3339 (fractions, Z or an offset); NULL otherwise. */
		s->newest_known = sqlite3_column_type(st, 8) != SQLITE_NULL;
		s->newest_at = sqlite3_column_int64(st, 8);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		vdb_sources_free(*out, *n);
		*out = NULL;
		*n = 0;
		return sql_fail(db, err, "sources");
	}
	return 0;
}

int vdb_data_age(struct vdb *db, int64_t now, int64_t *age_seconds, struct qerr *err)
{
	struct vdb_source *v;
	size_t n;
	*age_seconds = -1;
	if (vdb_sources(db, &v, &n, err) < 0)
		return -1;
	int64_t newest = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		if (v[i].imported_at > newest)
			newest = v[i].imported_at;
		if (v[i].checked_at > newest)
			newest = v[i].checked_at;
	}
	vdb_sources_free(v, n);
	if (n == 0)
		return 0;
	*age_seconds = now > newest ? now - newest : 0;
	return 1;
}

void vdb_sources_free(struct vdb_source *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].format);
		free(v[i].newest);
		free(v[i].url);
	}
	free(v);
}

struct sqlite3 *vdb_sqlite(struct vdb *db)
{
	return db->sql;
}
