/* The hardened image's user: nonroot (65532:65532, as distroless images
 * have it) added to the staged /etc/passwd and /etc/group when absent. */
#include "harden/harden_internal.h"
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ETC_MAX (16u << 20)

/* Append line to stage's etc/NAME unless an entry with that id is there. */
static int add_entry(int stage_fd, const char *name, const char *id_field, const char *line,
		     struct qerr *err)
{
	cleanup_free char *path = xasprintf("etc/%s", name);
	cleanup_free char *data = NULL;
	size_t len = 0;
	int fd = fs_open_in_root(stage_fd, path, O_RDONLY | O_CLOEXEC, 0, NULL);
	if (fd >= 0) {
		int rc = read_fd_all(fd, path, ETC_MAX, &data, &len, err);
		close(fd);
		if (rc < 0)
			return -1;
		if (strstr(data, id_field))
			return 0;
	}
	struct strbuf sb = STRBUF_INIT;
	if (len)
		strbuf_add(&sb, data, len);
	if (len && data[len - 1] != '\n')
		strbuf_adds(&sb, "\n");
	strbuf_adds(&sb, line);
	int rc = harden_rewrite_staged(stage_fd, path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return rc;
}

int harden_add_user(const char *stage, uid_t uid, gid_t gid, struct qerr *err)
{
	if (uid != HARDEN_NONROOT_UID)
		return 0;   /* root, or a user the image names itself */
	cleanup_close int stage_fd = open(stage, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (stage_fd < 0)
		return q_error(err, errno, "open '%s'", stage);
	char pw[128], gr[64], pid[32], gid_s[32];
	snprintf(pw, sizeof(pw), "nonroot:x:%u:%u:nonroot:/home/nonroot:/sbin/nologin\n",
		 (unsigned)uid, (unsigned)gid);
	snprintf(gr, sizeof(gr), "nonroot:x:%u:\n", (unsigned)gid);
	snprintf(pid, sizeof(pid), ":x:%u:", (unsigned)uid);
	snprintf(gid_s, sizeof(gid_s), ":x:%u:", (unsigned)gid);
	if (add_entry(stage_fd, "passwd", pid, pw, err) < 0 ||
	    add_entry(stage_fd, "group", gid_s, gr, err) < 0)
		return -1;
	return 0;
}
