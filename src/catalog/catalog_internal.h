/* catalog — private: the parsers' interface.
 *
 * Scanning a layer keeps the content of the files some parser wants (its
 * *_wants says so from the path alone, before any byte is read), bounded by
 * CAT_MAX_BLOB. After the layers are merged, each parser's *_collect reads
 * the kept files of the final tree and adds packages. Parsers never fail:
 * what they cannot read becomes a warning naming the file (cat_warn) and they
 * go on with the rest.
 */
#ifndef QUENCH_CATALOG_INTERNAL_H
#define QUENCH_CATALOG_INTERNAL_H

#include "catalog/catalog.h"

/* Largest metadata file kept (a bigger one is kept truncated and warned of). */
#define CAT_MAX_BLOB (64u << 20)
/* rpmdb.sqlite may be bigger than other metadata. */
#define CAT_MAX_RPMDB (512u << 20)

/* A kept file of the final tree. data is NUL-terminated (not counted in
 * len); truncated when the file was bigger than its limit. */
struct cat_blob {
	char *path;
	char *data;
	size_t len;
	uint32_t layer;
	bool truncated;
};

/* The kept files, sorted by path. */
struct cat_input {
	const struct cat_blob *blobs;
	size_t n;
};
const struct cat_blob *cat_input_get(const struct cat_input *in, const char *path);
/* The index of the first blob whose path starts with prefix (n when none). */
size_t cat_input_prefix(const struct cat_input *in, const char *prefix);

/* ---- adding packages ----------------------------------------------------- */

/* A new zeroed package of type t from the metadata file at blob (location
 * and layer are set from it). The pointer is valid until the next call. */
struct cat_pkg *cat_add_pkg(struct catalog *c, enum pkg_type t, const struct cat_blob *from);
/* Append a warning "PATH: message". */
void cat_warn(struct catalog *c, const char *path, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* A path as a package database spells it ("/usr/bin/x", "./usr/bin/x",
 * "usr//bin/x") made clean and relative; NULL when it cannot be (".."
 * components, empty). Caller frees. */
char *cat_clean_path(const char *path);
/* Duplicate the bytes [s, s+n) as a string with invalid UTF-8 replaced by
 * U+FFFD and control characters but tab dropped, so that every string we
 * hold can go into JSON. */
char *cat_strndup(const char *s, size_t n);

/* ---- the parsers ------------------------------------------------------------- */

/* Each: does the scanner keep this path's content? (called for every
 * regular file of every layer: must be cheap) and: add what the kept files
 * say. */
bool os_wants(const char *path);
void os_collect(struct catalog *c, const struct cat_input *in);

bool dpkg_wants(const char *path);
void dpkg_collect(struct catalog *c, const struct cat_input *in);

bool apk_wants(const char *path);
void apk_collect(struct catalog *c, const struct cat_input *in);

bool rpm_wants(const char *path);
void rpm_collect(struct catalog *c, const struct cat_input *in);

bool python_wants(const char *path);
void python_collect(struct catalog *c, const struct cat_input *in);

bool npm_wants(const char *path);
void npm_collect(struct catalog *c, const struct cat_input *in);

/* Go modules from the build info of the ELF files already in c->files. */
void go_collect(struct catalog *c);

/* ---- ELF, as it streams ---------------------------------------------------- */

/* Fed a file's bytes in order (any chunking), it hashes them all and keeps
 * what it needs of the headers, dynamic section, notes and Go build info,
 * with bounded memory whatever the file's size. finish returns NULL when the
 * file was no ELF or too broken to say anything (then *why may say why). */
struct elf_scan;
struct elf_scan *elf_scan_new(void);
void elf_scan_feed(struct elf_scan *s, const void *data, size_t len);
struct elf_info *elf_scan_finish(struct elf_scan *s, const char **why);
void elf_scan_free(struct elf_scan *s);
/* Is this the start of an ELF file? (len >= 4) */
bool elf_magic(const void *head, size_t len);

/* ---- identifiers ------------------------------------------------------------- */

/* purl (package-url spec) and CPE 2.3 of p on os; caller frees; cpe may be NULL. */
char *cat_purl(const struct cat_pkg *p, const struct os_info *os);
char *cat_cpe(const struct cat_pkg *p, const struct os_info *os);

#endif
