/* CycloneDX 1.6 JSON: the image as metadata.component, the OS and every
 * package as components, ELF files no package owns (and with --files every
 * regular file) as file components, and the dependency graph.
 *
 * Scanners read more than the schema says: Trivy matches Debian and RPM
 * advisories by source package, which it takes from its own properties
 * (aquasecurity:trivy:Src*), and finds the OS from the operating-system
 * component; both are written so that `trivy sbom` scans our documents as
 * it scans its own.
 */
#include "sbom/sbom_internal.h"
#include "fs/fs.h"

#include <ctype.h>

struct cdx {
	const struct catalog *c;
	const struct sbom_subject *s;
	const struct sbom_opts *o;
	struct idset ids;          /* every bom-ref of the document */
	const char **pkg_ref;      /* bom-ref of each package */
	const char *image_ref;
	const char *os_ref;        /* NULL without an OS component */
};

static void add_prop(json_t *props, const char *name, const char *value)
{
	if (!value)
		return;
	json_t *p = json_object();
	json_object_set_new(p, "name", json_string(name));
	json_object_set_new(p, "value", sbom_str(value));
	json_array_append_new(props, p);
}

/* Set "properties" unless there are none (an empty array says nothing). */
static void set_props(json_t *obj, json_t *props)
{
	if (json_array_size(props))
		json_object_set_new(obj, "properties", props);
	else
		json_decref(props);
}

/* ---- bom-refs ------------------------------------------------------------------ */

static void assign_refs(struct cdx *x)
{
	char *purl = sbom_image_purl(x->s);
	x->image_ref = idset_take(&x->ids, purl ? purl : xstrdup("quench:image"));
	if (x->c->os.id)
		x->os_ref = idset_take(&x->ids, xasprintf("quench:os:%s@%s", x->c->os.id,
							  x->c->os.version_id ? x->c->os.version_id
									      : ""));
	x->pkg_ref = sbom_pkg_refs(x->c, &x->ids);
}

void sbom_cyclonedx_pkg_refs(const struct catalog *c, const struct sbom_subject *s,
			     struct strvec *refs)
{
	struct cdx x = { .c = c, .s = s, .ids = IDSET_INIT };
	assign_refs(&x);
	for (size_t i = 0; i < c->n_pkgs; i++)
		strvec_push(refs, x.pkg_ref[i]);
	free(x.pkg_ref);
	idset_release(&x.ids);
}

static const char *file_ref(struct cdx *x, const struct cat_file *f)
{
	const char *ref = idset_take(&x->ids, xasprintf("file:%s", f->path));
	for (unsigned n = 2; !ref; n++)
		ref = idset_take(&x->ids, xasprintf("file:%s#%u", f->path, n));
	return ref;
}

/* ---- components ------------------------------------------------------------- */

/* An SPDX id goes as license.id (the schema checks it against SPDX's
 * list), an SPDX expression as expression, anything else as a name. */
static json_t *licenses(const char *license)
{
	if (!license || !*license)
		return NULL;
	bool single;
	char *expr = spdx_expression(license, &single);
	json_t *entry = json_object();
	if (expr && !single) {
		json_object_set_new(entry, "expression", json_string(expr));
	} else {
		json_t *l = json_object();
		json_object_set_new(l, expr ? "id" : "name", sbom_str(expr ? expr : license));
		json_object_set_new(entry, "license", l);
	}
	free(expr);
	json_t *arr = json_array();
	json_array_append_new(arr, entry);
	return arr;
}

/* Trivy keeps a deb/rpm version's epoch apart ("1:2.3" → epoch 1,
 * version 2.3) and an rpm's release too ("3.0.7-27.el9"). */
static void trivy_source(json_t *props, const struct cat_pkg *p)
{
	const char *name = p->src_name ? p->src_name : p->name;
	const char *ver = p->src_version ? p->src_version : p->version;
	add_prop(props, "aquasecurity:trivy:SrcName", name);
	if (!ver)
		return;
	size_t n = strspn(ver, "0123456789");
	cleanup_free char *epoch = NULL;
	if (p->type != PKG_APK && n && ver[n] == ':') {
		epoch = xstrndup(ver, n);
		ver += n + 1;
	}
	cleanup_free char *version = xstrdup(ver);
	const char *release = NULL;
	char *dash = p->type == PKG_RPM ? strrchr(version, '-') : NULL;
	if (dash) {
		*dash = '\0';
		release = dash + 1;
	}
	add_prop(props, "aquasecurity:trivy:SrcVersion", version);
	add_prop(props, "aquasecurity:trivy:SrcRelease", release);
	add_prop(props, "aquasecurity:trivy:SrcEpoch", epoch);
}

