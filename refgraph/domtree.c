/*
 * domtree.c — the dominator tree, laid out once as its depth-first walk.
 *
 * Walks over tens of millions of objects are bound by memory latency:
 * chasing children costs cache misses in random order.  The walk order
 * and the extent of each subtree are computed once, in two passes over
 * the dominators' order; every later walk reads two arrays front to back.
 * Children are not stored: those of walk position k are at k+1,
 * pre_end[k+1], ... up to pre_end[k].  The layout is made with the
 * dominators (graph.c), before the retained sizes exist, which is when
 * memory allows its working arrays.  A command may release it to make
 * room (rg_domtree_release); the next use lays it out again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"


void rg_domtree_free(struct rg_domtree *t)
{
	if (!t)
		return;
	cs_big_free(t->pre);
	cs_big_free(t->pre_end);
	free(t->tops);
	cs_big_free(t->gfirst);
	cs_big_free(t->gtops);
	memset(t, 0, sizeof(*t));
}

/* The live objects by depth in the tree, when the dominators' order is
 * gone (the layout was released): each depth by climbing to the first
 * object whose depth is known, then a counting sort.  NULL when out of
 * memory. */
static uint32_t *order_by_depth(const struct rg_graph *g, uint32_t *norder)
{
	size_t n = (size_t)g->n + 1;
	uint32_t *depth = cs_big_malloc(n, sizeof(*depth));
	uint32_t *path = cs_big_malloc(n, sizeof(*path));
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
	*norder = count[maxd];
	for (uint32_t v = 0; v < g->n; v++)
		if (depth[v] != HS_NONE)
			path[count[depth[v]]++] = v;
	cs_big_free(depth);
	free(count);
	return path;
fail:
	cs_big_free(depth);
	cs_big_free(path);
	return NULL;
}

/* Two passes over the input, with one array by key besides the result:
 * subtree sizes bottom-up; then, top-down, each object takes its place at
 * its dominator's cursor, which moves on by the object's size, and the
 * object's size becomes its own cursor.  Subtrees under root nodes (tops)
 * follow one another from position 0.  Without in->order (the keys are
 * the entries' positions) only the dominator's entry is read at random;
 * with it, the entry's too. */
