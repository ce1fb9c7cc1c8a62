/*
 * cmd_show.c — `corescope show`: what is at an address: the heap object
 * containing it (type, size, fields with values, where its pointers go),
 * or the global variable or goroutine stack it belongs to.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapscan.h"
#include "refgraph.h"

#define MAX_FIELDS_SHOWN 64
#define HEX_MAX 4096

static const struct opt_spec show_opts[] = {
	{ "hex", 'x', OPT_NONE, NULL, "also dump the object's bytes (they may hold secrets)" },
	{ 0 },
};

struct ptr_ctx {
	struct cli *cli;
	struct cli_session *s;
	uint32_t obj;
	struct json *j;
	size_t n;
};

static int show_pointer(void *arg, uint64_t off, uint64_t value)
{
	struct ptr_ctx *c = arg;
	if (c->n++ >= MAX_FIELDS_SHOWN)
		return 1;
	uint32_t t = hs_heap_find(c->s->heap, value);
	struct cs_strbuf name;
	cs_strbuf_init(&name);
	rg_offset_name(c->s->graph, c->obj, off, &name);
	char *tn = t != HS_NONE ? cli_object_type_name(c->s, t) : NULL;
	if (c->j) {
		json_begin_object(c->j);
		json_kv_uint(c->j, "offset", off);
		json_kv_string(c->j, "name", name.s);
		json_kv_addr(c->j, "value", value);
		if (t != HS_NONE) {
			json_kv_addr(c->j, "target", hs_object_addr(c->s->heap, t));
		} else {
			json_key(c->j, "target");
			json_null(c->j);
		}
		json_kv_string(c->j, "target_type", tn);
		json_end_object(c->j);
	} else {
		printf("    +0x%-6" PRIx64 " ", off);
		out_escaped(stdout, name.s ? name.s : "");
		printf("  0x%" PRIx64, value);
		if (t != HS_NONE) {
			printf(" -> ");
			out_escaped(stdout, tn ? tn : "?");
		} else {
			printf(" (not a heap object)");
		}
		putchar('\n');
	}
	free(tn);
	cs_strbuf_deinit(&name);
	return 0;
}

static void hexdump(struct cli_session *s, uint64_t addr, uint64_t size)
{
	uint64_t n = size < HEX_MAX ? size : HEX_MAX;
	for (uint64_t off = 0; off < n; off += 16) {
		uint8_t b[16];
		size_t k = (size_t)CS_MIN(16, n - off);
		struct cs_error *err = cw_read(s->core, addr + off, b, k);
		if (err) {
			printf("    %08" PRIx64 "  (%s)\n", off, cs_fault_name(err->fault));
			cs_error_destroy(err);
			break;
		}
		printf("    %08" PRIx64 "  ", off);
		for (size_t i = 0; i < 16; i++)
			printf(i < k ? "%02x " : "   ", b[i]);
		printf(" |");
		for (size_t i = 0; i < k; i++)
			putchar(b[i] >= 0x20 && b[i] < 0x7f ? b[i] : '.');
		printf("|\n");
	}
	if (n < size)
		printf("    … (%" PRIu64 " more bytes)\n", size - n);
}

/* The first HEX_MAX bytes as a hex string for JSON ("bytes"), null when
 * they cannot be read, and how many there are in all ("bytes_total"). */
