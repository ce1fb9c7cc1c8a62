/*
 * test_heapscan.c — the heap index's address functions against each
 * other, on random span layouts: the batched walk of the allocation bits
 * (hs_heap_object_addrs_range, which the pointer scan uses) must give
 * every object the address that the per-object search (hs_object_addr)
 * gives it, for any range of objects.  Also: hs_type_elements over Go's
 * size classes.
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

/* Go's size classes (runtime/sizeclasses.go, unchanged from 1.19 to
 * 1.27); above the last, objects take whole 8 KiB pages. */
static const uint32_t size_classes[] = {
	8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224,
	240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768,
	896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200,
	3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728,
	10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760,
	24576, 27264, 28672, 32768,
};

static uint64_t slot_for(uint64_t bytes)
{
	for (size_t i = 0; i < sizeof(size_classes) / sizeof(size_classes[0]); i++)
		if (bytes <= size_classes[i])
			return size_classes[i];
	return (bytes + 8191) / 8192 * 8192;
}

/* A single value of any size, in the slot its size class gives it, is one
 * value; n >= 2 of them in one allocation are n or more (the slot may
 * hold more than was asked for), never one. */
static void type_elements_over_size_classes(void)
{
	struct hs_type t = { 0 };
	for (uint64_t size = 8; size <= (1u << 20); size += 8) {
		t.size = size;
		uint64_t slot = slot_for(size);
		REQUIRE(hs_type_elements(&t, slot) == 1, "one %llu-byte value in its %llu-byte slot: %llu",
			(unsigned long long)size, (unsigned long long)slot,
			(unsigned long long)hs_type_elements(&t, slot));
		if (size > 4096)
			continue;
		for (uint64_t n = 2; n <= 64; n++) {
			uint64_t e = hs_type_elements(&t, slot_for(n * size));
			REQUIRE(e >= n, "%llu values of %llu bytes: %llu", (unsigned long long)n,
				(unsigned long long)size, (unsigned long long)e);
		}
	}
	t.size = 1;
	CHECK(hs_type_elements(&t, 1000) == 1000, "1000 bytes of a 1-byte type");
	t.role = HS_SYNTH_STRING;
	CHECK(hs_type_elements(&t, 1000) == 1, "string bytes are one value");
	t.role = HS_SYNTH_NONE;
	t.size = 0;
	CHECK(hs_type_elements(&t, 64) == 1, "a zero-size type");
}

int main(void)
{
	check_suite = "unit/heapscan";
	RUN(batched_addresses_match_per_object);
	RUN(type_elements_over_size_classes);
	return 0;
}
