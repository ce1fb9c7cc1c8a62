/*
 * test_common.c — the cs_ basics.
 */
#include "config.h"

#include <stdatomic.h>

#include "check.h"
#include "cs.h"

static void strbuf_grows_and_formats(void)
{
	struct cs_strbuf b;
	cs_strbuf_init(&b);
	for (int i = 0; i < 1000; i++)
		cs_strbuf_printf(&b, "%d,", i);
	CHECK(!b.failed, "strbuf failed");
	CHECK(strncmp(b.s, "0,1,2,", 6) == 0, "prefix is %.6s", b.s);
	CHECK(b.len == strlen(b.s), "len %zu != strlen %zu", b.len, strlen(b.s));
	char *s = cs_strbuf_steal(&b);
	CHECK(b.s == NULL && b.len == 0, "steal did not reset");
	free(s);
	cs_strbuf_deinit(&b);
}

static void arena_aligns_and_survives(void)
{
	struct cs_arena a;
	cs_arena_init(&a);
	char *first = cs_arena_strndup(&a, "hello", 5);
	for (int i = 0; i < 10000; i++) {
		void *p = cs_arena_alloc(&a, (size_t)(i % 97) + 1);
		REQUIRE(p, "alloc failed");
		CHECK(((uintptr_t)p & 15) == 0, "unaligned %p", p);
	}
	void *big = cs_arena_alloc(&a, 1 << 20);
	CHECK(big != NULL, "big alloc failed");
	CHECK(strcmp(first, "hello") == 0, "early string clobbered");
	char *f = cs_arena_printf(&a, "%s-%d", "x", 42);
	CHECK(f && strcmp(f, "x-42") == 0, "printf gave %s", f ? f : "(null)");
	cs_arena_deinit(&a);
}

static void grow_refuses_overflow(void)
{
	void *p = NULL;
	size_t cap = 0;
	CHECK(!cs_grow(&p, &cap, SIZE_MAX / 2, 16), "overflowing grow succeeded");
	CHECK(p == NULL && cap == 0, "failed grow changed state");
	int *v = NULL;
	size_t n = 0, c = 0;
	for (int i = 0; i < 100; i++)
		REQUIRE(CS_PUSH(v, n, c, i), "push failed");
	CHECK(n == 100 && v[99] == 99, "push lost data");
	free(v);
}

static void big_arrays_refuse_overflow_and_keep_data(void)
{
	CHECK(cs_big_malloc(SIZE_MAX / 4, 8) == NULL, "overflowing malloc succeeded");
	CHECK(cs_big_calloc(SIZE_MAX / 4, 8) == NULL, "overflowing calloc succeeded");
	CHECK(cs_big_realloc(NULL, SIZE_MAX / 2, 4) == NULL, "overflowing realloc succeeded");
	size_t n = CS_BIG_MIN / sizeof(uint64_t) * 2;
	uint64_t *v = cs_big_calloc(n, sizeof(*v));
	REQUIRE(v != NULL, "calloc of %zu words failed", n);
	size_t nonzero = 0;
	for (size_t i = 0; i < n; i++)
		nonzero += v[i] != 0;
	CHECK(nonzero == 0, "%zu calloc'd words are not zero", nonzero);
	for (size_t i = 0; i < n; i++)
		v[i] = i * 3;
	uint64_t *w = cs_big_realloc(v, n * 2, sizeof(*w));
	if (!w)
		free(v);
	REQUIRE(w != NULL, "realloc to %zu words failed", n * 2);
	size_t lost = 0;
	for (size_t i = 0; i < n; i++)
		lost += w[i] != i * 3;
	CHECK(lost == 0, "realloc lost %zu words", lost);
	cs_big_free(w);
	void *z = cs_big_malloc(0, 8);
	CHECK(z != NULL, "an empty array is NULL (callers take NULL for no memory)");
	cs_big_free(z);
}

