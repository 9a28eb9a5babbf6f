/* Paths as the kernel resolved them for a tracee, and the path table.
 *
 * A tracee's path is resolved again here, one component at a time inside
 * its root (t->root_dirfd): "." and ".." lexically on a prefix that holds
 * no symlink (as the kernel does; ".." at the root stays there), every
 * symlink read with readlinkat and recorded with its target, an absolute
 * target restarting at the root. The kernel's own lookups never leave the
 * root either, so our walk follows the same components. The tracee's
 * /proc/self, /proc/PID/{exe,cwd,root} and /proc/PID/fd/N magic links are
 * read from our view of its /proc and the walk goes on from their target.
 *
 * Threat: the tracee is hostile. Its strings are read with bounded
 * process_vm_readv; every file operation here is relative to the root fd
 * with paths that hold no symlink (each prefix was checked), so a link in
 * the image can never make us look outside its root. A tree changed under
 * us between the syscall and our walk (another tracee racing) can only
 * make a record wrong, not make us touch anything outside the root. */
#include "trace/tracer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define MAX_SYMLINKS 40   /* the kernel's ELOOP limit */
#define MAX_WARNINGS 100

void tracer_warn(struct tracer *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < t->warnings.n; i++)
		if (!strcmp(t->warnings.v[i], m)) {
			free(m);
			return;
		}
	if (strvec_room(&t->warnings, MAX_WARNINGS))
		strvec_take(&t->warnings, m);
	else
		free(m);
}

/* ---- tracee memory ------------------------------------------------------ */

int tracee_read_mem(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int tracee_read_str(pid_t tid, uint64_t addr, size_t max, char **out)
{
	*out = NULL;
	if (!addr)
		return -EFAULT;
	char stackbuf[PATH_MAX + 1];
	char *buf = max <= PATH_MAX ? stackbuf : xmalloc(max + 1);
	size_t got = 0;
	/* Page by page: a read that crosses into an unmapped page fails
	 * whole, while the string may well end before it. */
	while (got < max) {
		uint64_t a = addr + got;
		size_t chunk = 4096 - (size_t)(a & 4095);
		if (chunk > max - got)
			chunk = max - got;
		int r = tracee_read_mem(tid, a, buf + got, chunk);
		if (r < 0)
			break;
		if (memchr(buf + got, 0, chunk)) {
			*out = xstrdup(buf);
			break;
		}
		got += chunk;
	}
	int r = *out ? 0 : got < max ? -EFAULT : -ENAMETOOLONG;
	if (buf != stackbuf)
		free(buf);
	return r;
}

/* ---- where a tracee's fds and cwd are ----------------------------------- */

static char *read_link(const char *link)
{
	char buf[PATH_MAX + 1];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0 || n >= (ssize_t)sizeof(buf) - 1)
		return NULL;
	buf[n] = 0;
	return xstrdup(buf);
}

/* A path as we see it (readlink of /proc, /proc/PID/maps) → inside the root. */
static char *strip_root(struct tracer *t, const char *p)
{
	if (p[0] != '/')
		return NULL;   /* "socket:[12]", "pipe:[3]", "anon_inode:…" */
	size_t n = strlen(t->root_prefix);
	if (n && (strncmp(p, t->root_prefix, n) != 0 || (p[n] != '/' && p[n] != 0)))
		return NULL;
	if (!p[n])
		return xstrdup("/");
	char *s = xstrdup(p + n);
	size_t l = strlen(s);
	if (l > 10 && !strcmp(s + l - 10, " (deleted)"))
		s[l - 10] = 0;
	return s;
}

char *tracee_link_path(struct tracer *t, pid_t pid, const char *what)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/%d/%s", (int)pid, what);
	cleanup_free char *p = read_link(link);
	if (!p)
		return NULL;
	char *s = strip_root(t, p);
	if (!s && p[0] == '/')
		tracer_warn(t, "pid %d: %s is outside the traced root: %s", (int)pid, what, p);
	return s;
}

char *tracee_fd_path(struct tracer *t, pid_t tid, int fd)
{
	char what[32];
	if (fd == AT_FDCWD)
		return tracee_link_path(t, tid, "cwd");
	snprintf(what, sizeof(what), "fd/%d", fd);
	return tracee_link_path(t, tid, what);
}

/* ---- the path table ----------------------------------------------------- */

