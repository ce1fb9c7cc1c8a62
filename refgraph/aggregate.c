/*
 * aggregate.c — totals per type: instances, shallow bytes, and the bytes
 * the type's outermost instances retain (an instance inside another
 * instance of the same type is not counted twice, as in Eclipse MAT).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct totals_walk {
	const struct rg_graph *g;
	struct rg_type_total *t;
	uint32_t *active;	/* per type: ancestors on the path with it */
};

static void totals_visit(void *ctx, uint32_t v, uint32_t type, uint64_t retained,
			 uint32_t owner, bool exit)
{
	(void)v;
	(void)owner;
	struct totals_walk *w = ctx;
	if (exit)
		w->active[type]--;
	else if (w->active[type]++ == 0)
		w->t[type].retained += retained;
}

struct cs_error *rg_type_totals(const struct rg_graph *g, struct rg_type_total **ret,
				size_t *n_ret)
{
	const struct hs_object *objs = hs_heap_objects(g->h);
	uint32_t ntypes = 1;
	for (uint32_t i = 0; i < g->n; i++)
		if (objs[i].type >= ntypes)
			ntypes = objs[i].type + 1;
	struct rg_type_total *t = calloc(ntypes, sizeof(*t));
	uint32_t *active = calloc(ntypes, sizeof(*active));
	if (!t || !active) {
		free(t);
		free(active);
		return &cs_error_nomem;
	}
	for (uint32_t i = 0; i < g->n; i++) {
		uint32_t type = objs[i].type;
		uint64_t size = hs_object_size(g->h, i);
		t[type].type = type;
		t[type].objects++;
		t[type].bytes += size;
		if (!rg_bit(g->live, i)) {
			t[type].dead_objects++;
			t[type].dead_bytes += size;
		}
	}
	/* an instance inside another of its type is not counted again */
	struct totals_walk w = { g, t, active };
	struct cs_error *err = rg_domtree_walk(g, totals_visit, &w);
	free(active);
	if (err) {
		free(t);
		return err;
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
