/* quench inspect IMAGE */
#include "cmd.h"
#include "image/image.h"

#include <jansson.h>

enum { OPT_PLATFORM = 256, OPT_NO_VERIFY };

static json_t *strvec_json(const struct strvec *sv, bool present)
{
	if (!present)
		return json_null();
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

/* "k=v" pairs back into an object. */
static json_t *labels_json(const struct strvec *sv)
{
	json_t *o = json_object();
	for (size_t i = 0; i < sv->n; i++) {
		const char *eq = strchr(sv->v[i], '=');
		cleanup_free char *k = xstrndup(sv->v[i], eq ? (size_t)(eq - sv->v[i]) : strlen(sv->v[i]));
		json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
	}
	return o;
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *config_json(const struct image *img)
{
	const struct image_config *c = &img->config;
	json_t *o = json_object();
	json_object_set_new(o, "digest", json_string(img->config_digest));
	json_object_set_new(o, "mediaType", json_string(img->config_media_type));
	json_object_set_new(o, "created", opt_str(c->created));
	json_object_set_new(o, "author", opt_str(c->author));
	json_object_set_new(o, "user", opt_str(c->user));
	json_object_set_new(o, "entrypoint", strvec_json(&c->entrypoint, c->has_entrypoint));
	json_object_set_new(o, "cmd", strvec_json(&c->cmd, c->has_cmd));
	json_object_set_new(o, "env", strvec_json(&c->env, true));
	json_object_set_new(o, "workingDir", opt_str(c->workdir));
	json_object_set_new(o, "labels", labels_json(&c->labels));
	json_object_set_new(o, "exposedPorts", strvec_json(&c->exposed_ports, true));
	json_object_set_new(o, "volumes", strvec_json(&c->volumes, true));
	json_object_set_new(o, "stopSignal", opt_str(c->stop_signal));
	return o;
}

static json_t *layers_json(const struct image *img, const uint64_t *sizes)
{
	json_t *a = json_array();
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct layer_info *l = &img->layers[i];
		json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s}", "mediaType",
				      l->desc.media_type ? l->desc.media_type : "", "digest",
				      l->desc.digest, "size", (json_int_t)l->desc.size, "diffID",
				      l->diff_id, "compression", compression_name(l->compression));
		json_object_set_new(o, "uncompressedSize",
				    sizes ? json_integer((json_int_t)sizes[i]) : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *history_json(const struct image *img)
{
	json_t *a = json_array();
	for (size_t i = 0; i < img->config.n_history; i++) {
		const struct history_entry *h = &img->config.history[i];
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:b}", "created",
						   opt_str(h->created), "createdBy",
						   opt_str(h->created_by), "comment",
						   opt_str(h->comment), "emptyLayer", h->empty_layer));
	}
	return a;
}

static json_t *inspect_json(const struct image *img, const uint64_t *sizes)
{
	char *ref = image_ref_format(&img->ref);
	json_t *o = json_object();
	json_object_set_new(o, "reference", json_string(ref));
	free(ref);
	json_object_set_new(o, "transport", json_string(transport_name(img->ref.transport)));
	json_object_set_new(o, "digest", json_string(img->manifest_digest));
	json_object_set_new(o, "mediaType", json_string(img->manifest_media_type));
	json_object_set_new(o, "os", json_string(img->platform.os));
	json_object_set_new(o, "architecture", json_string(img->platform.arch));
	if (img->platform.variant[0])
		json_object_set_new(o, "variant", json_string(img->platform.variant));
	json_object_set_new(o, "config", config_json(img));
	json_object_set_new(o, "layers", layers_json(img, sizes));
	json_object_set_new(o, "history", history_json(img));
	json_object_set_new(o, "verified", json_boolean(sizes != NULL));
	return o;
}

static void print_list(FILE *f, const char *label, const struct strvec *sv, bool present)
{
	fprintf(f, "%-12s", label);
	if (!present) {
		fprintf(f, "(none)\n");
		return;
	}
	fprintf(f, "[");
	for (size_t i = 0; i < sv->n; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", sv->v[i]);
	fprintf(f, "]\n");
}

static void print_lines(FILE *f, const char *label, const struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		fprintf(f, "%-12s%s\n", i ? "" : label, sv->v[i]);
}

static void print_layers(FILE *f, const struct image *img, const uint64_t *sizes)
{
	uint64_t packed = 0, unpacked = 0;
	for (size_t i = 0; i < img->n_layers; i++) {
		packed += img->layers[i].desc.size;
		unpacked += sizes ? sizes[i] : 0;
	}
	char a[32], b[32];
	fprintf(f, "\nLayers: %zu, %s compressed", img->n_layers, human_size(packed, a, sizeof(a)));
	if (sizes)
		fprintf(f, ", %s uncompressed, all digests verified",
			human_size(unpacked, b, sizeof(b)));
	fprintf(f, "\n  %-3s %-19s %-5s %11s %13s  %s\n", "#", "DIGEST", "COMP", "SIZE",
		"UNCOMPRESSED", "DIFF ID");
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct layer_info *l = &img->layers[i];
		fprintf(f, "  %-3zu %.19s %-5s %11s %13s  %.19s\n", i + 1, l->desc.digest,
			compression_name(l->compression), human_size(l->desc.size, a, sizeof(a)),
			sizes ? human_size(sizes[i], b, sizeof(b)) : "-", l->diff_id);
	}
}

