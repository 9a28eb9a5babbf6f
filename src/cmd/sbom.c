/* quench sbom IMAGE: every package and who owns every file, as CycloneDX
 * 1.6, SPDX 2.3, quench's JSON or a table. */
#include "cmd.h"
#include "catalog/catalog.h"
#include "sbom/sbom.h"

#include <string.h>

enum { OPT_PLATFORM = 256, OPT_FILES, OPT_NO_ELF, OPT_NO_CACHE };

struct sbom_args {
	struct common_opts co;
	const char *platform;
	const char *sbom_format;   /* cyclonedx, spdx, json; NULL: table or json */
	bool files, no_elf, no_cache;
};

static void print_table(FILE *f, const struct catalog *c)
{
	fprintf(f, "%-8s %-40s %-36s %s\n", "TYPE", "NAME", "VERSION", "FILES");
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		fprintf(f, "%-8s %-40s %-36s %zu\n", pkg_type_name(p->type), p->name ? p->name : "",
			p->version ? p->version : "", p->n_owned);
	}
	size_t unowned_elf = 0, regular = 0, owned = 0;
	for (size_t i = 0; i < c->n_files; i++) {
		const struct cat_file *fl = &c->files[i];
		if (fl->type != TAR_REG)
			continue;
		regular++;
		owned += fl->owner >= 0;
		unowned_elf += fl->owner < 0 && fl->elf;
	}
	fprintf(f, "\n%s: %zu packages; %zu of %zu regular files owned; "
		   "%zu ELF files owned by no package\n",
		c->os.pretty_name ? c->os.pretty_name : c->os.id ? c->os.id : "unknown OS",
		c->n_pkgs, owned, regular, unowned_elf);
}

static int render(const struct sbom_args *a, const struct catalog *c, const struct image *img)
{
	struct qerr err = QERR_INIT;
	struct output out;
	if (out_open(&out, a->co.output, &err) < 0)
		return fail("sbom", &err);
	if (!a->sbom_format && a->co.format == FORMAT_TABLE) {
		print_table(out.f, c);
	} else {
		enum sbom_format fmt = SBOM_NATIVE;
		if (a->sbom_format && sbom_format_parse(a->sbom_format, &fmt, &err) < 0) {
			out_close(&out, false, NULL);
			return fail("sbom", &err);
		}
		const char **diff_ids = xcalloc(img->n_layers + 1, sizeof(*diff_ids));
		for (size_t i = 0; i < img->n_layers; i++)
			diff_ids[i] = img->layers[i].diff_id;
		struct sbom_subject s = {
			.name = image_ref_format(&img->ref), .manifest_digest = img->manifest_digest,
			.config_digest = img->config_digest, .created = img->config.created,
			.os = img->platform.os, .arch = img->platform.arch,
			.layer_digests = diff_ids, .n_layers = img->n_layers,
		};
		struct sbom_opts o = { .files = a->files, .tool_version = QUENCH_VERSION };
		json_t *j = sbom_build(fmt, c, &s, &o);
		char *text = json_dump_sorted(j, true);
		fprintf(out.f, "%s\n", text);
		free(text);
		json_decref(j);
		free((char *)s.name);
		free(diff_ids);
	}
	if (out_close(&out, true, &err) < 0)
		return fail("sbom", &err);
	return EXIT_OK;
}

static int parse_args(struct sbom_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "files", no_argument, NULL, OPT_FILES },
		{ "no-elf", no_argument, NULL, OPT_NO_ELF },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == 'F' && (!strcmp(optarg, "cyclonedx") || !strcmp(optarg, "spdx"))) {
			a->sbom_format = optarg;
			continue;
		}
		if (common_opt(&a->co, c, optarg, "sbom"))
			continue;
		if (c == OPT_PLATFORM)
			a->platform = optarg;
		else if (c == OPT_FILES)
			a->files = true;
		else if (c == OPT_NO_ELF)
			a->no_elf = true;
		else if (c == OPT_NO_CACHE)
			a->no_cache = true;
		else
			return usage_error("sbom", "unknown option");
	}
	if (argc - optind != 1)
		return usage_error("sbom", "expected one IMAGE");
	common_finish(&a->co);
	return EXIT_OK;
}

int cmd_sbom(int argc, char **argv)
{
	struct sbom_args a = { 0 };
	int rc = parse_args(&a, argc, argv);
	if (rc != EXIT_OK)
		return rc;
	struct qerr err = QERR_INIT;
	struct image *img = open_image_arg(argv[optind], a.platform, &err);
	if (!img)
		return fail("sbom", &err);
	cleanup_free char *cache = a.no_cache ? NULL : cache_dir();
	cleanup_free bool *hits = xcalloc(img->n_layers + 1, sizeof(*hits));
	struct catalog_opts co = { .threads = cpu_count(), .no_elf = a.no_elf, .cache_dir = cache,
				   .cache_hits = hits };
	struct catalog *c = catalog_image(img, &co, &err);
	size_t n_hits = 0;
	for (size_t i = 0; i < img->n_layers; i++)
		n_hits += hits[i];
	if (c && n_hits)
		q_info("%zu of %zu layers read from the scan cache", n_hits, img->n_layers);
	if (!c) {
		image_free(img);
		return fail("sbom", &err);
	}
	for (size_t i = 0; i < c->warnings.n; i++)
		q_warn("%s", c->warnings.v[i]);
	rc = render(&a, c, img);
	catalog_free(c);
	image_free(img);
	return rc;
}
