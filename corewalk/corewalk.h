/*
 * corewalk.h — read Linux ELF core dumps (x86_64).  Prefix: cw_.
 *
 * corewalk knows ELF and Linux cores, not Go.  It gives one answer to
 * "what are the bytes at address A": from the core's PT_LOAD segments, from
 * the executable or a shared object for file-backed read-only ranges the
 * dump left out, or an error that says why the bytes are not there
 * (unmapped, not saved, beyond a truncation).  It never returns zeroes for
 * memory the dump did not save.
 *
 * Lifetime: every pointer and string handed out by a struct cw_core (notes,
 * segments, paths, zero-copy memory) stays valid until cw_core_destroy().
 *
 * Thread safety: after cw_core_open() returns, all read functions may be
 * called from several threads at once.  The warning collector is not
 * thread-safe; callers that warn from several threads serialize themselves.
 */
#ifndef CORESCOPE_COREWALK_H
#define CORESCOPE_COREWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs.h"

struct cw_core;

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

struct cw_open_options {
	/* The executable.  NULL: take the path the core names (NT_FILE),
	 * prefixed with sysroot when set. */
	const char *exe_path;
	/* Prefix for paths found in the core (executable, shared objects). */
	const char *sysroot;
	/* Accept an executable whose build id does not match the core's
	 * (the mismatch becomes a warning). */
	bool force;
	/* Do not look for an executable or shared objects at all. */
	bool no_files;
	/* Accept an ELF executable instead of a core and present it as a
	 * memory image at its link addresses: no threads, no process, and
	 * .bss "not saved".  For static questions (pclntab, types) and for
	 * tests that need no process. */
	bool executable_image;
};

/*
 * Open a core.  path "-" reads standard input.  Input compressed with zstd
 * (systemd-coredump's .zst) is detected by its magic number and
 * decompressed into a sparse anonymous mapping: runs of zero pages are
 * never touched, so a 1 GiB core of mostly reserved arenas costs little
 * memory.  Nothing is written to disk.
 *
 * Errors: CS_ERR_OS (cannot open/read), CS_ERR_BAD_DATA (not an ELF core,
 * corrupt headers), CS_ERR_UNSUPPORTED (not x86_64 little-endian ELF64),
 * CS_ERR_MISMATCH (executable build id differs and !force).  Problems that
 * still allow a partial answer (truncation, unreadable notes, missing
 * executable) are warnings, see cw_core_warnings().
 */
CS_PUBLIC struct cs_error *cw_core_open(const char *path,
					const struct cw_open_options *opts,
					struct cw_core **ret) CS_MUST_CHECK;
/* The same, for a core already in memory (plain or zstd).  A plain
 * buffer is borrowed and must outlive the core; name is used in
 * messages. */
CS_PUBLIC struct cs_error *cw_core_open_buffer(const void *data, size_t size,
					       const char *name,
					       const struct cw_open_options *opts,
					       struct cw_core **ret) CS_MUST_CHECK;
/* Close a core; NULL is a no-op. */
CS_PUBLIC void cw_core_destroy(struct cw_core *core);

/* The collector for partial-data warnings of this core and of every layer
 * built on it. */
CS_PUBLIC struct cs_warnings *cw_core_warnings(struct cw_core *core);

/* ------------------------------------------------------------------ */
/* The input file                                                      */
/* ------------------------------------------------------------------ */

struct cw_input_info {
	const char *path;		/* as given ("-" for stdin) */
	bool compressed;		/* zstd input */
	uint64_t file_size;		/* bytes read from the file/stream */
	uint64_t data_size;		/* bytes of ELF core (decompressed) */
	uint64_t expected_size;		/* ELF core size its headers imply */
	bool truncated;			/* data_size < expected_size, or the
					 * compressed stream ended early */
	uint64_t saved_bytes;		/* sum of PT_LOAD p_filesz */
	uint64_t missing_bytes;		/* of those, bytes cut off */
	uint64_t mapped_bytes;		/* sum of PT_LOAD p_memsz */
	uint64_t resident_bytes;	/* zstd input: bytes actually stored in
					 * the sparse mapping (non-zero pages) */
};
CS_PUBLIC const struct cw_input_info *cw_core_input(const struct cw_core *core);

/* ------------------------------------------------------------------ */
/* Process notes                                                       */
/* ------------------------------------------------------------------ */

struct cw_process {
	bool have_psinfo;		/* NT_PRPSINFO present */
	int pid, ppid, uid, gid;
	char state;			/* 'R', 'S', … */
	char fname[17];			/* command name, NUL-terminated */
	char psargs[81];		/* first 80 bytes of the arguments */
	bool have_siginfo;		/* NT_SIGINFO present */
	int signo, sigcode, sigerrno;
	uint64_t fault_addr;		/* si_addr for SIGSEGV/SIGBUS/... */
};
CS_PUBLIC const struct cw_process *cw_core_process(const struct cw_core *core);

