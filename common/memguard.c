/*
 * memguard.c — stop with one clear line before the kernel's OOM killer
 * stops corescope without a word.
 *
 * An analysis takes about 45 bytes per heap object besides the mapped
 * core, and a zstd core as much memory again as its non-zero bytes.  On a
 * machine or in a container with less, the allocations succeed (Linux
 * overcommits) and the kernel kills the process when it touches the
 * pages: SIGKILL, exit status 137, no message.  For a tool people run on
 * the core of a service the OOM killer just took, that is the worst
 * answer.
 *
 * So the guard looks at the headroom left: at the start of each phase;
 * each time the large arrays (bigmem.c) or a decompressed core are about
 * to take GROW_CHECK more fresh memory, counting it as taken; and, for the
 * rest (malloc), from a watcher thread every WATCH_MS.  The headroom:
 *  - on the machine: MemAvailable in /proc/meminfo;
 *  - in each memory cgroup above this process that has a limit (v2
 *    memory.max, v1 memory.limit_in_bytes): the limit less what the group
 *    holds that cannot be reclaimed (its usage less its page cache);
 *  - under --max-memory: that limit less corescope's own anonymous
 *    memory (resident less shared, /proc/self/statm: the RssAnon
 *    --timings prints; a plain core's mapped pages are page cache).
 * When one falls under its floor, the process prints what ran out and
 * where, and exits with status 2.  The floor leaves room for what can be
 * allocated between two looks: a sixteenth of the limit, at least 16 MiB
 * and at most 256 MiB.  The machine's and a cgroup's limits stop
 * corescope only when it holds a good part of what is used (MIN_OWN, or a
 * quarter of a smaller limit): the OOM killer would pick it then, and
 * stopping a small corescope would help no one.
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cs.h"

#define WATCH_MS 50
#define MIB ((uint64_t)1 << 20)
#define MIN_OWN (128 * MIB)
#define GROW_CHECK (8 * MIB)	/* cs_memguard_grow checks each time this much more is taken */
#define MAX_GROUPS 8		/* limited cgroups watched (nearest first) */
#define MAX_DEPTH 64		/* path components climbed */

struct group {
	char dir[512];
	bool v2;
	uint64_t limit;
};

static struct {
	const char *file;	/* for the message */
	uint64_t max_own;	/* --max-memory, 0 if none */
	struct group groups[MAX_GROUPS];
	unsigned ngroups;
	bool started;
	int stopping;		/* set once, by whoever stops */
	uint64_t grown;		/* bytes announced by cs_memguard_grow; atomic */
	const char *phase;	/* a string literal; atomic */
} guard;

/* The first number after `key` at the start of a line of path, or
 * UINT64_MAX (missing file, "max", no such line).  With key NULL, the
 * file's first number. */
static uint64_t read_number(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return UINT64_MAX;
	char line[256];
	uint64_t v = UINT64_MAX;
	size_t kl = key ? strlen(key) : 0;
	while (fgets(line, sizeof(line), f)) {
		if (key && (strncmp(line, key, kl) != 0 || (line[kl] != ' ' && line[kl] != ':')))
			continue;
		char *p = line + kl + (key ? 1 : 0), *end;
		while (*p == ' ' || *p == '\t')
			p++;
		unsigned long long x = strtoull(p, &end, 10);
		if (end != p)
			v = x;
		break;
	}
	fclose(f);
	return v;
}

static void add_group(const char *dir, bool v2)
{
	if (guard.ngroups == MAX_GROUPS)
		return;
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, v2 ? "memory.max" : "memory.limit_in_bytes");
	uint64_t limit = read_number(path, NULL);
	/* v1 writes "no limit" as the largest page-aligned signed value */
	if (limit == UINT64_MAX || limit >= ((uint64_t)1 << 62))
		return;
	struct group *g = &guard.groups[guard.ngroups++];
	snprintf(g->dir, sizeof(g->dir), "%s", dir);
	g->v2 = v2;
	g->limit = limit;
}

/* The limited memory cgroups above this process, at the usual mount
 * points (/sys/fs/cgroup for v2, /sys/fs/cgroup/memory for v1; inside a
 * container its own group is the mount's root). */
static void find_groups(void)
{
	FILE *f = fopen("/proc/self/cgroup", "r");
	if (!f)
		return;
	char line[600];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		/* "0::/path" (v2) or "4:memory:/path" (v1) */
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		bool v2 = c1 + 1 == c2;
		*c2 = 0;
		if (!v2 && !strstr(c1 + 1, "memory"))
			continue;
		const char *root = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
		char dir[512];
		if (snprintf(dir, sizeof(dir), "%s%s", root, c2 + 1) >= (int)sizeof(dir))
			continue;
		/* this group, then each parent up to the mount's root */
		for (unsigned depth = 0; depth < MAX_DEPTH; depth++) {
			size_t n = strlen(dir);
			while (n > 1 && dir[n - 1] == '/')
				dir[--n] = 0;
			add_group(dir, v2);
			if (strlen(dir) <= strlen(root))
				break;
			char *slash = strrchr(dir, '/');
			if (!slash || slash == dir)
				break;
			*slash = 0;
		}
	}
	fclose(f);
}

static uint64_t floor_of(uint64_t limit)
{
	uint64_t f = limit / 16;
	return f < 16 * MIB ? 16 * MIB : f > 256 * MIB ? 256 * MIB : f;
}

