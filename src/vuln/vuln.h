/* vuln — vulnerability data and matching: version order per ecosystem,
 * CVSS scores, the advisory database, matching catalog packages to
 * advisories, VEX.
 *
 * This header grows with the module.
 */
#ifndef QUENCH_VULN_H
#define QUENCH_VULN_H

#include "catalog/catalog.h"
#include "util/util.h"

/* ---- version order ------------------------------------------------------- */

enum version_scheme {
	VS_DPKG,     /* Debian policy 5.6.12: [epoch:]upstream[-revision], "~" */
	VS_RPM,      /* rpmvercmp, with epoch and release ("E:V-R"), "~" and "^" */
	VS_APK,      /* apk-tools: _alpha/_beta/_pre/_rc/_cvs/_svn/_git/_hg/_p, -rN */
	VS_PEP440,   /* PEP 440 / packaging.version: epochs, pre/post/dev, local */
	VS_SEMVER,   /* SemVer 2.0.0 as node-semver orders it (strict) */
};

/* Is v a version of the scheme? (dpkg, rpm and apk accept almost anything,
 * as their tools do; PEP 440 and SemVer have grammars.) */
bool version_valid(enum version_scheme s, const char *v);

/* Order two versions: <0, 0, >0. A total order for any strings: a version
 * that is not valid in the scheme sorts before every valid one, and invalid
 * ones compare bytewise among themselves, so sorting never misbehaves. */
int version_cmp(enum version_scheme s, const char *a, const char *b);

/* Does version v satisfy an npm range ("^1.2.3", ">=1.0.0 <2.0.0 || 3.x",
 * "1.2.3 - 2.0.0", "~1.2", "*")? Strict SemVer; prereleases only match a
 * comparator with the same [major, minor, patch] tuple, as node-semver.
 * Returns 1 yes, 0 no, -1 when the range does not parse. */
int semver_satisfies(const char *v, const char *range);

/* ---- CVSS ------------------------------------------------------------------ */

enum cvss_severity { CVSS_NONE, CVSS_LOW, CVSS_MEDIUM, CVSS_HIGH, CVSS_CRITICAL };
const char *cvss_severity_name(enum cvss_severity s);   /* "none", "low", … */

/* The base score of a CVSS v3.0/v3.1 ("CVSS:3.1/AV:N/AC:L/…") or v4.0
 * ("CVSS:4.0/AV:N/AC:L/AT:N/…") vector, with the specification's formulas;
 * *version receives 30, 31 or 40. A malformed vector (a metric missing,
 * repeated, unknown, or out of order where the spec fixes the order) is an
 * error naming it. */
int cvss_base_score(const char *vector, double *score, int *version, struct qerr *err);
/* The qualitative rating of a score (both versions use the same bands). */
enum cvss_severity cvss_severity_of(double score);

/* ---- the advisory database ---------------------------------------------------
 *
 * A local SQLite file ($XDG_CACHE_HOME/quench/vuln.db). Advisories come from
 * sources; a source is one imported path (a file, a directory of OSV
 * records, an OSV all.zip) named by its real path, or one feed of db update
 * ("feed:NAME"), and re-importing it replaces it whole, in one transaction:
 * imports are idempotent and a failed one leaves the previous data.
 *
 * Ecosystems are OSV's names: "PyPI", "npm", "Go", "Debian:12",
 * "Alpine:v3.19". Distro rows name the SOURCE package. */

struct vdb;
int vdb_open(const char *path, bool create, struct vdb **out, struct qerr *err);
void vdb_close(struct vdb *db);

struct vdb_advisory {
	const char *id;           /* "CVE-2023-1234", "PYSEC-2021-1", "DSA-5000-1" */
	const char *modified;     /* RFC 3339, or NULL */
	const char *published;
	const char *summary;
	const char *aliases;      /* other ids, space separated, or NULL */
	const char *cvss_v3;      /* "CVSS:3.1/…" vector, or NULL */
	const char *cvss_v4;      /* "CVSS:4.0/…" vector, or NULL */
	const char *severity;     /* the source's own rating ("HIGH", "medium"), or NULL */
};

/* Statuses of an affected row. */
#define VDB_AFFECTED "affected"          /* versions in [introduced, fixed) or up to last_affected, or `version` */
#define VDB_OPEN "open"                  /* every version; no fix yet */
#define VDB_NOT_AFFECTED "not-affected"
#define VDB_WONT_FIX "wont-fix"          /* every version; the distro will not fix */
#define VDB_NO_DSA "no-dsa"              /* Debian: minor issue, fixed in a point release maybe */
#define VDB_IGNORED "ignored"
#define VDB_EOL "end-of-life"
#define VDB_UNIMPORTANT "unimportant"
#define VDB_POSTPONED "postponed"
#define VDB_UNDETERMINED "undetermined"

