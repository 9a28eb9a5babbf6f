/* image: references, platforms, the config model. */
#include "image/image.h"

#include <setjmp.h>
#include <cmocka.h>

/* Fails with the library's own message, not just "-1 != 0". */
#define assert_ok(expr, err)                                                   \
	do {                                                                   \
		if ((expr) < 0)                                                \
			fail_msg("%s failed: %s", #expr, (err)->msg);          \
	} while (0)

#define assert_contains(haystack, needle)                                      \
	do {                                                                   \
		if (!strstr((haystack), (needle)))                             \
			fail_msg("'%s' does not contain '%s'", (haystack), (needle)); \
	} while (0)

static void assert_str_or_null(const char *got, const char *want, const char *field,
			       const char *input)
{
	if (!want && !got)
		return;
	if (!want || !got || strcmp(got, want))
		fail_msg("%s: %s is '%s', expected '%s'", input, field, got ? got : "(null)",
			 want ? want : "(null)");
}

/* ---- references ----------------------------------------------------------- */

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DG "sha256:" HEX

struct ref_case {
	const char *in;
	enum transport t;
	const char *path, *tag, *digest, *name;
	const char *formatted;   /* NULL: same as the input */
};

static const struct ref_case good_refs[] = {
	{ "oci:out", TRANSPORT_OCI, "out", NULL, NULL, NULL, NULL },
	{ "oci:out:latest", TRANSPORT_OCI, "out", "latest", NULL, NULL, NULL },
	{ "oci:/tmp/img:v1.2-rc_3", TRANSPORT_OCI, "/tmp/img", "v1.2-rc_3", NULL, NULL, NULL },
	{ "oci:./a:b/c", TRANSPORT_OCI, "./a:b/c", NULL, NULL, NULL, "oci:./a:b/c:" },
	{ "oci:dir@" DG, TRANSPORT_OCI, "dir", NULL, DG, NULL, NULL },
	{ "oci:a:b:", TRANSPORT_OCI, "a:b", NULL, NULL, NULL, NULL },
	{ "oci:x:@" DG, TRANSPORT_OCI, "x:", NULL, DG, NULL, NULL },
	{ "oci:dir:.hidden", TRANSPORT_OCI, "dir:.hidden", NULL, NULL, NULL, "oci:dir:.hidden:" },
	{ "oci:a@b:c", TRANSPORT_OCI, "a@b", "c", NULL, NULL, NULL },
	{ "oci:x@sha256:abc:", TRANSPORT_OCI, "x@sha256:abc", NULL, NULL, NULL, NULL },
	{ "oci:my dir/img", TRANSPORT_OCI, "my dir/img", NULL, NULL, NULL, NULL },
	{ "oci-archive:img.tar", TRANSPORT_OCI_ARCHIVE, "img.tar", NULL, NULL, NULL, NULL },
	{ "oci-archive:img.tar:v1", TRANSPORT_OCI_ARCHIVE, "img.tar", "v1", NULL, NULL, NULL },
	{ "oci-archive:/x/img.tar@" DG, TRANSPORT_OCI_ARCHIVE, "/x/img.tar", NULL, DG, NULL,
	  NULL },
	{ "docker-archive:img.tar", TRANSPORT_DOCKER_ARCHIVE, "img.tar", NULL, NULL, NULL, NULL },
	{ "docker-archive:img.tar:python:3", TRANSPORT_DOCKER_ARCHIVE, "img.tar", "python:3",
	  NULL, NULL, NULL },
	{ "docker-archive:img.tar:quay.io/x/y:1", TRANSPORT_DOCKER_ARCHIVE, "img.tar",
	  "quay.io/x/y:1", NULL, NULL, NULL },
	{ "docker-archive:img.tar:@1", TRANSPORT_DOCKER_ARCHIVE, "img.tar", "@1", NULL, NULL,
	  NULL },
	{ "docker-archive:/abs/p.tar:library/python", TRANSPORT_DOCKER_ARCHIVE, "/abs/p.tar",
	  "library/python", NULL, NULL, NULL },
	{ "rootfs:/srv/root", TRANSPORT_ROOTFS, "/srv/root", NULL, NULL, NULL, NULL },
	{ "rootfs:root.tar", TRANSPORT_ROOTFS, "root.tar", NULL, NULL, NULL, NULL },
	{ "rootfs:a:b", TRANSPORT_ROOTFS, "a:b", NULL, NULL, NULL, NULL },
	{ "python", TRANSPORT_REGISTRY, NULL, "latest", NULL, "docker.io/library/python",
	  "docker://docker.io/library/python:latest" },
	{ "python:3.12-slim", TRANSPORT_REGISTRY, NULL, "3.12-slim", NULL,
	  "docker.io/library/python", "docker://docker.io/library/python:3.12-slim" },
	{ "docker://python", TRANSPORT_REGISTRY, NULL, "latest", NULL,
	  "docker.io/library/python", "docker://docker.io/library/python:latest" },
	{ "docker://ghcr.io/org/app:1.0", TRANSPORT_REGISTRY, NULL, "1.0", NULL,
	  "ghcr.io/org/app", NULL },
	{ "localhost:5000/x:1", TRANSPORT_REGISTRY, NULL, "1", NULL, "localhost:5000/x",
	  "docker://localhost:5000/x:1" },
	{ "localhost/x", TRANSPORT_REGISTRY, NULL, "latest", NULL, "localhost/x",
	  "docker://localhost/x:latest" },
	{ "library/python@" DG, TRANSPORT_REGISTRY, NULL, NULL, DG, "docker.io/library/python",
	  "docker://docker.io/library/python@" DG },
	{ "python:3@" DG, TRANSPORT_REGISTRY, NULL, "3", DG, "docker.io/library/python",
	  "docker://docker.io/library/python:3@" DG },
	{ "index.docker.io/foo/bar", TRANSPORT_REGISTRY, NULL, "latest", NULL,
	  "docker.io/foo/bar", "docker://docker.io/foo/bar:latest" },
	{ "docker.io/python", TRANSPORT_REGISTRY, NULL, "latest", NULL,
	  "docker.io/library/python", "docker://docker.io/library/python:latest" },
	{ "quay.io/a/b/c_d__e-f--g.h:X_1", TRANSPORT_REGISTRY, NULL, "X_1", NULL,
	  "quay.io/a/b/c_d__e-f--g.h", "docker://quay.io/a/b/c_d__e-f--g.h:X_1" },
	{ "docker:24", TRANSPORT_REGISTRY, NULL, "24", NULL, "docker.io/library/docker",
	  "docker://docker.io/library/docker:24" },
	{ "[::1]:5000/x:y", TRANSPORT_REGISTRY, NULL, "y", NULL, "[::1]:5000/x",
	  "docker://[::1]:5000/x:y" },
	{ "Registry.Example.com/x", TRANSPORT_REGISTRY, NULL, "latest", NULL,
	  "Registry.Example.com/x", "docker://Registry.Example.com/x:latest" },
	{ "foo.com", TRANSPORT_REGISTRY, NULL, "latest", NULL, "docker.io/library/foo.com",
	  "docker://docker.io/library/foo.com:latest" },
	{ "docker://localhost:5000/x", TRANSPORT_REGISTRY, NULL, "latest", NULL,
	  "localhost:5000/x", "docker://localhost:5000/x:latest" },
	{ "nvcr.io/nvidia/pytorch:24.05-py3", TRANSPORT_REGISTRY, NULL, "24.05-py3", NULL,
	  "nvcr.io/nvidia/pytorch", "docker://nvcr.io/nvidia/pytorch:24.05-py3" },
	{ "10.0.0.1:5000/team/vllm", TRANSPORT_REGISTRY, NULL, "latest", NULL,
	  "10.0.0.1:5000/team/vllm", "docker://10.0.0.1:5000/team/vllm:latest" },
};

struct bad_ref {
	const char *in;
	const char *msg;   /* a substring of the error */
};

static const struct bad_ref bad_refs[] = {
	{ "", "empty image reference" },
	{ "oci:", "'oci:' needs a directory" },
	{ "oci::tag", "'oci:' needs a directory" },
	{ "oci:@" DG, "'oci:' needs a directory" },
	{ "oci:dir@sha256:abc", "'oci:' 'sha256:abc' is not a valid digest" },
	{ "oci-archive:", "'oci-archive:' needs a file" },
	{ "oci-archive:x@sha512:00", "'oci-archive:' 'sha512:00' is not a valid digest" },
	{ "docker-archive:", "'docker-archive:' needs a file" },
	{ "docker-archive::python", "'docker-archive:' needs a file" },
	{ "docker-archive:x.tar:", "empty image reference" },
	{ "docker-archive:x.tar:Python", "repository name must be lowercase" },
	{ "docker-archive:x.tar:python@" DG, "a digest can't name an image" },
	{ "docker-archive:x.tar:@x", "'@x' is not an image index" },
	{ "docker-archive:x.tar:a b", "'docker-archive:' reference 'a b'" },
	{ "rootfs:", "'rootfs:' needs a directory or a tar file" },
	{ "docker://", "'docker://' needs an image name" },
	{ "docker:foo/bar", "'docker:' needs '//'" },
	{ "Python", "repository name must be lowercase" },
	{ "docker://Python", "'docker://Python': repository name must be lowercase" },
	{ "./out", "a local image needs a transport" },
	{ "/tmp/out", "invalid repository name" },
	{ "python:", "invalid tag ''" },
	{ "python:-x", "invalid tag '-x'" },
	{ "python@sha256:abc", "'sha256:abc' is not a valid digest" },
	{ "python@md5:" HEX, "is not a valid digest" },
	{ "a//b", "invalid repository name" },
	{ "a/b_", "invalid repository name" },
	{ "a..b", "invalid repository name" },
	{ "-x", "invalid repository name" },
	{ HEX, "image ID is not a repository name" },
	{ "bad_host:5000/y", "invalid registry host" },
	{ "host:port/x", "invalid registry host" },
	{ "[zz]:5000/x", "invalid registry host" },
	{ "@" DG, "no repository name" },
	{ "a@b@" DG, "is not a valid digest" },
};

static void check_ref_fields(const struct image_ref *r, const struct ref_case *c)
{
	if (r->transport != c->t)
		fail_msg("%s: transport %s, expected %s", c->in, transport_name(r->transport),
			 transport_name(c->t));
	assert_str_or_null(r->path, c->path, "path", c->in);
	assert_str_or_null(r->tag, c->tag, "tag", c->in);
	assert_str_or_null(r->digest, c->digest, "digest", c->in);
	assert_str_or_null(r->name, c->name, "name", c->in);
}

static void t_ref_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good_refs); i++) {
		const struct ref_case *c = &good_refs[i];
		struct qerr err = QERR_INIT;
		struct image_ref r = IMAGE_REF_INIT, again = IMAGE_REF_INIT;
		if (image_ref_parse(c->in, &r, &err) < 0)
			fail_msg("'%s': %s", c->in, err.msg);
		check_ref_fields(&r, c);
		char *s = image_ref_format(&r);
		assert_str_or_null(s, c->formatted ? c->formatted : c->in, "format", c->in);
		/* Round trip: the formatted string reads back the same. */
		assert_ok(image_ref_parse(s, &again, &err), &err);
		check_ref_fields(&again, c);
		free(s);
		image_ref_release(&r);
		image_ref_release(&again);
		image_ref_release(&again);   /* release is idempotent */
	}
}

