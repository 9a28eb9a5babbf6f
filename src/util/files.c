/* Whole-file helpers for trusted paths (our own outputs, cache, temp dirs).
 * Untrusted trees go through fs/, never through these. */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

int read_fd_all(int fd, const char *name, size_t max, char **data, size_t *len, struct qerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_release(&sb);
			return q_error(err, errno, "read '%s'", name);
		}
		if (n == 0)
			break;
		if (sb.len + (size_t)n > max) {
			strbuf_release(&sb);
			return q_error(err, 0, "'%s' is larger than %zu bytes", name, max);
		}
		strbuf_add(&sb, buf, (size_t)n);
	}
	*len = sb.len;
	*data = sb.buf ? strbuf_detach(&sb) : xstrdup("");
	return 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **data, size_t *len,
		 struct qerr *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return q_error(err, errno, "open '%s'", path);
	return read_fd_all(fd, path, max, data, len, err);
}

int write_all(int fd, const void *buf, size_t len, struct qerr *err)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return q_error(err, errno, "write");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int pread_all(int fd, void *buf, size_t len, off_t off, struct qerr *err)
{
	char *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return q_error(err, errno, "read");
		if (n == 0)
			return q_error(err, 0, "unexpected end of file");
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int mkdir_p(const char *path, mode_t mode, struct qerr *err)
{
	cleanup_free char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return q_error(err, errno, "mkdir '%s'", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return q_error(err, errno, "mkdir '%s'", p);
	return 0;
}

int atomic_file_open(struct atomic_file *af, const char *final, mode_t mode, struct qerr *err)
{
	af->final = xstrdup(final);
	af->tmp = xasprintf("%s.tmp-%d", final, (int)getpid());
	af->fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (af->fd < 0) {
		q_error(err, errno, "create '%s'", af->tmp);
		free(af->final);
		free(af->tmp);
		af->final = af->tmp = NULL;
		return -1;
	}
	return 0;
}

int atomic_file_commit(struct atomic_file *af, struct qerr *err)
{
	int fd = af->fd;
	af->fd = -1;
	if (close(fd) < 0) {
		q_error(err, errno, "close '%s'", af->tmp);
		atomic_file_abort(af);
		return -1;
	}
	if (rename(af->tmp, af->final) < 0) {
		q_error(err, errno, "rename '%s' to '%s'", af->tmp, af->final);
		atomic_file_abort(af);
		return -1;
	}
	free(af->tmp);
	free(af->final);
	af->tmp = af->final = NULL;
	return 0;
}

void atomic_file_abort(struct atomic_file *af)
{
	if (af->fd >= 0)
		close(af->fd);
	af->fd = -1;
	if (af->tmp)
		unlink(af->tmp);
	free(af->tmp);
	free(af->final);
	af->tmp = af->final = NULL;
}

int64_t source_date_epoch(int64_t fallback)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	int64_t v;
	if (s && parse_i64(s, &v) == 0 && v >= 0)
		return v;
	return fallback;
}

const char *format_rfc3339(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "1970-01-01T00:00:00Z");
	return buf;
}
