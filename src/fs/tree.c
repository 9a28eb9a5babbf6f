/* Writing a directory tree as a tar stream (import, export, commit).
 *
 * Order: bytewise by the name as written, where directories are written
 * with a trailing "/" ("usr/bin-extra", "usr/bin/", "usr/bin/x"); that is
 * a depth-first walk whose siblings are sorted by name, a directory's name
 * counting with its "/". So parents come before their children and the
 * same tree always gives the same stream.
 *
 * Threat: the tree may come from an untrusted image. Nothing is ever
 * followed: directories are opened with O_NOFOLLOW relative to their
 * parent, entries are stat'ed with AT_SYMLINK_NOFOLLOW, files opened with
 * O_NOFOLLOW and checked to be the inode we listed. The walk keeps one
 * directory open at a time (a tree may be deeper than the descriptor
 * limit) and climbs back through "..", checking it is the directory it
 * came from.
 */
#include "fs/fs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define DATA_CHUNK (1024u * 1024)
#define XATTR_LIST_MAX_BYTES 65536
#define XATTR_VALUE_MAX 65536
#define PASSWD_MAX (4u * 1024 * 1024)

struct child {
	char *key;              /* name, with "/" appended for a directory */
	struct stat st;
};

struct frame {
	struct child *kids;
	size_t n, next;
	dev_t dev;
	ino_t ino;
	size_t prefix_len;      /* of w->path: "usr/bin/" */
	int restore_mode;       /* mode to put back when leaving, or -1 */
};

struct id_names {
	struct fs_map ids;      /* uint32_t id → index in names */
	struct strvec names;
};

struct tree_walk {
	int root_fd;
	const struct tree_opts *opts;
	struct tar_writer *tw;
	int cur;                /* the top frame's directory */
	bool privileged;        /* euid 0: permission bits never stop us */
	uid_t euid;
	struct frame *frames;
	size_t n_frames, cap_frames;
	struct strbuf path;     /* the current directory's prefix, then the entry */
	struct fs_map links;    /* (dev, ino) → index in first_paths + 1 */
	struct strvec first_paths;
	char *buf;
	struct id_names users, groups;
};

/* ---- owner names, from the tree's own /etc/passwd and /etc/group ---------------- */

/* The regular file at path in the tree, read up to PASSWD_MAX bytes; ""
 * when there is none. */
static char *read_tree_file(struct tree_walk *w, const char *path)
{
	/* THREAT: resolved inside the root (an etc/passwd that links to the
	 * host's reads the tree's or nothing); only a regular file is opened
	 * for reading: a FIFO would block, a device node could do anything. */
	struct strbuf sb = STRBUF_INIT;
	struct stat a, b;
	int pfd = fs_resolve(w->root_fd, path, O_PATH, 0, false);
	bool reg = pfd >= 0 && fstat(pfd, &a) == 0 && S_ISREG(a.st_mode);
	if (pfd >= 0)
		close(pfd);
	int fd = reg ? fs_resolve(w->root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, false) : -1;
	if (fd >= 0 && fstat(fd, &b) == 0 && b.st_ino == a.st_ino && b.st_dev == a.st_dev) {
		char chunk[8192];
		ssize_t r;
		while (sb.len <= PASSWD_MAX && ((r = read(fd, chunk, sizeof(chunk))) > 0 ||
						 (r < 0 && errno == EINTR)))
			if (r > 0)
				strbuf_add(&sb, chunk, (size_t)r);
	}
	if (fd >= 0)
		close(fd);
	return strbuf_detach(&sb);
}

