/// A framed box drawn over the dashboard (help, confirmation): cleared inside, with a
/// title in the top border and an optional footer in the bottom one.
struct Box {
    var rect: Rect
    var title: String
    var footer: String?

    /// A box of `width` x `height` centred on a screen, shrunk to fit.
    static func centered(width: Int, height: Int, on screen: Screen, title: String, footer: String? = nil) -> Box {
        let w = min(width, screen.width), h = min(height, screen.height)
        return Box(rect: Rect(row: (screen.height - h) / 2, column: (screen.width - w) / 2, width: w, height: h), title: title, footer: footer)
    }

    /// The inside, without border and a one-column margin.
    var inner: Rect {
        Rect(row: rect.row + 1, column: rect.column + 2, width: rect.width - 4, height: rect.height - 2)
    }

    func draw(into screen: inout Screen) {
        guard rect.width >= 2, rect.height >= 2 else {
            for y in rect.row..<rect.bottom { screen.fill(row: y, column: rect.column, count: rect.width, style: .plain) }
            return
        }
        let style = Palette.border
        for y in rect.row..<rect.bottom { screen.fill(row: y, column: rect.column, count: rect.width, style: .plain) }
        let rule = String(repeating: "─", count: rect.width - 2)
        screen.put("┌" + rule + "┐", row: rect.row, column: rect.column, style: style)
        screen.put("└" + rule + "┘", row: rect.bottom - 1, column: rect.column, style: style)
        for y in (rect.row + 1)..<(rect.bottom - 1) {
            screen.put("│", row: y, column: rect.column, style: style)
            screen.put("│", row: y, column: rect.right - 1, style: style)
        }
        screen.put(" \(title) ", row: rect.row, column: rect.column + 2, style: Palette.bold, limit: max(0, rect.width - 4))
        if let footer {
            let text = " \(footer) "
            let width = min(Screen.displayWidth(of: text), max(0, rect.width - 4))
            screen.put(text, row: rect.bottom - 1, column: rect.right - 2 - width, style: Palette.dim, limit: width)
        }
    }
}
