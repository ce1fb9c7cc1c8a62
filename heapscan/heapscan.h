/*
 * heapscan.h — the Go runtime model of a core.  Prefix: hs_.
 *
 * heapscan turns core memory (read only through corewalk) into Go runtime
 * facts: the Go version, runtime layouts, pclntab, type descriptors, heap
 * objects, goroutines and roots.
 */
#ifndef CORESCOPE_HEAPSCAN_H
#define CORESCOPE_HEAPSCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "cs.h"
#include "corewalk.h"

/* ------------------------------------------------------------------ */
/* Build information (.go.buildinfo)                                   */
/* ------------------------------------------------------------------ */

struct hs_buildinfo {
	char *version;		/* "go1.26.8", as the toolchain wrote it */
	int major, minor, patch;	/* 1, 26, 8; patch 0 for "go1.21" */
	char *modinfo;		/* module and build settings text, or NULL */
	char *main_path;	/* "path" line of modinfo, or NULL */
	char *experiments;	/* GOEXPERIMENT build setting, or NULL */
	uint64_t addr;		/* where the .go.buildinfo header is */
	enum cw_source source;	/* where its bytes came from */
};

/*
 * Read the Go version and build settings from the .go.buildinfo section of
 * the process image (located through the executable's section headers, or
 * by its 16-byte-aligned magic in the executable's data when there is no
 * executable).  Errors: CS_ERR_NOT_FOUND (not a Go program, or the bytes
 * are not in the dump), CS_ERR_BAD_DATA.
 */
CS_PUBLIC struct cs_error *hs_buildinfo_read(struct cw_core *core,
					     struct hs_buildinfo **ret) CS_MUST_CHECK;
CS_PUBLIC void hs_buildinfo_destroy(struct hs_buildinfo *bi);

/* True if the experiment (e.g. "noswissmap") is in the build's
 * GOEXPERIMENT list. */
CS_PUBLIC bool hs_buildinfo_has_experiment(const struct hs_buildinfo *bi,
					   const char *name);

/* ------------------------------------------------------------------ */
/* The program                                                         */
/* ------------------------------------------------------------------ */

/* The Go runtime view of a core: version, runtime layout, symbols,
 * modules and pclntab.  Borrows the core, which must outlive it. */
struct hs_program;

/*
 * Build the program view.  Errors: CS_ERR_NOT_FOUND (not a Go program),
 * CS_ERR_UNSUPPORTED (a Go release or build we cannot read; the message
 * says which and what is supported), CS_ERR_BAD_DATA.  Partial problems
 * go to the core's warnings.
 */
CS_PUBLIC struct cs_error *hs_program_open(struct cw_core *core,
					   struct hs_program **ret) CS_MUST_CHECK;
CS_PUBLIC void hs_program_destroy(struct hs_program *p);
CS_PUBLIC struct cw_core *hs_program_core(const struct hs_program *p);
CS_PUBLIC const struct hs_buildinfo *hs_program_buildinfo(const struct hs_program *p);
/* Where the runtime layout came from: "DWARF" or "built-in table …". */
CS_PUBLIC const char *hs_program_layout_source(const struct hs_program *p);

/* One runtime layout value, by descriptor id ("mspan.elemsize",
 * "c.pageSize"), for `corescope dev-layout`. */
struct hs_layout_entry {
	const char *id;
	const char *dwarf_struct, *dwarf_member;
	int kind;		/* 0 member offset, 1 struct size, 2 constant */
	bool ok;
	int64_t value;
	uint32_t size;
};
CS_PUBLIC size_t hs_program_layout_count(void);
CS_PUBLIC void hs_program_layout_entry(const struct hs_program *p, size_t i,
				       struct hs_layout_entry *ret);

#endif /* CORESCOPE_HEAPSCAN_H */
