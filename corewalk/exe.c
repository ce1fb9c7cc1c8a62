/*
 * exe.c — find the executable and shared objects, check the executable's
 * identity, and compute the overlays that fill in file-backed memory the
 * dump left out.
 *
 * Kernel cores omit file-backed read-only mappings under the default
 * coredump_filter 0x33 (text, rodata, and with them Go's pclntab and type
 * descriptors) but keep the first page of each ELF mapping, which holds the
 * headers and the build-id notes.  So: compare build ids from that page
 * with the file's, then serve the missing bytes from the file.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAX_FILES 4096

/* ------------------------------------------------------------------ */
/* ELF images (executable or shared object files)                      */
/* ------------------------------------------------------------------ */

struct elf_view {
	const uint8_t *p;
	size_t size;
	Elf64_Ehdr eh;
};

/* Validate the header of an ELF image; NULL error text on success. */
static const char *elf_view_init(struct elf_view *v, const uint8_t *p,
				 size_t size)
{
	v->p = p;
	v->size = size;
	if (size < sizeof(Elf64_Ehdr) || memcmp(p, ELFMAG, SELFMAG) != 0)
		return "not an ELF file";
	memcpy(&v->eh, p, sizeof(v->eh));
	if (v->eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    v->eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    v->eh.e_machine != EM_X86_64)
		return "not an x86_64 ELF64 file";
	if (v->eh.e_type == ET_CORE)
		return "a core file, not an executable";
	if (v->eh.e_type != ET_EXEC && v->eh.e_type != ET_DYN)
		return "not an executable or shared object";
	if (v->eh.e_phentsize != sizeof(Elf64_Phdr) || v->eh.e_phoff > size ||
	    v->eh.e_phnum > (size - v->eh.e_phoff) / sizeof(Elf64_Phdr))
		return "program headers outside the file";
	return NULL;
}

static bool elf_phdr(const struct elf_view *v, size_t i, Elf64_Phdr *ret)
{
	if (i >= v->eh.e_phnum)
		return false;
	memcpy(ret, v->p + v->eh.e_phoff + i * sizeof(*ret), sizeof(*ret));
	return true;
}

/* Section header i, if the table is sane. */
static bool elf_shdr(const struct elf_view *v, size_t i, Elf64_Shdr *ret)
{
	if (v->eh.e_shentsize != sizeof(Elf64_Shdr) || v->eh.e_shoff > v->size ||
	    i >= v->eh.e_shnum ||
	    v->eh.e_shnum > (v->size - v->eh.e_shoff) / sizeof(Elf64_Shdr))
		return false;
	memcpy(ret, v->p + v->eh.e_shoff + i * sizeof(*ret), sizeof(*ret));
	return true;
}

/* The lowest PT_LOAD address, page-aligned: where the first page of the
 * file is mapped at link time. */
static uint64_t elf_base_vaddr(const struct elf_view *v)
{
	uint64_t lo = UINT64_MAX;
	Elf64_Phdr ph;
	for (size_t i = 0; elf_phdr(v, i, &ph); i++)
		if (ph.p_type == PT_LOAD && ph.p_vaddr - ph.p_offset < lo)
			lo = ph.p_vaddr - ph.p_offset;
	return lo == UINT64_MAX ? 0 : lo & ~(uint64_t)0xfff;
}

/* ------------------------------------------------------------------ */
/* Build ids                                                           */
/* ------------------------------------------------------------------ */

struct build_ids {
	char *gnu;	/* hex */
	char *go;	/* as stored */
};

