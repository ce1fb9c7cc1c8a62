/*
 * cmd_report.c — `corescope report`: the whole post-mortem from one
 * analysis.  Where the memory is, the leak suspects and the types by
 * retained size, each as its own command prints it, from one graph: the
 * three commands one after the other would scan the heap, infer types
 * and compute dominators three times.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "refgraph.h"

static const struct opt_spec report_opts[] = {
	{ "share", 0, OPT_REQUIRED, "PERCENT", "leak suspects keep at least this share of the live heap (default 10)" },
	{ "min-goroutines", 0, OPT_REQUIRED, "N", "smallest group of identical blocked goroutines to report (default 10)" },
	{ "top", 'n', OPT_REQUIRED, "N", "types shown (default 30; 0 = all)" },
	{ "sort", 0, OPT_REQUIRED, "KEY", "types by retained (default), bytes, count or unreachable" },
	{ 0 },
};

static void section(struct cli *cli, const char *title)
{
	printf("%s== %s ==%s\n\n", sty_bold(cli), title, sty_off(cli));
}

static int run_report(struct cli *cli)
{
	struct leaks_args la;
	struct histogram_args ha;
	int rc = leaks_args(cli, &la);
	if (!rc)
		rc = histogram_args(cli, &ha);
	if (rc)
		return rc;
	if (!cli_opt(cli, "sort"))
		ha.sort = "retained";
	struct cli_session s;
	if ((rc = cli_session_open(cli, &s, CLI_NEED_GRAPH)))
		return rc;
	struct rg_type_total *tt;
	size_t ntt;
	leaks_type_totals(&s, &tt, &ntt);
	struct json j;
	json_init(&j);
	struct json *jp = cli->json ? &j : NULL;
	if (jp) {
		json_begin_object(jp);
		json_key(jp, "overview");
	} else {
		section(cli, "Where the memory is");
	}
	overview_write(cli, &s, jp);
	if (jp) {
		json_key(jp, "leaks");
	} else {
		putchar('\n');
		section(cli, "Leak suspects");
	}
	struct cs_error *err = leaks_write(cli, &s, &la, tt, ntt, jp);
	if (err) {
		/* the other sections stand: a partial answer */
		cs_warn_error(cw_core_warnings(s.core), true, err, "leak suspects");
		if (jp)
			json_null(jp);
	}
	if (jp) {
		json_key(jp, "histogram");
	} else {
		static const char *const by[][2] = { { "retained", "retained bytes" }, { "bytes", "bytes" },
						     { "count", "objects" },
						     { "unreachable", "unreachable bytes" } };
		char title[64];
		for (size_t i = 0; i < CS_ARRAY_SIZE(by); i++)
			if (!strcmp(ha.sort, by[i][0]))
				snprintf(title, sizeof(title), "Types, by %s", by[i][1]);
		putchar('\n');
		section(cli, title);
	}
	/* (sorts tt: after leaks_write, which reads it in type order) */
	histogram_write(cli, &s, &ha, tt, ntt, jp);
	free(tt);
	if (jp) {
		json_end_object(jp);
		json_emit(cli, s.core, jp);
	}
	json_deinit(&j);
	return cli_session_close(cli, &s);
}

const struct command cmd_report = {
	.name = "report",
	.summary = "the whole post-mortem from one analysis: overview, leak suspects, types",
	.usage = "CORE",
	.description =
		"What `overview`, `leaks` and `histogram --sort retained` print, one after\n"
		"the other, from one analysis of the core: the three commands run apart\n"
		"would each scan the heap, infer types and compute dominators.  Where the\n"
		"memory is; the leak suspects, with the path to a typical element of each;\n"
		"then the types by the bytes their outermost objects retain.  With --json,\n"
		"one document whose result holds the three commands' results as they print\n"
		"them.",
	.example = "corescope report core.1234.zst --exe ./server > postmortem.txt",
	.opts = report_opts,
	.min_args = 1,
	.max_args = 1,
	.run = run_report,
};
