/*
 * util.c — arena, hash map, sorts, string builder, size formatting,
 * threads.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cs.h"

/* ------------------------------------------------------------------ */
/* Arena                                                               */
/* ------------------------------------------------------------------ */

struct cs_arena_chunk {
	struct cs_arena_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

#define ARENA_CHUNK_MIN (64 * 1024)

void cs_arena_init(struct cs_arena *a)
{
	a->head = NULL;
	a->used_total = 0;
}

void cs_arena_deinit(struct cs_arena *a)
{
	struct cs_arena_chunk *c = a->head;
	while (c) {
		struct cs_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->used_total = 0;
}

void *cs_arena_alloc(struct cs_arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (size == 0)
		size = 16;
	struct cs_arena_chunk *c = a->head;
	if (!c || c->size - c->used < size) {
		size_t csize = size > ARENA_CHUNK_MIN ? size : ARENA_CHUNK_MIN;
		if (csize > SIZE_MAX - sizeof(*c))
			return NULL;
		c = malloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		c->size = csize;
		c->used = 0;
		/* A big one-off allocation goes behind the current chunk so
		 * the current chunk's free space stays usable. */
		if (a->head && csize == size) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = c->data + c->used;
	c->used += size;
	a->used_total += size;
	return p;
}

char *cs_arena_strndup(struct cs_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *p = cs_arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *cs_arena_printf(struct cs_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = cs_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* ------------------------------------------------------------------ */
/* Hash map                                                            */
/* ------------------------------------------------------------------ */

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

void cs_sort_u32(uint32_t *a, size_t n, uint32_t *tmp)
{
	if (n < 256) {
		cs_sort(a, n, sizeof(*a), u32_cmp);
		return;
	}
	uint32_t *src = a, *dst = tmp;
	for (unsigned shift = 0; shift < 32; shift += 11) {
		size_t count[2048] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[(src[i] >> shift) & 2047]++;
		size_t sum = 0;
		for (size_t d = 0; d < 2048; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 2047]++] = src[i];
		uint32_t *x = src;
		src = dst;
		dst = x;
	}
	/* three passes, an odd number: the result is in tmp */
	memcpy(a, src, n * sizeof(*a));
}

size_t cs_sort_unique_u32(uint32_t *a, size_t n, uint64_t *bits, uint32_t *tmp)
{
	if (n == 0)
		return 0;
	uint32_t lo = UINT32_MAX, hi = 0;
	for (size_t i = 0; i < n; i++) {
		lo = a[i] < lo ? a[i] : lo;
		hi = a[i] > hi ? a[i] : hi;
	}
	size_t k = 0;
	if (n < 256 || (uint64_t)(hi / 64 - lo / 64) >= 4 * (uint64_t)n) {
		cs_sort_u32(a, n, tmp);
		for (size_t i = 0; i < n; i++)
			if (k == 0 || a[i] != a[k - 1])
				a[k++] = a[i];
		return k;
	}
	for (size_t i = 0; i < n; i++)
		bits[a[i] / 64] |= 1ull << (a[i] % 64);
	for (size_t w = lo / 64; w <= hi / 64; w++) {
		uint64_t b = bits[w];
		bits[w] = 0;
		for (; b; b &= b - 1)
			a[k++] = (uint32_t)(w * 64 + (unsigned)__builtin_ctzll(b));
	}
	return k;
}

void cs_map64_init(struct cs_map64 *m)
{
	memset(m, 0, sizeof(*m));
}

void cs_map64_deinit(struct cs_map64 *m)
{
	cs_big_free(m->keys);
	cs_big_free(m->vals);
	memset(m, 0, sizeof(*m));
}

uint32_t cs_map64_get(const struct cs_map64 *m, uint64_t key)
{
	if (!m->cap)
		return CS_MAP64_NONE;
	size_t mask = m->cap - 1;
	for (size_t i = cs_hash64(key) & mask;; i = (i + 1) & mask) {
		if (m->vals[i] == CS_MAP64_NONE)
			return CS_MAP64_NONE;
		if (m->keys[i] == key)
			return m->vals[i];
	}
}

/* Insert into a table known to have room. */
static void map64_place(uint64_t *keys, uint32_t *vals, size_t cap, uint64_t key,
			uint32_t val, size_t *n)
{
	size_t mask = cap - 1;
	size_t i = cs_hash64(key) & mask;
	while (vals[i] != CS_MAP64_NONE && keys[i] != key)
		i = (i + 1) & mask;
	if (vals[i] == CS_MAP64_NONE)
		(*n)++;
	keys[i] = key;
	vals[i] = val;
}

bool cs_map64_put(struct cs_map64 *m, uint64_t key, uint32_t val)
{
	/* keep the load under 1/2 so probes stay short */
	if ((m->n + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		if (ncap > SIZE_MAX / sizeof(uint64_t))
			return false;
		uint64_t *keys = cs_big_malloc(ncap, sizeof(*keys));
		uint32_t *vals = cs_big_malloc(ncap, sizeof(*vals));
		if (!keys || !vals) {
			cs_big_free(keys);
			cs_big_free(vals);
			return false;
		}
		memset(vals, 0xff, ncap * sizeof(*vals));
		size_t n = 0;
		for (size_t i = 0; i < m->cap; i++)
			if (m->vals[i] != CS_MAP64_NONE)
				map64_place(keys, vals, ncap, m->keys[i], m->vals[i], &n);
		cs_big_free(m->keys);
		cs_big_free(m->vals);
		m->keys = keys;
		m->vals = vals;
		m->cap = ncap;
		m->n = n;
	}
	map64_place(m->keys, m->vals, m->cap, key, val, &m->n);
	return true;
}

uint64_t cs_hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return cs_hash64(h);
}

/* ------------------------------------------------------------------ */
/* String builder                                                      */
/* ------------------------------------------------------------------ */

void cs_strbuf_init(struct cs_strbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void cs_strbuf_deinit(struct cs_strbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

void cs_strbuf_reset(struct cs_strbuf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->s)
		b->s[0] = '\0';
}

static bool strbuf_reserve(struct cs_strbuf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (extra >= SIZE_MAX - b->len ||
	    !cs_grow((void **)&b->s, &b->cap, b->len + extra + 1, 1)) {
		b->failed = true;
		return false;
	}
	return true;
}

void cs_strbuf_add(struct cs_strbuf *b, const char *s, size_t n)
{
	if (!strbuf_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void cs_strbuf_puts(struct cs_strbuf *b, const char *s)
{
	cs_strbuf_add(b, s, strlen(s));
}

void cs_strbuf_putc(struct cs_strbuf *b, char c)
{
	cs_strbuf_add(b, &c, 1);
}

void cs_strbuf_vprintf(struct cs_strbuf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !strbuf_reserve(b, (size_t)n))
		return;
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void cs_strbuf_printf(struct cs_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cs_strbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *cs_strbuf_steal(struct cs_strbuf *b)
{
	char *s = b->s;
	if (!s)
		s = strdup("");
	memset(b, 0, sizeof(*b));
	return s;
}

/* ------------------------------------------------------------------ */
/* Formatting                                                          */
/* ------------------------------------------------------------------ */

const char *cs_fmt_size(uint64_t bytes, char buf[32])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	if (bytes < 1024) {
		snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	double v = (double)bytes / 1024.0;
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < CS_ARRAY_SIZE(units)) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, 32, "%.1f %s", v, units[u]);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

struct thread_arg {
	void (*fn)(void *arg, unsigned k);
	void *arg;
	unsigned k;
};

static void *thread_main(void *p)
{
	struct thread_arg *t = p;
	t->fn(t->arg, t->k);
	return NULL;
}

unsigned cs_run_threads(unsigned n, void (*fn)(void *arg, unsigned k), void *arg)
{
	pthread_t tid[CS_MAX_THREADS];
	struct thread_arg ta[CS_MAX_THREADS];
	unsigned started = 1;
	for (unsigned k = 1; k < n && k < CS_MAX_THREADS; k++, started++) {
		ta[k] = (struct thread_arg){ fn, arg, k };
		if (pthread_create(&tid[k], NULL, thread_main, &ta[k]) != 0)
			break;
	}
	if (n)
		fn(arg, 0);
	for (unsigned k = 1; k < started; k++)
		pthread_join(tid[k], NULL);
	for (unsigned k = started; k < n; k++)
		fn(arg, k);
	return n ? started : 0;
}
