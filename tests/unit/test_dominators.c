/*
 * test_dominators.c — rg_dominators (Semi-NCA) against the definition,
 * on random graphs: v's dominators are exactly the nodes whose removal
 * makes v unreachable from the super-root.
 */
#include "config.h"

#include "check.h"
#include "refgraph/internal.h"

#define MAXN 120

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r, uint32_t n)
{
	r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((r->s >> 33) % n);
}

#define MAXG 12
#define MAXNODES (1 + RG_NCLASSES + MAXG + MAXN)

struct testgraph {
	uint32_t nobj, ngroups;
	uint32_t first[MAXN + 1], edges[MAXN * 8];
	uint32_t class_first[RG_NCLASSES + 1];
	uint32_t group_first[MAXG + 1], group_targets[MAXG * 4];
};

static uint32_t obj0(const struct testgraph *t)
{
	return 1 + RG_NCLASSES + t->ngroups;
}

/* Successors of node v (node ids) into out, by the definition of the
 * node kinds, independently of the implementation's accessors. */
static uint32_t node_succs(const struct testgraph *t, uint32_t v, uint32_t *out)
{
	uint32_t n = 0;
	if (v == 0) {
		for (uint32_t c = 0; c < RG_NCLASSES; c++)
			out[n++] = c + 1;
	} else if (v <= RG_NCLASSES) {
		for (uint32_t gr = t->class_first[v - 1]; gr < t->class_first[v]; gr++)
			out[n++] = 1 + RG_NCLASSES + gr;
	} else if (v < obj0(t)) {
		uint32_t gr = v - 1 - RG_NCLASSES;
		for (uint32_t k = t->group_first[gr]; k < t->group_first[gr + 1]; k++)
			out[n++] = t->group_targets[k] + obj0(t);
	} else {
		uint32_t i = v - obj0(t);
		for (uint32_t e = t->first[i]; e < t->first[i + 1]; e++)
			out[n++] = t->edges[e] + obj0(t);
	}
	return n;
}

/* Reachable set from the super-root with node x removed. */
static void reach(const struct testgraph *t, uint32_t removed, bool *seen)
{
	uint32_t total = t->nobj + obj0(t), stack[MAXNODES * 8], sp = 0;
	uint32_t out[MAXN * 8];
	memset(seen, 0, total);
	if (removed == 0)
		return;
	seen[0] = true;
	stack[sp++] = 0;
	while (sp) {
		uint32_t v = stack[--sp];
		uint32_t n = node_succs(t, v, out);
		for (uint32_t k = 0; k < n; k++)
			if (out[k] != removed && !seen[out[k]]) {
				seen[out[k]] = true;
				stack[sp++] = out[k];
			}
	}
}

static void random_graph(struct rng *r, struct testgraph *t)
{
	memset(t, 0, sizeof(*t));
	t->nobj = 1 + rnd(r, MAXN);
	uint32_t ne = 0, deg = 1 + rnd(r, 4);
	for (uint32_t i = 0; i < t->nobj; i++) {
		t->first[i] = ne;
		uint32_t d = rnd(r, deg + 1);
		/* Mostly forward edges, some back edges and self loops: lists,
		 * trees and cycles, like heaps. */
		for (uint32_t k = 0; k < d && ne < MAXN * 8; k++)
			t->edges[ne++] = rnd(r, 4) ? (i + 1 + rnd(r, 5)) % t->nobj
						   : rnd(r, t->nobj);
	}
	t->first[t->nobj] = ne;
	/* Root groups, sorted by class, each pointing at 1-4 objects (the
	 * same object from several groups too). */
	uint32_t nt = 0;
	t->ngroups = 0;
	for (uint32_t c = 0; c < RG_NCLASSES; c++) {
		t->class_first[c] = t->ngroups;
		uint32_t k = rnd(r, 4);
		for (uint32_t j = 0; j < k && t->ngroups < MAXG; j++) {
			t->group_first[t->ngroups] = nt;
			uint32_t m = 1 + rnd(r, 4);
			for (uint32_t q = 0; q < m; q++) {
				uint32_t o = rnd(r, t->nobj);
				t->group_targets[nt] = o;
				nt++;
			}
			t->ngroups++;
		}
	}
	t->class_first[RG_NCLASSES] = t->ngroups;
	t->group_first[t->ngroups] = nt;
}

