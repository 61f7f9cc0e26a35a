// The parts of ncursesw that Swift cannot import directly: the wide-character API hides
// behind feature macros, and attributes, ACS characters and stdscr are macros or globals.
#ifndef CNCURSESW_SHIM_H
#define CNCURSESW_SHIM_H
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

extern int wcwidth(wchar_t c);

static inline WINDOW *cn_stdscr(void) { return stdscr; }
static inline int cn_lines(void) { return LINES; }
static inline int cn_cols(void) { return COLS; }
static inline int cn_a_normal(void) { return (int)A_NORMAL; }
static inline int cn_a_bold(void) { return (int)A_BOLD; }
static inline int cn_a_dim(void) { return (int)A_DIM; }
static inline int cn_a_reverse(void) { return (int)A_REVERSE; }
static inline int cn_a_underline(void) { return (int)A_UNDERLINE; }
static inline int cn_key_f(int n) { return KEY_F(n); }

/* Used by NcursesTerminal (Sources/PoolTop/Terminal.swift). stdin/stdout, COLORS and
   COLOR_PAIRS are C globals, which Swift 6 refuses to read directly (swift-notes P2). */
static inline FILE *cn_stdin(void) { return stdin; }
static inline FILE *cn_stdout(void) { return stdout; }
static inline int cn_colors(void) { return COLORS; }
static inline int cn_color_pairs(void) { return COLOR_PAIRS; }
/* Writes one character cell (base character plus up to CCHAR_MAX-2 combining marks, a
   0-terminated wide string) at (y, x) with the given attributes and colour pair. Returns
   ERR when the cell is off the window; writing the bottom-right cell also returns ERR
   (the cursor cannot advance) although the cell is drawn. */
static inline int cn_put_cell(WINDOW *w, int y, int x, const wchar_t *chars, attr_t attrs, short pair) {
    cchar_t cell;
    if (setcchar(&cell, chars, attrs, pair, NULL) == ERR) return ERR;
    if (wmove(w, y, x) == ERR) return ERR;
    return wadd_wch(w, &cell);
}
#endif
