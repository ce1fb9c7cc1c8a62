/*
 * error.c — error values and the warning collector.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cs.h"

struct cs_error cs_error_nomem = {
	.code = CS_ERR_NOMEM,
	.message = (char *)"out of memory",
};

struct cs_error *cs_error_vcreate(enum cs_error_code code, const char *fmt,
				  va_list ap)
{
	struct cs_error *err = calloc(1, sizeof(*err));
	if (!err)
		return &cs_error_nomem;
	if (vasprintf(&err->message, fmt, ap) < 0) {
		free(err);
		return &cs_error_nomem;
	}
	err->code = code;
	return err;
}

struct cs_error *cs_error_create(enum cs_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct cs_error *err = cs_error_vcreate(code, fmt, ap);
	va_end(ap);
	return err;
}

const char *cs_fault_name(enum cs_fault why)
{
	switch (why) {
	case CS_FAULT_UNMAPPED:
		return "not mapped in the process";
	case CS_FAULT_NOT_SAVED:
		return "mapped but not saved in the dump";
	case CS_FAULT_TRUNCATED:
		return "beyond the end of the truncated dump";
	case CS_FAULT_NONE:
		break;
	}
	return "unreadable";
}

struct cs_error *cs_error_fault(uint64_t addr, enum cs_fault why,
				const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct cs_error *err = cs_error_vcreate(CS_ERR_FAULT, fmt, ap);
	va_end(ap);
	if (err != &cs_error_nomem) {
		err->has_addr = true;
		err->addr = addr;
		err->fault = why;
	}
	return err;
}

struct cs_error *cs_error_os(int errnum, const char *fmt, ...)
{
	char *prefix;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (r < 0)
		return &cs_error_nomem;
	struct cs_error *err =
		cs_error_create(CS_ERR_OS, "%s: %s", prefix, strerror(errnum));
	free(prefix);
	if (err != &cs_error_nomem)
		err->errnum = errnum;
	return err;
}

struct cs_error *cs_error_wrap(struct cs_error *err, const char *fmt, ...)
{
	if (!err || err == &cs_error_nomem)
		return err;
	char *prefix, *msg;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (r < 0)
		return err;	/* keep the original message */
	if (asprintf(&msg, "%s: %s", prefix, err->message) >= 0) {
		free(err->message);
		err->message = msg;
	}
	free(prefix);
	return err;
}

void cs_error_destroy(struct cs_error *err)
{
	if (!err || err == &cs_error_nomem)
		return;
	free(err->message);
	free(err);
}

/* ------------------------------------------------------------------ */
/* Warnings                                                            */
/* ------------------------------------------------------------------ */

void cs_warnings_init(struct cs_warnings *w)
{
	memset(w, 0, sizeof(*w));
	w->limit = 200;
}

void cs_warnings_deinit(struct cs_warnings *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->msgs[i]);
	free(w->msgs);
	memset(w, 0, sizeof(*w));
}

static void warn_add(struct cs_warnings *w, bool partial, char *msg)
{
	if (partial)
		w->partial = true;
	if (!msg) {
		w->dropped++;
		return;
	}
	/* Identical warnings (the same broken structure seen twice) are kept
	 * once; a dying process tends to repeat itself. */
	for (size_t i = 0; i < w->n; i++) {
		if (strcmp(w->msgs[i], msg) == 0) {
			free(msg);
			return;
		}
	}
	if (w->n >= w->limit || !CS_PUSH(w->msgs, w->n, w->cap, msg)) {
		free(msg);
		w->dropped++;
	}
}

void cs_warn(struct cs_warnings *w, bool partial, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	warn_add(w, partial, msg);
}

void cs_warn_error(struct cs_warnings *w, bool partial, struct cs_error *err,
		   const char *context)
{
	char *msg;
	if (context) {
		if (asprintf(&msg, "%s: %s", context, err->message) < 0)
			msg = NULL;
	} else {
		msg = strdup(err->message);
	}
	cs_error_destroy(err);
	warn_add(w, partial, msg);
}
