/*
 * corescope.c — the command: global options, the command table, help, and
 * dispatch.  No analysis happens here.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct command *const commands[] = {
	&cmd_info,
	&cmd_mappings,
	&cmd_threads,
	&cmd_overview,
	&cmd_goroutines,
	&cmd_histogram,
	&cmd_objects,
	&cmd_show,
	&cmd_top,
	&cmd_why,
	&cmd_leaks,
	&cmd_report,
	&cmd_graph,
	&cmd_pprof,
	&cmd_dev_layout,
};

static const struct opt_spec global_opts[] = {
	{ "exe", 0, OPT_REQUIRED, "PATH", "the executable (default: the one the core names)" },
	{ "sysroot", 0, OPT_REQUIRED, "DIR", "prefix for file paths found in the core" },
	{ "json", 0, OPT_NONE, NULL, "print one JSON document (schema: docs/json.md)" },
	{ "color", 0, OPT_REQUIRED, "WHEN", "colour: auto, never or always (default auto)" },
	{ "quiet", 'q', OPT_NONE, NULL, "no warnings or progress on stderr" },
	{ "no-progress", 0, OPT_NONE, NULL, "no progress display" },
	{ "jobs", 'j', OPT_REQUIRED, "N", "worker threads (default: all cores)" },
	{ "force", 0, OPT_NONE, NULL, "accept an executable whose build id does not match" },
	{ "timings", 0, OPT_NONE, NULL, "print each analysis phase's wall and CPU time and memory on stderr" },
	{ "max-memory", 0, OPT_REQUIRED, "SIZE", "stop (exit 2) before holding SIZE of memory, e.g. 8G; see MEMORY in corescope(1)" },
	{ "help", 'h', OPT_NONE, NULL, "show help" },
	{ "version", 0, OPT_NONE, NULL, "show the version" },
	{ 0 },
};

/* ------------------------------------------------------------------ */
/* Help                                                                */
/* ------------------------------------------------------------------ */

static void print_opts(FILE *f, const struct opt_spec *o)
{
	for (; o && o->name; o++) {
		/* "-x, --name ARG" or "    --name ARG": long names line up */
		char left[64];
		snprintf(left, sizeof(left), "%c%c%c --%s%s%s",
			 o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ',
			 o->short_name ? ',' : ' ', o->name,
			 o->arg == OPT_REQUIRED ? " " : "",
			 o->arg == OPT_REQUIRED ? o->argname : "");
		fprintf(f, "  %-26s %s\n", left, o->help);
	}
}

static void print_main_help(FILE *f)
{
	fprintf(f,
		"corescope %s — what holds the memory in a core dump of a Go program\n"
		"\n"
		"Usage: corescope [OPTIONS] COMMAND [OPTIONS] CORE [ARGS...]\n"
		"\n"
		"CORE is an ELF core file, plain or zstd-compressed (.zst), or - for stdin.\n"
		"The executable is found through the core (NT_FILE) or given with --exe.\n"
		"\n"
		"Commands:\n",
		PACKAGE_VERSION);
	for (size_t i = 0; i < CS_ARRAY_SIZE(commands); i++)
		if (!commands[i]->hidden)
			fprintf(f, "  %-12s %s\n", commands[i]->name,
				commands[i]->summary);
	fprintf(f, "  %-12s %s\n", "help", "show help for a command");
	fprintf(f, "\nOptions (before or after COMMAND):\n");
	print_opts(f, global_opts);
	fprintf(f,
		"\n"
		"Exit status: 0 ok; 1 usage error; 2 unreadable, unsupported or mismatched\n"
		"input, or out of memory; 3 partial result (printed, but some data could not\n"
		"be read).  corescope stops, with one line saying why, before the machine or\n"
		"its memory cgroup runs out of memory.\n"
		"\n"
		"Example:\n"
		"  corescope info core.1234.zst --exe ./server\n"
		"\n"
		"See 'corescope help COMMAND' and the corescope(1) manual page.\n");
}

