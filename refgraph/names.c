/*
 * names.c — Go-like names for every hop of a retention path: ".field",
 * "[i]", "[key "…"]" through map buckets and Swiss groups, and closure
 * names.  Names are computed when asked, from the source object's type
 * and the pointer's offset; nothing is stored per edge.
 *
 * Strings from the core go into names raw; the output layer escapes them
 * for its medium.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define KEY_MAX 64

struct find_ctx {
	struct hs_heap *h;
	uint32_t target;
	uint64_t off, value;
	bool found;
};

static int find_word(void *arg, uint64_t off, uint64_t value)
{
	struct find_ctx *c = arg;
	if (hs_heap_find(c->h, value) != c->target)
		return 0;
	c->off = off;
	c->value = value;
	c->found = true;
	return 1;
}

/* Render a map key of type kt stored at addr. */
static void render_key(struct hs_program *p, const struct hs_type *kt, uint64_t addr,
		       struct cs_strbuf *out)
{
	struct cw_core *core = hs_program_core(p);
	uint8_t buf[16];
	struct cs_error *err = cw_read(core, addr, buf, kt && kt->size <= 16 ? kt->size : 8);
	if (err || !kt) {
		cs_error_destroy(err);
		cs_strbuf_puts(out, "?");
		return;
	}
	uint64_t v = 0;
	memcpy(&v, buf, kt->size < 8 ? kt->size : 8);
	switch (kt->kind) {
	case HS_KIND_STRING: {
		uint64_t ptr, len;
		memcpy(&ptr, buf, 8);
		memcpy(&len, buf + 8, 8);
		char s[KEY_MAX];
		size_t n = len < KEY_MAX ? (size_t)len : KEY_MAX;
		err = n ? cw_read(core, ptr, s, n) : NULL;
		if (err) {
			cs_error_destroy(err);
			cs_strbuf_puts(out, "\"?\"");
			return;
		}
		cs_strbuf_putc(out, '"');
		cs_strbuf_add(out, s, n);
		if (len > KEY_MAX)
			cs_strbuf_puts(out, "…");
		cs_strbuf_putc(out, '"');
		return;
	}
	case HS_KIND_INT:
	case HS_KIND_INT64:
		cs_strbuf_printf(out, "%" PRId64, (int64_t)v);
		return;
	case HS_KIND_INT32:
		cs_strbuf_printf(out, "%" PRId32, (int32_t)v);
		return;
	case HS_KIND_INT16:
		cs_strbuf_printf(out, "%d", (int16_t)v);
		return;
	case HS_KIND_INT8:
		cs_strbuf_printf(out, "%d", (int8_t)v);
		return;
	case HS_KIND_UINT:
	case HS_KIND_UINT8:
	case HS_KIND_UINT16:
	case HS_KIND_UINT32:
	case HS_KIND_UINT64:
	case HS_KIND_UINTPTR:
		cs_strbuf_printf(out, "%" PRIu64, v);
		return;
	case HS_KIND_BOOL:
		cs_strbuf_puts(out, v ? "true" : "false");
		return;
	case HS_KIND_PTR:
	case HS_KIND_UNSAFEPTR:
	case HS_KIND_CHAN:
		cs_strbuf_printf(out, "0x%" PRIx64, v);
		return;
	default:
		cs_strbuf_printf(out, "(%s)", kt->name);
		return;
	}
}

static const struct hs_field *field_named(struct hs_program *p, const struct hs_type *t,
					  const char *name, const struct hs_type **ft)
{
	for (uint32_t i = 0; t && i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0) {
			*ft = hs_type_at(p, t->fields[i].type);
			return *ft ? &t->fields[i] : NULL;
		}
	return NULL;
}

/*
 * If off inside a map bucket/group of type t lies in a value (or key),
 * write "[key K]" and return the offset inside that value.  Classic
 * buckets and Go 1.27 split groups have keys/elems arrays; Swiss groups
 * have slots[i].key/.elem.
 */
static bool map_slot_name(struct hs_program *p, const struct hs_type *t,
			  uint64_t base, uint64_t off, struct cs_strbuf *out,
			  const struct hs_type **vt_ret, uint64_t *voff_ret)
{
	const struct hs_type *at, *et, *kt;
	const struct hs_field *slots = field_named(p, t, "slots", &at);
	if (slots && at->kind == HS_KIND_ARRAY) {
		const struct hs_type *st = hs_type_at(p, at->elem);
		if (!st || !st->size || off < slots->offset ||
		    off - slots->offset >= at->size)
			return false;
		uint64_t i = (off - slots->offset) / st->size;
		uint64_t in = (off - slots->offset) % st->size;
		const struct hs_field *kf = field_named(p, st, "key", &kt);
		const struct hs_field *ef = field_named(p, st, "elem", &et);
		if (!kf || !ef)
			return false;
		uint64_t kaddr = base + slots->offset + i * st->size + kf->offset;
		cs_strbuf_puts(out, "[key ");
		render_key(p, kt, kaddr, out);
		cs_strbuf_putc(out, ']');
		if (in >= ef->offset) {
			*vt_ret = et;
			*voff_ret = in - ef->offset;
		} else {
			cs_strbuf_puts(out, " (the key)");
			*vt_ret = kt;
			*voff_ret = in - kf->offset;
		}
		return true;
	}
	const struct hs_type *kat, *eat;
	const struct hs_field *keys = field_named(p, t, "keys", &kat);
	const struct hs_field *elems = field_named(p, t, "elems", &eat);
	if (!keys || !elems || kat->kind != HS_KIND_ARRAY || eat->kind != HS_KIND_ARRAY)
		return false;
	kt = hs_type_at(p, kat->elem);
	et = hs_type_at(p, eat->elem);
	if (!kt || !et || !kt->size)
		return false;
	bool in_key = off >= keys->offset && off - keys->offset < kat->size;
	bool in_elem = et->size && off >= elems->offset && off - elems->offset < eat->size;
	if (!in_key && !in_elem)
		return false;
	uint64_t i = in_key ? (off - keys->offset) / kt->size : (off - elems->offset) / et->size;
	cs_strbuf_puts(out, "[key ");
	render_key(p, kt, base + keys->offset + i * kt->size, out);
	cs_strbuf_putc(out, ']');
	if (in_key) {
		cs_strbuf_puts(out, " (the key)");
		*vt_ret = kt;
		*voff_ret = (off - keys->offset) % kt->size;
	} else {
		*vt_ret = et;
		*voff_ret = (off - elems->offset) % et->size;
	}
	return true;
}