static struct cs_error *build(struct rg_domtree *t, const struct rg_layout_in *in)
{
	const uint32_t *order = in->order, *parent = in->parent, *object = in->object;
	uint32_t n = in->n;
	uint32_t *cur = cs_big_malloc((size_t)in->nkeys + 1, sizeof(*cur));
	t->pre = cs_big_malloc((size_t)n + 1, sizeof(*t->pre));
	t->pre_end = cs_big_malloc((size_t)n + 1, sizeof(*t->pre_end));
	size_t captops = 0;
	if (!cur || !t->pre || !t->pre_end)
		goto nomem;
	/* Every entry's subtree holds itself; keys not in the input are
	 * never read (a live object's dominator is live), so all of them
	 * start at 1, in order, rather than by order, at random. */
	for (uint32_t i = 0; i < in->nkeys; i++)
		cur[i] = 1;
	/* Random reads, asked for ahead: with an order, the entry's parent
	 * and cursor, then the dominator's cursor once the parent has
	 * arrived; without, the dominator's cursor. */
	for (uint32_t k = n; k-- > 0;) {
		if (order && k >= 2 * RG_AHEAD) {
			uint32_t far = order[k - 2 * RG_AHEAD], near = parent[order[k - RG_AHEAD]];
			__builtin_prefetch(&parent[far]);
			__builtin_prefetch(&cur[far]);
			if (RG_IS_OBJECT(near))
				__builtin_prefetch(&cur[near]);
		} else if (!order && k >= RG_AHEAD && RG_IS_OBJECT(parent[k - RG_AHEAD])) {
			__builtin_prefetch(&cur[parent[k - RG_AHEAD]]);
		}
		uint32_t v = order ? order[k] : k, d = parent[v];
		if (RG_IS_OBJECT(d))
			cur[d] += cur[v];
	}
	uint32_t top_end = 0;
	for (uint32_t k = 0; k < n; k++) {
		if (order && k + 2 * RG_AHEAD < n) {
			uint32_t far = order[k + 2 * RG_AHEAD], near = parent[order[k + RG_AHEAD]];
			__builtin_prefetch(&parent[far]);
			__builtin_prefetch(&cur[far]);
			if (RG_IS_OBJECT(near))
				__builtin_prefetch(&cur[near]);
		} else if (!order && k + RG_AHEAD < n && RG_IS_OBJECT(parent[k + RG_AHEAD])) {
			__builtin_prefetch(&cur[parent[k + RG_AHEAD]]);
		}
		uint32_t v = order ? order[k] : k, d = parent[v], size = cur[v], p;
		if (RG_IS_OBJECT(d)) {
			p = cur[d];
			cur[d] += size;
		} else {
			struct rg_top top = { top_end, RG_IS_GROUP(d) ? d - RG_GROUP_NODE(0) : HS_NONE };
			if (!CS_PUSH(t->tops, t->ntops, captops, top))
				goto nomem;
			p = top_end;
			top_end += size;
		}
		t->pre[p] = object ? object[v] : v;
		t->pre_end[p] = p + size;
		cur[v] = p + 1;
	}
	cs_big_free(cur);
	t->npre = n;
	/* The subtrees of each group, by counting sort over tops. */
	t->gfirst = cs_big_calloc((size_t)in->ngroups + 2, sizeof(*t->gfirst));
	t->gtops = cs_big_malloc((size_t)t->ntops + 1, sizeof(*t->gtops));
	if (!t->gfirst || !t->gtops)
		return &cs_error_nomem;
	for (uint32_t i = 0; i < t->ntops; i++)
		if (t->tops[i].owner != HS_NONE)
			t->gfirst[t->tops[i].owner + 2]++;
	for (uint32_t gr = 0; gr < in->ngroups; gr++)
		t->gfirst[gr + 2] += t->gfirst[gr + 1];
	for (uint32_t i = 0; i < t->ntops; i++)
		if (t->tops[i].owner != HS_NONE)
			t->gtops[t->gfirst[t->tops[i].owner + 1]++] = i;
	return NULL;
nomem:
	cs_big_free(cur);
	return &cs_error_nomem;
}

struct cs_error *rg_domtree_build(const struct rg_graph *g, const struct rg_layout_in *in)
{
	struct rg_domtree *t = g->domtree;
	rg_domtree_free(t);
	struct cs_error *err = build(t, in);
	if (err) {
		rg_domtree_free(t);
		return err;
	}
	t->built = true;
	return NULL;
}

struct cs_error *rg_domtree_get(const struct rg_graph *g, const struct rg_domtree **ret)
{
	struct rg_domtree *t = g->domtree;
	if (!t || !g->idom)
		return &cs_error_nomem;	/* the graph could not allocate it */
	if (!t->built) {
		uint32_t norder = 0, *order = order_by_depth(g, &norder);
		struct rg_layout_in in = { norder, g->n, g->ngroups, order, g->idom, NULL };
		struct cs_error *err = order ? rg_domtree_build(g, &in) : &cs_error_nomem;
		cs_big_free(order);
		if (err)
			return err;
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
				out[n] = t->tops[t->gtops[i]].start;
		return n;
	}
	if (node >= t->npre)
		return 0;
	for (uint32_t c = node + 1; c < t->pre_end[node]; c = t->pre_end[c], n++)
		if (n < cap)
			out[n] = c;
	return n;
}

void rg_domtree_release(const struct rg_graph *g)
{
	if (g->domtree)
		rg_domtree_free(g->domtree);
}

void rg_domtree_runs(const struct rg_domtree *t, unsigned n, uint32_t *bound)
{
	/* Run k starts at the first top-level subtree that starts at or
	 * after k/n of the walk: as even as the subtrees allow (one subtree
	 * is never split; the runs after it may be empty). */
	bound[0] = 0;
	bound[n] = t->ntops;
	for (unsigned k = 1; k < n; k++) {
		uint64_t at = (uint64_t)t->npre * k / n;
		uint32_t lo = bound[k - 1], hi = t->ntops;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (t->tops[mid].start < at)
				lo = mid + 1;
			else
				hi = mid;
		}
		bound[k] = lo;
	}
}

