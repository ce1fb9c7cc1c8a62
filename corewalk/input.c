/*
 * input.c — get the bytes of a core into memory without copying what can
 * be mapped and without materializing zero pages.
 *
 *  - A plain regular file is mmap'ed read-only; the page cache holds it.
 *  - A zstd file or stream, and any non-seekable plain stream, goes into a
 *    "sparse" anonymous mapping: only non-zero 4 KiB pieces are copied in,
 *    so the gigabyte of reserved-but-untouched arenas a gcore carries stays
 *    a hole and costs no memory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define SPARSE_PIECE 4096u

/* ------------------------------------------------------------------ */
/* Sparse anonymous mapping                                            */
/* ------------------------------------------------------------------ */

static size_t page_round(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

struct cs_error *cw_sparse_init(struct cw_sparse *s, size_t initial)
{
	memset(s, 0, sizeof(*s));
	size_t cap = page_round(initial ? initial : 64u << 20);
	/* MAP_NORESERVE: the reservation may be far larger than what is ever
	 * touched; only written pages count. */
	void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return cs_error_os(errno, "reserving %zu bytes of address space",
				   cap);
#ifdef MADV_HUGEPAGE
	/* Transparent huge pages: a compressed core's gigabytes are written
	 * here once, and with 4 KiB pages the page faults cost more than the
	 * decompression (opening the 4 GiB bench core's core.zst: 20.5-28.1 s
	 * -> 8.8-11.8 s, for 30 MiB more at the peak; docs/performance.md).
	 * A hole stays a hole unless something is written within 2 MiB of
	 * it; the advice follows the mapping through mremap. */
	(void)madvise(p, cap, MADV_HUGEPAGE);
#endif
	s->base = p;
	s->cap = cap;
	return NULL;
}

static struct cs_error *sparse_reserve(struct cw_sparse *s, size_t want)
{
	if (want <= s->cap)
		return NULL;
	size_t ncap = s->cap;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2)
			return cs_error_create(CS_ERR_NOMEM,
					       "input larger than the address space");
		ncap *= 2;
	}
	/* mremap moves page tables, not pages: holes stay holes. */
	void *p = mremap(s->base, s->cap, ncap, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return cs_error_os(errno, "growing the input mapping to %zu bytes",
				   ncap);
	s->base = p;
	s->cap = ncap;
	return NULL;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	/* 64 bytes at a time, OR-reduced without a branch per word so that
	 * the compiler uses vector registers (this test sees every byte of a
	 * compressed core); the tail byte-wise.  memcpy keeps it
	 * alignment-safe. */
	size_t i = 0;
	for (; i + 64 <= n; i += 64) {
		uint64_t w[8], acc = 0;
		memcpy(w, p + i, sizeof(w));
		for (int k = 0; k < 8; k++)
			acc |= w[k];
		if (acc)
			return false;
	}
	for (; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Copy the non-zero pieces of src[0..n) to base + at; the bytes copied. */
static uint64_t sparse_copy(uint8_t *base, size_t at, const uint8_t *src, size_t n)
{
	uint64_t copied = 0;
	while (n) {
		/* Cut at destination piece boundaries so every piece maps to
		 * one page; the destination is zero-filled, so skipping an
		 * all-zero piece is exact. */
		size_t room = SPARSE_PIECE - (at % SPARSE_PIECE);
		size_t k = n < room ? n : room;
		if (!all_zero(src, k)) {
			memcpy(base + at, src, k);
			copied += k;
		}
		at += k;
		src += k;
		n -= k;
	}
	return copied;
}

/* Room for n more bytes: where they go. */
static struct cs_error *sparse_append(struct cw_sparse *s, size_t n, size_t *at)
{
	if (n > SIZE_MAX - s->len)
		return cs_error_create(CS_ERR_NOMEM, "input too large");
	struct cs_error *err = sparse_reserve(s, s->len + n);
	if (err)
		return err;
	*at = s->len;
	s->len += n;
	return NULL;
}

struct cs_error *cw_sparse_write(struct cw_sparse *s, const void *buf, size_t n)
{
	size_t at = 0;
	struct cs_error *err = sparse_append(s, n, &at);
	if (!err) {
		cs_memguard_grow(n);
		s->resident += sparse_copy(s->base, at, buf, n);
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* Writing in threads                                                  */
/* ------------------------------------------------------------------ */

/*
 * The pages a decompressed core lands in are fresh: each costs a fault
 * and the kernel's zeroing, and on a VM whose kernel reports free pages
 * to the host, the host's backing too.  On the bench VM, writing the
 * 4 GiB core's 4.8 GB of non-zero pages took 2.6 s of system time warm
 * and 11 s cold, for 2.2 s of decompression.  So the decompressor fills
 * buffers and two threads copy them in, each its own buffer: the
 * faults overlap the decompression and each other (two threads fault
 * 2 GiB at 1.35-1.4 GB/s on that VM, one at 0.5-0.7).  The mapping only
 * grows (mremap may move it) when no copy is in flight.
 */
enum { FEED_COPIERS = 2 };

struct feed_buf {
	uint8_t *p;
	size_t n, at;
	enum { FB_FREE, FB_FILLING, FB_FULL, FB_COPYING } state;
};

struct cw_sparse_feed {
	struct cw_sparse *s;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct feed_buf buf[CW_FEED_BUFS];
	unsigned copying, ncopiers;
	uint64_t resident;	/* copied by the threads */
	bool stop;
	pthread_t copier[FEED_COPIERS];
};

static void *feed_copier(void *arg)
{
	struct cw_sparse_feed *f = arg;
	pthread_mutex_lock(&f->lock);
	for (;;) {
		struct feed_buf *b = NULL;
		for (unsigned i = 0; !b && i < CW_FEED_BUFS; i++)
			if (f->buf[i].state == FB_FULL)
				b = &f->buf[i];
		if (!b) {
			if (f->stop)
				break;
			pthread_cond_wait(&f->changed, &f->lock);
			continue;
		}
		b->state = FB_COPYING;
		f->copying++;
		uint8_t *base = f->s->base;
		pthread_mutex_unlock(&f->lock);
		cs_memguard_grow(b->n);	/* at most: zero pages stay holes */
		uint64_t copied = sparse_copy(base, b->at, b->p, b->n);
		pthread_mutex_lock(&f->lock);
		f->resident += copied;
		f->copying--;
		b->state = FB_FREE;
		pthread_cond_broadcast(&f->changed);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

struct cs_error *cw_sparse_feed_start(struct cw_sparse *s, size_t bufsize,
				      struct cw_sparse_feed **ret)
{
	struct cw_sparse_feed *f = calloc(1, sizeof(*f));
	if (!f)
		return &cs_error_nomem;
	f->s = s;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->changed, NULL);
	for (unsigned i = 0; i < CW_FEED_BUFS; i++) {
		f->buf[i].p = malloc(bufsize);
		if (!f->buf[i].p) {
			cw_sparse_feed_end(f, NULL);
			return &cs_error_nomem;
		}
	}
	/* Without threads the buffers are copied in by the caller. */
	while (f->ncopiers < FEED_COPIERS &&
	       !pthread_create(&f->copier[f->ncopiers], NULL, feed_copier, f))
		f->ncopiers++;
	*ret = f;
	return NULL;
}

uint8_t *cw_sparse_feed_buffer(struct cw_sparse_feed *f)
{
	pthread_mutex_lock(&f->lock);
	for (;;) {
		for (unsigned i = 0; i < CW_FEED_BUFS; i++)
			if (f->buf[i].state == FB_FREE) {
				f->buf[i].state = FB_FILLING;
				pthread_mutex_unlock(&f->lock);
				return f->buf[i].p;
			}
		pthread_cond_wait(&f->changed, &f->lock);
	}
}

struct cs_error *cw_sparse_feed_submit(struct cw_sparse_feed *f, uint8_t *p, size_t n)
{
	struct feed_buf *b = NULL;
	for (unsigned i = 0; i < CW_FEED_BUFS; i++)
		if (f->buf[i].p == p)
			b = &f->buf[i];
	if (!b)
		return NULL;
	pthread_mutex_lock(&f->lock);
	struct cw_sparse *s = f->s;
	size_t at = 0;
	struct cs_error *err = NULL;
	if (!n)
		goto done;
	if (s->len + n > s->cap) {
		/* growing may move the mapping: no copy may be in flight */
		for (;;) {
			bool busy = f->copying;
			for (unsigned i = 0; i < CW_FEED_BUFS; i++)
				busy |= f->buf[i].state == FB_FULL;
			if (!busy)
				break;
			pthread_cond_wait(&f->changed, &f->lock);
		}
	}
	err = sparse_append(s, n, &at);
	if (!err && f->ncopiers) {
		*b = (struct feed_buf){ p, n, at, FB_FULL };
		pthread_cond_broadcast(&f->changed);
		pthread_mutex_unlock(&f->lock);
		return NULL;
	}
done:
	b->state = FB_FREE;
	pthread_mutex_unlock(&f->lock);
	if (!err && n) {
		cs_memguard_grow(n);
		s->resident += sparse_copy(s->base, at, p, n);	/* no threads */
	}
	return err;
}

void cw_sparse_feed_end(struct cw_sparse_feed *f, struct cw_sparse *s)
{
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
	for (unsigned i = 0; i < f->ncopiers; i++)
		pthread_join(f->copier[i], NULL);
	if (s)
		s->resident += f->resident;
	for (unsigned i = 0; i < CW_FEED_BUFS; i++)
		free(f->buf[i].p);
	pthread_cond_destroy(&f->changed);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void cw_sparse_deinit(struct cw_sparse *s)
{
	if (s->base)
		munmap(s->base, s->cap);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

struct fd_reader {
	int fd;
	uint64_t consumed;
};

static long fd_read(void *arg, void *buf, size_t n)
{
	struct fd_reader *r = arg;
	for (;;) {
		ssize_t k = read(r->fd, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k > 0)
			r->consumed += (uint64_t)k;
		return (long)k;
	}
}

/* Read up to n bytes, retrying short reads; returns bytes read or -1. */
static long read_full(struct fd_reader *r, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		long k = fd_read(r, buf + got, n - got);
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (long)got;
}

static struct cs_error *load_stream_plain(struct fd_reader *r,
					  const uint8_t *prefix, size_t plen,
					  const char *path, struct cw_input *in)
{
	struct cw_sparse s;
	struct cs_error *err = cw_sparse_init(&s, 0);
	if (err)
		return err;
	err = cw_sparse_write(&s, prefix, plen);
	size_t bufsz = 1u << 20;
	uint8_t *buf = err ? NULL : malloc(bufsz);
	if (!err && !buf)
		err = &cs_error_nomem;
	while (!err) {
		long k = fd_read(r, buf, bufsz);
		if (k < 0) {
			err = cs_error_os(errno, "%s: reading", path);
			break;
		}
		if (k == 0)
			break;
		err = cw_sparse_write(&s, buf, (size_t)k);
	}
	free(buf);
	if (err) {
		cw_sparse_deinit(&s);
		return err;
	}
	in->map = s.base;
	in->map_size = s.cap;
	in->data = s.base;
	in->size = s.len;
	in->resident = s.resident;
	in->file_size = r->consumed;
	return NULL;
}

struct cs_error *cw_input_load(const char *path, struct cw_input *in)
{
	memset(in, 0, sizeof(*in));
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cs_error_os(errno, "%s", path);

	struct cs_error *err = NULL;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err = cs_error_os(errno, "%s: stat", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = cs_error_create(CS_ERR_OS, "%s: is a directory, not a core file",
				      path);
		goto out;
	}

	struct fd_reader r = { .fd = fd };
	if (S_ISREG(st.st_mode)) {
		if (st.st_size == 0) {
			err = cs_error_create(CS_ERR_BAD_DATA,
					      "%s: empty file, not a core", path);
			goto out;
		}
		if ((uint64_t)st.st_size > SIZE_MAX) {
			err = cs_error_create(CS_ERR_UNSUPPORTED,
					      "%s: file too large", path);
			goto out;
		}
		size_t size = (size_t)st.st_size;
		void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			err = cs_error_os(errno, "%s: mmap", path);
			goto out;
		}
		if (cw_is_zstd(p, size)) {
			/* Feed the compressed mapping straight to zstd; the
			 * size hint lets the reservation fit at once. */
			madvise(p, size, MADV_SEQUENTIAL);
			err = cw_zstd_decompress(NULL, NULL, p, size, in);
			munmap(p, size);
			if (!err)
				in->file_size = size;
			goto out;
		}
		in->map = p;
		in->map_size = size;
		in->data = p;
		in->size = size;
		in->file_size = size;
		goto out;
	}

	/* A pipe or other stream: sniff the magic, then stream. */
	uint8_t head[4];
	long k = read_full(&r, head, sizeof(head));
	if (k < 0) {
		err = cs_error_os(errno, "%s: reading", path);
		goto out;
	}
	if (k == 0) {
		err = cs_error_create(CS_ERR_BAD_DATA, "%s: empty input, not a core",
				      path);
		goto out;
	}
	if (cw_is_zstd(head, (size_t)k)) {
		err = cw_zstd_decompress(fd_read, &r, head, (size_t)k, in);
		if (!err)
			in->file_size = r.consumed;
	} else {
		err = load_stream_plain(&r, head, (size_t)k, path, in);
	}
out:
	if (!is_stdin)
		close(fd);
	return err;
}

void cw_input_release(struct cw_input *in)
{
	if (in->map)
		munmap(in->map, in->map_size);
	free(in->stream_error);
	memset(in, 0, sizeof(*in));
}

struct cs_error *cw_input_from_buffer(const void *data, size_t size, struct cw_input *in)
{
	memset(in, 0, sizeof(*in));
	if (size == 0)
		return cs_error_create(CS_ERR_BAD_DATA, "empty input, not a core");
	if (cw_is_zstd(data, size)) {
		struct cs_error *err = cw_zstd_decompress(NULL, NULL, data, size, in);
		if (!err)
			in->file_size = size;
		return err;
	}
	/* Borrowed: the caller keeps the bytes alive (map stays NULL). */
	in->data = data;
	in->size = size;
	in->file_size = size;
	return NULL;
}
