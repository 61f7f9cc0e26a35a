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
#endif
