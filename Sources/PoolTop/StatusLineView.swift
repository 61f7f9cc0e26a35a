/// The bottom line: the mode word (LIVE, PAUSED, REPLAY), what is special right now
/// (read-only, follow, tags, a count being typed), then the last message or key hints.
struct StatusLineView {
    let context: FrameContext

    /// The mode word the status line starts with.
    static func modeWord(_ model: DashboardModel) -> String {
        model.isReplay ? "REPLAY" : model.paused ? "PAUSED" : "LIVE"
    }

    func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let model = context.model
        let word = Self.modeWord(model)
        var x = screen.put(" \(word) ", row: rect.row, column: rect.column, style: Palette.modeBlock(word), limit: rect.width)
        var notes: [(String, CellStyle)] = []
        if model.isReplay { notes.append(("actions disabled", Palette.replay)) }
        if model.readonly, !model.isReplay { notes.append(("read-only", Palette.warning)) }
        if model.follow { notes.append(("FOLLOW \(model.selectedWorker ?? "-")", Palette.bold)) }
        if !model.tagged.isEmpty { notes.append(("\(model.tagged.count) tagged", CellStyle(foreground: .yellow, bold: true))) }
        if let count = model.countPrefix { notes.append(("count \(count)", Palette.bold)) }
        for (text, style) in notes {
            x = screen.put(" " + text, row: rect.row, column: x, style: style, limit: max(0, rect.right - x))
        }
        x += 1
        guard x < rect.right else { return }
        if case .prompt(let prompt)? = model.overlay, let error = prompt.error {
            screen.put(" " + error, row: rect.row, column: x, style: Palette.error, limit: rect.right - x)
        } else if let status = model.status {
            screen.put(" " + status.text, row: rect.row, column: x, style: status.isError ? Palette.error : Palette.plain, limit: rect.right - x)
        } else {
            // Whole hints or none: "q qu" helps nobody.
            var line = SegmentLine()
            for hint in hints() { line.add(hint, Palette.dim) }
            line.draw(into: &screen, row: rect.row, column: x + 1, width: rect.right - x - 1)
        }
    }

    /// Key hints, named through the keymap so they follow rebinding.
    private func hints() -> [String] {
        let model = context.model
        let keymap = model.keymap
        func hint(_ command: Command, _ word: String) -> String? { keymap.keyLabel(for: command).map { "\($0) \(word)" } }
        switch model.overlay {
        case .prompt(let prompt)?:
            return prompt.purpose == .command ? ["Enter run", "Tab complete", "Esc cancel"] : ["Enter ok", "Esc cancel"]
        case .confirm?: return ["←→ move", "Enter choose", "Esc cancel"]
        case .help?: return ["j/k scroll", "Esc close"]
        case nil: break
        }
        let commands: [(Command, String)] = model.isReplay
            ? [(.playPause, "play"), (.stepForward, "step"), (.jumpForward, "+50"), (.nextError, "error"), (.speedUp, "faster"),
               (.filter, "filter"), (.help, "help"), (.quit, "quit")]
            : [(.fork, "fork"), (.kill, "kill"), (.provide, "provide"), (.tag, "tag"), (.pause, "pause"), (.filter, "filter"),
               (.commandLine, "cmd"), (.help, "help"), (.quit, "quit")]
        return commands.compactMap(hint)
    }
}
