/*
 * domtree.c — children lists of the dominator tree (objects and root
 * groups), by counting sort over the idom array.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"


void rg_domtree_free(struct rg_domtree *t)
{
	free(t->first);
	free(t->child);
	free(t->gfirst);
	free(t->gchild);
}

/* Children lists of the dominator tree, objects and root groups alike
 * (counting sort over the idom array). */
struct cs_error *rg_domtree_build(const struct rg_graph *g, struct rg_domtree *t)
{
	memset(t, 0, sizeof(*t));
	t->first = calloc((size_t)g->n + 2, sizeof(*t->first));
	t->child = malloc(((size_t)g->n + 1) * sizeof(*t->child));
	t->gfirst = calloc((size_t)g->ngroups + 2, sizeof(*t->gfirst));
	t->gchild = malloc(((size_t)g->n + 1) * sizeof(*t->gchild));
	if (!t->first || !t->child || !t->gfirst || !t->gchild) {
		rg_domtree_free(t);
		return &cs_error_nomem;
	}
	for (uint32_t i = 0; i < g->n; i++) {
		uint32_t d = g->idom[i];
		if (RG_IS_OBJECT(d))
			t->first[d + 1]++;
		else if (RG_IS_GROUP(d))
			t->gfirst[d - RG_GROUP_NODE(0) + 1]++;
	}
	for (uint32_t i = 0; i < g->n; i++)
		t->first[i + 1] += t->first[i];
	for (uint32_t i = 0; i < g->ngroups; i++)
		t->gfirst[i + 1] += t->gfirst[i];
	uint32_t *fo = malloc(((size_t)g->n + 1) * sizeof(*fo));
	uint32_t *fg = malloc(((size_t)g->ngroups + 1) * sizeof(*fg));
	if (!fo || !fg) {
		free(fo);
		free(fg);
		rg_domtree_free(t);
		return &cs_error_nomem;
	}
	memcpy(fo, t->first, ((size_t)g->n + 1) * sizeof(*fo));
	memcpy(fg, t->gfirst, ((size_t)g->ngroups + 1) * sizeof(*fg));
	for (uint32_t i = 0; i < g->n; i++) {
		uint32_t d = g->idom[i];
		if (RG_IS_OBJECT(d))
			t->child[fo[d]++] = i;
		else if (RG_IS_GROUP(d))
			t->gchild[fg[d - RG_GROUP_NODE(0)]++] = i;
	}
	free(fo);
	free(fg);
	return NULL;
}


struct cs_error *rg_domtree_walk(const struct rg_graph *g, rg_walk_fn fn, void *ctx)
{
	struct rg_domtree t;
	struct cs_error *err = rg_domtree_build(g, &t);
	if (err)
		return err;
	/* Each object is pushed once and popped twice: on entry, and (bit 31
	 * set) on exit; a parallel stack carries the owner group. */
	uint32_t *stack = malloc(((size_t)g->n * 2 + 1) * sizeof(*stack));
	if (!stack) {
		rg_domtree_free(&t);
		return &cs_error_nomem;
	}
	for (uint32_t r = 0; r < g->n; r++) {
		uint32_t d = g->idom[r];
		if (d == HS_NONE || RG_IS_OBJECT(d))
			continue;	/* dead, or reached from its dominator */
		uint32_t owner = RG_IS_GROUP(d) ? d - RG_GROUP_NODE(0) : HS_NONE;
		size_t sp = 0;
		stack[sp++] = r;
		while (sp) {
			uint32_t v = stack[--sp];
			if (v & 0x80000000u) {
				fn(ctx, v & 0x7fffffffu, owner, true);
				continue;
			}
			fn(ctx, v, owner, false);
			stack[sp++] = v | 0x80000000u;
			for (uint32_t c = t.first[v]; c < t.first[v + 1]; c++)
				stack[sp++] = t.child[c];
		}
	}
	free(stack);
	rg_domtree_free(&t);
	return NULL;
}