static void t_ref_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_refs); i++) {
		struct qerr err = QERR_INIT;
		struct image_ref r = IMAGE_REF_INIT;
		if (image_ref_parse(bad_refs[i].in, &r, &err) == 0)
			fail_msg("'%s' parsed, expected an error", bad_refs[i].in);
		assert_contains(err.msg, bad_refs[i].msg);
		/* Nothing half-built survives. */
		assert_null(r.path);
		assert_null(r.tag);
		assert_null(r.digest);
		assert_null(r.name);
		image_ref_release(&r);
	}
}

/* Bounds: tag length, name length, whole reference. */
static void t_ref_limits(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	struct image_ref r = IMAGE_REF_INIT;
	char buf[400];
	memset(buf, 'a', sizeof(buf));
	snprintf(buf, sizeof(buf), "python:%0128d", 7);
	assert_ok(image_ref_parse(buf, &r, &err), &err);
	image_ref_release(&r);
	snprintf(buf, sizeof(buf), "python:%0129d", 7);
	assert_int_equal(image_ref_parse(buf, &r, &err), -1);
	assert_contains(err.msg, "invalid tag");
	/* docker.io/library/ + 237 = 255: the limit is on the normalized name. */
	memset(buf, 'a', 237);
	buf[237] = '\0';
	assert_ok(image_ref_parse(buf, &r, &err), &err);
	assert_int_equal(strlen(r.name), 255);
	image_ref_release(&r);
	memset(buf, 'a', 238);
	buf[238] = '\0';
	assert_int_equal(image_ref_parse(buf, &r, &err), -1);
	assert_contains(err.msg, "longer than 255");
	char *huge = xmalloc(10000);
	memcpy(huge, "oci:", 4);
	memset(huge + 4, 'x', 9995);
	huge[9999] = '\0';
	assert_int_equal(image_ref_parse(huge, &r, &err), -1);
	assert_contains(err.msg, "longer than");
	huge[5000] = '\0';
	assert_int_equal(image_ref_parse(huge, &r, &err), -1);
	assert_contains(err.msg, "'oci:' path is longer");
	free(huge);
	assert_int_equal(image_ref_parse(NULL, &r, &err), -1);
}