uint64_t cs_rss_anon(void)
{
	/* resident less shared (file-backed and shmem) pages: RssAnon of
	 * /proc/self/status, without parsing that file's 50 lines */
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	unsigned long long size, resident, shared;
	int n = fscanf(f, "%llu %llu %llu", &size, &resident, &shared);
	fclose(f);
	long page = sysconf(_SC_PAGESIZE);
	return n == 3 && resident >= shared ? (resident - shared) * (uint64_t)(page > 0 ? page : 4096) : 0;
}

/* own counts the extra bytes about to be taken. */
static void stop(const char *what, uint64_t limit, uint64_t left, uint64_t own, uint64_t extra)
{
	if (__atomic_exchange_n(&guard.stopping, 1, __ATOMIC_ACQ_REL))
		return;
	const char *phase = __atomic_load_n(&guard.phase, __ATOMIC_ACQUIRE);
	char l[32], r[32], o[32], x[32], more[64] = "";
	cs_fmt_size(limit, l);
	cs_fmt_size(left, r);
	cs_fmt_size(own - extra, o);
	if (extra)
		snprintf(more, sizeof(more), " and is about to take %s more", cs_fmt_size(extra, x));
	/* one line on stderr, then out: stdout's buffer is dropped, since a
	 * half-written answer would pass for a whole one.  On a terminal the
	 * progress line is cleared first, as the command does when done. */
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	fprintf(stderr, "corescope: %s: stopped while %s, before the kernel's OOM killer: ",
		guard.file ? guard.file : "core", phase ? phase : "starting");
	if (what)
		fprintf(stderr, "%s allows %s, %s of it would be left, corescope holds %s%s", what, l, r,
			o, more);
	else
		fprintf(stderr, "--max-memory is %s, corescope holds %s%s", l, o, more);
	if (phase && strstr(phase, "decompress"))
		fputs(" (a plain core is mapped, not held: decompress it first with zstd -d)", stderr);
	else
		fputs(" (the analysis needs about 45 bytes per heap object besides the mapped core)", stderr);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(2);	/* the exit status of an input that cannot be analyzed here */
}

/* Stop if what is left of limit is under its floor while corescope holds
 * enough of what is used for that to be its doing. */
static void check_left(const char *what, uint64_t limit, uint64_t left, uint64_t own,
		       uint64_t extra)
{
	uint64_t min_own = limit / 4 < MIN_OWN ? limit / 4 : MIN_OWN;
	if (left < floor_of(limit) && own >= min_own)
		stop(what, limit, left, own, extra);
}

static uint64_t less(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Check as if extra bytes more were taken already. */
static void check_with(uint64_t extra)
{
	if (!guard.started)
		return;
	uint64_t own = cs_rss_anon() + extra;
	if (guard.max_own && own + floor_of(guard.max_own) > guard.max_own)
		stop(NULL, guard.max_own, less(guard.max_own, own), own, extra);
	uint64_t total = read_number("/proc/meminfo", "MemTotal");
	uint64_t avail = read_number("/proc/meminfo", "MemAvailable");
	if (total != UINT64_MAX && avail != UINT64_MAX)
		check_left("the machine", total * 1024, less(avail * 1024, extra), own, extra);
	for (unsigned i = 0; i < guard.ngroups; i++) {
		const struct group *g = &guard.groups[i];
		char path[600];
		snprintf(path, sizeof(path), "%s/%s", g->dir, g->v2 ? "memory.current" : "memory.usage_in_bytes");
		uint64_t usage = read_number(path, NULL);
		snprintf(path, sizeof(path), "%s/memory.stat", g->dir);
		uint64_t cache = read_number(path, g->v2 ? "file" : "total_cache");
		if (usage == UINT64_MAX)
			continue;
		uint64_t held = (cache != UINT64_MAX && cache < usage ? usage - cache : usage) + extra;
		char what[600];
		snprintf(what, sizeof(what), "the memory cgroup %s", g->dir);
		check_left(what, g->limit, less(g->limit, held), own, extra);
	}
}

void cs_memguard_check(void)
{
	check_with(0);
}

void cs_memguard_grow(uint64_t bytes)
{
	if (!guard.started)
		return;
	uint64_t before = __atomic_fetch_add(&guard.grown, bytes, __ATOMIC_RELAXED);
	if (bytes >= GROW_CHECK || before / GROW_CHECK != (before + bytes) / GROW_CHECK)
		check_with(bytes);
}

static void *watch(void *arg)
{
	(void)arg;
	struct timespec ts = { 0, WATCH_MS * 1000000L };
	for (;;) {
		nanosleep(&ts, NULL);
		cs_memguard_check();
	}
	return NULL;
}

void cs_memguard_start(const char *file, uint64_t max_own)
{
	if (guard.started)
		return;
	guard.file = file;
	guard.max_own = max_own;
	find_groups();
	guard.started = true;
	pthread_t t;
	pthread_attr_t a;
	if (pthread_attr_init(&a) != 0)
		return;
	(void)pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	(void)pthread_attr_setstacksize(&a, 64 * 1024);
	/* without the thread, the checks at each phase still run */
	(void)pthread_create(&t, &a, watch, NULL);
	pthread_attr_destroy(&a);
	cs_memguard_check();
}

const char *cs_memguard_phase(const char *phase)
{
	const char *was = __atomic_exchange_n(&guard.phase, phase, __ATOMIC_ACQ_REL);
	if (was != phase)
		cs_memguard_check();
	return was;
}
