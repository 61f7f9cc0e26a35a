/// What sits on top of the dashboard and takes the keys while it is open.
public enum Overlay: Sendable, Equatable {
    /// The help, scrolled down by `scroll` lines.
    case help(scroll: Int)
    case confirm(ConfirmDialog)
    case prompt(TextPrompt)
}
