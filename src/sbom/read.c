/* An SBOM read back into a catalog, for scanning without the image.
 *
 * What matching needs is rebuilt from what each tool writes:
 *   - the OS: CycloneDX's operating-system component, SPDX's package whose
 *     purpose is OPERATING_SYSTEM, else the first purl's distro= qualifier;
 *   - a package's type, name, version, arch, source package and location:
 *     quench's own properties / annotations (quench:*) first, then Trivy's
 *     (aquasecurity:trivy:Src*, FilePath), then Syft's (syft:location:*),
 *     then the purl (arch=, upstream=NAME[@VERSION], epoch=), SPDX's
 *     sourceInfo ("built package from: NAME VERSION");
 *   - which OS package installed a language package (quench:owner, naming
 *     the owner's bom-ref or SPDXID): a file at the language package's
 *     location, owned by that package, so that catalog_owner() answers as it
 *     did on the image.
 *
 * The document is untrusted. What makes it no SBOM (not JSON, neither
 * format, a list that is not a list) is an error naming the document; a
 * component that cannot be a package is skipped with a warning. Strings
 * keep no control characters but tab and newline, as the catalog's do.
 */
#include "sbom/sbom_internal.h"
#include "fs/fs.h"

#include <fcntl.h>

/* Components may hold components: deeper than this is no real SBOM. */
#define MAX_NESTING 16
#define MAX_WARNINGS 1000

/* What one component or SPDX package says, borrowed from the document. */
struct fields {
	const char *ref, *name, *group, *version, *purl;
	const char *license, *supplier, *homepage;
	/* quench: */
	const char *type, *arch, *location, *src_name, *src_version, *owner;
	bool ours;
	/* Trivy, Syft, SPDX: */
	const char *trivy_src_name, *trivy_src_version, *trivy_src_release, *trivy_src_epoch;
	const char *file_path, *source_info;
};

struct owned {
	size_t pkg;
	char *owner_ref;
};

struct reader {
	struct catalog *c;
	const char *name;             /* the document, for messages */
	struct strvec refs;           /* bom-ref / SPDXID of each package */
	struct owned *owned;          /* packages that name an owner */
	size_t n_owned, owned_cap;
	struct strvec skipped_types;  /* purl types we do not match, once each */
	size_t n_skipped;
	char *distro;                 /* the first OS package's distro= qualifier */
};

