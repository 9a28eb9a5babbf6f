/* quench import ROOTFS DEST: an image from a root filesystem, like
 * `podman import`, with its config given by flags or a config file. */
#include "cmd.h"

#include <fcntl.h>
#include <jansson.h>

enum {
	OPT_CONFIG = 256, OPT_ENTRYPOINT, OPT_CMD, OPT_ENV, OPT_USER, OPT_WORKDIR, OPT_LABEL,
	OPT_EXPOSE, OPT_COMPRESS, OPT_LEVEL, OPT_PLATFORM, OPT_HISTORY,
};

/* A JSON array of strings, or words split on blanks. */
static int parse_argv(const char *s, struct strvec *out, struct qerr *err)
{
	strvec_clear(out);
	if (s[0] == '[') {
		json_t *j = json_parse_bounded(s, strlen(s), 1 << 20, "argument list", err);
		if (!j)
			return -1;
		for (size_t i = 0; i < json_array_size(j); i++) {
			const char *w = json_string_value(json_array_get(j, i));
			if (!w) {
				json_decref(j);
				return q_error(err, 0, "'%s' is not a JSON array of strings", s);
			}
			strvec_push(out, w);
		}
		int ok = json_is_array(j);
		json_decref(j);
		return ok ? 0 : q_error(err, 0, "'%s' is not a JSON array of strings", s);
	}
	cleanup_free char *copy = xstrdup(s);
	char *save = NULL;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		strvec_push(out, w);
	return 0;
}

/* --config FILE: a whole image config, or just its "config" object. */
static int load_config_file(const char *path, struct image_config *cfg, struct qerr *err)
{
	char *data;
	size_t len;
	if (read_file_at(AT_FDCWD, path, IMAGE_MAX_JSON, &data, &len, err) < 0)
		return -1;
	json_t *j = json_parse_bounded(data, len, IMAGE_MAX_JSON, path, err);
	free(data);
	if (!j)
		return -1;
	if (!json_object_get(j, "config") && !json_object_get(j, "rootfs"))
		j = json_pack("{s:o}", "config", j);
	image_config_release(cfg);
	memset(cfg, 0, sizeof(*cfg));
	int rc = image_config_parse(j, cfg, err);
	json_decref(j);
	return rc < 0 ? q_error_wrap(err, "%s", path) : 0;
}

struct import_args {
	struct image_config cfg;
	struct image_writer_opts wo;
	const char *platform;
	const char *history;
};

static int import_opt(struct import_args *a, int c, const char *arg, struct qerr *err)
{
	uint64_t level;
	switch (c) {
	case OPT_CONFIG: return load_config_file(arg, &a->cfg, err);
	case OPT_ENTRYPOINT:
		a->cfg.has_entrypoint = true;
		return parse_argv(arg, &a->cfg.entrypoint, err);
	case OPT_CMD:
		a->cfg.has_cmd = true;
		return parse_argv(arg, &a->cfg.cmd, err);
	case OPT_ENV: strvec_push(&a->cfg.env, arg); return 0;
	case OPT_LABEL: strvec_push(&a->cfg.labels, arg); return 0;
	case OPT_EXPOSE:
		strvec_take(&a->cfg.exposed_ports, strchr(arg, '/') ? xstrdup(arg)
								     : xasprintf("%s/tcp", arg));
		return 0;
	case OPT_USER: free(a->cfg.user); a->cfg.user = xstrdup(arg); return 0;
	case OPT_WORKDIR: free(a->cfg.workdir); a->cfg.workdir = xstrdup(arg); return 0;
	case OPT_COMPRESS: return compression_parse(arg, &a->wo.compression, err);
	case OPT_LEVEL:
		if (parse_u64(arg, 22, &level) < 0)
			return q_error(err, 0, "--level '%s' is not a number from 0 to 22", arg);
		a->wo.level = (int)level;
		return 0;
	case OPT_PLATFORM: a->platform = arg; return 0;
	case OPT_HISTORY: a->history = arg; return 0;
	default: return q_error(err, 0, "unknown option");
	}
}

/* Platform, creation time and a history entry that says what made it. */
static int finish_config(struct import_args *a, const char *rootfs, struct qerr *err)
{
	struct platform p;
	if (a->platform ? platform_parse(a->platform, &p, err) < 0 : (platform_host(&p), 0))
		return -1;
	free(a->cfg.os);
	free(a->cfg.arch);
	free(a->cfg.variant);
	a->cfg.os = xstrdup(p.os);
	a->cfg.arch = xstrdup(p.arch);
	a->cfg.variant = p.variant[0] ? xstrdup(p.variant) : NULL;
	char when[32];
	format_rfc3339(source_date_epoch(0), when, sizeof(when));
	free(a->cfg.created);
	a->cfg.created = xstrdup(when);
	strvec_sort(&a->cfg.labels);
	strvec_sort(&a->cfg.exposed_ports);
	for (size_t i = 0; i < a->cfg.n_history; i++) {
		free(a->cfg.history[i].created);
		free(a->cfg.history[i].created_by);
		free(a->cfg.history[i].comment);
	}
	free(a->cfg.history);
	a->cfg.history = xcalloc(1, sizeof(*a->cfg.history));
	a->cfg.n_history = 1;
	a->cfg.history[0].created = xstrdup(when);
	a->cfg.history[0].created_by = a->history ? xstrdup(a->history)
						  : xasprintf("quench import %s", rootfs);
	return 0;
}

int cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
		{ "cmd", required_argument, NULL, OPT_CMD },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "user", required_argument, NULL, OPT_USER },
		{ "workdir", required_argument, NULL, OPT_WORKDIR },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "expose", required_argument, NULL, OPT_EXPOSE },
		{ "compress", required_argument, NULL, OPT_COMPRESS },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "history", required_argument, NULL, OPT_HISTORY },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts co = { 0 };
	struct import_args a = { .wo = { .compression = COMP_GZIP, .threads = cpu_count() } };
	struct qerr err = QERR_INIT;
	int c, rc = EXIT_OK;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_opt(&co, c, optarg, "import"))
			continue;
		if (c == '?' || c == 'F' || import_opt(&a, c, optarg, &err) < 0) {
			rc = usage_error("import", "%s", err.msg[0] ? err.msg : "bad option");
			goto out;
		}
	}
	if (argc - optind != 2) {
		rc = usage_error("import", "expected ROOTFS and DEST");
		goto out;
	}
	common_finish(&co);
	struct image_ref dst = IMAGE_REF_INIT;
	if (image_ref_parse(argv[optind + 1], &dst, &err) < 0 ||
	    finish_config(&a, argv[optind], &err) < 0) {
		rc = usage_error("import", "%s", err.msg);
		goto out;
	}
	if (dst.transport == TRANSPORT_DOCKER_ARCHIVE && !a.wo.level && a.wo.compression == COMP_GZIP)
		a.wo.compression = COMP_NONE;   /* docker save's layout */
	struct tree_opts topts = { .mtime = getenv("SOURCE_DATE_EPOCH") ? source_date_epoch(0) : -1 };
	char digest[DIGEST_STR_MAX];
	if (image_import(argv[optind], &dst, &a.wo, &a.cfg, &topts, digest, &err) < 0)
		rc = fail("import", &err);
	else if (!co.quiet)
		printf("%s\n", digest);
	image_ref_release(&dst);
	if (rc == EXIT_OK && fflush(stdout) != 0)
		rc = EXIT_RUNTIME;
out:
	image_config_release(&a.cfg);
	return rc;
}