static json_t *package_props(struct cdx *x, size_t i)
{
	const struct cat_pkg *p = &x->c->pkgs[i];
	json_t *props = json_array();
	add_prop(props, "quench:package-type", pkg_type_name(p->type));
	add_prop(props, "quench:arch", p->arch);
	add_prop(props, "quench:location", p->location);
	add_prop(props, "quench:layer", sbom_layer_digest(x->s, p->layer));
	add_prop(props, "quench:source-name", p->src_name);
	add_prop(props, "quench:source-version", p->src_version);
	/* The OS package that installed it: scanners leave such a package to
	 * the distro's advisories, and `quench scan sbom:` must know it. */
	ssize_t owner = sbom_location_owner(x->c, i);
	add_prop(props, "quench:owner", owner >= 0 ? x->pkg_ref[owner] : NULL);
	if (sbom_os_pkg(p->type))
		trivy_source(props, p);
	return props;
}

static json_t *package_component(struct cdx *x, size_t i)
{
	const struct cat_pkg *p = &x->c->pkgs[i];
	json_t *j = json_object();
	json_object_set_new(j, "type", json_string("library"));
	json_object_set_new(j, "bom-ref", sbom_str(x->pkg_ref[i]));
	json_object_set_new(j, "name", sbom_str(p->name ? p->name : ""));
	sbom_set_str(j, "version", p->version);
	sbom_set_str(j, "purl", p->purl);
	sbom_set_str(j, "cpe", p->cpe);
	json_t *lic = licenses(p->license);
	if (lic)
		json_object_set_new(j, "licenses", lic);
	if (p->supplier && *p->supplier)
		json_object_set_new(j, "supplier", json_pack("{s:o}", "name", sbom_str(p->supplier)));
	if (sbom_url_ok(p->homepage))
		json_object_set_new(j, "externalReferences",
				    json_pack("[{s:s,s:o}]", "type", "website", "url",
					      sbom_str(p->homepage)));
	set_props(j, package_props(x, i));
	return j;
}

static json_t *os_component(struct cdx *x)
{
	const struct os_info *os = &x->c->os;
	json_t *j = json_object();
	json_object_set_new(j, "type", json_string("operating-system"));
	json_object_set_new(j, "bom-ref", sbom_str(x->os_ref));
	json_object_set_new(j, "name", sbom_str(os->id));
	sbom_set_str(j, "version", os->version_id);
	sbom_set_str(j, "description", os->pretty_name);
	json_t *props = json_array();
	add_prop(props, "quench:codename", os->codename);
	add_prop(props, "quench:id-like", os->id_like);
	add_prop(props, "aquasecurity:trivy:Class", "os-pkgs");
	add_prop(props, "aquasecurity:trivy:Type", os->id);
	set_props(j, props);
	return j;
}

static json_t *image_component(struct cdx *x)
{
	const struct sbom_subject *s = x->s;
	json_t *j = json_object();
	json_object_set_new(j, "type", json_string("container"));
	json_object_set_new(j, "bom-ref", sbom_str(x->image_ref));
	json_object_set_new(j, "name", sbom_str(s->name ? s->name : "image"));
	sbom_set_str(j, "version", s->manifest_digest);
	if (str_starts_with(x->image_ref, "pkg:"))
		json_object_set_new(j, "purl", sbom_str(x->image_ref));
	json_t *props = json_array();
	add_prop(props, "quench:manifest-digest", s->manifest_digest);
	add_prop(props, "quench:config-digest", s->config_digest);
	add_prop(props, "quench:os", s->os);
	add_prop(props, "quench:arch", s->arch);
	add_prop(props, "aquasecurity:trivy:ImageID", s->config_digest);
	for (size_t i = 0; s->layer_digests && i < s->n_layers; i++) {
		add_prop(props, "quench:layer", s->layer_digests[i]);
		add_prop(props, "aquasecurity:trivy:DiffID", s->layer_digests[i]);
	}
	set_props(j, props);
	return j;
}

/* A file: its hash and ELF identity when known, where it came from, and
 * its owner. Kept small: an image has tens of thousands of files. */
static json_t *file_component(struct cdx *x, const struct cat_file *f)
{
	json_t *j = json_object();
	json_object_set_new(j, "type", json_string("file"));
	json_object_set_new(j, "bom-ref", sbom_str(file_ref(x, f)));
	json_object_set_new(j, "name", sbom_str(f->path));
	const char *hex = sbom_elf_hex(f->elf);
	if (hex)
		json_object_set_new(j, "hashes",
				    json_pack("[{s:s,s:s}]", "alg", "SHA-256", "content", hex));
	json_t *props = json_array();
	if (f->elf) {
		add_prop(props, "quench:build-id", f->elf->build_id);
		add_prop(props, "quench:soname", f->elf->soname);
		add_prop(props, "quench:go-version", f->elf->go_version);
	}
	add_prop(props, "quench:layer", sbom_layer_digest(x->s, f->layer));
	if (f->owner >= 0 && (size_t)f->owner < x->c->n_pkgs)
		add_prop(props, "quench:owner", x->pkg_ref[f->owner]);
	set_props(j, props);
	return j;
}

