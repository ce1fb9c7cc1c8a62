/*
 * cmd_graph.c — `corescope graph`: an object's neighbourhood as a
 * Graphviz DOT graph: the shortest retention path from each root class
 * down to it, and what it references, to a chosen depth.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapscan.h"
#include "refgraph.h"

static const struct opt_spec graph_opts[] = {
	{ "depth", 'd', OPT_REQUIRED, "N", "follow references from the object N levels deep (default 2)" },
	{ "max-nodes", 0, OPT_REQUIRED, "N", "stop adding objects after N (default 80)" },
	{ "fanout", 0, OPT_REQUIRED, "N", "references shown per object before '… more' (default 10)" },
	{ "output", 'o', OPT_REQUIRED, "PATH", "write the graph here instead of stdout" },
	{ 0 },
};

#define MAX_DOMS 4096

enum node_kind { NODE_OBJECT, NODE_ROOT, NODE_MORE };

struct gnode {
	uint8_t kind;
	bool target, dominator, on_path;
	uint32_t id;		/* object index, root index, or hidden count */
	uint32_t depth;		/* below the target (objects found going down) */
};

struct gedge {
	uint32_t from, to;	/* node numbers */
	char *label;		/* malloc'ed, may be NULL */
};

struct graph {
	struct cli_session *s;
	struct gnode *nodes;
	size_t nnodes, cap;
	struct gedge *edges;
	size_t nedges, ecap;
	struct cs_map64 obj_node;	/* object -> node */
	struct cs_map64 root_node;	/* root slot -> node */
	struct cs_map64 edge_seen;	/* from << 32 | to */
	bool failed;
};

static uint32_t add_node(struct graph *g, struct gnode n)
{
	if (!CS_PUSH(g->nodes, g->nnodes, g->cap, n)) {
		g->failed = true;
		return UINT32_MAX;
	}
	return (uint32_t)(g->nnodes - 1);
}

static uint32_t object_node(struct graph *g, uint32_t obj, bool *added)
{
	uint32_t v = cs_map64_get(&g->obj_node, obj);
	if (added)
		*added = v == CS_MAP64_NONE;
	if (v != CS_MAP64_NONE)
		return v;
	v = add_node(g, (struct gnode){ .kind = NODE_OBJECT, .id = obj });
	if (v != UINT32_MAX && !cs_map64_put(&g->obj_node, obj, v))
		g->failed = true;
	return v;
}

static void add_edge(struct graph *g, uint32_t from, uint32_t to, char *label)
{
	uint64_t key = (uint64_t)from << 32 | to;
	if (from == UINT32_MAX || to == UINT32_MAX || cs_map64_get(&g->edge_seen, key) != CS_MAP64_NONE) {
		free(label);
		return;
	}
	struct gedge e = { from, to, label };
	if (!cs_map64_put(&g->edge_seen, key, 1) || !CS_PUSH(g->edges, g->nedges, g->ecap, e)) {
		free(label);
		g->failed = true;
	}
}

/* The retention paths: root -> … -> target. */
static struct cs_error *add_paths(struct graph *g, uint32_t target)
{
	struct rg_path *paths = NULL;
	size_t np = 0;
	struct cs_error *err = rg_paths(g->s->graph, target, 1, &paths, &np);
	if (err)
		return err;
	for (size_t k = 0; k < np; k++) {
		const struct rg_path *pa = &paths[k];
		uint64_t rkey = pa->root != SIZE_MAX ? pa->root : (uint64_t)1 << 40 | pa->group;
		uint32_t r = cs_map64_get(&g->root_node, rkey);
		if (r == CS_MAP64_NONE) {
			r = add_node(g, (struct gnode){ .kind = NODE_ROOT,
							.id = (uint32_t)(pa->root != SIZE_MAX ? pa->root : pa->group),
							.on_path = pa->root != SIZE_MAX });
			if (r != UINT32_MAX && !cs_map64_put(&g->root_node, rkey, r))
				g->failed = true;
		}
		uint32_t prev = r;
		for (uint32_t h = 0; h < pa->len; h++) {
			uint32_t v = object_node(g, pa->objs[h], NULL);
			if (v != UINT32_MAX)
				g->nodes[v].on_path = true;
			char *label = h ? rg_hop_name(g->s->graph, pa->objs[h - 1], pa->objs[h], NULL) : NULL;
			add_edge(g, prev, v, label);
			prev = v;
		}
	}
	rg_paths_free(paths, np);
	return NULL;
}