/* "name:x:id:..." lines; the first name of an id wins, as getpwuid's. */
static void load_names(struct tree_walk *w, const char *path, struct id_names *out)
{
	char *data = read_tree_file(w, path);
	for (char *line = data, *next; *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = '\0';
		char *f[3] = { line, NULL, NULL };
		for (int i = 1; i < 3 && f[i - 1]; i++) {
			char *c = strchr(f[i - 1], ':');
			if (c)
				*c++ = '\0';
			f[i] = c;
		}
		char *end = f[2] ? strchr(f[2], ':') : NULL;
		uint64_t id;
		if (!end || !f[0][0])
			continue;
		*end = '\0';
		if (parse_u64(f[2], UINT32_MAX - 1, &id) < 0)
			continue;
		uint32_t key = (uint32_t)id;
		bool added;
		uint64_t *v = fs_map_put(&out->ids, &key, sizeof(key), &added);
		if (added) {
			*v = out->names.n;
			strvec_push(&out->names, f[0]);
		}
	}
	free(data);
}

static const char *id_lookup(const struct id_names *m, uint64_t id)
{
	uint32_t key = (uint32_t)id;
	uint64_t *v = id == key ? fs_map_get(&m->ids, &key, sizeof(key)) : NULL;
	return v ? m->names.v[*v] : NULL;
}

static void id_names_release(struct id_names *m)
{
	fs_map_release(&m->ids);
	strvec_clear(&m->names);
}

/* ---- reading one directory ---------------------------------------------------------- */

static int cmp_child(const void *a, const void *b)
{
	return strcmp(((const struct child *)a)->key, ((const struct child *)b)->key);
}

static void free_kids(struct child *kids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(kids[i].key);
	free(kids);
}

/* All entries of fd but sockets, stat'ed without following, sorted. */
static int list_dir(int fd, struct child **out, size_t *n_out, const char *what,
		    struct qerr *err)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		return q_error(err, e, "list '%.512s'", what);
	}
	struct child *kids = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = q_error(err, errno, "stat '%.512s%s'", what, de->d_name);
			break;
		}
		if (S_ISSOCK(st.st_mode))
			continue;       /* sockets cannot be archived */
		kids = xgrow(kids, &cap, n + 1, sizeof(*kids));
		kids[n].key = S_ISDIR(st.st_mode) ? xasprintf("%s/", de->d_name) : xstrdup(de->d_name);
		kids[n++].st = st;
	}
	closedir(d);
	if (rc < 0) {
		free_kids(kids, n);
		return -1;
	}
	if (n)
		qsort(kids, n, sizeof(*kids), cmp_child);
	*out = kids;
	*n_out = n;
	return 0;
}

/* ---- xattrs ----------------------------------------------------------------------------- */

static bool xattr_wanted(const char *name)
{
	/* File capabilities and user data travel with an image; the host's
	 * SELinux labels and overlayfs's own marks do not. */
	return !strcmp(name, "security.capability") ||
	       (str_starts_with(name, "user.") && !str_starts_with(name, "user.overlay."));
}

static void free_xattrs(struct tar_xattr *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	free(x);
}

static int cmp_xattr(const void *a, const void *b)
{
	return strcmp(((const struct tar_xattr *)a)->name, ((const struct tar_xattr *)b)->name);
}

static int read_xattrs(int fd, const char *what, struct tar_xattr **out, size_t *n_out,
		       struct qerr *err)
{
	char list[XATTR_LIST_MAX_BYTES];
	ssize_t len = flistxattr(fd, list, sizeof(list));
	if (len < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
		return 0;
	if (len < 0)
		return q_error(err, errno, "'%.512s': list xattrs", what);
	struct tar_xattr *x = NULL;
	size_t n = 0;
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(list + off) + 1) {
		const char *name = list + off;
		if (!xattr_wanted(name))
			continue;
		unsigned char *val = xmalloc(XATTR_VALUE_MAX);
		ssize_t vl = fgetxattr(fd, name, val, XATTR_VALUE_MAX);
		if (vl < 0 && errno == ENODATA) {
			free(val);
			continue;
		}
		if (vl < 0) {
			int e = errno;
			free(val);
			free_xattrs(x, n);
			return q_error(err, e, "'%.512s': read xattr '%s'", what, name);
		}
		x = xrealloc(x, (n + 1) * sizeof(*x));
		x[n++] = (struct tar_xattr){ xstrdup(name), xrealloc(val, (size_t)vl + 1), (size_t)vl };
	}
	if (n)
		qsort(x, n, sizeof(*x), cmp_xattr);
	*out = x;
	*n_out = n;
	return 0;
}

