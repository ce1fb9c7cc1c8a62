/*
 * heapscan.h — the Go runtime model of a core.  Prefix: hs_.
 *
 * heapscan turns core memory (read only through corewalk) into Go runtime
 * facts: the Go version, runtime layouts, pclntab, type descriptors, heap
 * objects, goroutines and roots.
 */
#ifndef CORESCOPE_HEAPSCAN_H
#define CORESCOPE_HEAPSCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "cs.h"
#include "corewalk.h"

/* ------------------------------------------------------------------ */
/* Build information (.go.buildinfo)                                   */
/* ------------------------------------------------------------------ */

struct hs_buildinfo {
	char *version;		/* "go1.26.8", as the toolchain wrote it */
	int major, minor, patch;	/* 1, 26, 8; patch 0 for "go1.21" */
	char *modinfo;		/* module and build settings text, or NULL */
	char *main_path;	/* "path" line of modinfo, or NULL */
	char *experiments;	/* GOEXPERIMENT build setting, or NULL */
	uint64_t addr;		/* where the .go.buildinfo header is */
	enum cw_source source;	/* where its bytes came from */
};

/*
 * Read the Go version and build settings from the .go.buildinfo section of
 * the process image (located through the executable's section headers, or
 * by its 16-byte-aligned magic in the executable's data when there is no
 * executable).  Errors: CS_ERR_NOT_FOUND (not a Go program, or the bytes
 * are not in the dump), CS_ERR_BAD_DATA.
 */
CS_PUBLIC struct cs_error *hs_buildinfo_read(struct cw_core *core,
					     struct hs_buildinfo **ret) CS_MUST_CHECK;
CS_PUBLIC void hs_buildinfo_destroy(struct hs_buildinfo *bi);

/* The version string the runtime itself reports (runtime.buildVersion, a
 * string in .data pointing into .rodata): its value, the address of its
 * bytes and where they were read from (in a kernel core, the executable
 * overlay).  Needs the symbol table. */
CS_PUBLIC struct cs_error *hs_runtime_version(struct cw_core *core, char **value_ret,
					      uint64_t *addr_ret,
					      enum cw_source *source_ret) CS_MUST_CHECK;

/* True if the experiment (e.g. "noswissmap") is in the build's
 * GOEXPERIMENT list. */
CS_PUBLIC bool hs_buildinfo_has_experiment(const struct hs_buildinfo *bi,
					   const char *name);

/* ------------------------------------------------------------------ */
/* The program                                                         */
/* ------------------------------------------------------------------ */

/* The Go runtime view of a core: version, runtime layout, symbols,
 * modules and pclntab.  Borrows the core, which must outlive it. */
struct hs_program;

/*
 * Build the program view.  Errors: CS_ERR_NOT_FOUND (not a Go program),
 * CS_ERR_UNSUPPORTED (a Go release or build we cannot read; the message
 * says which and what is supported), CS_ERR_BAD_DATA.  Partial problems
 * go to the core's warnings.
 */
CS_PUBLIC struct cs_error *hs_program_open(struct cw_core *core,
					   struct hs_program **ret) CS_MUST_CHECK;
CS_PUBLIC void hs_program_destroy(struct hs_program *p);
CS_PUBLIC struct cw_core *hs_program_core(const struct hs_program *p);
CS_PUBLIC const struct hs_buildinfo *hs_program_buildinfo(const struct hs_program *p);
/* Where the runtime layout came from: "DWARF" or "built-in table …". */
CS_PUBLIC const char *hs_program_layout_source(const struct hs_program *p);
/* The layout-relevant GOEXPERIMENTs of the build, canonically ordered and
 * comma-separated ("" for the release's defaults): the key of its
 * built-in table with the Go minor version.  Returns buf. */
CS_PUBLIC const char *hs_program_layout_experiments(const struct hs_program *p,
						    char *buf, size_t n);

/* ------------------------------------------------------------------ */
/* Types                                                               */
/* ------------------------------------------------------------------ */

