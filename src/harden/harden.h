/* harden — a new image holding only what a workload uses (docs/harden.md).
 *
 *   harden_keep_set(rootfs, cat, rbom, &opts, &keep, err)   what to keep
 *   harden_stage(rootfs, &keep, stage_dir, &opts, &stats, err)
 *                                     copy it (setuid/setgid bits dropped,
 *                                     no device nodes, owners kept, paths
 *                                     the workload wrote given to its user)
 *   harden_package_metadata(rootfs, cat, &keep, stage_dir, &n, &warnings, err)
 *                                     dpkg, apk and rpm databases (and dpkg
 *                                     file lists) of the packages that
 *                                     still have files
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
	uint64_t executables;   /* regular files with an execute bit, as written */
};
/* Copy keep from rootfs into stage (an empty directory). */
int harden_stage(const char *rootfs, const struct strvec *keep, const char *stage,
		 json_t *rbom, const struct harden_opts *o, struct harden_stats *st,
		 struct qerr *err);

/* Truthful metadata: var/lib/dpkg/status, lib/apk/db/installed and
 * rpmdb.sqlite in stage hold exactly the packages that still have a file
 * there (dpkg with their info lists and md5sums; records kept byte for
 * byte); Python distributions keep their dist-info only when one of their
 * files is kept. A database that cannot be rewritten (rpm's Berkeley DB,
 * one that changed since it was cataloged) stays whole, which over-reports,
 * and adds a warning naming it to warnings. *kept_pkgs: how many packages
 * the image still has. */
int harden_package_metadata(const char *rootfs, const struct catalog *c,
			    const struct strvec *keep, const char *stage, size_t *kept_pkgs,
			    struct strvec *warnings, struct qerr *err);

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

/* One run of the workload in the sandbox, untraced, with ps's probes (its
 * sandbox's seccomp filter enforced), stdout captured. Errors are the
 * sandbox's; a failed exec inside is r->failure with exit code 127/126. */
struct profile_spec;
struct harden_run {
	bool valid;             /* a run took place (harden_profile's of the source) */
	int exit_code;
	bool timed_out, ended_by_us;
	int probe_failed;       /* the first failing probe's exit code, or 0 */
	char *out;
	size_t len;
	struct strvec probes;   /* "http: GET URL -> 200", "cmd: … (exit 0)" */
	char *failure;
};
int harden_run_workload(const struct profile_spec *ps, struct harden_run *r, struct qerr *err);
/* The same run traced (profile_rbom), its RBOM in *rbom. */
int harden_profile_workload(const struct profile_spec *ps, const char *image,
			    const struct catalog *c, json_t **rbom, struct harden_run *r,
			    struct qerr *err);
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
	const char *image;               /* the source, as named */
	const struct profile_spec *probes;   /* how it is exercised and ended (its sandbox
					      * is ignored): profiling and validation */
	const struct strvec *validate_cmds;  /* commands run in both images when validating */
	const char *cache;               /* quench's cache directory */
	const char *rbom;                /* its path, or NULL: harden_profile makes it */
	const char *rbom_out;            /* where a profile made here goes, or NULL: beside DEST */
	const char *vex_out;             /* the hardened image's OpenVEX, or NULL: beside DEST */
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
	struct strvec keep, include, exclude;   /* include, exclude: relative */
	struct harden_opts o;
	struct harden_stats st;
	size_t pkgs_after;
	struct strvec warnings;          /* what could not be made true (to show) */
	char user[32];
	const char *why_root;            /* the RBOM's first reason, when root was kept */
	char rbom_digest[DIGEST_STR_MAX];    /* of the RBOM file, as read or as it will be written */
	bool profiled;                   /* the RBOM was made here (written with the image) */
	char *rbom_path;                 /* where it was written */
	json_t *differences;             /* when validation failed: what differed and why */
	struct harden_run source_run;    /* the profile's run, which validation takes for
					  * the source's */
	json_t *seccomp;                 /* the image's profile (harden_build_tree) */
};

