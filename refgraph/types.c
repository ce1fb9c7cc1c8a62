/*
 * types.c — type inference: give every object we can a type.
 *
 * Sources: malloc headers (Go 1.22+ objects over 512 bytes, large
 * objects), the DWARF types of global variables, and, by propagation, the
 * static type of every pointer that reaches an untyped object: a *T field
 * makes its target a T, a []T field makes it an array of T, an interface
 * word makes it its dynamic type, a map field makes it a map header whose
 * buckets (or Swiss groups) are typed by the map type, a func field makes
 * it a closure named by its code pointer.  Propagation is breadth-first
 * from the roots, so the first (shortest) typed path wins; malloc-header
 * types are never overridden.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_FIELD_DEPTH 32

struct typer {
	struct rg_graph *g;
	struct hs_program *p;
	struct hs_heap *h;
	const struct hs_object *objs;
	uint64_t *addr;		/* per object (hs_heap_object_addrs), or NULL */
	/* typed[i]: object i has a type (objs[i].type != 0), as a bitmap a
	 * hundred times smaller than objs, for the test on every edge */
	uint64_t *typed;
	/* breadth-first queue; each level is sorted by object index before
	 * it is visited, so that visits read objects, edges and the core in
	 * address order (sort_tmp and sort_bits: the sort's buffers, in one
	 * block; the dense levels, most of the objects, use only the bits) */
	uint32_t *queue, *sort_tmp;
	uint64_t *sort_bits;
	size_t head, tail;
	/* synthetic types per (role, for_type), an open hash kept at most
	 * half full */
	struct synth_slot {
		uint64_t key;
		const struct hs_type *t;
	} *synth;
	size_t nsynth, used;
	const struct hs_type *string_type;
	/* rg_field_at results per (type, offset): every object of a type
	 * asks the same questions */
	struct cs_map64 field_index;
	struct field_answer {
		const struct hs_type *ft;
		uint64_t inner;
	} *fields;
	size_t nfields, capfields;
};

/* ------------------------------------------------------------------ */
/* Field resolution                                                    */
/* ------------------------------------------------------------------ */

const struct hs_type *rg_field_at(struct hs_program *p, const struct hs_type *t,
				  uint64_t off, uint64_t *inner_ret,
				  struct cs_strbuf *path)
{
	for (int depth = 0; t && depth < MAX_FIELD_DEPTH; depth++) {
		if (t->kind == HS_KIND_STRUCT) {
			const struct hs_field *best = NULL;
			for (uint32_t i = 0; i < t->nfields; i++) {
				const struct hs_field *f = &t->fields[i];
				if (f->offset > off)
					break;
				const struct hs_type *ft = hs_type_at(p, f->type);
				if (ft && off - f->offset < ft->size)
					best = f;
			}
			if (!best)
				return NULL;
			if (path) {
				cs_strbuf_putc(path, '.');
				cs_strbuf_puts(path, best->name);
			}
			off -= best->offset;
			t = hs_type_at(p, best->type);
			continue;
		}
		if (t->kind == HS_KIND_ARRAY) {
			const struct hs_type *e = hs_type_at(p, t->elem);
			if (!e || !e->size)
				return NULL;
			if (path)
				cs_strbuf_printf(path, "[%llu]", (unsigned long long)(off / e->size));
			off %= e->size;
			t = e;
			continue;
		}
		*inner_ret = off;
		return t;
	}
	return NULL;
}

static const struct hs_type *field_at_cached(struct typer *t, const struct hs_type *ty,
					     uint64_t off, uint64_t *inner_ret)
{
	if (off >= (1ull << 32) || !ty->id)
		return rg_field_at(t->p, ty, off, inner_ret, NULL);
	uint64_t key = (uint64_t)ty->id << 32 | off;
	uint32_t k = cs_map64_get(&t->field_index, key);
	if (k == CS_MAP64_NONE) {
		struct field_answer a = { NULL, 0 };
		a.ft = rg_field_at(t->p, ty, off, &a.inner, NULL);
		if (!CS_PUSH(t->fields, t->nfields, t->capfields, a) ||
		    !cs_map64_put(&t->field_index, key, (uint32_t)(t->nfields - 1))) {
			*inner_ret = a.inner;	/* no memory to remember it */
			return a.ft;
		}
		k = (uint32_t)(t->nfields - 1);
	}
	*inner_ret = t->fields[k].inner;
	return t->fields[k].ft;
}

/* ------------------------------------------------------------------ */
/* Synthetic types                                                     */
/* ------------------------------------------------------------------ */