static void warn(struct reader *r, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void warn(struct reader *r, const char *fmt, ...)
{
	if (!strvec_room(&r->c->warnings, MAX_WARNINGS))
		return;
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	strvec_take(&r->c->warnings, xasprintf("%s: %s", r->name, msg));
}

/* A copy without control characters (tab and newline kept), NULL for NULL
 * or empty: what a hostile document says must not reach a terminal. */
static char *clean(const char *s)
{
	if (!s || !*s)
		return NULL;
	char *out = xmalloc(strlen(s) + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f))
			*o++ = (char)*p;
	*o = '\0';
	return out;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* ---- the OS ------------------------------------------------------------------- */

static void set_os(struct reader *r, const char *id, const char *version, const char *pretty)
{
	struct os_info *os = &r->c->os;
	if (os->id || !id || !*id)
		return;
	os->id = clean(id);
	for (char *p = os->id; *p; p++)   /* os-release IDs are lower case */
		*p = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
	os->version_id = clean(version);
	os->pretty_name = clean(pretty);
}

/* "debian-12", "alpine-3.19.1", "opensuse-leap-15.5": the id is what comes
 * before the last '-' that a digit follows. */
static void os_from_distro(struct reader *r, const char *distro)
{
	const char *cut = NULL;
	for (const char *p = distro; (p = strchr(p, '-')); p++)
		if (p[1] >= '0' && p[1] <= '9')
			cut = p;
	cleanup_free char *id = cut ? xstrndup(distro, (size_t)(cut - distro)) : xstrdup(distro);
	set_os(r, id, cut ? cut + 1 : NULL, NULL);
}

/* ---- packages --------------------------------------------------------------------- */

static bool type_of(const char *s, enum pkg_type *t)
{
	for (int i = 0; s && i < PKG_TYPE_COUNT; i++)
		if (!strcmp(s, pkg_type_name((enum pkg_type)i))) {
			*t = (enum pkg_type)i;
			return true;
		}
	return false;
}

static void skip_type(struct reader *r, const char *type)
{
	r->n_skipped++;
	for (size_t i = 0; i < r->skipped_types.n; i++)
		if (!strcmp(r->skipped_types.v[i], type))
			return;
	if (strvec_room(&r->skipped_types, 20))
		strvec_take(&r->skipped_types, clean(type));
}

/* [EPOCH:]VERSION[-RELEASE] from Trivy's parts. */
static char *trivy_version(const struct fields *f)
{
	if (!f->trivy_src_version || !*f->trivy_src_version)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	const char *e = f->trivy_src_epoch;
	if (e && *e && strcmp(e, "0"))
		strbuf_addf(&sb, "%s:", e);
	strbuf_adds(&sb, f->trivy_src_version);
	if (f->trivy_src_release && *f->trivy_src_release)
		strbuf_addf(&sb, "-%s", f->trivy_src_release);
	char *v = strbuf_detach(&sb);
	char *out = clean(v);
	free(v);
	return out;
}

/* The source package, from the most precise statement there is. */
static void take_source(struct cat_pkg *p, const struct fields *f, const struct purl *u)
{
	if (f->src_name || f->src_version) {
		p->src_name = clean(f->src_name);
		p->src_version = clean(f->src_version);
	} else if (f->trivy_src_name && !f->ours) {   /* ours writes them for Trivy */
		p->src_name = clean(f->trivy_src_name);
		p->src_version = trivy_version(f);
	} else if (f->source_info && str_starts_with(f->source_info, "built package from: ")) {
		const char *s = f->source_info + strlen("built package from: ");
		size_t n = strcspn(s, " ");
		cleanup_free char *name = xstrndup(s, n);
		p->src_name = clean(name);
		p->src_version = s[n] ? clean(s + n + 1) : NULL;
	} else if (purl_qualifier(u, "upstream")) {
		/* Syft: "upstream=glibc" or "upstream=glibc@2.36-9" */
		const char *up = purl_qualifier(u, "upstream");
		const char *at = strchr(up, '@');
		cleanup_free char *name = at ? xstrndup(up, (size_t)(at - up)) : xstrdup(up);
		p->src_name = clean(name);
		p->src_version = at ? clean(at + 1) : NULL;
	}
	/* NULL means "the binary package's own": say it that way. */
	if (str_eq(p->src_name, p->name) && !p->src_version) {
		free(p->src_name);
		p->src_name = NULL;
	}
	if (str_eq(p->src_version, p->version)) {
		free(p->src_version);
		p->src_version = NULL;
	}
}

/* The package's name as its ecosystem spells it: CycloneDX may keep an npm
 * scope or a Go module's host apart, in group. */
static char *full_name(const struct fields *f, enum pkg_type t)
{
	bool joined = f->group && *f->group && !f->ours &&
		      (t == PKG_NPM || t == PKG_GO) && !strchr(f->name, '/');
	cleanup_free char *n = joined ? xasprintf("%s/%s", f->group, f->name) : xstrdup(f->name);
	return clean(n);
}

static char *clean_location(const char *path)
{
	if (!path || !*path)
		return NULL;
	cleanup_free char *c = clean(path);
	const char *s = c;
	while (*s == '/' || (s[0] == '.' && s[1] == '/'))
		s++;
	return *s ? xstrdup(s) : NULL;
}

/* A distro version with its epoch: Trivy keeps the epoch apart, in the
 * purl's epoch= ("login" 4.13+dfsg1-1 of epoch 1 is 1:4.13+dfsg1-1, and
 * sorts after 2.0). */
static char *os_version(const char *version, const char *epoch)
{
	if (!version || !epoch || !*epoch || !strcmp(epoch, "0"))
		return clean(version);
	size_t n = strspn(version, "0123456789");
	if (n && version[n] == ':')
		return clean(version);
	cleanup_free char *v = xasprintf("%s:%s", epoch, version);
	return clean(v);
}

static void add_package(struct reader *r, const struct fields *f, const char *where)
{
	struct purl u = { 0 };
	bool has_purl = purl_parse(f->purl, &u) == 0;
	enum pkg_type t;
	if (!type_of(f->ours ? f->type : u.type, &t) && !type_of(u.type, &t)) {
		if (has_purl)
			skip_type(r, u.type);
		purl_release(&u);
		return;
	}
	if (!f->name || !*f->name) {
		warn(r, "%s: a %s package without a name: skipped", where, pkg_type_name(t));
		purl_release(&u);
		return;
	}
	r->c->pkgs = xgrow(r->c->pkgs, &r->c->pkgs_cap, r->c->n_pkgs + 1, sizeof(*r->c->pkgs));
	struct cat_pkg *p = &r->c->pkgs[r->c->n_pkgs++];
	memset(p, 0, sizeof(*p));
	p->type = t;
	p->name = full_name(f, t);
	p->version = os_version(f->version ? f->version : u.version, sbom_os_pkg(t) ? purl_qualifier(&u, "epoch") : NULL);
	p->arch = clean(f->arch ? f->arch : purl_qualifier(&u, "arch"));
	p->purl = clean(f->purl);
	p->license = clean(f->license);
	p->supplier = clean(f->supplier);
	p->homepage = clean(f->homepage);
	p->location = clean_location(f->location ? f->location : f->file_path);
	take_source(p, f, &u);
	if (purl_qualifier(&u, "distro") && sbom_os_pkg(t) && !r->distro)
		r->distro = clean(purl_qualifier(&u, "distro"));
	strvec_push(&r->refs, f->ref ? f->ref : "");
	if (f->owner && *f->owner) {
		r->owned = xgrow(r->owned, &r->owned_cap, r->n_owned + 1, sizeof(*r->owned));
		r->owned[r->n_owned++] = (struct owned){ r->c->n_pkgs - 1, xstrdup(f->owner) };
	}
	purl_release(&u);
}

/* One "quench:…" (or Trivy's, Syft's) name = value of a package. */
static void take_prop(struct fields *f, const char *name, const char *value)
{
	static const struct { const char *name; size_t off; } props[] = {
		{ "quench:package-type", offsetof(struct fields, type) },
		{ "quench:arch", offsetof(struct fields, arch) },
		{ "quench:location", offsetof(struct fields, location) },
		{ "quench:source-name", offsetof(struct fields, src_name) },
		{ "quench:source-version", offsetof(struct fields, src_version) },
		{ "quench:owner", offsetof(struct fields, owner) },
		{ "aquasecurity:trivy:SrcName", offsetof(struct fields, trivy_src_name) },
		{ "aquasecurity:trivy:SrcVersion", offsetof(struct fields, trivy_src_version) },
		{ "aquasecurity:trivy:SrcRelease", offsetof(struct fields, trivy_src_release) },
		{ "aquasecurity:trivy:SrcEpoch", offsetof(struct fields, trivy_src_epoch) },
		{ "aquasecurity:trivy:FilePath", offsetof(struct fields, file_path) },
		{ "syft:location:0:path", offsetof(struct fields, file_path) },
	};
	if (!name || !value)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(props); i++) {
		const char **slot = (const char **)((char *)f + props[i].off);
		if (!strcmp(name, props[i].name) && !*slot)
			*slot = value;
	}
	if (str_starts_with(name, "quench:"))
		f->ours = true;
}

