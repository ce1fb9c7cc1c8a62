/*
 * graph.c — build the object graph: CSR edges from the runtime's own
 * pointer bitmaps, roots by class, marking, dominators, retained sizes.
 */
#include "config.h"

#include <stdatomic.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum rg_root_class rg_root_class_of(unsigned kind)
{
	switch (kind) {
	case HS_ROOT_DATA:
	case HS_ROOT_BSS:
		return RG_CLASS_GLOBAL;
	case HS_ROOT_STACK:
	case HS_ROOT_CTXT:
		return RG_CLASS_STACK;
	case HS_ROOT_FINALIZER:
	case HS_ROOT_FINALIZER_FN:
	case HS_ROOT_CLEANUP:
	case HS_ROOT_WEAK_HANDLE:
	case HS_ROOT_FINQ:
		return RG_CLASS_FINALIZER;
	}
	return RG_CLASS_OTHER;
}

const char *rg_root_class_name(enum rg_root_class c)
{
	switch (c) {
	case RG_CLASS_GLOBAL:
		return "global";
	case RG_CLASS_STACK:
		return "goroutine stack";
	case RG_CLASS_FINALIZER:
		return "finalizer/special";
	case RG_CLASS_OTHER:
	case RG_NCLASSES:
		break;
	}
	return "other";
}

/* ------------------------------------------------------------------ */
/* Edges                                                               */
/* ------------------------------------------------------------------ */

/* Edges as they are found: the target, and the word of the source that
 * holds the pointer (for type inference, which then needs no second scan;
 * freed before the dominators).  The targets are looked up in a pipeline
 * (hs_heap_find_start, _step, _end), each step FIND_LAG pointers behind
 * the one before, so that their cache misses overlap; an object's first
 * edge index is set when its first lookup ends, as lookups end in order. */
#define FIND_LAG 16
#define FIND_RING 64	/* a power of two above 2 * FIND_LAG */

struct edge_ctx {
	struct hs_heap *h;
	uint32_t *first;	/* the graph's */
	uint32_t *edges, *words;
	uint64_t n, cap;
	uint32_t obj;		/* being scanned */
	uint32_t next_first;	/* the first object whose first[] is unset */
	uint64_t head, stepped, tail;	/* lookups: ended < stepped < started */
	struct {
		struct hs_find_state f;
		uint32_t obj, word;
	} ring[FIND_RING];
	bool nomem;
};

static void edge_end(struct edge_ctx *c)
{
	const struct hs_find_state *f = &c->ring[c->head % FIND_RING].f;
	uint32_t obj = c->ring[c->head % FIND_RING].obj;
	uint32_t word = c->ring[c->head % FIND_RING].word;
	c->head++;
	uint32_t t = hs_heap_find_end(c->h, f);
	while (c->next_first <= obj)
		c->first[c->next_first++] = (uint32_t)c->n;
	if (t == HS_NONE || c->nomem)
		return;
	if (c->n == c->cap) {
		/* (from 64 Ki: a chunk of a small heap holds a few
		 * thousand edges, and a block of CS_BIG_MIN or more is made
		 * of whole 2 MiB pages) */
		uint64_t ncap = c->cap ? c->cap * 2 : 1u << 16;
		if (ncap > UINT32_MAX)
			ncap = UINT32_MAX;
		if (c->n >= ncap) {
			c->nomem = true;
			return;
		}
		uint32_t *e = cs_big_realloc(c->edges, ncap, sizeof(*e));
		if (e)
			c->edges = e;
		uint32_t *w = cs_big_realloc(c->words, ncap, sizeof(*w));
		if (w)
			c->words = w;
		if (!e || !w) {
			c->nomem = true;
			return;
		}
		c->cap = ncap;
	}
	c->edges[c->n] = t;
	c->words[c->n++] = word;
}

static int add_edge(void *arg, uint64_t off, uint64_t value)
{
	struct edge_ctx *c = arg;
	if (off / 8 > UINT32_MAX) {
		c->nomem = true;	/* an object of more than 32 GiB */
		return 1;
	}
	uint64_t k = c->tail++ % FIND_RING;
	c->ring[k].obj = c->obj;
	c->ring[k].word = (uint32_t)(off / 8);
	hs_heap_find_start(c->h, &c->ring[k].f, value);
	if (c->tail - c->stepped > FIND_LAG) {
		hs_heap_find_step(c->h, &c->ring[c->stepped % FIND_RING].f);
		c->stepped++;
	}
	if (c->tail - c->head > 2 * FIND_LAG)
		edge_end(c);
	return c->nomem;
}

