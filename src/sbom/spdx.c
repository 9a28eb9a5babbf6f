/* SPDX 2.3 JSON: the image, the OS and every package as packages, ELF
 * files as files, and relationships: the document DESCRIBES the image, the
 * image CONTAINS the OS and the packages that are not the OS's, the OS
 * CONTAINS its packages (the shape Trivy writes and reads back), a package
 * CONTAINS the files it owns and DEPENDS_ON its dependencies.
 *
 * Files: SPDX 2.3's spec makes a SHA-1 checksum mandatory for a file; its
 * JSON schema asks for one checksum of any algorithm. We know the SHA-256
 * of ELF files only (hashed as the layers stream), so files with a known
 * hash are written, with that one checksum, and no others: a file entry
 * without a checksum is invalid for the schema, and inventing a SHA-1 would
 * mean reading every file twice. CycloneDX gets every file with --files.
 */
#include "sbom/sbom_internal.h"

#include <ctype.h>

/* Longest name part of an SPDXID: ids stay readable in big documents. */
#define SPDXID_NAME_MAX 64

struct spdx {
	const struct catalog *c;
	const struct sbom_subject *s;
	const struct sbom_opts *o;
	struct idset ids;          /* every SPDXID of the document */
	const char **pkg_id;
	const char *image_id, *os_id;
	char when[SBOM_TIME_MAX];
	char *annotator;           /* "Tool: quench-0.1.0" */
	json_t *rels;
};

/* ---- SPDXIDs ------------------------------------------------------------------- */

/* SPDXIDs allow [A-Za-z0-9.-] only: anything else becomes '-', one per
 * run, so "@scope/name" reads "-scope-name". */
static void add_sanitized(struct strbuf *sb, const char *s)
{
	size_t start = sb->len;
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (sb->len - start >= SPDXID_NAME_MAX)
			break;
		if (isascii(*p) && (isalnum(*p) || *p == '.' || *p == '-'))
			strbuf_addc(sb, (char)*p);
		else if (sb->len == start || sb->buf[sb->len - 1] != '-')
			strbuf_addc(sb, '-');
	}
}

/* prefix + sanitized name + "-" + suffix, made unique with "-2", "-3"… */
static const char *unique_id(struct spdx *x, const char *prefix, const char *name,
			     const char *suffix)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, prefix);
	add_sanitized(&sb, name);
	if (suffix)
		strbuf_addf(&sb, "-%s", suffix);
	char *base = strbuf_detach(&sb);
	const char *id = idset_take(&x->ids, xstrdup(base));
	for (unsigned n = 2; !id; n++)
		id = idset_take(&x->ids, xasprintf("%s-%u", base, n));
	free(base);
	return id;
}

/* Named by identity hash, not index: a package keeps its SPDXID when
 * others come and go. */
static void assign_ids(struct spdx *x)
{
	const struct catalog *c = x->c;
	idset_take(&x->ids, xstrdup("SPDXRef-DOCUMENT"));
	char *short_name = sbom_image_short_name(x->s);
	x->image_id = unique_id(x, "SPDXRef-Image-", short_name, NULL);
	free(short_name);
	if (c->os.id) {
		char *name = xasprintf("%s-%s", c->os.id, c->os.version_id ? c->os.version_id : "");
		x->os_id = unique_id(x, "SPDXRef-OperatingSystem-", name, NULL);
		free(name);
	}
	x->pkg_id = xcalloc(c->n_pkgs + 1, sizeof(*x->pkg_id));
	for (size_t i = 0; i < c->n_pkgs; i++) {
		char hash[13], *prefix = xasprintf("SPDXRef-Package-%s-", pkg_type_name(c->pkgs[i].type));
		sbom_pkg_hash(&c->pkgs[i], hash);
		x->pkg_id[i] = unique_id(x, prefix, c->pkgs[i].name, hash);
		free(prefix);
	}
}

/* ---- pieces ---------------------------------------------------------------------- */

static void relate(struct spdx *x, const char *from, const char *type, const char *to)
{
	json_array_append_new(x->rels, json_pack("{s:s,s:s,s:s}", "spdxElementId", from,
						 "relationshipType", type,
						 "relatedSpdxElement", to));
}

static void annotate(struct spdx *x, json_t *notes, const char *key, const char *value)
{
	if (!value)
		return;
	char *comment = xasprintf("%s: %s", key, value);
	json_array_append_new(notes, json_pack("{s:s,s:s,s:s,s:o}", "annotationDate", x->when,
					       "annotationType", "OTHER", "annotator",
					       x->annotator, "comment", sbom_str(comment)));
	free(comment);
}

static void set_annotations(json_t *obj, json_t *notes)
{
	if (json_array_size(notes))
		json_object_set_new(obj, "annotations", notes);
	else
		json_decref(notes);
}

