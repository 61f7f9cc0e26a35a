#!/usr/bin/python3
"""Paint a terminal screen capture as a PNG.

    tmux capture-pane -p -e -N -t SESSION | scripts/ansi2png.py COLS ROWS [FONTSIZE] > screen.png

The input is text with SGR escape sequences (what `tmux capture-pane -p -e -N` prints).
pyte, a VT100 emulator, turns it into a grid of cells; Pillow paints every cell's
background first and every glyph after, so a wide (CJK) glyph that spans two cells is
never cut by its neighbour's background.

- Text: DejaVu Sans Mono, regular and bold. Wide characters: WenQuanYi Micro Hei,
  centred over their two cells.
- Box drawing (U+2500 block), block elements (U+2580 block: bars, halves, shades,
  quadrants) and braille dots are drawn as shapes, so lines join and bars have no seams.
- Colours: the 8 ANSI colours, their bright forms (SGR 90-97, 100-107), the 256-colour
  palette and 24-bit colour; bold, dim, underline, strike-through and reverse video.

Needs Debian's python3-pyte, python3-pil, fonts-dejavu-core and fonts-wqy-microhei
(run it with /usr/bin/python3 when another python3 comes first on PATH).
"""

import argparse
import sys
import unicodedata

import pyte
from pyte import graphics
from PIL import Image, ImageDraw, ImageFont

FONT_REGULAR = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
FONT_WIDE = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

DEFAULT_FG = (212, 212, 212)
DEFAULT_BG = (30, 30, 30)
PALETTE = {
    "black": (0, 0, 0), "red": (205, 49, 49), "green": (13, 188, 121), "brown": (229, 229, 16),
    "blue": (36, 114, 200), "magenta": (188, 63, 188), "cyan": (17, 168, 205), "white": (229, 229, 229),
    "brightblack": (118, 118, 118), "brightred": (241, 76, 76), "brightgreen": (35, 209, 139),
    "brightbrown": (245, 245, 67), "brightblue": (59, 142, 234), "brightmagenta": (214, 112, 214),
    "brightcyan": (41, 184, 219), "brightwhite": (255, 255, 255),
}
ANSI_NAMES = ["black", "red", "green", "brown", "blue", "magenta", "cyan", "white"]
DIM = "|dim"   # suffix on the foreground name: pyte's Char has no field for SGR 2


class Screen(pyte.Screen):
    """pyte.Screen with complete SGR handling: bright colours keep their own names
    (pyte maps 90-97 to the normal colours and fails on 100-107) and SGR 2 (dim) is kept."""

    def select_graphic_rendition(self, *attrs, **_kwargs):
        if not attrs:
            attrs = (0,)
        attrs = list(attrs)
        attrs.reverse()
        current = self.cursor.attrs
        fg, dim = current.fg, False
        if fg.endswith(DIM):
            fg, dim = fg[: -len(DIM)], True
        state = {"fg": fg, "bg": current.bg, "bold": current.bold, "italics": current.italics,
                 "underscore": current.underscore, "strikethrough": current.strikethrough,
                 "reverse": current.reverse}
        while attrs:
            a = attrs.pop()
            if a == 0:
                state.update(fg="default", bg="default", bold=False, italics=False, underscore=False,
                             strikethrough=False, reverse=False)
                dim = False
            elif a == 2:
                dim = True
            elif a == 22:
                state["bold"] = False
                dim = False
            elif 30 <= a <= 37:
                state["fg"] = ANSI_NAMES[a - 30]
            elif a == 39:
                state["fg"] = "default"
            elif 40 <= a <= 47:
                state["bg"] = ANSI_NAMES[a - 40]
            elif a == 49:
                state["bg"] = "default"
            elif 90 <= a <= 97:
                state["fg"] = "bright" + ANSI_NAMES[a - 90]
            elif 100 <= a <= 107:
                state["bg"] = "bright" + ANSI_NAMES[a - 100]
            elif a in (38, 48):
                key = "fg" if a == 38 else "bg"
                try:
                    mode = attrs.pop()
                    if mode == 5:
                        state[key] = graphics.FG_BG_256[attrs.pop()]
                    elif mode == 2:
                        r, g, b = attrs.pop(), attrs.pop(), attrs.pop()
                        state[key] = "%02x%02x%02x" % (r, g, b)
                except (IndexError, KeyError):
                    pass
            elif a in graphics.TEXT:
                name = graphics.TEXT[a]
                state[name[1:]] = name.startswith("+")
        if dim:
            state["fg"] += DIM
        self.cursor.attrs = current._replace(**state)


def rgb(name, default):
    if name == "default":
        return default
    if name in PALETTE:
        return PALETTE[name]
    try:
        return (int(name[0:2], 16), int(name[2:4], 16), int(name[4:6], 16))
    except (ValueError, IndexError):
        return default


