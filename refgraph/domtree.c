/*
 * domtree.c — the dominator tree, laid out once as its depth-first walk.
 *
 * Walks over tens of millions of objects are bound by memory latency:
 * chasing children and reading each object's record costs cache misses
 * in random order.  The walk order, each object's type and the extent of
 * its subtree are computed once, in one such pass; every later walk then
 * reads three arrays front to back.  Children are not stored: those of
 * walk position k are at k+1, pre_end[k+1], ... up to pre_end[k].  A
 * command may release the layout to make room (rg_domtree_release); the
 * next use lays it out again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

void rg_domtree_free(struct rg_domtree *t)
{
	if (!t)
		return;
	free(t->order);
	free(t->pre);
	free(t->pre_type);
	free(t->pre_end);
	free(t->pos);
	free(t->tops);
	free(t->gfirst);
	free(t->gtops);
	memset(t, 0, sizeof(*t));
}

/* The live objects by depth in the tree, when the dominators' order is
 * gone (the layout was released): each depth by climbing to the first
 * object whose depth is known, then a counting sort. */
static bool order_by_depth(const struct rg_graph *g, struct rg_domtree *t)
{
	size_t n = (size_t)g->n + 1;
	uint32_t *depth = malloc(n * sizeof(*depth));
	uint32_t *path = malloc(n * sizeof(*path));
	uint32_t *count = NULL, maxd = 0;
	if (!depth || !path)
		goto fail;
	memset(depth, 0xff, n * sizeof(*depth));
	for (uint32_t v = 0; v < g->n; v++) {
		if (g->idom[v] == HS_NONE || depth[v] != HS_NONE)
			continue;
		/* idom chains are acyclic: at most n steps */
		uint32_t np = 0, x = v;
		while (RG_IS_OBJECT(x) && depth[x] == HS_NONE && np < g->n) {
			path[np++] = x;
			x = g->idom[x];
		}
		uint32_t d = RG_IS_OBJECT(x) && depth[x] != HS_NONE ? depth[x] + 1 : 0;
		while (np)
			depth[path[--np]] = d++;
		if (d > maxd)
			maxd = d;
	}
	count = calloc((size_t)maxd + 2, sizeof(*count));
	if (!count)
		goto fail;
	for (uint32_t v = 0; v < g->n; v++)
		if (depth[v] != HS_NONE)
			count[depth[v] + 1]++;
	for (uint32_t d = 0; d < maxd; d++)
		count[d + 1] += count[d];
	t->norder = count[maxd];
	for (uint32_t v = 0; v < g->n; v++)
		if (depth[v] != HS_NONE)
			path[count[depth[v]]++] = v;
	t->order = path;
	free(depth);
	free(count);
	return true;
fail:
	free(depth);
	free(path);
	return false;
}

/* The layout from the live objects in an order that puts each after its
 * immediate dominator (t->order), without children lists: subtree sizes
 * bottom-up, each child's offset among its siblings in index order, then
 * positions top-down.  Four arrays of n words at a time, the size of the
 * result; the walk is the depth-first one that enters children, and the
 * subtrees of objects no object dominates (tops), in index order. */
static struct cs_error *build(const struct rg_graph *g, struct rg_domtree *t)
{
	const struct hs_object *objs = hs_heap_objects(g->h);
	const uint32_t *idom = g->idom;
	size_t n = (size_t)g->n + 1;
	if (!t->order && !order_by_depth(g, t))
		return &cs_error_nomem;
	uint32_t *order = t->order, norder = t->norder;
	/* by object until the end: size then position; sibling offset; the
	 * running size of the children so far, then the subtree's end */
	uint32_t *pos = malloc(n * sizeof(*pos));
	uint32_t *off = malloc(n * sizeof(*off));
	uint32_t *end = calloc(n, sizeof(*end));
	size_t captops = 0;
	if (!pos || !off || !end)
		goto nomem;
	memset(pos, 0xff, n * sizeof(*pos));	/* HS_NONE: dead */
	for (uint32_t k = 0; k < norder; k++)
		pos[order[k]] = 1;
	for (uint32_t k = norder; k-- > 0;) {
		uint32_t d = idom[order[k]];
		if (RG_IS_OBJECT(d))
			pos[d] += pos[order[k]];
	}
	uint32_t top_end = 0;
	for (uint32_t v = 0; v < g->n; v++) {
		if (pos[v] == HS_NONE)
			continue;
		uint32_t d = idom[v];
		if (RG_IS_OBJECT(d)) {
			off[v] = end[d];
			end[d] += pos[v];
			continue;
		}
		struct rg_top top = { top_end, RG_IS_GROUP(d) ? d - RG_GROUP_NODE(0) : HS_NONE };
		if (!CS_PUSH(t->tops, t->ntops, captops, top))
			goto nomem;
		off[v] = top_end;
		top_end += pos[v];
	}
	for (uint32_t k = 0; k < norder; k++) {
		uint32_t v = order[k], d = idom[v];
		uint32_t p = RG_IS_OBJECT(d) ? pos[d] + 1 + off[v] : off[v];
		end[v] = p + pos[v];
		pos[v] = p;
	}
	/* From object order to walk order: order becomes pre, off pre_end. */
	for (uint32_t v = 0; v < g->n; v++) {
		if (pos[v] == HS_NONE)
			continue;
		order[pos[v]] = v;
		off[pos[v]] = end[v];
	}
	free(end);
	t->order = NULL;
	t->pre = order;
	t->pre_end = off;
	t->pos = pos;
	t->npre = norder;
	t->pre_type = malloc(n * sizeof(*t->pre_type));
	if (!t->pre_type)
		return &cs_error_nomem;
	for (uint32_t k = 0; k < norder; k++)
		t->pre_type[k] = objs[t->pre[k]].type;
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
	free(pos);
	free(off);
	free(end);
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

void rg_domtree_release(const struct rg_graph *g)
{
	if (g->domtree)
		rg_domtree_free(g->domtree);
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
