/// The lines of the help overlay, generated from the keymap table so help cannot drift
/// from what the keys do.
public enum HelpContent {
    /// One line of help: a heading, a binding (keys and description) or a note.
    public enum Line: Sendable, Equatable {
        case heading(String)
        case binding(keys: String, description: String)
        case note(String)
        case blank
    }

    /// Every binding, grouped by context, then the count prefix, the `:` commands and the
    /// filter syntax. Contexts that do not apply now say so instead of disappearing, so
    /// the operator learns that the key exists.
    public static func lines(keymap: Keymap, replay: Bool, readonly: Bool) -> [Line] {
        var lines: [Line] = []
        for context in [KeyContext.global, .list, .live, .replay] {
            let bindings = keymap.bindings.filter { $0.context == context }
            guard !bindings.isEmpty else { continue }
            if !lines.isEmpty { lines.append(.blank) }
            var heading = context.title
            if context == .live, replay { heading += " (not in replay)" }
            if context == .live, readonly, !replay { heading += " (read-only: actions refused)" }
            if context == .replay, !replay { heading += " (replay mode only)" }
            lines.append(.heading(heading))
            for binding in bindings { lines.append(.binding(keys: binding.keyLabel, description: binding.description)) }
        }
        lines.append(.blank)
        lines.append(.heading("More"))
        lines.append(.note("Count prefix: digits before f, ← or → (3f forks 3 workers)."))
        lines.append(.note("Commands: :fork N  :kill ID…  :kill! ID  :provide CLIENT  :set min|max|warm N  :drain ID  :heartbeat  :goto txN|HH:MM:SS  :record FILE  :filter TEXT  :help  :quit"))
        lines.append(.note("Filter: free text, !term inverts, state=busy client=c-3 id=w3 err>0. Esc clears."))
        return lines
    }
}
