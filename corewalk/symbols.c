/*
 * symbols.c — symbolize native addresses from the ELF symbol tables of the
 * executable and shared objects (loaded on first use).
 */
#include "config.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int sym_cmp(const void *a, const void *b)
{
	const struct cw_sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Prefer sized symbols at the same address. */
	return x->size > y->size ? -1 : x->size < y->size;
}

static void load_table(struct cw_core *core, struct cw_file *f, Elf *elf,
		       Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data || sh->sh_entsize != sizeof(Elf64_Sym))
		return;
	size_t n = data->d_size / sizeof(Elf64_Sym);
	struct cw_sym *syms = malloc((n ? n : 1) * sizeof(*syms));
	if (!syms)
		return;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(data, (int)i, &s))
			continue;
		int type = GELF_ST_TYPE(s.st_info);
		if ((type != STT_FUNC && type != STT_NOTYPE) || s.st_value == 0 ||
		    s.st_shndx == SHN_UNDEF)
			continue;
		const char *name = elf_strptr(elf, sh->sh_link, s.st_name);
		if (!name || !*name)
			continue;
		/* Names must outlive libelf's handle: keep pointers into the
		 * mapped image, copy anything libelf made itself. */
		if ((const uint8_t *)name < f->image ||
		    (const uint8_t *)name >= f->image + f->size)
			name = cs_arena_strndup(&core->arena, name, strlen(name));
		if (!name)
			continue;
		syms[k++] = (struct cw_sym){ s.st_value, s.st_size, name };
	}
	cs_sort(syms, k, sizeof(*syms), sym_cmp);
	free(f->syms);
	f->syms = syms;
	f->nsyms = k;
}

void cw_file_load_symbols(struct cw_core *core, struct cw_file *f)
{
	if (f->syms_loaded)
		return;
	f->syms_loaded = true;
	elf_version(EV_CURRENT);
	/* libelf only reads the image we hand it (same byte order). */
	Elf *elf = elf_memory((char *)f->image, f->size);
	if (!elf)
		return;
	Elf_Scn *symtab = NULL, *dynsym = NULL, *scn = NULL;
	GElf_Shdr symsh, dynsh, sh;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			symtab = scn;
			symsh = sh;
		} else if (sh.sh_type == SHT_DYNSYM) {
			dynsym = scn;
			dynsh = sh;
		}
	}
	if (symtab)
		load_table(core, f, elf, symtab, &symsh);
	if (!f->nsyms && dynsym)
		load_table(core, f, elf, dynsym, &dynsh);
	elf_end(elf);
}

bool cw_symbolize(struct cw_core *core, uint64_t addr, const char **name_ret,
		  uint64_t *offset_ret, const char **module_ret)
{
	struct cw_file *f = cw_file_for_addr(core, addr);
	if (!f)
		return false;
	cw_file_load_symbols(core, f);
	uint64_t link = addr - f->bias;
	size_t lo = CS_COUNT_AT_MOST(f->syms, f->nsyms, addr, link);
	if (module_ret)
		*module_ret = f->path;
	if (lo == 0)
		return false;
	const struct cw_sym *s = &f->syms[lo - 1];
	/* An unsized symbol covers up to the next one; a sized one only
	 * itself. */
	if (s->size && link - s->addr >= s->size)
		return false;
	*name_ret = s->name;
	*offset_ret = link - s->addr;
	return true;
}
