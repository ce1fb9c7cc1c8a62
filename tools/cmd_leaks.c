/*
 * cmd_leaks.c — `corescope leaks`: the leak-suspects report.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "heapscan.h"
#include "refgraph.h"

static const struct opt_spec leaks_opts[] = {
	{ "share", 0, OPT_REQUIRED, "PERCENT", "report what retains at least this share of the live heap (default 10)" },
	{ "min-goroutines", 0, OPT_REQUIRED, "N", "smallest group of identical blocked goroutines to report (default 10)" },
	{ 0 },
};

/* Is this wait reason a goroutine parked on a channel, select or sync
 * primitive: the kind that never wakes if its partner is gone? */
static bool blocked_forever_kind(const char *why)
{
	static const char *const words[] = { "chan", "select", "sync", "sema", "Cond", "Mutex", "WaitGroup" };
	for (size_t i = 0; why && i < CS_ARRAY_SIZE(words); i++)
		if (strstr(why, words[i]))
			return true;
	return false;
}

struct path_line {
	char *via;
	uint32_t obj;
};

/* The shortest path from a suspect's root group to object obj. */
static size_t suspect_path(struct cli_session *s, uint32_t group, uint32_t obj,
			   struct path_line **ret, char **root_ret)
{
	*ret = NULL;
	*root_ret = NULL;
	struct rg_path path;
	struct cs_error *err = rg_path_from(s->graph, obj, group, &path);
	if (err) {
		cs_error_destroy(err);
		return 0;
	}
	*ret = calloc(path.len, sizeof(**ret));
	*root_ret = path.root != SIZE_MAX ? cli_root_name(s, path.root) : cli_group_name(s, path.group);
	size_t n = 0;
	for (uint32_t h = 0; *ret && h < path.len; h++) {
		(*ret)[n].via = h ? rg_hop_name(s->graph, path.objs[h - 1], path.objs[h], NULL)
				  : strdup("(the root points here)");
		(*ret)[n].obj = path.objs[h];
		n++;
	}
	free(path.objs);
	return n;
}

static void free_path(struct path_line *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].via);
	free(p);
}

static const char *type_name(struct cli_session *s, uint32_t type)
{
	const struct hs_type *t = hs_type_by_id(s->prog, type);
	return t ? t->name : "(untyped)";
}

/* The goroutine a root group stands for, or HS_NONE. */
static uint32_t group_goroutine(struct cli_session *s, uint32_t gr)
{
	struct rg_group_info gi;
	rg_group(s->graph, gr, &gi);
	return gi.cls == RG_CLASS_STACK ? gi.root->goroutine : HS_NONE;
}

/* Type suspects: one walk down the dominator tree gathers, for every
 * candidate type, what explains its bytes already. */
struct type_cand {
	const struct rg_type_total *total;
	uint64_t instances;		/* live objects of the type */
	uint64_t owned_by_suspects;	/* outermost ones under a root suspect */
	uint64_t covered;		/* outermost ones inside a better candidate */
	uint64_t stack_instances;	/* held by one goroutine's stack */
	uint32_t example_g;		/* the goroutine of the outermost one
					 * of those that retains the most */
	uint32_t example_obj;
	uint64_t example_retained;
	uint32_t active;		/* instances on the current path */
};

struct type_walk {
	struct cli_session *s;
	const struct rg_suspect *sus;
	size_t ns;
	struct type_cand *cand;		/* best (most retained) first */
	size_t ncand;
	uint32_t *cand_of_type;		/* type id -> candidate + 1 */
	uint32_t ntypes;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct type_cand *x = a, *y = b;
	if (x->total->retained != y->total->retained)
		return x->total->retained > y->total->retained ? -1 : 1;
	return x->total->type < y->total->type ? -1 : x->total->type > y->total->type;
}

/* Make (g, obj, r) c's example if it is better: it retains more, or as
 * much with a lower object id, so the choice does not depend on the
 * order of the walk or on how it was split between threads. */
static void take_example(struct type_cand *c, uint32_t g, uint32_t obj, uint64_t r)
{
	if (g == HS_NONE)
		return;
	if (c->example_g == HS_NONE || r > c->example_retained ||
	    (r == c->example_retained && obj < c->example_obj)) {
		c->example_g = g;
		c->example_obj = obj;
		c->example_retained = r;
	}
}