/* ---- one entry ------------------------------------------------------------------------------ */

static void fill_common(struct tree_walk *w, struct tar_entry *e, const struct stat *st)
{
	const struct tree_opts *o = w->opts;
	e->mode = st->st_mode & 07777;
	e->uid = o->normalize_owner ? 0 : st->st_uid;
	e->gid = o->normalize_owner ? 0 : st->st_gid;
	if (o->keep_owner_names) {
		e->uname = (char *)(o->normalize_owner ? "root" : id_lookup(&w->users, e->uid));
		e->gname = (char *)(o->normalize_owner ? "root" : id_lookup(&w->groups, e->gid));
	}
	e->mtime = o->mtime >= 0 ? o->mtime : (int64_t)st->st_mtim.tv_sec;
	e->mtime_nsec = o->mtime >= 0 ? 0 : (uint32_t)st->st_mtim.tv_nsec;
}

static int write_contents(struct tree_walk *w, int fd, uint64_t size, const char *what,
			  struct qerr *err)
{
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (size) {
		size_t want = size < DATA_CHUNK ? (size_t)size : DATA_CHUNK;
		ssize_t n = read(fd, w->buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return q_error(err, errno, "read '%.512s'", what);
		if (n == 0)
			return q_error(err, 0, "'%.512s' shrank while being read", what);
		if (tar_writer_data(w->tw, w->buf, (size_t)n, err) < 0)
			return -1;
		size -= (uint64_t)n;
	}
	return 0;
}

/* The first path of an inode with several links is written as itself,
 * the later ones as hard links to it. */
static const char *link_target(struct tree_walk *w, const struct stat *st)
{
	if (st->st_nlink < 2 || S_ISDIR(st->st_mode))
		return NULL;
	uint64_t key[2] = { (uint64_t)st->st_dev, (uint64_t)st->st_ino };
	bool added;
	uint64_t *v = fs_map_put(&w->links, key, sizeof(key), &added);
	if (!added)
		return w->first_paths.v[*v];
	*v = w->first_paths.n;
	strvec_push(&w->first_paths, w->path.buf);
	return NULL;
}

/* Rootless: a file or directory of ours that its mode forbids us to read
 * (0000 from an image) is lent the bits we need, its mode put back after. */
static bool must_lend(const struct tree_walk *w, const struct stat *st, mode_t need)
{
	return !w->privileged && st->st_uid == w->euid && (st->st_mode & need) != need;
}

static int open_file(struct tree_walk *w, const struct child *c)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
	mode_t mode = c->st.st_mode & 07777;
	if (!must_lend(w, &c->st, 0400)) {
		int fd = openat(w->cur, c->key, flags);
		return fd < 0 ? -errno : fd;
	}
	int rc = fs_chmod_nofollow(w->cur, c->key, mode | 0400);
	if (rc < 0)
		return rc;
	int fd = openat(w->cur, c->key, flags);
	int e = errno;
	rc = fs_chmod_nofollow(w->cur, c->key, mode);
	if (fd < 0)
		return -e;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static int write_file(struct tree_walk *w, const struct child *c, struct tar_entry *e,
		      struct qerr *err)
{
	const char *p = w->path.buf;
	/* THREAT: O_NOFOLLOW, and the inode checked against the listing: a
	 * name swapped for a symlink or a FIFO since is refused. */
	int fd = open_file(w, c);
	struct stat st;
	if (fd < 0)
		return q_error(err, -fd, "open '%.512s'", p);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != c->st.st_ino ||
	    st.st_dev != c->st.st_dev) {
		close(fd);
		return q_error(err, 0, "'%.512s' changed while being read", p);
	}
	e->type = TAR_REG;
	e->size = (uint64_t)st.st_size;
	int rc = read_xattrs(fd, p, &e->xattrs, &e->n_xattrs, err);
	if (rc == 0)
		rc = tar_writer_add(w->tw, e, err);
	if (rc == 0)
		rc = write_contents(w, fd, e->size, p, err);
	close(fd);
	return rc;
}