/* Kinds (internal/abi.Kind). */
enum hs_kind {
	HS_KIND_BOOL = 1, HS_KIND_INT, HS_KIND_INT8, HS_KIND_INT16,
	HS_KIND_INT32, HS_KIND_INT64, HS_KIND_UINT, HS_KIND_UINT8,
	HS_KIND_UINT16, HS_KIND_UINT32, HS_KIND_UINT64, HS_KIND_UINTPTR,
	HS_KIND_FLOAT32, HS_KIND_FLOAT64, HS_KIND_COMPLEX64,
	HS_KIND_COMPLEX128, HS_KIND_ARRAY, HS_KIND_CHAN, HS_KIND_FUNC,
	HS_KIND_INTERFACE, HS_KIND_MAP, HS_KIND_PTR, HS_KIND_SLICE,
	HS_KIND_STRING, HS_KIND_STRUCT, HS_KIND_UNSAFEPTR,
};

struct hs_field {
	const char *name;
	uint64_t type;		/* address of the field's type */
	uint64_t offset;
	bool embedded;
};

/* A decoded type descriptor.  Owned by the program; read-only. */
struct hs_type {
	uint64_t addr;		/* the descriptor in the core */
	uint32_t id;		/* index in the program's type table (>0) */
	uint64_t size, ptrbytes;
	uint8_t kind;		/* enum hs_kind */
	uint8_t tflag;
	bool direct_iface;	/* stored directly in an interface word */
	bool gcprog;		/* GCData is a GC program (to Go 1.23) */
	bool unrolled;		/* 1.22–1.23 stand-in for a GC-program type */
	bool synthetic;		/* made by corescope (runtime internals such
				 * as map headers, closures); addr is fake */
	uint8_t role;		/* synthetic: enum hs_synth_role */
	uint64_t for_type;	/* synthetic: the map/chan/func type it serves */
	uint64_t gcdata;
	const char *name;	/* "main.Entry", "[]*main.Entry", … */
	uint64_t elem, key;	/* element (ptr, slice, array, chan, map) and
				 * key (map) type addresses */
	uint64_t len;		/* arrays: length; interfaces: method count */
	struct hs_field *fields;	/* structs */
	uint32_t nfields;
	struct {
		uint64_t group;		/* bucket (classic) or group type */
		uint64_t group_size;
		uint64_t key_size, elem_size;	/* classic */
		/* key i of a group/bucket at keys_off + i*key_stride; elem i
		 * at elems_off + i*elem_stride (every layout fits this) */
		uint64_t keys_off, key_stride, elems_off, elem_stride;
		uint32_t flags;
	} map;
	/* pointer mask cache (hs_type_mask) */
	uint8_t mask_state;	/* 0 not built, 1 ok, 2 unavailable */
	const uint8_t *mask;
};

/* What a synthetic type stands for. */
enum hs_synth_role {
	HS_SYNTH_NONE,
	HS_SYNTH_HMAP,		/* classic map header (runtime.hmap) */
	HS_SYNTH_SWISSMAP,	/* Swiss map header (internal/runtime/maps.Map) */
	HS_SYNTH_SWISSDIR,	/* Swiss map directory: [N]*table */
	HS_SYNTH_SWISSTABLE,	/* Swiss map table */
	HS_SYNTH_HCHAN,		/* channel (runtime.hchan) */
	HS_SYNTH_CLOSURE,	/* a func value's closure record */
	HS_SYNTH_STRING,	/* string bytes */
	HS_SYNTH_PTR,		/* a pointer type without a descriptor */
};

/* The type of a closure record whose code pointer is fn: a synthetic
 * struct named "closure pkg.f.func1" whose fields are the captured
 * variables when DWARF has them.  NULL if fn is not a function entry. */
CS_PUBLIC const struct hs_type *hs_closure_type(struct hs_program *p, uint64_t fn,
						uint64_t size);
/* Register a type corescope made up (a copy of proto with a fake unique
 * address); it is then found by hs_type_at and hs_type_by_id like any
 * other.  Owned by the program. */
CS_PUBLIC const struct hs_type *hs_type_synthetic(struct hs_program *p,
						  const struct hs_type *proto);

/* The type descriptor at addr (decoded once, cached), or NULL when addr is
 * not a type descriptor of the program. */
CS_PUBLIC const struct hs_type *hs_type_at(struct hs_program *p, uint64_t addr);
CS_PUBLIC const struct hs_type *hs_type_by_id(const struct hs_program *p,
					      uint32_t id);
/* The type at addr if it is already decoded, else NULL, with *pending
 * true when hs_type_at could still decode one there.  Never decodes, so
 * threads may call it while no other thread adds types. */
CS_PUBLIC const struct hs_type *hs_type_known(const struct hs_program *p, uint64_t addr,
					      bool *pending);
