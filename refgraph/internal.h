/*
 * internal.h — refgraph's private structures.  Only refgraph sources
 * include it.
 */
#ifndef CORESCOPE_REFGRAPH_INTERNAL_H
#define CORESCOPE_REFGRAPH_INTERNAL_H

#include "refgraph.h"

/*
 * The graph the dominator computation sees.  Node ids: 0 is the virtual
 * super-root; 1..RG_NCLASSES the root classes; then the root groups (one
 * per named root: a global variable, a goroutine, a finalizer's object),
 * sorted by class; then the objects.  Successors: super-root -> classes
 * -> their groups -> the objects the group's slots point at -> out-edges.
 * Giving every named root a node makes "what does this root retain"
 * exact, and puts the root itself on dominator chains.
 */
struct rg_domgraph {
	uint32_t nobj, ngroups;
	const uint32_t *first, *edges;		/* forward CSR over objects */
	const uint32_t *class_first;		/* RG_NCLASSES + 1: group ranges */
	const uint32_t *group_first;		/* ngroups + 1 into group_targets */
	const uint32_t *group_targets;		/* object indexes */
	unsigned threads;			/* for the predecessor passes; 0: one */
};

/* How many steps ahead the passes over tens of millions of objects ask
 * for what they will read at random (__builtin_prefetch). */
#define RG_AHEAD 16

/* The first index in pairs (sorted target << 32 | group) whose target is
 * at least t: where the groups pointing at object t start. */
static inline size_t rg_pairs_lower(const uint64_t *pairs, size_t npairs, uint32_t t)
{
	return cs_bsearch_u64(pairs, npairs, sizeof(*pairs), 0, (uint64_t)t << 32, false);
}

static inline uint32_t rg_obj0(const struct rg_domgraph *g)
{
	return 1u + RG_NCLASSES + g->ngroups;
}

/*
 * Immediate dominators over g (Semi-NCA), by DFS number: order_ret (size
 * rg_obj0(g) + nobj) gets the reachable node ids in DFS preorder, their
 * count in *norder_ret; idom_ret[k] (same size) the DFS number of the
 * immediate dominator of the node numbered k, for 0 < k < *norder_ret
 * (the super-root is number 0).  Left by number, as the tree's layout
 * reads them (numbers go in order, node ids at random).  Both arrays also
 * serve as working space, so that big heaps need at most four more words
 * per node.  Iterative throughout: a linked list of a million nodes is a
 * path a million deep.
 */
struct cs_error *rg_dominators(const struct rg_domgraph *g, uint32_t *idom_ret,
			       uint32_t *order_ret, uint32_t *norder_ret);

struct rg_graph {
	struct hs_program *p;
	struct hs_heap *h;
	const struct hs_roots *roots;
	uint32_t n;
	unsigned threads;		/* for the parallel phases */
	uint32_t *first, *edges;	/* forward CSR */
	uint32_t *edge_words;		/* per edge: the source word holding it
					 * (until types are inferred) */
	/* reverse CSR: built on demand (rg_reverse_get), for paths */
	struct rg_reverse *rev;
	uint64_t nedges;
	uint32_t *root_target;		/* per root: object index */
	uint32_t *root_group;		/* per root: group id */
	struct rg_group *groups;	/* sorted by class, then key */
	uint32_t ngroups;
	uint32_t class_first[RG_NCLASSES + 1];
	uint32_t *group_first, *group_targets;
	uint64_t *pairs;		/* (target << 32 | group) sorted */
	size_t npairs;
	uint64_t *live;			/* bitset */
	uint32_t *idom;			/* per object, in node ids */
	uint64_t *retained;		/* per object */
	uint64_t class_retained[RG_NCLASSES];
	uint64_t *group_retained;
	uint64_t total_retained;
	struct rg_totals totals;
	/* the dominator tree, built on first use (rg_domtree_get); the
	 * pointer is set at build time, so a const graph can fill it */
	struct rg_domtree *domtree;
};

