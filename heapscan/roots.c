/*
 * roots.c — the GC roots, each named: global pointer slots (data and bss
 * per the modules' gcdatamask/gcbssmask), the specials of in-use spans
 * (finalizers, cleanups, weak handles), the queued finalizers, and the
 * live slots of goroutine stacks (goroutines.c adds those).
 *
 * Only slots whose value points into a heap object are kept: those are
 * the edges into the object graph.
 */
#include "config.h"

#include <stdio.h>

#include "internal.h"

#define MAX_SPECIALS_PER_SPAN 100000
#define MAX_FINBLOCKS 1000000

static bool add_root(struct hs_roots *r, const struct hs_root *root)
{
	return CS_PUSH(r->v, r->n, r->cap, *root);
}

/* Add a root for value if it points into a heap object. */
static bool maybe_root(struct hs_heap *h, struct hs_roots *r, uint8_t kind,
		       uint64_t slot, uint64_t value, uint64_t owner)
{
	if (!value || hs_heap_find(h, value) == HS_NONE)
		return true;
	struct hs_root root = { .slot = slot, .value = value, .owner = owner,
				.kind = kind, .goroutine = HS_NONE };
	return add_root(r, &root);
}

/* Global pointer slots of [start, end) per a 1-bit-per-word mask. */
static struct cs_error *scan_section(struct hs_program *p, struct hs_heap *h,
				     struct hs_roots *r, uint8_t kind,
				     uint64_t start, uint64_t end,
				     const struct hs_bitvec *mask)
{
	if (end <= start || !mask->bits)
		return NULL;
	uint64_t nwords = CS_MIN((end - start) / 8, (uint64_t)mask->n);
	struct cs_error *err = NULL;
	/* .bss often straddles the executable's data mapping and the
	 * anonymous one after it: hs_map copies when it must. */
	const uint8_t *mem = hs_map(p, start, nwords * 8, &err);
	if (!mem) {
		cs_warn_error(p->warnings, true, err,
			      "global section not (wholly) in the dump; roots there are missing");
		return NULL;
	}
	for (uint64_t w = 0; w < nwords; w++) {
		if (!((mask->bits[w / 8] >> (w % 8)) & 1))
			continue;
		if (!maybe_root(h, r, kind, start + w * 8, rd_u64(mem + w * 8), 0))
			return &cs_error_nomem;
	}
	return NULL;
}

struct scan_ctx {
	struct hs_heap *h;
	struct hs_roots *r;
	uint64_t obj;
	bool nomem;
};

static int finalizer_referent(void *arg, uint64_t off, uint64_t v)
{
	struct scan_ctx *c = arg;
	if (!maybe_root(c->h, c->r, HS_ROOT_FINALIZER, c->obj + off, v, c->obj)) {
		c->nomem = true;
		return 1;
	}
	return 0;
}

