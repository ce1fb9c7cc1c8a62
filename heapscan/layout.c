/*
 * layout.c — resolve struct hs_layout: from DWARF when the executable has
 * it, else from the built-in table of the Go release; then choose the
 * strategies.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define M(id, st, mem, req) \
	{ #id, HS_LD_MEMBER, st, mem, offsetof(struct hs_layout, id), req }
#define S(id, st, req) \
	{ #id, HS_LD_SIZE, st, NULL, offsetof(struct hs_layout, id), req }
#define C(id, name, req) \
	{ #id, HS_LD_CONST, name, NULL, offsetof(struct hs_layout, id), req }

#define MHEAP "runtime.mheap"
#define ARENA "runtime.heapArena"
#define MSPAN "runtime.mspan"
#define G "runtime.g"
#define MAPTYPE "internal/abi.SwissMapType|internal/abi.MapType|internal/abi.OldMapType|runtime.maptype"

const struct hs_ldesc hs_layout_descs[] = {
	S(mheap.size, MHEAP, true),
	M(mheap.arenas, MHEAP, "arenas", true),
	M(mheap.allspans, MHEAP, "allspans", true),
	M(mheap.sweepgen, MHEAP, "sweepgen", true),
	M(mheap.pagesInUse, MHEAP, "pagesInUse", true),
	M(mheap.heapArenas, MHEAP, "heapArenas|allArenas", true),
	M(mheap.pages, MHEAP, "pages", true),
	M(pageAlloc.chunks, "runtime.pageAlloc", "chunks", true),
	S(pallocData.size, "runtime.pallocData", true),
	M(pallocData.pallocBits, "runtime.pallocData", "pallocBits", true),
	M(pallocData.scavenged, "runtime.pallocData", "scavenged", true),

	S(heapArena.size, ARENA, true),
	/* Go 1.22 with GOEXPERIMENT=noallocheaders embeds them in a
	 * heapArenaPtrScalar. */
	M(heapArena.bitmap, ARENA, "bitmap|heapArenaPtrScalar.bitmap", false),
	M(heapArena.noMorePtrs, ARENA, "noMorePtrs|heapArenaPtrScalar.noMorePtrs", false),
	M(heapArena.spans, ARENA, "spans", true),
	M(heapArena.pageInUse, ARENA, "pageInUse", true),
	M(heapArena.pageSpecials, ARENA, "pageSpecials", true),
	M(heapArena.pageUseSpanInlineMarkBits, ARENA, "pageUseSpanInlineMarkBits", false),

	S(mspan.size, MSPAN, true),
	M(mspan.startAddr, MSPAN, "startAddr", true),
	M(mspan.npages, MSPAN, "npages", true),
	M(mspan.freeindex, MSPAN, "freeindex", true),
	M(mspan.nelems, MSPAN, "nelems", true),
	M(mspan.freeIndexForScan, MSPAN, "freeIndexForScan", false),
	M(mspan.allocBits, MSPAN, "allocBits", true),
	M(mspan.gcmarkBits, MSPAN, "gcmarkBits", true),
	M(mspan.allocCount, MSPAN, "allocCount", true),
	M(mspan.spanclass, MSPAN, "spanclass", true),
	M(mspan.state, MSPAN, "state", true),
	M(mspan.elemsize, MSPAN, "elemsize", true),
	M(mspan.limit, MSPAN, "limit", true),
	M(mspan.specials, MSPAN, "specials", true),
	M(mspan.largeType, MSPAN, "largeType", false),
	M(mspan.sweepgen, MSPAN, "sweepgen", true),

	S(special.size, "runtime.special", true),
	M(special.next, "runtime.special", "next", true),
	M(special.offset, "runtime.special", "offset", true),
	M(special.kind, "runtime.special", "kind", true),
	M(specialfinalizer.fn, "runtime.specialfinalizer", "fn", true),
	M(specialfinalizer.nret, "runtime.specialfinalizer", "nret", true),
	M(specialfinalizer.fint, "runtime.specialfinalizer", "fint", true),
	M(specialfinalizer.ot, "runtime.specialfinalizer", "ot", true),
	M(specialCleanup.fn, "runtime.specialCleanup", "fn", false),
	M(specialCleanup.cleanup, "runtime.specialCleanup", "cleanup", false),
	M(specialCleanup.id, "runtime.specialCleanup", "id", false),
	M(cleanupFn.call, "runtime.cleanupFn", "call", false),
	M(cleanupFn.fn, "runtime.cleanupFn", "fn", false),
	M(cleanupFn.arg, "runtime.cleanupFn", "arg", false),
	M(specialWeakHandle.handle, "runtime.specialWeakHandle", "handle", false),

	S(g.size, G, true),
	M(g.stack, G, "stack", true),
	M(g.m, G, "m", true),
	M(g.sched, G, "sched", true),
	M(g.syscallsp, G, "syscallsp", true),
	M(g.syscallpc, G, "syscallpc", true),
	M(g.syscallbp, G, "syscallbp", false),
	M(g.atomicstatus, G, "atomicstatus", true),
	M(g.goid, G, "goid", true),
	M(g.waitsince, G, "waitsince", true),
	M(g.waitreason, G, "waitreason", true),
	M(g.gopc, G, "gopc", true),
	M(g.startpc, G, "startpc", true),
	M(g.parentGoid, G, "parentGoid", false),
	M(g.ancestors, G, "ancestors", false),
	M(g.labels, G, "labels", false),
	M(g.panic, G, "_panic", true),
	M(g.defer, G, "_defer", true),
	M(g.lockedm, G, "lockedm", true),
	M(g.waiting, G, "waiting", true),

	S(gobuf.size, "runtime.gobuf", true),
	M(gobuf.sp, "runtime.gobuf", "sp", true),
	M(gobuf.pc, "runtime.gobuf", "pc", true),
	M(gobuf.g, "runtime.gobuf", "g", true),
	M(gobuf.ctxt, "runtime.gobuf", "ctxt", true),
	M(gobuf.lr, "runtime.gobuf", "lr", true),
	M(gobuf.bp, "runtime.gobuf", "bp", true),

	S(m.size, "runtime.m", true),
	M(m.g0, "runtime.m", "g0", true),
	M(m.curg, "runtime.m", "curg", true),
	M(m.procid, "runtime.m", "procid", true),
	M(m.alllink, "runtime.m", "alllink", true),
	M(m.id, "runtime.m", "id", true),
	M(m.gsignal, "runtime.m", "gsignal", true),

	S(moduledata.size, "runtime.moduledata", true),
	M(moduledata.pcHeader, "runtime.moduledata", "pcHeader", true),
	M(moduledata.funcnametab, "runtime.moduledata", "funcnametab", true),
	M(moduledata.cutab, "runtime.moduledata", "cutab", true),
	M(moduledata.filetab, "runtime.moduledata", "filetab", true),
	M(moduledata.pctab, "runtime.moduledata", "pctab", true),
	M(moduledata.pclntable, "runtime.moduledata", "pclntable", true),
	M(moduledata.ftab, "runtime.moduledata", "ftab", true),
	M(moduledata.findfunctab, "runtime.moduledata", "findfunctab", true),
	M(moduledata.minpc, "runtime.moduledata", "minpc", true),
	M(moduledata.maxpc, "runtime.moduledata", "maxpc", true),
	M(moduledata.text, "runtime.moduledata", "text", true),
	M(moduledata.etext, "runtime.moduledata", "etext", true),
	M(moduledata.noptrdata, "runtime.moduledata", "noptrdata", true),
	M(moduledata.enoptrdata, "runtime.moduledata", "enoptrdata", true),
	M(moduledata.data, "runtime.moduledata", "data", true),
	M(moduledata.edata, "runtime.moduledata", "edata", true),
	M(moduledata.bss, "runtime.moduledata", "bss", true),
	M(moduledata.ebss, "runtime.moduledata", "ebss", true),
	M(moduledata.noptrbss, "runtime.moduledata", "noptrbss", true),
	M(moduledata.enoptrbss, "runtime.moduledata", "enoptrbss", true),
	M(moduledata.end, "runtime.moduledata", "end", true),
	M(moduledata.gcdata, "runtime.moduledata", "gcdata", true),
	M(moduledata.gcbss, "runtime.moduledata", "gcbss", true),
	M(moduledata.types, "runtime.moduledata", "types", true),
	M(moduledata.etypes, "runtime.moduledata", "etypes", true),
	M(moduledata.rodata, "runtime.moduledata", "rodata", true),
	M(moduledata.gofunc, "runtime.moduledata", "gofunc", true),
	M(moduledata.textsectmap, "runtime.moduledata", "textsectmap", true),
	M(moduledata.typelinks, "runtime.moduledata", "typelinks", false),
	M(moduledata.itablinks, "runtime.moduledata", "itablinks", false),
	M(moduledata.typedesclen, "runtime.moduledata", "typedesclen", false),
	M(moduledata.itaboffset, "runtime.moduledata", "itaboffset", false),
	M(moduledata.itabsize, "runtime.moduledata", "itabsize", false),
	M(moduledata.modulename, "runtime.moduledata", "modulename", true),
	M(moduledata.gcdatamask, "runtime.moduledata", "gcdatamask", true),
	M(moduledata.gcbssmask, "runtime.moduledata", "gcbssmask", true),
	M(moduledata.next, "runtime.moduledata", "next", true),

	S(hchan.size, "runtime.hchan", false),
	M(hchan.qcount, "runtime.hchan", "qcount", false),
	M(hchan.dataqsiz, "runtime.hchan", "dataqsiz", false),
	M(hchan.buf, "runtime.hchan", "buf", false),
	M(hchan.elemsize, "runtime.hchan", "elemsize", false),
	M(hchan.closed, "runtime.hchan", "closed", false),
	M(hchan.elemtype, "runtime.hchan", "elemtype", false),
	M(hchan.sendx, "runtime.hchan", "sendx", false),
	M(hchan.recvx, "runtime.hchan", "recvx", false),
	M(hchan.recvq, "runtime.hchan", "recvq", false),
	M(hchan.sendq, "runtime.hchan", "sendq", false),

	S(sudog.size, "runtime.sudog", true),
	M(sudog.g, "runtime.sudog", "g", true),
	M(sudog.next, "runtime.sudog", "next", true),
	M(sudog.elem, "runtime.sudog", "elem", true),

	S(hmap.size, "runtime.hmap", false),
	M(hmap.count, "runtime.hmap", "count", false),
	M(hmap.flags, "runtime.hmap", "flags", false),
	M(hmap.B, "runtime.hmap", "B", false),
	M(hmap.buckets, "runtime.hmap", "buckets", false),
	M(hmap.oldbuckets, "runtime.hmap", "oldbuckets", false),
	M(hmap.nevacuate, "runtime.hmap", "nevacuate", false),
	M(hmap.extra, "runtime.hmap", "extra", false),

	S(swissmap.size, "internal/runtime/maps.Map", false),
	M(swissmap.used, "internal/runtime/maps.Map", "used", false),
	M(swissmap.dirPtr, "internal/runtime/maps.Map", "dirPtr", false),
	M(swissmap.dirLen, "internal/runtime/maps.Map", "dirLen", false),
	M(swissmap.globalDepth, "internal/runtime/maps.Map", "globalDepth", false),
	S(swisstable.size, "internal/runtime/maps.table", false),
	M(swisstable.used, "internal/runtime/maps.table", "used", false),
	M(swisstable.capacity, "internal/runtime/maps.table", "capacity", false),
	M(swisstable.localDepth, "internal/runtime/maps.table", "localDepth", false),
	M(swisstable.groups_data, "internal/runtime/maps.table", "groups.data", false),
	M(swisstable.groups_lengthMask, "internal/runtime/maps.table", "groups.lengthMask", false),

	M(maptype.key, MAPTYPE, "Key|key", true),
	M(maptype.elem, MAPTYPE, "Elem|elem", true),
	M(maptype.bucket, MAPTYPE, "Bucket|bucket", false),
	M(maptype.keysize, MAPTYPE, "KeySize|keysize", false),
	M(maptype.valuesize, MAPTYPE, "ValueSize|elemsize", false),
	M(maptype.bucketsize, MAPTYPE, "BucketSize|bucketsize", false),
	M(maptype.group, MAPTYPE, "Group", false),
	M(maptype.groupSize, MAPTYPE, "GroupSize", false),
	M(maptype.slotSize, MAPTYPE, "SlotSize", false),
	M(maptype.elemOff, MAPTYPE, "ElemOff", false),
	M(maptype.keysOff, MAPTYPE, "KeysOff", false),
	M(maptype.keyStride, MAPTYPE, "KeyStride", false),
	M(maptype.elemsOff, MAPTYPE, "ElemsOff", false),
	M(maptype.elemStride, MAPTYPE, "ElemStride", false),
	M(maptype.flags, MAPTYPE, "Flags|flags", true),

	S(finblock.size, "runtime.finBlock|runtime.finblock", true),
	M(finblock.alllink, "runtime.finBlock|runtime.finblock", "alllink", true),
	M(finblock.next, "runtime.finBlock|runtime.finblock", "next", true),
	M(finblock.cnt, "runtime.finBlock|runtime.finblock", "cnt", true),
	M(finblock.fin, "runtime.finBlock|runtime.finblock", "fin", true),
	S(finalizer.size, "runtime.finalizer", true),
	M(finalizer.fn, "runtime.finalizer", "fn", true),
	M(finalizer.arg, "runtime.finalizer", "arg", true),
	M(finalizer.nret, "runtime.finalizer", "nret", true),
	M(finalizer.fint, "runtime.finalizer", "fint", true),
	M(finalizer.ot, "runtime.finalizer", "ot", true),

	M(itab.inter, "internal/abi.ITab|runtime.itab", "Inter|inter", true),
	M(itab.type, "internal/abi.ITab|runtime.itab", "Type|_type", true),
	M(itab.fun, "internal/abi.ITab|runtime.itab", "Fun|fun", true),

	C(c.pageSize, "runtime._PageSize|runtime.pageSize|internal/runtime/gc.PageSize", true),
	C(c.heapArenaBytes, "runtime.heapArenaBytes", true),
	C(c.arenaL1Bits, "runtime.arenaL1Bits", true),
	C(c.arenaL2Bits, "runtime.arenaL2Bits", true),
	C(c.arenaBaseOffset, "runtime.arenaBaseOffsetUintptr|runtime.arenaBaseOffset", true),
	C(c.pagesPerArena, "runtime.pagesPerArena", true),
	C(c.numSpanClasses, "runtime.numSpanClasses|internal/runtime/gc.NumSpanClasses", true),
	C(c.mSpanInUse, "runtime.mSpanInUse", true),
	C(c.mSpanManual, "runtime.mSpanManual", true),
	C(c.kindSpecialFinalizer, "runtime._KindSpecialFinalizer", true),
	C(c.kindSpecialProfile, "runtime._KindSpecialProfile", true),
	C(c.kindSpecialWeakHandle, "runtime._KindSpecialWeakHandle", false),
	C(c.kindSpecialCleanup, "runtime._KindSpecialCleanup", false),
	C(c.minSizeForMallocHeader, "runtime.minSizeForMallocHeader|internal/runtime/gc.MinSizeForMallocHeader", false),
	C(c.mallocHeaderSize, "runtime.mallocHeaderSize|internal/runtime/gc.MallocHeaderSize", false),
	S(c.spanInlineMarkBitsSize, "runtime.spanInlineMarkBits", false),
	C(c.tinySize, "runtime._TinySize|runtime.maxTinySize|internal/runtime/gc.TinySize", true),
	C(c.pallocChunkPages, "runtime.pallocChunkPages", true),
	C(c.pallocChunksL2Bits, "runtime.pallocChunksL2Bits", true),
	C(c.maxSmallSize, "runtime._MaxSmallSize|runtime.maxSmallSize|internal/runtime/gc.MaxSmallSize", true),
};
const size_t hs_layout_ndescs = CS_ARRAY_SIZE(hs_layout_descs);

