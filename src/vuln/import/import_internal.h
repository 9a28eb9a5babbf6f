/* vuln/import — private: one reader per advisory format. Each adds what it
 * reads to an open import (vdb_add_advisory, vdb_add_affected). A record it
 * cannot read is a vdb_import_warn and the reader goes on; only a file that
 * cannot be read at all (I/O, not the format it claimed) is an error. All
 * input is untrusted: bounded, and every string checked. */
#ifndef QUENCH_VULN_IMPORT_INTERNAL_H
#define QUENCH_VULN_IMPORT_INTERNAL_H

#include "vuln/vuln.h"

/* Largest single record or document read into memory. */
#define IMPORT_MAX_DOC (256u << 20)

/* One OSV record (JSON, or YAML when yaml), named `name` in warnings. */
int import_osv_record(struct vdb_import *im, const char *name, const char *data, size_t len,
		      bool yaml, struct qerr *err);
/* Every *.json, *.yaml, *.yml under a directory, or in a .zip (osv.dev's
 * per-ecosystem all.zip). */
int import_osv_dir(struct vdb_import *im, const char *path, struct qerr *err);
int import_osv_zip(struct vdb_import *im, const char *path, struct qerr *err);

/* The Debian Security Tracker's JSON (package → CVE → releases → status). */
int import_debian_tracker(struct vdb_import *im, const char *path, struct qerr *err);
/* The tracker's DSA/DLA lists: advisories aliasing the CVEs they fix. */
int import_debian_dsa_list(struct vdb_import *im, const char *path, struct qerr *err);
/* Debian OVAL XML, plain or compressed (.bz2, .gz), streamed. */
int import_debian_oval(struct vdb_import *im, const char *path, struct qerr *err);
/* Alpine secdb JSON (secfixes; "0" means not affected). */
int import_alpine_secdb(struct vdb_import *im, const char *path, struct qerr *err);

/* "CVE-YYYY-NNNN…" exactly (p need not be terminated). */
bool import_is_cve(const char *p, size_t n);

/* Count what im adds into st (the caller's) instead of im's own. */
void vdb_import_track(struct vdb_import *im, struct vdb_import_stats *st);

/* Debian release codename → "Debian:12"; NULL when unknown. */
const char *debian_ecosystem(const char *codename);

#endif
