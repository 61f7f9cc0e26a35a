/// The panes that can hold keyboard focus. Navigation keys act on the focused one.
public enum Pane: String, Sendable, Hashable, CaseIterable {
    case workers, log, detail
}
