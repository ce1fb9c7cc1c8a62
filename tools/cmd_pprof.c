/*
 * cmd_pprof.c — `corescope pprof`: the heap as a pprof profile whose
 * stacks are retention chains, so `go tool pprof -http` draws a retention
 * flame graph.
 *
 * A sample's stack, root first: the root class ("globals"), the named
 * root ("main.cache", "goroutine main.worker"), then the types of the
 * objects down the dominator tree to the object itself (refgraph's
 * rg_chains: runs of one type fold into one frame, depth is capped).
 * Objects on the same chain share one sample.  Because the chains follow
 * the dominator tree, a frame's cumulative inuse_space is exactly what
 * the objects under it retain.
 *
 * The encoder below writes the profile.proto wire format by hand (it is
 * small and stable: varints and length-delimited fields) and gzips it.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "heapscan.h"
#include "refgraph.h"

static const struct opt_spec pprof_opts[] = {
	{ "output", 'o', OPT_REQUIRED, "PATH", "where to write the gzipped profile ('-' for stdout)" },
	{ "depth", 0, OPT_REQUIRED, "N", "longest chain below the root, in frames (default 64)" },
	{ "live", 0, OPT_NONE, NULL, "leave out allocated-but-unreachable objects" },
	{ 0 },
};

/* ------------------------------------------------------------------ */
/* Labels: interned strings, the profile's functions                   */
/* ------------------------------------------------------------------ */

struct labels {
	char **str;
	uint32_t *next;		/* same-hash chain */
	size_t n, cap;
	struct cs_map64 by_hash;	/* hash -> first label */
	bool escape;		/* store text escaped (text from the core) */
	bool failed;
};

/* The label for s (copied), or RG_CHAIN_NOLABEL when memory runs out. */
static uint32_t label_of(struct labels *l, const char *s)
{
	uint64_t h = cs_hash_bytes(s, strlen(s));
	uint32_t first = cs_map64_get(&l->by_hash, h);
	for (uint32_t i = first; i != CS_MAP64_NONE; i = l->next[i])
		if (strcmp(l->str[i], s) == 0)
			return i;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		char **ns = realloc(l->str, cap * sizeof(*ns));
		if (ns)
			l->str = ns;
		uint32_t *nn = realloc(l->next, cap * sizeof(*nn));
		if (nn)
			l->next = nn;
		if (!ns || !nn) {
			l->failed = true;
			return RG_CHAIN_NOLABEL;
		}
		l->cap = cap;
	}
	/* pprof prints names as they are: escape what the core might have
	 * put there */
	char *copy;
	if (l->escape) {
		struct cs_strbuf b;
		cs_strbuf_init(&b);
		esc_text(&b, s, strlen(s));
		copy = b.failed ? (cs_strbuf_deinit(&b), NULL) : cs_strbuf_steal(&b);
	} else {
		copy = strdup(s);
	}
	if (!copy || !cs_map64_put(&l->by_hash, h, (uint32_t)l->n)) {
		free(copy);
		l->failed = true;
		return RG_CHAIN_NOLABEL;
	}
	l->str[l->n] = copy;
	l->next[l->n] = first;
	return (uint32_t)l->n++;
}

static void labels_free(struct labels *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->str[i]);
	free(l->str);
	free(l->next);
	cs_map64_deinit(&l->by_hash);
}

struct namer {
	struct cli_session *s;
	struct labels labels;
	struct cs_map64 by_type;	/* type id << 1 | array -> label */
};

/* An object's frame: its type, "[]T" for a backing array of several
 * elements (the length would split one chain into many). */
static uint32_t object_label(struct namer *nm, uint32_t obj)
{
	const struct hs_type *t = rg_object_type(nm->s->graph, obj);
	bool array = t && rg_object_count(nm->s->graph, obj) >= 2;
	uint64_t key = (uint64_t)(t ? t->id : 0) << 1 | array;
	uint32_t l = cs_map64_get(&nm->by_type, key);
	if (l != CS_MAP64_NONE)
		return l;
	char *name = NULL;
	if (!t)
		name = strdup("(untyped)");
	else if (array && asprintf(&name, "[]%s", t->name) < 0)
		name = NULL;
	else if (!array)
		name = strdup(t->name);
	if (!name) {
		nm->labels.failed = true;
		return RG_CHAIN_NOLABEL;
	}
	l = label_of(&nm->labels, name);
	free(name);
	if (l != RG_CHAIN_NOLABEL && !cs_map64_put(&nm->by_type, key, l))
		nm->labels.failed = true;
	return l;
}

