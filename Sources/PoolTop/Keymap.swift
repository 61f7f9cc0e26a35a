/// Where a binding applies. A key is looked up in the mode's own context first (live or
/// replay), then in the focused list's, then in the global one, so one key can mean
/// different things in live and replay (Space pauses a live view and plays a replay).
public enum KeyContext: String, Sendable, Hashable, CaseIterable {
    case global, list, live, replay

    /// The heading help shows above the context's bindings.
    public var title: String {
        switch self {
        case .global: "Everywhere"
        case .list: "Lists (workers, log, detail)"
        case .live: "Live pool"
        case .replay: "Replay"
        }
    }
}

/// One row of the keymap: the keys, what they do and where.
public struct KeyBinding: Sendable, Equatable {
    /// The keys that trigger the command (help shows them in this order).
    public var keys: [Key]
    /// What the keys do.
    public var command: Command
    /// What help says the keys do.
    public var description: String
    /// Where the binding applies.
    public var context: KeyContext

    public init(_ keys: [Key], _ command: Command, _ description: String, context: KeyContext) {
        self.keys = keys
        self.command = command
        self.description = description
        self.context = context
    }

    /// The keys as help shows them ("↑ k").
    public var keyLabel: String { keys.map(\.label).joined(separator: " ") }
}

/// The table of key bindings. Everything that names keys (dispatch, the help overlay and
/// the status line hints) reads this one table, so they cannot drift apart.
public struct Keymap: Sendable {
    /// Every binding, in the order help lists them.
    public let bindings: [KeyBinding]
    /// For each context, the index in `bindings` of the binding of each key.
    private let table: [KeyContext: [Key: Int]]

    /// A keymap of these bindings. Within one context, a later binding of the same key wins
    /// (so a user's overrides can be appended).
    public init(_ bindings: [KeyBinding]) {
        self.bindings = bindings
        var table: [KeyContext: [Key: Int]] = [:]
        for (i, binding) in bindings.enumerated() {
            for key in binding.keys { table[binding.context, default: [:]][key] = i }
        }
        self.table = table
    }

    /// The binding `key` triggers in live or replay mode, if any.
    public func binding(for key: Key, replay: Bool) -> KeyBinding? {
        for context in [replay ? KeyContext.replay : .live, .list, .global] {
            if let i = table[context]?[key] { return bindings[i] }
        }
        return nil
    }

    /// The command `key` triggers in live or replay mode, if any.
    public func command(for key: Key, replay: Bool) -> Command? { binding(for: key, replay: replay)?.command }

    /// The binding `key` has in the other mode only, to explain why it does nothing here.
    public func bindingInOtherMode(for key: Key, replay: Bool) -> KeyBinding? {
        guard binding(for: key, replay: replay) == nil, let i = table[replay ? .live : .replay]?[key] else { return nil }
        return bindings[i]
    }

    /// The first key bound to `command`, as a label for hints ("x").
    public func keyLabel(for command: Command) -> String? {
        bindings.first { $0.command == command }?.keys.first?.label
    }

    /// The default keymap (reference/tui.md §5.4).
    public static let standard = Keymap([
        // Lists
        KeyBinding([.up, .character("k")], .moveUp, "Move up", context: .list),
        KeyBinding([.down, .character("j")], .moveDown, "Move down", context: .list),
        KeyBinding([.character("g"), .home], .top, "Go to the top", context: .list),
        KeyBinding([.character("G"), .end], .bottom, "Go to the bottom (the log: follow its tail)", context: .list),
        KeyBinding([.pageUp], .pageUp, "Page up", context: .list),
        KeyBinding([.pageDown], .pageDown, "Page down", context: .list),
        // Everywhere
        KeyBinding([.tab], .nextPane, "Next pane", context: .global),
        KeyBinding([.backTab], .previousPane, "Previous pane", context: .global),
        KeyBinding([.enter], .open, "Open the selected worker's detail", context: .global),
        KeyBinding([.escape], .back, "Back: close the detail, clear the filter", context: .global),
        KeyBinding([.character("/")], .filter, "Filter: text, !inverts, state=busy client=c-3 err>0", context: .global),
        KeyBinding([.character(":")], .commandLine, "Command line (:fork 3, :kill w3, :help...)", context: .global),
        KeyBinding([.character("?")], .help, "This help", context: .global),
        KeyBinding([.character("F")], .follow, "Follow the selected worker (log shows only it)", context: .global),
        KeyBinding([.character("q")], .quit, "Quit (asks first when the pool is embedded)", context: .global),
        // Live pool
        KeyBinding([.character("f")], .fork, "Fork a worker (count prefix: 3f forks 3)", context: .live),
        KeyBinding([.character("x")], .kill, "Kill the selected or tagged workers (confirm)", context: .live),
        KeyBinding([.character("X")], .forceKill, "Force kill the selected or tagged workers (confirm)", context: .live),
        KeyBinding([.character("p")], .provide, "Provide a worker to a client (asks for the client id)", context: .live),
        KeyBinding([.character("t")], .tag, "Tag or untag the selected worker", context: .live),
        KeyBinding([.character("T")], .tagGroup, "Tag every worker in the selected worker's group", context: .live),
        KeyBinding([.character("u")], .untagAll, "Untag all", context: .live),
        KeyBinding([.character("Z"), .character(" ")], .pause, "Pause or resume live updates", context: .live),
        // Replay
        KeyBinding([.character(" ")], .playPause, "Play or pause", context: .replay),
        KeyBinding([.character("+"), .character("=")], .speedUp, "Faster", context: .replay),
        KeyBinding([.character("-")], .slowDown, "Slower", context: .replay),
        KeyBinding([.left], .stepBack, "Previous transition (count prefix: 5← steps 5)", context: .replay),
        KeyBinding([.right], .stepForward, "Next transition (count prefix allowed)", context: .replay),
        KeyBinding([.character("{")], .jumpBack, "Back 50 transitions", context: .replay),
        KeyBinding([.character("}")], .jumpForward, "Forward 50 transitions", context: .replay),
        KeyBinding([.character("n")], .nextChange, "Next change of the selected worker", context: .replay),
        KeyBinding([.character("N")], .previousChange, "Previous change of the selected worker", context: .replay),
        KeyBinding([.character("e")], .nextError, "Next error", context: .replay),
        KeyBinding([.character("E")], .previousError, "Previous error", context: .replay),
        KeyBinding([.home], .first, "First transition", context: .replay),
        KeyBinding([.end], .last, "Last transition", context: .replay),
    ])
}

extension Keymap {
    /// The keymap as a Markdown table per context (what `pooltop --keys` prints and
    /// docs/pooltop.md holds), from the same table the help overlay is made from.
    public var markdown: String {
        var out: [String] = []
        for context in KeyContext.allCases {
            let rows = bindings.filter { $0.context == context }
            guard !rows.isEmpty else { continue }
            out.append("### \(context.title)")
            out.append("")
            out.append("| key | what it does |")
            out.append("|---|---|")
            for b in rows { out.append("| `\(b.keyLabel)` | \(b.description) |") }
            out.append("")
        }
        return out.joined(separator: "\n")
    }
}