static void type_visit(void *ctx, uint32_t obj, uint32_t type, uint64_t r, uint32_t owner,
		       bool exit)
{
	struct type_walk *w = ctx;
	if (type >= w->ntypes || !w->cand_of_type[type])
		return;
	uint32_t ci = w->cand_of_type[type] - 1;
	struct type_cand *c = &w->cand[ci];
	if (exit) {
		c->active--;
		return;
	}
	c->instances++;
	uint32_t gi = owner != HS_NONE ? group_goroutine(w->s, owner) : HS_NONE;
	if (gi != HS_NONE)
		c->stack_instances++;
	if (c->active++ == 0) {
		take_example(c, gi, obj, r);
		bool by_root = false, inside = false;
		for (size_t k = 0; owner != HS_NONE && k < w->ns; k++)
			by_root |= w->sus[k].group == owner;
		for (uint32_t b = 0; b < ci && !inside; b++)
			inside = w->cand[b].active > 0;
		if (by_root)
			c->owned_by_suspects += r;
		else if (inside)
			c->covered += r;
	}
}

static struct cs_error *type_walk_run(struct type_walk *w)
{
	for (size_t k = 0; k < w->ncand; k++)
		if (w->cand[k].total->type >= w->ntypes)
			w->ntypes = w->cand[k].total->type + 1;
	w->cand_of_type = calloc(w->ntypes + 1, sizeof(*w->cand_of_type));
	uint64_t *bits = calloc(w->ntypes / 64 + 1, sizeof(*bits));
	if (!w->cand_of_type || !bits) {
		free(bits);
		return &cs_error_nomem;
	}
	for (size_t k = 0; k < w->ncand; k++) {
		uint32_t type = w->cand[k].total->type;
		w->cand_of_type[type] = (uint32_t)k + 1;
		bits[type / 64] |= 1ull << (type % 64);
		w->cand[k].example_g = HS_NONE;
	}
	/* the walk visits the candidates' instances only */
	struct rg_type_set only = { bits, w->ntypes };
	if (!w->ncand) {
		free(bits);
		return NULL;
	}
	/* one walk per thread, each on a share of the tree and a copy of the
	 * candidates, merged into w's */
	const struct rg_graph *g = w->s->graph;
	unsigned np = rg_threads(g);
	struct type_walk part[CS_MAX_THREADS];
	void *ctx[CS_MAX_THREADS];
	struct cs_error *err = NULL;
	ctx[0] = w;
	for (unsigned k = 1; k < np; k++) {
		part[k] = *w;
		part[k].cand = malloc(w->ncand * sizeof(*w->cand));
		if (part[k].cand)
			memcpy(part[k].cand, w->cand, w->ncand * sizeof(*w->cand));
		else
			err = &cs_error_nomem;
		ctx[k] = &part[k];
	}
	if (!err)
		err = rg_domtree_walk_split(g, &only, type_visit, ctx, np);
	free(bits);
	for (unsigned k = 1; k < np; k++) {
		for (size_t i = 0; !err && i < w->ncand; i++) {
			struct type_cand *c = &w->cand[i];
			const struct type_cand *x = &part[k].cand[i];
			c->instances += x->instances;
			c->owned_by_suspects += x->owned_by_suspects;
			c->covered += x->covered;
			c->stack_instances += x->stack_instances;
			take_example(c, x->example_g, x->example_obj, x->example_retained);
		}
		free(part[k].cand);
	}
	return err;
}

int leaks_args(struct cli *cli, struct leaks_args *a)
{
	if (!cli_opt_uint(cli, "share", 10, &a->pct) ||
	    !cli_opt_uint(cli, "min-goroutines", 10, &a->min_g))
		return EXIT_USAGE;
	if (a->pct == 0 || a->pct > 100)
		return usage_error(cli, "--share wants a percentage from 1 to 100");
	return 0;
}

