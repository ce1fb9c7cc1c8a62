/*
 * bigmem.c — the blocks behind cs_big_malloc, _calloc, _realloc and
 * _free: arrays sized by the dump, in whole 2 MiB pages that are kept and
 * handed out again instead of going back to the kernel.
 *
 * Why keep them.  An analysis goes through phases, each of which maps a
 * few arrays of one word per object and frees them: at 4 GiB of heap
 * (43 M objects) the arrays mapped in one `leaks` add up to 4.4 GiB, for
 * a peak of 1.8 GiB.  Each fresh page costs a page fault and the kernel's
 * zeroing of it, and on a virtual machine that reports free pages to its
 * host (virtio-balloon "free page reporting") the host must back the
 * page again too: 0.7 GB/s there, against 9 GB/s for pages already
 * backed and 10 GB/s to memset them.  So a freed block's pages stay
 * mapped ("idle") and the next block is made of them, moved into place
 * by mremap: no copy, and when the pieces are 2 MiB aligned the kernel
 * moves whole page-table entries.
 *
 * The peak stays what it was.  Idle pages are used up before any fresh
 * page is mapped, so the resident total only grows when nothing is idle,
 * that is, when it equals what the live blocks hold.  That holds for
 * blocks their callers touch whole.  One touched in part (a DFS stack
 * sized for the deepest possible search) would hold idle pages it never
 * uses, and once freed make idle ranges of pages that are not resident:
 * such a block comes from cs_big_malloc_sparse, is made of fresh pages
 * (not counted in the statistics: untouched, they cost nothing) and is
 * unmapped when freed.
 *
 * Blocks under CS_BIG_MIN, and any block when the table of live blocks
 * is full, come from malloc as before, and cs_big_free tells the two
 * apart.  Under AddressSanitizer idle pages and the slack past each
 * block's end are poisoned, so a stray access to them is reported as
 * one to freed memory or an overflow.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "cs.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define poison(a, n) ASAN_POISON_MEMORY_REGION((void *)(a), (n))
#define unpoison(a, n) ASAN_UNPOISON_MEMORY_REGION((void *)(a), (n))
#else
#define poison(a, n) ((void)(a), (void)(n))
#define unpoison(a, n) ((void)(a), (void)(n))
#endif

#define HUGE_PAGE ((size_t)2 << 20)
#define PAGE ((size_t)4096)
#define MAX_LIVE 512		/* blocks handed out at a time; more come from malloc */
#define MAX_IDLE 512		/* idle ranges kept; past that, unmapped */

/*
 * A block is mapped at a 2 MiB boundary: its whole 2 MiB pages (the
 * head, advised for huge pages) and then its last, partial one in 4 KiB
 * pages (the tail), so that a block resides no more than its caller
 * touches, as with malloc.  Idle ranges are heads only: whole advised
 * 2 MiB pages, which move by page-table entry; a tail is unmapped with
 * its block.
 */
struct block {
	uintptr_t addr;
	size_t head, len;	/* len: head and tail */
	bool sparse;		/* mostly untouched: unmapped when freed, so
				 * that idle pages are resident ones */
};

struct range {
	uintptr_t addr;
	size_t len;		/* a multiple of HUGE_PAGE */
};

static struct {
	pthread_mutex_t lock;
	struct block live[MAX_LIVE];
	struct range idle[MAX_IDLE];
	size_t nlive, nidle;
	struct cs_big_stats stats;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Fresh pages a dense block will touch: counted, and told to the memory
 * guard (which may end the process here, lock held or not). */
static void took_fresh(size_t bytes)
{
	pool.stats.fresh_bytes += bytes;
	cs_memguard_grow(bytes);
}

static size_t up(size_t x, size_t unit)
{
	return (x + unit - 1) & ~(unit - 1);
}

/* Advise the whole 2 MiB pages inside [p, p + bytes) of a block malloc
 * made.  Blocks this large are malloc's own mappings, or at least never
 * share their interior, so the advice touches nothing else; it is a hint,
 * and a kernel that refuses it costs nothing. */
static void *advise_huge(void *p, size_t bytes)
{
	if (p && bytes >= CS_BIG_MIN) {
		uintptr_t b = up((uintptr_t)p, HUGE_PAGE);
		uintptr_t e = ((uintptr_t)p + bytes) & ~(HUGE_PAGE - 1);
		if (e > b)
			(void)madvise((void *)b, e - b, MADV_HUGEPAGE);
	}
	return p;
}

/* Growable arrays are freed with free(), so they come from malloc; a
 * large one is advised all the same. */
bool cs_grow(void **data, size_t *cap, size_t want, size_t elsz)
{
	if (want <= *cap)
		return true;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2)
			return false;
		ncap *= 2;
	}
	if (elsz && ncap > SIZE_MAX / elsz)
		return false;
	size_t bytes = ncap * elsz;
	void *p = advise_huge(realloc(*data, bytes ? bytes : 1), bytes);
	if (!p)
		return false;
	*data = p;
	*cap = ncap;
	return true;
}