/* The fields every package has, with SPDX's "we did not look" values. */
static json_t *package_base(const char *id, const char *name, const char *version,
			    const char *purpose)
{
	json_t *j = json_object();
	json_object_set_new(j, "SPDXID", json_string(id));
	json_object_set_new(j, "name", sbom_str(name ? name : ""));
	sbom_set_str(j, "versionInfo", version);
	json_object_set_new(j, "downloadLocation", json_string("NOASSERTION"));
	json_object_set_new(j, "filesAnalyzed", json_false());
	json_object_set_new(j, "licenseConcluded", json_string("NOASSERTION"));
	json_object_set_new(j, "licenseDeclared", json_string("NOASSERTION"));
	json_object_set_new(j, "copyrightText", json_string("NOASSERTION"));
	json_object_set_new(j, "primaryPackagePurpose", json_string(purpose));
	return j;
}

static void add_ref(json_t *refs, const char *category, const char *type, const char *locator)
{
	if (locator)
		json_array_append_new(refs, json_pack("{s:s,s:s,s:o}", "referenceCategory", category,
						      "referenceType", type, "referenceLocator",
						      sbom_str(locator)));
}

static void set_refs(json_t *obj, json_t *refs)
{
	if (json_array_size(refs))
		json_object_set_new(obj, "externalRefs", refs);
	else
		json_decref(refs);
}

/* "Organization: NAME": the agent syntax puts an e-mail in parentheses,
 * where Debian's "Name <mail>" has angle brackets; and it is one line. */
static char *supplier(const char *s)
{
	if (!s || !*s)
		return xstrdup("NOASSERTION");
	char *out = xasprintf("Organization: %s", s);
	for (char *p = out; *p; p++) {
		if (*p == '<')
			*p = '(';
		else if (*p == '>')
			*p = ')';
		else if ((unsigned char)*p < ' ')
			*p = ' ';
	}
	return out;
}

/* licenseDeclared is an SPDX expression of known ids or NOASSERTION; what
 * the database said otherwise is kept as licenseComments. */
static void set_license(json_t *j, const char *license)
{
	if (!license || !*license)
		return;
	bool single;
	char *expr = spdx_expression(license, &single);
	if (expr)
		json_object_set_new(j, "licenseDeclared", json_string(expr));
	else
		json_object_set_new(j, "licenseComments", sbom_str(license));
	free(expr);
}

static json_t *package(struct spdx *x, size_t i)
{
	const struct cat_pkg *p = &x->c->pkgs[i];
	json_t *j = package_base(x->pkg_id[i], p->name, p->version, "LIBRARY");
	set_license(j, p->license);
	char *sup = supplier(p->supplier);
	json_object_set_new(j, "supplier", sbom_str(sup));
	free(sup);
	if (sbom_url_ok(p->homepage))
		json_object_set_new(j, "homepage", sbom_str(p->homepage));
	if (p->src_name || p->src_version) {
		/* Trivy's wording, which it parses back for the source package */
		char *src = xasprintf("built package from: %s %s", p->src_name ? p->src_name : p->name,
				      p->src_version ? p->src_version : p->version ? p->version : "");
		json_object_set_new(j, "sourceInfo", sbom_str(src));
		free(src);
	}
	json_t *refs = json_array();
	add_ref(refs, "PACKAGE-MANAGER", "purl", p->purl);
	add_ref(refs, "SECURITY", "cpe23Type", p->cpe);
	set_refs(j, refs);
	json_t *notes = json_array();
	annotate(x, notes, "quench:package-type", pkg_type_name(p->type));
	annotate(x, notes, "quench:arch", p->arch);
	annotate(x, notes, "quench:location", p->location);
	annotate(x, notes, "quench:layer", sbom_layer_digest(x->s, p->layer));
	ssize_t owner = sbom_location_owner(x->c, i);   /* as in CycloneDX */
	annotate(x, notes, "quench:owner", owner >= 0 ? x->pkg_id[owner] : NULL);
	set_annotations(j, notes);
	return j;
}

static json_t *image_package(struct spdx *x)
{
	const struct sbom_subject *s = x->s;
	json_t *j = package_base(x->image_id, s->name ? s->name : "image", s->manifest_digest,
				 "CONTAINER");
	json_t *refs = json_array();
	char *purl = sbom_image_purl(s);
	add_ref(refs, "PACKAGE-MANAGER", "purl", purl);
	free(purl);
	set_refs(j, refs);
	json_t *notes = json_array();
	annotate(x, notes, "quench:config-digest", s->config_digest);
	annotate(x, notes, "quench:os", s->os);
	annotate(x, notes, "quench:arch", s->arch);
	for (size_t i = 0; s->layer_digests && i < s->n_layers; i++)
		annotate(x, notes, "quench:layer", s->layer_digests[i]);
	set_annotations(j, notes);
	return j;
}

static json_t *os_package(struct spdx *x)
{
	const struct os_info *os = &x->c->os;
	json_t *j = package_base(x->os_id, os->id, os->version_id, "OPERATING_SYSTEM");
	sbom_set_str(j, "description", os->pretty_name);
	return j;
}

