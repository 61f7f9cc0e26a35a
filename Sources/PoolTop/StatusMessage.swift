/// A one-line message for the status line: the outcome of the last key or action.
public struct StatusMessage: Sendable, Equatable {
    /// The message.
    public var text: String
    /// Errors and refusals are drawn in red, so a refused action is never mistaken for a
    /// done one.
    public var isError: Bool

    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }
}