/* The walk in runs (rg_domtree_runs), one per context. */
struct walk_part {
	const struct rg_graph *g;
	const struct rg_domtree *t;
	const struct rg_type_set *only;	/* or NULL: every object */
	rg_walk_fn fn;
	void *const *ctx;
	const uint32_t *bound;	/* run k: tops [bound[k], bound[k + 1]) */
	bool *nomem;		/* per run */
};

static void walk_run(void *arg, unsigned run)
{
	const struct walk_part *w = arg;
	const struct rg_domtree *t = w->t;
	const struct hs_object *objs = hs_heap_objects(w->g->h);
	const uint64_t *retained = w->g->retained;
	const struct rg_type_set *only = w->only;
	rg_walk_fn fn = w->fn;
	void *ctx = w->ctx[run];
	/* Open subtrees, innermost last.  As deep as the tree, which is
	 * rarely deep: grown on demand. */
	struct open {
		uint32_t k, type;
		uint64_t retained;
	} *open = NULL;
	size_t capopen = 0;
	uint32_t tend = w->bound[run + 1];
	uint32_t kend = rg_top_start(t, tend);
	for (uint32_t ti = w->bound[run]; ti < tend; ti++) {
		uint32_t owner = t->tops[ti].owner;
		uint32_t end = rg_top_start(t, ti + 1);
		size_t sp = 0;
		for (uint32_t k = t->tops[ti].start; k < end; k++) {
			while (sp && t->pre_end[open[sp - 1].k] <= k) {
				sp--;
				fn(ctx, t->pre[open[sp].k], open[sp].type, open[sp].retained, owner,
				   true);
			}
			/* the objects' records (and, walking them all, their
			 * retained sizes) are read in random order: ask for
			 * them a few steps ahead */
			if (!only && k + RG_AHEAD < kend) {
				__builtin_prefetch(&objs[t->pre[k + RG_AHEAD]]);
				__builtin_prefetch(&retained[t->pre[k + RG_AHEAD]]);
			} else if (only) {	/* the type first, to see if it is wanted */
				if (k + 2 * RG_AHEAD < kend)
					__builtin_prefetch(&objs[t->pre[k + 2 * RG_AHEAD]]);
				if (k + RG_AHEAD < kend) {
					uint32_t x = t->pre[k + RG_AHEAD];
					if (rg_type_set_has(only, objs[x].type))
						__builtin_prefetch(&retained[x]);
				}
			}
			uint32_t v = t->pre[k], type = objs[v].type;
			if (only && !rg_type_set_has(only, type))
				continue;
			struct open o = { k, type, retained[v] };
			fn(ctx, v, o.type, o.retained, owner, false);
			if (!CS_PUSH(open, sp, capopen, o)) {
				free(open);
				w->nomem[run] = true;
				return;
			}
		}
		while (sp) {
			sp--;
			fn(ctx, t->pre[open[sp].k], open[sp].type, open[sp].retained, owner, true);
		}
	}
	free(open);
}

struct cs_error *rg_domtree_walk_split(const struct rg_graph *g, const struct rg_type_set *only,
				       rg_walk_fn fn, void *const *ctx, unsigned nctx)
{
	const struct rg_domtree *t;
	struct cs_error *err = rg_domtree_get(g, &t);
	if (err)
		return err;
	if (nctx == 0)
		return NULL;
	if (nctx > CS_MAX_THREADS)
		nctx = CS_MAX_THREADS;
	uint32_t bound[CS_MAX_THREADS + 1];
	bool nomem[CS_MAX_THREADS] = { false };
	rg_domtree_runs(t, nctx, bound);
	struct walk_part w = { g, t, only, fn, ctx, bound, nomem };
	cs_run_threads(nctx, walk_run, &w);
	for (unsigned k = 0; k < nctx; k++)
		if (nomem[k])
			return &cs_error_nomem;
	return NULL;
}
