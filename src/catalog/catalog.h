/* catalog — what is in an image: the operating system, every package of
 * every ecosystem (dpkg, apk, rpm, Python, npm, Go), every file with the
 * layer it came from and the package that owns it, and the ELF files no
 * package owns.
 *
 * Lifecycle:
 *   cat = catalog_image(img, &opts, err);    layers scanned in parallel: only
 *                                            metadata files are kept, ELF
 *                                            files are hashed and parsed as
 *                                            they stream by
 *   catalog_owner(cat, "usr/lib/x.so")       → the owning package or NULL
 *   catalog_free(cat);
 *
 * Package databases are untrusted: a corrupt one gives warnings naming the
 * file (cat->warnings) and whatever could be read, never an error.
 */
#ifndef QUENCH_CATALOG_H
#define QUENCH_CATALOG_H

#include "util/util.h"

#include <stdint.h>

struct image;

enum pkg_type {
	PKG_DEB,
	PKG_APK,
	PKG_RPM,
	PKG_PYTHON,
	PKG_NPM,
	PKG_GO,        /* a Go module (or "stdlib") compiled into a binary */
};
#define PKG_TYPE_COUNT 6
/* "deb", "apk", "rpm", "pypi", "npm", "golang": the purl type. */
const char *pkg_type_name(enum pkg_type t);

struct os_info {
	char *id;            /* "debian", "alpine", "rhel", … (os-release ID) */
	char *version_id;    /* "12" */
	char *codename;      /* "bookworm" (VERSION_CODENAME) */
	char *pretty_name;
	char *id_like;       /* space separated */
};

/* What a streamed ELF file told us. */
struct elf_info {
	char sha256[DIGEST_STR_MAX];   /* of the whole file */
	char *build_id;                /* hex of NT_GNU_BUILD_ID, or NULL */
	char *soname;                  /* DT_SONAME, or NULL */
	char *interp;                  /* PT_INTERP, or NULL */
	struct strvec needed;          /* DT_NEEDED, in order */
	uint16_t machine;              /* e_machine */
	uint8_t elf_class;             /* 1: 32-bit, 2: 64-bit */
	uint16_t elf_type;             /* e_type: ET_EXEC, ET_DYN, … */
	char *go_version;              /* "go1.19.8" when a Go binary */
	char *go_modinfo;              /* the module info text of runtime/debug.BuildInfo */
};
void elf_info_free(struct elf_info *e);
/* The ELF file open at fd (name for messages), read whole from its start
 * with pread: NULL with err set when it cannot be read or is no ELF file
 * we can parse. For files outside images (a toolset to add to one). */
struct elf_info *elf_info_read(int fd, const char *name, struct qerr *err);

struct cat_file {
	char *path;          /* clean, relative: "usr/lib/x86_64-linux-gnu/libc.so.6" */
	uint8_t type;        /* enum tar_type: TAR_REG, TAR_SYMLINK, TAR_HARDLINK, TAR_DIR, … */
	uint32_t mode;       /* permission bits incl. setuid/setgid/sticky */
	uint32_t uid, gid;
	uint64_t size;
	char *link;          /* symlink or hard link target, else NULL */
	uint32_t layer;      /* index of the layer that last wrote it */
	int32_t owner;       /* index in catalog.pkgs, or -1 */
	struct elf_info *elf;   /* regular ELF files only, else NULL */
};

struct cat_pkg {
	enum pkg_type type;
	char *name;          /* as the ecosystem spells it */
	char *version;       /* full version: dpkg "1:2.36-9+deb12u4", rpm "3.0.7-27.el9" */
	char *arch;          /* "amd64", "x86_64", "noarch", or NULL */
	char *src_name;      /* dpkg Source:, apk origin, rpm source RPM name; NULL = name */
	char *src_version;   /* NULL = version */
	char *license;       /* an SPDX expression when known, else the raw text, or NULL */
	char *supplier;      /* maintainer / author / vendor, or NULL */
	char *homepage;
	char *location;      /* the metadata file it was read from, clean relative path */
	uint32_t layer;      /* the layer that last wrote that file */
	/* Where in location its record is, for rewriting the database: apk:
	 * the bytes [record, record + record_len) (its lines, without the blank
	 * line after it); rpm: its key (SQLite hnum, Berkeley DB record number). */
	uint64_t record, record_len;
	struct strvec depends;    /* names of the packages it depends on (same ecosystem) */
	struct strvec files;      /* paths it owns, clean relative, as the database lists them */
	/* Filled by the catalog after every parser ran: */
	char *purl;
	char *cpe;           /* CPE 2.3 where derivable, else NULL */
	size_t *deps;        /* indexes in catalog.pkgs of resolved depends, sorted */
	size_t n_deps;
	size_t n_owned;      /* files whose owner is this package */
};

