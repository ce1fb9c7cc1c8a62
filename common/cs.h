/*
 * cs.h — the project-wide basics every corescope layer shares: the error
 * type, the warning collector, a bump arena, growable arrays and a string
 * builder.  Prefix: cs_.
 *
 * Conventions (see ../shared/design/style.md):
 *  - Fallible functions return struct cs_error *; NULL means success.
 *  - Out parameters come last and are written only on success.
 *  - Library code never prints and never exits.
 */
#ifndef CORESCOPE_CS_H
#define CORESCOPE_CS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CS_PUBLIC __attribute__((visibility("default")))
#define CS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CS_MUST_CHECK __attribute__((warn_unused_result))

#define CS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CS_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

enum cs_error_code {
	CS_ERR_NOMEM = 1,	/* out of memory */
	CS_ERR_FAULT,		/* core memory could not be read; addr is set */
	CS_ERR_BAD_DATA,	/* a structure failed a sanity check */
	CS_ERR_UNSUPPORTED,	/* a format or Go release we do not read */
	CS_ERR_OS,		/* a system call failed; errnum and path set */
	CS_ERR_MISMATCH,	/* the executable does not belong to the core */
	CS_ERR_NOT_FOUND,	/* a looked-up thing does not exist */
};

/* Why a CS_ERR_FAULT happened. */
enum cs_fault {
	CS_FAULT_NONE = 0,
	CS_FAULT_UNMAPPED,	/* no mapping covers the address */
	CS_FAULT_NOT_SAVED,	/* mapped, but the dump left the bytes out */
	CS_FAULT_TRUNCATED,	/* the dump was cut before these bytes */
};

struct cs_error {
	enum cs_error_code code;
	enum cs_fault fault;	/* CS_ERR_FAULT only */
	bool has_addr;
	uint64_t addr;
	int errnum;		/* CS_ERR_OS only */
	char *message;		/* complete, one line, no trailing newline */
};

/* The static out-of-memory error: reporting OOM never allocates. */
CS_PUBLIC extern struct cs_error cs_error_nomem;

/* Create an error.  Never returns NULL (returns &cs_error_nomem when the
 * message cannot be allocated). */
CS_PUBLIC struct cs_error *cs_error_create(enum cs_error_code code,
					   const char *fmt, ...) CS_PRINTF(2, 3);
CS_PUBLIC struct cs_error *cs_error_vcreate(enum cs_error_code code,
					    const char *fmt, va_list ap);
/* A CS_ERR_FAULT at addr for the given reason; the message is formatted
 * from fmt and gets the address and reason appended by the caller's text. */
CS_PUBLIC struct cs_error *cs_error_fault(uint64_t addr, enum cs_fault why,
					  const char *fmt, ...) CS_PRINTF(3, 4);
/* A CS_ERR_OS with errno's text appended: "<msg>: <strerror>". */
CS_PUBLIC struct cs_error *cs_error_os(int errnum, const char *fmt, ...)
	CS_PRINTF(2, 3);
/* Prefix an existing error's message with context ("reading g 0x…: ").
 * Consumes err and returns it (or a replacement). */
CS_PUBLIC struct cs_error *cs_error_wrap(struct cs_error *err,
					 const char *fmt, ...) CS_PRINTF(2, 3);
/* Free an error; NULL and &cs_error_nomem are accepted. */
CS_PUBLIC void cs_error_destroy(struct cs_error *err);
CS_PUBLIC const char *cs_fault_name(enum cs_fault why);

static inline void cs_error_freep(struct cs_error **p) { cs_error_destroy(*p); }
#define _cleanup_error_ __attribute__((cleanup(cs_error_freep)))
static inline void cs_freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ __attribute__((cleanup(cs_freep)))

/* ------------------------------------------------------------------ */
/* Warnings: partial data is reported here, never printed by libraries */
/* ------------------------------------------------------------------ */

