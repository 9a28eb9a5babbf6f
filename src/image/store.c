/* Blob stores: an OCI layout directory, or a tar archive (oci-archive,
 * docker-archive) indexed once so that blobs are read in place with pread —
 * a 10 GB archive is never copied, only its headers are read. */
#include "image_internal.h"
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#define ARCHIVE_MAX_MEMBERS 100000
#define ARCHIVE_MAX_LINK_HOPS 16

struct fd_source {
	int fd;
	uint64_t pos;
};

static ssize_t fd_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	struct fd_source *s = ctx;
	for (;;) {
		ssize_t n = pread(s->fd, buf, len, (off_t)s->pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return q_error(err, errno, "read");
		s->pos += (uint64_t)n;
		return n;
	}
}

/* Skipping is only moving our position: the next pread tells whether the
 * file was long enough. */
static int fd_skip(void *ctx, uint64_t n, struct qerr *err)
{
	struct fd_source *s = ctx;
	struct stat st;
	if (fstat(s->fd, &st) < 0)
		return q_error(err, errno, "stat");
	if (s->pos + n > (uint64_t)st.st_size || s->pos + n < s->pos)
		return q_error(err, 0, "unexpected end of stream");
	s->pos += n;
	return 0;
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct archive_member *)a)->name,
		      ((const struct archive_member *)b)->name);
}

/* By name, then archive order (the data offset grows with it), so that
 * dedup_members can keep the last of equal names. */
