/// The confirmation dialog: the question naming its target, the typed-count field for bulk
/// actions, and the two buttons with the focused one marked `> Cancel <` and highlighted.
struct ConfirmDialogView {
    let dialog: ConfirmDialog

    func draw(into screen: inout Screen) {
        let wanted = max(44, Screen.displayWidth(of: dialog.message) + 6)
        let width = min(screen.width, min(wanted, 72))
        let message = TextFormat.wrap(dialog.message, width: max(1, width - 4))
        var lines: [(String, CellStyle)] = message.map { ($0, Palette.bold) }
        if let required = dialog.requiredInput {
            lines.append(("", .plain))
            lines.append(("Type \(required) to confirm: [\(dialog.input)_]", dialog.inputSatisfied ? Palette.good : Palette.warning))
        }
        lines.append(("", .plain))
        let height = min(screen.height, lines.count + 3)
        let box = Box.centered(width: width, height: height, on: screen, title: dialog.title, footer: "←→ Tab move · Enter · Esc")
        box.draw(into: &screen)
        let inner = box.inner
        for (offset, line) in lines.prefix(max(0, inner.height - 1)).enumerated() {
            screen.put(line.0, row: inner.row + offset, column: inner.column, style: line.1, limit: inner.width)
        }
        guard inner.height > 0 else { return }
        // Buttons on the last inner row, Cancel first (left), as in every dialog.
        let buttons: [(ConfirmDialog.Button, String)] = [(.cancel, "Cancel"), (.confirm, dialog.confirmLabel)]
        let labels = buttons.map { button, label in dialog.focus == button ? "> \(label) <" : "  \(label)  " }
        let total = labels.reduce(0) { $0 + Screen.displayWidth(of: $1) } + 3 * (labels.count - 1)
        var x = inner.column + max(0, (inner.width - total) / 2)
        let y = inner.row + min(lines.count, inner.height - 1)
        for ((button, _), label) in zip(buttons, labels) {
            let focused = dialog.focus == button
            var style = focused ? CellStyle(bold: true, reverse: true) : CellStyle.plain
            if focused, button == .confirm { style.foreground = .red }
            x = screen.put(label, row: y, column: x, style: style, limit: max(0, inner.right - x)) + 3
        }
    }
}
