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
			/* The root slot of the group that points at v. */
			size_t root = SIZE_MAX;
			for (size_t r = 0; r < g->roots->n; r++)
				if (g->root_group[r] == gr && g->root_target[r] == v) {
					root = r;
					break;
				}
			paths[npaths++] = (struct rg_path){ gr, root, len, objs };
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
