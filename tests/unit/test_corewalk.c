/*
 * test_corewalk.c — corewalk on synthetic cores: parsing, the memory map,
 * truncation, zstd and stream input, hostile headers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "check.h"
#include "corewalk.h"
#include "corewalk/internal.h"
#include "fakecore.h"

static char tmpdir[256];

static const char *write_tmp(const char *name, const void *p, size_t n)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	fwrite(p, 1, n, f);
	fclose(f);
	return path;
}

static const struct cw_open_options no_files = { .no_files = true };

/* Two segments with data, a hole, a big zero segment, a not-saved one. */
static void basic_spec(struct fc_spec *s)
{
	static uint8_t zeros[1 << 20];
	memset(s, 0, sizeof(*s));
	s->tid[0] = 4242;
	s->rip[0] = 0x401234;
	s->tid[1] = 4243;
	s->rip[1] = 0x405678;
	s->pid = 4242;
	s->fname = "fakeprog";
	s->auxv[0] = AT_PAGESZ;
	s->auxv[1] = 4096;
	s->auxv[2] = AT_ENTRY;
	s->auxv[3] = 0x401000;
	s->loads[0] = (struct fc_load){ 0x10000, 0x2000, 0x1000, PF_R | PF_W, NULL };
	s->loads[1] = (struct fc_load){ 0x12000, 0x1000, 0x1000, PF_R, NULL };
	s->loads[2] = (struct fc_load){ 0x400000, 0x10000, 0, PF_R | PF_X, NULL };
	s->loads[3] = (struct fc_load){ 0xc000000000, 1 << 20, 1 << 20, PF_R | PF_W, zeros };
	s->loads[4] = (struct fc_load){ 0x20000, 0x1000, 0x1000, PF_R | PF_W, NULL };
	s->nloads = 5;
}

static void expect_basic_reads(struct cw_core *core)
{
	uint8_t buf[32];
	struct cs_error *err = cw_read(core, 0x10010, buf, 16);
	REQUIRE(!err, "read saved bytes: %s", err->message);
	for (int i = 0; i < 16; i++)
		CHECK(buf[i] == fc_pattern(0x10010 + (uint64_t)i), "byte %d wrong", i);

	/* 0x11000..0x12000 is mapped but not saved: never zeroes. */
	err = cw_read(core, 0x10ff8, buf, 16);
	REQUIRE(err, "read into not-saved bytes succeeded");
	CHECK(err->code == CS_ERR_FAULT && err->addr == 0x11000 &&
	      err->fault == CS_FAULT_NOT_SAVED,
	      "fault code %d addr 0x%llx why %d", err->code,
	      (unsigned long long)err->addr, err->fault);
	CHECK(strstr(err->message, "0x11000") != NULL, "message lacks address: %s",
	      err->message);
	cs_error_destroy(err);

	err = cw_read(core, 0x30000, buf, 1);
	CHECK(err && err->fault == CS_FAULT_UNMAPPED, "unmapped read");
	cs_error_destroy(err);
	CHECK(cw_probe(core, 0x400100) == CS_FAULT_NOT_SAVED, "text should be not-saved");

	/* Zero bytes that were saved read as zeroes. */
	uint64_t v = 1;
	err = cw_read_u64(core, 0xc000000000 + 4096 * 7, &v);
	CHECK(!err && v == 0, "saved zero page");
	cs_error_destroy(err);

	/* A read that starts in not-saved bytes fails at its first byte. */
	err = cw_read(core, 0x12000 - 8, buf, 16);
	CHECK(err && err->addr == 0x12000 - 8, "fault address");
	cs_error_destroy(err);
	CHECK(cw_peek(core, 0x12000, 0x1000) != NULL, "peek whole segment");
	CHECK(cw_peek(core, 0x12000, 0x1001) == NULL, "peek past segment end");
	CHECK(cw_readable(core, 0x10000, 1 << 20) == 0x1000, "readable run %llu",
	      (unsigned long long)cw_readable(core, 0x10000, 1 << 20));
}

static struct cw_core *open_ok(const char *path, const struct cw_open_options *o)
{
	struct cw_core *core = NULL;
	struct cs_error *err = cw_core_open(path, o, &core);
	if (err) {
		check_fail(__FILE__, __LINE__, "open %s: %s", path, err->message);
		cs_error_destroy(err);
		return NULL;
	}
	return core;
}

