/*
 * cmd_mappings.c — `corescope mappings`: the memory map, and where each
 * range's bytes come from.
 */
#include "config.h"

#include <inttypes.h>

#include "cli.h"

static void perms(uint32_t f, char out[4])
{
	out[0] = f & CW_PF_R ? 'r' : '-';
	out[1] = f & CW_PF_W ? 'w' : '-';
	out[2] = f & CW_PF_X ? 'x' : '-';
	out[3] = '\0';
}

static int run_mappings(struct cli *cli)
{
	struct cw_core *core;
	int rc = cli_open_core(cli, cli->nargs > 1 ? cli->args[1] : NULL, &core);
	if (rc)
		return rc;
	size_t n = cw_core_region_count(core);
	uint64_t by_src[4] = { 0 };
	if (cli->json) {
		struct json j;
		json_init(&j);
		json_begin_object(&j);
		json_key(&j, "regions");
		json_begin_array(&j);
		for (size_t i = 0; i < n; i++) {
			const struct cw_region *r = cw_core_region(core, i);
			char p[4];
			perms(r->flags, p);
			json_begin_object(&j);
			json_kv_addr(&j, "start", r->start);
			json_kv_addr(&j, "end", r->end);
			json_kv_uint(&j, "size", r->end - r->start);
			json_kv_string(&j, "perms", p);
			json_kv_string(&j, "source", cli_source_name(r->source));
			json_kv_string(&j, "file", r->file);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_end_object(&j);
		json_emit(cli, core, &j);
		json_deinit(&j);
	} else {
		printf("%s%-18s %-18s %10s %-4s %-9s %s%s\n", sty_bold(cli), "START", "END",
		       "SIZE", "PERM", "SOURCE", "FILE", sty_off(cli));
		for (size_t i = 0; i < n; i++) {
			const struct cw_region *r = cw_core_region(core, i);
			char p[4], sz[32];
			perms(r->flags, p);
			printf("0x%016" PRIx64 " 0x%016" PRIx64 " %10s %-4s %-9s ",
			       r->start, r->end, cs_fmt_size(r->end - r->start, sz), p,
			       cli_source_name(r->source));
			out_escaped(stdout, r->file ? r->file : "");
			putchar('\n');
			by_src[r->source] += r->end - r->start;
		}
		char a[32], b[32], c[32], d[32];
		printf("\n%zu regions: %s from the dump, %s from files, %s not saved, %s cut off by truncation\n",
		       n, cs_fmt_size(by_src[CW_SRC_CORE], a), cs_fmt_size(by_src[CW_SRC_FILE], b),
		       cs_fmt_size(by_src[CW_SRC_NOT_SAVED], c),
		       cs_fmt_size(by_src[CW_SRC_TRUNCATED], d));
	}
	rc = cli_finish(cli, core);
	cw_core_destroy(core);
	return rc;
}

const struct command cmd_mappings = {
	.name = "mappings",
	.summary = "the memory map, and where each range's bytes come from",
	.usage = "CORE [EXE]",
	.description =
		"List the process's memory map as the dump records it, split by where the\n"
		"bytes come from: \"core\" (saved in the dump), \"file\" (left out of the dump\n"
		"but read-only and file-backed, so read from the executable or a shared\n"
		"object), \"not-saved\" (mapped but not in the dump; never read as zeroes)\n"
		"and \"truncated\" (saved, but the file was cut before them).",
	.example = "corescope mappings core.1234 --exe ./server",
	.opts = NULL,
	.min_args = 1,
	.max_args = 2,
	.run = run_mappings,
};
