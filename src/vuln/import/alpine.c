/* Alpine's secdb (https://secdb.alpinelinux.org/v3.19/main.json):
 *
 *   { "distroversion": "v3.19", "reponame": "main", "urlprefix", "apkurl",
 *     "packages": [ { "pkg": { "name": "<origin package>",
 *         "secfixes": { "<version>": ["CVE-… [more ids]", …], "0": [ids] } } } ] }
 *
 * Each id under a version is fixed in that version (VDB_AFFECTED, fixed =
 * version); under "0" the package was never affected. An entry may carry
 * more than one id ("CVE-2021-27219 GHSL-2021-045"): each CVE in it is an
 * advisory and the other ids its aliases; an entry without a CVE
 * ("XSA-248", "GHSA-…", "ALPINE-13661") is an advisory of its own. The
 * package name is the origin (source) package, as distro rows want. */
#include "import_internal.h"

#include <fcntl.h>
#include <jansson.h>
#include <string.h>

/* Longest id token taken (GHSA ids are 19 bytes, CVEs rarely over 16). */
#define ALPINE_ID_MAX 64

/* An advisory id: an upper-case prefix, then "-"-separated parts of
 * letters and digits ("XSA-248", "GHSA-h5c8-rqwp-cp95", "ZDI-CAN-23896").
 * A "CVE-" token that is not a CVE ("CVE-46838") is not an id. */
static bool is_id(const char *p, size_t n)
{
	if (n < 3 || n > ALPINE_ID_MAX || !(p[0] >= 'A' && p[0] <= 'Z'))
		return false;
	if (!memcmp(p, "CVE-", 4 < n ? 4 : n))
		return import_is_cve(p, n);
	bool dash = false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '-') {
			if (i == 0 || i == n - 1 || p[i - 1] == '-')
				return false;
			dash = true;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9'))) {
			return false;
		}
	}
	return dash;
}

struct alpine {
	struct vdb_import *im;
	const char *ecosystem;
	/* Advisories, written at the end: one per id, with the aliases the
	 * first entry that has any gave it. */
	struct strvec ids, aliases;   /* aliases[i]: "" when none */
	struct strmap index;          /* id → i (keys in ids) */
};

static void note_advisory(struct alpine *al, const char *id, const char *aliases)
{
	size_t i;
	if (!strmap_get(&al->index, id, &i)) {
		strvec_push(&al->ids, id);
		strvec_push(&al->aliases, aliases ? aliases : "");
		strmap_put(&al->index, al->ids.v[al->ids.n - 1], al->ids.n - 1);
	} else if (aliases && !*al->aliases.v[i]) {
		free(al->aliases.v[i]);
		al->aliases.v[i] = xstrdup(aliases);
	}
}

static int add_advisories(struct alpine *al, struct qerr *err)
{
	for (size_t i = 0; i < al->ids.n; i++) {
		struct vdb_advisory a = { .id = al->ids.v[i],
					  .aliases = *al->aliases.v[i] ? al->aliases.v[i] : NULL };
		if (vdb_add_advisory(al->im, &a, err) < 0)
			return -1;
	}
	return 0;
}