static void t_transport_name(void **state)
{
	(void)state;
	assert_string_equal(transport_name(TRANSPORT_OCI), "oci");
	assert_string_equal(transport_name(TRANSPORT_OCI_ARCHIVE), "oci-archive");
	assert_string_equal(transport_name(TRANSPORT_DOCKER_ARCHIVE), "docker-archive");
	assert_string_equal(transport_name(TRANSPORT_ROOTFS), "rootfs");
	assert_string_equal(transport_name(TRANSPORT_REGISTRY), "docker");
	/* Hand-built references format too (write.c builds its own). */
	struct image_ref r = { .transport = TRANSPORT_OCI, .path = "out", .tag = "v1" };
	char *s = image_ref_format(&r);
	assert_string_equal(s, "oci:out:v1");
	free(s);
}

/* ---- platforms ------------------------------------------------------------ */

struct plat_case {
	const char *in, *os, *arch, *variant;
};

static const struct plat_case good_platforms[] = {
	{ "linux/amd64", "linux", "amd64", "" },
	{ "linux/x86_64", "linux", "amd64", "" },
	{ "linux/x86-64", "linux", "amd64", "" },
	{ "Linux/AMD64", "linux", "amd64", "" },
	{ "linux/amd64/v1", "linux", "amd64", "" },
	{ "linux/amd64/v3", "linux", "amd64", "v3" },
	{ "linux/aarch64", "linux", "arm64", "" },
	{ "linux/arm64/v8", "linux", "arm64", "v8" },
	{ "linux/arm64/8", "linux", "arm64", "v8" },
	{ "linux/armhf", "linux", "arm", "v7" },
	{ "linux/armel", "linux", "arm", "v6" },
	{ "linux/arm/7", "linux", "arm", "v7" },
	{ "linux/arm/v6", "linux", "arm", "v6" },
	{ "linux/arm", "linux", "arm", "" },
	{ "linux/i386", "linux", "386", "" },
	{ "linux/i686", "linux", "386", "" },
	{ "linux/ppc64le", "linux", "ppc64le", "" },
	{ "linux/s390x", "linux", "s390x", "" },
	{ "linux/riscv64", "linux", "riscv64", "" },
	{ "windows/amd64", "windows", "amd64", "" },
};