struct tracer_path *path_use(struct tracer *t, const char *path, unsigned use)
{
	size_t i;
	if (!strmap_get(&t->pathidx, path, &i)) {
		t->paths = xgrow(t->paths, &t->pathcap, t->npaths + 1, sizeof(*t->paths));
		i = t->npaths++;
		t->paths[i] = (struct tracer_path){ .path = xstrdup(path) };
		strmap_put(&t->pathidx, t->paths[i].path, i);
	}
	t->paths[i].uses |= use;
	t->paths[i].count++;
	return &t->paths[i];
}

static void lib_add(struct tracer *t, const char *path)
{
	path_use(t, path, TRACER_LIB)->count--;   /* a fact, not a syscall */
	size_t dummy;
	if (strmap_get(&t->libidx, path, &dummy))
		return;
	strvec_push(&t->libs, path);
	/* keys must outlive the map: the strvec's copy does; a grown strvec
	 * moves its pointer array, not the strings */
	strmap_put(&t->libidx, t->libs.v[t->libs.n - 1], t->libs.n - 1);
}

/* "libz.so", "libz.so.1.2.13": not "ld.so.cache" */
static bool looks_like_lib(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (str_ends_with(b, ".so"))
		return true;
	const char *v = strstr(b, ".so.");
	return v && v[4] && strspn(v + 4, "0123456789.") == strlen(v + 4);
}

/* ---- resolution --------------------------------------------------------- */

/* ---- the caller's credentials (the lookup channel) ---------------------- */

#define MAY_SEARCH 1
#define MAY_READ 4

struct idrange { uint32_t inner, outer, count; };

struct tcreds {
	pid_t tid;
	bool loaded, ok;
	uint32_t fsuid, fsgid;
	uint32_t groups[64];
	size_t ngroups;
	uint64_t caps;                /* CapEff */
	struct idrange umap[16], gmap[16];   /* its user namespace, in our ids */
	size_t nu, ng;
};

static size_t read_idmap(pid_t tid, const char *which, struct idrange *m, size_t max)
{
	char name[64], line[128];
	snprintf(name, sizeof(name), "/proc/%d/%s", (int)tid, which);
	cleanup_fclose FILE *f = fopen(name, "re");
	size_t n = 0;
	while (f && n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %u %u", &m[n].inner, &m[n].outer, &m[n].count) == 3)
			n++;
	return n;
}

static bool load_creds(struct tcreds *c)
{
	if (c->loaded)
		return c->ok;
	c->loaded = true;
	char name[64], line[1024];
	snprintf(name, sizeof(name), "/proc/%d/status", (int)c->tid);
	cleanup_fclose FILE *f = fopen(name, "re");
	int got = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned a, b, d, e;
		unsigned long long caps;
		if (sscanf(line, "Uid: %u %u %u %u", &a, &b, &d, &e) == 4) {
			c->fsuid = e;
			got |= 1;
		} else if (sscanf(line, "Gid: %u %u %u %u", &a, &b, &d, &e) == 4) {
			c->fsgid = e;
			got |= 2;
		} else if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			c->caps = caps;
			got |= 4;
		} else if (!strncmp(line, "Groups:", 7)) {
			char *p = line + 7, *end;
			for (unsigned long v; c->ngroups < ARRAY_SIZE(c->groups) &&
					      (v = strtoul(p, &end, 10), end != p); p = end)
				c->groups[c->ngroups++] = (uint32_t)v;
		}
	}
	c->nu = read_idmap(c->tid, "uid_map", c->umap, ARRAY_SIZE(c->umap));
	c->ng = read_idmap(c->tid, "gid_map", c->gmap, ARRAY_SIZE(c->gmap));
	c->ok = got == 7;
	return c->ok;
}

static bool id_mapped(const struct idrange *m, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].outer && id - m[i].outer < m[i].count)
			return true;
	return false;
}

/* A capability over this inode: held, and its owner and group mapped in
 * the caller's user namespace (the kernel's capable_wrt_inode_uidgid). */
static bool capable_on(const struct tcreds *c, int cap, const struct stat *st)
{
	return (c->caps >> cap & 1) && id_mapped(c->umap, c->nu, st->st_uid) &&
	       id_mapped(c->gmap, c->ng, st->st_gid);
}

/* The kernel's generic_permission for mask (MAY_SEARCH on a directory,
 * MAY_READ), with the caller's fsuid, fsgid, groups and capabilities;
 * ACLs and LSMs are not seen (docs/tracer.md). 0 or -EACCES; -EIO when
 * the credentials cannot be read. */
