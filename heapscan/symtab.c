/*
 * symtab.c — the executable's ELF symbol table: runtime globals by name
 * (runtime.mheap_, runtime.allgs, runtime.firstmoduledata) and global
 * roots by address (main.cache, net/http.DefaultServeMux).  It survives
 * -ldflags=-w; -s removes it.
 */
#include "config.h"

#include <gelf.h>
#include <libelf.h>

#include "internal.h"

static uint64_t name_hash(const char *s)
{
	/* FNV-1a */
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct hs_sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;
}

struct cs_error *hs_symtab_load(struct hs_program *p)
{
	const struct cw_exe *exe = cw_core_exe(p->core);
	struct hs_symtab *st = &p->syms;
	if (!exe->image)
		return NULL;
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)exe->image, exe->image_size);
	if (!elf)
		return NULL;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			break;
	struct cs_error *err = NULL;
	Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;
	if (!data || sh.sh_entsize != sizeof(Elf64_Sym))
		goto out;
	size_t n = data->d_size / sizeof(Elf64_Sym);
	st->by_addr = calloc(n ? n : 1, sizeof(*st->by_addr));
	if (!st->by_addr) {
		err = &cs_error_nomem;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF ||
		    s.st_value == 0)
			continue;
		int type = GELF_ST_TYPE(s.st_info);
		if (type != STT_OBJECT && type != STT_FUNC && type != STT_NOTYPE)
			continue;
		const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
		if ((const uint8_t *)name < exe->image ||
		    (const uint8_t *)name >= exe->image + exe->image_size)
			name = cs_arena_strndup(&p->arena, name, strlen(name));
		if (!name) {
			err = &cs_error_nomem;
			goto out;
		}
		st->by_addr[st->n++] = (struct hs_sym){
			.addr = s.st_value + exe->load_bias,
			.size = s.st_size,
			.name = name,
			.is_func = type == STT_FUNC,
		};
	}
	qsort(st->by_addr, st->n, sizeof(*st->by_addr), sym_cmp);

	st->nbuckets = 16;
	while (st->nbuckets < 2 * st->n)
		st->nbuckets *= 2;
	st->by_name = calloc(st->nbuckets, sizeof(*st->by_name));
	if (!st->by_name) {
		err = &cs_error_nomem;
		goto out;
	}
	for (size_t i = 0; i < st->n; i++) {
		size_t b = name_hash(st->by_addr[i].name) & (st->nbuckets - 1);
		while (st->by_name[b])
			b = (b + 1) & (st->nbuckets - 1);
		st->by_name[b] = (uint32_t)i + 1;
	}
out:
	elf_end(elf);
	return err;
}

void hs_symtab_deinit(struct hs_symtab *s)
{
	free(s->by_addr);
	free(s->by_name);
	memset(s, 0, sizeof(*s));
}

const struct hs_sym *hs_sym_lookup(struct hs_program *p, const char *name)
{
	struct hs_symtab *st = &p->syms;
	if (!st->nbuckets)
		return NULL;
	size_t b = name_hash(name) & (st->nbuckets - 1);
	while (st->by_name[b]) {
		const struct hs_sym *s = &st->by_addr[st->by_name[b] - 1];
		if (strcmp(s->name, name) == 0)
			return s;
		b = (b + 1) & (st->nbuckets - 1);
	}
	return NULL;
}

const struct hs_sym *hs_sym_containing(struct hs_program *p, uint64_t addr)
{
	struct hs_symtab *st = &p->syms;
	size_t lo = 0, hi = st->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->by_addr[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	/* Among symbols at the same address, any sized data symbol that
	 * covers addr will do. */
	uint64_t at = st->by_addr[lo - 1].addr;
	for (size_t i = lo; i > 0 && st->by_addr[i - 1].addr == at; i--) {
		const struct hs_sym *s = &st->by_addr[i - 1];
		if (!s->is_func && s->size && addr - s->addr < s->size)
			return s;
	}
	return NULL;
}

const struct hs_sym *hs_global_symbol(struct hs_program *p, uint64_t addr)
{
	return hs_sym_containing(p, addr);
}

const struct hs_type *hs_global_slot_type(struct hs_program *p, uint64_t addr,
					  uint64_t *inner_ret)
{
	uint64_t var, die;
	const struct hs_type *t;
	if (!p->dwarf || !p->nmods || !hs_dwarf_global(p->dwarf, addr, &var, &die) ||
	    !hs_dwarf_slot_type(p, die, addr - var, &t, inner_ret))
		return NULL;
	return t;
}
