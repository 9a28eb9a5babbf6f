/* For unit tests: check a JSON document against an official schema in
 * tests/data/schemas with tests/unit/validate_schema.py (python3-jsonschema),
 * and find an object in an array by a string member. */
#ifndef QUENCH_TEST_SCHEMA_CHECK_H
#define QUENCH_TEST_SCHEMA_CHECK_H

#include "util/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* 0 valid, 1 not, 77 when the validator cannot run here. */
static inline int schema_validate(json_t *j, const char *schema)
{
	const char *root = getenv("QUENCH_SOURCE_ROOT");
	if (!root || system("python3 -c 'import jsonschema' >/dev/null 2>&1") != 0)
		return 77;
	char path[] = "/tmp/quench-test-schema-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	char *text = json_dump_sorted(j, true);
	int wrc = write_all(fd, text, strlen(text), NULL);
	close(fd);
	free(text);
	char *cmd = xasprintf("python3 '%s/tests/unit/validate_schema.py' "
			      "'%s/tests/data/schemas/%s' '%s'", root, root, schema, path);
	int rc = wrc < 0 ? -1 : system(cmd);
	free(cmd);
	unlink(path);
	return rc < 0 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

#define assert_valid(j, schema)                                                      \
	do {                                                                         \
		int rc_ = schema_validate((j), (schema));                            \
		if (rc_ == 77)                                                       \
			print_message("schema check skipped: no python3 jsonschema\n"); \
		else if (rc_ != 0)                                                   \
			fail_msg("%s: not valid (validator said %d)", (schema), rc_); \
	} while (0)

/* The first object of arr whose member key is the string value. */
static inline json_t *json_find(json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const char *s = json_get_str(v, key);
		if (s && !strcmp(s, value))
			return v;
	}
	return NULL;
}

#endif