static char *hex_string(struct cs_arena *a, const uint8_t *p, size_t n)
{
	char *s = cs_arena_alloc(a, 2 * n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = '\0';
	return s;
}

/* Pick the GNU and Go build-id notes out of a block of notes. */
static void scan_id_notes(struct cs_arena *a, const uint8_t *p, size_t n,
			  struct build_ids *ids)
{
	size_t off = 0;
	struct cw_note note;
	bool bad;
	while (cw_next_note(p, n, &off, &note, &bad)) {
		if (note.namesz == 4 && strcmp(note.name, "GNU") == 0 &&
		    note.type == NT_GNU_BUILD_ID && note.descsz && !ids->gnu)
			ids->gnu = hex_string(a, note.desc, note.descsz);
		/* Go's linker writes owner "Go\0\0" (namesz 4), type 4
		 * (ELF_NOTE_GOBUILDID_TAG, cmd/link/internal/ld/elf.go). */
		if ((note.namesz == 3 || note.namesz == 4) &&
		    strcmp(note.name, "Go") == 0 &&
		    note.type == 4 && note.descsz && !ids->go) {
			size_t k = strnlen((const char *)note.desc, note.descsz);
			ids->go = cs_arena_strndup(a, (const char *)note.desc, k);
		}
	}
}

/* A link-address range of notes in an ELF file: PT_NOTE segments and
 * allocated SHT_NOTE sections (Go's GNU build-id section lies outside its
 * PT_NOTE). */
struct note_range {
	uint64_t vaddr, offset, size;
};

static size_t note_ranges(const struct elf_view *v, struct note_range *out,
			  size_t max)
{
	size_t n = 0;
	Elf64_Phdr ph;
	for (size_t i = 0; elf_phdr(v, i, &ph) && n < max; i++)
		if (ph.p_type == PT_NOTE)
			out[n++] = (struct note_range){ ph.p_vaddr, ph.p_offset,
							ph.p_filesz };
	Elf64_Shdr sh;
	for (size_t i = 0; elf_shdr(v, i, &sh) && n < max; i++)
		if (sh.sh_type == SHT_NOTE && (sh.sh_flags & SHF_ALLOC))
			out[n++] = (struct note_range){ sh.sh_addr, sh.sh_offset,
							sh.sh_size };
	return n;
}

static void file_build_ids(struct cs_arena *a, const struct elf_view *v,
			   struct build_ids *ids)
{
	struct note_range r[32];
	size_t n = note_ranges(v, r, CS_ARRAY_SIZE(r));
	for (size_t i = 0; i < n; i++)
		if (r[i].offset <= v->size && r[i].size <= v->size - r[i].offset)
			scan_id_notes(a, v->p + r[i].offset, (size_t)r[i].size, ids);
}

/* Read the same note ranges out of the core's own saved bytes. */
static void core_build_ids(struct cw_core *core, const struct note_range *r,
			   size_t n, uint64_t bias, struct build_ids *ids)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i].size == 0 || r[i].size > 65536)
			continue;
		const uint8_t *p = cw_peek(core, r[i].vaddr + bias, (size_t)r[i].size);
		if (p)
			scan_id_notes(&core->arena, p, (size_t)r[i].size, ids);
	}
}

/* Without the file: parse the program headers the process had in memory
 * (AT_PHDR) and scan its PT_NOTE segments. */
static void core_build_ids_from_memory(struct cw_core *core, struct build_ids *ids)
{
	uint64_t phdr, phnum;
	if (!cw_core_auxv(core, AT_PHDR, &phdr) ||
	    !cw_core_auxv(core, AT_PHNUM, &phnum) || phnum > 256)
		return;
	uint64_t bias = 0;
	bool have_bias = false;
	struct note_range r[16];
	size_t n = 0;
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;
		const void *p = cw_peek(core, phdr + i * sizeof(ph), sizeof(ph));
		if (!p)
			return;
		memcpy(&ph, p, sizeof(ph));
		if (ph.p_type == PT_PHDR) {
			bias = phdr - ph.p_vaddr;
			have_bias = true;
		}
		if (ph.p_type == PT_NOTE && n < CS_ARRAY_SIZE(r))
			r[n++] = (struct note_range){ ph.p_vaddr, ph.p_offset,
						      ph.p_filesz };
	}
	if (!have_bias) {
		/* No PT_PHDR (Go's internal linker writes one for PIE only):
		 * static executables are not relocated. */
		bias = 0;
	}
	core_build_ids(core, r, n, bias, ids);
}

/* ------------------------------------------------------------------ */
/* Opening files                                                       */
/* ------------------------------------------------------------------ */

