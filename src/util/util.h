/* util — errors, memory, strings, digests, JSON helpers, logging.
 *
 * Depends on nothing else of quench. Everything here is small and used
 * everywhere; read this header once before writing a module.
 *
 * Error contract (docs/errors.md): a function that can fail takes a
 * `struct qerr *err` as its last argument and returns -1 (or NULL) after
 * filling it with q_error(). Callers add context with q_error_wrap() as the
 * error travels up; only cmd/ prints it, once.
 */
#ifndef QUENCH_UTIL_H
#define QUENCH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))

/* ---- errors ------------------------------------------------------------ */

#define QERR_MSG_MAX 1024

struct qerr {
	int errnum;              /* errno of the root cause, or 0 */
	char msg[QERR_MSG_MAX];  /* "layer sha256:ab12…: gzip: unexpected end of stream" */
};
#define QERR_INIT { 0, { 0 } }

/* Fill err with a formatted message; when errnum != 0, ": strerror(errnum)"
 * is appended. Returns -1 so that `return q_error(err, errno, "open '%s'", p);`
 * reads naturally. err may be NULL. */
int q_error(struct qerr *err, int errnum, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Prefix the message already in err with "context: ". Returns -1. */
int q_error_wrap(struct qerr *err, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Broken invariant: print file:line and abort. Never for bad input. */
#define BUG(msg) q_bug(__FILE__, __LINE__, msg)
_Noreturn void q_bug(const char *file, int line, const char *msg);

/* ---- logging ----------------------------------------------------------- */

/* Library code reports warnings and progress through these; cmd/ decides
 * whether and how they are shown (q_log_set_level). */
enum q_log_level { Q_LOG_QUIET = 0, Q_LOG_WARN = 1, Q_LOG_INFO = 2, Q_LOG_DEBUG = 3 };
void q_log_set_level(enum q_log_level level);
enum q_log_level q_log_get_level(void);
void q_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
void q_info(const char *fmt, ...) PRINTF_LIKE(1, 2);
void q_debug(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* ---- memory ------------------------------------------------------------ */

/* Allocation failure aborts: there is no sane recovery in a CLI tool. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (holding *cap elements of size elem) to hold at least need. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elem);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTF_LIKE(1, 0);

static inline void cleanup_freep(void *p) { free(*(void **)p); }
static inline void cleanup_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void cleanup_fclosep(FILE **f) { if (*f) fclose(*f); }
#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))

/* Hand ownership out of a cleanup-managed local. */
static inline void *steal_pointer_(void *pp)
{
	void **p = pp, *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))steal_pointer_(pp))
static inline int steal_fd(int *fd) { int v = *fd; *fd = -1; return v; }

/* ---- strings ----------------------------------------------------------- */

struct strbuf {
	char *buf;   /* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};
#define STRBUF_INIT { NULL, 0, 0 }
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) PRINTF_LIKE(2, 3);
void strbuf_reset(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb);   /* caller frees; never NULL */
static inline const char *strbuf_str(const struct strbuf *sb) { return sb->buf ? sb->buf : ""; }

/* A growable list of owned strings, NULL-terminated (usable as argv). */
struct strvec {
	char **v;
	size_t n;
	size_t cap;
};
#define STRVEC_INIT { NULL, 0, 0 }
void strvec_push(struct strvec *sv, const char *s);
void strvec_take(struct strvec *sv, char *s);
void strvec_clear(struct strvec *sv);
void strvec_sort(struct strvec *sv);
/* For lists of warnings about hostile input, which could otherwise grow by
 * one per line: true while sv has fewer than max; at max, one "further
 * warnings were dropped" is added and the answer is false from then on. */
bool strvec_room(struct strvec *sv, size_t max);

/* A string-keyed hash map to a size_t (an index, a count). Keys are not
 * copied: they must outlive the map. */
struct strmap_slot {
	const char *key;
	size_t value;
};
struct strmap {
	struct strmap_slot *slots;
	size_t cap, n;
};
#define STRMAP_INIT { NULL, 0, 0 }
bool strmap_get(const struct strmap *m, const char *key, size_t *value);
/* Insert or replace; true when the key is new. */
bool strmap_put(struct strmap *m, const char *key, size_t value);
void strmap_release(struct strmap *m);

/* A Python distribution name as PEP 503 compares it: lowercase, runs of
 * "-", "_", "." as one "-". Caller frees. */
char *pep503_name(const char *name);

bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);

/* The length of the well-formed UTF-8 sequence at s (n bytes left; no
 * overlongs, surrogates or code points past U+10FFFF), 0 when there is none. */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/* Milliseconds on the monotonic clock (durations, deadlines). */
int64_t now_ms(void);

/* The value of a hex digit, or -1. */
int hex_value(char c);
/* Are the n bytes at s well-formed UTF-8 without NULs? */
bool utf8_valid(const char *s, size_t n);

/* Strict integer parsing: the whole string, base 10, no sign for unsigned,
 * no leading/trailing space, within [0, max]. "12x", "", "-1" all fail. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
int parse_i64(const char *s, int64_t *out);
/* Sizes for humans: 1536 → "1.5 KiB". buf of at least 16 bytes. */
const char *human_size(uint64_t n, char *buf, size_t len);
/* Ages for humans, rounded down: "just now" (under a minute, or negative),
 * "1 minute ago", "5 hours ago", "3 days ago". buf of at least 32 bytes. */
const char *human_age(int64_t seconds, char *buf, size_t len);

/* ---- digests ----------------------------------------------------------- */

/* "sha256:" + 64 lowercase hex + NUL */
#define DIGEST_STR_MAX 72

struct sha256 {
	void *ctx;   /* EVP_MD_CTX */
};
void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* Writes "sha256:<hex>" into out (DIGEST_STR_MAX bytes) and releases h. */
void sha256_final(struct sha256 *h, char out[DIGEST_STR_MAX]);
void sha256_release(struct sha256 *h);   /* without a result (error paths) */
void sha256_buf(const void *data, size_t len, char out[DIGEST_STR_MAX]);
/* "sha256:" followed by exactly 64 lowercase hex digits. Other algorithms
 * (sha512) are accepted by parse but not computed yet. */
bool digest_valid(const char *d);
/* The hex part of a digest ("sha256:abc" → "abc"). */
const char *digest_hex(const char *d);

/* ---- files ------------------------------------------------------------- */

/* Read a whole file (at most max bytes, else error). Adds a NUL after the
 * data, not counted in *len. */
int read_file_at(int dirfd, const char *path, size_t max, char **data, size_t *len,
		 struct qerr *err);
/* The same for an open fd; name is for messages. */
int read_fd_all(int fd, const char *name, size_t max, char **data, size_t *len, struct qerr *err);
/* Write all of buf, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len, struct qerr *err);
/* pread all of len bytes at off; a short file is an error. */
int pread_all(int fd, void *buf, size_t len, off_t off, struct qerr *err);
/* mkdir -p relative to the process (not for untrusted paths). */
int mkdir_p(const char *path, mode_t mode, struct qerr *err);

/* A temporary output that becomes `final` only on commit: nothing
 * half-written survives a failure (DESIGN: outputs are renamed into place). */
struct atomic_file {
	char *final;
	char *tmp;
	int fd;
};
int atomic_file_open(struct atomic_file *af, const char *final, mode_t mode, struct qerr *err);
int atomic_file_commit(struct atomic_file *af, struct qerr *err);   /* fsync? no: rename */
void atomic_file_abort(struct atomic_file *af);                     /* unlink tmp; idempotent */

/* ---- time ---------------------------------------------------------------- */

/* SOURCE_DATE_EPOCH when set and valid (read by cmd/ and passed down),
 * else fallback. */
int64_t source_date_epoch(int64_t fallback);
/* RFC 3339 UTC "2024-01-02T03:04:05Z" into buf (at least 32 bytes). */
const char *format_rfc3339(int64_t t, char *buf, size_t len);

/* ---- JSON (jansson) ---------------------------------------------------- */

typedef struct json_t json_t;
/* Parse untrusted JSON of at most max bytes; depth is bounded by jansson.
 * `what` names the document in errors. Returns a new reference. */
json_t *json_parse_bounded(const char *data, size_t len, size_t max, const char *what,
			   struct qerr *err);
/* Typed getters on objects; NULL/absent-safe. */
const char *json_get_str(json_t *obj, const char *key);
json_t *json_get_obj(json_t *obj, const char *key);
json_t *json_get_arr(json_t *obj, const char *key);
/* Serialize deterministically (sorted keys, compact or indented). Caller frees. */
char *json_dump_sorted(json_t *j, bool indent);
/* A JSON string of s even when s is not UTF-8 (a path a traced program
 * named, an image name a user typed): each byte that is not part of a
 * well-formed sequence becomes U+FFFD rather than the field vanishing. */
json_t *json_string_lossy(const char *s);

#endif
