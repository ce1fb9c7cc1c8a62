/*
 * layout.h — every runtime offset, size and constant heapscan's walkers
 * use, resolved once per program (heapscan private).
 *
 * Sources, in order (architecture.md, "three sources, one struct"):
 *  1. DWARF of the executable (libdw): struct members and DW_TAG_constant;
 *  2. the built-in table for the Go release (layout_tables.c), for binaries
 *     built with -ldflags=-w;
 *  3. fixed facts of the ABI that no release has changed (abi.Type).
 *
 * Every entry is a struct hs_lval, so the layout can be walked as an array
 * (for printing, for table generation, and to check that nothing required
 * is missing).  Walkers never test the Go version: they read the layout
 * and the named strategies in struct hs_strategy.
 */
#ifndef CORESCOPE_HEAPSCAN_LAYOUT_H
#define CORESCOPE_HEAPSCAN_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

/* One resolved value: a member offset (with its size), a constant, or a
 * struct size.  ok is false when the release does not have it. */
struct hs_lval {
	int64_t v;
	uint32_t size;	/* members: byte size of the member */
	bool ok;
};

struct hs_layout {
	struct {
		struct hs_lval size, arenas, allspans, sweepgen, pagesInUse,
			heapArenas, pages;
	} mheap;
	struct {
		struct hs_lval chunks;
	} pageAlloc;
	struct {
		struct hs_lval size, pallocBits, scavenged;
	} pallocData;
	struct {
		struct hs_lval size, bitmap, noMorePtrs, spans, pageInUse,
			pageSpecials, pageUseSpanInlineMarkBits;
	} heapArena;
	struct {
		struct hs_lval size, startAddr, npages, freeindex, nelems,
			freeIndexForScan, allocBits, gcmarkBits, allocCount,
			spanclass, state, elemsize, limit, specials, largeType,
			sweepgen;
	} mspan;
	struct {
		struct hs_lval size, next, offset, kind;
	} special;
	struct {
		struct hs_lval fn, nret, fint, ot;
	} specialfinalizer;
	struct {
		/* fn (1.24–1.25) or cleanup.fn (1.26+: a cleanupFn) */
		struct hs_lval fn, cleanup, id;
	} specialCleanup;
	struct {
		struct hs_lval call, fn, arg;
	} cleanupFn;
	struct {
		struct hs_lval handle;
	} specialWeakHandle;
	struct {
		struct hs_lval size, stack, m, sched, syscallsp, syscallpc,
			syscallbp, atomicstatus, goid, waitsince, waitreason, gopc,
			startpc, parentGoid, ancestors, labels, panic, defer,
			lockedm, waiting;
	} g;
	struct {
		struct hs_lval size, sp, pc, g, ctxt, lr, bp;
	} gobuf;
	struct {
		struct hs_lval size, g0, curg, procid, alllink, id, gsignal;
	} m;
	struct {
		struct hs_lval size, pcHeader, funcnametab, cutab, filetab, pctab,
			pclntable, ftab, findfunctab, minpc, maxpc, text, etext,
			noptrdata, enoptrdata, data, edata, bss, ebss, noptrbss,
			enoptrbss, end, gcdata, gcbss, types, etypes, rodata,
			gofunc, textsectmap, typelinks, itablinks, typedesclen,
			itaboffset, itabsize, modulename,
			gcdatamask, gcbssmask, next;
	} moduledata;
	struct {
		struct hs_lval size, qcount, dataqsiz, buf, elemsize, closed,
			elemtype, sendx, recvx, recvq, sendq;
	} hchan;
	struct {
		struct hs_lval size, g, next, elem;
	} sudog;
	struct {
		struct hs_lval size, count, flags, B, buckets, oldbuckets,
			nevacuate, extra;
	} hmap;
	struct {
		struct hs_lval size, used, dirPtr, dirLen, globalDepth;
	} swissmap;
	struct {
		struct hs_lval size, used, capacity, localDepth, groups_data,
			groups_lengthMask;
	} swisstable;
	struct {
		/* classic (key, elem, bucket, keysize, valuesize, bucketsize)
		 * or Swiss (Group, GroupSize, SlotSize, ElemOff; 1.27 adds the
		 * split-group strides) */
		struct hs_lval key, elem, bucket, keysize, valuesize,
			bucketsize, group, groupSize, slotSize, elemOff, keysOff,
			keyStride, elemsOff, elemStride, flags;
	} maptype;
	struct {
		struct hs_lval size, alllink, next, cnt, fin;
	} finblock;
	struct {
		struct hs_lval size, fn, arg, nret, fint, ot;
	} finalizer;
	struct {
		struct hs_lval inter, type, fun;
	} itab;
	/* Constants (DW_TAG_constant in the runtime's DWARF). */
	struct {
		struct hs_lval pageSize, heapArenaBytes, arenaL1Bits, arenaL2Bits,
			arenaBaseOffset, pagesPerArena, numSpanClasses,
			mSpanInUse, mSpanManual, kindSpecialFinalizer,
			kindSpecialProfile, kindSpecialWeakHandle,
			kindSpecialCleanup, minSizeForMallocHeader,
			mallocHeaderSize, spanInlineMarkBitsSize, tinySize,
			maxSmallSize, pallocChunkPages, pallocChunksL2Bits;
	} c;
};

/* How a release lays out what the layout's offsets cannot say. */
enum hs_heapbits {
	HS_HEAPBITS_ARENA2,	/* 1.19 and older: 2-bit arena bitmap */
	HS_HEAPBITS_ARENA1,	/* 1.20–1.21, 1.22 noallocheaders */
	HS_HEAPBITS_HEADERS,	/* 1.22+: span heap bits, malloc headers,
				 * largeType */
};

enum hs_maps {
	HS_MAPS_CLASSIC,	/* hmap + buckets (to 1.23, noswissmap) */
	HS_MAPS_SWISS,		/* internal/runtime/maps (1.24+) */
};

struct hs_strategy {
	enum hs_heapbits heapbits;
	enum hs_maps maps;
	bool greentea;		/* span inline mark bits (1.25 opt-in, 1.26
				 * default) */
	bool gcprog_types;	/* type GCData may be a GC program (to 1.23) */
	bool gcmask_on_demand;	/* TFlagGCMaskOnDemand types (1.24+) */
	bool direct_iface_tflag;	/* DirectIface in TFlag (1.26+) */
	bool pclntab_startline;	/* _func.startLine (1.20+) */
};

/* A descriptor: where an hs_lval comes from. */
enum hs_ldesc_kind { HS_LD_MEMBER, HS_LD_SIZE, HS_LD_CONST };
struct hs_ldesc {
	const char *id;		/* "mspan.startAddr": member path in hs_layout */
	enum hs_ldesc_kind kind;
	const char *dwarf_struct;	/* "runtime.mspan" (alternatives by '|') */
	const char *dwarf_member;	/* "startAddr" (alternatives by '|'; a
					 * '.' descends into a member struct) */
	size_t off;		/* offsetof(struct hs_layout, <id>) */
	bool required;
};

extern const struct hs_ldesc hs_layout_descs[];
extern const size_t hs_layout_ndescs;

/* A built-in layout: release, the experiments it was generated with, and
 * values by descriptor id. */
struct hs_ltable_value {
	const char *id;
	int64_t v;
	uint32_t size;
};
struct hs_ltable {
	int minor;			/* Go 1.<minor> */
	const char *experiments;	/* layout-relevant, "" for defaults */
	const struct hs_ltable_value *values;
	size_t nvalues;
};
extern const struct hs_ltable hs_layout_tables[];
extern const size_t hs_layout_ntables;

#endif
