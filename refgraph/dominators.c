/*
 * dominators.c — immediate dominators by the Semi-NCA algorithm:
 * semidominators as in Lengauer–Tarjan ("A fast algorithm for finding
 * dominators in a flowgraph", 1979, the simple variant with path
 * compression), then each idom as the nearest common ancestor of the DFS
 * parent and the semidominator in the tree built so far, in preorder
 * (Georgiadis, "Linear-time algorithms for dominators and related
 * problems", 2005).  No buckets: two arrays fewer than Lengauer–Tarjan.
 * Over index arrays in DFS-number space, the predecessors included: after
 * the DFS they are gathered once, as DFS numbers, from the successors of
 * the nodes it reached, so the semidominator loop reads them in order and
 * needs neither the node-to-number map nor special cases for the root
 * groups and classes.
 *
 * Everything is iterative: heaps hold linked lists a million nodes long,
 * and both the DFS and the path compression would otherwise recurse that
 * deep.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NONE UINT32_MAX

/* Successors of a node id: either a contiguous range of node ids
 * (super-root and classes) or a list of object indexes. */
struct succ {
	const uint32_t *list;	/* object indexes, or NULL for a range */
	uint32_t n;
	uint32_t first;		/* range start (node id) */
};

static inline void succs(const struct rg_domgraph *g, uint32_t obj0, uint32_t v,
			 struct succ *s)
{
	if (v == 0) {
		s->list = NULL;
		s->first = 1;
		s->n = RG_NCLASSES;
	} else if (v <= RG_NCLASSES) {
		s->list = NULL;
		s->first = 1 + RG_NCLASSES + g->class_first[v - 1];
		s->n = g->class_first[v] - g->class_first[v - 1];
	} else if (v < obj0) {
		uint32_t gr = v - 1 - RG_NCLASSES;
		s->list = g->group_targets + g->group_first[gr];
		s->n = g->group_first[gr + 1] - g->group_first[gr];
	} else {
		uint32_t i = v - obj0;
		s->list = g->edges + g->first[i];
		s->n = g->first[i + 1] - g->first[i];
	}
}

static inline uint32_t succ_at(const struct succ *s, uint32_t obj0, uint32_t k)
{
	return s->list ? s->list[k] + obj0 : s->first + k;
}

/* Arrays over DFS numbers unless noted.  vertex and idom live in the
 * caller's order_ret and idom_ret.  ancestor starts as the DFS parent:
 * nodes are linked to their parent in decreasing DFS order, so "linked"
 * is just "number >= linked", and an unlinked node's ancestor is still
 * its parent. */
struct lt {
	uint32_t *dfn;		/* node id -> dfs number, NONE unvisited (DFS
				 * and gathering predecessors only) */
	uint32_t *vertex;	/* dfs number -> node id */
	uint32_t *semi, *ancestor, *idom;
	uint32_t *best;		/* per linked number: the least semidominator
				 * on its compressed path up the forest, the
				 * semi[label[]] of Lengauer-Tarjan (only that
				 * value is ever asked for, so it is kept
				 * instead of the label) */
	uint32_t *pfirst, *preds;	/* predecessors of k numbered above k:
					 * preds[pfirst[k] .. pfirst[k + 1]);
					 * pfirst is the semi array (below) */
	uint32_t *minpred;	/* the least predecessor of k numbered below
				 * it (at most its parent); the idom array,
				 * until k's turn in the semidominator loop */
	uint32_t linked;	/* the lowest number linked into the forest */
	uint32_t *stack, *cursor;	/* DFS only */
	uint64_t *inner;	/* DFS only: node ids with successors (root
				 * nodes, objects with edges), so that telling
				 * a leaf reads a bitmap, not the edge ranges */
	uint64_t *mark;		/* DFS only: node ids visited (a bitmap small
				 * enough to stay in cache) */
};

/* Set bits of a bitmap of n words, in order: the next one's index, or
 * SIZE_MAX past the last. */
