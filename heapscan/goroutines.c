/*
 * goroutines.c — every g: identity, state, wait reason, creator, frames
 * unwound through pclntab the way runtime/traceback.go's unwinder does,
 * and the live pointer slots of each frame (stack maps, stack objects,
 * conservative frames), which become stack roots.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define MAX_GOROUTINES (1u << 24)
#define MAX_FRAMES 1024
#define MAX_LOGICAL 16
#define MAX_STACK_OBJECTS 256
#define STACK_MAX (1ull << 30)		/* runtime's maxstacksize on 64-bit */

/* _func.flag bits (internal/abi/symtab.go), stable since Go 1.16. */
#define FUNCFLAG_TOPFRAME 0x1
#define FUNCFLAG_SPWRITE 0x2

/* Goroutine statuses (runtime/runtime2.go). */
#define G_RUNNING 2
#define G_SYSCALL 3
#define G_DEAD 6
#define G_DEADEXTRA 11	/* Go 1.26+: dead, parked on an extra M for cgo */
#define G_SCAN 0x1000

const char *hs_gstatus_name(uint32_t status)
{
	static const char *const names[] = {
		"idle", "runnable", "running", "syscall", "waiting", "moribund",
		"dead", "enqueue", "copystack", "preempted", "leaked", "dead",
	};
	status &= ~(uint32_t)G_SCAN;
	return status < CS_ARRAY_SIZE(names) ? names[status] : "unknown";
}

/* ------------------------------------------------------------------ */
/* Reading gs                                                          */
/* ------------------------------------------------------------------ */

/* The runtime's waitReason strings, read from the program itself
 * (runtime.waitReasonStrings is a [N]string). */
static const char *wait_reason(struct hs_program *p, struct hs_goroutines *gs,
			       uint8_t wr)
{
	if (!gs->wait_loaded) {
		gs->wait_loaded = true;
		const struct hs_sym *s = hs_sym_lookup(p, "runtime.waitReasonStrings");
		if (s && s->size / 16 <= 256) {
			gs->nwait = (uint32_t)(s->size / 16);
			for (uint32_t i = 0; i < gs->nwait; i++) {
				char *str = NULL;
				struct cs_error *err = hs_rd_string(p, s->addr + i * 16, 256, &str, NULL);
				if (err) {
					cs_error_destroy(err);
					continue;
				}
				gs->wait_strs[i] = cs_arena_strndup(&p->arena, str, strlen(str));
				free(str);
			}
		}
	}
	return wr < gs->nwait && gs->wait_strs[wr] ? gs->wait_strs[wr] : NULL;
}

static bool name_is(const char *name, const char *want)
{
	return name && strcmp(name, want) == 0;
}

/* Start functions that make a goroutine a runtime-internal one
 * (runtime/traceback.go isSystemGoroutine). */
static bool is_system(struct hs_program *p, uint64_t startpc)
{
	const char *n = hs_func_name_at(p, startpc);
	if (!n)
		return false;
	if (name_is(n, "runtime.main") || name_is(n, "runtime.handleAsyncEvent") ||
	    name_is(n, "runtime.corostart"))
		return false;
	/* runfinq and the cleanup goroutines are user goroutines while they
	 * run user code; the traceback of a crash shows them either way, so
	 * we count them as system, as NumGoroutine does when idle. */
	return strncmp(n, "runtime.", 8) == 0;
}

/* ------------------------------------------------------------------ */
/* Unwinding                                                           */
/* ------------------------------------------------------------------ */

struct unwind {
	struct hs_program *p;
	struct hs_goroutines *gs;
	struct hs_goroutine *g;
	uint64_t lo, hi;	/* the stack */
};

static bool push_frame(struct hs_goroutines *gs, const struct hs_frame *f)
{
	return CS_PUSH(gs->frames, gs->nframes, gs->frames_cap, *f);
}