/* End the lookups in flight, and set first[] up to object `upto`. */
static void edge_flush(struct edge_ctx *c, uint32_t upto)
{
	for (; c->stepped < c->tail; c->stepped++)
		hs_heap_find_step(c->h, &c->ring[c->stepped % FIND_RING].f);
	while (c->head < c->tail)
		edge_end(c);
	while (c->next_first < upto)
		c->first[c->next_first++] = (uint32_t)c->n;
}

/* The objects are scanned in chunks of consecutive indexes that threads
 * take in turn (scan costs differ wildly between chunks: a chunk of
 * pointer-free byte slices is cheap, one of tree nodes is not).  Each
 * chunk collects its edges in its own buffers; first[] of a chunk holds
 * offsets into them until the chunks are joined. */
struct scan_chunk {
	uint32_t lo, hi;
	struct edge_ctx c;
	uint64_t unreadable;
	uint64_t base;		/* where its edges go in the graph's */
};

struct scan_work {
	struct rg_graph *g;
	struct scan_chunk *chunks;
	uint32_t nchunks;
	atomic_uint next;
	atomic_uint scanned;	/* objects of the finished chunks */
	atomic_bool nomem;
	const struct cs_progress *prog;	/* the calling thread's */
};

static void scan_chunk_run(struct scan_work *w, struct scan_chunk *ch,
			   const struct cs_progress *prog)
{
	struct rg_graph *g = w->g;
	ch->c.h = g->h;
	ch->c.first = g->first;
	ch->c.next_first = ch->lo;
	/* the objects' addresses, a batch at a time, in one walk of the
	 * allocation bits rather than a search per object */
	uint64_t addr[1024];
	for (uint32_t i = ch->lo; i < ch->hi; i++) {
		uint32_t at = (i - ch->lo) % 1024;
		if (at == 0) {
			if (prog && ((i - ch->lo) & 0xffff) == 0)
				cs_progress_report(prog, "scanning pointers",
						   atomic_load(&w->scanned) + (i - ch->lo), g->n);
			hs_heap_object_addrs_range(g->h, i, CS_MIN(i + 1024, ch->hi), addr);
		}
		ch->c.obj = i;
		int r = hs_object_scan_at(g->h, i, addr[at], add_edge, &ch->c);
		if (ch->c.nomem)
			return;
		if (r < 0)
			ch->unreadable++;
	}
	edge_flush(&ch->c, ch->hi);
	if (ch->c.nomem)
		return;
	/* Give back the doubling's slack now: the join then needs the
	 * edges twice at most, not three times. */
	if (ch->c.n && ch->c.n < ch->c.cap) {
		uint32_t *e = cs_big_realloc(ch->c.edges, ch->c.n, sizeof(*e));
		if (e)
			ch->c.edges = e;
		uint32_t *wd = cs_big_realloc(ch->c.words, ch->c.n, sizeof(*wd));
		if (wd)
			ch->c.words = wd;
	}
}

/* A worker: chunks until none is left.  prog is set for the calling
 * thread only. */
static void scan_work_run(struct scan_work *w, const struct cs_progress *prog)
{
	for (;;) {
		if (atomic_load(&w->nomem))
			return;
		unsigned k = atomic_fetch_add(&w->next, 1);
		if (k >= w->nchunks)
			return;
		struct scan_chunk *ch = &w->chunks[k];
		scan_chunk_run(w, ch, prog);
		if (ch->c.nomem)
			atomic_store(&w->nomem, true);
		atomic_fetch_add(&w->scanned, ch->hi - ch->lo);
	}
}

/* The calling thread (k = 0) reports progress. */
static void scan_thread(void *arg, unsigned k)
{
	struct scan_work *w = arg;
	scan_work_run(w, k == 0 ? w->prog : NULL);
}

/* Copy finished chunks, taken in turn, into the graph's edge arrays
 * (w->next counts again from 0), and free them.  Several threads at a
 * time: the copy is bound by faulting in the new pages. */
