/*
 * program.c — the Go program view of a core, and the small readers every
 * heapscan walker uses.
 */
#include "config.h"

#include <stdio.h>

#include "internal.h"

struct cs_error *hs_rd(struct hs_program *p, uint64_t base,
		       const struct hs_lval *f, uint64_t *ret)
{
	if (!f->ok)
		return cs_error_create(CS_ERR_UNSUPPORTED,
				       "runtime layout has no such member");
	uint8_t buf[8];
	size_t n = f->size >= 1 && f->size <= 8 ? f->size : 8;
	struct cs_error *err = cw_read(p->core, base + (uint64_t)f->v, buf, n);
	if (err)
		return err;
	struct hs_lval local = { 0, (uint32_t)n, true };
	*ret = hs_get(buf, n, &local);
	return NULL;
}

struct cs_error *hs_rd_slice(struct hs_program *p, uint64_t addr,
			     struct hs_slice *ret)
{
	uint64_t w[3];
	struct cs_error *err = cw_read(p->core, addr, w, sizeof(w));
	if (err)
		return err;
	if (w[1] > w[2])
		return cs_error_create(CS_ERR_BAD_DATA,
				       "slice at 0x%llx: len %llu > cap %llu",
				       (unsigned long long)addr,
				       (unsigned long long)w[1],
				       (unsigned long long)w[2]);
	*ret = (struct hs_slice){ w[0], w[1], w[2] };
	return NULL;
}

struct cs_error *hs_rd_string(struct hs_program *p, uint64_t addr, size_t max,
			      char **ret, size_t *len_ret)
{
	uint64_t w[2];
	struct cs_error *err = cw_read(p->core, addr, w, sizeof(w));
	if (err)
		return err;
	uint64_t len = w[1] < max ? w[1] : max;
	char *s = malloc(len + 1);
	if (!s)
		return &cs_error_nomem;
	if (len) {
		err = cw_read(p->core, w[0], s, (size_t)len);
		if (err) {
			free(s);
			return err;
		}
	}
	s[len] = '\0';
	*ret = s;
	if (len_ret)
		*len_ret = (size_t)len;
	return NULL;
}

const uint8_t *hs_map(struct hs_program *p, uint64_t addr, uint64_t len,
		      struct cs_error **errp)
{
	const uint8_t *z = cw_peek(p->core, addr, (size_t)len);
	if (z || len == 0)
		return z ? z : (const uint8_t *)"";
	/* Spans regions: copy.  The size was claimed by the core, so check it
	 * against what can be read at all before allocating. */
	uint64_t ok = cw_readable(p->core, addr, len);
	if (ok < len) {
		uint8_t b;
		*errp = cw_read(p->core, addr + ok, &b, 1);
		if (!*errp)
			*errp = cs_error_create(CS_ERR_BAD_DATA,
						"0x%llx: %llu bytes not readable",
						(unsigned long long)addr,
						(unsigned long long)len);
		return NULL;
	}
	uint8_t *buf = cs_arena_alloc(&p->arena, (size_t)len);
	if (!buf) {
		*errp = &cs_error_nomem;
		return NULL;
	}
	*errp = cw_read(p->core, addr, buf, (size_t)len);
	return *errp ? NULL : buf;
}

struct cs_error *hs_program_open(struct cw_core *core, struct hs_program **ret)
{
	struct hs_program *p = calloc(1, sizeof(*p));
	if (!p)
		return &cs_error_nomem;
	p->core = core;
	p->warnings = cw_core_warnings(core);
	cs_arena_init(&p->arena);

	struct cs_error *err = hs_buildinfo_read(core, &p->bi);
	if (!err && p->bi->major == 1 && (p->bi->minor < 19 || p->bi->minor == 20))
		err = cs_error_create(CS_ERR_UNSUPPORTED,
				      "%s: %s is not supported; corescope reads Go 1.19 and 1.21 to 1.27",
				      cw_core_input(core)->path, p->bi->version);
	if (!err)
		err = hs_symtab_load(p);
	if (!err) {
		p->dwarf = hs_dwarf_open(p);
		err = hs_layout_resolve(p);
	}
	if (!err)
		err = hs_modules_load(p);
	if (err) {
		hs_program_destroy(p);
		return err;
	}
	*ret = p;
	return NULL;
}

