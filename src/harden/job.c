/* The hardening of one image, step by step, for the verb (and later ones):
 * choose the user, build the tree, validate, write the image and its
 * seccomp profile, report. */
#include "harden/harden.h"
#include "fs/fs.h"
#include "image/image.h"
#include "report/report.h"
#include "trace/trace.h"
#include "vuln/vuln.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const shells[] = { "bin/sh", "bin/bash", "bin/dash", "usr/bin/sh",
				      "usr/bin/bash", "usr/bin/dash", "bin/busybox" };
static const char *const pkg_managers[] = { "usr/bin/apt", "usr/bin/apt-get", "usr/bin/dpkg",
					    "sbin/apk", "usr/bin/pip", "usr/bin/pip3",
					    "usr/bin/rpm", "usr/bin/dnf", "usr/bin/yum" };

/* ---- the user ---------------------------------------------------------------------------- */

static bool runs_as_root(const char *user)
{
	return !user || !*user || !strcmp(user, "0") || !strcmp(user, "root") ||
	       str_starts_with(user, "0:") || str_starts_with(user, "root:");
}

/* nonroot unless the source runs as another user already, or the profile
 * shows root was needed (then say why), or --user says. */
int harden_choose_user(const struct harden_request *rq, struct harden_job *j, struct qerr *err)
{
	const char *src = j->img->config.user;
	json_t *reasons = json_get_arr(json_array_get(json_get_arr(j->rbom, "workloads"), 0),
				       "rootReasons");
	const char *want = rq->user;
	if (!want && !runs_as_root(src)) {
		snprintf(j->user, sizeof(j->user), "%s", src);
		return 0;
	}
	if (!want && json_array_size(reasons)) {
		j->why_root = json_string_value(json_array_get(reasons, 0));
		want = "root";
	}
	if (!want || !strcmp(want, "nonroot")) {
		j->o.uid = j->o.gid = HARDEN_NONROOT_UID;
		snprintf(j->user, sizeof(j->user), "%u:%u", HARDEN_NONROOT_UID, HARDEN_NONROOT_UID);
	} else if (!strcmp(want, "root")) {
		snprintf(j->user, sizeof(j->user), "0:0");
	} else {
		uint64_t uid;
		if (parse_u64(want, 0x7fffffff, &uid) < 0)
			return q_error(err, 0, "--user '%s': nonroot, root or a numeric UID", want);
		j->o.uid = j->o.gid = (uid_t)uid;
		snprintf(j->user, sizeof(j->user), "%u:%u", (unsigned)uid, (unsigned)uid);
	}
	return 0;
}

/* ---- the profile ------------------------------------------------------------------------------ */

int harden_load_rbom(const struct harden_request *rq, struct harden_job *j, struct qerr *err)
{
	if (rbom_load(rq->rbom, &j->rbom, err) < 0)
		return -1;
	const char *profiled = json_get_str(json_get_obj(j->rbom, "image"), "manifestDigest");
	if (!profiled || strcmp(profiled, j->img->manifest_digest))
		return q_error(err, 0, "the RBOM profiles image %s, not %s (quench profile it)",
			       profiled ? profiled : "?", j->img->manifest_digest);
	cleanup_free char *data = NULL;
	size_t len;
	if (read_file_at(AT_FDCWD, rq->rbom, 1u << 30, &data, &len, err) < 0)
		return -1;
	sha256_buf(data, len, j->rbom_digest);
	j->rbom_path = xstrdup(rq->rbom);
	return 0;
}

/* A JSON file as written (the RBOM, the seccomp profile): the document,
 * indented, and a newline. */
static char *json_text(json_t *doc)
{
	char *text = json_dump_sorted(doc, true);
	char *line = xasprintf("%s\n", text);
	free(text);
	return line;
}

