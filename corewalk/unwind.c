/*
 * unwind.c — native backtraces of OS threads.
 *
 * libunwind does the DWARF CFI work, but all of its memory reads go through
 * our accessors, so compressed and truncated cores work and nothing reads
 * the core file behind our back (libunwind-coredump's own _UCD accessors
 * open the file by path and cannot do either).  Each step is stateless: a
 * fresh cursor is initialized from the current register set and stepped
 * once.  Where no .eh_frame covers the PC (Go code in a pure-Go binary),
 * the frame-pointer chain is followed instead; Go keeps frame pointers on
 * amd64.
 */
#include "config.h"

#include <libunwind.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Exported by libunwind but not declared in its public headers: search a
 * remote .eh_frame_hdr binary-search table (used by libunwind-ptrace). */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip,
					       unw_dyn_info_t *di,
					       unw_proc_info_t *pi,
					       int need_unwind_info, void *arg);

#define NREGS 17	/* UNW_X86_64_RAX .. UNW_X86_64_RIP */

struct uw_ctx {
	struct cw_core *core;
	uint64_t regs[NREGS];
	bool valid[NREGS];
};

/* cw_regs -> libunwind register numbers (UNW_X86_64_*). */
static void regs_from_thread(struct uw_ctx *c, const struct cw_regs *r)
{
	const uint64_t v[NREGS] = {
		r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
		r->rip,
	};
	memcpy(c->regs, v, sizeof(v));
	for (int i = 0; i < NREGS; i++)
		c->valid[i] = true;
}

/* ------------------------------------------------------------------ */
/* libunwind accessors                                                 */
/* ------------------------------------------------------------------ */

static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi,
				void *arg);

static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip,
			      unw_proc_info_t *pi, int need_unwind_info,
			      void *arg)
{
	struct uw_ctx *c = arg;
	struct cw_file *f = cw_file_for_addr(c->core, ip);
	if (!f || !f->eh_frame_hdr)
		return -UNW_ENOINFO;
	uint64_t hdr = f->eh_frame_hdr + f->bias;
	uint8_t h[12];
	struct cs_error *err = cw_read(c->core, hdr, h, sizeof(h));
	if (err) {
		cs_error_destroy(err);
		return -UNW_ENOINFO;
	}
	/* version 1; eh_frame_ptr pcrel|sdata4 (0x1b) ; fde_count udata4
	 * (0x03); table datarel|sdata4 (0x3b): the layout every toolchain
	 * emits, and the only one the binary-search table format allows. */
	if (h[0] != 1 || h[1] != 0x1b || h[2] != 0x03 || h[3] != 0x3b)
		return -UNW_ENOINFO;
	uint32_t fde_count;
	memcpy(&fde_count, h + 8, 4);
	if (fde_count == 0 || fde_count > (1u << 24))
		return -UNW_ENOINFO;
	unw_dyn_info_t di;
	memset(&di, 0, sizeof(di));
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = f->text_lo + f->bias;
	di.end_ip = f->text_hi + f->bias;
	di.u.rti.segbase = hdr;
	di.u.rti.table_data = hdr + 12;
	di.u.rti.table_len = (unw_word_t)fde_count * 8 / sizeof(unw_word_t);
	int r = _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
	/* The binary-search table yields the last FDE starting at or before
	 * ip, whether or not it covers ip (Go code in a cgo binary has no
	 * .eh_frame FDEs at all).  Refuse what does not cover ip. */
	if (r == 0 && (ip < pi->start_ip || ip >= pi->end_ip)) {
		acc_put_unwind_info(as, pi, arg);
		return -UNW_ENOINFO;
	}
	return r;
}

static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi,
				void *arg)
{
	(void)as;
	(void)arg;
	/* Remote-table lookups malloc the unwind info (as libunwind-ptrace's
	 * put_unwind_info assumes). */
	free(pi->unwind_info);
	pi->unwind_info = NULL;
}

static int acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr,
				      void *arg)
{
	(void)as;
	(void)addr;
	(void)arg;
	return -UNW_ENOINFO;
}

static int acc_access_mem(unw_addr_space_t as, unw_word_t addr,
			  unw_word_t *valp, int write, void *arg)
{
	(void)as;
	struct uw_ctx *c = arg;
	if (write)
		return -UNW_EINVAL;
	uint64_t v;
	struct cs_error *err = cw_read_u64(c->core, addr, &v);
	if (err) {
		cs_error_destroy(err);
		return -UNW_EINVAL;
	}
	*valp = v;
	return 0;
}

static int acc_access_reg(unw_addr_space_t as, unw_regnum_t reg,
			  unw_word_t *valp, int write, void *arg)
{
	(void)as;
	struct uw_ctx *c = arg;
	if (reg < 0 || reg >= NREGS)
		return -UNW_EBADREG;
	if (write) {
		c->regs[reg] = *valp;
		c->valid[reg] = true;
		return 0;
	}
	if (!c->valid[reg])
		return -UNW_EBADREG;
	*valp = c->regs[reg];
	return 0;
}

