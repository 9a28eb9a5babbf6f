/* --gpu: the NVIDIA devices, /proc/driver/nvidia and the host's driver
 * libraries, found the way the dynamic loader finds them (the host's
 * ld.so.cache) or in --gpu-driver-dir, bound read-only into the image's
 * library directory — what the NVIDIA container toolkit injects. */
#include "sandbox_internal.h"
#include "catalog/catalog.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#define LDCACHE_MAX (64u << 20)
#define GPU_MAX_FILES 512

bool gpu_driver_lib(const char *name)
{
	static const char *const prefixes[] = {
		"libcuda.so", "libcudadebugger.so", "libnvidia-", "libnvcuvid.so",
		"libnvoptix.so", "libGLX_nvidia.so", "libEGL_nvidia.so", "libGLESv2_nvidia.so",
		"libGLESv1_CM_nvidia.so",
	};
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (str_starts_with(name, prefixes[i]))
			return strstr(name, ".so") != NULL;
	return false;
}

/* Only libraries of our own ELF machine (the cache also lists 32-bit ones). */
static bool same_machine(const char *path)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;
	if (fd < 0 || read(fd, &eh, sizeof(eh)) != (ssize_t)sizeof(eh))
		return false;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return false;
#if defined(__x86_64__)
	return eh.e_machine == EM_X86_64;
#elif defined(__aarch64__)
	return eh.e_machine == EM_AARCH64;
#else
	return true;
#endif
}

struct lib_list {
	struct strvec names, paths;   /* soname as listed, host path */
};

static void lib_add(void *ctx, const char *name, const char *path)
{
	struct lib_list *l = ctx;
	if (!gpu_driver_lib(name) || l->names.n >= GPU_MAX_FILES)
		return;
	for (size_t i = 0; i < l->names.n; i++)
		if (!strcmp(l->names.v[i], name))
			return;   /* the first entry is the one the loader takes */
	if (!same_machine(path))
		return;
	strvec_push(&l->names, name);
	strvec_push(&l->paths, path);
}

static int libs_from_cache(struct lib_list *l, struct qerr *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	struct ldcache c;
	if (read_file_at(AT_FDCWD, "/etc/ld.so.cache", LDCACHE_MAX, &data, &len, err) < 0 ||
	    ldcache_parse(data, len, &c, err) < 0)
		return -1;
	for (size_t i = 0; i < c.n; i++)
		lib_add(l, c.v[i].key, c.v[i].value);
	ldcache_release(&c);
	return 0;
}

static int libs_from_dir(struct lib_list *l, const char *dir, struct qerr *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return q_error(err, errno, "open '%s'", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		cleanup_free char *path = xasprintf("%s/%s", dir, de->d_name);
		lib_add(l, de->d_name, path);
	}
	closedir(d);
	return 0;
}

static void add_bind(struct sb_plan *p, const char *src, const char *dst, enum sb_bind_kind kind,
		     bool optional)
{
	p->binds = xgrow(p->binds, &p->binds_cap, p->n_binds + 1, sizeof(*p->binds));
	p->binds[p->n_binds++] = (struct sb_bind){ xstrdup(src), xstrdup(dst), true, kind,
						   optional, -1 };
}

static void inject(struct sb_plan *p, const char *host, const char *path)
{
	p->injected = xgrow(p->injected, &p->injected_cap, p->n_injected + 1,
			    sizeof(*p->injected));
	p->injected[p->n_injected++] = (struct sandbox_injected){ xstrdup(host), xstrdup(path) };
}

/* /dev/nvidia0, /dev/nvidiactl, /dev/nvidia-uvm…, /dev/nvidia-caps. */
static void gpu_devices(struct sb_plan *p)
{
	DIR *d = opendir("/dev");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!str_starts_with(de->d_name, "nvidia"))
			continue;
		cleanup_free char *path = xasprintf("/dev/%s", de->d_name);
		struct stat st;
		if (lstat(path, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISDIR(st.st_mode)))
			continue;
		add_bind(p, path, path, S_ISDIR(st.st_mode) ? SB_BIND_DIR : SB_BIND_FILE, true);
		p->binds[p->n_binds - 1].ro = false;
		inject(p, path, path);
	}
	if (d)
		closedir(d);
	if (access("/proc/driver/nvidia", F_OK) == 0) {
		add_bind(p, "/proc/driver/nvidia", "/proc/driver/nvidia", SB_BIND_PROC, true);
		inject(p, "/proc/driver/nvidia", "/proc/driver/nvidia");
	}
}