static json_t *packages(struct spdx *x)
{
	const struct catalog *c = x->c;
	json_t *arr = json_array();
	json_array_append_new(arr, image_package(x));
	relate(x, "SPDXRef-DOCUMENT", "DESCRIBES", x->image_id);
	if (x->os_id) {
		json_array_append_new(arr, os_package(x));
		relate(x, x->image_id, "CONTAINS", x->os_id);
	}
	for (size_t i = 0; i < c->n_pkgs; i++) {
		const struct cat_pkg *p = &c->pkgs[i];
		json_array_append_new(arr, package(x, i));
		bool under_os = x->os_id && sbom_os_pkg(p->type);
		relate(x, under_os ? x->os_id : x->image_id, "CONTAINS", x->pkg_id[i]);
		for (size_t k = 0; k < p->n_deps; k++)
			if (p->deps[k] < c->n_pkgs && (k == 0 || p->deps[k] != p->deps[k - 1]))
				relate(x, x->pkg_id[i], "DEPENDS_ON", x->pkg_id[p->deps[k]]);
	}
	return arr;
}

static json_t *file(struct spdx *x, const struct cat_file *f, const char *hex)
{
	char hash[DIGEST_STR_MAX];
	sha256_buf(f->path, strlen(f->path), hash);
	char suffix[13];
	memcpy(suffix, digest_hex(hash), 12);
	suffix[12] = '\0';
	const char *id = unique_id(x, "SPDXRef-File-", f->path, suffix);
	json_t *j = json_object();
	json_object_set_new(j, "SPDXID", json_string(id));
	char *name = xasprintf("./%s", f->path);
	json_object_set_new(j, "fileName", sbom_str(name));
	free(name);
	json_object_set_new(j, "checksums", json_pack("[{s:s,s:s}]", "algorithm", "SHA256",
						      "checksumValue", hex));
	json_object_set_new(j, "fileTypes", json_pack("[s]", "BINARY"));
	json_object_set_new(j, "licenseConcluded", json_string("NOASSERTION"));
	json_object_set_new(j, "copyrightText", json_string("NOASSERTION"));
	if (f->elf->build_id) {
		char *comment = xasprintf("build-id: %s", f->elf->build_id);
		json_object_set_new(j, "comment", sbom_str(comment));
		free(comment);
	}
	bool owned = f->owner >= 0 && (size_t)f->owner < x->c->n_pkgs;
	relate(x, owned ? x->pkg_id[f->owner] : x->image_id, "CONTAINS", id);
	return j;
}

/* ELF files no package owns; with --files, owned ones too. */
static json_t *files(struct spdx *x)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < x->c->n_files; i++) {
		const struct cat_file *f = &x->c->files[i];
		const char *hex = sbom_elf_hex(f->elf);
		if (hex && (f->owner < 0 || x->o->files))
			json_array_append_new(arr, file(x, f, hex));
	}
	return arr;
}

/* https://quench.dev/spdx/NAME-UUID: unique per image (and options),
 * the same on every run. */
static json_t *namespace(const struct sbom_subject *s, const struct sbom_opts *o)
{
	char uuid[SBOM_UUID_MAX];
	sbom_uuid(s, o, uuid);
	char *name = sbom_image_short_name(s);
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "https://quench.dev/spdx/");
	add_sanitized(&sb, name);
	strbuf_addf(&sb, "-%s", uuid);
	free(name);
	char *ns = strbuf_detach(&sb);
	json_t *j = json_string(ns);
	free(ns);
	return j;
}

json_t *spdx_build(const struct catalog *c, const struct sbom_subject *s,
		   const struct sbom_opts *o)
{
	struct spdx x = { .c = c, .s = s, .o = o, .ids = IDSET_INIT, .rels = json_array() };
	sbom_timestamp(s, x.when);
	x.annotator = xasprintf("Tool: quench-%s", o->tool_version ? o->tool_version : "unknown");
	assign_ids(&x);
	json_t *doc = json_object();
	json_object_set_new(doc, "spdxVersion", json_string("SPDX-2.3"));
	json_object_set_new(doc, "dataLicense", json_string("CC0-1.0"));
	json_object_set_new(doc, "SPDXID", json_string("SPDXRef-DOCUMENT"));
	json_object_set_new(doc, "name", sbom_str(s->name ? s->name : "image"));
	json_object_set_new(doc, "documentNamespace", namespace(s, o));
	json_object_set_new(doc, "creationInfo", json_pack("{s:s,s:[s]}", "created", x.when,
							   "creators", x.annotator));
	json_object_set_new(doc, "packages", packages(&x));
	json_t *f = files(&x);
	if (json_array_size(f))
		json_object_set_new(doc, "files", f);
	else
		json_decref(f);
	json_object_set_new(doc, "relationships", x.rels);
	free(x.pkg_id);
	free(x.annotator);
	idset_release(&x.ids);
	return doc;
}
