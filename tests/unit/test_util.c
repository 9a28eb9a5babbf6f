/* util: errors, strings, strict integers, digests, atomic files, JSON. */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <cmocka.h>

static void t_error_wrap(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	assert_int_equal(q_error(&err, ENOENT, "open '%s'", "x"), -1);
	assert_string_equal(err.msg, "open 'x': No such file or directory");
	assert_int_equal(err.errnum, ENOENT);
	q_error_wrap(&err, "layer %d", 2);
	assert_string_equal(err.msg, "layer 2: open 'x': No such file or directory");
	/* Long chains truncate, keeping the outermost context. */
	for (int i = 0; i < 200; i++)
		q_error_wrap(&err, "context %d", i);
	assert_true(strlen(err.msg) < QERR_MSG_MAX);
	assert_true(str_starts_with(err.msg, "context 199: "));
	assert_int_equal(q_error(NULL, 0, "ignored"), -1);
}

static void t_strbuf_strvec(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	assert_string_equal(strbuf_str(&sb), "");
	strbuf_adds(&sb, "a");
	strbuf_addc(&sb, 'b');
	strbuf_addf(&sb, "%d%s", 12, "c");
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%0300d", i);
	assert_int_equal(sb.len, 5 + 300000);
	assert_memory_equal(sb.buf, "ab12c", 5);
	char *s = strbuf_detach(&sb);
	assert_null(sb.buf);
	free(s);
	struct strvec sv = STRVEC_INIT;
	strvec_push(&sv, "b");
	strvec_push(&sv, "a");
	strvec_take(&sv, xstrdup("c"));
	strvec_sort(&sv);
	assert_string_equal(sv.v[0], "a");
	assert_string_equal(sv.v[2], "c");
	assert_null(sv.v[3]);
	strvec_clear(&sv);
	assert_int_equal(sv.n, 0);
}

static void t_parse_integers(void **state)
{
	(void)state;
	uint64_t u;
	int64_t i;
	assert_int_equal(parse_u64("0", 10, &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(parse_u64("18446744073709551615", UINT64_MAX, &u), 0);
	assert_true(u == UINT64_MAX);
	const char *bad[] = { "", "12x", "-1", " 1", "1 ", "+1", "18446744073709551616", "0x10" };
	for (size_t k = 0; k < ARRAY_SIZE(bad); k++)
		assert_int_equal(parse_u64(bad[k], UINT64_MAX, &u), -1);
	assert_int_equal(parse_u64("11", 10, &u), -1);
	assert_int_equal(parse_i64("-9223372036854775808", &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(parse_i64("9223372036854775808", &i), -1);
	assert_int_equal(parse_i64("-", &i), -1);
	char buf[32];
	assert_string_equal(human_size(1536, buf, sizeof(buf)), "1.5 KiB");
	assert_string_equal(human_size(12, buf, sizeof(buf)), "12 B");
}

static void t_digest(void **state)
{
	(void)state;
	char d[DIGEST_STR_MAX];
	sha256_buf("", 0, d);
	assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_buf("abc", 3, d);
	assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, "a", 1);
	sha256_update(&h, "bc", 2);
	char d2[DIGEST_STR_MAX];
	sha256_final(&h, d2);
	assert_string_equal(d, d2);
	assert_true(digest_valid(d));
	assert_false(digest_valid("sha256:BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_false(digest_valid("sha256:../../etc/passwd"));
	assert_false(digest_valid("md5:abc"));
	assert_false(digest_valid(NULL));
	assert_string_equal(digest_hex(d), d + 7);
}

static void t_atomic_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/quench-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/out", dir);
	struct qerr err = QERR_INIT;
	struct atomic_file af;
	assert_int_equal(atomic_file_open(&af, path, 0644, &err), 0);
	assert_int_equal(write_all(af.fd, "hello", 5, &err), 0);
	assert_int_equal(access(path, F_OK), -1);   /* not there before commit */
	assert_int_equal(atomic_file_commit(&af, &err), 0);
	char *data;
	size_t len;
	assert_int_equal(read_file_at(AT_FDCWD, path, 100, &data, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(read_file_at(AT_FDCWD, path, 4, &data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "larger than 4 bytes"));
	/* Abort leaves the previous content and no temporary. */
	assert_int_equal(atomic_file_open(&af, path, 0644, &err), 0);
	assert_int_equal(write_all(af.fd, "x", 1, &err), 0);
	atomic_file_abort(&af);
	assert_int_equal(read_file_at(AT_FDCWD, path, 100, &data, &len, &err), 0);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	free(path);
}

static void t_strmap(void **state)
{
	(void)state;
	struct strmap m = STRMAP_INIT;
	struct strvec keys = STRVEC_INIT;
	for (size_t i = 0; i < 5000; i++)
		strvec_take(&keys, xasprintf("key-%zu", i));
	for (size_t i = 0; i < keys.n; i++)
		assert_true(strmap_put(&m, keys.v[i], i));
	assert_false(strmap_put(&m, keys.v[7], 70));   /* replaced, not added */
	assert_int_equal(m.n, 5000);
	size_t v;
	for (size_t i = 0; i < keys.n; i++) {
		assert_true(strmap_get(&m, keys.v[i], &v));
		assert_int_equal(v, i == 7 ? 70 : i);
	}
	assert_false(strmap_get(&m, "key-5000", &v));
	assert_false(strmap_get(&m, "", NULL));
	strmap_release(&m);
	assert_false(strmap_get(&m, "key-1", NULL));
	strvec_clear(&keys);
}

static void t_json(void **state)
{
	(void)state;
	struct qerr err = QERR_INIT;
	json_t *j = json_parse_bounded("{\"b\":1,\"a\":\"x\"}", 15, 100, "doc", &err);
	assert_non_null(j);
	assert_string_equal(json_get_str(j, "a"), "x");
	assert_null(json_get_str(j, "b"));
	assert_null(json_get_obj(j, "a"));
	char *s = json_dump_sorted(j, false);
	assert_string_equal(s, "{\"a\":\"x\",\"b\":1}");
	free(s);
	json_decref(j);
	assert_null(json_parse_bounded("{\"a\":1,\"a\":2}", 13, 100, "doc", &err));
	assert_non_null(strstr(err.msg, "doc: invalid JSON"));
	assert_null(json_parse_bounded("{}", 2, 1, "tiny", &err));
	assert_non_null(strstr(err.msg, "over the limit"));
	/* Deep nesting is refused, not a stack overflow. */
	size_t n = 100000;
	char *deep = xmalloc(n);
	memset(deep, '[', n);
	assert_null(json_parse_bounded(deep, n, n, "deep", &err));
	free(deep);
}

static void t_time(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(format_rfc3339(0, buf, sizeof(buf)), "1970-01-01T00:00:00Z");
	assert_string_equal(format_rfc3339(1700000000, buf, sizeof(buf)), "2023-11-14T22:13:20Z");
	setenv("SOURCE_DATE_EPOCH", "1234", 1);
	assert_int_equal(source_date_epoch(7), 1234);
	setenv("SOURCE_DATE_EPOCH", "12x", 1);
	assert_int_equal(source_date_epoch(7), 7);
	unsetenv("SOURCE_DATE_EPOCH");
	assert_int_equal(source_date_epoch(7), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_error_wrap),    cmocka_unit_test(t_strbuf_strvec),
		cmocka_unit_test(t_parse_integers), cmocka_unit_test(t_digest),
		cmocka_unit_test(t_atomic_file),   cmocka_unit_test(t_json),
		cmocka_unit_test(t_strmap),
		cmocka_unit_test(t_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