/* The VmFlags of the mapping that holds addr, from /proc/self/smaps. */
static bool vm_flags_of(uintptr_t addr, char *flags, size_t size)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return false;
	char line[512];
	bool inside = false, found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char dash;
		if (sscanf(line, "%lx%c%lx ", &lo, &dash, &hi) == 3 && dash == '-')
			inside = addr >= lo && addr < hi;
		else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
			snprintf(flags, size, "%s", line + 8);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void big_arrays_ask_for_huge_pages(void)
{
	FILE *thp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (!thp)
		SKIP_TEST("this kernel has no transparent huge pages");
	fclose(thp);
	size_t bytes = 3 * CS_BIG_MIN;
	char *p = cs_big_malloc(bytes, 1);
	REQUIRE(p != NULL, "malloc of %zu bytes failed", bytes);
	/* a 2 MiB page inside the block */
	uintptr_t inner = ((uintptr_t)p + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
	char flags[512] = "";
	bool have = vm_flags_of(inner, flags, sizeof(flags));
	char *small = cs_big_malloc(CS_BIG_MIN / 4, 1);
	char sflags[512] = "";
	bool shave = small && vm_flags_of((uintptr_t)small + CS_BIG_MIN / 8, sflags, sizeof(sflags));
	cs_big_free(p);
	cs_big_free(small);
	if (!have)
		SKIP_TEST("/proc/self/smaps does not show VmFlags");
	CHECK(strstr(flags, " hg") != NULL, "a %zu-byte block is not advised: VmFlags%s", bytes, flags);
	CHECK(!shave || strstr(sflags, " hg") == NULL, "a block under CS_BIG_MIN was advised: VmFlags%s", sflags);
}

#define MIB ((size_t)1 << 20)

/* Kilobytes of RssAnon in /proc/self/status, or -1. */
static long rss_anon_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long kb = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* cs_rss_anon (from /proc/self/statm) tells what RssAnon of
 * /proc/self/status does, and sees 32 MiB of touched pages. */
static void rss_anon_follows_status(void)
{
	long kb0 = rss_anon_kb();
	if (kb0 < 0)
		SKIP_TEST("/proc/self/status has no RssAnon");
	uint64_t a0 = cs_rss_anon();
	size_t n = 32 * MIB;
	volatile uint8_t *v = malloc(n);
	REQUIRE(v, "malloc of 32 MiB failed");
	for (size_t i = 0; i < n; i += 4096)
		v[i] = (uint8_t)i | 1;
	long kb1 = rss_anon_kb();
	uint64_t a1 = cs_rss_anon();
	free((void *)v);
	/* the two files are read one after the other: 1 MiB of slack */
	CHECK(a0 + MIB >= (uint64_t)kb0 * 1024 && a0 <= (uint64_t)kb0 * 1024 + MIB,
	      "cs_rss_anon %llu bytes, RssAnon %ld kB", (unsigned long long)a0, kb0);
	CHECK(a1 + MIB >= (uint64_t)kb1 * 1024 && a1 <= (uint64_t)kb1 * 1024 + MIB,
	      "cs_rss_anon %llu bytes, RssAnon %ld kB after 32 MiB", (unsigned long long)a1, kb1);
	CHECK(a1 >= a0 + n, "cs_rss_anon grew by %lld bytes for 32 MiB of touched pages",
	      (long long)(a1 - a0));
}

/* Words of a block that do not hold their pattern (the word's index
 * times mul, plus add), checked every stride bytes and at the end. */
static size_t pattern_lost(const uint64_t *v, size_t bytes, size_t stride, uint64_t mul, uint64_t add)
{
	size_t n = bytes / 8, lost = 0;
	for (size_t i = 0; i < n; i += stride / 8)
		lost += v[i] != i * mul + add;
	return lost + (n && v[n - 1] != (n - 1) * mul + add);
}

static void pattern_fill(uint64_t *v, size_t bytes, size_t stride, uint64_t mul, uint64_t add)
{
	size_t n = bytes / 8;
	for (size_t i = 0; i < n; i += stride / 8)
		v[i] = i * mul + add;
	if (n)
		v[n - 1] = (n - 1) * mul + add;
}

/* Freed blocks' pages make the next blocks: no fresh page is mapped while
 * some are kept, so the resident total only grows as far as the live
 * blocks need; calloc's blocks come zeroed; sparse ones are fresh and
 * not kept. */
static void big_blocks_reuse_freed_pages(void)
{
	cs_big_trim();
	struct cs_big_stats s0 = cs_big_stats();
	CHECK(s0.idle_bytes == 0, "%zu bytes kept after cs_big_trim", s0.idle_bytes);
	uint64_t *a = cs_big_malloc(8 * MIB, 1), *b = cs_big_malloc(8 * MIB, 1),
		 *c = cs_big_malloc(8 * MIB, 1);
	REQUIRE(a && b && c, "three 8 MiB blocks failed");
	memset(a, 0xa5, 8 * MIB);
	memset(b, 0xa5, 8 * MIB);
	memset(c, 0xa5, 8 * MIB);
	struct cs_big_stats s1 = cs_big_stats();
	CHECK(s1.fresh_bytes - s0.fresh_bytes == 24 * MIB && s1.reused_bytes == s0.reused_bytes,
	      "three 8 MiB blocks took %zu fresh and %zu kept bytes",
	      s1.fresh_bytes - s0.fresh_bytes, s1.reused_bytes - s0.reused_bytes);
	cs_big_free(a);
	cs_big_free(b);
	cs_big_free(c);
	struct cs_big_stats s2 = cs_big_stats();
	CHECK(s2.idle_bytes == 24 * MIB, "%zu bytes kept after freeing 24 MiB", s2.idle_bytes);

	long rss0 = rss_anon_kb();
	uint8_t *d = cs_big_calloc(40 * MIB, 1);
	REQUIRE(d, "a 40 MiB calloc failed");
	size_t nonzero = 0;
	for (size_t i = 0; i < 40 * MIB; i += 64)
		nonzero += d[i] != 0 || d[i + 63] != 0;
	CHECK(nonzero == 0, "%zu lines of a calloc'd block made of kept pages are not zero", nonzero);
	memset(d, 1, 40 * MIB);
	long rss1 = rss_anon_kb();
	struct cs_big_stats s3 = cs_big_stats();
	CHECK(s3.reused_bytes - s2.reused_bytes == 24 * MIB &&
	      s3.fresh_bytes - s2.fresh_bytes == 16 * MIB && s3.idle_bytes == 0,
	      "40 MiB with 24 kept: %zu kept and %zu fresh bytes used, %zu left kept",
	      s3.reused_bytes - s2.reused_bytes, s3.fresh_bytes - s2.fresh_bytes, s3.idle_bytes);
	/* (a little slack: malloc's own pages, and the test's; and under
	 * AddressSanitizer the shadow of the 40 MiB written) */
	size_t slack = 4 * MIB;
#if defined(__SANITIZE_ADDRESS__)
	slack += 40 * MIB / 8;
#endif
#if defined(__SANITIZE_THREAD__)
	rss0 = -1;	/* its shadow is several times what is written */
#endif
	CHECK(rss0 < 0 || rss1 - rss0 <= (long)(16 * MIB + slack) / 1024,
	      "RssAnon grew by %ld kB for 16 MiB of fresh pages", rss1 - rss0);

	cs_big_free(d);
	uint64_t *e = cs_big_malloc_sparse(16 * MIB, 1);
	/* 8 MiB of whole 2 MiB pages, kept ones; the last MiB fresh */
	uint64_t *f = cs_big_malloc(9 * MIB, 1);
	REQUIRE(e && f, "the blocks after the calloc failed");
	struct cs_big_stats s4 = cs_big_stats();
	CHECK(s4.reused_bytes - s3.reused_bytes == 8 * MIB && s4.idle_bytes == 32 * MIB &&
	      s4.fresh_bytes - s3.fresh_bytes == 1 * MIB,
	      "a sparse 16 MiB and a 9 MiB block with 40 MiB kept: %zu kept and %zu fresh bytes used, %zu left kept",
	      s4.reused_bytes - s3.reused_bytes, s4.fresh_bytes - s3.fresh_bytes, s4.idle_bytes);
	pattern_fill(e, 16 * MIB, 4096, 3, 1);
	pattern_fill(f, 9 * MIB, 4096, 5, 2);
	CHECK(pattern_lost(e, 16 * MIB, 4096, 3, 1) == 0 && pattern_lost(f, 9 * MIB, 4096, 5, 2) == 0,
	      "blocks overlap");
	cs_big_free(e);
	CHECK(cs_big_stats().idle_bytes == 32 * MIB, "a freed sparse block's pages were kept");
	cs_big_free(f);
	cs_big_trim();
	CHECK(cs_big_stats().idle_bytes == 0, "cs_big_trim kept pages");
}

/* realloc keeps the data: from malloc into the pool, growing with kept
 * pages behind it, shrinking (the tail is kept for later). */
static void big_blocks_realloc_keeps_data(void)
{
	cs_big_trim();
	uint64_t *v = cs_big_malloc(MIB, 1);
	REQUIRE(v, "1 MiB failed");
	pattern_fill(v, MIB, 8, 7, 3);
	uint64_t *w = cs_big_realloc(v, 9 * MIB, 1);
	if (!w)
		cs_big_free(v);
	REQUIRE(w, "1 -> 9 MiB failed");
	CHECK(pattern_lost(w, MIB, 8, 7, 3) == 0, "1 -> 9 MiB lost data");
	pattern_fill(w, 9 * MIB, 8, 7, 3);
	uint64_t *k = cs_big_malloc(8 * MIB, 1);
	REQUIRE(k, "8 MiB failed");
	memset(k, 0xff, 8 * MIB);
	cs_big_free(k);
	struct cs_big_stats s0 = cs_big_stats();
	uint64_t *x = cs_big_realloc(w, 33 * MIB, 1);
	if (!x)
		cs_big_free(w);
	REQUIRE(x, "9 -> 33 MiB failed");
	struct cs_big_stats s1 = cs_big_stats();
	CHECK(pattern_lost(x, 9 * MIB, 8, 7, 3) == 0, "9 -> 33 MiB lost data");
	/* the 2 MiB pages after the one 9 MiB ends in, 10 to 32 MiB, are
	 * made of the 8 kept first */
	CHECK(s1.reused_bytes - s0.reused_bytes == 8 * MIB && s1.idle_bytes == 0 &&
	      s1.fresh_bytes - s0.fresh_bytes == 16 * MIB,
	      "9 -> 33 MiB with 8 MiB kept: %zu kept and %zu fresh bytes used",
	      s1.reused_bytes - s0.reused_bytes, s1.fresh_bytes - s0.fresh_bytes);
	pattern_fill(x, 33 * MIB, 512, 11, 5);
	uint64_t *y = cs_big_realloc(x, 5 * MIB, 1);
	REQUIRE(y, "33 -> 5 MiB failed");
	size_t shrunk_lost = 0;	/* (the stride's words: 33 MiB's last one is gone) */
	for (size_t i = 0; i < 5 * MIB / 8; i += 512 / 8)
		shrunk_lost += y[i] != i * 11 + 5;
	CHECK(shrunk_lost == 0, "33 -> 5 MiB lost %zu words", shrunk_lost);
	/* the block keeps 6 MiB, whole pages; 32 MiB of them, less those 6,
	 * are kept, and the last MiB is unmapped */
	CHECK(cs_big_stats().idle_bytes == 26 * MIB, "33 -> 5 MiB kept %zu bytes of the tail, not 26 MiB",
	      cs_big_stats().idle_bytes);
	uint64_t *z = cs_big_realloc(y, 100, 1);
	REQUIRE(z, "5 MiB -> 100 bytes failed");
	CHECK(z[0] == 5, "5 MiB -> 100 bytes lost data");
	cs_big_free(z);
	cs_big_trim();
}

struct churn {
	_Atomic size_t lost, failed;
};

static void churn_part(void *arg, unsigned k)
{
	struct churn *c = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (k + 1);
	uint64_t *keep = NULL;
	size_t keep_bytes = 0;
	for (int round = 0; round < 40; round++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		size_t bytes = CS_BIG_MIN + (size_t)(seed >> 40) % (12 * MIB);
		uint64_t *v = round % 3 ? cs_big_malloc(bytes, 1) : cs_big_calloc(bytes, 1);
		if (!v) {
			c->failed++;
			continue;
		}
		pattern_fill(v, bytes, 64 * 1024, k + 2, (uint64_t)round);
		uint64_t *w = cs_big_realloc(v, bytes * 2, 1);
		if (!w) {
			c->failed++;
			cs_big_free(v);
			continue;
		}
		c->lost += pattern_lost(w, bytes, 64 * 1024, k + 2, (uint64_t)round);
		if (keep)
			c->lost += pattern_lost(keep, keep_bytes, 64 * 1024, k + 2, 1000);
		if (round % 4 == 0) {
			cs_big_free(keep);
			keep = w;
			keep_bytes = bytes * 2;
			pattern_fill(keep, keep_bytes, 64 * 1024, k + 2, 1000);
		} else {
			cs_big_free(w);
		}
	}
	cs_big_free(keep);
}

/* Threads that allocate, grow and free blocks at once see only their own
 * data. */
static void big_blocks_from_threads(void)
{
	struct churn c = { 0, 0 };
	cs_run_threads(4, churn_part, &c);
	CHECK(c.lost == 0 && c.failed == 0, "%zu words lost, %zu allocations failed",
	      (size_t)c.lost, (size_t)c.failed);
	cs_big_trim();
}

/* Past the pool's table of live blocks, blocks come from malloc, and
 * cs_big_free frees both kinds.  (Only some blocks are touched: each
 * touch of a block's start takes a whole 2 MiB page.) */
static int addr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
	return x < y ? -1 : x > y;
}

