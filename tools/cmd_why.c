/*
 * cmd_why.c — `corescope why`: what keeps an object alive, and through
 * which path.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "heapscan.h"
#include "refgraph.h"

#define MAX_DOMS 64

static const struct opt_spec why_opts[] = {
	{ "type", 't', OPT_REQUIRED, "NAME", "explain the live object of this type that retains the most" },
	{ "largest", 0, OPT_REQUIRED, "N", "explain the N live objects that retain the most" },
	{ "paths", 'p', OPT_REQUIRED, "N", "shortest paths per root class (default 1)" },
	{ 0 },
};

/* Root slot name: "net/http.DefaultServeMux -> net/http.defaultServeMux.tree",
 * "goroutine 12 main.worker var buf", "finalizer of 0x… (*os.File)". */
char *cli_root_name(struct cli_session *s, size_t root)
{
	const struct hs_root *r = &s->roots->v[root];
	struct cs_strbuf b;
	cs_strbuf_init(&b);
	switch (r->kind) {
	case HS_ROOT_DATA:
	case HS_ROOT_BSS: {
		const struct hs_sym *sym = hs_global_symbol(s->prog, r->slot);
		const struct hs_sym *alias = sym ? hs_global_alias(s->prog, sym->addr) : NULL;
		if (alias) {
			cs_strbuf_puts(&b, alias->name);
			cs_strbuf_puts(&b, " -> ");
		}
		hs_global_slot_name(s->prog, r->slot, &b);
		break;
	}
	case HS_ROOT_STACK:
		if (s->gs && r->goroutine < s->gs->n) {
			const struct hs_goroutine *g = &s->gs->v[r->goroutine];
			const struct hs_frame *f = r->frame < g->nframes
				? &s->gs->frames[g->first_frame + r->frame] : NULL;
			cs_strbuf_printf(&b, "goroutine %llu %s ", (unsigned long long)g->goid,
					 f && f->func ? f->func : "?");
			if (!f || !hs_stack_slot_name(s->prog, f, r->slot, &b))
				cs_strbuf_printf(&b, "frame %u slot %s%+lld", r->frame,
						 f && r->slot < f->varp ? "varp" : "argp",
						 f ? (long long)(r->slot - (r->slot < f->varp ? f->varp : f->argp)) : 0LL);
			break;
		}
		/* fall through */
	default: {
		uint32_t gr = rg_root_group(s->graph, root);
		char *gn = gr != HS_NONE ? cli_group_name(s, gr) : NULL;
		cs_strbuf_puts(&b, gn ? gn : hs_root_kind_name(r->kind));
		free(gn);
		break;
	}
	}
	return cs_strbuf_steal(&b);
}

static void json_object_ref(struct json *j, struct cli_session *s, uint32_t obj)
{
	char *tn = cli_object_type_name(s, obj);
	json_kv_addr(j, "address", hs_object_addr(s->heap, obj));
	json_kv_string(j, "type", tn);
	json_kv_uint(j, "size", hs_object_size(s->heap, obj));
	json_kv_uint(j, "retained", rg_retained(s->graph, obj));
	free(tn);
}

static void text_object_line(struct cli *cli, struct cli_session *s, const char *name,
			     uint32_t obj, bool target)
{
	char *tn = cli_object_type_name(s, obj);
	char a[32], b[32];
	printf("    ");
	out_escaped(stdout, name);
	printf("\n        %s0x%016" PRIx64 "%s ", sty_dim(cli), hs_object_addr(s->heap, obj),
	       sty_off(cli));
	out_escaped(stdout, tn ? tn : "?");
	printf("  %s, retains %s%s\n", cs_fmt_size(hs_object_size(s->heap, obj), a),
	       cs_fmt_size(rg_retained(s->graph, obj), b), target ? "   <- the object" : "");
	free(tn);
}