/* ---- CycloneDX ------------------------------------------------------------------- */

static const char *cdx_license(json_t *comp)
{
	json_t *l = json_array_get(json_get_arr(comp, "licenses"), 0);
	const char *expr = json_get_str(l, "expression");
	json_t *lic = json_get_obj(l, "license");
	const char *id = json_get_str(lic, "id");
	return expr ? expr : id ? id : json_get_str(lic, "name");
}

static const char *cdx_website(json_t *comp)
{
	json_t *refs = json_get_arr(comp, "externalReferences"), *e;
	size_t i;
	json_array_foreach(refs, i, e)
		if (str_eq(json_get_str(e, "type"), "website"))
			return json_get_str(e, "url");
	return NULL;
}

static void cdx_os(struct reader *r, json_t *comp)
{
	set_os(r, json_get_str(comp, "name"), json_get_str(comp, "version"),
	       json_get_str(comp, "description"));
	json_t *props = json_get_arr(comp, "properties"), *p;
	size_t i;
	struct os_info *os = &r->c->os;
	json_array_foreach(props, i, p) {
		const char *name = json_get_str(p, "name"), *value = json_get_str(p, "value");
		if (str_eq(name, "quench:codename") && !os->codename)
			os->codename = clean(value);
		else if (str_eq(name, "quench:id-like") && !os->id_like)
			os->id_like = clean(value);
	}
}

