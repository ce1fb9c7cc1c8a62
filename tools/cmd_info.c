/*
 * cmd_info.c — `corescope info`: what this core is.
 */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "cli.h"
#include "heapscan.h"

static const char *exe_status_name(enum cw_exe_status s)
{
	switch (s) {
	case CW_EXE_MATCH:
		return "match";
	case CW_EXE_UNVERIFIED:
		return "unverified";
	case CW_EXE_MISMATCH:
		return "mismatch";
	case CW_EXE_NONE:
		break;
	}
	return "none";
}

const char *cli_source_name(enum cw_source s)
{
	switch (s) {
	case CW_SRC_CORE:
		return "core";
	case CW_SRC_FILE:
		return "file";
	case CW_SRC_TRUNCATED:
		return "truncated";
	case CW_SRC_NOT_SAVED:
		break;
	}
	return "not-saved";
}

const char *cli_signal_name(int sig)
{
	const char *s = sig > 0 && sig < 65 ? sigabbrev_np(sig) : NULL;
	static __thread char buf[16];
	if (!s)
		return "?";
	snprintf(buf, sizeof(buf), "SIG%s", s);
	return buf;
}

struct rtver {
	char *value;
	uint64_t addr;
	enum cw_source source;
};

static void info_json(struct cli *cli, struct cw_core *core,
		      const struct hs_buildinfo *bi, const struct rtver *rv)
{
	const struct cw_input_info *in = cw_core_input(core);
	const struct cw_process *p = cw_core_process(core);
	const struct cw_exe *exe = cw_core_exe(core);
	struct json j;
	json_init(&j);
	json_begin_object(&j);

	/* The core's content only: the same for a core and its .zst. */
	json_key(&j, "dump");
	json_begin_object(&j);
	json_kv_uint(&j, "size", in->data_size);
	json_kv_uint(&j, "expected_size", in->expected_size);
	json_kv_bool(&j, "truncated", in->truncated);
	json_kv_uint(&j, "mapped_bytes", in->mapped_bytes);
	json_kv_uint(&j, "saved_bytes", in->saved_bytes);
	json_kv_uint(&j, "missing_bytes", in->missing_bytes);
	json_kv_uint(&j, "segments", cw_core_segment_count(core));
	json_end_object(&j);

	json_key(&j, "process");
	if (p->have_psinfo) {
		json_begin_object(&j);
		json_kv_int(&j, "pid", p->pid);
		json_kv_int(&j, "ppid", p->ppid);
		json_kv_int(&j, "uid", p->uid);
		json_kv_int(&j, "gid", p->gid);
		json_kv_string(&j, "command", p->fname);
		json_kv_string(&j, "args", p->psargs);
		json_end_object(&j);
	} else {
		json_null(&j);
	}

	json_key(&j, "signal");
	const struct cw_thread *t0 = cw_core_thread(core, 0);
	int sig = p->have_siginfo ? p->signo : t0 ? t0->cursig : 0;
	if (sig) {
		json_begin_object(&j);
		json_kv_int(&j, "number", sig);
		json_kv_string(&j, "name", cli_signal_name(sig));
		if (p->have_siginfo) {
			json_kv_int(&j, "code", p->sigcode);
			json_kv_int(&j, "errno", p->sigerrno);
			if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
			    sig == SIGFPE || sig == SIGTRAP)
				json_kv_addr(&j, "fault_address", p->fault_addr);
		}
		json_end_object(&j);
	} else {
		json_null(&j);
	}

	json_key(&j, "threads");
	json_begin_object(&j);
	json_kv_uint(&j, "count", cw_core_thread_count(core));
	json_key(&j, "ids");
	json_begin_array(&j);
	for (size_t i = 0; i < cw_core_thread_count(core); i++)
		json_int(&j, cw_core_thread(core, i)->tid);
	json_end_array(&j);
	json_end_object(&j);

	json_key(&j, "executable");
	json_begin_object(&j);
	json_kv_string(&j, "path", exe->path);
	json_kv_string(&j, "core_path", exe->core_path);
	json_kv_string(&j, "found_via", exe->how_found);
	json_kv_string(&j, "identity", exe_status_name(exe->status));
	json_kv_bool(&j, "pie", exe->pie);
	json_kv_addr(&j, "load_bias", exe->load_bias);
	json_kv_string(&j, "go_build_id", exe->go_build_id);
	json_kv_string(&j, "core_go_build_id", cw_core_go_build_id(core));
	json_kv_string(&j, "gnu_build_id", exe->gnu_build_id);
	json_kv_string(&j, "core_gnu_build_id", exe->core_gnu_build_id);
	json_end_object(&j);

	json_key(&j, "go");
	if (bi) {
		json_begin_object(&j);
		json_kv_string(&j, "version", bi->version);
		json_kv_int(&j, "major", bi->major);
		json_kv_int(&j, "minor", bi->minor);
		json_kv_int(&j, "patch", bi->patch);
		json_kv_string(&j, "experiments", bi->experiments);
		json_kv_string(&j, "main_path", bi->main_path);
		json_kv_addr(&j, "buildinfo_address", bi->addr);
		json_kv_string(&j, "buildinfo_source", cli_source_name(bi->source));
		json_key(&j, "runtime_version");
		if (rv->value) {
			json_begin_object(&j);
			json_kv_string(&j, "value", rv->value);
			json_kv_addr(&j, "address", rv->addr);
			json_kv_string(&j, "source", cli_source_name(rv->source));
			json_end_object(&j);
		} else {
			json_null(&j);
		}
		json_end_object(&j);
	} else {
		json_null(&j);
	}
	json_end_object(&j);
	json_emit(cli, core, &j);
	json_deinit(&j);
}