static void unwind(struct unwind *u, uint64_t pc, uint64_t sp, bool syscall_entry,
		   bool trap)
{
	struct hs_program *p = u->p;
	struct hs_goroutines *gs = u->gs;
	struct hs_goroutine *g = u->g;
	g->first_frame = (uint32_t)gs->nframes;
	bool innermost = true;
	bool after_sigpanic = false;
	bool after_async = false;
	g->stop = NULL;
	for (int depth = 0; depth < MAX_FRAMES; depth++) {
		struct hs_func f;
		if (sp < u->lo || sp > u->hi) {
			g->stop = "stack pointer outside the goroutine's stack";
			break;
		}
		if (!hs_find_func(p, pc, &f)) {
			g->stop = "unknown pc";
			break;
		}
		const char *name = hs_func_name(p, &f);
		int32_t spdelta = 0;
		if (!f.pcsp || !hs_func_spdelta(p, &f, pc, &spdelta) || spdelta < 0) {
			if (!name_is(name, "runtime.goexit"))
				g->stop = "no stack pointer delta for pc";
			break;
		}
		struct hs_frame fr = { 0 };
		fr.pc = pc;
		fr.sp = sp;
		fr.entry = f.entry;
		fr.func = name;
		fr.fp = sp + (uint64_t)spdelta + 8;
		fr.varp = fr.fp - 8;
		/* Go keeps frame pointers on amd64: a frame with locals saved
		 * BP just below the return address. */
		if (fr.varp > fr.sp)
			fr.varp -= 8;
		fr.argp = fr.fp;
		/* Lookups use the last instruction executed in the frame
		 * (runtime unwinder.symPC): pc-1 after a call, since a return
		 * address may be past the call's line or function; the pc
		 * itself where a signal interrupted the frame (the innermost
		 * frame of a running goroutine, the frame below sigpanic). */
		fr.lookup_pc = ((innermost && trap) || after_sigpanic || pc == f.entry) ? pc : pc - 1;
		fr.conservative = after_async || name_is(name, "runtime.asyncPreempt") ||
				  name_is(name, "runtime.debugCallV2");
		fr.funcid_sigpanic = name_is(name, "runtime.sigpanic");

		struct hs_logical_frame lf[MAX_LOGICAL];
		size_t nl = hs_func_frames(p, &f, fr.lookup_pc, lf, MAX_LOGICAL);
		fr.first_logical = (uint32_t)gs->nlogical;
		for (size_t k = 0; k < nl; k++)
			if (!CS_PUSH(gs->logical, gs->nlogical, gs->logical_cap, lf[k]))
				break;
		fr.nlogical = (uint16_t)(gs->nlogical - fr.first_logical);
		if (!push_frame(gs, &fr)) {
			g->stop = "out of memory";
			break;
		}
		g->nframes++;

		if (name_is(name, "runtime.goexit"))
			break;	/* the natural end */
		if (f.flag & FUNCFLAG_TOPFRAME)
			break;
		if ((f.flag & FUNCFLAG_SPWRITE) && !(innermost && syscall_entry)) {
			g->stop = "function writes SP (assembly); cannot unwind past it";
			break;
		}
		uint64_t lr;
		struct cs_error *err = cw_read_u64(p->core, fr.fp - 8, &lr);
		if (err) {
			cs_error_destroy(err);
			g->stop = "return address not in the dump";
			break;
		}
		after_sigpanic = fr.funcid_sigpanic;
		after_async = name_is(name, "runtime.asyncPreempt");
		innermost = false;
		pc = lr;
		sp = fr.fp;
		if (!pc)
			break;
	}
	if (g->nframes == MAX_FRAMES)
		g->stop = "frame limit reached";
}

/* Where to start unwinding g, like runtime's unwinder.initAt: the saved
 * syscall state, else g.sched; a running g's thread registers when they
 * point into its stack. */
