/*
 * notes.c — ELF notes: threads (NT_PRSTATUS), the process (NT_PRPSINFO),
 * the signal (NT_SIGINFO), the auxiliary vector (NT_AUXV) and the mapped
 * files (NT_FILE).  Floating-point state is kept raw.
 *
 * Layouts are the x86_64 kernel ABI (include/uapi/linux/elfcore.h,
 * fs/binfmt_elf.c); gdb's gcore writes the same ones.
 */
#include "config.h"

#include <elf.h>
#include <string.h>

#include "internal.h"

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif
#ifndef NT_SIGINFO
#define NT_SIGINFO 0x53494749
#endif
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

/* x86_64 struct elf_prstatus */
#define PRSTATUS_SIZE 336
#define PRSTATUS_CURSIG 12
#define PRSTATUS_SIGPEND 16
#define PRSTATUS_SIGHOLD 24
#define PRSTATUS_PID 32
#define PRSTATUS_REG 112
#define PRSTATUS_NREG 27

/* x86_64 struct elf_prpsinfo */
#define PRPSINFO_SIZE 136

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

bool cw_next_note(const uint8_t *p, size_t n, size_t *off, struct cw_note *ret,
		  bool *bad)
{
	*bad = false;
	size_t o = *off;
	if (o >= n || n - o < 12)
		return false;
	uint32_t namesz = rd32(p + o), descsz = rd32(p + o + 4);
	uint32_t type = rd32(p + o + 8);
	o += 12;
	if (namesz > n - o || align4(namesz) > n - o) {
		*bad = true;
		return false;
	}
	const char *name = (const char *)(p + o);
	o += align4(namesz);
	if (descsz > n - o) {
		*bad = true;
		return false;
	}
	ret->name = namesz ? name : "";
	ret->namesz = namesz;
	ret->type = type;
	ret->desc = p + o;
	ret->descsz = descsz;
	o += descsz;
	*off = align4(o) <= n ? align4(o) : n;
	/* The owner name must be NUL-terminated inside namesz. */
	if (namesz && name[namesz - 1] != '\0') {
		*bad = true;
		return false;
	}
	return true;
}

static bool owner_is(const struct cw_note *n, const char *owner)
{
	return n->namesz == strlen(owner) + 1 && strcmp(n->name, owner) == 0;
}

/* Copy a fixed-size, maybe unterminated char field. */
static void copy_field(char *dst, size_t dstsz, const uint8_t *src, size_t n)
{
	size_t k = strnlen((const char *)src, n);
	if (k >= dstsz)
		k = dstsz - 1;
	memcpy(dst, src, k);
	dst[k] = '\0';
}

static struct cs_error *note_prstatus(struct cw_core *core,
				      const struct cw_note *n, size_t *cap)
{
	if (n->descsz < PRSTATUS_SIZE) {
		cs_warn(&core->warnings, true,
			"%s: NT_PRSTATUS of %u bytes is too short (want %d); thread skipped",
			core->path, n->descsz, PRSTATUS_SIZE);
		return NULL;
	}
	struct cw_thread t = { 0 };
	const uint8_t *d = n->desc;
	uint16_t cursig;
	memcpy(&cursig, d + PRSTATUS_CURSIG, 2);
	t.cursig = cursig;
	t.sigpend = rd64(d + PRSTATUS_SIGPEND);
	t.sighold = rd64(d + PRSTATUS_SIGHOLD);
	t.tid = (int)rd32(d + PRSTATUS_PID);
	_Static_assert(sizeof(struct cw_regs) == PRSTATUS_NREG * 8,
		       "cw_regs must match user_regs_struct");
	memcpy(&t.regs, d + PRSTATUS_REG, sizeof(t.regs));
	if (!CS_PUSH(core->threads, core->nthreads, *cap, t))
		return &cs_error_nomem;
	return NULL;
}

static void note_prpsinfo(struct cw_core *core, const struct cw_note *n)
{
	if (n->descsz < PRPSINFO_SIZE) {
		cs_warn(&core->warnings, false,
			"%s: NT_PRPSINFO of %u bytes is too short; process info skipped",
			core->path, n->descsz);
		return;
	}
	struct cw_process *p = &core->proc;
	const uint8_t *d = n->desc;
	p->have_psinfo = true;
	p->state = (char)d[1];
	p->uid = (int)rd32(d + 16);
	p->gid = (int)rd32(d + 20);
	p->pid = (int)rd32(d + 24);
	p->ppid = (int)rd32(d + 28);
	copy_field(p->fname, sizeof(p->fname), d + 40, 16);
	copy_field(p->psargs, sizeof(p->psargs), d + 56, 80);
}

