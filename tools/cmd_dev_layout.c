/*
 * cmd_dev_layout.c — `corescope dev-layout`: the runtime layout heapscan
 * resolved, and the generator of built-in layout tables.  A developer
 * command (docs/development.md); not listed in --help.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>

#include "cli.h"
#include "heapscan.h"

static const struct opt_spec dev_layout_opts[] = {
	{ "emit-table", 0, OPT_NONE, NULL, "print a C table entry for heapscan/layout_tables.c" },
	{ "builtin", 0, OPT_NONE, NULL, "use the built-in table even if there is DWARF (tests)" },
	{ 0 },
};

static const char *kind_name(int k)
{
	return k == 0 ? "member" : k == 1 ? "size" : "const";
}

static int run_dev_layout(struct cli *cli)
{
	/* heapscan/layout.c: the built-in table even when DWARF is there, so
	 * the test suite can compare the table with DWARF. */
	if (cli_flag(cli, "builtin"))
		setenv("CORESCOPE_LAYOUT", "builtin", 1);
	struct cw_open_options o = {
		.exe_path = cli->nargs > 1 ? cli->args[1] : cli->exe,
		.sysroot = cli->sysroot,
		.force = cli->force,
		.executable_image = true,
	};
	struct cw_core *core;
	struct cs_error *err = cw_core_open(cli->args[0], &o, &core);
	if (err)
		return cli_fail(err);
	struct hs_program *p;
	err = hs_program_open(core, &p);
	if (err) {
		cw_core_destroy(core);
		return cli_fail(err);
	}
	const struct hs_buildinfo *bi = hs_program_buildinfo(p);
	size_t n = hs_program_layout_count();
	struct hs_layout_entry e;
	if (cli_flag(cli, "emit-table")) {
		/* The variable is go1_<minor>[_<experiment>...]; the table's
		 * key is the minor and the experiments string. */
		char exps[128], var[192];
		hs_program_layout_experiments(p, exps, sizeof(exps));
		int k = snprintf(var, sizeof(var), "go1_%d%s", bi->minor, exps[0] ? "_" : "");
		for (const char *c = exps; *c && k > 0 && (size_t)k < sizeof(var) - 1; c++)
			var[k++] = (*c == ',' || *c == '-') ? '_' : *c;
		var[k > 0 && (size_t)k < sizeof(var) ? k : 0] = '\0';
		printf("/* %s, from %s */\n", bi->version, hs_program_layout_source(p));
		printf("static const struct hs_ltable_value %s[] = {\n", var);
		for (size_t i = 0; i < n; i++) {
			hs_program_layout_entry(p, i, &e);
			if (e.ok)
				printf("\t{ \"%s\", %" PRId64 ", %u },\n", e.id, e.value, e.size);
		}
		printf("};\n");
		printf("/* and in hs_layout_tables[]:\n\t{ %d, \"%s\", %s, CS_ARRAY_SIZE(%s) },\n */\n",
		       bi->minor, exps, var, var);
	} else if (cli->json) {
		struct json j;
		json_init(&j);
		json_begin_object(&j);
		json_kv_string(&j, "go_version", bi->version);
		json_kv_string(&j, "source", hs_program_layout_source(p));
		json_key(&j, "entries");
		json_begin_array(&j);
		for (size_t i = 0; i < n; i++) {
			hs_program_layout_entry(p, i, &e);
			json_begin_object(&j);
			json_kv_string(&j, "id", e.id);
			json_kv_string(&j, "kind", kind_name(e.kind));
			json_kv_string(&j, "dwarf_struct", e.dwarf_struct);
			json_kv_string(&j, "dwarf_member", e.dwarf_member);
			json_kv_bool(&j, "ok", e.ok);
			json_kv_int(&j, "value", e.value);
			json_kv_uint(&j, "size", e.size);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_end_object(&j);
		json_emit(cli, core, &j);
		json_deinit(&j);
	} else {
		printf("%s, layout from %s\n", bi->version, hs_program_layout_source(p));
		for (size_t i = 0; i < n; i++) {
			hs_program_layout_entry(p, i, &e);
			if (e.ok)
				printf("  %-36s %-6s %8" PRId64 " %4u\n", e.id, kind_name(e.kind),
				       e.value, e.size);
			else
				printf("  %-36s %-6s        -\n", e.id, kind_name(e.kind));
		}
	}
	hs_program_destroy(p);
	int rc = cli_finish(cli, core);
	cw_core_destroy(core);
	return rc;
}

const struct command cmd_dev_layout = {
	.name = "dev-layout",
	.summary = "(developer) the runtime layout heapscan resolved",
	.usage = "CORE|EXE [EXE]",
	.description =
		"Print every runtime offset, size and constant heapscan uses, and where\n"
		"they came from (DWARF or a built-in table).  With --emit-table, print a\n"
		"C table entry for heapscan/layout_tables.c generated from this binary's\n"
		"DWARF, keyed by its Go release and layout-relevant GOEXPERIMENTs.  With\n"
		"--builtin, use the built-in table even when there is DWARF (the test\n"
		"suite compares the two).  Accepts a core or an executable.",
	.example = "corescope dev-layout ./server --emit-table",
	.opts = dev_layout_opts,
	.min_args = 1,
	.max_args = 2,
	.hidden = true,
	.run = run_dev_layout,
};
