/*
 * cmd_threads.c — `corescope threads`: OS threads, registers and native
 * backtraces.
 */
#include "config.h"

#include <inttypes.h>

#include "cli.h"
#include "heapscan.h"

#define MAX_FRAMES 256

static const struct opt_spec threads_opts[] = {
	{ "bt", 0, OPT_NONE, NULL, "native backtrace of each thread (libunwind, frame pointers)" },
	{ 0 },
};

static void symbol_text(const struct cw_frame *f)
{
	if (f->symbol) {
		out_escaped(stdout, f->symbol);
		printf("+0x%" PRIx64, f->symbol_offset);
	} else {
		printf("?");
	}
	if (f->module) {
		printf("  (");
		out_escaped(stdout, f->module);
		printf(")");
	}
}

static int run_threads(struct cli *cli)
{
	struct cw_core *core;
	int rc = cli_open_core(cli, cli->nargs > 1 ? cli->args[1] : NULL, &core);
	if (rc)
		return rc;
	bool bt = cli_flag(cli, "bt");
	/* Go frames have no CFI in most binaries: let pclntab size them. */
	struct hs_program *prog = NULL;
	struct cw_unwind_hook hook = { 0 };
	if (bt) {
		struct cs_error *err = hs_program_open(core, &prog);
		if (err)
			cs_warn_error(cw_core_warnings(core), false, err,
				      "Go frames will be unwound by frame pointers");
		else
			hs_unwind_hook(prog, &hook);
	}
	size_t nt = cw_core_thread_count(core);
	struct cw_frame *frames = calloc(MAX_FRAMES, sizeof(*frames));
	if (!frames) {
		cw_core_destroy(core);
		return cli_fail(&cs_error_nomem);
	}
	struct json j;
	json_init(&j);
	if (cli->json) {
		json_begin_object(&j);
		json_key(&j, "threads");
		json_begin_array(&j);
	}
	for (size_t i = 0; i < nt; i++) {
		const struct cw_thread *t = cw_core_thread(core, i);
		size_t nf = 0;
		const char *stop = NULL;
		if (bt) {
			struct cs_error *err = cw_thread_backtrace(core, t, prog ? &hook : NULL,
								   frames, MAX_FRAMES, &nf, &stop);
			if (err)
				cs_warn_error(cw_core_warnings(core), false, err, "backtrace");
		}
		const char *sym = NULL, *mod = NULL;
		uint64_t off = 0;
		bool have_sym = cw_symbolize(core, t->regs.rip, &sym, &off, &mod);
		if (cli->json) {
			json_begin_object(&j);
			json_kv_int(&j, "tid", t->tid);
			json_kv_int(&j, "signal", t->cursig);
			json_kv_addr(&j, "pc", t->regs.rip);
			json_kv_addr(&j, "sp", t->regs.rsp);
			json_kv_addr(&j, "fp", t->regs.rbp);
			json_kv_addr(&j, "fs_base", t->regs.fs_base);
			json_kv_string(&j, "symbol", have_sym ? sym : NULL);
			if (bt) {
				json_key(&j, "frames");
				json_begin_array(&j);
				for (size_t k = 0; k < nf; k++) {
					json_begin_object(&j);
					json_kv_addr(&j, "pc", frames[k].pc);
					json_kv_addr(&j, "sp", frames[k].sp);
					json_kv_string(&j, "symbol", frames[k].symbol);
					json_kv_uint(&j, "offset", frames[k].symbol_offset);
					json_kv_string(&j, "module", frames[k].module);
					json_kv_string(&j, "method", frames[k].method);
					json_end_object(&j);
				}
				json_end_array(&j);
				json_kv_string(&j, "stop", stop);
			}
			json_end_object(&j);
			continue;
		}
		printf("%sthread %d%s", sty_bold(cli), t->tid, sty_off(cli));
		if (t->cursig)
			printf("  signal %s", cli_signal_name(t->cursig));
		printf("  pc 0x%" PRIx64 "  sp 0x%" PRIx64, t->regs.rip, t->regs.rsp);
		if (have_sym) {
			printf("  ");
			out_escaped(stdout, sym);
			printf("+0x%" PRIx64, off);
		}
		putchar('\n');
		for (size_t k = 0; k < nf; k++) {
			printf("  #%-3zu 0x%016" PRIx64 " ", k, frames[k].pc);
			symbol_text(&frames[k]);
			printf("  %s[%s]%s\n", sty_dim(cli), frames[k].method, sty_off(cli));
		}
		if (bt && stop)
			printf("  (stopped: %s)\n", stop);
		if (bt && i + 1 < nt)
			putchar('\n');
	}
	if (cli->json) {
		json_end_array(&j);
		json_end_object(&j);
		json_emit(cli, core, &j);
	}
	json_deinit(&j);
	hs_program_destroy(prog);
	free(frames);
	rc = cli_finish(cli, core);
	cw_core_destroy(core);
	return rc;
}

const struct command cmd_threads = {
	.name = "threads",
	.summary = "OS threads with registers and, with --bt, native backtraces",
	.usage = "CORE [EXE]",
	.description =
		"List the OS threads recorded in the core (NT_PRSTATUS): thread id, pending\n"
		"signal, program counter and stack pointer, and the symbol at the PC.  With\n"
		"--bt, unwind each thread natively: DWARF CFI (.eh_frame) through libunwind\n"
		"where it exists, the frame-pointer chain elsewhere (Go code).  Each frame\n"
		"says which method found it.  For Go-level stacks use 'goroutines'.",
	.example = "corescope threads --bt core.1234",
	.opts = threads_opts,
	.min_args = 1,
	.max_args = 2,
	.run = run_threads,
};