struct cs_error *leaks_write(struct cli *cli, struct cli_session *s, const struct leaks_args *opt,
			     struct rg_type_total *tt, size_t ntt, struct json *j)
{
	double share = (double)opt->pct / 100.0;
	uint64_t live = rg_class_retained(s->graph, RG_NCLASSES);
	struct rg_suspect *sus = NULL;
	size_t ns = 0;
	cs_progress_report(&s->report, "leak suspects", 0, 0);
	struct cs_error *err = rg_leak_suspects(s->graph, share, &sus, &ns);
	if (err)
		return err;
	/* candidates: types whose outermost instances keep the share, best
	 * first (rg_type_totals is by type id) */
	struct type_walk tw = { .s = s, .sus = sus, .ns = ns };
	for (size_t t = 0; t < ntt; t++)
		if ((double)tt[t].retained >= share * (double)live && tt[t].type != 0)
			tw.ncand++;
	tw.cand = calloc(tw.ncand + 1, sizeof(*tw.cand));
	for (size_t t = 0, n = 0; tw.cand && t < ntt; t++)
		if ((double)tt[t].retained >= share * (double)live && tt[t].type != 0)
			tw.cand[n++].total = &tt[t];
	if (tw.cand)
		cs_sort(tw.cand, tw.ncand, sizeof(*tw.cand), cand_cmp);
	cs_progress_report(&s->report, "type suspects", 0, 0);
	err = tw.cand ? type_walk_run(&tw) : &cs_error_nomem;
	if (err) {
		cs_warn_error(cw_core_warnings(s->core), false, err, "type suspects");
		tw.ncand = 0;
	}
	cs_progress_report(&s->report, "retention paths", 0, 0);

	char a[32], b[32], c[32];
	if (j) {
		json_begin_object(j);
		json_kv_uint(j, "live_bytes", live);
		json_kv_uint(j, "share_percent", opt->pct);
		json_key(j, "suspects");
		json_begin_array(j);
	} else {
		printf("%sLive heap %s.  Leak suspects: what alone keeps %" PRIu64 "%% or more of it alive.%s\n",
		       sty_bold(cli), cs_fmt_size(live, a), opt->pct, sty_off(cli));
		if (!ns)
			printf("\n  none: no single root or object keeps %" PRIu64 "%% of the live heap\n", opt->pct);
	}
	for (size_t k = 0; k < ns; k++) {
		const struct rg_suspect *x = &sus[k];
		char *name = x->group != HS_NONE ? cli_group_name(s, x->group) : cli_object_type_name(s, x->node);
		struct path_line *path = NULL;
		char *root = NULL;
		size_t np = x->representative != HS_NONE
				    ? suspect_path(s, x->group, x->representative, &path, &root) : 0;
		double pc = live ? 100.0 * (double)x->retained / (double)live : 0;
		char *acc = RG_IS_OBJECT(x->accumulation) ? cli_object_type_name(s, x->accumulation) : NULL;
		if (j) {
			json_begin_object(j);
			json_kv_string(j, "kind", x->group != HS_NONE ? "root" : "shared object");
			json_kv_string(j, "name", name);
			if (x->group != HS_NONE) {
				struct rg_group_info gi;
				rg_group(s->graph, x->group, &gi);
				json_kv_string(j, "class", rg_root_class_name(gi.cls));
			} else {
				json_kv_addr(j, "address", hs_object_addr(s->heap, x->node));
			}
			json_kv_uint(j, "retained", x->retained);
			json_kv_double(j, "percent", pc);
			json_key(j, "accumulation");
			json_begin_object(j);
			if (acc) {
				json_kv_addr(j, "address", hs_object_addr(s->heap, x->accumulation));
			} else {
				json_key(j, "address");
				json_null(j);
			}
			json_kv_string(j, "type", acc);
			json_kv_uint(j, "children", x->nchildren);
			json_key(j, "element_types");
			json_begin_array(j);
			for (uint32_t e = 0; e < x->nelements; e++) {
				json_begin_object(j);
				json_kv_string(j, "type", type_name(s, x->elements[e].type));
				json_kv_uint(j, "count", x->elements[e].count);
				json_kv_uint(j, "retained", x->elements[e].retained);
				json_end_object(j);
			}
			json_end_array(j);
			json_end_object(j);
			json_kv_string(j, "path_root", root);
			json_key(j, "path");
			json_begin_array(j);
			for (size_t h = 0; h < np; h++) {
				char *tn = cli_object_type_name(s, path[h].obj);
				json_begin_object(j);
				json_kv_string(j, "via", path[h].via);
				json_kv_addr(j, "address", hs_object_addr(s->heap, path[h].obj));
				json_kv_string(j, "type", tn);
				json_kv_uint(j, "size", hs_object_size(s->heap, path[h].obj));
				json_kv_uint(j, "retained", rg_retained(s->graph, path[h].obj));
				json_end_object(j);
				free(tn);
			}
			json_end_array(j);
			json_end_object(j);
		} else {
			printf("\n%s%zu. ", sty_bold(cli), k + 1);
			out_escaped(stdout, name ? name : "?");
			printf(" retains %s (%.1f%%)%s\n", cs_fmt_size(x->retained, a), pc, sty_off(cli));
			if (acc) {
				printf("   accumulates in 0x%" PRIx64 " ", hs_object_addr(s->heap, x->accumulation));
				out_escaped(stdout, acc);
				printf(", which holds %u objects:\n", x->nchildren);
			} else {
				printf("   held directly by the root, through %u objects:\n", x->nchildren);
			}
			for (uint32_t e = 0; e < x->nelements; e++) {
				printf("     %10s  %s × ", cs_fmt_size(x->elements[e].retained, a),
				       fmt_count(x->elements[e].count, b));
				out_escaped(stdout, type_name(s, x->elements[e].type));
				putchar('\n');
			}
			if (np) {
				printf("   a typical one, and how it is held:\n      ");
				out_escaped(stdout, root ? root : "?");
				putchar('\n');
				for (size_t h = 1; h < np; h++) {
					char *tn = cli_object_type_name(s, path[h].obj);
					printf("      %-32s ", path[h].via ? path[h].via : "?");
					out_escaped(stdout, tn ? tn : "?");
					printf("  %s%s%s\n", sty_dim(cli),
					       cs_fmt_size(hs_object_size(s->heap, path[h].obj), c), sty_off(cli));
					free(tn);
				}
			}
		}
		free(acc);
		free(root);
		free_path(path, np);
		free(name);
	}