/* The pointer mask of a type: ptrbytes/8 bits, LSB first (from GCData,
 * a GC program, or built from the fields), or NULL if unknown. */
CS_PUBLIC const uint8_t *hs_type_mask(struct hs_program *p, const struct hs_type *t);
/* How many values of type t an object of `bytes` bytes holds: 1 for a
 * single value (one rounded up to its size class is less than twice its
 * size), 2 or more for a backing array.  Synthetic string bytes and
 * zero-size types count 1. */
static inline uint64_t hs_type_elements(const struct hs_type *t, uint64_t bytes)
{
	if (!t->size || t->role == HS_SYNTH_STRING || bytes < 2 * t->size)
		return 1;
	return bytes / t->size;
}
/* Map types: is the key / elem stored indirectly (behind a pointer)? */
CS_PUBLIC bool hs_map_indirect_key(struct hs_program *p, const struct hs_type *t);
CS_PUBLIC bool hs_map_indirect_elem(struct hs_program *p, const struct hs_type *t);

/* ------------------------------------------------------------------ */
/* The heap                                                            */
/* ------------------------------------------------------------------ */

#define HS_NONE UINT32_MAX

/* One allocated heap object: 8 bytes, in one array sorted by address.
 * The address is not stored (hs_object_addr derives it from the span and
 * the allocation bits): on a heap of 40 million objects that is 320 MB. */
struct hs_object {
	uint32_t span;		/* index into hs_heap_spans() */
	uint32_t type;		/* type id (hs_type_by_id), 0 if unknown */
};

enum { HS_SPAN_HEAP = 1, HS_SPAN_MANUAL = 2 };

struct hs_span {
	uint64_t mspan;		/* the runtime.mspan record */
	uint64_t base, limit;	/* startAddr; limit (end of the last slot, or
				 * of a large object's requested size) */
	uint64_t npages;
	uint64_t elemsize;	/* slot size */
	uint32_t nelems;
	uint32_t alloc_count;	/* the runtime's allocCount */
	uint32_t freeindex;
	uint32_t first_obj, nobj;	/* objects [first_obj, first_obj+nobj) */
	uint32_t word0;		/* first allocation word */
	uint32_t div_mul;	/* slot = (offset * div_mul) >> 32 */
	uint32_t sweepgen;
	uint64_t alloc_bits, large_type;
	uint8_t state;		/* HS_SPAN_HEAP or HS_SPAN_MANUAL (stacks) */
	uint8_t spanclass, sizeclass;
	bool noscan, large;
	bool header;		/* slots start with an 8-byte *abi.Type */
	bool inline_marks;	/* Green Tea inline mark bits at the end */
};

struct hs_heap;
struct hs_roots;

/* Walk the arenas and in-use spans and index every allocated object.
 * Problems with single spans are warnings (partial result). */
CS_PUBLIC struct cs_error *hs_heap_load(struct hs_program *p,
					const struct cs_progress *prog,
					struct hs_heap **ret) CS_MUST_CHECK;
CS_PUBLIC void hs_heap_destroy(struct hs_heap *h);
CS_PUBLIC size_t hs_heap_count(const struct hs_heap *h);
CS_PUBLIC const struct hs_object *hs_heap_objects(const struct hs_heap *h);
CS_PUBLIC size_t hs_heap_span_count(const struct hs_heap *h);
CS_PUBLIC const struct hs_span *hs_heap_spans(const struct hs_heap *h);
/* The object containing addr (interior pointers resolve to their
 * object), or HS_NONE. O(1). */
CS_PUBLIC uint32_t hs_heap_find(const struct hs_heap *h, uint64_t addr);
/* hs_heap_find in three steps, for a stream of addresses: start, step
 * and end, in that order, give its answer for addr.  Each step asks for
 * the cache line the next one reads, so the lookups of a stream overlap
 * when the caller runs each step some addresses behind the one before. */
