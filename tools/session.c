/*
 * session.c — open the core and the analysis layers a command needs, with
 * progress on a terminal, and close them with the right exit status.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "heapscan.h"
#include "refgraph.h"

static double clock_seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_seconds(CLOCK_MONOTONIC);
}

static double cpu_now(void)
{
	return clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

/* A phase begins: the memory guard names it if memory runs out, and
 * --timings starts its line when the name differs from the last. */
static void phase_begin(struct cli_progress *p, const char *phase)
{
	(void)cs_memguard_phase(phase);
	if (!p->timings)
		return;
	if (p->nphases && !strcmp(p->phases[p->nphases - 1].name, phase))
		return;
	if (p->nphases == sizeof(p->phases) / sizeof(p->phases[0]))
		p->nphases--;	/* the last slot takes the latest phase */
	p->phases[p->nphases++] = (struct cli_phase){ phase, now(), cpu_now(),
						      cs_big_stats().fresh_bytes, cs_rss_anon() };
}

static void print_timings(struct cli_progress *p)
{
	if (!p->timings || !p->nphases)
		return;
	double wall = now(), cpu = cpu_now();
	struct cs_big_stats big = cs_big_stats();
	uint64_t anon = cs_rss_anon();
	const double mib = 1024.0 * 1024.0;
	fprintf(stderr, "corescope: timings (seconds; memory in MiB)\n  %-26s %8s %8s %8s %8s\n",
		"phase", "wall", "cpu", "fresh", "anon");
	for (unsigned i = 0; i < p->nphases; i++) {
		const struct cli_phase *ph = &p->phases[i], *next = i + 1 < p->nphases ? ph + 1 : NULL;
		double w1 = next ? next->wall : wall, c1 = next ? next->cpu : cpu;
		size_t f1 = next ? next->fresh : big.fresh_bytes;
		uint64_t a1 = next ? next->anon : anon;
		fprintf(stderr, "  %-26s %8.2f %8.2f %8.0f %8.0f\n", ph->name, w1 - ph->wall,
			c1 - ph->cpu, (double)(f1 - ph->fresh) / mib, (double)a1 / mib);
	}
	fprintf(stderr, "  %-26s %8.2f %8.2f %8.0f %8.0f\n", "total", wall - p->phases[0].wall, cpu,
		(double)big.fresh_bytes / mib, (double)anon / mib);
	fprintf(stderr, "  (fresh: pages the large arrays took from the kernel, %.0f MiB in all; "
		"%.0f MiB more were reused from freed ones.  anon: RssAnon at the phase's end.)\n",
		(double)big.fresh_bytes / mib, (double)big.reused_bytes / mib);
	p->nphases = 0;
}

static void progress_fn(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	struct cli_progress *p = arg;
	phase_begin(p, phase);
	if (!p->enabled)
		return;
	double t = now();
	if (t - p->start < 1.0 || t - p->last < 0.1)
		return;
	p->last = t;
	p->drawn = true;
	if (total)
		fprintf(stderr, "\r\033[Kcorescope: %s %3.0f%%", phase,
			100.0 * (double)done / (double)total);
	else
		fprintf(stderr, "\r\033[Kcorescope: %s…", phase);
	fflush(stderr);
}

void cli_progress_done(struct cli_progress *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->drawn = false;
	}
}

int cli_session_open(struct cli *cli, struct cli_session *s, int needs)
{
	memset(s, 0, sizeof(*s));
	s->progress.enabled = cli->progress;
	s->progress.start = now();
	s->progress.timings = cli->timings;
	s->report.fn = progress_fn;
	s->report.arg = &s->progress;
	phase_begin(&s->progress, "opening the core");
	int rc = cli_open_core(cli, NULL, &s->core);
	if (rc)
		return rc;
	struct cs_error *err = NULL;
	if (needs & CLI_NEED_GRAPH)
		needs |= CLI_NEED_HEAP | CLI_NEED_GOROUTINES;
	if (needs & (CLI_NEED_PROGRAM | CLI_NEED_HEAP | CLI_NEED_GOROUTINES)) {
		phase_begin(&s->progress, "reading the program");
		err = hs_program_open(s->core, &s->prog);
	}
	if (!err && (needs & CLI_NEED_HEAP))
		err = hs_heap_load(s->prog, &s->report, &s->heap);
	if (!err && (needs & CLI_NEED_GOROUTINES)) {
		cs_progress_report(&s->report, "unwinding goroutines", 0, 0);
		err = hs_goroutines_load(s->prog, &s->gs);
	}
	if (!err && (needs & CLI_NEED_GRAPH)) {
		phase_begin(&s->progress, "finding roots");
		err = hs_roots_load(s->prog, s->heap, &s->roots);
	}
	if (!err && (needs & CLI_NEED_GRAPH))
		err = hs_goroutine_roots(s->prog, s->heap, s->gs, s->roots);
	if (!err && (needs & CLI_NEED_GRAPH))
		err = rg_graph_build(s->prog, s->heap, s->roots, (unsigned)cli->jobs, &s->report, &s->graph);
	cli_progress_done(&s->progress);
	phase_begin(&s->progress, cli->cmd->name);
	if (err) {
		print_timings(&s->progress);
		rc = cli_fail(err);
		/* Warnings explain why; show them before giving up. */
		cli_finish(cli, s->core);
		rg_graph_destroy(s->graph);
		hs_roots_destroy(s->roots);
		hs_goroutines_destroy(s->gs);
		hs_heap_destroy(s->heap);
		hs_program_destroy(s->prog);
		cw_core_destroy(s->core);
		memset(s, 0, sizeof(*s));
		return rc;
	}
	return 0;
}

