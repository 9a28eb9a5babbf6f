/* elf: hash and parse an ELF file as it streams by, without seeking.
 *
 * Every byte is hashed. The first ELF_PREFIX_MAX bytes are kept: they hold
 * the ELF header, the program headers, PT_INTERP, the notes, .dynstr and
 * usually .dynamic of ordinary binaries and libraries (less when the first
 * PT_LOAD is read-only: then .dynstr is in it and the code after it is not
 * kept; see trim_prefix). Whatever the headers
 * point at beyond that prefix is captured as a planned range when it is
 * known before its bytes go by (program headers far out, a .dynamic or a
 * note deep in a big library, a string table after .dynamic); what lies
 * behind the stream's position when we learn of it is lost, and the result
 * simply lacks it. Every offset and size comes from the file and is checked
 * against what was captured; every count is bounded.
 *
 * Go build info (".go.buildinfo", which sits in the data segment, anywhere
 * in a big binary) is found by its magic at 16-aligned file offsets while
 * streaming; then the bytes after it are captured and decoded.
 *
 * Memory per scan: at most the prefix (4 MiB), plus the planned ranges
 * (bounded below, 2.3 MiB at worst), plus the Go capture (GO_MAX), whatever
 * the file's size; the prefix is dropped as soon as nothing more is needed
 * from it.
 *
 * Cost per byte beyond SHA-256: the build info search looks at one byte in
 * 16, eight at a time with one branch, on what the hash just read.
 *
 * After elf_scan_finish only elf_scan_free may be called.
 */
#include "catalog_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define ELF_PREFIX_MAX (4u << 20)
#define PHDRS_MAX (256u << 10)      /* program header table */
#define INTERP_MAX 4096u
#define NOTE_MAX (64u << 10)        /* captured of one PT_NOTE */
#define NOTES_MAX 16                /* PT_NOTE segments looked at */
#define DYNAMIC_MAX (512u << 10)    /* of PT_DYNAMIC */
#define STRTAB_SPAN_MAX (512u << 10)   /* captured of a string table out of the prefix */
#define NAME_MAX_LEN 4096u          /* a DT_NEEDED / DT_SONAME string */
#define NEEDED_MAX 4096u
#define LOADS_MAX 64u               /* PT_LOAD segments used to map addresses */
#define BUILD_ID_MAX 64u            /* bytes of NT_GNU_BUILD_ID */
#define RANGES_MAX (4 + NOTES_MAX)

#define GO_MAGIC "\xff Go buildinf:"
#define GO_MAGIC_LEN 14
#define GO_HDR 32                  /* magic, ptrsize, flags, padding */
#define GO_MAX (1u << 20)          /* version + modinfo captured */

#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_NOTE 4
#define DT_NULL 0
#define DT_NEEDED 1
#define DT_STRTAB 5
#define DT_STRSZ 10
#define DT_SONAME 14
#define NT_GNU_BUILD_ID 3
#define PN_XNUM 0xffff

/* A byte range of the file beyond the prefix, captured as it streams by. */
struct range {
	uint64_t off;
	size_t len, got;
	unsigned char *buf;
	bool lost;            /* part of it had gone by before it was planned */
};

struct load {
	uint64_t off, vaddr, filesz;
};

/* Something the headers point at: where, how much, and how to get it. */
struct want {
	uint64_t off;
	size_t len;
	int range;            /* index in ranges, or -1 when in the prefix */
	bool planned, done;
};

enum go_state { GO_SEARCH, GO_CAPTURE, GO_DONE };

struct elf_scan {
	struct sha256 hash;
	uint64_t pos;                 /* bytes fed so far */
	uint64_t chunk_start;         /* offset of the chunk being fed */
	const unsigned char *chunk;   /* during feed only */
	size_t chunk_len;

	unsigned char *prefix;        /* the first prefix_len bytes */
	size_t prefix_len, prefix_cap;
	size_t prefix_max;            /* kept at most: ELF_PREFIX_MAX or less */
	bool prefix_stop;             /* everything needed was had: stop keeping */

	struct range ranges[RANGES_MAX];
	size_t n_ranges;

