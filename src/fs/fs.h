/* fs — tar streams, safe extraction, root filesystem trees, the layer cache.
 *
 * Everything that reads an archive treats it as hostile: headers are
 * bounded, numbers checked, and extraction can never write, create or follow
 * anything outside its root (openat2 RESOLVE_IN_ROOT, with a safe fallback).
 *
 * Lifecycle of a tar reader:
 *   tr = tar_reader_new(&src);
 *   while ((rc = tar_reader_next(tr, &e, err)) == 1)
 *           while ((n = tar_reader_data(tr, &buf, &off, err)) > 0) …  (optional)
 *   rc == 0: clean end; tar_reader_drain() then reads what follows the
 *   end-of-archive blocks so that the caller's digest covers the whole stream.
 *   tar_reader_free(tr);
 */
#ifndef QUENCH_FS_H
#define QUENCH_FS_H

#include "util/util.h"

/* ---- byte sources and sinks -------------------------------------------- */

/* A pull source of bytes (a file, a decompressor, a digest-verifying pipe).
 * read: returns bytes read (>0), 0 at end of stream, -1 with err filled.
 * skip: optional; skip n bytes forward cheaply (lseek); returns 0 or -1.
 *       When NULL, skipping reads and discards. A skip past the end of the
 *       stream is an error ("unexpected end of stream"). */
struct byte_source {
	ssize_t (*read)(void *ctx, void *buf, size_t len, struct qerr *err);
	int (*skip)(void *ctx, uint64_t n, struct qerr *err);
	void *ctx;
};

/* A push sink of bytes: write all of len or fail. */
struct byte_sink {
	int (*write)(void *ctx, const void *buf, size_t len, struct qerr *err);
	void *ctx;
};

/* ---- tar entries ------------------------------------------------------- */

enum tar_type {
	TAR_REG,
	TAR_HARDLINK,
	TAR_SYMLINK,
	TAR_CHR,
	TAR_BLK,
	TAR_DIR,
	TAR_FIFO,
};

struct tar_xattr {
	char *name;            /* "security.capability", "user.foo" */
	unsigned char *value;
	size_t len;
};

struct tar_sparse_chunk {
	uint64_t offset;       /* in the logical file */
	uint64_t len;
};

struct tar_entry {
	char *path;            /* as stored, e.g. "./usr/bin/x" or "usr/lib/" */
	char *link;            /* symlink target or hard link target path; NULL otherwise */
	enum tar_type type;
	uint32_t mode;         /* permission bits incl. setuid/setgid/sticky: & 07777 */
	uint64_t uid, gid;
	char *uname, *gname;   /* may be NULL */
	int64_t mtime;         /* seconds since the epoch */
	uint32_t mtime_nsec;
	uint64_t size;         /* logical size of a regular file (the real size for sparse files) */
	uint32_t devmajor, devminor;
	struct tar_xattr *xattrs;
	size_t n_xattrs;
	/* Sparse files only (n_sparse > 0): the data regions, in order; the
	 * rest of the file is holes. The archive holds only these regions. */
	struct tar_sparse_chunk *sparse;
	size_t n_sparse;
};

void tar_entry_release(struct tar_entry *e);

/* ---- tar reader -------------------------------------------------------- */

/* Limits that make hostile archives harmless. */
#define TAR_MAX_PATH 65536          /* bytes in a name or link target */
#define TAR_MAX_PAX 1048576         /* bytes in one PAX / GNU long-name header */
#define TAR_MAX_XATTRS 1024
#define TAR_MAX_SPARSE 65536        /* chunks in a sparse map */

struct tar_reader;
struct tar_reader *tar_reader_new(const struct byte_source *src);
void tar_reader_free(struct tar_reader *tr);
/* Advance to the next entry (skipping unread data of the current one).
 * Returns 1 with *e set (valid until the next call), 0 at the end of the
 * archive, -1 on a malformed or truncated archive. Supports ustar, PAX
 * (path, linkpath, size, uid, gid, uname, gname, mtime, SCHILY.xattr.*,
 * LIBARCHIVE.xattr.*, GNU.sparse.*), GNU long names ('L'/'K'), GNU sparse
 * ('S' and PAX 0.0/0.1/1.0), base-256 numbers. */
int tar_reader_next(struct tar_reader *tr, const struct tar_entry **e, struct qerr *err);
/* Read the next block of the current entry's data without copying. *buf is
 * valid until the next call; *offset is where it goes in the logical file
 * (jumps over holes for sparse files). Returns bytes (>0), 0 at the end of
 * this entry's data, -1 on error. */