int cli_session_close(struct cli *cli, struct cli_session *s)
{
	cli_progress_done(&s->progress);
	print_timings(&s->progress);
	int rc = cli_finish(cli, s->core);
	rg_graph_destroy(s->graph);
	hs_roots_destroy(s->roots);
	hs_goroutines_destroy(s->gs);
	hs_heap_destroy(s->heap);
	hs_program_destroy(s->prog);
	cw_core_destroy(s->core);
	memset(s, 0, sizeof(*s));
	return rc;
}

const char *cli_goroutine_func(struct cli_session *s, uint32_t gi)
{
	const struct hs_goroutine *g = &s->gs->v[gi];
	/* The first frame that is not runtime machinery says what the
	 * goroutine does; else its start function. */
	for (uint32_t k = 0; k < g->nframes; k++) {
		const struct hs_frame *f = &s->gs->frames[g->first_frame + k];
		if (f->func && strncmp(f->func, "runtime.", 8) != 0)
			return f->func;
	}
	const char *n = hs_func_name_at(s->prog, g->startpc);
	return n ? n : "?";
}

char *cli_object_type_name(struct cli_session *s, uint32_t obj)
{
	const struct hs_type *t = s->graph ? rg_object_type(s->graph, obj)
		: hs_type_by_id(s->prog, hs_heap_objects(s->heap)[obj].type);
	char *out = NULL;
	if (!t)
		return strdup("?");
	uint64_t n = hs_type_elements(t, hs_object_size(s->heap, obj));
	int r;
	if (n >= 2)
		r = asprintf(&out, "[%llu]%s", (unsigned long long)n, t->name);
	else
		r = asprintf(&out, "%s", t->name);
	return r < 0 ? NULL : out;
}

char *cli_group_name(struct cli_session *s, uint32_t group)
{
	struct rg_group_info gi;
	rg_group(s->graph, group, &gi);
	const struct hs_root *r = gi.root;
	char *out = NULL;
	int rc = -1;
	switch (r->kind) {
	case HS_ROOT_DATA:
	case HS_ROOT_BSS: {
		const struct hs_sym *sym = hs_global_symbol(s->prog, r->slot);
		const struct hs_sym *alias = sym ? hs_global_alias(s->prog, sym->addr) : NULL;
		if (alias)
			rc = asprintf(&out, "%s -> %s", alias->name, sym->name);
		else if (sym)
			return strdup(sym->name);
		else
			rc = asprintf(&out, "global 0x%llx", (unsigned long long)r->slot);
		break;
	}
	case HS_ROOT_STACK:
	case HS_ROOT_CTXT:
		if (s->gs && r->goroutine < s->gs->n)
			rc = asprintf(&out, "goroutine %llu (%s)",
				      (unsigned long long)s->gs->v[r->goroutine].goid,
				      cli_goroutine_func(s, r->goroutine));
		else
			rc = asprintf(&out, "goroutine #%u", r->goroutine);
		break;
	case HS_ROOT_FINQ:
		return strdup("finalizer queue");
	default: {
		uint32_t o = hs_heap_find(s->heap, r->owner);
		char *tn = o != HS_NONE ? cli_object_type_name(s, o) : NULL;
		rc = asprintf(&out, "%s of 0x%llx (%s)", hs_root_kind_name(r->kind),
			      (unsigned long long)r->owner, tn ? tn : "?");
		free(tn);
		break;
	}
	}
	return rc < 0 ? NULL : out;
}

bool cli_parse_addr(const char *arg, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 0);
	if (!*arg || *end || errno || arg[0] == '-')
		return false;
	*ret = v;
	return true;
}

int cli_find_object(struct cli *cli, struct cli_session *s, uint64_t addr, uint32_t *ret)
{
	uint32_t o = hs_heap_find(s->heap, addr);
	if (o == HS_NONE) {
		fprintf(stderr, "corescope: %s: 0x%" PRIx64 " is not inside an allocated heap object\n",
			cli->args[0], addr);
		return EXIT_INPUT;
	}
	*ret = o;
	return 0;
}
