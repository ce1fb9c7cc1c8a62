/*
 * types.c — runtime type descriptors (internal/abi.Type, runtime._type in
 * Go 1.19): names, kinds, struct fields, element/key types, map layouts,
 * and pointer masks (bitmap, GC program, or built from the fields).
 *
 * The abi.Type header is 48 bytes and has kept its shape from Go 1.19 to
 * 1.27 (go-runtime.md): Size_ @0, PtrBytes @8, Hash @16, TFlag @20,
 * Align_ @21, FieldAlign_ @22, Kind_ @23, Equal @24, GCData @32, Str @40,
 * PtrToThis @44.  Kind-specific fields follow at fixed offsets, except map
 * types, whose layout comes from struct hs_layout.
 */
#include "config.h"

#include <stdio.h>

#include "internal.h"

#define TYPE_HDR 48
#define TFLAG_UNCOMMON 0x01
#define TFLAG_EXTRASTAR 0x02
#define TFLAG_NAMED 0x04
#define TFLAG_BIT4 0x10		/* UnrolledBitmap (1.22–1.23), GCMaskOnDemand (1.24+) */
#define TFLAG_DIRECTIFACE 0x20	/* 1.26+ */
#define KIND_MASK 0x1f
#define KIND_DIRECTIFACE 0x20	/* to 1.25 */
#define KIND_GCPROG 0x40	/* to 1.23 */

#define MAX_FIELDS 4096
#define MAX_NAME 4096
#define MAX_MASK_WORDS (1u << 28)	/* 2 GiB of pointer words */

/* ------------------------------------------------------------------ */
/* The type table                                                      */
/* ------------------------------------------------------------------ */

static uint64_t addr_hash(uint64_t a)
{
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdull;
	a ^= a >> 33;
	return a;
}