static const char *const bad_platforms[] = {
	"", "linux", "linux/", "/amd64", "linux//v8", "linux/arm/", "linux/arm/v7/x",
	"linux/am d64", "linux/amd64/v1.0", "linuxlinuxlinuxlinuxlinuxlinuxlin/amd64",
};

static void t_platform_parse(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	struct platform p;
	for (size_t i = 0; i < ARRAY_SIZE(good_platforms); i++) {
		const struct plat_case *c = &good_platforms[i];
		if (platform_parse(c->in, &p, &err) < 0)
			fail_msg("%s: %s", c->in, err.msg);
		assert_str_or_null(p.os, c->os, "os", c->in);
		assert_str_or_null(p.arch, c->arch, "arch", c->in);
		assert_str_or_null(p.variant, c->variant, "variant", c->in);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_platforms); i++) {
		if (platform_parse(bad_platforms[i], &p, &err) == 0)
			fail_msg("'%s' parsed, expected an error", bad_platforms[i]);
		assert_contains(err.msg, "platform '");
	}
}

struct match_case {
	const char *want;
	const char *os, *arch, *variant;
	bool match;
};

static const struct match_case matches[] = {
	{ "linux/arm64", "linux", "arm64", NULL, true },
	{ "linux/arm64", "linux", "arm64", "v8", true },
	{ "linux/arm64", "linux", "arm64", "v9", true },   /* empty want: any variant */
	{ "linux/arm64/v8", "linux", "arm64", "", true },
	{ "linux/arm64/v8", "linux", "arm64", NULL, true },
	{ "linux/arm64/v8", "linux", "arm64", "v8", true },
	{ "linux/arm64/v8", "linux", "arm64", "v9", false },
	{ "linux/arm64/v8", "linux", "aarch64", NULL, true },
	{ "linux/arm/v7", "linux", "arm", NULL, true },
	{ "linux/arm/v7", "linux", "arm", "7", true },
	{ "linux/arm/v7", "linux", "arm", "v6", false },
	{ "linux/arm/v6", "linux", "arm", NULL, false },
	{ "linux/armhf", "linux", "arm", "v7", true },
	{ "linux/amd64", "linux", "amd64", NULL, true },
	{ "linux/amd64", "linux", "x86_64", NULL, true },
	{ "linux/amd64", "linux", "amd64", "v2", true },
	{ "linux/amd64", "linux", "arm64", NULL, false },
	{ "linux/amd64", "windows", "amd64", NULL, false },
	{ "linux/amd64", NULL, "amd64", NULL, false },
	{ "linux/amd64", "", "", NULL, false },
	{ "linux/amd64", "linux", NULL, NULL, false },
	{ "linux/amd64/v3", "linux", "amd64", NULL, false },
	{ "linux/amd64/v3", "linux", "amd64", "v3", true },
	{ "linux/amd64", "linux", "amd64-but-very-long-architecture-name", NULL, false },
};

static void t_platform_match(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(matches); i++) {
		const struct match_case *c = &matches[i];
		struct platform want;
		assert_ok(platform_parse(c->want, &want, &err), &err);
		if (platform_match(&want, c->os, c->arch, c->variant) != c->match)
			fail_msg("want %s, entry %s/%s/%s: expected %s", c->want, c->os, c->arch,
				 c->variant, c->match ? "a match" : "no match");
	}
	assert_true(platform_match(NULL, "linux", "amd64", NULL));
	struct platform any = { "", "", "" };
	assert_true(platform_match(&any, "linux", "s390x", NULL));
}

static void t_platform_host(void **state)
{
	(void)state;
	struct platform h;
	platform_host(&h);
	assert_string_equal(h.os, "linux");
#if defined(__x86_64__)
	assert_string_equal(h.arch, "amd64");
	assert_string_equal(h.variant, "");
#elif defined(__aarch64__)
	assert_string_equal(h.arch, "arm64");
	assert_string_equal(h.variant, "v8");
#elif defined(__arm__)
	assert_string_equal(h.arch, "arm");
	assert_true(h.variant[0] == 'v');
#endif
	/* What the host says reads back as itself and matches itself. */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s/%s%s%s", h.os, h.arch, h.variant[0] ? "/" : "", h.variant);
	struct platform p;
	struct qerr err = QERR_INIT;
	assert_ok(platform_parse(buf, &p, &err), &err);
	assert_memory_equal(&p, &h, sizeof(p));
	assert_true(platform_match(&h, h.os, h.arch, h.variant));
}

