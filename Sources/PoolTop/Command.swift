/// What a key does, independent of which key it is: the keymap maps keys to these, and the
/// model runs them.
public enum Command: String, Sendable, Hashable, CaseIterable {
    // Moving around
    case moveUp, moveDown, top, bottom, pageUp, pageDown
    case nextPane, previousPane
    /// Enter: open the selected worker's detail.
    case open
    /// Esc: close what is open, clear the filter, or go back to the worker list.
    case back
    // Pool actions (live, not read-only)
    case fork, kill, forceKill, provide
    // Tagging for bulk actions
    case tag, tagGroup, untagAll
    // Dashboard
    case filter, help, commandLine, pause, follow, quit
    // Replay
    case playPause, speedUp, slowDown, stepBack, stepForward, jumpBack, jumpForward
    case nextChange, previousChange, nextError, previousError, first, last

    /// True for commands that change the pool, which replay and `--readonly` refuse.
    public var isPoolAction: Bool {
        switch self {
        case .fork, .kill, .forceKill, .provide: true
        default: false
        }
    }
}
