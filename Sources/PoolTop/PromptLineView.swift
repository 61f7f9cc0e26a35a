/// The text prompt: its label, the text typed so far and a cursor. A long text scrolls so
/// its end (where typing happens) stays visible.
struct PromptLineView {
    let prompt: TextPrompt

    func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let label = prompt.label
        var x = screen.put(label, row: rect.row, column: rect.column, style: Palette.bold, limit: rect.width)
        let room = rect.right - x - 1
        guard room > 0 else { return }
        var text = prompt.text
        while Screen.displayWidth(of: text) > room, !text.isEmpty { text.removeFirst() }
        x = screen.put(text, row: rect.row, column: x, limit: room)
        if x < rect.right { screen.put(" ", row: rect.row, column: x, style: CellStyle(reverse: true)) }
    }
}
