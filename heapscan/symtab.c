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
	cs_sort(st->by_addr, st->n, sizeof(*st->by_addr), sym_cmp);

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
	size_t lo = CS_COUNT_AT_MOST(st->by_addr, st->n, addr, addr);
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

void hs_global_slot_name(struct hs_program *p, uint64_t slot, struct cs_strbuf *out)
{
	const struct hs_sym *s = hs_sym_containing(p, slot);
	if (!s) {
		cs_strbuf_printf(out, "global 0x%llx", (unsigned long long)slot);
		return;
	}
	cs_strbuf_puts(out, s->name);
	uint64_t var, die;
	if (slot == s->addr)
		return;
	if (p->dwarf && hs_dwarf_global(p->dwarf, slot, &var, &die) &&
	    hs_dwarf_slot_path(p->dwarf, die, slot - var, out))
		return;
	cs_strbuf_printf(out, "+0x%llx", (unsigned long long)(slot - s->addr));
}

static int alias_cmp(const void *a, const void *b)
{
	const struct hs_alias *x = a, *y = b;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

const struct hs_sym *hs_global_alias(struct hs_program *p, uint64_t var)
{
	if (!p->aliases_built) {
		p->aliases_built = true;
		size_t cap = 0;
		for (size_t m = 0; m < p->nmods; m++) {
			const struct hs_module *mod = &p->mods[m];
			const struct { uint64_t start, end; const struct hs_bitvec *mask; } sec[2] = {
				{ mod->data, mod->edata, &mod->gcdatamask },
				{ mod->bss, mod->ebss, &mod->gcbssmask },
			};
			for (int k = 0; k < 2; k++) {
				uint64_t nw = CS_MIN((sec[k].end - sec[k].start) / 8,
						     (uint64_t)sec[k].mask->n);
				struct cs_error *err = NULL;
				const uint8_t *mem = nw ? hs_map(p, sec[k].start, nw * 8, &err) : NULL;
				cs_error_destroy(err);
				if (!mem)
					continue;
				for (uint64_t w = 0; w < nw; w++) {
					if (!((sec[k].mask->bits[w / 8] >> (w % 8)) & 1))
						continue;
					uint64_t v = rd_u64(mem + w * 8);
					bool global = false;
					for (size_t q = 0; q < p->nmods && !global; q++)
						global = (v >= p->mods[q].data && v < p->mods[q].ebss) ||
							 (v >= p->mods[q].noptrdata && v < p->mods[q].enoptrbss);
					struct hs_alias a = { v, sec[k].start + w * 8 };
					if (global && !CS_PUSH(p->aliases, p->naliases, cap, a))
						return NULL;
				}
			}
		}
		cs_sort(p->aliases, p->naliases, sizeof(*p->aliases), alias_cmp);
	}
	size_t lo = CS_COUNT_BELOW(p->aliases, p->naliases, value, var);
	for (; lo < p->naliases && p->aliases[lo].value == var; lo++) {
		const struct hs_sym *s = hs_sym_containing(p, p->aliases[lo].slot);
		if (s && s->addr == p->aliases[lo].slot)
			return s;
	}
	return NULL;
}
