/*
 * zstd_input.c — decompress zstd cores (systemd-coredump's .zst) into a
 * sparse mapping, without writing a decompressed copy anywhere.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "internal.h"

bool cw_is_zstd(const uint8_t *p, size_t n)
{
	/* ZSTD_MAGICNUMBER 0xFD2FB528, little-endian on disk. */
	return n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f &&
	       p[3] == 0xfd;
}

/* The largest decompressed size we reserve up front from a frame header;
 * a hostile header may claim anything, and the mapping grows on demand
 * anyway. */
#define SIZE_HINT_MAX ((uint64_t)1 << 40)

/* The first frame's declared size (zstd(1) records it for files; a
 * multi-frame stream needs more, and the mapping grows as it goes). */
static size_t size_hint(const uint8_t *p, size_t n)
{
	unsigned long long s = ZSTD_getFrameContentSize(p, n);
	if (s == ZSTD_CONTENTSIZE_ERROR || s == ZSTD_CONTENTSIZE_UNKNOWN ||
	    s == 0 || s > SIZE_HINT_MAX)
		return 0;
	return (size_t)s;
}

struct cs_error *cw_zstd_decompress(cw_read_fn read_fn, void *arg,
				    const uint8_t *prefix, size_t prefix_len,
				    struct cw_input *in)
{
	struct cw_sparse s;
	char *stream_error = NULL;
	struct cs_error *err =
		cw_sparse_init(&s, size_hint(prefix, prefix_len));
	if (err)
		return err;
	/* the decompressed core is memory this process holds: the memory
	 * guard names this phase if it runs out */
	const char *phase = cs_memguard_phase("decompressing the core");

	/* The output goes through a feed: copier threads move each buffer's
	 * non-zero pages into the mapping while the next one is decompressed
	 * (input.c says why). */
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	size_t outcap = 4u << 20;
	size_t incap = ZSTD_DStreamInSize();
	uint8_t *inbuf = read_fn ? malloc(incap) : NULL;
	struct cw_sparse_feed *feed = NULL;
	if (!dctx || (read_fn && !inbuf)) {
		err = &cs_error_nomem;
		goto fail;
	}
	if ((err = cw_sparse_feed_start(&s, outcap, &feed)))
		goto fail;

	ZSTD_inBuffer zin = { prefix, prefix_len, 0 };
	size_t last = 1;	/* 0 once a frame is complete */
	bool eof = read_fn == NULL;
	for (;;) {
		if (zin.pos == zin.size) {
			if (eof)
				break;
			long k = read_fn(arg, inbuf, incap);
			if (k < 0) {
				err = cs_error_os(errno, "reading compressed input");
				goto fail;
			}
			if (k == 0) {
				eof = true;
				break;
			}
			zin = (ZSTD_inBuffer){ inbuf, (size_t)k, 0 };
		}
		ZSTD_outBuffer zout = { cw_sparse_feed_buffer(feed), outcap, 0 };
		size_t r = ZSTD_decompressStream(dctx, &zout, &zin);
		if (ZSTD_isError(r)) {
			if (asprintf(&stream_error,
				     "zstd stream corrupt after %zu decompressed bytes: %s",
				     s.len + zout.pos, ZSTD_getErrorName(r)) < 0)
				stream_error = NULL;
			last = 1;
			if ((err = cw_sparse_feed_submit(feed, zout.dst, zout.pos)))
				goto fail;
			break;
		}
		if ((err = cw_sparse_feed_submit(feed, zout.dst, zout.pos)))
			goto fail;
		last = r;
		/* Drain: the decoder may hold more output than one buffer. */
		while (zin.pos == zin.size && r != 0 && zout.pos == zout.size) {
			zout = (ZSTD_outBuffer){ cw_sparse_feed_buffer(feed), outcap, 0 };
			r = ZSTD_decompressStream(dctx, &zout, &zin);
			if (!ZSTD_isError(r))
				last = r;
			if ((err = cw_sparse_feed_submit(feed, zout.dst, ZSTD_isError(r) ? 0 : zout.pos)))
				goto fail;
			if (ZSTD_isError(r))
				break;
		}
	}
	cw_sparse_feed_end(feed, &s);
	feed = NULL;

	if (s.len == 0) {
		err = cs_error_create(CS_ERR_BAD_DATA, "%s",
				      stream_error ? stream_error
						   : "zstd stream ends before its first block is complete (truncated?)");
		goto fail;
	}
	if (last != 0 && !stream_error) {
		if (asprintf(&stream_error,
			     "zstd stream ends in the middle of a frame after %zu decompressed bytes",
			     s.len) < 0)
			stream_error = NULL;
	}
	in->stream_truncated = last != 0;
	in->stream_error = stream_error;
	in->compressed = true;
	in->map = s.base;
	in->map_size = s.cap;
	in->data = s.base;
	in->size = s.len;
	in->resident = s.resident;
	ZSTD_freeDCtx(dctx);
	free(inbuf);
	cs_memguard_phase(phase);
	return NULL;

fail:
	if (feed)
		cw_sparse_feed_end(feed, NULL);
	free(stream_error);
	ZSTD_freeDCtx(dctx);
	free(inbuf);
	cw_sparse_deinit(&s);
	cs_memguard_phase(phase);
	return err;
}