static struct cs_error *map_file(const char *path, const uint8_t **image_ret,
				 size_t *size_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cs_error_os(errno, "%s", path);
	struct stat st;
	struct cs_error *err = NULL;
	if (fstat(fd, &st) < 0) {
		err = cs_error_os(errno, "%s: stat", path);
	} else if (!S_ISREG(st.st_mode)) {
		err = cs_error_create(CS_ERR_OS, "%s: not a regular file", path);
	} else if (st.st_size == 0) {
		err = cs_error_create(CS_ERR_BAD_DATA, "%s: empty file", path);
	} else {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			       fd, 0);
		if (p == MAP_FAILED) {
			err = cs_error_os(errno, "%s: mmap", path);
		} else {
			*image_ret = p;
			*size_ret = (size_t)st.st_size;
		}
	}
	close(fd);
	return err;
}

static char *join_sysroot(struct cs_arena *a, const char *sysroot,
			  const char *path)
{
	if (!sysroot || !*sysroot)
		return cs_arena_strndup(a, path, strlen(path));
	return cs_arena_printf(a, "%s%s%s", sysroot,
			       path[0] == '/' || sysroot[strlen(sysroot) - 1] == '/'
				       ? "" : "/",
			       path);
}

static struct cw_file *add_file(struct cw_core *core, const char *path,
				const uint8_t *image, size_t size)
{
	struct cw_file f = { 0 };
	f.path = cs_arena_strndup(&core->arena, path, strlen(path));
	f.image = image;
	f.size = size;
	if (!f.path || !cs_grow((void **)&core->files, &core->files_cap,
				core->nfiles + 1, sizeof(f)))
		return NULL;
	core->files[core->nfiles] = f;
	return &core->files[core->nfiles++];
}

/* Record the unwinding facts of a file: text range and .eh_frame_hdr. */
static void file_facts(struct cw_file *f, const struct elf_view *v)
{
	Elf64_Phdr ph;
	f->text_lo = UINT64_MAX;
	f->text_hi = 0;
	for (size_t i = 0; elf_phdr(v, i, &ph); i++) {
		if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
			f->text_lo = CS_MIN(f->text_lo, ph.p_vaddr);
			f->text_hi = CS_MAX(f->text_hi, ph.p_vaddr + ph.p_memsz);
		}
		if (ph.p_type == PT_GNU_EH_FRAME) {
			f->eh_frame_hdr = ph.p_vaddr;
			f->eh_frame_hdr_size = ph.p_memsz;
		}
	}
	if (f->text_lo == UINT64_MAX)
		f->text_lo = 0;
}

/* ------------------------------------------------------------------ */
/* The main executable                                                 */
/* ------------------------------------------------------------------ */

/* The NT_FILE entry that maps the address, or NULL. */
static const struct cw_file_map *fmap_at(struct cw_core *core, uint64_t addr)
{
	for (size_t i = 0; i < core->nfmaps; i++)
		if (addr >= core->fmaps[i].start && addr < core->fmaps[i].end)
			return &core->fmaps[i];
	return NULL;
}

static void find_core_exe_path(struct cw_core *core)
{
	uint64_t entry = 0, v;
	const struct cw_file_map *m = NULL;
	if (cw_core_auxv(core, AT_ENTRY, &entry))
		m = fmap_at(core, entry);
	if (!m && cw_core_auxv(core, AT_PHDR, &v))
		m = fmap_at(core, v);
	if (m) {
		core->exe.core_path = m->path;
		return;
	}
	/* No NT_FILE: AT_EXECFN points at the name the process was started
	 * with, on its stack. */
	char *s = NULL;
	if (cw_core_auxv(core, AT_EXECFN, &v)) {
		struct cs_error *err = cw_read_cstr(core, v, 4096, &s);
		if (err)
			cs_error_destroy(err);
		else if (s[0])
			core->exe.core_path = cs_arena_strndup(&core->arena, s,
							       strlen(s));
		free(s);
	}
}

