/*
 * internal.h — corewalk's private structures.  Only corewalk sources include it.
 */
#ifndef CORESCOPE_COREWALK_INTERNAL_H
#define CORESCOPE_COREWALK_INTERNAL_H

#include <stdatomic.h>

#include "corewalk.h"

/* ------------------------------------------------------------------ */
/* Input: the bytes of the ELF core, mapped or decompressed             */
/* ------------------------------------------------------------------ */

struct cw_input {
	const uint8_t *data;	/* the ELF core image */
	size_t size;		/* valid bytes at data */
	void *map;		/* what to munmap */
	size_t map_size;
	bool compressed;
	bool stream_truncated;	/* the compressed stream ended early */
	uint64_t file_size;	/* bytes consumed from the file/stream */
	uint64_t resident;	/* sparse mapping: bytes of non-zero pages */
	char *stream_error;	/* why the stream ended early, if it did */
};

/* Load path ("-" = stdin) into in.  Plain regular files are mmap'ed;
 * streams and zstd input go to a sparse anonymous mapping. */
struct cs_error *cw_input_load(const char *path, struct cw_input *in);
void cw_input_release(struct cw_input *in);
/* Use size bytes at data (borrowed; zstd input is decompressed). */
struct cs_error *cw_input_from_buffer(const void *data, size_t size, struct cw_input *in);

/*
 * A growable anonymous mapping that stays sparse: cw_sparse_write() copies
 * only the non-zero 4 KiB pieces of what it is given, so zero runs never
 * become resident.
 */
struct cw_sparse {
	uint8_t *base;
	size_t cap;		/* bytes mapped */
	size_t len;		/* logical length written so far */
	uint64_t resident;	/* bytes copied (non-zero pieces) */
};
struct cs_error *cw_sparse_init(struct cw_sparse *s, size_t initial);
struct cs_error *cw_sparse_write(struct cw_sparse *s, const void *buf, size_t n);
void cw_sparse_deinit(struct cw_sparse *s);

/*
 * The same in threads: the caller takes a buffer (cw_sparse_feed_buffer:
 * one of CW_FEED_BUFS of bufsize bytes, waiting for one to be free), fills
 * it and submits it, which gives it its place at the end of the mapping;
 * copier threads copy it in meanwhile.  cw_sparse_feed_end waits for
 * them and adds what they copied to s->resident (s NULL: on failure).
 * Without threads the submit copies.
 */
#define CW_FEED_BUFS 4
struct cw_sparse_feed;
struct cs_error *cw_sparse_feed_start(struct cw_sparse *s, size_t bufsize,
				      struct cw_sparse_feed **ret);
uint8_t *cw_sparse_feed_buffer(struct cw_sparse_feed *f);
struct cs_error *cw_sparse_feed_submit(struct cw_sparse_feed *f, uint8_t *p, size_t n);
void cw_sparse_feed_end(struct cw_sparse_feed *f, struct cw_sparse *s);

/*
 * zstd: magic check, and decompression of a whole stream into a sparse
 * mapping.  The compressed bytes are prefix[0..prefix_len) followed by
 * whatever read_fn supplies (read_fn NULL: prefix is all of it).  read_fn
 * returns bytes read, 0 at EOF, -1 on error (errno set).  A stream that
 * ends early or turns corrupt after some output is not an error: the
 * output so far is kept and in->stream_truncated is set.
 */
bool cw_is_zstd(const uint8_t *p, size_t n);
typedef long (*cw_read_fn)(void *arg, void *buf, size_t n);
struct cs_error *cw_zstd_decompress(cw_read_fn read_fn, void *arg,
				    const uint8_t *prefix, size_t prefix_len,
				    struct cw_input *in);

/* ------------------------------------------------------------------ */
/* Overlay files (executable, shared objects)                          */
/* ------------------------------------------------------------------ */

struct cw_file {
	char *path;		/* path opened */
	const uint8_t *image;	/* mmap of the whole file (read-only) */
	size_t size;
	bool is_exe;
	bool borrowed;		/* image belongs to someone else */
	/* Symbols for symbolization: loaded lazily. */
	bool syms_loaded;
	struct cw_sym *syms;
	size_t nsyms;
	uint64_t bias;		/* load bias: runtime = link + bias */
	bool bias_known;
	/* .eh_frame_hdr (link address), for libunwind. */
	uint64_t eh_frame_hdr, eh_frame_hdr_size;
	uint64_t text_lo, text_hi;	/* link addresses of PF_X PT_LOADs */
};

struct cw_sym {
	uint64_t addr, size;	/* link address */
	const char *name;	/* points into the file image */
};

/* ------------------------------------------------------------------ */
/* The core                                                            */
/* ------------------------------------------------------------------ */

struct cw_region_int {
	struct cw_region pub;
	const uint8_t *data;	/* bytes of [start, end) for CORE/FILE */
};

struct cw_core {
	struct cw_input in;
	struct cw_input_info info;
	struct cs_warnings warnings;
	struct cs_arena arena;	/* strings and small parse-time data */
	char *path;

	struct cw_segment *segs;
	size_t nsegs;

	struct cw_region_int *regions;
	size_t nregions;
	atomic_size_t last_region;	/* one-entry lookup cache */

	struct cw_process proc;
	struct cw_thread *threads;
	size_t nthreads;
	uint64_t *auxv;		/* pairs */
	size_t nauxv;
	struct cw_file_map *fmaps;
	size_t nfmaps;

	struct cw_exe exe;
	struct cw_file *files;	/* files[0] is the executable when present */
	size_t nfiles, files_cap;
	char *core_go_build_id;
	bool is_image;		/* an executable opened as a memory image */
};

/* A file-backed range the memory map may take from a file instead of
 * the dump: [start, end) at runtime addresses reads files[file].image at
 * file_offset + (addr - start). */
struct cw_overlay {
	uint64_t start, end, file_offset;
	size_t file;		/* index into cw_core.files */
};

/* segments.c */
struct cs_error *cw_parse_elf(struct cw_core *core, bool executable_image);
/* (Re)build the memory map from the segments, taking not-saved or
 * truncated bytes of read-only segments from the overlays. */
struct cs_error *cw_build_regions(struct cw_core *core,
				  const struct cw_overlay *ov, size_t nov);
const struct cw_region_int *cw_find_region(struct cw_core *core, uint64_t addr);

/* notes.c */
struct cw_note {
	const char *name;	/* owner, NUL-terminated within namesz */
	uint32_t namesz, type;
	const uint8_t *desc;
	uint32_t descsz;
};
/* Iterate ELF notes in [p, p+n).  *off is the cursor (start at 0).
 * Returns false at the end or on a malformed note (*bad set). */
bool cw_next_note(const uint8_t *p, size_t n, size_t *off, struct cw_note *ret,
		  bool *bad);
struct cs_error *cw_parse_notes(struct cw_core *core, const uint8_t *p,
				size_t n, uint64_t file_offset);

/* exe.c */
struct cs_error *cw_setup_files(struct cw_core *core,
				const struct cw_open_options *opts);
/* For an executable image: the image is its own executable. */
struct cs_error *cw_setup_image(struct cw_core *core);
void cw_files_release(struct cw_core *core);
/* Find the overlay file covering addr (runtime address), or NULL. */
struct cw_file *cw_file_for_addr(struct cw_core *core, uint64_t addr);

/* symbols.c */
void cw_file_load_symbols(struct cw_core *core, struct cw_file *f);

#endif /* CORESCOPE_COREWALK_INTERNAL_H */
