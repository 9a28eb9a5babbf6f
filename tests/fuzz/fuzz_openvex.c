/* Fuzz the OpenVEX reader and the statement matcher (purl parsing and
 * matching included): any file, loaded from a memfd, applied to a small
 * report. */
#include "fuzz_memfd.h"
#include "vuln/vuln.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd(data, size, path);
	if (fd < 0)
		return 0;
	struct qerr err = QERR_INIT;
	struct vex *v;
	if (vex_load(path, &v, &err) == 0) {
		struct cat_pkg pkgs[2] = {
			{ .name = "urllib3", .purl = "pkg:pypi/urllib3@1.26.4" },
			{ .name = "openssl", .purl = "pkg:deb/debian/openssl@3.0.11-1?distro=debian-12" },
		};
		struct catalog c = { .pkgs = pkgs, .n_pkgs = 2 };
		struct vuln_finding f[2] = {
			{ .pkg = 0, .id = xstrdup("CVE-2021-33503"), .package = xstrdup("urllib3") },
			{ .pkg = 1, .id = xstrdup("CVE-2023-5678"), .package = xstrdup("openssl") },
		};
		strvec_push(&f[0].advisories, "PYSEC-2021-108");
		struct vuln_report r = { .v = xcalloc(2, sizeof(*r.v)), .n = 2 };
		r.v[0] = f[0];
		r.v[1] = f[1];
		struct vex_target t = { .manifest_digest = "sha256:00", .ref = "oci:x" };
		vex_apply(v, &c, &t, &r);
		vuln_report_release(&r);
		vex_free(v);
	}
	close(fd);
	return 0;
}