static void print_command_help(FILE *f, const struct command *c)
{
	fprintf(f, "Usage: corescope %s [OPTIONS] %s\n\n", c->name, c->usage);
	/* The description is pre-wrapped text. */
	fprintf(f, "%s\n", c->description);
	if (c->opts && c->opts->name) {
		fprintf(f, "\nOptions:\n");
		print_opts(f, c->opts);
	}
	/* The global options by name, from the table, wrapped at 72. */
	fputs("\nGlobal options:", f);
	size_t col = strlen("Global options:");
	bool first = true;
	for (const struct opt_spec *o = global_opts; o->name; o++) {
		if (!strcmp(o->name, "help") || !strcmp(o->name, "version"))
			continue;
		/* "-j N", "--exe PATH", "--json" */
		char item[64];
		int len = o->short_name ? snprintf(item, sizeof(item), "-%c", o->short_name)
					: snprintf(item, sizeof(item), "--%s", o->name);
		if (o->arg == OPT_REQUIRED && len > 0 && (size_t)len < sizeof(item))
			snprintf(item + len, sizeof(item) - (size_t)len, " %s", o->argname);
		const char *sep = first ? " " : ", ";
		first = false;
		if (col + strlen(sep) + strlen(item) > 72) {
			fputs(sep[0] == ',' ? ",\n" : "\n", f);
			col = 0;
			sep = "";
		}
		fprintf(f, "%s%s", sep, item);
		col += strlen(sep) + strlen(item);
	}
	fputs(col + 28 > 72 ? "\n(see 'corescope --help').\n" : " (see 'corescope --help').\n", f);
	fprintf(f, "\nExample:\n  %s\n", c->example);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < CS_ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* Levenshtein distance, for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 32 || lb > 32)
		return 99;
	size_t row[33];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t best = CS_MIN(row[j] + 1, row[j - 1] + 1);
			row[j] = CS_MIN(best, sub);
			prev = cur;
		}
	}
	return row[lb];
}

static const char *closest_command(const char *name)
{
	const char *best = NULL;
	size_t bestd = 3;
	for (size_t i = 0; i < CS_ARRAY_SIZE(commands); i++) {
		if (commands[i]->hidden)
			continue;
		size_t d = edit_distance(name, commands[i]->name);
		if (d < bestd) {
			bestd = d;
			best = commands[i]->name;
		}
	}
	return best;
}

int usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	fputs("corescope: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cli && cli->cmd)
		fprintf(stderr, " (see 'corescope help %s')\n", cli->cmd->name);
	else
		fputs(" (see 'corescope --help')\n", stderr);
	return EXIT_USAGE;
}

/* ------------------------------------------------------------------ */
/* Option parsing                                                      */
/* ------------------------------------------------------------------ */

const char *cli_opt(const struct cli *cli, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < cli->nopts; i++)
		if (strcmp(cli->opts[i].spec->name, name) == 0)
			v = cli->opts[i].value ? cli->opts[i].value : "";
	return v;
}

bool cli_flag(const struct cli *cli, const char *name)
{
	return cli_opt(cli, name) != NULL;
}

static bool parse_uint(const char *s, uint64_t *ret)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end || s[0] == '-')
		return false;
	*ret = v;
	return true;
}

/* A size: a number, with an optional fraction, then K, M, G or T (powers of
 * 1024, "MiB" and "MB" alike) or nothing for bytes. */
static bool parse_size(const char *s, uint64_t *ret)
{
	if (!s || !(*s >= '0' && *s <= '9'))
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s)
		return false;
	static const char units[] = "KMGT";
	const char *u = *end ? strchr(units, *end & ~0x20) : NULL;
	double mult = 1;
	if (u) {
		for (const char *x = units; x <= u; x++)
			mult *= 1024;
		end++;
		if ((end[0] == 'i' || end[0] == 'I') && (end[1] == 'B' || end[1] == 'b'))
			end += 2;
		else if (end[0] == 'B' || end[0] == 'b')
			end++;
	}
	if (*end || v * mult >= 18446744073709551615.0)
		return false;
	*ret = (uint64_t)(v * mult);
	return true;
}

bool cli_opt_uint(const struct cli *cli, const char *name, uint64_t dflt,
		  uint64_t *ret)
{
	const char *v = cli_opt(cli, name);
	if (!v) {
		*ret = dflt;
		return true;
	}
	if (!parse_uint(v, ret)) {
		usage_error(cli, "--%s wants a non-negative number, not '%s'", name, v);
		return false;
	}
	return true;
}

enum parse_result { PARSE_OK, PARSE_EXIT_OK, PARSE_USAGE };

