/*
 * memory.c — the one memory-read API every layer uses.
 */
#include "config.h"

#include <string.h>

#include "internal.h"

static enum cs_fault fault_of(const struct cw_region_int *r)
{
	if (!r)
		return CS_FAULT_UNMAPPED;
	switch (r->pub.source) {
	case CW_SRC_CORE:
	case CW_SRC_FILE:
		return CS_FAULT_NONE;
	case CW_SRC_TRUNCATED:
		return CS_FAULT_TRUNCATED;
	case CW_SRC_NOT_SAVED:
		break;
	}
	return CS_FAULT_NOT_SAVED;
}

static struct cs_error *fault(struct cw_core *core, uint64_t addr,
			      enum cs_fault why)
{
	return cs_error_fault(addr, why, "%s: address 0x%llx is %s", core->path,
			      (unsigned long long)addr, cs_fault_name(why));
}

struct cs_error *cw_read(struct cw_core *core, uint64_t addr, void *buf,
			 size_t len)
{
	uint8_t *out = buf;
	if (len && addr + len - 1 < addr)
		return fault(core, addr, CS_FAULT_UNMAPPED);
	while (len) {
		const struct cw_region_int *r = cw_find_region(core, addr);
		enum cs_fault why = fault_of(r);
		if (why != CS_FAULT_NONE)
			return fault(core, addr, why);
		uint64_t k = CS_MIN((uint64_t)len, r->pub.end - addr);
		memcpy(out, r->data + (addr - r->pub.start), (size_t)k);
		out += k;
		addr += k;
		len -= (size_t)k;
	}
	return NULL;
}

const void *cw_peek(struct cw_core *core, uint64_t addr, size_t len)
{
	const struct cw_region_int *r = cw_find_region(core, addr);
	if (!r || !r->data)
		return NULL;
	if (len > r->pub.end - addr)
		return NULL;
	return r->data + (addr - r->pub.start);
}

uint64_t cw_readable(struct cw_core *core, uint64_t addr, uint64_t max)
{
	uint64_t n = 0;
	while (n < max) {
		const struct cw_region_int *r = cw_find_region(core, addr + n);
		if (!r || !r->data)
			break;
		uint64_t k = r->pub.end - (addr + n);
		if (k == 0)
			break;
		n += k;
	}
	return CS_MIN(n, max);
}

enum cs_fault cw_probe(struct cw_core *core, uint64_t addr)
{
	return fault_of(cw_find_region(core, addr));
}

#define DEFINE_READ(name, type)                                              \
	struct cs_error *name(struct cw_core *core, uint64_t addr, type *ret) \
	{                                                                    \
		const void *p = cw_peek(core, addr, sizeof(type));           \
		type v;                                                      \
		if (p) {                                                     \
			memcpy(&v, p, sizeof(v));                            \
		} else {                                                     \
			struct cs_error *err = cw_read(core, addr, &v, sizeof(v)); \
			if (err)                                             \
				return err;                                  \
		}                                                            \
		*ret = v;                                                    \
		return NULL;                                                 \
	}

DEFINE_READ(cw_read_u8, uint8_t)
DEFINE_READ(cw_read_u16, uint16_t)
DEFINE_READ(cw_read_u32, uint32_t)
DEFINE_READ(cw_read_u64, uint64_t)

struct cs_error *cw_read_ptr(struct cw_core *core, uint64_t addr, uint64_t *ret)
{
	return cw_read_u64(core, addr, ret);
}

struct cs_error *cw_read_cstr(struct cw_core *core, uint64_t addr, size_t max,
			      char **ret)
{
	struct cs_strbuf b;
	cs_strbuf_init(&b);
	for (size_t i = 0; i <= max; i++) {
		uint8_t c;
		struct cs_error *err = cw_read_u8(core, addr + i, &c);
		if (err) {
			cs_strbuf_deinit(&b);
			return err;
		}
		if (c == 0) {
			if (b.failed) {
				cs_strbuf_deinit(&b);
				return &cs_error_nomem;
			}
			*ret = cs_strbuf_steal(&b);
			return NULL;
		}
		cs_strbuf_putc(&b, (char)c);
	}
	cs_strbuf_deinit(&b);
	return cs_error_create(CS_ERR_BAD_DATA,
			       "%s: string at 0x%llx is not terminated within %zu bytes",
			       core->path, (unsigned long long)addr, max);
}
