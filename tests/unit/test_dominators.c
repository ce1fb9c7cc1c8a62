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

/* rg_dominators, its idoms by DFS number turned into node ids: idom[v]
 * is the node id of v's immediate dominator, UINT32_MAX for the
 * super-root and unreachable nodes.  num: scratch of the same size. */
static struct cs_error *dominators_by_node(const struct rg_domgraph *g, uint32_t *idom,
					   uint32_t *order, uint32_t *norder, uint32_t *num)
{
	struct cs_error *err = rg_dominators(g, num, order, norder);
	if (err)
		return err;
	for (uint32_t v = 0; v < rg_obj0(g) + g->nobj; v++)
		idom[v] = UINT32_MAX;
	for (uint32_t k = 1; k < *norder; k++)
		idom[order[k]] = order[num[k]];
	return NULL;
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
	uint32_t idom[MAXNODES], order[MAXNODES], num[MAXNODES], norder;
	bool base[MAXNODES], without[MAXNODES];
	int graphs = 0;
	for (int iter = 0; iter < 2000; iter++) {
		random_graph(&r, &t);
		struct rg_domgraph g = {
			.nobj = t.nobj, .ngroups = t.ngroups,
			.first = t.first, .edges = t.edges,
			.class_first = t.class_first,
			.group_first = t.group_first, .group_targets = t.group_targets,
			.threads = 1 + (unsigned)iter % 3,	/* the predecessor passes split, or not */
		};
		struct cs_error *err = dominators_by_node(&g, idom, order, &norder, num);
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
	uint32_t *num = malloc((n + 1 + RG_NCLASSES + 1) * sizeof(uint32_t));
	uint32_t norder = 0;
	REQUIRE(first && edges && idom && order && num, "malloc");
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
				 .group_targets = gt, .threads = 2 };
	uint32_t o0 = rg_obj0(&g);
	struct cs_error *err = dominators_by_node(&g, idom, order, &norder, num);
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
	free(num);
}

/* Shortest distance (edges) from group gr's targets to object v, or from
 * every group's when gr is HS_NONE, by a plain BFS; -1 unreachable. */