static struct hs_lval *lval_at(struct hs_layout *l, const struct hs_ldesc *d)
{
	return (struct hs_lval *)((char *)l + d->off);
}

/* The layout-relevant experiments of a build, canonically ordered:
 * those that change structs or strategies. */
static void layout_experiments(const struct hs_buildinfo *bi, char *buf,
			       size_t n)
{
	static const char *const relevant[] = {
		"noallocheaders", "noswissmap", "greenteagc", "nogreenteagc",
		"mapsplitgroup", "nomapsplitgroup",
	};
	buf[0] = '\0';
	size_t len = 0;
	for (size_t i = 0; i < CS_ARRAY_SIZE(relevant); i++) {
		if (!hs_buildinfo_has_experiment(bi, relevant[i]))
			continue;
		int k = snprintf(buf + len, n - len, "%s%s", len ? "," : "",
				 relevant[i]);
		if (k < 0 || (size_t)k >= n - len)
			break;
		len += (size_t)k;
	}
}

const char *hs_program_layout_experiments(const struct hs_program *p,
					  char *buf, size_t n)
{
	if (n)
		layout_experiments(p->bi, buf, n);
	return buf;
}

/* "1.19, 1.21-1.27": the releases the built-in tables cover. */
static void table_releases(char *buf, size_t n)
{
	bool have[128] = { false };
	for (size_t i = 0; i < hs_layout_ntables; i++)
		if (hs_layout_tables[i].minor >= 0 && hs_layout_tables[i].minor < 128)
			have[hs_layout_tables[i].minor] = true;
	size_t len = 0;
	buf[0] = '\0';
	for (int m = 0; m < 128; m++) {
		if (!have[m] || (m > 0 && have[m - 1]))
			continue;
		int e = m;
		while (e + 1 < 128 && have[e + 1])
			e++;
		int k = e > m ? snprintf(buf + len, n - len, "%s1.%d-1.%d", len ? ", " : "", m, e)
			      : snprintf(buf + len, n - len, "%s1.%d", len ? ", " : "", m);
		if (k < 0 || (size_t)k >= n - len)
			break;
		len += (size_t)k;
	}
}