static const struct opt_spec *match_long(const struct opt_spec *o,
					 const char *name, size_t n)
{
	for (; o && o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o;
	return NULL;
}

static const struct opt_spec *match_short(const struct opt_spec *o, char c)
{
	for (; o && o->name; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

/* Apply a global option; returns PARSE_USAGE on a bad value. */
static enum parse_result apply_global(struct cli *cli, const struct opt_spec *o,
				      const char *val)
{
	const char *n = o->name;
	if (!strcmp(n, "exe"))
		cli->exe = val;
	else if (!strcmp(n, "sysroot"))
		cli->sysroot = val;
	else if (!strcmp(n, "json"))
		cli->json = true;
	else if (!strcmp(n, "quiet"))
		cli->quiet = true;
	else if (!strcmp(n, "no-progress"))
		cli->no_progress = true;
	else if (!strcmp(n, "force"))
		cli->force = true;
	else if (!strcmp(n, "timings"))
		cli->timings = true;
	else if (!strcmp(n, "color")) {
		if (!strcmp(val, "auto"))
			cli->color_mode = COLOR_AUTO;
		else if (!strcmp(val, "never"))
			cli->color_mode = COLOR_NEVER;
		else if (!strcmp(val, "always"))
			cli->color_mode = COLOR_ALWAYS;
		else {
			usage_error(cli, "--color wants auto, never or always, not '%s'", val);
			return PARSE_USAGE;
		}
	} else if (!strcmp(n, "max-memory")) {
		if (!parse_size(val, &cli->max_memory) || cli->max_memory < ((uint64_t)1 << 20)) {
			usage_error(cli, "--max-memory wants a size of at least 1M, such as 8G or 1536M, not '%s'", val);
			return PARSE_USAGE;
		}
	} else if (!strcmp(n, "jobs")) {
		uint64_t v;
		if (!parse_uint(val, &v) || v == 0 || v > 256) {
			usage_error(cli, "-j wants a number of threads from 1 to 256, not '%s'", val);
			return PARSE_USAGE;
		}
		cli->jobs = (int)v;
	} else if (!strcmp(n, "help")) {
		if (cli->cmd)
			print_command_help(stdout, cli->cmd);
		else
			print_main_help(stdout);
		return PARSE_EXIT_OK;
	} else if (!strcmp(n, "version")) {
		printf("corescope %s\n", PACKAGE_VERSION);
		return PARSE_EXIT_OK;
	}
	return PARSE_OK;
}

/*
 * Parse argv.  Global options may come anywhere; command options after the
 * command; "--" ends options.  Positional arguments before the command
 * name are the command name itself.
 */
static enum parse_result parse_args(struct cli *cli, int argc, char **argv)
{
	bool opts_done = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!opts_done && !strcmp(a, "--")) {
			opts_done = true;
			continue;
		}
		if (opts_done || a[0] != '-' || !strcmp(a, "-")) {
			if (!cli->cmd) {
				if (!strcmp(a, "help")) {
					/* corescope help [COMMAND] */
					if (i + 1 >= argc) {
						print_main_help(stdout);
						return PARSE_EXIT_OK;
					}
					const struct command *c = find_command(argv[i + 1]);
					if (!c) {
						usage_error(cli, "'%s' is not a corescope command",
							    argv[i + 1]);
						return PARSE_USAGE;
					}
					print_command_help(stdout, c);
					return PARSE_EXIT_OK;
				}
				cli->cmd = find_command(a);
				if (!cli->cmd) {
					const char *near = closest_command(a);
					if (near)
						usage_error(cli, "'%s' is not a corescope command; did you mean '%s'?",
							    a, near);
					else
						usage_error(cli, "'%s' is not a corescope command", a);
					return PARSE_USAGE;
				}
				continue;
			}
			cli->args[cli->nargs++] = a;
			continue;
		}

		/* An option: --name, --name=value, -x, -xVALUE, -x VALUE. */
		const struct opt_spec *o = NULL;
		const char *val = NULL;
		bool global = false;
		char shown[64];
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t n = eq ? (size_t)(eq - name) : strlen(name);
			if ((o = match_long(global_opts, name, n)))
				global = true;
			else if (cli->cmd)
				o = match_long(cli->cmd->opts, name, n);
			snprintf(shown, sizeof(shown), "--%.*s", (int)CS_MIN(n, 40), name);
			if (eq)
				val = eq + 1;
		} else {
			if ((o = match_short(global_opts, a[1])))
				global = true;
			else if (cli->cmd)
				o = match_short(cli->cmd->opts, a[1]);
			snprintf(shown, sizeof(shown), "-%c", a[1]);
			if (a[2])
				val = a + 2;
		}
		if (!o) {
			if (cli->cmd)
				usage_error(cli, "unknown option '%s' for '%s'", shown,
					    cli->cmd->name);
			else
				usage_error(cli, "unknown option '%s'", shown);
			return PARSE_USAGE;
		}
		if (o->arg == OPT_REQUIRED && !val) {
			if (i + 1 >= argc) {
				usage_error(cli, "option '%s' needs a value (%s)", shown,
					    o->argname);
				return PARSE_USAGE;
			}
			val = argv[++i];
		} else if (o->arg == OPT_NONE && val) {
			usage_error(cli, "option '%s' takes no value", shown);
			return PARSE_USAGE;
		}
		if (global) {
			enum parse_result r = apply_global(cli, o, val);
			if (r != PARSE_OK)
				return r;
		} else {
			cli->opts[cli->nopts++] = (struct opt_value){ o, val };
		}
	}
	return PARSE_OK;
}