static void json_bytes(struct json *j, struct cli_session *s, uint64_t addr, uint64_t size)
{
	uint64_t n = size < HEX_MAX ? size : HEX_MAX;
	uint8_t *b = malloc(n ? n : 1);
	char *hex = malloc(2 * n + 1);
	struct cs_error *err = b && hex ? cw_read(s->core, addr, b, n) : &cs_error_nomem;
	json_key(j, "bytes");
	if (err) {
		cs_error_destroy(err);
		json_null(j);
	} else {
		for (uint64_t i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", b[i]);
		hex[2 * n] = 0;
		json_string(j, hex);
	}
	json_kv_uint(j, "bytes_total", size);
	free(b);
	free(hex);
}

static void show_one(struct cli *cli, struct cli_session *s, uint64_t addr, bool hex,
		     struct json *j)
{
	uint32_t o = hs_heap_find(s->heap, addr);
	if (j) {
		json_begin_object(j);
		json_kv_addr(j, "query", addr);
	}
	if (o != HS_NONE) {
		uint64_t base = hs_object_addr(s->heap, o);
		const struct hs_span *sp = &hs_heap_spans(s->heap)[hs_heap_objects(s->heap)[o].span];
		char *tn = cli_object_type_name(s, o);
		const struct hs_type *t = rg_object_type(s->graph, o);
		bool header_typed = sp->header || (sp->large && sp->large_type);
		if (j) {
			json_kv_string(j, "what", "heap object");
			json_kv_addr(j, "address", base);
			json_kv_uint(j, "offset", addr - base);
			json_kv_uint(j, "size", hs_object_size(s->heap, o));
			json_kv_string(j, "type", t ? tn : NULL);
			json_kv_string(j, "element_type", t ? t->name : NULL);
			json_kv_string(j, "type_source", !t ? NULL : header_typed ? "malloc header" : "inferred");
			json_kv_bool(j, "live", rg_is_live(s->graph, o));
			json_kv_uint(j, "retained", rg_retained(s->graph, o));
			json_kv_addr(j, "span", sp->base);
			json_kv_uint(j, "span_elemsize", sp->elemsize);
			json_key(j, "pointers");
			json_begin_array(j);
		} else {
			char a[32], b[32];
			printf("%s0x%016" PRIx64 "%s heap object", sty_bold(cli), base, sty_off(cli));
			if (addr != base)
				printf(" (0x%" PRIx64 " is %" PRIu64 " bytes in)", addr, addr - base);
			printf("\n  type      ");
			out_escaped(stdout, tn ? tn : "?");
			if (t)
				printf("  (%s)", header_typed ? "from its malloc header" : "inferred from its referrers");
			printf("\n  size      %s (slot of %s in span 0x%" PRIx64 ")\n",
			       cs_fmt_size(hs_object_size(s->heap, o), a), cs_fmt_size(sp->elemsize, b),
			       sp->base);
			printf("  status    %s, retains %s\n",
			       rg_is_live(s->graph, o) ? "live" : "unreachable (garbage not yet swept)",
			       cs_fmt_size(rg_retained(s->graph, o), a));
			printf("  pointers\n");
		}
		struct ptr_ctx c = { cli, s, o, j, 0 };
		int r = hs_object_scan(s->heap, o, show_pointer, &c);
		if (j) {
			json_end_array(j);
			if (hex)
				json_bytes(j, s, base, hs_object_size(s->heap, o));
		} else {
			if (r < 0)
				printf("    (bytes or pointer bitmap not in the dump)\n");
			else if (c.n == 0)
				printf("    (none)\n");
			else if (c.n > MAX_FIELDS_SHOWN)
				printf("    … more\n");
			if (hex) {
				printf("  bytes\n");
				hexdump(s, base, hs_object_size(s->heap, o));
			}
		}
		free(tn);
	} else {
		const struct hs_sym *sym = hs_global_symbol(s->prog, addr);
		uint32_t gi = HS_NONE;
		for (size_t i = 0; s->gs && i < s->gs->n; i++)
			if (addr >= s->gs->v[i].stack_lo && addr < s->gs->v[i].stack_hi)
				gi = (uint32_t)i;
		enum cs_fault why = cw_probe(s->core, addr);
		struct cs_strbuf name;
		cs_strbuf_init(&name);
		if (sym)
			hs_global_slot_name(s->prog, addr, &name);
		if (j) {
			json_kv_string(j, "what", sym ? "global" : gi != HS_NONE ? "goroutine stack"
							       : why == CS_FAULT_NONE ? "memory" : "unreadable");
			json_kv_string(j, "name", sym ? name.s : NULL);
			if (gi != HS_NONE)
				json_kv_uint(j, "goid", s->gs->v[gi].goid);
			json_kv_string(j, "fault", why == CS_FAULT_NONE ? NULL : cs_fault_name(why));
			if (hex && why == CS_FAULT_NONE)
				json_bytes(j, s, addr, 256);
		} else {
			printf("%s0x%016" PRIx64 "%s ", sty_bold(cli), addr, sty_off(cli));
			if (sym) {
				printf("global ");
				out_escaped(stdout, name.s);
				putchar('\n');
			} else if (gi != HS_NONE) {
				printf("in the stack of goroutine %" PRIu64 " (", s->gs->v[gi].goid);
				out_escaped(stdout, cli_goroutine_func(s, gi));
				printf(")\n");
			} else if (why != CS_FAULT_NONE) {
				printf("%s\n", cs_fault_name(why));
			} else {
				printf("not a heap object, global or goroutine stack\n");
			}
			if (hex && why == CS_FAULT_NONE)
				hexdump(s, addr, 256);
		}
		cs_strbuf_deinit(&name);
	}
	if (j)
		json_end_object(j);
}

static int run_show(struct cli *cli)
{
	uint64_t *addrs = calloc(cli->nargs, sizeof(*addrs));
	if (!addrs)
		return cli_fail(&cs_error_nomem);
	for (size_t i = 1; i < cli->nargs; i++) {
		char *end;
		addrs[i] = strtoull(cli->args[i], &end, 0);
		if (*end || !*cli->args[i]) {
			free(addrs);
			return usage_error(cli, "'%s' is not an address (use 0x…)", cli->args[i]);
		}
	}
	struct cli_session s;
	int rc = cli_session_open(cli, &s, CLI_NEED_GRAPH);
	if (rc) {
		free(addrs);
		return rc;
	}
	struct json j;
	json_init(&j);
	if (cli->json) {
		json_begin_object(&j);
		json_key(&j, "addresses");
		json_begin_array(&j);
	}
	for (size_t i = 1; i < cli->nargs; i++) {
		if (!cli->json && i > 1)
			putchar('\n');
		show_one(cli, &s, addrs[i], cli_flag(cli, "hex"), cli->json ? &j : NULL);
	}
	if (cli->json) {
		json_end_array(&j);
		json_end_object(&j);
		json_emit(cli, s.core, &j);
	}
	json_deinit(&j);
	free(addrs);
	return cli_session_close(cli, &s);
}

const struct command cmd_show = {
	.name = "show",
	.summary = "what is at an address: object, type, fields, pointers",
	.usage = "CORE ADDR...",
	.description =
		"Describe each address: the heap object containing it (type and where the\n"
		"type came from, size, live or garbage, retained size, and each pointer\n"
		"field with the object it points at), or the global variable or goroutine\n"
		"stack it lies in.  Bytes are shown only with --hex: cores hold secrets.",
	.example = "corescope show core.1234 0xc000a80000 --hex",
	.opts = show_opts,
	.min_args = 2,
	.max_args = 100000,
	.run = run_show,
};
