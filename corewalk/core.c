/*
 * core.c — opening and closing a core, and the simple accessors.
 */
#include "config.h"

#include <string.h>

#include "internal.h"

static struct cs_error *core_finish_open(struct cw_core *core,
					  const struct cw_open_options *opts,
					  struct cw_core **ret);

static struct cw_core *core_new(const char *name)
{
	struct cw_core *core = calloc(1, sizeof(*core));
	if (!core)
		return NULL;
	cs_warnings_init(&core->warnings);
	cs_arena_init(&core->arena);
	core->path = strdup(name);
	if (!core->path) {
		cw_core_destroy(core);
		return NULL;
	}
	return core;
}

struct cs_error *cw_core_open(const char *path, const struct cw_open_options *opts,
			      struct cw_core **ret)
{
	struct cw_core *core = core_new(strcmp(path, "-") == 0 ? "<stdin>" : path);
	if (!core)
		return &cs_error_nomem;
	struct cs_error *err = cw_input_load(path, &core->in);
	if (err) {
		cw_core_destroy(core);
		return err;
	}
	return core_finish_open(core, opts, ret);
}

struct cs_error *cw_core_open_buffer(const void *data, size_t size, const char *name,
				     const struct cw_open_options *opts,
				     struct cw_core **ret)
{
	struct cw_core *core = core_new(name ? name : "<buffer>");
	if (!core)
		return &cs_error_nomem;
	struct cs_error *err = cw_input_from_buffer(data, size, &core->in);
	if (err) {
		err = cs_error_wrap(err, "%s", core->path);
		cw_core_destroy(core);
		return err;
	}
	return core_finish_open(core, opts, ret);
}

static struct cs_error *core_finish_open(struct cw_core *core,
					  const struct cw_open_options *opts,
					  struct cw_core **ret)
{
	static const struct cw_open_options defaults;
	if (!opts)
		opts = &defaults;
	struct cs_error *err;
	struct cw_input_info *info = &core->info;
	info->path = core->path;
	info->compressed = core->in.compressed;
	info->file_size = core->in.file_size;
	info->resident_bytes = core->in.compressed ? core->in.resident : 0;

	err = cw_parse_elf(core, opts->executable_image);
	/* A first memory map over the core alone: identifying the executable
	 * reads the headers the dump saved. */
	if (!err)
		err = cw_build_regions(core, NULL, 0);
	if (!err)
		err = core->is_image ? cw_setup_image(core) : cw_setup_files(core, opts);
	if (err) {
		cw_core_destroy(core);
		return err;
	}
	if (core->nthreads == 0 && !core->is_image)
		cs_warn(&core->warnings, true, "%s: the core has no thread (NT_PRSTATUS) notes",
			core->path);
	*ret = core;
	return NULL;
}

void cw_core_destroy(struct cw_core *core)
{
	if (!core)
		return;
	cw_files_release(core);
	cw_input_release(&core->in);
	free(core->segs);
	free(core->regions);
	free(core->threads);
	cs_warnings_deinit(&core->warnings);
	cs_arena_deinit(&core->arena);
	free(core->path);
	free(core);
}

struct cs_warnings *cw_core_warnings(struct cw_core *core)
{
	return &core->warnings;
}

const struct cw_input_info *cw_core_input(const struct cw_core *core)
{
	return &core->info;
}

const struct cw_process *cw_core_process(const struct cw_core *core)
{
	return &core->proc;
}

size_t cw_core_thread_count(const struct cw_core *core)
{
	return core->nthreads;
}

const struct cw_thread *cw_core_thread(const struct cw_core *core, size_t i)
{
	return i < core->nthreads ? &core->threads[i] : NULL;
}

const struct cw_thread *cw_core_find_thread(const struct cw_core *core, int tid)
{
	for (size_t i = 0; i < core->nthreads; i++)
		if (core->threads[i].tid == tid)
			return &core->threads[i];
	return NULL;
}

bool cw_core_auxv(const struct cw_core *core, uint64_t type, uint64_t *ret)
{
	for (size_t i = 0; i < core->nauxv; i++)
		if (core->auxv[2 * i] == type) {
			*ret = core->auxv[2 * i + 1];
			return true;
		}
	return false;
}

size_t cw_core_file_map_count(const struct cw_core *core)
{
	return core->nfmaps;
}

const struct cw_file_map *cw_core_file_map(const struct cw_core *core, size_t i)
{
	return i < core->nfmaps ? &core->fmaps[i] : NULL;
}

size_t cw_core_segment_count(const struct cw_core *core)
{
	return core->nsegs;
}

const struct cw_segment *cw_core_segment(const struct cw_core *core, size_t i)
{
	return i < core->nsegs ? &core->segs[i] : NULL;
}

size_t cw_core_region_count(const struct cw_core *core)
{
	return core->nregions;
}

const struct cw_region *cw_core_region(const struct cw_core *core, size_t i)
{
	return i < core->nregions ? &core->regions[i].pub : NULL;
}

const struct cw_region *cw_core_region_at(struct cw_core *core, uint64_t addr)
{
	const struct cw_region_int *r = cw_find_region(core, addr);
	return r ? &r->pub : NULL;
}

const struct cw_exe *cw_core_exe(const struct cw_core *core)
{
	return &core->exe;
}

const char *cw_core_go_build_id(const struct cw_core *core)
{
	return core->core_go_build_id;
}