	if (j) {
		json_end_array(j);
		json_key(j, "type_suspects");
		json_begin_array(j);
	}
	bool header = false;
	for (size_t ci = 0; ci < tw.ncand; ci++) {
		const struct type_cand *cd = &tw.cand[ci];
		const struct rg_type_total *total = cd->total;
		char tname[256];
		snprintf(tname, sizeof(tname), total->arrays ? "[]%s (backing arrays)" : "%s",
			 type_name(s, total->type));
		/* Skip types that a root suspect, or a bigger type suspect whose
		 * instances contain most of theirs, already explains. */
		if ((cd->owned_by_suspects + cd->covered) * 2 > total->retained)
			continue;
		uint64_t instances = cd->instances, stack_instances = cd->stack_instances;
		uint32_t example_g = cd->example_g;
		double pc = live ? 100.0 * (double)total->retained / (double)live : 0;
		if (j) {
			json_begin_object(j);
			json_kv_string(j, "type", tname);
			json_kv_uint(j, "objects", instances);
			json_kv_uint(j, "retained", total->retained);
			json_kv_double(j, "percent", pc);
			json_kv_uint(j, "held_by_goroutine_stacks", stack_instances);
			json_end_object(j);
			continue;
		}
		if (!header) {
			printf("\n%sTypes whose objects together keep %" PRIu64 "%% or more alive:%s\n",
			       sty_bold(cli), opt->pct, sty_off(cli));
			header = true;
		}
		printf("   %s × ", fmt_count(instances, a));
		out_escaped(stdout, tname);
		printf(" retain %s (%.1f%%)", cs_fmt_size(total->retained, b), pc);
		if (stack_instances)
			printf(", %s of them held by goroutine stacks, e.g. goroutine %" PRIu64 " (%s)",
			       fmt_count(stack_instances, c), s->gs->v[example_g].goid,
			       cli_goroutine_func(s, example_g));
		putchar('\n');
	}
	free(tw.cand);
	free(tw.cand_of_type);

