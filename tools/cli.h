/*
 * cli.h — what the corescope command's files share: the command table,
 * parsed options, output writers (text escaping, JSON) and exit codes.
 */
#ifndef CORESCOPE_CLI_H
#define CORESCOPE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cs.h"
#include "corewalk.h"

/* Exit status (docs/cli.md). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_INPUT = 2,		/* unreadable, unsupported or mismatched input */
	EXIT_PARTIAL = 3,	/* printed, but some data could not be read */
};

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

enum opt_arg { OPT_NONE, OPT_REQUIRED };

struct opt_spec {
	const char *name;	/* long name without "--" */
	char short_name;	/* 0 if none */
	enum opt_arg arg;
	const char *argname;	/* for help: "N", "PATH" */
	const char *help;
};

/* A parsed command-specific option. */
struct opt_value {
	const struct opt_spec *spec;
	const char *value;	/* NULL for flags */
};

enum color_mode { COLOR_AUTO, COLOR_NEVER, COLOR_ALWAYS };

struct cli {
	/* global options */
	const char *exe;
	const char *sysroot;
	bool json;
	enum color_mode color_mode;
	bool quiet;
	bool no_progress;
	int jobs;
	bool force;
	bool timings;
	uint64_t max_memory;	/* bytes; 0: only the machine's and cgroup's limits */

	bool color;		/* resolved: colour on stdout */
	bool progress;		/* resolved: progress on stderr */

	const struct command *cmd;
	/* positional arguments after the command name */
	const char **args;
	size_t nargs;
	/* command options in the order given */
	struct opt_value *opts;
	size_t nopts;
};

/* The last value of a command option, or NULL. */
const char *cli_opt(const struct cli *cli, const char *name);
bool cli_flag(const struct cli *cli, const char *name);
/* Parse a non-negative integer option; usage error message on failure. */
bool cli_opt_uint(const struct cli *cli, const char *name, uint64_t dflt,
		  uint64_t *ret);

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

struct command {
	const char *name;
	const char *summary;	/* one line for the command list */
	const char *usage;	/* "CORE [EXE]" */
	const char *description;	/* what it answers; wrapped text */
	const char *example;
	const struct opt_spec *opts;	/* terminated by {0} */
	size_t min_args, max_args;
	bool hidden;		/* developer command, not in --help */
	int (*run)(struct cli *cli);
};

extern const struct command cmd_info, cmd_mappings, cmd_threads, cmd_overview,
	cmd_goroutines,
	cmd_histogram, cmd_objects, cmd_show, cmd_top, cmd_why, cmd_leaks, cmd_report, cmd_pprof, cmd_graph,
	cmd_dev_layout;

/* Print a usage error ("corescope: …") with a hint and return EXIT_USAGE. */
int usage_error(const struct cli *cli, const char *fmt, ...) CS_PRINTF(2, 3);

/* Open the core named by the first positional argument with the global
 * options (exe_arg: a positional EXE overriding --exe, or NULL).  On
 * failure prints the error and returns the exit code; 0 on success. */
int cli_open_core(struct cli *cli, const char *exe_arg, struct cw_core **ret);
/* Names for output. */
const char *cli_source_name(enum cw_source s);
const char *cli_signal_name(int sig);
/* Report an error from a library and return its exit status. */
int cli_fail(struct cs_error *err);
/* The exit status once the result is printed: EXIT_PARTIAL when the
 * core's warnings say data is missing.  Prints warnings in text mode. */
int cli_finish(struct cli *cli, struct cw_core *core);

/* ------------------------------------------------------------------ */
/* Sessions: the core and the layers a command needs                   */
/* ------------------------------------------------------------------ */

struct hs_program;
struct hs_heap;
struct hs_roots;
struct hs_goroutines;
struct rg_graph;

enum {
	CLI_NEED_PROGRAM = 1,
	CLI_NEED_HEAP = 2,
	CLI_NEED_GOROUTINES = 4,
	CLI_NEED_GRAPH = 8,	/* implies heap and goroutines */
};

/* ------------------------------------------------------------------ */
/* Reports that `report` puts together (each command's own output)     */
/* ------------------------------------------------------------------ */

struct cli_session;
struct rg_type_total;
struct json;

/* Each writes text on stdout, or, when j is not NULL, its JSON result
 * object into j: the same as its command prints. */
void overview_write(struct cli *cli, struct cli_session *s, struct json *j);

struct histogram_args {
	uint64_t top;		/* rows shown, 0 all */
	const char *sort;	/* bytes, count, retained or unreachable */
};
/* The options of `histogram` into a; 0, or the exit status of a usage
 * error (printed). */
int histogram_args(struct cli *cli, struct histogram_args *a);
/* t: rg_type_totals' answer, which it sorts. */
void histogram_write(struct cli *cli, struct cli_session *s, const struct histogram_args *a,
		     struct rg_type_total *t, size_t n, struct json *j);

struct leaks_args {
	uint64_t pct;		/* --share */
	uint64_t min_g;		/* --min-goroutines */
};
int leaks_args(struct cli *cli, struct leaks_args *a);
/* The type totals leaks_write reads (rg_type_totals, in type order):
 * none, with a warning, when they cannot be had.  Free *tt. */