/* A root's frame.  Goroutines are named by what they run, so a thousand
 * goroutines of one function share one frame; finalizers and other
 * specials by their object's type. */
static uint32_t group_label(struct namer *nm, uint32_t gr)
{
	struct cli_session *s = nm->s;
	struct rg_group_info gi;
	rg_group(s->graph, gr, &gi);
	const struct hs_root *r = gi.root;
	char *name = NULL;
	switch (r->kind) {
	case HS_ROOT_STACK:
	case HS_ROOT_CTXT:
		if (s->gs && r->goroutine < s->gs->n) {
			if (asprintf(&name, "goroutine %s", cli_goroutine_func(s, r->goroutine)) < 0)
				name = NULL;
			break;
		}
		name = strdup("goroutine");
		break;
	case HS_ROOT_DATA:
	case HS_ROOT_BSS:
	case HS_ROOT_FINQ:
		name = cli_group_name(s, gr);
		break;
	default: {
		uint32_t o = hs_heap_find(s->heap, r->owner);
		const struct hs_type *t = o != HS_NONE ? rg_object_type(s->graph, o) : NULL;
		if (asprintf(&name, "%s of %s", hs_root_kind_name(r->kind),
			     t ? t->name : "(untyped)") < 0)
			name = NULL;
		break;
	}
	}
	if (!name) {
		nm->labels.failed = true;
		return RG_CHAIN_NOLABEL;
	}
	uint32_t l = label_of(&nm->labels, name);
	free(name);
	return l;
}

static uint32_t node_label(void *ctx, uint32_t node)
{
	struct namer *nm = ctx;
	if (RG_IS_OBJECT(node))
		return object_label(nm, node);
	if (RG_IS_GROUP(node))
		return group_label(nm, node - RG_GROUP_NODE(0));
	if (RG_IS_CLASS(node)) {
		char name[64];
		snprintf(name, sizeof(name), "%s roots",
			 rg_root_class_name((enum rg_root_class)(node - RG_CLASS_NODE(0))));
		return label_of(&nm->labels, name);
	}
	return label_of(&nm->labels, "(held by several kinds of root)");
}

/* ------------------------------------------------------------------ */
/* profile.proto encoding                                              */
/* ------------------------------------------------------------------ */

/* Field numbers of perftools.profiles.Profile and its messages. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2,
	MAPPING_ID = 1, MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
};

static void pb_varint(struct cs_strbuf *b, uint64_t v)
{
	char buf[10];
	size_t n = 0;
	do {
		buf[n++] = (char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	cs_strbuf_add(b, buf, n);
}

static void pb_uint(struct cs_strbuf *b, unsigned field, uint64_t v)
{
	pb_varint(b, (uint64_t)field << 3);	/* wire type 0 */
	pb_varint(b, v);
}

static void pb_bytes(struct cs_strbuf *b, unsigned field, const char *p, size_t n)
{
	pb_varint(b, (uint64_t)field << 3 | 2);
	pb_varint(b, n);
	cs_strbuf_add(b, p, n);
}

/* A submessage built in tmp, appended to b as field; tmp is reset. */
static void pb_message(struct cs_strbuf *b, unsigned field, struct cs_strbuf *tmp)
{
	pb_bytes(b, field, tmp->s ? tmp->s : "", tmp->len);
	cs_strbuf_reset(tmp);
}

/* Packed repeated varints. */
static void pb_packed(struct cs_strbuf *b, unsigned field, const uint64_t *v, size_t n,
		      struct cs_strbuf *tmp)
{
	for (size_t i = 0; i < n; i++)
		pb_varint(tmp, v[i]);
	pb_message(b, field, tmp);
}

struct profile {
	struct cs_strbuf out, tmp, tmp2;
	struct labels strings;	/* the string table; "" is 0 */
};

static uint64_t str_index(struct profile *p, const char *s)
{
	return label_of(&p->strings, s);
}

static void value_type(struct profile *p, unsigned field, const char *type, const char *unit)
{
	pb_uint(&p->tmp, VALUETYPE_TYPE, str_index(p, type));
	pb_uint(&p->tmp, VALUETYPE_UNIT, str_index(p, unit));
	pb_message(&p->out, field, &p->tmp);
}

/* One sample: the stack leaf first, as pprof wants. */
static void sample(struct profile *p, const uint64_t *locs, size_t nlocs,
		   uint64_t objects, uint64_t space, uint64_t retained)
{
	uint64_t values[3] = { objects, space, retained };
	pb_packed(&p->tmp, SAMPLE_LOCATION_ID, locs, nlocs, &p->tmp2);
	pb_packed(&p->tmp, SAMPLE_VALUE, values, 3, &p->tmp2);
	pb_message(&p->out, PROFILE_SAMPLE, &p->tmp);
}

