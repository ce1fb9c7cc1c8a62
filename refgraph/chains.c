/*
 * chains.c — retention chains: the dominator tree with every node
 * replaced by a caller's label (a type, a root's name), runs of one label
 * folded into one step, and the depth capped.  Two objects with the same
 * labels on their way down from the super-root share a chain, so a heap
 * of millions of objects becomes a few thousand chains: the stacks of a
 * retention profile.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define UNSET 0xfffffffdu

void rg_chains_free(struct rg_chains *c)
{
	cs_big_free(c->parent);
	cs_big_free(c->label);
	cs_big_free(c->depth);
	cs_big_free(c->of_object);
	free(c->of_group);
	memset(c, 0, sizeof(*c));
}

struct builder {
	struct rg_chains *c;
	struct cs_map64 index;	/* parent << 32 | label -> chain */
	size_t cap;
	unsigned max_depth;
};

/* The chain one step below base, labelled l. */
static struct cs_error *extend(struct builder *b, uint32_t base, uint32_t l,
			       uint32_t *ret)
{
	struct rg_chains *c = b->c;
	if (l == RG_CHAIN_NOLABEL || (base != 0 && c->label[base] == l) ||
	    c->depth[base] >= b->max_depth) {
		*ret = base;
		return NULL;
	}
	uint64_t key = (uint64_t)base << 32 | l;
	uint32_t found = cs_map64_get(&b->index, key);
	if (found != CS_MAP64_NONE) {
		*ret = found;
		return NULL;
	}
	if (c->n >= RG_CHAIN_NONE - 1)
		return cs_error_create(CS_ERR_BAD_DATA, "more than 2^32 retention chains");
	if (c->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		uint32_t *p = cs_big_realloc(c->parent, cap, sizeof(*p));
		if (p)
			c->parent = p;
		uint32_t *lb = cs_big_realloc(c->label, cap, sizeof(*lb));
		if (lb)
			c->label = lb;
		uint16_t *d = cs_big_realloc(c->depth, cap, sizeof(*d));
		if (d)
			c->depth = d;
		if (!p || !lb || !d)
			return &cs_error_nomem;
		b->cap = cap;
	}
	uint32_t id = c->n++;
	c->parent[id] = base;
	c->label[id] = l;
	c->depth[id] = (uint16_t)(c->depth[base] + 1);
	if (!cs_map64_put(&b->index, key, id))
		return &cs_error_nomem;
	*ret = id;
	return NULL;
}

struct cs_error *rg_chains_build(const struct rg_graph *g, rg_label_fn label, void *ctx,
				 unsigned max_depth, struct rg_chains *c)
{
	memset(c, 0, sizeof(*c));
	struct builder b = { .c = c, .max_depth = max_depth ? max_depth : 1 };
	if (b.max_depth > 0xfff0)
		b.max_depth = 0xfff0;
	cs_map64_init(&b.index);
	struct cs_error *err = NULL;
	uint32_t *stack = NULL;
	/* The chains follow the immediate dominators; their arrays take the
	 * room of the tree's layout, which a later walk makes again. */
	rg_domtree_release(g);
	c->of_object = cs_big_malloc((size_t)g->n + 1, sizeof(*c->of_object));
	c->of_group = malloc(((size_t)g->ngroups + 1) * sizeof(*c->of_group));
	/* (touched as deep as a chain of dominators goes) */
	stack = cs_big_malloc_sparse((size_t)g->n + 1, sizeof(*stack));
	b.cap = 1024;
	c->parent = cs_big_malloc(b.cap, sizeof(*c->parent));
	c->label = cs_big_malloc(b.cap, sizeof(*c->label));
	c->depth = cs_big_malloc(b.cap, sizeof(*c->depth));
	if (!c->of_object || !c->of_group || !stack || !c->parent || !c->label || !c->depth) {
		err = &cs_error_nomem;
		goto out;
	}
	/* chain 0: the empty chain, where the super-root sits */
	c->n = 1;
	c->parent[0] = 0;
	c->label[0] = RG_CHAIN_NOLABEL;
	c->depth[0] = 0;

	/* objects no single root class dominates hang from the super-root's
	 * label; the super-root itself is the empty chain */
	uint32_t shared;
	if ((err = extend(&b, 0, label(ctx, RG_SUPER_ROOT), &shared)))
		goto out;
	c->of_shared = shared;
	for (unsigned k = 0; k < RG_NCLASSES; k++)
		if ((err = extend(&b, 0, label(ctx, RG_CLASS_NODE(k)), &c->of_class[k])))
			goto out;
	for (uint32_t gr = 0; gr < g->ngroups; gr++)
		if ((err = extend(&b, c->of_class[g->groups[gr].cls],
				  label(ctx, RG_GROUP_NODE(gr)), &c->of_group[gr])))
			goto out;

	for (uint32_t i = 0; i < g->n; i++)
		c->of_object[i] = g->idom[i] == HS_NONE ? RG_CHAIN_NONE : UNSET;
	for (uint32_t i = 0; i < g->n; i++) {
		if (c->of_object[i] != UNSET)
			continue;
		/* climb to the nearest dominator whose chain is known; every
		 * object is pushed once over the whole loop */
		size_t sp = 0;
		uint32_t v = i;
		while (RG_IS_OBJECT(v) && c->of_object[v] == UNSET) {
			stack[sp++] = v;
			v = g->idom[v];
		}
		uint32_t base;
		if (RG_IS_OBJECT(v))
			base = c->of_object[v];
		else if (RG_IS_GROUP(v))
			base = c->of_group[v - RG_GROUP_NODE(0)];
		else if (RG_IS_CLASS(v))
			base = c->of_class[v - RG_CLASS_NODE(0)];
		else
			base = shared;
		if (base == RG_CHAIN_NONE)	/* a live object under a dead one: cannot be */
			base = shared;
		while (sp > 0) {
			uint32_t o = stack[--sp];
			if ((err = extend(&b, base, label(ctx, o), &base)))
				goto out;
			c->of_object[o] = base;
		}
	}
out:
	cs_big_free(stack);
	cs_map64_deinit(&b.index);
	if (err)
		rg_chains_free(c);
	return err;
}