static bool is_map_storage(const struct hs_type *t)
{
	return strncmp(t->name, "map.bucket[", 11) == 0 ||
	       strncmp(t->name, "map.group[", 10) == 0;
}

void rg_offset_name(const struct rg_graph *g, uint32_t obj, uint64_t off,
		    struct cs_strbuf *out)
{
	struct hs_program *p = g->p;
	const struct hs_type *t = rg_object_type(g, obj);
	uint64_t base = hs_object_addr(g->h, obj);
	if (!t || !t->size) {
		cs_strbuf_printf(out, "+0x%" PRIx64, off);
		return;
	}
	if (t->synthetic && !(t->role == HS_SYNTH_CLOSURE && t->nfields)) {
		struct hs_map_layout ml;
		hs_program_map_layout(p, &ml);
		switch (t->role) {
		case HS_SYNTH_HMAP:
			cs_strbuf_puts(out, off == ml.hmap_oldbuckets ? ".oldbuckets" : ".buckets");
			return;
		case HS_SYNTH_SWISSMAP:
			cs_strbuf_puts(out, ".dirPtr");
			return;
		case HS_SYNTH_SWISSDIR:
			cs_strbuf_printf(out, "[%" PRIu64 "]", off / 8);
			return;
		case HS_SYNTH_SWISSTABLE:
			cs_strbuf_puts(out, ".groups");
			return;
		case HS_SYNTH_HCHAN:
			cs_strbuf_puts(out, ".buf");
			return;
		case HS_SYNTH_CLOSURE:
			/* Captured variables have no names without DWARF's
			 * closure layout: say where they are. */
			cs_strbuf_printf(out, ".captured+0x%" PRIx64, off);
			return;
		default:
			cs_strbuf_printf(out, "+0x%" PRIx64, off);
			return;
		}
	}
	uint64_t count = t->role == HS_SYNTH_CLOSURE ? 1 : hs_object_size(g->h, obj) / t->size;
	uint64_t idx = off / t->size, in = off % t->size;
	if (count > 1)
		cs_strbuf_printf(out, "[%" PRIu64 "]", idx);
	const struct hs_type *vt = t;
	uint64_t voff = in;
	if (is_map_storage(t) &&
	    map_slot_name(p, t, base + idx * t->size, in, out, &vt, &voff)) {
		if (!voff && (vt->kind == HS_KIND_PTR || vt->kind == HS_KIND_MAP ||
			      vt->kind == HS_KIND_CHAN || vt->kind == HS_KIND_FUNC ||
			      vt->kind == HS_KIND_SLICE || vt->kind == HS_KIND_STRING))
			return;
	}
	uint64_t inner;
	const struct hs_type *ft = rg_field_at(p, vt, voff, &inner, out);
	if (ft && ft->kind == HS_KIND_INTERFACE && inner == 8) {
		/* .(T): the dynamic type behind the interface */
		uint64_t w0;
		struct cs_error *err = cw_read_u64(hs_program_core(p), base + off - 8, &w0);
		if (!err) {
			const struct hs_type *dyn = hs_type_at(
				p, ft->len == 0 ? w0 : hs_itab_type(p, w0));
			if (dyn)
				cs_strbuf_printf(out, ".(%s)", dyn->name);
		}
		cs_error_destroy(err);
	}
}

char *rg_hop_name(const struct rg_graph *g, uint32_t from, uint32_t to,
		  uint64_t *off_ret)
{
	struct find_ctx c = { g->h, to, 0, 0, false };
	hs_object_scan(g->h, from, find_word, &c);
	struct cs_strbuf b;
	cs_strbuf_init(&b);
	if (!c.found) {
		cs_strbuf_puts(&b, "?");
	} else {
		rg_offset_name(g, from, c.off, &b);
		uint64_t into = c.value - hs_object_addr_from(g->h, to, c.value);
		if (into)
			cs_strbuf_printf(&b, " (points 0x%" PRIx64 " bytes in)", into);
	}
	if (off_ret)
		*off_ret = c.found ? c.off : UINT64_MAX;
	return cs_strbuf_steal(&b);
}