	/* ELF header */
	bool hdr_done, bad;           /* bad: not an ELF file we can read */
	const char *why;
	bool be;
	uint8_t cls;
	uint16_t machine, type;
	uint64_t phoff;
	size_t phentsize, phnum;

	/* program headers */
	struct want phdrs;
	bool ph_done, ph_lost;
	struct load loads[LOADS_MAX];
	size_t n_loads;
	struct want interp, dynamic;
	struct want notes[NOTES_MAX];
	uint64_t note_align[NOTES_MAX];
	size_t n_notes;

	/* dynamic section */
	bool dyn_parsed;
	uint64_t *needed;             /* string offsets */
	size_t n_needed;
	uint64_t soname;
	bool has_soname, has_strtab;
	uint64_t strtab_addr, strsz;
	struct want strtab;           /* the span of the string table we need */
	uint64_t str_base;            /* offset in the table where strtab.off is */

	char *interp_str, *build_id;

	/* Go build info */
	enum go_state go;
	uint64_t go_off;              /* file offset of the candidate */
	unsigned char *go_buf;
	size_t go_len, go_cap, go_want;
	char *go_version, *go_modinfo;
};

bool elf_magic(const void *head, size_t len)
{
	return len >= 4 && !memcmp(head, "\177ELF", 4);
}

struct elf_scan *elf_scan_new(void)
{
	struct elf_scan *s = xcalloc(1, sizeof(*s));
	sha256_init(&s->hash);
	s->prefix_max = ELF_PREFIX_MAX;
	s->phdrs.range = s->interp.range = s->dynamic.range = s->strtab.range = -1;
	for (size_t i = 0; i < NOTES_MAX; i++)
		s->notes[i].range = -1;
	return s;
}

/* ---- reading fields ------------------------------------------------------ */