/* What the target references, breadth first. */
static void add_references(struct graph *g, uint32_t target, uint64_t depth, uint64_t max_nodes,
			   uint64_t fanout)
{
	uint32_t *queue = NULL;
	size_t qn = 0, qcap = 0, head = 0;
	uint32_t t = object_node(g, target, NULL);
	if (t == UINT32_MAX || !CS_PUSH(queue, qn, qcap, target)) {
		g->failed = true;
		free(queue);
		return;
	}
	uint64_t objects = 1;
	while (head < qn && !g->failed) {
		uint32_t obj = queue[head++];
		uint32_t from = object_node(g, obj, NULL);
		if (g->nodes[from].depth >= depth)
			continue;
		uint32_t n;
		const uint32_t *out = rg_out_edges(g->s->graph, obj, &n);
		uint32_t shown = 0, hidden = 0;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t to = out[k];
			if (to == obj)
				continue;
			bool exists = cs_map64_get(&g->obj_node, to) != CS_MAP64_NONE;
			if (shown >= fanout || (!exists && objects >= max_nodes)) {
				hidden++;
				continue;
			}
			bool added;
			uint32_t v = object_node(g, to, &added);
			if (v == UINT32_MAX)
				break;
			if (added) {
				objects++;
				g->nodes[v].depth = g->nodes[from].depth + 1;
				if (!CS_PUSH(queue, qn, qcap, to)) {
					g->failed = true;
					break;
				}
			}
			add_edge(g, from, v, rg_hop_name(g->s->graph, obj, to, NULL));
			shown++;
		}
		if (hidden) {
			uint32_t m = add_node(g, (struct gnode){ .kind = NODE_MORE, .id = hidden });
			add_edge(g, from, m, NULL);
		}
	}
	free(queue);
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/* Text from the core inside a DOT string: escaped for the terminal, then
 * every backslash and quote escaped for DOT. */
static void dot_text(struct cs_strbuf *b, const char *s)
{
	struct cs_strbuf t;
	cs_strbuf_init(&t);
	esc_text(&t, s, strlen(s));
	for (size_t i = 0; i < t.len; i++) {
		if (t.s[i] == '\\' || t.s[i] == '"')
			cs_strbuf_putc(b, '\\');
		cs_strbuf_putc(b, t.s[i]);
	}
	cs_strbuf_deinit(&t);
}

static char *node_title(struct graph *g, const struct gnode *n)
{
	struct cli_session *s = g->s;
	if (n->kind == NODE_OBJECT)
		return cli_object_type_name(s, n->id);
	if (n->kind == NODE_ROOT)
		return n->on_path ? cli_root_name(s, n->id) : cli_group_name(s, n->id);
	char *out;
	return asprintf(&out, "… %u more", n->id) < 0 ? NULL : out;
}