static void dominators_match_definition(void)
{
	struct rng r = { 12345 };
	static struct testgraph t;
	uint32_t idom[MAXNODES], order[MAXNODES], norder;
	bool base[MAXNODES], without[MAXNODES];
	int graphs = 0;
	for (int iter = 0; iter < 2000; iter++) {
		random_graph(&r, &t);
		struct rg_domgraph g = {
			.nobj = t.nobj, .ngroups = t.ngroups,
			.first = t.first, .edges = t.edges,
			.class_first = t.class_first,
			.group_first = t.group_first, .group_targets = t.group_targets,
		};
		struct cs_error *err = rg_dominators(&g, idom, order, &norder);
		REQUIRE(!err, "rg_dominators: %s", err->message);
		graphs++;
		uint32_t total = t.nobj + obj0(&t);
		reach(&t, UINT32_MAX, base);
		/* dom[x][v]: removing x makes v unreachable. */
		static bool dom[MAXNODES][MAXNODES];
		for (uint32_t x = 0; x < total; x++) {
			reach(&t, x, without);
			for (uint32_t v = 0; v < total; v++)
				dom[x][v] = base[v] && (v == x || !without[v]);
		}
		for (uint32_t v = 1; v < total; v++) {
			if (!base[v]) {
				REQUIRE(idom[v] == UINT32_MAX, "graph %d: unreachable node %u has idom %u",
					iter, v, idom[v]);
				continue;
			}
			/* The immediate dominator: the strict dominator that
			 * every other strict dominator dominates. */
			uint32_t want = UINT32_MAX;
			for (uint32_t x = 0; x < total; x++) {
				if (x == v || !dom[x][v])
					continue;
				bool closest = true;
				for (uint32_t y = 0; y < total && closest; y++)
					if (y != v && y != x && dom[y][v] && !dom[y][x])
						closest = false;
				if (closest)
					want = x;
			}
			REQUIRE(idom[v] == want, "graph %d (%u objects): idom(%u) = %u, definition says %u",
				iter, t.nobj, v, idom[v], want);
		}
		uint32_t nreach = 0;
		for (uint32_t v = 0; v < total; v++)
			nreach += base[v];
		REQUIRE(norder == nreach, "graph %d: preorder has %u nodes, %u reachable", iter,
			norder, nreach);
	}
	CHECK(graphs == 2000, "ran %d graphs", graphs);
}

/* A deep list must not overflow any stack.  Doubly linked: each node's
 * idom is still the one before it, whatever the back pointers. */
static void deep_list_is_iterative(void)
{
	uint32_t n = 2000000;
	uint32_t *first = malloc((n + 1) * sizeof(uint32_t));
	uint32_t *edges = malloc(2 * (size_t)n * sizeof(uint32_t));
	uint32_t *idom = malloc((n + 1 + RG_NCLASSES + 1) * sizeof(uint32_t));
	uint32_t *order = malloc((n + 1 + RG_NCLASSES + 1) * sizeof(uint32_t));
	uint32_t norder = 0;
	REQUIRE(first && edges && idom && order, "malloc");
	uint32_t ne = 0;
	for (uint32_t i = 0; i < n; i++) {
		first[i] = ne;
		if (i + 1 < n)
			edges[ne++] = i + 1;
		if (i > 0)
			edges[ne++] = i - 1;
	}
	first[n] = ne;
	/* One global group pointing at the head. */
	uint32_t class_first[RG_NCLASSES + 1] = { 0, 1, 1, 1, 1 };
	uint32_t gfirst[2] = { 0, 1 }, gt[1] = { 0 };
	struct rg_domgraph g = { .nobj = n, .ngroups = 1, .first = first, .edges = edges,
				 .class_first = class_first, .group_first = gfirst,
				 .group_targets = gt };
	uint32_t o0 = rg_obj0(&g);
	struct cs_error *err = rg_dominators(&g, idom, order, &norder);
	REQUIRE(!err, "%s", err->message);
	uint32_t bad = 0;
	for (uint32_t i = 1; i < n; i++)
		bad += idom[o0 + i] != o0 + i - 1;
	CHECK(bad == 0, "%u nodes' idom is not the node before them", bad);
	CHECK(idom[o0] == 1 + RG_NCLASSES, "head idom %u (want the group)", idom[o0]);
	CHECK(norder == n + 2 + RG_NCLASSES, "DFS reached %u nodes", norder);
	free(first);
	free(edges);
	free(idom);
	free(order);
}

int main(void)
{
	check_suite = "unit/dominators";
	RUN(dominators_match_definition);
	RUN(deep_list_is_iterative);
	return 0;
}
