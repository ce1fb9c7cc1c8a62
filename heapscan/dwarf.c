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

/* A global variable: its address and its type's DIE. */
struct dw_global {
	uint64_t addr;
	Dwarf_Off type;
	uint64_t size;		/* resolved lazily; UINT64_MAX unknown */
	bool resolved;
};

/* A function: entry pc and its DIE (for closure layouts). */
struct dw_func {
	uint64_t lowpc, highpc;
	Dwarf_Off off;
};

struct hs_dwarf {
	struct dw_func *funcs;	/* sorted by lowpc */
	size_t nfuncs;
	uint64_t bias;		/* load bias of the executable */
	int fd;
	Elf *elf;
	Dwarf *dw;
	struct dw_entry *v;	/* sorted by name */
	size_t n;
	struct dw_global *globals;	/* sorted by address */
	size_t nglobals;
};

#define DW_AT_go_runtime_type 0x2904

static int entry_cmp(const void *a, const void *b)
{
	const struct dw_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	/* Prefer structs over declarations of the same name. */
	return x->tag - y->tag;
}

static int func_cmp(const void *a, const void *b)
{
	const struct dw_func *x = a, *y = b;
	return x->lowpc < y->lowpc ? -1 : x->lowpc > y->lowpc;
}

static int global_cmp(const void *a, const void *b)
{
	const struct dw_global *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const struct dw_entry *find_name(struct hs_dwarf *d, const char *name,
					size_t len, int tag);

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

	size_t cap = 0, gcap = 0, fcap = 0;
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(d->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, die;
		if (dwarf_offdie(d->dw, off + hsize, &cu) &&
		    dwarf_child(&cu, &die) == 0) {
			do {
				int tag = dwarf_tag(&die);
				if (tag == DW_TAG_subprogram) {
					Dwarf_Addr lowpc, highpc;
					if (dwarf_lowpc(&die, &lowpc) == 0 &&
					    dwarf_highpc(&die, &highpc) == 0) {
						struct dw_func fn = { lowpc, highpc, dwarf_dieoffset(&die) };
						if (!CS_PUSH(d->funcs, d->nfuncs, fcap, fn)) {
							hs_dwarf_close(d);
							return NULL;
						}
					}
					continue;
				}
				if (tag == DW_TAG_variable) {
					/* Globals: location DW_OP_addr ADDR. */
					Dwarf_Attribute la, ta;
					Dwarf_Block blk;
					Dwarf_Die type;
					if (dwarf_attr(&die, DW_AT_location, &la) &&
					    dwarf_formblock(&la, &blk) == 0 &&
					    blk.length == 9 && blk.data[0] == DW_OP_addr &&
					    dwarf_attr(&die, DW_AT_type, &ta) &&
					    dwarf_formref_die(&ta, &type)) {
						struct dw_global gv = { 0 };
						memcpy(&gv.addr, blk.data + 1, 8);
						gv.type = dwarf_dieoffset(&type);
						if (!CS_PUSH(d->globals, d->nglobals, gcap, gv)) {
							hs_dwarf_close(d);
							return NULL;
						}
					}
					continue;
				}
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
	/* A -w Go binary linked externally keeps the C objects' DWARF: no
	 * use to us without the Go runtime's types. */
	if (d->n == 0) {
		hs_dwarf_close(d);
		return NULL;
	}
	cs_sort(d->v, d->n, sizeof(*d->v), entry_cmp);
	if (!find_name(d, "runtime.mspan", strlen("runtime.mspan"), DW_TAG_structure_type)) {
		hs_dwarf_close(d);
		return NULL;
	}
	cs_sort(d->globals, d->nglobals, sizeof(*d->globals), global_cmp);
	cs_sort(d->funcs, d->nfuncs, sizeof(*d->funcs), func_cmp);
	for (size_t i = 0; i < d->nfuncs; i++) {
		d->funcs[i].lowpc += exe->load_bias;
		d->funcs[i].highpc += exe->load_bias;
	}
	d->bias = exe->load_bias;
	/* DWARF addresses are link-time; the process may be relocated. */
	for (size_t i = 0; i < d->nglobals; i++)
		d->globals[i].addr += exe->load_bias;
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
	free(d->globals);
	free(d->funcs);
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
		/* Go's members refer to the typedef of a named struct
		 * (maps.table.groups is a maps.groupsReference typedef):
		 * descend into the struct it names. */
		if (dwarf_peel_type(&type, &cur) != 0)
			return false;
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

/* The runtime type offset of a type DIE (DW_AT_go_runtime_type, relative
 * to the module's types base), following typedefs.  The linker writes 0
 * for types that have no descriptor. */
static bool die_runtime_type(Dwarf_Die *die, uint64_t *ret)
{
	Dwarf_Die cur = *die;
	for (int i = 0; i < 4; i++) {
		Dwarf_Attribute a;
		Dwarf_Addr v;
		/* Written as DW_FORM_addr, though it is an offset. */
		if (dwarf_attr(&cur, DW_AT_go_runtime_type, &a) &&
		    dwarf_formaddr(&a, &v) == 0 && v != 0) {
			*ret = v;
			return true;
		}
		Dwarf_Attribute ta;
		if (dwarf_tag(&cur) != DW_TAG_typedef ||
		    !dwarf_attr(&cur, DW_AT_type, &ta) || !dwarf_formref_die(&ta, &cur))
			return false;
	}
	return false;
}

/* Go's DW_AT_go_kind (internal/abi.Kind). */
#define DW_AT_go_kind 0x2900

static int die_go_kind(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Word v;
	if (dwarf_attr(die, DW_AT_go_kind, &a) && dwarf_formudata(&a, &v) == 0)
		return (int)v;
	return 0;
}

static bool die_type(Dwarf_Die *die, Dwarf_Die *ret)
{
	Dwarf_Attribute a;
	return dwarf_attr(die, DW_AT_type, &a) && dwarf_formref_die(&a, ret);
}

/* A pointer-shaped or slice type without its own descriptor, made up
 * around the element's descriptor. */
static const struct hs_type *synth_around(struct hs_program *p, uint8_t kind,
					  const struct hs_type *elem)
{
	uint64_t fake = 0xffe0000000000000ull | (elem->addr << 2) | (kind == HS_KIND_SLICE);
	const struct hs_type *t = hs_type_lookup(p, fake);
	if (t)
		return t;
	struct hs_type proto = { 0 };
	proto.kind = kind;
	proto.size = kind == HS_KIND_SLICE ? 24 : 8;
	proto.ptrbytes = 8;
	proto.elem = elem->addr;
	proto.role = HS_SYNTH_PTR;
	proto.name = cs_arena_printf(&p->arena, "%s%s", kind == HS_KIND_SLICE ? "[]" : "*",
				     elem->name);
	return hs_type_synthetic_at(p, &proto, fake);
}

/* A runtime type for a DWARF type: its descriptor, or for pointers and
 * slices that have none, one made up around their element's. */
static const struct hs_type *die_hs_type(struct hs_program *p, Dwarf_Die *die,
					 int depth)
{
	uint64_t rt, types = p->nmods ? p->mods[0].types : 0;
	Dwarf_Die cur = *die, elem, arr;
	if (depth > 8)
		return NULL;
	if (die_runtime_type(&cur, &rt)) {
		const struct hs_type *t = hs_type_at(p, types + rt);
		if (t)
			return t;
	}
	while (dwarf_tag(&cur) == DW_TAG_typedef)
		if (!die_type(&cur, &cur))
			return NULL;
	if (dwarf_tag(&cur) == DW_TAG_pointer_type) {
		if (!die_type(&cur, &elem))
			return NULL;
		const struct hs_type *e = die_hs_type(p, &elem, depth + 1);
		return e ? synth_around(p, HS_KIND_PTR, e) : NULL;
	}
	if (dwarf_tag(&cur) == DW_TAG_structure_type && die_go_kind(&cur) == HS_KIND_SLICE &&
	    find_member(&cur, "array", 5, &arr) && die_type(&arr, &arr) &&
	    die_type(&arr, &elem)) {
		const struct hs_type *e = die_hs_type(p, &elem, depth + 1);
		return e ? synth_around(p, HS_KIND_SLICE, e) : NULL;
	}
	return NULL;
}

bool hs_dwarf_slot_type(struct hs_program *p, uint64_t var_type_off, uint64_t off,
			const struct hs_type **t_ret, uint64_t *inner_ret)
{
	struct hs_dwarf *d = p->dwarf;
	Dwarf_Die die;
	if (!dwarf_offdie(d->dw, var_type_off, &die))
		return false;
	for (int depth = 0; depth < 32; depth++) {
		const struct hs_type *t = die_hs_type(p, &die, 0);
		if (t) {
			*t_ret = t;
			*inner_ret = off;
			return true;
		}
		int tag = dwarf_tag(&die);
		if (tag == DW_TAG_typedef) {
			if (!die_type(&die, &die))
				return false;
			continue;
		}
		if (tag == DW_TAG_array_type) {
			Dwarf_Die elem;
			Dwarf_Word esize;
			if (!die_type(&die, &elem) || dwarf_aggregate_size(&elem, &esize) != 0 ||
			    esize == 0)
				return false;
			off %= esize;
			die = elem;
			continue;
		}
		if (tag != DW_TAG_structure_type)
			return false;
		/* Descend into the member holding off. */
		Dwarf_Die m, best;
		Dwarf_Word best_off = 0;
		bool found = false;
		if (dwarf_child(&die, &m) != 0)
			return false;
		do {
			Dwarf_Word moff, msize;
			Dwarf_Die mt;
			if (dwarf_tag(&m) != DW_TAG_member || !member_offset(&m, &moff) ||
			    moff > off || !die_type(&m, &mt) ||
			    dwarf_aggregate_size(&mt, &msize) != 0 || off - moff >= msize)
				continue;
			best = mt;
			best_off = moff;
			found = true;
		} while (dwarf_siblingof(&m, &m) == 0);
		if (!found)
			return false;
		off -= best_off;
		die = best;
	}
	return false;
}

bool hs_dwarf_global(struct hs_dwarf *d, uint64_t addr, uint64_t *var_ret,
		     uint64_t *rtype_ret)
{
	size_t lo = CS_COUNT_AT_MOST(d->globals, d->nglobals, addr, addr);
	if (lo == 0)
		return false;
	struct dw_global *g = &d->globals[lo - 1];
	if (!g->resolved) {
		g->resolved = true;
		g->size = UINT64_MAX;
		Dwarf_Die type;
		Dwarf_Word size;
		if (dwarf_offdie(d->dw, g->type, &type) &&
		    dwarf_aggregate_size(&type, &size) == 0)
			g->size = size;
	}
	if (g->size == UINT64_MAX || addr - g->addr >= g->size)
		return false;
	*var_ret = g->addr;
	*rtype_ret = g->type;
	return true;
}

bool hs_dwarf_slot_path(struct hs_dwarf *d, uint64_t var_type_off, uint64_t off,
			struct cs_strbuf *path)
{
	Dwarf_Die die;
	if (!dwarf_offdie(d->dw, var_type_off, &die))
		return false;
	for (int depth = 0; depth < 32 && off; depth++) {
		int tag = dwarf_tag(&die);
		if (tag == DW_TAG_typedef) {
			if (!die_type(&die, &die))
				return false;
			continue;
		}
		if (tag == DW_TAG_array_type) {
			Dwarf_Die elem;
			Dwarf_Word esize;
			if (!die_type(&die, &elem) || dwarf_aggregate_size(&elem, &esize) != 0 ||
			    esize == 0)
				return false;
			cs_strbuf_printf(path, "[%llu]", (unsigned long long)(off / esize));
			off %= esize;
			die = elem;
			continue;
		}
		if (tag != DW_TAG_structure_type)
			return true;
		Dwarf_Die m, best, best_m;
		Dwarf_Word best_off = 0;
		bool found = false;
		if (dwarf_child(&die, &m) != 0)
			return false;
		do {
			Dwarf_Word moff, msize;
			Dwarf_Die mt;
			if (dwarf_tag(&m) != DW_TAG_member || !member_offset(&m, &moff) ||
			    moff > off || !die_type(&m, &mt) ||
			    dwarf_aggregate_size(&mt, &msize) != 0 || off - moff >= msize)
				continue;
			best = mt;
			best_m = m;
			best_off = moff;
			found = true;
		} while (dwarf_siblingof(&m, &m) == 0);
		if (!found)
			return false;
		const char *name = dwarf_diename(&best_m);
		cs_strbuf_putc(path, '.');
		cs_strbuf_puts(path, name ? name : "?");
		off -= best_off;
		die = best;
	}
	return true;
}

/* Go's DW_AT_go_closure_offset: where a captured variable sits in the
 * closure record (cmd/compile/internal/dwarfgen). */
#define DW_AT_go_closure_offset 0x2907
#define MAX_CAPTURED 256

/* The subprogram DIE whose entry is exactly entry. */
static bool func_at_entry(struct hs_dwarf *d, uint64_t entry, Dwarf_Die *ret)
{
	size_t lo = CS_COUNT_BELOW(d->funcs, d->nfuncs, lowpc, entry);
	return lo < d->nfuncs && d->funcs[lo].lowpc == entry &&
	       dwarf_offdie(d->dw, d->funcs[lo].off, ret);
}

size_t hs_dwarf_func_var_names(struct hs_program *p, uint64_t entry, const char **out,
			       const struct hs_type **types, size_t max)
{
	Dwarf_Die fn, v, type;
	if (!func_at_entry(p->dwarf, entry, &fn) || dwarf_child(&fn, &v) != 0)
		return 0;
	size_t n = 0;
	do {
		if (dwarf_tag(&v) != DW_TAG_variable || n == max)
			continue;
		const char *name = dwarf_diename(&v);
		if (!name)
			continue;
		if (types)
			types[n] = die_type(&v, &type) ? die_hs_type(p, &type, 0) : NULL;
		out[n++] = name[0] == '&' ? name + 1 : name;
	} while (dwarf_siblingof(&v, &v) == 0);
	return n;
}

size_t hs_dwarf_closure_vars(struct hs_program *p, uint64_t entry, struct hs_field *out,
			     size_t max)
{
	Dwarf_Die fn, v;
	if (!func_at_entry(p->dwarf, entry, &fn) || dwarf_child(&fn, &v) != 0)
		return 0;
	size_t n = 0;
	do {
		Dwarf_Attribute a;
		Dwarf_Word off;
		Dwarf_Die type;
		if (dwarf_tag(&v) != DW_TAG_variable ||
		    !dwarf_attr(&v, DW_AT_go_closure_offset, &a) ||
		    dwarf_formudata(&a, &off) != 0 || !die_type(&v, &type))
			continue;
		const struct hs_type *t = die_hs_type(p, &type, 0);
		const char *name = dwarf_diename(&v);
		if (!t || n == max)
			continue;
		out[n].name = cs_arena_strndup(&p->arena, name ? name : "?", name ? strlen(name) : 1);
		out[n].type = t->addr;
		out[n].offset = off;
		out[n].embedded = false;
		n++;
	} while (dwarf_siblingof(&v, &v) == 0);
	return n;
}

/* ------------------------------------------------------------------ */
/* Stack variables                                                     */
/* ------------------------------------------------------------------ */

/* Does die's pc range cover pc (link address)? */
static bool die_covers(Dwarf_Die *die, uint64_t pc)
{
	Dwarf_Addr base, start, end;
	ptrdiff_t off = 0;
	while ((off = dwarf_ranges(die, off, &base, &start, &end)) > 0)
		if (pc >= start && pc < end)
			return true;
	return false;
}

struct var_query {
	struct hs_program *p;
	uint64_t pc;		/* link address */
	uint64_t cfa;		/* the frame's canonical frame address */
	uint64_t slot;
	const char *name;
	Dwarf_Die type;
	uint64_t var_off;	/* slot's offset within the variable */
	bool found;
};

/*
 * Where slot lies in a variable at pc: *off_ret gets the offset within the
 * variable.  Go's frame base is DW_OP_call_frame_cfa and stack locations
 * are DW_OP_fbreg N, whole or in DW_OP_piece parts (a slice may live as
 * "fbreg -24 piece 8, fbreg -64 piece 8", its cap in no place at all);
 * register parts have no memory.
 */
static bool var_slot_offset(struct var_query *q, Dwarf_Die *v, uint64_t size,
			    uint64_t *off_ret)
{
	Dwarf_Attribute la;
	if (!dwarf_attr(v, DW_AT_location, &la))
		return false;
	Dwarf_Op *expr;
	size_t len;
	if (dwarf_getlocation_addr(&la, q->pc, &expr, &len, 1) != 1 || len == 0)
		return false;
	uint64_t piece_off = 0, loc = 0;
	bool have_loc = false, pieces = false;
	for (size_t i = 0; i < len; i++) {
		switch (expr[i].atom) {
		case DW_OP_fbreg:
			loc = q->cfa + (uint64_t)(int64_t)expr[i].number;
			have_loc = true;
			break;
		case DW_OP_call_frame_cfa:
			loc = q->cfa;
			have_loc = true;
			break;
		case DW_OP_piece:
			pieces = true;
			if (have_loc && q->slot >= loc && q->slot - loc < expr[i].number) {
				*off_ret = piece_off + (q->slot - loc);
				return true;
			}
			piece_off += expr[i].number;
			have_loc = false;
			break;
		default:
			/* registers and anything computed: no stack memory */
			have_loc = false;
			break;
		}
	}
	if (!pieces && have_loc && q->slot >= loc && q->slot - loc < size) {
		*off_ret = q->slot - loc;
		return true;
	}
	return false;
}

static void scan_vars(struct var_query *q, Dwarf_Die *scope, int depth)
{
	Dwarf_Die c;
	if (depth > 16 || dwarf_child(scope, &c) != 0)
		return;
	do {
		int tag = dwarf_tag(&c);
		if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
			if (die_covers(&c, q->pc))
				scan_vars(q, &c, depth + 1);
			continue;
		}
		if (tag != DW_TAG_variable && tag != DW_TAG_formal_parameter)
			continue;
		uint64_t off;
		Dwarf_Attribute ta;
		Dwarf_Die type;
		Dwarf_Word size;
		if (!dwarf_attr_integrate(&c, DW_AT_type, &ta) || !dwarf_formref_die(&ta, &type) ||
		    dwarf_aggregate_size(&type, &size) != 0 || size == 0 ||
		    !var_slot_offset(q, &c, size, &off))
			continue;
		Dwarf_Attribute na;
		const char *name = dwarf_formstring(dwarf_attr_integrate(&c, DW_AT_name, &na));
		q->name = name ? name : "?";
		q->type = type;
		q->var_off = off;
		q->found = true;
		return;
	} while (dwarf_siblingof(&c, &c) == 0);
}

bool hs_dwarf_stack_var(struct hs_program *p, uint64_t pc, uint64_t cfa, uint64_t slot,
			const char **name_ret, uint64_t *var_off_ret, uint64_t *type_die_ret,
			const struct hs_type **type_ret, uint64_t *inner_ret)
{
	struct hs_dwarf *d = p->dwarf;
	size_t lo = CS_COUNT_AT_MOST(d->funcs, d->nfuncs, lowpc, pc);
	Dwarf_Die fn;
	if (lo == 0 || pc >= d->funcs[lo - 1].highpc ||
	    !dwarf_offdie(d->dw, d->funcs[lo - 1].off, &fn))
		return false;
	struct var_query q = { p, pc - d->bias, cfa, slot, NULL, { 0 }, 0, false };
	scan_vars(&q, &fn, 0);
	if (!q.found)
		return false;
	*name_ret = q.name;	/* libdw's string: valid while the DWARF is open */
	*var_off_ret = q.var_off;
	*type_die_ret = dwarf_dieoffset(&q.type);
	const struct hs_type *t = NULL;
	uint64_t inner = 0;
	if (hs_dwarf_slot_type(p, dwarf_dieoffset(&q.type), q.var_off, &t, &inner)) {
		*type_ret = t;
		*inner_ret = inner;
	} else {
		*type_ret = NULL;
		*inner_ret = 0;
	}
	return true;
}