static struct cs_error *check_identity(struct cw_core *core,
				       const struct cw_open_options *opts,
				       const struct elf_view *v,
				       struct build_ids *file_ids,
				       struct build_ids *core_ids)
{
	struct cw_exe *exe = &core->exe;
	bool compared = false;
	const char *what = NULL, *want = NULL, *got = NULL;
	if (file_ids->go && core_ids->go) {
		compared = true;
		if (strcmp(file_ids->go, core_ids->go) != 0) {
			what = "Go build id";
			want = core_ids->go;
			got = file_ids->go;
		}
	}
	if (!what && file_ids->gnu && core_ids->gnu) {
		compared = true;
		if (strcmp(file_ids->gnu, core_ids->gnu) != 0) {
			what = "GNU build id";
			want = core_ids->gnu;
			got = file_ids->gnu;
		}
	}
	uint64_t entry;
	if (!what && v->eh.e_type == ET_EXEC &&
	    cw_core_auxv(core, AT_ENTRY, &entry) && entry != v->eh.e_entry) {
		/* Not relocatable: the entry point must be where it was. */
		compared = true;
		what = "entry point";
		want = cs_arena_printf(&core->arena, "0x%llx",
				       (unsigned long long)entry);
		got = cs_arena_printf(&core->arena, "0x%llx",
				      (unsigned long long)v->eh.e_entry);
	}
	if (what) {
		if (!opts->force)
			return cs_error_create(
				CS_ERR_MISMATCH,
				"%s: executable %s %s %s does not match the core's %s (use --exe with the right file, or --force)",
				core->path, exe->path, what, got ? got : "?",
				want ? want : "?");
		cs_warn(&core->warnings, false,
			"%s: executable %s %s %s does not match the core's %s; continuing because of --force",
			core->path, exe->path, what, got ? got : "?",
			want ? want : "?");
		exe->status = CW_EXE_MISMATCH;
		return NULL;
	}
	if (compared) {
		exe->status = CW_EXE_MATCH;
	} else {
		exe->status = CW_EXE_UNVERIFIED;
		cs_warn(&core->warnings, false,
			"%s: the dump holds no build id of the executable; %s is used unverified",
			core->path, exe->path);
	}
	return NULL;
}

static struct cs_error *open_exe(struct cw_core *core,
				 const struct cw_open_options *opts)
{
	struct cw_exe *exe = &core->exe;
	const char *path = NULL;
	if (opts->exe_path) {
		path = opts->exe_path;
		exe->how_found = "--exe";
	} else if (exe->core_path && exe->core_path[0] == '/') {
		path = join_sysroot(&core->arena, opts->sysroot, exe->core_path);
		exe->how_found = opts->sysroot ? "--sysroot + core" : "core (NT_FILE)";
	}
	if (!path) {
		if (!opts->no_files)
			cs_warn(&core->warnings, false,
				"%s: the core does not name its executable; pass --exe",
				core->path);
		return NULL;
	}

	const uint8_t *image;
	size_t size;
	struct cs_error *err = map_file(path, &image, &size);
	if (err) {
		if (opts->exe_path)
			return err;	/* the user asked for this file */
		cs_warn(&core->warnings, false,
			"%s: executable %s named in the core cannot be opened (%s); pass --exe or --sysroot",
			core->path, path, err->message);
		cs_error_destroy(err);
		return NULL;
	}
	struct elf_view v;
	const char *why = elf_view_init(&v, image, size);
	if (why) {
		munmap((void *)image, size);
		return cs_error_create(CS_ERR_BAD_DATA, "%s: %s", path, why);
	}
	struct cw_file *f = add_file(core, path, image, size);
	if (!f) {
		munmap((void *)image, size);
		return &cs_error_nomem;
	}
	f->is_exe = true;
	exe->path = f->path;
	exe->image = image;
	exe->image_size = size;
	exe->pie = v.eh.e_type == ET_DYN;

	/* Where the process had the executable: the NT_FILE mapping of its
	 * first page says so without trusting this file; a PIE's entry
	 * point (AT_ENTRY) says so only if the file is the right one. */
	uint64_t entry, hdr = 0;
	for (size_t i = 0; exe->core_path && i < core->nfmaps; i++)
		if (core->fmaps[i].file_offset == 0 &&
		    strcmp(core->fmaps[i].path, exe->core_path) == 0) {
			hdr = core->fmaps[i].start;
			break;
		}
	if (exe->pie && hdr)
		exe->load_bias = hdr - elf_base_vaddr(&v);
	else if (exe->pie && cw_core_auxv(core, AT_ENTRY, &entry))
		exe->load_bias = entry - v.eh.e_entry;
	f->bias = exe->load_bias;
	f->bias_known = true;
	file_facts(f, &v);

	/* The core's ids: from its own program headers in memory first,
	 * then from where this file's note sections would be. */
	struct build_ids fids = { 0 }, cids = { 0 };
	file_build_ids(&core->arena, &v, &fids);
	core_build_ids_from_memory(core, &cids);
	struct note_range r[32];
	size_t n = note_ranges(&v, r, CS_ARRAY_SIZE(r));
	core_build_ids(core, r, n, exe->load_bias, &cids);
	exe->gnu_build_id = fids.gnu;
	exe->go_build_id = fids.go;
	exe->core_gnu_build_id = cids.gnu;
	exe->core_go_build_id = cids.go;
	if (cids.go)
		core->core_go_build_id = cids.go;
	return check_identity(core, opts, &v, &fids, &cids);
}

