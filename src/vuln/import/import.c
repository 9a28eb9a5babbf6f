/* quench db import PATH: detect the format, import it as one source named
 * by its real path, in one transaction. */
#include "import_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_digits(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

bool import_is_cve(const char *p, size_t n)
{
	return n >= 13 && !memcmp(p, "CVE-", 4) && is_digits(p + 4, 4) && p[8] == '-' &&
	       is_digits(p + 9, n - 9);
}

enum format { FMT_OSV_DIR, FMT_OSV_ZIP, FMT_OSV, FMT_OSV_YAML, FMT_DEBIAN_TRACKER, FMT_DEBIAN_DSA,
	      FMT_OVAL, FMT_ALPINE, FMT_UNKNOWN };

static const char *format_name(enum format f)
{
	switch (f) {
	case FMT_OSV_DIR: return "osv-dir";
	case FMT_OSV_ZIP: return "osv-zip";
	case FMT_OSV: return "osv";
	case FMT_OSV_YAML: return "osv-yaml";
	case FMT_DEBIAN_TRACKER: return "debian-tracker";
	case FMT_DEBIAN_DSA: return "debian-dsa-list";
	case FMT_OVAL: return "debian-oval";
	case FMT_ALPINE: return "alpine-secdb";
	case FMT_UNKNOWN: break;
	}
	return "unknown";
}

/* A JSON document by its first keys: OSV records have "id" and
 * "affected"/"modified"; Alpine's secdb "packages" and "distroversion"; the
 * Debian tracker maps package names to objects of CVEs. */
static enum format sniff_json(const char *head, size_t n)
{
	cleanup_free char *h = xstrndup(head, n);
	if (strstr(h, "\"distroversion\"") || (strstr(h, "\"packages\"") && strstr(h, "\"secfixes\"")))
		return FMT_ALPINE;
	if (strstr(h, "\"schema_version\"") || strstr(h, "\"modified\"") ||
	    (strstr(h, "\"id\"") && strstr(h, "\"affected\"")))
		return FMT_OSV;
	if (strstr(h, "\"releases\""))
		return FMT_DEBIAN_TRACKER;
	return FMT_UNKNOWN;
}

/* The tracker's DSA/DLA/ELA lists start "[31 Jul 2025] DSA-5970-1 …". */
static bool is_dsa_list(const char *head, size_t n)
{
	if (n < 16 || head[0] != '[' || head[3] != ' ' || head[7] != ' ' || head[12] != ']')
		return false;
	return head[13] == ' ' && head[14] >= 'A' && head[14] <= 'Z';
}

static enum format detect(const char *path, struct qerr *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return q_error(err, errno, "'%s'", path), FMT_UNKNOWN;
	if (S_ISDIR(st.st_mode))
		return FMT_OSV_DIR;
	if (str_ends_with(path, ".zip"))
		return FMT_OSV_ZIP;
	if (str_ends_with(path, ".xml") || str_ends_with(path, ".xml.bz2") ||
	    str_ends_with(path, ".xml.gz"))
		return FMT_OVAL;
	if (str_ends_with(path, ".yaml") || str_ends_with(path, ".yml"))
		return FMT_OSV_YAML;
	char head[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return q_error(err, errno, "open '%s'", path), FMT_UNKNOWN;
	ssize_t n = read(fd, head, sizeof(head));
	close(fd);
	enum format f = n <= 0 ? FMT_UNKNOWN
			: is_dsa_list(head, (size_t)n) ? FMT_DEBIAN_DSA
			: sniff_json(head, (size_t)n);
	if (f == FMT_UNKNOWN)
		q_error(err, 0, "'%s': not an advisory format quench reads (OSV JSON or YAML, a "
				"directory or .zip of them, Debian tracker JSON, a DSA/DLA list, "
				"Debian OVAL XML, Alpine secdb JSON)", path);
	return f;
}

static int import_file(struct vdb_import *im, enum format f, const char *path, struct qerr *err)
{
	switch (f) {
	case FMT_OSV_DIR: return import_osv_dir(im, path, err);
	case FMT_OSV_ZIP: return import_osv_zip(im, path, err);
	case FMT_OSV:
	case FMT_OSV_YAML: {
		char *data;
		size_t len;
		if (read_file_at(AT_FDCWD, path, IMPORT_MAX_DOC, &data, &len, err) < 0)
			return -1;
		int rc = import_osv_record(im, path, data, len, f == FMT_OSV_YAML, err);
		free(data);
		return rc;
	}
	case FMT_DEBIAN_TRACKER: return import_debian_tracker(im, path, err);
	case FMT_DEBIAN_DSA: return import_debian_dsa_list(im, path, err);
	case FMT_OVAL: return import_debian_oval(im, path, err);
	case FMT_ALPINE: return import_alpine_secdb(im, path, err);
	case FMT_UNKNOWN: break;
	}
	return q_error(err, 0, "'%s': unknown format", path);
}

int vdb_import_path(struct vdb *db, const char *path, struct vdb_import_stats *st,
		    struct qerr *err)
{
	return vdb_import_path_as(db, path, NULL, st, err);
}

int vdb_import_path_as(struct vdb *db, const char *path, const char *source,
		       struct vdb_import_stats *st, struct qerr *err)
{
	memset(st, 0, sizeof(*st));
	enum format f = detect(path, err);
	if (f == FMT_UNKNOWN)
		return -1;
	char real[PATH_MAX];
	if (!source && !realpath(path, real))
		return q_error(err, errno, "'%s'", path);
	st->source = xstrdup(source ? source : real);
	st->format = xstrdup(format_name(f));
	struct vdb_import *im = vdb_import_begin(db, st->source, st->format, err);
	if (!im)
		return -1;
	vdb_import_track(im, st);
	if (import_file(im, f, path, err) < 0) {
		vdb_import_abort(im);
		return q_error_wrap(err, "import '%s'", path);
	}
	return vdb_import_commit(im, err);
}
