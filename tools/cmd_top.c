/*
 * cmd_top.c — `corescope top`: what retains the most memory, by object,
 * by type or by root.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "heapscan.h"
#include "refgraph.h"

static const struct opt_spec top_opts[] = {
	{ "by", 0, OPT_REQUIRED, "WHAT", "object, type or root (default object)" },
	{ "top", 'n', OPT_REQUIRED, "N", "how many rows (default 20)" },
	{ 0 },
};

struct row {
	uint64_t retained;
	uint64_t count, bytes;
	uint32_t id;
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->retained != y->retained)
		return x->retained > y->retained ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Keep the n largest rows of a stream without sorting everything. */
struct topn {
	struct row *v;
	size_t n, cap;
};

static void topn_add(struct topn *t, struct row r)
{
	if (t->n < t->cap) {
		t->v[t->n++] = r;
		if (t->n == t->cap)
			cs_sort(t->v, t->n, sizeof(*t->v), row_cmp);
		return;
	}
	if (row_cmp(&r, &t->v[t->n - 1]) >= 0)
		return;
	/* insertion into the sorted array */
	size_t i = t->n - 1;
	while (i > 0 && row_cmp(&r, &t->v[i - 1]) < 0) {
		t->v[i] = t->v[i - 1];
		i--;
	}
	t->v[i] = r;
}

static int run_top(struct cli *cli)
{
	uint64_t n;
	if (!cli_opt_uint(cli, "top", 20, &n))
		return EXIT_USAGE;
	if (n == 0 || n > 1000000)
		return usage_error(cli, "--top wants 1 to 1000000");
	const char *by = cli_opt(cli, "by");
	if (!by)
		by = "object";
	if (strcmp(by, "object") && strcmp(by, "type") && strcmp(by, "root"))
		return usage_error(cli, "--by wants object, type or root, not '%s'", by);

	struct cli_session s;
	int rc = cli_session_open(cli, &s, CLI_NEED_GRAPH);
	if (rc)
		return rc;
	struct topn t = { calloc(n, sizeof(struct row)), 0, n };
	if (!t.v) {
		cli_session_close(cli, &s);
		return cli_fail(&cs_error_nomem);
	}
	struct rg_type_total *types = NULL;
	size_t ntypes = 0;
	if (!strcmp(by, "object")) {
		for (uint32_t i = 0; i < rg_node_count(s.graph); i++)
			if (rg_is_live(s.graph, i))
				topn_add(&t, (struct row){ rg_retained(s.graph, i), 1,
							   hs_object_size(s.heap, i), i });
	} else if (!strcmp(by, "type")) {
		struct cs_error *err = rg_type_totals(s.graph, &types, &ntypes);
		if (err) {
			free(t.v);
			cli_session_close(cli, &s);
			return cli_fail(err);
		}
		for (size_t i = 0; i < ntypes; i++)
			topn_add(&t, (struct row){ types[i].retained,
						   types[i].objects - types[i].dead_objects,
						   types[i].bytes - types[i].dead_bytes,
						   (uint32_t)i });
	} else {
		for (uint32_t gr = 0; gr < rg_group_count(s.graph); gr++) {
			struct rg_group_info gi;
			rg_group(s.graph, gr, &gi);
			topn_add(&t, (struct row){ gi.retained, gi.nroots, 0, gr });
		}
	}
	if (t.n < t.cap)
		cs_sort(t.v, t.n, sizeof(*t.v), row_cmp);

	uint64_t live = rg_class_retained(s.graph, RG_NCLASSES);
	struct json j;
	json_init(&j);
	if (cli->json) {
		json_begin_object(&j);
		json_kv_string(&j, "by", by);
		json_kv_uint(&j, "live_bytes", live);
		json_key(&j, "rows");
		json_begin_array(&j);
	} else {
		char a[32];
		printf("%slive heap %s; top %zu by retained size (%s)%s\n\n", sty_bold(cli),
		       cs_fmt_size(live, a), t.n, by, sty_off(cli));
		printf("%s%12s %6s  %s%s\n", sty_bold(cli), "RETAINED", "%",
		       !strcmp(by, "object") ? "OBJECT" : !strcmp(by, "type") ? "TYPE (count, shallow)" : "ROOT",
		       sty_off(cli));
	}
	for (size_t k = 0; k < t.n; k++) {
		const struct row *r = &t.v[k];
		char *name = NULL;
		const char *tname = NULL;
		uint64_t addr = 0;
		if (!strcmp(by, "object")) {
			addr = hs_object_addr(s.heap, r->id);
			name = cli_object_type_name(&s, r->id);
		} else if (!strcmp(by, "type")) {
			const struct hs_type *ty = hs_type_by_id(s.prog, types[r->id].type);
			tname = ty ? ty->name : "(untyped)";
		} else {
			name = cli_group_name(&s, r->id);
		}
		double pct = live ? 100.0 * (double)r->retained / (double)live : 0;
		if (cli->json) {
			json_begin_object(&j);
			json_kv_uint(&j, "retained", r->retained);
			if (!strcmp(by, "object")) {
				json_kv_addr(&j, "address", addr);
				json_kv_string(&j, "type", name);
				json_kv_uint(&j, "size", r->bytes);
			} else if (!strcmp(by, "type")) {
				json_kv_string(&j, "type", tname);
				json_kv_uint(&j, "live_objects", r->count);
				json_kv_uint(&j, "live_bytes", r->bytes);
			} else {
				struct rg_group_info gi;
				rg_group(s.graph, r->id, &gi);
				json_kv_string(&j, "root", name);
				json_kv_string(&j, "class", rg_root_class_name(gi.cls));
				json_kv_string(&j, "kind", hs_root_kind_name(gi.kind));
				json_kv_uint(&j, "slots", gi.nroots);
			}
			json_end_object(&j);
		} else {
			char a[32], b[32], c[32];
			printf("%12s %5.1f%%  ", cs_fmt_size(r->retained, a), pct);
			if (!strcmp(by, "object")) {
				printf("0x%016" PRIx64 " ", addr);
				out_escaped(stdout, name ? name : "?");
				printf("  %s(%s)%s", sty_dim(cli), cs_fmt_size(r->bytes, b),
				       sty_off(cli));
			} else if (!strcmp(by, "type")) {
				out_escaped(stdout, tname);
				printf("  %s(%s, %s)%s", sty_dim(cli), fmt_count(r->count, c),
				       cs_fmt_size(r->bytes, b), sty_off(cli));
			} else {
				out_escaped(stdout, name ? name : "?");
			}
			putchar('\n');
		}
		free(name);
	}
	if (cli->json) {
		json_end_array(&j);
		json_end_object(&j);
		json_emit(cli, s.core, &j);
	}
	json_deinit(&j);
	free(types);
	free(t.v);
	return cli_session_close(cli, &s);
}

const struct command cmd_top = {
	.name = "top",
	.summary = "the objects, types or roots that retain the most memory",
	.usage = "CORE",
	.description =
		"Rank by retained size: the bytes that would be freed if the object, all\n"
		"outermost objects of the type, or the root were gone (dominator tree over\n"
		"the live heap).  --by object lists single objects, --by type aggregates\n"
		"per type without double-counting nested instances, --by root ranks named\n"
		"roots: global variables, goroutines, finalizers.",
	.example = "corescope top core.1234 --by root -n 10",
	.opts = top_opts,
	.min_args = 1,
	.max_args = 1,
	.run = run_top,
};
