/* The catalog's model: packages, files, warnings, and the helpers every
 * parser shares. */
#include "catalog_internal.h"
#include "fs/fs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Warnings past this many are counted, not kept: a hostile database could
 * otherwise make one per line. */
#define CAT_MAX_WARNINGS 1000

const char *pkg_type_name(enum pkg_type t)
{
	switch (t) {
	case PKG_DEB: return "deb";
	case PKG_APK: return "apk";
	case PKG_RPM: return "rpm";
	case PKG_PYTHON: return "pypi";
	case PKG_NPM: return "npm";
	case PKG_GO: return "golang";
	}
	return "unknown";
}

struct cat_pkg *cat_add_pkg(struct catalog *c, enum pkg_type t, const struct cat_blob *from)
{
	c->pkgs = xgrow(c->pkgs, &c->pkgs_cap, c->n_pkgs + 1, sizeof(*c->pkgs));
	struct cat_pkg *p = &c->pkgs[c->n_pkgs++];
	memset(p, 0, sizeof(*p));
	p->type = t;
	if (from) {
		p->location = xstrdup(from->path);
		p->layer = from->layer;
	}
	return p;
}

void cat_warn(struct catalog *c, const char *path, const char *fmt, ...)
{
	if (!strvec_room(&c->warnings, CAT_MAX_WARNINGS))
		return;
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	cleanup_free char *clean = cat_strndup(msg, strlen(msg));
	strvec_take(&c->warnings, xasprintf("%s: %s", path, clean));
}

char *cat_clean_path(const char *path)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	char *p = fs_clean_path(path, NULL);
	if (p && (!*p || !strcmp(p, "."))) {
		free(p);
		return NULL;
	}
	return p;
}

char *cat_strndup(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n && u[i]) {
		size_t k = utf8_seq_len(u + i, n - i);
		if (!k) {
			strbuf_adds(&sb, "\xef\xbf\xbd");
			i++;
		} else if (k == 1 && (u[i] < 0x20 || u[i] == 0x7f) && u[i] != '\t' && u[i] != '\n') {
			i++;
		} else {
			strbuf_add(&sb, u + i, k);
			i += k;
		}
	}
	if (!sb.buf)
		return xstrdup("");
	return strbuf_detach(&sb);
}

static int cmp_blob_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cat_blob *)elem)->path);
}

const struct cat_blob *cat_input_get(const struct cat_input *in, const char *path)
{
	if (!in->n)
		return NULL;
	return bsearch(path, in->blobs, in->n, sizeof(*in->blobs), cmp_blob_path);
}

size_t cat_input_prefix(const struct cat_input *in, const char *prefix)
{
	size_t lo = 0, hi = in->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(in->blobs[mid].path, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < in->n && !str_starts_with(in->blobs[lo].path, prefix))
		return in->n;
	return lo;
}

static int cmp_file_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cat_file *)elem)->path);
}

const struct cat_file *catalog_file(const struct catalog *c, const char *path)
{
	if (!c->n_files)
		return NULL;
	return bsearch(path, c->files, c->n_files, sizeof(*c->files), cmp_file_path);
}

const struct cat_pkg *catalog_owner(const struct catalog *c, const char *path)
{
	const struct cat_file *f = catalog_file(c, path);
	return f && f->owner >= 0 ? &c->pkgs[f->owner] : NULL;
}

static void os_info_release(struct os_info *os)
{
	free(os->id);
	free(os->version_id);
	free(os->codename);
	free(os->pretty_name);
	free(os->id_like);
}

static void pkg_release(struct cat_pkg *p)
{
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->src_name);
	free(p->src_version);
	free(p->license);
	free(p->supplier);
	free(p->homepage);
	free(p->location);
	strvec_clear(&p->depends);
	strvec_clear(&p->files);
	free(p->purl);
	free(p->cpe);
	free(p->deps);
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	os_info_release(&c->os);
	for (size_t i = 0; i < c->n_pkgs; i++)
		pkg_release(&c->pkgs[i]);
	free(c->pkgs);
	for (size_t i = 0; i < c->n_files; i++) {
		free(c->files[i].path);
		free(c->files[i].link);
		elf_info_free(c->files[i].elf);
	}
	free(c->files);
	strvec_clear(&c->warnings);
	free(c);
}