static int acc_access_fpreg(unw_addr_space_t as, unw_regnum_t reg,
			    unw_fpreg_t *val, int write, void *arg)
{
	(void)as;
	(void)reg;
	(void)val;
	(void)write;
	(void)arg;
	return -UNW_EBADREG;
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *cur, void *arg)
{
	(void)as;
	(void)cur;
	(void)arg;
	return -UNW_EINVAL;
}

static int acc_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf,
			     size_t len, unw_word_t *offp, void *arg)
{
	(void)as;
	struct uw_ctx *c = arg;
	const char *name;
	uint64_t off;
	if (!len || !cw_symbolize(c->core, addr, &name, &off, NULL))
		return -UNW_ENOINFO;
	snprintf(buf, len, "%s", name);
	*offp = off;
	return 0;
}

static unw_accessors_t accessors = {
	.find_proc_info = acc_find_proc_info,
	.put_unwind_info = acc_put_unwind_info,
	.get_dyn_info_list_addr = acc_get_dyn_info_list_addr,
	.access_mem = acc_access_mem,
	.access_reg = acc_access_reg,
	.access_fpreg = acc_access_fpreg,
	.resume = acc_resume,
	.get_proc_name = acc_get_proc_name,
};

/* ------------------------------------------------------------------ */
/* Stepping                                                            */
/* ------------------------------------------------------------------ */

/* One CFI step.  For caller frames the lookup uses pc-1, inside the call
 * instruction: a call may be the last instruction of its function. */
static bool step_cfi(unw_addr_space_t as, struct uw_ctx *c, bool caller)
{
	struct uw_ctx probe = *c;
	if (caller)
		probe.regs[UNW_X86_64_RIP] -= 1;
	unw_cursor_t cur;
	if (unw_init_remote(&cur, as, &probe) < 0)
		return false;
	if (unw_step(&cur) <= 0)
		return false;
	struct uw_ctx next = *c;
	static const int keep[] = { UNW_X86_64_RBX, UNW_X86_64_RBP,
				    UNW_X86_64_R12, UNW_X86_64_R13,
				    UNW_X86_64_R14, UNW_X86_64_R15 };
	unw_word_t v;
	if (unw_get_reg(&cur, UNW_REG_IP, &v) < 0)
		return false;
	next.regs[UNW_X86_64_RIP] = v;
	if (unw_get_reg(&cur, UNW_REG_SP, &v) < 0)
		return false;
	next.regs[UNW_X86_64_RSP] = v;
	for (size_t i = 0; i < CS_ARRAY_SIZE(keep); i++)
		if (unw_get_reg(&cur, keep[i], &v) == 0)
			next.regs[keep[i]] = v;
	/* Caller-saved registers are unknown in caller frames. */
	static const int clobber[] = { UNW_X86_64_RAX, UNW_X86_64_RDX,
				       UNW_X86_64_RCX, UNW_X86_64_RSI,
				       UNW_X86_64_RDI, UNW_X86_64_R8,
				       UNW_X86_64_R9, UNW_X86_64_R10,
				       UNW_X86_64_R11 };
	for (size_t i = 0; i < CS_ARRAY_SIZE(clobber); i++)
		next.valid[clobber[i]] = false;
	*c = next;
	return true;
}

/* A frame whose size the hook knows (Go: pclntab's pcsp). */
static bool step_hook(const struct cw_unwind_hook *hook, struct uw_ctx *c, bool exact)
{
	int64_t delta;
	uint64_t pc = c->regs[UNW_X86_64_RIP], sp = c->regs[UNW_X86_64_RSP];
	if (!hook || !hook->frame_delta || !hook->frame_delta(hook->arg, pc, exact, &delta) ||
	    delta < 0)
		return false;
	uint64_t cfa = sp + (uint64_t)delta + 8, ret, bp;
	struct cs_error *err = cw_read_u64(c->core, cfa - 8, &ret);
	if (err) {
		cs_error_destroy(err);
		return false;
	}
	/* A frame with a size saved the caller's BP just below the return
	 * address (Go's prologue). */
	if (delta > 0) {
		err = cw_read_u64(c->core, cfa - 16, &bp);
		if (err) {
			cs_error_destroy(err);
			return false;
		}
		c->regs[UNW_X86_64_RBP] = bp;
	}
	c->regs[UNW_X86_64_RIP] = ret;
	c->regs[UNW_X86_64_RSP] = cfa;
	return true;
}

static bool step_fp(struct uw_ctx *c)
{
	uint64_t fp = c->regs[UNW_X86_64_RBP];
	if (!c->valid[UNW_X86_64_RBP] || fp == 0 || (fp & 7))
		return false;
	uint64_t saved_fp, ret;
	struct cs_error *err = cw_read_u64(c->core, fp, &saved_fp);
	if (!err)
		err = cw_read_u64(c->core, fp + 8, &ret);
	if (err) {
		cs_error_destroy(err);
		return false;
	}
	c->regs[UNW_X86_64_RBP] = saved_fp;
	c->regs[UNW_X86_64_RIP] = ret;
	c->regs[UNW_X86_64_RSP] = fp + 16;
	return true;
}

/* Is pc a signal-return trampoline (sa_restorer)?  The kernel leaves
 * rsp pointing at the ucontext when the handler returns into it. */