/* ------------------------------------------------------------------ */
/* Overlays                                                            */
/* ------------------------------------------------------------------ */

struct ov_vec {
	struct cw_overlay *v;
	size_t n, cap;
};

static bool add_overlay(struct cw_core *core, struct ov_vec *ov,
			uint64_t start, uint64_t end, uint64_t file_offset,
			const struct cw_file *f)
{
	/* Never serve bytes past the end of the file (they would fault in
	 * the process too). */
	if (file_offset >= f->size || start >= end)
		return true;
	uint64_t avail = f->size - file_offset;
	if (end - start > avail)
		end = start + avail;
	struct cw_overlay o = { start, end, file_offset,
				(size_t)(f - core->files) };
	return CS_PUSH(ov->v, ov->n, ov->cap, o);
}

/* Overlays for the executable: its NT_FILE mappings when the core has
 * them, else its read-only PT_LOAD segments at the load bias. */
static bool exe_overlays(struct cw_core *core, struct cw_file *f,
			 struct ov_vec *ov)
{
	bool any = false;
	for (size_t i = 0; i < core->nfmaps; i++) {
		const struct cw_file_map *m = &core->fmaps[i];
		if (core->exe.core_path && strcmp(m->path, core->exe.core_path) == 0) {
			if (!add_overlay(core, ov, m->start, m->end,
					 m->file_offset, f))
				return false;
			any = true;
		}
	}
	if (any)
		return true;
	struct elf_view v;
	if (elf_view_init(&v, f->image, f->size))
		return true;
	Elf64_Phdr ph;
	for (size_t i = 0; elf_phdr(&v, i, &ph); i++)
		if (ph.p_type == PT_LOAD && !(ph.p_flags & PF_W) &&
		    !add_overlay(core, ov, ph.p_vaddr + f->bias,
				 ph.p_vaddr + f->bias + ph.p_filesz, ph.p_offset, f))
			return false;
	return true;
}

/* Is this NT_FILE path a file we could open (not a pseudo file)? */
static bool real_path(const char *p)
{
	if (p[0] != '/')
		return false;
	if (strncmp(p, "/dev/", 5) == 0 || strncmp(p, "/memfd:", 7) == 0 ||
	    strncmp(p, "/SYSV", 5) == 0)
		return false;
	size_t n = strlen(p);
	return !(n > 10 && strcmp(p + n - 10, " (deleted)") == 0);
}

/* Shared objects: one cw_file per distinct NT_FILE path that opens as an
 * ELF file whose first page agrees with what the core saved of it. */