static uint64_t synth_key(unsigned role, uint64_t for_type)
{
	return for_type * 16 + role;
}

static const struct hs_type *synth_get(struct typer *t, unsigned role,
				       uint64_t for_type, const char *fmt,
				       const char *arg, uint64_t size)
{
	uint64_t key = synth_key(role, for_type);
	size_t cap = t->nsynth;
	for (size_t k = (key * 0x9e3779b97f4a7c15ull >> 40) & (cap - 1);; k = (k + 1) & (cap - 1)) {
		if (t->synth[k].key == key)
			return t->synth[k].t;
		if (!t->synth[k].key) {
			if (2 * (t->used + 1) > cap)
				return NULL;
			t->used++;
			struct hs_type proto = { 0 };
			char *name = cs_arena_printf(hs_program_arena(t->p), fmt, arg);
			proto.name = name ? name : "?";
			proto.kind = role == HS_SYNTH_STRING ? HS_KIND_ARRAY : HS_KIND_STRUCT;
			proto.size = size;
			proto.role = (uint8_t)role;
			proto.for_type = for_type;
			const struct hs_type *s = hs_type_synthetic(t->p, &proto);
			t->synth[k].key = key;
			t->synth[k].t = s;
			return s;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Assigning                                                           */
/* ------------------------------------------------------------------ */

static uint64_t obj_addr(const struct typer *t, uint32_t obj)
{
	return t->addr ? t->addr[obj] : hs_object_addr(t->h, obj);
}

static void assign(struct typer *t, uint32_t obj, const struct hs_type *ty,
		   uint64_t value)
{
	if (!ty || obj == HS_NONE || rg_bit(t->typed, obj))
		return;
	uint64_t size = hs_object_size(t->h, obj);
	if (!ty->size || ty->size > size)
		return;
	/* A pointer into the middle of an object types it only when it
	 * lands on an element boundary (a subslice of an array). */
	uint64_t off = value - obj_addr(t, obj);
	if (off && (off % ty->size))
		return;
	hs_heap_set_type(t->h, obj, ty->id);
	rg_setbit(t->typed, obj);
	t->queue[t->tail++] = obj;
}

static void assign_closure(struct typer *t, uint32_t obj)
{
	if (obj == HS_NONE || rg_bit(t->typed, obj))
		return;
	uint64_t fn;
	struct cs_error *err = cw_read_u64(hs_program_core(t->p), obj_addr(t, obj), &fn);
	if (err) {
		cs_error_destroy(err);
		return;
	}
	assign(t, obj, hs_closure_type(t->p, fn, hs_object_size(t->h, obj)),
	       obj_addr(t, obj));
}

/* Type the target tgt (the object value points into) of a word whose
 * static type is ft (inner: offset of the word within ft). */
static void assign_target(struct typer *t, const struct hs_type *ft, uint64_t inner,
			  uint64_t word_addr, uint64_t value, uint32_t tgt)
{
	struct hs_program *p = t->p;
	if (tgt == HS_NONE || rg_bit(t->typed, tgt))
		return;
	switch (ft->kind) {
	case HS_KIND_PTR:
		if (inner == 0)
			assign(t, tgt, hs_type_at(p, ft->elem), value);
		break;
	case HS_KIND_SLICE:
		if (inner == 0)
			assign(t, tgt, hs_type_at(p, ft->elem), value);
		break;
	case HS_KIND_STRING:
		if (inner == 0)
			assign(t, tgt, t->string_type, value);
		break;
	case HS_KIND_MAP: {
		bool swiss = hs_program_swiss_maps(p);
		const struct hs_type *hdr = synth_get(
			t, swiss ? HS_SYNTH_SWISSMAP : HS_SYNTH_HMAP, ft->addr,
			swiss ? "maps.Map(%s)" : "runtime.hmap(%s)", ft->name,
			hs_program_map_header_size(p));
		assign(t, tgt, hdr, value);
		break;
	}
	case HS_KIND_CHAN: {
		const struct hs_type *hc = synth_get(t, HS_SYNTH_HCHAN, ft->addr,
						     "runtime.hchan(%s)", ft->name,
						     hs_program_hchan_size(p));
		assign(t, tgt, hc, value);
		break;
	}
	case HS_KIND_FUNC:
		if (value == obj_addr(t, tgt))
			assign_closure(t, tgt);
		break;
	case HS_KIND_INTERFACE: {
		if (inner != 8)
			break;
		/* The type word: *abi.Type for interface{} (no methods), an
		 * *itab otherwise. */
		uint64_t w0;
		struct cs_error *err = cw_read_u64(hs_program_core(p), word_addr - 8, &w0);
		if (err) {
			cs_error_destroy(err);
			break;
		}
		uint64_t dyn_addr = ft->len == 0 ? w0 : hs_itab_type(p, w0);
		const struct hs_type *dyn = hs_type_at(p, dyn_addr);
		if (!dyn)
			break;
		if (!dyn->direct_iface)
			assign(t, tgt, dyn, value);
		else if (dyn->kind == HS_KIND_PTR)
			assign(t, tgt, hs_type_at(p, dyn->elem), value);
		else if (dyn->kind == HS_KIND_FUNC)
			assign_closure(t, tgt);
		else if (dyn->kind == HS_KIND_MAP || dyn->kind == HS_KIND_CHAN)
			assign_target(t, dyn, 0, word_addr, value, tgt);
		break;
	}
	default:
		break;
	}
}

static void assign_by_static(struct typer *t, const struct hs_type *ft, uint64_t inner,
			     uint64_t word_addr, uint64_t value)
{
	assign_target(t, ft, inner, word_addr, value, hs_heap_find(t->h, value));
}

/* ------------------------------------------------------------------ */
/* Visiting typed objects                                              */
/* ------------------------------------------------------------------ */

struct visit_ctx {
	struct typer *t;
	uint32_t obj;
	uint64_t base;			/* its address */
	const struct hs_type *ty;
	const struct hs_type *bucket_of;	/* classic bucket: its own type */
};

/* The pointer word at off (holding value) of a typed object points into
 * the untyped object tgt: type tgt by the word's static type. */
static void visit_word(struct visit_ctx *c, uint64_t off, uint64_t value, uint32_t tgt)
{
	const struct hs_type *ty = c->ty;
	uint64_t inner = off % ty->size;
	uint64_t fin;
	struct cs_strbuf name;
	cs_strbuf_init(&name);
	const struct hs_type *ft = c->bucket_of
		? rg_field_at(c->t->p, ty, inner, &fin, &name)
		: field_at_cached(c->t, ty, inner, &fin);
	if (ft)
		assign_target(c->t, ft, fin, c->base + off, value, tgt);
	/* A classic bucket's overflow word is a uintptr or unsafe.Pointer
	 * to another bucket of the same type. */
	if (c->bucket_of && name.s && strcmp(name.s, ".overflow") == 0)
		assign(c->t, tgt, c->bucket_of, value);
	cs_strbuf_deinit(&name);
}

static uint64_t read_word(struct typer *t, uint64_t addr)
{
	uint64_t v = 0;
	struct cs_error *err = cw_read_u64(hs_program_core(t->p), addr, &v);
	cs_error_destroy(err);
	return err ? 0 : v;
}

static void visit_synthetic(struct typer *t, uint32_t obj, const struct hs_type *ty)
{
	struct hs_program *p = t->p;
	uint64_t base = obj_addr(t, obj);
	const struct hs_type *mt = hs_type_at(p, ty->for_type);
	switch (ty->role) {
	case HS_SYNTH_HMAP: {
		if (!mt)
			return;
		const struct hs_type *bt = hs_type_at(p, mt->map.group);
		struct hs_map_layout ml;
		hs_program_map_layout(p, &ml);
		uint64_t b = read_word(t, base + ml.hmap_buckets);
		uint64_t ob = read_word(t, base + ml.hmap_oldbuckets);
		assign(t, hs_heap_find(t->h, b), bt, b);
		assign(t, hs_heap_find(t->h, ob), bt, ob);
		break;
	}
	case HS_SYNTH_SWISSMAP: {
		if (!mt)
			return;
		struct hs_map_layout ml;
		hs_program_map_layout(p, &ml);
		uint64_t dir = read_word(t, base + ml.map_dirptr);
		uint64_t dirlen = read_word(t, base + ml.map_dirlen);
		const struct hs_type *gt = hs_type_at(p, mt->map.group);
		if (dirlen == 0) {
			assign(t, hs_heap_find(t->h, dir), gt, dir);
		} else {
			const struct hs_type *dt = synth_get(t, HS_SYNTH_SWISSDIR, mt->addr,
							     "maps.directory(%s)", mt->name, 8);
			assign(t, hs_heap_find(t->h, dir), dt, dir);
		}
		break;
	}
	case HS_SYNTH_SWISSDIR: {
		if (!mt)
			return;
		struct hs_map_layout ml;
		hs_program_map_layout(p, &ml);
		const struct hs_type *tt = synth_get(t, HS_SYNTH_SWISSTABLE, mt->addr,
						     "maps.table(%s)", mt->name, ml.table_size);
		uint64_t n = hs_object_size(t->h, obj) / 8;
		for (uint64_t i = 0; i < n && i < (1u << 20); i++) {
			uint64_t v = read_word(t, base + i * 8);
			assign(t, hs_heap_find(t->h, v), tt, v);
		}
		break;
	}
	case HS_SYNTH_SWISSTABLE: {
		if (!mt)
			return;
		struct hs_map_layout ml;
		hs_program_map_layout(p, &ml);
		uint64_t d = read_word(t, base + ml.table_groups_data);
		assign(t, hs_heap_find(t->h, d), hs_type_at(p, mt->map.group), d);
		break;
	}
	case HS_SYNTH_HCHAN: {
		if (!mt)
			return;
		struct hs_map_layout ml;
		hs_program_map_layout(p, &ml);
		uint64_t buf = read_word(t, base + ml.hchan_buf);
		if (buf != base + ml.hchan_size)
			assign(t, hs_heap_find(t->h, buf), hs_type_at(p, mt->elem), buf);
		break;
	}
	default:
		break;
	}
}

static void visit(struct typer *t, uint32_t obj)
{
	const struct hs_type *ty = hs_type_by_id(t->p, t->objs[obj].type);
	if (!ty || !ty->size)
		return;
	if (ty->synthetic && ty->role != HS_SYNTH_CLOSURE) {
		visit_synthetic(t, obj, ty);
		return;
	}
	/* The graph's edges are this object's pointers, found once; only
	 * the untyped targets can learn anything. */
	const struct rg_graph *g = t->g;
	uint32_t b = g->first[obj], e = g->first[obj + 1];
	if (b == e)
		return;
	uint64_t base = obj_addr(t, obj);
	const uint8_t *mem = cw_peek(hs_program_core(t->p), base, (size_t)hs_object_size(t->h, obj));
	if (!mem)
		return;
	struct visit_ctx c = { t, obj, base, ty, NULL };
	if (strncmp(ty->name, "map.bucket[", 11) == 0)
		c.bucket_of = ty;
	for (uint32_t k = b; k < e; k++) {
		if (k + 4 < e) {
			__builtin_prefetch(&t->typed[g->edges[k + 4] / 64]);
			__builtin_prefetch(&t->objs[g->edges[k + 4]]);
		}
		uint32_t tgt = g->edges[k];
		if (rg_bit(t->typed, tgt))
			continue;
		uint64_t off = (uint64_t)g->edge_words[k] * 8, value;
		memcpy(&value, mem + off, sizeof(value));
		visit_word(&c, off, value, tgt);
	}
}

/* Ask for what visiting queue[at] will read at random, in three stages
 * so that each reads only what the one before asked for: the object's
 * record, address and edge range; then its first edge; then that edge's
 * typed bit and the pointer word in the core. */
static void visit_ahead(struct typer *t, size_t at, size_t end)
{
	const struct rg_graph *g = t->g;
	if (at + 2 * RG_AHEAD < end) {
		uint32_t obj = t->queue[at + 2 * RG_AHEAD];
		__builtin_prefetch(&t->objs[obj]);
		__builtin_prefetch(&g->first[obj]);
		if (t->addr)
			__builtin_prefetch(&t->addr[obj]);
	}
	if (at + RG_AHEAD < end && g->edges) {
		uint32_t b = g->first[t->queue[at + RG_AHEAD]];
		__builtin_prefetch(&g->edges[b]);
		__builtin_prefetch(&g->edge_words[b]);
	}
	if (at + RG_AHEAD / 2 < end && t->addr) {
		uint32_t obj = t->queue[at + RG_AHEAD / 2];
		uint32_t b = g->first[obj];
		if (b == g->first[obj + 1])
			return;
		__builtin_prefetch(&t->typed[g->edges[b] / 64]);
		__builtin_prefetch(&t->objs[g->edges[b]]);
		const uint8_t *w = cw_peek(hs_program_core(t->p),
					   t->addr[obj] + (uint64_t)g->edge_words[b] * 8, 8);
		if (w)
			__builtin_prefetch(w);
	}
}

/* ------------------------------------------------------------------ */
/* Seeds                                                               */
/* ------------------------------------------------------------------ */

static void seed_roots(struct typer *t)
{
	const struct hs_roots *r = t->g->roots;
	for (size_t i = 0; i < r->n; i++) {
		const struct hs_root *root = &r->v[i];
		if (t->g->root_target[i] == HS_NONE)
			continue;
		switch (root->kind) {
		case HS_ROOT_DATA:
		case HS_ROOT_BSS: {
			uint64_t off, inner;
			const struct hs_type *vt = hs_global_slot_type(t->p, root->slot, &off);
			const struct hs_type *ft =
				vt ? rg_field_at(t->p, vt, off, &inner, NULL) : NULL;
			if (ft)
				assign_by_static(t, ft, inner, root->slot, root->value);
			break;
		}
		case HS_ROOT_STACK:
			if (root->type)
				assign_by_static(t, hs_type_at(t->p, root->type), root->type_inner,
						 root->slot, root->value);
			break;
		case HS_ROOT_FINALIZER_FN:
		case HS_ROOT_CLEANUP:
		case HS_ROOT_CTXT:
			if (obj_addr(t, t->g->root_target[i]) == root->value)
				assign_closure(t, t->g->root_target[i]);
			break;
		default:
			break;
		}
	}
}

struct cs_error *rg_infer_types(struct rg_graph *g)
{
	struct typer t = { 0 };
	t.g = g;
	t.p = g->p;
	t.h = g->h;
	t.objs = hs_heap_objects(g->h);
	t.queue = cs_big_malloc((size_t)g->n + 1, sizeof(*t.queue));
	/* sort_tmp's pages are touched only by the radix sort of sparse
	 * levels, which are small: the block costs little more than its
	 * bitmap, behind it (sort_tmp holds an even count: 8-byte aligned) */
	size_t words = ((size_t)g->n + 63) / 64 + 1, ntmp = ((size_t)g->n + 2) & ~(size_t)1;
	t.sort_tmp = cs_big_malloc(ntmp + 2 * words, sizeof(*t.sort_tmp));
	t.sort_bits = t.sort_tmp ? (uint64_t *)(void *)(t.sort_tmp + ntmp) : NULL;
	if (t.sort_bits)
		memset(t.sort_bits, 0, words * sizeof(*t.sort_bits));
	t.typed = cs_big_calloc(words, sizeof(*t.typed));
	t.nsynth = 1u << 16;
	t.synth = calloc(t.nsynth, sizeof(*t.synth));
	if (!t.queue || !t.sort_tmp || !t.typed || !t.synth) {
		free(t.queue);
		free(t.sort_tmp);
		free(t.typed);
		free(t.synth);
		return &cs_error_nomem;
	}
	struct hs_type sproto = { 0 };
	sproto.name = "string bytes";
	sproto.kind = HS_KIND_UINT8;
	sproto.size = 1;
	sproto.role = HS_SYNTH_STRING;
	t.string_type = hs_type_synthetic(g->p, &sproto);
	/* Addresses are asked for per visit: computed once, in order (a
	 * transient array; the dominators that follow need more). */
	t.addr = cs_big_malloc((size_t)g->n + 1, sizeof(*t.addr));
	if (t.addr)
		hs_heap_object_addrs(g->h, t.addr);

	/* Every object is enqueued once: the header-typed ones now, the
	 * others when they get their type. */
	for (uint32_t i = 0; i < g->n; i++)
		if (t.objs[i].type) {
			rg_setbit(t.typed, i);
			t.queue[t.tail++] = i;
		}
	seed_roots(&t);
	while (t.head < t.tail) {
		/* (each object is queued once: there is no repeat to drop) */
		t.tail = t.head + cs_sort_unique_u32(t.queue + t.head, t.tail - t.head,
						     t.sort_bits, t.sort_tmp);
		size_t level_end = t.tail;
		while (t.head < level_end) {
			visit_ahead(&t, t.head, level_end);
			visit(&t, t.queue[t.head++]);
		}
	}
	free(t.addr);
	free(t.sort_tmp);	/* and sort_bits */
	free(t.typed);
	free(t.queue);
	free(t.synth);
	free(t.fields);
	cs_map64_deinit(&t.field_index);
	return NULL;
}

const struct hs_type *rg_object_type(const struct rg_graph *g, uint32_t i)
{
	return hs_type_by_id(g->p, hs_heap_objects(g->h)[i].type);
}

uint64_t rg_object_count(const struct rg_graph *g, uint32_t i)
{
	const struct hs_type *t = rg_object_type(g, i);
	if (!t)
		return 0;
	if (!t->size)
		return 1;
	uint64_t n = hs_object_size(g->h, i) / t->size;
	return n ? n : 1;
}