static void unwind_goroutine(struct hs_program *p, struct hs_goroutines *gs,
			     struct hs_goroutine *g, const uint8_t *graw, size_t gsize)
{
	const struct hs_layout *l = &p->layout;
	struct unwind u = { p, gs, g, g->stack_lo, g->stack_hi };
	uint64_t sched = (uint64_t)l->g.sched.v;
	struct hs_lval sp_f = l->gobuf.sp, pc_f = l->gobuf.pc;
	sp_f.v += (int64_t)sched;
	pc_f.v += (int64_t)sched;
	uint64_t pc = hs_get(graw, gsize, &pc_f), sp = hs_get(graw, gsize, &sp_f);
	bool syscall = false, trap = false;
	if (g->syscallsp) {
		pc = g->syscallpc;
		sp = g->syscallsp;
		syscall = true;
	}
	if ((g->status & ~(uint32_t)G_SCAN) == G_RUNNING && g->tid) {
		const struct cw_thread *t = cw_core_find_thread(p->core, g->tid);
		if (t && t->regs.rsp >= g->stack_lo && t->regs.rsp < g->stack_hi) {
			pc = t->regs.rip;
			sp = t->regs.rsp;
			syscall = false;
			trap = true;
		}
	}
	if (!pc && sp >= g->stack_lo && sp + 8 <= g->stack_hi) {
		/* sched.pc 0: the pc is on the stack (initAt) */
		struct cs_error *err = cw_read_u64(p->core, sp, &pc);
		cs_error_destroy(err);
		sp += 8;
	}
	g->start_pc = pc;
	g->start_sp = sp;
	if (!pc) {
		g->first_frame = (uint32_t)gs->nframes;
		g->stop = "no saved pc";
		return;
	}
	unwind(&u, pc, sp, syscall, trap);
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

struct cs_error *hs_goroutines_load(struct hs_program *p, struct hs_goroutines **ret)
{
	const struct hs_layout *l = &p->layout;
	const struct hs_sym *allgs = hs_sym_lookup(p, "runtime.allgs");
	if (!allgs)
		return cs_error_create(CS_ERR_NOT_FOUND,
				       "%s: symbol runtime.allgs not found; goroutines cannot be listed",
				       cw_core_input(p->core)->path);
	struct hs_slice sl;
	struct cs_error *err = hs_rd_slice(p, allgs->addr, &sl);
	if (err)
		return cs_error_wrap(err, "reading runtime.allgs");
	if (sl.len > MAX_GOROUTINES)
		return cs_error_create(CS_ERR_BAD_DATA, "runtime.allgs claims %llu goroutines",
				       (unsigned long long)sl.len);
	const uint8_t *ptrs = hs_map(p, sl.ptr, sl.len * 8, &err);
	if (!ptrs && sl.len)
		return cs_error_wrap(err, "reading the goroutine list");

