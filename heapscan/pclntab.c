/*
 * pclntab.c — the runtime's PC tables: which function holds a PC, its
 * name, its stack-pointer delta, source position, PCDATA/FUNCDATA, inline
 * tree, stack maps and stack objects.
 *
 * Everything here reads through the zero-copy views module.c set up
 * (ftab_p, pclntable_p, funcnametab_p, cutab_p, filetab_p, pctab_p) or,
 * for FUNCDATA that lives in go:func.* (rodata), through corewalk.  The
 * tables come from an untrusted core: every offset is checked against the
 * length of the table it indexes, every varint is bounded, and every loop
 * is capped by the size of the data it walks.  Nothing allocates on the
 * paths an unwinder takes per frame (a read that faults builds an error
 * object, which is dropped: these functions answer yes or no).
 *
 * The formats are Go 1.18+ (pcHeader magic 0xfffffff0 and 0xfffffff1);
 * module.c refuses anything older.  Sources: runtime/symtab.go,
 * runtime/symtabinl.go (1.21+), runtime/runtime2.go (_func),
 * runtime/stack.go and runtime/stkframe.go (stack maps, stack objects),
 * internal/abi/symtab.go.
 */
#include "config.h"

#include "internal.h"

/* ------------------------------------------------------------------ */
/* Format constants                                                    */
/* ------------------------------------------------------------------ */

#define MAGIC_GO118 0xfffffff0u	/* Go 1.18–1.19 */
#define MAGIC_GO120 0xfffffff1u	/* Go 1.20+ */

/*
 * runtime._func (runtime/runtime2.go).  Go 1.18–1.19: nine u32 fields
 * (entryoff, nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata,
 * cuOffset) then the bytes funcID, flag, pad, nfuncdata: 40 bytes.
 * Go 1.20 added `startLine int32` after cuOffset, so funcID and the rest
 * move by 4: 44 bytes.  The same in 1.21–1.27.  The u32 arrays
 * pcdata[npcdata] and funcdata[nfuncdata] follow the record directly.
 */
#define FUNC_ENTRYOFF 0
#define FUNC_NAMEOFF 4
#define FUNC_ARGS 8
#define FUNC_DEFERRETURN 12
#define FUNC_PCSP 16
#define FUNC_PCFILE 20
#define FUNC_PCLN 24
#define FUNC_NPCDATA 28
#define FUNC_CUOFFSET 32
#define FUNC_STARTLINE 36	/* Go 1.20+ only */
#define FUNC_SIZE_GO118 40
#define FUNC_SIZE_GO120 44

/*
 * runtime.inlinedCall, the FUNCDATA_InlTree entries.
 * Go 1.18–1.19 (runtime/symtab.go): {parent int16, funcID u8, _ u8,
 *   file int32, line int32, func_ int32 (name offset), parentPc int32}:
 *   20 bytes.
 * Go 1.20+ (runtime/symtab.go, then runtime/symtabinl.go from 1.21):
 *   {funcID u8, _ [3]u8, nameOff int32, parentPc int32, startLine int32}:
 *   16 bytes.
 */
#define INL_SIZE_GO118 20
#define INL_SIZE_GO120 16

/* No real function inlines 100 levels deep (the compiler's budget stops
 * far earlier); a deeper chain is a loop in a corrupt tree. */
#define MAX_INLINE_DEPTH 100
/* The runtime treats the inline tree as *[1 << 20]inlinedCall; an index
 * beyond that is corrupt. */
#define MAX_INLINE_INDEX (1 << 20)
/* Stack objects of one frame: the compiler makes one record per
 * address-taken local, so a frame of at most 2^31 bytes holds far fewer
 * than this many 8-byte-aligned objects of any use.  A larger count is
 * corrupt, not truncated. */
#define MAX_STACK_OBJECTS (1 << 16)
/* runtime.textsect is {vaddr, end, baseaddr uintptr}.  The linker splits
 * text only on ppc64/arm64-style long-branch targets; a handful of
 * sections at most. */
#define TEXTSECT_SIZE 24
#define MAX_TEXTSECTS 4096

/* pcHeader.minLC: the PC quantum.  module.c accepts only 1 (amd64), so
 * pc deltas are used as they are. */

static inline uint32_t func_size(const struct hs_module *m)
{
	return m->magic == MAGIC_GO118 ? FUNC_SIZE_GO118 : FUNC_SIZE_GO120;
}

