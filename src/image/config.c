/* The image config (OCI image config, Docker's container image JSON): the
 * part of it that hardening reads and rewrites.
 *
 * Configs come from untrusted images, so parsing is strict on types (a
 * string where a list belongs is an error naming the field, never a guess)
 * and bounded in size, but tolerant of absent and null fields, which real
 * images are full of. Writing is deterministic: only fields that are set,
 * lists sorted where order means nothing. */
#include "image/image.h"

#define CONFIG_MAX_ITEMS 10000     /* env entries, labels, ports, volumes, argv */
#define CONFIG_MAX_HISTORY 4096

/* ---- parsing ------------------------------------------------------------- */

/* obj[key]: NULL when absent or null, so that both read as "not set". */
static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

static int get_string(json_t *obj, const char *key, const char *what, char **out,
		      struct qerr *err)
{
	json_t *v = member(obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v))
		return q_error(err, 0, "%s: not a string", what);
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* An array of strings into sv; *present says it was there (even empty). */
static int get_strings(json_t *obj, const char *key, const char *what, struct strvec *sv,
		       bool *present, struct qerr *err)
{
	json_t *v = member(obj, key);
	if (present)
		*present = v != NULL;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return q_error(err, 0, "%s: not an array of strings", what);
	if (json_array_size(v) > CONFIG_MAX_ITEMS)
		return q_error(err, 0, "%s: more than %d entries", what, CONFIG_MAX_ITEMS);
	size_t i;
	json_t *s;
	json_array_foreach(v, i, s) {
		if (!json_is_string(s))
			return q_error(err, 0, "%s: not an array of strings (entry %zu)", what, i);
		strvec_push(sv, json_string_value(s));
	}
	return 0;
}

/* A JSON object used as a set ({"80/tcp": {}}): its keys, sorted. */
static int get_key_set(json_t *obj, const char *key, const char *what, struct strvec *sv,
		       struct qerr *err)
{
	json_t *v = member(obj, key);
	if (!v)
		return 0;
	if (!json_is_object(v))
		return q_error(err, 0, "%s: not an object", what);
	if (json_object_size(v) > CONFIG_MAX_ITEMS)
		return q_error(err, 0, "%s: more than %d entries", what, CONFIG_MAX_ITEMS);
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x) {
		if (!json_is_object(x) && !json_is_null(x))
			return q_error(err, 0, "%s: value of '%s' is not an object", what, k);
		strvec_push(sv, k);
	}
	strvec_sort(sv);
	return 0;
}

/* Labels as "key=value", sorted. A key holding '=' could not be told
 * apart from its value afterwards, so it is refused. */
static int get_labels(json_t *obj, struct strvec *sv, struct qerr *err)
{
	json_t *v = member(obj, "Labels");
	if (!v)
		return 0;
	if (!json_is_object(v))
		return q_error(err, 0, "config.Labels: not an object");
	if (json_object_size(v) > CONFIG_MAX_ITEMS)
		return q_error(err, 0, "config.Labels: more than %d entries", CONFIG_MAX_ITEMS);
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x) {
		if (!json_is_string(x))
			return q_error(err, 0, "config.Labels: value of '%s' is not a string", k);
		if (strchr(k, '='))
			return q_error(err, 0, "config.Labels: key '%s' contains '='", k);
		strvec_take(sv, xasprintf("%s=%s", k, json_string_value(x)));
	}
	strvec_sort(sv);
	return 0;
}

/* The "config" member: how to run the image. */
static int parse_run_config(json_t *c, struct image_config *cfg, struct qerr *err)
{
	if (!json_is_object(c))
		return q_error(err, 0, "config: not an object");
	if (get_string(c, "User", "config.User", &cfg->user, err) < 0 ||
	    get_string(c, "WorkingDir", "config.WorkingDir", &cfg->workdir, err) < 0 ||
	    get_string(c, "StopSignal", "config.StopSignal", &cfg->stop_signal, err) < 0 ||
	    get_strings(c, "Env", "config.Env", &cfg->env, NULL, err) < 0 ||
	    get_strings(c, "Entrypoint", "config.Entrypoint", &cfg->entrypoint,
			&cfg->has_entrypoint, err) < 0 ||
	    get_strings(c, "Cmd", "config.Cmd", &cfg->cmd, &cfg->has_cmd, err) < 0 ||
	    get_labels(c, &cfg->labels, err) < 0 ||
	    get_key_set(c, "ExposedPorts", "config.ExposedPorts", &cfg->exposed_ports, err) < 0 ||
	    get_key_set(c, "Volumes", "config.Volumes", &cfg->volumes, err) < 0)
		return -1;
	return 0;
}

