/*
 * pclntab_dump.c — drive heapscan/pclntab.c from the command line, for
 * tests/pclntab-check.sh.  Test code only.
 *
 *   pclntab_dump --selftest
 *       Decode synthetic, partly hostile pclntabs built in memory (and a
 *       synthetic core for the FUNCDATA they point at), then thousands of
 *       randomly corrupted copies (fixed seed); prints one PASS:/FAIL:
 *       line per test.
 *   pclntab_dump [--prefix P] --check BINARY
 *       Walk every function of a Go executable and check what must hold
 *       in any valid pclntab; PASS:/FAIL: lines named P/<check>.
 *   pclntab_dump BINARY [PC...]
 *   pclntab_dump BINARY -
 *       One line per PC (hex, from argv or, with "-", one per stdin
 *       line).  A stdin line "so NAME" prints the stack objects of the
 *       function NAME instead.  Without PCs: a summary.
 *   pclntab_dump --bench BINARY
 *       Time lookups over sampled PCs (for the pcvalue cache question).
 *   --layout-from TWIN (before any of the above)
 *       When BINARY has no DWARF and heapscan no built-in layout for its
 *       release, take the runtime layout from TWIN: the same program
 *       built by the same toolchain with DWARF.
 *
 * Output lines are tab-separated:
 *   PC  pc  name  entry  end  funcid  spdelta|?  file  line  posok  n
 *       then n times: name  file  line  funcid  I|P
 *   PC  pc  -                              (no function)
 *   SO  name  off  size  ptrbytes  gcdata  maskhex   (one per record)
 *   SO  name  -                            (no such function)
 * Names are the raw funcnametab strings.  posok is 1 when the physical
 * function's pcfile/pcln tables give a position at pc.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "corewalk.h"
#include "fakecore.h"
/* heapscan's private header: corewalk/ has an internal.h too, earlier
 * on the include path. */
#include "../../heapscan/internal.h"

#define MAX_FRAMES 128

static const char *prefix = "pclntab";
static int nfail;

/* ------------------------------------------------------------------ */
/* Reporting                                                           */
/* ------------------------------------------------------------------ */

static char why[1024];