static inline int32_t rd_i32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Read n bytes at addr into buf: zero-copy when contiguous, else through
 * cw_read (whose error is dropped: the callers only need yes or no). */
static bool rd_small(struct hs_program *p, uint64_t addr, void *buf, size_t n)
{
	const void *z = cw_peek(p->core, addr, n);
	if (z) {
		memcpy(buf, z, n);
		return true;
	}
	struct cs_error *err = cw_read(p->core, addr, buf, n);
	if (err) {
		cs_error_destroy(err);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Text sections (runtime.moduledata.textAddr / textOff)               */
/* ------------------------------------------------------------------ */

struct textsect {
	uint64_t vaddr, end, baseaddr;
};

static bool textsect_at(struct hs_program *p, const struct hs_module *m,
			uint64_t i, struct textsect *ret)
{
	uint64_t w[3];
	if (!rd_small(p, m->textsectmap.ptr + i * TEXTSECT_SIZE, w, sizeof(w)))
		return false;
	ret->vaddr = w[0];
	ret->end = w[1];
	ret->baseaddr = w[2];
	return true;
}

/*
 * An ftab entry offset to a PC.  With one text section (always on amd64)
 * it is text + off.  When the linker split the text (runtime/symtab.go,
 * moduledata.textAddr), each section record says which virtual offsets
 * [vaddr, end) it holds and where it was placed (baseaddr); the last
 * section also takes off == end, because ftab's final entry is the end
 * of text.
 */
static bool text_addr(struct hs_program *p, const struct hs_module *m,
		      uint32_t off, uint64_t *ret)
{
	uint64_t res = m->text + off;
	uint64_t n = m->textsectmap.len;
	if (n > 1) {
		if (n > MAX_TEXTSECTS)
			return false;
		for (uint64_t i = 0; i < n; i++) {
			struct textsect s;
			if (!textsect_at(p, m, i, &s))
				return false;
			if ((off >= s.vaddr && off < s.end) ||
			    (i == n - 1 && off == s.end)) {
				res = s.baseaddr + off - s.vaddr;
				break;
			}
		}
	}
	*ret = res;
	return true;
}

/*
 * The inverse (moduledata.textOff): a PC to its virtual text offset.
 * A PC below a section's base, before any section matched, lies in a gap
 * between sections and belongs to no function.  Go 1.22+ lets the last
 * section include its end address; Go 1.19–1.21 compared i with
 * len(textsectmap), which is never true, so their last section was
 * half-open.  The difference is the single PC etext, which no function
 * contains either way.
 */
static bool text_off(struct hs_program *p, const struct hs_module *m,
		     uint64_t pc, uint32_t *ret)
{
	uint64_t off = pc - m->text;
	uint64_t n = m->textsectmap.len;
	if (n <= 1) {
		if (pc < m->text || off > UINT32_MAX)
			return false;
		*ret = (uint32_t)off;
		return true;
	}
	if (n > MAX_TEXTSECTS)
		return false;
	for (uint64_t i = 0; i < n; i++) {
		struct textsect s;
		if (!textsect_at(p, m, i, &s))
			return false;
		if (s.baseaddr > pc || s.end < s.vaddr)
			return false;
		uint64_t end = s.baseaddr + (s.end - s.vaddr);
		if (i == n - 1)
			end++;
		if (pc < end) {
			uint64_t r = pc - s.baseaddr + s.vaddr;
			if (r > UINT32_MAX)
				return false;
			*ret = (uint32_t)r;
			return true;
		}
	}
	/* Beyond every section: Go keeps pc - text here, which then finds
	 * nothing sensible; say so instead. */
	return false;
}

/* ------------------------------------------------------------------ */
/* Finding functions                                                   */
/* ------------------------------------------------------------------ */

static inline uint32_t ftab_entryoff(const struct hs_module *m, uint64_t i)
{
	return rd_u32(m->ftab_p + i * 8);
}

/* Decode ftab entry i (i < nfunc) into ret. */
static bool decode_func(struct hs_program *p, const struct hs_module *m,
			uint64_t i, struct hs_func *ret)
{
	uint32_t funcoff = rd_u32(m->ftab_p + i * 8 + 4);
	uint64_t hdr = func_size(m);
	if (!m->pclntable_p || (uint64_t)funcoff + hdr > m->pclntable_len)
		return false;
	const uint8_t *raw = m->pclntable_p + funcoff;
	uint32_t npcdata = rd_u32(raw + FUNC_NPCDATA);
	uint8_t nfuncdata = raw[hdr - 1];
	/* The two trailing u32 arrays must lie inside pclntable too. */
	if ((uint64_t)funcoff + hdr + 4 * ((uint64_t)npcdata + nfuncdata) >
	    m->pclntable_len)
		return false;
	/* The record names its own entry; the runtime trusts it
	 * (funcInfo.entry).  When it disagrees with the ftab entry that led
	 * here, funcoff points at the wrong bytes. */
	uint32_t entryoff = rd_u32(raw + FUNC_ENTRYOFF);
	if (entryoff != ftab_entryoff(m, i))
		return false;
	uint64_t entry, end;
	if (!text_addr(p, m, entryoff, &entry) ||
	    !text_addr(p, m, ftab_entryoff(m, i + 1), &end) || end < entry)
		return false;

	ret->mod = m;
	ret->entry = entry;
	ret->end = end;
	ret->raw = raw;
	ret->name_off = rd_i32(raw + FUNC_NAMEOFF);
	ret->args = rd_i32(raw + FUNC_ARGS);
	ret->deferreturn = rd_u32(raw + FUNC_DEFERRETURN);
	ret->pcsp = rd_u32(raw + FUNC_PCSP);
	ret->pcfile = rd_u32(raw + FUNC_PCFILE);
	ret->pcln = rd_u32(raw + FUNC_PCLN);
	ret->npcdata = npcdata;
	ret->cu_offset = rd_u32(raw + FUNC_CUOFFSET);
	ret->start_line = m->magic == MAGIC_GO118 ? 0 : rd_i32(raw + FUNC_STARTLINE);
	ret->funcid = raw[hdr - 4];
	ret->flag = raw[hdr - 3];
	ret->nfuncdata = nfuncdata;
	return true;
}

/*
 * runtime.findfunc uses findfunctab buckets to start a short linear scan.
 * A binary search over ftab costs about log2(nfunc) probes and trusts
 * less of the core (the bucket table is one more structure to validate),
 * so it is used instead.  The answer is the same: the last entry whose
 * offset is <= the PC's offset.
 */
bool hs_find_func(struct hs_program *p, uint64_t pc, struct hs_func *ret)
{
	for (size_t k = 0; k < p->nmods; k++) {
		const struct hs_module *m = &p->mods[k];
		if (pc < m->minpc || pc >= m->maxpc)
			continue;
		if (!m->ftab_p || m->nfunc == 0 || m->ftab.len != m->nfunc + 1)
			return false;
		uint32_t off;
		if (!text_off(p, m, pc, &off))
			return false;
		if (ftab_entryoff(m, 0) > off)
			return false;
		uint64_t lo = 0, hi = m->nfunc;	/* entry lo <= off; answer < hi */
		while (hi - lo > 1) {
			uint64_t mid = lo + (hi - lo) / 2;
			if (ftab_entryoff(m, mid) <= off)
				lo = mid;
			else
				hi = mid;
		}
		/* An unsorted (corrupt) ftab can end the search anywhere;
		 * accept only an entry that really brackets the offset. */
		if (ftab_entryoff(m, lo + 1) <= off)
			return false;
		/* With several text sections, offsets that bracket the PC's
		 * virtual offset can still map to addresses that do not
		 * bracket the PC (a corrupt ftab or section map).  Callers
		 * rely on entry <= pc < end. */
		struct hs_func f;
		if (!decode_func(p, m, lo, &f) || pc < f.entry || pc >= f.end)
			return false;
		*ret = f;
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Names and files                                                     */
/* ------------------------------------------------------------------ */

/* A NUL-terminated string at off inside [base, base+len), or NULL. */
static const char *table_string(const uint8_t *base, uint64_t len, uint64_t off)
{
	if (!base || off >= len)
		return NULL;
	const uint8_t *s = base + off;
	if (!memchr(s, 0, (size_t)(len - off)))
		return NULL;
	return (const char *)s;
}

/*
 * runtime's moduledata.funcName returns "" for nameOff 0, but offset 0 is
 * a real name: the linker (cmd/link/internal/ld/pcln.go,
 * generateFuncnametab) lays the names out from offset 0, so the first
 * function's name is there.  debug/gosym reads it; so do we.
 */
const char *hs_funcname_at(struct hs_program *p, const struct hs_module *m,
			   int32_t nameoff)
{
	(void)p;
	if (!m || nameoff < 0)
		return "?";
	const char *s = table_string(m->funcnametab_p, m->funcnametab.len,
				     (uint64_t)nameoff);
	return s ? s : "?";
}

const char *hs_func_name(struct hs_program *p, const struct hs_func *f)
{
	return f ? hs_funcname_at(p, f->mod, f->name_off) : "?";
}

/*
 * runtime.funcfile: a pcfile value is an index into the function's
 * compilation unit's slice of cutab (Go 1.16+); the cutab entry is an
 * offset into filetab, with ^0 for a file the linker could not name.
 */
static const char *cu_file(const struct hs_module *m, uint32_t cu_offset,
			   int32_t fileno)
{
	if (fileno < 0 || !m->cutab_p)
		return NULL;
	uint64_t idx = (uint64_t)cu_offset + (uint64_t)fileno;
	if (idx >= m->cutab.len)
		return NULL;
	uint32_t fileoff = rd_u32(m->cutab_p + idx * 4);
	if (fileoff == UINT32_MAX)
		return NULL;
	return table_string(m->filetab_p, m->filetab.len, fileoff);
}

/* ------------------------------------------------------------------ */
/* pcvalue tables                                                      */
/* ------------------------------------------------------------------ */

/*
 * An unsigned LEB128 varint of at most 32 bits.  runtime.readvarint reads
 * until a byte without the continuation bit, however long; the linker
 * never writes more than 5 bytes for a uint32, so a longer one is
 * corrupt and refused rather than followed.
 */
static inline bool uvarint32(const uint8_t **pp, const uint8_t *end,
			     uint32_t *ret)
{
	const uint8_t *q = *pp;
	uint32_t v = 0;
	for (unsigned shift = 0; shift < 35; shift += 7) {
		if (q >= end)
			return false;
		uint8_t b = *q++;
		v |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = q;
			*ret = v;
			return true;
		}
	}
	return false;
}

/*
 * runtime.pcvalue / runtime.step: pairs of (zig-zag value delta, pc
 * delta), value starting at -1 and pc at the function entry.  A zero
 * value-delta byte ends the table, except while the pc is still at the
 * entry: the first pair may carry a zero delta (value -1 on the first
 * range), and so may any pair before the pc has moved (Go tests
 * `pc == f.entry()`, not "first iteration").
 */
bool hs_pcvalue(struct hs_program *p, const struct hs_func *f, uint32_t off,
		uint64_t pc, int32_t *ret)
{
	(void)p;
	if (!f || !f->mod || off == 0)
		return false;
	const struct hs_module *m = f->mod;
	if (!m->pctab_p || off >= m->pctab.len || pc < f->entry || pc >= f->end)
		return false;
	const uint8_t *q = m->pctab_p + off;
	const uint8_t *end = m->pctab_p + m->pctab.len;
	uint64_t cur = f->entry;
	uint32_t val = UINT32_MAX;	/* -1 */
	/* Every pair takes at least two bytes, so this ends within
	 * (end - q) / 2 rounds. */
	while (q < end) {
		uint32_t uv, pcd;
		if (q[0] == 0 && cur != f->entry)
			return false;	/* end of table: pc not covered */
		if (q[0] < 0x80) {
			uv = q[0];
			q++;
		} else if (!uvarint32(&q, end, &uv))
			return false;
		/* Zig-zag, in unsigned arithmetic: int32 wrap-around is what
		 * the runtime does and must not be C undefined behaviour. */
		val += (uv >> 1) ^ (0u - (uv & 1u));
		if (q < end && q[0] < 0x80) {
			pcd = q[0];
			q++;
		} else if (!uvarint32(&q, end, &pcd))
			return false;
		cur += pcd;	/* times the PC quantum, 1 on amd64 */
		if (pc < cur) {
			*ret = (int32_t)val;
			return true;
		}
	}
	return false;
}

bool hs_func_spdelta(struct hs_program *p, const struct hs_func *f,
		     uint64_t pc, int32_t *ret)
{
	return f && hs_pcvalue(p, f, f->pcsp, pc, ret);
}

/* pcdata[idx] is an offset into pctab; 0 means the table is absent. */
bool hs_func_pcdata(struct hs_program *p, const struct hs_func *f,
		    uint32_t idx, uint64_t pc, int32_t *ret)
{
	if (!f || !f->raw || idx >= f->npcdata)
		return false;
	uint32_t off = rd_u32(f->raw + func_size(f->mod) + 4 * (uint64_t)idx);
	return off != 0 && hs_pcvalue(p, f, off, pc, ret);
}

/* funcdata[idx] is an offset from moduledata.gofunc (Go 1.18+, see
 * runtime.funcdata); ^0 means nil. */
uint64_t hs_func_funcdata(struct hs_program *p, const struct hs_func *f,
			  uint32_t idx)
{
	(void)p;
	if (!f || !f->raw || idx >= f->nfuncdata || !f->mod->gofunc)
		return 0;
	uint32_t off = rd_u32(f->raw + func_size(f->mod) +
			      4 * ((uint64_t)f->npcdata + idx));
	uint64_t addr;
	if (off == UINT32_MAX || cs_add_overflow(f->mod->gofunc, off, &addr))
		return 0;
	return addr;
}

/*
 * runtime.funcline1: the file from pcfile through cutab, the line from
 * pcln.  A value of -1 in either table means "no position" (the runtime
 * prints "?:0"); a file index the CU cannot resolve still has a line, so
 * the file is "?" and the answer stands.
 */
bool hs_func_fileline(struct hs_program *p, const struct hs_func *f,
		      uint64_t pc, const char **file_ret, int32_t *line_ret)
{
	int32_t fileno, line;
	if (!f || !hs_pcvalue(p, f, f->pcfile, pc, &fileno) ||
	    !hs_pcvalue(p, f, f->pcln, pc, &line) || fileno == -1 || line == -1)
		return false;
	const char *file = cu_file(f->mod, f->cu_offset, fileno);
	*file_ret = file ? file : "?";
	*line_ret = line;
	return true;
}

/* ------------------------------------------------------------------ */
/* Inlining                                                            */
/* ------------------------------------------------------------------ */

struct inl_record {
	uint8_t funcid;
	int32_t nameoff;
	int32_t parent_pc;
};

static bool inl_record_at(struct hs_program *p, const struct hs_module *m,
			  uint64_t tree, int32_t ix, struct inl_record *ret)
{
	uint8_t buf[INL_SIZE_GO118];
	bool old = m->magic == MAGIC_GO118;
	size_t size = old ? INL_SIZE_GO118 : INL_SIZE_GO120;
	if (ix < 0 || ix >= MAX_INLINE_INDEX ||
	    !rd_small(p, tree + (uint64_t)ix * size, buf, size))
		return false;
	if (old) {
		ret->funcid = buf[2];
		ret->nameoff = rd_i32(buf + 12);
		ret->parent_pc = rd_i32(buf + 16);
	} else {
		ret->funcid = buf[0];
		ret->nameoff = rd_i32(buf + 4);
		ret->parent_pc = rd_i32(buf + 8);
	}
	return true;
}

/*
 * The logical frames at pc, as runtime.inlineUnwinder (1.21+,
 * runtime/symtabinl.go) and, before it, the loops in gentraceback and
 * Frames.Next (1.19, runtime/traceback.go and runtime/symtab.go) walk
 * them:
 *   - PCDATA_InlTreeIndex at pc says which inline-tree entry pc belongs
 *     to, or -1 for the physical function;
 *   - that entry names the inlined function; the frame's file:line is the
 *     pcfile/pcln position at pc itself (the tables record the innermost
 *     position);
 *   - the caller's frame continues at entry + parentPc, an instruction
 *     whose position is the call site, and the walk repeats there.
 * The 1.18–1.19 record also carries the call site's file and line, but no
 * runtime code reads them ("TODO: remove file/line from InlinedCall?"
 * in 1.19's Frames.Next); evaluating at parentPc gives the same answer in
 * every release, so one walk serves all.  Lookups are non-strict, as in
 * the runtime: a missing table entry ends the walk at the physical
 * frame.
 */
size_t hs_func_frames(struct hs_program *p, const struct hs_func *f,
		      uint64_t pc, struct hs_logical_frame *out, size_t max)
{
	if (!f || !f->mod || max == 0)
		return 0;
	const struct hs_module *m = f->mod;
	uint64_t tree = hs_func_funcdata(p, f, HS_FUNCDATA_INLTREE);
	size_t n = 0;
	for (int depth = 0; tree && depth < MAX_INLINE_DEPTH && n < max; depth++) {
		int32_t ix;
		if (!hs_func_pcdata(p, f, HS_PCDATA_INLTREEINDEX, pc, &ix) || ix < 0)
			break;
		struct inl_record r;
		if (!inl_record_at(p, m, tree, ix, &r))
			break;
		struct hs_logical_frame *lf = &out[n++];
		lf->pc = pc;
		lf->name = hs_funcname_at(p, m, r.nameoff);
		if (!hs_func_fileline(p, f, pc, &lf->file, &lf->line)) {
			lf->file = "?";
			lf->line = 0;
		}
		lf->funcid = r.funcid;
		lf->inlined = true;
		/* parentPc is an offset from the entry; the runtime adds it
		 * unchecked.  Out of range, the lookups above fail and the
		 * walk ends at the physical frame with an unknown position,
		 * as the runtime's does. */
		pc = f->entry + (uint64_t)(int64_t)r.parent_pc;
	}
	if (n < max) {
		struct hs_logical_frame *lf = &out[n++];
		lf->pc = pc;
		lf->name = hs_func_name(p, f);
		if (!hs_func_fileline(p, f, pc, &lf->file, &lf->line)) {
			lf->file = "?";
			lf->line = 0;
		}
		lf->funcid = f->funcid;
		lf->inlined = false;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Stack maps and stack objects                                        */
/* ------------------------------------------------------------------ */

/*
 * runtime.stackmap {n int32, nbit int32, bytedata [...]uint8}: n bitmaps
 * of nbit bits, each starting on a byte boundary (runtime.stackmapdata).
 * The same in 1.18–1.27.
 */
bool hs_stackmap_entry(struct hs_program *p, const struct hs_func *f,
		       uint32_t funcdata_idx, int32_t index,
		       struct hs_bitvec *ret)
{
	uint64_t addr = hs_func_funcdata(p, f, funcdata_idx);
	int32_t hdr[2];
	if (!addr || !rd_small(p, addr, hdr, sizeof(hdr)))
		return false;
	int32_t n = hdr[0], nbit = hdr[1];
	if (n <= 0 || nbit < 0 || index < 0 || index >= n)
		return false;
	uint64_t bytes = ((uint64_t)nbit + 7) / 8;
	uint64_t at = addr + 8 + (uint64_t)index * bytes;
	if (at < addr)
		return false;
	if (bytes == 0) {
		ret->n = 0;
		ret->bits = NULL;
		return true;
	}
	/* The bitmap is handed out by pointer.  It lies in one region in
	 * any real core; only a map straddling a region boundary is copied
	 * (into the program's arena). */
	const uint8_t *bits = cw_peek(p->core, at, (size_t)bytes);
	if (!bits) {
		struct cs_error *err = NULL;
		bits = hs_map(p, at, bytes, &err);
		cs_error_destroy(err);
		if (!bits)
			return false;
	}
	ret->n = nbit;
	ret->bits = bits;
	return true;
}

/*
 * FUNCDATA_StackObjects (runtime/stkframe.go getStackMap, 1.21+;
 * runtime/stack.go before): a uintptr count, then that many
 * runtime.stackObjectRecord {off int32, size int32, ptrdata int32,
 * gcdataoff uint32}, 16 bytes each in every release 1.18–1.27.
 *   - off < 0 is relative to varp, off >= 0 to argp.
 *   - Go 1.18–1.23 name the third field _ptrdata: a negative value means
 *     the type's pointer data is a GC program (useGCProg) of -ptrdata
 *     bytes' coverage.  Go 1.24 renamed it ptrBytes and dropped GC
 *     programs for types; it is never negative there.  It is passed on
 *     raw, sign included.
 *   - gcdataoff is relative to moduledata.rodata (stackObjectRecord.gcdata,
 *     all releases).
 */
size_t hs_func_stack_objects(struct hs_program *p, const struct hs_func *f,
			     struct hs_stack_object *out, size_t max)
{
	uint64_t addr = hs_func_funcdata(p, f, HS_FUNCDATA_STACKOBJECTS);
	uint64_t n;
	if (!addr || !rd_small(p, addr, &n, sizeof(n)) || n > MAX_STACK_OBJECTS)
		return 0;
	size_t k = 0;
	for (uint64_t i = 0; i < n && k < max; i++) {
		uint8_t rec[16];
		if (!rd_small(p, addr + 8 + 16 * i, rec, sizeof(rec)))
			break;
		out[k].off = rd_i32(rec);
		out[k].size = rd_i32(rec + 4);
		out[k].ptrbytes = rd_i32(rec + 8);
		out[k].gcdata = f->mod->rodata + rd_u32(rec + 12);
		k++;
	}
	return k;
}