static uint16_t rd16(const struct elf_scan *s, const unsigned char *p)
{
	return s->be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t rd32(const struct elf_scan *s, const unsigned char *p)
{
	if (s->be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t rd64(const struct elf_scan *s, const unsigned char *p)
{
	uint64_t hi = rd32(s, p), lo = rd32(s, p + 4);
	if (!s->be) {
		uint64_t t = hi;
		hi = lo;
		lo = t;
	}
	return hi << 32 | lo;
}

/* A word: 4 bytes in a 32-bit file, 8 in a 64-bit one. */
static uint64_t rdw(const struct elf_scan *s, const unsigned char *p)
{
	return s->cls == 2 ? rd64(s, p) : rd32(s, p);
}

/* ---- captures ------------------------------------------------------------ */

/* Copy the part of the chunk [chunk_start, chunk_start+chunk_len) that falls
 * in r. */
static void range_take(struct elf_scan *s, struct range *r)
{
	uint64_t cs = s->chunk_start, ce = cs + s->chunk_len;
	uint64_t want = r->off + r->got, end = r->off + r->len;
	if (r->lost || r->got == r->len || want >= ce || end <= cs)
		return;
	if (want < cs) {   /* a gap: bytes went by uncaptured */
		r->lost = true;
		return;
	}
	uint64_t stop = end < ce ? end : ce;
	memcpy(r->buf + r->got, s->chunk + (want - cs), (size_t)(stop - want));
	r->got += (size_t)(stop - want);
}

/* The bytes [off, off+len) when all of them were captured, else NULL. */
static const unsigned char *avail(const struct elf_scan *s, const struct want *w)
{
	if (w->range >= 0) {
		const struct range *r = &s->ranges[w->range];
		return r->got == r->len ? r->buf : NULL;
	}
	if (w->off <= s->prefix_len && w->len <= s->prefix_len - w->off)
		return s->prefix + w->off;
	return NULL;
}

/* Has w become impossible to get? */
static bool lost(const struct elf_scan *s, const struct want *w)
{
	if (w->range >= 0)
		return s->ranges[w->range].lost;
	/* In the prefix: lost only if the prefix stopped short of it. */
	return s->pos >= w->off + w->len && !avail(s, w);
}

/* Arrange to get [off, off+len): from the prefix when it will be there,
 * else a range. Bytes of it already passed must be in the prefix, or it is
 * lost. Returns false when it cannot be had. */
static bool plan(struct elf_scan *s, struct want *w, uint64_t off, size_t len)
{
	w->off = off;
	w->len = len;
	w->planned = true;
	w->range = -1;
	if (off > UINT64_MAX - len)
		goto lost;
	if (off + len <= s->prefix_max && !s->prefix_stop) {
		if (s->prefix_len == s->pos || off + len <= s->prefix_len)
			return true;
		goto lost;
	}
	/* Beyond the prefix: bytes before the stream position must come from
	 * what the prefix kept. */
	uint64_t have_to = s->prefix_len;   /* prefix covers [0, prefix_len) */
	uint64_t first_missing = off > have_to ? off : have_to;
	if ((first_missing < s->chunk_start && first_missing < off + len) ||
	    s->n_ranges == RANGES_MAX)
		goto lost;
	struct range *r = &s->ranges[s->n_ranges];
	memset(r, 0, sizeof(*r));
	r->off = off;
	r->len = len;
	r->buf = xmalloc(len ? len : 1);
	if (off < s->prefix_len) {
		size_t n = (size_t)(s->prefix_len - off);
		if (n > len)
			n = len;
		memcpy(r->buf, s->prefix + off, n);
		r->got = n;
	}
	w->range = (int)s->n_ranges++;
	range_take(s, r);
	return true;
lost:
	w->done = true;   /* settled: nothing to wait for */
	return false;
}

/* ---- the ELF header and program headers ------------------------------------ */

static void parse_header(struct elf_scan *s)
{
	const unsigned char *h = s->prefix;
	size_t hsize;
	if (s->prefix_len < 16)
		return;
	if (!elf_magic(h, 16)) {
		s->bad = true;
		s->why = "no ELF magic";
		return;
	}
	if (h[4] != 1 && h[4] != 2) {
		s->bad = true;
		s->why = "unknown ELF class";
		return;
	}
	if (h[5] != 1 && h[5] != 2) {
		s->bad = true;
		s->why = "unknown ELF data encoding";
		return;
	}
	s->cls = h[4];
	s->be = h[5] == 2;
	hsize = s->cls == 2 ? 64 : 52;
	if (s->prefix_len < hsize)
		return;
	s->type = rd16(s, h + 16);
	s->machine = rd16(s, h + 18);
	if (s->cls == 2) {
		s->phoff = rd64(s, h + 32);
		s->phentsize = rd16(s, h + 54);
		s->phnum = rd16(s, h + 56);
	} else {
		s->phoff = rd32(s, h + 28);
		s->phentsize = rd16(s, h + 42);
		s->phnum = rd16(s, h + 44);
	}
	s->hdr_done = true;
	if (s->phnum == 0) {
		s->ph_done = true;   /* a relocatable object: nothing more to read */
		return;
	}
	size_t min_ent = s->cls == 2 ? 56 : 32;
	if (s->phnum == PN_XNUM || s->phentsize < min_ent ||
	    s->phnum * s->phentsize > PHDRS_MAX ||
	    !plan(s, &s->phdrs, s->phoff, s->phnum * s->phentsize)) {
		s->ph_lost = true;
		s->ph_done = true;
	}
}

/* Where the linker puts .dynstr: with code in a segment of its own (the
 * default of GNU ld, gold, lld and mold), the first PT_LOAD is read-only and
 * holds the headers, .interp, the notes, .dynsym and .dynstr, and no code.
 * Then the prefix need not go past it: a library's code is not copied. */
static void trim_prefix(struct elf_scan *s, const unsigned char *ph)
{
	for (size_t i = 0; i < s->phnum; i++) {
		const unsigned char *p = ph + i * s->phentsize;
		if (rd32(s, p) != PT_LOAD)
			continue;
		uint32_t flags = s->cls == 2 ? rd32(s, p + 4) : rd32(s, p + 24);
		uint64_t off = s->cls == 2 ? rd64(s, p + 8) : rd32(s, p + 4);
		uint64_t filesz = s->cls == 2 ? rd64(s, p + 32) : rd32(s, p + 16);
		if (off != 0 || (flags & 1 /* PF_X */) || filesz < 64)
			return;   /* the first PT_LOAD is what the program headers list first */
		size_t max = filesz < ELF_PREFIX_MAX ? (size_t)filesz : ELF_PREFIX_MAX;
		s->prefix_max = max > s->prefix_len ? max : s->prefix_len;
		return;
	}
}

static void parse_phdrs(struct elf_scan *s, const unsigned char *ph)
{
	bool have_interp = false, have_dyn = false;
	trim_prefix(s, ph);
	for (size_t i = 0; i < s->phnum; i++) {
		const unsigned char *p = ph + i * s->phentsize;
		uint32_t type = rd32(s, p);
		uint64_t off, vaddr, filesz, align;
		if (s->cls == 2) {
			off = rd64(s, p + 8);
			vaddr = rd64(s, p + 16);
			filesz = rd64(s, p + 32);
			align = rd64(s, p + 48);
		} else {
			off = rd32(s, p + 4);
			vaddr = rd32(s, p + 8);
			filesz = rd32(s, p + 16);
			align = rd32(s, p + 28);
		}
		if (off > UINT64_MAX - filesz)
			continue;
		switch (type) {
		case PT_LOAD:
			if (s->n_loads < LOADS_MAX && vaddr <= UINT64_MAX - filesz)
				s->loads[s->n_loads++] = (struct load){ off, vaddr, filesz };
			break;
		case PT_INTERP:
			if (have_interp || !filesz)
				break;
			have_interp = true;
			plan(s, &s->interp, off, filesz < INTERP_MAX ? (size_t)filesz : INTERP_MAX);
			break;
		case PT_DYNAMIC:
			if (have_dyn || !filesz)
				break;
			have_dyn = true;
			plan(s, &s->dynamic, off, filesz < DYNAMIC_MAX ? (size_t)filesz : DYNAMIC_MAX);
			break;
		case PT_NOTE:
			if (s->n_notes == NOTES_MAX || !filesz)
				break;
			s->note_align[s->n_notes] = align;
			plan(s, &s->notes[s->n_notes], off,
			     filesz < NOTE_MAX ? (size_t)filesz : NOTE_MAX);
			s->n_notes++;
			break;
		default:
			break;
		}
	}
}

/* ---- what the program headers point at ----------------------------------- */

static void parse_interp(struct elf_scan *s, const unsigned char *p, size_t len)
{
	const unsigned char *nul = memchr(p, 0, len);
	size_t n = nul ? (size_t)(nul - p) : len;
	if (n)
		s->interp_str = cat_strndup((const char *)p, n);
}

static void parse_notes(struct elf_scan *s, const unsigned char *p, size_t len, uint64_t align)
{
	size_t a = align == 8 ? 8 : 4;
	size_t i = 0;
	while (!s->build_id && len - i >= 12) {
		uint32_t namesz = rd32(s, p + i), descsz = rd32(s, p + i + 4);
		uint32_t type = rd32(s, p + i + 8);
		size_t name_off = i + 12;
		if (namesz > len - name_off)
			return;
		size_t desc_off = name_off + ((namesz + (a - 1)) & ~(a - 1));
		if (desc_off > len || descsz > len - desc_off)
			return;
		if (type == NT_GNU_BUILD_ID && namesz == 4 && !memcmp(p + name_off, "GNU", 4) &&
		    descsz > 0 && descsz <= BUILD_ID_MAX) {
			static const char hex[] = "0123456789abcdef";
			char *b = xmalloc(2 * descsz + 1);
			for (size_t k = 0; k < descsz; k++) {
				b[2 * k] = hex[p[desc_off + k] >> 4];
				b[2 * k + 1] = hex[p[desc_off + k] & 15];
			}
			b[2 * descsz] = 0;
			s->build_id = b;
			return;
		}
		size_t next = desc_off + ((descsz + (a - 1)) & ~(a - 1));
		if (next <= i || next > len)   /* no progress, or padding past the end */
			return;
		i = next;
	}
}

/* The file offset of virtual address addr through the PT_LOAD segments;
 * false when none maps it. */
static bool map_addr(const struct elf_scan *s, uint64_t addr, uint64_t *off)
{
	for (size_t i = 0; i < s->n_loads; i++) {
		const struct load *l = &s->loads[i];
		if (addr >= l->vaddr && addr - l->vaddr < l->filesz) {
			*off = l->off + (addr - l->vaddr);
			return true;
		}
	}
	return false;
}

static void parse_dynamic(struct elf_scan *s, const unsigned char *p, size_t len)
{
	size_t ent = s->cls == 2 ? 16 : 8, w = ent / 2;
	for (size_t i = 0; i + ent <= len; i += ent) {
		uint64_t tag = rdw(s, p + i), val = rdw(s, p + i + w);
		if (tag == DT_NULL)
			break;
		switch (tag) {
		case DT_NEEDED:
			if (s->n_needed < NEEDED_MAX) {
				if (!s->needed)
					s->needed = xmalloc(NEEDED_MAX * sizeof(*s->needed));
				s->needed[s->n_needed++] = val;
			}
			break;
		case DT_SONAME:
			s->soname = val;
			s->has_soname = true;
			break;
		case DT_STRTAB:
			s->strtab_addr = val;
			s->has_strtab = true;
			break;
		case DT_STRSZ:
			s->strsz = val;
			break;
		default:
			break;
		}
	}
	s->dyn_parsed = true;
	if (!s->has_strtab || !s->strsz || (!s->n_needed && !s->has_soname))
		return;
	uint64_t stroff;
	if (!map_addr(s, s->strtab_addr, &stroff) || stroff > UINT64_MAX - s->strsz)
		return;
	/* The span of the table our strings are in (plus room for the longest
	 * name). */
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < s->n_needed + s->has_soname; i++) {
		uint64_t o = i < s->n_needed ? s->needed[i] : s->soname;
		if (o >= s->strsz)
			continue;
		if (o < lo)
			lo = o;
		if (o > hi)
			hi = o;
	}
	if (lo > hi)
		return;
	hi = hi + NAME_MAX_LEN < s->strsz ? hi + NAME_MAX_LEN : s->strsz;
	/* Out of the prefix, a bounded span (names far apart beyond it are
	 * lost); in it, all that the names need. */
	if (stroff + hi > s->prefix_max && hi - lo > STRTAB_SPAN_MAX)
		hi = lo + STRTAB_SPAN_MAX;
	s->str_base = lo;
	plan(s, &s->strtab, stroff + lo, (size_t)(hi - lo));
}

/* ---- the state machine ------------------------------------------------------ */

/* Process w if its bytes are there; returns true when it is settled (parsed
 * or lost) or was never wanted. */
static bool settle(struct elf_scan *s, struct want *w, int what, size_t idx)
{
	if (!w->planned || w->done)
		return true;
	const unsigned char *p = avail(s, w);
	if (!p) {
		if (!lost(s, w))
			return false;
		w->done = true;
		return true;
	}
	w->done = true;
	switch (what) {
	case 0:
		parse_interp(s, p, w->len);
		break;
	case 1:
		parse_notes(s, p, w->len, s->note_align[idx]);
		break;
	case 2:
		parse_dynamic(s, p, w->len);
		break;
	default:
		break;
	}
	return true;
}

static void advance(struct elf_scan *s)
{
	if (s->bad || s->prefix_stop)
		return;
	if (!s->hdr_done) {
		parse_header(s);
		if (!s->hdr_done)
			return;
	}
	if (!s->ph_done) {
		const unsigned char *ph = avail(s, &s->phdrs);
		if (!ph) {
			if (lost(s, &s->phdrs))
				s->ph_done = s->ph_lost = true;
			return;
		}
		s->ph_done = true;
		parse_phdrs(s, ph);
	}
	bool all = settle(s, &s->interp, 0, 0);
	for (size_t i = 0; i < s->n_notes; i++)
		all &= settle(s, &s->notes[i], 1, i);
	all &= settle(s, &s->dynamic, 2, 0);
	/* The string table is planned by parse_dynamic; it is read at finish. */
	if (s->strtab.planned && !s->strtab.done && !avail(s, &s->strtab) &&
	    !lost(s, &s->strtab))
		all = false;
	if (all) {
		/* Nothing more to wait for: stop keeping the prefix, and drop it
		 * unless the string table is read from it at the end. */
		s->prefix_stop = true;
		if (!s->strtab.planned || s->strtab.done || s->strtab.range >= 0) {
			free(s->prefix);
			s->prefix = NULL;
			s->prefix_len = s->prefix_cap = 0;
		}
	}
}

/* ---- Go build info ---------------------------------------------------------- */

static uint64_t uvarint(const unsigned char *p, size_t len, size_t *used)
{
	uint64_t v = 0;
	for (size_t i = 0; i < len && i < 10; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			if (i == 9 && p[i] > 1)
				break;   /* overflows 64 bits */
			*used = i + 1;
			return v;
		}
	}
	*used = 0;
	return 0;
}

enum { GO_BAD = -1, GO_MORE = 0, GO_OK = 1 };

/* Decode a candidate: b[0..n) are the bytes from its magic on. GO_MORE sets
 * *want to the length that can tell more. Whatever is bad shows in the
 * first few hundred bytes; past those only GO_MORE or GO_OK. */
static int go_decode(struct elf_scan *s, const unsigned char *b, size_t n, size_t *want)
{
	size_t k = n < GO_MAGIC_LEN ? n : GO_MAGIC_LEN;
	if (memcmp(b, GO_MAGIC, k))
		return GO_BAD;
	if (n < GO_HDR + 1) {
		*want = GO_HDR + 1;
		return GO_MORE;
	}
	if (b[14] != 4 && b[14] != 8)
		return GO_BAD;
	if (!(b[15] & 2))
		return GO_BAD;   /* before Go 1.18: strings by pointer; not handled */
	size_t used, at = GO_HDR;
	uint64_t vlen = uvarint(b + at, n - at, &used);
	if (!used) {
		if (n - at >= 10)
			return GO_BAD;
		*want = n + 1;
		return GO_MORE;
	}
	if (vlen == 0 || vlen > 256)
		return GO_BAD;
	at += used;
	if (n - at < vlen + 1) {
		*want = at + (size_t)vlen + 1;
		return GO_MORE;
	}
	/* A version is printable ASCII ("go1.19.8", "devel go1.23-abcd …"). */
	size_t vat = at;
	for (size_t i = 0; i < vlen; i++)
		if (b[vat + i] < 0x20 || b[vat + i] > 0x7e)
			return GO_BAD;
	at += (size_t)vlen;
	uint64_t mlen = uvarint(b + at, n - at, &used);
	if (!used) {
		if (n - at >= 10)
			return GO_BAD;
		*want = n + 1;
		return GO_MORE;
	}
	at += used;
	if (mlen > GO_MAX - at)
		return GO_BAD;
	if (n - at < mlen) {
		*want = at + (size_t)mlen;
		return GO_MORE;
	}
	s->go_version = cat_strndup((const char *)b + vat, (size_t)vlen);
	/* Strip the module framing (cmd/go's infoStart and infoEnd sentinels),
	 * as debug/buildinfo does. */
	const unsigned char *m = b + at;
	if (mlen >= 33 && m[mlen - 17] == '\n')
		s->go_modinfo = cat_strndup((const char *)m + 16, (size_t)mlen - 32);
	return GO_OK;
}

/* The first 16-aligned (in file offsets, base being p's) candidate in
 * p[0..n): a full magic, or a prefix of it cut by the end. Returns its index
 * or n. This runs on every byte of every ELF file: eight positions a step,
 * one branch. */
static size_t go_search(uint64_t base, const unsigned char *p, size_t n)
{
	size_t i = (size_t)((16 - (base & 15)) & 15);
	for (;;) {
		while (i + 112 < n &&
		       !((p[i] == 0xff) | (p[i + 16] == 0xff) | (p[i + 32] == 0xff) |
			 (p[i + 48] == 0xff) | (p[i + 64] == 0xff) | (p[i + 80] == 0xff) |
			 (p[i + 96] == 0xff) | (p[i + 112] == 0xff)))
			i += 128;
		size_t stop = i < n && n - i > 128 ? i + 128 : n;
		for (; i < stop; i += 16) {
			/* 0xff is common in code; ' ' after it is not. */
			if (p[i] != 0xff || (i + 1 < n && p[i + 1] != ' '))
				continue;
			size_t k = n - i < GO_MAGIC_LEN ? n - i : GO_MAGIC_LEN;
			if (!memcmp(p + i, GO_MAGIC, k))
				return i;
		}
		if (i >= n)
			return n;
	}
}

static void go_done(struct elf_scan *s)
{
	s->go = GO_DONE;
	free(s->go_buf);
	s->go_buf = NULL;
	s->go_len = s->go_cap = 0;
}

/* Check the candidate after bytes were added. A bad one is dropped for the
 * next candidate among the bytes captured after it (a few hundred at most:
 * bad shows early), else the search goes on in the stream. */
static void go_check(struct elf_scan *s)
{
	while (s->go == GO_CAPTURE) {
		if (s->go_len < s->go_want)
			return;
		int r = go_decode(s, s->go_buf, s->go_len, &s->go_want);
		if (r == GO_OK) {
			go_done(s);
			return;
		}
		if (r == GO_MORE)
			return;
		size_t k = s->go_len > 16 ? 16 + go_search(0, s->go_buf + 16, s->go_len - 16)
					  : s->go_len;
		if (k >= s->go_len) {
			s->go = GO_SEARCH;
			s->go_len = 0;
			return;
		}
		memmove(s->go_buf, s->go_buf + k, s->go_len - k);
		s->go_len -= k;
		s->go_off += k;
		s->go_want = 0;
	}
}

/* At the end: the candidate and every later one captured after it, in
 * place (no moving: there may be many). */
static void go_eof(struct elf_scan *s)
{
	size_t want;
	for (size_t k = 0; s->go == GO_CAPTURE && k < s->go_len; k += 16) {
		k += go_search(0, s->go_buf + k, s->go_len - k);
		if (k >= s->go_len)
			break;
		if (go_decode(s, s->go_buf + k, s->go_len - k, &want) == GO_OK)
			go_done(s);
	}
}

/* p[0..n) are the file's bytes at offset base. */
static void go_feed(struct elf_scan *s, uint64_t base, const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n && s->go != GO_DONE) {
		if (s->go == GO_SEARCH) {
			size_t k = go_search(base + i, p + i, n - i);
			if (k >= n - i)
				return;
			i += k;
			s->go = GO_CAPTURE;
			s->go_off = base + i;
			s->go_len = 0;
			s->go_want = GO_HDR + 1;
		}
		size_t take = s->go_want > s->go_len ? s->go_want - s->go_len : 0;
		if (take > n - i)
			take = n - i;
		if (s->go_len + take > s->go_cap)
			s->go_buf = xgrow(s->go_buf, &s->go_cap, s->go_len + take, 1);
		memcpy(s->go_buf + s->go_len, p + i, take);
		s->go_len += take;
		i += take;
		go_check(s);
		/* After a rescan found nothing, the search goes on at i, which is
		 * where the capture stopped. */
	}
}