static void big_blocks_past_the_table(void)
{
	enum { N = 700 };
	static uint8_t *v[N], *sorted[N];
	size_t got = 0;
	for (size_t i = 0; i < N; i++)
		got += (v[i] = cs_big_malloc(CS_BIG_MIN, 1)) != NULL;
	REQUIRE(got == N, "%zu of %d blocks made", got, N);
	size_t lost = 0, overlaps = 0;
	for (size_t i = 0; i < N; i += i < N - 20 ? 50 : 1)
		v[i][CS_BIG_MIN - 1] = (uint8_t)(i * 3);
	for (size_t i = 0; i < N; i += i < N - 20 ? 50 : 1)
		lost += v[i][CS_BIG_MIN - 1] != (uint8_t)(i * 3);
	memcpy(sorted, v, sizeof(v));
	qsort(sorted, N, sizeof(*sorted), addr_cmp);
	for (size_t i = 1; i < N; i++)
		overlaps += sorted[i] < sorted[i - 1] + CS_BIG_MIN;
	for (size_t i = 0; i < N; i++)
		cs_big_free(v[i]);
	CHECK(lost == 0 && overlaps == 0, "%zu blocks lost their data, %zu overlap", lost, overlaps);
	cs_big_trim();
}

static void errors_carry_address_and_context(void)
{
	struct cs_error *e = cs_error_fault(0x1234, CS_FAULT_NOT_SAVED, "reading %s", "g");
	REQUIRE(e != &cs_error_nomem, "no memory");
	CHECK(e->code == CS_ERR_FAULT && e->has_addr && e->addr == 0x1234,
	      "fault fields wrong");
	e = cs_error_wrap(e, "goroutine %d", 7);
	CHECK(strcmp(e->message, "goroutine 7: reading g") == 0, "wrapped: %s", e->message);
	cs_error_destroy(e);
	cs_error_destroy(NULL);
	cs_error_destroy(&cs_error_nomem);
	e = cs_error_os(2, "open %s", "x");
	CHECK(e->code == CS_ERR_OS && e->errnum == 2 && strstr(e->message, "open x: "),
	      "os error: %s", e->message);
	cs_error_destroy(e);
}