static void cdx_component(struct reader *r, json_t *comp, const char *where)
{
	struct fields f = {
		.ref = json_get_str(comp, "bom-ref"), .name = json_get_str(comp, "name"),
		.group = json_get_str(comp, "group"), .version = json_get_str(comp, "version"),
		.purl = json_get_str(comp, "purl"), .license = cdx_license(comp),
		.supplier = json_get_str(json_get_obj(comp, "supplier"), "name"),
		.homepage = cdx_website(comp),
	};
	json_t *props = json_get_arr(comp, "properties"), *p;
	size_t i;
	json_array_foreach(props, i, p)
		take_prop(&f, json_get_str(p, "name"), json_get_str(p, "value"));
	add_package(r, &f, where);
}

static int cdx_components(struct reader *r, json_t *arr, const char *path, int depth,
			  struct qerr *err)
{
	if (depth > MAX_NESTING) {
		warn(r, "%s: components nested deeper than %d levels: skipped", path, MAX_NESTING);
		return 0;
	}
	json_t *comp;
	size_t i;
	json_array_foreach(arr, i, comp) {
		cleanup_free char *where = xasprintf("%s[%zu]", path, i);
		if (!json_is_object(comp)) {
			warn(r, "%s: not an object: skipped", where);
			continue;
		}
		const char *type = json_get_str(comp, "type");
		if (str_eq(type, "operating-system"))
			cdx_os(r, comp);
		else if (!str_eq(type, "file") && !str_eq(type, "container"))
			cdx_component(r, comp, where);
		json_t *sub = json_object_get(comp, "components");
		if (sub && !json_is_array(sub)) {
			warn(r, "%s.components: not a list: skipped", where);
			continue;
		}
		cleanup_free char *sub_path = xasprintf("%s.components", where);
		if (sub && cdx_components(r, sub, sub_path, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

static int read_cyclonedx(struct reader *r, json_t *doc, struct qerr *err)
{
	const char *spec = json_get_str(doc, "specVersion");
	if (!spec)
		return q_error(err, 0, "%s: CycloneDX without a specVersion", r->name);
	if (strcmp(spec, "1.4") && strcmp(spec, "1.5") && strcmp(spec, "1.6")) {
		cleanup_free char *v = clean(spec);
		warn(r, "CycloneDX %.16s: read as 1.6", v ? v : "");
	}
	json_t *comps = json_object_get(doc, "components");
	if (comps && !json_is_array(comps))
		return q_error(err, 0, "%s: components is not a list", r->name);
	return cdx_components(r, comps, "components", 0, err);
}

/* ---- SPDX ------------------------------------------------------------------------ */

static const char *spdx_purl(json_t *pkg)
{
	json_t *refs = json_get_arr(pkg, "externalRefs"), *e;
	size_t i;
	json_array_foreach(refs, i, e)
		if (str_eq(json_get_str(e, "referenceType"), "purl"))
			return json_get_str(e, "referenceLocator");
	return NULL;
}

/* "NOASSERTION" and "NONE" say nothing. */
static const char *spdx_value(json_t *pkg, const char *key)
{
	const char *v = json_get_str(pkg, key);
	return v && strcmp(v, "NOASSERTION") && strcmp(v, "NONE") ? v : NULL;
}

/* "Organization: NAME" / "Person: NAME" → NAME */
static const char *spdx_supplier(json_t *pkg)
{
	const char *s = spdx_value(pkg, "supplier");
	const char *colon = s ? strstr(s, ": ") : NULL;
	return colon ? colon + 2 : s;
}

static void spdx_package(struct reader *r, json_t *pkg, const char *where)
{
	const char *purpose = json_get_str(pkg, "primaryPackagePurpose");
	if (str_eq(purpose, "OPERATING_SYSTEM") || str_eq(purpose, "OPERATING-SYSTEM")) {
		set_os(r, json_get_str(pkg, "name"), json_get_str(pkg, "versionInfo"),
		       json_get_str(pkg, "description"));
		return;
	}
	if (str_eq(purpose, "CONTAINER"))
		return;
	const char *license = spdx_value(pkg, "licenseDeclared");
	struct fields f = {
		.ref = json_get_str(pkg, "SPDXID"), .name = json_get_str(pkg, "name"),
		.version = json_get_str(pkg, "versionInfo"), .purl = spdx_purl(pkg),
		.license = license ? license : json_get_str(pkg, "licenseComments"),
		.supplier = spdx_supplier(pkg), .homepage = spdx_value(pkg, "homepage"),
		.source_info = json_get_str(pkg, "sourceInfo"),
	};
	/* quench writes its facts as annotations "quench:KEY: VALUE" */
	json_t *notes = json_get_arr(pkg, "annotations"), *n;
	size_t i;
	json_array_foreach(notes, i, n) {
		const char *comment = json_get_str(n, "comment");
		const char *sep = comment && str_starts_with(comment, "quench:")
					  ? strstr(comment, ": ") : NULL;
		if (!sep)
			continue;
		cleanup_free char *key = xstrndup(comment, (size_t)(sep - comment));
		take_prop(&f, key, sep + 2);
	}
	add_package(r, &f, where);
}

static int read_spdx(struct reader *r, json_t *doc, struct qerr *err)
{
	const char *v = json_get_str(doc, "spdxVersion");
	if (strcmp(v, "SPDX-2.2") && strcmp(v, "SPDX-2.3")) {
		cleanup_free char *shown = clean(v);
		warn(r, "%.16s: read as SPDX-2.3", shown);
	}
	json_t *pkgs = json_object_get(doc, "packages"), *pkg;
	if (pkgs && !json_is_array(pkgs))
		return q_error(err, 0, "%s: packages is not a list", r->name);
	size_t i;
	json_array_foreach(pkgs, i, pkg) {
		cleanup_free char *where = xasprintf("packages[%zu]", i);
		if (json_is_object(pkg))
			spdx_package(r, pkg, where);
		else
			warn(r, "%s: not an object: skipped", where);
	}
	return 0;
}

/* ---- ownership ----------------------------------------------------------------------- */

static int cmp_file_path(const void *a, const void *b)
{
	return strcmp(((const struct cat_file *)a)->path, ((const struct cat_file *)b)->path);
}

/* A file at each owned package's location, owned by the package its
 * quench:owner names. */
static void rebuild_owners(struct reader *r)
{
	struct catalog *c = r->c;
	struct strmap by_ref = STRMAP_INIT;
	for (size_t i = 0; i < r->refs.n; i++)
		if (*r->refs.v[i] && !strmap_get(&by_ref, r->refs.v[i], NULL))
			strmap_put(&by_ref, r->refs.v[i], i);
	c->files = xcalloc(r->n_owned + 1, sizeof(*c->files));
	for (size_t k = 0; k < r->n_owned; k++) {
		const struct cat_pkg *p = &c->pkgs[r->owned[k].pkg];
		size_t owner;
		if (!strmap_get(&by_ref, r->owned[k].owner_ref, &owner) || !p->location) {
			cleanup_free char *ref = clean(r->owned[k].owner_ref);
			warn(r, "%s %s: owner %s is no package of the document", p->name,
			     p->version ? p->version : "", ref ? ref : "\"\"");
			continue;
		}
		c->files[c->n_files++] = (struct cat_file){
			.path = xstrdup(p->location), .type = TAR_REG, .owner = (int32_t)owner,
		};
		c->pkgs[owner].n_owned++;
	}
	strmap_release(&by_ref);
	if (c->n_files)
		qsort(c->files, c->n_files, sizeof(*c->files), cmp_file_path);
	size_t u = 0;   /* a Go binary holds several modules: one file */
	for (size_t i = 0; i < c->n_files; i++) {
		if (u && !strcmp(c->files[u - 1].path, c->files[i].path)) {
			c->pkgs[c->files[i].owner].n_owned--;
			free(c->files[i].path);
			continue;
		}
		c->files[u++] = c->files[i];
	}
	c->n_files = u;
}

/* ---- the document ------------------------------------------------------------------- */

static void reader_release(struct reader *r)
{
	strvec_clear(&r->refs);
	for (size_t i = 0; i < r->n_owned; i++)
		free(r->owned[i].owner_ref);
	free(r->owned);
	strvec_clear(&r->skipped_types);
	free(r->distro);
}

static void note_skipped(struct reader *r)
{
	if (!r->n_skipped)
		return;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < r->skipped_types.n; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", r->skipped_types.v[i]);
	warn(r, "%zu packages of ecosystems quench does not match skipped (%s)", r->n_skipped,
	     strbuf_str(&sb));
	strbuf_release(&sb);
}

struct catalog *sbom_read(const char *data, size_t len, const char *name, struct qerr *err)
{
	json_t *doc = json_parse_bounded(data, len, SBOM_READ_MAX, name, err);
	if (!doc) {
		/* the parser's message quotes the document: keep it one line */
		for (char *p = err ? err->msg : NULL; p && *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		return NULL;
	}
	struct reader r = { .c = xcalloc(1, sizeof(*r.c)), .name = name };
	int rc;
	if (!json_is_object(doc))
		rc = q_error(err, 0, "%s: not an SBOM (a JSON object was expected)", name);
	else if (str_eq(json_get_str(doc, "bomFormat"), "CycloneDX"))
		rc = read_cyclonedx(&r, doc, err);
	else if (json_get_str(doc, "spdxVersion") &&
		 str_starts_with(json_get_str(doc, "spdxVersion"), "SPDX-2."))
		rc = read_spdx(&r, doc, err);
	else
		rc = q_error(err, 0, "%s: neither CycloneDX nor SPDX 2 JSON", name);
	json_decref(doc);
	if (rc == 0) {
		/* no OS component: the distro its packages were built for */
		if (!r.c->os.id && r.distro)
			os_from_distro(&r, r.distro);
		rebuild_owners(&r);
		note_skipped(&r);
	}
	reader_release(&r);
	if (rc < 0) {
		catalog_free(r.c);
		return NULL;
	}
	return r.c;
}

struct catalog *sbom_read_file(const char *path, struct qerr *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	if (read_file_at(AT_FDCWD, path, SBOM_READ_MAX, &data, &len, err) < 0)
		return NULL;
	return sbom_read(data, len, path, err);
}