static int bfs_distance(const struct testgraph *t, uint32_t gr, uint32_t v)
{
	int dist[MAXN];
	uint32_t queue[MAXN], head = 0, tail = 0;
	for (uint32_t i = 0; i < t->nobj; i++)
		dist[i] = -1;
	uint32_t g0 = gr == HS_NONE ? 0 : gr, g1 = gr == HS_NONE ? t->ngroups : gr + 1;
	for (uint32_t k = t->group_first[g0]; k < t->group_first[g1]; k++)
		if (dist[t->group_targets[k]] < 0) {
			dist[t->group_targets[k]] = 0;
			queue[tail++] = t->group_targets[k];
		}
	while (head < tail) {
		uint32_t x = queue[head++];
		for (uint32_t e = t->first[x]; e < t->first[x + 1]; e++)
			if (dist[t->edges[e]] < 0) {
				dist[t->edges[e]] = dist[x] + 1;
				queue[tail++] = t->edges[e];
			}
	}
	return dist[v];
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* rg_path_from against a plain BFS, on random graphs: from every group
 * and from any, to every object, a path exactly as long as the shortest,
 * made of the graph's edges, starting at a target of the group it names
 * (the asked-for one) -- whether the group alone keeps the object (the
 * forward search through the dominators) or shares it (the backward one
 * over reverse edges); none where the BFS finds none. */
static void paths_are_shortest(void)
{
	struct rng r = { 777 };
	static struct testgraph t;
	uint32_t idom[MAXNODES], order[MAXNODES], num[MAXNODES], norder, oidom[MAXN];
	static struct rg_group groups[MAXG];
	static uint64_t pairs[MAXG * 4];
	static uint32_t root_group[MAXG * 4], root_target[MAXG * 4];
	int forward_cases = 0, shared_cases = 0;
	for (int iter = 0; iter < 500; iter++) {
		random_graph(&r, &t);
		struct rg_domgraph dg = {
			.nobj = t.nobj, .ngroups = t.ngroups,
			.first = t.first, .edges = t.edges,
			.class_first = t.class_first,
			.group_first = t.group_first, .group_targets = t.group_targets,
		};
		struct cs_error *err = dominators_by_node(&dg, idom, order, &norder, num);
		REQUIRE(!err, "rg_dominators: %s", err->message);
		/* the graph as rg_graph_build leaves it: idoms by object, the
		 * root nodes named as refgraph.h says */
		uint32_t o0 = obj0(&t);
		for (uint32_t i = 0; i < t.nobj; i++) {
			uint32_t d = idom[o0 + i];
			oidom[i] = d == UINT32_MAX ? HS_NONE
				   : d >= o0	    ? d - o0
				   : d == 0	    ? RG_SUPER_ROOT
				   : d <= RG_NCLASSES ? RG_CLASS_NODE(d - 1)
						      : RG_GROUP_NODE(d - 1 - RG_NCLASSES);
		}
		size_t np = 0;
		for (uint32_t c = 0; c < RG_NCLASSES; c++)
			for (uint32_t gr = t.class_first[c]; gr < t.class_first[c + 1]; gr++) {
				groups[gr] = (struct rg_group){ .cls = (uint8_t)c };
				for (uint32_t k = t.group_first[gr]; k < t.group_first[gr + 1]; k++) {
					pairs[np] = (uint64_t)t.group_targets[k] << 32 | gr;
					root_group[np] = gr;
					root_target[np] = t.group_targets[k];
					np++;
				}
			}
		qsort(pairs, np, sizeof(*pairs), u64_cmp);
		struct hs_roots roots = { .n = np };
		struct rg_reverse *rev = calloc(1, sizeof(*rev));
		REQUIRE(rev, "calloc");
		struct rg_graph g = {
			.roots = &roots, .n = t.nobj, .first = t.first, .edges = t.edges,
			.rev = rev, .nedges = t.first[t.nobj], .root_target = root_target,
			.root_group = root_group, .groups = groups, .ngroups = t.ngroups,
			.group_first = t.group_first, .group_targets = t.group_targets,
			.pairs = pairs, .npairs = np, .idom = oidom,
		};
		memcpy(g.class_first, t.class_first, sizeof(g.class_first));
		for (uint32_t v = 0; v < t.nobj; v++)
			for (uint32_t gr = 0; gr <= t.ngroups; gr++) {
				uint32_t want = gr == t.ngroups ? HS_NONE : gr;
				int d = bfs_distance(&t, want, v);
				struct rg_path p = { 0 };
				err = rg_path_from(&g, v, want, &p);
				if (d < 0) {
					REQUIRE(err && err->code == CS_ERR_NOT_FOUND,
						"graph %d: a path to %u from group %d, which does not reach it",
						iter, v, (int)want);
					cs_error_destroy(err);
					continue;
				}
				REQUIRE(!err, "graph %d: no path to %u from group %d (BFS: %d edges): %s",
					iter, v, (int)want, d, err->message);
				/* the group alone keeps v: the top of v's chain */
				uint32_t top = v;
				while (RG_IS_OBJECT(top))
					top = oidom[top];
				bool forward = want == HS_NONE || top == RG_GROUP_NODE(want);
				forward_cases += forward;
				shared_cases += !forward;
				REQUIRE(p.len == (uint32_t)d + 1 && p.objs[p.len - 1] == v,
					"graph %d: path to %u from group %d has %u objects, BFS says %d",
					iter, v, (int)want, p.len, d + 1);
				REQUIRE(want == HS_NONE || p.group == want, "graph %d: asked for group %u, got %u",
					iter, want, p.group);
				bool starts = false;
				for (uint32_t k = t.group_first[p.group]; k < t.group_first[p.group + 1]; k++)
					starts |= t.group_targets[k] == p.objs[0];
				REQUIRE(starts, "graph %d: path to %u starts at %u, not a target of group %u",
					iter, v, p.objs[0], p.group);
				REQUIRE(p.root < np && root_group[p.root] == p.group &&
					root_target[p.root] == p.objs[0],
					"graph %d: path to %u names root slot %zu", iter, v, p.root);
				for (uint32_t h = 1; h < p.len; h++) {
					bool edge = false;
					for (uint32_t e = t.first[p.objs[h - 1]]; e < t.first[p.objs[h - 1] + 1]; e++)
						edge |= t.edges[e] == p.objs[h];
					REQUIRE(edge, "graph %d: path to %u: no edge %u -> %u", iter, v,
						p.objs[h - 1], p.objs[h]);
				}
				free(p.objs);
			}
		cs_big_free(rev->first);
		cs_big_free(rev->edges);
		free(rev);
	}
	CHECK(forward_cases > 1000 && shared_cases > 1000,
	      "only %d paths from a group that alone keeps the object, %d from one that shares it",
	      forward_cases, shared_cases);
}

int main(void)
{
	check_suite = "unit/dominators";
	RUN(dominators_match_definition);
	RUN(deep_list_is_iterative);
	RUN(paths_are_shortest);
	return 0;
}