static int parse_history_entry(json_t *h, size_t i, struct history_entry *e, struct qerr *err)
{
	char what[64];
	if (!json_is_object(h))
		return q_error(err, 0, "history[%zu]: not an object", i);
	snprintf(what, sizeof(what), "history[%zu].created", i);
	if (get_string(h, "created", what, &e->created, err) < 0)
		return -1;
	snprintf(what, sizeof(what), "history[%zu].created_by", i);
	if (get_string(h, "created_by", what, &e->created_by, err) < 0)
		return -1;
	snprintf(what, sizeof(what), "history[%zu].comment", i);
	if (get_string(h, "comment", what, &e->comment, err) < 0)
		return -1;
	json_t *empty = member(h, "empty_layer");
	if (empty && !json_is_boolean(empty))
		return q_error(err, 0, "history[%zu].empty_layer: not a boolean", i);
	e->empty_layer = json_is_true(empty);
	return 0;
}

static int parse_history(json_t *j, struct image_config *cfg, struct qerr *err)
{
	json_t *h = member(j, "history");
	if (!h)
		return 0;
	if (!json_is_array(h))
		return q_error(err, 0, "history: not an array");
	size_t n = json_array_size(h);
	if (n > CONFIG_MAX_HISTORY)
		return q_error(err, 0, "history: more than %d entries", CONFIG_MAX_HISTORY);
	cfg->history = xcalloc(n ? n : 1, sizeof(*cfg->history));
	for (size_t i = 0; i < n; i++) {
		/* Counted before filling, so that release frees a partial entry. */
		cfg->n_history = i + 1;
		if (parse_history_entry(json_array_get(h, i), i, &cfg->history[i], err) < 0)
			return -1;
	}
	return 0;
}

int image_config_parse(json_t *j, struct image_config *cfg, struct qerr *err)
{
	memset(cfg, 0, sizeof(*cfg));
	if (!json_is_object(j))
		return q_error(err, 0, "not a JSON object");
	json_t *c = member(j, "config");
	if (get_string(j, "architecture", "architecture", &cfg->arch, err) < 0 ||
	    get_string(j, "os", "os", &cfg->os, err) < 0 ||
	    get_string(j, "variant", "variant", &cfg->variant, err) < 0 ||
	    get_string(j, "created", "created", &cfg->created, err) < 0 ||
	    get_string(j, "author", "author", &cfg->author, err) < 0 ||
	    (c && parse_run_config(c, cfg, err) < 0) || parse_history(j, cfg, err) < 0) {
		image_config_release(cfg);
		return -1;
	}
	return 0;
}

void image_config_release(struct image_config *c)
{
	free(c->os);
	free(c->arch);
	free(c->variant);
	free(c->user);
	free(c->workdir);
	free(c->created);
	free(c->author);
	free(c->stop_signal);
	strvec_clear(&c->entrypoint);
	strvec_clear(&c->cmd);
	strvec_clear(&c->env);
	strvec_clear(&c->labels);
	strvec_clear(&c->exposed_ports);
	strvec_clear(&c->volumes);
	for (size_t i = 0; i < c->n_history; i++) {
		free(c->history[i].created);
		free(c->history[i].created_by);
		free(c->history[i].comment);
	}
	free(c->history);
	memset(c, 0, sizeof(*c));
}

/* ---- writing ------------------------------------------------------------- */

/* A JSON string of s. What we parsed is valid UTF-8 already; values given
 * by hand (import options) may not be, and jansson refuses those: each bad
 * byte becomes U+FFFD rather than the field silently vanishing. */
