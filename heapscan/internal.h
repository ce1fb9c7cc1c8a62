/*
 * internal.h — heapscan's private structures.  Only heapscan sources
 * include it.
 */
#ifndef CORESCOPE_HEAPSCAN_INTERNAL_H
#define CORESCOPE_HEAPSCAN_INTERNAL_H

#include <string.h>

#include "heapscan.h"
#include "layout.h"

/* ------------------------------------------------------------------ */
/* Reading runtime structures                                          */
/* ------------------------------------------------------------------ */

/* Read the unsigned value of layout member f of the struct at base.  The
 * member's size (1, 2, 4 or 8) comes from the layout, so a field that grew
 * or shrank between releases reads right. */
struct cs_error *hs_rd(struct hs_program *p, uint64_t base,
		       const struct hs_lval *f, uint64_t *ret) CS_MUST_CHECK;
/* The same from a local copy of the struct (buf of bufsize bytes); 0 when
 * the member is absent or outside buf. */
static inline uint64_t hs_get(const void *buf, size_t bufsize,
			      const struct hs_lval *f)
{
	if (!f->ok || f->v < 0 || (uint64_t)f->v + f->size > bufsize)
		return 0;
	const uint8_t *p = (const uint8_t *)buf + f->v;
	switch (f->size) {
	case 1:
		return p[0];
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	default: {
		uint64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	}
}

static inline uint64_t rd_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t rd_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* A Go slice header as read from the core. */
struct hs_slice {
	uint64_t ptr, len, cap;
};
struct cs_error *hs_rd_slice(struct hs_program *p, uint64_t addr,
			     struct hs_slice *ret) CS_MUST_CHECK;
/* A Go string's bytes, at most max, into a malloc'ed NUL-terminated
 * string (the string may contain NULs; *len_ret says how long). */
struct cs_error *hs_rd_string(struct hs_program *p, uint64_t addr, size_t max,
			      char **ret, size_t *len_ret) CS_MUST_CHECK;

/* Bytes [addr, addr+len) as one pointer: zero-copy when the core has them
 * contiguous, else copied into the program's arena.  NULL + error when
 * unreadable. */
const uint8_t *hs_map(struct hs_program *p, uint64_t addr, uint64_t len,
		      struct cs_error **err);

/* ------------------------------------------------------------------ */
/* ELF symbols of the executable                                       */
/* ------------------------------------------------------------------ */

struct hs_symtab {
	struct hs_sym *by_addr;	/* sorted by address */
	size_t n;
	uint32_t *by_name;	/* open-addressing hash: index+1, 0 empty */
	size_t nbuckets;
};

struct cs_error *hs_symtab_load(struct hs_program *p);
void hs_symtab_deinit(struct hs_symtab *s);
/* Look up a symbol by exact name. */
const struct hs_sym *hs_sym_lookup(struct hs_program *p, const char *name);
/* The data/bss symbol containing addr (size > 0), or NULL. */
const struct hs_sym *hs_sym_containing(struct hs_program *p, uint64_t addr);

/* ------------------------------------------------------------------ */
/* Modules (moduledata) and pclntab                                    */
/* ------------------------------------------------------------------ */

struct hs_bitvec {
	int32_t n;		/* number of bits */
	const uint8_t *bits;	/* (n+7)/8 bytes, LSB first */
};

struct hs_module {
	uint64_t addr;		/* the moduledata */
	uint64_t pcheader;
	struct hs_slice funcnametab, cutab, filetab, pctab, pclntable, ftab;
	struct hs_slice textsectmap, typelinks, itablinks;
	uint64_t findfunctab, minpc, maxpc, text, etext;
	uint64_t noptrdata, enoptrdata, data, edata, bss, ebss, noptrbss,
		enoptrbss, end;
	uint64_t gcdata, gcbss, types, etypes, rodata, gofunc;
	struct hs_bitvec gcdatamask, gcbssmask;	/* bits map to words */
	char *modulename;

	/* pclntab, decoded header and zero-copy views */
	uint32_t magic;		/* 0xfffffff0 (1.18–1.19), 0xfffffff1 */
	uint64_t nfunc, nfiles, text_start;
	const uint8_t *ftab_p;		/* (nfunc+1) x {entryoff, funcoff} */
	const uint8_t *pclntable_p;	/* _func records */
	uint64_t pclntable_len;
	const uint8_t *funcnametab_p;
	const uint8_t *cutab_p;
	const uint8_t *filetab_p;
	const uint8_t *pctab_p;
};

/* A decoded _func record (runtime/runtime2.go). */
struct hs_func {
	const struct hs_module *mod;
	uint64_t entry;		/* absolute entry PC */
	uint64_t end;		/* entry of the next function */
	const uint8_t *raw;	/* the record, bounds-checked to hold the
				 * pcdata and funcdata arrays */
	int32_t name_off, args;
	uint32_t deferreturn, pcsp, pcfile, pcln, npcdata, cu_offset;
	int32_t start_line;	/* 0 before Go 1.20 */
	uint8_t funcid, flag, nfuncdata;
};

/* PCDATA and FUNCDATA indexes (internal/abi/symtab.go). */
enum {
	HS_PCDATA_UNSAFEPOINT = 0,
	HS_PCDATA_STACKMAPINDEX = 1,
	HS_PCDATA_INLTREEINDEX = 2,
	HS_FUNCDATA_ARGSPOINTERMAPS = 0,
	HS_FUNCDATA_LOCALSPOINTERMAPS = 1,
	HS_FUNCDATA_STACKOBJECTS = 2,
	HS_FUNCDATA_INLTREE = 3,
	HS_FUNCDATA_OPENCODEDDEFERINFO = 4,
	HS_FUNCDATA_ARGINFO = 5,
	HS_FUNCDATA_ARGLIVEINFO = 6,
	HS_FUNCDATA_WRAPINFO = 7,
};

/* Read the moduledata chain starting at runtime.firstmoduledata and
 * decode each module's pclntab header. */
struct cs_error *hs_modules_load(struct hs_program *p);

/* The function containing pc, or false. */
bool hs_find_func(struct hs_program *p, uint64_t pc, struct hs_func *ret);
/* The function's name (NUL-terminated, borrowed), "?" when unreadable. */
const char *hs_func_name(struct hs_program *p, const struct hs_func *f);
/* A name by funcnametab offset (inline tree entries use these). */
const char *hs_funcname_at(struct hs_program *p, const struct hs_module *m,
			   int32_t nameoff);
/* Evaluate the pcvalue table at offset off (into pctab) at pc.  false when
 * the table is absent (off 0), malformed, or does not cover pc. */
bool hs_pcvalue(struct hs_program *p, const struct hs_func *f, uint32_t off,
		uint64_t pc, int32_t *ret);
/* Stack pointer delta at pc (pcsp table); false if unknown. */
bool hs_func_spdelta(struct hs_program *p, const struct hs_func *f,
		     uint64_t pc, int32_t *ret);
/* PCDATA table idx evaluated at pc. */
bool hs_func_pcdata(struct hs_program *p, const struct hs_func *f,
		    uint32_t idx, uint64_t pc, int32_t *ret);
/* FUNCDATA idx as an absolute address (0 when absent). */
uint64_t hs_func_funcdata(struct hs_program *p, const struct hs_func *f,
			  uint32_t idx);
/* Source position of pc in the physical function (no inlining). */
bool hs_func_fileline(struct hs_program *p, const struct hs_func *f,
		      uint64_t pc, const char **file_ret, int32_t *line_ret);

/* Expand pc into its logical frames (innermost first).  Returns the count
 * written (at most max; at least 1 when f is valid). */
size_t hs_func_frames(struct hs_program *p, const struct hs_func *f,
		      uint64_t pc, struct hs_logical_frame *out, size_t max);

/* A stack map (runtime.stackmap: n, nbit, bytedata) entry. */
bool hs_stackmap_entry(struct hs_program *p, const struct hs_func *f,
		       uint32_t funcdata_idx, int32_t index,
		       struct hs_bitvec *ret);

/* A stack object record (runtime.stackObjectRecord). */
struct hs_stack_object {
	int32_t off;		/* from varp (<0) or argp (>=0) */
	int32_t size;
	int32_t ptrbytes;
	uint64_t gcdata;	/* address of the pointer mask (1 bit/word) */
};
/* Stack objects of f; returns the count (at most max). */
size_t hs_func_stack_objects(struct hs_program *p, const struct hs_func *f,
			     struct hs_stack_object *out, size_t max);

/* ------------------------------------------------------------------ */
/* DWARF (optional)                                                    */
/* ------------------------------------------------------------------ */

struct hs_dwarf;
/* Open the executable's DWARF; NULL when absent (-ldflags=-w). */
struct hs_dwarf *hs_dwarf_open(struct hs_program *p);
void hs_dwarf_close(struct hs_dwarf *d);
/* The global variable containing addr: its start and its type's DIE
 * offset. */
bool hs_dwarf_global(struct hs_dwarf *d, uint64_t addr, uint64_t *var_ret,
		     uint64_t *type_die_ret);
/* The runtime type that describes offset off of a variable whose type
 * is the DIE at var_type_off: the innermost enclosing type that has a
 * descriptor (or a made-up pointer/slice type around one), and the offset
 * within it. */
bool hs_dwarf_slot_type(struct hs_program *p, uint64_t var_type_off, uint64_t off,
			const struct hs_type **t_ret, uint64_t *inner_ret);
/* The captured variables of the closure function at entry (DWARF
 * DW_AT_go_closure_offset), as fields; returns the count. */
size_t hs_dwarf_closure_vars(struct hs_program *p, uint64_t entry, struct hs_field *out,
			     size_t max);
/* The local variable or parameter of the function at pc whose storage
 * (CFA-relative at pc) holds slot: its name, slot's offset within it, its
 * type's DIE, and the static type at slot (as hs_dwarf_slot_type). */
bool hs_dwarf_stack_var(struct hs_program *p, uint64_t pc, uint64_t cfa, uint64_t slot,
			const char **name_ret, uint64_t *var_off_ret, uint64_t *type_die_ret,
			const struct hs_type **type_ret, uint64_t *inner_ret);
/* Names of the variables DWARF lists for the function at entry ("&x"
 * reduced to "x"), and when types is given their runtime types (NULL
 * where unknown); returns the count. */
size_t hs_dwarf_func_var_names(struct hs_program *p, uint64_t entry, const char **out,
			       const struct hs_type **types, size_t max);
/* types.c: the closure record type ("struct { F uintptr; … }") of a
 * closure of at most size bytes whose variables are these: the one whose
 * captured fields all bear these names (Go 1.19), or, with the positional
 * names X0, X1… of Go 1.20-1.22, whose fields' types are those of
 * distinct variables; NULL if none or ambiguous.  For positional fields,
 * *renamed_ret (n entries) gets the variable name of each field where the
 * type says which (else the field's own name). */
const struct hs_type *hs_closure_struct(struct hs_program *p, const char *const *names,
					const struct hs_type *const *types, size_t n,
					uint64_t size, const char **renamed_ret);
/* Append the Go field path of offset off inside the variable type
 * (".tree.children.s[2]"). */
bool hs_dwarf_slot_path(struct hs_dwarf *d, uint64_t var_type_off, uint64_t off,
			struct cs_strbuf *path);
/* types.c: the cached type at addr without decoding anything new. */
const struct hs_type *hs_type_lookup(struct hs_program *p, uint64_t addr);
/* types.c: register a synthetic type at a chosen fake address. */
const struct hs_type *hs_type_synthetic_at(struct hs_program *p,
					   const struct hs_type *proto, uint64_t addr);
/* Resolve one layout descriptor from DWARF. */
bool hs_dwarf_resolve(struct hs_dwarf *d, const struct hs_ldesc *desc,
		      struct hs_lval *ret);

/* ------------------------------------------------------------------ */
/* Types (types.c)                                                     */
/* ------------------------------------------------------------------ */

struct hs_types {
	struct hs_type **v;	/* v[id]; v[0] is NULL */
	size_t n, cap;
	uint32_t *buckets;	/* address hash -> id (0 empty) */
	size_t nbuckets;
};
void hs_types_deinit(struct hs_types *t);
/* Run a GC program into out (zeroed, nbits bits); false if malformed. */
bool hs_run_gcprog(const uint8_t *prog, size_t plen, uint8_t *out, uint64_t nbits);


/* ------------------------------------------------------------------ */
/* The program                                                         */
/* ------------------------------------------------------------------ */

struct hs_program {
	struct cw_core *core;
	struct cs_warnings *warnings;
	struct cs_arena arena;
	struct hs_buildinfo *bi;
	struct hs_layout layout;
	struct hs_strategy strategy;
	const char *layout_source;	/* "DWARF", "table go1.26", … */
	struct hs_symtab syms;
	struct hs_module *mods;
	size_t nmods;
	struct hs_dwarf *dwarf;
	struct hs_types types;
	/* global pointer slots by value (for aliases); built on demand */
	struct hs_alias { uint64_t value, slot; } *aliases;
	size_t naliases;
	bool aliases_built;
	bool types_indexed;	/* every descriptor decoded (closure search) */
};

/* ------------------------------------------------------------------ */
/* The heap (heap.c)                                                   */
/* ------------------------------------------------------------------ */

struct hs_arena {
	uint64_t idx;		/* arena number */
	uint64_t ha;		/* the runtime.heapArena record */
	uint64_t base;		/* first heap address */
	uint32_t *page_span;	/* per page: span index + 1, 0 none */
};

/* What hs_heap_find reads of a span, in one cache line with the next
 * span's: manual spans have base = limit = 0 (nothing is inside). */
struct hs_span_find {
	uint64_t base, limit;
	uint32_t elemsize;	/* small spans; 0 for a large one (one slot) */
	uint32_t div_mul;	/* slot = (offset * div_mul) >> 32 */
	uint32_t word0;		/* its first allocation word */
	uint16_t nelems;	/* slots (small spans have at most 65535) */
	uint16_t header;	/* slots start with an 8-byte malloc header */
};

/* 64 slots of a span: which are allocated, and the object index of the
 * first allocated one among them (or of the next object, if none). */
struct hs_allocword {
	uint64_t bits;
	uint32_t obj;
	uint32_t unused;
};

struct hs_heap {
	struct hs_program *p;
	uint64_t page_size, arena_bytes, arena_base_offset, pages_per_arena;
	unsigned page_shift, arena_shift;
	uint64_t heap_bits_small_max, inline_marks_size;
	uint64_t sweepgen, runtime_pages_in_use;

	struct hs_arena *arenas;
	size_t narenas;
	uint32_t *arena_buckets;	/* hash: arena number -> index + 1 */
	size_t arena_nbuckets;

	struct hs_span *spans;	/* sorted by base; heap and manual */
	struct hs_span_find *find;	/* per span, for hs_heap_find */
	size_t nspans;
	struct hs_allocword *aw;	/* per heap span, one bit per slot */
	size_t nwords;
	struct hs_object *objs;
	size_t nobjs;
	uint64_t alloc_count_mismatches, bad_headers;
};

/* layout.c */
struct cs_error *hs_layout_resolve(struct hs_program *p);

#endif
