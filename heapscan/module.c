/*
 * module.c — the moduledata chain (runtime/symtab.go): where pclntab,
 * the data and bss sections, their pointer masks and the type descriptors
 * are.
 */
#include "config.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>

#include "internal.h"

#define MAX_MODULES 64
#define PCHEADER_SIZE 72

/* Find runtime.firstmoduledata without symbols: the moduledata's first
 * word points at the pcHeader, which starts .gopclntab.  Scan the
 * executable's writable data for that word. */
static bool find_firstmoduledata(struct hs_program *p, uint64_t *ret)
{
	const struct cw_exe *exe = cw_core_exe(p->core);
	if (!exe->image)
		return false;
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)exe->image, exe->image_size);
	if (!elf)
		return false;
	uint64_t pclntab = 0;
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;
		while ((scn = elf_nextscn(elf, scn))) {
			if (!gelf_getshdr(scn, &sh))
				continue;
			const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (name && (strcmp(name, ".gopclntab") == 0 ||
				     strcmp(name, ".data.rel.ro.gopclntab") == 0)) {
				pclntab = sh.sh_addr + exe->load_bias;
				break;
			}
		}
	}
	elf_end(elf);
	if (!pclntab)
		return false;
	for (size_t i = 0; i < cw_core_region_count(p->core); i++) {
		const struct cw_region *r = cw_core_region(p->core, i);
		if (!(r->flags & CW_PF_W) || r->source != CW_SRC_CORE ||
		    (cw_core_file_map_count(p->core) && exe->core_path &&
		     (!r->file || strcmp(r->file, exe->core_path))))
			continue;
		const uint8_t *d = cw_peek(p->core, r->start, (size_t)(r->end - r->start));
		if (!d)
			continue;
		for (uint64_t off = 0; off + 8 <= r->end - r->start; off += 8)
			if (rd_u64(d + off) == pclntab) {
				*ret = r->start + off;
				return true;
			}
	}
	return false;
}

static struct cs_error *read_bitvec(struct hs_program *p, uint64_t addr,
				    struct hs_bitvec *ret)
{
	uint8_t buf[16];
	struct cs_error *err = cw_read(p->core, addr, buf, sizeof(buf));
	if (err)
		return err;
	int32_t n;
	memcpy(&n, buf, 4);
	uint64_t bytes = rd_u64(buf + 8);
	if (n < 0 || n > (1 << 30))
		return cs_error_create(CS_ERR_BAD_DATA, "bitvector at 0x%llx has %d bits",
				       (unsigned long long)addr, n);
	ret->n = n;
	ret->bits = n ? hs_map(p, bytes, ((uint64_t)n + 7) / 8, &err) : NULL;
	return err;
}

static struct cs_error *load_module(struct hs_program *p, uint64_t addr,
				    struct hs_module *m)
{
	const struct hs_layout *l = &p->layout;
	uint64_t size = (uint64_t)l->moduledata.size.v;
	struct cs_error *err = NULL;
	const uint8_t *md = hs_map(p, addr, size, &err);
	if (!md)
		return cs_error_wrap(err, "reading moduledata at 0x%llx",
				     (unsigned long long)addr);
	memset(m, 0, sizeof(*m));
	m->addr = addr;
#define W(f) hs_get(md, size, &l->moduledata.f)
#define SL(f)                                                           \
	(l->moduledata.f.ok                                             \
		 ? (struct hs_slice){ W(f), rd_u64(md + l->moduledata.f.v + 8), \
				      rd_u64(md + l->moduledata.f.v + 16) }      \
		 : (struct hs_slice){ 0, 0, 0 })
	m->pcheader = W(pcHeader);
	m->funcnametab = SL(funcnametab);
	m->cutab = SL(cutab);
	m->filetab = SL(filetab);
	m->pctab = SL(pctab);
	m->pclntable = SL(pclntable);
	m->ftab = SL(ftab);
	m->textsectmap = SL(textsectmap);
	m->typelinks = SL(typelinks);
	m->itablinks = SL(itablinks);
	m->findfunctab = W(findfunctab);
	m->minpc = W(minpc);
	m->maxpc = W(maxpc);
	m->text = W(text);
	m->etext = W(etext);
	m->noptrdata = W(noptrdata);
	m->enoptrdata = W(enoptrdata);
	m->data = W(data);
	m->edata = W(edata);
	m->bss = W(bss);
	m->ebss = W(ebss);
	m->noptrbss = W(noptrbss);
	m->enoptrbss = W(enoptrbss);
	m->end = W(end);
	m->gcdata = W(gcdata);
	m->gcbss = W(gcbss);
	m->types = W(types);
	m->etypes = W(etypes);
	m->rodata = W(rodata);
	m->gofunc = W(gofunc);
#undef W
#undef SL
	char *name = NULL;
	err = hs_rd_string(p, addr + (uint64_t)l->moduledata.modulename.v, 4096,
			   &name, NULL);
	if (err) {
		cs_error_destroy(err);
		name = NULL;
	}
	m->modulename = name;