/* The specials list of one span (runtime/mgcmark.go markrootSpans). */
static struct cs_error *scan_specials(struct hs_program *p, struct hs_heap *h,
				      struct hs_roots *r, const struct hs_span *s)
{
	const struct hs_layout *l = &p->layout;
	uint64_t sp;
	struct cs_error *err = hs_rd(p, s->mspan, &l->mspan.specials, &sp);
	if (err)
		return err;
	uint64_t kfin = (uint64_t)l->c.kindSpecialFinalizer.v;
	uint64_t kweak = l->c.kindSpecialWeakHandle.ok ? (uint64_t)l->c.kindSpecialWeakHandle.v : 0;
	uint64_t kclean = l->c.kindSpecialCleanup.ok ? (uint64_t)l->c.kindSpecialCleanup.v : 0;
	size_t ssize = (size_t)l->special.size.v;
	for (size_t n = 0; sp && n < MAX_SPECIALS_PER_SPAN; n++) {
		uint8_t buf[64];
		if (ssize > sizeof(buf))
			return cs_error_create(CS_ERR_BAD_DATA, "special record too large");
		err = cw_read(p->core, sp, buf, ssize);
		if (err)
			return cs_error_wrap(err, "special of span 0x%llx",
					     (unsigned long long)s->base);
		uint64_t kind = hs_get(buf, ssize, &l->special.kind);
		uint64_t obj = s->base + hs_get(buf, ssize, &l->special.offset);
		uint64_t next = hs_get(buf, ssize, &l->special.next);
		if (kind == kfin) {
			/* The object is not a root; what it points to and
			 * the finalizer function are. */
			uint32_t oi = hs_heap_find(h, obj);
			if (oi != HS_NONE) {
				struct scan_ctx c = { h, r, obj, false };
				hs_object_scan(h, oi, finalizer_referent, &c);
				if (c.nomem)
					return &cs_error_nomem;
			}
			uint64_t fn;
			err = hs_rd(p, sp, &l->specialfinalizer.fn, &fn);
			if (err)
				return err;
			if (!maybe_root(h, r, HS_ROOT_FINALIZER_FN,
					sp + (uint64_t)l->specialfinalizer.fn.v, fn, obj))
				return &cs_error_nomem;
		} else if (kclean && kind == kclean) {
			/* 1.24–1.25: specialCleanup.fn; 1.26+: a cleanupFn
			 * whose fn and arg are both roots. */
			uint64_t base = sp;
			const struct hs_lval *fields[2] = { &l->specialCleanup.fn, NULL };
			struct hs_lval fn_in, arg_in;
			if (l->specialCleanup.cleanup.ok) {
				fn_in = l->cleanupFn.fn;
				fn_in.v += l->specialCleanup.cleanup.v;
				arg_in = l->cleanupFn.arg;
				arg_in.v += l->specialCleanup.cleanup.v;
				fields[0] = &fn_in;
				fields[1] = l->cleanupFn.arg.ok ? &arg_in : NULL;
			}
			for (int k = 0; k < 2; k++) {
				if (!fields[k] || !fields[k]->ok)
					continue;
				uint64_t v;
				err = hs_rd(p, base, fields[k], &v);
				if (err)
					return err;
				if (!maybe_root(h, r, HS_ROOT_CLEANUP,
						base + (uint64_t)fields[k]->v, v, obj))
					return &cs_error_nomem;
			}
		} else if (kweak && kind == kweak) {
			uint64_t cell;
			err = hs_rd(p, sp, &l->specialWeakHandle.handle, &cell);
			if (err)
				return err;
			if (!maybe_root(h, r, HS_ROOT_WEAK_HANDLE,
					sp + (uint64_t)l->specialWeakHandle.handle.v, cell, obj))
				return &cs_error_nomem;
		}
		if (next == sp)
			break;	/* a one-element loop */
		sp = next;
	}
	if (sp)
		cs_warn(p->warnings, true,
			"span 0x%llx: specials list longer than %d (loop?); rest ignored",
			(unsigned long long)s->base, MAX_SPECIALS_PER_SPAN);
	return NULL;
}