static void failf(const char *fmt, ...) CS_PRINTF(1, 2);
static void failf(const char *fmt, ...)
{
	if (why[0])
		return;	/* keep the first failure */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

#define EXPECT(cond, ...)                   \
	do {                                \
		if (!(cond))                \
			failf(__VA_ARGS__); \
	} while (0)

static void report(const char *name)
{
	if (why[0]) {
		printf("FAIL: %s/%s: %s\n", prefix, name, why);
		nfail++;
	} else
		printf("PASS: %s/%s\n", prefix, name);
	why[0] = 0;
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* Opening a Go executable                                             */
/* ------------------------------------------------------------------ */

/* --layout-from: a binary built from the same sources by the same
 * toolchain, but with DWARF, whose runtime layout is therefore the same. */
static const char *layout_from;

/*
 * Without DWARF, hs_program_open needs a built-in layout table for the
 * release.  Where there is none, borrow the resolved layout of the DWARF
 * twin and do the rest of hs_program_open's steps by hand: the pclntab
 * decoding under test needs DWARF for nothing, only the moduledata
 * offsets.
 */
static struct hs_program *open_with_twin_layout(struct cw_core *core, const char *path)
{
	struct cw_core *tcore;
	struct cs_error *err = cw_core_open(layout_from,
		&(struct cw_open_options){ .executable_image = true }, &tcore);
	if (err) {
		fprintf(stderr, "pclntab_dump: %s: %s\n", layout_from, err->message);
		cs_error_destroy(err);
		return NULL;
	}
	struct hs_program *twin;
	err = hs_program_open(tcore, &twin);
	if (err) {
		fprintf(stderr, "pclntab_dump: %s: %s\n", layout_from, err->message);
		cs_error_destroy(err);
		cw_core_destroy(tcore);
		return NULL;
	}
	struct hs_program *p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->core = core;
	p->warnings = cw_core_warnings(core);
	cs_arena_init(&p->arena);
	p->layout = twin->layout;
	p->strategy = twin->strategy;
	p->layout_source = "DWARF of the --layout-from twin";
	hs_program_destroy(twin);
	cw_core_destroy(tcore);
	err = hs_buildinfo_read(core, &p->bi);
	if (!err)
		err = hs_symtab_load(p);
	if (!err)
		err = hs_modules_load(p);
	if (err) {
		fprintf(stderr, "pclntab_dump: %s (layout from %s): %s\n", path,
			layout_from, err->message);
		cs_error_destroy(err);
		hs_program_destroy(p);
		return NULL;
	}
	fprintf(stderr, "pclntab_dump: %s: runtime layout taken from %s\n", path, layout_from);
	return p;
}

static struct hs_program *open_program(const char *path, struct cw_core **core_ret)
{
	struct cw_core *core;
	struct cs_error *err = cw_core_open(path,
		&(struct cw_open_options){ .executable_image = true }, &core);
	if (err) {
		fprintf(stderr, "pclntab_dump: %s: %s\n", path, err->message);
		cs_error_destroy(err);
		return NULL;
	}
	struct hs_program *p;
	err = hs_program_open(core, &p);
	if (err && layout_from && err->code == CS_ERR_UNSUPPORTED) {
		fprintf(stderr, "pclntab_dump: %s: %s\n", path, err->message);
		cs_error_destroy(err);
		err = NULL;
		p = open_with_twin_layout(core, path);
		if (!p) {
			cw_core_destroy(core);
			return NULL;
		}
	}
	if (err) {
		fprintf(stderr, "pclntab_dump: %s: %s\n", path, err->message);
		cs_error_destroy(err);
		cw_core_destroy(core);
		return NULL;
	}
	*core_ret = core;
	return p;
}

static void close_program(struct hs_program *p, struct cw_core *core)
{
	hs_program_destroy(p);
	cw_core_destroy(core);
}

/* ------------------------------------------------------------------ */
/* PC lines                                                            */
/* ------------------------------------------------------------------ */

static void print_pc(struct hs_program *p, uint64_t pc)
{
	struct hs_func f;
	if (!hs_find_func(p, pc, &f)) {
		printf("PC\t%#" PRIx64 "\t-\n", pc);
		return;
	}
	int32_t sp;
	char spbuf[16] = "?";
	if (hs_func_spdelta(p, &f, pc, &sp))
		snprintf(spbuf, sizeof(spbuf), "%d", sp);
	const char *file = "?";
	int32_t line = 0;
	bool posok = hs_func_fileline(p, &f, pc, &file, &line);
	struct hs_logical_frame fr[MAX_FRAMES];
	size_t n = hs_func_frames(p, &f, pc, fr, MAX_FRAMES);
	printf("PC\t%#" PRIx64 "\t%s\t%#" PRIx64 "\t%#" PRIx64 "\t%u\t%s\t%s\t%d\t%d\t%zu",
	       pc, hs_func_name(p, &f), f.entry, f.end, f.funcid, spbuf,
	       posok ? file : "?", posok ? line : 0, posok, n);
	for (size_t i = 0; i < n; i++)
		printf("\t%s\t%s\t%d\t%u\t%s", fr[i].name, fr[i].file, fr[i].line,
		       fr[i].funcid, fr[i].inlined ? "I" : "P");
	printf("\n");
}

/* Every function once, in address order, through hs_find_func itself:
 * calls fn for each; stops at maxpc or at the first lookup that fails. */
typedef bool (*func_cb)(struct hs_program *p, const struct hs_func *f, void *arg);

static uint64_t walk_funcs(struct hs_program *p, const struct hs_module *m,
			   func_cb fn, void *arg, bool *complete)
{
	uint64_t pc = m->minpc, n = 0;
	*complete = false;
	while (pc < m->maxpc && n <= m->nfunc) {
		struct hs_func f;
		if (!hs_find_func(p, pc, &f) || f.entry != pc || f.end <= pc)
			return n;
		n++;
		if (fn && !fn(p, &f, arg))
			return n;
		pc = f.end;
	}
	*complete = pc == m->maxpc;
	return n;
}

struct find_name {
	const char *name;
	struct hs_func f;
	bool found;
};

static bool find_name_cb(struct hs_program *p, const struct hs_func *f, void *arg)
{
	struct find_name *fn = arg;
	if (strcmp(hs_func_name(p, f), fn->name) == 0) {
		fn->f = *f;
		fn->found = true;
		return false;
	}
	return true;
}

static void print_stack_objects(struct hs_program *p, const char *name)
{
	struct find_name fn = { .name = name };
	bool complete;
	for (size_t k = 0; k < p->nmods && !fn.found; k++)
		walk_funcs(p, &p->mods[k], find_name_cb, &fn, &complete);
	if (!fn.found) {
		printf("SO\t%s\t-\n", name);
		return;
	}
	struct hs_stack_object so[64];
	size_t n = hs_func_stack_objects(p, &fn.f, so, CS_ARRAY_SIZE(so));
	for (size_t i = 0; i < n; i++) {
		printf("SO\t%s\t%d\t%d\t%d\t%#" PRIx64 "\t", name, so[i].off,
		       so[i].size, so[i].ptrbytes, so[i].gcdata);
		int32_t words = so[i].ptrbytes > 0 ? so[i].ptrbytes / 8 : 0;
		size_t nbytes = ((size_t)words + 7) / 8;
		uint8_t mask[512];
		if (nbytes > sizeof(mask) ||
		    (nbytes && !cw_peek(hs_program_core(p), so[i].gcdata, nbytes))) {
			printf("?\n");
			continue;
		}
		if (nbytes)
			memcpy(mask, cw_peek(hs_program_core(p), so[i].gcdata, nbytes), nbytes);
		/* Only the bits that cover ptrbytes are meaningful. */
		if (words % 8)
			mask[nbytes - 1] &= (uint8_t)((1u << (words % 8)) - 1);
		for (size_t b = 0; b < nbytes; b++)
			printf("%02x", mask[b]);
		printf("%s\n", nbytes ? "" : "-");
	}
	if (n == 0)
		printf("SO\t%s\tnone\n", name);
}

static int run_lookup(int argc, char **argv)
{
	struct cw_core *core;
	struct hs_program *p = open_program(argv[0], &core);
	if (!p)
		return 2;
	if (argc == 1) {
		const struct hs_buildinfo *bi = hs_program_buildinfo(p);
		printf("VERSION\t%s\n", bi->version);
		printf("MODULES\t%zu\n", p->nmods);
		for (size_t k = 0; k < p->nmods; k++) {
			const struct hs_module *m = &p->mods[k];
			bool complete;
			uint64_t n = walk_funcs(p, m, NULL, NULL, &complete);
			printf("MODULE\t%zu\tmagic=%#x\tnfunc=%" PRIu64 "\twalked=%" PRIu64
			       "%s\ttext=%#" PRIx64 "\tminpc=%#" PRIx64 "\tmaxpc=%#" PRIx64
			       "\ttextsects=%" PRIu64 "\n",
			       k, m->magic, m->nfunc, n, complete ? "" : "(incomplete)",
			       m->text, m->minpc, m->maxpc, m->textsectmap.len);
		}
	} else if (argc == 2 && strcmp(argv[1], "-") == 0) {
		char line[4096];
		while (fgets(line, sizeof(line), stdin)) {
			line[strcspn(line, "\r\n")] = 0;
			if (strncmp(line, "so ", 3) == 0) {
				print_stack_objects(p, line + 3);
				continue;
			}
			char *end;
			errno = 0;
			uint64_t pc = strtoull(line, &end, 16);
			if (end != line && !errno)
				print_pc(p, pc);
		}
	} else {
		for (int i = 1; i < argc; i++)
			print_pc(p, strtoull(argv[i], NULL, 16));
	}
	close_program(p, core);
	return 0;
}

/* ------------------------------------------------------------------ */
/* --check: invariants of a real pclntab                               */
/* ------------------------------------------------------------------ */

struct check_state {
	uint64_t funcs, samples;
	uint64_t sp_bad, sp_entry_bad, pos_entry_bad, pos_missing;
	uint64_t self_bad;
	uint64_t frames_bad, inlined_frames;
	uint64_t smap_bad, smap_checked;
	uint64_t so_bad, so_checked;
	uint64_t inl118_checked, inl118_bad;
	char first[6][512];	/* first problem per group */
};

static void note(char *slot, const char *fmt, ...) CS_PRINTF(2, 3);
static void note(char *slot, const char *fmt, ...)
{
	if (slot[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(slot, 512, fmt, ap);
	va_end(ap);
}

/* Up to 8 PCs spread over [entry, end). */
static size_t sample_pcs(const struct hs_func *f, uint64_t out[8])
{
	uint64_t size = f->end - f->entry;
	size_t n = 0;
	out[n++] = f->entry;
	for (uint64_t k = 1; k < 7 && size > 1; k++) {
		uint64_t pc = f->entry + size * k / 7;
		if (pc > out[n - 1] && pc < f->end)
			out[n++] = pc;
	}
	if (size > 1 && f->end - 1 > out[n - 1])
		out[n++] = f->end - 1;
	return n;
}

/*
 * Go 1.18–1.19 inline records also hold the call site's file index and
 * line, which the runtime never reads; check that evaluating pcfile/pcln
 * at parentPc (what we do for every release) agrees with them.
 */
static void check_inl118(struct hs_program *p, const struct hs_func *f,
			 uint64_t pc, struct check_state *st)
{
	uint64_t tree = hs_func_funcdata(p, f, HS_FUNCDATA_INLTREE);
	for (int depth = 0; tree && depth < 100; depth++) {
		int32_t ix;
		if (!hs_func_pcdata(p, f, HS_PCDATA_INLTREEINDEX, pc, &ix) || ix < 0)
			return;
		uint8_t rec[20];
		struct cs_error *err = cw_read(hs_program_core(p), tree + (uint64_t)ix * 20,
					       rec, sizeof(rec));
		if (err) {
			cs_error_destroy(err);
			return;
		}
		int32_t fileno, line, parentpc;
		memcpy(&fileno, rec + 4, 4);
		memcpy(&line, rec + 8, 4);
		memcpy(&parentpc, rec + 16, 4);
		uint64_t ppc = f->entry + (uint64_t)(int64_t)parentpc;
		const char *file;
		int32_t l2;
		int32_t fno = -1;
		st->inl118_checked++;
		if (!hs_func_fileline(p, f, ppc, &file, &l2) || l2 != line ||
		    !hs_pcvalue(p, f, f->pcfile, ppc, &fno) || fno != fileno) {
			st->inl118_bad++;
			note(st->first[5], "%s: inline record %d says file %d line %d, pcfile/pcln at parentPc %#" PRIx64 " give %d/%d",
			     hs_func_name(p, f), ix, fileno, line, ppc, fno, l2);
		}
		pc = ppc;
	}
}

static bool check_cb(struct hs_program *p, const struct hs_func *f, void *arg)
{
	struct check_state *st = arg;
	st->funcs++;
	uint64_t pcs[8];
	size_t n = sample_pcs(f, pcs);
	const char *name = hs_func_name(p, f);
	int32_t v;

	/* At the entry no frame exists yet: spdelta 0, and a position. */
	if (f->pcsp && (!hs_func_spdelta(p, f, f->entry, &v) || v != 0)) {
		st->sp_entry_bad++;
		note(st->first[0], "%s: spdelta at entry %#" PRIx64 " is not 0", name, f->entry);
	}
	const char *file;
	int32_t line;
	if (f->pcln && !hs_func_fileline(p, f, f->entry, &file, &line)) {
		st->pos_entry_bad++;
		note(st->first[1], "%s: no file:line at entry %#" PRIx64, name, f->entry);
	}

	for (size_t i = 0; i < n; i++) {
		uint64_t pc = pcs[i];
		st->samples++;
		struct hs_func g;
		if (!hs_find_func(p, pc, &g) || g.entry != f->entry) {
			st->self_bad++;
			note(st->first[2], "%#" PRIx64 " inside %s not found back", pc, name);
		}
		/* runtime.funcspdelta (debugPcln) insists on pointer-size
		 * multiples.  Not on v >= 0: assembly may pop its own return
		 * address (syscall.rawVforkSyscall does POPQ before vfork,
		 * so its pcsp says -8 there). */
		if (hs_func_spdelta(p, f, pc, &v) && v % 8) {
			st->sp_bad++;
			note(st->first[0], "%s: spdelta %d at %#" PRIx64, name, v, pc);
		}
		if (!hs_func_fileline(p, f, pc, &file, &line))
			st->pos_missing++;

		struct hs_logical_frame fr[MAX_FRAMES];
		size_t nf = hs_func_frames(p, f, pc, fr, MAX_FRAMES);
		bool ok = nf >= 1 && !fr[nf - 1].inlined &&
			  strcmp(fr[nf - 1].name, name) == 0 && nf < 101;
		for (size_t k = 0; ok && k + 1 < nf; k++)
			ok = fr[k].inlined && strcmp(fr[k].name, "?") != 0;
		if (!ok) {
			st->frames_bad++;
			note(st->first[3], "%s: %zu frames at %#" PRIx64 " do not end in the physical function",
			     name, nf, pc);
		}
		st->inlined_frames += nf - 1;
		if (p->mods[0].magic == 0xfffffff0)
			check_inl118(p, f, pc, st);

		/* The stack map index at pc must select an existing map
		 * (runtime.getStackMap throws "bad symbol table" otherwise). */
		int32_t smi;
		if (hs_func_pcdata(p, f, HS_PCDATA_STACKMAPINDEX, pc, &smi) && smi >= 0) {
			for (uint32_t fd = HS_FUNCDATA_ARGSPOINTERMAPS;
			     fd <= HS_FUNCDATA_LOCALSPOINTERMAPS; fd++) {
				if (!hs_func_funcdata(p, f, fd))
					continue;
				struct hs_bitvec bv;
				st->smap_checked++;
				if (!hs_stackmap_entry(p, f, fd, smi, &bv) || bv.n < 0 ||
				    (bv.n > 0 && !bv.bits)) {
					st->smap_bad++;
					note(st->first[4], "%s: stack map %u index %d at %#" PRIx64 " unreadable",
					     name, fd, smi, pc);
				}
			}
		}
	}

	/* Stack objects: sizes sane, and the pointer mask ends with a
	 * pointer word (ptrdata is "bytes up to the last pointer"), which
	 * also proves the rodata base of gcdataoff. */
	struct hs_stack_object so[64];
	size_t nso = hs_func_stack_objects(p, f, so, CS_ARRAY_SIZE(so));
	for (size_t i = 0; i < nso; i++) {
		st->so_checked++;
		bool ok = so[i].size > 0 && so[i].ptrbytes <= so[i].size &&
			  -so[i].ptrbytes <= so[i].size && so[i].ptrbytes % 8 == 0;
		if (ok && so[i].ptrbytes > 0) {
			uint32_t last = (uint32_t)so[i].ptrbytes / 8 - 1;
			uint8_t b;
			struct cs_error *err = cw_read(hs_program_core(p),
						       so[i].gcdata + last / 8, &b, 1);
			if (err) {
				cs_error_destroy(err);
				ok = false;
			} else
				ok = (b >> (last % 8)) & 1;
		}
		if (!ok) {
			st->so_bad++;
			note(st->first[4], "%s: stack object %zu {off %d size %d ptrbytes %d gcdata %#" PRIx64 "} is not sane",
			     name, i, so[i].off, so[i].size, so[i].ptrbytes, so[i].gcdata);
		}
	}
	return true;
}

static int run_check(const char *path)
{
	struct cw_core *core;
	struct hs_program *p = open_program(path, &core);
	if (!p) {
		printf("FAIL: %s/open: cannot open %s as a Go program\n", prefix, path);
		return 0;
	}
	struct check_state st = { 0 };
	uint64_t total = 0;
	bool all_complete = true;
	for (size_t k = 0; k < p->nmods; k++) {
		bool complete;
		const struct hs_module *m = &p->mods[k];
		uint64_t n = walk_funcs(p, m, check_cb, &st, &complete);
		total += n;
		if (!complete) {
			all_complete = false;
			failf("module %zu: walk stopped after %" PRIu64 " of %" PRIu64 " functions",
			      k, n, m->nfunc);
		}
		EXPECT(n <= m->nfunc, "module %zu: walked %" PRIu64 " functions, nfunc %" PRIu64,
		       k, n, m->nfunc);
	}
	EXPECT(total > 100, "only %" PRIu64 " functions", total);
	report("walk");
	(void)all_complete;

	EXPECT(!st.self_bad, "%" PRIu64 " sampled PCs: %s", st.self_bad, st.first[2]);
	report("find-func");
	EXPECT(!st.sp_bad && !st.sp_entry_bad, "%" PRIu64 "+%" PRIu64 " bad: %s",
	       st.sp_bad, st.sp_entry_bad, st.first[0]);
	report("spdelta-sane");
	EXPECT(!st.pos_entry_bad, "%" PRIu64 " functions: %s", st.pos_entry_bad, st.first[1]);
	/* Padding after a function's code is outside its tables; most
	 * sampled PCs are inside. */
	EXPECT(st.pos_missing * 4 < st.samples, "%" PRIu64 " of %" PRIu64 " PCs have no position",
	       st.pos_missing, st.samples);
	report("fileline-coverage");
	EXPECT(!st.frames_bad, "%" PRIu64 " PCs: %s", st.frames_bad, st.first[3]);
	EXPECT(st.inlined_frames > 0, "no inlined frame at any sampled PC");
	report("inline-expansion");
	EXPECT(!st.smap_bad && st.smap_checked > 0, "%" PRIu64 " of %" PRIu64 " bad: %s",
	       st.smap_bad, st.smap_checked, st.first[4]);
	report("stackmaps");
	EXPECT(!st.so_bad && st.so_checked > 0, "%" PRIu64 " of %" PRIu64 " bad: %s",
	       st.so_bad, st.so_checked, st.first[4]);
	report("stack-objects-sane");
	if (p->mods[0].magic == 0xfffffff0) {
		EXPECT(st.inl118_checked > 0 && !st.inl118_bad,
		       "%" PRIu64 " of %" PRIu64 " records disagree: %s",
		       st.inl118_bad, st.inl118_checked, st.first[5]);
		report("inline-record-fileline-go118");
	}
	fprintf(stderr, "pclntab_dump: %s: %" PRIu64 " functions, %" PRIu64
		" PCs, %" PRIu64 " inlined frames, %" PRIu64 " stack maps, %" PRIu64
		" stack objects, %" PRIu64 " go1.18 inline records\n",
		path, st.funcs, st.samples, st.inlined_frames, st.smap_checked,
		st.so_checked, st.inl118_checked);
	close_program(p, core);
	return 0;
}

/* ------------------------------------------------------------------ */
/* --bench                                                             */
/* ------------------------------------------------------------------ */

struct bench_state {
	uint64_t *pcs;
	size_t n, cap;
};

static bool bench_cb(struct hs_program *p, const struct hs_func *f, void *arg)
{
	(void)p;
	struct bench_state *b = arg;
	uint64_t pcs[8];
	size_t n = sample_pcs(f, pcs);
	for (size_t i = 0; i < n; i++)
		if (!CS_PUSH(b->pcs, b->n, b->cap, pcs[i]))
			return false;
	return true;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_bench(const char *path)
{
	struct cw_core *core;
	struct hs_program *p = open_program(path, &core);
	if (!p)
		return 2;
	struct bench_state b = { 0 };
	bool complete;
	walk_funcs(p, &p->mods[0], bench_cb, &b, &complete);
	/* An unwinder asks, per frame: the function, spdelta, the stack
	 * map index; a traceback adds the position. */
	uint64_t sum = 0;
	int rounds = 20;
	double t0 = now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < b.n; i++) {
			struct hs_func f;
			int32_t v;
			if (!hs_find_func(p, b.pcs[i], &f))
				continue;
			if (hs_func_spdelta(p, &f, b.pcs[i], &v))
				sum += (uint32_t)v;
			if (hs_func_pcdata(p, &f, HS_PCDATA_STACKMAPINDEX, b.pcs[i], &v))
				sum += (uint32_t)v;
		}
	double t1 = now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < b.n; i++) {
			struct hs_func f;
			if (!hs_find_func(p, b.pcs[i], &f))
				continue;
			struct hs_logical_frame fr[MAX_FRAMES];
			sum += hs_func_frames(p, &f, b.pcs[i], fr, MAX_FRAMES);
		}
	double t2 = now();
	double calls = (double)b.n * rounds;
	printf("BENCH\t%zu PCs x %d\tunwind-step %.1f ns\tframes %.1f ns\t(%" PRIu64 ")\n",
	       b.n, rounds, (t1 - t0) / calls * 1e9, (t2 - t1) / calls * 1e9, sum);
	free(b.pcs);
	close_program(p, core);
	return 0;
}

/* ------------------------------------------------------------------ */
/* --selftest: synthetic tables                                        */
/* ------------------------------------------------------------------ */

struct bbuf {
	uint8_t *p;
	size_t len, cap;
};

static size_t bput(struct bbuf *b, const void *d, size_t n)
{
	size_t at = b->len;
	if (!cs_grow((void **)&b->p, &b->cap, b->len + n + 1, 1))
		abort();
	if (d)
		memcpy(b->p + b->len, d, n);
	else
		memset(b->p + b->len, 0, n);
	b->len += n;
	return at;
}

static size_t bu32(struct bbuf *b, uint32_t v)
{
	return bput(b, &v, 4);
}

static size_t bstr(struct bbuf *b, const char *s)
{
	return bput(b, s, strlen(s) + 1);
}

static void buvarint(struct bbuf *b, uint32_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		bput(b, &c, 1);
	} while (v);
}

/* A pcvalue table: value vals[i] for lens[i] bytes; returns its offset. */
static uint32_t btable(struct bbuf *pctab, const int32_t *vals, const uint32_t *lens,
		       size_t n, bool terminate)
{
	size_t at = pctab->len;
	int32_t prev = -1;
	for (size_t i = 0; i < n; i++) {
		int32_t d = (int32_t)((uint32_t)vals[i] - (uint32_t)prev);
		uint32_t zz = ((uint32_t)d << 1) ^ (uint32_t)(d >> 31);
		buvarint(pctab, zz);
		buvarint(pctab, lens[i]);
		prev = vals[i];
	}
	if (terminate)
		bput(pctab, "", 1);
	return (uint32_t)at;
}

static uint32_t braw(struct bbuf *pctab, const uint8_t *bytes, size_t n)
{
	return (uint32_t)bput(pctab, bytes, n);
}

/* Exact-size heap copy, so ASan sees any read past a table. */
static uint8_t *exact(const struct bbuf *b)
{
	uint8_t *p = malloc(b->len ? b->len : 1);
	if (!p)
		abort();
	memcpy(p, b->p, b->len);
	return p;
}

#define SYN_TEXT 0x401000ull
#define SYN_GOFUNC 0x600000ull
#define SYN_RODATA 0x700000ull
#define SYN_TEXTSECT 0x680000ull

struct synth {
	uint32_t magic;
	struct bbuf pctab, names, cutab, files, pcln, ftab, gofunc;
	uint8_t *pctab_x, *names_x, *cutab_x, *files_x, *pcln_x, *ftab_x;
	struct hs_module m;
	struct hs_program *p;
	struct cw_core *core;
	char corepath[256];
	/* offsets of interest */
	uint32_t f1_pcln_trunc;
};

/* One _func record (layout by magic); returns its offset in pclntable. */
static uint32_t bfunc(struct synth *s, uint32_t entryoff, uint32_t nameoff,
		      uint32_t pcsp, uint32_t pcfile, uint32_t pcln, uint32_t cu,
		      uint8_t funcid, const uint32_t *pcdata, uint32_t npcdata,
		      const uint32_t *funcdata, uint8_t nfuncdata)
{
	struct bbuf *b = &s->pcln;
	uint32_t at = (uint32_t)b->len;
	bu32(b, entryoff);
	bu32(b, nameoff);
	bu32(b, 16);		/* args */
	bu32(b, 0);		/* deferreturn */
	bu32(b, pcsp);
	bu32(b, pcfile);
	bu32(b, pcln);
	bu32(b, npcdata);
	bu32(b, cu);
	if (s->magic != 0xfffffff0)
		bu32(b, 7);	/* startLine */
	uint8_t tail[4] = { funcid, 0, 0, nfuncdata };
	bput(b, tail, 4);
	for (uint32_t i = 0; i < npcdata; i++)
		bu32(b, pcdata[i]);
	for (uint32_t i = 0; i < nfuncdata; i++)
		bu32(b, funcdata[i]);
	return at;
}

/* An inline record (layout by magic) in the gofunc area. */
static void binl(struct synth *s, uint8_t funcid, int32_t nameoff, int32_t parentpc)
{
	struct bbuf *b = &s->gofunc;
	if (s->magic == 0xfffffff0) {
		int16_t parent = -1;
		bput(b, &parent, 2);
		uint8_t fb[2] = { funcid, 0 };
		bput(b, fb, 2);
		bu32(b, 0);	/* file */
		bu32(b, 0);	/* line */
		bu32(b, (uint32_t)nameoff);
		bu32(b, (uint32_t)parentpc);
	} else {
		uint8_t fb[4] = { funcid, 0, 0, 0 };
		bput(b, fb, 4);
		bu32(b, (uint32_t)nameoff);
		bu32(b, (uint32_t)parentpc);
		bu32(b, 1);	/* startLine */
	}
}

static void galign(struct bbuf *b)
{
	while (b->len % 8)
		bput(b, "", 1);
}

/*
 * Three functions at text+0x00, +0x40, +0x80 (end +0xc0):
 *   f0 "main.f0": well-formed tables with multi-byte varints, a two-level
 *      inline tree, stack maps and stack objects.
 *   f1 (name runs off funcnametab): an inline tree that loops, an
 *      overlong varint in pcsp, a file index beyond cutab, and a pcln
 *      table cut off by the end of pctab.
 *   f2 "main.f2": pcsp exercising the "pc still at entry" rule, a stack
 *      object count of 2^40, a stack map with n = -1, an inline tree
 *      pointer into unmapped memory.
 */
static bool synth_build(struct synth *s, uint32_t magic)
{
	memset(s, 0, sizeof(*s));
	s->magic = magic;
	bput(&s->pctab, "", 1);	/* offset 0 means "no table" */

	/* funcnametab: offset 0 is a real name (see hs_funcname_at). */
	uint32_t n_f0 = (uint32_t)bstr(&s->names, "main.f0");
	uint32_t n_f2 = (uint32_t)bstr(&s->names, "main.f2");
	uint32_t n_inl0 = (uint32_t)bstr(&s->names, "main.inl0");
	uint32_t n_inl1 = (uint32_t)bstr(&s->names, "main.inl1");
	uint32_t n_loop = (uint32_t)bstr(&s->names, "main.loop");
	uint32_t n_bad = (uint32_t)bput(&s->names, "main.unterminated", 17);

	/* filetab and cutab: CU 0 has files {a.go, b.go, unknown}. */
	uint32_t fa = (uint32_t)bstr(&s->files, "a.go");
	uint32_t fb = (uint32_t)bstr(&s->files, "b.go");
	bu32(&s->cutab, fa);
	bu32(&s->cutab, fb);
	bu32(&s->cutab, UINT32_MAX);

	/* ---- gofunc area (FUNCDATA) ---- */
	/* f0 locals stack map: n=2, nbit=10 → 2 bytes each. */
	galign(&s->gofunc);
	uint32_t fd_smap = (uint32_t)bu32(&s->gofunc, 2);
	bu32(&s->gofunc, 10);
	uint8_t smb[4] = { 0x05, 0x02, 0xff, 0x03 };
	bput(&s->gofunc, smb, 4);
	/* f0 stack objects: 2 records. */
	galign(&s->gofunc);
	uint32_t fd_so = (uint32_t)s->gofunc.len;
	uint64_t two = 2;
	bput(&s->gofunc, &two, 8);
	int32_t r0[4] = { -48, 24, 16, 0x100 };
	int32_t r1[4] = { 8, 8, 0, 0x200 };
	bput(&s->gofunc, r0, 16);
	bput(&s->gofunc, r1, 16);
	/* f0 inline tree: 0 = inl0 called from entry+8, 1 = inl1 called
	 * from entry+0x18 (inside inl0). */
	galign(&s->gofunc);
	uint32_t fd_inl0 = (uint32_t)s->gofunc.len;
	binl(s, 0, (int32_t)n_inl0, 0x08);
	binl(s, 21, (int32_t)n_inl1, 0x18);
	/* f1 inline tree: 0's parent pc is inside 0 again. */
	galign(&s->gofunc);
	uint32_t fd_inl1 = (uint32_t)s->gofunc.len;
	binl(s, 0, (int32_t)n_loop, 0x10);
	/* f2: a stack object count of 2^40, a stack map with n = -1. */
	galign(&s->gofunc);
	uint32_t fd_so2 = (uint32_t)s->gofunc.len;
	uint64_t huge = 1ull << 40;
	bput(&s->gofunc, &huge, 8);
	uint32_t fd_smap2 = (uint32_t)bu32(&s->gofunc, UINT32_MAX);
	bu32(&s->gofunc, 8);
	bput(&s->gofunc, NULL, 16);

	/* ---- pctab ---- */
	/* f0 pcsp: 0 for 4 bytes, 8 for 0x30, 0 for 0x0c. */
	uint32_t f0_sp = btable(&s->pctab, (int32_t[]){ 0, 8, 0 },
				(uint32_t[]){ 4, 0x30, 0x0c }, 3, true);
	/* f0 pcfile: file 0 for 0x20, file 1 for 0x20. */
	uint32_t f0_file = btable(&s->pctab, (int32_t[]){ 0, 1 },
				  (uint32_t[]){ 0x20, 0x20 }, 2, true);
	/* f0 pcln: 10, 20, 30, 300 per 0x10 (300-30 needs two bytes). */
	uint32_t f0_ln = btable(&s->pctab, (int32_t[]){ 10, 20, 30, 300 },
				(uint32_t[]){ 0x10, 0x10, 0x10, 0x10 }, 4, true);
	/* f0 inline index: -1, 0, 1, -1 per 0x10.  The first pair has a
	 * zero value delta (value stays -1). */
	uint32_t f0_inl = btable(&s->pctab, (int32_t[]){ -1, 0, 1, -1 },
				 (uint32_t[]){ 0x10, 0x10, 0x10, 0x10 }, 4, true);
	/* f0 stack map index: 0 then 1. */
	uint32_t f0_smi = btable(&s->pctab, (int32_t[]){ 0, 1 },
				 (uint32_t[]){ 0x20, 0x20 }, 2, true);
	/* f1 pcsp: a six-byte varint (overlong for 32 bits). */
	uint32_t f1_sp = braw(&s->pctab, (const uint8_t[]){ 0x82, 0x80, 0x80, 0x80, 0x80, 0x00, 0x40, 0x00 }, 8);
	/* f1 pcfile: file index 5, beyond the 3-entry cutab; then 2 (^0). */
	uint32_t f1_file = btable(&s->pctab, (int32_t[]){ 5, 2 },
				  (uint32_t[]){ 0x20, 0x20 }, 2, true);
	/* f1 inline index: 0 everywhere. */
	uint32_t f1_inl = btable(&s->pctab, (int32_t[]){ 0 },
				 (uint32_t[]){ 0x40 }, 1, true);
	/* f2 pcsp: (+1, 0) then a zero delta while pc is still at the entry
	 * (not the end), then (+7 → 8, 0x30), end.  Value 0 for [0,5). */
	uint32_t f2_sp = braw(&s->pctab, (const uint8_t[]){ 0x02, 0x00, 0x00, 0x05, 0x10, 0x30, 0x00 }, 7);
	uint32_t f2_ln = btable(&s->pctab, (int32_t[]){ 100 },
				(uint32_t[]){ 0x40 }, 1, true);
	uint32_t f2_file = btable(&s->pctab, (int32_t[]){ 0 },
				  (uint32_t[]){ 0x40 }, 1, true);
	/* f1 pcln last, unterminated and cut: (line 5 for 0x10), then a
	 * value-delta byte with the continuation bit as the last byte. */
	s->f1_pcln_trunc = btable(&s->pctab, (int32_t[]){ 5 },
				  (uint32_t[]){ 0x10 }, 1, false);
	bput(&s->pctab, "\x84", 1);

	/* ---- pclntable and ftab ---- */
	uint32_t fo0 = bfunc(s, 0x00, n_f0, f0_sp, f0_file, f0_ln, 0, 0,
			     (uint32_t[]){ 0, f0_smi, f0_inl }, 3,
			     (uint32_t[]){ UINT32_MAX, fd_smap, fd_so, fd_inl0 }, 4);
	uint32_t fo1 = bfunc(s, 0x40, n_bad, f1_sp, f1_file, s->f1_pcln_trunc, 0, 0,
			     (uint32_t[]){ 0, 0, f1_inl }, 3,
			     (uint32_t[]){ UINT32_MAX, UINT32_MAX, UINT32_MAX, fd_inl1 }, 4);
	uint32_t fo2 = bfunc(s, 0x80, n_f2, f2_sp, f2_file, f2_ln, 0, 0,
			     (uint32_t[]){ 0, 0, f1_inl }, 3,
			     (uint32_t[]){ UINT32_MAX, fd_smap2, fd_so2, 0x7fff0000 }, 4);
	uint32_t ft[8] = { 0x00, fo0, 0x40, fo1, 0x80, fo2, 0xc0, fo2 };
	bput(&s->ftab, ft, sizeof(ft));

	/* ---- the synthetic core: gofunc area and a textsect map ---- */
	uint64_t ts[6] = { 0, 0x80, SYN_TEXT, 0x80, 0xc0, SYN_TEXT + 0x1000 };
	struct fc_spec spec = { 0 };
	spec.pid = 1;
	spec.loads[0] = (struct fc_load){ SYN_GOFUNC, (s->gofunc.len + 4095) & ~4095ull,
					  s->gofunc.len, PF_R, s->gofunc.p };
	spec.loads[1] = (struct fc_load){ SYN_TEXTSECT, 4096, sizeof(ts), PF_R, ts };
	spec.nloads = 2;
	size_t imglen;
	uint8_t *img = fc_build(&spec, &imglen);
	snprintf(s->corepath, sizeof(s->corepath), "/tmp/pclntab-selftest-XXXXXX");
	int fd = mkstemp(s->corepath);
	if (fd < 0) {
		free(img);
		return false;
	}
	bool wrote = write(fd, img, imglen) == (ssize_t)imglen;
	close(fd);
	free(img);
	struct cs_error *err = wrote ? cw_core_open(s->corepath,
		&(struct cw_open_options){ .no_files = true }, &s->core) : NULL;
	unlink(s->corepath);
	if (!wrote || err) {
		cs_error_destroy(err);
		return false;
	}

	s->pctab_x = exact(&s->pctab);
	s->names_x = exact(&s->names);
	s->cutab_x = exact(&s->cutab);
	s->files_x = exact(&s->files);
	s->pcln_x = exact(&s->pcln);
	s->ftab_x = exact(&s->ftab);
	struct hs_module *m = &s->m;
	m->magic = magic;
	m->nfunc = 3;
	m->text = m->minpc = SYN_TEXT;
	m->maxpc = m->etext = SYN_TEXT + 0xc0;
	m->gofunc = SYN_GOFUNC;
	m->rodata = SYN_RODATA;
	m->ftab = (struct hs_slice){ 0, 4, 4 };
	m->ftab_p = s->ftab_x;
	m->pclntable = (struct hs_slice){ 0, s->pcln.len, s->pcln.len };
	m->pclntable_p = s->pcln_x;
	m->pclntable_len = s->pcln.len;
	m->funcnametab = (struct hs_slice){ 0, s->names.len, s->names.len };
	m->funcnametab_p = s->names_x;
	m->cutab = (struct hs_slice){ 0, s->cutab.len / 4, s->cutab.len / 4 };
	m->cutab_p = s->cutab_x;
	m->filetab = (struct hs_slice){ 0, s->files.len, s->files.len };
	m->filetab_p = s->files_x;
	m->pctab = (struct hs_slice){ 0, s->pctab.len, s->pctab.len };
	m->pctab_p = s->pctab_x;
	m->textsectmap = (struct hs_slice){ SYN_TEXTSECT, 1, 1 };

	s->p = calloc(1, sizeof(*s->p));
	if (!s->p)
		abort();
	s->p->core = s->core;
	s->p->warnings = cw_core_warnings(s->core);
	cs_arena_init(&s->p->arena);
	s->p->mods = &s->m;
	s->p->nmods = 1;
	return true;
}

static void synth_free(struct synth *s)
{
	if (s->p) {
		cs_arena_deinit(&s->p->arena);
		free(s->p);
	}
	cw_core_destroy(s->core);
	struct bbuf *bs[] = { &s->pctab, &s->names, &s->cutab, &s->files,
			      &s->pcln, &s->ftab, &s->gofunc };
	for (size_t i = 0; i < CS_ARRAY_SIZE(bs); i++)
		free(bs[i]->p);
	free(s->pctab_x);
	free(s->names_x);
	free(s->cutab_x);
	free(s->files_x);
	free(s->pcln_x);
	free(s->ftab_x);
}

/* A one-off table in its own exact-size pctab, evaluated for a fake
 * function [entry, entry+size). */
static bool eval_raw(const uint8_t *bytes, size_t n, uint64_t size, uint64_t pc,
		     int32_t *ret)
{
	uint8_t *tab = malloc(n + 1);
	if (!tab)
		abort();
	tab[0] = 0;
	memcpy(tab + 1, bytes, n);
	struct hs_module m = { 0 };
	m.pctab_p = tab;
	m.pctab = (struct hs_slice){ 0, n + 1, n + 1 };
	struct hs_func f = { 0 };
	f.mod = &m;
	f.entry = 0x1000;
	f.end = 0x1000 + size;
	bool ok = hs_pcvalue(NULL, &f, 1, pc, ret);
	free(tab);
	return ok;
}

static void selftest_varints(void)
{
	int32_t v;
	/* 300 = 0xac 0x02; zig-zag(+301 from -1) = 602 = 0xda 0x04. */
	EXPECT(eval_raw((const uint8_t[]){ 0xda, 0x04, 0xac, 0x02, 0x00 }, 5, 0x200, 0x1000 + 299, &v) &&
	       v == 300, "two-byte varints: got %d", v);
	/* The largest 5-byte varint: value delta 0xfffffffe (zig-zag of
	 * INT32_MAX, from -1 wraps to INT32_MAX - 1). */
	EXPECT(eval_raw((const uint8_t[]){ 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x00 }, 7, 4, 0x1000, &v) &&
	       v == INT32_MAX - 1, "five-byte varint: got %d", v);
	/* Wrap-around like the runtime's int32: -1 + (-INT32_MAX - 1). */
	EXPECT(eval_raw((const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x00 }, 7, 4, 0x1000, &v) &&
	       v == INT32_MAX, "wrapping delta: got %d", v);
	/* Six bytes is overlong for 32 bits. */
	EXPECT(!eval_raw((const uint8_t[]){ 0x82, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 0x00 }, 8, 4, 0x1000, &v),
	       "overlong varint accepted");
	/* A continuation bit on the table's last byte. */
	EXPECT(!eval_raw((const uint8_t[]){ 0x02, 0x04, 0x82 }, 3, 16, 0x1008, &v),
	       "truncated varint accepted");
	EXPECT(eval_raw((const uint8_t[]){ 0x02, 0x04, 0x82 }, 3, 16, 0x1003, &v) && v == 0,
	       "covered PC before a truncated tail: got %d", v);
	/* A pc delta truncated after its value delta. */
	EXPECT(!eval_raw((const uint8_t[]){ 0x02, 0x84 }, 2, 16, 0x1000, &v),
	       "truncated pc delta accepted");
	/* A table without terminator running to the end of pctab. */
	EXPECT(!eval_raw((const uint8_t[]){ 0x02, 0x04 }, 2, 16, 0x1004, &v),
	       "unterminated table covered a PC past its end");
	/* 0x80 0x00 is an overlong zero; accepted as the runtime does. */
	EXPECT(eval_raw((const uint8_t[]){ 0x80, 0x00, 0x04, 0x00 }, 4, 16, 0x1000, &v) && v == -1,
	       "two-byte zero delta: got %d", v);
	/* Empty table (just the terminator, pc at entry): the first pair
	 * is a zero value delta with pc delta 0, then the table ends. */
	EXPECT(!eval_raw((const uint8_t[]){ 0x00 }, 1, 16, 0x1000, &v), "empty table covered a PC");
	/* PCs outside the function. */
	EXPECT(!eval_raw((const uint8_t[]){ 0x02, 0x10, 0x00 }, 3, 16, 0xfff, &v), "pc below entry");
	EXPECT(!eval_raw((const uint8_t[]){ 0x02, 0x10, 0x00 }, 3, 16, 0x1010, &v), "pc at end");
	/* A table of zero pc deltas and zero value deltas: the pc never
	 * leaves the entry, so the runtime's `first` stays true; it must
	 * end at the end of pctab, not loop. */
	uint8_t zeros[64] = { 0 };
	EXPECT(!eval_raw(zeros, sizeof(zeros), 16, 0x1000, &v), "all-zero table covered a PC");
	report("selftest/varint-zigzag");
}

static void selftest_synth(uint32_t magic)
{
	char name[64];
	struct synth s;
	if (!synth_build(&s, magic)) {
		printf("SKIP: %s/selftest/synthetic-%#x: cannot build a synthetic core in /tmp\n",
		       prefix, magic);
		synth_free(&s);
		return;
	}
	struct hs_program *p = s.p;
	struct hs_func f0, f1, f2, g;
	int32_t v;
	const char *file;
	int32_t line;

	/* ---- finding ---- */
	EXPECT(hs_find_func(p, SYN_TEXT, &f0) && f0.entry == SYN_TEXT &&
	       f0.end == SYN_TEXT + 0x40, "f0 at its entry");
	EXPECT(hs_find_func(p, SYN_TEXT + 0x3f, &g) && g.entry == SYN_TEXT, "f0 at its last byte");
	EXPECT(hs_find_func(p, SYN_TEXT + 0x40, &f1) && f1.entry == SYN_TEXT + 0x40, "f1");
	EXPECT(hs_find_func(p, SYN_TEXT + 0xbf, &f2) && f2.entry == SYN_TEXT + 0x80 &&
	       f2.end == SYN_TEXT + 0xc0, "f2 ends at etext");
	EXPECT(!hs_find_func(p, SYN_TEXT - 1, &g), "pc below text found");
	EXPECT(!hs_find_func(p, SYN_TEXT + 0xc0, &g), "pc at maxpc found");
	EXPECT(f0.args == 16 && f0.npcdata == 3 && f0.nfuncdata == 4 &&
	       f0.start_line == (magic == 0xfffffff0 ? 0 : 7),
	       "f0 fields: args %d npcdata %u nfuncdata %u startLine %d",
	       f0.args, f0.npcdata, f0.nfuncdata, f0.start_line);
	snprintf(name, sizeof(name), "selftest/find-func-%#x", magic);
	report(name);

	/* ---- names ---- */
	EXPECT(strcmp(hs_func_name(p, &f0), "main.f0") == 0, "name at offset 0: %s", hs_func_name(p, &f0));
	EXPECT(strcmp(hs_func_name(p, &f1), "?") == 0, "unterminated name: %s", hs_func_name(p, &f1));
	EXPECT(strcmp(hs_funcname_at(p, &s.m, -5), "?") == 0, "negative name offset");
	EXPECT(strcmp(hs_funcname_at(p, &s.m, (int32_t)s.names.len), "?") == 0, "name offset at end");
	EXPECT(strcmp(hs_funcname_at(p, &s.m, INT32_MAX), "?") == 0, "huge name offset");
	snprintf(name, sizeof(name), "selftest/names-%#x", magic);
	report(name);

	/* ---- pcvalue-based answers ---- */
	EXPECT(hs_func_spdelta(p, &f0, SYN_TEXT, &v) && v == 0, "f0 sp at entry %d", v);
	EXPECT(hs_func_spdelta(p, &f0, SYN_TEXT + 4, &v) && v == 8, "f0 sp body %d", v);
	EXPECT(hs_func_spdelta(p, &f0, SYN_TEXT + 0x3f, &v) && v == 0, "f0 sp epilogue %d", v);
	EXPECT(!hs_func_spdelta(p, &f0, SYN_TEXT + 0x40, &v), "f0 sp past end");
	EXPECT(!hs_func_spdelta(p, &f1, SYN_TEXT + 0x40, &v), "overlong varint in pcsp accepted");
	EXPECT(hs_func_spdelta(p, &f2, SYN_TEXT + 0x84, &v) && v == 0,
	       "zero delta while pc == entry must not end the table (%d)", v);
	EXPECT(hs_func_spdelta(p, &f2, SYN_TEXT + 0x85, &v) && v == 8, "f2 sp after %d", v);
	EXPECT(hs_func_fileline(p, &f0, SYN_TEXT + 0x05, &file, &line) &&
	       strcmp(file, "a.go") == 0 && line == 10, "f0 pos 0x05: %s:%d", file, line);
	EXPECT(hs_func_fileline(p, &f0, SYN_TEXT + 0x35, &file, &line) &&
	       strcmp(file, "b.go") == 0 && line == 300, "f0 pos 0x35: %s:%d", file, line);
	/* f1: file index beyond cutab → "?"; pcln cut off by pctab's end. */
	EXPECT(hs_func_fileline(p, &f1, SYN_TEXT + 0x45, &file, &line) &&
	       strcmp(file, "?") == 0 && line == 5, "f1 pos 0x45: %s:%d", file, line);
	EXPECT(!hs_func_fileline(p, &f1, SYN_TEXT + 0x55, &file, &line),
	       "f1 position past a truncated pcln table");
	EXPECT(hs_func_pcdata(p, &f0, HS_PCDATA_STACKMAPINDEX, SYN_TEXT + 0x21, &v) && v == 1,
	       "f0 stack map index %d", v);
	EXPECT(!hs_func_pcdata(p, &f0, HS_PCDATA_UNSAFEPOINT, SYN_TEXT, &v), "absent table (offset 0)");
	EXPECT(!hs_func_pcdata(p, &f0, 3, SYN_TEXT, &v), "pcdata index beyond npcdata");
	EXPECT(!hs_pcvalue(p, &f0, (uint32_t)s.pctab.len, SYN_TEXT, &v), "table offset at end of pctab");
	EXPECT(!hs_pcvalue(p, &f0, UINT32_MAX, SYN_TEXT, &v), "table offset beyond pctab");
	snprintf(name, sizeof(name), "selftest/pcvalue-%#x", magic);
	report(name);

	/* ---- funcdata, stack maps, stack objects ---- */
	EXPECT(hs_func_funcdata(p, &f0, HS_FUNCDATA_ARGSPOINTERMAPS) == 0, "nil funcdata");
	EXPECT(hs_func_funcdata(p, &f0, 4) == 0, "funcdata index beyond nfuncdata");
	EXPECT(hs_func_funcdata(p, &f0, HS_FUNCDATA_LOCALSPOINTERMAPS) == SYN_GOFUNC,
	       "funcdata relative to gofunc");
	struct hs_bitvec bv;
	EXPECT(hs_stackmap_entry(p, &f0, HS_FUNCDATA_LOCALSPOINTERMAPS, 1, &bv) && bv.n == 10 &&
	       bv.bits && bv.bits[0] == 0xff && bv.bits[1] == 0x03, "stack map entry 1");
	EXPECT(!hs_stackmap_entry(p, &f0, HS_FUNCDATA_LOCALSPOINTERMAPS, 2, &bv), "index == n");
	EXPECT(!hs_stackmap_entry(p, &f0, HS_FUNCDATA_LOCALSPOINTERMAPS, -1, &bv), "index -1");
	EXPECT(!hs_stackmap_entry(p, &f0, HS_FUNCDATA_ARGSPOINTERMAPS, 0, &bv), "nil stack map");
	EXPECT(!hs_stackmap_entry(p, &f2, HS_FUNCDATA_LOCALSPOINTERMAPS, 0, &bv), "n = -1");
	struct hs_stack_object so[4];
	size_t nso = hs_func_stack_objects(p, &f0, so, 4);
	EXPECT(nso == 2 && so[0].off == -48 && so[0].size == 24 && so[0].ptrbytes == 16 &&
	       so[0].gcdata == SYN_RODATA + 0x100 && so[1].gcdata == SYN_RODATA + 0x200,
	       "stack objects: %zu", nso);
	EXPECT(hs_func_stack_objects(p, &f0, so, 1) == 1, "stack objects capped by max");
	EXPECT(hs_func_stack_objects(p, &f2, so, 4) == 0, "2^40 stack objects");
	EXPECT(hs_func_stack_objects(p, &f1, so, 4) == 0, "no stack objects");
	snprintf(name, sizeof(name), "selftest/funcdata-%#x", magic);
	report(name);

	/* ---- inlining ---- */
	struct hs_logical_frame fr[MAX_FRAMES];
	size_t n = hs_func_frames(p, &f0, SYN_TEXT + 0x24, fr, MAX_FRAMES);
	EXPECT(n == 3 && strcmp(fr[0].name, "main.inl1") == 0 && fr[0].inlined &&
	       fr[0].line == 30 && fr[0].funcid == 21 && strcmp(fr[0].file, "b.go") == 0 &&
	       strcmp(fr[1].name, "main.inl0") == 0 && fr[1].inlined && fr[1].line == 20 &&
	       strcmp(fr[1].file, "a.go") == 0 &&
	       strcmp(fr[2].name, "main.f0") == 0 && !fr[2].inlined && fr[2].line == 10,
	       "f0 frames at 0x24: %zu [%s:%d %s:%d %s:%d]", n,
	       n > 0 ? fr[0].name : "", n > 0 ? fr[0].line : 0,
	       n > 1 ? fr[1].name : "", n > 1 ? fr[1].line : 0,
	       n > 2 ? fr[2].name : "", n > 2 ? fr[2].line : 0);
	n = hs_func_frames(p, &f0, SYN_TEXT + 0x05, fr, MAX_FRAMES);
	EXPECT(n == 1 && !fr[0].inlined && fr[0].line == 10, "f0 frames at 0x05: %zu", n);
	n = hs_func_frames(p, &f0, SYN_TEXT + 0x24, fr, 2);
	EXPECT(n == 2 && fr[1].inlined, "frames capped by max: %zu", n);
	EXPECT(hs_func_frames(p, &f0, SYN_TEXT, fr, 0) == 0, "max 0");
	/* A looping tree stops at the depth cap and still ends in the
	 * physical function. */
	n = hs_func_frames(p, &f1, SYN_TEXT + 0x45, fr, MAX_FRAMES);
	EXPECT(n == 101 && !fr[n - 1].inlined && fr[0].inlined, "looping tree: %zu frames", n);
	/* An inline tree in unmapped memory: just the physical frame. */
	n = hs_func_frames(p, &f2, SYN_TEXT + 0x85, fr, MAX_FRAMES);
	EXPECT(n == 1 && !fr[0].inlined && fr[0].line == 100, "unreadable tree: %zu", n);
	snprintf(name, sizeof(name), "selftest/inline-%#x", magic);
	report(name);

	/* ---- hostile records ---- */
	uint8_t *ft = s.ftab_x;
	uint8_t save[32];
	memcpy(save, ft, 32);
	uint32_t bad = (uint32_t)s.pcln.len - 8;	/* record runs off pclntable */
	memcpy(ft + 4, &bad, 4);
	EXPECT(!hs_find_func(p, SYN_TEXT, &g), "record beyond pclntable");
	bad = UINT32_MAX;
	memcpy(ft + 4, &bad, 4);
	EXPECT(!hs_find_func(p, SYN_TEXT, &g), "funcoff ^0");
	memcpy(ft, save, 32);
	uint32_t other;
	memcpy(&other, ft + 12, 4);	/* f0's slot points at f1's record */
	memcpy(ft + 4, &other, 4);
	EXPECT(!hs_find_func(p, SYN_TEXT, &g), "entryoff mismatch");
	memcpy(ft, save, 32);
	/* Unsorted ftab: whatever it answers, it answers within bounds. */
	uint32_t z = 0xb0;
	memcpy(ft + 8, &z, 4);
	for (uint64_t pc = SYN_TEXT; pc < SYN_TEXT + 0xc0; pc += 4)
		if (hs_find_func(p, pc, &g))
			EXPECT(g.entry <= pc && pc < g.end, "unsorted ftab: %#" PRIx64, pc);
	memcpy(ft, save, 32);
	/* npcdata so large the arrays cannot fit. */
	uint8_t *rec = s.pcln_x;
	uint32_t savenp;
	memcpy(&savenp, rec + 28, 4);
	uint32_t hugenp = 0x40000000;
	memcpy(rec + 28, &hugenp, 4);
	EXPECT(!hs_find_func(p, SYN_TEXT, &g), "npcdata 2^30");
	memcpy(rec + 28, &savenp, 4);
	EXPECT(hs_find_func(p, SYN_TEXT, &g), "restored");
	/* A cutab offset at the end of filetab, and one beyond. */
	uint32_t savecu;
	memcpy(&savecu, s.cutab_x, 4);
	uint32_t fo = (uint32_t)s.files.len;
	memcpy(s.cutab_x, &fo, 4);
	EXPECT(hs_func_fileline(p, &f0, SYN_TEXT, &file, &line) && strcmp(file, "?") == 0,
	       "file offset at end of filetab: %s", file);
	memcpy(s.cutab_x, &savecu, 4);
	/* An ftab shorter than nfunc+1 is refused outright. */
	s.m.ftab.len = 3;
	EXPECT(!hs_find_func(p, SYN_TEXT, &g), "ftab shorter than nfunc+1");
	s.m.ftab.len = 4;
	snprintf(name, sizeof(name), "selftest/hostile-%#x", magic);
	report(name);

	/* ---- two text sections (moduledata.textAddr/textOff) ----
	 * offsets [0,0x80) at text, [0x80,0xc0] at text+0x1000. */
	s.m.textsectmap.len = 2;
	s.m.maxpc = SYN_TEXT + 0x1040;
	EXPECT(hs_find_func(p, SYN_TEXT + 0x1005, &g) && g.entry == SYN_TEXT + 0x1000 &&
	       g.end == SYN_TEXT + 0x1040 && strcmp(hs_func_name(p, &g), "main.f2") == 0,
	       "second section");
	EXPECT(hs_find_func(p, SYN_TEXT + 0x45, &g) && g.entry == SYN_TEXT + 0x40 &&
	       g.end == SYN_TEXT + 0x1000, "f1 ends where the next section's first function starts");
	EXPECT(!hs_find_func(p, SYN_TEXT + 0x800, &g), "gap between sections");
	EXPECT(hs_find_func(p, SYN_TEXT + 0x1005, &g) && hs_func_spdelta(p, &g, SYN_TEXT + 0x1005, &v) &&
	       v == 8, "pcvalue in the second section: %d", v);
	s.m.textsectmap.len = 1u << 20;
	EXPECT(!hs_find_func(p, SYN_TEXT + 0x1005, &g), "a million text sections");
	s.m.textsectmap.len = 3;	/* the third record is not in the core */
	s.m.maxpc = SYN_TEXT + 0x2000;
	EXPECT(!hs_find_func(p, SYN_TEXT + 0x1045, &g), "beyond all sections");
	s.m.textsectmap.len = 1;
	s.m.maxpc = SYN_TEXT + 0xc0;
	snprintf(name, sizeof(name), "selftest/textsects-%#x", magic);
	report(name);

	synth_free(&s);
}

/* xorshift64*: a fixed-seed generator, so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/*
 * Random corruption of the synthetic tables (bytes of pctab, pclntable,
 * ftab, funcnametab, cutab) and of the FUNCDATA base, then every API at
 * every PC.  The assertions are the ones that hold for any input: no
 * crash (ASan/UBSan watch), a found function contains the PC, names and
 * files are strings, frame counts are bounded.
 */
static void selftest_corruption(uint32_t magic)
{
	struct synth s;
	char name[64];
	if (!synth_build(&s, magic)) {
		printf("SKIP: %s/selftest/corruption-%#x: cannot build a synthetic core in /tmp\n",
		       prefix, magic);
		synth_free(&s);
		return;
	}
	struct {
		uint8_t *live;
		const struct bbuf *pristine;
	} bufs[] = {
		{ s.pctab_x, &s.pctab }, { s.pcln_x, &s.pcln }, { s.ftab_x, &s.ftab },
		{ s.names_x, &s.names }, { s.cutab_x, &s.cutab },
	};
	uint64_t found = 0, frames = 0;
	for (int iter = 0; iter < 3000; iter++) {
		for (size_t b = 0; b < CS_ARRAY_SIZE(bufs); b++)
			memcpy(bufs[b].live, bufs[b].pristine->p, bufs[b].pristine->len);
		int flips = 1 + (int)(rng() % 8);
		for (int k = 0; k < flips; k++) {
			size_t b = rng() % CS_ARRAY_SIZE(bufs);
			size_t len = bufs[b].pristine->len;
			uint8_t v = (uint8_t)rng();
			/* Often a boundary value, else random. */
			static const uint8_t special[] = { 0x00, 0x7f, 0x80, 0xff, 0x01 };
			if (rng() % 2)
				v = special[rng() % CS_ARRAY_SIZE(special)];
			if (len)
				bufs[b].live[rng() % len] = v;
		}
		s.m.gofunc = SYN_GOFUNC + (rng() % 4 ? 0 : rng() % 0x100);
		s.m.textsectmap.len = rng() % 4 ? 1 : 1 + rng() % 3;
		s.m.maxpc = s.m.textsectmap.len > 1 ? SYN_TEXT + 0x1040 : SYN_TEXT + 0xc0;
		struct hs_program *p = s.p;
		for (uint64_t pc = SYN_TEXT - 2; pc < s.m.maxpc + 2; pc += 1 + rng() % 3) {
			struct hs_func f;
			if (!hs_find_func(p, pc, &f))
				continue;
			found++;
			EXPECT(f.entry <= pc && pc < f.end, "iteration %d: %#" PRIx64 " outside [%#" PRIx64 ", %#" PRIx64 ")",
			       iter, pc, f.entry, f.end);
			EXPECT(hs_func_name(p, &f) != NULL, "iteration %d: NULL name", iter);
			int32_t v;
			const char *file = NULL;
			(void)hs_func_spdelta(p, &f, pc, &v);
			for (uint32_t t = 0; t < 4; t++)
				(void)hs_func_pcdata(p, &f, t, pc, &v);
			if (hs_func_fileline(p, &f, pc, &file, &v))
				EXPECT(file != NULL, "iteration %d: NULL file", iter);
			struct hs_logical_frame fr[MAX_FRAMES];
			size_t n = hs_func_frames(p, &f, pc, fr, MAX_FRAMES);
			EXPECT(n >= 1 && n <= 101, "iteration %d: %zu frames", iter, n);
			for (size_t i = 0; i < n; i++)
				EXPECT(fr[i].name && fr[i].file, "iteration %d: NULL in frame", iter);
			frames += n;
			struct hs_bitvec bv;
			for (int32_t i = -1; i < 3; i++)
				(void)hs_stackmap_entry(p, &f, HS_FUNCDATA_LOCALSPOINTERMAPS, i, &bv);
			struct hs_stack_object so[8];
			EXPECT(hs_func_stack_objects(p, &f, so, 8) <= 8, "iteration %d: stack objects", iter);
			(void)hs_funcname_at(p, &s.m, (int32_t)(rng() % 64) - 8);
		}
	}
	EXPECT(found > 1000, "only %" PRIu64 " lookups succeeded: the corruption is too coarse", found);
	snprintf(name, sizeof(name), "selftest/corruption-%#x", magic);
	report(name);
	synth_free(&s);
}

static int run_selftest(void)
{
	selftest_varints();
	selftest_synth(0xfffffff0);
	selftest_synth(0xfffffff1);
	selftest_corruption(0xfffffff0);
	selftest_corruption(0xfffffff1);
	return 0;
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: pclntab_dump --selftest\n"
		"       pclntab_dump [--prefix P] [--layout-from TWIN] --check BINARY\n"
		"       pclntab_dump [--layout-from TWIN] --bench BINARY\n"
		"       pclntab_dump [--layout-from TWIN] BINARY [PC... | -]\n");
}

int main(int argc, char **argv)
{
	argc--;
	argv++;
	for (;;) {
		if (argc >= 2 && strcmp(argv[0], "--prefix") == 0)
			prefix = argv[1];
		else if (argc >= 2 && strcmp(argv[0], "--layout-from") == 0)
			layout_from = argv[1];
		else
			break;
		argc -= 2;
		argv += 2;
	}
	if (argc == 1 && strcmp(argv[0], "--selftest") == 0)
		return run_selftest();
	if (argc == 2 && strcmp(argv[0], "--check") == 0)
		return run_check(argv[1]);
	if (argc == 2 && strcmp(argv[0], "--bench") == 0)
		return run_bench(argv[1]);
	if (argc >= 1 && argv[0][0] != '-')
		return run_lookup(argc, argv);
	usage();
	return 2;
}
