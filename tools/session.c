/*
 * session.c — open the core and the analysis layers a command needs, with
 * progress on a terminal, and close them with the right exit status.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "cli.h"
#include "heapscan.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_fn(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	struct cli_progress *p = arg;
	if (!p->enabled)
		return;
	double t = now();
	if (t - p->start < 1.0 || t - p->last < 0.1)
		return;
	p->last = t;
	p->drawn = true;
	if (total)
		fprintf(stderr, "\r\033[Kcorescope: %s %3.0f%%", phase,
			100.0 * (double)done / (double)total);
	else
		fprintf(stderr, "\r\033[Kcorescope: %s…", phase);
	fflush(stderr);
}

void cli_progress_done(struct cli_progress *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->drawn = false;
	}
}

int cli_session_open(struct cli *cli, struct cli_session *s, int needs)
{
	memset(s, 0, sizeof(*s));
	s->progress.enabled = cli->progress;
	s->progress.start = now();
	s->report.fn = progress_fn;
	s->report.arg = &s->progress;
	int rc = cli_open_core(cli, NULL, &s->core);
	if (rc)
		return rc;
	struct cs_error *err = NULL;
	if (needs & (CLI_NEED_PROGRAM | CLI_NEED_HEAP))
		err = hs_program_open(s->core, &s->prog);
	if (!err && (needs & CLI_NEED_HEAP))
		err = hs_heap_load(s->prog, &s->report, &s->heap);
	cli_progress_done(&s->progress);
	if (err) {
		rc = cli_fail(err);
		/* Warnings explain why; show them before giving up. */
		cli_finish(cli, s->core);
		hs_heap_destroy(s->heap);
		hs_program_destroy(s->prog);
		cw_core_destroy(s->core);
		memset(s, 0, sizeof(*s));
		return rc;
	}
	return 0;
}

int cli_session_close(struct cli *cli, struct cli_session *s)
{
	cli_progress_done(&s->progress);
	int rc = cli_finish(cli, s->core);
	hs_heap_destroy(s->heap);
	hs_program_destroy(s->prog);
	cw_core_destroy(s->core);
	memset(s, 0, sizeof(*s));
	return rc;
}