/* ------------------------------------------------------------------ */
/* Ranges (pool.lock held)                                             */
/* ------------------------------------------------------------------ */

/* Fresh pages for a block of len bytes (a multiple of PAGE) at a 2 MiB
 * boundary, the whole 2 MiB pages of it advised; 0 when out of memory. */
static uintptr_t map_fresh(size_t len)
{
	size_t span = len + HUGE_PAGE;
	void *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	uintptr_t b = (uintptr_t)p, a = up(b, HUGE_PAGE);
	if (a > b)
		munmap(p, a - b);
	munmap((void *)(a + len), b + span - (a + len));
	if (len >= HUGE_PAGE)
		(void)madvise((void *)a, len & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
	unpoison(a, len);
	return a;
}

/* [addr, addr + len), whole advised 2 MiB pages no block uses, is idle. */
static void make_idle(uintptr_t addr, size_t len)
{
	if (!len)
		return;
	if (pool.nidle == MAX_IDLE) {
		munmap((void *)addr, len);
		return;
	}
	poison(addr, len);
	pool.idle[pool.nidle++] = (struct range){ addr, len };
	pool.stats.idle_bytes += len;
}

/* Move idle pages into [at, at + len), whole 2 MiB pages of a block that
 * holds only fresh pages there, from its start on; zero them when zero.
 * The rest stays fresh. */
static size_t fill(uintptr_t at, size_t len, bool zero)
{
	size_t done = 0;
	while (done < len && pool.nidle) {
		struct range *r = &pool.idle[pool.nidle - 1];
		size_t take = CS_MIN(r->len, len - done);
		void *to = (void *)(at + done);
		if (mremap((void *)r->addr, take, take, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to)
			break;
		unpoison(r->addr, take);	/* (unmapped now) */
		unpoison(at + done, take);
		if (zero)
			memset(to, 0, take);
		r->addr += take;
		r->len -= take;
		pool.stats.idle_bytes -= take;
		pool.stats.reused_bytes += take;
		if (!r->len)
			pool.nidle--;
		done += take;
	}
	took_fresh(len - done);
	return done;
}

/* ------------------------------------------------------------------ */
/* Faulting in ahead (pool.lock held, except in the helper's madvise)  */
/* ------------------------------------------------------------------ */

/*
 * The fresh pages of a block its caller will write whole are faulted in
 * by a helper thread too (MADV_POPULATE_WRITE, Linux 5.14; it leaves the
 * contents alone, so the caller may write meanwhile), from the block's
 * end backwards while the caller most often writes from its start.  The
 * kernel's zeroing, and on a VM the host's backing of the page, then go
 * on in two threads: on the bench VM two threads fault 2 GiB at 1.35-1.4
 * GB/s against 0.5-0.7 for one.  The helper works in chunks of AHEAD_STEP;
 * before a block is moved or unmapped its range leaves the queue and the
 * chunk in hand, if it is the block's, is waited for.
 */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* (linux/mman.h; older headers lack it) */
#endif
#define AHEAD_MIN ((size_t)16 << 20)	/* fresh bytes worth a job */
#define AHEAD_STEP ((size_t)8 << 20)
#define AHEAD_JOBS 16

static struct {
	pthread_cond_t wake, done;
	struct range job[AHEAD_JOBS];	/* what is left of each, from its start */
	size_t njobs;
	struct range busy;		/* the chunk in hand; len 0 when none */
	bool started, broken;		/* broken: no helper, or no kernel support */
} ahead = { .wake = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER };

static void *ahead_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (!ahead.njobs)
			pthread_cond_wait(&ahead.wake, &pool.lock);
		struct range *j = &ahead.job[ahead.njobs - 1];	/* the newest */
		size_t step = CS_MIN(j->len, AHEAD_STEP);
		j->len -= step;
		struct range chunk = { j->addr + j->len, step };
		ahead.busy = chunk;
		if (!j->len)
			ahead.njobs--;
		pthread_mutex_unlock(&pool.lock);
		int r = madvise((void *)chunk.addr, chunk.len, MADV_POPULATE_WRITE);
		pthread_mutex_lock(&pool.lock);
		if (r && errno == EINVAL) {	/* a kernel without it */
			ahead.broken = true;
			ahead.njobs = 0;
		}
		ahead.busy.len = 0;
		pthread_cond_broadcast(&ahead.done);
	}
	return NULL;
}