static bool table_grow(struct hs_types *t)
{
	size_t nb = t->nbuckets ? t->nbuckets * 2 : 1024;
	uint32_t *b = calloc(nb, sizeof(*b));
	if (!b)
		return false;
	for (size_t i = 1; i < t->n; i++) {
		size_t k = addr_hash(t->v[i]->addr) & (nb - 1);
		while (b[k])
			k = (k + 1) & (nb - 1);
		b[k] = (uint32_t)i;
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
	return true;
}

static uint32_t table_find(const struct hs_types *t, uint64_t addr)
{
	if (!t->nbuckets)
		return 0;
	size_t k = addr_hash(addr) & (t->nbuckets - 1);
	while (t->buckets[k]) {
		if (t->v[t->buckets[k]]->addr == addr)
			return t->buckets[k];
		k = (k + 1) & (t->nbuckets - 1);
	}
	return 0;
}

/* Insert; id 0 is reserved for "unknown". */
static uint32_t table_add(struct hs_types *t, struct hs_type *ty)
{
	if (t->n == 0) {
		if (!CS_PUSH(t->v, t->n, t->cap, (struct hs_type *)NULL))
			return 0;
	}
	if ((t->n + 1) * 2 > t->nbuckets && !table_grow(t))
		return 0;
	if (t->n >= UINT32_MAX || !CS_PUSH(t->v, t->n, t->cap, ty))
		return 0;
	uint32_t id = (uint32_t)(t->n - 1);
	ty->id = id;
	size_t k = addr_hash(ty->addr) & (t->nbuckets - 1);
	while (t->buckets[k])
		k = (k + 1) & (t->nbuckets - 1);
	t->buckets[k] = id;
	return id;
}

void hs_types_deinit(struct hs_types *t)
{
	free(t->v);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static const struct hs_module *module_of_type(struct hs_program *p, uint64_t addr)
{
	for (size_t i = 0; i < p->nmods; i++)
		if (addr >= p->mods[i].types && addr < p->mods[i].etypes)
			return &p->mods[i];
	return NULL;
}

/* Decode an abi.Name at addr: flags byte, uvarint length, bytes.  Sets
 * *embedded from flag bit 3.  Arena-owned result, NULL on failure. */
static const char *read_name(struct hs_program *p, uint64_t addr, bool *embedded)
{
	uint8_t hdr[11];
	uint64_t avail = cw_readable(p->core, addr, sizeof(hdr));
	if (avail < 2)
		return NULL;
	struct cs_error *err = cw_read(p->core, addr, hdr, (size_t)avail);
	if (err) {
		cs_error_destroy(err);
		return NULL;
	}
	uint64_t len = 0;
	size_t i = 1;
	for (unsigned shift = 0; i < avail && shift < 35; i++, shift += 7) {
		len |= (uint64_t)(hdr[i] & 0x7f) << shift;
		if (!(hdr[i] & 0x80))
			break;
	}
	if (i >= avail || len > MAX_NAME)
		return NULL;
	if (embedded)
		*embedded = (hdr[0] & 0x08) != 0;
	char *s = cs_arena_alloc(&p->arena, (size_t)len + 1);
	if (!s)
		return NULL;
	err = cw_read(p->core, addr + i + 1, s, (size_t)len);
	if (err) {
		cs_error_destroy(err);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

static bool decode_fields(struct hs_program *p, struct hs_type *t,
			  const uint8_t *hdr)
{
	/* StructType: PkgPath abi.Name @48, Fields []StructField @56;
	 * StructField {Name abi.Name, Typ *Type, Offset uintptr} (24 bytes;
	 * Go 1.19 already had a plain Offset). */
	uint64_t ptr = rd_u64(hdr + 56), len = rd_u64(hdr + 64);
	if (len > MAX_FIELDS)
		return false;
	if (len == 0)
		return true;
	struct hs_field *f = cs_arena_alloc(&p->arena, (size_t)len * sizeof(*f));
	if (!f)
		return false;
	for (uint64_t i = 0; i < len; i++) {
		uint8_t raw[24];
		struct cs_error *err = cw_read(p->core, ptr + i * 24, raw, sizeof(raw));
		if (err) {
			cs_error_destroy(err);
			return false;
		}
		bool emb = false;
		const char *name = read_name(p, rd_u64(raw), &emb);
		f[i].name = name ? name : "?";
		f[i].type = rd_u64(raw + 8);
		f[i].offset = rd_u64(raw + 16);
		f[i].embedded = emb;
		if (f[i].offset > t->size)
			return false;
	}
	t->fields = f;
	t->nfields = (uint32_t)len;
	return true;
}

static void decode_map(struct hs_program *p, struct hs_type *t, const uint8_t *raw,
		       size_t rawsize)
{
	const struct hs_layout *l = &p->layout;
	t->key = hs_get(raw, rawsize, &l->maptype.key);
	t->elem = hs_get(raw, rawsize, &l->maptype.elem);
	t->map.flags = (uint32_t)hs_get(raw, rawsize, &l->maptype.flags);
	if (p->strategy.maps == HS_MAPS_SWISS) {
		t->map.group = hs_get(raw, rawsize, &l->maptype.group);
		t->map.group_size = hs_get(raw, rawsize, &l->maptype.groupSize);
		if (l->maptype.keyStride.ok) {
			/* Go 1.27: keys and values may be stored apart
			 * (mapsplitgroup); the type says where. */
			t->map.keys_off = hs_get(raw, rawsize, &l->maptype.keysOff);
			t->map.key_stride = hs_get(raw, rawsize, &l->maptype.keyStride);
			t->map.elems_off = hs_get(raw, rawsize, &l->maptype.elemsOff);
			t->map.elem_stride = hs_get(raw, rawsize, &l->maptype.elemStride);
		} else {
			/* 1.24–1.26: ctrl word, then slots {key, elem}. */
			uint64_t slot = hs_get(raw, rawsize, &l->maptype.slotSize);
			t->map.keys_off = 8;
			t->map.key_stride = slot;
			t->map.elems_off = 8 + hs_get(raw, rawsize, &l->maptype.elemOff);
			t->map.elem_stride = slot;
		}
	} else {
		t->map.group = hs_get(raw, rawsize, &l->maptype.bucket);
		t->map.key_size = hs_get(raw, rawsize, &l->maptype.keysize);
		t->map.elem_size = hs_get(raw, rawsize, &l->maptype.valuesize);
		t->map.group_size = hs_get(raw, rawsize, &l->maptype.bucketsize);
		/* bucket: tophash[8], keys[8], elems[8], overflow */
		t->map.keys_off = 8;
		t->map.key_stride = t->map.key_size;
		t->map.elems_off = 8 + 8 * t->map.key_size;
		t->map.elem_stride = t->map.elem_size;
	}
}

/* Map flags (internal/abi): indirect key/elem.  Classic: 1 and 2; Swiss:
 * 4 and 8 (SwissMapIndirectKey/Elem). */
bool hs_map_indirect_key(struct hs_program *p, const struct hs_type *t)
{
	return t->map.flags & (p->strategy.maps == HS_MAPS_SWISS ? 4u : 1u);
}

bool hs_map_indirect_elem(struct hs_program *p, const struct hs_type *t)
{
	return t->map.flags & (p->strategy.maps == HS_MAPS_SWISS ? 8u : 2u);
}

const struct hs_type *hs_type_at(struct hs_program *p, uint64_t addr)
{
	bool pending;
	const struct hs_type *known = hs_type_known(p, addr, &pending);
	if (!pending)
		return known;

	uint8_t raw[160];
	size_t rawsize = CS_MIN(sizeof(raw), (size_t)cw_readable(p->core, addr, sizeof(raw)));
	if (rawsize < TYPE_HDR)
		return NULL;
	struct cs_error *err = cw_read(p->core, addr, raw, rawsize);
	if (err) {
		cs_error_destroy(err);
		return NULL;
	}
	const struct hs_module *mod = module_of_type(p, addr);
	uint8_t tflag = raw[20], kind = raw[23];
	/* Go 1.22–1.23 allocate "unrolled bitmap" stand-in types for large
	 * objects whose type has a GC program; they live outside the module
	 * and carry only Size_, PtrBytes and GCData (runtime/mbitmap.go). */
	bool unrolled = !mod && p->strategy.gcprog_types && (tflag & TFLAG_BIT4);
	if (!mod && !unrolled)
		return NULL;

	struct hs_type *t = cs_arena_alloc(&p->arena, sizeof(*t));
	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->addr = addr;
	t->size = rd_u64(raw);
	t->ptrbytes = rd_u64(raw + 8);
	t->tflag = tflag;
	t->kind = kind & KIND_MASK;
	t->gcprog = p->strategy.gcprog_types && (kind & KIND_GCPROG);
	t->gcdata = rd_u64(raw + 32);
	t->direct_iface = p->strategy.direct_iface_tflag ? (tflag & TFLAG_DIRECTIFACE)
							 : (kind & KIND_DIRECTIFACE);
	if (t->ptrbytes > t->size || t->kind == 0 || t->kind > 26 ||
	    t->size > ((uint64_t)1 << 48))
		return NULL;
	if (unrolled) {
		t->name = "(unrolled GC bitmap type)";
		t->unrolled = true;
	} else {
		int32_t nameoff;
		memcpy(&nameoff, raw + 40, 4);
		const char *n = read_name(p, mod->types + (uint64_t)(int64_t)nameoff, NULL);
		if (!n)
			return NULL;
		if ((tflag & TFLAG_EXTRASTAR) && n[0] == '*')
			n++;
		t->name = n;
	}

	switch (t->kind) {
	case HS_KIND_PTR:
	case HS_KIND_SLICE:
	case HS_KIND_CHAN:
		t->elem = rd_u64(raw + 48);
		break;
	case HS_KIND_ARRAY:
		t->elem = rd_u64(raw + 48);
		t->len = rd_u64(raw + 64);
		break;
	case HS_KIND_STRUCT:
		if (!unrolled && !decode_fields(p, t, raw))
			return NULL;
		break;
	case HS_KIND_MAP:
		decode_map(p, t, raw, rawsize);
		break;
	case HS_KIND_INTERFACE:
		/* InterfaceType: PkgPath @48, Methods slice @56: len @64. */
		if (rawsize >= 72)
			t->len = rd_u64(raw + 64);
		break;
	default:
		break;
	}
	if (!table_add(&p->types, t))
		return NULL;
	return t;
}

const struct hs_type *hs_type_known(const struct hs_program *p, uint64_t addr, bool *pending)
{
	bool may_be_type = addr && !(addr & 7);	/* else no type can be there */
	uint32_t id = may_be_type ? table_find(&p->types, addr) : 0;
	*pending = may_be_type && !id;
	return id ? p->types.v[id] : NULL;
}

const struct hs_type *hs_type_by_id(const struct hs_program *p, uint32_t id)
{
	return id && id < p->types.n ? p->types.v[id] : NULL;
}

/* ------------------------------------------------------------------ */
/* Pointer masks                                                       */
/* ------------------------------------------------------------------ */

static void set_bit(uint8_t *m, uint64_t i)
{
	m[i / 8] |= (uint8_t)(1u << (i % 8));
}

/*
 * Run a GC program (runtime/mbitmap.go runGCProg): 0 stops; 0nnnnnnn
 * emits n literal bits that follow; 1nnnnnnn c repeats the last n bits c
 * times (n 0 means n is a varint that follows, then c).  Output is capped
 * at nbits.
 */
bool hs_run_gcprog(const uint8_t *prog, size_t plen, uint8_t *out, uint64_t nbits)
{
	size_t pc = 0;
	uint64_t bit = 0;
	while (pc < plen) {
		uint8_t op = prog[pc++];
		if (op == 0)
			return true;
		uint64_t n = op & 0x7f;
		if (!(op & 0x80)) {
			for (uint64_t i = 0; i < n; i++, bit++) {
				if (pc + i / 8 >= plen)
					return false;
				if (bit >= nbits)
					return false;
				if ((prog[pc + i / 8] >> (i % 8)) & 1)
					set_bit(out, bit);
			}
			pc += (n + 7) / 8;
			continue;
		}
		if (n == 0) {
			unsigned shift = 0;
			for (;;) {
				if (pc >= plen || shift > 56)
					return false;
				uint8_t b = prog[pc++];
				n |= (uint64_t)(b & 0x7f) << shift;
				if (!(b & 0x80))
					break;
				shift += 7;
			}
		}
		uint64_t c = 0;
		unsigned shift = 0;
		for (;;) {
			if (pc >= plen || shift > 56)
				return false;
			uint8_t b = prog[pc++];
			c |= (uint64_t)(b & 0x7f) << shift;
			if (!(b & 0x80))
				break;
			shift += 7;
		}
		if (n == 0 || n > bit)
			return false;
		if (c > nbits || n * c > nbits - bit)
			return false;
		uint64_t src = bit - n;
		for (uint64_t r = 0; r < c; r++)
			for (uint64_t i = 0; i < n; i++, bit++)
				if ((out[(src + i) / 8] >> ((src + i) % 8)) & 1)
					set_bit(out, bit);
	}
	return false;	/* ran off the end without a stop */
}

/* Build a mask from the type's structure (GCMaskOnDemand types, and any
 * type whose GCData is unreadable). */
static bool mask_from_fields(struct hs_program *p, const struct hs_type *t,
			     uint8_t *out, uint64_t word, uint64_t nwords, int depth)
{
	if (depth > 64)
		return false;
	if (t->ptrbytes == 0)
		return true;
	switch (t->kind) {
	case HS_KIND_PTR:
	case HS_KIND_CHAN:
	case HS_KIND_MAP:
	case HS_KIND_FUNC:
	case HS_KIND_UNSAFEPTR:
	case HS_KIND_STRING:
	case HS_KIND_SLICE:
		if (word < nwords)
			set_bit(out, word);
		return true;
	case HS_KIND_INTERFACE:
		/* Only the data word: the type/itab word points at static
		 * data (cmd/compile/internal/reflectdata; checked against
		 * reflect's masks). */
		if (word + 1 < nwords)
			set_bit(out, word + 1);
		return true;
	case HS_KIND_ARRAY: {
		const struct hs_type *e = hs_type_at(p, t->elem);
		if (!e || e->size == 0 || e->size % 8)
			return false;
		for (uint64_t i = 0; i < t->len; i++) {
			uint64_t w = word + i * (e->size / 8);
			if (w * 8 >= (word * 8) + t->ptrbytes)
				break;
			if (!mask_from_fields(p, e, out, w, nwords, depth + 1))
				return false;
		}
		return true;
	}
	case HS_KIND_STRUCT:
		for (uint32_t i = 0; i < t->nfields; i++) {
			const struct hs_type *ft = hs_type_at(p, t->fields[i].type);
			if (!ft || (t->fields[i].offset % 8 && ft->ptrbytes))
				return false;
			if (!mask_from_fields(p, ft, out, word + t->fields[i].offset / 8,
					      nwords, depth + 1))
				return false;
		}
		return true;
	default:
		return false;
	}
}

const uint8_t *hs_type_mask(struct hs_program *p, const struct hs_type *tc)
{
	struct hs_type *t = (struct hs_type *)tc;	/* the cache is ours */
	if (t->mask_state)
		return t->mask_state == 1 ? t->mask : NULL;
	t->mask_state = 2;
	uint64_t nwords = t->ptrbytes / 8;
	if (nwords == 0 || nwords > MAX_MASK_WORDS)
		return NULL;
	uint8_t *m = cs_arena_alloc(&p->arena, (size_t)(nwords + 7) / 8);
	if (!m)
		return NULL;
	memset(m, 0, (size_t)(nwords + 7) / 8);
	bool ok = false;
	struct cs_error *err = NULL;
	if (t->gcprog) {
		/* GCData: uint32 length, then the program. */
		uint32_t plen;
		err = cw_read(p->core, t->gcdata, &plen, 4);
		const uint8_t *prog = err ? NULL : hs_map(p, t->gcdata + 4, plen, &err);
		ok = prog && hs_run_gcprog(prog, plen, m, nwords);
	} else if (p->strategy.gcmask_on_demand && (t->tflag & TFLAG_BIT4)) {
		/* GCData is a **byte cache that may still be nil. */
		uint64_t cached = 0;
		err = cw_read_u64(p->core, t->gcdata, &cached);
		const uint8_t *b = cached ? hs_map(p, cached, (nwords + 7) / 8, &err) : NULL;
		if (b) {
			memcpy(m, b, (size_t)(nwords + 7) / 8);
			ok = true;
		} else {
			cs_error_destroy(err);
			err = NULL;
			ok = mask_from_fields(p, t, m, 0, nwords, 0);
		}
	} else {
		const uint8_t *b = hs_map(p, t->gcdata, (nwords + 7) / 8, &err);
		if (b) {
			memcpy(m, b, (size_t)(nwords + 7) / 8);
			ok = true;
		}
	}
	cs_error_destroy(err);
	if (!ok && !t->unrolled) {
		memset(m, 0, (size_t)(nwords + 7) / 8);
		ok = mask_from_fields(p, t, m, 0, nwords, 0);
	}
	if (!ok)
		return NULL;
	t->mask = m;
	t->mask_state = 1;
	return m;
}

/* Synthetic types live at addresses no module can have. */
#define SYNTH_BASE 0xfff0000000000000ull

const struct hs_type *hs_type_lookup(struct hs_program *p, uint64_t addr)
{
	uint32_t id = table_find(&p->types, addr);
	return id ? p->types.v[id] : NULL;
}

const struct hs_type *hs_type_synthetic(struct hs_program *p, const struct hs_type *proto)
{
	return hs_type_synthetic_at(p, proto, SYNTH_BASE + 16 * (uint64_t)p->types.n);
}

const struct hs_type *hs_type_synthetic_at(struct hs_program *p,
					   const struct hs_type *proto, uint64_t addr)
{
	struct hs_type *t = cs_arena_alloc(&p->arena, sizeof(*t));
	if (!t)
		return NULL;
	*t = *proto;
	t->addr = addr;
	t->synthetic = true;
	t->mask_state = 0;
	t->mask = NULL;
	if (!table_add(&p->types, t))
		return NULL;
	return t;
}

/* Closure records: "closure main.f.func1", with the captured variables as
 * fields when DWARF knows them (word 0 is the code pointer F). */
const struct hs_type *hs_closure_type(struct hs_program *p, uint64_t fn, uint64_t size)
{
	struct hs_func f;
	if (!hs_find_func(p, fn, &f) || f.entry != fn)
		return NULL;
	uint64_t fake = 0xffd0000000000000ull | (fn << 3);
	const struct hs_type *t = hs_type_lookup(p, fake);
	if (t)
		return t;
	struct hs_type proto = { 0 };
	proto.kind = HS_KIND_STRUCT;
	proto.role = HS_SYNTH_CLOSURE;
	proto.for_type = fn;
	proto.name = cs_arena_printf(&p->arena, "closure %s", hs_func_name(p, &f));
	struct hs_field vars[64];
	size_t n = p->dwarf ? hs_dwarf_closure_vars(p, fn, vars, CS_ARRAY_SIZE(vars)) : 0;
	if (!n && p->dwarf) {
		/* Go before 1.23 does not say where captures live; the
		 * closure's struct type does, and its field names are the
		 * closure's variable names. */
		const char *names[64], *renamed[64];
		const struct hs_type *vtypes[64];
		size_t nn = hs_dwarf_func_var_names(p, fn, names, vtypes, CS_ARRAY_SIZE(names));
		const struct hs_type *st =
			nn ? hs_closure_struct(p, names, vtypes, nn, size, renamed) : NULL;
		if (st) {
			n = st->nfields - 1;
			memcpy(vars, st->fields + 1, n * sizeof(*vars));
			for (size_t i = 0; i < n; i++)
				vars[i].name = renamed[i];
		}
	}
	uint64_t end = 8;
	if (n) {
		struct hs_field *fl = cs_arena_alloc(&p->arena, n * sizeof(*fl));
		if (fl) {
			memcpy(fl, vars, n * sizeof(*fl));
			/* keep them in offset order for field lookups */
			for (size_t i = 1; i < n; i++)
				for (size_t j = i; j > 0 && fl[j - 1].offset > fl[j].offset; j--) {
					struct hs_field tmp = fl[j];
					fl[j] = fl[j - 1];
					fl[j - 1] = tmp;
				}
			for (size_t i = 0; i < n; i++) {
				const struct hs_type *ft = hs_type_at(p, fl[i].type);
				if (ft && fl[i].offset + ft->size > end)
					end = fl[i].offset + ft->size;
			}
			proto.fields = fl;
			proto.nfields = (uint32_t)n;
		}
	}
	/* The record may be rounded up to its size class. */
	proto.size = n ? end : size;
	return hs_type_synthetic_at(p, &proto, fake);
}

/* ------------------------------------------------------------------ */
/* Finding type descriptors without a name table                        */
/* ------------------------------------------------------------------ */

/*
 * Every type descriptor of the modules, found by scanning their types
 * sections at 8-byte alignment for records that decode as one (kind, sizes
 * and a name that resolve).  typelinks lists only some types; closure
 * records' struct types, for one, are not among them.  Done once, on
 * demand.
 */
static void index_all_types(struct hs_program *p)
{
	if (p->types_indexed)
		return;
	p->types_indexed = true;
	for (size_t m = 0; m < p->nmods; m++) {
		const struct hs_module *mod = &p->mods[m];
		uint64_t len = mod->etypes > mod->types ? mod->etypes - mod->types : 0;
		if (len > (1ull << 30))
			continue;
		struct cs_error *err = NULL;
		const uint8_t *d = hs_map(p, mod->types, len, &err);
		cs_error_destroy(err);
		if (!d)
			continue;
		for (uint64_t off = 0; off + TYPE_HDR <= len; off += 8) {
			const uint8_t *r = d + off;
			uint64_t size = rd_u64(r), ptrbytes = rd_u64(r + 8);
			uint8_t kind = r[23] & KIND_MASK;
			int32_t nameoff;
			memcpy(&nameoff, r + 40, 4);
			if (kind == 0 || kind > 26 || ptrbytes > size || size > (1ull << 40) ||
			    nameoff <= 0 || (uint64_t)nameoff >= len)
				continue;
			/* the name: flags byte, then a 1-2 byte length */
			const uint8_t *nm = d + nameoff;
			if ((uint64_t)nameoff + 3 > len || (nm[0] & 0xe0) || !nm[1])
				continue;
			hs_type_at(p, mod->types + off);
		}
	}
}

/* "X0", "X1"…: the positional field names of closure records in Go
 * 1.20-1.22. */
static bool positional_name(const char *s)
{
	if (s[0] != 'X' || !s[1])
		return false;
	for (s++; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool same_type(const struct hs_program *p, uint64_t field_type,
		      const struct hs_type *var_type)
{
	const struct hs_type *ft = hs_type_lookup((struct hs_program *)p, field_type);
	return ft && var_type && (ft->addr == var_type->addr ||
				  strcmp(ft->name, var_type->name) == 0);
}

/* Do two closure structs lay their captures out alike (so that an
 * ambiguity between them does not matter)? */
static bool same_layout(const struct hs_type *a, const struct hs_type *b)
{
	if (a->nfields != b->nfields || a->size != b->size)
		return false;
	for (uint32_t f = 0; f < a->nfields; f++)
		if (a->fields[f].type != b->fields[f].type ||
		    a->fields[f].offset != b->fields[f].offset)
			return false;
	return true;
}

const struct hs_type *hs_closure_struct(struct hs_program *p, const char *const *names,
					const struct hs_type *const *types, size_t n,
					uint64_t size, const char **renamed_ret)
{
	index_all_types(p);
	const struct hs_type *best = NULL;
	bool ambiguous = false, positional = false;
	for (size_t i = 1; i < p->types.n; i++) {
		const struct hs_type *t = p->types.v[i];
		if (t->kind != HS_KIND_STRUCT || t->synthetic || t->nfields < 2 ||
		    strncmp(t->name, "struct { F uintptr;", 19) != 0 ||
		    (strcmp(t->fields[0].name, "F") != 0 &&
		     strcmp(t->fields[0].name, ".F") != 0))	/* ".F" to 1.21 */
			continue;
		bool all = true, pos = positional_name(t->fields[1].name);
		if (pos) {
			/* Go 1.20-1.22 name the captures X0, X1…: match them
			 * by type, each to a variable of its own. */
			bool used[64] = { false };
			if (t->size > size || t->nfields - 1 > n || n > 64)
				continue;
			for (uint32_t f = 1; f < t->nfields && all; f++) {
				bool found = false;
				for (size_t k = 0; k < n && !found; k++)
					if (!used[k] && same_type(p, t->fields[f].type, types[k]))
						found = used[k] = true;
				all = found && positional_name(t->fields[f].name);
			}
		} else {
			for (uint32_t f = 1; f < t->nfields && all; f++) {
				bool found = false;
				for (size_t k = 0; k < n && !found; k++)
					found = strcmp(names[k], t->fields[f].name) == 0;
				all = found;
			}
		}
		if (!all)
			continue;
		if (!best || t->nfields > best->nfields) {
			best = t;
			positional = pos;
			ambiguous = false;
		} else if (t->nfields == best->nfields && strcmp(t->name, best->name) != 0 &&
			   !(pos && positional && same_layout(t, best))) {
			/* the same name is the same type (found twice); for
			 * positional names, alike layouts are as good */
			ambiguous = true;
		}
	}
	if (!best || ambiguous)
		return NULL;
	for (uint32_t f = 1; f < best->nfields; f++) {
		const char *name = best->fields[f].name;
		if (positional) {
			/* the variable's name, when only one has this type */
			size_t hits = 0, k0 = 0;
			for (size_t k = 0; k < n; k++)
				if (same_type(p, best->fields[f].type, types[k])) {
					hits++;
					k0 = k;
				}
			if (hits == 1)
				name = names[k0];
		}
		renamed_ret[f - 1] = name;
	}
	return best;
}