static void warnings_dedupe_and_cap(void)
{
	struct cs_warnings w;
	cs_warnings_init(&w);
	w.limit = 3;
	cs_warn(&w, false, "same");
	cs_warn(&w, false, "same");
	CHECK(w.n == 1, "duplicates kept: %zu", w.n);
	CHECK(!w.partial, "partial set by a non-partial warning");
	for (int i = 0; i < 10; i++)
		cs_warn(&w, true, "w%d", i);
	CHECK(w.n == 3 && w.dropped == 8, "n=%zu dropped=%zu", w.n, w.dropped);
	CHECK(w.partial, "partial not set");
	cs_warnings_deinit(&w);
}

static void sizes_format_in_iec_units(void)
{
	char b[32];
	CHECK(!strcmp(cs_fmt_size(0, b), "0 B"), "%s", b);
	CHECK(!strcmp(cs_fmt_size(1023, b), "1023 B"), "%s", b);
	CHECK(!strcmp(cs_fmt_size(1024, b), "1.0 KiB"), "%s", b);
	CHECK(!strcmp(cs_fmt_size(1048576, b), "1.0 MiB"), "%s", b);
	CHECK(!strcmp(cs_fmt_size(52428800, b), "50.0 MiB"), "%s", b);
	CHECK(!strcmp(cs_fmt_size(UINT64_MAX, b), "16.0 EiB"), "%s", b);
}