struct hs_find_state {
	uint64_t addr;
	uint32_t span;		/* start: span index + 1; step: 1 if the slot is found */
	uint32_t word;		/* the slot's allocation word */
	uint32_t bit;		/* and its bit in the word */
};
CS_PUBLIC void hs_heap_find_start(const struct hs_heap *h, struct hs_find_state *f, uint64_t addr);
CS_PUBLIC void hs_heap_find_step(const struct hs_heap *h, struct hs_find_state *f);
CS_PUBLIC uint32_t hs_heap_find_end(const struct hs_heap *h, const struct hs_find_state *f);
/* The span (heap or manual) containing addr, or HS_NONE. */
CS_PUBLIC uint32_t hs_heap_span_of(const struct hs_heap *h, uint64_t addr);
/* Set the type of object i (refgraph's type inference). */
CS_PUBLIC void hs_heap_set_type(struct hs_heap *h, uint32_t i, uint32_t type);
/* The object's size in bytes (without a malloc header). */
CS_PUBLIC uint64_t hs_object_size(const struct hs_heap *h, uint32_t i);
/* The object's address: what the program's pointers point at (past the
 * malloc header, for objects that have one).  0 if i is not an object.
 * A few dozen instructions: the slot is found from the object's rank
 * among its span's allocated slots. */
CS_PUBLIC uint64_t hs_object_addr(const struct hs_heap *h, uint32_t i);
/* Every object's address, in index order, into out[hs_heap_count(h)]:
 * one pass over the spans, for callers that need most of them. */
CS_PUBLIC void hs_heap_object_addrs(const struct hs_heap *h, uint64_t *out);
/* The addresses of objects [lo, hi) into out[hi - lo]: the same walk,
 * from lo's span on. */
CS_PUBLIC void hs_heap_object_addrs_range(const struct hs_heap *h, uint32_t lo, uint32_t hi,
					  uint64_t *out);
/* The same, given an address inside object i (what hs_heap_find resolved
 * to i): cheaper, the slot follows from the address. */
CS_PUBLIC uint64_t hs_object_addr_from(const struct hs_heap *h, uint32_t i, uint64_t inside);

/* Called for each non-zero pointer word of an object: offset from the
 * object's address and the value.  Return non-zero to stop. */
typedef int (*hs_ptr_fn)(void *arg, uint64_t offset, uint64_t value);
/* Visit the pointer words of object i per the runtime's own pointer
 * bitmap (arena bitmap, span heap bits, or malloc-header type).  Returns
 * 0, fn's non-zero stop value, or -1 when the object's bytes or bits are
 * not in the dump. */
CS_PUBLIC int hs_object_scan(struct hs_heap *h, uint32_t i, hs_ptr_fn fn,
			     void *arg);
/* The same, given the object's address (hs_object_addr), for callers
 * that walk objects in order and have it already. */
CS_PUBLIC int hs_object_scan_at(struct hs_heap *h, uint32_t i, uint64_t addr, hs_ptr_fn fn,
				void *arg);
/* Build now every pointer mask that hs_object_scan would build lazily for
 * the objects' current types.  Afterwards, until a type changes,
 * hs_object_scan reads only and may run in several threads at once. */
CS_PUBLIC void hs_heap_prepare_scan(struct hs_heap *h);

struct hs_heap_stats {
	uint64_t arenas, arena_bytes;
	uint64_t inuse_spans, inuse_pages, inuse_bytes;
	uint64_t manual_spans, manual_bytes;	/* goroutine stacks, mostly */
	uint64_t objects, object_bytes, free_slot_bytes;
	uint64_t runtime_alloc_count;		/* sum of span allocCount */
	uint64_t runtime_pages_in_use;		/* mheap_.pagesInUse */
	uint64_t alloc_count_mismatches;	/* spans where ours differs */
	uint64_t page_size;
	/* the page allocator's bitmaps (mheap_.pages): free pages in the
	 * arenas, and those of them released to the OS */
	bool page_alloc_ok;
	uint64_t runtime_free_pages, runtime_released_pages;
};
CS_PUBLIC void hs_heap_stats(const struct hs_heap *h, struct hs_heap_stats *ret);
/* Heap arena i: its first address and size. */
CS_PUBLIC size_t hs_heap_arena_count(const struct hs_heap *h);
CS_PUBLIC uint64_t hs_heap_arena_base(const struct hs_heap *h, size_t i,
				      uint64_t *size_ret);

/* ------------------------------------------------------------------ */
/* Goroutines                                                          */
/* ------------------------------------------------------------------ */

/* One logical frame at a pc: inlined calls first, the physical function
 * last. */
struct hs_logical_frame {
	uint64_t pc;		/* where this frame's position was read */
	const char *name;
	const char *file;
	int32_t line;
	uint8_t funcid;
	bool inlined;
};
/* One physical stack frame. */
struct hs_frame {
	uint64_t pc, sp, fp;	/* fp: the caller's sp */
	uint64_t varp, argp;	/* locals end below varp; args start at argp */
	uint64_t entry;		/* function entry */
	uint64_t lookup_pc;	/* pc used for tables (pc-1 in callers) */
	const char *func;	/* physical function */
	uint32_t first_logical;	/* into hs_goroutines.logical */
	uint16_t nlogical;	/* inlined frames first, the physical last */
	bool conservative;	/* asyncPreempt and the frame it interrupted */
	bool funcid_sigpanic;
};