static int cmp_member_order(const void *a, const void *b)
{
	const struct archive_member *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* A symlink member's target, made archive-relative and cleaned. */
static char *member_link_target(const char *name, const char *target, struct qerr *err)
{
	cleanup_free char *joined = NULL;
	if (target[0] == '/') {
		joined = xstrdup(target);
	} else {
		const char *slash = strrchr(name, '/');
		joined = slash ? xasprintf("%.*s/%s", (int)(slash - name), name, target)
			       : xstrdup(target);
	}
	/* `docker save` links layers as "../DIGEST/layer.tar"; climbing above
	 * the archive's top is an error. */
	cleanup_free char *resolved = fs_resolve_dots(joined, false, err);
	if (!resolved)
		return NULL;
	return fs_clean_path(resolved, err);
}

static void add_member(struct blob_store *s, size_t *cap, const struct tar_entry *e,
		       char *name, uint64_t offset, char *link)
{
	(void)e;
	s->members = xgrow(s->members, cap, s->n_members + 1, sizeof(*s->members));
	struct archive_member *m = &s->members[s->n_members++];
	m->name = name;
	m->offset = offset;
	m->size = e->size;
	m->link = link;
}

static int index_one(struct blob_store *s, size_t *cap, struct tar_reader *tr,
		     const struct tar_entry *e, struct qerr *err)
{
	if (e->type != TAR_REG && e->type != TAR_SYMLINK)
		return 0;
	if (e->n_sparse)
		return q_error(err, 0, "member '%s': sparse members are not supported", e->path);
	char *name = fs_clean_path(e->path, err);
	if (!name)
		return q_error_wrap(err, "member '%s'", e->path);
	char *link = NULL;
	if (e->type == TAR_SYMLINK) {
		link = member_link_target(name, e->link ? e->link : "", err);
		if (!link) {
			free(name);
			return q_error_wrap(err, "member '%s'", e->path);
		}
	}
	if (s->n_members >= ARCHIVE_MAX_MEMBERS) {
		free(name);
		free(link);
		return q_error(err, 0, "more than %d members", ARCHIVE_MAX_MEMBERS);
	}
	add_member(s, cap, e, name, tar_reader_data_offset(tr), link);
	return 0;
}

/* Later members of the same name replace earlier ones, as when extracting. */
static void dedup_members(struct blob_store *s)
{
	size_t out = 0;
	for (size_t i = 0; i < s->n_members; i++) {
		if (out > 0 && !strcmp(s->members[out - 1].name, s->members[i].name)) {
			free(s->members[out - 1].name);
			free(s->members[out - 1].link);
			s->members[out - 1] = s->members[i];
			continue;
		}
		s->members[out++] = s->members[i];
	}
	s->n_members = out;
}

static int index_archive(struct blob_store *s, struct qerr *err)
{
	struct fd_source fs = { s->archive_fd, 0 };
	struct byte_source src = { fd_read, fd_skip, &fs };
	struct tar_reader *tr = tar_reader_new(&src);
	size_t cap = 0;
	const struct tar_entry *e;
	int rc;
	while ((rc = tar_reader_next(tr, &e, err)) == 1)
		if (index_one(s, &cap, tr, e, err) < 0) {
			rc = -1;
			break;
		}
	tar_reader_free(tr);
	if (rc < 0)
		return -1;
	qsort(s->members, s->n_members, sizeof(*s->members), cmp_member_order);
	dedup_members(s);
	return 0;
}

struct blob_store *blob_store_open(const struct image_ref *ref, struct qerr *err)
{
	struct blob_store *s = xcalloc(1, sizeof(*s));
	s->transport = ref->transport;
	s->dir_fd = s->archive_fd = -1;
	s->display = xstrdup(ref->path ? ref->path : "");
	switch (ref->transport) {
	case TRANSPORT_OCI:
		s->dir_fd = open(ref->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->dir_fd < 0)
			goto fail_errno;
		return s;
	case TRANSPORT_ROOTFS:
		if (rootfs_to_layout(ref->path, &s->tmp_dir, err) < 0)
			goto fail;
		s->transport = TRANSPORT_OCI;
		{
			cleanup_free char *layout = xasprintf("%s/layout", s->tmp_dir);
			s->dir_fd = open(layout, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		if (s->dir_fd < 0)
			goto fail_errno;
		return s;
	case TRANSPORT_OCI_ARCHIVE:
	case TRANSPORT_DOCKER_ARCHIVE:
		s->archive_fd = open(ref->path, O_RDONLY | O_CLOEXEC);
		if (s->archive_fd < 0)
			goto fail_errno;
		if (index_archive(s, err) < 0)
			goto fail;
		return s;
	case TRANSPORT_REGISTRY:
		q_error(err, 0, "registry images are not supported yet; use skopeo copy to an "
				"oci: directory or a docker-archive: file first");
		goto fail;
	}
	BUG("unknown transport");
fail_errno:
	q_error(err, errno, "open '%s'", ref->path);
fail:
	blob_store_free(s);
	return NULL;
}

void blob_store_free(struct blob_store *s)
{
	if (!s)
		return;
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	if (s->archive_fd >= 0)
		close(s->archive_fd);
	for (size_t i = 0; i < s->n_members; i++) {
		free(s->members[i].name);
		free(s->members[i].link);
	}
	free(s->members);
	for (size_t i = 0; i < s->n_aliases; i++)
		free(s->aliases[i].path);
	free(s->aliases);
	if (s->tmp_dir) {
		struct qerr ignored = QERR_INIT;
		fs_remove_at(AT_FDCWD, s->tmp_dir, &ignored);
		free(s->tmp_dir);
	}
	free(s->display);
	free(s);
}

static const struct archive_member *find_member(struct blob_store *s, const char *name)
{
	struct archive_member key = { .name = (char *)name };
	return bsearch(&key, s->members, s->n_members, sizeof(*s->members), cmp_member);
}

static int locate_member(struct blob_store *s, const char *path, int *fd, uint64_t *offset,
			 uint64_t *size, struct qerr *err)
{
	cleanup_free char *name = fs_clean_path(path, err);
	if (!name)
		return -1;
	const struct archive_member *m = find_member(s, name);
	/* docker save links identical layers to one copy; follow, bounded. */
	for (int hops = 0; m && m->link; hops++) {
		if (hops == ARCHIVE_MAX_LINK_HOPS)
			return q_error(err, ELOOP, "'%s' in '%s'", path, s->display);
		m = find_member(s, m->link);
	}
	if (!m)
		return q_error(err, 0, "'%s' is missing from '%s'", path, s->display);
	*fd = fcntl(s->archive_fd, F_DUPFD_CLOEXEC, 0);
	if (*fd < 0)
		return q_error(err, errno, "dup");
	*offset = m->offset;
	*size = m->size;
	return 0;
}

int blob_store_locate(struct blob_store *s, const char *path, int *fd, uint64_t *offset,
		      uint64_t *size, struct qerr *err)
{
	if (s->archive_fd >= 0)
		return locate_member(s, path, fd, offset, size, err);
	/* Digests are validated before they become paths; a symlinked blob
	 * (an unpacked hostile layout) still resolves only inside the layout. */
	struct qerr oerr = QERR_INIT;
	int f = fs_open_in_root(s->dir_fd, path, O_RDONLY | O_CLOEXEC, 0, &oerr);
	if (f < 0) {
		int e = oerr.errnum;
		struct stat lst;
		if (fstatat(s->dir_fd, path, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode))
			return q_error(err, 0, "'%s/%s' is a symlink that leads outside the layout or nowhere",
				       s->display, path);
		if (e == ENOENT)
			return q_error(err, 0, "'%s' is missing from '%s'", path, s->display);
		return q_error(err, e, "open '%s/%s'", s->display, path);
	}
	struct stat st;
	if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(f);
		return q_error(err, 0, "'%s/%s' is not a regular file", s->display, path);
	}
	*fd = f;
	*offset = 0;
	*size = (uint64_t)st.st_size;
	return 0;
}

int blob_store_read(struct blob_store *s, const char *path, size_t max, char **data,
		    size_t *len, struct qerr *err)
{
	cleanup_close int fd = -1;
	uint64_t off, size;
	if (blob_store_locate(s, path, &fd, &off, &size, err) < 0)
		return -1;
	if (size > max) {
		return q_error(err, 0, "'%s' in '%s': %llu bytes is over the limit of %zu", path,
			       s->display, (unsigned long long)size, max);
	}
	char *buf = xmalloc(size + 1);
	if (pread_all(fd, buf, size, (off_t)off, err) < 0) {
		free(buf);
		return q_error_wrap(err, "'%s' in '%s'", path, s->display);
	}
	buf[size] = '\0';
	*data = buf;
	*len = size;
	return 0;
}

char *blob_path(const char *digest)
{
	const char *colon = strchr(digest, ':');
	if (!colon)
		BUG("blob_path of an unchecked digest");
	return xasprintf("blobs/%.*s/%s", (int)(colon - digest), digest, colon + 1);
}

void blob_store_alias(struct blob_store *s, const char *digest, const char *path)
{
	s->aliases = xgrow(s->aliases, &s->cap_aliases, s->n_aliases + 1, sizeof(*s->aliases));
	struct blob_alias *a = &s->aliases[s->n_aliases++];
	snprintf(a->digest, sizeof(a->digest), "%s", digest);
	a->path = xstrdup(path);
}

int blob_store_locate_digest(struct blob_store *s, const char *digest, int *fd,
			     uint64_t *offset, uint64_t *size, struct qerr *err)
{
	if (!digest_valid(digest))
		return q_error(err, 0, "invalid digest '%.80s'", digest);
	for (size_t i = 0; i < s->n_aliases; i++)
		if (!strcmp(s->aliases[i].digest, digest))
			return blob_store_locate(s, s->aliases[i].path, fd, offset, size, err);
	cleanup_free char *path = blob_path(digest);
	return blob_store_locate(s, path, fd, offset, size, err);
}