	struct hs_goroutines *gs = calloc(1, sizeof(*gs));
	if (!gs)
		return &cs_error_nomem;
	gs->v = calloc(sl.len ? sl.len : 1, sizeof(*gs->v));
	if (!gs->v) {
		free(gs);
		return &cs_error_nomem;
	}
	/* m.procid -> thread id for running goroutines */
	size_t gsize = (size_t)l->g.size.v;
	size_t unreadable = 0;
	for (uint64_t i = 0; i < sl.len; i++) {
		uint64_t ga = rd_u64(ptrs + i * 8);
		const uint8_t *graw = ga ? cw_peek(p->core, ga, gsize) : NULL;
		if (!graw) {
			unreadable++;
			continue;
		}
		struct hs_goroutine *g = &gs->v[gs->n];
		memset(g, 0, sizeof(*g));
		g->g = ga;
		g->status = (uint32_t)hs_get(graw, gsize, &l->g.atomicstatus);
		uint32_t st = g->status & ~(uint32_t)G_SCAN;
		if (st == G_DEAD || st == G_DEADEXTRA)
			continue;
		g->goid = hs_get(graw, gsize, &l->g.goid);
		g->parent_goid = hs_get(graw, gsize, &l->g.parentGoid);
		g->stack_lo = rd_u64(graw + l->g.stack.v);
		g->stack_hi = rd_u64(graw + l->g.stack.v + 8);
		g->m = hs_get(graw, gsize, &l->g.m);
		g->gopc = hs_get(graw, gsize, &l->g.gopc);
		g->startpc = hs_get(graw, gsize, &l->g.startpc);
		g->syscallsp = hs_get(graw, gsize, &l->g.syscallsp);
		g->syscallpc = hs_get(graw, gsize, &l->g.syscallpc);
		g->waitsince = (int64_t)hs_get(graw, gsize, &l->g.waitsince);
		g->waitreason = (uint8_t)hs_get(graw, gsize, &l->g.waitreason);
		struct hs_lval ctxt = l->gobuf.ctxt;
		ctxt.v += l->g.sched.v;
		g->sched_ctxt = hs_get(graw, gsize, &ctxt);
		g->sched_ctxt_slot = ga + (uint64_t)ctxt.v;
		g->wait_str = wait_reason(p, gs, g->waitreason);
		g->system = is_system(p, g->startpc);
		if (g->stack_hi <= g->stack_lo || g->stack_hi - g->stack_lo > STACK_MAX) {
			cs_warn(p->warnings, true, "goroutine %llu (g 0x%llx): stack bounds 0x%llx-0x%llx are impossible",
				(unsigned long long)g->goid, (unsigned long long)ga,
				(unsigned long long)g->stack_lo, (unsigned long long)g->stack_hi);
			g->stack_lo = g->stack_hi = 0;
		}
		if (g->m) {
			uint64_t procid;
			struct cs_error *e = hs_rd(p, g->m, &l->m.procid, &procid);
			if (!e)
				g->tid = (int)procid;
			cs_error_destroy(e);
		}
		if (g->stack_hi)
			unwind_goroutine(p, gs, g, graw, gsize);
		else
			g->first_frame = (uint32_t)gs->nframes;
		gs->n++;
	}
	if (unreadable)
		cs_warn(p->warnings, true, "%zu goroutine records (g) are not in the dump", unreadable);
	*ret = gs;
	return NULL;
}

void hs_goroutines_destroy(struct hs_goroutines *gs)
{
	if (!gs)
		return;
	free(gs->v);
	free(gs->frames);
	free(gs->logical);
	free(gs);
}

/* ------------------------------------------------------------------ */
/* Stack roots                                                         */
/* ------------------------------------------------------------------ */

struct root_ctx {
	const struct hs_frame *fr;	/* the frame being scanned */
	struct hs_program *p;
	struct hs_heap *h;
	struct hs_roots *r;
	uint32_t gi;
	uint16_t frame;
	bool nomem;
	/* stack objects of the goroutine (for the reachability rule) */
	struct sobj {
		uint64_t addr;
		uint64_t size, ptrbytes, gcdata;
		uint16_t frame;
		bool marked;
	} objs[MAX_STACK_OBJECTS];
	size_t nobjs;
	uint64_t lo, hi;
};

static void slot(struct root_ctx *c, uint64_t addr, uint64_t value, uint16_t frame)
{
	if (!value)
		return;
	/* A pointer into the goroutine's own stack keeps a stack object
	 * alive (runtime/mgcstack.go). */
	if (value >= c->lo && value < c->hi) {
		for (size_t k = 0; k < c->nobjs; k++)
			if (value >= c->objs[k].addr && value < c->objs[k].addr + c->objs[k].size)
				c->objs[k].marked = true;
		return;
	}
	if (hs_heap_find(c->h, value) == HS_NONE)
		return;
	struct hs_root root = { .slot = addr, .value = value, .kind = HS_ROOT_STACK,
				.goroutine = c->gi, .frame = frame };
	/* The slot's static type, from the variable DWARF places there. */
	const char *name;
	uint64_t var, die, inner;
	const struct hs_type *t;
	if (c->p->dwarf && c->fr &&
	    hs_dwarf_stack_var(c->p, c->fr->lookup_pc, c->fr->fp, addr, &name, &var, &die,
			       &t, &inner) && t) {
		root.type = t->addr;
		root.type_inner = inner;
	}
	if (!CS_PUSH(c->r->v, c->r->n, c->r->cap, root))
		c->nomem = true;
}

/* Scan [base, base + nbits words) per a bitvector. */
static void scan_bits(struct root_ctx *c, uint64_t base, const struct hs_bitvec *bv,
		      uint16_t frame)
{
	if (!bv->n)
		return;
	const uint8_t *mem = cw_peek(c->p->core, base, (size_t)bv->n * 8);
	if (!mem)
		return;
	for (int32_t w = 0; w < bv->n; w++)
		if ((bv->bits[w / 8] >> (w % 8)) & 1)
			slot(c, base + (uint64_t)w * 8, rd_u64(mem + (size_t)w * 8), frame);
}

static void scan_conservative(struct root_ctx *c, uint64_t lo, uint64_t hi, uint16_t frame)
{
	if (hi <= lo || hi - lo > (1u << 20))
		return;
	const uint8_t *mem = cw_peek(c->p->core, lo, (size_t)(hi - lo));
	if (!mem)
		return;
	for (uint64_t a = lo; a + 8 <= hi; a += 8)
		slot(c, a, rd_u64(mem + (a - lo)), frame);
}

struct cs_error *hs_goroutine_roots(struct hs_program *p, struct hs_heap *h,
				    const struct hs_goroutines *gs, struct hs_roots *r)
{
	struct root_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return &cs_error_nomem;
	c->p = p;
	c->h = h;
	c->r = r;
	for (size_t gi = 0; gi < gs->n && !c->nomem; gi++) {
		const struct hs_goroutine *g = &gs->v[gi];
		c->gi = (uint32_t)gi;
		c->lo = g->stack_lo;
		c->hi = g->stack_hi;
		c->nobjs = 0;
		if (g->sched_ctxt && hs_heap_find(h, g->sched_ctxt) != HS_NONE) {
			struct hs_root root = { .slot = g->sched_ctxt_slot, .value = g->sched_ctxt,
						.kind = HS_ROOT_CTXT, .goroutine = (uint32_t)gi };
			if (!CS_PUSH(r->v, r->n, r->cap, root))
				c->nomem = true;
		}
		for (uint32_t k = 0; k < g->nframes; k++) {
			const struct hs_frame *fr = &gs->frames[g->first_frame + k];
			uint16_t fi = (uint16_t)CS_MIN(k, 0xffffu);
			c->fr = fr;
			struct hs_func f;
			if (!hs_find_func(p, fr->pc, &f))
				continue;
			if (fr->conservative) {
				scan_conservative(c, fr->sp, fr->fp, fi);
				continue;
			}
			/* The stack map index at the continuation pc (runtime
			 * getStackMap); -1 means the prologue: use entry 0. */
			int32_t idx = 0;
			uint64_t tpc = fr->pc == f.entry ? fr->pc : fr->pc - 1;
			if (!hs_func_pcdata(p, &f, HS_PCDATA_STACKMAPINDEX, tpc, &idx) || idx < 0)
				idx = 0;
			struct hs_bitvec bv;
			if (hs_stackmap_entry(p, &f, HS_FUNCDATA_LOCALSPOINTERMAPS, idx, &bv) &&
			    bv.n > 0)
				scan_bits(c, fr->varp - (uint64_t)bv.n * 8, &bv, fi);
			if (hs_stackmap_entry(p, &f, HS_FUNCDATA_ARGSPOINTERMAPS, idx, &bv) &&
			    bv.n > 0)
				scan_bits(c, fr->argp, &bv, fi);
			struct hs_stack_object so[32];
			size_t nso = hs_func_stack_objects(p, &f, so, CS_ARRAY_SIZE(so));
			for (size_t q = 0; q < nso && c->nobjs < MAX_STACK_OBJECTS; q++) {
				uint64_t base = so[q].off < 0 ? fr->varp : fr->argp;
				c->objs[c->nobjs++] = (struct sobj){
					base + (uint64_t)(int64_t)so[q].off, (uint64_t)so[q].size,
					(uint64_t)so[q].ptrbytes, so[q].gcdata, fi, false };
			}
		}
		c->fr = NULL;	/* stack object slots: their frames are done */
		/* Stack objects are live when a live slot (or another live
		 * stack object) points into them; iterate to a fixed point. */
		for (bool again = true; again && !c->nomem;) {
			again = false;
			for (size_t k = 0; k < c->nobjs; k++) {
				struct sobj *o = &c->objs[k];
				if (!o->marked || o->size == 0)
					continue;
				o->size = 0;	/* scanned once */
				uint64_t nw = o->ptrbytes / 8;
				const uint8_t *mask = nw ? cw_peek(p->core, o->gcdata, (size_t)(nw + 7) / 8) : NULL;
				const uint8_t *mem = nw ? cw_peek(p->core, o->addr, (size_t)nw * 8) : NULL;
				for (uint64_t w = 0; mask && mem && w < nw; w++)
					if ((mask[w / 8] >> (w % 8)) & 1)
						slot(c, o->addr + w * 8, rd_u64(mem + w * 8), o->frame);
				again = true;
			}
		}
	}
	bool nomem = c->nomem;
	free(c);
	return nomem ? &cs_error_nomem : NULL;
}

bool hs_pc_fileline(struct hs_program *p, uint64_t pc, const char **file_ret,
		    int32_t *line_ret)
{
	struct hs_func f;
	return hs_find_func(p, pc, &f) && hs_func_fileline(p, &f, pc, file_ret, line_ret);
}

bool hs_stack_slot_name(struct hs_program *p, const struct hs_frame *f, uint64_t slot,
			struct cs_strbuf *out)
{
	const char *name;
	uint64_t var, die, inner;
	const struct hs_type *t;
	if (!p->dwarf || !hs_dwarf_stack_var(p, f->lookup_pc, f->fp, slot, &name, &var, &die,
					     &t, &inner))
		return false;
	cs_strbuf_puts(out, name);
	if (var)
		hs_dwarf_slot_path(p->dwarf, die, var, out);
	return true;
}

static bool hook_frame_delta(void *arg, uint64_t pc, bool exact, int64_t *delta_ret)
{
	struct hs_program *p = arg;
	struct hs_func f;
	uint64_t lookup = exact ? pc : pc - 1;
	int32_t d;
	if (!hs_find_func(p, lookup, &f) || !hs_func_spdelta(p, &f, pc, &d))
		return false;
	*delta_ret = d;
	return true;
}

void hs_unwind_hook(struct hs_program *p, struct cw_unwind_hook *ret)
{
	ret->frame_delta = hook_frame_delta;
	ret->arg = p;
}
