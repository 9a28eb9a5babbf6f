/* harden — a new image holding only what a workload uses (docs/harden.md).
 *
 *   harden_keep_set(rootfs, cat, rbom, &opts, &keep, err)   what to keep
 *   harden_stage(rootfs, &keep, stage_dir, &opts, &stats, err)
 *                                     copy it (setuid/setgid bits dropped,
 *                                     no device nodes, owners kept, paths
 *                                     the workload wrote given to its user)
 *   harden_package_metadata(rootfs, cat, &keep, stage_dir, err)
 *                                     dpkg status and file lists of the
 *                                     packages that still have files
 *   harden_ldcache(rootfs, stage_dir, &keep, err)
 *                                     etc/ld.so.cache listing only the
 *                                     libraries still there
 *   harden_seccomp(rbom)              the OCI/Docker seccomp profile
 *
 * The RBOM (docs/rbom.md) is untrusted input: its paths are only ever
 * resolved inside the image's root.
 */
#ifndef QUENCH_HARDEN_H
#define QUENCH_HARDEN_H

#include "catalog/catalog.h"
#include "util/util.h"

#include <jansson.h>
#include <sys/types.h>

#define HARDEN_NONROOT_UID 65532

struct harden_opts {
	const struct strvec *include;   /* paths or fnmatch globs kept too */
	const struct strvec *exclude;   /* globs never kept */
	const char *workdir;            /* the image's workdir, kept */
	uid_t uid;                      /* the user the image will run as */
	gid_t gid;
	bool keep_shell;                /* keep /bin/sh and friends even when unused */
};

/* Every path to keep, clean and relative ("usr/bin/python3.11"), sorted,
 * parents before children: what the RBOM shows used (not missing), with
 * the symlinks on their way, the ELF DT_NEEDED closure of every kept ELF
 * file (its interpreter, its own directory, the default library
 * directories), the essentials a workload may touch on a cold path
 * (/etc/passwd, group, nsswitch.conf, hosts, ld.so.cache, CA certificates
 * when TLS code is loaded, /tmp, the workdir), and --include. */
int harden_keep_set(const char *rootfs, const struct catalog *c, json_t *rbom,
		    const struct harden_opts *o, struct strvec *keep, struct qerr *err);

struct harden_stats {
	uint64_t files, dirs, symlinks, bytes;
	uint64_t setuid_dropped, devices_dropped, chowned;
	uint64_t setuid_left;   /* files of the staged tree with a setuid/setgid bit, as written */
};
/* Copy keep from rootfs into stage (an empty directory). */
int harden_stage(const char *rootfs, const struct strvec *keep, const char *stage,
		 json_t *rbom, const struct harden_opts *o, struct harden_stats *st,
		 struct qerr *err);

/* Truthful metadata: var/lib/dpkg/status in stage holds exactly the dpkg
 * packages that still have a file there (with their info lists and
 * md5sums); Python distributions keep their dist-info only when one of
 * their files is kept. *kept_pkgs: how many packages the image still has. */
int harden_package_metadata(const char *rootfs, const struct catalog *c,
			    const struct strvec *keep, const char *stage, size_t *kept_pkgs,
			    struct qerr *err);

/* stage's etc/ld.so.cache: the source's entries (order, flags, hwcaps
 * kept) whose path, resolved inside the stage, is a file there; written
 * as ldconfig writes the new format. None when keep lacks the cache (the
 * source has none, or it was excluded); none, with a warning, when the
 * source's cannot be read (the loader would ignore it). */
int harden_ldcache(const char *rootfs, const char *stage, const struct strvec *keep,
		   struct qerr *err);

/* Add the nonroot user (HARDEN_NONROOT_UID) and its group to the staged
 * /etc/passwd and /etc/group, unless they have those ids already; a no-op
 * for other ids. */
int harden_add_user(const char *stage, uid_t uid, gid_t gid, struct qerr *err);

/* One run of the workload in the sandbox (spec as for sandbox_start), its
 * stdout captured. Errors are the sandbox's; the workload's exit code is
 * r->exit_code (sandbox_wait's meaning). */
struct sandbox_spec;
struct harden_run {
	int exit_code;
	bool timed_out;
	char *out;
	size_t len;
};
int harden_run_workload(const struct sandbox_spec *spec, struct harden_run *r, struct qerr *err);
void harden_run_release(struct harden_run *r);

/* The seccomp profile (OCI runtime / Docker JSON): default SCMP_ACT_ERRNO,
 * the RBOM's syscalls and what a runtime needs to start a process allowed. */
json_t *harden_seccomp(json_t *rbom);

/* ---- one hardening, step by step (job.c) ---- */

struct image;
struct sandbox_spec;

/* What the verb asks. */
struct harden_request {
	struct sandbox_spec *spec;       /* the source's workload (validation runs it) */
	const char *cache;               /* quench's cache directory */
	const char *rbom;                /* its path (its digest labels the image) */
	const char *user;                /* "nonroot", "root", a UID, or NULL: decide */
	const char *seccomp_out;         /* the profile's path, or NULL: beside DEST */
	const char *db;                  /* the advisory database, for the report */
	const struct strvec *include, *exclude;
	bool keep_shell, ignore_output;
};

/* Everything one hardening holds (harden_job_release frees it). The
 * caller opens img, loads rbom and catalogs cat. */
struct harden_job {
	struct image *img;
	struct catalog *cat;
	json_t *rbom;
	char *rootfs, *stage;
	struct strvec keep, include;
	struct harden_opts o;
	struct harden_stats st;
	size_t pkgs_after;
	char user[32];
	const char *why_root;            /* the RBOM's first reason, when root was kept */
};

/* nonroot unless the source runs as another user, or the profile shows
 * root was needed (why_root), or rq->user decides. */
int harden_choose_user(const struct harden_request *rq, struct harden_job *j, struct qerr *err);
/* The keep set, staged (j->stage), metadata rewritten, the user added. */
int harden_build_tree(const struct harden_request *rq, struct harden_job *j, struct qerr *err);
/* The workload on the source and on the staged tree (as its user, under
 * its seccomp profile): 0 same exit code and stdout, 1 different (both
 * shown on stderr), -1 error. */
int harden_validate(const struct harden_request *rq, struct harden_job *j, struct qerr *err);
/* The image at dest (one reproducible layer, the source's config and
 * labels) and the seccomp profile (*sc_path). */
int harden_write_image(const struct harden_request *rq, struct harden_job *j, const char *dest,
		       char *digest, char **sc_path, struct qerr *err);
/* The before/after report (quench-harden/1), and its findings section
 * (NULL with err set when there is no advisory database). */
json_t *harden_report_json(const struct harden_job *j, const char *ref, const char *dest,
			   const char *digest, const char *sc_path, bool validated);
json_t *harden_findings_json(const struct harden_request *rq, const struct harden_job *j,
			     const char *dest, struct qerr *err);
void harden_job_release(struct harden_job *j);

#endif
