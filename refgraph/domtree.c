/*
 * domtree.c — the dominator tree, laid out once as its depth-first walk.
 *
 * Walks over tens of millions of objects are bound by memory latency:
 * chasing children and reading each object's record costs cache misses
 * in random order.  The walk order, each object's type and the extent of
 * its subtree are computed once, in one such pass; every later walk then
 * reads three arrays front to back.  Children are not stored: those of
 * walk position k are at k+1, pre_end[k+1], ... up to pre_end[k].
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

void rg_domtree_free(struct rg_domtree *t)
{
	if (!t)
		return;
	free(t->pre);
	free(t->pre_type);
	free(t->pre_end);
	free(t->pos);
	free(t->tops);
	free(t->gfirst);
	free(t->gtops);
	memset(t, 0, sizeof(*t));
}

/* Children lists of objects by counting sort over idom: first[] and
 * child[], needed only while the walk is laid out. */
static bool object_children(const struct rg_graph *g, uint32_t **first_ret,
			    uint32_t **child_ret)
{
	uint32_t *first = calloc((size_t)g->n + 2, sizeof(*first));
	uint32_t *child = malloc(((size_t)g->n + 1) * sizeof(*child));
	if (!first || !child) {
		free(first);
		free(child);
		return false;
	}
	for (uint32_t i = 0; i < g->n; i++)
		if (RG_IS_OBJECT(g->idom[i]))
			first[g->idom[i] + 2]++;
	for (uint32_t i = 0; i < g->n; i++)
		first[i + 2] += first[i + 1];
	/* first[d + 1] is the fill cursor of d; it ends at first[d + 2],
	 * which is where d's children end. */
	for (uint32_t i = 0; i < g->n; i++)
		if (RG_IS_OBJECT(g->idom[i]))
			child[first[g->idom[i] + 1]++] = i;
	*first_ret = first;
	*child_ret = child;
	return true;
}

static struct cs_error *build(const struct rg_graph *g, struct rg_domtree *t)
{
	const struct hs_object *objs = hs_heap_objects(g->h);
	size_t n = (size_t)g->n + 1;
	uint32_t *first = NULL, *child = NULL;
	t->pre = malloc(n * sizeof(*t->pre));
	t->pre_type = malloc(n * sizeof(*t->pre_type));
	t->pos = malloc(n * sizeof(*t->pos));
	uint32_t *stack = malloc(n * sizeof(*stack));
	size_t captops = 0;
	if (!t->pre || !t->pre_type || !t->pos || !stack || !object_children(g, &first, &child))
		goto nomem;
	/* Depth first from every object whose idom is not an object, in
	 * index order; children are pushed last to first so that they are
	 * entered in index order.  Each object is pushed once. */
	memset(t->pos, 0xff, n * sizeof(*t->pos));	/* HS_NONE: dead */
	uint32_t k = 0;
	for (uint32_t r = 0; r < g->n; r++) {
		uint32_t d = g->idom[r];
		if (d == HS_NONE || RG_IS_OBJECT(d))
			continue;	/* dead, or reached from its dominator */
		struct rg_top top = { k, RG_IS_GROUP(d) ? d - RG_GROUP_NODE(0) : HS_NONE };
		if (!CS_PUSH(t->tops, t->ntops, captops, top))
			goto nomem;
		size_t sp = 0;
		stack[sp++] = r;
		while (sp) {
			uint32_t v = stack[--sp];
			t->pos[v] = k;
			t->pre[k] = v;
			t->pre_type[k] = objs[v].type;
			k++;
			for (uint32_t c = first[v + 1]; c-- > first[v];)
				stack[sp++] = child[c];
		}
	}
	t->npre = k;
	free(stack);
	free(first);
	stack = first = NULL;
	/* Subtree sizes from the back (a dominator comes before what it
	 * dominates), in the children array, which becomes pre_end. */
	uint32_t *size = child;
	for (uint32_t p = 0; p < k; p++)
		size[p] = 1;
	for (uint32_t p = k; p-- > 1;) {
		uint32_t d = g->idom[t->pre[p]];
		if (RG_IS_OBJECT(d))
			size[t->pos[d]] += size[p];
	}
	for (uint32_t p = 0; p < k; p++)
		size[p] += p;
	t->pre_end = size;
	/* The subtrees of each group, by counting sort over tops. */
	t->gfirst = calloc((size_t)g->ngroups + 2, sizeof(*t->gfirst));
	t->gtops = malloc(((size_t)t->ntops + 1) * sizeof(*t->gtops));
	if (!t->gfirst || !t->gtops)
		return &cs_error_nomem;
	for (uint32_t i = 0; i < t->ntops; i++)
		if (t->tops[i].owner != HS_NONE)
			t->gfirst[t->tops[i].owner + 2]++;
	for (uint32_t gr = 0; gr < g->ngroups; gr++)
		t->gfirst[gr + 2] += t->gfirst[gr + 1];
	for (uint32_t i = 0; i < t->ntops; i++)
		if (t->tops[i].owner != HS_NONE)
			t->gtops[t->gfirst[t->tops[i].owner + 1]++] = i;
	return NULL;
nomem:
	free(stack);
	free(first);
	free(child);
	return &cs_error_nomem;
}

