/* sbom — the catalog written as an SBOM: CycloneDX 1.6 JSON, SPDX 2.3 JSON
 * and quench's own JSON. Same catalog and subject → byte-identical output
 * (keys sorted, no clock, no random: serial numbers and document namespaces
 * are derived from the image digest). And back: a CycloneDX or SPDX
 * document read as a catalog (sbom_read, below).
 */
#ifndef QUENCH_SBOM_H
#define QUENCH_SBOM_H

#include "catalog/catalog.h"

#include <jansson.h>

/* The image the SBOM describes. */
struct sbom_subject {
	const char *name;              /* the reference as the user gave it: "oci:out:latest" */
	const char *manifest_digest;   /* "sha256:…" */
	const char *config_digest;
	const char *created;           /* the image config's created (RFC 3339), or NULL */
	const char *os, *arch;         /* platform */
	const char *const *layer_digests;   /* diff_ids, n_layers of them (a file's layer) */
	size_t n_layers;
};

struct sbom_opts {
	bool files;                    /* per-file entries (every regular file, owner, hash) */
	const char *tool_version;      /* "0.1.0" */
};

enum sbom_format { SBOM_CYCLONEDX, SBOM_SPDX, SBOM_NATIVE };
int sbom_format_parse(const char *s, enum sbom_format *f, struct qerr *err);

/* The SBOM as a JSON document; a new reference. */
json_t *sbom_build(enum sbom_format f, const struct catalog *c, const struct sbom_subject *s,
		   const struct sbom_opts *o);

/* The bom-ref that sbom_build(SBOM_CYCLONEDX, c, s, …) gives each package,
 * in catalog order, pushed onto refs: what a document that adds to that
 * BOM (scan's vulnerabilities) points at. */
void sbom_cyclonedx_pkg_refs(const struct catalog *c, const struct sbom_subject *s,
			     struct strvec *refs);

/* ---- reading back (read.c) ----------------------------------------------------
 *
 * A CycloneDX (1.4–1.6) or SPDX 2.3 JSON document, quench's or another
 * tool's (Trivy, Syft), as a catalog that vuln_match() reads as it reads an
 * image's: the OS, every package of a type quench matches (type, name,
 * version, arch, source package, purl, location, license, supplier,
 * homepage), and for a language package that an OS package installed
 * (quench:owner) a file at its location owned by that package. No other
 * files, no dependencies, no layers.
 *
 * The document is untrusted: what makes it no SBOM is an error naming
 * `name`; a component that cannot be a package is a warning in
 * c->warnings. */
#define SBOM_READ_MAX (256u << 20)
struct catalog *sbom_read(const char *data, size_t len, const char *name, struct qerr *err);
/* The same for a file (at most SBOM_READ_MAX bytes). */
struct catalog *sbom_read_file(const char *path, struct qerr *err);

#endif
