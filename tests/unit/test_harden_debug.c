/* harden's debug variant: applet names from untrusted --list output; the
 * toolset checked (a static ELF for the image's machine, or refused with a
 * message naming it) and run by quench with --list (tt_toolset, a real
 * static binary standing in for busybox); the variant written from a real
 * one-layer image: the same first layer, a tools layer with the binary and
 * one symlink per applet, the config's PATH, label and history, the same
 * digest twice and SOURCE_DATE_EPOCH honoured. */
#include "harden/harden.h"
#include "image/image.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

static char dir[] = "/tmp/quench-harden-debug-XXXXXX";

static char *at(const char *rel)
{
	return xasprintf("%s/%s", dir, rel);
}

static void copy_file(const char *from, const char *to)
{
	char *data;
	size_t len;
	struct qerr err = QERR_INIT;
	assert_int_equal(read_file_at(AT_FDCWD, from, 64u << 20, &data, &len, &err), 0);
	int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, data, len, &err), 0);
	close(fd);
	free(data);
}

/* The stand-in toolset copied to dir under name (its name picks what it does). */
static char *toolset(const char *name)
{
	const char *src = getenv("QUENCH_TT_TOOLSET");
	assert_non_null(src);
	char *p = at(name);
	copy_file(src, p);
	return p;
}

static const char *host_arch(void)
{
	static struct platform p;
	platform_host(&p);
	return p.arch;
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fs_remove_at(AT_FDCWD, dir, NULL);
	return 0;
}

/* ---- applet names ------------------------------------------------------------------------- */

static void t_parse_applets(void **state)
{
	(void)state;
	const char out[] = "ls\nsh\n[\n[[\nbusybox\n../etc/passwd\n.hidden\nsh\nwget\r\nvi\na/b\n\n"
			   "x\0y\nthis-name-is-far-too-long-to-be-an-applet-of-any-busybox-that-we-know-of\n";
	struct strvec v = STRVEC_INIT;
	assert_int_equal(harden_debug_parse_applets(out, sizeof(out) - 1, &v), 0);
	const char *want[] = { "[", "[[", "ls", "sh", "vi", "wget" };
	assert_int_equal(v.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < v.n; i++)
		assert_string_equal(v.v[i], want[i]);
	strvec_clear(&v);
	assert_int_equal(harden_debug_parse_applets("", 0, &v), 0);
	assert_int_equal(v.n, 0);
	struct strbuf many = STRBUF_INIT;
	for (int i = 0; i < 4097; i++)
		strbuf_addf(&many, "a%d\n", i);
	assert_int_equal(harden_debug_parse_applets(many.buf, many.len, &v), -1);
	strvec_clear(&v);
	strbuf_release(&many);
}

/* ---- the toolset ---------------------------------------------------------------------------- */

static void t_tools_static(void **state)
{
	(void)state;
	cleanup_free char *p = toolset("busybox-ok");
	struct harden_debug_tools t;
	struct qerr err = QERR_INIT;
	if (harden_debug_tools_open(p, host_arch(), &t, &err) < 0)
		fail_msg("%s", err.msg);
	const char *want[] = { "[", "[[", "ls", "sh", "vi", "wget" };
	assert_int_equal(t.applets.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < t.applets.n; i++)
		assert_string_equal(t.applets.v[i], want[i]);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(t.size, (uint64_t)st.st_size);
	assert_true(str_starts_with(t.sha256, "sha256:"));
	harden_debug_tools_release(&t);
}

/* open fails with a message holding each of the words. */
static void refused(const char *path, const char *arch, const char *w1, const char *w2)
{
	struct harden_debug_tools t;
	struct qerr err = QERR_INIT;
	assert_int_equal(harden_debug_tools_open(path, arch, &t, &err), -1);
	if (!strstr(err.msg, w1) || (w2 && !strstr(err.msg, w2)))
		fail_msg("'%s': %s", path, err.msg);
	harden_debug_tools_release(&t);
}