static int write_symlink(struct tree_walk *w, const struct child *c, struct tar_entry *e,
			 struct qerr *err)
{
	size_t cap = (size_t)c->st.st_size + 1;
	if (cap < 256)
		cap = 256;
	for (;;) {
		char *buf = xmalloc(cap);
		ssize_t n = readlinkat(w->cur, c->key, buf, cap);
		if (n < 0) {
			int e2 = errno;
			free(buf);
			return q_error(err, e2, "readlink '%.512s'", w->path.buf);
		}
		if ((size_t)n < cap) {
			buf[n] = '\0';
			e->type = TAR_SYMLINK;
			e->link = buf;
			int rc = tar_writer_add(w->tw, e, err);
			free(buf);
			e->link = NULL;
			return rc;
		}
		free(buf);
		if (cap > TAR_MAX_PATH)
			return q_error(err, 0, "'%.512s': link target too long", w->path.buf);
		cap *= 2;
	}
}

/* Not a directory: a file, link, device node or FIFO. */
static int write_leaf(struct tree_walk *w, const struct child *c, struct qerr *err)
{
	struct tar_entry e = { .path = w->path.buf };
	fill_common(w, &e, &c->st);
	const char *first = link_target(w, &c->st);
	int rc;
	if (first) {
		e.type = TAR_HARDLINK;
		e.link = (char *)first;
		return tar_writer_add(w->tw, &e, err);
	}
	switch (c->st.st_mode & S_IFMT) {
	case S_IFREG:
		rc = write_file(w, c, &e, err);
		free_xattrs(e.xattrs, e.n_xattrs);
		return rc;
	case S_IFLNK:
		return write_symlink(w, c, &e, err);
	case S_IFCHR:
	case S_IFBLK:
		e.type = S_ISCHR(c->st.st_mode) ? TAR_CHR : TAR_BLK;
		e.devmajor = major(c->st.st_rdev);
		e.devminor = minor(c->st.st_rdev);
		return tar_writer_add(w->tw, &e, err);
	case S_IFIFO:
		e.type = TAR_FIFO;
		return tar_writer_add(w->tw, &e, err);
	default:
		return q_error(err, 0, "'%.512s': unsupported file type", w->path.buf);
	}
}

static void strbuf_setlen_(struct strbuf *sb, size_t len)
{
	sb->len = len;
	sb->buf[len] = '\0';
}

/* ---- directories: down and up ---------------------------------------------------------------- */

static int push_frame(struct tree_walk *w, int fd, const struct stat *st, int restore_mode,
		      struct qerr *err)
{
	struct child *kids = NULL;
	size_t n = 0;
	if (list_dir(fd, &kids, &n, w->path.buf, err) < 0)
		return -1;
	w->frames = xgrow(w->frames, &w->cap_frames, w->n_frames + 1, sizeof(*w->frames));
	w->frames[w->n_frames++] = (struct frame){
		.kids = kids, .n = n, .dev = st->st_dev, .ino = st->st_ino, .prefix_len = w->path.len,
		.restore_mode = restore_mode,
	};
	if (w->cur >= 0)
		close(w->cur);
	w->cur = fd;
	return 0;
}

