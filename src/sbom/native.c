/* quench's own SBOM ("quench-sbom/1", docs/sbom-json.md): the catalog as
 * it is, nothing mapped onto another model's fields, so that nothing the
 * catalog knows is lost (layers as indexes, every ELF detail, warnings).
 */
#include "sbom/sbom_internal.h"
#include "fs/fs.h"

struct native {
	const struct catalog *c;
	const struct sbom_subject *s;
	const struct sbom_opts *o;
	struct idset ids;
	const char **ref;    /* each package's ref: its purl, made unique */
	json_t **owned;      /* with --files: each package's paths, in path order */
};

static json_t *strings(const char *const *v, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; v && i < n; i++)
		if (v[i])
			json_array_append_new(arr, sbom_str(v[i]));
	return arr;
}

static json_t *image(const struct native *x)
{
	const struct sbom_subject *s = x->s;
	json_t *j = json_object();
	sbom_set_str(j, "name", s->name);
	sbom_set_str(j, "manifest_digest", s->manifest_digest);
	sbom_set_str(j, "config_digest", s->config_digest);
	sbom_set_str(j, "created", s->created);
	sbom_set_str(j, "os", s->os);
	sbom_set_str(j, "arch", s->arch);
	json_object_set_new(j, "layers", strings(s->layer_digests, s->n_layers));
	return j;
}

static json_t *os(const struct os_info *os)
{
	json_t *j = json_object();
	sbom_set_str(j, "id", os->id);
	sbom_set_str(j, "version_id", os->version_id);
	sbom_set_str(j, "codename", os->codename);
	sbom_set_str(j, "pretty_name", os->pretty_name);
	sbom_set_str(j, "id_like", os->id_like);
	return j;
}

/* Each package's files in one pass over the tree (not one per package). */
static void collect_owned(struct native *x)
{
	x->owned = xcalloc(x->c->n_pkgs + 1, sizeof(*x->owned));
	for (size_t i = 0; i < x->c->n_pkgs; i++)
		x->owned[i] = json_array();
	for (size_t k = 0; k < x->c->n_files; k++) {
		const struct cat_file *f = &x->c->files[k];
		if (f->owner >= 0 && (size_t)f->owner < x->c->n_pkgs)
			json_array_append_new(x->owned[f->owner], sbom_str(f->path));
	}
}

static json_t *package(const struct native *x, size_t i)
{
	const struct cat_pkg *p = &x->c->pkgs[i];
	json_t *j = json_object();
	json_object_set_new(j, "ref", sbom_str(x->ref[i]));
	json_object_set_new(j, "type", json_string(pkg_type_name(p->type)));
	sbom_set_str(j, "name", p->name);
	sbom_set_str(j, "version", p->version);
	sbom_set_str(j, "arch", p->arch);
	if (p->src_name || p->src_version) {
		json_t *src = json_object();
		sbom_set_str(src, "name", p->src_name);
		sbom_set_str(src, "version", p->src_version);
		json_object_set_new(j, "source", src);
	}
	sbom_set_str(j, "license", p->license);
	sbom_set_str(j, "supplier", p->supplier);
	sbom_set_str(j, "homepage", p->homepage);
	sbom_set_str(j, "purl", p->purl);
	sbom_set_str(j, "cpe", p->cpe);
	sbom_set_str(j, "location", p->location);
	json_object_set_new(j, "layer", json_integer(p->layer));
	json_t *deps = json_array();
	for (size_t k = 0; k < p->n_deps; k++)
		if (p->deps[k] < x->c->n_pkgs && (k == 0 || p->deps[k] != p->deps[k - 1]))
			json_array_append_new(deps, sbom_str(x->ref[p->deps[k]]));
	json_object_set_new(j, "depends", deps);
	json_object_set_new(j, "n_files", json_integer((json_int_t)p->n_owned));
	if (x->owned)
		json_object_set_new(j, "files", json_incref(x->owned[i]));
	return j;
}

static const char *file_type(uint8_t t)
{
	switch ((enum tar_type)t) {
	case TAR_REG: return "file";
	case TAR_HARDLINK: return "hardlink";
	case TAR_SYMLINK: return "symlink";
	case TAR_CHR: return "char";
	case TAR_BLK: return "block";
	case TAR_DIR: return "dir";
	case TAR_FIFO: return "fifo";
	}
	return "unknown";
}

static json_t *elf(const struct elf_info *e)
{
	json_t *j = json_object();
	sbom_set_str(j, "sha256", sbom_elf_hex(e) ? e->sha256 : NULL);
	sbom_set_str(j, "build_id", e->build_id);
	sbom_set_str(j, "soname", e->soname);
	sbom_set_str(j, "interp", e->interp);
	json_object_set_new(j, "needed", strings((const char *const *)e->needed.v, e->needed.n));
	sbom_set_str(j, "go_version", e->go_version);
	json_object_set_new(j, "machine", json_integer(e->machine));
	json_object_set_new(j, "class", json_integer(e->elf_class));
	json_object_set_new(j, "elf_type", json_integer(e->elf_type));
	return j;
}

static json_t *file(const struct native *x, const struct cat_file *f)
{
	json_t *j = json_object();
	json_object_set_new(j, "path", sbom_str(f->path));
	json_object_set_new(j, "type", json_string(file_type(f->type)));
	json_object_set_new(j, "mode", json_sprintf("%04o", f->mode & 07777));
	json_object_set_new(j, "uid", json_integer(f->uid));
	json_object_set_new(j, "gid", json_integer(f->gid));
	json_object_set_new(j, "size", json_integer((json_int_t)f->size));
	json_object_set_new(j, "layer", json_integer(f->layer));
	sbom_set_str(j, "link", f->link);
	if (f->owner >= 0 && (size_t)f->owner < x->c->n_pkgs)
		json_object_set_new(j, "owner", sbom_str(x->ref[f->owner]));
	if (f->elf)
		json_object_set_new(j, "elf", elf(f->elf));
	return j;
}

json_t *native_build(const struct catalog *c, const struct sbom_subject *s,
		     const struct sbom_opts *o)
{
	struct native x = { .c = c, .s = s, .o = o, .ids = IDSET_INIT };
	x.ref = sbom_pkg_refs(c, &x.ids);
	if (o->files)
		collect_owned(&x);
	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string("quench-sbom/1"));
	json_t *tool = json_pack("{s:s}", "name", "quench");
	sbom_set_str(tool, "version", o->tool_version);
	json_object_set_new(doc, "tool", tool);
	json_object_set_new(doc, "image", image(&x));
	json_object_set_new(doc, "os", os(&c->os));
	json_t *pkgs = json_array(), *unowned = json_array();
	for (size_t i = 0; i < c->n_pkgs; i++)
		json_array_append_new(pkgs, package(&x, i));
	json_object_set_new(doc, "packages", pkgs);
	json_t *files = o->files ? json_array() : NULL;
	for (size_t i = 0; i < c->n_files; i++) {
		if (files)
			json_array_append_new(files, file(&x, &c->files[i]));
		if (c->files[i].elf && c->files[i].owner < 0)
			json_array_append_new(unowned, sbom_str(c->files[i].path));
	}
	if (files)
		json_object_set_new(doc, "files", files);
	json_object_set_new(doc, "unowned_elf", unowned);
	json_object_set_new(doc, "warnings",
			    strings((const char *const *)c->warnings.v, c->warnings.n));
	for (size_t i = 0; x.owned && i < c->n_pkgs; i++)
		json_decref(x.owned[i]);
	free(x.owned);
	free(x.ref);
	idset_release(&x.ids);
	return doc;
}