struct bit_iter {
	const uint64_t *b;
	size_t nw, w;
	uint64_t cur;
};

static inline size_t bit_next(struct bit_iter *it)
{
	while (!it->cur) {
		if (it->w + 1 >= it->nw)
			return SIZE_MAX;
		it->cur = it->b[++it->w];
	}
	size_t i = it->w * 64 + (unsigned)__builtin_ctzll(it->cur);
	it->cur &= it->cur - 1;
	return i;
}

/*
 * The two passes of the counting sort of gather_preds, over the
 * successors of the reached nodes, for the edges into targets with node
 * ids in [lo, hi): threads given disjoint ranges of targets write
 * disjoint counters and lists, each in the order of the sources.
 *
 * The first pass goes by node id, so that the sources' edges are read in
 * order; the rest is random, asked for ahead in two stages: the targets'
 * numbers three RG_AHEAD edges ahead, then, one RG_AHEAD ahead, the words
 * the pass will update at those numbers.  It counts each edge from a
 * later number at its target, keeps the least earlier one, and marks the
 * object edges it counted in `upper` (a bit per edge, this range's own).
 */
static void count_pass(const struct rg_domgraph *g, struct lt *t, size_t n, uint32_t lo,
		       uint32_t hi, uint64_t *upper)
{
	uint32_t obj0 = rg_obj0(g);
	/* whether node w is this pass's (as an unsigned range check) */
#define MINE(w) ((uint32_t)(w) - lo < hi - lo)
	for (uint32_t v = 0; v < n; v++) {
		uint32_t k = t->dfn[v];
		if (k == NONE)
			continue;
		struct succ sc = { 0 };
		succs(g, obj0, v, &sc);
		size_t e0 = v >= obj0 ? g->first[v - obj0] : 0;
		for (uint32_t j = 0; j < sc.n; j++) {
			if (v >= obj0) {
				size_t ahead = e0 + j + RG_AHEAD;
				if (ahead + 2 * RG_AHEAD < g->first[g->nobj]) {	/* stage 1 */
					uint32_t w = g->edges[ahead + 2 * RG_AHEAD] + obj0;
					if (MINE(w))
						__builtin_prefetch(&t->dfn[w]);
				}
				if (ahead < g->first[g->nobj] && MINE(g->edges[ahead] + obj0)) {	/* stage 2 */
					uint32_t d = t->dfn[g->edges[ahead] + obj0];
					if (d != NONE) {
						__builtin_prefetch(&t->minpred[d], 1);
						__builtin_prefetch(&t->pfirst[d + 2], 1);
					}
				}
			}
			uint32_t w = succ_at(&sc, obj0, j);
			if (!MINE(w))
				continue;
			uint32_t d = t->dfn[w];
			if (d == NONE || k == d)
				continue;
			if (k < d) {
				if (k < t->minpred[d])
					t->minpred[d] = k;
			} else {
				t->pfirst[d + 2]++;
				if (v >= obj0)
					rg_setbit(upper, (uint32_t)(e0 + j));
			}
		}
	}
#undef MINE
}

/* The second pass fills the lists: the few edges of the root nodes as the
 * first pass met them, then only the object edges it marked (about 40% of
 * a heap's), through the bitmap, asking ahead as it does. */