static int write_dir(struct tree_walk *w, const struct child *c, struct qerr *err)
{
	const char *p = w->path.buf;      /* ends with "/" */
	int restore = must_lend(w, &c->st, 0500) ? (int)(c->st.st_mode & 07777) : -1;
	if (restore >= 0) {
		int rc = fs_chmod_nofollow(w->cur, c->key, (mode_t)restore | 0500);
		if (rc < 0)
			return q_error(err, -rc, "chmod '%.512s'", p);
	}
	/* THREAT: O_NOFOLLOW, and the inode checked against the listing. */
	int fd = openat(w->cur, c->key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return q_error(err, errno, "open '%.512s'", p);
	if (fstat(fd, &st) < 0 || st.st_ino != c->st.st_ino || st.st_dev != c->st.st_dev) {
		close(fd);
		return q_error(err, 0, "'%.512s' changed while being read", p);
	}
	struct tar_entry e = { .path = w->path.buf, .type = TAR_DIR };
	fill_common(w, &e, &c->st);
	int rc = read_xattrs(fd, p, &e.xattrs, &e.n_xattrs, err);
	if (rc == 0)
		rc = tar_writer_add(w->tw, &e, err);
	free_xattrs(e.xattrs, e.n_xattrs);
	if (rc == 0)
		return push_frame(w, fd, &st, restore, err);
	close(fd);
	return -1;
}

/* Done with the top directory: back to its parent through "..", which
 * must be the directory we came down from. */
static int pop_frame(struct tree_walk *w, struct qerr *err)
{
	struct frame *top = &w->frames[--w->n_frames];
	int restore = top->restore_mode;
	strbuf_setlen_(&w->path, top->prefix_len);
	free_kids(top->kids, top->n);
	int up = -1;
	if (w->n_frames) {
		/* Before the mode is put back: ".." needs search permission. */
		const struct frame *parent = &w->frames[w->n_frames - 1];
		struct stat st;
		up = openat(w->cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (up < 0 || fstat(up, &st) < 0 || st.st_dev != parent->dev ||
		    st.st_ino != parent->ino) {
			int e = up < 0 ? errno : 0;
			if (up >= 0)
				close(up);
			return q_error(err, e, "'%.512s': tree changed while being read", w->path.buf);
		}
	}
	if (restore >= 0 && fchmod(w->cur, (mode_t)restore) < 0) {
		int e = errno;
		if (up >= 0)
			close(up);
		return q_error(err, e, "chmod '%.512s'", w->path.buf);
	}
	if (up >= 0) {
		close(w->cur);
		w->cur = up;
	}
	return 0;
}

static int walk_step(struct tree_walk *w, struct qerr *err)
{
	struct frame *top = &w->frames[w->n_frames - 1];
	if (top->next == top->n)
		return pop_frame(w, err);
	const struct child *c = &top->kids[top->next++];
	strbuf_setlen_(&w->path, top->prefix_len);
	strbuf_adds(&w->path, c->key);
	if (!S_ISDIR(c->st.st_mode))
		return write_leaf(w, c, err);
	/* c->key ends with "/": open it without. */
	struct child plain = *c;
	cleanup_free char *name = xstrndup(c->key, strlen(c->key) - 1);
	plain.key = name;
	return write_dir(w, &plain, err);
}

int fs_write_tree(int root_fd, struct tar_writer *tw, const struct tree_opts *opts,
		  struct qerr *err)
{
	struct tree_walk w = { .root_fd = root_fd, .opts = opts, .tw = tw, .cur = -1,
			       .euid = geteuid() };
	w.privileged = w.euid == 0;
	int fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return q_error(err, e, "open the tree");
	}
	if (opts->keep_owner_names && !opts->normalize_owner) {
		load_names(&w, "etc/passwd", &w.users);
		load_names(&w, "etc/group", &w.groups);
	}
	w.buf = xmalloc(DATA_CHUNK);
	strbuf_adds(&w.path, "");
	int rc = push_frame(&w, fd, &st, -1, err);
	if (rc < 0)
		close(fd);
	while (rc == 0 && w.n_frames)
		rc = walk_step(&w, err);
	while (w.n_frames) {
		struct frame *f = &w.frames[--w.n_frames];
		free_kids(f->kids, f->n);
	}
	if (w.cur >= 0)
		close(w.cur);
	free(w.frames);
	strbuf_release(&w.path);
	fs_map_release(&w.links);
	strvec_clear(&w.first_paths);
	free(w.buf);
	id_names_release(&w.users);
	id_names_release(&w.groups);
	return rc;
}
