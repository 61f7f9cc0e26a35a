import PoolTop

/// `pooltop --terminal-check` (hidden from --help): a developer check of the terminal
/// plumbing without the dashboard. It draws a box, wide (CJK) text, colours and text
/// styles, the terminal's size and the last key read; it redraws on every key and on
/// resize, and quits with status 0 on `q`. `Tests/PoolTopTests/TerminalE2ETests.swift`
/// drives it in tmux, and `scripts/screenshot.sh` can photograph it.
enum TerminalCheck {
    static func run() throws {
        let terminal = try NcursesTerminal()
        defer { terminal.close() }
        var lastKey = "none"
        var keyCount = 0
        while true {
            terminal.draw(frame(size: terminal.size, lastKey: lastKey, keyCount: keyCount))
            guard let key = terminal.readKey(timeoutMilliseconds: 1000) else { continue }
            if key == .character("q") { return }
            keyCount += 1
            lastKey = name(of: key)
        }
    }

    static func frame(size: TerminalSize, lastKey: String, keyCount: Int) -> Screen {
        var screen = Screen(width: size.width, height: size.height)
        let width = size.width, height = size.height
        guard width >= 2, height >= 2 else { return screen }
        let border = CellStyle(foreground: .cyan)
        screen.put("┌" + String(repeating: "─", count: width - 2) + "┐", row: 0, column: 0, style: border)
        for row in 1..<(height - 1) {
            screen.put("│", row: row, column: 0, style: border)
            screen.put("│", row: row, column: width - 1, style: border)
        }
        screen.put("└" + String(repeating: "─", count: width - 2) + "┘", row: height - 1, column: 0, style: border)
        screen.put(" pooltop terminal check ", row: 0, column: 2, style: CellStyle(foreground: .white, background: .blue, bold: true),
                   limit: max(0, width - 4))

        let inner = width - 4
        var row = 2
        func line(_ text: String, _ style: CellStyle = .plain) {
            guard row < height - 1 else { return }
            screen.put(text, row: row, column: 2, style: style, limit: inner)
            row += 1
        }
        line("size: \(size.width)x\(size.height)", CellStyle(bold: true))
        line("last key: \(lastKey)", CellStyle(foreground: .yellow, bold: true))
        line("keys read: \(keyCount)")
        row += 1
        line("wide: 工作者 ワーカー 队列 (3 names, 2 cells per character)")
        if row < height - 1 {
            var column = 2
            for color in TerminalColor.allCases where color != .default {
                let label = " \(color) "
                let foreground: TerminalColor = (color == .black || color == .blue || color == .gray) ? .white : .black
                column = screen.put(label, row: row, column: column, style: CellStyle(foreground: foreground, background: color), limit: max(0, width - 2 - column))
            }
            row += 1
        }
        if row < height - 1 {
            var column = 2
            for (label, style) in [("bold", CellStyle(bold: true)), ("dim", CellStyle(dim: true)),
                                   ("reverse", CellStyle(reverse: true)), ("underline", CellStyle(underline: true)),
                                   ("red on default", CellStyle(foreground: .red))] {
                column = screen.put(label, row: row, column: column, style: style, limit: max(0, width - 2 - column))
                column += 1
            }
            row += 1
        }
        line("bars: ▏▎▍▌▋▊▉█ ░▒▓ ████████", CellStyle(foreground: .green))
        row += 1
        line("arrows, PgUp/PgDn, Home/End, Tab, F1-F12, text: shown above; resize: size updates")
        if height >= 4 {
            screen.put("press q to quit", row: height - 2, column: 2, style: CellStyle(reverse: true), limit: inner)
        }
        return screen
    }

    static func name(of key: Key) -> String {
        switch key {
        case .character(" "): return "space"
        case .character(let character):
            if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1, scalar.value < 0x20,
               let letter = Unicode.Scalar(scalar.value + 0x40) {
                return "ctrl-\(Character(letter))"
            }
            return String(character)
        case .up: return "up"
        case .down: return "down"
        case .left: return "left"
        case .right: return "right"
        case .pageUp: return "pageUp"
        case .pageDown: return "pageDown"
        case .home: return "home"
        case .end: return "end"
        case .enter: return "enter"
        case .escape: return "escape"
        case .tab: return "tab"
        case .backTab: return "backTab"
        case .backspace: return "backspace"
        case .delete: return "delete"
        case .function(let n): return "F\(n)"
        case .resize: return "resize"
        }
    }
}