void leaks_type_totals(struct cli_session *s, struct rg_type_total **tt, size_t *ntt);
/* An error only when there is no report to print. */
struct cs_error *leaks_write(struct cli *cli, struct cli_session *s, const struct leaks_args *a,
			     struct rg_type_total *tt, size_t ntt, struct json *j);

/* Progress on stderr: shown when stderr is a terminal, not suppressed,
 * and the work has run for more than a second. */
struct cli_progress {
	bool enabled;
	double start;		/* monotonic seconds */
	double last;
	bool drawn;
	/* --timings: when each phase began (wall and process CPU seconds);
	 * phase names are the libraries' string literals */
	bool timings;
	struct cli_phase {
		const char *name;
		double wall, cpu;
		size_t fresh;	/* cs_big_stats().fresh_bytes when it began */
		uint64_t anon;	/* cs_rss_anon() when it began */
	} phases[32];
	unsigned nphases;
};

struct cli_session {
	struct cw_core *core;
	struct hs_program *prog;
	struct hs_heap *heap;
	struct hs_goroutines *gs;
	struct hs_roots *roots;
	struct rg_graph *graph;
	struct cli_progress progress;
	struct cs_progress report;	/* hand this to libraries */
};

/* Open what the command needs; on failure print the error and return the
 * exit status (0 on success). */
int cli_session_open(struct cli *cli, struct cli_session *s, int needs);
/* Print warnings, release everything, and return the exit status. */
int cli_session_close(struct cli *cli, struct cli_session *s);
/* Names for people (malloc'ed): "main.cache", "goroutine 7 (main.worker)",
 * "finalizer of 0xc000123000 (*os.File)". */
char *cli_group_name(struct cli_session *s, uint32_t group);
/* "0xc000123000 main.Entry" style: the object's type name or "?", with
 * "[N]T" for backing arrays. */
char *cli_object_type_name(struct cli_session *s, uint32_t obj);
/* "main.worker" — the function a goroutine runs (its start function, or
 * the first user frame). */
const char *cli_goroutine_func(struct cli_session *s, uint32_t gi);
/* Goroutines grouped by identical stack, largest group first (pick: which
 * goroutines to consider, NULL for all).  Malloc'ed. */
struct cli_stack_group {
	uint64_t hash;
	uint32_t first;		/* a representative goroutine (index) */
	uint32_t count;
};
struct cli_stack_group *cli_stack_groups(struct cli_session *s, const uint8_t *pick,
					 size_t *n_ret);
uint64_t cli_stack_hash(struct cli_session *s, uint32_t gi);
/* A root slot's name ("net/http.DefaultServeMux -> net/http.defaultServeMux.tree"). */
char *cli_root_name(struct cli_session *s, size_t root);
/* Parse an ADDR argument (0x… or decimal); false if it is not one. */
bool cli_parse_addr(const char *arg, uint64_t *ret);
/* The heap object containing addr; prints the error and returns
 * EXIT_INPUT when there is none. */
int cli_find_object(struct cli *cli, struct cli_session *s, uint64_t addr, uint32_t *ret);
/* Clear a drawn progress line. */
void cli_progress_done(struct cli_progress *p);

/* ------------------------------------------------------------------ */
/* Text output                                                         */
/* ------------------------------------------------------------------ */

/* Append s (n bytes) with control characters, bidirectional overrides
 * and invalid UTF-8 escaped as \xNN and backslashes doubled. */
void esc_text(struct cs_strbuf *b, const char *s, size_t n);
/* Write s escaped the same way. */
void out_escaped(FILE *f, const char *s);
void out_escaped_n(FILE *f, const char *s, size_t n);
/* Thousands separators: "1,234,567"; buf needs 32 bytes. */
const char *fmt_count(uint64_t n, char buf[32]);
/* Styles on a colour terminal, empty strings otherwise. */
const char *sty_bold(const struct cli *cli);
const char *sty_dim(const struct cli *cli);
const char *sty_off(const struct cli *cli);

/* ------------------------------------------------------------------ */
/* JSON output                                                         */
/* ------------------------------------------------------------------ */

#define JSON_MAX_DEPTH 64

struct json {
	struct cs_strbuf buf;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j);
void json_deinit(struct json *j);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);	/* NULL -> null */
void json_string_n(struct json *j, const char *s, size_t n);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
void json_addr(struct json *j, uint64_t addr);	/* "0x…" */
/* Convenience: key + value. */
void json_kv_string(struct json *j, const char *k, const char *v);
void json_kv_uint(struct json *j, const char *k, uint64_t v);
void json_kv_int(struct json *j, const char *k, int64_t v);
void json_kv_bool(struct json *j, const char *k, bool v);
void json_kv_addr(struct json *j, const char *k, uint64_t v);
void json_kv_double(struct json *j, const char *k, double v);

/*
 * Print the one JSON document of a run:
 * {"corescope": VERSION, "command": NAME, "core": {...}, "warnings": [...],
 *  "result": <result>} where result is the finished JSON text of j.
 * core may be NULL.
 */
void json_emit(const struct cli *cli, struct cw_core *core, struct json *result);

#endif /* CORESCOPE_CLI_H */
