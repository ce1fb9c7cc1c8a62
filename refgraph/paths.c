/*
 * paths.c — retention paths: the shortest chains from named roots to an
 * object, a few per root class, and its chain of dominators.
 *
 * One breadth-first search backwards from the object over reverse edges
 * finds, in order of distance, every root group that reaches it; the
 * first ones found per class are the shortest paths from that class.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Where the path from each visited object goes next, toward the target.
 * Most searches visit a few objects of millions: a hash table, until it
 * would outgrow one word per object, and then that array. */
struct next_map {
	uint32_t n;		/* objects in the graph */
	uint32_t *flat;		/* per object, UINT32_MAX unvisited; or NULL */
	uint64_t *slot;		/* (object + 1) << 32 | next; 0 empty */
	size_t cap, used;
};

static size_t nm_hash(uint32_t v, size_t cap)
{
	return (size_t)(((uint64_t)v * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

static uint32_t nm_get(const struct next_map *m, uint32_t v)
{
	if (m->flat)
		return m->flat[v];
	for (size_t k = nm_hash(v, m->cap);; k = (k + 1) & (m->cap - 1)) {
		if (!m->slot[k])
			return UINT32_MAX;
		if ((uint32_t)(m->slot[k] >> 32) == v + 1)
			return (uint32_t)m->slot[k];
	}
}

static void nm_insert(uint64_t *slot, size_t cap, uint64_t entry)
{
	size_t k = nm_hash((uint32_t)(entry >> 32) - 1, cap);
	while (slot[k])
		k = (k + 1) & (cap - 1);
	slot[k] = entry;
}

/* Record v -> next for an unvisited v.  False when out of memory. */
static bool nm_put(struct next_map *m, uint32_t v, uint32_t next)
{
	if (m->flat) {
		m->flat[v] = next;
		return true;
	}
	if (2 * (m->used + 1) > m->cap) {
		size_t cap = m->cap * 2;
		if (cap * sizeof(uint64_t) > (size_t)m->n * sizeof(uint32_t)) {
			/* as large as the array: switch to it */
			m->flat = cs_big_malloc((size_t)m->n, sizeof(*m->flat));
			if (!m->flat)
				return false;
			memset(m->flat, 0xff, (size_t)m->n * sizeof(*m->flat));
			for (size_t k = 0; k < m->cap; k++)
				if (m->slot[k])
					m->flat[(uint32_t)(m->slot[k] >> 32) - 1] = (uint32_t)m->slot[k];
			cs_big_free(m->slot);
			m->slot = NULL;
			m->flat[v] = next;
			return true;
		}
		uint64_t *slot = cs_big_calloc(cap, sizeof(*slot));
		if (!slot)
			return false;
		for (size_t k = 0; k < m->cap; k++)
			if (m->slot[k])
				nm_insert(slot, cap, m->slot[k]);
		cs_big_free(m->slot);
		m->slot = slot;
		m->cap = cap;
	}
	nm_insert(m->slot, m->cap, (uint64_t)(v + 1) << 32 | next);
	m->used++;
	return true;
}

/* The root slot of group gr that points at object v, or SIZE_MAX. */
static size_t root_slot(const struct rg_graph *g, uint32_t gr, uint32_t v)
{
	for (size_t r = 0; r < g->roots->n; r++)
		if (g->root_group[r] == gr && g->root_target[r] == v)
			return r;
	return SIZE_MAX;
}

struct cs_error *rg_paths(const struct rg_graph *g, uint32_t target,
			  unsigned per_class, struct rg_path **ret, size_t *n_ret)
{
	*ret = NULL;
	*n_ret = 0;
	if (target >= g->n)
		return cs_error_create(CS_ERR_NOT_FOUND, "no such object");
	const struct rg_reverse *rev;
	struct cs_error *err = rg_reverse_get(g, &rev);
	if (err)
		return err;
	struct next_map next = { .n = g->n, .cap = 1024 };
	next.slot = calloc(next.cap, sizeof(*next.slot));
	uint32_t *queue = NULL;
	size_t qcap = 0, head = 0, tail = 0;
	uint8_t *group_seen = calloc(g->ngroups ? g->ngroups : 1, 1);
	struct rg_path *paths = calloc((size_t)per_class * RG_NCLASSES + 1, sizeof(*paths));
	if (!next.slot || !group_seen || !paths || !nm_put(&next, target, target) ||
	    !CS_PUSH(queue, tail, qcap, target)) {
		err = &cs_error_nomem;
		goto out;
	}
	/* next(target) = target: visited, the path ends here */
	unsigned found[RG_NCLASSES] = { 0 };
	size_t npaths = 0;
	while (head < tail) {
		uint32_t v = queue[head++];
		for (size_t q = rg_pairs_lower(g->pairs, g->npairs, v); q < g->npairs && (g->pairs[q] >> 32) == v; q++) {
			uint32_t gr = (uint32_t)g->pairs[q];
			uint8_t cls = g->groups[gr].cls;
			if (group_seen[gr] || found[cls] >= per_class)
				continue;
			group_seen[gr] = 1;
			found[cls]++;
			/* Follow next from v to the target. */
			uint32_t len = 1;
			for (uint32_t x = v; x != target; x = nm_get(&next, x))
				len++;
			uint32_t *objs = malloc(len * sizeof(*objs));
			if (!objs)
				break;
			uint32_t k = 0;
			for (uint32_t x = v;; x = nm_get(&next, x)) {
				objs[k++] = x;
				if (x == target)
					break;
			}
			paths[npaths++] = (struct rg_path){ gr, root_slot(g, gr, v), len, objs };
		}
		bool done = true;
		for (int c = 0; c < RG_NCLASSES; c++)
			if (found[c] < per_class && g->class_first[c + 1] > g->class_first[c])
				done = false;
		if (done)
			break;
		for (uint32_t e = rev->first[v]; e < rev->first[v + 1]; e++) {
			uint32_t u = rev->edges[e];
			if (nm_get(&next, u) != UINT32_MAX)
				continue;
			if (!nm_put(&next, u, v) || !CS_PUSH(queue, tail, qcap, u)) {
				err = &cs_error_nomem;
				goto out;
			}
		}
	}
	*ret = paths;
	*n_ret = npaths;
	paths = NULL;
out:
	rg_paths_free(paths, paths ? per_class * RG_NCLASSES : 0);
	cs_big_free(next.flat);
	cs_big_free(next.slot);
	free(queue);
	free(group_seen);
	return err;
}

/* ------------------------------------------------------------------ */
/* One shortest path, forward through the dominators                  */
/* ------------------------------------------------------------------ */

/*
 * Every path from a root to an object passes through all the object's
 * dominators, in order, and a shortest one visits each once: it is a
 * shortest path from the top of the dominator chain (a root group, a
 * class or the super-root) to the first dominating object, then from
 * each dominator to the next.  A shortest path from a dominator u to the
 * next one, v, stays among the objects u dominates: one reachable without
 * u would make a path to v that avoids u.  So each leg is a forward
 * breadth-first search from u that stops at v, and most legs are one of
 * u's own edges.  This needs no reverse edges (two words per edge, built
 * by a counting sort over all of them), which is what rg_paths costs on
 * a big heap.
 */

struct legs {
	const struct rg_graph *g;
	uint64_t work, budget;		/* edges looked at; past budget, give up */
	uint32_t *queue;
	size_t qcap;
	uint32_t *path;			/* the path so far, root side first */
	size_t n, cap;
};

/* A shortest path from the sources to v appended to l->path, less its
 * first node when skip_first (the end of the leg before).  NULL, or
 * CS_ERR_NOT_FOUND when v is not reached (or the budget is spent). */
static struct cs_error *leg(struct legs *l, const uint32_t *src, size_t ns, uint32_t v,
			    bool skip_first)
{
	const struct rg_graph *g = l->g;
	if (ns == 1 && src[0] == v)
		return skip_first || CS_PUSH(l->path, l->n, l->cap, v) ? NULL : &cs_error_nomem;
	if (ns == 1) {
		uint32_t u = src[0];
		for (uint32_t k = g->first[u]; k < g->first[u + 1]; k++)
			if (g->edges[k] == v) {
				l->work += k - g->first[u] + 1;
				if (!skip_first && !CS_PUSH(l->path, l->n, l->cap, u))
					return &cs_error_nomem;
				return CS_PUSH(l->path, l->n, l->cap, v) ? NULL : &cs_error_nomem;
			}
	}
	/* prev(x): the node before x, toward the sources; a source's is
	 * itself */
	struct next_map prev = { .n = g->n, .cap = 1024 };
	prev.slot = calloc(prev.cap, sizeof(*prev.slot));
	struct cs_error *err = prev.slot ? NULL : &cs_error_nomem;
	size_t head = 0, tail = 0;
	bool found = false;
	for (size_t i = 0; !err && !found && i < ns; i++) {
		if (nm_get(&prev, src[i]) != UINT32_MAX)
			continue;
		if (!nm_put(&prev, src[i], src[i]) || !CS_PUSH(l->queue, tail, l->qcap, src[i]))
			err = &cs_error_nomem;
		found = src[i] == v;
	}
	while (!err && !found && head < tail) {
		uint32_t x = l->queue[head++];
		l->work += g->first[x + 1] - g->first[x] + 1;
		if (l->work > l->budget)
			break;
		for (uint32_t k = g->first[x]; !found && k < g->first[x + 1]; k++) {
			uint32_t y = g->edges[k];
			if (nm_get(&prev, y) != UINT32_MAX)
				continue;
			if (!nm_put(&prev, y, x) || !CS_PUSH(l->queue, tail, l->qcap, y)) {
				err = &cs_error_nomem;
				break;
			}
			found = y == v;
		}
	}
	if (!err && !found)
		err = cs_error_create(CS_ERR_NOT_FOUND, "no path");
	if (!err) {
		/* v back to its source, then reversed in place */
		size_t n0 = l->n;
		for (uint32_t x = v;; x = nm_get(&prev, x)) {
			uint32_t px = nm_get(&prev, x);
			if (px == x && skip_first)
				break;
			if (!CS_PUSH(l->path, l->n, l->cap, x)) {
				err = &cs_error_nomem;
				break;
			}
			if (px == x)
				break;
		}
		for (size_t a = n0, b = l->n; b > a + 1; a++, b--) {
			uint32_t t = l->path[a];
			l->path[a] = l->path[b - 1];
			l->path[b - 1] = t;
		}
	}
	cs_big_free(prev.flat);
	cs_big_free(prev.slot);
	return err;
}

/* The path through the dominators, or CS_ERR_NOT_FOUND when that way
 * does not apply (group does not dominate target) or costs too much. */
static struct cs_error *path_forward(const struct rg_graph *g, uint32_t target, uint32_t group,
				     struct rg_path *ret)
{
	struct legs l = { .g = g, .budget = g->nedges + g->n };
	uint32_t *chain = NULL, top = target;
	size_t m = 0, cap = 0;
	struct cs_error *err = NULL;
	/* target and its dominating objects, nearest first (the chain is
	 * acyclic by construction; the cap is for a damaged graph) */
	while (!err && RG_IS_OBJECT(top) && m <= g->n) {
		if (!CS_PUSH(chain, m, cap, top))
			err = &cs_error_nomem;
		top = g->idom[top];
	}
	/* The first leg starts at the root targets of the top node: the
	 * asked-for group must be that node. */
	uint32_t g0 = 0, g1 = 0;
	if (!err && RG_IS_GROUP(top) && (group == HS_NONE || top == RG_GROUP_NODE(group))) {
		g0 = top - RG_GROUP_NODE(0);
		g1 = g0 + 1;
	} else if (!err && group == HS_NONE && RG_IS_CLASS(top)) {
		g0 = g->class_first[top - RG_CLASS_NODE(0)];
		g1 = g->class_first[top - RG_CLASS_NODE(0) + 1];
	} else if (!err && group == HS_NONE && top == RG_SUPER_ROOT) {
		g1 = g->ngroups;
	}
	if (!err && g0 == g1)
		err = cs_error_create(CS_ERR_NOT_FOUND, "not through the dominators");
	if (!err)
		err = leg(&l, g->group_targets + g->group_first[g0],
			  g->group_first[g1] - g->group_first[g0], chain[m - 1], false);
	for (size_t i = m - 1; !err && i > 0; i--)
		err = leg(&l, &chain[i], 1, chain[i - 1], true);
	if (!err) {
		/* the path's group: the first of g0..g1 whose targets hold its
		 * first object */
		uint32_t first = l.path[0], gr = HS_NONE;
		for (size_t q = rg_pairs_lower(g->pairs, g->npairs, first);
		     gr == HS_NONE && q < g->npairs && (g->pairs[q] >> 32) == first; q++)
			if ((uint32_t)g->pairs[q] >= g0 && (uint32_t)g->pairs[q] < g1)
				gr = (uint32_t)g->pairs[q];
		if (gr == HS_NONE || l.n > UINT32_MAX)
			err = cs_error_create(CS_ERR_BAD_DATA, "a path's first object has no root");
		else
			*ret = (struct rg_path){ gr, root_slot(g, gr, first), (uint32_t)l.n, l.path };
	}
	if (err)
		free(l.path);
	free(l.queue);
	free(chain);
	return err;
}

struct cs_error *rg_path_from(const struct rg_graph *g, uint32_t target, uint32_t group,
			      struct rg_path *ret)
{
	if (target >= g->n || g->idom[target] == HS_NONE)
		return cs_error_create(CS_ERR_NOT_FOUND, "no path: the object is not live");
	struct cs_error *err = path_forward(g, target, group, ret);
	if (!err || err->code != CS_ERR_NOT_FOUND)
		return err;
	cs_error_destroy(err);
	/* The group shares the object with others: backwards, from the
	 * object, as rg_paths does. */
	struct rg_path *paths;
	size_t np;
	err = rg_paths(g, target, 8, &paths, &np);
	if (err)
		return err;
	size_t k = 0;
	while (k < np && group != HS_NONE && paths[k].group != group)
		k++;
	if (k == np) {
		err = cs_error_create(CS_ERR_NOT_FOUND, "no path from the root group");
	} else {
		*ret = paths[k];
		paths[k].objs = NULL;
	}
	rg_paths_free(paths, np);
	return err;
}

void rg_paths_free(struct rg_path *paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i].objs);
	free(paths);
}

size_t rg_dominator_chain(const struct rg_graph *g, uint32_t obj, uint32_t *out,
			  size_t max)
{
	size_t n = 0;
	if (obj >= g->n || g->idom[obj] == HS_NONE)
		return 0;
	/* From the object up to the first node that is not an object: its
	 * root group, class or the super-root.  The idom chain is acyclic by
	 * construction; the cap is for the caller's buffer. */
	uint32_t v = g->idom[obj];
	while (n < max && RG_IS_OBJECT(v)) {
		out[n++] = v;
		v = g->idom[v];
	}
	if (n < max)
		out[n++] = v;
	return n;
}

uint32_t rg_owner_group(const struct rg_graph *g, uint32_t obj)
{
	if (obj >= g->n)
		return HS_NONE;
	uint32_t v = g->idom[obj];
	/* idom chains are acyclic and at most n long */
	for (uint32_t steps = 0; RG_IS_OBJECT(v) && steps < g->n; steps++)
		v = g->idom[v];
	return RG_IS_GROUP(v) ? v - RG_GROUP_NODE(0) : HS_NONE;
}