/* General-purpose registers in the kernel's user_regs_struct order. */
struct cw_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
	uint64_t fs_base, gs_base, ds, es, fs, gs;
};

struct cw_thread {
	int tid;
	int cursig;			/* signal being delivered, 0 if none */
	uint64_t sigpend, sighold;
	struct cw_regs regs;
	/* Raw floating-point state, kept for later use; may be NULL. */
	const void *fpregs;		/* NT_PRFPREG (user_fpregs_struct) */
	size_t fpregs_size;
	const void *xstate;		/* NT_X86_XSTATE */
	size_t xstate_size;
};
/* Threads in note order; the first is the one that took the signal in a
 * kernel core. */
CS_PUBLIC size_t cw_core_thread_count(const struct cw_core *core);
CS_PUBLIC const struct cw_thread *cw_core_thread(const struct cw_core *core,
						 size_t i);
/* The thread with OS id tid, or NULL. */
CS_PUBLIC const struct cw_thread *cw_core_find_thread(const struct cw_core *core,
						      int tid);

/* Look up an auxiliary vector entry (AT_*); false if absent. */
CS_PUBLIC bool cw_core_auxv(const struct cw_core *core, uint64_t type,
			    uint64_t *ret);

/* One NT_FILE entry: [start, end) maps path at byte offset file_offset. */
struct cw_file_map {
	uint64_t start, end, file_offset;
	const char *path;
};
CS_PUBLIC size_t cw_core_file_map_count(const struct cw_core *core);
CS_PUBLIC const struct cw_file_map *cw_core_file_map(const struct cw_core *core,
						     size_t i);

/* ------------------------------------------------------------------ */
/* Segments and the memory map                                         */
/* ------------------------------------------------------------------ */

#define CW_PF_X 1u
#define CW_PF_W 2u
#define CW_PF_R 4u

struct cw_segment {
	uint64_t vaddr, memsz;		/* the mapping */
	uint64_t offset, filesz;	/* where the dump put its bytes */
	uint64_t saved;			/* bytes of filesz present in the file */
	uint32_t flags;			/* CW_PF_* */
};
/* PT_LOAD segments sorted by address (overlaps removed, with a warning). */
CS_PUBLIC size_t cw_core_segment_count(const struct cw_core *core);
CS_PUBLIC const struct cw_segment *cw_core_segment(const struct cw_core *core,
						   size_t i);

/* Where the bytes of a range come from. */
enum cw_source {
	CW_SRC_CORE,		/* saved in the core */
	CW_SRC_FILE,		/* overlaid from the executable or a library */
	CW_SRC_NOT_SAVED,	/* mapped, left out of the dump */
	CW_SRC_TRUNCATED,	/* saved, but cut off with the file */
};

/* A contiguous run of the memory map with one source. */
struct cw_region {
	uint64_t start, end;
	enum cw_source source;
	uint32_t flags;			/* CW_PF_* of the segment */
	const char *file;		/* CW_SRC_FILE: the file's path; else the
					 * NT_FILE path of the mapping, or NULL */
};
/* The memory map: every PT_LOAD range split by source, sorted. */
CS_PUBLIC size_t cw_core_region_count(const struct cw_core *core);
CS_PUBLIC const struct cw_region *cw_core_region(const struct cw_core *core,
						 size_t i);
/* The region holding addr, or NULL when no mapping covers it. */
CS_PUBLIC const struct cw_region *cw_core_region_at(struct cw_core *core,
						    uint64_t addr);

/* ------------------------------------------------------------------ */
/* Reading memory: the only way any layer reads core memory            */
/* ------------------------------------------------------------------ */

/*
 * Copy len bytes at addr into buf.  On failure returns CS_ERR_FAULT with
 * err->addr set to the first unreadable address and err->fault saying why.
 * buf may be partly written on failure.
 */
CS_PUBLIC struct cs_error *cw_read(struct cw_core *core, uint64_t addr,
				   void *buf, size_t len) CS_MUST_CHECK;

/*
 * Zero-copy access: a pointer to len readable bytes at addr when they lie in
 * one region, else NULL (no error object is made: this is the fast path for
 * walkers; fall back to cw_read for a message).  len 0 is allowed.
 */
CS_PUBLIC const void *cw_peek(struct cw_core *core, uint64_t addr, size_t len);

/* How many bytes starting at addr are readable contiguously (across
 * regions), capped at max. */
CS_PUBLIC uint64_t cw_readable(struct cw_core *core, uint64_t addr,
			       uint64_t max);

/* Classify an address: CS_FAULT_NONE when it is readable. */
CS_PUBLIC enum cs_fault cw_probe(struct cw_core *core, uint64_t addr);

