/* jansson helpers: bounded parsing of untrusted documents, deterministic output. */
#include "util.h"

#include <jansson.h>

json_t *json_parse_bounded(const char *data, size_t len, size_t max, const char *what,
			   struct qerr *err)
{
	if (len > max) {
		q_error(err, 0, "%s: %zu bytes is over the limit of %zu", what, len, max);
		return NULL;
	}
	json_error_t je;
	/* jansson bounds nesting depth itself (JSON_PARSER_MAX_DEPTH). */
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		q_error(err, 0, "%s: invalid JSON at line %d column %d: %s", what, je.line,
			je.column, je.text);
		return NULL;
	}
	return j;
}

const char *json_get_str(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *json_get_obj(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_object(v) ? v : NULL;
}

json_t *json_get_arr(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_array(v) ? v : NULL;
}

char *json_dump_sorted(json_t *j, bool indent)
{
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_ENCODE_ANY |
				     (indent ? JSON_INDENT(2) : JSON_COMPACT));
	if (!s)
		BUG("json_dumps failed");
	return s;
}

json_t *json_string_lossy(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t left = strlen(s), n; left; p += n, left -= n) {
		n = utf8_seq_len(p, left);
		if (n)
			strbuf_add(&sb, p, n);
		else
			strbuf_adds(&sb, "\xef\xbf\xbd");
		n = n ? n : 1;
	}
	j = json_string(strbuf_str(&sb));
	strbuf_release(&sb);
	return j;
}