static void join_thread(void *arg, unsigned k)
{
	(void)k;
	struct scan_work *w = arg;
	struct rg_graph *g = w->g;
	for (;;) {
		unsigned c = atomic_fetch_add(&w->next, 1);
		if (c >= w->nchunks)
			return;
		struct scan_chunk *ch = &w->chunks[c];
		if (ch->c.n) {
			memcpy(g->edges + ch->base, ch->c.edges, ch->c.n * sizeof(*g->edges));
			memcpy(g->edge_words + ch->base, ch->c.words,
			       ch->c.n * sizeof(*g->edge_words));
		}
		cs_big_free(ch->c.edges);
		cs_big_free(ch->c.words);
		ch->c.edges = ch->c.words = NULL;
		for (uint32_t i = ch->lo; i < ch->hi; i++)
			g->first[i] += (uint32_t)ch->base;
	}
}

/* The threads asked for: jobs, or one per online processor (0). */
static unsigned graph_threads(unsigned jobs)
{
	if (jobs == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = c > 0 ? (unsigned)c : 1;
	}
	return jobs > CS_MAX_THREADS ? CS_MAX_THREADS : jobs;
}

static void free_chunks(struct scan_chunk *chunks, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		cs_big_free(chunks[k].c.edges);
		cs_big_free(chunks[k].c.words);
	}
	free(chunks);
}

static struct cs_error *build_edges(struct rg_graph *g, const struct cs_progress *prog)
{
	g->first = cs_big_malloc((size_t)g->n + 1, sizeof(*g->first));
	if (!g->first)
		return &cs_error_nomem;
	/* Several threads scan disjoint chunks: hs_object_scan only reads
	 * once the masks exist.  Alone, one chunk: its buffers become the
	 * graph's without a copy.  A thread per million objects at most:
	 * small heaps scan serially. */
	unsigned nt = g->threads;
	if (nt > g->n / (1u << 20) + 1)
		nt = g->n / (1u << 20) + 1;
	if (nt > 1)
		hs_heap_prepare_scan(g->h);
	uint32_t nchunks = nt > 1 ? 64 * nt : 1;
	struct scan_work w = { .g = g, .nchunks = nchunks, .prog = prog };
	w.chunks = calloc(nchunks, sizeof(*w.chunks));
	if (!w.chunks)
		return &cs_error_nomem;
	for (uint32_t k = 0; k < nchunks; k++) {
		w.chunks[k].lo = cs_share(g->n, k, nchunks);
		w.chunks[k].hi = cs_share(g->n, k + 1, nchunks);
	}
	atomic_init(&w.next, 0);
	atomic_init(&w.scanned, 0);
	atomic_init(&w.nomem, false);
	unsigned started = cs_run_threads(nt, scan_thread, &w);

	cs_progress_report(prog, "joining edges", 0, 0);
	uint64_t total = 0, unreadable = 0;
	for (uint32_t k = 0; k < nchunks; k++) {
		w.chunks[k].base = total;
		total += w.chunks[k].c.n;
		unreadable += w.chunks[k].unreadable;
	}
	uint32_t *edges = NULL, *words = NULL;
	if (!atomic_load(&w.nomem) && total < UINT32_MAX) {
		if (nchunks == 1) {
			edges = w.chunks[0].c.edges;
			words = w.chunks[0].c.words;
			w.chunks[0].c.edges = w.chunks[0].c.words = NULL;
		} else {
			edges = cs_big_malloc(total, sizeof(*edges));
			words = cs_big_malloc(total, sizeof(*words));
		}
	}
	if (!edges || !words) {
		cs_big_free(edges);
		cs_big_free(words);
		free_chunks(w.chunks, nchunks);
		return cs_error_create(CS_ERR_NOMEM,
				       "out of memory (or more than 4 billion edges) after %llu edges",
				       (unsigned long long)total);
	}
	g->edges = edges;
	g->edge_words = words;
	if (nchunks > 1) {
		atomic_store(&w.next, 0);
		cs_run_threads(started, join_thread, &w);
	}
	free_chunks(w.chunks, nchunks);
	g->first[g->n] = (uint32_t)total;
	g->nedges = total;
	if (unreadable)
		cs_warn(cw_core_warnings(hs_program_core(g->p)), true,
			"%llu objects could not be scanned for pointers (bytes or bitmaps missing from the dump)",
			(unsigned long long)unreadable);
	return NULL;
}