/* ------------------------------------------------------------------ */
/* Shared command plumbing                                             */
/* ------------------------------------------------------------------ */

int cli_fail(struct cs_error *err)
{
	fprintf(stderr, "corescope: ");
	out_escaped(stderr, err->message);
	fputc('\n', stderr);
	cs_error_destroy(err);
	return EXIT_INPUT;
}

int cli_open_core(struct cli *cli, const char *exe_arg, struct cw_core **ret)
{
	struct cw_open_options o = {
		.exe_path = exe_arg ? exe_arg : cli->exe,
		.sysroot = cli->sysroot,
		.force = cli->force,
	};
	(void)cs_memguard_phase("opening the core");
	cs_memguard_start(cli->args[0], cli->max_memory);
	struct cs_error *err = cw_core_open(cli->args[0], &o, ret);
	if (err)
		return cli_fail(err);
	return 0;
}

int cli_finish(struct cli *cli, struct cw_core *core)
{
	const struct cs_warnings *w = cw_core_warnings(core);
	if (!cli->json && !cli->quiet) {
		for (size_t i = 0; i < w->n; i++) {
			fputs("corescope: warning: ", stderr);
			out_escaped(stderr, w->msgs[i]);
			fputc('\n', stderr);
		}
		if (w->dropped)
			fprintf(stderr, "corescope: warning: %zu more warnings not shown\n",
				w->dropped);
	}
	return w->partial ? EXIT_PARTIAL : EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cli cli = { .jobs = 0 };
	cli.args = calloc((size_t)argc + 1, sizeof(*cli.args));
	cli.opts = calloc((size_t)argc + 1, sizeof(*cli.opts));
	if (!cli.args || !cli.opts) {
		fputs("corescope: out of memory\n", stderr);
		return EXIT_INPUT;
	}
	int status;
	enum parse_result r = parse_args(&cli, argc, argv);
	if (r == PARSE_EXIT_OK) {
		status = EXIT_OK;
		goto out;
	}
	if (r == PARSE_USAGE) {
		status = EXIT_USAGE;
		goto out;
	}
	if (!cli.cmd) {
		print_main_help(stderr);
		status = EXIT_USAGE;
		goto out;
	}
	if (cli.nargs < cli.cmd->min_args) {
		status = usage_error(&cli, "'%s' needs %s", cli.cmd->name, cli.cmd->usage);
		goto out;
	}
	if (cli.nargs > cli.cmd->max_args) {
		status = usage_error(&cli, "too many arguments for '%s' (unexpected '%s')",
				     cli.cmd->name, cli.args[cli.cmd->max_args]);
		goto out;
	}
	cli.color = cli.color_mode == COLOR_ALWAYS ||
		    (cli.color_mode == COLOR_AUTO && isatty(STDOUT_FILENO) &&
		     !getenv("NO_COLOR") &&
		     !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb")));
	if (cli.json)
		cli.color = false;
	cli.progress = !cli.quiet && !cli.no_progress && isatty(STDERR_FILENO);
	status = cli.cmd->run(&cli);
out:
	if (fflush(stdout) != 0 && status == EXIT_OK) {
		fprintf(stderr, "corescope: writing output: %s\n", strerror(errno));
		status = EXIT_INPUT;
	}
	free(cli.args);
	free(cli.opts);
	return status;
}