static void explain(struct cli *cli, struct cli_session *s, uint32_t obj, unsigned per_class,
		    struct json *j)
{
	struct rg_path *paths = NULL;
	size_t np = 0;
	bool live = rg_is_live(s->graph, obj);
	struct cs_error *err = live ? rg_paths(s->graph, obj, per_class, &paths, &np) : NULL;
	if (err) {
		cs_warn_error(cw_core_warnings(s->core), true, err, "paths");
		np = 0;
	}
	char *tn = cli_object_type_name(s, obj);
	uint64_t addr = hs_object_addr(s->heap, obj);
	if (j) {
		json_begin_object(j);
		json_key(j, "object");
		json_begin_object(j);
		json_object_ref(j, s, obj);
		json_kv_bool(j, "live", live);
		json_end_object(j);
		json_key(j, "paths");
		json_begin_array(j);
	} else {
		char a[32], b[32];
		printf("%s0x%016" PRIx64 " ", sty_bold(cli), addr);
		out_escaped(stdout, tn ? tn : "?");
		printf("%s  %s, retains %s\n", sty_off(cli),
		       cs_fmt_size(hs_object_size(s->heap, obj), a),
		       cs_fmt_size(rg_retained(s->graph, obj), b));
		if (!live)
			printf("  not reachable from any root: garbage the GC has not swept yet\n");
	}
	for (size_t k = 0; k < np; k++) {
		const struct rg_path *pa = &paths[k];
		struct rg_group_info gi;
		rg_group(s->graph, pa->group, &gi);
		char *rn = pa->root != SIZE_MAX ? cli_root_name(s, pa->root) : cli_group_name(s, pa->group);
		if (j) {
			json_begin_object(j);
			json_kv_string(j, "class", rg_root_class_name(gi.cls));
			json_key(j, "root");
			json_begin_object(j);
			json_kv_string(j, "name", rn);
			json_kv_string(j, "kind", hs_root_kind_name(gi.kind));
			if (pa->root != SIZE_MAX)
				json_kv_addr(j, "slot", s->roots->v[pa->root].slot);
			json_kv_uint(j, "retained", gi.retained);
			json_end_object(j);
			json_key(j, "hops");
			json_begin_array(j);
			for (uint32_t h = 0; h < pa->len; h++) {
				char *hn = h ? rg_hop_name(s->graph, pa->objs[h - 1], pa->objs[h], NULL)
					     : strdup(rn ? rn : "?");
				json_begin_object(j);
				json_kv_string(j, "via", hn);
				json_object_ref(j, s, pa->objs[h]);
				json_end_object(j);
				free(hn);
			}
			json_end_array(j);
			json_end_object(j);
		} else {
			char a[32];
			printf("\n  %s%s%s root ", sty_bold(cli), rg_root_class_name(gi.cls), sty_off(cli));
			out_escaped(stdout, rn ? rn : "?");
			printf(" %s(%s, retains %s alone)%s\n", sty_dim(cli), hs_root_kind_name(gi.kind),
			       cs_fmt_size(gi.retained, a), sty_off(cli));
			for (uint32_t h = 0; h < pa->len; h++) {
				char *hn = h ? rg_hop_name(s->graph, pa->objs[h - 1], pa->objs[h], NULL)
					     : strdup("(the root points here)");
				text_object_line(cli, s, hn ? hn : "?", pa->objs[h], h + 1 == pa->len);
				free(hn);
			}
		}
		free(rn);
	}
	if (!j && live && np == 0)
		printf("  (no path found)\n");
	uint32_t doms[MAX_DOMS];
	size_t nd = live ? rg_dominator_chain(s->graph, obj, doms, MAX_DOMS) : 0;
	if (j) {
		json_end_array(j);
		json_key(j, "dominators");
		json_begin_array(j);
		for (size_t d = 0; d < nd; d++) {
			if (!RG_IS_OBJECT(doms[d]))
				break;
			json_begin_object(j);
			json_object_ref(j, s, doms[d]);
			json_end_object(j);
		}
		json_end_array(j);
		json_key(j, "dominated_by_root");
		if (nd && RG_IS_GROUP(doms[nd - 1])) {
			char *gn = cli_group_name(s, doms[nd - 1] - RG_GROUP_NODE(0));
			json_string(j, gn);
			free(gn);
		} else {
			json_null(j);
		}
		json_end_object(j);
	} else if (nd) {
		printf("\n  %sdominators%s (every path from the roots goes through these):\n",
		       sty_bold(cli), sty_off(cli));
		for (size_t d = 0; d < nd; d++) {
			if (RG_IS_OBJECT(doms[d])) {
				char *dn = cli_object_type_name(s, doms[d]);
				char a[32];
				printf("    0x%016" PRIx64 " ", hs_object_addr(s->heap, doms[d]));
				out_escaped(stdout, dn ? dn : "?");
				printf("  retains %s\n", cs_fmt_size(rg_retained(s->graph, doms[d]), a));
				free(dn);
			} else if (RG_IS_GROUP(doms[d])) {
				char *gn = cli_group_name(s, doms[d] - RG_GROUP_NODE(0));
				printf("    root ");
				out_escaped(stdout, gn ? gn : "?");
				putchar('\n');
				free(gn);
			} else {
				printf("    (several roots: no single root keeps it alive)\n");
			}
		}
	}
	free(tn);
	rg_paths_free(paths, np);
}

