/*
 * cmd_histogram.c — `corescope histogram`: count and bytes per type, live
 * and unreachable.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "heapscan.h"
#include "refgraph.h"

static const struct opt_spec histogram_opts[] = {
	{ "top", 'n', OPT_REQUIRED, "N", "show the N types with the most bytes (default 30; 0 = all)" },
	{ "sort", 0, OPT_REQUIRED, "KEY", "bytes (default), count, retained or unreachable" },
	{ 0 },
};

static const char *sort_key;

static uint64_t key_of(const struct rg_type_total *t)
{
	if (!strcmp(sort_key, "count"))
		return t->objects;
	if (!strcmp(sort_key, "retained"))
		return t->retained;
	if (!strcmp(sort_key, "unreachable"))
		return t->dead_bytes;
	return t->bytes;
}

static int total_cmp(const void *a, const void *b)
{
	uint64_t x = key_of(a), y = key_of(b);
	return x > y ? -1 : x < y;
}

int histogram_args(struct cli *cli, struct histogram_args *a)
{
	if (!cli_opt_uint(cli, "top", 30, &a->top))
		return EXIT_USAGE;
	a->sort = cli_opt(cli, "sort");
	if (!a->sort)
		a->sort = "bytes";
	if (strcmp(a->sort, "bytes") && strcmp(a->sort, "count") &&
	    strcmp(a->sort, "retained") && strcmp(a->sort, "unreachable"))
		return usage_error(cli, "--sort wants bytes, count, retained or unreachable, not '%s'",
				   a->sort);
	return 0;
}

void histogram_write(struct cli *cli, struct cli_session *s, const struct histogram_args *opt,
		     struct rg_type_total *t, size_t n, struct json *j)
{
	sort_key = opt->sort;
	cs_sort(t, n, sizeof(*t), total_cmp);
	size_t shown = opt->top && opt->top < n ? (size_t)opt->top : n;
	struct rg_totals tot;
	rg_graph_totals(s->graph, &tot);
	if (j) {
		json_begin_object(j);
		json_kv_uint(j, "types", n);
		json_kv_uint(j, "objects", tot.objects);
		json_kv_uint(j, "bytes", tot.bytes);
		json_kv_uint(j, "live_objects", tot.live_objects);
		json_kv_uint(j, "live_bytes", tot.live_bytes);
		json_key(j, "rows");
		json_begin_array(j);
	} else {
		printf("%s%12s %12s %12s %12s %12s  %s%s\n", sty_bold(cli), "LIVE OBJS", "LIVE BYTES",
		       "UNREACH OBJS", "UNREACH BYTES", "RETAINED", "TYPE", sty_off(cli));
	}
	for (size_t i = 0; i < shown; i++) {
		const struct hs_type *ty = hs_type_by_id(s->prog, t[i].type);
		bool arrays = t[i].arrays;	/* hs_type_elements: 2 or more values each */
		char name[512];
		snprintf(name, sizeof(name), "%s%s%s", arrays ? "[]" : "", ty ? ty->name : "(untyped)",
			 arrays ? " (backing arrays)" : "");
		uint64_t lo = t[i].objects - t[i].dead_objects, lb = t[i].bytes - t[i].dead_bytes;
		if (j) {
			json_begin_object(j);
			json_kv_string(j, "type", ty ? ty->name : NULL);
			json_kv_bool(j, "arrays", arrays);
			json_kv_uint(j, "live_objects", lo);
			json_kv_uint(j, "live_bytes", lb);
			json_kv_uint(j, "unreachable_objects", t[i].dead_objects);
			json_kv_uint(j, "unreachable_bytes", t[i].dead_bytes);
			json_kv_uint(j, "retained", t[i].retained);
			json_end_object(j);
			continue;
		}
		char a[32], b[32], c[32], d[32], e[32];
		printf("%12s %12s %12s %12s %12s  ", fmt_count(lo, a), cs_fmt_size(lb, b),
		       fmt_count(t[i].dead_objects, c), cs_fmt_size(t[i].dead_bytes, d),
		       cs_fmt_size(t[i].retained, e));
		out_escaped(stdout, name);
		putchar('\n');
	}
	if (j) {
		json_end_array(j);
		json_end_object(j);
	} else {
		char a[32], b[32], c[32], d[32], e[32];
		printf("%s types shown of %zu; %s objects (%s), %s live (%s)\n", fmt_count(shown, a), n,
		       fmt_count(tot.objects, b), cs_fmt_size(tot.bytes, c),
		       fmt_count(tot.live_objects, d), cs_fmt_size(tot.live_bytes, e));
	}
}

static int run_histogram(struct cli *cli)
{
	struct histogram_args a;
	struct cli_session s;
	int rc = histogram_args(cli, &a);
	if (rc || (rc = cli_session_open(cli, &s, CLI_NEED_GRAPH)))
		return rc;
	struct rg_type_total *t = NULL;
	size_t n = 0;
	struct cs_error *err = rg_type_totals(s.graph, &t, &n);
	if (err) {
		cli_session_close(cli, &s);
		return cli_fail(err);
	}
	struct json j;
	json_init(&j);
	histogram_write(cli, &s, &a, t, n, cli->json ? &j : NULL);
	if (cli->json)
		json_emit(cli, s.core, &j);
	json_deinit(&j);
	free(t);
	return cli_session_close(cli, &s);
}

const struct command cmd_histogram = {
	.name = "histogram",
	.summary = "count and bytes per type, live and unreachable",
	.usage = "CORE",
	.description =
		"Count objects and bytes per type, split into live (reachable from a root)\n"
		"and unreachable (allocated, garbage not yet swept), with the bytes each\n"
		"type's outermost live objects retain.  Objects that hold two or more values\n"
		"of their type are arrays of it (\"[]T (backing arrays)\"); a single value\n"
		"rounded up to its size class is not.  Untyped objects are counted together.",
	.example = "corescope histogram core.1234 -n 20 --sort retained",
	.opts = histogram_opts,
	.min_args = 1,
	.max_args = 1,
	.run = run_histogram,
};
