/*
 * domtree.c — the dominator tree: children lists by counting sort over
 * the idom array, and its depth-first walk laid out once in arrays.
 *
 * Walks over tens of millions of objects are bound by memory latency:
 * chasing children and reading each object's record costs cache misses
 * in random order.  The walk order, each object's type and the extent of
 * its subtree are computed once, in one such pass; every later walk then
 * reads three arrays front to back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

void rg_domtree_free(struct rg_domtree *t)
{
	if (!t)
		return;
	free(t->first);
	free(t->child);
	free(t->gfirst);
	free(t->gchild);
	free(t->pre);
	free(t->pre_type);
	free(t->pre_end);
	free(t->tops);
	memset(t, 0, sizeof(*t));
}

static struct cs_error *build_children(const struct rg_graph *g, struct rg_domtree *t)
{
	t->first = calloc((size_t)g->n + 2, sizeof(*t->first));
	t->child = malloc(((size_t)g->n + 1) * sizeof(*t->child));
	t->gfirst = calloc((size_t)g->ngroups + 2, sizeof(*t->gfirst));
	t->gchild = malloc(((size_t)g->n + 1) * sizeof(*t->gchild));
	if (!t->first || !t->child || !t->gfirst || !t->gchild)
		return &cs_error_nomem;
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

/* Depth first from every object whose idom is not an object, children in
 * index order.  The stack holds objects to enter and, with bit 31 set,
 * walk positions to close (object ids stay below 2^31). */
static struct cs_error *build_walk(const struct rg_graph *g, struct rg_domtree *t)
{
	const struct hs_object *objs = hs_heap_objects(g->h);
	size_t n = (size_t)g->n + 1;
	t->pre = malloc(n * sizeof(*t->pre));
	t->pre_type = malloc(n * sizeof(*t->pre_type));
	t->pre_end = malloc(n * sizeof(*t->pre_end));
	uint32_t *stack = malloc(2 * n * sizeof(*stack));
	size_t captops = 0;
	if (!t->pre || !t->pre_type || !t->pre_end || !stack) {
		free(stack);
		return &cs_error_nomem;
	}
	uint32_t k = 0;
	for (uint32_t r = 0; r < g->n; r++) {
		uint32_t d = g->idom[r];
		if (d == HS_NONE || RG_IS_OBJECT(d))
			continue;	/* dead, or reached from its dominator */
		struct rg_top top = { k, RG_IS_GROUP(d) ? d - RG_GROUP_NODE(0) : HS_NONE };
		if (!CS_PUSH(t->tops, t->ntops, captops, top)) {
			free(stack);
			return &cs_error_nomem;
		}
		size_t sp = 0;
		stack[sp++] = r;
		while (sp) {
			uint32_t v = stack[--sp];
			if (v & 0x80000000u) {
				t->pre_end[v & 0x7fffffffu] = k;
				continue;
			}
			t->pre[k] = v;
			t->pre_type[k] = objs[v].type;
			stack[sp++] = k | 0x80000000u;
			k++;
			/* pushed last to first: entered in index order */
			for (uint32_t c = t->first[v + 1]; c-- > t->first[v];)
				stack[sp++] = t->child[c];
		}
	}
	t->npre = k;
	free(stack);
	return NULL;
}

struct cs_error *rg_domtree_get(const struct rg_graph *g, const struct rg_domtree **ret)
{
	struct rg_domtree *t = g->domtree;
	if (!t)
		return &cs_error_nomem;	/* the graph could not allocate it */
	if (!t->built) {
		struct cs_error *err = build_children(g, t);
		if (!err)
			err = build_walk(g, t);
		if (err) {
			rg_domtree_free(t);
			return err;
		}
		t->built = true;
	}
	*ret = t;
	return NULL;
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