/* ---- configs -------------------------------------------------------------- */

/* What `docker inspect`-era Docker writes for python:3.12-slim (trimmed). */
static const char docker_config[] =
	"{\"architecture\":\"amd64\","
	"\"config\":{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,"
	"\"Tty\":false,\"Env\":[\"PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin\","
	"\"LANG=C.UTF-8\",\"GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305\","
	"\"PYTHON_VERSION=3.12.4\"],\"Cmd\":[\"python3\"],\"Image\":\"sha256:" HEX "\","
	"\"Volumes\":null,\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,"
	"\"Labels\":null},"
	"\"container\":\"3f5e4c1a\",\"container_config\":{\"Cmd\":[\"/bin/sh\",\"-c\","
	"\"#(nop) \",\"CMD [\\\"python3\\\"]\"]},"
	"\"created\":\"2024-06-27T20:12:03.112354487Z\",\"docker_version\":\"20.10.23\","
	"\"history\":[{\"created\":\"2024-06-13T00:22:49Z\","
	"\"created_by\":\"/bin/sh -c #(nop) ADD file:b24689567a7c604de93e4ef1dc87c372514f692556744da43925c575b4f80df6 in / \"},"
	"{\"created\":\"2024-06-13T00:22:50Z\",\"created_by\":\"/bin/sh -c #(nop)  CMD [\\\"bash\\\"]\","
	"\"empty_layer\":true},"
	"{\"created\":\"2024-06-27T20:12:03Z\",\"created_by\":\"/bin/sh -c #(nop)  CMD [\\\"python3\\\"]\","
	"\"empty_layer\":true}],"
	"\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DG "\"]}}";

/* A BuildKit-made OCI config of an inference server on arm64. */
static const char oci_config[] =
	"{\"created\":\"2024-05-02T11:40:00Z\",\"author\":\"ml-platform@example.com\","
	"\"architecture\":\"arm64\",\"variant\":\"v8\",\"os\":\"linux\","
	"\"config\":{\"User\":\"1000:1000\","
	"\"ExposedPorts\":{\"8000/tcp\":{},\"443/tcp\":{},\"8001/udp\":{}},"
	"\"Env\":[\"PATH=/opt/venv/bin:/usr/local/cuda/bin:/usr/bin:/bin\","
	"\"NVIDIA_VISIBLE_DEVICES=all\",\"CUDA_VERSION=12.4.1\",\"HF_HOME=/models\"],"
	"\"Entrypoint\":[\"/opt/nvidia/nvidia_entrypoint.sh\",\"python3\",\"-m\","
	"\"vllm.entrypoints.openai.api_server\"],\"Cmd\":[],"
	"\"Volumes\":{\"/models\":{},\"/data\":{}},\"WorkingDir\":\"/workspace\","
	"\"Labels\":{\"org.opencontainers.image.source\":\"https://github.com/example/serve\","
	"\"maintainer\":\"NVIDIA CORPORATION <cudatools@nvidia.com>\","
	"\"com.nvidia.cudnn.version\":\"9.1.0.70\",\"empty\":\"\"},"
	"\"StopSignal\":\"SIGTERM\",\"ArgsEscaped\":true},"
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DG "\",\"" DG "\"]},"
	"\"history\":[{\"created\":\"2024-04-01T00:00:00Z\",\"created_by\":\"ADD rootfs.tar.xz / # buildkit\","
	"\"comment\":\"buildkit.dockerfile.v0\"},"
	"{\"created\":\"2024-05-02T11:40:00Z\",\"created_by\":\"ENTRYPOINT [\\\"/opt/nvidia/nvidia_entrypoint.sh\\\"]\","
	"\"comment\":\"buildkit.dockerfile.v0\",\"empty_layer\":true}]}";

static json_t *load(const char *s)
{
	struct qerr err = QERR_INIT;
	json_t *j = json_parse_bounded(s, strlen(s), IMAGE_MAX_JSON, "test", &err);
	if (!j)
		fail_msg("test JSON: %s", err.msg);
	return j;
}

static int parse_str(const char *s, struct image_config *cfg, struct qerr *err)
{
	json_t *j = load(s);
	int rc = image_config_parse(j, cfg, err);
	json_decref(j);
	return rc;
}

static void t_config_docker(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	struct image_config c;
	assert_ok(parse_str(docker_config, &c, &err), &err);
	assert_string_equal(c.arch, "amd64");
	assert_string_equal(c.os, "linux");
	assert_null(c.variant);
	assert_null(c.author);
	assert_string_equal(c.created, "2024-06-27T20:12:03.112354487Z");
	assert_string_equal(c.user, "");
	assert_string_equal(c.workdir, "");
	assert_int_equal(c.env.n, 4);
	assert_string_equal(c.env.v[1], "LANG=C.UTF-8");   /* env keeps its order */
	assert_false(c.has_entrypoint);
	assert_int_equal(c.entrypoint.n, 0);
	assert_true(c.has_cmd);
	assert_int_equal(c.cmd.n, 1);
	assert_string_equal(c.cmd.v[0], "python3");
	assert_int_equal(c.labels.n, 0);
	assert_int_equal(c.volumes.n, 0);
	assert_null(c.stop_signal);
	assert_int_equal(c.n_history, 3);
	assert_false(c.history[0].empty_layer);
	assert_true(c.history[1].empty_layer);
	assert_null(c.history[1].comment);
	assert_contains(c.history[2].created_by, "CMD [\"python3\"]");
	image_config_release(&c);
	image_config_release(&c);
}

