/*
 * leaks.c — leak suspects, in the spirit of Eclipse MAT: named roots (or
 * objects shared by several roots) that alone keep a large share of the
 * live heap, each traced down the dominator tree to its accumulation
 * point (the object whose retained bytes spread over many children: the
 * map, slice or list that grows), with what those children are.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A child moves the search down while it holds this share of its
 * parent's retained bytes. */
#define DESCEND_SHARE 0.8
#define MAX_ELEMENT_TYPES 8
#define MAX_CHAIN 4096

/* A node's children in the dominator tree, in a buffer that grows. */
struct kids {
	uint32_t *v;
	uint32_t n, cap;
};

/* The children of a node (object or group node) into k, and the node's
 * retained size; false when out of memory. */
static bool children(const struct rg_graph *g, const struct rg_domtree *t, uint32_t node,
		     struct kids *k, uint64_t *retained)
{
	*retained = RG_IS_GROUP(node) ? g->group_retained[node - RG_GROUP_NODE(0)]
				      : g->retained[node];
	k->n = rg_domtree_children(t, node, k->v, k->cap);
	if (k->n <= k->cap)
		return true;
	uint32_t *v = realloc(k->v, (size_t)k->n * sizeof(*v));
	if (!v)
		return false;
	k->v = v;
	k->cap = k->n;
	rg_domtree_children(t, node, k->v, k->cap);
	return true;
}

static uint32_t largest_child(const struct rg_graph *g, const uint32_t *c, uint32_t n)
{
	uint32_t best = HS_NONE;
	for (uint32_t k = 0; k < n; k++)
		if (best == HS_NONE || g->retained[c[k]] > g->retained[best])
			best = c[k];
	return best;
}

static int etype_cmp(const void *a, const void *b)
{
	const struct rg_element_type *x = a, *y = b;
	return x->retained > y->retained ? -1 : x->retained < y->retained;
}

static bool describe(const struct rg_graph *g, const struct rg_domtree *t, struct rg_suspect *s)
{
	struct kids c = { 0 }, cc = { 0 };
	bool ok = false;
	/* Down while one child holds the bulk. */
	uint32_t v = s->node;
	uint64_t r;
	for (int depth = 0; depth < MAX_CHAIN; depth++) {
		if (!children(g, t, v, &c, &r))
			goto out;
		uint32_t big = largest_child(g, c.v, c.n);
		if (big == HS_NONE || (double)g->retained[big] < DESCEND_SHARE * (double)r)
			break;
		v = big;
	}
	s->accumulation = v;
	if (!children(g, t, v, &c, &r))
		goto out;
	s->nchildren = c.n;
	/* What the accumulation point holds, by type. */
	const struct hs_object *objs = hs_heap_objects(g->h);
	size_t ne = 0;
	for (uint32_t k = 0; k < c.n; k++) {
		uint32_t type = objs[c.v[k]].type;
		size_t e;
		for (e = 0; e < ne && s->elements[e].type != type; e++)
			;
		if (e == ne) {
			if (ne == MAX_ELEMENT_TYPES)
				continue;
			s->elements[ne++] = (struct rg_element_type){ type, 0, 0 };
		}
		s->elements[e].count++;
		s->elements[e].retained += g->retained[c.v[k]];
	}
	cs_sort(s->elements, ne, sizeof(*s->elements), etype_cmp);
	s->nelements = (uint32_t)ne;
	/* A representative of the bulk: the largest child of the type that
	 * holds the most (not an overflow bucket that happens to be big),
	 * then down through the largest children (a map's tables and group
	 * arrays, a node's payload) to an object that holds at least half of
	 * what it retains itself. */
	uint32_t rep = HS_NONE;
	for (uint32_t k = 0; k < c.n; k++)
		if ((!ne || objs[c.v[k]].type == s->elements[0].type) &&
		    (rep == HS_NONE || g->retained[c.v[k]] > g->retained[rep]))
			rep = c.v[k];
	for (int depth = 0; rep != HS_NONE && depth < MAX_CHAIN; depth++) {
		uint64_t rr;
		if (!children(g, t, rep, &cc, &rr))
			goto out;
		uint32_t big = largest_child(g, cc.v, cc.n);
		if (big == HS_NONE || hs_object_size(g->h, rep) * 2 >= rr)
			break;
		rep = big;
	}
	s->representative = rep != HS_NONE ? rep : (RG_IS_OBJECT(v) ? v : HS_NONE);
	ok = true;
out:
	free(c.v);
	free(cc.v);
	return ok;
}

static int suspect_cmp(const void *a, const void *b)
{
	const struct rg_suspect *x = a, *y = b;
	return x->retained > y->retained ? -1 : x->retained < y->retained;
}

struct cs_error *rg_leak_suspects(const struct rg_graph *g, double share,
				  struct rg_suspect **ret, size_t *n_ret)
{
	*ret = NULL;
	*n_ret = 0;
	uint64_t live = g->total_retained;
	uint64_t min = (uint64_t)(share * (double)live);
	if (min == 0)
		min = 1;
	const struct rg_domtree *t;
	struct cs_error *err = rg_domtree_get(g, &t);
	if (err)
		return err;
	struct rg_suspect *v = NULL;
	size_t n = 0, cap = 0;
	/* Named roots that alone keep the share... */
	for (uint32_t gr = 0; gr < g->ngroups; gr++) {
		if (g->group_retained[gr] < min)
			continue;
		struct rg_suspect s = { 0 };
		s.node = RG_GROUP_NODE(gr);
		s.group = gr;
		s.retained = g->group_retained[gr];
		if (!CS_PUSH(v, n, cap, s))
			goto nomem;
	}
	/* ...and objects no single root owns (shared by several). */
	for (uint32_t i = 0; i < g->n; i++) {
		if (g->retained[i] < min || !rg_bit(g->live, i) ||
		    RG_IS_OBJECT(g->idom[i]) || RG_IS_GROUP(g->idom[i]))
			continue;
		struct rg_suspect s = { 0 };
		s.node = i;
		s.group = HS_NONE;
		s.retained = g->retained[i];
		if (!CS_PUSH(v, n, cap, s))
			goto nomem;
	}
	for (size_t k = 0; k < n; k++)
		if (!describe(g, t, &v[k]))
			goto nomem;
	cs_sort(v, n, sizeof(*v), suspect_cmp);
	*ret = v;
	*n_ret = n;
	return NULL;
nomem:
	free(v);
	return &cs_error_nomem;
}