/* gzip buf to f. */
static int write_gzip(FILE *f, const char *buf, size_t n, const char *path)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		fprintf(stderr, "corescope: %s: cannot start gzip\n", path);
		return EXIT_INPUT;
	}
	unsigned char chunk[65536];
	z.next_in = (unsigned char *)(uintptr_t)buf;
	int zr;
	size_t left = n;
	do {
		uInt take = left > (1u << 30) ? (1u << 30) : (uInt)left;
		if (z.avail_in == 0 && left) {
			z.next_in = (unsigned char *)(uintptr_t)(buf + (n - left));
			z.avail_in = take;
			left -= take;
		}
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, left || z.avail_in ? Z_NO_FLUSH : Z_FINISH);
		size_t have = sizeof(chunk) - z.avail_out;
		if (have && fwrite(chunk, 1, have, f) != have) {
			deflateEnd(&z);
			fprintf(stderr, "corescope: %s: %s\n", path, strerror(errno));
			return EXIT_INPUT;
		}
	} while (zr != Z_STREAM_END && zr != Z_STREAM_ERROR);
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		fprintf(stderr, "corescope: %s: gzip failed\n", path);
		return EXIT_INPUT;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The command                                                         */
/* ------------------------------------------------------------------ */

struct totals {
	uint64_t *objects, *space, *retained;	/* per chain */
};

