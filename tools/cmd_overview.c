/*
 * cmd_overview.c — `corescope overview`: where the memory is.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "heapscan.h"
#include "refgraph.h"

struct area {
	uint64_t mapped, saved;
};

static void add(struct area *a, const struct cw_region *r, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return;
	a->mapped += hi - lo;
	if (r->source == CW_SRC_CORE || r->source == CW_SRC_FILE)
		a->saved += hi - lo;
}

static void row(struct cli *cli, int indent, const char *label, uint64_t bytes,
		uint64_t total, const char *note)
{
	char a[32];
	double pct = total ? 100.0 * (double)bytes / (double)total : 0;
	printf("%*s%s%-*s%s %10s %5.1f%%", indent, "", indent ? "" : sty_bold(cli),
	       30 - indent, label, indent ? "" : sty_off(cli), cs_fmt_size(bytes, a), pct);
	if (note)
		printf("  %s%s%s", sty_dim(cli), note, sty_off(cli));
	putchar('\n');
}

void overview_write(struct cli *cli, struct cli_session *s, struct json *j)
{
	struct hs_heap_stats hst;
	hs_heap_stats(s->heap, &hst);
	struct rg_totals tot;
	rg_graph_totals(s->graph, &tot);

	/* Split the memory map: heap arenas, file mappings, everything else. */
	struct area heap = { 0 }, files = { 0 }, other = { 0 };
	size_t na = hs_heap_arena_count(s->heap);
	for (size_t i = 0; i < cw_core_region_count(s->core); i++) {
		const struct cw_region *r = cw_core_region(s->core, i);
		uint64_t at = r->start;
		for (size_t k = 0; k < na && at < r->end; k++) {
			uint64_t size, base = hs_heap_arena_base(s->heap, k, &size);
			uint64_t lo = CS_MAX(at, base), hi = CS_MIN(r->end, base + size);
			if (lo >= hi)
				continue;
			struct area *before = r->file ? &files : &other;
			add(before, r, at, lo);
			add(&heap, r, lo, hi);
			at = hi;
		}
		add(r->file ? &files : &other, r, at, r->end);
	}
	uint64_t mapped = heap.mapped + files.mapped + other.mapped;
	uint64_t unreachable = tot.bytes - tot.live_bytes;
	uint64_t inuse = hst.inuse_bytes;
	uint64_t slack = inuse > hst.object_bytes ? inuse - hst.object_bytes : 0;
	uint64_t free_pages = hst.arena_bytes - hst.inuse_bytes - hst.manual_bytes;
	uint64_t released = hst.runtime_released_pages * hst.page_size;
	uint64_t retained_by_roots = rg_class_retained(s->graph, RG_NCLASSES);
	const struct cw_input_info *in = cw_core_input(s->core);

	if (j) {
		json_begin_object(j);
		json_kv_uint(j, "mapped_bytes", mapped);
		json_kv_uint(j, "saved_bytes", in->saved_bytes);
		json_key(j, "heap");
		json_begin_object(j);
		json_kv_uint(j, "arenas", hst.arenas);
		json_kv_uint(j, "arena_bytes", hst.arena_bytes);
		json_kv_uint(j, "inuse_span_bytes", inuse);
		json_kv_uint(j, "inuse_spans", hst.inuse_spans);
		json_kv_uint(j, "objects", tot.objects);
		json_kv_uint(j, "object_bytes", tot.bytes);
		json_kv_uint(j, "live_objects", tot.live_objects);
		json_kv_uint(j, "live_bytes", tot.live_bytes);
		json_kv_uint(j, "unreachable_objects", tot.objects - tot.live_objects);
		json_kv_uint(j, "unreachable_bytes", unreachable);
		json_kv_uint(j, "typed_live_objects", tot.typed_live_objects);
		json_kv_uint(j, "typed_live_bytes", tot.typed_live_bytes);
		json_kv_uint(j, "free_slot_bytes", slack);
		json_kv_uint(j, "manual_span_bytes", hst.manual_bytes);
		json_kv_uint(j, "free_page_bytes", free_pages);
		json_kv_uint(j, "released_bytes", released);
		json_kv_uint(j, "retained_by_roots", retained_by_roots);
		json_kv_uint(j, "edges", tot.edges);
		json_kv_uint(j, "root_edges", tot.root_edges);
		json_end_object(j);
		json_key(j, "runtime_accounting");
		json_begin_object(j);
		json_kv_uint(j, "alloc_count_total", hst.runtime_alloc_count);
		json_kv_uint(j, "alloc_count_mismatched_spans", hst.alloc_count_mismatches);
		json_kv_uint(j, "pages_in_use", hst.runtime_pages_in_use);
		json_kv_uint(j, "our_inuse_pages", hst.inuse_pages);
		json_kv_bool(j, "page_allocator_read", hst.page_alloc_ok);
		json_kv_uint(j, "free_pages", hst.runtime_free_pages);
		json_kv_uint(j, "released_pages", hst.runtime_released_pages);
		json_end_object(j);
		json_key(j, "areas");
		json_begin_object(j);
		const struct { const char *k; struct area *a; } areas[] = {
			{ "heap_arenas", &heap }, { "file_mappings", &files }, { "other", &other } };
		for (size_t i = 0; i < 3; i++) {
			json_key(j, areas[i].k);
			json_begin_object(j);
			json_kv_uint(j, "mapped", areas[i].a->mapped);
			json_kv_uint(j, "readable", areas[i].a->saved);
			json_end_object(j);
		}
		json_end_object(j);
		json_end_object(j);
		return;
	}

	char a[32], b[32], c[32];
	const struct hs_buildinfo *bi = hs_program_buildinfo(s->prog);
	printf("%s%s, %s of address space mapped, %s in the dump%s\n\n", sty_bold(cli),
	       bi->version, cs_fmt_size(mapped, a), cs_fmt_size(in->saved_bytes, b), sty_off(cli));
	char note[96];
	snprintf(note, sizeof(note), "%" PRIu64 " arena%s of %s", hst.arenas,
		 hst.arenas == 1 ? "" : "s", cs_fmt_size(hst.arena_bytes / (hst.arenas ? hst.arenas : 1), c));
	row(cli, 0, "Go heap arenas", heap.mapped, mapped, note);
	snprintf(note, sizeof(note), "%s objects", fmt_count(tot.live_objects, a));
	row(cli, 2, "live objects", tot.live_bytes, mapped, note);
	snprintf(note, sizeof(note), "%s objects, garbage the GC has not swept",
		 fmt_count(tot.objects - tot.live_objects, a));
	row(cli, 2, "unreachable objects", unreachable, mapped, note);
	row(cli, 2, "free slots in spans", slack, mapped, "in-use spans, not allocated");
	row(cli, 2, "goroutine stacks etc.", hst.manual_bytes, mapped, "manually managed spans");
	snprintf(note, sizeof(note), "%s of it released to the OS", cs_fmt_size(released, a));
	row(cli, 2, "free pages", free_pages, mapped, hst.page_alloc_ok ? note : NULL);
	row(cli, 0, "executable and libraries", files.mapped, mapped, "file mappings");
	row(cli, 0, "other mappings", other.mapped, mapped,
	    "runtime metadata, thread stacks, C heap");
	printf("\n%s of the live heap is typed (%s of %s objects)\n",
	       cs_fmt_size(tot.typed_live_bytes, a), fmt_count(tot.typed_live_objects, b),
	       fmt_count(tot.live_objects, c));
	if (hst.alloc_count_mismatches)
		printf("warning: %" PRIu64 " spans disagree with the runtime's allocCount\n",
		       hst.alloc_count_mismatches);
}

static int run_overview(struct cli *cli)
{
	struct cli_session s;
	int rc = cli_session_open(cli, &s, CLI_NEED_GRAPH);
	if (rc)
		return rc;
	struct json j;
	json_init(&j);
	overview_write(cli, &s, cli->json ? &j : NULL);
	if (cli->json)
		json_emit(cli, s.core, &j);
	json_deinit(&j);
	return cli_session_close(cli, &s);
}

const struct command cmd_overview = {
	.name = "overview",
	.summary = "where the memory is: live heap, garbage, free, stacks, other",
	.usage = "CORE",
	.description =
		"Account for the process's whole address space: the Go heap arenas split\n"
		"into live objects, allocated-but-unreachable objects (garbage not yet\n"
		"swept), free slots in spans, manually managed spans (goroutine stacks),\n"
		"and free pages (with how much was released to the OS, from the runtime's\n"
		"page allocator); then file mappings and all other mappings.  The lines add\n"
		"up to the mapped total.",
	.example = "corescope overview core.1234",
	.opts = NULL,
	.min_args = 1,
	.max_args = 1,
	.run = run_overview,
};
