/* HTTP probes: requests sent to a workload once its port accepts, their
 * status codes recorded (for a model server, what "it works" means). Runs
 * in a process that joined the sandbox's network namespace (quench's
 * internal verb __probe-http), so 127.0.0.1 is the sandbox's loopback.
 *
 * Requests (--probe-http-file): a JSON array of
 *   { "method": "POST", "url": "http://127.0.0.1:8000/v1/completions",
 *     "headers": { "Content-Type": "application/json" }, "body": "…",
 *     "compareBody": true }
 * ("method" GET and no headers or body when absent). With compareBody the
 * response body's digest is recorded too, so that validation holds a
 * hardened model server to the same answers, not only the same codes. */
#include "trace/trace.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_FILE_MAX (16u << 20)
#define PROBE_BODY_MAX (64u << 20)

struct response {
	size_t total;
	struct sha256 h;
	bool hash;
};

static size_t take(char *p, size_t size, size_t n, void *ctx)
{
	struct response *r = ctx;
	r->total += size * n;
	if (r->total > PROBE_BODY_MAX)
		return 0;
	if (r->hash)
		sha256_update(&r->h, p, size * n);
	return size * n;
}

static struct curl_slist *headers_of(json_t *req)
{
	struct curl_slist *h = NULL;
	const char *k;
	json_t *v;
	json_object_foreach(json_get_obj(req, "headers"), k, v) {
		if (!json_is_string(v) || strpbrk(k, "\r\n:") || strpbrk(json_string_value(v), "\r\n"))
			continue;
		cleanup_free char *line = xasprintf("%s: %s", k, json_string_value(v));
		h = curl_slist_append(h, line);
	}
	return h;
}

/* One attempt: 0 with *status (and, when asked, the body's digest), or
 * the curl error. */
static CURLcode attempt(json_t *req, long *status, char digest[DIGEST_STR_MAX])
{
	CURL *c = curl_easy_init();
	if (!c)
		return CURLE_FAILED_INIT;
	const char *method = json_get_str(req, "method") ? json_get_str(req, "method") : "GET";
	const char *body = json_get_str(req, "body");
	struct curl_slist *h = headers_of(req);
	struct response resp = { .hash = json_is_true(json_object_get(req, "compareBody")) };
	if (resp.hash)
		sha256_init(&resp.h);
	curl_easy_setopt(c, CURLOPT_URL, json_get_str(req, "url"));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOBODY, (long)!strcmp(method, "HEAD"));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "quench-probe/" QUENCH_VERSION);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (resp.hash && rc == CURLE_OK)
		sha256_final(&resp.h, digest);
	else if (resp.hash)
		sha256_release(&resp.h);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}

/* Until the port accepts (or the deadline), then once. */
static int send_one(json_t *req, time_t deadline, FILE *report)
{
	const char *method = json_get_str(req, "method") ? json_get_str(req, "method") : "GET";
	const char *url = json_get_str(req, "url");
	long status = 0;
	char digest[DIGEST_STR_MAX] = "";
	CURLcode rc;
	while ((rc = attempt(req, &status, digest)) == CURLE_COULDNT_CONNECT &&
	       time(NULL) < deadline)
		usleep(200 * 1000);
	if (rc != CURLE_OK) {
		fprintf(report, "http: %s %s: %s\n", method, url, curl_easy_strerror(rc));
		return -1;
	}
	fprintf(report, "http: %s %s -> %ld%s%s\n", method, url, status, *digest ? ", body " : "",
		digest);
	return 0;
}

int probe_http_load(const char *path, json_t **out, struct qerr *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	if (read_file_at(AT_FDCWD, path, PROBE_FILE_MAX, &data, &len, err) < 0)
		return q_error_wrap(err, "probe file '%s'", path);
	json_t *j = json_parse_bounded(data, len, PROBE_FILE_MAX, path, err);
	if (!j)
		return q_error_wrap(err, "probe file");
	size_t i;
	json_t *r;
	bool ok = json_is_array(j);
	json_array_foreach(ok ? j : NULL, i, r) {
		const char *url = json_get_str(r, "url");
		const char *m = json_get_str(r, "method");
		json_t *cmp = json_object_get(r, "compareBody");
		if (!url || !(str_starts_with(url, "http://") || str_starts_with(url, "https://")) ||
		    (m && (!*m || strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(m))) ||
		    (cmp && !json_is_boolean(cmp))) {
			json_decref(j);
			return q_error(err, 0, "probe file '%s': request %zu: no http(s) \"url\", a "
					       "\"method\" that is not an upper-case word, or a "
					       "\"compareBody\" that is not true or false", path, i);
		}
	}
	if (!ok) {
		json_decref(j);
		return q_error(err, 0, "probe file '%s': not a JSON array of requests", path);
	}
	*out = j;
	return 0;
}

int probe_http_run(json_t *requests, unsigned wait_s, FILE *report)
{
	time_t deadline = time(NULL) + wait_s;
	int rc = 0;
	size_t i;
	json_t *r;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	json_array_foreach(requests, i, r)
		if (send_one(r, deadline, report) < 0)
			rc = -1;
	fflush(report);
	curl_global_cleanup();
	return rc;
}