int harden_profile(const struct harden_request *rq, struct harden_job *j, struct qerr *err)
{
	struct sandbox_spec s = *rq->spec;   /* the tracer sets hold and seccomp on it */
	struct profile_spec ps = *rq->probes;
	ps.sandbox = &s;
	bool ends_itself = ps.duration || s.timeout || ps.http_file ||
			   (ps.probe_cmds && ps.probe_cmds->n);
	if (!ends_itself && j->img->config.exposed_ports.n)
		q_warn("the image exposes %s: a server runs until it exits; --probe-http, "
		       "--probe-cmd or --duration end its profile", j->img->config.exposed_ports.v[0]);
	q_info("profiling the workload");
	struct harden_run *r = &j->source_run;
	int rc = harden_profile_workload(&ps, rq->image, j->cat, &j->rbom, r, err);
	if (rc == 0 && r->timed_out)
		rc = q_error(err, 0, "profile: the workload timed out after %u s", s.timeout);
	else if (rc == 0 && r->probe_failed)
		rc = q_error(err, 0, "profile: a probe failed (exit %d), so the profile does not "
				     "show a working workload", r->probe_failed);
	else if (rc == 0 && r->failure)
		rc = q_error(err, 0, "profile: %s", r->failure);
	else if (rc == 0 && !r->ended_by_us && r->exit_code)
		rc = q_error(err, 0, "profile: the workload failed (exit %d), so the profile does "
				     "not show a working workload", r->exit_code);
	size_t tail = r->len > 4096 ? 4096 : r->len;
	if (rc < 0 && tail)   /* the end of what it printed, for the person who reads why */
		fprintf(stderr, "%.*s%s", (int)tail, r->out + r->len - tail,
			r->out[r->len - 1] == '\n' ? "" : "\n");
	if (rc < 0)
		return -1;
	r->valid = true;
	j->profiled = true;
	cleanup_free char *text = json_text(j->rbom);
	sha256_buf(text, strlen(text), j->rbom_digest);
	return 0;
}

/* ---- building the tree -------------------------------------------------------------------- */

int harden_build_tree(const struct harden_request *rq, struct harden_job *j, struct qerr *err)
{
	struct extract_opts eo = { .apply_owner = geteuid() == 0, .apply_xattrs = true };
	bool hit;
	if (image_rootfs_cached(j->img, rq->cache, &eo, &j->rootfs, &hit, err) < 0)
		return -1;
	/* paths in the keep set are relative: "/usr/lib/x*" means "usr/lib/x*" */
	for (size_t i = 0; rq->include && i < rq->include->n; i++)
		strvec_push(&j->include, rq->include->v[i] + strspn(rq->include->v[i], "/"));
	for (size_t i = 0; rq->exclude && i < rq->exclude->n; i++)
		strvec_push(&j->exclude, rq->exclude->v[i] + strspn(rq->exclude->v[i], "/"));
	if (rq->keep_shell)
		for (size_t i = 0; i < ARRAY_SIZE(shells); i++)
			strvec_push(&j->include, shells[i]);
	j->o.include = &j->include;
	j->o.exclude = &j->exclude;
	j->o.workdir = rq->spec->workdir;
	if (harden_keep_set(j->rootfs, j->cat, j->rbom, &j->o, &j->keep, err) < 0)
		return -1;
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	j->stage = xasprintf("%s/quench-harden-XXXXXX", tmp);
	if (!mkdtemp(j->stage)) {
		q_error(err, errno, "mkdtemp '%s'", j->stage);
		free(j->stage);
		j->stage = NULL;
		return -1;
	}
	chmod(j->stage, 0755);
	if (harden_stage(j->rootfs, &j->keep, j->stage, j->rbom, &j->o, &j->st, err) < 0 ||
	    harden_package_metadata(j->rootfs, j->cat, &j->keep, j->stage, &j->pkgs_after,
				    &j->warnings, err) < 0)
		return -1;
	if (harden_ldcache(j->rootfs, j->stage, &j->keep, err) < 0)
		return -1;
	if (harden_add_user(j->stage, j->o.uid, j->o.gid, err) < 0)
		return -1;
	j->seccomp = harden_seccomp(j->rbom);
	return 0;
}

/* ---- writing ------------------------------------------------------------------------------ */

/* Where a file that goes with the image goes: given, else beside the
 * image (DIR<suffix> for a layout, FILE<suffix> for an archive). */