static bool is_sigreturn(struct cw_core *core, uint64_t pc)
{
	/* mov $15 (rt_sigreturn), %rax; syscall — what every x86_64
	 * restorer is, with or without a symbol (glibc's __restore_rt is
	 * local and stripped from libc's dynamic symbols). */
	static const uint8_t code[9] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	const uint8_t *p = cw_peek(core, pc, sizeof(code));
	if (p && memcmp(p, code, sizeof(code)) == 0)
		return true;
	const char *name;
	uint64_t off;
	if (!cw_symbolize(core, pc, &name, &off, NULL))
		return false;
	return strcmp(name, "__restore_rt") == 0 ||
	       strcmp(name, "runtime.sigreturn__sigaction") == 0 ||
	       strcmp(name, "runtime.sigreturn.abi0") == 0 ||
	       strcmp(name, "runtime.sigreturn") == 0;
}

/*
 * Step through a signal frame: x86_64 ucontext_t is uc_flags, uc_link,
 * uc_stack (24 bytes), then mcontext gregs in the order R8 R9 R10 R11 R12
 * R13 R14 R15 RDI RSI RBP RBX RDX RAX RCX RSP RIP (sys/ucontext.h).
 */
static bool step_signal(struct uw_ctx *c)
{
	uint64_t g[17];
	uint64_t uc = c->regs[UNW_X86_64_RSP];
	struct cs_error *err = cw_read(c->core, uc + 40, g, sizeof(g));
	if (err) {
		cs_error_destroy(err);
		return false;
	}
	static const int map[17] = {
		UNW_X86_64_R8, UNW_X86_64_R9, UNW_X86_64_R10, UNW_X86_64_R11,
		UNW_X86_64_R12, UNW_X86_64_R13, UNW_X86_64_R14, UNW_X86_64_R15,
		UNW_X86_64_RDI, UNW_X86_64_RSI, UNW_X86_64_RBP, UNW_X86_64_RBX,
		UNW_X86_64_RDX, UNW_X86_64_RAX, UNW_X86_64_RCX, UNW_X86_64_RSP,
		UNW_X86_64_RIP,
	};
	for (int i = 0; i < 17; i++) {
		c->regs[map[i]] = g[i];
		c->valid[map[i]] = true;
	}
	return true;
}

struct cs_error *cw_thread_backtrace(struct cw_core *core,
				     const struct cw_thread *thread,
				     const struct cw_unwind_hook *hook,
				     struct cw_frame *frames, size_t max,
				     size_t *n_ret, const char **stop_ret)
{
	unw_addr_space_t as = unw_create_addr_space(&accessors, 0);
	if (!as)
		return cs_error_create(CS_ERR_NOMEM, "libunwind: cannot create an address space");
	unw_set_caching_policy(as, UNW_CACHE_NONE);

	struct uw_ctx c = { .core = core };
	regs_from_thread(&c, &thread->regs);
	const char *stop = NULL, *method = "regs";
	size_t n = 0;
	while (n < max) {
		uint64_t pc = c.regs[UNW_X86_64_RIP];
		uint64_t sp = c.regs[UNW_X86_64_RSP];
		if (pc == 0)
			break;	/* the outermost frame */
		struct cw_frame *fr = &frames[n];
		memset(fr, 0, sizeof(*fr));
		fr->pc = pc;
		fr->sp = sp;
		fr->method = method;
		/* Symbolize the call site, not the return address; a pc
		 * restored from a signal frame is exact. */
		bool exact = n == 0 || strcmp(method, "signal") == 0;
		uint64_t lookup = exact ? pc : pc - 1;
		if (cw_symbolize(core, lookup, &fr->symbol, &fr->symbol_offset,
				 &fr->module))
			fr->symbol_offset += pc - lookup;
		n++;

		bool sig = is_sigreturn(core, pc);
		if (sig && !fr->symbol)
			fr->symbol = "<signal handler called>";
		if (sig && step_signal(&c)) {
			/* The interrupted pc is exact: no pc-1 for the next
			 * lookup, and its stack may be anywhere (another stack
			 * than the signal handler's). */
			method = "signal";
			fr->cfa = c.regs[UNW_X86_64_RSP];
			continue;
		} else if (step_hook(hook, &c, exact)) {
			method = "hook";
		} else if (step_cfi(as, &c, !exact)) {
			method = "cfi";
		} else if (step_fp(&c)) {
			method = "fp";
		} else {
			stop = cw_probe(core, sp) == CS_FAULT_NONE
				       ? NULL
				       : "stack memory not in the dump";
			break;
		}
		fr->cfa = c.regs[UNW_X86_64_RSP];
		/* Stacks grow down: every caller frame sits higher.  Anything
		 * else is a loop or garbage. */
		if (c.regs[UNW_X86_64_RSP] <= sp) {
			stop = "stack pointer did not increase (corrupt stack or loop)";
			break;
		}
	}
	if (n == max)
		stop = "frame limit reached";
	unw_destroy_addr_space(as);
	*n_ret = n;
	*stop_ret = stop;
	return NULL;
}