	if (m->data > m->edata || m->bss > m->ebss || m->text > m->etext ||
	    m->types > m->etypes)
		return cs_error_create(CS_ERR_BAD_DATA,
				       "moduledata at 0x%llx has inverted section bounds",
				       (unsigned long long)addr);
	err = read_bitvec(p, addr + (uint64_t)l->moduledata.gcdatamask.v,
			  &m->gcdatamask);
	if (!err)
		err = read_bitvec(p, addr + (uint64_t)l->moduledata.gcbssmask.v,
				  &m->gcbssmask);
	if (err)
		return cs_error_wrap(err, "moduledata at 0x%llx: pointer masks",
				     (unsigned long long)addr);

	/* The pclntab header (runtime.pcHeader). */
	const uint8_t *h = hs_map(p, m->pcheader, PCHEADER_SIZE, &err);
	if (!h)
		return cs_error_wrap(err, "reading pclntab header at 0x%llx",
				     (unsigned long long)m->pcheader);
	m->magic = rd_u32(h);
	if ((m->magic != 0xfffffff0 && m->magic != 0xfffffff1) || h[6] != 1 ||
	    h[7] != 8)
		return cs_error_create(CS_ERR_UNSUPPORTED,
				       "pclntab at 0x%llx: magic 0x%x, quantum %u, pointer size %u; corescope reads the Go 1.18+ amd64 format",
				       (unsigned long long)m->pcheader, m->magic, h[6], h[7]);
	m->nfunc = rd_u64(h + 8);
	m->nfiles = rd_u64(h + 16);
	m->text_start = rd_u64(h + 24);
	if (m->nfunc + 1 != m->ftab.len)
		return cs_error_create(CS_ERR_BAD_DATA,
				       "pclntab at 0x%llx: %llu functions but ftab has %llu entries",
				       (unsigned long long)m->pcheader,
				       (unsigned long long)m->nfunc,
				       (unsigned long long)m->ftab.len);

	/* Zero-copy views of the tables; each must be wholly readable. */
	struct {
		const uint8_t **dst;
		uint64_t addr, len;
		const char *what;
	} views[] = {
		{ &m->ftab_p, m->ftab.ptr, m->ftab.len * 8, "ftab" },
		{ &m->pclntable_p, m->pclntable.ptr, m->pclntable.len, "pclntable" },
		{ &m->funcnametab_p, m->funcnametab.ptr, m->funcnametab.len, "funcnametab" },
		{ &m->cutab_p, m->cutab.ptr, m->cutab.len * 4, "cutab" },
		{ &m->filetab_p, m->filetab.ptr, m->filetab.len, "filetab" },
		{ &m->pctab_p, m->pctab.ptr, m->pctab.len, "pctab" },
	};
	for (size_t i = 0; i < CS_ARRAY_SIZE(views); i++) {
		if (views[i].len > (1ull << 34))
			return cs_error_create(CS_ERR_BAD_DATA,
					       "pclntab %s at 0x%llx claims %llu bytes",
					       views[i].what,
					       (unsigned long long)views[i].addr,
					       (unsigned long long)views[i].len);
		*views[i].dst = hs_map(p, views[i].addr, views[i].len, &err);
		if (!*views[i].dst)
			return cs_error_wrap(err, "reading pclntab %s", views[i].what);
	}
	m->pclntable_len = m->pclntable.len;
	return NULL;
}

struct cs_error *hs_modules_load(struct hs_program *p)
{
	uint64_t addr = 0;
	const struct hs_sym *s = hs_sym_lookup(p, "runtime.firstmoduledata");
	if (s)
		addr = s->addr;
	else if (!find_firstmoduledata(p, &addr))
		return cs_error_create(CS_ERR_NOT_FOUND,
				       "%s: cannot find runtime.firstmoduledata (no symbol table and no .gopclntab reference)",
				       cw_core_input(p->core)->path);
	size_t cap = 0;
	/* The chain is a linked list in the core: cap its length and refuse
	 * a loop. */
	while (addr && p->nmods < MAX_MODULES) {
		for (size_t i = 0; i < p->nmods; i++)
			if (p->mods[i].addr == addr)
				return cs_error_create(CS_ERR_BAD_DATA,
						       "moduledata list loops at 0x%llx",
						       (unsigned long long)addr);
		if (!cs_grow((void **)&p->mods, &cap, p->nmods + 1, sizeof(*p->mods)))
			return &cs_error_nomem;
		struct hs_module *m = &p->mods[p->nmods];
		struct cs_error *err = load_module(p, addr, m);
		if (err) {
			free(m->modulename);
			if (p->nmods == 0)
				return err;
			cs_warn_error(p->warnings, true, err, "later module skipped");
			break;
		}
		p->nmods++;
		uint64_t next;
		err = hs_rd(p, addr, &p->layout.moduledata.next, &next);
		if (err) {
			cs_warn_error(p->warnings, true, err, "moduledata.next");
			break;
		}
		addr = next;
	}
	return NULL;
}