/* The map against a plain array: every key put is found with its latest
 * value, absent keys are absent, across many resizes. */
static void map64_matches_an_array(void)
{
	struct cs_map64 m;
	cs_map64_init(&m);
	CHECK(cs_map64_get(&m, 7) == CS_MAP64_NONE, "empty map has a key");
	enum { N = 50000 };
	static uint32_t want[N];
	for (uint32_t i = 0; i < N; i++) {
		/* keys 0, multiples of 2^32 and all-ones are the awkward ones */
		uint64_t key = (uint64_t)i << 32 | (i % 3);
		want[i] = i * 7;
		REQUIRE(cs_map64_put(&m, key, want[i]), "put failed");
		if (i % 5 == 0) {
			want[i] = i * 11;
			REQUIRE(cs_map64_put(&m, key, want[i]), "replace failed");
		}
	}
	REQUIRE(cs_map64_put(&m, UINT64_MAX, 1), "put failed");
	CHECK(m.n == N + 1, "count %zu", m.n);
	size_t bad = 0;
	for (uint32_t i = 0; i < N; i++)
		bad += cs_map64_get(&m, (uint64_t)i << 32 | (i % 3)) != want[i];
	CHECK(bad == 0, "%zu keys lost or wrong", bad);
	CHECK(cs_map64_get(&m, UINT64_MAX) == 1, "all-ones key lost");
	CHECK(cs_map64_get(&m, 1) == CS_MAP64_NONE, "absent key found");
	CHECK(cs_hash_bytes("ab", 2) != cs_hash_bytes("ba", 2), "hash ignores order");
	cs_map64_deinit(&m);
}

