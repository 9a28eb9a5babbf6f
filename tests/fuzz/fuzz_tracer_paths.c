/* Fuzz the tracer's path walk: a hostile tracee names any path, relative
 * to any base, in a root full of symlinks (loops, absolute links, links
 * with "..", dangling ones). The walk must stay inside the root (it is a
 * scratch directory: every lstat goes through its fd), give an absolute,
 * normalized path, and record every link it followed with its target.
 * Input: byte 0 picks nofollow and the base, the rest is the path. */
#include "trace/tracer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

static struct tracer *t;
static char root[] = "/tmp/quench-fuzz-root-XXXXXX";

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void cleanup(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tracer_free(t);
}

static void setup(void)
{
	if (!mkdtemp(root))
		abort();
	static const char *const dirs[] = { "usr", "usr/lib", "usr/bin", "etc", "a", "a/b" };
	static const char *const links[][2] = {
		{ "usr/lib", "lib" }, { "usr/bin", "bin" }, { "loop2", "loop1" }, { "loop1", "loop2" },
		{ "/etc", "a/b/abs" }, { "../../usr/lib", "a/b/up" }, { "/../../../../etc", "a/esc" },
		{ "nowhere/x", "dangling" }, { "libz.so.1.2", "usr/lib/libz.so.1" }, { ".", "a/self" },
		{ "/proc/self/cwd", "a/proc" } };
	char p[512];
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		if (mkdir(p, 0755) < 0)
			abort();
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, links[i][1]);
		if (symlink(links[i][0], p) < 0)
			abort();
	}
	snprintf(p, sizeof(p), "%s/usr/lib/libz.so.1.2", root);
	int fd = open(p, O_WRONLY | O_CREAT, 0644);
	close(fd);
	t = xcalloc(1, sizeof(*t));
	t->root_dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	t->root_prefix = xstrdup(root);
	if (t->root_dirfd < 0)
		abort();
	atexit(cleanup);
}

static void check_normal(const char *p, const char *what)
{
	bool bad = p[0] != '/' || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") ||
		   str_ends_with(p, "/.") || str_ends_with(p, "/..") ||
		   (p[1] && str_ends_with(p, "/"));
	if (bad) {
		fprintf(stderr, "%s: not normalized: '%s'\n", what, p);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!t)
		setup();
	if (size < 1 || size > 8192)
		return 0;
	static const char *const bases[] = { NULL, "/", "/a/b", "/usr/lib", "/nonexistent/dir" };
	const char *base = bases[(data[0] >> 1) % ARRAY_SIZE(bases)];
	bool nofollow = data[0] & 1;
	char *path = xstrndup((const char *)data + 1, size - 1);
	bool missing;
	char *res = resolve_path(t, getpid(), base, path, nofollow, &missing);
	check_normal(res, path);
	struct pop p = { .path = path, .base = (char *)base, .use = TRACER_READ, .nofollow = nofollow };
	record_pop(t, getpid(), &p, missing ? -2 : 0);
	/* the prediction before a call walks the same way and agrees */
	unsigned need = PRED_ON | ((data[0] >> 4) & (NEED_READ | NEED_DIR | NEED_LINK | NEED_NOLINK));
	int r = predict_pop(t, getpid(), &p, need);
	if (p.resolved && (strcmp(p.resolved, res) || (r == -ENOENT && !missing && !nofollow) ||
			   (r == 0 && missing))) {
		fprintf(stderr, "prediction %d '%s' for '%s' (walk: '%s'%s)\n", r, p.resolved, path,
			res, missing ? ", missing" : "");
		abort();
	}
	if (p.resolved)
		record_pop(t, getpid(), &p, r == PREDICT_UNKNOWN ? -13 : r);
	free(p.resolved);
	for (size_t i = 0; i < t->npaths; i++) {
		check_normal(t->paths[i].path, path);
		if ((t->paths[i].uses & TRACER_SYMLINK) && !t->paths[i].link_target) {
			fprintf(stderr, "link without target: %s\n", t->paths[i].path);
			abort();
		}
	}
	free(res);
	free(path);
	/* keep the table small across a long run */
	if (t->npaths > 10000) {
		for (size_t i = 0; i < t->npaths; i++) {
			free(t->paths[i].path);
			free(t->paths[i].link_target);
		}
		t->npaths = 0;
		strmap_release(&t->pathidx);
		strvec_clear(&t->libs);
		strmap_release(&t->libidx);
	}
	return 0;
}