/* The driver's tools (nvidia-smi…) into /usr/bin, and its GSP firmware
 * at the same path, as the toolkit mounts them. */
static void gpu_tools(struct sb_plan *p, const char *driver_dir)
{
	static const char *const tools[] = { "nvidia-smi", "nvidia-debugdump",
		"nvidia-persistenced", "nvidia-cuda-mps-control", "nvidia-cuda-mps-server" };
	const char *dirs[] = { driver_dir, "/usr/bin", "/usr/sbin", "/bin", "/usr/local/bin" };
	for (size_t t = 0; t < ARRAY_SIZE(tools); t++) {
		for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
			if (!dirs[d])
				continue;
			cleanup_free char *path = xasprintf("%s/%s", dirs[d], tools[t]);
			cleanup_free char *dst = xasprintf("/usr/bin/%s", tools[t]);
			char real[PATH_MAX];
			if (!realpath(path, real) || access(real, X_OK) < 0)
				continue;
			add_bind(p, real, dst, SB_BIND_FILE, false);
			inject(p, real, dst);
			break;
		}
	}
	DIR *d = opendir("/lib/firmware/nvidia");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		cleanup_free char *dir = xasprintf("/lib/firmware/nvidia/%s", de->d_name);
		struct stat st;
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			add_bind(p, dir, dir, SB_BIND_DIR, true);
			inject(p, dir, dir);
		}
	}
	if (d)
		closedir(d);
}

/* Each library bound under its real name; the soname the cache lists
 * becomes a symlink to it, as the driver installs them. */
static void gpu_libs(struct sb_plan *p, const struct lib_list *l, const char *libdir)
{
	for (size_t i = 0; i < l->paths.n; i++) {
		char real[PATH_MAX];
		if (!realpath(l->paths.v[i], real))
			continue;
		const char *base = strrchr(real, '/') + 1;
		cleanup_free char *dst = xasprintf("%s/%s", libdir, base);
		bool dup = false;
		for (size_t j = 0; j < p->n_binds; j++)
			dup |= !strcmp(p->binds[j].dst, dst);
		if (!dup) {
			add_bind(p, real, dst, SB_BIND_FILE, false);
			inject(p, real, dst);
		}
		if (strcmp(base, l->names.v[i])) {
			strvec_take(&p->links, xasprintf("%s/%s", libdir, l->names.v[i]));
			strvec_push(&p->links, base);
		}
	}
}

int sb_plan_gpu(struct sb_plan *p, int root_fd, const char *driver_dir, struct qerr *err)
{
	struct lib_list l = { STRVEC_INIT, STRVEC_INIT };
	int rc = driver_dir ? libs_from_dir(&l, driver_dir, err) : libs_from_cache(&l, err);
	if (rc < 0) {
		strvec_clear(&l.names);
		strvec_clear(&l.paths);
		return q_error_wrap(err, "gpu driver libraries");
	}
	/* The image's own library directory (Debian's multiarch one first). */
	static const char *const dirs[] = {
#if defined(__x86_64__)
		"usr/lib/x86_64-linux-gnu",
#elif defined(__aarch64__)
		"usr/lib/aarch64-linux-gnu",
#endif
		"usr/lib64", "usr/lib",
	};
	const char *libdir = "usr/lib";
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		struct qerr ignored = QERR_INIT;
		int fd = fs_open_in_root(root_fd, dirs[i], O_PATH | O_DIRECTORY, 0, &ignored);
		if (fd >= 0) {
			close(fd);
			libdir = dirs[i];
			break;
		}
	}
	p->libdir = xasprintf("/%s", libdir);
	gpu_devices(p);
	gpu_libs(p, &l, p->libdir);
	gpu_tools(p, driver_dir);
	strvec_clear(&l.names);
	strvec_clear(&l.paths);
	return 0;
}