static int u32_order(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The radix sort against qsort, on sizes around its small-array cutoff
 * and on values that use every digit. */
static void sort_u32_matches_qsort(void)
{
	static const size_t sizes[] = { 0, 1, 2, 255, 256, 257, 100000 };
	enum { MAX = 100000 };
	static uint32_t a[MAX], b[MAX], tmp[MAX];
	uint64_t x = 88172645463325252ull;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;	/* xorshift64 */
			a[i] = b[i] = i % 4 == 0 ? (uint32_t)(x % 50) : (uint32_t)x;
		}
		cs_sort_u32(a, n, tmp);
		cs_sort(b, n, sizeof(*b), u32_order);
		CHECK(n == 0 || memcmp(a, b, n * sizeof(*a)) == 0, "n=%zu: radix order differs from qsort", n);
	}
}

/* Sorting with repeats dropped, against qsort and a dedupe by hand, on
 * dense value sets (the bitmap sweep) and sparse ones (the radix sort),
 * with and without repeats, and the bitmap left all zero. */
static void sort_unique_u32_matches_qsort(void)
{
	enum { MAX = 100000, RANGE = 1u << 22 };
	static uint32_t a[MAX], b[MAX], tmp[MAX];
	static uint64_t bits[RANGE / 64];
	static const struct {
		size_t n;
		uint32_t range, base;	/* values in [base, base + range) */
	} cases[] = {
		{ 0, 1, 0 }, { 1, 1, 7 }, { 300, 600, 0 }, { 300, 300, 1000 },
		{ 100000, 200000, 123 }, { 100000, 100000, 4000000 - 100000 },
		{ 100000, RANGE, 0 }, { 255, 100, 64 }, { 5000, RANGE - 64, 63 },
	};
	uint64_t x = 0x2545f4914f6cdd1dull;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n = cases[c].n;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			a[i] = b[i] = cases[c].base + (uint32_t)(x % cases[c].range);
		}
		size_t k = cs_sort_unique_u32(a, n, bits, tmp);
		cs_sort(b, n, sizeof(*b), u32_order);
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (m == 0 || b[i] != b[m - 1])
				b[m++] = b[i];
		CHECK(k == m, "case %zu: %zu values left, expected %zu", c, k, m);
		CHECK(k != m || m == 0 || memcmp(a, b, m * sizeof(*a)) == 0,
		      "case %zu: order differs from qsort", c);
		size_t dirty = 0;
		for (size_t w = 0; w < RANGE / 64; w++)
			dirty += bits[w] != 0;
		CHECK(dirty == 0, "case %zu: %zu bitmap words left set", c, dirty);
	}
}