/* Queue [addr, addr + len) to be faulted in. */
static void ahead_queue(uintptr_t addr, size_t len)
{
	if (len < AHEAD_MIN || ahead.broken || ahead.njobs == AHEAD_JOBS)
		return;
	if (!ahead.started) {
		pthread_attr_t attr;
		pthread_t t;
		ahead.started = !pthread_attr_init(&attr);
		if (ahead.started) {
			ahead.started = !pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) &&
					!pthread_create(&t, &attr, ahead_main, NULL);
			pthread_attr_destroy(&attr);
		}
		ahead.broken = !ahead.started;
		if (ahead.broken)
			return;
	}
	ahead.job[ahead.njobs++] = (struct range){ addr, len };
	pthread_cond_signal(&ahead.wake);
}

static bool overlap(struct range r, uintptr_t addr, size_t len)
{
	return r.len && r.addr < addr + len && addr < r.addr + r.len;
}

/* [addr, addr + len) is about to move or go: out of the queue, and out
 * of the helper's hands. */
static void ahead_cancel(uintptr_t addr, size_t len)
{
	for (size_t i = 0; i < ahead.njobs;)
		if (overlap(ahead.job[i], addr, len))
			ahead.job[i] = ahead.job[--ahead.njobs];	/* (order: newest last, mostly) */
		else
			i++;
	while (overlap(ahead.busy, addr, len))
		pthread_cond_wait(&ahead.done, &pool.lock);
}

/* The live block at p, or NULL: p is malloc's. */
static struct block *find_live(const void *p)
{
	if ((uintptr_t)p & (HUGE_PAGE - 1))
		return NULL;	/* blocks start at 2 MiB boundaries */
	for (size_t i = 0; i < pool.nlive; i++)
		if (pool.live[i].addr == (uintptr_t)p)
			return &pool.live[i];
	return NULL;
}

/* Poison what a block of bytes holds past them. */
static void mark_end(const struct block *b, size_t bytes)
{
	unpoison(b->addr, bytes);
	poison(b->addr + bytes, b->len - bytes);
}

/* How a block is made: of fresh pages only (for sparse use), or of idle
 * ones first, zeroed or not. */
enum make { FRESH, REUSED, REUSED_ZEROED };

static void *pool_alloc(size_t bytes, enum make make)
{
	size_t len = up(bytes, PAGE), head = len & ~(HUGE_PAGE - 1);
	void *p = NULL;
	pthread_mutex_lock(&pool.lock);
	uintptr_t a = pool.nlive < MAX_LIVE ? map_fresh(len) : 0;
	if (a) {
		if (make != FRESH) {
			size_t reused = fill(a, head, make == REUSED_ZEROED);
			took_fresh(len - head);
			ahead_queue(a + reused, head - reused);
		}
		struct block *b = &pool.live[pool.nlive++];
		*b = (struct block){ a, head, len, make == FRESH };
		mark_end(b, bytes);
		p = (void *)a;
	}
	pthread_mutex_unlock(&pool.lock);
	if (!p)		/* the table is full, or no mapping was to be had */
		p = advise_huge(make == REUSED ? malloc(bytes) : calloc(1, bytes), bytes);
	return p;
}

/* Resize block b to bytes, moving it when it grows; false when out of
 * memory (b is untouched then). */