static void t_tools_refused(void **state)
{
	(void)state;
	/* this test program: dynamically linked */
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	refused(self, host_arch(), "not a statically linked ELF", self);
	cleanup_free char *txt = at("tools.txt");
	FILE *f = fopen(txt, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho ls\n", f);
	fclose(f);
	refused(txt, NULL, "is not an ELF file", txt);
	cleanup_free char *missing = at("nothing-here");
	refused(missing, NULL, missing, NULL);
	refused(dir, NULL, "not a regular file", dir);
	cleanup_free char *ok = toolset("busybox-arch");
	refused(ok, strcmp(host_arch(), "arm64") ? "arm64" : "amd64", "ELF machine", ok);
	cleanup_free char *fails = toolset("busybox-fail");
	refused(fails, NULL, "--list': exit 1", fails);
	cleanup_free char *empty = toolset("busybox-empty");
	refused(empty, NULL, "no applets", empty);
	cleanup_free char *noisy = toolset("busybox-noisy");
	refused(noisy, NULL, "more than 1048576 bytes", noisy);
	cleanup_free char *many = toolset("busybox-many");
	refused(many, NULL, "more than 4096 applets", many);
}

/* ---- the variant ----------------------------------------------------------------------------- */

/* A one-layer hardened-like image at oci:DIR/hard:1. */
static char *make_dest(bool with_path)
{
	cleanup_free char *root = at("root");
	cleanup_free char *bin = at("root/app");
	mkdir(root, 0755);
	FILE *f = fopen(bin, "w");
	assert_non_null(f);
	fputs("the workload\n", f);
	fclose(f);
	struct image_config cfg = { 0 };
	cfg.os = xstrdup("linux");
	cfg.arch = xstrdup(host_arch());
	cfg.user = xstrdup("65532:65532");
	cfg.has_entrypoint = true;
	strvec_push(&cfg.entrypoint, "/app");
	if (with_path)
		strvec_push(&cfg.env, "PATH=/usr/bin:/bin");
	strvec_push(&cfg.env, "LANG=C.UTF-8");
	strvec_push(&cfg.labels, "a=1");
	cfg.history = xcalloc(1, sizeof(*cfg.history));
	cfg.history[0].created_by = xstrdup("quench harden");
	cfg.n_history = 1;
	char *ref = xasprintf("oci:%s/hard%s:1", dir, with_path ? "" : "-nopath");
	struct image_ref dst = IMAGE_REF_INIT;
	struct qerr err = QERR_INIT;
	assert_int_equal(image_ref_parse(ref, &dst, &err), 0);
	struct image_writer_opts wo = { .compression = COMP_GZIP };
	struct tree_opts topts = { .mtime = 0 };
	if (image_import(root, &dst, &wo, &cfg, &topts, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	image_ref_release(&dst);
	image_config_release(&cfg);
	return ref;
}

static struct image *open_ref(const char *ref)
{
	struct image_ref r = IMAGE_REF_INIT;
	struct qerr err = QERR_INIT;
	assert_int_equal(image_ref_parse(ref, &r, &err), 0);
	struct image *img = image_open(&r, NULL, &err);
	if (!img)
		fail_msg("%s: %s", ref, err.msg);
	image_ref_release(&r);
	return img;
}

static bool has(const struct strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

/* The tools layer: every entry as expected, the binary's bytes its own. */
static void check_tools_layer(struct image *img, const struct harden_debug_tools *t,
			      int64_t mtime)
{
	struct qerr err = QERR_INIT;
	struct layer_stream *ls = layer_stream_open(img, 1, &err);
	assert_non_null(ls);
	struct tar_reader *tr = tar_reader_new(layer_stream_source(ls));
	const struct tar_entry *e;
	const char *want[] = { "busybox/", "busybox/[", "busybox/[[", "busybox/busybox",
			       "busybox/ls", "busybox/sh", "busybox/vi", "busybox/wget" };
	size_t i = 0;
	int rc;
	while ((rc = tar_reader_next(tr, &e, &err)) == 1) {
		assert_true(i < ARRAY_SIZE(want));
		assert_string_equal(e->path, want[i]);
		assert_int_equal(e->uid, 0);
		assert_int_equal(e->mtime, mtime);
		if (i == 0) {
			assert_int_equal(e->type, TAR_DIR);
			assert_int_equal(e->mode, 0755);
		} else if (!strcmp(want[i], "busybox/busybox")) {
			assert_int_equal(e->type, TAR_REG);
			assert_int_equal(e->mode, 0755);
			assert_int_equal(e->size, t->size);
			struct sha256 h;
			sha256_init(&h);
			const void *buf;
			uint64_t off;
			ssize_t n;
			while ((n = tar_reader_data(tr, &buf, &off, &err)) > 0)
				sha256_update(&h, buf, (size_t)n);
			char d[DIGEST_STR_MAX];
			sha256_final(&h, d);
			assert_string_equal(d, t->sha256);
		} else {
			assert_int_equal(e->type, TAR_SYMLINK);
			assert_string_equal(e->link, "busybox");
		}
		i++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(i, ARRAY_SIZE(want));
	tar_reader_drain(tr, &err);
	tar_reader_free(tr);
	if (layer_stream_close(ls, &err) < 0)
		fail_msg("%s", err.msg);
}

static char *variant(const struct harden_debug_tools *t, const char *dest, const char *name,
		     char *digest)
{
	char *ref = xasprintf("oci:%s/%s", dir, name);
	struct qerr err = QERR_INIT;
	if (harden_write_debug_variant(t, dest, ref, digest, &err) < 0)
		fail_msg("%s", err.msg);
	return ref;
}

static void t_write_variant(void **state)
{
	(void)state;
	cleanup_free char *p = toolset("busybox");
	struct harden_debug_tools t;
	struct qerr err = QERR_INIT;
	if (harden_debug_tools_open(p, host_arch(), &t, &err) < 0)
		fail_msg("%s", err.msg);
	cleanup_free char *dest = make_dest(true);
	char d1[DIGEST_STR_MAX], d2[DIGEST_STR_MAX], d3[DIGEST_STR_MAX];
	unsetenv("SOURCE_DATE_EPOCH");
	cleanup_free char *r1 = variant(&t, dest, "debug:1", d1);
	struct image *h = open_ref(dest), *v = open_ref(r1);
	assert_string_equal(v->manifest_digest, d1);
	assert_int_equal(h->n_layers, 1);
	assert_int_equal(v->n_layers, 2);
	assert_string_equal(v->layers[0].desc.digest, h->layers[0].desc.digest);
	assert_string_equal(v->layers[0].diff_id, h->layers[0].diff_id);
	assert_string_equal(v->config.user, "65532:65532");
	assert_string_equal(v->config.entrypoint.v[0], "/app");
	assert_true(has(&v->config.env, "PATH=/usr/bin:/bin:/busybox"));
	assert_true(has(&v->config.env, "LANG=C.UTF-8"));
	assert_int_equal(v->config.labels.n, 2);
	assert_string_equal(v->config.labels.v[0], "a=1");
	assert_string_equal(v->config.labels.v[1], "dev.quench.debug-variant=true");
	assert_int_equal(v->config.n_history, 2);
	assert_string_equal(v->config.history[1].created_by, "quench harden --debug-variant");
	assert_non_null(strstr(v->config.history[1].comment, t.sha256));
	check_tools_layer(v, &t, 0);
	image_free(v);

	/* the same inputs, the same digest; SOURCE_DATE_EPOCH moves it */
	cleanup_free char *r2 = variant(&t, dest, "debug2:1", d2);
	assert_string_equal(d1, d2);
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	cleanup_free char *r3 = variant(&t, dest, "debug3:1", d3);
	unsetenv("SOURCE_DATE_EPOCH");
	assert_string_not_equal(d1, d3);
	v = open_ref(r3);
	assert_string_equal(v->layers[0].desc.digest, h->layers[0].desc.digest);
	check_tools_layer(v, &t, 1700000000);
	image_free(v);
	image_free(h);

	/* a DEST without PATH gets the usual one, /busybox last */
	cleanup_free char *nopath = make_dest(false);
	cleanup_free char *r4 = variant(&t, nopath, "debug4:1", d3);
	v = open_ref(r4);
	assert_true(has(&v->config.env,
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox"));
	image_free(v);

	/* a DEST that is not there: an error naming DEST2, nothing written */
	cleanup_free char *gone = xasprintf("oci:%s/none:1", dir);
	cleanup_free char *r5 = xasprintf("oci:%s/debug5:1", dir);
	assert_int_equal(harden_write_debug_variant(&t, gone, r5, d3, &err), -1);
	assert_non_null(strstr(err.msg, r5));
	cleanup_free char *d5 = at("debug5");
	assert_int_equal(access(d5, F_OK), -1);
	harden_debug_tools_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_parse_applets),
		cmocka_unit_test(t_tools_static),
		cmocka_unit_test(t_tools_refused),
		cmocka_unit_test(t_write_variant),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
