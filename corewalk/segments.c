/*
 * segments.c — the ELF header, the PT_LOAD table and the memory map.
 *
 * A Linux core is an ELF file whose PT_LOAD program headers describe every
 * mapping of the process.  p_filesz says how many bytes the dump kept:
 * kernel cores keep 0 bytes of file-backed read-only mappings under the
 * default coredump_filter (0x33), gcore keeps nearly everything, and a
 * truncated dump (ulimit -c, a full disk) stops in the middle.  The bytes
 * between p_filesz and p_memsz are "not saved", never zeroes.
 */
#include "config.h"

#include <elf.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------------ */
/* ELF header and program headers                                      */
/* ------------------------------------------------------------------ */

static const char *etype_name(unsigned t)
{
	switch (t) {
	case ET_REL:
		return "a relocatable object";
	case ET_EXEC:
		return "an executable";
	case ET_DYN:
		return "a shared object or PIE executable";
	default:
		return "not a core";
	}
}

static int seg_cmp(const void *a, const void *b)
{
	const struct cw_segment *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

struct cs_error *cw_parse_elf(struct cw_core *core, bool executable_image)
{
	const uint8_t *d = core->in.data;
	size_t size = core->in.size;
	const char *path = core->path;

	if (size < 4 || memcmp(d, ELFMAG, SELFMAG) != 0)
		return cs_error_create(CS_ERR_BAD_DATA,
				       "%s: not an ELF core file (no ELF magic%s)",
				       path,
				       core->in.compressed ? " after zstd decompression" : "");
	if (size < sizeof(Elf64_Ehdr))
		return cs_error_create(CS_ERR_BAD_DATA,
				       "%s: truncated inside the ELF header (%zu bytes)",
				       path, size);
	Elf64_Ehdr eh;
	memcpy(&eh, d, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return cs_error_create(CS_ERR_UNSUPPORTED,
				       "%s: ELF class %u / data encoding %u; corescope reads 64-bit little-endian cores",
				       path, eh.e_ident[EI_CLASS], eh.e_ident[EI_DATA]);
	if (executable_image && (eh.e_type == ET_EXEC || eh.e_type == ET_DYN))
		core->is_image = true;
	else if (eh.e_type != ET_CORE)
		return cs_error_create(CS_ERR_BAD_DATA,
				       "%s: ELF type %u is %s, not a core dump (did you swap CORE and EXE?)",
				       path, eh.e_type, etype_name(eh.e_type));
	if (eh.e_machine != EM_X86_64)
		return cs_error_create(CS_ERR_UNSUPPORTED,
				       "%s: ELF machine %u; corescope reads x86_64 cores only",
				       path, eh.e_machine);
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return cs_error_create(CS_ERR_BAD_DATA,
				       "%s: program header entry size %u (want %zu)",
				       path, eh.e_phentsize, sizeof(Elf64_Phdr));

	uint64_t phnum = eh.e_phnum;
	if (phnum == PN_XNUM) {
		/* More than 65534 headers: the count is in section 0's
		 * sh_info (gcore of a process with very many mappings). */
		Elf64_Shdr sh0;
		if (eh.e_shoff == 0 || eh.e_shoff > size ||
		    size - eh.e_shoff < sizeof(sh0))
			return cs_error_create(CS_ERR_BAD_DATA,
					       "%s: e_phnum is PN_XNUM but section header 0 at offset 0x%llx is outside the file",
					       path, (unsigned long long)eh.e_shoff);
		memcpy(&sh0, d + eh.e_shoff, sizeof(sh0));
		phnum = sh0.sh_info;
	}
	if (eh.e_phoff > size || phnum > (size - eh.e_phoff) / sizeof(Elf64_Phdr))
		return cs_error_create(CS_ERR_BAD_DATA,
				       "%s: %llu program headers at offset 0x%llx do not fit in the %zu-byte file (truncated or corrupt)",
				       path, (unsigned long long)phnum,
				       (unsigned long long)eh.e_phoff, size);
	if (phnum == 0)
		return cs_error_create(CS_ERR_BAD_DATA,
				       "%s: the core has no program headers", path);

	uint64_t expected = eh.e_phoff + phnum * sizeof(Elf64_Phdr);
	size_t nload = 0;
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, d + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		uint64_t end;
		if (cs_add_overflow(ph.p_offset, ph.p_filesz, &end)) {
			cs_warn(&core->warnings, true,
				"%s: program header %llu: offset 0x%llx + size 0x%llx overflows; ignored",
				path, (unsigned long long)i,
				(unsigned long long)ph.p_offset,
				(unsigned long long)ph.p_filesz);
			continue;
		}
		if (ph.p_type == PT_LOAD || ph.p_type == PT_NOTE)
			expected = CS_MAX(expected, end);
		if (ph.p_type == PT_LOAD)
			nload++;
	}

	core->segs = calloc(nload ? nload : 1, sizeof(*core->segs));
	if (!core->segs)
		return &cs_error_nomem;

	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, d + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		uint64_t end;
		if (cs_add_overflow(ph.p_offset, ph.p_filesz, &end))
			continue;
		uint64_t saved = 0;
		if (ph.p_offset < size)
			saved = CS_MIN(ph.p_filesz, size - ph.p_offset);

		if (ph.p_type == PT_NOTE && core->is_image)
			continue;	/* build-id notes, not process notes */
		if (ph.p_type == PT_NOTE) {
			if (saved < ph.p_filesz)
				cs_warn(&core->warnings, true,
					"%s: note segment at offset 0x%llx is cut off by truncation (%llu of %llu bytes present)",
					path, (unsigned long long)ph.p_offset,
					(unsigned long long)saved,
					(unsigned long long)ph.p_filesz);
			struct cs_error *err = cw_parse_notes(
				core, d + (saved ? ph.p_offset : 0), saved,
				ph.p_offset);
			if (err)
				return err;
			continue;
		}
		if (ph.p_type != PT_LOAD)
			continue;

		uint64_t vend;
		if (ph.p_memsz == 0 ||
		    cs_add_overflow(ph.p_vaddr, ph.p_memsz, &vend)) {
			if (ph.p_memsz)
				cs_warn(&core->warnings, false,
					"%s: PT_LOAD at 0x%llx with size 0x%llx wraps the address space; ignored",
					path, (unsigned long long)ph.p_vaddr,
					(unsigned long long)ph.p_memsz);
			continue;
		}
		struct cw_segment *s = &core->segs[core->nsegs++];
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		if (s->filesz > s->memsz) {
			cs_warn(&core->warnings, false,
				"%s: PT_LOAD at 0x%llx saves 0x%llx bytes of a 0x%llx-byte mapping; extra bytes ignored",
				path, (unsigned long long)s->vaddr,
				(unsigned long long)s->filesz,
				(unsigned long long)s->memsz);
			s->filesz = s->memsz;
		}
		s->saved = CS_MIN(saved, s->filesz);
		s->flags = ph.p_flags & (CW_PF_R | CW_PF_W | CW_PF_X);
	}

	cs_sort(core->segs, core->nsegs, sizeof(*core->segs), seg_cmp);
	/* Overlapping segments cannot come from the kernel or gdb; a crafted
	 * or damaged file might have them.  Keep the first, drop the rest, so
	 * every address has one answer. */
	size_t w = 0;
	for (size_t i = 0; i < core->nsegs; i++) {
		if (w && core->segs[i].vaddr <
				 core->segs[w - 1].vaddr + core->segs[w - 1].memsz) {
			cs_warn(&core->warnings, true,
				"%s: PT_LOAD at 0x%llx overlaps the one at 0x%llx; ignored",
				path, (unsigned long long)core->segs[i].vaddr,
				(unsigned long long)core->segs[w - 1].vaddr);
			continue;
		}
		core->segs[w++] = core->segs[i];
	}
	core->nsegs = w;

	struct cw_input_info *info = &core->info;
	info->expected_size = expected;
	info->data_size = size;
	for (size_t i = 0; i < core->nsegs; i++) {
		info->saved_bytes += core->segs[i].filesz;
		info->missing_bytes += core->segs[i].filesz - core->segs[i].saved;
		info->mapped_bytes += core->segs[i].memsz;
	}
	info->truncated = size < expected || core->in.stream_truncated;
	if (info->truncated) {
		char a[32], b[32], m[32];
		cs_warn(&core->warnings, true,
			"%s: core is truncated at %s of %s; %s of saved memory is missing",
			path, cs_fmt_size(size, a), cs_fmt_size(expected, b),
			cs_fmt_size(info->missing_bytes, m));
	}
	if (core->in.stream_error)
		cs_warn(&core->warnings, true, "%s: %s", path,
			core->in.stream_error);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The memory map                                                      */
/* ------------------------------------------------------------------ */

struct region_vec {
	struct cw_region_int *v;
	size_t n, cap;
};

static const char *fmap_path(struct cw_core *core, uint64_t addr)
{
	for (size_t i = 0; i < core->nfmaps; i++)
		if (addr >= core->fmaps[i].start && addr < core->fmaps[i].end)
			return core->fmaps[i].path;
	return NULL;
}

static bool push_region(struct region_vec *rv, uint64_t start, uint64_t end,
			enum cw_source src, uint32_t flags, const char *file,
			const uint8_t *data)
{
	if (start >= end)
		return true;
	/* Merge with the previous region when both address and bytes are
	 * contiguous: gdb writes neighbouring mappings back to back, and one
	 * region lets cw_peek hand out the whole run. */
	if (rv->n) {
		struct cw_region_int *p = &rv->v[rv->n - 1];
		if (p->pub.end == start && p->pub.source == src &&
		    p->pub.flags == flags && p->pub.file == file &&
		    (src == CW_SRC_NOT_SAVED || src == CW_SRC_TRUNCATED ||
		     (p->data && data &&
		      p->data + (p->pub.end - p->pub.start) == data))) {
			p->pub.end = end;
			return true;
		}
	}
	struct cw_region_int r = {
		.pub = { .start = start, .end = end, .source = src,
			 .flags = flags, .file = file },
		.data = data,
	};
	return CS_PUSH(rv->v, rv->n, rv->cap, r);
}

/* Emit [start, end) of a segment whose bytes the dump lacks (src), taking
 * what the overlays cover from the files.  Overlays are sorted by start. */
static bool push_missing(struct cw_core *core, struct region_vec *rv,
			 uint64_t start, uint64_t end, enum cw_source src,
			 uint32_t flags, const struct cw_overlay *ov, size_t nov)
{
	uint64_t at = start;
	const char *mapped = fmap_path(core, start);
	if (!(flags & CW_PF_W)) {
		for (size_t i = 0; i < nov && at < end; i++) {
			uint64_t lo = CS_MAX(at, ov[i].start);
			uint64_t hi = CS_MIN(end, ov[i].end);
			if (lo >= hi)
				continue;
			if (!push_region(rv, at, lo, src, flags, mapped, NULL))
				return false;
			const struct cw_file *f = &core->files[ov[i].file];
			if (!push_region(rv, lo, hi, CW_SRC_FILE, flags, f->path,
					 f->image + ov[i].file_offset +
						 (lo - ov[i].start)))
				return false;
			at = hi;
		}
	}
	return push_region(rv, at, end, src, flags, mapped, NULL);
}

static int ov_cmp(const void *a, const void *b)
{
	const struct cw_overlay *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int region_cmp(const void *a, const void *b)
{
	const struct cw_region_int *x = a, *y = b;
	return x->pub.start < y->pub.start ? -1 : x->pub.start > y->pub.start;
}

/* The segment containing addr, or the first one after it (index nsegs if
 * none). */
static size_t seg_at_or_after(const struct cw_core *core, uint64_t addr)
{
	size_t lo = 0, hi = core->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (core->segs[mid].vaddr + core->segs[mid].memsz <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Overlay ranges that no segment covers at all: gdb's gcore leaves
 * unmodified read-only file mappings (rodata, and with it Go's pclntab) out
 * of the program headers entirely, while NT_FILE still lists them.  Their
 * bytes are the file's.
 */
static bool push_gaps(struct cw_core *core, struct region_vec *rv,
		      const struct cw_overlay *ov, size_t nov)
{
	for (size_t i = 0; i < nov; i++) {
		uint64_t at = ov[i].start;
		const struct cw_file *f = &core->files[ov[i].file];
		while (at < ov[i].end) {
			size_t k = seg_at_or_after(core, at);
			uint64_t next = ov[i].end;
			if (k < core->nsegs) {
				const struct cw_segment *s = &core->segs[k];
				if (s->vaddr <= at) {
					at = s->vaddr + s->memsz;
					continue;
				}
				next = CS_MIN(next, s->vaddr);
			}
			struct cw_region_int r = {
				.pub = { .start = at, .end = next,
					 .source = CW_SRC_FILE,
					 .flags = CW_PF_R, .file = f->path },
				.data = f->image + ov[i].file_offset +
					(at - ov[i].start),
			};
			if (!CS_PUSH(rv->v, rv->n, rv->cap, r))
				return false;
			at = next;
		}
	}
	return true;
}

struct cs_error *cw_build_regions(struct cw_core *core,
				  const struct cw_overlay *ov_in, size_t nov)
{
	struct cw_overlay *ov = NULL;
	if (nov) {
		ov = malloc(nov * sizeof(*ov));
		if (!ov)
			return &cs_error_nomem;
		memcpy(ov, ov_in, nov * sizeof(*ov));
		cs_sort(ov, nov, sizeof(*ov), ov_cmp);
	}
	struct region_vec rv = { 0 };
	bool ok = true;
	for (size_t i = 0; i < core->nsegs && ok; i++) {
		const struct cw_segment *s = &core->segs[i];
		uint64_t saved_end = s->vaddr + s->saved;
		uint64_t file_end = s->vaddr + s->filesz;
		uint64_t end = s->vaddr + s->memsz;
		const char *mapped = fmap_path(core, s->vaddr);
		ok = push_region(&rv, s->vaddr, saved_end, CW_SRC_CORE, s->flags,
				 mapped,
				 s->saved ? core->in.data + s->offset : NULL) &&
		     push_missing(core, &rv, saved_end, file_end,
				  CW_SRC_TRUNCATED, s->flags, ov, nov) &&
		     push_missing(core, &rv, file_end, end, CW_SRC_NOT_SAVED,
				  s->flags, ov, nov);
	}
	size_t nseg_regions = rv.n;
	if (ok)
		ok = push_gaps(core, &rv, ov, nov);
	free(ov);
	if (!ok) {
		free(rv.v);
		return &cs_error_nomem;
	}
	/* Overlays may overlap each other (a file mapped twice); regions must
	 * not.  Sort, then keep the first of any overlapping pair. */
	if (rv.n > nseg_regions) {
		cs_sort(rv.v, rv.n, sizeof(*rv.v), region_cmp);
		size_t w = 0;
		for (size_t i = 0; i < rv.n; i++) {
			if (w && rv.v[i].pub.start < rv.v[w - 1].pub.end) {
				if (rv.v[i].pub.end <= rv.v[w - 1].pub.end)
					continue;
				uint64_t cut = rv.v[w - 1].pub.end - rv.v[i].pub.start;
				rv.v[i].pub.start += cut;
				if (rv.v[i].data)
					rv.v[i].data += cut;
			}
			rv.v[w++] = rv.v[i];
		}
		rv.n = w;
	}
	free(core->regions);
	core->regions = rv.v;
	core->nregions = rv.n;
	atomic_store_explicit(&core->last_region, 0, memory_order_relaxed);
	return NULL;
}

const struct cw_region_int *cw_find_region(struct cw_core *core, uint64_t addr)
{
	size_t n = core->nregions;
	if (!n)
		return NULL;
	size_t hint = atomic_load_explicit(&core->last_region, memory_order_relaxed);
	if (hint < n) {
		const struct cw_region_int *r = &core->regions[hint];
		if (addr >= r->pub.start && addr < r->pub.end)
			return r;
	}
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (core->regions[mid].pub.end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n || addr < core->regions[lo].pub.start)
		return NULL;
	atomic_store_explicit(&core->last_region, lo, memory_order_relaxed);
	return &core->regions[lo];
}
