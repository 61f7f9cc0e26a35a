import Testing
@testable import PoolTop

@Suite("ScreenDiff")
struct ScreenDiffTests {
    typealias Run = ScreenDiff.Run

    private func screen(_ lines: [String], width: Int = 10) -> Screen {
        var s = Screen(width: width, height: lines.count)
        for (row, text) in lines.enumerated() { s.put(text, row: row, column: 0) }
        return s
    }

    @Test("no previous frame, or a different size: every row is redrawn whole")
    func fullRedraw() {
        let new = screen(["ab", "cd"], width: 4)
        #expect(ScreenDiff.runs(from: nil, to: new) == [Run(row: 0, column: 0, count: 4), Run(row: 1, column: 0, count: 4)])
        let smaller = screen(["ab"], width: 4)
        #expect(ScreenDiff.runs(from: smaller, to: new).count == 2)
        let narrower = screen(["ab", "cd"], width: 3)
        #expect(ScreenDiff.runs(from: narrower, to: new) == [Run(row: 0, column: 0, count: 4), Run(row: 1, column: 0, count: 4)])
    }

    @Test("identical frames need nothing")
    func identical() {
        let s = screen(["hello", "工作"])
        #expect(ScreenDiff.runs(from: s, to: s).isEmpty)
    }

    @Test("only the changed cells, one run per stretch")
    func changedStretches() {
        let old = screen(["abcdefghij", "0123456789"])
        let new = screen(["aXcdefghYZ", "0123456789"])
        #expect(ScreenDiff.runs(from: old, to: new, mergingGapsUpTo: 0) == [Run(row: 0, column: 1, count: 1), Run(row: 0, column: 8, count: 2)])
    }

    @Test("a style change counts as a change")
    func styleChange() {
        let old = screen(["abc"])
        var new = old
        new.restyle(row: 0, column: 1, count: 1) { $0.bold = true }
        #expect(ScreenDiff.runs(from: old, to: new) == [Run(row: 0, column: 1, count: 1)])
    }

    @Test("close runs merge; distant ones do not")
    func merging() {
        let old = screen(["abcdefghij"])
        let new = screen(["XbcXefghiX"])
        #expect(ScreenDiff.runs(from: old, to: new, mergingGapsUpTo: 2) == [Run(row: 0, column: 0, count: 4), Run(row: 0, column: 9, count: 1)])
        #expect(ScreenDiff.runs(from: old, to: new, mergingGapsUpTo: 5).count == 1)
    }

    @Test("a change to either half of a wide character redraws both halves")
    func wideCharacters() {
        let old = screen(["a工b"])            // a, 工, continuation, b
        var restyledRightHalf = old
        restyledRightHalf.restyle(row: 0, column: 2, count: 1) { $0.reverse = true }
        #expect(ScreenDiff.runs(from: old, to: restyledRightHalf, mergingGapsUpTo: 0) == [Run(row: 0, column: 1, count: 2)])

        let replaced = screen(["a作b"])
        #expect(ScreenDiff.runs(from: old, to: replaced, mergingGapsUpTo: 0) == [Run(row: 0, column: 1, count: 2)])
    }

    @Test("overwriting half of an old wide character redraws what remains of it")
    func brokenWideCharacters() {
        let old = screen(["工作"])            // 工 at 0-1, 作 at 2-3
        let new = screen([" x ab"])           // narrow cells everywhere
        var halfOverwritten = old
        halfOverwritten[0, 1] = Cell("x")    // the right half of 工 replaced directly
        // Writing column 1 blanks column 0 on a real terminal, so column 0 is redrawn too.
        #expect(ScreenDiff.runs(from: old, to: halfOverwritten, mergingGapsUpTo: 0) == [Run(row: 0, column: 0, count: 2)])
        #expect(ScreenDiff.runs(from: old, to: new, mergingGapsUpTo: 0) == [Run(row: 0, column: 0, count: 5)])

        // New narrow text over the left half of an old wide character at 2-3.
        var leftHalf = old
        leftHalf[0, 2] = Cell("y")
        #expect(ScreenDiff.runs(from: old, to: leftHalf, mergingGapsUpTo: 0) == [Run(row: 0, column: 2, count: 2)])
    }

