/*
 * heap.c — arenas, spans and allocated objects, and the pointer words of
 * each object.
 *
 * Objects live in one array of 8-byte records (span, type) sorted by
 * address; an address maps to its object in O(1): arena table -> span ->
 * slot -> rank of the slot among the span's allocated slots (a prefix
 * count per 64-slot word), and an object back to its address by the
 * inverse, the slot of a rank.  No per-object allocation anywhere.
 */
#include "config.h"

#include <stdio.h>

#include "internal.h"

#define MAX_ARENAS (1u << 22)
#define HEAP_BITS_SMALL_MAX 512	/* fallback when the layout lacks it */

/* ------------------------------------------------------------------ */
/* Arena index: arena number -> per-page span table                    */
/* ------------------------------------------------------------------ */

static size_t arena_slot(const struct hs_heap *h, uint64_t idx)
{
	return (size_t)((idx * 0x9e3779b97f4a7c15ull) >> 32) & (h->arena_nbuckets - 1);
}

static struct hs_arena *arena_find(const struct hs_heap *h, uint64_t idx)
{
	if (!h->arena_nbuckets)
		return NULL;
	size_t k = arena_slot(h, idx);
	while (h->arena_buckets[k]) {
		struct hs_arena *a = &h->arenas[h->arena_buckets[k] - 1];
		if (a->idx == idx)
			return a;
		k = (k + 1) & (h->arena_nbuckets - 1);
	}
	return NULL;
}

static uint64_t arena_index_of(const struct hs_heap *h, uint64_t addr)
{
	return (addr - h->arena_base_offset) >> h->arena_shift;
}

uint32_t hs_heap_span_of(const struct hs_heap *h, uint64_t addr)
{
	struct hs_arena *a = arena_find(h, arena_index_of(h, addr));
	if (!a)
		return HS_NONE;
	uint32_t s = a->page_span[(addr >> h->page_shift) & (h->pages_per_arena - 1)];
	if (!s)
		return HS_NONE;
	const struct hs_span *sp = &h->spans[s - 1];
	if (addr < sp->base || addr >= sp->base + sp->npages * h->page_size)
		return HS_NONE;
	return s - 1;
}

/* ------------------------------------------------------------------ */
/* Lookups                                                             */
/* ------------------------------------------------------------------ */

/* One lookup table (arena), then two cache lines: the span's find
 * record and the allocation word of the slot.  In three steps, so that a
 * stream of lookups can overlap their cache misses: each step reads what
 * the one before asked for, when `ahead`. */
static inline void find_start(const struct hs_heap *h, struct hs_find_state *f, uint64_t addr,
			      bool ahead)
{
	f->addr = addr;
	f->span = 0;
	struct hs_arena *a = arena_find(h, arena_index_of(h, addr));
	if (!a)
		return;
	f->span = a->page_span[(addr >> h->page_shift) & (h->pages_per_arena - 1)];
	if (f->span && ahead)
		__builtin_prefetch(&h->find[f->span - 1]);
}

static inline void find_step(const struct hs_heap *h, struct hs_find_state *f, bool ahead)
{
	if (!f->span)
		return;
	const struct hs_span_find *sf = &h->find[f->span - 1];
	f->span = 0;
	if (f->addr < sf->base || f->addr >= sf->limit)
		return;
	uint64_t off = f->addr - sf->base;
	uint32_t slot = (uint32_t)((off * sf->div_mul) >> 32);
	if (slot >= sf->nelems)
		return;
	/* A pointer into the malloc header is not a pointer to the object. */
	if (sf->header && off - (uint64_t)slot * sf->elemsize < 8)
		return;
	f->span = 1;
	f->word = sf->word0 + slot / 64;
	f->bit = slot % 64;
	if (ahead)
		__builtin_prefetch(&h->aw[f->word]);
}

static inline uint32_t find_end(const struct hs_heap *h, const struct hs_find_state *f)
{
	if (!f->span)
		return HS_NONE;
	const struct hs_allocword *w = &h->aw[f->word];
	uint64_t bit = 1ull << f->bit;
	if (!(w->bits & bit))
		return HS_NONE;
	return w->obj + cs_popcount64(w->bits & (bit - 1));
}

uint32_t hs_heap_find(const struct hs_heap *h, uint64_t addr)
{
	struct hs_find_state f;
	find_start(h, &f, addr, false);
	find_step(h, &f, false);
	return find_end(h, &f);
}

void hs_heap_find_start(const struct hs_heap *h, struct hs_find_state *f, uint64_t addr)
{
	find_start(h, f, addr, true);
}

void hs_heap_find_step(const struct hs_heap *h, struct hs_find_state *f)
{
	find_step(h, f, true);
}

uint32_t hs_heap_find_end(const struct hs_heap *h, const struct hs_find_state *f)
{
	return find_end(h, f);
}