/* A named root: every root slot with the same class and key. */
struct rg_group {
	uint64_t key;		/* symbol address, goroutine index, owner … */
	uint32_t first_root;	/* a representative root (for naming) */
	uint32_t nroots;
	uint8_t cls;		/* enum rg_root_class */
	uint8_t kind;		/* hs_root_kind of the representative */
};

/* The dominator tree (domtree.c), laid out as the walk of
 * rg_domtree_walk, so that walks read memory in order instead of chasing
 * children: 8 bytes per object. */
struct rg_domtree {
	bool built;
	/* Live objects in walk order (each before what it dominates):
	 * pre[k] is the object, pre_end[k] one past the last position of its
	 * subtree.  The children of position k are k + 1, pre_end[k + 1], ...
	 * up to pre_end[k]. */
	uint32_t npre;
	uint32_t *pre, *pre_end;
	/* The subtrees of objects not dominated by an object, in walk order:
	 * the first starts at pre position tops[t].start; owner is the root
	 * group that alone keeps it alive, or HS_NONE. */
	struct rg_top {
		uint32_t start, owner;
	} *tops;
	uint32_t ntops;
	/* per group gr: its subtrees are tops[gtops[gfirst[gr] .. gfirst[gr+1])] */
	uint32_t *gfirst, *gtops;
};
/* Cut the top-level subtrees, in walk order, into n runs of about equal
 * size: run k is tops [bound[k], bound[k + 1]) (bound holds n + 1). */
void rg_domtree_runs(const struct rg_domtree *t, unsigned n, uint32_t *bound);
/* The walk position where top ti starts, or npre past the last. */
static inline uint32_t rg_top_start(const struct rg_domtree *t, uint32_t ti)
{
	return ti < t->ntops ? t->tops[ti].start : t->npre;
}
/* Reverse edges: the sources pointing at object i are
 * edges[first[i] .. first[i+1]). */
struct rg_reverse {
	uint32_t *first, *edges;
};
/* The graph's reverse edges, built on the first call, in place of the
 * dominator tree's layout (rg_domtree_release). */
struct cs_error *rg_reverse_get(const struct rg_graph *g, const struct rg_reverse **ret);

/* What the tree's layout is made from: n entries, each after its
 * immediate dominator; entry k has the key order[k] (or k, without
 * order), keys below nkeys.  parent[key] is the key of its dominator's
 * entry, or the root node that dominates it (!RG_IS_OBJECT); object[key]
 * its object id (or the key, without object).  Siblings come in entry
 * order.  From the dominators: keys are the live objects' positions in
 * the DFS preorder, and parents by position.  Laid out again (released):
 * keys are object ids, the order by depth, and parents g->idom. */
struct rg_layout_in {
	uint32_t n, nkeys, ngroups;
	const uint32_t *order, *parent, *object;
};
struct cs_error *rg_domtree_build(const struct rg_graph *g, const struct rg_layout_in *in);
/* The graph's dominator tree; laid out again if it was released. */
struct cs_error *rg_domtree_get(const struct rg_graph *g, const struct rg_domtree **ret);
void rg_domtree_free(struct rg_domtree *t);
/* Free the dominator tree's layout (8 bytes per object) until the next
 * walk lays it out again, from the immediate dominators; that costs more
 * memory than the first layout did, when the retained sizes did not
 * exist yet. */
void rg_domtree_release(const struct rg_graph *g);
/* The children of a tree node in walk order, as walk positions: node is a
 * walk position or a group node.  Their count, and the first cap of them
 * in out. */
uint32_t rg_domtree_children(const struct rg_domtree *t, uint32_t node, uint32_t *out,
			     uint32_t cap);

/* types.c: infer object types (run once by rg_graph_build). */
struct cs_error *rg_infer_types(struct rg_graph *g);

static inline bool rg_bit(const uint64_t *b, uint32_t i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

static inline void rg_setbit(uint64_t *b, uint32_t i)
{
	b[i / 64] |= 1ull << (i % 64);
}

#endif
