/*
 * aggregate.c — totals per type: instances, shallow bytes, and the bytes
 * the type's outermost instances retain (an instance inside another
 * instance of the same type is not counted twice, as in Eclipse MAT).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct cs_error *rg_type_totals(const struct rg_graph *g, struct rg_type_total **ret,
				size_t *n_ret)
{
	const struct hs_object *objs = hs_heap_objects(g->h);
	uint32_t ntypes = 1;
	for (uint32_t i = 0; i < g->n; i++)
		if (objs[i].type >= ntypes)
			ntypes = objs[i].type + 1;
	struct rg_type_total *t = calloc(ntypes, sizeof(*t));
	/* Dominator tree children (CSR over live objects) and a per-type count
	 * of how many ancestors on the current DFS path have that type. */
	uint32_t *cfirst = calloc((size_t)g->n + 2, sizeof(*cfirst));
	uint32_t *child = malloc(((size_t)g->n ? g->n : 1) * sizeof(*child));
	uint32_t *active = calloc(ntypes, sizeof(*active));
	uint32_t *stack = malloc(((size_t)g->n * 2 + 1) * sizeof(*stack));
	uint32_t *roots = malloc(((size_t)g->n ? g->n : 1) * sizeof(*roots));
	if (!t || !cfirst || !child || !active || !stack || !roots) {
		free(t);
		free(cfirst);
		free(child);
		free(active);
		free(stack);
		free(roots);
		return &cs_error_nomem;
	}
	uint32_t nroots = 0;
	for (uint32_t i = 0; i < g->n; i++) {
		uint32_t type = objs[i].type;
		uint64_t size = hs_object_size(g->h, i);
		t[type].type = type;
		t[type].objects++;
		t[type].bytes += size;
		if (!rg_bit(g->live, i)) {
			t[type].dead_objects++;
			t[type].dead_bytes += size;
			continue;
		}
		if (RG_IS_OBJECT(g->idom[i]))
			cfirst[g->idom[i] + 1]++;
		else
			roots[nroots++] = i;
	}
	for (uint32_t i = 0; i < g->n; i++)
		cfirst[i + 1] += cfirst[i];
	uint32_t *fill = stack;	/* reuse as a cursor array, then as the stack */
	memcpy(fill, cfirst, (size_t)g->n * sizeof(*fill));
	for (uint32_t i = 0; i < g->n; i++)
		if (rg_bit(g->live, i) && RG_IS_OBJECT(g->idom[i]))
			child[fill[g->idom[i]]++] = i;
	/* DFS; a node is pushed once and visited twice: on entry (bit 31 clear)
	 * and on exit (bit 31 set). */
	for (uint32_t r = 0; r < nroots; r++) {
		uint32_t sp = 0;
		stack[sp++] = roots[r];
		while (sp) {
			uint32_t v = stack[--sp];
			if (v & 0x80000000u) {
				active[objs[v & 0x7fffffffu].type]--;
				continue;
			}
			uint32_t type = objs[v].type;
			if (active[type]++ == 0)
				t[type].retained += g->retained[v];
			stack[sp++] = v | 0x80000000u;
			for (uint32_t c = cfirst[v]; c < cfirst[v + 1]; c++)
				stack[sp++] = child[c];
		}
	}
	free(cfirst);
	free(child);
	free(active);
	free(stack);
	free(roots);
	/* Compact to the types that have objects. */
	size_t k = 0;
	for (uint32_t i = 0; i < ntypes; i++)
		if (t[i].objects)
			t[k++] = t[i];
	*ret = t;
	*n_ret = k;
	return NULL;
}
