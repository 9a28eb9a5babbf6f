/* Errors and logging: the one place below cmd/ that writes to stderr is the
 * warning channel, whose level cmd/ sets. */
#include "util.h"

#include <errno.h>

static enum q_log_level log_level = Q_LOG_WARN;

int q_error(struct qerr *err, int errnum, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		err->msg[0] = '\0';
	err->errnum = errnum;
	if (errnum) {
		size_t used = strlen(err->msg);
		snprintf(err->msg + used, sizeof(err->msg) - used, ": %s", strerror(errnum));
	}
	return -1;
}

int q_error_wrap(struct qerr *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char prefix[QERR_MSG_MAX];
	char old[QERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* Truncation keeps the start of the chain, which names the subject. */
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s: %s", prefix, old);
	size_t n = sb.len < sizeof(err->msg) - 1 ? sb.len : sizeof(err->msg) - 1;
	memcpy(err->msg, sb.buf, n);
	err->msg[n] = '\0';
	strbuf_release(&sb);
	return -1;
}

_Noreturn void q_bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "quench: BUG at %s:%d: %s\n", file, line, msg);
	abort();
}

void q_log_set_level(enum q_log_level level) { log_level = level; }
enum q_log_level q_log_get_level(void) { return log_level; }

PRINTF_LIKE(3, 0)
static void vlog(enum q_log_level level, const char *tag, const char *fmt, va_list ap)
{
	if (log_level < level)
		return;
	char line[2048];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "quench: %s%s\n", tag, line);
}

void q_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(Q_LOG_WARN, "warning: ", fmt, ap);
	va_end(ap);
}

void q_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(Q_LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void q_debug(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(Q_LOG_DEBUG, "debug: ", fmt, ap);
	va_end(ap);
}