static char *beside(const char *given, const struct image_ref *dst, const char *suffix)
{
	if (given)
		return xstrdup(given);
	const char *p = dst->path ? dst->path : "image";
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s", (int)n, p, suffix);
}

static int write_text(const char *path, const char *text, struct qerr *err)
{
	struct atomic_file af;
	if (atomic_file_open(&af, path, 0644, err) < 0)
		return -1;
	if (write_all(af.fd, text, strlen(text), err) < 0) {
		atomic_file_abort(&af);
		return -1;
	}
	return atomic_file_commit(&af, err);
}

/* The source's config, run as the chosen user, labelled with what it came
 * from. */
static void hardened_config(const struct harden_job *j, const char *rbom_digest,
			    const char *sc_digest, struct image_config *cfg)
{
	const struct image_config *s = &j->img->config;
	memset(cfg, 0, sizeof(*cfg));
	cfg->os = xstrdup(s->os ? s->os : "linux");
	cfg->arch = xstrdup(s->arch ? s->arch : "amd64");
	cfg->variant = s->variant ? xstrdup(s->variant) : NULL;
	cfg->user = xstrdup(j->user);
	cfg->workdir = s->workdir ? xstrdup(s->workdir) : NULL;
	cfg->stop_signal = s->stop_signal ? xstrdup(s->stop_signal) : NULL;
	cfg->has_entrypoint = s->has_entrypoint;
	cfg->has_cmd = s->has_cmd;
	for (size_t i = 0; i < s->entrypoint.n; i++)
		strvec_push(&cfg->entrypoint, s->entrypoint.v[i]);
	for (size_t i = 0; i < s->cmd.n; i++)
		strvec_push(&cfg->cmd, s->cmd.v[i]);
	for (size_t i = 0; i < s->env.n; i++)
		strvec_push(&cfg->env, s->env.v[i]);
	for (size_t i = 0; i < s->exposed_ports.n; i++)
		strvec_push(&cfg->exposed_ports, s->exposed_ports.v[i]);
	for (size_t i = 0; i < s->labels.n; i++)
		strvec_push(&cfg->labels, s->labels.v[i]);
	strvec_take(&cfg->labels, xasprintf("org.opencontainers.image.base.digest=%s",
					    j->img->manifest_digest));
	strvec_take(&cfg->labels, xasprintf("dev.quench.rbom.digest=%s", rbom_digest));
	strvec_take(&cfg->labels, xasprintf("dev.quench.seccomp.digest=%s", sc_digest));
	strvec_sort(&cfg->labels);
	cfg->history = xcalloc(1, sizeof(*cfg->history));
	cfg->history[0].created_by = xstrdup("quench harden");
	cfg->history[0].comment = xasprintf("hardened from %s", j->img->manifest_digest);
	cfg->n_history = 1;
}

int harden_write_image(const struct harden_request *rq, struct harden_job *j, const char *dest,
		       char *digest, char **sc_path, struct qerr *err)
{
	struct image_ref dst = IMAGE_REF_INIT;
	if (image_ref_parse(dest, &dst, err) < 0)
		return -1;
	*sc_path = beside(rq->seccomp_out, &dst, ".seccomp.json");
	cleanup_free char *sc_text = json_text(j->seccomp);
	char sc_digest[DIGEST_STR_MAX];
	sha256_buf(sc_text, strlen(sc_text), sc_digest);
	struct image_config cfg;
	hardened_config(j, j->rbom_digest, sc_digest, &cfg);
	struct image_writer_opts wo = { .compression = dst.transport == TRANSPORT_DOCKER_ARCHIVE
							       ? COMP_NONE : COMP_GZIP };
	/* one reproducible layer: same inputs, same digest */
	struct tree_opts topts = { .mtime = getenv("SOURCE_DATE_EPOCH") ? source_date_epoch(0) : 0 };
	int rc = image_import(j->stage, &dst, &wo, &cfg, &topts, digest, err);
	if (rc == 0)
		rc = write_text(*sc_path, sc_text, err);
	if (rc == 0 && j->profiled) {
		j->rbom_path = beside(rq->rbom_out, &dst, ".rbom.json");
		cleanup_free char *text = json_text(j->rbom);
		rc = write_text(j->rbom_path, text, err);
	}
	image_config_release(&cfg);
	image_ref_release(&dst);
	return rc;
}

