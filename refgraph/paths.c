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
	uint32_t *next = malloc((size_t)g->n * sizeof(*next));
	uint32_t *queue = malloc((size_t)g->n * sizeof(*queue));
	uint8_t *group_seen = calloc(g->ngroups ? g->ngroups : 1, 1);
	struct rg_path *paths = calloc((size_t)per_class * RG_NCLASSES + 1, sizeof(*paths));
	if (!next || !queue || !group_seen || !paths) {
		free(next);
		free(queue);
		free(group_seen);
		free(paths);
		return &cs_error_nomem;
	}
	memset(next, 0xff, (size_t)g->n * sizeof(*next));
	unsigned found[RG_NCLASSES] = { 0 };
	size_t npaths = 0, head = 0, tail = 0;
	next[target] = target;	/* visited; the path ends here */
	queue[tail++] = target;
	while (head < tail) {
		uint32_t v = queue[head++];
		for (size_t q = rg_pairs_lower(g->pairs, g->npairs, v); q < g->npairs && (g->pairs[q] >> 32) == v; q++) {
			uint32_t gr = (uint32_t)g->pairs[q];
			uint8_t cls = g->groups[gr].cls;
			if (group_seen[gr] || found[cls] >= per_class)
				continue;
			group_seen[gr] = 1;
			found[cls]++;
			/* Walk next[] from v to the target. */
			uint32_t len = 1;
			for (uint32_t x = v; x != target; x = next[x])
				len++;
			uint32_t *objs = malloc(len * sizeof(*objs));
			if (!objs)
				break;
			uint32_t k = 0;
			for (uint32_t x = v;; x = next[x]) {
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
			if (next[u] != UINT32_MAX)
				continue;
			next[u] = v;
			queue[tail++] = u;
		}
	}
	free(next);
	free(queue);
	free(group_seen);
	*ret = paths;
	*n_ret = npaths;
	return NULL;
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
