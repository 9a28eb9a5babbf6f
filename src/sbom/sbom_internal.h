/* sbom — private: the three writers, what they share, and the purl parser
 * the reader (read.c) uses.
 *
 * Each writer turns a catalog into one JSON document. They share the rules
 * that must agree between formats (the timestamp, the UUID derived from the
 * image, which license strings are SPDX) and a set of identifiers that makes
 * every bom-ref / SPDXID of a document unique.
 */
#ifndef QUENCH_SBOM_INTERNAL_H
#define QUENCH_SBOM_INTERNAL_H

#include "sbom/sbom.h"

json_t *cyclonedx_build(const struct catalog *c, const struct sbom_subject *s,
			const struct sbom_opts *o);
json_t *spdx_build(const struct catalog *c, const struct sbom_subject *s,
		   const struct sbom_opts *o);
json_t *native_build(const struct catalog *c, const struct sbom_subject *s,
		     const struct sbom_opts *o);

/* ---- shared helpers (sbom.c) ------------------------------------------------ */

/* "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx" + NUL */
#define SBOM_UUID_MAX 37
/* A name-based (version 5 layout, SHA-256 instead of SHA-1) UUID of the
 * image: the same image and options always give the same UUID. */
void sbom_uuid(const struct sbom_subject *s, const struct sbom_opts *o, char out[SBOM_UUID_MAX]);

/* "YYYY-MM-DDThh:mm:ssZ" + NUL */
#define SBOM_TIME_MAX 32
/* The document's time: the image's created time normalized to UTC seconds
 * (both schemas and SPDX's spec want that shape), else SOURCE_DATE_EPOCH,
 * else the epoch. Never the clock. */
const char *sbom_timestamp(const struct sbom_subject *s, char out[SBOM_TIME_MAX]);
/* Parse an RFC 3339 time ("2024-01-02T03:04:05.123+02:00") to seconds since
 * the epoch; -1 when it is not one. */
int sbom_parse_time(const char *s, int64_t *t);
void sbom_format_time(int64_t t, char out[SBOM_TIME_MAX]);

/* The diff_id of layer i, or NULL when the subject does not know it. */
const char *sbom_layer_digest(const struct sbom_subject *s, uint32_t layer);
/* The 64 hex digits of an ELF file's sha256, or NULL when unknown. */
const char *sbom_elf_hex(const struct elf_info *e);
/* Is the package from the OS's package manager (deb, apk, rpm)? */
bool sbom_os_pkg(enum pkg_type t);
/* A http(s) URL with no space or control character: what both schemas'
 * URL fields can take. */
bool sbom_url_ok(const char *s);
/* "pkg:oci/NAME@sha256%3AHEX?arch=…&repository_url=…" for the image, or
 * NULL without a manifest digest. Caller frees. */
char *sbom_image_purl(const struct sbom_subject *s);
/* The image's short name: the last path component of its repository
 * ("docker://docker.io/library/debian:12" → "debian"), "image" when none. */
char *sbom_image_short_name(const struct sbom_subject *s);

/* A JSON string of s, whatever bytes s holds. */
json_t *sbom_str(const char *s);
/* Set key to a string when v is not NULL (JSON has no place for a NULL
 * string in these schemas: absent is the way to say unknown). */
void sbom_set_str(json_t *obj, const char *key, const char *v);

/* A set of identifiers; the strings are owned by the set. */
struct idset {
	struct strmap map;
	struct strvec ids;
};
#define IDSET_INIT { STRMAP_INIT, STRVEC_INIT }
/* Add id (taken); returns the set's copy, or NULL (id freed) when it was
 * already there. */
const char *idset_take(struct idset *set, char *id);
void idset_release(struct idset *set);
/* A unique ref for each package, in catalog order (the array is the
 * caller's, the strings the set's): its purl, or when another package
 * already has that purl, the purl with "package-id=HASH" added. */
const char **sbom_pkg_refs(const struct catalog *c, struct idset *ids);
/* The package that owns package i's metadata file (its location), when
 * that is another package — a language package an OS package installed:
 * its index, or -1. Written as quench:owner, read back by read.c. */
ssize_t sbom_location_owner(const struct catalog *c, size_t i);
/* First 12 hex digits of sha256 of the package's identity (type, name,
 * version, location): stable across runs, unlike its index. */
void sbom_pkg_hash(const struct cat_pkg *p, char out[13]);

/* ---- licenses (license.c) ---------------------------------------------------- */

extern const char *const spdx_license_ids[];   /* spdx_ids.c, sorted */
extern const size_t spdx_license_ids_n;
/* The canonical spelling of an SPDX license or exception id (matched
 * without regard to case, as SPDX says), or NULL when not on the list. */
const char *spdx_license_id(const char *id);
/* s as a canonical SPDX license expression (known ids in their canonical
 * case, LicenseRef-…, operators upper case, single spaces), or NULL when it
 * is not one. *single: the expression is one known license id.
 * Caller frees. */
char *spdx_expression(const char *s, bool *single);

#endif