void hs_program_destroy(struct hs_program *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nmods; i++)
		free(p->mods[i].modulename);
	free(p->mods);
	hs_dwarf_close(p->dwarf);
	hs_types_deinit(&p->types);
	free(p->aliases);
	hs_symtab_deinit(&p->syms);
	hs_buildinfo_destroy(p->bi);
	cs_arena_deinit(&p->arena);
	free(p);
}

struct cw_core *hs_program_core(const struct hs_program *p)
{
	return p->core;
}

const struct hs_buildinfo *hs_program_buildinfo(const struct hs_program *p)
{
	return p->bi;
}

const char *hs_program_layout_source(const struct hs_program *p)
{
	return p->layout_source;
}

size_t hs_program_layout_count(void)
{
	return hs_layout_ndescs;
}

void hs_program_layout_entry(const struct hs_program *p, size_t i,
			     struct hs_layout_entry *ret)
{
	const struct hs_ldesc *d = &hs_layout_descs[i];
	const struct hs_lval *v =
		(const struct hs_lval *)((const char *)&p->layout + d->off);
	ret->id = d->id;
	ret->dwarf_struct = d->dwarf_struct;
	ret->dwarf_member = d->dwarf_member;
	ret->kind = d->kind == HS_LD_MEMBER ? 0 : d->kind == HS_LD_SIZE ? 1 : 2;
	ret->ok = v->ok;
	ret->value = v->v;
	ret->size = v->size;
}

struct cs_arena *hs_program_arena(struct hs_program *p)
{
	return &p->arena;
}

const char *hs_func_name_at(struct hs_program *p, uint64_t pc)
{
	struct hs_func f;
	if (!hs_find_func(p, pc, &f))
		return NULL;
	return hs_func_name(p, &f);
}

uint64_t hs_itab_type(struct hs_program *p, uint64_t itab)
{
	uint64_t v = 0;
	if (!itab)
		return 0;
	struct cs_error *err = hs_rd(p, itab, &p->layout.itab.type, &v);
	cs_error_destroy(err);
	return err ? 0 : v;
}

bool hs_program_swiss_maps(const struct hs_program *p)
{
	return p->strategy.maps == HS_MAPS_SWISS;
}

uint64_t hs_program_map_header_size(const struct hs_program *p)
{
	const struct hs_layout *l = &p->layout;
	return (uint64_t)(p->strategy.maps == HS_MAPS_SWISS ? l->swissmap.size.v
							     : l->hmap.size.v);
}

uint64_t hs_program_hchan_size(const struct hs_program *p)
{
	return (uint64_t)p->layout.hchan.size.v;
}

void hs_program_map_layout(const struct hs_program *p, struct hs_map_layout *ret)
{
	const struct hs_layout *l = &p->layout;
	ret->hmap_count = (uint64_t)l->hmap.count.v;
	ret->hmap_B = (uint64_t)l->hmap.B.v;
	ret->hmap_buckets = (uint64_t)l->hmap.buckets.v;
	ret->hmap_oldbuckets = (uint64_t)l->hmap.oldbuckets.v;
	ret->map_used = (uint64_t)l->swissmap.used.v;
	ret->map_dirptr = (uint64_t)l->swissmap.dirPtr.v;
	ret->map_dirlen = (uint64_t)l->swissmap.dirLen.v;
	ret->table_size = (uint64_t)l->swisstable.size.v;
	ret->table_groups_data = (uint64_t)l->swisstable.groups_data.v;
	ret->table_groups_mask = (uint64_t)l->swisstable.groups_lengthMask.v;
	ret->hchan_size = (uint64_t)l->hchan.size.v;
	ret->hchan_buf = (uint64_t)l->hchan.buf.v;
	ret->hchan_qcount = (uint64_t)l->hchan.qcount.v;
	ret->hchan_dataqsiz = (uint64_t)l->hchan.dataqsiz.v;
	ret->hchan_elemtype = (uint64_t)l->hchan.elemtype.v;
	ret->hchan_recvx = (uint64_t)l->hchan.recvx.v;
}
