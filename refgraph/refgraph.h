/*
 * refgraph.h — the object graph of a Go heap: edges, marking, retention
 * paths, dominators and retained sizes, type inference and edge names.
 * Prefix: rg_.
 *
 * Nodes are heap object indexes (hs_heap_objects); edges are stored CSR
 * over 32-bit indexes, forward (reverse on demand, for retention paths).
 * Edge labels are not stored: they are derived from the source object's
 * type and the pointer's offset when asked (rg_edge_name).
 */
#ifndef CORESCOPE_REFGRAPH_H
#define CORESCOPE_REFGRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "cs.h"
#include "heapscan.h"

struct rg_graph;

/* Root classes: the virtual super-root's children. */
enum rg_root_class {
	RG_CLASS_GLOBAL,
	RG_CLASS_STACK,
	RG_CLASS_FINALIZER,	/* finalizers, cleanups, weak handles, queue */
	RG_CLASS_OTHER,
	RG_NCLASSES
};
CS_PUBLIC enum rg_root_class rg_root_class_of(unsigned hs_root_kind);
CS_PUBLIC const char *rg_root_class_name(enum rg_root_class c);

/*
 * Build the graph: scan every object's pointer words, resolve targets
 * (interior pointers included) to object indexes, build the forward
 * CSR, infer types, mark from the roots, and compute dominators and
 * retained sizes.  The pointer scan runs in up to `jobs` threads (0: one per
 * CPU).  The graph borrows program, heap and roots; they must outlive it.
 */
CS_PUBLIC struct cs_error *rg_graph_build(struct hs_program *p, struct hs_heap *h,
					  const struct hs_roots *roots, unsigned jobs,
					  const struct cs_progress *prog,
					  struct rg_graph **ret) CS_MUST_CHECK;
CS_PUBLIC void rg_graph_destroy(struct rg_graph *g);

/* Objects, edges. */
CS_PUBLIC uint32_t rg_node_count(const struct rg_graph *g);
CS_PUBLIC uint64_t rg_edge_count(const struct rg_graph *g);
/* Out-edges of object i: targets[0..n). */
CS_PUBLIC const uint32_t *rg_out_edges(const struct rg_graph *g, uint32_t i,
				       uint32_t *n_ret);

/* Is object i reachable from a root? */
CS_PUBLIC bool rg_is_live(const struct rg_graph *g, uint32_t i);

struct rg_totals {
	uint64_t objects, bytes;		/* all allocated */
	uint64_t live_objects, live_bytes;
	uint64_t edges, root_edges;
	uint64_t typed_live_objects, typed_live_bytes;
};
CS_PUBLIC void rg_graph_totals(const struct rg_graph *g, struct rg_totals *ret);

/* ------------------------------------------------------------------ */
/* Dominators and retained sizes                                        */
/* ------------------------------------------------------------------ */

/* Dominator tree nodes that are not objects.  Object indexes stay below
 * 0x80000000 (RG_GROUP_NODE). */
#define RG_SUPER_ROOT 0xfffffffeu	/* virtual root above the classes */
#define RG_CLASS_NODE(c) (0xfffffff0u + (uint32_t)(c))
#define RG_GROUP_NODE(gr) (0x80000000u + (uint32_t)(gr))
#define RG_IS_OBJECT(v) ((v) < 0x80000000u)
#define RG_IS_GROUP(v) ((v) >= 0x80000000u && (v) < 0xfffffff0u)
#define RG_IS_CLASS(v) ((v) >= 0xfffffff0u && (v) < 0xfffffff0u + RG_NCLASSES)

/* The immediate dominator of a live object: another object, a root group
 * (RG_GROUP_NODE), a class (RG_CLASS_NODE) or RG_SUPER_ROOT; HS_NONE for
 * dead objects. */
CS_PUBLIC uint32_t rg_idom(const struct rg_graph *g, uint32_t i);
/* Bytes kept alive by object i alone (its dominator subtree). */
CS_PUBLIC uint64_t rg_retained(const struct rg_graph *g, uint32_t i);
/* Named roots (groups): a global variable, a goroutine, a finalizer's
 * object.  Every root slot belongs to one group. */
struct rg_group_info {
	enum rg_root_class cls;
	unsigned kind;			/* hs_root_kind */
	uint32_t nroots;
	const struct hs_root *root;	/* a representative slot */
	uint64_t retained;		/* bytes only this root keeps alive */
};
CS_PUBLIC uint32_t rg_group_count(const struct rg_graph *g);
CS_PUBLIC void rg_group(const struct rg_graph *g, uint32_t gr, struct rg_group_info *ret);
/* The group of root r (index into the hs_roots), or HS_NONE. */
CS_PUBLIC uint32_t rg_root_group(const struct rg_graph *g, size_t r);