struct catalog {
	struct os_info os;
	struct cat_pkg *pkgs;         /* sorted: type, name, version, location */
	size_t n_pkgs;
	struct cat_file *files;       /* sorted by path; whiteouts applied */
	size_t n_files;
	uint32_t n_layers;
	struct strvec warnings;       /* "var/lib/dpkg/status: line 12: …" */
	/* private */
	size_t pkgs_cap;
};

struct catalog_opts {
	int threads;                  /* layers scanned at once; 0 = number of CPUs */
	bool no_elf;                  /* skip hashing and parsing ELF files */
	const char *cache_dir;        /* scans of layers kept in CACHE/catalog; NULL: none */
	bool *cache_hits;             /* NULL, or n_layers flags: was layer i read from the cache? */
};

/* Scan every layer of img (verified as it streams). */
struct catalog *catalog_image(struct image *img, const struct catalog_opts *opts,
			      struct qerr *err);
void catalog_free(struct catalog *c);

const struct cat_file *catalog_file(const struct catalog *c, const char *path);
/* The package that owns path (a clean relative path), or NULL. */
const struct cat_pkg *catalog_owner(const struct catalog *c, const char *path);

/* What the catalog does to an untrusted SQLite database (rpmdb.sqlite)
 * before it reads it: no triggers, views, trusted schema or extensions,
 * defensive mode, bounded lengths, temporary data in memory. 0 or -1. */
struct sqlite3;
int catalog_sqlite_harden(struct sqlite3 *db);

/* A parsed purl ("pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12"):
 * components percent-decoded, the type lower-cased, PyPI names
 * PEP 503-normalized (the spec's rule), qualifiers as "key=value" sorted. */
struct purl {
	char *type, *namespace, *name, *version, *subpath;   /* NULL when absent */
	struct strvec qualifiers;
};
/* 0, or -1 when s is not a purl (NULL, no "pkg:", no type or name, a bad
 * escape, a part that is not UTF-8 or holds a NUL, over 4 KiB). */
int purl_parse(const char *s, struct purl *out);
void purl_release(struct purl *p);
/* The value of qualifier key (lower case), or NULL. */
const char *purl_qualifier(const struct purl *p, const char *key);
/* Does a purl given as a pattern (a VEX statement's product) name the
 * package purl p? Type, namespace and name must be equal; the version and
 * each qualifier only when the pattern has them. */
bool purl_matches(const struct purl *pattern, const struct purl *p);


/* glibc's ld.so.cache (the new "glibc-ld.so.cache1.1" format, with or
 * without the old "ld.so-1.7.0" table before it): what the dynamic loader
 * looks a soname up in. The file is untrusted: every offset is checked;
 * an entry whose strings run off the end is skipped.
 *
 *   struct ldcache c;
 *   ldcache_parse(data, len, &c, err);    entries in the file's order
 *   ldcache_write(&c, &out);              the new format, as ldconfig lays it out
 *   ldcache_release(&c);
 */
struct ldcache_entry {
	int32_t flags;       /* FLAG_ELF_LIBC6 (3) | arch (0x0300 x86-64, 0x0a00 aarch64…) */
	char *key;           /* the soname: "libc.so.6" */
	char *value;         /* its path: "/lib/x86_64-linux-gnu/libc.so.6" */
	uint32_t osversion;
	uint64_t hwcap;      /* hwcap bits; with bit 62, the index of a glibc-hwcaps name */
};
struct ldcache {
	struct ldcache_entry *v;
	size_t n, cap;
	uint8_t flags;          /* the header's flags byte (endianness: 2 little) */
	char *generator;        /* "ldconfig (GNU libc) 2.36", or NULL */
	struct strvec hwcaps;   /* glibc-hwcaps subdirectory names ("x86-64-v3"), by index */
};
#define LDCACHE_INIT { NULL, 0, 0, 0, NULL, STRVEC_INIT }
/* On error nothing is left to release. */
int ldcache_parse(const void *data, size_t len, struct ldcache *c, struct qerr *err);
/* Appends the file to out. */
void ldcache_write(const struct ldcache *c, struct strbuf *out);
void ldcache_release(struct ldcache *c);

#endif
