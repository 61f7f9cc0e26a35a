/// A yes/no question before something that cannot be undone (a kill, quitting an embedded
/// pool). Cancel has the focus when it opens, so a stray Enter never destroys anything.
public struct ConfirmDialog: Sendable, Equatable {
    /// What happens when the operator confirms.
    public enum Action: Sendable, Equatable {
        case kill(ids: [String], force: Bool)
        case quit
    }

    /// The dialog's two buttons, Cancel on the left.
    public enum Button: Sendable, Equatable, CaseIterable {
        case cancel, confirm
    }

    /// The box title ("Kill", "Quit").
    public var title: String
    /// The question, naming the target ("Kill worker w12 (pid 4411, busy, client c-3)?").
    public var message: String
    /// The label of the button that acts.
    public var confirmLabel: String
    /// What confirming does.
    public var action: Action
    /// For bulk actions: what must be typed before confirming works (the count).
    public var requiredInput: String?
    /// What has been typed into the count field so far.
    public var input: String = ""
    /// The button Enter activates.
    public private(set) var focus: Button = .cancel

    public init(title: String, message: String, confirmLabel: String, action: Action, requiredInput: String? = nil) {
        self.title = title
        self.message = message
        self.confirmLabel = confirmLabel
        self.action = action
        self.requiredInput = requiredInput
    }

    /// True when confirming would act: no typing needed, or the right text typed.
    public var inputSatisfied: Bool { requiredInput.map { $0 == input } ?? true }

    /// Moves the focus to the other button (two buttons: left, right and Tab all toggle).
    public mutating func moveFocus() { focus = focus == .cancel ? .confirm : .cancel }
}