static int run_pprof(struct cli *cli)
{
	const char *path = cli_opt(cli, "output");
	uint64_t depth;
	if (!cli_opt_uint(cli, "depth", 64, &depth))
		return EXIT_USAGE;
	if (depth < 1 || depth > 1000)
		return usage_error(cli, "--depth wants 1 to 1000");
	if (!path)
		return usage_error(cli, "say where the profile goes: -o retained.pb.gz");
	bool to_stdout = strcmp(path, "-") == 0;
	if (to_stdout && isatty(STDOUT_FILENO))
		return usage_error(cli, "-o - would write a binary profile to the terminal");
	bool live_only = cli_flag(cli, "live");

	struct cli_session s;
	int rc = cli_session_open(cli, &s, CLI_NEED_GRAPH);
	if (rc)
		return rc;
	struct namer nm = { .s = &s, .labels.escape = true };
	cs_map64_init(&nm.by_type);
	struct rg_chains ch;
	struct totals t = { 0 };
	struct profile p;
	memset(&p, 0, sizeof(p));
	uint64_t *dead_obj = NULL, *dead_bytes = NULL, *locs = NULL;
	/* labels 0 and up become functions and locations 1 and up */
	struct cs_error *err = rg_chains_build(s.graph, node_label, &nm, (unsigned)depth, &ch);
	if (err) {
		rc = cli_fail(err);
		goto out_nochains;
	}
	uint32_t dead_label = label_of(&nm.labels, "(unreachable, not yet freed)");
	uint32_t n = rg_node_count(s.graph);
	t.objects = calloc(ch.n, sizeof(uint64_t));
	t.space = calloc(ch.n, sizeof(uint64_t));
	t.retained = calloc(ch.n, sizeof(uint64_t));
	locs = malloc((size_t)(depth + 4) * sizeof(*locs));
	if (!t.objects || !t.space || !t.retained || !locs || nm.labels.failed) {
		rc = cli_fail(&cs_error_nomem);
		goto out;
	}
	uint64_t live_objects = 0, live_bytes = 0, dead_objects = 0, dead_total = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t size = hs_object_size(s.heap, i);
		uint32_t c = ch.of_object[i];
		if (c == RG_CHAIN_NONE) {
			dead_objects++;
			dead_total += size;
			continue;
		}
		t.objects[c]++;
		t.space[c] += size;
		live_objects++;
		live_bytes += size;
		/* "retained" sits where no single named root holds the object */
		uint32_t d = rg_idom(s.graph, i);
		if (RG_IS_CLASS(d) || d == RG_SUPER_ROOT)
			t.retained[c] += rg_retained(s.graph, i);
	}
	for (uint32_t gr = 0; gr < rg_group_count(s.graph); gr++) {
		struct rg_group_info gi;
		rg_group(s.graph, gr, &gi);
		t.retained[ch.of_group[gr]] += gi.retained;
	}
	/* string table: "" first */
	str_index(&p, "");
	value_type(&p, PROFILE_SAMPLE_TYPE, "inuse_objects", "count");
	value_type(&p, PROFILE_SAMPLE_TYPE, "inuse_space", "bytes");
	value_type(&p, PROFILE_SAMPLE_TYPE, "retained", "bytes");
	uint64_t nsamples = 0;
	for (uint32_t c = 1; c < ch.n; c++) {
		if (!t.objects[c] && !t.retained[c])
			continue;
		size_t k = 0;
		for (uint32_t v = c; v != 0 && k < depth + 4; v = ch.parent[v])
			locs[k++] = (uint64_t)ch.label[v] + 1;
		sample(&p, locs, k, t.objects[c], t.space[c], t.retained[c]);
		nsamples++;
	}
	if (!live_only) {
		/* unreachable objects: their type under one frame of their own */
		size_t cap = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (rg_is_live(s.graph, i))
				continue;
			uint32_t l = object_label(&nm, i);
			if (l == RG_CHAIN_NOLABEL)
				continue;
			if (l >= cap) {
				size_t old = cap;
				if (!cs_grow((void **)&dead_obj, &cap, (size_t)l + 1, sizeof(uint64_t))) {
					rc = cli_fail(&cs_error_nomem);
					goto out;
				}
				size_t cap2 = old;
				if (!cs_grow((void **)&dead_bytes, &cap2, cap, sizeof(uint64_t))) {
					rc = cli_fail(&cs_error_nomem);
					goto out;
				}
				memset(dead_obj + old, 0, (cap - old) * sizeof(uint64_t));
				memset(dead_bytes + old, 0, (cap - old) * sizeof(uint64_t));
			}
			dead_obj[l]++;
			dead_bytes[l] += hs_object_size(s.heap, i);
		}
		for (size_t l = 0; l < cap; l++) {
			if (!dead_obj[l])
				continue;
			uint64_t st[2] = { l + 1, (uint64_t)dead_label + 1 };
			sample(&p, st, 2, dead_obj[l], dead_bytes[l], 0);
			nsamples++;
		}
	}
	if (nm.labels.failed) {
		rc = cli_fail(&cs_error_nomem);
		goto out;
	}
	/* one mapping, the program, so pprof knows the names are final */
	const struct cw_exe *exe = cw_core_exe(s.core);
	const char *exe_name = exe->path ? exe->path : exe->core_path;
	pb_uint(&p.tmp, MAPPING_ID, 1);
	pb_uint(&p.tmp, MAPPING_FILENAME, str_index(&p, exe_name ? exe_name : ""));
	if (exe->core_gnu_build_id)
		pb_uint(&p.tmp, MAPPING_BUILD_ID, str_index(&p, exe->core_gnu_build_id));
	pb_uint(&p.tmp, MAPPING_HAS_FUNCTIONS, 1);
	pb_message(&p.out, PROFILE_MAPPING, &p.tmp);
	/* a location and a function per label */
	for (size_t l = 0; l < nm.labels.n; l++) {
		pb_uint(&p.tmp2, LINE_FUNCTION_ID, l + 1);
		pb_uint(&p.tmp, LOCATION_ID, l + 1);
		pb_uint(&p.tmp, LOCATION_MAPPING_ID, 1);
		pb_message(&p.tmp, LOCATION_LINE, &p.tmp2);
		pb_message(&p.out, PROFILE_LOCATION, &p.tmp);
	}
	uint64_t file = str_index(&p, "retention (corescope)");
	for (size_t l = 0; l < nm.labels.n; l++) {
		uint64_t name = str_index(&p, nm.labels.str[l]);
		pb_uint(&p.tmp, FUNCTION_ID, l + 1);
		pb_uint(&p.tmp, FUNCTION_NAME, name);
		pb_uint(&p.tmp, FUNCTION_SYSTEM_NAME, name);
		pb_uint(&p.tmp, FUNCTION_FILENAME, file);
		pb_message(&p.out, PROFILE_FUNCTION, &p.tmp);
	}
	value_type(&p, PROFILE_PERIOD_TYPE, "space", "bytes");
	pb_uint(&p.out, PROFILE_PERIOD, 1);
	struct cs_strbuf note;
	cs_strbuf_init(&note);
	cs_strbuf_puts(&note, "corescope retention profile of ");
	esc_text(&note, cli->args[0], strlen(cli->args[0]));
	cs_strbuf_puts(&note, ": stacks run from a root class and a named root down the "
		       "dominator tree, one frame per object type");
	pb_uint(&p.out, PROFILE_COMMENT, str_index(&p, note.s ? note.s : ""));
	cs_strbuf_deinit(&note);
	pb_uint(&p.out, PROFILE_COMMENT,
		str_index(&p, "inuse_space: a frame's cumulative bytes are what it retains; "
			      "retained: each root's retained bytes on its own frame"));
	pb_uint(&p.out, PROFILE_DEFAULT_SAMPLE_TYPE, str_index(&p, "inuse_space"));
	/* the string table last: it is complete only now */
	struct cs_strbuf whole;
	cs_strbuf_init(&whole);
	cs_strbuf_add(&whole, p.out.s ? p.out.s : "", p.out.len);
	for (size_t i = 0; i < p.strings.n; i++) {
		/* the table holds escaped text already (label_of) */
		pb_bytes(&whole, PROFILE_STRING_TABLE, p.strings.str[i], strlen(p.strings.str[i]));
	}
	if (whole.failed || p.out.failed || p.tmp.failed || p.tmp2.failed || p.strings.failed) {
		cs_strbuf_deinit(&whole);
		rc = cli_fail(&cs_error_nomem);
		goto out;
	}
	FILE *f = to_stdout ? stdout : fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "corescope: %s: %s\n", path, strerror(errno));
		cs_strbuf_deinit(&whole);
		rc = EXIT_INPUT;
		goto out;
	}
	rc = write_gzip(f, whole.s, whole.len, path);
	if (!to_stdout && fclose(f) != 0 && !rc) {
		fprintf(stderr, "corescope: %s: %s\n", path, strerror(errno));
		rc = EXIT_INPUT;
	}
	cs_strbuf_deinit(&whole);
	if (rc)
		goto out;

	char b1[32], b2[32], b3[32];
	if (cli->json) {
		struct json j;
		json_init(&j);
		json_begin_object(&j);
		json_kv_string(&j, "output", path);
		json_kv_uint(&j, "samples", nsamples);
		json_kv_uint(&j, "chains", ch.n - 1);
		json_kv_uint(&j, "frames", nm.labels.n);
		json_kv_uint(&j, "live_objects", live_objects);
		json_kv_uint(&j, "live_bytes", live_bytes);
		json_kv_uint(&j, "unreachable_objects", live_only ? 0 : dead_objects);
		json_kv_uint(&j, "unreachable_bytes", live_only ? 0 : dead_total);
		json_kv_uint(&j, "max_depth", depth);
		json_end_object(&j);
		json_emit(cli, s.core, &j);
		json_deinit(&j);
	} else if (!to_stdout) {
		printf("Wrote %s: %s retention chains over %s live objects (%s)",
		       path, fmt_count(ch.n - 1, b1), fmt_count(live_objects, b2),
		       cs_fmt_size(live_bytes, b3));
		if (!live_only && dead_objects)
			printf(", and %s unreachable", cs_fmt_size(dead_total, b1));
		printf(".\nView it as a retention flame graph:  go tool pprof -http=: %s\n"
		       "or as text:                          go tool pprof -top -cum %s\n",
		       path, path);
	}
	rc = 0;