/* ---- feeding ------------------------------------------------------------------ */

/* Hashing and the build info search go through a chunk in pieces of this
 * size, so that the search reads what the hash just brought into cache. */
#define FEED_PIECE (32u << 10)

/* The ELF side of a chunk: keep the prefix, fill the ranges, move on. */
static void feed_elf(struct elf_scan *s, const unsigned char *p, size_t len)
{
	s->chunk_start = s->pos;
	s->chunk = p;
	s->chunk_len = len;
	if (!s->bad) {
		if (!s->prefix_stop && s->pos < s->prefix_max && s->prefix_len == s->pos) {
			size_t n = s->prefix_max - (size_t)s->pos;
			if (n > len)
				n = len;
			if (s->prefix_len + n > s->prefix_cap)
				s->prefix = xgrow(s->prefix, &s->prefix_cap, s->prefix_len + n, 1);
			memcpy(s->prefix + s->prefix_len, p, n);
			s->prefix_len += n;
		}
		for (size_t i = 0; i < s->n_ranges; i++)
			range_take(s, &s->ranges[i]);
	}
	s->pos += len;
	if (!s->bad && !s->prefix_stop)
		advance(s);
	s->chunk = NULL;
	s->chunk_len = 0;
}

/* The program headers are read from a first bite of the file this big
 * (when they are in it), so that the prefix is trimmed before a big chunk
 * is copied into it. */