/* The position of the r-th set bit (from 0) of w; w has more than r. */
static unsigned select64(uint64_t w, unsigned r)
{
	unsigned base = 0;
	for (unsigned c; r >= (c = cs_popcount64(w & 0xff)); r -= c) {
		w >>= 8;
		base += 8;
	}
	while (r--)
		w &= w - 1;
	return base + (unsigned)__builtin_ctzll(w);
}

uint64_t hs_object_addr(const struct hs_heap *h, uint32_t i)
{
	if (i >= h->nobjs)
		return 0;
	const struct hs_span *s = &h->spans[h->objs[i].span];
	uint32_t slot = 0;
	if (!s->large) {
		/* The last word whose first object is at most i holds i's
		 * bit (words before it end before i). */
		const struct hs_allocword *aw = h->aw + s->word0;
		uint32_t lo = 0, hi = (s->nelems + 63) / 64;
		while (hi - lo > 1) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (aw[mid].obj <= i)
				lo = mid;
			else
				hi = mid;
		}
		uint32_t r = i - aw[lo].obj;
		if (i < aw[lo].obj || r >= cs_popcount64(aw[lo].bits))
			return 0;	/* cannot happen: first_obj and obj agree */
		slot = lo * 64 + select64(aw[lo].bits, r);
	}
	return s->base + (uint64_t)slot * s->elemsize + (s->header ? 8 : 0);
}

void hs_heap_object_addrs_range(const struct hs_heap *h, uint32_t lo, uint32_t hi, uint64_t *out)
{
	if (hi > h->nobjs)
		hi = (uint32_t)h->nobjs;
	if (lo >= hi)
		return;
	/* From lo's span on, in span order, which is object order; in lo's
	 * span, past the slots of the objects before lo. */
	uint32_t k = lo;
	for (size_t i = h->objs[lo].span; i < h->nspans && k < hi; i++) {
		const struct hs_span *s = &h->spans[i];
		if (s->state != HS_SPAN_HEAP)
			continue;
		uint64_t first = s->base + (s->header ? 8 : 0);
		for (uint32_t w = 0; w < (s->nelems + 63) / 64 && k < hi; w++) {
			const struct hs_allocword *aw = &h->aw[s->word0 + w];
			uint64_t bits = aw->bits;
			for (uint32_t o = aw->obj; o < k && bits; o++)
				bits &= bits - 1;
			for (; bits && k < hi; bits &= bits - 1)
				out[k++ - lo] = first + ((uint64_t)w * 64 + (unsigned)__builtin_ctzll(bits)) *
								s->elemsize;
		}
	}
}

void hs_heap_object_addrs(const struct hs_heap *h, uint64_t *out)
{
	hs_heap_object_addrs_range(h, 0, (uint32_t)h->nobjs, out);
}

uint64_t hs_object_addr_from(const struct hs_heap *h, uint32_t i, uint64_t inside)
{
	if (i >= h->nobjs)
		return 0;
	const struct hs_span *s = &h->spans[h->objs[i].span];
	if (inside < s->base || inside >= s->limit)
		return hs_object_addr(h, i);	/* not inside: the slow way */
	uint32_t slot = s->large ? 0 : (uint32_t)(((inside - s->base) * s->div_mul) >> 32);
	return s->base + (uint64_t)slot * s->elemsize + (s->header ? 8 : 0);
}