static void t_config_oci(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	struct image_config c;
	assert_ok(parse_str(oci_config, &c, &err), &err);
	assert_string_equal(c.arch, "arm64");
	assert_string_equal(c.variant, "v8");
	assert_string_equal(c.author, "ml-platform@example.com");
	assert_string_equal(c.user, "1000:1000");
	assert_string_equal(c.workdir, "/workspace");
	assert_string_equal(c.stop_signal, "SIGTERM");
	assert_true(c.has_entrypoint);
	assert_int_equal(c.entrypoint.n, 4);
	assert_string_equal(c.entrypoint.v[3], "vllm.entrypoints.openai.api_server");
	assert_true(c.has_cmd);   /* [] is not null: it clears the base's CMD */
	assert_int_equal(c.cmd.n, 0);
	assert_int_equal(c.exposed_ports.n, 3);
	assert_string_equal(c.exposed_ports.v[0], "443/tcp");
	assert_string_equal(c.exposed_ports.v[1], "8000/tcp");
	assert_string_equal(c.exposed_ports.v[2], "8001/udp");
	assert_int_equal(c.volumes.n, 2);
	assert_string_equal(c.volumes.v[0], "/data");
	assert_int_equal(c.labels.n, 4);
	assert_string_equal(c.labels.v[0], "com.nvidia.cudnn.version=9.1.0.70");
	assert_string_equal(c.labels.v[1], "empty=");
	assert_string_equal(c.labels.v[2], "maintainer=NVIDIA CORPORATION <cudatools@nvidia.com>");
	assert_int_equal(c.n_history, 2);
	assert_string_equal(c.history[0].comment, "buildkit.dockerfile.v0");
	image_config_release(&c);
}

static void t_config_absent_and_null(void **state)
{
	(void)state;
	static const char *const docs[] = {
		"{}",
		"{\"config\":null,\"history\":null,\"os\":null,\"architecture\":null}",
		"{\"config\":{\"Entrypoint\":null,\"Cmd\":null,\"Env\":null,\"Labels\":null,"
		"\"User\":null,\"ExposedPorts\":null,\"Volumes\":null,\"StopSignal\":null}}",
		"{\"config\":{},\"history\":[],\"rootfs\":\"ignored\",\"unknown\":[1,2]}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		struct qerr err = QERR_INIT;
		struct image_config c;
		if (parse_str(docs[i], &c, &err) < 0)
			fail_msg("%s: %s", docs[i], err.msg);
		assert_null(c.os);
		assert_null(c.arch);
		assert_null(c.user);
		assert_false(c.has_entrypoint);
		assert_false(c.has_cmd);
		assert_int_equal(c.env.n + c.labels.n + c.volumes.n + c.exposed_ports.n, 0);
		assert_int_equal(c.n_history, 0);
		image_config_release(&c);
	}
	struct qerr err = QERR_INIT;
	struct image_config c;
	assert_ok(parse_str("{\"config\":{\"Entrypoint\":[],\"Cmd\":[]}}", &c, &err), &err);
	assert_true(c.has_entrypoint);
	assert_true(c.has_cmd);
	image_config_release(&c);
}

struct bad_config {
	const char *json, *msg;
};