/* One entry of a version's list: its ids → advisories and rows. */
static int add_entry(struct alpine *al, const char *pkg, const char *version, const char *entry,
		     struct qerr *err)
{
	struct strvec cves = STRVEC_INIT, others = STRVEC_INIT;
	for (const char *p = entry; *p;) {
		p += strspn(p, " \t\r\n,;");
		size_t n = strcspn(p, " \t\r\n,;");
		if (import_is_cve(p, n))
			strvec_take(&cves, xstrndup(p, n));
		else if (is_id(p, n))
			strvec_take(&others, xstrndup(p, n));
		p += n;
	}
	int rc = 0;
	if (cves.n == 0 && others.n == 0) {
		vdb_import_warn(al->im, "alpine secdb: %s %s: no advisory id in '%.80s'", pkg,
				version, entry);
		goto out;
	}
	/* With a CVE, the other ids are its aliases; without, each is an advisory. */
	struct strvec *ids = cves.n ? &cves : &others;
	struct strbuf aliases = STRBUF_INIT;
	for (size_t i = 0; cves.n && i < others.n; i++) {
		if (i)
			strbuf_addc(&aliases, ' ');
		strbuf_adds(&aliases, others.v[i]);
	}
	bool none = !strcmp(version, "0");
	for (size_t i = 0; rc == 0 && i < ids->n; i++) {
		struct vdb_affected f = { .advisory = ids->v[i], .ecosystem = al->ecosystem,
					  .package = pkg,
					  .status = none ? VDB_NOT_AFFECTED : VDB_AFFECTED,
					  .fixed = none ? NULL : version };
		note_advisory(al, ids->v[i], aliases.len ? strbuf_str(&aliases) : NULL);
		if (vdb_add_affected(al->im, &f, err) < 0)
			rc = -1;
	}
	strbuf_release(&aliases);
out:
	strvec_clear(&cves);
	strvec_clear(&others);
	return rc;
}

static bool bad_string(const char *s)
{
	return !s || !*s || strlen(s) > 256;
}

static int add_package(struct alpine *al, size_t idx, json_t *item, struct qerr *err)
{
	json_t *pkg = json_get_obj(item, "pkg");
	const char *name = json_get_str(pkg, "name");
	json_t *fixes = json_get_obj(pkg, "secfixes");
	if (bad_string(name) || !fixes) {
		vdb_import_warn(al->im, "alpine secdb: package %zu: no \"pkg\" with a \"name\" and "
					"\"secfixes\"; skipped",
				idx);
		return 0;
	}
	const char *version;
	json_t *ids;
	json_object_foreach(fixes, version, ids) {
		if (bad_string(version) || strspn(version, " \t") || !json_is_array(ids)) {
			vdb_import_warn(al->im, "alpine secdb: %s: version '%.64s' is not a version "
						"with a list of ids; skipped",
					name, version);
			continue;
		}
		size_t i;
		json_t *id;
		json_array_foreach(ids, i, id) {
			if (!json_is_string(id)) {
				vdb_import_warn(al->im, "alpine secdb: %s %s: entry %zu is not a string",
						name, version, i);
				continue;
			}
			if (add_entry(al, name, version, json_string_value(id), err) < 0)
				return -1;
		}
	}
	return 0;
}

int import_alpine_secdb(struct vdb_import *im, const char *path, struct qerr *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	if (read_file_at(AT_FDCWD, path, IMPORT_MAX_DOC, &data, &len, err) < 0)
		return -1;
	json_t *doc = json_parse_bounded(data, len, IMPORT_MAX_DOC, path, err);
	if (!doc)
		return -1;
	const char *dv = json_get_str(doc, "distroversion");
	json_t *packages = json_get_arr(doc, "packages");
	int rc = 0;
	/* "v3.19", "edge": a word, since it becomes part of the ecosystem. */
	if (!dv || !*dv || strlen(dv) > 32 || strspn(dv, "abcdefghijklmnopqrstuvwxyz0123456789.") !=
							 strlen(dv)) {
		rc = q_error(err, 0, "'%s': no \"distroversion\" (\"v3.19\"): not Alpine's secdb",
			     path);
	} else if (!packages) {
		rc = q_error(err, 0, "'%s': no \"packages\" list: not Alpine's secdb", path);
	} else {
		cleanup_free char *eco = xasprintf("Alpine:%s", dv);
		struct alpine al = { .im = im, .ecosystem = eco, .ids = STRVEC_INIT,
				     .aliases = STRVEC_INIT, .index = STRMAP_INIT };
		size_t i;
		json_t *p;
		json_array_foreach(packages, i, p)
			if ((rc = add_package(&al, i, p, err)) < 0)
				break;
		if (rc == 0)
			rc = add_advisories(&al, err);
		strmap_release(&al.index);
		strvec_clear(&al.ids);
		strvec_clear(&al.aliases);
	}
	json_decref(doc);
	return rc;
}
