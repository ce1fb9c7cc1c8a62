/*
 * output.c — writers: escaped text for terminals, and JSON.
 *
 * Every string that comes from a core is hostile: it may carry terminal
 * escape sequences, invalid UTF-8 or quotes.  Text output escapes control
 * characters and invalid UTF-8 as \xNN; JSON output escapes per RFC 8259
 * and replaces invalid UTF-8 with U+FFFD (as Go's encoding/json does).
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */
/* ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Code points that must not reach a terminal raw: C0/C1 controls, DEL,
 * and the bidirectional overrides that can disguise text. */
static bool cp_is_unsafe(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void esc_text(struct cs_strbuf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_seq(s + i, n - i, &cp);
		if (len == 0 || cp_is_unsafe(cp)) {
			size_t k = len ? len : 1;
			for (size_t j = 0; j < k; j++)
				cs_strbuf_printf(b, "\\x%02x", s[i + j]);
			i += k;
			continue;
		}
		if (cp == '\\')
			cs_strbuf_add(b, "\\\\", 2);
		else
			cs_strbuf_add(b, str + i, len);
		i += len;
	}
}

void out_escaped_n(FILE *f, const char *str, size_t n)
{
	struct cs_strbuf b;
	cs_strbuf_init(&b);
	esc_text(&b, str, n);
	if (b.len)
		fwrite(b.s, 1, b.len, f);
	cs_strbuf_deinit(&b);
}

void out_escaped(FILE *f, const char *s)
{
	if (s)
		out_escaped_n(f, s, strlen(s));
}

const char *fmt_count(uint64_t n, char buf[32])
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
	int out = 0;
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[out++] = ',';
		buf[out++] = tmp[i];
	}
	buf[out] = '\0';
	return buf;
}

const char *sty_bold(const struct cli *cli)
{
	return cli->color ? "\033[1m" : "";
}

const char *sty_dim(const struct cli *cli)
{
	return cli->color ? "\033[2m" : "";
}

const char *sty_off(const struct cli *cli)
{
	return cli->color ? "\033[0m" : "";
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
	cs_strbuf_init(&j->buf);
}

void json_deinit(struct json *j)
{
	cs_strbuf_deinit(&j->buf);
}

/* Before any value: a comma if a sibling came before. */
static void json_value_start(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0 && j->depth <= JSON_MAX_DEPTH) {
		if (j->need_comma[j->depth - 1])
			cs_strbuf_putc(&j->buf, ',');
		j->need_comma[j->depth - 1] = true;
	}
}

static void json_open(struct json *j, char c)
{
	json_value_start(j);
	cs_strbuf_putc(&j->buf, c);
	if (j->depth < JSON_MAX_DEPTH)
		j->need_comma[j->depth] = false;
	j->depth++;
}

static void json_close(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	cs_strbuf_putc(&j->buf, c);
}

void json_begin_object(struct json *j) { json_open(j, '{'); }
void json_end_object(struct json *j) { json_close(j, '}'); }
void json_begin_array(struct json *j) { json_open(j, '['); }
void json_end_array(struct json *j) { json_close(j, ']'); }

static void json_quote(struct json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	cs_strbuf_putc(&j->buf, '"');
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_seq(s + i, n - i, &cp);
		if (len == 0) {
			cs_strbuf_puts(&j->buf, "\\ufffd");
			i++;
			continue;
		}
		if (cp == '"') {
			cs_strbuf_puts(&j->buf, "\\\"");
		} else if (cp == '\\') {
			cs_strbuf_puts(&j->buf, "\\\\");
		} else if (cp == '\n') {
			cs_strbuf_puts(&j->buf, "\\n");
		} else if (cp == '\t') {
			cs_strbuf_puts(&j->buf, "\\t");
		} else if (cp < 0x20 || cp == 0x7f || cp == 0x2028 || cp == 0x2029) {
			cs_strbuf_printf(&j->buf, "\\u%04x", cp);
		} else {
			cs_strbuf_add(&j->buf, (const char *)s + i, len);
		}
		i += len;
	}
	cs_strbuf_putc(&j->buf, '"');
}