out:
	rg_chains_free(&ch);
out_nochains:
	free(t.objects);
	free(t.space);
	free(t.retained);
	free(dead_obj);
	free(dead_bytes);
	free(locs);
	labels_free(&nm.labels);
	cs_map64_deinit(&nm.by_type);
	labels_free(&p.strings);
	cs_strbuf_deinit(&p.out);
	cs_strbuf_deinit(&p.tmp);
	cs_strbuf_deinit(&p.tmp2);
	int crc = cli_session_close(cli, &s);
	return rc ? rc : crc;
}

const struct command cmd_pprof = {
	.name = "pprof",
	.summary = "write a retention profile for go tool pprof",
	.usage = "CORE [EXE] -o PATH",
	.description =
		"Write the heap as a gzipped pprof profile whose stacks are retention\n"
		"chains: root class, named root (a global, the function a goroutine runs,\n"
		"a finalizer), then the types of the objects down the dominator tree, one\n"
		"frame per type (runs of one type, such as a linked list, fold into one\n"
		"frame).  `go tool pprof -http=: PATH` then shows a retention flame graph:\n"
		"a frame's width is the memory it keeps alive.  Sample values:\n"
		"inuse_objects and inuse_space (the default) for the objects at the end\n"
		"of each chain, and retained, each root's retained bytes on the root's\n"
		"own frame (`-sample_index=retained -top` ranks roots).  Allocated but\n"
		"unreachable objects appear under their own frame unless --live.",
	.example = "corescope pprof core.1234 -o retained.pb.gz && go tool pprof -http=: retained.pb.gz",
	.opts = pprof_opts,
	.min_args = 1,
	.max_args = 2,
	.run = run_pprof,
};