struct cs_error *rg_domtree_get(const struct rg_graph *g, const struct rg_domtree **ret)
{
	struct rg_domtree *t = g->domtree;
	if (!t)
		return &cs_error_nomem;	/* the graph could not allocate it */
	if (!t->built) {
		struct cs_error *err = build(g, t);
		if (err) {
			rg_domtree_free(t);
			return err;
		}
		t->built = true;
	}
	*ret = t;
	return NULL;
}

uint32_t rg_domtree_children(const struct rg_domtree *t, uint32_t node, uint32_t *out,
			     uint32_t cap)
{
	uint32_t n = 0;
	if (RG_IS_GROUP(node)) {
		uint32_t gr = node - RG_GROUP_NODE(0);
		for (uint32_t i = t->gfirst[gr]; i < t->gfirst[gr + 1]; i++, n++)
			if (n < cap)
				out[n] = t->pre[t->tops[t->gtops[i]].start];
		return n;
	}
	if (!RG_IS_OBJECT(node) || t->pos[node] == HS_NONE)
		return 0;
	uint32_t k = t->pos[node];
	for (uint32_t c = k + 1; c < t->pre_end[k]; c = t->pre_end[c], n++)
		if (n < cap)
			out[n] = t->pre[c];
	return n;
}

struct cs_error *rg_domtree_walk(const struct rg_graph *g, rg_walk_fn fn, void *ctx)
{
	const struct rg_domtree *t;
	struct cs_error *err = rg_domtree_get(g, &t);
	if (err)
		return err;
	/* Open subtrees, innermost last: walk positions. */
	uint32_t *open = malloc(((size_t)t->npre + 1) * sizeof(*open));
	if (!open)
		return &cs_error_nomem;
	for (uint32_t ti = 0; ti < t->ntops; ti++) {
		uint32_t owner = t->tops[ti].owner;
		uint32_t end = ti + 1 < t->ntops ? t->tops[ti + 1].start : t->npre;
		size_t sp = 0;
		for (uint32_t k = t->tops[ti].start; k < end; k++) {
			while (sp && t->pre_end[open[sp - 1]] <= k) {
				uint32_t c = open[--sp];
				fn(ctx, t->pre[c], t->pre_type[c], owner, true);
			}
			fn(ctx, t->pre[k], t->pre_type[k], owner, false);
			open[sp++] = k;
		}
		while (sp) {
			uint32_t c = open[--sp];
			fn(ctx, t->pre[c], t->pre_type[c], owner, true);
		}
	}
	free(open);
	return NULL;
}
