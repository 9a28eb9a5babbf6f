/* Fuzz the rpm database readers. The input is read three ways:
 *   - as rpmdb.sqlite (the SQLite file itself),
 *   - as a Berkeley DB Packages file,
 *   - as the header blob of the one row of a well-formed SQLite rpmdb built
 *     here, so that the header parser sees the input unmangled by SQLite.
 * Every package added must have a name and a version. */
#include "catalog/catalog_internal.h"

#include <sqlite3.h>

static void collect(const char *path, const void *data, size_t size)
{
	char *copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = 0;
	struct cat_blob b = { .path = (char *)path, .data = copy, .len = size };
	struct cat_input in = { &b, 1 };
	struct catalog *c = xcalloc(1, sizeof(*c));
	rpm_collect(c, &in);
	for (size_t i = 0; i < c->n_pkgs; i++)
		if (!*c->pkgs[i].name || !*c->pkgs[i].version)
			abort();
	catalog_free(c);
	free(copy);
}

/* A database image whose Packages table holds data as its one blob. */
static unsigned char *wrap(const uint8_t *data, size_t size, sqlite3_int64 *len)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	unsigned char *out = NULL;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		abort();
	if (sqlite3_exec(db, "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT,"
			 " blob BLOB NOT NULL)", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO Packages (blob) VALUES (?)", -1, &st,
			       NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_blob64(st, 1, size ? (const void *)data : "", size, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		out = sqlite3_serialize(db, "main", len, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	collect("var/lib/rpm/rpmdb.sqlite", data, size);
	collect("var/lib/rpm/Packages", data, size);
	sqlite3_int64 len;
	unsigned char *db = wrap(data, size, &len);
	if (db)
		collect("usr/lib/sysimage/rpm/rpmdb.sqlite", db, (size_t)len);
	sqlite3_free(db);
	return 0;
}