static void parses_notes_and_segments(void)
{
	struct fc_spec s;
	basic_spec(&s);
	size_t n;
	uint8_t *img = fc_build(&s, &n);
	const char *path = write_tmp("basic.core", img, n);
	free(img);
	struct cw_core *core = open_ok(path, &no_files);
	REQUIRE(core, "open failed");
	CHECK(cw_core_thread_count(core) == 2, "threads %zu", cw_core_thread_count(core));
	const struct cw_thread *t = cw_core_thread(core, 1);
	CHECK(t && t->tid == 4243 && t->regs.rip == 0x405678, "thread 1 wrong");
	CHECK(t && t->fpregs && t->fpregs_size == 512, "fp regs not kept");
	CHECK(cw_core_find_thread(core, 4242) != NULL, "find_thread");
	const struct cw_process *p = cw_core_process(core);
	CHECK(p->have_psinfo && p->pid == 4242 && !strcmp(p->fname, "fakeprog"),
	      "psinfo pid %d fname %s", p->pid, p->fname);
	uint64_t v;
	CHECK(cw_core_auxv(core, AT_ENTRY, &v) && v == 0x401000, "auxv");
	CHECK(cw_core_segment_count(core) == 5, "segments %zu", cw_core_segment_count(core));
	CHECK(cw_core_segment(core, 0)->vaddr == 0x10000, "segments not sorted");
	const struct cw_input_info *in = cw_core_input(core);
	CHECK(!in->truncated && in->missing_bytes == 0, "complete core seen as truncated");
	CHECK(!cw_core_warnings(core)->partial, "complete core is partial");
	expect_basic_reads(core);
	cw_core_destroy(core);
}

static void truncation_is_labelled(void)
{
	struct fc_spec s;
	basic_spec(&s);
	size_t n;
	uint8_t *img = fc_build(&s, &n);
	/* Cut inside the last segment: its first half stays readable. */
	size_t cut = n - 0x800;
	const char *path = write_tmp("cut.core", img, cut);
	free(img);
	struct cw_core *core = open_ok(path, &no_files);
	REQUIRE(core, "open failed");
	const struct cw_input_info *in = cw_core_input(core);
	CHECK(in->truncated, "truncation not detected");
	CHECK(in->missing_bytes == 0x800, "missing %llu", (unsigned long long)in->missing_bytes);
	CHECK(cw_core_warnings(core)->partial, "truncated core not marked partial");
	uint8_t b[8];
	struct cs_error *err = cw_read(core, 0x20000 + 0x7f8, b, 8);
	CHECK(!err, "bytes before the cut unreadable");
	cs_error_destroy(err);
	err = cw_read(core, 0x20000 + 0x800, b, 8);
	CHECK(err && err->fault == CS_FAULT_TRUNCATED, "bytes after the cut: %s",
	      err ? cs_fault_name(err->fault) : "readable");
	cs_error_destroy(err);
	cw_core_destroy(core);
}

static void expect_open_error(const char *name, const void *p, size_t n,
			      enum cs_error_code code, const char *needle);

static uint8_t *zstd_compress(const uint8_t *p, size_t n, size_t *out)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *z = malloc(cap);
	size_t k = ZSTD_compress(z, cap, p, n, 3);
	if (ZSTD_isError(k)) {
		free(z);
		return NULL;
	}
	*out = k;
	return z;
}

/* A zstd stream whose frames do not declare their size (as a streaming
 * compressor writes them), two frames of them: the mapping grows from its
 * first reservation several times while the copier threads are moving
 * buffers in, and the image is still the input, with its zero pages
 * holes. */
static void zstd_streams_of_unknown_size_grow_while_copied(void)
{
	size_t n = (size_t)200 << 20, half = n / 2 + 12345;
	uint8_t *img = malloc(n);
	REQUIRE(img, "malloc");
	/* runs of 1..64 pages, zero or patterned, and some pages zero but
	 * for one byte (not a hole) */
	uint64_t seed = 42, want_resident = 0;
	for (size_t at = 0; at < n;) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		size_t run = (1 + (size_t)(seed >> 58)) * 4096;
		if (run > n - at)
			run = n - at;
		bool zero = (seed >> 20) & 1;
		for (size_t k = 0; k < run; k++)
			img[at + k] = zero ? 0 : (uint8_t)(at + k * 7);
		if (zero && (seed >> 30) % 5 == 0)
			img[at + run / 2] = 1;
		at += run;
	}
	for (size_t at = 0; at < n; at += 4096) {
		size_t k = n - at < 4096 ? n - at : 4096, nz = 0;
		for (size_t i = 0; i < k && !nz; i++)
			nz = img[at + i];
		want_resident += nz ? k : 0;
	}
	/* two frames, without content sizes */
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	REQUIRE(cc, "ZSTD_createCCtx");
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 1);
	size_t cap = ZSTD_compressBound(n) + 64, zn = 0;
	uint8_t *z = malloc(cap);
	REQUIRE(z, "malloc");
	for (int f = 0; f < 2; f++) {
		ZSTD_inBuffer zi = { img + (f ? half : 0), f ? n - half : half, 0 };
		ZSTD_outBuffer zo = { z, cap, zn };
		size_t left;
		do
			left = ZSTD_compressStream2(cc, &zo, &zi, ZSTD_e_end);
		while (!ZSTD_isError(left) && left);
		REQUIRE(!ZSTD_isError(left), "compress: %s", ZSTD_getErrorName(left));
		zn = zo.pos;
	}
	ZSTD_freeCCtx(cc);
	CHECK(ZSTD_getFrameContentSize(z, zn) == ZSTD_CONTENTSIZE_UNKNOWN, "the frame declares its size");
	struct cw_input in;
	struct cs_error *err = cw_input_from_buffer(z, zn, &in);
	REQUIRE(!err, "%s", err->message);
	CHECK(in.size == n && !in.stream_truncated, "decompressed %zu bytes of %zu%s", in.size, n,
	      in.stream_truncated ? ", truncated" : "");
	CHECK(in.size != n || memcmp(in.data, img, n) == 0, "the image differs from the input");
	CHECK(in.resident == want_resident, "%llu bytes copied, %llu non-zero",
	      (unsigned long long)in.resident, (unsigned long long)want_resident);
	cw_input_release(&in);
	free(z);
	free(img);
}