static int run_why(struct cli *cli)
{
	uint64_t per_class, largest = 0;
	if (!cli_opt_uint(cli, "paths", 1, &per_class) ||
	    !cli_opt_uint(cli, "largest", 0, &largest))
		return EXIT_USAGE;
	if (per_class == 0 || per_class > 100)
		return usage_error(cli, "--paths wants 1 to 100");
	const char *type = cli_opt(cli, "type");
	int modes = (cli->nargs > 1) + (type != NULL) + (largest > 0);
	if (modes != 1)
		return usage_error(cli, "give ADDR..., --type NAME or --largest N (one of them)");
	for (size_t i = 1; i < cli->nargs; i++) {
		uint64_t addr;
		if (!cli_parse_addr(cli->args[i], &addr))
			return usage_error(cli, "ADDR must be an address such as 0xc000123000, not '%s'",
					   cli->args[i]);
	}
	struct cli_session s;
	int rc = cli_session_open(cli, &s, CLI_NEED_GRAPH);
	if (rc)
		return rc;
	uint32_t *targets = NULL;
	size_t nt = 0;
	uint32_t n = rg_node_count(s.graph);
	if (cli->nargs > 1) {
		targets = malloc(cli->nargs * sizeof(*targets));
		for (size_t i = 1; targets && i < cli->nargs; i++) {
			uint64_t addr = 0;
			uint32_t o = 0;
			cli_parse_addr(cli->args[i], &addr);
			if ((rc = cli_find_object(cli, &s, addr, &o))) {
				free(targets);
				cli_session_close(cli, &s);
				return rc;
			}
			targets[nt++] = o;
		}
	} else {
		size_t want = largest ? (size_t)largest : 1;
		targets = calloc(want, sizeof(*targets));
		for (uint32_t i = 0; i < n && targets; i++) {
			if (!rg_is_live(s.graph, i))
				continue;
			if (type) {
				char *tn = cli_object_type_name(&s, i);
				const struct hs_type *t = rg_object_type(s.graph, i);
				bool match = (t && strcmp(t->name, type) == 0) ||
					     (tn && strcmp(tn, type) == 0);
				free(tn);
				if (!match)
					continue;
			}
			/* keep the `want` largest by retained size, sorted */
			size_t k = nt < want ? nt++ : want;
			if (k == want) {
				if (rg_retained(s.graph, i) <= rg_retained(s.graph, targets[want - 1]))
					continue;
				k = want - 1;
			}
			while (k > 0 && rg_retained(s.graph, targets[k - 1]) < rg_retained(s.graph, i)) {
				targets[k] = targets[k - 1];
				k--;
			}
			targets[k] = i;
		}
		if (nt == 0) {
			fprintf(stderr, "corescope: %s: no live object%s%s%s\n", cli->args[0],
				type ? " of type '" : "", type ? type : "", type ? "'" : "");
			free(targets);
			cli_session_close(cli, &s);
			return EXIT_INPUT;
		}
	}
	struct json j;
	json_init(&j);
	if (cli->json) {
		json_begin_object(&j);
		json_key(&j, "explanations");
		json_begin_array(&j);
	}
	for (size_t k = 0; k < nt; k++) {
		if (!cli->json && k)
			printf("\n");
		explain(cli, &s, targets[k], (unsigned)per_class, cli->json ? &j : NULL);
	}
	if (cli->json) {
		json_end_array(&j);
		json_end_object(&j);
		json_emit(cli, s.core, &j);
	}
	json_deinit(&j);
	free(targets);
	return cli_session_close(cli, &s);
}

const struct command cmd_why = {
	.name = "why",
	.summary = "what keeps an object alive, and through which path",
	.usage = "CORE [ADDR...]",
	.description =
		"Explain why a heap object is alive: the shortest path from each class of\n"
		"root (global variable, goroutine stack, finalizer/special, other) to it,\n"
		"every hop named the Go way (.field, [i], [key \"k\"], .(T), closures),\n"
		"with each object's address, type, size and retained size; then the chain\n"
		"of dominators: the objects every path goes through.  Each ADDR may point\n"
		"anywhere inside an object.  Instead of ADDR: --type NAME picks the live\n"
		"object of that type that retains the most, --largest N the N objects that\n"
		"retain the most.",
	.example = "corescope why core.1234 0xc000a80000 --paths 3",
	.opts = why_opts,
	.min_args = 1,
	.max_args = 100000,
	.run = run_why,
};