static struct cs_error *library_overlays(struct cw_core *core,
					 const struct cw_open_options *opts,
					 struct ov_vec *ov)
{
	for (size_t i = 0; i < core->nfmaps; i++) {
		const struct cw_file_map *m = &core->fmaps[i];
		if (!real_path(m->path) ||
		    (core->exe.core_path && strcmp(m->path, core->exe.core_path) == 0))
			continue;
		/* One file per path: earlier entries of the same path opened it. */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(core->fmaps[j].path, m->path) == 0;
		if (seen)
			continue;
		if (core->nfiles >= MAX_FILES)
			break;
		char *path = join_sysroot(&core->arena, opts->sysroot, m->path);
		const uint8_t *image;
		size_t size;
		struct cs_error *err = path ? map_file(path, &image, &size)
					    : &cs_error_nomem;
		if (err) {
			cs_error_destroy(err);
			continue;	/* not here: its text stays "not saved" */
		}
		struct elf_view v;
		if (elf_view_init(&v, image, size)) {
			munmap((void *)image, size);
			continue;
		}
		/* The mapping of file offset 0 is where the headers are. */
		uint64_t hdr = 0;
		for (size_t j = 0; j < core->nfmaps; j++)
			if (strcmp(core->fmaps[j].path, m->path) == 0 &&
			    core->fmaps[j].file_offset == 0) {
				hdr = core->fmaps[j].start;
				break;
			}
		size_t cmp = CS_MIN(size, (size_t)4096);
		const uint8_t *saved = hdr ? cw_peek(core, hdr, cmp) : NULL;
		if (saved && memcmp(saved, image, cmp) != 0) {
			cs_warn(&core->warnings, false,
				"%s: %s differs from the copy the process mapped; its missing text is left unread",
				core->path, path);
			munmap((void *)image, size);
			continue;
		}
		struct cw_file *f = add_file(core, path, image, size);
		if (!f) {
			munmap((void *)image, size);
			return &cs_error_nomem;
		}
		if (hdr) {
			f->bias = hdr - elf_base_vaddr(&v);
			f->bias_known = true;
		}
		file_facts(f, &v);
		for (size_t j = i; j < core->nfmaps; j++)
			if (strcmp(core->fmaps[j].path, m->path) == 0 &&
			    !add_overlay(core, ov, core->fmaps[j].start,
					 core->fmaps[j].end,
					 core->fmaps[j].file_offset, f))
				return &cs_error_nomem;
	}
	return NULL;
}

struct cs_error *cw_setup_files(struct cw_core *core,
				const struct cw_open_options *opts)
{
	find_core_exe_path(core);
	struct build_ids mem_ids = { 0 };
	core_build_ids_from_memory(core, &mem_ids);
	core->core_go_build_id = mem_ids.go;

	if (opts->no_files)
		return NULL;
	struct cs_error *err = open_exe(core, opts);
	if (err)
		return err;

	struct ov_vec ov = { 0 };
	if (core->nfiles && core->files[0].is_exe &&
	    !exe_overlays(core, &core->files[0], &ov)) {
		free(ov.v);
		return &cs_error_nomem;
	}
	err = library_overlays(core, opts, &ov);
	if (!err)
		err = cw_build_regions(core, ov.v, ov.n);
	free(ov.v);
	return err;
}

struct cs_error *cw_setup_image(struct cw_core *core)
{
	struct elf_view v;
	const char *why = elf_view_init(&v, core->in.data, core->in.size);
	if (why)
		return cs_error_create(CS_ERR_BAD_DATA, "%s: %s", core->path, why);
	/* The image is its own executable; the file record borrows the
	 * input's bytes (cw_input_release unmaps them). */
	struct cw_file *f = add_file(core, core->path, core->in.data, core->in.size);
	if (!f)
		return &cs_error_nomem;
	f->is_exe = true;
	f->borrowed = true;
	f->bias_known = true;
	file_facts(f, &v);
	struct cw_exe *exe = &core->exe;
	exe->status = CW_EXE_MATCH;
	exe->path = f->path;
	exe->core_path = f->path;
	exe->how_found = "image";
	exe->image = f->image;
	exe->image_size = f->size;
	exe->pie = v.eh.e_type == ET_DYN;
	struct build_ids ids = { 0 };
	file_build_ids(&core->arena, &v, &ids);
	exe->gnu_build_id = exe->core_gnu_build_id = ids.gnu;
	exe->go_build_id = exe->core_go_build_id = ids.go;
	core->core_go_build_id = ids.go;
	return NULL;
}

void cw_files_release(struct cw_core *core)
{
	for (size_t i = 0; i < core->nfiles; i++) {
		if (!core->files[i].borrowed)
			munmap((void *)core->files[i].image, core->files[i].size);
		free(core->files[i].syms);
	}
	free(core->files);
	core->files = NULL;
	core->nfiles = 0;
}

struct cw_file *cw_file_for_addr(struct cw_core *core, uint64_t addr)
{
	for (size_t i = 0; i < core->nfiles; i++) {
		struct cw_file *f = &core->files[i];
		if (f->bias_known && f->text_hi > f->text_lo &&
		    addr - f->bias >= f->text_lo && addr - f->bias < f->text_hi)
			return f;
	}
	return NULL;
}