/* Profile the workload (rq->probes) into j->rbom, when no RBOM was given;
 * j->img and j->cat are open. A failing probe or workload (or a timeout)
 * is an error: the profile would not show a working workload. */
int harden_profile(const struct harden_request *rq, struct harden_job *j, struct qerr *err);
/* j->rbom from rq->rbom, checked to profile j->img; its digest. */
int harden_load_rbom(const struct harden_request *rq, struct harden_job *j, struct qerr *err);

/* nonroot unless the source runs as another user, or the profile shows
 * root was needed (why_root), or rq->user decides. */
int harden_choose_user(const struct harden_request *rq, struct harden_job *j, struct qerr *err);
/* The keep set, staged (j->stage), metadata rewritten, the user added;
 * the seccomp profile (j->seccomp). */
int harden_build_tree(const struct harden_request *rq, struct harden_job *j, struct qerr *err);
/* The workload and probes (and rq->validate_cmds) on the source and on the
 * staged tree (as its user, under its seccomp profile): 0 same exit code,
 * stdout and probe results; 1 different (shown on stderr, and what the
 * hardened tree lacked, from a re-trace, in j->differences); -1 error. */
int harden_validate(const struct harden_request *rq, struct harden_job *j, struct qerr *err);
/* The image at dest (one reproducible layer, the source's config and
 * labels) and the seccomp profile (*sc_path). */
int harden_write_image(const struct harden_request *rq, struct harden_job *j, const char *dest,
		       char *digest, char **sc_path, struct qerr *err);
/* The before/after report (quench-harden/1; validation "passed", "failed"
 * — then digest and sc_path are NULL and j->differences says why — or
 * "skipped"), and its findings section
 * (NULL with err set when there is no advisory database). */
json_t *harden_report_json(const struct harden_job *j, const char *ref, const char *dest,
			   const char *digest, const char *sc_path, const char *validation);
json_t *harden_findings_json(const struct harden_request *rq, const struct harden_job *j,
			     const char *dest, struct qerr *err);
void harden_job_release(struct harden_job *j);

/* ---- the debug variant (debug.c) ---- */

/* A busybox-style toolset for the debug variant: one statically linked
 * ELF and the applets it says it has (`busybox --list`). Lifecycle:
 *   harden_debug_tools_open(path, arch, &t, err)     before anything is written
 *   harden_write_debug_variant(&t, dest, dest2, digest2, err)   after DEST
 *   harden_debug_tools_release(&t)                   always (also after a failed open)
 */
struct harden_debug_tools {
	char *path;                  /* as given, or found on PATH */
	int fd;                      /* the file checked, read again for the layer */
	uint64_t size;
	char sha256[DIGEST_STR_MAX];
	struct strvec applets;       /* sorted, unique, names only */
};
/* path (NULL: "busybox" on $PATH) must be a statically linked ELF (no
 * interpreter, no DT_NEEDED) for arch (the image's, "amd64"…; NULL or
 * unknown: any); it is run as `busybox --list`, nothing else, to name its
 * applets. */
int harden_debug_tools_open(const char *path, const char *arch, struct harden_debug_tools *t,
			    struct qerr *err);
void harden_debug_tools_release(struct harden_debug_tools *t);
/* dest2: the image at dest (just written) with its layers copied byte for
 * byte, plus one layer holding /busybox/busybox and a symlink to it per
 * applet (owner 0, mtimes 0 or SOURCE_DATE_EPOCH: reproducible); its
 * config dest's with /busybox appended to PATH, the label
 * dev.quench.debug-variant=true and one more history entry. digest2
 * receives the manifest digest. */
int harden_write_debug_variant(const struct harden_debug_tools *t, const char *dest,
			       const char *dest2, char *digest2, struct qerr *err);
/* Applet names from `--list` output (untrusted: bounded, names that cannot
 * be a plain file name in /busybox skipped), added to applets sorted and
 * unique; -1 when there are more than 4096. */
int harden_debug_parse_applets(const char *out, size_t len, struct strvec *applets);

#endif