static void print_history(FILE *f, const struct image *img)
{
	if (!img->config.n_history)
		return;
	fprintf(f, "\nHistory:\n");
	for (size_t i = 0; i < img->config.n_history; i++) {
		const struct history_entry *h = &img->config.history[i];
		fprintf(f, "  %-20.20s %s%s\n", h->created ? h->created : "-",
			h->created_by ? h->created_by : (h->comment ? h->comment : ""),
			h->empty_layer ? "  (no layer)" : "");
	}
}

static void inspect_table(FILE *f, const struct image *img, const uint64_t *sizes)
{
	const struct image_config *c = &img->config;
	char *ref = image_ref_format(&img->ref);
	fprintf(f, "%-12s%s\n%-12s%s\n", "Image", ref, "Digest", img->manifest_digest);
	free(ref);
	fprintf(f, "%-12s%s/%s%s%s\n", "Platform", img->platform.os, img->platform.arch,
		img->platform.variant[0] ? "/" : "", img->platform.variant);
	fprintf(f, "%-12s%s\n", "Config", img->config_digest);
	fprintf(f, "%-12s%s\n", "Created", c->created ? c->created : "-");
	fprintf(f, "%-12s%s\n", "User", c->user && *c->user ? c->user : "(root)");
	print_list(f, "Entrypoint", &c->entrypoint, c->has_entrypoint);
	print_list(f, "Cmd", &c->cmd, c->has_cmd);
	fprintf(f, "%-12s%s\n", "Workdir", c->workdir && *c->workdir ? c->workdir : "/");
	print_lines(f, "Env", &c->env);
	print_lines(f, "Labels", &c->labels);
	print_lines(f, "Ports", &c->exposed_ports);
	print_lines(f, "Volumes", &c->volumes);
	print_layers(f, img, sizes);
	print_history(f, img);
}

static int render(const struct image *img, const uint64_t *sizes, const struct common_opts *co,
		  const char *raw)
{
	struct qerr err = QERR_INIT;
	struct output out;
	if (out_open(&out, co->output, &err) < 0)
		return fail("inspect", &err);
	if (raw && !strcmp(raw, "raw-manifest")) {
		fwrite(img->manifest_raw, 1, img->manifest_len, out.f);
	} else if (raw) {
		fwrite(img->config_raw, 1, img->config_len, out.f);
	} else if (co->format == FORMAT_JSON) {
		json_t *j = inspect_json(img, sizes);
		char *s = json_dump_sorted(j, true);
		fprintf(out.f, "%s\n", s);
		free(s);
		json_decref(j);
	} else {
		inspect_table(out.f, img, sizes);
	}
	if (out_close(&out, true, &err) < 0)
		return fail("inspect", &err);
	return EXIT_OK;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts co = { 0 };
	const char *platform = NULL, *raw = NULL;
	bool verify = true;
	int c;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_opt(&co, c, optarg, "inspect"))
			continue;
		if (c == 'F' && (!strcmp(optarg, "raw-manifest") || !strcmp(optarg, "raw-config")))
			raw = optarg;
		else if (c == 'F')
			return usage_error("inspect", "unknown format '%s'", optarg);
		else if (c == OPT_PLATFORM)
			platform = optarg;
		else if (c == OPT_NO_VERIFY)
			verify = false;
		else
			return usage_error("inspect", "unknown option");
	}
	if (argc - optind != 1)
		return usage_error("inspect", "expected one IMAGE");
	common_finish(&co);
	struct qerr err = QERR_INIT;
	struct image *img = open_image_arg(argv[optind], platform, &err);
	if (!img)
		return fail("inspect", &err);
	cleanup_free uint64_t *sizes = NULL;
	if (verify && !raw) {
		sizes = xcalloc(img->n_layers + 1, sizeof(*sizes));
		if (image_verify_layers(img, sizes, cpu_count(), &err) < 0) {
			image_free(img);
			return fail("inspect", &err);
		}
	}
	int rc = render(img, verify && !raw ? sizes : NULL, &co, raw);
	image_free(img);
	return rc;
}
