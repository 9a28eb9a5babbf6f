/* cmd — one file per verb: parse options, call the library, render, pick
 * the exit code. The only layer that prints, exits or reads the environment. */
#ifndef QUENCH_CMD_H
#define QUENCH_CMD_H

#include "image/image.h"
#include "util/util.h"

#include <getopt.h>
#include <sched.h>

/* Exit codes (docs/quench.1). */
enum {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1,   /* findings over a threshold, policy failed */
	EXIT_USAGE = 2,
	EXIT_RUNTIME = 3,    /* bad image, I/O, network */
};

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage;   /* full help text for `quench help VERB` */
};

extern const struct verb verbs[];
const struct verb *verb_find(const char *name);

int cmd_help(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_unpack(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_sbom(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_harden(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_probe_http(int argc, char **argv);   /* internal: no summary, not listed */

/* ---- shared option handling (common.c) ----------------------------------- */

enum out_format { FORMAT_TABLE, FORMAT_JSON };

/* Options every verb has. */
struct common_opts {
	const char *output;        /* -o FILE, NULL = stdout */
	enum out_format format;
	bool format_set;
	bool quiet;                /* -q */
	int verbose;               /* -v, repeatable */
};

/* The long options and the short letters of struct common_opts, to splice
 * into a verb's own getopt tables. */
#define COMMON_SHORTOPTS "o:qvh"
#define COMMON_LONGOPTS                                      \
	{ "output", required_argument, NULL, 'o' },           \
	{ "format", required_argument, NULL, 'F' },           \
	{ "quiet", no_argument, NULL, 'q' },                  \
	{ "verbose", no_argument, NULL, 'v' },                \
	{ "help", no_argument, NULL, 'h' }

/* Handle one common option; returns 1 when handled, 0 when not common,
 * -1 (after printing) on a bad value. Extra formats a verb accepts beyond
 * table and json are not handled here. */
int common_opt(struct common_opts *co, int c, const char *arg, const char *verb);
/* Defaults after parsing: format table on a terminal, json elsewhere;
 * logging level from -q/-v. */
void common_finish(struct common_opts *co);

/* Print "quench: VERB: MESSAGE" once and return EXIT_RUNTIME. */
int fail(const char *verb, const struct qerr *err);
/* Print a usage error with a hint and return EXIT_USAGE. */
int usage_error(const char *verb, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Open the output (-o FILE atomically, or stdout). out_close commits or,
 * when ok is false, removes the temporary; a failed write to stdout is a
 * failure (fflush checked). */
struct output {
	FILE *f;
	struct atomic_file af;
	bool to_file;
};
int out_open(struct output *o, const char *path, struct qerr *err);
int out_close(struct output *o, bool ok, struct qerr *err);

/* $QUENCH_CACHE_DIR, else $XDG_CACHE_HOME/quench, else ~/.cache/quench.
 * Caller frees. */
char *cache_dir(void);

/* Number of CPUs to use for parallel work. */
int cpu_count(void);

/* Parse an IMAGE argument and open it for the given --platform (NULL: the
 * host's). */
struct image *open_image_arg(const char *arg, const char *platform, struct qerr *err);

/* Unpack img into dir (which must not exist, or be empty) through a
 * temporary sibling renamed into place. Shared by unpack and export. */
int unpack_to_dir(struct image *img, const char *dir, const struct extract_opts *eo,
		  struct extract_stats *stats, unpack_progress_fn fn, void *ctx, struct qerr *err);

/* Progress on stderr, only when it is a terminal and not -q. */
struct progress {
	bool on;
	const char *label;
	uint64_t total;
	uint64_t last_shown_ms;
	uint64_t start_ms;
};
void progress_start(struct progress *p, const struct common_opts *co, const char *label,
		    uint64_t total);
void progress_update(struct progress *p, uint64_t done);
void progress_end(struct progress *p);


/* ---- verbs that run a workload in the sandbox (workload.c) --------------- */

#include "trace/trace.h"

enum {
	WOPT_MOUNT = 1000, WOPT_ENV, WOPT_TIMEOUT, WOPT_USER, WOPT_WORKDIR, WOPT_PLATFORM, WOPT_GPU,
	WOPT_GPU_DRIVER_DIR, WOPT_NET, WOPT_ENTRYPOINT, WOPT_NO_OVERLAY, WOPT_CPUSET,
	POPT_DURATION, POPT_CMD, POPT_HTTP, POPT_HTTP_FILE, POPT_WAIT,
};
#define WORKLOAD_LONGOPTS                                                    \
	{ "mount", required_argument, NULL, WOPT_MOUNT },                     \
	{ "env", required_argument, NULL, WOPT_ENV },                         \
	{ "timeout", required_argument, NULL, WOPT_TIMEOUT },                 \
	{ "user", required_argument, NULL, WOPT_USER },                       \
	{ "workdir", required_argument, NULL, WOPT_WORKDIR },                 \
	{ "platform", required_argument, NULL, WOPT_PLATFORM },               \
	{ "gpu", no_argument, NULL, WOPT_GPU },                               \
	{ "gpu-driver-dir", required_argument, NULL, WOPT_GPU_DRIVER_DIR },   \
	{ "net", required_argument, NULL, WOPT_NET },                         \
	{ "entrypoint", required_argument, NULL, WOPT_ENTRYPOINT },           \
	{ "no-overlay", no_argument, NULL, WOPT_NO_OVERLAY },                 \
	{ "cpuset-cpus", required_argument, NULL, WOPT_CPUSET }
/* How a traced run is exercised and ended (profile, harden). */
#define PROBE_LONGOPTS                                                       \
	{ "duration", required_argument, NULL, POPT_DURATION },               \
	{ "probe-cmd", required_argument, NULL, POPT_CMD },                   \
	{ "probe-http", required_argument, NULL, POPT_HTTP },                 \
	{ "probe-http-file", required_argument, NULL, POPT_HTTP_FILE },       \
	{ "probe-wait", required_argument, NULL, POPT_WAIT }

struct workload_opts {
	struct sandbox_spec spec;
	struct sandbox_mount *mounts;
	size_t n_mounts, cap_mounts;
	struct strvec env, entrypoint, cmd;   /* as given */
	struct strvec argv, envp;             /* what runs (workload_spec) */
	bool has_entrypoint;
	const char *platform, *user, *workdir;
	char *cache;
	cpu_set_t cpus;                       /* --cpuset-cpus LIST, when has_cpus */
	bool has_cpus;
	/* PROBE_LONGOPTS */
	uint64_t duration;                    /* seconds; 0: until the workload exits */
	struct strvec probe_cmds, probe_urls; /* --probe-cmd, --probe-http (GETs) */
	const char *probe_http_file;
	uint64_t probe_wait;                  /* seconds an HTTP probe waits; 0: 60 */
	char *http_file;                      /* every request, for __probe-http */
};

/* One option of WORKLOAD_LONGOPTS: 1 handled, 0 not one of them, -1 a
 * usage error (printed). */
int workload_option(struct workload_opts *o, int c, const char *arg, const char *verb);
/* One option of PROBE_LONGOPTS, as workload_option. */
int probe_option(struct workload_opts *o, int c, const char *arg, const char *verb);
/* The probes as a profile_spec (the HTTP requests written to a file for
 * __probe-http; workload_release removes it). */
int workload_probes(struct workload_opts *o, struct profile_spec *ps, struct qerr *err);
/* The words after IMAGE (argv[image_index]), past an optional "--". */
void workload_command(struct workload_opts *o, int argc, char **argv, int image_index);
/* The spec for img: argv from its entrypoint and cmd (or the overrides),
 * env, user, workdir, mounts; with --cpuset-cpus, quench (the tracer
 * included) and the workload are confined to those CPUs from here on. */
int workload_spec(struct workload_opts *o, struct image *img, struct qerr *err);
/* -v: how the sandbox was built. */
void workload_log(const struct sandbox *sb);
void workload_release(struct workload_opts *o);

#endif
