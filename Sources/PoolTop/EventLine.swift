import AsyncMachine
import AsyncMachineNode

/// One event as the log shows it: a gutter mark, who it is about and what happened.
/// The filter matches the same text a person reads.
struct EventLine {
    var gutter: String
    var gutterStyle: CellStyle
    var who: String
    var text: String
    var style: CellStyle

    init(_ event: PoolEvent) {
        who = event.worker ?? "super"
        style = Palette.plain
        switch event.kind {
        case .transition:
            guard let t = event.transition else {
                (gutter, gutterStyle, text) = ("?", Palette.dim, "transition")
                return
            }
            let changes = t.entered.map { "+\($0.rawValue)" } + t.exited.map { "-\($0.rawValue)" }
            // A mirror's clock update is a `set` of every active state: only what changed
            // tells a person anything.
            let isMirrorSync = t.type == .set && event.worker != nil && t.args.isEmpty
            var text = isMirrorSync ? "sync" : "\(t.type.rawValue) \(t.called.map(\.rawValue).joined(separator: " "))"
            let args = Self.args(t.args)
            if !args.isEmpty { text += " (\(args))" }
            if t.accepted {
                if !changes.isEmpty { text += "  " + changes.joined(separator: " ") }
                if event.enteredError {
                    (gutter, gutterStyle) = ("!", Palette.error)
                    style = Palette.errorText
                } else {
                    (gutter, gutterStyle) = ("✓", Palette.good)
                }
            } else {
                text += "  " + t.result
                (gutter, gutterStyle) = ("✗", Palette.warning)
                style = Palette.dim
            }
            self.text = text
        case .action:
            who = "op"
            guard let action = event.action else {
                (gutter, gutterStyle, text) = ("?", Palette.dim, "action")
                return
            }
            text = TextFormat.action(action) + (action.origin.isEmpty ? "" : "  by \(action.origin)")
            (gutter, gutterStyle) = action.ok ? ("»", Palette.good) : ("!", Palette.error)
            style = action.ok ? Palette.bold : Palette.errorText
        case .error:
            who = event.subjectWorker ?? "super"
            text = "error: " + (event.error ?? "unknown")
            (gutter, gutterStyle) = ("!", Palette.error)
            style = Palette.errorText
        }
    }

    /// The line as plain text (what the filter matches).
    var plain: String { "\(gutter) \(who) \(text)" }

    /// Args as `key=value`, short: the log is one line per event.
    private static func args(_ args: Args) -> String {
        guard !args.isEmpty else { return "" }
        let text = args.keys.map { key in "\(key)=\(args[key].map(\.description) ?? "")" }.joined(separator: " ")
        return TextFormat.truncate(text, width: 48)
    }

    /// Draws the line at `row`: time, gutter, who, text.
    func draw(time: UInt64, utcOffsetSeconds: Int, whoWidth: Int, into screen: inout Screen, row: Int, rect: Rect) {
        var x = screen.put(TextFormat.clock(time, utcOffsetSeconds: utcOffsetSeconds) + " ", row: row, column: rect.column,
                           style: Palette.dim, limit: rect.width)
        x = screen.put(gutter + " ", row: row, column: x, style: gutterStyle, limit: max(0, rect.right - x))
        x = screen.put(TextFormat.fit(who, width: whoWidth) + " ", row: row, column: x, style: Palette.bold, limit: max(0, rect.right - x))
        screen.put(text, row: row, column: x, style: style, limit: max(0, rect.right - x))
    }
}