/* Queued finalizers: the finBlock list at runtime.allfin. */
static struct cs_error *scan_finq(struct hs_program *p, struct hs_heap *h,
				  struct hs_roots *r)
{
	const struct hs_layout *l = &p->layout;
	const struct hs_sym *allfin = hs_sym_lookup(p, "runtime.allfin");
	if (!allfin)
		return NULL;
	uint64_t fb;
	struct cs_error *err = cw_read_u64(p->core, allfin->addr, &fb);
	if (err)
		return err;
	uint64_t fsize = (uint64_t)l->finalizer.size.v;
	uint64_t max_fin = fsize ? (uint64_t)l->finblock.fin.size / fsize : 0;
	for (size_t n = 0; fb && n < MAX_FINBLOCKS; n++) {
		uint64_t cnt, next;
		err = hs_rd(p, fb, &l->finblock.cnt, &cnt);
		if (!err)
			err = hs_rd(p, fb, &l->finblock.alllink, &next);
		if (err)
			return err;
		for (uint64_t i = 0; i < cnt && i < max_fin; i++) {
			uint64_t f = fb + (uint64_t)l->finblock.fin.v + i * fsize;
			uint64_t fn, arg;
			err = hs_rd(p, f, &l->finalizer.fn, &fn);
			if (!err)
				err = hs_rd(p, f, &l->finalizer.arg, &arg);
			if (err)
				return err;
			if (!maybe_root(h, r, HS_ROOT_FINQ, f + (uint64_t)l->finalizer.fn.v, fn, 0) ||
			    !maybe_root(h, r, HS_ROOT_FINQ, f + (uint64_t)l->finalizer.arg.v, arg, 0))
				return &cs_error_nomem;
		}
		if (next == fb)
			break;
		fb = next;
	}
	return NULL;
}

struct cs_error *hs_roots_load(struct hs_program *p, struct hs_heap *h,
			       struct hs_roots **ret)
{
	struct hs_roots *r = calloc(1, sizeof(*r));
	if (!r)
		return &cs_error_nomem;
	struct cs_error *err = NULL;
	for (size_t i = 0; i < p->nmods && !err; i++) {
		const struct hs_module *m = &p->mods[i];
		err = scan_section(p, h, r, HS_ROOT_DATA, m->data, m->edata, &m->gcdatamask);
		if (!err)
			err = scan_section(p, h, r, HS_ROOT_BSS, m->bss, m->ebss, &m->gcbssmask);
	}
	size_t bad = 0;
	for (size_t i = 0; i < h->nspans && !err; i++) {
		const struct hs_span *s = &h->spans[i];
		if (s->state != HS_SPAN_HEAP)
			continue;
		struct cs_error *e = scan_specials(p, h, r, s);
		if (e == &cs_error_nomem) {
			err = e;
		} else if (e) {
			if (bad++ < 3)
				cs_warn_error(p->warnings, true, e, "specials");
			else
				cs_error_destroy(e);
		}
	}
	if (!err) {
		struct cs_error *e = scan_finq(p, h, r);
		if (e == &cs_error_nomem)
			err = e;
		else if (e)
			cs_warn_error(p->warnings, true, e, "finalizer queue");
	}
	if (err) {
		hs_roots_destroy(r);
		return err;
	}
	*ret = r;
	return NULL;
}

void hs_roots_destroy(struct hs_roots *r)
{
	if (!r)
		return;
	free(r->v);
	free(r);
}

const char *hs_root_kind_name(unsigned kind)
{
	switch (kind) {
	case HS_ROOT_DATA:
		return "global (data)";
	case HS_ROOT_BSS:
		return "global (bss)";
	case HS_ROOT_STACK:
		return "goroutine stack";
	case HS_ROOT_FINALIZER:
		return "finalizer referent";
	case HS_ROOT_FINALIZER_FN:
		return "finalizer function";
	case HS_ROOT_CLEANUP:
		return "cleanup";
	case HS_ROOT_WEAK_HANDLE:
		return "weak handle";
	case HS_ROOT_FINQ:
		return "queued finalizer";
	case HS_ROOT_CTXT:
		return "goroutine context";
	}
	return "root";
}

/* Name a global slot: "net/http.DefaultServeMux" or "main.cache+0x8". */
char *hs_global_name(struct hs_program *p, uint64_t slot)
{
	const struct hs_sym *s = hs_sym_containing(p, slot);
	char *out = NULL;
	if (!s) {
		if (asprintf(&out, "global 0x%llx", (unsigned long long)slot) < 0)
			return NULL;
		return out;
	}
	if (slot == s->addr)
		return strdup(s->name);
	if (asprintf(&out, "%s+0x%llx", s->name, (unsigned long long)(slot - s->addr)) < 0)
		return NULL;
	return out;
}