static void note_siginfo(struct cw_core *core, const struct cw_note *n)
{
	if (n->descsz < 24)
		return;
	struct cw_process *p = &core->proc;
	p->have_siginfo = true;
	p->signo = (int)rd32(n->desc);
	p->sigerrno = (int)rd32(n->desc + 4);
	p->sigcode = (int)rd32(n->desc + 8);
	p->fault_addr = rd64(n->desc + 16);
}

static struct cs_error *note_auxv(struct cw_core *core, const struct cw_note *n)
{
	size_t pairs = n->descsz / 16;
	uint64_t *v = cs_arena_alloc(&core->arena, pairs * 16 + 16);
	if (!v)
		return &cs_error_nomem;
	size_t k = 0;
	for (size_t i = 0; i < pairs; i++) {
		uint64_t type = rd64(n->desc + i * 16);
		if (type == AT_NULL)
			break;
		v[2 * k] = type;
		v[2 * k + 1] = rd64(n->desc + i * 16 + 8);
		k++;
	}
	core->auxv = v;
	core->nauxv = k;
	return NULL;
}

static struct cs_error *note_file(struct cw_core *core, const struct cw_note *n)
{
	if (n->descsz < 16)
		goto bad;
	uint64_t count = rd64(n->desc), pagesz = rd64(n->desc + 8);
	if (pagesz == 0 || pagesz > (1u << 30) || (pagesz & (pagesz - 1)))
		goto bad;
	if (count > (n->descsz - 16) / 24)
		goto bad;
	struct cw_file_map *m = cs_arena_alloc(&core->arena,
					       (count ? count : 1) * sizeof(*m));
	if (!m)
		return &cs_error_nomem;
	const char *names = (const char *)n->desc + 16 + count * 24;
	const char *end = (const char *)n->desc + n->descsz;
	for (uint64_t i = 0; i < count; i++) {
		const uint8_t *e = n->desc + 16 + i * 24;
		size_t room = (size_t)(end - names);
		size_t len = strnlen(names, room);
		if (len == room)
			goto bad;
		m[i].start = rd64(e);
		m[i].end = rd64(e + 8);
		uint64_t pgoff = rd64(e + 16);
		if (m[i].end < m[i].start || pgoff > UINT64_MAX / pagesz)
			goto bad;
		m[i].file_offset = pgoff * pagesz;
		m[i].path = names;
		names += len + 1;
	}
	core->fmaps = m;
	core->nfmaps = count;
	return NULL;
bad:
	cs_warn(&core->warnings, false,
		"%s: NT_FILE note is malformed; mapped file names unavailable",
		core->path);
	return NULL;
}

struct cs_error *cw_parse_notes(struct cw_core *core, const uint8_t *p,
				size_t n, uint64_t file_offset)
{
	size_t off = 0, cap = core->nthreads;
	struct cw_note note;
	bool bad = false;
	struct cw_thread *cur = NULL;	/* thread the FP notes belong to */
	while (cw_next_note(p, n, &off, &note, &bad)) {
		struct cs_error *err = NULL;
		if (owner_is(&note, "CORE")) {
			switch (note.type) {
			case NT_PRSTATUS: {
				size_t before = core->nthreads;
				err = note_prstatus(core, &note, &cap);
				cur = core->nthreads > before
					      ? &core->threads[core->nthreads - 1]
					      : NULL;
				break;
			}
			case NT_PRPSINFO:
				note_prpsinfo(core, &note);
				break;
			case NT_SIGINFO:
				note_siginfo(core, &note);
				break;
			case NT_AUXV:
				err = note_auxv(core, &note);
				break;
			case NT_FILE:
				err = note_file(core, &note);
				break;
			case NT_PRFPREG:
				if (cur) {
					cur->fpregs = note.desc;
					cur->fpregs_size = note.descsz;
				}
				break;
			default:
				break;
			}
		} else if (owner_is(&note, "LINUX") && note.type == NT_X86_XSTATE &&
			   cur) {
			cur->xstate = note.desc;
			cur->xstate_size = note.descsz;
		}
		if (err)
			return err;
	}
	if (bad)
		cs_warn(&core->warnings, true,
			"%s: malformed note at file offset 0x%llx; later notes ignored",
			core->path, (unsigned long long)(file_offset + off));
	return NULL;
}
