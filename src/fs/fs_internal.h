/* fs internals shared by path.c, extract.c, tree.c and their helpers, and
 * the test hooks used by tests/unit/test_extract.c. Not a public header:
 * nothing outside src/fs/ and its tests includes it.
 */
#ifndef QUENCH_FS_INTERNAL_H
#define QUENCH_FS_INTERNAL_H

#include "fs/fs.h"

#include <sys/stat.h>

/* ---- resolution inside a root (path.c) --------------------------------- */

/* fs_open_in_root without an error message: returns an fd (O_CLOEXEC
 * always added) or -errno. The hot path of extraction, where ENOENT is an
 * expected answer rather than an error.
 * With mkdirs, missing directories met along the way (after following
 * symlinks inside the root) are created with mode 0755: "mkdir -p" inside
 * the root; only the userspace walk can do that, so it is used for it. */
int fs_resolve(int root_fd, const char *path, int flags, mode_t mode, bool mkdirs);

/* Test hook: true forces the userspace walk even where openat2 works, so
 * the tests exercise both resolvers. */
void fs_resolve_force_fallback(bool on);
/* Which resolver the next call uses: true for openat2. */
bool fs_resolve_uses_openat2(void);

/* Why fs_clean_path refused a path. */
enum clean_fail { CLEAN_OK, CLEAN_DOTDOT, CLEAN_EMPTY };
/* fs_clean_path without an error message: NULL with *why set on refusal. */
char *fs_clean(const char *path, enum clean_fail *why);

/* ---- small helpers (remove.c) ------------------------------------------- */


/* chmod of name in dirfd without following a symlink at name. Returns 0
 * or -errno. */
int fs_chmod_nofollow(int dirfd, const char *name, mode_t mode);
/* chmod of the directory behind any fd, O_PATH ones included. 0 or -errno. */
int fs_chmod_dirfd(int fd, mode_t mode);

/* ---- a hash map with byte-string keys (map.c) --------------------------- */

struct fs_map_slot {
	char *key;          /* owned copy, NUL-terminated (binary keys allowed) */
	size_t len;
	uint64_t hash;
	uint64_t val;
};

struct fs_map {
	struct fs_map_slot *slots;
	size_t cap;         /* a power of two, or 0 */
	size_t n;
};
#define FS_MAP_INIT { NULL, 0, 0 }

/* The value stored under key, or NULL. Valid until the next put. */
uint64_t *fs_map_get(const struct fs_map *m, const void *key, size_t len);
/* The value under key, inserted as 0 when absent (*added says so). */
uint64_t *fs_map_put(struct fs_map *m, const void *key, size_t len, bool *added);
void fs_map_release(struct fs_map *m);

/* ---- extraction state (extract.c, whiteout.c) ----------------------------- */

/* What the layer being applied has put at a path (values in ex->layer). */
enum { LAYER_ANCESTOR = 1, LAYER_ENTRY = 2 };

/* A directory whose mode (and mtime) is applied at the end of the layer. */
struct dir_meta {
	char *path;
	uint32_t mode;
	unsigned depth;         /* components in path; "." is 0, sorted last */
	bool has_time;          /* false: a lower layer's directory made writable, mode only */
	struct timespec mtime;
};

struct extract {
	int root_fd;
	const struct extract_opts *opts;
	struct extract_stats *st;
	bool privileged;        /* euid 0: permission bits never stop us */
	uid_t euid;
	gid_t egid;
	/* The last parent directory: cache_fd is what cache_path resolved to.
	 * cache_path NULL: nothing valid (cache_fd may still be open, borrowed
	 * by the entry in progress; it is closed at the next put). */
	char *cache_path;
	int cache_fd;
	struct fs_map layer;    /* this layer's paths → LAYER_* */
	struct fs_map dir_idx;  /* path → index in dirs */
	struct dir_meta *dirs;
	size_t n_dirs, cap_dirs;
};

/* The directory parent (cleaned, "." for the root) resolved inside the
 * root, missing components created when create is set. Returns a
 * borrowed fd (valid until the next cache put) or -errno. */
int extract_dir(struct extract *ex, const char *parent, bool create);
/* Remove whatever is at base in pdir (rm -rf, never following a link). */
int extract_remove(struct extract *ex, int pdir, const char *base, struct qerr *err);
/* Give us write access to a directory we own but may not write (rootless
 * extraction of a lower layer's 0555 directory); its mode is put back at
 * the end of the layer. */
void extract_make_writable(struct extract *ex, int fd, const char *path);
/* base (after ".wh.") in parent: apply or store the whiteout. */
int extract_whiteout(struct extract *ex, const char *parent, const char *name,
		     struct qerr *err);

#endif