uint64_t hs_object_size(const struct hs_heap *h, uint32_t i)
{
	const struct hs_object *o = &h->objs[i];
	const struct hs_span *s = &h->spans[o->span];
	if (s->large)
		return s->limit - s->base - (s->header ? 8 : 0);
	return s->elemsize - (s->header ? 8 : 0);
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

struct span_vec {
	struct hs_span *v;
	size_t n, cap;
};

static bool bit_set(const uint8_t *b, uint64_t i)
{
	return (b[i / 8] >> (i % 8)) & 1;
}

/* Read one mspan and, when it is in use or manual, append it. */
static struct cs_error *read_span(struct hs_heap *h, uint64_t addr,
				  struct hs_arena *arena, uint64_t first_page,
				  struct span_vec *sv)
{
	struct hs_program *p = h->p;
	const struct hs_layout *l = &p->layout;
	size_t msize = (size_t)l->mspan.size.v;
	const uint8_t *ms = cw_peek(p->core, addr, msize);
	if (!ms)
		return cs_error_fault(addr, cw_probe(p->core, addr),
				      "mspan 0x%llx unreadable", (unsigned long long)addr);
	uint8_t state = (uint8_t)hs_get(ms, msize, &l->mspan.state);
	bool inuse = state == (uint8_t)l->c.mSpanInUse.v;
	bool manual = state == (uint8_t)l->c.mSpanManual.v;
	if (!inuse && !manual)
		return NULL;
	struct hs_span s = { 0 };
	s.mspan = addr;
	s.base = hs_get(ms, msize, &l->mspan.startAddr);
	s.npages = hs_get(ms, msize, &l->mspan.npages);
	s.limit = hs_get(ms, msize, &l->mspan.limit);
	s.elemsize = hs_get(ms, msize, &l->mspan.elemsize);
	s.nelems = (uint32_t)hs_get(ms, msize, &l->mspan.nelems);
	s.spanclass = (uint8_t)hs_get(ms, msize, &l->mspan.spanclass);
	s.alloc_count = (uint32_t)hs_get(ms, msize, &l->mspan.allocCount);
	s.state = inuse ? HS_SPAN_HEAP : HS_SPAN_MANUAL;
	s.sizeclass = s.spanclass >> 1;
	s.noscan = s.spanclass & 1;
	s.large = s.sizeclass == 0;
	s.sweepgen = (uint32_t)hs_get(ms, msize, &l->mspan.sweepgen);
	uint64_t span_bytes = s.npages * h->page_size;
	/* The page table of a heap arena keeps stale entries for free pages:
	 * they may point at an mspan record since reused for a span
	 * elsewhere.  A span counts only where its first page is. */
	if (s.base != first_page)
		return NULL;
	/* Sanity: its numbers must fit in it.  A dying process can leave
	 * garbage; skip it loudly. */
	if (s.npages == 0 ||
	    s.npages > (1ull << 40) / h->page_size ||
	    /* no Go release has small objects of 1 MiB or 65536 per span */
	    (inuse && !s.large && (s.elemsize > (1u << 20) || s.nelems > UINT16_MAX)) ||
	    /* a large object has its span to itself */
	    (inuse && s.large && s.nelems != 1) ||
	    (inuse && (s.elemsize == 0 || s.nelems == 0 ||
		       (uint64_t)s.nelems * s.elemsize > span_bytes ||
		       s.limit < s.base || s.limit > s.base + span_bytes)))
		return cs_error_create(CS_ERR_BAD_DATA,
				       "span 0x%llx at 0x%llx: elemsize %llu x nelems %u in %llu pages is impossible",
				       (unsigned long long)addr,
				       (unsigned long long)s.base,
				       (unsigned long long)s.elemsize, s.nelems,
				       (unsigned long long)s.npages);
	if (inuse) {
		s.div_mul = s.large ? 0 : (uint32_t)(0xffffffffu / (uint32_t)s.elemsize + 1);
		/* A large object (its own span) has no malloc header: it
		 * starts at the span's base and its type is span.largeType
		 * (malloc.go, mallocgcLarge).  Classic maps' bucket arrays
		 * are the common case. */
		s.header = p->strategy.heapbits == HS_HEAPBITS_HEADERS && !s.noscan &&
			   !s.large && s.elemsize > h->heap_bits_small_max;
		if (p->strategy.greentea && l->heapArena.pageUseSpanInlineMarkBits.ok) {
			uint64_t page = (s.base >> h->page_shift) & (h->pages_per_arena - 1);
			const uint8_t *bits = cw_peek(p->core,
				arena->ha + (uint64_t)l->heapArena.pageUseSpanInlineMarkBits.v +
					page / 8, 1);
			s.inline_marks = bits && (bits[0] >> (page % 8)) & 1;
		}
		s.freeindex = (uint32_t)hs_get(ms, msize, &l->mspan.freeindex);
		s.alloc_bits = hs_get(ms, msize, &l->mspan.allocBits);
		s.large_type = hs_get(ms, msize, &l->mspan.largeType);
	}
	if (!CS_PUSH(sv->v, sv->n, sv->cap, s))
		return &cs_error_nomem;
	return NULL;
}

/* Register span pages in the arena's page table. */
static void map_span_pages(struct hs_heap *h, const struct hs_span *s, uint32_t index)
{
	for (uint64_t pg = 0; pg < s->npages; pg++) {
		uint64_t a = s->base + pg * h->page_size;
		struct hs_arena *ar = arena_find(h, arena_index_of(h, a));
		if (!ar)
			break;
		ar->page_span[(a >> h->page_shift) & (h->pages_per_arena - 1)] = index + 1;
	}
}

static int span_cmp(const void *a, const void *b)
{
	const struct hs_span *x = a, *y = b;
	return x->base < y->base ? -1 : x->base > y->base;
}

static struct cs_error *load_arenas(struct hs_heap *h, uint64_t mheap)
{
	struct hs_program *p = h->p;
	const struct hs_layout *l = &p->layout;
	struct hs_slice all;
	struct cs_error *err = hs_rd_slice(p, mheap + (uint64_t)l->mheap.heapArenas.v, &all);
	if (err)
		return cs_error_wrap(err, "reading mheap_.heapArenas");
	if (all.len > MAX_ARENAS)
		return cs_error_create(CS_ERR_BAD_DATA, "mheap_ claims %llu arenas",
				       (unsigned long long)all.len);
	uint64_t l1;
	err = cw_read_u64(p->core, mheap + (uint64_t)l->mheap.arenas.v, &l1);
	if (err)
		return cs_error_wrap(err, "reading mheap_.arenas");
	const uint8_t *idxs = hs_map(p, all.ptr, all.len * 8, &err);
	if (!idxs && all.len)
		return cs_error_wrap(err, "reading the arena list");

	h->arena_nbuckets = 16;
	while (h->arena_nbuckets < 2 * all.len)
		h->arena_nbuckets *= 2;
	h->arena_buckets = calloc(h->arena_nbuckets, sizeof(*h->arena_buckets));
	h->arenas = calloc(all.len ? all.len : 1, sizeof(*h->arenas));
	if (!h->arena_buckets || !h->arenas)
		return &cs_error_nomem;
	uint64_t l2_entries = 1ull << l->c.arenaL2Bits.v;
	for (uint64_t i = 0; i < all.len; i++) {
		uint64_t idx = rd_u64(idxs + i * 8);
		if (idx >= l2_entries || arena_find(h, idx))
			continue;
		uint64_t ha;
		err = cw_read_u64(p->core, l1 + idx * 8, &ha);
		if (err) {
			cs_warn_error(p->warnings, true, err, "heap arena table");
			continue;
		}
		if (!ha)
			continue;
		struct hs_arena *a = &h->arenas[h->narenas];
		a->idx = idx;
		a->ha = ha;
		a->base = idx * h->arena_bytes + h->arena_base_offset;
		a->page_span = calloc(h->pages_per_arena, sizeof(*a->page_span));
		if (!a->page_span)
			return &cs_error_nomem;
		h->narenas++;
		size_t k = arena_slot(h, idx);
		while (h->arena_buckets[k])
			k = (k + 1) & (h->arena_nbuckets - 1);
		h->arena_buckets[k] = (uint32_t)h->narenas;
	}
	return NULL;
}

/* Build the allocation words of a span: slot i is allocated if
 * i < freeindex or its allocBits bit is set (runtime/mbitmap.go). */
static bool span_alloc_words(struct hs_heap *h, struct hs_span *s, struct hs_allocword *words)
{
	const uint8_t *ab = cw_peek(h->p->core, s->alloc_bits, (s->nelems + 7) / 8);
	bool ok = ab != NULL;
	for (uint32_t i = 0; i < s->nelems; i++)
		if (i < s->freeindex || (ab && bit_set(ab, i)))
			words[i / 64].bits |= 1ull << (i % 64);
	return ok;
}

static struct cs_error *collect_spans(struct hs_heap *h, struct span_vec *sv,
				      const struct cs_progress *prog)
{
	struct hs_program *p = h->p;
	const struct hs_layout *l = &p->layout;
	uint64_t spans_off = (uint64_t)l->heapArena.spans.v;
	size_t bad = 0;
	for (size_t ai = 0; ai < h->narenas; ai++) {
		struct hs_arena *a = &h->arenas[ai];
		cs_progress_report(prog, "reading spans", ai, h->narenas);
		const uint8_t *sp = cw_peek(p->core, a->ha + spans_off, h->pages_per_arena * 8);
		if (!sp) {
			cs_warn(p->warnings, true,
				"heap arena 0x%llx: span table at 0x%llx not in the dump; its objects are missing",
				(unsigned long long)a->base,
				(unsigned long long)(a->ha + spans_off));
			continue;
		}
		/* Skip the remaining pages of a span just taken; any other
		 * entry may be a span start (a stale entry can point at the
		 * same record as the span that follows it). */
		uint64_t cur = 0, cur_end = 0;
		for (uint64_t pg = 0; pg < h->pages_per_arena; pg++) {
			uint64_t span = rd_u64(sp + pg * 8);
			uint64_t page_addr = a->base + pg * h->page_size;
			if (!span || (span == cur && page_addr < cur_end))
				continue;
			size_t before = sv->n;
			struct cs_error *err = read_span(h, span, a, page_addr, sv);
			if (sv->n > before) {
				cur = span;
				cur_end = page_addr + sv->v[sv->n - 1].npages * h->page_size;
			}
			if (err) {
				if (bad++ < 5)
					cs_warn_error(p->warnings, true, err, "heap");
				else
					cs_error_destroy(err);
			}
		}
	}
	if (bad > 5)
		cs_warn(p->warnings, true, "%zu spans unreadable or corrupt in all", bad);
	return NULL;
}

struct cs_error *hs_heap_load(struct hs_program *p, const struct cs_progress *prog,
			      struct hs_heap **ret)
{
	const struct hs_layout *l = &p->layout;
	const struct hs_sym *mh = hs_sym_lookup(p, "runtime.mheap_");
	if (!mh)
		return cs_error_create(CS_ERR_NOT_FOUND,
				       "%s: symbol runtime.mheap_ not found (stripped binary?); the heap cannot be located",
				       cw_core_input(p->core)->path);
	struct hs_heap *h = calloc(1, sizeof(*h));
	if (!h)
		return &cs_error_nomem;
	h->p = p;
	h->page_size = (uint64_t)l->c.pageSize.v;
	h->page_shift = (unsigned)__builtin_ctzll(h->page_size);
	h->arena_bytes = (uint64_t)l->c.heapArenaBytes.v;
	h->arena_shift = (unsigned)__builtin_ctzll(h->arena_bytes);
	h->arena_base_offset = (uint64_t)l->c.arenaBaseOffset.v;
	h->pages_per_arena = (uint64_t)l->c.pagesPerArena.v;
	h->heap_bits_small_max = l->c.minSizeForMallocHeader.ok
					 ? (uint64_t)l->c.minSizeForMallocHeader.v
					 : HEAP_BITS_SMALL_MAX;
	h->inline_marks_size = l->c.spanInlineMarkBitsSize.ok
				       ? (uint64_t)l->c.spanInlineMarkBitsSize.v : 128;
	if (h->page_size == 0 || (h->page_size & (h->page_size - 1)) ||
	    h->arena_bytes == 0 || (h->arena_bytes & (h->arena_bytes - 1)) ||
	    h->pages_per_arena != h->arena_bytes / h->page_size) {
		hs_heap_destroy(h);
		return cs_error_create(CS_ERR_BAD_DATA, "runtime constants are inconsistent (page %llu, arena %llu)",
				       (unsigned long long)h->page_size,
				       (unsigned long long)h->arena_bytes);
	}
	struct cs_error *err = hs_rd(p, mh->addr, &l->mheap.sweepgen, &h->sweepgen);
	if (!err)
		err = hs_rd(p, mh->addr, &l->mheap.pagesInUse, &h->runtime_pages_in_use);
	if (!err)
		err = load_arenas(h, mh->addr);
	struct span_vec sv = { 0 };
	if (!err)
		err = collect_spans(h, &sv, prog);
	if (err) {
		free(sv.v);
		hs_heap_destroy(h);
		return err;
	}
	cs_sort(sv.v, sv.n, sizeof(*sv.v), span_cmp);
	h->spans = sv.v;
	h->nspans = sv.n;

	/* Allocation words and object count. */
	size_t nwords = 0;
	for (size_t i = 0; i < h->nspans; i++) {
		struct hs_span *s = &h->spans[i];
		map_span_pages(h, s, (uint32_t)i);
		if (s->state != HS_SPAN_HEAP)
			continue;
		s->word0 = (uint32_t)nwords;
		nwords += (s->nelems + 63) / 64;
	}
	h->aw = cs_big_calloc(nwords, sizeof(*h->aw));
	h->find = cs_big_calloc(h->nspans, sizeof(*h->find));
	if (!h->aw || !h->find) {
		hs_heap_destroy(h);
		return &cs_error_nomem;
	}
	h->nwords = nwords;
	uint64_t nobjs = 0;
	size_t unreadable_bits = 0;
	for (size_t i = 0; i < h->nspans; i++) {
		struct hs_span *s = &h->spans[i];
		if (s->state != HS_SPAN_HEAP)
			continue;
		if (!span_alloc_words(h, s, h->aw + s->word0))
			unreadable_bits++;
		s->first_obj = (uint32_t)nobjs;
		uint32_t count = 0;
		for (uint32_t w = 0; w < (s->nelems + 63) / 64; w++) {
			h->aw[s->word0 + w].obj = (uint32_t)nobjs + count;
			count += (uint32_t)cs_popcount64(h->aw[s->word0 + w].bits);
		}
		h->find[i] = (struct hs_span_find){
			.base = s->base, .limit = s->limit,
			.elemsize = s->large ? 0 : (uint32_t)s->elemsize,
			.div_mul = s->large ? 0 : s->div_mul,
			.word0 = s->word0, .nelems = s->large ? 1 : (uint16_t)s->nelems,
			.header = s->header,
		};
		s->nobj = count;
		nobjs += count;
		if (count != s->alloc_count)
			h->alloc_count_mismatches++;
		if (nobjs > UINT32_MAX - 1) {
			hs_heap_destroy(h);
			return cs_error_create(CS_ERR_UNSUPPORTED,
					       "more than 4 billion heap objects");
		}
	}
	if (unreadable_bits)
		cs_warn(p->warnings, true,
			"%zu spans have allocation bitmaps missing from the dump; only slots below their free index are counted",
			unreadable_bits);

	h->objs = cs_big_malloc(nobjs, sizeof(*h->objs));
	if (!h->objs) {
		hs_heap_destroy(h);
		return &cs_error_nomem;
	}
	size_t k = 0;
	for (size_t i = 0; i < h->nspans; i++) {
		struct hs_span *s = &h->spans[i];
		if (s->state != HS_SPAN_HEAP)
			continue;
		if (i % 4096 == 0)
			cs_progress_report(prog, "indexing objects", i, h->nspans);
		for (uint32_t slot = 0; slot < s->nelems; slot++) {
			if (!(h->aw[s->word0 + slot / 64].bits >> (slot % 64) & 1))
				continue;
			uint64_t addr = s->base + (uint64_t)slot * s->elemsize + (s->header ? 8 : 0);
			uint32_t type = 0;
			if (s->header) {
				uint64_t taddr = s->large_type;
				if (!s->large) {
					const void *q = cw_peek(p->core, addr - 8, 8);
					taddr = q ? rd_u64(q) : 0;
				}
				const struct hs_type *t = taddr ? hs_type_at(p, taddr) : NULL;
				if (t)
					type = t->id;
				else if (taddr)
					h->bad_headers++;
			} else if (s->large && s->large_type &&
				   p->strategy.heapbits == HS_HEAPBITS_HEADERS) {
				const struct hs_type *t = hs_type_at(p, s->large_type);
				if (t)
					type = t->id;
			}
			h->objs[k++] = (struct hs_object){ (uint32_t)i, type };
		}
	}
	h->nobjs = k;
	if (h->bad_headers)
		cs_warn(p->warnings, false,
			"%llu objects have a malloc header that is not a type descriptor (left untyped)",
			(unsigned long long)h->bad_headers);
	*ret = h;
	return NULL;
}

void hs_heap_destroy(struct hs_heap *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->narenas; i++)
		free(h->arenas[i].page_span);
	free(h->arenas);
	free(h->arena_buckets);
	free(h->spans);
	cs_big_free(h->aw);
	cs_big_free(h->find);
	cs_big_free(h->objs);
	free(h);
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */
/* ------------------------------------------------------------------ */

void hs_heap_set_type(struct hs_heap *h, uint32_t i, uint32_t type)
{
	if (i < h->nobjs)
		h->objs[i].type = type;
}

size_t hs_heap_count(const struct hs_heap *h)
{
	return h->nobjs;
}

const struct hs_object *hs_heap_objects(const struct hs_heap *h)
{
	return h->objs;
}

size_t hs_heap_span_count(const struct hs_heap *h)
{
	return h->nspans;
}

const struct hs_span *hs_heap_spans(const struct hs_heap *h)
{
	return h->spans;
}

/*
 * The page allocator's own view (runtime/mpagealloc.go): per 4 MiB chunk a
 * pallocData with one bit per page for "allocated" and one for
 * "scavenged" (returned to the OS).  Free pages with the scavenged bit are
 * released memory.
 */
static void page_alloc_stats(const struct hs_heap *h, struct hs_heap_stats *ret)
{
	struct hs_program *p = h->p;
	const struct hs_layout *l = &p->layout;
	const struct hs_sym *mh = hs_sym_lookup(p, "runtime.mheap_");
	if (!mh)
		return;
	uint64_t chunk_pages = (uint64_t)l->c.pallocChunkPages.v;
	uint64_t l2bits = (uint64_t)l->c.pallocChunksL2Bits.v;
	uint64_t chunk_bytes = chunk_pages * h->page_size;
	uint64_t dsize = (uint64_t)l->pallocData.size.v;
	if (!chunk_pages || chunk_pages % 64 || !chunk_bytes || h->arena_bytes % chunk_bytes ||
	    l2bits > 30 || dsize < chunk_pages / 4)
		return;
	uint64_t chunks = mh->addr + (uint64_t)l->mheap.pages.v + (uint64_t)l->pageAlloc.chunks.v;
	bool ok = true;
	for (size_t ai = 0; ai < h->narenas; ai++) {
		const struct hs_arena *a = &h->arenas[ai];
		for (uint64_t c = 0; c < h->arena_bytes / chunk_bytes; c++) {
			uint64_t ci = (a->base + c * chunk_bytes - h->arena_base_offset) / chunk_bytes;
			uint64_t l2;
			struct cs_error *err = cw_read_u64(p->core, chunks + (ci >> l2bits) * 8, &l2);
			const uint8_t *pd = err || !l2 ? NULL
				: cw_peek(p->core, l2 + (ci & ((1ull << l2bits) - 1)) * dsize, dsize);
			cs_error_destroy(err);
			if (!pd) {
				ok = false;
				continue;
			}
			for (uint64_t w = 0; w < chunk_pages / 64; w++) {
				uint64_t alloc = rd_u64(pd + l->pallocData.pallocBits.v + w * 8);
				uint64_t scav = rd_u64(pd + l->pallocData.scavenged.v + w * 8);
				ret->runtime_free_pages += (uint64_t)cs_popcount64(~alloc);
				ret->runtime_released_pages += (uint64_t)cs_popcount64(~alloc & scav);
			}
		}
	}
	ret->page_alloc_ok = ok;
}

void hs_heap_stats(const struct hs_heap *h, struct hs_heap_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->page_size = h->page_size;
	ret->arenas = h->narenas;
	ret->arena_bytes = h->narenas * h->arena_bytes;
	ret->runtime_pages_in_use = h->runtime_pages_in_use;
	ret->alloc_count_mismatches = h->alloc_count_mismatches;
	ret->objects = h->nobjs;
	for (size_t i = 0; i < h->nspans; i++) {
		const struct hs_span *s = &h->spans[i];
		uint64_t bytes = s->npages * h->page_size;
		if (s->state == HS_SPAN_MANUAL) {
			ret->manual_spans++;
			ret->manual_bytes += bytes;
			continue;
		}
		ret->inuse_spans++;
		ret->inuse_pages += s->npages;
		ret->inuse_bytes += bytes;
		ret->runtime_alloc_count += s->alloc_count;
		if (s->large)
			ret->object_bytes += s->limit - s->base;
		else
			ret->object_bytes += (uint64_t)s->nobj * s->elemsize;
		ret->free_slot_bytes += (uint64_t)(s->nelems - s->nobj) * s->elemsize;
	}
	page_alloc_stats(h, ret);
}

/* ------------------------------------------------------------------ */
/* Pointer words of an object                                          */
/* ------------------------------------------------------------------ */

/* Call fn for each word of [addr, addr+size) whose mask bit (bit i of
 * mask for word i, tiled every period words) is set and which holds a
 * non-zero value. */
/* Bits [start, start + n) of a little-endian bitmap, n <= 64, as the low
 * bits of a word.  Reads only the bytes those bits lie in. */
static uint64_t bits_at(const uint8_t *b, uint64_t start, unsigned n)
{
	const uint8_t *q = b + start / 8;
	unsigned sh = (unsigned)(start % 8);
	unsigned nbytes = (sh + n + 7) / 8;
	uint64_t lo = 0;
	unsigned hi_byte = 0;
	for (unsigned i = 0; i < nbytes && i < 8; i++)
		lo |= (uint64_t)q[i] << (8 * i);
	if (nbytes > 8)
		hi_byte = q[8];
	uint64_t v = lo >> sh;
	if (sh)
		v |= (uint64_t)hi_byte << (64 - sh);
	return n == 64 ? v : v & ((1ull << n) - 1);
}

/* Call fn for every non-zero word the pointer mask marks: the object is
 * tiles of `period` words, each with the mask's first mask_words bits
 * (the rest of a tile holds no pointers). */
static int scan_tiled(struct hs_program *p, uint64_t addr, uint64_t size,
		      const uint8_t *mask, uint64_t mask_words, uint64_t period,
		      hs_ptr_fn fn, void *arg)
{
	const uint8_t *mem = cw_peek(p->core, addr, (size_t)size);
	if (!mem)
		return -1;
	uint64_t nwords = size / 8;
	uint64_t per_tile = mask_words < period ? mask_words : period;
	for (uint64_t base = 0; base < nwords; base += period) {
		uint64_t n = CS_MIN(per_tile, nwords - base);
		for (uint64_t m0 = 0; m0 < n; m0 += 64) {
			uint64_t bits = bits_at(mask, m0, (unsigned)CS_MIN(64, n - m0));
			while (bits) {
				uint64_t w = base + m0 + (uint64_t)__builtin_ctzll(bits);
				bits &= bits - 1;
				uint64_t v = rd_u64(mem + w * 8);
				if (v) {
					int r = fn(arg, w * 8, v);
					if (r)
						return r;
				}
			}
		}
	}
	return 0;
}

int hs_object_scan(struct hs_heap *h, uint32_t i, hs_ptr_fn fn, void *arg)
{
	if (i >= h->nobjs)
		return 0;
	return hs_object_scan_at(h, i, hs_object_addr(h, i), fn, arg);
}

int hs_object_scan_at(struct hs_heap *h, uint32_t i, uint64_t addr, hs_ptr_fn fn, void *arg)
{
	struct hs_program *p = h->p;
	const struct hs_object *o = &h->objs[i];
	const struct hs_span *s = &h->spans[o->span];
	if (s->noscan)
		return 0;
	uint64_t size = hs_object_size(h, i);
	/* No skipping of slots in [freeIndexForScan, freeindex): the runtime
	 * advances freeIndexForScan only on some allocation paths (Go 1.26
	 * malloc.go leaves it behind for small objects), so that range holds
	 * finished objects too.  An allocation in flight at the instant of
	 * the dump may show stale bits; at worst a scalar reads as a
	 * pointer, which only over-approximates liveness. */

	switch (p->strategy.heapbits) {
	case HS_HEAPBITS_HEADERS: {
		if (s->header || s->large) {
			const struct hs_type *t = hs_type_by_id(p, o->type);
			if (!t || !t->size)
				return 0;	/* untyped (e.g. delayed zeroing) */
			const uint8_t *mask = hs_type_mask(p, t);
			if (!mask)
				return 0;
			return scan_tiled(p, addr, size, mask, t->ptrbytes / 8,
					  t->size / 8, fn, arg);
		}
		/* Heap bits at the end of the span, before Green Tea's inline
		 * mark bits (runtime/mbitmap.go spanHeapBitsRange). */
		uint64_t span_bytes = s->npages * h->page_size;
		uint64_t bm_size = span_bytes / 8 / 8;
		uint64_t bm_base = s->base + span_bytes - bm_size -
				   (s->inline_marks ? h->inline_marks_size : 0);
		uint64_t w0 = (addr - s->base) / 8, nw = CS_MIN(size / 8, 512);
		const uint8_t *bm = cw_peek(p->core, bm_base + w0 / 8, (size_t)((w0 % 8 + nw + 7) / 8));
		if (!bm)
			return -1;
		/* the object's bits, realigned to start at bit 0 */
		uint8_t local[64];
		for (uint64_t k = 0; k < nw; k += 64) {
			uint64_t v = bits_at(bm, w0 % 8 + k, (unsigned)CS_MIN(64, nw - k));
			memcpy(local + k / 8, &v, 8);
		}
		return scan_tiled(p, addr, nw * 8, local, nw, nw, fn, arg);
	}
	case HS_HEAPBITS_ARENA1:
	case HS_HEAPBITS_ARENA2: {
		struct hs_arena *a = arena_find(h, arena_index_of(h, addr));
		if (!a)
			return -1;
		const struct hs_layout *l = &p->layout;
		uint64_t word = (addr - a->base) / 8, nw = size / 8;
		const uint8_t *mem = cw_peek(p->core, addr, (size_t)size);
		if (!mem)
			return -1;
		bool two = p->strategy.heapbits == HS_HEAPBITS_ARENA2;
		uint64_t bits_per_byte = two ? 4 : 8;
		const uint8_t *bm = cw_peek(p->core,
			a->ha + (uint64_t)l->heapArena.bitmap.v + word / bits_per_byte,
			(size_t)((word % bits_per_byte + nw + bits_per_byte - 1) / bits_per_byte));
		if (!bm)
			return -1;
		for (uint64_t k = 0; k < nw; k++) {
			uint64_t b = word % bits_per_byte + k;
			uint8_t byte = bm[b / bits_per_byte];
			unsigned sh = (unsigned)(b % bits_per_byte);
			if (two) {
				/* Go 1.19: low nibble pointer bits, high nibble
				 * scan bits; a clear scan bit ends the object's
				 * pointers (runtime/mbitmap.go). */
				if (!((byte >> (4 + sh)) & 1))
					break;
				if (!((byte >> sh) & 1))
					continue;
			} else if (!((byte >> sh) & 1)) {
				continue;
			}
			uint64_t v = rd_u64(mem + k * 8);
			if (v) {
				int r = fn(arg, k * 8, v);
				if (r)
					return r;
			}
		}
		return 0;
	}
	}
	return 0;
}

void hs_heap_prepare_scan(struct hs_heap *h)
{
	struct hs_program *p = h->p;
	if (p->strategy.heapbits != HS_HEAPBITS_HEADERS)
		return;		/* arena bitmaps need no per-type masks */
	for (size_t i = 0; i < h->nobjs; i++) {
		const struct hs_object *o = &h->objs[i];
		const struct hs_span *s = &h->spans[o->span];
		if (s->noscan || !(s->header || s->large) || !o->type)
			continue;
		const struct hs_type *t = hs_type_by_id(p, o->type);
		if (t && t->size)
			hs_type_mask(p, t);
	}
}

size_t hs_heap_arena_count(const struct hs_heap *h)
{
	return h->narenas;
}

uint64_t hs_heap_arena_base(const struct hs_heap *h, size_t i, uint64_t *size_ret)
{
	*size_ret = i < h->narenas ? h->arena_bytes : 0;
	return i < h->narenas ? h->arenas[i].base : 0;
}