struct vdb_affected {
	const char *advisory;
	const char *ecosystem;
	const char *package;
	const char *status;       /* one of VDB_* */
	const char *introduced;   /* NULL: from the first version ("0" in OSV) */
	const char *fixed;        /* NULL: no fix */
	const char *last_affected;
	const char *version;      /* one explicitly affected version (OSV "versions"), or NULL */
	const char *urgency;      /* distro urgency ("low", "high", "unimportant"), or NULL */
};

/* One import of one source. */
struct vdb_import;
struct vdb_import *vdb_import_begin(struct vdb *db, const char *source, const char *format,
				    struct qerr *err);
int vdb_add_advisory(struct vdb_import *im, const struct vdb_advisory *a, struct qerr *err);
int vdb_add_affected(struct vdb_import *im, const struct vdb_affected *a, struct qerr *err);
/* A record that could not be read: counted; the first few kept as warnings. */
void vdb_import_warn(struct vdb_import *im, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Commit (or abort) and free. */
int vdb_import_commit(struct vdb_import *im, struct qerr *err);
void vdb_import_abort(struct vdb_import *im);

struct vdb_import_stats {
	char *source, *format;
	uint64_t advisories, affected, skipped;
	struct strvec warnings;
};
void vdb_import_stats_release(struct vdb_import_stats *st);
/* Import a path, detecting its format: a directory or a .zip of OSV
 * records (JSON or YAML), one OSV record, Debian Security Tracker JSON,
 * Debian OVAL XML (plain, .bz2, .gz), Alpine secdb JSON. */
int vdb_import_path(struct vdb *db, const char *path, struct vdb_import_stats *st,
		    struct qerr *err);
/* The same, as the source named `source` instead of the path's real path
 * (feeds: "feed:NAME", whatever file the download sits in). The format is
 * still told from path, its extension included. */
int vdb_import_path_as(struct vdb *db, const char *path, const char *source,
		       struct vdb_import_stats *st, struct qerr *err);

struct vdb_source {
	char *name, *format;
	int64_t imported_at;      /* seconds since the epoch */
	uint64_t advisories, affected;
	char *newest;             /* the newest record's modified time, or NULL */
	bool newest_known;        /* newest is an RFC 3339 time, newest_at that time */
	int64_t newest_at;
	char *url;                /* a feed's ("feed:NAME" sources): its URL, else NULL */
	int64_t checked_at;       /* a feed's: the last fetch that confirmed the data
				   * (a 200 imported or a 304), else 0 */
};
int vdb_sources(struct vdb *db, struct vdb_source **out, size_t *n, struct qerr *err);
void vdb_sources_free(struct vdb_source *v, size_t n);

/* How old the data is, for warning about stale data: now minus the newest
 * of every source's import time and every feed's last confirmed fetch (a
 * 304 says the data is still current). Not the advisories' own modified
 * times: a quiet week upstream does not make the data old. Returns 1 and
 * sets *age_seconds (0 when that time is in the future), 0 when the
 * database holds no source (*age_seconds = -1), -1 on error. */
int vdb_data_age(struct vdb *db, int64_t now, int64_t *age_seconds, struct qerr *err);

/* ---- feeds: quench db update ---------------------------------------------------
 *
 * A feed is a named URL of a file that vdb_import_path reads. Updating one
 * downloads it with libcurl into DIR/NAME/ (HTTPS verified, redirects
 * limited and never from https to http, timeouts, a size limit), conditional
 * on the ETag and Last-Modified kept from its last import, and imports a
 * complete 200 as the source "feed:NAME"; a 304 keeps the data. Nothing
 * half-downloaded is imported or left on disk, and a failure keeps the data
 * the database holds. */

struct vdb_feed {
	char *name;   /* [A-Za-z0-9._-], at most 64, not starting with '.' or '-' */
	char *url;    /* http:// or https:// */
};
struct vdb_feeds {
	struct vdb_feed *v;
	size_t n, cap;
};
#define VDB_FEEDS_INIT { NULL, 0, 0 }
/* The public feeds the importers read: the Debian Security Tracker, Debian
 * OVAL (bookworm), Alpine secdb (3.19, 3.20), OSV all.zip (PyPI, npm, Go). */
void vdb_feeds_default(struct vdb_feeds *fl);
/* Add one; a bad name or URL, or a name already in the list, is an error. */
int vdb_feeds_add(struct vdb_feeds *fl, const char *name, const char *url, struct qerr *err);
/* "NAME=URL" (the --feed option). */
int vdb_feeds_parse_arg(struct vdb_feeds *fl, const char *arg, struct qerr *err);
/* A feeds file: one "NAME URL" a line, blank-separated; blank lines and
 * "#" comments skipped. origin names the text in errors ("FILE:LINE: …"). */
int vdb_feeds_parse(struct vdb_feeds *fl, const char *text, size_t len, const char *origin,
		    struct qerr *err);
int vdb_feeds_read(struct vdb_feeds *fl, const char *path, struct qerr *err);
void vdb_feeds_release(struct vdb_feeds *fl);

#define VDB_FEED_MAX_BYTES (4ull << 30)   /* the default size limit (decoded) */

struct vdb_update_opts {
	const char *dir;           /* downloads go to DIR/NAME/ */
	const char *ca_file;       /* trust only these CAs (a mirror's own); NULL: the system's */
	int64_t now;               /* recorded as the fetch time */
	uint64_t max_bytes;        /* 0: VDB_FEED_MAX_BYTES */
	long connect_timeout_s;    /* 0: 30 */
	long stall_timeout_s;      /* under 1 KiB/s this long ends it; 0: 60 */
	long timeout_s;            /* the whole transfer; 0: 3600 */
};

enum vdb_feed_state { VDB_FEED_FAILED, VDB_FEED_IMPORTED, VDB_FEED_UNCHANGED };
struct vdb_feed_result {
	enum vdb_feed_state state;
	int http_status;           /* the final response's, 0 when none came */
	uint64_t bytes;            /* received (decoded) */
	int64_t previous_import;   /* when the data kept or replaced was imported; 0: none */
	struct vdb_import_stats st;   /* VDB_FEED_IMPORTED: what was imported */
};
/* Fetch and import one feed (db opened with create, which makes the table
 * of validators in a database older than it). Returns 0 (imported or unchanged) or -1 with
 * the reason in err ("could not resolve host: …", "server answered HTTP
 * 500"); r is filled either way and released by the caller. */
int vdb_update_feed(struct vdb *db, const struct vdb_feed *f, const struct vdb_update_opts *o,
		    struct vdb_feed_result *r, struct qerr *err);
void vdb_feed_result_release(struct vdb_feed_result *r);

/* ---- matching ------------------------------------------------------------------ */

struct vuln_finding {
	size_t pkg;                  /* index in the catalog's packages */
	char *id;                    /* the CVE when one is known, else the advisory id */
	struct strvec advisories;    /* every advisory that reported it (DSA-…, PYSEC-…, CVE-…) */
	const char *status;          /* VDB_AFFECTED (a fix may exist), VDB_OPEN, VDB_WONT_FIX, … */
	char *fixed;                 /* the first fixed version, or NULL */
	char *summary;
	double score;                /* CVSS base score, when severity_source says CVSS */
	enum cvss_severity severity;
	char *severity_source;       /* "CVSS 3.1", "debian-tracker: high", or NULL (unknown) */
	char *cvss_vector;
	char *ecosystem, *package, *installed;   /* what was matched: source package for distros */
	bool os_owned;               /* a language package an OS package owns (include_os_owned) */
	/* What a VEX statement said of it (vex_apply), pointing into the VEX: */
	const char *vex_status;      /* "not_affected", "affected", "fixed", "under_investigation" */
	const char *vex_justification, *vex_note;
	/* What a runtime profile (RBOM) says of its package (report_reachability): */
	const char *reach;           /* "reachable", "present", "removed" (harden), or NULL */
	char *reach_evidence;        /* "executed /usr/bin/python3.11", "loaded …", "read …" */
};

struct vuln_report {
	struct vuln_finding *v;
	size_t n;
	struct vuln_finding *suppressed;   /* by VEX statements (not_affected, fixed) */
	size_t n_suppressed, suppressed_cap;
};

struct match_opts {
	bool include_os_owned;       /* match OS-owned language packages in their ecosystem too */
};

int vuln_match(struct vdb *db, const struct catalog *c, const struct match_opts *o,
	       struct vuln_report *out, struct qerr *err);
void vuln_report_release(struct vuln_report *r);
void vuln_finding_release(struct vuln_finding *f);

/* ---- VEX ------------------------------------------------------------------------------ */

/* An OpenVEX document (0.2.0, and the 0.0.x shapes). Statements that
 * cannot be used (no vulnerability, unknown status, not_affected without a
 * justification) are left out with a warning; a file that is not OpenVEX
 * is an error. */
struct vex;
int vex_load(const char *path, struct vex **out, struct qerr *err);
const struct strvec *vex_warnings(const struct vex *v);
void vex_free(struct vex *v);

/* The scanned image, as VEX products may name it. */
struct vex_target {
	const char *manifest_digest;   /* "sha256:…", or NULL */
	const char *ref;               /* the reference as the user gave it */
};
/* Mark every finding a statement applies to; those it says are
 * not_affected or fixed move to r->suppressed. v must outlive r. */
void vex_apply(const struct vex *v, const struct catalog *c, const struct vex_target *t,
	       struct vuln_report *r);

/* The database's SQLite handle (for the matcher). */
struct sqlite3;
struct sqlite3 *vdb_sqlite(struct vdb *db);

#endif
