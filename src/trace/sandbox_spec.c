/* Pure parts of the sandbox: --mount specs, the command, the environment and
 * the user, from options and from an untrusted image config. */
#include "trace.h"
#include "fs/fs.h"

#include <errno.h>
#include <limits.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* An absolute path inside the sandbox, cleaned; ".." refused so that a
 * mount target reads as what it is. */
static char *clean_abs(const char *p, const char *what, struct qerr *err)
{
	if (p[0] != '/') {
		q_error(err, 0, "%s '%s' is not an absolute path", what, p);
		return NULL;
	}
	char *c = fs_clean_path(p, err);
	if (!c) {
		q_error_wrap(err, "%s", what);
		return NULL;
	}
	char *abs = strcmp(c, ".") ? xasprintf("/%s", c) : xstrdup("/");
	free(c);
	return abs;
}

int sandbox_mount_parse(const char *s, struct sandbox_mount *m, struct qerr *err)
{
	memset(m, 0, sizeof(*m));
	cleanup_free char *copy = xstrdup(s);
	char *dst = strchr(copy, ':');
	if (!dst || dst == copy)
		return q_error(err, 0, "mount '%s': expected SRC:DST[:ro|:rw]", s);
	*dst++ = '\0';
	char *mode = strchr(dst, ':');
	if (mode) {
		*mode++ = '\0';
		if (!strcmp(mode, "ro"))
			m->ro = true;
		else if (strcmp(mode, "rw"))
			return q_error(err, 0, "mount '%s': mode '%s' is neither ro nor rw", s, mode);
	}
	m->dst = clean_abs(dst, "mount destination", err);
	if (!m->dst)
		return q_error_wrap(err, "mount '%s'", s);
	if (!strcmp(m->dst, "/")) {
		sandbox_mount_release(m);
		return q_error(err, 0, "mount '%s': cannot mount over the root", s);
	}
	if (copy[0] == '/') {
		m->src = xstrdup(copy);
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd))) {
			sandbox_mount_release(m);
			return q_error(err, errno, "mount '%s': current directory", s);
		}
		m->src = xasprintf("%s/%s", cwd, copy);
	}
	return 0;
}

void sandbox_mount_release(struct sandbox_mount *m)
{
	free(m->src);
	free(m->dst);
	m->src = m->dst = NULL;
}

int sandbox_argv(const struct image_config *cfg, const struct strvec *entrypoint,
		 const struct strvec *cmd, struct strvec *argv, struct qerr *err)
{
	const struct strvec *ep = entrypoint ? entrypoint : &cfg->entrypoint;
	const struct strvec *args = cmd && cmd->n ? cmd : entrypoint ? NULL : &cfg->cmd;
	for (size_t i = 0; i < ep->n; i++)
		strvec_push(argv, ep->v[i]);
	for (size_t i = 0; args && i < args->n; i++)
		strvec_push(argv, args->v[i]);
	if (argv->n == 0 || !argv->v[0][0])
		return q_error(err, 0, "no command: the image has no entrypoint or cmd, give one after --");
	return 0;
}

static size_t key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

static void env_set(struct strvec *env, const char *kv)
{
	size_t k = key_len(kv);
	for (size_t i = 0; i < env->n; i++) {
		if (key_len(env->v[i]) == k && !strncmp(env->v[i], kv, k)) {
			free(env->v[i]);
			env->v[i] = xstrdup(kv);
			return;
		}
	}
	strvec_push(env, kv);
}

void sandbox_env(const struct image_config *cfg, const struct strvec *overrides,
		 struct strvec *env)
{
	for (size_t i = 0; i < cfg->env.n; i++)
		if (strchr(cfg->env.v[i], '='))
			env_set(env, cfg->env.v[i]);
	for (size_t i = 0; overrides && i < overrides->n; i++)
		env_set(env, overrides->v[i]);
	bool has_path = false;
	for (size_t i = 0; i < env->n; i++)
		has_path |= str_starts_with(env->v[i], "PATH=");
	if (!has_path)
		strvec_push(env, "PATH=" DEFAULT_PATH);
}

/* Field n (0-based) of a colon-separated line, into a fresh string. */
static char *field(const char *line, size_t len, int n)
{
	const char *p = line, *end = line + len;
	for (int i = 0; i < n; i++) {
		p = memchr(p, ':', (size_t)(end - p));
		if (!p)
			return NULL;
		p++;
	}
	const char *q = memchr(p, ':', (size_t)(end - p));
	return xstrndup(p, (size_t)((q ? q : end) - p));
}

static int parse_id(const char *s, uint32_t *id)
{
	uint64_t v;
	/* (uid_t)-1 means "unchanged" to setresuid: never an id. */
	if (parse_u64(s, UINT32_MAX - 1, &v) < 0)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

/* Find the line of db whose field key_field equals key; return its
 * fields id_field (and extra_field when asked). */
static bool db_find(const char *db, int key_field, const char *key, int id_field,
		    uint32_t *id, int extra_field, char **extra)
{
	for (const char *line = db; db && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		cleanup_free char *k = field(line, len, key_field);
		cleanup_free char *v = field(line, len, id_field);
		if (k && v && !strcmp(k, key) && parse_id(v, id) == 0) {
			if (extra)
				*extra = field(line, len, extra_field);
			return true;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return false;
}

int sandbox_user_lookup(const char *spec, const char *passwd, const char *group, uid_t *uid,
			gid_t *gid, char **home, struct qerr *err)
{
	*home = NULL;
	cleanup_free char *user = xstrdup(spec && *spec ? spec : "0");
	char *grp = strchr(user, ':');
	if (grp)
		*grp++ = '\0';
	uint32_t u, g = 0;
	bool by_number = parse_id(user, &u) == 0;
	char uidstr[16];
	if (!by_number && !db_find(passwd, 0, user, 2, &u, 5, home))
		return q_error(err, 0, "user '%s' is not in the image's /etc/passwd", user);
	snprintf(uidstr, sizeof(uidstr), "%u", u);
	if (by_number)
		db_find(passwd, 2, uidstr, 2, &u, 5, home);
	/* The primary group: given, else the passwd entry's, else 0. */
	if (grp && *grp) {
		if (parse_id(grp, &g) < 0 && !db_find(group, 0, grp, 2, &g, 0, NULL)) {
			free(*home);
			*home = NULL;
			return q_error(err, 0, "group '%s' is not in the image's /etc/group", grp);
		}
	} else {
		db_find(passwd, 2, uidstr, 3, &g, 0, NULL);
	}
	*uid = u;
	*gid = g;
	return 0;
}