static const struct bad_config bad_configs[] = {
	{ "[]", "not a JSON object" },
	{ "{\"config\":\"x\"}", "config: not an object" },
	{ "{\"config\":{\"Env\":\"PATH=/bin\"}}", "config.Env: not an array of strings" },
	{ "{\"config\":{\"Env\":[\"a\",1]}}", "config.Env: not an array of strings" },
	{ "{\"config\":{\"Env\":[null]}}", "config.Env: not an array of strings" },
	{ "{\"config\":{\"Cmd\":\"python\"}}", "config.Cmd: not an array of strings" },
	{ "{\"config\":{\"Entrypoint\":{}}}", "config.Entrypoint: not an array of strings" },
	{ "{\"config\":{\"User\":0}}", "config.User: not a string" },
	{ "{\"config\":{\"WorkingDir\":[]}}", "config.WorkingDir: not a string" },
	{ "{\"config\":{\"StopSignal\":9}}", "config.StopSignal: not a string" },
	{ "{\"config\":{\"Labels\":[]}}", "config.Labels: not an object" },
	{ "{\"config\":{\"Labels\":{\"a\":1}}}", "config.Labels: value of 'a' is not a string" },
	{ "{\"config\":{\"Labels\":{\"a\":null}}}", "config.Labels: value of 'a'" },
	{ "{\"config\":{\"Labels\":{\"a=b\":\"c\"}}}", "config.Labels: key 'a=b' contains '='" },
	{ "{\"config\":{\"ExposedPorts\":[\"80/tcp\"]}}", "config.ExposedPorts: not an object" },
	{ "{\"config\":{\"ExposedPorts\":{\"80/tcp\":1}}}",
	  "config.ExposedPorts: value of '80/tcp' is not an object" },
	{ "{\"config\":{\"Volumes\":\"/data\"}}", "config.Volumes: not an object" },
	{ "{\"architecture\":5}", "architecture: not a string" },
	{ "{\"os\":[]}", "os: not a string" },
	{ "{\"variant\":8}", "variant: not a string" },
	{ "{\"created\":1}", "created: not a string" },
	{ "{\"author\":{}}", "author: not a string" },
	{ "{\"history\":{}}", "history: not an array" },
	{ "{\"history\":[1]}", "history[0]: not an object" },
	{ "{\"history\":[{},{\"created_by\":3}]}", "history[1].created_by: not a string" },
	{ "{\"history\":[{\"created\":false}]}", "history[0].created: not a string" },
	{ "{\"history\":[{\"comment\":[]}]}", "history[0].comment: not a string" },
	{ "{\"history\":[{\"empty_layer\":\"true\"}]}", "history[0].empty_layer: not a boolean" },
};

static void t_config_type_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_configs); i++) {
		struct qerr err = QERR_INIT;
		struct image_config c;
		if (parse_str(bad_configs[i].json, &c, &err) == 0)
			fail_msg("%s parsed, expected an error", bad_configs[i].json);
		assert_contains(err.msg, bad_configs[i].msg);
		/* A failed parse leaves nothing to free. */
		assert_null(c.os);
		assert_null(c.history);
		assert_null(c.env.v);
		image_config_release(&c);
	}
	assert_int_equal(image_config_parse(NULL, &(struct image_config){ 0 }, NULL), -1);
}

/* n entries of Env, Labels or history, built with jansson. */
static json_t *big_config(const char *what, size_t n)
{
	json_t *c = json_object(), *j = json_pack("{s:o}", "config", c);
	json_t *arr = json_array(), *obj = json_object();
	for (size_t i = 0; i < n; i++) {
		char k[32];
		snprintf(k, sizeof(k), "K%zu=v", i);
		json_array_append_new(arr, !strcmp(what, "history") ? json_object() : json_string(k));
		k[strlen(k) - 2] = '\0';
		json_object_set_new(obj, k, json_string("v"));
	}
	if (!strcmp(what, "history")) {
		json_object_set_new(j, "history", arr);
		json_decref(obj);
	} else if (!strcmp(what, "Labels")) {
		json_object_set_new(c, "Labels", obj);
		json_decref(arr);
	} else {
		json_object_set_new(c, what, arr);
		json_decref(obj);
	}
	return j;
}

static void t_config_bounds(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		size_t max;
		const char *msg;
	} cases[] = {
		{ "Env", 10000, "config.Env: more than 10000 entries" },
		{ "Cmd", 10000, "config.Cmd: more than 10000 entries" },
		{ "Labels", 10000, "config.Labels: more than 10000 entries" },
		{ "history", 4096, "history: more than 4096 entries" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct qerr err = QERR_INIT;
		struct image_config c;
		json_t *j = big_config(cases[i].what, cases[i].max);
		assert_ok(image_config_parse(j, &c, &err), &err);
		image_config_release(&c);
		json_decref(j);
		j = big_config(cases[i].what, cases[i].max + 1);
		assert_int_equal(image_config_parse(j, &c, &err), -1);
		assert_contains(err.msg, cases[i].msg);
		json_decref(j);
	}
}

static void assert_str_eq(const char *a, const char *b, const char *field)
{
	assert_str_or_null(a, b, field, "round trip");
}