	/* Goroutine leak suspects: many goroutines parked for good with
	 * the same stack, and what they keep alive. */
	if (j) {
		json_end_array(j);
		json_key(j, "goroutine_suspects");
		json_begin_array(j);
	}
	uint8_t *pick = calloc(s->gs->n ? s->gs->n : 1, 1);
	uint64_t *g_retained = calloc(s->gs->n ? s->gs->n : 1, sizeof(*g_retained));
	for (size_t i = 0; pick && i < s->gs->n; i++) {
		const struct hs_goroutine *g = &s->gs->v[i];
		pick[i] = !g->system && (g->status & ~0x1000u) == 4 && blocked_forever_kind(g->wait_str);
	}
	for (uint32_t gr = 0; g_retained && gr < rg_group_count(s->graph); gr++) {
		uint32_t gi = group_goroutine(s, gr);
		struct rg_group_info info;
		rg_group(s->graph, gr, &info);
		if (gi != HS_NONE && gi < s->gs->n)
			g_retained[gi] += info.retained;
	}
	size_t ngroups = 0;
	struct cli_stack_group *groups = pick ? cli_stack_groups(s, pick, &ngroups) : NULL;
	uint64_t *hashes = calloc(s->gs->n ? s->gs->n : 1, sizeof(*hashes));
	for (uint32_t i = 0; hashes && pick && i < s->gs->n; i++)
		if (pick[i])
			hashes[i] = cli_stack_hash(s, i);
	header = false;
	for (size_t k = 0; groups && hashes && k < ngroups && groups[k].count >= opt->min_g; k++) {
		uint64_t kept = 0;
		for (uint32_t i = 0; i < s->gs->n; i++)
			if (pick[i] && hashes[i] == groups[k].hash)
				kept += g_retained[i];
		const struct hs_goroutine *g = &s->gs->v[groups[k].first];
		const char *fn = cli_goroutine_func(s, groups[k].first);
		const char *creator = hs_func_name_at(s->prog, g->gopc);
		if (j) {
			json_begin_object(j);
			json_kv_uint(j, "count", groups[k].count);
			json_kv_string(j, "wait_reason", g->wait_str);
			json_kv_string(j, "function", fn);
			json_kv_string(j, "created_by", creator);
			json_kv_uint(j, "example_goid", g->goid);
			json_kv_uint(j, "retained", kept);
			json_end_object(j);
			continue;
		}
		if (!header) {
			printf("\n%sGoroutine leak suspects: %" PRIu64 " or more goroutines blocked with one stack:%s\n",
			       sty_bold(cli), opt->min_g, sty_off(cli));
			header = true;
		}
		printf("   %s goroutines [", fmt_count(groups[k].count, a));
		out_escaped(stdout, g->wait_str);
		printf("] in ");
		out_escaped(stdout, fn);
		if (creator) {
			printf(", created by ");
			out_escaped(stdout, creator);
		}
		printf("; they alone keep %s alive (e.g. goroutine %" PRIu64 ")\n",
		       cs_fmt_size(kept, b), g->goid);
	}
	free(groups);
	free(hashes);
	free(pick);
	free(g_retained);
	if (j) {
		json_end_array(j);
		json_end_object(j);
	}
	free(sus);
	return NULL;
}


/* The type totals leaks_write wants (rg_type_totals, by type id), or
 * none, with a warning, when they cannot be had.  For the types whose
 * outermost objects together keep the share when no single root does
 * (thousands of goroutines each holding a buffer).  They walk the
 * dominator tree, so they come before the suspects' paths, which need
 * reverse edges when a suspect shares its object with other roots, and
 * those take the room of the tree's layout. */
void leaks_type_totals(struct cli_session *s, struct rg_type_total **tt, size_t *ntt)
{
	*tt = NULL;
	*ntt = 0;
	cs_progress_report(&s->report, "type totals", 0, 0);
	struct cs_error *err = rg_type_totals(s->graph, tt, ntt);
	if (err) {
		cs_warn_error(cw_core_warnings(s->core), false, err, "type totals");
		*ntt = 0;
	}
}

static int run_leaks(struct cli *cli)
{
	struct leaks_args a;
	struct cli_session s;
	int rc = leaks_args(cli, &a);
	if (rc || (rc = cli_session_open(cli, &s, CLI_NEED_GRAPH)))
		return rc;
	struct rg_type_total *tt;
	size_t ntt;
	leaks_type_totals(&s, &tt, &ntt);
	struct json j;
	json_init(&j);
	struct cs_error *err = leaks_write(cli, &s, &a, tt, ntt, cli->json ? &j : NULL);
	free(tt);
	if (!err && cli->json)
		json_emit(cli, s.core, &j);
	json_deinit(&j);
	if (err) {
		cli_session_close(cli, &s);
		return cli_fail(err);
	}
	return cli_session_close(cli, &s);
}

const struct command cmd_leaks = {
	.name = "leaks",
	.summary = "leak suspects: what alone keeps a large share of the heap alive",
	.usage = "CORE",
	.description =
		"A leak-suspects report in the spirit of Eclipse MAT.  Each suspect is a\n"
		"named root (a global, a goroutine, a finalizer) or an object shared by\n"
		"several roots that alone keeps --share percent of the live heap alive,\n"
		"followed down the dominator tree to its accumulation point: the map, slice\n"
		"or list whose elements hold the bulk, with what those elements are and the\n"
		"path from the root to a typical one.  Then types whose objects together\n"
		"keep that share when no single root does, and groups of goroutines blocked\n"
		"forever with identical stacks, with the bytes they keep alive.",
	.example = "corescope leaks core.1234 --share 5",
	.opts = leaks_opts,
	.min_args = 1,
	.max_args = 1,
	.run = run_leaks,
};