struct cs_warnings {
	char **msgs;
	size_t n, cap;
	size_t dropped;		/* warnings beyond the keep limit */
	size_t limit;		/* keep at most this many (default 200) */
	bool partial;		/* some data could not be read */
};

CS_PUBLIC void cs_warnings_init(struct cs_warnings *w);
CS_PUBLIC void cs_warnings_deinit(struct cs_warnings *w);
/* Record a warning; partial marks the result as incomplete (exit 3). */
CS_PUBLIC void cs_warn(struct cs_warnings *w, bool partial, const char *fmt, ...)
	CS_PRINTF(3, 4);
/* Record err's message as a warning and destroy err. */
CS_PUBLIC void cs_warn_error(struct cs_warnings *w, bool partial,
			     struct cs_error *err, const char *context);

/* ------------------------------------------------------------------ */
/* Arena: bump allocation for parse-time data owned by one handle       */
/* ------------------------------------------------------------------ */

struct cs_arena_chunk;
struct cs_arena {
	struct cs_arena_chunk *head;
	size_t used_total;
};

CS_PUBLIC void cs_arena_init(struct cs_arena *a);
CS_PUBLIC void cs_arena_deinit(struct cs_arena *a);
/* Returns 16-byte aligned memory valid until cs_arena_deinit, or NULL. */
CS_PUBLIC void *cs_arena_alloc(struct cs_arena *a, size_t size);
CS_PUBLIC char *cs_arena_strndup(struct cs_arena *a, const char *s, size_t n);
CS_PUBLIC char *cs_arena_printf(struct cs_arena *a, const char *fmt, ...)
	CS_PRINTF(2, 3);

/* ------------------------------------------------------------------ */
/* Growable arrays                                                     */
/* ------------------------------------------------------------------ */

/*
 * Arrays sized by the dump (one entry per object, per edge, per span):
 * malloc, calloc and realloc of n elements of elsz bytes, NULL when n *
 * elsz overflows or memory runs out, released with cs_big_free() and
 * never with free().  Safe to call from any thread.
 *
 * A block of CS_BIG_MIN bytes or more is made of whole 2 MiB pages,
 * advised for transparent huge pages: the passes over such arrays are
 * random access over gigabytes, and with 2 MiB pages they take one page
 * fault and one TLB entry per 2 MiB instead of per 4 KiB (4 GiB bench
 * core, `leaks`: 28.1 s -> 17.8 s, same peak RSS).  When such a block is
 * freed its pages are kept, and later blocks are made of them before any
 * fresh page is mapped, and the fresh pages of a block that is not
 * sparse are faulted in by a helper thread as well as by the caller
 * (common/bigmem.c says why, and why the peak stays the same).  Smaller
 * blocks come from malloc.
 */
#define CS_BIG_MIN ((size_t)4 << 20)
CS_PUBLIC void *cs_big_malloc(size_t n, size_t elsz);
CS_PUBLIC void *cs_big_calloc(size_t n, size_t elsz);
CS_PUBLIC void *cs_big_realloc(void *p, size_t n, size_t elsz);
/* Like cs_big_malloc, for a block most of whose pages may never be
 * touched (a stack sized for the deepest search): it is made of fresh
 * pages, which take no memory until used, and they are not kept. */
CS_PUBLIC void *cs_big_malloc_sparse(size_t n, size_t elsz);
/* Release a block of the four above; NULL is a no-op. */
CS_PUBLIC void cs_big_free(void *p);
/* Give the kept pages back to the kernel. */
CS_PUBLIC void cs_big_trim(void);

/* Bytes of pages: mapped fresh (sparse blocks not counted), made of
 * kept ones, and kept now. */
struct cs_big_stats {
	size_t fresh_bytes, reused_bytes, idle_bytes;
};
CS_PUBLIC struct cs_big_stats cs_big_stats(void);

