/*
 * buildinfo.c — the Go version and build settings from .go.buildinfo.
 *
 * Layout (cmd/link/internal/ld/data.go, debug/buildinfo): a 32-byte header
 * "\xff Go buildinf:" (14 bytes), pointer size (1), flags (1), padding.
 * Since Go 1.18 flags bit 1 (flagsVersionInl) says two varint-prefixed
 * strings follow the header: the version, then the module info.  The
 * module info is wrapped in 16-byte sentinels which we strip.  Older
 * layouts (two pointers to string headers) predate every release we read.
 *
 * The version is read from the process image, not from DWARF (which may be
 * stripped) and not only from the file, so a core without its executable
 * still says which Go it ran.
 */
#include "config.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

#include "heapscan.h"

#define BI_MAGIC "\xff Go buildinf:"
#define BI_MAGIC_LEN 14
#define BI_HEADER 32
#define BI_FLAG_INLINE 0x2
#define BI_MAX_STRING (1u << 20)

/* Find .go.buildinfo through the executable's section headers. */
static bool section_addr(struct cw_core *core, uint64_t *ret)
{
	const struct cw_exe *exe = cw_core_exe(core);
	if (!exe->image)
		return false;
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)exe->image, exe->image_size);
	if (!elf)
		return false;
	size_t shstrndx;
	bool found = false;
	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;
		while ((scn = elf_nextscn(elf, scn))) {
			if (!gelf_getshdr(scn, &sh))
				continue;
			const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (name && strcmp(name, ".go.buildinfo") == 0) {
				*ret = sh.sh_addr + exe->load_bias;
				found = true;
				break;
			}
		}
	}
	elf_end(elf);
	return found;
}

/* Without an executable: scan the saved writable mappings of the main
 * executable for the magic at 16-byte alignment (as debug/buildinfo
 * does), at most 64 MiB. */
static bool scan_addr(struct cw_core *core, uint64_t *ret)
{
	const struct cw_exe *exe = cw_core_exe(core);
	uint64_t budget = 64u << 20;
	for (size_t i = 0; i < cw_core_region_count(core) && budget; i++) {
		const struct cw_region *r = cw_core_region(core, i);
		if (r->source != CW_SRC_CORE || !(r->flags & CW_PF_W))
			continue;
		/* Without NT_FILE (an executable image) every region counts. */
		if (cw_core_file_map_count(core) && exe->core_path &&
		    (!r->file || strcmp(r->file, exe->core_path) != 0))
			continue;
		uint64_t len = CS_MIN(r->end - r->start, budget);
		budget -= len;
		const uint8_t *p = cw_peek(core, r->start, (size_t)len);
		if (!p)
			continue;
		for (uint64_t off = (16 - (r->start & 15)) & 15;
		     off + BI_HEADER <= len; off += 16) {
			if (memcmp(p + off, BI_MAGIC, BI_MAGIC_LEN) == 0) {
				*ret = r->start + off;
				return true;
			}
		}
	}
	return false;
}

/* A uvarint-prefixed string at *addr; advances *addr.  The string may
 * hold NULs (the module info sentinels do); *len_ret gets its length. */
static struct cs_error *read_varstring(struct cw_core *core, uint64_t *addr,
				       char **ret, size_t *len_ret)
{
	uint64_t len = 0;
	unsigned shift = 0;
	for (int i = 0;; i++) {
		uint8_t b;
		struct cs_error *err = cw_read_u8(core, *addr, &b);
		if (err)
			return err;
		(*addr)++;
		if (i == 9 && b > 1)
			return cs_error_create(CS_ERR_BAD_DATA,
					       "buildinfo string length overflows at 0x%llx",
					       (unsigned long long)*addr);
		len |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
	}
	if (len > BI_MAX_STRING)
		return cs_error_create(CS_ERR_BAD_DATA,
				       "buildinfo string at 0x%llx claims %llu bytes",
				       (unsigned long long)*addr,
				       (unsigned long long)len);
	char *s = malloc(len + 1);
	if (!s)
		return &cs_error_nomem;
	struct cs_error *err = cw_read(core, *addr, s, len);
	if (err) {
		free(s);
		return err;
	}
	s[len] = '\0';
	*addr += len;
	*ret = s;
	*len_ret = (size_t)len;
	return NULL;
}

/* "go1.26.8", "go1.21rc2", "go1.22.12 X:nocoverageredesign" → numbers. */
static bool parse_version(const char *v, int *maj, int *min, int *patch)
{
	if (strncmp(v, "go", 2) != 0)
		return false;
	const char *p = v + 2;
	char *end;
	long a = strtol(p, &end, 10);
	if (end == p || *end != '.')
		return false;
	p = end + 1;
	long b = strtol(p, &end, 10);
	if (end == p)
		return false;
	long c = 0;
	if (*end == '.') {
		p = end + 1;
		c = strtol(p, &end, 10);
		if (end == p)
			return false;
	}
	*maj = (int)a;
	*min = (int)b;
	*patch = (int)c;
	return true;
}

