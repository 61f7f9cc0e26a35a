/// A one-line text input at the bottom of the screen.
public struct TextPrompt: Sendable, Equatable {
    /// What the typed text is for.
    public enum Purpose: Sendable, Equatable {
        /// The client id for `p` (provide).
        case provideClient
        /// The `/` filter (applied while typing).
        case filter
        /// The `:` command line.
        case command
    }

    /// What the text is for.
    public var purpose: Purpose
    /// What has been typed.
    public var text: String
    /// What went wrong with the last Enter (the prompt stays open so it can be fixed).
    public var error: String?

    public init(_ purpose: Purpose, text: String = "") {
        self.purpose = purpose
        self.text = text
    }

    /// The label before the text.
    public var label: String {
        switch purpose {
        case .provideClient: "Provide a worker to client: "
        case .filter: "/"
        case .command: ":"
        }
    }
}