static bool pool_resize(struct block *b, size_t bytes)
{
	size_t len = up(bytes ? bytes : 1, PAGE), head = len & ~(HUGE_PAGE - 1);
	ahead_cancel(b->addr, b->len);
	if (len <= b->len) {
		/* The whole 2 MiB pages past the one the new end is in
		 * become idle, and the tail goes; the block is then all
		 * head. */
		size_t keep = up(len, HUGE_PAGE);
		if (keep < b->head) {
			make_idle(b->addr + keep, b->head - keep);
			unpoison(b->addr + b->head, b->len - b->head);
			munmap((void *)(b->addr + b->head), b->len - b->head);
			b->head = b->len = keep;
		}
		return true;
	}
	/* Growing: the block moves to the start of a new mapping, by its
	 * pages, and the whole 2 MiB pages past it are made of idle ones. */
	uintptr_t a = map_fresh(len);
	if (!a)
		return false;
	if (mremap((void *)b->addr, b->len, b->len, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)a) != (void *)a) {
		munmap((void *)a, len);
		return false;
	}
	unpoison(b->addr, b->len);	/* (unmapped now) */
	unpoison(a, b->len);
	/* (the old tail, moved, lacks the advice) */
	(void)madvise((void *)a, head, MADV_HUGEPAGE);
	size_t from = up(b->len, HUGE_PAGE);
	if (from < head) {
		took_fresh((from - b->len) + (len - head));
		fill(a + from, head - from, false);
	} else {
		took_fresh(len - b->len);
	}
	b->addr = a;
	b->head = head;
	b->len = len;
	return true;
}

/* ------------------------------------------------------------------ */
/* The interface                                                       */
/* ------------------------------------------------------------------ */

static bool bytes_of(size_t n, size_t elsz, size_t *ret)
{
	if (elsz && n > (SIZE_MAX - HUGE_PAGE) / elsz)
		return false;	/* (so that rounding up cannot overflow either) */
	*ret = n * elsz;
	return true;
}

void *cs_big_malloc(size_t n, size_t elsz)
{
	size_t bytes;
	if (!bytes_of(n, elsz, &bytes))
		return NULL;
	return bytes >= CS_BIG_MIN ? pool_alloc(bytes, REUSED) : malloc(bytes ? bytes : 1);
}

void *cs_big_malloc_sparse(size_t n, size_t elsz)
{
	size_t bytes;
	if (!bytes_of(n, elsz, &bytes))
		return NULL;
	return bytes >= CS_BIG_MIN ? pool_alloc(bytes, FRESH) : malloc(bytes ? bytes : 1);
}

void *cs_big_calloc(size_t n, size_t elsz)
{
	size_t bytes;
	if (!bytes_of(n, elsz, &bytes))
		return NULL;
	return bytes >= CS_BIG_MIN ? pool_alloc(bytes, REUSED_ZEROED) : calloc(1, bytes ? bytes : 1);
}

void *cs_big_realloc(void *p, size_t n, size_t elsz)
{
	size_t bytes;
	if (!bytes_of(n, elsz, &bytes))
		return NULL;
	if (!p)
		return cs_big_malloc(n, elsz);
	pthread_mutex_lock(&pool.lock);
	struct block *b = find_live(p);
	void *ret = NULL;
	if (b && pool_resize(b, bytes)) {
		mark_end(b, bytes);
		ret = (void *)b->addr;
	}
	pthread_mutex_unlock(&pool.lock);
	if (b || bytes < CS_BIG_MIN)
		return b ? ret : realloc(p, bytes ? bytes : 1);
	/* from malloc into the pool */
	size_t had = malloc_usable_size(p);
	void *q = pool_alloc(bytes, REUSED);
	if (q) {
		memcpy(q, p, CS_MIN(had, bytes));
		free(p);
	}
	return q;
}

void cs_big_free(void *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&pool.lock);
	struct block *b = find_live(p);
	if (b) {
		struct block x = *b;
		*b = pool.live[--pool.nlive];
		ahead_cancel(x.addr, x.len);
		size_t keep = x.sparse ? 0 : x.head;
		make_idle(x.addr, keep);
		unpoison(x.addr + keep, x.len - keep);
		munmap((void *)(x.addr + keep), x.len - keep);
	}
	pthread_mutex_unlock(&pool.lock);
	if (!b)
		free(p);
}

void cs_big_trim(void)
{
	pthread_mutex_lock(&pool.lock);
	for (size_t i = 0; i < pool.nidle; i++) {
		unpoison(pool.idle[i].addr, pool.idle[i].len);
		munmap((void *)pool.idle[i].addr, pool.idle[i].len);
	}
	pool.nidle = 0;
	pool.stats.idle_bytes = 0;
	pthread_mutex_unlock(&pool.lock);
}

struct cs_big_stats cs_big_stats(void)
{
	pthread_mutex_lock(&pool.lock);
	struct cs_big_stats s = pool.stats;
	pthread_mutex_unlock(&pool.lock);
	return s;
}
