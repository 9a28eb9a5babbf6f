/* quench db update: download advisory feeds and import what changed.
 *
 * A feed is fetched into DIR/NAME/.tmp-PID-FILE (FILE: the URL's last path
 * segment, so vdb_import_path still tells .zip and .xml.bz2 apart), imported
 * from there as source "feed:NAME", and only then renamed to DIR/NAME/FILE.
 * A failed download or import removes the temporary file and leaves both the
 * database and the previous copy as they were.
 *
 * The validators (ETag, Last-Modified) live in the database, table feeds,
 * not in a sidecar file next to the download: they must describe what the
 * database holds, not what lies on disk. A sidecar would survive the
 * database being removed or replaced, and a 304 would then keep nothing.
 * They are written after the import commits; a crash in between only costs
 * one unconditional download next time. */
#include "vuln/vuln.h"
#include "update_internal.h"

#include <curl/curl.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FEED_NAME_MAX 64
#define FEED_URL_MAX 2048
#define FEEDS_FILE_MAX (1u << 20)

/* ---- feed lists ----------------------------------------------------------------- */

static const char *const default_feeds[][2] = {
	{ "debian-tracker", "https://security-tracker.debian.org/tracker/data/json" },
	/* The tracker's advisory lists: DSA/DLA ids, each aliasing its CVEs. */
	{ "debian-dsa", "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/"
			"master/data/DSA/list" },
	{ "debian-dla", "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/"
			"master/data/DLA/list" },
	{ "debian-oval-bookworm",
	  "https://www.debian.org/security/oval/oval-definitions-bookworm.xml.bz2" },
	{ "alpine-3.19-main", "https://secdb.alpinelinux.org/v3.19/main.json" },
	{ "alpine-3.19-community", "https://secdb.alpinelinux.org/v3.19/community.json" },
	{ "alpine-3.20-main", "https://secdb.alpinelinux.org/v3.20/main.json" },
	{ "alpine-3.20-community", "https://secdb.alpinelinux.org/v3.20/community.json" },
	{ "osv-pypi", "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip" },
	{ "osv-npm", "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip" },
	{ "osv-go", "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip" },
};

void vdb_feeds_default(struct vdb_feeds *fl)
{
	for (size_t i = 0; i < ARRAY_SIZE(default_feeds); i++)
		if (vdb_feeds_add(fl, default_feeds[i][0], default_feeds[i][1], NULL) < 0)
			BUG("default feed list is invalid");
}

/* Names become a directory and part of a source name: a plain word. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > FEED_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

static bool url_ok(const char *s)
{
	if (!str_starts_with(s, "https://") && !str_starts_with(s, "http://"))
		return false;
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return n <= FEED_URL_MAX && !strchr(s, '#');
}

int vdb_feeds_add(struct vdb_feeds *fl, const char *name, const char *url, struct qerr *err)
{
	if (!name_ok(name))
		return q_error(err, 0, "feed name '%s': use letters, digits, '.', '_' and '-' "
				       "(at most %d, not starting with '.' or '-')", name,
			       FEED_NAME_MAX);
	if (!url_ok(url))
		return q_error(err, 0, "feed %s: URL '%s' is not an http:// or https:// URL", name,
			       url);
	for (size_t i = 0; i < fl->n; i++)
		if (!strcmp(fl->v[i].name, name))
			return q_error(err, 0, "feed %s is given twice", name);
	fl->v = xgrow(fl->v, &fl->cap, fl->n + 1, sizeof(*fl->v));
	fl->v[fl->n].name = xstrdup(name);
	fl->v[fl->n].url = xstrdup(url);
	fl->n++;
	return 0;
}

int vdb_feeds_parse_arg(struct vdb_feeds *fl, const char *arg, struct qerr *err)
{
	const char *eq = strchr(arg, '=');
	if (!eq)
		return q_error(err, 0, "feed '%s': expected NAME=URL", arg);
	cleanup_free char *name = xstrndup(arg, (size_t)(eq - arg));
	return vdb_feeds_add(fl, name, eq + 1, err);
}

/* Split off the next blank-separated word of *p; NULL at the end. */
static char *next_word(char **p)
{
	char *s = *p + strspn(*p, " \t\r");
	if (!*s)
		return NULL;
	char *e = s + strcspn(s, " \t\r");
	*p = *e ? e + 1 : e;
	*e = '\0';
	return s;
}

