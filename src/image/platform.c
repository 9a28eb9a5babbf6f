/* Platforms in Go/OCI terms ("linux/arm64/v8"), as image indexes name them.
 *
 * Users and kernels use other spellings (x86_64, aarch64, armhf, i686), so
 * everything goes through one normalization, and matching compares
 * normalized values with the defaults the OCI image spec implies: arm64
 * without a variant is v8, arm without one is v7. */
#include "image/image.h"

#include <ctype.h>
#include <sys/utsname.h>

#define FIELD_MAX 32   /* sizeof(struct platform.os) */

struct alias {
	const char *from, *arch, *variant;   /* variant: only when none was given */
};

static const struct alias arch_aliases[] = {
	{ "x86_64", "amd64", NULL },   { "x86-64", "amd64", NULL },
	{ "i386", "386", NULL },       { "i486", "386", NULL },
	{ "i586", "386", NULL },       { "i686", "386", NULL },
	{ "x86", "386", NULL },        { "aarch64", "arm64", NULL },
	{ "armhf", "arm", "v7" },      { "armel", "arm", "v6" },
	{ "armv5l", "arm", "v5" },     { "armv6l", "arm", "v6" },
	{ "armv7l", "arm", "v7" },     { "armv8l", "arm", "v8" },
	{ "ppc64el", "ppc64le", NULL }, { "powerpc64le", "ppc64le", NULL },
	{ "loongarch64", "loong64", NULL },
};

static void set_field(char dst[FIELD_MAX], const char *src)
{
	snprintf(dst, FIELD_MAX, "%s", src);
}

/* Aliases of arch, then variant spellings: arm's "7" is "v7", amd64's
 * "v1" is the baseline (no variant). */
static void normalize(struct platform *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_aliases); i++)
		if (!strcmp(p->arch, arch_aliases[i].from)) {
			set_field(p->arch, arch_aliases[i].arch);
			if (arch_aliases[i].variant && !p->variant[0])
				set_field(p->variant, arch_aliases[i].variant);
			break;
		}
	bool arm = !strcmp(p->arch, "arm") || !strcmp(p->arch, "arm64");
	if (arm && p->variant[0] >= '0' && p->variant[0] <= '9' &&
	    strlen(p->variant) < FIELD_MAX - 1) {
		memmove(p->variant + 1, p->variant, strlen(p->variant) + 1);
		p->variant[0] = 'v';
	}
	if (!strcmp(p->arch, "amd64") && !strcmp(p->variant, "v1"))
		p->variant[0] = '\0';
	if (!strcmp(p->os, "macos"))
		set_field(p->os, "darwin");
}

/* The variant an entry really means when it names none. */
static const char *effective_variant(const struct platform *p)
{
	if (p->variant[0])
		return p->variant;
	if (!strcmp(p->arch, "arm64"))
		return "v8";
	if (!strcmp(p->arch, "arm"))
		return "v7";
	return "";
}

/* Lower-case copy of [s, s+len) into dst; false when it doesn't fit or has
 * characters other than [A-Za-z0-9_-]. */
static bool copy_field(char dst[FIELD_MAX], const char *s, size_t len)
{
	if (len >= FIELD_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isascii(c) || (!isalnum(c) && c != '_' && c != '-'))
			return false;
		dst[i] = (char)tolower(c);
	}
	dst[len] = '\0';
	return true;
}

int platform_parse(const char *s, struct platform *p, struct qerr *err)
{
	memset(p, 0, sizeof(*p));
	const char *a = strchr(s, '/');
	const char *v = a ? strchr(a + 1, '/') : NULL;
	if (!a || a == s || !a[1] || a[1] == '/' || (v && (!v[1] || strchr(v + 1, '/'))))
		return q_error(err, 0, "platform '%s': expected OS/ARCH[/VARIANT]", s);
	size_t alen = v ? (size_t)(v - a - 1) : strlen(a + 1);
	if (!copy_field(p->os, s, (size_t)(a - s)) || !copy_field(p->arch, a + 1, alen) ||
	    (v && !copy_field(p->variant, v + 1, strlen(v + 1)))) {
		memset(p, 0, sizeof(*p));
		return q_error(err, 0, "platform '%s': each part must be 1 to %d letters, digits, "
				       "'_' or '-'", s, FIELD_MAX - 1);
	}
	normalize(p);
	return 0;
}

/* The variant of a 32-bit arm host: the kernel's machine name says it
 * (armv7l); else what this program was built for; else v7, the common case. */
static void arm_variant(const char *machine, char variant[FIELD_MAX])
{
	if (!strncmp(machine, "armv", 4) && machine[4] >= '5' && machine[4] <= '8') {
		snprintf(variant, FIELD_MAX, "v%c", machine[4]);
		return;
	}
#if defined(__ARM_ARCH) && __ARM_ARCH >= 5 && __ARM_ARCH <= 8
	snprintf(variant, FIELD_MAX, "v%d", __ARM_ARCH);
#else
	set_field(variant, "v7");
#endif
}

void platform_host(struct platform *p)
{
	memset(p, 0, sizeof(*p));
	struct utsname u;
	if (uname(&u) < 0) {
		set_field(u.sysname, "linux");
		set_field(u.machine, "");
	}
	if (!copy_field(p->os, u.sysname, strlen(u.sysname)))
		set_field(p->os, "linux");
	if (!copy_field(p->arch, u.machine, strlen(u.machine)))
		set_field(p->arch, "unknown");
	normalize(p);
	/* A 32-bit build on a 64-bit kernel runs 32-bit images, as Go's
	 * GOARCH would say. */
#if defined(__arm__)
	if (!strcmp(p->arch, "arm64"))
		set_field(p->arch, "arm");
#elif defined(__i386__)
	if (!strcmp(p->arch, "amd64"))
		set_field(p->arch, "386");
#endif
	if (!strcmp(p->arch, "arm") && !p->variant[0])
		arm_variant(u.machine, p->variant);
	else if (!strcmp(p->arch, "arm64"))
		set_field(p->variant, "v8");
}

bool platform_match(const struct platform *want, const char *os, const char *arch,
		    const char *variant)
{
	if (!want)
		return true;
	struct platform have = { { 0 } };
	if (!copy_field(have.os, os ? os : "", os ? strlen(os) : 0) ||
	    !copy_field(have.arch, arch ? arch : "", arch ? strlen(arch) : 0) ||
	    !copy_field(have.variant, variant ? variant : "", variant ? strlen(variant) : 0))
		return false;
	normalize(&have);
	/* want was normalized by platform_parse or platform_host; normalize a
	 * copy anyway, for callers that filled it by hand. */
	struct platform w = *want;
	normalize(&w);
	if (w.os[0] && strcmp(w.os, have.os))
		return false;
	if (w.arch[0] && strcmp(w.arch, have.arch))
		return false;
	if (!w.variant[0])
		return true;
	return !strcmp(effective_variant(&w), effective_variant(&have));
}
