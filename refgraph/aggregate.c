/*
 * aggregate.c — totals per type: instances, shallow bytes, and the bytes
 * the type's outermost instances retain (an instance inside another
 * instance of the same type is not counted twice, as in Eclipse MAT).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One thread's share: its own totals and its walk's state. */
struct totals_part {
	const struct rg_graph *g;
	struct rg_type_total *t;
	uint32_t *active;	/* per type: ancestors on the path with it */
};

static void totals_visit(void *ctx, uint32_t v, uint32_t type, uint64_t retained,
			 uint32_t owner, bool exit)
{
	(void)v;
	(void)owner;
	struct totals_part *w = ctx;
	if (exit)
		w->active[type]--;
	else if (w->active[type]++ == 0)
		w->t[type].retained += retained;
}

/* Counts and bytes of part k's share of the objects. */
static void totals_count(void *arg, unsigned k)
{
	struct totals_part *w = &((struct totals_part *)arg)[k];
	const struct rg_graph *g = w->g;
	const struct hs_object *objs = hs_heap_objects(g->h);
	unsigned np = rg_threads(g);
	uint32_t lo = cs_share(g->n, k, np), hi = cs_share(g->n, k + 1, np);
	struct rg_type_total *t = w->t;
	for (uint32_t i = lo; i < hi; i++) {
		uint32_t type = objs[i].type;
		uint64_t size = hs_object_size(g->h, i);
		t[type].objects++;
		t[type].bytes += size;
		if (!rg_bit(g->live, i)) {
			t[type].dead_objects++;
			t[type].dead_bytes += size;
		}
	}
}

struct cs_error *rg_type_totals(const struct rg_graph *g, struct rg_type_total **ret,
				size_t *n_ret)
{
	const struct hs_object *objs = hs_heap_objects(g->h);
	uint32_t ntypes = 1;
	for (uint32_t i = 0; i < g->n; i++)
		if (objs[i].type >= ntypes)
			ntypes = objs[i].type + 1;
	/* Each thread counts a share of the objects and walks a share of
	 * the dominator tree into its own arrays; part 0's are the result. */
	unsigned np = rg_threads(g);
	struct totals_part part[CS_MAX_THREADS];
	void *ctx[CS_MAX_THREADS];
	struct cs_error *err = NULL;
	for (unsigned k = 0; k < np; k++) {
		part[k] = (struct totals_part){ g, calloc(ntypes, sizeof(*part[k].t)),
						calloc(ntypes, sizeof(*part[k].active)) };
		ctx[k] = &part[k];
		if (!part[k].t || !part[k].active)
			err = &cs_error_nomem;
	}
	if (!err) {
		cs_run_threads(np, totals_count, part);
		/* an instance inside another of its type is not counted again */
		err = rg_domtree_walk_split(g, NULL, totals_visit, ctx, np);
	}
	struct rg_type_total *t = part[0].t;
	for (unsigned k = 0; k < np; k++) {
		for (uint32_t i = 0; !err && k && i < ntypes; i++) {
			t[i].objects += part[k].t[i].objects;
			t[i].bytes += part[k].t[i].bytes;
			t[i].dead_objects += part[k].t[i].dead_objects;
			t[i].dead_bytes += part[k].t[i].dead_bytes;
			t[i].retained += part[k].t[i].retained;
		}
		if (k)
			free(part[k].t);
		free(part[k].active);
	}
	if (err) {
		free(t);
		return err;
	}
	for (uint32_t i = 0; i < ntypes; i++) {
		t[i].type = i;
		const struct hs_type *ty = t[i].objects ? hs_type_by_id(g->p, i) : NULL;
		t[i].arrays = ty && hs_type_elements(ty, t[i].bytes / t[i].objects) >= 2;
	}
	/* Compact to the types that have objects. */
	size_t k = 0;
	for (uint32_t i = 0; i < ntypes; i++)
		if (t[i].objects)
			t[k++] = t[i];
	*ret = t;
	*n_ret = k;
	return NULL;
}
