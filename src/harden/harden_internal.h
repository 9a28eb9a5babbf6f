/* harden — private: what the keep set and the metadata writer share. */
#ifndef QUENCH_HARDEN_INTERNAL_H
#define QUENCH_HARDEN_INTERNAL_H

#include "harden/harden.h"

/* kept[i] (c->n_pkgs flags, the caller's): does package i still own one
 * of the kept paths that is not a directory? Ownership is the catalog's
 * (a dpkg list naming "/lib" does not make merged-/usr's link its file). */
void harden_kept_packages(const struct catalog *c, const struct strvec *keep, bool *kept);

/* ---- rewriting package databases (metadata.c, metadata_rpm.c) ---- */

/* Is path (clean, relative) in keep (sorted)? */
bool harden_is_kept(const struct strvec *keep, const char *path);
/* The image's file at path, resolved inside root_fd, at most max bytes. */
int harden_read_source(int root_fd, const char *path, size_t max, char **data, size_t *len,
		       struct qerr *err);
/* Replace the content of the staged file at path (its owner and mode stay). */
int harden_rewrite_staged(int stage_fd, const char *path, const void *data, size_t len,
			  struct qerr *err);
/* The bytes of apk's installed database (untrusted; as the catalog c read
 * it) without the records of the packages that are gone (!kept[i]) and the
 * blank lines after each; every other byte stays. 1: out holds them; 0:
 * nothing is gone; -1: data is not what was cataloged (it must stay whole). */
int harden_apk_prune(const char *data, size_t len, const struct catalog *c, const bool *kept,
		     struct strbuf *out);
/* rpm's databases that are staged, without the packages that are gone
 * (kept: harden_kept_packages's flags); a database we cannot rewrite is
 * left whole, with a warning. */
int harden_rpm_metadata(int root_fd, int stage_fd, const struct catalog *c,
			const struct strvec *keep, const bool *kept, struct strvec *warnings,
			struct qerr *err);
/* The bytes of an rpmdb.sqlite (untrusted) without the packages whose hnum
 * is in drop: their rows in Packages and in every table that has an hnum
 * column (rpm's indexes), then VACUUMed so that no deleted header is left
 * in a free page. *out is the caller's. */
int harden_rpmdb_prune(const void *data, size_t len, const int64_t *drop, size_t n_drop,
		       char **out, size_t *out_len, struct qerr *err);

#endif
