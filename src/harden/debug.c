/* The debug variant of a hardened image: the same hardened layer, byte for
 * byte, plus one layer with a busybox-style toolset under /busybox (the
 * binary and one symlink per applet), for troubleshooting a workload whose
 * image has no shell. The toolset comes from the host, so it must be a
 * statically linked ELF: the hardened image keeps only the libraries the
 * workload loaded, and a dynamic busybox would find none of its own. */
#include "harden/harden.h"
#include "fs/fs.h"
#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIST_MAX (1u << 20)        /* bytes of `--list` output we read */
#define LIST_TIMEOUT_MS 10000
#define APPLETS_MAX 4096
#define APPLET_NAME_MAX 64
#define TOOLS_DIR "busybox"
#define DEBUG_LABEL "dev.quench.debug-variant=true"

/* ---- the toolset --------------------------------------------------------------------------- */

/* An applet name that can be a file in /busybox: no path, no dot files,
 * nothing a shell would trip on (but "[" and "[[", which are commands). */
static bool applet_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > APPLET_NAME_MAX || s[0] == '.' ||
	    (n == strlen(TOOLS_DIR) && !memcmp(s, TOOLS_DIR, n)))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == '+' || c == '[' || c == ']'))
			return false;
	}
	return true;
}

int harden_debug_parse_applets(const char *out, size_t len, struct strvec *applets)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (out[i] == '\n' || out[i] == ' ' || out[i] == '\t' || out[i] == '\r'))
			i++;
		size_t start = i;
		while (i < len && out[i] != '\n' && out[i] != ' ' && out[i] != '\t' && out[i] != '\r')
			i++;
		if (i > start && applet_name_ok(out + start, i - start)) {
			if (applets->n >= APPLETS_MAX)
				return -1;
			strvec_take(applets, xstrndup(out + start, i - start));
		}
	}
	strvec_sort(applets);
	size_t k = 0;
	for (size_t j = 0; j < applets->n; j++) {
		if (k && !strcmp(applets->v[k - 1], applets->v[j]))
			free(applets->v[j]);
		else
			applets->v[k++] = applets->v[j];
	}
	applets->n = k;
	return 0;
}

/* The first executable regular file called name in $PATH; caller frees. */
static char *find_on_path(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char *p = xasprintf("%.*s/%s", (int)(n ? n : 1), n ? path : ".", name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
			return p;
		free(p);
		path += n + (path[n] == ':');
	}
	return NULL;
}

/* e_machine for the image's architecture, 0 when we do not know it. */
static unsigned elf_machine_of(const char *arch)
{
	static const struct { const char *arch; unsigned machine; } m[] = {
		{ "amd64", 62 }, { "arm64", 183 }, { "386", 3 }, { "arm", 40 },
		{ "ppc64le", 21 }, { "s390x", 22 }, { "riscv64", 243 },
	};
	for (size_t i = 0; arch && i < ARRAY_SIZE(m); i++)
		if (!strcmp(arch, m[i].arch))
			return m[i].machine;
	return 0;
}

/* No interpreter and no DT_NEEDED: it runs on any root filesystem. */
static int check_static(struct harden_debug_tools *t, const char *arch, struct qerr *err)
{
	struct elf_info *e = elf_info_read(t->fd, t->path, err);
	if (!e)
		return q_error_wrap(err, "--debug-tools");
	int rc = 0;
	unsigned want = elf_machine_of(arch);
	if (e->interp || e->needed.n)
		rc = q_error(err, 0, "--debug-tools '%s': not a statically linked ELF (%s %s); "
			     "the hardened image has no libraries for it", t->path,
			     e->interp ? "interpreter" : "needs", e->interp ? e->interp : e->needed.v[0]);
	else if (e->elf_type != 2 && e->elf_type != 3)
		rc = q_error(err, 0, "--debug-tools '%s': not an ELF executable", t->path);
	else if (want && e->machine != want)
		rc = q_error(err, 0, "--debug-tools '%s': ELF machine %u, the image is %s", t->path,
			     e->machine, arch);
	else
		memcpy(t->sha256, e->sha256, sizeof(t->sha256));
	elf_info_free(e);
	return rc;
}

