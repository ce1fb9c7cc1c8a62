/*
 * fakecore.h — build small synthetic x86_64 ELF cores in memory, for unit
 * tests and for the fuzz seed corpus.  Test code only.
 */
#ifndef CORESCOPE_FAKECORE_H
#define CORESCOPE_FAKECORE_H

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FC_MAX_LOADS 16

struct fc_load {
	uint64_t vaddr, memsz, filesz;
	uint32_t flags;
	const void *data;	/* filesz bytes; NULL = pattern */
};

struct fc_spec {
	int tid[4];		/* threads (0 ends) */
	uint64_t rip[4];
	int pid;
	const char *fname;
	uint64_t auxv[16];	/* pairs, AT_NULL-terminated */
	struct fc_load loads[FC_MAX_LOADS];
	size_t nloads;
};

struct fc_buf {
	uint8_t *p;
	size_t len, cap;
};

static void fc_put(struct fc_buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		while (nc < b->len + n)
			nc *= 2;
		b->p = realloc(b->p, nc);
		if (!b->p)
			abort();
		b->cap = nc;
	}
	if (d)
		memcpy(b->p + b->len, d, n);
	else
		memset(b->p + b->len, 0, n);
	b->len += n;
}

static void fc_note(struct fc_buf *b, const char *name, uint32_t type,
		    const void *desc, uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	uint32_t h[3] = { namesz, descsz, type };
	fc_put(b, h, sizeof(h));
	fc_put(b, name, namesz);
	fc_put(b, NULL, ((namesz + 3) & ~3u) - namesz);
	fc_put(b, desc, descsz);
	fc_put(b, NULL, ((descsz + 3) & ~3u) - descsz);
}

/* The byte the pattern puts at an address (never zero). */
static inline uint8_t fc_pattern(uint64_t addr)
{
	return (uint8_t)((addr * 31 + (addr >> 8)) | 1);
}

/* Build the core; returns malloc'ed bytes and *len. */
static uint8_t *fc_build(const struct fc_spec *s, size_t *len)
{
	struct fc_buf notes = { 0 };
	for (int t = 0; t < 4 && s->tid[t]; t++) {
		uint8_t pr[336] = { 0 };
		uint32_t tid = (uint32_t)s->tid[t];
		memcpy(pr + 32, &tid, 4);
		memcpy(pr + 112 + 16 * 8, &s->rip[t], 8);	/* rip */
		uint64_t rsp = 0x7ffc0000 + (uint64_t)t * 0x1000;
		memcpy(pr + 112 + 19 * 8, &rsp, 8);
		fc_note(&notes, "CORE", NT_PRSTATUS, pr, sizeof(pr));
		uint8_t fp[512] = { 0 };
		fc_note(&notes, "CORE", NT_PRFPREG, fp, sizeof(fp));
	}
	uint8_t ps[136] = { 0 };
	uint32_t pid = (uint32_t)s->pid;
	memcpy(ps + 24, &pid, 4);
	if (s->fname)
		strncpy((char *)ps + 40, s->fname, 16);
	strcpy((char *)ps + 56, "fake --core");
	fc_note(&notes, "CORE", NT_PRPSINFO, ps, sizeof(ps));
	size_t na = 0;
	while (na < 16 && s->auxv[na])
		na += 2;
	uint64_t auxv[18] = { 0 };
	memcpy(auxv, s->auxv, na * 8);
	fc_note(&notes, "CORE", NT_AUXV, auxv, (uint32_t)((na + 2) * 8));

	size_t nph = 1 + s->nloads;
	size_t off = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
	size_t note_off = off;
	off += notes.len;
	struct fc_buf out = { 0 };
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)nph;
	fc_put(&out, &eh, sizeof(eh));
	Elf64_Phdr ph = { .p_type = PT_NOTE, .p_offset = note_off,
			  .p_filesz = notes.len, .p_align = 4 };
	fc_put(&out, &ph, sizeof(ph));
	for (size_t i = 0; i < s->nloads; i++) {
		const struct fc_load *l = &s->loads[i];
		Elf64_Phdr lp = { .p_type = PT_LOAD, .p_flags = l->flags,
				  .p_offset = l->filesz ? off : 0,
				  .p_vaddr = l->vaddr, .p_filesz = l->filesz,
				  .p_memsz = l->memsz, .p_align = 4096 };
		fc_put(&out, &lp, sizeof(lp));
		off += l->filesz;
	}
	fc_put(&out, notes.p, notes.len);
	for (size_t i = 0; i < s->nloads; i++) {
		const struct fc_load *l = &s->loads[i];
		size_t at = out.len;
		fc_put(&out, l->data, l->filesz);
		if (!l->data)
			for (uint64_t k = 0; k < l->filesz; k++)
				out.p[at + k] = fc_pattern(l->vaddr + k);
	}
	free(notes.p);
	*len = out.len;
	return out.p;
}

#endif