int vdb_feeds_parse(struct vdb_feeds *fl, const char *text, size_t len, const char *origin,
		    struct qerr *err)
{
	if (memchr(text, '\0', len))
		return q_error(err, 0, "%s: not a text file (NUL byte)", origin);
	cleanup_free char *copy = xstrndup(text, len);
	char *line = copy;
	for (unsigned lineno = 1; line; lineno++) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *hash = strchr(line, '#');
		if (hash && (hash == line || isspace((unsigned char)hash[-1])))
			*hash = '\0';     /* a comment; '#' inside a word is kept (and refused) */
		char *p = line;
		char *name = next_word(&p), *url = next_word(&p);
		if (name && (!url || next_word(&p)))
			return q_error(err, 0, "%s:%u: expected NAME URL", origin, lineno);
		if (name && vdb_feeds_add(fl, name, url, err) < 0)
			return q_error_wrap(err, "%s:%u", origin, lineno);
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

int vdb_feeds_read(struct vdb_feeds *fl, const char *path, struct qerr *err)
{
	char *data;
	size_t len;
	if (read_file_at(AT_FDCWD, path, FEEDS_FILE_MAX, &data, &len, err) < 0)
		return -1;
	int rc = vdb_feeds_parse(fl, data, len, path, err);
	free(data);
	return rc;
}

void vdb_feeds_release(struct vdb_feeds *fl)
{
	for (size_t i = 0; i < fl->n; i++) {
		free(fl->v[i].name);
		free(fl->v[i].url);
	}
	free(fl->v);
	memset(fl, 0, sizeof(*fl));
}

/* ---- the feeds table -------------------------------------------------------------- */

struct feed_row {
	char *url, *etag, *last_modified;
	int64_t imported_at;   /* of the source feed:NAME; 0: never imported */
};

static void feed_row_release(struct feed_row *r)
{
	free(r->url);
	free(r->etag);
	free(r->last_modified);
	memset(r, 0, sizeof(*r));
}

static int sql_err(struct vdb *db, struct qerr *err, const char *what)
{
	return q_error(err, 0, "database: %s: %s", what, sqlite3_errmsg(vdb_sqlite(db)));
}

static char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? xstrdup((const char *)s) : NULL;
}

/* What we know of a feed: its validators only count while its source
 * exists (the import they describe is there). */