def mix(a, b, t):
    """a blended toward b by t (0..1)."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))


def cell_colors(char):
    fg_name, dim = char.fg, False
    if fg_name.endswith(DIM):
        fg_name, dim = fg_name[: -len(DIM)], True
    fg = rgb(fg_name, DEFAULT_FG)
    bg = rgb(char.bg, DEFAULT_BG)
    if char.reverse:
        fg, bg = bg, fg
    if dim:
        fg = mix(fg, bg, 0.45)
    return fg, bg


# Box drawing: (left, right, up, down) arms; 1 light, 2 heavy, 3 double.
BOX = {}
for chars, arms in [
    ("─┄┈╌", (1, 1, 0, 0)), ("│┆┊╎", (0, 0, 1, 1)), ("━┅┉╍", (2, 2, 0, 0)), ("┃┇┋╏", (0, 0, 2, 2)),
    ("┌╭", (0, 1, 0, 1)), ("┐╮", (1, 0, 0, 1)), ("└╰", (0, 1, 1, 0)), ("┘╯", (1, 0, 1, 0)),
    ("├", (0, 1, 1, 1)), ("┤", (1, 0, 1, 1)), ("┬", (1, 1, 0, 1)), ("┴", (1, 1, 1, 0)), ("┼", (1, 1, 1, 1)),
    ("┏", (0, 2, 0, 2)), ("┓", (2, 0, 0, 2)), ("┗", (0, 2, 2, 0)), ("┛", (2, 0, 2, 0)),
    ("┣", (0, 2, 2, 2)), ("┫", (2, 0, 2, 2)), ("┳", (2, 2, 0, 2)), ("┻", (2, 2, 2, 0)), ("╋", (2, 2, 2, 2)),
    ("═", (3, 3, 0, 0)), ("║", (0, 0, 3, 3)), ("╔", (0, 3, 0, 3)), ("╗", (3, 0, 0, 3)), ("╚", (0, 3, 3, 0)),
    ("╝", (3, 0, 3, 0)), ("╠", (0, 3, 3, 3)), ("╣", (3, 0, 3, 3)), ("╦", (3, 3, 0, 3)), ("╩", (3, 3, 3, 0)),
    ("╬", (3, 3, 3, 3)), ("╴", (1, 0, 0, 0)), ("╶", (0, 1, 0, 0)), ("╵", (0, 0, 1, 0)), ("╷", (0, 0, 0, 1)),
]:
    for c in chars:
        BOX[c] = arms

# Block elements: rectangles in eighths of the cell (x0, y0, x1, y1), or a shade level.
BLOCKS = {"▀": [(0, 0, 8, 4)], "█": [(0, 0, 8, 8)], "▐": [(4, 0, 8, 8)], "▔": [(0, 0, 8, 1)], "▕": [(7, 0, 8, 8)]}
for i, c in enumerate("▁▂▃▄▅▆▇", start=1):
    BLOCKS[c] = [(0, 8 - i, 8, 8)]
for i, c in enumerate("▏▎▍▌▋▊▉", start=1):
    BLOCKS[c] = [(0, 0, i, 8)]
Q_UL, Q_UR, Q_LL, Q_LR = (0, 0, 4, 4), (4, 0, 8, 4), (0, 4, 4, 8), (4, 4, 8, 8)
BLOCKS.update({"▖": [Q_LL], "▗": [Q_LR], "▘": [Q_UL], "▝": [Q_UR], "▙": [Q_UL, Q_LL, Q_LR], "▚": [Q_UL, Q_LR],
               "▛": [Q_UL, Q_UR, Q_LL], "▜": [Q_UL, Q_UR, Q_LR], "▞": [Q_UR, Q_LL], "▟": [Q_UR, Q_LL, Q_LR]})
SHADES = {"░": 0.25, "▒": 0.5, "▓": 0.75}


class Painter:
    def __init__(self, cols, rows, size, margin):
        self.regular = ImageFont.truetype(FONT_REGULAR, size)
        self.bold = ImageFont.truetype(FONT_BOLD, size)
        self.wide = ImageFont.truetype(FONT_WIDE, size)
        ascent, descent = self.regular.getmetrics()
        self.ascent = ascent
        self.cw = int(round(self.regular.getlength("M")))
        self.ch = ascent + descent
        self.margin = margin
        self.line = max(1, int(round(size / 14)))
        self.image = Image.new("RGB", (cols * self.cw + 2 * margin, rows * self.ch + 2 * margin), DEFAULT_BG)
        self.draw = ImageDraw.Draw(self.image)

    def origin(self, x, y):
        return self.margin + x * self.cw, self.margin + y * self.ch

    def background(self, x, y, width, color):
        x0, y0 = self.origin(x, y)
        self.draw.rectangle([x0, y0, x0 + width * self.cw - 1, y0 + self.ch - 1], fill=color)

    def box(self, x0, y0, arms, fg):
        left, right, up, down = arms
        cx, cy = x0 + self.cw // 2, y0 + self.ch // 2
        x1, y1 = x0 + self.cw - 1, y0 + self.ch - 1
        t = self.line
        gap = t + 1   # half the distance between the strokes of a double line

        def stroke(horizontal, a, b, weight):
            if weight == 0:
                return
            if weight == 3:
                offsets, width = (-gap, gap), t
            else:
                offsets, width = (0,), (t if weight == 1 else t * 2 + 1)
            for off in offsets:
                if horizontal:
                    top = cy + off - width // 2
                    self.draw.rectangle([min(a, b), top, max(a, b), top + width - 1], fill=fg)
                else:
                    lft = cx + off - width // 2
                    self.draw.rectangle([lft, min(a, b), lft + width - 1, max(a, b)], fill=fg)

        reach = gap + t if 3 in arms else t   # arms overlap at the centre so corners close
        stroke(True, x0, cx + (reach if left else 0), left)
        stroke(True, cx - (reach if right else 0), x1, right)
        stroke(False, y0, cy + (reach if up else 0), up)
        stroke(False, cy - (reach if down else 0), y1, down)

    def block(self, x0, y0, rects, fg):
        for (a, b, c, d) in rects:
            self.draw.rectangle([x0 + a * self.cw // 8, y0 + b * self.ch // 8,
                                 x0 + c * self.cw // 8 - 1, y0 + d * self.ch // 8 - 1], fill=fg)

    def braille(self, x0, y0, bits, fg):
        dots = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)]
        r = max(1, self.cw // 8)
        for i, (col, row) in enumerate(dots):
            if bits & (1 << i):
                cx = x0 + (col * 2 + 1) * self.cw // 4
                cy = y0 + (row * 2 + 1) * self.ch // 8
                self.draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fg)

    def glyph(self, x, y, char, fg, bg, wide):
        text = char.data
        x0, y0 = self.origin(x, y)
        if not text or text == " ":
            pass
        elif text in BOX:
            self.box(x0, y0, BOX[text], fg)
        elif text in BLOCKS:
            self.block(x0, y0, BLOCKS[text], fg)
        elif text in SHADES:
            self.block(x0, y0, [(0, 0, 8, 8)], mix(bg, fg, SHADES[text]))
        elif 0x2800 <= ord(text[0]) <= 0x28FF and len(text) == 1:
            self.braille(x0, y0, ord(text) - 0x2800, fg)
        elif wide:
            width = self.wide.getlength(text)
            left = x0 + (2 * self.cw - width) / 2
            self.draw.text((left, y0 + self.ascent), text, font=self.wide, fill=fg, anchor="ls")
            if char.bold:
                self.draw.text((left + 1, y0 + self.ascent), text, font=self.wide, fill=fg, anchor="ls")
        else:
            font = self.bold if char.bold else self.regular
            self.draw.text((x0, y0 + self.ascent), text, font=font, fill=fg, anchor="ls")
        cells = 2 if wide else 1
        if char.underscore:
            uy = y0 + self.ascent + max(1, self.line)
            self.draw.rectangle([x0, uy, x0 + cells * self.cw - 1, uy + self.line - 1], fill=fg)
        if char.strikethrough:
            sy = y0 + self.ch // 2
            self.draw.rectangle([x0, sy, x0 + cells * self.cw - 1, sy + self.line - 1], fill=fg)


def render(data, cols, rows, size, margin):
    screen = Screen(cols, rows)
    stream = pyte.Stream(screen)
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()          # a final newline would scroll the first row away
    stream.feed("\r\n".join(lines[:rows]))

    painter = Painter(cols, rows, size, margin)
    # Pass 1: backgrounds. Pass 2: glyphs, so wide glyphs are not cut by the next cell.
    for y in range(rows):
        line = screen.buffer[y]
        for x in range(cols):
            _, bg = cell_colors(line[x])
            painter.background(x, y, 1, bg)
    for y in range(rows):
        line = screen.buffer[y]
        for x in range(cols):
            char = line[x]
            if char.data == "":
                continue     # right half of a wide character
            fg, bg = cell_colors(char)
            wide = x + 1 < cols and line[x + 1].data == "" and unicodedata.east_asian_width(char.data[:1]) in "WF"
            painter.glyph(x, y, char, fg, bg, wide)
    return painter.image


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cols", type=int, nargs="?", default=120, help="terminal width in cells (120)")
    parser.add_argument("rows", type=int, nargs="?", default=40, help="terminal height in cells (40)")
    parser.add_argument("fontsize", type=int, nargs="?", default=16, help="font size in pixels (16)")
    parser.add_argument("--margin", type=int, default=8, help="border around the screen in pixels (8)")
    args = parser.parse_args()
    if args.cols < 1 or args.rows < 1 or args.fontsize < 4:
        parser.error("cols and rows must be positive and fontsize at least 4")
    if sys.stdout.isatty():
        parser.error("refusing to write a PNG to a terminal; redirect standard output to a file")
    image = render(sys.stdin.buffer.read(), args.cols, args.rows, args.fontsize, args.margin)
    image.save(sys.stdout.buffer, format="PNG", optimize=True)


if __name__ == "__main__":
    main()