static void write_dot(struct graph *g, FILE *f, const char *core_path)
{
	struct cli_session *s = g->s;
	struct cs_strbuf b;
	cs_strbuf_init(&b);
	cs_strbuf_puts(&b, "digraph corescope {\n\tlabel=\"");
	dot_text(&b, core_path);
	cs_strbuf_puts(&b, ": retention paths to the object (bold) and what it references;"
		       " double borders: its dominators\";\n"
		       "\tlabelloc=t;\n"
		       "\tnode [shape=box, fontname=\"monospace\", fontsize=10];\n"
		       "\tedge [fontname=\"monospace\", fontsize=9];\n");
	for (size_t i = 0; i < g->nnodes; i++) {
		const struct gnode *n = &g->nodes[i];
		char *title = node_title(g, n);
		cs_strbuf_printf(&b, "\tn%zu [label=\"", i);
		dot_text(&b, title ? title : "?");
		free(title);
		char a[32], r[32];
		if (n->kind == NODE_OBJECT) {
			cs_strbuf_printf(&b, "\\n0x%" PRIx64 "\\n%s, retains %s\"",
					 hs_object_addr(s->heap, n->id),
					 cs_fmt_size(hs_object_size(s->heap, n->id), a),
					 cs_fmt_size(rg_retained(s->graph, n->id), r));
			if (n->target)
				cs_strbuf_puts(&b, ", style=\"bold,filled\", fillcolor=\"#ffe8a0\"");
			else if (n->dominator)
				cs_strbuf_puts(&b, ", peripheries=2");
			if (!rg_is_live(s->graph, n->id))
				cs_strbuf_puts(&b, ", color=gray, fontcolor=gray");
		} else if (n->kind == NODE_ROOT) {
			cs_strbuf_puts(&b, "\", shape=house, style=filled, fillcolor=\"#d8e8ff\"");
		} else {
			cs_strbuf_puts(&b, "\", shape=plaintext");
		}
		cs_strbuf_puts(&b, "];\n");
	}
	for (size_t i = 0; i < g->nedges; i++) {
		const struct gedge *e = &g->edges[i];
		cs_strbuf_printf(&b, "\tn%u -> n%u", e->from, e->to);
		if (e->label) {
			cs_strbuf_puts(&b, " [label=\"");
			dot_text(&b, e->label);
			cs_strbuf_puts(&b, "\"]");
		}
		cs_strbuf_puts(&b, ";\n");
	}
	cs_strbuf_puts(&b, "}\n");
	if (b.len)
		fwrite(b.s, 1, b.len, f);
	cs_strbuf_deinit(&b);
}