/* Retained bytes of a root class / of everything (RG_NCLASSES). */
CS_PUBLIC uint64_t rg_class_retained(const struct rg_graph *g, enum rg_root_class c);

/* A set of type ids: bit id % 64 of bits[id / 64], for ids below n. */
struct rg_type_set {
	const uint64_t *bits;
	uint32_t n;
};

static inline bool rg_type_set_has(const struct rg_type_set *s, uint32_t id)
{
	return id < s->n && (s->bits[id / 64] >> (id % 64) & 1);
}

/* Visit the live objects in dominator-tree order: fn(obj, type, retained,
 * owner, false) before the objects it dominates, fn(obj, type, retained,
 * owner, true) after them.  type is the object's type id, retained its
 * retained bytes (rg_retained); owner is the root group that alone keeps
 * the subtree alive, HS_NONE when several roots share it.  Siblings come
 * in the order the dominators' depth-first search reached them.  With
 * `only`, just the objects of those types are visited (and only their
 * retained sizes read), still in that order; NULL visits all.
 *
 * The top-level subtrees, in walk order, are cut into nctx runs of about
 * equal size, each walked by a thread of its own (at most CS_MAX_THREADS)
 * that calls fn with ctx[k] only, so that fn needs no locks.  The caller
 * merges the contexts; results that do not depend on the order of
 * siblings come out the same as from one walk.  A subtree is never cut: a
 * heap under a single object walks in one thread.  O(objects),
 * iterative; it reads the tree's layout (8 bytes per object, made with
 * the dominators; given up for reverse edges when paths are asked for,
 * and made again) in order. */
typedef void (*rg_walk_fn)(void *ctx, uint32_t obj, uint32_t type, uint64_t retained,
			   uint32_t owner, bool exit);
CS_PUBLIC struct cs_error *rg_domtree_walk_split(const struct rg_graph *g,
						 const struct rg_type_set *only, rg_walk_fn fn,
						 void *const *ctx, unsigned nctx) CS_MUST_CHECK;
/* The threads the graph was built to use (its jobs, capped by its size). */
CS_PUBLIC unsigned rg_threads(const struct rg_graph *g);

/* Per type (id 0: untyped objects). */
struct rg_type_total {
	uint32_t type;
	uint64_t objects, bytes;		/* all allocated */
	uint64_t dead_objects, dead_bytes;	/* allocated but unreachable */
	uint64_t retained;	/* retained by the outermost live instances */
	/* The objects are backing arrays of the type: their average size
	 * holds two values or more (hs_type_elements). */
	bool arrays;
};
/* Totals for every type that has objects; *ret is malloc'ed. */
CS_PUBLIC struct cs_error *rg_type_totals(const struct rg_graph *g,
					  struct rg_type_total **ret,
					  size_t *n_ret) CS_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Retention paths                                                      */
/* ------------------------------------------------------------------ */

/* A path from a named root to an object: objs[0] is what the root slot
 * points at, objs[len-1] the object asked about. */
struct rg_path {
	uint32_t group;		/* root group */
	size_t root;		/* the root slot (index into hs_roots) */
	uint32_t len;
	uint32_t *objs;
};
/* The shortest paths to target from up to per_class distinct root groups
 * of each class, in order of length.  Free with rg_paths_free. */
CS_PUBLIC struct cs_error *rg_paths(const struct rg_graph *g, uint32_t target,
				    unsigned per_class, struct rg_path **ret,
				    size_t *n_ret) CS_MUST_CHECK;
CS_PUBLIC void rg_paths_free(struct rg_path *paths, size_t n);
/* A shortest path to target from root group group, or from any root
 * group when group is HS_NONE (one of the shortest: which one may differ
 * from rg_paths's first).  When the group alone keeps target alive, or
 * any group will do, it is found forward through target's dominators,
 * without the reverse edges rg_paths builds; else as rg_paths does (and
 * then, like rg_paths(g, target, 8, ...), only among 8 groups per
 * class).  CS_ERR_NOT_FOUND when there is none.  Free ret->objs. */
CS_PUBLIC struct cs_error *rg_path_from(const struct rg_graph *g, uint32_t target,
					uint32_t group, struct rg_path *ret) CS_MUST_CHECK;
/* The root group that alone keeps obj alive (the top of its dominator
 * chain), or HS_NONE when several roots share it or it is dead. */
CS_PUBLIC uint32_t rg_owner_group(const struct rg_graph *g, uint32_t obj);
/* The chain of immediate dominators of obj, nearest first, ending with
 * its root group, class or RG_SUPER_ROOT node.  Returns the count. */
