/*
 * dwarf.c — the executable's DWARF through libdw: runtime struct layouts
 * and constants for struct hs_layout.
 *
 * Go's linker puts every type at the top level of some compile unit and
 * emits package constants as DW_TAG_constant; one pass over all top-level
 * DIEs indexes the names we may ask for.
 */
#include "config.h"

#include <dwarf.h>
#include <fcntl.h>
#include <unistd.h>
#include <elfutils/libdw.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

struct dw_entry {
	const char *name;	/* DW_AT_name (owned by libdw) */
	Dwarf_Off off;		/* DIE offset */
	int tag;
};

struct hs_dwarf {
	int fd;
	Elf *elf;
	Dwarf *dw;
	struct dw_entry *v;	/* sorted by name */
	size_t n;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct dw_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	/* Prefer structs over declarations of the same name. */
	return x->tag - y->tag;
}

struct hs_dwarf *hs_dwarf_open(struct hs_program *p)
{
	const struct cw_exe *exe = cw_core_exe(p->core);
	if (!exe->path)
		return NULL;
	elf_version(EV_CURRENT);
	struct hs_dwarf *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	/* libdw decompresses Go's compressed debug sections by rewriting
	 * section headers in place, so it gets a private copy-on-write
	 * mapping of its own, never the shared read-only image. */
	d->fd = open(exe->path, O_RDONLY | O_CLOEXEC);
	if (d->fd >= 0)
		d->elf = elf_begin(d->fd, ELF_C_READ_MMAP_PRIVATE, NULL);
	if (d->elf)
		d->dw = dwarf_begin_elf(d->elf, DWARF_C_READ, NULL);
	if (!d->dw) {
		hs_dwarf_close(d);
		return NULL;
	}

	size_t cap = 0;
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(d->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, die;
		if (dwarf_offdie(d->dw, off + hsize, &cu) &&
		    dwarf_child(&cu, &die) == 0) {
			do {
				int tag = dwarf_tag(&die);
				if (tag != DW_TAG_structure_type &&
				    tag != DW_TAG_constant)
					continue;
				const char *name = dwarf_diename(&die);
				if (!name)
					continue;
				struct dw_entry e = { name, dwarf_dieoffset(&die), tag };
				if (!CS_PUSH(d->v, d->n, cap, e)) {
					hs_dwarf_close(d);
					return NULL;
				}
			} while (dwarf_siblingof(&die, &die) == 0);
		}
		off = next;
	}
	if (d->n == 0) {
		hs_dwarf_close(d);
		return NULL;
	}
	qsort(d->v, d->n, sizeof(*d->v), entry_cmp);
	return d;
}

void hs_dwarf_close(struct hs_dwarf *d)
{
	if (!d)
		return;
	if (d->dw)
		dwarf_end(d->dw);
	if (d->elf)
		elf_end(d->elf);
	if (d->fd >= 0)
		close(d->fd);
	free(d->v);
	free(d);
}

static const struct dw_entry *find_name(struct hs_dwarf *d, const char *name,
					size_t len, int tag)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(d->v[mid].name, name, len);
		if (c == 0 && d->v[mid].name[len] != '\0')
			c = 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < d->n; i++) {
		if (strncmp(d->v[i].name, name, len) != 0 || d->v[i].name[len])
			break;
		if (d->v[i].tag == tag)
			return &d->v[i];
	}
	return NULL;
}

/* Find a member named [name, name+len) among die's children. */
static bool find_member(Dwarf_Die *st, const char *name, size_t len,
			Dwarf_Die *ret)
{
	Dwarf_Die m;
	if (dwarf_child(st, &m) != 0)
		return false;
	do {
		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		const char *n = dwarf_diename(&m);
		if (n && strlen(n) == len && strncmp(n, name, len) == 0) {
			*ret = m;
			return true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

static bool member_offset(Dwarf_Die *m, Dwarf_Word *ret)
{
	Dwarf_Attribute a;
	if (!dwarf_attr(m, DW_AT_data_member_location, &a))
		return false;
	return dwarf_formudata(&a, ret) == 0;
}

/* Resolve a dotted member path ("groups.data") in struct st. */
static bool resolve_path(Dwarf_Die *st, const char *path, size_t len,
			 struct hs_lval *ret)
{
	Dwarf_Die cur = *st, m;
	int64_t total = 0;
	const char *p = path, *end = path + len;
	for (;;) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t seg = dot ? (size_t)(dot - p) : (size_t)(end - p);
		Dwarf_Word off;
		if (!find_member(&cur, p, seg, &m) || !member_offset(&m, &off))
			return false;
		total += (int64_t)off;
		Dwarf_Die type;
		Dwarf_Attribute ta;
		if (!dwarf_attr(&m, DW_AT_type, &ta) || !dwarf_formref_die(&ta, &type))
			return false;
		if (!dot) {
			Dwarf_Word size = 0;
			if (dwarf_aggregate_size(&type, &size) != 0)
				size = 0;
			ret->v = total;
			ret->size = (uint32_t)size;
			ret->ok = true;
			return true;
		}
		cur = type;
		p = dot + 1;
	}
}

bool hs_dwarf_resolve(struct hs_dwarf *d, const struct hs_ldesc *desc,
		      struct hs_lval *ret)
{
	int tag = desc->kind == HS_LD_CONST ? DW_TAG_constant : DW_TAG_structure_type;
	/* Try each struct/constant alternative, and within a struct each
	 * member alternative, in order. */
	for (const char *s = desc->dwarf_struct; s && *s;) {
		const char *bar = strchr(s, '|');
		size_t slen = bar ? (size_t)(bar - s) : strlen(s);
		const struct dw_entry *e = find_name(d, s, slen, tag);
		Dwarf_Die die;
		if (e && dwarf_offdie(d->dw, e->off, &die)) {
			if (desc->kind == HS_LD_CONST) {
				Dwarf_Attribute a;
				Dwarf_Sword v;
				if (dwarf_attr(&die, DW_AT_const_value, &a) &&
				    dwarf_formsdata(&a, &v) == 0) {
					ret->v = v;
					ret->size = 0;
					ret->ok = true;
					return true;
				}
			} else if (desc->kind == HS_LD_SIZE) {
				Dwarf_Word size;
				if (dwarf_aggregate_size(&die, &size) == 0) {
					ret->v = (int64_t)size;
					ret->size = 0;
					ret->ok = true;
					return true;
				}
			} else {
				for (const char *m = desc->dwarf_member; m && *m;) {
					const char *mbar = strchr(m, '|');
					size_t mlen = mbar ? (size_t)(mbar - m) : strlen(m);
					if (resolve_path(&die, m, mlen, ret))
						return true;
					m = mbar ? mbar + 1 : NULL;
				}
			}
		}
		s = bar ? bar + 1 : NULL;
	}
	ret->ok = false;
	return false;
}