static int feed_row_get(struct vdb *db, const char *name, struct feed_row *r, struct qerr *err)
{
	memset(r, 0, sizeof(*r));
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(vdb_sqlite(db),
			       "SELECT f.url, f.etag, f.last_modified, s.imported_at FROM sources s"
			       " LEFT JOIN feeds f ON f.name = ?1 WHERE s.name = 'feed:' || ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_err(db, err, "feeds");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->url = col_str(st, 0);
		r->etag = col_str(st, 1);
		r->last_modified = col_str(st, 2);
		r->imported_at = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_err(db, err, "feeds");
}

/* fetched: a 200 was imported (new validators); else a 304 confirmed the data. */
static int feed_row_put(struct vdb *db, const struct vdb_feed *f, bool fetched, const char *etag,
			const char *last_modified, int64_t now, struct qerr *err)
{
	sqlite3_stmt *st;
	const char *sql =
		fetched ? "INSERT INTO feeds(name, url, etag, last_modified, fetched_at, checked_at)"
			  " VALUES(?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(name) DO UPDATE SET"
			  " url = ?2, etag = ?3, last_modified = ?4, fetched_at = ?5, checked_at = ?5"
			: "UPDATE feeds SET checked_at = ?5 WHERE name = ?1";
	if (sqlite3_prepare_v2(vdb_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK)
		return sql_err(db, err, "feeds");
	sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
	if (fetched) {
		sqlite3_bind_text(st, 2, f->url, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, etag, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, last_modified, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_err(db, err, "feeds");
	sqlite3_finalize(st);
	return rc;
}

/* ---- one download ---------------------------------------------------------------- */

struct fetch {
	int fd;
	uint64_t bytes, max;
	bool too_big;
	struct qerr werr;
	char *etag, *last_modified;   /* of the last response (the one after redirects) */
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	size_t len = size * n;
	if (len > f->max - f->bytes) {
		f->too_big = true;
		return 0;
	}
	if (write_all(f->fd, p, len, &f->werr) < 0)
		return 0;
	f->bytes += len;
	return len;
}

char *feed_header_value(const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return NULL;
	const char *v = line + nl + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == v || end - v > FEED_VALIDATOR_MAX)
		return NULL;
	for (const char *c = v; c < end; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			return NULL;
	return xstrndup(v, (size_t)(end - v));
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	size_t len = size * n;
	char *v;
	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {   /* a new response (after a redirect) */
		free(f->etag);
		free(f->last_modified);
		f->etag = f->last_modified = NULL;
	} else if ((v = feed_header_value(p, len, "ETag"))) {
		free(f->etag);
		f->etag = v;
	} else if ((v = feed_header_value(p, len, "Last-Modified"))) {
		free(f->last_modified);
		f->last_modified = v;
	}
	return len;
}

static int set_options(CURL *c, const char *url, struct fetch *f, const struct vdb_update_opts *o,
		       struct curl_slist *hdrs, char *errbuf)
{
	bool https = str_starts_with(url, "https://");
	CURLcode rc = CURLE_OK;
#define SET(opt, val) if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	/* No downgrade: a feed asked for over TLS stays on TLS. */
	SET(CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, 5L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file) {
		SET(CURLOPT_CAINFO, o->ca_file);
		SET(CURLOPT_CAPATH, NULL);
	}
	SET(CURLOPT_USERAGENT, "quench/" QUENCH_VERSION);
	SET(CURLOPT_ACCEPT_ENCODING, "");   /* decoded bytes count against the cap */
	SET(CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s ? o->connect_timeout_s : 30L);
	SET(CURLOPT_TIMEOUT, o->timeout_s ? o->timeout_s : 3600L);
	/* A stalled server: under 1 KiB/s for this long ends the transfer. */
	SET(CURLOPT_LOW_SPEED_LIMIT, 1024L);
	SET(CURLOPT_LOW_SPEED_TIME, o->stall_timeout_s ? o->stall_timeout_s : 60L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(f->max > INT64_MAX ? INT64_MAX : f->max));
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, f);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, f);
	SET(CURLOPT_HTTPHEADER, hdrs);
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

/* The reason a transfer failed, as curl tells it ("Could not resolve
 * host" lower-cased first, "SSL certificate problem" not). */
static int transfer_error(CURLcode rc, const char *url, const struct fetch *f, const char *errbuf,
			  struct qerr *err)
{
	char size[16];
	if (f->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return q_error(err, 0, "larger than the limit of %s",
			       human_size(f->max, size, sizeof(size)));
	if (f->werr.msg[0])
		return q_error(err, f->werr.errnum, "%s", f->werr.msg);
	/* The URL itself is http(s): only a redirect can lead elsewhere. */
	if (rc == CURLE_UNSUPPORTED_PROTOCOL)
		return q_error(err, 0, "refused a redirect to another protocol (%s)",
			       str_starts_with(url, "https://") ? "an https feed is followed to https only"
								: "only http and https are followed");
	char msg[CURL_ERROR_SIZE + 1];
	snprintf(msg, sizeof(msg), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	if (isupper((unsigned char)msg[0]) && islower((unsigned char)msg[1]))
		msg[0] = (char)tolower((unsigned char)msg[0]);
	return q_error(err, 0, "%s", msg);
}

/* GET url into f->fd, conditional on row's validators when they are for
 * this URL. *status: the final HTTP status. */
static int download(const char *url, const struct feed_row *row, struct fetch *f,
		    const struct vdb_update_opts *o, long *status, struct qerr *err)
{
	struct curl_slist *hdrs = NULL;
	if (row->url && !strcmp(row->url, url)) {
		cleanup_free char *inm = row->etag ? xasprintf("If-None-Match: %s", row->etag) : NULL;
		cleanup_free char *ims = row->last_modified
						 ? xasprintf("If-Modified-Since: %s", row->last_modified)
						 : NULL;
		if (inm)
			hdrs = curl_slist_append(hdrs, inm);
		if (ims)
			hdrs = curl_slist_append(hdrs, ims);
	}
	CURL *c = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "";
	int rc;
	if (!c || set_options(c, url, f, o, hdrs, errbuf) < 0) {
		rc = q_error(err, 0, "libcurl could not be set up");
	} else {
		CURLcode cr = curl_easy_perform(c);
		if (cr != CURLE_OK) {
			rc = transfer_error(cr, url, f, errbuf, err);
		} else {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
			rc = 0;
		}
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return rc;
}

/* The file name a URL's data is kept under: its last path segment, made
 * safe (it names a file in our directory), or "data". */
static char *url_file_name(const char *url)
{
	const char *path = strchr(strstr(url, "://") + 3, '/');
	if (!path)
		return xstrdup("data");
	size_t end = strcspn(path, "?#");
	const char *seg = path;
	for (size_t i = 0; i < end; i++)
		if (path[i] == '/')
			seg = path + i + 1;
	size_t n = (size_t)(path + end - seg);
	if (n == 0 || n > 100)
		return xstrdup("data");
	char *s = xstrndup(seg, n);
	for (char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			*p = '_';
	if (s[0] == '.')
		s[0] = '_';
	return s;
}

/* Remove what an interrupted run left behind: .tmp-* in the feed's directory
 * (a running update of the same database is not expected: its import would
 * wait on the database lock anyway). */
static void remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (str_starts_with(e->d_name, ".tmp-"))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

/* The importers name the file they read; the user knows the URL, and the
 * temporary file is gone by the time the message is shown. */
static void name_url_not_tmp(struct qerr *err, const char *tmp, const char *url)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = err->msg, *hit;
	size_t n = strlen(tmp);
	while ((hit = strstr(p, tmp))) {
		strbuf_add(&sb, p, (size_t)(hit - p));
		strbuf_adds(&sb, url);
		p = hit + n;
	}
	strbuf_adds(&sb, p);
	snprintf(err->msg, sizeof(err->msg), "%s", strbuf_str(&sb));
	strbuf_release(&sb);
}

/* A complete 200: import the temporary copy, then keep it under its name. */
static int import_download(struct vdb *db, const struct vdb_feed *f, const char *tmp,
			   const char *final, struct vdb_feed_result *r, struct qerr *err)
{
	cleanup_free char *source = xasprintf("feed:%s", f->name);
	if (vdb_import_path_as(db, tmp, source, &r->st, err) < 0) {
		if (err)
			name_url_not_tmp(err, tmp, f->url);
		return -1;
	}
	/* The database already holds the new data; a stale copy on disk is only
	 * worth a warning. */
	if (rename(tmp, final) < 0)
		strvec_take(&r->st.warnings, xasprintf("feed %s: keep '%s': %s", f->name, final,
						       strerror(errno)));
	return 0;
}

int vdb_update_feed(struct vdb *db, const struct vdb_feed *f, const struct vdb_update_opts *o,
		    struct vdb_feed_result *r, struct qerr *err)
{
	memset(r, 0, sizeof(*r));
	r->state = VDB_FEED_FAILED;
	struct feed_row row;
	if (feed_row_get(db, f->name, &row, err) < 0)
		return -1;
	r->previous_import = row.imported_at;
	cleanup_free char *dir = xasprintf("%s/%s", o->dir, f->name);
	cleanup_free char *file = url_file_name(f->url);
	cleanup_free char *final = xasprintf("%s/%s", dir, file);
	cleanup_free char *tmp = xasprintf("%s/.tmp-%d-%s", dir, (int)getpid(), file);
	if (mkdir_p(dir, 0755, err) < 0) {
		feed_row_release(&row);
		return -1;
	}
	remove_stale(dir);
	struct fetch fe = { .max = o->max_bytes ? o->max_bytes : VDB_FEED_MAX_BYTES };
	fe.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fe.fd < 0) {
		feed_row_release(&row);
		return q_error(err, errno, "create '%s'", tmp);
	}
	long status = 0;
	int rc = download(f->url, &row, &fe, o, &status, err);
	if (close(fe.fd) < 0 && rc == 0)
		rc = q_error(err, errno, "close '%s'", tmp);
	r->bytes = fe.bytes;
	r->http_status = (int)status;
	if (rc == 0 && status == 304 && row.url && !strcmp(row.url, f->url)) {
		r->state = VDB_FEED_UNCHANGED;
		rc = feed_row_put(db, f, false, NULL, NULL, o->now, err);
	} else if (rc == 0 && status == 200) {
		rc = import_download(db, f, tmp, final, r, err);
		if (rc == 0) {
			r->state = VDB_FEED_IMPORTED;
			rc = feed_row_put(db, f, true, fe.etag, fe.last_modified, o->now, err);
		}
	} else if (rc == 0) {
		rc = q_error(err, 0, "server answered HTTP %ld", status);
	}
	unlink(tmp);   /* after a rename there is nothing left to remove */
	free(fe.etag);
	free(fe.last_modified);
	feed_row_release(&row);
	return rc;
}

void vdb_feed_result_release(struct vdb_feed_result *r)
{
	vdb_import_stats_release(&r->st);
	memset(r, 0, sizeof(*r));
}
