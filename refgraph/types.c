/*
 * types.c — the type of each object: its malloc header's type, or the
 * type inferred from the typed references that reach it.
 */
#include "config.h"

#include "internal.h"

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