struct hs_goroutine {
	uint64_t g;		/* the runtime.g record */
	uint64_t goid, parent_goid;
	uint32_t status;	/* _Grunning … (the scan bit kept) */
	uint8_t waitreason;
	const char *wait_str;	/* "chan receive", from the program, or NULL */
	int64_t waitsince;	/* nanotime, 0 if unknown */
	bool system;		/* a runtime-internal goroutine */
	uint64_t gopc, startpc;	/* the go statement, the start function */
	uint64_t stack_lo, stack_hi;
	uint64_t m;		/* the M running it, 0 if none */
	int tid;		/* that M's OS thread */
	uint64_t syscallsp, syscallpc;
	uint64_t sched_ctxt, sched_ctxt_slot;
	uint64_t start_pc, start_sp;	/* where unwinding began */
	uint32_t first_frame, nframes;	/* into hs_goroutines.frames */
	const char *stop;	/* why unwinding stopped early, or NULL */
};

struct hs_goroutines {
	struct hs_goroutine *v;
	size_t n;
	struct hs_frame *frames;
	size_t nframes, frames_cap;
	struct hs_logical_frame *logical;
	size_t nlogical, logical_cap;
	/* cache of the runtime's wait reason strings */
	bool wait_loaded;
	uint32_t nwait;
	const char *wait_strs[256];
};

/* Read runtime.allgs and unwind every live goroutine. */
CS_PUBLIC struct cs_error *hs_goroutines_load(struct hs_program *p,
					      struct hs_goroutines **ret) CS_MUST_CHECK;
CS_PUBLIC void hs_goroutines_destroy(struct hs_goroutines *gs);
CS_PUBLIC const char *hs_gstatus_name(uint32_t status);
/* Append the live pointer slots of every goroutine's stack (stack maps,
 * live stack objects, conservative frames) and saved closure contexts to
 * r as stack roots. */
CS_PUBLIC struct cs_error *hs_goroutine_roots(struct hs_program *p, struct hs_heap *h,
					      const struct hs_goroutines *gs,
					      struct hs_roots *r) CS_MUST_CHECK;
/* Name the stack slot of frame f: the variable (and field path) DWARF
 * places there ("buf", "req.ctx").  False without DWARF or when no
 * variable covers the slot. */
CS_PUBLIC bool hs_stack_slot_name(struct hs_program *p, const struct hs_frame *f,
				  uint64_t slot, struct cs_strbuf *out);
/* A corewalk unwind hook that sizes Go frames from pclntab. */
CS_PUBLIC void hs_unwind_hook(struct hs_program *p, struct cw_unwind_hook *ret);
/* Source position of a pc (the physical function, no inlining). */
CS_PUBLIC bool hs_pc_fileline(struct hs_program *p, uint64_t pc, const char **file_ret,
			      int32_t *line_ret);

/* ------------------------------------------------------------------ */
/* Roots                                                               */
/* ------------------------------------------------------------------ */

enum hs_root_kind {
	HS_ROOT_DATA = 1,	/* global in .data */
	HS_ROOT_BSS,		/* global in .bss */
	HS_ROOT_STACK,		/* live slot of a goroutine stack frame */
	HS_ROOT_FINALIZER,	/* referent of an object with a finalizer */
	HS_ROOT_FINALIZER_FN,	/* a finalizer's function value */
	HS_ROOT_CLEANUP,	/* runtime.AddCleanup function/argument */
	HS_ROOT_WEAK_HANDLE,	/* a weak pointer's handle cell */
	HS_ROOT_FINQ,		/* queued, not yet run finalizer */
	HS_ROOT_CTXT,		/* a goroutine's saved closure context */
};

/* A root: a slot outside the heap holding a pointer into a heap object. */
struct hs_root {
	uint64_t slot;		/* address of the slot */
	uint64_t value;		/* the pointer it holds */
	uint64_t owner;		/* finalizer/cleanup/weak: the object the
				 * special belongs to */
	uint64_t type;		/* static type of the slot's variable (a
				 * type descriptor address), 0 unknown */
	uint64_t type_inner;	/* offset of the slot within that type */
	uint32_t goroutine;	/* stack roots: index into the goroutine
				 * list, else HS_NONE */
	uint16_t frame;		/* stack roots: frame index */
	uint8_t kind;		/* enum hs_root_kind */
};