#define HEAD_BITE (16u << 10)

void elf_scan_feed(struct elf_scan *s, const void *data, size_t len)
{
	const unsigned char *p = data;
	if (!len)
		return;
	for (size_t i = 0; i < len; i += FEED_PIECE) {
		size_t n = len - i < FEED_PIECE ? len - i : FEED_PIECE;
		sha256_update(&s->hash, p + i, n);
		if (s->go != GO_DONE)
			go_feed(s, s->pos + i, p + i, n);
	}
	if (!s->ph_done && s->pos < HEAD_BITE && len > HEAD_BITE - s->pos) {
		size_t k = HEAD_BITE - (size_t)s->pos;
		feed_elf(s, p, k);
		p += k;
		len -= k;
	}
	feed_elf(s, p, len);
}

/* ---- the result ----------------------------------------------------------------- */

/* The string at offset o of the dynamic string table, if we have it whole. */
static char *dyn_string(const struct elf_scan *s, const unsigned char *tab, uint64_t o)
{
	if (o < s->str_base || o - s->str_base >= s->strtab.len)
		return NULL;
	size_t at = (size_t)(o - s->str_base), n = s->strtab.len - at;
	if (n > NAME_MAX_LEN)
		n = NAME_MAX_LEN;
	const unsigned char *nul = memchr(tab + at, 0, n);
	if (!nul || nul == tab + at)
		return NULL;
	return cat_strndup((const char *)tab + at, (size_t)(nul - (tab + at)));
}