static char *utf8_clean(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	while (*p) {
		size_t n = utf8_seq_len(p, left);
		if (n)
			strbuf_add(&sb, p, n);
		else
			strbuf_adds(&sb, "\xef\xbf\xbd");
		p += n ? n : 1;
		left -= n ? n : 1;
	}
	return strbuf_detach(&sb);
}

static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	if (!j) {
		cleanup_free char *clean = utf8_clean(s);
		j = json_string(clean);
	}
	if (!j)
		BUG("json_string of cleaned UTF-8 failed");
	return j;
}

/* jansson refuses a key that isn't UTF-8 (and drops the value with it). */
static void set_key(json_t *obj, const char *key, json_t *v)
{
	cleanup_free char *clean = utf8_valid(key, strlen(key)) ? NULL : utf8_clean(key);
	if (json_object_set_new(obj, clean ? clean : key, v) < 0)
		BUG("json_object_set_new with a UTF-8 key failed");
}

static void set_str(json_t *obj, const char *key, const char *v)
{
	if (v)
		json_object_set_new(obj, key, jstr(v));
}

static json_t *str_array(const struct strvec *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, jstr(sv->v[i]));
	return a;
}

static json_t *key_set(const struct strvec *sv)
{
	json_t *o = json_object();
	for (size_t i = 0; i < sv->n; i++)
		set_key(o, sv->v[i], json_object());
	return o;
}

/* "key=value" (a bare "key" has an empty value) into an object. */
static json_t *labels_object(const struct strvec *sv)
{
	json_t *o = json_object();
	for (size_t i = 0; i < sv->n; i++) {
		const char *eq = strchr(sv->v[i], '=');
		cleanup_free char *k = eq ? xstrndup(sv->v[i], (size_t)(eq - sv->v[i]))
					  : xstrdup(sv->v[i]);
		set_key(o, k, jstr(eq ? eq + 1 : ""));
	}
	return o;
}

static json_t *run_config_json(const struct image_config *cfg)
{
	json_t *c = json_object();
	set_str(c, "User", cfg->user);
	set_str(c, "WorkingDir", cfg->workdir);
	set_str(c, "StopSignal", cfg->stop_signal);
	if (cfg->env.n)
		json_object_set_new(c, "Env", str_array(&cfg->env));
	if (cfg->has_entrypoint || cfg->entrypoint.n)
		json_object_set_new(c, "Entrypoint", str_array(&cfg->entrypoint));
	if (cfg->has_cmd || cfg->cmd.n)
		json_object_set_new(c, "Cmd", str_array(&cfg->cmd));
	if (cfg->labels.n)
		json_object_set_new(c, "Labels", labels_object(&cfg->labels));
	if (cfg->exposed_ports.n)
		json_object_set_new(c, "ExposedPorts", key_set(&cfg->exposed_ports));
	if (cfg->volumes.n)
		json_object_set_new(c, "Volumes", key_set(&cfg->volumes));
	return c;
}

static json_t *history_json(const struct image_config *cfg)
{
	json_t *a = json_array();
	for (size_t i = 0; i < cfg->n_history; i++) {
		const struct history_entry *e = &cfg->history[i];
		json_t *h = json_object();
		set_str(h, "created", e->created);
		set_str(h, "created_by", e->created_by);
		set_str(h, "comment", e->comment);
		if (e->empty_layer)
			json_object_set_new(h, "empty_layer", json_true());
		json_array_append_new(a, h);
	}
	return a;
}

/* Absent os/architecture stay absent (a config given without them is
 * written back as it came); import fills them from the platform. */
json_t *image_config_to_json(const struct image_config *cfg, char (*diff_ids)[DIGEST_STR_MAX],
			     size_t n)
{
	json_t *j = json_object();
	set_str(j, "architecture", cfg->arch);
	set_str(j, "os", cfg->os);
	set_str(j, "variant", cfg->variant);
	set_str(j, "created", cfg->created);
	set_str(j, "author", cfg->author);
	json_object_set_new(j, "config", run_config_json(cfg));
	json_t *ids = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ids, jstr(diff_ids[i]));
	json_object_set_new(j, "rootfs", json_pack("{s:s, s:o}", "type", "layers", "diff_ids", ids));
	json_object_set_new(j, "history", history_json(cfg));
	return j;
}