static void zstd_input_is_sparse_and_identical(void)
{
	struct fc_spec s;
	basic_spec(&s);
	size_t n, zn;
	uint8_t *img = fc_build(&s, &n);
	uint8_t *z = zstd_compress(img, n, &zn);
	REQUIRE(z, "compress failed");
	const char *path = write_tmp("basic.core.zst", z, zn);
	struct cw_core *core = open_ok(path, &no_files);
	REQUIRE(core, "open failed");
	const struct cw_input_info *in = cw_core_input(core);
	CHECK(in->compressed, "not seen as compressed");
	CHECK(in->data_size == n, "decompressed %llu want %zu",
	      (unsigned long long)in->data_size, n);
	/* The 1 MiB zero segment must not become resident. */
	CHECK(in->resident_bytes < n - (1 << 20) + 8192, "resident %llu of %zu",
	      (unsigned long long)in->resident_bytes, n);
	expect_basic_reads(core);
	cw_core_destroy(core);

	/* A compressed stream cut short (inside its last block): a
	 * labelled, truncated core. */
	path = write_tmp("cut.core.zst", z, zn - 16);
	core = open_ok(path, &no_files);
	if (core) {
		CHECK(cw_core_input(core)->truncated, "cut zstd not truncated");
		CHECK(cw_core_warnings(core)->partial, "cut zstd not partial");
		cw_core_destroy(core);
	}
	/* Cut inside the first block: nothing to show, a clear error. */
	expect_open_error("head.core.zst", z, 20, CS_ERR_BAD_DATA, "zstd");
	free(z);
	free(img);
}

static void stdin_stream_works(void)
{
	struct fc_spec s;
	basic_spec(&s);
	size_t n;
	uint8_t *img = fc_build(&s, &n);
	int fds[2];
	REQUIRE(pipe(fds) == 0, "pipe");
	pid_t pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		close(fds[0]);
		size_t off = 0;
		while (off < n) {
			ssize_t k = write(fds[1], img + off, n - off);
			if (k <= 0)
				_exit(1);
			off += (size_t)k;
		}
		_exit(0);
	}
	close(fds[1]);
	int saved = dup(STDIN_FILENO);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	struct cw_core *core = open_ok("-", &no_files);
	dup2(saved, STDIN_FILENO);
	close(saved);
	waitpid(pid, NULL, 0);
	free(img);
	REQUIRE(core, "open stdin failed");
	CHECK(cw_core_input(core)->data_size == n, "stdin size");
	expect_basic_reads(core);
	cw_core_destroy(core);
}

static void expect_open_error(const char *name, const void *p, size_t n,
			      enum cs_error_code code, const char *needle)
{
	const char *path = write_tmp(name, p, n);
	struct cw_core *core = NULL;
	struct cs_error *err = cw_core_open(path, &no_files, &core);
	if (!err) {
		check_fail(__FILE__, __LINE__, "%s: opened", name);
		cw_core_destroy(core);
		return;
	}
	CHECK(err->code == code, "%s: code %d want %d (%s)", name, err->code, code,
	      err->message);
	CHECK(strstr(err->message, needle) != NULL, "%s: message '%s' lacks '%s'", name,
	      err->message, needle);
	CHECK(strchr(err->message, '\n') == NULL, "%s: message is not one line", name);
	cs_error_destroy(err);
}