struct elf_info *elf_scan_finish(struct elf_scan *s, const char **why)
{
	char digest[DIGEST_STR_MAX];
	*why = NULL;
	sha256_final(&s->hash, digest);
	/* At the end, what is not there will not come. */
	s->chunk_start = s->pos;
	if (!s->bad && !s->prefix_stop)
		advance(s);
	if (s->go == GO_CAPTURE)
		go_eof(s);
	if (s->bad || !s->hdr_done) {
		*why = s->why ? s->why : "truncated ELF header";
		return NULL;
	}
	struct elf_info *e = xcalloc(1, sizeof(*e));
	memcpy(e->sha256, digest, sizeof(digest));
	e->machine = s->machine;
	e->elf_class = s->cls;
	e->elf_type = s->type;
	e->interp = steal_pointer(&s->interp_str);
	e->build_id = steal_pointer(&s->build_id);
	e->go_version = steal_pointer(&s->go_version);
	e->go_modinfo = steal_pointer(&s->go_modinfo);
	const unsigned char *tab = s->strtab.planned ? avail(s, &s->strtab) : NULL;
	if (tab) {
		for (size_t i = 0; i < s->n_needed; i++) {
			char *n = dyn_string(s, tab, s->needed[i]);
			if (n)
				strvec_take(&e->needed, n);
		}
		if (s->has_soname)
			e->soname = dyn_string(s, tab, s->soname);
	}
	return e;
}