static int creds_may(struct tracer *t, struct tcreds *c, const char *path, int mask)
{
	struct stat st;
	const char *rel = strcmp(path, "/") ? path + 1 : ".";
	if (!load_creds(c) || fstatat(t->root_dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -EIO;
	mode_t m = st.st_mode;
	if (c->fsuid == st.st_uid) {
		m >>= 6;
	} else {
		bool in = c->fsgid == st.st_gid;
		for (size_t i = 0; !in && i < c->ngroups; i++)
			in = c->groups[i] == st.st_gid;
		if (in)
			m >>= 3;
	}
	if (!(mask & ~m & 7))
		return 0;
	const int dac_override = 1, dac_read_search = 2;
	if (capable_on(c, dac_read_search, &st) && (mask == MAY_READ || S_ISDIR(st.st_mode)))
		return 0;
	if (capable_on(c, dac_override, &st))
		return 0;   /* read and search: always (exec would need an x bit) */
	return -EACCES;
}

struct walk {
	struct tracer *t;
	pid_t tid;
	struct strbuf done;   /* resolved so far: "" (the root) or "/a/b" */
	int links;
	/* For predict_pop: look at a last component that is not followed
	 * too; exact stays true while every directory searched is searchable
	 * by anyone and no component was kept as text (/proc); mode is the
	 * last component's (0: not looked at, e.g. "." or "..") */
	bool probe_last, exact;
	mode_t mode;
	/* With creds (the lookup channel): a directory not searchable by
	 * all is checked against them, denied ends the walk (EACCES); text
	 * is set when a /proc component was kept as text. */
	struct tcreds *creds;
	bool denied, text;
};

/* Searchable by the owner, the group and everyone else: the search
 * succeeds whoever the tracee is (DAC; see docs/tracer.md for the
 * limits: ACLs, LSMs). */
static bool all_x(mode_t m)
{
	return (m & 0111) == 0111;
}

static void pop_component(struct strbuf *sb)
{
	char *s = strrchr(strbuf_str(sb), '/');
	if (s) {
		sb->len = (size_t)(s - sb->buf);
		sb->buf[sb->len] = 0;
	}
}

/* Append the rest of a path lexically (after a missing component). */
static void append_lexical(struct strbuf *sb, const char *rest)
{
	while (*rest) {
		while (*rest == '/')
			rest++;
		size_t n = strcspn(rest, "/");
		if (!n)
			break;
		if (n == 2 && !strncmp(rest, "..", 2))
			pop_component(sb);
		else if (!(n == 1 && rest[0] == '.')) {
			strbuf_addc(sb, '/');
			strbuf_add(sb, rest, n);
		}
		rest += n;
	}
}

/* /proc/self, /proc/thread-self and /proc/N (on the host) as our pid. */
static pid_t proc_pid(struct walk *w, const char *name)
{
	if (!strcmp(name, "self"))
		return w->tid;   /* the tgid's directory holds the same links */
	if (!strcmp(name, "thread-self"))
		return w->tid;
	uint64_t v;
	if (!w->t->root_prefix[0] && parse_u64(name, INT_MAX, &v) == 0)
		return (pid_t)v;   /* same pid namespace only when the root is ours */
	return 0;
}

/* For "/proc/P/exe|cwd|root|fd/N": the magic link's target in the root. */
static char *proc_magic(struct walk *w, const char *cand)
{
	char pidname[32], what[16];
	int fd = -1, used = 0;
	if (sscanf(cand, "/proc/%31[^/]/%15[^/]%n", pidname, what, &used) != 2)
		return NULL;
	const char *tail = cand + used;
	if (!strcmp(what, "task"))
		return NULL;   /* /proc/P/task/T/… : not followed, kept as text */
	if (!strcmp(what, "fd")) {
		uint64_t v;
		if (tail[0] != '/' || parse_u64(tail + 1, INT_MAX, &v) < 0)
			return NULL;
		fd = (int)v;
	} else if (tail[0] || (strcmp(what, "exe") && strcmp(what, "cwd") && strcmp(what, "root"))) {
		return NULL;
	}
	pid_t pid = proc_pid(w, pidname);
	if (!pid)
		return NULL;
	char link[64];
	if (fd >= 0)
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fd);
	else
		snprintf(link, sizeof(link), "/proc/%d/%s", (int)pid, what);
	cleanup_free char *p = read_link(link);
	return p ? strip_root(w->t, p) : NULL;
}

enum step { STEP_OK, STEP_LINK, STEP_MISSING, STEP_ERROR };

/* Look at one candidate prefix (no symlink before its last component). */
static enum step look(struct walk *w, const char *cand, bool more, char **target)
{
	struct stat st;
	if (fstatat(w->t->root_dirfd, cand + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT || errno == ENOTDIR ? STEP_MISSING : STEP_ERROR;
	w->mode = st.st_mode;
	if (S_ISLNK(st.st_mode)) {
		char buf[PATH_MAX + 1];
		ssize_t n = readlinkat(w->t->root_dirfd, cand + 1, buf, sizeof(buf) - 1);
		if (n <= 0 || n >= (ssize_t)sizeof(buf) - 1)
			return STEP_ERROR;
		buf[n] = 0;
		*target = xstrdup(buf);
		return STEP_LINK;
	}
	if (more && !S_ISDIR(st.st_mode))
		return STEP_MISSING;   /* ENOTDIR */
	return STEP_OK;
}

/* The cached directory's st_mode, 0 when it is not cached. */
static mode_t dircache_mode(struct tracer *t, const char *dir)
{
	size_t v;
	return strmap_get(&t->dircache, dir, &v) ? (mode_t)v : 0;
}

static void dircache_add(struct tracer *t, const char *dir, mode_t mode)
{
	if (t->dircache_keys.n >= 100000)
		dircache_clear(t);   /* bounded: a tree walker must not grow it forever */
	strvec_push(&t->dircache_keys, dir);
	strmap_put(&t->dircache, t->dircache_keys.v[t->dircache_keys.n - 1], mode);
}

void dircache_clear(struct tracer *t)
{
	strmap_release(&t->dircache);
	strvec_clear(&t->dircache_keys);
}

static bool in_proc(const char *p)
{
	return !strncmp(p, "/proc/", 6);
}

/* The last component, not followed (lstat, O_NOFOLLOW), for predict_pop. */
static enum step probe(struct walk *w, const char *cand)
{
	struct stat st;
	if ((w->mode = dircache_mode(w->t, cand)))
		return STEP_OK;
	if (fstatat(w->t->root_dirfd, cand + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT || errno == ENOTDIR ? STEP_MISSING : STEP_ERROR;
	w->mode = st.st_mode;
	return STEP_OK;
}

/* Walk rest from w->done; returns the step that ended it. */
static enum step walk(struct walk *w, const char *path, bool nofollow)
{
	cleanup_free char *rest = xstrdup(path);
	bool trailing = path[0] && path[strlen(path) - 1] == '/';
	char *r = rest;
	for (;;) {
		while (*r == '/')
			r++;
		size_t n = strcspn(r, "/");
		if (!n)
			return STEP_OK;
		char *next = r + n;
		while (*next == '/')
			next++;
		bool last = !*next;
		w->mode = 0;
		if ((n == 1 && r[0] == '.') || (n == 2 && !strncmp(r, "..", 2))) {
			if (n == 2)
				pop_component(&w->done);
			r = next;
			continue;
		}
		size_t keep = w->done.len;
		strbuf_addc(&w->done, '/');
		strbuf_add(&w->done, r, n);
		const char *cand = strbuf_str(&w->done);
		if (last && nofollow && !trailing)
			return w->probe_last ? probe(w, cand) : STEP_OK;   /* the object itself */
		char *target = NULL;
		enum step s;
		mode_t cached;
		if (in_proc(cand)) {
			w->exact = false;
			target = proc_magic(w, cand);
			if (!target) {
				w->text = true;
				r = next;
				continue;   /* procfs: kept as text, the syscall's result says */
			}
			s = STEP_LINK;
		} else if ((cached = dircache_mode(w->t, cand))) {
			/* a directory, not a symlink: followed or not, the same */
			w->mode = cached;
			s = STEP_OK;
		} else {
			s = look(w, cand, !last || trailing, &target);
			if (s == STEP_OK && (!last || trailing))
				dircache_add(w->t, cand, w->mode);
		}
		if (s == STEP_OK && !last && !all_x(w->mode)) {
			if (!w->creds) {
				w->exact = false;   /* a search the tracee might not be allowed */
			} else if (creds_may(w->t, w->creds, cand, MAY_SEARCH) < 0) {
				w->denied = true;
				append_lexical(&w->done, next);
				return STEP_ERROR;
			}
		}
		if (s == STEP_MISSING || s == STEP_ERROR) {
			append_lexical(&w->done, next);
			return s;
		}
		if (s == STEP_OK) {
			r = next;
			continue;
		}
		if (++w->links > MAX_SYMLINKS) {
			free(target);
			append_lexical(&w->done, next);
			return STEP_ERROR;
		}
		if (!in_proc(cand)) {
			struct tracer_path *lp = path_use(w->t, cand, TRACER_SYMLINK);
			if (!lp->link_target)
				lp->link_target = xstrdup(target);
		}
		/* restart: the link's text, then what followed it */
		w->done.len = target[0] == '/' ? 0 : keep;
		if (w->done.buf)
			w->done.buf[w->done.len] = 0;
		char *nrest = xasprintf("%s%s%s", target, *next ? "/" : (trailing ? "/" : ""), next);
		free(target);
		free(rest);
		rest = nrest;
		r = rest;
		trailing = nrest[0] && nrest[strlen(nrest) - 1] == '/';
	}
}

char *resolve_path(struct tracer *t, pid_t tid, const char *base, const char *path,
		   bool nofollow, bool *missing)
{
	struct walk w = { .t = t, .tid = tid, .done = STRBUF_INIT };
	if (path[0] != '/' && base && strcmp(base, "/"))
		strbuf_adds(&w.done, base);
	enum step s = walk(&w, path, nofollow);
	if (missing)
		*missing = s == STEP_MISSING;
	if (!w.done.len)
		strbuf_adds(&w.done, "/");
	return strbuf_detach(&w.done);
}

/* A directory the walk starts from ("/": the root) is searchable by anyone. */
static bool start_all_x(struct tracer *t, const char *dir)
{
	const char *key = dir && dir[0] && strcmp(dir, "/") ? dir : "/";
	mode_t m = dircache_mode(t, key);
	if (!m) {
		struct stat st;
		const char *rel = strcmp(key, "/") ? key + 1 : ".";
		if (fstatat(t->root_dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			return false;
		m = st.st_mode;
		dircache_add(t, key, m);
	}
	return all_x(m);
}

/* The directories a lookup starts from (the root, and the base of a
 * relative path) searchable by the caller: 0, -EACCES, or PREDICT_UNKNOWN
 * without credentials to decide with. */
static int start_search(struct tracer *t, struct tcreds *c, const struct pop *p)
{
	const char *starts[2] = { "/", p->path[0] != '/' ? p->base : NULL };
	for (int i = 0; i < 2; i++) {
		if (!starts[i] || start_all_x(t, starts[i]))
			continue;
		if (!c)
			return PREDICT_UNKNOWN;
		int r = creds_may(t, c, strcmp(starts[i], "") ? starts[i] : "/", MAY_SEARCH);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A /proc path kept as text: what the tracee's procfs answers. Its own
 * /proc/self is our /proc/TID (we are not in its pid namespace). */
static int proc_result(struct tracer *t, pid_t tid, const char *path, bool nofollow)
{
	struct stat st;
	int flags = nofollow ? AT_SYMLINK_NOFOLLOW : 0, r;
	const char *rest = NULL;
	if (!strncmp(path, "/proc/self", 10))
		rest = path + 10;
	else if (!strncmp(path, "/proc/thread-self", 17))
		rest = path + 17;
	if (rest && (!*rest || *rest == '/')) {
		char host[PATH_MAX];
		if ((size_t)snprintf(host, sizeof(host), "/proc/%d%s", (int)tid, rest) >= sizeof(host))
			return -ENAMETOOLONG;
		r = fstatat(AT_FDCWD, host, &st, flags);
	} else {
		r = fstatat(t->root_dirfd, path + 1, &st, flags);
	}
	if (r == 0)
		return 0;
	return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
}

/* Resolve p before the call and say what the kernel will answer, when
 * that follows from the tree alone (docs/tracer.md, "One stop"); with
 * PRED_CREDS, from the tree and the caller's credentials ("Two
 * channels"), always. */
int predict_pop(struct tracer *t, pid_t tid, struct pop *p, unsigned need)
{
	if (!p->path || !p->path[0] || (p->path[0] != '/' && !p->base))
		return 0;   /* record_pop records nothing whatever the result */
	struct tcreds creds = { .tid = tid };
	struct walk w = { .t = t, .tid = tid, .done = STRBUF_INIT, .probe_last = true,
			  .exact = true, .creds = need & PRED_CREDS ? &creds : NULL };
	if (p->path[0] != '/' && strcmp(p->base, "/"))
		strbuf_adds(&w.done, p->base);
	enum step s = walk(&w, p->path, p->nofollow);
	if (!w.done.len)
		strbuf_adds(&w.done, "/");
	free(p->resolved);
	p->resolved = strbuf_detach(&w.done);
	int r = start_search(t, w.creds, p);
	if (r)
		return r;
	if (!w.creds && !w.exact)
		return PREDICT_UNKNOWN;
	if (w.text)
		return proc_result(t, tid, p->resolved, p->nofollow);
	if (s == STEP_MISSING)
		return -ENOENT;
	if (w.denied)
		return -EACCES;
	mode_t m = w.mode;
	if (s == STEP_OK && !m && w.creds) {   /* a last "." or "..": the directory */
		struct stat st;
		const char *rel = strcmp(p->resolved, "/") ? p->resolved + 1 : ".";
		m = fstatat(t->root_dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_mode : 0;
	}
	if (s != STEP_OK || !m) {   /* ELOOP, or a lookup of ours that failed */
		if (!w.creds)
			return PREDICT_UNKNOWN;
		return w.links > MAX_SYMLINKS ? -ELOOP : -EIO;
	}
	if (S_ISLNK(m)) {   /* only where the last component is not followed */
		if (!(need & (NEED_NOLINK | NEED_DIR | NEED_READ)))
			return 0;
		if (!w.creds)
			return PREDICT_UNKNOWN;
		return need & NEED_DIR ? -ENOTDIR : -ELOOP;   /* O_NOFOLLOW on a link */
	}
	if (need & NEED_LINK)
		return -EINVAL;   /* readlink of anything but a symlink */
	if ((need & NEED_DIR) && !S_ISDIR(m))
		return -ENOTDIR;
	if ((need & NEED_READ) && (!(S_ISREG(m) || S_ISDIR(m)) || (m & 0444) != 0444))
		/* a FIFO, a device; or not readable by all */
		return w.creds ? creds_may(t, w.creds, p->resolved, MAY_READ) : PREDICT_UNKNOWN;
	return 0;
}

void record_pop(struct tracer *t, pid_t tid, const struct pop *p, int64_t rval)
{
	if (!p->path)
		return;
	if (!p->path[0])
		return;   /* "" is ENOENT, or AT_EMPTY_PATH on the fd itself */
	if (p->path[0] != '/' && !p->base)
		return;   /* relative to something outside the root: warned */
	/* resolved before a read-only call (predict_pop): the call did not
	 * change the tree, the walk need not be done again */
	cleanup_free char *res = p->resolved ? xstrdup(p->resolved)
					     : resolve_path(t, tid, p->base, p->path, p->nofollow, NULL);
	unsigned use = p->use;
	if (rval == -ENOENT || rval == -ENOTDIR)
		use = TRACER_MISSING;
	else if (rval == -EEXIST)
		use = TRACER_STAT;
	else if (rval < 0)
		use = TRACER_ERROR;
	path_use(t, res, use);
	if (rval >= 0 && (use & TRACER_READ))
		t->open_gen++;
	if (rval >= 0 && (use & TRACER_READ) && looks_like_lib(res))
		lib_add(t, res);
}

/* ---- /proc/PID/maps ----------------------------------------------------- */

void record_maps(struct tracer *t, pid_t tgid, bool at_exec)
{
	char name[64];
	snprintf(name, sizeof(name), "/proc/%d/exe", (int)tgid);
	cleanup_free char *exe_raw = read_link(name);
	cleanup_free char *exe = exe_raw ? strip_root(t, exe_raw) : NULL;
	snprintf(name, sizeof(name), "/proc/%d/maps", (int)tgid);
	cleanup_fclose FILE *f = fopen(name, "re");
	if (!f)
		return;
	char line[PATH_MAX + 256];
	cleanup_free char *prev = NULL;
	while (fgets(line, sizeof(line), f)) {
		size_t l = strlen(line);
		if (l && line[l - 1] == '\n')
			line[--l] = 0;
		char perms[8];
		int off = 0;
		if (sscanf(line, "%*s %7s %*s %*s %*s%n", perms, &off) != 1 || !strchr(perms, 'x'))
			continue;
		const char *p = line + off;
		while (*p == ' ')
			p++;
		cleanup_free char *in = strip_root(t, p);
		if (!in || (prev && !strcmp(prev, in)))
			continue;
		free(prev);
		prev = xstrdup(in);
		bool is_exe = exe && !strcmp(exe, in);
		if (at_exec)
			path_use(t, in, TRACER_EXEC)->count--;   /* mapped, not named */
		if (!is_exe)
			lib_add(t, in);
	}
}
