/*
 * cmd_goroutines.c — `corescope goroutines`: every goroutine, one line
 * each, or grouped by identical stack, or with full frames in the
 * runtime's own traceback format.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "heapscan.h"

static const struct opt_spec goroutines_opts[] = {
	{ "group", 'g', OPT_NONE, NULL, "group goroutines with identical stacks, largest group first" },
	{ "frames", 'f', OPT_NONE, NULL, "print every frame, as a Go traceback does" },
	{ "state", 's', OPT_REQUIRED, "STATE", "only this state: running, runnable, waiting, syscall, … or a wait reason" },
	{ "func", 0, OPT_REQUIRED, "NAME", "only goroutines with a frame whose function contains NAME" },
	{ "system", 0, OPT_NONE, NULL, "include runtime-internal goroutines" },
	{ 0 },
};

static const char *state_text(const struct hs_goroutine *g)
{
	uint32_t st = g->status & ~0x1000u;
	if (st == 4 && g->wait_str)	/* waiting: the reason says more */
		return g->wait_str;
	return hs_gstatus_name(st);
}

static bool wants(struct cli_session *s, uint32_t gi, const char *state, const char *fn,
		  bool system)
{
	const struct hs_goroutine *g = &s->gs->v[gi];
	if (g->system && !system)
		return false;
	if (state && strcmp(state, hs_gstatus_name(g->status)) != 0 &&
	    (!g->wait_str || strcmp(state, g->wait_str) != 0))
		return false;
	if (fn) {
		for (uint32_t k = 0; k < g->nframes; k++) {
			const struct hs_frame *f = &s->gs->frames[g->first_frame + k];
			for (uint16_t q = 0; q < f->nlogical; q++) {
				const char *n = s->gs->logical[f->first_logical + q].name;
				if (n && strstr(n, fn))
					return true;
			}
		}
		return false;
	}
	return true;
}

/* Go traceback style: "func(...)\n\tfile:line +0xoff". */
static void print_frames(struct cli_session *s, const struct hs_goroutine *g)
{
	for (uint32_t k = 0; k < g->nframes; k++) {
		const struct hs_frame *f = &s->gs->frames[g->first_frame + k];
		for (uint16_t q = 0; q < f->nlogical; q++) {
			const struct hs_logical_frame *lf = &s->gs->logical[f->first_logical + q];
			out_escaped(stdout, lf->name ? lf->name : "?");
			printf("(...)\n\t");
			out_escaped(stdout, lf->file ? lf->file : "?");
			printf(":%d", lf->line);
			if (!lf->inlined && f->pc > f->entry)
				printf(" +0x%" PRIx64, f->pc - f->entry);
			putchar('\n');
		}
	}
	if (g->stop)
		printf("...stopped: %s\n", g->stop);
	const char *cn = hs_func_name_at(s->prog, g->gopc);
	if (cn && g->goid != 1) {
		const char *file;
		int32_t line;
		printf("created by ");
		out_escaped(stdout, cn);
		if (g->parent_goid)
			printf(" in goroutine %" PRIu64, g->parent_goid);
		if (hs_pc_fileline(s->prog, g->gopc - 1, &file, &line)) {
			printf("\n\t");
			out_escaped(stdout, file);
			printf(":%d", line);
		}
		putchar('\n');
	}
}

static void json_goroutine(struct json *j, struct cli_session *s, const struct hs_goroutine *g)
{
	json_kv_uint(j, "goid", g->goid);
	json_kv_string(j, "status", hs_gstatus_name(g->status));
	json_kv_string(j, "wait_reason", (g->status & ~0x1000u) == 4 ? g->wait_str : NULL);
	json_kv_bool(j, "system", g->system);
	json_kv_addr(j, "g", g->g);
	json_kv_int(j, "thread", g->tid);
	json_kv_string(j, "start_function", hs_func_name_at(s->prog, g->startpc));
	json_key(j, "created_by");
	const char *cn = hs_func_name_at(s->prog, g->gopc);
	if (cn) {
		const char *file = NULL;
		int32_t line = 0;
		hs_pc_fileline(s->prog, g->gopc - 1, &file, &line);
		json_begin_object(j);
		json_kv_string(j, "function", cn);
		json_kv_string(j, "file", file);
		json_kv_int(j, "line", line);
		json_kv_uint(j, "goid", g->parent_goid);
		json_end_object(j);
	} else {
		json_null(j);
	}
	json_key(j, "frames");
	json_begin_array(j);
	for (uint32_t k = 0; k < g->nframes; k++) {
		const struct hs_frame *f = &s->gs->frames[g->first_frame + k];
		for (uint16_t q = 0; q < f->nlogical; q++) {
			const struct hs_logical_frame *lf = &s->gs->logical[f->first_logical + q];
			json_begin_object(j);
			json_kv_string(j, "function", lf->name);
			json_kv_string(j, "file", lf->file);
			json_kv_int(j, "line", lf->line);
			json_kv_addr(j, "pc", f->pc);
			json_kv_addr(j, "sp", f->sp);
			json_kv_bool(j, "inlined", lf->inlined);
			json_end_object(j);
		}
	}
	json_end_array(j);
	json_kv_string(j, "stop", g->stop);
}