static void label(struct cli *cli, const char *name)
{
	printf("%s%-12s%s ", sty_bold(cli), name, sty_off(cli));
}

static void print_id_line(struct cli *cli, const char *what, const char *file_id,
			  const char *core_id)
{
	if (!file_id && !core_id)
		return;
	printf("%-12s   %s%s:%s ", "", sty_dim(cli), what, sty_off(cli));
	out_escaped(stdout, file_id ? file_id : core_id);
	if (file_id && core_id)
		printf(strcmp(file_id, core_id) == 0 ? " (same in the core)"
						       : " (core has %s)",
		       core_id);
	else if (file_id)
		printf(" (not in the dump)");
	else
		printf(" (from the dump)");
	putchar('\n');
}

static void info_text(struct cli *cli, struct cw_core *core,
		      const struct hs_buildinfo *bi, const struct rtver *rv)
{
	const struct cw_input_info *in = cw_core_input(core);
	const struct cw_process *p = cw_core_process(core);
	const struct cw_exe *exe = cw_core_exe(core);
	char a[32], b[32], c[32];

	label(cli, "core");
	out_escaped(stdout, in->path);
	printf(" (ELF core, %s", cs_fmt_size(in->data_size, a));
	if (in->compressed)
		printf("; zstd-compressed, %s on disk, %s resident", cs_fmt_size(in->file_size, b),
		       cs_fmt_size(in->resident_bytes, c));
	printf(")\n");

	label(cli, "process");
	if (p->have_psinfo) {
		printf("pid %d (ppid %d, uid %d) command \"", p->pid, p->ppid, p->uid);
		out_escaped(stdout, p->fname);
		printf("\" args \"");
		out_escaped(stdout, p->psargs);
		printf("\"\n");
	} else {
		printf("unknown (no NT_PRPSINFO note)\n");
	}

	const struct cw_thread *t0 = cw_core_thread(core, 0);
	int sig = p->have_siginfo ? p->signo : t0 ? t0->cursig : 0;
	label(cli, "signal");
	if (sig) {
		printf("%s (%d)", cli_signal_name(sig), sig);
		if (p->have_siginfo) {
			printf(", code %d", p->sigcode);
			if (sig == SIGSEGV || sig == SIGBUS)
				printf(", fault address 0x%" PRIx64, p->fault_addr);
		}
		if (t0)
			printf(", thread %d", t0->tid);
		putchar('\n');
	} else {
		printf("none (a snapshot such as gcore's)\n");
	}

	label(cli, "threads");
	size_t nt = cw_core_thread_count(core);
	printf("%zu:", nt);
	for (size_t i = 0; i < nt && i < 64; i++)
		printf(" %d", cw_core_thread(core, i)->tid);
	if (nt > 64)
		printf(" … (%zu more)", nt - 64);
	putchar('\n');

	label(cli, "executable");
	if (exe->path) {
		out_escaped(stdout, exe->path);
		printf(" (%s; ", exe->how_found);
		switch (exe->status) {
		case CW_EXE_MATCH:
			printf("matches the core");
			break;
		case CW_EXE_UNVERIFIED:
			printf("unverified: the dump holds no build id");
			break;
		case CW_EXE_MISMATCH:
			printf("DOES NOT MATCH the core, used because of --force");
			break;
		case CW_EXE_NONE:
			break;
		}
		if (exe->pie)
			printf("; PIE loaded at bias 0x%" PRIx64, exe->load_bias);
		printf(")\n");
	} else {
		printf("not available");
		if (exe->core_path) {
			printf(" (the core names ");
			out_escaped(stdout, exe->core_path);
			printf("; pass --exe or --sysroot)");
		}
		putchar('\n');
	}
	print_id_line(cli, "Go build id", exe->go_build_id, cw_core_go_build_id(core));
	print_id_line(cli, "GNU build id", exe->gnu_build_id, exe->core_gnu_build_id);

	label(cli, "go");
	if (bi) {
		out_escaped(stdout, bi->version);
		printf(" (.go.buildinfo at 0x%" PRIx64 ", read from the %s)",
		       bi->addr, bi->source == CW_SRC_FILE ? "executable" : "dump");
		if (bi->experiments) {
			printf(", GOEXPERIMENT=");
			out_escaped(stdout, bi->experiments);
		}
		putchar('\n');
		if (rv->value && strcmp(rv->value, bi->version) != 0) {
			printf("%-12s   runtime.buildVersion says ", "");
			out_escaped(stdout, rv->value);
			putchar('\n');
		}
		if (bi->main_path) {
			printf("%-12s   %smain package:%s ", "", sty_dim(cli), sty_off(cli));
			out_escaped(stdout, bi->main_path);
			putchar('\n');
		}
	} else {
		printf("not found (see warnings)\n");
	}

	label(cli, "memory");
	printf("%s mapped, %s saved in the dump", cs_fmt_size(in->mapped_bytes, a),
	       cs_fmt_size(in->saved_bytes, b));
	if (in->truncated)
		printf(", %s MISSING: the core is truncated at %s of %s",
		       cs_fmt_size(in->missing_bytes, c), cs_fmt_size(in->data_size, a),
		       cs_fmt_size(in->expected_size, b));
	else
		printf(", complete");
	printf(" (%zu segments)\n", cw_core_segment_count(core));
}