    @Test("what to write per cell: wide characters once, impossible cells as spaces")
    func glyphs() {
        var s = screen(["a工b"])
        #expect(ScreenDiff.glyph(in: s, row: 0, column: 0) == "a")
        #expect(ScreenDiff.glyph(in: s, row: 0, column: 1) == "工")
        #expect(ScreenDiff.glyph(in: s, row: 0, column: 2) == nil)
        #expect(ScreenDiff.glyph(in: s, row: 0, column: 3) == "b")
        // A wide character without its right half, and a right half without its character.
        s[0, 2] = Cell("c")
        s[0, 5] = Cell(" ", isContinuation: true)
        #expect(ScreenDiff.glyph(in: s, row: 0, column: 1) == " ")
        #expect(ScreenDiff.glyph(in: s, row: 0, column: 5) == " ")
        // A wide character in the last column cannot be shown.
        s[0, 9] = Cell("工")
        #expect(ScreenDiff.glyph(in: s, row: 0, column: 9) == " ")
        // Control characters are not written to the terminal.
        s[0, 6] = Cell("\u{7}")
        #expect(ScreenDiff.glyph(in: s, row: 0, column: 6) == " ")
    }

    @Test("an empty screen has no runs")
    func empty() {
        #expect(ScreenDiff.runs(from: nil, to: Screen(width: 0, height: 3)).isEmpty)
    }
}

@Suite("Curses key decoding")
struct CursesKeyDecoderTests {
    // ncurses key codes (curses.h, octal): the values wget_wch reports with KEY_CODE_YES.
    static let keyCodeYes: Int32 = 0o400
    static let ok: Int32 = 0
    static let err: Int32 = -1

    @Test("function keys", arguments: [
        (0o403, Key.up), (0o402, .down), (0o404, .left), (0o405, .right),
        (0o523, .pageUp), (0o522, .pageDown), (0o406, .home), (0o550, .end),
        (0o541, .backTab), (0o632, .resize), (0o527, .enter), (0o407, .backspace), (0o512, .delete),
        (0o410 + 1, .function(1)), (0o410 + 12, .function(12)),
    ] as [(Int32, Key)])
    func functionKeys(code: Int32, key: Key) {
        #expect(CursesKeyDecoder.decode(status: Self.keyCodeYes, code: UInt32(code)) == key)
    }

    @Test("characters", arguments: [
        (10, Key.enter), (13, .enter), (9, .tab), (27, .escape), (127, .backspace), (8, .backspace),
        (0x71, .character("q")), (0x5DE5, .character("工")), (1, .character("\u{1}")),
    ] as [(UInt32, Key)])
    func characters(code: UInt32, key: Key) {
        #expect(CursesKeyDecoder.decode(status: Self.ok, code: code) == key)
    }

    @Test("timeouts and unknown keys are nil")
    func nothing() {
        #expect(CursesKeyDecoder.decode(status: Self.err, code: 0) == nil)
        #expect(CursesKeyDecoder.decode(status: Self.keyCodeYes, code: 0o631) == nil)  // KEY_MOUSE
        #expect(CursesKeyDecoder.decode(status: Self.ok, code: 0xD800) == nil)  // not a scalar
    }
}

@Suite("MemoryTerminal")
struct MemoryTerminalTests {
    @Test("keeps frames, hands out keys, queues .resize")
    func basics() {
        let terminal = MemoryTerminal(width: 20, height: 5, keys: [.down])
        var s = Screen(width: 20, height: 5)
        s.put("hi", row: 0, column: 0)
        terminal.draw(s)
        #expect(terminal.lastFrame?.line(0) == "hi")
        #expect(terminal.readKey(timeoutMilliseconds: 0) == .down)
        #expect(terminal.readKey(timeoutMilliseconds: 0) == nil)
        terminal.resize(width: 30, height: 6)
        #expect(terminal.size == TerminalSize(width: 30, height: 6))
        #expect(terminal.readKey(timeoutMilliseconds: 0) == .resize)
        terminal.close()
        terminal.draw(s)
        #expect(terminal.frames.count == 1)
    }
}