/* ---- the report ------------------------------------------------------------------------------ */

static json_t *found(const char *const *paths, size_t n,
		     bool (*in)(const struct harden_job *, const char *), const struct harden_job *j)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		if (in(j, paths[i]))
			json_array_append_new(a, json_string(paths[i]));
	return a;
}

static bool in_source(const struct harden_job *j, const char *path)
{
	return catalog_file(j->cat, path) != NULL;
}

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

static bool in_hardened(const struct harden_job *j, const char *path)
{
	return j->keep.n && bsearch(path, j->keep.v, j->keep.n, sizeof(*j->keep.v), cmp_key) &&
	       in_source(j, path);
}

static json_t *source_json(const struct harden_job *j, const char *ref)
{
	uint64_t bytes = 0, setuid = 0, files = 0, execs = 0;
	for (size_t i = 0; i < j->cat->n_files; i++) {
		const struct cat_file *f = &j->cat->files[i];
		files += f->type != TAR_DIR;
		bytes += f->size;
		setuid += (f->mode & 06000) && f->type != TAR_DIR;
		execs += f->type == TAR_REG && (f->mode & 0111);
	}
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:s}", "image", ref,
			 "manifestDigest", j->img->manifest_digest, "files", (json_int_t)files,
			 "executables", (json_int_t)execs,
			 "bytes", (json_int_t)bytes, "packages", (json_int_t)j->cat->n_pkgs, "shells",
			 found(shells, ARRAY_SIZE(shells), in_source, j), "packageManagers",
			 found(pkg_managers, ARRAY_SIZE(pkg_managers), in_source, j), "setuidFiles",
			 (json_int_t)setuid, "user",
			 j->img->config.user && *j->img->config.user ? j->img->config.user : "root");
}

json_t *harden_report_json(const struct harden_job *j, const char *ref, const char *dest,
			   const char *digest, const char *sc_path, const char *validation)
{
	size_t allowed = json_array_size(json_get_arr(json_array_get(json_get_arr(j->seccomp,
										  "syscalls"), 0),
						       "names"));
	json_t *hard = json_pack("{s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:s, s:I, s:s?}",
				 "image", dest, "manifestDigest", digest, "files",
				 (json_int_t)j->st.files, "executables", (json_int_t)j->st.executables,
				 "symlinks", (json_int_t)j->st.symlinks,
				 "bytes", (json_int_t)j->st.bytes, "packages",
				 (json_int_t)j->pkgs_after, "shells",
				 found(shells, ARRAY_SIZE(shells), in_hardened, j), "packageManagers",
				 found(pkg_managers, ARRAY_SIZE(pkg_managers), in_hardened, j),
				 "setuidFiles", (json_int_t)j->st.setuid_left, "user", j->user, "syscallsAllowed",
				 (json_int_t)allowed, "seccompProfile", sc_path);
	json_t *r = json_pack("{s:s, s:o, s:o, s:{s:I, s:I}, s:s?, s:s, s:s?}", "schema",
			      "quench-harden/1", "source", source_json(j, ref), "hardened", hard,
			      "dropped", "setuidBits", (json_int_t)j->st.setuid_dropped,
			      "deviceNodes", (json_int_t)j->st.devices_dropped, "rootNeededFor",
			      j->why_root, "validation", validation, "rbom",
			      j->rbom_path);
	if (j->differences)
		json_object_set(r, "differences", j->differences);
	return r;
}

/* ---- the findings, sorted ------------------------------------------------------------------- */

static json_t *finding_left(const struct catalog *c, const struct vuln_finding *f)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "id", f->id, "package", c->pkgs[f->pkg].name,
			      "class", f->reach ? f->reach : "?", "severity",
			      f->severity_source ? cvss_severity_name(f->severity) : "unknown");
	if (f->reach_evidence)
		json_object_set_new(j, "evidence", json_string_lossy(f->reach_evidence));
	return j;
}