/* The value of "build\tKEY=VALUE" or "KEY\tVALUE" lines of modinfo. */
static char *modinfo_field(const char *mod, const char *prefix)
{
	size_t pl = strlen(prefix);
	for (const char *line = mod; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len >= pl && strncmp(line, prefix, pl) == 0)
			return strndup(line + pl, len - pl);
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

struct cs_error *hs_buildinfo_read(struct cw_core *core, struct hs_buildinfo **ret)
{
	uint64_t addr;
	if (!section_addr(core, &addr) && !scan_addr(core, &addr))
		return cs_error_create(CS_ERR_NOT_FOUND,
				       "%s: no Go build information (.go.buildinfo) in the process image; not a Go program, or its data was not saved",
				       cw_core_input(core)->path);
	uint8_t hdr[BI_HEADER];
	struct cs_error *err = cw_read(core, addr, hdr, sizeof(hdr));
	if (err)
		return cs_error_wrap(err, "reading .go.buildinfo");
	if (memcmp(hdr, BI_MAGIC, BI_MAGIC_LEN) != 0)
		return cs_error_create(CS_ERR_BAD_DATA,
				       "%s: .go.buildinfo at 0x%llx lacks its magic",
				       cw_core_input(core)->path,
				       (unsigned long long)addr);
	if (!(hdr[15] & BI_FLAG_INLINE))
		return cs_error_create(CS_ERR_UNSUPPORTED,
				       "%s: .go.buildinfo at 0x%llx uses the pre-Go 1.18 layout; corescope reads Go 1.19 and later",
				       cw_core_input(core)->path,
				       (unsigned long long)addr);

	struct hs_buildinfo *bi = calloc(1, sizeof(*bi));
	if (!bi)
		return &cs_error_nomem;
	bi->addr = addr;
	const struct cw_region *r = cw_core_region_at(core, addr);
	bi->source = r ? r->source : CW_SRC_NOT_SAVED;

	uint64_t p = addr + BI_HEADER;
	size_t vl, ml = 0;
	err = read_varstring(core, &p, &bi->version, &vl);
	if (!err)
		err = read_varstring(core, &p, &bi->modinfo, &ml);
	if (err) {
		hs_buildinfo_destroy(bi);
		return cs_error_wrap(err, "reading .go.buildinfo at 0x%llx",
				     (unsigned long long)addr);
	}
	if (!parse_version(bi->version, &bi->major, &bi->minor, &bi->patch)) {
		err = cs_error_create(CS_ERR_BAD_DATA,
				      "%s: Go version string at 0x%llx is not a version",
				      cw_core_input(core)->path,
				      (unsigned long long)addr);
		hs_buildinfo_destroy(bi);
		return err;
	}
	/* Strip the module info sentinels (16 bytes each side; the closing
	 * one contains a NUL). */
	if (ml >= 33 && bi->modinfo[ml - 17] == '\n') {
		memmove(bi->modinfo, bi->modinfo + 16, ml - 32);
		bi->modinfo[ml - 32] = '\0';
	}
	bi->main_path = modinfo_field(bi->modinfo, "path\t");
	bi->experiments = modinfo_field(bi->modinfo, "build\tGOEXPERIMENT=");
	*ret = bi;
	return NULL;
}

void hs_buildinfo_destroy(struct hs_buildinfo *bi)
{
	if (!bi)
		return;
	free(bi->version);
	free(bi->modinfo);
	free(bi->main_path);
	free(bi->experiments);
	free(bi);
}

bool hs_buildinfo_has_experiment(const struct hs_buildinfo *bi, const char *name)
{
	if (!bi->experiments)
		return false;
	size_t n = strlen(name);
	for (const char *p = bi->experiments; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		if (!comma)
			break;
		p = comma + 1;
	}
	return false;
}

struct cs_error *hs_runtime_version(struct cw_core *core, char **value_ret,
				    uint64_t *addr_ret, enum cw_source *source_ret)
{
	const struct cw_exe *exe = cw_core_exe(core);
	if (!exe->image)
		return cs_error_create(CS_ERR_NOT_FOUND, "no executable");
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)exe->image, exe->image_size);
	if (!elf)
		return cs_error_create(CS_ERR_BAD_DATA, "executable: %s", elf_errmsg(-1));
	uint64_t var = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while (!var && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < d->d_size / sizeof(Elf64_Sym); i++) {
			GElf_Sym sym;
			const char *n;
			if (gelf_getsym(d, (int)i, &sym) &&
			    (n = elf_strptr(elf, sh.sh_link, sym.st_name)) &&
			    strcmp(n, "runtime.buildVersion") == 0) {
				var = sym.st_value + exe->load_bias;
				break;
			}
		}
	}
	elf_end(elf);
	if (!var)
		return cs_error_create(CS_ERR_NOT_FOUND, "no symbol runtime.buildVersion (stripped?)");
	uint64_t hdr[2];
	struct cs_error *err = cw_read(core, var, hdr, sizeof(hdr));
	if (err)
		return cs_error_wrap(err, "runtime.buildVersion");
	if (hdr[1] > 256)
		return cs_error_create(CS_ERR_BAD_DATA, "runtime.buildVersion claims %llu bytes",
				       (unsigned long long)hdr[1]);
	char *s = malloc(hdr[1] + 1);
	if (!s)
		return &cs_error_nomem;
	err = cw_read(core, hdr[0], s, hdr[1]);
	if (err) {
		free(s);
		return cs_error_wrap(err, "runtime.buildVersion bytes");
	}
	s[hdr[1]] = '\0';
	const struct cw_region *r = cw_core_region_at(core, hdr[0]);
	*value_ret = s;
	*addr_ret = hdr[0];
	*source_ret = r ? r->source : CW_SRC_NOT_SAVED;
	return NULL;
}