static void reverse_free(struct rg_reverse *r)
{
	if (!r)
		return;
	cs_big_free(r->first);
	cs_big_free(r->edges);
	r->first = r->edges = NULL;
}

/* Reverse edges by counting sort: count into first[t + 1], so that the
 * prefix sums leave first[t] at the start of t, fill with first[t] as
 * the cursor (it ends at the start of t + 1), then shift back by one.
 * Both passes touch two words per edge at random: they ask for them
 * ahead, the fill in two stages (the cursor, then the slot it names). */
static struct cs_error *reverse_build(const struct rg_graph *g, struct rg_reverse *r)
{
	r->first = cs_big_calloc((size_t)g->n + 1, sizeof(*r->first));
	r->edges = cs_big_malloc(g->nedges, sizeof(*r->edges));
	if (!r->first || !r->edges) {
		reverse_free(r);
		return &cs_error_nomem;
	}
	const uint64_t ne = g->nedges;
	for (uint64_t e = 0; e < ne; e++) {
		if (e + 2 * RG_AHEAD < ne)
			__builtin_prefetch(&r->first[g->edges[e + 2 * RG_AHEAD] + 1], 1);
		r->first[g->edges[e] + 1]++;
	}
	for (uint32_t i = 0; i < g->n; i++)
		r->first[i + 1] += r->first[i];
	/* The fill goes by edge, keeping its source in step: the sources
	 * of the edges ahead are not needed, only their targets. */
	uint32_t src = 0;
	for (uint64_t e = 0; e < ne; e++) {
		while (e >= g->first[src + 1])
			src++;
		if (e + 2 * RG_AHEAD < ne)
			__builtin_prefetch(&r->first[g->edges[e + 2 * RG_AHEAD]]);
		if (e + RG_AHEAD < ne)
			__builtin_prefetch(&r->edges[r->first[g->edges[e + RG_AHEAD]]], 1);
		r->edges[r->first[g->edges[e]]++] = src;
	}
	memmove(r->first + 1, r->first, (size_t)g->n * sizeof(*r->first));
	r->first[0] = 0;
	return NULL;
}

struct cs_error *rg_reverse_get(const struct rg_graph *g, const struct rg_reverse **ret)
{
	struct rg_reverse *r = g->rev;
	if (!r->first) {
		/* They take the room of the dominator tree's layout, which
		 * the next walk makes again: the commands that follow paths
		 * are done walking by then. */
		rg_domtree_release(g);
		struct cs_error *err = reverse_build(g, r);
		if (err)
			return err;
	}
	*ret = r;
	return NULL;
}

/* The key that makes roots one named group: the global variable, the
 * goroutine, the object a finalizer belongs to. */
static uint64_t group_key(struct rg_graph *g, const struct hs_root *r)
{
	switch (r->kind) {
	case HS_ROOT_DATA:
	case HS_ROOT_BSS: {
		const struct hs_sym *s = hs_global_symbol(g->p, r->slot);
		return s ? s->addr : r->slot;
	}
	case HS_ROOT_STACK:
	case HS_ROOT_CTXT:
		return r->goroutine;
	case HS_ROOT_FINQ:
		return 0;
	default:
		return r->owner;
	}
}

struct root_sort {
	uint64_t key;
	uint32_t root;
	uint8_t cls;
};