CS_PUBLIC struct cs_error *cw_read_u8(struct cw_core *core, uint64_t addr,
				      uint8_t *ret) CS_MUST_CHECK;
CS_PUBLIC struct cs_error *cw_read_u16(struct cw_core *core, uint64_t addr,
				       uint16_t *ret) CS_MUST_CHECK;
CS_PUBLIC struct cs_error *cw_read_u32(struct cw_core *core, uint64_t addr,
				       uint32_t *ret) CS_MUST_CHECK;
CS_PUBLIC struct cs_error *cw_read_u64(struct cw_core *core, uint64_t addr,
				       uint64_t *ret) CS_MUST_CHECK;
/* A pointer-sized word (8 bytes on x86_64). */
CS_PUBLIC struct cs_error *cw_read_ptr(struct cw_core *core, uint64_t addr,
				       uint64_t *ret) CS_MUST_CHECK;
/*
 * Read a NUL-terminated string of at most max bytes (excluding the NUL)
 * into a new malloc'ed string in *ret.  A string that is not terminated
 * within max bytes is CS_ERR_BAD_DATA.
 */
CS_PUBLIC struct cs_error *cw_read_cstr(struct cw_core *core, uint64_t addr,
					size_t max, char **ret) CS_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* The executable                                                      */
/* ------------------------------------------------------------------ */

enum cw_exe_status {
	CW_EXE_NONE,		/* no executable found or given */
	CW_EXE_MATCH,		/* build ids compared and equal */
	CW_EXE_UNVERIFIED,	/* the core holds no build id to compare */
	CW_EXE_MISMATCH,	/* ids differ; accepted because of --force */
};

struct cw_exe {
	enum cw_exe_status status;
	const char *path;		/* file opened, or NULL */
	const char *core_path;		/* main executable named in the core */
	const char *how_found;		/* "--exe", "NT_FILE", "sysroot" */
	uint64_t load_bias;		/* runtime address - link address */
	bool pie;			/* ET_DYN */
	/* Build ids as hex strings (GNU) and as stored (Go); NULL if absent. */
	const char *gnu_build_id, *core_gnu_build_id;
	const char *go_build_id, *core_go_build_id;
	/* The whole file, mapped read-only (for libelf/libdw: elf_memory). */
	const uint8_t *image;
	size_t image_size;
};
CS_PUBLIC const struct cw_exe *cw_core_exe(const struct cw_core *core);

/*
 * Go build ID stored in the process image (the .note.go.buildid note of
 * the main executable's first page), or NULL when the dump lacks it.
 */
CS_PUBLIC const char *cw_core_go_build_id(const struct cw_core *core);

/* ------------------------------------------------------------------ */
/* Native backtraces                                                   */
/* ------------------------------------------------------------------ */

struct cw_frame {
	uint64_t pc, sp, cfa;
	const char *symbol;	/* NULL when unknown; valid until destroy */
	uint64_t symbol_offset;
	const char *module;	/* file path of the module, or NULL */
	const char *method;	/* how this frame was found: "regs" (the
				 * thread's registers), "signal" (a saved
				 * ucontext), "hook" (pclntab), "cfi"
				 * (libunwind), "fp" (frame pointers) */
};

/*
 * A frame-size oracle for code corewalk has no CFI for: given a pc (exact
 * when it is not a return address), the stack pointer delta from the
 * frame's entry, so that CFA = sp + delta + 8.  heapscan answers for Go
 * functions from pclntab.
 */
struct cw_unwind_hook {
	bool (*frame_delta)(void *arg, uint64_t pc, bool exact, int64_t *delta_ret);
	void *arg;
};

/*
 * Unwind an OS thread: through signal frames (the ucontext the kernel
 * saved), through code the hook knows (Go: pclntab), through DWARF CFI
 * from .eh_frame via libunwind (read through this core's memory map, so
 * compressed cores work), else along the frame-pointer chain.  hook may
 * be NULL.
 * Writes up to max frames; *n_ret gets the count.  A stop that is not
 * the natural end (unreadable memory, a loop) is reported in *stop_ret
 * (static string) and is not an error.
 */
CS_PUBLIC struct cs_error *cw_thread_backtrace(struct cw_core *core,
					       const struct cw_thread *thread,
					       const struct cw_unwind_hook *hook,
					       struct cw_frame *frames,
					       size_t max, size_t *n_ret,
					       const char **stop_ret) CS_MUST_CHECK;

/* Symbolize an address from the executable and shared objects. */
CS_PUBLIC bool cw_symbolize(struct cw_core *core, uint64_t addr,
			    const char **name_ret, uint64_t *offset_ret,
			    const char **module_ret);

#endif /* CORESCOPE_COREWALK_H */