static const struct hs_ltable *find_table(int minor, const char *exps)
{
	for (size_t i = 0; i < hs_layout_ntables; i++)
		if (hs_layout_tables[i].minor == minor &&
		    strcmp(hs_layout_tables[i].experiments, exps) == 0)
			return &hs_layout_tables[i];
	return NULL;
}

static void resolve_from_table(struct hs_layout *l, const struct hs_ltable *t)
{
	for (size_t i = 0; i < t->nvalues; i++) {
		for (size_t k = 0; k < hs_layout_ndescs; k++) {
			if (strcmp(hs_layout_descs[k].id, t->values[i].id) != 0)
				continue;
			struct hs_lval *v = lval_at(l, &hs_layout_descs[k]);
			v->v = t->values[i].v;
			v->size = t->values[i].size;
			v->ok = true;
			break;
		}
	}
}

/*
 * Strategies.  This is the one place that maps a release and its
 * experiments to the formats the walkers must expect (go-runtime.md).
 */
static void choose_strategy(struct hs_program *p)
{
	const struct hs_buildinfo *bi = p->bi;
	struct hs_layout *l = &p->layout;
	struct hs_strategy *s = &p->strategy;
	int minor = bi->major == 1 ? bi->minor : 99;

	/* The arena bitmap's size says how many bits per heap word it has. */
	if (l->heapArena.bitmap.ok && l->c.heapArenaBytes.ok) {
		uint64_t words = (uint64_t)l->c.heapArenaBytes.v / 8;
		s->heapbits = l->heapArena.bitmap.size == words / 4 ? HS_HEAPBITS_ARENA2
								     : HS_HEAPBITS_ARENA1;
	} else {
		s->heapbits = HS_HEAPBITS_HEADERS;
	}
	s->maps = l->maptype.group.ok ? HS_MAPS_SWISS : HS_MAPS_CLASSIC;
	s->greentea = (minor == 25 && hs_buildinfo_has_experiment(bi, "greenteagc")) ||
		      (minor >= 26 && !hs_buildinfo_has_experiment(bi, "nogreenteagc"));
	s->gcprog_types = minor <= 23;
	s->gcmask_on_demand = minor >= 24;
	s->direct_iface_tflag = minor >= 26;
}