/* Every part runs exactly once, also beyond the thread cap, and with no
 * parts nothing runs; the shares tile [0, n) in near-equal parts. */
struct parts_seen {
	unsigned runs[64];
};

static void count_part(void *arg, unsigned k)
{
	struct parts_seen *p = arg;
	if (k < 64)
		__atomic_fetch_add(&p->runs[k], 1, __ATOMIC_RELAXED);
}

static void threads_run_every_part_once(void)
{
	static const unsigned ns[] = { 0, 1, 2, 3, CS_MAX_THREADS, CS_MAX_THREADS + 1, 64 };
	for (size_t c = 0; c < sizeof(ns) / sizeof(ns[0]); c++) {
		struct parts_seen p = { { 0 } };
		unsigned at_once = cs_run_threads(ns[c], count_part, &p);
		CHECK(at_once <= ns[c] && at_once <= CS_MAX_THREADS && (ns[c] == 0) == (at_once == 0),
		      "n %u: %u ran at once", ns[c], at_once);
		for (unsigned k = 0; k < 64; k++)
			CHECK(p.runs[k] == (k < ns[c]), "n %u: part %u ran %u times", ns[c], k,
			      p.runs[k]);
	}
	static const uint32_t sizes[] = { 0, 1, 5, 1000, UINT32_MAX };
	for (size_t c = 0; c < sizeof(sizes) / sizeof(sizes[0]); c++)
		for (unsigned parts = 1; parts <= 17; parts++) {
			uint32_t n = sizes[c], prev = 0;
			CHECK(cs_share(n, 0, parts) == 0 && cs_share(n, parts, parts) == n,
			      "n %u in %u parts: ends", n, parts);
			for (unsigned k = 1; k <= parts; k++) {
				uint32_t at = cs_share(n, k, parts), len = at - cs_share(n, k - 1, parts);
				CHECK(at >= prev && len >= n / parts && len <= (uint64_t)n / parts + 1,
				      "n %u in %u parts: part %u has %u", n, parts, k - 1, len);
				prev = at;
			}
		}
}

int main(void)
{
	check_suite = "unit/common";
	RUN(strbuf_grows_and_formats);
	RUN(arena_aligns_and_survives);
	RUN(grow_refuses_overflow);
	RUN(big_arrays_refuse_overflow_and_keep_data);
	RUN(big_arrays_ask_for_huge_pages);
	RUN(rss_anon_follows_status);
	RUN(big_blocks_reuse_freed_pages);
	RUN(big_blocks_realloc_keeps_data);
	RUN(big_blocks_from_threads);
	RUN(big_blocks_past_the_table);
	RUN(errors_carry_address_and_context);
	RUN(warnings_dedupe_and_cap);
	RUN(sizes_format_in_iec_units);
	RUN(map64_matches_an_array);
	RUN(sort_u32_matches_qsort);
	RUN(sort_unique_u32_matches_qsort);
	RUN(threads_run_every_part_once);
	return 0;
}