static void assert_strvec_eq(const struct strvec *a, const struct strvec *b, const char *field)
{
	if (a->n != b->n)
		fail_msg("round trip: %s has %zu entries, then %zu", field, a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		assert_str_eq(a->v[i], b->v[i], field);
}

static void assert_config_eq(const struct image_config *a, const struct image_config *b)
{
	assert_str_eq(a->os, b->os, "os");
	assert_str_eq(a->arch, b->arch, "arch");
	assert_str_eq(a->variant, b->variant, "variant");
	assert_str_eq(a->user, b->user, "user");
	assert_str_eq(a->workdir, b->workdir, "workdir");
	assert_str_eq(a->created, b->created, "created");
	assert_str_eq(a->author, b->author, "author");
	assert_str_eq(a->stop_signal, b->stop_signal, "stop_signal");
	assert_strvec_eq(&a->entrypoint, &b->entrypoint, "entrypoint");
	assert_strvec_eq(&a->cmd, &b->cmd, "cmd");
	assert_strvec_eq(&a->env, &b->env, "env");
	assert_strvec_eq(&a->labels, &b->labels, "labels");
	assert_strvec_eq(&a->exposed_ports, &b->exposed_ports, "exposed_ports");
	assert_strvec_eq(&a->volumes, &b->volumes, "volumes");
	assert_int_equal(a->has_entrypoint, b->has_entrypoint);
	assert_int_equal(a->has_cmd, b->has_cmd);
	assert_int_equal(a->n_history, b->n_history);
	for (size_t i = 0; i < a->n_history; i++) {
		assert_str_eq(a->history[i].created, b->history[i].created, "history.created");
		assert_str_eq(a->history[i].created_by, b->history[i].created_by,
			      "history.created_by");
		assert_str_eq(a->history[i].comment, b->history[i].comment, "history.comment");
		assert_int_equal(a->history[i].empty_layer, b->history[i].empty_layer);
	}
}

static void round_trip(const char *doc)
{
	struct qerr err = QERR_INIT;
	struct image_config a, b;
	assert_ok(parse_str(doc, &a, &err), &err);
	char ids[2][DIGEST_STR_MAX] = { DG, DG };
	json_t *j = image_config_to_json(&a, ids, 2);
	char *s = json_dump_sorted(j, false);
	json_decref(j);
	assert_ok(parse_str(s, &b, &err), &err);
	assert_config_eq(&a, &b);
	/* And the writer is a fixed point: same fields, same bytes. */
	j = image_config_to_json(&b, ids, 2);
	char *s2 = json_dump_sorted(j, false);
	json_decref(j);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	image_config_release(&a);
	image_config_release(&b);
}

static void t_config_round_trip(void **state)
{
	(void)state;
	round_trip(docker_config);
	round_trip(oci_config);
	round_trip("{}");
	round_trip("{\"config\":{\"Entrypoint\":[],\"Env\":[\"A=1\",\"A=2\"],"
		   "\"Labels\":{\"a.b\":\"=x=\",\"a\":\"\"}}}");
}

/* The exact shape written: only set fields, rootfs from the diff_ids. */
static void t_config_to_json(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	struct image_config c;
	assert_ok(parse_str(docker_config, &c, &err), &err);
	char ids[1][DIGEST_STR_MAX] = { DG };
	json_t *j = image_config_to_json(&c, ids, 1);
	char *s = json_dump_sorted(json_object_get(j, "config"), false);
	assert_string_equal(s, "{\"Cmd\":[\"python3\"],\"Env\":[\"PATH=/usr/local/bin:/usr/local/"
			       "sbin:/usr/sbin:/usr/bin:/sbin:/bin\",\"LANG=C.UTF-8\",\"GPG_KEY="
			       "7169605F62C751356D054A26A821E680E5FA6305\",\"PYTHON_VERSION=3.12.4"
			       "\"],\"User\":\"\",\"WorkingDir\":\"\"}");
	free(s);
	s = json_dump_sorted(json_object_get(j, "rootfs"), false);
	assert_string_equal(s, "{\"diff_ids\":[\"" DG "\"],\"type\":\"layers\"}");
	free(s);
	s = json_dump_sorted(json_array_get(json_object_get(j, "history"), 1), false);
	assert_string_equal(s, "{\"created\":\"2024-06-13T00:22:50Z\",\"created_by\":\"/bin/sh -c "
			       "#(nop)  CMD [\\\"bash\\\"]\",\"empty_layer\":true}");
	free(s);
	assert_null(json_object_get(j, "variant"));
	assert_null(json_object_get(j, "author"));
	json_decref(j);
	image_config_release(&c);

	/* A config made by hand (import options): bare labels, bad UTF-8. */
	struct image_config h = { 0 };
	h.os = xstrdup("linux");
	h.arch = xstrdup("amd64");
	h.user = xstrdup("us\xffr");
	strvec_push(&h.labels, "bare");
	strvec_push(&h.labels, "k\xfe=v");
	strvec_push(&h.exposed_ports, "80/tcp");
	h.has_cmd = true;
	j = image_config_to_json(&h, NULL, 0);
	s = json_dump_sorted(j, false);
	assert_string_equal(s, "{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[],\"ExposedPorts\":"
			       "{\"80/tcp\":{}},\"Labels\":{\"bare\":\"\",\"k\xef\xbf\xbd\":\"v\"},"
			       "\"User\":\"us\xef\xbf\xbdr\"},\"history\":[],\"os\":\"linux\","
			       "\"rootfs\":{\"diff_ids\":[],\"type\":\"layers\"}}");
	free(s);
	json_decref(j);
	image_config_release(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_ref_good),
		cmocka_unit_test(t_ref_bad),
		cmocka_unit_test(t_ref_limits),
		cmocka_unit_test(t_transport_name),
		cmocka_unit_test(t_platform_parse),
		cmocka_unit_test(t_platform_match),
		cmocka_unit_test(t_platform_host),
		cmocka_unit_test(t_config_docker),
		cmocka_unit_test(t_config_oci),
		cmocka_unit_test(t_config_absent_and_null),
		cmocka_unit_test(t_config_type_errors),
		cmocka_unit_test(t_config_bounds),
		cmocka_unit_test(t_config_round_trip),
		cmocka_unit_test(t_config_to_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
