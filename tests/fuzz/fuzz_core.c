/*
 * fuzz_core.c — libFuzzer target over corewalk: ELF core parsing (headers,
 * segments, notes), zstd input, the memory map, reads of addresses the
 * input itself names, C strings, symbolization and native unwinding over
 * hostile memory.  Build and run: docs/fuzzing.md.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "corewalk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_open_options o = { .no_files = true };
	struct cw_core *core = NULL;
	struct cs_error *err = cw_core_open_buffer(data, size, "fuzz", &o, &core);
	if (err) {
		/* Every refusal must be a real message. */
		if (!err->message || !*err->message)
			abort();
		cs_error_destroy(err);
		return 0;
	}
	uint8_t buf[64];
	/* Reads at every region edge and at addresses taken from the input. */
	for (size_t i = 0; i < cw_core_region_count(core) && i < 256; i++) {
		const struct cw_region *r = cw_core_region(core, i);
		cs_error_destroy(cw_read(core, r->start, buf, sizeof(buf)));
		cs_error_destroy(cw_read(core, r->end - 1, buf, 2));
		(void)cw_peek(core, r->start, (size_t)(r->end - r->start));
		(void)cw_readable(core, r->start, 1ull << 40);
	}
	for (size_t off = 0; off + 8 <= size && off < 4096; off += 8) {
		uint64_t a;
		memcpy(&a, data + off, 8);
		cs_error_destroy(cw_read(core, a, buf, sizeof(buf)));
		char *s = NULL;
		err = cw_read_cstr(core, a, 64, &s);
		cs_error_destroy(err);
		free(s);
		(void)cw_probe(core, a);
	}
	struct cw_frame frames[32];
	for (size_t t = 0; t < cw_core_thread_count(core) && t < 8; t++) {
		size_t n;
		const char *stop;
		err = cw_thread_backtrace(core, cw_core_thread(core, t), NULL, frames, 32, &n,
					  &stop);
		cs_error_destroy(err);
	}
	uint64_t v;
	(void)cw_core_auxv(core, 9, &v);
	cw_core_destroy(core);
	return 0;
}
