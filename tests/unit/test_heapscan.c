/*
 * test_heapscan.c — the heap index's address functions against each
 * other, on random span layouts: the batched walk of the allocation bits
 * (hs_heap_object_addrs_range, which the pointer scan uses) must give
 * every object the address that the per-object search (hs_object_addr)
 * gives it, for any range of objects.
 */
#include "config.h"

#include "check.h"
#include "heapscan/internal.h"

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r, uint32_t n)
{
	r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((r->s >> 33) % n);
}

#define MAXSPANS 40
#define MAXWORDS (MAXSPANS * 5)
#define MAXOBJS (MAXWORDS * 64)

struct testheap {
	struct hs_heap h;
	struct hs_span spans[MAXSPANS];
	struct hs_allocword aw[MAXWORDS];
	struct hs_object objs[MAXOBJS];
};

/* Random spans in address order: stack (manual) spans between heap spans,
 * large objects, small-object spans with and without malloc headers,
 * allocation words empty, sparse and full.  Objects, words and first_obj
 * numbered the way hs_heap_open numbers them. */
static void make_heap(struct testheap *t, struct rng *r)
{
	static const uint64_t sizes[] = { 8, 16, 24, 48, 112, 512, 1024, 8192 };
	memset(t, 0, sizeof(*t));
	struct hs_heap *h = &t->h;
	h->spans = t->spans;
	h->aw = t->aw;
	h->objs = t->objs;
	h->nspans = 1 + rnd(r, MAXSPANS);
	uint64_t base = 0xc000000000ull;
	uint32_t nobjs = 0;
	for (size_t i = 0; i < h->nspans; i++) {
		struct hs_span *s = &t->spans[i];
		s->base = base;
		s->state = rnd(r, 6) == 0 ? HS_SPAN_MANUAL : HS_SPAN_HEAP;
		s->large = rnd(r, 6) == 0;
		s->elemsize = s->large ? 8192 * (1 + rnd(r, 4)) : sizes[rnd(r, 8)];
		s->nelems = s->large ? 1 : 1 + rnd(r, 300);
		s->header = !s->large && s->elemsize > 512 && rnd(r, 2);
		base += ((s->nelems * s->elemsize + 8191) / 8192) * 8192;
		if (s->state != HS_SPAN_HEAP)
			continue;
		s->word0 = (uint32_t)h->nwords;
		s->first_obj = nobjs;
		uint32_t density = rnd(r, 4);	/* none, 1/8, 1/2, all */
		for (uint32_t w = 0; w < (s->nelems + 63) / 64; w++) {
			struct hs_allocword *aw = &t->aw[h->nwords++];
			aw->obj = nobjs;
			for (uint32_t b = 0; b < 64 && w * 64 + b < s->nelems; b++) {
				bool set = density == 3 || (density == 2 && rnd(r, 2)) ||
					   (density == 1 && rnd(r, 8) == 0);
				if (set) {
					aw->bits |= 1ull << b;
					t->objs[nobjs++].span = (uint32_t)i;
				}
			}
		}
		s->nobj = nobjs - s->first_obj;
	}
	h->nobjs = nobjs;
}

static void batched_addresses_match_per_object(void)
{
	static struct testheap t;
	static uint64_t out[MAXOBJS + 1];
	struct rng r = { 42 };
	for (int round = 0; round < 300; round++) {
		make_heap(&t, &r);
		struct hs_heap *h = &t.h;
		uint32_t n = (uint32_t)h->nobjs;
		/* the whole heap, then random ranges, some past the end */
		for (int q = 0; q < 40; q++) {
			uint32_t lo = q == 0 ? 0 : rnd(&r, n + 2);
			uint32_t hi = q == 0 ? n : lo + rnd(&r, n + 3);
			out[0] = 0x5a5a;
			hs_heap_object_addrs_range(h, lo, hi, out);
			if (lo >= n || lo >= hi) {
				REQUIRE(out[0] == 0x5a5a,
					"round %d: range [%u, %u) of %u objects wrote an address",
					round, lo, hi, n);
				continue;
			}
			for (uint32_t i = lo; i < hi && i < n; i++) {
				uint64_t want = hs_object_addr(h, i);
				REQUIRE(want != 0, "round %d: object %u has no address", round, i);
				REQUIRE(out[i - lo] == want,
					"round %d: range [%u, %u): object %u at 0x%llx, hs_object_addr says 0x%llx",
					round, lo, hi, i, (unsigned long long)out[i - lo],
					(unsigned long long)want);
			}
		}
	}
}

int main(void)
{
	check_suite = "unit/heapscan";
	RUN(batched_addresses_match_per_object);
	return 0;
}