static void write_json(struct graph *g, struct cli *cli)
{
	struct cli_session *s = g->s;
	struct json j;
	json_init(&j);
	json_begin_object(&j);
	json_key(&j, "nodes");
	json_begin_array(&j);
	static const char *const kinds[] = { "object", "root", "more" };
	for (size_t i = 0; i < g->nnodes; i++) {
		const struct gnode *n = &g->nodes[i];
		char *title = node_title(g, n);
		json_begin_object(&j);
		json_kv_uint(&j, "id", i);
		json_kv_string(&j, "kind", kinds[n->kind]);
		json_kv_string(&j, "name", title);
		free(title);
		if (n->kind == NODE_OBJECT) {
			json_kv_addr(&j, "address", hs_object_addr(s->heap, n->id));
			json_kv_uint(&j, "size", hs_object_size(s->heap, n->id));
			json_kv_uint(&j, "retained", rg_retained(s->graph, n->id));
			json_kv_bool(&j, "live", rg_is_live(s->graph, n->id));
			json_kv_bool(&j, "target", n->target);
			json_kv_bool(&j, "dominator", n->dominator);
			json_kv_bool(&j, "on_retention_path", n->on_path);
		} else if (n->kind == NODE_MORE) {
			json_kv_uint(&j, "hidden_references", n->id);
		}
		json_end_object(&j);
	}
	json_end_array(&j);
	json_key(&j, "edges");
	json_begin_array(&j);
	for (size_t i = 0; i < g->nedges; i++) {
		json_begin_object(&j);
		json_kv_uint(&j, "from", g->edges[i].from);
		json_kv_uint(&j, "to", g->edges[i].to);
		json_kv_string(&j, "via", g->edges[i].label);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	json_emit(cli, s->core, &j);
	json_deinit(&j);
}

static int run_graph(struct cli *cli)
{
	uint64_t depth, max_nodes, fanout, addr;
	if (!cli_opt_uint(cli, "depth", 2, &depth) ||
	    !cli_opt_uint(cli, "max-nodes", 80, &max_nodes) ||
	    !cli_opt_uint(cli, "fanout", 10, &fanout))
		return EXIT_USAGE;
	if (depth > 100)
		return usage_error(cli, "--depth wants 0 to 100");
	if (max_nodes < 1 || max_nodes > 100000)
		return usage_error(cli, "--max-nodes wants 1 to 100000");
	if (fanout < 1 || fanout > 100000)
		return usage_error(cli, "--fanout wants 1 to 100000");
	if (!cli_parse_addr(cli->args[1], &addr))
		return usage_error(cli, "ADDR must be an address such as 0xc000123000, not '%s'",
				   cli->args[1]);
	const char *path = cli_opt(cli, "output");
	if (path && cli->json)
		return usage_error(cli, "--json prints to stdout; leave out -o");

	struct cli_session s;
	int rc = cli_session_open(cli, &s, CLI_NEED_GRAPH);
	if (rc)
		return rc;
	uint32_t target;
	if ((rc = cli_find_object(cli, &s, addr, &target))) {
		cli_session_close(cli, &s);
		return rc;
	}
	struct graph g = { .s = &s };
	cs_map64_init(&g.obj_node);
	cs_map64_init(&g.root_node);
	cs_map64_init(&g.edge_seen);
	struct cs_error *err = NULL;
	if (rg_is_live(s.graph, target))
		err = add_paths(&g, target);
	if (!err)
		add_references(&g, target, depth, max_nodes, fanout);
	if (!err && !g.failed) {
		g.nodes[cs_map64_get(&g.obj_node, target)].target = true;
		uint32_t *doms = malloc(MAX_DOMS * sizeof(*doms));
		size_t nd = doms && rg_is_live(s.graph, target)
			? rg_dominator_chain(s.graph, target, doms, MAX_DOMS) : 0;
		for (size_t d = 0; d < nd; d++) {
			uint32_t v = RG_IS_OBJECT(doms[d]) ? cs_map64_get(&g.obj_node, doms[d])
							   : CS_MAP64_NONE;
			if (v != CS_MAP64_NONE)
				g.nodes[v].dominator = true;
		}
		free(doms);
	}
	if (!err && g.failed)
		err = &cs_error_nomem;
	if (err) {
		rc = cli_fail(err);
	} else if (cli->json) {
		write_json(&g, cli);
	} else {
		FILE *f = path ? fopen(path, "w") : stdout;
		if (!f) {
			fprintf(stderr, "corescope: %s: %s\n", path, strerror(errno));
			rc = EXIT_INPUT;
		} else {
			write_dot(&g, f, cli->args[0]);
			if (path && fclose(f) != 0) {
				fprintf(stderr, "corescope: %s: %s\n", path, strerror(errno));
				rc = EXIT_INPUT;
			}
		}
	}
	for (size_t i = 0; i < g.nedges; i++)
		free(g.edges[i].label);
	free(g.edges);
	free(g.nodes);
	cs_map64_deinit(&g.obj_node);
	cs_map64_deinit(&g.root_node);
	cs_map64_deinit(&g.edge_seen);
	int crc = cli_session_close(cli, &s);
	return rc ? rc : crc;
}

const struct command cmd_graph = {
	.name = "graph",
	.summary = "an object's neighbourhood as a Graphviz graph",
	.usage = "CORE ADDR",
	.description =
		"Print a Graphviz DOT graph around the heap object at ADDR: the shortest\n"
		"retention path from each class of root down to it, and the objects it\n"
		"references, --depth levels deep.  Nodes show type, address, size and\n"
		"retained size; edges are named like `why` names hops (.field, [i],\n"
		"[key \"k\"]).  The object is bold, its dominators have double borders,\n"
		"unreachable objects are grey, and references beyond --fanout per\n"
		"object or --max-nodes in all are summarised as '… N more'.  Render it\n"
		"with Graphviz: dot -Tsvg.",
	.example = "corescope graph core.1234 0xc000a80000 --depth 3 | dot -Tsvg > obj.svg",
	.opts = graph_opts,
	.min_args = 2,
	.max_args = 2,
	.run = run_graph,
};