/* CORESCOPE_LAYOUT=builtin makes the built-in table the source even when
 * the executable has DWARF: the test suite analyses the same core both
 * ways (tests/e2e/checks_layout.go), and `dev-layout --builtin` prints
 * the table.  Not a user option. */
static bool builtin_forced(void)
{
	const char *v = getenv("CORESCOPE_LAYOUT");
	return v && strcmp(v, "builtin") == 0;
}

struct cs_error *hs_layout_resolve(struct hs_program *p)
{
	struct hs_layout *l = &p->layout;
	memset(l, 0, sizeof(*l));
	char exps[128];
	layout_experiments(p->bi, exps, sizeof(exps));

	if (p->dwarf && !builtin_forced()) {
		for (size_t i = 0; i < hs_layout_ndescs; i++)
			hs_dwarf_resolve(p->dwarf, &hs_layout_descs[i],
					 lval_at(l, &hs_layout_descs[i]));
		p->layout_source = "DWARF";
	} else {
		const struct hs_ltable *t =
			p->bi->major == 1 ? find_table(p->bi->minor, exps) : NULL;
		if (!t && p->dwarf)
			return cs_error_create(
				CS_ERR_UNSUPPORTED,
				"%s: %s%s%s: CORESCOPE_LAYOUT=builtin, but corescope has no built-in layout for it",
				cw_core_input(p->core)->path, p->bi->version,
				exps[0] ? " with GOEXPERIMENT=" : "", exps);
		if (!t) {
			char have[256];
			table_releases(have, sizeof(have));
			return cs_error_create(
				CS_ERR_UNSUPPORTED,
				"%s: %s%s%s has no DWARF and corescope has no built-in layout for it; built-in layouts: Go %s (docs/compatibility.md); or rebuild without -ldflags=-w",
				cw_core_input(p->core)->path, p->bi->version,
				exps[0] ? " with GOEXPERIMENT=" : "", exps, have);
		}
		resolve_from_table(l, t);
		p->layout_source = cs_arena_printf(&p->arena, "built-in table for go1.%d%s%s",
						   t->minor, exps[0] ? " " : "", exps);
	}

	for (size_t i = 0; i < hs_layout_ndescs; i++) {
		const struct hs_ldesc *d = &hs_layout_descs[i];
		if (d->required && !lval_at(l, d)->ok)
			return cs_error_create(
				CS_ERR_UNSUPPORTED,
				"%s: %s: runtime layout lacks %s (%s%s%s, from %s); this Go release is not supported",
				cw_core_input(p->core)->path, p->bi->version, d->id,
				d->dwarf_struct, d->dwarf_member ? "." : "",
				d->dwarf_member ? d->dwarf_member : "",
				p->layout_source);
	}
	choose_strategy(p);
	return NULL;
}