static int run_goroutines(struct cli *cli)
{
	const char *state = cli_opt(cli, "state"), *fn = cli_opt(cli, "func");
	bool group = cli_flag(cli, "group"), frames = cli_flag(cli, "frames");
	bool system = cli_flag(cli, "system");
	struct cli_session s;
	int rc = cli_session_open(cli, &s, CLI_NEED_GOROUTINES);
	if (rc)
		return rc;
	size_t n = s.gs->n, shown = 0;
	struct cli_stack_group *groups = NULL;
	size_t ng = 0;
	if (group) {
		uint8_t *pick = calloc(n ? n : 1, 1);
		for (uint32_t i = 0; i < n && pick; i++)
			pick[i] = wants(&s, i, state, fn, system);
		groups = pick ? cli_stack_groups(&s, pick, &ng) : NULL;
		free(pick);
	}
	struct json j;
	json_init(&j);
	if (cli->json) {
		json_begin_object(&j);
		json_key(&j, group ? "groups" : "goroutines");
		json_begin_array(&j);
	}
	if (group) {
		for (size_t k = 0; k < ng; k++) {
			const struct hs_goroutine *g = &s.gs->v[groups[k].first];
			shown += groups[k].count;
			if (cli->json) {
				json_begin_object(&j);
				json_kv_uint(&j, "count", groups[k].count);
				json_key(&j, "example");
				json_begin_object(&j);
				json_goroutine(&j, &s, g);
				json_end_object(&j);
				json_end_object(&j);
				continue;
			}
			printf("%s%u goroutine%s [%s]%s, e.g. goroutine %" PRIu64 ":\n", sty_bold(cli),
			       groups[k].count, groups[k].count == 1 ? "" : "s", state_text(g),
			       sty_off(cli), g->goid);
			print_frames(&s, g);
			putchar('\n');
		}
	} else {
		for (uint32_t i = 0; i < n; i++) {
			if (!wants(&s, i, state, fn, system))
				continue;
			const struct hs_goroutine *g = &s.gs->v[i];
			shown++;
			if (cli->json) {
				json_begin_object(&j);
				json_goroutine(&j, &s, g);
				json_end_object(&j);
				continue;
			}
			if (frames) {
				printf("%sgoroutine %" PRIu64 " [%s]:%s\n", sty_bold(cli), g->goid,
				       state_text(g), sty_off(cli));
				print_frames(&s, g);
				putchar('\n');
				continue;
			}
			printf("%8" PRIu64 "  %-20s  ", g->goid, state_text(g));
			out_escaped(stdout, cli_goroutine_func(&s, i));
			putchar('\n');
		}
	}
	if (cli->json) {
		json_end_array(&j);
		json_kv_uint(&j, "total", n);
		json_kv_uint(&j, "shown", shown);
		json_end_object(&j);
		json_emit(cli, s.core, &j);
	} else {
		char a[32], b[32];
		printf("%s of %s goroutines%s\n", fmt_count(shown, a), fmt_count(n, b),
		       system ? "" : " (runtime-internal ones hidden; --system shows them)");
	}
	json_deinit(&j);
	free(groups);
	return cli_session_close(cli, &s);
}

const struct command cmd_goroutines = {
	.name = "goroutines",
	.summary = "goroutines: state, wait reason, stacks; grouped by identical stack",
	.usage = "CORE",
	.description =
		"List every goroutine with its state (or wait reason) and the function it is\n"
		"in.  --frames prints full stacks in the format of Go's own tracebacks\n"
		"(inlined frames expanded, 'created by' lines); --group folds goroutines with\n"
		"identical stacks into one entry with a count, largest first, like\n"
		"/debug/pprof/goroutine?debug=1.  Stacks are unwound from the core with\n"
		"pclntab, the way the runtime does.",
	.example = "corescope goroutines core.1234 --group --state 'chan receive'",
	.opts = goroutines_opts,
	.min_args = 1,
	.max_args = 1,
	.run = run_goroutines,
};