struct hs_roots {
	struct hs_root *v;
	size_t n, cap;
};

/* Collect the global and special roots (stack roots: hs_goroutine_roots). */
CS_PUBLIC struct cs_error *hs_roots_load(struct hs_program *p, struct hs_heap *h,
					 struct hs_roots **ret) CS_MUST_CHECK;
CS_PUBLIC void hs_roots_destroy(struct hs_roots *r);
CS_PUBLIC const char *hs_root_kind_name(unsigned kind);
/* The symbol naming a global slot ("main.cache", "pkg.var+0x10");
 * malloc'ed. */
CS_PUBLIC char *hs_global_name(struct hs_program *p, uint64_t slot);

/* ------------------------------------------------------------------ */
/* Symbols                                                             */
/* ------------------------------------------------------------------ */

struct hs_sym {
	uint64_t addr, size;	/* runtime address (load bias applied) */
	const char *name;	/* valid while the program lives */
	bool is_func;
};
/* The data/bss symbol (global variable) containing addr, or NULL. */
CS_PUBLIC const struct hs_sym *hs_global_symbol(struct hs_program *p, uint64_t addr);
/* Name a global slot: "main.cache", "net/http.defaultServeMux.tree.pattern"
 * (field path from DWARF), or "pkg.var+0x18" without DWARF. */
CS_PUBLIC void hs_global_slot_name(struct hs_program *p, uint64_t slot,
				   struct cs_strbuf *out);
/* A global pointer variable whose value is the address var (another
 * global): net/http.DefaultServeMux for &net/http.defaultServeMux. */
CS_PUBLIC const struct hs_sym *hs_global_alias(struct hs_program *p, uint64_t var);
/* The static type at a global address (from DWARF): the innermost type
 * around addr that has a runtime type descriptor, and addr's offset in it
 * (*inner_ret).  NULL without DWARF or when unknown. */
CS_PUBLIC const struct hs_type *hs_global_slot_type(struct hs_program *p, uint64_t addr,
						   uint64_t *inner_ret);

/* ------------------------------------------------------------------ */
/* Small facts for the layers above                                     */
/* ------------------------------------------------------------------ */

/* The program's arena (strings that live as long as the program). */
CS_PUBLIC struct cs_arena *hs_program_arena(struct hs_program *p);
/* The name of the function containing pc, or NULL. */
CS_PUBLIC const char *hs_func_name_at(struct hs_program *p, uint64_t pc);
/* The dynamic type address an itab describes, 0 if unreadable. */
CS_PUBLIC uint64_t hs_itab_type(struct hs_program *p, uint64_t itab);
/* Does this program use Swiss tables for maps? */
CS_PUBLIC bool hs_program_swiss_maps(const struct hs_program *p);
CS_PUBLIC uint64_t hs_program_map_header_size(const struct hs_program *p);
CS_PUBLIC uint64_t hs_program_hchan_size(const struct hs_program *p);

/* Offsets inside runtime map and channel structures. */
struct hs_map_layout {
	uint64_t hmap_count, hmap_B, hmap_buckets, hmap_oldbuckets;
	uint64_t map_used, map_dirptr, map_dirlen;
	uint64_t table_size, table_groups_data, table_groups_mask;
	uint64_t hchan_size, hchan_buf, hchan_qcount, hchan_dataqsiz,
		hchan_elemtype, hchan_recvx;
};
CS_PUBLIC void hs_program_map_layout(const struct hs_program *p,
				     struct hs_map_layout *ret);

/* One runtime layout value, by descriptor id ("mspan.elemsize",
 * "c.pageSize"), for `corescope dev-layout`. */
struct hs_layout_entry {
	const char *id;
	const char *dwarf_struct, *dwarf_member;
	int kind;		/* 0 member offset, 1 struct size, 2 constant */
	bool ok;
	int64_t value;
	uint32_t size;
};
CS_PUBLIC size_t hs_program_layout_count(void);
CS_PUBLIC void hs_program_layout_entry(const struct hs_program *p, size_t i,
				       struct hs_layout_entry *ret);

#endif /* CORESCOPE_HEAPSCAN_H */