static void fill_pass(const struct rg_domgraph *g, struct lt *t, uint32_t lo, uint32_t hi,
		      const uint64_t *upper)
{
	uint32_t obj0 = rg_obj0(g);
	for (uint32_t v = 0; v < obj0; v++) {
		uint32_t k = t->dfn[v];
		if (k == NONE)
			continue;
		struct succ sc = { 0 };
		succs(g, obj0, v, &sc);
		for (uint32_t j = 0; j < sc.n; j++) {
			uint32_t w = succ_at(&sc, obj0, j), d;
			if (w - lo < hi - lo && (d = t->dfn[w]) != NONE && d < k)
				t->preds[t->pfirst[d + 1]++] = k;
		}
	}
	size_t nw = ((size_t)g->first[g->nobj] + 63) / 64;
	if (!nw)
		return;
	struct bit_iter it = { upper, nw, 0, upper[0] };
	struct bit_iter near = it, far = it;
	size_t enear = 0, efar = 0;
	for (int i = 0; i < RG_AHEAD && enear != SIZE_MAX; i++)
		enear = bit_next(&near);
	for (int i = 0; i < 2 * RG_AHEAD && efar != SIZE_MAX; i++)
		efar = bit_next(&far);
	uint32_t v = 0;		/* the source object of edge e */
	for (size_t e; (e = bit_next(&it)) != SIZE_MAX;) {
		if (efar != SIZE_MAX) {	/* the target's number */
			__builtin_prefetch(&t->dfn[g->edges[efar] + obj0]);
			efar = bit_next(&far);
		}
		if (enear != SIZE_MAX) {	/* the cursor it will move */
			__builtin_prefetch(&t->pfirst[t->dfn[g->edges[enear] + obj0] + 1], 1);
			enear = bit_next(&near);
		}
		while (g->first[v + 1] <= e)
			v++;
		uint32_t d = t->dfn[g->edges[e] + obj0];
		t->preds[t->pfirst[d + 1]++] = t->dfn[v + obj0];
	}
}

/* The passes in threads, each over all the edges but for the targets of
 * its share of the node ids: no two write the same counter, so none
 * locks, and the result is the one-thread passes'. */
struct pred_work {
	const struct rg_domgraph *g;
	struct lt *t;
	size_t n;
	unsigned np;
	bool fill;
	uint64_t *upper[CS_MAX_THREADS];
};

static void pred_thread(void *arg, unsigned k)
{
	const struct pred_work *w = arg;
	uint32_t lo = cs_share((uint32_t)w->n, k, w->np), hi = cs_share((uint32_t)w->n, k + 1, w->np);
	if (w->fill)
		fill_pass(w->g, w->t, lo, hi, w->upper[k]);
	else
		count_pass(w->g, w->t, w->n, lo, hi, w->upper[k]);
}

/* Predecessors in DFS-number space, by counting sort over the successors
 * of the reached nodes (unreached sources are no predecessors: they
 * cannot lower a semidominator).  A predecessor numbered below the node
 * is not linked yet when the node is processed, and stands for itself:
 * only the least of those matters, kept in minpred.  The list holds the
 * ones numbered above, which back and cross edges bring: on heaps about a
 * third of the edges. */
static struct cs_error *gather_preds(const struct rg_domgraph *g, struct lt *t, size_t n,
				     uint32_t N)
{
	struct pred_work w = { g, t, n, g->threads > 1 ? CS_MIN(g->threads, CS_MAX_THREADS) : 1,
			       false, { NULL } };
	struct cs_error *err = NULL;
	size_t nw = ((size_t)g->first[g->nobj] + 63) / 64 + 1;
	for (unsigned k = 0; k < w.np; k++)
		if (!(w.upper[k] = cs_big_calloc(nw, sizeof(uint64_t))))
			err = &cs_error_nomem;
	if (err)
		goto out;
	memset(t->pfirst, 0, ((size_t)N + 2) * sizeof(uint32_t));
	memset(t->minpred, 0xff, (size_t)N * sizeof(uint32_t));
	cs_run_threads(w.np, pred_thread, &w);
	/* One count per edge, each below 2^32; their sum might not be. */
	uint64_t total = 0;
	for (uint32_t k = 0; k < N; k++) {
		total += t->pfirst[k + 2];
		if (total >= NONE) {
			err = cs_error_create(CS_ERR_UNSUPPORTED,
					      "graph too large: more than 4 billion back edges");
			goto out;
		}
		t->pfirst[k + 2] = (uint32_t)total;
	}
	t->preds = cs_big_malloc((size_t)total + 1, sizeof(uint32_t));
	if (!t->preds) {
		err = &cs_error_nomem;
		goto out;
	}
	/* pfirst[d + 1] is the fill cursor of d; it ends where d + 1 starts */
	w.fill = true;
	cs_run_threads(w.np, pred_thread, &w);
out:
	for (unsigned k = 0; k < w.np; k++)
		cs_big_free(w.upper[k]);
	return err;
}

