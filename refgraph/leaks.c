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
#define MAX_CHAIN 4096

/* Tree nodes here are walk positions in the dominator tree's layout, or
 * group nodes (RG_GROUP_NODE); positions are below 2^31. */

/* A node's children, in a buffer that grows. */
struct kids {
	uint32_t *v;
	uint32_t n, cap;
};

static uint64_t node_retained(const struct rg_graph *g, const struct rg_domtree *t, uint32_t node)
{
	return RG_IS_GROUP(node) ? g->group_retained[node - RG_GROUP_NODE(0)]
				 : g->retained[t->pre[node]];
}

/* The children of a node into k; false when out of memory. */
static bool children(const struct rg_domtree *t, uint32_t node, struct kids *k)
{
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

/* Whether position a retains more than position b, the lower object
 * index first among equals: the choice does not depend on the order
 * the layout gives siblings. */
static bool bigger(const struct rg_graph *g, const struct rg_domtree *t, uint32_t a, uint32_t b)
{
	uint64_t ra = g->retained[t->pre[a]], rb = g->retained[t->pre[b]];
	return ra != rb ? ra > rb : t->pre[a] < t->pre[b];
}

static uint32_t largest_child(const struct rg_graph *g, const struct rg_domtree *t,
			      const uint32_t *c, uint32_t n)
{
	uint32_t best = HS_NONE;
	for (uint32_t k = 0; k < n; k++)
		if (best == HS_NONE || bigger(g, t, c[k], best))
			best = c[k];
	return best;
}

static int etype_by_retained(const void *a, const void *b)
{
	const struct rg_element_type *x = a, *y = b;
	if (x->retained != y->retained)
		return x->retained > y->retained ? -1 : 1;
	return x->type < y->type ? -1 : x->type > y->type;
}

/* The children's types, the most retaining first, into s->elements;
 * false when out of memory.  A map from type to its row: a node may have
 * millions of children, of a few types. */
static bool element_types(const struct rg_graph *g, const struct rg_domtree *t,
			  const struct kids *c, struct rg_suspect *s)
{
	const struct hs_object *objs = hs_heap_objects(g->h);
	struct cs_map64 row;
	cs_map64_init(&row);
	struct rg_element_type *e = NULL;
	size_t ne = 0, cap = 0;
	bool ok = false;
	for (uint32_t k = 0; k < c->n; k++) {
		uint32_t v = t->pre[c->v[k]], type = objs[v].type;
		uint32_t r = cs_map64_get(&row, type);
		if (r == CS_MAP64_NONE) {
			r = (uint32_t)ne;
			struct rg_element_type x = { type, 0, 0 };
			if (!CS_PUSH(e, ne, cap, x) || !cs_map64_put(&row, type, r))
				goto out;
		}
		e[r].count++;
		e[r].retained += g->retained[v];
	}
	cs_sort(e, ne, sizeof(*e), etype_by_retained);
	s->nelements = (uint32_t)(ne < CS_ARRAY_SIZE(s->elements) ? ne : CS_ARRAY_SIZE(s->elements));
	if (s->nelements)	/* no children: e is NULL */
		memcpy(s->elements, e, s->nelements * sizeof(*e));
	ok = true;
out:
	free(e);
	cs_map64_deinit(&row);
	return ok;
}

/* node: where the suspect starts, a position or a group node. */
static bool describe(const struct rg_graph *g, const struct rg_domtree *t, uint32_t node,
		     struct rg_suspect *s)
{
	struct kids c = { 0 }, cc = { 0 };
	bool ok = false;
	/* Down while one child holds the bulk. */
	uint32_t v = node;
	for (int depth = 0; depth < MAX_CHAIN; depth++) {
		if (!children(t, v, &c))
			goto out;
		uint32_t big = largest_child(g, t, c.v, c.n);
		if (big == HS_NONE ||
		    (double)g->retained[t->pre[big]] < DESCEND_SHARE * (double)node_retained(g, t, v))
			break;
		v = big;
	}
	s->accumulation = RG_IS_GROUP(v) ? v : t->pre[v];
	if (!children(t, v, &c) || !element_types(g, t, &c, s))
		goto out;
	s->nchildren = c.n;
	/* A representative of the bulk: the largest child of the type that
	 * holds the most (not an overflow bucket that happens to be big),
	 * then down through the largest children (a map's tables and group
	 * arrays, a node's payload) to an object that holds at least half of
	 * what it retains itself. */
	const struct hs_object *objs = hs_heap_objects(g->h);
	uint32_t rep = HS_NONE;
	for (uint32_t k = 0; k < c.n; k++)
		if ((!s->nelements || objs[t->pre[c.v[k]]].type == s->elements[0].type) &&
		    (rep == HS_NONE || bigger(g, t, c.v[k], rep)))
			rep = c.v[k];
	for (int depth = 0; rep != HS_NONE && depth < MAX_CHAIN; depth++) {
		if (!children(t, rep, &cc))
			goto out;
		uint32_t big = largest_child(g, t, cc.v, cc.n);
		if (big == HS_NONE ||
		    hs_object_size(g->h, t->pre[rep]) * 2 >= g->retained[t->pre[rep]])
			break;
		rep = big;
	}
	s->representative = rep != HS_NONE	? t->pre[rep]
			    : !RG_IS_GROUP(v) ? t->pre[v]
					      : HS_NONE;
	ok = true;
out:
	free(c.v);
	free(cc.v);
	return ok;
}

static int suspect_cmp(const void *a, const void *b)
{
	const struct rg_suspect *x = a, *y = b;
	if (x->retained != y->retained)
		return x->retained > y->retained ? -1 : 1;
	/* groups first, then by group or object index */
	bool gx = RG_IS_GROUP(x->node), gy = RG_IS_GROUP(y->node);
	if (gx != gy)
		return gx ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
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
		if (!CS_PUSH(v, n, cap, s) || !describe(g, t, s.node, &v[n - 1]))
			goto nomem;
	}
	/* ...and objects no single root owns (shared by several): the tops
	 * of the tree no group owns. */
	for (uint32_t ti = 0; ti < t->ntops; ti++) {
		uint32_t k = t->tops[ti].start, obj = t->pre[k];
		if (t->tops[ti].owner != HS_NONE || g->retained[obj] < min)
			continue;
		struct rg_suspect s = { 0 };
		s.node = obj;
		s.group = HS_NONE;
		s.retained = g->retained[obj];
		if (!CS_PUSH(v, n, cap, s) || !describe(g, t, k, &v[n - 1]))
			goto nomem;
	}
	cs_sort(v, n, sizeof(*v), suspect_cmp);
	*ret = v;
	*n_ret = n;
	return NULL;
nomem:
	free(v);
	return &cs_error_nomem;
}
