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
 *
 * With more than one thread, a level is visited in rounds: threads
 * propose for shares of it, and the calling thread commits the proposals
 * in the level's order (see "Visiting in threads").  The result is the
 * serial one, whatever the number of threads.
 */
#include "config.h"

#include <stdatomic.h>
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

/* What a thread proposes (see "Visiting in threads"). */
enum { PROP_TYPE, PROP_EDGE, PROP_OBJECT };

struct proposal {
	uint32_t x, y;		/* TYPE: target, type id; EDGE: object, edge; OBJECT: object */
	uint32_t kind;
};

/* A share of a round, proposed by one thread; each on its own cache
 * lines, as the thread writes n and done all the time. */
struct share {
	struct typer *t;
	size_t lo, hi, done;	/* queue positions; the proposals cover [lo, done) */
	struct proposal *v;
	size_t n, cap;
} __attribute__((aligned(64)));

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

/* rg_field_at, remembered per (type, offset).  With a thread's share s,
 * only a remembered answer is used: otherwise *known turns false. */
static const struct hs_type *field_at_cached(struct typer *t, const struct share *s,
					     const struct hs_type *ty, uint64_t off,
					     uint64_t *inner_ret, bool *known)
{
	bool keyed = off < (1ull << 32) && ty->id;
	uint64_t key = (uint64_t)ty->id << 32 | off;
	uint32_t k = keyed ? cs_map64_get(&t->field_index, key) : CS_MAP64_NONE;
	if (k == CS_MAP64_NONE && s) {
		*known = false;
		return NULL;
	}
	if (!keyed)
		return rg_field_at(t->p, ty, off, inner_ret, NULL);
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

/* The slot of key in the table, or the empty slot where it would go (the
 * table is kept at most half full: there is one).  Reads only. */
static size_t synth_slot(const struct typer *t, uint64_t key)
{
	size_t cap = t->nsynth, k = (key * 0x9e3779b97f4a7c15ull >> 40) & (cap - 1);
	while (t->synth[k].key && t->synth[k].key != key)
		k = (k + 1) & (cap - 1);
	return k;
}

/* The synthetic type for (role, for_type) if it is made already, else
 * NULL.  Reads only. */
static const struct hs_type *synth_find(const struct typer *t, unsigned role, uint64_t for_type)
{
	return t->synth[synth_slot(t, synth_key(role, for_type))].t;
}

static const struct hs_type *synth_get(struct typer *t, unsigned role,
				       uint64_t for_type, const char *fmt,
				       const char *arg, uint64_t size)
{
	uint64_t key = synth_key(role, for_type);
	size_t k = synth_slot(t, key);
	if (t->synth[k].key == key)
		return t->synth[k].t;
	if (2 * (t->used + 1) > t->nsynth)
		return NULL;
	t->used++;
	struct hs_type proto = { 0 };
	char *name = cs_arena_printf(hs_program_arena(t->p), fmt, arg);
	proto.name = name ? name : "?";
	proto.kind = role == HS_SYNTH_STRING ? HS_KIND_ARRAY : HS_KIND_STRUCT;
	proto.size = size;
	proto.role = (uint8_t)role;
	proto.for_type = for_type;
	const struct hs_type *ty = hs_type_synthetic(t->p, &proto);
	t->synth[k].key = key;
	t->synth[k].t = ty;
	return ty;
}

/* ------------------------------------------------------------------ */
/* Assigning                                                           */
/* ------------------------------------------------------------------ */

/*
 * What follows runs in one of two modes.  With s NULL (the serial visit,
 * or a commit), types are decoded and made up as needed and targets are
 * typed at once.  With a thread's share s, it only reads: it uses the
 * types already known, proposes targets' types into s, and turns *known
 * false where it would need more; the caller then leaves that visit to
 * the commit.  known may be NULL when s is.
 */

static uint64_t obj_addr(const struct typer *t, uint32_t obj)
{
	return t->addr ? t->addr[obj] : hs_object_addr(t->h, obj);
}

/* Whether ty can be the type of obj, reached by a pointer holding value:
 * it fits, and a pointer into the middle of the object lands on an
 * element boundary (a subslice of an array).  Reads only. */
static bool fits(const struct typer *t, uint32_t obj, const struct hs_type *ty,
		 uint64_t value)
{
	if (!ty || !ty->size || ty->size > hs_object_size(t->h, obj))
		return false;
	uint64_t off = value - obj_addr(t, obj);
	return !off || !(off % ty->size);
}

/* Give obj its type and queue it for the next level. */
static void mark_typed(struct typer *t, uint32_t obj, uint32_t type)
{
	hs_heap_set_type(t->h, obj, type);
	rg_setbit(t->typed, obj);
	t->queue[t->tail++] = obj;
}

static void assign(struct typer *t, struct share *s, uint32_t obj, const struct hs_type *ty,
		   uint64_t value, bool *known)
{
	if (obj == HS_NONE || rg_bit(t->typed, obj) || !fits(t, obj, ty, value))
		return;
	if (!s)
		mark_typed(t, obj, ty->id);
	else if (!CS_PUSH(s->v, s->n, s->cap, ((struct proposal){ obj, ty->id, PROP_TYPE })))
		*known = false;	/* out of memory: the commit will do it */
}

/* The object value points into, typed as ty. */
static void assign_at(struct typer *t, struct share *s, const struct hs_type *ty,
		      uint64_t value, bool *known)
{
	if (ty)
		assign(t, s, hs_heap_find(t->h, value), ty, value, known);
}

static const struct hs_type *type_at(struct typer *t, const struct share *s, uint64_t addr,
				     bool *known)
{
	if (!s)
		return hs_type_at(t->p, addr);
	bool pending;
	const struct hs_type *ty = hs_type_known(t->p, addr, &pending);
	*known &= !pending;
	return ty;
}

static const struct hs_type *synth_at(struct typer *t, const struct share *s, unsigned role,
				      uint64_t for_type, const char *fmt, const char *arg,
				      uint64_t size, bool *known)
{
	if (!s)
		return synth_get(t, role, for_type, fmt, arg, size);
	const struct hs_type *ty = synth_find(t, role, for_type);
	*known &= ty != NULL;
	return ty;
}

/* A closure is typed by its code pointer: a type made up, so never in a
 * share. */
static void assign_closure(struct typer *t, struct share *s, uint32_t obj, bool *known)
{
	if (obj == HS_NONE || rg_bit(t->typed, obj))
		return;
	if (s) {
		*known = false;
		return;
	}
	uint64_t fn;
	struct cs_error *err = cw_read_u64(hs_program_core(t->p), obj_addr(t, obj), &fn);
	if (err) {
		cs_error_destroy(err);
		return;
	}
	assign(t, NULL, obj, hs_closure_type(t->p, fn, hs_object_size(t->h, obj)),
	       obj_addr(t, obj), NULL);
}

/* Type the target tgt (the object value points into) of a word whose
 * static type is ft (inner: offset of the word within ft). */
static void assign_target(struct typer *t, struct share *s, const struct hs_type *ft,
			  uint64_t inner, uint64_t word_addr, uint64_t value, uint32_t tgt,
			  bool *known)
{
	struct hs_program *p = t->p;
	if (!ft || tgt == HS_NONE || rg_bit(t->typed, tgt))
		return;
	switch (ft->kind) {
	case HS_KIND_PTR:
	case HS_KIND_SLICE:
		if (inner == 0)
			assign(t, s, tgt, type_at(t, s, ft->elem, known), value, known);
		break;
	case HS_KIND_STRING:
		if (inner == 0)
			assign(t, s, tgt, t->string_type, value, known);
		break;
	case HS_KIND_MAP: {
		bool swiss = hs_program_swiss_maps(p);
		const struct hs_type *hdr = synth_at(
			t, s, swiss ? HS_SYNTH_SWISSMAP : HS_SYNTH_HMAP, ft->addr,
			swiss ? "maps.Map(%s)" : "runtime.hmap(%s)", ft->name,
			hs_program_map_header_size(p), known);
		assign(t, s, tgt, hdr, value, known);
		break;
	}
	case HS_KIND_CHAN: {
		const struct hs_type *hc = synth_at(t, s, HS_SYNTH_HCHAN, ft->addr,
						    "runtime.hchan(%s)", ft->name,
						    hs_program_hchan_size(p), known);
		assign(t, s, tgt, hc, value, known);
		break;
	}
	case HS_KIND_FUNC:
		if (value == obj_addr(t, tgt))
			assign_closure(t, s, tgt, known);
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
		const struct hs_type *dyn = type_at(t, s, dyn_addr, known);
		if (!dyn)
			break;
		if (!dyn->direct_iface)
			assign(t, s, tgt, dyn, value, known);
		else if (dyn->kind == HS_KIND_PTR)
			assign(t, s, tgt, type_at(t, s, dyn->elem, known), value, known);
		else if (dyn->kind == HS_KIND_FUNC)
			assign_closure(t, s, tgt, known);
		else if (dyn->kind == HS_KIND_MAP || dyn->kind == HS_KIND_CHAN)
			assign_target(t, s, dyn, 0, word_addr, value, tgt, known);
		break;
	}
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Visiting typed objects                                              */
/* ------------------------------------------------------------------ */

struct visit_ctx {
	struct typer *t;
	uint32_t obj;
	uint64_t base;			/* its address */
	const uint8_t *mem;		/* its bytes */
	const struct hs_type *ty;
	/* A classic map bucket's overflow word points to another bucket of
	 * the same type, whatever its static type (a *bucket, a uintptr or an
	 * unsafe.Pointer): its offset in the bucket, or UINT64_MAX when ty is
	 * no such bucket. */
	uint64_t overflow;
};

/* The offset of the overflow field of a classic map bucket type
 * ("map.bucket[K]V"), or UINT64_MAX. */
static uint64_t bucket_overflow(const struct hs_type *ty)
{
	if (ty->kind != HS_KIND_STRUCT || strncmp(ty->name, "map.bucket[", 11) != 0)
		return UINT64_MAX;
	for (uint32_t i = 0; i < ty->nfields; i++)
		if (strcmp(ty->fields[i].name, "overflow") == 0)
			return ty->fields[i].offset;
	return UINT64_MAX;
}

/* The pointer word at off (holding value) of a typed object points into
 * the untyped object tgt: type tgt by the word's static type. */
static void visit_word(struct visit_ctx *c, struct share *s, uint64_t off, uint64_t value,
		       uint32_t tgt, bool *known)
{
	const struct hs_type *ty = c->ty;
	uint64_t inner = off % ty->size, fin;
	const struct hs_type *ft = field_at_cached(c->t, s, ty, inner, &fin, known);
	if (ft)
		assign_target(c->t, s, ft, fin, c->base + off, value, tgt, known);
	if (inner == c->overflow)
		assign(c->t, s, tgt, ty, value, known);
}

static uint64_t read_word(struct typer *t, uint64_t addr)
{
	uint64_t v = 0;
	struct cs_error *err = cw_read_u64(hs_program_core(t->p), addr, &v);
	cs_error_destroy(err);
	return err ? 0 : v;
}

/* The objects a synthetic one (map header, directory, table, channel)
 * points to, typed by the type it stands for. */
static void visit_synthetic(struct typer *t, struct share *s, uint32_t obj,
			    const struct hs_type *ty, bool *known)
{
	uint64_t base = obj_addr(t, obj);
	const struct hs_type *mt = type_at(t, s, ty->for_type, known);
	if (!mt)
		return;
	struct hs_map_layout ml;
	hs_program_map_layout(t->p, &ml);
	switch (ty->role) {
	case HS_SYNTH_HMAP: {
		const struct hs_type *bt = type_at(t, s, mt->map.group, known);
		assign_at(t, s, bt, read_word(t, base + ml.hmap_buckets), known);
		assign_at(t, s, bt, read_word(t, base + ml.hmap_oldbuckets), known);
		break;
	}
	case HS_SYNTH_SWISSMAP: {
		uint64_t dir = read_word(t, base + ml.map_dirptr);
		uint64_t dirlen = read_word(t, base + ml.map_dirlen);
		const struct hs_type *gt = type_at(t, s, mt->map.group, known);
		if (dirlen == 0)
			assign_at(t, s, gt, dir, known);
		else
			assign_at(t, s, synth_at(t, s, HS_SYNTH_SWISSDIR, mt->addr,
						 "maps.directory(%s)", mt->name, 8, known),
				  dir, known);
		break;
	}
	case HS_SYNTH_SWISSDIR: {
		const struct hs_type *tt = synth_at(t, s, HS_SYNTH_SWISSTABLE, mt->addr,
						    "maps.table(%s)", mt->name, ml.table_size,
						    known);
		uint64_t n = hs_object_size(t->h, obj) / 8;
		for (uint64_t i = 0; tt && i < n && i < (1u << 20); i++)
			assign_at(t, s, tt, read_word(t, base + i * 8), known);
		break;
	}
	case HS_SYNTH_SWISSTABLE:
		assign_at(t, s, type_at(t, s, mt->map.group, known),
			  read_word(t, base + ml.table_groups_data), known);
		break;
	case HS_SYNTH_HCHAN: {
		uint64_t buf = read_word(t, base + ml.hchan_buf);
		if (buf != base + ml.hchan_size)	/* else the buffer is in the hchan's block */
			assign_at(t, s, type_at(t, s, mt->elem, known), buf, known);
		break;
	}
	default:
		break;
	}
}

/* The visit of obj's words: false when they cannot teach anything (the
 * object has no pointers or its bytes are not in the dump).  Reads only. */
static bool visit_start(struct typer *t, uint32_t obj, const struct hs_type *ty,
			struct visit_ctx *c)
{
	const struct rg_graph *g = t->g;
	if (g->first[obj] == g->first[obj + 1])
		return false;
	uint64_t base = obj_addr(t, obj);
	const uint8_t *mem = cw_peek(hs_program_core(t->p), base, (size_t)hs_object_size(t->h, obj));
	*c = (struct visit_ctx){ t, obj, base, mem, ty, bucket_overflow(ty) };
	return mem != NULL;
}

/* The word of edge k, and its offset in the object. */
static uint64_t edge_word(const struct visit_ctx *c, uint32_t k, uint64_t *off)
{
	uint64_t value;
	*off = (uint64_t)c->t->g->edge_words[k] * 8;
	memcpy(&value, c->mem + *off, sizeof(value));
	return value;
}

/* A proposal to do at commit what a share could not; false when out of
 * memory. */
static bool defer(struct share *s, size_t n0, struct proposal p)
{
	s->n = n0;	/* what it proposed on the way is dropped */
	return CS_PUSH(s->v, s->n, s->cap, p);
}

/* Visit the typed object obj: type (or, in a share, propose types for)
 * the untyped objects it points to.  In a share, a synthetic object or a
 * word that needs what is not known is deferred to the commit.  False
 * only when a share is out of memory. */
static bool visit(struct typer *t, struct share *s, uint32_t obj)
{
	const struct hs_type *ty = hs_type_by_id(t->p, t->objs[obj].type);
	if (!ty || !ty->size)
		return true;
	if (ty->synthetic && ty->role != HS_SYNTH_CLOSURE) {
		bool known = true;
		size_t n0 = s ? s->n : 0;
		visit_synthetic(t, s, obj, ty, &known);
		return known || defer(s, n0, (struct proposal){ obj, 0, PROP_OBJECT });
	}
	/* The graph's edges are this object's pointers, found once; only
	 * the untyped targets can learn anything. */
	struct visit_ctx c;
	if (!visit_start(t, obj, ty, &c))
		return true;
	const struct rg_graph *g = t->g;
	for (uint32_t k = g->first[obj], e = g->first[obj + 1]; k < e; k++) {
		if (k + 4 < e) {
			__builtin_prefetch(&t->typed[g->edges[k + 4] / 64]);
			__builtin_prefetch(&t->objs[g->edges[k + 4]]);
		}
		uint32_t tgt = g->edges[k];
		if (rg_bit(t->typed, tgt))
			continue;
		bool known = true;
		size_t n0 = s ? s->n : 0;
		uint64_t off, value = edge_word(&c, k, &off);
		visit_word(&c, s, off, value, tgt, &known);
		if (!known && !defer(s, n0, (struct proposal){ obj, k, PROP_EDGE }))
			return false;
	}
	return true;
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
/* Visiting in threads                                                 */
/* ------------------------------------------------------------------ */

/*
 * A round is SHARES_PER_THREAD shares per thread, of the level's objects
 * in order, each of SHARE_EDGES edges or SHARE_OBJECTS objects, and the
 * threads take shares in turn until none is left (so a slow share does
 * not hold the others up).  A round is short, so that a field first met
 * in it is deferred a bounded number of times before its answer is
 * remembered.  Threads only read (the visit in a share, above): where the
 * answer needs only what is known (a remembered field answer, decoded and
 * made up types), the thread proposes "type the target as id"; where it
 * would decode or make up a type, or ask a field for the first time, it
 * proposes to visit that word, or that synthetic object, at commit.  Then
 * the calling thread commits the shares in order, skipping targets typed
 * by then.  So the first proposal in the level's order wins, as in the
 * serial visit, and types are decoded and made up in the serial order:
 * their ids are the same too.
 *
 * Each share's proposals (about 100 KB) are kept from round to round.
 * malloc does not give all of them back to the system when they are
 * freed, and they count against the peak of later phases: 64 shares
 * added 8 MB to it, hence few shares.
 */
#define SHARE_OBJECTS (1u << 14)
#define SHARE_EDGES (1u << 13)
#define SHARES_PER_THREAD 8

struct round {
	struct share *sh;
	unsigned n, cap;
	atomic_uint next;
};

/* One share.  Out of memory, it stops at an object boundary; the commit
 * visits the rest itself. */
static void propose_share(struct share *s)
{
	s->n = 0;
	for (s->done = s->lo; s->done < s->hi; s->done++) {
		size_t n0 = s->n;
		visit_ahead(s->t, s->done, s->hi);
		if (!visit(s->t, s, s->t->queue[s->done])) {
			s->n = n0;
			break;
		}
	}
}

/* Ask for what committing s->v[i] will read at random.  A type proposal
 * writes its target's record and bit.  A deferred word reads its target's
 * bit, record, address and span (fits): the target is known only from
 * the edge, so in three stages, as in visit_ahead. */
static void commit_ahead(const struct typer *t, const struct share *s, size_t i)
{
	const struct rg_graph *g = t->g;
	const struct hs_span *spans = hs_heap_spans(t->h);
	if (i + 2 * RG_AHEAD < s->n && s->v[i + 2 * RG_AHEAD].kind == PROP_EDGE)
		__builtin_prefetch(&g->edges[s->v[i + 2 * RG_AHEAD].y]);
	if (i + RG_AHEAD < s->n) {
		const struct proposal *p = &s->v[i + RG_AHEAD];
		if (p->kind == PROP_TYPE) {
			__builtin_prefetch(&t->typed[p->x / 64], 1);
			__builtin_prefetch(&t->objs[p->x], 1);
		} else if (p->kind == PROP_EDGE) {
			uint32_t tgt = g->edges[p->y];
			__builtin_prefetch(&t->typed[tgt / 64]);
			__builtin_prefetch(&t->objs[tgt]);
			if (t->addr)
				__builtin_prefetch(&t->addr[tgt]);
		}
	}
	if (i + RG_AHEAD / 2 < s->n && s->v[i + RG_AHEAD / 2].kind == PROP_EDGE) {
		uint32_t tgt = g->edges[s->v[i + RG_AHEAD / 2].y];
		__builtin_prefetch(&spans[t->objs[tgt].span]);
	}
}

static void commit_share(struct typer *t, const struct share *s)
{
	struct visit_ctx c = { .obj = HS_NONE };
	for (size_t i = 0; i < s->n; i++) {
		commit_ahead(t, s, i);
		const struct proposal *p = &s->v[i];
		if (p->kind == PROP_TYPE) {
			if (!rg_bit(t->typed, p->x))
				mark_typed(t, p->x, p->y);
		} else if (p->kind == PROP_OBJECT) {
			visit(t, NULL, p->x);
		} else if ((c.obj == p->x && c.mem) ||
			   visit_start(t, p->x, hs_type_by_id(t->p, t->objs[p->x].type), &c)) {
			uint32_t tgt = t->g->edges[p->y];
			uint64_t off, value = edge_word(&c, p->y, &off);
			if (!rg_bit(t->typed, tgt))
				visit_word(&c, NULL, off, value, tgt, NULL);
		}
	}
	for (size_t q = s->done; q < s->hi; q++)
		visit(t, NULL, t->queue[q]);
}

static void propose_thread(void *arg, unsigned k)
{
	(void)k;
	struct round *r = arg;
	for (unsigned i; (i = atomic_fetch_add(&r->next, 1)) < r->n;)
		propose_share(&r->sh[i]);
}

/* Visit the level [t->head, level_end) in rounds, in np threads. */
static void visit_level_split(struct typer *t, size_t level_end, struct round *r, unsigned np)
{
	const uint32_t *first = t->g->first;
	while (t->head < level_end) {
		size_t q = t->head;
		for (r->n = 0; r->n < r->cap && q < level_end; r->n++) {
			struct share *s = &r->sh[r->n];
			uint64_t edges = 0;
			for (s->lo = q; q < level_end && q - s->lo < SHARE_OBJECTS && edges < SHARE_EDGES; q++)
				edges += first[t->queue[q] + 1] - first[t->queue[q]];
			s->hi = q;
		}
		atomic_store(&r->next, 0);
		cs_run_threads(np, propose_thread, r);
		for (unsigned k = 0; k < r->n; k++)
			commit_share(t, &r->sh[k]);
		t->head = q;
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
				assign_target(t, NULL, ft, inner, root->slot, root->value,
					      hs_heap_find(t->h, root->value), NULL);
			break;
		}
		case HS_ROOT_STACK:
			if (root->type)
				assign_target(t, NULL, hs_type_at(t->p, root->type),
					      root->type_inner, root->slot, root->value,
					      hs_heap_find(t->h, root->value), NULL);
			break;
		case HS_ROOT_FINALIZER_FN:
		case HS_ROOT_CLEANUP:
		case HS_ROOT_CTXT:
			if (obj_addr(t, t->g->root_target[i]) == root->value)
				assign_closure(t, NULL, t->g->root_target[i], NULL);
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
	 * levels, which are small: of fresh pages, the block costs little
	 * more than its bitmap, behind it (sort_tmp holds an even count:
	 * 8-byte aligned) */
	size_t words = ((size_t)g->n + 63) / 64 + 1, ntmp = ((size_t)g->n + 2) & ~(size_t)1;
	t.sort_tmp = cs_big_malloc_sparse(ntmp + 2 * words, sizeof(*t.sort_tmp));
	t.sort_bits = t.sort_tmp ? (uint64_t *)(void *)(t.sort_tmp + ntmp) : NULL;
	if (t.sort_bits)
		memset(t.sort_bits, 0, words * sizeof(*t.sort_bits));
	t.typed = cs_big_calloc(words, sizeof(*t.typed));
	t.nsynth = 1u << 16;
	t.synth = calloc(t.nsynth, sizeof(*t.synth));
	if (!t.queue || !t.sort_tmp || !t.typed || !t.synth) {
		cs_big_free(t.queue);
		cs_big_free(t.sort_tmp);
		cs_big_free(t.typed);
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
	/* (the serial visit when the shares cannot be had) */
	unsigned np = CS_MIN(rg_threads(g), CS_MAX_THREADS);
	struct round r = { .cap = SHARES_PER_THREAD * np };
	r.sh = np > 1 ? aligned_alloc(64, r.cap * sizeof(*r.sh)) : NULL;
	for (unsigned k = 0; r.sh && k < r.cap; k++)
		r.sh[k] = (struct share){ .t = &t };
	while (t.head < t.tail) {
		/* (each object is queued once: there is no repeat to drop) */
		t.tail = t.head + cs_sort_unique_u32(t.queue + t.head, t.tail - t.head,
						     t.sort_bits, t.sort_tmp);
		size_t level_end = t.tail;
		if (r.sh) {
			visit_level_split(&t, level_end, &r, np);
			continue;
		}
		while (t.head < level_end) {
			visit_ahead(&t, t.head, level_end);
			visit(&t, NULL, t.queue[t.head++]);
		}
	}
	for (unsigned k = 0; r.sh && k < r.cap; k++)
		free(r.sh[k].v);
	free(r.sh);
	cs_big_free(t.addr);
	cs_big_free(t.sort_tmp);	/* and sort_bits */
	cs_big_free(t.typed);
	cs_big_free(t.queue);
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
	return hs_type_elements(t, hs_object_size(g->h, i));
}
