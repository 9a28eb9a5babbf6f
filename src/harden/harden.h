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

#endif