/* The memory guard (memguard.c): from cs_memguard_start on, the process
 * stops with one line on stderr and exit status 2 when the machine, its
 * memory cgroup or max_own bytes of corescope's own (0: no such limit)
 * are about to run out, instead of being killed by the OOM killer.  file
 * names the input in that line.  cs_memguard_phase names what is being
 * done (a string that lives as long as the process), checks at once when
 * it changes, and returns the phase it replaces; cs_memguard_check checks
 * now; cs_memguard_grow says that bytes of fresh memory are about to be
 * touched, and checks as if they were when they add up.  The checks do
 * nothing before the start. */
CS_PUBLIC void cs_memguard_start(const char *file, uint64_t max_own);
CS_PUBLIC const char *cs_memguard_phase(const char *phase);
CS_PUBLIC void cs_memguard_check(void);
CS_PUBLIC void cs_memguard_grow(uint64_t bytes);

/* This process's resident anonymous memory in bytes (RssAnon: what it
 * allocated, not the mapped core), or 0 if unknown. */
CS_PUBLIC uint64_t cs_rss_anon(void);

/* Grow *data (element size elsz) so that it holds at least want elements.
 * Returns false on overflow or allocation failure (*data is unchanged). */
CS_PUBLIC bool cs_grow(void **data, size_t *cap, size_t want, size_t elsz);

/* Append one element to a (data, n, cap) triple; evaluates to false on
 * allocation failure. */
#define CS_PUSH(data, n, cap, value)                                         \
	(((n) < (cap) || cs_grow((void **)&(data), &(cap), (n) + 1,          \
				 sizeof(*(data)))) &&                        \
	 ((data)[(n)++] = (value), true))

/* Set bits in x.  Portable code, not __builtin_popcountll: without
 * -mpopcnt that is a libgcc call, slower than these few instructions. */
static inline unsigned cs_popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* Binary search in an array sorted by a uint64_t key (at byte offset off
 * of each elsz-byte element): how many leading elements have a key below
 * x, or, when inclusive, at most x. */