static void hostile_headers_are_rejected(void)
{
	struct fc_spec s;
	basic_spec(&s);
	size_t n;
	uint8_t *img = fc_build(&s, &n);
	uint8_t *bad = malloc(n);

	expect_open_error("text.core", "hello world, not a core", 23, CS_ERR_BAD_DATA,
			  "not an ELF core");
	memcpy(bad, img, n);
	((Elf64_Ehdr *)bad)->e_type = ET_EXEC;
	expect_open_error("exec.core", bad, n, CS_ERR_BAD_DATA, "not a core dump");
	memcpy(bad, img, n);
	((Elf64_Ehdr *)bad)->e_machine = EM_AARCH64;
	expect_open_error("arm.core", bad, n, CS_ERR_UNSUPPORTED, "x86_64");
	memcpy(bad, img, n);
	((Elf64_Ehdr *)bad)->e_phnum = 60000;
	expect_open_error("phnum.core", bad, n, CS_ERR_BAD_DATA, "do not fit");
	memcpy(bad, img, n);
	((Elf64_Ehdr *)bad)->e_phnum = PN_XNUM;
	expect_open_error("xnum.core", bad, n, CS_ERR_BAD_DATA, "PN_XNUM");
	expect_open_error("short.core", img, 40, CS_ERR_BAD_DATA, "truncated inside the ELF header");
	free(bad);
	free(img);
}

static void corrupt_notes_and_overlaps_warn(void)
{
	struct fc_spec s;
	basic_spec(&s);
	s.loads[5] = (struct fc_load){ 0x10800, 0x1000, 0x100, PF_R, NULL };
	s.nloads = 6;
	size_t n;
	uint8_t *img = fc_build(&s, &n);
	/* Make the first note's namesz absurd. */
	Elf64_Phdr ph;
	memcpy(&ph, img + sizeof(Elf64_Ehdr), sizeof(ph));
	uint32_t huge = 0xfffffff0;
	memcpy(img + ph.p_offset, &huge, 4);
	const char *path = write_tmp("corrupt.core", img, n);
	free(img);
	struct cw_core *core = open_ok(path, &no_files);
	REQUIRE(core, "open failed");
	const struct cs_warnings *w = cw_core_warnings(core);
	bool note = false, overlap = false;
	for (size_t i = 0; i < w->n; i++) {
		note |= strstr(w->msgs[i], "malformed note") != NULL;
		overlap |= strstr(w->msgs[i], "overlaps") != NULL;
	}
	CHECK(note, "no warning for the malformed note");
	CHECK(overlap, "no warning for the overlapping segment");
	CHECK(cw_core_segment_count(core) == 5, "overlap kept: %zu", cw_core_segment_count(core));
	CHECK(w->partial, "corrupt notes not partial");
	cw_core_destroy(core);
}

/* Every prefix of a core opens cleanly or fails with a message. */
static void every_cut_is_handled(void)
{
	struct fc_spec s;
	basic_spec(&s);
	s.loads[3].memsz = s.loads[3].filesz = 4096;	/* keep it small */
	size_t n;
	uint8_t *img = fc_build(&s, &n);
	size_t opened = 0, refused = 0;
	for (size_t cut = 1; cut < n; cut += (cut < 2048 ? 1 : 61)) {
		const char *path = write_tmp("prefix.core", img, cut);
		struct cw_core *core = NULL;
		struct cs_error *err = cw_core_open(path, &no_files, &core);
		if (err) {
			CHECK(err->message && *err->message, "empty message at cut %zu", cut);
			cs_error_destroy(err);
			refused++;
			continue;
		}
		opened++;
		CHECK(cw_core_input(core)->truncated, "cut %zu not truncated", cut);
		uint8_t b[64];
		for (size_t i = 0; i < cw_core_segment_count(core); i++) {
			struct cs_error *e = cw_read(core, cw_core_segment(core, i)->vaddr, b,
						     sizeof(b));
			cs_error_destroy(e);
		}
		cw_core_destroy(core);
	}
	CHECK(opened > 0 && refused > 0, "opened %zu refused %zu", opened, refused);
	free(img);
}

int main(void)
{
	check_suite = "unit/corewalk";
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/cs-unit-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: unit/corewalk/setup: mkdtemp: %s\n", strerror(errno));
		return 0;
	}
	RUN(parses_notes_and_segments);
	RUN(truncation_is_labelled);
	RUN(zstd_input_is_sparse_and_identical);
	RUN(stdin_stream_works);
	RUN(zstd_streams_of_unknown_size_grow_while_copied);
	RUN(hostile_headers_are_rejected);
	RUN(corrupt_notes_and_overlaps_warn);
	RUN(every_cut_is_handled);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return 0;
}
