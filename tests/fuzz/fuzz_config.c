/* Fuzz the image config model and image references.
 *
 * Config: whatever parses must write out (image_config_to_json) and parse
 * back to the same fields, and writing that again gives the same bytes.
 * Reference: the same input, as a string; whatever parses must format and
 * parse back to the same fields. Any mismatch aborts. */
#include "image/image.h"

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool strvec_eq(const struct strvec *a, const struct strvec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

static bool history_eq(const struct image_config *a, const struct image_config *b)
{
	if (a->n_history != b->n_history)
		return false;
	for (size_t i = 0; i < a->n_history; i++) {
		const struct history_entry *x = &a->history[i], *y = &b->history[i];
		if (!str_eq(x->created, y->created) || !str_eq(x->created_by, y->created_by) ||
		    !str_eq(x->comment, y->comment) || x->empty_layer != y->empty_layer)
			return false;
	}
	return true;
}

static bool config_eq(const struct image_config *a, const struct image_config *b)
{
	return str_eq(a->os, b->os) && str_eq(a->arch, b->arch) &&
	       str_eq(a->variant, b->variant) && str_eq(a->user, b->user) &&
	       str_eq(a->workdir, b->workdir) && str_eq(a->created, b->created) &&
	       str_eq(a->author, b->author) && str_eq(a->stop_signal, b->stop_signal) &&
	       strvec_eq(&a->entrypoint, &b->entrypoint) && strvec_eq(&a->cmd, &b->cmd) &&
	       strvec_eq(&a->env, &b->env) && strvec_eq(&a->labels, &b->labels) &&
	       strvec_eq(&a->exposed_ports, &b->exposed_ports) &&
	       strvec_eq(&a->volumes, &b->volumes) && a->has_entrypoint == b->has_entrypoint &&
	       a->has_cmd == b->has_cmd && history_eq(a, b);
}

static char *write_config(const struct image_config *c)
{
	static char ids[1][DIGEST_STR_MAX] = {
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	};
	json_t *j = image_config_to_json(c, ids, 1);
	char *s = json_dump_sorted(j, false);
	json_decref(j);
	return s;
}

static void fuzz_config(const uint8_t *data, size_t size)
{
	struct qerr err = QERR_INIT;
	json_t *j = json_parse_bounded((const char *)data, size, IMAGE_MAX_JSON, "config", &err);
	if (!j)
		return;
	struct image_config a, b;
	int rc = image_config_parse(j, &a, &err);
	json_decref(j);
	if (rc < 0)
		return;
	char *s = write_config(&a);
	/* Escaping can make the output longer than the input's limit. */
	json_t *j2 = json_parse_bounded(s, strlen(s), SIZE_MAX, "written config", &err);
	if (!j2 || image_config_parse(j2, &b, &err) < 0) {
		fprintf(stderr, "written config does not parse: %s\n%s\n", err.msg, s);
		abort();
	}
	json_decref(j2);
	if (!config_eq(&a, &b)) {
		fprintf(stderr, "config changed in a round trip:\n%s\n", s);
		abort();
	}
	char *s2 = write_config(&b);
	if (strcmp(s, s2)) {
		fprintf(stderr, "config written twice differs:\n%s\n%s\n", s, s2);
		abort();
	}
	free(s);
	free(s2);
	image_config_release(&a);
	image_config_release(&b);
}

static bool ref_eq(const struct image_ref *a, const struct image_ref *b)
{
	return a->transport == b->transport && str_eq(a->path, b->path) &&
	       str_eq(a->tag, b->tag) && str_eq(a->digest, b->digest) && str_eq(a->name, b->name);
}

static void fuzz_ref(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return;
	char *s = xstrndup((const char *)data, size);
	struct qerr err = QERR_INIT;
	struct image_ref a, b;
	if (image_ref_parse(s, &a, &err) < 0) {
		free(s);
		return;
	}
	char *f = image_ref_format(&a);
	if (image_ref_parse(f, &b, &err) < 0) {
		fprintf(stderr, "'%s' formats as '%s', which fails: %s\n", s, f, err.msg);
		abort();
	}
	char *f2 = image_ref_format(&b);
	if (!ref_eq(&a, &b) || strcmp(f, f2)) {
		fprintf(stderr, "'%s' formats as '%s', which reads back as '%s'\n", s, f, f2);
		abort();
	}
	free(s);
	free(f);
	free(f2);
	image_ref_release(&a);
	image_ref_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_config(data, size);
	fuzz_ref(data, size);
	return 0;
}