/* Read the child's stdout until its end, LIST_MAX bytes or the deadline. */
static int read_list(int fd, pid_t pid, struct strbuf *out, const char *name, struct qerr *err)
{
	int64_t deadline = now_ms() + LIST_TIMEOUT_MS;
	char buf[8192];
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			kill(pid, SIGKILL);
			return q_error(err, r < 0 ? errno : 0, "'%s --list': %s", name,
				       r < 0 ? "poll" : "no end after 10 s");
		}
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? q_error(err, errno, "'%s --list': read", name) : 0;
		if (out->len + (size_t)n > LIST_MAX) {
			kill(pid, SIGKILL);
			return q_error(err, 0, "'%s --list': more than %u bytes", name, LIST_MAX);
		}
		strbuf_add(out, buf, (size_t)n);
	}
}

/* Run the toolset itself (the file checked, through its descriptor, as
 * "busybox" so that it acts as the multi-call binary) with --list and an
 * empty environment. The only program quench starts outside a sandbox. */
static int list_applets(struct harden_debug_tools *t, struct qerr *err)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return q_error(err, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return q_error(err, errno, "fork");
	}
	if (pid == 0) {
		/* async-signal-safe calls only */
		char *argv[] = { (char *)TOOLS_DIR, (char *)"--list", NULL };
		char *envp[] = { NULL };
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 2) < 0 || dup2(pipefd[1], 1) < 0)
			_exit(127);
		fexecve(t->fd, argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	struct strbuf out = STRBUF_INIT;
	int rc = read_list(pipefd[0], pid, &out, t->path, err);
	close(pipefd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		rc = q_error(err, 0, "'%s --list': %s %d", t->path,
			     WIFEXITED(status) ? "exit" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	if (rc == 0 && harden_debug_parse_applets(strbuf_str(&out), out.len, &t->applets) < 0)
		rc = q_error(err, 0, "'%s --list': more than %d applets", t->path, APPLETS_MAX);
	if (rc == 0 && !t->applets.n)
		rc = q_error(err, 0, "'%s --list': no applets (is it busybox?)", t->path);
	strbuf_release(&out);
	return rc;
}

int harden_debug_tools_open(const char *path, const char *arch, struct harden_debug_tools *t,
			    struct qerr *err)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->path = path ? xstrdup(path) : find_on_path(TOOLS_DIR);
	if (!t->path)
		return q_error(err, 0, "--debug-variant: no busybox on PATH (install busybox-static, "
				       "or name one with --debug-tools)");
	t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (t->fd < 0 || fstat(t->fd, &st) < 0)
		return q_error(err, errno, "--debug-tools '%s'", t->path);
	if (!S_ISREG(st.st_mode))
		return q_error(err, 0, "--debug-tools '%s': not a regular file", t->path);
	t->size = (uint64_t)st.st_size;
	if (check_static(t, arch, err) < 0)
		return -1;
	return list_applets(t, err);
}

void harden_debug_tools_release(struct harden_debug_tools *t)
{
	if (t->fd >= 0)
		close(t->fd);
	free(t->path);
	strvec_clear(&t->applets);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

/* ---- the layer ----------------------------------------------------------------------------- */

struct tools_layer {
	const struct harden_debug_tools *t;
	int64_t mtime;
};

/* The binary's bytes, from the descriptor that was checked: exactly the
 * size it had then (a file that changed since is an error). */
static int copy_binary(struct tar_writer *tw, const struct harden_debug_tools *t,
		       struct qerr *err)
{
	cleanup_free char *buf = xmalloc(1u << 20);
	uint64_t off = 0;
	while (off < t->size) {
		size_t want = t->size - off < (1u << 20) ? (size_t)(t->size - off) : 1u << 20;
		ssize_t n = pread(t->fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return q_error(err, n < 0 ? errno : 0, "read '%s'%s", t->path,
				       n < 0 ? "" : ": it shrank");
		if (tar_writer_data(tw, buf, (size_t)n, err) < 0)
			return -1;
		off += (uint64_t)n;
	}
	return 0;
}

/* busybox/ (0755), busybox/busybox (0755), busybox/APPLET -> busybox;
 * owner 0:0, one mtime, sorted: the same toolset gives the same bytes. */
static int produce_tools(void *ctx, const struct byte_sink *out, struct qerr *err)
{
	const struct tools_layer *l = ctx;
	const struct harden_debug_tools *t = l->t;
	struct tar_writer *tw = tar_writer_new(out);
	struct tar_entry e = { .path = (char *)TOOLS_DIR "/", .type = TAR_DIR, .mode = 0755,
			       .mtime = l->mtime };
	int rc = tar_writer_add(tw, &e, err);
	struct strvec names = STRVEC_INIT;
	strvec_push(&names, TOOLS_DIR);
	for (size_t i = 0; i < t->applets.n; i++)
		strvec_push(&names, t->applets.v[i]);
	strvec_sort(&names);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		bool bin = !strcmp(names.v[i], TOOLS_DIR);
		cleanup_free char *p = xasprintf(TOOLS_DIR "/%s", names.v[i]);
		e = (struct tar_entry){ .path = p, .type = bin ? TAR_REG : TAR_SYMLINK,
					.link = bin ? NULL : (char *)TOOLS_DIR,
					.mode = bin ? 0755 : 0777, .size = bin ? t->size : 0,
					.mtime = l->mtime };
		rc = tar_writer_add(tw, &e, err);
		if (rc == 0 && bin)
			rc = copy_binary(tw, t, err);
	}
	strvec_clear(&names);
	if (rc == 0)
		rc = tar_writer_finish(tw, err);
	tar_writer_free(tw);
	return rc;
}

/* ---- the image ----------------------------------------------------------------------------- */

/* DEST's config, with /busybox last on PATH (the image's own programs
 * still win), the debug label and a history entry for the tools layer. */
static void debug_config(struct image_config *c, const struct harden_debug_tools *t)
{
	bool has_path = false;
	for (size_t i = 0; i < c->env.n; i++) {
		if (!str_starts_with(c->env.v[i], "PATH="))
			continue;
		has_path = true;
		char *old = c->env.v[i];
		c->env.v[i] = xasprintf("%s%s/" TOOLS_DIR, old, old[5] ? ":" : "");
		free(old);
	}
	if (!has_path)
		strvec_push(&c->env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
				     "/bin:/" TOOLS_DIR);
	strvec_push(&c->labels, DEBUG_LABEL);
	strvec_sort(&c->labels);
	c->history = xrealloc(c->history, (c->n_history + 1) * sizeof(*c->history));
	struct history_entry *h = &c->history[c->n_history++];
	memset(h, 0, sizeof(*h));
	h->created_by = xstrdup("quench harden --debug-variant");
	h->comment = xasprintf("/" TOOLS_DIR "/" TOOLS_DIR " %s and %zu applets", t->sha256,
			       t->applets.n);
}

int harden_write_debug_variant(const struct harden_debug_tools *t, const char *dest,
			       const char *dest2, char *digest2, struct qerr *err)
{
	struct image_ref src_ref = IMAGE_REF_INIT, dst_ref = IMAGE_REF_INIT;
	struct image *img = NULL;
	struct image_writer *w = NULL;
	int rc = -1;
	if (image_ref_parse(dest, &src_ref, err) < 0 || !(img = image_open(&src_ref, NULL, err)) ||
	    image_ref_parse(dest2, &dst_ref, err) < 0)
		goto out;
	/* the hardened layer as it is (same blob, same diff_id); the tools
	 * layer compressed as DEST's layers are */
	struct image_writer_opts wo = {
		.compression = img->n_layers ? img->layers[0].compression : COMP_GZIP,
		.keep_compression = true,
	};
	struct tools_layer tl = {
		.t = t, .mtime = getenv("SOURCE_DATE_EPOCH") ? source_date_epoch(0) : 0,
	};
	if (!(w = image_writer_new(&dst_ref, &wo, err)) ||
	    image_writer_copy_layers(w, img, err) < 0 ||
	    image_writer_add_layer(w, produce_tools, &tl, err) < 0)
		goto out;
	debug_config(&img->config, t);
	if (image_writer_commit(w, &img->config, NULL, err) < 0)
		goto out;
	snprintf(digest2, DIGEST_STR_MAX, "%s", image_writer_manifest_digest(w));
	rc = 0;
out:
	if (rc < 0)
		q_error_wrap(err, "debug variant %s", dest2);
	image_writer_free(w);
	image_free(img);
	image_ref_release(&src_ref);
	image_ref_release(&dst_ref);
	return rc;
}
