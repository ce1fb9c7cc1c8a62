/*
 * cmd_objects.c — `corescope objects`: list heap objects, filtered.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapscan.h"

static const struct opt_spec objects_opts[] = {
	{ "type", 't', OPT_REQUIRED, "NAME", "only objects of this type (exact name, or a substring with *)" },
	{ "min-size", 0, OPT_REQUIRED, "BYTES", "only objects of at least this size" },
	{ "limit", 'n', OPT_REQUIRED, "N", "print at most N objects (default 100; 0 = all)" },
	{ 0 },
};

static bool type_matches(const char *want, const char *name)
{
	size_t n = strlen(want);
	if (n && want[n - 1] == '*')
		return name && strncmp(name, want, n - 1) == 0;
	if (n && want[0] == '*')
		return name && strstr(name, want + 1) != NULL;
	return name && strcmp(name, want) == 0;
}

static int run_objects(struct cli *cli)
{
	uint64_t min_size, limit;
	if (!cli_opt_uint(cli, "min-size", 0, &min_size) ||
	    !cli_opt_uint(cli, "limit", 100, &limit))
		return EXIT_USAGE;
	const char *want = cli_opt(cli, "type");
	struct cli_session s;
	/* the graph: most types come from the references that hold objects */
	int rc = cli_session_open(cli, &s, CLI_NEED_GRAPH);
	if (rc)
		return rc;
	size_t n = hs_heap_count(s.heap);
	const struct hs_object *objs = hs_heap_objects(s.heap);
	struct json j;
	json_init(&j);
	if (cli->json) {
		json_begin_object(&j);
		json_key(&j, "objects");
		json_begin_array(&j);
	} else {
		printf("%s%-18s %12s  %s%s\n", sty_bold(cli), "ADDRESS", "SIZE", "TYPE",
		       sty_off(cli));
	}
	uint64_t shown = 0, matched = 0, bytes = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t size = hs_object_size(s.heap, (uint32_t)i);
		if (size < min_size)
			continue;
		const struct hs_type *t = hs_type_by_id(s.prog, objs[i].type);
		if (want && !type_matches(want, t ? t->name : NULL))
			continue;
		matched++;
		bytes += size;
		if (limit && shown >= limit)
			continue;
		shown++;
		if (cli->json) {
			json_begin_object(&j);
			json_kv_addr(&j, "address", hs_object_addr(s.heap, (uint32_t)i));
			json_kv_uint(&j, "size", size);
			json_kv_string(&j, "type", t ? t->name : NULL);
			json_end_object(&j);
		} else {
			char sz[32];
			char *tn = cli_object_type_name(&s, (uint32_t)i);	/* [N]T for arrays */
			printf("0x%016" PRIx64 " %12s  ", hs_object_addr(s.heap, (uint32_t)i), cs_fmt_size(size, sz));
			out_escaped(stdout, tn ? tn : "?");
			putchar('\n');
			free(tn);
		}
	}
	if (cli->json) {
		json_end_array(&j);
		json_kv_uint(&j, "matched", matched);
		json_kv_uint(&j, "matched_bytes", bytes);
		json_kv_bool(&j, "truncated", shown < matched);
		json_end_object(&j);
		json_emit(cli, s.core, &j);
	} else {
		char b[32], c[32];
		printf("%s objects, %s", fmt_count(matched, c), cs_fmt_size(bytes, b));
		if (shown < matched)
			printf(" (%" PRIu64 " shown; --limit 0 shows all)", shown);
		putchar('\n');
	}
	json_deinit(&j);
	return cli_session_close(cli, &s);
}

const struct command cmd_objects = {
	.name = "objects",
	.summary = "list heap objects, by type and size",
	.usage = "CORE",
	.description =
		"List allocated heap objects in address order with their size and type.\n"
		"Types come from malloc headers (Go 1.22+, objects over 512 bytes) and\n"
		"from the types of the references that hold each object; '?' means no\n"
		"type is known, and [N]T an array of N T (a slice's backing array).\n"
		"Filter with --type (exact, or 'prefix*' / '*substring'; T also matches\n"
		"arrays of T) and --min-size.",
	.example = "corescope objects core.1234 --type '*bytes.Buffer' --min-size 1024",
	.opts = objects_opts,
	.min_args = 1,
	.max_args = 1,
	.run = run_objects,
};