CS_PUBLIC size_t rg_dominator_chain(const struct rg_graph *g, uint32_t obj,
				    uint32_t *out, size_t max);
/* The name of the hop from object from to object to (".buf", "[3]",
 * "[key "k"]", ".(T)"), malloc'ed; *off_ret gets the pointer's offset in
 * from (UINT64_MAX if no pointer was found). */
CS_PUBLIC char *rg_hop_name(const struct rg_graph *g, uint32_t from, uint32_t to,
			    uint64_t *off_ret);
/* Append the name of offset off inside object obj. */
CS_PUBLIC void rg_offset_name(const struct rg_graph *g, uint32_t obj, uint64_t off,
			      struct cs_strbuf *out);

/* ------------------------------------------------------------------ */
/* Retention chains                                                    */
/* ------------------------------------------------------------------ */

/*
 * The dominator tree folded by label: each node (super-root, class, root
 * group, live object) gets a label from the caller, and a node's chain is
 * its dominator's chain extended by its label — unless the label is
 * RG_CHAIN_NOLABEL, equal to the last one (a linked list becomes one
 * step), or the chain is already max_depth long (deeper nodes fold into
 * the deepest chain).  Chains are interned: objects with the same labels
 * on their way down share one chain id.
 */
#define RG_CHAIN_NOLABEL UINT32_MAX
#define RG_CHAIN_NONE UINT32_MAX
/* node: an object index, RG_GROUP_NODE(gr), RG_CLASS_NODE(c) or
 * RG_SUPER_ROOT.  The super-root is the empty chain; its label is the
 * step the objects no single root class dominates hang from. */
typedef uint32_t (*rg_label_fn)(void *ctx, uint32_t node);
struct rg_chains {
	uint32_t n;		/* chains; chain 0 is the empty one */
	uint32_t *parent;	/* [n] the chain one step shorter */
	uint32_t *label;	/* [n] the last step's label */
	uint16_t *depth;	/* [n] steps */
	uint32_t *of_object;	/* per object; RG_CHAIN_NONE when dead */
	uint32_t *of_group;	/* per root group */
	uint32_t of_class[RG_NCLASSES];
	uint32_t of_shared;	/* below the super-root's label */
};
CS_PUBLIC struct cs_error *rg_chains_build(const struct rg_graph *g, rg_label_fn label,
					   void *ctx, unsigned max_depth,
					   struct rg_chains *ret) CS_MUST_CHECK;
CS_PUBLIC void rg_chains_free(struct rg_chains *c);

/* ------------------------------------------------------------------ */
/* Leak suspects                                                       */
/* ------------------------------------------------------------------ */

struct rg_element_type {
	uint32_t type;		/* type id, 0 untyped */
	uint64_t count, retained;
};

/* A root group, or an object no single root owns, that keeps at least
 * the asked share of the live heap alive by itself. */
struct rg_suspect {
	uint32_t node;		/* RG_GROUP_NODE(group) or an object */
	uint32_t group;		/* the group, HS_NONE for a shared object */
	uint64_t retained;
	/* Down the dominator tree while one child holds >= 80%: the object
	 * whose bytes spread over many children (the growing map or slice),
	 * or the group itself. */
	uint32_t accumulation;
	uint32_t nchildren;
	struct rg_element_type elements[8];	/* its children by type */
	uint32_t nelements;
	/* One object typical of the bulk, for showing a path. */
	uint32_t representative;
};
/* Suspects retaining >= share (0.10 for 10%) of the live heap, largest
 * first; *ret is malloc'ed. */
CS_PUBLIC struct cs_error *rg_leak_suspects(const struct rg_graph *g, double share,
					    struct rg_suspect **ret,
					    size_t *n_ret) CS_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Types                                                               */
/* ------------------------------------------------------------------ */

/* Resolve offset off inside type t down to a field that is not a struct
 * or array: its type, the offset within it (*inner_ret), and, when path is
 * given, the Go-style path appended (".buf.data[3]").  NULL if off is in
 * padding or unknown. */
CS_PUBLIC const struct hs_type *rg_field_at(struct hs_program *p,
					    const struct hs_type *t, uint64_t off,
					    uint64_t *inner_ret, struct cs_strbuf *path);

/* The type of object i: from its malloc header, or inferred from the
 * typed pointers that reach it (rg_graph_build propagates types). */
CS_PUBLIC const struct hs_type *rg_object_type(const struct rg_graph *g, uint32_t i);
/* How many elements of that type the object holds (hs_type_elements:
 * 2 or more for slice backing arrays), 1 for plain objects, 0 if
 * untyped. */
CS_PUBLIC uint64_t rg_object_count(const struct rg_graph *g, uint32_t i);

#endif