static int run_info(struct cli *cli)
{
	struct cw_core *core;
	int rc = cli_open_core(cli, cli->nargs > 1 ? cli->args[1] : NULL, &core);
	if (rc)
		return rc;
	struct hs_buildinfo *bi = NULL;
	struct cs_error *err = hs_buildinfo_read(core, &bi);
	if (err)
		cs_warn_error(cw_core_warnings(core), false, err, NULL);
	struct rtver rv = { 0 };
	if (bi) {
		err = hs_runtime_version(core, &rv.value, &rv.addr, &rv.source);
		cs_error_destroy(err);	/* stripped binaries have no symbol: fine */
	}
	if (cli->json)
		info_json(cli, core, bi, &rv);
	else
		info_text(cli, core, bi, &rv);
	free(rv.value);
	hs_buildinfo_destroy(bi);
	rc = cli_finish(cli, core);
	cw_core_destroy(core);
	return rc;
}

const struct command cmd_info = {
	.name = "info",
	.summary = "what the core is: process, signal, threads, executable, Go version",
	.usage = "CORE [EXE]",
	.description =
		"Identify a core: the process and its command line, the signal that ended it,\n"
		"its threads, the executable (and whether its build id matches the one the\n"
		"dump recorded), the Go version from .go.buildinfo, and how much of the\n"
		"process memory the dump saved.  A truncated core is reported with how many\n"
		"bytes are missing (exit status 3).  EXE, when given, is the same as --exe.",
	.example = "corescope info core.1234.zst ./server",
	.opts = NULL,
	.min_args = 1,
	.max_args = 2,
	.run = run_info,
};