void elf_scan_free(struct elf_scan *s)
{
	if (!s)
		return;
	sha256_release(&s->hash);
	free(s->prefix);
	for (size_t i = 0; i < s->n_ranges; i++)
		free(s->ranges[i].buf);
	free(s->needed);
	free(s->interp_str);
	free(s->build_id);
	free(s->go_buf);
	free(s->go_version);
	free(s->go_modinfo);
	free(s);
}

void elf_info_free(struct elf_info *e)
{
	if (!e)
		return;
	free(e->build_id);
	free(e->soname);
	free(e->interp);
	strvec_clear(&e->needed);
	free(e->go_version);
	free(e->go_modinfo);
	free(e);
}

struct elf_info *elf_info_read(int fd, const char *name, struct qerr *err)
{
	cleanup_free unsigned char *buf = xmalloc(1u << 20);
	struct elf_scan *s = elf_scan_new();
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, 1u << 20, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			elf_scan_free(s);
			q_error(err, errno, "read '%s'", name);
			return NULL;
		}
		if (n == 0)
			break;
		if (off == 0 && !elf_magic(buf, (size_t)n)) {
			elf_scan_free(s);
			q_error(err, 0, "'%s' is not an ELF file", name);
			return NULL;
		}
		elf_scan_feed(s, buf, (size_t)n);
		off += n;
	}
	const char *why = NULL;
	struct elf_info *e = off ? elf_scan_finish(s, &why) : NULL;
	elf_scan_free(s);
	if (!e)
		q_error(err, 0, "'%s': %s", name, off ? why : "empty file, not ELF");
	return e;
}