/* Path compression without a stack: going up, each ancestor pointer of
 * the path is turned around to point at the node below it; coming back
 * down from the one nearest the forest root, each node takes the better
 * value of the node above and that node's ancestor, and the turned
 * pointer says where to go next. */
static void compress(struct lt *t, uint32_t v)
{
	uint32_t below = NONE, x = v;
	while (t->ancestor[x] >= t->linked) {
		uint32_t up = t->ancestor[x];
		t->ancestor[x] = below;
		below = x;
		x = up;
	}
	/* x is the node under the forest root; below the top of the path */
	for (uint32_t above = x, cur = below; cur != NONE;) {
		uint32_t next = t->ancestor[cur];
		if (t->best[above] < t->best[cur])
			t->best[cur] = t->best[above];
		t->ancestor[cur] = t->ancestor[above];
		above = cur;
		cur = next;
	}
}

/* The least semidominator on the path from the linked node v up to its
 * forest root, v included and the root not. */
static inline uint32_t eval(struct lt *t, uint32_t v)
{
	compress(t, v);
	return t->best[v];
}

struct cs_error *rg_dominators(const struct rg_domgraph *g, uint32_t *idom_ret,
			       uint32_t *order_ret, uint32_t *norder_ret)
{
	uint32_t obj0 = rg_obj0(g);
	uint64_t total = (uint64_t)g->nobj + obj0;
	if (total >= NONE)
		return cs_error_create(CS_ERR_UNSUPPORTED, "graph too large for 32-bit node ids");
	struct lt t = { 0 };
	size_t n = (size_t)total;
	/* Memory is the limit on big heaps: at most four arrays of n words
	 * here at a time (the DFS stack and cursors make way for the
	 * predecessors, the node-to-number map for semi and best), and the
	 * predecessors, one word per back or cross edge; two more are the
	 * caller's. */
	t.vertex = order_ret;
	t.idom = idom_ret;
	t.dfn = cs_big_malloc(n, sizeof(uint32_t));
	t.ancestor = cs_big_malloc(n, sizeof(uint32_t));
	/* (touched as deep as the DFS goes: mostly not at all) */
	t.stack = cs_big_malloc_sparse(n, sizeof(uint32_t));
	t.cursor = cs_big_malloc_sparse(n, sizeof(uint32_t));
	t.mark = cs_big_calloc(n / 64 + 1, sizeof(uint64_t));
	t.inner = cs_big_calloc(n / 64 + 1, sizeof(uint64_t));
	struct cs_error *err = NULL;
	if (!t.dfn || !t.ancestor || !t.stack || !t.cursor || !t.mark || !t.inner) {
		err = &cs_error_nomem;
		goto out;
	}
	memset(t.dfn, 0xff, n * sizeof(uint32_t));
	for (uint32_t v = 0; v < n; v++)
		if (v < obj0 || g->first[v - obj0] != g->first[v - obj0 + 1])
			rg_setbit(t.inner, v);

	/* Iterative DFS from the super-root, numbering in preorder. */
	uint32_t N = 0, sp = 0;
	t.dfn[0] = N;
	t.mark[0] |= 1;
	t.vertex[N] = 0;
	t.ancestor[N] = NONE;
	N++;
	t.stack[sp] = 0;
	t.cursor[sp] = 0;
	sp++;
	while (sp) {
		uint32_t v = t.stack[sp - 1], parent = t.dfn[v], k = t.cursor[sp - 1], w = 0;
		struct succ sc = { 0 };
		succs(g, obj0, v, &sc);
		for (; k < sc.n; k++) {
			w = succ_at(&sc, obj0, k);
			if (rg_bit(t.mark, w))
				continue;
			/* w's subtree comes first, but its siblings are often
			 * leaves (a slice's elements, a map's strings) visited
			 * right after: ask for a later sibling's edge range,
			 * and then for its edges, in two stages */
			if (sc.list && k + RG_AHEAD < sc.n) {
				uint32_t x = sc.list[k + RG_AHEAD] + obj0;
				if (rg_bit(t.inner, x))
					__builtin_prefetch(&g->first[x - obj0]);
				__builtin_prefetch(&t.dfn[x], 1);
			}
			if (sc.list && k + RG_AHEAD / 2 < sc.n && g->edges) {
				uint32_t x = sc.list[k + RG_AHEAD / 2] + obj0;
				if (rg_bit(t.inner, x))
					__builtin_prefetch(&g->edges[g->first[x - obj0]]);
			}
			rg_setbit(t.mark, w);
			t.dfn[w] = N;
			t.vertex[N] = w;
			t.ancestor[N] = parent;
			N++;
			/* A leaf (half the objects of a heap) is its own
			 * subtree: done with it here, not on the stack. */
			if (rg_bit(t.inner, w))
				break;
		}
		if (k == sc.n) {
			sp--;
			continue;
		}
		t.cursor[sp - 1] = k + 1;
		t.stack[sp] = w;
		t.cursor[sp] = 0;
		sp++;
	}
	cs_big_free(t.cursor);	/* the DFS is done with them */
	cs_big_free(t.stack);
	cs_big_free(t.mark);
	cs_big_free(t.inner);
	t.cursor = t.stack = NULL;
	t.mark = t.inner = NULL;
	/* The predecessor offsets live in the semi array: the loop below
	 * reads those of k just before it gives k its semidominator. */
	t.semi = cs_big_malloc(n + 2, sizeof(uint32_t));
	t.pfirst = t.semi;
	t.minpred = t.idom;
	err = t.semi ? gather_preds(g, &t, n, N) : &cs_error_nomem;
	if (err)
		goto out;
	cs_big_free(t.dfn);
	t.dfn = NULL;
	t.best = cs_big_malloc(n, sizeof(uint32_t));
	if (!t.best) {
		err = &cs_error_nomem;
		goto out;
	}
	t.linked = N;			/* nothing linked yet */
	t.idom[0] = NONE;

	/* Numbers above k are done and have their semidominator in semi,
	 * and are linked; those up to k are not, and would stand for
	 * themselves: of those predecessors only the least counts, minpred.
	 * The list holds the ones above, linked: eval tells what they bring. */
	for (uint32_t k = N - 1, end = t.pfirst[N]; k >= 1; k--) {
		uint32_t start = t.pfirst[k], sd = t.minpred[k];
		for (uint32_t e = start; e < end; e++) {
			if (e + RG_AHEAD < end) {	/* eval's first reads */
				uint32_t p = t.preds[e + RG_AHEAD];
				__builtin_prefetch(&t.ancestor[p]);
				__builtin_prefetch(&t.best[p]);
			}
			uint32_t su = eval(&t, t.preds[e]);
			if (su < sd)
				sd = su;
		}
		end = start;
		t.semi[k] = sd;
		t.best[k] = sd;	/* k alone on its path */
		t.idom[k] = t.ancestor[k];	/* still the parent */
		t.linked = k;	/* link(parent, k) */
	}
	/* In preorder every smaller number's idom is final: climb from the
	 * parent to the first ancestor numbered at most the semidominator. */
	for (uint32_t k = 1; k < N; k++) {
		uint32_t x = t.idom[k];
		while (x > t.semi[k])
			x = t.idom[x];
		t.idom[k] = x;
	}

	*norder_ret = N;
out:
	cs_big_free(t.dfn);
	cs_big_free(t.preds);
	cs_big_free(t.semi);
	cs_big_free(t.best);
	cs_big_free(t.ancestor);
	cs_big_free(t.stack);
	cs_big_free(t.cursor);
	cs_big_free(t.mark);
	cs_big_free(t.inner);
	return err;
}