static int root_sort_cmp(const void *a, const void *b)
{
	const struct root_sort *x = a, *y = b;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->root < y->root ? -1 : x->root > y->root;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static struct cs_error *build_roots(struct rg_graph *g)
{
	const struct hs_roots *r = g->roots;
	size_t nr = r->n;
	g->root_target = malloc((nr ? nr : 1) * sizeof(*g->root_target));
	g->root_group = malloc((nr ? nr : 1) * sizeof(*g->root_group));
	struct root_sort *rs = malloc((nr ? nr : 1) * sizeof(*rs));
	if (!g->root_target || !g->root_group || !rs) {
		free(rs);
		return &cs_error_nomem;
	}
	size_t k = 0;
	for (size_t i = 0; i < nr; i++) {
		uint32_t t = hs_heap_find(g->h, r->v[i].value);
		g->root_target[i] = t;
		g->root_group[i] = HS_NONE;
		if (t == HS_NONE)
			continue;
		rs[k++] = (struct root_sort){ group_key(g, &r->v[i]), (uint32_t)i,
					      (uint8_t)rg_root_class_of(r->v[i].kind) };
	}
	cs_sort(rs, k, sizeof(*rs), root_sort_cmp);
	g->groups = malloc((k ? k : 1) * sizeof(*g->groups));
	g->group_first = malloc((k + 1) * sizeof(*g->group_first));
	g->group_targets = malloc((k ? k : 1) * sizeof(*g->group_targets));
	g->pairs = malloc((k ? k : 1) * sizeof(*g->pairs));
	if (!g->groups || !g->group_first || !g->group_targets || !g->pairs) {
		free(rs);
		return &cs_error_nomem;
	}
	uint32_t ng = 0;
	memset(g->class_first, 0, sizeof(g->class_first));
	for (size_t i = 0; i < k; i++) {
		const struct hs_root *root = &r->v[rs[i].root];
		if (i == 0 || rs[i].cls != rs[i - 1].cls || rs[i].key != rs[i - 1].key) {
			g->groups[ng] = (struct rg_group){ rs[i].key, rs[i].root, 0, rs[i].cls,
							   root->kind };
			g->group_first[ng] = (uint32_t)i;
			g->class_first[rs[i].cls + 1]++;
			ng++;
		}
		g->groups[ng - 1].nroots++;
		g->root_group[rs[i].root] = ng - 1;
		g->group_targets[i] = g->root_target[rs[i].root];
		g->pairs[i] = (uint64_t)g->root_target[rs[i].root] << 32 | (ng - 1);
		g->totals.root_edges++;
	}
	g->group_first[ng] = (uint32_t)k;
	g->ngroups = ng;
	for (int c = 0; c < RG_NCLASSES; c++)
		g->class_first[c + 1] += g->class_first[c];
	cs_sort(g->pairs, k, sizeof(*g->pairs), u64_cmp);
	size_t w = 0;
	for (size_t i = 0; i < k; i++)
		if (!w || g->pairs[i] != g->pairs[w - 1])
			g->pairs[w++] = g->pairs[i];
	g->npairs = w;
	free(rs);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Dominators, liveness, retained sizes                                 */
/* ------------------------------------------------------------------ */

/* The dominator graph numbers its root nodes 0 (the super-root), 1 ..
 * RG_NCLASSES (the classes), then the groups; the tree names them
 * RG_SUPER_ROOT, RG_CLASS_NODE and RG_GROUP_NODE.  Both ways: */
static uint32_t root_node(uint32_t id)
{
	return id == 0		   ? RG_SUPER_ROOT
	       : id <= RG_NCLASSES ? RG_CLASS_NODE(id - 1)
				   : RG_GROUP_NODE(id - 1 - RG_NCLASSES);
}

/* A root node reached by the dominators' DFS: its number and node id. */
struct root_num {
	uint64_t num;
	uint32_t node;
};

/* The node id of the root node numbered d, among the n in roots (by
 * number). */
static uint32_t root_numbered(const struct root_num *roots, uint32_t n, uint32_t d)
{
	return roots[CS_COUNT_AT_MOST(roots, n, num, d) - 1].node;
}

static uint32_t root_node_id(uint32_t node)
{
	return RG_IS_GROUP(node)   ? 1 + RG_NCLASSES + (node - RG_GROUP_NODE(0))
	       : RG_IS_CLASS(node) ? 1 + (node - RG_CLASS_NODE(0))
				   : 0;
}

/* The retained sizes, in g->threads runs of the tree (rg_domtree_runs):
 * first each live object's own size, by ranges of objects; then, each
 * object's subtree lying behind it in the walk, sums from the back of each
 * run, objects into their dominators (in the same run) and top-level
 * subtrees into their root nodes (by node id: in ret for run 0, in a
 * run's own array for the others, added to ret at the end). */
struct sums_work {
	struct rg_graph *g;
	unsigned n;
	uint32_t bound[CS_MAX_THREADS + 1];
	uint64_t *ret[CS_MAX_THREADS];
	uint64_t live_objects[CS_MAX_THREADS], live_bytes[CS_MAX_THREADS];
};

static void own_sizes(void *arg, unsigned k)
{
	struct sums_work *w = arg;
	struct rg_graph *g = w->g;
	uint32_t lo = cs_share(g->n, k, w->n), hi = cs_share(g->n, k + 1, w->n);
	uint64_t objects = 0, bytes = 0;	/* (not in w: the threads' counts share a cache line) */
	for (uint32_t i = lo; i < hi; i++) {
		uint64_t size = 0;
		if (rg_bit(g->live, i)) {
			size = hs_object_size(g->h, i);
			objects++;
			bytes += size;
		}
		g->retained[i] = size;
	}
	w->live_objects[k] = objects;
	w->live_bytes[k] = bytes;
}

static void subtree_sums(void *arg, unsigned run)
{
	struct sums_work *w = arg;
	struct rg_graph *g = w->g;
	const struct rg_domtree *t = g->domtree;
	uint64_t *ret = w->ret[run], *retained = g->retained;
	const uint32_t *idom = g->idom;
	uint32_t kbegin = rg_top_start(t, w->bound[run]);
	for (uint32_t k = rg_top_start(t, w->bound[run + 1]); k-- > kbegin;) {
		/* random reads by object, asked for ahead */
		if (k >= 2 * RG_AHEAD) {
			uint32_t far = t->pre[k - 2 * RG_AHEAD], near = idom[t->pre[k - RG_AHEAD]];
			__builtin_prefetch(&idom[far]);
			__builtin_prefetch(&retained[far]);
			if (RG_IS_OBJECT(near))
				__builtin_prefetch(&retained[near]);
		}
		uint32_t v = t->pre[k], d = idom[v];
		if (RG_IS_OBJECT(d))
			retained[d] += retained[v];
		else
			ret[root_node_id(d)] += retained[v];
	}
}

static struct cs_error *retained_sums(struct rg_graph *g, uint64_t *ret, uint32_t obj0)
{
	struct sums_work w = { .g = g, .n = rg_threads(g) };
	struct cs_error *err = NULL;
	w.ret[0] = ret;
	for (unsigned k = 1; k < w.n; k++)
		if (!(w.ret[k] = cs_big_calloc(obj0, sizeof(*ret))))
			err = &cs_error_nomem;
	if (!err) {
		cs_run_threads(w.n, own_sizes, &w);
		rg_domtree_runs(g->domtree, w.n, w.bound);
		cs_run_threads(w.n, subtree_sums, &w);
	}
	for (unsigned k = 0; k < w.n; k++) {
		g->totals.live_objects += w.live_objects[k];
		g->totals.live_bytes += w.live_bytes[k];
		for (uint32_t i = 0; k && !err && i < obj0; i++)
			ret[i] += w.ret[k][i];
		if (k)
			cs_big_free(w.ret[k]);
	}
	return err;
}

static struct cs_error *compute_dominators(struct rg_graph *g, const struct cs_progress *prog)
{
	cs_progress_report(prog, "computing dominators", 0, 0);
	struct cs_error *err;
	struct rg_domgraph dg = {
		.nobj = g->n, .ngroups = g->ngroups,
		.first = g->first, .edges = g->edges,
		.class_first = g->class_first,
		.group_first = g->group_first, .group_targets = g->group_targets,
		.threads = rg_threads(g),
	};
	uint32_t obj0 = rg_obj0(&dg);
	size_t total = (size_t)g->n + obj0;
	uint32_t *idom = cs_big_malloc(total, sizeof(*idom));
	uint32_t *order = cs_big_malloc(total, sizeof(*order));
	g->live = cs_big_calloc(((size_t)g->n + 63) / 64 + 1, sizeof(*g->live));
	if (!idom || !order || !g->live) {
		cs_big_free(idom);
		cs_big_free(order);
		return &cs_error_nomem;
	}
	uint32_t norder = 0;
	err = rg_dominators(&dg, idom, order, &norder);
	cs_progress_report(prog, "retained sizes", 0, 0);
	if (err) {
		cs_big_free(idom);
		cs_big_free(order);
		return err;
	}
	/* The root nodes (super-root, classes, groups) in preorder, with
	 * their immediate dominators: few, kept apart and summed last. */
	struct root_num *rorder = cs_big_malloc(obj0, sizeof(*rorder));
	uint32_t *ridom = cs_big_malloc(obj0, sizeof(*ridom));
	uint64_t *ret = cs_big_calloc(obj0, sizeof(*ret));
	g->group_retained = cs_big_malloc(g->ngroups, sizeof(*g->group_retained));
	size_t nwords = (size_t)norder / 64 + 1;
	uint64_t *isobj = cs_big_calloc(nwords, sizeof(*isobj));
	uint32_t *rank = cs_big_malloc(nwords, sizeof(*rank));
	if (!rorder || !ridom || !ret || !g->group_retained || !isobj || !rank) {
		err = &cs_error_nomem;
		goto out;
	}
	uint32_t nroot = 0, nlive = 0;
	memset(ridom, 0xff, obj0 * sizeof(*ridom));	/* unreached */
	/* The layout's input (rg_layout_in) from the dominators' numbers,
	 * in place: each live object's entry moves down to its position
	 * among them (at most its number), its dominator's number becomes
	 * that position, or the root node.  A number's position is its rank
	 * in a bitmap of the objects' numbers, complete below the number at
	 * hand; read at random, but small. */
	for (uint32_t k = 0; k < norder; k++) {
		if (k + RG_AHEAD < norder && idom[k + RG_AHEAD] != UINT32_MAX) {
			__builtin_prefetch(&isobj[idom[k + RG_AHEAD] / 64]);
			__builtin_prefetch(&rank[idom[k + RG_AHEAD] / 64]);
		}
		if (k % 64 == 0)
			rank[k / 64] = nlive;
		uint32_t v = order[k], d = idom[k];
		if (v < obj0) {
			rorder[nroot++] = (struct root_num){ k, v };
			if (k)	/* (the super-root, number 0, has no idom) */
				ridom[v] = root_numbered(rorder, nroot, d);
			continue;
		}
		uint32_t par = rg_bit(isobj, d)
				       ? rank[d / 64] + cs_popcount64(isobj[d / 64] & ((1ull << (d % 64)) - 1))
				       : root_node(root_numbered(rorder, nroot, d));
		rg_setbit(isobj, k);
		idom[nlive] = par;
		order[nlive++] = v - obj0;
	}
	cs_big_free(isobj);
	cs_big_free(rank);
	isobj = NULL;
	rank = NULL;
	/* The tree's layout, now, while the memory the retained sizes will
	 * take is free. */
	struct rg_layout_in in = { nlive, nlive, g->ngroups, NULL, idom, order };
	err = rg_domtree_build(g, &in);
	if (err)
		goto out;
	/* Immediate dominators by object id; the live objects are those the
	 * DFS reached. */
	g->idom = cs_big_malloc(g->n, sizeof(*g->idom));
	if (!g->idom) {
		err = &cs_error_nomem;
		goto out;
	}
	memset(g->idom, 0xff, (size_t)g->n * sizeof(*g->idom));	/* HS_NONE */
	for (uint32_t c = 0; c < nlive; c++) {
		if (c + RG_AHEAD < nlive) {	/* both ends are random */
			uint32_t x = order[c + RG_AHEAD], p = idom[c + RG_AHEAD];
			__builtin_prefetch(&g->idom[x], 1);
			__builtin_prefetch(&g->live[x / 64], 1);
			if (RG_IS_OBJECT(p))
				__builtin_prefetch(&order[p]);
		}
		uint32_t obj = order[c], par = idom[c];
		g->idom[obj] = RG_IS_OBJECT(par) ? order[par] : par;
		rg_setbit(g->live, obj);
	}
	cs_big_free(idom);
	cs_big_free(order);
	idom = order = NULL;
	g->retained = cs_big_malloc(g->n, sizeof(*g->retained));
	if (!g->retained) {
		err = &cs_error_nomem;
		goto out;
	}
	err = retained_sums(g, ret, obj0);
	if (err)
		goto out;
	for (uint32_t k = nroot; k-- > 1;) {
		uint32_t v = rorder[k].node, d = ridom[v];
		if (d != UINT32_MAX)
			ret[d] += ret[v];
	}
	g->total_retained = ret[0];
	for (int c = 0; c < RG_NCLASSES; c++)
		g->class_retained[c] = ret[c + 1];
	for (uint32_t gr = 0; gr < g->ngroups; gr++)
		g->group_retained[gr] = ret[1 + RG_NCLASSES + gr];
out:
	cs_big_free(idom);
	cs_big_free(order);
	cs_big_free(isobj);
	cs_big_free(rank);
	cs_big_free(rorder);
	cs_big_free(ridom);
	cs_big_free(ret);
	return err;
}

struct cs_error *rg_graph_build(struct hs_program *p, struct hs_heap *h,
				const struct hs_roots *roots, unsigned jobs,
				const struct cs_progress *prog, struct rg_graph **ret)
{
	struct rg_graph *g = calloc(1, sizeof(*g));
	if (!g)
		return &cs_error_nomem;
	g->p = p;
	g->h = h;
	g->roots = roots;
	g->domtree = calloc(1, sizeof(*g->domtree));
	g->rev = calloc(1, sizeof(*g->rev));
	if (!g->domtree || !g->rev) {
		rg_graph_destroy(g);
		return &cs_error_nomem;
	}
	size_t n = hs_heap_count(h);
	/* object indexes stay below RG_GROUP_NODE(0), with room for the
	 * root and group nodes of the dominator graph */
	if (n >= RG_GROUP_NODE(0) - (1u << 24)) {
		rg_graph_destroy(g);
		return cs_error_create(CS_ERR_UNSUPPORTED, "%zu objects: more than corescope's 31-bit object ids hold", n);
	}
	g->n = (uint32_t)n;
	g->threads = graph_threads(jobs);
	struct cs_error *err = build_edges(g, prog);
	if (!err)
		err = build_roots(g);
	if (!err) {
		cs_progress_report(prog, "inferring types", 0, 0);
		err = rg_infer_types(g);
	}
	cs_big_free(g->edge_words);	/* only type inference reads them */
	g->edge_words = NULL;
	if (!err) {
		err = compute_dominators(g, prog);
	}
	if (err) {
		rg_graph_destroy(g);
		return err;
	}
	g->totals.objects = n;
	const struct hs_object *objs = hs_heap_objects(h);
	for (uint32_t i = 0; i < g->n; i++) {
		uint64_t size = hs_object_size(h, i);
		g->totals.bytes += size;
		if (objs[i].type && rg_bit(g->live, i)) {
			g->totals.typed_live_objects++;
			g->totals.typed_live_bytes += size;
		}
	}
	g->totals.edges = g->nedges;
	*ret = g;
	return NULL;
}

void rg_graph_destroy(struct rg_graph *g)
{
	if (!g)
		return;
	rg_domtree_free(g->domtree);
	free(g->domtree);
	cs_big_free(g->first);
	cs_big_free(g->edges);
	cs_big_free(g->edge_words);
	reverse_free(g->rev);
	free(g->rev);
	free(g->root_target);
	free(g->root_group);
	free(g->groups);
	free(g->group_first);
	free(g->group_targets);
	free(g->pairs);
	cs_big_free(g->group_retained);
	cs_big_free(g->live);
	cs_big_free(g->idom);
	cs_big_free(g->retained);
	free(g);
}

uint32_t rg_node_count(const struct rg_graph *g)
{
	return g->n;
}

uint64_t rg_edge_count(const struct rg_graph *g)
{
	return g->nedges;
}

const uint32_t *rg_out_edges(const struct rg_graph *g, uint32_t i, uint32_t *n_ret)
{
	*n_ret = g->first[i + 1] - g->first[i];
	return g->edges + g->first[i];
}

bool rg_is_live(const struct rg_graph *g, uint32_t i)
{
	return rg_bit(g->live, i);
}

void rg_graph_totals(const struct rg_graph *g, struct rg_totals *ret)
{
	*ret = g->totals;
}

uint32_t rg_idom(const struct rg_graph *g, uint32_t i)
{
	return g->idom[i];
}

uint64_t rg_retained(const struct rg_graph *g, uint32_t i)
{
	return g->retained[i];
}

uint64_t rg_class_retained(const struct rg_graph *g, enum rg_root_class c)
{
	return c < RG_NCLASSES ? g->class_retained[c] : g->total_retained;
}

uint32_t rg_group_count(const struct rg_graph *g)
{
	return g->ngroups;
}

void rg_group(const struct rg_graph *g, uint32_t gr, struct rg_group_info *ret)
{
	const struct rg_group *x = &g->groups[gr];
	ret->cls = (enum rg_root_class)x->cls;
	ret->kind = x->kind;
	ret->nroots = x->nroots;
	ret->root = &g->roots->v[x->first_root];
	ret->retained = g->group_retained[gr];
}

unsigned rg_threads(const struct rg_graph *g)
{
	return g->threads ? g->threads : 1;
}

uint32_t rg_root_group(const struct rg_graph *g, size_t r)
{
	return r < g->roots->n ? g->root_group[r] : HS_NONE;
}