static inline size_t cs_bsearch_u64(const void *base, size_t n, size_t elsz, size_t off,
				    uint64_t x, bool inclusive)
{
	const char *b = base;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;
		memcpy(&k, b + mid * elsz + off, sizeof(k));
		if (k < x || (inclusive && k == x))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
#define CS_COUNT_BELOW(a, n, field, x)                                        \
	cs_bsearch_u64((a), (n), sizeof(*(a)), offsetof(__typeof__(*(a)), field), (x), false)
#define CS_COUNT_AT_MOST(a, n, field, x)                                      \
	cs_bsearch_u64((a), (n), sizeof(*(a)), offsetof(__typeof__(*(a)), field), (x), true)

/* qsort that accepts an empty (possibly NULL) array: qsort(NULL, 0, …)
 * is undefined behaviour. */
static inline void cs_sort(void *base, size_t n, size_t size,
			   int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* Sort n 32-bit values ascending, in place; tmp holds n values.  Radix
 * sort (three passes of 11 bits): linear time for the frontier and index
 * arrays of whole heaps. */
void cs_sort_u32(uint32_t *a, size_t n, uint32_t *tmp);

/* Sort n 32-bit values ascending and drop repeats, in place; returns how
 * many are left.  bits: a bitmap over every value in a, all zero, and
 * left so.  When the values are dense (at least 256 of them, and their
 * range at most 256 bits per value), each sets its bit and one sweep over
 * the range reads them back in order: one random write per value where
 * the radix sort makes three, into 1/32 of the memory.  Otherwise they go
 * to cs_sort_u32, whose tmp holds n values: only then is tmp written. */
size_t cs_sort_unique_u32(uint32_t *a, size_t n, uint64_t *bits, uint32_t *tmp);

/* ------------------------------------------------------------------ */
/* Hash map from 64-bit keys to 32-bit values                          */
/* ------------------------------------------------------------------ */

/* Open addressing, no deletion.  Values must not be CS_MAP64_NONE. */
#define CS_MAP64_NONE UINT32_MAX
struct cs_map64 {
	uint64_t *keys;
	uint32_t *vals;		/* CS_MAP64_NONE marks an empty slot */
	size_t cap, n;		/* cap is 0 or a power of two */
};

CS_PUBLIC void cs_map64_init(struct cs_map64 *m);
CS_PUBLIC void cs_map64_deinit(struct cs_map64 *m);
/* The value stored under key, or CS_MAP64_NONE. */
CS_PUBLIC uint32_t cs_map64_get(const struct cs_map64 *m, uint64_t key);
/* Store (or replace) key -> val; false when memory runs out. */
CS_PUBLIC bool cs_map64_put(struct cs_map64 *m, uint64_t key, uint32_t val)
	CS_MUST_CHECK;
/* A good 64-bit mix for keys that are not random (splitmix64 finalizer). */
static inline uint64_t cs_hash64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}
/* FNV-1a over bytes, then mixed. */
CS_PUBLIC uint64_t cs_hash_bytes(const void *p, size_t n);

/* ------------------------------------------------------------------ */
/* String builder                                                      */
/* ------------------------------------------------------------------ */

struct cs_strbuf {
	char *s;		/* always NUL-terminated once anything is added */
	size_t len, cap;
	bool failed;		/* an allocation failed; contents truncated */
};

CS_PUBLIC void cs_strbuf_init(struct cs_strbuf *b);
CS_PUBLIC void cs_strbuf_deinit(struct cs_strbuf *b);
CS_PUBLIC void cs_strbuf_reset(struct cs_strbuf *b);
CS_PUBLIC void cs_strbuf_add(struct cs_strbuf *b, const char *s, size_t n);
CS_PUBLIC void cs_strbuf_puts(struct cs_strbuf *b, const char *s);
CS_PUBLIC void cs_strbuf_putc(struct cs_strbuf *b, char c);
CS_PUBLIC void cs_strbuf_printf(struct cs_strbuf *b, const char *fmt, ...)
	CS_PRINTF(2, 3);
CS_PUBLIC void cs_strbuf_vprintf(struct cs_strbuf *b, const char *fmt, va_list ap);
/* Detach the string (caller frees); the builder is reset. */
CS_PUBLIC char *cs_strbuf_steal(struct cs_strbuf *b);

/* ------------------------------------------------------------------ */
/* Progress: long work reports through a callback (tools draws it)     */
/* ------------------------------------------------------------------ */

struct cs_progress {
	/* phase: a short label ("scanning spans"); total 0 if unknown. */
	void (*fn)(void *arg, const char *phase, uint64_t done, uint64_t total);
	void *arg;
};

static inline void cs_progress_report(const struct cs_progress *p,
				      const char *phase, uint64_t done,
				      uint64_t total)
{
	if (p && p->fn)
		p->fn(p->arg, phase, done, total);
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

/* a + b with overflow detection. */
static inline bool cs_add_overflow(uint64_t a, uint64_t b, uint64_t *ret)
{
	return __builtin_add_overflow(a, b, ret);
}

/* Format a byte count in IEC units ("1.0 MiB"); buf needs 32 bytes. */
CS_PUBLIC const char *cs_fmt_size(uint64_t bytes, char buf[32]);

/* Run fn(arg, k) for every k in 0 .. n-1, in threads at once: k = 0 in
 * the calling thread, 1 .. in threads started for it.  A part whose
 * thread cannot start (or beyond CS_MAX_THREADS) runs afterwards in the
 * calling thread, so every part runs exactly once, whatever the
 * system allows.  Returns when all are done, with the number of parts
 * that ran at once. */
#define CS_MAX_THREADS 16
CS_PUBLIC unsigned cs_run_threads(unsigned n, void (*fn)(void *arg, unsigned k), void *arg);

/* The first of n items in part k of parts equal shares (k = parts gives
 * n): part k is [cs_share(n, k, parts), cs_share(n, k + 1, parts)). */
static inline uint32_t cs_share(uint32_t n, unsigned k, unsigned parts)
{
	return (uint32_t)((uint64_t)n * k / parts);
}

#endif /* CORESCOPE_CS_H */
