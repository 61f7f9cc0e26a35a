/// The help overlay: every binding of the keymap table, by context, then notes. Scrolls
/// when the terminal is too short to show it all.
struct HelpOverlayView {
    let context: FrameContext
    let scroll: Int

    func draw(into screen: inout Screen) {
        let model = context.model
        let content = HelpContent.lines(keymap: model.keymap, replay: model.isReplay, readonly: model.readonly)
        let keyWidth = content.reduce(0) { width, line in
            if case .binding(let keys, _) = line { return max(width, Screen.displayWidth(of: keys)) }
            return width
        }
        let boxWidth = min(screen.width, 100)
        let innerWidth = max(1, boxWidth - 4)
        let lines = Self.render(content, keyWidth: keyWidth, width: innerWidth)
        let boxHeight = min(screen.height, lines.count + 2)
        let visible = max(0, boxHeight - 2)
        let top = min(max(0, scroll), max(0, lines.count - visible))
        let footer = lines.count > visible ? "\(top + 1)-\(top + visible) of \(lines.count) · j/k scroll · Esc close" : "Esc close"
        let box = Box.centered(width: boxWidth, height: boxHeight, on: screen, title: "Help: keys", footer: footer)
        box.draw(into: &screen)
        let inner = box.inner
        for (offset, line) in lines.dropFirst(top).prefix(inner.height).enumerated() {
            screen.put(line.text, row: inner.row + offset, column: inner.column, style: line.style, limit: inner.width)
        }
    }

    /// The help as screen lines, wrapped to `width`: a description too long for the line
    /// continues under itself.
    static func render(_ content: [HelpContent.Line], keyWidth: Int, width: Int) -> [(text: String, style: CellStyle)] {
        var out: [(text: String, style: CellStyle)] = []
        for line in content {
            switch line {
            case .heading(let text): out.append((text, Palette.bold))
            case .blank: out.append(("", .plain))
            case .note(let text):
                for part in TextFormat.wrap(text, width: width) { out.append((part, .plain)) }
            case .binding(let keys, let description):
                let indent = 2 + keyWidth + 2
                let parts = TextFormat.wrap(description, width: max(8, width - indent))
                for (i, part) in parts.enumerated() {
                    let prefix = i == 0 ? "  " + TextFormat.fit(keys, width: keyWidth) + "  " : String(repeating: " ", count: indent)
                    out.append((prefix + part, .plain))
                }
            }
        }
        return out
    }
}
