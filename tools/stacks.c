/*
 * stacks.c — goroutines grouped by identical stack (state, wait reason,
 * and every logical frame's function and line), largest group first.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapscan.h"

static uint64_t stack_hash(struct cli_session *s, const struct hs_goroutine *g)
{
	uint64_t h = 1469598103934665603ull ^ (g->status & ~0x1000u) ^
		     ((uint64_t)g->waitreason << 8);
	for (uint32_t k = 0; k < g->nframes; k++) {
		const struct hs_frame *f = &s->gs->frames[g->first_frame + k];
		for (uint16_t q = 0; q < f->nlogical; q++) {
			const struct hs_logical_frame *lf = &s->gs->logical[f->first_logical + q];
			/* names are interned in the program's tables */
			h = (h ^ (uint64_t)(uintptr_t)lf->name) * 1099511628211ull;
			h = (h ^ (uint64_t)(uint32_t)lf->line) * 1099511628211ull;
		}
	}
	return h;
}

struct keyed {
	uint64_t hash;
	uint32_t gi;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->gi < y->gi ? -1 : x->gi > y->gi;
}

static int group_cmp(const void *a, const void *b)
{
	const struct cli_stack_group *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

struct cli_stack_group *cli_stack_groups(struct cli_session *s, const uint8_t *pick,
					 size_t *n_ret)
{
	size_t n = s->gs->n, k = 0;
	struct keyed *v = malloc((n ? n : 1) * sizeof(*v));
	struct cli_stack_group *g = malloc((n ? n : 1) * sizeof(*g));
	if (!v || !g) {
		free(v);
		free(g);
		*n_ret = 0;
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++)
		if (!pick || pick[i])
			v[k++] = (struct keyed){ stack_hash(s, &s->gs->v[i]), i };
	cs_sort(v, k, sizeof(*v), keyed_cmp);
	size_t ng = 0;
	for (size_t i = 0; i < k; i++) {
		if (i == 0 || v[i].hash != v[i - 1].hash)
			g[ng++] = (struct cli_stack_group){ v[i].hash, v[i].gi, 0 };
		g[ng - 1].count++;
	}
	cs_sort(g, ng, sizeof(*g), group_cmp);
	free(v);
	*n_ret = ng;
	return g;
}

uint64_t cli_stack_hash(struct cli_session *s, uint32_t gi)
{
	return stack_hash(s, &s->gs->v[gi]);
}
