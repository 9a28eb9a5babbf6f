/* quench: the verb table and nothing else. */
#include "cmd/cmd.h"

const struct verb verbs[] = {
	{ "inspect", cmd_inspect, "show an image's manifest, config, layers and history",
	  "usage: quench inspect [--platform OS/ARCH[/VARIANT]] [--format table|json|raw-manifest|raw-config]\n"
	  "                      [-o FILE] IMAGE\n" },
	{ "unpack", cmd_unpack, "apply an image's layers into a directory",
	  "usage: quench unpack [--platform P] [--devices] [--no-owner] IMAGE DIR\n" },
	{ "import", cmd_import, "make an image from a root filesystem (directory or tar)",
	  "usage: quench import [--config FILE] [--entrypoint JSON|CMD] [--cmd JSON|CMD] [--env K=V]...\n"
	  "                     [--user U] [--workdir DIR] [--label K=V]... [--expose PORT]...\n"
	  "                     [--compress gzip|zstd|none] [--level N] ROOTFS DEST\n" },
	{ "copy", cmd_copy, "convert an image between transports, recompressing layers",
	  "usage: quench copy [--platform P] [--compress gzip|zstd|none] [--level N] SRC DST\n" },
	{ "export", cmd_export, "write an image's flattened root filesystem as one tar",
	  "usage: quench export [--platform P] [--no-cache] IMAGE FILE.tar\n" },
	{ "sbom", cmd_sbom, "list every package and the owner of every file (CycloneDX, SPDX)",
	  "usage: quench sbom [--platform P] [--format table|json|cyclonedx|spdx] [--files] [--no-elf]\n"
	  "                   [--no-cache] [-o FILE] IMAGE\n" },
	{ "db", cmd_db, "load advisories into the local database, update it, or show what it holds",
	  "usage: quench db [--db FILE] import PATH...\n"
	  "       quench db [--db FILE] [--feed NAME=URL]... [--feeds-file FILE] [--max-size BYTES]\n"
	  "                 [--ca-file FILE] update\n"
	  "       quench db [--db FILE] [--format table|json] status\n" },
	{ "scan", cmd_scan, "match an image's packages against the advisory database",
	  "usage: quench scan [--platform P] [--db FILE]\n"
	  "                   [--format table|json|sarif|cyclonedx|openvex] [--fail-on SEVERITY]\n"
	  "                   [--ignore-unfixed] [--include-os-owned] [--vex FILE]... [--rbom FILE]\n"
	  "                   [--max-db-age DAYS] [--no-cache] [-o FILE]\n"
	  "                   IMAGE | sbom:FILE\n"
	  "  sbom:FILE  a CycloneDX or SPDX JSON SBOM instead of an image\n"
	  "  sarif: SARIF 2.1.0 for code scanning; cyclonedx: the image's CycloneDX 1.6 BOM\n"
	  "  with the findings as its vulnerabilities; openvex: OpenVEX 0.2.0 (with --rbom:\n"
	  "  reachable → affected, present → not_affected)\n" },
	{ "run", cmd_run, "run an image's workload in a sandbox, without a daemon",
	  "usage: quench run [--platform P] [--entrypoint CMD|JSON] [--env K[=V]]... [--user U[:G]]\n"
	  "                  [--workdir DIR] [--mount SRC:DST[:ro]]... [--net none|host]\n"
	  "                  [--timeout SECONDS] [--gpu] [--gpu-driver-dir DIR] [--no-overlay]\n"
	  "                  [--cpuset-cpus LIST] IMAGE [--] [CMD ARG...]\n" },
	{ "profile", cmd_profile, "run an image's workload traced and write its RBOM",
	  "usage: quench profile [run's options] [--duration SECONDS] [--probe-cmd CMD]...\n"
	  "                      [--probe-http URL]... [--probe-http-file FILE] [--probe-wait S]\n"
	  "                      [--format table|json] -o RBOM IMAGE [--] [CMD ARG...]\n"
	  "       quench profile --merge RBOM... -o RBOM\n" },
	{ "harden", cmd_harden, "profile a workload, build the minimal image it needs, and prove it",
	  "usage: quench harden [--rbom RBOM | profile's probes] [--rbom-output FILE]\n"
	  "                     [run's options] [--validate-cmd CMD]... [--include PATH|GLOB]...\n"
	  "                     [--exclude GLOB]... [--user nonroot|root|UID] [--keep-shell]\n"
	  "                     [--no-validate] [--validate-ignore-output] [--seccomp-profile FILE]\n"
	  "                     [--db FILE] [--debug-variant DEST2 [--debug-tools BUSYBOX]]\n"
	  "                     [-o REPORT.json] IMAGE DEST [--] [CMD ARG...]\n" },
	{ "report", cmd_report, "render a hardening report: one HTML page, a table, or checked JSON",
	  "usage: quench report [--format html|table|json] [-o FILE] REPORT.json\n"
	  "  REPORT.json  what quench harden -o writes (quench-harden/1); - for standard input\n"
	  "  html: one self-contained page (inline CSS and SVG, nothing fetched), the default\n"
	  "  when FILE ends in .html; table: the summary and the findings left\n" },
	{ "__probe-http", cmd_probe_http, NULL,
	  "usage: quench __probe-http FILE [WAIT_SECONDS] (internal: quench profile runs it)\n" },
	{ "cache", cmd_cache, "list or prune the cache of unpacked images",
	  "usage: quench cache [list | dir | prune [--all | --older-than DAYS]]\n" },
	{ "help", cmd_help, "show help for quench or a verb", "usage: quench help [VERB]\n" },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	if (argc < 2)
		return cmd_help(1, argv) == EXIT_OK ? EXIT_USAGE : EXIT_USAGE;
	const char *name = argv[1];
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("quench %s\n", QUENCH_VERSION);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		return cmd_help(1, argv);
	const struct verb *v = verb_find(name);
	if (!v) {
		fprintf(stderr, "quench: '%s' is not a verb; see 'quench help'\n", name);
		return EXIT_USAGE;
	}
	return v->fn(argc - 1, argv + 1);
}