/* The OpenVEX of the hardened image beside it: reachable findings
 * affected, present ones not in the execute path, removed ones not
 * present; `quench scan --vex` or `trivy --vex` with it shows only what
 * the workload reaches. */
static int write_vex(const struct harden_request *rq, const struct image *hard,
		     const struct catalog *c, const struct vuln_report *r, char **path,
		     struct qerr *err)
{
	struct report_subject s = {
		.image = { .name = image_ref_format(&hard->ref), .manifest_digest = hard->manifest_digest,
			   .config_digest = hard->config_digest },
		.tool_version = QUENCH_VERSION,
	};
	char when[32];
	format_rfc3339(source_date_epoch((int64_t)time(NULL)), when, sizeof(when));
	json_t *vex = report_openvex(c, r, &s, when);
	*path = beside(rq->vex_out, &hard->ref, ".openvex.json");
	cleanup_free char *text = json_text(vex);
	int rc = write_text(*path, text, err);
	json_decref(vex);
	free((char *)s.image.name);
	return rc;
}

static json_t *findings_sorted(const struct harden_job *j, const struct vuln_report *r,
			       const char *vex)
{
	size_t n[3] = { 0 };
	json_t *left = json_array();
	for (size_t i = 0; i < r->n; i++) {
		const char *cls = r->v[i].reach ? r->v[i].reach : "";
		n[!strcmp(cls, "reachable") ? 0 : !strcmp(cls, "present") ? 1 : 2]++;
		if (strcmp(cls, "removed"))
			json_array_append_new(left, finding_left(j->cat, &r->v[i]));
	}
	/* open: what a scanner still reports once the VEX is applied */
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:s?}", "before", (json_int_t)r->n,
			 "after", (json_int_t)(n[0] + n[1]), "open", (json_int_t)n[0], "reachable",
			 (json_int_t)n[0], "present", (json_int_t)n[1], "removed", (json_int_t)n[2],
			 "left", left, "vex", vex);
}

/* Every finding of the source: reachable (the file that made it so named),
 * present (shipped, never used, still in the hardened image) or removed;
 * and the hardened image's OpenVEX written beside it. Without an advisory
 * database, nothing (said). */
json_t *harden_findings_json(const struct harden_request *rq, const struct harden_job *j,
			     const char *dest, struct qerr *err)
{
	struct vdb *db;
	if (vdb_open(rq->db, false, &db, err) < 0)
		return NULL;
	struct vuln_report r;
	struct match_opts mo = { 0 };
	struct image_ref ref = IMAGE_REF_INIT;
	struct image *hard = NULL;
	struct catalog *hc = NULL;
	json_t *out = NULL;
	if (vuln_match(db, j->cat, &mo, &r, err) == 0) {
		struct catalog_opts co = { .threads = 0 };   /* 0: every CPU */
		cleanup_free char *vex = NULL;
		if (image_ref_parse(dest, &ref, err) == 0 && (hard = image_open(&ref, NULL, err)) &&
		    (hc = catalog_image(hard, &co, err)) &&
		    report_reachability(j->rbom, j->cat, NULL, &r, err) == 0) {
			report_mark_removed(&r, j->cat, hc);
			if (write_vex(rq, hard, j->cat, &r, &vex, err) == 0)
				out = findings_sorted(j, &r, vex);
		}
		vuln_report_release(&r);
	}
	catalog_free(hc);
	image_free(hard);
	image_ref_release(&ref);
	vdb_close(db);
	return out;
}

void harden_job_release(struct harden_job *j)
{
	if (j->stage) {
		fs_remove_at(AT_FDCWD, j->stage, NULL);
		free(j->stage);
	}
	strvec_clear(&j->keep);
	strvec_clear(&j->include);
	strvec_clear(&j->exclude);
	strvec_clear(&j->warnings);
	free(j->rootfs);
	free(j->rbom_path);
	json_decref(j->differences);
	harden_run_release(&j->source_run);
	json_decref(j->seccomp);
	json_decref(j->rbom);
	catalog_free(j->cat);
	image_free(j->img);
}