ssize_t tar_reader_data(struct tar_reader *tr, const void **buf, uint64_t *offset,
			struct qerr *err);
/* Offset in the source stream where the current entry's data starts
 * (used to index blobs inside a docker-archive without copying them). */
uint64_t tar_reader_data_offset(const struct tar_reader *tr);
/* After next() returned 0: read and discard everything left in the source,
 * so a digest over the source covers all of it. */
int tar_reader_drain(struct tar_reader *tr, struct qerr *err);

/* ---- tar writer -------------------------------------------------------- */

/* Writes POSIX pax archives deterministically: a ustar header when every
 * field fits, else a PAX 'x' header first (long names, big ids or sizes,
 * xattrs, sub-second times never written). The same entries give the same
 * bytes. Sparse maps are ignored on write (the data is written in full). */
struct tar_writer;
struct tar_writer *tar_writer_new(const struct byte_sink *sink);
void tar_writer_free(struct tar_writer *tw);
int tar_writer_add(struct tar_writer *tw, const struct tar_entry *e, struct qerr *err);
/* Exactly e->size bytes in total must follow an added regular file. */
int tar_writer_data(struct tar_writer *tw, const void *buf, size_t len, struct qerr *err);
/* Pad, write the two zero blocks, flush. */
int tar_writer_finish(struct tar_writer *tw, struct qerr *err);
/* Bytes written so far (the uncompressed layer size). */
uint64_t tar_writer_bytes(const struct tar_writer *tw);

/* ---- safe paths ---------------------------------------------------------- */

/* Normalize an archive path: strip leading "./" and "/", collapse "//" and
 * "/./", drop a trailing "/". Refuses ".." components, NUL, and empty
 * results other than the root itself (returned as "."). Caller frees. */
char *fs_clean_path(const char *path, struct qerr *err);

/* Resolve "." and ".." components of a relative path lexically (for trees
 * we only have a listing of). A ".." at the top stays there when clamp (as
 * the root's ".." is the root), else is an error. Caller frees; "" is the
 * top. */
char *fs_resolve_dots(const char *path, bool clamp, struct qerr *err);

/* Open path (relative, already clean) beneath root_fd, resolving every
 * symlink as if root_fd were "/" and never escaping it; flags as openat. */
int fs_open_in_root(int root_fd, const char *path, int flags, mode_t mode, struct qerr *err);

/* rm -rf (of a tree written from a hostile layer, or any of ours) of name in dirfd: never follows a symlink (one named name is
 * removed itself), no recursion (a 100 000-deep tree is fine), at most two
 * descriptors open at a time. Directories without owner rwx are made 0700
 * first where we own them. A missing name is success. Errors name the
 * path below dirfd. */
int fs_remove_at(int dirfd, const char *name, struct qerr *err);

/* ---- extraction (applying layers) -------------------------------------- */

struct extract_opts {
	bool apply_owner;      /* chown entries (root, or mapped in a user namespace) */
	bool create_devices;   /* mknod device nodes; otherwise skipped and counted */
	bool keep_whiteouts;   /* store whiteouts as entries (cache layers) instead of applying */
	bool apply_xattrs;     /* set xattrs (security.* needs privilege) */
};

struct extract_stats {
	uint64_t files, dirs, symlinks, hardlinks, whiteouts, opaque_dirs;
	uint64_t devices_skipped, devices_created, xattrs_skipped, owners_not_applied;
	uint64_t bytes;        /* regular file data written */
};

/* Apply one layer (a tar stream) on top of the tree at root_fd, as the OCI
 * image spec describes: whiteouts delete, opaque whiteouts clear a
 * directory, later entries replace earlier ones. */
int fs_apply_layer(int root_fd, struct tar_reader *tr, const struct extract_opts *opts,
		   struct extract_stats *stats, struct qerr *err);

/* ---- trees to tar (import, export) ------------------------------------- */

struct tree_opts {
	bool normalize_owner;  /* uid/gid 0, no names */
	int64_t mtime;         /* every entry's mtime when >= 0 (reproducible) */
	bool keep_owner_names; /* write uname/gname (root/root) */
};

/* Write the tree under root_fd as a tar stream, entries sorted bytewise by
 * path, parents before children, hard links kept as links, xattrs read
 * (security.capability included). Never follows symlinks. */
int fs_write_tree(int root_fd, struct tar_writer *tw, const struct tree_opts *opts,
		  struct qerr *err);

#endif