void json_key(struct json *j, const char *key)
{
	json_value_start(j);
	json_quote(j, key, strlen(key));
	cs_strbuf_putc(&j->buf, ':');
	j->after_key = true;
}

void json_string_n(struct json *j, const char *s, size_t n)
{
	json_value_start(j);
	json_quote(j, s, n);
}

void json_string(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_string_n(j, s, strlen(s));
}

void json_int(struct json *j, int64_t v)
{
	json_value_start(j);
	cs_strbuf_printf(&j->buf, "%" PRId64, v);
}

void json_uint(struct json *j, uint64_t v)
{
	json_value_start(j);
	cs_strbuf_printf(&j->buf, "%" PRIu64, v);
}

void json_double(struct json *j, double v)
{
	json_value_start(j);
	if (isfinite(v))
		cs_strbuf_printf(&j->buf, "%.6g", v);
	else
		cs_strbuf_puts(&j->buf, "null");
}

void json_bool(struct json *j, bool v)
{
	json_value_start(j);
	cs_strbuf_puts(&j->buf, v ? "true" : "false");
}

void json_null(struct json *j)
{
	json_value_start(j);
	cs_strbuf_puts(&j->buf, "null");
}

void json_addr(struct json *j, uint64_t addr)
{
	json_value_start(j);
	cs_strbuf_printf(&j->buf, "\"0x%" PRIx64 "\"", addr);
}

void json_kv_string(struct json *j, const char *k, const char *v)
{
	json_key(j, k);
	json_string(j, v);
}

void json_kv_uint(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_uint(j, v);
}

void json_kv_int(struct json *j, const char *k, int64_t v)
{
	json_key(j, k);
	json_int(j, v);
}

void json_kv_bool(struct json *j, const char *k, bool v)
{
	json_key(j, k);
	json_bool(j, v);
}

void json_kv_double(struct json *j, const char *k, double v)
{
	json_key(j, k);
	json_double(j, v);
}

void json_kv_addr(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_addr(j, v);
}

void json_emit(const struct cli *cli, struct cw_core *core, struct json *result)
{
	struct json j;
	json_init(&j);
	json_begin_object(&j);
	json_kv_string(&j, "corescope", PACKAGE_VERSION);
	json_kv_string(&j, "command", cli->cmd ? cli->cmd->name : NULL);
	json_key(&j, "core");
	if (core) {
		const struct cw_input_info *in = cw_core_input(core);
		const struct cw_process *p = cw_core_process(core);
		const struct cw_exe *exe = cw_core_exe(core);
		json_begin_object(&j);
		json_kv_string(&j, "path", in->path);
		if (p->have_psinfo)
			json_kv_int(&j, "pid", p->pid);
		else
			json_kv_string(&j, "pid", NULL);
		json_kv_string(&j, "executable", exe->path);
		json_end_object(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "warnings");
	json_begin_array(&j);
	if (core) {
		const struct cs_warnings *w = cw_core_warnings(core);
		for (size_t i = 0; i < w->n; i++)
			json_string(&j, w->msgs[i]);
		if (w->dropped) {
			char msg[64];
			snprintf(msg, sizeof(msg), "%zu more warnings not shown",
				 w->dropped);
			json_string(&j, msg);
		}
	}
	json_end_array(&j);
	json_key(&j, "result");
	json_value_start(&j);
	if (result && result->buf.s && !result->buf.failed)
		cs_strbuf_add(&j.buf, result->buf.s, result->buf.len);
	else
		cs_strbuf_puts(&j.buf, "null");
	json_end_object(&j);
	if (j.buf.failed) {
		fputs("corescope: out of memory writing JSON\n", stderr);
	} else {
		fwrite(j.buf.s, 1, j.buf.len, stdout);
		fputc('\n', stdout);
	}
	json_deinit(&j);
}