static json_t *components(struct cdx *x)
{
	json_t *arr = json_array();
	if (x->os_ref)
		json_array_append_new(arr, os_component(x));
	for (size_t i = 0; i < x->c->n_pkgs; i++)
		json_array_append_new(arr, package_component(x, i));
	for (size_t i = 0; i < x->c->n_files; i++) {
		const struct cat_file *f = &x->c->files[i];
		bool unowned_elf = f->elf && f->owner < 0;
		if (unowned_elf || (x->o->files && f->type == TAR_REG))
			json_array_append_new(arr, file_component(x, f));
	}
	return arr;
}

/* ---- dependencies ------------------------------------------------------------- */

static bool valid_dep(const struct catalog *c, const struct cat_pkg *p, size_t k)
{
	/* deps are sorted: a repeat is the previous one */
	return p->deps[k] < c->n_pkgs && (k == 0 || p->deps[k] != p->deps[k - 1]);
}

static void mark_reachable(const struct catalog *c, size_t from, bool *seen)
{
	size_t *stack = xcalloc(c->n_pkgs + 1, sizeof(*stack)), n = 0;
	seen[from] = true;
	stack[n++] = from;
	while (n) {
		const struct cat_pkg *p = &c->pkgs[stack[--n]];
		for (size_t k = 0; k < p->n_deps; k++) {
			if (valid_dep(c, p, k) && !seen[p->deps[k]]) {
				seen[p->deps[k]] = true;
				stack[n++] = p->deps[k];
			}
		}
	}
	free(stack);
}

/* What the image depends on directly: the OS (which holds every OS
 * package), then the packages nothing else needs, then whatever a cycle
 * left out, so that every package can be reached from the image. */
static json_t *image_depends(struct cdx *x)
{
	const struct catalog *c = x->c;
	json_t *arr = json_array();
	if (x->os_ref)
		json_array_append_new(arr, sbom_str(x->os_ref));
	bool *needed = xcalloc(c->n_pkgs + 1, sizeof(*needed));
	bool *seen = xcalloc(c->n_pkgs + 1, sizeof(*seen));
	for (size_t i = 0; i < c->n_pkgs; i++)
		for (size_t k = 0; k < c->pkgs[i].n_deps; k++)
			if (valid_dep(c, &c->pkgs[i], k) && c->pkgs[i].deps[k] != i)
				needed[c->pkgs[i].deps[k]] = true;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->n_pkgs; i++) {
			bool under_os = x->os_ref && sbom_os_pkg(c->pkgs[i].type);
			if (under_os || seen[i] || (pass == 0 && needed[i]))
				continue;
			json_array_append_new(arr, sbom_str(x->pkg_ref[i]));
			mark_reachable(c, i, seen);
		}
	}
	free(needed);
	free(seen);
	return arr;
}

static json_t *dependency(const char *ref, json_t *depends_on)
{
	return json_pack("{s:o,s:o}", "ref", sbom_str(ref), "dependsOn", depends_on);
}

static json_t *dependencies(struct cdx *x)
{
	const struct catalog *c = x->c;
	json_t *arr = json_array();
	json_array_append_new(arr, dependency(x->image_ref, image_depends(x)));
	if (x->os_ref) {
		json_t *os = json_array();
		for (size_t i = 0; i < c->n_pkgs; i++)
			if (sbom_os_pkg(c->pkgs[i].type))
				json_array_append_new(os, sbom_str(x->pkg_ref[i]));
		json_array_append_new(arr, dependency(x->os_ref, os));
	}
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		json_t *on = json_array();
		for (size_t k = 0; k < p->n_deps; k++)
			if (valid_dep(c, p, k))
				json_array_append_new(on, sbom_str(x->pkg_ref[p->deps[k]]));
		json_array_append_new(arr, dependency(x->pkg_ref[i], on));
	}
	return arr;
}

/* ---- the document ------------------------------------------------------------- */

static json_t *metadata(struct cdx *x)
{
	char when[SBOM_TIME_MAX];
	json_t *tool = json_pack("{s:s,s:s}", "type", "application", "name", "quench");
	sbom_set_str(tool, "version", x->o->tool_version);
	return json_pack("{s:s,s:{s:[o]},s:o}", "timestamp", sbom_timestamp(x->s, when), "tools",
			 "components", tool, "component", image_component(x));
}

json_t *cyclonedx_build(const struct catalog *c, const struct sbom_subject *s,
			const struct sbom_opts *o)
{
	struct cdx x = { .c = c, .s = s, .o = o, .ids = IDSET_INIT };
	assign_refs(&x);
	char uuid[SBOM_UUID_MAX];
	sbom_uuid(s, o, uuid);
	json_t *doc = json_object();
	json_object_set_new(doc, "bomFormat", json_string("CycloneDX"));
	json_object_set_new(doc, "specVersion", json_string("1.6"));
	json_object_set_new(doc, "serialNumber", json_sprintf("urn:uuid:%s", uuid));
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "metadata", metadata(&x));
	json_object_set_new(doc, "components", components(&x));
	json_object_set_new(doc, "dependencies", dependencies(&x));
	free(x.pkg_ref);
	idset_release(&x.ids);
	return doc;
}
